#!/bin/bash
# test_agent_api.sh — kbpf-agent fed by a real kbpf-apiserver: Services and pods made with
# kubectl (EndpointSlices by the real controller-manager) become real traffic through the
# node's XDP/TC programs; readiness and deletion reach the maps; the agent registers its
# Node and renews its Lease; /metrics and /healthz answer; an apiserver outage leaves the
# data plane alone and the agent catches up after it. TAP output.
#
# The control plane runs in the node's network namespace (the agent reaches it on the
# node's loopback), so nothing of this test touches the host's network.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap "cp \$WORK/agent.log /tmp/agent-api-last.log 2>/dev/null; [ -n \"\${KEEP_LOGS:-}\" ] && cp \$WORK/*.log \$KEEP_LOGS/; cleanup" EXIT
require_root_tools
require_apiserver
require_controller_manager

setup_topology 3

# The control plane's binaries and clients, all in the node namespace.
control_plane_in_node

start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
start_controller_manager --controllers endpointslice ||
	{ not_ok "controller-manager starts"; finish; exit 1; }

# The Service and its three pods (bound to this node, reported Ready by "their kubelet").
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080, nodePort: 30080}
EOF
for i in 1 2 3; do
	kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pod$i, namespace: default, labels: {app: web}}
spec:
  nodeName: $NODE
  containers:
  - {name: srv, image: busybox, ports: [{containerPort: 8080}]}
EOF
	pod_ready default "pod$i" "10.244.0.1$i"
done
CIP=$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')

# start_api_agent [flags]: the agent of node 1 on the apiserver; METRICS is its /metrics base.
start_api_agent() {
	local started
	started=$(grep -c "running;" "$WORK/agent.log" 2>/dev/null)
	# nsenter execs the agent: $! is the agent itself.
	nsenter --net=/run/netns/"$NS_NODE" "$AGENT" --kubeconfig "$KUBECONFIG" --hostname-override "$NODE" \
		--node-ip "$NODE_IP" --devices eth0 --bpffs-root "$BPFFS" \
		--metrics-bind-address 127.0.0.1:0 "$@" >>"$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	PIDS="$PIDS $AGENT_PID"
	for _ in $(seq 1 100); do
		if [ "$(grep -c "running;" "$WORK/agent.log")" -gt "${started:-0}" ]; then
			METRICS=$(grep -o 'metrics on http://127.0.0.1:[0-9]*' "$WORK/agent.log" | tail -1)
			METRICS=${METRICS#metrics on }
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	sed 's/^/#   /' "$WORK/agent.log"
	return 1
}
start_api_agent || { not_ok "agent starts with --kubeconfig"; finish; exit 1; }
ok "agent starts with --kubeconfig, attaches XDP to eth0 and TC to the pod veths"

# reach NS ADDR PORT NAMES: 60 new flows, none failing, answered by exactly NAMES.
reach() {
	local r
	r=$(in_ns "$1" "$LOADGEN" -t "$2:$3" -m conn -n 60 -r 2000 -T 1000 2>/dev/null)
	echo "$r"
	echo "$r" | json_get "d['failed'] == 0 and sorted(d['names']) == '$4'.split() or sys.exit(1)"
}
check "NodePort from outside reaches the three Ready pods" \
	until_true 10 reach "$NS_EXT" "$NODE_IP" 30080 "pod1 pod2 pod3"
check "ClusterIP $CIP from a pod reaches the three Ready pods" \
	reach "$T-pod1" "$CIP" 80 "pod1 pod2 pod3"

# ext_backends: the NodePort frontend's backends as kbpfctl lists them.
ext_backends() {
	in_node "$KBPFCTL" --bpffs-root "$BPFFS" lb list -o json | json_get "
' '.join(sorted(b['address'] for x in d if x['frontend']['port'] == 30080
                for b in x['externalBackends']))"
}

# A pod turning unready leaves the maps (its kubelet reports it; the EndpointSlice
# controller writes the slice; the agent syncs that one Service).
pod_ready default pod3 10.244.0.13 false
backends_are() { [ "$(ext_backends)" = "$1" ]; }
check "an unready pod leaves the NodePort's backends" \
	until_true 5 backends_are "10.244.0.11 10.244.0.12"
check "traffic no longer reaches the unready pod" reach "$NS_EXT" "$NODE_IP" 30080 "pod1 pod2"
lat=$(grep -o 'changed Service ([0-9]* us after the event)' "$WORK/agent.log" | tail -1 |
	grep -o '[0-9]* us')
check "the change was synced as one Service, ${lat:-?} after its watch event (under 10 ms)" \
	bash -c "[ -n '$lat' ] && [ ${lat% us} -lt 10000 ]"

# The Node, as kubectl shows it.
expect_out "kubectl get nodes -o wide: Ready, the node IP, kubelet version and kernel" \
	"^$NODE +Ready +<none> .* v1.32.0-kbpf +$NODE_IP +<none> .*$(uname -r)" kubectl get nodes -o wide
node_json=$(kubectl get node "$NODE" -o json)
check "the Node's capacity: this machine's cpu and memory, 110 pods, 10G bandwidth" json_get "
c = d['status']['capacity']; a = d['status']['allocatable']
assert c['cpu'] == '$(nproc)', c
assert c['memory'] == '$(awk '/MemTotal/ {print $2}' /proc/meminfo)Ki', c
assert c['pods'] == '110' and a['pods'] == '110', c
assert c['kbpf.io/bandwidth'] == '10G' and a['kbpf.io/bandwidth'] == '10G', c
assert int(a['memory'][:-2]) < int(c['memory'][:-2]), a
" <<<"$node_json"
check "the Node's conditions, addresses, nodeInfo and labels are kubelet's" json_get "
s = d['status']
cond = {c['type']: (c['status'], c['reason'], c['message']) for c in s['conditions']}
assert cond['Ready'] == ('True', 'KubeletReady', 'kubelet is posting ready status'), cond
assert cond['MemoryPressure'][:2] == ('False', 'KubeletHasSufficientMemory'), cond
assert cond['DiskPressure'][:2] == ('False', 'KubeletHasNoDiskPressure'), cond
assert cond['PIDPressure'][:2] == ('False', 'KubeletHasSufficientPID'), cond
assert {'type': 'InternalIP', 'address': '$NODE_IP'} in s['addresses'], s['addresses']
assert {'type': 'Hostname', 'address': '$NODE'} in s['addresses'], s['addresses']
i = s['nodeInfo']
assert i['kubeletVersion'] == 'v1.32.0-kbpf' and i['kernelVersion'] == '$(uname -r)', i
assert i['architecture'] == '$(dpkg --print-architecture)' and i['operatingSystem'] == 'linux', i
assert i['osImage'] == '$(. /etc/os-release; echo "$PRETTY_NAME")', i
assert d['metadata']['labels']['kubernetes.io/hostname'] == '$NODE', d['metadata']
" <<<"$node_json"
expect_out "kubectl describe node shows its conditions and capacity" \
	"KubeletReady +kubelet is posting ready status" kubectl describe node "$NODE"
lease_json=$(kubectl -n kube-node-lease get lease "$NODE" -o json)
check "the Lease in kube-node-lease: held by the node for 40 s" json_get "
s = d['spec']
assert s['holderIdentity'] == '$NODE' and s['leaseDurationSeconds'] == 40, s
assert d['metadata']['ownerReferences'][0]['kind'] == 'Node', d['metadata']
" <<<"$lease_json"
renew1=$(json_get "d['spec']['renewTime']" <<<"$lease_json")
# What the node lifecycle controller does to a silent node; the agent puts it right
# (checked further down, after its next status round).
kubectl patch node "$NODE" --subresource=status --type=strategic -p '{"status": {"conditions": [
	{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
	 "message": "Kubelet stopped posting node status."}]}}' >/dev/null

# /metrics and /healthz.
metrics=$(curl -sf "$METRICS/metrics")
check "/metrics: syncs, sync latency, event latency, map fill, per-Service traffic" bash -c "
	m=\$(cat); echo \"\$m\" | grep -v '^#'
	echo \"\$m\" | grep -qE '^kbpf_agent_syncs_total\\{kind=\"partial\"\\} [1-9]' &&
	echo \"\$m\" | grep -qE '^kbpf_agent_sync_duration_seconds_count [1-9]' &&
	echo \"\$m\" | grep -qE '^kbpf_agent_event_to_map_seconds\\{quantile=\"0.99\"\\} ' &&
	echo \"\$m\" | grep -qE '^kbpf_map_entries\\{map=\"lb4_services\"\\} 3\$' &&
	echo \"\$m\" | grep -qE '^kbpf_map_entries\\{map=\"ct4\"\\} [1-9]' &&
	echo \"\$m\" | grep -qE '^kbpf_service_packets_total\\{service=\"default/web\",port=\"http\",frontend=\"$NODE_IP:30080/TCP\",type=\"NodePort\"\\} [1-9]' &&
	echo \"\$m\" | grep -qE '^kbpf_service_bytes_total\\{service=\"default/web\".*\\} [1-9]'
	" <<<"$metrics"
expect_out "/healthz answers 200 with lastUpdated" '"lastUpdated"' curl -sf "$METRICS/healthz"

# The apiserver goes away: the data plane serves on, untouched; back, the agent catches up.
bg_ns "$NS_EXT" "$LOADGEN" -t "$NODE_IP:30080" -m conn -r 200 -T 2000 >"$WORK/load.json" 2>/dev/null
LOAD=$BG_PID
# frontends: every frontend with its backends (not its counters, which move under load).
frontends() {
	in_node "$KBPFCTL" --bpffs-root "$BPFFS" lb list -o json | json_get "
' '.join(sorted('%s:%s=%s' % (x['frontend']['address'], x['frontend']['port'],
              ','.join(sorted(b['address'] for b in x.get('externalBackends', x['backends'])))) for x in d))"
}
before=$(frontends)
stop_apiserver
sleep 2
check "apiserver down: the agent lives on and the maps stay as they were" bash -c \
	"kill -0 $AGENT_PID && [ '$before' = '$(frontends)' ]"
start_apiserver || not_ok "apiserver restarts"
sleep 1
kill -INT "$LOAD"
wait "$LOAD" 2>/dev/null
# load_ok FILE MIN: a loadgen report with no failure and more than MIN answers.
load_ok() {
	cat "$1"
	json_get "d['failed'] == 0 and d['ok'] > $2 or sys.exit(1)" <"$1"
}
check "apiserver down and back: not one request to the NodePort lost" load_ok "$WORK/load.json" 300
pod_ready default pod3 10.244.0.13 true
check "after the outage the agent catches up: the pod Ready again is back in the maps" \
	until_true 15 reach "$NS_EXT" "$NODE_IP" 30080 "pod1 pod2 pod3"
renewed() { [ "$(kubectl -n kube-node-lease get lease "$NODE" -o jsonpath='{.spec.renewTime}')" != "$renew1" ]; }
check "the Lease was renewed (renewTime moved on from $renew1)" until_true 15 renewed

node_ready() {
	[ "$(kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')" = KubeletReady ]
}
check "a Ready condition changed behind the agent's back is posted again" until_true 15 node_ready

# The agent restarts under load (SIGKILL): it reconciles, never flushes.
bg_ns "$NS_EXT" "$LOADGEN" -t "$NODE_IP:30080" -m conn -r 200 -T 2000 >"$WORK/load2.json" 2>/dev/null
LOAD=$BG_PID
sleep 0.5
{ kill -9 "$AGENT_PID"; wait "$AGENT_PID"; } 2>/dev/null # braced: no "Killed" notice
start_api_agent || not_ok "agent restarts"
sleep 0.5
kill -INT "$LOAD"
wait "$LOAD" 2>/dev/null
check "SIGKILL and restart of the agent under load loses no request" load_ok "$WORK/load2.json" 100
check "the restarted agent's first sync changed no frontend" \
	grep -q "synced all 2 Services: 3 frontends, 3 backends .*frontends +0 ~0 -0" "$WORK/agent.log"

# Two Services claiming one external IP and port: the first by name holds it, the other
# takes it over when the first goes.
for s in ext-a ext-b; do
	kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: $s, namespace: default}
spec:
  selector: {app: none}
  externalIPs: [10.250.0.1]
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080}
EOF
done
holder_is() {
	[ "$(in_node "$KBPFCTL" --bpffs-root "$BPFFS" lb list -o json | json_get "
[x['service'] for x in d if x['frontend']['address'] == '10.250.0.1'][0]")" = "$1" ]
}
check "two Services on one external IP: the first by name holds it" until_true 5 holder_is default/ext-a:http
kubectl delete svc ext-a >/dev/null
check "when it goes, the other Service takes the external IP over" until_true 5 holder_is default/ext-b:http
kubectl delete svc ext-b >/dev/null

# Deleting the Service removes its frontends.
kubectl delete svc web >/dev/null
no_frontends() { ! frontends | grep -qE ':(80|30080)='; }
check "a deleted Service leaves no frontend in the maps" until_true 5 no_frontends
refused=$(in_ns "$NS_EXT" "$LOADGEN" -t "$NODE_IP:30080" -m conn -n 3 -T 1000 2>/dev/null)
check "the deleted NodePort gets no answer from a backend" \
	json_get 'd["ok"] == 0 or sys.exit(1)' <<<"$refused"

finish
