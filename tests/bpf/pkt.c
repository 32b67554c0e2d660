/* pkt.c — test packet builder and independent verifying parser (see pkt.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pkt.h"

#define ETH_LEN 14

__u32 ip4(const char *dotted)
{
	struct in_addr a;

	if (inet_pton(AF_INET, dotted, &a) != 1)
		return 0;
	return a.s_addr;
}

/* RFC 1071 sum of 16-bit big-endian words, not folded. */
static __u32 sum16(const __u8 *p, size_t len, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __u32 pseudo(__u32 saddr, __u32 daddr, __u8 proto, __u16 len)
{
	__u8 ph[12];

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = len >> 8;
	ph[11] = len & 0xff;
	return sum16(ph, sizeof(ph), 0);
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static __u16 get16(const __u8 *p)
{
	return (p[0] << 8) | p[1];
}

static __u32 get32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

/* IPv4 packet (no Ethernet) into buf; returns its length. */
static size_t build_ip(const struct pkt_spec *s, __u8 *buf, size_t len)
{
	size_t ihl = 20 + 4 * s->ip_opt_words, l4len = 0, i;
	__u32 saddr = ip4(s->src), daddr = ip4(s->dst);
	__u8 *ip = buf, *l4 = buf + ihl;

	if (s->l4_absent)
		l4len = 0;
	else if (s->proto == IPPROTO_TCP)
		l4len = 20;
	else if (s->proto == IPPROTO_UDP)
		l4len = 8;
	else
		l4len = 8;
	if (s->proto == IPPROTO_ICMP && s->quote)
		l4len += 28;
	if (ihl + l4len + s->payload_len > len)
		return 0;
	memset(buf, 0, ihl + l4len + s->payload_len);
	ip[0] = 0x40 | (ihl / 4);
	put16(ip + 2, ihl + l4len + s->payload_len);
	put16(ip + 4, s->ip_id);
	put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	for (i = 20; i < ihl; i++)
		ip[i] = 1; /* NOP options */
	for (i = 0; i < s->payload_len; i++)
		l4[l4len + i] = (__u8)(i * 7 + 3);

	if (!s->l4_absent && s->proto == IPPROTO_TCP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 65535);
		put16(l4 + 16, fold(sum16(l4, l4len + s->payload_len,
					 pseudo(saddr, daddr, IPPROTO_TCP, l4len + s->payload_len))));
	} else if (!s->l4_absent && s->proto == IPPROTO_UDP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, l4len + s->payload_len);
		if (!s->udp_no_csum) {
			__u16 c = fold(sum16(l4, l4len + s->payload_len,
					     pseudo(saddr, daddr, IPPROTO_UDP, l4len + s->payload_len)));
			put16(l4 + 6, c ? c : 0xffff);
		}
	} else if (!s->l4_absent && s->proto == IPPROTO_ICMP) {
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		if (s->quote) {
			__u8 q[PKT_MAX];
			size_t ql = build_ip(s->quote, q, sizeof(q));

			if (ql < 28)
				return 0;
			memcpy(l4 + 8, q, 28);
		}
		put16(l4 + 2, fold(sum16(l4, l4len + s->payload_len, 0)));
	}
	put16(ip + 10, fold(sum16(ip, ihl, 0)));
	return ihl + l4len + s->payload_len;
}

size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t len)
{
	size_t n;

	if (len < ETH_LEN)
		return 0;
	memset(buf, 0, ETH_LEN);
	buf[0] = 0x02;
	buf[5] = s->dst_mac_last ? s->dst_mac_last : 0x01;
	buf[6] = 0x02;
	buf[11] = s->src_mac_last ? s->src_mac_last : 0x02;
	buf[12] = 0x08;
	n = build_ip(s, buf + ETH_LEN, len - ETH_LEN);
	return n ? n + ETH_LEN : 0;
}

int pkt_parse(const __u8 *buf, size_t len, struct pkt_view *v)
{
	const __u8 *ip = buf + ETH_LEN, *l4;
	size_t ihl, l4len;

	memset(v, 0, sizeof(*v));
	if (len < ETH_LEN + 20 || buf[12] != 0x08 || buf[13] != 0x00 || (ip[0] >> 4) != 4)
		return -1;
	v->dst_mac_last = buf[5];
	v->src_mac_last = buf[11];
	ihl = (ip[0] & 0xf) * 4;
	v->ihl = ihl;
	v->ip_len = get16(ip + 2);
	if (ihl < 20 || v->ip_len < ihl || (size_t)ETH_LEN + v->ip_len > len)
		return -1;
	v->frag = get16(ip + 6);
	v->ttl = ip[8];
	v->proto = ip[9];
	memcpy(&v->saddr, ip + 12, 4);
	memcpy(&v->daddr, ip + 16, 4);
	v->ip_csum_ok = fold(sum16(ip, ihl, 0)) == 0;
	l4 = ip + ihl;
	l4len = v->ip_len - ihl;
	if (v->frag & 0x1fff) { /* a later fragment: payload only */
		v->payload = l4;
		v->payload_len = l4len;
		v->l4_csum_ok = true;
		return 0;
	}
	if (v->proto == IPPROTO_TCP && l4len >= 20) {
		v->sport = get16(l4);
		v->dport = get16(l4 + 2);
		v->seq = get32(l4 + 4);
		v->ack = get32(l4 + 8);
		v->tcp_flags = l4[13];
		v->l4_csum_ok = fold(sum16(l4, l4len, pseudo(v->saddr, v->daddr, IPPROTO_TCP,
							     l4len))) == 0;
		v->payload = l4 + (l4[12] >> 4) * 4;
		v->payload_len = l4len - (l4[12] >> 4) * 4;
	} else if (v->proto == IPPROTO_UDP && l4len >= 8) {
		v->sport = get16(l4);
		v->dport = get16(l4 + 2);
		v->udp_csum_zero = get16(l4 + 6) == 0;
		v->l4_csum_ok = v->udp_csum_zero ||
				fold(sum16(l4, l4len, pseudo(v->saddr, v->daddr, IPPROTO_UDP,
							     l4len))) == 0;
		v->payload = l4 + 8;
		v->payload_len = l4len - 8;
	} else if (v->proto == IPPROTO_ICMP && l4len >= 8) {
		v->icmp_type = l4[0];
		v->icmp_code = l4[1];
		v->l4_csum_ok = fold(sum16(l4, l4len, 0)) == 0;
		if (l4len >= 8 + 28) {
			const __u8 *in = l4 + 8;

			memcpy(&v->in_saddr, in + 12, 4);
			memcpy(&v->in_daddr, in + 16, 4);
			v->in_sport = get16(in + 20);
			v->in_dport = get16(in + 22);
			v->in_ip_csum_ok = fold(sum16(in, 20, 0)) == 0;
		}
		v->payload = l4 + 8;
		v->payload_len = l4len - 8;
	}
	return 0;
}
