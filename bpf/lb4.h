/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lb4.h — the IPv4 Service load-balancing decision and packet rewrite, shared by the XDP
 * program on node devices and the TC programs on pod veths. */
#ifndef KBPF_LB4_H
#define KBPF_LB4_H

/* Configuration, set by the agent before load (libbpf-bootstrap's rodata pattern). */
const volatile __be32 node_ip = 0;        /* SNAT source towards remote backends */
const volatile __be32 hairpin_ip = 0;     /* source given to a pod that reaches itself */
const volatile __u16 snat_port_min = SNAT_PORT_MIN;
const volatile __u16 snat_port_max = SNAT_PORT_MAX;
const volatile __u32 ct_timeout_tcp_syn = CT_TIMEOUT_TCP_SYN;
const volatile __u32 ct_timeout_tcp = CT_TIMEOUT_TCP;
const volatile __u32 ct_timeout_tcp_close = CT_TIMEOUT_TCP_CLOSE;
const volatile __u32 ct_timeout_udp = CT_TIMEOUT_UDP;
/* bpf_ktime_get_coarse_ns exists (5.11+): a fraction of bpf_ktime_get_ns's cost per packet,
 * and the same clock at second resolution. Set by the agent after probing the kernel. */
const volatile bool coarse_clock = false;

/* Where the packet is handled; it decides which backend set of a frontend applies. */
#define LB4_HOOK_EXTERNAL 0 /* XDP on a node device: traffic from outside the node */
#define LB4_HOOK_POD      1 /* TC on a pod veth: traffic from a pod */

/* lb4_decide verdicts. */
#define LB4_PASS   0 /* not ours: leave the packet alone */
#define LB4_NAT    1 /* rewrite the packet as struct lb4_nat says */
#define LB4_REJECT 2 /* frontend without endpoints: answer with RST / port unreachable */
#define LB4_DROP   3 /* drop; the reason is already counted */

/* The tuple a packet must carry after translation. */
struct lb4_nat {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 redirect_back; /* hairpin: send it back out of the device it came in on */
	__u8 pad[3];
};

#define NSEC_PER_SEC_ 1000000000ULL

/* CLOCK_MONOTONIC seconds, as userspace reads them for expiry. */
static __always_inline __u32 now_sec(void)
{
	if (coarse_clock)
		return bpf_ktime_get_coarse_ns() / NSEC_PER_SEC_;
	return bpf_ktime_get_ns() / NSEC_PER_SEC_;
}

/* How long a conntrack entry lives after this packet (kube-proxy/Cilium defaults). */
static __always_inline __u32 ct_lifetime(__u8 proto, __u8 tcp_flags, __u16 ct_flags)
{
	if (proto != IPPROTO_TCP)
		return ct_timeout_udp;
	if (ct_flags & CT_F_CLOSING)
		return ct_timeout_tcp_close;
	if (tcp_flags & TCP_FLAG_SYN)
		return ct_timeout_tcp_syn;
	return ct_timeout_tcp;
}

static __always_inline __u16 ct_flags_after(__u8 proto, __u8 tcp_flags, __u16 ct_flags)
{
	if (proto == IPPROTO_TCP && (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		ct_flags |= CT_F_CLOSING;
	return ct_flags;
}

/*
 * Extend a live entry's life. Writes at most once per CT_REFRESH_INTERVAL per entry, or
 * when the entry starts closing. Returns true when it wrote.
 */
static __always_inline bool ct_refresh(struct ct4_entry *ce, __u8 proto, __u8 tcp_flags,
				       __u32 now)
{
	__u16 flags = ct_flags_after(proto, tcp_flags, ce->flags);
	__u32 expires = now + ct_lifetime(proto, tcp_flags, flags);

	if (flags == ce->flags && expires < ce->expires + CT_REFRESH_INTERVAL)
		return false;
	ce->flags = flags;
	ce->expires = expires;
	return true;
}

static __always_inline void lb4_count(__u32 svc_id, __u32 bytes)
{
	struct lb4_stats *st = bpf_map_lookup_elem(&lb4_stats, &svc_id);

	if (st) {
		st->packets++;
		st->bytes += bytes;
	}
}

/* A backend may take new flows of this frontend through this hook. */
static __always_inline bool backend_eligible(const struct lb4_backend *be,
					     const struct lb4_service *svc, int hook)
{
	__u32 local_policy = hook == LB4_HOOK_EXTERNAL ? SVC_F_ETP_LOCAL : SVC_F_ITP_LOCAL;

	if (be->flags & (BE_F_TERMINATING | BE_F_REMOVED))
		return false;
	if ((svc->flags & local_policy) && !(be->flags & BE_F_LOCAL))
		return false;
	return true;
}

/* Pick a backend for a new flow: ClientIP affinity first, then a slot by flow hash. */
static __always_inline int lb4_select(const struct lb4_pkt *pkt, const struct lb4_service *svc,
				      int hook, __u32 now, __u32 *backend_id,
				      struct lb4_backend **backend)
{
	__u32 set = hook == LB4_HOOK_EXTERNAL ? svc->ext_set : svc->int_set;
	__u32 count = hook == LB4_HOOK_EXTERNAL ? svc->ext_count : svc->int_count;
	struct lb4_affinity_key ak = {};
	struct lb4_slot_key sk = {};
	struct lb4_backend *be;
	struct lb4_affinity *aff;
	__u32 *id;

	if (!count)
		return -1;
	if (svc->flags & SVC_F_AFFINITY) {
		ak.client = pkt->saddr;
		ak.svc_id = svc->id;
		aff = bpf_map_lookup_elem(&lb4_affinity, &ak);
		if (aff && now - aff->last_used <= svc->affinity_timeout) {
			be = bpf_map_lookup_elem(&lb4_backends, &aff->backend_id);
			if (be && backend_eligible(be, svc, hook)) {
				*backend_id = aff->backend_id;
				*backend = be;
				aff->last_used = now;
				return 0;
			}
		}
	}
	sk.set = set;
	sk.slot = flow_hash(pkt->saddr, pkt->daddr,
			    ((__u32)pkt->sport << 16) | pkt->dport, pkt->proto) % count;
	id = bpf_map_lookup_elem(&lb4_slots, &sk);
	if (!id)
		return -1;
	be = bpf_map_lookup_elem(&lb4_backends, id);
	if (!be)
		return -1;
	*backend_id = *id;
	*backend = be;
	if (svc->flags & SVC_F_AFFINITY) {
		struct lb4_affinity a = { .backend_id = *id, .last_used = now };

		bpf_map_update_elem(&lb4_affinity, &ak, &a, BPF_ANY);
	}
	return 0;
}

/* The reply-direction key of a forward flow translated to backend be. */
static __always_inline void ct_rev_key(struct ct4_key *rk, const struct lb4_backend *be,
				       __be32 client, __be16 client_port, __u8 proto)
{
	rk->saddr = be->addr;
	rk->daddr = client;
	rk->sport = be->port;
	rk->dport = client_port;
	rk->proto = proto;
	rk->dir = CT_DIR_REV;
	rk->pad = 0;
}

/* Insert a reverse entry; a stale (expired) entry under the key is replaced. */
static __always_inline int ct_insert_rev(struct ct4_key *rk, struct ct4_entry *rev, __u32 now)
{
	struct ct4_entry *old;

	if (!bpf_map_update_elem(&ct4, rk, rev, BPF_NOEXIST))
		return 0;
	old = bpf_map_lookup_elem(&ct4, rk);
	if (old && old->expires > now)
		return -1;
	return bpf_map_update_elem(&ct4, rk, rev, BPF_ANY);
}

/*
 * Reserve the reply direction of a new flow. For SNAT, find a free node port: replies
 * are told apart only by (backend, node address, node port).
 */
static __always_inline int lb4_ct_reserve_rev(const struct lb4_pkt *pkt,
					      const struct lb4_backend *be,
					      struct ct4_entry *fwd, __u32 now, __u32 hash)
{
	struct ct4_entry rev = {
		.expires = fwd->expires,
		.rev_nat_id = fwd->rev_nat_id,
		.nat_addr = pkt->saddr,
		.nat_port = pkt->sport,
		.flags = fwd->flags,
	};
	struct ct4_key rk;
	__u32 range, i;

	if (!(fwd->flags & CT_F_SNAT)) {
		ct_rev_key(&rk, be, fwd->nat_addr ? fwd->nat_addr : pkt->saddr, pkt->sport,
			   pkt->proto);
		return bpf_map_update_elem(&ct4, &rk, &rev, BPF_ANY);
	}
	range = (__u32)snat_port_max - snat_port_min + 1;
	for (i = 0; i < SNAT_PORT_TRIES; i++) {
		__u16 port = snat_port_min + (hash + i * 7919) % range;

		ct_rev_key(&rk, be, fwd->nat_addr, bpf_htons(port), pkt->proto);
		if (!ct_insert_rev(&rk, &rev, now)) {
			fwd->nat_port = bpf_htons(port);
			return 0;
		}
	}
	metric_inc(M_DROP_SNAT_EXHAUSTED);
	return -2;
}

/* After a reverse entry was lost to LRU eviction, put it back (done on refresh only). */
static __always_inline void lb4_ct_restore_rev(const struct lb4_pkt *pkt,
					       const struct lb4_backend *be,
					       const struct ct4_entry *fwd)
{
	struct ct4_entry rev = {
		.expires = fwd->expires,
		.rev_nat_id = fwd->rev_nat_id,
		.nat_addr = pkt->saddr,
		.nat_port = pkt->sport,
		.flags = fwd->flags,
	};
	struct ct4_key rk;

	if (fwd->flags & CT_F_SNAT)
		ct_rev_key(&rk, be, fwd->nat_addr, fwd->nat_port, pkt->proto);
	else
		ct_rev_key(&rk, be, fwd->nat_addr ? fwd->nat_addr : pkt->saddr, pkt->sport,
			   pkt->proto);
	bpf_map_update_elem(&ct4, &rk, &rev, BPF_NOEXIST);
}

static __always_inline void nat_forward(struct lb4_nat *nat, const struct lb4_pkt *pkt,
					const struct lb4_backend *be,
					const struct ct4_entry *fwd)
{
	nat->daddr = be->addr;
	nat->dport = be->port;
	nat->saddr = fwd->nat_addr ? fwd->nat_addr : pkt->saddr;
	nat->sport = (fwd->flags & CT_F_SNAT) ? fwd->nat_port : pkt->sport;
	nat->redirect_back = !!(fwd->flags & CT_F_HAIRPIN);
}

/* Traffic to a frontend: follow the flow's conntrack entry, or choose a backend. */
static __always_inline int lb4_forward(const struct lb4_pkt *pkt,
				       const struct lb4_service *svc, int hook,
				       struct lb4_nat *nat)
{
	struct ct4_key fk = {
		.saddr = pkt->saddr,
		.daddr = pkt->daddr,
		.sport = pkt->sport,
		.dport = pkt->dport,
		.proto = pkt->proto,
		.dir = CT_DIR_FWD,
	};
	struct ct4_entry fwd = {};
	struct lb4_backend *be;
	struct ct4_entry *ce;
	__u32 now = now_sec();
	__u32 backend_id, hash;

	lb4_count(svc->id, pkt->ip_len);
	ce = bpf_map_lookup_elem(&ct4, &fk);
	if (ce && ce->expires > now) {
		be = bpf_map_lookup_elem(&lb4_backends, &ce->backend_id);
		if (be && !(be->flags & BE_F_REMOVED)) {
			if (ct_refresh(ce, pkt->proto, pkt->tcp_flags, now))
				lb4_ct_restore_rev(pkt, be, ce);
			nat_forward(nat, pkt, be, ce);
			metric_inc(M_FWD_ESTABLISHED);
			return LB4_NAT;
		}
		metric_inc(M_BACKEND_GONE);
	}
	if (!pkt->has_l4) {
		/* A later fragment never starts a flow. */
		metric_inc(M_FRAG_MISS);
		return LB4_PASS;
	}

	if (lb4_select(pkt, svc, hook, now, &backend_id, &be) < 0) {
		__u32 drop = hook == LB4_HOOK_EXTERNAL ? SVC_F_EXT_DROP : SVC_F_INT_DROP;

		if (svc->flags & drop) {
			metric_inc(M_DROP_NO_LOCAL);
			return LB4_DROP;
		}
		return LB4_REJECT;
	}

	fwd.backend_id = backend_id;
	fwd.rev_nat_id = svc->id;
	fwd.flags = ct_flags_after(pkt->proto, pkt->tcp_flags, 0);
	if (hook == LB4_HOOK_EXTERNAL) {
		fwd.flags |= CT_F_EXTERNAL;
		/* A remote backend would answer the client directly: make it answer us. */
		if (!(be->flags & BE_F_LOCAL) && !(svc->flags & SVC_F_ETP_LOCAL)) {
			fwd.nat_addr = (svc->flags & SVC_F_NODEPORT) ? pkt->daddr : node_ip;
			if (fwd.nat_addr)
				fwd.flags |= CT_F_SNAT;
		}
	} else if (be->addr == pkt->saddr && hairpin_ip) {
		/* A pod reaching itself: it would drop a packet from its own address. */
		fwd.nat_addr = hairpin_ip;
		fwd.flags |= CT_F_HAIRPIN;
	}
	fwd.expires = now + ct_lifetime(pkt->proto, pkt->tcp_flags, fwd.flags);

	hash = flow_hash(pkt->saddr, pkt->sport, backend_id, now);
	if (lb4_ct_reserve_rev(pkt, be, &fwd, now, hash) == -2)
		return LB4_DROP;
	if (bpf_map_update_elem(&ct4, &fk, &fwd, BPF_ANY)) {
		metric_inc(M_DROP_CT_FULL);
		return LB4_DROP;
	}
	nat_forward(nat, pkt, be, &fwd);
	metric_inc(M_FWD_NEW);
	return LB4_NAT;
}

/*
 * A packet in the reply direction of a tracked flow (saddr:sport -> daddr:dport as it
 * arrives): it must appear to come from the frontend and go to the original client.
 */
static __always_inline int lb4_reverse(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport,
				       __u8 proto, __u8 tcp_flags, struct lb4_nat *nat)
{
	struct ct4_key rk = {
		.saddr = saddr,
		.daddr = daddr,
		.sport = sport,
		.dport = dport,
		.proto = proto,
		.dir = CT_DIR_REV,
	};
	struct lb4_revnat *rn;
	struct ct4_entry *ce;
	__u32 now;

	ce = bpf_map_lookup_elem(&ct4, &rk);
	if (!ce)
		return LB4_PASS; /* the common case for traffic of no Service: no clock read */
	now = now_sec();
	if (ce->expires <= now)
		return LB4_PASS;
	rn = bpf_map_lookup_elem(&lb4_revnat, &ce->rev_nat_id);
	if (!rn)
		return LB4_PASS;
	ct_refresh(ce, proto, tcp_flags, now);
	nat->saddr = rn->addr;
	nat->sport = rn->port;
	nat->daddr = ce->nat_addr;
	nat->dport = ce->nat_port;
	nat->redirect_back = !!(ce->flags & CT_F_HAIRPIN);
	return LB4_NAT;
}

/*
 * Decide what to do with a parsed packet. Later fragments get their ports from the first
 * fragment; ICMP errors are matched on the packet they quote.
 */
static __always_inline int lb4_decide(struct lb4_pkt *pkt, int hook, struct lb4_nat *nat)
{
	struct lb4_frag_key fk = {
		.saddr = pkt->saddr,
		.daddr = pkt->daddr,
		.id = pkt->frag_id,
		.proto = pkt->proto,
	};
	struct lb4_key key = {};
	struct lb4_service *svc;
	int ret;

	if (pkt->icmp_error) {
		/* The quote is a packet we sent towards the backend: its reply-direction key
		 * is the quote reversed. */
		ret = lb4_reverse(pkt->in_daddr, pkt->in_saddr, pkt->in_dport, pkt->in_sport,
				  pkt->in_proto, 0, nat);
		if (ret == LB4_NAT)
			metric_inc(M_ICMP_REV_NAT);
		else
			metric_inc(M_PASS_ICMP);
		return ret;
	}
	if (pkt->later_frag) {
		struct lb4_frag *f = bpf_map_lookup_elem(&lb4_frags, &fk);

		if (!f) {
			metric_inc(M_FRAG_MISS);
			return LB4_PASS;
		}
		pkt->sport = f->sport;
		pkt->dport = f->dport;
		metric_inc(M_FRAG_TRACKED);
	} else if (pkt->first_frag) {
		struct lb4_frag f = { .sport = pkt->sport, .dport = pkt->dport };

		bpf_map_update_elem(&lb4_frags, &fk, &f, BPF_ANY);
	}

	key.addr = pkt->daddr;
	key.port = pkt->dport;
	key.proto = pkt->proto;
	svc = bpf_map_lookup_elem(&lb4_services, &key);
	if (svc) {
		if (hook == LB4_HOOK_POD || (svc->flags & SVC_F_EXTERNAL))
			return lb4_forward(pkt, svc, hook, nat);
		metric_inc(M_PASS_CLUSTERIP_EXT);
		return LB4_PASS;
	}
	ret = lb4_reverse(pkt->saddr, pkt->daddr, pkt->sport, pkt->dport, pkt->proto,
			  pkt->tcp_flags, nat);
	metric_inc(ret == LB4_NAT ? M_REV_NAT : M_PASS_NO_SERVICE);
	return ret;
}

/*
 * Rewrite addresses and ports in place and fix the IPv4 checksum; with l4_csum also the
 * TCP/UDP checksum (XDP: frames from the wire carry full checksums). TC callers fix the
 * L4 checksum with bpf_l4_csum_replace first, which handles CHECKSUM_PARTIAL skbs.
 */
static __always_inline int lb4_rewrite(void *data, void *data_end, const struct lb4_pkt *pkt,
				       const struct lb4_nat *nat, bool l4_csum)
{
	struct iphdr *ip = data + ETH_HLEN_;
	__sum16 *l4c = NULL;
	__be16 *ports;

	if ((void *)(ip + 1) > data_end)
		return -1;
	if (pkt->has_l4) {
		ports = data + (pkt->l4_off & L4_OFF_MASK);
		if ((void *)(ports + 2) > data_end)
			return -1;
		if (l4_csum) {
			if (pkt->proto == IPPROTO_TCP) {
				struct tcphdr *tcp = (void *)ports;

				if ((void *)(tcp + 1) > data_end)
					return -1;
				l4c = &tcp->check;
			} else {
				struct udphdr *udp = (void *)ports;

				if ((void *)(udp + 1) > data_end)
					return -1;
				l4c = &udp->check;
			}
		}
		if (ports[0] != nat->sport) {
			if (l4c)
				pkt->proto == IPPROTO_UDP ?
					udp_csum_replace2(l4c, ports[0], nat->sport) :
					csum_replace2(l4c, ports[0], nat->sport);
			ports[0] = nat->sport;
		}
		if (ports[1] != nat->dport) {
			if (l4c)
				pkt->proto == IPPROTO_UDP ?
					udp_csum_replace2(l4c, ports[1], nat->dport) :
					csum_replace2(l4c, ports[1], nat->dport);
			ports[1] = nat->dport;
		}
	}
	if (ip->saddr != nat->saddr) {
		if (l4c)
			pkt->proto == IPPROTO_UDP ? udp_csum_replace4(l4c, ip->saddr, nat->saddr) :
						    csum_replace4(l4c, ip->saddr, nat->saddr);
		csum_replace4(&ip->check, ip->saddr, nat->saddr);
		ip->saddr = nat->saddr;
	}
	if (ip->daddr != nat->daddr) {
		if (l4c)
			pkt->proto == IPPROTO_UDP ? udp_csum_replace4(l4c, ip->daddr, nat->daddr) :
						    csum_replace4(l4c, ip->daddr, nat->daddr);
		csum_replace4(&ip->check, ip->daddr, nat->daddr);
		ip->daddr = nat->daddr;
	}
	return 0;
}

/*
 * Rewrite an ICMP error about a tracked flow: the quoted packet becomes client ->
 * frontend, the outer destination the client, and an outer source that was the backend
 * becomes the frontend. ICMP checksums carry no pseudo-header and are always complete.
 */
static __always_inline int lb4_rewrite_icmp(void *data, void *data_end,
					    const struct lb4_pkt *pkt, const struct lb4_nat *nat)
{
	struct iphdr *ip = data + ETH_HLEN_;
	struct icmphdr *icmp = data + (pkt->l4_off & L4_OFF_MASK);
	struct iphdr *in = data + (pkt->inner_off & INNER_OFF_MASK);
	__be16 *ports = (void *)(in + 1);
	__sum16 old_check;

	if ((void *)(ip + 1) > data_end || (void *)(icmp + 1) > data_end ||
	    (void *)(ports + 2) > data_end)
		return -1;

	if (ip->saddr == in->daddr) {
		csum_replace4(&ip->check, ip->saddr, nat->saddr);
		ip->saddr = nat->saddr;
	}
	if (ip->daddr != nat->daddr) {
		csum_replace4(&ip->check, ip->daddr, nat->daddr);
		ip->daddr = nat->daddr;
	}

	old_check = in->check;
	if (in->saddr != nat->daddr) {
		csum_replace4(&in->check, in->saddr, nat->daddr);
		csum_replace4(&icmp->checksum, in->saddr, nat->daddr);
		in->saddr = nat->daddr;
	}
	if (in->daddr != nat->saddr) {
		csum_replace4(&in->check, in->daddr, nat->saddr);
		csum_replace4(&icmp->checksum, in->daddr, nat->saddr);
		in->daddr = nat->saddr;
	}
	if (in->check != old_check)
		csum_replace2(&icmp->checksum, old_check, in->check);
	if (ports[0] != nat->dport) {
		csum_replace2(&icmp->checksum, ports[0], nat->dport);
		ports[0] = nat->dport;
	}
	if (ports[1] != nat->sport) {
		csum_replace2(&icmp->checksum, ports[1], nat->sport);
		ports[1] = nat->sport;
	}
	return 0;
}

#endif /* KBPF_LB4_H */
