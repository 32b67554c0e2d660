/* selector.c — Kubernetes label selectors and field selectors: parse, match, print. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

/* --- growable strings, for messages and String() --- */

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom; /* set once an append failed; the text is then incomplete */
};

static void sb_add(struct strbuf *sb, const char *p, size_t n)
{
	size_t cap;
	char *s;

	if (sb->oom)
		return;
	if (sb->len + n + 1 > sb->cap) {
		for (cap = sb->cap ? sb->cap : 64; cap < sb->len + n + 1; cap *= 2)
			;
		s = realloc(sb->s, cap);
		if (!s) {
			sb->oom = true;
			return;
		}
		sb->s = s;
		sb->cap = cap;
	}
	memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

static void sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	sb_add(sb, s, n);
	free(s);
}

/* Go's %q, which Kubernetes uses for the bad value in a field error. */
static void sb_quote(struct strbuf *sb, const char *s)
{
	static const char named[] = "\a\b\f\n\r\t\v";
	static const char letters[] = "abfnrtv";
	const char *nm;
	char esc[8];

	sb_add(sb, "\"", 1);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			sb_add(sb, esc, 2);
		} else if (c && (nm = strchr(named, c))) {
			esc[0] = '\\';
			esc[1] = letters[nm - named];
			sb_add(sb, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			sb_puts(sb, esc);
		} else {
			sb_add(sb, s, 1);
		}
	}
	sb_add(sb, "\"", 1);
}

static void set_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/*
 * The field errors of one requirement, printed as Kubernetes' field.ErrorList aggregate:
 * one error alone, several as "[a, b]".
 */
struct field_errs {
	struct strbuf sb;
	unsigned int n;
};

/* One "path: Invalid value: bad: detail"; bad is quoted unless it is already JSON. */
static void ferr_invalid(struct field_errs *fe, const char *path, const char *bad, bool quote,
			 const char *detail)
{
	if (fe->n++)
		sb_puts(&fe->sb, ", ");
	sb_puts(&fe->sb, path);
	sb_puts(&fe->sb, ": Invalid value: ");
	if (quote)
		sb_quote(&fe->sb, bad);
	else
		sb_puts(&fe->sb, bad);
	sb_puts(&fe->sb, ": ");
	sb_puts(&fe->sb, detail ? detail : "");
}

/* --- label syntax (k8s.io/apimachinery/pkg/util/validation) --- */

#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG                                                                          \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end "  \
	"with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "     \
	"regex used for validation is '" QNAME_FMT "')"
#define LABEL_VALUE_MSG                                                                    \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', " \
	"'_' or '.', and must start and end with an alphanumeric character (e.g. "          \
	"'MyValue',  or 'my_value',  or '12345', regex used for validation is '("           \
	QNAME_FMT ")?')"
#define DNS1123_SUBDOMAIN_MSG                                                              \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, " \
	"'-' or '.', and must start and end with an alphanumeric character (e.g. "          \
	"'example.com', regex used for validation is "                                      \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define QNAME_MAX     63
#define SUBDOMAIN_MAX 253

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool is_qname(const char *s, size_t n)
{
	size_t i;

	if (!n || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* */
static bool is_dns1123_subdomain(const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') &&
			    s[i] != '-')
				return false;
			continue;
		}
		/* one dot-separated label: s[start..i) */
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static void msg_add(struct strbuf *msgs, const char *m)
{
	if (msgs->len)
		sb_puts(msgs, "; ");
	sb_puts(msgs, m);
}

/* validation.IsQualifiedName: false with the reasons, "; "-joined, in msgs. */
static bool check_label_key(const char *k, struct strbuf *msgs)
{
	const char *slash = strchr(k, '/'), *name = k;
	size_t start = msgs->len, n;

	if (slash && strchr(slash + 1, '/')) {
		msg_add(msgs, "a qualified name " QNAME_MSG " with an optional DNS subdomain "
			      "prefix and '/' (e.g. 'example.com/MyName')");
		return false;
	}
	if (slash) {
		n = slash - k;
		if (!n) {
			msg_add(msgs, "prefix part must be non-empty");
		} else {
			if (n > SUBDOMAIN_MAX)
				msg_add(msgs, "prefix part must be no more than 253 characters");
			if (!is_dns1123_subdomain(k, n))
				msg_add(msgs, "prefix part " DNS1123_SUBDOMAIN_MSG);
		}
		name = slash + 1;
	}
	n = strlen(name);
	if (!n)
		msg_add(msgs, "name part must be non-empty");
	else if (n > QNAME_MAX)
		msg_add(msgs, "name part must be no more than 63 characters");
	if (!is_qname(name, n))
		msg_add(msgs, "name part " QNAME_MSG);
	return msgs->len == start;
}

/* validation.IsValidLabelValue. */
static bool check_label_value(const char *v, struct strbuf *msgs)
{
	size_t n = strlen(v), start = msgs->len;

	if (n > QNAME_MAX)
		msg_add(msgs, "must be no more than 63 characters");
	if (n && !is_qname(v, n))
		msg_add(msgs, LABEL_VALUE_MSG);
	return msgs->len == start;
}

/* strconv.ParseInt(s, 10, 64): an optional sign, then decimal digits only. */
static int parse_int64(const char *s, long long *out)
{
	unsigned long long v = 0, limit = LLONG_MAX;
	bool neg = false;
	unsigned int d;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return -EINVAL;
	if (neg)
		limit += 1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = *s - '0';
		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (long long)v;
	else if (v == (unsigned long long)LLONG_MAX + 1)
		*out = LLONG_MIN;
	else
		*out = -(long long)v;
	return 0;
}

/* --- label selectors --- */

enum ls_op {
	OP_EQUALS,
	OP_DOUBLE_EQUALS,
	OP_NOT_EQUALS,
	OP_IN,
	OP_NOT_IN,
	OP_EXISTS,
	OP_DOES_NOT_EXIST,
	OP_GT,
	OP_LT,
};

struct ls_req {
	char *key;
	enum ls_op op;
	char **vals;
	size_t n_vals;
	long long num; /* the operand of > and <, parsed once */
	size_t seq;    /* order added: requirements with one key keep it when sorted */
};

struct label_selector {
	bool nothing; /* nil LabelSelector, Service without selector: matches no object */
	struct ls_req *reqs;
	size_t n_reqs, cap;
};

static void free_vals(char **vals, size_t n)
{
	size_t i;

	for (i = 0; vals && i < n; i++)
		free(vals[i]);
	free(vals);
}

void label_selector_free(struct label_selector *sel)
{
	size_t i;

	if (!sel)
		return;
	for (i = 0; i < sel->n_reqs; i++) {
		free(sel->reqs[i].key);
		free_vals(sel->reqs[i].vals, sel->reqs[i].n_vals);
	}
	free(sel->reqs);
	free(sel);
}

/* A JSON array of the values, as Kubernetes prints a []string bad value. */
static char *vals_json(char *const *vals, size_t n)
{
	json_t *a = json_array();
	char *s = NULL;
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(vals[i])))
			goto out;
	s = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
out:
	json_decref(a);
	return s;
}

/*
 * labels.NewRequirement: validate key, operator and values (unless told not to) and
 * append the requirement to sel. Takes key and vals whatever the outcome, and fails with
 * -ENOMEM if key is NULL (a failed strdup). -EINVAL with the field errors in fe.
 */
static int add_requirement(struct label_selector *sel, char *key, enum ls_op op, char **vals,
			   size_t n_vals, bool validate, struct field_errs *fe)
{
	struct strbuf msgs = { 0 }, path = { 0 };
	const char *detail = NULL;
	struct ls_req *r;
	long long num = 0;
	char *bad;
	size_t i;
	int ret = -EINVAL;

	if (!key) {
		ret = -ENOMEM;
		goto out;
	}
	if (!validate)
		goto add;
	if (!check_label_key(key, &msgs))
		ferr_invalid(fe, "key", key, true, msgs.s);
	switch (op) {
	case OP_IN:
	case OP_NOT_IN:
		if (!n_vals)
			detail = "for 'in', 'notin' operators, values set can't be empty";
		break;
	case OP_EQUALS:
	case OP_DOUBLE_EQUALS:
	case OP_NOT_EQUALS:
		if (n_vals != 1)
			detail = "exact-match compatibility requires one single value";
		break;
	case OP_EXISTS:
	case OP_DOES_NOT_EXIST:
		if (n_vals)
			detail = "values set must be empty for exists and does not exist";
		break;
	case OP_GT:
	case OP_LT:
		if (n_vals != 1)
			detail = "for 'Gt', 'Lt' operators, exactly one value is required";
		break;
	}
	if (detail) {
		bad = vals_json(vals, n_vals);
		if (!bad) {
			ret = -ENOMEM;
			goto out;
		}
		ferr_invalid(fe, "values", bad, false, detail);
		free(bad);
	}
	for (i = 0; (op == OP_GT || op == OP_LT) && i < n_vals; i++) {
		if (parse_int64(vals[i], &num)) {
			path.len = 0;
			sb_printf(&path, "values[%zu]", i);
			ferr_invalid(fe, path.oom ? "values" : path.s, vals[i], true,
				     "for 'Gt', 'Lt' operators, the value must be an integer");
		}
	}
	for (i = 0; i < n_vals; i++) {
		msgs.len = 0;
		if (check_label_value(vals[i], &msgs))
			continue;
		path.len = 0;
		sb_printf(&path, "values[%zu][%s]", i, key);
		ferr_invalid(fe, path.oom ? "values" : path.s, vals[i], true, msgs.s);
	}
	if (msgs.oom || path.oom || fe->sb.oom) {
		ret = -ENOMEM;
		goto out;
	}
	if (fe->n)
		goto out;
add:
	if (sel->n_reqs == sel->cap) {
		size_t cap = sel->cap ? sel->cap * 2 : 4;

		r = realloc(sel->reqs, cap * sizeof(*r));
		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		sel->reqs = r;
		sel->cap = cap;
	}
	r = &sel->reqs[sel->n_reqs];
	r->key = key;
	r->op = op;
	r->vals = vals;
	r->n_vals = n_vals;
	r->num = num;
	r->seq = sel->n_reqs++;
	key = NULL;
	vals = NULL;
	ret = 0;
out:
	free(msgs.s);
	free(path.s);
	free(key);
	free_vals(vals, n_vals);
	return ret;
}

static int cmp_req(const void *a, const void *b)
{
	const struct ls_req *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted by key, as labels.Parse and Selector.Add leave them: String() is canonical. */
static void sort_requirements(struct label_selector *sel)
{
	if (sel->n_reqs > 1)
		qsort(sel->reqs, sel->n_reqs, sizeof(sel->reqs[0]), cmp_req);
}

/* Print the field errors of one requirement into err. */
static int report_ferrs(struct field_errs *fe, char *err, size_t err_len)
{
	if (fe->sb.oom) {
		set_err(err, err_len, "label selector: out of memory");
		return -ENOMEM;
	}
	set_err(err, err_len, "%s%s%s", fe->n > 1 ? "[" : "", fe->sb.s ? fe->sb.s : "",
		fe->n > 1 ? "]" : "");
	return -EINVAL;
}

/* --- the query-string form: a lexer and parser shaped like labels.Parse --- */

enum tok {
	T_EOS,
	T_CLOSE_PAR,
	T_COMMA,
	T_NOT,
	T_DOUBLE_EQUALS,
	T_EQUALS,
	T_GT,
	T_IDENT,
	T_IN,
	T_LT,
	T_NOT_EQUALS,
	T_NOT_IN,
	T_OPEN_PAR,
};

struct token {
	enum tok t;
	const char *lit; /* into the input; "" at the end */
	int len;
};

/* in and notin are keywords only where an operator may stand: "in in (in)" is valid. */
enum ctx {
	CTX_KEY_AND_OPERATOR,
	CTX_VALUES,
};

struct parser {
	struct token *toks;
	size_t n_toks, pos;
	struct strbuf msg; /* why the requirement being parsed is wrong */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The one-character symbols, and their tokens. */
static const char syms[] = "=!(),><";
static const enum tok sym_tok[] = {
	T_EQUALS, T_NOT, T_OPEN_PAR, T_CLOSE_PAR, T_COMMA, T_GT, T_LT,
};

static bool is_special(char c)
{
	return c && strchr(syms, c);
}

static struct token lex(const char **sp)
{
	const char *s = *sp;
	struct token tk = { T_IDENT, s, 1 };

	while (is_space(*s))
		s++;
	tk.lit = s;
	if (!*s) {
		tk.t = T_EOS;
		tk.len = 0;
	} else if (is_special(*s)) {
		/* The longest of the symbol tokens; none is longer than two characters. */
		if ((s[0] == '!' || s[0] == '=') && s[1] == '=') {
			tk.t = s[0] == '!' ? T_NOT_EQUALS : T_DOUBLE_EQUALS;
			tk.len = 2;
		} else {
			tk.t = sym_tok[strchr(syms, *s) - syms];
		}
	} else {
		while (s[tk.len] && !is_special(s[tk.len]) && !is_space(s[tk.len]))
			tk.len++;
		if (tk.len == 2 && !strncmp(s, "in", 2))
			tk.t = T_IN;
		else if (tk.len == 5 && !strncmp(s, "notin", 5))
			tk.t = T_NOT_IN;
	}
	*sp = s + tk.len;
	return tk;
}

static int scan(struct parser *p, const char *s)
{
	struct token tk, *toks;
	size_t cap = 0;

	do {
		tk = lex(&s);
		if (p->n_toks == cap) {
			cap = cap ? cap * 2 : 16;
			toks = realloc(p->toks, cap * sizeof(*toks));
			if (!toks)
				return -ENOMEM;
			p->toks = toks;
		}
		p->toks[p->n_toks++] = tk;
	} while (tk.t != T_EOS);
	return 0;
}

static struct token lookahead(const struct parser *p, enum ctx ctx)
{
	struct token tk = p->toks[p->pos];

	if (ctx == CTX_VALUES && (tk.t == T_IN || tk.t == T_NOT_IN))
		tk.t = T_IDENT;
	return tk;
}

static struct token consume(struct parser *p, enum ctx ctx)
{
	struct token tk = lookahead(p, ctx);

	/* The end token stays put: every production stops there. */
	if (tk.t != T_EOS)
		p->pos++;
	return tk;
}

static int fail(struct parser *p, const char *fmt, const struct token *tk)
{
	sb_printf(&p->msg, fmt, tk->len, tk->lit);
	return p->msg.oom ? -ENOMEM : -EINVAL;
}

/* A set of values, kept like sets.String.List(): sorted, without duplicates. */
struct valset {
	char **v;
	size_t n, cap;
};

static int valset_add(struct valset *vs, const char *s, int len)
{
	char **v;

	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 4;

		v = realloc(vs->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		vs->v = v;
		vs->cap = cap;
	}
	vs->v[vs->n] = strndup(s, len);
	if (!vs->v[vs->n])
		return -ENOMEM;
	vs->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void valset_normalize(struct valset *vs)
{
	size_t i, j = 0;

	if (!vs->n)
		return;
	qsort(vs->v, vs->n, sizeof(vs->v[0]), cmp_str);
	for (i = 1; i < vs->n; i++) {
		if (!strcmp(vs->v[i], vs->v[j]))
			free(vs->v[i]);
		else
			vs->v[++j] = vs->v[i];
	}
	vs->n = j + 1;
}

/* "(a,b,,c)" after in/notin; "()" is the set {""}, as in Kubernetes. */
static int parse_values(struct parser *p, struct valset *vs)
{
	struct token tk, tk2, first;
	int ret;

	tk = consume(p, CTX_VALUES);
	if (tk.t != T_OPEN_PAR)
		return fail(p, "found '%.*s' expected: '('", &tk);
	first = lookahead(p, CTX_VALUES);
	if (first.t == T_CLOSE_PAR) {
		consume(p, CTX_VALUES);
		return valset_add(vs, "", 0);
	}
	if (first.t != T_IDENT && first.t != T_COMMA)
		return fail(p, "found '%.*s', expected: ',', ')' or identifier", &first);
	for (;;) {
		tk = consume(p, CTX_VALUES);
		if (tk.t == T_IDENT) {
			ret = valset_add(vs, tk.lit, tk.len);
			if (ret)
				return ret;
			tk2 = lookahead(p, CTX_VALUES);
			if (tk2.t == T_CLOSE_PAR)
				break;
			if (tk2.t != T_COMMA)
				return fail(p, "found '%.*s', expected: ',' or ')'", &tk2);
		} else if (tk.t == T_COMMA) {
			/* An empty value before or after a comma: "(,a)", "(a,)", "(a,,b)". */
			if (!vs->n && (ret = valset_add(vs, "", 0)))
				return ret;
			tk2 = lookahead(p, CTX_VALUES);
			if (tk2.t == T_CLOSE_PAR) {
				if ((ret = valset_add(vs, "", 0)))
					return ret;
				break;
			}
			if (tk2.t == T_COMMA) {
				consume(p, CTX_VALUES);
				if ((ret = valset_add(vs, "", 0)))
					return ret;
			}
		} else {
			return fail(p, "found '%.*s', expected: ',', or identifier", &tk);
		}
	}
	tk = consume(p, CTX_VALUES);
	if (tk.t != T_CLOSE_PAR)
		return fail(p, "found '%.*s', expected: ')'", &first);
	return 0;
}

/* The value after =, ==, !=, > or <; none at all is "". */
static int parse_exact_value(struct parser *p, struct valset *vs)
{
	struct token tk = lookahead(p, CTX_VALUES);

	if (tk.t == T_EOS || tk.t == T_COMMA)
		return valset_add(vs, "", 0);
	tk = consume(p, CTX_VALUES);
	if (tk.t != T_IDENT)
		return fail(p, "found '%.*s', expected: identifier", &tk);
	return valset_add(vs, tk.lit, tk.len);
}

/* The binary operator a token stands for, if any. */
static bool token_op(enum tok t, enum ls_op *op)
{
	static const struct {
		enum tok t;
		enum ls_op op;
	} map[] = {
		{ T_IN, OP_IN },
		{ T_NOT_IN, OP_NOT_IN },
		{ T_EQUALS, OP_EQUALS },
		{ T_DOUBLE_EQUALS, OP_DOUBLE_EQUALS },
		{ T_NOT_EQUALS, OP_NOT_EQUALS },
		{ T_GT, OP_GT },
		{ T_LT, OP_LT },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].t == t) {
			*op = map[i].op;
			return true;
		}
	}
	return false;
}

static int parse_requirement(struct parser *p, struct label_selector *sel)
{
	struct field_errs fe = { { 0 }, 0 };
	struct valset vs = { 0 };
	struct strbuf msgs = { 0 };
	bool has_op = false;
	enum ls_op op = OP_EXISTS;
	struct token tk;
	char *key = NULL;
	int ret;

	tk = consume(p, CTX_VALUES);
	if (tk.t == T_NOT) {
		op = OP_DOES_NOT_EXIST;
		has_op = true;
		tk = consume(p, CTX_VALUES);
	}
	if (tk.t != T_IDENT)
		return fail(p, "found '%.*s', expected: identifier", &tk);
	key = strndup(tk.lit, tk.len);
	if (!key)
		return -ENOMEM;
	if (!check_label_key(key, &msgs)) {
		/* labels.Parse passes no field path here: Kubernetes prints it as <nil>. */
		ferr_invalid(&fe, "<nil>", key, true, msgs.s ? msgs.s : "");
		sb_puts(&p->msg, fe.sb.s ? fe.sb.s : "");
		ret = msgs.oom || fe.sb.oom || p->msg.oom ? -ENOMEM : -EINVAL;
		goto out;
	}
	tk = lookahead(p, CTX_VALUES);
	if (tk.t == T_EOS || tk.t == T_COMMA)
		has_op = true; /* "key" is exists, "!key" stays does-not-exist */
	if (!has_op) {
		tk = consume(p, CTX_KEY_AND_OPERATOR);
		if (!token_op(tk.t, &op)) {
			ret = fail(p, "found '%.*s', expected: in, notin, =, ==, !=, gt, lt", &tk);
			goto out;
		}
		if (op == OP_IN || op == OP_NOT_IN)
			ret = parse_values(p, &vs);
		else
			ret = parse_exact_value(p, &vs);
		if (ret)
			goto out;
		valset_normalize(&vs);
	}
	ret = add_requirement(sel, key, op, vs.v, vs.n, true, &fe);
	key = NULL;
	vs.v = NULL;
	vs.n = 0;
	if (ret == -EINVAL) {
		if (fe.n > 1)
			sb_puts(&p->msg, "[");
		sb_puts(&p->msg, fe.sb.s ? fe.sb.s : "");
		if (fe.n > 1)
			sb_puts(&p->msg, "]");
		if (p->msg.oom)
			ret = -ENOMEM;
	}
out:
	free(key);
	free_vals(vs.v, vs.n);
	free(msgs.s);
	free(fe.sb.s);
	return ret;
}

static int parse_selector(struct parser *p, struct label_selector *sel, char *err, size_t err_len)
{
	struct token tk, tk2;
	int ret;

	for (;;) {
		tk = lookahead(p, CTX_VALUES);
		if (tk.t == T_EOS)
			return 0;
		if (tk.t != T_IDENT && tk.t != T_NOT) {
			set_err(err, err_len, "found '%.*s', expected: !, identifier, or 'end of string'",
				tk.len, tk.lit);
			return -EINVAL;
		}
		ret = parse_requirement(p, sel);
		if (ret == -ENOMEM)
			goto oom;
		if (ret) {
			set_err(err, err_len, "unable to parse requirement: %s",
				p->msg.s ? p->msg.s : "");
			return ret;
		}
		tk = consume(p, CTX_VALUES);
		if (tk.t == T_EOS)
			return 0;
		if (tk.t != T_COMMA) {
			set_err(err, err_len, "found '%.*s', expected: ',' or 'end of string'",
				tk.len, tk.lit);
			return -EINVAL;
		}
		tk2 = lookahead(p, CTX_VALUES);
		if (tk2.t != T_IDENT && tk2.t != T_NOT) {
			set_err(err, err_len, "found '%.*s', expected: identifier after ','",
				tk2.len, tk2.lit);
			return -EINVAL;
		}
	}
oom:
	set_err(err, err_len, "label selector: out of memory");
	return -ENOMEM;
}

int label_selector_parse(const char *s, struct label_selector **out, char *err, size_t err_len)
{
	struct parser p = { 0 };
	struct label_selector *sel;
	int ret;

	*out = NULL;
	sel = calloc(1, sizeof(*sel));
	if (!sel || scan(&p, s ? s : "")) {
		set_err(err, err_len, "label selector: out of memory");
		ret = -ENOMEM;
		goto out;
	}
	ret = parse_selector(&p, sel, err, err_len);
	if (ret)
		goto out;
	sort_requirements(sel);
	*out = sel;
	sel = NULL;
out:
	label_selector_free(sel);
	free(p.toks);
	free(p.msg.s);
	return ret;
}

/* --- metav1.LabelSelector and map forms --- */

static struct label_selector *selector_new(bool nothing)
{
	struct label_selector *sel = calloc(1, sizeof(*sel));

	if (sel)
		sel->nothing = nothing;
	return sel;
}

/* A key=value requirement from a map (matchLabels, a Service selector). */
static int add_equals(struct label_selector *sel, const char *k, const char *v, bool validate,
		      struct field_errs *fe)
{
	char **vals = calloc(1, sizeof(*vals));

	if (!vals)
		return -ENOMEM;
	vals[0] = strdup(v);
	if (!vals[0]) {
		free(vals);
		return -ENOMEM;
	}
	return add_requirement(sel, strdup(k), OP_EQUALS, vals, 1, validate, fe);
}

static int add_expression(struct label_selector *sel, const json_t *expr, size_t idx, char *err,
			  size_t err_len)
{
	static const struct {
		const char *name;
		enum ls_op op;
	} ops[] = {
		{ "In", OP_IN },
		{ "NotIn", OP_NOT_IN },
		{ "Exists", OP_EXISTS },
		{ "DoesNotExist", OP_DOES_NOT_EXIST },
	};
	const json_t *key, *opj, *values, *v;
	struct field_errs fe = { { 0 }, 0 };
	struct strbuf q = { 0 };
	const char *opname;
	char **vals = NULL, *k;
	size_t i, n = 0;
	int ret;

	if (!json_is_object(expr)) {
		set_err(err, err_len, "matchExpressions[%zu]: must be an object", idx);
		return -EINVAL;
	}
	/* Absent fields are Go's zero values, and fail validation as those do. */
	key = json_object_get(expr, "key");
	opj = json_object_get(expr, "operator");
	values = json_object_get(expr, "values");
	if ((key && !json_is_null(key) && !json_is_string(key)) ||
	    (opj && !json_is_null(opj) && !json_is_string(opj))) {
		set_err(err, err_len, "matchExpressions[%zu]: key and operator must be strings", idx);
		return -EINVAL;
	}
	if (values && !json_is_null(values) && !json_is_array(values)) {
		set_err(err, err_len, "matchExpressions[%zu].values: must be an array of strings",
			idx);
		return -EINVAL;
	}
	opname = json_is_string(opj) ? json_string_value(opj) : "";
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(opname, ops[i].name))
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		sb_quote(&q, opname);
		set_err(err, err_len, "%s is not a valid label selector operator",
			q.s ? q.s : "\"\"");
		ret = q.oom ? -ENOMEM : -EINVAL;
		free(q.s);
		return ret;
	}
	if (json_array_size(values)) {
		vals = calloc(json_array_size(values), sizeof(*vals));
		if (!vals)
			goto oom;
	}
	json_array_foreach(values, n, v) {
		if (!json_is_string(v)) {
			set_err(err, err_len, "matchExpressions[%zu].values[%zu]: must be a string",
				idx, n);
			free_vals(vals, n);
			return -EINVAL;
		}
		vals[n] = strdup(json_string_value(v));
		if (!vals[n]) {
			free_vals(vals, n);
			goto oom;
		}
	}
	k = strdup(json_is_string(key) ? json_string_value(key) : "");
	ret = add_requirement(sel, k, ops[i].op, vals, n, true, &fe);
	if (ret == -EINVAL)
		ret = report_ferrs(&fe, err, err_len);
	else if (ret)
		set_err(err, err_len, "label selector: out of memory");
	free(fe.sb.s);
	return ret;
oom:
	set_err(err, err_len, "label selector: out of memory");
	return -ENOMEM;
}

int label_selector_from_json(const json_t *ls, struct label_selector **out, char *err,
			     size_t err_len)
{
	const json_t *ml, *me, *v;
	struct label_selector *sel;
	struct field_errs fe;
	const char *k;
	size_t i;
	int ret;

	*out = NULL;
	if (ls && !json_is_null(ls) && !json_is_object(ls)) {
		set_err(err, err_len, "label selector: must be an object");
		return -EINVAL;
	}
	ml = ls ? json_object_get(ls, "matchLabels") : NULL;
	me = ls ? json_object_get(ls, "matchExpressions") : NULL;
	if (ml && !json_is_null(ml) && !json_is_object(ml)) {
		set_err(err, err_len, "matchLabels: must be an object of strings");
		return -EINVAL;
	}
	if (me && !json_is_null(me) && !json_is_array(me)) {
		set_err(err, err_len, "matchExpressions: must be an array");
		return -EINVAL;
	}
	/* A nil selector matches nothing; {} (no requirements) matches everything. */
	sel = selector_new(!ls || json_is_null(ls));
	if (!sel)
		goto oom;

	json_object_foreach((json_t *)ml, k, v) {
		if (!json_is_string(v)) {
			set_err(err, err_len, "matchLabels[%s]: must be a string", k);
			ret = -EINVAL;
			goto fail;
		}
		memset(&fe, 0, sizeof(fe));
		ret = add_equals(sel, k, json_string_value(v), true, &fe);
		if (ret == -EINVAL)
			ret = report_ferrs(&fe, err, err_len);
		free(fe.sb.s);
		if (ret == -ENOMEM)
			goto oom;
		if (ret)
			goto fail;
	}
	for (i = 0; i < json_array_size(me); i++) {
		ret = add_expression(sel, json_array_get(me, i), i, err, err_len);
		if (ret)
			goto fail;
	}
	sort_requirements(sel);
	*out = sel;
	return 0;
oom:
	set_err(err, err_len, "label selector: out of memory");
	ret = -ENOMEM;
fail:
	label_selector_free(sel);
	return ret;
}

static int from_map(const json_t *map, bool empty_is_nothing, struct label_selector **out)
{
	struct label_selector *sel;
	const char *k;
	const json_t *v;
	int ret;

	*out = NULL;
	if (map && !json_is_null(map) && !json_is_object(map))
		return -EINVAL;
	sel = selector_new(empty_is_nothing && !json_object_size(map));
	if (!sel)
		return -ENOMEM;
	json_object_foreach((json_t *)map, k, v) {
		if (!json_is_string(v)) {
			ret = -EINVAL;
			goto fail;
		}
		/* Unvalidated, as labels.SelectorFromValidatedSet: it was, on write. */
		ret = add_equals(sel, k, json_string_value(v), false, NULL);
		if (ret)
			goto fail;
	}
	sort_requirements(sel);
	*out = sel;
	return 0;
fail:
	label_selector_free(sel);
	return ret;
}

int label_selector_from_map(const json_t *map, struct label_selector **out)
{
	return from_map(map, true, out);
}

int label_selector_from_set(const json_t *map, struct label_selector **out)
{
	return from_map(map, false, out);
}

/* --- matching and printing --- */

/* The string value of a label, or NULL when absent (or, impossibly, not a string). */
static const char *label_get(const json_t *labels, const char *key, size_t *len)
{
	const json_t *v = json_is_object(labels) ? json_object_get(labels, key) : NULL;

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

static bool has_value(const struct ls_req *r, const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < r->n_vals; i++)
		if (strlen(r->vals[i]) == len && !memcmp(r->vals[i], v, len))
			return true;
	return false;
}

static bool req_matches(const struct ls_req *r, const json_t *labels)
{
	size_t len = 0;
	const char *v = label_get(labels, r->key, &len);
	long long num;

	switch (r->op) {
	case OP_EQUALS:
	case OP_DOUBLE_EQUALS:
	case OP_IN:
		return v && has_value(r, v, len);
	case OP_NOT_EQUALS:
	case OP_NOT_IN:
		return !v || !has_value(r, v, len);
	case OP_EXISTS:
		return v;
	case OP_DOES_NOT_EXIST:
		return !v;
	case OP_GT:
	case OP_LT:
		/* A label that is not an integer satisfies neither. */
		if (!v || strlen(v) != len || parse_int64(v, &num))
			return false;
		return r->op == OP_GT ? num > r->num : num < r->num;
	}
	return false;
}

bool label_selector_matches(const struct label_selector *sel, const json_t *labels)
{
	size_t i;

	if (!sel || sel->nothing)
		return false;
	for (i = 0; i < sel->n_reqs; i++)
		if (!req_matches(&sel->reqs[i], labels))
			return false;
	return true;
}

bool label_selector_matches_nothing(const struct label_selector *sel)
{
	return !sel || sel->nothing;
}

bool label_selector_empty(const struct label_selector *sel)
{
	return sel && !sel->nothing && !sel->n_reqs;
}

char *label_selector_string(const struct label_selector *sel)
{
	static const char *const op_str[] = {
		[OP_EQUALS] = "=",   [OP_DOUBLE_EQUALS] = "==", [OP_NOT_EQUALS] = "!=",
		[OP_IN] = " in ",    [OP_NOT_IN] = " notin ",   [OP_EXISTS] = "",
		[OP_DOES_NOT_EXIST] = "", [OP_GT] = ">",        [OP_LT] = "<",
	};
	struct strbuf sb = { 0 };
	char **sorted;
	size_t i, j;

	sb_add(&sb, "", 0);
	for (i = 0; sel && !sel->nothing && i < sel->n_reqs; i++) {
		const struct ls_req *r = &sel->reqs[i];
		bool set = r->op == OP_IN || r->op == OP_NOT_IN;

		if (i)
			sb_puts(&sb, ",");
		if (r->op == OP_DOES_NOT_EXIST)
			sb_puts(&sb, "!");
		sb_puts(&sb, r->key);
		sb_puts(&sb, op_str[r->op]);
		if (r->op == OP_EXISTS || r->op == OP_DOES_NOT_EXIST)
			continue;
		if (set)
			sb_puts(&sb, "(");
		/* Values print sorted whatever order a LabelSelector listed them in. */
		sorted = malloc((r->n_vals ?: 1) * sizeof(*sorted));
		if (!sorted) {
			free(sb.s);
			return NULL;
		}
		memcpy(sorted, r->vals, r->n_vals * sizeof(*sorted));
		qsort(sorted, r->n_vals, sizeof(*sorted), cmp_str);
		for (j = 0; j < r->n_vals; j++) {
			if (j)
				sb_puts(&sb, ",");
			sb_puts(&sb, sorted[j]);
		}
		free(sorted);
		if (set)
			sb_puts(&sb, ")");
	}
	if (sb.oom) {
		free(sb.s);
		return NULL;
	}
	return sb.s;
}

bool labels_match_map(const json_t *selector_map, const json_t *labels)
{
	const char *k, *want, *got;
	const json_t *v;
	size_t len = 0;

	if (!json_object_size(selector_map))
		return false;
	json_object_foreach((json_t *)selector_map, k, v) {
		if (!json_is_string(v))
			return false;
		want = json_string_value(v);
		got = label_get(labels, k, &len);
		if (!got || len != json_string_length(v) || memcmp(got, want, len))
			return false;
	}
	return true;
}

/* --- field selectors --- */

struct fs_term {
	char *field;
	char *value; /* unescaped */
	bool neg;    /* != rather than = or == */
};

struct field_selector {
	struct fs_term *terms;
	size_t n;
};

void field_selector_free(struct field_selector *sel)
{
	size_t i;

	if (!sel)
		return;
	for (i = 0; i < sel->n; i++) {
		free(sel->terms[i].field);
		free(sel->terms[i].value);
	}
	free(sel->terms);
	free(sel);
}

struct span {
	const char *p;
	size_t n;
};

/* Go's string order: bytes, then length. */
static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	if (c)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* The length of the UTF-8 character at s, so that an error shows it whole. */
static size_t utf8_len(const char *s)
{
	unsigned char c = *s;
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1, i;

	for (i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return i;
	return n;
}

/* fields.UnescapeValue: \\ \, \= stand for \ , =; nothing else may be escaped. */
static int unescape_value(const char *s, size_t n, char **out, char *err, size_t err_len)
{
	char *v = malloc(n + 1), *w = v;
	size_t i;

	if (!v) {
		set_err(err, err_len, "field selector: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (i + 1 == n) {
				set_err(err, err_len,
					"invalid field selector: invalid escape sequence: \\");
				goto bad;
			}
			i++;
			if (s[i] != '\\' && s[i] != ',' && s[i] != '=') {
				set_err(err, err_len,
					"invalid field selector: invalid escape sequence: \\%.*s",
					(int)utf8_len(s + i), s + i);
				goto bad;
			}
		} else if (s[i] == ',' || s[i] == '=') {
			/* Kubernetes prints the character as its code point, %v of a rune. */
			set_err(err, err_len,
				"invalid field selector: unescaped character in value: %d", s[i]);
			goto bad;
		}
		*w++ = s[i];
	}
	*w = '\0';
	*out = v;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

int field_selector_parse(const char *s, struct field_selector **out, char *err, size_t err_len)
{
	struct field_selector *sel;
	struct span *parts = NULL;
	size_t n_parts = 0, i, j, start = 0, len;
	bool in_slash = false;
	int ret = -ENOMEM;

	*out = NULL;
	s = s ? s : "";
	len = strlen(s);
	sel = calloc(1, sizeof(*sel));
	/* At most one term more than there are commas. */
	for (i = 0, j = 1; i < len; i++)
		j += s[i] == ',';
	parts = calloc(j, sizeof(*parts));
	if (!sel || !parts)
		goto oom;
	for (i = 0; len && i <= len; i++) {
		if (i < len && in_slash) {
			in_slash = false;
		} else if (i < len && s[i] == '\\') {
			in_slash = true;
		} else if (i == len || s[i] == ',') {
			parts[n_parts].p = s + start;
			parts[n_parts++].n = i - start;
			start = i + 1;
		}
	}
	/* Sorted as raw text, before unescaping, as fields.ParseSelector does. */
	qsort(parts, n_parts, sizeof(*parts), cmp_span);
	sel->terms = calloc(n_parts ?: 1, sizeof(*sel->terms));
	if (!sel->terms)
		goto oom;
	for (i = 0; i < n_parts; i++) {
		const char *p = parts[i].p;
		size_t n = parts[i].n, op_len = 0;
		struct fs_term *t = &sel->terms[sel->n];

		if (!n)
			continue;
		/* Split at the first operator; a field name cannot be escaped. */
		for (j = 0; j < n; j++) {
			if (j + 1 < n && (p[j] == '!' || p[j] == '=') && p[j + 1] == '=') {
				op_len = 2;
				break;
			}
			if (p[j] == '=') {
				op_len = 1;
				break;
			}
		}
		if (!op_len) {
			set_err(err, err_len, "invalid selector: '%s'; can't understand '%.*s'", s,
				(int)n, p);
			ret = -EINVAL;
			goto fail;
		}
		ret = unescape_value(p + j + op_len, n - j - op_len, &t->value, err, err_len);
		if (ret)
			goto fail;
		t->neg = p[j] == '!';
		t->field = strndup(p, j);
		sel->n++;
		if (!t->field)
			goto oom;
	}
	free(parts);
	*out = sel;
	return 0;
oom:
	set_err(err, err_len, "field selector: out of memory");
	ret = -ENOMEM;
fail:
	free(parts);
	field_selector_free(sel);
	return ret;
}

int field_selector_check(const struct field_selector *sel, const char *const *allowed,
			 size_t n_allowed, char *err, size_t err_len)
{
	size_t i, j;

	for (i = 0; sel && i < sel->n; i++) {
		for (j = 0; j < n_allowed; j++)
			if (!strcmp(sel->terms[i].field, allowed[j]))
				break;
		if (j == n_allowed) {
			set_err(err, err_len, "field label not supported: %s", sel->terms[i].field);
			return -EINVAL;
		}
	}
	return 0;
}

bool field_selector_matches(const struct field_selector *sel, field_value_fn value, void *ctx)
{
	const char *v;
	size_t i;
	bool eq;

	for (i = 0; sel && i < sel->n; i++) {
		v = value(sel->terms[i].field, ctx);
		eq = !strcmp(v ? v : "", sel->terms[i].value);
		if (eq == sel->terms[i].neg)
			return false;
	}
	return true;
}

const char *field_selector_required(const struct field_selector *sel, const char *field)
{
	size_t i;

	for (i = 0; sel && i < sel->n; i++)
		if (!sel->terms[i].neg && !strcmp(sel->terms[i].field, field))
			return sel->terms[i].value;
	return NULL;
}

bool field_selector_empty(const struct field_selector *sel)
{
	return !sel || !sel->n;
}
