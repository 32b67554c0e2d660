/* sched_score.c — the score plugins with kube-scheduler's formulas, weighted and summed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sched_int.h"

#define MAX_SCORE 100

/* --- arithmetic: the binaries do not link libm --- */

/* Natural logarithm of x >= 1, to double precision: k ln 2 + 2 atanh((m-1)/(m+1)). */
static double ln(double x)
{
	static const double LN2 = 0.69314718055994530942;
	double y, y2, term, sum = 0;
	int k = 0, i;

	while (x >= 2) {
		x /= 2;
		k++;
	}
	y = (x - 1) / (x + 1);
	y2 = y * y;
	term = y;
	for (i = 1; i < 64; i += 2) {
		sum += term / i;
		term *= y2;
	}
	return 2 * sum + k * LN2;
}

/* Go's math.Round: halves away from zero. */
static int64_t round_half_away(double x)
{
	return x >= 0 ? (int64_t)(x + 0.5) : -(int64_t)(-x + 0.5);
}

/* helper.DefaultNormalizeScore: [0, max] to [0, 100], reversed on request. */
static void default_normalize(int64_t *s, size_t n, bool reverse)
{
	int64_t max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] > max)
			max = s[i];
	for (i = 0; i < n; i++) {
		if (!max)
			s[i] = reverse ? MAX_SCORE : 0;
		else
			s[i] = reverse ? MAX_SCORE - MAX_SCORE * s[i] / max :
					 MAX_SCORE * s[i] / max;
	}
}

static void add_weighted(int64_t *scores, const int64_t *s, size_t n, int64_t weight)
{
	size_t i;

	for (i = 0; i < n; i++)
		scores[i] += s[i] * weight;
}

/* --- TaintToleration: fewer untolerated PreferNoSchedule taints is better --- */

static void score_taints(const struct pod_priv *pp, struct sched_node *const *nodes, size_t n,
			 int64_t *s)
{
	const struct sched_taint *t;
	size_t i, j;

	for (i = 0; i < n; i++) {
		s[i] = 0;
		for (j = 0; j < nodes[i]->n_taints; j++) {
			t = &nodes[i]->taints[j];
			if (!strcmp(t->effect, "PreferNoSchedule") &&
			    !tolerates(pp, t->key, t->value, t->effect))
				s[i]++;
		}
	}
	default_normalize(s, n, true);
}

/* --- NodeAffinity: the weights of the preferred terms a node matches --- */

static void score_node_affinity(const struct pod_priv *pp, struct sched_node *const *nodes,
				size_t n, int64_t *s)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		s[i] = 0;
		for (j = 0; j < pp->n_pref_terms; j++)
			if (nsel_term_matches(&pp->pref_terms[j], nodes[i]))
				s[i] += pp->pref_terms[j].weight;
	}
	default_normalize(s, n, false);
}

/* --- NodeResourcesFit (LeastAllocated) and NodeResourcesBalancedAllocation --- */

static int64_t least_requested(int64_t requested, int64_t capacity)
{
	if (!capacity || requested > capacity)
		return 0;
	return (capacity - requested) * MAX_SCORE / capacity;
}

/*
 * cpu and memory at weight 1 each, counting what a node's pods and this one request with
 * the non-zero defaults (100m, 200Mi for containers that state nothing), as kube does.
 */
static void score_least_allocated(const struct sched_pod *p, struct sched_node *const *nodes,
				  size_t n, int64_t *s)
{
	const struct pod_priv *pp = p->priv;
	const struct sched_node *nd;
	int64_t sum, w;
	size_t i;

	for (i = 0; i < n; i++) {
		nd = nodes[i];
		sum = w = 0;
		if (nd->alloc.cpu_milli) {
			sum += least_requested(nd->nz_cpu_milli + pp->nz_cpu, nd->alloc.cpu_milli);
			w++;
		}
		if (nd->alloc.mem_bytes) {
			sum += least_requested(nd->nz_mem_bytes + pp->nz_mem, nd->alloc.mem_bytes);
			w++;
		}
		s[i] = w ? sum / w : 0;
	}
}

static double fraction(int64_t requested, int64_t alloc)
{
	double f = (double)requested / (double)alloc;

	return f > 1 ? 1 : f;
}

/* 1 - the standard deviation of the cpu and memory fractions (actual requests). */
static void score_balanced(const struct sched_pod *p, struct sched_node *const *nodes, size_t n,
			   int64_t *s)
{
	const struct sched_node *nd;
	double f[2], std;
	size_t i, k;

	for (i = 0; i < n; i++) {
		nd = nodes[i];
		k = 0;
		if (nd->alloc.cpu_milli)
			f[k++] = fraction(nd->req.cpu_milli + p->req.cpu_milli,
					  nd->alloc.cpu_milli);
		if (nd->alloc.mem_bytes)
			f[k++] = fraction(nd->req.mem_bytes + p->req.mem_bytes,
					  nd->alloc.mem_bytes);
		std = 0;
		if (k == 2)
			std = f[0] > f[1] ? (f[0] - f[1]) / 2 : (f[1] - f[0]) / 2;
		s[i] = (int64_t)((1 - std) * MAX_SCORE);
	}
}

/* --- PodTopologySpread (ScheduleAnyway constraints) --- */

static bool has_soft_keys(const struct pod_priv *pp, const struct sched_node *n)
{
	size_t i;

	for (i = 0; i < pp->n_spread; i++)
		if (!pp->spread[i].hard && !node_label(n, &pp->spread[i].key))
			return false;
	return true;
}

/* Per-host constraints count each node's own pods; no domain table is needed. */
static bool is_hostname(const struct spread *s)
{
	return !strcmp(s->key.s, LABEL_HOSTNAME);
}

/*
 * Matching pods in each candidate's domain, over all nodes that pass the inclusion
 * policies; weighted by log(domains + 2) and the skew, then reversed: fewer is better.
 */
static int score_spread(const struct sched_pod *p, const struct sched_cluster *c,
			struct sched_node *const *nodes, size_t n, int64_t *s)
{
	const struct pod_priv *pp = p->priv;
	struct dom_table *t = NULL;
	const struct spread *sp;
	const struct sched_node *nd;
	const struct lbl *v;
	double *weight = NULL, sc;
	bool *ignored = NULL, found, zonal = false;
	size_t i, j, n_ignored = 0, *size = NULL;
	int64_t min = INT64_MAX, max = 0, cnt;
	int aff_ok, ret = -ENOMEM;

	t = calloc(pp->n_spread, sizeof(*t));
	weight = calloc(pp->n_spread, sizeof(*weight));
	size = calloc(pp->n_spread, sizeof(*size));
	ignored = calloc(n, sizeof(*ignored));
	if (!t || !weight || !size || !ignored)
		goto out;
	/* The domains of the candidates; nodes lacking a key are not scored. */
	for (i = 0; i < n; i++) {
		if (!has_soft_keys(pp, nodes[i])) {
			ignored[i] = true;
			n_ignored++;
			continue;
		}
		for (j = 0; j < pp->n_spread; j++) {
			sp = &pp->spread[j];
			if (sp->hard || is_hostname(sp))
				continue;
			zonal = true;
			v = node_label(nodes[i], &sp->key);
			dom_get(&t[j], v->val, v->vh, &found);
			if (!found) {
				if (dom_add(&t[j], v->val, v->vh, 0))
					goto out;
				size[j]++;
			}
		}
	}
	for (j = 0; j < pp->n_spread; j++)
		weight[j] = ln((double)(is_hostname(&pp->spread[j]) ? n - n_ignored : size[j]) + 2);
	/* Their pods, counted over every node of the cluster. */
	for (i = 0; zonal && i < c->n_nodes; i++) {
		nd = c->nodes[i];
		prefetch_ahead(c, i);
		if (!has_soft_keys(pp, nd))
			continue;
		aff_ok = -1;
		for (j = 0; j < pp->n_spread; j++) {
			sp = &pp->spread[j];
			if (sp->hard || is_hostname(sp))
				continue;
			if (sp->honor_affinity) {
				if (aff_ok < 0)
					aff_ok = node_affinity_ok(pp, nd);
				if (!aff_ok)
					continue;
			}
			if (sp->honor_taints && untolerated_taint(pp, nd))
				continue;
			v = node_label(nd, &sp->key);
			dom_get(&t[j], v->val, v->vh, &found);
			if (found && dom_add(&t[j], v->val, v->vh,
					     count_matching(nd, sp->sel, p->ns, pp->ns_h)))
				goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (ignored[i])
			continue;
		sc = 0;
		for (j = 0; j < pp->n_spread; j++) {
			sp = &pp->spread[j];
			if (sp->hard)
				continue;
			if (is_hostname(sp)) {
				cnt = count_matching(nodes[i], sp->sel, p->ns, pp->ns_h);
			} else {
				v = node_label(nodes[i], &sp->key);
				cnt = dom_get(&t[j], v->val, v->vh, NULL);
			}
			sc += (double)cnt * weight[j] + (double)(sp->max_skew - 1);
		}
		s[i] = round_half_away(sc);
		if (s[i] < min)
			min = s[i];
		if (s[i] > max)
			max = s[i];
	}
	for (i = 0; i < n; i++) {
		if (ignored[i])
			s[i] = 0;
		else if (!max)
			s[i] = MAX_SCORE;
		else
			s[i] = MAX_SCORE * (max + min - s[i]) / max;
	}
	ret = 0;
out:
	for (j = 0; t && j < pp->n_spread; j++)
		dom_free(&t[j]);
	free(t);
	free(weight);
	free(size);
	free(ignored);
	return ret;
}

/* --- InterPodAffinity: preferred terms both ways, and existing pods' required affinity --- */

static int add_term(struct topo_map *m, const struct aff_term *t, int64_t w, const char *ns,
		    uint64_t ns_h, const struct lbls *labels, const struct sched_node *nd,
		    const struct sched_cluster *c)
{
	const struct lbl *v;

	if (!aff_term_matches(t, ns, ns_h, labels, c))
		return 0;
	v = node_label(nd, &t->key);
	return v ? topo_add(m, &t->key, v, w) : 0;
}

static int add_terms(struct topo_map *m, const struct aff_term *t, size_t n, int sign,
		     const char *ns, uint64_t ns_h, const struct lbls *labels,
		     const struct sched_node *nd, const struct sched_cluster *c)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = add_term(m, &t[i], sign * (int64_t)t[i].weight, ns, ns_h, labels, nd, c);
		if (ret)
			return ret;
	}
	return 0;
}

/* The hard pod affinity weight of existing pods' required terms (kube's default). */
#define HARD_POD_AFFINITY_WEIGHT 1

static int score_interpod(const struct sched_pod *p, const struct sched_cluster *c,
			  struct sched_node *const *nodes, size_t n, int64_t *s)
{
	const struct pod_priv *pp = p->priv;
	const struct aff_terms *a = &pp->aff;
	bool has_pref = a->n_pref_aff || a->n_pref_anti;
	const struct placed_priv *pr;
	const struct sched_placed *e;
	const struct sched_node *nd;
	const struct lbls *nl;
	struct topo_map m = { 0 };
	int64_t min = INT64_MAX, max = INT64_MIN;
	const struct lbl *v;
	size_t i, j, k;
	int ret = 0;

	for (i = 0; i < c->n_nodes && !ret; i++) {
		nd = c->nodes[i];
		nl = nd->priv;
		/* Without preferred terms of its own, only pods with affinity can matter. */
		if ((!has_pref && !nd->n_with_affinity) || !nl || !nl->n)
			continue;
		for (j = 0; j < nd->n_placed && !ret; j++) {
			e = &nd->placed[j];
			pr = e->priv;
			if (!has_pref && !aff_terms_any(&pr->aff))
				continue;
			ret = add_terms(&m, a->pref_aff, a->n_pref_aff, 1, pr->ns, pr->ns_h,
					pr->labels, nd, c) ?:
			      add_terms(&m, a->pref_anti, a->n_pref_anti, -1, pr->ns, pr->ns_h,
					pr->labels, nd, c);
			/* The existing pod's terms, judged on the incoming pod. */
			for (k = 0; k < pr->aff.n_req_aff && !ret; k++)
				ret = add_term(&m, &pr->aff.req_aff[k], HARD_POD_AFFINITY_WEIGHT,
					       p->ns, pp->ns_h, pp->labels, nd, c);
			ret = ret ?: add_terms(&m, pr->aff.pref_aff, pr->aff.n_pref_aff, 1,
					       p->ns, pp->ns_h, pp->labels, nd, c);
			ret = ret ?: add_terms(&m, pr->aff.pref_anti, pr->aff.n_pref_anti, -1,
					       p->ns, pp->ns_h, pp->labels, nd, c);
		}
	}
	if (ret)
		goto out;
	for (i = 0; i < n; i++) {
		s[i] = 0;
		for (k = 0; k < m.n; k++) {
			v = node_label(nodes[i], &m.k[k].key);
			if (v)
				s[i] += dom_get(&m.k[k].t, v->val, v->vh, NULL);
		}
		if (s[i] < min)
			min = s[i];
		if (s[i] > max)
			max = s[i];
	}
	for (i = 0; i < n; i++) {
		if (!m.any || max == min)
			s[i] = 0;
		else
			s[i] = (int64_t)(MAX_SCORE * ((double)(s[i] - min) / (double)(max - min)));
	}
out:
	topo_free(&m);
	return ret;
}

void sched_score(const struct sched_pod *p, const struct sched_cluster *c,
		 struct sched_node *const *feasible, size_t n, int64_t *scores)
{
	const struct pod_priv *pp = p->priv;
	int64_t *s;

	memset(scores, 0, n * sizeof(*scores));
	if (!n || !pp)
		return;
	s = malloc(n * sizeof(*s));
	if (!s) {
		pr_warn("pod %s/%s: scoring %zu nodes: out of memory; any feasible node will do",
			p->ns, p->name, n);
		return;
	}
	score_taints(pp, feasible, n, s);
	add_weighted(scores, s, n, W_TAINT_TOLERATION);
	if (pp->n_pref_terms) {
		score_node_affinity(pp, feasible, n, s);
		add_weighted(scores, s, n, W_NODE_AFFINITY);
	}
	score_least_allocated(p, feasible, n, s);
	add_weighted(scores, s, n, W_RESOURCES_FIT);
	score_balanced(p, feasible, n, s);
	add_weighted(scores, s, n, W_BALANCED_ALLOCATION);
	if (pp->n_soft) {
		if (!score_spread(p, c, feasible, n, s))
			add_weighted(scores, s, n, W_TOPOLOGY_SPREAD);
		else
			pr_warn("pod %s/%s: topology spread scores skipped: out of memory", p->ns,
				p->name);
	}
	if (score_interpod(p, c, feasible, n, s))
		pr_warn("pod %s/%s: inter-pod affinity scores skipped: out of memory", p->ns,
			p->name);
	else
		add_weighted(scores, s, n, W_INTERPOD_AFFINITY);
	free(s);
}
