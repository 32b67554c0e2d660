#!/bin/bash
# test_cm_leader.sh — two kbpf-controller-managers against one apiserver: one leads and
# runs the controllers, the other waits; the standby takes over when the leader dies and
# at once when it stops cleanly; the new leader carries on without handing out twice
# what the old one gave (node pod CIDRs). TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
. "$(dirname "$0")/controlplane.sh"
trap cleanup EXIT
require_apiserver
require_controller_manager
start_apiserver || { not_ok "apiserver starts"; finish; exit 1; }
K=kubectl

cidr_of() {
	$K get node "$1" -o 'jsonpath={.spec.podCIDR}' 2>/dev/null
}

has_cidr() {
	[ -n "$(cidr_of "$1")" ]
}

holder() {
	$K -n kube-system get lease kbpf-controller-manager -o 'jsonpath={.spec.holderIdentity}' \
		2>/dev/null
}

launch_controller_manager "$WORK/cm1.log" --controllers nodeipam
CM1=$CM_PID
until_true 10 grep -q "started the controllers$" "$WORK/cm1.log"
launch_controller_manager "$WORK/cm2.log" --controllers nodeipam
CM2=$CM_PID
until_true 5 grep -q "waiting for the lease" "$WORK/cm2.log"
fake_node n1
until_true 5 has_cidr n1
h=$(holder)
if grep -q "started the controllers$" "$WORK/cm1.log" && [ "${h##*_}" = "$CM1" ] &&
	grep -q "waiting for the lease" "$WORK/cm2.log" &&
	! grep -q "started the" "$WORK/cm2.log"; then
	ok "one manager leads (lease held by $h), the other waits and runs nothing"
else
	not_ok "one manager leads, the other waits (holder '$h')"
	sed 's/^/# cm2: /' "$WORK/cm2.log"
fi
check "the leader gives a new node its pod CIDR ($(cidr_of n1))" has_cidr n1

# The leader dies without a word: the standby waits the lease (4 s) out, then leads.
{ kill -9 "$CM1"; wait "$CM1"; } 2>/dev/null
t0=$(date +%s%N)
fake_node n2
until_true 15 has_cidr n2
ms=$((($(date +%s%N) - t0) / 1000000))
if [ -n "$(cidr_of n2)" ] && [ "$ms" -lt 9000 ] && grep -q "started the controllers$" "$WORK/cm2.log"; then
	ok "after the leader is killed the standby takes over (${ms} ms; lease 4 s)"
else
	not_ok "after the leader is killed the standby takes over within 9 s (${ms} ms; lease 4 s)"
	sed 's/^/# cm2: /' "$WORK/cm2.log"
fi
if [ -n "$(cidr_of n2)" ] && [ "$(cidr_of n1)" != "$(cidr_of n2)" ]; then
	ok "the new leader does not hand out the old leader's CIDR again ($(cidr_of n1), $(cidr_of n2))"
else
	not_ok "the new leader does not hand out the old leader's CIDR again ('$(cidr_of n1)', '$(cidr_of n2)')"
fi
check "the lease names the new leader" test "$(holder | sed 's/.*_//')" = "$CM2"

# A leader that stops cleanly releases the lease: the next one leads without waiting.
launch_controller_manager "$WORK/cm3.log" --controllers nodeipam
CM3=$CM_PID
until_true 5 grep -q "waiting for the lease" "$WORK/cm3.log"
kill -TERM "$CM2"
t0=$(date +%s%N)
until_true 5 grep -q "started the controllers$" "$WORK/cm3.log"
ms=$((($(date +%s%N) - t0) / 1000000))
if grep -q "started the controllers$" "$WORK/cm3.log" && [ "$ms" -lt 3000 ]; then
	ok "SIGTERM releases the lease: the standby leads within ${ms} ms"
else
	not_ok "SIGTERM releases the lease: the standby leads quickly (${ms} ms)"
	sed 's/^/# cm3: /' "$WORK/cm3.log"
fi
if wait "$CM2" 2>/dev/null; then
	ok "the old leader exits 0 on SIGTERM"
else
	not_ok "the old leader exits 0 on SIGTERM"
fi

expect_out "an unknown controller name is refused with a message" 'no controller named "nosuch"' \
	"$CONTROLLER_MANAGER" --controllers '*,-nosuch'
expect_out "--help lists the controllers" 'Controllers:.*nodeipam' "$CONTROLLER_MANAGER" --help
kill -TERM "$CM3" 2>/dev/null
finish
