/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* parsing.h — bounds-checked parsing of Ethernet/IPv4/TCP/UDP/ICMP into struct lb4_pkt. */
#ifndef KBPF_PARSING_H
#define KBPF_PARSING_H

#define ETH_P_IP_BE	bpf_htons(0x0800)
#define ETH_HLEN_	14
#define IP_MF_BE	bpf_htons(0x2000)
#define IP_OFFSET_BE	bpf_htons(0x1fff)

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

#define ICMP_DEST_UNREACH_	3
#define ICMP_TIME_EXCEEDED_	11
#define ICMP_PARAMETERPROB_	12
#define ICMP_PORT_UNREACH_	3

/* Offsets are masked before reuse: these bound them for the verifier. */
#define L4_OFF_MASK	0x7f	/* 14 + 60 at most */
#define INNER_OFF_MASK	0xff	/* ICMP error: outer L4 + 8 (+ 20 + 8 inner) */

/* Parse results; negative values tell the hook why the packet is not translated. */
#define PARSE_OK		0
#define PARSE_NOT_IPV4		-1 /* pass: not for this load balancer */
#define PARSE_MALFORMED		-2 /* drop: broken IPv4 or L4 header */
#define PARSE_OTHER_PROTO	-3 /* pass: IPv4, not TCP/UDP/ICMP */
#define PARSE_ICMP_OTHER	-4 /* pass: ICMP that is not an error with a TCP/UDP quote */

/* One parsed packet. Tuple fields are network byte order, as on the wire. */
struct lb4_pkt {
	__u32 l4_off;     /* offset of the L4 header from data (IPv4 header at ETH_HLEN_) */
	__u32 inner_off;  /* ICMP error: offset of the quoted IPv4 header */
	__u32 ip_len;     /* IPv4 total length */
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__be16 frag_id;   /* IPv4 id, for fragments */
	__u8 proto;
	__u8 tcp_flags;
	__u8 has_l4;      /* L4 header present (not a later fragment) */
	__u8 first_frag;  /* first fragment of a fragmented datagram */
	__u8 later_frag;  /* non-first fragment: ports come from lb4_frags */
	__u8 icmp_error;  /* ICMP error: the in_* fields describe the quoted packet */
	__be32 in_saddr;
	__be32 in_daddr;
	__be16 in_sport;
	__be16 in_dport;
	__u8 in_proto;
	__u8 pad[3];
};

/*
 * Parse the quoted packet of an ICMP destination-unreachable, time-exceeded or
 * parameter-problem message: an IPv4 header without options and 8 bytes of TCP/UDP.
 */
static __always_inline int parse_icmp_error(void *data, void *data_end, struct lb4_pkt *pkt)
{
	__u32 off = (pkt->l4_off & L4_OFF_MASK) + sizeof(struct icmphdr);
	struct iphdr *in = data + off;
	__be16 *ports;

	if ((void *)(in + 1) > data_end)
		return PARSE_MALFORMED;
	if (in->version != 4 || in->ihl != 5)
		return PARSE_ICMP_OTHER;
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		return PARSE_ICMP_OTHER;
	if (in->frag_off & IP_OFFSET_BE)
		return PARSE_ICMP_OTHER;
	ports = (void *)(in + 1);
	if ((void *)(ports + 2) > data_end)
		return PARSE_MALFORMED;
	pkt->inner_off = off;
	pkt->in_saddr = in->saddr;
	pkt->in_daddr = in->daddr;
	pkt->in_sport = ports[0];
	pkt->in_dport = ports[1];
	pkt->in_proto = in->protocol;
	pkt->icmp_error = 1;
	return PARSE_OK;
}

/*
 * Parse an Ethernet frame. frame_len is the whole frame's length (for TC it may exceed the
 * linear data between data and data_end). Fills pkt; ports stay 0 for later fragments.
 */
static __always_inline int lb4_parse(void *data, void *data_end, __u32 frame_len,
				     struct lb4_pkt *pkt)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 ihl_len;
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return PARSE_NOT_IPV4;
	if (eth->h_proto != ETH_P_IP_BE)
		return PARSE_NOT_IPV4;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return PARSE_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return PARSE_MALFORMED;
	ihl_len = ip->ihl * 4;
	pkt->ip_len = bpf_ntohs(ip->tot_len);
	if (pkt->ip_len < ihl_len || ETH_HLEN_ + pkt->ip_len > frame_len)
		return PARSE_MALFORMED;
	pkt->saddr = ip->saddr;
	pkt->daddr = ip->daddr;
	pkt->proto = ip->protocol;
	pkt->l4_off = ETH_HLEN_ + ihl_len;
	pkt->frag_id = ip->id;
	pkt->later_frag = !!(ip->frag_off & IP_OFFSET_BE);
	pkt->first_frag = !pkt->later_frag && (ip->frag_off & IP_MF_BE);

	if (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP &&
	    pkt->proto != IPPROTO_ICMP)
		return PARSE_OTHER_PROTO;
	if (pkt->later_frag)
		return pkt->proto == IPPROTO_ICMP ? PARSE_ICMP_OTHER : PARSE_OK;

	l4 = data + (pkt->l4_off & L4_OFF_MASK);
	pkt->has_l4 = 1;
	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return PARSE_MALFORMED;
		if (tcp->doff < 5)
			return PARSE_MALFORMED;
		pkt->sport = tcp->source;
		pkt->dport = tcp->dest;
		pkt->tcp_flags = ((__u8 *)tcp)[13];
	} else if (pkt->proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return PARSE_MALFORMED;
		pkt->sport = udp->source;
		pkt->dport = udp->dest;
	} else {
		struct icmphdr *icmp = l4;

		if ((void *)(icmp + 1) > data_end)
			return PARSE_MALFORMED;
		if (icmp->type != ICMP_DEST_UNREACH_ && icmp->type != ICMP_TIME_EXCEEDED_ &&
		    icmp->type != ICMP_PARAMETERPROB_)
			return PARSE_ICMP_OTHER;
		if (pkt->first_frag)
			return PARSE_ICMP_OTHER;
		return parse_icmp_error(data, data_end, pkt);
	}
	return PARSE_OK;
}

#endif /* KBPF_PARSING_H */
