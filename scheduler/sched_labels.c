/* sched_labels.c — labels indexed by key hash, and selectors compiled to match them fast. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"

size_t lbls_size(const json_t *labels)
{
	size_t bytes = sizeof(struct lbls) + json_object_size(labels) * sizeof(struct lbl);
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)labels, k, v)
		if (json_is_string(v))
			bytes += strlen(k) + json_string_length(v) + 2;
	return bytes;
}

struct lbls *lbls_fill(const json_t *labels, void *mem)
{
	size_t n = json_object_size(labels), len;
	struct lbls *ls = mem;
	const char *k;
	const json_t *v;
	char *str;

	ls->n = 0;
	str = (char *)&ls->l[n];
	json_object_foreach((json_t *)labels, k, v) {
		struct lbl *l = &ls->l[ls->n++];

		if (!json_is_string(v)) {
			ls->n--;
			continue;
		}
		len = strlen(k) + 1;
		l->key = memcpy(str, k, len);
		str += len;
		len = json_string_length(v) + 1;
		l->val = memcpy(str, json_string_value(v), len);
		str += len;
		l->h = str_hash(l->key);
		l->vh = str_hash(l->val);
	}
	return ls;
}

int lbls_build(const json_t *labels, struct lbls **out)
{
	void *mem = malloc(lbls_size(labels));

	*out = mem ? lbls_fill(labels, mem) : NULL;
	return mem ? 0 : -ENOMEM;
}

enum csel_op { CS_IN, CS_NOT_IN, CS_EXISTS, CS_DNE };

struct csel_req {
	struct hkey key;
	enum csel_op op;
	char **vals;
	uint64_t *vh; /* their hashes */
	size_t n_vals;
};

struct csel {
	bool nothing; /* a nil selector */
	size_t n;
	struct csel_req r[];
};

void csel_free(struct csel *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free((char *)s->r[i].key.s);
		for (j = 0; j < s->r[i].n_vals; j++)
			free(s->r[i].vals[j]);
		free(s->r[i].vals);
		free(s->r[i].vh);
	}
	free(s);
}

/* One requirement; its strings are copied, as ls may be a temporary (matchLabelKeys). */
static int req_init(struct csel_req *r, const char *key, enum csel_op op, const json_t *vals,
		    const char *single)
{
	const char *str;
	const json_t *v;
	size_t i;

	r->key.s = strdup(key);
	if (!r->key.s)
		return -ENOMEM;
	r->key.h = str_hash(key);
	r->op = op;
	r->n_vals = single ? 1 : json_array_size(vals);
	if (!r->n_vals)
		return 0;
	r->vals = calloc(r->n_vals, sizeof(*r->vals));
	r->vh = calloc(r->n_vals, sizeof(*r->vh));
	if (!r->vals || !r->vh)
		return -ENOMEM;
	for (i = 0; i < r->n_vals; i++) {
		v = json_array_get(vals, i);
		str = single ? single : json_is_string(v) ? json_string_value(v) : "";
		r->vals[i] = strdup(str);
		if (!r->vals[i])
			return -ENOMEM;
		r->vh[i] = str_hash(r->vals[i]);
	}
	return 0;
}

/*
 * metav1.LabelSelectorAsSelector's meaning: matchLabels are equalities, expressions In,
 * NotIn, Exists, DoesNotExist; nil selects nothing, {} everything. The selector was
 * validated by label_selector_from_json, so an unknown operator cannot reach here.
 */
int csel_compile(const json_t *ls, struct csel **out)
{
	const json_t *ml, *me, *e;
	struct csel *s;
	const char *k, *op;
	const json_t *v;
	size_t n, i;
	int ret;

	*out = NULL;
	ml = json_is_object(ls) ? json_object_get(ls, "matchLabels") : NULL;
	me = json_is_object(ls) ? json_object_get(ls, "matchExpressions") : NULL;
	n = json_object_size(ml) + json_array_size(me);
	s = calloc(1, sizeof(*s) + n * sizeof(s->r[0]));
	if (!s)
		return -ENOMEM;
	s->nothing = !ls || json_is_null(ls);
	json_object_foreach((json_t *)ml, k, v) {
		ret = req_init(&s->r[s->n++], k, CS_IN, NULL,
			       json_is_string(v) ? json_string_value(v) : "");
		if (ret)
			goto fail;
	}
	json_array_foreach(me, i, e) {
		const char *key = json_string_value(json_object_get(e, "key"));

		op = json_string_value(json_object_get(e, "operator"));
		op = op ? op : "";
		ret = req_init(&s->r[s->n++], key ? key : "",
			       !strcmp(op, "In")     ? CS_IN :
			       !strcmp(op, "NotIn")  ? CS_NOT_IN :
			       !strcmp(op, "Exists") ? CS_EXISTS : CS_DNE,
			       json_object_get(e, "values"), NULL);
		if (ret)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	csel_free(s);
	return ret;
}

static bool has_val(const struct csel_req *r, const struct lbl *l)
{
	size_t i;

	for (i = 0; i < r->n_vals; i++)
		if (r->vh[i] == l->vh && !strcmp(r->vals[i], l->val))
			return true;
	return false;
}

bool csel_matches(const struct csel *s, const struct lbls *labels)
{
	const struct lbl *l;
	size_t i;

	if (!s || s->nothing)
		return false;
	for (i = 0; i < s->n; i++) {
		l = lbls_find(labels, &s->r[i].key);
		switch (s->r[i].op) {
		case CS_IN:
			if (!l || !has_val(&s->r[i], l))
				return false;
			break;
		case CS_NOT_IN:
			if (l && has_val(&s->r[i], l))
				return false;
			break;
		case CS_EXISTS:
			if (!l)
				return false;
			break;
		case CS_DNE:
			if (l)
				return false;
			break;
		}
	}
	return true;
}
