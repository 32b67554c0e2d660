/* sched_cycle.c — PreFilter: per-domain pod counts, once per attempt, for spread and affinity. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"

/* --- topology values to counts: open addressing, kept at most half full --- */

static struct dom_ent *dom_slot(const struct dom_ent *e, size_t cap, const char *val,
				uint64_t h)
{
	size_t i = h & (cap - 1);

	while (e[i].val && (e[i].h != h || strcmp(e[i].val, val)))
		i = (i + 1) & (cap - 1);
	return (struct dom_ent *)&e[i];
}

static int dom_grow(struct dom_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16, i;
	struct dom_ent *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->e[i].val)
			*dom_slot(e, cap, t->e[i].val, t->e[i].h) = t->e[i];
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

int dom_add(struct dom_table *t, const char *val, uint64_t h, int64_t n)
{
	struct dom_ent *e;

	if ((t->len + 1) * 2 > t->cap && dom_grow(t))
		return -ENOMEM;
	e = dom_slot(t->e, t->cap, val, h);
	if (!e->val) {
		e->val = val;
		e->h = h;
		t->len++;
	}
	e->n += n;
	return 0;
}

int64_t dom_get(const struct dom_table *t, const char *val, uint64_t h, bool *found)
{
	const struct dom_ent *e;

	if (found)
		*found = false;
	if (!t->len)
		return 0;
	e = dom_slot(t->e, t->cap, val, h);
	if (!e->val)
		return 0;
	if (found)
		*found = true;
	return e->n;
}

void dom_free(struct dom_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

static struct dom_table *topo_table(const struct topo_map *m, const struct hkey *key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->k[i].key.h == key->h && !strcmp(m->k[i].key.s, key->s))
			return &m->k[i].t;
	return NULL;
}

int topo_add(struct topo_map *m, const struct hkey *key, const struct lbl *v, int64_t n)
{
	struct dom_table *t = topo_table(m, key);
	struct topo_slot *k;

	if (!t) {
		k = realloc(m->k, (m->n + 1) * sizeof(*k));
		if (!k)
			return -ENOMEM;
		m->k = k;
		memset(&k[m->n], 0, sizeof(k[m->n]));
		k[m->n].key = *key;
		t = &k[m->n++].t;
	}
	m->any = true;
	return dom_add(t, v->val, v->vh, n);
}

int64_t topo_get(const struct topo_map *m, const struct hkey *key, const struct lbl *v)
{
	const struct dom_table *t = topo_table(m, key);

	return t ? dom_get(t, v->val, v->vh, NULL) : 0;
}

void topo_free(struct topo_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		dom_free(&m->k[i].t);
	free(m->k);
	memset(m, 0, sizeof(*m));
}

/* --- PodTopologySpread's PreFilter --- */

/* Whether n carries the topology key of every constraint (hard ones, or soft ones). */
static bool has_keys(const struct pod_priv *pp, const struct sched_node *n, bool hard)
{
	size_t i;

	for (i = 0; i < pp->n_spread; i++)
		if (pp->spread[i].hard == hard && !node_label(n, &pp->spread[i].key))
			return false;
	return true;
}

/*
 * For each DoNotSchedule constraint: the matching pods of every eligible domain (nodes
 * that have all the keys and pass the node inclusion policies), and the global minimum.
 */
static int prepare_spread(struct cycle *cy)
{
	const struct pod_priv *pp = cy->pp;
	const struct sched_cluster *c = cy->c;
	const struct spread *s;
	const struct dom_table *t;
	const struct lbl *v;
	struct sched_node *n;
	size_t i, j;
	int aff_ok, ret;

	cy->spread = calloc(pp->n_spread, sizeof(*cy->spread));
	cy->spread_min = calloc(pp->n_spread, sizeof(*cy->spread_min));
	if (!cy->spread || !cy->spread_min)
		return -ENOMEM;
	for (j = 0; j < c->n_nodes; j++) {
		n = c->nodes[j];
		prefetch_ahead(c, j);
		if (!has_keys(pp, n, true))
			continue;
		aff_ok = -1;
		for (i = 0; i < pp->n_spread; i++) {
			s = &pp->spread[i];
			if (!s->hard)
				continue;
			if (s->honor_affinity) {
				if (aff_ok < 0)
					aff_ok = node_affinity_ok(pp, n);
				if (!aff_ok)
					continue;
			}
			if (s->honor_taints && untolerated_taint(pp, n))
				continue;
			v = node_label(n, &s->key);
			ret = dom_add(&cy->spread[i], v->val, v->vh,
				      count_matching(n, s->sel, cy->p->ns, cy->pp->ns_h));
			if (ret)
				return ret;
		}
	}
	for (i = 0; i < pp->n_spread; i++) {
		s = &pp->spread[i];
		t = &cy->spread[i];
		if (!s->hard)
			continue;
		/* No domain at all: kube's critical paths stay at MaxInt32 and nothing fails. */
		cy->spread_min[i] = INT32_MAX;
		for (j = 0; j < t->cap; j++)
			if (t->e[j].val && t->e[j].n < cy->spread_min[i])
				cy->spread_min[i] = t->e[j].n;
		if (t->len < (size_t)s->min_domains)
			cy->spread_min[i] = 0;
	}
	return 0;
}

/* --- InterPodAffinity's PreFilter --- */

static bool matches_all(const struct aff_term *t, size_t n, const char *ns, uint64_t ns_h,
			const struct lbls *labels, const struct sched_cluster *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!aff_term_matches(&t[i], ns, ns_h, labels, c))
			return false;
	return n > 0;
}

/*
 * One pass over every pod: existing pods whose required anti-affinity the incoming pod
 * would violate, and the pods the incoming pod's own required terms match.
 */
static int prepare_interpod(struct cycle *cy)
{
	const struct aff_terms *a = &cy->pp->aff;
	const struct lbls *labels = cy->pp->labels;
	const struct sched_cluster *c = cy->c;
	const struct sched_pod *p = cy->p;
	bool incoming = a->n_req_aff || a->n_req_anti, own_ns_only = true;
	uint64_t ns_h = cy->pp->ns_h;
	const struct placed_priv *pr;
	const struct aff_term *t;
	const struct sched_node *n;
	const struct lbl *v;
	size_t i, j, k;
	int ret;

	/* Terms without namespaces or namespaceSelector look at the pod's namespace only. */
	for (k = 0; k < a->n_req_aff; k++)
		own_ns_only &= !a->req_aff[k].namespaces && !a->req_aff[k].ns_sel;
	for (k = 0; k < a->n_req_anti; k++)
		own_ns_only &= !a->req_anti[k].namespaces && !a->req_anti[k].ns_sel;
	if (incoming)
		cy->aff_self = matches_all(a->req_aff, a->n_req_aff, p->ns, ns_h, labels, c);
	for (j = 0; j < c->n_nodes; j++) {
		n = c->nodes[j];
		if (incoming)
			prefetch_ahead(c, j);
		if (!incoming && !n->n_with_anti)
			continue;
		for (i = 0; i < n->n_placed; i++) {
			if (!n->n_with_anti && own_ns_only && n->placed[i].ns_h != ns_h)
				continue;
			pr = n->placed[i].priv;
			for (k = 0; k < pr->aff.n_req_anti; k++) {
				t = &pr->aff.req_anti[k];
				if (!aff_term_matches(t, p->ns, ns_h, labels, c))
					continue;
				v = node_label(n, &t->key);
				if (v && (ret = topo_add(&cy->existing_anti, &t->key, v, 1)))
					return ret;
			}
			if (!incoming)
				continue;
			/* Affinity counts pods that match every term, in each term's domain. */
			if (a->n_req_aff && matches_all(a->req_aff, a->n_req_aff, pr->ns, pr->ns_h,
							pr->labels, c)) {
				for (k = 0; k < a->n_req_aff; k++) {
					t = &a->req_aff[k];
					v = node_label(n, &t->key);
					if (v && (ret = topo_add(&cy->aff, &t->key, v, 1)))
						return ret;
				}
			}
			for (k = 0; k < a->n_req_anti; k++) {
				t = &a->req_anti[k];
				if (!aff_term_matches(t, pr->ns, pr->ns_h, pr->labels, c))
					continue;
				v = node_label(n, &t->key);
				if (v && (ret = topo_add(&cy->anti, &t->key, v, 1)))
					return ret;
			}
		}
	}
	return 0;
}

int cycle_prepare(struct cycle *cy, const struct sched_pod *p, const struct sched_cluster *c)
{
	int ret;

	memset(cy, 0, sizeof(*cy));
	cy->p = p;
	cy->pp = p->priv;
	cy->c = c;
	if (!cy->pp)
		return -EINVAL;
	if (cy->pp->n_hard) {
		ret = prepare_spread(cy);
		if (ret)
			return ret;
	}
	return prepare_interpod(cy);
}

void cycle_release(struct cycle *cy)
{
	size_t i;

	for (i = 0; cy->spread && i < cy->pp->n_spread; i++)
		dom_free(&cy->spread[i]);
	free(cy->spread);
	free(cy->spread_min);
	topo_free(&cy->aff);
	topo_free(&cy->anti);
	topo_free(&cy->existing_anti);
	memset(cy, 0, sizeof(*cy));
}
