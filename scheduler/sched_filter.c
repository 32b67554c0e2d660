/* sched_filter.c — the filter plugins in kube-scheduler's order, failing in kube's words. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"

static const char *const reason_texts[RSN_COUNT] = {
	[RSN_OK] = "",
	[RSN_UNSCHEDULABLE] = "node(s) were unschedulable",
	[RSN_NODE_NAME] = "node(s) didn't match the requested node name",
	[RSN_TAINT] = "node(s) had untolerated taint",
	[RSN_NOT_READY] = "node(s) were not ready",
	[RSN_NODE_AFFINITY] = "node(s) didn't match Pod's node affinity/selector",
	[RSN_PORTS] = "node(s) didn't have free ports for the requested pod ports",
	[RSN_RESOURCES] = "Insufficient resources",
	[RSN_SPREAD_LABEL] = "node(s) didn't match pod topology spread constraints "
			   "(missing required label)",
	[RSN_SPREAD] = "node(s) didn't match pod topology spread constraints",
	[RSN_AFFINITY] = "node(s) didn't match pod affinity rules",
	[RSN_ANTI_AFFINITY] = "node(s) didn't match pod anti-affinity rules",
	[RSN_EXISTING_ANTI] = "node(s) didn't satisfy existing pods anti-affinity rules",
};

const char *reason_text(enum reason r)
{
	return r < RSN_COUNT ? reason_texts[r] : "";
}

/* --- TaintToleration, NodeUnschedulable, readiness --- */

static bool blocks(const struct sched_taint *t)
{
	return !strcmp(t->effect, "NoSchedule") || !strcmp(t->effect, "NoExecute");
}

/* The first NoSchedule/NoExecute taint of n the pod does not tolerate, as kube reports it. */
const struct sched_taint *untolerated_taint(const struct pod_priv *pp, const struct sched_node *n)
{
	size_t i;

	for (i = 0; i < n->n_taints; i++)
		if (blocks(&n->taints[i]) &&
		    !tolerates(pp, n->taints[i].key, n->taints[i].value, n->taints[i].effect))
			return &n->taints[i];
	return NULL;
}

static bool has_taint(const struct sched_node *n, const char *key)
{
	size_t i;

	for (i = 0; i < n->n_taints; i++)
		if (!strcmp(n->taints[i].key, key))
			return true;
	return false;
}

/*
 * A node whose Ready condition is not True normally carries the not-ready or unreachable
 * taint, which TaintToleration judges; until the node controller adds it, the node is
 * still not ready, unless the pod tolerates that taint.
 */
static bool ready_ok(const struct pod_priv *pp, const struct sched_node *n)
{
	return n->ready || has_taint(n, TAINT_NOT_READY) || has_taint(n, TAINT_UNREACHABLE) ||
	       tolerates(pp, TAINT_NOT_READY, "", "NoSchedule");
}

/* --- NodeAffinity --- */

static bool in_values(const json_t *values, const char *v)
{
	const json_t *x;
	size_t i;

	json_array_foreach(values, i, x)
		if (!strcmp(json_string_value(x), v))
			return true;
	return false;
}

static bool nsel_req_matches(const struct nsel_req *r, const struct sched_node *n)
{
	const struct lbl *l = r->field ? NULL : node_label(n, &r->key);
	const char *v = r->field ? n->name : l ? l->val : NULL;
	int64_t num;

	switch (r->op) {
	case NSEL_IN:
		return v && in_values(r->values, v);
	case NSEL_NOT_IN:
		return !v || !in_values(r->values, v);
	case NSEL_EXISTS:
		return v;
	case NSEL_DNE:
		return !v;
	case NSEL_GT:
	case NSEL_LT:
		/* A label that is not an integer satisfies neither. */
		if (!v || parse_i64(v, &num))
			return false;
		return r->op == NSEL_GT ? num > r->num : num < r->num;
	}
	return false;
}

bool nsel_term_matches(const struct nsel_term *t, const struct sched_node *n)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!nsel_req_matches(&t->reqs[i], n))
			return false;
	return t->n > 0;
}

/* spec.nodeSelector (every pair) and the required node affinity (any term). */
bool node_affinity_ok(const struct pod_priv *pp, const struct sched_node *n)
{
	const struct lbl *l;
	size_t i;

	for (i = 0; i < pp->n_nsel; i++) {
		l = node_label(n, &pp->nsel[i].key);
		if (!l || strcmp(l->val, pp->nsel[i].val))
			return false;
	}
	if (!pp->has_required)
		return true;
	for (i = 0; i < pp->n_req_terms; i++)
		if (nsel_term_matches(&pp->req_terms[i], n))
			return true;
	return false;
}

/* --- NodePorts --- */

static bool port_conflict(const struct sched_hostport *want, const struct sched_hostport *used)
{
	if (want->port != used->port || strcmp(want->proto, used->proto))
		return false;
	return !strcmp(want->ip, used->ip) || !strcmp(want->ip, "0.0.0.0") ||
	       !strcmp(used->ip, "0.0.0.0");
}

static bool ports_fit(const struct sched_pod *p, const struct sched_node *n)
{
	size_t i, j;

	for (i = 0; i < p->n_ports; i++)
		for (j = 0; j < n->n_ports; j++)
			if (port_conflict(&p->ports[i], &n->ports[j]))
				return false;
	return true;
}

/* --- NodeResourcesFit: fitsRequest, every shortfall reported --- */

static unsigned int resources_fit(const struct sched_pod *p, const struct sched_node *n)
{
	const struct res_vec *want = &p->req, *alloc = &n->alloc, *used = &n->req;
	unsigned int miss = 0, i;
	int64_t v;

	if (used->pods + 1 > alloc->pods)
		miss |= RES_PODS;
	if (want->cpu_milli > 0 && want->cpu_milli > alloc->cpu_milli - used->cpu_milli)
		miss |= RES_CPU;
	if (want->mem_bytes > 0 && want->mem_bytes > alloc->mem_bytes - used->mem_bytes)
		miss |= RES_MEM;
	if (want->ephemeral_bytes > 0 &&
	    want->ephemeral_bytes > alloc->ephemeral_bytes - used->ephemeral_bytes)
		miss |= RES_EPH;
	for (i = 0; i < want->n_ext; i++) {
		v = want->ext[i].value;
		/* A node that does not advertise the resource has none of it. */
		if (v > 0 && v > res_ext_get(alloc, want->ext[i].name) -
					 res_ext_get(used, want->ext[i].name))
			miss |= 1u << (RES_EXT0 + i);
	}
	return miss;
}

/* --- PodTopologySpread --- */

size_t count_matching(const struct sched_node *n, const struct csel *sel, const char *ns,
		      uint64_t ns_h)
{
	const struct sched_placed *e;
	const struct placed_priv *pr;
	size_t i, cnt = 0;

	for (i = 0; i < n->n_placed; i++) {
		e = &n->placed[i];
		if (e->ns_h != ns_h)
			continue;
		pr = e->priv;
		if (pr->terminating || strcmp(pr->ns, ns))
			continue;
		cnt += csel_matches(sel, pr->labels);
	}
	return cnt;
}

static enum reason spread_fit(const struct cycle *cy, const struct sched_node *n)
{
	const struct pod_priv *pp = cy->pp;
	const struct spread *s;
	const struct lbl *v;
	int64_t skew;
	size_t i;

	for (i = 0; i < pp->n_spread; i++) {
		s = &pp->spread[i];
		if (!s->hard)
			continue;
		v = node_label(n, &s->key);
		if (!v)
			return RSN_SPREAD_LABEL;
		skew = dom_get(&cy->spread[i], v->val, v->vh, NULL) + s->self_match -
		       cy->spread_min[i];
		if (skew > s->max_skew)
			return RSN_SPREAD;
	}
	return RSN_OK;
}

/* --- InterPodAffinity --- */

static enum reason interpod_fit(const struct cycle *cy, const struct sched_node *n)
{
	const struct aff_terms *a = &cy->pp->aff;
	const struct topo_slot *k;
	bool exist = true;
	const struct lbl *v;
	size_t i;

	if (a->n_req_aff) {
		for (i = 0; i < a->n_req_aff; i++) {
			v = node_label(n, &a->req_aff[i].key);
			/* All topology labels must exist on the node. */
			if (!v)
				return RSN_AFFINITY;
			if (topo_get(&cy->aff, &a->req_aff[i].key, v) <= 0)
				exist = false;
		}
		/*
		 * The first of a series of pods with affinity to each other: no pod anywhere
		 * matches, and the pod matches its own terms.
		 */
		if (!exist && (cy->aff.any || !cy->aff_self))
			return RSN_AFFINITY;
	}
	for (i = 0; cy->anti.any && i < a->n_req_anti; i++) {
		v = node_label(n, &a->req_anti[i].key);
		if (v && topo_get(&cy->anti, &a->req_anti[i].key, v) > 0)
			return RSN_ANTI_AFFINITY;
	}
	for (i = 0; i < cy->existing_anti.n; i++) {
		k = &cy->existing_anti.k[i];
		v = node_label(n, &k->key);
		if (v && dom_get(&k->t, v->val, v->vh, NULL) > 0)
			return RSN_EXISTING_ANTI;
	}
	return RSN_OK;
}

/* --- all of them --- */

void filter_node(const struct cycle *cy, const struct sched_node *n, struct verdict *v)
{
	const struct pod_priv *pp = cy->pp;
	const struct sched_pod *p = cy->p;

	v->r = RSN_OK;
	v->res = 0;
	v->taint = NULL;
	if (n->unschedulable && !tolerates(pp, TAINT_UNSCHEDULABLE, "", "NoSchedule"))
		v->r = RSN_UNSCHEDULABLE;
	else if (pp->node_name && strcmp(pp->node_name, n->name))
		v->r = RSN_NODE_NAME;
	else if ((v->taint = untolerated_taint(pp, n)))
		v->r = RSN_TAINT;
	else if (!ready_ok(pp, n))
		v->r = RSN_NOT_READY;
	else if (!node_affinity_ok(pp, n))
		v->r = RSN_NODE_AFFINITY;
	else if (!ports_fit(p, n))
		v->r = RSN_PORTS;
	else if ((v->res = resources_fit(p, n)))
		v->r = RSN_RESOURCES;
	else if (pp->n_hard && (v->r = spread_fit(cy, n)))
		;
	else
		v->r = interpod_fit(cy, n);
}

static void put(char *buf, size_t len, size_t *off, const char *s)
{
	int n;

	if (*off >= len)
		return;
	n = snprintf(buf + *off, len - *off, "%s%s", *off ? ", " : "", s);
	*off += n > 0 ? (size_t)n : 0;
}

void verdict_format(const struct sched_pod *p, const struct verdict *v, char *buf, size_t len)
{
	static const char *const fixed[] = { "Too many pods", "Insufficient cpu",
					     "Insufficient memory",
					     "Insufficient ephemeral-storage" };
	char one[SCHED_EXT_NAME + 16];
	size_t off = 0;
	unsigned int i;

	if (!len)
		return;
	buf[0] = '\0';
	switch (v->r) {
	case RSN_TAINT:
		snprintf(buf, len, "node(s) had untolerated taint {%s: %s}", v->taint->key,
			 v->taint->value);
		return;
	case RSN_RESOURCES:
		for (i = 0; i < RES_EXT0; i++)
			if (v->res & (1u << i))
				put(buf, len, &off, fixed[i]);
		for (i = 0; i < p->req.n_ext; i++)
			if (v->res & (1u << (RES_EXT0 + i))) {
				snprintf(one, sizeof(one), "Insufficient %s", p->req.ext[i].name);
				put(buf, len, &off, one);
			}
		return;
	default:
		snprintf(buf, len, "%s", reason_text(v->r));
	}
}

const char *sched_filter(const struct sched_pod *p, const struct sched_cluster *c,
			 const struct sched_node *n, char *buf, size_t len)
{
	struct verdict v;
	struct cycle cy;
	int ret;

	if (p->error[0] || !p->priv) {
		snprintf(buf, len, "%s", p->error[0] ? p->error : "pod not parsed");
		return buf;
	}
	ret = cycle_prepare(&cy, p, c);
	if (ret) {
		snprintf(buf, len, "computing topology counts: %s", strerror(-ret));
		cycle_release(&cy);
		return buf;
	}
	filter_node(&cy, n, &v);
	cycle_release(&cy);
	if (v.r == RSN_OK)
		return NULL;
	verdict_format(p, &v, buf, len);
	return buf;
}
