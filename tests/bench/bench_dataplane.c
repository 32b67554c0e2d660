/* bench_dataplane.c — `make bench-dataplane`: what the eBPF load balancer costs per packet
 * as the number of Services grows (BPF_PROG_TEST_RUN on the real programs, maps filled by
 * the agent's own sync), and how long the agent takes to apply one endpoint change.
 * Prints a Markdown table; docs/BENCHMARKS.md records a run. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "lb_dataplane.h"
#include "lb_model.h"
#include "log.h"
#include "pkt.h"
#include "benchproc.h"

#define ENDPOINTS_PER_SERVICE 2
#define CLIENT "10.99.0.2"
#define NODE_IP "10.99.0.1"

struct result {
	unsigned int services;
	double sync_all_ms;     /* all Services from scratch */
	double xdp_est_ns;      /* established flow, external frontend */
	double xdp_new_ns;      /* new flow (SYN): selection + two conntrack inserts */
	double xdp_pass_ns;     /* packet for no Service */
	double tc_est_ns;       /* established ClusterIP flow from a pod */
	double change_p50_us;   /* one endpoint change of one Service */
	double change_p99_us;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void addr_str(char *buf, size_t len, __u32 base, __u32 i)
{
	struct in_addr a = { .s_addr = htonl(base + i) };

	inet_ntop(AF_INET, &a, buf, len);
}

/* Service i: ClusterIP 10.96/12 + i, ExternalIP 172.16/12 + i, endpoints from 10.128/9;
 * generation gen shifts the endpoints so that a change is a real change. */
static json_t *service_objects(__u32 i, __u32 gen)
{
	char cip[16], eip[16], ep[ENDPOINTS_PER_SERVICE][16], name[32];
	json_t *eps = json_array();
	int e;

	addr_str(cip, sizeof(cip), 0x0a600000, i + 1);
	addr_str(eip, sizeof(eip), 0xac100000, i + 1);
	snprintf(name, sizeof(name), "svc-%u", i);
	for (e = 0; e < ENDPOINTS_PER_SERVICE; e++) {
		addr_str(ep[e], sizeof(ep[e]), 0x0a800000, i * 4 + e + gen);
		json_array_append_new(eps, json_pack("{s:[s],s:s}", "addresses", ep[e], "nodeName",
						     e ? "n2" : "n1"));
	}
	return json_pack(
		"[{s:s,s:{s:s,s:s},s:{s:s,s:[s],s:[{s:s,s:i,s:i}]}},"
		" {s:s,s:{s:s,s:s,s:{s:s}},s:s,s:[{s:s,s:i}],s:o}]",
		"kind", "Service", "metadata", "name", name, "namespace", "bench", "spec",
		"clusterIP", cip, "externalIPs", eip, "ports", "name", "http", "port", 80,
		"targetPort", 8080,
		"kind", "EndpointSlice", "metadata", "name", name, "namespace", "bench", "labels",
		"kubernetes.io/service-name", name, "addressType", "IPv4", "ports", "name", "http",
		"port", 8080, "endpoints", eps);
}

static int desired_of(__u32 first, __u32 count, __u32 changed, __u32 gen, struct lb_desired *d)
{
	struct lb_node node = { .name = "n1" };
	json_t *items = json_array(), *doc;
	char err[256];
	__u32 i;
	int ret;

	for (i = first; i < first + count; i++)
		json_array_extend(items, service_objects(i, i == changed ? gen : 0));
	doc = json_pack("{s:s,s:o}", "kind", "List", "items", items);
	ret = lb_desired_from_json(doc, &node, d, err, sizeof(err));
	if (ret)
		fprintf(stderr, "bench: %s\n", err);
	json_decref(doc);
	return ret;
}

static double test_run_once_ns(int prog_fd, const __u8 *pkt, size_t len, int repeat)
{
	__u8 out[PKT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o)) {
		fprintf(stderr, "bench: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

/* This VM's timing is noisy: the median of several repeated runs. */
#define ROUNDS 7

static double test_run_ns(int prog_fd, const __u8 *pkt, size_t len, int repeat)
{
	double v[ROUNDS];
	int i;

	for (i = 0; i < ROUNDS; i++)
		v[i] = test_run_once_ns(prog_fd, pkt, len, repeat / ROUNDS);
	return median(v, ROUNDS);
}

/* What BPF_PROG_TEST_RUN itself costs: an XDP program that only returns XDP_PASS. */
static int baseline_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_baseline", "GPL", insns, 2, NULL);

	if (fd < 0) {
		fprintf(stderr, "bench: loading the baseline program: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static double harness_single_ns, harness_repeat_ns;

static void bench(unsigned int n, int repeat, int new_flows, int changes, struct result *r)
{
	struct lb_config cfg = {
		.no_pin = true,
		.node_ip = ip4(NODE_IP),
		.max_services = 2 * n + 1024,
		.max_backends = ENDPOINTS_PER_SERVICE * n + 1024,
		.max_slots = 8 * ENDPOINTS_PER_SERVICE * n + 4096,
		.ct_max = 8 * new_flows + 4096, /* no LRU eviction during the run */
	};
	char eip[16], cip[16], owner[64];
	struct lb_desired d = {};
	struct lb_dp *dp;
	struct pkt_spec syn = { .proto = IPPROTO_TCP, .src = CLIENT, .sport = 40000,
				.dst = eip, .dport = 80, .tcp_flags = TH_SYN, .payload_len = 0 };
	__u8 pkt[PKT_MAX];
	double t0, *lat;
	size_t len;
	int xdp, tc, i, base = baseline_prog();

	memset(r, 0, sizeof(*r));
	r->services = n;
	cfg.hairpin_ip = ip4(LB_HAIRPIN_IP_DEFAULT);
	if (lb_dp_open(&cfg, &dp)) {
		fprintf(stderr, "bench: cannot open the data plane\n");
		exit(1);
	}
	xdp = lb_dp_prog_fd(dp, "kbpf_xdp_dev");
	tc = lb_dp_prog_fd(dp, "kbpf_tc_pod");
	if (desired_of(0, n, n, 0, &d))
		exit(1);
	t0 = now_us();
	if (lb_dp_sync(dp, &d, NULL)) {
		fprintf(stderr, "bench: sync of %u Services failed\n", n);
		exit(1);
	}
	r->sync_all_ms = (now_us() - t0) / 1000;
	lb_desired_free(&d);

	/* The measured Service is the last one written. */
	addr_str(eip, sizeof(eip), 0xac100000, n);
	addr_str(cip, sizeof(cip), 0x0a600000, n);

	len = pkt_build(&syn, pkt, sizeof(pkt));
	test_run_ns(xdp, pkt, len, 1);
	syn.tcp_flags = TH_ACK;
	len = pkt_build(&syn, pkt, sizeof(pkt));
	r->xdp_est_ns = test_run_ns(xdp, pkt, len, repeat);

	/* New flows: each SYN from another source port, one run each (repeat would turn it
	 * into an established flow). A single run carries the harness's own cost, measured
	 * on the baseline program alongside and subtracted (medians of both). */
	syn.tcp_flags = TH_SYN;
	lat = calloc(2 * new_flows, sizeof(*lat));
	for (i = 0; i < new_flows; i++) {
		syn.sport = 1024 + i % 60000;
		syn.src = i < 60000 ? CLIENT : "10.99.0.3";
		len = pkt_build(&syn, pkt, sizeof(pkt));
		lat[i] = test_run_once_ns(xdp, pkt, len, 1);
		lat[new_flows + i] = test_run_once_ns(base, pkt, len, 1);
	}
	harness_single_ns = median(lat + new_flows, new_flows);
	r->xdp_new_ns = median(lat, new_flows) - harness_single_ns;
	free(lat);
	harness_repeat_ns = test_run_ns(base, pkt, len, repeat);

	syn.src = CLIENT;
	syn.dst = NODE_IP;
	syn.dport = 22;
	syn.tcp_flags = TH_ACK;
	len = pkt_build(&syn, pkt, sizeof(pkt));
	r->xdp_pass_ns = test_run_ns(xdp, pkt, len, repeat);

	syn.src = "10.244.0.50";
	syn.dst = cip;
	syn.dport = 80;
	syn.tcp_flags = TH_SYN;
	len = pkt_build(&syn, pkt, sizeof(pkt));
	test_run_ns(tc, pkt, len, 1);
	syn.tcp_flags = TH_ACK;
	len = pkt_build(&syn, pkt, sizeof(pkt));
	r->tc_est_ns = test_run_ns(tc, pkt, len, repeat);

	/* One endpoint change of the last Service, applied as a watch event would be: the
	 * desired state of that Service only, synced in its scope. */
	lat = calloc(changes, sizeof(*lat));
	snprintf(owner, sizeof(owner), "bench/svc-%u", n - 1);
	for (i = 0; i < changes; i++) {
		if (desired_of(n - 1, 1, n - 1, 1 + i % 2, &d))
			exit(1);
		t0 = now_us();
		if (lb_dp_sync_scope(dp, &d, owner, NULL)) {
			fprintf(stderr, "bench: endpoint change failed\n");
			exit(1);
		}
		lat[i] = now_us() - t0;
		lb_desired_free(&d);
		lb_dp_gc(dp, true);
	}
	qsort(lat, changes, sizeof(*lat), bench_cmp_double);
	r->change_p50_us = lat[changes / 2];
	r->change_p99_us = lat[(changes * 99) / 100];
	free(lat);
	lb_dp_close(dp);
	close(base);
}

int main(int argc, char **argv)
{
	unsigned int sizes[] = { 1, 1000, 10000, 100000 };
	int repeat = 1000000, new_flows = 20000, changes = 200, quick = 0, c;
	struct result r[4];
	size_t i, n_sizes = 4;

	while ((c = getopt(argc, argv, "qs:h")) != -1) {
		if (c == 'q') {
			quick = 1;
		} else if (c == 's') {
			sizes[0] = atoi(optarg); /* one size only */
			n_sizes = 1;
		} else {
			printf("Usage: bench_dataplane [-q] [-s SERVICES]\n"
			       "Per-packet cost of the XDP/TC programs with 1, 1k, 10k, 100k Services\n"
			       "and the time to apply one endpoint change. -q: a quick run.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (quick) {
		repeat = 100000;
		new_flows = 2000;
		changes = 50;
	}
	kbpf_log_level = LOG_LEVEL_WARN;
	kbpf_log_setup_libbpf();
	for (i = 0; i < n_sizes; i++) {
		fprintf(stderr, "bench: %u Services...\n", sizes[i]);
		bench(sizes[i], repeat, new_flows, changes, &r[i]);
	}
	printf("\n| Services | XDP established (ns/pkt) | XDP new flow (ns/pkt) | XDP no Service (ns/pkt) "
	       "| TC ClusterIP established (ns/pkt) | endpoint change p50 / p99 (us) "
	       "| all Services from scratch (ms) |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < n_sizes; i++)
		printf("| %u | %.0f | %.0f | %.0f | %.0f | %.0f / %.0f | %.1f |\n", r[i].services,
		       r[i].xdp_est_ns, r[i].xdp_new_ns, r[i].xdp_pass_ns, r[i].tc_est_ns,
		       r[i].change_p50_us, r[i].change_p99_us, r[i].sync_all_ms);
	printf("\nPer-packet figures are BPF_PROG_TEST_RUN durations, median of %d runs. The harness\n"
	       "itself costs %.0f ns per repeated run and %.0f ns per single run (an XDP program\n"
	       "that only returns XDP_PASS); the new-flow column has the single-run cost removed.\n",
	       ROUNDS, harness_repeat_ns, harness_single_ns);
	printf("\nTargets: established packet <= 100 ns; endpoint change (10k Services) <= 1000 us.\n");
	for (i = 0; i < n_sizes; i++)
		if (r[i].services == 10000)
			printf("10k Services: established %.0f ns (%s), endpoint change p50 %.0f us (%s)\n",
			       r[i].xdp_est_ns, r[i].xdp_est_ns <= 100 ? "met" : "MISSED",
			       r[i].change_p50_us, r[i].change_p50_us <= 1000 ? "met" : "MISSED");
	return 0;
}
