#!/bin/bash
# test_cm_replicasets.sh — the ReplicaSet controller of kbpf-controller-manager against a
# real kbpf-apiserver and kbpf-scheduler, driven with the real kubectl (no kubelet: pod
# readiness is reported as a kubelet would, with pod_ready): pods created with their
# owner and labels, READY, scaling up and down (which pods go), replacement, adoption,
# release, no duplicates across a manager killed mid-creation, minReadySeconds, a
# ReplicaSet being deleted left alone, and a template no pod can be made of. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
require_controller_manager
[ -x "$SCHEDULER" ] || skip_all "$SCHEDULER is not built (run make)"
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
K=kubectl

# rs NAME REPLICAS [EXTRA-SPEC-JSON] [NAMESPACE]: a ReplicaSet selecting app=NAME.
rs() {
	python3 - "$1" "$2" "${3:-{\}}" <<'EOF' | $K apply -n "${4:-default}" -f - >/dev/null
import json, sys
name, replicas, extra = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
labels = {"app": name, "tier": "web"}
spec = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": labels, "annotations": {"team": "blue"}},
                     "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
spec.update(extra)
print(json.dumps({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": name}, "spec": spec}))
EOF
}

# active SELECTOR [NAMESPACE]: names of the pods that count (not terminal, not being
# deleted), sorted, one per line.
active() {
	$K get pods -n "${2:-default}" -l "$1" -o json | python3 -c '
import json, sys
for p in sorted(json.load(sys.stdin)["items"], key=lambda p: p["metadata"]["name"]):
    if not p["metadata"].get("deletionTimestamp") and \
       p.get("status", {}).get("phase") not in ("Succeeded", "Failed"):
        print(p["metadata"]["name"])'
}

n_active() { # SELECTOR COUNT
	[ "$(active "$1" | grep -c .)" = "$2" ]
}

IP=10
ready_all() { # SELECTOR: report every active pod Ready, as its kubelet would
	local p
	for p in $(active "$1"); do
		IP=$((IP + 1))
		pod_ready default "$p" "10.244.0.$IP"
	done
}

rs_field() { # NAME JSONPATH
	$K get rs "$1" -o "jsonpath=$2"
}

events_of() { # OBJECT REASON: the messages of its events with that reason
	$K get events --field-selector "involvedObject.name=$1,reason=$2" \
		-o 'jsonpath={range .items[*]}{.message}{"\n"}{end}'
}

# A manager started again logs "started the controllers" anew: keep the old log apart
# so that start_controller_manager waits for the new one.
restart_log() {
	cat "$WORK/cm.log" >>"$WORK/cm-old.log"
	: >"$WORK/cm.log"
}

fake_node n1
fake_node n2
start_scheduler sched
start_controller_manager --controllers replicaset ||
	{ not_ok "controller-manager starts"; finish; exit 1; }

# --- creation: pods with the ReplicaSet as their controller and the template's labels ---
rs web 3
if until_true 10 n_active app=web 3; then
	ok "a ReplicaSet of 3 gets 3 pods"
else
	not_ok "a ReplicaSet of 3 gets 3 pods: $(active app=web | tr '\n' ' ')"
fi
uid=$(rs_field web '{.metadata.uid}')
first=$(active app=web | sed -n 1p)
expect_out "its pods are named <rs>-<suffix> and carry the template's labels and annotations" \
	"^web-[a-z0-9]{5} web web blue$" \
	$K get pod "$first" -o 'jsonpath={.metadata.name} {.metadata.labels.app} {.metadata.labels.tier} {.metadata.annotations.team}'
expect_out "their ownerReference names the ReplicaSet as controller, blocking its deletion" \
	"^apps/v1 ReplicaSet web $uid true true$" \
	$K get pod "$first" -o 'jsonpath={.metadata.ownerReferences[0].apiVersion} {.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].name} {.metadata.ownerReferences[0].uid} {.metadata.ownerReferences[0].controller} {.metadata.ownerReferences[0].blockOwnerDeletion}'
if [ "$(events_of web SuccessfulCreate | grep -cE '^Created pod: web-[a-z0-9]{5}$')" = 3 ]; then
	ok "one SuccessfulCreate event per pod: \"Created pod: <name>\""
else
	not_ok "one SuccessfulCreate event per pod: $(events_of web SuccessfulCreate | tr '\n' ';')"
fi

# --- status: READY once the pods report Ready ---
until_true 10 bash -c "[ \"\$($K get pods -l app=web -o 'jsonpath={.items[*].spec.nodeName}' | wc -w)\" = 3 ]"
ready_all app=web
if until_true 10 bash -c "$K get rs web --no-headers | grep -qE '^web +3 +3 +3 '"; then
	ok "kubectl get rs shows DESIRED 3 CURRENT 3 READY 3"
else
	not_ok "kubectl get rs shows DESIRED 3 CURRENT 3 READY 3"
	$K get rs web | sed 's/^/# /'
fi
expect_out "status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration" \
	"^3 3 3 3 $(rs_field web '{.metadata.generation}')$" \
	rs_field web '{.status.replicas} {.status.fullyLabeledReplicas} {.status.readyReplicas} {.status.availableReplicas} {.status.observedGeneration}'

# --- scaling up, then down: the pods that are not ready go first ---
ready3=$(active app=web)
$K scale rs web --replicas=5 >/dev/null
if until_true 10 n_active app=web 5; then
	ok "kubectl scale rs --replicas=5 makes 5 pods"
else
	not_ok "kubectl scale rs --replicas=5 makes 5 pods: $(active app=web | tr '\n' ' ')"
fi
new2=$(comm -13 <(echo "$ready3") <(active app=web))
until_true 10 bash -c "[ \"\$($K get pods -l app=web -o 'jsonpath={.items[*].spec.nodeName}' | wc -w)\" = 5 ]"
$K scale rs web --replicas=3 >/dev/null
until_true 10 n_active app=web 3
if [ "$(active app=web)" = "$ready3" ]; then
	ok "scaling down to 3 deletes the two pods that are not ready, keeps the ready ones"
else
	not_ok "scaling down to 3 deletes the two pods that are not ready: left $(active app=web | tr '\n' ' '), expected $(echo $ready3)"
fi
gone=$(events_of web SuccessfulDelete | sed 's/^Deleted pod: //' | sort | tr '\n' ' ')
if [ "$gone" = "$(echo "$new2" | tr '\n' ' ')" ]; then
	ok "a SuccessfulDelete event names each deleted pod"
else
	not_ok "a SuccessfulDelete event names each deleted pod: '$gone' vs '$(echo $new2)'"
fi

# --- a deleted pod is replaced (as soon as it is marked for deletion) ---
victim=$(active app=web | sed -n 1p)
$K delete pod "$victim" --wait=false >/dev/null
if until_true 10 n_active app=web 3 && ! active app=web | grep -qx "$victim"; then
	ok "a deleted pod is replaced: 3 pods again, without $victim"
else
	not_ok "a deleted pod is replaced: $(active app=web | tr '\n' ' ')"
fi
ready_all app=web

# --- a pod relabelled out of the selector is released and replaced ---
stray=$(active app=web | sed -n 1p)
$K label pod "$stray" app=elsewhere --overwrite >/dev/null
if until_true 10 bash -c "[ -z \"\$($K get pod $stray -o 'jsonpath={.metadata.ownerReferences[*].uid}')\" ]"; then
	ok "a pod whose labels no longer match is released (its ownerReference removed)"
else
	not_ok "a pod whose labels no longer match is released: $($K get pod "$stray" -o 'jsonpath={.metadata.ownerReferences}')"
fi
if until_true 10 n_active app=web 3; then
	ok "and replaced: 3 pods match again"
else
	not_ok "and replaced: $(active app=web | tr '\n' ' ')"
fi
ready_all app=web

# --- an orphan that matches is adopted, not duplicated (the manager was down) ---
stop_controller_manager
restart_log
$K run orphan --image=busybox --labels=app=web,tier=web >/dev/null
pod_ready default orphan 10.244.0.200
$K scale rs web --replicas=4 >/dev/null
start_controller_manager --controllers replicaset
if until_true 10 bash -c "[ \"\$($K get pod orphan -o 'jsonpath={.metadata.ownerReferences[0].uid}')\" = $uid ]"; then
	ok "an orphan pod matching the selector is adopted (ownerReference to the ReplicaSet)"
else
	not_ok "an orphan pod matching the selector is adopted: $($K get pod orphan -o 'jsonpath={.metadata.ownerReferences}')"
fi
sleep 1
if n_active app=web 4; then
	ok "scaled to 4 with the adopted orphan as the fourth: nothing created"
else
	not_ok "scaled to 4 with the adopted orphan as the fourth: $(active app=web | tr '\n' ' ')"
fi

# --- a manager killed in the middle of creating pods never duplicates them ---
# Killed (-9) the moment the first pod appears, as a watch tells it.
(
	read -r _ < <(timeout 20 curl -sN \
		"$API_URL/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dbig")
	kill -KILL "$CM_PID"
) &
killer=$!
sleep 0.3
rs big 100
wait "$killer"
stop_controller_manager
before=$(active app=big | grep -c .)
restart_log
start_controller_manager --controllers replicaset
until_true 15 n_active app=big 100
sleep 1.5
after=$(active app=big | grep -c .)
if [ "$after" = 100 ] && [ "$before" -lt 100 ]; then
	ok "killed with $before of 100 pods made, the restarted manager makes exactly 100"
else
	not_ok "killed with $before of 100 pods made, the restarted manager makes exactly 100: $after"
fi
made=$(events_of big SuccessfulCreate | grep -c .)
dropped=$(events_of big SuccessfulDelete | grep -c .)
# (A pod made just before the kill may have no event.)
if [ "$made" -le 100 ] && [ "$dropped" = 0 ]; then
	ok "at most 100 SuccessfulCreate events and no SuccessfulDelete: never one pod too many"
else
	not_ok "at most 100 SuccessfulCreate events and no SuccessfulDelete: $made created, $dropped deleted"
fi

# --- minReadySeconds: Ready pods become available only after it ---
rs slow 2 '{"minReadySeconds": 3}'
until_true 10 n_active app=slow 2
ready_all app=slow
until_true 5 bash -c "[ \"\$($K get rs slow -o 'jsonpath={.status.readyReplicas}')\" = 2 ]"
if [ -z "$(rs_field slow '{.status.availableReplicas}')" ]; then
	ok "minReadySeconds 3: ready pods are not available at once"
else
	not_ok "minReadySeconds 3: ready pods are not available at once: $(rs_field slow '{.status.availableReplicas}')"
fi
if until_true 8 bash -c "[ \"\$($K get rs slow -o 'jsonpath={.status.availableReplicas}')\" = 2 ]"; then
	ok "minReadySeconds 3: available after it, without any other change"
else
	not_ok "minReadySeconds 3: available after it: $(rs_field slow '{.status.availableReplicas}')"
fi

# --- a ReplicaSet being deleted is left alone ---
# Without the garbage collector the orphan finalizer keeps it, marked for deletion.
$K delete rs slow --cascade=orphan --wait=false >/dev/null
until_true 5 bash -c "[ -n \"\$($K get rs slow -o 'jsonpath={.metadata.deletionTimestamp}')\" ]"
$K delete pod "$(active app=slow | sed -n 1p)" --wait=false >/dev/null
sleep 1.5
if n_active app=slow 1; then
	ok "a ReplicaSet being deleted does not replace its pods"
else
	not_ok "a ReplicaSet being deleted does not replace its pods: $(active app=slow | tr '\n' ' ')"
fi

# --- a template no pod can be made of: ReplicaFailure, and the manager lives on ---
# Valid for the API (the selector, app DoesNotExist, matches the template's missing
# labels) but kube will not create a pod without labels.
$K create namespace bad >/dev/null
$K apply -n bad -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: nolabels}
spec:
  replicas: 2
  selector: {matchExpressions: [{key: app, operator: DoesNotExist}]}
  template:
    spec: {containers: [{name: c, image: busybox}]}
EOF
if until_true 10 bash -c "$K get rs -n bad nolabels -o 'jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].reason}' | grep -qx FailedCreate"; then
	ok "a template without labels: condition ReplicaFailure, reason FailedCreate"
else
	not_ok "a template without labels: condition ReplicaFailure, reason FailedCreate"
	$K get rs -n bad nolabels -o yaml | sed 's/^/# /'
fi
expect_out "its message says why, as kube's" '^True unable to create pods, no labels$' \
	$K get rs -n bad nolabels -o 'jsonpath={.status.conditions[0].status} {.status.conditions[0].message}'
expect_out "kubectl describe rs shows the condition" 'ReplicaFailure +True +FailedCreate' \
	$K describe rs -n bad nolabels
if kill -0 "$CM_PID" 2>/dev/null && n_active app=web 4; then
	ok "the manager is still running and keeps the other ReplicaSets"
else
	not_ok "the manager is still running and keeps the other ReplicaSets"
	tail -20 "$WORK/cm.log" | sed 's/^/# /'
fi
# Fixed (labels added): the pods come and the condition goes.
$K patch rs -n bad nolabels --type=merge -p '{"spec":{"template":{"metadata":{"labels":{"fixed":"yes"}}}}}' >/dev/null
if until_true 10 bash -c "[ \"\$($K get pods -n bad -o name | wc -l)\" = 2 ] && [ -z \"\$($K get rs -n bad nolabels -o 'jsonpath={.status.conditions}')\" ]"; then
	ok "once the template is fixed, 2 pods are made and ReplicaFailure is removed"
else
	not_ok "once the template is fixed, 2 pods are made and ReplicaFailure is removed"
	$K get rs,pods -n bad -o wide | sed 's/^/# /'
fi

cat "$WORK/cm-old.log" "$WORK/cm.log" | grep -E "segfault|Assertion|AddressSanitizer" | sed 's/^/# /'
finish
