#!/bin/bash
# test_cm_cluster.sh — every controller of kbpf-controller-manager at once, as `make up`
# will run them, with the scheduler and a kubelet stand-in, driven by the real kubectl the
# way a user drives a cluster: nodes get pod CIDRs; a Deployment behind a LoadBalancer
# Service rolls out, its EndpointSlice and Endpoints follow, the Service gets an address;
# an image change rolls; deleting the Deployment takes its ReplicaSets and pods with it;
# deleting the namespace takes the rest and gives the address back. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
require_controller_manager
[ -x "$SCHEDULER" ] || skip_all "$SCHEDULER is not built (run make)"
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
K=kubectl
POOL_IP=10.99.5.10

fake_node n1
fake_node n2
start_scheduler sched
kubelet_loop &
PIDS="$PIDS $!"
start_controller_manager --lb-ip-pool "$POOL_IP-10.99.5.11" ||
	{ not_ok "controller-manager starts"; finish; exit 1; }

jp() { # NS OBJECT JSONPATH
	$K -n "$1" get "$2" -o "jsonpath=$3" 2>/dev/null
}

# slice_ready NS SVC: "pod-name " for each ready endpoint of the Service's slices, sorted.
slice_ready() {
	$K -n "$1" get endpointslices -l "kubernetes.io/service-name=$2" -o json 2>/dev/null |
		python3 -c '
import json, sys
names = sorted(e["targetRef"]["name"] for s in json.load(sys.stdin)["items"]
               for e in s.get("endpoints") or [] if e["conditions"].get("ready"))
print(" ".join(names))'
}

# pods_of NS SELECTOR: names of the pods not being deleted, sorted.
pods_of() {
	$K -n "$1" get pods -l "$2" -o json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(sorted(p["metadata"]["name"] for p in json.load(sys.stdin)["items"]
                      if not p["metadata"].get("deletionTimestamp"))))'
}

same_as_pods() { # NS SVC SELECTOR N: the slice lists exactly the N live pods as ready
	local want
	want=$(pods_of "$1" "$3")
	[ "$(echo "$want" | wc -w)" -eq "$4" ] && [ "$(slice_ready "$1" "$2")" = "$want" ]
}

has_cidr() {
	[ -n "$(jp "" "node/$1" '{.spec.podCIDR}')" ]
}

until_true 5 has_cidr n1
until_true 5 has_cidr n2
c1=$(jp "" node/n1 '{.spec.podCIDR}')
c2=$(jp "" node/n2 '{.spec.podCIDR}')
if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c1" != "$c2" ]; then
	ok "each node gets its own pod CIDR ($c1, $c2)"
else
	not_ok "each node gets its own pod CIDR ('$c1', '$c2')"
fi

# --- a Deployment behind a LoadBalancer Service ---
$K create namespace shop >/dev/null
$K -n shop create deployment web --image=nginx:1.25 --replicas=3 --port=8080 >/dev/null
$K -n shop expose deployment web --port=80 --target-port=8080 --type=LoadBalancer >/dev/null
if out=$($K -n shop rollout status deployment/web --timeout=30s 2>&1); then
	ok "kubectl rollout status returns: $(echo "$out" | tail -1)"
else
	not_ok "kubectl rollout status returns"
	echo "$out" | sed 's/^/# /'
fi
until_true 5 same_as_pods shop web app=web 3
if same_as_pods shop web app=web 3; then
	ok "the Service's EndpointSlice lists the 3 ready pods"
else
	not_ok "the Service's EndpointSlice lists the 3 ready pods ('$(slice_ready shop web)' vs '$(pods_of shop app=web)')"
fi
check "the EndpointSlice port is the target port 8080" \
	test "$($K -n shop get endpointslices -l kubernetes.io/service-name=web -o 'jsonpath={.items[0].ports[0].port}')" = 8080
check "the Endpoints object lists 3 addresses" \
	test "$(jp shop endpoints/web '{.subsets[0].addresses[*].ip}' | wc -w)" -eq 3
until_true 5 test -n "$(jp shop svc/web '{.status.loadBalancer.ingress[0].ip}')"
until_true 5 eval '[ "$(jp shop svc/web "{.status.loadBalancer.ingress[0].ip}")" = "$POOL_IP" ]'
check "the LoadBalancer Service gets $POOL_IP from the pool" \
	test "$(jp shop svc/web '{.status.loadBalancer.ingress[0].ip}')" = "$POOL_IP"
expect_out "kubectl get svc shows the external IP" "web +LoadBalancer +[0-9.]+ +$POOL_IP " \
	$K -n shop get svc web

# --- a rolling update: the slice ends with the new pods only ---
old=$(pods_of shop app=web)
$K -n shop set image deployment/web nginx=nginx:1.26 >/dev/null
if $K -n shop rollout status deployment/web --timeout=30s >/dev/null 2>&1; then
	ok "an image change rolls out (revision $(jp shop deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision}'))"
else
	not_ok "an image change rolls out"
fi
until_true 10 same_as_pods shop web app=web 3
new=$(pods_of shop app=web)
if same_as_pods shop web app=web 3 && [ -z "$(comm -12 <(tr ' ' '\n' <<<"$old" | sort) \
	<(tr ' ' '\n' <<<"$new" | sort))" ]; then
	ok "after the rollout the slice lists 3 new pods, none of the old"
else
	not_ok "after the rollout the slice lists 3 new pods (old '$old', new '$new', slice '$(slice_ready shop web)')"
fi
check "two ReplicaSets, the old one at 0" \
	test "$($K -n shop get rs -o 'jsonpath={.items[*].spec.replicas}' | tr ' ' '\n' | sort | tr '\n' ' ')" = "0 3 "

# --- deleting the Deployment takes its ReplicaSets and pods (garbage collector) ---
$K -n shop delete deployment web >/dev/null
gone() { # NS KIND SELECTOR
	[ -z "$($K -n "$1" get "$2" -l "$3" -o name 2>/dev/null)" ]
}
until_true 15 gone shop rs app=web
until_true 15 gone shop pods app=web
if gone shop rs app=web && gone shop pods app=web; then
	ok "kubectl delete deployment removes its ReplicaSets and pods"
else
	not_ok "kubectl delete deployment removes its ReplicaSets and pods ($($K -n shop get rs,pods -o name | tr '\n' ' '))"
fi
until_true 5 eval '[ -z "$(slice_ready shop web)" ]'
check "the Service's slice is left with no endpoint" test -z "$(slice_ready shop web)"

# --- deleting the namespace takes the rest; the address goes back to the pool ---
$K -n shop create deployment db --image=postgres --replicas=2 >/dev/null
until_true 15 eval '[ "$(pods_of shop app=db | wc -w)" -eq 2 ]'
if $K delete namespace shop --timeout=30s >/dev/null 2>&1 && ! $K get namespace shop >/dev/null 2>&1; then
	ok "kubectl delete namespace returns and the namespace is gone"
else
	not_ok "kubectl delete namespace returns and the namespace is gone"
	$K get namespace shop -o yaml 2>&1 | sed 's/^/# /' | tail -30
fi
left=$($K get pods,rs,deploy,svc,endpoints,endpointslices -A -o name 2>/dev/null |
	grep -v -e '/kubernetes$' -e '/kubernetes-' | tr '\n' ' ')
check "nothing of the namespace is left (${left:-none})" test -z "$left"
$K create service loadbalancer again --tcp=80 >/dev/null
until_true 5 eval '[ -n "$(jp default svc/again "{.status.loadBalancer.ingress[0].ip}")" ]'
ips="$(jp default svc/again '{.status.loadBalancer.ingress[0].ip}')"
check "the freed address is handed out again ($ips)" test "$ips" = "$POOL_IP"

# --- a restart converges without duplicates ---
stop_controller_manager
$K create deployment api --image=nginx --replicas=2 >/dev/null
start_controller_manager --lb-ip-pool "$POOL_IP-10.99.5.11" ||
	{ not_ok "controller-manager restarts"; finish; exit 1; }
$K rollout status deployment/api --timeout=30s >/dev/null 2>&1
sleep 1
check "after a restart a Deployment created meanwhile has one ReplicaSet and 2 pods" \
	test "$($K get rs -l app=api -o name | wc -l)/$(pods_of default app=api | wc -w)" = "1/2"
check "the LoadBalancer address is kept across the restart" \
	test "$(jp default svc/again '{.status.loadBalancer.ingress[0].ip}')" = "$ips"
t0=$(date +%s%N)
stop_controller_manager
ms=$((($(date +%s%N) - t0) / 1000000))
check "the controller-manager stops within 2 s of SIGTERM (${ms} ms)" test "$ms" -lt 2000
finish
