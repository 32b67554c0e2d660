/* views.c — Lists and Tables, discovery documents, /version, health, OpenAPI v3, metrics
 * and continue tokens: what kubectl reads to feel at home. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_schema.h"
#include "views.h"

#define KBPF_K8S_MINOR "32"
#define KBPF_GIT_VERSION "v1.32.0-kbpf"

static void set_text(struct api_resp *r, int code, const char *text, const char *type)
{
	r->code = code;
	r->content_type = type;
	r->body = strdup(text);
	r->len = r->body ? strlen(r->body) : 0;
}

static void set_json(struct api_resp *r, int code, json_t *doc)
{
	r->code = code;
	r->content_type = "application/json";
	r->body = json_dumps(doc, JSON_COMPACT);
	r->len = r->body ? strlen(r->body) : 0;
	json_decref(doc);
}

static void group_version(const struct resource *res, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", res->group, *res->group ? "/" : "", res->version);
}

/* --- lists and tables --- */

char *views_list(const struct resource *res, struct sobj **objs, size_t n, int64_t rev,
		 const char *cont)
{
	size_t len = 256 + (cont ? strlen(cont) : 0), i, at;
	char gv[128], *out;

	for (i = 0; i < n; i++)
		len += objs[i]->len + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	group_version(res, gv, sizeof(gv));
	at = sprintf(out, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%lld\"%s%s%s},\"items\":[",
		     res->kind, gv, (long long)rev, cont ? ",\"continue\":\"" : "", cont ? cont : "",
		     cont ? "\"" : "");
	for (i = 0; i < n; i++) {
		if (i)
			out[at++] = ',';
		memcpy(out + at, objs[i]->json, objs[i]->len);
		at += objs[i]->len;
	}
	memcpy(out + at, "]}", 3);
	return out;
}

char *views_table(const struct resource *res, struct sobj **objs, size_t n, int64_t rev,
		  const char *cont, const char *include)
{
	json_t *table = json_object(), *cols = json_array(), *rows = json_array();
	char rv[32];
	size_t i;
	char *out;

	for (i = 0; i < res->n_columns; i++) {
		const struct column *c = &res->columns[i];

		json_array_append_new(cols, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", c->name,
						      "type", c->type, "format", c->format,
						      "description", c->description, "priority",
						      c->priority));
	}
	for (i = 0; i < n; i++) {
		json_t *obj = json_loadb(objs[i]->json, objs[i]->len, 0, NULL), *cells, *row;

		if (!obj)
			continue;
		cells = json_array();
		if (res->ops && res->ops->row)
			res->ops->row(obj, cells);
		row = json_pack("{s:o}", "cells", cells);
		if (!include || !strcmp(include, "Metadata"))
			json_object_set_new(row, "object",
					    json_pack("{s:s,s:s,s:O}", "kind", "PartialObjectMetadata",
						      "apiVersion", "meta.k8s.io/v1", "metadata",
						      json_object_get(obj, "metadata")));
		else if (!strcmp(include, "Object"))
			json_object_set(row, "object", obj);
		json_array_append_new(rows, row);
		json_decref(obj);
	}
	snprintf(rv, sizeof(rv), "%lld", (long long)rev);
	json_object_set_new(table, "kind", json_string("Table"));
	json_object_set_new(table, "apiVersion", json_string("meta.k8s.io/v1"));
	json_object_set_new(table, "metadata", json_pack("{s:s}", "resourceVersion", rv));
	if (cont)
		json_object_set_new(json_object_get(table, "metadata"), "continue", json_string(cont));
	json_object_set_new(table, "columnDefinitions", cols);
	json_object_set_new(table, "rows", rows);
	out = json_dumps(table, JSON_COMPACT);
	json_decref(table);
	return out;
}

/* --- continue tokens: base64url of {"rv":N,"start":"<last key>"} --- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *views_continue_encode(const char *last_key, int64_t rev)
{
	json_t *t = json_pack("{s:I,s:s}", "rv", (json_int_t)rev, "start", last_key);
	char *raw = json_dumps(t, JSON_COMPACT), *out, *p;
	size_t len, i;

	json_decref(t);
	if (!raw)
		return NULL;
	len = strlen(raw);
	out = malloc(4 * ((len + 2) / 3) + 1);
	for (p = out, i = 0; out && i < len; i += 3) {
		unsigned v = (unsigned char)raw[i] << 16;

		if (i + 1 < len)
			v |= (unsigned char)raw[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)raw[i + 2];
		*p++ = b64url[(v >> 18) & 63];
		*p++ = b64url[(v >> 12) & 63];
		if (i + 1 < len)
			*p++ = b64url[(v >> 6) & 63];
		if (i + 2 < len)
			*p++ = b64url[v & 63];
	}
	if (out)
		*p = 0;
	free(raw);
	return out;
}

int views_continue_decode(const char *token, char *last_key, size_t len)
{
	size_t n = strlen(token), i, o = 0;
	unsigned v = 0, bits = 0;
	char *raw = malloc(n + 1);
	json_t *t;
	int ret = -1;

	if (!raw)
		return -1;
	for (i = 0; i < n; i++) {
		const char *at = strchr(b64url, token[i]);

		if (!at || !token[i]) {
			free(raw);
			return -1;
		}
		v = (v << 6) | (at - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[o++] = (v >> bits) & 255;
		}
	}
	raw[o] = 0;
	t = json_loadb(raw, o, 0, NULL);
	if (json_string_value(json_object_get(t, "start")) &&
	    strlen(json_string_value(json_object_get(t, "start"))) < len) {
		strcpy(last_key, json_string_value(json_object_get(t, "start")));
		ret = 0;
	}
	json_decref(t);
	free(raw);
	return ret;
}

/* --- discovery --- */

static const char *const verb_names[] = { "get", "list", "watch", "create", "update", "patch",
					  "delete", "deletecollection" };

static json_t *verbs_json(unsigned verbs)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < 8; i++)
		if (verbs & (1u << i))
			json_array_append_new(a, json_string(verb_names[i]));
	return a;
}

static json_t *resource_list(const char *group, const char *version)
{
	json_t *list = json_array();
	char gv[128];
	unsigned i;

	for (i = 0; i < n_resources; i++) {
		const struct resource *res = resources[i];
		json_t *e, *sn;
		size_t k;

		if (strcmp(res->group, group) || strcmp(res->version, version))
			continue;
		e = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", res->plural, "singularName",
			      res->singular, "namespaced", res->namespaced, "kind", res->kind,
			      "verbs", verbs_json(res->verbs));
		sn = json_array();
		for (k = 0; k < 4 && res->short_names[k]; k++)
			json_array_append_new(sn, json_string(res->short_names[k]));
		if (json_array_size(sn))
			json_object_set_new(e, "shortNames", sn);
		else
			json_decref(sn);
		if (res->category_all)
			json_object_set_new(e, "categories", json_pack("[s]", "all"));
		json_array_append_new(list, e);
		if (res->has_status) {
			char name[64];

			snprintf(name, sizeof(name), "%s/status", res->plural);
			json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s,s:[sss]}", "name", name,
							      "singularName", "", "namespaced",
							      res->namespaced, "kind", res->kind,
							      "verbs", "get", "patch", "update"));
		}
		if (res->has_scale) {
			char name[64];

			snprintf(name, sizeof(name), "%s/scale", res->plural);
			json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:[sss]}",
							      "name", name, "singularName", "",
							      "namespaced", res->namespaced, "group",
							      "autoscaling", "version", "v1", "kind",
							      "Scale", "verbs", "get", "patch",
							      "update"));
		}
		if (!strcmp(res->plural, "pods"))
			json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s,s:[s]}", "name",
							      "pods/binding", "singularName", "",
							      "namespaced", true, "kind", "Binding",
							      "verbs", "create"));
		if (!strcmp(res->plural, "namespaces"))
			json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s,s:[s]}", "name",
							      "namespaces/finalize", "singularName",
							      "", "namespaced", false, "kind",
							      "Namespace", "verbs", "update"));
	}
	snprintf(gv, sizeof(gv), "%s%s%s", group, *group ? "/" : "", version);
	return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1",
			 "groupVersion", gv, "resources", list);
}

/* The groups served, in discovery order (autoscaling only carries the Scale kind). */
static const char *const groups[] = { "apps", "autoscaling", "coordination.k8s.io",
				      "discovery.k8s.io" };

static json_t *group_json(const char *name)
{
	char gv[128];

	snprintf(gv, sizeof(gv), "%s/v1", name);
	return json_pack("{s:s,s:[{s:s,s:s}],s:{s:s,s:s}}", "name", name, "versions",
			 "groupVersion", gv, "version", "v1", "preferredVersion", "groupVersion", gv,
			 "version", "v1");
}

/* --- OpenAPI v3 --- */

static json_t *gvk_json(const struct resource *res)
{
	return json_pack("{s:s,s:s,s:s}", "group", res->group, "version", res->version, "kind",
			 res->kind);
}

static json_t *param(const char *name, const char *in, const char *desc)
{
	return json_pack("{s:s,s:s,s:s,s:{s:s},s:b}", "name", name, "in", in, "description", desc,
			 "schema", "type", "string", "uniqueItems", true);
}

static json_t *ref_response(const char *type)
{
	char ref[256];

	snprintf(ref, sizeof(ref), "#/components/schemas/%s", type);
	return json_pack("{s:{s:s,s:{s:{s:{s:s}}}}}", "200", "description", "OK", "content",
			 "application/json", "schema", "$ref", ref);
}

/* The operations of one resource path; kubectl looks for the PATCH operation of a kind
 * with a fieldValidation parameter to leave validation to the server. */
static json_t *operations(const struct resource *res, bool item)
{
	static const char *const fv_desc =
		"fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.";
	json_t *path = json_object();
	const char *what = res->kind;
	char id[128];

	if (item) {
		snprintf(id, sizeof(id), "read%s", what);
		json_object_set_new(path, "get", json_pack("{s:s,s:o,s:s,s:o}", "operationId", id,
							   "responses", ref_response(res->schema_type),
							   "x-kubernetes-action", "get",
							   "x-kubernetes-group-version-kind", gvk_json(res)));
		if (res->verbs & V_UPDATE) {
			snprintf(id, sizeof(id), "replace%s", what);
			json_object_set_new(path, "put",
					    json_pack("{s:s,s:[o],s:o,s:s,s:o}", "operationId", id,
						      "parameters", param("fieldValidation", "query", fv_desc),
						      "responses", ref_response(res->schema_type),
						      "x-kubernetes-action", "put",
						      "x-kubernetes-group-version-kind", gvk_json(res)));
		}
		if (res->verbs & V_PATCH) {
			snprintf(id, sizeof(id), "patch%s", what);
			json_object_set_new(path, "patch",
					    json_pack("{s:s,s:[o,o],s:o,s:s,s:o}", "operationId", id,
						      "parameters", param("fieldValidation", "query", fv_desc),
						      param("fieldManager", "query",
							    "fieldManager is a name associated with the actor or entity that is making these changes."),
						      "responses", ref_response(res->schema_type),
						      "x-kubernetes-action", "patch",
						      "x-kubernetes-group-version-kind", gvk_json(res)));
		}
		if (res->verbs & V_DELETE) {
			snprintf(id, sizeof(id), "delete%s", what);
			json_object_set_new(path, "delete",
					    json_pack("{s:s,s:o,s:s,s:o}", "operationId", id, "responses",
						      ref_response("io.k8s.apimachinery.pkg.apis.meta.v1.Status"),
						      "x-kubernetes-action", "delete",
						      "x-kubernetes-group-version-kind", gvk_json(res)));
		}
	} else {
		if (res->verbs & V_LIST) {
			snprintf(id, sizeof(id), "list%s", what);
			json_object_set_new(path, "get",
					    json_pack("{s:s,s:s,s:o}", "operationId", id,
						      "x-kubernetes-action", "list",
						      "x-kubernetes-group-version-kind", gvk_json(res)));
		}
		if (res->verbs & V_CREATE) {
			snprintf(id, sizeof(id), "create%s", what);
			json_object_set_new(path, "post",
					    json_pack("{s:s,s:[o],s:o,s:s,s:o}", "operationId", id,
						      "parameters", param("fieldValidation", "query", fv_desc),
						      "responses", ref_response(res->schema_type),
						      "x-kubernetes-action", "post",
						      "x-kubernetes-group-version-kind", gvk_json(res)));
		}
	}
	return path;
}

static json_t *openapi_gv(const char *group, const char *version)
{
	static const char *const common[] = { "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
					      "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions" };
	json_t *paths = json_object(), *schemas, *extra;
	char base[128], p[256];
	unsigned i;

	if (*group)
		snprintf(base, sizeof(base), "/apis/%s/%s", group, version);
	else
		snprintf(base, sizeof(base), "/api/%s", version);
	for (i = 0; i < n_resources; i++) {
		const struct resource *res = resources[i];

		if (strcmp(res->group, group) || strcmp(res->version, version))
			continue;
		snprintf(p, sizeof(p), "%s%s/%s", base, res->namespaced ? "/namespaces/{namespace}" : "",
			 res->plural);
		json_object_set_new(paths, p, operations(res, false));
		snprintf(p, sizeof(p), "%s%s/%s/{name}", base,
			 res->namespaced ? "/namespaces/{namespace}" : "", res->plural);
		json_object_set_new(paths, p, operations(res, true));
	}
	/* Every kind of the group/version, and the meta types every operation answers with. */
	schemas = k8s_openapi_gv_schemas(group, version);
	if (!schemas)
		schemas = json_object();
	extra = k8s_openapi_schemas(common, 2);
	if (extra)
		json_object_update_missing(schemas, extra);
	json_decref(extra);
	return json_pack("{s:s,s:{s:s,s:s},s:o,s:{s:o}}", "openapi", "3.0.0", "info", "title",
			 "Kubernetes", "version", KBPF_GIT_VERSION, "paths", paths, "components",
			 "schemas", schemas);
}

/* A stable hash of the served schemas: clients cache GV documents by it. */
static void openapi_hash(struct api *api)
{
	unsigned long h = 5381;
	const char *s = KBPF_GIT_VERSION;
	unsigned i;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	for (i = 0; i < n_resources; i++)
		for (s = resources[i]->plural; *s; s++)
			h = h * 33 + (unsigned char)*s;
	snprintf(api->openapi_hash, sizeof(api->openapi_hash), "%016lX", h);
}

static json_t *openapi_root(struct api *api)
{
	json_t *paths = json_object();
	char url[256];
	size_t i;

	snprintf(url, sizeof(url), "/openapi/v3/api/v1?hash=%s", api->openapi_hash);
	json_object_set_new(paths, "api/v1", json_pack("{s:s}", "serverRelativeURL", url));
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		char key[128];

		snprintf(key, sizeof(key), "apis/%s/v1", groups[i]);
		snprintf(url, sizeof(url), "/openapi/v3/apis/%s/v1?hash=%s", groups[i],
			 api->openapi_hash);
		json_object_set_new(paths, key, json_pack("{s:s}", "serverRelativeURL", url));
	}
	return json_pack("{s:o}", "paths", paths);
}

/* --- metrics --- */

static const char *const metric_verbs[METRIC_VERBS] = { "GET", "LIST", "WATCH", "POST", "PUT",
							"PATCH", "DELETE", "DELETECOLLECTION",
							"CONNECT", "OTHER" };
static const int metric_codes[METRIC_CODES] = { 200, 201, 202, 400, 403, 404, 405,
						409, 410, 413, 415, 422, 500, 0 };
static const double buckets[LATENCY_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
						  0.05, 0.1, 0.25, 0.5, 1, 5 };

void views_count(struct api *api, const char *verb, const struct resource *res, int code,
		 double seconds)
{
	struct api_metrics *m = &api->metrics;
	int v, c, b;
	unsigned ri = n_resources;
	unsigned i;

	for (v = 0; v < METRIC_VERBS - 1 && strcmp(metric_verbs[v], verb); v++)
		;
	for (i = 0; res && i < n_resources; i++)
		if (resources[i] == res)
			ri = i;
	for (c = 0; c < METRIC_CODES - 1 && metric_codes[c] != code; c++)
		;
	for (b = 0; b < LATENCY_BUCKETS && seconds > buckets[b]; b++)
		;
	pthread_mutex_lock(&m->mu);
	m->requests[ri][v][c]++;
	if (v != 2) { /* watches last as long as they are open: not a latency */
		m->latency[v][b]++;
		m->latency_sum[v] += seconds;
		m->latency_count[v]++;
	}
	pthread_mutex_unlock(&m->mu);
}

char *api_metrics_text(struct api *api, size_t *len)
{
	struct api_metrics *m = &api->metrics;
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	unsigned r, v, c, b;

#define EMIT(...)                                                                      \
	do {                                                                           \
		int w_;                                                                \
		if (!out)                                                              \
			break;                                                         \
		w_ = snprintf(out + n, cap - n, __VA_ARGS__);                          \
		if (w_ > 0 && n + w_ >= cap) {                                         \
			char *o_;                                                      \
			cap = (n + w_) * 2;                                            \
			o_ = realloc(out, cap);                                        \
			if (!o_) {                                                     \
				free(out);                                             \
				out = NULL;                                            \
				break;                                                 \
			}                                                              \
			out = o_;                                                      \
			w_ = snprintf(out + n, cap - n, __VA_ARGS__);                  \
		}                                                                      \
		if (w_ > 0)                                                            \
			n += w_;                                                       \
	} while (0)

	EMIT("# HELP apiserver_request_total Requests by verb, resource and HTTP response code.\n"
	     "# TYPE apiserver_request_total counter\n");
	pthread_mutex_lock(&m->mu);
	for (r = 0; r <= n_resources; r++)
		for (v = 0; v < METRIC_VERBS; v++)
			for (c = 0; c < METRIC_CODES; c++)
				if (m->requests[r][v][c])
					EMIT("apiserver_request_total{verb=\"%s\",resource=\"%s\",code=\"%d\"} %llu\n",
					     metric_verbs[v],
					     r < n_resources ? resources[r]->plural : "",
					     metric_codes[c] ? metric_codes[c] : 0,
					     (unsigned long long)m->requests[r][v][c]);
	EMIT("# HELP apiserver_request_duration_seconds Response latency by verb.\n"
	     "# TYPE apiserver_request_duration_seconds histogram\n");
	for (v = 0; v < METRIC_VERBS; v++) {
		uint64_t cum = 0;

		if (!m->latency_count[v])
			continue;
		for (b = 0; b < LATENCY_BUCKETS; b++) {
			cum += m->latency[v][b];
			EMIT("apiserver_request_duration_seconds_bucket{verb=\"%s\",le=\"%g\"} %llu\n",
			     metric_verbs[v], buckets[b], (unsigned long long)cum);
		}
		cum += m->latency[v][LATENCY_BUCKETS];
		EMIT("apiserver_request_duration_seconds_bucket{verb=\"%s\",le=\"+Inf\"} %llu\n",
		     metric_verbs[v], (unsigned long long)cum);
		EMIT("apiserver_request_duration_seconds_sum{verb=\"%s\"} %g\n", metric_verbs[v],
		     m->latency_sum[v]);
		EMIT("apiserver_request_duration_seconds_count{verb=\"%s\"} %llu\n", metric_verbs[v],
		     (unsigned long long)m->latency_count[v]);
	}
	pthread_mutex_unlock(&m->mu);
	EMIT("# HELP apiserver_longrunning_requests Open watches.\n"
	     "# TYPE apiserver_longrunning_requests gauge\n"
	     "apiserver_longrunning_requests{verb=\"WATCH\"} %lld\n",
	     (long long)__atomic_load_n(&m->watches, __ATOMIC_RELAXED));
	EMIT("# HELP kbpf_store_revision The store's current revision.\n"
	     "# TYPE kbpf_store_revision gauge\nkbpf_store_revision %lld\n",
	     (long long)store_rev(api->store));
	EMIT("# HELP apiserver_storage_size_bytes Size of the storage database file.\n"
	     "# TYPE apiserver_storage_size_bytes gauge\napiserver_storage_size_bytes %lld\n",
	     (long long)store_size_bytes(api->store));
	EMIT("# HELP apiserver_storage_objects Stored objects by resource.\n"
	     "# TYPE apiserver_storage_objects gauge\n");
	for (r = 0; r < n_resources; r++) {
		char prefix[80];

		snprintf(prefix, sizeof(prefix), "%s/", resources[r]->plural);
		EMIT("apiserver_storage_objects{resource=\"%s\"} %zu\n", resources[r]->plural,
		     store_count(api->store, prefix));
	}
#undef EMIT
	*len = out ? n : 0;
	return out;
}

/* --- non-resource paths --- */

bool views_nonresource(struct api *api, const struct api_req *req, char parts[][254], int n,
		       struct api_resp *r)
{
	const char *p0 = n > 0 ? parts[0] : "";
	size_t i;

	(void)req;

	if (n == 0) {
		json_t *paths = json_pack("[sssssssss]", "/api", "/api/v1", "/apis", "/healthz",
					  "/livez", "/readyz", "/metrics", "/openapi/v3", "/version");

		for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			json_array_append_new(paths, json_sprintf("/apis/%s/v1", groups[i]));
		set_json(r, 200, json_pack("{s:o}", "paths", paths));
		return true;
	}
	if (n == 1 && !strcmp(p0, "version")) {
		set_json(r, 200, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1",
					   "minor", KBPF_K8S_MINOR, "gitVersion", KBPF_GIT_VERSION,
					   "gitCommit", "kbpf", "gitTreeState", "clean", "buildDate",
					   __DATE__, "goVersion", "none (C)", "compiler", "gcc",
					   "platform", "linux/amd64"));
		return true;
	}
	if (n >= 1 && (!strcmp(p0, "healthz") || !strcmp(p0, "livez") || !strcmp(p0, "readyz"))) {
		set_text(r, 200, "ok", "text/plain; charset=utf-8");
		return true;
	}
	if (n == 1 && !strcmp(p0, "metrics")) {
		size_t len;

		r->code = 200;
		r->content_type = "text/plain; version=0.0.4";
		r->body = api_metrics_text(api, &len);
		r->len = len;
		return true;
	}
	if (!strcmp(p0, "openapi")) {
		if (n == 2 && !strcmp(parts[1], "v3")) {
			set_json(r, 200, openapi_root(api));
		} else if (n == 4 && !strcmp(parts[1], "v3") && !strcmp(parts[2], "api")) {
			if (strcmp(parts[3], "v1"))
				return false;
			set_json(r, 200, openapi_gv("", "v1"));
		} else if (n == 5 && !strcmp(parts[1], "v3") && !strcmp(parts[2], "apis")) {
			for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
				if (!strcmp(parts[3], groups[i]) && !strcmp(parts[4], "v1"))
					break;
			if (i == sizeof(groups) / sizeof(groups[0]))
				return false;
			set_json(r, 200, openapi_gv(parts[3], "v1"));
		} else {
			return false;
		}
		return true;
	}
	if (!strcmp(p0, "api") && n <= 2) {
		if (n == 1) {
			char addr[300];

			snprintf(addr, sizeof(addr), "%s:%d",
				 api->cfg.advertise_address ? api->cfg.advertise_address : "127.0.0.1",
				 api->cfg.secure_port);
			set_json(r, 200, json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions",
						   "versions", "v1", "serverAddressByClientCIDRs",
						   "clientCIDR", "0.0.0.0/0", "serverAddress", addr));
		} else if (!strcmp(parts[1], "v1")) {
			set_json(r, 200, resource_list("", "v1"));
		} else {
			return false;
		}
		return true;
	}
	if (!strcmp(p0, "apis") && n <= 3) {
		if (n == 1) {
			json_t *list = json_array();

			for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
				json_array_append_new(list, group_json(groups[i]));
			set_json(r, 200, json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList",
						   "apiVersion", "v1", "groups", list));
			return true;
		}
		for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			if (!strcmp(parts[1], groups[i]))
				break;
		if (i == sizeof(groups) / sizeof(groups[0]))
			return false;
		if (n == 2) {
			json_t *g = group_json(groups[i]);

			json_object_set_new(g, "kind", json_string("APIGroup"));
			json_object_set_new(g, "apiVersion", json_string("v1"));
			set_json(r, 200, g);
		} else if (!strcmp(parts[2], "v1")) {
			set_json(r, 200, resource_list(groups[i], "v1"));
		} else {
			return false;
		}
		return true;
	}
	return false;
}

/* --- schema-backed checks --- */

size_t views_check_fields(const struct resource *res, const json_t *obj, char ***unknown,
			  char **type_error)
{
	struct k8s_problems p = { 0 };
	size_t i, n = 0;

	*unknown = NULL;
	*type_error = NULL;
	if (!res->schema_type || k8s_check_fields(res->schema_type, obj, &p) <= 0) {
		k8s_problems_free(&p);
		return 0;
	}
	*unknown = calloc(p.n_unknown + 1, sizeof(char *));
	for (i = 0; i < p.n; i++) {
		if (p.v[i].kind == K8S_UNKNOWN_FIELD && *unknown)
			(*unknown)[n++] = strdup(p.v[i].path);
		else if (p.v[i].kind == K8S_WRONG_TYPE && !*type_error)
			*type_error = strdup(p.v[i].message);
	}
	k8s_problems_free(&p);
	return n;
}

bool views_smp_lookup(const char *type, const char *field, struct smp_field *out, void *ctx)
{
	return k8s_smp_lookup(type, field, out, ctx);
}

int views_init(struct api *api)
{
	pthread_mutex_init(&api->metrics.mu, NULL);
	api->metrics.requests = calloc(n_resources + 1, sizeof(*api->metrics.requests));
	openapi_hash(api);
	return api->metrics.requests ? 0 : -1;
}

void views_free(struct api *api)
{
	free(api->metrics.requests);
	pthread_mutex_destroy(&api->metrics.mu);
}
