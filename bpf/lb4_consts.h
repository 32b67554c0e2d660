/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lb4_consts.h — constants shared by the IPv4 load-balancer programs and userspace. */
#ifndef KBPF_LB4_CONSTS_H
#define KBPF_LB4_CONSTS_H

/*
 * Default map sizes. The agent overrides them before load (--lb-max-* flags);
 * a pinned map is reused only when its size matches (docs/DATAPLANE.md).
 */
#ifndef LB4_MAX_SERVICES
/* Frontends (address, port, protocol): 64k Services with ClusterIP + NodePort + LB IP each. */
#define LB4_MAX_SERVICES 262144
#endif
#ifndef LB4_MAX_BACKENDS
/* Backends (address, port, protocol), ready or terminating. */
#define LB4_MAX_BACKENDS 262144
#endif
#ifndef LB4_MAX_SLOTS
/* Backend slots over all backend sets, with room for sets being replaced. */
#define LB4_MAX_SLOTS 1048576
#endif
#ifndef CT4_MAX
/* Conntrack entries; each translated flow takes two (forward and reply). */
#define CT4_MAX 524288
#endif
#ifndef LB4_MAX_AFFINITY
/* ClientIP session-affinity records (client, frontend). */
#define LB4_MAX_AFFINITY 131072
#endif
#ifndef LB4_MAX_FRAGS
/* First fragments remembered so that later fragments of a datagram follow it. */
#define LB4_MAX_FRAGS 8192
#endif

/* Longest "namespace/name:port" kept in lb4_names for display. */
#define LB4_NAME_LEN 128

/* lb4_service.flags: what kind of frontend this is and how it treats traffic. */
#define SVC_F_CLUSTERIP    (1 << 0)
#define SVC_F_NODEPORT     (1 << 1)
#define SVC_F_EXTERNALIP   (1 << 2)
#define SVC_F_LOADBALANCER (1 << 3)
/* Frontends reachable from outside: the XDP program serves only these. */
#define SVC_F_EXTERNAL     (SVC_F_NODEPORT | SVC_F_EXTERNALIP | SVC_F_LOADBALANCER)
/* sessionAffinity: ClientIP; affinity_timeout holds the timeout in seconds. */
#define SVC_F_AFFINITY     (1 << 4)
/* externalTrafficPolicy: Local — client source kept, local endpoints only. */
#define SVC_F_ETP_LOCAL    (1 << 5)
/* internalTrafficPolicy: Local. */
#define SVC_F_ITP_LOCAL    (1 << 6)
/*
 * An empty set normally means "no endpoints": reject like kube-proxy. These flags say
 * the set is empty only because a Local policy left no local endpoint: drop instead.
 */
#define SVC_F_EXT_DROP     (1 << 7)
#define SVC_F_INT_DROP     (1 << 8)

/* lb4_backend.flags */
#define BE_F_LOCAL       (1 << 0) /* the endpoint runs on this node */
#define BE_F_TERMINATING (1 << 1) /* not ready: keeps its flows, gets no new ones */
/* Gone from every EndpointSlice: its flows move to other backends (as kube-proxy flushes
 * their conntrack entries); the entry itself goes after the retire grace period. */
#define BE_F_REMOVED     (1 << 2)

/* ct4_key.dir */
#define CT_DIR_FWD 0 /* client -> frontend, as the packet arrives */
#define CT_DIR_REV 1 /* backend -> client (or SNAT address), as the reply arrives */

/* ct4_entry.flags */
#define CT_F_SNAT    (1 << 0) /* source rewritten to the node (remote backend) */
#define CT_F_HAIRPIN (1 << 1) /* a pod reaching itself: source rewritten to hairpin_ip */
#define CT_F_CLOSING (1 << 2) /* FIN or RST seen: short timeout */
#define CT_F_REPLIED (1 << 3) /* a reply was seen: established timeout */
#define CT_F_EXTERNAL (1 << 4) /* created by the XDP program for outside traffic */

/* Default conntrack timeouts in seconds (rodata, overridable by the agent). */
#define CT_TIMEOUT_TCP_SYN   60
#define CT_TIMEOUT_TCP       21600
#define CT_TIMEOUT_TCP_CLOSE 10
#define CT_TIMEOUT_UDP       60
/* A live entry is rewritten at most this often (seconds) to refresh its expiry. */
#define CT_REFRESH_INTERVAL  1

/* Default ClientIP affinity timeout: Kubernetes' sessionAffinityConfig default (3 h). */
#define AFFINITY_TIMEOUT_DEFAULT 10800

/* Source ports the XDP program picks from when it SNATs to the node address. */
#define SNAT_PORT_MIN 61000
#define SNAT_PORT_MAX 65535
#define SNAT_PORT_TRIES 8

/* Value XDP puts in packet metadata to ask the device's TC program for a reject. */
#define KBPF_META_REJECT 0x6b627266 /* "kbrf" */

/* Handle and priority of kbpf's TC filters, so that restarts replace only ours. */
#define KBPF_TC_HANDLE   0x6b62 /* "kb" */
#define KBPF_TC_PRIORITY 1

/*
 * kbpf_metrics indexes: one counter per decision the programs take on a packet, so that
 * every pass and drop has a countable reason (kbpfctl metrics, docs/DATAPLANE.md).
 */
enum kbpf_metric {
	M_PASS_NOT_IPV4 = 0,    /* not IPv4 (ARP, IPv6, VLAN), or a runt frame: passed */
	M_PASS_OTHER_PROTO,     /* IPv4 but not TCP/UDP/ICMP: passed */
	M_PASS_NO_SERVICE,      /* no frontend and no tracked reply: passed untouched */
	M_PASS_CLUSTERIP_EXT,   /* ClusterIP traffic arriving from outside: not served, passed */
	M_DROP_MALFORMED,       /* bad IPv4/L4 header or truncated packet: dropped */
	M_FWD_NEW,              /* new flow to a frontend: backend chosen, DNAT */
	M_FWD_ESTABLISHED,      /* tracked flow to a frontend: DNAT to its backend */
	M_REV_NAT,              /* reply of a tracked flow: reverse NAT */
	M_ICMP_REV_NAT,         /* ICMP error about a tracked flow: inner and outer rewritten */
	M_REJECT,               /* frontend without endpoints: TCP RST / ICMP unreachable */
	M_DROP_NO_LOCAL,        /* Local traffic policy and no local endpoint: dropped */
	M_DROP_REJECT_FAILED,   /* a reject could not be built: dropped */
	M_FRAG_TRACKED,         /* non-first fragment translated like its first fragment */
	M_FRAG_MISS,            /* non-first fragment whose first fragment was not seen: passed */
	M_DROP_CT_FULL,         /* conntrack insert failed: dropped */
	M_DROP_SNAT_EXHAUSTED,  /* no free SNAT port for a remote backend: dropped */
	M_BACKEND_GONE,         /* tracked flow whose backend was removed: reselected */
	M_PASS_ICMP,            /* ICMP that is not an error about a tracked flow: passed */
	M_REJECT_MARKED,        /* XDP: no endpoints, passed to the device's TC for the reject */
	M_MAX,
};

#endif /* KBPF_LB4_CONSTS_H */
