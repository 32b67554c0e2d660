/* k8s_schema.c — lookups, strict field checks, patch metadata and OpenAPI v3 over the generated schema tables. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_schema.h"

/* --- lookups --- */

const struct k8s_type *k8s_type_find(const char *name)
{
	size_t lo = 0, hi = k8s_n_types;

	if (!name)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, k8s_str(k8s_types[mid].name));

		if (!c)
			return &k8s_types[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct k8s_type *k8s_kind_type(const char *group, const char *version, const char *kind)
{
	size_t i;

	if (!group || !version || !kind)
		return NULL;
	for (i = 0; i < k8s_n_gvks; i++) {
		const struct k8s_gvk *g = &k8s_gvks[i];

		if (!strcmp(kind, k8s_str(g->kind)) && !strcmp(version, k8s_str(g->version)) &&
		    !strcmp(group, k8s_str(g->group)))
			return &k8s_types[g->type];
	}
	return NULL;
}

const struct k8s_field *k8s_type_field(const struct k8s_type *t, const char *name)
{
	const struct k8s_field *f;
	size_t lo = 0, hi;

	if (!t || !name)
		return NULL;
	f = &k8s_fields[t->first_field];
	hi = t->n_fields;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, k8s_str(f[mid].name));

		if (!c)
			return &f[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct k8s_type *k8s_field_ref(const struct k8s_field *f)
{
	return f && f->ref != K8S_NO_REF ? &k8s_types[f->ref] : NULL;
}

/* "io.k8s.api.core.v1.PodSpec" -> "PodSpec" */
static const char *short_name(const struct k8s_type *t)
{
	const char *name = k8s_str(t->name), *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

/* "io.k8s.api.core.v1.PodSpec" -> "v1", the Go package name; len in *n. */
static const char *go_package(const struct k8s_type *t, int *n)
{
	const char *name = k8s_str(t->name), *end = strrchr(name, '.'), *p;

	if (!end) {
		*n = 0;
		return name;
	}
	for (p = end; p > name && p[-1] != '.'; p--)
		;
	*n = (int)(end - p);
	return p;
}

/* --- strict field checks --- */

/* A growable string: the path being checked, cut back as the walk returns. */
struct sbuf {
	char *s;
	size_t len, cap;
};

struct checker {
	struct k8s_problems *out;
	struct sbuf path;               /* "spec.containers[0].ports[1]" */
	struct sbuf gopath;             /* "spec.containers.ports": Go's field stack, which
					 * holds struct fields only, no indexes or map keys */
	const struct k8s_type *strct;   /* innermost struct being decoded, as Go names it in
					 * "Go struct field <Struct>.<path>" */
	int err;
	int found;
};

static int sbuf_reserve(struct sbuf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s)
		return -ENOMEM;
	b->s = s;
	b->cap = cap;
	return 0;
}

static int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (sbuf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* Append a path element: ".name" (or "name" at the start). */
static int sbuf_add_key(struct sbuf *b, const char *key)
{
	if (b->len && sbuf_add(b, ".", 1))
		return -ENOMEM;
	return sbuf_add(b, key, strlen(key));
}

static int sbuf_add_index(struct sbuf *b, size_t i)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "[%zu]", i);

	return sbuf_add(b, tmp, (size_t)n);
}

static void sbuf_cut(struct sbuf *b, size_t len)
{
	b->len = len;
	if (b->s)
		b->s[len] = '\0';
}

static const char *json_type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_NULL:
	default:
		return "null";
	}
}

static const char *kind_word(enum k8s_kind kind)
{
	static const char *const words[] = {
		[K8S_NONE] = "none", [K8S_STRING] = "string", [K8S_INTEGER] = "integer",
		[K8S_NUMBER] = "number", [K8S_BOOLEAN] = "boolean", [K8S_DATETIME] = "date-time",
		[K8S_OBJECT] = "object", [K8S_ARRAY] = "array", [K8S_MAP] = "map",
		[K8S_INT_OR_STRING] = "int-or-string", [K8S_QUANTITY] = "quantity",
		[K8S_ANY] = "any",
	};

	return (unsigned)kind < sizeof(words) / sizeof(words[0]) ? words[kind] : "none";
}

/* The Go type of a value of kind (an element when elem), as encoding/json prints it. */
static int go_type(char *buf, size_t len, const struct k8s_field *f, bool elem)
{
	enum k8s_kind kind = elem ? f->elem : f->kind;
	const struct k8s_type *ref = k8s_field_ref(f);
	const char *pkg;
	char sub[160];
	int n;

	switch (kind) {
	case K8S_STRING:
		return snprintf(buf, len, "%s", f->format == K8S_FMT_BYTE ? "[]uint8" : "string");
	case K8S_INTEGER:
		return snprintf(buf, len, "%s", f->format == K8S_FMT_INT64 ? "int64" : "int32");
	case K8S_NUMBER:
		return snprintf(buf, len, "float64");
	case K8S_BOOLEAN:
		return snprintf(buf, len, "bool");
	case K8S_ARRAY:
		go_type(sub, sizeof(sub), f, true);
		return snprintf(buf, len, "[]%s", sub);
	case K8S_MAP:
		if (f->elem == K8S_QUANTITY)
			return snprintf(buf, len, "v1.ResourceList");
		go_type(sub, sizeof(sub), f, true);
		return snprintf(buf, len, "map[string]%s", sub);
	default:
		if (!ref)
			return snprintf(buf, len, "interface {}");
		pkg = go_package(ref, &n);
		return snprintf(buf, len, "%.*s.%s", n, pkg, short_name(ref));
	}
}

static void problem_free(struct k8s_problem *p)
{
	free(p->path);
	free(p->message);
}

void k8s_problems_free(struct k8s_problems *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		problem_free(&p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

__attribute__((format(printf, 5, 6)))
static void add_problem(struct checker *c, enum k8s_problem_kind kind, const char *got,
			const char *want, const char *fmt, ...)
{
	struct k8s_problems *out = c->out;
	struct k8s_problem p = { .kind = kind, .got = got, .want = want };
	va_list ap;
	int n;

	if (c->err)
		return;
	if (out->n >= K8S_MAX_PROBLEMS) {
		out->truncated = true;
		return;
	}
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		struct k8s_problem *v = realloc(out->v, cap * sizeof(*v));

		if (!v)
			goto nomem;
		out->v = v;
		out->cap = cap;
	}
	p.path = strdup(c->path.s ? c->path.s : "");
	va_start(ap, fmt);
	n = vasprintf(&p.message, fmt, ap);
	va_end(ap);
	if (n < 0)
		p.message = NULL;
	if (!p.path || !p.message)
		goto nomem;
	out->v[out->n++] = p;
	if (kind == K8S_UNKNOWN_FIELD)
		out->n_unknown++;
	else
		out->n_wrong++;
	c->found++;
	return;
nomem:
	problem_free(&p);
	c->err = -ENOMEM;
}

/* Go's %q, enough for field names: quotes, backslashes and control bytes escaped. */
static int quote(struct sbuf *b, const char *s)
{
	char tmp[8];

	if (sbuf_add(b, "\"", 1))
		return -ENOMEM;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)ch;
			if (sbuf_add(b, tmp, 2))
				return -ENOMEM;
		} else if (ch < 0x20 || ch == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
			if (sbuf_add(b, tmp, 4))
				return -ENOMEM;
		} else if (sbuf_add(b, s, 1)) {
			return -ENOMEM;
		}
	}
	return sbuf_add(b, "\"", 1);
}

static void unknown_field(struct checker *c)
{
	struct sbuf q = { 0 };

	if (quote(&q, c->path.s ? c->path.s : "")) {
		c->err = -ENOMEM;
	} else {
		add_problem(c, K8S_UNKNOWN_FIELD, NULL, NULL, "unknown field %s", q.s);
	}
	free(q.s);
}

/* The number as its JSON literal most likely was: "40.0", "1.5", "1e+300". */
static void format_real(char *buf, size_t len, double d)
{
	int prec;

	if (d == (double)(long long)d && d > -1e15 && d < 1e15) {
		snprintf(buf, len, "%.1f", d);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
}

/* v (of JSON type got) cannot be f's value (or element): Go's UnmarshalTypeError. */
static void wrong_type(struct checker *c, const struct k8s_field *f, bool elem, const json_t *v,
		       bool with_literal)
{
	enum k8s_kind want = elem ? f->elem : f->kind;
	char gt[192], got[64];
	const char *word = json_type_word(v);

	go_type(gt, sizeof(gt), f, elem);
	if (with_literal && json_is_real(v)) {
		char num[40];

		format_real(num, sizeof(num), json_real_value(v));
		snprintf(got, sizeof(got), "number %s", num);
	} else if (with_literal && json_is_integer(v)) {
		snprintf(got, sizeof(got), "number %" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else {
		snprintf(got, sizeof(got), "%s", word);
	}
	if (c->strct)
		add_problem(c, K8S_WRONG_TYPE, word, kind_word(want),
			    "json: cannot unmarshal %s into Go struct field %s.%s of type %s", got,
			    short_name(c->strct), c->gopath.s ? c->gopath.s : "", gt);
	else
		add_problem(c, K8S_WRONG_TYPE, word, kind_word(want),
			    "json: cannot unmarshal %s into Go value of type %s", got, gt);
}

static void check_object(struct checker *c, const struct k8s_type *t, const json_t *obj, bool top);

/* An integer that fits the field's Go type; reports and returns false otherwise. */
static bool integer_fits(struct checker *c, const struct k8s_field *f, bool elem, const json_t *v)
{
	json_int_t i;

	if (json_is_real(v)) {
		wrong_type(c, f, elem, v, true);
		return false;
	}
	i = json_integer_value(v);
	if (f->format != K8S_FMT_INT64 && (i < INT32_MIN || i > INT32_MAX)) {
		wrong_type(c, f, elem, v, true);
		return false;
	}
	return true;
}

static void check_value(struct checker *c, const struct k8s_field *f, bool elem, const json_t *v)
{
	enum k8s_kind kind = elem ? f->elem : f->kind;
	const struct k8s_type *ref = k8s_field_ref(f);
	size_t saved, i;
	const char *key;
	json_t *item;

	if (c->err || json_is_null(v))
		return;
	switch (kind) {
	case K8S_STRING:
	case K8S_DATETIME:
		if (!json_is_string(v))
			wrong_type(c, f, elem, v, false);
		return;
	case K8S_INTEGER:
		if (!json_is_number(v))
			wrong_type(c, f, elem, v, false);
		else
			integer_fits(c, f, elem, v);
		return;
	case K8S_NUMBER:
		if (!json_is_number(v))
			wrong_type(c, f, elem, v, false);
		return;
	case K8S_BOOLEAN:
		if (!json_is_boolean(v))
			wrong_type(c, f, elem, v, false);
		return;
	case K8S_INT_OR_STRING:
		/* IntOrString decodes a string as a name, anything else as an int32. */
		if (json_is_number(v)) {
			json_int_t n;

			if (json_is_real(v) ||
			    (n = json_integer_value(v)) < INT32_MIN || n > INT32_MAX)
				wrong_type(c, f, elem, v, true);
		} else if (!json_is_string(v)) {
			wrong_type(c, f, elem, v, false);
		}
		return;
	case K8S_QUANTITY:
		if (!json_is_string(v) && !json_is_number(v))
			wrong_type(c, f, elem, v, false);
		return;
	case K8S_ANY:
		return;
	case K8S_OBJECT:
		if (!json_is_object(v))
			wrong_type(c, f, elem, v, false);
		else if (ref)
			check_object(c, ref, v, false);
		return;
	case K8S_ARRAY:
		if (!json_is_array(v)) {
			wrong_type(c, f, elem, v, false);
			return;
		}
		saved = c->path.len;
		json_array_foreach(v, i, item) {
			if (sbuf_add_index(&c->path, i)) {
				c->err = -ENOMEM;
				return;
			}
			check_value(c, f, true, item);
			sbuf_cut(&c->path, saved);
		}
		return;
	case K8S_MAP:
		if (!json_is_object(v)) {
			wrong_type(c, f, elem, v, false);
			return;
		}
		saved = c->path.len;
		json_object_foreach((json_t *)v, key, item) {
			if (sbuf_add_key(&c->path, key)) {
				c->err = -ENOMEM;
				return;
			}
			check_value(c, f, true, item);
			sbuf_cut(&c->path, saved);
		}
		return;
	default:
		return;
	}
}

static bool always_allowed(const char *key)
{
	return !strcmp(key, "apiVersion") || !strcmp(key, "kind") || !strcmp(key, "metadata");
}

static void check_object(struct checker *c, const struct k8s_type *t, const json_t *obj, bool top)
{
	const struct k8s_type *outer = c->strct;
	size_t path_len = c->path.len, go_len = c->gopath.len;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		const struct k8s_field *f = k8s_type_field(t, key);

		if (c->err)
			return;
		if (sbuf_add_key(&c->path, key)) {
			c->err = -ENOMEM;
			return;
		}
		if (f) {
			if (sbuf_add_key(&c->gopath, key)) {
				c->err = -ENOMEM;
				return;
			}
			c->strct = t;
			check_value(c, f, false, v);
			c->strct = outer;
		} else if (!(top && always_allowed(key))) {
			unknown_field(c);
		}
		sbuf_cut(&c->path, path_len);
		sbuf_cut(&c->gopath, go_len);
	}
}

int k8s_check_fields(const char *type, const json_t *obj, struct k8s_problems *out)
{
	const struct k8s_type *t = k8s_type_find(type);
	struct checker c = { .out = out };

	if (!t)
		return -ENOENT;
	if (!obj || json_is_null(obj))
		return 0;
	if (t->kind != K8S_OBJECT || !json_is_object(obj)) {
		/* The whole value has the wrong type: a field-less stand-in describes it. */
		struct k8s_field whole = { .kind = t->kind == K8S_OBJECT ? K8S_OBJECT : t->kind,
					   .ref = (uint16_t)(t - k8s_types) };

		if (t->kind == K8S_OBJECT)
			wrong_type(&c, &whole, false, obj, false);
		else
			check_value(&c, &whole, false, obj);
	} else {
		check_object(&c, t, obj, true);
	}
	free(c.path.s);
	free(c.gopath.s);
	return c.err ? c.err : c.found;
}

/* --- strategic merge patch --- */

bool k8s_smp_lookup(const char *type, const char *field, struct smp_field *out, void *ctx)
{
	const struct k8s_field *f = k8s_type_field(k8s_type_find(type), field);
	const struct k8s_type *ref;
	enum k8s_kind kind;

	(void)ctx;
	if (!f || !out)
		return false;
	kind = f->kind == K8S_ARRAY || f->kind == K8S_MAP ? f->elem : f->kind;
	ref = k8s_field_ref(f);
	out->type = kind == K8S_OBJECT && ref ? k8s_str(ref->name) : NULL;
	out->merge_key = f->merge_key ? k8s_str(f->merge_key) : NULL;
	out->strategy = f->strategy;
	out->is_list = f->kind == K8S_ARRAY;
	return true;
}

/* --- OpenAPI v3 --- */

#define REF_PREFIX "#/components/schemas/"

/* Set key to v (a new reference) in o; false, with v released, when out of memory. */
static bool put(json_t *o, const char *key, json_t *v)
{
	return v && !json_object_set_new(o, key, v);
}

static json_t *ref_schema(const struct k8s_type *t)
{
	const char *name = k8s_str(t->name);
	size_t n = strlen(REF_PREFIX) + strlen(name) + 1;
	char *s = malloc(n);
	json_t *o;

	if (!s)
		return NULL;
	snprintf(s, n, "%s%s", REF_PREFIX, name);
	o = json_pack("{s:s}", "$ref", s);
	free(s);
	return o;
}

/* The schema of a value of kind (a field's, or its elements' when elem); records in
 * want[] the named types it refers to. */
static json_t *value_schema(const struct k8s_field *f, bool elem, bool *want)
{
	enum k8s_kind kind = elem ? f->elem : f->kind;
	const struct k8s_type *ref = k8s_field_ref(f);
	json_t *o, *sub;

	switch (kind) {
	case K8S_STRING:
		if (f->format == K8S_FMT_BYTE)
			return json_pack("{s:s, s:s}", "type", "string", "format", "byte");
		return json_pack("{s:s}", "type", "string");
	case K8S_INTEGER:
		return json_pack("{s:s, s:s}", "type", "integer", "format",
				 f->format == K8S_FMT_INT64 ? "int64" : "int32");
	case K8S_NUMBER:
		return json_pack("{s:s, s:s}", "type", "number", "format", "double");
	case K8S_BOOLEAN:
		return json_pack("{s:s}", "type", "boolean");
	case K8S_ARRAY:
	case K8S_MAP:
		sub = value_schema(f, true, want);
		if (!sub)
			return NULL;
		o = json_pack("{s:s, s:o}", "type", kind == K8S_ARRAY ? "array" : "object",
			      kind == K8S_ARRAY ? "items" : "additionalProperties", sub);
		return o;
	default:
		if (!ref)
			return json_pack("{s:s}", "type", "object");
		want[ref - k8s_types] = true;
		return ref_schema(ref);
	}
}

static json_t *property_schema(const struct k8s_field *f, bool *want)
{
	json_t *o = value_schema(f, false, want);
	const char *strategy = NULL;

	if (!o)
		return NULL;
	/* OpenAPI 3.0 ignores the siblings of a "$ref": like Kubernetes' builder, wrap the
	 * reference in a one-element allOf so that the description (which kubectl explain
	 * prints before the type's) and the patch extensions count. */
	if (json_object_get(o, "$ref") && (f->description || f->merge_key || f->strategy)) {
		o = json_pack("{s:[o]}", "allOf", o);
		if (!o)
			return NULL;
	}
	if (f->description && !put(o, "description", json_string(k8s_str(f->description))))
		goto nomem;
	if (f->merge_key &&
	    !put(o, "x-kubernetes-patch-merge-key", json_string(k8s_str(f->merge_key))))
		goto nomem;
	if (f->strategy == (SMP_MERGE | SMP_RETAIN_KEYS))
		strategy = "merge,retainKeys";
	else if (f->strategy == SMP_MERGE)
		strategy = "merge";
	else if (f->strategy == SMP_RETAIN_KEYS)
		strategy = "retainKeys";
	if (strategy && !put(o, "x-kubernetes-patch-strategy", json_string(strategy)))
		goto nomem;
	return o;
nomem:
	json_decref(o);
	return NULL;
}

static json_t *gvk_list(const struct k8s_type *t)
{
	json_t *list = json_array();
	size_t i;

	if (!list)
		return NULL;
	for (i = 0; i < k8s_n_gvks; i++) {
		const struct k8s_gvk *g = &k8s_gvks[i];

		if (&k8s_types[g->type] != t)
			continue;
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:s}",
							  "group", k8s_str(g->group),
							  "kind", k8s_str(g->kind),
							  "version", k8s_str(g->version)))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

static json_t *type_schema(const struct k8s_type *t, bool *want)
{
	json_t *o = NULL, *props = NULL, *required = NULL, *gvks = NULL;
	bool ok;
	size_t i;

	switch (t->kind) {
	case K8S_DATETIME:
		o = json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
		break;
	case K8S_QUANTITY:
		o = json_pack("{s:[{s:s}, {s:s}]}", "oneOf", "type", "string", "type", "number");
		break;
	case K8S_INT_OR_STRING:
		o = json_pack("{s:s, s:[{s:s}, {s:s}], s:b}", "format", "int-or-string",
			      "oneOf", "type", "integer", "type", "string",
			      "x-kubernetes-int-or-string", 1);
		break;
	case K8S_ANY:
		o = json_pack("{s:s}", "type", "object");
		break;
	default:
		o = json_pack("{s:s}", "type", "object");
		props = json_object();
		required = json_array();
		if (!o || !props || !required)
			goto nomem;
		for (i = 0; i < t->n_fields; i++) {
			const struct k8s_field *f = &k8s_fields[t->first_field + i];
			const char *name = k8s_str(f->name);

			if (!put(props, name, property_schema(f, want)))
				goto nomem;
			if ((f->flags & K8S_F_REQUIRED) &&
			    json_array_append_new(required, json_string(name)))
				goto nomem;
		}
		/* put() takes the value, stored or not. */
		ok = put(o, "properties", props);
		props = NULL;
		if (!ok)
			goto nomem;
		if (json_array_size(required)) {
			ok = put(o, "required", required);
			required = NULL;
			if (!ok)
				goto nomem;
		}
		gvks = gvk_list(t);
		if (!gvks)
			goto nomem;
		if (json_array_size(gvks)) {
			ok = put(o, "x-kubernetes-group-version-kind", gvks);
			gvks = NULL;
			if (!ok)
				goto nomem;
		}
		break;
	}
	if (!o)
		goto nomem;
	if (t->description && !put(o, "description", json_string(k8s_str(t->description))))
		goto nomem;
	json_decref(required);
	json_decref(gvks);
	return o;
nomem:
	json_decref(o);
	json_decref(props);
	json_decref(required);
	json_decref(gvks);
	return NULL;
}

/* Schemas of the types marked in want[] and of all they reference. */
static json_t *schemas_closure(bool *want)
{
	bool *done = calloc(k8s_n_types, sizeof(*done));
	json_t *schemas = json_object();
	bool more = true;
	size_t i;

	if (!done || !schemas)
		goto nomem;
	while (more) {
		more = false;
		for (i = 0; i < k8s_n_types; i++) {
			if (!want[i] || done[i])
				continue;
			done[i] = true;
			more = true;
			if (!put(schemas, k8s_str(k8s_types[i].name), type_schema(&k8s_types[i], want)))
				goto nomem;
		}
	}
	free(done);
	return schemas;
nomem:
	free(done);
	json_decref(schemas);
	errno = ENOMEM;
	return NULL;
}

json_t *k8s_openapi_schemas(const char *const *types, size_t n_types)
{
	bool *want = calloc(k8s_n_types, sizeof(*want));
	json_t *schemas;
	size_t i;

	if (!want) {
		errno = ENOMEM;
		return NULL;
	}
	if (!types) {
		for (i = 0; i < k8s_n_types; i++)
			want[i] = true;
	}
	for (i = 0; types && i < n_types; i++) {
		const struct k8s_type *t = k8s_type_find(types[i]);

		if (!t) {
			free(want);
			errno = ENOENT;
			return NULL;
		}
		want[t - k8s_types] = true;
	}
	schemas = schemas_closure(want);
	free(want);
	return schemas;
}

json_t *k8s_openapi_gv_schemas(const char *group, const char *version)
{
	bool *want = calloc(k8s_n_types, sizeof(*want));
	bool any = false;
	json_t *schemas;
	size_t i;

	if (!want) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; group && version && i < k8s_n_gvks; i++) {
		const struct k8s_gvk *g = &k8s_gvks[i];

		if (!strcmp(group, k8s_str(g->group)) && !strcmp(version, k8s_str(g->version))) {
			want[g->type] = true;
			any = true;
		}
	}
	if (!any) {
		free(want);
		errno = ENOENT;
		return NULL;
	}
	schemas = schemas_closure(want);
	free(want);
	return schemas;
}

/* {"get": {...}} for one path of a resource: the operation kubectl explain reads. */
static json_t *get_operation(const char *group, const char *version, const char *kind,
			     const struct k8s_type *response, bool list)
{
	json_t *ref = ref_schema(response);

	if (!ref)
		return NULL;
	return json_pack("{s:{s:s, s:{s:{s:s, s:{s:{s:o}}}}, s:s, s:{s:s, s:s, s:s}}}",
			 "get",
			 "description", list ? "list objects of this kind" : "read the specified object",
			 "responses", "200", "description", "OK", "content", "application/json",
			 "schema", ref,
			 "x-kubernetes-action", list ? "list" : "get",
			 "x-kubernetes-group-version-kind",
			 "group", group, "kind", kind, "version", version);
}

static int add_resource_paths(json_t *paths, const char *group, const char *version,
			      const struct k8s_openapi_resource *r)
{
	const struct k8s_type *item = k8s_kind_type(group, version, r->kind);
	const struct k8s_type *list;
	char *base = NULL, *named = NULL, *list_kind = NULL;
	int err = -ENOMEM;

	if (!item || !r->resource)
		return -ENOENT;
	if (asprintf(&list_kind, "%sList", r->kind) < 0) {
		list_kind = NULL;
		goto out;
	}
	list = k8s_kind_type(group, version, list_kind);
	if (asprintf(&base, "%s%s/%s%s/%s", *group ? "/apis/" : "/api", group, version,
		     r->namespaced ? "/namespaces/{namespace}" : "", r->resource) < 0) {
		base = NULL;
		goto out;
	}
	if (asprintf(&named, "%s/{name}", base) < 0) {
		named = NULL;
		goto out;
	}
	if (!put(paths, base, get_operation(group, version, r->kind, list ? list : item, true)) ||
	    !put(paths, named, get_operation(group, version, r->kind, item, false)))
		goto out;
	err = 0;
out:
	free(base);
	free(named);
	free(list_kind);
	return err;
}

json_t *k8s_openapi_gv_document(const char *group, const char *version,
				const struct k8s_openapi_resource *res, size_t n_res)
{
	json_t *schemas = k8s_openapi_gv_schemas(group, version);
	json_t *doc = NULL, *paths = NULL;
	size_t i;
	int err;

	if (!schemas)
		return NULL;
	paths = json_object();
	if (!paths)
		goto nomem;
	for (i = 0; i < n_res; i++) {
		err = add_resource_paths(paths, group, version, &res[i]);
		if (err) {
			json_decref(paths);
			json_decref(schemas);
			errno = -err;
			return NULL;
		}
	}
	doc = json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.0.0",
			"info", "title", "Kubernetes", "version", "v1.32.0",
			"paths", paths, "components", "schemas", schemas);
	if (!doc)
		goto nomem_gone;
	return doc;
nomem:
	json_decref(schemas);
nomem_gone:
	errno = ENOMEM;
	return NULL;
}
