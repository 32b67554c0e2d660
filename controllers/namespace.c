/* namespace.c — the namespace controller, as kube-controller-manager's: a namespace being
 * deleted (phase Terminating) has its content deleted, every namespaced resource discovery
 * lists; its status.conditions say what holds it; once nothing is left, the "kubernetes"
 * finalizer leaves spec.finalizers through the /finalize subresource and the apiserver
 * removes the namespace. Objects with finalizers of their own keep it until released. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"
#include "gc_discovery.h"
#include "log.h"

/* The finalizer the namespace controller owns (kube's v1.FinalizerKubernetes). */
#define NS_FINALIZER "kubernetes"
/* kube's finalizerEstimateSeconds: how long content held by finalizers may take. */
#define NS_FINALIZER_ESTIMATE_S 15

static struct {
	struct cm *cm;
	struct workqueue *q;
} ns;

/* What deleting a namespace's content left behind, for the conditions (kube's
 * allGVRDeletionMetadata and its errors). */
struct ns_content {
	json_t *remaining;  /* "pods." -> number of objects left */
	json_t *finalizers; /* finalizer -> number of objects it holds */
	json_t *errors;     /* messages of resources whose deletion failed */
	long estimate;      /* seconds until the rest may be gone; 0: nothing to wait for */
};

static void queue_if_terminating(const json_t *obj)
{
	const char *name = cm_str(json_object_get(obj, "metadata"), "name", NULL);

	if (name && cm_being_deleted(obj))
		wq_add(ns.q, name);
}

static void on_add(void *ctx, const json_t *obj)
{
	(void)ctx;
	queue_if_terminating(obj);
}

static void on_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)ctx;
	(void)old;
	queue_if_terminating(obj);
}

static bool has_spec_finalizer(const json_t *nsobj)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(nsobj, "spec"), "finalizers"), i, f)
		if (!strcmp(json_string_value(f) ?: "", NS_FINALIZER))
			return true;
	return false;
}

static void count(json_t *counts, const char *key)
{
	json_object_set_new(counts, key,
			    json_integer(json_integer_value(json_object_get(counts, key)) + 1));
}

static void add_error(struct ns_content *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_error(struct ns_content *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(c->errors, json_string(buf));
}

/* kube's estimateGracefulTerminationForPods: the longest grace period of a pod that still
 * runs. */
static long pods_grace_estimate(const json_t *items)
{
	const json_t *pod;
	long estimate = 0;
	size_t i;

	json_array_foreach(items, i, pod) {
		const json_t *g = json_object_get(json_object_get(pod, "spec"),
						  "terminationGracePeriodSeconds");

		if (cm_pod_terminal(pod) || !json_is_integer(g))
			continue;
		if (json_integer_value(g) > estimate)
			estimate = json_integer_value(g);
	}
	return estimate;
}

/* GET the collection at path: its items (referenced), or NULL with the reason in c. */
static json_t *list_items(struct ns_content *c, const struct api_resource *r, const char *path)
{
	json_t *list = NULL, *items;
	char msg[256];
	long code;

	code = kclient_get(ns.cm->c, path, &list);
	if (code != 200) {
		add_error(c, "failed to list %s: %s", r->plural,
			  kstatus_message(list, code, msg, sizeof(msg)));
		json_decref(list);
		return NULL;
	}
	items = json_incref(json_object_get(list, "items"));
	json_decref(list);
	return items ?: json_array();
}

/* Delete the objects of items one by one (a resource without deletecollection). */
static void delete_each(struct ns_content *c, const struct api_resource *r, const char *nsname,
			const json_t *items, const json_t *opts)
{
	const json_t *obj;
	char path[1024], msg[256];
	size_t i;

	json_array_foreach(items, i, obj) {
		const char *name = cm_str(json_object_get(obj, "metadata"), "name", NULL);
		json_t *out = NULL;
		long code;

		if (!name || cm_being_deleted(obj))
			continue;
		api_resource_path(r, nsname, name, path, sizeof(path));
		code = kclient_delete(ns.cm->c, path, opts, &out);
		if (code != 200 && code != 202 && code != 404)
			add_error(c, "failed to delete %s %s: %s", r->plural, name,
				  kstatus_message(out, code, msg, sizeof(msg)));
		json_decref(out);
	}
}

/* kube's deleteAllContentForGroupVersionResource. */
static void delete_resource(struct ns_content *c, const struct api_resource *r,
			    const char *nsname)
{
	json_t *opts = json_pack("{s:s,s:s,s:s}", "apiVersion", "v1", "kind", "DeleteOptions",
				 "propagationPolicy", "Background");
	json_t *items, *out = NULL;
	char path[1024], msg[256], key[256];
	long estimate = 0, code;
	const json_t *obj, *f;
	size_t i, k;
	bool held = false;

	api_resource_path(r, nsname, NULL, path, sizeof(path));
	items = list_items(c, r, path);
	if (!items)
		goto out;
	if (!strcmp(r->plural, "pods") && !*r->group)
		estimate = pods_grace_estimate(items);
	if (!json_array_size(items))
		goto out;
	if (r->verbs & API_VERB_DELETECOLLECTION) {
		code = kclient_delete(ns.cm->c, path, opts, &out);
		if (code == 404 || code == 405)
			delete_each(c, r, nsname, items, opts);
		else if (code != 200 && code != 202)
			add_error(c, "failed to delete %s: %s", r->plural,
				  kstatus_message(out, code, msg, sizeof(msg)));
	} else {
		delete_each(c, r, nsname, items, opts);
	}
	json_decref(items);
	items = list_items(c, r, path);
	if (!items || !json_array_size(items))
		goto out;
	snprintf(key, sizeof(key), "%s.%s", r->plural, r->group);
	json_object_set_new(c->remaining, key, json_integer(json_array_size(items)));
	json_array_foreach(items, i, obj) {
		json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "finalizers"),
				   k, f) {
			count(c->finalizers, json_string_value(f) ?: "");
			held = true;
		}
	}
	if (!estimate && held)
		estimate = NS_FINALIZER_ESTIMATE_S;
	else if (!estimate)
		add_error(c, "unexpected items still remain in namespace: %s for gvr: {%s %s %s}",
			  nsname, r->group, strchr(r->api_version, '/') ?
			  strchr(r->api_version, '/') + 1 : r->api_version, r->plural);
	if (estimate > c->estimate)
		c->estimate = estimate;
out:
	json_decref(items);
	json_decref(out);
	json_decref(opts);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* counts as kube words them, sorted and joined: fmt takes the key and the count
 * ("%s in %ld resource instances"). */
static void join_counts(const json_t *counts, const char *fmt, char *buf, size_t len)
{
	size_t n = 0, i, off = 0;
	const char *key;
	char **lines;
	json_t *v;

	*buf = 0;
	lines = calloc(json_object_size(counts) + 1, sizeof(*lines));
	if (!lines)
		return;
	json_object_foreach((json_t *)counts, key, v) {
		char line[512];

		snprintf(line, sizeof(line), fmt, key, (long)json_integer_value(v));
		if (!(lines[n] = strdup(line)))
			break;
		n++;
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i++) {
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", lines[i]);
		free(lines[i]);
	}
	free(lines);
}

/* The conditions kube's namespace deleter keeps, in its order, with their "ok" reason and
 * message (status False). */
static const struct {
	const char *type, *ok_reason, *ok_message;
} ns_conditions[] = {
	{ "NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered",
	  "All resources successfully discovered" },
	{ "NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
	  "All legacy kube types successfully parsed" },
	{ "NamespaceDeletionContentFailure", "ContentDeleted",
	  "All content successfully deleted, may be waiting on finalization" },
	{ "NamespaceContentRemaining", "ContentRemoved", "All content successfully removed" },
	{ "NamespaceFinalizersRemaining", "ContentHasNoFinalizers",
	  "All content-preserving finalizers finished" },
};

/* Set condition type of status.conditions in nsobj (True with reason and message when
 * failing, else its ok variant); lastTransitionTime moves only when something changes.
 * true when it changed. */
static bool set_condition(json_t *nsobj, size_t type, const char *reason, const char *message)
{
	json_t *status = json_object_get(nsobj, "status"), *conds, *c = NULL, *now;
	const char *st = reason ? "True" : "False";
	char ts[64];
	size_t i;

	if (!reason) {
		reason = ns_conditions[type].ok_reason;
		message = ns_conditions[type].ok_message;
	}
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(nsobj, "status", status);
	}
	conds = json_object_get(status, "conditions");
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	json_array_foreach(conds, i, c)
		if (!strcmp(cm_str(c, "type", NULL) ?: "", ns_conditions[type].type))
			break;
	if (i == json_array_size(conds))
		c = NULL;
	if (c && !strcmp(cm_str(c, "status", NULL) ?: "", st) &&
	    !strcmp(cm_str(c, "reason", NULL) ?: "", reason) &&
	    !strcmp(cm_str(c, "message", NULL) ?: "", message))
		return false;
	cm_now(ts, sizeof(ts));
	now = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", ns_conditions[type].type, "status", st,
			"lastTransitionTime", ts, "reason", reason, "message", message);
	if (c)
		json_array_set_new(conds, i, now);
	else
		json_array_append_new(conds, now);
	return true;
}

/* kube's namespaceConditionUpdater: the five conditions from what deletion found. */
static bool update_conditions(json_t *nsobj, const struct api_resources *res,
			      const struct ns_content *c)
{
	char msg[2048], list[1800];
	bool changed = false;

	if (res->n_failed) {
		snprintf(msg, sizeof(msg), "Discovery failed for some groups, %d failing: %s",
			 res->n_failed, res->failed);
		changed |= set_condition(nsobj, 0, "DiscoveryFailed", msg);
	} else {
		changed |= set_condition(nsobj, 0, NULL, NULL);
	}
	changed |= set_condition(nsobj, 1, NULL, NULL);
	if (json_array_size(c->errors)) {
		size_t n = json_array_size(c->errors), i, off = 0;
		const json_t *e;

		/* utilerrors.NewAggregate: one message, or "[a, b]". */
		json_array_foreach(c->errors, i, e)
			if (off < sizeof(list))
				off += snprintf(list + off, sizeof(list) - off, "%s%s",
						i ? ", " : "", json_string_value(e));
		snprintf(msg, sizeof(msg),
			 "Failed to delete all resource types, %zu remaining: %s%s%s", n,
			 n > 1 ? "[" : "", list, n > 1 ? "]" : "");
		changed |= set_condition(nsobj, 2, "ContentDeletionFailed", msg);
	} else {
		changed |= set_condition(nsobj, 2, NULL, NULL);
	}
	if (json_object_size(c->remaining)) {
		join_counts(c->remaining, "%s has %ld resource instances", list, sizeof(list));
		snprintf(msg, sizeof(msg), "Some resources are remaining: %s", list);
		changed |= set_condition(nsobj, 3, "SomeResourcesRemain", msg);
	} else {
		changed |= set_condition(nsobj, 3, NULL, NULL);
	}
	if (json_object_size(c->finalizers)) {
		join_counts(c->finalizers, "%s in %ld resource instances", list, sizeof(list));
		snprintf(msg, sizeof(msg),
			 "Some content in the namespace has finalizers remaining: %s", list);
		changed |= set_condition(nsobj, 4, "SomeFinalizersRemain", msg);
	} else {
		changed |= set_condition(nsobj, 4, NULL, NULL);
	}
	return changed;
}

/* PUT *nsobj to path (its status, or /finalize) and replace *nsobj with what the apiserver
 * stored: 0, -ENOENT when the namespace is gone, -EAGAIN on a conflict (the key is retried
 * with the namespace read again), -EIO. */
static int put_namespace(const char *path, json_t **nsobj, const char *what)
{
	json_t *out = NULL;
	char msg[256];
	long code;
	int ret = 0;

	code = kclient_put(ns.cm->c, path, *nsobj, &out);
	if (code == 200) {
		json_decref(*nsobj);
		*nsobj = out;
		return 0;
	}
	if (code == 404) {
		ret = -ENOENT;
	} else if (code == 409) {
		ret = -EAGAIN;
	} else {
		pr_warn("namespace %s: cannot %s: %s\n",
			cm_str(json_object_get(*nsobj, "metadata"), "name", NULL), what,
			kstatus_message(out, code, msg, sizeof(msg)));
		ret = -EIO;
	}
	json_decref(out);
	return ret;
}

/* Remove the "kubernetes" finalizer from spec.finalizers: the apiserver then deletes the
 * namespace (once metadata.finalizers are done too). */
static int finalize(json_t **nsobj, const char *name)
{
	json_t *keep = json_array(), *spec = json_object_get(*nsobj, "spec");
	const json_t *f;
	char path[512];
	size_t i;
	int err;

	json_array_foreach(json_object_get(spec, "finalizers"), i, f)
		if (strcmp(json_string_value(f) ?: "", NS_FINALIZER))
			json_array_append(keep, (json_t *)f);
	json_object_set_new(spec, "finalizers", keep);
	kpath(path, sizeof(path), "v1", NULL, "namespaces", name, "finalize");
	err = put_namespace(path, nsobj, "remove the kubernetes finalizer");
	if (!err)
		pr_info("namespace %s: content deleted, finalized\n", name);
	return err;
}

/* kube's NamespacedResourcesDeleter.Delete. */
static int sync_namespace(struct cm *cm, const char *name)
{
	struct ns_content c = { json_object(), json_object(), json_array(), 0 };
	struct api_resources res = { 0 };
	json_t *nsobj = NULL;
	char path[512], msg[256];
	long code;
	size_t i;
	int err = 0;

	kpath(path, sizeof(path), "v1", NULL, "namespaces", name, NULL);
	code = kclient_get(cm->c, path, &nsobj);
	if (code == 404)
		goto out;
	if (code != 200) {
		pr_warn("namespace %s: cannot get it: %s\n", name,
			kstatus_message(nsobj, code, msg, sizeof(msg)));
		err = -EIO;
		goto out;
	}
	if (!cm_being_deleted(nsobj) || !has_spec_finalizer(nsobj))
		goto out;
	/* Discovery errors are not fatal: what was listed is deleted, the namespace stays
	 * until every group answers. */
	if (api_discover(cm->c, &res) && !res.n_failed)
		res.n_failed = 1;
	for (i = 0; i < res.n; i++) {
		const struct api_resource *r = &res.v[i];

		if (r->namespaced && (r->verbs & API_VERB_DELETE) && (r->verbs & API_VERB_LIST))
			delete_resource(&c, r, name);
	}
	if (update_conditions(nsobj, &res, &c)) {
		kpath(path, sizeof(path), "v1", NULL, "namespaces", name, "status");
		json_object_set_new(json_object_get(nsobj, "status"), "phase",
				    json_string("Terminating"));
		err = put_namespace(path, &nsobj, "update its conditions");
		if (err)
			goto out;
	}
	if (res.n_failed || json_array_size(c.errors)) {
		pr_warn("namespace %s: content not all deleted: %s%s%s\n", name,
			res.n_failed ? res.failed : "", res.n_failed ? "; " : "",
			json_string_value(json_array_get(c.errors, 0)) ?: "");
		err = -EIO;
		goto out;
	}
	if (c.estimate) {
		/* As kube: look again after half the estimate. */
		wq_add_after(ns.q, name, (int)(c.estimate / 2 + 1) * 1000);
		goto out;
	}
	err = finalize(&nsobj, name);
out:
	if (err == -ENOENT)
		err = 0; /* gone meanwhile */
	api_resources_free(&res);
	json_decref(nsobj);
	json_decref(c.remaining);
	json_decref(c.finalizers);
	json_decref(c.errors);
	return err;
}

static int ns_init(struct cm *cm)
{
	static const struct informer_handlers h = { on_add, on_update, NULL, NULL };
	struct informer *inf = cm_informer(cm, "/api/v1/namespaces");

	ns.cm = cm;
	ns.q = wq_new();
	if (!inf || !ns.q || informer_add_handlers(inf, &h))
		return -ENOMEM;
	return 0;
}

static int ns_run(struct cm *cm)
{
	return cm_run_workers(cm, ns.q, cm->workers, sync_namespace, "namespace");
}

static void ns_stop(struct cm *cm)
{
	(void)cm;
	wq_free(ns.q);
	memset(&ns, 0, sizeof(ns));
}

const struct controller namespace_controller = {
	.name = "namespace",
	.init = ns_init,
	.run = ns_run,
	.stop = ns_stop,
};
