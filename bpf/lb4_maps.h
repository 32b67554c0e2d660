/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lb4_maps.h — the maps of the IPv4 load balancer. Pinned by the agent under
 * /sys/fs/bpf/kbpf/<node>/ with the names below (docs/DATAPLANE.md). */
#ifndef KBPF_LB4_MAPS_H
#define KBPF_LB4_MAPS_H

/* Frontends: (address, port, protocol) -> service entry. Written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_MAX_SERVICES);
	__type(key, struct lb4_key);
	__type(value, struct lb4_service);
} lb4_services SEC(".maps");

/* Backend sets: (set id, slot) -> backend id. Written by the agent before the frontend
 * that points at the set, deleted a grace period after the last frontend left it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_MAX_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb4_slot_key);
	__type(value, __u32);
} lb4_slots SEC(".maps");

/* Backends: backend id -> address, port, flags. Written by the agent; terminating
 * backends stay here (for their flows) while they are out of every set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb4_backend);
} lb4_backends SEC(".maps");

/* Reverse NAT: frontend id -> frontend address and port. Written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb4_revnat);
} lb4_revnat SEC(".maps");

/* Conntrack: both directions of every translated flow. Written by the programs; expired
 * entries are removed by the agent's garbage collector or evicted by LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT4_MAX);
	__type(key, struct ct4_key);
	__type(value, struct ct4_entry);
} ct4 SEC(".maps");

/* ClientIP session affinity: (client, frontend id) -> backend. Written by the programs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB4_MAX_AFFINITY);
	__type(key, struct lb4_affinity_key);
	__type(value, struct lb4_affinity);
} lb4_affinity SEC(".maps");

/* Per-frontend traffic counters, indexed by frontend id. Written by the programs,
 * zeroed by the agent when it hands out an id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB4_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb4_stats);
} lb4_stats SEC(".maps");

/* Fragmented datagrams: first fragment's ports, for the fragments that follow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB4_MAX_FRAGS);
	__type(key, struct lb4_frag_key);
	__type(value, struct lb4_frag);
} lb4_frags SEC(".maps");

/* Display names of frontends, for kbpfctl and bpftool. Written and read by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_MAX_SERVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lb4_name);
} lb4_names SEC(".maps");

/* Decision counters (enum kbpf_metric), per CPU. Written by the programs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, M_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kbpf_metrics SEC(".maps");

static __always_inline void metric_inc(__u32 m)
{
	__u64 *v = bpf_map_lookup_elem(&kbpf_metrics, &m);

	if (v)
		*v += 1;
}

#endif /* KBPF_LB4_MAPS_H */
