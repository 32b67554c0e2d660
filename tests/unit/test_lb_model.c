/* test_lb_model.c — unit tests of lb_model: Kubernetes objects into frontends and backends. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lb_model.h"

/*
 * Test JSON is written with single quotes so that it reads like the objects it stands
 * for; js() turns them into double quotes. No test string needs a literal apostrophe.
 */
#define SVC(ns, name, spec)                                                                \
	"{'kind':'Service','metadata':{'namespace':'" ns "','name':'" name "'},"            \
	"'spec':" spec "}"
#define SLICE(ns, name, svc, ports, endpoints)                                             \
	"{'kind':'EndpointSlice','metadata':{'namespace':'" ns "','name':'" name "',"       \
	"'labels':{'kubernetes.io/service-name':'" svc "'}},'addressType':'IPv4',"          \
	"'ports':" ports ",'endpoints':" endpoints "}"
#define HTTP_PORTS "[{'name':'http','port':8080,'protocol':'TCP'}]"
/* The plain Service most tests start from: ClusterIP 10.96.0.10, port "http" 80. */
#define WEB_SVC SVC("shop", "web", "{'clusterIP':'10.96.0.10','ports':[{'name':'http','port':80}]}")

/* Endpoints on this node (node-a) and on another one. */
#define EP_LOCAL   "{'addresses':['10.1.0.1'],'nodeName':'node-a'}"
#define EP_REMOTE  "{'addresses':['10.1.0.2'],'nodeName':'node-b'}"
#define EP_LOCAL_TERMINATING                                                               \
	"{'addresses':['10.1.0.1'],'nodeName':'node-a',"                                   \
	"'conditions':{'ready':false,'serving':true,'terminating':true}}"

/* Expected backend lists: "addr:port" strings, NULL-terminated. */
#define SET(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define EMPTY    ((const char *const[]){ NULL })

struct fx {
	json_t *doc;          /* the List under test */
	struct lb_desired d;  /* its result */
	char err[512];
	const char *row;      /* table row being checked, shown if the test fails */
};

static const struct lb_node *test_node(void)
{
	static __be32 ips[2];
	static const struct lb_node node = { .name = "node-a", .ips = ips, .n_ips = 2 };

	ips[0] = inet_addr("192.168.1.10");
	ips[1] = inet_addr("192.168.1.11");
	return &node;
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct fx));
	return *state ? 0 : -1;
}

/* Runs after failed tests too, so that valgrind stays clean whatever the outcome. */
static int teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->row)
		print_error("  in table row: %s\n", fx->row);
	lb_desired_free(&fx->d);
	json_decref(fx->doc);
	free(fx);
	return 0;
}

static void fx_reset(struct fx *fx)
{
	lb_desired_free(&fx->d);
	json_decref(fx->doc);
	fx->doc = NULL;
	fx->err[0] = '\0';
}

static char *dequote(const char *src)
{
	char *text = strdup(src), *p;

	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	return text;
}

static json_t *js(const char *src)
{
	char *text = dequote(src);
	json_error_t jerr;
	json_t *v;

	v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!v)
		fail_msg("test JSON %d:%d: %s", jerr.line, jerr.column, jerr.text);
	return v;
}

/* Append one object to the List under test. */
static void add(struct fx *fx, const char *src)
{
	if (!fx->doc)
		fx->doc = js("{'kind':'List','items':[]}");
	assert_int_equal(json_array_append_new(json_object_get(fx->doc, "items"), js(src)), 0);
}

static void addf(struct fx *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addf(struct fx *fx, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	add(fx, buf);
}

static void run(struct fx *fx)
{
	int ret = lb_desired_from_json(fx->doc, test_node(), &fx->d, fx->err, sizeof(fx->err));

	if (ret)
		fail_msg("lb_desired_from_json: %d: %s", ret, fx->err);
}

static const char *be_str(char *buf, size_t len, const struct lb_backend_spec *b)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &b->addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(b->port));
	return buf;
}

static const char *kind_name(__u32 kind)
{
	return kind == SVC_F_CLUSTERIP ? "ClusterIP" : kind == SVC_F_NODEPORT ? "NodePort" :
	       kind == SVC_F_EXTERNALIP ? "ExternalIP" : "LoadBalancer";
}

/* The frontend of one kind (an SVC_F_ kind flag) at addr:port/proto; fails if none. */
static const struct lb_frontend_spec *get_fe(const struct lb_desired *d, __u32 kind,
					     const char *addr, __u16 port, __u8 proto)
{
	size_t i;

	for (i = 0; i < d->n_frontends; i++) {
		const struct lb_frontend_spec *f = &d->frontends[i];

		if (f->key.addr == inet_addr(addr) && f->key.port == htons(port) &&
		    f->key.proto == proto && (f->flags & kind))
			return f;
	}
	fail_msg("no %s frontend %s:%u/%s", kind_name(kind), addr, port, lb_proto_name(proto));
	return NULL;
}

/* The first frontend of a kind; fails if none. */
static const struct lb_frontend_spec *first_fe(const struct lb_desired *d, __u32 kind)
{
	size_t i;

	for (i = 0; i < d->n_frontends; i++)
		if (d->frontends[i].flags & kind)
			return &d->frontends[i];
	fail_msg("no %s frontend", kind_name(kind));
	return NULL;
}

static size_t count_owned(const struct lb_desired *d, const char *owner)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_frontends; i++)
		n += !strcmp(d->frontends[i].owner, owner);
	return n;
}

static const struct lb_backend_spec *get_be(const struct lb_desired *d, const char *want)
{
	char buf[32];
	size_t i;

	for (i = 0; i < d->n_backends; i++)
		if (!strcmp(be_str(buf, sizeof(buf), &d->backends[i]), want))
			return &d->backends[i];
	fail_msg("no backend %s", want);
	return NULL;
}

/* A backend set equals want, in order (slot order must be stable across syncs). */
static void check_set(const struct lb_desired *d, const char *what, const __u32 *ids, __u32 n,
		      const char *const *want)
{
	__u32 i, n_want = 0;
	char got[32];

	while (want[n_want])
		n_want++;
	for (i = 0; i < n && i < n_want; i++) {
		assert_true(ids[i] < d->n_backends);
		if (strcmp(be_str(got, sizeof(got), &d->backends[ids[i]]), want[i]))
			fail_msg("%s[%u] is %s, want %s", what, i, got, want[i]);
	}
	if (n != n_want)
		fail_msg("%s has %u backends, want %u", what, n, n_want);
}

/* A backend set holds want, in any order. */
static void check_members(const struct lb_desired *d, const char *what, const __u32 *ids,
			  __u32 n, const char *const *want)
{
	__u32 i, j, n_want = 0;
	char got[32];

	for (j = 0; want[j]; j++, n_want++) {
		for (i = 0; i < n; i++) {
			assert_true(ids[i] < d->n_backends);
			if (!strcmp(be_str(got, sizeof(got), &d->backends[ids[i]]), want[j]))
				break;
		}
		if (i == n)
			fail_msg("%s lacks %s", what, want[j]);
	}
	if (n != n_want)
		fail_msg("%s has %u backends, want %u", what, n, n_want);
}

/* Some warning contains both a and b (b may be NULL); all warnings shown if not. */
static void check_warning(const struct lb_desired *d, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < d->n_warnings; i++)
		if (strstr(d->warnings[i], a) && (!b || strstr(d->warnings[i], b)))
			return;
	for (i = 0; i < d->n_warnings; i++)
		print_error("  warning: %s\n", d->warnings[i]);
	fail_msg("no warning with \"%s\" and \"%s\"", a, b ? b : "");
}

/* --- the common case --- */

static void test_clusterip_basic(void **state)
{
	struct fx *fx = *state;
	const struct lb_frontend_spec *f;
	__u32 i;

	add(fx, SVC("shop", "web", "{'type':'ClusterIP','clusterIP':'10.96.0.10',"
		    "'ports':[{'name':'http','port':80,'protocol':'TCP','targetPort':'http'}]}"));
	/* Out of order, and ordered differently as strings and as raw __be32 values. */
	add(fx, SLICE("shop", "web-abc", "web", HTTP_PORTS,
		      "[{'addresses':['10.1.0.20']},{'addresses':['10.1.0.3']},"
		      "{'addresses':['10.0.9.200']}]"));
	run(fx);

	assert_int_equal(fx->d.n_frontends, 1);
	f = &fx->d.frontends[0];
	assert_int_equal(f->key.addr, htonl(0x0a60000a)); /* 10.96.0.10 */
	assert_int_equal(f->key.port, htons(80));
	assert_int_equal(f->key.proto, IPPROTO_TCP);
	assert_int_equal(f->key.pad, 0); /* the key is hashed whole */
	assert_int_equal(f->flags, SVC_F_CLUSTERIP);
	assert_int_equal(f->n_intl, 3);
	/* targetPort "http" resolves through the slice port of that name: 8080, not 80. */
	check_set(&fx->d, "intl", f->intl, f->n_intl,
		  SET("10.0.9.200:8080", "10.1.0.3:8080", "10.1.0.20:8080"));
	check_members(&fx->d, "all", f->all, f->n_all,
		      SET("10.0.9.200:8080", "10.1.0.3:8080", "10.1.0.20:8080"));
	assert_int_equal(fx->d.n_backends, 3);
	for (i = 0; i < fx->d.n_backends; i++) {
		assert_int_equal(fx->d.backends[i].proto, IPPROTO_TCP);
		assert_int_equal(fx->d.backends[i].flags, 0); /* ready, not on node-a */
	}
	assert_int_equal(fx->d.n_warnings, 0);
}

/* Slice ports are found by name (and protocol), not by position or number. */
static void test_ports_matched_by_name(void **state)
{
	struct fx *fx = *state;
	const struct lb_frontend_spec *f;

	add(fx, SVC("shop", "web", "{'clusterIP':'10.96.0.10','ports':["
		    "{'name':'http','port':80,'protocol':'TCP','targetPort':'web'},"
		    "{'name':'metrics','port':9090,'targetPort':9100},"
		    "{'name':'dns','port':53,'protocol':'UDP','targetPort':5353}]}"));
	add(fx, SLICE("shop", "web-abc", "web",
		      "[{'name':'dns','port':5353,'protocol':'UDP'},{'name':'metrics','port':9100},"
		      "{'name':'http','port':8080,'protocol':'TCP'}]",
		      "[{'addresses':['10.1.0.2']},{'addresses':['10.1.0.1']}]"));
	run(fx);

	assert_int_equal(fx->d.n_frontends, 3);
	f = get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.10", 80, IPPROTO_TCP);
	check_set(&fx->d, "http intl", f->intl, f->n_intl, SET("10.1.0.1:8080", "10.1.0.2:8080"));
	/* No protocol on either side: TCP. */
	f = get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.10", 9090, IPPROTO_TCP);
	check_set(&fx->d, "metrics intl", f->intl, f->n_intl,
		  SET("10.1.0.1:9100", "10.1.0.2:9100"));
	assert_int_equal(fx->d.backends[f->intl[0]].proto, IPPROTO_TCP);
	f = get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.10", 53, IPPROTO_UDP);
	check_set(&fx->d, "dns intl", f->intl, f->n_intl, SET("10.1.0.1:5353", "10.1.0.2:5353"));
	assert_int_equal(fx->d.backends[f->intl[0]].proto, IPPROTO_UDP);
	assert_int_equal(fx->d.backends[f->intl[1]].proto, IPPROTO_UDP);
	assert_int_equal(fx->d.n_backends, 6);
}

/* NodePort on every node address, externalIPs and load balancer IPs, next to the ClusterIP. */
static void test_external_frontends(void **state)
{
	static const struct {
		__u32 kind;
		const char *addr;
		__u16 port;
	} want[] = {
		{ SVC_F_CLUSTERIP, "10.96.0.20", 80 },
		{ SVC_F_NODEPORT, "192.168.1.10", 30080 },
		{ SVC_F_NODEPORT, "192.168.1.11", 30080 },
		{ SVC_F_EXTERNALIP, "203.0.113.5", 80 },
		{ SVC_F_LOADBALANCER, "198.51.100.7", 80 },
	};
	struct fx *fx = *state;
	size_t i;

	add(fx, "{'kind':'Service','metadata':{'namespace':'shop','name':'web'},"
		"'spec':{'type':'LoadBalancer','clusterIP':'10.96.0.20',"
		"'externalIPs':['203.0.113.5'],"
		"'ports':[{'name':'http','port':80,'nodePort':30080}]},"
		"'status':{'loadBalancer':{'ingress':[{'ip':'198.51.100.7'},"
		"{'hostname':'lb.example.com'}]}}}");
	add(fx, SLICE("shop", "web-abc", "web", HTTP_PORTS, "[" EP_REMOTE "]"));
	run(fx);

	/* The hostname-only ingress adds nothing and is not worth a warning. */
	assert_int_equal(fx->d.n_frontends, sizeof(want) / sizeof(want[0]));
	assert_int_equal(fx->d.n_warnings, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct lb_frontend_spec *f =
			get_fe(&fx->d, want[i].kind, want[i].addr, want[i].port, IPPROTO_TCP);

		/* Exactly one kind per frontend: XDP serves only the external ones. */
		assert_int_equal(f->flags & (SVC_F_CLUSTERIP | SVC_F_EXTERNAL), want[i].kind);
		check_set(&fx->d, "ext", f->ext, f->n_ext, SET("10.1.0.2:8080"));
		check_set(&fx->d, "intl", f->intl, f->n_intl, SET("10.1.0.2:8080"));
	}
}

/* --- endpoint conditions --- */

struct be_flags {
	const char *be;
	__u8 flags;
};

static const struct readiness_case {
	const char *desc;
	const char *endpoints;
	const char *const *intl; /* new flows, sorted */
	const char *const *all;  /* kept for existing flows */
	struct be_flags flags[4];
} readiness_cases[] = {
	{
		"ready=false: kept for flows, no new ones, terminating",
		"[{'addresses':['10.1.0.1'],'conditions':{'ready':true}},"
		" {'addresses':['10.1.0.2'],'conditions':{'ready':false}}]",
		SET("10.1.0.1:8080"), SET("10.1.0.1:8080", "10.1.0.2:8080"),
		{ { "10.1.0.1:8080", 0 }, { "10.1.0.2:8080", BE_F_TERMINATING } },
	},
	{
		"absent ready means ready",
		"[{'addresses':['10.1.0.1'],'conditions':{}},{'addresses':['10.1.0.2']}]",
		SET("10.1.0.1:8080", "10.1.0.2:8080"), SET("10.1.0.1:8080", "10.1.0.2:8080"),
		{ { "10.1.0.1:8080", 0 }, { "10.1.0.2:8080", 0 } },
	},
	{
		"none ready: serving terminating endpoints take new flows",
		"[{'addresses':['10.1.0.3'],"
		"  'conditions':{'ready':false,'serving':true,'terminating':true}},"
		" {'addresses':['10.1.0.1'],'conditions':{'ready':false}},"
		" {'addresses':['10.1.0.2'],"
		"  'conditions':{'ready':false,'serving':false,'terminating':true}}]",
		SET("10.1.0.3:8080"), SET("10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"),
		{ { "10.1.0.1:8080", BE_F_TERMINATING }, { "10.1.0.2:8080", BE_F_TERMINATING },
		  { "10.1.0.3:8080", BE_F_TERMINATING } },
	},
	{
		"one ready: serving terminating endpoints get no new flows",
		"[{'addresses':['10.1.0.1']},"
		" {'addresses':['10.1.0.2'],"
		"  'conditions':{'ready':false,'serving':true,'terminating':true}}]",
		SET("10.1.0.1:8080"), SET("10.1.0.1:8080", "10.1.0.2:8080"),
		{ { "10.1.0.1:8080", 0 }, { "10.1.0.2:8080", BE_F_TERMINATING } },
	},
	{
		"nodeName equal to the node name marks the backend local",
		"[" EP_LOCAL "," EP_REMOTE ",{'addresses':['10.1.0.3']}]",
		SET("10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"),
		SET("10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"),
		{ { "10.1.0.1:8080", BE_F_LOCAL }, { "10.1.0.2:8080", 0 }, { "10.1.0.3:8080", 0 } },
	},
};

static void test_readiness(void **state)
{
	struct fx *fx = *state;
	size_t i, j;

	for (i = 0; i < sizeof(readiness_cases) / sizeof(readiness_cases[0]); i++) {
		const struct readiness_case *c = &readiness_cases[i];
		const struct lb_frontend_spec *f;

		fx->row = c->desc;
		fx_reset(fx);
		add(fx, WEB_SVC);
		addf(fx, SLICE("shop", "web-abc", "web", HTTP_PORTS, "%s"), c->endpoints);
		run(fx);

		f = get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.10", 80, IPPROTO_TCP);
		check_set(&fx->d, "intl", f->intl, f->n_intl, c->intl);
		check_members(&fx->d, "all", f->all, f->n_all, c->all);
		for (j = 0; j < 4 && c->flags[j].be; j++)
			assert_int_equal(get_be(&fx->d, c->flags[j].be)->flags, c->flags[j].flags);
	}
	fx->row = NULL;
}

/* --- traffic policies --- */

static const struct policy_case {
	const char *desc;
	const char *type, *etp, *itp;
	const char *endpoints;
	__u32 kind;              /* the frontend checked */
	const char *const *ext;  /* NULL: not checked */
	const char *const *intl;
	__u32 flags_set, flags_clear;
} policy_cases[] = {
	{
		"ETP Local: outside traffic to local endpoints, pod traffic to all",
		"NodePort", "Local", "Cluster", "[" EP_LOCAL "," EP_REMOTE "]", SVC_F_NODEPORT,
		SET("10.1.0.1:8080"), SET("10.1.0.1:8080", "10.1.0.2:8080"),
		SVC_F_ETP_LOCAL, SVC_F_EXT_DROP | SVC_F_INT_DROP,
	},
	{
		"ETP Local, endpoints only elsewhere: outside traffic dropped",
		"NodePort", "Local", "Cluster", "[" EP_REMOTE "]", SVC_F_NODEPORT,
		EMPTY, SET("10.1.0.2:8080"), SVC_F_EXT_DROP, SVC_F_INT_DROP,
	},
	{
		"ETP Local, no endpoints at all: rejected, not dropped",
		"NodePort", "Local", "Cluster", "[]", SVC_F_NODEPORT,
		EMPTY, EMPTY, 0, SVC_F_EXT_DROP,
	},
	{
		"ETP Local, local endpoint only terminating: it still serves outside traffic",
		"NodePort", "Local", "Cluster", "[" EP_LOCAL_TERMINATING "," EP_REMOTE "]",
		SVC_F_NODEPORT, SET("10.1.0.1:8080"), SET("10.1.0.2:8080"), 0, SVC_F_EXT_DROP,
	},
	{
		"ETP Local does not restrict the ClusterIP",
		"NodePort", "Local", "Cluster", "[" EP_LOCAL "," EP_REMOTE "]", SVC_F_CLUSTERIP,
		NULL, SET("10.1.0.1:8080", "10.1.0.2:8080"), 0, SVC_F_INT_DROP,
	},
	{
		"ITP Local: pod traffic to the ClusterIP goes to local endpoints",
		"ClusterIP", "Cluster", "Local", "[" EP_LOCAL "," EP_REMOTE "]", SVC_F_CLUSTERIP,
		NULL, SET("10.1.0.1:8080"), SVC_F_ITP_LOCAL, SVC_F_INT_DROP,
	},
	{
		"ITP Local, endpoints only elsewhere: pod traffic dropped",
		"ClusterIP", "Cluster", "Local", "[" EP_REMOTE "]", SVC_F_CLUSTERIP,
		NULL, EMPTY, SVC_F_INT_DROP, 0,
	},
	{
		"ITP Local, no endpoints at all: rejected, not dropped",
		"ClusterIP", "Cluster", "Local", "[]", SVC_F_CLUSTERIP,
		NULL, EMPTY, 0, SVC_F_INT_DROP,
	},
};

static void add_policy_service(struct fx *fx, const char *type, const char *etp,
			       const char *itp, const char *endpoints)
{
	addf(fx, SVC("shop", "web", "{'type':'%s','clusterIP':'10.96.0.10',"
		     "'externalTrafficPolicy':'%s','internalTrafficPolicy':'%s',"
		     "'ports':[{'name':'http','port':80,'nodePort':30080}]}"),
	     type, etp, itp);
	addf(fx, SLICE("shop", "web-abc", "web", HTTP_PORTS, "%s"), endpoints);
}

static void test_traffic_policy(void **state)
{
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		const struct policy_case *c = &policy_cases[i];
		const struct lb_frontend_spec *f;

		fx->row = c->desc;
		fx_reset(fx);
		add_policy_service(fx, c->type, c->etp, c->itp, c->endpoints);
		run(fx);

		f = first_fe(&fx->d, c->kind);
		if (c->ext)
			check_set(&fx->d, "ext", f->ext, f->n_ext, c->ext);
		check_set(&fx->d, "intl", f->intl, f->n_intl, c->intl);
		assert_int_equal(f->flags & c->flags_set, c->flags_set);
		assert_int_equal(f->flags & c->flags_clear, 0);
		/* Whatever the policy, every endpoint is kept for its flows. */
		assert_int_equal(f->n_all, json_array_size(
			json_object_get(json_array_get(json_object_get(fx->doc, "items"), 1),
					"endpoints")));
	}
	fx->row = NULL;
}

/*
 * kube-proxy applies neither traffic policy to pods reaching a NodePort, externalIP or
 * load balancer IP (it "simulates going up-and-out to an external load-balancer and
 * coming back in"): internalTrafficPolicy is for the ClusterIP only.
 */
static void test_itp_local_not_applied_to_external_frontends(void **state)
{
	struct fx *fx = *state;
	const struct lb_frontend_spec *f;

	add_policy_service(fx, "NodePort", "Cluster", "Local", "[" EP_REMOTE "]");
	run(fx);

	f = get_fe(&fx->d, SVC_F_NODEPORT, "192.168.1.10", 30080, IPPROTO_TCP);
	check_set(&fx->d, "NodePort intl", f->intl, f->n_intl, SET("10.1.0.2:8080"));
	assert_int_equal(f->flags & SVC_F_INT_DROP, 0);
}

/* --- session affinity --- */

static const struct affinity_case {
	const char *desc;
	const char *spec; /* fields added to the Service spec */
	__u32 flags, timeout;
} affinity_cases[] = {
	{ "ClientIP with a timeout",
	  "'sessionAffinity':'ClientIP',"
	  "'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':600}}",
	  SVC_F_AFFINITY, 600 },
	{ "ClientIP without config: Kubernetes' default of 3 hours",
	  "'sessionAffinity':'ClientIP'", SVC_F_AFFINITY, 10800 },
	{ "None", "'sessionAffinity':'None'", 0, 0 },
	{ "absent", "'selector':{'app':'web'}", 0, 0 },
};

static void test_session_affinity(void **state)
{
	struct fx *fx = *state;
	size_t i, j;

	for (i = 0; i < sizeof(affinity_cases) / sizeof(affinity_cases[0]); i++) {
		const struct affinity_case *c = &affinity_cases[i];

		fx->row = c->desc;
		fx_reset(fx);
		addf(fx, SVC("shop", "web", "{%s,'clusterIP':'10.96.0.10','type':'NodePort',"
			     "'ports':[{'name':'http','port':80,'nodePort':30080}]}"),
		     c->spec);
		run(fx);

		/* Every frontend of the Service, ClusterIP and NodePort alike. */
		assert_int_equal(fx->d.n_frontends, 3);
		for (j = 0; j < fx->d.n_frontends; j++) {
			assert_int_equal(fx->d.frontends[j].flags & SVC_F_AFFINITY, c->flags);
			assert_int_equal(fx->d.frontends[j].affinity_timeout, c->timeout);
		}
	}
	fx->row = NULL;
}

/* --- names --- */

static const struct name_case {
	const char *desc;
	const char *port;
	const char *name;
} name_cases[] = {
	{ "named port", "{'name':'http','port':80}", "shop/web:http" },
	{ "unnamed port: the port number", "{'port':8443}", "shop/web:8443" },
};

static void test_names(void **state)
{
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		const struct name_case *c = &name_cases[i];

		fx->row = c->desc;
		fx_reset(fx);
		addf(fx, SVC("shop", "web", "{'clusterIP':'10.96.0.10','ports':[%s]}"), c->port);
		run(fx);

		assert_int_equal(fx->d.n_frontends, 1);
		assert_string_equal(fx->d.frontends[0].name, c->name);
		/* The owner is the unit of partial syncs: the Service, without the port. */
		assert_string_equal(fx->d.frontends[0].owner, "shop/web");
	}
	fx->row = NULL;
}

/* --- Services with nothing to balance --- */

#define HEADLESS_DB(extra)                                                                 \
	SVC("shop", "db", "{'clusterIP':'None'" extra ",'ports':[{'name':'pg','port':5432}]}")
#define DB_SLICE                                                                           \
	SLICE("shop", "db-abc", "db", "[{'name':'pg','port':5432}]",                        \
	      "[{'addresses':['10.1.0.5']}]")

static void test_headless_and_externalname(void **state)
{
	struct fx *fx = *state;

	add(fx, HEADLESS_DB(""));
	add(fx, DB_SLICE);
	add(fx, SVC("shop", "ext", "{'type':'ExternalName','externalName':'db.example.com'}"));
	run(fx);

	assert_int_equal(fx->d.n_frontends, 0);
	assert_int_equal(fx->d.n_warnings, 0); /* both are normal, not errors */
}

/* kube-proxy skips a Service whose clusterIP is None entirely, externalIPs included. */
static void test_headless_externalips_not_served(void **state)
{
	struct fx *fx = *state;

	add(fx, HEADLESS_DB(",'externalIPs':['203.0.113.9']"));
	add(fx, DB_SLICE);
	run(fx);

	assert_int_equal(fx->d.n_frontends, 0);
}

/*
 * Backends are "the backends they use" (lb_model.h): the data plane gives every one an
 * id and a map entry, so endpoints of headless Services (often large StatefulSets) must
 * not count against lb4_backends.
 */
static void test_headless_adds_no_backends(void **state)
{
	struct fx *fx = *state;

	add(fx, HEADLESS_DB(""));
	add(fx, DB_SLICE);
	run(fx);

	assert_int_equal(fx->d.n_frontends, 0);
	assert_int_equal(fx->d.n_backends, 0);
}

static const struct no_endpoints_case {
	const char *desc;
	const char *slice; /* NULL: none */
} no_endpoints_cases[] = {
	{ "no EndpointSlice", NULL },
	{ "slice of a same-named Service in another namespace",
	  SLICE("other", "web-abc", "web", HTTP_PORTS, "[" EP_LOCAL "]") },
	{ "slice without the service-name label",
	  "{'kind':'EndpointSlice','metadata':{'namespace':'shop','name':'web-abc'},"
	  "'addressType':'IPv4','ports':" HTTP_PORTS ",'endpoints':[" EP_LOCAL "]}" },
	{ "IPv6 slice",
	  "{'kind':'EndpointSlice','metadata':{'namespace':'shop','name':'web-v6',"
	  "'labels':{'kubernetes.io/service-name':'web'}},'addressType':'IPv6',"
	  "'ports':" HTTP_PORTS ",'endpoints':[{'addresses':['fd00::1']}]}" },
	{ "slice for another port name",
	  SLICE("shop", "web-abc", "web", "[{'name':'grpc','port':9000}]", "[" EP_LOCAL "]") },
};

/* A Service without usable endpoints keeps its frontends, with empty sets: reject. */
static void test_no_endpoints(void **state)
{
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(no_endpoints_cases) / sizeof(no_endpoints_cases[0]); i++) {
		const struct no_endpoints_case *c = &no_endpoints_cases[i];
		const struct lb_frontend_spec *f;

		fx->row = c->desc;
		fx_reset(fx);
		add(fx, WEB_SVC);
		if (c->slice)
			add(fx, c->slice);
		run(fx);

		assert_int_equal(fx->d.n_frontends, 1);
		f = &fx->d.frontends[0];
		assert_int_equal(f->n_ext, 0);
		assert_int_equal(f->n_intl, 0);
		assert_int_equal(f->n_all, 0);
		assert_int_equal(f->flags, SVC_F_CLUSTERIP); /* no DROP flag: rejected */
	}
	fx->row = NULL;
}

/* --- bad input --- */

static const struct doc_case {
	const char *desc;
	const char *text;
	int ret;
	const char *err;   /* substring of the message */
	size_t frontends;  /* on success */
} doc_cases[] = {
	{ "malformed JSON: the message gives file and line",
	  "{\n  'kind': 'List',\n  'items': [\n    {'kind': 'Service',}\n  ]\n}\n",
	  -EINVAL, ":4:", 0 },
	{ "not an object", "['kind', 'List']", -EINVAL, "not a JSON object", 0 },
	{ "List without items", "{'kind':'List'}", -EINVAL, "items", 0 },
	{ "ServiceList whose items is not an array", "{'kind':'ServiceList','items':{}}",
	  -EINVAL, "items", 0 },
	{ "empty List", "{'kind':'List','items':[]}", 0, NULL, 0 },
	{ "a single Service, not in a List",
	  WEB_SVC,
	  0, NULL, 1 },
};

static void test_document_errors(void **state)
{
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(doc_cases) / sizeof(doc_cases[0]); i++) {
		const struct doc_case *c = &doc_cases[i];
		struct lb_desired poison, before, *out;
		char path[] = "/tmp/test_lb_model.XXXXXX";
		char *text = dequote(c->text);
		int fd, ret;
		ssize_t n;

		fx->row = c->desc;
		fx_reset(fx);
		fd = mkstemp(path);
		if (fd < 0) {
			free(text);
			fail_msg("mkstemp: %s", strerror(errno));
		}
		n = write(fd, text, strlen(text));
		close(fd);
		free(text);
		if (n < 0 || (size_t)n != strlen(c->text)) {
			unlink(path);
			fail_msg("write %s failed", path);
		}
		/* On error out must be left alone: the caller keeps its last good state. */
		memset(&poison, 0x5a, sizeof(poison));
		before = poison;
		out = c->ret ? &poison : &fx->d;
		ret = lb_desired_from_file(path, test_node(), out, fx->err, sizeof(fx->err));
		unlink(path);

		assert_int_equal(ret, c->ret);
		if (c->ret) {
			assert_memory_equal(&poison, &before, sizeof(poison));
			assert_non_null(strstr(fx->err, c->err));
			if (!strcmp(c->err, ":4:"))
				assert_non_null(strstr(fx->err, path));
		} else {
			assert_int_equal(fx->d.n_frontends, c->frontends);
		}
	}
	fx->row = NULL;

	/* The same check without a file: a document that is not an object. */
	fx->doc = json_array();
	assert_int_equal(lb_desired_from_json(fx->doc, test_node(), &fx->d, fx->err,
					      sizeof(fx->err)), -EINVAL);
	assert_non_null(strstr(fx->err, "not a JSON object"));
}

#define BAD_SVC(spec) SVC("default", "bad", spec)

static const struct skip_case {
	const char *desc;
	const char *bad[2];   /* objects next to a valid Service */
	const char *warn[2];  /* both in one warning */
	size_t bad_frontends; /* what default/bad still gets */
} skip_cases[] = {
	{ "invalid clusterIP",
	  { BAD_SVC("{'clusterIP':'10.96.0.300','ports':[{'name':'http','port':80}]}") },
	  { "Service default/bad", "10.96.0.300" }, 0 },
	{ "port out of range",
	  { BAD_SVC("{'clusterIP':'10.96.0.2','ports':[{'name':'http','port':70000}]}") },
	  { "Service default/bad", "port http" }, 0 },
	{ "SCTP port",
	  { BAD_SVC("{'clusterIP':'10.96.0.2','ports':[{'name':'sig','port':36412,"
		    "'protocol':'SCTP'}]}") },
	  { "Service default/bad", "SCTP" }, 0 },
	{ "unknown Service type",
	  { BAD_SVC("{'type':'Magic','clusterIP':'10.96.0.2',"
		    "'ports':[{'name':'http','port':80}]}") },
	  { "Service default/bad", "Magic" }, 0 },
	{ "non-IPv4 endpoint address: only that address is skipped",
	  { BAD_SVC("{'clusterIP':'10.96.0.2','ports':[{'name':'http','port':80}]}"),
	    SLICE("default", "bad-x1", "bad", HTTP_PORTS,
		  "[{'addresses':['fd00::1']},{'addresses':['10.1.0.9']}]") },
	  { "EndpointSlice default/bad-x1", "fd00::1" }, 1 },
};

static void test_skipped_objects(void **state)
{
	struct fx *fx = *state;
	size_t i, j;

	for (i = 0; i < sizeof(skip_cases) / sizeof(skip_cases[0]); i++) {
		const struct skip_case *c = &skip_cases[i];
		const struct lb_frontend_spec *f;

		fx->row = c->desc;
		fx_reset(fx);
		for (j = 0; j < 2 && c->bad[j]; j++)
			add(fx, c->bad[j]);
		add(fx, SVC("default", "good",
			    "{'clusterIP':'10.96.0.1','ports':[{'name':'http','port':80}]}"));
		add(fx, SLICE("default", "good-1", "good", HTTP_PORTS, "[" EP_REMOTE "]"));
		run(fx);

		check_warning(&fx->d, c->warn[0], c->warn[1]);
		assert_int_equal(count_owned(&fx->d, "default/bad"), c->bad_frontends);
		f = get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.1", 80, IPPROTO_TCP);
		check_set(&fx->d, "good intl", f->intl, f->n_intl, SET("10.1.0.2:8080"));
		if (c->bad_frontends) {
			f = get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.2", 80, IPPROTO_TCP);
			check_set(&fx->d, "bad intl", f->intl, f->n_intl, SET("10.1.0.9:8080"));
		}
	}
	fx->row = NULL;
}

/* Two Services claim one externalIP:port: namespace/name order decides, not List order. */
static void test_duplicate_frontend(void **state)
{
	struct fx *fx = *state;
	const struct lb_frontend_spec *f;
	size_t i, n = 0;

	add(fx, SVC("team-b", "web", "{'clusterIP':'10.96.0.31','externalIPs':['203.0.113.5'],"
		    "'ports':[{'name':'http','port':80}]}"));
	add(fx, SLICE("team-b", "web-1", "web", HTTP_PORTS, "[{'addresses':['10.2.0.1']}]"));
	add(fx, SVC("team-a", "web", "{'clusterIP':'10.96.0.30','externalIPs':['203.0.113.5'],"
		    "'ports':[{'name':'http','port':80}]}"));
	add(fx, SLICE("team-a", "web-1", "web", HTTP_PORTS, "[{'addresses':['10.1.0.1']}]"));
	run(fx);

	for (i = 0; i < fx->d.n_frontends; i++)
		n += fx->d.frontends[i].key.addr == inet_addr("203.0.113.5");
	assert_int_equal(n, 1);
	f = get_fe(&fx->d, SVC_F_EXTERNALIP, "203.0.113.5", 80, IPPROTO_TCP);
	assert_string_equal(f->owner, "team-a/web");
	check_set(&fx->d, "ext", f->ext, f->n_ext, SET("10.1.0.1:8080"));
	check_warning(&fx->d, "team-b/web", "team-a/web");
	/* The loser keeps what is its own. */
	get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.31", 80, IPPROTO_TCP);
	get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.30", 80, IPPROTO_TCP);
}

/* During a move between slices one address is listed twice: still one backend. */
static void test_endpoint_in_two_slices(void **state)
{
	struct fx *fx = *state;
	const struct lb_frontend_spec *f;

	add(fx, WEB_SVC);
	add(fx, SLICE("shop", "web-1", "web", HTTP_PORTS,
		      "[{'addresses':['10.1.0.1']},{'addresses':['10.1.0.2']}]"));
	add(fx, SLICE("shop", "web-2", "web", HTTP_PORTS,
		      "[{'addresses':['10.1.0.1']},{'addresses':['10.1.0.3']}]"));
	run(fx);

	assert_int_equal(fx->d.n_backends, 3);
	f = get_fe(&fx->d, SVC_F_CLUSTERIP, "10.96.0.10", 80, IPPROTO_TCP);
	check_set(&fx->d, "intl", f->intl, f->n_intl,
		  SET("10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"));
	check_members(&fx->d, "all", f->all, f->n_all,
		      SET("10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_clusterip_basic),
		T(test_ports_matched_by_name),
		T(test_external_frontends),
		T(test_readiness),
		T(test_traffic_policy),
		T(test_itp_local_not_applied_to_external_frontends),
		T(test_session_affinity),
		T(test_names),
		T(test_headless_and_externalname),
		T(test_headless_externalips_not_served),
		T(test_headless_adds_no_backends),
		T(test_no_endpoints),
		T(test_document_errors),
		T(test_skipped_objects),
		T(test_duplicate_frontend),
		T(test_endpoint_in_two_slices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
