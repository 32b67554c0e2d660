# controlplane.sh — start kbpf-controller-manager and kbpf-scheduler against the test's
# apiserver, and stand in for the kubelets that these tests do not run (sourced after
# lib.sh and apiserver.sh).

CONTROLLER_MANAGER=$BUILD/bin/kbpf-controller-manager
SCHEDULER=$BUILD/bin/kbpf-scheduler

require_controller_manager() {
	[ -x "$CONTROLLER_MANAGER" ] || skip_all "$CONTROLLER_MANAGER is not built (run make)"
}

# launch_controller_manager LOG [flags]: a controller-manager logging to LOG, not waited
# for (a standby never starts its controllers); CM_PID. Short leader election timings so
# that restarts in tests do not wait 15 s.
launch_controller_manager() {
	local log=$1
	shift
	"$CONTROLLER_MANAGER" --kubeconfig "$KUBECONFIG" --leader-elect-lease-duration 4 \
		--leader-elect-renew-deadline 3 --leader-elect-retry-period 1 "$@" >>"$log" 2>&1 &
	CM_PID=$!
	PIDS="$PIDS $CM_PID"
}

# start_controller_manager [flags]: logging to $WORK/cm.log; CM_PID; returns once it
# leads and runs every controller it was given.
start_controller_manager() {
	launch_controller_manager "$WORK/cm.log" "$@"
	for _ in $(seq 1 100); do
		grep -q "started the controllers$" "$WORK/cm.log" 2>/dev/null && return 0
		kill -0 "$CM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# the controller-manager did not start:"
	sed 's/^/#   /' "$WORK/cm.log" | tail -20
	return 1
}

stop_controller_manager() {
	kill "${1:--TERM}" "$CM_PID" 2>/dev/null
	wait "$CM_PID" 2>/dev/null
}

# start_scheduler NAME [flags]: a scheduler logging to $WORK/NAME.log; SCHED_PID.
start_scheduler() {
	local name=$1
	shift
	"$SCHEDULER" --kubeconfig "$KUBECONFIG" --leader-elect-lease-duration 4 \
		--leader-elect-renew-deadline 3 --leader-elect-retry-period 1 "$@" \
		>>"$WORK/$name.log" 2>&1 &
	SCHED_PID=$!
	PIDS="$PIDS $SCHED_PID"
}

# fake_node NAME [CPU] [LABELS-JSON] [TAINTS-JSON]: a Ready Node object offering CPU
# cores (4), 8Gi and 110 pods, as its kubelet would register it; no kubelet runs: these
# tests are about the control plane.
fake_node() {
	local labels=${3:-} taints=${4:-}
	[ -n "$labels" ] || labels='{}'
	[ -n "$taints" ] || taints='[]'
	python3 - "$1" "${2:-4}" "$labels" "$taints" <<'EOP' | kubectl apply -f - >/dev/null
import json, sys
name, cpu, labels, taints = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
labels["kubernetes.io/hostname"] = name
res = {"cpu": cpu, "memory": "8Gi", "pods": "110"}
print(json.dumps({"apiVersion": "v1", "kind": "Node",
                  "metadata": {"name": name, "labels": labels}, "spec": {"taints": taints},
                  "status": {"capacity": res, "allocatable": res,
                             "conditions": [{"type": "Ready", "status": "True"}]}}))
EOP
}

# pod_ready NS POD IP [true|false]: what the kubelet reports of a running pod: phase
# Running, an IP, Ready and ContainersReady conditions.
pod_ready() {
	local ready=${4:-true} st now
	st=$([ "$ready" = true ] && echo True || echo False)
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	kubectl -n "$1" patch pod "$2" --subresource=status --type=merge -p "{\"status\": {
		\"phase\": \"Running\", \"podIP\": \"$3\", \"podIPs\": [{\"ip\": \"$3\"}],
		\"hostIP\": \"10.99.0.1\", \"startTime\": \"$now\",
		\"conditions\": [{\"type\": \"Ready\", \"status\": \"$st\", \"lastTransitionTime\": \"$now\"},
		                 {\"type\": \"ContainersReady\", \"status\": \"$st\", \"lastTransitionTime\": \"$now\"},
		                 {\"type\": \"PodScheduled\", \"status\": \"True\", \"lastTransitionTime\": \"$now\"}]}}" >/dev/null
}

# kubelet_loop (run it in the background): what the kubelets would do for the pods on
# (fake) nodes: mark bound pods Running and Ready with an IP from 10.244.0.0/16, and confirm
# the deletion of terminating ones. Pods labelled never-ready stay unready; while
# $WORK/hold exists no pod becomes ready (a rollout held mid-way).
kubelet_loop() {
	local ns name node del ready never n=1
	while :; do
		while IFS='|' read -r ns name node del ready never; do
			[ -n "$node" ] || continue
			if [ -n "$del" ]; then
				kubectl -n "$ns" delete pod "$name" --grace-period=0 --force >/dev/null 2>&1 &
			elif [ "$ready" != True ] && [ -z "$never" ] && [ ! -e "$WORK/hold" ]; then
				n=$((n + 1))
				pod_ready "$ns" "$name" "10.244.$((n / 250)).$((n % 250 + 1))" 2>/dev/null &
			fi
		done < <(kubectl get pods -A -o 'jsonpath={range .items[*]}{.metadata.namespace}|{.metadata.name}|{.spec.nodeName}|{.metadata.deletionTimestamp}|{.status.conditions[?(@.type=="Ready")].status}|{.metadata.labels.never-ready}{"\n"}{end}' 2>/dev/null)
		wait
		sleep 0.2
	done
}

# control_plane_in_node: the apiserver, controller-manager and scheduler that the start_*
# helpers run, and kubectl and curl, all in the node namespace $NS_NODE (setup_topology),
# so that the agent reaches them on the node and nothing touches the host's network.
in_node() { nsenter --net=/run/netns/"$NS_NODE" "$@"; }
control_plane_in_node() {
	local b
	for b in kbpf-apiserver kbpf-controller-manager kbpf-scheduler; do
		printf '#!/bin/sh\nexec nsenter --net=/run/netns/%s %s "$@"\n' "$NS_NODE" \
			"$BUILD/bin/$b" >"$WORK/$b"
		chmod +x "$WORK/$b"
	done
	APISERVER=$WORK/kbpf-apiserver
	CONTROLLER_MANAGER=$WORK/kbpf-controller-manager
	SCHEDULER=$WORK/kbpf-scheduler
	KUBECTL=$(command -v kubectl)
	CURL=$(command -v curl)
	kubectl() { in_node "$KUBECTL" "$@"; }
	curl() { in_node "$CURL" "$@"; }
}
