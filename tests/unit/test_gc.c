/* test_gc.c — unit tests of the garbage collector's dependency graph (gc_graph): which
 * owners it knows solid, absent or waiting, which objects it queues for a look when
 * owners, ownerReferences and deletion states change. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../controllers/gc_graph.h"

/* What the graph queued, in order: "delete:UID" / "orphan:UID". */
struct fx {
	struct gc_graph *g;
	json_t *queued;
};

static void record(void *ctx, enum gc_queue q, const char *uid)
{
	struct fx *f = ctx;
	char buf[128];

	snprintf(buf, sizeof(buf), "%s:%s", q == GC_ATTEMPT_ORPHAN ? "orphan" : "delete", uid);
	json_array_append_new(f->queued, json_string(buf));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->queued = json_array();
	f->g = gc_graph_new(record, f);
	*state = f;
	return f->g ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gc_graph_free(f->g);
	json_decref(f->queued);
	free(f);
	return 0;
}

static bool was_queued(struct fx *f, const char *what)
{
	const json_t *v;
	size_t i;

	json_array_foreach(f->queued, i, v)
		if (!strcmp(json_string_value(v), what))
			return true;
	return false;
}

static void forget_queue(struct fx *f)
{
	json_array_clear(f->queued);
}

/* A ConfigMap (ns "" for a Node-like cluster-scoped object of kind) with optional
 * ownerReferences and deletion state. */
static json_t *object(const char *kind, const char *ns, const char *name, const char *uid,
		      json_t *owner_refs, const char *finalizer, bool deleting)
{
	json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", kind,
			      "metadata", "name", name, "uid", uid);
	json_t *meta = json_object_get(o, "metadata");

	if (*ns)
		json_object_set_new(meta, "namespace", json_string(ns));
	if (owner_refs)
		json_object_set_new(meta, "ownerReferences", owner_refs);
	if (finalizer)
		json_object_set_new(meta, "finalizers", json_pack("[s]", finalizer));
	if (deleting)
		json_object_set_new(meta, "deletionTimestamp", json_string("2026-11-26T18:00:00Z"));
	return o;
}

static json_t *ref(const char *kind, const char *name, const char *uid, bool block)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:b}", "apiVersion", "v1", "kind", kind, "name", name,
			 "uid", uid, "blockOwnerDeletion", block);
}

/* ownerReferences naming one owner. */
static json_t *refs1(const char *kind, const char *name, const char *uid, bool block)
{
	return json_pack("[o]", ref(kind, name, uid, block));
}

static void observe(struct fx *f, json_t *obj)
{
	gc_graph_observe(f->g, obj);
	json_decref(obj);
}

static enum gc_owner owner_state(struct fx *f, const char *kind, const char *name,
				 const char *uid, const char *ns, bool *other_ns)
{
	json_t *r = ref(kind, name, uid, false);
	enum gc_owner st = gc_graph_owner(f->g, r, ns, other_ns);

	json_decref(r);
	return st;
}

/* An owner no informer has shown becomes a virtual node at the coordinates its dependent
 * names, queued so that a worker asks the apiserver; once the apiserver says it is absent,
 * the dependent sees a dangling reference. */
static void test_virtual_owner(void **state)
{
	struct fx *f = *state;
	struct gc_view v;
	struct gc_ident id = { .api_version = "v1", .kind = "ConfigMap", .ns = "default",
			       .name = "owner", .uid = "u-owner" };

	observe(f, object("Secret", "default", "dep", "u-dep",
			  refs1("ConfigMap", "owner", "u-owner", false), NULL, false));
	assert_true(was_queued(f, "delete:u-owner"));
	assert_true(gc_graph_view(f->g, "u-owner", &v));
	assert_false(v.observed);
	assert_string_equal(v.id.kind, "ConfigMap");
	assert_string_equal(v.id.ns, "default");
	assert_int_equal(v.n_dependents, 1);
	gc_view_release(&v);
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "default", NULL),
			 GC_OWNER_UNKNOWN);

	forget_queue(f);
	gc_graph_absent(f->g, &id, true);
	assert_true(was_queued(f, "delete:u-dep"));
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "default", NULL),
			 GC_OWNER_ABSENT);
	/* Absent at those coordinates only: another name for the uid is still unknown. */
	assert_int_equal(owner_state(f, "ConfigMap", "other", "u-owner", "default", NULL),
			 GC_OWNER_UNKNOWN);
}

/* An observed owner is solid for a reference that names it right; its deletion queues its
 * dependents and makes it absent for good. */
static void test_owner_deleted_queues_dependents(void **state)
{
	struct fx *f = *state;
	json_t *owner = object("ConfigMap", "default", "owner", "u-owner", NULL, NULL, false);

	gc_graph_observe(f->g, owner);
	observe(f, object("Secret", "default", "dep", "u-dep",
			  refs1("ConfigMap", "owner", "u-owner", false), NULL, false));
	assert_false(was_queued(f, "delete:u-dep"));
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "default", NULL),
			 GC_OWNER_SOLID);

	gc_graph_forget(f->g, owner);
	json_decref(owner);
	assert_true(was_queued(f, "delete:u-dep"));
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "default", NULL),
			 GC_OWNER_ABSENT);
}

/* The uid of a live object named by the wrong coordinates is no owner: a same-named
 * successor (another uid) is not the owner either. */
static void test_wrong_coordinates(void **state)
{
	struct fx *f = *state;
	bool other_ns = false;

	observe(f, object("ConfigMap", "default", "owner", "u-owner", NULL, NULL, false));
	observe(f, object("Secret", "default", "dep", "u-dep",
			  refs1("ConfigMap", "renamed", "u-owner", false), NULL,
			  false));
	/* Named wrongly: the dependent needs a look. */
	assert_true(was_queued(f, "delete:u-dep"));
	assert_int_equal(owner_state(f, "ConfigMap", "renamed", "u-owner", "default", &other_ns),
			 GC_OWNER_UNKNOWN);
	assert_false(other_ns);
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-successor", "default", NULL),
			 GC_OWNER_UNKNOWN);
}

/* Namespaced owners own only within their namespace; cluster-scoped owners own anywhere. */
static void test_namespaces(void **state)
{
	struct fx *f = *state;
	bool other_ns = false;

	observe(f, object("ConfigMap", "team-a", "owner", "u-owner", NULL, NULL, false));
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "team-b", &other_ns),
			 GC_OWNER_UNKNOWN);
	assert_true(other_ns);
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "", &other_ns),
			 GC_OWNER_UNKNOWN);
	assert_true(other_ns);
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "team-a", &other_ns),
			 GC_OWNER_SOLID);
	assert_false(other_ns);

	observe(f, object("Node", "", "n1", "u-node", NULL, NULL, false));
	assert_int_equal(owner_state(f, "Node", "n1", "u-node", "team-b", &other_ns),
			 GC_OWNER_SOLID);
	assert_int_equal(owner_state(f, "Node", "n1", "u-node", "", &other_ns), GC_OWNER_SOLID);
}

/* An owner entering foreground deletion queues its dependents and itself; only dependents
 * whose reference has blockOwnerDeletion block it; one dropping the reference or the flag
 * queues the owner again. */
static void test_foreground(void **state)
{
	struct fx *f = *state;
	json_t *blocking = object("Secret", "default", "a", "u-a",
				  refs1("ConfigMap", "owner", "u-owner", true), NULL,
				  false);

	observe(f, object("ConfigMap", "default", "owner", "u-owner", NULL, NULL, false));
	gc_graph_observe(f->g, blocking);
	observe(f, object("Secret", "default", "b", "u-b",
			  refs1("ConfigMap", "owner", "u-owner", false), NULL, false));
	forget_queue(f);

	observe(f, object("ConfigMap", "default", "owner", "u-owner", NULL, "foregroundDeletion",
			  true));
	assert_true(was_queued(f, "delete:u-owner"));
	assert_true(was_queued(f, "delete:u-a"));
	assert_true(was_queued(f, "delete:u-b"));
	assert_int_equal(owner_state(f, "ConfigMap", "owner", "u-owner", "default", NULL),
			 GC_OWNER_WAITING);
	assert_int_equal(gc_graph_blocking(f->g, "u-owner"), 1);
	assert_false(gc_graph_dependent_deleting(f->g, "u-owner"));

	/* The blocking dependent lets go of the flag: the owner is looked at again. */
	forget_queue(f);
	observe(f, object("Secret", "default", "a", "u-a",
			  refs1("ConfigMap", "owner", "u-owner", false), NULL, false));
	assert_true(was_queued(f, "delete:u-owner"));
	assert_int_equal(gc_graph_blocking(f->g, "u-owner"), 0);

	/* A dependent gone: the owner again. */
	forget_queue(f);
	gc_graph_forget(f->g, blocking);
	json_decref(blocking);
	assert_true(was_queued(f, "delete:u-owner"));
}

/* A dependent itself in foreground deletion is seen (the collector unblocks cycles). */
static void test_dependent_deleting(void **state)
{
	struct fx *f = *state;

	observe(f, object("ConfigMap", "default", "owner", "u-owner", NULL, NULL, false));
	observe(f, object("ConfigMap", "default", "mid", "u-mid",
			  refs1("ConfigMap", "owner", "u-owner", true),
			  "foregroundDeletion", true));
	assert_true(gc_graph_dependent_deleting(f->g, "u-owner"));
	/* A dependent in foreground deletion blocks but is not queued by the count. */
	forget_queue(f);
	assert_int_equal(gc_graph_blocking(f->g, "u-owner"), 1);
	assert_false(was_queued(f, "delete:u-mid"));
}

/* The orphan finalizer queues the owner for orphaning, with its dependents at hand. */
static void test_orphan(void **state)
{
	struct fx *f = *state;
	struct gc_view v;
	json_t **deps;
	size_t n;

	observe(f, object("ConfigMap", "default", "owner", "u-owner", NULL, NULL, false));
	observe(f, object("Secret", "default", "a", "u-a",
			  refs1("ConfigMap", "owner", "u-owner", true), NULL, false));
	observe(f, object("Secret", "default", "b", "u-b",
			  refs1("ConfigMap", "owner", "u-owner", false), NULL, false));
	forget_queue(f);
	observe(f, object("ConfigMap", "default", "owner", "u-owner", NULL, "orphan", true));
	assert_true(was_queued(f, "orphan:u-owner"));
	assert_false(was_queued(f, "delete:u-a"));
	assert_true(gc_graph_view(f->g, "u-owner", &v));
	assert_true(v.orphaning);
	assert_false(v.deleting_dependents);
	gc_view_release(&v);
	n = gc_graph_dependents(f->g, "u-owner", &deps);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		json_decref(deps[i]);
	free(deps);
}

/* A virtual owner no dependent names any more leaves the graph. */
static void test_unused_virtual_dropped(void **state)
{
	struct fx *f = *state;

	observe(f, object("Secret", "default", "dep", "u-dep",
			  refs1("ConfigMap", "owner", "u-owner", false), NULL, false));
	assert_int_equal(gc_graph_size(f->g), 2);
	observe(f, object("Secret", "default", "dep", "u-dep", json_array(), NULL, false));
	assert_int_equal(gc_graph_size(f->g), 1);
	assert_false(gc_graph_view(f->g, "u-owner", &(struct gc_view){ 0 }));
}

/* A virtual owner observed at last: dependents naming it by other coordinates are queued
 * (kube's "bad child, good parent"). */
static void test_virtual_observed(void **state)
{
	struct fx *f = *state;

	observe(f, object("Secret", "default", "good", "u-good",
			  refs1("ConfigMap", "owner", "u-owner", false), NULL, false));
	observe(f, object("Secret", "default", "bad", "u-bad",
			  refs1("ConfigMap", "wrong", "u-owner", false), NULL, false));
	forget_queue(f);
	observe(f, object("ConfigMap", "default", "owner", "u-owner", NULL, NULL, false));
	assert_true(was_queued(f, "delete:u-bad"));
	assert_false(was_queued(f, "delete:u-good"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_virtual_owner),
		T(test_owner_deleted_queues_dependents),
		T(test_wrong_coordinates),
		T(test_namespaces),
		T(test_foreground),
		T(test_dependent_deleting),
		T(test_orphan),
		T(test_unused_virtual_dropped),
		T(test_virtual_observed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
