/* test_deployment.c — unit tests of the Deployment controller's arithmetic
 * (controllers/deploy_util.h), with the numbers kube-controller-manager's own tests use:
 * rolling-update fenceposts, the pod-template hash, the new ReplicaSet's size, revisions,
 * proportional scaling, the status and the Progressing/Available conditions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../controllers/cm.h"
#include "../../controllers/deploy_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Test JSON in single quotes, turned into double quotes (no test string needs an
 * apostrophe). NULL stays NULL. */
static json_t *js(const char *src)
{
	json_error_t jerr;
	char *text, *p;
	json_t *v;

	if (!src)
		return NULL;
	text = strdup(src);
	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(text, JSON_DECODE_ANY, &jerr);
	free(text);
	if (!v)
		fail_msg("test JSON %d:%d: %s", jerr.line, jerr.column, jerr.text);
	return v;
}

/* A Deployment of replicas with a RollingUpdate strategy (surge and unavailable are JSON:
 * 1, '25%', null) or Recreate (surge NULL). */
static json_t *deployment(int replicas, const char *surge, const char *unavailable)
{
	char buf[512];

	if (!surge)
		snprintf(buf, sizeof(buf),
			 "{'metadata': {'name': 'web', 'generation': 1}, 'spec': {'replicas': %d, "
			 "'strategy': {'type': 'Recreate'}, 'progressDeadlineSeconds': 600}}",
			 replicas);
	else
		snprintf(buf, sizeof(buf),
			 "{'metadata': {'name': 'web', 'generation': 1}, 'spec': {'replicas': %d, "
			 "'strategy': {'type': 'RollingUpdate', 'rollingUpdate': {'maxSurge': %s, "
			 "'maxUnavailable': %s}}, 'progressDeadlineSeconds': 600}}",
			 replicas, surge, unavailable);
	return js(buf);
}

/* A ReplicaSet: name, spec.replicas, available (= ready = status.replicas), the
 * max-replicas annotation (0: none), creation second (orders them). */
static json_t *replicaset(const char *name, int replicas, int available, int max, int created)
{
	char buf[512], ann[128] = "";

	if (max)
		snprintf(ann, sizeof(ann), ", 'annotations': {'%s': '%d'}", MAX_REPLICAS_ANNOTATION,
			 max);
	snprintf(buf, sizeof(buf),
		 "{'metadata': {'name': '%s', 'creationTimestamp': '2026-01-01T00:00:%02dZ'%s}, "
		 "'spec': {'replicas': %d}, 'status': {'replicas': %d, 'readyReplicas': %d, "
		 "'availableReplicas': %d}}",
		 name, created, ann, replicas, available, available, available);
	return js(buf);
}

/* --- fenceposts --- */

static const struct fencepost_case {
	const char *surge, *unavailable; /* JSON */
	int desired;
	int want_err, want_surge, want_unavailable;
} fencepost_cases[] = {
	/* kube's defaults: 25% of 4 is 1 either way; of 10 surge rounds up, unavailable down. */
	{ "'25%'", "'25%'", 4, 0, 1, 1 },
	{ "'25%'", "'25%'", 10, 0, 3, 2 },
	{ "'25%'", "'25%'", 1, 0, 1, 0 },
	{ "2", "0", 3, 0, 2, 0 },
	{ "0", "'100%'", 3, 0, 0, 3 },
	/* Both resolve to 0 (only through rounding): unavailable becomes 1 so that the
	 * rollout can move. */
	{ "'0%'", "'10%'", 5, 0, 0, 1 },
	{ "0", "0", 5, 0, 0, 1 },
	/* Absent values count as 0. */
	{ "null", "'50%'", 4, 0, 0, 2 },
	/* Not an integer nor a percentage. */
	{ "'25'", "1", 4, -EINVAL, 0, 0 },
	{ "1", "'x%'", 4, -EINVAL, 0, 0 },
	{ "1", "'%'", 4, -EINVAL, 0, 0 },
};

static void test_fenceposts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fencepost_cases); i++) {
		const struct fencepost_case *c = &fencepost_cases[i];
		json_t *s = js(c->surge), *u = js(c->unavailable);
		int surge = -1, unavailable = -1;
		int err = resolve_fenceposts(s, u, c->desired, &surge, &unavailable);

		if (err != c->want_err ||
		    (!err && (surge != c->want_surge || unavailable != c->want_unavailable)))
			fail_msg("case %zu (%s, %s of %d): err %d surge %d unavailable %d, "
				 "want %d %d %d", i, c->surge, c->unavailable, c->desired, err,
				 surge, unavailable, c->want_err, c->want_surge,
				 c->want_unavailable);
		json_decref(s);
		json_decref(u);
	}
}

static const struct max_case {
	int replicas;
	const char *surge, *unavailable;
	int want_surge, want_unavailable;
} max_cases[] = {
	{ 4, "1", "1", 1, 1 },
	/* maxUnavailable never exceeds spec.replicas, and is 0 for 0 replicas. */
	{ 2, "0", "5", 0, 2 },
	{ 0, "1", "1", 1, 0 },
	/* Recreate: no surge, no unavailability budget. */
	{ 3, NULL, NULL, 0, 0 },
};

static void test_deploy_max(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(max_cases); i++) {
		const struct max_case *c = &max_cases[i];
		json_t *d = deployment(c->replicas, c->surge, c->unavailable);

		if (deploy_max_surge(d) != c->want_surge ||
		    deploy_max_unavailable(d) != c->want_unavailable)
			fail_msg("case %zu: surge %d unavailable %d, want %d %d", i,
				 deploy_max_surge(d), deploy_max_unavailable(d), c->want_surge,
				 c->want_unavailable);
		json_decref(d);
	}
}

/* --- the pod-template hash --- */

#define TEMPLATE                                                                           \
	"{'metadata': {'labels': {'app': 'web'}, 'creationTimestamp': null}, 'spec': "    \
	"{'containers': [{'name': 'c', 'image': 'nginx:1.25'}]}}"
#define TEMPLATE_REORDERED                                                                 \
	"{'spec': {'containers': [{'image': 'nginx:1.25', 'name': 'c'}]}, 'metadata': "   \
	"{'labels': {'app': 'web'}}}"

static void test_hash(void **state)
{
	json_t *t = js(TEMPLATE), *t2 = js(TEMPLATE_REORDERED), *cc1 = json_integer(1);
	json_t *other = js("{'metadata': {'labels': {'app': 'web'}}, 'spec': {'containers': "
			   "[{'name': 'c', 'image': 'nginx:1.26'}]}}");
	char a[16], b[16], c[16], d[16];
	const char *p;

	(void)state;
	pod_template_hash(t, NULL, a, sizeof(a));
	/* Pinned: a manager whose hash changed would, once upgraded, find no ReplicaSet of
	 * the current template and roll every Deployment of the cluster. */
	assert_string_equal(a, "5bdcdff586");
	/* Key order and Go's zero values (nulls) do not matter. */
	pod_template_hash(t2, NULL, b, sizeof(b));
	assert_string_equal(a, b);
	/* collisionCount makes another name; the template another one again. */
	pod_template_hash(t, cc1, c, sizeof(c));
	assert_string_not_equal(a, c);
	pod_template_hash(other, NULL, d, sizeof(d));
	assert_string_not_equal(a, d);
	/* SafeEncodeString's alphabet: no vowels, no 0, 1 or 3 (no words, nothing to misread). */
	for (p = c; *p; p++)
		assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", *p));
	json_decref(t);
	json_decref(t2);
	json_decref(cc1);
	json_decref(other);
}

static const struct equal_case {
	const char *a, *b;
	bool equal;
} equal_cases[] = {
	/* The ReplicaSet's template carries the hash label; the Deployment's does not. */
	{ "{'metadata': {'labels': {'app': 'web', 'pod-template-hash': 'abc'}}, 'spec': {}}",
	  "{'metadata': {'labels': {'app': 'web'}}, 'spec': {}}", true },
	{ "{'metadata': {'labels': {'pod-template-hash': 'abc'}}, 'spec': {'x': 1}}",
	  "{'spec': {'x': 1}}", true },
	{ "{'metadata': {'annotations': {}, 'creationTimestamp': null}, 'spec': {}}",
	  "{'spec': {}}", true },
	{ "{'metadata': {'labels': {'app': 'web'}}, 'spec': {'x': 1}}",
	  "{'metadata': {'labels': {'app': 'web'}}, 'spec': {'x': 2}}", false },
	/* kubectl rollout restart changes an annotation: another template. */
	{ "{'metadata': {'annotations': {'kubectl.kubernetes.io/restartedAt': 't'}}, 'spec': {}}",
	  "{'spec': {}}", false },
};

static void test_templates_equal(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(equal_cases); i++) {
		json_t *a = js(equal_cases[i].a), *b = js(equal_cases[i].b);

		if (templates_equal_ignore_hash(a, b) != equal_cases[i].equal)
			fail_msg("case %zu: want %s", i,
				 equal_cases[i].equal ? "equal" : "different");
		json_decref(a);
		json_decref(b);
	}
}

/* --- the new ReplicaSet's size (NewRSNewReplicas) --- */

static const struct new_replicas_case {
	const char *surge, *unavailable; /* NULL: Recreate */
	int replicas, old_replicas, new_replicas, want;
} new_replicas_cases[] = {
	/* 10 replicas, surge 25% = 3: the new one starts at 3 beside the old 10. */
	{ "'25%'", "'25%'", 10, 10, 0, 3 },
	/* No room: the total is at replicas + surge already. */
	{ "1", "1", 4, 4, 1, 1 },
	/* Room, but never beyond spec.replicas. */
	{ "3", "0", 4, 1, 3, 4 },
	{ "1", "1", 4, 2, 2, 3 },
	/* Recreate: all at once. */
	{ NULL, NULL, 5, 0, 0, 5 },
};

static void test_new_rs_new_replicas(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(new_replicas_cases); i++) {
		const struct new_replicas_case *c = &new_replicas_cases[i];
		json_t *d = deployment(c->replicas, c->surge, c->unavailable);
		json_t *rs[2] = { replicaset("old", c->old_replicas, c->old_replicas, 0, 1),
				  replicaset("new", c->new_replicas, 0, 0, 2) };
		int got = new_rs_new_replicas(d, rs, 2, rs[1]);

		if (got != c->want)
			fail_msg("case %zu: %d, want %d", i, got, c->want);
		json_decref(d);
		json_decref(rs[0]);
		json_decref(rs[1]);
	}
}

/* --- revisions --- */

static void test_new_rs_annotations(void **state)
{
	json_t *d = js("{'metadata': {'annotations': {'kubernetes.io/change-cause': 'v2', "
		       "'kubectl.kubernetes.io/last-applied-configuration': '{}', "
		       "'deployment.kubernetes.io/revision': '7'}}, 'spec': {'replicas': 4, "
		       "'strategy': {'rollingUpdate': {'maxSurge': 1, 'maxUnavailable': 0}}}}");
	json_t *fresh = js("{'metadata': {}}");
	json_t *back = js("{'metadata': {'annotations': {'deployment.kubernetes.io/revision': '1', "
			  "'deployment.kubernetes.io/revision-history': '0'}}}");

	(void)state;
	/* A ReplicaSet being created: revision, the Deployment's own annotations but the
	 * controller's and kubectl apply's, desired and max replicas. */
	assert_true(set_new_rs_annotations(d, fresh, 3, false));
	assert_string_equal(dj_annotation(fresh, REVISION_ANNOTATION), "3");
	assert_string_equal(dj_annotation(fresh, "kubernetes.io/change-cause"), "v2");
	assert_null(dj_annotation(fresh, "kubectl.kubernetes.io/last-applied-configuration"));
	assert_string_equal(dj_annotation(fresh, DESIRED_REPLICAS_ANNOTATION), "4");
	assert_string_equal(dj_annotation(fresh, MAX_REPLICAS_ANNOTATION), "5");
	/* Unchanged the second time. */
	assert_false(set_new_rs_annotations(d, fresh, 3, true));
	/* An old ReplicaSet brought back (rollout undo): a new revision, the old one kept in
	 * the history. */
	assert_true(set_new_rs_annotations(d, back, 4, true));
	assert_string_equal(dj_annotation(back, REVISION_ANNOTATION), "4");
	assert_string_equal(dj_annotation(back, REVISION_HISTORY_ANNOTATION), "0,1");
	assert_int_equal(rs_revision(back), 4);
	json_decref(d);
	json_decref(fresh);
	json_decref(back);
}

static void test_sort_by_revision(void **state)
{
	json_t *rs[3] = {
		js("{'metadata': {'name': 'a', 'annotations': "
		   "{'deployment.kubernetes.io/revision': '10'}}}"),
		js("{'metadata': {'name': 'b', 'annotations': "
		   "{'deployment.kubernetes.io/revision': '9'}}}"),
		js("{'metadata': {'name': 'c'}}"),
	};
	size_t i;

	(void)state;
	/* Numerically (10 after 9), no revision first: cleanup deletes from the front. */
	rs_sort_by_revision(rs, 3);
	assert_string_equal(dj_str(rs[0], "metadata.name"), "c");
	assert_string_equal(dj_str(rs[1], "metadata.name"), "b");
	assert_string_equal(dj_str(rs[2], "metadata.name"), "a");
	for (i = 0; i < 3; i++)
		json_decref(rs[i]);
}

/* --- proportional scaling (the shares of GetProportion, as scale() hands them out) --- */

static const struct proportion_case {
	const char *name;
	int replicas, surge;  /* the Deployment after scaling, maxSurge (maxUnavailable 0) */
	int n;
	int sizes[3], max[3]; /* ReplicaSets in scale()'s order (by size; on ties newer first
			       * scaling up, older first scaling down) and their max-replicas
			       * annotation */
	int want[3];
} proportion_cases[] = {
	/* kube's "proportional scaling" cases (deployment/sync_test.go). */
	{ "scale up 10 -> 20 (5/5)", 20, 0, 2, { 5, 5 }, { 10, 10 }, { 10, 10 } },
	{ "scale up 10 -> 30 (2/8)", 30, 0, 2, { 2, 8 }, { 10, 10 }, { 6, 24 } },
	/* 2.5 rounds away from zero (Go's math.Round): 3 each, one too many; the first (on
	 * scaling down the older of two alike) gives the leftover back. */
	{ "scale down 10 -> 5 (5/5)", 5, 0, 2, { 5, 5 }, { 10, 10 }, { 2, 3 } },
	{ "scale up with surge 3 -> 8", 8, 1, 2, { 2, 2 }, { 4, 4 }, { 5, 4 } },
	{ "scale down to 0", 0, 0, 2, { 3, 2 }, { 5, 5 }, { 0, 0 } },
	{ "three ReplicaSets 12 -> 24", 24, 0, 3, { 4, 4, 4 }, { 12, 12, 12 }, { 8, 8, 8 } },
	/* Rounding leaves leftovers to the first (largest). */
	{ "leftover to the largest 9 -> 10", 10, 0, 3, { 3, 3, 3 }, { 9, 9, 9 }, { 4, 3, 3 } },
};

static void test_proportional_scaling(void **state)
{
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(proportion_cases); i++) {
		const struct proportion_case *c = &proportion_cases[i];
		char surge[16];
		json_t *d, *rs[3];
		int total = 0, to_add, added = 0, got[3];

		snprintf(surge, sizeof(surge), "%d", c->surge);
		d = deployment(c->replicas, surge, "0");
		for (j = 0; j < c->n; j++) {
			rs[j] = replicaset("rs", c->sizes[j], c->sizes[j], c->max[j], j);
			total += c->sizes[j];
		}
		to_add = (c->replicas ? c->replicas + c->surge : 0) - total;
		for (j = 0; j < c->n; j++) {
			int p = rs_proportion(rs[j], d, to_add, added);

			got[j] = c->sizes[j] + p;
			added += p;
		}
		got[0] += to_add - added;
		if (got[0] < 0)
			got[0] = 0;
		for (j = 0; j < c->n; j++)
			if (got[j] != c->want[j])
				fail_msg("%s: ReplicaSet %d gets %d, want %d", c->name, j, got[j],
					 c->want[j]);
		for (j = 0; j < c->n; j++)
			json_decref(rs[j]);
		json_decref(d);
	}
}

static void test_saturated(void **state)
{
	json_t *d = deployment(3, "1", "0");
	json_t *rs = js("{'metadata': {'annotations': "
			"{'deployment.kubernetes.io/desired-replicas': '3'}}, "
			"'spec': {'replicas': 3}, 'status': {'availableReplicas': 3}}");

	(void)state;
	assert_true(deploy_is_saturated(d, rs));
	json_object_set_new(json_object_get(rs, "status"), "availableReplicas", json_integer(2));
	assert_false(deploy_is_saturated(d, rs));
	assert_false(deploy_is_saturated(d, NULL));
	json_decref(d);
	json_decref(rs);
}

/* --- status and conditions --- */

static const struct status_case {
	const char *name;
	const char *surge, *unavailable; /* NULL: Recreate */
	int replicas;
	int old_spec, old_avail, new_spec, new_avail;
	/* status.replicas updatedReplicas availableReplicas unavailableReplicas */
	int want_replicas, want_updated, want_available, want_unavailable;
	const char *available, *available_reason;
} status_cases[] = {
	{ "rolled out", "1", "1", 3, 0, 0, 3, 3, 3, 3, 3, 0, "True", "MinimumReplicasAvailable" },
	{ "mid-rollout, enough available", "1", "1", 4, 3, 3, 2, 0, 5, 2, 3, 2, "True",
	  "MinimumReplicasAvailable" },
	{ "mid-rollout, too few", "1", "1", 4, 2, 2, 3, 0, 5, 3, 2, 3, "False",
	  "MinimumReplicasUnavailable" },
	/* Recreate has no unavailability budget. */
	{ "Recreate, one missing", NULL, NULL, 3, 0, 0, 3, 2, 3, 3, 2, 1, "False",
	  "MinimumReplicasUnavailable" },
	/* Scaling down: more available than wanted is not negative unavailability. */
	{ "scaling down", "1", "1", 2, 0, 0, 2, 4, 4, 4, 4, 0, "True", "MinimumReplicasAvailable" },
};

static void test_status(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(status_cases); i++) {
		const struct status_case *c = &status_cases[i];
		json_t *d = deployment(c->replicas, c->surge, c->unavailable);
		json_t *rs[2] = { replicaset("old", c->old_spec, c->old_avail, 0, 1),
				  replicaset("new", c->new_spec, c->new_avail, 0, 2) };
		json_t *st;
		const json_t *av;

		/* The new ReplicaSet's status.replicas can lag its spec (pods being made). */
		json_object_set_new(json_object_get(rs[1], "status"), "replicas",
				    json_integer(c->want_updated));
		json_object_set_new(json_object_get(rs[0], "status"), "replicas",
				    json_integer(c->want_replicas - c->want_updated));
		st = deploy_calculate_status(d, rs, 2, rs[1]);
		av = status_condition(st, "Available");
		if (dj_int(st, "replicas", 0) != c->want_replicas ||
		    dj_int(st, "updatedReplicas", 0) != c->want_updated ||
		    dj_int(st, "availableReplicas", 0) != c->want_available ||
		    dj_int(st, "unavailableReplicas", 0) != c->want_unavailable ||
		    dj_int(st, "observedGeneration", 0) != 1 ||
		    strcmp(dj_str(av, "status") ?: "", c->available) ||
		    strcmp(dj_str(av, "reason") ?: "", c->available_reason))
			fail_msg("%s: got %s", c->name, json_dumps(st, JSON_COMPACT));
		json_decref(st);
		json_decref(d);
		json_decref(rs[0]);
		json_decref(rs[1]);
	}
}

/* The Progressing condition through a rollout: progress, completion, the deadline. */
static void test_progressing(void **state)
{
	json_t *d = deployment(2, "1", "0"), *st, *rs[1];
	double now = cm_time_now();
	const json_t *c;

	(void)state;
	/* A new ReplicaSet, one pod up: progressing. */
	rs[0] = replicaset("web-abc", 2, 1, 0, 1);
	st = deploy_calculate_status(d, rs, 1, rs[0]);
	deploy_rollout_conditions(d, st, rs, 1, rs[0], now);
	c = status_condition(st, "Progressing");
	assert_string_equal(dj_str(c, "reason"), "ReplicaSetUpdated");
	assert_string_equal(dj_str(c, "message"), "ReplicaSet \"web-abc\" is progressing.");
	assert_false(deploy_complete(d, st));

	/* Both up: complete. */
	json_object_set_new(d, "status", st);
	json_decref(rs[0]);
	rs[0] = replicaset("web-abc", 2, 2, 0, 1);
	st = deploy_calculate_status(d, rs, 1, rs[0]);
	deploy_rollout_conditions(d, st, rs, 1, rs[0], now);
	c = status_condition(st, "Progressing");
	assert_string_equal(dj_str(c, "status"), "True");
	assert_string_equal(dj_str(c, "reason"), "NewReplicaSetAvailable");
	assert_string_equal(dj_str(c, "message"),
			    "ReplicaSet \"web-abc\" has successfully progressed.");
	assert_true(deploy_complete(d, st));
	/* A finished rollout never times out. */
	assert_false(deploy_timed_out(d, st, now + 3600));
	json_decref(st);

	/* No progress since lastUpdateTime and the deadline passed: timed out. */
	json_decref(rs[0]);
	rs[0] = replicaset("web-abc", 2, 1, 0, 1);
	st = js("{'updatedReplicas': 2, 'replicas': 2, 'availableReplicas': 1, 'readyReplicas': 1, "
		"'conditions': [{'type': 'Progressing', 'status': 'True', 'reason': "
		"'ReplicaSetUpdated', 'lastUpdateTime': '2026-01-01T00:00:00Z', "
		"'lastTransitionTime': '2026-01-01T00:00:00Z'}]}");
	json_object_set_new(d, "status", st);
	st = deploy_calculate_status(d, rs, 1, rs[0]);
	assert_true(deploy_timed_out(d, st, now));
	assert_false(deploy_timed_out(d, st, cm_time("2026-01-01T00:09:59Z")));
	deploy_rollout_conditions(d, st, rs, 1, rs[0], now);
	c = status_condition(st, "Progressing");
	assert_string_equal(dj_str(c, "status"), "False");
	assert_string_equal(dj_str(c, "reason"), "ProgressDeadlineExceeded");
	assert_string_equal(dj_str(c, "message"),
			    "ReplicaSet \"web-abc\" has timed out progressing.");
	json_decref(st);
	json_decref(rs[0]);
	json_decref(d);
}

static void test_condition_set(void **state)
{
	json_t *st = js("{'conditions': [{'type': 'Progressing', 'status': 'True', 'reason': 'A', "
			"'lastUpdateTime': 't0', 'lastTransitionTime': 't0'}]}");
	const json_t *c;

	(void)state;
	/* Same status and reason: kept as it is (times too). */
	condition_set(st, new_condition("Progressing", "True", "A", "m", true));
	assert_string_equal(dj_str(status_condition(st, "Progressing"), "lastUpdateTime"), "t0");
	/* Same status, new reason: the transition time stays. */
	condition_set(st, new_condition("Progressing", "True", "B", "m", true));
	c = status_condition(st, "Progressing");
	assert_string_equal(dj_str(c, "reason"), "B");
	assert_string_equal(dj_str(c, "lastTransitionTime"), "t0");
	assert_string_not_equal(dj_str(c, "lastUpdateTime"), "t0");
	/* A new status: a transition. */
	condition_set(st, new_condition("Progressing", "False", "C", "m", true));
	assert_string_not_equal(dj_str(status_condition(st, "Progressing"), "lastTransitionTime"),
				"t0");
	assert_int_equal(json_array_size(json_object_get(st, "conditions")), 1);
	condition_remove(st, "Progressing");
	assert_null(json_object_get(st, "conditions"));
	json_decref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fenceposts),
		cmocka_unit_test(test_deploy_max),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_templates_equal),
		cmocka_unit_test(test_new_rs_new_replicas),
		cmocka_unit_test(test_new_rs_annotations),
		cmocka_unit_test(test_sort_by_revision),
		cmocka_unit_test(test_proportional_scaling),
		cmocka_unit_test(test_saturated),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_progressing),
		cmocka_unit_test(test_condition_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
