/* nodelifecycle.c — the node lifecycle controller, as kube-controller-manager v1.32 runs it:
 * a node whose kubelet stops renewing its Lease (kube-node-lease) and posting status for
 * --node-monitor-grace-period gets Ready=Unknown; NotReady and unreachable nodes get the
 * NoExecute taints that make the taint eviction controller (tainteviction.c) evict their
 * pods, at a per-zone rate and never when a whole cluster looks down; conditions become
 * NoSchedule taints; pods on a node that is not Ready are marked not Ready. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "cm.h"
#include "events.h"
#include "log.h"
#include "nodelifecycle.h"
#include "util.h"

#define COMPONENT "node-controller"
#define LEASE_NS "kube-node-lease"
#define LABEL_EXCLUDE_DISRUPTION "node.kubernetes.io/exclude-disruption"

/* --node-eviction-rate, --secondary-node-eviction-rate, --large-cluster-size-threshold,
 * --unhealthy-zone-threshold; kube's defaults until init reads the flags. */
static double eviction_qps = 0.1;
static double secondary_eviction_qps = 0.01;
static int large_cluster_threshold = 50;
static double unhealthy_zone_threshold = 0.55;
#define TAINT_PASS_MS 100 /* kube's NodeEvictionPeriod */

/* What the monitor knows of a node between passes (kube's nodeHealthData). */
struct health {
	char *name;
	/* Monotonic (mono_now), so that a wall-clock step never marks every node silent at
	 * once; times read from objects use cm_time. */
	double probe;       /* monotonic second of the last sign of life */
	char *heartbeat;    /* Ready's lastHeartbeatTime last seen */
	char *renew;        /* the Lease's renewTime last seen */
	bool had_ready;     /* the node had a Ready condition */
	char *uid;
	bool seen;          /* seen in this pass */
	bool pods_pending;  /* its pods are still to be marked not Ready */
	UT_hash_handle hh;
};

/* A node waiting for its NoExecute taint (kube's RateLimitedTimedQueue entry). */
struct taint_wait {
	char *node;
	struct taint_wait *next;
};

/* A zone: its state and the token bucket that paces NoExecute tainting in it. */
struct zone {
	char *key;
	enum nl_zone_state state;
	int size, not_ready;        /* this pass's nodes (excluded ones aside) */
	double qps, tokens, refilled;
	struct taint_wait *waiting; /* FIFO */
	bool seen;                  /* some node is in it this pass */
	UT_hash_handle hh;
};

/* Pods by node, from the pod informer. */
struct pod_ref {
	char *key;
	UT_hash_handle hh;
};

struct node_pods {
	char *node;
	struct pod_ref *pods;
	UT_hash_handle hh;
};

static struct {
	bool initialised;
	struct informer *nodes, *pods, *leases;
	struct workqueue *nodeq; /* NoSchedule taints, by node name */
	struct workqueue *podq;  /* pods newly bound: marked not Ready on a node that is not */
	/* The monitor thread's own. */
	struct health *health;
	struct zone *zones;
	pthread_mutex_t idx_mu;  /* by_node */
	struct node_pods *by_node;
} nl = { .idx_mu = PTHREAD_MUTEX_INITIALIZER };

/* --- pure rules --- */

bool nl_tolerates(const json_t *tol, const json_t *taint)
{
	const char *effect = json_string_value(json_object_get(tol, "effect"));
	const char *key = json_string_value(json_object_get(tol, "key"));
	const char *op = json_string_value(json_object_get(tol, "operator"));
	const char *tv = json_string_value(json_object_get(tol, "value"));
	const char *v = json_string_value(json_object_get(taint, "value"));

	if (effect && *effect && strcmp(effect, cm_str(taint, "effect", NULL) ?: ""))
		return false;
	if (key && *key && strcmp(key, cm_str(taint, "key", NULL) ?: ""))
		return false;
	if (!op || !*op || !strcmp(op, "Equal"))
		return !strcmp(tv ?: "", v ?: "");
	return !strcmp(op, "Exists");
}

bool nl_eviction_deadline(const json_t *tolerations, const json_t *taints, double since,
			  double *deadline)
{
	const json_t *taint, *tol;
	json_int_t min = -1; /* -1: tolerated for ever */
	size_t i, j;

	*deadline = since;
	if (!json_array_size(taints))
		return false;
	json_array_foreach(taints, i, taint) {
		const json_t *used = NULL, *secs;

		/* The first toleration that tolerates the taint is the one that counts. */
		json_array_foreach(tolerations, j, tol)
			if (nl_tolerates(tol, taint)) {
				used = tol;
				break;
			}
		if (!used)
			return true;
		secs = json_object_get(used, "tolerationSeconds");
		if (!json_is_integer(secs))
			continue;
		if (json_integer_value(secs) <= 0)
			return true;
		if (min < 0 || json_integer_value(secs) < min)
			min = json_integer_value(secs);
	}
	if (min < 0)
		return false;
	*deadline = since + (double)min;
	return true;
}

enum nl_zone_state nl_zone_state(int ready, int not_ready)
{
	if (!ready && not_ready > 0)
		return NL_ZONE_FULL;
	if (not_ready > 2 && (double)not_ready / (not_ready + ready) >= unhealthy_zone_threshold)
		return NL_ZONE_PARTIAL;
	return NL_ZONE_NORMAL;
}

/* --- pods by node --- */

static void index_pod(const char *node, const char *key, bool add)
{
	struct node_pods *np;
	struct pod_ref *r;

	if (!node || !*node)
		return;
	pthread_mutex_lock(&nl.idx_mu);
	HASH_FIND_STR(nl.by_node, node, np);
	if (add && !np && (np = calloc(1, sizeof(*np)))) {
		np->node = strdup(node);
		HASH_ADD_KEYPTR(hh, nl.by_node, np->node, strlen(np->node), np);
	}
	if (!np)
		goto out;
	HASH_FIND_STR(np->pods, key, r);
	if (add && !r && (r = calloc(1, sizeof(*r)))) {
		r->key = strdup(key);
		HASH_ADD_KEYPTR(hh, np->pods, r->key, strlen(r->key), r);
	} else if (!add && r) {
		HASH_DEL(np->pods, r);
		free(r->key);
		free(r);
	}
	if (!np->pods) {
		HASH_DEL(nl.by_node, np);
		free(np->node);
		free(np);
	}
out:
	pthread_mutex_unlock(&nl.idx_mu);
}

size_t nl_pods_on_node(const char *node, char ***keys)
{
	struct node_pods *np;
	struct pod_ref *r, *tmp;
	size_t n = 0;

	*keys = NULL;
	pthread_mutex_lock(&nl.idx_mu);
	HASH_FIND_STR(nl.by_node, node, np);
	if (np && (*keys = calloc(HASH_COUNT(np->pods), sizeof(char *))))
		HASH_ITER(hh, np->pods, r, tmp)
			if (((*keys)[n] = strdup(r->key)))
				n++;
	pthread_mutex_unlock(&nl.idx_mu);
	return n;
}

void nl_keys_free(char **keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* --- node helpers --- */

static const char *label(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "labels"), key));
}

/* kube's nodetopology.GetZoneKey: region and zone labels (GA, then beta); "" for none. */
static void zone_key(const json_t *node, char *buf, size_t len)
{
	const char *region = label(node, "topology.kubernetes.io/region")
				     ?: label(node, "failure-domain.beta.kubernetes.io/region");
	const char *zone = label(node, "topology.kubernetes.io/zone")
				   ?: label(node, "failure-domain.beta.kubernetes.io/zone");

	if (!region && !zone)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%s:%s", region ?: "", zone ?: "");
}

static bool same_taint(const json_t *t, const char *key, const char *effect)
{
	return !strcmp(cm_str(t, "key", NULL) ?: "", key) &&
	       !strcmp(cm_str(t, "effect", NULL) ?: "", effect);
}

static bool has_taint(const json_t *node, const char *key, const char *effect)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(node, "spec"), "taints"), i, t)
		if (same_taint(t, key, effect))
			return true;
	return false;
}

struct taint_ref {
	const char *key, *effect;
};

/*
 * Add and remove taints (matched by key and effect, as kube's taint utils do) with a
 * compare-and-swap on the node's resourceVersion, refetching on conflict (kube's
 * AddOrUpdateTaintOnNode/RemoveTaintOffNode). New taints carry timeAdded (kube's
 * SwapNodeControllerTaint). 0, or a negative errno.
 */
static int swap_taints(struct cm *cm, const json_t *node, const struct taint_ref *add,
		       size_t n_add, const struct taint_ref *del, size_t n_del)
{
	const char *name = cm_str(node, "metadata", "name");
	json_t *fresh = NULL;
	char path[512], now[32];
	int attempt, ret = -EAGAIN;

	kpath(path, sizeof(path), "v1", NULL, "nodes", name, NULL);
	cm_now(now, sizeof(now));
	for (attempt = 0; attempt < 5 && ret == -EAGAIN; attempt++) {
		const json_t *cur = json_object_get(json_object_get(node, "spec"), "taints"), *t;
		json_t *next = json_array(), *patch;
		size_t i, k;
		long code;

		json_array_foreach(cur, i, t) {
			for (k = 0; k < n_del; k++)
				if (same_taint(t, del[k].key, del[k].effect))
					break;
			if (k == n_del)
				json_array_append(next, (json_t *)t);
		}
		for (k = 0; k < n_add; k++)
			if (!has_taint(node, add[k].key, add[k].effect))
				json_array_append_new(next, json_pack("{s:s,s:s,s:s}", "key", add[k].key,
								      "effect", add[k].effect,
								      "timeAdded", now));
		if (json_equal(next, cur ?: json_array())) {
			json_decref(next);
			ret = 0;
			break;
		}
		patch = json_pack("{s:{s:O*},s:{s:o}}", "metadata", "resourceVersion",
				  json_object_get(json_object_get(node, "metadata"), "resourceVersion"),
				  "spec", "taints", next);
		code = kclient_patch(cm->c, path, "merge", patch, NULL);
		json_decref(patch);
		if (code == 200) {
			ret = 0;
		} else if (code == 409) {
			json_decref(fresh);
			fresh = NULL;
			if (kclient_get(cm->c, path, &fresh) != 200) {
				ret = -EIO;
				break;
			}
			node = fresh;
		} else {
			pr_warn("node %s: updating taints: HTTP %ld\n", name, code);
			ret = code == 404 ? 0 : -EIO;
		}
	}
	json_decref(fresh);
	return ret;
}

/* --- NoSchedule taints from conditions (kube's doNoScheduleTaintingPass) --- */

static const struct {
	const char *type, *status, *taint;
} condition_taints[] = {
	{ "Ready", "False", TAINT_NOT_READY },
	{ "Ready", "Unknown", TAINT_UNREACHABLE },
	{ "MemoryPressure", "True", "node.kubernetes.io/memory-pressure" },
	{ "DiskPressure", "True", "node.kubernetes.io/disk-pressure" },
	{ "NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable" },
	{ "PIDPressure", "True", "node.kubernetes.io/pid-pressure" },
};
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define N_CONDITION_TAINTS (sizeof(condition_taints) / sizeof(condition_taints[0]))

static int sync_noschedule(struct cm *cm, const char *name)
{
	struct taint_ref add[N_CONDITION_TAINTS + 1], del[N_CONDITION_TAINTS + 1];
	json_t *node = informer_get(nl.nodes, name);
	size_t i, n_add = 0, n_del = 0;
	int ret;

	if (!node)
		return 0;
	for (i = 0; i <= N_CONDITION_TAINTS; i++) {
		const char *key = i < N_CONDITION_TAINTS ? condition_taints[i].taint :
							   TAINT_UNSCHEDULABLE;
		bool want;

		if (i < N_CONDITION_TAINTS) {
			const json_t *c = status_condition(json_object_get(node, "status"),
							   condition_taints[i].type);

			want = c && !strcmp(cm_str(c, "status", NULL) ?: "", condition_taints[i].status);
		} else {
			want = json_is_true(json_object_get(json_object_get(node, "spec"),
							    "unschedulable"));
		}
		if (want && !has_taint(node, key, "NoSchedule"))
			add[n_add++] = (struct taint_ref){ key, "NoSchedule" };
		else if (!want && has_taint(node, key, "NoSchedule"))
			del[n_del++] = (struct taint_ref){ key, "NoSchedule" };
	}
	ret = n_add || n_del ? swap_taints(cm, node, add, n_add, del, n_del) : 0;
	json_decref(node);
	return ret;
}

/* --- pods on nodes that are not Ready (kube's MarkPodsNotReady) --- */

static const char *ready_status(const json_t *node)
{
	return cm_str(status_condition(json_object_get(node, "status"), "Ready"), "status", NULL);
}

static int mark_pod_not_ready(struct cm *cm, const json_t *pod, const char *node)
{
	const json_t *c;
	char path[1024], now[32];
	json_t *patch;
	size_t i;
	long code;

	if (strcmp(cm_str(pod, "spec", "nodeName") ?: "", node))
		return 0;
	json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, c) {
		if (strcmp(cm_str(c, "type", NULL) ?: "", "Ready"))
			continue;
		if (!strcmp(cm_str(c, "status", NULL) ?: "", "False"))
			return 0;
		kpath(path, sizeof(path), "v1", cm_str(pod, "metadata", "namespace"), "pods",
		      cm_str(pod, "metadata", "name"), "status");
		cm_now(now, sizeof(now));
		/* A strategic merge patch: conditions merge by type, the rest of Ready stays. */
		patch = json_pack("{s:{s:[{s:s,s:s,s:s}]}}", "status", "conditions", "type", "Ready",
				  "status", "False", "lastTransitionTime", now);
		code = kclient_patch(cm->c, path, "strategic", patch, NULL);
		json_decref(patch);
		if (code == 404)
			return 0;
		if (code != 200) {
			pr_warn("pod %s/%s: marking it not Ready: HTTP %ld\n",
				cm_str(pod, "metadata", "namespace"), cm_str(pod, "metadata", "name"),
				code);
			return -EIO;
		}
		event_record(cm->c, COMPONENT, NULL, pod, "Warning", "NodeNotReady",
			     "Node is not ready");
		return 0;
	}
	return 0;
}

static int mark_pods_not_ready(struct cm *cm, const char *node)
{
	char **keys;
	size_t n = nl_pods_on_node(node, &keys), i;
	int ret = 0;

	pr_info("node %s is not Ready: marking its %zu pods not Ready\n", node, n);
	for (i = 0; i < n; i++) {
		json_t *pod = informer_get(nl.pods, keys[i]);

		if (pod && mark_pod_not_ready(cm, pod, node))
			ret = -EIO;
		json_decref(pod);
	}
	nl_keys_free(keys, n);
	return ret;
}

/* A pod bound to a node: not Ready at once when its node is not (kube's processPod). */
static int sync_pod(struct cm *cm, const char *key)
{
	json_t *pod = informer_get(nl.pods, key), *node = NULL;
	const char *status;
	int ret = 0;

	if (pod && !cm_pod_terminal(pod))
		node = informer_get(nl.nodes, cm_str(pod, "spec", "nodeName") ?: "");
	status = ready_status(node);
	if (status && strcmp(status, "True"))
		ret = mark_pod_not_ready(cm, pod, cm_str(pod, "spec", "nodeName"));
	json_decref(pod);
	json_decref(node);
	return ret;
}

/* --- the monitor (kube's monitorNodeHealth) --- */

static struct zone *zone_get(const char *key)
{
	struct zone *z;

	HASH_FIND_STR(nl.zones, key, z);
	if (z || !(z = calloc(1, sizeof(*z))))
		return z;
	z->key = strdup(key);
	z->qps = eviction_qps;
	z->tokens = 1; /* a burst of one, as kube's eviction limiter */
	z->refilled = mono_now();
	HASH_ADD_KEYPTR(hh, nl.zones, z->key, strlen(z->key), z);
	return z;
}

static void zone_forget_node(const char *node)
{
	struct zone *z, *tmp;
	struct taint_wait **w, *dead;

	HASH_ITER(hh, nl.zones, z, tmp)
		for (w = &z->waiting; *w;) {
			if (strcmp((*w)->node, node)) {
				w = &(*w)->next;
				continue;
			}
			dead = *w;
			*w = dead->next;
			free(dead->node);
			free(dead);
		}
}

/* kube's markNodeForTainting: queue once. */
static void zone_queue_node(const json_t *node)
{
	const char *name = cm_str(node, "metadata", "name");
	struct taint_wait **w;
	struct zone *z;
	char key[512];

	zone_key(node, key, sizeof(key));
	if (!(z = zone_get(key)))
		return;
	for (w = &z->waiting; *w; w = &(*w)->next)
		if (!strcmp((*w)->node, name))
			return;
	if ((*w = calloc(1, sizeof(**w))))
		(*w)->node = strdup(name);
}

/* kube's markNodeAsReachable: out of the queue, and neither NoExecute taint. */
static void mark_reachable(struct cm *cm, const json_t *node)
{
	static const struct taint_ref del[] = { { TAINT_UNREACHABLE, "NoExecute" },
						{ TAINT_NOT_READY, "NoExecute" } };

	zone_forget_node(cm_str(node, "metadata", "name"));
	if (has_taint(node, TAINT_UNREACHABLE, "NoExecute") ||
	    has_taint(node, TAINT_NOT_READY, "NoExecute"))
		swap_taints(cm, node, NULL, 0, del, 2);
}

/* kube's processTaintBaseEviction: a taint swap between the two NoExecute taints is
 * immediate; a first one waits for the zone's rate limiter. */
static void taint_for_ready(struct cm *cm, const json_t *node, const char *status)
{
	bool unknown = !strcmp(status, "Unknown");
	struct taint_ref add = { unknown ? TAINT_UNREACHABLE : TAINT_NOT_READY, "NoExecute" };
	struct taint_ref del = { unknown ? TAINT_NOT_READY : TAINT_UNREACHABLE, "NoExecute" };

	if (!strcmp(status, "True"))
		mark_reachable(cm, node);
	else if (has_taint(node, del.key, "NoExecute"))
		swap_taints(cm, node, &add, 1, &del, 1);
	else if (!has_taint(node, add.key, "NoExecute"))
		zone_queue_node(node);
}

/*
 * The node has been silent for the grace period: Ready, MemoryPressure, DiskPressure and
 * PIDPressure become Unknown (added, when never posted), as kube's tryUpdateNodeHealth
 * does. Returns the patched node (referenced) or NULL when nothing changed or the write
 * failed.
 */
static json_t *post_unknown(struct cm *cm, const json_t *node)
{
	static const char *const types[] = { "Ready", "MemoryPressure", "DiskPressure",
					     "PIDPressure" };
	const char *created = cm_str(node, "metadata", "creationTimestamp");
	json_t *conds = json_array(), *patch, *out = NULL;
	const json_t *ready = status_condition(json_object_get(node, "status"), "Ready");
	char path[512], now[32];
	size_t i;
	long code;

	cm_now(now, sizeof(now));
	for (i = 0; i < 4; i++) {
		const json_t *c = status_condition(json_object_get(node, "status"), types[i]);

		if (!c)
			json_array_append_new(conds, json_pack(
				"{s:s,s:s,s:s,s:s,s:s*,s:s}", "type", types[i], "status", "Unknown",
				"reason", "NodeStatusNeverUpdated", "message",
				"Kubelet never posted node status.", "lastHeartbeatTime", created,
				"lastTransitionTime", now));
		else if (strcmp(cm_str(c, "status", NULL) ?: "", "Unknown"))
			json_array_append_new(conds, json_pack(
				"{s:s,s:s,s:s,s:s,s:s}", "type", types[i], "status", "Unknown",
				"reason", "NodeStatusUnknown", "message",
				"Kubelet stopped posting node status.", "lastTransitionTime", now));
	}
	/* kube writes only when Ready itself changes. */
	if (ready && !strcmp(cm_str(ready, "status", NULL) ?: "", "Unknown")) {
		json_decref(conds);
		return NULL;
	}
	kpath(path, sizeof(path), "v1", NULL, "nodes", cm_str(node, "metadata", "name"), "status");
	patch = json_pack("{s:{s:O*},s:{s:o}}", "metadata", "resourceVersion",
			  json_object_get(json_object_get(node, "metadata"), "resourceVersion"),
			  "status", "conditions", conds);
	code = kclient_patch(cm->c, path, "strategic", patch, &out);
	json_decref(patch);
	if (code == 200) {
		pr_info("node %s: no Lease renewal or status for %ds: Ready=Unknown\n",
			cm_str(node, "metadata", "name"), cm->node_monitor_grace_s);
		return out;
	}
	if (code != 409 && code != 404) /* a conflict: the next pass looks again */
		pr_warn("node %s: setting Ready=Unknown: HTTP %ld\n",
			cm_str(node, "metadata", "name"), code);
	json_decref(out);
	return NULL;
}

static void set_str(char **dst, const char *src)
{
	if (*dst && src && !strcmp(*dst, src))
		return;
	free(*dst);
	*dst = src ? strdup(src) : NULL;
}

/* When the node was last heard of (kube's probeTimestamp), updated from its Ready
 * heartbeat and its Lease. */
static struct health *observe(struct cm *cm, const json_t *node, double now)
{
	const char *name = cm_str(node, "metadata", "name");
	const json_t *ready = status_condition(json_object_get(node, "status"), "Ready");
	const char *beat = cm_str(ready, "lastHeartbeatTime", NULL), *renew;
	char lease_key[512];
	struct health *h;
	json_t *lease;

	HASH_FIND_STR(nl.health, name, h);
	if (!h) {
		if (!(h = calloc(1, sizeof(*h))))
			return NULL;
		h->name = strdup(name);
		h->uid = strdup(cm_str(node, "metadata", "uid") ?: "");
		HASH_ADD_KEYPTR(hh, nl.health, h->name, strlen(h->name), h);
		event_record(cm->c, COMPONENT, NULL, node, "Normal", "RegisteredNode",
			     "Node %s event: Registered Node %s in Controller", name, name);
		if (!ready) {
			/* Never posted status: counted from its creation. */
			double age = cm_age(cm_str(node, "metadata", "creationTimestamp"));

			h->probe = now - (isnan(age) || age < 0 ? 0 : age);
		} else {
			h->probe = now; /* first seen: a grace period from now */
		}
	} else if ((ready && !h->had_ready) ||
		   (ready && (!h->heartbeat != !beat || (beat && strcmp(beat, h->heartbeat))))) {
		h->probe = now;
	}
	h->had_ready = ready != NULL;
	set_str(&h->heartbeat, beat);
	snprintf(lease_key, sizeof(lease_key), "%s/%s", LEASE_NS, name);
	lease = informer_get(nl.leases, lease_key);
	renew = cm_str(lease, "spec", "renewTime");
	if (renew && (!h->renew || strcmp(renew, h->renew))) {
		h->probe = now;
		set_str(&h->renew, renew);
	}
	json_decref(lease);
	h->seen = true;
	return h;
}

static void set_limiter(struct zone *z, enum nl_zone_state state)
{
	double qps = eviction_qps;

	/* kube's ReducedQPSFunc for a partly disrupted zone: slower in a large cluster,
	 * stopped in a small one. A fully disrupted zone while others are healthy keeps the
	 * normal rate (HealthyQPSFunc). */
	if (state == NL_ZONE_PARTIAL)
		qps = z->size > large_cluster_threshold ? secondary_eviction_qps : 0;
	if (qps == z->qps)
		return;
	/* As kube's SwapLimiter: a new bucket keeps the old one's token (burst 1), and
	 * starts empty after a stop. */
	if (qps == 0 || z->qps == 0)
		z->tokens = 0;
	z->qps = qps;
	z->refilled = mono_now();
}

static const char *state_name(enum nl_zone_state s)
{
	static const char *const names[] = { "Initial", "Normal", "PartialDisruption",
					     "FullDisruption" };

	return names[s];
}

static void zone_free(struct zone *z)
{
	while (z->waiting) {
		struct taint_wait *w = z->waiting;

		z->waiting = w->next;
		free(w->node);
		free(w);
	}
	free(z->key);
	free(z);
}

/* kube's handleDisruption: when every zone is fully disrupted the trouble is more likely
 * the control plane's (or the network's) than the nodes': nothing is evicted, and the
 * NoExecute taints go. */
static void handle_disruption(struct cm *cm, json_t **nodes, size_t n, double now)
{
	bool all_are = true, all_were = true, any = false;
	struct zone *z, *tmp;
	size_t i;

	HASH_ITER(hh, nl.zones, z, tmp) {
		if (!z->seen) { /* no node left in it */
			HASH_DEL(nl.zones, z);
			zone_free(z);
			continue;
		}
		if (!z->size) /* only nodes excluded from disruption checks */
			continue;
		any = true;
		if (z->state != NL_ZONE_FULL)
			all_were = false;
		if (nl_zone_state(z->size - z->not_ready, z->not_ready) != NL_ZONE_FULL)
			all_are = false;
	}
	if (!any || (all_are && all_were))
		return;
	if (all_are) {
		pr_warn("all nodes are not Ready: entering master disruption mode, no pod is evicted\n");
		for (i = 0; i < n; i++)
			mark_reachable(cm, nodes[i]);
		HASH_ITER(hh, nl.zones, z, tmp) {
			if (!z->size)
				continue;
			z->state = NL_ZONE_FULL;
			z->qps = 0;
			z->tokens = 0;
		}
		return;
	}
	if (all_were) {
		struct health *h, *htmp;

		pr_warn("some nodes are Ready again: leaving master disruption mode\n");
		/* Every node gets a fresh grace period, as in kube. */
		HASH_ITER(hh, nl.health, h, htmp)
			h->probe = now;
	}
	HASH_ITER(hh, nl.zones, z, tmp) {
		enum nl_zone_state st;

		if (!z->size)
			continue;
		st = nl_zone_state(z->size - z->not_ready, z->not_ready);
		if (st != z->state && z->state != NL_ZONE_INITIAL)
			pr_info("zone \"%s\" is now %s\n", z->key, state_name(st));
		set_limiter(z, st);
		z->state = st;
	}
}

static void health_free(struct health *h)
{
	free(h->name);
	free(h->uid);
	free(h->heartbeat);
	free(h->renew);
	free(h);
}

/* One pass over every node (kube's monitorNodeHealth). */
static void monitor_pass(struct cm *cm)
{
	struct health *h, *htmp;
	struct zone *z, *ztmp;
	double now = mono_now();
	json_t **nodes;
	size_t n, i;

	n = informer_list(nl.nodes, &nodes);
	HASH_ITER(hh, nl.health, h, htmp)
		h->seen = false;
	HASH_ITER(hh, nl.zones, z, ztmp) {
		z->seen = false;
		z->size = z->not_ready = 0;
	}
	for (i = 0; i < n; i++) {
		const json_t *node = nodes[i];
		const char *name = cm_str(node, "metadata", "name");
		const char *observed = ready_status(node), *current = observed;
		json_t *updated = NULL;
		char zkey[512];

		if (!name || !(h = observe(cm, node, now)))
			continue;
		if (now - h->probe > cm->node_monitor_grace_s && (updated = post_unknown(cm, node))) {
			node = updated;
			current = ready_status(node);
		}
		zone_key(node, zkey, sizeof(zkey));
		if ((z = zone_get(zkey))) {
			z->seen = true;
			if (!label(node, LABEL_EXCLUDE_DISRUPTION)) {
				z->size++;
				if (!current || strcmp(current, "True"))
					z->not_ready++;
			}
		}
		if (current) {
			taint_for_ready(cm, node, current);
			if (strcmp(current, "True") && observed && !strcmp(observed, "True")) {
				event_record(cm->c, COMPONENT, NULL, node, "Normal", "NodeNotReady",
					     "Node %s status is now: NodeNotReady", name);
				h->pods_pending = true;
			}
			/* (Retried each pass until every pod is marked, as kube's nodesToRetry.) */
			if (h->pods_pending && strcmp(current, "True"))
				h->pods_pending = mark_pods_not_ready(cm, name) != 0;
			else
				h->pods_pending = false;
		}
		json_decref(updated);
	}
	HASH_ITER(hh, nl.health, h, htmp) {
		json_t *gone;

		if (h->seen)
			continue;
		gone = json_pack("{s:s,s:s,s:{s:s,s:s}}", "kind", "Node", "apiVersion", "v1",
				 "metadata", "name", h->name, "uid", h->uid);
		event_record(cm->c, COMPONENT, NULL, gone, "Normal", "RemovingNode",
			     "Node %s event: Removing Node %s from Controller", h->name, h->name);
		json_decref(gone);
		zone_forget_node(h->name);
		HASH_DEL(nl.health, h);
		health_free(h);
	}
	handle_disruption(cm, nodes, n, now);
	informer_list_free(nodes, n);
}

/* The rate-limited NoExecute tainting (kube's doNoExecuteTaintingPass). */
static void tainting_pass(struct cm *cm)
{
	double now = mono_now();
	struct zone *z, *tmp;

	HASH_ITER(hh, nl.zones, z, tmp) {
		z->tokens += (now - z->refilled) * z->qps;
		if (z->tokens > 1)
			z->tokens = 1;
		z->refilled = now;
		while (z->waiting && z->qps > 0 && z->tokens >= 1) {
			struct taint_wait *w = z->waiting;
			json_t *node = informer_get(nl.nodes, w->node);
			const char *st = ready_status(node);

			if (node && !st) { /* no Ready yet: later */
				json_decref(node);
				break;
			}
			if (node && strcmp(st, "True")) {
				bool unknown = !strcmp(st, "Unknown");
				struct taint_ref add = { unknown ? TAINT_UNREACHABLE : TAINT_NOT_READY,
							 "NoExecute" };
				struct taint_ref del = { unknown ? TAINT_NOT_READY : TAINT_UNREACHABLE,
							 "NoExecute" };

				z->tokens -= 1;
				if (swap_taints(cm, node, &add, 1, &del, 1)) {
					json_decref(node);
					break; /* stays first in line */
				}
				pr_info("node %s: tainted %s:NoExecute\n", w->node, add.key);
			}
			json_decref(node);
			z->waiting = w->next;
			free(w->node);
			free(w);
		}
	}
}

static void *monitor_loop(void *arg)
{
	struct cm *cm = arg;
	double next = 0;

	while (!cm->stop) {
		if (mono_now() >= next) {
			next = mono_now() + cm->node_monitor_period_s;
			monitor_pass(cm);
		}
		tainting_pass(cm);
		if (!cm_sleep(cm, TAINT_PASS_MS))
			break;
	}
	return NULL;
}

/* --- informer handlers --- */

static void on_node(void *ctx, const json_t *obj)
{
	(void)ctx;
	wq_add(nl.nodeq, cm_str(obj, "metadata", "name") ?: "");
}

static void on_node_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)old;
	on_node(ctx, obj);
}

static void on_pod(void *ctx, const json_t *obj)
{
	const char *node = cm_str(obj, "spec", "nodeName");
	char key[512];

	(void)ctx;
	cm_key(obj, key, sizeof(key));
	index_pod(node, key, true);
	if (node && *node)
		wq_add(nl.podq, key);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *obj)
{
	const char *was = cm_str(old, "spec", "nodeName") ?: "";
	char key[512];

	if (!strcmp(was, cm_str(obj, "spec", "nodeName") ?: ""))
		return;
	cm_key(obj, key, sizeof(key));
	index_pod(was, key, false);
	on_pod(ctx, obj);
}

static void on_pod_delete(void *ctx, const json_t *obj)
{
	char key[512];

	(void)ctx;
	cm_key(obj, key, sizeof(key));
	index_pod(cm_str(obj, "spec", "nodeName"), key, false);
}

static int nodelifecycle_init(struct cm *cm)
{
	struct informer_handlers nh = { .add = on_node, .update = on_node_update };
	struct informer_handlers ph = { .add = on_pod, .update = on_pod_update,
					.del = on_pod_delete };

	eviction_qps = cm->node_eviction_rate;
	secondary_eviction_qps = cm->secondary_node_eviction_rate;
	large_cluster_threshold = cm->large_cluster_size_threshold;
	unhealthy_zone_threshold = cm->unhealthy_zone_threshold;
	nl.nodes = cm_informer(cm, "/api/v1/nodes");
	nl.pods = cm_informer(cm, "/api/v1/pods");
	nl.leases = cm_informer(cm, "/apis/coordination.k8s.io/v1/namespaces/" LEASE_NS "/leases");
	nl.nodeq = wq_new();
	nl.podq = wq_new();
	if (!nl.nodes || !nl.pods || !nl.leases || !nl.nodeq || !nl.podq ||
	    informer_add_handlers(nl.nodes, &nh) || informer_add_handlers(nl.pods, &ph))
		return -ENOMEM;
	nl.initialised = true;
	return te_init(cm);
}

static int nodelifecycle_run(struct cm *cm)
{
	int err;

	pr_info("node lifecycle: a node silent for %ds is NotReady (checked every %ds)\n",
		cm->node_monitor_grace_s, cm->node_monitor_period_s);
	err = cm_run_workers(cm, nl.nodeq, cm->workers, sync_noschedule, "node lifecycle: node");
	if (!err)
		err = cm_run_workers(cm, nl.podq, cm->workers, sync_pod, "node lifecycle: pod");
	if (!err)
		err = cm_run_thread(cm, monitor_loop, cm);
	return err ?: te_run(cm);
}

static void nodelifecycle_stop(struct cm *cm)
{
	struct health *h, *htmp;
	struct zone *z, *ztmp;
	struct node_pods *np, *nptmp;
	struct pod_ref *r, *rtmp;

	if (!nl.initialised)
		return;
	te_stop(cm);
	HASH_ITER(hh, nl.health, h, htmp) {
		HASH_DEL(nl.health, h);
		health_free(h);
	}
	HASH_ITER(hh, nl.zones, z, ztmp) {
		HASH_DEL(nl.zones, z);
		zone_free(z);
	}
	HASH_ITER(hh, nl.by_node, np, nptmp) {
		HASH_ITER(hh, np->pods, r, rtmp) {
			HASH_DEL(np->pods, r);
			free(r->key);
			free(r);
		}
		HASH_DEL(nl.by_node, np);
		free(np->node);
		free(np);
	}
	wq_free(nl.nodeq);
	wq_free(nl.podq);
	nl.initialised = false;
}

const struct controller nodelifecycle_controller = {
	.name = "nodelifecycle",
	.init = nodelifecycle_init,
	.run = nodelifecycle_run,
	.stop = nodelifecycle_stop,
};
