/* agent_metrics.h — kbpf-agent's /metrics (Prometheus text) and /healthz, served with
 * libmicrohttpd on --metrics-bind-address (kube-proxy's flag and default). */
#ifndef KBPF_AGENT_METRICS_H
#define KBPF_AGENT_METRICS_H

#include <stdbool.h>

#include "lb_dataplane.h"

#define METRICS_BIND_DEFAULT "127.0.0.1:10249"
/* /healthz fails when changes have waited this long for the data plane. */
#define HEALTHZ_STALE_S 30

struct agent_metrics;
struct node_agent;

/* addr is "IP", "IP:PORT" or "0" (off): 0, or -EINVAL. */
int metrics_check_addr(const char *addr);
/* Serve on addr ("IP:PORT", "IP" for port 10249; port 0 picks a free one, logged).
 * The map counts and per-Service traffic are read from dp's maps at each scrape. */
int metrics_start(const char *addr, struct lb_dp *dp, struct agent_metrics **out);
void metrics_stop(struct agent_metrics *m);
/* The Node whose Lease /healthz reports (may stay unset). */
void metrics_set_node(struct agent_metrics *m, struct node_agent *n);

/* One sync: full or partial, its duration, whether it failed. */
void metrics_sync(struct agent_metrics *m, bool full, double seconds, int err);
/* One Service's watch event → map update latency, seconds (a proxy_sync lat_cb). */
void metrics_event_latency(void *m, double seconds);
/* Changes are waiting since this monotonic time (0: none). */
void metrics_pending(struct agent_metrics *m, double since);

#endif /* KBPF_AGENT_METRICS_H */
