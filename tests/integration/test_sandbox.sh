#!/bin/bash
# test_sandbox.sh — `make up`'s sandbox (scripts/sandbox.sh) comes up, serves its demo
# Service over NodePort and ClusterIP, survives a second `up`, and `down` leaves nothing.
. "$(dirname "$0")/lib.sh"
require_root_tools
command -v busybox >/dev/null || skip_all "busybox missing (make deps)"
ip netns list | grep -qw kbpf-node1 && skip_all "a sandbox is already up (make down first)"
SANDBOX=$ROOT/scripts/sandbox.sh
trap '"$SANDBOX" down >/dev/null 2>&1; rm -rf "$WORK"' EXIT

check "make up's sandbox comes up" "$SANDBOX" up
names() { # NS URL: the demo pods that answer 20 requests
	for _ in $(seq 1 20); do ip netns exec "$1" busybox wget -qO- "$2"; done | sort -u | tr '\n' ' '
}
check "the demo NodePort answers from outside with both pods" \
	bash -c "[ \"\$($(declare -f names); names kbpf-ext http://10.99.0.11:30080/)\" = 'demo-1 demo-2 ' ]"
check "the demo ClusterIP answers from a pod with both pods" \
	bash -c "[ \"\$($(declare -f names); names kbpf-demo-2 http://10.96.0.100/)\" = 'demo-1 demo-2 ' ]"
check "the host holds the unreachable safety routes" bash -c \
	"ip route | grep -q 'unreachable 10.96.0.0/12' && ip route | grep -q 'unreachable 10.244.0.0/16'"
check "a second up is harmless" bash -c "'$SANDBOX' up | grep -q 'already up'"
check "make down's sandbox removal leaves nothing" bash -c "
	'$SANDBOX' down >/dev/null &&
	! ip netns list | grep -q '^kbpf-' && ! ip link show kbpf0 2>/dev/null &&
	! ip route | grep -q unreachable && [ ! -e /sys/fs/bpf/kbpf/node1 ] &&
	! pgrep -f '[k]bpf-agent.*node1' && ! pgrep -f '[b]usybox httpd'"
finish
