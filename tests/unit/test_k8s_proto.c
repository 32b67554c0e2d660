/* test_k8s_proto.c — unit tests of k8s_proto: kubectl's protobuf bodies decoded to the JSON they mean, bad bodies refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "k8s_proto.h"
#include "k8s_schema.h"

/*
 * Expected JSON is written with single quotes so that it reads like the objects it
 * stands for; js() turns them into double quotes. No test string needs an apostrophe.
 */
static char *js(const char *s)
{
	char *c = strdup(s), *p;

	assert_non_null(c);
	for (p = c; *p; p++)
		if (*p == '\'')
			*p = '"';
	return c;
}

static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex), i;
	uint8_t *b = malloc(n / 2 + 1);

	assert_non_null(b);
	assert_int_equal(n % 2, 0);
	for (i = 0; i < n / 2; i++) {
		unsigned int x;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &x), 1);
		b[i] = (uint8_t)x;
	}
	*len = n / 2;
	return b;
}

struct body_case {
	const char *desc;
	const char *hex;   /* the body */
	const char *json;  /* the object it stands for, in single-quoted JSON */
};

/*
 * Bodies kubectl v1.32.4 sent (Content-Type: application/vnd.kubernetes.protobuf) to a
 * capture server on 127.0.0.1, with the command that sent each. The JSON is what the
 * command means; for the "create" commands it is also, member for member, what
 * `kubectl create ... --dry-run=client -o json` prints for the same object.
 */
static const struct body_case kubectl_bodies[] = {
	/* kubectl create configmap x --from-literal=a=b
	 *   -> POST /api/v1/namespaces/default/configmaps */
	{ "create configmap x",
		"6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a017812001a00"
		"22002a0032003800420012060a01611201621a002200",
	  "{'kind':'ConfigMap','apiVersion':'v1','metadata':{'name':'x','creationTimestamp':null},"
	  "'data':{'a':'b'}}" },
	/* kubectl create configmap bin --from-literal=k=v --from-file=blob
	 *   -> POST /api/v1/namespaces/default/configmaps
	 * blob holds the 12 bytes "bin\0\xff\xfe\x01data", not UTF-8: binaryData */
	{ "create configmap bin",
		"6b3873000a0f0a0276311209436f6e6669674d617012320a130a0362696e1200"
		"1a0022002a0032003800420012060a016b1201761a130a04626c6f62120b6269"
		"6e00fffe01646174611a002200",
	  "{'kind':'ConfigMap','apiVersion':'v1','metadata':{'name':'bin',"
	  "'creationTimestamp':null},'data':{'k':'v'},'binaryData':{'blob':'YmluAP/+AWRhdGE='}}" },
	/* kubectl create secret generic s --from-literal=user=admin --from-literal=pass=p@ss
	 *   -> POST /api/v1/namespaces/default/secrets */
	{ "create secret generic s",
		"6b3873000a0c0a027631120653656372657412320a110a017312001a0022002a"
		"00320038004200120c0a0470617373120470407373120d0a0475736572120561"
		"646d696e1a001a002200",
	  "{'kind':'Secret','apiVersion':'v1','metadata':{'name':'s','creationTimestamp':null},"
	  "'data':{'pass':'cEBzcw==','user':'YWRtaW4='}}" },
	/* kubectl create secret generic typed --type=kubernetes.io/basic-auth
	 *   --from-literal=username=u
	 *   -> POST /api/v1/namespaces/default/secrets */
	{ "create secret generic typed",
		"6b3873000a0c0a027631120653656372657412400a150a05747970656412001a"
		"0022002a00320038004200120d0a08757365726e616d651201751a186b756265"
		"726e657465732e696f2f62617369632d617574681a002200",
	  "{'kind':'Secret','apiVersion':'v1','metadata':{'name':'typed','creationTimestamp':null},"
	  "'data':{'username':'dQ=='},'type':'kubernetes.io/basic-auth'}" },
	/* kubectl create namespace team-a
	 *   -> POST /api/v1/namespaces */
	{ "create namespace team-a",
		"6b3873000a0f0a02763112094e616d657370616365121e0a160a067465616d2d"
		"6112001a0022002a0032003800420012001a020a001a002200",
	  "{'kind':'Namespace','apiVersion':'v1','metadata':{'name':'team-a',"
	  "'creationTimestamp':null},'spec':{},'status':{}}" },
	/* kubectl create deployment web --image=nginx --replicas=3 --port=80
	 *   -> POST /apis/apps/v1/namespaces/default/deployments */
	{ "create deployment web",
		"6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1f"
		"0a0377656212001a0022002a003200380042005a0a0a03617070120377656212"
		"86010803120c0a0a0a0361707012037765621a6c0a1c0a0012001a0022002a00"
		"3200380042005a0a0a036170701203776562124c122e0a056e67696e7812056e"
		"67696e782a00320a0a001000185022002a0042006a0072008001008801009001"
		"00a201001a00320042004a0052005800600068008201008a01009a0100c20100"
		"22020a00280038001a0c0800100018002000280038001a002200",
	  "{'kind':'Deployment','apiVersion':'apps/v1','metadata':{'name':'web',"
	  "'creationTimestamp':null,'labels':{'app':'web'}},'spec':{'replicas':3,"
	  "'selector':{'matchLabels':{'app':'web'}},"
	  "'template':{'metadata':{'creationTimestamp':null,'labels':{'app':'web'}},"
	  "'spec':{'containers':[{'name':'nginx','image':'nginx','ports':[{'containerPort':80}],"
	  "'resources':{}}]}},'strategy':{}},'status':{}}" },
	/* kubectl create deployment zero --image=busybox --replicas=0 -- sleep 3600
	 *   -> POST /apis/apps/v1/namespaces/default/deployments */
	{ "create deployment zero",
		"6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c1010a21"
		"0a047a65726f12001a0022002a003200380042005a0b0a0361707012047a6572"
		"6f128d010800120d0a0b0a0361707012047a65726f1a720a1d0a0012001a0022"
		"002a003200380042005a0b0a0361707012047a65726f125112330a0762757379"
		"626f78120762757379626f781a05736c6565701a04333630302a0042006a0072"
		"00800100880100900100a201001a00320042004a005200580060006800820100"
		"8a01009a0100c2010022020a00280038001a0c0800100018002000280038001a"
		"002200",
	  "{'kind':'Deployment','apiVersion':'apps/v1','metadata':{'name':'zero',"
	  "'creationTimestamp':null,'labels':{'app':'zero'}},'spec':{'replicas':0,"
	  "'selector':{'matchLabels':{'app':'zero'}},"
	  "'template':{'metadata':{'creationTimestamp':null,'labels':{'app':'zero'}},"
	  "'spec':{'containers':[{'name':'busybox','image':'busybox','command':['sleep','3600'],"
	  "'resources':{}}]}},'strategy':{}},'status':{}}" },
	/* kubectl create service nodeport s --tcp=80:8080 --node-port=30001
	 *   -> POST /api/v1/namespaces/default/services */
	{ "create service nodeport s",
		"6b3873000a0d0a02763112075365727669636512640a1b0a017312001a002200"
		"2a003200380042005a080a0361707012017312410a1d0a0738302d3830383012"
		"0354435018502207080010903f1a0028b1ea0112080a036170701201731a0022"
		"084e6f6465506f72743a00420052005a00600068001a020a001a002200",
	  "{'kind':'Service','apiVersion':'v1','metadata':{'name':'s','creationTimestamp':null,"
	  "'labels':{'app':'s'}},'spec':{'ports':[{'name':'80-8080','protocol':'TCP','port':80,"
	  "'targetPort':8080,'nodePort':30001}],'selector':{'app':'s'},'type':'NodePort'},"
	  "'status':{'loadBalancer':{}}}" },
	/* kubectl create service clusterip c --tcp=443:https --tcp=53:53
	 *   -> POST /api/v1/namespaces/default/services */
	{ "create service clusterip c",
		"6b3873000a0d0a0276311207536572766963651284010a1b0a016312001a0022"
		"002a003200380042005a080a0361707012016312610a220a093434332d687474"
		"7073120354435018bb03220b080110001a05687474707328000a180a0535332d"
		"3533120354435018352206080010351a00280012080a036170701201631a0022"
		"09436c757374657249503a00420052005a00600068001a020a001a002200",
	  "{'kind':'Service','apiVersion':'v1','metadata':{'name':'c','creationTimestamp':null,"
	  "'labels':{'app':'c'}},'spec':{'ports':[{'name':'443-https','protocol':'TCP','port':443,"
	  "'targetPort':'https'},{'name':'53-53','protocol':'TCP','port':53,'targetPort':53}],"
	  "'selector':{'app':'c'},'type':'ClusterIP'},'status':{'loadBalancer':{}}}" },
	/* kubectl create service clusterip h --clusterip=None
	 *   -> POST /api/v1/namespaces/default/services */
	{ "create service clusterip h",
		"6b3873000a0d0a027631120753657276696365124a0a1b0a016812001a002200"
		"2a003200380042005a080a03617070120168122712080a036170701201681a04"
		"4e6f6e652209436c757374657249503a00420052005a00600068001a020a001a"
		"002200",
	  "{'kind':'Service','apiVersion':'v1','metadata':{'name':'h','creationTimestamp':null,"
	  "'labels':{'app':'h'}},'spec':{'selector':{'app':'h'},'clusterIP':'None',"
	  "'type':'ClusterIP'},'status':{'loadBalancer':{}}}" },
	/* kubectl create service externalname ext --external-name=example.com
	 *   -> POST /api/v1/namespaces/default/services */
	{ "create service externalname ext",
		"6b3873000a0d0a027631120753657276696365125a0a1f0a0365787412001a00"
		"22002a003200380042005a0a0a0361707012036578741233120a0a0361707012"
		"036578741a00220c45787465726e616c4e616d653a004200520b6578616d706c"
		"652e636f6d5a00600068001a020a001a002200",
	  "{'kind':'Service','apiVersion':'v1','metadata':{'name':'ext','creationTimestamp':null,"
	  "'labels':{'app':'ext'}},'spec':{'selector':{'app':'ext'},'type':'ExternalName',"
	  "'externalName':'example.com'},'status':{'loadBalancer':{}}}" },
	/* kubectl debug src --copy-to=dbg --set-image='*=busybox' --keep-liveness
	 *   --keep-readiness --keep-startup --keep-labels --keep-annotations
	 *   -> POST /api/v1/namespaces/default/pods
	 * The capture server answered GET pods/src with the pod below as JSON, but named src,
	 * with uid 1b4e28ba-2fa1-11d2-883f-0016d3cca427, resourceVersion 7, creationTimestamp
	 * 2024-01-02T03:04:05Z, image nginx:1.27, "hostNetwork": false and a status. kubectl
	 * sends a copy named dbg without those, the image replaced; hostNetwork false is
	 * omitempty's zero. The rest exercises the pod's fields: volumes (VolumeSource and
	 * LocalObjectReference inline), probes (ProbeHandler inline, port by name and by
	 * number), Quantity maps, env sources, pointers to zero and false, affinity. */
	{ "debug src",
		"6b3873000a090a0276311203506f6412d40b0a4b0a0364626712001a07646566"
		"61756c7422002a003200380042005a0a0a0361707012037765625a0a0a047469"
		"65721202666562170a046e6f7465120fc3bc6ec3af63c3b864c3a920e29c9312"
		"f20a0a360a03636667122f9a012c0a0c0a0a6170702d636f6e66696712170a08"
		"6170702e79616d6c12086170702e79616d6c18a40318a40220000a110a037365"
		"63120a32080a03746c731880020a1d0a0773637261746368121212100a064d65"
		"6d6f727912060a0436344d690a1f0a04686f737412170a150a082f7661722f6c"
		"6f6712094469726563746f72790a450a0470726f6a123dd2013a0a1322110a05"
		"7661756c7410901c1a05746f6b656e0a2312210a1f0a066c6162656c7312150a"
		"027631120f6d657461646174612e6c6162656c7312e0040a0361707012076275"
		"7379626f781a056e67696e7822022d67220b6461656d6f6e206f66663b2a042f"
		"73727632120a0468747470100018903f22035443502a0032110a03646e7310e9"
		"29183522035544502a003a0c0a044d4f4445120470726f643a090a05454d5054"
		"5912003a200a06504f445f495012001a140a120a027631120c7374617475732e"
		"706f6449503a1e0a045041535312001a1422120a040a02646212087061737377"
		"6f726418013a260a034d454d12001a1d121b0a03617070120d6c696d6974732e"
		"6d656d6f72791a050a03314d6942430a0d0a0363707512060a043530306d0a11"
		"0a066d656d6f727912070a053132384d69120d0a0363707512060a043235306d"
		"12100a066d656d6f727912060a0436344d694a150a0363666710011a082f6574"
		"632f617070220032004a160a077363726174636810001a042f746d7022017432"
		"00523a0a2e122c0a082f6865616c74687a120a080110001a04687474701a0022"
		"04485454502a0c0a07582d50726f626512013110051800200a280030035a190a"
		"0d1a0b0a07080010903f1a001200100018022000280030006206120422020805"
		"6a142f6465762f7465726d696e6174696f6e2d6c6f67720c49664e6f74507265"
		"73656e747a360a170a104e45545f42494e445f534552564943451203414c4c10"
		"0020e8072801300138005a100a0e52756e74696d6544656661756c7480010188"
		"01009001019a01130a044346475f120b0a090a076170702d656e76a201154661"
		"6c6c6261636b546f4c6f67734f6e4572726f72b201210a130a110a036361740a"
		"0a2f746d702f72656164791000180020002800300038001a06416c7761797320"
		"0028d804320c436c757374657246697273743a190a106b756265726e65746573"
		"2e696f2f6f7312056c696e757842037765624a005200580060006800723620a0"
		"1f20ffffffffffffffffff0120ffffffff0728d00f30b8173a1a0a126e65742e"
		"636f72652e736f6d6178636f6e6e1204313032347a090a077265676372656482"
		"01057765622d308a01037765629201460a160a140a120a100a047a6f6e651202"
		"496e1a01611a01621a2c122a086412260a0c0a0a0a0361707012037765621a16"
		"6b756265726e657465732e696f2f686f73746e616d659a011164656661756c74"
		"2d7363686564756c6572a201320a0773696465636172120a656e766f793a312e"
		"33302a0042006a007200800100880100900100a20100c20106416c77617973a8"
		"0100b201360a1c6e6f64652e6b756265726e657465732e696f2f6e6f742d7265"
		"61647912064578697374731a0022094e6f4578656375746528ac02b201230a09"
		"6465646963617465641205457175616c1a03776562220a4e6f5363686564756c"
		"65ba01210a0831302e302e302e31120864622e6c6f63616c120b63616368652e"
		"6c6f63616cc2010468696768c80100d201290a07312e312e312e311209737663"
		"2e6c6f63616c1a0a0a056e646f74731201321a070a0565646e7330e201130a11"
		"6578616d706c652e636f6d2f7265616479f00100fa01054e657665728a022808"
		"0112047a6f6e651a0d446f4e6f745363686564756c65220f120d0a0361707012"
		"06457869737473a202070a056c696e7578a802001a100a001a0022002a003200"
		"4a005a0072001a002200",
	  "{'kind':'Pod','apiVersion':'v1','metadata':{'name':'dbg','namespace':'default',"
	  "'creationTimestamp':null,'labels':{'app':'web','tier':'fe'},"
	  "'annotations':{'note':'ünïcødé ✓'}},'spec':{'volumes':[{'name':'cfg',"
	  "'configMap':{'name':'app-config','items':[{'key':'app.yaml','path':'app.yaml',"
	  "'mode':420}],'defaultMode':292,'optional':false}},{'name':'sec',"
	  "'secret':{'secretName':'tls','defaultMode':256}},{'name':'scratch',"
	  "'emptyDir':{'medium':'Memory','sizeLimit':'64Mi'}},{'name':'host',"
	  "'hostPath':{'path':'/var/log','type':'Directory'}},{'name':'proj',"
	  "'projected':{'sources':[{'serviceAccountToken':{'audience':'vault',"
	  "'expirationSeconds':3600,'path':'token'}},{'downwardAPI':{'items':[{'path':'labels',"
	  "'fieldRef':{'apiVersion':'v1','fieldPath':'metadata.labels'}}]}}]}}],"
	  "'initContainers':[{'name':'sidecar','image':'envoy:1.30','restartPolicy':'Always',"
	  "'resources':{}}],'containers':[{'name':'app','image':'busybox','command':['nginx'],"
	  "'args':['-g','daemon off;'],'workingDir':'/srv','ports':[{'name':'http',"
	  "'containerPort':8080,'protocol':'TCP'},{'name':'dns','hostPort':5353,'containerPort':53,"
	  "'protocol':'UDP'}],'env':[{'name':'MODE','value':'prod'},{'name':'EMPTY'},"
	  "{'name':'POD_IP','valueFrom':{'fieldRef':{'apiVersion':'v1',"
	  "'fieldPath':'status.podIP'}}},{'name':'PASS','valueFrom':{'secretKeyRef':{'name':'db',"
	  "'key':'password','optional':true}}},{'name':'MEM',"
	  "'valueFrom':{'resourceFieldRef':{'containerName':'app','resource':'limits.memory',"
	  "'divisor':'1Mi'}}}],'envFrom':[{'prefix':'CFG_','configMapRef':{'name':'app-env'}}],"
	  "'resources':{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':'250m',"
	  "'memory':'64Mi'}},'volumeMounts':[{'name':'cfg','readOnly':true,'mountPath':'/etc/app'},"
	  "{'name':'scratch','mountPath':'/tmp','subPath':'t'}],"
	  "'livenessProbe':{'httpGet':{'path':'/healthz','port':'http','scheme':'HTTP',"
	  "'httpHeaders':[{'name':'X-Probe','value':'1'}]},'initialDelaySeconds':5,"
	  "'periodSeconds':10,'failureThreshold':3},'readinessProbe':{'tcpSocket':{'port':8080},"
	  "'timeoutSeconds':2},'startupProbe':{'exec':{'command':['cat','/tmp/ready']},"
	  "'terminationGracePeriodSeconds':0},'lifecycle':{'preStop':{'sleep':{'seconds':5}}},"
	  "'terminationMessagePath':'/dev/termination-log',"
	  "'terminationMessagePolicy':'FallbackToLogsOnError','imagePullPolicy':'IfNotPresent',"
	  "'securityContext':{'capabilities':{'add':['NET_BIND_SERVICE'],'drop':['ALL']},"
	  "'privileged':false,'runAsUser':1000,'runAsNonRoot':true,'readOnlyRootFilesystem':true,"
	  "'allowPrivilegeEscalation':false,'seccompProfile':{'type':'RuntimeDefault'}},"
	  "'stdin':true,'tty':true}],'restartPolicy':'Always','terminationGracePeriodSeconds':0,"
	  "'activeDeadlineSeconds':600,'dnsPolicy':'ClusterFirst',"
	  "'nodeSelector':{'kubernetes.io/os':'linux'},'serviceAccountName':'web',"
	  "'automountServiceAccountToken':false,'securityContext':{'runAsGroup':3000,"
	  "'fsGroup':2000,'supplementalGroups':[4000,-1,2147483647],"
	  "'sysctls':[{'name':'net.core.somaxconn','value':'1024'}]},"
	  "'imagePullSecrets':[{'name':'regcred'}],'hostname':'web-0','subdomain':'web',"
	  "'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
	  "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone',"
	  "'operator':'In','values':['a','b']}]}]}},"
	  "'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':100,"
	  "'podAffinityTerm':{'labelSelector':{'matchLabels':{'app':'web'}},"
	  "'topologyKey':'kubernetes.io/hostname'}}]}},'schedulerName':'default-scheduler',"
	  "'tolerations':[{'key':'node.kubernetes.io/not-ready','operator':'Exists',"
	  "'effect':'NoExecute','tolerationSeconds':300},{'key':'dedicated','operator':'Equal',"
	  "'value':'web','effect':'NoSchedule'}],'hostAliases':[{'ip':'10.0.0.1',"
	  "'hostnames':['db.local','cache.local']}],'priorityClassName':'high','priority':0,"
	  "'dnsConfig':{'nameservers':['1.1.1.1'],'searches':['svc.local'],"
	  "'options':[{'name':'ndots','value':'2'},{'name':'edns0'}]},"
	  "'readinessGates':[{'conditionType':'example.com/ready'}],'enableServiceLinks':false,"
	  "'preemptionPolicy':'Never','topologySpreadConstraints':[{'maxSkew':1,"
	  "'topologyKey':'zone','whenUnsatisfiable':'DoNotSchedule',"
	  "'labelSelector':{'matchExpressions':[{'key':'app','operator':'Exists'}]}}],"
	  "'os':{'name':'linux'},'hostUsers':false},'status':{}}" },
	/* kubectl drain n1 --disable-eviction --grace-period=0 --timeout=10s
	 *   -> DELETE /api/v1/namespaces/default/pods/p1
	 * The typed client's DELETE carries DeleteOptions; gracePeriodSeconds is *int64. */
	{ "drain n1",
		"6b3873000a130a027631120d44656c6574654f7074696f6e73120208001a0022"
		"00",
	  "{'kind':'DeleteOptions','apiVersion':'v1','gracePeriodSeconds':0}" },
};

/*
 * Bodies made by hand for what kubectl's create commands never send. Each comment is
 * the expression that built the body: body(apiVersion, kind, fields..., tail=) is the
 * magic "k8s\0" and a runtime.Unknown {typeMeta {apiVersion, kind}, raw = the fields,
 * contentEncoding "", contentType "", then tail}; V(n, x) is varint field n, S(n, s) a
 * length-delimited one, M(n, ...) a nested message, E(n, key, ...) a map entry
 * M(n, S(1, key), ...), F32/F64 fixed-size fields, tag(n, wiretype) a bare tag, M64 the
 * 64-bit mask that makes a negative number a ten-byte varint.
 */
static const struct body_case wire_bodies[] = {
	/* body('coordination.k8s.io/v1', 'Lease',
	 *      M(1, S(1, 'node-1'), S(3, 'kube-node-lease')),
	 *      M(2, S(1, 'node-1'), V(2, 40), M(3, V(1, 1704164645), V(2, 123456789)), M(4),
	 *        V(5, 0))) */
	{ "Lease: MicroTime keeps microseconds, empty is null; an *int32 keeps 0",
		"6b3873000a1f0a16636f6f7264696e6174696f6e2e6b38732e696f2f76311205"
		"4c6561736512380a190a066e6f64652d311a0f6b7562652d6e6f64652d6c6561"
		"7365121b0a066e6f64652d3110281a0b08a5facdac0610959aef3a220028001a"
		"002200",
	  "{'kind':'Lease','apiVersion':'coordination.k8s.io/v1','metadata':{'name':'node-1',"
	  "'namespace':'kube-node-lease'},'spec':{'holderIdentity':'node-1',"
	  "'leaseDurationSeconds':40,'acquireTime':'2024-01-02T03:04:05.123456Z','renewTime':null,"
	  "'leaseTransitions':0}}" },
	/* body('v1', 'Event', M(1, S(1, 'web.17a'), S(3, 'default')),
	 *      M(2, S(1, 'Pod'), S(2, 'default'), S(3, 'web'), S(5, 'v1')), S(3, 'BackOff'),
	 *      S(4, 'Back-off restarting'), M(5, S(1, 'kubelet'), S(2, 'node-1')),
	 *      M(6, V(1, 0), V(2, 999)), M(7, V(1, -62135596800)), V(8, 3), S(9, 'Warning'),
	 *      M(10), M(11, V(1, 2), M(2, V(1, 1704164645), V(2, 1500))), S(14, ''), S(15, '')) */
	{ "Event: Time drops nanos, Go's zero time is null, fields without omitempty keep \"\"",
		"6b3873000a0b0a02763112054576656e741292010a120a077765622e3137611a"
		"0764656661756c7412170a03506f64120764656661756c741a037765622a0276"
		"311a074261636b4f666622134261636b2d6f66662072657374617274696e672a"
		"110a076b7562656c657412066e6f64652d313205080010e7073a0b088092b8c3"
		"98feffffff0140034a075761726e696e6752005a0d0802120908a5facdac0610"
		"dc0b72007a001a002200",
	  "{'kind':'Event','apiVersion':'v1','metadata':{'name':'web.17a','namespace':'default'},"
	  "'involvedObject':{'kind':'Pod','namespace':'default','name':'web','apiVersion':'v1'},"
	  "'reason':'BackOff','message':'Back-off restarting','source':{'component':'kubelet',"
	  "'host':'node-1'},'firstTimestamp':'1970-01-01T00:00:00Z','lastTimestamp':null,'count':3,"
	  "'type':'Warning','eventTime':null,'series':{'count':2,"
	  "'lastObservedTime':'2024-01-02T03:04:05.000001Z'},'reportingComponent':'',"
	  "'reportingInstance':''}" },
	/* body('discovery.k8s.io/v1', 'EndpointSlice',
	 *      M(1, S(1, 'web-abc'), E(11, 'kubernetes.io/service-name', S(2, 'web'))),
	 *      M(2, S(1, '10.0.0.1'), S(1, '10.0.0.2'), M(2, V(1, 1), V(2, 0)), S(6, 'node-1'),
	 *        M(4, S(1, 'Pod'), S(3, 'web-0'))),
	 *      M(3, S(1, ''), S(2, 'TCP'), V(3, 80)), S(4, 'IPv4')) */
	{ "EndpointSlice: *bool false and *string \"\" kept, repeated strings",
		"6b3873000a240a13646973636f766572792e6b38732e696f2f7631120d456e64"
		"706f696e74536c69636512710a2c0a077765622d6162635a210a1a6b75626572"
		"6e657465732e696f2f736572766963652d6e616d65120377656212300a083130"
		"2e302e302e310a0831302e302e302e3212040801100032066e6f64652d31220c"
		"0a03506f641a057765622d301a090a00120354435018502204495076341a0022"
		"00",
	  "{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1','metadata':{'name':'web-abc',"
	  "'labels':{'kubernetes.io/service-name':'web'}},'endpoints':[{'addresses':['10.0.0.1',"
	  "'10.0.0.2'],'conditions':{'ready':true,'serving':false},'nodeName':'node-1',"
	  "'targetRef':{'kind':'Pod','name':'web-0'}}],'ports':[{'name':'','protocol':'TCP',"
	  "'port':80}],'addressType':'IPv4'}" },
	/* body('v1', 'Node', M(1, S(1, 'node-1')), M(2, S(3, 'aws:///i-1'), V(4, 1)),
	 *      M(3, E(1, 'cpu', M(2, S(1, '4'))), E(1, 'memory', M(2, S(1, '16Gi'))),
	 *        E(1, 'pods'),
	 *        M(4, S(1, 'Ready'), S(2, 'True'), M(3, V(1, 1704164645)), M(4, V(1, 1704164645)),
	 *          S(5, 'KubeletReady'), S(6, 'kubelet is posting ready status')),
	 *        M(5, S(1, 'InternalIP'), S(2, '10.0.0.1')), M(6, M(1, V(1, 10250))),
	 *        M(7, S(1, 'm'), S(2, ''), S(3, ''), S(4, '6.1'), S(5, ''),
	 *          S(6, 'containerd://1.7'),
	 *          S(7, 'v1.32.0'), S(8, ''), S(9, 'linux'), S(10, 'amd64')),
	 *        M(8, S(1, 'nginx:1.27'), V(2, 5000000000)))) */
	{ "Node: Quantity maps (no value is \"0\"), a big int64, fields without omitempty",
		"6b3873000a0a0a02763112044e6f646512ff010a080a066e6f64652d31120e1a"
		"0a6177733a2f2f2f692d3120011ae2010a0a0a0363707512030a01340a100a06"
		"6d656d6f727912060a04313647690a060a04706f6473224c0a05526561647912"
		"04547275651a0608a5facdac06220608a5facdac062a0c4b7562656c65745265"
		"616479321f6b7562656c657420697320706f7374696e67207265616479207374"
		"617475732a160a0a496e7465726e616c4950120831302e302e302e3132050a03"
		"088a503a390a016d12001a002203362e312a003210636f6e7461696e6572643a"
		"2f2f312e373a0776312e33322e3042004a056c696e75785205616d6436344212"
		"0a0a6e67696e783a312e32371080e497d0121a002200",
	  "{'kind':'Node','apiVersion':'v1','metadata':{'name':'node-1'},"
	  "'spec':{'providerID':'aws:///i-1','unschedulable':true},'status':{'capacity':{'cpu':'4',"
	  "'memory':'16Gi','pods':'0'},'conditions':[{'type':'Ready','status':'True',"
	  "'lastHeartbeatTime':'2024-01-02T03:04:05Z','lastTransitionTime':'2024-01-02T03:04:05Z',"
	  "'reason':'KubeletReady','message':'kubelet is posting ready status'}],"
	  "'addresses':[{'type':'InternalIP','address':'10.0.0.1'}],"
	  "'daemonEndpoints':{'kubeletEndpoint':{'Port':10250}},'nodeInfo':{'machineID':'m',"
	  "'systemUUID':'','bootID':'','kernelVersion':'6.1','osImage':'',"
	  "'containerRuntimeVersion':'containerd://1.7','kubeletVersion':'v1.32.0',"
	  "'kubeProxyVersion':'','operatingSystem':'linux','architecture':'amd64'},"
	  "'images':[{'names':['nginx:1.27'],'sizeBytes':5000000000}]}}" },
	/* body('v1', 'ConfigMapList', M(1, S(2, '42')),
	 *      M(2, M(1, S(1, 'a'), M(17, S(1, 'kubectl'), S(2, 'Apply'), S(3, 'v1'),
	 *        M(4, V(1, 1704164645)), S(6, 'FieldsV1'), M(7, S(1, '{"f:data":{"f:a":{}}}')))),
	 *        E(2, 'a', S(2, '1'))),
	 *      M(2, M(1, S(1, 'b')), V(4, 1))) */
	{ "ConfigMapList: a List kind, managedFields with FieldsV1 JSON, an *bool",
		"6b3873000a130a027631120d436f6e6669674d61704c69737412600a04120234"
		"32124f0a450a01618a013f0a076b75626563746c12054170706c791a02763122"
		"0608a5facdac0632084669656c647356313a170a157b22663a64617461223a7b"
		"22663a61223a7b7d7d7d12060a016112013112070a030a016220011a002200",
	  "{'kind':'ConfigMapList','apiVersion':'v1','metadata':{'resourceVersion':'42'},"
	  "'items':[{'metadata':{'name':'a','managedFields':[{'manager':'kubectl',"
	  "'operation':'Apply','apiVersion':'v1','time':'2024-01-02T03:04:05Z',"
	  "'fieldsType':'FieldsV1','fieldsV1':{'f:data':{'f:a':{}}}}]},'data':{'a':'1'}},"
	  "{'metadata':{'name':'b'},'immutable':true}]}" },
	/* body('v1', 'Pod', M(1, S(1, 'a'), S(2, 'gen-'), E(11, 'app', S(2, 'web'))),
	 *      M(1, S(2, ''), E(11, 'tier', S(2, b'f\xffe')), M(11, S(2, 'nokey')), V(7, 0)),
	 *      M(2, V(25, -5 & M64), M(14, S(4, varint(1) + varint(2)), V(4, 3), V(4, -1 & M64)),
	 *        V(11, 1), V(11, 0), S(99, 'x'), F32(98, 7), F64(97, 7),
	 *        tag(96, 3) + V(1, 1) + tag(96, 4)),
	 *      tail=S(5, 'x')) */
	{ "Pod: merged messages, last scalar wins, bad UTF-8, negative int32, packed, unknown",
		"6b3873000a090a0276311203506f6412720a150a0161120467656e2d5a0a0a03"
		"61707012037765620a1a12005a0b0a0474696572120366ff655a0712056e6f6b"
		"65793800123dc801fbffffffffffffffff01721122020102200320ffffffffff"
		"ffffffff01580158009a06017895060700000089060700000000000000830608"
		"0184061a0022002a0178",
	  "{'kind':'Pod','apiVersion':'v1','metadata':{'name':'a','labels':{'app':'web',"
	  "'tier':'f\\ufffde','':'nokey'}},'spec':{'priority':-5,"
	  "'securityContext':{'supplementalGroups':[1,2,3,-1]}}}" },
	/* body('v1', 'Secret', M(1, S(1, 'b64')), E(2, 'one', S(2, 'a')), E(2, 'two', S(2, 'ab')),
	 *      E(2, 'three', S(2, 'abc')), E(2, 'empty', S(2, '')), E(2, 'none'), S(3, 'Opaque'),
	 *      V(5, 0)) */
	{ "Secret: []byte in base64, an entry without value is \"\", an *bool keeps false",
		"6b3873000a0c0a027631120653656372657412470a050a0362363412080a036f"
		"6e6512016112090a0374776f12026162120c0a05746872656512036162631209"
		"0a05656d707479120012060a046e6f6e651a064f706171756528001a002200",
	  "{'kind':'Secret','apiVersion':'v1','metadata':{'name':'b64'},'data':{'one':'YQ==',"
	  "'two':'YWI=','three':'YWJj','empty':'','none':''},'type':'Opaque','immutable':false}" },
	/* body('apps/v1', 'Deployment', M(1, S(1, 'd')),
	 *      M(2, M(4, S(1, 'RollingUpdate'),
	 *        M(2, M(1, V(1, 0), V(2, 0)), M(2, V(1, 1), S(3, '25%')))))) */
	{ "Deployment: IntOrString int 0 and string, no metadata fields but the name",
		"6b3873000a150a07617070732f7631120a4465706c6f796d656e7412290a030a"
		"0164122222200a0d526f6c6c696e67557064617465120f0a0408001000120708"
		"011a033235251a002200",
	  "{'kind':'Deployment','apiVersion':'apps/v1','metadata':{'name':'d'},"
	  "'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':0,"
	  "'maxSurge':'25%'}}}}" },
	/* body('v1', 'Status', M(1), S(2, 'Failure'), S(3, 'pods x not found'), S(4, 'NotFound'),
	 *      M(5, S(1, 'x'), S(3, 'pods'), M(4, S(1, 'FieldValueInvalid'), S(3, 'spec'))),
	 *      V(6, 404)) */
	{ "Status: meta/v1 kinds decode too",
		"6b3873000a0c0a027631120653746174757312500a0012074661696c7572651a"
		"10706f64732078206e6f7420666f756e6422084e6f74466f756e642a240a0178"
		"1a04706f647322190a114669656c6456616c7565496e76616c69641a04737065"
		"633094031a002200",
	  "{'kind':'Status','apiVersion':'v1','metadata':{},'status':'Failure',"
	  "'message':'pods x not found','reason':'NotFound','details':{'name':'x','kind':'pods',"
	  "'causes':[{'reason':'FieldValueInvalid','field':'spec'}]},'code':404}" },
	/* body('apps/v1', 'DeleteOptions', V(1, 30), M(2, S(1, 'u-1'), S(2, '42')), V(3, 0),
	 *      S(4, 'Foreground'), S(5, 'All')) */
	{ "DeleteOptions: propagationPolicy is a string, though its Go tag says varint",
		"6b3873000a180a07617070732f7631120d44656c6574654f7074696f6e731220"
		"081e12090a03752d31120234321800220a466f726567726f756e642a03416c6c"
		"1a002200",
	  "{'kind':'DeleteOptions','apiVersion':'apps/v1','gracePeriodSeconds':30,"
	  "'preconditions':{'uid':'u-1','resourceVersion':'42'},'orphanDependents':false,"
	  "'propagationPolicy':'Foreground','dryRun':['All']}" },
};

struct bad_case {
	const char *desc;
	const char *hex;
	const char *err;   /* what the error message must contain */
};

/* Malformed bodies, built as above (MAGIC is "k8s\0", TM_CM the typeMeta of a v1
 * ConfigMap), and the reason each must be refused with. */
static const struct bad_case bad_bodies[] = {
	/* b'' */
	{ "an empty body",
		"",
	  "does not start with the magic" },
	/* b'k8s' */
	{ "the magic cut short",
		"6b3873",
	  "does not start with the magic" },
	/* b'{"kind":"ConfigMap"}' */
	{ "JSON instead of protobuf",
		"7b226b696e64223a22436f6e6669674d6170227d",
	  "does not start with the magic" },
	/* b'k8s\x01' + TM_CM */
	{ "a wrong magic byte",
		"6b3873010a0f0a0276311209436f6e6669674d6170",
	  "does not start with the magic" },
	/* MAGIC + b'\x80' */
	{ "a tag cut inside its varint",
		"6b38730080",
	  "runtime.Unknown: truncated varint" },
	/* MAGIC + b'\x0a\x05\x0a\x01' */
	{ "a length past the end",
		"6b3873000a050a01",
	  "runtime.Unknown: length 5 runs past the end of the message (2 bytes left)" },
	/* MAGIC + b'\x00' */
	{ "field number 0",
		"6b38730000",
	  "field number 0 is out of range" },
	/* MAGIC + b'\x0f' */
	{ "wire type 7",
		"6b3873000f",
	  "field 1 has invalid wire type 7" },
	/* MAGIC + b'\x08' + b'\xff' * 10 + b'\x01' */
	{ "a varint of 11 bytes",
		"6b38730008ffffffffffffffffffff01",
	  "varint longer than 10 bytes" },
	/* MAGIC + V(1, 1) */
	{ "typeMeta as a varint",
		"6b3873000801",
	  "field 1: wire type 0 (varint), but typeMeta travels as length-delimited" },
	/* MAGIC + TM_CM + V(2, 1) */
	{ "raw as a varint",
		"6b3873000a0f0a0276311209436f6e6669674d61701001",
	  "field 2: wire type 0 (varint), but raw travels as length-delimited" },
	/* body('v1', 'Foo') */
	{ "an unknown kind",
		"6b3873000a090a0276311203466f6f12001a002200",
	  "runtime.Unknown: unknown kind \"Foo\" of apiVersion \"v1\"" },
	/* body('example.com/v1', 'ConfigMap') */
	{ "a kind of another group",
		"6b3873000a1b0a0e6578616d706c652e636f6d2f76311209436f6e6669674d61"
		"7012001a002200",
	  "unknown kind \"ConfigMap\" of apiVersion \"example.com/v1\"" },
	/* MAGIC + S(2, '') */
	{ "no typeMeta",
		"6b3873001200",
	  "unknown kind \"\" of apiVersion \"\"" },
	/* body('v1', 'ConfigMap\0x') */
	{ "a kind with a NUL",
		"6b3873000a110a027631120b436f6e6669674d6170007812001a002200",
	  "unknown kind \"ConfigMap?x\"" },
	/* MAGIC + TM_CM + S(2, '') + S(3, 'gzip') */
	{ "a gzip contentEncoding",
		"6b3873000a0f0a0276311209436f6e6669674d617012001a04677a6970",
	  "contentEncoding \"gzip\" is not supported" },
	/* body('v1', 'ConfigMap', V(1, 1)) */
	{ "metadata as a varint",
		"6b3873000a0f0a0276311209436f6e6669674d6170120208011a002200",
	  "ConfigMap: metadata: field 1: wire type 0 (varint), but a message travels as "
	  "length-delimited" },
	/* body('v1', 'ConfigMap', M(1, V(1, 5))) */
	{ "a name as a varint",
		"6b3873000a0f0a0276311209436f6e6669674d617012040a0208051a002200",
	  "ConfigMap: metadata.name: field 1: wire type 0 (varint), but a string travels "
	  "as length-delimited" },
	/* body('apps/v1', 'Deployment', M(2, M(3, M(2, M(2, S(1, 'a'), M(6, S(3, 'x'))))))) */
	{ "a containerPort as a string",
		"6b3873000a150a07617070732f7631120a4465706c6f796d656e741210120e1a"
		"0c120a12080a016132031a01781a002200",
	  "Deployment: spec.template.spec.containers[0].ports[0].containerPort: field 3: "
	  "wire type 2 (length-delimited), but an integer travels as varint" },
	/* body('apps/v1', 'Deployment', M(2, tag(1, 0))) */
	{ "a varint cut inside a nested message",
		"6b3873000a150a07617070732f7631120a4465706c6f796d656e741203120108"
		"1a002200",
	  "Deployment: spec: truncated varint" },
	/* body('v1', 'ConfigMap', S(1, b'\x0a\x09ab')) */
	{ "a nested length past its message",
		"6b3873000a0f0a0276311209436f6e6669674d617012060a040a0961621a0022"
		"00",
	  "ConfigMap: metadata: length 9 runs past the end of the message (2 bytes left)" },
	/* body('v1', 'ConfigMap', tag(20, 3) + V(1, 1)) */
	{ "a group without its end",
		"6b3873000a0f0a0276311209436f6e6669674d61701204a30108011a002200",
	  "ConfigMap: group 20 has no end-group tag" },
	/* body('v1', 'ConfigMap', tag(20, 4)) */
	{ "an end-group outside a group",
		"6b3873000a0f0a0276311209436f6e6669674d61701202a4011a002200",
	  "ConfigMap: end-group tag of field 20 outside a group" },
	/* body('v1', 'Service', M(2, M(1, M(4, V(1, 2))))) */
	{ "IntOrString type 2",
		"6b3873000a0d0a027631120753657276696365120812060a04220208021a0022"
		"00",
	  "Service: spec.ports[0].targetPort: IntOrString type 2 is neither 0 (int) nor 1 "
	  "(string)" },
	/* body('v1', 'ConfigMap', M(1, M(8, V(1, 253402300800)))) */
	{ "a time in the year 10000",
		"6b3873000a0f0a0276311209436f6e6669674d6170120b0a094207088083d1ff"
		"af071a002200",
	  "ConfigMap: metadata.creationTimestamp: time 253402300800s is outside the years "
	  "0001 to 9999" },
	/* body('v1', 'ConfigMap', M(1, M(8, V(1, -62135596801 & M64)))) */
	{ "a time before the year 1",
		"6b3873000a0f0a0276311209436f6e6669674d6170120f0a0d420b08ff91b8c3"
		"98feffffff011a002200",
	  "time -62135596801s is outside the years 0001 to 9999" },
	/* body('v1', 'ConfigMap', M(1, M(8, S(1, 'x')))) */
	{ "Time.seconds as a string",
		"6b3873000a0f0a0276311209436f6e6669674d617012070a0542030a01781a00"
		"2200",
	  "metadata.creationTimestamp: field 1: wire type 2 (length-delimited), but "
	  "Time.seconds travels as varint" },
	/* body('v1', 'ConfigMap', M(1, M(17, M(7, S(1, '{"f:data":'))))) */
	{ "FieldsV1 that is not JSON",
		"6b3873000a0f0a0276311209436f6e6669674d617012130a118a010e3a0c0a0a"
		"7b22663a64617461223a1a002200",
	  "ConfigMap: metadata.managedFields[0].fieldsV1: FieldsV1 holds invalid JSON" },
	/* body('v1', 'ConfigMap', tag(30, 5) + b'\x01\x02') */
	{ "a fixed32 cut short",
		"6b3873000a0f0a0276311209436f6e6669674d61701204f50101021a002200",
	  "ConfigMap: truncated 4-byte fixed value (2 bytes left)" },
	/* body('v1', 'ConfigMap', V(2, 1)) */
	{ "a map entry as a varint",
		"6b3873000a0f0a0276311209436f6e6669674d6170120210011a002200",
	  "ConfigMap: data: field 2: wire type 0 (varint), but a map entry travels as "
	  "length-delimited" },
	/* body('v1', 'ConfigMap', M(2, V(1, 1))) */
	{ "a map key as a varint",
		"6b3873000a0f0a0276311209436f6e6669674d61701204120208011a002200",
	  "ConfigMap: data: field 1: wire type 0 (varint), but a map key travels as "
	  "length-delimited" },
	/* body('v1', 'Pod', M(2, M(14, S(4, b'\x01\x80')))) */
	{ "a packed list cut inside a varint",
		"6b3873000a090a0276311203506f64120812067204220201801a002200",
	  "Pod: spec.securityContext.supplementalGroups[1]: truncated varint" },
	/* body('v1', 'Pod', M(2, V(2, 1))) */
	{ "a list of messages as varints",
		"6b3873000a090a0276311203506f641204120210011a002200",
	  "Pod: spec.containers[0]: field 2: wire type 0 (varint), but a message travels "
	  "as length-delimited" },
	/* body('v1', 'ConfigMap', S(4, 'x')) */
	{ "a boolean as a string",
		"6b3873000a0f0a0276311209436f6e6669674d617012032201781a002200",
	  "ConfigMap: immutable: field 4: wire type 2 (length-delimited), but a boolean "
	  "travels as varint" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void check_body(const struct body_case *c)
{
	char err[256] = "", *want_text = js(c->json), *got_s, *want_s;
	json_error_t jerr;
	json_t *got, *want;
	uint8_t *buf;
	size_t len;

	buf = unhex(c->hex, &len);
	want = json_loads(want_text, 0, &jerr);
	if (!want)
		fail_msg("%s: expected JSON does not parse: %s", c->desc, jerr.text);
	got = k8s_proto_decode(buf, len, err, sizeof(err));
	if (!got)
		fail_msg("%s: not decoded: %s", c->desc, err);
	if (!json_equal(got, want)) {
		got_s = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		want_s = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
		fail_msg("%s:\n  got  %s\n  want %s", c->desc, got_s, want_s);
	}
	assert_string_equal(err, "");
	json_decref(got);
	json_decref(want);
	free(want_text);
	free(buf);
}

/* What kubectl's typed clients send decodes to the JSON of the same object. */
static void test_kubectl_bodies(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kubectl_bodies); i++)
		check_body(&kubectl_bodies[i]);
}

/* Times, quantities, maps, pointers, merges, packed lists and unknown fields. */
static void test_wire_bodies(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(wire_bodies); i++)
		check_body(&wire_bodies[i]);
}

/* Every malformed body is refused, with a message that names what is wrong. */
static void test_bad_bodies(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_bodies); i++) {
		const struct bad_case *c = &bad_bodies[i];
		char err[512] = "";
		uint8_t *buf;
		size_t len;
		json_t *got;

		buf = unhex(c->hex, &len);
		got = k8s_proto_decode(buf, len, err, sizeof(err));
		if (got) {
			char *s = json_dumps(got, JSON_COMPACT);

			fail_msg("%s: decoded to %s", c->desc, s);
		}
		if (!strstr(err, c->err))
			fail_msg("%s:\n  error %s\n  wants %s", c->desc, err, c->err);
		free(buf);
	}
}

/* A growable protobuf buffer, to build bodies too big to spell in hex. */
struct wbuf {
	uint8_t *p;
	size_t n;
};

static void w_bytes(struct wbuf *w, const void *p, size_t k)
{
	w->p = realloc(w->p, w->n + k + 1);
	assert_non_null(w->p);
	memcpy(w->p + w->n, p, k);
	w->n += k;
}

static void w_varint(struct wbuf *w, uint64_t v)
{
	uint8_t b[10];
	size_t k = 0;

	do {
		b[k++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
		v >>= 7;
	} while (v);
	w_bytes(w, b, k);
}

/* Makes *w the payload of a length-delimited field num: M(num, *w). */
static void w_wrap(struct wbuf *w, unsigned int num)
{
	struct wbuf o = { 0 };

	w_varint(&o, num << 3 | 2);
	w_varint(&o, w->n);
	w_bytes(&o, w->p, w->n);
	free(w->p);
	*w = o;
}

/* body('v1', 'ConfigMap', *raw) */
static void w_configmap_body(struct wbuf *raw)
{
	static const uint8_t head[] = "k8s\0\x0a\x0f\x0a\x02v1\x12\x09" "ConfigMap";
	struct wbuf o = { 0 };

	w_wrap(raw, 2);
	w_bytes(&o, head, sizeof(head) - 1);
	w_bytes(&o, raw->p, raw->n);
	free(raw->p);
	*raw = o;
}

/* raw of M(2, M(3, M(2, M(2, S(1, 'a'), M(8, M(3, S(1, 'x'))))))) in a Deployment:
 * spec.template.spec.containers[0].resources.claims[0].name = "x", seven messages deep
 * counting the Deployment. */
#define DEEP_DEPLOYMENT "12101a0e120c120a0a016142051a030a0178"

/* Nesting is bounded, whether the schema allows it or the input is hostile. */
static void test_depth(void **state)
{
	const char *type = "io.k8s.api.apps.v1.Deployment";
	struct wbuf w = { 0 };
	char err[256], *text;
	uint8_t *buf;
	size_t len, i;
	json_t *got;

	(void)state;
	buf = unhex(DEEP_DEPLOYMENT, &len);
	got = k8s_proto_decode_message(type, buf, len, 7, err, sizeof(err));
	if (!got)
		fail_msg("seven deep: %s", err);
	text = json_dumps(got, JSON_COMPACT);
	assert_string_equal(text, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
			    "\"a\",\"resources\":{\"claims\":[{\"name\":\"x\"}]}}]}}}}");
	free(text);
	json_decref(got);

	got = k8s_proto_decode_message(type, buf, len, 6, err, sizeof(err));
	assert_null(got);
	assert_string_equal(err, "io.k8s.api.apps.v1.Deployment: spec.template.spec.containers[0]"
			    ".resources.claims[0]: messages nested deeper than 6");
	got = k8s_proto_decode_message("io.k8s.api.core.v1.NoSuchType", buf, len, 6, err,
				       sizeof(err));
	assert_null(got);
	assert_non_null(strstr(err, "no protobuf table"));
	free(buf);

	/* 100000 groups nested in an unknown field 20 are skipped without recursion:
	 * tag(20, 3) * 100000 + tag(20, 4) * 100000 + M(1, S(1, 'x')) */
	for (i = 0; i < 100000; i++)
		w_bytes(&w, "\xa3\x01", 2);
	for (i = 0; i < 100000; i++)
		w_bytes(&w, "\xa4\x01", 2);
	w_bytes(&w, "\x0a\x03\x0a\x01x", 5);
	w_configmap_body(&w);
	got = k8s_proto_decode(w.p, w.n, err, sizeof(err));
	if (!got)
		fail_msg("nested groups: %s", err);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "metadata"),
							      "name")), "x");
	json_decref(got);
	free(w.p);

	/* FieldsV1 JSON nested 5000 deep is refused by the JSON parser's own depth limit:
	 * M(1, M(17, M(7, S(1, '[' * 5000)))) */
	w = (struct wbuf){ 0 };
	for (i = 0; i < 5000; i++)
		w_bytes(&w, "[", 1);
	w_wrap(&w, 1);
	w_wrap(&w, 7);
	w_wrap(&w, 17);
	w_wrap(&w, 1);
	w_configmap_body(&w);
	got = k8s_proto_decode(w.p, w.n, err, sizeof(err));
	assert_null(got);
	assert_non_null(strstr(err, "ConfigMap: metadata.managedFields[0].fieldsV1: "
				    "FieldsV1 holds invalid JSON"));
	free(w.p);
}

/* Every prefix and thousands of mutations of the real bodies decode or fail cleanly:
 * no crash, no read past the end (valgrind and ASan watch), a reason on failure. */
static void test_truncated_and_mutated(void **state)
{
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	size_t i, cut, k, len;
	char err[256];
	uint8_t *buf, *copy;
	json_t *got;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kubectl_bodies); i++) {
		buf = unhex(kubectl_bodies[i].hex, &len);
		for (cut = 0; cut < len; cut++) {
			/* exact-size copies, so that a read past the end is a heap overflow */
			copy = malloc(cut ? cut : 1);
			assert_non_null(copy);
			memcpy(copy, buf, cut);
			err[0] = '\0';
			got = k8s_proto_decode(copy, cut, err, sizeof(err));
			if (got)
				json_decref(got);
			else
				assert_true(err[0]);
			free(copy);
		}
		for (k = 0; k < 2000; k++) {
			copy = malloc(len);
			assert_non_null(copy);
			memcpy(copy, buf, len);
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			copy[4 + rnd % (len - 4)] ^= (uint8_t)(1u << (rnd >> 32) % 8);
			if (k & 1) {
				rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
				copy[4 + rnd % (len - 4)] = (uint8_t)(rnd >> 40);
			}
			err[0] = '\0';
			got = k8s_proto_decode(copy, len, err, sizeof(err));
			if (got)
				json_decref(got);
			else
				assert_true(err[0]);
			free(copy);
		}
		free(buf);
	}
}

/* The reason fits any buffer, and no buffer at all is fine. */
static void test_err_buffer(void **state)
{
	char err[12];
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = unhex(bad_bodies[ARRAY_SIZE(bad_bodies) - 1].hex, &len);
	memset(err, 'x', sizeof(err));
	assert_null(k8s_proto_decode(buf, len, err, sizeof(err)));
	assert_string_equal(err, "ConfigMap: ");
	assert_null(k8s_proto_decode(buf, len, NULL, 0));
	assert_null(k8s_proto_decode(NULL, 0, NULL, 0));
	free(buf);
}

/* Collects the JSON names message m gives fields (inline messages included) in *names. */
static void collect_names(const struct k8s_proto_msg *m, const struct k8s_type *t,
			  const char **names, size_t *n)
{
	size_t i;

	for (i = 0; i < m->n_fields; i++) {
		const struct k8s_proto_field *f = &k8s_proto_fields[m->first_field + i];
		const struct k8s_field *sf;

		if (i)
			assert_true(f->number > k8s_proto_fields[m->first_field + i - 1].number);
		if (f->flags & K8S_PROTO_F_INLINE) {
			assert_true(f->inline_msg < k8s_proto_n_msgs);
			collect_names(&k8s_proto_msgs[f->inline_msg], t, names, n);
			continue;
		}
		sf = k8s_type_field(t, k8s_proto_strings + f->name);
		if (!sf)
			fail_msg("%s field %u: %s is not a field of %s",
				 k8s_proto_strings + m->name, f->number,
				 k8s_proto_strings + f->name, k8s_str(t->name));
		/* a kept zero only means something for scalars */
		if (f->flags & K8S_PROTO_F_KEEP_ZERO)
			assert_true(sf->kind == K8S_STRING || sf->kind == K8S_INTEGER ||
				    sf->kind == K8S_BOOLEAN);
		names[(*n)++] = k8s_proto_strings + f->name;
	}
}

/* The protobuf tables and the schema agree: every schema type has its message, every
 * name in a message is a field of its type, every field but TypeMeta's has a number. */
static void test_tables_match_schema(void **state)
{
	const char *names[128];
	size_t i, j, k, n, total = 0;

	(void)state;
	for (i = 0; i < k8s_proto_n_msgs; i++) {
		total += k8s_proto_msgs[i].n_fields;
		if (i)
			assert_true(strcmp(k8s_proto_strings + k8s_proto_msgs[i - 1].name,
					   k8s_proto_strings + k8s_proto_msgs[i].name) < 0);
		assert_ptr_equal(k8s_proto_msg_find(k8s_proto_strings + k8s_proto_msgs[i].name),
				 &k8s_proto_msgs[i]);
	}
	assert_int_equal(total, k8s_proto_n_fields);

	for (i = 0; i < k8s_n_types; i++) {
		const struct k8s_type *t = &k8s_types[i];
		const struct k8s_proto_msg *m;

		if (t->kind != K8S_OBJECT)
			continue;
		m = k8s_proto_msg_find(k8s_str(t->name));
		if (!m)
			fail_msg("%s has no protobuf message", k8s_str(t->name));
		n = 0;
		collect_names(m, t, names, &n);
		for (j = 0; j < t->n_fields; j++) {
			const char *f = k8s_str(k8s_fields[t->first_field + j].name);

			for (k = 0; k < n && strcmp(names[k], f); k++)
				;
			if (k == n && strcmp(f, "apiVersion") && strcmp(f, "kind"))
				fail_msg("%s.%s has no protobuf field number", k8s_str(t->name), f);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubectl_bodies),
		cmocka_unit_test(test_wire_bodies),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_truncated_and_mutated),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_tables_match_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
