/* test_endpointslice.c — unit tests of eps_reconcile: which EndpointSlices and which
 * Endpoints object a Service gets from its pods, and how few writes bring existing ones
 * there (Kubernetes v1.32's endpointslice reconciler and Endpoints controller). */
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

#include "../../controllers/eps_reconcile.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SVC_UID "11111111-2222-3333-4444-555555555555"

/* Test JSON with single quotes, as in test_selector.c. */
static json_t *js(const char *src)
{
	json_error_t jerr;
	char *text = strdup(src), *p;
	json_t *v;

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

/* A Service selecting app=web: http 80 -> the named port http, metrics 9090 -> 9090. */
static json_t *service(const char *extra_spec)
{
	json_t *svc = js("{'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'web', "
			 "'namespace': 'default', 'uid': '" SVC_UID "', 'labels': {'tier': 'fe'}}, "
			 "'spec': {'selector': {'app': 'web'}, 'clusterIP': '10.96.0.10', "
			 "'ipFamilies': ['IPv4'], 'ports': [{'name': 'http', 'port': 80, "
			 "'targetPort': 'http', 'protocol': 'TCP'}, {'name': 'metrics', "
			 "'port': 9090, 'targetPort': 9090, 'protocol': 'TCP'}]}}");

	if (extra_spec) {
		json_t *x = js(extra_spec);

		json_object_update(json_object_get(svc, "spec"), x);
		json_decref(x);
	}
	return svc;
}

/* A running pod of app=web on node n1 with IP 10.0.0.<i>, Ready or not, a container
 * port http 8080 (http_port 0: no named port). */
static json_t *pod(int i, bool ready, int http_port)
{
	char name[32], ip[32];
	json_t *p;

	snprintf(name, sizeof(name), "web-%03d", i);
	snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250 + 1);
	p = json_pack("{s:{s:s,s:s,s:s,s:{s:s}},s:{s:s,s:[{s:s,s:[{s:s,s:i}]}]},"
		      "s:{s:s,s:s,s:[{s:s}],s:[{s:s,s:s,s:s}]}}",
		      "metadata", "name", name, "namespace", "default", "uid", name, "labels", "app",
		      "web", "spec", "nodeName", "n1", "containers", "name", "c", "ports", "name",
		      http_port ? "http" : "other", "containerPort", http_port ? http_port : 1,
		      "status", "phase", "Running", "podIP", ip, "podIPs", "ip", ip, "conditions",
		      "type", "Ready", "status", ready ? "True" : "False", "lastTransitionTime",
		      "2026-01-02T03:04:05Z");
	assert_non_null(p);
	return p;
}

static void set_path(json_t *obj, const char *a, const char *b, json_t *v)
{
	json_object_set_new(json_object_get(obj, a), b, v);
}

static bool zone_of(void *ctx, const char *node, char *zone, size_t len)
{
	(void)ctx;
	if (strcmp(node, "n1"))
		return false;
	snprintf(zone, len, "zone-a");
	return true;
}

/* Make the plan's writes look stored: creates get names, everything a resourceVersion;
 * returns the slices that now exist (references). */
static json_t *apply(const json_t *existing, const struct eps_plan *plan)
{
	json_t *out = json_array(), *s;
	static int serial;
	size_t i, j;

	json_array_foreach(existing, i, s) {
		bool gone = false;
		const json_t *x;
		const char *name = json_string_value(json_object_get(json_object_get(s, "metadata"),
								     "name"));

		json_array_foreach(plan->del, j, x)
			gone |= !strcmp(name, json_string_value(json_object_get(
						      json_object_get(x, "metadata"), "name")));
		json_array_foreach(plan->update, j, x)
			gone |= !strcmp(name, json_string_value(json_object_get(
						      json_object_get(x, "metadata"), "name")));
		if (!gone)
			json_array_append(out, s);
	}
	json_array_foreach(plan->update, i, s) {
		json_t *c = json_deep_copy(s);
		char rv[16];

		snprintf(rv, sizeof(rv), "%d", ++serial);
		set_path(c, "metadata", "resourceVersion", json_string(rv));
		json_array_append_new(out, c);
	}
	json_array_foreach(plan->create, i, s) {
		json_t *c = json_deep_copy(s);
		char name[32], rv[16];

		snprintf(name, sizeof(name), "web-gen%d", ++serial);
		snprintf(rv, sizeof(rv), "%d", serial);
		set_path(c, "metadata", "name", json_string(name));
		set_path(c, "metadata", "resourceVersion", json_string(rv));
		json_array_append_new(out, c);
	}
	return out;
}

/* The elements of a JSON array as the pointer array the planners take (free it). */
static const json_t **ptrs(const json_t *arr)
{
	const json_t **v = calloc(json_array_size(arr) + 1, sizeof(*v));
	size_t i;

	assert_non_null(v);
	for (i = 0; i < json_array_size(arr); i++)
		v[i] = json_array_get(arr, i);
	return v;
}

static void plan(const json_t *svc, json_t *pods, json_t *slices, struct eps_plan *p)
{
	struct eps_slices_in in = { .svc = svc };
	const json_t **pv = ptrs(pods), **sv = ptrs(slices);

	in.pods = pv;
	in.n_pods = json_array_size(pods);
	in.slices = sv;
	in.n_slices = json_array_size(slices);
	in.node = zone_of;
	in.trigger_time = "2026-01-02T03:04:05Z";
	assert_int_equal(eps_plan_slices(&in, p), 0);
	free(pv);
	free(sv);
}

static size_t total_endpoints(const json_t *slices)
{
	const json_t *s;
	size_t i, n = 0;

	json_array_foreach(slices, i, s)
		n += json_array_size(json_object_get(s, "endpoints"));
	return n;
}

static const json_t *find_endpoint(const json_t *slices, const char *pod_name)
{
	const json_t *s, *e;
	size_t i, j;

	json_array_foreach(slices, i, s)
		json_array_foreach(json_object_get(s, "endpoints"), j, e)
			if (!strcmp(json_string_value(json_object_get(json_object_get(e, "targetRef"),
								      "name")) ?: "", pod_name))
				return e;
	return NULL;
}

static json_t *pods_range(int from, int to, bool ready)
{
	json_t *a = json_array();
	int i;

	for (i = from; i < to; i++)
		json_array_append_new(a, pod(i, ready, 8080));
	return a;
}

/* --- which Services and pods count --- */

static void test_service_selects(void **state)
{
	static const struct {
		const char *spec;
		bool selects;
	} cases[] = {
		{ NULL, true },
		{ "{'selector': null}", false },
		{ "{'selector': {}}", false },
		{ "{'type': 'ExternalName', 'externalName': 'x.example'}", false },
		{ "{'type': 'NodePort'}", true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *svc = service(cases[i].spec);

		if (cases[i].spec && strstr(cases[i].spec, "null"))
			json_object_del(json_object_get(svc, "spec"), "selector");
		if (eps_service_selects(svc) != cases[i].selects)
			fail_msg("case %zu (%s): expected %d", i, cases[i].spec, cases[i].selects);
		json_decref(svc);
	}
}

static void test_pod_in_endpoints(void **state)
{
	static const struct {
		const char *status;    /* merged into status */
		bool deleting;
		bool in, in_with_terminating;
	} cases[] = {
		{ "{}", false, true, true },
		{ "{'phase': 'Succeeded'}", false, false, false },
		{ "{'phase': 'Failed'}", false, false, false },
		{ "{'podIP': null, 'podIPs': []}", false, false, false },
		{ "{}", true, false, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *p = pod(1, true, 8080), *st = js(cases[i].status);

		json_object_update(json_object_get(p, "status"), st);
		if (json_is_null(json_object_get(json_object_get(p, "status"), "podIP")))
			json_object_del(json_object_get(p, "status"), "podIP");
		if (cases[i].deleting)
			set_path(p, "metadata", "deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
		assert_int_equal(eps_pod_in_endpoints(p, false), cases[i].in);
		assert_int_equal(eps_pod_in_endpoints(p, true), cases[i].in_with_terminating);
		json_decref(st);
		json_decref(p);
	}
}

static void test_pod_changed(void **state)
{
	static const struct {
		const char *what;
		bool changed, labels_changed;
	} cases[] = {
		{ "nothing", false, false },
		{ "ready", true, false },
		{ "ip", true, false },
		{ "labels", false, true },
		{ "deleting", true, false },
		{ "image", false, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *old = pod(1, true, 8080), *cur = json_deep_copy(old);
		const char *w = cases[i].what;
		bool changed, labels_changed;

		if (!strcmp(w, "ready"))
			json_object_set_new(json_array_get(json_object_get(json_object_get(cur, "status"),
									   "conditions"), 0),
					    "status", json_string("False"));
		else if (!strcmp(w, "ip"))
			set_path(cur, "status", "podIPs", js("[{'ip': '10.9.9.9'}]"));
		else if (!strcmp(w, "labels"))
			set_path(cur, "metadata", "labels", js("{'app': 'other'}"));
		else if (!strcmp(w, "deleting"))
			set_path(cur, "metadata", "deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
		else if (!strcmp(w, "image"))
			set_path(cur, "spec", "containers", js("[{'name': 'c', 'image': 'new'}]"));
		eps_pod_changed(old, cur, &changed, &labels_changed);
		if (changed != cases[i].changed || labels_changed != cases[i].labels_changed)
			fail_msg("%s: changed %d labels %d", w, changed, labels_changed);
		json_decref(old);
		json_decref(cur);
	}
}

/* --- slices --- */

static void test_new_service_slice(void **state)
{
	json_t *svc = service(NULL), *pods = json_array(), *none = json_array(), *s, *want;
	struct eps_plan p;

	(void)state;
	json_array_append_new(pods, pod(1, true, 8080));
	json_array_append_new(pods, pod(2, false, 8080));
	plan(svc, pods, none, &p);
	assert_int_equal(json_array_size(p.create), 1);
	assert_int_equal(json_array_size(p.update) + json_array_size(p.del), 0);
	s = json_array_get(p.create, 0);
	want = js("{'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice', "
		  "'addressType': 'IPv4', 'metadata': {'generateName': 'web-', "
		  "'namespace': 'default', 'labels': {'tier': 'fe', "
		  "'kubernetes.io/service-name': 'web', "
		  "'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io'}, "
		  "'annotations': {'endpoints.kubernetes.io/last-change-trigger-time': "
		  "'2026-01-02T03:04:05Z'}, 'ownerReferences': [{'apiVersion': 'v1', "
		  "'kind': 'Service', 'name': 'web', 'uid': '" SVC_UID "', 'controller': true, "
		  "'blockOwnerDeletion': true}]}, 'ports': [{'name': 'http', 'port': 8080, "
		  "'protocol': 'TCP'}, {'name': 'metrics', 'port': 9090, 'protocol': 'TCP'}], "
		  "'endpoints': [{'addresses': ['10.0.0.2'], 'conditions': {'ready': true, "
		  "'serving': true, 'terminating': false}, 'targetRef': {'kind': 'Pod', "
		  "'namespace': 'default', 'name': 'web-001', 'uid': 'web-001'}, "
		  "'nodeName': 'n1', 'zone': 'zone-a'}, {'addresses': ['10.0.0.3'], "
		  "'conditions': {'ready': false, 'serving': false, 'terminating': false}, "
		  "'targetRef': {'kind': 'Pod', 'namespace': 'default', 'name': 'web-002', "
		  "'uid': 'web-002'}, 'nodeName': 'n1', 'zone': 'zone-a'}]}");
	if (!json_equal(s, want)) {
		char *got = json_dumps(s, JSON_SORT_KEYS);

		fail_msg("slice: %s", got);
	}
	json_decref(want);
	eps_plan_free(&p);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

/* Pods over several slices, then changes: each scenario says how many writes of each kind
 * the next plan makes and what the slices hold afterwards. */
static void test_slice_churn(void **state)
{
	json_t *svc = service(NULL), *pods = pods_range(0, 250, true), *slices = json_array();
	json_t *next;
	struct eps_plan p;
	size_t i;

	(void)state;
	plan(svc, pods, slices, &p);
	assert_int_equal(json_array_size(p.create), 3); /* 100 + 100 + 50 */
	next = apply(slices, &p);
	json_decref(slices);
	slices = next;
	eps_plan_free(&p);
	assert_int_equal(total_endpoints(slices), 250);
	json_array_foreach(slices, i, next)
		assert_true(json_array_size(json_object_get(next, "endpoints")) <= 100);

	/* The same pods again: nothing to write. */
	plan(svc, pods, slices, &p);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.update) +
			 json_array_size(p.del), 0);
	eps_plan_free(&p);

	/* One pod turns unready: its slice alone is rewritten, in place. */
	json_array_set_new(pods, 7, pod(7, false, 8080));
	plan(svc, pods, slices, &p);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.del), 0);
	next = apply(slices, &p);
	json_decref(slices);
	slices = next;
	eps_plan_free(&p);
	assert_false(json_is_true(json_object_get(
		json_object_get(find_endpoint(slices, "web-007"), "conditions"), "ready")));
	assert_int_equal(json_array_size(slices), 3);

	/* Ten new pods fill the slice with room (50 endpoints), no new slice. */
	for (i = 250; i < 260; i++)
		json_array_append_new(pods, pod(i, true, 8080));
	plan(svc, pods, slices, &p);
	assert_int_equal(json_array_size(p.create), 0);
	assert_int_equal(json_array_size(p.update), 1);
	next = apply(slices, &p);
	json_decref(slices);
	slices = next;
	eps_plan_free(&p);
	assert_int_equal(total_endpoints(slices), 260);

	/* Every pod gone: one empty placeholder slice remains, reusing an existing one. */
	json_array_clear(pods);
	plan(svc, pods, slices, &p);
	assert_int_equal(json_array_size(p.create), 0);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(json_array_size(p.del), 2);
	next = apply(slices, &p);
	json_decref(slices);
	slices = next;
	eps_plan_free(&p);
	assert_int_equal(json_array_size(slices), 1);
	assert_int_equal(total_endpoints(slices), 0);
	assert_int_equal(json_array_size(json_object_get(json_array_get(slices, 0), "ports")), 0);

	/* And the placeholder is left alone afterwards. */
	plan(svc, pods, slices, &p);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.update) +
			 json_array_size(p.del), 0);
	eps_plan_free(&p);
	json_decref(svc);
	json_decref(pods);
	json_decref(slices);
}

/* Endpoint conditions, table-driven: pod state and Service setting -> ready/serving/
 * terminating. */
static void test_endpoint_conditions(void **state)
{
	static const struct {
		bool ready, deleting, publish;
		bool want_ready, want_serving, want_terminating;
	} cases[] = {
		{ true, false, false, true, true, false },
		{ false, false, false, false, false, false },
		{ true, true, false, false, true, true },    /* terminating, still serving */
		{ false, true, false, false, false, true },
		{ false, false, true, true, false, false },  /* publishNotReadyAddresses */
		{ true, true, true, true, true, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *svc = service(cases[i].publish ? "{'publishNotReadyAddresses': true}" : NULL);
		json_t *pods = json_array(), *none = json_array(), *p1 = pod(1, cases[i].ready, 8080);
		const json_t *c;
		struct eps_plan p;

		if (cases[i].deleting)
			set_path(p1, "metadata", "deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
		json_array_append_new(pods, p1);
		plan(svc, pods, none, &p);
		c = json_object_get(find_endpoint(p.create, "web-001"), "conditions");
		if (!c || json_is_true(json_object_get(c, "ready")) != cases[i].want_ready ||
		    json_is_true(json_object_get(c, "serving")) != cases[i].want_serving ||
		    json_is_true(json_object_get(c, "terminating")) != cases[i].want_terminating)
			fail_msg("case %zu: conditions %s", i, c ? json_dumps(c, 0) : "(none)");
		eps_plan_free(&p);
		json_decref(svc);
		json_decref(pods);
		json_decref(none);
	}
}

/* Pods that resolve the Service's ports differently get slices of their own; a pod on an
 * unknown node is left out and reported. */
static void test_port_groups_and_missing_node(void **state)
{
	json_t *svc = service(NULL), *pods = json_array(), *none = json_array(), *lost;
	const json_t *s;
	struct eps_plan p;
	size_t i;
	int with_http = 0, without = 0;

	(void)state;
	json_array_append_new(pods, pod(1, true, 8080));
	json_array_append_new(pods, pod(2, true, 0)); /* no port named http */
	json_array_append_new(pods, pod(3, true, 8081));
	lost = pod(4, true, 8080);
	set_path(lost, "spec", "nodeName", json_string("gone"));
	json_array_append_new(pods, lost);
	plan(svc, pods, none, &p);
	assert_int_equal(json_array_size(p.create), 3);
	json_array_foreach(p.create, i, s) {
		size_t n_ports = json_array_size(json_object_get(s, "ports"));

		assert_int_equal(json_array_size(json_object_get(s, "endpoints")), 1);
		if (n_ports == 2)
			with_http++;
		else if (n_ports == 1)
			without++;
	}
	assert_int_equal(with_http, 2);
	assert_int_equal(without, 1);
	assert_int_equal(p.skipped, 1);
	assert_non_null(strstr(p.skipped_msg, "Node gone Not Found"));
	assert_null(find_endpoint(p.create, "web-004"));
	eps_plan_free(&p);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

/* Slices of another Service of the same name (an older uid) go; a Service being deleted
 * gets no new slices. */
static void test_foreign_and_deleting(void **state)
{
	json_t *svc = service(NULL), *pods = pods_range(0, 2, true), *none = json_array();
	json_t *slices, *old;
	struct eps_plan p;

	(void)state;
	plan(svc, pods, none, &p);
	slices = apply(none, &p);
	eps_plan_free(&p);
	old = json_array_get(slices, 0);
	json_object_set_new(json_array_get(json_object_get(json_object_get(old, "metadata"),
							   "ownerReferences"), 0),
			    "uid", json_string("older-uid"));
	plan(svc, pods, slices, &p);
	/* The old slice is rewritten as the new one rather than deleted and created. */
	assert_int_equal(json_array_size(p.create) + json_array_size(p.update), 1);
	eps_plan_free(&p);

	set_path(svc, "metadata", "deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
	plan(svc, pods, none, &p);
	assert_int_equal(json_array_size(p.create), 0);
	eps_plan_free(&p);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
	json_decref(slices);
}

static void test_trigger_time(void **state)
{
	json_t *p = pod(1, true, 8080);

	(void)state;
	assert_true(eps_pod_trigger_time(p) == 1767323045.0); /* 2026-01-02T03:04:05Z */
	json_object_del(json_object_get(p, "status"), "conditions");
	assert_true(eps_pod_trigger_time(p) == 0);
	json_decref(p);
}

/* --- Endpoints --- */

static json_t *plan_ep(const json_t *svc, json_t *pods, const json_t *current)
{
	const json_t **pv = ptrs(pods);
	json_t *out = NULL;

	assert_int_equal(eps_plan_endpoints(svc, pv, json_array_size(pods), current, NULL, &out),
			 0);
	free(pv);
	return out;
}

static void test_endpoints_object(void **state)
{
	json_t *svc = service(NULL), *pods = json_array(), *ep, *want, *stored, *again;
	json_t *term = pod(3, true, 8080);

	(void)state;
	json_array_append_new(pods, pod(2, false, 8080));
	json_array_append_new(pods, pod(1, true, 8080));
	set_path(term, "metadata", "deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
	json_array_append_new(pods, term);
	ep = plan_ep(svc, pods, NULL);
	assert_non_null(ep);
	want = js("{'apiVersion': 'v1', 'kind': 'Endpoints', 'metadata': {'name': 'web', "
		  "'namespace': 'default', 'labels': {'tier': 'fe'}}, 'subsets': [{"
		  "'addresses': [{'ip': '10.0.0.2', 'nodeName': 'n1', 'targetRef': {'kind': 'Pod', "
		  "'namespace': 'default', 'name': 'web-001', 'uid': 'web-001'}}], "
		  "'notReadyAddresses': [{'ip': '10.0.0.3', 'nodeName': 'n1', 'targetRef': {"
		  "'kind': 'Pod', 'namespace': 'default', 'name': 'web-002', 'uid': 'web-002'}}], "
		  "'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}, "
		  "{'name': 'metrics', 'port': 9090, 'protocol': 'TCP'}]}]}");
	if (!json_equal(ep, want))
		fail_msg("endpoints: %s", json_dumps(ep, JSON_SORT_KEYS));

	/* Stored as is: nothing more to write. */
	stored = json_deep_copy(ep);
	set_path(stored, "metadata", "resourceVersion", json_string("5"));
	again = plan_ep(svc, pods, stored);
	if (again)
		fail_msg("rewritten: %s\nstored: %s", json_dumps(again, JSON_SORT_KEYS),
			 json_dumps(stored, JSON_SORT_KEYS));

	/* A headless Service's Endpoints carry the headless label; that label alone is no
	 * reason for a write (kube compares labels without it). */
	set_path(svc, "spec", "clusterIP", json_string("None"));
	assert_null(plan_ep(svc, pods, stored));
	json_array_remove(pods, 0);
	again = plan_ep(svc, pods, stored);
	assert_non_null(again);
	assert_non_null(json_object_get(json_object_get(json_object_get(again, "metadata"),
							"labels"), "service.kubernetes.io/headless"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(again, "metadata"),
							      "resourceVersion")), "5");
	assert_null(json_object_get(json_array_get(json_object_get(again, "subsets"), 0),
				    "notReadyAddresses"));
	json_decref(again);
	json_decref(stored);
	json_decref(want);
	json_decref(ep);
	json_decref(svc);
	json_decref(pods);
}

static void test_endpoints_over_capacity(void **state)
{
	json_t *svc = service(NULL), *pods = pods_range(0, 1005, true), *ep, *ss;

	(void)state;
	ep = plan_ep(svc, pods, NULL);
	ss = json_array_get(json_object_get(ep, "subsets"), 0);
	assert_int_equal(json_array_size(json_object_get(ss, "addresses")), 1000);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(ep, "metadata"), "annotations"),
				    "endpoints.kubernetes.io/over-capacity")),
			    "truncated");
	json_decref(ep);
	json_decref(svc);
	json_decref(pods);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_selects),
		cmocka_unit_test(test_pod_in_endpoints),
		cmocka_unit_test(test_pod_changed),
		cmocka_unit_test(test_new_service_slice),
		cmocka_unit_test(test_slice_churn),
		cmocka_unit_test(test_endpoint_conditions),
		cmocka_unit_test(test_port_groups_and_missing_node),
		cmocka_unit_test(test_foreign_and_deleting),
		cmocka_unit_test(test_trigger_time),
		cmocka_unit_test(test_endpoints_object),
		cmocka_unit_test(test_endpoints_over_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
