/* agent_node.h — the kubelet's node duties in kbpf-agent: register the Node, renew its
 * Lease in kube-node-lease, post its status when it changes (and every 5 minutes). */
#ifndef KBPF_AGENT_NODE_H
#define KBPF_AGENT_NODE_H

#include <stdbool.h>

struct kclient;
struct node_agent;

/* Node capacity kbpf.io/bandwidth when --node-bandwidth is not given: 10 Gbit/s. */
#define NODE_BANDWIDTH_DEFAULT "10G"
#define NODE_BANDWIDTH_RESOURCE "kbpf.io/bandwidth"
#define NODE_LEASE_NAMESPACE "kube-node-lease"
#define NODE_LEASE_RENEW_S 10
#define NODE_LEASE_DURATION_S 40
/* Status is posted when it changes, and at least this often (kubelet's
 * nodeStatusReportFrequency). */
#define NODE_STATUS_REPORT_S 300
#define NODE_KUBELET_VERSION "v1.32.0-kbpf"

struct node_opts {
	const char *name;
	const char *internal_ip; /* InternalIP address; NULL: none */
	const char *bandwidth;   /* a quantity, bits per second */
	int max_pods;
};

/* Start the thread that registers the Node and keeps its Lease and status. It retries
 * with backoff while the apiserver cannot be reached. */
int node_agent_start(struct kclient *c, const struct node_opts *o, struct node_agent **out);
void node_agent_stop(struct node_agent *n);
/* The Node is registered and its Lease was renewed within its duration. */
bool node_agent_healthy(struct node_agent *n);

#endif /* KBPF_AGENT_NODE_H */
