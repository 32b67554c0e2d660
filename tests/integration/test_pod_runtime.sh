#!/bin/bash
# test_pod_runtime.sh — the agent's pod runtime (userspace/pod_runtime.c) with real runc:
# a busybox pod in its own netns on a node namespace, reached from a client namespace;
# its cgroup limits, CRI-format logs, exit codes, SIGTERM-then-SIGKILL stops, a second
# process never reusing an address, and a teardown (also of a half-made pod) that leaves
# no netns, veth, cgroup, mount, runc state or IPAM entry.
#
#   $T-cli eth0 10.99.0.2/24 ── eth0 10.99.0.1/24 $T-node ── kbv* ── eth0 kbpf-pod-<uid>
#   (10.244.0.0/24 via the node)          (pod CIDR 10.244.0.0/24)
. "$(dirname "$0")/lib.sh"

PODRUN=${PODRUN:-$BUILD/tests/kbpf-podrun}
NS_CLI=$T-cli
CGP=$T.slice
STATE=$WORK/state
LOGS=$WORK/logs
ROOTFS=$WORK/rootfs
UID1=$T-p1
UID2=$T-p2
UID3=$T-p3
UID4=$T-p4

podrun() {
	nsenter --net=/run/netns/"$NS_NODE" "$PODRUN" --state-dir "$STATE" --log-dir "$LOGS" \
		--pod-cidr 10.244.0.0/24 --cgroup-parent "$CGP" --pod-max-pids 64 "$@"
}

cleanup_pods() {
	local u m d
	for u in $UID1 $UID2 $UID3 $UID4; do
		[ -x "$PODRUN" ] && [ -d "$STATE" ] && podrun teardown "$u" >/dev/null 2>&1
	done
	# Whatever teardown could not remove (it failed, or the test broke before it).
	pkill -9 -f "__kbpf-shim .*$STATE" 2>/dev/null
	for c in $(runc --root "$STATE/runc" list -q 2>/dev/null); do
		runc --root "$STATE/runc" delete --force "$c" >/dev/null 2>&1
	done
	awk -v w="$WORK" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
	for u in $UID1 $UID2 $UID3 $UID4; do ip netns del "kbpf-pod-$u" 2>/dev/null; done
	for d in $(cg_dirs "$CGP" | sort -r); do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
}
trap 'cleanup_pods; cleanup' EXIT

# Every directory named REL in any cgroup hierarchy.
cg_dirs() {
	awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/mounts | while read -r m; do
		[ -d "$m/$1" ] && echo "$m/$1"
	done
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x "$PODRUN" ] || skip_all "$PODRUN is not built (run make)"
command -v runc >/dev/null || skip_all "runc missing (scripts/deps.sh)"
[ -x /bin/busybox ] || skip_all "busybox-static missing"
CG2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CG2" ] || skip_all "no cgroup2 mount"

# A busybox rootfs, as the image store will hand it over: one layer directory.
mkdir -p "$ROOTFS/bin" "$ROOTFS/www"
cp /bin/busybox "$ROOTFS/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$ROOTFS/bin/$a"; done
echo hello-pod >"$ROOTFS/www/index.html"

ip netns add "$NS_NODE"
ip netns add "$NS_CLI"
veth_pair eth0 "$NS_CLI" eth0 "$NS_NODE"
in_ns "$NS_NODE" ip link set lo up
in_ns "$NS_NODE" ip addr add 10.99.0.1/24 dev eth0
in_ns "$NS_NODE" ip link set eth0 up
in_ns "$NS_NODE" sysctl -qw net.ipv4.ip_forward=1
in_ns "$NS_CLI" ip link set lo up
in_ns "$NS_CLI" ip addr add 10.99.0.2/24 dev eth0
in_ns "$NS_CLI" ip link set eth0 up
in_ns "$NS_CLI" ip route add 10.244.0.0/24 via 10.99.0.1

cat >"$WORK/pod1.json" <<EOF2
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "web", "namespace": "default", "uid": "$UID1"},
 "spec": {"containers": [
  {"name": "httpd", "command": ["sh", "-c"],
   "args": ["echo started on \$(POD_NAME); echo oops >&2; exec httpd -f -p 8080 -h /www"],
   "env": [{"name": "POD_NAME", "value": "web"}],
   "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}}},
  {"name": "quitter", "command": ["sh", "-c", "echo bye; exit 7"],
   "resources": {"limits": {"cpu": "250m", "memory": "32Mi"}}},
  {"name": "graceful", "command": ["sh", "-c",
   "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.1; done"],
   "resources": {"limits": {"cpu": "250m", "memory": "32Mi"}}}]}}
EOF2
sed -e "s/$UID1/$UID2/" -e 's/"web"/"web2"/' "$WORK/pod1.json" >"$WORK/pod2.json"
cat >"$WORK/pod3.json" <<EOF2
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "broken", "namespace": "default", "uid": "$UID3"},
 "spec": {"containers": [{"name": "nope", "command": ["/no/such/binary"]}]}}
EOF2

check "pod created with real runc" podrun run "$WORK/pod1.json" "$ROOTFS"
NETNS=kbpf-pod-$UID1
POD_IP=$(in_ns "$NETNS" ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
check "pod has 10.244.0.2/32 on eth0 in its own netns" test "$POD_IP" = 10.244.0.2/32
HOST_IF=$(in_ns "$NS_NODE" ip -o link show type veth | awk -F': ' '{print $2}' | sed 's/@.*//' |
	grep '^kbv')
check "host side of the veth is on the node, named kbv*" test -n "$HOST_IF"
check "ip netns sees the pod netns" sh -c "ip netns list | grep -q '^$NETNS'"
fetch() { in_ns "$NS_CLI" wget -qO- http://10.244.0.2:8080/index.html | grep -qx hello-pod; }
check "client namespace reaches the pod's httpd through the node" fetch

# Limits: v2 files where the controller lives in v2, the v1 ones where it does not (hybrid).
POD_CG=$CGP/pod$UID1
check "pod cgroup exists under the cgroup2 mount" test -d "$CG2/$POD_CG"
cg_value() { # cg_value V2FILE V1CONTROLLER V1FILE
	if grep -qw "${1%%.*}" "$CG2/$POD_CG/cgroup.controllers" 2>/dev/null; then
		cat "$CG2/$POD_CG/$1"
	else
		cat "$(awk -v c="$2" '$3 == "cgroup" && $4 ~ "(^|,)" c "(,|$)" {print $2; exit}' \
			/proc/mounts)/$POD_CG/$3"
	fi
}
mem=$(cg_value memory.max memory memory.limit_in_bytes)
check "pod memory limit is 128Mi (64Mi+32Mi+32Mi): $mem" test "$mem" = 134217728
cpu=$(cg_value cpu.max cpu cpu.cfs_quota_us)
check "pod cpu limit is 1000m: $cpu" sh -c "[ '$cpu' = '100000 100000' ] || [ '$cpu' = 100000 ]"
pids=$(cg_value pids.max pids pids.max)
check "pod pids.max is 64: $pids" test "$pids" = 64
HTTPD_PID=$(podrun status "$UID1" httpd | json_get 'd["pid"]')
check "httpd runs in the pod's v2 cgroup (where cgroup BPF programs attach)" \
	grep -qx "0::/$POD_CG/httpd" "/proc/$HTTPD_PID/cgroup"
if grep -qw memory "$CG2/$POD_CG/cgroup.controllers" 2>/dev/null; then
	ctr_mem=$(cat "$CG2/$POD_CG/httpd/memory.max")
else
	ctr_mem=$(cat "$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' \
		/proc/mounts)/$POD_CG/httpd/memory.limit_in_bytes")
fi
check "container memory limit is 64Mi: $ctr_mem" test "$ctr_mem" = 67108864

LOG=$LOGS/default_web_$UID1/httpd/0.log
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z'
check "CRI log: stdout line with \$(POD_NAME) expanded" \
	grep -qE "^$TS stdout F started on web\$" "$LOG"
check "CRI log: stderr line" grep -qE "^$TS stderr F oops\$" "$LOG"

exited_with() { # exited_with UID NAME CODE
	podrun status "$1" "$2" |
		json_get "assert d['state'] == 'exited' and d['exitCode'] == $3, d"
}
check "a container that exits reports exit code 7" until_true 5 exited_with "$UID1" quitter 7
check "its log holds its output" \
	grep -qE "^$TS stdout F bye\$" "$LOGS/default_web_$UID1/quitter/0.log"

adopted() {
	podrun list | json_get "
p = [x for x in d if x['uid'] == '$UID1'][0]
c = {x['name']: x for x in p['containers']}
assert p['ip'] == '10.244.0.2' and c['httpd']['state'] == 'running', p
"
}
check "list shows the pod, its IP and running httpd (for adoption)" adopted

# A process that handles SIGTERM stops on it; one that does not (httpd as pid 1 ignores
# it) is killed when the grace period ends.
until_true 5 grep -q ready "$LOGS/default_web_$UID1/graceful/0.log"
t=$(podrun stop "$UID1" graceful 10)
check "SIGTERM stops a container that handles it at once ($t s)" \
	awk -v t="$t" 'BEGIN { exit !(t < 3) }'
check "... with its own exit code 3" exited_with "$UID1" graceful 3
check "... after running its TERM handler" grep -q "stdout F got TERM" \
	"$LOGS/default_web_$UID1/graceful/0.log"
t=$(podrun stop "$UID1" httpd 2)
check "SIGKILL after the 2 s grace period ($t s)" awk -v t="$t" 'BEGIN { exit !(t >= 2 && t < 5) }'
check "... exit code 137" exited_with "$UID1" httpd 137

# A second process (a restarted agent) never hands out the first pod's address.
check "second pod created by a new process" podrun run "$WORK/pod2.json" "$ROOTFS"
IP2=$(in_ns "kbpf-pod-$UID2" ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
check "second pod got 10.244.0.3/32, not the first pod's address" test "$IP2" = 10.244.0.3/32

# hostNetwork: no netns, veth or address of its own; the container sees the node's network.
cat >"$WORK/pod4.json" <<EOF2
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "hostnet", "namespace": "default", "uid": "$UID4"},
 "spec": {"hostNetwork": true,
          "containers": [{"name": "show", "command": ["ip", "-o", "-4", "addr"]}]}}
EOF2
check "hostNetwork pod created" podrun run "$WORK/pod4.json" "$ROOTFS"
check "... its container sees the node's address" until_true 5 \
	grep -q "stdout F .*inet 10.99.0.1/24" "$LOGS/default_hostnet_$UID4/show/0.log"
check "... and has no netns of its own" sh -c "! ip netns list | grep -q '^kbpf-pod-$UID4'"
check "... teardown" podrun teardown "$UID4"

# A pod whose container cannot start: the error says why, teardown still cleans it.
out=$(podrun run "$WORK/pod3.json" "$ROOTFS" 2>&1)
check "a container runc refuses fails with runc's reason" \
	sh -c "echo '$out' | grep -q 'no such file'"

gone() { # gone UID: nothing of the pod is left
	local u=$1 bad=""
	ip netns list | grep -q "^kbpf-pod-$u" && bad="$bad netns"
	[ -n "$(cg_dirs "$CGP/pod$u")" ] && bad="$bad cgroup"
	grep -q "$STATE/pods/$u/" /proc/mounts && bad="$bad mount"
	runc --root "$STATE/runc" list -q | grep -q "^${u}_" && bad="$bad runc"
	grep -rqx "$u" "$STATE/ipam" 2>/dev/null && bad="$bad ipam"
	[ -e "$STATE/pods/$u" ] && bad="$bad state"
	pgrep -f "__kbpf-shim .*/pods/$u/" >/dev/null && bad="$bad shim"
	[ -z "$bad" ] || { echo "left:$bad"; return 1; }
}
HOSTIF2=$(podrun list | json_get "[x for x in d if x['uid'] == '$UID2'][0]['hostIf']")
check "teardown of the pod with a live container" podrun teardown "$UID2"
check "... leaves no netns, cgroup, mount, runc state, IPAM entry or shim" gone "$UID2"
check "... nor its veth $HOSTIF2" sh -c "! ip -n $NS_NODE link show dev '$HOSTIF2' 2>/dev/null"
check "teardown of the stopped pod" podrun teardown "$UID1"
check "... leaves nothing" gone "$UID1"
check "teardown of the half-made pod" podrun teardown "$UID3"
check "... leaves nothing" gone "$UID3"
check "the hostNetwork pod left nothing" gone "$UID4"
nveth=$(in_ns "$NS_NODE" ip -o link show type veth | grep -c kbv)
check "no pod veth is left on the node" test "$nveth" = 0
check "teardown of a pod that is not there is fine" podrun teardown "$UID1"
check "the logs stay for kubectl logs --previous" test -s "$LOG"

finish
