/* test_replicaset.c — unit tests of the ReplicaSet controller's pure logic
 * (controllers/replicaset.h): expectations, slow-start batches, the pod a template makes,
 * claiming, which surplus pods go, and the status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../controllers/cm.h"
#include "../../controllers/replicaset.h"
#include "selector.h"

/* Test JSON in single quotes, turned into double quotes (no test string needs an
 * apostrophe). */
static json_t *js(const char *src)
{
	json_error_t jerr;
	char *text = strdup(src), *p;
	json_t *v;

	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(text, 0, &jerr);
	free(text);
	if (!v)
		fail_msg("test JSON %d:%d: %s", jerr.line, jerr.column, jerr.text);
	return v;
}

static const char *str(const json_t *obj, const char *a, const char *b)
{
	return cm_str(obj, a, b);
}

/* --- expectations --- */

static void test_expect_creations(void **state)
{
	struct rsc_expectations *x = rsc_exp_new();

	(void)state;
	assert_true(rsc_exp_satisfied(x, "ns/rs", 100));   /* none recorded */
	rsc_exp_expect_creations(x, "ns/rs", 2, 100);
	assert_false(rsc_exp_satisfied(x, "ns/rs", 100));
	rsc_exp_creation_observed(x, "ns/rs");
	assert_false(rsc_exp_satisfied(x, "ns/rs", 100));
	rsc_exp_creation_observed(x, "ns/rs");
	assert_true(rsc_exp_satisfied(x, "ns/rs", 100));
	/* Another ReplicaSet's pods change nothing here. */
	rsc_exp_expect_creations(x, "ns/rs", 1, 100);
	rsc_exp_creation_observed(x, "ns/other");
	assert_false(rsc_exp_satisfied(x, "ns/rs", 100));
	/* A watch event that never comes holds the ReplicaSet back for 5 minutes only. */
	assert_false(rsc_exp_satisfied(x, "ns/rs", 100 + RSC_EXPECTATIONS_TIMEOUT_S - 1));
	assert_true(rsc_exp_satisfied(x, "ns/rs", 100 + RSC_EXPECTATIONS_TIMEOUT_S + 1));
	rsc_exp_delete(x, "ns/rs");
	assert_true(rsc_exp_satisfied(x, "ns/rs", 100));
	rsc_exp_free(x);
}

static void test_expect_deletions(void **state)
{
	const char *keys[] = { "ns/a", "ns/b" };
	struct rsc_expectations *x = rsc_exp_new();

	(void)state;
	rsc_exp_expect_deletions(x, "ns/rs", keys, 2, 100);
	assert_false(rsc_exp_satisfied(x, "ns/rs", 100));
	/* Marked for deletion, then gone: one observation, not two. */
	rsc_exp_deletion_observed(x, "ns/rs", "ns/a");
	rsc_exp_deletion_observed(x, "ns/rs", "ns/a");
	assert_false(rsc_exp_satisfied(x, "ns/rs", 100));
	/* A pod the sync did not delete is no answer. */
	rsc_exp_deletion_observed(x, "ns/rs", "ns/c");
	assert_false(rsc_exp_satisfied(x, "ns/rs", 100));
	rsc_exp_deletion_observed(x, "ns/rs", "ns/b");
	assert_true(rsc_exp_satisfied(x, "ns/rs", 100));
	rsc_exp_free(x);
}

/* --- slow start --- */

struct calls {
	pthread_mutex_t mu;
	int n, fail_from;
	bool seen[64];
};

static int call(void *ctx, int i)
{
	struct calls *c = ctx;

	pthread_mutex_lock(&c->mu);
	c->n++;
	c->seen[i] = true;
	pthread_mutex_unlock(&c->mu);
	return c->fail_from >= 0 && i >= c->fail_from ? -EIO : 0;
}

static void test_slow_start_all(void **state)
{
	struct calls c = { PTHREAD_MUTEX_INITIALIZER, 0, -1, { false } };
	int err, i;

	(void)state;
	assert_int_equal(rsc_slow_start(10, 1, call, &c, &err), 10);
	assert_int_equal(err, 0);
	assert_int_equal(c.n, 10);
	for (i = 0; i < 10; i++)
		assert_true(c.seen[i]);
	assert_int_equal(rsc_slow_start(0, 1, call, &c, &err), 0);
	assert_int_equal(c.n, 10);
}

static void test_slow_start_failure(void **state)
{
	/* Batches 1, 2, 4, 8: calls from index 4 on fail, in the third batch (indexes 3..6),
	 * which still runs to its end; the fourth batch never starts. */
	struct calls c = { PTHREAD_MUTEX_INITIALIZER, 0, 4, { false } };
	int err;

	(void)state;
	assert_int_equal(rsc_slow_start(20, 1, call, &c, &err), 4);
	assert_int_equal(err, -EIO);
	assert_int_equal(c.n, 7);
	assert_true(c.seen[6]);
	assert_false(c.seen[7]);
	/* A template the API refuses costs one call. */
	memset(&c.seen, 0, sizeof(c.seen));
	c.n = 0;
	c.fail_from = 0;
	assert_int_equal(rsc_slow_start(20, 1, call, &c, &err), 0);
	assert_int_equal(c.n, 1);
}

static void test_parallel(void **state)
{
	struct calls c = { PTHREAD_MUTEX_INITIALIZER, 0, 30, { false } };
	int err;

	(void)state;
	assert_int_equal(rsc_parallel(40, call, &c, &err), 10);
	assert_int_equal(err, -EIO);
	assert_int_equal(c.n, 40);
}

/* --- the pod a template makes --- */

static const char *RS = "{'metadata': {'name': 'web', 'namespace': 'prod', 'uid': 'u-1',"
			" 'labels': {'rs-only': 'x'}, 'annotations': {'rs-note': 'x'}},"
			" 'spec': {'replicas': 3, 'selector': {'matchLabels': {'app': 'web'}},"
			"  'template': {'metadata': {'name': 'ignored', 'labels': {'app': 'web'},"
			"   'annotations': {'team': 'blue'}, 'finalizers': ['example.com/keep']},"
			"   'spec': {'containers': [{'name': 'c', 'image': 'busybox'}]}}}}";

static void test_pod_from_template(void **state)
{
	json_t *rs = js(RS), *pod, *ref, *want;
	char err[128] = "";

	(void)state;
	pod = rsc_pod_from_template(rs, err, sizeof(err));
	assert_non_null(pod);
	assert_string_equal(str(pod, "kind", NULL), "Pod");
	assert_string_equal(str(json_object_get(pod, "metadata"), "generateName", NULL), "web-");
	assert_null(str(json_object_get(pod, "metadata"), "name", NULL));
	assert_string_equal(str(json_object_get(pod, "metadata"), "namespace", NULL), "prod");
	assert_string_equal(str(json_object_get(pod, "metadata"), "labels", "app"), "web");
	assert_null(str(json_object_get(pod, "metadata"), "labels", "rs-only"));
	assert_string_equal(str(json_object_get(pod, "metadata"), "annotations", "team"), "blue");
	assert_null(str(json_object_get(pod, "metadata"), "annotations", "rs-note"));
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(json_object_get(pod, "metadata"), "finalizers"), 0)),
		"example.com/keep");
	ref = json_array_get(json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), 0);
	want = js("{'apiVersion': 'apps/v1', 'kind': 'ReplicaSet', 'name': 'web', 'uid': 'u-1',"
		  " 'controller': true, 'blockOwnerDeletion': true}");
	assert_true(json_equal(ref, want));
	json_decref(want);
	assert_string_equal(str(json_array_get(json_object_get(json_object_get(pod, "spec"),
							       "containers"), 0), "image", NULL),
			    "busybox");
	json_decref(pod);
	json_decref(rs);
}

static void test_pod_from_template_refused(void **state)
{
	json_t *rs = js("{'metadata': {'name': 'x', 'namespace': 'n', 'uid': 'u'},"
			" 'spec': {'template': {'spec': {'containers': []}}}}");
	char err[128] = "";

	(void)state;
	assert_null(rsc_pod_from_template(rs, err, sizeof(err)));
	assert_string_equal(err, "unable to create pods, no labels");
	json_decref(rs);
}

static void test_pod_prefix_too_long(void **state)
{
	char name[254], err[64];
	json_t *rs, *pod;

	(void)state;
	memset(name, 'a', 253);
	name[253] = 0;
	rs = js(RS);
	json_object_set_new(json_object_get(rs, "metadata"), "name", json_string(name));
	pod = rsc_pod_from_template(rs, err, sizeof(err));
	/* "<name>-" would be 254 characters: the name alone is the prefix. */
	assert_string_equal(str(json_object_get(pod, "metadata"), "generateName", NULL), name);
	json_decref(pod);
	json_decref(rs);
}

/* --- claiming --- */

static void test_claim(void **state)
{
	static const struct {
		const char *pod;
		bool rs_deleted;
		enum rsc_claim want;
	} cases[] = {
		/* ours, matching */
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'web'},"
		  " 'ownerReferences': [{'uid': 'u-1', 'controller': true}]}}", false, RSC_OWNED },
		/* ours even while the ReplicaSet is being deleted */
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'web'},"
		  " 'ownerReferences': [{'uid': 'u-1', 'controller': true}]}}", true, RSC_OWNED },
		/* ours, relabelled */
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'db'},"
		  " 'ownerReferences': [{'uid': 'u-1', 'controller': true}]}}", false, RSC_RELEASE },
		/* ... but a ReplicaSet being deleted lets nothing go */
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'db'},"
		  " 'ownerReferences': [{'uid': 'u-1', 'controller': true}]}}", true, RSC_IGNORE },
		/* another controller's */
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'web'},"
		  " 'ownerReferences': [{'uid': 'u-2', 'controller': true}]}}", false, RSC_IGNORE },
		/* an orphan (a reference that is not a controller's does not count) */
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'web'},"
		  " 'ownerReferences': [{'uid': 'u-2'}]}}", false, RSC_ADOPT },
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'web'}}}", true, RSC_IGNORE },
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'db'}}}", false, RSC_IGNORE },
		{ "{'metadata': {'namespace': 'prod', 'labels': {'app': 'web'},"
		  " 'deletionTimestamp': '2026-01-01T00:00:00Z'}}", false, RSC_IGNORE },
		{ "{'metadata': {'namespace': 'dev', 'labels': {'app': 'web'}}}", false, RSC_IGNORE },
	};
	struct label_selector *sel;
	json_t *rs = js(RS);
	size_t i;

	(void)state;
	assert_int_equal(label_selector_from_json(json_object_get(json_object_get(rs, "spec"),
								  "selector"), &sel, NULL, 0), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *pod = js(cases[i].pod);

		json_object_del(json_object_get(rs, "metadata"), "deletionTimestamp");
		if (cases[i].rs_deleted)
			json_object_set_new(json_object_get(rs, "metadata"), "deletionTimestamp",
					    json_string("2026-01-01T00:00:00Z"));
		if (rsc_claim_action(rs, sel, pod) != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, rsc_claim_action(rs, sel, pod),
				 cases[i].want);
		json_decref(pod);
	}
	label_selector_free(sel);
	json_decref(rs);
}

/* --- which pods go --- */

static json_t *pod(const char *name, const char *node, const char *phase, bool ready,
		   const char *created)
{
	json_t *p = js("{'metadata': {}, 'spec': {}, 'status': {}}");

	json_object_set_new(json_object_get(p, "metadata"), "name", json_string(name));
	json_object_set_new(json_object_get(p, "metadata"), "uid", json_string(name));
	json_object_set_new(json_object_get(p, "metadata"), "creationTimestamp",
			    json_string(created));
	if (node)
		json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string(node));
	json_object_set_new(json_object_get(p, "status"), "phase", json_string(phase));
	json_object_set_new(json_object_get(p, "status"), "conditions",
			    json_pack("[{s:s,s:s,s:s}]", "type", "Ready", "status",
				      ready ? "True" : "False", "lastTransitionTime", created));
	return p;
}

static void test_pods_to_delete(void **state)
{
	const char *t = "2026-01-01T00:00:00Z";
	json_t *pods[5], *out[5], *related[3], *pair[2];
	size_t i;

	(void)state;
	pods[0] = pod("running-ready", "n1", "Running", true, t);
	pods[1] = pod("unscheduled", NULL, "Pending", false, t);
	pods[2] = pod("running-not-ready", "n1", "Running", false, t);
	pods[3] = pod("pending", "n2", "Pending", false, t);
	pods[4] = pod("crowded-ready", "n3", "Running", true, t);
	rsc_pods_to_delete(pods, 5, pods, 5, 3, cm_time("2026-01-02T00:00:00Z"), out);
	assert_string_equal(str(out[0], "metadata", "name"), "unscheduled");
	assert_string_equal(str(out[1], "metadata", "name"), "pending");
	assert_string_equal(str(out[2], "metadata", "name"), "running-not-ready");
	/* Of two ready pods, the one on the node with more related pods goes first. */
	related[0] = pair[0] = pods[0];
	related[1] = pair[1] = pods[4];
	related[2] = pod("sibling", "n3", "Running", true, t);
	rsc_pods_to_delete(pair, 2, related, 3, 1, cm_time("2026-01-02T00:00:00Z"), out);
	assert_string_equal(str(out[0], "metadata", "name"), "crowded-ready");
	/* Deleting all of them needs no ranking. */
	rsc_pods_to_delete(pods, 2, NULL, 0, 5, 0, out);
	assert_ptr_equal(out[0], pods[0]);
	assert_ptr_equal(out[1], pods[1]);
	json_decref(related[2]);
	for (i = 0; i < 5; i++)
		json_decref(pods[i]);
}

/* --- status --- */

static void test_status(void **state)
{
	json_t *rs = js(RS), *st, *pods[3];
	double now = cm_time("2026-01-01T00:01:00Z");
	const json_t *c;

	(void)state;
	pods[0] = pod("a", "n1", "Running", true, "2026-01-01T00:00:00Z");
	pods[1] = pod("b", "n1", "Running", true, "2026-01-01T00:00:50Z");
	pods[2] = pod("c", "n1", "Pending", false, "2026-01-01T00:00:00Z");
	json_object_set_new(json_object_get(pods[0], "metadata"), "labels",
			    js("{'app': 'web', 'extra': 'x'}"));
	json_object_set_new(json_object_get(pods[1], "metadata"), "labels", js("{'app': 'web'}"));
	json_object_set_new(json_object_get(json_object_get(rs, "spec"), "template"), "metadata",
			    js("{'labels': {'app': 'web', 'extra': 'x'}}"));
	json_object_set_new(json_object_get(rs, "spec"), "minReadySeconds", json_integer(30));
	st = rsc_calculate_status(rs, pods, 3, NULL, now);
	assert_int_equal(json_integer_value(json_object_get(st, "replicas")), 3);
	assert_int_equal(json_integer_value(json_object_get(st, "fullyLabeledReplicas")), 1);
	assert_int_equal(json_integer_value(json_object_get(st, "readyReplicas")), 2);
	/* b has been ready 10 s of the 30 minReadySeconds. */
	assert_int_equal(json_integer_value(json_object_get(st, "availableReplicas")), 1);
	assert_null(json_object_get(st, "conditions"));
	assert_true(rsc_status_changed(rs, st));
	json_object_set(rs, "status", st);
	json_object_set_new(json_object_get(rs, "metadata"), "generation", json_integer(2));
	json_object_set_new(st, "observedGeneration", json_integer(2));
	assert_false(rsc_status_changed(rs, st));
	json_decref(st);

	/* Too few pods and the API refused: FailedCreate, with the API's words. */
	json_object_set_new(json_object_get(rs, "spec"), "replicas", json_integer(5));
	st = rsc_calculate_status(rs, pods, 3, "pods \"web-\" is forbidden: quota", now);
	c = json_array_get(json_object_get(st, "conditions"), 0);
	assert_string_equal(str(c, "type", NULL), "ReplicaFailure");
	assert_string_equal(str(c, "status", NULL), "True");
	assert_string_equal(str(c, "reason", NULL), "FailedCreate");
	assert_string_equal(str(c, "message", NULL), "pods \"web-\" is forbidden: quota");
	assert_true(rsc_status_changed(rs, st));
	json_object_set(rs, "status", st);
	json_decref(st);
	/* Kept as it was while failing; removed once a sync succeeds. */
	st = rsc_calculate_status(rs, pods, 3, "another", now);
	assert_string_equal(str(json_array_get(json_object_get(st, "conditions"), 0), "message",
				NULL), "pods \"web-\" is forbidden: quota");
	json_decref(st);
	st = rsc_calculate_status(rs, pods, 3, NULL, now);
	assert_null(json_object_get(st, "conditions"));
	json_decref(st);

	/* Too many: FailedDelete. */
	json_object_del(rs, "status");
	json_object_set_new(json_object_get(rs, "spec"), "replicas", json_integer(1));
	st = rsc_calculate_status(rs, pods, 3, "boom", now);
	assert_string_equal(str(json_array_get(json_object_get(st, "conditions"), 0), "reason",
				NULL), "FailedDelete");
	json_decref(st);
	/* No pods at all: replicas 0 is written, the other counts are omitted. */
	st = rsc_calculate_status(rs, NULL, 0, NULL, now);
	c = js("{'replicas': 0}");
	assert_true(json_equal(st, c));
	json_decref((json_t *)c);
	json_decref(st);
	json_decref(rs);
	json_decref(pods[0]);
	json_decref(pods[1]);
	json_decref(pods[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expect_creations),
		cmocka_unit_test(test_expect_deletions),
		cmocka_unit_test(test_slow_start_all),
		cmocka_unit_test(test_slow_start_failure),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_pod_from_template),
		cmocka_unit_test(test_pod_from_template_refused),
		cmocka_unit_test(test_pod_prefix_too_long),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_pods_to_delete),
		cmocka_unit_test(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
