/* replicaset.c — the ReplicaSet controller, as kube-controller-manager's: keeps
 * spec.replicas active pods matching each ReplicaSet's selector, adopting orphans and
 * releasing pods it no longer selects, and reports its status. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cm.h"
#include "deploy_index.h"
#include "deploy_util.h"
#include "events.h"
#include "log.h"
#include "replicaset.h"
#include "selector.h"
#include "util.h"

#define RS_PATH "/apis/apps/v1/replicasets"
#define PODS_PATH "/api/v1/pods"
#define COMPONENT "replicaset-controller"
/* DNS-1123 subdomain: the longest pod name, hence generateName prefix. */
#define MAX_NAME_LEN 253

/* --- expectations --- */

struct pod_key {
	char *key;
	UT_hash_handle hh;
};

struct expectation {
	char *key;
	int add, del;
	double timestamp;
	struct pod_key *deletions; /* the pods whose deletion is awaited */
	UT_hash_handle hh;
};

struct rsc_expectations {
	pthread_mutex_t mu;
	struct expectation *table;
};

struct rsc_expectations *rsc_exp_new(void)
{
	struct rsc_expectations *x = calloc(1, sizeof(*x));

	if (x)
		pthread_mutex_init(&x->mu, NULL);
	return x;
}

static void clear_deletions(struct expectation *e)
{
	struct pod_key *p, *tmp;

	HASH_ITER(hh, e->deletions, p, tmp) {
		HASH_DEL(e->deletions, p);
		free(p->key);
		free(p);
	}
}

static void drop_expectation(struct rsc_expectations *x, struct expectation *e)
{
	HASH_DEL(x->table, e);
	clear_deletions(e);
	free(e->key);
	free(e);
}

void rsc_exp_free(struct rsc_expectations *x)
{
	struct expectation *e, *tmp;

	if (!x)
		return;
	HASH_ITER(hh, x->table, e, tmp)
		drop_expectation(x, e);
	pthread_mutex_destroy(&x->mu);
	free(x);
}

/* The entry of key, created when missing; NULL when out of memory. Under x->mu. */
static struct expectation *expectation_of(struct rsc_expectations *x, const char *key)
{
	struct expectation *e;

	HASH_FIND_STR(x->table, key, e);
	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		pr_warn("%s: out of memory: %s will be resized without waiting for its pods\n",
			__func__, key);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, x->table, e->key, strlen(e->key), e);
	return e;
}

void rsc_exp_expect_creations(struct rsc_expectations *x, const char *key, int n, double now)
{
	struct expectation *e;

	pthread_mutex_lock(&x->mu);
	e = expectation_of(x, key);
	if (e) {
		e->add = n;
		e->del = 0;
		e->timestamp = now;
	}
	pthread_mutex_unlock(&x->mu);
}

void rsc_exp_expect_deletions(struct rsc_expectations *x, const char *key,
			      const char *const *pod_keys, size_t n, double now)
{
	struct expectation *e;
	struct pod_key *p;
	size_t i;

	pthread_mutex_lock(&x->mu);
	e = expectation_of(x, key);
	if (!e)
		goto out;
	clear_deletions(e);
	e->add = 0;
	e->del = 0;
	e->timestamp = now;
	for (i = 0; i < n; i++) {
		HASH_FIND_STR(e->deletions, pod_keys[i], p);
		if (p)
			continue;
		p = calloc(1, sizeof(*p));
		if (!p || !(p->key = strdup(pod_keys[i]))) {
			free(p);
			continue; /* not awaited: the sync just does not wait for it */
		}
		HASH_ADD_KEYPTR(hh, e->deletions, p->key, strlen(p->key), p);
		e->del++;
	}
out:
	pthread_mutex_unlock(&x->mu);
}

void rsc_exp_creation_observed(struct rsc_expectations *x, const char *key)
{
	struct expectation *e;

	pthread_mutex_lock(&x->mu);
	HASH_FIND_STR(x->table, key, e);
	if (e)
		e->add--;
	pthread_mutex_unlock(&x->mu);
}

void rsc_exp_deletion_observed(struct rsc_expectations *x, const char *key, const char *pod_key)
{
	struct expectation *e;
	struct pod_key *p = NULL;

	pthread_mutex_lock(&x->mu);
	HASH_FIND_STR(x->table, key, e);
	if (e)
		HASH_FIND_STR(e->deletions, pod_key, p);
	if (p) {
		HASH_DEL(e->deletions, p);
		free(p->key);
		free(p);
		e->del--;
	}
	pthread_mutex_unlock(&x->mu);
}

bool rsc_exp_satisfied(struct rsc_expectations *x, const char *key, double now)
{
	struct expectation *e;
	bool ok;

	pthread_mutex_lock(&x->mu);
	HASH_FIND_STR(x->table, key, e);
	ok = !e || (e->add <= 0 && e->del <= 0) ||
	     now - e->timestamp > RSC_EXPECTATIONS_TIMEOUT_S;
	pthread_mutex_unlock(&x->mu);
	return ok;
}

void rsc_exp_delete(struct rsc_expectations *x, const char *key)
{
	struct expectation *e;

	pthread_mutex_lock(&x->mu);
	HASH_FIND_STR(x->table, key, e);
	if (e)
		drop_expectation(x, e);
	pthread_mutex_unlock(&x->mu);
}

/* --- parallel calls and slow start --- */

struct parallel {
	int (*fn)(void *ctx, int i);
	void *ctx;
	int base, n, next, failures, err;
	pthread_mutex_t mu;
};

static void *parallel_worker(void *arg)
{
	struct parallel *p = arg;

	for (;;) {
		int i, err;

		pthread_mutex_lock(&p->mu);
		i = p->next < p->n ? p->next++ : -1;
		pthread_mutex_unlock(&p->mu);
		if (i < 0)
			return NULL;
		err = p->fn(p->ctx, p->base + i);
		if (err) {
			pthread_mutex_lock(&p->mu);
			if (!p->failures++)
				p->err = err;
			pthread_mutex_unlock(&p->mu);
		}
	}
}

/* fn(ctx, base + i) for i in [0, n) on up to RSC_MAX_PARALLEL threads. */
static int run_parallel(int base, int n, int (*fn)(void *ctx, int i), void *ctx, int *err)
{
	struct parallel p = { .fn = fn, .ctx = ctx, .base = base, .n = n };
	pthread_t th[RSC_MAX_PARALLEL];
	int nth = n < RSC_MAX_PARALLEL ? n : RSC_MAX_PARALLEL, started = 0, i;

	pthread_mutex_init(&p.mu, NULL);
	/* One call needs no thread; a thread that cannot start leaves its share to the
	 * others (and to this one). */
	for (i = 1; i < nth; i++)
		if (!pthread_create(&th[started], NULL, parallel_worker, &p))
			started++;
	parallel_worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	*err = p.err;
	return p.failures;
}

int rsc_parallel(int n, int (*fn)(void *ctx, int i), void *ctx, int *err)
{
	*err = 0;
	return n > 0 ? run_parallel(0, n, fn, ctx, err) : 0;
}

int rsc_slow_start(int count, int initial, int (*fn)(void *ctx, int i), void *ctx, int *err)
{
	int done = 0, successes = 0, batch = count < initial ? count : initial;

	*err = 0;
	while (batch > 0) {
		int failures = run_parallel(done, batch, fn, ctx, err);

		successes += batch - failures;
		if (failures)
			break;
		done += batch;
		batch = 2 * batch < count - done ? 2 * batch : count - done;
	}
	return successes;
}

/* --- pods from the template --- */

json_t *rsc_controller_ref(const json_t *rs)
{
	return json_pack("{s:s,s:s,s:s?,s:s?,s:b,s:b}", "apiVersion", "apps/v1", "kind",
			 "ReplicaSet", "name", dj_str(rs, "metadata.name"), "uid",
			 dj_str(rs, "metadata.uid"), "controller", 1, "blockOwnerDeletion", 1);
}

json_t *rsc_pod_from_template(const json_t *rs, char *err, size_t err_len)
{
	const json_t *tmeta = dj_get(rs, "spec.template.metadata");
	const char *name = dj_str(rs, "metadata.name") ?: "";
	static const char *const copied[] = { "labels", "annotations", "finalizers" };
	json_t *pod, *meta, *refs;
	char prefix[MAX_NAME_LEN + 2];
	size_t i;

	/* CreatePods refuses a pod without labels: nothing could ever select it. */
	if (!json_object_size(json_object_get(tmeta, "labels"))) {
		snprintf(err, err_len, "unable to create pods, no labels");
		return NULL;
	}
	/* getPodsPrefix: "<rs>-" unless that is too long to be a name prefix. */
	snprintf(prefix, sizeof(prefix), strlen(name) + 1 > MAX_NAME_LEN ? "%s" : "%s-", name);
	meta = json_pack("{s:s,s:s?}", "generateName", prefix, "namespace",
			 dj_str(rs, "metadata.namespace"));
	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		const json_t *v = json_object_get(tmeta, copied[i]);

		if (v && !json_is_null(v))
			json_object_set_new(meta, copied[i], json_deep_copy(v));
	}
	refs = json_array();
	json_array_append_new(refs, rsc_controller_ref(rs));
	json_object_set_new(meta, "ownerReferences", refs);
	pod = json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta);
	json_object_set_new(pod, "spec", json_deep_copy(dj_get(rs, "spec.template.spec")) ?:
					 json_object());
	return pod;
}

/* --- claiming --- */

enum rsc_claim rsc_claim_action(const json_t *rs, const struct label_selector *sel,
				const json_t *pod)
{
	const json_t *ref = cm_controller_ref(pod);
	bool matches = label_selector_matches(sel, dj_get(pod, "metadata.labels"));
	const char *ns = dj_str(rs, "metadata.namespace") ?: "";

	if (ref) {
		if (strcmp(json_string_value(json_object_get(ref, "uid")) ?: "",
			   dj_str(rs, "metadata.uid") ?: ""))
			return RSC_IGNORE;
		if (matches)
			return RSC_OWNED;
		/* A ReplicaSet being deleted changes nothing. */
		return cm_being_deleted(rs) ? RSC_IGNORE : RSC_RELEASE;
	}
	if (cm_being_deleted(rs) || !matches || cm_being_deleted(pod) ||
	    strcmp(ns, dj_str(pod, "metadata.namespace") ?: ""))
		return RSC_IGNORE;
	return RSC_ADOPT;
}

/* --- which pods go --- */

struct node_count {
	const char *node;
	int n;
	UT_hash_handle hh;
};

static bool pod_active(const json_t *pod)
{
	return !cm_pod_terminal(pod) && !cm_being_deleted(pod);
}

void rsc_pods_to_delete(json_t *const *pods, size_t n_pods, json_t *const *related,
			size_t n_related, size_t n, double now, json_t **out)
{
	struct node_count *counts = NULL, *c, *tmp;
	struct ranked_pod *ranked;
	size_t i;

	if (n >= n_pods || !(ranked = calloc(n_pods, sizeof(*ranked)))) {
		/* All of them (or, out of memory, the first ones): no ranking to do. */
		for (i = 0; i < n && i < n_pods; i++)
			out[i] = pods[i];
		return;
	}
	/* getPodsRankedByRelatedPodsOnSameNode: a pod's rank is the number of active related
	 * pods on its node (unassigned pods share the node ""). */
	for (i = 0; i < n_related; i++) {
		const char *node = dj_str(related[i], "spec.nodeName") ?: "";

		if (!pod_active(related[i]))
			continue;
		HASH_FIND_STR(counts, node, c);
		if (!c && (c = calloc(1, sizeof(*c)))) {
			c->node = node;
			HASH_ADD_KEYPTR(hh, counts, node, strlen(node), c);
		}
		if (c)
			c->n++;
	}
	for (i = 0; i < n_pods; i++) {
		const char *node = dj_str(pods[i], "spec.nodeName") ?: "";

		HASH_FIND_STR(counts, node, c);
		ranked_pod_init(&ranked[i], pods[i], c ? c->n : 0);
	}
	rank_pods_for_deletion(ranked, n_pods, now);
	for (i = 0; i < n; i++)
		out[i] = ranked[i].pod;
	HASH_ITER(hh, counts, c, tmp) {
		HASH_DEL(counts, c);
		free(c);
	}
	free(ranked);
}

/* --- status --- */

static void set_count(json_t *status, const char *key, long long v, bool always)
{
	/* The API omits zero counts (omitempty), but for replicas. */
	if (v || always)
		json_object_set_new(status, key, json_integer(v));
	else
		json_object_del(status, key);
}

json_t *rsc_calculate_status(const json_t *rs, json_t *const *pods, size_t n,
			     const char *manage_err, double now)
{
	const json_t *tlabels = dj_get(rs, "spec.template.metadata.labels");
	long long min_ready = dj_int(rs, "spec.minReadySeconds", 0);
	long long replicas = dj_int(rs, "spec.replicas", 1);
	int labeled = 0, ready = 0, available = 0;
	json_t *status = json_deep_copy(json_object_get(rs, "status")) ?: json_object();
	struct label_selector *tsel = NULL;
	size_t i;

	/* The template's labels as a selector (an empty one matches every pod). */
	if (label_selector_from_set(tlabels, &tsel))
		tsel = NULL;
	for (i = 0; i < n; i++) {
		if (tsel && label_selector_matches(tsel, dj_get(pods[i], "metadata.labels")))
			labeled++;
		if (cm_pod_ready(pods[i])) {
			ready++;
			if (pod_available(pods[i], min_ready, now))
				available++;
		}
	}
	label_selector_free(tsel);
	set_count(status, "replicas", (long long)n, true);
	set_count(status, "fullyLabeledReplicas", labeled, false);
	set_count(status, "readyReplicas", ready, false);
	set_count(status, "availableReplicas", available, false);
	if (manage_err && !status_condition(status, "ReplicaFailure")) {
		long long diff = (long long)n - replicas;

		if (diff)
			condition_set(status, new_condition("ReplicaFailure", "True",
							    diff < 0 ? "FailedCreate" : "FailedDelete",
							    manage_err, false));
	} else if (!manage_err) {
		condition_remove(status, "ReplicaFailure");
	}
	return status;
}

bool rsc_status_changed(const json_t *rs, const json_t *status)
{
	static const char *const fields[] = { "replicas", "fullyLabeledReplicas",
					      "readyReplicas", "availableReplicas" };
	const json_t *cur = json_object_get(rs, "status");
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (dj_int(cur, fields[i], 0) != dj_int(status, fields[i], 0))
			return true;
	if (!json_object_get(cur, "replicas"))
		return true;
	if (dj_int(cur, "observedGeneration", 0) < dj_int(rs, "metadata.generation", 0))
		return true;
	return !json_same(json_object_get(cur, "conditions"), json_object_get(status, "conditions"));
}

/* --- the controller --- */

static struct {
	struct cm *cm;
	struct owner_index *pods, *rss;
	struct informer *pod_inf, *rs_inf;
	struct workqueue *q;
	struct rsc_expectations *exp;
} R;

static void enqueue(const json_t *rs)
{
	char key[512];

	cm_key(rs, key, sizeof(key));
	wq_add(R.q, key);
}

/* resolveControllerRef: the ReplicaSet ref names, if it still is that one. Referenced. */
static json_t *resolve_ref(const char *ns, const json_t *ref)
{
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *uid = json_string_value(json_object_get(ref, "uid"));
	char key[512];
	json_t *rs;

	if (!ref || !kind || strcmp(kind, "ReplicaSet") || !name || !uid)
		return NULL;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	rs = informer_get(R.rs_inf, key);
	if (rs && strcmp(dj_str(rs, "metadata.uid") ?: "", uid)) {
		json_decref(rs);
		return NULL;
	}
	return rs;
}

/* getPodReplicaSets: the ReplicaSets of pod's namespace whose selector matches it (an
 * empty selector matches nothing here: such a ReplicaSet must not adopt everything). */
static void enqueue_selecting(const json_t *pod)
{
	const char *ns = dj_str(pod, "metadata.namespace") ?: "";
	json_t **rss;
	size_t n, i;

	n = owner_index_in_namespace(R.rss, ns, &rss);
	for (i = 0; i < n; i++) {
		struct label_selector *sel = NULL;

		if (label_selector_from_json(dj_get(rss[i], "spec.selector"), &sel, NULL, 0))
			continue;
		if (!label_selector_empty(sel) &&
		    label_selector_matches(sel, dj_get(pod, "metadata.labels")))
			enqueue(rss[i]);
		label_selector_free(sel);
	}
	informer_list_free(rss, n);
}

static void on_pod_delete(void *ctx, const json_t *pod)
{
	const json_t *ref = cm_controller_ref(pod);
	char rs_key[512], pod_key[512];
	json_t *rs;

	(void)ctx;
	if (!ref || !(rs = resolve_ref(dj_str(pod, "metadata.namespace") ?: "", ref)))
		return;
	cm_key(rs, rs_key, sizeof(rs_key));
	cm_key(pod, pod_key, sizeof(pod_key));
	rsc_exp_deletion_observed(R.exp, rs_key, pod_key);
	wq_add(R.q, rs_key);
	json_decref(rs);
}

static void on_pod_add(void *ctx, const json_t *pod)
{
	const json_t *ref = cm_controller_ref(pod);
	char key[512];
	json_t *rs;

	/* A pod already being deleted (seen first after a restart) is no creation. */
	if (cm_being_deleted(pod)) {
		on_pod_delete(ctx, pod);
		return;
	}
	if (!ref) {
		enqueue_selecting(pod);
		return;
	}
	rs = resolve_ref(dj_str(pod, "metadata.namespace") ?: "", ref);
	if (!rs)
		return;
	cm_key(rs, key, sizeof(key));
	rsc_exp_creation_observed(R.exp, key);
	wq_add(R.q, key);
	json_decref(rs);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *pod)
{
	const char *ns = dj_str(pod, "metadata.namespace") ?: "";
	const json_t *old_ref = cm_controller_ref(old), *ref = cm_controller_ref(pod);
	bool labels_changed, ref_changed;
	json_t *rs;

	if (json_same(dj_get(old, "metadata.resourceVersion"),
		      dj_get(pod, "metadata.resourceVersion")))
		return; /* a resync: nothing new */
	labels_changed = !json_same(dj_get(old, "metadata.labels"), dj_get(pod, "metadata.labels"));
	if (cm_being_deleted(pod)) {
		/* Graceful deletion: the pod counts as gone now, not when its kubelet is done.
		 * Its old owner (labels changed too) may want a replacement. */
		on_pod_delete(ctx, pod);
		if (labels_changed)
			on_pod_delete(ctx, old);
		return;
	}
	ref_changed = !json_same(old_ref, ref);
	if (ref_changed && old_ref && (rs = resolve_ref(ns, old_ref))) {
		enqueue(rs);
		json_decref(rs);
	}
	if (ref) {
		long long min_ready;
		char key[512];

		if (!(rs = resolve_ref(ns, ref)))
			return;
		cm_key(rs, key, sizeof(key));
		wq_add(R.q, key);
		/* Ready now: available minReadySeconds later, when nothing else may change. */
		min_ready = dj_int(rs, "spec.minReadySeconds", 0);
		if (min_ready > 0 && !cm_pod_ready(old) && cm_pod_ready(pod))
			wq_add_after(R.q, key, (int)(min_ready * 1000 + 1000));
		json_decref(rs);
		return;
	}
	if (labels_changed || ref_changed)
		enqueue_selecting(pod);
}

static void on_rs_add(void *ctx, const json_t *rs)
{
	(void)ctx;
	enqueue(rs);
}

static void on_rs_update(void *ctx, const json_t *old, const json_t *rs)
{
	(void)ctx;
	(void)old;
	enqueue(rs);
}

static void on_rs_delete(void *ctx, const json_t *rs)
{
	char key[512];

	(void)ctx;
	cm_key(rs, key, sizeof(key));
	rsc_exp_delete(R.exp, key);
	wq_add(R.q, key);
}

/* One sync's state, shared with the threads creating and deleting pods. */
struct sync_ctx {
	const json_t *rs;
	const char *key;
	char ns[256], name[256];
	json_t *pod;            /* what to create */
	json_t **doomed;        /* what to delete */
	bool checked_owner;     /* canAdopt asked the API once */
	char owner_err[512];    /* and why the ReplicaSet cannot adopt ("" when it can) */
	pthread_mutex_t mu;
	char err[1024];         /* the first failure, as the API put it */
};

static void note_error(struct sync_ctx *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_error(struct sync_ctx *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->mu);
	if (!*s->err) {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->mu);
}

/* An API answer as the negative errno a sync returns (the frame logs its text). */
static int api_errno(long code)
{
	if (code == 404)
		return -ENOENT;
	if (code == 409)
		return -EAGAIN; /* a conflict: the next attempt reads a fresh copy */
	return code < 0 ? (int)code : -EIO;
}

static int create_pod(void *ctx, int i)
{
	struct sync_ctx *s = ctx;
	char path[512], msg[512];
	json_t *out = NULL;
	long code;

	(void)i;
	kpath(path, sizeof(path), "v1", s->ns, "pods", NULL, NULL);
	code = kclient_post(R.cm->c, path, s->pod, &out);
	if (code >= 200 && code < 300) {
		event_record(R.cm->c, COMPONENT, NULL, s->rs, "Normal", "SuccessfulCreate",
			     "Created pod: %s", dj_str(out, "metadata.name") ?: "");
		json_decref(out);
		return 0;
	}
	kstatus_message(out, code, msg, sizeof(msg));
	/* Nothing can be created in a namespace being deleted, and nothing needs to be:
	 * kube neither reports it nor counts it as a failure. */
	if (code == 403 && strstr(msg, "because it is being terminated")) {
		json_decref(out);
		return 0;
	}
	event_record(R.cm->c, COMPONENT, NULL, s->rs, "Warning", "FailedCreate",
		     "Error creating: %s", msg);
	note_error(s, "%s", msg);
	json_decref(out);
	return api_errno(code);
}

static int delete_pod(void *ctx, int i)
{
	struct sync_ctx *s = ctx;
	const char *name = dj_str(s->doomed[i], "metadata.name") ?: "";
	char path[512], msg[512], pod_key[512];
	json_t *out = NULL;
	long code;

	kpath(path, sizeof(path), "v1", s->ns, "pods", name, NULL);
	code = kclient_delete(R.cm->c, path, NULL, &out);
	if (code >= 200 && code < 300) {
		event_record(R.cm->c, COMPONENT, NULL, s->rs, "Normal", "SuccessfulDelete",
			     "Deleted pod: %s", name);
		json_decref(out);
		return 0;
	}
	kstatus_message(out, code, msg, sizeof(msg));
	json_decref(out);
	/* The informer will not show a deletion that did not happen. */
	cm_key(s->doomed[i], pod_key, sizeof(pod_key));
	rsc_exp_deletion_observed(R.exp, s->key, pod_key);
	if (code == 404)
		return 0; /* gone already: what was wanted */
	event_record(R.cm->c, COMPONENT, NULL, s->rs, "Warning", "FailedDelete",
		     "Error deleting: %s", msg);
	note_error(s, "unable to delete pods: %s", msg);
	return api_errno(code);
}

/* getIndirectlyRelatedPods: the pods selected by this ReplicaSet and by those that share
 * its controller (the other ReplicaSets of its Deployment), each once. */
static size_t related_pods(const json_t *rs, json_t *const *pods, size_t n_pods,
			   json_t ***out)
{
	const json_t *ref = cm_controller_ref(rs);
	const char *owner = json_string_value(json_object_get(ref, "uid"));
	json_t **rss = NULL, *self = (json_t *)rs;
	size_t n_rss, i, j, n = 0;
	bool *taken;

	*out = calloc(n_pods ?: 1, sizeof(**out));
	taken = calloc(n_pods ?: 1, sizeof(*taken));
	if (!*out || !taken) {
		free(taken);
		return 0;
	}
	if (owner)
		n_rss = owner_index_owned(R.rss, owner, &rss);
	else
		n_rss = 1, rss = &self;
	for (i = 0; i < n_rss; i++) {
		struct label_selector *sel = NULL;

		if (strcmp(dj_str(rss[i], "metadata.namespace") ?: "",
			   dj_str(rs, "metadata.namespace") ?: "") ||
		    label_selector_from_json(dj_get(rss[i], "spec.selector"), &sel, NULL, 0))
			continue;
		for (j = 0; j < n_pods; j++)
			if (!taken[j] && label_selector_matches(sel, dj_get(pods[j], "metadata.labels")))
				taken[j] = true, (*out)[n++] = pods[j];
		label_selector_free(sel);
	}
	if (owner)
		informer_list_free(rss, n_rss);
	free(taken);
	return n;
}

/* manageReplicas: create or delete pods until there are spec.replicas. */
static int manage_replicas(struct sync_ctx *s, json_t *const *pods, size_t n_pods,
			   json_t *const *all, size_t n_all)
{
	long long diff = (long long)n_pods - dj_int(s->rs, "spec.replicas", 1);
	int err = 0, i, n;

	if (diff < 0) {
		char why[512];

		n = -diff > RSC_BURST_REPLICAS ? RSC_BURST_REPLICAS : (int)-diff;
		s->pod = rsc_pod_from_template(s->rs, why, sizeof(why));
		if (!s->pod) {
			/* kube refuses such a template before asking the API, and says so in
			 * the ReplicaFailure condition only (no event). */
			pr_info("replicaset %s: %s\n", s->key, why);
			note_error(s, "%s", why);
			return -EINVAL;
		}
		rsc_exp_expect_creations(R.exp, s->key, n, cm_time_now());
		pr_debug("replicaset %s: too few replicas, creating %d\n", s->key, n);
		i = rsc_slow_start(n, 1, create_pod, s, &err);
		/* Pods never created will never be seen: expect them no more. */
		for (; i < n; i++)
			rsc_exp_creation_observed(R.exp, s->key);
		json_decref(s->pod);
		s->pod = NULL;
	} else if (diff > 0) {
		json_t **related = NULL;
		char (*names)[512];
		const char **keys;
		size_t n_related;

		n = diff > RSC_BURST_REPLICAS ? RSC_BURST_REPLICAS : (int)diff;
		s->doomed = calloc(n, sizeof(*s->doomed));
		keys = calloc(n, sizeof(*keys));
		names = calloc(n, sizeof(*names));
		if (!s->doomed || !keys || !names) {
			free(s->doomed);
			s->doomed = NULL;
			free(keys);
			free(names);
			return -ENOMEM;
		}
		n_related = related_pods(s->rs, all, n_all, &related);
		rsc_pods_to_delete(pods, n_pods, related, n_related, n, cm_time_now(), s->doomed);
		free(related);
		for (i = 0; i < n; i++) {
			cm_key(s->doomed[i], names[i], sizeof(names[i]));
			keys[i] = names[i];
		}
		rsc_exp_expect_deletions(R.exp, s->key, keys, n, cm_time_now());
		free(keys);
		free(names);
		pr_debug("replicaset %s: too many replicas, deleting %d\n", s->key, n);
		rsc_parallel(n, delete_pod, s, &err);
		free(s->doomed);
		s->doomed = NULL;
	}
	return err;
}

/* RecheckDeletionTimestamp: before adopting anything, ask the API (not the cache) that
 * this ReplicaSet still exists and is not being deleted. */
static const char *cannot_adopt(struct sync_ctx *s)
{
	char path[512], msg[256];
	json_t *fresh = NULL;
	long code;

	if (s->checked_owner)
		return *s->owner_err ? s->owner_err : NULL;
	s->checked_owner = true;
	kpath(path, sizeof(path), "apps/v1", s->ns, "replicasets", s->name, NULL);
	code = kclient_get(R.cm->c, path, &fresh);
	if (code != 200)
		snprintf(s->owner_err, sizeof(s->owner_err), "can't recheck DeletionTimestamp: %s",
			 kstatus_message(fresh, code, msg, sizeof(msg)));
	else if (strcmp(dj_str(fresh, "metadata.uid") ?: "", dj_str(s->rs, "metadata.uid") ?: ""))
		snprintf(s->owner_err, sizeof(s->owner_err),
			 "original %s is gone: got uid %s, wanted %s", s->key,
			 dj_str(fresh, "metadata.uid") ?: "", dj_str(s->rs, "metadata.uid") ?: "");
	else if (cm_being_deleted(fresh))
		snprintf(s->owner_err, sizeof(s->owner_err), "%s has just been deleted at %s",
			 s->key, dj_str(fresh, "metadata.deletionTimestamp") ?: "");
	json_decref(fresh);
	return *s->owner_err ? s->owner_err : NULL;
}

/* Adopt (add rs as the controller) or release (remove rs) a pod: a strategic merge
 * patch on ownerReferences, by uid, as kube sends it. 0, or a negative errno with the
 * reason logged. */
static int patch_owner(struct sync_ctx *s, const json_t *pod, bool adopt)
{
	const char *name = dj_str(pod, "metadata.name") ?: "";
	char path[512], msg[512];
	json_t *ref, *patch, *out = NULL;
	const char *why;
	long code;

	if (adopt && (why = cannot_adopt(s))) {
		pr_info("replicaset %s: not adopting pod %s: %s\n", s->key, name, why);
		return -EAGAIN;
	}
	if (adopt)
		ref = rsc_controller_ref(s->rs);
	else
		ref = json_pack("{s:s,s:s?}", "$patch", "delete", "uid",
				dj_str(s->rs, "metadata.uid"));
	patch = json_pack("{s:{s:[o],s:s?}}", "metadata", "ownerReferences", ref, "uid",
			  dj_str(pod, "metadata.uid"));
	kpath(path, sizeof(path), "v1", s->ns, "pods", name, NULL);
	code = kclient_patch(R.cm->c, path, "strategic", patch, &out);
	json_decref(patch);
	if (code >= 200 && code < 300) {
		pr_info("replicaset %s: %s pod %s\n", s->key, adopt ? "adopted" : "released", name);
	} else if (code != 404) {
		pr_info("replicaset %s: cannot %s pod %s: %s\n", s->key, adopt ? "adopt" : "release",
			name, kstatus_message(out, code, msg, sizeof(msg)));
	}
	json_decref(out);
	return code >= 200 && code < 300 ? 0 : api_errno(code);
}

/* claimPods: the active pods this ReplicaSet owns after adopting and releasing. Fills
 * out (room for n) and returns how many; *err is the first failure (not counting pods
 * gone meanwhile). */
static size_t claim_pods(struct sync_ctx *s, const struct label_selector *sel,
			 json_t *const *pods, size_t n, json_t **out, int *err)
{
	size_t i, got = 0;
	int e;

	*err = 0;
	for (i = 0; i < n; i++) {
		switch (rsc_claim_action(s->rs, sel, pods[i])) {
		case RSC_OWNED:
			out[got++] = pods[i];
			break;
		case RSC_ADOPT:
			e = patch_owner(s, pods[i], true);
			if (!e)
				out[got++] = pods[i];
			else if (e != -ENOENT && !*err)
				*err = e;
			break;
		case RSC_RELEASE:
			e = patch_owner(s, pods[i], false);
			if (e && e != -ENOENT && !*err)
				*err = e;
			break;
		case RSC_IGNORE:
			break;
		}
	}
	return got;
}

/* updateReplicaSetStatus: PUT the status when it changed, once more on a fresh copy when
 * the first attempt fails. */
static int update_status(struct sync_ctx *s, const json_t *status)
{
	json_t *obj = json_deep_copy(s->rs), *out = NULL;
	char path[512], msg[256];
	long code = 0;
	int attempt;

	kpath(path, sizeof(path), "apps/v1", s->ns, "replicasets", s->name, "status");
	for (attempt = 0; attempt < 2 && obj; attempt++) {
		json_object_set_new(obj, "status", json_deep_copy(status));
		json_object_set_new(json_object_get(obj, "status"), "observedGeneration",
				    json_integer(dj_int(obj, "metadata.generation", 0)));
		code = kclient_put(R.cm->c, path, obj, &out);
		json_decref(obj);
		obj = NULL;
		if (code >= 200 && code < 300)
			break;
		pr_debug("replicaset %s: status update: %s\n", s->key,
			 kstatus_message(out, code, msg, sizeof(msg)));
		json_decref(out);
		out = NULL;
		if (code == 404)
			return 0; /* deleted meanwhile: its delete event requeues it */
		kpath(path, sizeof(path), "apps/v1", s->ns, "replicasets", s->name, NULL);
		if (kclient_get(R.cm->c, path, &obj) != 200) {
			json_decref(obj);
			obj = NULL;
		}
		kpath(path, sizeof(path), "apps/v1", s->ns, "replicasets", s->name, "status");
	}
	json_decref(out);
	json_decref(obj);
	return code >= 200 && code < 300 ? 0 : api_errno(code);
}

static int sync_replicaset(struct cm *cm, const char *key)
{
	struct sync_ctx s = { .key = key, .mu = PTHREAD_MUTEX_INITIALIZER };
	struct label_selector *sel = NULL;
	json_t *rs, **all = NULL, **active = NULL, **owned = NULL, *status;
	size_t n_all = 0, n_active = 0, n_owned, i;
	bool need_sync;
	char why[256];
	int err = 0, manage_err = 0;

	(void)cm;
	rs = informer_get(R.rs_inf, key);
	if (!rs) {
		rsc_exp_delete(R.exp, key);
		return 0;
	}
	s.rs = rs;
	cm_split_key(key, s.ns, sizeof(s.ns), s.name, sizeof(s.name));
	need_sync = rsc_exp_satisfied(R.exp, key, cm_time_now());
	if (label_selector_from_json(dj_get(rs, "spec.selector"), &sel, why, sizeof(why))) {
		/* The apiserver validates selectors: nothing to retry. */
		pr_warn("replicaset %s: invalid selector: %s\n", key, why);
		goto out;
	}
	n_all = owner_index_in_namespace(R.pods, s.ns, &all);
	active = calloc(n_all ?: 1, sizeof(*active));
	owned = calloc(n_all ?: 1, sizeof(*owned));
	if (!active || !owned) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_all; i++)
		if (pod_active(all[i]))
			active[n_active++] = all[i];
	n_owned = claim_pods(&s, sel, active, n_active, owned, &err);
	if (err)
		goto out;
	pr_debug("replicaset %s: %zu pods in the namespace, %zu active, %zu owned%s\n", key,
		 n_all, n_active, n_owned, need_sync ? "" : "; waiting for earlier changes");
	if (need_sync && !cm_being_deleted(rs))
		manage_err = manage_replicas(&s, owned, n_owned, all, n_all);
	status = rsc_calculate_status(rs, owned, n_owned, manage_err ? s.err : NULL,
				      cm_time_now());
	if (rsc_status_changed(rs, status))
		err = update_status(&s, status);
	/* Ready but not yet available: look again once minReadySeconds have passed. */
	if (!manage_err && !err && dj_int(rs, "spec.minReadySeconds", 0) > 0 &&
	    dj_int(status, "readyReplicas", 0) == dj_int(rs, "spec.replicas", 1) &&
	    dj_int(status, "availableReplicas", 0) != dj_int(rs, "spec.replicas", 1))
		wq_add_after(R.q, key, (int)(dj_int(rs, "spec.minReadySeconds", 0) * 1000));
	json_decref(status);
	if (manage_err)
		err = manage_err;
out:
	free(active);
	free(owned);
	informer_list_free(all, n_all);
	label_selector_free(sel);
	json_decref(rs);
	return err;
}

static int rs_init(struct cm *cm)
{
	struct informer_handlers ph = { on_pod_add, on_pod_update, on_pod_delete, NULL };
	struct informer_handlers rh = { on_rs_add, on_rs_update, on_rs_delete, NULL };

	R.cm = cm;
	/* The indexes first: their handlers run before ours, so ours see them current. */
	R.pods = owner_index_get(cm, PODS_PATH);
	R.rss = owner_index_get(cm, RS_PATH);
	R.q = wq_new();
	R.exp = rsc_exp_new();
	if (!R.pods || !R.rss || !R.q || !R.exp)
		return -ENOMEM;
	R.pod_inf = owner_index_informer(R.pods);
	R.rs_inf = owner_index_informer(R.rss);
	if (informer_add_handlers(R.pod_inf, &ph) || informer_add_handlers(R.rs_inf, &rh))
		return -ENOSPC;
	return 0;
}

static int rs_run(struct cm *cm)
{
	return cm_run_workers(cm, R.q, cm->workers, sync_replicaset, "replicaset: sync");
}

static void rs_stop(struct cm *cm)
{
	(void)cm;
	wq_free(R.q);
	rsc_exp_free(R.exp);
	memset(&R, 0, sizeof(R));
}

const struct controller replicaset_controller = {
	.name = "replicaset",
	.init = rs_init,
	.run = rs_run,
	.stop = rs_stop,
};
