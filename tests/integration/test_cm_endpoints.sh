#!/bin/bash
# test_cm_endpoints.sh — the endpointslice controller of kbpf-controller-manager against a
# real kbpf-apiserver, driven with the real kubectl: EndpointSlices and Endpoints of
# Services follow their pods (ports, readiness, terminating pods, >100 endpoints over
# several slices), Services without a selector are left alone, deleted Services lose
# their slices, and a restarted manager adopts its slices instead of duplicating them.
# No kubelet runs: pods are created on fake nodes and their status is patched as a kubelet
# would report it. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
require_controller_manager
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
K=kubectl
SEL_WEB=kubernetes.io/service-name=web

# pods APP N [FIRST]: pods APP-FIRST..APP-(FIRST+N-1) on node n1, labelled app=APP, with a
# container port named http (8080), in one request.
pods() {
	python3 - "$1" "$2" "${3:-1}" <<'EOF' | $K create -f - >/dev/null
import json, sys
app, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
items = [{"apiVersion": "v1", "kind": "Pod",
          "metadata": {"name": "%s-%d" % (app, i), "labels": {"app": app}},
          "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox",
                   "ports": [{"name": "http", "containerPort": 8080}]}]}}
         for i in range(first, first + n)]
print("\n".join(json.dumps(i) for i in items))
EOF
}

# service NAME SELECTOR-JSON [EXTRA-SPEC-JSON]: ports http 80 -> named port http, and
# metrics 9090 -> 9090.
service() {
	python3 - "$1" "$2" "${3:-"{}"}" <<'EOF' | $K create -f - >/dev/null
import json, sys
name, sel, extra = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
spec = {"ports": [{"name": "http", "port": 80, "targetPort": "http"},
                  {"name": "metrics", "port": 9090, "targetPort": 9090}]}
if sel:
    spec["selector"] = sel
spec.update(extra)
print(json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name,
                  "labels": {"tier": "front"}}, "spec": spec}))
EOF
}

# ready_many APP FIRST LAST: pod_ready for many pods at once (8 in parallel), IP
# 10.244.1.<i>.
ready_many() {
	seq "$2" "$3" | xargs -P 8 -I{} bash -c ". '$ROOT/tests/integration/controlplane.sh'; \
		pod_ready default $1-{} 10.244.1.{}" 2>/dev/null
}

# slices_json SELECTOR: the slices as one JSON list.
slices_json() {
	$K get endpointslices -l "$1" -o json
}

# slice_py SELECTOR PYTHON-EXPR: evaluate an expression over `s` (the list of slices, as
# dicts) and `eps` (every endpoint, by pod name); exit 0 when it is true.
slice_py() {
	slices_json "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)["items"]
eps = {e.get("targetRef", {}).get("name"): e for x in s for e in (x.get("endpoints") or [])}
sys.exit(0 if eval("(" + sys.argv[1] + "\n)") else 1)' "$2"
}

# wait_slices SELECTOR EXPR [SECONDS]: until the expression holds.
wait_slices() {
	until_true "${3:-5}" slice_py "$1" "$2"
}

ep_py() { # ep_py NAME PYTHON-EXPR over `e` (the Endpoints object)
	$K get endpoints "$1" -o json 2>/dev/null | python3 -c '
import json, sys
e = json.load(sys.stdin)
sys.exit(0 if eval("(" + sys.argv[1] + "\n)") else 1)' "$2"
}

show_slices() {
	slices_json "$1" | sed 's/^/# /' | head -80
}

fake_node n1 4 '{"topology.kubernetes.io/zone": "zone-a"}'
start_controller_manager --controllers endpointslice ||
	{ not_ok "controller-manager starts"; finish; exit 1; }

# --- slices of a Service with a selector ---
service web '{"app": "web"}'
pods web 2
pod_ready default web-1 10.244.0.11 true
pod_ready default web-2 10.244.0.12 false
if wait_slices $SEL_WEB 'len(s) == 1 and len(eps) == 2'; then
	ok "a Service with a selector gets one EndpointSlice with its two pods"
else
	not_ok "a Service with a selector gets one EndpointSlice with its two pods"
	show_slices $SEL_WEB
fi
check "the slice is labelled, named and owned as kube's controller does it" slice_py $SEL_WEB '
(m := s[0]["metadata"]) and (o := m["ownerReferences"][0]) and m["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
and m["labels"]["tier"] == "front" and m["generateName"] == "web-"
and m["name"].startswith("web-") and s[0]["addressType"] == "IPv4"
and (o["kind"], o["name"], o["controller"], o["blockOwnerDeletion"]) == ("Service", "web", True, True)
and "endpoints.kubernetes.io/last-change-trigger-time" in m.get("annotations", {})'
check "named targetPort resolves to the container port; numeric stays" slice_py $SEL_WEB '
sorted((p["name"], p["port"], p["protocol"]) for p in s[0]["ports"]) ==
[("http", 8080, "TCP"), ("metrics", 9090, "TCP")]'
check "ready pod: ready/serving true, not terminating; node, zone and targetRef set" \
	slice_py $SEL_WEB '
(e := eps["web-1"]) and e["addresses"] == ["10.244.0.11"] and e["conditions"] == {"ready": True, "serving": True,
"terminating": False} and e["nodeName"] == "n1" and e["zone"] == "zone-a"
and e["targetRef"]["kind"] == "Pod" and e["targetRef"]["uid"]'
check "not-ready pod: ready and serving false" slice_py $SEL_WEB '
eps["web-2"]["conditions"] == {"ready": False, "serving": False, "terminating": False}'
if until_true 5 ep_py web '
len(e["subsets"]) == 1 and [a["ip"] for a in e["subsets"][0]["addresses"]] == ["10.244.0.11"]
and [a["ip"] for a in e["subsets"][0]["notReadyAddresses"]] == ["10.244.0.12"]
and sorted(p["port"] for p in e["subsets"][0]["ports"]) == [8080, 9090]
and e["subsets"][0]["addresses"][0]["targetRef"]["name"] == "web-1"
and e["subsets"][0]["addresses"][0]["nodeName"] == "n1"
and e["metadata"]["labels"] == {"tier": "front"}'; then
	ok "the Endpoints object has the ready address, the not-ready one and both ports"
else
	not_ok "the Endpoints object has the ready address, the not-ready one and both ports"
	$K get endpoints web -o yaml | sed 's/^/# /'
fi
expect_out "kubectl get endpoints shows the ready address with its ports" \
	'^web +10\.244\.0\.11:(8080|9090),10\.244\.0\.11:(8080|9090) ' $K get endpoints web
expect_out "kubectl get endpointslices shows type, ports and both addresses" \
	'^web-[a-z0-9]+ +IPv4 +(8080,9090|9090,8080) +10\.244\.0\.1[12],10\.244\.0\.1[12] ' \
	$K get endpointslices -l $SEL_WEB
out=$($K describe service web)
if echo "$out" | grep -qE '^Endpoints: +10\.244\.0\.11:8080$' &&
	echo "$out" | grep -qE '^Endpoints: +10\.244\.0\.11:9090$'; then
	ok "kubectl describe service lists the ready endpoint of each port"
else
	not_ok "kubectl describe service lists the ready endpoint of each port"
	echo "$out" | sed 's/^/# /'
fi
service lonely '{"app": "nobody"}'
if until_true 5 bash -c "$K get endpointslices -l kubernetes.io/service-name=lonely | grep -qE '^lonely-[a-z0-9]+ +IPv4 +<unset> +<unset> '"; then
	ok "a Service selecting no pod gets one empty placeholder slice (<unset> in kubectl)"
else
	not_ok "a Service selecting no pod gets one empty placeholder slice (<unset> in kubectl)"
	$K get endpointslices -l kubernetes.io/service-name=lonely 2>&1 | sed 's/^/# /'
fi
slice_name=$(slices_json $SEL_WEB | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["metadata"]["name"])')

# --- readiness changes ---
t0=$(date +%s%N)
pod_ready default web-2 10.244.0.12 true
if wait_slices $SEL_WEB 'eps["web-2"]["conditions"]["ready"] and eps["web-2"]["conditions"]["serving"]'; then
	ok "a pod turning Ready is ready in its slice ($((($(date +%s%N) - t0) / 1000000)) ms incl. kubectl)"
else
	not_ok "a pod turning Ready is ready in its slice"
	show_slices $SEL_WEB
fi
check "the slice is updated in place, not replaced" slice_py $SEL_WEB \
	"len(s) == 1 and s[0]['metadata']['name'] == '$slice_name'"
if until_true 5 ep_py web 'len(e["subsets"][0]["addresses"]) == 2 and
	"notReadyAddresses" not in e["subsets"][0]'; then
	ok "the Endpoints object lists both addresses as ready"
else
	not_ok "the Endpoints object lists both addresses as ready"
fi
pod_ready default web-1 10.244.0.11 false
if wait_slices $SEL_WEB 'not eps["web-1"]["conditions"]["ready"]'; then
	ok "a pod turning not Ready is not ready in its slice"
else
	not_ok "a pod turning not Ready is not ready in its slice"
fi
pod_ready default web-1 10.244.0.11 true

# --- terminating and deleted pods ---
$K delete pod web-1 --wait=false >/dev/null
if wait_slices $SEL_WEB 'eps["web-1"]["conditions"] == {"ready": False, "serving": True, "terminating": True}'; then
	ok "a terminating pod stays as serving, terminating, not ready"
else
	not_ok "a terminating pod stays as serving, terminating, not ready"
	show_slices $SEL_WEB
fi
if until_true 5 ep_py web '[a["ip"] for s in e["subsets"] for a in s.get("addresses", []) +
	s.get("notReadyAddresses", [])] == ["10.244.0.12"]'; then
	ok "a terminating pod leaves the Endpoints object"
else
	not_ok "a terminating pod leaves the Endpoints object"
	$K get endpoints web -o yaml | sed 's/^/# /'
fi
$K delete pod web-1 --grace-period=0 --force >/dev/null 2>&1
if wait_slices $SEL_WEB '"web-1" not in eps and len(eps) == 1'; then
	ok "a deleted pod leaves its slice"
else
	not_ok "a deleted pod leaves its slice"
fi

# --- publishNotReadyAddresses ---
service pub '{"app": "pub"}' '{"publishNotReadyAddresses": true, "clusterIP": "None"}'
pods pub 1
pod_ready default pub-1 10.244.0.21 false
if wait_slices kubernetes.io/service-name=pub 'eps.get("pub-1", {}).get("conditions") ==
	{"ready": True, "serving": False, "terminating": False} and
	s[0]["metadata"]["labels"].get("service.kubernetes.io/headless") == ""'; then
	ok "publishNotReadyAddresses: a not-ready pod is ready in the slice of a headless Service"
else
	not_ok "publishNotReadyAddresses: a not-ready pod is ready in the slice of a headless Service"
	show_slices kubernetes.io/service-name=pub
fi
check "publishNotReadyAddresses: the Endpoints list the pod as ready" ep_py pub \
	'[a["ip"] for a in e["subsets"][0]["addresses"]] == ["10.244.0.21"]'

# --- a Service without a selector is its user's ---
service manual '{}'
$K apply -f - >/dev/null <<'EOF'
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: manual-1
  labels: {kubernetes.io/service-name: manual}
addressType: IPv4
endpoints: [{addresses: ["192.0.2.1"]}]
ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual}
subsets: [{addresses: [{ip: 192.0.2.1}], ports: [{name: http, port: 80}]}]
EOF
pods manual 1 # app=manual: would be selected if the Service had a selector
pod_ready default manual-1 10.244.0.31 true
sleep 1
check "a Service without a selector gets no managed slice; the user's slice is untouched" \
	slice_py kubernetes.io/service-name=manual \
	'len(s) == 1 and s[0]["metadata"]["name"] == "manual-1" and list(eps) == [None] and
	s[0]["endpoints"][0]["addresses"] == ["192.0.2.1"]'
check "a Service without a selector keeps the user's Endpoints" ep_py manual \
	'e["subsets"][0]["addresses"] == [{"ip": "192.0.2.1"}]'

# --- more than 100 endpoints ---
service big '{"app": "big"}'
pods big 130
ready_many big 1 130
if wait_slices kubernetes.io/service-name=big 'len(eps) == 130 and len(s) == 2 and
	all(len(x["endpoints"]) <= 100 for x in s)' 15; then
	ok "130 pods are spread over 2 slices of at most 100 endpoints"
else
	not_ok "130 pods are spread over 2 slices of at most 100 endpoints"
	slices_json kubernetes.io/service-name=big | python3 -c 'import json,sys
for x in json.load(sys.stdin)["items"]: print("#", x["metadata"]["name"], len(x.get("endpoints") or []))'
fi
check "the Endpoints object of the big Service has all 130 addresses" ep_py big \
	'len(e["subsets"][0]["addresses"]) == 130'
$K delete pod big-5 big-6 big-7 --grace-period=0 --force >/dev/null 2>&1
check "deleted pods leave the big Service's slices without new slices" \
	wait_slices kubernetes.io/service-name=big 'len(eps) == 127 and len(s) == 2'

# --- restart: the slices are adopted, not duplicated ---
before=$($K get endpointslices -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}' | sort)
stop_controller_manager
pod_ready default web-2 10.244.0.12 false # a change while no manager runs
start_controller_manager --controllers endpointslice ||
	{ not_ok "controller-manager restarts"; finish; exit 1; }
if wait_slices $SEL_WEB 'not eps["web-2"]["conditions"]["ready"]'; then
	ok "after a restart the change made meanwhile reaches the slice"
else
	not_ok "after a restart the change made meanwhile reaches the slice"
fi
sleep 1
after=$($K get endpointslices -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}' | sort)
if [ "$before" = "$after" ]; then
	ok "after a restart the same slices are kept (no duplicates, $(echo "$after" | wc -l) slices)"
else
	not_ok "after a restart the same slices are kept"
	diff <(echo "$before") <(echo "$after") | sed 's/^/# /'
fi

# --- a deleted slice comes back; Service deleted or selector removed ---
$K delete endpointslice "$slice_name" >/dev/null
check "a managed slice deleted by hand is recreated" \
	wait_slices $SEL_WEB "len(s) == 1 and s[0]['metadata']['name'] != '$slice_name'"
$K delete service web >/dev/null
check "deleting a Service deletes its slices" wait_slices $SEL_WEB 'len(s) == 0'
if until_true 5 bash -c "! $K get endpoints web >/dev/null 2>&1"; then
	ok "deleting a Service deletes its Endpoints object"
else
	not_ok "deleting a Service deletes its Endpoints object"
fi
$K patch service pub --type=json -p '[{"op": "remove", "path": "/spec/selector"}]' >/dev/null
check "removing a Service's selector deletes its managed slices" \
	wait_slices kubernetes.io/service-name=pub 'len(s) == 0'
check "the user's slice of the selector-less Service is still there" \
	slice_py kubernetes.io/service-name=manual 'len(s) == 1'
stop_controller_manager # a clean stop: a sanitizer build reports leaks here
if grep -qE "segfault|assert|ERROR|runtime error" "$WORK/cm.log"; then
	not_ok "the controller-manager logged no crash"
	grep -E "segfault|assert|ERROR|runtime error" "$WORK/cm.log" | sed 's/^/# /' | head
else
	ok "the controller-manager logged no crash"
fi
finish
