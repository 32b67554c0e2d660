/* sched.h — kbpf-scheduler's model and decision: the cluster as the scheduler sees it
 * (nodes with what is allocated on them), a pod parsed once per attempt, and the filter
 * and score plugins with kube-scheduler's meanings and default weights. Pure functions:
 * the daemon (scheduler/main.c) feeds them from informers and binds the result. */
#ifndef KBPF_SCHED_H
#define KBPF_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SCHED_MAX_EXT 8        /* extended resources per node or pod */
#define SCHED_EXT_NAME 64

/* Resources: what a node offers, what pods ask. Extended resources by name (e.g.
 * "kbpf.io/bandwidth", in the quantity's units). */
struct res_vec {
	int64_t cpu_milli;
	int64_t mem_bytes;
	int64_t pods;
	int64_t ephemeral_bytes;
	unsigned n_ext;
	struct {
		char name[SCHED_EXT_NAME];
		int64_t value;
	} ext[SCHED_MAX_EXT];
};

struct sched_taint {
	char *key, *value, *effect; /* effect: NoSchedule, PreferNoSchedule, NoExecute */
};

struct sched_hostport {
	char ip[48];   /* "" or "0.0.0.0" means every address */
	char proto[8]; /* TCP, UDP, SCTP */
	int port;
};

/* A pod already on a node, as inter-pod affinity and topology spread need it. */
struct sched_placed {
	json_t *pod;     /* referenced */
	const json_t *labels;
	const char *ns;
	void *priv;      /* the scheduler's parse of it (labels, affinity terms), owned by sched_node_* */
	uint64_t ns_h;   /* a hash of ns: scans skip other namespaces without reading priv */
};

struct sched_node {
	char *name;
	json_t *node;           /* the Node object, referenced */
	const json_t *labels;   /* its metadata.labels (inside node) */
	struct res_vec alloc;   /* status.allocatable (capacity when absent) */
	struct res_vec req;     /* sum of the requests of the pods placed on it */
	struct sched_taint *taints;
	size_t n_taints;
	bool unschedulable;     /* spec.unschedulable */
	bool ready;             /* Ready condition True */
	struct sched_hostport *ports; /* host ports in use */
	size_t n_ports;
	struct sched_placed *placed;  /* pods on it (not terminated) */
	size_t n_placed;
	/* Bookkeeping of sched_node_add/remove_pod, read by the plugins: */
	int64_t nz_cpu_milli;   /* requests with 100m cpu for containers asking none: */
	int64_t nz_mem_bytes;   /* ... and 200Mi memory (LeastAllocated's view) */
	size_t n_with_affinity; /* placed pods with pod (anti-)affinity terms */
	size_t n_with_anti;     /* placed pods with required anti-affinity terms */
	void *priv;             /* its labels indexed for the plugins (sched_node.c) */
};

struct sched_cluster {
	struct sched_node **nodes;
	size_t n_nodes;
	unsigned rotate;        /* where the next sampled filter pass starts (fairness) */
	const json_t *ns_labels; /* optional: namespace name -> its labels, for affinity
				  * terms' namespaceSelector; NULL: only the automatic
				  * kubernetes.io/metadata.name label is known */
};

/* A pod, parsed once per scheduling attempt. Opaque parts are for the plugins. */
struct sched_pod {
	const json_t *pod;      /* borrowed */
	const char *ns, *name;
	const json_t *labels;
	struct res_vec req;     /* max(sum of containers, any init container) + overhead;
				 * pods counts 1 */
	struct sched_hostport *ports;
	size_t n_ports;
	void *priv;             /* parsed tolerations, affinity, spread constraints */
	char error[256];        /* set when the pod cannot be understood (bad selector, bad
				 * quantity): it is not scheduled, and this is the reason */
};

/* Parse pod; 0, or -EINVAL with p->error set (still release it). */
int sched_pod_parse(const json_t *pod, struct sched_pod *p);
void sched_pod_release(struct sched_pod *p);

/* Node bookkeeping. sched_node_new parses a Node; sched_node_add/remove_pod account for
 * a pod placed on it (requests, host ports, labels for affinity). */
struct sched_node *sched_node_new(const json_t *node);
int sched_node_update(struct sched_node *n, const json_t *node); /* keeps placed pods */
void sched_node_free(struct sched_node *n);
void sched_node_add_pod(struct sched_node *n, const json_t *pod);
void sched_node_remove_pod(struct sched_node *n, const json_t *pod);

/* The filter plugins in kube-scheduler's order. NULL when n fits p, else the reason in
 * kube-scheduler's words ("Insufficient cpu", "node(s) had untolerated taint {k: v}",
 * "node(s) didn't match Pod's node affinity/selector", "node(s) were unschedulable",
 * "node(s) didn't have free ports for the requested pod ports", "node(s) didn't match
 * pod topology spread constraints", "node(s) didn't match pod affinity rules",
 * "node(s) didn't match pod anti-affinity rules", "node(s) didn't match the requested
 * node name", "node(s) were not ready"), written into buf. */
const char *sched_filter(const struct sched_pod *p, const struct sched_cluster *c,
			 const struct sched_node *n, char *buf, size_t len);

/* Default weights of the score plugins (kube-scheduler v1.32). */
#define W_TAINT_TOLERATION    3
#define W_NODE_AFFINITY       2
#define W_RESOURCES_FIT       1 /* LeastAllocated */
#define W_BALANCED_ALLOCATION 1
#define W_TOPOLOGY_SPREAD     2
#define W_INTERPOD_AFFINITY   2

/* Scores of the feasible nodes (each plugin normalized to 0..100, weighted, summed). */
void sched_score(const struct sched_pod *p, const struct sched_cluster *c,
		 struct sched_node *const *feasible, size_t n, int64_t *scores);

/* kube-scheduler's adaptive percentageOfNodesToScore: how many feasible nodes to find
 * before scoring (all below 100 nodes; at least 100 or 5% otherwise). */
size_t sched_nodes_to_find(size_t n_nodes);

struct sched_result {
	struct sched_node *node;   /* the choice, or NULL */
	char summary[1024];        /* NULL node: "0/5 nodes are available: 3 Insufficient cpu,
				    * 2 node(s) had untolerated taint {…}." */
	size_t feasible, evaluated;
};

/* Filter (sampling large clusters), score, pick the best (ties broken at random). */
void sched_schedule(const struct sched_pod *p, struct sched_cluster *c, struct sched_result *r);

#endif /* KBPF_SCHED_H */
