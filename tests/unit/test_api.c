/* test_api.c — unit tests of the apiserver's Kubernetes API semantics: api_handle() called
 * directly on an in-memory store, one fresh store and api per test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "log.h"
#include "store_mem.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SERVICE_CIDR "10.96.0.0/12"
#define NODE_PORT_MIN 30000
#define NODE_PORT_MAX 32767
#define TABLE_ACCEPT "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
#define GEN_ALPHABET "bcdfghjklmnpqrstvwxz2456789"

/* --- fixture: a fresh store and api per test --- */

struct fx {
	struct store *store;
	struct api *api;
	char *warning;           /* the last response's Warning, or NULL */
	const char *content_type; /* the last response's content type */
	/* Every response (and watch) belongs to the fixture and goes at teardown: tests drop
	 * nothing, and one that fails half-way leaks nothing, so valgrind's leaks are the
	 * apiserver's. */
	json_t *owned;
	struct api_watch *watches[8];
};

static int fx_open(void **state, size_t ring)
{
	struct api_config cfg = { .service_cidr = SERVICE_CIDR, .node_port_min = NODE_PORT_MIN,
				  .node_port_max = NODE_PORT_MAX, .secure_port = 6443 };
	struct store_backend be;
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	kbpf_log_level = LOG_LEVEL_WARN;
	f->owned = json_array();
	store_mem_backend(&be);
	if (store_open(&be, &api_store_hooks, ring, &f->store))
		goto fail;
	if (api_new(f->store, &cfg, &f->api))
		goto fail_store;
	if (api_bootstrap(f->api))
		goto fail_api;
	*state = f;
	return 0;
fail_api:
	api_free(f->api);
fail_store:
	store_close(f->store);
fail:
	json_decref(f->owned);
	free(f);
	return -1;
}

static int setup(void **state)
{
	return fx_open(state, 1024);
}

/* A ring of 16 events: a watch from an early revision gets 410 Expired. */
static int setup_small_ring(void **state)
{
	return fx_open(state, 16);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f->watches); i++)
		api_watch_free(f->watches[i]);
	json_decref(f->owned);
	api_free(f->api);
	store_close(f->store);
	free(f->warning);
	free(f);
	return 0;
}

/* --- requests --- */

/* Query parameters and headers of one request, split in place. */
struct reqctx {
	char *q[32];
	int nq;
	char *h[16];
	int nh;
};

static const char *ctx_query(void *p, const char *name)
{
	struct reqctx *c = p;
	size_t l = strlen(name);
	int i;

	for (i = 0; i < c->nq; i++)
		if (!strncmp(c->q[i], name, l) && c->q[i][l] == '=')
			return c->q[i] + l + 1;
	return NULL;
}

static const char *ctx_header(void *p, const char *name)
{
	struct reqctx *c = p;
	size_t l = strlen(name);
	int i;

	for (i = 0; i < c->nh; i++)
		if (!strncasecmp(c->h[i], name, l) && c->h[i][l] == ':')
			return c->h[i] + l + 1 + (c->h[i][l + 1] == ' ');
	return NULL;
}

/*
 * Test JSON is written with single quotes so that it reads like the objects it stands for;
 * sq() turns them into double quotes (no test string needs a literal apostrophe).
 */
static char *sq(const char *s)
{
	char *t = strdup(s), *p;

	assert_non_null(t);
	for (p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	return t;
}

/* A URL built with printf, from a small ring of buffers (valid for a few calls). */
static const char *u(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *u(const char *fmt, ...)
{
	static char bufs[8][1024];
	static int next;
	char *b = bufs[next++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

/*
 * One request: url is "path?k=v&k=v", hdrs "Name: value\nName: value" (or NULL), the body
 * as given (len bytes). The response stays in *r (api_resp_free it).
 */
static void raw_call(struct fx *f, const char *method, const char *url, const char *hdrs,
		     const char *body, size_t len, struct api_resp *r)
{
	char *path = strdup(url), *qs, *hb = hdrs ? strdup(hdrs) : NULL, *p;
	struct reqctx c = { .nq = 0 };
	struct api_req req = { 0 };

	assert_non_null(path);
	qs = strchr(path, '?');
	if (qs) {
		*qs++ = 0;
		for (p = qs; p && *p && c.nq < 32;) {
			char *amp = strchr(p, '&');

			if (amp)
				*amp = 0;
			c.q[c.nq++] = p;
			p = amp ? amp + 1 : NULL;
		}
	}
	for (p = hb; p && *p && c.nh < 16;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = 0;
		c.h[c.nh++] = p;
		p = nl ? nl + 1 : NULL;
	}
	req.method = method;
	req.path = path;
	req.query = ctx_query;
	req.header = ctx_header;
	req.ctx = &c;
	req.body = body;
	req.body_len = len;
	req.user = "system:anonymous";
	api_handle(f->api, &req, r);
	free(path);
	free(hb);
}

/* A request whose body is test JSON (printf format, single quotes), or none when bodyfmt is
 * NULL. Returns the parsed response body (NULL if not JSON; the fixture's, not to be
 * freed) and the code in *code. */
static json_t *vcall(struct fx *f, int *code, const char *method, const char *url,
		     const char *hdrs, const char *bodyfmt, va_list ap)
{
	struct api_resp r;
	char *body = NULL, *b = NULL;
	json_t *j;

	if (bodyfmt) {
		assert_true(vasprintf(&b, bodyfmt, ap) >= 0);
		body = sq(b);
		free(b);
	}
	raw_call(f, method, url, hdrs, body, body ? strlen(body) : 0, &r);
	free(body);
	*code = r.code;
	free(f->warning);
	f->warning = r.warning ? strdup(r.warning) : NULL;
	f->content_type = r.content_type;
	assert_null(r.watch); /* watches go through open_watch() */
	j = r.body ? json_loadb(r.body, r.len, 0, NULL) : NULL;
	api_resp_free(&r);
	if (j)
		json_array_append_new(f->owned, j);
	return j;
}

static json_t *expect_(const char *file, int line, struct fx *f, int want, const char *method,
		       const char *url, const char *hdrs, const char *bodyfmt, ...)
{
	va_list ap;
	json_t *j;
	int code;

	va_start(ap, bodyfmt);
	j = vcall(f, &code, method, url, hdrs, bodyfmt, ap);
	va_end(ap);
	if (code != want) {
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		print_error("%s:%d: %s %s: got %d, want %d: %s\n", file, line, method, url, code,
			    want, s ? s : "(no JSON body)");
		free(s);
		_fail(file, line);
	}
	return j;
}

/* EXPECT(f, code, method, url, headers, body format, ...): the parsed response (the
 * fixture's). */
#define EXPECT(f, want, method, url, hdrs, ...) \
	expect_(__FILE__, __LINE__, f, want, method, url, hdrs, __VA_ARGS__)
/* The same when the response is not needed. */
#define EXPECT_DROP(f, want, method, url, hdrs, ...) \
	(void)expect_(__FILE__, __LINE__, f, want, method, url, hdrs, __VA_ARGS__)

#define MERGE "Content-Type: application/merge-patch+json"
#define JSONPATCH "Content-Type: application/json-patch+json"
#define STRATEGIC "Content-Type: application/strategic-merge-patch+json"

/* A new JSON array, the fixture's (for watch events). */
static json_t *new_array(struct fx *f)
{
	json_t *a = json_array();

	json_array_append_new(f->owned, a);
	return a;
}

/* --- JSON access: "spec.containers[0].image" --- */

static json_t *jget(const json_t *v, const char *path)
{
	char seg[128];

	while (v && *path) {
		if (*path == '[') {
			char *end;
			unsigned long i = strtoul(path + 1, &end, 10);

			v = json_array_get(v, i);
			path = *end == ']' ? end + 1 : end;
		} else {
			size_t n = strcspn(path, ".[");

			if (n >= sizeof(seg))
				return NULL;
			memcpy(seg, path, n);
			seg[n] = 0;
			v = json_object_get(v, seg);
			path += n;
		}
		if (*path == '.')
			path++;
	}
	return (json_t *)v;
}

static const char *jsget(const json_t *v, const char *path)
{
	return json_string_value(jget(v, path));
}

static json_int_t jiget(const json_t *v, const char *path)
{
	return json_integer_value(jget(v, path));
}

static void assert_str_at(const json_t *v, const char *path, const char *want)
{
	const json_t *at = jget(v, path);
	const char *got = json_string_value(at);

	if (!got || strcmp(got, want)) {
		char *s = at ? json_dumps(at, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

		print_error("%s: got %s, want \"%s\"\n", path, s ? s : "(absent)", want);
		free(s);
		fail();
	}
}

static void assert_int_at(const json_t *v, const char *path, json_int_t want)
{
	const json_t *got = jget(v, path);

	if (!json_is_integer(got) || json_integer_value(got) != want)
		fail_msg("%s: got %lld (%s), want %lld", path,
			 (long long)json_integer_value(got), got ? "present" : "absent",
			 (long long)want);
}

static int64_t rv_of(const json_t *obj)
{
	const char *s = jsget(obj, "metadata.resourceVersion");
	char *end;
	long long v;

	if (!s || !*s)
		fail_msg("no metadata.resourceVersion");
	v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		fail_msg("resourceVersion \"%s\" is not a positive integer", s);
	return v;
}

/* The current revision, as a list reports it. */
static int64_t list_rv(struct fx *f, const char *path)
{
	json_t *l = EXPECT(f, 200, "GET", path, NULL, NULL);
	int64_t rv = rv_of(l);

	return rv;
}

/* Item names of a list, comma-joined in the list's order (malloc'd). */
static char *names_of(const json_t *list)
{
	size_t i, len = 1;
	const json_t *it;
	char *out;

	json_array_foreach(json_object_get(list, "items"), i, it)
		len += strlen(jsget(it, "metadata.name") ?: "") + 1;
	out = calloc(1, len);
	assert_non_null(out);
	json_array_foreach(json_object_get(list, "items"), i, it) {
		if (i)
			strcat(out, ",");
		strcat(out, jsget(it, "metadata.name") ?: "");
	}
	return out;
}

static void assert_list_names(const json_t *list, const char *want, const char *what)
{
	char *got = names_of(list);

	if (strcmp(got, want)) {
		print_error("%s: got [%s], want [%s]\n", what, got, want);
		free(got);
		fail();
	}
	free(got);
}

/* A Status object of a failure: kind, apiVersion, status, code, reason and a message. */
static void assert_status(const json_t *st, int code, const char *reason)
{
	assert_non_null(st);
	assert_str_at(st, "kind", "Status");
	assert_str_at(st, "apiVersion", "v1");
	assert_str_at(st, "status", "Failure");
	assert_int_at(st, "code", code);
	assert_str_at(st, "reason", reason);
	assert_non_null(jsget(st, "message"));
	assert_true(strlen(jsget(st, "message")) > 0);
}

static void assert_contains(const char *s, const char *sub, const char *what)
{
	if (!s || !strstr(s, sub))
		fail_msg("%s: \"%s\" does not contain \"%s\"", what, s ? s : "(null)", sub);
}

/* The first cause of a 422 Status with this field, or NULL. */
static const json_t *cause_for(const json_t *st, const char *field)
{
	const json_t *c;
	size_t i;

	json_array_foreach(jget(st, "details.causes"), i, c)
		if (jsget(c, "field") && !strcmp(jsget(c, "field"), field))
			return c;
	return NULL;
}

static void assert_cause(const json_t *st, const char *field, const char *reason)
{
	const json_t *c = cause_for(st, field);

	if (!c) {
		char *s = json_dumps(st, JSON_COMPACT);

		print_error("no cause for field %s in %s\n", field, s);
		free(s);
		fail();
	}
	if (reason)
		assert_str_at(c, "reason", reason);
	assert_non_null(jsget(c, "message"));
}

/* --- objects --- */

static void mkns(struct fx *f, const char *name)
{
	EXPECT_DROP(f, 201, "POST", "/api/v1/namespaces", NULL,
		    "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'%s'}}", name);
}

/* A pod with one container; labels is test JSON or NULL, node a nodeName or NULL. */
static json_t *mkpod(struct fx *f, const char *ns, const char *name, const char *labels,
		     const char *node)
{
	char nodefield[128] = "";

	if (node)
		snprintf(nodefield, sizeof(nodefield), "'nodeName':'%s',", node);
	return EXPECT(f, 201, "POST", u("/api/v1/namespaces/%s/pods", ns), NULL,
		      "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'%s','labels':%s},"
		      "'spec':{%s'containers':[{'name':'c','image':'nginx:1.25'}]}}",
		      name, labels ? labels : "{}", nodefield);
}

static json_t *mkcm(struct fx *f, const char *ns, const char *name, const char *labels)
{
	return EXPECT(f, 201, "POST", u("/api/v1/namespaces/%s/configmaps", ns), NULL,
		      "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'%s','labels':%s},"
		      "'data':{'a':'1','b':'2'}}",
		      name, labels ? labels : "{}");
}

#define DEPLOYMENT_WEB                                                                      \
	"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"            \
	"'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web'}},"                     \
	"'template':{'metadata':{'labels':{'app':'web'}},"                                  \
	"'spec':{'containers':[{'name':'web','image':'nginx:1.25'}]}}}}"
#define DEPLOYMENTS "/apis/apps/v1/namespaces/default/deployments"

static json_t *mkdeploy(struct fx *f)
{
	return EXPECT(f, 201, "POST", DEPLOYMENTS, NULL, DEPLOYMENT_WEB);
}

/* A Service; ports is test JSON, extra more spec members ending in a comma (or ""). */
static json_t *mksvc(struct fx *f, int want, const char *name, const char *extra,
		     const char *ports)
{
	return EXPECT(f, want, "POST", "/api/v1/namespaces/default/services", NULL,
		      "{'apiVersion':'v1','kind':'Service','metadata':{'name':'%s'},"
		      "'spec':{%s'selector':{'app':'web'},'ports':%s}}",
		      name, extra, ports);
}

static bool in_service_cidr(const char *ip)
{
	struct in_addr a;

	return ip && inet_pton(AF_INET, ip, &a) == 1 &&
	       (ntohl(a.s_addr) & 0xfff00000u) == 0x0a600000u;
}

/* --- watches --- */

static struct api_watch *open_watch(struct fx *f, const char *url, const char *hdrs)
{
	struct api_resp r;
	struct api_watch *w;
	size_t i;

	raw_call(f, "GET", url, hdrs, NULL, 0, &r);
	if (r.code != 200 || !r.watch) {
		print_error("GET %s: %d %s\n", url, r.code, r.body ? r.body : "");
		api_resp_free(&r);
		fail();
	}
	w = r.watch;
	r.watch = NULL;
	api_resp_free(&r);
	for (i = 0; i < ARRAY_SIZE(f->watches) && f->watches[i]; i++)
		;
	assert_true(i < ARRAY_SIZE(f->watches));
	f->watches[i] = w;
	return w;
}

static void close_watch(struct fx *f, struct api_watch *w)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f->watches); i++)
		if (f->watches[i] == w)
			f->watches[i] = NULL;
	api_watch_free(w);
}

/*
 * Read events into the array evs until it holds want of them, max_ms pass, or the stream
 * ends. Returns false when the stream ended.
 */
static bool read_events(struct api_watch *w, json_t *evs, size_t want, int max_ms)
{
	static char buf[1 << 16];
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (json_array_size(evs) < want) {
		ssize_t n = api_watch_read(w, buf, sizeof(buf) - 1, 200);
		char *line, *save = NULL;

		if (n < 0)
			return false;
		buf[n] = 0;
		if (n > 0)
			assert_int_equal(buf[n - 1], '\n'); /* whole lines only */
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_error_t je;
			json_t *ev = json_loads(line, 0, &je);

			if (!ev)
				fail_msg("watch line is not JSON (%s): %s", je.text, line);
			json_array_append_new(evs, ev);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > max_ms)
			break;
	}
	return true;
}

static void assert_event(const json_t *ev, const char *type, const char *name, int64_t rv)
{
	if (!ev)
		fail_msg("missing %s event for %s", type, name);
	assert_str_at(ev, "type", type);
	assert_str_at(ev, "object.metadata.name", name);
	if (rv) {
		const json_t *obj = json_object_get(ev, "object");

		if (rv_of(obj) != rv)
			fail_msg("%s %s: resourceVersion %lld, want %lld", type, name,
				 (long long)rv_of(obj), (long long)rv);
	}
}

/* ======================================================================================
 * create
 * ====================================================================================== */

static void test_create_sets_metadata(void **state)
{
	struct fx *f = *state;
	json_t *pod = mkpod(f, "default", "web", NULL, NULL), *cm, *dep, *ns, *got;
	const char *uid = jsget(pod, "metadata.uid"), *ts = jsget(pod, "metadata.creationTimestamp");
	struct tm tm = { 0 };
	time_t t;
	int64_t rv1, rv2, rv3, rv4;
	size_t i;

	/* uid: an RFC 4122 UUID. */
	assert_non_null(uid);
	assert_int_equal(strlen(uid), 36);
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(uid[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", uid[i]));
	/* creationTimestamp: RFC 3339 UTC, now. */
	assert_non_null(ts);
	assert_non_null(strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm));
	t = timegm(&tm);
	assert_true(labs((long)(time(NULL) - t)) < 60);
	assert_str_at(pod, "metadata.namespace", "default");

	/* One global revision across kinds and groups: each write gets a larger one. */
	rv1 = rv_of(pod);
	cm = mkcm(f, "default", "conf", NULL);
	rv2 = rv_of(cm);
	dep = mkdeploy(f);
	rv3 = rv_of(dep);
	ns = EXPECT(f, 201, "POST", "/api/v1/namespaces", NULL,
		    "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'other'}}");
	rv4 = rv_of(ns);
	assert_true(rv1 < rv2 && rv2 < rv3 && rv3 < rv4);
	assert_true(list_rv(f, "/api/v1/namespaces/default/pods") >= rv4);
	assert_int_at(dep, "metadata.generation", 1);
	assert_string_not_equal(jsget(pod, "metadata.uid"), jsget(cm, "metadata.uid"));

	/* What a GET returns is what the create returned. */
	got = EXPECT(f, 200, "GET", "/api/v1/namespaces/default/pods/web", NULL, NULL);
	assert_int_equal(rv_of(got), rv1);
	assert_str_at(got, "metadata.uid", uid);
}

static void test_create_generate_name(void **state)
{
	struct fx *f = *state;
	const char *body = "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'generateName':'web-'}}";
	json_t *a = EXPECT(f, 201, "POST", "/api/v1/namespaces/default/configmaps", NULL, body);
	json_t *b = EXPECT(f, 201, "POST", "/api/v1/namespaces/default/configmaps", NULL, body);
	const char *na = jsget(a, "metadata.name"), *nb = jsget(b, "metadata.name");
	size_t i;

	assert_non_null(na);
	assert_non_null(nb);
	assert_int_equal(strlen(na), strlen("web-") + 5);
	assert_memory_equal(na, "web-", 4);
	for (i = 4; i < 9; i++)
		assert_non_null(strchr(GEN_ALPHABET, na[i]));
	assert_string_not_equal(na, nb);
	assert_str_at(a, "metadata.generateName", "web-");
	EXPECT(f, 200, "GET", u("/api/v1/namespaces/default/configmaps/%s", na), NULL,
	       NULL);
}

static void test_create_already_exists(void **state)
{
	static const struct {
		const char *path, *body, *group, *kind, *message;
	} cases[] = {
		{ "/api/v1/namespaces/default/configmaps",
		  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x'}}", NULL, "configmaps",
		  "configmaps \"x\" already exists" },
		{ DEPLOYMENTS,
		  "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'x'},"
		  "'spec':{'selector':{'matchLabels':{'app':'x'}},'template':{'metadata':{'labels':"
		  "{'app':'x'}},'spec':{'containers':[{'name':'c','image':'nginx'}]}}}}",
		  "apps", "deployments", "deployments.apps \"x\" already exists" },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *st;

		EXPECT_DROP(f, 201, "POST", cases[i].path, NULL, "%s", cases[i].body);
		st = EXPECT(f, 409, "POST", cases[i].path, NULL, "%s", cases[i].body);
		assert_status(st, 409, "AlreadyExists");
		assert_str_at(st, "message", cases[i].message);
		assert_str_at(st, "details.name", "x");
		assert_str_at(st, "details.kind", cases[i].kind);
		if (cases[i].group)
			assert_str_at(st, "details.group", cases[i].group);
	}
}

/* Creates refused before anything is stored. */
static const struct create_error_case {
	const char *desc, *path, *body;
	int code;
	const char *reason;
	const char *message_part; /* or NULL */
	const char *cause_field;  /* a details.causes[].field that must be there, or NULL */
} create_error_cases[] = {
	{ "namespace does not exist", "/api/v1/namespaces/nope/pods",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':"
	  "[{'name':'c','image':'nginx'}]}}",
	  404, "NotFound", "namespaces \"nope\" not found", NULL },
	{ "object namespace differs from the URL's", "/api/v1/namespaces/default/pods",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','namespace':'kube-system'},"
	  "'spec':{'containers':[{'name':'c','image':'nginx'}]}}",
	  400, "BadRequest", "namespace", NULL },
	{ "apiVersion of another group", "/api/v1/namespaces/default/pods",
	  "{'apiVersion':'apps/v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':"
	  "[{'name':'c','image':'nginx'}]}}",
	  400, "BadRequest", "apps/v1", NULL },
	{ "kind of another resource", "/api/v1/namespaces/default/pods",
	  "{'apiVersion':'v1','kind':'Service','metadata':{'name':'p'},'spec':{'containers':"
	  "[{'name':'c','image':'nginx'}]}}",
	  400, "BadRequest", "Service", NULL },
	{ "neither name nor generateName", "/api/v1/namespaces/default/configmaps",
	  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{}}", 422, "Invalid",
	  "name or generateName is required", "metadata.name" },
	{ "name not a DNS subdomain", "/api/v1/namespaces/default/configmaps",
	  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'Bad_Name'}}", 422, "Invalid",
	  NULL, "metadata.name" },
};

static void test_create_errors(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(create_error_cases); i++) {
		const struct create_error_case *c = &create_error_cases[i];
		int64_t before = list_rv(f, "/api/v1/namespaces/default/pods");
		json_t *st;

		print_message("create error: %s\n", c->desc);
		st = EXPECT(f, c->code, "POST", c->path, NULL, "%s", c->body);
		assert_status(st, c->code, c->reason);
		if (c->message_part)
			assert_contains(jsget(st, "message"), c->message_part, c->desc);
		if (c->cause_field)
			assert_cause(st, c->cause_field, NULL);
		/* Nothing was written. */
		assert_int_equal(list_rv(f, "/api/v1/namespaces/default/pods"), before);
	}
}

static void test_create_dry_run(void **state)
{
	struct fx *f = *state;
	int64_t before = list_rv(f, "/api/v1/namespaces/default/pods");
	json_t *pod, *svc;

	/* The answer is what a create would store: defaulted, with a uid; 201 as for a create. */
	pod = EXPECT(f, 201, "POST", "/api/v1/namespaces/default/pods?dryRun=All", NULL,
		     "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'ghost'},"
		     "'spec':{'containers':[{'name':'c','image':'nginx'}]}}");
	assert_str_at(pod, "metadata.name", "ghost");
	assert_str_at(pod, "spec.restartPolicy", "Always");
	assert_non_null(jsget(pod, "metadata.uid"));
	EXPECT_DROP(f, 404, "GET", "/api/v1/namespaces/default/pods/ghost", NULL, NULL);
	assert_int_equal(list_rv(f, "/api/v1/namespaces/default/pods"), before);

	/* A dry-run Service holds no ClusterIP or NodePort: a real one can take them. */
	svc = EXPECT(f, 201, "POST", "/api/v1/namespaces/default/services?dryRun=All", NULL,
		     "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},'spec':{"
		     "'type':'NodePort','clusterIP':'10.96.0.50','ports':[{'port':80,'nodePort':30050}]}}");
	assert_str_at(svc, "spec.clusterIP", "10.96.0.50");
	assert_int_at(svc, "spec.ports[0].nodePort", 30050);
	EXPECT_DROP(f, 404, "GET", "/api/v1/namespaces/default/services/s", NULL, NULL);
	mksvc(f, 201, "s", "'type':'NodePort','clusterIP':'10.96.0.50',",
	      "[{'port':80,'nodePort':30050}]");
}

/* ======================================================================================
 * update
 * ====================================================================================== */

#define CM_PATH "/api/v1/namespaces/default/configmaps/conf"

static void test_update_stale_rv_conflict(void **state)
{
	struct fx *f = *state;
	json_t *cm = mkcm(f, "default", "conf", NULL), *st, *got;
	int64_t rv1 = rv_of(cm), rv2;

	got = EXPECT(f, 200, "PUT", CM_PATH, NULL,
		     "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'conf',"
		     "'resourceVersion':'%lld'},'data':{'a':'first'}}",
		     (long long)rv1);
	rv2 = rv_of(got);
	assert_true(rv2 > rv1);
	assert_str_at(got, "metadata.uid", jsget(cm, "metadata.uid"));
	assert_str_at(got, "metadata.creationTimestamp", jsget(cm, "metadata.creationTimestamp"));

	/* A second writer that read rv1 loses. */
	st = EXPECT(f, 409, "PUT", CM_PATH, NULL,
		    "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'conf',"
		    "'resourceVersion':'%lld'},'data':{'a':'second'}}",
		    (long long)rv1);
	assert_status(st, 409, "Conflict");
	assert_contains(jsget(st, "message"), "the object has been modified", "conflict message");
	assert_str_at(st, "details.name", "conf");
	assert_str_at(st, "details.kind", "configmaps");

	got = EXPECT(f, 200, "GET", CM_PATH, NULL, NULL);
	assert_str_at(got, "data.a", "first");
	assert_int_equal(rv_of(got), rv2);
}

static void test_update_without_rv_is_unconditional(void **state)
{
	struct fx *f = *state;
	json_t *cm = mkcm(f, "default", "conf", NULL), *got;

	EXPECT_DROP(f, 200, "PATCH", CM_PATH, MERGE, "{'data':{'a':'meanwhile'}}");
	got = EXPECT(f, 200, "PUT", CM_PATH, NULL,
		     "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'conf'},"
		     "'data':{'a':'last'}}");
	assert_str_at(got, "data.a", "last");
	assert_null(jget(got, "data.b")); /* a PUT replaces the object */
	assert_true(rv_of(got) > rv_of(cm));
}

static void test_update_status_subresource(void **state)
{
	struct fx *f = *state;
	json_t *pod = mkpod(f, "default", "p", NULL, NULL), *got;

	/* status is ignored by the main resource... */
	json_object_set_new(jget(pod, "status"), "phase", json_string("Running"));
	json_object_set_new(jget(pod, "metadata.labels"), "x", json_string("y"));
	{
		char *body = json_dumps(pod, JSON_COMPACT);

		got = EXPECT(f, 200, "PUT", "/api/v1/namespaces/default/pods/p", NULL, "%s", body);
		free(body);
	}
	assert_str_at(got, "status.phase", "Pending");
	assert_str_at(got, "metadata.labels.x", "y");
	got = EXPECT(f, 200, "PATCH", "/api/v1/namespaces/default/pods/p", MERGE,
		     "{'status':{'phase':'Failed'}}");
	assert_str_at(got, "status.phase", "Pending");

	/* ...and status is all /status changes. */
	got = EXPECT(f, 200, "PATCH", "/api/v1/namespaces/default/pods/p/status", MERGE,
		     "{'status':{'phase':'Running','podIP':'10.244.0.5'},"
		     "'spec':{'containers':[{'name':'c','image':'evil:1'}]}}");
	assert_str_at(got, "status.phase", "Running");
	got = EXPECT(f, 200, "GET", "/api/v1/namespaces/default/pods/p", NULL, NULL);
	assert_str_at(got, "status.phase", "Running");
	assert_str_at(got, "status.podIP", "10.244.0.5");
	assert_str_at(got, "spec.containers[0].image", "nginx:1.25");

	/* PUT to /status too. */
	got = EXPECT(f, 200, "GET", "/api/v1/namespaces/default/pods/p", NULL, NULL);
	json_object_set_new(jget(got, "status"), "phase", json_string("Succeeded"));
	json_object_set_new(jget(got, "spec.containers[0]"), "image", json_string("evil:2"));
	{
		char *body = json_dumps(got, JSON_COMPACT);

		got = EXPECT(f, 200, "PUT", "/api/v1/namespaces/default/pods/p/status", NULL, "%s",
			     body);
		free(body);
	}
	assert_str_at(got, "status.phase", "Succeeded");
	assert_str_at(got, "spec.containers[0].image", "nginx:1.25");
}

static void test_update_generation(void **state)
{
	static const struct {
		const char *desc, *sub, *patch;
		json_int_t generation;
	} steps[] = {
		{ "label change", "", "{'metadata':{'labels':{'x':'y'}}}", 1 },
		{ "annotation change", "", "{'metadata':{'annotations':{'note':'n'}}}", 1 },
		{ "status through /status", "/status", "{'status':{'replicas':3,'observedGeneration':1}}", 1 },
		{ "image change", "",
		  "{'spec':{'template':{'spec':{'containers':[{'name':'web','image':'nginx:1.26'}]}}}}", 2 },
		{ "status again", "/status", "{'status':{'replicas':2}}", 2 },
		{ "replicas change", "", "{'spec':{'replicas':5}}", 3 },
		{ "no-op spec patch", "", "{'spec':{'replicas':5}}", 3 },
	};
	struct fx *f = *state;
	json_t *d = mkdeploy(f);
	size_t i;

	assert_int_at(d, "metadata.generation", 1);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		json_t *got;

		print_message("generation: %s\n", steps[i].desc);
		got = EXPECT(f, 200, "PATCH", u(DEPLOYMENTS "/web%s", steps[i].sub), MERGE, "%s",
			     steps[i].patch);
		assert_int_at(got, "metadata.generation", steps[i].generation);
	}
	d = EXPECT(f, 200, "GET", DEPLOYMENTS "/web", NULL, NULL);
	assert_int_at(d, "status.replicas", 2);
	assert_int_at(d, "spec.replicas", 5);
	assert_str_at(d, "spec.template.spec.containers[0].image", "nginx:1.26");
}

static void test_update_immutable_fields(void **state)
{
	struct fx *f = *state;
	json_t *svc = mksvc(f, 201, "s", "", "[{'port':80}]"), *st, *got;
	const char *ip = jsget(svc, "spec.clusterIP");

	assert_true(in_service_cidr(ip));
	st = EXPECT(f, 422, "PATCH", "/api/v1/namespaces/default/services/s", MERGE,
		    "{'spec':{'clusterIP':'10.96.7.7','clusterIPs':['10.96.7.7']}}");
	assert_status(st, 422, "Invalid");
	assert_non_null(jget(st, "details.causes"));
	assert_true(!strncmp(jsget(st, "details.causes[0].field") ?: "", "spec.clusterIP", 14));
	got = EXPECT(f, 200, "GET", "/api/v1/namespaces/default/services/s", NULL, NULL);
	assert_str_at(got, "spec.clusterIP", ip);

	mkdeploy(f);
	st = EXPECT(f, 422, "PATCH", DEPLOYMENTS "/web", MERGE,
		    "{'spec':{'selector':{'matchLabels':{'app':'web2'}},"
		    "'template':{'metadata':{'labels':{'app':'web2'}}}}}");
	assert_status(st, 422, "Invalid");
	assert_cause(st, "spec.selector", "FieldValueInvalid");
	assert_contains(jsget(st, "message"), "field is immutable", "selector message");

	/* An immutable ConfigMap keeps its data, but its labels still change (data set,
	 * binaryData absent in both versions: absent equals absent). */
	EXPECT(f, 201, "POST", "/api/v1/namespaces/default/configmaps", NULL,
	       "{'metadata':{'name':'frozen'},'immutable':true,'data':{'a':'1'}}");
	got = EXPECT(f, 200, "PATCH", "/api/v1/namespaces/default/configmaps/frozen", MERGE,
		     "{'metadata':{'labels':{'tier':'gold'}}}");
	assert_str_at(got, "metadata.labels.tier", "gold");
	st = EXPECT(f, 422, "PATCH", "/api/v1/namespaces/default/configmaps/frozen", MERGE,
		    "{'data':{'a':'2'}}");
	assert_contains(jsget(st, "message"), "field is immutable", "immutable data message");
}

/* ======================================================================================
 * patch
 * ====================================================================================== */

static void test_patch_merge(void **state)
{
	struct fx *f = *state;
	json_t *cm = mkcm(f, "default", "conf", "{'keep':'me','drop':'me'}"), *got;

	got = EXPECT(f, 200, "PATCH", CM_PATH, MERGE,
		     "{'metadata':{'labels':{'drop':null,'new':'one'}},'data':{'b':null,'c':'3'}}");
	assert_str_at(got, "data.a", "1");
	assert_null(jget(got, "data.b"));
	assert_str_at(got, "data.c", "3");
	assert_str_at(got, "metadata.labels.keep", "me");
	assert_str_at(got, "metadata.labels.new", "one");
	assert_null(jget(got, "metadata.labels.drop"));
	assert_true(rv_of(got) > rv_of(cm));
	assert_str_at(got, "metadata.uid", jsget(cm, "metadata.uid"));
}

static void test_patch_json_patch(void **state)
{
	struct fx *f = *state;
	json_t *got, *st;

	mkcm(f, "default", "conf", NULL);
	got = EXPECT(f, 200, "PATCH", CM_PATH, JSONPATCH,
		     "[{'op':'test','path':'/data/a','value':'1'},"
		     "{'op':'replace','path':'/data/a','value':'x'},"
		     "{'op':'add','path':'/data/z','value':'26'},{'op':'remove','path':'/data/b'}]");
	assert_str_at(got, "data.a", "x");
	assert_str_at(got, "data.z", "26");
	assert_null(jget(got, "data.b"));

	/* A failed test op: 422, and none of the patch applies. */
	st = EXPECT(f, 422, "PATCH", CM_PATH, JSONPATCH,
		    "[{'op':'replace','path':'/data/z','value':'changed'},"
		    "{'op':'test','path':'/data/a','value':'not-x'}]");
	assert_int_at(st, "code", 422);
	assert_str_at(st, "kind", "Status");
	got = EXPECT(f, 200, "GET", CM_PATH, NULL, NULL);
	assert_str_at(got, "data.z", "26");
}

static void test_patch_strategic_merges_containers_by_name(void **state)
{
	struct fx *f = *state;
	json_t *got;

	EXPECT(f, 201, "POST", "/api/v1/namespaces/default/pods", NULL,
	       "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':["
	       "{'name':'a','image':'busybox:1','command':['sleep','1d']},"
	       "{'name':'b','image':'nginx:1.25','ports':[{'containerPort':80}],"
	       "'env':[{'name':'K','value':'V'}]}]}}");
	got = EXPECT(f, 200, "PATCH", "/api/v1/namespaces/default/pods/p", STRATEGIC,
		     "{'metadata':{'labels':{'l':'v'}},'spec':{'containers':[{'name':'b','image':'nginx:1.26'}]}}");
	assert_int_equal(json_array_size(jget(got, "spec.containers")), 2);
	assert_str_at(got, "spec.containers[0].name", "a");
	assert_str_at(got, "spec.containers[0].image", "busybox:1");
	assert_str_at(got, "spec.containers[0].command[1]", "1d");
	assert_str_at(got, "spec.containers[1].name", "b");
	assert_str_at(got, "spec.containers[1].image", "nginx:1.26");
	assert_int_at(got, "spec.containers[1].ports[0].containerPort", 80);
	assert_str_at(got, "spec.containers[1].env[0].value", "V");
	assert_str_at(got, "metadata.labels.l", "v");
}

static void test_patch_unsupported_content_type(void **state)
{
	static const char *const types[] = { "Content-Type: application/json",
					     "Content-Type: text/plain", NULL };
	struct fx *f = *state;
	size_t i;

	mkcm(f, "default", "conf", NULL);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		json_t *st = EXPECT(f, 415, "PATCH", CM_PATH, types[i], "{'data':{'a':'x'}}");

		assert_status(st, 415, "UnsupportedMediaType");
	}
}

static void test_patch_resource_version_precondition(void **state)
{
	struct fx *f = *state;
	json_t *cm = mkcm(f, "default", "conf", NULL), *got, *st;
	int64_t rv1 = rv_of(cm);

	got = EXPECT(f, 200, "PATCH", CM_PATH, MERGE,
		     "{'metadata':{'resourceVersion':'%lld'},'data':{'a':'v2'}}", (long long)rv1);
	assert_str_at(got, "data.a", "v2");
	st = EXPECT(f, 409, "PATCH", CM_PATH, MERGE,
		    "{'metadata':{'resourceVersion':'%lld'},'data':{'a':'v3'}}", (long long)rv1);
	assert_status(st, 409, "Conflict");
	st = EXPECT(f, 409, "PATCH", CM_PATH, JSONPATCH,
		    "[{'op':'replace','path':'/metadata/resourceVersion','value':'%lld'},"
		    "{'op':'replace','path':'/data/a','value':'v4'}]",
		    (long long)rv1);
	assert_status(st, 409, "Conflict");
	got = EXPECT(f, 200, "GET", CM_PATH, NULL, NULL);
	assert_str_at(got, "data.a", "v2");
}

/* ======================================================================================
 * defaults
 * ====================================================================================== */

static void test_pod_defaults(void **state)
{
	static const struct {
		const char *image, *policy;
	} images[] = {
		{ "nginx", "Always" },
		{ "nginx:latest", "Always" },
		{ "nginx:1.25", "IfNotPresent" },
		{ "registry.local:5000/nginx", "Always" },
		{ "registry.local:5000/nginx:1.2", "IfNotPresent" },
		{ "registry.local:5000/team/nginx:latest", "Always" },
		{ "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "IfNotPresent" },
	};
	static const char *const taints[] = { "node.kubernetes.io/not-ready",
					      "node.kubernetes.io/unreachable" };
	struct fx *f = *state;
	char containers[4096] = "";
	size_t i, n = 0;
	json_t *pod, *t;

	for (i = 0; i < ARRAY_SIZE(images); i++)
		n += snprintf(containers + n, sizeof(containers) - n, "%s{'name':'c%zu','image':'%s'}",
			      i ? "," : "", i, images[i].image);
	pod = EXPECT(f, 201, "POST", "/api/v1/namespaces/default/pods", NULL,
		     "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':[%s,"
		     "{'name':'explicit','image':'nginx','imagePullPolicy':'Never'}]}}",
		     containers);
	for (i = 0; i < ARRAY_SIZE(images); i++) {
		char path[64];

		snprintf(path, sizeof(path), "spec.containers[%zu].imagePullPolicy", i);
		print_message("image %s\n", images[i].image);
		assert_str_at(pod, path, images[i].policy);
	}
	assert_str_at(pod, u("spec.containers[%zu].imagePullPolicy", ARRAY_SIZE(images)), "Never");
	assert_str_at(pod, "spec.restartPolicy", "Always");
	assert_str_at(pod, "spec.dnsPolicy", "ClusterFirst");
	assert_int_at(pod, "spec.terminationGracePeriodSeconds", 30);
	assert_str_at(pod, "spec.schedulerName", "default-scheduler");
	assert_str_at(pod, "status.phase", "Pending");
	assert_str_at(pod, "status.qosClass", "BestEffort");
	/* DefaultTolerationSeconds: 300 s on a not-ready or unreachable node. */
	for (i = 0; i < 2; i++) {
		size_t k, found = 0;

		json_array_foreach(jget(pod, "spec.tolerations"), k, t)
			if (!strcmp(jsget(t, "key") ?: "", taints[i])) {
				found++;
				assert_str_at(t, "operator", "Exists");
				assert_str_at(t, "effect", "NoExecute");
				assert_int_at(t, "tolerationSeconds", 300);
			}
		assert_int_equal(found, 1);
	}

	/* Given values are kept. */
	pod = EXPECT(f, 201, "POST", "/api/v1/namespaces/default/pods", NULL,
		     "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'q'},'spec':{"
		     "'restartPolicy':'Never','dnsPolicy':'Default','terminationGracePeriodSeconds':5,"
		     "'containers':[{'name':'c','image':'nginx'}]}}");
	assert_str_at(pod, "spec.restartPolicy", "Never");
	assert_str_at(pod, "spec.dnsPolicy", "Default");
	assert_int_at(pod, "spec.terminationGracePeriodSeconds", 5);
}

static void test_pod_qos_class(void **state)
{
	static const struct {
		const char *resources, *qos;
	} cases[] = {
		{ "{}", "BestEffort" },
		{ "{'requests':{'cpu':'100m'}}", "Burstable" },
		{ "{'limits':{'cpu':'100m'}}", "Burstable" },
		{ "{'limits':{'cpu':'100m','memory':'64Mi'}}", "Guaranteed" },
		{ "{'limits':{'cpu':'100m','memory':'64Mi'},'requests':{'cpu':'100m','memory':'64Mi'}}",
		  "Guaranteed" },
		{ "{'limits':{'cpu':'200m','memory':'64Mi'},'requests':{'cpu':'100m','memory':'64Mi'}}",
		  "Burstable" },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *pod = EXPECT(f, 201, "POST", "/api/v1/namespaces/default/pods", NULL,
				     "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p%zu'},"
				     "'spec':{'containers':[{'name':'c','image':'nginx','resources':%s}]}}",
				     i, cases[i].resources);

		print_message("resources %s\n", cases[i].resources);
		assert_str_at(pod, "status.qosClass", cases[i].qos);
	}
}

static void test_service_defaults(void **state)
{
	struct fx *f = *state;
	json_t *k8s, *svc = mksvc(f, 201, "web", "",
				  "[{'name':'http','port':80},{'name':'dns','port':53,'protocol':'UDP',"
				  "'targetPort':'dns-port'}]");
	const char *ip = jsget(svc, "spec.clusterIP");

	assert_str_at(svc, "spec.type", "ClusterIP");
	assert_str_at(svc, "spec.sessionAffinity", "None");
	assert_true(in_service_cidr(ip));
	assert_int_equal(json_array_size(jget(svc, "spec.clusterIPs")), 1);
	assert_str_at(svc, "spec.clusterIPs[0]", ip);
	assert_str_at(svc, "spec.ports[0].protocol", "TCP");
	assert_int_at(svc, "spec.ports[0].targetPort", 80);
	assert_str_at(svc, "spec.ports[1].protocol", "UDP");
	assert_str_at(svc, "spec.ports[1].targetPort", "dns-port");

	/* Not the network address, not the kubernetes Service's (the first one). */
	k8s = EXPECT(f, 200, "GET", "/api/v1/namespaces/default/services/kubernetes", NULL, NULL);
	assert_str_at(k8s, "spec.clusterIP", "10.96.0.1");
	assert_string_not_equal(ip, "10.96.0.1");
	assert_string_not_equal(ip, "10.96.0.0");
}

static void test_deployment_defaults(void **state)
{
	struct fx *f = *state;
	json_t *d = EXPECT(f, 201, "POST", DEPLOYMENTS, NULL,
			   "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
			   "'spec':{'selector':{'matchLabels':{'app':'web'}},"
			   "'template':{'metadata':{'labels':{'app':'web'}},"
			   "'spec':{'containers':[{'name':'web','image':'nginx'}]}}}}");

	assert_int_at(d, "spec.replicas", 1);
	assert_str_at(d, "spec.strategy.type", "RollingUpdate");
	assert_str_at(d, "spec.strategy.rollingUpdate.maxUnavailable", "25%");
	assert_str_at(d, "spec.strategy.rollingUpdate.maxSurge", "25%");
	assert_int_at(d, "spec.revisionHistoryLimit", 10);
	assert_int_at(d, "spec.progressDeadlineSeconds", 600);
	assert_str_at(d, "spec.template.spec.restartPolicy", "Always");
	assert_str_at(d, "spec.template.spec.containers[0].imagePullPolicy", "Always");
}

/* ======================================================================================
 * validation
 * ====================================================================================== */

/* A Deployment "bad" with spec fields (in the test's quotes) added. */
#define DEPLOY_BAD(fields)                                                                 \
	"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'bad'},'spec':{"    \
	"'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':"         \
	"{'app':'web'}},'spec':{'containers':[{'name':'c','image':'a'}]}}," fields "}}"

static const struct validation_case {
	const char *desc, *path, *kind, *body, *field, *reason;
} validation_cases[] = {
	{ "pod without image", "/api/v1/namespaces/default/pods", "Pod",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'bad'},'spec':{'containers':"
	  "[{'name':'c'}]}}",
	  "spec.containers[0].image", "FieldValueRequired" },
	{ "pod without containers", "/api/v1/namespaces/default/pods", "Pod",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'bad'},'spec':{'containers':[]}}",
	  "spec.containers", "FieldValueRequired" },
	{ "duplicate container names", "/api/v1/namespaces/default/pods", "Pod",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'bad'},'spec':{'containers':"
	  "[{'name':'c','image':'a'},{'name':'c','image':'b'}]}}",
	  "spec.containers[1].name", "FieldValueDuplicate" },
	{ "container port above 65535", "/api/v1/namespaces/default/pods", "Pod",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'bad'},'spec':{'containers':"
	  "[{'name':'c','image':'a','ports':[{'containerPort':70000}]}]}}",
	  "spec.containers[0].ports[0].containerPort", "FieldValueInvalid" },
	{ "container port 0", "/api/v1/namespaces/default/pods", "Pod",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'bad'},'spec':{'containers':"
	  "[{'name':'c','image':'a','ports':[{'containerPort':0}]}]}}",
	  "spec.containers[0].ports[0].containerPort", "FieldValueInvalid" },
	{ "restartPolicy not supported", "/api/v1/namespaces/default/pods", "Pod",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'bad'},'spec':{'restartPolicy':"
	  "'Sometimes','containers':[{'name':'c','image':'a'}]}}",
	  "spec.restartPolicy", "FieldValueNotSupported" },
	{ "service port 0", "/api/v1/namespaces/default/services", "Service",
	  "{'apiVersion':'v1','kind':'Service','metadata':{'name':'bad'},'spec':{'ports':"
	  "[{'port':0}]}}",
	  "spec.ports[0].port", "FieldValueInvalid" },
	{ "service port 65536", "/api/v1/namespaces/default/services", "Service",
	  "{'apiVersion':'v1','kind':'Service','metadata':{'name':'bad'},'spec':{'ports':"
	  "[{'port':65536}]}}",
	  "spec.ports[0].port", "FieldValueInvalid" },
	{ "label key with a space", "/api/v1/namespaces/default/configmaps", "ConfigMap",
	  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'bad','labels':"
	  "{'bad key':'v'}}}",
	  "metadata.labels", "FieldValueInvalid" },
	{ "label key with an upper-case prefix", "/api/v1/namespaces/default/configmaps",
	  "ConfigMap",
	  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'bad','labels':"
	  "{'Example.com/x':'v'}}}",
	  "metadata.labels", "FieldValueInvalid" },
	{ "label key ending in a dash", "/api/v1/namespaces/default/pods", "Pod",
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'bad','labels':{'app-':'v'}},"
	  "'spec':{'containers':[{'name':'c','image':'a'}]}}",
	  "metadata.labels", "FieldValueInvalid" },
	{ "label value starting with a dash", "/api/v1/namespaces/default/configmaps",
	  "ConfigMap",
	  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'bad','labels':"
	  "{'app':'-web'}}}",
	  "metadata.labels", "FieldValueInvalid" },
	/* Deployment strategies the controller could not roll out with (deploy-strategy). */
	{ "maxSurge neither integer nor percent", DEPLOYMENTS, "Deployment",
	  DEPLOY_BAD("'strategy':{'rollingUpdate':{'maxSurge':'25','maxUnavailable':1}}"),
	  "spec.strategy.rollingUpdate.maxSurge", "FieldValueInvalid" },
	{ "negative maxUnavailable", DEPLOYMENTS, "Deployment",
	  DEPLOY_BAD("'strategy':{'rollingUpdate':{'maxSurge':1,'maxUnavailable':-1}}"),
	  "spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid" },
	{ "maxSurge and maxUnavailable both 0", DEPLOYMENTS, "Deployment",
	  DEPLOY_BAD("'strategy':{'rollingUpdate':{'maxSurge':'0%','maxUnavailable':0}}"),
	  "spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid" },
	{ "maxUnavailable above 100%", DEPLOYMENTS, "Deployment",
	  DEPLOY_BAD("'strategy':{'rollingUpdate':{'maxSurge':1,'maxUnavailable':'101%'}}"),
	  "spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid" },
	{ "rollingUpdate with Recreate", DEPLOYMENTS, "Deployment",
	  DEPLOY_BAD("'strategy':{'type':'Recreate','rollingUpdate':{'maxSurge':1}}"),
	  "spec.strategy.rollingUpdate", "FieldValueForbidden" },
	{ "progressDeadlineSeconds not above minReadySeconds", DEPLOYMENTS, "Deployment",
	  DEPLOY_BAD("'minReadySeconds':10,'progressDeadlineSeconds':10"),
	  "spec.progressDeadlineSeconds", "FieldValueInvalid" },
};

static void test_validation_causes(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(validation_cases); i++) {
		const struct validation_case *c = &validation_cases[i];
		char prefix[64];
		json_t *st;

		print_message("validation: %s\n", c->desc);
		st = EXPECT(f, 422, "POST", c->path, NULL, "%s", c->body);
		assert_status(st, 422, "Invalid");
		assert_str_at(st, "details.name", "bad");
		assert_str_at(st, "details.kind", c->kind);
		snprintf(prefix, sizeof(prefix), "%s \"bad\" is invalid: ", c->kind);
		assert_contains(jsget(st, "message"), prefix, c->desc);
		assert_cause(st, c->field, c->reason);
		EXPECT_DROP(f, 404, "GET", u("%s/bad", c->path), NULL, NULL);
	}
}

/* ======================================================================================
 * ClusterIP and NodePort allocation
 * ====================================================================================== */

#define SVC_PATH "/api/v1/namespaces/default/services"

static void test_nodeport_auto_allocated(void **state)
{
	struct fx *f = *state;
	json_t *a = mksvc(f, 201, "a", "'type':'NodePort',", "[{'name':'x','port':80},{'name':'y','port':81}]");
	json_int_t p0 = jiget(a, "spec.ports[0].nodePort"), p1 = jiget(a, "spec.ports[1].nodePort");

	assert_true(p0 >= NODE_PORT_MIN && p0 <= NODE_PORT_MAX);
	assert_true(p1 >= NODE_PORT_MIN && p1 <= NODE_PORT_MAX);
	assert_int_not_equal(p0, p1);
	assert_str_at(a, "spec.externalTrafficPolicy", "Cluster");
}

static void test_nodeport_already_allocated(void **state)
{
	struct fx *f = *state;
	json_t *st;
	int i;

	mksvc(f, 201, "a", "'type':'NodePort',", "[{'port':80,'nodePort':30080}]");
	/* Asked for twice: each time refused, and the refusal must not free a's port. */
	for (i = 0; i < 2; i++) {
		st = mksvc(f, 422, u("b%d", i), "'type':'NodePort',", "[{'port':80,'nodePort':30080}]");
		assert_status(st, 422, "Invalid");
		assert_cause(st, "spec.ports[0].nodePort", "FieldValueInvalid");
		assert_contains(jsget(cause_for(st, "spec.ports[0].nodePort"), "message"),
				"provided port is already allocated", "nodePort cause");
	}
	/* Out of the configured range. */
	st = mksvc(f, 422, "c", "'type':'NodePort',", "[{'port':80,'nodePort':40000}]");
	assert_cause(st, "spec.ports[0].nodePort", "FieldValueInvalid");
	/* Taking it by update is refused too. */
	mksvc(f, 201, "d", "'type':'NodePort',", "[{'port':80}]");
	st = EXPECT(f, 422, "PATCH", SVC_PATH "/d", MERGE,
		    "{'spec':{'ports':[{'port':80,'nodePort':30080}]}}");
	assert_cause(st, "spec.ports[0].nodePort", NULL);
}

static void test_cluster_ip_requested(void **state)
{
	struct fx *f = *state;
	json_t *st, *a;
	int i;

	a = mksvc(f, 201, "a", "'clusterIP':'10.96.3.3',", "[{'port':80}]");
	assert_str_at(a, "spec.clusterIP", "10.96.3.3");
	/* Taken: refused, every time (a failed create must not free a's address). */
	for (i = 0; i < 2; i++) {
		st = mksvc(f, 422, u("b%d", i), "'clusterIP':'10.96.3.3',", "[{'port':80}]");
		assert_status(st, 422, "Invalid");
		assert_contains(jsget(st, "message"), "already allocated", "clusterIP in use");
	}
	/* Outside the service CIDR. */
	st = mksvc(f, 422, "c", "'clusterIP':'192.168.1.10',", "[{'port':80}]");
	assert_status(st, 422, "Invalid");
	assert_cause(st, "spec.clusterIPs", "FieldValueInvalid");
	assert_contains(jsget(st, "message"), "not in the valid range", "clusterIP range");
	assert_contains(jsget(st, "message"), SERVICE_CIDR, "clusterIP range");
	/* Not an address. */
	st = mksvc(f, 422, "d", "'clusterIP':'ten.one',", "[{'port':80}]");
	assert_status(st, 422, "Invalid");
	/* Headless: no address. */
	a = mksvc(f, 201, "e", "'clusterIP':'None',", "[{'port':80}]");
	assert_str_at(a, "spec.clusterIP", "None");
}

static void test_service_delete_releases_allocations(void **state)
{
	struct fx *f = *state;

	mksvc(f, 201, "a", "'type':'NodePort','clusterIP':'10.96.1.100',",
	      "[{'port':80,'nodePort':30100}]");
	EXPECT_DROP(f, 200, "DELETE", SVC_PATH "/a", NULL, NULL);
	EXPECT_DROP(f, 404, "GET", SVC_PATH "/a", NULL, NULL);
	mksvc(f, 201, "b", "'type':'NodePort','clusterIP':'10.96.1.100',",
	      "[{'port':80,'nodePort':30100}]");
	/* And b holds them now. */
	mksvc(f, 422, "c", "'type':'NodePort',", "[{'port':80,'nodePort':30100}]");
	mksvc(f, 422, "d", "'clusterIP':'10.96.1.100',", "[{'port':80}]");
}

static void test_service_type_change_releases_node_port(void **state)
{
	struct fx *f = *state;
	json_t *svc = mksvc(f, 201, "a", "'type':'NodePort',", "[{'port':80,'nodePort':30200}]"), *got;
	char *body;

	/* A whole-object update to ClusterIP without the nodePort. */
	json_object_set_new(jget(svc, "spec"), "type", json_string("ClusterIP"));
	json_object_del(jget(svc, "spec"), "externalTrafficPolicy");
	json_object_del(jget(svc, "spec.ports[0]"), "nodePort");
	body = json_dumps(svc, JSON_COMPACT);
	got = EXPECT(f, 200, "PUT", SVC_PATH "/a", NULL, "%s", body);
	free(body);
	assert_str_at(got, "spec.type", "ClusterIP");
	assert_null(jget(got, "spec.ports[0].nodePort"));
	assert_str_at(got, "spec.clusterIP", jsget(svc, "spec.clusterIP"));
	mksvc(f, 201, "b", "'type':'NodePort',", "[{'port':80,'nodePort':30200}]");
}

/* kubectl patch svc a -p '{"spec":{"type":"ClusterIP"}}': Kubernetes drops the NodePorts
 * (and externalTrafficPolicy) it allocated when the type no longer needs them
 * (dropTypeDependentFields), and releases them. */
static void test_service_type_patch_drops_node_port(void **state)
{
	struct fx *f = *state;
	json_t *got;

	mksvc(f, 201, "a", "'type':'NodePort',", "[{'port':80,'nodePort':30201}]");
	got = EXPECT(f, 200, "PATCH", SVC_PATH "/a", MERGE, "{'spec':{'type':'ClusterIP'}}");
	assert_str_at(got, "spec.type", "ClusterIP");
	assert_null(jget(got, "spec.ports[0].nodePort"));
	mksvc(f, 201, "b", "'type':'NodePort',", "[{'port':80,'nodePort':30201}]");
}

/* ======================================================================================
 * fieldValidation
 * ====================================================================================== */

static const struct fv_case {
	const char *desc, *method, *url, *hdrs, *body;
	int code;
	const char *message_part; /* in the Status message (errors) */
	const char *warning_part; /* in the Warning (or NULL: no warning) */
} fv_cases[] = {
	{ "Strict: unknown top-level spec field", "POST",
	  "/api/v1/namespaces/default/pods?fieldValidation=Strict", NULL,
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p1'},'spec':{'foo':1,"
	  "'containers':[{'name':'c','image':'nginx'}]}}",
	  400, "unknown field \"spec.foo\"", NULL },
	{ "Strict: unknown nested field", "POST",
	  "/api/v1/namespaces/default/pods?fieldValidation=Strict", NULL,
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p2'},'spec':{"
	  "'containers':[{'name':'c','imagee':'nginx','image':'nginx'}]}}",
	  400, "unknown field \"spec.containers[0].imagee\"", NULL },
	{ "Warn: created, with a warning", "POST",
	  "/api/v1/namespaces/default/pods?fieldValidation=Warn", NULL,
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p3'},'spec':{'foo':1,"
	  "'containers':[{'name':'c','image':'nginx'}]}}",
	  201, NULL, "unknown field \"spec.foo\"" },
	{ "Ignore: created silently", "POST",
	  "/api/v1/namespaces/default/pods?fieldValidation=Ignore", NULL,
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p4'},'spec':{'foo':1,"
	  "'containers':[{'name':'c','image':'nginx'}]}}",
	  201, NULL, NULL },
	{ "default: created silently", "POST", "/api/v1/namespaces/default/pods", NULL,
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p5'},'spec':{'foo':1,"
	  "'containers':[{'name':'c','image':'nginx'}]}}",
	  201, NULL, NULL },
	{ "wrong JSON type, no fieldValidation", "POST", "/api/v1/namespaces/default/pods", NULL,
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p6'},'spec':{"
	  "'terminationGracePeriodSeconds':'thirty','containers':[{'name':'c','image':'nginx'}]}}",
	  400, NULL, NULL },
	{ "wrong JSON type, Ignore", "POST",
	  "/api/v1/namespaces/default/pods?fieldValidation=Ignore", NULL,
	  "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p7'},'spec':{"
	  "'containers':'nginx'}}",
	  400, NULL, NULL },
	{ "wrong JSON type in a deployment", "POST", DEPLOYMENTS, NULL,
	  "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{"
	  "'replicas':'three','selector':{'matchLabels':{'app':'d'}},'template':{'metadata':"
	  "{'labels':{'app':'d'}},'spec':{'containers':[{'name':'c','image':'nginx'}]}}}}",
	  400, NULL, NULL },
	{ "Strict patch adding an unknown field", "PATCH",
	  "/api/v1/namespaces/default/configmaps/conf?fieldValidation=Strict", MERGE,
	  "{'dataa':{'x':'y'}}", 400, "unknown field \"dataa\"", NULL },
	{ "Strict update with an unknown field", "PUT",
	  "/api/v1/namespaces/default/configmaps/conf?fieldValidation=Strict", NULL,
	  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'conf'},'dataa':{}}", 400,
	  "unknown field \"dataa\"", NULL },
	{ "bad fieldValidation value", "POST",
	  "/api/v1/namespaces/default/configmaps?fieldValidation=Loose", NULL,
	  "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c9'}}", 400, NULL, NULL },
};

static void test_field_validation(void **state)
{
	struct fx *f = *state;
	json_t *cm;
	size_t i;

	mkcm(f, "default", "conf", NULL);
	for (i = 0; i < ARRAY_SIZE(fv_cases); i++) {
		const struct fv_case *c = &fv_cases[i];
		json_t *j;

		print_message("fieldValidation: %s\n", c->desc);
		j = EXPECT(f, c->code, c->method, c->url, c->hdrs, "%s", c->body);
		if (c->code >= 400) {
			assert_status(j, c->code, "BadRequest");
			if (c->message_part)
				assert_contains(jsget(j, "message"), c->message_part, c->desc);
		}
		if (c->warning_part)
			assert_contains(f->warning, c->warning_part, c->desc);
		else if (c->code < 400)
			assert_null(f->warning);
	}
	/* Refused patches changed nothing. */
	cm = EXPECT(f, 200, "GET", CM_PATH, NULL, NULL);

	assert_null(jget(cm, "dataa"));
	assert_str_at(cm, "data.a", "1");
}

/* ======================================================================================
 * list
 * ====================================================================================== */

#define PODS "/api/v1/namespaces/default/pods"

static void test_list_label_selectors(void **state)
{
	static const struct {
		const char *selector, *names;
		int code;
	} cases[] = {
		{ "", "p1,p2,p3,p4", 200 },
		{ "app=web", "p1,p2", 200 },
		{ "app==web", "p1,p2", 200 },
		{ "app!=web", "p3,p4", 200 },
		{ "app in (web,db)", "p1,p2,p3", 200 },
		{ "app notin (web)", "p3,p4", 200 },
		{ "tier", "p1,p2", 200 },
		{ "!tier", "p3,p4", 200 },
		{ "app=web,tier=be", "p2", 200 },
		{ "app in (web),tier notin (fe)", "p2", 200 },
		{ "app=nope", "", 200 },
		{ "app in web", NULL, 400 },
	};
	struct fx *f = *state;
	size_t i;

	mkpod(f, "default", "p1", "{'app':'web','tier':'fe'}", NULL);
	mkpod(f, "default", "p2", "{'app':'web','tier':'be'}", NULL);
	mkpod(f, "default", "p3", "{'app':'db'}", NULL);
	mkpod(f, "default", "p4", NULL, NULL);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *l = EXPECT(f, cases[i].code, "GET",
				   u(PODS "?labelSelector=%s", cases[i].selector), NULL, NULL);

		if (cases[i].names) {
			assert_str_at(l, "kind", "PodList");
			assert_str_at(l, "apiVersion", "v1");
			assert_list_names(l, cases[i].names, cases[i].selector);
		} else {
			assert_status(l, 400, "BadRequest");
		}
	}
}

static void test_list_field_selectors(void **state)
{
	static const struct {
		const char *selector, *names;
	} cases[] = {
		{ "metadata.name=p1", "p1" },
		{ "metadata.name!=p1", "p2,p3" },
		{ "metadata.namespace=default", "p1,p2,p3" },
		{ "spec.nodeName=node-a", "p1" },
		{ "spec.nodeName=", "p3" },
		{ "spec.nodeName!=", "p1,p2" },
		{ "status.phase=Running", "p3" },
		{ "status.phase!=Running", "p1,p2" },
		{ "spec.nodeName=node-a,status.phase=Pending", "p1" },
		{ "spec.nodeName==node-b", "p2" },
	};
	struct fx *f = *state;
	json_t *st;
	size_t i;

	mkpod(f, "default", "p1", NULL, "node-a");
	mkpod(f, "default", "p2", NULL, "node-b");
	mkpod(f, "default", "p3", NULL, NULL);
	EXPECT_DROP(f, 200, "PATCH", PODS "/p3/status", MERGE, "{'status':{'phase':'Running'}}");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *l = EXPECT(f, 200, "GET", u(PODS "?fieldSelector=%s", cases[i].selector),
				   NULL, NULL);

		assert_list_names(l, cases[i].names, cases[i].selector);
	}
	st = EXPECT(f, 400, "GET", PODS "?fieldSelector=spec.foo=bar", NULL, NULL);
	assert_status(st, 400, "BadRequest");
	assert_contains(jsget(st, "message"), "field label not supported", "field selector");
	/* Selectors of one kind are not another's. */
	st = EXPECT(f, 400, "GET", "/api/v1/namespaces/default/configmaps?fieldSelector=spec.nodeName=x",
		    NULL, NULL);
	assert_contains(jsget(st, "message"), "field label not supported", "field selector");
}

static void test_list_paging(void **state)
{
	static const int order[] = { 7, 2, 9, 0, 5, 10, 3, 8, 1, 6, 4 };
	struct fx *f = *state;
	char seen[1024] = "", want[1024] = "", cont[1024] = "";
	json_t *st;
	size_t i;
	int pages = 0;

	mkns(f, "paging");
	for (i = 0; i < ARRAY_SIZE(order); i++)
		mkcm(f, "paging", u("cm-%02d", order[i]),
		     order[i] % 2 ? "{'odd':'yes'}" : "{}");
	/* A configmap of another namespace stays out. */
	mkcm(f, "default", "cm-00", NULL);
	for (i = 0; i < ARRAY_SIZE(order); i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%scm-%02zu", i ? "," : "", i);

	do {
		json_t *l = EXPECT(f, 200, "GET",
				   *cont ? u("/api/v1/namespaces/paging/configmaps?limit=4&continue=%s", cont) :
					   "/api/v1/namespaces/paging/configmaps?limit=4",
				   NULL, NULL);
		const char *c = jsget(l, "metadata.continue");
		char *names = names_of(l);

		assert_true(json_array_size(json_object_get(l, "items")) <= 4);
		assert_true(json_array_size(json_object_get(l, "items")) > 0);
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s", *seen ? "," : "",
			 names);
		free(names);
		snprintf(cont, sizeof(cont), "%s", c ? c : "");
		assert_true(++pages <= 4);
	} while (*cont);
	assert_int_equal(pages, 3);
	assert_string_equal(seen, want);

	/* Paging through a selection: the odd ones, two at a time. */
	*seen = *cont = 0;
	pages = 0;
	do {
		json_t *l = EXPECT(f, 200, "GET",
				   *cont ? u("/api/v1/namespaces/paging/configmaps?labelSelector=odd&limit=2&continue=%s", cont) :
					   "/api/v1/namespaces/paging/configmaps?labelSelector=odd&limit=2",
				   NULL, NULL);
		const char *c = jsget(l, "metadata.continue");
		char *names = names_of(l);

		if (*names)
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s",
				 *seen ? "," : "", names);
		free(names);
		snprintf(cont, sizeof(cont), "%s", c ? c : "");
		assert_true(++pages <= 5);
	} while (*cont);
	assert_string_equal(seen, "cm-01,cm-03,cm-05,cm-07,cm-09");
	assert_int_equal(pages, 3); /* no empty last page: a token only when more match */

	/* A limit beyond the collection is no limit (and allocates nothing by it). */
	{
		json_t *l = EXPECT(f, 200, "GET",
				   "/api/v1/namespaces/paging/configmaps?limit=4000000000000", NULL,
				   NULL);

		assert_int_equal(json_array_size(json_object_get(l, "items")), ARRAY_SIZE(order));
		assert_null(jsget(l, "metadata.continue"));
	}

	st = EXPECT(f, 400, "GET", "/api/v1/namespaces/paging/configmaps?limit=2&continue=garbage!",
		    NULL, NULL);
	assert_status(st, 400, "BadRequest");
}

static void test_list_all_namespaces(void **state)
{
	struct fx *f = *state;
	json_t *l, *it;
	size_t i, in_default = 0, in_other = 0;

	mkns(f, "other");
	mkpod(f, "default", "a", NULL, NULL);
	mkpod(f, "other", "b", NULL, NULL);
	mkpod(f, "other", "c", NULL, NULL);
	l = EXPECT(f, 200, "GET", "/api/v1/pods", NULL, NULL);
	assert_str_at(l, "kind", "PodList");
	assert_int_equal(json_array_size(json_object_get(l, "items")), 3);
	json_array_foreach(json_object_get(l, "items"), i, it) {
		const char *ns = jsget(it, "metadata.namespace");

		assert_non_null(ns);
		in_default += !strcmp(ns, "default");
		in_other += !strcmp(ns, "other");
	}
	assert_int_equal(in_default, 1);
	assert_int_equal(in_other, 2);
	/* With a selector too. */
	l = EXPECT(f, 200, "GET", "/api/v1/pods?fieldSelector=metadata.namespace=other", NULL, NULL);
	assert_list_names(l, "b,c", "all namespaces, namespace=other");
	l = EXPECT(f, 200, "GET", "/api/v1/namespaces/other/pods", NULL, NULL);
	assert_list_names(l, "b,c", "one namespace");
}

/* The columns a Table starts with, by name. */
static void assert_columns(const json_t *t, const char *const *names)
{
	size_t i;

	for (i = 0; names[i]; i++) {
		char path[64];

		snprintf(path, sizeof(path), "columnDefinitions[%zu].name", i);
		assert_str_at(t, path, names[i]);
		snprintf(path, sizeof(path), "columnDefinitions[%zu].type", i);
		assert_non_null(jsget(t, path));
	}
}

/* Each cell is of its column's declared type ("string": a JSON string). */
static void assert_cells_typed(const json_t *t)
{
	const json_t *row, *cell;
	size_t r, c;

	json_array_foreach(json_object_get(t, "rows"), r, row) {
		assert_int_equal(json_array_size(json_object_get(row, "cells")),
				 json_array_size(json_object_get(t, "columnDefinitions")));
		json_array_foreach(json_object_get(row, "cells"), c, cell) {
			const char *type = jsget(json_array_get(json_object_get(t, "columnDefinitions"), c),
						 "type");

			if (!strcmp(type, "string") && !json_is_string(cell))
				fail_msg("row %zu cell %zu (%s): not a string", r, c,
					 jsget(json_array_get(json_object_get(t, "columnDefinitions"), c),
					       "name"));
			if (!strcmp(type, "integer") && !json_is_integer(cell))
				fail_msg("row %zu cell %zu: not an integer", r, c);
		}
	}
}

static void assert_age_cell(const json_t *cell)
{
	const char *s = json_string_value(cell);
	size_t n = s ? strlen(s) : 0;

	assert_true(n >= 2 && s[n - 1] == 's' && strspn(s, "0123456789") == n - 1);
}

static void test_list_table_pods(void **state)
{
	static const char *const cols[] = { "Name", "Ready", "Status", "Restarts", "Age", NULL };
	struct fx *f = *state;
	json_t *t;

	mkpod(f, "default", "web", "{'app':'web'}", NULL);
	t = EXPECT(f, 200, "GET", PODS, "Accept: " TABLE_ACCEPT, NULL);
	assert_non_null(strstr(f->content_type, "as=Table"));
	assert_str_at(t, "kind", "Table");
	assert_str_at(t, "apiVersion", "meta.k8s.io/v1");
	assert_non_null(jsget(t, "metadata.resourceVersion"));
	assert_columns(t, cols);
	assert_int_equal(json_array_size(json_object_get(t, "rows")), 1);
	assert_str_at(t, "rows[0].cells[0]", "web");
	assert_str_at(t, "rows[0].cells[1]", "0/1");
	assert_str_at(t, "rows[0].cells[2]", "Pending");
	assert_age_cell(jget(t, "rows[0].cells[4]"));
	assert_str_at(t, "rows[0].object.kind", "PartialObjectMetadata");
	assert_str_at(t, "rows[0].object.metadata.name", "web");
	/* kubectl prints RESTARTS as the string "0" (a string column, a string cell). */
	assert_str_at(t, "rows[0].cells[3]", "0");
	assert_cells_typed(t);

	/* One object as a Table. */
	t = EXPECT(f, 200, "GET", PODS "/web", "Accept: " TABLE_ACCEPT, NULL);
	assert_str_at(t, "kind", "Table");
	assert_str_at(t, "rows[0].cells[0]", "web");
	/* Without the Accept header: the plain list. */
	t = EXPECT(f, 200, "GET", PODS, NULL, NULL);
	assert_str_at(t, "kind", "PodList");
}

static void test_list_table_services(void **state)
{
	static const char *const cols[] = { "Name", "Type", "Cluster-IP", "External-IP", "Port(s)",
					    "Age", NULL };
	struct fx *f = *state;
	json_t *a = mksvc(f, 201, "a", "", "[{'name':'http','port':80},{'name':'dns','port':53,'protocol':'UDP'}]");
	json_t *t, *row;
	size_t i;

	mksvc(f, 201, "b", "'type':'NodePort',", "[{'port':80,'nodePort':30080}]");
	t = EXPECT(f, 200, "GET", SVC_PATH, "Accept: " TABLE_ACCEPT, NULL);
	assert_str_at(t, "kind", "Table");
	assert_columns(t, cols);
	assert_cells_typed(t);
	json_array_foreach(json_object_get(t, "rows"), i, row) {
		const char *name = jsget(row, "cells[0]");

		if (!strcmp(name, "a")) {
			assert_str_at(row, "cells[1]", "ClusterIP");
			assert_str_at(row, "cells[2]", jsget(a, "spec.clusterIP"));
			assert_str_at(row, "cells[3]", "<none>");
			assert_str_at(row, "cells[4]", "80/TCP,53/UDP");
		} else if (!strcmp(name, "b")) {
			assert_str_at(row, "cells[1]", "NodePort");
			assert_str_at(row, "cells[4]", "80:30080/TCP");
		} else {
			assert_string_equal(name, "kubernetes");
			assert_str_at(row, "cells[2]", "10.96.0.1");
			assert_str_at(row, "cells[4]", "443/TCP");
		}
	}
	assert_int_equal(json_array_size(json_object_get(t, "rows")), 3);
}

/* kubectl get endpointslices: PORTS and ENDPOINTS show 3 and "+ N more...", "<unset>"
 * for none (kube's listWithMoreString). */
static void test_list_table_endpointslices(void **state)
{
	static const char *const cols[] = { "Name", "AddressType", "Ports", "Endpoints", "Age",
					    NULL };
	struct fx *f = *state;
	const char *path = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
	json_t *t, *row;
	size_t i;

	EXPECT(f, 201, "POST", path, NULL, "{'metadata':{'name':'empty'},'addressType':'IPv4'}");
	EXPECT(f, 201, "POST", path, NULL,
	       "{'metadata':{'name':'full'},'addressType':'IPv4','ports':[{'port':1},"
	       "{'port':2},{'port':3},{'port':4}],'endpoints':[{'addresses':['10.0.0.1']},"
	       "{'addresses':['10.0.0.2']},{'addresses':['10.0.0.3']},"
	       "{'addresses':['10.0.0.4']},{'addresses':['10.0.0.5']}]}");
	t = EXPECT(f, 200, "GET", path, "Accept: " TABLE_ACCEPT, NULL);
	assert_columns(t, cols);
	assert_cells_typed(t);
	json_array_foreach(json_object_get(t, "rows"), i, row) {
		if (!strcmp(jsget(row, "cells[0]"), "empty")) {
			assert_str_at(row, "cells[2]", "<unset>");
			assert_str_at(row, "cells[3]", "<unset>");
		} else {
			assert_str_at(row, "cells[1]", "IPv4");
			assert_str_at(row, "cells[2]", "1,2,3 + 1 more...");
			assert_str_at(row, "cells[3]", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...");
		}
	}
	assert_int_equal(json_array_size(json_object_get(t, "rows")), 2);
}

/* ======================================================================================
 * watch
 * ====================================================================================== */

static void test_watch_from_resource_version(void **state)
{
	struct fx *f = *state;
	int64_t rv0 = list_rv(f, PODS), rv_add, rv_mod, rv_del;
	struct api_watch *w;
	json_t *pod, *got, *evs = new_array(f);

	pod = mkpod(f, "default", "p", "{'app':'web'}", NULL);
	rv_add = rv_of(pod);
	mkcm(f, "default", "noise", NULL); /* another resource: not in this watch */
	     got = EXPECT(f, 200, "PATCH", PODS "/p", MERGE, "{'metadata':{'labels':{'v':'2'}}}");
	rv_mod = rv_of(got);
	EXPECT_DROP(f, 200, "DELETE", PODS "/p", NULL, NULL);
	rv_del = list_rv(f, PODS);
	assert_true(rv_add < rv_mod && rv_mod < rv_del);

	w = open_watch(f, u(PODS "?watch=true&resourceVersion=%lld", (long long)rv0), NULL);
	assert_true(read_events(w, evs, 3, 2000));
	assert_int_equal(json_array_size(evs), 3);
	assert_event(json_array_get(evs, 0), "ADDED", "p", rv_add);
	assert_event(json_array_get(evs, 1), "MODIFIED", "p", rv_mod);
	assert_str_at(json_array_get(evs, 1), "object.metadata.labels.v", "2");
	/* The deletion's revision: a client that resumes from it must not see the delete again. */
	assert_event(json_array_get(evs, 2), "DELETED", "p", rv_del);
	assert_str_at(json_array_get(evs, 2), "object.kind", "Pod");

	/* Later events arrive on the open stream. */
	mkpod(f, "default", "q", NULL, NULL);
	assert_true(read_events(w, evs, 4, 2000));
	assert_event(json_array_get(evs, 3), "ADDED", "q", 0);
	close_watch(f, w);
}

static void test_watch_without_resource_version_starts_with_state(void **state)
{
	static const char *const starts[] = { "", "&resourceVersion=0" };
	struct fx *f = *state;
	size_t s;

	mkpod(f, "default", "a", NULL, NULL);
	mkpod(f, "default", "b", NULL, NULL);
	for (s = 0; s < ARRAY_SIZE(starts); s++) {
		struct api_watch *w = open_watch(f, u(PODS "?watch=1%s", starts[s]), NULL);
		json_t *evs = new_array(f);

		size_t i, have = 2 + s; /* a, b and the c<n> of earlier rounds */

		assert_true(read_events(w, evs, have, 2000));
		assert_int_equal(json_array_size(evs), have);
		assert_event(json_array_get(evs, 0), "ADDED", "a", 0);
		assert_event(json_array_get(evs, 1), "ADDED", "b", 0);
		for (i = 2; i < have; i++)
			assert_event(json_array_get(evs, i), "ADDED", u("c%zu", i - 2), 0);
		/* Nothing more until something happens. */
		assert_true(read_events(w, evs, have + 1, 300));
		assert_int_equal(json_array_size(evs), have);
		mkpod(f, "default", u("c%zu", s), NULL, NULL);
		assert_true(read_events(w, evs, have + 1, 2000));
		assert_int_equal(json_array_size(evs), have + 1);
		assert_event(json_array_get(evs, have), "ADDED", u("c%zu", s), 0);
		close_watch(f, w);
	}
}

static void test_watch_label_selector_transitions(void **state)
{
	struct fx *f = *state;
	json_t *evs = new_array(f), *got;
	struct api_watch *w;
	int64_t rv0, rv_leave, rv_enter, rv_mod;

	mkpod(f, "default", "p", "{'app':'web'}", NULL);
	mkpod(f, "default", "other", "{'app':'db'}", NULL);
	rv0 = list_rv(f, PODS);
	w = open_watch(f, u(PODS "?watch=true&labelSelector=app=web&resourceVersion=%lld",
			    (long long)rv0), NULL);

	got = EXPECT(f, 200, "PATCH", PODS "/p", MERGE, "{'metadata':{'labels':{'app':'db'}}}");
	rv_leave = rv_of(got);
	EXPECT_DROP(f, 200, "PATCH", PODS "/other", MERGE, "{'metadata':{'labels':{'x':'1'}}}");
	got = EXPECT(f, 200, "PATCH", PODS "/p", MERGE, "{'metadata':{'labels':{'app':'web'}}}");
	rv_enter = rv_of(got);
	got = EXPECT(f, 200, "PATCH", PODS "/p", MERGE, "{'metadata':{'labels':{'x':'2'}}}");
	rv_mod = rv_of(got);

	assert_true(read_events(w, evs, 3, 2000));
	assert_int_equal(json_array_size(evs), 3);
	/* Leaving the selection is a DELETED at the update's revision, carrying the object as
	 * it was when it last matched (Kubernetes' cacher). */
	assert_event(json_array_get(evs, 0), "DELETED", "p", rv_leave);
	assert_str_at(json_array_get(evs, 0), "object.metadata.labels.app", "web");
	assert_event(json_array_get(evs, 1), "ADDED", "p", rv_enter);
	assert_event(json_array_get(evs, 2), "MODIFIED", "p", rv_mod);
	/* Nothing about "other". */
	assert_true(read_events(w, evs, 4, 300));
	assert_int_equal(json_array_size(evs), 3);
	close_watch(f, w);
}

/* kubectl delete waits with a watch on one name. */
static void test_watch_field_selector_one_name(void **state)
{
	struct fx *f = *state;
	json_t *evs = new_array(f);
	struct api_watch *w;
	int64_t rv0;

	mkcm(f, "default", "a", NULL);
	mkcm(f, "default", "b", NULL);
	rv0 = list_rv(f, "/api/v1/namespaces/default/configmaps");
	w = open_watch(f, u("/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name=b"
			    "&resourceVersion=%lld", (long long)rv0), NULL);
	EXPECT_DROP(f, 200, "DELETE", "/api/v1/namespaces/default/configmaps/a", NULL, NULL);
	EXPECT_DROP(f, 200, "DELETE", "/api/v1/namespaces/default/configmaps/b", NULL, NULL);
	assert_true(read_events(w, evs, 2, 500));
	assert_int_equal(json_array_size(evs), 1);
	assert_event(json_array_get(evs, 0), "DELETED", "b", 0);
	close_watch(f, w);
}

static void test_watch_too_old_resource_version_expires(void **state)
{
	struct fx *f = *state;
	json_t *evs = new_array(f), *ev;
	struct api_watch *w;
	char buf[256];
	int i;

	for (i = 0; i < 40; i++)
		mkcm(f, "default", u("cm-%d", i), NULL);
	w = open_watch(f, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2", NULL);
	read_events(w, evs, 1, 2000);
	assert_int_equal(json_array_size(evs), 1);
	ev = json_array_get(evs, 0);
	assert_str_at(ev, "type", "ERROR");
	assert_status(json_object_get(ev, "object"), 410, "Expired");
	/* Then the stream ends. */
	assert_int_equal(api_watch_read(w, buf, sizeof(buf), 100), -1);
	close_watch(f, w);

	/* A recent revision still works. */
	w = open_watch(f, u("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=%lld",
			    (long long)list_rv(f, "/api/v1/namespaces/default/configmaps") - 3), NULL);
	evs = new_array(f);
	assert_true(read_events(w, evs, 3, 2000));
	assert_int_equal(json_array_size(evs), 3);
	assert_str_at(json_array_get(evs, 2), "type", "ADDED");
	close_watch(f, w);
}

static void test_watch_timeout_seconds_ends_stream(void **state)
{
	struct fx *f = *state;
	struct api_watch *w = open_watch(f, PODS "?watch=true&timeoutSeconds=1", NULL);
	char buf[4096];
	time_t t0 = time(NULL);
	ssize_t n = 0;

	while (time(NULL) - t0 < 5 && (n = api_watch_read(w, buf, sizeof(buf), 200)) >= 0)
		;
	assert_int_equal(n, -1);
	assert_true(time(NULL) - t0 <= 3);
	close_watch(f, w);
}

/* Slow: a bookmark comes after ~10 s of silence. */
static void test_watch_bookmarks_when_idle(void **state)
{
	struct fx *f = *state;
	int64_t rv = list_rv(f, PODS);
	struct api_watch *w = open_watch(f, u(PODS "?watch=true&allowWatchBookmarks=true&resourceVersion=%lld",
					      (long long)rv), NULL);
	json_t *evs = new_array(f), *ev;

	read_events(w, evs, 1, 15000);
	assert_int_equal(json_array_size(evs), 1);
	ev = json_array_get(evs, 0);
	assert_str_at(ev, "type", "BOOKMARK");
	assert_str_at(ev, "object.kind", "Pod");
	assert_str_at(ev, "object.apiVersion", "v1");
	assert_int_equal(rv_of(json_object_get(ev, "object")), rv);
	close_watch(f, w);
}

/* ======================================================================================
 * delete
 * ====================================================================================== */

static void test_delete_unbound_pod_is_immediate(void **state)
{
	struct fx *f = *state;
	json_t *got, *st;

	mkpod(f, "default", "p", NULL, NULL);
	got = EXPECT(f, 200, "DELETE", PODS "/p", NULL, NULL);
	assert_str_at(got, "kind", "Pod");
	assert_str_at(got, "metadata.name", "p");
	EXPECT_DROP(f, 404, "GET", PODS "/p", NULL, NULL);
	st = EXPECT(f, 404, "DELETE", PODS "/p", NULL, NULL);
	assert_status(st, 404, "NotFound");
	assert_str_at(st, "message", "pods \"p\" not found");
	assert_str_at(st, "details.name", "p");
	assert_str_at(st, "details.kind", "pods");
}

static void test_delete_bound_pod_is_graceful(void **state)
{
	struct fx *f = *state;
	json_t *got;
	struct tm tm = { 0 };
	long ahead;

	mkpod(f, "default", "p", NULL, "node-1");
	got = EXPECT(f, 200, "DELETE", PODS "/p", NULL, NULL);
	assert_non_null(jsget(got, "metadata.deletionTimestamp"));
	assert_int_at(got, "metadata.deletionGracePeriodSeconds", 30);
	/* deletionTimestamp is when the grace period ends. */
	assert_non_null(strptime(jsget(got, "metadata.deletionTimestamp"), "%Y-%m-%dT%H:%M:%SZ", &tm));
	ahead = (long)(timegm(&tm) - time(NULL));
	assert_true(ahead >= 25 && ahead <= 31);
	got = EXPECT(f, 200, "GET", PODS "/p", NULL, NULL);
	assert_non_null(jsget(got, "metadata.deletionTimestamp"));
	/* The table says Terminating. */
	got = EXPECT(f, 200, "GET", PODS "/p", "Accept: " TABLE_ACCEPT, NULL);
	assert_str_at(got, "rows[0].cells[2]", "Terminating");

	/* A shorter grace period shortens it. */
	got = EXPECT(f, 200, "DELETE", PODS "/p", NULL, "{'gracePeriodSeconds':10}");
	assert_int_at(got, "metadata.deletionGracePeriodSeconds", 10);
	EXPECT_DROP(f, 200, "GET", PODS "/p", NULL, NULL);

	/* The kubelet's confirmation (or --force): grace 0 removes it. */
	EXPECT_DROP(f, 200, "DELETE", PODS "/p?gracePeriodSeconds=0", NULL, NULL);
	EXPECT_DROP(f, 404, "GET", PODS "/p", NULL, NULL);
}

static void test_delete_finalizers_hold_object(void **state)
{
	struct fx *f = *state;
	json_t *got, *l, *evs = new_array(f);
	struct api_watch *w;

	EXPECT(f, 201, "POST", "/api/v1/namespaces/default/configmaps", NULL,
	       "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'conf',"
	       "'finalizers':['example.com/a','example.com/b']},'data':{'a':'1'}}");
	got = EXPECT(f, 200, "DELETE", CM_PATH, NULL, NULL);
	assert_non_null(jsget(got, "metadata.deletionTimestamp"));
	got = EXPECT(f, 200, "GET", CM_PATH, NULL, NULL);
	assert_non_null(jsget(got, "metadata.deletionTimestamp"));
	assert_int_equal(json_array_size(jget(got, "metadata.finalizers")), 2);
	w = open_watch(f, u("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=%lld",
			    (long long)list_rv(f, PODS)), NULL);

	/* One finalizer left: still there. */
	got = EXPECT(f, 200, "PATCH", CM_PATH, MERGE, "{'metadata':{'finalizers':['example.com/b']}}");
	assert_non_null(jsget(got, "metadata.deletionTimestamp"));
	EXPECT_DROP(f, 200, "GET", CM_PATH, NULL, NULL);
	/* The last one gone: so is the object. */
	EXPECT_DROP(f, 200, "PATCH", CM_PATH, JSONPATCH, "[{'op':'remove','path':'/metadata/finalizers'}]");
	EXPECT_DROP(f, 404, "GET", CM_PATH, NULL, NULL);
	l = EXPECT(f, 200, "GET", "/api/v1/namespaces/default/configmaps", NULL, NULL);
	assert_list_names(l, "", "after finalization");
	assert_true(read_events(w, evs, 3, 2000));
	assert_int_equal(json_array_size(evs), 3);
	assert_event(json_array_get(evs, 0), "MODIFIED", "conf", 0);
	assert_event(json_array_get(evs, 1), "MODIFIED", "conf", 0);
	assert_event(json_array_get(evs, 2), "DELETED", "conf", 0);
	close_watch(f, w);
}

static void test_delete_propagation_policy(void **state)
{
	static const struct {
		const char *query, *body, *finalizer; /* finalizer NULL: gone at once */
	} cases[] = {
		{ "?propagationPolicy=Foreground", NULL, "foregroundDeletion" },
		{ "", "{'kind':'DeleteOptions','apiVersion':'v1','propagationPolicy':'Foreground'}",
		  "foregroundDeletion" },
		{ "?propagationPolicy=Orphan", NULL, "orphan" },
		{ "", "{'propagationPolicy':'Orphan'}", "orphan" },
		{ "?propagationPolicy=Background", NULL, NULL },
		{ "", "{'propagationPolicy':'Background'}", NULL },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *got;

		print_message("propagation: %s%s\n", cases[i].query, cases[i].body ? cases[i].body : "");
		mkdeploy(f);
		got = cases[i].body ?
			EXPECT(f, 200, "DELETE", u(DEPLOYMENTS "/web%s", cases[i].query), NULL, "%s", cases[i].body) :
			       EXPECT(f, 200, "DELETE", u(DEPLOYMENTS "/web%s", cases[i].query), NULL, NULL);
		if (!cases[i].finalizer) {
			EXPECT_DROP(f, 404, "GET", DEPLOYMENTS "/web", NULL, NULL);
			continue;
		}
		got = EXPECT(f, 200, "GET", DEPLOYMENTS "/web", NULL, NULL);
		assert_non_null(jsget(got, "metadata.deletionTimestamp"));
		assert_int_equal(json_array_size(jget(got, "metadata.finalizers")), 1);
		assert_str_at(got, "metadata.finalizers[0]", cases[i].finalizer);
		/* The garbage collector's part: drop the finalizer, and it goes. */
		EXPECT_DROP(f, 200, "PATCH", DEPLOYMENTS "/web", MERGE, "{'metadata':{'finalizers':null}}");
		EXPECT_DROP(f, 404, "GET", DEPLOYMENTS "/web", NULL, NULL);
	}
	mkdeploy(f);
	EXPECT_DROP(f, 422, "DELETE", DEPLOYMENTS "/web?propagationPolicy=Sometimes", NULL, NULL);
	EXPECT_DROP(f, 200, "GET", DEPLOYMENTS "/web", NULL, NULL);
}

/* An explicit policy replaces the garbage collector's finalizer, also on an object already
 * being deleted (kubectl delete --cascade=orphan after --cascade=foreground); Background
 * removes it, and an object left without finalizers goes. Other finalizers stay. */
static void test_delete_propagation_replaces_gc_finalizer(void **state)
{
	struct fx *f = *state;
	json_t *got;

	mkdeploy(f);
	EXPECT_DROP(f, 200, "DELETE", DEPLOYMENTS "/web?propagationPolicy=Foreground", NULL, NULL);
	got = EXPECT(f, 200, "DELETE", DEPLOYMENTS "/web?propagationPolicy=Orphan", NULL, NULL);
	assert_int_equal(json_array_size(jget(got, "metadata.finalizers")), 1);
	assert_str_at(got, "metadata.finalizers[0]", "orphan");
	/* The deprecated orphanDependents: false is Background: no finalizer left, gone. */
	EXPECT_DROP(f, 422, "DELETE", DEPLOYMENTS "/web", NULL,
		    "{'orphanDependents':false,'propagationPolicy':'Background'}");
	EXPECT_DROP(f, 200, "DELETE", DEPLOYMENTS "/web", NULL, "{'orphanDependents':false}");
	EXPECT_DROP(f, 404, "GET", DEPLOYMENTS "/web", NULL, NULL);

	EXPECT_DROP(f, 201, "POST", "/api/v1/namespaces/default/configmaps", NULL,
		    "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'conf',"
		    "'finalizers':['example.com/keep']}}");
	got = EXPECT(f, 200, "DELETE", CM_PATH "?propagationPolicy=Foreground", NULL, NULL);
	assert_int_equal(json_array_size(jget(got, "metadata.finalizers")), 2);
	assert_str_at(got, "metadata.finalizers[1]", "foregroundDeletion");
	got = EXPECT(f, 200, "DELETE", CM_PATH "?propagationPolicy=Background", NULL, NULL);
	assert_int_equal(json_array_size(jget(got, "metadata.finalizers")), 1);
	assert_str_at(got, "metadata.finalizers[0]", "example.com/keep");
	EXPECT_DROP(f, 200, "GET", CM_PATH, NULL, NULL);
	EXPECT_DROP(f, 200, "PATCH", CM_PATH, MERGE, "{'metadata':{'finalizers':null}}");
	EXPECT_DROP(f, 404, "GET", CM_PATH, NULL, NULL);
}

static void test_delete_preconditions(void **state)
{
	struct fx *f = *state;
	json_t *cm = mkcm(f, "default", "conf", NULL), *cur, *st;
	int64_t stale = rv_of(cm);

	cur = EXPECT(f, 200, "PATCH", CM_PATH, MERGE, "{'data':{'a':'2'}}");
	st = EXPECT(f, 409, "DELETE", CM_PATH, NULL,
		    "{'preconditions':{'uid':'00000000-0000-4000-8000-000000000000'}}");
	assert_status(st, 409, "Conflict");
	assert_contains(jsget(st, "message"), "Precondition failed", "uid precondition");
	st = EXPECT(f, 409, "DELETE", CM_PATH, NULL, "{'preconditions':{'resourceVersion':'%lld'}}",
		    (long long)stale);
	assert_status(st, 409, "Conflict");
	EXPECT_DROP(f, 200, "GET", CM_PATH, NULL, NULL);
	EXPECT_DROP(f, 200, "DELETE", CM_PATH, NULL,
		    "{'preconditions':{'uid':'%s','resourceVersion':'%lld'}}",
		    jsget(cur, "metadata.uid"), (long long)rv_of(cur));
	EXPECT_DROP(f, 404, "GET", CM_PATH, NULL, NULL);
}

static void test_deletecollection_label_selector(void **state)
{
	struct fx *f = *state;
	json_t *got;

	mkns(f, "other");
	mkpod(f, "default", "a1", "{'app':'a'}", NULL);
	mkpod(f, "default", "a2", "{'app':'a'}", NULL);
	mkpod(f, "default", "b1", "{'app':'b'}", NULL);
	mkpod(f, "other", "a3", "{'app':'a'}", NULL);
	got = EXPECT(f, 200, "DELETE", PODS "?labelSelector=app=a", NULL, NULL);
	assert_list_names(got, "a1,a2", "deletecollection answer");
	got = EXPECT(f, 200, "GET", PODS, NULL, NULL);
	assert_list_names(got, "b1", "left in default");
	got = EXPECT(f, 200, "GET", "/api/v1/namespaces/other/pods", NULL, NULL);
	assert_list_names(got, "a3", "other namespace untouched");
}

/* ======================================================================================
 * binding and scale
 * ====================================================================================== */

#define BINDING(pod, node)                                                                   \
	"{'apiVersion':'v1','kind':'Binding','metadata':{'name':'" pod "'},"                 \
	"'target':{'apiVersion':'v1','kind':'Node','name':'" node "'}}"

static void test_binding(void **state)
{
	struct fx *f = *state;
	json_t *got, *st, *c;
	size_t i, scheduled = 0;

	mkpod(f, "default", "p", NULL, NULL);
	got = EXPECT(f, 201, "POST", PODS "/p/binding", NULL, BINDING("p", "node-1"));
	assert_str_at(got, "kind", "Status");
	assert_str_at(got, "status", "Success");
	got = EXPECT(f, 200, "GET", PODS "/p", NULL, NULL);
	assert_str_at(got, "spec.nodeName", "node-1");
	json_array_foreach(jget(got, "status.conditions"), i, c)
		if (!strcmp(jsget(c, "type") ?: "", "PodScheduled")) {
			scheduled++;
			assert_str_at(c, "status", "True");
		}
	assert_int_equal(scheduled, 1);
	/* The scheduler's field selector sees it bound now. */
	got = EXPECT(f, 200, "GET", PODS "?fieldSelector=spec.nodeName=node-1", NULL, NULL);
	assert_list_names(got, "p", "bound pods");

	st = EXPECT(f, 409, "POST", PODS "/p/binding", NULL, BINDING("p", "node-2"));
	assert_status(st, 409, "Conflict");
	assert_contains(jsget(st, "message"), "already assigned", "rebinding");
	got = EXPECT(f, 200, "GET", PODS "/p", NULL, NULL);
	assert_str_at(got, "spec.nodeName", "node-1");
	st = EXPECT(f, 404, "POST", PODS "/nope/binding", NULL, BINDING("nope", "node-1"));
	assert_status(st, 404, "NotFound");
}

static void test_scale_subresource(void **state)
{
	struct fx *f = *state;
	json_t *s, *d, *st;
	int64_t stale;

	mkdeploy(f);
	s = EXPECT(f, 200, "GET", DEPLOYMENTS "/web/scale", NULL, NULL);
	assert_str_at(s, "kind", "Scale");
	assert_str_at(s, "apiVersion", "autoscaling/v1");
	assert_str_at(s, "metadata.name", "web");
	assert_str_at(s, "metadata.namespace", "default");
	assert_int_at(s, "spec.replicas", 3);
	assert_str_at(s, "status.selector", "app=web");
	stale = rv_of(s);

	/* kubectl scale --replicas=5 (PUT form). */
	s = EXPECT(f, 200, "PUT", DEPLOYMENTS "/web/scale", NULL,
		   "{'apiVersion':'autoscaling/v1','kind':'Scale','metadata':{'name':'web',"
		   "'namespace':'default'},'spec':{'replicas':5}}");
	assert_int_at(s, "spec.replicas", 5);
	assert_str_at(s, "kind", "Scale");
	d = EXPECT(f, 200, "GET", DEPLOYMENTS "/web", NULL, NULL);
	assert_int_at(d, "spec.replicas", 5);
	assert_int_at(d, "metadata.generation", 2);

	/* kubectl scale (PATCH form). */
	s = EXPECT(f, 200, "PATCH", DEPLOYMENTS "/web/scale", MERGE, "{'spec':{'replicas':2}}");
	assert_int_at(s, "spec.replicas", 2);
	d = EXPECT(f, 200, "GET", DEPLOYMENTS "/web", NULL, NULL);
	assert_int_at(d, "spec.replicas", 2);

	/* Optimistic concurrency and validation apply. */
	st = EXPECT(f, 409, "PUT", DEPLOYMENTS "/web/scale", NULL,
		    "{'apiVersion':'autoscaling/v1','kind':'Scale','metadata':{'name':'web',"
		    "'namespace':'default','resourceVersion':'%lld'},'spec':{'replicas':7}}",
		    (long long)stale);
	assert_status(st, 409, "Conflict");
	st = EXPECT(f, 422, "PATCH", DEPLOYMENTS "/web/scale", MERGE, "{'spec':{'replicas':-1}}");
	assert_status(st, 422, "Invalid");
	EXPECT_DROP(f, 404, "GET", DEPLOYMENTS "/nope/scale", NULL, NULL);
	d = EXPECT(f, 200, "GET", DEPLOYMENTS "/web", NULL, NULL);
	assert_int_at(d, "spec.replicas", 2);
}

/* ======================================================================================
 * namespaces
 * ====================================================================================== */

static void test_namespace_delete_terminates(void **state)
{
	struct fx *f = *state;
	json_t *ns, *st;

	mkns(f, "doomed");
	ns = EXPECT(f, 200, "GET", "/api/v1/namespaces/doomed", NULL, NULL);
	assert_str_at(ns, "status.phase", "Active");
	assert_str_at(ns, "spec.finalizers[0]", "kubernetes");
	mkpod(f, "doomed", "p", NULL, NULL);

	ns = EXPECT(f, 200, "DELETE", "/api/v1/namespaces/doomed", NULL, NULL);
	assert_str_at(ns, "status.phase", "Terminating");
	assert_non_null(jsget(ns, "metadata.deletionTimestamp"));
	/* The "kubernetes" finalizer keeps it until the namespace controller empties it. */
	ns = EXPECT(f, 200, "GET", "/api/v1/namespaces/doomed", NULL, NULL);
	assert_str_at(ns, "status.phase", "Terminating");
	assert_non_null(jsget(ns, "metadata.deletionTimestamp"));
	assert_str_at(ns, "spec.finalizers[0]", "kubernetes");
	st = EXPECT(f, 403, "POST", "/api/v1/namespaces/doomed/configmaps", NULL,
		    "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'late'}}");
	assert_status(st, 403, "Forbidden");
	assert_contains(jsget(st, "message"), "being terminated", "terminating namespace");
	/* What is inside can still be read and deleted. */
	EXPECT_DROP(f, 200, "GET", "/api/v1/namespaces/doomed/pods/p", NULL, NULL);
	EXPECT_DROP(f, 200, "DELETE", "/api/v1/namespaces/doomed/pods/p", NULL, NULL);
}

/* The namespace controller's paths: namespaces/{name}/status for its conditions (not a
 * namespaced resource called "status"), and /finalize, whose emptied spec.finalizers lets
 * a terminating namespace go. */
static void test_namespace_status_and_finalize(void **state)
{
	struct fx *f = *state;
	json_t *ns;
	char *body;

	mkns(f, "emptied");
	ns = EXPECT(f, 200, "DELETE", "/api/v1/namespaces/emptied", NULL, NULL);
	json_object_set_new(json_object_get(ns, "status"), "conditions",
			    json_pack("[{s:s,s:s,s:s,s:s}]", "type", "NamespaceContentRemaining",
				      "status", "False", "reason", "ContentRemoved", "message",
				      "All content successfully removed"));
	body = json_dumps(ns, JSON_COMPACT);
	ns = EXPECT(f, 200, "PUT", "/api/v1/namespaces/emptied/status", NULL, "%s", body);
	free(body);
	assert_str_at(ns, "status.conditions[0].reason", "ContentRemoved");
	assert_str_at(ns, "status.phase", "Terminating");
	json_object_set_new(json_object_get(ns, "spec"), "finalizers", json_array());
	body = json_dumps(ns, JSON_COMPACT);
	EXPECT_DROP(f, 200, "PUT", "/api/v1/namespaces/emptied/finalize", NULL, "%s", body);
	free(body);
	EXPECT_DROP(f, 404, "GET", "/api/v1/namespaces/emptied", NULL, NULL);
}

/* ======================================================================================
 * discovery and OpenAPI
 * ====================================================================================== */

static const json_t *resource_entry(const json_t *list, const char *name)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(list, "resources"), i, r)
		if (!strcmp(jsget(r, "name") ?: "", name))
			return r;
	fail_msg("discovery has no %s", name);
	return NULL;
}

static bool has_string(const json_t *arr, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_string_value(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static void test_discovery_core(void **state)
{
	static const char *const verbs[] = { "get", "list", "watch", "create", "update", "patch",
					     "delete", "deletecollection" };
	struct fx *f = *state;
	json_t *l = EXPECT(f, 200, "GET", "/api/v1", NULL, NULL), *api;
	const json_t *pods, *e;
	size_t i;

	assert_str_at(l, "kind", "APIResourceList");
	assert_str_at(l, "groupVersion", "v1");
	pods = resource_entry(l, "pods");
	assert_str_at(pods, "kind", "Pod");
	assert_str_at(pods, "singularName", "pod");
	assert_true(json_is_true(json_object_get(pods, "namespaced")));
	assert_int_equal(json_array_size(json_object_get(pods, "shortNames")), 1);
	assert_str_at(pods, "shortNames[0]", "po");
	assert_int_equal(json_array_size(json_object_get(pods, "categories")), 1);
	assert_str_at(pods, "categories[0]", "all");
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		assert_true(has_string(json_object_get(pods, "verbs"), verbs[i]));
	e = resource_entry(l, "pods/status");
	assert_str_at(e, "kind", "Pod");
	assert_true(has_string(json_object_get(e, "verbs"), "update"));
	e = resource_entry(l, "pods/binding");
	assert_str_at(e, "kind", "Binding");
	assert_true(has_string(json_object_get(e, "verbs"), "create"));
	e = resource_entry(l, "namespaces");
	assert_true(json_is_false(json_object_get(e, "namespaced")));
	e = resource_entry(l, "services");
	assert_true(has_string(json_object_get(e, "shortNames"), "svc"));
	assert_true(has_string(json_object_get(e, "categories"), "all"));

	api = EXPECT(f, 200, "GET", "/api", NULL, NULL);
	assert_str_at(api, "kind", "APIVersions");
	assert_str_at(api, "versions[0]", "v1");
}

static void test_discovery_apps(void **state)
{
	struct fx *f = *state;
	json_t *l = EXPECT(f, 200, "GET", "/apis/apps/v1", NULL, NULL), *groups;
	const json_t *e, *g;
	size_t i;
	bool apps = false;

	assert_str_at(l, "groupVersion", "apps/v1");
	e = resource_entry(l, "deployments");
	assert_str_at(e, "kind", "Deployment");
	assert_true(has_string(json_object_get(e, "shortNames"), "deploy"));
	assert_true(has_string(json_object_get(e, "categories"), "all"));
	e = resource_entry(l, "deployments/scale");
	assert_str_at(e, "group", "autoscaling");
	assert_str_at(e, "version", "v1");
	assert_str_at(e, "kind", "Scale");
	assert_true(has_string(json_object_get(e, "verbs"), "patch"));
	e = resource_entry(l, "deployments/status");
	assert_str_at(e, "kind", "Deployment");

	groups = EXPECT(f, 200, "GET", "/apis", NULL, NULL);
	assert_str_at(groups, "kind", "APIGroupList");
	json_array_foreach(json_object_get(groups, "groups"), i, g)
		if (!strcmp(jsget(g, "name") ?: "", "apps")) {
			apps = true;
			assert_str_at(g, "preferredVersion.groupVersion", "apps/v1");
		}
	assert_true(apps);
}

static void test_version(void **state)
{
	struct fx *f = *state;
	json_t *v = EXPECT(f, 200, "GET", "/version", NULL, NULL);
	const char *minor = jsget(v, "minor");

	assert_str_at(v, "major", "1");
	assert_non_null(minor);
	assert_true(*minor && strspn(minor, "0123456789") == strlen(minor));
	assert_int_equal(strncmp(jsget(v, "gitVersion") ?: "", "v1.", 3), 0);
	assert_non_null(jsget(v, "platform"));
}

/* kubectl finds the PATCH operation of a kind through x-kubernetes-group-version-kind and
 * leaves validation to the server when it has a fieldValidation parameter. */
static void test_openapi_v3(void **state)
{
	struct fx *f = *state;
	json_t *root = EXPECT(f, 200, "GET", "/openapi/v3", NULL, NULL), *doc, *ops;
	const json_t *paths = json_object_get(root, "paths");
	const char *core = jsget(json_object_get(paths, "api/v1"), "serverRelativeURL");
	const char *apps = jsget(json_object_get(paths, "apis/apps/v1"), "serverRelativeURL");
	const char *path;
	bool found = false;

	assert_non_null(core);
	assert_int_equal(strncmp(core, "/openapi/v3/api/v1", 18), 0);
	assert_non_null(apps);
	assert_int_equal(strncmp(apps, "/openapi/v3/apis/apps/v1", 24), 0);

	doc = EXPECT(f, 200, "GET", apps, NULL, NULL);
	assert_non_null(jsget(doc, "openapi"));
	json_object_foreach(json_object_get(doc, "paths"), path, ops) {
		const json_t *patch = json_object_get(ops, "patch"), *p;
		const json_t *gvk = json_object_get(patch, "x-kubernetes-group-version-kind");
		size_t i;

		if (!gvk || strcmp(jsget(gvk, "kind") ?: "", "Deployment"))
			continue;
		assert_str_at(gvk, "group", "apps");
		assert_str_at(gvk, "version", "v1");
		json_array_foreach(json_object_get(patch, "parameters"), i, p)
			if (!strcmp(jsget(p, "name") ?: "", "fieldValidation") &&
			    !strcmp(jsget(p, "in") ?: "", "query"))
				found = true;
	}
	assert_true(found);
	/* kubectl explain reads the kind's schema. */
	assert_non_null(json_object_get(json_object_get(jget(doc, "components"), "schemas"),
					"io.k8s.api.apps.v1.Deployment"));

	doc = EXPECT(f, 200, "GET", core, NULL, NULL);
	assert_non_null(json_object_get(json_object_get(doc, "paths"),
					"/api/v1/namespaces/{namespace}/pods/{name}"));
}

/* ======================================================================================
 * errors
 * ====================================================================================== */

static void test_errors_not_found(void **state)
{
	static const struct {
		const char *method, *url;
		int code;
		const char *reason;
	} cases[] = {
		{ "GET", "/api/v1/foos", 404, "NotFound" },
		{ "GET", "/api/v2/pods", 404, "NotFound" },
		{ "GET", "/apis/nope.example.com/v1/things", 404, "NotFound" },
		{ "GET", "/apis/apps/v1/namespaces/default/pods", 404, "NotFound" },
		{ "GET", "/nope", 404, "NotFound" },
		{ "GET", "/api/v1/namespaces/default/pods/p/nosuchsub", 404, "NotFound" },
		{ "GET", "/api/v1/namespaces/default/pods/nope", 404, "NotFound" },
		{ "PUT", "/api/v1/namespaces/default/pods", 405, "MethodNotAllowed" },
	};
	struct fx *f = *state;
	size_t i;

	mkpod(f, "default", "p", NULL, NULL);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *st;

		print_message("%s %s\n", cases[i].method, cases[i].url);
		st = !strcmp(cases[i].method, "PUT") ?
			EXPECT(f, cases[i].code, cases[i].method, cases[i].url, NULL, "{}") :
			       EXPECT(f, cases[i].code, cases[i].method, cases[i].url, NULL, NULL);
		assert_status(st, cases[i].code, cases[i].reason);
	}
}

static void test_errors_body(void **state)
{
	struct fx *f = *state;
	struct api_resp r;
	char *big = malloc(API_MAX_BODY + 2);
	json_t *st;

	/* Over the limit: 413, whatever the body. */
	assert_non_null(big);
	memset(big, ' ', API_MAX_BODY + 1);
	big[0] = '{';
	big[API_MAX_BODY] = '}';
	raw_call(f, "POST", "/api/v1/namespaces/default/configmaps", NULL, big, API_MAX_BODY + 1, &r);
	free(big);
	assert_int_equal(r.code, 413);
	st = json_loadb(r.body, r.len, 0, NULL);
	json_array_append_new(f->owned, st);
	api_resp_free(&r);
	assert_status(st, 413, "RequestEntityTooLarge");

	/* Malformed JSON: 400 that says where. */
	st = EXPECT(f, 400, "POST", "/api/v1/namespaces/default/configmaps", NULL,
		    "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x',}}");
	assert_status(st, 400, "BadRequest");
	assert_contains(jsget(st, "message"), "column", "parse error position");
	st = EXPECT(f, 400, "PATCH", CM_PATH, MERGE, "{'data':");
	/* Empty body. */
	raw_call(f, "POST", "/api/v1/namespaces/default/configmaps", NULL, "", 0, &r);
	assert_int_equal(r.code, 400);
	api_resp_free(&r);
	/* Not an object. */
	st = EXPECT(f, 400, "POST", "/api/v1/namespaces/default/configmaps", NULL, "['a']");
	assert_status(st, 400, "BadRequest");
	/* Nothing was created. */
	st = EXPECT(f, 200, "GET", "/api/v1/namespaces/default/configmaps", NULL, NULL);
	assert_list_names(st, "", "after refused creates");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_create_sets_metadata),
		T(test_create_generate_name),
		T(test_create_already_exists),
		T(test_create_errors),
		T(test_create_dry_run),
		T(test_update_stale_rv_conflict),
		T(test_update_without_rv_is_unconditional),
		T(test_update_status_subresource),
		T(test_update_generation),
		T(test_update_immutable_fields),
		T(test_patch_merge),
		T(test_patch_json_patch),
		T(test_patch_strategic_merges_containers_by_name),
		T(test_patch_unsupported_content_type),
		T(test_patch_resource_version_precondition),
		T(test_pod_defaults),
		T(test_pod_qos_class),
		T(test_service_defaults),
		T(test_deployment_defaults),
		T(test_validation_causes),
		T(test_nodeport_auto_allocated),
		T(test_nodeport_already_allocated),
		T(test_cluster_ip_requested),
		T(test_service_delete_releases_allocations),
		T(test_service_type_change_releases_node_port),
		T(test_service_type_patch_drops_node_port),
		T(test_field_validation),
		T(test_list_label_selectors),
		T(test_list_field_selectors),
		T(test_list_paging),
		T(test_list_all_namespaces),
		T(test_list_table_pods),
		T(test_list_table_services),
		T(test_list_table_endpointslices),
		T(test_watch_from_resource_version),
		T(test_watch_without_resource_version_starts_with_state),
		T(test_watch_label_selector_transitions),
		T(test_watch_field_selector_one_name),
		cmocka_unit_test_setup_teardown(test_watch_too_old_resource_version_expires,
						setup_small_ring, teardown),
		T(test_watch_timeout_seconds_ends_stream),
		T(test_watch_bookmarks_when_idle),
		T(test_delete_unbound_pod_is_immediate),
		T(test_delete_bound_pod_is_graceful),
		T(test_delete_finalizers_hold_object),
		T(test_delete_propagation_policy),
		T(test_delete_propagation_replaces_gc_finalizer),
		T(test_delete_preconditions),
		T(test_deletecollection_label_selector),
		T(test_binding),
		T(test_scale_subresource),
		T(test_namespace_delete_terminates),
		T(test_namespace_status_and_finalize),
		T(test_discovery_core),
		T(test_discovery_apps),
		T(test_version),
		T(test_openapi_v3),
		T(test_errors_not_found),
		T(test_errors_body),
	};

	/* KBPF_QUICK=1 leaves out the ~10 s bookmark test. */
	if (getenv("KBPF_QUICK"))
		cmocka_set_skip_filter("test_watch_bookmarks_when_idle");
	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
