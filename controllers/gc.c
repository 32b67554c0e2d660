/* gc.c — the garbage collector, as kube-controller-manager's: an object whose owners
 * (metadata.ownerReferences) are all gone is deleted; an owner deleted with
 * propagationPolicy Foreground (its foregroundDeletion finalizer) goes only after the
 * dependents that block it; an owner deleted with propagationPolicy Orphan (its orphan
 * finalizer) first releases its dependents. Every kind discovery lists that can be
 * watched and deleted is watched (events aside, as kube does); the graph (gc_graph.c) says
 * who owns whom, the apiserver confirms an absence before anything is deleted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"
#include "events.h"
#include "gc_discovery.h"
#include "gc_graph.h"
#include "log.h"
#include "util.h"

#define GC_COMPONENT "garbage-collector-controller"
/* An ownerReference to a kind the apiserver does not serve is looked at again this late
 * (kube retries it with backoff, never deleting the dependent). */
#define GC_UNMAPPED_RETRY_MS 60000
/* An owner the apiserver has but the informers have not shown yet. */
#define GC_UNOBSERVED_RETRY_MS 1000

/* A reference to a namespaced owner from a cluster-scoped object: never valid. */
#define E_NAMESPACED_OWNER EXDEV

static struct {
	struct cm *cm;
	struct gc_graph *graph;
	struct api_resources res;
	struct workqueue *delete_q, *orphan_q;
} G;

static void enqueue(void *ctx, enum gc_queue q, const char *uid)
{
	(void)ctx;
	wq_add(q == GC_ATTEMPT_ORPHAN ? G.orphan_q : G.delete_q, uid);
}

static void on_add(void *ctx, const json_t *obj)
{
	(void)ctx;
	gc_graph_observe(G.graph, obj);
}

static void on_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)ctx;
	(void)old;
	gc_graph_observe(G.graph, obj);
}

static void on_delete(void *ctx, const json_t *obj)
{
	(void)ctx;
	gc_graph_forget(G.graph, obj);
}

static const json_t *owner_refs(const json_t *obj)
{
	return json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
}

/* "ReplicaSet default/web-5d4f" for logs. */
static const char *describe(const struct gc_ident *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s%s%s", id->kind, id->ns, *id->ns ? "/" : "", id->name);
	return buf;
}

/* The path of the object at id; -ENOENT when the apiserver serves no such kind. */
static int object_path(const struct gc_ident *id, char *buf, size_t len)
{
	const struct api_resource *r = api_resource_of(&G.res, id->api_version, id->kind);

	if (!r)
		return -ENOENT;
	api_resource_path(r, id->ns, id->name, buf, len);
	return 0;
}

/*
 * A JSON patch of obj guarded by tests of its uid and of the current value at field, so
 * that it applies to exactly the state the decision was made on: replace field with value
 * (remove it when value is an empty array). 0 when done or when the object is gone;
 * -EAGAIN when the object changed meanwhile (the informer brings the news and the key is
 * retried); -EIO otherwise.
 */
static int patch_field(const json_t *obj, const char *field, json_t *value, const char *what)
{
	char path[1024], pointer[64], name[600], msg[256];
	const json_t *cur = json_object_get(json_object_get(obj, "metadata"), field);
	struct gc_ident id;
	json_t *ops, *out = NULL;
	long code;
	int ret = 0;

	gc_ident_of_obj(obj, &id);
	if (object_path(&id, path, sizeof(path))) {
		json_decref(value);
		return -ENOENT;
	}
	snprintf(pointer, sizeof(pointer), "/metadata/%s", field);
	ops = json_pack("[{s:s,s:s,s:s}]", "op", "test", "path", "/metadata/uid", "value", id.uid);
	if (cur)
		json_array_append_new(ops, json_pack("{s:s,s:s,s:O}", "op", "test", "path", pointer,
						     "value", cur));
	if (json_array_size(value))
		json_array_append_new(ops, json_pack("{s:s,s:s,s:O}", "op", cur ? "replace" : "add",
						     "path", pointer, "value", value));
	else if (cur)
		json_array_append_new(ops, json_pack("{s:s,s:s}", "op", "remove", "path", pointer));
	json_decref(value);
	code = kclient_patch(G.cm->c, path, "json", ops, &out);
	if (code == 200) {
		pr_info("garbage collector: %s: %s\n", describe(&id, name, sizeof(name)), what);
	} else if (code == 409 || code == 422) {
		pr_debug("%s: %s: %s\n", describe(&id, name, sizeof(name)), what,
			 kstatus_message(out, code, msg, sizeof(msg)));
		ret = -EAGAIN;
	} else if (code != 404) {
		pr_warn("%s: %s: %s\n", describe(&id, name, sizeof(name)), what,
			kstatus_message(out, code, msg, sizeof(msg)));
		ret = -EIO;
	}
	json_decref(out);
	json_decref(ops);
	return ret;
}

/* Drop the ownerReferences of obj that name one of uids (a JSON array of strings). */
static int remove_owner_refs(const json_t *obj, const json_t *uids, const char *what)
{
	json_t *keep = json_array();
	const json_t *r, *u;
	size_t i, k;

	json_array_foreach(owner_refs(obj), i, r) {
		bool drop = false;

		json_array_foreach(uids, k, u)
			drop |= json_equal(json_object_get(r, "uid"), (json_t *)u);
		if (!drop)
			json_array_append(keep, (json_t *)r);
	}
	return patch_field(obj, "ownerReferences", keep, what);
}

static int remove_finalizer(const json_t *obj, const char *finalizer, const char *what)
{
	json_t *keep = json_array();
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "finalizers"), i, f)
		if (strcmp(json_string_value(f) ?: "", finalizer))
			json_array_append(keep, (json_t *)f);
	return patch_field(obj, "finalizers", keep, what);
}

/* Delete the object of v unless it changed owners since v was taken, as kube's
 * deleteObject: preconditions on uid and resourceVersion, and on a conflict a second try
 * on the uid alone when its ownerReferences are still those the decision saw. */
static int delete_object(const struct gc_view *v, const char *policy)
{
	const char *rv = cm_str(json_object_get(v->obj, "metadata"), "resourceVersion", NULL);
	char path[1024], name[600], msg[256];
	json_t *opts, *out = NULL, *live = NULL;
	long code;
	int ret = 0;

	if (object_path(&v->id, path, sizeof(path)))
		return -ENOENT;
	opts = json_pack("{s:s,s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "DeleteOptions",
			 "propagationPolicy", policy, "preconditions", "uid", v->id.uid);
	if (rv)
		json_object_set_new(json_object_get(opts, "preconditions"), "resourceVersion",
				    json_string(rv));
	code = kclient_delete(G.cm->c, path, opts, &out);
	if (code == 409) {
		json_decref(out);
		out = NULL;
		code = kclient_get(G.cm->c, path, &live);
		if (code == 200 &&
		    !strcmp(cm_str(json_object_get(live, "metadata"), "uid", NULL) ?: "",
			    v->id.uid)) {
			if (!json_same(owner_refs(live), owner_refs(v->obj))) {
				ret = -EAGAIN; /* its owners changed: decide again */
				goto out;
			}
			json_object_del(json_object_get(opts, "preconditions"), "resourceVersion");
			code = kclient_delete(G.cm->c, path, opts, &out);
		} else if (code == 200) {
			code = 404; /* another object by that name now: ours is gone */
		}
	}
	if (code == 200 || code == 202) {
		pr_info("garbage collector: deleted %s (propagationPolicy %s)\n",
			describe(&v->id, name, sizeof(name)), policy);
	} else if (code != 404) {
		pr_warn("cannot delete %s: %s\n", describe(&v->id, name, sizeof(name)),
			kstatus_message(out, code, msg, sizeof(msg)));
		ret = code == 409 ? -EAGAIN : -EIO;
	}
out:
	json_decref(live);
	json_decref(out);
	json_decref(opts);
	return ret;
}

/* What the apiserver says of the owner ref names, for the dependent of v. */
static int owner_live(const struct gc_view *v, const json_t *ref, enum gc_owner *st)
{
	const char *api_version = cm_str(ref, "apiVersion", NULL);
	const char *kind = cm_str(ref, "kind", NULL);
	const struct api_resource *r = api_resource_of(&G.res, api_version, kind);
	const char *uid = cm_str(ref, "uid", NULL) ?: "";
	char path[1024], msg[256];
	json_t *owner = NULL;
	long code;

	if (!r)
		return -ENOENT;
	api_resource_path(r, v->id.ns, cm_str(ref, "name", NULL) ?: "", path, sizeof(path));
	code = kclient_get(G.cm->c, path, &owner);
	if (code == 404 ||
	    (code == 200 && strcmp(cm_str(json_object_get(owner, "metadata"), "uid", NULL) ?: "",
				   uid))) {
		struct gc_ident id = { 0 };

		snprintf(id.api_version, sizeof(id.api_version), "%s", api_version);
		snprintf(id.kind, sizeof(id.kind), "%s", kind);
		snprintf(id.ns, sizeof(id.ns), "%s", v->id.ns);
		snprintf(id.name, sizeof(id.name), "%s", cm_str(ref, "name", NULL) ?: "");
		snprintf(id.uid, sizeof(id.uid), "%s", uid);
		/* Its siblings need not ask again. */
		gc_graph_absent(G.graph, &id, false);
		*st = GC_OWNER_ABSENT;
	} else if (code == 200) {
		*st = cm_being_deleted(owner) && gc_has_finalizer(owner, "foregroundDeletion") ?
			GC_OWNER_WAITING : GC_OWNER_SOLID;
	} else {
		pr_warn("cannot get %s, an owner of %s/%s: %s\n", path, v->id.ns, v->id.name,
			kstatus_message(owner, code, msg, sizeof(msg)));
		json_decref(owner);
		return -EIO;
	}
	json_decref(owner);
	return 0;
}

/* kube's reportInvalidNamespaceOwnerRef: ref names an object of another namespace, or a
 * namespaced kind from a cluster-scoped object. */
static void invalid_namespace_event(const struct gc_view *v, const json_t *ref)
{
	event_record(G.cm->c, GC_COMPONENT, NULL, v->obj, "Warning", "OwnerRefInvalidNamespace",
		     "ownerRef [%s/%s, namespace: %s, name: %s, uid: %s] does not exist in namespace \"%s\"",
		     cm_str(ref, "apiVersion", NULL) ?: "", cm_str(ref, "kind", NULL) ?: "",
		     v->id.ns, cm_str(ref, "name", NULL) ?: "", cm_str(ref, "uid", NULL) ?: "",
		     v->id.ns);
}

/* The owners of v: how many solid, and the uids of the dangling and the waiting ones. */
static int classify(const struct gc_view *v, int *solid, json_t *dangling, json_t *waiting)
{
	const json_t *ref;
	size_t i;
	int err;

	*solid = 0;
	json_array_foreach(owner_refs(v->obj), i, ref) {
		const struct api_resource *r =
			api_resource_of(&G.res, cm_str(ref, "apiVersion", NULL),
					cm_str(ref, "kind", NULL));
		/* A cluster-scoped object cannot be owned by a namespaced one: it is never
		 * collected (its other owners are not looked at either), as kube's isDangling. */
		bool invalid_scope = !*v->id.ns && r && r->namespaced, other_ns = false;
		enum gc_owner st = GC_OWNER_UNKNOWN;

		if (!invalid_scope)
			st = gc_graph_owner(G.graph, ref, v->id.ns, &other_ns);
		if (invalid_scope || other_ns)
			invalid_namespace_event(v, ref);
		if (invalid_scope)
			return -E_NAMESPACED_OWNER;
		if (st == GC_OWNER_UNKNOWN && (err = owner_live(v, ref, &st)))
			return err;
		if (st == GC_OWNER_SOLID)
			(*solid)++;
		else
			json_array_append(st == GC_OWNER_ABSENT ? dangling : waiting,
					  json_object_get(ref, "uid"));
	}
	return 0;
}

/* A virtual node (an owner no informer has shown): is it there at all? */
static int verify_virtual(const struct gc_view *v)
{
	const struct api_resource *r;
	char path[1024], msg[256];
	json_t *obj = NULL;
	long code;

	if (v->gone || v->absent)
		return 0;
	r = api_resource_of(&G.res, v->id.api_version, v->id.kind);
	if (r && r->namespaced && !*v->id.ns) {
		/* Named only by cluster-scoped objects: no namespace to look in; they are
		 * never collected for it (classify). */
		return 0;
	}
	if (object_path(&v->id, path, sizeof(path))) {
		pr_debug("%s/%s %s: no such kind served; retrying later\n", v->id.api_version,
			 v->id.kind, v->id.name);
		wq_add_after(G.delete_q, v->id.uid, GC_UNMAPPED_RETRY_MS);
		return 0;
	}
	code = kclient_get(G.cm->c, path, &obj);
	if (code == 404 ||
	    (code == 200 && strcmp(cm_str(json_object_get(obj, "metadata"), "uid", NULL) ?: "",
				   v->id.uid))) {
		gc_graph_absent(G.graph, &v->id, true);
	} else if (code == 200) {
		wq_add_after(G.delete_q, v->id.uid, GC_UNOBSERVED_RETRY_MS);
	} else {
		pr_warn("cannot get %s: %s\n", path, kstatus_message(obj, code, msg, sizeof(msg)));
		json_decref(obj);
		return -EIO;
	}
	json_decref(obj);
	return 0;
}

/* An owner in foreground deletion: once no dependent blocks it, it may go. */
static int process_deleting_dependents(const struct gc_view *v)
{
	if (gc_graph_blocking(G.graph, v->id.uid))
		return 0; /* their deletions bring it back here */
	return remove_finalizer(v->obj, "foregroundDeletion",
				"removed the foregroundDeletion finalizer: no dependent blocks it");
}

/* kube's attemptToDeleteItem. */
static int attempt_to_delete(struct cm *cm, const char *uid)
{
	json_t *dangling = json_array(), *waiting = json_array();
	struct gc_view v;
	int solid, err = 0;

	(void)cm;
	if (!gc_graph_view(G.graph, uid, &v))
		goto out;
	if (!v.observed) {
		err = verify_virtual(&v);
		goto out;
	}
	/* A deletion under way is someone else's, unless it waits for dependents. */
	if (v.being_deleted && !v.deleting_dependents)
		goto out;
	if (v.deleting_dependents) {
		err = process_deleting_dependents(&v);
		goto out;
	}
	if (!json_array_size(owner_refs(v.obj)))
		goto out;
	err = classify(&v, &solid, dangling, waiting);
	if (err)
		goto out;
	if (solid) {
		/* It stays; references that cannot hold go (a waiting owner would otherwise
		 * wait for it forever). */
		if (json_array_size(dangling) || json_array_size(waiting)) {
			json_array_extend(dangling, waiting);
			err = remove_owner_refs(v.obj, dangling,
						"removed dangling ownerReferences");
		}
	} else if (json_array_size(waiting) && v.n_dependents) {
		/* An owner waits for it, and it has dependents of its own: go in the
		 * foreground too, not blocking owners that its own dependents could block
		 * in a cycle. */
		if (gc_graph_dependent_deleting(G.graph, uid)) {
			json_t *refs = json_deep_copy(owner_refs(v.obj));
			json_t *r;
			size_t i;

			json_array_foreach(refs, i, r)
				if (json_is_true(json_object_get(r, "blockOwnerDeletion")))
					json_object_set_new(r, "blockOwnerDeletion", json_false());
			err = patch_field(v.obj, "ownerReferences", refs,
					  "unblocked ownerReferences");
			if (err)
				goto out;
		}
		err = delete_object(&v, "Foreground");
	} else {
		/* Garbage: delete it as its own finalizers ask, else in the background. */
		const char *policy = gc_has_finalizer(v.obj, "orphan") ? "Orphan" :
				     gc_has_finalizer(v.obj, "foregroundDeletion") ? "Foreground" :
				     "Background";

		err = delete_object(&v, policy);
	}
out:
	if (err == -ENOENT) {
		pr_debug("%s: an owner of a kind the apiserver does not serve; retrying later\n",
			 uid);
		wq_add_after(G.delete_q, uid, GC_UNMAPPED_RETRY_MS);
		err = 0;
	} else if (err == -E_NAMESPACED_OWNER) {
		pr_info("garbage collector: %s/%s %s is cluster-scoped but names a namespaced owner; ignored\n",
			v.id.api_version, v.id.kind, v.id.name);
		err = 0;
	}
	gc_view_release(&v);
	json_decref(dangling);
	json_decref(waiting);
	return err;
}

/* kube's attemptToOrphanWorker: release every dependent, then the owner. */
static int attempt_to_orphan(struct cm *cm, const char *uid)
{
	json_t **deps = NULL, *uids = json_pack("[s]", uid);
	struct gc_view v;
	size_t n = 0, i;
	int err = 0;

	(void)cm;
	if (!gc_graph_view(G.graph, uid, &v) || !v.orphaning)
		goto out;
	n = gc_graph_dependents(G.graph, uid, &deps);
	for (i = 0; i < n; i++) {
		int e = remove_owner_refs(deps[i], uids, "orphaned: removed the ownerReference");

		if (e && !err)
			err = e;
	}
	if (!err)
		err = remove_finalizer(v.obj, "orphan",
				       "removed the orphan finalizer: dependents orphaned");
out:
	informer_list_free(deps, n);
	gc_view_release(&v);
	json_decref(uids);
	return err;
}

/* Kinds kube's collector leaves alone: events are many, short-lived and never own. */
static bool ignored(const struct api_resource *r)
{
	return !strcmp(r->plural, "events") && (!*r->group || !strcmp(r->group, "events.k8s.io"));
}

static int gc_init(struct cm *cm)
{
	static const struct informer_handlers h = { on_add, on_update, on_delete, NULL };
	const unsigned need = API_VERB_GET | API_VERB_LIST | API_VERB_WATCH | API_VERB_DELETE;
	int backoff = 500, watched = 0;
	size_t i;

	G.cm = cm;
	/* The kinds to watch come from discovery: wait for the apiserver, as the informers
	 * would. */
	while (api_discover(cm->c, &G.res)) {
		pr_info("garbage collector: waiting for discovery from %s: %s\n",
			kclient_server(cm->c), G.res.failed);
		if (!cm_sleep(cm, backoff))
			return 0;
		backoff = backoff < 8000 ? backoff * 2 : 16000;
	}
	if (G.res.n_failed)
		pr_warn("%s; those kinds are not collected\n", G.res.failed);
	G.graph = gc_graph_new(enqueue, NULL);
	G.delete_q = wq_new();
	G.orphan_q = wq_new();
	if (!G.graph || !G.delete_q || !G.orphan_q)
		return -ENOMEM;
	for (i = 0; i < G.res.n; i++) {
		const struct api_resource *r = &G.res.v[i];
		struct informer *inf;
		char path[512];

		if ((r->verbs & need) != need || ignored(r))
			continue;
		kpath(path, sizeof(path), r->api_version, NULL, r->plural, NULL, NULL);
		inf = cm_informer(cm, path);
		if (!inf || informer_add_handlers(inf, &h)) {
			pr_warn("cannot watch %s: %s will not be collected\n", path, r->plural);
			continue;
		}
		watched++;
	}
	pr_info("garbage collector: watching %d kinds\n", watched);
	return 0;
}

static int gc_run(struct cm *cm)
{
	int err;

	if (!G.graph)
		return 0;
	err = cm_run_workers(cm, G.delete_q, cm->workers, attempt_to_delete,
			     "garbage collector: attempt to delete");
	if (!err)
		err = cm_run_workers(cm, G.orphan_q, cm->workers, attempt_to_orphan,
				     "garbage collector: attempt to orphan");
	return err;
}

static void gc_stop(struct cm *cm)
{
	(void)cm;
	wq_free(G.delete_q);
	wq_free(G.orphan_q);
	gc_graph_free(G.graph);
	api_resources_free(&G.res);
	memset(&G, 0, sizeof(G));
}

const struct controller gc_controller = {
	.name = "garbagecollector",
	.init = gc_init,
	.run = gc_run,
	.stop = gc_stop,
};
