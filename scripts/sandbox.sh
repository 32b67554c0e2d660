#!/bin/bash
# sandbox.sh — `make up` / `make down` until `kbpfctl up` brings a whole cluster: a one-node
# sandbox on the local-cluster layout (node namespace kbpf-node1, outside namespace kbpf-ext,
# node network bridge kbpf0, the host's unreachable safety routes) running kbpf-agent's data
# plane on a file of Services, with a demo Service backed by two busybox httpd pods.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/podnet.sh"
BIN=$ROOT/build/bin
STATE=/var/lib/kbpf
NODE=node1
NODE_NS=kbpf-$NODE
EXT_NS=kbpf-ext
BRIDGE=kbpf0
HOST_IP=10.99.0.1
NODE_IP=10.99.0.11
EXT_IP=10.99.0.2
BPFFS=/sys/fs/bpf/kbpf/$NODE
# Safety routes: a broken load balancer must not leak a ClusterIP or pod packet onto the
# real network. The sandbox's own, more specific routes still win.
SAFETY_ROUTES="10.96.0.0/12 10.244.0.0/16 10.99.0.0/16"

step() { printf '%-52s' "$1..."; T0=$(date +%s%N); }
done_() { echo " done ($(( ($(date +%s%N) - T0) / 1000000 )) ms)"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

demo_objects() {
	cat <<'EOF'
{
  "apiVersion": "v1", "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": "demo", "namespace": "default"},
     "spec": {"type": "NodePort", "clusterIP": "10.96.0.100", "selector": {"app": "demo"},
              "ports": [{"name": "http", "port": 80, "targetPort": 80, "nodePort": 30080}]}},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "demo-1", "namespace": "default",
                  "labels": {"kubernetes.io/service-name": "demo"}},
     "addressType": "IPv4",
     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
     "endpoints": [
       {"addresses": ["10.244.0.11"], "conditions": {"ready": true}, "nodeName": "node1"},
       {"addresses": ["10.244.0.12"], "conditions": {"ready": true}, "nodeName": "node1"}]}
  ]
}
EOF
}

add_demo_pod() { # INDEX ADDRESS
	local i=$1 ns=kbpf-demo-$1
	podnet_attach "$ns" "$NODE_NS" "kbv-demo$i" "$2"
	mkdir -p "$STATE/demo/$i"
	echo "demo-$i" >"$STATE/demo/$i/index.html"
	in_ns "$ns" setsid busybox httpd -f -p 80 -h "$STATE/demo/$i" </dev/null >/dev/null 2>&1 &
}

up() {
	if ip netns list | grep -qw "$NODE_NS"; then
		echo "the sandbox is already up (make down removes it)"
		return 0
	fi
	trap 'echo; echo "failed; removing what was made"; down >/dev/null 2>&1' ERR
	grep -q ' /sys/fs/bpf bpf' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	mkdir -p "$STATE/logs"

	step "safety routes in the host namespace"
	for r in $SAFETY_ROUTES; do ip route replace unreachable "$r"; done
	done_

	step "node network $BRIDGE ($HOST_IP/24)"
	ip link add "$BRIDGE" type bridge
	ip addr add "$HOST_IP/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
	done_

	step "node $NODE ($NODE_NS, $NODE_IP) and outside ($EXT_NS, $EXT_IP)"
	for ns in "$NODE_NS" "$EXT_NS"; do
		ip netns add "$ns"
		in_ns "$ns" ip link set lo up
	done
	ip link add eth0 netns "$NODE_NS" type veth peer name kbpf-n1
	ip link add eth0 netns "$EXT_NS" type veth peer name kbpf-ext
	for p in kbpf-n1 kbpf-ext; do
		ip link set "$p" master "$BRIDGE"
		ip link set "$p" up
	done
	in_ns "$NODE_NS" ip addr add "$NODE_IP/24" dev eth0
	in_ns "$NODE_NS" ip link set eth0 up
	in_ns "$EXT_NS" ip addr add "$EXT_IP/24" dev eth0
	in_ns "$EXT_NS" ip link set eth0 up
	done_

	step "demo pods kbpf-demo-1, kbpf-demo-2 (busybox httpd)"
	add_demo_pod 1 10.244.0.11
	add_demo_pod 2 10.244.0.12
	done_

	step "kbpf-agent in $NODE_NS (data plane under $BPFFS)"
	[ -f "$STATE/objects.json" ] || demo_objects >"$STATE/objects.json"
	nsenter --net=/run/netns/"$NODE_NS" setsid "$BIN/kbpf-agent" \
		--from-file "$STATE/objects.json" --hostname-override "$NODE" \
		--node-ip "$NODE_IP" --devices eth0 --pod-device-prefix kbv \
		--bpffs-root "$BPFFS" </dev/null >>"$STATE/logs/agent.log" 2>&1 &
	echo $! >"$STATE/agent.pid"
	for _ in $(seq 1 100); do
		[ -e "$BPFFS/links/xdp_eth0" ] && break
		sleep 0.05
	done
	[ -e "$BPFFS/links/xdp_eth0" ] || { tail "$STATE/logs/agent.log"; false; }
	done_
	trap - ERR

	cat <<EOF

The sandbox is up. kbpf-apiserver, kbpf-scheduler and kbpf-controller-manager are built
(build/bin) but not started here: until kbpf-agent watches the apiserver and runs pods,
Services come from $STATE/objects.json.

  ip netns exec $EXT_NS wget -qO- http://$NODE_IP:30080/   # NodePort from outside
  ip netns exec kbpf-demo-1 wget -qO- http://10.96.0.100/   # ClusterIP from a pod
  $BIN/kbpfctl lb list                                 # the live maps
  kill -HUP \$(cat $STATE/agent.pid)                       # after editing objects.json
  make down                                                  # remove everything
EOF
}

down() {
	step "stopping kbpf-agent"
	if [ -f "$STATE/agent.pid" ]; then
		kill "$(cat "$STATE/agent.pid")" 2>/dev/null || true
		rm -f "$STATE/agent.pid"
	fi
	done_
	step "removing programs, links and pins"
	if ip netns list | grep -qw "$NODE_NS"; then
		nsenter --net=/run/netns/"$NODE_NS" "$BIN/kbpf-agent" --cleanup \
			--bpffs-root "$BPFFS" >/dev/null 2>&1 || true
	fi
	rm -rf "$BPFFS"
	rmdir /sys/fs/bpf/kbpf 2>/dev/null || true
	done_
	step "removing namespaces, links and routes"
	for ns in $(ip netns list | awk '{print $1}' | grep -E '^kbpf-(node[0-9]+|ext|demo-[0-9]+)$'); do
		ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns"
	done
	ip link del "$BRIDGE" 2>/dev/null || true
	for r in $SAFETY_ROUTES; do ip route del unreachable "$r" 2>/dev/null || true; done
	done_
}

case "${1:-}" in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
