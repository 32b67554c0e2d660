/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lb4_reject.h — answer traffic for a frontend without endpoints the way kube-proxy's
 * REJECT rules do: TCP RST for TCP, ICMP port unreachable for UDP. TC (skb) only: the
 * answer leaves through the device the packet came in on, with bpf_redirect. */
#ifndef KBPF_LB4_REJECT_H
#define KBPF_LB4_REJECT_H

#define REJECT_TTL 64
#define ETH_ALEN_ 6
#define IP_DF_BE bpf_htons(0x4000)

/* Sum of the 16-bit words of a buffer whose length is a multiple of 4 (helper-backed). */
static __always_inline __u32 csum_words(void *buf, __u32 len, __u32 seed)
{
	return bpf_csum_diff(NULL, 0, buf, len, seed);
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN_];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN_);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN_);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN_);
}

static __always_inline void ip_set_header(struct iphdr *ip, __be32 saddr, __be32 daddr,
					  __u8 proto, __u16 tot_len)
{
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(tot_len);
	ip->id = 0;
	ip->frag_off = IP_DF_BE;
	ip->ttl = REJECT_TTL;
	ip->protocol = proto;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = 0;
	ip->check = csum_fold32(csum_words(ip, sizeof(*ip), 0));
}

/* Turn a TCP segment into the RST that answers it (RFC 9293 3.10.7.1). */
static __always_inline int lb4_reject_tcp(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct tcphdr *tcp;
	__u32 seq, ack_seq, seg_len, pseudo;
	__be32 saddr, daddr;
	__be16 sport, dport;
	__u8 flags;

	data = skb_data(skb);
	data_end = skb_data_end(skb);
	eth = data;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5)
		return -1;
	tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end)
		return -1;
	flags = ((__u8 *)tcp)[13];
	if (flags & TCP_FLAG_RST)
		return -1; /* never answer a RST */
	saddr = ip->saddr;
	daddr = ip->daddr;
	sport = tcp->source;
	dport = tcp->dest;
	seq = bpf_ntohl(tcp->seq);
	ack_seq = bpf_ntohl(tcp->ack_seq);
	seg_len = bpf_ntohs(ip->tot_len) - sizeof(*ip) - tcp->doff * 4;
	if (flags & TCP_FLAG_SYN)
		seg_len++;
	if (flags & TCP_FLAG_FIN)
		seg_len++;

	if (bpf_skb_change_tail(skb, ETH_HLEN_ + sizeof(*ip) + sizeof(*tcp), 0))
		return -1;
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	eth = data;
	ip = (void *)(eth + 1);
	tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end)
		return -1;

	swap_macs(eth);
	ip_set_header(ip, daddr, saddr, IPPROTO_TCP, sizeof(*ip) + sizeof(*tcp));
	__builtin_memset(tcp, 0, sizeof(*tcp));
	tcp->source = dport;
	tcp->dest = sport;
	tcp->doff = 5;
	if (flags & TCP_FLAG_ACK) {
		tcp->seq = bpf_htonl(ack_seq);
		tcp->rst = 1;
	} else {
		tcp->ack_seq = bpf_htonl(seq + seg_len);
		tcp->rst = 1;
		tcp->ack = 1;
	}
	/* Pseudo-header: addresses, protocol, TCP length. */
	pseudo = csum_add32(0, daddr);
	pseudo = csum_add32(pseudo, saddr);
	pseudo = csum_add32(pseudo, bpf_htonl((IPPROTO_TCP << 16) | sizeof(*tcp)));
	tcp->check = csum_fold32(csum_words(tcp, sizeof(*tcp), pseudo));
	return 0;
}

/* Turn a UDP datagram into the ICMP port unreachable that answers it (RFC 1122 3.2.2.1):
 * new IPv4 + ICMP headers, then the offending IPv4 header and first 8 bytes. */
static __always_inline int lb4_reject_udp(struct __sk_buff *skb)
{
	const __u32 quote = sizeof(struct iphdr) + 8;
	const __u32 room = sizeof(struct iphdr) + sizeof(struct icmphdr);
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct icmphdr *icmp;
	__be32 saddr, daddr;

	data = skb_data(skb);
	data_end = skb_data_end(skb);
	ip = data + ETH_HLEN_;
	if ((void *)ip + quote > data_end || ip->ihl != 5)
		return -1;
	saddr = ip->saddr;
	daddr = ip->daddr;

	if (bpf_skb_change_tail(skb, ETH_HLEN_ + quote, 0))
		return -1;
	if (bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_MAC, 0))
		return -1;
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	eth = data;
	ip = (void *)(eth + 1);
	icmp = (void *)(ip + 1);
	if ((void *)(icmp + 1) + quote > data_end)
		return -1;

	swap_macs(eth);
	ip_set_header(ip, daddr, saddr, IPPROTO_ICMP, room + quote);
	__builtin_memset(icmp, 0, sizeof(*icmp));
	icmp->type = ICMP_DEST_UNREACH_;
	icmp->code = ICMP_PORT_UNREACH_;
	icmp->checksum = csum_fold32(csum_words(icmp, sizeof(*icmp) + quote, 0));
	return 0;
}

/* Build the reject in place; the caller redirects it out of skb->ifindex. */
static __always_inline int lb4_reject(struct __sk_buff *skb, __u8 proto)
{
	int ret = proto == IPPROTO_TCP ? lb4_reject_tcp(skb) : lb4_reject_udp(skb);

	metric_inc(ret ? M_DROP_REJECT_FAILED : M_REJECT);
	return ret;
}

#endif /* KBPF_LB4_REJECT_H */
