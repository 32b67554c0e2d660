#!/bin/bash
# test_scheduler.sh — kbpf-scheduler against a real kbpf-apiserver, driven with the real
# kubectl: Node objects only (no agents), pods placed by their requests, taints, host
# ports, priorities; reported when they cannot be placed and placed once they can; two
# schedulers with one leader. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
[ -x "$SCHEDULER" ] || skip_all "$SCHEDULER is not built (run make)"
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
K=kubectl

# pod NAME [spec-json-fragment merged into spec]: a busybox pod.
pod() {
	local extra=${2:-'{}'}
	python3 - "$1" "$extra" <<'EOF' | $K create -f - >/dev/null
import json, sys
name, extra = sys.argv[1], json.loads(sys.argv[2])
spec = {"containers": [{"name": "c", "image": "busybox"}]}
for k, v in extra.items():
    if k == "requests":
        spec["containers"][0]["resources"] = {"requests": v}
    elif k == "hostPort":
        spec["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": v}]
    elif k == "labels":
        pass
    else:
        spec[k] = v
meta = {"name": name, "labels": extra.get("labels", {})}
print(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}))
EOF
}

node_of() {
	$K get pod "$1" -o 'jsonpath={.spec.nodeName}' 2>/dev/null
}

# wait_bound POD...: until every POD has a node (10 s).
wait_bound() {
	local p
	for _ in $(seq 1 100); do
		for p in "$@"; do
			[ -n "$(node_of "$p")" ] || continue 2
		done
		return 0
	done 2>/dev/null
	return 1
}

on_node() { # POD NODE
	[ "$(node_of "$1")" = "$2" ]
}

event_says() { # POD REASON PATTERN
	$K get events --field-selector "involvedObject.name=$1,reason=$2" \
		-o 'jsonpath={range .items[*]}{.message}{"\n"}{end}' | grep -qE -- "$3"
}

# --- placement and spread ---
fake_node n1 2
fake_node n2 2
fake_node n3 2
start_scheduler s1
for i in 1 2 3 4 5 6; do pod "spread$i"; done
if wait_bound spread1 spread2 spread3 spread4 spread5 spread6; then
	ok "six pods are bound"
else
	not_ok "six pods are bound"
	$K get pods -o wide | sed 's/^/# /'
fi
counts=$($K get pods -o 'jsonpath={range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort | uniq -c | awk '{print $1}' | sort -n | tr '\n' ' ')
if [ "$counts" = "2 2 2 " ]; then
	ok "pods without requests spread evenly (2 per node)"
else
	not_ok "pods without requests spread evenly (2 per node): got $counts"
fi
expect_out "kubectl describe shows the Scheduled event" \
	'Normal +Scheduled .*default-scheduler +Successfully assigned default/spread1 to n[123]' \
	$K describe pod spread1
expect_out "a bound pod has PodScheduled=True" '^True$' \
	$K get pod spread1 -o 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}'
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- resources are never over-committed ---
for i in 1 2 3 4 5 6 7; do pod "cpu$i" '{"requests": {"cpu": "900m"}}'; done
wait_bound cpu1 cpu2 cpu3 cpu4 cpu5 cpu6 >/dev/null
until_true 5 event_says cpu7 FailedScheduling 'Insufficient cpu'
bound=0 over=0
for n in n1 n2 n3; do
	c=$($K get pods --field-selector "spec.nodeName=$n" -o name | grep -c cpu)
	bound=$((bound + c))
	[ "$c" -le 2 ] || over=1
done
if [ "$bound" = 6 ] && [ "$over" = 0 ] && [ -z "$(node_of cpu7)" ]; then
	ok "seven 900m pods on three 2-cpu nodes: six bound, two per node, the seventh waits"
else
	not_ok "seven 900m pods on three 2-cpu nodes: six bound, two per node, the seventh waits"
	$K get pods -o wide | sed 's/^/# /'
fi
expect_out "the waiting pod's event says why, as kube-scheduler words it" \
	'FailedScheduling .*0/3 nodes are available: 3 Insufficient cpu\.' $K describe pod cpu7
expect_out "its PodScheduled condition is False/Unschedulable" '^False Unschedulable$' \
	$K get pod cpu7 -o 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status} {.status.conditions[?(@.type=="PodScheduled")].reason}'

# A node that fits appears: the pod is placed without waiting for a periodic retry.
fake_node n4 2
if until_true 5 on_node cpu7 n4; then
	ok "the unschedulable pod is bound to the node that appeared (n4)"
else
	not_ok "the unschedulable pod is bound to the node that appeared (n4): '$(node_of cpu7)'"
fi

# Pods deleted free their share at once: 1500m fits nowhere (n4 has 1100m left) until
# both 900m pods of one node go.
pod cpu8 '{"requests": {"cpu": "1500m"}}'
until_true 5 event_says cpu8 FailedScheduling 'Insufficient cpu'
freed=$(node_of cpu1)
for p in $($K get pods --field-selector "spec.nodeName=$freed" -o name); do
	$K delete "$p" --grace-period=0 --force >/dev/null 2>&1
done
if until_true 10 on_node cpu8 "$freed"; then
	ok "deleting pods frees their node for a waiting pod"
else
	not_ok "deleting pods frees their node for a waiting pod (want $freed, got '$(node_of cpu8)')"
fi
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- taints and tolerations ---
$K taint node n1 dedicated=gpu:NoSchedule >/dev/null
pod taint-no '{"nodeSelector": {"kubernetes.io/hostname": "n1"}}'
pod taint-yes '{"nodeSelector": {"kubernetes.io/hostname": "n1"}, "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]}'
pod taint-exists '{"nodeSelector": {"kubernetes.io/hostname": "n1"}, "tolerations": [{"key": "dedicated", "operator": "Exists"}]}'
if wait_bound taint-yes taint-exists && [ "$(node_of taint-yes)" = n1 ]; then
	ok "pods tolerating the taint (Equal, Exists) go to the tainted node"
else
	not_ok "pods tolerating the taint (Equal, Exists) go to the tainted node"
fi
if until_true 5 event_says taint-no FailedScheduling "untolerated taint \{dedicated: gpu\}" && [ -z "$(node_of taint-no)" ]; then
	ok "a pod not tolerating it waits: 'untolerated taint {dedicated: gpu}'"
else
	not_ok "a pod not tolerating it waits: 'untolerated taint {dedicated: gpu}'"
	$K describe pod taint-no | sed -n '/Events/,$p' | sed 's/^/# /'
fi
for i in 1 2 3 4 5 6; do pod "free$i"; done
wait_bound free1 free2 free3 free4 free5 free6 >/dev/null
if $K get pods -o 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{"\n"}{end}' | grep '^free' | grep -q ' n1$'; then
	not_ok "pods without the toleration never land on the tainted node"
else
	ok "pods without the toleration never land on the tainted node"
fi
$K taint node n1 dedicated- >/dev/null
if until_true 10 on_node taint-no n1; then
	ok "removing the taint places the waiting pod"
else
	not_ok "removing the taint places the waiting pod"
fi
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- cordon ---
$K cordon n2 >/dev/null
for i in 1 2 3 4 5 6; do pod "cord$i"; done
wait_bound cord1 cord2 cord3 cord4 cord5 cord6 >/dev/null
if $K get pods -o 'jsonpath={range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -q '^n2$'; then
	not_ok "a cordoned node gets no pods"
else
	ok "a cordoned node gets no pods"
fi
$K uncordon n2 >/dev/null
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- host ports ---
for i in 1 2 3 4 5; do pod "hp$i" '{"hostPort": 8080}'; done
wait_bound hp1 hp2 hp3 hp4 >/dev/null
until_true 5 event_says hp5 FailedScheduling "didn't have free ports"
nodes=$($K get pods -o 'jsonpath={range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c .)
distinct=$($K get pods -o 'jsonpath={range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep . | sort -u | wc -l)
if [ "$nodes" = 4 ] && [ "$distinct" = 4 ] && [ -z "$(node_of hp5)" ]; then
	ok "hostPort 8080: one pod per node, the fifth waits (free ports)"
else
	not_ok "hostPort 8080: one pod per node, the fifth waits ($nodes bound on $distinct nodes)"
fi
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- what cannot be understood or satisfied is said, not skipped ---
pod unknown-res '{"requests": {"example.com/widget": "1"}}'
if until_true 5 event_says unknown-res FailedScheduling 'Insufficient example\.com/widget'; then
	ok "a pod asking for a resource no node has: 'Insufficient example.com/widget'"
else
	not_ok "a pod asking for a resource no node has: 'Insufficient example.com/widget'"
fi
pod bad-affinity '{"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Within", "values": ["x"]}]}}]}}}' 2>/dev/null
if [ -z "$($K get pod bad-affinity -o name 2>/dev/null)" ]; then
	ok "a malformed selector is refused (by the apiserver) before scheduling"
elif until_true 5 event_says bad-affinity FailedScheduling 'Within'; then
	ok "a malformed selector gets a FailedScheduling event naming it"
else
	not_ok "a malformed selector is reported"
fi
pod other-scheduler '{"schedulerName": "someone-else"}'
sleep 1
if [ -z "$(node_of other-scheduler)" ] && ! event_says other-scheduler FailedScheduling .; then
	ok "pods for another scheduler are left alone"
else
	not_ok "pods for another scheduler are left alone"
fi
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- topology spread and anti-affinity ---
$K label node n1 n2 topology.kubernetes.io/zone=a --overwrite >/dev/null
$K label node n3 n4 topology.kubernetes.io/zone=b --overwrite >/dev/null
for i in 1 2 3 4; do
	pod "zs$i" '{"labels": {"app": "zs"}, "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "zs"}}}]}'
done
wait_bound zs1 zs2 zs3 zs4 >/dev/null
za=0 zb=0
for i in 1 2 3 4; do
	case $(node_of "zs$i") in n1|n2) za=$((za + 1)) ;; n3|n4) zb=$((zb + 1)) ;; esac
done
if [ "$za" = 2 ] && [ "$zb" = 2 ]; then
	ok "topology spread (maxSkew 1 over zones): 2 and 2"
else
	not_ok "topology spread (maxSkew 1 over zones): got $za and $zb"
fi
for i in 1 2 3 4 5; do
	pod "anti$i" '{"labels": {"app": "anti"}, "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "anti"}}}]}}}'
done
wait_bound anti1 anti2 anti3 anti4 >/dev/null
until_true 5 event_says anti5 FailedScheduling "anti-affinity"
distinct=$(for i in 1 2 3 4; do node_of "anti$i"; echo; done | grep . | sort -u | wc -l)
if [ "$distinct" = 4 ] && [ -z "$(node_of anti5)" ]; then
	ok "required anti-affinity: one per node, the fifth waits"
else
	not_ok "required anti-affinity: one per node, the fifth waits ($distinct distinct)"
fi
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- priority: the higher one gets the last place, whatever the order of arrival ---
kill "$SCHED_PID"
wait "$SCHED_PID" 2>/dev/null
pod fill '{"nodeName": "n1", "requests": {"cpu": "1100m"}}'
for n in n2 n3 n4; do $K cordon $n >/dev/null; done
pod low '{"priority": 0, "requests": {"cpu": "900m"}}'
pod high '{"priority": 1000, "requests": {"cpu": "900m"}}'
start_scheduler s1
S1_PID=$SCHED_PID
if wait_bound high && [ -z "$(node_of low)" ]; then
	ok "of two pods for one place, the higher priority one is bound"
else
	not_ok "of two pods for one place, the higher priority one is bound (high '$(node_of high)', low '$(node_of low)')"
fi
for n in n2 n3 n4; do $K uncordon $n >/dev/null; done
$K delete pods --all --grace-period=0 --force >/dev/null 2>&1

# --- two schedulers, one leader; the standby takes over when the leader dies ---
start_scheduler s2
S2_PID=$SCHED_PID
sleep 2
holder=$($K -n kube-system get lease kbpf-scheduler -o 'jsonpath={.spec.holderIdentity}')
if grep -q "became leader" "$WORK/s1.log" && ! grep -q "became leader" "$WORK/s2.log" &&
	grep -q "waiting for the lease" "$WORK/s2.log"; then
	ok "the second scheduler waits as a standby (lease held by $holder)"
else
	not_ok "the second scheduler waits as a standby"
	sed 's/^/# s2: /' "$WORK/s2.log"
fi
{ kill -9 "$S1_PID"; wait "$S1_PID"; } 2>/dev/null
t0=$(date +%s%N)
pod after-failover
if wait_bound after-failover || wait_bound after-failover; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "after the leader is killed the standby binds new pods (${ms} ms; lease 4 s)"
else
	not_ok "after the leader is killed the standby binds new pods"
	sed 's/^/# s2: /' "$WORK/s2.log"
fi
if grep -q "became leader" "$WORK/s2.log"; then
	ok "the standby logged its takeover"
else
	not_ok "the standby logged its takeover"
fi

# A leader that stops cleanly hands the lease over: no wait for expiry.
start_scheduler s3
sleep 1
kill -TERM "$S2_PID"
t0=$(date +%s%N)
until_true 5 grep -q "became leader" "$WORK/s3.log"
ms=$((($(date +%s%N) - t0) / 1000000))
if grep -q "became leader" "$WORK/s3.log" && [ "$ms" -lt 3000 ]; then
	ok "SIGTERM releases the lease: the standby leads within ${ms} ms"
else
	not_ok "SIGTERM releases the lease: the standby leads quickly (${ms} ms)"
fi

expect_out "kbpf-scheduler --help lists its flags" '--leader-elect' "$SCHEDULER" --help
expect_out "a bad flag value is refused with a message" 'expected a positive integer' \
	"$SCHEDULER" --parallelism zero
expect_out "an unreadable kubeconfig is refused with a message" 'kubeconfig .*nonexistent' \
	"$SCHEDULER" --kubeconfig /nonexistent/kubeconfig

finish
