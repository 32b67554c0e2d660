/* test_k8s_schema.c — unit tests of k8s_schema: strict field checks, merge keys, OpenAPI schemas. */
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

#include "k8s_schema.h"

/*
 * Test JSON is written with single quotes so that it reads like the objects it stands
 * for; js() turns them into double quotes. No test string needs a literal apostrophe.
 */
#define CORE "io.k8s.api.core.v1."
#define APPS "io.k8s.api.apps.v1."
#define META "io.k8s.apimachinery.pkg.apis.meta.v1."

#define TS "'2024-05-01T10:00:00Z'"

#define DEPLOYMENT                                                                         \
	"{'apiVersion':'apps/v1','kind':'Deployment',"                                     \
	"'metadata':{'name':'web','namespace':'shop','labels':{'app':'web'},"             \
	"  'annotations':{'note':'x'},'finalizers':['example.com/f'],'generation':3,"     \
	"  'creationTimestamp':" TS ",'resourceVersion':'42','uid':'0b6c',"               \
	"  'ownerReferences':[{'apiVersion':'v1','kind':'Foo','name':'o','uid':'u1',"     \
	"    'controller':true,'blockOwnerDeletion':true}],"                              \
	"  'managedFields':[{'manager':'kubectl','operation':'Apply','apiVersion':'apps/v1'," \
	"    'time':" TS ",'fieldsType':'FieldsV1','fieldsV1':{'f:spec':{'f:replicas':{}}}}]}," \
	"'spec':{'replicas':3,'revisionHistoryLimit':10,'progressDeadlineSeconds':600,"   \
	"  'selector':{'matchLabels':{'app':'web'},"                                       \
	"    'matchExpressions':[{'key':'tier','operator':'In','values':['fe']}]},"        \
	"  'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%','maxUnavailable':1}}," \
	"  'template':{'metadata':{'labels':{'app':'web'}},'spec':{"                       \
	"    'containers':[{'name':'web','image':'nginx:1.27','args':['-g','daemon off;'],"  \
	"      'ports':[{'name':'http','containerPort':80,'protocol':'TCP'}],"             \
	"      'env':[{'name':'A','value':'b'},"                                           \
	"        {'name':'POD','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}],"  \
	"      'resources':{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':0.25}}," \
	"      'readinessProbe':{'httpGet':{'path':'/','port':'http'},'periodSeconds':5},"   \
	"      'volumeMounts':[{'name':'data','mountPath':'/data'}]}],"                    \
	"    'volumes':[{'name':'data','emptyDir':{'sizeLimit':'1Gi'}}],"                 \
	"    'terminationGracePeriodSeconds':30}}},"                                        \
	"'status':{'replicas':3,'readyReplicas':3,'observedGeneration':3,"                 \
	"  'conditions':[{'type':'Available','status':'True','lastUpdateTime':" TS ","     \
	"    'reason':'MinimumReplicasAvailable'}]}}"

#define POD                                                                                \
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web-1','namespace':'shop'},"  \
	"'spec':{'nodeName':'node-a','restartPolicy':'Always','nodeSelector':{'disk':'ssd'}," \
	"  'tolerations':[{'key':'k','operator':'Exists','effect':'NoExecute','tolerationSeconds':300}]," \
	"  'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"  \
	"    {'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':'In','values':['a']}]}]}}}," \
	"  'securityContext':{'runAsUser':5000000000,'fsGroup':2000,'supplementalGroups':[1,2]}," \
	"  'containers':[{'name':'web','image':'nginx','command':['nginx'],"               \
	"    'livenessProbe':{'tcpSocket':{'port':80},'initialDelaySeconds':3},"           \
	"    'securityContext':{'capabilities':{'add':['NET_ADMIN']},'readOnlyRootFilesystem':true}}]," \
	"  'volumes':[{'name':'cfg','configMap':{'name':'cfg','defaultMode':420,"           \
	"    'items':[{'key':'a','path':'a.conf'}]}}]},"                                   \
	"'status':{'phase':'Running','podIP':'10.1.0.5','podIPs':[{'ip':'10.1.0.5'}],"      \
	"  'hostIP':'192.168.1.10','startTime':" TS ","                                   \
	"  'conditions':[{'type':'Ready','status':'True','lastTransitionTime':" TS "}],"   \
	"  'containerStatuses':[{'name':'web','ready':true,'restartCount':0,'image':'nginx'," \
	"    'imageID':'sha256:1','started':true,'state':{'running':{'startedAt':" TS "}}}]}}"

#define SERVICE                                                                            \
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'web','namespace':'shop'},"\
	"'spec':{'type':'LoadBalancer','selector':{'app':'web'},'clusterIP':'10.96.0.10',"  \
	"  'clusterIPs':['10.96.0.10'],'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack'," \
	"  'ports':[{'name':'http','port':80,'targetPort':8080,'protocol':'TCP','nodePort':30080}," \
	"    {'name':'https','port':443,'targetPort':'https','appProtocol':'https'}],"     \
	"  'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':10800}}," \
	"  'externalTrafficPolicy':'Local','internalTrafficPolicy':'Cluster',"            \
	"  'allocateLoadBalancerNodePorts':true,'loadBalancerClass':'example.com/lb'},"    \
	"'status':{'loadBalancer':{'ingress':[{'ip':'203.0.113.7',"                       \
	"  'ports':[{'port':80,'protocol':'TCP'}]}]}}}"

#define ENDPOINTSLICE                                                                      \
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"                      \
	"'metadata':{'name':'web-x1','namespace':'shop','labels':{'kubernetes.io/service-name':'web'}}," \
	"'addressType':'IPv4',"                                                            \
	"'endpoints':[{'addresses':['10.1.0.5'],'nodeName':'node-a','zone':'a',"          \
	"  'conditions':{'ready':true,'serving':true,'terminating':false},"                \
	"  'targetRef':{'kind':'Pod','name':'web-1','namespace':'shop'},"                  \
	"  'hints':{'forZones':[{'name':'a'}]}}],"                                        \
	"'ports':[{'name':'http','port':8080,'protocol':'TCP','appProtocol':'http'}]}"

#define LEASE                                                                              \
	"{'apiVersion':'coordination.k8s.io/v1','kind':'Lease',"                           \
	"'metadata':{'name':'node-a','namespace':'kube-node-lease'},"                      \
	"'spec':{'holderIdentity':'node-a','leaseDurationSeconds':40,'leaseTransitions':0," \
	"  'acquireTime':'2024-05-01T10:00:00.000000Z','renewTime':'2024-05-01T10:00:10.123456Z'}}"

/* Fields added after Kubernetes 1.22, as kubectl 1.32 may send them. */
#define POD_NEW_FIELDS                                                                     \
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"                         \
	"'spec':{'os':{'name':'linux'},'hostUsers':false,"                                 \
	"  'schedulingGates':[{'name':'example.com/gate'}],"                               \
	"  'resourceClaims':[{'name':'gpu','resourceClaimTemplateName':'gpu-tpl'}],"      \
	"  'resources':{'limits':{'cpu':'2'}},"                                           \
	"  'securityContext':{'appArmorProfile':{'type':'RuntimeDefault'},"                \
	"    'supplementalGroupsPolicy':'Strict','seLinuxChangePolicy':'Recursive'},"       \
	"  'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"                 \
	"    'whenUnsatisfiable':'DoNotSchedule','minDomains':2,'nodeAffinityPolicy':'Honor'," \
	"    'nodeTaintsPolicy':'Ignore','matchLabelKeys':['pod-template-hash']}],"          \
	"  'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"    \
	"    [{'topologyKey':'zone','labelSelector':{},'matchLabelKeys':['a'],'mismatchLabelKeys':['b']}]}}," \
	"  'initContainers':[{'name':'proxy','image':'envoy','restartPolicy':'Always'}],"  \
	"  'containers':[{'name':'app','image':'app',"                                    \
	"    'resizePolicy':[{'resourceName':'cpu','restartPolicy':'NotRequired'}],"        \
	"    'resources':{'claims':[{'name':'gpu','request':'one'}]},"                    \
	"    'lifecycle':{'preStop':{'sleep':{'seconds':5}}},"                              \
	"    'livenessProbe':{'grpc':{'port':9000,'service':'health'}},"                    \
	"    'securityContext':{'appArmorProfile':{'type':'Localhost','localhostProfile':'p'}}," \
	"    'volumeMounts':[{'name':'img','mountPath':'/img','readOnly':true,'recursiveReadOnly':'IfPossible'}]}]," \
	"  'volumes':[{'name':'img','image':{'reference':'example.com/data:1','pullPolicy':'IfNotPresent'}}," \
	"    {'name':'tb','projected':{'sources':[{'clusterTrustBundle':{'signerName':'example.com/s','path':'ca.pem'}}]}}," \
	"    {'name':'eph','ephemeral':{'volumeClaimTemplate':{'spec':{'accessModes':['ReadWriteOnce']," \
	"      'resources':{'requests':{'storage':'1Gi'}},'volumeAttributesClassName':'fast'," \
	"      'dataSourceRef':{'kind':'Snap','name':'s','namespace':'other'}}}}}]},"        \
	"'status':{'hostIPs':[{'ip':'192.168.1.10'}],'resize':'InProgress',"              \
	"  'resourceClaimStatuses':[{'name':'gpu','resourceClaimName':'p-gpu'}],"           \
	"  'containerStatuses':[{'name':'app','ready':true,'restartCount':0,'image':'app','imageID':'x'," \
	"    'allocatedResources':{'cpu':'1'},'resources':{'requests':{'cpu':'1'}},"        \
	"    'volumeMounts':[{'name':'img','mountPath':'/img','readOnly':true,'recursiveReadOnly':'Enabled'}]," \
	"    'user':{'linux':{'uid':1000,'gid':1000,'supplementalGroups':[1000]}},"         \
	"    'allocatedResourcesStatus':[{'name':'claim:gpu/one',"                        \
	"      'resources':[{'resourceID':'dev-1','health':'Healthy'}]}]}]}}"

static char *dequote(const char *src)
{
	char *s = strdup(src), *p;

	assert_non_null(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static json_t *js(const char *src)
{
	char *text = dequote(src);
	json_error_t jerr;
	json_t *v;

	v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	free(text);
	if (!v)
		fail_msg("test JSON %d:%d: %s", jerr.line, jerr.column, jerr.text);
	return v;
}

/* Check src as type; prints what was found when the count is not the one expected. */
static void check(const char *type, const char *src, struct k8s_problems *p)
{
	json_t *doc = js(src);
	int n = k8s_check_fields(type, doc, p);

	json_decref(doc);
	assert_true(n >= 0);
	assert_int_equal((size_t)n, p->n);
}

static void print_problems(const char *what, const struct k8s_problems *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		print_message("%s: [%s] %s\n", what, p->v[i].path, p->v[i].message);
}

/* --- valid objects --- */

static void test_valid_objects(void **state)
{
	static const struct {
		const char *type, *json;
	} ok[] = {
		{ APPS "Deployment", DEPLOYMENT },
		{ CORE "Pod", POD },
		{ CORE "Service", SERVICE },
		{ "io.k8s.api.discovery.v1.EndpointSlice", ENDPOINTSLICE },
		{ "io.k8s.api.coordination.v1.Lease", LEASE },
		{ CORE "Pod", POD_NEW_FIELDS },
		/* null leaves a field unset, as Go's decoder does */
		{ APPS "Deployment", "{'metadata':null,'spec':{'replicas':null,'template':{'spec':null}}}" },
		/* top-level apiVersion/kind/metadata are allowed even where the type has none */
		{ APPS "DeploymentSpec", "{'apiVersion':'x','kind':'y','metadata':{'z':1},'replicas':1}" },
		{ CORE "Service", "{'spec':{'trafficDistribution':'PreferClose'},"
				  "'status':{'loadBalancer':{'ingress':[{'ip':'1.2.3.4','ipMode':'VIP'}]}}}" },
		{ "io.k8s.api.coordination.v1.Lease", "{'spec':{'strategy':'OldestEmulationVersion','preferredHolder':'b'}}" },
		{ META "DeleteOptions", "{'kind':'DeleteOptions','apiVersion':'v1','gracePeriodSeconds':0,"
					"'propagationPolicy':'Foreground','ignoreStoreReadErrorWithClusterBreakingPotential':true}" },
		{ CORE "Node", "{'spec':{'podCIDRs':['10.1.0.0/24']},'status':{'capacity':{'cpu':4,'memory':'8Gi'},"
			       "'runtimeHandlers':[{'name':'runc','features':{'recursiveReadOnlyMounts':true,'userNamespaces':true}}],"
			       "'features':{'supplementalGroupsPolicy':true}}}" },
		{ CORE "PodList", "{'apiVersion':'v1','kind':'PodList','metadata':{'resourceVersion':'9','remainingItemCount':2},"
				  "'items':[" POD "]}" },
		/* free-form: anything goes inside fieldsV1 */
		{ META "ObjectMeta", "{'managedFields':[{'fieldsV1':{'f:anything':{'k:{\\\"x\\\":1}':{}},'.':[1,true]}}]}" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct k8s_problems p = { 0 };

		check(ok[i].type, ok[i].json, &p);
		if (p.n) {
			print_problems(ok[i].type, &p);
			fail_msg("case %zu (%s): %zu problems, want none", i, ok[i].type, p.n);
		}
		k8s_problems_free(&p);
	}
}

/* --- problems: exact paths and messages --- */

struct bad_case {
	const char *type;
	const char *json;
	const char *want[6];   /* "path|message", NULL-terminated, in document order */
};

static void run_bad_cases(const struct bad_case *cases, size_t n, enum k8s_problem_kind kind)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct k8s_problems p = { 0 };

		check(cases[i].type, cases[i].json, &p);
		for (j = 0; cases[i].want[j]; j++) {
			const char *want = cases[i].want[j], *bar = strchr(want, '|');
			char line[512];

			if (j >= p.n) {
				print_problems(cases[i].type, &p);
				fail_msg("case %zu: missing %s", i, want);
			}
			snprintf(line, sizeof(line), "%s|%s", p.v[j].path, p.v[j].message);
			if (strcmp(line, want)) {
				print_problems(cases[i].type, &p);
				fail_msg("case %zu problem %zu:\n  got  %s\n  want %s", i, j, line, want);
			}
			assert_int_equal(bar - want, strlen(p.v[j].path));
			assert_int_equal(p.v[j].kind, kind);
		}
		if (j != p.n) {
			print_problems(cases[i].type, &p);
			fail_msg("case %zu: %zu problems, want %zu", i, p.n, j);
		}
		assert_int_equal(kind == K8S_UNKNOWN_FIELD ? p.n_unknown : p.n_wrong, p.n);
		k8s_problems_free(&p);
	}
}

static void test_unknown_fields(void **state)
{
	static const struct bad_case cases[] = {
		{ CORE "Pod", "{'spec':{'containers':[{'name':'a','imagee':'nginx'}]}}",
		  { "spec.containers[0].imagee|unknown field \"spec.containers[0].imagee\"" } },
		/* several depths, reported in document order */
		{ APPS "Deployment",
		  "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'x','labelz':{}},"
		  "'specc':{},'spec':{'selector':{'matchLabelz':{'a':'b'}},'template':{'spec':{"
		  "'containers':[{'name':'a'},{'name':'b','ports':[{'containerPortt':80}]}]}}}}",
		  { "metadata.labelz|unknown field \"metadata.labelz\"",
		    "specc|unknown field \"specc\"",
		    "spec.selector.matchLabelz|unknown field \"spec.selector.matchLabelz\"",
		    "spec.template.spec.containers[1].ports[0].containerPortt|"
		    "unknown field \"spec.template.spec.containers[1].ports[0].containerPortt\"" } },
		/* names are case-sensitive, as in Kubernetes' decoder */
		{ CORE "Service", "{'spec':{'ports':[{'port':80,'targetport':8080}]}}",
		  { "spec.ports[0].targetport|unknown field \"spec.ports[0].targetport\"" } },
		{ "io.k8s.api.coordination.v1.Lease", "{'spec':{'holderidentity':'a'}}",
		  { "spec.holderidentity|unknown field \"spec.holderidentity\"" } },
		{ "io.k8s.api.discovery.v1.EndpointSlice",
		  "{'addressType':'IPv4','endpoints':[{'addresses':['10.0.0.1'],'conditions':{'redy':true}}]}",
		  { "endpoints[0].conditions.redy|unknown field \"endpoints[0].conditions.redy\"" } },
		{ APPS "Deployment", "{'status':{'conditions':[{'type':'A','status':'True','lastTransitionTimee':'x'}]}}",
		  { "status.conditions[0].lastTransitionTimee|unknown field \"status.conditions[0].lastTransitionTimee\"" } },
		/* removed in Kubernetes 1.25 */
		{ CORE "ConfigMap", "{'metadata':{'name':'c','clusterName':'x'},'data':{'a':'b'}}",
		  { "metadata.clusterName|unknown field \"metadata.clusterName\"" } },
		/* apiVersion/kind/metadata are free only at the top */
		{ CORE "Pod", "{'spec':{'apiVersion':'v1'}}",
		  { "spec.apiVersion|unknown field \"spec.apiVersion\"" } },
		{ CORE "Secret", "{'data':{'k':'dg=='},'strinData':{'a':'b'}}",
		  { "strinData|unknown field \"strinData\"" } },
		/* quoted as Go's %q quotes */
		{ CORE "Namespace", "{'spec':{'a\\\"b':1}}",
		  { "spec.a\"b|unknown field \"spec.a\\\"b\"" } },
	};

	(void)state;
	run_bad_cases(cases, sizeof(cases) / sizeof(cases[0]), K8S_UNKNOWN_FIELD);
}

static void test_wrong_types(void **state)
{
	static const struct bad_case cases[] = {
		{ APPS "Deployment", "{'spec':{'replicas':'3'}}",
		  { "spec.replicas|json: cannot unmarshal string into Go struct field "
		    "DeploymentSpec.spec.replicas of type int32" } },
		{ CORE "Pod", "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':1.5},"
			      "{'containerPort':3000000000}]}]}}",
		  { "spec.containers[0].ports[0].containerPort|json: cannot unmarshal number 1.5 into "
		    "Go struct field ContainerPort.spec.containers.ports.containerPort of type int32",
		    "spec.containers[0].ports[1].containerPort|json: cannot unmarshal number 3000000000 "
		    "into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32" } },
		/* map values: Go's field path stops at the map */
		{ CORE "Pod", "{'metadata':{'labels':{'app':5}}}",
		  { "metadata.labels.app|json: cannot unmarshal number into Go struct field "
		    "ObjectMeta.metadata.labels of type string" } },
		{ CORE "Service", "{'spec':{'ports':[{'port':80,'targetPort':true}]}}",
		  { "spec.ports[0].targetPort|json: cannot unmarshal bool into Go struct field "
		    "ServicePort.spec.ports.targetPort of type intstr.IntOrString" } },
		{ CORE "Pod", "{'spec':{'containers':[{'name':'a','resources':{'limits':{'cpu':[]}}}]}}",
		  { "spec.containers[0].resources.limits.cpu|json: cannot unmarshal array into Go struct "
		    "field ResourceRequirements.spec.containers.resources.limits of type resource.Quantity" } },
		{ CORE "Pod", "{'spec':{'containers':{'name':'a'}}}",
		  { "spec.containers|json: cannot unmarshal object into Go struct field "
		    "PodSpec.spec.containers of type []v1.Container" } },
		{ CORE "Pod", "{'spec':'x'}",
		  { "spec|json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec" } },
		{ CORE "Pod", "{'metadata':{'creationTimestamp':5},'spec':{'hostNetwork':'true'}}",
		  { "metadata.creationTimestamp|json: cannot unmarshal number into Go struct field "
		    "ObjectMeta.metadata.creationTimestamp of type v1.Time",
		    "spec.hostNetwork|json: cannot unmarshal string into Go struct field "
		    "PodSpec.spec.hostNetwork of type bool" } },
		{ "io.k8s.api.coordination.v1.Lease", "{'spec':{'renewTime':true,'leaseDurationSeconds':40.0}}",
		  { "spec.renewTime|json: cannot unmarshal bool into Go struct field "
		    "LeaseSpec.spec.renewTime of type v1.MicroTime",
		    "spec.leaseDurationSeconds|json: cannot unmarshal number 40.0 into Go struct field "
		    "LeaseSpec.spec.leaseDurationSeconds of type int32" } },
		{ CORE "Pod", "{'spec':{'containers':[{'name':'a','args':['x',1]}]}}",
		  { "spec.containers[0].args[1]|json: cannot unmarshal number into Go struct field "
		    "Container.spec.containers.args of type string" } },
		{ CORE "Node", "{'status':{'capacity':'4'}}",
		  { "status.capacity|json: cannot unmarshal string into Go struct field "
		    "NodeStatus.status.capacity of type v1.ResourceList" } },
		{ CORE "Pod", "[]",
		  { "|json: cannot unmarshal array into Go value of type v1.Pod" } },
	};

	(void)state;
	run_bad_cases(cases, sizeof(cases) / sizeof(cases[0]), K8S_WRONG_TYPE);
}

static void test_problem_details(void **state)
{
	struct k8s_problems p = { 0 };
	json_t *doc = json_object();
	char key[32];
	int i, n;

	(void)state;
	/* Both kinds in one document, counted apart; what was found and what was wanted. */
	check(APPS "Deployment", "{'spec':{'replicas':true,'replica':1}}", &p);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.n_wrong, 1);
	assert_int_equal(p.n_unknown, 1);
	assert_string_equal(p.v[0].got, "bool");
	assert_string_equal(p.v[0].want, "integer");
	assert_false(p.truncated);
	k8s_problems_free(&p);

	/* Problems are capped; the rest is only flagged. */
	assert_non_null(doc);
	for (i = 0; i < K8S_MAX_PROBLEMS + 50; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		assert_int_equal(json_object_set_new(doc, key, json_true()), 0);
	}
	n = k8s_check_fields(CORE "PodSpec", doc, &p);
	assert_int_equal(n, K8S_MAX_PROBLEMS);
	assert_true(p.truncated);
	k8s_problems_free(&p);
	json_decref(doc);

	assert_int_equal(k8s_check_fields("io.k8s.api.core.v1.Nope", NULL, &p), -ENOENT);
	assert_int_equal(p.n, 0);
}

/* --- lookups --- */

static void test_lookups(void **state)
{
	const struct k8s_type *t;
	size_t i, j;

	(void)state;
	t = k8s_kind_type("", "v1", "Pod");
	assert_non_null(t);
	assert_string_equal(k8s_str(t->name), CORE "Pod");
	assert_ptr_equal(k8s_type_find(CORE "Pod"), t);
	t = k8s_kind_type("apps", "v1", "DeploymentList");
	assert_non_null(t);
	assert_string_equal(k8s_str(t->name), APPS "DeploymentList");
	assert_string_equal(k8s_str(k8s_kind_type("", "v1", "Event")->name), CORE "Event");
	assert_string_equal(k8s_str(k8s_kind_type("autoscaling", "v1", "Scale")->name),
			    "io.k8s.api.autoscaling.v1.Scale");
	assert_ptr_equal(k8s_kind_type("discovery.k8s.io", "v1", "DeleteOptions"),
			 k8s_type_find(META "DeleteOptions"));
	assert_null(k8s_kind_type("", "v1", "Deployment"));
	assert_null(k8s_kind_type("", "v1", "ListMeta"));
	assert_null(k8s_type_find("io.k8s.api.core.v1.Po"));
	assert_non_null(k8s_type_find("io.k8s.apimachinery.pkg.api.resource.Quantity"));
	assert_non_null(k8s_type_find("io.k8s.apimachinery.pkg.util.intstr.IntOrString"));
	assert_non_null(k8s_type_find(META "Time"));
	assert_non_null(k8s_type_find(CORE "LifecycleHandler"));
	assert_null(k8s_type_find(CORE "Handler"));

	/* Binary searches need sorted tables; every reference must point inside. */
	for (i = 0; i < k8s_n_types; i++) {
		const struct k8s_type *ty = &k8s_types[i];

		if (i)
			assert_true(strcmp(k8s_str(ty[-1].name), k8s_str(ty->name)) < 0);
		assert_true((size_t)ty->first_field + ty->n_fields <= k8s_n_fields);
		for (j = 0; j < ty->n_fields; j++) {
			const struct k8s_field *f = &k8s_fields[ty->first_field + j];

			if (j)
				assert_true(strcmp(k8s_str(f[-1].name), k8s_str(f->name)) < 0);
			assert_true(f->ref == K8S_NO_REF || f->ref < k8s_n_types);
			assert_ptr_equal(k8s_type_field(ty, k8s_str(f->name)), f);
		}
	}
	for (i = 0; i < k8s_n_gvks; i++)
		assert_true(k8s_gvks[i].type < k8s_n_types);
}

/* --- strategic merge patch metadata --- */

static void test_merge_keys(void **state)
{
	static const struct {
		const char *type, *field;
		const char *elem_type; /* NULL: none */
		const char *merge_key;
		unsigned strategy;
		bool is_list;
	} cases[] = {
		{ CORE "PodSpec", "containers", CORE "Container", "name", SMP_MERGE, true },
		{ CORE "PodSpec", "initContainers", CORE "Container", "name", SMP_MERGE, true },
		{ CORE "PodSpec", "ephemeralContainers", CORE "EphemeralContainer", "name", SMP_MERGE, true },
		{ CORE "PodSpec", "volumes", CORE "Volume", "name", SMP_MERGE | SMP_RETAIN_KEYS, true },
		{ CORE "PodSpec", "imagePullSecrets", CORE "LocalObjectReference", "name", SMP_MERGE, true },
		{ CORE "PodSpec", "hostAliases", CORE "HostAlias", "ip", SMP_MERGE, true },
		{ CORE "PodSpec", "topologySpreadConstraints", CORE "TopologySpreadConstraint",
		  "topologyKey", SMP_MERGE, true },
		{ CORE "PodSpec", "schedulingGates", CORE "PodSchedulingGate", "name", SMP_MERGE, true },
		{ CORE "PodSpec", "resourceClaims", CORE "PodResourceClaim", "name",
		  SMP_MERGE | SMP_RETAIN_KEYS, true },
		{ CORE "PodSpec", "tolerations", CORE "Toleration", NULL, SMP_REPLACE, true },
		{ CORE "PodSpec", "nodeSelector", NULL, NULL, SMP_REPLACE, false },
		{ CORE "PodSpec", "securityContext", CORE "PodSecurityContext", NULL, SMP_REPLACE, false },
		{ CORE "PodSpec", "nodeName", NULL, NULL, SMP_REPLACE, false },
		{ CORE "Container", "ports", CORE "ContainerPort", "containerPort", SMP_MERGE, true },
		{ CORE "Container", "env", CORE "EnvVar", "name", SMP_MERGE, true },
		{ CORE "Container", "volumeMounts", CORE "VolumeMount", "mountPath", SMP_MERGE, true },
		{ CORE "Container", "volumeDevices", CORE "VolumeDevice", "devicePath", SMP_MERGE, true },
		{ CORE "Container", "args", NULL, NULL, SMP_REPLACE, true },
		{ CORE "Container", "resources", CORE "ResourceRequirements", NULL, SMP_REPLACE, false },
		{ CORE "ResourceRequirements", "limits", NULL, NULL, SMP_REPLACE, false },
		{ CORE "EphemeralContainer", "env", CORE "EnvVar", "name", SMP_MERGE, true },
		{ CORE "ServiceSpec", "ports", CORE "ServicePort", "port", SMP_MERGE, true },
		{ CORE "ServicePort", "targetPort", NULL, NULL, SMP_REPLACE, false },
		{ META "ObjectMeta", "finalizers", NULL, NULL, SMP_MERGE, true },
		{ META "ObjectMeta", "ownerReferences", META "OwnerReference", "uid", SMP_MERGE, true },
		{ META "ObjectMeta", "labels", NULL, NULL, SMP_REPLACE, false },
		{ CORE "PodStatus", "conditions", CORE "PodCondition", "type", SMP_MERGE, true },
		{ CORE "PodStatus", "podIPs", CORE "PodIP", "ip", SMP_MERGE, true },
		{ CORE "NodeStatus", "conditions", CORE "NodeCondition", "type", SMP_MERGE, true },
		{ CORE "NodeStatus", "addresses", CORE "NodeAddress", "type", SMP_MERGE, true },
		{ CORE "NodeSpec", "podCIDRs", NULL, NULL, SMP_MERGE, true },
		{ CORE "NodeSpec", "taints", CORE "Taint", NULL, SMP_REPLACE, true },
		{ APPS "DeploymentSpec", "strategy", APPS "DeploymentStrategy", NULL, SMP_RETAIN_KEYS, false },
		{ APPS "DeploymentSpec", "template", CORE "PodTemplateSpec", NULL, SMP_REPLACE, false },
		{ APPS "DeploymentStatus", "conditions", APPS "DeploymentCondition", "type", SMP_MERGE, true },
		{ APPS "ReplicaSetStatus", "conditions", APPS "ReplicaSetCondition", "type", SMP_MERGE, true },
		{ "io.k8s.api.discovery.v1.EndpointSlice", "endpoints", "io.k8s.api.discovery.v1.Endpoint",
		  NULL, SMP_REPLACE, true },
	};
	struct smp_field out;
	smp_lookup_fn fn = k8s_smp_lookup;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&out, 0xa5, sizeof(out));
		if (!fn(cases[i].type, cases[i].field, &out, NULL))
			fail_msg("%s.%s: not found", cases[i].type, cases[i].field);
		if (cases[i].elem_type)
			assert_string_equal(out.type, cases[i].elem_type);
		else
			assert_null(out.type);
		if (cases[i].merge_key)
			assert_string_equal(out.merge_key, cases[i].merge_key);
		else
			assert_null(out.merge_key);
		assert_int_equal(out.strategy, cases[i].strategy);
		assert_int_equal(out.is_list, cases[i].is_list);
	}
	assert_false(k8s_smp_lookup(CORE "PodSpec", "containerz", &out, NULL));
	assert_false(k8s_smp_lookup(CORE "Nope", "containers", &out, NULL));
	assert_false(k8s_smp_lookup(NULL, "containers", &out, NULL));
}

/* --- OpenAPI --- */

/* Every "$ref" under v names a schema in schemas; returns how many refs were seen. */
static size_t check_refs(const json_t *schemas, const json_t *v)
{
	size_t n = 0, i;
	const char *key;
	json_t *item;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item) {
			if (!strcmp(key, "$ref") && json_is_string(item)) {
				const char *ref = json_string_value(item);
				const char *prefix = "#/components/schemas/";

				assert_int_equal(strncmp(ref, prefix, strlen(prefix)), 0);
				if (!json_object_get(schemas, ref + strlen(prefix)))
					fail_msg("dangling $ref %s", ref);
				n++;
			} else {
				n += check_refs(schemas, item);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			n += check_refs(schemas, item);
	}
	return n;
}

static const json_t *path(const json_t *v, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, v);
	while (v && (k = va_arg(ap, const char *)))
		v = json_object_get(v, k);
	va_end(ap);
	if (!v)
		fail_msg("path missing");
	return v;
}

/* The "$ref" of a property schema: direct, or wrapped in a one-element allOf. */
static const char *ref_of(const json_t *prop)
{
	const json_t *all = json_object_get(prop, "allOf");

	if (all) {
		assert_int_equal(json_array_size(all), 1);
		prop = json_array_get(all, 0);
	}
	return json_string_value(path(prop, "$ref", NULL));
}

static void assert_gvk(const json_t *schemas, const char *type, const char *group,
		       const char *version, const char *kind)
{
	const json_t *gvks = path(schemas, type, "x-kubernetes-group-version-kind", NULL);
	json_t *g;
	size_t i;

	json_array_foreach(gvks, i, g) {
		if (!strcmp(json_string_value(json_object_get(g, "group")), group) &&
		    !strcmp(json_string_value(json_object_get(g, "version")), version) &&
		    !strcmp(json_string_value(json_object_get(g, "kind")), kind))
			return;
	}
	fail_msg("%s: no GVK %s/%s %s", type, group, version, kind);
}

static void test_openapi_all(void **state)
{
	json_t *s = k8s_openapi_schemas(NULL, 0);
	size_t i, n_refs = 0;
	const json_t *c, *v;

	(void)state;
	assert_non_null(s);
	assert_int_equal(json_object_size(s), k8s_n_types);
	/* one $ref per field that names a type */
	for (i = 0; i < k8s_n_fields; i++)
		n_refs += k8s_fields[i].ref != K8S_NO_REF;
	assert_int_equal(check_refs(s, s), n_refs);

	assert_gvk(s, CORE "Pod", "", "v1", "Pod");
	assert_gvk(s, CORE "PodList", "", "v1", "PodList");
	assert_gvk(s, APPS "Deployment", "apps", "v1", "Deployment");
	assert_gvk(s, "io.k8s.api.discovery.v1.EndpointSlice", "discovery.k8s.io", "v1", "EndpointSlice");
	assert_gvk(s, "io.k8s.api.coordination.v1.Lease", "coordination.k8s.io", "v1", "Lease");
	assert_gvk(s, "io.k8s.api.autoscaling.v1.Scale", "autoscaling", "v1", "Scale");
	assert_gvk(s, META "Status", "", "v1", "Status");
	assert_gvk(s, META "DeleteOptions", "apps", "v1", "DeleteOptions");
	assert_null(json_object_get(path(s, CORE "PodSpec", NULL), "x-kubernetes-group-version-kind"));

	/* What kubectl explain shows: descriptions of the kind, its fields and their types. */
	assert_string_equal(json_string_value(path(s, CORE "Pod", "description", NULL)),
			    "Pod is a collection of containers that can run on a host. This resource "
			    "is created by clients and scheduled onto hosts.");
	assert_non_null(strstr(json_string_value(path(s, CORE "Pod", "properties", "spec",
						      "description", NULL)),
			       "Specification of the desired behavior of the pod."));
	/* a $ref with a description beside it is wrapped, or OpenAPI 3.0 would ignore the latter */
	assert_string_equal(ref_of(path(s, CORE "Pod", "properties", "spec", NULL)),
			    "#/components/schemas/" CORE "PodSpec");
	assert_null(json_object_get(path(s, CORE "Pod", "properties", "spec", NULL), "$ref"));
	assert_non_null(strstr(json_string_value(path(s, CORE "Container", "properties", "image",
						      "description", NULL)),
			       "Docker image name."));

	c = path(s, CORE "PodSpec", "properties", "containers", NULL);
	assert_string_equal(json_string_value(path(c, "type", NULL)), "array");
	assert_string_equal(json_string_value(path(c, "items", "$ref", NULL)),
			    "#/components/schemas/" CORE "Container");
	assert_string_equal(json_string_value(path(c, "x-kubernetes-patch-merge-key", NULL)), "name");
	assert_string_equal(json_string_value(path(c, "x-kubernetes-patch-strategy", NULL)), "merge");
	assert_string_equal(json_string_value(path(s, CORE "PodSpec", "properties", "volumes",
						   "x-kubernetes-patch-strategy", NULL)),
			    "merge,retainKeys");
	assert_string_equal(json_string_value(path(s, APPS "DeploymentSpec", "properties", "strategy",
						   "x-kubernetes-patch-strategy", NULL)),
			    "retainKeys");
	v = path(s, CORE "PodSpec", "required", NULL);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "containers");

	assert_string_equal(json_string_value(path(s, CORE "ContainerPort", "properties",
						   "containerPort", "format", NULL)), "int32");
	assert_string_equal(json_string_value(path(s, META "ObjectMeta", "properties",
						   "generation", "format", NULL)), "int64");
	assert_string_equal(json_string_value(path(s, CORE "Secret", "properties", "data",
						   "additionalProperties", "format", NULL)), "byte");
	assert_string_equal(json_string_value(path(s, CORE "ResourceRequirements", "properties",
						   "limits", "additionalProperties", "$ref", NULL)),
			    "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
	assert_string_equal(ref_of(path(s, CORE "ServicePort", "properties", "targetPort", NULL)),
			    "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString");

	v = path(s, "io.k8s.apimachinery.pkg.util.intstr.IntOrString", NULL);
	assert_string_equal(json_string_value(path(v, "format", NULL)), "int-or-string");
	assert_true(json_is_true(path(v, "x-kubernetes-int-or-string", NULL)));
	assert_int_equal(json_array_size(path(v, "oneOf", NULL)), 2);
	v = path(s, "io.k8s.apimachinery.pkg.api.resource.Quantity", NULL);
	assert_int_equal(json_array_size(path(v, "oneOf", NULL)), 2);
	v = path(s, META "Time", NULL);
	assert_string_equal(json_string_value(path(v, "type", NULL)), "string");
	assert_string_equal(json_string_value(path(v, "format", NULL)), "date-time");
	assert_string_equal(ref_of(path(s, "io.k8s.api.coordination.v1.LeaseSpec",
					"properties", "renewTime", NULL)),
			    "#/components/schemas/" META "MicroTime");

	/* Post-1.22 fields are served too. */
	assert_string_equal(ref_of(path(s, CORE "PodSpec", "properties", "os", NULL)),
			    "#/components/schemas/" CORE "PodOS");
	assert_non_null(path(s, CORE "ServiceSpec", "properties", "trafficDistribution", NULL));
	assert_null(json_object_get(path(s, META "ObjectMeta", "properties", NULL), "clusterName"));
	json_decref(s);
}

static void test_openapi_subsets(void **state)
{
	static const char *const pod[] = { CORE "Pod" };
	static const char *const bad[] = { CORE "Pod", CORE "Nope" };
	json_t *s;

	(void)state;
	s = k8s_openapi_schemas(pod, 1);
	assert_non_null(s);
	check_refs(s, s);
	assert_non_null(json_object_get(s, CORE "Pod"));
	assert_non_null(json_object_get(s, META "ObjectMeta"));
	assert_non_null(json_object_get(s, CORE "Container"));
	assert_non_null(json_object_get(s, "io.k8s.apimachinery.pkg.api.resource.Quantity"));
	assert_null(json_object_get(s, APPS "Deployment"));
	assert_null(json_object_get(s, CORE "Service"));
	json_decref(s);

	s = k8s_openapi_gv_schemas("apps", "v1");
	assert_non_null(s);
	check_refs(s, s);
	assert_gvk(s, APPS "ReplicaSetList", "apps", "v1", "ReplicaSetList");
	assert_non_null(json_object_get(s, CORE "PodSpec"));
	assert_null(json_object_get(s, CORE "Service"));
	json_decref(s);

	s = k8s_openapi_gv_schemas("", "v1");
	assert_non_null(s);
	check_refs(s, s);
	assert_non_null(json_object_get(s, CORE "Service"));
	assert_non_null(json_object_get(s, META "Status"));
	assert_null(json_object_get(s, APPS "Deployment"));
	json_decref(s);

	errno = 0;
	assert_null(k8s_openapi_schemas(bad, 2));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(k8s_openapi_gv_schemas("batch", "v1"));
	assert_int_equal(errno, ENOENT);
}

static void test_openapi_document(void **state)
{
	static const struct k8s_openapi_resource core[] = {
		{ "pods", "Pod", true },
		{ "nodes", "Node", false },
	};
	static const struct k8s_openapi_resource bad[] = {
		{ "deployments", "Deployment", true },
	};
	const json_t *op;
	json_t *doc;

	(void)state;
	doc = k8s_openapi_gv_document("", "v1", core, 2);
	assert_non_null(doc);
	assert_string_equal(json_string_value(path(doc, "openapi", NULL)), "3.0.0");
	check_refs(path(doc, "components", "schemas", NULL), doc);
	/* kubectl explain finds the kind of "pods" on these operations */
	op = path(doc, "paths", "/api/v1/namespaces/{namespace}/pods", "get", NULL);
	assert_string_equal(json_string_value(path(op, "x-kubernetes-group-version-kind", "kind", NULL)), "Pod");
	assert_string_equal(json_string_value(path(op, "x-kubernetes-group-version-kind", "group", NULL)), "");
	assert_string_equal(json_string_value(path(op, "responses", "200", "content", "application/json",
						   "schema", "$ref", NULL)),
			    "#/components/schemas/" CORE "PodList");
	op = path(doc, "paths", "/api/v1/nodes/{name}", "get", NULL);
	assert_string_equal(json_string_value(path(op, "x-kubernetes-group-version-kind", "kind", NULL)), "Node");
	json_decref(doc);

	doc = k8s_openapi_gv_document("apps", "v1", bad, 1);
	assert_non_null(doc);
	assert_non_null(path(doc, "paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", NULL));
	json_decref(doc);

	errno = 0;
	assert_null(k8s_openapi_gv_document("", "v1", bad, 1));
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_objects),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_problem_details),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_openapi_all),
		cmocka_unit_test(test_openapi_subsets),
		cmocka_unit_test(test_openapi_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
