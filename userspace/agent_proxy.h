/* agent_proxy.h — the proxy half of kbpf-agent fed by the apiserver: Services and
 * EndpointSlices watched through informers, changes coalesced, and the data plane synced
 * through lb_desired_from_json → lb_dp_sync, as with --from-file. */
#ifndef KBPF_AGENT_PROXY_H
#define KBPF_AGENT_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "lb_dataplane.h"
#include "lb_model.h"

struct kclient;
struct proxy;

/* What one sync did, for the log and /metrics. */
struct proxy_sync_result {
	bool full;               /* every object (else only the Services that changed) */
	size_t services;         /* Services looked at */
	size_t frontends, backends;
	struct lb_sync_stats st;
	double seconds;          /* the sync itself */
	double oldest_event_age; /* first unsynced watch event → maps updated, seconds */
	int err;
};

/* Start the Service and EndpointSlice informers. wake_fd (an eventfd) is written after
 * every change, from the informers' threads. */
int proxy_start(struct kclient *c, int wake_fd, struct proxy **out);
void proxy_stop(struct proxy *p);
/* Both informers have delivered their first list. */
bool proxy_synced(struct proxy *p);
/* Changes wait for a sync. */
bool proxy_pending(struct proxy *p);
/* Monotonic seconds of the first and the latest change not yet synced (0 when none). */
void proxy_events(struct proxy *p, double *first, double *last);
/* Make the data plane match the objects: the Services that changed only, or all of them
 * when full (first sync), when a frontend changes hands between Services, or when most
 * Services changed. Event→map latencies of every synced Service go to lat_cb. */
int proxy_sync(struct proxy *p, struct lb_dp *dp, const struct lb_node *node, bool full,
	       struct proxy_sync_result *r, void (*lat_cb)(void *ctx, double s), void *ctx);

#endif /* KBPF_AGENT_PROXY_H */
