/* test_lb_bpf.c — BPF_PROG_TEST_RUN fixtures for the load-balancer programs: the real
 * programs loaded into this kernel, the maps filled by the agent's own sync from
 * Kubernetes objects, packets built and checked by tests/bpf/pkt.c (Katran's
 * KatranTestFixtures.h habit: description, input, expected verdict, expected output). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "lb_dataplane.h"
#include "lb_model.h"
#include "log.h"
#include "pkt.h"

#define NODE_IP "10.99.0.1"
#define CLIENT "10.99.0.2"
#define HAIRPIN "169.254.42.1"

static struct lb_dp *dp;

/* The cluster the fixtures run against, as the agent would read it. */
static const char *services_json = "{\"kind\":\"List\",\"items\":["
	/* web1: every frontend type, one local endpoint. */
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"web1\",\"namespace\":\"default\"},"
	" \"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.10\",\"externalIPs\":[\"203.0.113.10\"],"
	"  \"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080},"
	"           {\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":53,\"nodePort\":30053}]},"
	" \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.10\"}]}}},"
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"web1-a\",\"namespace\":\"default\","
	"  \"labels\":{\"kubernetes.io/service-name\":\"web1\"}},\"addressType\":\"IPv4\","
	" \"ports\":[{\"name\":\"http\",\"port\":8080},{\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":5353}],"
	" \"endpoints\":[{\"addresses\":[\"10.244.0.11\"],\"nodeName\":\"n1\"}]},"
	/* remote: one endpoint on another node (SNAT from XDP). */
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"remote\",\"namespace\":\"default\"},"
	" \"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.11\","
	"  \"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30081},"
	"           {\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":53,\"nodePort\":30054}]}},"
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"remote-a\",\"namespace\":\"default\","
	"  \"labels\":{\"kubernetes.io/service-name\":\"remote\"}},\"addressType\":\"IPv4\","
	" \"ports\":[{\"name\":\"http\",\"port\":8080},{\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":5353}],"
	" \"endpoints\":[{\"addresses\":[\"10.244.1.21\"],\"nodeName\":\"n2\"}]},"
	/* empty: no endpoints at all (reject). */
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"empty\",\"namespace\":\"default\"},"
	" \"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.20\","
	"  \"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30090},"
	"           {\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":53,\"nodePort\":30091}]}},"
	/* localonly: externalTrafficPolicy Local, endpoint elsewhere (drop). */
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"localonly\",\"namespace\":\"default\"},"
	" \"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.21\",\"externalTrafficPolicy\":\"Local\","
	"  \"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30070}]}},"
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"localonly-a\",\"namespace\":\"default\","
	"  \"labels\":{\"kubernetes.io/service-name\":\"localonly\"}},\"addressType\":\"IPv4\","
	" \"ports\":[{\"name\":\"http\",\"port\":8080}],"
	" \"endpoints\":[{\"addresses\":[\"10.244.1.22\"],\"nodeName\":\"n2\"}]},"
	/* aff: ClientIP session affinity over three endpoints. */
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"aff\",\"namespace\":\"default\"},"
	" \"spec\":{\"clusterIP\":\"10.96.0.30\",\"sessionAffinity\":\"ClientIP\","
	"  \"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":60}},"
	"  \"ports\":[{\"name\":\"http\",\"port\":80}]}},"
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"aff-a\",\"namespace\":\"default\","
	"  \"labels\":{\"kubernetes.io/service-name\":\"aff\"}},\"addressType\":\"IPv4\","
	" \"ports\":[{\"name\":\"http\",\"port\":8080}],"
	" \"endpoints\":[{\"addresses\":[\"10.244.0.31\"],\"nodeName\":\"n1\"},"
	"              {\"addresses\":[\"10.244.0.32\"],\"nodeName\":\"n1\"},"
	"              {\"addresses\":[\"10.244.0.33\"],\"nodeName\":\"n1\"}]},"
	/* multi: four endpoints, the one with MULTI_STATE_IDX set by the test. */
	"%s"
	"]}";

static const char *multi_fmt =
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"multi\",\"namespace\":\"default\"},"
	" \"spec\":{\"clusterIP\":\"10.96.0.40\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},"
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"multi-a\",\"namespace\":\"default\","
	"  \"labels\":{\"kubernetes.io/service-name\":\"multi\"}},\"addressType\":\"IPv4\","
	" \"ports\":[{\"name\":\"http\",\"port\":8080}],\"endpoints\":[%s]}";

/* Sync the cluster with multi's endpoints 41..44 given as "ready"/"terminating"/"gone". */
static void sync_cluster_stats(const char *states[4], struct lb_sync_stats *st)
{
	char eps[1024] = "", multi[2048], *doc;
	struct lb_node node = { .name = "n1" };
	struct lb_desired d = {};
	__be32 node_ip = ip4(NODE_IP);
	json_error_t jerr;
	char err[256];
	json_t *j;
	int i, n;

	for (i = 0; i < 4; i++) {
		if (!strcmp(states[i], "gone"))
			continue;
		n = strlen(eps);
		snprintf(eps + n, sizeof(eps) - n,
			 "%s{\"addresses\":[\"10.244.0.4%d\"],\"nodeName\":\"n1\","
			 "\"conditions\":{\"ready\":%s,\"serving\":true,\"terminating\":%s}}",
			 n ? "," : "", i + 1, !strcmp(states[i], "ready") ? "true" : "false",
			 !strcmp(states[i], "ready") ? "false" : "true");
	}
	snprintf(multi, sizeof(multi), multi_fmt, eps);
	assert_true(asprintf(&doc, services_json, multi) > 0);
	j = json_loads(doc, 0, &jerr);
	if (!j)
		fail_msg("fixture JSON: %s at %d:%d", jerr.text, jerr.line, jerr.column);
	node.ips = &node_ip;
	node.n_ips = 1;
	assert_int_equal(lb_desired_from_json(j, &node, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n_warnings, 0);
	assert_int_equal(lb_dp_sync(dp, &d, st), 0);
	lb_desired_free(&d);
	json_decref(j);
	free(doc);
}

static void sync_cluster(const char *states[4])
{
	sync_cluster_stats(states, NULL);
}

static const char *all_ready[4] = { "ready", "ready", "ready", "ready" };

static void map_clear(const char *name)
{
	int fd = lb_dp_map_fd(dp, name);
	__u8 key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		bpf_map_delete_elem(fd, key);
}

static __u64 metric(unsigned int m)
{
	int fd = lb_dp_map_fd(dp, "kbpf_metrics"), n = libbpf_num_possible_cpus(), i;
	__u64 v[n], sum = 0;

	if (bpf_map_lookup_elem(fd, &m, v))
		return 0;
	for (i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

static void reset_flows(void)
{
	map_clear("ct4");
	map_clear("lb4_affinity");
	map_clear("lb4_frags");
}

/* Run one program on one frame. */
static __u32 run(const char *prog, const __u8 *in, size_t in_len, __u8 *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = in_len, .data_out = out,
		    .data_size_out = PKT_MAX, .repeat = 1);
	int fd = lb_dp_prog_fd(dp, prog);

	assert_true(fd >= 0);
	if (bpf_prog_test_run_opts(fd, &o))
		fail_msg("BPF_PROG_TEST_RUN of %s: %s", prog, strerror(errno));
	*out_len = o.data_size_out;
	return o.retval;
}

static __u32 run_spec(const char *prog, const struct pkt_spec *s, struct pkt_view *v,
		      __u8 *out, size_t *out_len)
{
	__u8 in[PKT_MAX];
	size_t in_len = pkt_build(s, in, sizeof(in));
	__u32 ret;

	assert_true(in_len > 0);
	ret = run(prog, in, in_len, out, out_len);
	if (v)
		assert_int_equal(pkt_parse(out, *out_len, v), 0);
	return ret;
}

/* --- the table: one packet each, conntrack empty --- */

/* OUT_META: unchanged, behind 4 bytes of XDP metadata holding KBPF_META_REJECT. */
enum expect { OUT_SAME, OUT_TUPLE, OUT_SNAT, OUT_META };

struct fixture {
	const char *desc;
	const char *prog;
	struct pkt_spec in;
	__u32 verdict;
	enum expect expect;
	const char *src, *dst; /* OUT_TUPLE/OUT_SNAT: expected addresses */
	__u16 sport, dport;    /* 0: unchanged (OUT_SNAT: sport from the SNAT range) */
	unsigned int metric;   /* counter that must go up by one */
};

#define TCP_SYN(s, sp, d, dp_) { .proto = IPPROTO_TCP, .src = s, .sport = sp, .dst = d, \
				  .dport = dp_, .tcp_flags = TH_SYN, .seq = 1000, .payload_len = 0 }
#define UDP_PKT(s, sp, d, dp_) { .proto = IPPROTO_UDP, .src = s, .sport = sp, .dst = d, \
				  .dport = dp_, .payload_len = 32 }

static const struct fixture fixtures[] = {
	/* XDP on the node device: external frontends. */
	{ "XDP NodePort TCP to a local endpoint: DNAT, client source kept", "kbpf_xdp_dev",
	  TCP_SYN(CLIENT, 40000, NODE_IP, 30080), XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11",
	  40000, 8080, M_FWD_NEW },
	{ "XDP NodePort UDP to a local endpoint: DNAT", "kbpf_xdp_dev",
	  UDP_PKT(CLIENT, 40001, NODE_IP, 30053), XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11",
	  40001, 5353, M_FWD_NEW },
	{ "XDP ExternalIP TCP: DNAT", "kbpf_xdp_dev", TCP_SYN(CLIENT, 40002, "203.0.113.10", 80),
	  XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11", 40002, 8080, M_FWD_NEW },
	{ "XDP ExternalIP UDP: DNAT", "kbpf_xdp_dev", UDP_PKT(CLIENT, 40003, "203.0.113.10", 53),
	  XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11", 40003, 5353, M_FWD_NEW },
	{ "XDP LoadBalancer IP TCP: DNAT", "kbpf_xdp_dev",
	  TCP_SYN(CLIENT, 40004, "198.51.100.10", 80), XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11",
	  40004, 8080, M_FWD_NEW },
	{ "XDP LoadBalancer IP UDP: DNAT", "kbpf_xdp_dev",
	  UDP_PKT(CLIENT, 40005, "198.51.100.10", 53), XDP_PASS, OUT_TUPLE, CLIENT,
	  "10.244.0.11", 40005, 5353, M_FWD_NEW },
	{ "XDP NodePort TCP to a remote endpoint: DNAT and SNAT to the node", "kbpf_xdp_dev",
	  TCP_SYN(CLIENT, 40006, NODE_IP, 30081), XDP_PASS, OUT_SNAT, NODE_IP, "10.244.1.21", 0,
	  8080, M_FWD_NEW },
	{ "XDP NodePort UDP to a remote endpoint: DNAT and SNAT", "kbpf_xdp_dev",
	  UDP_PKT(CLIENT, 40007, NODE_IP, 30054), XDP_PASS, OUT_SNAT, NODE_IP, "10.244.1.21", 0,
	  5353, M_FWD_NEW },
	{ "XDP ClusterIP from outside is not served", "kbpf_xdp_dev",
	  TCP_SYN(CLIENT, 40008, "10.96.0.10", 80), XDP_PASS, OUT_SAME, NULL, NULL, 0, 0,
	  M_PASS_CLUSTERIP_EXT },
	{ "XDP traffic for no Service passes untouched", "kbpf_xdp_dev",
	  TCP_SYN(CLIENT, 40009, NODE_IP, 22), XDP_PASS, OUT_SAME, NULL, NULL, 0, 0,
	  M_PASS_NO_SERVICE },
	{ "XDP a frontend port with the wrong protocol is no Service", "kbpf_xdp_dev",
	  UDP_PKT(CLIENT, 40010, NODE_IP, 30080), XDP_PASS, OUT_SAME, NULL, NULL, 0, 0,
	  M_PASS_NO_SERVICE },
	{ "XDP no endpoints: marked for the TC reject, passed unchanged", "kbpf_xdp_dev",
	  TCP_SYN(CLIENT, 40011, NODE_IP, 30090), XDP_PASS, OUT_META, NULL, NULL, 0, 0,
	  M_REJECT_MARKED },
	{ "XDP externalTrafficPolicy Local without a local endpoint drops", "kbpf_xdp_dev",
	  TCP_SYN(CLIENT, 40012, NODE_IP, 30070), XDP_DROP, OUT_SAME, NULL, NULL, 0, 0,
	  M_DROP_NO_LOCAL },
	{ "XDP IP options are kept and the packet is translated", "kbpf_xdp_dev",
	  { .proto = IPPROTO_TCP, .src = CLIENT, .sport = 40013, .dst = NODE_IP, .dport = 30080,
	    .tcp_flags = TH_SYN, .ip_opt_words = 2 },
	  XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11", 40013, 8080, M_FWD_NEW },
	{ "XDP UDP without checksum keeps checksum 0", "kbpf_xdp_dev",
	  { .proto = IPPROTO_UDP, .src = CLIENT, .sport = 40014, .dst = NODE_IP, .dport = 30053,
	    .payload_len = 20, .udp_no_csum = true },
	  XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11", 40014, 5353, M_FWD_NEW },
	{ "XDP TCP with payload: checksum over the payload still valid", "kbpf_xdp_dev",
	  { .proto = IPPROTO_TCP, .src = CLIENT, .sport = 40015, .dst = NODE_IP, .dport = 30080,
	    .tcp_flags = TH_SYN | TH_PSH, .payload_len = 333 },
	  XDP_PASS, OUT_TUPLE, CLIENT, "10.244.0.11", 40015, 8080, M_FWD_NEW },
	{ "XDP ICMP echo passes", "kbpf_xdp_dev",
	  { .proto = IPPROTO_ICMP, .src = CLIENT, .dst = NODE_IP, .icmp_type = 8,
	    .payload_len = 16 },
	  XDP_PASS, OUT_SAME, NULL, NULL, 0, 0, M_PASS_ICMP },
	{ "XDP ICMP error about no tracked flow passes", "kbpf_xdp_dev",
	  { .proto = IPPROTO_ICMP, .src = "10.244.1.99", .dst = NODE_IP, .icmp_type = 3,
	    .icmp_code = 3, .quote = &(struct pkt_spec)UDP_PKT(NODE_IP, 1234, "10.244.1.99", 53) },
	  XDP_PASS, OUT_SAME, NULL, NULL, 0, 0, M_PASS_ICMP },
	{ "XDP a later fragment of an unseen datagram passes", "kbpf_xdp_dev",
	  { .proto = IPPROTO_UDP, .src = CLIENT, .dst = NODE_IP, .ip_id = 777, .frag = 100,
	    .l4_absent = true, .payload_len = 64 },
	  XDP_PASS, OUT_SAME, NULL, NULL, 0, 0, M_FRAG_MISS },
	{ "XDP other IP protocols (GRE) pass", "kbpf_xdp_dev",
	  { .proto = 47, .src = CLIENT, .dst = NODE_IP, .l4_absent = true, .payload_len = 24 },
	  XDP_PASS, OUT_SAME, NULL, NULL, 0, 0, M_PASS_OTHER_PROTO },

	/* TC on a pod veth: pod traffic. */
	{ "TC pod to ClusterIP TCP: DNAT, pod source kept", "kbpf_tc_pod",
	  TCP_SYN("10.244.0.50", 50000, "10.96.0.10", 80), TC_ACT_OK, OUT_TUPLE, "10.244.0.50",
	  "10.244.0.11", 50000, 8080, M_FWD_NEW },
	{ "TC pod to ClusterIP UDP: DNAT", "kbpf_tc_pod",
	  UDP_PKT("10.244.0.50", 50001, "10.96.0.10", 53), TC_ACT_OK, OUT_TUPLE, "10.244.0.50",
	  "10.244.0.11", 50001, 5353, M_FWD_NEW },
	{ "TC pod to a NodePort of its node: DNAT", "kbpf_tc_pod",
	  TCP_SYN("10.244.0.50", 50002, NODE_IP, 30080), TC_ACT_OK, OUT_TUPLE, "10.244.0.50",
	  "10.244.0.11", 50002, 8080, M_FWD_NEW },
	{ "TC pod to a remote endpoint: DNAT only (routing brings replies back)", "kbpf_tc_pod",
	  TCP_SYN("10.244.0.50", 50003, "10.96.0.11", 80), TC_ACT_OK, OUT_TUPLE, "10.244.0.50",
	  "10.244.1.21", 50003, 8080, M_FWD_NEW },
	{ "TC pod reaching itself (hairpin): SNAT to the hairpin address, sent back", "kbpf_tc_pod",
	  TCP_SYN("10.244.0.11", 50004, "10.96.0.10", 80), TC_ACT_REDIRECT, OUT_TUPLE, HAIRPIN,
	  "10.244.0.11", 50004, 8080, M_FWD_NEW },
	{ "TC pod to eTP=Local Service uses any endpoint (internal traffic)", "kbpf_tc_pod",
	  TCP_SYN("10.244.0.50", 50005, "10.96.0.21", 80), TC_ACT_OK, OUT_TUPLE, "10.244.0.50",
	  "10.244.1.22", 50005, 8080, M_FWD_NEW },
	{ "TC traffic for no Service passes untouched", "kbpf_tc_pod",
	  TCP_SYN("10.244.0.50", 50006, "10.244.0.12", 8080), TC_ACT_OK, OUT_SAME, NULL, NULL, 0,
	  0, M_PASS_NO_SERVICE },
	{ "TC device program leaves unmarked packets alone", "kbpf_tc_dev",
	  TCP_SYN(CLIENT, 40020, NODE_IP, 30090), TC_ACT_OK, OUT_SAME, NULL, NULL, 0, 0, M_MAX },
};

static void check_fixture(const struct fixture *f)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(&f->in, in, sizeof(in)), out_len;
	struct pkt_view iv, ov;
	__u64 before = f->metric < M_MAX ? metric(f->metric) : 0;
	__u32 ret;

	reset_flows();
	assert_true(in_len > 0);
	ret = run(f->prog, in, in_len, out, &out_len);
	if (ret != f->verdict)
		fail_msg("%s: verdict %u, expected %u", f->desc, ret, f->verdict);
	if (f->metric < M_MAX && metric(f->metric) != before + 1)
		fail_msg("%s: counter %s did not go up by one", f->desc, lb_metric_name(f->metric));
	if (f->verdict == XDP_DROP && !strcmp(f->prog, "kbpf_xdp_dev"))
		return;
	if (f->expect == OUT_SAME) {
		if (out_len != in_len || memcmp(in, out, in_len))
			fail_msg("%s: packet changed", f->desc);
		return;
	}
	if (f->expect == OUT_META) {
		__u32 meta = KBPF_META_REJECT;

		/* BPF_PROG_TEST_RUN returns XDP metadata in front of the packet. */
		if (out_len != in_len + 4 || memcmp(out, &meta, 4) || memcmp(out + 4, in, in_len))
			fail_msg("%s: expected the reject mark in metadata and the packet unchanged",
				 f->desc);
		return;
	}
	assert_int_equal(pkt_parse(in, in_len, &iv), 0);
	if (pkt_parse(out, out_len, &ov))
		fail_msg("%s: output is not IPv4", f->desc);
	if (ov.saddr != ip4(f->src) || ov.daddr != ip4(f->dst))
		fail_msg("%s: addresses %08x -> %08x, expected %s -> %s", f->desc, ntohl(ov.saddr),
			 ntohl(ov.daddr), f->src, f->dst);
	if (f->expect == OUT_SNAT) {
		if (ov.sport < SNAT_PORT_MIN)
			fail_msg("%s: SNAT port %u outside %u-%u", f->desc, ov.sport, SNAT_PORT_MIN,
				 SNAT_PORT_MAX);
	} else if (ov.sport != f->sport) {
		fail_msg("%s: source port %u, expected %u", f->desc, ov.sport, f->sport);
	}
	if (ov.dport != f->dport)
		fail_msg("%s: destination port %u, expected %u", f->desc, ov.dport, f->dport);
	if (!ov.ip_csum_ok || !ov.l4_csum_ok)
		fail_msg("%s: checksum invalid after rewrite (ip %d, l4 %d)", f->desc, ov.ip_csum_ok,
			 ov.l4_csum_ok);
	if (iv.udp_csum_zero != ov.udp_csum_zero)
		fail_msg("%s: UDP zero checksum not kept", f->desc);
	if (ov.ihl != iv.ihl || ov.ttl != iv.ttl || ov.ip_len != iv.ip_len ||
	    ov.payload_len != iv.payload_len || memcmp(ov.payload, iv.payload, iv.payload_len))
		fail_msg("%s: header length, TTL or payload changed", f->desc);
	if (f->verdict == TC_ACT_REDIRECT &&
	    (ov.src_mac_last != iv.dst_mac_last || ov.dst_mac_last != iv.src_mac_last))
		fail_msg("%s: a packet sent back must be addressed to its sender", f->desc);
}

/* One cmocka test per fixture, named by its description. */
static void test_fixture(void **state)
{
	check_fixture(*state);
}

/* --- malformed input --- */

static void test_malformed(void **state)
{
	struct pkt_spec good = TCP_SYN(CLIENT, 41000, NODE_IP, 30080);
	__u8 pkt[PKT_MAX], out[PKT_MAX];
	size_t len = pkt_build(&good, pkt, sizeof(pkt)), out_len;
	static const char *const progs[] = { "kbpf_xdp_dev", "kbpf_tc_pod" };
	size_t p;

	(void)state;
	for (p = 0; p < 2; p++) {
		bool xdp = !strcmp(progs[p], "kbpf_xdp_dev");
		__u32 drop = xdp ? XDP_DROP : TC_ACT_SHOT, pass = xdp ? XDP_PASS : TC_ACT_OK;
		__u8 bad[PKT_MAX];
		__u64 before;

		reset_flows();
		/* Truncated IPv4 header: 14 + 12 bytes (the kernel refuses such an skb for a
		 * TC test run, so XDP only). */
		before = metric(M_DROP_MALFORMED);
		if (xdp) {
			assert_int_equal(run(progs[p], pkt, 26, out, &out_len), drop);
			assert_int_equal(metric(M_DROP_MALFORMED), before + 1);
		}
		/* IHL below 5. */
		memcpy(bad, pkt, len);
		bad[14] = 0x44;
		assert_int_equal(run(progs[p], bad, len, out, &out_len), drop);
		/* Total length beyond the frame. */
		memcpy(bad, pkt, len);
		bad[16] = 0x05;
		assert_int_equal(run(progs[p], bad, len, out, &out_len), drop);
		/* TCP header cut short: the IP header says 30 bytes. */
		memcpy(bad, pkt, len);
		bad[16] = 0;
		bad[17] = 30;
		assert_int_equal(run(progs[p], bad, 14 + 30, out, &out_len), drop);
		/* TCP data offset below 5. */
		memcpy(bad, pkt, len);
		bad[14 + 20 + 12] = 0x40;
		assert_int_equal(run(progs[p], bad, len, out, &out_len), drop);
		/* Not IPv4: ARP and IPv6 pass unchanged. */
		memcpy(bad, pkt, len);
		bad[12] = 0x08;
		bad[13] = 0x06;
		before = metric(M_PASS_NOT_IPV4);
		assert_int_equal(run(progs[p], bad, len, out, &out_len), pass);
		assert_memory_equal(out, bad, len);
		bad[12] = 0x86;
		bad[13] = 0xdd;
		assert_int_equal(run(progs[p], bad, len, out, &out_len), pass);
		assert_int_equal(metric(M_PASS_NOT_IPV4), before + 2);
		/* Nothing above may have created a flow. */
		{
			struct ct4_key k;

			assert_true(bpf_map_get_next_key(lb_dp_map_fd(dp, "ct4"), NULL, &k));
		}
	}
}

/* --- flows across several packets --- */

/* Reply through XDP of a flow that was SNATed to a remote backend. */
static void test_xdp_snat_reply(void **state)
{
	struct pkt_spec syn = TCP_SYN(CLIENT, 42000, NODE_IP, 30081);
	struct pkt_spec reply = { .proto = IPPROTO_TCP, .src = "10.244.1.21", .sport = 8080,
				  .dst = NODE_IP, .tcp_flags = TH_SYN | TH_ACK, .seq = 5000,
				  .ack = 1001, .payload_len = 10 };
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;
	__u16 snat_port;

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_xdp_dev", &syn, &v, out, &out_len), XDP_PASS);
	snat_port = v.sport;
	assert_int_equal(v.saddr, ip4(NODE_IP));
	reply.dport = snat_port;
	assert_int_equal(run_spec("kbpf_xdp_dev", &reply, &v, out, &out_len), XDP_PASS);
	assert_int_equal(v.saddr, ip4(NODE_IP));
	assert_int_equal(v.sport, 30081);
	assert_int_equal(v.daddr, ip4(CLIENT));
	assert_int_equal(v.dport, 42000);
	assert_true(v.ip_csum_ok && v.l4_csum_ok);
	/* A second SYN of another client port gets another SNAT port. */
	syn.sport = 42001;
	assert_int_equal(run_spec("kbpf_xdp_dev", &syn, &v, out, &out_len), XDP_PASS);
	assert_int_not_equal(v.sport, snat_port);
}

/* Reply from a local backend pod goes through the pod veth's TC program. */
static void test_tc_reply_of_xdp_flow(void **state)
{
	struct pkt_spec syn = TCP_SYN(CLIENT, 42100, NODE_IP, 30080);
	struct pkt_spec reply = { .proto = IPPROTO_TCP, .src = "10.244.0.11", .sport = 8080,
				  .dst = CLIENT, .dport = 42100, .tcp_flags = TH_SYN | TH_ACK,
				  .seq = 7, .ack = 1001 };
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_xdp_dev", &syn, &v, out, &out_len), XDP_PASS);
	assert_int_equal(run_spec("kbpf_tc_pod", &reply, &v, out, &out_len), TC_ACT_OK);
	assert_int_equal(v.saddr, ip4(NODE_IP));
	assert_int_equal(v.sport, 30080);
	assert_int_equal(v.daddr, ip4(CLIENT));
	assert_int_equal(v.dport, 42100);
	assert_true(v.ip_csum_ok && v.l4_csum_ok);
}

/* ClusterIP flow from a pod, UDP: request and reply. */
static void test_tc_clusterip_reply(void **state)
{
	struct pkt_spec req = UDP_PKT("10.244.0.50", 43000, "10.96.0.10", 53);
	struct pkt_spec reply = UDP_PKT("10.244.0.11", 5353, "10.244.0.50", 43000);
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_tc_pod", &req, &v, out, &out_len), TC_ACT_OK);
	assert_int_equal(run_spec("kbpf_tc_pod", &reply, &v, out, &out_len), TC_ACT_OK);
	assert_int_equal(v.saddr, ip4("10.96.0.10"));
	assert_int_equal(v.sport, 53);
	assert_int_equal(v.daddr, ip4("10.244.0.50"));
	assert_int_equal(v.dport, 43000);
	assert_true(v.ip_csum_ok && v.l4_csum_ok);
}

/* Hairpin: the reply from the pod to the hairpin address comes back as the Service. */
static void test_hairpin_reply(void **state)
{
	struct pkt_spec syn = TCP_SYN("10.244.0.11", 43100, "10.96.0.10", 80);
	struct pkt_spec reply = { .proto = IPPROTO_TCP, .src = "10.244.0.11", .sport = 8080,
				  .dst = HAIRPIN, .dport = 43100, .tcp_flags = TH_SYN | TH_ACK,
				  .src_mac_last = 0x11, .dst_mac_last = 0x22 };
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_REDIRECT);
	assert_int_equal(run_spec("kbpf_tc_pod", &reply, &v, out, &out_len), TC_ACT_REDIRECT);
	assert_int_equal(v.saddr, ip4("10.96.0.10"));
	assert_int_equal(v.sport, 80);
	assert_int_equal(v.daddr, ip4("10.244.0.11"));
	assert_int_equal(v.dport, 43100);
	assert_int_equal(v.dst_mac_last, 0x11);
	assert_true(v.ip_csum_ok && v.l4_csum_ok);
}

/* Established flows keep their backend; the conntrack entries say so. */
static void test_established_and_ct_contents(void **state)
{
	struct pkt_spec syn = TCP_SYN("10.244.0.50", 44000, "10.96.0.40", 80);
	struct pkt_spec ack = syn;
	struct ct4_key k = { .proto = IPPROTO_TCP, .dir = CT_DIR_FWD };
	struct ct4_entry e;
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;
	__u32 first, i, now = lb_now_sec();
	__u64 est;

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_OK);
	first = v.daddr;
	ack.tcp_flags = TH_ACK;
	est = metric(M_FWD_ESTABLISHED);
	for (i = 0; i < 20; i++) {
		assert_int_equal(run_spec("kbpf_tc_pod", &ack, &v, out, &out_len), TC_ACT_OK);
		assert_int_equal(v.daddr, first);
	}
	assert_int_equal(metric(M_FWD_ESTABLISHED), est + 20);

	k.saddr = ip4("10.244.0.50");
	k.daddr = ip4("10.96.0.40");
	k.sport = htons(44000);
	k.dport = htons(80);
	assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "ct4"), &k, &e), 0);
	assert_true(e.expires > now + 3600); /* established TCP: hours, not the SYN minute */
	k = (struct ct4_key){ .saddr = first, .daddr = ip4("10.244.0.50"), .sport = htons(8080),
			      .dport = htons(44000), .proto = IPPROTO_TCP, .dir = CT_DIR_REV };
	assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "ct4"), &k, &e), 0);
	assert_int_equal(e.nat_addr, ip4("10.244.0.50"));

	/* A RST closes: the forward entry gets the short close timeout. */
	ack.tcp_flags = TH_RST;
	assert_int_equal(run_spec("kbpf_tc_pod", &ack, &v, out, &out_len), TC_ACT_OK);
	k = (struct ct4_key){ .saddr = ip4("10.244.0.50"), .daddr = ip4("10.96.0.40"),
			      .sport = htons(44000), .dport = htons(80), .proto = IPPROTO_TCP,
			      .dir = CT_DIR_FWD };
	assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "ct4"), &k, &e), 0);
	assert_true(e.flags & CT_F_CLOSING);
	assert_true(e.expires <= lb_now_sec() + CT_TIMEOUT_TCP_CLOSE);
}

/* New flows spread over backends by flow; ClientIP affinity pins a client to one. */
static void test_spread_and_affinity(void **state)
{
	__u32 seen_multi[8] = {}, seen_aff = 0, n_multi = 0, i, j;
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;

	(void)state;
	reset_flows();
	for (i = 0; i < 64; i++) {
		struct pkt_spec syn = TCP_SYN("10.244.0.50", 45000 + i, "10.96.0.40", 80);

		assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_OK);
		for (j = 0; j < n_multi && seen_multi[j] != v.daddr; j++)
			;
		if (j == n_multi)
			seen_multi[n_multi++] = v.daddr;
	}
	assert_int_equal(n_multi, 4);
	for (i = 0; i < 64; i++) {
		struct pkt_spec syn = TCP_SYN("10.244.0.50", 46000 + i, "10.96.0.30", 80);

		assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_OK);
		if (!seen_aff)
			seen_aff = v.daddr;
		assert_int_equal(v.daddr, seen_aff);
	}
}

/* ClientIP affinity holds within its timeout and lapses after it. */
static void test_affinity_timeout(void **state)
{
	struct pkt_spec syn = TCP_SYN("10.244.0.50", 46500, "10.96.0.30", 80);
	struct lb4_key key = { .addr = ip4("10.96.0.30"), .port = htons(80),
			       .proto = IPPROTO_TCP };
	int fd_aff = lb_dp_map_fd(dp, "lb4_affinity");
	struct lb4_affinity_key ak = { .client = ip4("10.244.0.50") };
	struct lb4_affinity aff;
	struct lb4_service svc;
	struct lb4_slot_key sk;
	__u32 hashed, other_id = 0, other_addr = 0, id;
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;

	(void)state;
	reset_flows();
	assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "lb4_services"), &key, &svc), 0);
	assert_int_equal(svc.affinity_timeout, 60);
	assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_OK);
	hashed = v.daddr; /* what the flow hash picks for this tuple */

	/* Point the client's affinity at another backend of the set. */
	for (sk.set = svc.int_set, sk.slot = 0; sk.slot < svc.int_count; sk.slot++) {
		struct lb4_backend be;

		assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "lb4_slots"), &sk, &id), 0);
		assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "lb4_backends"), &id, &be), 0);
		if (be.addr != hashed) {
			other_id = id;
			other_addr = be.addr;
			break;
		}
	}
	assert_int_not_equal(other_addr, 0);
	ak.svc_id = svc.id;
	aff = (struct lb4_affinity){ .backend_id = other_id, .last_used = lb_now_sec() };
	map_clear("ct4");
	assert_int_equal(bpf_map_update_elem(fd_aff, &ak, &aff, BPF_ANY), 0);
	assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_OK);
	assert_int_equal(v.daddr, other_addr);

	/* 61 s later the affinity has lapsed: the hash decides again. */
	aff.last_used = lb_now_sec() - 61;
	map_clear("ct4");
	assert_int_equal(bpf_map_update_elem(fd_aff, &ak, &aff, BPF_ANY), 0);
	assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_OK);
	assert_int_equal(v.daddr, hashed);
}

/* Terminating endpoints keep their flows and get no new ones; removed ones lose them. */
static void test_terminating_endpoint(void **state)
{
	const char *states[4] = { "ready", "ready", "ready", "ready" };
	struct pkt_spec flow = TCP_SYN("10.244.0.50", 47000, "10.96.0.40", 80);
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;
	__u32 victim, i;
	int idx;

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_tc_pod", &flow, &v, out, &out_len), TC_ACT_OK);
	victim = v.daddr;
	idx = (ntohl(victim) & 0xff) - 41;
	assert_true(idx >= 0 && idx < 4);

	states[idx] = "terminating";
	sync_cluster(states);
	flow.tcp_flags = TH_ACK;
	assert_int_equal(run_spec("kbpf_tc_pod", &flow, &v, out, &out_len), TC_ACT_OK);
	assert_int_equal(v.daddr, victim);
	for (i = 0; i < 64; i++) {
		struct pkt_spec syn = TCP_SYN("10.244.0.50", 47100 + i, "10.96.0.40", 80);

		assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_OK);
		assert_int_not_equal(v.daddr, victim);
	}

	/* Gone from the slice: its flow moves to a ready backend at once (the backend entry
	 * itself stays for the grace period), as kube-proxy flushes its conntrack. */
	states[idx] = "gone";
	sync_cluster(states);
	assert_int_equal(run_spec("kbpf_tc_pod", &flow, &v, out, &out_len), TC_ACT_OK);
	assert_int_not_equal(v.daddr, victim);
	{
		__u64 before = metric(M_BACKEND_GONE);

		flow.sport = 47001;
		flow.tcp_flags = TH_SYN;
		assert_int_equal(run_spec("kbpf_tc_pod", &flow, &v, out, &out_len), TC_ACT_OK);
		assert_int_equal(metric(M_BACKEND_GONE), before);
	}
	sync_cluster(all_ready);
	lb_dp_gc(dp, true);
}

/* The frontend entry flips to a complete new set; the old set stays readable until the
 * grace period ends (no packet sees a half-written Service). */
static void test_set_flip(void **state)
{
	const char *states[4] = { "ready", "ready", "gone", "ready" };
	struct lb4_key key = { .addr = ip4("10.96.0.40"), .port = htons(80),
			       .proto = IPPROTO_TCP };
	struct lb4_service before, after;
	struct lb4_slot_key sk;
	int fd_svc = lb_dp_map_fd(dp, "lb4_services"), fd_slots = lb_dp_map_fd(dp, "lb4_slots");
	__u32 id;

	(void)state;
	sync_cluster(all_ready);
	lb_dp_gc(dp, true);
	assert_int_equal(bpf_map_lookup_elem(fd_svc, &key, &before), 0);
	assert_int_equal(before.int_count, 4);
	sync_cluster(states);
	assert_int_equal(bpf_map_lookup_elem(fd_svc, &key, &after), 0);
	assert_int_equal(after.int_count, 3);
	assert_int_not_equal(after.int_set, before.int_set);
	for (sk.set = after.int_set, sk.slot = 0; sk.slot < 3; sk.slot++)
		assert_int_equal(bpf_map_lookup_elem(fd_slots, &sk, &id), 0);
	for (sk.set = before.int_set, sk.slot = 0; sk.slot < 4; sk.slot++)
		assert_int_equal(bpf_map_lookup_elem(fd_slots, &sk, &id), 0);
	lb_dp_gc(dp, false); /* within the grace period: kept */
	sk.set = before.int_set;
	sk.slot = 0;
	assert_int_equal(bpf_map_lookup_elem(fd_slots, &sk, &id), 0);
	lb_dp_gc(dp, true);
	assert_int_not_equal(bpf_map_lookup_elem(fd_slots, &sk, &id), 0);
	/* The same state again writes nothing. */
	{
		struct lb_sync_stats st;

		sync_cluster_stats(states, &st);
		assert_int_equal(st.frontends_added + st.frontends_updated + st.frontends_deleted, 0);
		assert_int_equal(st.backends_added + st.backends_updated + st.sets_created, 0);
	}
	sync_cluster(all_ready);
	lb_dp_gc(dp, true);
}

/* TCP RST and ICMP port unreachable for a Service without endpoints. */
static void test_reject(void **state)
{
	struct pkt_spec syn = TCP_SYN("10.244.0.50", 48000, "10.96.0.20", 80);
	struct pkt_spec ack = { .proto = IPPROTO_TCP, .src = "10.244.0.50", .sport = 48001,
				.dst = "10.96.0.20", .dport = 80, .tcp_flags = TH_ACK | TH_PSH,
				.seq = 100, .ack = 555, .payload_len = 40 };
	struct pkt_spec udp = UDP_PKT("10.244.0.50", 48002, "10.96.0.20", 53);
	struct pkt_spec rst = ack;
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;
	__u64 before = metric(M_REJECT);

	(void)state;
	reset_flows();
	syn.src_mac_last = 0x33;
	syn.dst_mac_last = 0x44;
	assert_int_equal(run_spec("kbpf_tc_pod", &syn, &v, out, &out_len), TC_ACT_REDIRECT);
	assert_int_equal(v.proto, IPPROTO_TCP);
	assert_int_equal(v.saddr, ip4("10.96.0.20"));
	assert_int_equal(v.daddr, ip4("10.244.0.50"));
	assert_int_equal(v.sport, 80);
	assert_int_equal(v.dport, 48000);
	assert_int_equal(v.tcp_flags, TH_RST | TH_ACK);
	assert_int_equal(v.ack, 1001);
	assert_int_equal(v.payload_len, 0);
	assert_int_equal(v.dst_mac_last, 0x33);
	assert_int_equal(v.src_mac_last, 0x44);
	assert_true(v.ip_csum_ok && v.l4_csum_ok);

	/* A segment with ACK gets a bare RST with seq = its ack (RFC 9293). */
	assert_int_equal(run_spec("kbpf_tc_pod", &ack, &v, out, &out_len), TC_ACT_REDIRECT);
	assert_int_equal(v.tcp_flags, TH_RST);
	assert_int_equal(v.seq, 555);
	assert_true(v.ip_csum_ok && v.l4_csum_ok);

	assert_int_equal(run_spec("kbpf_tc_pod", &udp, &v, out, &out_len), TC_ACT_REDIRECT);
	assert_int_equal(v.proto, IPPROTO_ICMP);
	assert_int_equal(v.icmp_type, 3);
	assert_int_equal(v.icmp_code, 3);
	assert_int_equal(v.saddr, ip4("10.96.0.20"));
	assert_int_equal(v.daddr, ip4("10.244.0.50"));
	assert_int_equal(v.in_saddr, ip4("10.244.0.50"));
	assert_int_equal(v.in_daddr, ip4("10.96.0.20"));
	assert_int_equal(v.in_sport, 48002);
	assert_int_equal(v.in_dport, 53);
	assert_true(v.ip_csum_ok && v.l4_csum_ok && v.in_ip_csum_ok);
	assert_int_equal(metric(M_REJECT), before + 3);

	/* Never answer a RST with a RST. */
	rst.tcp_flags = TH_RST;
	assert_int_equal(run_spec("kbpf_tc_pod", &rst, NULL, out, &out_len), TC_ACT_SHOT);
}

/* An ICMP error from the backend about a SNATed UDP flow reaches the client rewritten. */
static void test_icmp_error_rev_nat(void **state)
{
	struct pkt_spec req = UDP_PKT(CLIENT, 49000, NODE_IP, 30054);
	struct pkt_spec quote = UDP_PKT(NODE_IP, 0, "10.244.1.21", 5353);
	struct pkt_spec icmp = { .proto = IPPROTO_ICMP, .src = "10.244.1.21", .dst = NODE_IP,
				 .icmp_type = 3, .icmp_code = 3, .quote = &quote };
	__u8 out[PKT_MAX];
	struct pkt_view v;
	size_t out_len;

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_xdp_dev", &req, &v, out, &out_len), XDP_PASS);
	quote.sport = v.sport; /* the SNAT port the backend saw */
	assert_int_equal(run_spec("kbpf_xdp_dev", &icmp, &v, out, &out_len), XDP_PASS);
	assert_int_equal(v.saddr, ip4(NODE_IP)); /* sent by the backend: now the frontend */
	assert_int_equal(v.daddr, ip4(CLIENT));
	assert_int_equal(v.in_saddr, ip4(CLIENT));
	assert_int_equal(v.in_sport, 49000);
	assert_int_equal(v.in_daddr, ip4(NODE_IP));
	assert_int_equal(v.in_dport, 30054);
	assert_true(v.ip_csum_ok && v.l4_csum_ok && v.in_ip_csum_ok);
}

/* Fragments: later fragments follow their first one. */
static void test_fragments(void **state)
{
	struct pkt_spec first = { .proto = IPPROTO_UDP, .src = CLIENT, .sport = 49100,
				  .dst = NODE_IP, .dport = 30053, .ip_id = 4242,
				  .frag = 0x2000 /* MF */, .payload_len = 64 };
	struct pkt_spec later = { .proto = IPPROTO_UDP, .src = CLIENT, .dst = NODE_IP,
				  .ip_id = 4242, .frag = 9 /* offset 72 bytes */,
				  .l4_absent = true, .payload_len = 40 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct pkt_view v, iv;
	size_t in_len, out_len;
	__u64 before = metric(M_FRAG_TRACKED);

	(void)state;
	reset_flows();
	assert_int_equal(run_spec("kbpf_xdp_dev", &first, &v, out, &out_len), XDP_PASS);
	assert_int_equal(v.daddr, ip4("10.244.0.11"));
	assert_int_equal(v.dport, 5353);
	in_len = pkt_build(&later, in, sizeof(in));
	assert_int_equal(run("kbpf_xdp_dev", in, in_len, out, &out_len), XDP_PASS);
	assert_int_equal(pkt_parse(out, out_len, &v), 0);
	assert_int_equal(pkt_parse(in, in_len, &iv), 0);
	assert_int_equal(v.daddr, ip4("10.244.0.11"));
	assert_true(v.ip_csum_ok);
	assert_int_equal(v.payload_len, iv.payload_len);
	assert_memory_equal(v.payload, iv.payload, iv.payload_len);
	assert_int_equal(metric(M_FRAG_TRACKED), before + 1);
}

/* The agent's garbage collector removes expired flows, batch after batch, and only those. */
static void test_gc_conntrack(void **state)
{
	int fd = lb_dp_map_fd(dp, "ct4");
	__u32 now = lb_now_sec(), i, live = 0, left = 0;
	struct ct4_key k = { .proto = IPPROTO_TCP, .dir = CT_DIR_FWD }, next;
	struct ct4_entry e = {};
	void *prev = NULL;

	(void)state;
	reset_flows();
	/* 10000 entries: more than two GC batches, well under ct_max (no LRU eviction). */
	for (i = 0; i < 10000; i++) {
		k.saddr = htonl(0x0a000000 + i);
		k.sport = htons(1000 + i % 50000);
		e.expires = i % 3 ? now + 100 : now - 1;
		live += !!(i % 3);
		assert_int_equal(bpf_map_update_elem(fd, &k, &e, BPF_ANY), 0);
	}
	assert_int_equal(lb_dp_gc(dp, true), 0);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		assert_int_equal(bpf_map_lookup_elem(fd, &k, &e), 0);
		assert_true(e.expires > now);
		left++;
	}
	assert_int_equal(left, live);
	reset_flows();
}

/* Per-frontend counters count packets and bytes. */
static void test_counters(void **state)
{
	struct lb4_key key = { .addr = ip4(NODE_IP), .port = htons(30080), .proto = IPPROTO_TCP };
	struct pkt_spec syn = TCP_SYN(CLIENT, 49200, NODE_IP, 30080);
	int n = libbpf_num_possible_cpus(), i;
	struct lb4_stats st[n], st2[n];
	__u64 p0 = 0, b0 = 0, p1 = 0, b1 = 0;
	struct lb4_service svc;
	__u8 out[PKT_MAX];
	size_t out_len;

	(void)state;
	reset_flows();
	assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "lb4_services"), &key, &svc), 0);
	assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "lb4_stats"), &svc.id, st), 0);
	syn.payload_len = 100;
	for (i = 0; i < 3; i++)
		run_spec("kbpf_xdp_dev", &syn, NULL, out, &out_len);
	assert_int_equal(bpf_map_lookup_elem(lb_dp_map_fd(dp, "lb4_stats"), &svc.id, st2), 0);
	for (i = 0; i < n; i++) {
		p0 += st[i].packets;
		b0 += st[i].bytes;
		p1 += st2[i].packets;
		b1 += st2[i].bytes;
	}
	assert_int_equal(p1 - p0, 3);
	assert_int_equal(b1 - b0, 3 * (20 + 20 + 100));
}

static int group_setup(void **state)
{
	struct lb_config cfg = {
		.no_pin = true,
		.max_services = 1024,
		.max_backends = 1024,
		.max_slots = 4096,
		.ct_max = 32768,
		.max_affinity = 1024,
	};

	(void)state;
	kbpf_log_level = LOG_LEVEL_WARN;
	kbpf_log_setup_libbpf();
	cfg.node_ip = ip4(NODE_IP);
	cfg.hairpin_ip = ip4(HAIRPIN);
	if (lb_dp_open(&cfg, &dp))
		return -1;
	sync_cluster(all_ready);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	lb_dp_close(dp);
	return 0;
}

#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

int main(void)
{
	static const struct CMUnitTest flows[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_xdp_snat_reply),
		cmocka_unit_test(test_tc_reply_of_xdp_flow),
		cmocka_unit_test(test_tc_clusterip_reply),
		cmocka_unit_test(test_hairpin_reply),
		cmocka_unit_test(test_established_and_ct_contents),
		cmocka_unit_test(test_spread_and_affinity),
		cmocka_unit_test(test_affinity_timeout),
		cmocka_unit_test(test_terminating_endpoint),
		cmocka_unit_test(test_set_flip),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_icmp_error_rev_nat),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_gc_conntrack),
	};
	const size_t n_flows = sizeof(flows) / sizeof(flows[0]);
	struct CMUnitTest tests[N_FIXTURES + sizeof(flows) / sizeof(flows[0])];
	size_t i;

	for (i = 0; i < N_FIXTURES; i++)
		tests[i] = (struct CMUnitTest){
			.name = fixtures[i].desc,
			.test_func = test_fixture,
			.initial_state = (void *)&fixtures[i],
		};
	for (i = 0; i < n_flows; i++)
		tests[N_FIXTURES + i] = flows[i];
	return _cmocka_run_group_tests("lb_bpf", tests, N_FIXTURES + n_flows, group_setup,
				       group_teardown);
}
