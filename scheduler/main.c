/* main.c — kbpf-scheduler: watches Pods without a node and Nodes through the apiserver,
 * decides with the plugins of sched.h, and binds through pods/binding.
 *
 * Threads: the informers (nodes, pods, namespaces) keep the cache; one scheduling thread
 * takes pods from the queue in priority order and decides against the cache, assuming its
 * choice at once (the next pod sees it) so that binding can happen in parallel; a pool
 * of binders POSTs the Bindings and records the Events. Locks: cache_mu (the cluster and
 * the pods placed on it) and q_mu (the queue) are never held together. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uthash.h>

#include "events.h"
#include "informer.h"
#include "kclient.h"
#include "leader.h"
#include "log.h"
#include "sched.h"
#include "util.h"

#define COMPONENT "default-scheduler"

struct config {
	const char *kubeconfig, *master;
	const char *scheduler_name;
	bool leader_elect;
	int lease_seconds, renew_seconds, retry_seconds;
	const char *lease_name, *lease_ns;
	int binders;
	int initial_backoff_s, max_backoff_s;
	int max_unschedulable_s; /* an unschedulable pod is retried at least this often */
	bool events;
};

/* --- the queue: active (priority, then first seen), backoff, unschedulable --- */

enum qstate { Q_ACTIVE, Q_BACKOFF, Q_UNSCHEDULABLE, Q_INFLIGHT };

struct qpod {
	char *key;
	json_t *pod;        /* the newest version seen */
	int64_t prio;       /* spec.priority */
	uint64_t seq;       /* order of first arrival: FIFO among equal priorities */
	enum qstate state;
	double ready_at;    /* Q_BACKOFF: not before (monotonic seconds) */
	double since;       /* Q_UNSCHEDULABLE: when it went there */
	int attempts;
	size_t heap_idx;
	bool changed;       /* Q_INFLIGHT: its spec or labels changed meanwhile */
	bool gone;          /* Q_INFLIGHT: deleted or bound by someone else meanwhile */
	UT_hash_handle hh;
};

struct heap {
	struct qpod **v;
	size_t n, cap;
	bool (*less)(const struct qpod *a, const struct qpod *b);
};

static bool active_less(const struct qpod *a, const struct qpod *b)
{
	return a->prio != b->prio ? a->prio > b->prio : a->seq < b->seq;
}

static bool backoff_less(const struct qpod *a, const struct qpod *b)
{
	return a->ready_at < b->ready_at;
}

static void heap_swap(struct heap *h, size_t i, size_t j)
{
	struct qpod *t = h->v[i];

	h->v[i] = h->v[j];
	h->v[j] = t;
	h->v[i]->heap_idx = i;
	h->v[j]->heap_idx = j;
}

static void heap_fix(struct heap *h, size_t i)
{
	while (i > 0 && h->less(h->v[i], h->v[(i - 1) / 2])) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && h->less(h->v[l], h->v[m]))
			m = l;
		if (r < h->n && h->less(h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(h, i, m);
		i = m;
	}
}

static int heap_push(struct heap *h, struct qpod *p)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		struct qpod **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n] = p;
	p->heap_idx = h->n++;
	heap_fix(h, p->heap_idx);
	return 0;
}

static void heap_remove(struct heap *h, struct qpod *p)
{
	size_t i = p->heap_idx;

	if (i >= h->n || h->v[i] != p)
		return;
	h->n--;
	if (i != h->n) {
		h->v[i] = h->v[h->n];
		h->v[i]->heap_idx = i;
		heap_fix(h, i);
	}
}

/* --- the cache: nodes and the pods placed on them --- */

struct node_entry {
	char *name;
	struct sched_node *n;
	size_t pos; /* in cluster.nodes */
	UT_hash_handle hh;
};

/* A pod on a node: bound (seen with spec.nodeName) or assumed (our binding in flight). */
struct placed_entry {
	char *key;
	char *node;
	json_t *pod;   /* what was added to the node */
	bool assumed;
	bool accounted; /* false while its node is not (yet) known */
	UT_hash_handle hh;
};

struct bind_job {
	struct bind_job *next;
	struct qpod *qp;
	json_t *pod;
	char *node;
};

static struct {
	struct config cfg;
	struct kclient *c;
	volatile bool stop;

	pthread_mutex_t cache_mu;
	struct sched_cluster cluster;
	size_t nodes_cap;
	struct node_entry *nodes;
	struct placed_entry *placed;
	size_t n_orphans;  /* placed entries whose node is unknown */
	json_t *ns_labels; /* namespace name -> labels */

	pthread_mutex_t q_mu;
	pthread_cond_t q_cond;
	struct qpod *pending;        /* every pod the queue knows, by key */
	struct heap active, backoff;
	uint64_t seq;
	uint64_t cluster_gen;        /* bumped by every change that may make a pod fit */
	uint64_t moved_gen;          /* the generation unschedulable pods were last moved at */

	pthread_mutex_t bind_mu;
	pthread_cond_t bind_cond;
	struct bind_job *jobs, **jobs_tail;
	pthread_t *binder_threads;

	/* Counters for the log line of each minute. */
	unsigned long n_bound, n_failed_attempts, n_bind_errors;
} S;

static const json_t *jget(const json_t *o, const char *k)
{
	return json_object_get(o, k);
}

static const char *jstr2(const json_t *o, const char *a, const char *b)
{
	return json_string_value(jget(jget(o, a), b));
}

/* A change in the cluster: pods found unschedulable may fit now. */
static void cluster_changed(void)
{
	pthread_mutex_lock(&S.q_mu);
	S.cluster_gen++;
	pthread_cond_signal(&S.q_cond);
	pthread_mutex_unlock(&S.q_mu);
}

/* --- cache maintenance (cache_mu held) --- */

static struct node_entry *node_find(const char *name)
{
	struct node_entry *e;

	HASH_FIND_STR(S.nodes, name, e);
	return e;
}

/* n_orphans counts the entries with accounted false. */
static void placed_account(struct placed_entry *p)
{
	struct node_entry *e = node_find(p->node);

	p->accounted = e != NULL;
	if (e)
		sched_node_add_pod(e->n, p->pod);
	else
		S.n_orphans++;
}

static void placed_unaccount(struct placed_entry *p)
{
	struct node_entry *e = node_find(p->node);

	if (!p->accounted)
		S.n_orphans--;
	else if (e)
		sched_node_remove_pod(e->n, p->pod);
	p->accounted = false;
}

static void placed_drop(struct placed_entry *p)
{
	placed_unaccount(p);
	HASH_DEL(S.placed, p);
	json_decref(p->pod);
	free(p->node);
	free(p->key);
	free(p);
}

/* The pod is on node (bound, or assumed by us). Returns true when it was not known there
 * before. */
static bool placed_set(const char *key, const char *node, json_t *pod, bool assumed)
{
	struct placed_entry *p;

	HASH_FIND_STR(S.placed, key, p);
	if (p && strcmp(p->node, node)) {
		placed_drop(p);
		p = NULL;
	}
	if (p) {
		placed_unaccount(p);
		json_decref(p->pod);
		p->pod = json_incref(pod);
		p->assumed = assumed;
		placed_account(p);
		return false;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->key = strdup(key)) || !(p->node = strdup(node))) {
		if (p)
			free(p->key);
		free(p);
		pr_warn("out of memory caching pod %s\n", key);
		return false;
	}
	p->pod = json_incref(pod);
	p->assumed = assumed;
	HASH_ADD_KEYPTR(hh, S.placed, p->key, strlen(p->key), p);
	placed_account(p);
	return true;
}

/* Pods cached on a node we did not know: account them now that it exists. */
static void adopt_orphans(const char *node)
{
	struct placed_entry *p, *tmp;

	if (!S.n_orphans)
		return;
	HASH_ITER(hh, S.placed, p, tmp) {
		if (!p->accounted && !strcmp(p->node, node)) {
			S.n_orphans--;
			placed_account(p);
		}
	}
}

/* --- informer handlers: nodes --- */

static bool node_relevant_change(const json_t *old, const json_t *obj)
{
	static const char *const status_fields[] = { "allocatable", "capacity", "conditions" };
	size_t i;

	if (!json_same(jget(jget(old, "metadata"), "labels"), jget(jget(obj, "metadata"), "labels")) ||
	    !json_same(jget(old, "spec"), jget(obj, "spec")))
		return true;
	for (i = 0; i < sizeof(status_fields) / sizeof(*status_fields); i++) {
		const json_t *a = jget(jget(old, "status"), status_fields[i]);
		const json_t *b = jget(jget(obj, "status"), status_fields[i]);

		if (i == 2) {
			/* Heartbeat times change every renewal; only Ready's status matters. */
			size_t k;
			const json_t *cnd;
			const char *ra = NULL, *rb = NULL;

			json_array_foreach(a, k, cnd)
				if (!strcmp(json_string_value(jget(cnd, "type")) ?: "", "Ready"))
					ra = json_string_value(jget(cnd, "status"));
			json_array_foreach(b, k, cnd)
				if (!strcmp(json_string_value(jget(cnd, "type")) ?: "", "Ready"))
					rb = json_string_value(jget(cnd, "status"));
			if ((ra || rb) && (!ra || !rb || strcmp(ra, rb)))
				return true;
			continue;
		}
		if (!json_same(a, b))
			return true;
	}
	return false;
}

static void on_node_add(void *ctx, const json_t *obj)
{
	const char *name = jstr2(obj, "metadata", "name");
	struct node_entry *e;
	struct sched_node *n;
	(void)ctx;

	if (!name)
		return;
	n = sched_node_new(obj);
	if (!n) {
		pr_warn("node %s: cannot be parsed; not scheduling onto it\n", name);
		return;
	}
	pthread_mutex_lock(&S.cache_mu);
	if (node_find(name)) {
		pthread_mutex_unlock(&S.cache_mu);
		sched_node_free(n);
		return;
	}
	e = calloc(1, sizeof(*e));
	if (S.cluster.n_nodes == S.nodes_cap) {
		size_t cap = S.nodes_cap ? S.nodes_cap * 2 : 256;
		struct sched_node **v = realloc(S.cluster.nodes, cap * sizeof(*v));

		if (v) {
			S.cluster.nodes = v;
			S.nodes_cap = cap;
		}
	}
	if (!e || S.cluster.n_nodes == S.nodes_cap || !(e->name = strdup(name))) {
		pthread_mutex_unlock(&S.cache_mu);
		pr_warn("out of memory adding node %s\n", name);
		free(e);
		sched_node_free(n);
		return;
	}
	e->n = n;
	e->pos = S.cluster.n_nodes;
	S.cluster.nodes[S.cluster.n_nodes++] = n;
	HASH_ADD_KEYPTR(hh, S.nodes, e->name, strlen(e->name), e);
	adopt_orphans(name);
	pthread_mutex_unlock(&S.cache_mu);
	cluster_changed();
}

static void on_node_update(void *ctx, const json_t *old, const json_t *obj)
{
	const char *name = jstr2(obj, "metadata", "name");
	struct node_entry *e;
	bool relevant;
	(void)ctx;

	if (old == obj) /* a resync: nothing new */
		return;
	relevant = node_relevant_change(old, obj);
	pthread_mutex_lock(&S.cache_mu);
	e = node_find(name ? name : "");
	if (e && sched_node_update(e->n, obj))
		pr_warn("node %s: cannot be parsed; keeping what we knew of it\n", name);
	pthread_mutex_unlock(&S.cache_mu);
	if (!e)
		on_node_add(ctx, obj);
	else if (relevant)
		cluster_changed();
}

static void on_node_del(void *ctx, const json_t *obj)
{
	const char *name = jstr2(obj, "metadata", "name");
	struct node_entry *e, *last;
	struct placed_entry *p, *tmp;
	(void)ctx;

	pthread_mutex_lock(&S.cache_mu);
	e = node_find(name ? name : "");
	if (!e) {
		pthread_mutex_unlock(&S.cache_mu);
		return;
	}
	/* Its pods stay cached, unaccounted, should the node come back. */
	HASH_ITER(hh, S.placed, p, tmp) {
		if (p->accounted && !strcmp(p->node, name)) {
			p->accounted = false;
			S.n_orphans++;
		}
	}
	S.cluster.n_nodes--;
	if (e->pos != S.cluster.n_nodes) {
		struct sched_node *moved = S.cluster.nodes[S.cluster.n_nodes];

		S.cluster.nodes[e->pos] = moved;
		last = node_find(moved->name);
		if (last)
			last->pos = e->pos;
	}
	HASH_DEL(S.nodes, e);
	sched_node_free(e->n);
	free(e->name);
	free(e);
	pthread_mutex_unlock(&S.cache_mu);
}

/* --- informer handlers: namespaces (labels, for affinity terms' namespaceSelector) --- */

static void on_ns_set(void *ctx, const json_t *obj)
{
	const char *name = jstr2(obj, "metadata", "name");
	const json_t *labels = jget(jget(obj, "metadata"), "labels");
	(void)ctx;

	if (!name)
		return;
	pthread_mutex_lock(&S.cache_mu);
	json_object_set_new(S.ns_labels, name, labels ? json_deep_copy(labels) : json_object());
	pthread_mutex_unlock(&S.cache_mu);
}

static void on_ns_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)old;
	on_ns_set(ctx, obj);
}

static void on_ns_del(void *ctx, const json_t *obj)
{
	const char *name = jstr2(obj, "metadata", "name");
	(void)ctx;

	pthread_mutex_lock(&S.cache_mu);
	if (name)
		json_object_del(S.ns_labels, name);
	pthread_mutex_unlock(&S.cache_mu);
}

/* --- informer handlers: pods --- */

static bool pod_terminal(const json_t *pod)
{
	const char *phase = jstr2(pod, "status", "phase");

	return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

static bool ours(const json_t *pod)
{
	const char *s = jstr2(pod, "spec", "schedulerName");

	return !s || !*s || !strcmp(s, S.cfg.scheduler_name);
}

/* What could make an unschedulable pod fit: its spec, labels or annotations (not its
 * status, which we write ourselves). */
static bool pod_spec_changed(const json_t *a, const json_t *b)
{
	return !json_same(jget(a, "spec"), jget(b, "spec")) ||
	       !json_same(jget(jget(a, "metadata"), "labels"), jget(jget(b, "metadata"), "labels")) ||
	       !json_same(jget(jget(a, "metadata"), "annotations"), jget(jget(b, "metadata"), "annotations"));
}

static void qpod_free(struct qpod *p)
{
	json_decref(p->pod);
	free(p->key);
	free(p);
}

/* q_mu held. */
static void queue_forget(const char *key)
{
	struct qpod *p;

	HASH_FIND_STR(S.pending, key, p);
	if (!p)
		return;
	if (p->state == Q_INFLIGHT) {
		p->gone = true; /* the scheduling thread or a binder frees it */
		return;
	}
	if (p->state == Q_ACTIVE)
		heap_remove(&S.active, p);
	else if (p->state == Q_BACKOFF)
		heap_remove(&S.backoff, p);
	HASH_DEL(S.pending, p);
	qpod_free(p);
}

/* q_mu held. */
static void queue_offer(const char *key, const json_t *pod)
{
	struct qpod *p;

	HASH_FIND_STR(S.pending, key, p);
	if (p) {
		bool changed = pod_spec_changed(p->pod, pod);


		json_decref(p->pod);
		p->pod = json_incref((json_t *)pod);
		p->prio = json_integer_value(jget(jget(pod, "spec"), "priority"));
		if (p->state == Q_INFLIGHT) {
			p->changed |= changed;
		} else if (changed && p->state == Q_UNSCHEDULABLE) {
			p->state = Q_ACTIVE;
			heap_push(&S.active, p);
			pthread_cond_signal(&S.q_cond);
		} else if (p->state == Q_ACTIVE) {
			heap_fix(&S.active, p->heap_idx); /* its priority may have changed */
		}
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->key = strdup(key))) {
		free(p);
		pr_warn("out of memory queueing pod %s\n", key);
		return;
	}
	p->pod = json_incref((json_t *)pod);
	p->prio = json_integer_value(jget(jget(pod, "spec"), "priority"));
	p->seq = S.seq++;
	p->state = Q_ACTIVE;
	HASH_ADD_KEYPTR(hh, S.pending, p->key, strlen(p->key), p);
	heap_push(&S.active, p);
	pthread_cond_signal(&S.q_cond);
}

static void on_pod(const json_t *obj, bool deleted)
{
	char key[512];
	const char *node = jstr2(obj, "spec", "nodeName");
	bool freed = false;

	informer_key(obj, key, sizeof(key));
	if (deleted || pod_terminal(obj)) {
		struct placed_entry *p;

		/* A pod that ended frees what it held; one being deleted keeps it until it is
		 * gone, as kube-scheduler counts it. */
		pthread_mutex_lock(&S.cache_mu);
		HASH_FIND_STR(S.placed, key, p);
		if (p) {
			placed_drop(p);
			freed = true;
		}
		pthread_mutex_unlock(&S.cache_mu);
		pthread_mutex_lock(&S.q_mu);
		queue_forget(key);
		pthread_mutex_unlock(&S.q_mu);
		if (freed)
			cluster_changed();
		return;
	}
	if (node && *node) {
		pthread_mutex_lock(&S.cache_mu);
		placed_set(key, node, (json_t *)obj, false); /* informer objects never change */
		pthread_mutex_unlock(&S.cache_mu);
		pthread_mutex_lock(&S.q_mu);
		queue_forget(key);
		pthread_mutex_unlock(&S.q_mu);
		return;
	}
	pthread_mutex_lock(&S.q_mu);
	if (!ours(obj) || jget(jget(obj, "metadata"), "deletionTimestamp"))
		queue_forget(key);
	else
		queue_offer(key, obj);
	pthread_mutex_unlock(&S.q_mu);
}

static void on_pod_add(void *ctx, const json_t *obj)
{
	(void)ctx;
	on_pod(obj, false);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)ctx;
	if (old != obj) /* resyncs change nothing here */
		on_pod(obj, false);
}

static void on_pod_del(void *ctx, const json_t *obj)
{
	(void)ctx;
	on_pod(obj, true);
}

/* --- outcomes --- */

/* Tell the pod's status why it waits (PodScheduled=False), as kube-scheduler does, unless
 * it already says so. */
static void set_unschedulable(const json_t *pod, const char *reason, const char *msg)
{
	const json_t *conds = jget(jget(pod, "status"), "conditions"), *c;
	char path[512], now[32];
	json_t *patch, *out = NULL;
	size_t i;
	long code;

	json_array_foreach(conds, i, c) {
		if (!strcmp(json_string_value(jget(c, "type")) ?: "", "PodScheduled") &&
		    !strcmp(json_string_value(jget(c, "status")) ?: "", "False") &&
		    !strcmp(json_string_value(jget(c, "message")) ?: "", msg))
			return;
	}
	rfc3339_now(now, sizeof(now), false);
	kpath(path, sizeof(path), "v1", jstr2(pod, "metadata", "namespace"), "pods",
	      jstr2(pod, "metadata", "name"), "status");
	patch = json_pack("{s:{s:[{s:s,s:s,s:s,s:s,s:n,s:s}]}}", "status", "conditions", "type",
			  "PodScheduled", "status", "False", "reason", reason, "message", msg,
			  "lastProbeTime", "lastTransitionTime", now);
	code = kclient_patch(S.c, path, "strategic", patch, &out);
	if (code != 200 && code != 404) {
		char m[256];

		pr_debug("pod %s: status not updated: %s\n", path, kstatus_message(out, code, m, sizeof(m)));
	}
	json_decref(out);
	json_decref(patch);
}

/* After a failed attempt: wait for a change (unschedulable) or a backoff. q_mu held. */
static void requeue_failed(struct qpod *p, bool retry_soon)
{
	double backoff = S.cfg.initial_backoff_s;
	int i;

	p->attempts++;
	for (i = 1; i < p->attempts && backoff < S.cfg.max_backoff_s; i++)
		backoff *= 2;
	if (backoff > S.cfg.max_backoff_s)
		backoff = S.cfg.max_backoff_s;
	p->ready_at = mono_now() + backoff;
	if (retry_soon) {
		p->state = Q_BACKOFF;
		heap_push(&S.backoff, p);
	} else {
		p->state = Q_UNSCHEDULABLE;
		p->since = mono_now();
	}
	p->changed = false;
	pthread_cond_signal(&S.q_cond);
}

/* The attempt on p is over (bound, or given up on). q_mu held. */
static void finish(struct qpod *p)
{
	HASH_DEL(S.pending, p);
	qpod_free(p);
}

/* Forget an assumption whose binding failed (unless the informer confirmed the pod
 * meanwhile, bound to some node). */
static void unassume(const char *key, const char *node)
{
	struct placed_entry *p;

	pthread_mutex_lock(&S.cache_mu);
	HASH_FIND_STR(S.placed, key, p);
	if (p && p->assumed && !strcmp(p->node, node))
		placed_drop(p);
	pthread_mutex_unlock(&S.cache_mu);
}

static void bind_one(struct bind_job *j)
{
	const char *ns = jstr2(j->pod, "metadata", "namespace");
	const char *name = jstr2(j->pod, "metadata", "name");
	char path[512], key[512], msg[512];
	json_t *binding, *out = NULL;
	long code;

	informer_key(j->pod, key, sizeof(key));
	kpath(path, sizeof(path), "v1", ns, "pods", name, "binding");
	binding = json_pack("{s:s,s:s,s:{s:s,s:s,s:O*},s:{s:s,s:s,s:s}}", "apiVersion", "v1", "kind",
			    "Binding", "metadata", "name", name, "namespace", ns, "uid",
			    jget(jget(j->pod, "metadata"), "uid"), "target", "apiVersion", "v1",
			    "kind", "Node", "name", j->node);
	code = kclient_post(S.c, path, binding, &out);
	json_decref(binding);
	if (code == 201 || code == 200) {
		if (S.cfg.events)
			event_record(S.c, COMPONENT, NULL, j->pod, "Normal", "Scheduled",
				     "Successfully assigned %s/%s to %s", ns, name, j->node);
		pthread_mutex_lock(&S.q_mu);
		S.n_bound++;
		finish(j->qp);
		pthread_mutex_unlock(&S.q_mu);
	} else {
		kstatus_message(out, code, msg, sizeof(msg));
		pr_warn("binding %s to %s: %s\n", key, j->node, msg);
		unassume(key, j->node);
		if (S.cfg.events && code != 404)
			event_record(S.c, COMPONENT, NULL, j->pod, "Warning", "FailedScheduling",
				     "Binding rejected: %s", msg);
		pthread_mutex_lock(&S.q_mu);
		S.n_bind_errors++;
		/* Gone (404) or bound by someone else (409 "already assigned"): the informer
		 * has or will have the truth. Anything else: try again after a backoff. */
		if (j->qp->gone || code == 404 || (code == 409 && strstr(msg, "already assigned")))
			finish(j->qp);
		else
			requeue_failed(j->qp, true);
		pthread_mutex_unlock(&S.q_mu);
		cluster_changed(); /* what we had assumed is free again */
	}
	json_decref(out);
}

static void *binder(void *arg)
{
	(void)arg;
	for (;;) {
		struct bind_job *j;

		pthread_mutex_lock(&S.bind_mu);
		while (!S.jobs && !S.stop)
			pthread_cond_wait(&S.bind_cond, &S.bind_mu);
		j = S.jobs;
		if (j) {
			S.jobs = j->next;
			if (!S.jobs)
				S.jobs_tail = &S.jobs;
		}
		pthread_mutex_unlock(&S.bind_mu);
		if (!j)
			return NULL; /* stopping, and nothing left to bind */
		bind_one(j);
		json_decref(j->pod);
		free(j->node);
		free(j);
	}
}

static void submit_bind(struct qpod *qp, json_t *pod, const char *node)
{
	struct bind_job *j = calloc(1, sizeof(*j));

	if (!j || !(j->node = strdup(node))) {
		free(j);
		pthread_mutex_lock(&S.q_mu);
		requeue_failed(qp, true);
		pthread_mutex_unlock(&S.q_mu);
		return;
	}
	j->qp = qp;
	j->pod = json_incref(pod);
	pthread_mutex_lock(&S.bind_mu);
	*S.jobs_tail = j;
	S.jobs_tail = &j->next;
	pthread_cond_signal(&S.bind_cond);
	pthread_mutex_unlock(&S.bind_mu);
}

/* --- the scheduling loop --- */

/* Move what is due: backoffs that expired; unschedulable pods when the cluster changed
 * since they failed (to backoff when theirs has not expired), or that waited too long.
 * q_mu held. */
static void queue_flush(void)
{
	double now = mono_now();
	struct qpod *p, *tmp;

	while (S.backoff.n && S.backoff.v[0]->ready_at <= now) {
		p = S.backoff.v[0];
		heap_remove(&S.backoff, p);
		p->state = Q_ACTIVE;
		heap_push(&S.active, p);
	}
	if (S.moved_gen != S.cluster_gen) {
		S.moved_gen = S.cluster_gen;
		HASH_ITER(hh, S.pending, p, tmp) {
			if (p->state != Q_UNSCHEDULABLE)
				continue;
			if (p->ready_at > now) {
				p->state = Q_BACKOFF;
				heap_push(&S.backoff, p);
			} else {
				p->state = Q_ACTIVE;
				heap_push(&S.active, p);
			}
		}
	}
}

static void flush_stale_unschedulable(void)
{
	double now = mono_now();
	struct qpod *p, *tmp;

	HASH_ITER(hh, S.pending, p, tmp) {
		if (p->state == Q_UNSCHEDULABLE && now - p->since >= S.cfg.max_unschedulable_s) {
			p->state = Q_ACTIVE;
			heap_push(&S.active, p);
		}
	}
}

/* The next pod to try, or NULL when stopping. Sets *gen to the cluster generation the
 * attempt starts from. */
static struct qpod *queue_pop(uint64_t *gen)
{
	static double last_stale;
	struct qpod *p = NULL;

	pthread_mutex_lock(&S.q_mu);
	while (!S.stop) {
		queue_flush();
		if (mono_now() - last_stale >= 30) { /* the first time too: cheap */
			flush_stale_unschedulable();
			last_stale = mono_now();
		}
		if (S.active.n) {
			p = S.active.v[0];
			heap_remove(&S.active, p);
			p->state = Q_INFLIGHT;
			p->changed = p->gone = false;
			*gen = S.cluster_gen;
			break;
		}
		{
			struct timespec until;
			double wait = 1.0;

			if (S.backoff.n && S.backoff.v[0]->ready_at - mono_now() < wait)
				wait = S.backoff.v[0]->ready_at - mono_now();
			if (wait < 0.001)
				wait = 0.001;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += (time_t)wait;
			until.tv_nsec += (long)((wait - (time_t)wait) * 1e9);
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&S.q_cond, &S.q_mu, &until);
		}
	}
	pthread_mutex_unlock(&S.q_mu);
	return p;
}

static void schedule_one(struct qpod *qp, uint64_t gen)
{
	struct sched_result res = { 0 };
	struct sched_pod sp;
	json_t *pod, *assumed = NULL;
	char key[512], node[256] = "";

	pthread_mutex_lock(&S.q_mu);
	pod = json_incref(qp->pod);
	pthread_mutex_unlock(&S.q_mu);
	informer_key(pod, key, sizeof(key));

	if (sched_pod_parse(pod, &sp)) {
		/* A pod we cannot read (a malformed selector, an unknown quantity) waits for
		 * its owner to fix it; say so where they look. */
		pr_info("pod %s: %s\n", key, sp.error);
		if (S.cfg.events)
			event_record(S.c, COMPONENT, NULL, pod, "Warning", "FailedScheduling", "%s",
				     sp.error);
		set_unschedulable(pod, "Unschedulable", sp.error);
		sched_pod_release(&sp);
		pthread_mutex_lock(&S.q_mu);
		S.n_failed_attempts++;
		if (qp->gone)
			finish(qp);
		else
			requeue_failed(qp, qp->changed);
		pthread_mutex_unlock(&S.q_mu);
		json_decref(pod);
		return;
	}

	pthread_mutex_lock(&S.cache_mu);
	sched_schedule(&sp, &S.cluster, &res);
	if (res.node) {
		/* Assume it: the next decision sees the node with this pod on it. */
		snprintf(node, sizeof(node), "%s", res.node->name);
		assumed = json_deep_copy(pod);
		json_object_set_new(json_object_get(assumed, "spec"), "nodeName", json_string(node));
		placed_set(key, node, assumed, true);
	}
	pthread_mutex_unlock(&S.cache_mu);
	sched_pod_release(&sp);

	if (*node) {
		submit_bind(qp, pod, node);
	} else {
		pr_debug("pod %s: %s\n", key, res.summary);
		if (S.cfg.events)
			event_record(S.c, COMPONENT, NULL, pod, "Warning", "FailedScheduling", "%s",
				     res.summary);
		set_unschedulable(pod, "Unschedulable", res.summary);
		pthread_mutex_lock(&S.q_mu);
		S.n_failed_attempts++;
		if (qp->gone)
			finish(qp);
		else /* the cluster changed during the attempt: it may fit already */
			requeue_failed(qp, qp->changed || S.cluster_gen != gen);
		pthread_mutex_unlock(&S.q_mu);
	}
	json_decref(assumed);
	json_decref(pod);
}

static void *scheduling_loop(void *arg)
{
	double last_report = mono_now();
	uint64_t gen;
	(void)arg;

	for (;;) {
		struct qpod *p = queue_pop(&gen);

		if (!p)
			return NULL;
		schedule_one(p, gen);
		if (mono_now() - last_report >= 60) {
			pthread_mutex_lock(&S.q_mu);
			pr_info("bound %lu pods, %lu failed attempts, %lu binding errors; %u pending\n",
				S.n_bound, S.n_failed_attempts, S.n_bind_errors,
				HASH_COUNT(S.pending));
			pthread_mutex_unlock(&S.q_mu);
			last_report = mono_now();
		}
	}
}

/* --- main --- */

/* SIGINT and SIGTERM are blocked in every thread and taken here. */
static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	sigwait(set, &sig);
	pr_info("%s: stopping\n", strsignal(sig));
	S.stop = true;
	pthread_mutex_lock(&S.q_mu);
	pthread_cond_broadcast(&S.q_cond);
	pthread_mutex_unlock(&S.q_mu);
	pthread_mutex_lock(&S.bind_mu);
	pthread_cond_broadcast(&S.bind_cond);
	pthread_mutex_unlock(&S.bind_mu);
	return NULL;
}

static void on_lost_lease(void *ctx)
{
	(void)ctx;
	/* As kube-scheduler: a leader that cannot renew exits, and is restarted as a
	 * standby; going on would mean two schedulers binding. */
	kbpf_log(LOG_LEVEL_WARN, "kbpf-scheduler: leader election lost; exiting\n");
	_exit(1);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kbpf-scheduler [OPTIONS]\n"
		"Places pods on nodes: watches pods without a node and the nodes through the\n"
		"apiserver, filters and scores as kube-scheduler does, binds through pods/binding.\n"
		"\n"
		"  --kubeconfig FILE                    the apiserver to use (default: $KUBECONFIG,\n"
		"                                       then ~/.kube/config)\n"
		"  --master URL                         the apiserver's address (overrides the kubeconfig's)\n"
		"  --scheduler-name NAME                pods with this spec.schedulerName (or none) are\n"
		"                                       ours (default default-scheduler)\n"
		"  --leader-elect[=BOOL]                one active scheduler among several (default true)\n"
		"  --leader-elect-lease-duration SEC    a standby takes over after this long (default 15)\n"
		"  --leader-elect-renew-deadline SEC    a leader that cannot renew this long exits (default 10)\n"
		"  --leader-elect-retry-period SEC      how often to try (default 2)\n"
		"  --leader-elect-resource-name NAME    the Lease (default kbpf-scheduler)\n"
		"  --leader-elect-resource-namespace NS its namespace (default kube-system)\n"
		"  --parallelism N                      bindings in flight at once (default 16)\n"
		"  --pod-initial-backoff-seconds N      first retry of a failed pod (default 1)\n"
		"  --pod-max-backoff-seconds N          longest wait between retries (default 10)\n"
		"  --no-events                          do not record Scheduled events (benchmarks)\n"
		"  -v, --verbose                        debug logging\n"
		"  -h, --help                           this text\n");
}

static int parse_positive(const char *flag, const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1 || v > INT_MAX) {
		fprintf(stderr, "kbpf-scheduler: --%s %s: expected a positive integer\n", flag, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_KUBECONFIG = 256, O_MASTER, O_NAME, O_LE, O_LE_LEASE, O_LE_RENEW, O_LE_RETRY,
	       O_LE_NAME, O_LE_NS, O_PAR, O_BO_INIT, O_BO_MAX, O_NO_EVENTS };
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
		{ "master", required_argument, NULL, O_MASTER },
		{ "scheduler-name", required_argument, NULL, O_NAME },
		{ "leader-elect", optional_argument, NULL, O_LE },
		{ "leader-elect-lease-duration", required_argument, NULL, O_LE_LEASE },
		{ "leader-elect-renew-deadline", required_argument, NULL, O_LE_RENEW },
		{ "leader-elect-retry-period", required_argument, NULL, O_LE_RETRY },
		{ "leader-elect-resource-name", required_argument, NULL, O_LE_NAME },
		{ "leader-elect-resource-namespace", required_argument, NULL, O_LE_NS },
		{ "parallelism", required_argument, NULL, O_PAR },
		{ "pod-initial-backoff-seconds", required_argument, NULL, O_BO_INIT },
		{ "pod-max-backoff-seconds", required_argument, NULL, O_BO_MAX },
		{ "no-events", no_argument, NULL, O_NO_EVENTS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct config *cfg = &S.cfg;
	struct informer *nodes = NULL, *pods = NULL, *nss = NULL;
	struct leader *lead = NULL;
	static sigset_t sigs;
	pthread_t sched_thread, sig_thread;
	char err[512], host[128], identity[256];
	int c, i, ret = 1;

	*cfg = (struct config){ .scheduler_name = "default-scheduler", .leader_elect = true,
				.lease_seconds = 15, .renew_seconds = 10, .retry_seconds = 2,
				.lease_name = "kbpf-scheduler", .lease_ns = "kube-system",
				.binders = 16, .initial_backoff_s = 1, .max_backoff_s = 10,
				.max_unschedulable_s = 300, .events = true };
	setvbuf(stderr, NULL, _IOLBF, 0);
	kbpf_log_level = LOG_LEVEL_INFO;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_KUBECONFIG:
			cfg->kubeconfig = optarg;
			break;
		case O_MASTER:
			cfg->master = optarg;
			break;
		case O_NAME:
			cfg->scheduler_name = optarg;
			break;
		case O_LE:
			if (flag_bool(optarg, &cfg->leader_elect)) {
				fprintf(stderr, "kbpf-scheduler: --leader-elect=%s: expected true or false\n", optarg);
				return 2;
			}
			break;
		case O_LE_LEASE:
			if (parse_positive("leader-elect-lease-duration", optarg, &cfg->lease_seconds))
				return 2;
			break;
		case O_LE_RENEW:
			if (parse_positive("leader-elect-renew-deadline", optarg, &cfg->renew_seconds))
				return 2;
			break;
		case O_LE_RETRY:
			if (parse_positive("leader-elect-retry-period", optarg, &cfg->retry_seconds))
				return 2;
			break;
		case O_LE_NAME:
			cfg->lease_name = optarg;
			break;
		case O_LE_NS:
			cfg->lease_ns = optarg;
			break;
		case O_PAR:
			if (parse_positive("parallelism", optarg, &cfg->binders))
				return 2;
			break;
		case O_BO_INIT:
			if (parse_positive("pod-initial-backoff-seconds", optarg, &cfg->initial_backoff_s))
				return 2;
			break;
		case O_BO_MAX:
			if (parse_positive("pod-max-backoff-seconds", optarg, &cfg->max_backoff_s))
				return 2;
			break;
		case O_NO_EVENTS:
			cfg->events = false;
			break;
		case 'v':
			kbpf_log_level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kbpf-scheduler: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	if (cfg->renew_seconds >= cfg->lease_seconds) {
		fprintf(stderr, "kbpf-scheduler: --leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration\n");
		return 2;
	}
	if (kclient_open(cfg->kubeconfig, cfg->master, "kbpf-scheduler", &S.c, err, sizeof(err))) {
		fprintf(stderr, "kbpf-scheduler: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&S.cache_mu, NULL);
	pthread_mutex_init(&S.q_mu, NULL);
	pthread_cond_init(&S.q_cond, NULL);
	pthread_mutex_init(&S.bind_mu, NULL);
	pthread_cond_init(&S.bind_cond, NULL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	pthread_create(&sig_thread, NULL, signal_thread, &sigs);
	pthread_detach(sig_thread);
	S.jobs_tail = &S.jobs;
	S.active.less = active_less;
	S.backoff.less = backoff_less;
	S.ns_labels = json_object();
	S.cluster.ns_labels = S.ns_labels;

	/* Nodes first, so that the pods listed next find theirs. Then the pods that are not
	 * over (those that are drop out of the watch as DELETED: they free their node). */
	{
		struct informer_opts no = { .path = "/api/v1/nodes" };
		struct informer_handlers nh = { on_node_add, on_node_update, on_node_del, NULL };
		struct informer_opts nso = { .path = "/api/v1/namespaces" };
		struct informer_handlers nsh = { on_ns_set, on_ns_update, on_ns_del, NULL };
		struct informer_opts po = { .path = "/api/v1/pods",
					    .field_selector = "status.phase!=Succeeded,status.phase!=Failed" };
		struct informer_handlers ph = { on_pod_add, on_pod_update, on_pod_del, NULL };

		if (informer_start(S.c, &nso, &nsh, &nss) || informer_start(S.c, &no, &nh, &nodes)) {
			fprintf(stderr, "kbpf-scheduler: cannot start informers\n");
			goto out;
		}
		while (!S.stop && informer_wait_synced(nodes, 1000))
			pr_info("waiting for the node list from %s\n", kclient_server(S.c));
		if (S.stop || informer_start(S.c, &po, &ph, &pods))
			goto out;
		while (!S.stop && informer_wait_synced(pods, 1000))
			pr_info("waiting for the pod list from %s\n", kclient_server(S.c));
		if (S.stop)
			goto out;
	}
	if (cfg->leader_elect) {
		struct leader_opts lo = { .ns = cfg->lease_ns, .name = cfg->lease_name,
					  .identity = identity, .lease_seconds = cfg->lease_seconds,
					  .renew_seconds = cfg->renew_seconds,
					  .retry_seconds = cfg->retry_seconds };

		gethostname(host, sizeof(host));
		snprintf(identity, sizeof(identity), "%s_%d", host, getpid());
		if (leader_acquire(S.c, &lo, on_lost_lease, NULL, &S.stop, &lead)) {
			ret = S.stop ? 0 : 1;
			goto out;
		}
	}
	pr_info("scheduling pods with schedulerName %s on %zu nodes\n", cfg->scheduler_name,
		S.cluster.n_nodes);
	S.binder_threads = calloc(cfg->binders, sizeof(*S.binder_threads));
	for (i = 0; i < cfg->binders; i++)
		pthread_create(&S.binder_threads[i], NULL, binder, NULL);
	pthread_create(&sched_thread, NULL, scheduling_loop, NULL);
	pthread_join(sched_thread, NULL); /* until a signal */
	for (i = 0; i < cfg->binders; i++)
		pthread_join(S.binder_threads[i], NULL);
	free(S.binder_threads);
	ret = 0;
out:
	/* Hand the Lease over first: a standby starts at once instead of waiting it out. */
	leader_release(lead);
	informer_stop(pods);
	informer_stop(nodes);
	informer_stop(nss);
	kclient_free(S.c);
	return ret;
}
