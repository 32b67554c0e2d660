/* test_sched.c — unit tests of the scheduler core: filters, scores, decisions, a benchmark. */
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
#include <time.h>

#include <jansson.h>

#include "../../scheduler/sched.h"
#include "../../scheduler/sched_int.h"

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

	text = strdup(src);
	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		fail_msg("test JSON %d:%d: %s in %s", jerr.line, jerr.column, jerr.text, text);
	free(text);
	return v;
}

/* --- objects --- */

#define GI                (1024LL * 1024 * 1024)
#define MI                (1024LL * 1024)
#define ALLOC_DEFAULT     "{'cpu':'4','memory':'8Gi','pods':'110'}"
#define CTR(cpu, mem) \
	"{'name':'c','resources':{'requests':{'cpu':'" cpu "','memory':'" mem "'}}}"
/* A pod spec with one 100m/128Mi container, then more members (",'nodeName':'n1'"). */
#define SPEC(extra)       "{'containers':[" CTR("100m", "128Mi") "]" extra "}"
#define SPEC_REQ(cpu, mem) "{'containers':[" CTR(cpu, mem) "]}"
#define TAINT(k, v, e)    "{'key':'" k "','value':'" v "','effect':'" e "'}"
#define TAINTS(...)       "{'taints':[" __VA_ARGS__ "]}"
#define CONTROL_PLANE     TAINTS(TAINT("node-role.kubernetes.io/control-plane", "", "NoSchedule"))
#define ZONE(n, z)        "{'kubernetes.io/hostname':'" n "','zone':'" z "'}"
#define TOLS(...)         SPEC(",'tolerations':[" __VA_ARGS__ "]")
#define HOSTPORT(port, extra)                                                              \
	"{'containers':[{'name':'c','ports':[{'containerPort':" port ",'hostPort':" port   \
	extra "}]}]}"
#define REQUIRED(...)                                                                      \
	SPEC(",'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':" \
	     "{'nodeSelectorTerms':[" __VA_ARGS__ "]}}}")
#define EXPR(k, op, vals) "{'key':'" k "','operator':'" op "','values':" vals "}"
#define TERM(...)         "{'matchExpressions':[" __VA_ARGS__ "]}"

/* A node; labels NULL gives it only its hostname label, ready NULL is "True". */
static json_t *node_js(const char *name, const char *labels, const char *alloc, const char *spec,
		       const char *ready)
{
	char buf[8192], def[256];

	if (!labels) {
		snprintf(def, sizeof(def), "{'kubernetes.io/hostname':'%s'}", name);
		labels = def;
	}
	snprintf(buf, sizeof(buf),
		 "{'kind':'Node','metadata':{'name':'%s','labels':%s},'spec':%s,"
		 "'status':{'allocatable':%s,'conditions':[{'type':'Ready','status':'%s'}]}}",
		 name, labels, spec ? spec : "{}", alloc ? alloc : ALLOC_DEFAULT,
		 ready ? ready : "True");
	return js(buf);
}

static json_t *pod_js(const char *ns, const char *name, const char *labels, const char *spec)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "{'kind':'Pod','metadata':{'namespace':'%s','name':'%s','labels':%s},'spec':%s}",
		 ns, name, labels ? labels : "{}", spec);
	return js(buf);
}

/* A cluster the test owns: its nodes, freed together. */
struct cl {
	struct sched_cluster c;
	struct sched_node **nodes;
	size_t cap;
	unsigned int seq; /* names placed pods */
};

static struct sched_node *cl_add(struct cl *cl, json_t *node)
{
	struct sched_node *n = sched_node_new(node);

	json_decref(node);
	assert_non_null(n);
	if (cl->c.n_nodes == cl->cap) {
		cl->cap = cl->cap ? cl->cap * 2 : 8;
		cl->nodes = realloc(cl->nodes, cl->cap * sizeof(*cl->nodes));
		assert_non_null(cl->nodes);
	}
	cl->nodes[cl->c.n_nodes++] = n;
	cl->c.nodes = cl->nodes;
	return n;
}

/* Place a pod (spec, labels) on n, as the informer would report it bound there. */
static void cl_place(struct cl *cl, struct sched_node *n, const char *ns, const char *labels,
		     const char *spec)
{
	char name[32];
	json_t *pod;

	snprintf(name, sizeof(name), "placed-%u", cl->seq++);
	pod = pod_js(ns, name, labels, spec);
	sched_node_add_pod(n, pod);
	json_decref(pod);
}

static void cl_free(struct cl *cl)
{
	size_t i;

	for (i = 0; i < cl->c.n_nodes; i++)
		sched_node_free(cl->nodes[i]);
	free(cl->nodes);
	memset(cl, 0, sizeof(*cl));
}

static struct sched_node *cl_node(const struct cl *cl, const char *name)
{
	size_t i;

	for (i = 0; i < cl->c.n_nodes; i++)
		if (!strcmp(cl->nodes[i]->name, name))
			return cl->nodes[i];
	fail_msg("no node %s", name);
	return NULL;
}

/* Parse a pod that must parse. */
static json_t *parse_ok(struct sched_pod *p, const char *labels, const char *spec)
{
	json_t *pod = pod_js("default", "incoming", labels, spec);
	int ret = sched_pod_parse(pod, p);

	if (ret)
		fail_msg("parse %s: %d %s", spec, ret, p->error);
	return pod;
}

/* --- sampling: numFeasibleNodesToFind --- */

static void test_nodes_to_find(void **state)
{
	static const struct {
		size_t nodes, want;
	} rows[] = {
		{ 0, 0 },	   { 1, 1 },	     { 99, 99 },       { 100, 100 },
		{ 200, 100 },	   { 250, 120 },     { 1000, 420 },    { 5000, 500 },
		{ 5624, 337 },	   { 5625, 281 },    { 6000, 300 },    { 10000, 500 },
		{ 100000, 5000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		if (sched_nodes_to_find(rows[i].nodes) != rows[i].want)
			fail_msg("%zu nodes: want %zu, got %zu", rows[i].nodes, rows[i].want,
				 sched_nodes_to_find(rows[i].nodes));
}

/* --- requests --- */

static const struct req_case {
	const char *name;
	const char *spec;
	int64_t cpu, mem, eph;
	const char *ext;  /* an extended resource expected, or NULL */
	int64_t ext_val;
	int64_t nz_cpu, nz_mem; /* LeastAllocated's view */
} req_cases[] = {
	{ "one container", SPEC_REQ("500m", "1Gi"), 500, GI, 0, NULL, 0, 500, GI },
	{ "containers add up",
	  "{'containers':[" CTR("100m", "128Mi") "," CTR("250m", "256Mi") "]}", 350, 384 * MI, 0,
	  NULL, 0, 350, 384 * MI },
	{ "an init container larger than the sum wins, per resource",
	  "{'initContainers':[" CTR("1", "64Mi") "],'containers':[" CTR("100m", "128Mi") ","
	  CTR("100m", "128Mi") "]}", 1000, 256 * MI, 0, NULL, 0, 1000, 256 * MI },
	{ "init containers are not summed",
	  "{'initContainers':[" CTR("300m", "1Mi") "," CTR("400m", "1Mi") "],'containers':["
	  CTR("100m", "1Mi") "]}", 400, MI, 0, NULL, 0, 400, MI },
	{ "a sidecar runs beside the containers and later init containers",
	  "{'initContainers':[{'name':'s','restartPolicy':'Always','resources':{'requests':"
	  "{'cpu':'200m','memory':'10Mi'}}}," CTR("250m", "1Mi") "],'containers':["
	  CTR("100m", "1Mi") "]}", 450, 11 * MI, 0, NULL, 0, 450, 11 * MI },
	{ "overhead is added",
	  "{'containers':[" CTR("100m", "128Mi") "],'overhead':{'cpu':'250m','memory':'120Mi'}}",
	  350, 248 * MI, 0, NULL, 0, 350, 248 * MI },
	{ "limits stand in for missing requests",
	  "{'containers':[{'name':'c','resources':{'limits':{'cpu':'2','memory':'1Gi'}}}]}", 2000,
	  GI, 0, NULL, 0, 2000, GI },
	{ "requests win over limits",
	  "{'containers':[{'name':'c','resources':{'requests':{'cpu':'1'},'limits':"
	  "{'cpu':'2','memory':'1Gi'}}}]}", 1000, GI, 0, NULL, 0, 1000, GI },
	{ "nothing requested: zero, but 100m/200Mi for scoring",
	  "{'containers':[{'name':'c'},{'name':'d'}]}", 0, 0, 0, NULL, 0, 200, 400 * MI },
	{ "an explicit zero is not missing",
	  "{'containers':[{'name':'c','resources':{'requests':{'cpu':'0'}}}]}", 0, 0, 0, NULL, 0,
	  0, 200 * MI },
	{ "extended resource and ephemeral storage",
	  "{'containers':[{'name':'c','resources':{'requests':{'cpu':'1','kbpf.io/bandwidth':"
	  "'10M','ephemeral-storage':'2Gi'}}}]}", 1000, 0, 2 * GI, "kbpf.io/bandwidth",
	  10000000, 1000, 200 * MI },
	{ "extended resources: max of init, sum of containers",
	  "{'initContainers':[{'name':'i','resources':{'limits':{'example.com/gpu':'3'}}}],"
	  "'containers':[{'name':'c','resources':{'limits':{'example.com/gpu':'1'}}},"
	  "{'name':'d','resources':{'limits':{'example.com/gpu':'1'}}}]}", 0, 0, 0,
	  "example.com/gpu", 3, 200, 400 * MI },
	{ "numbers are quantities too",
	  "{'containers':[{'name':'c','resources':{'requests':{'cpu':0.5,'memory':1000}}}]}", 500,
	  1000, 0, NULL, 0, 500, 1000 },
};

static void test_requests(void **state)
{
	const struct req_case *rc;
	const struct pod_priv *pp;
	struct sched_pod p;
	json_t *pod;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(req_cases); i++) {
		rc = &req_cases[i];
		pod = parse_ok(&p, NULL, rc->spec);
		pp = p.priv;
		if (p.req.cpu_milli != rc->cpu || p.req.mem_bytes != rc->mem ||
		    p.req.ephemeral_bytes != rc->eph || p.req.pods != 1 ||
		    pp->nz_cpu != rc->nz_cpu || pp->nz_mem != rc->nz_mem)
			fail_msg("%s: got cpu %lld mem %lld eph %lld pods %lld nz %lld/%lld",
				 rc->name, (long long)p.req.cpu_milli, (long long)p.req.mem_bytes,
				 (long long)p.req.ephemeral_bytes, (long long)p.req.pods,
				 (long long)pp->nz_cpu, (long long)pp->nz_mem);
		if (rc->ext) {
			if (p.req.n_ext != 1 || strcmp(p.req.ext[0].name, rc->ext) ||
			    p.req.ext[0].value != rc->ext_val)
				fail_msg("%s: extended resource %s=%lld, got %u of them", rc->name,
					 rc->ext, (long long)rc->ext_val, p.req.n_ext);
		} else if (p.req.n_ext) {
			fail_msg("%s: unexpected extended resource %s", rc->name,
				 p.req.ext[0].name);
		}
		sched_pod_release(&p);
		json_decref(pod);
	}
}

/* --- pods that cannot be understood --- */

static const struct err_case {
	const char *spec;
	const char *want;
} err_cases[] = {
	{ SPEC_REQ("abc", "1Gi"),
	  "spec.containers[0].resources.requests[cpu]: invalid quantity \"abc\"" },
	{ "{'containers':[{'name':'c'}],'initContainers':[{'name':'i','resources':{'limits':"
	  "{'memory':'1Gb'}}}]}",
	  "spec.initContainers[0].resources.limits[memory]: invalid quantity \"1Gb\"" },
	{ "{'containers':[" CTR("1", "1Gi") "," CTR("1", "-1Gi") "]}",
	  "spec.containers[1].resources.requests[memory]: invalid quantity \"-1Gi\"" },
	{ "{'containers':[" CTR("1", "1Gi") "],'overhead':{'cpu':'x'}}",
	  "spec.overhead[cpu]: invalid quantity \"x\"" },
	{ "{'containers':[{'name':'c','resources':{'requests':{'example.com/gpu':true}}}]}",
	  "spec.containers[0].resources.requests[example.com/gpu]: invalid quantity \"true\"" },
	{ SPEC(",'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
	       "[{'labelSelector':{'matchExpressions':[{'key':'app','operator':'Foo'}]},"
	       "'topologyKey':'zone'}]}}"),
	  "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
	  "labelSelector: \"Foo\" is not a valid label selector operator" },
	{ SPEC(",'affinity':{'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':"
	       "[{'weight':10,'podAffinityTerm':{'labelSelector':{'matchExpressions':[{'key':"
	       "'app','operator':'NotIn'}]},'topologyKey':'zone'}}]}}"),
	  "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
	  "podAffinityTerm.labelSelector: values: Invalid value: []: for 'in', 'notin' operators, "
	  "values set can't be empty" },
	{ SPEC(",'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
	       "[{'labelSelector':{}}]}}"),
	  "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
	  "topologyKey: Required value: can not be empty" },
	{ REQUIRED(TERM(EXPR("zone", "Foo", "['a']"))),
	  "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
	  "nodeSelectorTerms[0].matchExpressions[0].operator: \"Foo\" is not a valid node "
	  "selector operator" },
	{ REQUIRED(TERM(EXPR("gen", "Gt", "['x']"))),
	  "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
	  "nodeSelectorTerms[0].matchExpressions[0].values: must be a single integer for 'Gt' "
	  "and 'Lt'" },
	{ SPEC(",'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
	       "'whenUnsatisfiable':'DoNotSchedule','labelSelector':{'matchExpressions':"
	       "[{'key':'app','operator':'In'}]}}]"),
	  "spec.topologySpreadConstraints[0].labelSelector: values: Invalid value: []: for 'in', "
	  "'notin' operators, values set can't be empty" },
	{ SPEC(",'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
	       "'whenUnsatisfiable':'Sometimes'}]"),
	  "spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: \"Sometimes\": "
	  "supported values: \"DoNotSchedule\", \"ScheduleAnyway\"" },
	{ SPEC(",'topologySpreadConstraints':[{'maxSkew':0,'topologyKey':'zone',"
	       "'whenUnsatisfiable':'DoNotSchedule'}]"),
	  "spec.topologySpreadConstraints[0].maxSkew: Invalid value: must be greater than zero" },
	{ SPEC(",'nodeSelector':{'zone':1}"), "spec.nodeSelector[zone]: must be a string" },
};

static void test_pod_errors(void **state)
{
	struct sched_result r;
	struct sched_pod p;
	struct cl cl = { 0 };
	char buf[512];
	json_t *pod;
	size_t i;
	int ret;

	(void)state;
	cl_add(&cl, node_js("n1", NULL, NULL, NULL, NULL));
	for (i = 0; i < ARRAY_SIZE(err_cases); i++) {
		pod = pod_js("default", "bad", NULL, err_cases[i].spec);
		ret = sched_pod_parse(pod, &p);
		if (ret != -EINVAL || strcmp(p.error, err_cases[i].want))
			fail_msg("row %zu: ret %d, error\n  got:  %s\n  want: %s", i, ret, p.error,
				 err_cases[i].want);
		/* Such a pod is not scheduled; its error is the reason. */
		sched_schedule(&p, &cl.c, &r);
		assert_null(r.node);
		assert_string_equal(r.summary, err_cases[i].want);
		assert_string_equal(sched_filter(&p, &cl.c, cl.nodes[0], buf, sizeof(buf)),
				    err_cases[i].want);
		sched_pod_release(&p);
		json_decref(pod);
	}
	cl_free(&cl);
}

/* --- filters on one node, in kube-scheduler's order and words --- */

#define NOT_READY_TAINT TAINT("node.kubernetes.io/not-ready", "", "NoSchedule")
#define TAINTED         "node(s) had untolerated taint {dedicated: gpu}"
#define NO_AFFINITY     "node(s) didn't match Pod's node affinity/selector"
#define NO_PORTS        "node(s) didn't have free ports for the requested pod ports"
#define LABELS_N1       "{'kubernetes.io/hostname':'n1','zone':'a','disk':'ssd','gen':'5'}"
#define BW_ALLOC        "{'cpu':'4','memory':'8Gi','pods':'110','kbpf.io/bandwidth':'1G'}"
#define BW(q) \
	"{'containers':[{'name':'c','resources':{'requests':{'kbpf.io/bandwidth':'" q "'}}}]}"

static const struct filter_case {
	const char *name;
	const char *labels, *alloc, *node_spec, *ready; /* the node, n1; NULL: defaults */
	const char *placed;                             /* a pod already on it, or NULL */
	const char *pod;                                /* the spec of the pod to place */
	const char *want;                               /* NULL: it fits */
} filter_cases[] = {
	/* NodeUnschedulable */
	{ "cordoned", NULL, NULL, "{'unschedulable':true}", NULL, NULL, SPEC(""),
	  "node(s) were unschedulable" },
	{ "cordoned, tolerated", NULL, NULL, "{'unschedulable':true}", NULL, NULL,
	  TOLS("{'key':'node.kubernetes.io/unschedulable','operator':'Exists',"
	       "'effect':'NoSchedule'}"), NULL },
	{ "cordoned, everything tolerated", NULL, NULL, "{'unschedulable':true}", NULL, NULL,
	  TOLS("{'operator':'Exists'}"), NULL },
	{ "cordoned comes before taints", NULL, NULL,
	  "{'unschedulable':true,'taints':[" TAINT("dedicated", "gpu", "NoSchedule") "]}", NULL,
	  NULL, SPEC(""), "node(s) were unschedulable" },
	/* NodeName */
	{ "nodeName elsewhere", NULL, NULL, NULL, NULL, NULL, SPEC(",'nodeName':'n2'"),
	  "node(s) didn't match the requested node name" },
	{ "nodeName here", NULL, NULL, NULL, NULL, NULL, SPEC(",'nodeName':'n1'"), NULL },
	/* TaintToleration */
	{ "NoSchedule taint", NULL, NULL, TAINTS(TAINT("dedicated", "gpu", "NoSchedule")), NULL,
	  NULL, SPEC(""), TAINTED },
	{ "NoExecute taint", NULL, NULL, TAINTS(TAINT("dedicated", "gpu", "NoExecute")), NULL,
	  NULL, SPEC(""), TAINTED },
	{ "PreferNoSchedule does not filter", NULL, NULL,
	  TAINTS(TAINT("dedicated", "gpu", "PreferNoSchedule")), NULL, NULL, SPEC(""), NULL },
	{ "Equal with the value", NULL, NULL, TAINTS(TAINT("dedicated", "gpu", "NoSchedule")),
	  NULL, NULL,
	  TOLS("{'key':'dedicated','operator':'Equal','value':'gpu','effect':'NoSchedule'}"),
	  NULL },
	{ "no operator is Equal", NULL, NULL, TAINTS(TAINT("dedicated", "gpu", "NoSchedule")),
	  NULL, NULL, TOLS("{'key':'dedicated','value':'gpu'}"), NULL },
	{ "Equal with another value", NULL, NULL, TAINTS(TAINT("dedicated", "gpu", "NoSchedule")),
	  NULL, NULL, TOLS("{'key':'dedicated','value':'cpu'}"), TAINTED },
	{ "Exists on the key", NULL, NULL, TAINTS(TAINT("dedicated", "gpu", "NoSchedule")), NULL,
	  NULL, TOLS("{'key':'dedicated','operator':'Exists'}"), NULL },
	{ "Exists on another key", NULL, NULL, TAINTS(TAINT("dedicated", "gpu", "NoSchedule")),
	  NULL, NULL, TOLS("{'key':'other','operator':'Exists'}"), TAINTED },
	{ "empty key with Exists tolerates every taint", NULL, NULL,
	  TAINTS(TAINT("dedicated", "gpu", "NoSchedule")), NULL, NULL,
	  TOLS("{'operator':'Exists'}"), NULL },
	{ "a toleration for another effect", NULL, NULL,
	  TAINTS(TAINT("dedicated", "gpu", "NoSchedule")), NULL, NULL,
	  TOLS("{'key':'dedicated','operator':'Exists','effect':'NoExecute'}"), TAINTED },
	{ "an operator the API does not know tolerates nothing", NULL, NULL,
	  TAINTS(TAINT("dedicated", "gpu", "NoSchedule")), NULL, NULL,
	  TOLS("{'key':'dedicated','operator':'Matches'}"), TAINTED },
	{ "the first untolerated taint is reported", NULL, NULL,
	  TAINTS(TAINT("dedicated", "gpu", "NoSchedule") ","
		 TAINT("node-role.kubernetes.io/control-plane", "", "NoSchedule")), NULL, NULL,
	  TOLS("{'key':'dedicated','operator':'Exists'}"),
	  "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }" },
	/* readiness */
	{ "not ready", NULL, NULL, NULL, "False", NULL, SPEC(""), "node(s) were not ready" },
	{ "ready unknown", NULL, NULL, NULL, "Unknown", NULL, SPEC(""), "node(s) were not ready" },
	{ "not ready and tainted so: the taint speaks", NULL, NULL, TAINTS(NOT_READY_TAINT),
	  "False", NULL, SPEC(""),
	  "node(s) had untolerated taint {node.kubernetes.io/not-ready: }" },
	{ "not ready, the pod tolerates it", NULL, NULL, NULL, "False", NULL,
	  TOLS("{'key':'node.kubernetes.io/not-ready','operator':'Exists'}"), NULL },
	/* NodeAffinity and nodeSelector */
	{ "nodeSelector matches", LABELS_N1, NULL, NULL, NULL, NULL,
	  SPEC(",'nodeSelector':{'zone':'a','disk':'ssd'}"), NULL },
	{ "nodeSelector value differs", LABELS_N1, NULL, NULL, NULL, NULL,
	  SPEC(",'nodeSelector':{'zone':'b'}"), NO_AFFINITY },
	{ "nodeSelector key missing", LABELS_N1, NULL, NULL, NULL, NULL,
	  SPEC(",'nodeSelector':{'zone':'a','gpu':'yes'}"), NO_AFFINITY },
	{ "In", LABELS_N1, NULL, NULL, NULL, NULL, REQUIRED(TERM(EXPR("zone", "In", "['b','a']"))),
	  NULL },
	{ "In, no", LABELS_N1, NULL, NULL, NULL, NULL, REQUIRED(TERM(EXPR("zone", "In", "['b']"))),
	  NO_AFFINITY },
	{ "In, label absent", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("rack", "In", "['b']"))), NO_AFFINITY },
	{ "NotIn", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("zone", "NotIn", "['b']"))), NULL },
	{ "NotIn, no", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("zone", "NotIn", "['a']"))), NO_AFFINITY },
	{ "NotIn, label absent", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("rack", "NotIn", "['a']"))), NULL },
	{ "Exists", LABELS_N1, NULL, NULL, NULL, NULL, REQUIRED(TERM(EXPR("disk", "Exists", "[]"))),
	  NULL },
	{ "Exists, no", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("gpu", "Exists", "[]"))), NO_AFFINITY },
	{ "DoesNotExist", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("gpu", "DoesNotExist", "[]"))), NULL },
	{ "DoesNotExist, no", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("disk", "DoesNotExist", "[]"))), NO_AFFINITY },
	{ "Gt", LABELS_N1, NULL, NULL, NULL, NULL, REQUIRED(TERM(EXPR("gen", "Gt", "['4']"))),
	  NULL },
	{ "Gt, equal", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("gen", "Gt", "['5']"))), NO_AFFINITY },
	{ "Lt", LABELS_N1, NULL, NULL, NULL, NULL, REQUIRED(TERM(EXPR("gen", "Lt", "['6']"))),
	  NULL },
	{ "Lt, no", LABELS_N1, NULL, NULL, NULL, NULL, REQUIRED(TERM(EXPR("gen", "Lt", "['-1']"))),
	  NO_AFFINITY },
	{ "Gt on a label that is not a number", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("zone", "Gt", "['1']"))), NO_AFFINITY },
	{ "terms are ORed", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("zone", "In", "['b']")) "," TERM(EXPR("disk", "In", "['ssd']"))),
	  NULL },
	{ "expressions are ANDed", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED(TERM(EXPR("zone", "In", "['a']") "," EXPR("disk", "In", "['hdd']"))),
	  NO_AFFINITY },
	{ "matchFields metadata.name", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED("{'matchFields':[" EXPR("metadata.name", "In", "['n1']") "]}"), NULL },
	{ "matchFields another name", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED("{'matchFields':[" EXPR("metadata.name", "In", "['n2']") "]}"), NO_AFFINITY },
	{ "matchFields NotIn its name", LABELS_N1, NULL, NULL, NULL, NULL,
	  REQUIRED("{'matchFields':[" EXPR("metadata.name", "NotIn", "['n1']") "]}"),
	  NO_AFFINITY },
	{ "an empty term selects no node", LABELS_N1, NULL, NULL, NULL, NULL, REQUIRED("{}"),
	  NO_AFFINITY },
	{ "nodeSelector and affinity must both hold", LABELS_N1, NULL, NULL, NULL, NULL,
	  SPEC(",'nodeSelector':{'zone':'a'},'affinity':{'nodeAffinity':{"
	       "'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':["
	       TERM(EXPR("disk", "In", "['hdd']")) "]}}}"), NO_AFFINITY },
	{ "taints come before affinity", LABELS_N1, NULL,
	  TAINTS(TAINT("dedicated", "gpu", "NoSchedule")), NULL, NULL,
	  SPEC(",'nodeSelector':{'zone':'b'}"), TAINTED },
	/* NodePorts */
	{ "host port taken", NULL, NULL, NULL, NULL, HOSTPORT("80", ""), HOSTPORT("80", ""),
	  NO_PORTS },
	{ "host port taken for UDP only", NULL, NULL, NULL, NULL,
	  HOSTPORT("80", ",'protocol':'UDP'"), HOSTPORT("80", ""), NULL },
	{ "another port", NULL, NULL, NULL, NULL, HOSTPORT("80", ""), HOSTPORT("8080", ""), NULL },
	{ "a container port is not a host port", NULL, NULL, NULL, NULL, HOSTPORT("80", ""),
	  "{'containers':[{'name':'c','ports':[{'containerPort':80}]}]}", NULL },
	{ "another address", NULL, NULL, NULL, NULL, HOSTPORT("80", ",'hostIP':'10.0.0.1'"),
	  HOSTPORT("80", ",'hostIP':'10.0.0.2'"), NULL },
	{ "the same address", NULL, NULL, NULL, NULL, HOSTPORT("80", ",'hostIP':'10.0.0.1'"),
	  HOSTPORT("80", ",'hostIP':'10.0.0.1'"), NO_PORTS },
	{ "every address against one", NULL, NULL, NULL, NULL,
	  HOSTPORT("80", ",'hostIP':'10.0.0.1'"), HOSTPORT("80", ""), NO_PORTS },
	{ "one address against every one", NULL, NULL, NULL, NULL, HOSTPORT("80", ""),
	  HOSTPORT("80", ",'hostIP':'10.0.0.2','protocol':'TCP'"), NO_PORTS },
	/* NodeResourcesFit */
	{ "fits", NULL, NULL, NULL, NULL, SPEC_REQ("3", "4Gi"), SPEC_REQ("1", "4Gi"), NULL },
	{ "cpu short", NULL, NULL, NULL, NULL, SPEC_REQ("3", "1Gi"), SPEC_REQ("1500m", "1Gi"),
	  "Insufficient cpu" },
	{ "cpu and memory short: both reported", NULL, NULL, NULL, NULL, NULL,
	  SPEC_REQ("5", "16Gi"), "Insufficient cpu, Insufficient memory" },
	{ "limits count as requests", NULL, NULL, NULL, NULL, NULL,
	  "{'containers':[{'name':'c','resources':{'limits':{'cpu':'5'}}}]}", "Insufficient cpu" },
	{ "an init container counts", NULL, NULL, NULL, NULL, NULL,
	  "{'initContainers':[" CTR("5", "1Mi") "],'containers':[" CTR("1", "1Mi") "]}",
	  "Insufficient cpu" },
	{ "overhead counts", NULL, NULL, NULL, NULL, NULL,
	  "{'containers':[" CTR("4", "1Gi") "],'overhead':{'cpu':'10m'}}", "Insufficient cpu" },
	{ "too many pods", NULL, "{'cpu':'4','memory':'8Gi','pods':'1'}", NULL, NULL, SPEC(""),
	  SPEC(""), "Too many pods" },
	{ "too many pods and cpu short", NULL, "{'cpu':'4','memory':'8Gi','pods':'1'}", NULL,
	  NULL, SPEC(""), SPEC_REQ("5", "1Gi"), "Too many pods, Insufficient cpu" },
	{ "a node without pods allocatable takes none", NULL, "{'cpu':'4','memory':'8Gi'}", NULL,
	  NULL, NULL, SPEC(""), "Too many pods" },
	{ "an extended resource the node does not advertise", NULL, NULL, NULL, NULL, NULL,
	  "{'containers':[{'name':'c','resources':{'limits':{'example.com/gpu':'1'}}}]}",
	  "Insufficient example.com/gpu" },
	{ "an extended resource the node has", NULL, BW_ALLOC, NULL, NULL, NULL, BW("500M"), NULL },
	{ "an extended resource used up", NULL, BW_ALLOC, NULL, NULL, BW("600M"), BW("500M"),
	  "Insufficient kbpf.io/bandwidth" },
	{ "ephemeral storage", NULL, "{'cpu':'4','memory':'8Gi','pods':'110',"
	  "'ephemeral-storage':'10Gi'}", NULL, NULL, NULL,
	  "{'containers':[{'name':'c','resources':{'requests':{'ephemeral-storage':'20Gi'}}}]}",
	  "Insufficient ephemeral-storage" },
	{ "a pod asking nothing fits an overcommitted node", NULL, NULL, NULL, NULL,
	  SPEC_REQ("6", "1Gi"), "{'containers':[{'name':'c'}]}", NULL },
	{ "ports come before resources", NULL, NULL, NULL, NULL, HOSTPORT("80", ""),
	  "{'containers':[{'name':'c','resources':{'requests':{'cpu':'5'}},'ports':"
	  "[{'containerPort':80,'hostPort':80}]}]}", NO_PORTS },
};

static void test_filters(void **state)
{
	const struct filter_case *fc;
	struct sched_node *n;
	struct sched_pod p;
	struct cl cl;
	const char *got;
	char buf[512];
	json_t *pod;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(filter_cases); i++) {
		fc = &filter_cases[i];
		memset(&cl, 0, sizeof(cl));
		n = cl_add(&cl, node_js("n1", fc->labels, fc->alloc, fc->node_spec, fc->ready));
		if (fc->placed)
			cl_place(&cl, n, "default", NULL, fc->placed);
		pod = parse_ok(&p, NULL, fc->pod);
		got = sched_filter(&p, &cl.c, n, buf, sizeof(buf));
		if ((got == NULL) != (fc->want == NULL) || (got && strcmp(got, fc->want)))
			fail_msg("%s:\n  got:  %s\n  want: %s", fc->name, got ? got : "(fits)",
				 fc->want ? fc->want : "(fits)");
		sched_pod_release(&p);
		json_decref(pod);
		cl_free(&cl);
	}
}

/* --- PodTopologySpread on a small cluster --- */

/*
 * a1, a2 in zone a; b1 in zone b; c1 without a zone. Pods app=web in default: two on a1,
 * one on b1; in namespace other: three on b1 (never counted); a terminating one on a2.
 */
static void spread_cluster(struct cl *cl)
{
	struct sched_node *a1, *a2, *b1;

	memset(cl, 0, sizeof(*cl));
	a1 = cl_add(cl, node_js("a1", ZONE("a1", "a"), NULL, NULL, NULL));
	a2 = cl_add(cl, node_js("a2", ZONE("a2", "a"), NULL, NULL, NULL));
	b1 = cl_add(cl, node_js("b1", ZONE("b1", "b"), NULL, NULL, NULL));
	cl_add(cl, node_js("c1", "{'kubernetes.io/hostname':'c1'}", NULL, NULL, NULL));
	cl_place(cl, a1, "default", "{'app':'web'}", SPEC(""));
	cl_place(cl, a1, "default", "{'app':'web'}", SPEC(""));
	cl_place(cl, b1, "default", "{'app':'web'}", SPEC(""));
	cl_place(cl, b1, "other", "{'app':'web'}", SPEC(""));
	cl_place(cl, b1, "other", "{'app':'web'}", SPEC(""));
	cl_place(cl, b1, "other", "{'app':'web'}", SPEC(""));
	{
		json_t *pod = js("{'metadata':{'namespace':'default','name':'going','labels':"
				 "{'app':'web'},'deletionTimestamp':'2025-01-01T00:00:00Z'},'spec':"
				 SPEC("") "}");

		sched_node_add_pod(a2, pod);
		json_decref(pod);
	}
}

#define TSC(skew, key, when, extra)                                                        \
	"{'maxSkew':" skew ",'topologyKey':'" key "','whenUnsatisfiable':'" when "',"      \
	"'labelSelector':{'matchLabels':{'app':'web'}}" extra "}"
#define SPREAD(...)  SPEC(",'topologySpreadConstraints':[" __VA_ARGS__ "]")
#define SKEWED       "node(s) didn't match pod topology spread constraints"
#define NO_ZONE      "node(s) didn't match pod topology spread constraints (missing required label)"

static const struct multi_case {
	const char *name;
	const char *labels; /* the incoming pod's */
	const char *spec;
	const char *want[4]; /* per node, NULL: fits */
} spread_cases[] = {
	{ "zones a:2 b:1, skew 1: only b", "{'app':'web'}",
	  SPREAD(TSC("1", "zone", "DoNotSchedule", "")), { SKEWED, SKEWED, NULL, NO_ZONE } },
	{ "skew 2 allows a", "{'app':'web'}", SPREAD(TSC("2", "zone", "DoNotSchedule", "")),
	  { NULL, NULL, NULL, NO_ZONE } },
	{ "a pod its selector does not match adds nothing", "{'app':'api'}",
	  SPREAD(TSC("1", "zone", "DoNotSchedule", "")), { NULL, NULL, NULL, NO_ZONE } },
	{ "minDomains 3 with 2 domains: the minimum is 0", "{'app':'web'}",
	  SPREAD(TSC("1", "zone", "DoNotSchedule", ",'minDomains':3")),
	  { SKEWED, SKEWED, SKEWED, NO_ZONE } },
	{ "minDomains 2 with 2 domains changes nothing", "{'app':'web'}",
	  SPREAD(TSC("1", "zone", "DoNotSchedule", ",'minDomains':2")),
	  { SKEWED, SKEWED, NULL, NO_ZONE } },
	{ "per host: a1:2 a2:0 b1:1 c1:0", "{'app':'web'}",
	  SPREAD(TSC("1", "kubernetes.io/hostname", "DoNotSchedule", "")),
	  { SKEWED, NULL, SKEWED, NULL } },
	{ "ScheduleAnyway filters nothing", "{'app':'web'}",
	  SPREAD(TSC("1", "zone", "ScheduleAnyway", "")), { NULL, NULL, NULL, NULL } },
	{ "nodeAffinityPolicy Honor: only zone a counts", "{'app':'web'}",
	  "{'containers':[" CTR("1m", "1Mi") "],'nodeSelector':{'zone':'a'},"
	  "'topologySpreadConstraints':[" TSC("1", "zone", "DoNotSchedule", "") "]}",
	  { NULL, NULL, NO_AFFINITY, NO_AFFINITY } },
	{ "nodeAffinityPolicy Ignore: zone b counts too", "{'app':'web'}",
	  "{'containers':[" CTR("1m", "1Mi") "],'nodeSelector':{'zone':'a'},"
	  "'topologySpreadConstraints':[" TSC("1", "zone", "DoNotSchedule",
					      ",'nodeAffinityPolicy':'Ignore'") "]}",
	  { SKEWED, SKEWED, NO_AFFINITY, NO_AFFINITY } },
	{ "matchLabelKeys narrows the selector to the pod's value", "{'app':'web','rev':'2'}",
	  SPREAD(TSC("1", "zone", "DoNotSchedule", ",'matchLabelKeys':['rev']")),
	  { NULL, NULL, NULL, NO_ZONE } },
	{ "constraints are checked in order", "{'app':'web'}",
	  SPREAD(TSC("1", "rack", "DoNotSchedule", "") "," TSC("1", "zone", "DoNotSchedule", "")),
	  { NO_ZONE, NO_ZONE, NO_ZONE, NO_ZONE } },
};

static void run_multi(const struct multi_case *rows, size_t n_rows, void (*setup)(struct cl *))
{
	const struct multi_case *mc;
	struct sched_pod p;
	struct cl cl;
	const char *got;
	char buf[512];
	json_t *pod;
	size_t i, j;

	setup(&cl);
	for (i = 0; i < n_rows; i++) {
		mc = &rows[i];
		pod = parse_ok(&p, mc->labels, mc->spec);
		for (j = 0; j < cl.c.n_nodes; j++) {
			got = sched_filter(&p, &cl.c, cl.nodes[j], buf, sizeof(buf));
			if ((got == NULL) != (mc->want[j] == NULL) ||
			    (got && strcmp(got, mc->want[j])))
				fail_msg("%s, node %s:\n  got:  %s\n  want: %s", mc->name,
					 cl.nodes[j]->name, got ? got : "(fits)",
					 mc->want[j] ? mc->want[j] : "(fits)");
		}
		sched_pod_release(&p);
		json_decref(pod);
	}
	cl_free(&cl);
}

static void test_spread_filter(void **state)
{
	(void)state;
	run_multi(spread_cases, ARRAY_SIZE(spread_cases), spread_cluster);
}

/* --- InterPodAffinity on a small cluster --- */

/* A required pod (anti-)affinity term. */
#define PA(kind, sel, key, extra)                                                         \
	SPEC(",'affinity':{'" kind "':{'requiredDuringSchedulingIgnoredDuringExecution':"     \
	     "[{'labelSelector':" sel ",'topologyKey':'" key "'" extra "}]}}")

/*
 * n1, n2 in zone a; n3 in zone b; n4 without a zone. app=db runs on n1; on n3 runs a
 * cache that wants no app=web on its host.
 */
static void interpod_cluster(struct cl *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl_add(cl, node_js("n1", "{'kubernetes.io/hostname':'n1','zone':'a'}", NULL, NULL, NULL));
	cl_add(cl, node_js("n2", "{'kubernetes.io/hostname':'n2','zone':'a'}", NULL, NULL, NULL));
	cl_add(cl, node_js("n3", "{'kubernetes.io/hostname':'n3','zone':'b'}", NULL, NULL, NULL));
	cl_add(cl, node_js("n4", "{'kubernetes.io/hostname':'n4'}", NULL, NULL, NULL));
	cl_place(cl, cl->nodes[0], "default", "{'app':'db'}", SPEC(""));
	cl_place(cl, cl->nodes[2], "default", "{'app':'cache'}",
		 PA("podAntiAffinity", "{'matchLabels':{'app':'web'}}", "kubernetes.io/hostname",
		    ""));
}

#define DB          "{'matchLabels':{'app':'db'}}"
#define NO_AFF      "node(s) didn't match pod affinity rules"
#define NO_ANTI     "node(s) didn't match pod anti-affinity rules"
#define EXISTING    "node(s) didn't satisfy existing pods anti-affinity rules"

static const struct multi_case interpod_cases[] = {
	{ "affinity to db by zone", "{'app':'api'}", PA("podAffinity", DB, "zone", ""),
	  { NULL, NULL, NO_AFF, NO_AFF } },
	{ "affinity to db by host", "{'app':'api'}",
	  PA("podAffinity", DB, "kubernetes.io/hostname", ""), { NULL, NO_AFF, NO_AFF, NO_AFF } },
	{ "anti-affinity to db by host", "{'app':'api'}",
	  PA("podAntiAffinity", DB, "kubernetes.io/hostname", ""), { NO_ANTI, NULL, NULL, NULL } },
	{ "anti-affinity to db by zone; a node without zone is fine", "{'app':'api'}",
	  PA("podAntiAffinity", DB, "zone", ""), { NO_ANTI, NO_ANTI, NULL, NULL } },
	{ "an existing pod's anti-affinity against this one", "{'app':'web'}", SPEC(""),
	  { NULL, NULL, EXISTING, NULL } },
	{ "the first of a self-affine series may go anywhere with the key", "{'app':'solo'}",
	  PA("podAffinity", "{'matchLabels':{'app':'solo'}}", "zone", ""),
	  { NULL, NULL, NULL, NO_AFF } },
	{ "affinity to pods that do not exist, not self-affine", "{'app':'api'}",
	  PA("podAffinity", "{'matchLabels':{'app':'solo'}}", "zone", ""),
	  { NO_AFF, NO_AFF, NO_AFF, NO_AFF } },
	{ "namespaces: another one only", "{'app':'api'}",
	  PA("podAffinity", DB, "zone", ",'namespaces':['other']"),
	  { NO_AFF, NO_AFF, NO_AFF, NO_AFF } },
	{ "namespaces: this one listed", "{'app':'api'}",
	  PA("podAffinity", DB, "zone", ",'namespaces':['other','default']"),
	  { NULL, NULL, NO_AFF, NO_AFF } },
	{ "namespaceSelector {} is every namespace", "{'app':'api'}",
	  PA("podAffinity", DB, "zone", ",'namespaceSelector':{}"),
	  { NULL, NULL, NO_AFF, NO_AFF } },
	{ "namespaceSelector by the namespace's name label", "{'app':'api'}",
	  PA("podAffinity", DB, "zone",
	     ",'namespaceSelector':{'matchLabels':{'kubernetes.io/metadata.name':'default'}}"),
	  { NULL, NULL, NO_AFF, NO_AFF } },
	{ "a nil labelSelector matches no pod", "{'app':'api'}",
	  SPEC(",'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
	       "[{'topologyKey':'zone'}]}}"), { NULL, NULL, NULL, NULL } },
	{ "affinity checked before anti-affinity", "{'app':'api'}",
	  SPEC(",'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
	       "[{'labelSelector':" DB ",'topologyKey':'zone'}]},'podAntiAffinity':{"
	       "'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':" DB ","
	       "'topologyKey':'kubernetes.io/hostname'}]}}"), { NO_ANTI, NULL, NO_AFF, NO_AFF } },
};

static void test_interpod_filter(void **state)
{
	(void)state;
	run_multi(interpod_cases, ARRAY_SIZE(interpod_cases), interpod_cluster);
}

/* --- scores --- */

/* One node, one pod: each plugin's exact contribution, summed with the default weights. */
static void test_score_exact(void **state)
{
	struct sched_node *n;
	struct sched_pod p;
	struct cl cl = { 0 };
	int64_t score;
	json_t *pod;

	(void)state;
	/*
	 * 4 cpu / 8Gi, empty; pod 1 cpu / 2Gi. TaintToleration: no taint, 100 x 3;
	 * LeastAllocated: (75 + 75) / 2 = 75; BalancedAllocation: 0.25 and 0.25, 100;
	 * no preferred terms, no spreading, no pod affinity: 0.
	 */
	n = cl_add(&cl, node_js("n1", NULL, NULL, NULL, NULL));
	pod = parse_ok(&p, NULL, SPEC_REQ("1", "2Gi"));
	sched_score(&p, &cl.c, &n, 1, &score);
	assert_int_equal(score, 300 + 75 + 100);
	sched_pod_release(&p);
	json_decref(pod);

	/*
	 * A best-effort pod on a node running 2 cpu / 4Gi: LeastAllocated counts 100m and
	 * 200Mi for it: cpu (4000 - 2100) * 100 / 4000 = 47, memory (8192 - 4296) * 100 / 8192
	 * = 47; BalancedAllocation sees 0.5 and 0.5: 100.
	 */
	cl_place(&cl, n, "default", NULL, SPEC_REQ("2", "4Gi"));
	pod = parse_ok(&p, NULL, "{'containers':[{'name':'c'}]}");
	sched_score(&p, &cl.c, &n, 1, &score);
	assert_int_equal(score, 300 + 47 + 100);
	sched_pod_release(&p);
	json_decref(pod);
	cl_free(&cl);
}

#define PREF_NODE(w, k, v)                                                                 \
	"{'weight':" w ",'preference':{'matchExpressions':[{'key':'" k "','operator':'In',"  \
	"'values':['" v "']}]}}"
#define PREF_POD(kind, w, sel, key)                                                        \
	SPEC(",'affinity':{'" kind "':{'preferredDuringSchedulingIgnoredDuringExecution':"    \
	     "[{'weight':" w ",'podAffinityTerm':{'labelSelector':" sel ",'topologyKey':'" key \
	     "'}}]}}")

static const struct score_case {
	const char *name;
	struct {
		const char *labels, *spec;   /* the node */
		const char *placed_labels;   /* a pod on it, or NULL */
		const char *placed;
	} nodes[3];
	const char *labels, *spec; /* the incoming pod */
	int rank[3];               /* 0 is best; equal ranks, equal scores */
} score_cases[] = {
	{ "TaintToleration: fewer untolerated PreferNoSchedule taints",
	  { { NULL, NULL, NULL, NULL },
	    { NULL, TAINTS(TAINT("a", "", "PreferNoSchedule")), NULL, NULL },
	    { NULL,
	      TAINTS(TAINT("a", "", "PreferNoSchedule") "," TAINT("b", "", "PreferNoSchedule")),
	      NULL, NULL } },
	  NULL, SPEC(""), { 0, 1, 2 } },
	{ "TaintToleration: a tolerated taint costs nothing",
	  { { NULL, NULL, NULL, NULL },
	    { NULL, TAINTS(TAINT("a", "", "PreferNoSchedule")), NULL, NULL },
	    { NULL, TAINTS(TAINT("b", "", "PreferNoSchedule")), NULL, NULL } },
	  NULL, TOLS("{'key':'a','operator':'Exists'}"), { 0, 0, 1 } },
	{ "NodeAffinity: the weights of the matching preferred terms",
	  { { "{'zone':'a','disk':'ssd'}", NULL, NULL, NULL },
	    { "{'zone':'a'}", NULL, NULL, NULL },
	    { "{'disk':'ssd'}", NULL, NULL, NULL } },
	  NULL,
	  SPEC(",'affinity':{'nodeAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':["
	       PREF_NODE("80", "zone", "a") "," PREF_NODE("20", "disk", "ssd") "]}}"),
	  { 0, 1, 2 } },
	{ "LeastAllocated: the emptier node",
	  { { NULL, NULL, NULL, NULL },
	    { NULL, NULL, "{}", SPEC_REQ("1", "2Gi") },
	    { NULL, NULL, "{}", SPEC_REQ("2", "4Gi") } },
	  NULL, SPEC_REQ("1", "2Gi"), { 0, 1, 2 } },
	{ "LeastAllocated counts best-effort pods as 100m/200Mi",
	  { { NULL, NULL, NULL, NULL },
	    { NULL, NULL, "{}", "{'containers':[{'name':'c'}]}" },
	    { NULL, NULL, NULL, NULL } },
	  NULL, "{'containers':[{'name':'c'}]}", { 0, 1, 0 } },
	{ "BalancedAllocation: same free share, the balanced node",
	  { { NULL, NULL, "{}", SPEC_REQ("1", "2Gi") },
	    { NULL, NULL, "{}", SPEC_REQ("2", "0") },
	    { NULL, NULL, "{}", SPEC_REQ("1", "2Gi") } },
	  NULL, SPEC_REQ("1", "2Gi"), { 0, 1, 0 } },
	{ "PodTopologySpread ScheduleAnyway: the emptier zone",
	  { { ZONE("n1", "a"), NULL, "{'app':'web'}", "{'containers':[{'name':'c'}]}" },
	    { ZONE("n2", "a"), NULL, NULL, NULL },
	    { ZONE("n3", "b"), NULL, NULL, NULL } },
	  "{'app':'web'}", SPREAD(TSC("1", "zone", "ScheduleAnyway", "")), { 2, 1, 0 } },
	{ "PodTopologySpread ScheduleAnyway per host",
	  { { NULL, NULL, "{'app':'web'}", "{'containers':[{'name':'c'}]}" },
	    { NULL, NULL, "{'app':'api'}", "{'containers':[{'name':'c'}]}" },
	    { NULL, NULL, NULL, NULL } },
	  "{'app':'web'}", SPREAD(TSC("1", "kubernetes.io/hostname", "ScheduleAnyway", "")),
	  { 2, 1, 0 } },
	{ "InterPodAffinity preferred affinity: the zone with db",
	  { { ZONE("n1", "a"), NULL, "{'app':'db'}", "{'containers':[{'name':'c'}]}" },
	    { ZONE("n2", "a"), NULL, NULL, NULL },
	    { ZONE("n3", "b"), NULL, NULL, NULL } },
	  "{'app':'api'}", PREF_POD("podAffinity", "50", DB, "zone"), { 1, 0, 2 } },
	{ "InterPodAffinity preferred anti-affinity: away from db",
	  { { ZONE("n1", "a"), NULL, "{'app':'db'}", "{'containers':[{'name':'c'}]}" },
	    { ZONE("n2", "a"), NULL, NULL, NULL },
	    { ZONE("n3", "b"), NULL, NULL, NULL } },
	  "{'app':'api'}", PREF_POD("podAntiAffinity", "50", DB, "zone"), { 2, 1, 0 } },
	{ "InterPodAffinity: an existing pod's preferred affinity to this one",
	  { { ZONE("n1", "a"), NULL, "{'app':'db'}",
	      PREF_POD("podAffinity", "100", "{'matchLabels':{'app':'web'}}",
		       "kubernetes.io/hostname") },
	    { ZONE("n2", "a"), NULL, NULL, NULL },
	    { ZONE("n3", "b"), NULL, NULL, NULL } },
	  "{'app':'web'}", SPEC(""), { 0, 1, 1 } },
	{ "InterPodAffinity: an existing pod's required affinity to this one",
	  { { ZONE("n1", "a"), NULL, "{'app':'db'}",
	      PA("podAffinity", "{'matchLabels':{'app':'web'}}", "kubernetes.io/hostname", "") },
	    { ZONE("n2", "a"), NULL, NULL, NULL },
	    { ZONE("n3", "b"), NULL, NULL, NULL } },
	  "{'app':'web'}", SPEC(""), { 0, 1, 1 } },
};

static void test_score_order(void **state)
{
	const struct score_case *sc;
	struct sched_pod p;
	struct cl cl;
	int64_t s[3];
	char name[8];
	json_t *pod;
	size_t i, j, k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(score_cases); i++) {
		sc = &score_cases[i];
		memset(&cl, 0, sizeof(cl));
		for (j = 0; j < 3; j++) {
			struct sched_node *n;

			snprintf(name, sizeof(name), "n%zu", j + 1);
			n = cl_add(&cl, node_js(name, sc->nodes[j].labels, NULL, sc->nodes[j].spec,
						NULL));
			if (sc->nodes[j].placed)
				cl_place(&cl, n, "default", sc->nodes[j].placed_labels,
					 sc->nodes[j].placed);
		}
		pod = parse_ok(&p, sc->labels, sc->spec);
		sched_score(&p, &cl.c, cl.nodes, 3, s);
		for (j = 0; j < 3; j++)
			for (k = 0; k < 3; k++)
				if ((sc->rank[j] < sc->rank[k] && s[j] <= s[k]) ||
				    (sc->rank[j] == sc->rank[k] && s[j] != s[k]))
					fail_msg("%s: scores %lld %lld %lld, want ranks %d %d %d",
						 sc->name, (long long)s[0], (long long)s[1],
						 (long long)s[2], sc->rank[0], sc->rank[1],
						 sc->rank[2]);
		sched_pod_release(&p);
		json_decref(pod);
		cl_free(&cl);
	}
}

/* --- whole decisions --- */

/* Schedule spec on cl; on success place it there (as binding would) and return the node. */
static struct sched_node *schedule_one(struct cl *cl, const char *labels, const char *spec,
				       struct sched_result *r)
{
	struct sched_pod p;
	json_t *pod;
	char name[32];

	snprintf(name, sizeof(name), "pod-%u", cl->seq++);
	pod = pod_js("default", name, labels, spec);
	if (sched_pod_parse(pod, &p))
		fail_msg("parse: %s", p.error);
	sched_schedule(&p, &cl->c, r);
	if (r->node)
		sched_node_add_pod(r->node, pod);
	sched_pod_release(&p);
	json_decref(pod);
	return r->node;
}

static const struct summary_case {
	const char *name;
	size_t n_cpu_short, n_tainted, n_cordoned, n_both_short;
	const char *spec;
	const char *want;
} summary_cases[] = {
	{ "two reasons", 2, 3, 0, 0, SPEC_REQ("3", "1Gi"),
	  "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint "
	  "{node-role.kubernetes.io/control-plane: }." },
	{ "sorted as strings, counts included", 0, 2, 10, 0, SPEC_REQ("1", "1Gi"),
	  "0/12 nodes are available: 10 node(s) were unschedulable, 2 node(s) had untolerated "
	  "taint {node-role.kubernetes.io/control-plane: }." },
	{ "a node short of two resources counts in both", 1, 0, 0, 2, SPEC_REQ("3", "7Gi"),
	  "0/3 nodes are available: 2 Insufficient memory, 3 Insufficient cpu." },
};

static void test_summary(void **state)
{
	const struct summary_case *sc;
	struct sched_result r;
	struct cl cl;
	struct sched_node *n;
	char name[16];
	size_t i, j, k = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(summary_cases); i++) {
		sc = &summary_cases[i];
		memset(&cl, 0, sizeof(cl));
		for (j = 0; j < sc->n_cpu_short + sc->n_both_short; j++) {
			snprintf(name, sizeof(name), "w%zu", k++);
			n = cl_add(&cl, node_js(name, NULL, NULL, NULL, NULL));
			cl_place(&cl, n, "default", NULL,
				 j < sc->n_cpu_short ? SPEC_REQ("2", "1Gi") : SPEC_REQ("2", "4Gi"));
		}
		for (j = 0; j < sc->n_tainted; j++) {
			snprintf(name, sizeof(name), "cp%zu", k++);
			cl_add(&cl, node_js(name, NULL, NULL, CONTROL_PLANE, NULL));
		}
		for (j = 0; j < sc->n_cordoned; j++) {
			snprintf(name, sizeof(name), "x%zu", k++);
			cl_add(&cl, node_js(name, NULL, NULL, "{'unschedulable':true}", NULL));
		}
		schedule_one(&cl, NULL, sc->spec, &r);
		assert_null(r.node);
		if (strcmp(r.summary, sc->want))
			fail_msg("%s:\n  got:  %s\n  want: %s", sc->name, r.summary, sc->want);
		assert_int_equal(r.evaluated, cl.c.n_nodes);
		assert_int_equal(r.feasible, 0);
		cl_free(&cl);
	}

	/* No nodes at all: kube's ErrNoNodesAvailable. */
	memset(&cl, 0, sizeof(cl));
	schedule_one(&cl, NULL, SPEC(""), &r);
	assert_null(r.node);
	assert_string_equal(r.summary, "no nodes available to schedule pods");
}

/* Pods of 700m on ten 4-cpu nodes: five each, never more, then a clear refusal. */
static void test_schedule_no_overcommit(void **state)
{
	struct sched_result r;
	struct cl cl = { 0 };
	char name[16];
	size_t i, placed = 0;

	(void)state;
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		cl_add(&cl, node_js(name, NULL, NULL, NULL, NULL));
	}
	while (schedule_one(&cl, NULL, SPEC_REQ("700m", "512Mi"), &r)) {
		placed++;
		assert_true(placed <= 50);
		for (i = 0; i < cl.c.n_nodes; i++)
			assert_true(cl.nodes[i]->req.cpu_milli <= cl.nodes[i]->alloc.cpu_milli);
	}
	assert_int_equal(placed, 50);
	for (i = 0; i < cl.c.n_nodes; i++) {
		assert_int_equal(cl.nodes[i]->n_placed, 5);
		assert_int_equal(cl.nodes[i]->req.cpu_milli, 3500);
	}
	assert_string_equal(r.summary, "0/10 nodes are available: 10 Insufficient cpu.");

	/* Removing a pod frees its share: exactly one more fits. */
	{
		json_t *gone = json_incref(cl.nodes[3]->placed[0].pod);

		sched_node_remove_pod(cl.nodes[3], gone);
		json_decref(gone);
	}
	assert_int_equal(cl.nodes[3]->req.cpu_milli, 2800);
	assert_ptr_equal(schedule_one(&cl, NULL, SPEC_REQ("700m", "512Mi"), &r), cl.nodes[3]);
	assert_null(schedule_one(&cl, NULL, SPEC_REQ("700m", "512Mi"), &r));
	cl_free(&cl);
}

static size_t count_app(const struct sched_node *n, const char *app)
{
	const json_t *v;
	size_t i, cnt = 0;

	for (i = 0; i < n->n_placed; i++) {
		v = json_object_get(n->placed[i].labels, "app");
		cnt += json_is_string(v) && !strcmp(json_string_value(v), app);
	}
	return cnt;
}

/*
 * 30 replicas over 3 zones of 2 nodes with maxSkew 1. Zone a has ten times the room,
 * so LeastAllocated alone would put them all there: the zones must never differ by
 * more than one all the same.
 */
static void test_schedule_spread(void **state)
{
	static const char *const zones[] = { "a", "b", "c" };
	struct sched_result r;
	struct cl cl = { 0 };
	char name[16], labels[96];
	size_t i, j, k, per_zone[3];

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		snprintf(labels, sizeof(labels), "{'kubernetes.io/hostname':'%s','zone':'%s'}",
			 name, zones[i % 3]);
		cl_add(&cl, node_js(name, labels,
				    i % 3 ? "{'cpu':'64','memory':'256Gi','pods':'110'}" :
					    "{'cpu':'640','memory':'2560Gi','pods':'110'}",
				    NULL, NULL));
	}
	/* Unrelated pods in zone b: the constraint counts app=web only. */
	cl_place(&cl, cl.nodes[1], "default", "{'app':'other'}", SPEC(""));
	cl_place(&cl, cl.nodes[4], "default", "{'app':'other'}", SPEC(""));
	for (i = 0; i < 30; i++) {
		assert_non_null(schedule_one(&cl, "{'app':'web'}",
					     SPREAD(TSC("1", "zone", "DoNotSchedule", "")), &r));
		memset(per_zone, 0, sizeof(per_zone));
		for (j = 0; j < 6; j++)
			per_zone[j % 3] += count_app(cl.nodes[j], "web");
		for (j = 0; j < 3; j++)
			for (k = 0; k < 3; k++)
				if (per_zone[j] > per_zone[k] + 1)
					fail_msg("after %zu pods zones hold %zu %zu %zu", i + 1,
						 per_zone[0], per_zone[1], per_zone[2]);
	}
	assert_int_equal(per_zone[0], 10);
	assert_int_equal(per_zone[1], 10);
	assert_int_equal(per_zone[2], 10);
	cl_free(&cl);
}

/* Tainted and cordoned nodes are passed over; tolerating pods may use them. */
static void test_schedule_taints(void **state)
{
	struct sched_result r;
	struct cl cl = { 0 };
	size_t i;

	(void)state;
	cl_add(&cl, node_js("cp", NULL, NULL, CONTROL_PLANE, NULL));
	cl_add(&cl, node_js("cordoned", NULL, NULL, "{'unschedulable':true}", NULL));
	cl_add(&cl, node_js("worker", NULL, NULL, NULL, NULL));
	cl_add(&cl, node_js("soft", NULL, NULL, TAINTS(TAINT("spot", "true", "PreferNoSchedule")),
			    NULL));
	for (i = 0; i < 20; i++) {
		assert_non_null(schedule_one(&cl, NULL, "{'containers':[{'name':'c'}]}", &r));
		assert_string_equal(r.node->name, "worker");
		assert_int_equal(r.feasible, 2);
		assert_int_equal(r.evaluated, 4);
	}
	/* PreferNoSchedule weighs 3 x 100 against a few points of LeastAllocated. */
	assert_int_equal(cl_node(&cl, "soft")->n_placed, 0);
	assert_non_null(schedule_one(&cl, NULL,
				     TOLS("{'key':'node-role.kubernetes.io/control-plane',"
					  "'operator':'Exists'},"
					  "{'key':'spot','operator':'Exists'}"),
				     &r));
	cl_free(&cl);
}

/* Identical nodes: every one is picked about as often. */
static void test_schedule_ties(void **state)
{
	struct sched_result r;
	struct sched_pod p;
	struct cl cl = { 0 };
	size_t i, hits[4] = { 0 };
	json_t *pod;

	(void)state;
	for (i = 0; i < 4; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%zu", i);
		cl_add(&cl, node_js(name, NULL, NULL, NULL, NULL));
	}
	pod = parse_ok(&p, NULL, SPEC(""));
	for (i = 0; i < 4000; i++) {
		sched_schedule(&p, &cl.c, &r);
		assert_non_null(r.node);
		hits[r.node->name[1] - '0']++;
	}
	for (i = 0; i < 4; i++)
		if (hits[i] < 800 || hits[i] > 1200)
			fail_msg("node %zu picked %zu of 4000 times", i, hits[i]);
	sched_pod_release(&p);
	json_decref(pod);
	cl_free(&cl);
}

/* Large clusters are sampled from where the last attempt stopped. */
static void test_schedule_sampling(void **state)
{
	struct sched_result r;
	struct sched_pod p;
	struct cl cl = { 0 };
	char name[16];
	json_t *pod;
	size_t i;

	(void)state;
	for (i = 0; i < 250; i++) {
		snprintf(name, sizeof(name), "n%03zu", i);
		cl_add(&cl, node_js(name, NULL, NULL, NULL, NULL));
	}
	pod = parse_ok(&p, NULL, SPEC(""));
	sched_schedule(&p, &cl.c, &r);
	assert_int_equal(r.feasible, 120);
	assert_int_equal(r.evaluated, 120);
	assert_int_equal(cl.c.rotate, 120);
	assert_true(strcmp(r.node->name, "n120") < 0);
	sched_schedule(&p, &cl.c, &r);
	assert_int_equal(cl.c.rotate, 240);
	assert_true(strcmp(r.node->name, "n120") >= 0 && strcmp(r.node->name, "n240") < 0);
	/* Wraps around: n240..n249, then n000..n109. */
	sched_schedule(&p, &cl.c, &r);
	assert_int_equal(cl.c.rotate, 110);
	sched_pod_release(&p);
	json_decref(pod);

	/* Infeasible nodes are evaluated but not counted: the pass goes on. */
	pod = parse_ok(&p, NULL, SPEC(",'nodeSelector':{'kubernetes.io/hostname':'n005'}"));
	cl.c.rotate = 10;
	sched_schedule(&p, &cl.c, &r);
	assert_string_equal(r.node->name, "n005");
	assert_int_equal(r.evaluated, 250);
	assert_int_equal(r.feasible, 1);
	sched_pod_release(&p);
	json_decref(pod);
	cl_free(&cl);
}

/* Node updates keep the pods; removing a pod gives back its ports and requests. */
static void test_node_bookkeeping(void **state)
{
	struct sched_node *n;
	json_t *node, *pod;

	(void)state;
	node = node_js("n1", NULL, NULL, NULL, NULL);
	n = sched_node_new(node);
	json_decref(node);
	assert_non_null(n);
	assert_true(n->ready);
	pod = pod_js("default", "web", "{'app':'web'}",
		     "{'containers':[{'name':'c','resources':{'requests':{'cpu':'1',"
		     "'example.com/gpu':'1'}},'ports':[{'containerPort':80,'hostPort':80}]}]}");
	sched_node_add_pod(n, pod);
	sched_node_add_pod(n, pod); /* again: replaced, not doubled */
	assert_int_equal(n->n_placed, 1);
	assert_int_equal(n->req.cpu_milli, 1000);
	assert_int_equal(n->req.pods, 1);
	assert_int_equal(n->n_ports, 1);
	assert_int_equal(n->nz_mem_bytes, 200 * MI);

	node = node_js("n1", "{'zone':'z'}", "{'cpu':'8','memory':'8Gi','pods':'10'}",
		       "{'unschedulable':true}", "False");
	assert_int_equal(sched_node_update(n, node), 0);
	json_decref(node);
	assert_int_equal(n->alloc.cpu_milli, 8000);
	assert_true(n->unschedulable);
	assert_false(n->ready);
	assert_int_equal(n->n_placed, 1);
	assert_int_equal(n->req.cpu_milli, 1000);

	sched_node_remove_pod(n, pod);
	json_decref(pod);
	assert_int_equal(n->n_placed, 0);
	assert_int_equal(n->req.cpu_milli, 0);
	assert_int_equal(n->req.pods, 0);
	assert_int_equal(n->n_ports, 0);
	assert_int_equal(n->nz_cpu_milli, 0);
	sched_node_free(n);

	/* A node the scheduler cannot read is refused. */
	node = js("{'metadata':{'name':'bad'},'status':{'allocatable':{'cpu':'lots'}}}");
	assert_null(sched_node_new(node));
	assert_int_equal(errno, EINVAL);
	json_decref(node);
	/* Capacity stands in for a missing allocatable. */
	node = js("{'metadata':{'name':'cap'},'status':{'capacity':{'cpu':'2','pods':'5'}}}");
	n = sched_node_new(node);
	json_decref(node);
	assert_non_null(n);
	assert_int_equal(n->alloc.cpu_milli, 2000);
	assert_int_equal(n->alloc.pods, 5);
	sched_node_free(n);
}

/* --- benchmark (`test_sched --bench`, run by make bench-scheduler; not a test): the cost
 * of one decision on 5,000 nodes --- */

static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double bench(struct cl *cl, size_t decisions, const char *labels, const char *spec)
{
	struct sched_result r;
	double t0 = now_s();
	size_t i;

	for (i = 0; i < decisions; i++)
		if (!schedule_one(cl, labels, spec, &r))
			fail_msg("decision %zu: %s", i, r.summary);
	return (now_s() - t0) / decisions;
}

static void test_benchmark(void **state)
{
	struct cl cl = { 0 };
	size_t nodes = 5000, decisions = under_valgrind() ? 20 : 1000, i, j;
	char name[16], labels[128];
	double plain, spread, anti;

	(void)state;
	for (i = 0; i < nodes; i++) {
		struct sched_node *n;

		snprintf(name, sizeof(name), "node-%04zu", i);
		snprintf(labels, sizeof(labels),
			 "{'kubernetes.io/hostname':'%s','topology.kubernetes.io/zone':'z%zu'}",
			 name, i % 3);
		n = cl_add(&cl, node_js(name, labels, "{'cpu':'32','memory':'128Gi','pods':'110'}",
					NULL, NULL));
		/* Four running pods per node: 20,000 in all. */
		for (j = 0; j < 4; j++)
			cl_place(&cl, n, j % 2 ? "kube-system" : "default",
				 j % 2 ? "{'app':'agent'}" : "{'app':'batch'}",
				 SPEC_REQ("250m", "512Mi"));
	}
	plain = bench(&cl, decisions, "{'app':'web'}", SPEC_REQ("100m", "128Mi"));
	spread = bench(&cl, decisions, "{'app':'api'}",
		       "{'containers':[" CTR("100m", "128Mi") "],'topologySpreadConstraints':["
		       "{'maxSkew':1,'topologyKey':'topology.kubernetes.io/zone',"
		       "'whenUnsatisfiable':'DoNotSchedule','labelSelector':{'matchLabels':"
		       "{'app':'api'}}},{'maxSkew':1,'topologyKey':'kubernetes.io/hostname',"
		       "'whenUnsatisfiable':'ScheduleAnyway','labelSelector':{'matchLabels':"
		       "{'app':'api'}}}]}");
	anti = bench(&cl, decisions, "{'app':'cache'}",
		     PA("podAntiAffinity", "{'matchLabels':{'app':'cache'}}",
			"kubernetes.io/hostname", ""));
	printf("\nOne decision (filter, score, assume) on %zu nodes with %zu running pods, mean of %zu%s:\n\n",
	       nodes, nodes * 4, decisions, under_valgrind() ? " (under valgrind)" : "");
	printf("| pod | per decision | decisions/s |\n|---|---:|---:|\n");
	printf("| plain (requests only) | %.1f us | %.0f |\n", plain * 1e6, 1 / plain);
	printf("| zone spread (hard) + host spread (soft) | %.1f us | %.0f |\n", spread * 1e6, 1 / spread);
	printf("| required anti-affinity | %.1f us | %.0f |\n", anti * 1e6, 1 / anti);
	cl_free(&cl);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes_to_find),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_pod_errors),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_spread_filter),
		cmocka_unit_test(test_interpod_filter),
		cmocka_unit_test(test_score_exact),
		cmocka_unit_test(test_score_order),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_schedule_no_overcommit),
		cmocka_unit_test(test_schedule_spread),
		cmocka_unit_test(test_schedule_taints),
		cmocka_unit_test(test_schedule_ties),
		cmocka_unit_test(test_schedule_sampling),
		cmocka_unit_test(test_node_bookkeeping),
	};
	const struct CMUnitTest bench_only[] = { cmocka_unit_test(test_benchmark) };

	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return cmocka_run_group_tests(bench_only, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
