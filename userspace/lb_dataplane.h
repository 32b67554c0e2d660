/* lb_dataplane.h — the eBPF load balancer seen from userspace: load and pin the programs
 * and maps, attach them to devices idempotently, and reconcile desired state into maps. */
#ifndef KBPF_LB_DATAPLANE_H
#define KBPF_LB_DATAPLANE_H

#include <stdbool.h>
#include <linux/types.h>

#include "lb_model.h"

/* Default address given to a pod that reaches itself through a Service (Cilium uses the
 * same link-local address): anything the pod does not own works. */
#define LB_HAIRPIN_IP_DEFAULT "169.254.42.1"

/* How long retired backend sets and backends stay readable after the last frontend left
 * them, so that a packet which read the old frontend entry still finds them. */
#define LB_RETIRE_GRACE_MS 1000

/* How often lb_dp_gc scans conntrack and affinity entries for expired ones. */
#define LB_GC_FLOWS_MS 30000

struct lb_config {
	const char *bpffs_root; /* pins go here: maps at the top, links under links/ */
	__be32 node_ip;         /* SNAT source for outside traffic to remote backends */
	__be32 hairpin_ip;
	__u32 max_services;     /* 0 keeps the LB4_MAX_* / CT4_MAX defaults */
	__u32 max_backends;
	__u32 max_slots;
	__u32 ct_max;
	__u32 max_affinity;
	__u16 snat_port_min;    /* 0 keeps SNAT_PORT_MIN/MAX */
	__u16 snat_port_max;
	bool no_pin;            /* tests: private maps, nothing pinned or attached */
};

enum lb_xdp_mode {
	LB_XDP_AUTO = 0, /* native, else generic */
	LB_XDP_NATIVE,
	LB_XDP_GENERIC,
};

struct lb_dp;

/* What one reconcile changed. */
struct lb_sync_stats {
	__u32 backends_added, backends_updated, backends_retired;
	__u32 frontends_added, frontends_updated, frontends_deleted;
	__u32 sets_created, sets_retired;
};

/* Open the data plane: reuse pinned maps (never flushing them) or create and pin them,
 * load the programs, and rebuild the view of what the maps hold. */
int lb_dp_open(const struct lb_config *cfg, struct lb_dp **out);
void lb_dp_close(struct lb_dp *dp);

/* XDP (and the TC program that answers rejects) on a node device. A pinned XDP link for
 * the device is updated in place; a new one is pinned. */
int lb_dp_attach_device(struct lb_dp *dp, const char *ifname, enum lb_xdp_mode mode);
/* TC ingress on the host side of a pod veth; replaces kbpf's own filter atomically. */
int lb_dp_attach_pod(struct lb_dp *dp, const char *ifname);

/* A pinned map whose definition changed was recreated at open and its entries copied;
 * once the new programs are attached, copy what the old ones wrote meanwhile and drop the
 * old map. lb_dp_close does it too. */
void lb_dp_finish_migrations(struct lb_dp *dp);

/* Make the maps hold exactly the desired state. Order keeps every packet consistent:
 * backends, then new sets, then frontend flips; old sets and backends retire. */
int lb_dp_sync(struct lb_dp *dp, const struct lb_desired *d, struct lb_sync_stats *st);
/* The same for one Service ("namespace/name"): only its frontends are added, changed or
 * deleted — the cost of one watch event, independent of how many Services exist. */
int lb_dp_sync_scope(struct lb_dp *dp, const struct lb_desired *d, const char *owner,
		     struct lb_sync_stats *st);

/* Delete retired sets/backends past their grace period and, every LB_GC_FLOWS_MS, expired
 * conntrack and affinity entries. force does all of it now (tests, one-shot runs). */
int lb_dp_gc(struct lb_dp *dp, bool force);

/* Program fds, for tests that run them with BPF_PROG_TEST_RUN. */
int lb_dp_prog_fd(struct lb_dp *dp, const char *name);
int lb_dp_map_fd(struct lb_dp *dp, const char *name);

/* Remove everything kbpf attached in the current network namespace and everything pinned
 * under bpffs_root. */
int lb_dp_remove(const char *bpffs_root);

/* Name of a kbpf_metrics counter (enum kbpf_metric), as kbpfctl metrics prints it. */
const char *lb_metric_name(unsigned int m);

/* CLOCK_MONOTONIC seconds, the clock the programs use for expiry. */
__u32 lb_now_sec(void);

#endif /* KBPF_LB_DATAPLANE_H */
