#!/bin/bash
# test_cm_gc.sh — kbpf-controller-manager's garbage collector and namespace controller
# against a real kbpf-apiserver, driven with the real kubectl: cascading deletion in the
# background, in the foreground (the owner waits for the dependents that block it) and
# orphaning; dangling and invalid ownerReferences; a restart that finds work left over;
# namespace deletion with content and a finalizer-held object. Only ConfigMaps, Secrets,
# Nodes and namespaces own here: no other controller runs, none touches them. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
require_controller_manager
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
start_controller_manager --controllers garbagecollector,namespace ||
	{ not_ok "controller-manager starts"; finish; exit 1; }
K=kubectl

uid_of() { # uid_of KIND NAME [NAMESPACE]
	$K -n "${3:-default}" get "$1" "$2" -o 'jsonpath={.metadata.uid}'
}

# dependent KIND NAME OWNER-NAME OWNER-UID [block] [finalizer] [NAMESPACE]: a ConfigMap or
# Secret owned by ConfigMap OWNER-NAME.
dependent() {
	local block=${5:-false} fin=${6:-} ns=${7:-default}
	python3 - "$@" "$block" "$fin" "$ns" <<'EOF' | $K create -f - >/dev/null
import json, sys
kind, name, owner, uid = sys.argv[1:5]
block, fin, ns = sys.argv[-3:]
meta = {"name": name, "namespace": ns,
        "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner,
                             "uid": uid, "blockOwnerDeletion": block == "true"}]}
if fin:
    meta["finalizers"] = [fin]
print(json.dumps({"apiVersion": "v1", "kind": kind, "metadata": meta}))
EOF
}

gone() { # gone KIND NAME [NAMESPACE]
	! $K -n "${3:-default}" get "$1" "$2" >/dev/null 2>&1
}
all_gone() { # all_gone KIND/NAME...
	local o
	for o in "$@"; do gone "${o%%/*}" "${o#*/}" || return 1; done
}
present() { $K -n "${3:-default}" get "$1" "$2" >/dev/null 2>&1; }
finalizers() { $K -n "${3:-default}" get "$1" "$2" -o 'jsonpath={.metadata.finalizers}'; }
owners() { $K get "$1" "$2" -o 'jsonpath={.metadata.ownerReferences}'; }
release() { # release KIND NAME [NAMESPACE]: remove its finalizers
	$K -n "${3:-default}" patch "$1" "$2" --type=json \
		-p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
}

# --- Background: the owner goes at once, its dependents after it. -----------------------
$K create configmap bg-owner >/dev/null
U=$(uid_of configmap bg-owner)
dependent ConfigMap bg-dep1 bg-owner "$U"
dependent Secret bg-dep2 bg-owner "$U" true
$K create configmap bystander >/dev/null
$K delete configmap bg-owner --cascade=background >/dev/null
check "background: the dependents of a deleted owner are collected" \
	until_true 10 all_gone configmap/bg-dep1 secret/bg-dep2
check "background: an object without owners stays" present configmap bystander

# --- Foreground: dependents first, the owner last. A dependent with dependents of its own
# goes in the foreground too; one held by its own finalizer holds the whole chain. ---------
$K create configmap fg-owner >/dev/null
U=$(uid_of configmap fg-owner)
dependent Secret fg-dep fg-owner "$U" true
dependent ConfigMap fg-mid fg-owner "$U" true
dependent ConfigMap fg-leaf fg-mid "$(uid_of configmap fg-mid)" true example.com/hold
$K delete configmap fg-owner --cascade=foreground --wait=false >/dev/null
check "foreground: a dependent goes while its owner waits" until_true 10 gone secret fg-dep
mid_foreground() {
	[ -n "$($K get cm fg-mid -o 'jsonpath={.metadata.deletionTimestamp}')" ] &&
		finalizers configmap fg-mid | grep -q foregroundDeletion
}
check "foreground: a dependent with dependents is deleted in the foreground too" \
	until_true 10 mid_foreground
check "foreground: a dependent held by its own finalizer is being deleted" \
	until_true 5 test -n "$($K get cm fg-leaf -o 'jsonpath={.metadata.deletionTimestamp}')"
sleep 1
expect_out "foreground: the owner waits with its foregroundDeletion finalizer" \
	'foregroundDeletion' finalizers configmap fg-owner
release configmap fg-leaf
check "foreground: the owner goes once its blocking dependents are gone" \
	until_true 10 all_gone configmap/fg-leaf configmap/fg-mid configmap/fg-owner

# --- Orphan: dependents stay, without the ownerReference. ------------------------------
$K create configmap or-owner >/dev/null
U=$(uid_of configmap or-owner)
dependent ConfigMap or-dep1 or-owner "$U" true
dependent Secret or-dep2 or-owner "$U"
$K delete configmap or-owner --cascade=orphan >/dev/null
check "orphan: the owner is gone" until_true 10 gone configmap or-owner
orphaned() { # orphaned KIND/NAME...: present, without ownerReferences
	local o
	for o in "$@"; do
		present "${o%%/*}" "${o#*/}" && [ -z "$(owners "${o%%/*}" "${o#*/}")" ] || return 1
	done
}
check "orphan: the dependents stay, their ownerReferences removed" \
	until_true 5 orphaned configmap/or-dep1 secret/or-dep2

# --- Dangling references: an owner uid that never existed, or a same-named successor. ---
$K create configmap successor >/dev/null
U=$(uid_of configmap successor)
dependent Secret dangling-never nobody 6b1f2d1e-0000-4000-8000-000000000001
dependent Secret dangling-replaced successor 6b1f2d1e-0000-4000-8000-000000000002
dependent Secret owned-by-successor successor "$U"
check "dangling: a dependent of an owner that never existed is collected" \
	until_true 10 gone secret dangling-never
check "dangling: a dependent of a replaced owner (same name, new uid) is collected" \
	until_true 10 gone secret dangling-replaced
check "dangling: a dependent of the live owner stays" present secret owned-by-successor

# A cluster-scoped object naming a namespaced owner: invalid, reported, never collected.
$K create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gc-node", "ownerReferences": [
 {"apiVersion": "v1", "kind": "ConfigMap", "name": "successor", "uid": "$U"}]}}
EOF
invalid_event() {
	$K get events -A --field-selector reason=OwnerRefInvalidNamespace \
		-o 'jsonpath={.items[*].involvedObject.name}' | grep -qw gc-node
}
check "cluster-scoped dependent of a namespaced owner: event OwnerRefInvalidNamespace" \
	until_true 10 invalid_event
check "cluster-scoped dependent of a namespaced owner: not collected" present node gc-node

# A namespaced owner in another namespace: reported, and garbage (no such owner here).
$K create namespace elsewhere >/dev/null
dependent Secret cross-ns successor "$U" false "" elsewhere
cross_event() {
	$K -n elsewhere get events --field-selector reason=OwnerRefInvalidNamespace \
		-o 'jsonpath={.items[*].involvedObject.name}' | grep -qw cross-ns
}
check "cross-namespace owner: event OwnerRefInvalidNamespace" until_true 10 cross_event
check "cross-namespace owner: the dependent is collected" \
	until_true 10 gone secret cross-ns elsewhere

# --- A crash and a restart: work left while the manager was down is done. --------------
stop_controller_manager -KILL
$K create configmap rs-owner >/dev/null
U=$(uid_of configmap rs-owner)
dependent Secret rs-dep rs-owner "$U"
$K create configmap rs-fg-owner >/dev/null
U=$(uid_of configmap rs-fg-owner)
dependent Secret rs-fg-dep rs-fg-owner "$U" true
$K delete configmap rs-owner >/dev/null
$K delete configmap rs-fg-owner --cascade=foreground --wait=false >/dev/null
sleep 0.5
if present secret rs-dep && present configmap rs-fg-owner; then
	ok "restart: nothing is collected while the manager is down"
else
	not_ok "restart: nothing is collected while the manager is down"
fi
start_controller_manager --controllers garbagecollector,namespace ||
	not_ok "controller-manager restarts"
check "restart: the graph is rebuilt and what was left is collected" \
	until_true 10 all_gone secret/rs-dep secret/rs-fg-dep configmap/rs-fg-owner

# --- Namespace deletion. ----------------------------------------------------------------
content() { # content NAMESPACE: a pod, a ConfigMap, a Service, a Secret
	$K create namespace "$1" >/dev/null
	$K -n "$1" run web --image=nginx --restart=Never >/dev/null
	$K -n "$1" create configmap conf >/dev/null
	$K -n "$1" create service clusterip web --tcp=80:8080 >/dev/null
	$K -n "$1" create secret generic pass >/dev/null
}
left_in() { $K -n "$1" get pods,configmaps,services,secrets -o name 2>/dev/null; }

content team-a
start=$(date +%s)
if timeout 10 $K delete namespace team-a >/dev/null 2>&1; then
	ok "namespace: kubectl delete namespace returns once it is gone" \
		"($(($(date +%s) - start)) s)"
else
	not_ok "namespace: kubectl delete namespace returns once it is gone"
	$K get namespace team-a -o yaml 2>&1 | sed 's/^/# /'
fi
check "namespace: no pod, ConfigMap, Service or Secret of it is left" test -z "$(left_in team-a)"

content team-b
$K -n team-b create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "ConfigMap",
 "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
EOF
$K delete namespace team-b --wait=false >/dev/null
cond() { # cond NAMESPACE TYPE: "STATUS REASON MESSAGE"
	$K get namespace "$1" \
		-o "jsonpath={.status.conditions[?(@.type==\"$2\")]['status','reason','message']}"
}
fins_cond() {
	cond team-b NamespaceFinalizersRemaining | grep -q "True SomeFinalizersRemain Some content \
in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
}
check "namespace: a finalizer-held object keeps it (NamespaceFinalizersRemaining)" \
	until_true 10 fins_cond
expect_out "namespace: NamespaceContentRemaining names what is left" \
	'True SomeResourcesRemain Some resources are remaining: configmaps. has 1 resource inst' \
	cond team-b NamespaceContentRemaining
expect_out "namespace: NamespaceDeletionDiscoveryFailure is False" \
	'False ResourcesDiscovered' cond team-b NamespaceDeletionDiscoveryFailure
expect_out "namespace: NamespaceDeletionContentFailure is False" \
	'False ContentDeleted' cond team-b NamespaceDeletionContentFailure
expect_out "namespace: phase Terminating" '^Terminating$' \
	$K get namespace team-b -o 'jsonpath={.status.phase}'
check "namespace: everything else in it is deleted" test "$(left_in team-b)" = configmap/held
release configmap held team-b
check "namespace: it goes once the finalizer is released" until_true 15 gone namespace team-b

stop_controller_manager -KILL
finish
