/* gc_graph.c — the dependency graph of the garbage collector: nodes by uid, each holding
 * its latest object (whose ownerReferences are its edges to owners) and the set of its
 * dependents. A node lives while it is observed or while some dependent names it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "gc_graph.h"

struct dep {
	struct node *n;
	UT_hash_handle hh; /* keyed by the pointer */
};

struct node {
	char *uid;
	json_t *obj;       /* observed: the latest object */
	json_t *ref;       /* virtual: the ownerReference that first named it ... */
	char *ref_ns;      /* ... and that dependent's namespace */
	bool gone;
	bool absent;
	struct dep *deps;
	UT_hash_handle hh;
};

struct gc_graph {
	pthread_mutex_t mu;
	struct node *nodes;
	gc_enqueue_fn enqueue;
	void *ctx;
};

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key)) ?: "";
}

static const json_t *meta(const json_t *obj)
{
	return json_object_get(obj, "metadata");
}

static const json_t *owner_refs(const json_t *obj)
{
	return json_object_get(meta(obj), "ownerReferences");
}

bool gc_has_finalizer(const json_t *obj, const char *finalizer)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(meta(obj), "finalizers"), i, f)
		if (!strcmp(json_string_value(f) ?: "", finalizer))
			return true;
	return false;
}

static bool being_deleted(const json_t *obj)
{
	const json_t *ts = json_object_get(meta(obj), "deletionTimestamp");

	return ts && !json_is_null(ts);
}

/* "apps/v1" and "apps/v1beta2" name the same group; "v1" is the core group. */
static bool same_group(const char *a, const char *b)
{
	const char *sa = strchr(a, '/'), *sb = strchr(b, '/');
	size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;

	return la == lb && !strncmp(a, b, la);
}

/* Does ref (of a dependent in ns) name the observed object obj? A cluster-scoped owner
 * may be named from anywhere. */
static bool ref_names_obj(const json_t *ref, const char *ns, const json_t *obj)
{
	const char *ons = str(meta(obj), "namespace");

	return same_group(str(ref, "apiVersion"), str(obj, "apiVersion")) &&
	       !strcmp(str(ref, "kind"), str(obj, "kind")) &&
	       !strcmp(str(ref, "name"), str(meta(obj), "name")) && (!*ons || !strcmp(ons, ns));
}

/* Does ref (of a dependent in ns) name the coordinates a virtual node was created with? */
static bool ref_names_virtual(const json_t *ref, const char *ns, const struct node *n)
{
	return same_group(str(ref, "apiVersion"), str(n->ref, "apiVersion")) &&
	       !strcmp(str(ref, "kind"), str(n->ref, "kind")) &&
	       !strcmp(str(ref, "name"), str(n->ref, "name")) && !strcmp(ns, n->ref_ns ?: "");
}

/* The ownerReference of obj naming uid, or NULL. */
static const json_t *ref_to(const json_t *obj, const char *uid)
{
	const json_t *r;
	size_t i;

	json_array_foreach(owner_refs(obj), i, r)
		if (!strcmp(str(r, "uid"), uid))
			return r;
	return NULL;
}

void gc_ident_of_obj(const json_t *obj, struct gc_ident *id)
{
	snprintf(id->api_version, sizeof(id->api_version), "%s", str(obj, "apiVersion"));
	snprintf(id->kind, sizeof(id->kind), "%s", str(obj, "kind"));
	snprintf(id->ns, sizeof(id->ns), "%s", str(meta(obj), "namespace"));
	snprintf(id->name, sizeof(id->name), "%s", str(meta(obj), "name"));
	snprintf(id->uid, sizeof(id->uid), "%s", str(meta(obj), "uid"));
}

struct gc_graph *gc_graph_new(gc_enqueue_fn enqueue, void *ctx)
{
	struct gc_graph *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	g->enqueue = enqueue;
	g->ctx = ctx;
	return g;
}

static void node_free(struct node *n)
{
	struct dep *d, *tmp;

	HASH_ITER(hh, n->deps, d, tmp) {
		HASH_DEL(n->deps, d);
		free(d);
	}
	json_decref(n->obj);
	json_decref(n->ref);
	free(n->ref_ns);
	free(n->uid);
	free(n);
}

void gc_graph_free(struct gc_graph *g)
{
	struct node *n, *tmp;

	if (!g)
		return;
	HASH_ITER(hh, g->nodes, n, tmp) {
		HASH_DEL(g->nodes, n);
		node_free(n);
	}
	pthread_mutex_destroy(&g->mu);
	free(g);
}

static struct node *find(struct gc_graph *g, const char *uid)
{
	struct node *n;

	HASH_FIND_STR(g->nodes, uid, n);
	return n;
}

static struct node *add_node(struct gc_graph *g, const char *uid)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n || !(n->uid = strdup(uid))) {
		free(n);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, g->nodes, n->uid, strlen(n->uid), n);
	return n;
}

/* A node neither observed nor named by anyone has nothing left to say. */
static void drop_if_unused(struct gc_graph *g, struct node *n)
{
	if (!n->obj && !n->deps) {
		HASH_DEL(g->nodes, n);
		node_free(n);
	}
}

static bool deleting_dependents(const struct node *n)
{
	return n->obj && being_deleted(n->obj) && gc_has_finalizer(n->obj, "foregroundDeletion");
}

static bool orphaning(const struct node *n)
{
	return n->obj && being_deleted(n->obj) && gc_has_finalizer(n->obj, "orphan");
}

static void queue_dependents(struct gc_graph *g, struct node *n)
{
	struct dep *d, *tmp;

	HASH_ITER(hh, n->deps, d, tmp)
		g->enqueue(g->ctx, GC_ATTEMPT_DELETE, d->n->uid);
}

/* Make dependent n (in namespace ns) a dependent of the owner ref names. */
static void link_owner(struct gc_graph *g, struct node *n, const json_t *ref, const char *ns)
{
	const char *uid = str(ref, "uid");
	struct node *o = find(g, uid);
	bool created = false;
	struct dep *d;

	if (!*uid)
		return;
	if (!o) {
		o = add_node(g, uid);
		if (!o)
			return;
		o->ref = json_incref((json_t *)ref);
		o->ref_ns = strdup(ns);
		created = true;
	}
	HASH_FIND_PTR(o->deps, &n, d);
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return;
		d->n = n;
		HASH_ADD_PTR(o->deps, n, d);
	}
	if (created)
		/* Does it exist at all? The worker asks the apiserver. */
		g->enqueue(g->ctx, GC_ATTEMPT_DELETE, uid);
	else if (o->gone || (!o->obj && o->absent && ref_names_virtual(ref, ns, o)) ||
		 (o->obj && !ref_names_obj(ref, ns, o->obj)) || deleting_dependents(o))
		/* Named an owner known to be absent, by the wrong coordinates, or one waiting
		 * for its dependents to go: the dependent needs a look. */
		g->enqueue(g->ctx, GC_ATTEMPT_DELETE, n->uid);
}

/* n no longer names owner uid. */
static void unlink_owner(struct gc_graph *g, struct node *n, const char *uid)
{
	struct node *o = find(g, uid);
	struct dep *d;

	if (!o)
		return;
	HASH_FIND_PTR(o->deps, &n, d);
	if (d) {
		HASH_DEL(o->deps, d);
		free(d);
	}
	/* An owner waiting for its dependents may be done. */
	if (deleting_dependents(o))
		g->enqueue(g->ctx, GC_ATTEMPT_DELETE, o->uid);
	drop_if_unused(g, o);
}

void gc_graph_observe(struct gc_graph *g, const json_t *obj)
{
	const char *uid = str(meta(obj), "uid"), *ns = str(meta(obj), "namespace");
	const json_t *old, *r;
	bool was_fg, was_orphan;
	struct node *n;
	size_t i;

	if (!*uid)
		return;
	pthread_mutex_lock(&g->mu);
	n = find(g, uid);
	if (!n && !(n = add_node(g, uid)))
		goto out;
	old = n->obj;
	was_fg = deleting_dependents(n);
	was_orphan = orphaning(n);
	if (!old && n->ref) {
		/* A virtual node observed at last: dependents that named it by other
		 * coordinates hold a reference that may not be theirs (kube's "bad child, good
		 * parent" case). */
		struct dep *d, *tmp;

		HASH_ITER(hh, n->deps, d, tmp) {
			const json_t *dr = d->n->obj ? ref_to(d->n->obj, uid) : NULL;

			if (dr && !ref_names_obj(dr, str(meta(d->n->obj), "namespace"), obj))
				g->enqueue(g->ctx, GC_ATTEMPT_DELETE, d->n->uid);
		}
		json_decref(n->ref);
		n->ref = NULL;
		free(n->ref_ns);
		n->ref_ns = NULL;
	}
	n->obj = json_incref((json_t *)obj);
	n->absent = n->gone = false;
	/* Owners no longer named, or no longer blocked by this dependent. */
	json_array_foreach(owner_refs(old), i, r) {
		const json_t *now = ref_to(obj, str(r, "uid"));

		if (!now) {
			unlink_owner(g, n, str(r, "uid"));
		} else if (json_is_true(json_object_get(r, "blockOwnerDeletion")) &&
			   !json_is_true(json_object_get(now, "blockOwnerDeletion"))) {
			struct node *o = find(g, str(r, "uid"));

			if (o && deleting_dependents(o))
				g->enqueue(g->ctx, GC_ATTEMPT_DELETE, o->uid);
		}
	}
	json_array_foreach(owner_refs(obj), i, r) {
		const json_t *before = old ? ref_to(old, str(r, "uid")) : NULL;

		if (!before || !json_equal((json_t *)before, (json_t *)r))
			link_owner(g, n, r, ns);
	}
	/* Transitions into foreground or orphan deletion (also on a first sight: a restart). */
	if (orphaning(n) && !was_orphan) {
		g->enqueue(g->ctx, GC_ATTEMPT_ORPHAN, uid);
	} else if (deleting_dependents(n) && !was_fg) {
		queue_dependents(g, n);
		g->enqueue(g->ctx, GC_ATTEMPT_DELETE, uid);
	}
	json_decref((json_t *)old);
out:
	pthread_mutex_unlock(&g->mu);
}

void gc_graph_forget(struct gc_graph *g, const json_t *obj)
{
	const char *uid = str(meta(obj), "uid");
	const json_t *r;
	struct node *n;
	json_t *last;
	size_t i;

	pthread_mutex_lock(&g->mu);
	n = find(g, uid);
	if (!n || !n->obj)
		goto out;
	last = n->obj;
	json_array_foreach(owner_refs(last), i, r)
		unlink_owner(g, n, str(r, "uid"));
	n->obj = NULL;
	json_decref(last);
	n->gone = true;
	/* Its dependents may be garbage now. */
	queue_dependents(g, n);
	drop_if_unused(g, n);
out:
	pthread_mutex_unlock(&g->mu);
}

bool gc_graph_view(struct gc_graph *g, const char *uid, struct gc_view *out)
{
	struct node *n;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&g->mu);
	n = find(g, uid);
	if (n) {
		if (n->obj) {
			gc_ident_of_obj(n->obj, &out->id);
			out->obj = json_incref(n->obj);
		} else {
			const json_t *ref = n->ref;

			snprintf(out->id.api_version, sizeof(out->id.api_version), "%s",
				 str(ref, "apiVersion"));
			snprintf(out->id.kind, sizeof(out->id.kind), "%s", str(ref, "kind"));
			snprintf(out->id.ns, sizeof(out->id.ns), "%s", n->ref_ns ?: "");
			snprintf(out->id.name, sizeof(out->id.name), "%s", str(ref, "name"));
			snprintf(out->id.uid, sizeof(out->id.uid), "%s", uid);
		}
		out->observed = n->obj != NULL;
		out->gone = n->gone;
		out->absent = n->absent;
		out->being_deleted = n->obj && being_deleted(n->obj);
		out->deleting_dependents = deleting_dependents(n);
		out->orphaning = orphaning(n);
		out->n_dependents = HASH_COUNT(n->deps);
	}
	pthread_mutex_unlock(&g->mu);
	return n != NULL;
}

void gc_view_release(struct gc_view *v)
{
	json_decref(v->obj);
	v->obj = NULL;
}

enum gc_owner gc_graph_owner(struct gc_graph *g, const json_t *ref, const char *ns, bool *other_ns)
{
	enum gc_owner st = GC_OWNER_UNKNOWN;
	struct node *o;

	if (other_ns)
		*other_ns = false;
	pthread_mutex_lock(&g->mu);
	o = find(g, str(ref, "uid"));
	if (!o) {
		st = GC_OWNER_UNKNOWN;
	} else if (o->gone) {
		st = GC_OWNER_ABSENT;
	} else if (o->obj) {
		const char *ons = str(meta(o->obj), "namespace");

		if (ref_names_obj(ref, ns, o->obj))
			st = deleting_dependents(o) ? GC_OWNER_WAITING : GC_OWNER_SOLID;
		else if (other_ns && *ons && strcmp(ons, ns))
			*other_ns = true;
	} else if (o->absent && ref_names_virtual(ref, ns, o)) {
		st = GC_OWNER_ABSENT;
	}
	pthread_mutex_unlock(&g->mu);
	return st;
}

void gc_graph_absent(struct gc_graph *g, const struct gc_ident *id, bool queue)
{
	struct node *n;

	pthread_mutex_lock(&g->mu);
	n = find(g, id->uid);
	if (n && !n->obj) {
		json_t *ref = json_pack("{s:s,s:s,s:s}", "apiVersion", id->api_version, "kind",
					id->kind, "name", id->name);

		if (ref && ref_names_virtual(ref, id->ns, n))
			n->absent = true;
		json_decref(ref);
		if (queue)
			queue_dependents(g, n);
	}
	pthread_mutex_unlock(&g->mu);
}

size_t gc_graph_blocking(struct gc_graph *g, const char *uid)
{
	struct dep *d, *tmp;
	struct node *n;
	size_t count = 0;

	pthread_mutex_lock(&g->mu);
	n = find(g, uid);
	if (n)
		HASH_ITER(hh, n->deps, d, tmp) {
			const json_t *r = d->n->obj ? ref_to(d->n->obj, uid) : NULL;

			if (!r || !json_is_true(json_object_get(r, "blockOwnerDeletion")))
				continue;
			count++;
			if (!deleting_dependents(d->n))
				g->enqueue(g->ctx, GC_ATTEMPT_DELETE, d->n->uid);
		}
	pthread_mutex_unlock(&g->mu);
	return count;
}

bool gc_graph_dependent_deleting(struct gc_graph *g, const char *uid)
{
	struct dep *d, *tmp;
	struct node *n;
	bool any = false;

	pthread_mutex_lock(&g->mu);
	n = find(g, uid);
	if (n)
		HASH_ITER(hh, n->deps, d, tmp)
			any |= deleting_dependents(d->n);
	pthread_mutex_unlock(&g->mu);
	return any;
}

size_t gc_graph_dependents(struct gc_graph *g, const char *uid, json_t ***out)
{
	struct dep *d, *tmp;
	struct node *n;
	size_t count = 0;

	pthread_mutex_lock(&g->mu);
	n = find(g, uid);
	*out = malloc(((n ? HASH_COUNT(n->deps) : 0) + 1) * sizeof(json_t *));
	if (n && *out)
		HASH_ITER(hh, n->deps, d, tmp)
			if (d->n->obj)
				(*out)[count++] = json_incref(d->n->obj);
	pthread_mutex_unlock(&g->mu);
	return count;
}

size_t gc_graph_size(struct gc_graph *g)
{
	size_t n;

	pthread_mutex_lock(&g->mu);
	n = HASH_COUNT(g->nodes);
	pthread_mutex_unlock(&g->mu);
	return n;
}
