/* jsonpatch.c — JSON Patch (RFC 6902), merge patch (RFC 7386) and Kubernetes' strategic merge patch. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpatch.h"

/* jansson's object iterators take a non-const object although they only read it. */
#define obj_foreach(obj, key, val) json_object_foreach((json_t *)(obj), key, val)

static void errf(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/*
 * JSON equality where numbers compare by value: RFC 6902 4.6 makes 1 and 1.0 equal, and
 * Kubernetes (whose decoder turns every number into a float64) matches merge keys so.
 * jansson's json_equal tells an integer from a real.
 */
static bool value_equal(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *av;
	size_t i;

	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (!a || !b || json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return false;
		obj_foreach(a, key, av) {
			const json_t *bv = json_object_get(b, key);

			if (!bv || !value_equal(av, bv))
				return false;
		}
		return true;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!value_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	default:
		return json_equal(a, b);
	}
}

static const char *type_name(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
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

/* --- RFC 6901 JSON Pointer --- */

/* A pointer split into unescaped reference tokens. */
struct ptr {
	char *buf;  /* the tokens, each NUL-terminated */
	char **tok;
	size_t n;
};

static void ptr_free(struct ptr *p)
{
	free(p->buf);
	free(p->tok);
	p->buf = NULL;
	p->tok = NULL;
	p->n = 0;
}

/* Returns 0, -EINVAL if s is not a pointer (no leading "/", "~" not before 0 or 1), -ENOMEM. */
static int ptr_parse(const char *s, struct ptr *p)
{
	size_t n = 0, len = strlen(s);
	const char *c;
	char *w;

	memset(p, 0, sizeof(*p));
	if (!len)
		return 0;
	if (s[0] != '/')
		return -EINVAL;
	for (c = s; *c; c++)
		n += *c == '/';
	p->buf = malloc(len + 1);
	p->tok = calloc(n, sizeof(*p->tok));
	if (!p->buf || !p->tok) {
		ptr_free(p);
		return -ENOMEM;
	}
	w = p->buf;
	for (c = s; *c; c++) {
		if (*c == '/') {
			if (p->n)
				*w++ = '\0';
			p->tok[p->n++] = w;
		} else if (*c == '~') {
			if (c[1] != '0' && c[1] != '1') {
				ptr_free(p);
				return -EINVAL;
			}
			*w++ = *++c == '0' ? '~' : '/';
		} else {
			*w++ = *c;
		}
	}
	*w = '\0';
	return 0;
}

/* An array index token: "0", or digits without a leading zero (RFC 6901 section 4). */
static int parse_index(const char *tok, size_t *idx)
{
	size_t v = 0;
	const char *c;

	if (!*tok || (tok[0] == '0' && tok[1]))
		return -EINVAL;
	for (c = tok; *c; c++) {
		if (*c < '0' || *c > '9' || v > (SIZE_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (size_t)(*c - '0');
	}
	*idx = v;
	return 0;
}

/* One operation being applied: where its messages come from. */
struct op {
	size_t idx;
	const char *name;
	const char *path;
	char *err;
	size_t err_len;
};

static int op_fail(const struct op *op, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int op_fail(const struct op *op, int ret, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errf(op->err, op->err_len, "%s (operation %zu, %s)", msg, op->idx, op->name);
	return ret;
}

/*
 * The value the first n tokens of p name in root, or NULL with the reason in err.
 * `path` is p as written, for the message.
 */
static json_t *ptr_walk(const struct op *op, json_t *root, const struct ptr *p, size_t n,
			const char *path, int *ret)
{
	json_t *v = root;
	size_t i, idx;

	for (i = 0; i < n; i++) {
		if (json_is_object(v)) {
			v = json_object_get(v, p->tok[i]);
		} else if (json_is_array(v)) {
			if (parse_index(p->tok[i], &idx)) {
				*ret = op_fail(op, -ENOENT, "path %s does not exist: \"%s\" is not an array index",
					       path, p->tok[i]);
				return NULL;
			}
			v = json_array_get(v, idx);
		} else {
			v = NULL;
		}
		if (!v) {
			*ret = op_fail(op, -ENOENT, "path %s does not exist", path);
			return NULL;
		}
	}
	return v;
}

/* Insert value (stolen) at p: a new member, a replaced one, or an array insertion. */
static int ptr_add(const struct op *op, json_t **root, const struct ptr *p, const char *path,
		   json_t *value)
{
	json_t *parent;
	const char *last;
	size_t idx;
	int ret;

	if (!p->n) {
		json_decref(*root);
		*root = value;
		return 0;
	}
	parent = ptr_walk(op, *root, p, p->n - 1, path, &ret);
	if (!parent)
		goto fail;
	last = p->tok[p->n - 1];
	if (json_is_object(parent))
		return json_object_set_new(parent, last, value) ? -ENOMEM : 0;
	if (!json_is_array(parent)) {
		ret = op_fail(op, -ENOENT, "path %s does not exist: its parent is not an object or array",
			      path);
		goto fail;
	}
	if (!strcmp(last, "-"))
		return json_array_append_new(parent, value) ? -ENOMEM : 0;
	if (parse_index(last, &idx)) {
		ret = op_fail(op, -ENOENT, "path %s does not exist: \"%s\" is not an array index",
			      path, last);
		goto fail;
	}
	if (idx > json_array_size(parent)) {
		ret = op_fail(op, -ENOENT, "path %s does not exist: index %zu is past the end of an array of %zu",
			      path, idx, json_array_size(parent));
		goto fail;
	}
	return json_array_insert_new(parent, idx, value) ? -ENOMEM : 0;
fail:
	json_decref(value);
	return ret;
}

/* Find the existing value at p: its parent and, for an array parent, its index. */
static json_t *ptr_find(const struct op *op, json_t *root, const struct ptr *p, const char *path,
			json_t **parent, size_t *idx, int *ret)
{
	json_t *par, *v = NULL;

	*parent = NULL;
	if (!p->n)
		return root;
	par = ptr_walk(op, root, p, p->n - 1, path, ret);
	if (!par)
		return NULL;
	if (json_is_object(par))
		v = json_object_get(par, p->tok[p->n - 1]);
	else if (json_is_array(par) && !parse_index(p->tok[p->n - 1], idx))
		v = json_array_get(par, *idx);
	if (!v) {
		*ret = op_fail(op, -ENOENT, "path %s does not exist", path);
		return NULL;
	}
	*parent = par;
	return v;
}

static int ptr_remove(const struct op *op, json_t *root, const struct ptr *p, const char *path)
{
	json_t *parent;
	size_t idx = 0;
	int ret;

	if (!p->n)
		return op_fail(op, -EINVAL, "cannot remove the whole document");
	if (!ptr_find(op, root, p, path, &parent, &idx, &ret))
		return ret;
	if (json_is_object(parent))
		return json_object_del(parent, p->tok[p->n - 1]) ? -ENOENT : 0;
	return json_array_remove(parent, idx) ? -ENOENT : 0;
}

static int op_replace(const struct op *op, json_t **root, const struct ptr *p, json_t *value)
{
	json_t *parent;
	size_t idx = 0;
	int ret;

	if (!ptr_find(op, *root, p, op->path, &parent, &idx, &ret)) {
		json_decref(value);
		return ret;
	}
	if (!parent) {
		json_decref(*root);
		*root = value;
		return 0;
	}
	if (json_is_object(parent))
		return json_object_set_new(parent, p->tok[p->n - 1], value) ? -ENOMEM : 0;
	return json_array_set_new(parent, idx, value) ? -ENOMEM : 0;
}

/* move and copy: from names an existing value; move may not put it inside itself. */
static int op_transfer(const struct op *op, json_t **root, const struct ptr *p, const json_t *o,
		       bool move)
{
	const json_t *jfrom = json_object_get(o, "from");
	const char *from = json_string_value(jfrom);
	json_t *src, *parent, *value;
	struct ptr f;
	size_t idx = 0, i;
	int ret;

	if (!from)
		return op_fail(op, -EINVAL, "\"from\" is %s", jfrom ? "not a string" : "missing");
	ret = ptr_parse(from, &f);
	if (ret)
		return ret == -ENOMEM ? ret :
		       op_fail(op, ret, "from %s is not a JSON Pointer", from);
	src = ptr_find(op, *root, &f, from, &parent, &idx, &ret);
	if (!src)
		goto out;
	if (move) {
		/* RFC 6902 4.4: from may not be a proper prefix of path. */
		for (i = 0; i < f.n && i < p->n && !strcmp(f.tok[i], p->tok[i]); i++)
			;
		if (i == f.n && f.n == p->n) {
			ret = 0; /* onto itself: nothing moves */
			goto out;
		}
		if (i == f.n) {
			ret = op_fail(op, -EINVAL, "cannot move %s into its own child %s", from,
				      op->path);
			goto out;
		}
		value = json_incref(src);
		ret = ptr_remove(op, *root, &f, from);
		if (ret) {
			json_decref(value);
			goto out;
		}
	} else {
		value = json_deep_copy(src);
		if (!value) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = ptr_add(op, root, p, op->path, value);
out:
	ptr_free(&f);
	return ret;
}

static int apply_op(json_t **root, const json_t *o, size_t idx, char *err, size_t err_len)
{
	struct op op = { .idx = idx, .name = "?", .err = err, .err_len = err_len };
	const json_t *value = json_object_get(o, "value");
	json_t *target, *parent, *copy;
	struct ptr p;
	size_t aidx;
	int ret;

	if (!json_is_object(o))
		return op_fail(&op, -EINVAL, "operation is not a JSON object");
	op.name = json_string_value(json_object_get(o, "op"));
	if (!op.name) {
		op.name = "?";
		return op_fail(&op, -EINVAL, "\"op\" is missing or not a string");
	}
	op.path = json_string_value(json_object_get(o, "path"));
	if (!op.path)
		return op_fail(&op, -EINVAL, "\"path\" is missing or not a string");
	ret = ptr_parse(op.path, &p);
	if (ret == -ENOMEM)
		goto out;
	if (ret)
		return op_fail(&op, ret, "path %s is not a JSON Pointer", op.path);

	if (!value && (!strcmp(op.name, "add") || !strcmp(op.name, "replace") ||
		       !strcmp(op.name, "test"))) {
		ret = op_fail(&op, -EINVAL, "\"value\" is missing");
	} else if (!strcmp(op.name, "add") || !strcmp(op.name, "replace")) {
		copy = json_deep_copy(value);
		if (!copy)
			ret = -ENOMEM;
		else if (op.name[0] == 'a')
			ret = ptr_add(&op, root, &p, op.path, copy);
		else
			ret = op_replace(&op, root, &p, copy);
	} else if (!strcmp(op.name, "remove")) {
		ret = ptr_remove(&op, *root, &p, op.path);
	} else if (!strcmp(op.name, "move") || !strcmp(op.name, "copy")) {
		ret = op_transfer(&op, root, &p, o, op.name[0] == 'm');
	} else if (!strcmp(op.name, "test")) {
		target = ptr_find(&op, *root, &p, op.path, &parent, &aidx, &ret);
		if (target && !value_equal(target, value))
			ret = op_fail(&op, -ECANCELED, "test operation failed at %s", op.path);
	} else {
		ret = op_fail(&op, -EINVAL, "unknown op \"%s\": want add, remove, replace, move, copy or test",
			      op.name);
	}
	ptr_free(&p);
out:
	if (ret == -ENOMEM)
		errf(err, err_len, "out of memory");
	return ret;
}

int json_patch(const json_t *doc, const json_t *ops, json_t **out, char *err, size_t err_len)
{
	json_t *root, *o;
	size_t i;
	int ret;

	*out = NULL;
	if (!doc) {
		errf(err, err_len, "no document to patch");
		return -EINVAL;
	}
	if (!json_is_array(ops)) {
		errf(err, err_len, "a JSON Patch is an array of operations, not %s",
		     type_name(ops));
		return -EINVAL;
	}
	/* Work on a copy: a failing operation must leave no trace of the ones before it. */
	root = json_deep_copy(doc);
	if (!root) {
		errf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(ops, i, o) {
		ret = apply_op(&root, o, i, err, err_len);
		if (ret) {
			json_decref(root);
			return ret;
		}
	}
	*out = root;
	return 0;
}

json_t *json_patch_apply(const json_t *doc, const json_t *ops, char *err, size_t err_len)
{
	json_t *out;

	return json_patch(doc, ops, &out, err, err_len) ? NULL : out;
}

/* --- RFC 7386 JSON merge patch --- */

static int merge_into(json_t *dst, const json_t *patch)
{
	const char *key;
	json_t *pv, *ov;

	obj_foreach(patch, key, pv) {
		if (json_is_null(pv)) {
			json_object_del(dst, key); /* absent is fine */
			continue;
		}
		if (json_is_object(pv)) {
			ov = json_object_get(dst, key);
			if (!json_is_object(ov)) {
				ov = json_object();
				if (!ov || json_object_set_new(dst, key, ov))
					return -ENOMEM;
			}
			if (merge_into(ov, pv))
				return -ENOMEM;
			continue;
		}
		ov = json_deep_copy(pv);
		if (!ov || json_object_set_new(dst, key, ov))
			return -ENOMEM;
	}
	return 0;
}

json_t *merge_patch_apply(const json_t *doc, const json_t *patch)
{
	json_t *res;

	if (!patch)
		return json_null();
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	res = json_is_object(doc) ? json_deep_copy(doc) : json_object();
	if (res && merge_into(res, patch)) {
		json_decref(res);
		return NULL;
	}
	return res;
}

/* --- Kubernetes strategic merge patch --- */

#define DIRECTIVE    "$patch"
#define RETAIN_KEYS  "$retainKeys"
#define SET_ORDER    "$setElementOrder/"
#define DELETE_PRIM  "$deleteFromPrimitiveList/"

struct smp {
	smp_lookup_fn lookup;
	void *ctx;
	char *err;
	size_t err_len;
	char path[512]; /* JSON Pointer of the value being merged, for messages */
	size_t path_len;
};

/* A list's items as a C array, read-only. */
struct vec {
	const json_t **v;
	size_t n;
};

static int smp_merge_map(struct smp *s, json_t *dst, const json_t *patch, const char *type);
static int smp_value(struct smp *s, const json_t *pv, const struct smp_field *f, json_t **out);

static const char *where(const struct smp *s)
{
	return s->path_len ? s->path : "the top level";
}

static int smp_fail(struct smp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int smp_fail(struct smp *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err && s->err_len) {
		va_start(ap, fmt);
		vsnprintf(s->err, s->err_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int smp_nomem(struct smp *s)
{
	errf(s->err, s->err_len, "out of memory");
	return -ENOMEM;
}

/* Descend into key (escaped per RFC 6901) or list index; returns what smp_pop restores. */
static size_t smp_push(struct smp *s, const char *key, size_t idx)
{
	size_t old = s->path_len, room = sizeof(s->path) - 1;
	char num[24];
	const char *c;

	if (!key) {
		snprintf(num, sizeof(num), "%zu", idx);
		key = num;
	}
	if (s->path_len < room)
		s->path[s->path_len++] = '/';
	for (c = key; *c && s->path_len + 2 <= room; c++) {
		if (*c == '~' || *c == '/') {
			s->path[s->path_len++] = '~';
			s->path[s->path_len++] = *c == '~' ? '0' : '1';
		} else {
			s->path[s->path_len++] = *c;
		}
	}
	s->path[s->path_len] = '\0';
	return old;
}

static void smp_pop(struct smp *s, size_t old)
{
	s->path_len = old;
	s->path[old] = '\0';
}

static bool field_of(struct smp *s, const char *type, const char *key, struct smp_field *f)
{
	memset(f, 0, sizeof(*f));
	if (!type || !s->lookup || !s->lookup(type, key, f, s->ctx)) {
		memset(f, 0, sizeof(*f));
		return false;
	}
	return true;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool is_directive_key(const char *key)
{
	return !strcmp(key, DIRECTIVE) || !strcmp(key, RETAIN_KEYS) ||
	       has_prefix(key, SET_ORDER) || has_prefix(key, DELETE_PRIM);
}

/* The value of patch key prefix+field, without building the key. */
static const json_t *directive_for(const json_t *patch, const char *prefix, const char *field)
{
	size_t len = strlen(prefix);
	const char *key;
	json_t *v;

	obj_foreach(patch, key, v)
		if (!strncmp(key, prefix, len) && !strcmp(key + len, field))
			return v;
	return NULL;
}

/* A list element carrying a "$patch" directive: a deletion or a replace marker. */
static bool is_special(const json_t *v)
{
	return json_is_object(v) && json_object_get(v, DIRECTIVE);
}

static int vec_of(struct smp *s, const json_t *arr, bool plain_only, struct vec *out)
{
	size_t i, n = json_array_size(arr);

	out->n = 0;
	out->v = calloc(n + 1, sizeof(*out->v));
	if (!out->v)
		return smp_nomem(s);
	for (i = 0; i < n; i++)
		if (!plain_only || !is_special(json_array_get(arr, i)))
			out->v[out->n++] = json_array_get(arr, i);
	return 0;
}

/* Whether two list items are the same: by merge key for objects, by value otherwise. */
static bool same_item(const json_t *a, const json_t *b, const char *key)
{
	const json_t *ka, *kb;

	if (!key)
		return value_equal(a, b);
	ka = json_object_get(a, key); /* NULL for a non-object */
	kb = json_object_get(b, key);
	return ka && kb && value_equal(ka, kb);
}

static long index_in(const struct vec *list, const json_t *item, const char *key)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		if (same_item(list->v[i], item, key))
			return (long)i;
	return -1;
}

struct ranked {
	json_t *v;
	long rank;   /* sort key of its run */
	long server; /* place in the original list, -1 if not there */
	size_t pos;  /* place in the merged list: keeps the sort stable */
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Put a merged list in Kubernetes' order (apimachinery's normalizeElementOrder and
 * mergeSortedSlice). Items that `order` names are sorted by their place in it; the
 * others ("server-only") by their place in `server`, the original list, those not in it
 * last. The two runs are then interleaved: the server-only item goes first when both
 * items are in `server` and it came first there; otherwise the ordered item goes first.
 * Quadratic in the list's length, which is fine for the short lists objects merge.
 */
static int smp_order(struct smp *s, json_t *list, const struct vec *order,
		     const struct vec *server, const char *key)
{
	size_t n = json_array_size(list), n_in = 0, n_srv = 0, i = 0, j = 0, k;
	struct ranked *in, *srv;
	json_t *res = NULL;
	int ret = -ENOMEM;

	in = calloc(n + 1, sizeof(*in));
	srv = calloc(n + 1, sizeof(*srv));
	if (!in || !srv)
		goto out;
	for (k = 0; k < n; k++) {
		json_t *v = json_array_get(list, k);
		long oi = index_in(order, v, key), si = index_in(server, v, key);

		if (oi >= 0)
			in[n_in++] = (struct ranked){ v, oi, si, k };
		else
			srv[n_srv++] = (struct ranked){ v, si >= 0 ? si : LONG_MAX, si, k };
	}
	qsort(in, n_in, sizeof(*in), cmp_ranked);
	qsort(srv, n_srv, sizeof(*srv), cmp_ranked);

	res = json_array();
	if (!res)
		goto out;
	while (i < n_srv || j < n_in) {
		bool take_srv = j >= n_in ||
				(i < n_srv && srv[i].server >= 0 && in[j].server >= 0 &&
				 srv[i].server < in[j].server);

		if (json_array_append(res, take_srv ? srv[i++].v : in[j++].v))
			goto out;
	}
	if (json_array_clear(list) || json_array_extend(list, res))
		goto out;
	ret = 0;
out:
	json_decref(res);
	free(in);
	free(srv);
	return ret ? smp_nomem(s) : 0;
}

/* Whether list holds objects (true) or values (false); -EINVAL if it holds both. */
static int list_kind(struct smp *s, const json_t *a, const json_t *b, const json_t *c,
		     bool *objects)
{
	const json_t *lists[] = { a, b, c };
	size_t n_obj = 0, n_other = 0, i, k;

	for (k = 0; k < 3; k++)
		for (i = 0; i < json_array_size(lists[k]); i++)
			json_is_object(json_array_get(lists[k], i)) ? n_obj++ : n_other++;
	if (n_obj && n_other)
		return smp_fail(s, "the list at %s mixes objects and other values, so it cannot be merged",
				where(s));
	*objects = n_obj;
	return 0;
}

/* A list without merge strategy: the patch list, each element merged into nothing. */
static int smp_replace_list(struct smp *s, const json_t *pl, const struct smp_field *f,
			    json_t **out)
{
	struct smp_field ef = { .type = f->type };
	json_t *res = json_array(), *pe, *v;
	size_t i, old;
	int ret = 0;

	if (!res)
		return smp_nomem(s);
	json_array_foreach(pl, i, pe) {
		old = smp_push(s, NULL, i);
		ret = smp_value(s, pe, &ef, &v);
		smp_pop(s, old);
		if (ret)
			break;
		if (json_array_append_new(res, v)) {
			ret = smp_nomem(s);
			break;
		}
	}
	if (ret) {
		json_decref(res);
		return ret;
	}
	*out = res;
	return 0;
}

/* A merging list of values: the union, each value once (apimachinery deduplicates). */
static int smp_union(struct smp *s, const json_t *ol, const json_t *pl, json_t **out)
{
	struct vec order = { 0 }, server = { 0 };
	json_t *res = json_array(), *v;
	const json_t *lists[] = { ol, pl };
	size_t i, j, k;
	bool dup;
	int ret;

	if (!res)
		return smp_nomem(s);
	for (k = 0; k < 2; k++) {
		json_array_foreach(lists[k], i, v) {
			json_t *copy;

			dup = false;
			for (j = 0; j < json_array_size(res) && !dup; j++)
				dup = value_equal(json_array_get(res, j), v);
			if (dup)
				continue;
			copy = json_deep_copy(v);
			if (!copy || json_array_append_new(res, copy)) {
				ret = smp_nomem(s);
				goto fail;
			}
		}
	}
	ret = vec_of(s, pl, false, &order);
	if (!ret)
		ret = vec_of(s, ol, false, &server);
	if (!ret)
		ret = smp_order(s, res, &order, &server, NULL);
	free(order.v);
	free(server.v);
	if (ret)
		goto fail;
	*out = res;
	return 0;
fail:
	json_decref(res);
	return ret;
}

/* Whether a "$patch": "delete" element of pl names ov's merge key. */
static bool is_deleted(const json_t *ov, const json_t *pl, const char *key)
{
	const json_t *pe;
	size_t i;

	json_array_foreach(pl, i, pe) {
		const char *d = json_string_value(json_object_get(pe, DIRECTIVE));

		if (d && !strcmp(d, "delete") && same_item(ov, pe, key))
			return true;
	}
	return false;
}

/*
 * A merging list of objects: deletions first, then each patch element merged into the
 * first element with its merge-key value (apimachinery takes the first) or appended,
 * then the order. ol belongs to the result under construction, so its elements are
 * taken over and merged in place; the caller drops ol.
 */
static int smp_keyed(struct smp *s, const json_t *ol, const json_t *pl, const struct smp_field *f,
		     json_t **out)
{
	struct smp_field ef = { .type = f->type };
	const char *key = f->merge_key;
	struct vec order = { 0 }, server = { 0 };
	bool replace = false;
	json_t *work, *pe, *oe;
	size_t i, j, old;
	int ret = 0;

	json_array_foreach(pl, i, pe) {
		const json_t *d = json_object_get(pe, DIRECTIVE);
		const char *ds = json_string_value(d);

		if (!d) {
			if (!json_object_get(pe, key))
				return smp_fail(s, "element %zu of the list at %s does not contain its merge key \"%s\"",
						i, where(s), key);
		} else if (ds && !strcmp(ds, "delete")) {
			if (!json_object_get(pe, key))
				return smp_fail(s, "element %zu of the list at %s: \"$patch\": \"delete\" needs the merge key \"%s\"",
						i, where(s), key);
		} else if (ds && !strcmp(ds, "replace")) {
			replace = true; /* keep checking: every other directive must be valid too */
		} else {
			return smp_fail(s, "element %zu of the list at %s has \"$patch\": %s%s%s; a list element takes \"replace\" or \"delete\"",
					i, where(s), ds ? "\"" : "", ds ? ds : "(not a string)",
					ds ? "\"" : "");
		}
	}

	work = json_array();
	if (!work)
		return smp_nomem(s);
	if (!replace) {
		json_array_foreach(ol, i, oe) {
			if (is_deleted(oe, pl, key))
				continue;
			if (json_array_append(work, oe)) {
				ret = smp_nomem(s);
				goto out;
			}
		}
	}
	json_array_foreach(pl, i, pe) {
		json_t *target = NULL, *nv;

		if (is_special(pe))
			continue;
		for (j = 0; j < json_array_size(work) && !target; j++)
			if (same_item(json_array_get(work, j), pe, key))
				target = json_array_get(work, j);
		old = smp_push(s, NULL, i);
		if (target) {
			ret = smp_merge_map(s, target, pe, ef.type);
		} else {
			ret = smp_value(s, pe, &ef, &nv);
			if (!ret && json_array_append_new(work, nv))
				ret = smp_nomem(s);
		}
		smp_pop(s, old);
		if (ret)
			goto out;
	}
	/* A replaced list is in the patch's order already. */
	if (!replace) {
		ret = vec_of(s, pl, true, &order);
		if (!ret)
			ret = vec_of(s, ol, false, &server);
		if (!ret)
			ret = smp_order(s, work, &order, &server, key);
	}
out:
	free(order.v);
	free(server.v);
	if (ret) {
		json_decref(work);
		return ret;
	}
	*out = work;
	return 0;
}

/* Merge patch list pl into original list ol per the field's strategy; *out is new. */
static int smp_list(struct smp *s, const json_t *ol, const json_t *pl, const struct smp_field *f,
		    json_t **out)
{
	bool objects;
	int ret;

	if (!(f->strategy & SMP_MERGE))
		return smp_replace_list(s, pl, f, out);
	ret = list_kind(s, ol, pl, NULL, &objects);
	if (ret)
		return ret;
	if (!objects)
		return smp_union(s, ol, pl, out);
	if (!f->merge_key)
		return smp_fail(s, "the list at %s holds objects but its field has no merge key",
				where(s));
	return smp_keyed(s, ol, pl, f, out);
}

/* A patch value the original lacks (or holds as another JSON type): merged into nothing. */
static int smp_value(struct smp *s, const json_t *pv, const struct smp_field *f, json_t **out)
{
	json_t *v;
	int ret;

	*out = NULL;
	if (json_is_object(pv)) {
		v = json_object();
		if (!v)
			return smp_nomem(s);
		ret = smp_merge_map(s, v, pv, f->type);
		if (ret) {
			json_decref(v);
			return ret;
		}
		*out = v;
		return 0;
	}
	if (json_is_array(pv)) {
		v = json_array();
		if (!v)
			return smp_nomem(s);
		ret = smp_list(s, v, pv, f, out);
		json_decref(v);
		return ret;
	}
	*out = json_deep_copy(pv);
	return *out ? 0 : smp_nomem(s);
}

/*
 * $setElementOrder/<name>: reorder merged list `list` by `order`, with `server` (the
 * original list, or NULL) deciding where server-only items go. The patch list pl, if
 * any, must name its items in the same relative order (apimachinery refuses otherwise).
 * A list that is not merged keeps the patch's order, so the directive means nothing there.
 */
static int smp_set_order(struct smp *s, json_t *list, const json_t *order, const json_t *server,
			 const json_t *pl, const struct smp_field *f, const char *name)
{
	struct vec vo = { 0 }, vs = { 0 };
	const char *key = NULL;
	size_t pi = 0, oi = 0, np = json_array_size(pl), no = json_array_size(order), i;
	bool objects;
	int ret;

	if (!(f->strategy & SMP_MERGE))
		return 0;
	ret = list_kind(s, list, order, server, &objects);
	if (ret)
		return ret;
	if (objects) {
		key = f->merge_key;
		if (!key)
			return smp_fail(s, "$setElementOrder/%s at %s: the list holds objects but has no merge key",
					name, where(s));
		for (i = 0; i < no; i++)
			if (!json_object_get(json_array_get(order, i), key))
				return smp_fail(s, "element %zu of $setElementOrder/%s at %s does not contain the merge key \"%s\"",
						i, name, where(s), key);
	}
	/* The patch list must be a subsequence of the order (its directives aside). */
	while (pi < np && oi < no) {
		const json_t *pe = json_array_get(pl, pi);

		if (is_special(pe)) {
			pi++;
			continue;
		}
		if (same_item(pe, json_array_get(order, oi), key))
			pi++;
		oi++;
	}
	while (pi < np && is_special(json_array_get(pl, pi)))
		pi++;
	if (pi < np)
		return smp_fail(s, "the order of list %s at %s doesn't match its $setElementOrder/%s",
				name, where(s), name);

	ret = vec_of(s, order, false, &vo);
	if (!ret)
		ret = vec_of(s, server, false, &vs);
	if (!ret)
		ret = smp_order(s, list, &vo, &vs, key);
	free(vo.v);
	free(vs.v);
	return ret;
}

/* One field of the patch merged into dst: null deletes, objects and lists merge. */
static int smp_merge_field(struct smp *s, json_t *dst, const char *key, const json_t *pv,
			   const char *type, const json_t *patch)
{
	const json_t *order = directive_for(patch, SET_ORDER, key);
	json_t *ov = json_object_get(dst, key), *nv = NULL;
	struct smp_field f;
	int ret;

	field_of(s, type, key, &f);
	if (json_is_null(pv)) {
		json_object_del(dst, key); /* absent is fine: a null is never stored */
		return 0;
	}
	if (json_is_object(ov) && json_is_object(pv))
		return smp_merge_map(s, ov, pv, f.type);
	if (json_is_array(ov) && json_is_array(pv))
		ret = smp_list(s, ov, pv, &f, &nv);
	else
		ret = smp_value(s, pv, &f, &nv);
	/* Reorder while ov, the original list, is still there to say where things were. */
	if (!ret && order && json_is_array(nv))
		ret = smp_set_order(s, nv, order, json_is_array(ov) ? ov : NULL, pv, &f, key);
	if (ret) {
		json_decref(nv);
		return ret;
	}
	return json_object_set_new(dst, key, nv) ? smp_nomem(s) : 0;
}

/* $retainKeys: fields of dst not listed are cleared; the patch may set only listed ones. */
static int smp_retain_keys(struct smp *s, json_t *dst, const json_t *patch)
{
	const json_t *rk = json_object_get(patch, RETAIN_KEYS);
	const char *key;
	json_t *v, *item;
	void *tmp;
	size_t i;

	if (!rk)
		return 0;
	if (!json_is_array(rk))
		return smp_fail(s, "$retainKeys at %s is not a list of field names", where(s));
	json_array_foreach(rk, i, item)
		if (!json_is_string(item))
			return smp_fail(s, "$retainKeys at %s: element %zu is not a field name",
					where(s), i);
	obj_foreach(patch, key, v) {
		bool listed = false;

		if (json_is_null(v) || is_directive_key(key))
			continue;
		json_array_foreach(rk, i, item)
			listed = listed || !strcmp(json_string_value(item), key);
		if (!listed)
			return smp_fail(s, "$retainKeys at %s does not list \"%s\", which the patch sets",
					where(s), key);
	}
	json_object_foreach_safe(dst, tmp, key, v) {
		bool listed = false;

		json_array_foreach(rk, i, item)
			listed = listed || !strcmp(json_string_value(item), key);
		if (!listed)
			json_object_del(dst, key);
	}
	return 0;
}

/* $deleteFromPrimitiveList/<name>: remove every listed value from merged list name. */
static int smp_delete_values(struct smp *s, json_t *dst, const char *name, const json_t *del,
			     const char *type)
{
	json_t *list = json_object_get(dst, name), *res, *v;
	struct smp_field f;
	size_t i, j;

	if (!field_of(s, type, name, &f) || !(f.strategy & SMP_MERGE))
		return smp_fail(s, "$deleteFromPrimitiveList/%s at %s: %s is not a merging list",
				name, where(s), name);
	if (!json_is_array(list))
		return 0; /* nothing to delete from */
	res = json_array();
	if (!res)
		return smp_nomem(s);
	json_array_foreach(list, i, v) {
		bool gone = false;

		for (j = 0; j < json_array_size(del) && !gone; j++)
			gone = value_equal(v, json_array_get(del, j));
		if (!gone && json_array_append(res, v)) {
			json_decref(res);
			return smp_nomem(s);
		}
	}
	return json_object_set_new(dst, name, res) ? smp_nomem(s) : 0;
}

/* Check the directive keys' values before anything changes. */
static int smp_check_directives(struct smp *s, const json_t *patch)
{
	const char *key;
	json_t *v;

	obj_foreach(patch, key, v) {
		if (has_prefix(key, SET_ORDER) && !json_is_array(v))
			return smp_fail(s, "%s at %s is not a list", key, where(s));
		if (has_prefix(key, DELETE_PRIM) && !json_is_array(v))
			return smp_fail(s, "%s at %s is not a list", key, where(s));
	}
	return 0;
}

/* Merge patch object `patch` into dst, an object of the result, of type `type`. */
static int smp_merge_map(struct smp *s, json_t *dst, const json_t *patch, const char *type)
{
	const json_t *directive = json_object_get(patch, DIRECTIVE);
	struct smp_field f;
	const char *key;
	size_t old;
	json_t *pv;
	int ret;

	if (directive) {
		const char *d = json_string_value(directive);

		if (d && !strcmp(d, "delete")) {
			/* apimachinery returns an empty map here, not a deletion. */
			json_object_clear(dst);
			return 0;
		}
		if (!d || strcmp(d, "replace"))
			return smp_fail(s, "\"$patch\" at %s is %s%s%s; an object takes \"replace\" or \"delete\"",
					where(s), d ? "\"" : "", d ? d : "not a string",
					d ? "\"" : "");
		/* Replace: what the rest of the patch builds from nothing. */
		json_object_clear(dst);
	}
	ret = smp_check_directives(s, patch);
	if (ret)
		return ret;
	if (!directive) {
		ret = smp_retain_keys(s, dst, patch);
		if (ret)
			return ret;
	}

	obj_foreach(patch, key, pv) {
		if (is_directive_key(key))
			continue;
		old = smp_push(s, key, 0);
		ret = smp_merge_field(s, dst, key, pv, type, patch);
		smp_pop(s, old);
		if (ret)
			return ret;
	}

	/* $setElementOrder for lists the patch does not change: reorder them as they are. */
	obj_foreach(patch, key, pv) {
		const char *name = key + strlen(SET_ORDER);
		json_t *list;

		if (!has_prefix(key, SET_ORDER) || json_object_get(patch, name))
			continue;
		list = json_object_get(dst, name);
		if (!json_is_array(list))
			continue;
		field_of(s, type, name, &f);
		old = smp_push(s, name, 0);
		ret = smp_set_order(s, list, pv, list, NULL, &f, name);
		smp_pop(s, old);
		if (ret)
			return ret;
	}

	/* Deletions last, as apimachinery does once the list is merged and ordered. */
	obj_foreach(patch, key, pv) {
		if (!has_prefix(key, DELETE_PRIM))
			continue;
		ret = smp_delete_values(s, dst, key + strlen(DELETE_PRIM), pv, type);
		if (ret)
			return ret;
	}
	return 0;
}

int strategic_merge_patch(const json_t *doc, const json_t *patch, const char *type,
			  smp_lookup_fn lookup, void *ctx, json_t **out, char *err, size_t err_len)
{
	struct smp s = { .lookup = lookup, .ctx = ctx, .err = err, .err_len = err_len };
	json_t *res;
	int ret;

	*out = NULL;
	if (!json_is_object(patch)) {
		errf(err, err_len, "a strategic merge patch is a JSON object, not %s",
		     type_name(patch));
		return -EINVAL;
	}
	if (doc && !json_is_object(doc)) {
		errf(err, err_len, "the document to patch is %s, not a JSON object",
		     type_name(doc));
		return -EINVAL;
	}
	/* Merge into a copy, in place: the result owns all it holds, doc stays as it was. */
	res = doc ? json_deep_copy(doc) : json_object();
	if (!res) {
		errf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	ret = smp_merge_map(&s, res, patch, type);
	if (ret) {
		json_decref(res);
		return ret;
	}
	*out = res;
	return 0;
}

json_t *strategic_merge_patch_apply(const json_t *doc, const json_t *patch, const char *type,
				    smp_lookup_fn lookup, void *ctx, char *err, size_t err_len)
{
	json_t *out;

	if (strategic_merge_patch(doc, patch, type, lookup, ctx, &out, err, err_len))
		return NULL;
	return out;
}
