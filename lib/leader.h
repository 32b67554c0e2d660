/* leader.h — leader election on a coordination.k8s.io/v1 Lease, as client-go does it: one
 * holder at a time, renewed every retry period, taken over by a standby once it has not
 * been renewed for the lease duration. */
#ifndef KBPF_LEADER_H
#define KBPF_LEADER_H

#include <stdbool.h>

struct kclient;
struct leader;

struct leader_opts {
	const char *ns;       /* the Lease's namespace: kube-system */
	const char *name;     /* kbpf-scheduler, kbpf-controller-manager */
	const char *identity; /* unique per process: host name and pid */
	int lease_seconds;    /* 15: a standby waits this long after the last renewal */
	int renew_seconds;    /* 10: a leader that cannot renew for this long gives up */
	int retry_seconds;    /* 2: how often to try */
};

/*
 * Block until this process holds the Lease (or *stop becomes true: -ECANCELED). Then a
 * thread renews it; when renewing fails for renew_seconds, on_lost(ctx) runs (from that
 * thread) — kube components exit there, and so do kbpf's.
 */
int leader_acquire(struct kclient *c, const struct leader_opts *o, void (*on_lost)(void *ctx),
		   void *ctx, volatile bool *stop, struct leader **out);

/* Stop renewing and hand the Lease back (holder cleared), so a standby takes over at once. */
void leader_release(struct leader *l);

#endif /* KBPF_LEADER_H */
