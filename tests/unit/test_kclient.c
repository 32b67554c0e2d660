/* test_kclient.c — the client side every kbpf component shares (lib/kclient, informer,
 * workqueue, leader, events), against the real apiserver request path served over HTTP
 * on loopback from an in-memory store, one server per test. */
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
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "events.h"
#include "http.h"
#include "informer.h"
#include "kclient.h"
#include "leader.h"
#include "log.h"
#include "store_mem.h"
#include "workqueue.h"

#define CM_PATH "/api/v1/namespaces/default/configmaps"

struct fx {
	struct store *store;
	struct api *api;
	struct http_server *http;
	struct kclient *c;
	int port;  /* set: listen there again (a restart) */
	int avoid; /* a port not to take (the main server's, while it is down) */
	size_t ring;
};

static const char *const LOOPBACK[] = { "127.0.0.1" };

static int serve(struct fx *f)
{
	char url[64];
	int tries;

	/* A port of our own: another test binary may run at the same time. */
	for (tries = 0; tries < 50; tries++) {
		int port = f->port ? f->port : 20000 + (getpid() * 7 + tries * 131) % 30000;

		if (port == f->avoid)
			continue;
		if (http_start(f->api, LOOPBACK, 1, port, 60, &f->http) == 0) {
			f->port = port;
			break;
		}
		if (f->port) /* restarting on the same port: wait for it to be free */
			usleep(100000);
	}
	if (!f->http)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->port);
	return f->c ? 0 : kclient_new_url(url, "test-kclient", &f->c);
}

static int fx_open(void **state, size_t ring)
{
	struct api_config cfg = { .service_cidr = "10.96.0.0/12", .node_port_min = 30000,
				  .node_port_max = 32767, .secure_port = 6443 };
	struct store_backend be;
	struct fx *f = calloc(1, sizeof(*f));

	kbpf_log_level = LOG_LEVEL_WARN;
	store_mem_backend(&be);
	f->ring = ring;
	if (store_open(&be, &api_store_hooks, ring, &f->store) || api_new(f->store, &cfg, &f->api) ||
	    api_bootstrap(f->api) || serve(f))
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return fx_open(state, 1024);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	kclient_free(f->c);
	http_stop(f->http);
	api_free(f->api);
	store_close(f->store);
	free(f);
	return 0;
}

static json_t *configmap(const char *name, const char *value)
{
	return json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
			 "metadata", "name", name, "labels", "app", "demo", "data", "v", value);
}

static void create_cm(struct fx *f, const char *name, const char *value)
{
	json_t *cm = configmap(name, value);

	assert_int_equal(kclient_post(f->c, CM_PATH, cm, NULL), 201);
	json_decref(cm);
}

/* Wait up to ms for cond(ctx) to hold. */
static bool eventually(bool (*cond)(void *), void *ctx, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (cond(ctx))
			return true;
		usleep(10000);
	}
	return cond(ctx);
}

/* --- kclient: verbs, Status errors, paths --- */

static void test_crud_and_conflict(void **state)
{
	struct fx *f = *state;
	json_t *got = NULL, *stale, *patch, *out = NULL;
	char msg[256];

	create_cm(f, "a", "1");
	assert_int_equal(kclient_get(f->c, CM_PATH "/a", &got), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "data"), "v")), "1");
	stale = json_deep_copy(got);

	/* A second create is 409 AlreadyExists, with the Status as the answer. */
	{
		json_t *cm = configmap("a", "2");

		assert_int_equal(kclient_post(f->c, CM_PATH, cm, &out), 409);
		assert_string_equal(json_string_value(json_object_get(out, "reason")), "AlreadyExists");
		assert_non_null(strstr(kstatus_message(out, 409, msg, sizeof(msg)), "already exists"));
		json_decref(out);
		json_decref(cm);
	}

	/* An update carries resourceVersion: the first wins, the stale one is 409 Conflict. */
	json_object_set_new(json_object_get(got, "data"), "v", json_string("2"));
	assert_int_equal(kclient_put(f->c, CM_PATH "/a", got, NULL), 200);
	json_object_set_new(json_object_get(stale, "data"), "v", json_string("3"));
	assert_int_equal(kclient_put(f->c, CM_PATH "/a", stale, &out), 409);
	assert_string_equal(json_string_value(json_object_get(out, "reason")), "Conflict");
	json_decref(out);

	patch = json_pack("{s:{s:s}}", "data", "w", "x");
	assert_int_equal(kclient_patch(f->c, CM_PATH "/a", "merge", patch, &out), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "data"), "v")), "2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "data"), "w")), "x");
	json_decref(out);
	json_decref(patch);

	assert_int_equal(kclient_delete(f->c, CM_PATH "/a", NULL, NULL), 200);
	assert_int_equal(kclient_get(f->c, CM_PATH "/a", &out), 404);
	assert_string_equal(json_string_value(json_object_get(out, "reason")), "NotFound");
	json_decref(out);
	json_decref(got);
	json_decref(stale);
}

static void test_no_server(void **state)
{
	struct kclient *c;
	struct kresp r;
	(void)state;

	/* Port 1 on loopback: nothing listens; the error says so rather than a bare code. */
	assert_int_equal(kclient_new_url("http://127.0.0.1:1", "t", &c), 0);
	assert_int_equal(kclient_do(c, "GET", "/version", NULL, NULL, 0, &r), -EIO);
	assert_int_equal(r.code, 0);
	assert_true(strlen(r.err) > 0);
	kresp_free(&r);
	assert_true(kclient_get(c, "/version", NULL) < 0);
	kclient_free(c);
}

static void test_paths(void **state)
{
	char buf[256];
	(void)state;

	kpath(buf, sizeof(buf), "v1", "ns", "pods", "p", "binding");
	assert_string_equal(buf, "/api/v1/namespaces/ns/pods/p/binding");
	kpath(buf, sizeof(buf), "apps/v1", NULL, "deployments", NULL, NULL);
	assert_string_equal(buf, "/apis/apps/v1/deployments");
	kpath(buf, sizeof(buf), "v1", "", "nodes", "n1", NULL);
	assert_string_equal(buf, "/api/v1/nodes/n1");
	kquery_escape(buf, sizeof(buf), "app in (a,b),!x");
	assert_string_equal(buf, "app%20in%20%28a%2Cb%29%2C%21x");
}

/* --- watch --- */

struct watch_seen {
	struct fx *f;
	volatile bool stop;
	pthread_mutex_t mu;
	char log[1024];
	int n;
	int ret;
};

static int watch_fn(void *ctx, const char *type, json_t *obj)
{
	struct watch_seen *w = ctx;
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));

	pthread_mutex_lock(&w->mu);
	if (strcmp(type, "BOOKMARK")) {
		size_t l = strlen(w->log);

		snprintf(w->log + l, sizeof(w->log) - l, "%s:%s ", type, name ? name : "?");
		w->n++;
	}
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static void *watch_thread(void *arg)
{
	struct watch_seen *w = arg;
	char path[256];
	json_t *list = NULL;

	kclient_get(w->f->c, CM_PATH, &list);
	snprintf(path, sizeof(path), CM_PATH "?resourceVersion=%s",
		 json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion")));
	json_decref(list);
	w->ret = kclient_watch(w->f->c, path, watch_fn, w, &w->stop);
	return NULL;
}

static bool seen_three(void *ctx)
{
	struct watch_seen *w = ctx;
	bool done;

	pthread_mutex_lock(&w->mu);
	done = w->n >= 3;
	pthread_mutex_unlock(&w->mu);
	return done;
}

static void test_watch_events_and_stop(void **state)
{
	struct fx *f = *state;
	struct watch_seen w = { .f = f, .mu = PTHREAD_MUTEX_INITIALIZER };
	pthread_t t;
	json_t *patch = json_pack("{s:{s:s}}", "data", "v", "2");
	struct timespec a, b;

	assert_int_equal(pthread_create(&t, NULL, watch_thread, &w), 0);
	usleep(200000);
	create_cm(f, "w1", "1");
	assert_int_equal(kclient_patch(f->c, CM_PATH "/w1", "merge", patch, NULL), 200);
	assert_int_equal(kclient_delete(f->c, CM_PATH "/w1", NULL, NULL), 200);
	assert_true(eventually(seen_three, &w, 5000));
	assert_string_equal(w.log, "ADDED:w1 MODIFIED:w1 DELETED:w1 ");

	/* The stop flag ends a quiet watch within about a second. */
	clock_gettime(CLOCK_MONOTONIC, &a);
	w.stop = true;
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(w.ret, 0);
	assert_true(b.tv_sec - a.tv_sec < 3);
	json_decref(patch);
}

/* --- informer --- */

struct recorder {
	pthread_mutex_t mu;
	int adds, updates, dels;
	char last_del[64];
};

static void rec_add(void *ctx, const json_t *obj)
{
	struct recorder *r = ctx;
	(void)obj;
	pthread_mutex_lock(&r->mu);
	r->adds++;
	pthread_mutex_unlock(&r->mu);
}

static void rec_update(void *ctx, const json_t *old, const json_t *obj)
{
	struct recorder *r = ctx;
	(void)old;
	(void)obj;
	pthread_mutex_lock(&r->mu);
	r->updates++;
	pthread_mutex_unlock(&r->mu);
}

static void rec_del(void *ctx, const json_t *obj)
{
	struct recorder *r = ctx;

	pthread_mutex_lock(&r->mu);
	r->dels++;
	snprintf(r->last_del, sizeof(r->last_del), "%s",
		 json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")));
	pthread_mutex_unlock(&r->mu);
}

struct want {
	struct recorder *r;
	int adds, updates, dels;
};

static bool counts_reached(void *ctx)
{
	struct want *w = ctx;
	bool ok;

	pthread_mutex_lock(&w->r->mu);
	ok = w->r->adds >= w->adds && w->r->updates >= w->updates && w->r->dels >= w->dels;
	pthread_mutex_unlock(&w->r->mu);
	return ok;
}

static const char *data_v(json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "data"), "v"));
}

static void test_informer_lists_pages_and_follows(void **state)
{
	struct fx *f = *state;
	struct recorder r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct informer_handlers h = { rec_add, rec_update, rec_del, &r };
	/* Pages of two: five objects need three requests and must all arrive. */
	struct informer_opts o = { .path = CM_PATH, .page_size = 2 };
	struct informer *inf;
	struct want w = { &r, 6, 1, 1 };
	json_t *obj, *patch = json_pack("{s:{s:s}}", "data", "v", "changed");
	json_t **all;
	size_t n;
	char name[8];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		create_cm(f, name, "0");
	}
	assert_int_equal(informer_start(f->c, &o, &h, &inf), 0);
	assert_int_equal(informer_wait_synced(inf, 5000), 0);
	assert_int_equal(r.adds, 5);
	n = informer_list(inf, &all);
	assert_int_equal(n, 5);
	informer_list_free(all, n);

	create_cm(f, "c5", "0");
	assert_int_equal(kclient_patch(f->c, CM_PATH "/c1", "merge", patch, NULL), 200);
	assert_int_equal(kclient_delete(f->c, CM_PATH "/c2", NULL, NULL), 200);
	assert_true(eventually(counts_reached, &w, 5000));
	assert_string_equal(r.last_del, "c2");
	obj = informer_get(inf, "default/c1");
	assert_non_null(obj);
	assert_string_equal(data_v(obj), "changed");
	json_decref(obj);
	assert_null(informer_get(inf, "default/c2"));
	informer_stop(inf);
	json_decref(patch);
}

static void test_informer_selector(void **state)
{
	struct fx *f = *state;
	struct recorder r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct informer_handlers h = { rec_add, rec_update, rec_del, &r };
	struct informer_opts o = { .path = CM_PATH, .field_selector = "metadata.name=keep",
				   .label_selector = "app=demo" };
	struct informer *inf;
	json_t *obj, *other = configmap("keep", "1");

	json_object_set_new(json_object_get(json_object_get(other, "metadata"), "labels"), "app",
			    json_string("other"));
	create_cm(f, "drop", "1");
	assert_int_equal(kclient_post(f->c, "/api/v1/namespaces/kube-system/configmaps", other, NULL),
			 201);
	create_cm(f, "keep", "1");
	assert_int_equal(informer_start(f->c, &o, &h, &inf), 0);
	assert_int_equal(informer_wait_synced(inf, 5000), 0);
	assert_int_equal(r.adds, 1);
	obj = informer_get(inf, "default/keep");
	assert_non_null(obj);
	json_decref(obj);
	informer_stop(inf);
	json_decref(other);
}

/*
 * While the informer cannot reach the server, more happens than the server's event ring
 * holds (the writes go through a second listener on another port). When the server is
 * back, the informer's watch from its old revision gets 410 Expired: it relists, reports
 * what was deleted meanwhile, and ends with the server's state.
 */
static void test_informer_relists_after_expiry(void **state)
{
	struct fx *f = *state;
	struct recorder r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct informer_handlers h = { rec_add, rec_update, rec_del, &r };
	struct informer_opts o = { .path = CM_PATH };
	struct informer *inf;
	struct fx side = { .api = f->api, .avoid = f->port };
	struct want w = { &r, 2 + 24, 1, 1 };
	json_t *obj, *patch = json_pack("{s:{s:s}}", "data", "v", "late");
	char name[16];
	int i;

	create_cm(f, "gone", "0");
	create_cm(f, "stays", "0");
	assert_int_equal(informer_start(f->c, &o, &h, &inf), 0);
	assert_int_equal(informer_wait_synced(inf, 5000), 0);

	http_stop(f->http);
	f->http = NULL;
	assert_int_equal(kclient_delete(f->c, CM_PATH "/gone", NULL, NULL), -EIO);
	assert_int_equal(serve(&side), 0);
	assert_int_equal(kclient_delete(side.c, CM_PATH "/gone", NULL, NULL), 200);
	assert_int_equal(kclient_patch(side.c, CM_PATH "/stays", "merge", patch, NULL), 200);
	for (i = 0; i < 24; i++) { /* the ring holds 16 */
		json_t *cm;

		snprintf(name, sizeof(name), "churn%d", i);
		cm = configmap(name, "0");
		assert_int_equal(kclient_post(side.c, CM_PATH, cm, NULL), 201);
		json_decref(cm);
	}
	kclient_free(side.c);
	http_stop(side.http);
	assert_int_equal(serve(f), 0);

	assert_true(eventually(counts_reached, &w, 40000));
	assert_int_equal(r.dels, 1);
	assert_string_equal(r.last_del, "gone");
	assert_null(informer_get(inf, "default/gone"));
	obj = informer_get(inf, "default/stays");
	assert_string_equal(data_v(obj), "late");
	json_decref(obj);
	informer_stop(inf);
	json_decref(patch);
}

static int setup_small_ring(void **state)
{
	return fx_open(state, 16);
}

/* --- workqueue --- */

static void test_workqueue_dedup_and_dirty(void **state)
{
	struct workqueue *q = wq_new();
	char *k, *k2;
	(void)state;

	wq_add(q, "a");
	wq_add(q, "a");
	wq_add(q, "b");
	assert_int_equal(wq_len(q), 2);
	k = wq_get(q, 0);
	assert_string_equal(k, "a");
	/* "a" changes while being worked on: it comes back after wq_done, not before. */
	wq_add(q, "a");
	k2 = wq_get(q, 0);
	assert_string_equal(k2, "b");
	wq_done(q, k2);
	free(k2);
	assert_null(wq_get(q, 0));
	wq_done(q, k);
	free(k);
	k = wq_get(q, 0);
	assert_string_equal(k, "a");
	wq_done(q, k);
	free(k);
	assert_int_equal(wq_len(q), 0);
	wq_shutdown(q);
	wq_free(q);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_workqueue_delay_and_backoff(void **state)
{
	struct workqueue *q = wq_new();
	double t0 = now_ms(), t;
	char *k;
	int i;
	(void)state;

	wq_add_after(q, "later", 150);
	assert_null(wq_get(q, 50));
	k = wq_get(q, 1000);
	t = now_ms() - t0;
	assert_string_equal(k, "later");
	assert_true(t >= 140 && t < 900);
	wq_done(q, k);
	free(k);

	/* Failures back off 5, 10, 20, 40, 80 ms ...; wq_forget starts over. */
	for (i = 0; i < 6; i++) {
		wq_add_rate_limited(q, "flaky");
		k = wq_get(q, 2000);
		assert_non_null(k);
		wq_done(q, k);
		free(k);
	}
	t0 = now_ms();
	wq_add_rate_limited(q, "flaky"); /* the 7th: 320 ms */
	assert_null(wq_get(q, 200));
	k = wq_get(q, 2000);
	assert_non_null(k);
	assert_true(now_ms() - t0 >= 300);
	wq_done(q, k);
	free(k);
	wq_forget(q, "flaky");
	t0 = now_ms();
	wq_add_rate_limited(q, "flaky");
	k = wq_get(q, 2000);
	assert_true(now_ms() - t0 < 100);
	wq_done(q, k);
	free(k);
	wq_shutdown(q);
	wq_free(q);
}

static void *blocked_get(void *arg)
{
	return wq_get(arg, -1);
}

static void test_workqueue_shutdown_wakes(void **state)
{
	struct workqueue *q = wq_new();
	pthread_t t;
	void *ret = (void *)1;
	(void)state;

	assert_int_equal(pthread_create(&t, NULL, blocked_get, q), 0);
	usleep(50000);
	wq_shutdown(q);
	pthread_join(t, &ret);
	assert_null(ret);
	wq_free(q);
}

/* --- leader election --- */

struct candidate {
	struct kclient *c;
	const char *id;
	volatile bool stop;
	struct leader *l;
	int ret;
};

static void *campaign(void *arg)
{
	struct candidate *cand = arg;
	struct leader_opts o = { .ns = "kube-system", .name = "test-lock", .identity = cand->id,
				 .lease_seconds = 3, .renew_seconds = 2, .retry_seconds = 1 };

	cand->ret = leader_acquire(cand->c, &o, NULL, NULL, &cand->stop, &cand->l);
	return NULL;
}

static char *lease_holder(struct fx *f)
{
	json_t *lease = NULL;
	char *h = NULL;

	if (kclient_get(f->c, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/test-lock",
			&lease) == 200)
		h = strdup(json_string_value(json_object_get(json_object_get(lease, "spec"),
							     "holderIdentity")));
	json_decref(lease);
	return h;
}

static bool acquired(void *ctx)
{
	return ((struct candidate *)ctx)->l != NULL;
}

static void test_leader_one_holder_and_handover(void **state)
{
	struct fx *f = *state;
	struct candidate a = { .c = f->c, .id = "a" }, b = { .c = f->c, .id = "b" };
	pthread_t ta, tb;
	char *h;
	double t0;

	assert_int_equal(pthread_create(&ta, NULL, campaign, &a), 0);
	pthread_join(ta, NULL);
	assert_int_equal(a.ret, 0);
	h = lease_holder(f);
	assert_string_equal(h, "a");
	free(h);

	/* b waits while a renews, longer than the lease duration. */
	assert_int_equal(pthread_create(&tb, NULL, campaign, &b), 0);
	sleep(5);
	assert_null(b.l);
	h = lease_holder(f);
	assert_string_equal(h, "a");
	free(h);

	/* a hands over: b holds it within a retry period or two. */
	t0 = now_ms();
	leader_release(a.l);
	assert_true(eventually(acquired, &b, 5000));
	assert_true(now_ms() - t0 < 3500);
	pthread_join(tb, NULL);
	h = lease_holder(f);
	assert_string_equal(h, "b");
	free(h);
	leader_release(b.l);
}

static void test_leader_takes_over_dead_holder(void **state)
{
	struct fx *f = *state;
	struct candidate b = { .c = f->c, .id = "b" };
	/* A Lease held by a process that died without releasing it. */
	json_t *lease = json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:i,s:s}}", "apiVersion",
				  "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
				  "test-lock", "spec", "holderIdentity", "dead", "leaseDurationSeconds",
				  2, "renewTime", "2026-01-01T00:00:00.000000Z");
	pthread_t tb;
	char *h;

	assert_int_equal(kclient_post(f->c, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
				      lease, NULL), 201);
	assert_int_equal(pthread_create(&tb, NULL, campaign, &b), 0);
	/* Not at once (clocks are not compared) but once the record has not changed for the
	 * lease duration. */
	usleep(1000000);
	assert_null(b.l);
	pthread_join(tb, NULL);
	assert_int_equal(b.ret, 0);
	h = lease_holder(f);
	assert_string_equal(h, "b");
	free(h);
	leader_release(b.l);
	json_decref(lease);
}

/* --- events --- */

static void test_events_aggregate(void **state)
{
	struct fx *f = *state;
	json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "apiVersion", "v1", "kind", "Pod",
				"metadata", "name", "p1", "namespace", "default", "uid", "u-1");
	json_t *list = NULL, *ev;

	event_record(f->c, "default-scheduler", NULL, pod, "Warning", "FailedScheduling",
		     "0/%d nodes are available", 3);
	event_record(f->c, "default-scheduler", NULL, pod, "Warning", "FailedScheduling",
		     "0/%d nodes are available", 3);
	event_record(f->c, "default-scheduler", NULL, pod, "Normal", "Scheduled",
		     "Successfully assigned default/p1 to n1");
	assert_int_equal(kclient_get(f->c, "/api/v1/namespaces/default/events", &list), 200);
	assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
	ev = json_array_get(json_object_get(list, "items"), 0);
	if (strcmp(json_string_value(json_object_get(ev, "reason")), "FailedScheduling"))
		ev = json_array_get(json_object_get(list, "items"), 1);
	assert_int_equal(json_integer_value(json_object_get(ev, "count")), 2);
	assert_string_equal(json_string_value(json_object_get(ev, "message")), "0/3 nodes are available");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "involvedObject"), "name")),
			    "p1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "source"), "component")),
			    "default-scheduler");
	json_decref(list);
	json_decref(pod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crud_and_conflict, setup, teardown),
		cmocka_unit_test(test_no_server),
		cmocka_unit_test(test_paths),
		cmocka_unit_test_setup_teardown(test_watch_events_and_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_informer_lists_pages_and_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_informer_selector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_informer_relists_after_expiry, setup_small_ring,
						teardown),
		cmocka_unit_test(test_workqueue_dedup_and_dirty),
		cmocka_unit_test(test_workqueue_delay_and_backoff),
		cmocka_unit_test(test_workqueue_shutdown_wakes),
		cmocka_unit_test_setup_teardown(test_leader_one_holder_and_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leader_takes_over_dead_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_aggregate, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
