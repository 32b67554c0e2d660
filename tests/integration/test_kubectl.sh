#!/bin/bash
# test_kubectl.sh — the real kubectl against a freshly started kbpf-apiserver, used as a new
# user would: no --validate=false, no special flags. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
trap cleanup EXIT
require_apiserver
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
ok "apiserver starts and answers /readyz"
K=kubectl

# --- discovery ---
expect_out "kubectl version shows the server's version" 'Server Version: v1\.32' $K version
expect_out "api-resources lists pods with short name po" '^pods +po +v1 +true +Pod' $K api-resources
expect_out "api-resources lists deployments under apps/v1" '^deployments +deploy +apps/v1 +true +Deployment' $K api-resources
expect_out "api-resources lists endpointslices and leases" 'endpointslices.*discovery.k8s.io/v1' $K api-resources
expect_out "api-versions lists the groups" 'coordination.k8s.io/v1' $K api-versions
expect_out "the default namespaces exist" 'kube-public +Active' $K get ns
expect_out "the kubernetes Service exists" '^kubernetes +ClusterIP +10\.96\.0\.1 +<none> +443/TCP' $K get svc kubernetes

# --- create, get, describe ---
expect_out "kubectl run creates a pod" '^pod/nginx created' $K run nginx --image=nginx:1.25 --labels=app=nginx
expect_out "get pods prints the Table columns" '^NAME +READY +STATUS +RESTARTS +AGE' $K get pods
expect_out "get pods shows the new pod Pending" '^nginx +0/1 +Pending +0 +[0-9]+s' $K get pods
expect_out "-o wide adds IP and NODE" 'NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES' $K get pods -o wide
expect_out "-o json returns the object with defaults" '"imagePullPolicy": "IfNotPresent"' $K get pod nginx -o json
expect_out "-o yaml returns the object" 'terminationGracePeriodSeconds: 30' $K get pod nginx -o yaml
expect_out "-o jsonpath" '^nginx:1\.25$' $K get pod nginx -o 'jsonpath={.spec.containers[0].image}'
expect_out "-o custom-columns" '^nginx +Pending' $K get pods -o custom-columns=NAME:.metadata.name,PHASE:.status.phase --no-headers
expect_out "-A lists across namespaces" '^default +nginx' $K get pods -A
expect_out "describe pod" 'Image: +nginx:1\.25' $K describe pod nginx
expect_out "uid, creationTimestamp and resourceVersion are set" '^[0-9a-f-]{36} [0-9T:-]+Z [0-9]+$' \
	$K get pod nginx -o 'jsonpath={.metadata.uid} {.metadata.creationTimestamp} {.metadata.resourceVersion}'

# --- apply of a multi-document YAML, twice ---
cat >"$WORK/app.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:latest
        command: ["httpd", "-f", "-p", "8080"]
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
EOF
expect_out "apply creates a Deployment, a Service and a ConfigMap" \
	'deployment.apps/web created.*service/web created.*configmap/web-config created' \
	bash -c "$K apply -f $WORK/app.yaml | tr '\n' ' '"
expect_out "apply again reports unchanged" \
	'deployment.apps/web unchanged.*service/web unchanged.*configmap/web-config unchanged' \
	bash -c "$K apply -f $WORK/app.yaml | tr '\n' ' '"
sed -i 's/greeting: hello/greeting: hi/' "$WORK/app.yaml"
expect_out "apply after a change reports configured" \
	'deployment.apps/web unchanged.*service/web unchanged.*configmap/web-config configured' \
	bash -c "$K apply -f $WORK/app.yaml | tr '\n' ' '"
expect_out "the Service got a ClusterIP and defaults" '^10\.(9[6-9]|10[0-9]|11[01])\.[0-9]+\.[0-9]+ TCP 8080$' \
	$K get svc web -o 'jsonpath={.spec.clusterIP} {.spec.ports[0].protocol} {.spec.ports[0].targetPort}'
expect_out "get deployments columns" '^web +0/2 +0 +0 +[0-9]+s' $K get deploy
expect_out "get all shows pods, services and deployments" 'deployment.apps/web' $K get all
expect_out "deployment generation counts spec changes" '^1$' $K get deploy web -o 'jsonpath={.metadata.generation}'

# --- expose, scale, label, annotate, patch ---
expect_out "expose a deployment as a NodePort" '^service/web-np exposed' \
	$K expose deployment web --name web-np --port 8080 --type NodePort
expect_out "the NodePort is allocated from 30000-32767" '^3[0-2][0-9]{3}$' \
	$K get svc web-np -o 'jsonpath={.spec.ports[0].nodePort}'
expect_out "scale" '^deployment.apps/web scaled' $K scale deployment web --replicas=5
expect_out "scale changed spec.replicas and generation" '^5 2$' \
	$K get deploy web -o 'jsonpath={.spec.replicas} {.metadata.generation}'
expect_out "label" '^pod/nginx labeled' $K label pod nginx tier=frontend
expect_out "label selector =" '^nginx ' $K get pods -l tier=frontend --no-headers
expect_out "label selector in / !=" '^nginx ' $K get pods -l 'tier in (frontend,backend),app!=web' --no-headers
expect_out "label selector !key" 'No resources found' $K get pods -l '!tier'
expect_out "field selector" '^nginx ' $K get pods --field-selector metadata.name=nginx --no-headers
expect_out "field selector status.phase" '^nginx ' $K get pods --field-selector status.phase=Pending --no-headers
expect_out "annotate" '^pod/nginx annotated' $K annotate pod nginx owner=team-a
expect_out "patch --type merge" '^deployment.apps/web patched' \
	$K patch deployment web --type merge -p '{"spec":{"minReadySeconds":5}}'
expect_out "patch --type json" '^deployment.apps/web patched' \
	$K patch deployment web --type json -p '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":3}]'
expect_out "patch --type strategic merges containers by name" '^deployment.apps/web patched' \
	$K patch deployment web -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:1.36"}]}}}}'
expect_out "the strategic patch kept the container's other fields" '^busybox:1\.36 8080 5 3$' \
	$K get deploy web -o 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.minReadySeconds} {.spec.revisionHistoryLimit}'
expect_out "patch with a failed json-patch test is refused" 'is invalid' \
	$K patch deployment web --type json -p '[{"op":"test","path":"/spec/replicas","value":99}]'

# --- watch ---
$K get pods -w --output-watch-events >"$WORK/watch.out" 2>&1 &
WATCH_PID=$!
PIDS="$PIDS $WATCH_PID"
sleep 1
$K run watched --image=busybox >/dev/null 2>&1
$K label pod watched seen=yes >/dev/null 2>&1
$K delete pod watched --wait=false >/dev/null 2>&1
sleep 1
kill "$WATCH_PID" 2>/dev/null
expect_out "get -w prints live ADDED, MODIFIED and DELETED events" \
	'ADDED +watched.*MODIFIED +watched.*DELETED +watched' bash -c "tr '\n' ' ' <$WORK/watch.out"

# --- deletion ---
expect_out "delete a pod" '^pod "nginx" deleted' $K delete pod nginx
expect_out "the deleted pod is gone" 'NotFound' $K get pod nginx
cat >"$WORK/bound.json" <<'EOF'
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bound"},
 "spec":{"containers":[{"name":"c","image":"busybox"}],"terminationGracePeriodSeconds":30}}
EOF
$K create -f "$WORK/bound.json" >/dev/null 2>&1
curl -sf -X POST -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"bound"},"target":{"kind":"Node","name":"node-a"}}' \
	"$API_URL/api/v1/namespaces/default/pods/bound/binding" >/dev/null
expect_out "binding assigns the pod to a node" '^node-a True$' \
	$K get pod bound -o 'jsonpath={.spec.nodeName} {.status.conditions[?(@.type=="PodScheduled")].status}'
$K delete pod bound --wait=false >/dev/null 2>&1
expect_out "a bound pod is deleted gracefully: deletionTimestamp, still there" '^[0-9T:-]+Z 30$' \
	$K get pod bound -o 'jsonpath={.metadata.deletionTimestamp} {.metadata.deletionGracePeriodSeconds}'
expect_out "the graceful pod shows Terminating" '^bound +0/1 +Terminating' $K get pod bound --no-headers
$K delete pod bound --grace-period=0 --force >/dev/null 2>&1
expect_out "gracePeriodSeconds=0 (its node's confirmation) removes it" 'NotFound' $K get pod bound
$K create configmap fin --from-literal=a=b >/dev/null 2>&1
$K patch configmap fin -p '{"metadata":{"finalizers":["example.com/hold"]}}' >/dev/null 2>&1
$K delete configmap fin --wait=false >/dev/null 2>&1
expect_out "a finalizer holds a deleted object" '^[0-9T:-]+Z$' \
	$K get configmap fin -o 'jsonpath={.metadata.deletionTimestamp}'
$K patch configmap fin --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null 2>&1
expect_out "removing the last finalizer deletes it" 'NotFound' $K get configmap fin
$K run p1 --image=busybox -l batch=x >/dev/null 2>&1
$K run p2 --image=busybox -l batch=x >/dev/null 2>&1
expect_out "deletecollection by label" 'pod "p1" deleted.*pod "p2" deleted' \
	bash -c "$K delete pods -l batch=x | tr '\n' ' '"

# --- nodes: cordon and drain (typed-client writes: protobuf DeleteOptions) ---
echo '{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-d","labels":{"kubernetes.io/hostname":"node-d"}},"status":{"conditions":[{"type":"Ready","status":"True"}]}}' | $K create -f - >/dev/null 2>&1
echo '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"on-d"},"spec":{"nodeName":"node-d","containers":[{"name":"c","image":"busybox"}]}}' | $K create -f - >/dev/null 2>&1
expect_out "get nodes shows the node Ready" '^node-d +Ready +<none>' $K get nodes --no-headers
expect_out "kubectl drain cordons the node and deletes its pods" 'node/node-d drained' \
	$K drain node-d --disable-eviction --grace-period=0 --force --ignore-daemonsets --timeout=20s
expect_out "the drained node is unschedulable" '^node-d +Ready,SchedulingDisabled' $K get nodes --no-headers
expect_out "the drained node's pod is gone" 'NotFound' $K get pod on-d

# --- errors, as kubectl prints them ---
expect_out "NotFound" '^Error from server \(NotFound\): pods "nope" not found' $K get pod nope
expect_out "AlreadyExists" 'Error from server \(AlreadyExists\).*configmaps "web-config" already exists' \
	bash -c "echo '{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"web-config\"}}' | $K create -f -"
expect_out "kubectl create configmap (a protobuf body) of an existing name" \
	'failed to create configmap: configmaps "web-config" already exists' $K create configmap web-config
expect_out "kubectl create deployment (protobuf) creates it" '^deployment.apps/proto created' \
	$K create deployment proto --image=nginx --replicas=2 --port=80
expect_out "the protobuf-created deployment has what was asked" '^2 nginx 80 proto$' \
	$K get deploy proto -o 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.selector.matchLabels.app}'
expect_out "kubectl create secret generic (protobuf)" '^secret/s1 created' \
	$K create secret generic s1 --from-literal=password=hunter2
expect_out "the secret's data is base64 of what was given" '^aHVudGVyMg==$' \
	$K get secret s1 -o 'jsonpath={.data.password}'
expect_out "kubectl create service nodeport (protobuf)" '^service/np1 created' \
	$K create service nodeport np1 --tcp=80:8080 --node-port=31001
expect_out "Invalid lists each bad field" 'The Pod "bad" is invalid: .*spec.containers\[0\].image: Required value' \
	bash -c "echo '{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"bad\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}' | $K create -f -"
expect_out "unknown fields are refused (server-side validation)" 'unknown field "spec.replica"' \
	bash -c "printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: typo}\nspec:\n  replica: 2\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: busybox}]}\n' | $K apply -f -"
expect_out "a stale resourceVersion is a Conflict" 'Error from server \(Conflict\)' \
	bash -c "$K get configmap web-config -o json > $WORK/cm.json; $K annotate configmap web-config x=1 >/dev/null; $K replace -f $WORK/cm.json"
expect_out "a bad label selector is a BadRequest" 'Error from server \(BadRequest\)' $K get pods -l 'a in b'
expect_out "an unsupported field selector is a BadRequest" 'field label not supported: spec.foo' \
	$K get pods --field-selector spec.foo=bar
cat >"$WORK/clash.yaml" <<EOF
apiVersion: v1
kind: Service
metadata: {name: clash}
spec:
  type: NodePort
  selector: {app: x}
  ports: [{port: 80, nodePort: $($K get svc web-np -o 'jsonpath={.spec.ports[0].nodePort}')}]
EOF
expect_out "a NodePort in use is refused" 'provided port is already allocated' $K create -f "$WORK/clash.yaml"
expect_out "a request body over 3 MiB gets 413" '^413$' \
	bash -c "head -c 4000000 /dev/zero | tr '\\0' 'a' | curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @- $API_URL/api/v1/namespaces/default/configmaps"
expect_out "a PATCH in an unknown format gets 415" '"reason":"UnsupportedMediaType"' \
	curl -s -X PATCH -H 'Content-Type: text/plain' -d 'x' "$API_URL/api/v1/namespaces/default/configmaps/web-config"
expect_out "malformed JSON is a BadRequest that says where" '"code":400' \
	curl -s -X POST -H 'Content-Type: application/json' -d '{"kind": "ConfigMap",' "$API_URL/api/v1/namespaces/default/configmaps"

# --- non-resource endpoints ---
expect_out "/healthz" '^ok$' curl -s "$API_URL/healthz"
expect_out "/metrics counts requests by verb, resource and code" \
	'apiserver_request_total\{verb="POST",resource="pods",code="201"\}' curl -s "$API_URL/metrics"

finish
