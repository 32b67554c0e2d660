/* kubeconfig.c — YAML to JSON through libyaml's event stream, and kubeconfig files read, merged and written as client-go does. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "kubeconfig.h"

/* Nesting deeper than this is refused: no real document comes near it, and it bounds recursion. */
#define YAML_MAX_DEPTH 512
/* JSON values one stream may expand to: aliases can otherwise grow it exponentially. */
#define YAML_MAX_VALUES (4u << 20)
/* Larger kubeconfig files are refused: a real one is a few kilobytes. */
#define KC_MAX_FILE (16 << 20)

#define TAG(t) "tag:yaml.org,2002:" t

static void __attribute__((format(printf, 3, 4))) errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* --- YAML 1.1 scalar resolution, as go-yaml v2 (under sigs.k8s.io/yaml) does it --- */

enum ykind { Y_STR, Y_NULL, Y_BOOL, Y_INT, Y_FLOAT };

struct yscalar {
	enum ykind kind;
	bool b;
	json_int_t i;
	double f;
};

static const char *const y_null[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const y_true[] = { "y",	"Y",	"yes", "Yes", "YES", "true",
				      "True", "TRUE", "on",  "On",  "ON",  NULL };
static const char *const y_false[] = { "n",	 "N",	  "no",	 "No",	"NO",  "false",
				       "False", "FALSE", "off", "Off", "OFF", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* strconv.ParseInt(s, 0, 64), falling back to ParseUint: sign, then 0x, 0o, 0b or 0 prefix. */
static bool parse_int(const char *s, struct yscalar *out)
{
	const char *p = s;
	bool neg = false;
	uint64_t v = 0;
	int base = 10;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p++;
	if (!*p)
		return false;
	for (; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return false;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (!neg && v <= INT64_MAX) {
		out->kind = Y_INT;
		out->i = (json_int_t)v;
	} else if (neg && v <= (uint64_t)INT64_MAX + 1) {
		out->kind = Y_INT;
		out->i = v ? -(json_int_t)(v - 1) - 1 : 0;
	} else if (!neg && s[0] != '+') {
		/* A uint64: JSON has only doubles for it, as Go's decoder would give. */
		out->kind = Y_FLOAT;
		out->f = (double)v;
	} else {
		return false;
	}
	return true;
}

/* go-yaml's float syntax: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool float_syntax(const char *p)
{
	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	} else {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.')
			while (isdigit((unsigned char)*++p))
				;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return !*p;
}

/*
 * What a plain scalar means. Numbers are tried only when it starts like one (a digit,
 * sign or dot), with '_' dropped first, as go-yaml does. Returns -ENOMEM or 0.
 */
static int resolve_plain(const char *s, size_t len, struct yscalar *out)
{
	char *plain, *q;
	size_t i;
	double f;

	memset(out, 0, sizeof(*out));
	out->kind = Y_STR;
	if (memchr(s, '\0', len))
		return 0;
	if (in_list(s, y_null)) {
		out->kind = Y_NULL;
		return 0;
	}
	if (in_list(s, y_true) || in_list(s, y_false)) {
		out->kind = Y_BOOL;
		out->b = in_list(s, y_true);
		return 0;
	}
	if (!isdigit((unsigned char)s[0]) && s[0] != '+' && s[0] != '-' && s[0] != '.')
		return 0;
	plain = malloc(len + 1);
	if (!plain)
		return -ENOMEM;
	for (i = 0, q = plain; i < len; i++)
		if (s[i] != '_')
			*q++ = s[i];
	*q = '\0';
	if (!parse_int(plain, out) && float_syntax(plain)) {
		f = strtod(plain, NULL);
		if (!isinf(f)) {
			out->kind = Y_FLOAT;
			out->f = f;
		}
	}
	free(plain);
	return 0;
}

/* --- YAML to JSON: a builder fed by libyaml's events --- */

struct yframe {
	json_t *node;	   /* the object or array being filled */
	char *anchor;	   /* its anchor, registered when it ends */
	bool have_key;	   /* mapping: a key waits for its value */
	char *key;	   /* that key */
	size_t key_len;
	bool merge;	   /* that key is the merge key "<<" */
	json_t *merges;	   /* "<<" values, merged in when the mapping ends */
	yaml_mark_t key_mark;
};

struct yanchor {
	char *name;
	json_t *value;
	size_t size, depth; /* JSON values in it, and its nesting */
};

struct ybuild {
	struct yframe stack[YAML_MAX_DEPTH];
	int depth;
	struct yanchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t values;
	json_t *doc;
	char *err;
	size_t err_len;
};

static int yerr(struct ybuild *b, const yaml_mark_t *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int yerr(struct ybuild *b, const yaml_mark_t *m, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m)
		errf(b->err, b->err_len, "line %zu column %zu: %s", m->line + 1, m->column + 1, msg);
	else
		errf(b->err, b->err_len, "%s", msg);
	return code;
}

static void anchors_clear(struct ybuild *b)
{
	size_t i;

	for (i = 0; i < b->n_anchors; i++) {
		free(b->anchors[i].name);
		json_decref(b->anchors[i].value);
	}
	b->n_anchors = 0;
}

static void measure(const json_t *v, size_t *size, size_t *depth)
{
	size_t d = 0, cd, n = 1, cn;
	const char *k;
	json_t *c;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, c) {
			measure(c, &cn, &cd);
			n += cn;
			d = cd > d ? cd : d;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c) {
			measure(c, &cn, &cd);
			n += cn;
			d = cd > d ? cd : d;
		}
	}
	*size = n;
	*depth = d + 1;
}

static int anchor_add(struct ybuild *b, const char *name, json_t *v)
{
	struct yanchor *a;

	if (b->n_anchors == b->cap_anchors) {
		size_t cap = b->cap_anchors ? 2 * b->cap_anchors : 16;

		a = realloc(b->anchors, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		b->anchors = a;
		b->cap_anchors = cap;
	}
	a = &b->anchors[b->n_anchors];
	a->name = strdup(name);
	if (!a->name)
		return -ENOMEM;
	a->value = json_incref(v);
	measure(v, &a->size, &a->depth);
	b->n_anchors++;
	return 0;
}

/* The latest definition of name: an anchor may be redefined, later aliases see the new one. */
static struct yanchor *anchor_find(struct ybuild *b, const char *name)
{
	size_t i;

	for (i = b->n_anchors; i > 0; i--)
		if (!strcmp(b->anchors[i - 1].name, name))
			return &b->anchors[i - 1];
	return NULL;
}

static int count_values(struct ybuild *b, size_t n, const yaml_mark_t *m)
{
	b->values += n;
	if (b->values > YAML_MAX_VALUES)
		return yerr(b, m, -E2BIG, "document expands to more than %u values (excessive aliasing?)",
			    YAML_MAX_VALUES);
	return 0;
}

static struct yframe *top(struct ybuild *b)
{
	return b->depth ? &b->stack[b->depth - 1] : NULL;
}

static bool wants_key(struct ybuild *b)
{
	struct yframe *f = top(b);

	return f && json_is_object(f->node) && !f->have_key;
}

/* A scalar turned map key, as sigs.k8s.io/yaml prints non-string keys. */
static int key_text(struct ybuild *b, const json_t *v, const yaml_mark_t *m, char **key,
		    size_t *len)
{
	char buf[64];
	int prec;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		*key = malloc(*len + 1);
		if (!*key)
			return -ENOMEM;
		memcpy(*key, json_string_value(v), *len + 1);
		return 0;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		for (prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		break;
	case JSON_TRUE:
		snprintf(buf, sizeof(buf), "true");
		break;
	case JSON_FALSE:
		snprintf(buf, sizeof(buf), "false");
		break;
	case JSON_NULL:
		return yerr(b, m, -EINVAL, "unsupported map key: null");
	default:
		return yerr(b, m, -EINVAL, "unsupported map key: a %s",
			    json_is_object(v) ? "mapping" : "sequence");
	}
	*key = strdup(buf);
	if (!*key)
		return -ENOMEM;
	*len = strlen(buf);
	return 0;
}

/* Put v (a new reference, taken) where the document is: root, sequence item or mapping value. */
static int add_value(struct ybuild *b, json_t *v)
{
	struct yframe *f = top(b);
	size_t i;
	json_t *c;
	int err = 0;

	if (!f) {
		b->doc = v;
		return 0;
	}
	if (json_is_array(f->node)) {
		if (json_array_append_new(f->node, v))
			return -ENOMEM;
		return 0;
	}
	if (f->merge) {
		bool ok = json_is_object(v);

		if (json_is_array(v)) {
			ok = true;
			json_array_foreach(v, i, c)
				ok &= json_is_object(c);
		}
		if (!ok)
			err = yerr(b, &f->key_mark, -EINVAL,
				   "map merge requires map or sequence of maps as the value");
		else if (json_array_append_new(f->merges, v))
			err = -ENOMEM;
		if (!ok)
			json_decref(v);
	} else if (json_object_getn(f->node, f->key, f->key_len)) {
		err = yerr(b, &f->key_mark, -EINVAL, "mapping key \"%s\" already defined", f->key);
		json_decref(v);
	} else if (json_object_setn_new(f->node, f->key, f->key_len, v)) {
		err = yerr(b, &f->key_mark, -EINVAL, "mapping key \"%s\" is not valid UTF-8", f->key);
	}
	free(f->key);
	f->key = NULL;
	f->have_key = false;
	f->merge = false;
	return err;
}

static int set_key(struct ybuild *b, const json_t *v, bool merge, const yaml_mark_t *m)
{
	struct yframe *f = top(b);
	int err;

	f->key_mark = *m;
	if (merge) {
		if (!f->merges && !(f->merges = json_array()))
			return -ENOMEM;
		f->merge = true;
		f->have_key = true;
		return 0;
	}
	err = key_text(b, v, m, &f->key, &f->key_len);
	if (err)
		return err;
	f->have_key = true;
	return 0;
}

static bool tag_is(const char *tag, const char *name)
{
	return tag && !strcmp(tag, name);
}

/* The JSON value of a scalar event: tags first, then plain resolution, else a string. */
static int scalar_value(struct ybuild *b, yaml_event_t *ev, json_t **out, bool *merge)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	struct yscalar r = { .kind = Y_STR };
	const char *want = NULL;
	int err;

	*merge = false;
	if (tag_is(tag, TAG("int")) || tag_is(tag, TAG("float")) || tag_is(tag, TAG("bool")) ||
	    tag_is(tag, TAG("null"))) {
		want = tag + strlen(TAG(""));
		err = resolve_plain(s, len, &r);
		if (err)
			return err;
		if (!((r.kind == Y_INT && (!strcmp(want, "int") || !strcmp(want, "float"))) ||
		      (r.kind == Y_FLOAT && !strcmp(want, "float")) ||
		      (r.kind == Y_BOOL && !strcmp(want, "bool")) ||
		      (r.kind == Y_NULL && !strcmp(want, "null"))))
			return yerr(b, &ev->start_mark, -EINVAL, "cannot decode `%.40s` as !!%s", s,
				    want);
		if (!strcmp(want, "float") && r.kind == Y_INT) {
			r.kind = Y_FLOAT;
			r.f = (double)r.i;
		}
	} else if (!tag && ev->data.scalar.plain_implicit) {
		err = resolve_plain(s, len, &r);
		if (err)
			return err;
		*merge = plain && len == 2 && !memcmp(s, "<<", 2);
	} else if (tag && strcmp(tag, "!") && strncmp(tag, TAG(""), strlen(TAG(""))) && plain) {
		/* A local tag (!foo) on a plain scalar: resolved as if untagged. */
		err = resolve_plain(s, len, &r);
		if (err)
			return err;
	}
	switch (r.kind) {
	case Y_NULL:
		*out = json_null();
		break;
	case Y_BOOL:
		*out = json_boolean(r.b);
		break;
	case Y_INT:
		*out = json_integer(r.i);
		break;
	case Y_FLOAT:
		*out = json_real(r.f);
		break;
	default:
		*out = json_stringn(s, len);
		if (!*out)
			return yerr(b, &ev->start_mark, -EINVAL, "scalar is not valid UTF-8");
		return 0;
	}
	return *out ? 0 : -ENOMEM;
}

static int on_scalar(struct ybuild *b, yaml_event_t *ev)
{
	const char *anchor = (const char *)ev->data.scalar.anchor;
	json_t *v = NULL;
	bool merge;
	int err;

	err = scalar_value(b, ev, &v, &merge);
	if (!err)
		err = count_values(b, 1, &ev->start_mark);
	if (!err && anchor)
		err = anchor_add(b, anchor, v);
	if (err) {
		json_decref(v);
		return err;
	}
	if (wants_key(b)) {
		err = set_key(b, v, merge, &ev->start_mark);
		json_decref(v);
		return err;
	}
	return add_value(b, v);
}

static int on_alias(struct ybuild *b, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct yanchor *a = anchor_find(b, name);
	json_t *v;
	int err;

	if (!a)
		return yerr(b, &ev->start_mark, -EINVAL, "unknown anchor '%s' referenced", name);
	if (wants_key(b))
		return set_key(b, a->value, false, &ev->start_mark);
	if (b->depth + a->depth > YAML_MAX_DEPTH)
		return yerr(b, &ev->start_mark, -EINVAL, "nesting deeper than %d levels",
			    YAML_MAX_DEPTH);
	err = count_values(b, a->size, &ev->start_mark);
	if (err)
		return err;
	/* A copy, so that no two places of the document share (and co-mutate) a value. */
	v = json_deep_copy(a->value);
	if (!v)
		return -ENOMEM;
	return add_value(b, v);
}

static int on_start(struct ybuild *b, yaml_event_t *ev, bool mapping)
{
	const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor :
					      ev->data.sequence_start.anchor;
	struct yframe *f;
	int err;

	if (wants_key(b))
		return yerr(b, &ev->start_mark, -EINVAL, "unsupported map key: a %s",
			    mapping ? "mapping" : "sequence");
	if (b->depth == YAML_MAX_DEPTH)
		return yerr(b, &ev->start_mark, -EINVAL, "nesting deeper than %d levels",
			    YAML_MAX_DEPTH);
	err = count_values(b, 1, &ev->start_mark);
	if (err)
		return err;
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	f->node = mapping ? json_object() : json_array();
	if (!f->node)
		return -ENOMEM;
	b->depth++;
	if (anchor && !(f->anchor = strdup((const char *)anchor)))
		return -ENOMEM;
	return 0;
}

static void frame_free(struct yframe *f)
{
	json_decref(f->node);
	json_decref(f->merges);
	free(f->anchor);
	free(f->key);
	memset(f, 0, sizeof(*f));
}

static int on_end(struct ybuild *b, yaml_event_t *ev)
{
	struct yframe *f = top(b);
	json_t *node, *src, *c;
	size_t i, j;
	int err = 0;

	if (!f)
		return yerr(b, &ev->start_mark, -EINVAL, "unbalanced end of collection");
	/* Merge keys: explicit keys win, then earlier "<<" sources over later ones. */
	if (f->merges) {
		json_array_foreach(f->merges, i, src) {
			if (json_is_object(src)) {
				if (json_object_update_missing(f->node, src))
					err = -ENOMEM;
				continue;
			}
			json_array_foreach(src, j, c)
				if (json_object_update_missing(f->node, c))
					err = -ENOMEM;
		}
	}
	node = json_incref(f->node);
	if (!err && f->anchor)
		err = anchor_add(b, f->anchor, node);
	frame_free(f);
	b->depth--;
	if (err) {
		json_decref(node);
		return err;
	}
	return add_value(b, node);
}

static void parser_error(const yaml_parser_t *p, char *err, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR)
		errf(err, len, "out of memory");
	else if (p->error == YAML_READER_ERROR)
		errf(err, len, "byte %zu: %s", p->problem_offset, problem);
	else if (p->context)
		errf(err, len, "line %zu column %zu: %s (%s at line %zu column %zu)",
		     p->problem_mark.line + 1, p->problem_mark.column + 1, problem, p->context,
		     p->context_mark.line + 1, p->context_mark.column + 1);
	else
		errf(err, len, "line %zu column %zu: %s", p->problem_mark.line + 1,
		     p->problem_mark.column + 1, problem);
}

/* Every document of the stream, in order; an empty document is JSON null. */
static json_t *yaml_documents(const char *text, size_t len, char *err, size_t err_len)
{
	struct ybuild *b;
	yaml_parser_t parser;
	yaml_event_t ev;
	json_t *docs = NULL;
	bool done = false;
	int ret = 0;

	b = calloc(1, sizeof(*b));
	if (!b || !yaml_parser_initialize(&parser)) {
		free(b);
		errf(err, err_len, "out of memory");
		return NULL;
	}
	b->err = err;
	b->err_len = err_len;
	docs = json_array();
	if (!docs)
		ret = -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!ret && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&parser, err, err_len);
			ret = -EINVAL;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			/* Anchors do not cross documents. */
			anchors_clear(b);
			b->doc = NULL;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (json_array_append_new(docs, b->doc ? b->doc : json_null()))
				ret = -ENOMEM;
			b->doc = NULL;
			break;
		case YAML_SCALAR_EVENT:
			ret = on_scalar(b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			ret = on_alias(b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			ret = on_start(b, &ev, false);
			break;
		case YAML_MAPPING_START_EVENT:
			ret = on_start(b, &ev, true);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			ret = on_end(b, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (ret == -ENOMEM)
		errf(err, err_len, "out of memory");
	while (b->depth)
		frame_free(&b->stack[--b->depth]);
	json_decref(b->doc);
	anchors_clear(b);
	free(b->anchors);
	free(b);
	yaml_parser_delete(&parser);
	if (ret) {
		json_decref(docs);
		return NULL;
	}
	return docs;
}

/*
 * JSON text goes through jansson: exact, and indifferent to tabs that YAML refuses.
 * NULL when it is not JSON (then YAML decides), or is nested deeper than YAML may be.
 */
static json_t *try_json(const char *text, size_t len)
{
	size_t i = 0, size, depth;
	json_t *v;

	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i == len || (text[i] != '{' && text[i] != '['))
		return NULL;
	v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (v) {
		measure(v, &size, &depth);
		if (depth > YAML_MAX_DEPTH) {
			json_decref(v);
			v = NULL;
		}
	}
	return v;
}

json_t *yaml_to_json(const char *text, size_t len, char *err, size_t err_len)
{
	json_t *docs, *doc = NULL, *d;
	size_t i, n = 0;

	if (!text) {
		errf(err, err_len, "no text");
		return NULL;
	}
	doc = try_json(text, len);
	if (doc)
		return doc;
	docs = yaml_documents(text, len, err, err_len);
	if (!docs)
		return NULL;
	json_array_foreach(docs, i, d) {
		if (json_is_null(d))
			continue;
		if (n++) {
			errf(err, err_len, "expected one YAML document, found more (\"---\")");
			json_decref(docs);
			return NULL;
		}
		doc = d;
	}
	doc = doc ? json_incref(doc) : json_null();
	json_decref(docs);
	return doc;
}

json_t *yaml_to_json_docs(const char *text, size_t len, char *err, size_t err_len)
{
	json_t *docs, *out, *d;
	size_t i;

	if (!text) {
		errf(err, err_len, "no text");
		return NULL;
	}
	d = try_json(text, len);
	if (d) {
		out = json_array();
		if (!out || (!json_is_null(d) && json_array_append(out, d))) {
			json_decref(out);
			out = NULL;
			errf(err, err_len, "out of memory");
		}
		json_decref(d);
		return out;
	}
	docs = yaml_documents(text, len, err, err_len);
	if (!docs)
		return NULL;
	out = json_array();
	json_array_foreach(docs, i, d) {
		if (!out)
			break;
		if (!json_is_null(d) && json_array_append(out, d)) {
			json_decref(out);
			out = NULL;
		}
	}
	json_decref(docs);
	if (!out)
		errf(err, err_len, "out of memory");
	return out;
}

/* --- small helpers: paths, files, base64 --- */

/* Lexical clean of an absolute path, as Go's filepath.Clean: no "//", "." or "..". */
static void path_clean(char *p)
{
	char *in = p + 1, *end;
	size_t n = 1, clen;

	while (*in) {
		end = strchrnul(in, '/');
		clen = end - in;
		if (clen == 0 || (clen == 1 && in[0] == '.')) {
			/* nothing */
		} else if (clen == 2 && in[0] == '.' && in[1] == '.') {
			while (n > 1 && p[n - 1] != '/')
				n--;
			if (n > 1)
				n--;
		} else {
			if (n > 1)
				p[n++] = '/';
			memmove(p + n, in, clen);
			n += clen;
		}
		in = *end ? end + 1 : end;
	}
	p[n] = '\0';
}

/* path made absolute (from the working directory) and clean. */
static char *path_abs(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/') {
		abs = strdup(path);
	} else {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		if (asprintf(&abs, "%s/%s", cwd, path) < 0)
			abs = NULL;
		free(cwd);
	}
	if (abs)
		path_clean(abs);
	return abs;
}

/* rel taken from dir (absolute), as client-go's ResolvePath. */
static char *path_resolve(const char *dir, const char *rel)
{
	char *p;

	if (rel[0] == '/')
		p = strdup(rel);
	else if (asprintf(&p, "%s/%s", dir, rel) < 0)
		p = NULL;
	if (p)
		path_clean(p);
	return p;
}

static int read_file(const char *path, char **out, size_t *out_len)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf)
		err = -ENOMEM;
	while (!err) {
		if (len + 1 >= cap) {
			if (cap >= KC_MAX_FILE) {
				err = -EFBIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		else if (n == 0)
			break;
		else
			len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Standard base64, padded, CR and LF ignored: what Go's encoding/json accepts for a
 * []byte. On a bad byte returns -EINVAL with its offset in *bad.
 */
static int b64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len, size_t *bad)
{
	unsigned char *buf;
	uint32_t acc = 0;
	int n = 0, pad = 0;
	bool done = false;
	size_t i, o = 0;

	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i], v;

		if (c == '\r' || c == '\n')
			continue;
		if (done)
			goto bad;
		if (c == '=') {
			if (n < 2)
				goto bad;
			if (n + ++pad < 4)
				continue;
			if (n == 2) {
				buf[o++] = acc >> 4;
			} else {
				buf[o++] = acc >> 10;
				buf[o++] = acc >> 2;
			}
			done = true;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || pad)
			goto bad;
		acc = acc << 6 | v;
		if (++n == 4) {
			buf[o++] = acc >> 16;
			buf[o++] = acc >> 8;
			buf[o++] = acc;
			n = 0;
			acc = 0;
		}
	}
	if (n && !done) {
		i = len;
		goto bad;
	}
	*out = buf;
	*out_len = o;
	return 0;
bad:
	free(buf);
	*bad = i;
	return -EINVAL;
}

static char *b64_encode(const unsigned char *p, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = tab[p[i] >> 2];
		*o++ = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = tab[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = tab[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = tab[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = tab[(p[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* --- loading: the files, then the context they resolve to --- */

struct kc_file {
	char *path;   /* as named */
	char *dir;    /* its absolute directory: where its relative paths start */
	json_t *root; /* the document, an object; NULL for an empty file */
};

struct kc_load {
	struct kc_file *files;
	size_t n;
	char *where; /* for messages: the path, $KUBECONFIG's value, or ~/.kube/config */
	char *err;
	size_t err_len;
};

/* "kubeconfig <where>: <what>", and code back. */
static int __attribute__((format(printf, 4, 5)))
kc_fail(struct kc_load *l, const char *where, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errf(l->err, l->err_len, "kubeconfig %s: %s", where ? where : l->where, msg);
	return code;
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a sequence";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* The three named lists of a kubeconfig, and the member holding each entry's body. */
static const struct {
	const char *list, *body;
} kc_lists[] = { { "clusters", "cluster" }, { "contexts", "context" }, { "users", "user" } };

/* Shape checks client-go's decoding makes: lists of {name, body}, names unique in a file. */
static int kc_check(struct kc_load *l, const char *path, json_t *root)
{
	json_t *list, *e, *name, *body, *cc;
	size_t i, j, k;

	cc = json_object_get(root, "current-context");
	if (cc && !json_is_null(cc) && !json_is_string(cc))
		return kc_fail(l, path, -EINVAL, "current-context: want a string, found %s",
			       json_kind(cc));
	for (k = 0; k < 3; k++) {
		list = json_object_get(root, kc_lists[k].list);
		if (!list || json_is_null(list))
			continue;
		if (!json_is_array(list))
			return kc_fail(l, path, -EINVAL, "%s: want a sequence, found %s",
				       kc_lists[k].list, json_kind(list));
		json_array_foreach(list, i, e) {
			if (!json_is_object(e))
				return kc_fail(l, path, -EINVAL, "%s[%zu]: want a mapping, found %s",
					       kc_lists[k].list, i, json_kind(e));
			name = json_object_get(e, "name");
			if (name && !json_is_null(name) && !json_is_string(name))
				return kc_fail(l, path, -EINVAL,
					       "%s[%zu].name: want a string, found %s",
					       kc_lists[k].list, i, json_kind(name));
			body = json_object_get(e, kc_lists[k].body);
			if (body && !json_is_null(body) && !json_is_object(body))
				return kc_fail(l, path, -EINVAL, "%s[%zu].%s: want a mapping, found %s",
					       kc_lists[k].list, i, kc_lists[k].body,
					       json_kind(body));
			for (j = 0; j < i; j++) {
				const char *a = json_string_value(json_object_get(
					json_array_get(list, j), "name"));
				const char *b = json_string_value(name);

				if (!strcmp(a ? a : "", b ? b : ""))
					return kc_fail(l, path, -EINVAL,
						       "duplicate name \"%s\" in %s", b ? b : "",
						       kc_lists[k].list);
			}
		}
	}
	return 0;
}

/* Read and check one file. A missing file is skipped unless named explicitly. */
static int kc_add_file(struct kc_load *l, const char *path, bool must_exist)
{
	struct kc_file *f, *nf;
	char msg[512] = "";
	char *text = NULL;
	size_t len;
	json_t *root;
	int err;

	err = read_file(path, &text, &len);
	if (err == -ENOENT && !must_exist)
		return 0;
	if (err)
		return kc_fail(l, path, err, "cannot read: %s", strerror(-err));
	root = yaml_to_json(text, len, msg, sizeof(msg));
	free(text);
	if (!root)
		return kc_fail(l, path, -EINVAL, "%s", msg);
	if (json_is_null(root)) {
		json_decref(root);
		root = NULL;
	} else if (!json_is_object(root)) {
		err = kc_fail(l, path, -EINVAL, "want a mapping (a Config), found %s",
			      json_kind(root));
		json_decref(root);
		return err;
	} else {
		err = kc_check(l, path, root);
		if (err) {
			json_decref(root);
			return err;
		}
	}
	nf = realloc(l->files, (l->n + 1) * sizeof(*nf));
	if (!nf) {
		json_decref(root);
		return -ENOMEM;
	}
	l->files = nf;
	f = &l->files[l->n];
	f->root = root;
	f->path = strdup(path);
	f->dir = path_abs(path);
	l->n++;
	if (!f->path || !f->dir)
		return -ENOMEM;
	/* The directory: drop the last component of the absolute path. */
	*(strrchr(f->dir, '/') == f->dir ? f->dir + 1 : strrchr(f->dir, '/')) = '\0';
	return 0;
}

static void kc_load_free(struct kc_load *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->files[i].path);
		free(l->files[i].dir);
		json_decref(l->files[i].root);
	}
	free(l->files);
	free(l->where);
}

/* The files to read: path; else $KUBECONFIG's list (deduplicated); else ~/.kube/config. */
static int kc_gather(struct kc_load *l, const char *path)
{
	const char *env = getenv("KUBECONFIG"), *home;
	char *list, *p, *next, *def;
	size_t i;
	int err = 0;

	if (path) {
		l->where = strdup(path);
		return l->where ? kc_add_file(l, path, true) : -ENOMEM;
	}
	if (env && *env) {
		l->where = strdup(env);
		list = strdup(env);
		if (!l->where || !list) {
			free(list);
			return -ENOMEM;
		}
		for (p = list; p && !err; p = next) {
			next = strchr(p, ':');
			if (next)
				*next++ = '\0';
			if (!*p)
				continue;
			for (i = 0; i < l->n && strcmp(l->files[i].path, p); i++)
				;
			/* Repeated names are read once; so are skipped ones, harmlessly. */
			if (i < l->n)
				continue;
			err = kc_add_file(l, p, false);
		}
		free(list);
		return err;
	}
	home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return kc_fail(l, "~/.kube/config", -ENOENT, "no home directory");
	if (asprintf(&def, "%s/.kube/config", home) < 0)
		return -ENOMEM;
	l->where = def;
	return kc_add_file(l, def, false);
}

/* The first file's entry called name in list k: client-go's merge, where the first file wins. */
static bool kc_find(struct kc_load *l, int k, const char *name, json_t **body,
		    struct kc_file **file)
{
	json_t *list, *e;
	const char *n;
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		if (!l->files[i].root)
			continue;
		list = json_object_get(l->files[i].root, kc_lists[k].list);
		json_array_foreach(list, j, e) {
			n = json_string_value(json_object_get(e, "name"));
			if (!strcmp(n ? n : "", name)) {
				*body = json_object_get(e, kc_lists[k].body);
				*file = &l->files[i];
				return true;
			}
		}
	}
	return false;
}

/* A string setting of owner ("cluster \"c\""): NULL when absent, null or empty. */
static int kc_str(struct kc_load *l, struct kc_file *f, const char *owner, json_t *body,
		  const char *key, const char **out)
{
	json_t *v = body ? json_object_get(body, key) : NULL;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return kc_fail(l, f->path, -EINVAL, "%s: %s: want a string, found %s", owner, key,
			       json_kind(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return kc_fail(l, f->path, -EINVAL, "%s: %s: contains a NUL byte", owner, key);
	if (json_string_length(v))
		*out = json_string_value(v);
	return 0;
}

static int kc_dup(const char *s, char **out)
{
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* A path setting, resolved against the file's directory and checked readable. */
static int kc_path(struct kc_load *l, struct kc_file *f, const char *owner, const char *what,
		   const char *rel, char **out)
{
	int fd;

	if (!rel)
		return 0;
	*out = path_resolve(f->dir, rel);
	if (!*out)
		return -ENOMEM;
	fd = open(*out, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kc_fail(l, f->path, -errno, "unable to read %s %s for %s due to %s", what,
			       *out, owner, strerror(errno));
	close(fd);
	return 0;
}

static int kc_data(struct kc_load *l, struct kc_file *f, const char *owner, const char *key,
		   const char *b64, unsigned char **out, size_t *out_len)
{
	size_t bad = 0;
	int err;

	if (!b64)
		return 0;
	err = b64_decode(b64, strlen(b64), out, out_len, &bad);
	if (err == -EINVAL)
		return kc_fail(l, f->path, err, "%s: %s: illegal base64 data at input byte %zu",
			       owner, key, bad);
	return err;
}

static int kc_cluster(struct kc_load *l, json_t *body, struct kc_file *f, struct kubeconfig *kc)
{
	const char *server, *ca, *ca_data, *sni;
	char owner[300];
	json_t *insecure;
	int err;

	snprintf(owner, sizeof(owner), "cluster \"%s\"", kc->cluster_name);
	if ((err = kc_str(l, f, owner, body, "server", &server)) ||
	    (err = kc_str(l, f, owner, body, "certificate-authority", &ca)) ||
	    (err = kc_str(l, f, owner, body, "certificate-authority-data", &ca_data)) ||
	    (err = kc_str(l, f, owner, body, "tls-server-name", &sni)))
		return err;
	insecure = body ? json_object_get(body, "insecure-skip-tls-verify") : NULL;
	if (insecure && !json_is_null(insecure) && !json_is_boolean(insecure))
		return kc_fail(l, f->path, -EINVAL,
			       "%s: insecure-skip-tls-verify: want a boolean, found %s", owner,
			       json_kind(insecure));
	kc->insecure = json_is_true(insecure);
	if (!server)
		return kc_fail(l, f->path, -EINVAL, "no server for %s", owner);
	if (ca && ca_data)
		return kc_fail(l, f->path, -EINVAL,
			       "certificate-authority-data and certificate-authority are both specified for %s",
			       owner);
	if (kc->insecure && (ca || ca_data))
		return kc_fail(l, f->path, -EINVAL,
			       "%s: specifying a root certificates file with the insecure flag is not allowed",
			       owner);
	if ((err = kc_dup(server, &kc->server)) || (err = kc_dup(sni, &kc->tls_server_name)) ||
	    (err = kc_path(l, f, owner, "certificate-authority", ca, &kc->ca_file)) ||
	    (err = kc_data(l, f, owner, "certificate-authority-data", ca_data, &kc->ca_data,
			   &kc->ca_len)))
		return err;
	return 0;
}

/* The token of tokenFile: its content, surrounding whitespace trimmed (client-go's file source). */
static int kc_token_file(struct kc_load *l, struct kc_file *f, const char *owner, const char *rel,
			 char **out)
{
	char *path, *text, *s, *e;
	size_t len;
	int err;

	path = path_resolve(f->dir, rel);
	if (!path)
		return -ENOMEM;
	err = read_file(path, &text, &len);
	if (err) {
		err = kc_fail(l, f->path, err, "%s: tokenFile %s: %s", owner, path, strerror(-err));
		free(path);
		return err;
	}
	for (s = text; isspace((unsigned char)*s); s++)
		;
	for (e = text + len; e > s && isspace((unsigned char)e[-1]); e--)
		;
	if (e == s || memchr(s, '\0', e - s)) {
		err = kc_fail(l, f->path, -EINVAL, "%s: %s token from file %s", owner,
			      e == s ? "read empty" : "NUL byte in", path);
	} else {
		*out = strndup(s, e - s);
		err = *out ? 0 : -ENOMEM;
	}
	free(text);
	free(path);
	return err;
}

static int kc_user(struct kc_load *l, json_t *body, struct kc_file *f, struct kubeconfig *kc)
{
	const char *token, *token_file, *cert, *cert_data, *key, *key_data, *user, *pass;
	json_t *exec = body ? json_object_get(body, "exec") : NULL;
	json_t *provider = body ? json_object_get(body, "auth-provider") : NULL;
	char owner[300];
	int err;

	snprintf(owner, sizeof(owner), "user \"%s\"", kc->user_name);
	if ((err = kc_str(l, f, owner, body, "token", &token)) ||
	    (err = kc_str(l, f, owner, body, "tokenFile", &token_file)) ||
	    (err = kc_str(l, f, owner, body, "client-certificate", &cert)) ||
	    (err = kc_str(l, f, owner, body, "client-certificate-data", &cert_data)) ||
	    (err = kc_str(l, f, owner, body, "client-key", &key)) ||
	    (err = kc_str(l, f, owner, body, "client-key-data", &key_data)) ||
	    (err = kc_str(l, f, owner, body, "username", &user)) ||
	    (err = kc_str(l, f, owner, body, "password", &pass)))
		return err;
	if (cert && cert_data)
		return kc_fail(l, f->path, -EINVAL,
			       "client-cert-data and client-cert are both specified for %s", owner);
	if (key && key_data)
		return kc_fail(l, f->path, -EINVAL,
			       "client-key-data and client-key are both specified for %s", owner);
	if ((cert || cert_data) && !key && !key_data)
		return kc_fail(l, f->path, -EINVAL,
			       "client-key-data or client-key must be specified for %s to use the clientCert authentication method",
			       owner);
	if ((key || key_data) && !cert && !cert_data)
		return kc_fail(l, f->path, -EINVAL,
			       "client-certificate-data or client-certificate must be specified for %s to use its client key",
			       owner);
	if ((token || token_file) && (user || pass))
		return kc_fail(l, f->path, -EINVAL,
			       "more than one authentication method found for %s; found [token basicAuth], only one is allowed",
			       owner);
	if (!token && !token_file && !cert && !cert_data && !user && !pass) {
		if (exec && !json_is_null(exec))
			return kc_fail(l, f->path, -EOPNOTSUPP,
				       "%s authenticates with an exec credential plugin, which kbpf does not run",
				       owner);
		if (provider && !json_is_null(provider))
			return kc_fail(l, f->path, -EOPNOTSUPP,
				       "%s authenticates with an auth-provider plugin, which kbpf does not support",
				       owner);
	}
	/* token wins over tokenFile, as in client-go. */
	if (token)
		err = kc_dup(token, &kc->token);
	else if (token_file)
		err = kc_token_file(l, f, owner, token_file, &kc->token);
	if (err || (err = kc_path(l, f, owner, "client-cert", cert, &kc->client_cert_file)) ||
	    (err = kc_path(l, f, owner, "client-key", key, &kc->client_key_file)) ||
	    (err = kc_data(l, f, owner, "client-certificate-data", cert_data,
			   &kc->client_cert_data, &kc->client_cert_len)) ||
	    (err = kc_data(l, f, owner, "client-key-data", key_data, &kc->client_key_data,
			   &kc->client_key_len)) ||
	    (err = kc_dup(user, &kc->username)) || (err = kc_dup(pass, &kc->password)))
		return err;
	return 0;
}

static int kc_resolve(struct kc_load *l, const char *context, struct kubeconfig *kc)
{
	json_t *ctx, *cluster, *user, *root;
	struct kc_file *cf, *clf, *uf;
	const char *cname = NULL, *uname = NULL, *ns = NULL, *cur;
	char owner[300];
	bool empty = true;
	size_t i, k;
	int err;

	for (i = 0; i < l->n; i++) {
		root = l->files[i].root;
		for (k = 0; root && k < 3; k++)
			empty &= json_array_size(json_object_get(root, kc_lists[k].list)) == 0;
		cur = root ? json_string_value(json_object_get(root, "current-context")) : NULL;
		empty &= !cur || !*cur;
		/* current-context: the first file to set it wins. */
		if (!context && cur && *cur)
			context = cur;
	}
	if (empty)
		return kc_fail(l, NULL, -ENOENT, "no configuration has been provided");
	if (!context || !*context)
		return kc_fail(l, NULL, -ENOENT,
			       "no context chosen: current-context is not set and none was given");
	if (!kc_find(l, 1, context, &ctx, &cf))
		return kc_fail(l, NULL, -ENOENT, "context \"%s\" not found", context);
	snprintf(owner, sizeof(owner), "context \"%s\"", context);
	if ((err = kc_str(l, cf, owner, ctx, "cluster", &cname)) ||
	    (err = kc_str(l, cf, owner, ctx, "user", &uname)) ||
	    (err = kc_str(l, cf, owner, ctx, "namespace", &ns)))
		return err;
	if (!cname)
		return kc_fail(l, cf->path, -EINVAL, "cluster was not specified for context \"%s\"",
			       context);
	if (!uname)
		return kc_fail(l, cf->path, -EINVAL, "user was not specified for context \"%s\"",
			       context);
	if (!kc_find(l, 0, cname, &cluster, &clf))
		return kc_fail(l, NULL, -ENOENT, "cluster \"%s\" was not found for context \"%s\"",
			       cname, context);
	if (!kc_find(l, 2, uname, &user, &uf))
		return kc_fail(l, NULL, -ENOENT, "user \"%s\" was not found for context \"%s\"",
			       uname, context);
	if ((err = kc_dup(context, &kc->context)) || (err = kc_dup(cname, &kc->cluster_name)) ||
	    (err = kc_dup(uname, &kc->user_name)) ||
	    (err = kc_dup(ns ? ns : "default", &kc->namespace)))
		return err;
	err = kc_cluster(l, cluster, clf, kc);
	if (!err)
		err = kc_user(l, user, uf, kc);
	return err;
}

int kubeconfig_load(const char *path, const char *context, struct kubeconfig *out, char *err,
		    size_t err_len)
{
	struct kc_load l = { .err = err, .err_len = err_len };
	int ret;

	if (err && err_len)
		err[0] = '\0';
	if (!out) {
		errf(err, err_len, "kubeconfig: no output given");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	ret = kc_gather(&l, path);
	if (!ret)
		ret = kc_resolve(&l, context, out);
	if (ret == -ENOMEM)
		errf(err, err_len, "kubeconfig %s: out of memory", l.where ? l.where : "");
	kc_load_free(&l);
	if (ret)
		kubeconfig_free(out);
	return ret;
}

void kubeconfig_free(struct kubeconfig *kc)
{
	if (!kc)
		return;
	free(kc->server);
	free(kc->namespace);
	free(kc->context);
	free(kc->cluster_name);
	free(kc->user_name);
	free(kc->ca_file);
	free(kc->ca_data);
	free(kc->tls_server_name);
	if (kc->token)
		explicit_bzero(kc->token, strlen(kc->token));
	free(kc->token);
	free(kc->client_cert_file);
	free(kc->client_key_file);
	free(kc->client_cert_data);
	if (kc->client_key_data)
		explicit_bzero(kc->client_key_data, kc->client_key_len);
	free(kc->client_key_data);
	free(kc->username);
	if (kc->password)
		explicit_bzero(kc->password, strlen(kc->password));
	free(kc->password);
	memset(kc, 0, sizeof(*kc));
}

/* --- writing --- */

struct ybuf {
	char *data;
	size_t len, cap;
};

static int ybuf_write(void *ctx, unsigned char *p, size_t n)
{
	struct ybuf *b = ctx;
	char *nd;

	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;

		nd = realloc(b->data, cap);
		if (!nd)
			return 0;
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 1;
}

struct yemit {
	yaml_emitter_t e;
	yaml_event_t ev;
	bool ok;
};

/* Emit the event just initialized (init returned ok); the emitter owns it either way. */
static void y_emit(struct yemit *y, int init_ok)
{
	if (!y->ok)
		return;
	if (!init_ok || !yaml_emitter_emit(&y->e, &y->ev))
		y->ok = false;
}

/*
 * A string, plain when a reader would read it back as that string, else double-quoted:
 * libyaml's emitter knows nothing of YAML 1.1's "true", "0755" or "~".
 */
static void y_str(struct yemit *y, const char *s)
{
	yaml_scalar_style_t style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	struct yscalar r;

	if (!y->ok)
		return;
	if (!resolve_plain(s, strlen(s), &r) && r.kind == Y_STR && strcmp(s, "<<"))
		style = YAML_ANY_SCALAR_STYLE;
	y_emit(y, yaml_scalar_event_initialize(&y->ev, NULL, NULL, (yaml_char_t *)s, strlen(s), 1,
					       1, style));
}

static void y_map(struct yemit *y)
{
	if (y->ok)
		y_emit(y, yaml_mapping_start_event_initialize(&y->ev, NULL, NULL, 1,
							      YAML_BLOCK_MAPPING_STYLE));
}

static void y_map_end(struct yemit *y)
{
	if (y->ok)
		y_emit(y, yaml_mapping_end_event_initialize(&y->ev));
}

static void y_seq(struct yemit *y)
{
	if (y->ok)
		y_emit(y, yaml_sequence_start_event_initialize(&y->ev, NULL, NULL, 1,
							       YAML_BLOCK_SEQUENCE_STYLE));
}

static void y_seq_end(struct yemit *y)
{
	if (y->ok)
		y_emit(y, yaml_sequence_end_event_initialize(&y->ev));
}

static void y_kv(struct yemit *y, const char *k, const char *v)
{
	if (v) {
		y_str(y, k);
		y_str(y, v);
	}
}

/* The file's content, base64, for a *-data setting. */
static int data_of(const char *path, char **out, char *err, size_t err_len)
{
	char *text;
	size_t len;
	int ret;

	*out = NULL;
	if (!path)
		return 0;
	ret = read_file(path, &text, &len);
	if (ret) {
		errf(err, err_len, "kubeconfig: cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	*out = b64_encode((unsigned char *)text, len);
	explicit_bzero(text, len);
	free(text);
	if (!*out) {
		errf(err, err_len, "kubeconfig: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* mkdir -p of path's parent, 0700 (~/.kube holds credentials). */
static int make_parents(const char *path)
{
	char *dir = strdup(path), *p;
	bool last = false;
	struct stat st;
	int err = 0;

	if (!dir)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (!p || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1; !err && !last; p++) {
		if (*p && *p != '/')
			continue;
		last = !*p;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			err = -errno;
		if (!last)
			*p = '/';
	}
	/* Something there already must be a directory. */
	if (!err && (stat(dir, &st) || !S_ISDIR(st.st_mode)))
		err = -ENOTDIR;
	free(dir);
	return err;
}

/* Write data to path through a synced temporary file and a rename. */
static int write_atomic(const char *path, const char *data, size_t len, char *err, size_t err_len)
{
	char *tmp, *dir, *slash;
	size_t off = 0;
	ssize_t n;
	int fd, dfd, ret;

	ret = make_parents(path);
	if (ret) {
		errf(err, err_len, "kubeconfig %s: cannot create its directory: %s", path,
		     strerror(-ret));
		return ret;
	}
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errf(err, err_len, "kubeconfig %s: cannot create %s: %s", path, tmp, strerror(errno));
		free(tmp);
		return ret;
	}
	if (fchmod(fd, 0600))
		ret = -errno;
	while (!ret && off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		else
			off += n;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		errf(err, err_len, "kubeconfig %s: cannot write it: %s", path, strerror(-ret));
		unlink(tmp);
		free(tmp);
		return ret;
	}
	free(tmp);
	/* Make the rename itself durable. */
	dir = strdup(path);
	if (dir) {
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	return 0;
}

int kubeconfig_write_ns(const char *path, const char *name, const char *server,
			const char *namespace, const char *ca_pem_file,
			const char *client_cert_file, const char *client_key_file,
			const char *token, char *err, size_t err_len)
{
	char *ca = NULL, *cert = NULL, *key = NULL;
	struct ybuf out = { 0 };
	struct yemit y = { .ok = true };
	int ret;

	if (err && err_len)
		err[0] = '\0';
	if (!name)
		name = "kbpf";
	if (!path || !*path || !server || !*server || !*name) {
		errf(err, err_len, "kubeconfig %s: a path, a server and a name are needed",
		     path ? path : "(none)");
		return -EINVAL;
	}
	if (!client_cert_file != !client_key_file) {
		errf(err, err_len, "kubeconfig %s: a client certificate needs its key, and a key its certificate",
		     path);
		return -EINVAL;
	}
	if ((ret = data_of(ca_pem_file, &ca, err, err_len)) ||
	    (ret = data_of(client_cert_file, &cert, err, err_len)) ||
	    (ret = data_of(client_key_file, &key, err, err_len)))
		goto out;
	if (!yaml_emitter_initialize(&y.e)) {
		ret = -ENOMEM;
		goto out;
	}
	yaml_emitter_set_output(&y.e, ybuf_write, &out);
	yaml_emitter_set_unicode(&y.e, 1);
	yaml_emitter_set_width(&y.e, -1);
	y_emit(&y, yaml_stream_start_event_initialize(&y.ev, YAML_UTF8_ENCODING));
	y_emit(&y, yaml_document_start_event_initialize(&y.ev, NULL, NULL, NULL, 1));
	y_map(&y);
	y_kv(&y, "apiVersion", "v1");
	y_kv(&y, "kind", "Config");
	y_str(&y, "clusters");
	y_seq(&y);
	y_map(&y);
	y_kv(&y, "name", name);
	y_str(&y, "cluster");
	y_map(&y);
	y_kv(&y, "server", server);
	y_kv(&y, "certificate-authority-data", ca);
	y_map_end(&y);
	y_map_end(&y);
	y_seq_end(&y);
	y_str(&y, "contexts");
	y_seq(&y);
	y_map(&y);
	y_kv(&y, "name", name);
	y_str(&y, "context");
	y_map(&y);
	y_kv(&y, "cluster", name);
	y_kv(&y, "user", name);
	y_kv(&y, "namespace", namespace && *namespace ? namespace : NULL);
	y_map_end(&y);
	y_map_end(&y);
	y_seq_end(&y);
	y_kv(&y, "current-context", name);
	y_str(&y, "preferences");
	y_map(&y);
	y_map_end(&y);
	y_str(&y, "users");
	y_seq(&y);
	y_map(&y);
	y_kv(&y, "name", name);
	y_str(&y, "user");
	y_map(&y);
	y_kv(&y, "client-certificate-data", cert);
	y_kv(&y, "client-key-data", key);
	y_kv(&y, "token", token && *token ? token : NULL);
	y_map_end(&y);
	y_map_end(&y);
	y_seq_end(&y);
	y_map_end(&y);
	y_emit(&y, yaml_document_end_event_initialize(&y.ev, 1));
	y_emit(&y, yaml_stream_end_event_initialize(&y.ev));
	if (y.ok && !yaml_emitter_flush(&y.e))
		y.ok = false;
	if (!y.ok) {
		errf(err, err_len, "kubeconfig %s: cannot emit YAML: %s", path,
		     y.e.problem ? y.e.problem : "out of memory");
		ret = -ENOMEM;
	}
	yaml_emitter_delete(&y.e);
	if (!ret)
		ret = write_atomic(path, out.data, out.len, err, err_len);
out:
	if (out.data)
		explicit_bzero(out.data, out.len);
	free(out.data);
	free(ca);
	free(cert);
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	return ret;
}

int kubeconfig_write(const char *path, const char *name, const char *server,
		     const char *ca_pem_file, const char *client_cert_file,
		     const char *client_key_file, const char *token, char *err, size_t err_len)
{
	return kubeconfig_write_ns(path, name, server, NULL, ca_pem_file, client_cert_file,
				   client_key_file, token, err, err_len);
}
