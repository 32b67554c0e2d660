#!/bin/bash
# test_cm_nodes.sh — the node-facing controllers of kbpf-controller-manager against a real
# kbpf-apiserver, driven with the real kubectl: node IPAM (pod CIDRs, exhaustion, release,
# restart), node lifecycle (Lease silence -> Ready=Unknown, NoExecute/NoSchedule taints,
# pods marked not Ready, taint eviction by tolerations, recovery) and LoadBalancer IPAM
# (pool, requested IPs, classes, release, exhaustion, restart). The test plays the
# kubelets: it renews the nodes' Leases itself. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
require_controller_manager
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
K=kubectl
POOL=10.99.5.10-10.99.5.12
CM_FLAGS=(--controllers nodeipam,nodelifecycle,lbipam --cluster-cidr 10.244.0.0/22
	  --node-cidr-mask-size 24 --node-monitor-grace-period 3 --node-monitor-period 1
	  --lb-ip-pool "$POOL")

# --- the kubelets' part: Leases renewed every half second for the nodes in $ALIVE ---
ALIVE=$WORK/alive
LEASES=$API_URL/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases
renew_leases() {
	local n now code
	while :; do
		now=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
		for n in $(cat "$ALIVE"); do
			code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH \
				-H 'Content-Type: application/merge-patch+json' \
				-d "{\"spec\":{\"renewTime\":\"$now\"}}" "$LEASES/$n")
			[ "$code" = 404 ] && curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
				-d "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",
				     \"metadata\":{\"name\":\"$n\",\"namespace\":\"kube-node-lease\"},
				     \"spec\":{\"holderIdentity\":\"$n\",\"leaseDurationSeconds\":40,
				     \"renewTime\":\"$now\"}}" "$LEASES"
		done
		sleep 0.5
	done
}
alive() { echo "$@" >"$ALIVE"; }

# node_status NODE STATUS: what its kubelet posts: Ready=STATUS with a fresh heartbeat.
node_status() {
	local now
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	$K patch node "$1" --subresource=status --type=merge -p "{\"status\":{\"conditions\":[
		{\"type\":\"Ready\",\"status\":\"$2\",\"reason\":\"KubeletReady\",
		 \"lastHeartbeatTime\":\"$now\",\"lastTransitionTime\":\"$now\"}]}}" >/dev/null
}

jp() { # KIND NAME JSONPATH
	$K get "$1" "$2" -o "jsonpath=$3" 2>/dev/null
}

has_event() { # OBJECT-NAME REASON PATTERN
	$K get events -A --field-selector "involvedObject.name=$1,reason=$2" \
		-o 'jsonpath={range .items[*]}{.type} {.message}{"\n"}{end}' | grep -qE -- "$3"
}

# pod NAME NODE [TOLERATIONS-JSON]: a pod bound to NODE, Running and Ready.
pod() {
	python3 - "$1" "$2" "${3:-[]}" <<'EOF' | $K create -f - >/dev/null
import json, sys
name, node, tols = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
spec = {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}
if tols:
    spec["tolerations"] = tols
print(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}))
EOF
	pod_ready default "$1" "10.244.9.$((RANDOM % 200 + 1))"
}

terminating() { [ -n "$(jp pod "$1" '{.metadata.deletionTimestamp}')" ]; }
pod_cond() { jp pod "$1" "{.status.conditions[?(@.type==\"$2\")].status}"; }
node_cond() { jp node "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
taints() { jp node "$1" '{range .spec.taints[*]}{.key}:{.effect} {end}'; }
has_taint() { taints "$1" | grep -qw -- "$2"; }
no_taint() { ! taints "$1" | grep -q -- "$2"; }
cidr() { jp node "$1" '{.spec.podCIDR}'; }
lb_ip() { jp svc "$1" '{.status.loadBalancer.ingress[0].ip}'; }

# lb NAME [loadBalancerIP] [loadBalancerClass]: a Service of type LoadBalancer.
lb() {
	python3 - "$1" "${2:-}" "${3:-}" <<'EOF' | $K create -f - >/dev/null
import json, sys
name, ip, cls = sys.argv[1], sys.argv[2], sys.argv[3]
spec = {"type": "LoadBalancer", "selector": {"app": name},
        "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}
if ip:
    spec["loadBalancerIP"] = ip
if cls:
    spec["loadBalancerClass"] = cls
print(json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                  "spec": spec}))
EOF
}

# ---------------------------------------------------------------------------------------
# Before the manager starts: a node with a pod CIDR already (it keeps it), and Services
# of which one shows an address (a restart: it keeps it).
fake_node pre
$K patch node pre --type=merge -p '{"spec":{"podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24"]}}' >/dev/null
fake_node n1
fake_node n2
alive pre n1
renew_leases &
PIDS="$PIDS $!"
lb lbkept
$K patch svc lbkept --subresource=status --type=merge \
	-p '{"status":{"loadBalancer":{"ingress":[{"ip":"10.99.5.11"}]}}}' >/dev/null
# Pods on n2 (which will go silent) with various tolerations, and one on n1.
pod p-plain n2
pod p-short n2 '[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":2}]'
pod p-long n2 '[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":120}]'
pod p-ever n2 '[{"operator":"Exists"}]'
pod p-n1 n1
# Some unrelated taint the controllers must leave alone.
$K taint node n1 example.com/keep=yes:NoSchedule >/dev/null

start_controller_manager "${CM_FLAGS[@]}" || { not_ok "controller-manager starts"; finish; exit 1; }

# --- node IPAM ---
check "nodes get a /24 of --cluster-cidr each" until_true 5 \
	sh -c "[ -n \"\$(kubectl get node n1 -o jsonpath='{.spec.podCIDR}')\" ] &&
	       [ -n \"\$(kubectl get node n2 -o jsonpath='{.spec.podCIDR}')\" ]"
expect_out "a node with a podCIDR keeps it" '^10\.244\.1\.0/24 \["?10\.244\.1\.0/24"?\]$' \
	jp node pre '{.spec.podCIDR} {.spec.podCIDRs}'
c1=$(cidr n1) c2=$(cidr n2)
expect_out "podCIDRs matches podCIDR" "^\[\"?$c1\"?\]$" jp node n1 '{.spec.podCIDRs}'
check "no CIDR handed out twice (the one carried at start counted)" \
	sh -c "[ '$c1' != '$c2' ] && [ '$c1' != 10.244.1.0/24 ] && [ '$c2' != 10.244.1.0/24 ] &&
	       echo '$c1 $c2' | grep -qE '^10\.244\.[0-3]\.0/24 10\.244\.[0-3]\.0/24$'"
fake_node n3
check "a new node gets the last free /24" until_true 5 sh -c "[ -n \"\$(kubectl get node n3 -o jsonpath='{.spec.podCIDR}')\" ]"
c3=$(cidr n3)
fake_node n4
alive pre n1 n3 n4
check "the range exhausted: CIDRNotAvailable on the node" until_true 5 \
	has_event n4 CIDRNotAvailable '^Normal Node n4 status is now: CIDRNotAvailable$'
expect_out "... which stays without a podCIDR" '^$' cidr n4
$K delete node n3 >/dev/null
check "a deleted node's CIDR goes to the node that waited" until_true 5 \
	sh -c "[ \"\$(kubectl get node n4 -o jsonpath='{.spec.podCIDR}')\" = '$c3' ]"

# --- LoadBalancer IPAM (pool 10.99.5.10-12; lbkept shows .11 from before) ---
lb lb1
lb lbwant 10.99.5.12
lb lbother "" example.com/other
check "a LoadBalancer Service gets an address of the pool" until_true 5 \
	sh -c "[ \"\$(kubectl get svc lb1 -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = 10.99.5.10 ]"
check "spec.loadBalancerIP in the pool is honoured" until_true 5 \
	sh -c "[ \"\$(kubectl get svc lbwant -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = 10.99.5.12 ]"
expect_out "an address a Service showed at start stays its own" '^10\.99\.5\.11$' lb_ip lbkept
check "IPAllocated event" has_event lb1 IPAllocated 'Normal Assigned IP \["10\.99\.5\.10"\]'
lb lbtaken 10.99.5.12
check "a requested address taken: Warning AllocationFailed" until_true 5 \
	has_event lbtaken AllocationFailed '^Warning .*10\.99\.5\.12 is already assigned to service "default/lbwant"'
expect_out "... and the Service stays pending" '^$' lb_ip lbtaken
lb lbout 10.99.6.1
check "a requested address outside the pool: Warning AllocationFailed" until_true 5 \
	has_event lbout AllocationFailed 'not in the address pool'
lb lbfull
check "the pool exhausted: Warning AllocationFailed, pending" until_true 5 \
	has_event lbfull AllocationFailed '^Warning Failed to allocate IP for "default/lbfull": no available IPs$'
expect_out "a Service of another loadBalancerClass is left alone" '^$' \
	sh -c "kubectl get svc lbother -o jsonpath='{.status.loadBalancer.ingress}';
	       kubectl get events --field-selector involvedObject.name=lbother -o name"
$K delete svc lb1 >/dev/null
check "a deleted Service's address goes to the one waiting" until_true 5 \
	sh -c "[ \"\$(kubectl get svc lbfull -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = 10.99.5.10 ]"
$K patch svc lbwant --type=merge -p '{"spec":{"type":"ClusterIP","loadBalancerIP":null}}' >/dev/null
check "a Service no longer LoadBalancer loses its address..." until_true 5 \
	sh -c "[ -z \"\$(kubectl get svc lbwant -o jsonpath='{.status.loadBalancer.ingress}')\" ]"
check "... which goes to the Service that asked for it" until_true 5 \
	sh -c "[ \"\$(kubectl get svc lbtaken -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = 10.99.5.12 ]"

# --- node lifecycle: n2 never renewed its Lease ---
check "a silent node gets Ready=Unknown" until_true 8 sh -c \
	"[ \"\$(kubectl get node n2 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = Unknown ]"
expect_out "... reason NodeStatusUnknown, kube's message" \
	'^NodeStatusUnknown Kubelet stopped posting node status\.$' \
	sh -c "kubectl get node n2 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason} {.status.conditions[?(@.type==\"Ready\")].message}'"
expect_out "... and so do its other conditions" '^Unknown Unknown Unknown$' \
	sh -c "kubectl get node n2 -o jsonpath='{.status.conditions[?(@.type==\"MemoryPressure\")].status} {.status.conditions[?(@.type==\"DiskPressure\")].status} {.status.conditions[?(@.type==\"PIDPressure\")].status}'"
check "unreachable:NoExecute taint" until_true 5 has_taint n2 node.kubernetes.io/unreachable:NoExecute
check "unreachable:NoSchedule taint" until_true 5 has_taint n2 node.kubernetes.io/unreachable:NoSchedule
expect_out "the NoExecute taint carries timeAdded" '^20[0-9-]+T[0-9:]+Z$' \
	jp node n2 '{.spec.taints[?(@.effect=="NoExecute")].timeAdded}'
check "NodeNotReady event on the node" until_true 3 has_event n2 NodeNotReady 'Node n2 status is now: NodeNotReady'
check "its pods get Ready=False" until_true 3 sh -c "[ \"\$(kubectl get pod p-plain -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = False ]"
check "... with a NodeNotReady Warning" until_true 3 has_event p-plain NodeNotReady '^Warning Node is not ready$'
expect_out "pods of healthy nodes stay Ready" '^True$' pod_cond p-n1 Ready
expect_out "healthy nodes are not tainted" '^example\.com/keep:NoSchedule $' taints n1
check "a pod tolerating it for 2 s is evicted after them" until_true 5 terminating p-short
check "... TaintManagerEviction event" has_event p-short TaintManagerEviction '^Normal Marking for deletion Pod default/p-short$'
expect_out "... with DisruptionTarget=True (DeletionByTaintManager)" '^True DeletionByTaintManager$' \
	sh -c "kubectl get pod p-short -o jsonpath='{.status.conditions[?(@.type==\"DisruptionTarget\")].status} {.status.conditions[?(@.type==\"DisruptionTarget\")].reason}'"
check "a pod with the default 300 s tolerations stays" sh -c "! kubectl get pod p-plain -o jsonpath='{.metadata.deletionTimestamp}' | grep -q ."
check "a pod tolerating everything stays" sh -c "! kubectl get pod p-ever -o jsonpath='{.metadata.deletionTimestamp}' | grep -q ."
$K taint node n1 example.com/drain=now:NoExecute >/dev/null
check "a NoExecute taint not tolerated evicts at once" until_true 3 terminating p-n1
$K taint node n1 example.com/drain- >/dev/null

# The kubelet is back but reports NotReady: the taint swaps at once.
alive pre n1 n2 n4
node_status n2 False
check "Ready=False: not-ready:NoExecute replaces unreachable" until_true 5 \
	sh -c "kubectl get node n2 -o jsonpath='{range .spec.taints[*]}{.key}:{.effect} {end}' |
	       grep -q 'not-ready:NoExecute' && ! kubectl get node n2 -o jsonpath='{.spec.taints}' | grep -q unreachable"
check "... and not-ready:NoSchedule" has_taint n2 node.kubernetes.io/not-ready:NoSchedule
node_status n2 True
check "Ready again: the node's taints go" until_true 5 sh -c "! kubectl get node n2 -o jsonpath='{.spec.taints}' | grep -q node.kubernetes.io"
check "... a pending eviction is cancelled" until_true 3 has_event p-long TaintManagerEviction 'Cancelling deletion of Pod default/p-long'
check "... and the pod stays" sh -c "! kubectl get pod p-long -o jsonpath='{.metadata.deletionTimestamp}' | grep -q ."

# Every node silent: more likely the control plane's network than the nodes (kube's
# master disruption mode): Ready=Unknown, but no NoExecute taint, so no eviction.
alive
all_unknown() {
	[ "$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status} {end}')" = \
	  "Unknown Unknown Unknown Unknown " ]
}
check "all nodes silent: all Ready=Unknown" until_true 8 all_unknown
check "... and no NoExecute taint on any (master disruption mode)" until_true 3 \
	sh -c "! kubectl get nodes -o jsonpath='{range .items[*].spec.taints[*]}{.key}:{.effect} {end}' |
	       grep -qE '(unreachable|not-ready):NoExecute'"
check "... said in the log" grep -q "entering master disruption mode" "$WORK/cm.log"
alive pre n1 n2 n4
for n in pre n1 n2 n4; do node_status $n True; done

$K cordon n1 >/dev/null
check "a cordoned node gets unschedulable:NoSchedule" until_true 3 has_taint n1 node.kubernetes.io/unschedulable:NoSchedule
$K uncordon n1 >/dev/null
check "... which goes when it is uncordoned" until_true 3 no_taint n1 unschedulable

# --- restart: nothing handed out twice ---
stop_controller_manager
before=$($K get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR} {end}')
start_controller_manager "${CM_FLAGS[@]}" || { not_ok "controller-manager restarts"; finish; exit 1; }
fake_node n5
lb lbnew
check "after a restart the used CIDRs stay used: CIDRNotAvailable for a new node" until_true 6 \
	has_event n5 CIDRNotAvailable 'Node n5 status is now: CIDRNotAvailable'
expect_out "... and every node keeps its CIDR" "^${before}\$" \
	sh -c "kubectl get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR} {end}' | sed 's/n5= //'"
check "after a restart the pool's addresses stay taken: a new Service waits" until_true 6 \
	has_event lbnew AllocationFailed 'no available IPs'
expect_out "... and each Service keeps its address" '^lbfull=10\.99\.5\.10 lbkept=10\.99\.5\.11 lbtaken=10\.99\.5\.12 $' \
	sh -c "kubectl get svc -o 'jsonpath={range .items[*]}{.metadata.name}={.status.loadBalancer.ingress[0].ip} {end}' |
	       grep -oE 'lb[a-z]+=10[0-9.]+ ' | tr -d '\n'"
$K delete svc lbkept >/dev/null
check "a release after the restart goes to the waiting Service" until_true 5 \
	sh -c "[ \"\$(kubectl get svc lbnew -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = 10.99.5.11 ]"

# --- --allocate-node-cidrs=false: nodes are left alone ---
stop_controller_manager
start_controller_manager "${CM_FLAGS[@]}" --allocate-node-cidrs=false ||
	{ not_ok "controller-manager restarts"; finish; exit 1; }
$K delete node n4 >/dev/null
fake_node n6
sleep 1.5
expect_out "--allocate-node-cidrs=false: a new node gets no podCIDR though one is free" '^$' \
	sh -c "kubectl get node n6 -o jsonpath='{.spec.podCIDR}'"
stop_controller_manager

if [ "$FAILED" -ne 0 ]; then
	echo "# controller-manager log:"
	tail -40 "$WORK/cm.log" | sed 's/^/#   /'
fi
finish
