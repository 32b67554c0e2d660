/* test_kubeconfig.c — unit tests of kubeconfig: YAML to JSON, kubeconfig loading and merging as client-go does, and writing one kubectl reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <jansson.h>

#include "kubeconfig.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* PEM blocks and their base64, made with base64(1) so the decoder is checked against another. */
#define CA_PEM                                                              \
	"-----BEGIN CERTIFICATE-----\n"                                     \
	"MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n" \
	"-----END CERTIFICATE-----\n"
#define CA_B64                                                                                \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFR" \
	"REFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
#define CERT_PEM                                             \
	"-----BEGIN CERTIFICATE-----\n"                      \
	"MIIBkTCCATegAwIBAgIIClientCertForKindUser\n"        \
	"-----END CERTIFICATE-----\n"
#define CERT_B64                                                                              \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENDQVRlZ0F3SUJBZ0lJQ2xpZW50Q2VydEZvcktp" \
	"bmRVc2VyCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define KEY_PEM                                 \
	"-----BEGIN EC PRIVATE KEY-----\n"      \
	"MHcCAQEEIKindUserPrivateKeyBytes==\n"  \
	"-----END EC PRIVATE KEY-----\n"
#define KEY_B64                                                                               \
	"LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUtpbmRVc2VyUHJpdmF0ZUtleUJ5dGVz" \
	"PT0KLS0tLS1FTkQgRUMgUFJJVkFURSBLRVktLS0tLQo="

static char tmpdir[128]; /* short: paths built from it stay far below PATH_MAX */

/* A path under the test's directory; rotating buffers so a call may take several. */
static const char *tp(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", tmpdir, rel);
	return b;
}

/* Write text to rel under the test directory, creating directories on the way. */
static const char *put(const char *rel, const char *text)
{
	char path[PATH_MAX], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	for (p = path + strlen(tmpdir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return tp(rel);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kbpf-kubeconfig-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* Tests choose their files explicitly; the environment must not leak in. */
	unsetenv("KUBECONFIG");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void assert_bytes(const unsigned char *got, size_t got_len, const char *want)
{
	assert_non_null(got);
	assert_int_equal(got_len, strlen(want));
	assert_memory_equal(got, want, got_len);
}

/* --- YAML to JSON --- */

static const struct y2j_case {
	const char *yaml;
	const char *json; /* what it must equal */
} y2j_cases[] = {
	/* YAML 1.1 booleans, as kubectl reads them; anything else is a string. */
	{ "a: true", "{\"a\": true}" },
	{ "a: True", "{\"a\": true}" },
	{ "a: TRUE", "{\"a\": true}" },
	{ "a: tRUE", "{\"a\": \"tRUE\"}" },
	{ "a: false", "{\"a\": false}" },
	{ "a: yes", "{\"a\": true}" },
	{ "a: No", "{\"a\": false}" },
	{ "a: on", "{\"a\": true}" },
	{ "a: OFF", "{\"a\": false}" },
	{ "a: y", "{\"a\": true}" },
	{ "a: n", "{\"a\": false}" },
	/* Quoted and explicitly tagged strings stay strings. */
	{ "a: 'true'", "{\"a\": \"true\"}" },
	{ "a: \"yes\"", "{\"a\": \"yes\"}" },
	{ "a: !!str true", "{\"a\": \"true\"}" },
	{ "a: !!str 0755", "{\"a\": \"0755\"}" },
	{ "a: ! 12", "{\"a\": \"12\"}" },
	{ "a: '123'", "{\"a\": \"123\"}" },
	/* Null. */
	{ "a: ~", "{\"a\": null}" },
	{ "a: null", "{\"a\": null}" },
	{ "a: NULL", "{\"a\": null}" },
	{ "a:", "{\"a\": null}" },
	{ "a: ''", "{\"a\": \"\"}" },
	{ "a: nil", "{\"a\": \"nil\"}" },
	/* Integers: decimal, hex, octal (0o and leading 0), binary, '_' ignored. */
	{ "a: 123", "{\"a\": 123}" },
	{ "a: -17", "{\"a\": -17}" },
	{ "a: +5", "{\"a\": 5}" },
	{ "a: 0", "{\"a\": 0}" },
	{ "a: 0x1F", "{\"a\": 31}" },
	{ "a: 0o17", "{\"a\": 15}" },
	{ "a: 0755", "{\"a\": 493}" },
	{ "a: 0b101", "{\"a\": 5}" },
	{ "a: -0x10", "{\"a\": -16}" },
	{ "a: 1_000", "{\"a\": 1000}" },
	{ "a: 9223372036854775807", "{\"a\": 9223372036854775807}" },
	{ "a: -9223372036854775808", "{\"a\": -9223372036854775808}" },
	/* Floats; "08" is no octal number but is a float, as in go-yaml. */
	{ "a: 1.5", "{\"a\": 1.5}" },
	{ "a: .5", "{\"a\": 0.5}" },
	{ "a: -1.5e-3", "{\"a\": -0.0015}" },
	{ "a: 1e3", "{\"a\": 1000.0}" },
	{ "a: 08", "{\"a\": 8.0}" },
	{ "a: 18446744073709551615", "{\"a\": 18446744073709551615.0}" },
	/* Strings that only look numeric. */
	{ "a: 1.2.3", "{\"a\": \"1.2.3\"}" },
	{ "a: 12:30", "{\"a\": \"12:30\"}" },
	{ "a: 0x", "{\"a\": \"0x\"}" },
	{ "a: 1e999", "{\"a\": \"1e999\"}" },
	{ "a: .inf", "{\"a\": \".inf\"}" },
	{ "a: 2001-12-14", "{\"a\": \"2001-12-14\"}" },
	{ "a: 10.0.0.1", "{\"a\": \"10.0.0.1\"}" },
	{ "a: _1", "{\"a\": \"_1\"}" },
	{ "a: -x", "{\"a\": \"-x\"}" },
	/* Tags that ask for a type. */
	{ "a: !!int '42'", "{\"a\": 42}" },
	{ "a: !!float 1", "{\"a\": 1.0}" },
	{ "a: !!bool \"yes\"", "{\"a\": true}" },
	{ "a: !!null ''", "{\"a\": null}" },
	{ "a: !local 7", "{\"a\": 7}" },
	/* Block scalars. */
	{ "a: |\n  x\n  y\n", "{\"a\": \"x\\ny\\n\"}" },
	{ "a: >\n  x\n  y\n", "{\"a\": \"x y\\n\"}" },
	{ "a: |-\n  true\n", "{\"a\": \"true\"}" },
	{ "a: \"caf\\u00e9 \\t\"", "{\"a\": \"caf\\u00e9 \\t\"}" },
	/* Keys that are not strings become strings, as sigs.k8s.io/yaml writes them. */
	{ "1: one", "{\"1\": \"one\"}" },
	{ "true: t", "{\"true\": \"t\"}" },
	{ "y: 1", "{\"true\": 1}" },
	{ "0x10: h", "{\"16\": \"h\"}" },
	{ "1.5: f", "{\"1.5\": \"f\"}" },
	{ "'1': q", "{\"1\": \"q\"}" },
	/* Flow YAML that is not JSON, and JSON. */
	{ "[1, 'a', {b: null}]", "[1, \"a\", {\"b\": null}]" },
	{ "{\"a\": 1, \"b\": [true, null, 1.5]}", "{\"a\": 1, \"b\": [true, null, 1.5]}" },
	{ "{\n\t\"a\": {\n\t\t\"b\": \"c\"\n\t}\n}\n", "{\"a\": {\"b\": \"c\"}}" },
	{ "  [1, 2", NULL },
	/* Anchors, aliases, merge keys. */
	{ "a: &x [1, 2]\nb: *x", "{\"a\": [1, 2], \"b\": [1, 2]}" },
	{ "a: &s str\nb: *s", "{\"a\": \"str\", \"b\": \"str\"}" },
	{ "k: &k key\n*k : v", "{\"k\": \"key\", \"key\": \"v\"}" },
	{ "a: &x 1\nb: *x\nc: &x 2\nd: *x", "{\"a\": 1, \"b\": 1, \"c\": 2, \"d\": 2}" },
	{ "base: &b {x: 1, w: 2}\nd:\n  <<: *b\n  w: 3",
	  "{\"base\": {\"x\": 1, \"w\": 2}, \"d\": {\"x\": 1, \"w\": 3}}" },
	{ "d:\n  w: 3\n  <<: {x: 1, w: 2}", "{\"d\": {\"x\": 1, \"w\": 3}}" },
	{ "p: &p {x: 1}\nq: &q {x: 2, z: 2}\nr:\n  <<: [*p, *q]",
	  "{\"p\": {\"x\": 1}, \"q\": {\"x\": 2, \"z\": 2}, \"r\": {\"x\": 1, \"z\": 2}}" },
	{ "'<<': 1", "{\"<<\": 1}" },
	/* Empty documents. */
	{ "", "null" },
	{ "# only a comment\n", "null" },
	{ "---\n", "null" },
	{ "---\na: 1\n...\n", "{\"a\": 1}" },
	{ "a: 1\n---\n", "{\"a\": 1}" },
};

static void test_yaml_to_json(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(y2j_cases); i++) {
		const struct y2j_case *c = &y2j_cases[i];
		json_t *got, *want;
		char *text;

		err[0] = '\0';
		got = yaml_to_json(c->yaml, strlen(c->yaml), err, sizeof(err));
		if (!c->json) {
			if (got)
				fail_msg("%s: parsed, want an error", c->yaml);
			continue;
		}
		if (!got)
			fail_msg("%s: %s", c->yaml, err);
		want = json_loads(c->json, JSON_DECODE_ANY, NULL);
		assert_non_null(want);
		text = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		if (!json_equal(got, want))
			fail_msg("%s: got %s, want %s", c->yaml, text, c->json);
		/* json_equal() compares types: 8 is not 8.0, as integers must stay integers. */
		free(text);
		json_decref(got);
		json_decref(want);
	}
}

/* Text is not NUL-terminated for the parser: it reads len bytes only. */
static void test_yaml_to_json_len(void **state)
{
	const char text[] = "a: 1\nb: 2\n";
	char err[256];
	json_t *v;

	(void)state;
	v = yaml_to_json(text, 5, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_object_size(v), 1);
	assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
	json_decref(v);
}

static const struct y2j_err {
	const char *yaml;
	const char *want; /* the whole error */
} y2j_errs[] = {
	{ "a: 1\nb: 2\na: 3\n", "line 3 column 1: mapping key \"a\" already defined" },
	{ "a: *nope\n", "line 1 column 4: unknown anchor 'nope' referenced" },
	{ "? [1]\n: x\n", "line 1 column 3: unsupported map key: a sequence" },
	{ "? {a: 1}\n: x\n", "line 1 column 3: unsupported map key: a mapping" },
	{ "~: x\n", "line 1 column 1: unsupported map key: null" },
	{ "a: !!int abc\n", "line 1 column 4: cannot decode `abc` as !!int" },
	{ "a: !!bool 1\n", "line 1 column 4: cannot decode `1` as !!bool" },
	{ "a:\n  <<: 5\n", "line 2 column 3: map merge requires map or sequence of maps as the value" },
	{ "a:\n  <<: [{x: 1}, 2]\n",
	  "line 2 column 3: map merge requires map or sequence of maps as the value" },
	{ "a: 1\n---\nb: 2\n", "expected one YAML document, found more (\"---\")" },
	{ "a: [1, 2\n",
	  "line 2 column 1: did not find expected ',' or ']' (while parsing a flow sequence at line 1 column 4)" },
	{ "a: b: c\n", "line 1 column 5: mapping values are not allowed in this context" },
	{ "a:\n\t- b\n", "line 2 column 1: found character that cannot start any token "
		       "(while scanning for the next token at line 2 column 1)" },
	{ "a: \"\xff\"\n", "byte 4: invalid leading UTF-8 octet" },
};

static void test_yaml_errors(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(y2j_errs); i++) {
		const struct y2j_err *c = &y2j_errs[i];
		json_t *got;

		err[0] = '\0';
		got = yaml_to_json(c->yaml, strlen(c->yaml), err, sizeof(err));
		if (got)
			fail_msg("%s: parsed, want \"%s\"", c->yaml, c->want);
		if (strcmp(err, c->want))
			fail_msg("%s: error \"%s\", want \"%s\"", c->yaml, err, c->want);
	}
}

/* A billion laughs: ten aliases of ten aliases, nine deep. Refused, and quickly. */
static void test_yaml_alias_bomb(void **state)
{
	char text[4096], err[256];
	size_t n = 0;
	json_t *v;
	int i, j;

	(void)state;
	n += snprintf(text + n, sizeof(text) - n, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 10; i++) {
		n += snprintf(text + n, sizeof(text) - n, "a%d: &a%d [", i, i);
		for (j = 0; j < 10; j++)
			n += snprintf(text + n, sizeof(text) - n, "%s*a%d", j ? ", " : "", i - 1);
		n += snprintf(text + n, sizeof(text) - n, "]\n");
	}
	v = yaml_to_json(text, n, err, sizeof(err));
	assert_null(v);
	assert_non_null(strstr(err, "excessive aliasing"));
}

static void test_yaml_too_deep(void **state)
{
	static const struct {
		const char *prefix;
		int levels;
		bool ok;
	} cases[] = {
		{ "", 500, true },    /* JSON */
		{ "", 600, false },
		{ "a: ", 500, true }, /* YAML that is not JSON: the same limit */
		{ "a: ", 600, false },
	};
	char text[2000], err[256];
	size_t i, n;
	json_t *v;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = sprintf(text, "%s", cases[i].prefix);
		memset(text + n, '[', cases[i].levels);
		memset(text + n + cases[i].levels, ']', cases[i].levels);
		n += 2 * cases[i].levels;
		err[0] = '\0';
		v = yaml_to_json(text, n, err, sizeof(err));
		if (cases[i].ok) {
			if (!v)
				fail_msg("%s%d levels: %s", cases[i].prefix, cases[i].levels, err);
		} else {
			assert_null(v);
			assert_non_null(strstr(err, "nesting deeper than 512 levels"));
		}
		json_decref(v);
	}
}

/* An alias is a copy: changing one place leaves the other alone. */
static void test_yaml_alias_copy(void **state)
{
	const char *text = "a: &x {k: [1]}\nb: *x\n";
	char err[256];
	json_t *v;

	(void)state;
	v = yaml_to_json(text, strlen(text), err, sizeof(err));
	assert_non_null(v);
	json_array_append_new(json_object_get(json_object_get(v, "a"), "k"), json_integer(2));
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "b"), "k")), 1);
	json_decref(v);
}

static void test_yaml_docs(void **state)
{
	const char *text = "# manifests\n---\nkind: A\n---\n---\nkind: B\n...\n---\n~\n";
	const char *json = "{\"kind\": \"C\"}";
	char err[256];
	json_t *v, *want;

	(void)state;
	v = yaml_to_json_docs(text, strlen(text), err, sizeof(err));
	assert_non_null(v);
	want = json_loads("[{\"kind\": \"A\"}, {\"kind\": \"B\"}]", 0, NULL);
	assert_true(json_equal(v, want));
	json_decref(v);
	json_decref(want);

	v = yaml_to_json_docs(json, strlen(json), err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_array_size(v), 1);
	json_decref(v);

	v = yaml_to_json_docs("", 0, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);

	v = yaml_to_json_docs("a: 1\n---\nb: [\n", 14, err, sizeof(err));
	assert_null(v);
	assert_non_null(strstr(err, "line 4 column 1: did not find expected node content"));
}

/* --- kubeconfig_load --- */

/* The smallest usable kubeconfig, in parts. */
#define CTX_X "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n"
#define USER_U "users:\n- name: u\n  user: {token: t}\n"
#define CLUSTER_C "clusters:\n- name: c\n  cluster: {server: https://c}\n"

/* kind and minikube wrote this one (trimmed), and a lab cluster was added by hand. */
static const char KIND_MINIKUBE[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster:\n"
	"    certificate-authority-data: " CA_B64 "\n"
	"    server: https://127.0.0.1:39557\n"
	"  name: kind-kind\n"
	"- cluster:\n"
	"    certificate-authority: minikube/ca.crt\n"
	"    extensions:\n"
	"    - extension:\n"
	"        last-update: Wed, 26 Nov 2025 16:58:03 UTC\n"
	"        provider: minikube.sigs.k8s.io\n"
	"        version: v1.34.0\n"
	"      name: cluster_info\n"
	"    server: https://192.168.49.2:8443\n"
	"  name: minikube\n"
	"- cluster:\n"
	"    insecure-skip-tls-verify: true\n"
	"    server: https://10.99.0.1:6443\n"
	"    tls-server-name: kubernetes.default.svc\n"
	"  name: kbpf-lab\n"
	"contexts:\n"
	"- context:\n"
	"    cluster: kind-kind\n"
	"    user: kind-kind\n"
	"  name: kind-kind\n"
	"- context:\n"
	"    cluster: minikube\n"
	"    extensions:\n"
	"    - extension:\n"
	"        provider: minikube.sigs.k8s.io\n"
	"      name: context_info\n"
	"    namespace: kube-system\n"
	"    user: minikube\n"
	"  name: minikube\n"
	"- context:\n"
	"    cluster: kbpf-lab\n"
	"    namespace: lab   # the team's namespace\n"
	"    user: lab-admin\n"
	"  name: lab\n"
	"current-context: kind-kind\n"
	"kind: Config\n"
	"preferences: {}\n"
	"users:\n"
	"- name: kind-kind\n"
	"  user:\n"
	"    client-certificate-data: " CERT_B64 "\n"
	"    client-key-data: " KEY_B64 "\n"
	"- name: minikube\n"
	"  user:\n"
	"    client-certificate: minikube/profiles/minikube/client.crt\n"
	"    client-key: minikube/profiles/minikube/client.key\n"
	"- name: lab-admin\n"
	"  user:\n"
	"    token: \"0123456789\"\n";

static const char *write_kind_minikube(void)
{
	put("km/minikube/ca.crt", CA_PEM);
	put("km/minikube/profiles/minikube/client.crt", CERT_PEM);
	put("km/minikube/profiles/minikube/client.key", KEY_PEM);
	return put("km/config", KIND_MINIKUBE);
}

static void test_load_current_context(void **state)
{
	const char *path = write_kind_minikube();
	struct kubeconfig kc;
	char err[512];

	(void)state;
	assert_int_equal(kubeconfig_load(path, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "kind-kind");
	assert_string_equal(kc.cluster_name, "kind-kind");
	assert_string_equal(kc.user_name, "kind-kind");
	assert_string_equal(kc.server, "https://127.0.0.1:39557");
	assert_string_equal(kc.namespace, "default");
	assert_null(kc.ca_file);
	assert_bytes(kc.ca_data, kc.ca_len, CA_PEM);
	assert_bytes(kc.client_cert_data, kc.client_cert_len, CERT_PEM);
	assert_bytes(kc.client_key_data, kc.client_key_len, KEY_PEM);
	assert_null(kc.client_cert_file);
	assert_null(kc.client_key_file);
	assert_false(kc.insecure);
	assert_null(kc.tls_server_name);
	assert_null(kc.token);
	assert_null(kc.username);
	assert_null(kc.password);
	kubeconfig_free(&kc);
	kubeconfig_free(&kc); /* harmless twice */
}

/* --context: files resolved against the kubeconfig's directory, namespace from the context. */
static void test_load_context_override(void **state)
{
	const char *path = write_kind_minikube();
	struct kubeconfig kc;
	char err[512];

	(void)state;
	assert_int_equal(kubeconfig_load(path, "minikube", &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "minikube");
	assert_string_equal(kc.server, "https://192.168.49.2:8443");
	assert_string_equal(kc.namespace, "kube-system");
	assert_string_equal(kc.ca_file, tp("km/minikube/ca.crt"));
	assert_null(kc.ca_data);
	assert_string_equal(kc.client_cert_file, tp("km/minikube/profiles/minikube/client.crt"));
	assert_string_equal(kc.client_key_file, tp("km/minikube/profiles/minikube/client.key"));
	assert_null(kc.client_cert_data);
	kubeconfig_free(&kc);

	assert_int_equal(kubeconfig_load(path, "lab", &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://10.99.0.1:6443");
	assert_string_equal(kc.namespace, "lab");
	assert_true(kc.insecure);
	assert_string_equal(kc.tls_server_name, "kubernetes.default.svc");
	/* Quoted in the file: a string, not the number 123456789. */
	assert_string_equal(kc.token, "0123456789");
	assert_null(kc.ca_file);
	assert_null(kc.ca_data);
	kubeconfig_free(&kc);
}

/* What `kubectl config view --raw -o json` prints is a kubeconfig too; tabs and all. */
static void test_load_json(void **state)
{
	const char *path = put("json/config",
			       "{\n"
			       "\t\"kind\": \"Config\",\n"
			       "\t\"apiVersion\": \"v1\",\n"
			       "\t\"preferences\": {},\n"
			       "\t\"clusters\": [{\"name\": \"prod\", \"cluster\": {\n"
			       "\t\t\"server\": \"https://prod.example.com\",\n"
			       "\t\t\"insecure-skip-tls-verify\": true}}],\n"
			       "\t\"users\": [{\"name\": \"admin\", \"user\": {\n"
			       "\t\t\"username\": \"admin\", \"password\": \"s3cr=t\"}}],\n"
			       "\t\"contexts\": [{\"name\": \"prod\", \"context\": {\n"
			       "\t\t\"cluster\": \"prod\", \"user\": \"admin\", \"namespace\": \"web\"}}],\n"
			       "\t\"current-context\": \"prod\"\n"
			       "}\n");
	struct kubeconfig kc;
	char err[512];

	(void)state;
	assert_int_equal(kubeconfig_load(path, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://prod.example.com");
	assert_true(kc.insecure);
	assert_string_equal(kc.namespace, "web");
	assert_string_equal(kc.username, "admin");
	assert_string_equal(kc.password, "s3cr=t");
	assert_null(kc.token);
	kubeconfig_free(&kc);
}

/* Relative paths: from the file's directory, even when the file was named relatively. */
static void test_load_relative_paths(void **state)
{
	char cwd[PATH_MAX], yaml[1024];
	struct kubeconfig kc;
	char err[512];
	int ret;

	(void)state;
	put("rel/certs/ca.crt", CA_PEM);
	put("rel/sub/certs/client.crt", CERT_PEM);
	put("rel/sub/token", "  tok-from-file\n\n");
	put("abs/client.key", KEY_PEM);
	snprintf(yaml, sizeof(yaml),
		 "clusters:\n"
		 "- name: c\n"
		 "  cluster:\n"
		 "    server: https://c:6443\n"
		 "    certificate-authority: ../certs/./ca.crt\n"
		 "users:\n"
		 "- name: u\n"
		 "  user:\n"
		 "    client-certificate: certs//client.crt\n"
		 "    client-key: %s\n"
		 "    tokenFile: token\n"
		 "contexts:\n"
		 "- name: x\n"
		 "  context: {cluster: c, user: u}\n"
		 "current-context: x\n",
		 tp("abs/client.key"));
	put("rel/sub/config", yaml);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tp("rel")), 0);
	ret = kubeconfig_load("sub/config", NULL, &kc, err, sizeof(err));
	assert_int_equal(chdir(cwd), 0);
	if (ret)
		fail_msg("%s", err);
	assert_string_equal(kc.ca_file, tp("rel/certs/ca.crt"));
	assert_string_equal(kc.client_cert_file, tp("rel/sub/certs/client.crt"));
	assert_string_equal(kc.client_key_file, tp("abs/client.key"));
	/* tokenFile is read and trimmed, as client-go's cached file token source does. */
	assert_string_equal(kc.token, "tok-from-file");
	kubeconfig_free(&kc);
}

/* Base64 broken into lines (as base64(1) writes it by default) decodes; garbage does not. */
static void test_load_base64(void **state)
{
	char text[2048], json_b64[512], yaml_b64[512], err[512];
	const char *src = CA_B64, *path;
	struct kubeconfig kc;
	size_t i, j = 0, k = 0;

	(void)state;
	/* In JSON, escaped \r\n and \n between 76-character lines; in YAML, a literal block. */
	for (i = 0; src[i]; i++) {
		if (i && i % 76 == 0) {
			j += sprintf(json_b64 + j, i == 76 ? "\\r\\n" : "\\n");
			k += sprintf(yaml_b64 + k, "\n      ");
		}
		json_b64[j++] = src[i];
		yaml_b64[k++] = src[i];
	}
	json_b64[j] = yaml_b64[k] = '\0';
	snprintf(text, sizeof(text),
		 "{\"clusters\": [{\"name\": \"c\", \"cluster\": {\"server\": \"https://c\","
		 " \"certificate-authority-data\": \"%s\"}}],"
		 " \"users\": [{\"name\": \"u\", \"user\": {}}],"
		 " \"contexts\": [{\"name\": \"x\", \"context\": {\"cluster\": \"c\", \"user\": \"u\"}}],"
		 " \"current-context\": \"x\"}",
		 json_b64);
	path = put("b64/config.json", text);
	if (kubeconfig_load(path, NULL, &kc, err, sizeof(err)))
		fail_msg("%s", err);
	assert_bytes(kc.ca_data, kc.ca_len, CA_PEM);
	kubeconfig_free(&kc);

	snprintf(text, sizeof(text),
		 "clusters:\n- name: c\n  cluster:\n    server: https://c\n"
		 "    certificate-authority-data: |\n      %s\n" USER_U CTX_X,
		 yaml_b64);
	path = put("b64/config.yaml", text);
	if (kubeconfig_load(path, NULL, &kc, err, sizeof(err)))
		fail_msg("%s", err);
	assert_bytes(kc.ca_data, kc.ca_len, CA_PEM);
	kubeconfig_free(&kc);
}

/* Broken kubeconfigs and the errors they give: errno and the text after "kubeconfig <path>: ". */

static const struct load_err {
	const char *name;
	const char *yaml; /* NULL: no file at all */
	const char *context;
	int err;
	const char *msg;
} load_errs[] = {
	{ "missing context", CLUSTER_C USER_U CTX_X, "nope", -ENOENT, "context \"nope\" not found" },
	{ "missing current context", CLUSTER_C USER_U "contexts: []\ncurrent-context: gone\n", NULL,
	  -ENOENT, "context \"gone\" not found" },
	{ "missing cluster", USER_U CTX_X, NULL, -ENOENT,
	  "cluster \"c\" was not found for context \"x\"" },
	{ "missing user", CLUSTER_C CTX_X, NULL, -ENOENT,
	  "user \"u\" was not found for context \"x\"" },
	{ "no current context", CLUSTER_C USER_U "contexts:\n- name: x\n  context: {}\n", NULL,
	  -ENOENT, "no context chosen: current-context is not set and none was given" },
	{ "no cluster in context", CLUSTER_C USER_U "contexts:\n- name: x\n  context: {user: u}\n",
	  "x", -EINVAL, "cluster was not specified for context \"x\"" },
	{ "no user in context", CLUSTER_C USER_U "contexts:\n- name: x\n  context: {cluster: c}\n",
	  "x", -EINVAL, "user was not specified for context \"x\"" },
	{ "no server", "clusters:\n- name: c\n  cluster: {certificate-authority-data: " CA_B64 "}\n"
		       USER_U CTX_X, NULL, -EINVAL, "no server for cluster \"c\"" },
	{ "CA twice", "clusters:\n- name: c\n  cluster: {server: s, certificate-authority: /etc/hostname,"
		      " certificate-authority-data: " CA_B64 "}\n" USER_U CTX_X, NULL, -EINVAL,
	  "certificate-authority-data and certificate-authority are both specified for cluster \"c\"" },
	{ "insecure with a CA", "clusters:\n- name: c\n  cluster: {server: s, insecure-skip-tls-verify: true,"
				" certificate-authority-data: " CA_B64 "}\n" USER_U CTX_X, NULL, -EINVAL,
	  "cluster \"c\": specifying a root certificates file with the insecure flag is not allowed" },
	{ "CA file missing", "clusters:\n- name: c\n  cluster: {server: s, certificate-authority: nope.crt}\n"
			     USER_U CTX_X, NULL, -ENOENT,
	  "unable to read certificate-authority " /* path */ },
	{ "bad base64", "clusters:\n- name: c\n  cluster: {server: s, certificate-authority-data: LS0t*S1C}\n"
			USER_U CTX_X, NULL, -EINVAL,
	  "cluster \"c\": certificate-authority-data: illegal base64 data at input byte 4" },
	{ "truncated base64", "clusters:\n- name: c\n  cluster: {server: s, certificate-authority-data: LS0tL}\n"
			      USER_U CTX_X, NULL, -EINVAL,
	  "cluster \"c\": certificate-authority-data: illegal base64 data at input byte 5" },
	{ "cert without key", CLUSTER_C CTX_X "users:\n- name: u\n  user: {client-certificate-data: " CERT_B64 "}\n",
	  NULL, -EINVAL,
	  "client-key-data or client-key must be specified for user \"u\" to use the clientCert authentication method" },
	{ "cert twice", CLUSTER_C CTX_X "users:\n- name: u\n  user: {client-certificate-data: " CERT_B64
				       ", client-certificate: /etc/hostname, client-key-data: " KEY_B64 "}\n",
	  NULL, -EINVAL, "client-cert-data and client-cert are both specified for user \"u\"" },
	{ "token and basic auth", CLUSTER_C CTX_X "users:\n- name: u\n  user: {token: t, username: a, password: b}\n",
	  NULL, -EINVAL,
	  "more than one authentication method found for user \"u\"; found [token basicAuth], only one is allowed" },
	{ "exec plugin", CLUSTER_C CTX_X "users:\n- name: u\n  user:\n    exec:\n      command: gke-gcloud-auth-plugin\n",
	  NULL, -EOPNOTSUPP,
	  "user \"u\" authenticates with an exec credential plugin, which kbpf does not run" },
	{ "empty token file", CLUSTER_C CTX_X "users:\n- name: u\n  user: {tokenFile: /dev/null}\n", NULL,
	  -EINVAL, "user \"u\": read empty token from file /dev/null" },
	{ "duplicate names", CLUSTER_C "- name: c\n  cluster: {server: t}\n" USER_U CTX_X, NULL, -EINVAL,
	  "duplicate name \"c\" in clusters" },
	{ "number for a string", "clusters:\n- name: c\n  cluster: {server: 6443}\n" USER_U CTX_X, NULL,
	  -EINVAL, "cluster \"c\": server: want a string, found a number" },
	{ "string for a boolean", "clusters:\n- name: c\n  cluster: {server: s, insecure-skip-tls-verify: 'true'}\n"
				  USER_U CTX_X, NULL, -EINVAL,
	  "cluster \"c\": insecure-skip-tls-verify: want a boolean, found a string" },
	{ "clusters not a list", "clusters: {c: {server: s}}\n" USER_U CTX_X, NULL, -EINVAL,
	  "clusters: want a sequence, found a mapping" },
	{ "entry not a mapping", "clusters:\n- c\n" USER_U CTX_X, NULL, -EINVAL,
	  "clusters[0]: want a mapping, found a string" },
	{ "not a Config", "- a\n- b\n", NULL, -EINVAL, "want a mapping (a Config), found a sequence" },
	{ "empty file", "", NULL, -ENOENT, "no configuration has been provided" },
	{ "comments only", "# nothing yet\n", NULL, -ENOENT, "no configuration has been provided" },
	{ "no file", NULL, NULL, -ENOENT, "cannot read: No such file or directory" },
	{ "malformed YAML",
	  "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: server: https://x\n", NULL,
	  -EINVAL, "line 5 column 18: mapping values are not allowed in this context" },
	{ "duplicate key", "apiVersion: v1\nclusters: []\nusers: []\nclusters: []\n", NULL, -EINVAL,
	  "line 4 column 1: mapping key \"clusters\" already defined" },
};

static void test_load_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(load_errs); i++) {
		const struct load_err *c = &load_errs[i];
		char rel[64], prefix[PATH_MAX + 32], err[1024];
		struct kubeconfig kc;
		const char *path;
		int ret;

		snprintf(rel, sizeof(rel), "errs/%zu/config", i);
		path = c->yaml ? put(rel, c->yaml) : tp(rel);
		memset(&kc, 0x5a, sizeof(kc));
		ret = kubeconfig_load(path, c->context, &kc, err, sizeof(err));
		if (ret != c->err)
			fail_msg("%s: got %d (%s), want %d", c->name, ret, err, c->err);
		snprintf(prefix, sizeof(prefix), "kubeconfig %s: %s", path, c->msg);
		if (strncmp(err, prefix, strlen(prefix)))
			fail_msg("%s: error \"%s\",\n want \"%s\"", c->name, err, prefix);
		/* Nothing half-filled is left behind. */
		assert_null(kc.server);
		assert_null(kc.token);
		assert_null(kc.ca_data);
		kubeconfig_free(&kc);
	}
}

/* $KUBECONFIG=a:b: the first file to name an entry or set current-context wins. */
static void test_load_kubeconfig_env(void **state)
{
	char list[4 * PATH_MAX], err[1024];
	const char *a, *b, *c;
	struct kubeconfig kc;

	(void)state;
	put("env/a/ca.crt", CA_PEM);
	put("env/b/ca.crt", CA_PEM);
	a = put("env/a/config",
		"clusters:\n"
		"- name: shared\n"
		"  cluster: {server: 'https://a.example:6443', certificate-authority: ca.crt}\n"
		"- name: only-a\n"
		"  cluster: {server: 'https://only-a:6443'}\n"
		"contexts:\n"
		"- name: ctx-a\n"
		"  context: {cluster: shared, user: ua}\n"
		"users:\n"
		"- name: ua\n"
		"  user: {token: token-a}\n"
		"current-context: ctx-a\n");
	b = put("env/b/config",
		"clusters:\n"
		"- name: shared\n"
		"  cluster: {server: 'https://b.example:6443'}\n"
		"- name: only-b\n"
		"  cluster: {server: 'https://only-b:6443', certificate-authority: ca.crt}\n"
		"contexts:\n"
		"- name: ctx-a\n"
		"  context: {cluster: only-b, user: ub}\n"
		"- name: ctx-b\n"
		"  context: {cluster: shared, user: ub, namespace: team-b}\n"
		"users:\n"
		"- name: ua\n"
		"  user: {token: token-a-from-b}\n"
		"- name: ub\n"
		"  user: {token: token-b}\n"
		"current-context: ctx-b\n");
	c = put("env/c/config", "users:\n- name: uc\n  user: {token: token-c}\n");

	snprintf(list, sizeof(list), "%s:%s", a, b);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kubeconfig_load(NULL, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "ctx-a");
	assert_string_equal(kc.server, "https://a.example:6443");
	assert_string_equal(kc.ca_file, tp("env/a/ca.crt"));
	assert_string_equal(kc.token, "token-a");
	kubeconfig_free(&kc);

	/* ctx-b only b has; its cluster "shared" is a's, which came first. */
	assert_int_equal(kubeconfig_load(NULL, "ctx-b", &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://a.example:6443");
	assert_string_equal(kc.namespace, "team-b");
	assert_string_equal(kc.token, "token-b");
	kubeconfig_free(&kc);

	/* The other order: b's current-context and b's entries. */
	snprintf(list, sizeof(list), "%s:%s", b, a);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kubeconfig_load(NULL, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "ctx-b");
	assert_string_equal(kc.server, "https://b.example:6443");
	assert_null(kc.ca_file);
	kubeconfig_free(&kc);
	assert_int_equal(kubeconfig_load(NULL, "ctx-a", &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://only-b:6443");
	/* A relative path is from the directory of the file that holds the entry. */
	assert_string_equal(kc.ca_file, tp("env/b/ca.crt"));
	assert_string_equal(kc.token, "token-b");
	kubeconfig_free(&kc);

	/* Missing files and empty entries are skipped; a repeated file is read once. */
	snprintf(list, sizeof(list), "%s::%s:%s:%s", tp("env/missing"), a, b, a);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kubeconfig_load(NULL, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "ctx-a");
	kubeconfig_free(&kc);

	/* A first file without current-context leaves it to the next. */
	snprintf(list, sizeof(list), "%s:%s", c, b);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kubeconfig_load(NULL, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "ctx-b");
	assert_string_equal(kc.server, "https://b.example:6443");
	kubeconfig_free(&kc);

	/* Errors name the list. */
	assert_int_equal(kubeconfig_load(NULL, "nope", &kc, err, sizeof(err)), -ENOENT);
	snprintf(list, sizeof(list), "kubeconfig %s:%s: context \"nope\" not found", c, b);
	assert_string_equal(err, list);

	/* Only missing files: nothing to go on. */
	setenv("KUBECONFIG", tp("env/missing"), 1);
	assert_int_equal(kubeconfig_load(NULL, NULL, &kc, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no configuration has been provided"));

	/* An explicit path ignores $KUBECONFIG. */
	snprintf(list, sizeof(list), "%s:%s", b, a);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kubeconfig_load(a, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "ctx-a");
	kubeconfig_free(&kc);
	unsetenv("KUBECONFIG");
}

/* No path, no $KUBECONFIG: ~/.kube/config. */
static void test_load_default_home(void **state)
{
	const char *home = getenv("HOME");
	char *saved = home ? strdup(home) : NULL, err[1024];
	struct kubeconfig kc;
	int ret;

	(void)state;
	setenv("HOME", tp("home"), 1);
	setenv("KUBECONFIG", "", 1); /* empty is unset */
	ret = kubeconfig_load(NULL, NULL, &kc, err, sizeof(err));
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(err, "/home/.kube/config: no configuration has been provided"));
	put("home/.kube/config", CLUSTER_C USER_U CTX_X);
	ret = kubeconfig_load(NULL, NULL, &kc, err, sizeof(err));
	if (saved)
		setenv("HOME", saved, 1);
	else
		unsetenv("HOME");
	free(saved);
	unsetenv("KUBECONFIG");
	if (ret)
		fail_msg("%s", err);
	assert_string_equal(kc.server, "https://c");
	assert_string_equal(kc.token, "t");
	kubeconfig_free(&kc);
}

/* Anchors, aliases and merge keys in a kubeconfig, as people write them to share settings. */
static void test_load_anchors(void **state)
{
	const char *path = put("anchors/config",
			       "apiVersion: v1\n"
			       "kind: Config\n"
			       "x-defaults:\n"
			       "  cluster: &base\n"
			       "    server: https://base:6443\n"
			       "    insecure-skip-tls-verify: true\n"
			       "  creds: &creds\n"
			       "    token: shared-token\n"
			       "clusters:\n"
			       "- name: c1\n"
			       "  cluster:\n"
			       "    <<: *base\n"
			       "    server: https://c1:6443\n"
			       "- name: c2\n"
			       "  cluster: *base\n"
			       "contexts:\n"
			       "- name: one\n"
			       "  context: &ctx {cluster: c1, user: u1, namespace: ns1}\n"
			       "- name: two\n"
			       "  context:\n"
			       "    <<: *ctx\n"
			       "    cluster: c2\n"
			       "users:\n"
			       "- name: u1\n"
			       "  user: *creds\n"
			       "current-context: two\n");
	struct kubeconfig kc;
	char err[512];

	(void)state;
	assert_int_equal(kubeconfig_load(path, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.cluster_name, "c2");
	assert_string_equal(kc.server, "https://base:6443");
	assert_true(kc.insecure);
	assert_string_equal(kc.namespace, "ns1");
	assert_string_equal(kc.token, "shared-token");
	kubeconfig_free(&kc);

	assert_int_equal(kubeconfig_load(path, "one", &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://c1:6443");
	assert_true(kc.insecure);
	kubeconfig_free(&kc);
}

static void test_load_bad_args(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(kubeconfig_load("/nonexistent", NULL, NULL, err, sizeof(err)), -EINVAL);
	/* No err buffer is fine. */
	{
		struct kubeconfig kc;

		assert_int_equal(kubeconfig_load(tp("nothing"), NULL, &kc, NULL, 0), -ENOENT);
	}
	kubeconfig_free(NULL);
}

/* --- kubeconfig_write --- */

static void put_creds(void)
{
	put("w/pki/ca.crt", CA_PEM);
	put("w/pki/client.crt", CERT_PEM);
	put("w/pki/client.key", KEY_PEM);
}

static void test_write_round_trip(void **state)
{
	const char *path = tp("w/new/dir/config");
	struct kubeconfig kc;
	struct stat st;
	char err[512];
	struct dirent *de;
	DIR *d;

	(void)state;
	put_creds();
	assert_int_equal(kubeconfig_write_ns(path, "kbpf-dev", "https://10.99.0.1:6443", "team-a",
					     tp("w/pki/ca.crt"), tp("w/pki/client.crt"),
					     tp("w/pki/client.key"), "abc.def", err, sizeof(err)),
			 0);
	/* Credentials inside: owner-only, and its new directory too. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(tp("w/new/dir"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	assert_int_equal(kubeconfig_load(path, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "kbpf-dev");
	assert_string_equal(kc.cluster_name, "kbpf-dev");
	assert_string_equal(kc.user_name, "kbpf-dev");
	assert_string_equal(kc.server, "https://10.99.0.1:6443");
	assert_string_equal(kc.namespace, "team-a");
	assert_bytes(kc.ca_data, kc.ca_len, CA_PEM);
	assert_bytes(kc.client_cert_data, kc.client_cert_len, CERT_PEM);
	assert_bytes(kc.client_key_data, kc.client_key_len, KEY_PEM);
	assert_string_equal(kc.token, "abc.def");
	assert_false(kc.insecure);
	kubeconfig_free(&kc);

	/* Over an existing file: replaced whole, no temporary left behind. */
	assert_int_equal(kubeconfig_write(path, NULL, "http://127.0.0.1:8080", NULL, NULL, NULL,
					  NULL, err, sizeof(err)),
			 0);
	assert_int_equal(kubeconfig_load(path, NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.context, "kbpf");
	assert_string_equal(kc.server, "http://127.0.0.1:8080");
	assert_string_equal(kc.namespace, "default");
	assert_null(kc.ca_data);
	assert_null(kc.token);
	kubeconfig_free(&kc);
	d = opendir(tp("w/new/dir"));
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, "config"))
			fail_msg("left behind: %s", de->d_name);
	closedir(d);
}

/* Strings YAML would read as something else are quoted on the way out. */
static void test_write_quoting(void **state)
{
	static const char *const tokens[] = {
		"true", "0755", "~", "null", "123", "1e3", "yes", "a: b", "#x", "- x", "'q'",
		"\"dq\"", " lead", "trail ", "multi\nline", "<<", "@at", "%pct", "&amp", "*star",
		"caf\xc3\xa9",
	};
	const char *path = tp("w/quote/config");
	struct kubeconfig kc;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(tokens); i++) {
		if (kubeconfig_write(path, "yes", "https://h:1", NULL, NULL, NULL, tokens[i], err,
				     sizeof(err)))
			fail_msg("write %s: %s", tokens[i], err);
		if (kubeconfig_load(path, NULL, &kc, err, sizeof(err)))
			fail_msg("load %s: %s", tokens[i], err);
		assert_string_equal(kc.token, tokens[i]);
		assert_string_equal(kc.context, "yes");
		kubeconfig_free(&kc);
	}
}

static void test_write_errors(void **state)
{
	char err[512];
	int ret;

	(void)state;
	put_creds();
	ret = kubeconfig_write(tp("w/e/config"), "x", NULL, NULL, NULL, NULL, NULL, err,
			       sizeof(err));
	assert_int_equal(ret, -EINVAL);
	ret = kubeconfig_write(tp("w/e/config"), "x", "https://h", NULL, tp("w/pki/client.crt"),
			       NULL, NULL, err, sizeof(err));
	assert_int_equal(ret, -EINVAL);
	assert_non_null(strstr(err, "a client certificate needs its key"));
	ret = kubeconfig_write(tp("w/e/config"), "x", "https://h", tp("w/pki/nope.crt"), NULL,
			       NULL, NULL, err, sizeof(err));
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(err, "nope.crt: No such file or directory"));
	/* Nothing was written by the failures. */
	assert_int_equal(access(tp("w/e/config"), F_OK), -1);
	/* A directory in the way. */
	put("w/e/file", "x");
	ret = kubeconfig_write(tp("w/e/file/config"), "x", "https://h", NULL, NULL, NULL, NULL,
			       err, sizeof(err));
	assert_int_equal(ret, -ENOTDIR);
	assert_non_null(strstr(err, "cannot create its directory"));
}

/* The real kubectl reads what we write, and sees what we meant. */
static void test_write_kubectl_reads_it(void **state)
{
	const char *path = tp("w/kubectl/config");
	char cmd[PATH_MAX + 128], out[16384], err[512];
	json_error_t jerr;
	json_t *v, *cluster, *user, *ctx;
	size_t n;
	FILE *p;
	int status;

	(void)state;
	if (system("kubectl version --client >/dev/null 2>&1") != 0)
		skip();
	put_creds();
	assert_int_equal(kubeconfig_write_ns(path, "kbpf", "https://10.99.0.1:6443", "kube-system",
					     tp("w/pki/ca.crt"), tp("w/pki/client.crt"),
					     tp("w/pki/client.key"), "true", err, sizeof(err)),
			 0);
	snprintf(cmd, sizeof(cmd), "kubectl --kubeconfig '%s' config view --raw -o json 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	if (status != 0)
		fail_msg("kubectl failed (%d): %s", status, out);
	v = json_loads(out, 0, &jerr);
	if (!v)
		fail_msg("kubectl output is not JSON (%s): %s", jerr.text, out);
	assert_string_equal(json_string_value(json_object_get(v, "current-context")), "kbpf");
	cluster = json_object_get(json_array_get(json_object_get(v, "clusters"), 0), "cluster");
	assert_string_equal(json_string_value(json_object_get(cluster, "server")),
			    "https://10.99.0.1:6443");
	assert_string_equal(json_string_value(json_object_get(cluster, "certificate-authority-data")),
			    CA_B64);
	user = json_object_get(json_array_get(json_object_get(v, "users"), 0), "user");
	assert_string_equal(json_string_value(json_object_get(user, "client-certificate-data")),
			    CERT_B64);
	assert_string_equal(json_string_value(json_object_get(user, "client-key-data")), KEY_B64);
	/* "true" stayed a string token: kubectl would have refused a boolean. */
	assert_string_equal(json_string_value(json_object_get(user, "token")), "true");
	ctx = json_object_get(json_array_get(json_object_get(v, "contexts"), 0), "context");
	assert_string_equal(json_string_value(json_object_get(ctx, "namespace")), "kube-system");
	assert_string_equal(json_string_value(json_object_get(ctx, "user")), "kbpf");
	json_decref(v);

	/* And kubectl's own JSON output loads back here. */
	put("w/kubectl/from-kubectl.json", out);
	{
		struct kubeconfig kc;

		assert_int_equal(kubeconfig_load(tp("w/kubectl/from-kubectl.json"), NULL, &kc, err,
						  sizeof(err)),
				 0);
		assert_string_equal(kc.server, "https://10.99.0.1:6443");
		assert_string_equal(kc.token, "true");
		assert_bytes(kc.ca_data, kc.ca_len, CA_PEM);
		kubeconfig_free(&kc);
	}
}

/* The kind/minikube file through kubectl's eyes: the same server for the same context. */
static void test_kubectl_agrees(void **state)
{
	static const char *const contexts[] = { "kind-kind", "minikube", "lab" };
	const char *path = write_kind_minikube();
	char cmd[PATH_MAX + 256], out[1024], err[512];
	struct kubeconfig kc;
	size_t i, n;
	FILE *p;

	(void)state;
	if (system("kubectl version --client >/dev/null 2>&1") != 0)
		skip();
	for (i = 0; i < ARRAY_SIZE(contexts); i++) {
		snprintf(cmd, sizeof(cmd),
			 "kubectl --kubeconfig '%s' --context '%s' config view --minify "
			 "-o jsonpath='{.clusters[0].cluster.server} {.contexts[0].context.namespace}' 2>&1",
			 path, contexts[i]);
		p = popen(cmd, "r");
		assert_non_null(p);
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		assert_int_equal(pclose(p), 0);
		assert_int_equal(kubeconfig_load(path, contexts[i], &kc, err, sizeof(err)), 0);
		/* kubectl prints no namespace where the context has none; we say "default". */
		snprintf(cmd, sizeof(cmd), "%s %s", kc.server,
			 strcmp(kc.namespace, "default") ? kc.namespace : "");
		assert_string_equal(out, cmd);
		kubeconfig_free(&kc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_to_json),
		cmocka_unit_test(test_yaml_to_json_len),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_yaml_alias_bomb),
		cmocka_unit_test(test_yaml_too_deep),
		cmocka_unit_test(test_yaml_alias_copy),
		cmocka_unit_test(test_yaml_docs),
		cmocka_unit_test(test_load_current_context),
		cmocka_unit_test(test_load_context_override),
		cmocka_unit_test(test_load_json),
		cmocka_unit_test(test_load_relative_paths),
		cmocka_unit_test(test_load_base64),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_kubeconfig_env),
		cmocka_unit_test(test_load_default_home),
		cmocka_unit_test(test_load_anchors),
		cmocka_unit_test(test_load_bad_args),
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_write_quoting),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_write_kubectl_reads_it),
		cmocka_unit_test(test_kubectl_agrees),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
