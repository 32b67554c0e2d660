/* test_selector.c — unit tests of selector: label and field selectors, read as Kubernetes does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "selector.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Test JSON is written with single quotes so that it reads like the objects it stands
 * for; js() turns them into double quotes. No test string needs a literal apostrophe.
 */
static json_t *js(const char *src)
{
	json_error_t jerr;
	char *text, *p;
	json_t *v;

	if (!src)
		return NULL;
	text = strdup(src);
	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	free(text);
	if (!v)
		fail_msg("test JSON %d:%d: %s", jerr.line, jerr.column, jerr.text);
	return v;
}

/* Kubernetes' validation texts, spelled out here so that a change to them shows. */
#define QNAME_RE "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'"
#define NAME_PART_MSG                                                                      \
	"name part must consist of alphanumeric characters, '-', '_' or '.', and must start " \
	"and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "        \
	"'123-abc', regex used for validation is " QNAME_RE ")"
#define VALUE_MSG                                                                          \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', " \
	"'_' or '.', and must start and end with an alphanumeric character (e.g. "          \
	"'MyValue',  or 'my_value',  or '12345', regex used for validation is "             \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define A63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* --- label selectors, query-string form --- */

static const struct match_case {
	const char *sel;
	const char *labels; /* JSON object, or NULL for an object without labels */
	bool want;
} match_cases[] = {
	/* Empty selector: everything, labels or not. */
	{ "", NULL, true },
	{ "", "{'a':'b'}", true },
	{ "   ", "{}", true },
	/* = and ==: the key must be there with that value. */
	{ "app=web", "{'app':'web'}", true },
	{ "app=web", "{'app':'web','tier':'fe'}", true },
	{ "app=web", "{'app':'db'}", false },
	{ "app=web", "{}", false },
	{ "app=web", NULL, false },
	{ "app==web", "{'app':'web'}", true },
	{ "app==web", "{'app':'db'}", false },
	/* != : absent counts as different. */
	{ "app!=web", "{'app':'db'}", true },
	{ "app!=web", "{}", true },
	{ "app!=web", "{'app':'web'}", false },
	/* A missing value is the empty one. */
	{ "app=", "{'app':''}", true },
	{ "app=", "{}", false },
	{ "app!=", "{'app':'x'}", true },
	{ "app!=", "{'app':''}", false },
	/* in: present and one of; notin: absent or none of. */
	{ "env in (prod,staging)", "{'env':'prod'}", true },
	{ "env in (prod,staging)", "{'env':'staging'}", true },
	{ "env in (prod,staging)", "{'env':'dev'}", false },
	{ "env in (prod,staging)", "{}", false },
	{ "env notin (prod,staging)", "{'env':'dev'}", true },
	{ "env notin (prod,staging)", "{}", true },
	{ "env notin (prod,staging)", "{'env':'prod'}", false },
	{ "env in (prod)", "{'env':'prod'}", true },
	/* Empty members: "()" is {""}; leading, trailing, doubled commas add "". */
	{ "env in ()", "{'env':''}", true },
	{ "env in ()", "{'env':'x'}", false },
	{ "env in ()", "{}", false },
	{ "env notin ()", "{'env':'x'}", true },
	{ "env notin ()", "{'env':''}", false },
	{ "env in (,a)", "{'env':''}", true },
	{ "env in (a,)", "{'env':''}", true },
	{ "env in (a,,b)", "{'env':''}", true },
	{ "env in (a,,b)", "{'env':'b'}", true },
	/* Exists and does not exist. */
	{ "gpu", "{'gpu':''}", true },
	{ "gpu", "{'gpu':'nvidia'}", true },
	{ "gpu", "{'cpu':'x'}", false },
	{ "!gpu", "{'cpu':'x'}", true },
	{ "!gpu", NULL, true },
	{ "!gpu", "{'gpu':''}", false },
	/* Gt and Lt compare integers; a label that is not one satisfies neither. */
	{ "replicas>3", "{'replicas':'4'}", true },
	{ "replicas>3", "{'replicas':'3'}", false },
	{ "replicas>3", "{}", false },
	{ "replicas>3", "{'replicas':'many'}", false },
	{ "replicas<3", "{'replicas':'2'}", true },
	{ "replicas<3", "{'replicas':'3'}", false },
	{ "replicas<0", "{'replicas':'-1'}", true },
	{ "replicas>9223372036854775806", "{'replicas':'9223372036854775807'}", true },
	{ "replicas>1", "{'replicas':'9223372036854775808'}", false }, /* out of range */
	/* All requirements must hold. */
	{ "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j", "{'a':'b','c':'d','g':'y','i':''}", true },
	{ "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j", "{'a':'b','c':'d','g':'y'}", false },
	{ "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j",
	  "{'a':'b','c':'d','g':'y','i':'','j':'1'}", false },
	{ "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j",
	  "{'a':'b','c':'d','e':'f','g':'y','i':''}", false },
	{ "app=web,app=db", "{'app':'web'}", false },
	/* Whitespace around every token, tabs and newlines included. */
	{ "  a = b ,\tc  ==  d , e != f ,\ng  in  ( x , y ) , h notin(z) , i , ! j  ",
	  "{'a':'b','c':'d','g':'x','i':'1'}", true },
	{ "a=b , c!=d", "{'a':'b','c':'d'}", false },
	/* in and notin are keywords only where an operator may stand. */
	{ "in in (in,notin)", "{'in':'notin'}", true },
	{ "notin notin (in)", "{'notin':'in'}", false },
	{ "in=notin", "{'in':'notin'}", true },
	/* Prefixed keys and the whole value charset. */
	{ "app.kubernetes.io/name=My_App-1.0", "{'app.kubernetes.io/name':'My_App-1.0'}", true },
	{ "k=" A63, "{'k':'" A63 "'}", true },
	/* A label that is not a string (never stored by an apiserver) counts as absent. */
	{ "n", "{'n':1}", false },
	{ "n!=1", "{'n':1}", true },
};

static void test_label_match(void **state)
{
	char err[1024];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(match_cases); i++) {
		const struct match_case *c = &match_cases[i];
		struct label_selector *sel;
		json_t *labels = js(c->labels);
		int ret;

		ret = label_selector_parse(c->sel, &sel, err, sizeof(err));
		if (ret)
			fail_msg("row %zu \"%s\": parse: %d: %s", i, c->sel, ret, err);
		if (label_selector_matches(sel, labels) != c->want)
			fail_msg("row %zu \"%s\" on %s: got %d, want %d", i, c->sel,
				 c->labels ? c->labels : "no labels", !c->want, c->want);
		assert_false(label_selector_matches_nothing(sel));
		label_selector_free(sel);
		json_decref(labels);
	}
}

static const struct error_case {
	const char *sel;
	const char *err; /* exact text, as kubectl would show it */
} error_cases[] = {
	/* Unbalanced and missing parentheses. */
	{ "x in (a", "unable to parse requirement: found '', expected: ',' or ')'" },
	{ "x in (a,b", "unable to parse requirement: found '', expected: ',' or ')'" },
	{ "x in (a))", "found ')', expected: ',' or 'end of string'" },
	{ "x in a", "unable to parse requirement: found 'a' expected: '('" },
	{ "x in", "unable to parse requirement: found '' expected: '('" },
	{ "x notin", "unable to parse requirement: found '' expected: '('" },
	{ "x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'" },
	{ "x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier" },
	{ "x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier" },
	/* No operator, or one where none belongs. */
	{ "x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt" },
	{ "x (a)", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt" },
	{ "x=(a)", "unable to parse requirement: found '(', expected: identifier" },
	{ "x==a==b", "found '==', expected: ',' or 'end of string'" },
	{ "!x=a", "found '=', expected: ',' or 'end of string'" },
	{ "k=a b", "found 'b', expected: ',' or 'end of string'" },
	{ "!", "unable to parse requirement: found '', expected: identifier" },
	{ "!!x", "unable to parse requirement: found '!', expected: identifier" },
	/* Commas with nothing around them. */
	{ "x=a,", "found '', expected: identifier after ','" },
	{ "x=a,,y=b", "found ',', expected: identifier after ','" },
	{ ",x=a", "found ',', expected: !, identifier, or 'end of string'" },
	{ "=a", "found '=', expected: !, identifier, or 'end of string'" },
	/* Bad keys: no field path in labels.Parse, which Kubernetes prints as <nil>. */
	{ "Bad_=x", "unable to parse requirement: <nil>: Invalid value: \"Bad_\": " NAME_PART_MSG },
	{ "-a", "unable to parse requirement: <nil>: Invalid value: \"-a\": " NAME_PART_MSG },
	{ "a" A63 "=x", "unable to parse requirement: <nil>: Invalid value: \"a" A63 "\": "
	  "name part must be no more than 63 characters" },
	{ "/a=x", "unable to parse requirement: <nil>: Invalid value: \"/a\": "
	  "prefix part must be non-empty" },
	{ "a/=x", "unable to parse requirement: <nil>: Invalid value: \"a/\": "
	  "name part must be non-empty; " NAME_PART_MSG },
	{ "Example.com/a=x", "unable to parse requirement: <nil>: Invalid value: "
	  "\"Example.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower "
	  "case alphanumeric characters, '-' or '.', and must start and end with an "
	  "alphanumeric character (e.g. 'example.com', regex used for validation is "
	  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" },
	{ "a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified "
	  "name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
	  "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
	  "regex used for validation is " QNAME_RE ") with an optional DNS subdomain prefix "
	  "and '/' (e.g. 'example.com/MyName')" },
	/* Bad values: too long, bad characters; several errors aggregate as [a, b]. */
	{ "k=a" A63, "unable to parse requirement: values[0][k]: Invalid value: \"a" A63 "\": "
	  "must be no more than 63 characters" },
	{ "x=a||y=b", "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": "
	  VALUE_MSG },
	{ "x in (b_,a_)", "unable to parse requirement: [values[0][x]: Invalid value: \"a_\": "
	  VALUE_MSG ", values[1][x]: Invalid value: \"b_\": " VALUE_MSG "]" },
	{ "k=-", "unable to parse requirement: values[0][k]: Invalid value: \"-\": " VALUE_MSG },
	/* Gt and Lt want an integer. */
	{ "x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": "
	  "for 'Gt', 'Lt' operators, the value must be an integer" },
	{ "x>", "unable to parse requirement: values[0]: Invalid value: \"\": "
	  "for 'Gt', 'Lt' operators, the value must be an integer" },
};

static void test_label_parse_errors(void **state)
{
	struct label_selector *sel;
	char err[2048];
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(error_cases); i++) {
		const struct error_case *c = &error_cases[i];

		err[0] = '\0';
		sel = (void *)1;
		ret = label_selector_parse(c->sel, &sel, err, sizeof(err));
		if (ret != -EINVAL)
			fail_msg("row %zu \"%s\": got %d, want -EINVAL", i, c->sel, ret);
		assert_null(sel);
		if (strcmp(err, c->err))
			fail_msg("row %zu \"%s\":\n  got:  %s\n  want: %s", i, c->sel, err, c->err);
	}
}

/* A NULL or short error buffer is fine: the message is cut, never overrun. */
static void test_label_err_buffer(void **state)
{
	struct label_selector *sel;
	struct field_selector *fsel;
	char err[8];

	(void)state;
	assert_int_equal(label_selector_parse("x in (", &sel, NULL, 0), -EINVAL);
	memset(err, 'X', sizeof(err));
	assert_int_equal(label_selector_parse("x in (", &sel, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unable ");
	assert_int_equal(field_selector_parse("a", &fsel, NULL, 0), -EINVAL);
}

static const struct string_case {
	const char *in;
	const char *want;
} string_cases[] = {
	{ "", "" },
	{ "b=2,a=1", "a=1,b=2" },
	{ " z , !y , x notin ( q ) ", "x notin (q),!y,z" },
	{ "x in (c,a,b)", "x in (a,b,c)" },
	{ "x in (b,a,b)", "x in (a,b)" },
	{ "x in ()", "x in ()" },
	{ "x in (a,)", "x in (,a)" },
	{ "x==a,w!=b", "w!=b,x==a" },
	{ "x>5,w<7", "w<7,x>5" },
	{ "app.kubernetes.io/name=web,app=db", "app=db,app.kubernetes.io/name=web" },
	/* Same key twice: kept, in the order written. */
	{ "a=2,a!=1", "a=2,a!=1" },
	{ "a!=1,a=2", "a!=1,a=2" },
};

static void test_label_string(void **state)
{
	struct label_selector *sel;
	char err[1024], *s;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(string_cases); i++) {
		const struct string_case *c = &string_cases[i];

		if (label_selector_parse(c->in, &sel, err, sizeof(err)))
			fail_msg("row %zu \"%s\": %s", i, c->in, err);
		s = label_selector_string(sel);
		assert_non_null(s);
		if (strcmp(s, c->want))
			fail_msg("row %zu \"%s\": got \"%s\", want \"%s\"", i, c->in, s, c->want);
		/* The canonical form parses back to itself. */
		label_selector_free(sel);
		assert_int_equal(label_selector_parse(s, &sel, err, sizeof(err)), 0);
		free(s);
		s = label_selector_string(sel);
		assert_string_equal(s, c->want);
		free(s);
		label_selector_free(sel);
	}
}

/* --- metav1.LabelSelector --- */

static const struct json_case {
	const char *desc;
	const char *sel;    /* LabelSelector JSON; NULL for a nil one */
	const char *labels;
	bool want;
	bool nothing;       /* label_selector_matches_nothing() */
	const char *string; /* label_selector_string() */
} json_cases[] = {
	{ "nil selects nothing", NULL, "{'app':'web'}", false, true, "" },
	{ "nil selects nothing, not even no labels", NULL, NULL, false, true, "" },
	{ "JSON null is nil", "null", "{}", false, true, "" },
	{ "{} selects everything", "{}", "{'app':'web'}", true, false, "" },
	{ "{} selects unlabelled objects", "{}", NULL, true, false, "" },
	{ "empty fields select everything", "{'matchLabels':{},'matchExpressions':[]}", "{}",
	  true, false, "" },
	{ "null fields select everything", "{'matchLabels':null,'matchExpressions':null}",
	  "{}", true, false, "" },
	{ "matchLabels", "{'matchLabels':{'app':'web','tier':'fe'}}",
	  "{'app':'web','tier':'fe','x':'y'}", true, false, "app=web,tier=fe" },
	{ "matchLabels, one differs", "{'matchLabels':{'tier':'fe','app':'web'}}",
	  "{'app':'web','tier':'be'}", false, false, "app=web,tier=fe" },
	{ "In", "{'matchExpressions':[{'key':'env','operator':'In','values':['b','a']}]}",
	  "{'env':'a'}", true, false, "env in (a,b)" },
	{ "In, absent", "{'matchExpressions':[{'key':'env','operator':'In','values':['a']}]}",
	  "{}", false, false, "env in (a)" },
	{ "NotIn, absent",
	  "{'matchExpressions':[{'key':'env','operator':'NotIn','values':['a']}]}", "{}", true,
	  false, "env notin (a)" },
	{ "NotIn, listed",
	  "{'matchExpressions':[{'key':'env','operator':'NotIn','values':['a']}]}",
	  "{'env':'a'}", false, false, "env notin (a)" },
	{ "Exists", "{'matchExpressions':[{'key':'gpu','operator':'Exists'}]}",
	  "{'gpu':''}", true, false, "gpu" },
	{ "Exists, empty values", "{'matchExpressions':[{'key':'gpu','operator':'Exists',"
	  "'values':[]}]}", "{}", false, false, "gpu" },
	{ "DoesNotExist", "{'matchExpressions':[{'key':'gpu','operator':'DoesNotExist'}]}",
	  "{}", true, false, "!gpu" },
	{ "matchLabels and matchExpressions, ANDed and sorted by key",
	  "{'matchLabels':{'z':'1'},'matchExpressions':["
	  "{'key':'y','operator':'DoesNotExist'},{'key':'a','operator':'In','values':['x']}]}",
	  "{'z':'1','a':'x'}", true, false, "a in (x),!y,z=1" },
	{ "matchLabels and matchExpressions, one fails",
	  "{'matchLabels':{'z':'1'},'matchExpressions':["
	  "{'key':'y','operator':'DoesNotExist'},{'key':'a','operator':'In','values':['x']}]}",
	  "{'z':'1','a':'x','y':''}", false, false, "a in (x),!y,z=1" },
};

static void test_label_json(void **state)
{
	struct label_selector *sel;
	char err[1024], *s;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(json_cases); i++) {
		const struct json_case *c = &json_cases[i];
		json_t *j = js(c->sel), *labels = js(c->labels);

		if (label_selector_from_json(j, &sel, err, sizeof(err)))
			fail_msg("%s: %s", c->desc, err);
		if (label_selector_matches(sel, labels) != c->want)
			fail_msg("%s: got %d, want %d", c->desc, !c->want, c->want);
		if (label_selector_matches_nothing(sel) != c->nothing)
			fail_msg("%s: matches_nothing is %d", c->desc, !c->nothing);
		assert_int_equal(label_selector_empty(sel), c->want && !strcmp(c->string, ""));
		s = label_selector_string(sel);
		assert_non_null(s);
		if (strcmp(s, c->string))
			fail_msg("%s: string \"%s\", want \"%s\"", c->desc, s, c->string);
		free(s);
		label_selector_free(sel);
		json_decref(j);
		json_decref(labels);
	}
}

static const struct json_error_case {
	const char *sel;
	const char *err;
} json_error_cases[] = {
	{ "{'matchExpressions':[{'key':'a','operator':'Equals','values':['x']}]}",
	  "\"Equals\" is not a valid label selector operator" },
	{ "{'matchExpressions':[{'key':'a'}]}", "\"\" is not a valid label selector operator" },
	{ "{'matchExpressions':[{'key':'a','operator':'In','values':[]}]}",
	  "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty" },
	{ "{'matchExpressions':[{'key':'a','operator':'NotIn'}]}",
	  "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty" },
	{ "{'matchExpressions':[{'key':'a','operator':'Exists','values':['x']}]}",
	  "values: Invalid value: [\"x\"]: values set must be empty for exists and does not "
	  "exist" },
	{ "{'matchExpressions':[{'key':'Bad_','operator':'In','values':['ok','b_']}]}",
	  "[key: Invalid value: \"Bad_\": " NAME_PART_MSG ", values[1][Bad_]: Invalid value: "
	  "\"b_\": " VALUE_MSG "]" },
	{ "{'matchExpressions':[{'operator':'Exists'}]}",
	  "key: Invalid value: \"\": name part must be non-empty; " NAME_PART_MSG },
	{ "{'matchLabels':{'app':'a b'}}",
	  "values[0][app]: Invalid value: \"a b\": " VALUE_MSG },
	{ "{'matchLabels':{'app':1}}", "matchLabels[app]: must be a string" },
	{ "{'matchLabels':[]}", "matchLabels: must be an object of strings" },
	{ "{'matchExpressions':{}}", "matchExpressions: must be an array" },
	{ "{'matchExpressions':['x']}", "matchExpressions[0]: must be an object" },
	{ "{'matchExpressions':[{'key':'a','operator':'In','values':'x'}]}",
	  "matchExpressions[0].values: must be an array of strings" },
	{ "{'matchExpressions':[{'key':'a','operator':'In','values':['x',2]}]}",
	  "matchExpressions[0].values[1]: must be a string" },
	{ "'app=web'", "label selector: must be an object" },
};

static void test_label_json_errors(void **state)
{
	struct label_selector *sel;
	char err[2048];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(json_error_cases); i++) {
		const struct json_error_case *c = &json_error_cases[i];
		json_t *j = js(c->sel);
		int ret;

		err[0] = '\0';
		ret = label_selector_from_json(j, &sel, err, sizeof(err));
		if (ret != -EINVAL)
			fail_msg("row %zu %s: got %d, want -EINVAL", i, c->sel, ret);
		assert_null(sel);
		if (strcmp(err, c->err))
			fail_msg("row %zu %s:\n  got:  %s\n  want: %s", i, c->sel, err, c->err);
		json_decref(j);
	}
}

/* --- map selectors: Services (empty selects nothing) and sets (empty selects all) --- */

static const struct map_case {
	const char *map;    /* NULL: no selector at all */
	const char *labels;
	bool service;       /* label_selector_from_map() and labels_match_map() */
	bool set;           /* label_selector_from_set() */
	const char *string;
} map_cases[] = {
	{ "{'app':'web'}", "{'app':'web'}", true, true, "app=web" },
	{ "{'app':'web'}", "{'app':'web','pod-template-hash':'abc'}", true, true, "app=web" },
	{ "{'app':'web'}", "{'app':'db'}", false, false, "app=web" },
	{ "{'app':'web'}", "{}", false, false, "app=web" },
	{ "{'app':'web'}", NULL, false, false, "app=web" },
	{ "{'tier':'fe','app':'web'}", "{'app':'web','tier':'fe'}", true, true,
	  "app=web,tier=fe" },
	{ "{'tier':'fe','app':'web'}", "{'app':'web'}", false, false, "app=web,tier=fe" },
	{ "{'app':''}", "{'app':''}", true, true, "app=" },
	/* A Service without a selector gets no endpoints; a nodeSelector {} allows all. */
	{ "{}", "{'app':'web'}", false, true, "" },
	{ "{}", NULL, false, true, "" },
	{ NULL, "{'app':'web'}", false, true, "" },
	{ "null", "{'app':'web'}", false, true, "" },
};

static void test_label_map(void **state)
{
	struct label_selector *svc, *set;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(map_cases); i++) {
		const struct map_case *c = &map_cases[i];
		json_t *map = js(c->map), *labels = js(c->labels);

		assert_int_equal(label_selector_from_map(map, &svc), 0);
		assert_int_equal(label_selector_from_set(map, &set), 0);
		if (label_selector_matches(svc, labels) != c->service)
			fail_msg("row %zu: service selector got %d", i, !c->service);
		if (labels_match_map(map, labels) != c->service)
			fail_msg("row %zu: labels_match_map got %d", i, !c->service);
		if (label_selector_matches(set, labels) != c->set)
			fail_msg("row %zu: set selector got %d", i, !c->set);
		assert_int_equal(label_selector_matches_nothing(svc), json_object_size(map) == 0);
		assert_false(label_selector_matches_nothing(set));
		s = label_selector_string(svc);
		assert_string_equal(s, c->string);
		free(s);
		label_selector_free(svc);
		label_selector_free(set);
		json_decref(map);
		json_decref(labels);
	}
}

static void test_label_map_errors(void **state)
{
	struct label_selector *sel = (void *)1;
	json_t *bad_value = js("{'app':1}"), *not_object = js("['app']"), *empty = js("{}");

	(void)state;
	assert_int_equal(label_selector_from_map(bad_value, &sel), -EINVAL);
	assert_null(sel);
	assert_int_equal(label_selector_from_set(not_object, &sel), -EINVAL);
	assert_null(sel);
	/* What cannot build a selector cannot match either. */
	assert_false(labels_match_map(bad_value, empty));
	assert_false(labels_match_map(not_object, NULL));
	json_decref(empty);
	json_decref(bad_value);
	json_decref(not_object);
}

/* A NULL selector is a nil one; freeing NULL is fine. */
static void test_label_null(void **state)
{
	char *s = label_selector_string(NULL);

	(void)state;
	assert_false(label_selector_matches(NULL, NULL));
	assert_true(label_selector_matches_nothing(NULL));
	assert_false(label_selector_empty(NULL));
	assert_string_equal(s, "");
	free(s);
	label_selector_free(NULL);
}

/* --- field selectors --- */

/* The object's fields are a flat JSON object: {"metadata.name":"x", ...}. */
static const char *json_field(const char *field, void *ctx)
{
	return json_string_value(json_object_get(ctx, field));
}

static const struct field_case {
	const char *sel;
	const char *fields;
	bool want;
} field_cases[] = {
	{ "", "{}", true },
	{ ",,", "{'metadata.name':'x'}", true },
	{ "metadata.name=web", "{'metadata.name':'web'}", true },
	{ "metadata.name=web", "{'metadata.name':'db'}", false },
	{ "metadata.name==web", "{'metadata.name':'web'}", true },
	{ "metadata.name==web", "{'metadata.name':'db'}", false },
	{ "metadata.name!=web", "{'metadata.name':'db'}", true },
	{ "metadata.name!=web", "{'metadata.name':'web'}", false },
	/* Absent compares as "": an unscheduled pod has spec.nodeName "". */
	{ "spec.nodeName=", "{}", true },
	{ "spec.nodeName=", "{'spec.nodeName':'n1'}", false },
	{ "spec.nodeName!=", "{}", false },
	{ "spec.nodeName!=", "{'spec.nodeName':'n1'}", true },
	{ "spec.nodeName=n1", "{}", false },
	{ "spec.nodeName!=n1", "{}", true },
	/* ANDed. */
	{ "metadata.name=x,spec.nodeName!=,status.phase==Running",
	  "{'metadata.name':'x','spec.nodeName':'n1','status.phase':'Running'}", true },
	{ "metadata.name=x,spec.nodeName!=,status.phase==Running",
	  "{'metadata.name':'x','status.phase':'Running'}", false },
	{ "metadata.name=x,spec.nodeName!=,status.phase==Running",
	  "{'metadata.name':'x','spec.nodeName':'n1','status.phase':'Pending'}", false },
	/* Escapes: \, \= \\ in values; an escaped comma does not split terms. */
	{ "metadata.name=a\\,b", "{'metadata.name':'a,b'}", true },
	{ "metadata.name=a\\=b", "{'metadata.name':'a=b'}", true },
	{ "metadata.name=a\\\\b", "{'metadata.name':'a\\\\b'}", true },
	{ "metadata.name=a\\\\,status.phase=x", "{'metadata.name':'a\\\\','status.phase':'x'}",
	  true },
	{ "metadata.name!=a\\,b", "{'metadata.name':'a'}", true },
	{ "metadata.name=b\\,", "{'metadata.name':'b,'}", true },
	/* Split at the first operator; values may hold other characters, ! included. */
	{ "spec.x=!a", "{'spec.x':'!a'}", true },
	{ "spec.x!=!", "{'spec.x':'!'}", false },
	{ "spec.x= a", "{'spec.x':' a'}", true },
	{ "spec.x=é", "{'spec.x':'é'}", true },
};

static void test_field_match(void **state)
{
	struct field_selector *sel;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(field_cases); i++) {
		const struct field_case *c = &field_cases[i];
		json_t *fields = js(c->fields);

		if (field_selector_parse(c->sel, &sel, err, sizeof(err)))
			fail_msg("row %zu \"%s\": %s", i, c->sel, err);
		if (field_selector_matches(sel, json_field, fields) != c->want)
			fail_msg("row %zu \"%s\" on %s: got %d", i, c->sel, c->fields, !c->want);
		field_selector_free(sel);
		json_decref(fields);
	}
	assert_true(field_selector_matches(NULL, json_field, NULL));
}

static const struct error_case field_error_cases[] = {
	{ "metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'" },
	{ "a=b,metadata.name", "invalid selector: 'a=b,metadata.name'; can't understand "
	  "'metadata.name'" },
	{ "a=b=c", "invalid field selector: unescaped character in value: 61" },
	{ "a=b\\!", "invalid field selector: invalid escape sequence: \\!" },
	{ "a=b\\n", "invalid field selector: invalid escape sequence: \\n" },
	{ "a=b\\é", "invalid field selector: invalid escape sequence: \\é" },
	{ "a=b\\", "invalid field selector: invalid escape sequence: \\" },
};

static void test_field_parse_errors(void **state)
{
	struct field_selector *sel;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(field_error_cases); i++) {
		const struct error_case *c = &field_error_cases[i];
		int ret;

		err[0] = '\0';
		ret = field_selector_parse(c->sel, &sel, err, sizeof(err));
		if (ret != -EINVAL)
			fail_msg("row %zu \"%s\": got %d, want -EINVAL", i, c->sel, ret);
		assert_null(sel);
		if (strcmp(err, c->err))
			fail_msg("row %zu \"%s\":\n  got:  %s\n  want: %s", i, c->sel, err, c->err);
	}
}

static const char *const pod_fields[] = {
	"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase",
};

static const struct check_case {
	const char *sel;
	const char *err; /* NULL: supported */
} check_cases[] = {
	{ "", NULL },
	{ "metadata.name=x,spec.nodeName!=,status.phase==Running", NULL },
	{ "spec.foo=x", "field label not supported: spec.foo" },
	{ "metadata.name=x,spec.foo!=y", "field label not supported: spec.foo" },
	/* Terms are checked in sorted order, as the apiserver converts them. */
	{ "z.z=1,spec.foo=2", "field label not supported: spec.foo" },
	/* Nothing is trimmed: the field is "metadata.name ". */
	{ "metadata.name = x", "field label not supported: metadata.name " },
	{ "=x", "field label not supported: " },
};

static void test_field_check(void **state)
{
	struct field_selector *sel;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		int ret;

		assert_int_equal(field_selector_parse(c->sel, &sel, err, sizeof(err)), 0);
		err[0] = '\0';
		ret = field_selector_check(sel, pod_fields, ARRAY_SIZE(pod_fields), err, sizeof(err));
		if (ret != (c->err ? -EINVAL : 0))
			fail_msg("row %zu \"%s\": got %d", i, c->sel, ret);
		if (c->err && strcmp(err, c->err))
			fail_msg("row %zu \"%s\": got \"%s\", want \"%s\"", i, c->sel, err, c->err);
		field_selector_free(sel);
	}
}

static const struct required_case {
	const char *sel;
	const char *field;
	const char *want; /* NULL: no exact requirement */
} required_cases[] = {
	{ "metadata.name=x,spec.nodeName=n1", "spec.nodeName", "n1" },
	{ "metadata.name=x,spec.nodeName=n1", "metadata.name", "x" },
	{ "spec.nodeName==n2", "spec.nodeName", "n2" },
	{ "spec.nodeName=", "spec.nodeName", "" },
	{ "spec.nodeName=a\\,b", "spec.nodeName", "a,b" },
	{ "spec.nodeName!=n1", "spec.nodeName", NULL },
	{ "metadata.name=x", "spec.nodeName", NULL },
	{ "", "spec.nodeName", NULL },
	/* Two exact terms: the first in sorted order, as Kubernetes. */
	{ "spec.nodeName=b,spec.nodeName=a", "spec.nodeName", "a" },
};

static void test_field_required(void **state)
{
	struct field_selector *sel;
	const char *got;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(required_cases); i++) {
		const struct required_case *c = &required_cases[i];

		assert_int_equal(field_selector_parse(c->sel, &sel, err, sizeof(err)), 0);
		got = field_selector_required(sel, c->field);
		if (!c->want ? got != NULL : !got || strcmp(got, c->want))
			fail_msg("row %zu \"%s\" %s: got %s%s%s, want %s", i, c->sel, c->field,
				 got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
				 c->want ? c->want : "NULL");
		assert_int_equal(field_selector_empty(sel), !*c->sel);
		field_selector_free(sel);
	}
	assert_null(field_selector_required(NULL, "spec.nodeName"));
	field_selector_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_match),
		cmocka_unit_test(test_label_parse_errors),
		cmocka_unit_test(test_label_err_buffer),
		cmocka_unit_test(test_label_string),
		cmocka_unit_test(test_label_json),
		cmocka_unit_test(test_label_json_errors),
		cmocka_unit_test(test_label_map),
		cmocka_unit_test(test_label_map_errors),
		cmocka_unit_test(test_label_null),
		cmocka_unit_test(test_field_match),
		cmocka_unit_test(test_field_parse_errors),
		cmocka_unit_test(test_field_check),
		cmocka_unit_test(test_field_required),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
