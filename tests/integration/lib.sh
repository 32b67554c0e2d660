# lib.sh — shared helpers of the namespace traffic tests (sourced; xdp-tools test_runner
# habits: fixed test subnets, a prerequisite check with a distinct skip, TAP output,
# cleanup on every exit).
#
# Topology (no namespace has a route off the machine; nothing touches the host namespace):
#
#   $NS_EXT  eth0 10.99.0.2/24  ── veth ──  eth0 10.99.0.1/24  $NS_NODE (XDP + TC dev)
#                                           kbv1 kbv2 kbv3 ...  (TC pod)
#                                             │    │    │
#   $NS_POD1..N  eth0 10.244.0.1N/32, default via 169.254.1.1 (proxy ARP on the node side)
#
# With NODES=2 a second node ($NS_NODE2, 10.99.0.3) holds pods 10.244.1.x, and the ext
# namespace reaches the node network through a bridge namespace ($NS_BR).

set -u
[ -n "${BASH_VERSION:-}" ] || { echo 'lib.sh needs bash'; exit 1; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KBPF_BUILD:-$ROOT/build}
. "$ROOT/scripts/podnet.sh"
AGENT=$BUILD/bin/kbpf-agent
KBPFCTL=$BUILD/bin/kbpfctl
TESTSRV=$BUILD/tests/kbpf-testsrv
LOADGEN=$BUILD/tests/kbpf-loadgen

# Unique per run, so that parallel or leftover runs never collide.
T=kbpft$$
NS_EXT=$T-ext
NS_NODE=$T-node
NS_NODE2=$T-node2
NS_BR=$T-br
NODE=$T-n1
NODE2=$T-n2
BPFFS=/sys/fs/bpf/kbpf/$NODE
BPFFS2=/sys/fs/bpf/kbpf/$NODE2
WORK=$(mktemp -d /tmp/$T.XXXX)
NODE_IP=10.99.0.1
NODE2_IP=10.99.0.3
EXT_IP=10.99.0.2
PIDS=""

TESTNUM=0
FAILED=0

ok() {
	TESTNUM=$((TESTNUM + 1))
	echo "ok $TESTNUM - $*"
}

not_ok() {
	TESTNUM=$((TESTNUM + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $TESTNUM - $*"
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# check DESCRIPTION COMMAND...: one TAP line; the command's output only on failure.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		echo "$out" | sed 's/^/# /'
	fi
}

# until_true SECONDS CMD...: CMD succeeds within SECONDS (polled every 0.1 s).
until_true() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq 1 "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# nsenter keeps the mount namespace: /sys/fs/bpf stays visible (ip netns exec remounts /sys).
in_ns_keep_mounts() {
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" "$@"
}

# bg_ns NS CMD...: CMD in the background in NS; BG_PID is its pid (ip netns exec execs
# CMD, so signals reach it; a backgrounded shell function would be a subshell instead).
bg_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	BG_PID=$!
	PIDS="$PIDS $BG_PID"
}

cleanup() {
	# Braced so that bash's "Killed" job notices go to /dev/null too.
	{
		for p in $PIDS; do kill -9 "$p"; done
		wait
	} 2>/dev/null
	for n in $(ip netns list | awk '{print $1}' | grep "^$T-"); do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	for d in "$BPFFS" "$BPFFS2"; do
		[ -d "$d" ] && "$AGENT" --cleanup --bpffs-root "$d" >/dev/null 2>&1
		rm -rf "$d"
	done
	rmdir /sys/fs/bpf/kbpf 2>/dev/null
	rm -rf "$WORK"
}

require_root_tools() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
	for b in "$AGENT" "$KBPFCTL" "$TESTSRV" "$LOADGEN"; do
		[ -x "$b" ] || skip_all "$b is not built (run make)"
	done
	command -v nsenter >/dev/null || skip_all "nsenter missing"
	grep -q ' /sys/fs/bpf bpf' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
}

veth_pair() { # veth_pair NAME_A NS_A NAME_B NS_B
	ip link add "$1" netns "$2" type veth peer name "$3" netns "$4"
}

# add_pod INDEX NODE_NS POD_IP: a pod namespace wired to its node (scripts/podnet.sh),
# running a test backend named podINDEX on port 8080.
add_pod() {
	local i=$1 ns=$T-pod$1
	podnet_attach "$ns" "$2" "kbv$i" "$3"
	bg_ns "$ns" "$TESTSRV" -n "pod$i" -p 8080
}

# setup_topology NPODS [NODES]: pods 1..NPODS on node 1; with NODES=2 pods
# NPODS+1..NPODS+NPODS2 (NPODS2, default 2) live on node 2.
setup_topology() {
	local npods=$1 nodes=${2:-1} i p
	ip netns add "$NS_EXT"
	ip netns add "$NS_NODE"
	in_ns "$NS_EXT" ip link set lo up
	in_ns "$NS_NODE" ip link set lo up
	in_ns "$NS_NODE" sysctl -qw net.ipv4.ip_forward=1
	if [ "$nodes" = 1 ]; then
		veth_pair eth0 "$NS_EXT" eth0 "$NS_NODE"
	else
		ip netns add "$NS_BR"
		ip netns add "$NS_NODE2"
		in_ns "$NS_NODE2" ip link set lo up
		in_ns "$NS_NODE2" sysctl -qw net.ipv4.ip_forward=1
		in_ns "$NS_BR" ip link add br0 type bridge
		in_ns "$NS_BR" ip link set br0 up
		veth_pair eth0 "$NS_EXT" p-ext "$NS_BR"
		veth_pair eth0 "$NS_NODE" p-n1 "$NS_BR"
		veth_pair eth0 "$NS_NODE2" p-n2 "$NS_BR"
		for p in p-ext p-n1 p-n2; do
			in_ns "$NS_BR" ip link set "$p" master br0
			in_ns "$NS_BR" ip link set "$p" up
		done
		in_ns "$NS_NODE2" ip addr add "$NODE2_IP/24" dev eth0
		in_ns "$NS_NODE2" ip link set eth0 up
		# Pod CIDRs are routed to their node over the node network.
		in_ns "$NS_NODE2" ip route add 10.244.0.0/24 via "$NODE_IP"
	fi
	in_ns "$NS_EXT" ip addr add "$EXT_IP/24" dev eth0
	in_ns "$NS_EXT" ip link set eth0 up
	in_ns "$NS_NODE" ip addr add "$NODE_IP/24" dev eth0
	in_ns "$NS_NODE" ip link set eth0 up
	# (Only now is the gateway on a connected network of node 1.)
	if [ "$nodes" = 2 ]; then
		in_ns "$NS_NODE" ip route add 10.244.1.0/24 via "$NODE2_IP"
	fi
	for i in $(seq 1 "$npods"); do
		add_pod "$i" "$NS_NODE" "10.244.0.1$i"
	done
	if [ "$nodes" = 2 ]; then
		for i in $(seq $((npods + 1)) $((npods + ${NPODS2:-2}))); do
			add_pod "$i" "$NS_NODE2" "10.244.1.1$i"
		done
	fi
}

# start_agent OBJECTS_FILE [extra flags]: the agent for node 1, in its namespace.
start_agent() {
	local file=$1 started
	shift
	started=$(grep -c "running;" "$WORK/agent.log" 2>/dev/null)
	nsenter --net=/run/netns/"$NS_NODE" "$AGENT" --from-file "$file" \
		--hostname-override "$NODE" --node-ip "$NODE_IP" --devices eth0 \
		--bpffs-root "$BPFFS" "$@" >>"$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	PIDS="$PIDS $AGENT_PID"
	# Ready when this agent says it is running: synced, attached, migrated.
	for _ in $(seq 1 100); do
		if [ "$(grep -c "running;" "$WORK/agent.log")" -gt "${started:-0}" ]; then
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# agent did not come up:"
	sed 's/^/#   /' "$WORK/agent.log"
	return 1
}

# wait_log PATTERN N: until the agent log holds PATTERN at least N times.
wait_log() {
	for _ in $(seq 1 100); do
		[ "$(grep -c "$1" "$WORK/agent.log")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

reload_agent() {
	local n
	n=$(grep -c "synced" "$WORK/agent.log")
	kill -HUP "$AGENT_PID"
	wait_log synced $((n + 1))
}

# ask NS ADDR PORT [udp]: one request, prints the answering backend's name.
ask() {
	local out
	if [ "${4:-tcp}" = udp ]; then
		in_ns "$1" "$LOADGEN" -t "$2:$3" -m udp -n 1 -T 1000 | json_get names_first
	else
		in_ns "$1" "$LOADGEN" -t "$2:$3" -m conn -n 1 -T 1000 | json_get names_first
	fi
}

# json_get EXPR: evaluate a Python expression (printed) or statements (asserting) on JSON
# from stdin; d is the document.
json_get() {
	/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
expr = sys.argv[1]
if expr == "names_first":
    print(next(iter(d["names"]), ""))
else:
    try:
        code = compile(expr, "json_get", "eval")
    except SyntaxError:
        exec(expr)  # statements: assertions decide
    else:
        print(eval(code))
' "$1"
}

# A v1 List with one Service (ClusterIP 10.96.0.100:80, NodePort 30080 on TCP and UDP)
# and one EndpointSlice naming the given pods (index:ready[:node] ...).
# Environment: SVC_TYPE, SVC_EXTRA (JSON merged into spec), NODE_OF_POD, NODE_PORT (30080).
write_objects() {
	local out=$1
	shift
	/usr/bin/python3 - "$out" "$NODE" "$NODE2" "${SVC_TYPE:-NodePort}" "${SVC_EXTRA:-{\}}" "${NODE_PORT:-30080}" "$@" <<'EOF'
import json, sys
out, node1, node2, svc_type, extra, node_port = sys.argv[1:7]
pods = sys.argv[7:]
spec = {
    "type": svc_type,
    "clusterIP": "10.96.0.100",
    "selector": {"app": "web"},
    "ports": [
        {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
        {"name": "dns", "protocol": "UDP", "port": 80, "targetPort": 8080},
    ],
}
if svc_type in ("NodePort", "LoadBalancer"):
    spec["ports"][0]["nodePort"] = int(node_port)
    spec["ports"][1]["nodePort"] = int(node_port)
spec.update(json.loads(extra))
svc = {"apiVersion": "v1", "kind": "Service",
       "metadata": {"name": "web", "namespace": "default"}, "spec": spec}
if "status" in spec:
    svc["status"] = spec.pop("status")
endpoints = []
for p in pods:
    parts = p.split(":")
    idx, state = int(parts[0]), parts[1]
    node = node2 if len(parts) > 2 and parts[2] == "2" else node1
    ip = ("10.244.1.1%d" if node == node2 else "10.244.0.1%d") % idx
    endpoints.append({
        "addresses": [ip],
        "conditions": {"ready": state == "ready", "serving": state in ("ready", "terminating"),
                       "terminating": state == "terminating"},
        "nodeName": node,
        "targetRef": {"kind": "Pod", "name": "pod%d" % idx, "namespace": "default"},
    })
slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
          "metadata": {"name": "web-abc", "namespace": "default",
                       "labels": {"kubernetes.io/service-name": "web"}},
          "addressType": "IPv4",
          "ports": [{"name": "http", "protocol": "TCP", "port": 8080},
                    {"name": "dns", "protocol": "UDP", "port": 8080}],
          "endpoints": endpoints}
json.dump({"apiVersion": "v1", "kind": "List", "items": [svc, slice_]}, open(out + ".tmp", "w"), indent=1)
import os
os.rename(out + ".tmp", out)
EOF
}

finish() {
	echo "1..$TESTNUM"
	[ "$FAILED" -eq 0 ]
}
