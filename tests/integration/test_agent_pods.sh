#!/bin/bash
# test_agent_pods.sh — kbpf-agent as the kubelet: a real apiserver, controller-manager
# (node IPAM, EndpointSlices) and scheduler; `kubectl run` of a busybox pod from the node's
# image store makes it Running with an IP of the node's podCIDR and a container that
# answers; a missing image waits in ErrImagePull/ImagePullBackOff naming the import
# command; a crashing container goes to CrashLoopBackOff; `kubectl delete pod` stops it,
# leaves nothing on the node and the pod leaves the API. TAP output.
#
# The control plane and the agent run in the node's network namespace (the agent reaches
# the apiserver on the node's loopback), so nothing of this test touches the host's network.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"

PODRUN=$BUILD/tests/kbpf-podrun
NS_CLI=$T-cli
CGP=$T.slice
STATE=$WORK/state
LOGS=$WORK/logs
IMAGES=$WORK/images

# Every directory named REL in any cgroup hierarchy.
cg_dirs() {
	awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/mounts | while read -r m; do
		[ -d "$m/$1" ] && echo "$m/$1"
	done
}

# Whatever the agent left: containers (shim pids from the state), runc state, mounts,
# pod netns, cgroups.
cleanup_pods() {
	local u f c m d
	[ -n "${AGENT_PID:-}" ] && { kill -9 "$AGENT_PID"; wait "$AGENT_PID"; } 2>/dev/null
	for d in "$STATE"/pods/*/; do
		[ -d "$d" ] || continue
		u=$(basename "$d")
		[ -x "$PODRUN" ] && nsenter --net=/run/netns/"$NS_NODE" "$PODRUN" --state-dir "$STATE" \
			--log-dir "$LOGS" --cgroup-parent "$CGP" teardown "$u" >/dev/null 2>&1
		for f in "$d"containers/*/shim.pid; do
			[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
		done
		ip netns del "kbpf-pod-$u" 2>/dev/null
	done
	for c in $(runc --root "$STATE/runc" list -q 2>/dev/null); do
		runc --root "$STATE/runc" delete --force "$c" >/dev/null 2>&1
	done
	awk -v w="$WORK" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
	for d in $(cg_dirs "$CGP" | sort -r); do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
}
trap 'cp $WORK/agent.log /tmp/agent-pods-last.log 2>/dev/null; cleanup_pods; cleanup' EXIT

require_root_tools
require_apiserver
require_controller_manager
[ -x "$PODRUN" ] || skip_all "$PODRUN is not built (run make)"
command -v runc >/dev/null || skip_all "runc missing (scripts/deps.sh)"
[ -x /bin/busybox ] || skip_all "busybox-static missing"

ip netns add "$NS_NODE"
ip netns add "$NS_CLI"
in_ns "$NS_NODE" ip link set lo up
in_ns "$NS_CLI" ip link set lo up
in_ns "$NS_NODE" sysctl -qw net.ipv4.ip_forward=1
# A client namespace on the node network; its only routes are the node's.
veth_pair eth0 "$NS_CLI" eth0 "$NS_NODE"
in_ns "$NS_NODE" ip addr add "$NODE_IP/24" dev eth0
in_ns "$NS_NODE" ip link set eth0 up
in_ns "$NS_CLI" ip addr add "$EXT_IP/24" dev eth0
in_ns "$NS_CLI" ip link set eth0 up
in_ns "$NS_CLI" ip route add 10.244.0.0/16 via "$NODE_IP"

BUILD=$BUILD KBPFCTL=$KBPFCTL "$ROOT/scripts/busybox-image.sh" -o "$WORK/busybox-oci" \
	--image-root "$IMAGES" >/dev/null 2>"$WORK/image.log" ||
	{ sed 's/^/# /' "$WORK/image.log"; not_ok "busybox image imported"; finish; exit 1; }

control_plane_in_node

start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
start_controller_manager --controllers nodeipam,endpointslice --cluster-cidr 10.244.0.0/16 ||
	{ not_ok "controller-manager starts"; finish; exit 1; }
start_scheduler sched

in_node "$AGENT" --kubeconfig "$KUBECONFIG" --hostname-override "$NODE" --node-ip "$NODE_IP" \
	--devices eth0 --bpffs-root "$BPFFS" --metrics-bind-address 0 --run-pods --image-root "$IMAGES" \
	--pod-state-dir "$STATE" --pod-log-dir "$LOGS" --cgroup-parent "$CGP" -v \
	>>"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS="$PIDS $AGENT_PID"

node_cidr() { kubectl get node "$NODE" -o jsonpath='{.spec.podCIDR}' 2>/dev/null; }
has_cidr() { [ -n "$(node_cidr)" ]; }
check "the agent registers its Node and node IPAM gives it a podCIDR" until_true 15 has_cidr
CIDR=$(node_cidr)

# phase POD: the pod's phase.
phase() { kubectl get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
phase_is() { [ "$(phase "$1")" = "$2" ]; }

kubectl run web --image=busybox --restart=Always -- \
	sh -c 'mkdir -p /www && echo hello-from-pod >/www/index.html && exec httpd -f -p 8080 -h /www' \
	>/dev/null
check "kubectl run busybox: the pod is Running" until_true 20 phase_is web Running
IP=$(kubectl get pod web -o jsonpath='{.status.podIP}')
in_cidr() {
	python3 -c "import ipaddress,sys; sys.exit(ipaddress.ip_address('$1') not in ipaddress.ip_network('$2'))"
}
check "its podIP $IP is in the node's podCIDR $CIDR" in_cidr "${IP:-none}" "${CIDR:-0.0.0.0/32}"
# jsonpath_is POD PATH VALUE: the pod's field at the jsonpath is VALUE.
jsonpath_is() { [ "$(kubectl get pod "$1" -o jsonpath="$2" 2>/dev/null)" = "$3" ]; }
check "it is Ready, hostIP is the node's" \
	jsonpath_is web '{.status.conditions[?(@.type=="Ready")].status} {.status.hostIP}' \
	"True $NODE_IP"
answer() { in_ns "$NS_CLI" "$CURL" -s -m 2 "http://$IP:8080/" | grep -qx hello-from-pod; }
check "its httpd answers from a client namespace" until_true 5 answer

kubectl run nosuch --image=nosuch:1.0 --restart=Never >/dev/null
waiting_reason() {
	kubectl get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' \
		2>/dev/null
}
reason_in() { case " $2 " in *" $(waiting_reason "$1") "*) return 0 ;; esac; return 1; }
check "a missing image: ErrImagePull or ImagePullBackOff" \
	until_true 10 reason_in nosuch "ErrImagePull ImagePullBackOff"
describe_says() { kubectl describe pod "$1" | grep -q "$2"; }
check "... kubectl describe names the import command" \
	describe_says nosuch 'kbpfctl image import'
check "... and the pod is Pending" phase_is nosuch Pending

kubectl run crash --image=busybox --restart=Always -- sh -c 'exit 1' >/dev/null
restarts() { kubectl get pod crash -o jsonpath='{.status.containerStatuses[0].restartCount}'; }
restarted() { [ "$(restarts 2>/dev/null)" -ge 1 ] 2>/dev/null; }
check "a container exiting 1 with restartPolicy Always is restarted" until_true 20 restarted
check "... and waits in CrashLoopBackOff" until_true 15 reason_in crash CrashLoopBackOff
check "... lastState shows exit code 1" \
	jsonpath_is crash '{.status.containerStatuses[0].lastState.terminated.exitCode}' 1

UID_WEB=$(kubectl get pod web -o jsonpath='{.metadata.uid}')
HOSTIF=$(in_node "$PODRUN" --state-dir "$STATE" list 2>/dev/null |
	json_get "[x for x in d if x['uid'] == '$UID_WEB'][0]['hostIf']")
# httpd is the container's pid 1 and ignores SIGTERM: SIGKILL after the grace period.
check "kubectl delete pod web --grace-period 2 returns once the agent confirmed it" \
	timeout 20 nsenter --net=/run/netns/"$NS_NODE" "$KUBECTL" delete pod web --grace-period 2 \
	--wait=true
gone_api() { ! kubectl get pod web >/dev/null 2>&1; }
check "... the pod is gone from the API" gone_api
gone_node() {
	local u=$UID_WEB bad=""
	ip netns list | grep -q "^kbpf-pod-$u" && bad="$bad netns"
	[ -n "$(cg_dirs "$CGP/pod$u")" ] && bad="$bad cgroup"
	grep -q "$STATE/pods/$u/" /proc/mounts && bad="$bad mount"
	runc --root "$STATE/runc" list -q | grep -q "^${u}_" && bad="$bad runc"
	[ -e "$STATE/pods/$u" ] && bad="$bad state"
	[ -n "$HOSTIF" ] && ip -n "$NS_NODE" link show dev "$HOSTIF" >/dev/null 2>&1 && bad="$bad veth"
	[ -z "$bad" ] || { echo "# left:$bad"; return 1; }
}
check "... and no netns, veth, cgroup, mount or runc state is left on the node" gone_node
check "... its httpd no longer answers" eval '! answer'

finish
