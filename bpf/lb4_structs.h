/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lb4_structs.h — keys and values of the IPv4 load-balancer maps, shared with userspace. */
#ifndef KBPF_LB4_STRUCTS_H
#define KBPF_LB4_STRUCTS_H

/*
 * Every struct is padded by hand to a multiple of 4 bytes with named pad fields, so that
 * both sides see the same layout and keys can be zeroed completely before use.
 */

/* lb4_services key: one frontend. addr and port in network byte order. */
struct lb4_key {
	__be32 addr;
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

/*
 * lb4_services value. A frontend has two backend sets: ext_* for traffic from outside
 * the node (XDP on node devices; externalTrafficPolicy applies) and int_* for traffic
 * from pods (TC on pod veths; internalTrafficPolicy applies). Both are replaced in one
 * map update, so a packet sees either the old pair or the new one, never a mix.
 */
struct lb4_service {
	__u32 id;               /* frontend id: lb4_revnat key, lb4_stats index, in ct4 */
	__u32 flags;            /* SVC_F_* */
	__u32 ext_set;          /* lb4_slots set id for outside traffic */
	__u32 ext_count;        /* ready backends in ext_set (slots 0..count-1) */
	__u32 int_set;          /* lb4_slots set id for pod traffic */
	__u32 int_count;
	__u32 affinity_timeout; /* seconds, with SVC_F_AFFINITY */
	__u32 pad;
};

/* lb4_slots key: slot number within a backend set. Value: a backend id. */
struct lb4_slot_key {
	__u32 set;
	__u32 slot;
};

/* lb4_backends value, keyed by backend id (__u32). */
struct lb4_backend {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 flags; /* BE_F_* */
};

/* lb4_revnat value, keyed by frontend id: the address replies must appear to come from. */
struct lb4_revnat {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

/* lb4_affinity key and value: the backend a client was last sent to by a frontend. */
struct lb4_affinity_key {
	__be32 client;
	__u32 svc_id;
};

struct lb4_affinity {
	__u32 backend_id;
	__u32 last_used; /* CLOCK_MONOTONIC seconds */
};

/* lb4_stats value (per CPU), indexed by frontend id: traffic towards the frontend. */
struct lb4_stats {
	__u64 packets;
	__u64 bytes;
};

/* ct4 key: a flow as seen in one direction. */
struct ct4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 dir; /* CT_DIR_* */
	__u16 pad;
};

/*
 * ct4 value. Forward entries name the backend and, with CT_F_SNAT, the source the flow
 * was given. Reverse entries name the frontend to restore as source (via lb4_revnat) and
 * the client address and port to restore as destination.
 */
struct ct4_entry {
	__u32 expires;    /* CLOCK_MONOTONIC seconds after which the entry is dead */
	__u32 backend_id; /* forward: the flow's backend */
	__u32 rev_nat_id; /* frontend id */
	__be32 nat_addr;  /* forward: new source (SNAT); reverse: client address */
	__be16 nat_port;  /* forward: new source port; reverse: client port */
	__u16 flags;      /* CT_F_* */
};

/* lb4_frags key: one fragmented datagram; value: the L4 ports of its first fragment. */
struct lb4_frag_key {
	__be32 saddr;
	__be32 daddr;
	__be16 id;
	__u8 proto;
	__u8 pad;
};

struct lb4_frag {
	__be16 sport;
	__be16 dport;
};

/* lb4_names value, keyed by frontend id: "namespace/name:port" for people. Userspace only. */
struct lb4_name {
	char name[LB4_NAME_LEN];
};

#endif /* KBPF_LB4_STRUCTS_H */
