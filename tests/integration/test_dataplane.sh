#!/bin/bash
# test_dataplane.sh — real traffic through namespaces: an outside client, one node with
# kbpf-agent (XDP on eth0, TC on the pod veths) and three backend pods that answer with
# their name. TAP output.
. "$(dirname "$0")/lib.sh"
trap "cp \$WORK/agent.log /tmp/agent-last.log 2>/dev/null; cleanup" EXIT
require_root_tools

setup_topology 3
OBJS=$WORK/objects.json
write_objects "$OBJS" 1:ready 2:ready 3:ready
start_agent "$OBJS" || { not_ok "agent starts"; finish; exit 1; }
ok "agent starts, attaches XDP to eth0 and TC to the pod veths"

# reach_all NS ADDR PORT MODE: 60 new flows reach all three pods, none fail.
reach_all() {
	local r
	r=$(in_ns "$1" "$LOADGEN" -t "$2:$3" -m "$4" -n 60 -r 2000 -T 1000 2>/dev/null)
	echo "$r"
	echo "$r" | json_get 'd["failed"] == 0 and sorted(d["names"]) == ["pod1", "pod2", "pod3"] or sys.exit(1)'
}

check "NodePort TCP from outside reaches every backend" reach_all "$NS_EXT" "$NODE_IP" 30080 conn
check "NodePort UDP from outside reaches every backend" reach_all "$NS_EXT" "$NODE_IP" 30080 udp
check "ClusterIP TCP from a pod reaches every backend (itself through hairpin)" \
	reach_all "$T-pod1" 10.96.0.100 80 conn
check "ClusterIP UDP from a pod reaches every backend" reach_all "$T-pod2" 10.96.0.100 80 udp
check "NodePort from a pod reaches every backend" reach_all "$T-pod3" "$NODE_IP" 30080 conn

# Checksums: with tx offload off the client sends full checksums (like a real NIC's
# wire), with it on the veth carries CHECKSUM_PARTIAL packets. Both must work.
in_ns "$NS_EXT" ethtool -K eth0 tx off >/dev/null 2>&1
check "NodePort TCP with full checksums from the client" reach_all "$NS_EXT" "$NODE_IP" 30080 conn
check "NodePort UDP with full checksums from the client" reach_all "$NS_EXT" "$NODE_IP" 30080 udp
in_ns "$NS_EXT" ethtool -K eth0 tx on >/dev/null 2>&1

# Replies come from the Service address: a connected UDP socket takes datagrams only from
# the address it connected to, and the client source is kept for local endpoints.
src=$(in_ns "$NS_EXT" "$LOADGEN" -t "$NODE_IP:30080" -m udp -n 1 -q whoami 2>/dev/null |
	json_get 'list(d["names"])[0].split()[1].split(":")[0]')
check "replies come from the NodePort address and the client source is kept (saw $src)" \
	[ "$src" = "$EXT_IP" ]

# Inspection: kbpfctl and bpftool on the pinned maps.
check "kbpfctl lb list shows the frontends with their backends" bash -c "
	$KBPFCTL --bpffs-root $BPFFS lb list -o json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
fe = {(x[\"frontend\"][\"address\"], x[\"frontend\"][\"port\"], x[\"frontend\"][\"protocol\"]): x for x in d}
np = fe[(\"$NODE_IP\", 30080, \"TCP\")]
assert np[\"type\"] == \"NodePort\" and np[\"service\"] == \"default/web:http\", np
assert sorted(b[\"address\"] for b in np[\"externalBackends\"]) == [\"10.244.0.11\", \"10.244.0.12\", \"10.244.0.13\"]
assert fe[(\"10.96.0.100\", 80, \"UDP\")][\"type\"] == \"ClusterIP\"
assert np[\"packets\"] > 0
'"
check "bpftool map dump prints named fields" bash -c \
	"bpftool map dump pinned $BPFFS/lb4_services | grep -q '\"ext_count\": 3'"
check "kbpfctl ct list shows tracked flows" bash -c \
	"$KBPFCTL --bpffs-root $BPFFS ct list | grep -q 'forward TCP'"

# No endpoints: connections are refused at once (TCP RST / ICMP port unreachable).
write_objects "$OBJS"
reload_agent
refused() {
	local r
	r=$(in_ns "$1" "$LOADGEN" -t "$2:$3" -m "$4" -n 5 -T 1000 2>/dev/null)
	echo "$r"
	echo "$r" | json_get 'd["errors"].get("Connection refused") == 5 and d["p50_us"] == 0 or sys.exit(1)'
}
check "no endpoints: NodePort TCP is refused" refused "$NS_EXT" "$NODE_IP" 30080 conn
check "no endpoints: NodePort UDP is refused (ICMP)" refused "$NS_EXT" "$NODE_IP" 30080 udp
check "no endpoints: ClusterIP TCP from a pod is refused" refused "$T-pod1" 10.96.0.100 80 conn
check "no endpoints: ClusterIP UDP from a pod is refused" refused "$T-pod1" 10.96.0.100 80 udp

# Removing a backend: new flows leave it within a second; kept flows to the others go on.
write_objects "$OBJS" 1:ready 2:ready 3:ready
reload_agent
bg_ns "$NS_EXT" "$LOADGEN" -t "$NODE_IP:30080" -m keep -c 24 -r 20 -T 2000 \
	>"$WORK/keep.json" 2>/dev/null
KEEP_PID=$BG_PID
sleep 0.5
write_objects "$OBJS" 1:ready 2:ready
t0=$(date +%s.%N)
reload_agent
moved=""
for _ in $(seq 1 20); do
	r=$(in_ns "$NS_EXT" "$LOADGEN" -t "$NODE_IP:30080" -m conn -n 30 -r 5000 2>/dev/null)
	if echo "$r" | json_get '"pod3" not in d["names"] and d["failed"] == 0 or sys.exit(1)' >/dev/null; then
		moved=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
		break
	fi
	sleep 0.05
done
check "a removed backend gets no new flows within a second (took ${moved:-never}s)" \
	awk -v m="${moved:-9}" 'BEGIN { exit !(m < 1) }'
sleep 1.5 # the kept connections keep asking, past the retire grace period
kill -INT "$KEEP_PID"
wait "$KEEP_PID" 2>/dev/null
check "kept connections to the remaining backends never fail" json_get "
conns = d['connections']
kept = [c for c in conns if c['backend'] in ('pod1', 'pod2')]
assert len(kept) >= 8 and all(c['ok'] for c in kept), conns
assert any(c['backend'] == 'pod3' for c in conns), conns
" <"$WORK/keep.json"

# The agent dies (SIGKILL) and comes back under steady load: not one request lost.
write_objects "$OBJS" 1:ready 2:ready 3:ready
reload_agent
ids_before=$(bpftool -j map show pinned "$BPFFS/lb4_services" | json_get 'd["id"]')
bg_ns "$NS_EXT" "$LOADGEN" -t "$NODE_IP:30080" -m conn -r 300 -T 2000 >"$WORK/load_ext.json" 2>/dev/null
L1=$BG_PID
bg_ns "$T-pod1" "$LOADGEN" -t 10.96.0.100:80 -m udp -r 300 -T 2000 >"$WORK/load_pod.json" 2>/dev/null
L2=$BG_PID
sleep 1
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
sleep 1
start_agent "$OBJS"
sleep 1
kill -INT "$L1" "$L2"
wait "$L1" "$L2" 2>/dev/null
check "SIGKILL and restart of the agent under NodePort TCP load loses no request" \
	json_get 'd["failed"] == 0 and d["ok"] > 500 or sys.exit(1)' <"$WORK/load_ext.json"
check "SIGKILL and restart of the agent under ClusterIP UDP load loses no request" \
	json_get 'd["failed"] == 0 and d["ok"] > 500 or sys.exit(1)' <"$WORK/load_pod.json"
ids_after=$(bpftool -j map show pinned "$BPFFS/lb4_services" | json_get 'd["id"]')
check "the restarted agent reuses the pinned maps (map id $ids_before)" [ "$ids_before" = "$ids_after" ]
check "the restarted agent changed no frontend" grep -q "frontends +0 ~0 -0" <(tail -n 20 "$WORK/agent.log")

# A new conntrack size: the pinned map is recreated and its flows carried over.
flows=$($KBPFCTL --bpffs-root "$BPFFS" ct list -o json | json_get 'len(d)')
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
start_agent "$OBJS" --ct-max 65536 || sed 's/^/# /' "$WORK/agent.log" | tail -20
check "a changed --ct-max migrates the pinned conntrack map" \
	grep -q "ct4: [0-9]* entries carried over" "$WORK/agent.log"
flows_after=$($KBPFCTL --bpffs-root "$BPFFS" ct list -o json | json_get 'len(d)')
check "the migrated conntrack map holds its flows ($flows before, $flows_after after)" \
	[ "$flows_after" -ge "$flows" ]
check "the migrated conntrack map has the new size" bash -c \
	"bpftool -j map show pinned $BPFFS/ct4 | grep -q '\"max_entries\":65536'"
check "traffic flows after the migration" reach_all "$NS_EXT" "$NODE_IP" 30080 conn

# Bad input loses nothing: a broken file is reported and the data plane stays.
echo '{"kind": "List", "items": [' >"$OBJS"
n=$(grep -c "keeps its current state" "$WORK/agent.log")
kill -HUP "$AGENT_PID"
wait_log "keeps its current state" $((n + 1))
check "malformed JSON is reported with its position" grep -q "objects.json:2:0" "$WORK/agent.log"
check "malformed JSON keeps the data plane serving" reach_all "$NS_EXT" "$NODE_IP" 30080 conn

# Deleting the Service removes its map entries.
echo '{"kind": "List", "items": []}' >"$OBJS"
reload_agent
check "a deleted Service leaves no frontend in the maps" bash -c \
	"[ \"\$($KBPFCTL --bpffs-root $BPFFS lb list -o json)\" = '[]' ] && [ -z \"\$(bpftool map dump pinned $BPFFS/lb4_services | grep key)\" ]"
check "traffic to a deleted NodePort is refused by the node" refused "$NS_EXT" "$NODE_IP" 30080 conn

# --cleanup removes what the agent attached and pinned.
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
in_ns_keep_mounts "$NS_NODE" "$AGENT" --cleanup --bpffs-root "$BPFFS" >/dev/null 2>&1
check "--cleanup detaches XDP and TC and removes the pins" bash -c "
	! ip netns exec $NS_NODE ip link show eth0 | grep -q xdp &&
	! ip netns exec $NS_NODE tc filter show dev kbv1 ingress | grep -q kbpf &&
	[ ! -e $BPFFS ]"

finish
