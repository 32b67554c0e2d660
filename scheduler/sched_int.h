/* sched_int.h — what the sched_*.c files share: parsed pods, per-cycle counts, helpers. */
#ifndef KBPF_SCHED_INT_H
#define KBPF_SCHED_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "sched.h"
#include "selector.h"

#define LABEL_HOSTNAME      "kubernetes.io/hostname"
#define LABEL_NS_NAME       "kubernetes.io/metadata.name"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define TAINT_NOT_READY     "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE   "node.kubernetes.io/unreachable"

/* Requests LeastAllocated counts for a container that states none (schedutil defaults). */
#define NZ_CPU_MILLI 100
#define NZ_MEM_BYTES (200LL * 1024 * 1024)

/* --- labels indexed by key hash, and label selectors compiled against them --- */

/* FNV-1a: keys are hashed once (a constraint at parse, a label at indexing). */
static inline uint64_t str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* A label key with its hash. */
struct hkey {
	const char *s;
	uint64_t h;
};

struct lbl {
	uint64_t h, vh; /* hashes of key and value */
	const char *key, *val;
};

/* An object's labels, strings copied behind the index: one block to scan, few misses. */
struct lbls {
	size_t n;
	struct lbl l[];
};

/* Index labels (a JSON object or NULL); -ENOMEM. Values that are not strings are absent. */
int lbls_build(const json_t *labels, struct lbls **out);
/* The same into memory the caller laid out: lbls_size bytes, aligned for a pointer. */
size_t lbls_size(const json_t *labels);
struct lbls *lbls_fill(const json_t *labels, void *mem);

static inline const struct lbl *lbls_find(const struct lbls *ls, const struct hkey *k)
{
	size_t i;

	for (i = 0; ls && i < ls->n; i++)
		if (ls->l[i].h == k->h && !strcmp(ls->l[i].key, k->s))
			return &ls->l[i];
	return NULL;
}

/* A metav1.LabelSelector, validated by label_selector_from_json, then compiled. */
struct csel;

int csel_compile(const json_t *ls, struct csel **out);
bool csel_matches(const struct csel *s, const struct lbls *labels);
void csel_free(struct csel *s);

/* --- the parsed pod --- */

enum tol_op { TOL_EQUAL, TOL_EXISTS, TOL_BAD };

/* A toleration; strings point into the pod and are "" when absent. */
struct tol {
	const char *key, *value, *effect;
	enum tol_op op;
};

enum nsel_op { NSEL_IN, NSEL_NOT_IN, NSEL_EXISTS, NSEL_DNE, NSEL_GT, NSEL_LT };

/* One NodeSelectorRequirement: on a node label, or (field) on metadata.name. */
struct nsel_req {
	struct hkey key;
	enum nsel_op op;
	const json_t *values; /* array of strings */
	int64_t num;          /* the operand of Gt and Lt */
	bool field;
};

/* A NodeSelectorTerm (its requirements ANDed); weight for preferred terms. */
struct nsel_term {
	struct nsel_req *reqs;
	size_t n;
	int32_t weight;
};

/* A PodAffinityTerm, resolved as kube-scheduler's framework.AffinityTerm. */
struct aff_term {
	struct csel *sel;              /* labelSelector: nil selects no pod */
	struct label_selector *ns_sel; /* namespaceSelector, NULL when absent */
	const json_t *namespaces;      /* array of names; may be empty */
	const char *own_ns;            /* used when namespaces and ns_sel are both absent */
	uint64_t own_ns_h;
	struct hkey key;               /* topologyKey */
	int32_t weight;                /* preferred terms; 1 for required ones */
	json_t *ns_scratch;            /* {metadata.name label} for namespaces unknown to c */
};

/* A pod's four lists of pod (anti-)affinity terms. */
struct aff_terms {
	struct aff_term *req_aff, *req_anti, *pref_aff, *pref_anti;
	size_t n_req_aff, n_req_anti, n_pref_aff, n_pref_anti;
};

struct spread {
	struct hkey key;
	struct csel *sel;
	int32_t max_skew, min_domains;
	bool hard;           /* DoNotSchedule, else ScheduleAnyway */
	bool honor_affinity; /* nodeAffinityPolicy Honor (the default) */
	bool honor_taints;   /* nodeTaintsPolicy Honor (default Ignore) */
	bool self_match;     /* the pod's own labels match sel */
};

/* What sched_pod_parse leaves in p->priv. */
struct pod_priv {
	struct tol *tols;
	size_t n_tols;
	struct lbls *labels;         /* the pod's own */
	uint64_t ns_h;               /* hash of its namespace */
	const char *node_name;       /* spec.nodeName, NULL when unset */
	struct nsel_pair {           /* spec.nodeSelector */
		struct hkey key;
		const char *val;
	} *nsel;
	size_t n_nsel;
	bool has_required;           /* nodeAffinity.required present */
	struct nsel_term *req_terms; /* its non-empty terms (ORed) */
	size_t n_req_terms;
	struct nsel_term *pref_terms;
	size_t n_pref_terms;
	struct aff_terms aff;
	struct spread *spread;
	size_t n_spread, n_hard, n_soft;
	int64_t nz_cpu, nz_mem; /* requests with the non-zero defaults */
};

/* What sched_node_add_pod keeps in sched_placed.priv. */
struct placed_priv {
	struct lbls *labels; /* in the same allocation, after ns */
	struct aff_terms aff;
	bool terminating; /* metadata.deletionTimestamp set: spreading ignores it */
	uint64_t ns_h;
	char ns[];        /* a copy, next to the rest */
};

/* --- sched_pod.c --- */

/*
 * The requests of pod as PodRequests computes them (containers, init containers and
 * sidecars, overhead): req with pods = 1, and cpu/memory with the non-zero defaults in
 * nz_cpu/nz_mem. -EINVAL with the reason in err for a bad quantity, -E2BIG for more than
 * SCHED_MAX_EXT extended resources.
 */
int pod_requests(const json_t *pod, struct res_vec *req, int64_t *nz_cpu, int64_t *nz_mem,
		 char *err, size_t err_len);

/* The host ports of pod's containers (hostPort > 0), normalized ("0.0.0.0", "TCP"). */
int pod_host_ports(const json_t *pod, struct sched_hostport **out, size_t *n);

/* Parse the pod (anti-)affinity terms of spec.affinity; own_ns is the pod's namespace. */
int aff_terms_parse(const json_t *affinity, const char *own_ns, struct aff_terms *a,
		    char *err, size_t err_len);
void aff_terms_free(struct aff_terms *a);
bool aff_terms_any(const struct aff_terms *a);

/* Whether a pod in ns with labels satisfies t (namespace, then label selector). */
bool aff_term_matches(const struct aff_term *t, const char *ns, uint64_t ns_h,
		      const struct lbls *labels, const struct sched_cluster *c);

bool tolerates(const struct pod_priv *pp, const char *key, const char *value,
	       const char *effect);

/* strconv.ParseInt(s, 10, 64): 0, or -EINVAL for anything but an optional sign and digits. */
int parse_i64(const char *s, int64_t *out);

void res_add(struct res_vec *dst, const struct res_vec *src, int sign);
int64_t res_ext_get(const struct res_vec *r, const char *name);

const char *pod_ns(const json_t *pod);
const char *pod_name(const json_t *pod);

/* --- per-cycle counts, sched_cycle.c --- */

/* Topology values (strings inside Node objects) to counts: open addressing. */
struct dom_ent {
	const char *val;
	uint64_t h;
	int64_t n;
};

struct dom_table {
	struct dom_ent *e;
	size_t cap, len;
};

/* (topology key, value) to counts, as kube-scheduler's topologyPair maps. */
struct topo_map {
	struct topo_slot {
		struct hkey key;
		struct dom_table t;
	} *k;
	size_t n;
	bool any; /* something was added */
};

int dom_add(struct dom_table *t, const char *val, uint64_t h, int64_t n);
int64_t dom_get(const struct dom_table *t, const char *val, uint64_t h, bool *found);
void dom_free(struct dom_table *t);
int topo_add(struct topo_map *m, const struct hkey *key, const struct lbl *v, int64_t n);
int64_t topo_get(const struct topo_map *m, const struct hkey *key, const struct lbl *v);
void topo_free(struct topo_map *m);

/* What PreFilter computes once per scheduling attempt, for every node's Filter. */
struct cycle {
	const struct sched_pod *p;
	const struct pod_priv *pp;
	const struct sched_cluster *c;
	struct dom_table *spread; /* per hard constraint (index in pp->spread) */
	int64_t *spread_min;      /* its global minimum (minDomains applied) */
	struct topo_map aff, anti, existing_anti;
	bool aff_self;            /* the pod matches all its own required affinity terms */
};

int cycle_prepare(struct cycle *cy, const struct sched_pod *p, const struct sched_cluster *c);
void cycle_release(struct cycle *cy);

/* --- filters, sched_filter.c --- */

enum reason {
	RSN_OK,
	RSN_UNSCHEDULABLE,
	RSN_NODE_NAME,
	RSN_TAINT,
	RSN_NOT_READY,
	RSN_NODE_AFFINITY,
	RSN_PORTS,
	RSN_RESOURCES,
	RSN_SPREAD_LABEL,
	RSN_SPREAD,
	RSN_AFFINITY,
	RSN_ANTI_AFFINITY,
	RSN_EXISTING_ANTI,
	RSN_COUNT,
};

/* NodeResourcesFit's reasons, in fitsRequest's order; pod extended resource i is bit 4+i. */
#define RES_PODS  (1u << 0)
#define RES_CPU   (1u << 1)
#define RES_MEM   (1u << 2)
#define RES_EPH   (1u << 3)
#define RES_EXT0  4

struct verdict {
	enum reason r;
	unsigned int res;               /* RSN_RESOURCES: RES_* bits */
	const struct sched_taint *taint; /* RSN_TAINT: the first untolerated one */
};

void filter_node(const struct cycle *cy, const struct sched_node *n, struct verdict *v);
const char *reason_text(enum reason r);
/* The verdict as kube-scheduler's Status.Message(): reasons joined by ", ". */
void verdict_format(const struct sched_pod *p, const struct verdict *v, char *buf, size_t len);

bool node_affinity_ok(const struct pod_priv *pp, const struct sched_node *n);
bool nsel_term_matches(const struct nsel_term *t, const struct sched_node *n);
const struct sched_taint *untolerated_taint(const struct pod_priv *pp,
					    const struct sched_node *n);
size_t count_matching(const struct sched_node *n, const struct csel *sel, const char *ns,
		      uint64_t ns_h);

/*
 * A pass over every node and its pods is bound by cache misses, not work: fetch the
 * node 8 ahead, its labels and pod list 4 ahead, its pods' records 2 ahead.
 */
static inline void prefetch_ahead(const struct sched_cluster *c, size_t j)
{
	const struct sched_node *n;
	size_t i;

	if (j + 8 < c->n_nodes)
		__builtin_prefetch(&c->nodes[j + 8]->placed);
	if (j + 4 < c->n_nodes) {
		n = c->nodes[j + 4];
		__builtin_prefetch(n->priv);
		__builtin_prefetch(n->placed);
	}
	if (j + 2 < c->n_nodes) {
		n = c->nodes[j + 2];
		for (i = 0; i < n->n_placed; i++)
			__builtin_prefetch(n->placed[i].priv);
	}
}

/* The node's label key, or NULL. */
static inline const struct lbl *node_label(const struct sched_node *n, const struct hkey *key)
{
	return lbls_find(n->priv, key);
}

#endif /* KBPF_SCHED_INT_H */
