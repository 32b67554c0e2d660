// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* kbpf_lb.bpf.c — kube-proxy's Service load balancing in eBPF: XDP on node devices for
 * NodePort/ExternalIP/LoadBalancer traffic, TC on pod veths for ClusterIP traffic, and TC
 * on node devices for the rejects XDP asks for. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ctx.h"
#include "lb4_consts.h"
#include "lb4_structs.h"
#include "lb4_maps.h"
#include "parsing.h"
#include "csum.h"
#include "lb4.h"
#include "lb4_reject.h"

#define TC_ACT_OK_   0
#define TC_ACT_SHOT_ 2
/* Headers a TC program reads directly: Ethernet, IPv4 with options, ICMP + quoted IPv4 +
 * 8 bytes. Pulled into the linear area when the skb is shorter. */
#define TC_PULL_LEN  (ETH_HLEN_ + 60 + 8 + 20 + 8)

static __always_inline int parse_metric(int err)
{
	switch (err) {
	case PARSE_NOT_IPV4:
		return M_PASS_NOT_IPV4;
	case PARSE_OTHER_PROTO:
		return M_PASS_OTHER_PROTO;
	case PARSE_ICMP_OTHER:
		return M_PASS_ICMP;
	default:
		return M_DROP_MALFORMED;
	}
}

/* XDP on node devices: outside traffic to NodePorts, ExternalIPs and LoadBalancer IPs,
 * and the replies of flows that were SNATed to reach remote backends. */
SEC("xdp")
int kbpf_xdp_dev(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lb4_pkt pkt = {};
	struct lb4_nat nat = {};
	__u32 *meta;
	int ret;

	ret = lb4_parse(data, data_end, data_end - data, &pkt);
	if (ret < 0) {
		metric_inc(parse_metric(ret));
		return ret == PARSE_MALFORMED ? XDP_DROP : XDP_PASS;
	}
	switch (lb4_decide(&pkt, LB4_HOOK_EXTERNAL, &nat)) {
	case LB4_NAT:
		ret = pkt.icmp_error ? lb4_rewrite_icmp(data, data_end, &pkt, &nat) :
				       lb4_rewrite(data, data_end, &pkt, &nat, true);
		if (ret < 0) {
			metric_inc(M_DROP_MALFORMED);
			return XDP_DROP;
		}
		return XDP_PASS;
	case LB4_REJECT:
		/* Building the answer needs skb helpers: ask the device's TC program. */
		if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u32))) {
			metric_inc(M_DROP_REJECT_FAILED);
			return XDP_DROP;
		}
		meta = (void *)(long)ctx->data_meta;
		if ((void *)(meta + 1) > (void *)(long)ctx->data) {
			metric_inc(M_DROP_REJECT_FAILED);
			return XDP_DROP;
		}
		*meta = KBPF_META_REJECT;
		metric_inc(M_REJECT_MARKED);
		return XDP_PASS;
	case LB4_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

/* Rewrite an skb: L4 checksum through the helper (it knows CHECKSUM_PARTIAL), then the
 * fields and the IPv4 checksum directly. */
static __always_inline int lb4_skb_rewrite(struct __sk_buff *skb, const struct lb4_pkt *pkt,
					   const struct lb4_nat *nat)
{
	__u32 csum_off = (pkt->l4_off & L4_OFF_MASK) +
			 (pkt->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check) :
						      offsetof(struct udphdr, check));
	__u64 mangled = pkt->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	void *data, *data_end;

	if (pkt->icmp_error)
		goto direct;
	if (pkt->has_l4) {
		if (pkt->saddr != nat->saddr &&
		    bpf_l4_csum_replace(skb, csum_off, pkt->saddr, nat->saddr,
					BPF_F_PSEUDO_HDR | mangled | sizeof(__be32)))
			return -1;
		if (pkt->daddr != nat->daddr &&
		    bpf_l4_csum_replace(skb, csum_off, pkt->daddr, nat->daddr,
					BPF_F_PSEUDO_HDR | mangled | sizeof(__be32)))
			return -1;
		if (pkt->sport != nat->sport &&
		    bpf_l4_csum_replace(skb, csum_off, pkt->sport, nat->sport,
					mangled | sizeof(__be16)))
			return -1;
		if (pkt->dport != nat->dport &&
		    bpf_l4_csum_replace(skb, csum_off, pkt->dport, nat->dport,
					mangled | sizeof(__be16)))
			return -1;
	}
direct:
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	if (pkt->icmp_error)
		return lb4_rewrite_icmp(data, data_end, pkt, nat);
	return lb4_rewrite(data, data_end, pkt, nat, false);
}

static __always_inline int tc_parse(struct __sk_buff *skb, struct lb4_pkt *pkt)
{
	void *data = skb_data(skb);
	void *data_end = skb_data_end(skb);

	if (data_end - data < TC_PULL_LEN && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
		data = skb_data(skb);
		data_end = skb_data_end(skb);
	}
	return lb4_parse(data, data_end, skb->len, pkt);
}

/* Send a packet back out of the device it arrived on, addressed to its sender. */
static __always_inline int redirect_back(struct __sk_buff *skb)
{
	void *data = skb_data(skb);
	void *data_end = skb_data_end(skb);
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_SHOT_;
	swap_macs(eth);
	return bpf_redirect(skb->ifindex, 0);
}

/* TC ingress on the host side of a pod veth: pod traffic to Services, and the replies of
 * backends running in this pod. */
SEC("tc")
int kbpf_tc_pod(struct __sk_buff *skb)
{
	struct lb4_pkt pkt = {};
	struct lb4_nat nat = {};
	int ret;

	ret = tc_parse(skb, &pkt);
	if (ret < 0) {
		metric_inc(parse_metric(ret));
		return ret == PARSE_MALFORMED ? TC_ACT_SHOT_ : TC_ACT_OK_;
	}
	switch (lb4_decide(&pkt, LB4_HOOK_POD, &nat)) {
	case LB4_NAT:
		if (lb4_skb_rewrite(skb, &pkt, &nat) < 0) {
			metric_inc(M_DROP_MALFORMED);
			return TC_ACT_SHOT_;
		}
		/* A pod reaching itself: straight back, the routing would call it a martian. */
		if (nat.redirect_back)
			return redirect_back(skb);
		return TC_ACT_OK_;
	case LB4_REJECT:
		if (lb4_reject(skb, pkt.proto))
			return TC_ACT_SHOT_;
		return bpf_redirect(skb->ifindex, 0);
	case LB4_DROP:
		return TC_ACT_SHOT_;
	default:
		return TC_ACT_OK_;
	}
}

/* TC ingress on a node device: answers the packets XDP marked for a reject. */
SEC("tc")
int kbpf_tc_dev(struct __sk_buff *skb)
{
	void *data = skb_data(skb);
	__u32 *meta = skb_data_meta(skb);
	struct lb4_pkt pkt = {};

	if ((void *)(meta + 1) > data || *meta != KBPF_META_REJECT)
		return TC_ACT_OK_;
	if (tc_parse(skb, &pkt) < 0 || !pkt.has_l4)
		return TC_ACT_SHOT_;
	if (lb4_reject(skb, pkt.proto))
		return TC_ACT_SHOT_;
	return bpf_redirect(skb->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
