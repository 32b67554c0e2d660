#!/bin/bash
# test_two_nodes.sh — real traffic across two nodes: an outside client, node 1 with
# kbpf-agent (XDP on eth0, TC on its pod veths) and node 2 that only routes its pods
# (no agent). Remote backends are reached from node 1's XDP with SNAT to node 1's
# address, and their replies come back through node 1, where XDP reverse-NATs them.
# TAP output.
#
#   pods 1, 2 on node 1 (10.244.0.11, .12); pods 3, 4 on node 2 (10.244.1.13, .14)
#
# Node 2 needs no agent: every translated packet crosses node 1 in both directions
# (outside flows to remote pods are SNATed to node 1; replies to pods of node 1 are
# routed back to node 1 and reverse-NATed by its XDP).
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
require_root_tools

NPODS2=2
setup_topology 2 2
OBJS=$WORK/objects.json
NODE2_PODS="$T-pod3 $T-pod4"

# Each phase serves its NodePort on a port of its own: a UDP client socket may get a
# source port an earlier phase used, and a 5-tuple with a live conntrack entry is an
# established flow that keeps its backend (as under kube-proxy), not a new one.
NP=30080
# Only remote endpoints first.
NODE_PORT=$NP write_objects "$OBJS" 3:ready:2 4:ready:2
start_agent "$OBJS" || { not_ok "agent starts"; finish; exit 1; }
ok "agent starts on node 1 (node 2 runs none)"

# load NS ADDR PORT MODE N [loadgen flags]: N sequential new flows; JSON on stdout.
load() {
	local ns=$1 addr=$2 port=$3 mode=$4 n=$5
	shift 5
	in_ns "$ns" "$LOADGEN" -t "$addr:$port" -m "$mode" -n "$n" -r 2000 -T 500 "$@" 2>/dev/null
}

# reach NS ADDR PORT MODE POD...: 60 new flows, none fail, and the answers come from
# exactly the given pods.
reach() {
	local ns=$1 addr=$2 port=$3 mode=$4 r
	shift 4
	r=$(load "$ns" "$addr" "$port" "$mode" 60)
	echo "$r"
	echo "$r" | json_get "d['failed'] == 0 and sorted(d['names']) == sorted('$*'.split()) or sys.exit(1)"
}

# sources NS ADDR PORT MODE RULE: 20 "whoami" flows, none fail; RULE is a Python
# expression on s, a dict backend name -> set of source addresses it saw.
sources() {
	local ns=$1 addr=$2 port=$3 mode=$4 rule=$5 r
	r=$(load "$ns" "$addr" "$port" "$mode" 20 -q whoami)
	echo "$r"
	echo "$r" | json_get "
s = {}
for k in d['names']:
    name, peer = k.split()
    s.setdefault(name, set()).add(peer.rsplit(':', 1)[0])
print('sources:', s)
assert d['failed'] == 0 and d['ok'] == 20, d
assert $rule, s
"
}

# dropped NS ADDR PORT MODE: every flow times out (no answer, no refusal).
dropped() {
	local r
	r=$(in_ns "$1" "$LOADGEN" -t "$2:$3" -m "$4" -n 3 -T 400 2>/dev/null)
	echo "$r"
	echo "$r" | json_get 'd["ok"] == 0 and d["errors"].get("Connection timed out") == 3 or sys.exit(1)'
}

at_least() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }

metric() { # metric EXPR: a counter of kbpfctl metrics (summed over CPUs)
	"$KBPFCTL" --bpffs-root "$BPFFS" metrics -o json | json_get "$1"
}

# --- 1. NodePort with endpoints only on node 2: SNAT to node 1, reverse NAT in XDP ---
rev0=$(metric 'd["reverse_nat"]' 2>/dev/null)
check "NodePort TCP from outside to node 1 reaches the endpoints on node 2" \
	reach "$NS_EXT" "$NODE_IP" $NP conn pod3 pod4
rev1=$(metric 'd["reverse_nat"]' 2>/dev/null)
# No pod of node 1 is involved: only XDP on eth0 can have translated these replies.
check "the replies were reverse-NATed by XDP on node 1 (reverse_nat $rev0 -> $rev1)" \
	at_least "$rev1" $((${rev0:-0} + 120))
check "NodePort UDP from outside to node 1 reaches the endpoints on node 2" \
	reach "$NS_EXT" "$NODE_IP" $NP udp pod3 pod4
check "remote backends see node 1's address as the source (TCP)" \
	sources "$NS_EXT" "$NODE_IP" $NP conn "set(s) <= {'pod3', 'pod4'} and all(v == {'$NODE_IP'} for v in s.values())"
check "remote backends see node 1's address as the source (UDP)" \
	sources "$NS_EXT" "$NODE_IP" $NP udp "set(s) <= {'pod3', 'pod4'} and all(v == {'$NODE_IP'} for v in s.values())"
check "conntrack holds SNATed flows to node 2's pods" bash -c \
	"$KBPFCTL --bpffs-root $BPFFS ct list | grep -q '10.244.1.1[34]'"

# Full checksums on the wire (tx offload off on the client and on node 2's pods): the
# XDP rewrites in both directions must keep TCP/UDP checksums right.
for ns in "$NS_EXT" $NODE2_PODS; do in_ns "$ns" ethtool -K eth0 tx off >/dev/null 2>&1; done
check "NodePort TCP to remote endpoints with full checksums" \
	reach "$NS_EXT" "$NODE_IP" $NP conn pod3 pod4
check "NodePort UDP to remote endpoints with full checksums" \
	reach "$NS_EXT" "$NODE_IP" $NP udp pod3 pod4
for ns in "$NS_EXT" $NODE2_PODS; do in_ns "$ns" ethtool -K eth0 tx on >/dev/null 2>&1; done

# --- 4. ClusterIP from a pod on node 1 to endpoints on node 2 ---
check "ClusterIP TCP from a pod on node 1 reaches the endpoints on node 2" \
	reach "$T-pod1" 10.96.0.100 80 conn pod3 pod4
check "ClusterIP UDP from a pod on node 1 reaches the endpoints on node 2" \
	reach "$T-pod1" 10.96.0.100 80 udp pod3 pod4
check "remote backends see the client pod's own address for ClusterIP traffic" \
	sources "$T-pod1" 10.96.0.100 80 conn "all(v == {'10.244.0.11'} for v in s.values())"

# --- 2. Local and remote endpoints together ---
NP=30081
NODE_PORT=$NP write_objects "$OBJS" 1:ready 2:ready 3:ready:2 4:ready:2
reload_agent
check "NodePort TCP from outside reaches local and remote endpoints" \
	reach "$NS_EXT" "$NODE_IP" $NP conn pod1 pod2 pod3 pod4
check "NodePort UDP from outside reaches local and remote endpoints" \
	reach "$NS_EXT" "$NODE_IP" $NP udp pod1 pod2 pod3 pod4
check "local endpoints see the client, remote ones node 1's address" \
	sources "$NS_EXT" "$NODE_IP" $NP conn "all(v == ({'$EXT_IP'} if n in ('pod1', 'pod2') else {'$NODE_IP'}) for n, v in s.items())"
check "ClusterIP TCP from a pod on node 1 reaches local and remote endpoints" \
	reach "$T-pod2" 10.96.0.100 80 conn pod1 pod2 pod3 pod4

# --- 3. externalTrafficPolicy Local ---
NP=30082
NODE_PORT=$NP SVC_EXTRA='{"externalTrafficPolicy":"Local"}' write_objects "$OBJS" 1:ready 3:ready:2
reload_agent
check "ETP Local: NodePort TCP from outside reaches only the local endpoint" \
	reach "$NS_EXT" "$NODE_IP" $NP conn pod1
check "ETP Local: NodePort UDP from outside reaches only the local endpoint" \
	reach "$NS_EXT" "$NODE_IP" $NP udp pod1
check "ETP Local: the local endpoint sees the real client address" \
	sources "$NS_EXT" "$NODE_IP" $NP conn "s == {'pod1': {'$EXT_IP'}}"
check "ETP Local: ClusterIP from a pod still reaches both endpoints" \
	reach "$T-pod2" 10.96.0.100 80 conn pod1 pod3

NP=30083
NODE_PORT=$NP SVC_EXTRA='{"externalTrafficPolicy":"Local"}' write_objects "$OBJS" 3:ready:2 4:ready:2
reload_agent
drops0=$(metric 'd["drop_no_local_endpoint"]' 2>/dev/null)
check "ETP Local, only remote endpoints: NodePort TCP from outside is dropped (timeout)" \
	dropped "$NS_EXT" "$NODE_IP" $NP conn
check "ETP Local, only remote endpoints: NodePort UDP from outside is dropped (timeout)" \
	dropped "$NS_EXT" "$NODE_IP" $NP udp
drops1=$(metric 'd["drop_no_local_endpoint"]' 2>/dev/null)
check "ETP Local drops are counted as drop_no_local_endpoint ($drops0 -> $drops1)" \
	at_least "$drops1" $((${drops0:-0} + 6))
check "ETP Local, only remote endpoints: ClusterIP from a pod on node 1 reaches them" \
	reach "$T-pod1" 10.96.0.100 80 conn pod3 pod4
check "ETP Local, only remote endpoints: ClusterIP UDP from a pod on node 1 reaches them" \
	reach "$T-pod1" 10.96.0.100 80 udp pod3 pod4

# --- 5. sessionAffinity ClientIP ---
NP=30084
NODE_PORT=$NP write_objects "$OBJS" 1:ready 2:ready 3:ready:2
reload_agent
# pods NS ADDR PORT COND: 30 new TCP connections, none fail; COND on n, the number of
# pods that answered.
pods() {
	local r
	r=$(load "$1" "$2" "$3" conn 30)
	echo "$r"
	echo "$r" | json_get "n = len(d['names']); d['failed'] == 0 and $4 or sys.exit(1)"
}
check "without affinity 30 new NodePort connections from one client spread over several pods" \
	pods "$NS_EXT" "$NODE_IP" $NP 'n > 1'
check "without affinity 30 new ClusterIP connections from a pod spread over several pods" \
	pods "$T-pod2" 10.96.0.100 80 'n > 1'
NODE_PORT=$NP SVC_EXTRA='{"sessionAffinity":"ClientIP"}' write_objects "$OBJS" 1:ready 2:ready 3:ready:2
reload_agent
check "ClientIP affinity: 30 new NodePort connections from one client reach one pod" \
	pods "$NS_EXT" "$NODE_IP" $NP 'n == 1'
check "ClientIP affinity: 30 new ClusterIP connections from a pod reach one pod" \
	pods "$T-pod2" 10.96.0.100 80 'n == 1'

finish
