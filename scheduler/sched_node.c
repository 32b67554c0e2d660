/* sched_node.c — nodes as the scheduler keeps them, and the pods placed on each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "quantity.h"
#include "sched_int.h"
#include "util.h"

static const json_t *jget(const json_t *o, const char *k)
{
	return json_is_object(o) ? json_object_get(o, k) : NULL;
}

static const char *jstr(const json_t *o, const char *k, const char *dflt)
{
	const json_t *v = jget(o, k);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

/*
 * Room for one more element in an array whose length is all we keep: capacities are
 * powers of two from 4, so a length of 0 or of a power of two from 4 means full.
 */
static int grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n && (n < 4 || (n & (n - 1))))
		return 0;
	p = realloc(*arr, (n ? 2 * n : 4) * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

/* status.allocatable (or capacity) into r; -EINVAL names the bad quantity. */
static int node_resources(const char *node, const json_t *list, struct res_vec *r)
{
	const char *name;
	const json_t *v;
	int64_t val;
	int ret;

	json_object_foreach((json_t *)list, name, v) {
		ret = !strcmp(name, "cpu") ? quantity_json_milli(v, &val) :
					     quantity_json_value(v, &val);
		if (ret) {
			pr_warn("node %s: status.allocatable[%s]: not a quantity (%s)", node, name,
				strerror(-ret));
			return -EINVAL;
		}
		if (!strcmp(name, "cpu")) {
			r->cpu_milli = val;
		} else if (!strcmp(name, "memory")) {
			r->mem_bytes = val;
		} else if (!strcmp(name, "pods")) {
			r->pods = val;
		} else if (!strcmp(name, "ephemeral-storage")) {
			r->ephemeral_bytes = val;
		} else if (r->n_ext < SCHED_MAX_EXT && strlen(name) < SCHED_EXT_NAME) {
			strcpy(r->ext[r->n_ext].name, name);
			r->ext[r->n_ext++].value = val;
		} else {
			/* Pods asking for it will find it "Insufficient": say why. */
			pr_warn("node %s: resource %s ignored: more than %d extended resources",
				node, name, SCHED_MAX_EXT);
		}
	}
	return 0;
}

static void taints_free(struct sched_taint *t, size_t n)
{
	size_t i;

	for (i = 0; t && i < n; i++) {
		free(t[i].key);
		free(t[i].value);
		free(t[i].effect);
	}
	free(t);
}

static int parse_taints(const json_t *list, struct sched_taint **out, size_t *n)
{
	struct sched_taint *t;
	const json_t *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_array_size(list))
		return 0;
	t = calloc(json_array_size(list), sizeof(*t));
	if (!t)
		return -ENOMEM;
	json_array_foreach(list, i, v) {
		t[i].key = strdup(jstr(v, "key", ""));
		t[i].value = strdup(jstr(v, "value", ""));
		t[i].effect = strdup(jstr(v, "effect", ""));
		if (!t[i].key || !t[i].value || !t[i].effect) {
			taints_free(t, i + 1);
			return -ENOMEM;
		}
	}
	*out = t;
	*n = json_array_size(list);
	return 0;
}

int sched_node_update(struct sched_node *n, const json_t *node)
{
	const json_t *meta = jget(node, "metadata"), *spec = jget(node, "spec");
	const json_t *status = jget(node, "status"), *alloc, *labels;
	const char *name = jstr(meta, "name", "");
	struct res_vec r = { 0 };
	struct sched_taint *taints;
	struct lbls *idx;
	size_t n_taints;
	char *dup;
	int ret;

	if (!*name) {
		pr_warn("node without metadata.name ignored");
		return -EINVAL;
	}
	/* The apiserver defaults allocatable to capacity when a node reports none. */
	alloc = jget(status, "allocatable");
	if (!json_object_size(alloc))
		alloc = jget(status, "capacity");
	ret = node_resources(name, alloc, &r);
	if (ret)
		return ret;
	ret = parse_taints(jget(spec, "taints"), &taints, &n_taints);
	if (ret)
		return ret;
	labels = jget(meta, "labels");
	labels = json_is_object(labels) ? labels : NULL;
	dup = strdup(name);
	if (!dup || lbls_build(labels, &idx)) {
		free(dup);
		taints_free(taints, n_taints);
		return -ENOMEM;
	}

	json_incref((json_t *)node);
	json_decref(n->node);
	n->node = (json_t *)node;
	free(n->name);
	n->name = dup;
	n->labels = labels;
	free(n->priv);
	n->priv = idx;
	n->alloc = r;
	taints_free(n->taints, n->n_taints);
	n->taints = taints;
	n->n_taints = n_taints;
	n->unschedulable = json_is_true(jget(spec, "unschedulable"));
	n->ready = status_condition_true(status, "Ready");
	return 0;
}

struct sched_node *sched_node_new(const json_t *node)
{
	struct sched_node *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return NULL;
	ret = sched_node_update(n, node);
	if (ret) {
		free(n);
		errno = -ret;
		return NULL;
	}
	return n;
}

static void placed_priv_free(struct placed_priv *pr)
{
	if (!pr)
		return;
	aff_terms_free(&pr->aff);
	free(pr);
}

static void placed_release(struct sched_placed *pl)
{
	placed_priv_free(pl->priv);
	json_decref(pl->pod);
}

void sched_node_free(struct sched_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n_placed; i++)
		placed_release(&n->placed[i]);
	free(n->placed);
	free(n->ports);
	taints_free(n->taints, n->n_taints);
	json_decref(n->node);
	free(n->name);
	free(n->priv);
	free(n);
}

static long find_placed(const struct sched_node *n, const json_t *pod)
{
	const char *ns = pod_ns(pod), *name = pod_name(pod);
	size_t i;

	for (i = 0; i < n->n_placed; i++)
		if (n->placed[i].pod == pod ||
		    (!strcmp(n->placed[i].ns, ns) && !strcmp(pod_name(n->placed[i].pod), name)))
			return i;
	return -1;
}

/* What a placed pod takes; an unreadable request (the apiserver validated it) is none. */
static void placed_requests(const json_t *pod, struct res_vec *req, int64_t *nz_cpu,
			    int64_t *nz_mem)
{
	char err[256];

	if (!pod_requests(pod, req, nz_cpu, nz_mem, err, sizeof(err)))
		return;
	pr_warn("pod %s/%s: %s; counted as requesting nothing", pod_ns(pod), pod_name(pod), err);
	memset(req, 0, sizeof(*req));
	req->pods = 1;
	*nz_cpu = *nz_mem = 0;
}

static bool port_eq(const struct sched_hostport *a, const struct sched_hostport *b)
{
	return a->port == b->port && !strcmp(a->proto, b->proto) && !strcmp(a->ip, b->ip);
}

static void remove_at(struct sched_node *n, size_t idx)
{
	struct sched_placed *pl = &n->placed[idx];
	struct placed_priv *pr = pl->priv;
	struct sched_hostport *ports;
	struct res_vec req;
	int64_t nzc, nzm;
	size_t i, j, np;

	placed_requests(pl->pod, &req, &nzc, &nzm);
	res_add(&n->req, &req, -1);
	n->nz_cpu_milli -= nzc;
	n->nz_mem_bytes -= nzm;
	if (!pod_host_ports(pl->pod, &ports, &np)) {
		for (i = 0; i < np; i++)
			for (j = 0; j < n->n_ports; j++)
				if (port_eq(&ports[i], &n->ports[j])) {
					memmove(&n->ports[j], &n->ports[j + 1],
						(n->n_ports - j - 1) * sizeof(*n->ports));
					n->n_ports--;
					break;
				}
		free(ports);
	}
	if (pr && aff_terms_any(&pr->aff)) {
		n->n_with_affinity--;
		n->n_with_anti -= pr->aff.n_req_anti > 0;
	}
	placed_release(pl);
	memmove(pl, pl + 1, (n->n_placed - idx - 1) * sizeof(*pl));
	n->n_placed--;
}

void sched_node_remove_pod(struct sched_node *n, const json_t *pod)
{
	long idx = find_placed(n, pod);

	if (idx >= 0)
		remove_at(n, idx);
}

/* What the plugins need of a placed pod: its labels indexed, its affinity terms. */
static int placed_parse(const json_t *pod, const json_t *labels, struct placed_priv **out)
{
	const json_t *meta = jget(pod, "metadata");
	struct placed_priv *pr;
	char err[256];

	size_t ns_len = strlen(pod_ns(pod)) + 1, off;

	/* One block: the scans over every placed pod miss the cache once per pod, not thrice. */
	*out = NULL;
	off = (sizeof(*pr) + ns_len + 7) & ~(size_t)7;
	pr = calloc(1, off + lbls_size(labels));
	if (!pr)
		return -ENOMEM;
	pr->labels = lbls_fill(labels, (char *)pr + off);
	memcpy(pr->ns, pod_ns(pod), ns_len);
	pr->ns_h = str_hash(pr->ns);
	pr->terminating = jget(meta, "deletionTimestamp") &&
			  !json_is_null(jget(meta, "deletionTimestamp"));
	if (aff_terms_parse(jget(jget(pod, "spec"), "affinity"), pod_ns(pod), &pr->aff, err,
			    sizeof(err))) {
		/* As kube-scheduler's PodInfo: terms it cannot read constrain nothing. */
		pr_warn("pod %s/%s: %s; its pod affinity terms are ignored", pod_ns(pod),
			pod_name(pod), err);
		aff_terms_free(&pr->aff);
	}
	*out = pr;
	return 0;
}

void sched_node_add_pod(struct sched_node *n, const json_t *pod)
{
	struct sched_hostport *ports = NULL;
	struct placed_priv *pr = NULL;
	struct sched_placed *pl;
	const json_t *labels = jget(jget(pod, "metadata"), "labels");
	struct res_vec req;
	int64_t nzc, nzm;
	size_t i, np = 0;
	long idx;

	/* The same pod again (an update): replace it. */
	idx = find_placed(n, pod);
	if (idx >= 0)
		remove_at(n, idx);

	if (grow((void **)&n->placed, n->n_placed, sizeof(*n->placed)) ||
	    pod_host_ports(pod, &ports, &np) ||
	    placed_parse(pod, json_is_object(labels) ? labels : NULL, &pr))
		goto oom;
	for (i = 0; i < np; i++)
		if (grow((void **)&n->ports, n->n_ports + i, sizeof(*n->ports)))
			goto oom;

	placed_requests(pod, &req, &nzc, &nzm);
	res_add(&n->req, &req, 1);
	n->nz_cpu_milli += nzc;
	n->nz_mem_bytes += nzm;
	if (np)
		memcpy(&n->ports[n->n_ports], ports, np * sizeof(*ports));
	n->n_ports += np;
	free(ports);
	if (aff_terms_any(&pr->aff)) {
		n->n_with_affinity++;
		n->n_with_anti += pr->aff.n_req_anti > 0;
	}
	pl = &n->placed[n->n_placed++];
	pl->pod = json_incref((json_t *)pod);
	pl->labels = json_is_object(labels) ? labels : NULL;
	pl->ns = pod_ns(pod);
	pl->priv = pr;
	pl->ns_h = pr->ns_h;
	return;
oom:
	pr_warn("node %s: pod %s/%s not accounted: out of memory", n->name, pod_ns(pod),
		pod_name(pod));
	free(ports);
	placed_priv_free(pr);
}
