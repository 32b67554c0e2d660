/* pkt.h — test packets: a builder of Ethernet/IPv4/TCP/UDP/ICMP frames with checksums
 * computed from scratch, and an independent parser that verifies them. The BPF programs
 * update checksums incrementally; these recompute them in full, so the two cannot share
 * a mistake. */
#ifndef KBPF_TEST_PKT_H
#define KBPF_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PKT_MAX 1600

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

struct pkt_spec {
	__u8 proto;            /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP */
	const char *src, *dst; /* dotted quads */
	__u16 sport, dport;    /* host order */
	__u8 tcp_flags;
	__u32 seq, ack;
	__u16 payload_len;     /* payload bytes, filled with a pattern */
	__u16 ip_id;
	__u16 frag;            /* host-order frag_off field: IP_MF | offset in 8-byte units */
	__u8 ip_opt_words;     /* IPv4 options, in 4-byte NOP words (ihl = 5 + this) */
	bool udp_no_csum;      /* UDP checksum 0: "none" */
	bool l4_absent;        /* a later fragment: payload only, no L4 header */
	__u8 icmp_type, icmp_code;
	const struct pkt_spec *quote; /* ICMP error: the packet it quotes (IP header + 8) */
	__u8 src_mac_last, dst_mac_last; /* last byte of the MACs, to see swaps */
};

/* Build a whole Ethernet frame; returns its length. */
size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t len);

/* What the independent parser found. Ports host order. */
struct pkt_view {
	__u32 saddr, daddr; /* network order */
	__u16 sport, dport;
	__u8 proto, ttl, ihl, tcp_flags;
	__u32 seq, ack;
	__u16 ip_len, frag;
	bool ip_csum_ok;
	bool l4_csum_ok;      /* full L4 checksum over pseudo-header and data (or UDP 0) */
	bool udp_csum_zero;
	__u8 icmp_type, icmp_code;
	/* ICMP error: the quoted packet */
	__u32 in_saddr, in_daddr;
	__u16 in_sport, in_dport;
	bool in_ip_csum_ok;
	const __u8 *payload;
	size_t payload_len;
	__u8 src_mac_last, dst_mac_last;
};

/* Parse and verify; returns 0, or -1 when the frame is not Ethernet/IPv4. */
int pkt_parse(const __u8 *buf, size_t len, struct pkt_view *v);

__u32 ip4(const char *dotted);

#endif /* KBPF_TEST_PKT_H */
