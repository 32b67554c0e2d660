/* endpointslice.c — the EndpointSlice and Endpoints controllers of kube-controller-manager
 * (v1.32) as one controller, "endpointslice": every Service with a selector gets
 * EndpointSlices (and the legacy Endpoints object of the same name) listing the pods it
 * selects, updated as pods come, go and change readiness. eps_reconcile.c decides what the
 * objects should hold; this file keeps the caches and indexes, writes, and knows which of
 * the cached slices are stale (written by us but not seen back yet). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cm.h"
#include "eps_reconcile.h"
#include "events.h"
#include "keyindex.h"
#include "log.h"
#include "selector.h"
#include "util.h"

#define SLICE_COMPONENT "endpoint-slice-controller"
#define ENDPOINTS_COMPONENT "endpoint-controller"
#define SLICE_GV "discovery.k8s.io/v1"
#define ZONE_LABEL "topology.kubernetes.io/zone"
/* How long a write of ours may stay unseen in the informer before the cache is trusted
 * again (a slice someone else deleted right after we wrote it is never seen). */
#define EXPECT_TIMEOUT_S 5.0
/* A Service whose cached slices are older than what we wrote is synced again when the
 * watch brings the last of them (slice_changed), or after this at the latest. */
#define STALE_RETRY_MS 1000

/* A write of ours to one slice: the resourceVersion it got (0: we deleted it). */
struct expect {
	char *name;
	long long rv;
	double at;
	UT_hash_handle hh;
};

/* The trigger time tracker's memory of one pod: its trigger time when last synced. */
struct pod_time {
	char *key;
	double t;
	UT_hash_handle hh;
};

/* What one controller (slices or Endpoints) remembers about a Service between syncs. */
struct svc_state {
	char *key;
	double created;           /* the Service's creationTimestamp when last synced */
	struct pod_time *pods;
	struct expect *expects;   /* slices only */
	bool waiting;             /* a sync was put off until the expected writes show */
	UT_hash_handle hh;
};

enum { FOR_SLICES, FOR_ENDPOINTS };

static struct {
	bool active;
	struct cm *cm;
	struct informer *services, *pods, *nodes, *slices, *endpoints;
	struct workqueue *q[2];
	pthread_mutex_t mu;           /* the indexes and the states */
	struct keyindex pods_by_label; /* "ns\x1fkey=value" -> pod keys */
	struct keyindex svcs_by_label; /* "ns\x1fkey=value" of the selector's first pair ->
					* Service keys */
	struct keyindex slices_by_svc; /* "ns/service" -> keys of the slices managed for it */
	struct svc_state *states[2];
} es = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* --- indexes (callers hold es.mu) --- */

static void label_bkey(char *buf, size_t len, const char *ns, const char *k, const json_t *v)
{
	snprintf(buf, len, "%s\x1f%s=%s", ns, k, json_string_value(v) ?: "");
}

static const char *ns_of(const json_t *obj)
{
	return cm_str(obj, "metadata", "namespace") ?: "";
}

static const json_t *labels_of(const json_t *obj)
{
	return json_object_get(json_object_get(obj, "metadata"), "labels");
}

static const json_t *selector_of(const json_t *svc)
{
	return json_object_get(json_object_get(svc, "spec"), "selector");
}

/* Index a pod under each of its labels (add) or take it out. */
static void index_pod(const json_t *pod, bool add)
{
	char key[512], bkey[1024];
	const char *k;
	json_t *v;

	cm_key(pod, key, sizeof(key));
	json_object_foreach((json_t *)labels_of(pod), k, v) {
		label_bkey(bkey, sizeof(bkey), ns_of(pod), k, v);
		if (add)
			keyindex_add(&es.pods_by_label, bkey, key);
		else
			keyindex_del(&es.pods_by_label, bkey, key);
	}
}

/* Index a Service under one pair of its selector (the first key in byte order, whatever
 * order the JSON has): a pod it selects has that label, so looking up each of a pod's
 * labels finds every Service selecting it, once. */
static void index_service(const json_t *svc, bool add)
{
	const json_t *sel = selector_of(svc);
	char key[512], bkey[1024];
	const char *k, *first = NULL;
	json_t *v;

	json_object_foreach((json_t *)sel, k, v)
		if (!first || strcmp(k, first) < 0)
			first = k;
	if (!first)
		return;
	cm_key(svc, key, sizeof(key));
	label_bkey(bkey, sizeof(bkey), ns_of(svc), first, json_object_get(sel, first));
	if (add)
		keyindex_add(&es.svcs_by_label, bkey, key);
	else
		keyindex_del(&es.svcs_by_label, bkey, key);
}

/* The Service a slice is managed for ("ns/name"), or false when it is not ours. */
static bool slice_service(const json_t *slice, char *buf, size_t len)
{
	const json_t *l = labels_of(slice);
	const char *svc = json_string_value(json_object_get(l, EPS_LABEL_SERVICE_NAME));
	const char *by = json_string_value(json_object_get(l, EPS_LABEL_MANAGED_BY));

	if (!svc || !by || strcmp(by, EPS_CONTROLLER_NAME))
		return false;
	snprintf(buf, len, "%s/%s", ns_of(slice), svc);
	return true;
}

static void index_slice(const json_t *slice, bool add)
{
	char svc[512], key[512];

	if (!slice_service(slice, svc, sizeof(svc)))
		return;
	cm_key(slice, key, sizeof(key));
	if (add)
		keyindex_add(&es.slices_by_svc, svc, key);
	else
		keyindex_del(&es.slices_by_svc, svc, key);
}

/* --- per-Service state (callers hold es.mu) --- */

static struct svc_state *state_get(int which, const char *key, bool create)
{
	struct svc_state *s;

	HASH_FIND_STR(es.states[which], key, s);
	if (s || !create)
		return s;
	if (!(s = calloc(1, sizeof(*s))) || !(s->key = strdup(key))) {
		free(s);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, es.states[which], s->key, strlen(s->key), s);
	return s;
}

static void free_pod_times(struct pod_time **pods)
{
	struct pod_time *p, *tmp;

	HASH_ITER(hh, *pods, p, tmp) {
		HASH_DEL(*pods, p);
		free(p->key);
		free(p);
	}
}

static void expect_del(struct svc_state *s, struct expect *e)
{
	HASH_DEL(s->expects, e);
	free(e->name);
	free(e);
}

static void state_free(int which, struct svc_state *s)
{
	HASH_DEL(es.states[which], s);
	free_pod_times(&s->pods);
	while (s->expects)
		expect_del(s, s->expects);
	free(s->key);
	free(s);
}

static long long rv_of(const json_t *obj)
{
	return strtoll(cm_str(obj, "metadata", "resourceVersion") ?: "0", NULL, 10);
}

/* Remember that we wrote slice name of Service key (rv 0: deleted it). */
static void expect(const char *key, const char *name, long long rv)
{
	struct svc_state *s;
	struct expect *e = NULL;

	pthread_mutex_lock(&es.mu);
	s = state_get(FOR_SLICES, key, true);
	if (s) {
		HASH_FIND_STR(s->expects, name, e);
		if (!e && (e = calloc(1, sizeof(*e)))) {
			if ((e->name = strdup(name))) {
				HASH_ADD_KEYPTR(hh, s->expects, e->name, strlen(e->name), e);
			} else {
				free(e);
				e = NULL;
			}
		}
	}
	if (e) {
		e->rv = rv;
		e->at = cm_time_now();
	}
	pthread_mutex_unlock(&es.mu);
}

/*
 * Whether a slice event needs no sync: it is the echo of our own write (crossed off the
 * list), and no put-off sync waits for it. gone: the slice was deleted.
 */
static bool own_write_seen(const char *svc, const json_t *slice, bool gone)
{
	const char *name = cm_str(slice, "metadata", "name") ?: "";
	struct svc_state *s;
	struct expect *e = NULL;
	bool own = false;

	pthread_mutex_lock(&es.mu);
	s = state_get(FOR_SLICES, svc, false);
	if (s)
		HASH_FIND_STR(s->expects, name, e);
	if (e && (gone ? e->rv == 0 : e->rv == rv_of(slice))) {
		expect_del(s, e);
		/* The last write a put-off sync waited for: now it can run. */
		own = !(s->waiting && !s->expects);
		if (!own)
			s->waiting = false;
	}
	pthread_mutex_unlock(&es.mu);
	return own;
}

/* Whether the cached slices of a Service still lack a write of ours (then the plan would
 * be made from old data: duplicates, conflicts). Old expectations are given up. */
static bool slices_stale(const char *key)
{
	char ns[256], name[256], skey[512];
	struct svc_state *s;
	struct expect *e, *tmp;
	double now = cm_time_now();
	bool stale = false;

	cm_split_key(key, ns, sizeof(ns), name, sizeof(name));
	pthread_mutex_lock(&es.mu);
	s = state_get(FOR_SLICES, key, false);
	if (s)
		HASH_ITER(hh, s->expects, e, tmp) {
			json_t *cached;
			bool seen;

			snprintf(skey, sizeof(skey), "%s/%s", ns, e->name);
			cached = informer_get(es.slices, skey);
			seen = e->rv ? cached && rv_of(cached) >= e->rv : !cached;
			json_decref(cached);
			if (seen || now - e->at > EXPECT_TIMEOUT_S)
				expect_del(s, e);
			else
				stale = true;
		}
	if (s)
		s->waiting = stale;
	pthread_mutex_unlock(&es.mu);
	return stale;
}

/*
 * The TriggerTimeTracker: the earliest trigger time among the pods whose trigger time
 * changed since the last sync, and the Service's creation time on its first sync; NULL
 * buf (no annotation) when none changed.
 */
static const char *trigger_time(int which, const char *key, const json_t *svc,
				json_t *const *pods, size_t n, char *buf, size_t len)
{
	double created = cm_time(cm_str(svc, "metadata", "creationTimestamp"));
	struct pod_time *now = NULL, *old, *p;
	double min = INFINITY;
	struct svc_state *s;
	size_t i;

	pthread_mutex_lock(&es.mu);
	s = state_get(which, key, true);
	if (!s) {
		pthread_mutex_unlock(&es.mu);
		return NULL;
	}
	if (!isnan(created) && s->created != created) {
		min = created;
		s->created = created;
	}
	for (i = 0; i < n; i++) {
		double t = eps_pod_trigger_time(pods[i]);
		char pkey[512];

		cm_key(pods[i], pkey, sizeof(pkey));
		HASH_FIND_STR(s->pods, pkey, old);
		if ((!old || old->t != t) && t > 0 && t < min)
			min = t;
		HASH_FIND_STR(now, pkey, p);
		if (p || !(p = calloc(1, sizeof(*p))))
			continue;
		if (!(p->key = strdup(pkey))) {
			free(p);
			continue;
		}
		p->t = t;
		HASH_ADD_KEYPTR(hh, now, p->key, strlen(p->key), p);
	}
	free_pod_times(&s->pods);
	s->pods = now;
	pthread_mutex_unlock(&es.mu);
	if (isinf(min))
		return NULL;
	cm_format_time(min, buf, len, false);
	return buf;
}

static void forget_service(int which, const char *key)
{
	struct svc_state *s;

	pthread_mutex_lock(&es.mu);
	s = state_get(which, key, false);
	if (s)
		state_free(which, s);
	pthread_mutex_unlock(&es.mu);
}

/* --- lookups --- */

static void enqueue(const char *key)
{
	wq_add(es.q[FOR_SLICES], key);
	wq_add(es.q[FOR_ENDPOINTS], key);
}

/* Queue every Service of the pod's namespace whose selector its labels satisfy. */
static void enqueue_services_of(const json_t *pod)
{
	const json_t *labels = labels_of(pod);
	char bkey[1024];
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)labels, k, v) {
		char **keys;
		size_t n, i;

		label_bkey(bkey, sizeof(bkey), ns_of(pod), k, v);
		pthread_mutex_lock(&es.mu);
		keys = keyindex_keys(&es.svcs_by_label, bkey, &n);
		pthread_mutex_unlock(&es.mu);
		for (i = 0; i < n; i++) {
			json_t *svc = informer_get(es.services, keys[i]);

			if (svc && labels_match_map(selector_of(svc), labels))
				enqueue(keys[i]);
			json_decref(svc);
		}
		keyindex_keys_free(keys, n);
	}
}

/* The pods the Service selects (referenced; free with informer_list_free): from the
 * smallest index bucket among its selector's pairs. */
static json_t **selected_pods(const json_t *svc, size_t *n_out)
{
	const json_t *sel = selector_of(svc);
	char bkey[1024], best[1024] = "";
	size_t best_n = (size_t)-1, n = 0, i, k = 0;
	const char *lk;
	json_t *v, **pods;
	char **keys;

	*n_out = 0;
	pthread_mutex_lock(&es.mu);
	json_object_foreach((json_t *)sel, lk, v) {
		size_t size;

		label_bkey(bkey, sizeof(bkey), ns_of(svc), lk, v);
		size = keyindex_count(&es.pods_by_label, bkey);
		if (size < best_n) {
			best_n = size;
			snprintf(best, sizeof(best), "%s", bkey);
		}
	}
	keys = *best ? keyindex_keys(&es.pods_by_label, best, &n) : NULL;
	pthread_mutex_unlock(&es.mu);
	pods = calloc(n ? n : 1, sizeof(*pods));
	for (i = 0; pods && i < n; i++) {
		json_t *pod = informer_get(es.pods, keys[i]);

		if (pod && labels_match_map(sel, labels_of(pod)))
			pods[k++] = pod;
		else
			json_decref(pod);
	}
	keyindex_keys_free(keys, n);
	*n_out = k;
	return pods;
}

/* The managed slices of a Service (referenced; free with informer_list_free). */
static json_t **managed_slices(const char *key, size_t *n_out)
{
	char **keys;
	json_t **slices;
	size_t n, i, k = 0;

	pthread_mutex_lock(&es.mu);
	keys = keyindex_keys(&es.slices_by_svc, key, &n);
	pthread_mutex_unlock(&es.mu);
	slices = calloc(n ? n : 1, sizeof(*slices));
	for (i = 0; slices && i < n; i++)
		if ((slices[k] = informer_get(es.slices, keys[i])))
			k++;
	keyindex_keys_free(keys, n);
	*n_out = k;
	return slices;
}

static bool node_zone(void *ctx, const char *node, char *zone, size_t zone_len)
{
	json_t *n = informer_get(es.nodes, node);
	const char *z;

	(void)ctx;
	if (!n)
		return false;
	z = json_string_value(json_object_get(labels_of(n), ZONE_LABEL));
	snprintf(zone, zone_len, "%s", z ?: "");
	json_decref(n);
	return true;
}

/* --- the EndpointSlice controller --- */

static bool stale_cache_error(long code)
{
	/* Conflict: our cache is older than the object; AlreadyExists on a generated name
	 * cannot happen, NotFound on update or delete: someone else deleted it. */
	return code == 409 || code == 404;
}

/* A create refused because the namespace is being deleted: it would fail forever, and the
 * Service goes with the namespace anyway (kube drops the key then). */
static bool namespace_terminating(const json_t *st, long code)
{
	const char *msg = json_string_value(json_object_get(st, "message"));
	const json_t *causes = json_object_get(json_object_get(st, "details"), "causes"), *c;
	size_t i;

	if (code != 403)
		return false;
	json_array_foreach(causes, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "reason")) ?: "",
			    "NamespaceTerminating"))
			return true;
	return msg && strstr(msg, "because it is being terminated");
}

/* A write failed: -EAGAIN to retry, with a Warning on the Service unless the cache was
 * merely behind. */
static int write_failed(const json_t *svc, const char *what, const json_t *st, long code)
{
	char msg[256];

	kstatus_message(st, code, msg, sizeof(msg));
	if (code > 0 && !stale_cache_error(code) && svc)
		event_record(es.cm->c, SLICE_COMPONENT, NULL, svc, "Warning",
			     "FailedToUpdateEndpointSlices",
			     "Error updating Endpoint Slices for Service %s/%s: failed to %s: %s",
			     ns_of(svc), cm_str(svc, "metadata", "name") ?: "", what, msg);
	pr_info("endpointslice: %s for Service %s/%s: %s\n", what, svc ? ns_of(svc) : "",
		svc ? cm_str(svc, "metadata", "name") ?: "" : "", msg);
	return -EAGAIN;
}

static int delete_slice(const char *key, const json_t *svc, const json_t *slice)
{
	const char *name = cm_str(slice, "metadata", "name") ?: "";
	char path[768];
	json_t *st = NULL;
	long code;
	int err = 0;

	kpath(path, sizeof(path), SLICE_GV, ns_of(slice), "endpointslices", name, NULL);
	code = kclient_delete(es.cm->c, path, NULL, &st);
	if ((code >= 200 && code < 300) || code == 404)
		expect(key, name, 0);
	else
		err = write_failed(svc, "delete EndpointSlice", st, code);
	json_decref(st);
	return err;
}

static int write_plan(const char *key, const json_t *svc, const struct eps_plan *plan)
{
	const char *ns = ns_of(svc);
	char path[768];
	json_t *s, *out;
	size_t i;
	long code;

	kpath(path, sizeof(path), SLICE_GV, ns, "endpointslices", NULL, NULL);
	json_array_foreach(plan->create, i, s) {
		out = NULL;
		code = kclient_post(es.cm->c, path, s, &out);
		if (namespace_terminating(out, code)) {
			json_decref(out);
			return 0;
		}
		if (code < 200 || code >= 300) {
			int err = write_failed(svc, "create EndpointSlice", out, code);

			json_decref(out);
			return err;
		}
		expect(key, cm_str(out, "metadata", "name") ?: "", rv_of(out));
		json_decref(out);
	}
	json_array_foreach(plan->update, i, s) {
		const char *name = cm_str(s, "metadata", "name") ?: "";

		kpath(path, sizeof(path), SLICE_GV, ns, "endpointslices", name, NULL);
		out = NULL;
		code = kclient_put(es.cm->c, path, s, &out);
		if (code < 200 || code >= 300) {
			int err = write_failed(svc, "update EndpointSlice", out, code);

			json_decref(out);
			return err;
		}
		expect(key, name, rv_of(out));
		json_decref(out);
	}
	json_array_foreach(plan->del, i, s) {
		int err = delete_slice(key, svc, s);

		if (err)
			return err;
	}
	return 0;
}

static int sync_slices(struct cm *cm, const char *key)
{
	json_t *svc = informer_get(es.services, key), **pods = NULL, **slices;
	size_t n_pods = 0, n_slices = 0, i;
	struct eps_slices_in in = { 0 };
	struct eps_plan plan;
	char tt_buf[64];
	int err = 0;

	(void)cm;
	if (slices_stale(key)) {
		wq_add_after(es.q[FOR_SLICES], key, STALE_RETRY_MS);
		json_decref(svc);
		return 0;
	}
	slices = managed_slices(key, &n_slices);
	if (!svc || !eps_service_selects(svc)) {
		/* Deleted, or its endpoints are now someone else's: our slices go (kube leaves
		 * the first to the garbage collector; doing it here does not need it running). */
		if (!slices)
			err = -ENOMEM;
		for (i = 0; i < n_slices && !err; i++)
			err = delete_slice(key, svc, slices[i]);
		if (!svc)
			forget_service(FOR_SLICES, key);
		goto out;
	}
	if (!slices || !(pods = selected_pods(svc, &n_pods))) {
		err = -ENOMEM;
		goto out;
	}
	in.svc = svc;
	in.pods = (const json_t *const *)pods;
	in.n_pods = n_pods;
	in.slices = (const json_t *const *)slices;
	in.n_slices = n_slices;
	in.node = node_zone;
	in.trigger_time = trigger_time(FOR_SLICES, key, svc, pods, n_pods, tt_buf, sizeof(tt_buf));
	err = eps_plan_slices(&in, &plan);
	if (err)
		goto out;
	if (json_array_size(plan.create) || json_array_size(plan.update) ||
	    json_array_size(plan.del))
		pr_debug("endpointslice: %s: %zu to create, %zu to update, %zu to delete\n", key,
			 json_array_size(plan.create), json_array_size(plan.update),
			 json_array_size(plan.del));
	err = write_plan(key, svc, &plan);
	if (!err && plan.skipped) {
		/* As kube: the Service is synced again (with backoff) until the node shows up. */
		pr_info("endpointslice: %s (%d pods)\n", plan.skipped_msg, plan.skipped);
		err = -EAGAIN;
	}
	eps_plan_free(&plan);
out:
	informer_list_free(pods, n_pods);
	informer_list_free(slices, n_slices);
	json_decref(svc);
	return err;
}

/* --- the Endpoints controller --- */

static int write_endpoints(const json_t *svc, const json_t *obj, bool create)
{
	char path[768], msg[256];
	json_t *st = NULL;
	long code;

	kpath(path, sizeof(path), "v1", ns_of(svc), "endpoints",
	      create ? NULL : cm_str(svc, "metadata", "name"), NULL);
	code = create ? kclient_post(es.cm->c, path, obj, &st) : kclient_put(es.cm->c, path, obj, &st);
	if (code >= 200 && code < 300) {
		json_decref(st);
		return 0;
	}
	if (create && namespace_terminating(st, code)) {
		json_decref(st);
		return 0;
	}
	kstatus_message(st, code, msg, sizeof(msg));
	json_decref(st);
	/* A conflict or an object that exists already: the cache is behind; retried. */
	if (code > 0 && !stale_cache_error(code)) {
		if (create)
			event_record(es.cm->c, ENDPOINTS_COMPONENT, NULL, obj, "Warning",
				     "FailedToCreateEndpoint",
				     "Failed to create endpoint for service %s/%s: %s", ns_of(svc),
				     cm_str(svc, "metadata", "name") ?: "", msg);
		else
			event_record(es.cm->c, ENDPOINTS_COMPONENT, NULL, obj, "Warning",
				     "FailedToUpdateEndpoint", "Failed to update endpoint %s/%s: %s",
				     ns_of(svc), cm_str(svc, "metadata", "name") ?: "", msg);
	}
	pr_info("endpoints: %s %s/%s: %s\n", create ? "create" : "update", ns_of(svc),
		cm_str(svc, "metadata", "name") ?: "", msg);
	return -EAGAIN;
}

/* The Endpoints of a Service that is gone: deleted with it (but never a leader-election
 * record some older component keeps in an Endpoints object). */
static int delete_endpoints(const json_t *ep)
{
	const json_t *ann = json_object_get(json_object_get(ep, "metadata"), "annotations");
	char path[768], msg[256];
	json_t *st = NULL;
	long code;

	if (json_object_get(ann, EPS_ANN_LEADER))
		return 0;
	kpath(path, sizeof(path), "v1", ns_of(ep), "endpoints", cm_str(ep, "metadata", "name"),
	      NULL);
	code = kclient_delete(es.cm->c, path, NULL, &st);
	if ((code >= 200 && code < 300) || code == 404) {
		json_decref(st);
		return 0;
	}
	pr_info("endpoints: delete %s/%s: %s\n", ns_of(ep), cm_str(ep, "metadata", "name") ?: "",
		kstatus_message(st, code, msg, sizeof(msg)));
	json_decref(st);
	return -EAGAIN;
}

static int sync_endpoints(struct cm *cm, const char *key)
{
	json_t *svc = informer_get(es.services, key), *cur = informer_get(es.endpoints, key);
	json_t **pods = NULL, *obj = NULL;
	size_t n_pods = 0;
	char tt_buf[64];
	const char *tt;
	int err = 0;

	(void)cm;
	if (!svc) {
		forget_service(FOR_ENDPOINTS, key);
		if (cur)
			err = delete_endpoints(cur);
		goto out;
	}
	/* Without a selector the Endpoints are the user's (or the mirroring's) to write. */
	if (!eps_service_selects(svc))
		goto out;
	if (!(pods = selected_pods(svc, &n_pods))) {
		err = -ENOMEM;
		goto out;
	}
	tt = trigger_time(FOR_ENDPOINTS, key, svc, pods, n_pods, tt_buf, sizeof(tt_buf));
	err = eps_plan_endpoints(svc, (const json_t *const *)pods, n_pods, cur, tt, &obj);
	if (!err && obj)
		err = write_endpoints(svc, obj, !cur);
out:
	json_decref(obj);
	informer_list_free(pods, n_pods);
	json_decref(cur);
	json_decref(svc);
	return err;
}

/* --- informer handlers --- */

/* Move an object in one of the indexes: old out (unless NULL), cur in (unless NULL). */
static void reindex(void (*index)(const json_t *obj, bool add), const json_t *old,
		   const json_t *cur)
{
	pthread_mutex_lock(&es.mu);
	if (old)
		index(old, false);
	if (cur)
		index(cur, true);
	pthread_mutex_unlock(&es.mu);
}

static void enqueue_service(const json_t *svc)
{
	char key[512];

	cm_key(svc, key, sizeof(key));
	enqueue(key);
}

static void on_service(void *ctx, const json_t *obj)
{
	(void)ctx;
	reindex(index_service, NULL, obj);
	enqueue_service(obj);
}

static void on_service_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)ctx;
	if (!json_same(selector_of(old), selector_of(obj)))
		reindex(index_service, old, obj);
	enqueue_service(obj);
}

static void on_service_delete(void *ctx, const json_t *obj)
{
	(void)ctx;
	reindex(index_service, obj, NULL);
	enqueue_service(obj);
}

static void on_pod(void *ctx, const json_t *obj)
{
	(void)ctx;
	reindex(index_pod, NULL, obj);
	enqueue_services_of(obj);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *obj)
{
	bool changed, labels_changed;

	(void)ctx;
	eps_pod_changed(old, obj, &changed, &labels_changed);
	if (!json_same(labels_of(old), labels_of(obj)))
		reindex(index_pod, old, obj);
	/* A pod that now matches other Services leaves the old ones and joins the new. */
	if (labels_changed)
		enqueue_services_of(old);
	if (changed || labels_changed)
		enqueue_services_of(obj);
}

static void on_pod_delete(void *ctx, const json_t *obj)
{
	(void)ctx;
	reindex(index_pod, obj, NULL);
	enqueue_services_of(obj);
}

/* A change of a managed slice that is not our own write (a user edited or deleted it, or
 * it is left from before a restart): its Service is synced to put it right. */
static void slice_changed(const json_t *obj, bool gone)
{
	char svc[512];

	if (slice_service(obj, svc, sizeof(svc)) && !own_write_seen(svc, obj, gone))
		wq_add(es.q[FOR_SLICES], svc);
}

static void on_slice(void *ctx, const json_t *obj)
{
	(void)ctx;
	reindex(index_slice, NULL, obj);
	slice_changed(obj, false);
}

static void on_slice_update(void *ctx, const json_t *old, const json_t *obj)
{
	char a[512] = "", b[512] = "";

	(void)ctx;
	slice_service(old, a, sizeof(a));
	slice_service(obj, b, sizeof(b));
	if (strcmp(a, b)) {
		/* Relabelled: no longer (or now) ours, or moved to another Service. */
		reindex(index_slice, old, obj);
		if (*a)
			wq_add(es.q[FOR_SLICES], a);
	}
	slice_changed(obj, false);
}

static void on_slice_delete(void *ctx, const json_t *obj)
{
	(void)ctx;
	reindex(index_slice, obj, NULL);
	slice_changed(obj, true);
}

/* Endpoints deleted by someone else come back (kube watches only deletions: an edit is
 * undone at the next change of the Service or its pods). */
static void on_endpoints_delete(void *ctx, const json_t *obj)
{
	char key[512];

	(void)ctx;
	cm_key(obj, key, sizeof(key));
	wq_add(es.q[FOR_ENDPOINTS], key);
}

/* --- the controller --- */

static int endpointslice_init(struct cm *cm)
{
	static const struct informer_handlers svc_h = { on_service, on_service_update,
							on_service_delete, NULL };
	static const struct informer_handlers pod_h = { on_pod, on_pod_update, on_pod_delete,
							NULL };
	static const struct informer_handlers slice_h = { on_slice, on_slice_update,
							  on_slice_delete, NULL };
	static const struct informer_handlers ep_h = { NULL, NULL, on_endpoints_delete, NULL };

	es.cm = cm;
	es.services = cm_informer(cm, "/api/v1/services");
	es.pods = cm_informer(cm, "/api/v1/pods");
	es.nodes = cm_informer(cm, "/api/v1/nodes");
	es.slices = cm_informer(cm, "/apis/" SLICE_GV "/endpointslices");
	es.endpoints = cm_informer(cm, "/api/v1/endpoints");
	es.q[FOR_SLICES] = wq_new();
	es.q[FOR_ENDPOINTS] = wq_new();
	if (!es.services || !es.pods || !es.nodes || !es.slices || !es.endpoints ||
	    !es.q[FOR_SLICES] || !es.q[FOR_ENDPOINTS])
		return -ENOMEM;
	if (informer_add_handlers(es.services, &svc_h) || informer_add_handlers(es.pods, &pod_h) ||
	    informer_add_handlers(es.slices, &slice_h) ||
	    informer_add_handlers(es.endpoints, &ep_h))
		return -ENOMEM;
	es.active = true;
	return 0;
}

static int endpointslice_run(struct cm *cm)
{
	json_t **all;
	size_t n, i;
	int err;

	if (!es.active)
		return 0;
	/* checkLeftoverEndpoints: Endpoints whose Service went away while no manager ran. */
	n = informer_list(es.endpoints, &all);
	for (i = 0; i < n; i++) {
		char key[512];
		json_t *svc;

		cm_key(all[i], key, sizeof(key));
		if (!(svc = informer_get(es.services, key)))
			wq_add(es.q[FOR_ENDPOINTS], key);
		json_decref(svc);
	}
	informer_list_free(all, n);
	err = cm_run_workers(cm, es.q[FOR_SLICES], cm->workers, sync_slices,
			     "EndpointSlices of Service");
	return err ? err : cm_run_workers(cm, es.q[FOR_ENDPOINTS], cm->workers, sync_endpoints,
					  "Endpoints of Service");
}

static void endpointslice_stop(struct cm *cm)
{
	int which;

	(void)cm;
	if (!es.active)
		return;
	keyindex_free(&es.pods_by_label);
	keyindex_free(&es.svcs_by_label);
	keyindex_free(&es.slices_by_svc);
	for (which = 0; which < 2; which++) {
		while (es.states[which])
			state_free(which, es.states[which]);
		wq_free(es.q[which]);
	}
	es.active = false;
}

const struct controller endpointslice_controller = {
	.name = "endpointslice",
	.init = endpointslice_init,
	.run = endpointslice_run,
	.stop = endpointslice_stop,
};
