/* api.c — the Kubernetes REST semantics: routing, get/list/watch/create/update/patch/
 * delete/deletecollection, metadata rules, optimistic concurrency, graceful deletion,
 * finalizers, selectors, paging and Table output. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "jsonpatch.h"
#include "k8s_proto.h"
#include "selector.h"
#include "views.h"

#define KEY_MAX 512
#define CONTENT_JSON "application/json"

/* --- responses --- */

static void respond(struct api_resp *r, int code, char *body)
{
	r->code = code;
	r->content_type = CONTENT_JSON;
	r->body = body;
	r->len = body ? strlen(body) : 0;
}

static const char *reason_of(int code)
{
	switch (code) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 406: return "NotAcceptable";
	case 409: return "Conflict";
	case 410: return "Expired";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 504: return "Timeout";
	default: return "InternalError";
	}
}

static void fail(struct api_resp *r, int code, const char *reason, const char *name,
		 const char *group, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void fail(struct api_resp *r, int code, const char *reason, const char *name,
		 const char *group, const char *kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	respond(r, code, status_json(code, reason ? reason : reason_of(code), msg, name, group,
				     kind, NULL));
}

static void fail_invalid(struct api_resp *r, const struct resource *res, const char *name,
			 const struct errlist *e)
{
	char *msg = invalid_message(res->kind, name, e);

	respond(r, 422, status_json(422, "Invalid", msg ? msg : "invalid", name, res->group,
				    res->kind, e));
	free(msg);
}

static void not_found(struct api_resp *r, const struct resource *res, const char *name)
{
	fail(r, 404, "NotFound", name, res->group, res->plural, "%s%s%s \"%s\" not found",
	     res->plural, *res->group ? "." : "", res->group, name);
}

/* --- keys and per-object data --- */

static int object_key(char *buf, size_t len, const struct resource *res, const char *ns,
		      const char *name)
{
	int n = res->namespaced ? snprintf(buf, len, "%s/%s/%s", res->plural, ns, name) :
				  snprintf(buf, len, "%s/%s", res->plural, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static const struct resource *resource_of_key(const char *key)
{
	size_t n = strcspn(key, "/");
	unsigned i;

	for (i = 0; i < n_resources; i++)
		if (strlen(resources[i]->plural) == n && !strncmp(resources[i]->plural, key, n))
			return resources[i];
	return NULL;
}

static char *field_string(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_true(v))
		return strdup("true");
	if (json_is_false(v))
		return strdup("false");
	if (json_is_integer(v)) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%lld", json_integer_value(v));
		return strdup(buf);
	}
	return NULL;
}

/* What selectors need of an object, taken from its parsed form. */
static struct obj_meta *meta_of(const struct resource *res, const json_t *obj)
{
	struct obj_meta *m = calloc(1, sizeof(*m));
	size_t n = 0, i;

	if (!m)
		return NULL;
	m->res = res;
	m->name = strdup(jstr(obj, "metadata.name") ? jstr(obj, "metadata.name") : "");
	m->ns = strdup(jstr(obj, "metadata.namespace") ? jstr(obj, "metadata.namespace") : "");
	m->labels = json_incref(jpath(obj, "metadata.labels"));
	if (m->res && m->res->field_selectors) {
		while (m->res->field_selectors[n])
			n++;
		m->fields = calloc(n + 1, sizeof(char *));
		for (i = 0; m->fields && i < n; i++)
			m->fields[i] = field_string(jpath(obj, m->res->field_selectors[i]));
	}
	return m;
}

static void *make_meta(const char *key, const char *json, size_t len)
{
	json_t *obj = json_loadb(json, len, 0, NULL);
	struct obj_meta *m = obj ? meta_of(resource_of_key(key), obj) : NULL;

	json_decref(obj);
	return m;
}

static void free_meta(void *p)
{
	struct obj_meta *m = p;
	size_t i;

	if (!m)
		return;
	for (i = 0; m->fields && m->res && m->res->field_selectors[i]; i++)
		free(m->fields[i]);
	free(m->fields);
	free(m->name);
	free(m->ns);
	json_decref(m->labels);
	free(m);
}

const struct store_hooks api_store_hooks = { make_meta, free_meta };

struct field_ctx {
	const struct obj_meta *m;
};

static const char *meta_field(const char *field, void *ctx)
{
	const struct obj_meta *m = ((struct field_ctx *)ctx)->m;
	size_t i;

	if (!strcmp(field, "metadata.name"))
		return m->name;
	if (!strcmp(field, "metadata.namespace"))
		return m->ns;
	for (i = 0; m->fields && m->res->field_selectors[i]; i++)
		if (!strcmp(field, m->res->field_selectors[i]))
			return m->fields[i];
	return NULL;
}

/* --- request parsing --- */

struct route {
	const char *group;   /* "" core */
	const char *version;
	const struct resource *res;
	char ns[254];
	char name[254];
	char sub[32];        /* status, scale, binding, finalize */
	bool has_ns, has_name;
};

static int split(const char *path, char parts[][254], int max)
{
	int n = 0;

	while (*path == '/')
		path++;
	while (*path && n < max) {
		size_t l = strcspn(path, "/");

		if (l >= 254)
			return -1;
		memcpy(parts[n], path, l);
		parts[n][l] = 0;
		n++;
		path += l;
		while (*path == '/')
			path++;
	}
	return *path ? -1 : n;
}

/* /api/v1/... and /apis/G/V/... into a route; 0, or -1 when the path names no resource. */
static int parse_route(const char *path, struct route *rt, char parts[][254], int n)
{
	int i;

	memset(rt, 0, sizeof(*rt));
	if (n >= 2 && !strcmp(parts[0], "api")) {
		rt->group = "";
		rt->version = parts[1];
		i = 2;
	} else if (n >= 3 && !strcmp(parts[0], "apis")) {
		rt->group = parts[1];
		rt->version = parts[2];
		i = 3;
	} else {
		return -1;
	}
	(void)path;
	if (i >= n)
		return -1;
	/* namespaces/{ns}/{resource}...: a namespaced resource (namespaces/{name}/status and
	 * /finalize are the namespace's own subresources). */
	if (!strcmp(parts[i], "namespaces") && i + 2 < n &&
	    resource_find(rt->group, rt->version, parts[i + 2])) {
		snprintf(rt->ns, sizeof(rt->ns), "%s", parts[i + 1]);
		rt->has_ns = true;
		i += 2;
	}
	rt->res = resource_find(rt->group, rt->version, parts[i]);
	if (!rt->res)
		return -1;
	i++;
	if (i < n) {
		snprintf(rt->name, sizeof(rt->name), "%s", parts[i]);
		rt->has_name = true;
		i++;
	}
	if (i < n) {
		snprintf(rt->sub, sizeof(rt->sub), "%s", parts[i]);
		i++;
	}
	if (i < n)
		return -1;
	if (rt->res->namespaced != rt->has_ns && !(rt->res->namespaced && !rt->has_name))
		return -1;
	return 0;
}

/* Go's strconv.ParseBool, which the apiserver uses for query booleans (the Python client
 * sends "True"). */
static bool truthy(const char *s)
{
	return s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") ||
		     !strcmp(s, "t") || !strcmp(s, "T") || !strcmp(s, "1"));
}

static const char *q(const struct api_req *req, const char *name)
{
	return req->query ? req->query(req->ctx, name) : NULL;
}

static const char *hdr(const struct api_req *req, const char *name)
{
	return req->header ? req->header(req->ctx, name) : NULL;
}

/* Accept: ...;as=Table;... asks for a Table. */
static bool wants_table(const struct api_req *req)
{
	const char *a = hdr(req, "Accept");

	return a && strstr(a, "as=Table") && strstr(a, "g=meta.k8s.io");
}

/* --- object metadata rules --- */

static void set_rv(json_t *obj, int64_t rev)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)rev);
	json_object_set_new(jobj(obj, "metadata"), "resourceVersion", json_string(buf));
}

static int64_t rv_of(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return 0;
	v = strtoll(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

static char *dump(const json_t *obj)
{
	return json_dumps(obj, JSON_COMPACT);
}

/* --- the write path: one context through store_write's build callback --- */

enum write_kind { W_CREATE, W_UPDATE, W_STATUS, W_SCALE, W_DELETE_MARK, W_BIND };

struct write_ctx {
	struct api *api;
	const struct resource *res;
	enum write_kind kind;
	json_t *obj;          /* the new object (create/update) or the patch input */
	const char *patch_type; /* PATCH: the content type; obj is the patch */
	const char *name, *ns;
	int64_t precondition; /* a resourceVersion the stored object must have */
	const char *uid_precondition;
	bool dry_run;
	bool strict, warn;
	/* results */
	int code;
	char *message;
	struct errlist errs;
	json_t *result;       /* the object written */
	bool allocated;
	bool finalized;       /* an update removed the last finalizer of a deleted object */
	char *warning;
	/* graceful deletion */
	int64_t grace;
	const char *propagation;
};

static char *fail_build(struct write_ctx *c, int code, int *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static char *fail_build(struct write_ctx *c, int code, int *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&c->message, fmt, ap) < 0)
		c->message = NULL;
	va_end(ap);
	c->code = code;
	*err = -EPROTO; /* the API layer's own refusal: see c->code */
	return NULL;
}

/* Decoding checks: a wrong JSON type is always a 400 (Kubernetes cannot decode the
 * object); unknown fields are a 400 under fieldValidation=Strict and a warning under Warn. */
static bool check_fields(struct write_ctx *c, const json_t *obj, int *err)
{
	char **unknown = NULL, *type_error = NULL, *msg;
	size_t n, i, len = 64;

	n = views_check_fields(c->res, obj, &unknown, &type_error);
	if (type_error) {
		fail_build(c, 400, err, "%s in version \"%s\" cannot be handled as a %s: %s",
			   c->res->kind, c->res->version, c->res->kind, type_error);
		free(type_error);
		goto out;
	}
	if (!n || (!c->strict && !c->warn))
		goto out;
	for (i = 0; i < n; i++)
		len += strlen(unknown[i]) + 24;
	msg = calloc(1, len);
	for (i = 0; msg && i < n; i++) {
		strcat(msg, i ? ", " : "");
		strcat(msg, "unknown field \"");
		strcat(msg, unknown[i]);
		strcat(msg, "\"");
	}
	if (c->strict) {
		fail_build(c, 400, err, "strict decoding error: %s", msg ? msg : "unknown fields");
		free(msg);
		goto out;
	}
	free(c->warning);
	c->warning = msg;
out:
	for (i = 0; i < n; i++)
		free(unknown[i]);
	free(unknown);
	return !c->code || c->code < 400;
}

/* No finalizer holds obj: metadata.finalizers, and for namespaces spec.finalizers (the
 * namespace controller's "kubernetes"). */
static bool finalizers_empty(const json_t *obj)
{
	return !json_array_size(jpath(obj, "metadata.finalizers")) &&
	       !(!strcmp(jstr(obj, "kind") ?: "", "Namespace") &&
		 json_array_size(jpath(obj, "spec.finalizers")));
}

/* Validation, allocation, then the stored text of obj at revision rev. */
static char *finish_write(struct write_ctx *c, json_t *obj, const json_t *old, int64_t rev,
			  int *err, void **meta)
{
	const struct kind_ops *ops = c->res->ops;

	if (ops && ops->validate)
		ops->validate(c->api, obj, old, &c->errs);
	if (c->errs.n) {
		c->code = 422;
		*err = -EPROTO;
		return NULL;
	}
	if (ops && ops->allocate && !c->dry_run) {
		ops->allocate(c->api, obj, old, &c->errs);
		if (c->errs.n) {
			/* A refused allocation has undone itself. */
			c->code = 422;
			*err = -EPROTO;
			return NULL;
		}
		c->allocated = true;
	}
	set_rv(obj, rev);
	c->result = json_incref(obj);
	if (c->dry_run) {
		/* Nothing is stored: a refusal the caller turns into the dry-run answer. */
		c->code = 200;
		*err = -EPROTO;
		return NULL;
	}
	*meta = meta_of(c->res, obj); /* parsed already: spare the store a parse */
	return dump(obj);
}

static char *build_create(void *ctx, const struct sobj *cur, int64_t rev, int *err,
                          void **out_meta)
{
	struct write_ctx *c = ctx;
	json_t *obj = c->obj, *meta = jobj(obj, "metadata");
	char uid[40], now[32];

	(void)cur;
	new_uid(uid, sizeof(uid));
	rfc3339(now, sizeof(now), time(NULL));
	json_object_set_new(meta, "uid", json_string(uid));
	json_object_set_new(meta, "creationTimestamp", json_string(now));
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	json_object_del(meta, "selfLink");
	if (c->res->has_generation)
		json_object_set_new(meta, "generation", json_integer(1));
	else
		json_object_del(meta, "generation");
	if (c->res->has_status && !c->res->keep_status_on_create)
		json_object_del(obj, "status");
	if (c->res->ops && c->res->ops->defaults)
		c->res->ops->defaults(c->api, obj, NULL);
	return finish_write(c, obj, NULL, rev, err, out_meta);
}

/* Metadata a client may not change through an update. */
static void keep_system_meta(json_t *meta, const json_t *old_meta)
{
	static const char *const fixed[] = { "uid", "creationTimestamp", "deletionTimestamp",
					     "deletionGracePeriodSeconds", "generation", "name",
					     "namespace", NULL };
	const char *const *f;

	for (f = fixed; *f; f++) {
		json_t *v = json_object_get(old_meta, *f);

		if (v)
			json_object_set(meta, *f, v);
		else
			json_object_del(meta, *f);
	}
}

static bool spec_changed(const json_t *a, const json_t *b)
{
	/* Everything but metadata and status is "spec" for generation purposes. */
	json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
	bool changed;

	json_object_del(x, "metadata");
	json_object_del(x, "status");
	json_object_del(y, "metadata");
	json_object_del(y, "status");
	changed = !json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return changed;
}

/* Apply the request (a whole object, or a patch) to the stored object. */
static json_t *incoming(struct write_ctx *c, const json_t *old, int *err)
{
	char msg[512] = "";
	json_t *next;

	if (!c->patch_type)
		return json_incref(c->obj);
	if (!strcmp(c->patch_type, "application/json-patch+json"))
		next = json_patch_apply(old, c->obj, msg, sizeof(msg));
	else if (!strcmp(c->patch_type, "application/merge-patch+json"))
		next = merge_patch_apply(old, c->obj);
	else
		next = strategic_merge_patch_apply(old, c->obj, c->res->schema_type,
						   views_smp_lookup, NULL, msg, sizeof(msg));
	if (!next) {
		/* Kubernetes answers a patch that cannot be applied with 422. */
		fail_build(c, 422, err, "%s", *msg ? msg : "the patch could not be applied");
		return NULL;
	}
	return next;
}

static char *build_update(void *ctx, const struct sobj *cur, int64_t rev, int *err,
                          void **out_meta)
{
	struct write_ctx *c = ctx;
	json_t *old, *next, *meta;
	const char *rv;
	char *out;

	if (!cur)
		return fail_build(c, 404, err, "not found");
	old = json_loadb(cur->json, cur->len, 0, NULL);
	if (!old)
		return fail_build(c, 500, err, "stored object is unreadable");
	next = incoming(c, old, err);
	if (!next) {
		json_decref(old);
		return NULL;
	}
	if (!json_is_object(next)) {
		json_decref(old);
		json_decref(next);
		return fail_build(c, 400, err, "the object must be a JSON object");
	}
	if (c->patch_type && !check_fields(c, next, err)) {
		json_decref(old);
		json_decref(next);
		return NULL;
	}
	meta = jobj(next, "metadata");
	/* Optimistic concurrency: a resourceVersion in the request must be the current one. */
	/* The object after the request: a patch that leaves resourceVersion alone carries the
	 * current one; one that sets it (any patch type) sets a precondition. */
	rv = jstr(next, "metadata.resourceVersion");
	if ((rv && *rv && rv_of(rv) != cur->mod_rev) ||
	    (c->precondition && c->precondition != cur->mod_rev)) {
		json_decref(old);
		json_decref(next);
		return fail_build(c, 409, err,
				  "Operation cannot be fulfilled on %s%s%s \"%s\": the object has been modified; please apply your changes to the latest version and try again",
				  c->res->plural, *c->res->group ? "." : "", c->res->group, c->name);
	}
	if (jstr(next, "metadata.name") && strcmp(jstr(next, "metadata.name"), c->name)) {
		json_decref(old);
		json_decref(next);
		return fail_build(c, 400, err,
				  "the name of the object (%s) does not match the name on the URL (%s)",
				  jstr(next, "metadata.name"), c->name);
	}
	keep_system_meta(meta, json_object_get(old, "metadata"));
	json_object_set(next, "apiVersion", json_object_get(old, "apiVersion"));
	json_object_set(next, "kind", json_object_get(old, "kind"));
	if (c->kind == W_STATUS) {
		/* The status subresource changes status only. */
		json_t *status = json_incref(json_object_get(next, "status"));

		json_decref(next);
		next = json_deep_copy(old);
		if (status)
			json_object_set_new(next, "status", status);
		else
			json_object_del(next, "status");
	} else if (c->res->has_status) {
		json_t *status = json_object_get(old, "status");

		if (status)
			json_object_set(next, "status", status);
		else
			json_object_del(next, "status");
	}
	if (c->kind != W_STATUS && c->res->ops && c->res->ops->defaults)
		c->res->ops->defaults(c->api, next, old);
	if (c->res->has_generation && c->kind != W_STATUS && spec_changed(next, old))
		json_object_set_new(jobj(next, "metadata"), "generation",
				    json_integer(json_integer_value(jpath(old, "metadata.generation")) + 1));
	/* The last finalizer of a deleted object gone: the object goes too. */
	if (jpath(next, "metadata.deletionTimestamp") && finalizers_empty(next) &&
	    !finalizers_empty(old))
		c->finalized = true;
	out = finish_write(c, next, old, rev, err, out_meta);
	if (out && c->allocated && c->res->ops->release)
		c->res->ops->release(c->api, old, next); /* what the old object held alone */
	json_decref(old);
	json_decref(next);
	return out;
}

/* The DELETED event and answer carry the deletion's revision (as Kubernetes does), so that
 * a client resuming its watch from it does not see the deletion again. */
static char *build_tombstone(void *ctx, const struct sobj *cur, int64_t rev, int *err,
			     void **out_meta)
{
	json_t *obj = json_loadb(cur->json, cur->len, 0, NULL);
	char *out;

	(void)ctx;
	(void)out_meta;
	if (!obj) {
		*err = -EIO;
		return NULL;
	}
	set_rv(obj, rev);
	out = dump(obj);
	json_decref(obj);
	return out;
}

/* --- handlers --- */

struct list_opts {
	struct label_selector *ls;
	struct field_selector *fs;
	long limit;
	const char *cont;
	bool table;
	const char *include; /* Table rows: None, Metadata (default), Object */
};

static void list_opts_free(struct list_opts *o)
{
	label_selector_free(o->ls);
	field_selector_free(o->fs);
	o->ls = NULL;
	o->fs = NULL;
}

static int parse_list_opts(const struct api_req *req, const struct resource *res,
			   struct list_opts *o, struct api_resp *r)
{
	const char *ls = q(req, "labelSelector"), *fs = q(req, "fieldSelector");
	const char *limit = q(req, "limit");
	const char *fields[32] = { "metadata.name", "metadata.namespace" };
	char err[256];
	size_t n = 2;

	memset(o, 0, sizeof(*o));
	if (ls && label_selector_parse(ls, &o->ls, err, sizeof(err))) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL, "%s", err);
		list_opts_free(o);
		return -1;
	}
	if (fs && field_selector_parse(fs, &o->fs, err, sizeof(err))) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL, "%s", err);
		list_opts_free(o);
		return -1;
	}
	while (res->field_selectors && res->field_selectors[n - 2] && n < 31) {
		fields[n] = res->field_selectors[n - 2];
		n++;
	}
	if (o->fs && field_selector_check(o->fs, fields, n, err, sizeof(err))) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL, "%s", err);
		list_opts_free(o);
		return -1;
	}
	if (limit) {
		char *end;

		o->limit = strtol(limit, &end, 10);
		if (*end || o->limit < 0) {
			fail(r, 400, "BadRequest", NULL, NULL, NULL, "invalid limit: %s", limit);
			list_opts_free(o);
			return -1;
		}
	}
	o->cont = q(req, "continue");
	if (o->cont && !*o->cont)
		o->cont = NULL;
	o->table = wants_table(req);
	o->include = q(req, "includeObject");
	return 0;
}

static bool matches(const struct list_opts *o, const struct sobj *s)
{
	const struct obj_meta *m = s->meta;
	struct field_ctx fc = { m };

	if (!m)
		return false;
	if (o->ls && !label_selector_matches(o->ls, m->labels))
		return false;
	if (o->fs && !field_selector_matches(o->fs, meta_field, &fc))
		return false;
	return true;
}

static bool keep_match(const struct sobj *s, void *o)
{
	return matches(o, s);
}

static void handle_get(struct api *api, const struct api_req *req, const struct route *rt,
		       struct api_resp *r)
{
	char key[KEY_MAX];
	struct sobj *o;

	if (object_key(key, sizeof(key), rt->res, rt->ns, rt->name)) {
		not_found(r, rt->res, rt->name);
		return;
	}
	o = store_get(api->store, key);
	if (!o) {
		not_found(r, rt->res, rt->name);
		return;
	}
	if (wants_table(req)) {
		struct sobj *one[1] = { o };

		respond(r, 200, views_table(rt->res, one, 1, store_rev(api->store), NULL,
					    q(req, "includeObject")));
		r->content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
	} else {
		respond(r, 200, strndup(o->json, o->len));
	}
	sobj_put(o);
}

static void handle_list(struct api *api, const struct api_req *req, const struct route *rt,
			struct api_resp *r)
{
	char prefix[KEY_MAX], after[KEY_MAX], *cont_token = NULL;
	struct list_opts o;
	struct sobj **all, **sel;
	size_t n, n_sel = 0, i;
	int64_t rev;

	if (parse_list_opts(req, rt->res, &o, r))
		return;
	if (rt->has_ns)
		snprintf(prefix, sizeof(prefix), "%s/%s/", rt->res->plural, rt->ns);
	else
		snprintf(prefix, sizeof(prefix), "%s/", rt->res->plural);
	if (o.cont) {
		if (views_continue_decode(o.cont, after, sizeof(after)) ||
		    strncmp(after, prefix, strlen(prefix))) {
			list_opts_free(&o);
			fail(r, 400, "BadRequest", NULL, NULL, NULL, "invalid continue token");
			return;
		}
	}
	if (o.limit > 0) {
		/* A limit beyond the collection's size is no limit: never allocate by it. */
		size_t total = store_count(api->store, prefix);
		size_t max = (size_t)o.limit < total ? (size_t)o.limit : total;
		bool more = false;

		if (store_list_page(api->store, prefix, o.cont ? after : NULL, max, keep_match, &o,
				    &all, &n, &more, &rev)) {
			list_opts_free(&o);
			fail(r, 500, NULL, NULL, NULL, NULL, "out of memory");
			return;
		}
		/* More remain: the token says where the next page starts. */
		if (more && n)
			cont_token = views_continue_encode(all[n - 1]->key, rev);
	} else if (store_list(api->store, prefix, o.cont ? after : NULL, &all, &n, &rev)) {
		list_opts_free(&o);
		fail(r, 500, NULL, NULL, NULL, NULL, "out of memory");
		return;
	}
	sel = malloc((n ? n : 1) * sizeof(*sel));
	for (i = 0; sel && i < n; i++)
		if (o.limit > 0 || matches(&o, all[i]))
			sel[n_sel++] = all[i];
	if (o.table) {
		respond(r, 200, views_table(rt->res, sel, n_sel, rev, cont_token, o.include));
		r->content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
	} else {
		respond(r, 200, views_list(rt->res, sel, n_sel, rev, cont_token));
	}
	free(cont_token);
	free(sel);
	store_list_free(all, n);
	list_opts_free(&o);
}

/* The media type of Content-Type (parameters cut, case ignored) is exactly t. */
static bool media_type_is(const struct api_req *req, const char *t)
{
	const char *ct = hdr(req, "Content-Type");
	size_t n;

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; ");
	return n == strlen(t) && !strncasecmp(ct, t, n);
}

/* kubectl's typed clients send protobuf; a "stream=watch" parameter is not a body type. */
static bool is_protobuf(const struct api_req *req)
{
	const char *ct = hdr(req, "Content-Type");

	return media_type_is(req, K8S_PROTOBUF_CONTENT_TYPE) && !strstr(ct, "stream=");
}

/* Decode a request body (JSON, or the protobuf of kubectl's typed clients) as a JSON
 * object, or answer 400/415. */
static json_t *decode_body(const struct api_req *req, struct api_resp *r)
{
	json_error_t je;
	json_t *obj;

	if (!req->body_len) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL, "the request body is empty");
		return NULL;
	}
	if (is_protobuf(req)) {
		char err[256];

		obj = k8s_proto_decode(req->body, req->body_len, err, sizeof(err));
		if (!obj)
			fail(r, 400, "BadRequest", NULL, NULL, NULL,
			     "the protobuf body could not be decoded: %s", err);
		return obj;
	}
	obj = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!obj) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL,
		     "couldn't get version/kind; json parse error: %s at line %d column %d",
		     je.text, je.line, je.column);
		return NULL;
	}
	return obj;
}

static bool body_type_ok(const struct api_req *req, struct api_resp *r)
{
	const char *ct = hdr(req, "Content-Type");

	if (!ct || !strncmp(ct, "application/json", 16) || !strncmp(ct, "*/*", 3) ||
	    is_protobuf(req))
		return true;
	fail(r, 415, "UnsupportedMediaType", NULL, NULL, NULL,
	     "the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf");
	return false;
}

static bool field_validation(const struct api_req *req, struct write_ctx *c, struct api_resp *r)
{
	const char *fv = q(req, "fieldValidation");

	if (!fv || !strcmp(fv, "Ignore"))
		return true;
	if (!strcmp(fv, "Strict")) {
		c->strict = true;
		return true;
	}
	if (!strcmp(fv, "Warn")) {
		c->warn = true;
		return true;
	}
	fail(r, 400, "BadRequest", NULL, NULL, NULL,
	     "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got \"%s\"", fv);
	return false;
}

/* Turn a failed write into its Status. */
static void write_failed(struct write_ctx *c, int err, struct api_resp *r)
{
	const struct resource *res = c->res;

	if (err == -EPROTO && c->code == 200 && c->result) {
		/* dry run: what the write would have answered */
		respond(r, c->kind == W_CREATE ? 201 : 200, dump(c->result));
		return;
	}
	if (err == -EPROTO && c->code == 422) {
		fail_invalid(r, res, c->name, &c->errs);
		return;
	}
	if (err == -EPROTO) {
		fail(r, c->code, NULL, c->name, res->group, res->plural, "%s",
		     c->message ? c->message : "request refused");
		return;
	}
	switch (err) {
	case -EEXIST:
		fail(r, 409, "AlreadyExists", c->name, res->group, res->plural,
		     "%s%s%s \"%s\" already exists", res->plural, *res->group ? "." : "",
		     res->group, c->name);
		break;
	case -ENOENT:
		not_found(r, res, c->name);
		break;
	case -ESTALE:
		fail(r, 409, "Conflict", c->name, res->group, res->plural,
		     "Operation cannot be fulfilled on %s%s%s \"%s\": the object has been modified; please apply your changes to the latest version and try again",
		     res->plural, *res->group ? "." : "", res->group, c->name);
		break;
	default:
		fail(r, 500, NULL, c->name, res->group, res->plural, "storage error: %s",
		     strerror(-err));
	}
}

static void write_ctx_free(struct write_ctx *c)
{
	free(c->message);
	errlist_free(&c->errs);
	json_decref(c->result);
	json_decref(c->obj);
	free(c->warning);
}

static bool namespace_usable(struct api *api, const char *ns, struct api_resp *r)
{
	char key[KEY_MAX];
	struct sobj *o;
	bool terminating;

	snprintf(key, sizeof(key), "namespaces/%s", ns);
	o = store_get(api->store, key);
	if (!o) {
		fail(r, 404, "NotFound", ns, "", "namespaces", "namespaces \"%s\" not found", ns);
		return false;
	}
	terminating = strstr(o->json, "\"deletionTimestamp\"") != NULL;
	sobj_put(o);
	if (terminating) {
		fail(r, 403, "Forbidden", ns, "", "namespaces",
		     "unable to create new content in namespace %s because it is being terminated",
		     ns);
		return false;
	}
	return true;
}

static void handle_create(struct api *api, const struct api_req *req, const struct route *rt,
			  struct api_resp *r)
{
	struct write_ctx c = { .api = api, .res = rt->res, .kind = W_CREATE };
	const struct resource *res = rt->res;
	char key[KEY_MAX], gen[300];
	const char *name, *gname, *ns, *api_version, *kind;
	char expected_av[128];
	struct sobj *out = NULL;
	int err, tries;

	if (!body_type_ok(req, r) || !field_validation(req, &c, r))
		return;
	c.obj = decode_body(req, r);
	if (!c.obj)
		return;
	if (!json_is_object(c.obj)) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL, "the object must be a JSON object");
		goto out;
	}
	c.dry_run = q(req, "dryRun") && !strcmp(q(req, "dryRun"), "All");
	snprintf(expected_av, sizeof(expected_av), "%s%s%s", res->group, *res->group ? "/" : "",
		 res->version);
	api_version = jstr(c.obj, "apiVersion");
	kind = jstr(c.obj, "kind");
	if ((api_version && strcmp(api_version, expected_av)) || (kind && strcmp(kind, res->kind))) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL,
		     "the API version in the data (%s) does not match the expected API version (%s)",
		     api_version ? api_version : "", expected_av);
		if (kind && strcmp(kind, res->kind) && (!api_version || !strcmp(api_version, expected_av))) {
			api_resp_free(r);
			fail(r, 400, "BadRequest", NULL, NULL, NULL,
			     "the kind in the data (%s) does not match the expected kind (%s)", kind,
			     res->kind);
		}
		goto out;
	}
	json_object_set_new(c.obj, "apiVersion", json_string(expected_av));
	json_object_set_new(c.obj, "kind", json_string(res->kind));
	{
		int e2 = 0;

		if (!check_fields(&c, c.obj, &e2)) {
			fail(r, c.code, "BadRequest", NULL, NULL, NULL, "%s", c.message);
			goto out;
		}
	}
	ns = jstr(c.obj, "metadata.namespace");
	if (res->namespaced) {
		if (ns && *ns && strcmp(ns, rt->ns)) {
			fail(r, 400, "BadRequest", NULL, NULL, NULL,
			     "the namespace of the provided object does not match the namespace sent on the request");
			goto out;
		}
		json_object_set_new(jobj(c.obj, "metadata"), "namespace", json_string(rt->ns));
		if (strcmp(res->plural, "namespaces") && !namespace_usable(api, rt->ns, r))
			goto out;
	} else {
		json_object_del(jobj(c.obj, "metadata"), "namespace");
	}
	name = jstr(c.obj, "metadata.name");
	gname = jstr(c.obj, "metadata.generateName");
	if ((!name || !*name) && (!gname || !*gname)) {
		struct errlist e = {};

		err_required(&e, "metadata.name");
		{
			char msg[256];

			snprintf(msg, sizeof(msg),
				 "%s \"\" is invalid: metadata.name: Required value: name or generateName is required",
				 res->kind);
			respond(r, 422, status_json(422, "Invalid", msg, NULL, res->group, res->kind, &e));
		}
		errlist_free(&e);
		goto out;
	}
	for (tries = 0; tries < 8; tries++) {
		if (!name || !*name) {
			char suffix[8];

			random_suffix(suffix, sizeof(suffix));
			snprintf(gen, sizeof(gen), "%.247s%s", gname, suffix);
			json_object_set_new(jobj(c.obj, "metadata"), "name", json_string(gen));
		}
		c.name = jstr(c.obj, "metadata.name");
		if (!dns1123_subdomain(c.name) && strcmp(res->plural, "namespaces")) {
			struct errlist e = {};

			err_invalid(&e, "metadata.name", jpath(c.obj, "metadata.name"),
				    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
			fail_invalid(r, res, c.name, &e);
			errlist_free(&e);
			goto out;
		}
		if (object_key(key, sizeof(key), res, rt->ns, c.name)) {
			fail(r, 400, "BadRequest", NULL, NULL, NULL, "name too long");
			goto out;
		}
		err = store_write(api->store, key, 0, build_create, &c, &out);
		/* A generated name that collides: pick another suffix. */
		if (err == -EEXIST && (!name || !*name))
			continue;
		break;
	}
	if (err) {
		if (c.allocated && res->ops->release && c.result)
			res->ops->release(api, c.result, NULL);
		write_failed(&c, err, r);
		goto out;
	}
	respond(r, 201, strndup(out->json, out->len));
	sobj_put(out);
out:
	if (c.warning) {
		r->warning = c.warning;
		c.warning = NULL;
	}
	write_ctx_free(&c);
}

static void handle_update(struct api *api, const struct api_req *req, const struct route *rt,
			  struct api_resp *r, const char *patch_type)
{
	struct write_ctx c = { .api = api, .res = rt->res, .name = rt->name, .ns = rt->ns };
	char key[KEY_MAX];
	struct sobj *out = NULL, *gone = NULL;
	int err;

	c.kind = !strcmp(rt->sub, "status") ? W_STATUS : W_UPDATE;
	c.patch_type = patch_type;
	if ((!patch_type && !body_type_ok(req, r)) || !field_validation(req, &c, r))
		return;
	c.obj = decode_body(req, r);
	if (!c.obj)
		return;
	c.dry_run = q(req, "dryRun") && !strcmp(q(req, "dryRun"), "All");
	if (!patch_type) {
		int e2 = 0;

		if (!json_is_object(c.obj)) {
			fail(r, 400, "BadRequest", NULL, NULL, NULL, "the object must be a JSON object");
			goto out;
		}
		if (!check_fields(&c, c.obj, &e2)) {
			fail(r, c.code, "BadRequest", NULL, NULL, NULL, "%s", c.message);
			goto out;
		}
	} else if (!strcmp(patch_type, "application/json-patch+json") ? !json_is_array(c.obj) :
									   !json_is_object(c.obj)) {
		fail(r, 400, "BadRequest", NULL, NULL, NULL, "the patch must be a JSON %s",
		     !strcmp(patch_type, "application/json-patch+json") ? "array" : "object");
		goto out;
	}
	if (object_key(key, sizeof(key), rt->res, rt->ns, rt->name)) {
		not_found(r, rt->res, rt->name);
		goto out;
	}
	err = store_write(api->store, key, STORE_ANY, build_update, &c, &out);
	if (err == -EPROTO && c.code == 404)
		err = -ENOENT;
	if (err) {
		write_failed(&c, err, r);
		goto out;
	}
	if (c.finalized) {
		/* Its last finalizer removed: a deleted object now goes for good. */
		store_delete(api->store, key, out->mod_rev, build_tombstone, NULL, &gone);
		if (rt->res->ops && rt->res->ops->release)
			rt->res->ops->release(api, c.result, NULL);
		sobj_put(gone);
	}
	respond(r, 200, strndup(out->json, out->len));
	sobj_put(out);
out:
	if (c.warning) {
		r->warning = c.warning;
		c.warning = NULL;
	}
	write_ctx_free(&c);
}

/* --- deletion --- */

struct delete_ctx {
	struct write_ctx w;
	int64_t grace;       /* -1: not given */
	const char *policy;  /* Foreground, Background, Orphan or NULL */
	char *deleted_json;  /* the final state returned to the client */
	bool marked;         /* only marked (deletionTimestamp), not removed */
	bool now;            /* remove at once */
};

/* Decide what a DELETE does: mark (finalizers, graceful pods) or remove. */
static char *build_delete_mark(void *ctx, const struct sobj *cur, int64_t rev, int *err,
                               void **out_meta)
{
	struct delete_ctx *d = ctx;
	json_t *obj, *meta, *fins;
	bool graceful = false, has_dt;
	char ts[32];
	size_t i;

	(void)out_meta; /* the store parses these (rare) writes itself */

	if (!cur)
		return fail_build(&d->w, 404, err, "not found");
	obj = json_loadb(cur->json, cur->len, 0, NULL);
	if (!obj)
		return fail_build(&d->w, 500, err, "stored object is unreadable");
	meta = jobj(obj, "metadata");
	if (d->w.uid_precondition && strcmp(d->w.uid_precondition, jstr(obj, "metadata.uid") ?: "")) {
		char *out = fail_build(&d->w, 409, err,
				       "Precondition failed: UID in precondition: %s, UID in object meta: %s",
				       d->w.uid_precondition, jstr(obj, "metadata.uid") ?: "");

		json_decref(obj);
		return out;
	}
	if (d->w.precondition && d->w.precondition != cur->mod_rev) {
		json_decref(obj);
		return fail_build(&d->w, 409, err,
				  "Precondition failed: ResourceVersion in precondition: %lld, ResourceVersion in object meta: %lld",
				  (long long)d->w.precondition, (long long)cur->mod_rev);
	}
	has_dt = json_object_get(meta, "deletionTimestamp") != NULL;
	fins = json_object_get(meta, "finalizers");
	if (!json_is_array(fins)) {
		fins = json_array();
		json_object_set_new(meta, "finalizers", fins);
	}
	/* propagationPolicy becomes the finalizer the garbage collector acts on; an explicit
	 * policy replaces the one the object has (Background removes both), also on an object
	 * already being deleted, as Kubernetes' deletionFinalizersForGarbageCollection does —
	 * except while a graceful deletion is pending (the shorter grace period aside). */
	{
		json_int_t cur_grace =
			json_integer_value(json_object_get(meta, "deletionGracePeriodSeconds"));
		bool pending = has_dt && cur_grace > 0 && !(d->grace >= 0 && d->grace < cur_grace);

		if (d->policy && !pending) {
			const char *f = !strcmp(d->policy, "Foreground") ? "foregroundDeletion" :
					!strcmp(d->policy, "Orphan") ? "orphan" : NULL;
			const json_t *v;

			for (i = json_array_size(fins); i-- > 0;) {
				v = json_array_get(fins, i);
				if (!strcmp(json_string_value(v) ?: "", "foregroundDeletion") ||
				    !strcmp(json_string_value(v) ?: "", "orphan"))
					json_array_remove(fins, i);
			}
			if (f)
				json_array_append_new(fins, json_string(f));
		}
	}
	/* A pod on a node goes gracefully: its node stops it, then confirms. */
	if (d->w.res->kind && !strcmp(d->w.res->kind, "Pod") && jstr(obj, "spec.nodeName") &&
	    *jstr(obj, "spec.nodeName")) {
		int64_t grace = d->grace >= 0 ? d->grace :
			json_integer_value(jpath(obj, "spec.terminationGracePeriodSeconds"));
		const char *phase = jstr(obj, "status.phase") ?: "";

		if (grace > 0 && strcmp(phase, "Succeeded") && strcmp(phase, "Failed")) {
			json_int_t cur_grace =
				json_integer_value(json_object_get(meta, "deletionGracePeriodSeconds"));

			graceful = true;
			/* A second delete may shorten the grace period, never lengthen it. */
			if (!has_dt || grace < cur_grace) {
				rfc3339(ts, sizeof(ts), time(NULL) + grace);
				json_object_set_new(meta, "deletionTimestamp", json_string(ts));
				json_object_set_new(meta, "deletionGracePeriodSeconds",
						    json_integer(grace));
			}
		}
	}
	if (finalizers_empty(obj) && !graceful) {
		/* Nothing holds it: remove it now. */
		d->now = true;
		json_decref(obj);
		return fail_build(&d->w, 0, err, "remove");
	}
	if (!json_array_size(fins))
		json_object_del(meta, "finalizers");
	if (!json_object_get(meta, "deletionTimestamp")) {
		rfc3339(ts, sizeof(ts), time(NULL));
		json_object_set_new(meta, "deletionTimestamp", json_string(ts));
		json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
	}
	if (!strcmp(d->w.res->plural, "namespaces"))
		json_object_set_new(jobj(obj, "status"), "phase", json_string("Terminating"));
	set_rv(obj, rev);
	d->marked = true;
	if (d->w.dry_run) {
		d->deleted_json = dump(obj);
		json_decref(obj);
		return fail_build(&d->w, 200, err, "dry run");
	}
	d->deleted_json = dump(obj);
	json_decref(obj);
	return strdup(d->deleted_json);
}

static int parse_delete_options(const struct api_req *req, struct delete_ctx *d,
				struct api_resp *r)
{
	const char *gp = q(req, "gracePeriodSeconds"), *pp = q(req, "propagationPolicy");
	json_t *opts = NULL;

	d->grace = -1;
	if (req->body_len) {
		json_error_t je = { .text = "" };
		char perr[256] = "";

		/* DeleteOptions: JSON, or protobuf from typed clients (kubectl drain). */
		if (is_protobuf(req))
			opts = k8s_proto_decode(req->body, req->body_len, perr, sizeof(perr));
		else
			opts = json_loadb(req->body, req->body_len, 0, &je);
		if (!json_is_object(opts)) {
			json_decref(opts);
			fail(r, 400, "BadRequest", NULL, NULL, NULL,
			     "the body of the request must be DeleteOptions: %s", *perr ? perr : je.text);
			return -1;
		}
		if (json_is_integer(json_object_get(opts, "gracePeriodSeconds")))
			d->grace = json_integer_value(json_object_get(opts, "gracePeriodSeconds"));
		if (json_string_value(json_object_get(opts, "propagationPolicy")))
			d->policy = strdup(json_string_value(json_object_get(opts, "propagationPolicy")));
		/* The deprecated orphanDependents says the same in a bool. */
		if (json_is_boolean(json_object_get(opts, "orphanDependents"))) {
			if (d->policy) {
				json_decref(opts);
				fail(r, 422, "Invalid", NULL, NULL, NULL,
				     "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"%s\": orphanDependents and deletionPropagation cannot be both set",
				     d->policy);
				return -1;
			}
			d->policy = strdup(json_is_true(json_object_get(opts, "orphanDependents")) ?
					   "Orphan" : "Background");
		}
		if (jstr(opts, "preconditions.uid"))
			d->w.uid_precondition = strdup(jstr(opts, "preconditions.uid"));
		if (jstr(opts, "preconditions.resourceVersion"))
			d->w.precondition = rv_of(jstr(opts, "preconditions.resourceVersion"));
		if (json_array_size(json_object_get(opts, "dryRun")))
			d->w.dry_run = true;
		json_decref(opts);
	}
	if (gp)
		d->grace = atoll(gp);
	if (pp) {
		free((char *)d->policy);
		d->policy = strdup(pp);
	}
	if (q(req, "dryRun") && !strcmp(q(req, "dryRun"), "All"))
		d->w.dry_run = true;
	if (d->policy && strcmp(d->policy, "Foreground") && strcmp(d->policy, "Background") &&
	    strcmp(d->policy, "Orphan")) {
		struct errlist e = {};
		static const char *const pols[] = { "Foreground", "Background", "Orphan", NULL };

		err_unsupported(&e, "propagationPolicy", d->policy, pols);
		respond(r, 422, status_json(422, "Invalid", e.v[0].message, NULL, NULL, NULL, &e));
		errlist_free(&e);
		return -1;
	}
	return 0;
}

/* Delete one object; on success *json holds what the client gets back. */
static int delete_one(struct api *api, const struct resource *res, const char *key,
		      struct delete_ctx *d, char **json, struct api_resp *r)
{
	struct sobj *out = NULL;
	int err;

	d->marked = d->now = false;
	free(d->deleted_json);
	d->deleted_json = NULL;
	free(d->w.message);
	d->w.message = NULL;
	err = store_write(api->store, key, STORE_ANY, build_delete_mark, d, &out);
	if (err == -EPROTO && d->now) {
		struct sobj *gone = NULL;

		if (d->w.dry_run) {
			struct sobj *cur = store_get(api->store, key);

			if (!cur)
				return -ENOENT;
			*json = strndup(cur->json, cur->len);
			sobj_put(cur);
			return 0;
		}
		err = store_delete(api->store, key, STORE_ANY, build_tombstone, NULL, &gone);
		if (!err) {
			json_t *obj = json_loadb(gone->json, gone->len, 0, NULL);

			if (obj && res->ops && res->ops->release)
				res->ops->release(api, obj, NULL);
			json_decref(obj);
			*json = strndup(gone->json, gone->len);
			sobj_put(gone);
		}
		return err;
	}
	if (err == -EPROTO && d->w.code == 200 && d->deleted_json) {
		*json = strdup(d->deleted_json); /* dry run of a mark */
		return 0;
	}
	if (err == -EPROTO && d->w.code == 404)
		return -ENOENT;
	if (err) {
		if (r)
			write_failed(&d->w, err, r);
		return err == -EPROTO ? -EPERM : err;
	}
	*json = strndup(out->json, out->len);
	sobj_put(out);
	return 0;
}

static void handle_delete(struct api *api, const struct api_req *req, const struct route *rt,
			  struct api_resp *r)
{
	struct delete_ctx d = { .w = { .api = api, .res = rt->res, .name = rt->name,
				       .ns = rt->ns, .kind = W_DELETE_MARK } };
	char key[KEY_MAX], *json = NULL;
	int err;

	if (parse_delete_options(req, &d, r))
		goto out;
	if (object_key(key, sizeof(key), rt->res, rt->ns, rt->name)) {
		not_found(r, rt->res, rt->name);
		goto out;
	}
	err = delete_one(api, rt->res, key, &d, &json, r);
	if (err == -ENOENT)
		not_found(r, rt->res, rt->name);
	else if (!err)
		respond(r, d.marked ? 202 : 200, json);
	if (!err && d.marked)
		r->code = 200;
out:
	free((char *)d.policy);
	free((char *)d.w.uid_precondition);
	free(d.deleted_json);
	free(d.w.message);
	errlist_free(&d.w.errs);
}

static void handle_deletecollection(struct api *api, const struct api_req *req,
				    const struct route *rt, struct api_resp *r)
{
	struct delete_ctx d = { .w = { .api = api, .res = rt->res, .ns = rt->ns } };
	char prefix[KEY_MAX];
	struct list_opts o;
	struct sobj **all;
	json_t *items = json_array();
	size_t n, i;
	int64_t rev;

	if (parse_list_opts(req, rt->res, &o, r))
		goto out_items;
	if (parse_delete_options(req, &d, r))
		goto out;
	if (rt->has_ns)
		snprintf(prefix, sizeof(prefix), "%s/%s/", rt->res->plural, rt->ns);
	else
		snprintf(prefix, sizeof(prefix), "%s/", rt->res->plural);
	if (store_list(api->store, prefix, NULL, &all, &n, &rev)) {
		fail(r, 500, NULL, NULL, NULL, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *json = NULL;

		if (!matches(&o, all[i]))
			continue;
		d.w.name = ((struct obj_meta *)all[i]->meta)->name;
		if (!delete_one(api, rt->res, all[i]->key, &d, &json, NULL) && json) {
			json_t *obj = json_loads(json, 0, NULL);

			if (obj)
				json_array_append_new(items, obj);
		}
		free(json);
	}
	store_list_free(all, n);
	{
		char av[128], lk[128];
		json_t *list;

		snprintf(av, sizeof(av), "%s%s%s", rt->res->group, *rt->res->group ? "/" : "",
			 rt->res->version);
		snprintf(lk, sizeof(lk), "%sList", rt->res->kind);
		list = json_pack("{s:s,s:s,s:{s:s},s:O}", "kind", lk, "apiVersion", av, "metadata",
				 "resourceVersion", "", "items", items);
		set_rv(list, store_rev(api->store));
		respond(r, 200, dump(list));
		json_decref(list);
	}
out:
	list_opts_free(&o);
	free((char *)d.policy);
	free((char *)d.w.uid_precondition);
	free(d.deleted_json);
	free(d.w.message);
	errlist_free(&d.w.errs);
out_items:
	json_decref(items);
}

/* --- subresources: binding, scale --- */

struct bind_ctx {
	struct write_ctx w;
	const char *node;
};

static char *build_bind(void *ctx, const struct sobj *cur, int64_t rev, int *err,
                        void **out_meta)
{
	struct bind_ctx *b = ctx;
	json_t *pod, *conds, *c;
	const char *have;
	char now[32];
	size_t i;

	(void)out_meta; /* the store parses these (rare) writes itself */

	if (!cur)
		return fail_build(&b->w, 404, err, "pods \"%s\" not found", b->w.name);
	pod = json_loadb(cur->json, cur->len, 0, NULL);
	if (!pod)
		return fail_build(&b->w, 500, err, "stored object is unreadable");
	have = jstr(pod, "spec.nodeName");
	if (have && *have) {
		char *out = fail_build(&b->w, 409, err, "pod %s is already assigned to node \"%s\"",
				       b->w.name, have);

		json_decref(pod);
		return out;
	}
	if (jpath(pod, "metadata.deletionTimestamp")) {
		json_decref(pod);
		return fail_build(&b->w, 409, err, "pod %s is being deleted, cannot be assigned to a host",
				  b->w.name);
	}
	json_object_set_new(jobj(pod, "spec"), "nodeName", json_string(b->node));
	conds = json_object_get(jobj(pod, "status"), "conditions");
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(json_object_get(pod, "status"), "conditions", conds);
	}
	rfc3339(now, sizeof(now), time(NULL));
	json_array_foreach(conds, i, c)
		if (!strcmp(jstr(c, "type") ?: "", "PodScheduled")) {
			json_array_remove(conds, i);
			break;
		}
	json_array_append_new(conds, json_pack("{s:s,s:s,s:n,s:s}", "type", "PodScheduled",
					       "status", "True", "lastProbeTime",
					       "lastTransitionTime", now));
	set_rv(pod, rev);
	{
		char *out = dump(pod);

		json_decref(pod);
		return out;
	}
}

static void handle_binding(struct api *api, const struct api_req *req, const char *ns,
			   const char *pod_name, struct api_resp *r)
{
	struct bind_ctx b = { .w = { .api = api, .res = resource_find("", "v1", "pods") } };
	char key[KEY_MAX];
	json_t *binding;
	int err;

	binding = decode_body(req, r);
	if (!binding)
		return;
	if (!pod_name)
		pod_name = jstr(binding, "metadata.name");
	b.w.name = pod_name;
	b.node = jstr(binding, "target.name");
	if (!pod_name || !b.node || !*b.node) {
		struct errlist e = {};

		err_required(&e, !pod_name ? "metadata.name" : "target.name");
		respond(r, 422, status_json(422, "Invalid", e.v[0].message, pod_name, "", "Binding", &e));
		errlist_free(&e);
		json_decref(binding);
		return;
	}
	if (jstr(binding, "target.kind") && strcmp(jstr(binding, "target.kind"), "Node")) {
		fail(r, 422, "Invalid", pod_name, "", "Binding", "target.kind must be Node");
		json_decref(binding);
		return;
	}
	if (object_key(key, sizeof(key), b.w.res, ns, pod_name)) {
		not_found(r, b.w.res, pod_name);
		json_decref(binding);
		return;
	}
	err = store_write(api->store, key, STORE_ANY, build_bind, &b, NULL);
	if (err == -EPROTO && b.w.code == 404)
		err = -ENOENT;
	if (err)
		write_failed(&b.w, err, r);
	else
		respond(r, 201, status_success_json(NULL, NULL, NULL));
	json_decref(binding);
	free(b.w.message);
	errlist_free(&b.w.errs);
}

/* The autoscaling/v1 Scale of a Deployment or ReplicaSet. */
static char *scale_of(const struct sobj *o)
{
	json_t *obj = json_loadb(o->json, o->len, 0, NULL), *scale;
	struct label_selector *sel = NULL;
	char err[128], *s = NULL, *sel_str = NULL;

	if (!obj)
		return NULL;
	if (!label_selector_from_json(jpath(obj, "spec.selector"), &sel, err, sizeof(err)))
		sel_str = label_selector_string(sel);
	scale = json_pack("{s:s,s:s,s:{s:O*,s:O*,s:O*,s:O*,s:O*},s:{s:I},s:{s:I,s:s}}", "kind",
			  "Scale", "apiVersion", "autoscaling/v1", "metadata", "name",
			  jpath(obj, "metadata.name"), "namespace", jpath(obj, "metadata.namespace"),
			  "uid", jpath(obj, "metadata.uid"), "resourceVersion",
			  jpath(obj, "metadata.resourceVersion"), "creationTimestamp",
			  jpath(obj, "metadata.creationTimestamp"), "spec", "replicas",
			  (json_int_t)json_integer_value(jpath(obj, "spec.replicas")), "status",
			  "replicas", (json_int_t)json_integer_value(jpath(obj, "status.replicas")),
			  "selector", sel_str ? sel_str : "");
	s = scale ? dump(scale) : NULL;
	json_decref(scale);
	json_decref(obj);
	label_selector_free(sel);
	free(sel_str);
	return s;
}

struct scale_ctx {
	struct write_ctx w;
	json_t *scale; /* the new Scale (after a patch) */
	const char *patch_type;
	json_t *patch;
};

static char *build_scale(void *ctx, const struct sobj *cur, int64_t rev, int *err,
                         void **out_meta)
{
	struct scale_ctx *s = ctx;
	json_t *obj, *scale, *next;
	char msg[256] = "", *cur_scale, *out;
	json_int_t replicas;
	const char *rv;

	(void)out_meta; /* the store parses these (rare) writes itself */

	if (!cur)
		return fail_build(&s->w, 404, err, "not found");
	cur_scale = scale_of(cur);
	scale = cur_scale ? json_loads(cur_scale, 0, NULL) : NULL;
	free(cur_scale);
	if (!scale)
		return fail_build(&s->w, 500, err, "stored object is unreadable");
	if (!s->patch_type)
		next = json_incref(s->patch);
	else if (!strcmp(s->patch_type, "application/json-patch+json"))
		next = json_patch_apply(scale, s->patch, msg, sizeof(msg));
	else
		next = merge_patch_apply(scale, s->patch);
	json_decref(scale);
	if (!next)
		return fail_build(&s->w, 400, err, "%s", *msg ? msg : "invalid patch");
	rv = jstr(next, "metadata.resourceVersion");
	if (!s->patch_type && rv && *rv && rv_of(rv) != cur->mod_rev) {
		json_decref(next);
		return fail_build(&s->w, 409, err,
				  "Operation cannot be fulfilled on %s.%s \"%s\": the object has been modified; please apply your changes to the latest version and try again",
				  s->w.res->plural, s->w.res->group, s->w.name);
	}
	replicas = json_integer_value(jpath(next, "spec.replicas"));
	if (!json_is_integer(jpath(next, "spec.replicas")) || replicas < 0) {
		err_invalid(&s->w.errs, "spec.replicas", jpath(next, "spec.replicas"),
			    "must be greater than or equal to 0");
		json_decref(next);
		s->w.code = 422;
		*err = -EPROTO;
		return NULL;
	}
	json_decref(next);
	obj = json_loadb(cur->json, cur->len, 0, NULL);
	if (!obj)
		return fail_build(&s->w, 500, err, "stored object is unreadable");
	if (json_integer_value(jpath(obj, "spec.replicas")) != replicas) {
		json_object_set_new(jobj(obj, "spec"), "replicas", json_integer(replicas));
		json_object_set_new(jobj(obj, "metadata"), "generation",
				    json_integer(json_integer_value(jpath(obj, "metadata.generation")) + 1));
	}
	set_rv(obj, rev);
	out = dump(obj);
	json_decref(obj);
	return out;
}

static void handle_scale(struct api *api, const struct api_req *req, const struct route *rt,
			 struct api_resp *r, const char *patch_type)
{
	struct scale_ctx s = { .w = { .api = api, .res = rt->res, .name = rt->name } };
	struct sobj *o, *out = NULL;
	char key[KEY_MAX];
	int err;

	if (object_key(key, sizeof(key), rt->res, rt->ns, rt->name)) {
		not_found(r, rt->res, rt->name);
		return;
	}
	if (!strcmp(req->method, "GET")) {
		o = store_get(api->store, key);
		if (!o) {
			not_found(r, rt->res, rt->name);
			return;
		}
		respond(r, 200, scale_of(o));
		sobj_put(o);
		return;
	}
	s.patch_type = patch_type;
	s.patch = decode_body(req, r);
	if (!s.patch)
		return;
	err = store_write(api->store, key, STORE_ANY, build_scale, &s, &out);
	if (err == -EPROTO && s.w.code == 404)
		err = -ENOENT;
	if (err) {
		if (err == -EPROTO && s.w.code == 422) {
			char *msg = invalid_message("Scale", rt->name, &s.w.errs);

			respond(r, 422, status_json(422, "Invalid", msg, rt->name, "autoscaling",
						    "Scale", &s.w.errs));
			free(msg);
		} else {
			write_failed(&s.w, err, r);
		}
	} else {
		respond(r, 200, scale_of(out));
		sobj_put(out);
	}
	json_decref(s.patch);
	free(s.w.message);
	errlist_free(&s.w.errs);
}

/* --- watch --- */

struct api_watch {
	struct api *api;
	const struct resource *res;
	char prefix[KEY_MAX];
	struct list_opts opts;
	int64_t rev;
	time_t deadline;
	bool bookmarks;
	struct sobj **initial;
	size_t n_initial, next_initial;
	bool initial_done;
	bool ended;
	char *expired;  /* a 410 ERROR line to send, then end */
	time_t last_sent;
};

/* An object's text at another revision (an object leaving a watch's selection is sent as
 * it was, at the revision of the change that took it out). */
static char *json_at_rev(const struct sobj *o, int64_t rev)
{
	json_t *obj;
	char *out;

	if (o->mod_rev == rev)
		return strndup(o->json, o->len);
	obj = json_loadb(o->json, o->len, 0, NULL);
	if (!obj)
		return NULL;
	set_rv(obj, rev);
	out = dump(obj);
	json_decref(obj);
	return out;
}

static char *watch_line(struct api_watch *w, const char *type, const struct sobj *o,
			int64_t rev)
{
	char *obj = w->opts.table ?
		views_table(w->res, (struct sobj **)&o, 1, rev, NULL, w->opts.include) :
		json_at_rev(o, rev);
	char *line;

	if (!obj)
		return NULL;
	if (asprintf(&line, "{\"type\":\"%s\",\"object\":%s}\n", type, obj) < 0)
		line = NULL;
	free(obj);
	return line;
}

static void watch_end_initial(struct api_watch *w)
{
	size_t i;

	for (i = w->next_initial; i < w->n_initial; i++)
		sobj_put(w->initial[i]);
	free(w->initial);
	w->initial = NULL;
	w->initial_done = true;
}

/* Copy as many whole lines as fit; lines that do not fit wait in w (never split). */
ssize_t api_watch_read(struct api_watch *w, char *buf, size_t max, int timeout_ms)
{
	struct store_event ev[32];
	size_t used = 0;
	int n, i;

	if (w->ended)
		return -1;
	if (w->expired) {
		size_t l = strlen(w->expired);

		if (l > max)
			return -1;
		memcpy(buf, w->expired, l);
		free(w->expired);
		w->expired = NULL;
		w->ended = true;
		return l;
	}
	if (time(NULL) >= w->deadline) {
		w->ended = true;
		return -1;
	}
	/* The synthetic ADDED events of a watch that started without a resourceVersion. */
	while (!w->initial_done && w->next_initial < w->n_initial) {
		struct sobj *o = w->initial[w->next_initial];
		char *line = watch_line(w, "ADDED", o, o->mod_rev);
		size_t l = line ? strlen(line) : 0;

		if (line && used + l > max) {
			free(line);
			if (!used)
				return -1; /* one object larger than a whole buffer: give up */
			return used;
		}
		if (line) {
			memcpy(buf + used, line, l);
			used += l;
		}
		free(line);
		sobj_put(o);
		w->next_initial++;
	}
	if (!w->initial_done)
		watch_end_initial(w);
	if (used)
		return used;

	n = store_events(w->api->store, w->rev, w->prefix, ev, 32, timeout_ms);
	if (n == -ERANGE) {
		char msg[256];
		char *st;

		snprintf(msg, sizeof(msg), "too old resource version: %lld (%lld)",
			 (long long)w->rev, (long long)store_oldest_watchable(w->api->store));
		st = status_json(410, "Expired", msg, NULL, NULL, NULL, NULL);
		if (asprintf(&w->expired, "{\"type\":\"ERROR\",\"object\":%s}\n", st) < 0)
			w->expired = NULL;
		free(st);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *type = NULL;
		const struct sobj *o = ev[i].obj;
		bool now = matches(&w->opts, ev[i].obj);
		bool before = ev[i].prev && matches(&w->opts, ev[i].prev);
		char *line;
		size_t l;

		/* Selectors see objects enter and leave: an update into the selection is an
		 * ADDED, one out of it a DELETED. */
		if (ev[i].type == EV_ADDED && now)
			type = "ADDED";
		else if (ev[i].type == EV_MODIFIED)
			type = now && before ? "MODIFIED" : now ? "ADDED" : before ? "DELETED" : NULL;
		else if (ev[i].type == EV_DELETED && now)
			type = "DELETED";
		if (!type) {
			w->rev = ev[i].rev;
			continue;
		}
		/* Leaving the selection: the object as the watcher last knew it. */
		if (ev[i].type == EV_MODIFIED && !now)
			o = ev[i].prev;
		line = watch_line(w, type, o, ev[i].rev);
		l = line ? strlen(line) : 0;
		if (line && used + l > max) {
			free(line);
			break; /* the rest comes with the next read, from w->rev */
		}
		if (line) {
			memcpy(buf + used, line, l);
			used += l;
		}
		free(line);
		w->rev = ev[i].rev;
	}
	store_events_release(ev, n > 0 ? n : 0);
	if (used) {
		w->last_sent = time(NULL);
	} else if (w->bookmarks && time(NULL) - w->last_sent >= 10) {
		/* A bookmark tells an idle watcher how far the store has come. */
		int len = snprintf(buf, max,
				   "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s%s%s\",\"metadata\":{\"resourceVersion\":\"%lld\"}}}\n",
				   w->res->kind, w->res->group, *w->res->group ? "/" : "",
				   w->res->version, (long long)w->rev);

		if (len > 0 && (size_t)len < max) {
			used = len;
			w->last_sent = time(NULL);
		}
	}
	return used;
}

void api_watch_free(struct api_watch *w)
{
	if (!w)
		return;
	if (!w->initial_done)
		watch_end_initial(w);
	free(w->expired);
	list_opts_free(&w->opts);
	__atomic_sub_fetch(&w->api->metrics.watches, 1, __ATOMIC_RELAXED);
	free(w);
}

static void handle_watch(struct api *api, const struct api_req *req, const struct route *rt,
			 const char *name, struct api_resp *r)
{
	struct api_watch *w = calloc(1, sizeof(*w));
	const char *rv = q(req, "resourceVersion"), *ts = q(req, "timeoutSeconds");
	long timeout = ts ? atol(ts) : 1800;

	if (!w) {
		fail(r, 500, NULL, NULL, NULL, NULL, "out of memory");
		return;
	}
	w->api = api;
	w->res = rt->res;
	if (parse_list_opts(req, rt->res, &w->opts, r)) {
		free(w);
		return;
	}
	if (name) {
		/* A watch on one object (the old /watch/.../name form): select it by name. */
		char fs[300], err[64];

		snprintf(fs, sizeof(fs), "metadata.name=%s", name);
		field_selector_free(w->opts.fs);
		field_selector_parse(fs, &w->opts.fs, err, sizeof(err));
	}
	if (rt->has_ns)
		snprintf(w->prefix, sizeof(w->prefix), "%s/%s/", rt->res->plural, rt->ns);
	else
		snprintf(w->prefix, sizeof(w->prefix), "%s/", rt->res->plural);
	w->bookmarks = truthy(q(req, "allowWatchBookmarks"));
	w->deadline = time(NULL) + (timeout > 0 ? timeout : 1800);
	w->last_sent = time(NULL);
	if (!rv || !*rv || !strcmp(rv, "0")) {
		/* No starting point: the current state first, as ADDED events. */
		struct sobj **all;
		size_t n, i, k = 0;

		if (store_list(api->store, w->prefix, NULL, &all, &n, &w->rev) == 0) {
			for (i = 0; i < n; i++) {
				if (matches(&w->opts, all[i]))
					all[k++] = all[i];
				else
					sobj_put(all[i]);
			}
			w->initial = all;
			w->n_initial = k;
		}
	} else {
		w->rev = rv_of(rv);
		w->initial_done = true;
		if (w->rev < 0) {
			list_opts_free(&w->opts);
			free(w);
			fail(r, 400, "BadRequest", NULL, NULL, NULL, "invalid resourceVersion: %s", rv);
			return;
		}
	}
	__atomic_add_fetch(&api->metrics.watches, 1, __ATOMIC_RELAXED);
	r->code = 200;
	r->content_type = w->opts.table ? "application/json;as=Table;v=v1;g=meta.k8s.io" :
					  CONTENT_JSON;
	r->watch = w;
}

/* --- the router --- */

static const char *patch_type_of(const struct api_req *req, struct api_resp *r)
{
	const char *ct = hdr(req, "Content-Type");
	static const char *const types[] = { "application/json-patch+json",
					     "application/merge-patch+json",
					     "application/strategic-merge-patch+json", NULL };
	size_t i;

	for (i = 0; ct && types[i]; i++)
		if (!strncmp(ct, types[i], strlen(types[i])))
			return types[i];
	fail(r, 415, "UnsupportedMediaType", NULL, NULL, NULL,
	     "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json");
	return NULL;
}

static void route_resource(struct api *api, const struct api_req *req, struct route *rt,
			   struct api_resp *r)
{
	const struct resource *res = rt->res;
	const char *m = req->method;
	bool watch = truthy(q(req, "watch"));

	if (rt->has_name && !*rt->sub && res->namespaced && !rt->has_ns) {
		not_found(r, res, rt->name);
		return;
	}
	/* pods/{name}/binding and the bindings resource. */
	if ((!strcmp(res->plural, "pods") && !strcmp(rt->sub, "binding")) ||
	    !strcmp(res->plural, "bindings")) {
		if (strcmp(m, "POST")) {
			fail(r, 405, "MethodNotAllowed", NULL, NULL, NULL,
			     "the server does not allow this method on the requested resource");
			return;
		}
		handle_binding(api, req, rt->ns, rt->has_name ? rt->name : NULL, r);
		return;
	}
	if (*rt->sub && !strcmp(rt->sub, "scale") && res->has_scale) {
		if (!strcmp(m, "GET") || !strcmp(m, "PUT"))
			handle_scale(api, req, rt, r, NULL);
		else if (!strcmp(m, "PATCH")) {
			const char *pt = patch_type_of(req, r);

			if (pt)
				handle_scale(api, req, rt, r, pt);
		} else
			fail(r, 405, "MethodNotAllowed", NULL, NULL, NULL,
			     "the server does not allow this method on the requested resource");
		return;
	}
	if (*rt->sub && !(!strcmp(rt->sub, "status") && res->has_status) &&
	    !(!strcmp(rt->sub, "finalize") && !strcmp(res->plural, "namespaces"))) {
		fail(r, 404, "NotFound", NULL, NULL, NULL, "the server could not find the requested resource");
		return;
	}
	if (!strcmp(rt->sub, "finalize"))
		snprintf(rt->sub, sizeof(rt->sub), "%s", ""); /* spec.finalizers: a plain update */
	if (!strcmp(m, "GET")) {
		if (rt->has_name)
			handle_get(api, req, rt, r);
		else if (watch)
			handle_watch(api, req, rt, NULL, r);
		else
			handle_list(api, req, rt, r);
	} else if (!strcmp(m, "POST") && !rt->has_name) {
		handle_create(api, req, rt, r);
	} else if (!strcmp(m, "PUT") && rt->has_name) {
		handle_update(api, req, rt, r, NULL);
	} else if (!strcmp(m, "PATCH") && rt->has_name) {
		const char *pt = patch_type_of(req, r);

		if (pt)
			handle_update(api, req, rt, r, pt);
	} else if (!strcmp(m, "DELETE") && rt->has_name) {
		handle_delete(api, req, rt, r);
	} else if (!strcmp(m, "DELETE")) {
		handle_deletecollection(api, req, rt, r);
	} else {
		fail(r, 405, "MethodNotAllowed", NULL, NULL, NULL,
		     "the server does not allow this method on the requested resource");
	}
}

static const char *metric_verb(const struct api_req *req, const struct route *rt,
			       const struct api_resp *r)
{
	const char *m = req->method ? req->method : "";

	if (r->watch)
		return "WATCH";
	if (!strcmp(m, "GET"))
		return rt->res && !rt->has_name ? "LIST" : "GET";
	if (!strcmp(m, "DELETE") && rt->res && !rt->has_name)
		return "DELETECOLLECTION";
	return m;
}

void api_handle(struct api *api, const struct api_req *req, struct api_resp *r)
{
	char parts[12][254];
	struct route rt;
	struct timespec t0, t1;
	int n;

	memset(r, 0, sizeof(*r));
	memset(&rt, 0, sizeof(rt));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = req->path ? split(req->path, parts, 12) : -1;
	if (n < 0) {
		fail(r, 404, "NotFound", NULL, NULL, NULL, "the server could not find the requested resource");
		goto done;
	}
	if (req->body_len > API_MAX_BODY) {
		fail(r, 413, "RequestEntityTooLarge", NULL, NULL, NULL,
		     "the request body is larger than %d bytes", API_MAX_BODY);
		goto done;
	}
	if (views_nonresource(api, req, parts, n, r))
		goto done;
	/* The old watch paths: /api/v1/watch/namespaces/{ns}/pods[/{name}]. */
	if (n >= 3 && !strcmp(parts[!strcmp(parts[0], "api") ? 2 : 3], "watch")) {
		int at = !strcmp(parts[0], "api") ? 2 : 3, i;

		for (i = at; i + 1 < n; i++)
			memcpy(parts[i], parts[i + 1], sizeof(parts[i]));
		n--;
		if (parse_route(req->path, &rt, parts, n) || strcmp(req->method, "GET")) {
			fail(r, 404, "NotFound", NULL, NULL, NULL, "the server could not find the requested resource");
			goto done;
		}
		{
			char name[254];

			snprintf(name, sizeof(name), "%s", rt.name);
			rt.has_name = false;
			handle_watch(api, req, &rt, *name ? name : NULL, r);
		}
		goto done;
	}
	if (parse_route(req->path, &rt, parts, n)) {
		fail(r, 404, "NotFound", NULL, NULL, NULL, "the server could not find the requested resource");
		goto done;
	}
	route_resource(api, req, &rt, r);
done:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	views_count(api, metric_verb(req, &rt, r), rt.res, r->code,
		    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

void api_resp_free(struct api_resp *r)
{
	free(r->body);
	free(r->warning);
	r->body = NULL;
	r->warning = NULL;
	if (r->watch)
		api_watch_free(r->watch);
	r->watch = NULL;
}

/* --- setup --- */

int api_new(struct store *store, const struct api_config *cfg, struct api **out)
{
	struct api *api = calloc(1, sizeof(*api));
	struct sobj **all;
	size_t n, i;
	int64_t rev;

	if (!api)
		return -ENOMEM;
	api->store = store;
	api->cfg = *cfg;
	pthread_mutex_init(&api->alloc_mu, NULL);
	if (alloc_init(api, cfg->service_cidr, cfg->node_port_min, cfg->node_port_max)) {
		free(api);
		return -EINVAL;
	}
	if (views_init(api)) {
		alloc_free(api);
		free(api);
		return -ENOMEM;
	}
	/* Allocations held by stored Services. */
	if (!store_list(store, "services/", NULL, &all, &n, &rev)) {
		for (i = 0; i < n; i++) {
			json_t *svc = json_loadb(all[i]->json, all[i]->len, 0, NULL);

			if (svc)
				alloc_reserve_service(api, svc);
			json_decref(svc);
		}
		store_list_free(all, n);
	}
	*out = api;
	return 0;
}

void api_free(struct api *api)
{
	if (!api)
		return;
	views_free(api);
	alloc_free(api);
	pthread_mutex_destroy(&api->alloc_mu);
	free(api);
}

/* Create an object through the normal path unless it exists. */
static int ensure(struct api *api, const char *path, const char *json)
{
	struct api_req req = { .method = "POST", .path = path, .body = json,
			       .body_len = strlen(json), .user = "system:apiserver" };
	struct api_resp r;
	int code;

	api_handle(api, &req, &r);
	code = r.code;
	if (code != 201 && code != 409)
		fprintf(stderr, "bootstrap: POST %s: %d %s\n", path, code, r.body ? r.body : "");
	api_resp_free(&r);
	return code == 201 || code == 409 ? 0 : -1;
}

int api_bootstrap(struct api *api)
{
	static const char *const namespaces[] = { "default", "kube-system", "kube-public",
						  "kube-node-lease" };
	char body[1024], ip[32];
	uint32_t first = api->ips.base + 1;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
			 namespaces[i]);
		err |= ensure(api, "/api/v1/namespaces", body);
	}
	/* The kubernetes Service: the first address of the range, port 443 to the apiserver. */
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", first >> 24, (first >> 16) & 255, (first >> 8) & 255,
		 first & 255);
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"kubernetes\","
		 "\"labels\":{\"component\":\"apiserver\",\"provider\":\"kubernetes\"}},"
		 "\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"%s\",\"sessionAffinity\":\"None\","
		 "\"ports\":[{\"name\":\"https\",\"port\":443,\"protocol\":\"TCP\",\"targetPort\":%d}]}}",
		 ip, api->cfg.secure_port);
	err |= ensure(api, "/api/v1/namespaces/default/services", body);
	if (api->cfg.advertise_address) {
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"kubernetes\"},"
			 "\"subsets\":[{\"addresses\":[{\"ip\":\"%s\"}],\"ports\":[{\"name\":\"https\",\"port\":%d,\"protocol\":\"TCP\"}]}]}",
			 api->cfg.advertise_address, api->cfg.secure_port);
		err |= ensure(api, "/api/v1/namespaces/default/endpoints", body);
	}
	return err ? -1 : 0;
}
