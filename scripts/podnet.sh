# podnet.sh — the pod network wiring kbpf uses on a node (sourced by the sandbox and the
# tests): a pod namespace joined to its node namespace by a routed veth, Calico/Cilium
# style. The pod holds a /32 and reaches everything through the link-local gateway
# 169.254.1.1, which is the node side of the veth (a static neighbour, no ARP needed).

# podnet_attach POD_NS NODE_NS HOST_IF POD_IP
podnet_attach() {
	local pod_ns=$1 node_ns=$2 host_if=$3 ip=$4 gw_mac
	ip netns add "$pod_ns"
	ip link add eth0 netns "$pod_ns" type veth peer name "$host_if" netns "$node_ns"
	ip netns exec "$pod_ns" ip link set lo up
	ip netns exec "$pod_ns" ip link set eth0 up
	ip netns exec "$pod_ns" ip addr add "$ip/32" dev eth0
	ip netns exec "$pod_ns" ip route add 169.254.1.1 dev eth0 scope link
	ip netns exec "$pod_ns" ip route add default via 169.254.1.1 dev eth0
	gw_mac=$(ip netns exec "$node_ns" cat "/sys/class/net/$host_if/address")
	ip netns exec "$pod_ns" ip neigh add 169.254.1.1 lladdr "$gw_mac" dev eth0 nud permanent
	ip netns exec "$node_ns" ip link set "$host_if" up
	ip netns exec "$node_ns" ip route add "$ip/32" dev "$host_if"
}
