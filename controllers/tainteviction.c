/* tainteviction.c — the taint eviction controller (kube's taint manager, v1.32's
 * taint-eviction-controller): a pod on a node with a NoExecute taint it does not tolerate
 * is deleted at once; one tolerating it for tolerationSeconds is deleted when they have
 * run out, counted from when this controller first saw the pod under NoExecute taints (as
 * kube's taint manager counts); one tolerating it for ever stays. Run by
 * the node lifecycle controller (nodelifecycle.c), whose pods-by-node index it uses. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cm.h"
#include "events.h"
#include "log.h"
#include "nodelifecycle.h"
#include "util.h"

#define COMPONENT "taint-eviction-controller"

/* A pending eviction (kube's TimedWorkerQueue entry). */
struct scheduled {
	char *pod;       /* namespace/name */
	double since;    /* wall clock: first seen under the taints */
	double deadline; /* wall clock */
	double wake;     /* when the queue brings the pod back, 0: not asked */
	UT_hash_handle hh;
};

/* The NoExecute taints of a node that has some. */
struct tainted {
	char *node;
	json_t *taints;
	UT_hash_handle hh;
};

static struct {
	struct informer *nodes, *pods;
	struct workqueue *q; /* "n:<node>" and "p:<namespace>/<name>" */
	pthread_mutex_t mu;  /* scheduled, tainted */
	struct scheduled *scheduled;
	struct tainted *tainted;
} te = { .mu = PTHREAD_MUTEX_INITIALIZER };

static json_t *noexecute_taints(const json_t *node)
{
	json_t *out = json_array();
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(node, "spec"), "taints"), i, t)
		if (!strcmp(cm_str(t, "effect", NULL) ?: "", "NoExecute"))
			json_array_append(out, (json_t *)t);
	return out;
}

/* The object an event about a pod names, when only its key is left. */
static json_t *pod_ref(const char *key)
{
	char ns[256], name[256];

	cm_split_key(key, ns, sizeof(ns), name, sizeof(name));
	return json_pack("{s:s,s:s,s:{s:s,s:s}}", "kind", "Pod", "apiVersion", "v1", "metadata",
			 "namespace", ns, "name", name);
}

/* Forget a pending eviction; kube's "Cancelling deletion" event when there was one. */
static void cancel(struct cm *cm, const char *key)
{
	struct scheduled *s;
	json_t *ref;

	pthread_mutex_lock(&te.mu);
	HASH_FIND_STR(te.scheduled, key, s);
	if (s)
		HASH_DEL(te.scheduled, s);
	pthread_mutex_unlock(&te.mu);
	if (!s)
		return;
	pr_info("pod %s: eviction cancelled\n", key);
	ref = pod_ref(key);
	event_record(cm->c, COMPONENT, NULL, ref, "Normal", "TaintManagerEviction",
		     "Cancelling deletion of Pod %s", key);
	json_decref(ref);
	free(s->pod);
	free(s);
}

/* kube's addConditionAndDeletePod: DisruptionTarget in the status, then a delete with
 * the pod's own grace period. */
static int evict(struct cm *cm, const json_t *pod, const char *key)
{
	const char *ns = cm_str(pod, "metadata", "namespace"), *name = cm_str(pod, "metadata", "name");
	char path[1024], now[32];
	struct scheduled *s;
	json_t *patch;
	long code;

	pthread_mutex_lock(&te.mu);
	HASH_FIND_STR(te.scheduled, key, s);
	if (s)
		HASH_DEL(te.scheduled, s);
	pthread_mutex_unlock(&te.mu);
	if (s) {
		free(s->pod);
		free(s);
	}
	pr_info("pod %s on node %s: evicting (NoExecute taint)\n", key,
		cm_str(pod, "spec", "nodeName"));
	event_record(cm->c, COMPONENT, NULL, pod, "Normal", "TaintManagerEviction",
		     "Marking for deletion Pod %s", key);
	kpath(path, sizeof(path), "v1", ns, "pods", name, "status");
	cm_now(now, sizeof(now));
	patch = json_pack("{s:{s:[{s:s,s:s,s:s,s:s,s:s}]}}", "status", "conditions", "type",
			  "DisruptionTarget", "status", "True", "reason", "DeletionByTaintManager",
			  "message", "Taint manager: deleting due to NoExecute taint",
			  "lastTransitionTime", now);
	code = kclient_patch(cm->c, path, "strategic", patch, NULL);
	json_decref(patch);
	if (code == 404)
		return 0;
	if (code != 200)
		pr_warn("pod %s: setting DisruptionTarget: HTTP %ld\n", key, code);
	kpath(path, sizeof(path), "v1", ns, "pods", name, NULL);
	code = kclient_delete(cm->c, path, NULL, NULL);
	if (code == 200 || code == 202 || code == 404)
		return 0;
	pr_warn("pod %s: deleting: HTTP %ld\n", key, code);
	return -EIO;
}

/* kube's processPodOnNode. */
static int process_pod(struct cm *cm, const json_t *pod, const json_t *taints)
{
	const json_t *tols = json_object_get(json_object_get(pod, "spec"), "tolerations");
	double now = cm_time_now(), since = now, deadline;
	struct scheduled *s;
	char key[512], qkey[520];
	int delay_ms = -1;

	cm_key(pod, key, sizeof(key));
	if (!json_array_size(taints)) {
		cancel(cm, key);
		return 0;
	}
	if (cm_being_deleted(pod))
		return 0; /* on its way out already */
	pthread_mutex_lock(&te.mu);
	HASH_FIND_STR(te.scheduled, key, s);
	if (s)
		since = s->since;
	pthread_mutex_unlock(&te.mu);
	if (!nl_eviction_deadline(tols, taints, since, &deadline)) {
		cancel(cm, key);
		return 0;
	}
	if (deadline <= now)
		return evict(cm, pod, key);
	pthread_mutex_lock(&te.mu);
	HASH_FIND_STR(te.scheduled, key, s);
	if (!s && (s = calloc(1, sizeof(*s))) && !(s->pod = strdup(key))) {
		free(s);
		s = NULL;
	}
	if (s && !s->since) {
		s->since = since;
		HASH_ADD_KEYPTR(hh, te.scheduled, s->pod, strlen(s->pod), s);
	}
	/* Come back at the deadline, unless a wake-up at it is on its way already. */
	if (s && (!s->wake || s->wake <= now || fabs(s->deadline - deadline) > 0.001)) {
		s->deadline = deadline;
		s->wake = deadline + 0.01;
		delay_ms = (int)ceil((s->wake - now) * 1000);
	}
	pthread_mutex_unlock(&te.mu);
	if (delay_ms >= 0) {
		pr_debug("pod %s: evicted in %d ms unless its node is untainted\n", key, delay_ms);
		snprintf(qkey, sizeof(qkey), "p:%s", key);
		wq_add_after(te.q, qkey, delay_ms);
	}
	return 0;
}

/* kube's handleNodeUpdate: remember the node's NoExecute taints, then its pods. */
static int sync_node(struct cm *cm, const char *name)
{
	json_t *node = informer_get(te.nodes, name);
	json_t *taints = node ? noexecute_taints(node) : json_array();
	struct tainted *t;
	char **keys;
	size_t n, i;
	int ret = 0;

	pthread_mutex_lock(&te.mu);
	HASH_FIND_STR(te.tainted, name, t);
	if (!t && json_array_size(taints) && (t = calloc(1, sizeof(*t)))) {
		t->node = strdup(name);
		HASH_ADD_KEYPTR(hh, te.tainted, t->node, strlen(t->node), t);
	}
	if (t) {
		json_decref(t->taints);
		t->taints = json_incref(taints);
		if (!json_array_size(taints)) {
			HASH_DEL(te.tainted, t);
			json_decref(t->taints);
			free(t->node);
			free(t);
		}
	}
	pthread_mutex_unlock(&te.mu);
	n = nl_pods_on_node(name, &keys);
	for (i = 0; i < n; i++) {
		json_t *pod = informer_get(te.pods, keys[i]);

		if (pod && !strcmp(cm_str(pod, "spec", "nodeName") ?: "", name) &&
		    process_pod(cm, pod, taints))
			ret = -EIO;
		json_decref(pod);
	}
	nl_keys_free(keys, n);
	json_decref(taints);
	json_decref(node);
	return ret;
}

/* kube's handlePodUpdate. */
static int sync_pod(struct cm *cm, const char *key)
{
	json_t *pod = informer_get(te.pods, key), *taints = NULL;
	struct tainted *t;
	int ret = 0;

	if (!pod) {
		cancel(cm, key);
		return 0;
	}
	pthread_mutex_lock(&te.mu);
	HASH_FIND_STR(te.tainted, cm_str(pod, "spec", "nodeName") ?: "", t);
	if (t)
		taints = json_incref(t->taints);
	pthread_mutex_unlock(&te.mu);
	/* An untainted node cancelled its pods' evictions when it lost its taints. */
	if (taints)
		ret = process_pod(cm, pod, taints);
	json_decref(taints);
	json_decref(pod);
	return ret;
}

static int sync_key(struct cm *cm, const char *qkey)
{
	return qkey[0] == 'n' ? sync_node(cm, qkey + 2) : sync_pod(cm, qkey + 2);
}

static void queue(char kind, const json_t *obj)
{
	char key[520];

	key[0] = kind;
	key[1] = ':';
	cm_key(obj, key + 2, sizeof(key) - 2);
	wq_add(te.q, key);
}

static void on_node(void *ctx, const json_t *obj)
{
	(void)ctx;
	queue('n', obj);
}

static void on_node_update(void *ctx, const json_t *old, const json_t *obj)
{
	json_t *a = noexecute_taints(old), *b = noexecute_taints(obj);

	if (!json_equal(a, b))
		on_node(ctx, obj);
	json_decref(a);
	json_decref(b);
}

static void on_pod(void *ctx, const json_t *obj)
{
	(void)ctx;
	if (cm_str(obj, "spec", "nodeName"))
		queue('p', obj);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *obj)
{
	const json_t *a = json_object_get(old, "spec"), *b = json_object_get(obj, "spec");

	(void)ctx;
	if (!json_same(json_object_get(a, "tolerations"), json_object_get(b, "tolerations")) ||
	    !json_same(json_object_get(a, "nodeName"), json_object_get(b, "nodeName")))
		queue('p', obj);
}

static void on_pod_delete(void *ctx, const json_t *obj)
{
	(void)ctx;
	queue('p', obj);
}

int te_init(struct cm *cm)
{
	struct informer_handlers nh = { .add = on_node, .update = on_node_update, .del = on_node };
	struct informer_handlers ph = { .add = on_pod, .update = on_pod_update,
					.del = on_pod_delete };

	te.nodes = cm_informer(cm, "/api/v1/nodes");
	te.pods = cm_informer(cm, "/api/v1/pods");
	te.q = wq_new();
	if (!te.nodes || !te.pods || !te.q || informer_add_handlers(te.nodes, &nh) ||
	    informer_add_handlers(te.pods, &ph))
		return -ENOMEM;
	return 0;
}

int te_run(struct cm *cm)
{
	return cm_run_workers(cm, te.q, cm->workers, sync_key, "taint eviction");
}

void te_stop(struct cm *cm)
{
	struct scheduled *s, *stmp;
	struct tainted *t, *ttmp;

	(void)cm;
	HASH_ITER(hh, te.scheduled, s, stmp) {
		HASH_DEL(te.scheduled, s);
		free(s->pod);
		free(s);
	}
	HASH_ITER(hh, te.tainted, t, ttmp) {
		HASH_DEL(te.tainted, t);
		json_decref(t->taints);
		free(t->node);
		free(t);
	}
	wq_free(te.q);
	te.q = NULL;
}
