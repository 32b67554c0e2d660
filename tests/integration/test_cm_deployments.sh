#!/bin/bash
# test_cm_deployments.sh — the Deployment controller (with the ReplicaSet controller and
# the scheduler) against a real kbpf-apiserver, driven with the real kubectl: rollouts
# (RollingUpdate within maxSurge/maxUnavailable, Recreate), revisions, rollout
# status/history/undo/restart/pause/resume, scaling (proportional mid-rollout), the
# progress deadline, and a manager restart mid-rollout. A loop stands in for the kubelet:
# it marks bound pods Ready and confirms the deletion of terminating ones. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
require_controller_manager
[ -x "$SCHEDULER" ] || skip_all "$SCHEDULER is not built (run make)"
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
K=kubectl
CM_FLAGS="--controllers deployment,replicaset"

# deploy NAME REPLICAS IMAGE [spec-json merged into spec]: a Deployment selecting app=NAME.
deploy() {
	python3 - "$@" <<'EOF' | $K apply -f - >/dev/null
import json, sys
name, replicas, image = sys.argv[1], int(sys.argv[2]), sys.argv[3]
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
spec = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "c", "image": image}]}}}
spec.update(extra)
print(json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": name}, "spec": spec}))
EOF
}

jp() { # OBJECT JSONPATH
	$K get "$1" -o "jsonpath=$2" 2>/dev/null
}

# rss NAME: "name=replicas/ready" of each ReplicaSet of app=NAME, by revision.
rss() {
	$K get rs -l "app=$1" -o json | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
items.sort(key=lambda r: int(r["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0")))
print(" ".join("%s=%d/%d" % (r["metadata"]["name"], r["spec"]["replicas"], r.get("status", {}).get("readyReplicas", 0)) for r in items))'
}

revisions_of() { # APP: the revisions of its ReplicaSets, sorted, on one line
	$K get rs -l "app=$1" -o 'jsonpath={range .items[*]}{.metadata.annotations.deployment\.kubernetes\.io/revision}{"\n"}{end}' |
		sort -n | tr '\n' ' '
}

rs_count() {
	$K get rs -l "app=$1" -o name | wc -l
}

# sample NAME SECONDS: during a rollout, every ~0.2 s, "total ready old new": the app's
# live (not terminating) pods, the ready ones (terminating ones included: they serve
# until their kubelet stops them), old and new ("new": the template hash of the newest
# ReplicaSet); until SECONDS pass or the rollout completes.
sample() {
	python3 - "$1" "$2" "$KUBECONFIG" <<'EOF'
import json, subprocess, sys, time
app, secs = sys.argv[1], float(sys.argv[2])
def get(kind):
    out = subprocess.run(["kubectl", "get", kind, "-l", "app=" + app, "-o", "json"],
                         capture_output=True, text=True).stdout
    return json.loads(out)["items"] if out else []
end = time.time() + secs
while time.time() < end:
    rss = get("rs")
    every = get("pods")
    pods = [p for p in every if not p["metadata"].get("deletionTimestamp")]
    rev = lambda r: int(r["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0"))
    if not rss:
        continue
    newest = max(rss, key=rev)["metadata"]["labels"]["pod-template-hash"]
    ready = sum(1 for p in every for c in p.get("status", {}).get("conditions", [])
                if c["type"] == "Ready" and c["status"] == "True")
    new = sum(1 for p in pods if p["metadata"]["labels"].get("pod-template-hash") == newest)
    print(len(pods), ready, len(pods) - new, new, flush=True)
    d = json.loads(subprocess.run(["kubectl", "get", "deploy", app, "-o", "json"],
                                  capture_output=True, text=True).stdout)
    st = d.get("status", {})
    if (st.get("observedGeneration", 0) >= d["metadata"]["generation"] and
            st.get("updatedReplicas", 0) == d["spec"]["replicas"] ==
            st.get("availableReplicas", 0) == st.get("replicas", 0) and len(pods) == d["spec"]["replicas"]):
        break
    time.sleep(0.1)
EOF
}

events_of() { # DEPLOYMENT: its events, oldest first, on one line
	$K get events --field-selector "involvedObject.name=$1,involvedObject.kind=Deployment" \
		--sort-by=.metadata.creationTimestamp \
		-o 'jsonpath={range .items[*]}{.reason}: {.message}{"\n"}{end}' | tr '\n' ' '
}

revision() { # OBJECT
	jp "$1" '{.metadata.annotations.deployment\.kubernetes\.io/revision}'
}

# replicas_are APP SIZES: the ReplicaSets' spec.replicas, sorted, are SIZES ("4 6").
replicas_are() {
	[ "$($K get rs -l "app=$1" -o 'jsonpath={range .items[*]}{.spec.replicas}{"\n"}{end}' |
		sort -n | tr '\n' ' ')" = "$2 " ]
}

fake_node n1 32
start_scheduler sched
kubelet_loop &
PIDS="$PIDS $!"
start_controller_manager $CM_FLAGS || { not_ok "controller-manager starts"; finish; exit 1; }

# --- create: a ReplicaSet named for the template hash, its pods, a finished rollout ---
deploy web 3 nginx:1.25
expect_out "kubectl rollout status: a new Deployment rolls out" 'successfully rolled out' \
	$K rollout status deployment/web --timeout=20s
rs1=$($K get rs -l app=web -o 'jsonpath={.items[0].metadata.name}')
hash1=$($K get rs "$rs1" -o 'jsonpath={.metadata.labels.pod-template-hash}')
if [ -n "$hash1" ] && [ "$rs1" = "web-$hash1" ] &&
	[ "$(jp "rs/$rs1" '{.spec.selector.matchLabels.pod-template-hash} {.spec.template.metadata.labels.pod-template-hash}')" = "$hash1 $hash1" ]; then
	ok "the ReplicaSet is web-<pod-template-hash>, the hash in its labels, selector and template"
else
	not_ok "the ReplicaSet is web-<pod-template-hash> ($rs1, hash '$hash1')"
fi
expect_out "the ReplicaSet is controlled by the Deployment" '^Deployment web true$' \
	jp "rs/$rs1" '{.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].name} {.metadata.ownerReferences[0].controller}'
expect_out "the Deployment is at revision 1" '^1$' revision deploy/web
expect_out "the ReplicaSet: revision 1, desired-replicas 3, max-replicas 4 (25% surge, rounded up)" \
	'^1 3 4$' jp "rs/$rs1" '{.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.annotations.deployment\.kubernetes\.io/desired-replicas} {.metadata.annotations.deployment\.kubernetes\.io/max-replicas}'
expect_out "three pods of the ReplicaSet" '^3$' sh -c "$K get pods -l pod-template-hash=$hash1 -o name | wc -l"
expect_out "status: replicas, updated, ready, available, observedGeneration" '^3 3 3 3 1$' \
	jp deploy/web '{.status.replicas} {.status.updatedReplicas} {.status.readyReplicas} {.status.availableReplicas} {.status.observedGeneration}'
expect_out "conditions Available/MinimumReplicasAvailable, Progressing/NewReplicaSetAvailable" \
	'^True MinimumReplicasAvailable True NewReplicaSetAvailable$' \
	jp deploy/web '{.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason} {.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].reason}'
expect_out "event ScalingReplicaSet as kube words it" "ScalingReplicaSet: Scaled up replica set $rs1 from 0 to 3" \
	events_of web

# --- rolling update within maxSurge/maxUnavailable ---
$K patch deploy web --type=merge -p '{"spec": {"replicas": 4, "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}}}' >/dev/null
$K rollout status deployment/web --timeout=20s >/dev/null 2>&1
# Readiness held for a while: the rollout is sampled half-way too, not only at its ends.
touch "$WORK/hold"
$K set image deployment/web c=nginx:1.26 >/dev/null
sample web 25 >"$WORK/rolling.samples" &
sampler=$!
sleep 1.5
rm -f "$WORK/hold"
wait "$sampler"
expect_out "the rolling update completes (rollout status)" 'successfully rolled out' \
	$K rollout status deployment/web --timeout=20s
if awk '$1 > 5 || $2 < 3 { bad = 1 } END { exit bad }' "$WORK/rolling.samples" &&
	awk '$3 > 0 && $4 > 0 { mixed = 1 } END { exit !mixed }' "$WORK/rolling.samples"; then
	ok "during the rollout: at most 5 pods (4 + maxSurge 1), at least 3 ready (4 - maxUnavailable 1), old and new side by side"
else
	not_ok "during the rollout: at most 5 pods, at least 3 ready, old and new side by side"
	sed 's/^/# total ready old new: /' "$WORK/rolling.samples" | head -30
fi
expect_out "revision 2 on the Deployment" '^2$' revision deploy/web
expect_out "the old ReplicaSet kept at 0 replicas, the new one (revision 2) at 4" \
	"^$rs1=0/0 web-[a-z0-9]+=4/4\$" rss web
expect_out "kubectl rollout history lists revisions 1 and 2" 'REVISION +CHANGE-CAUSE +1 +<none> +2 +<none>' \
	sh -c "$K rollout history deployment/web | tr '\n' ' '"
expect_out "events: the new ReplicaSet scaled up, the old one down" \
	"Scaled down replica set $rs1 from [0-9]+ to [0-9]+" events_of web

# --- rollout undo: the old ReplicaSet comes back as revision 3 ---
$K rollout undo deployment/web >/dev/null
expect_out "rollout undo completes" 'successfully rolled out' \
	$K rollout status deployment/web --timeout=20s
expect_out "revision 3 on the Deployment, the old image back" '^3 nginx:1.25$' \
	jp deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision} {.spec.template.spec.containers[0].image}'
expect_out "the first ReplicaSet is revision 3 (revision-history 1) and runs the 4 pods" \
	"^3 1 4\$" jp "rs/$rs1" '{.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.annotations.deployment\.kubernetes\.io/revision-history} {.status.readyReplicas}' 
expect_out "no third ReplicaSet for the undo" '^2$' rs_count web

# --- scale ---
$K scale deployment web --replicas=6 >/dev/null
expect_out "kubectl scale: 6 replicas roll out" 'successfully rolled out' \
	$K rollout status deployment/web --timeout=20s
expect_out "the active ReplicaSet is scaled to 6, annotated desired-replicas 6" '^6 6 6$' \
	jp "rs/$rs1" '{.spec.replicas} {.status.readyReplicas} {.metadata.annotations.deployment\.kubernetes\.io/desired-replicas}'

# --- pause / resume ---
$K rollout pause deployment/web >/dev/null
$K set image deployment/web c=nginx:1.27 >/dev/null
sleep 1.5
expect_out "paused: a template change makes no ReplicaSet" '^2$' rs_count web
expect_out "paused: Progressing Unknown/DeploymentPaused" '^Unknown DeploymentPaused$' \
	jp deploy/web '{.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].reason}'
$K scale deployment web --replicas=5 >/dev/null
until_true 10 replicas_are web "0 5"
expect_out "a paused Deployment still scales" '^5$' jp "rs/$rs1" '{.spec.replicas}'
$K rollout resume deployment/web >/dev/null
expect_out "resumed: the new template rolls out as revision 4" 'successfully rolled out' \
	$K rollout status deployment/web --timeout=20s
expect_out "revision 4 with image nginx:1.27" '^4 nginx:1.27$' \
	jp deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision} {.spec.template.spec.containers[0].image}'

# --- rollout restart ---
$K rollout restart deployment/web >/dev/null
expect_out "rollout restart: a new revision (5) rolls out" 'successfully rolled out' \
	$K rollout status deployment/web --timeout=20s
expect_out "revision 5, template annotated restartedAt" '^5 20' \
	jp deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision} {.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}'

# --- revisionHistoryLimit: the oldest ReplicaSets scaled to zero go ---
expect_out "four ReplicaSets kept so far (revisions 2 to 5)" '^4$' rs_count web
$K patch deploy web --type=merge -p '{"spec": {"revisionHistoryLimit": 1}}' >/dev/null
until_true 10 sh -c "[ \$($K get rs -l app=web -o name | wc -l) = 2 ]"
expect_out "revisionHistoryLimit 1: the current ReplicaSet and the newest old one (revisions 4, 5)" \
	'^4 5 $' revisions_of web

# --- minReadySeconds: pods count as available only after being ready that long ---
t0=$(date +%s%N)
deploy slow 2 nginx:1.25 '{"minReadySeconds": 2}'
$K rollout status deployment/slow --timeout=20s >/dev/null 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -ge 2000 ] && [ "$($K get rs -l app=slow -o 'jsonpath={.items[0].spec.minReadySeconds}')" = 2 ]; then
	ok "minReadySeconds 2: passed on to the ReplicaSet; the rollout completes no sooner"
else
	not_ok "minReadySeconds 2: passed on to the ReplicaSet; the rollout completes no sooner (${ms} ms)"
fi

# --- a hash collision: a foreign ReplicaSet holds the name, collisionCount moves on ---
deploy col 1 nginx:1.25
$K rollout status deployment/col --timeout=20s >/dev/null 2>&1
colrs=$($K get rs -l app=col -o 'jsonpath={.items[0].metadata.name}')
# Made foreign: no owner, labels the Deployment does not select; its name stays taken.
$K patch rs "$colrs" --type=merge -p '{"metadata": {"ownerReferences": null, "labels": {"app": "other"}}}' >/dev/null
expect_out "the name taken, the Deployment bumps status.collisionCount and rolls out under a new hash" \
	'successfully rolled out' $K rollout status deployment/col --timeout=20s
expect_out "status.collisionCount is 1" '^1$' jp deploy/col '{.status.collisionCount}'
if [ "$(rs_count col)" = 1 ] && ! $K get rs -l app=col -o name | grep -q "/$colrs\$"; then
	ok "the Deployment's ReplicaSet has another name than the foreign $colrs"
else
	not_ok "the Deployment's ReplicaSet has another name than the foreign $colrs"
	$K get rs -o wide | sed 's/^/# /'
fi

# --- Recreate: every old pod is gone before a new one exists ---
deploy rec 2 nginx:1.25 '{"strategy": {"type": "Recreate"}}'
$K rollout status deployment/rec --timeout=20s >/dev/null 2>&1
$K set image deployment/rec c=nginx:1.26 >/dev/null
sample rec 20 >"$WORK/recreate.samples"
expect_out "Recreate rolls out" 'successfully rolled out' \
	$K rollout status deployment/rec --timeout=20s
if awk '$3 > 0 && $4 > 0 { bad = 1 } END { exit bad }' "$WORK/recreate.samples"; then
	ok "Recreate: old and new pods never run side by side"
else
	not_ok "Recreate: old and new pods never run side by side"
	sed 's/^/# total ready old new: /' "$WORK/recreate.samples" | head -30
fi
expect_out "Recreate: the old ReplicaSet scaled to 0 before the new one scaled up" \
	'Scaled down replica set rec-[a-z0-9]+ from 2 to 0.*Scaled up replica set rec-[a-z0-9]+ from 0 to 2' \
	events_of rec

# --- progress deadline, and proportional scaling of a stuck rollout ---
deploy stuck 4 nginx:1.25 '{"progressDeadlineSeconds": 2, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}}'
$K rollout status deployment/stuck --timeout=20s >/dev/null 2>&1
$K patch deploy stuck --type=merge -p '{"spec": {"template": {"metadata": {"labels": {"never-ready": "true"}}, "spec": {"containers": [{"name": "c", "image": "nginx:broken"}]}}}}' >/dev/null
expect_out "rollout status fails once the progress deadline passes" 'exceeded its progress deadline' \
	$K rollout status deployment/stuck --timeout=20s
expect_out "Progressing False/ProgressDeadlineExceeded, as kube words it" \
	'^False ProgressDeadlineExceeded ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$' \
	jp deploy/stuck '{.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].reason} {.status.conditions[?(@.type=="Progressing")].message}'
expect_out "the stuck rollout holds at old 3 + new 2 (maxUnavailable 1, maxSurge 1)" \
	'^stuck-[a-z0-9]+=3/3 stuck-[a-z0-9]+=2/0$' rss stuck
expect_out "status counts unavailable replicas" '^5 2 3 2$' \
	jp deploy/stuck '{.status.replicas} {.status.updatedReplicas} {.status.availableReplicas} {.status.unavailableReplicas}'
$K scale deployment stuck --replicas=8 >/dev/null
until_true 10 replicas_are stuck "4 5"
expect_out "scaled to 8 mid-rollout: proportionally, old 3→5 and new 2→4 (9 = 8 + maxSurge 1)" \
	'^stuck-[a-z0-9]+=5/[0-9]+ stuck-[a-z0-9]+=4/0$' rss stuck

# --- a strategy no rollout could follow is refused, as a cluster's apiserver does ---
expect_out "maxSurge and maxUnavailable both 0 are refused with kube's message" \
	'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0' \
	$K patch deploy web --type=merge -p '{"spec": {"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}}}'

# --- a restart of the manager mid-rollout makes no second new ReplicaSet ---
deploy mid 4 nginx:1.25
$K rollout status deployment/mid --timeout=20s >/dev/null 2>&1
touch "$WORK/hold"
$K set image deployment/mid c=nginx:1.26 >/dev/null
until_true 10 sh -c "[ \$($K get rs -l app=mid -o name | wc -l) = 2 ]"
stop_controller_manager -KILL
start_controller_manager $CM_FLAGS
rm -f "$WORK/hold"
expect_out "after a restart mid-rollout the rollout completes" 'successfully rolled out' \
	$K rollout status deployment/mid --timeout=25s
expect_out "still two ReplicaSets" '^2$' rs_count mid
expect_out "revision 2" '^2$' revision deploy/mid

if grep -qiE 'segfault|assert|double free' "$WORK/cm.log"; then
	not_ok "the controller-manager log shows no crash"
	tail -20 "$WORK/cm.log" | sed 's/^/# /'
else
	ok "the controller-manager log shows no crash"
fi
finish
