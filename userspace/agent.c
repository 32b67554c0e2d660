/* agent.c — kbpf-agent: the node agent. Its proxy half (kube-proxy's job) loads the eBPF
 * load balancer, attaches it to node devices and pod veths, and keeps its maps equal to
 * the Services and EndpointSlices it reads from a file or watches on the apiserver; with
 * the apiserver it also registers its Node and renews its Lease (agent_node.c), and it
 * serves /metrics and /healthz (agent_metrics.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent_metrics.h"
#include "agent_node.h"
#include "agent_pods.h"
#include "agent_proxy.h"
#include "images.h"
#include "kclient.h"
#include "quantity.h"
#include "lb_dataplane.h"
#include "lb_model.h"
#include "log.h"
#include "pod_runtime.h"
#include "util.h"

#define MAX_NODE_IPS 16
#define MAX_DEVICES 16
#define MAX_PODS 4096
#define POD_DEVICE_PREFIX_DEFAULT "kbv"
/* A watch event schedules a sync this long after the last one of a burst, and never
 * later than SYNC_MAX_DELAY after the first: bursts coalesce, one change is quick. */
#define SYNC_DELAY_S 0.001
#define SYNC_MAX_DELAY_S 0.005
/* How long a starting agent waits for the first lists before attaching its hooks. */
#define INITIAL_LIST_WAIT_MS 5000

struct agent {
	const char *from_file;
	const char *kubeconfig, *master;
	const char *metrics_addr;
	const char *bandwidth;
	int max_pods;
	struct kclient *client;
	struct proxy *proxy;
	struct node_agent *node;
	struct pods_agent *pods;
	struct pods_opts pods_opts;
	bool run_pods;
	char pods_node_ip[INET_ADDRSTRLEN]; /* the pods' hostIP */
	struct agent_metrics *metrics;
	int wake_fd, sync_fd;
	bool initial_synced; /* the first full sync from the apiserver is done */
	char node_name[HOST_NAME_MAX + 1];
	char bpffs_root[PATH_MAX];
	__be32 node_ips[MAX_NODE_IPS];
	size_t n_node_ips;
	char *devices[MAX_DEVICES];
	size_t n_devices;
	const char *pod_prefix;
	enum lb_xdp_mode xdp_mode;
	struct lb_config cfg;
	bool cleanup, check, once;
	struct lb_dp *dp;
	int pod_ifindex[MAX_PODS]; /* pod veths with our TC program, by ifindex */
	size_t n_pods;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kbpf-agent [OPTIONS]\n"
		"The kbpf node agent: Service load balancing in eBPF (XDP on node devices, TC on pod veths).\n"
		"\n"
		"  --kubeconfig FILE          watch Services and EndpointSlices on the apiserver of this\n"
		"                             kubeconfig, register the Node and renew its Lease\n"
		"  --master URL               the apiserver (overrides the kubeconfig's server)\n"
		"  --from-file FILE           instead: a v1 List of Services and EndpointSlices (JSON);\n"
		"                             re-read on SIGHUP\n"
		"  --metrics-bind-address A   /metrics and /healthz on IP[:PORT] (default %s; 0: off)\n"
		"  --node-bandwidth Q         the Node's %s capacity, bits/s (default %s)\n"
		"  --max-pods N               the Node's pods capacity (default 110)\n"
		"  --run-pods[=BOOL]          run the pods bound to this node (default false)\n"
		"  --image-root DIR           the node's image store (default %s)\n"
		"  --pod-state-dir DIR        pod sandboxes and runc state (default /run/kbpf)\n"
		"  --pod-log-dir DIR          container logs (default /var/log/kbpf/pods)\n"
		"  --cgroup-parent NAME       the pods' cgroup under each root (default kbpf.slice)\n"
		"  --hostname-override NAME   node name (default: the host name)\n"
		"  --node-ip IP[,IP...]       node addresses: NodePorts open on them, the first is the SNAT source\n"
		"                             (default: the IPv4 addresses of --devices)\n"
		"  --devices IF[,IF...]       node devices that get the XDP program\n"
		"  --pod-device-prefix P      host-side pod veths (named P*) that get the TC program (default %s)\n"
		"  --bpffs-root DIR           where maps and links are pinned (default /sys/fs/bpf/kbpf/<node>)\n"
		"  --xdp-mode MODE            auto (default), native or generic\n"
		"  --hairpin-ip IP            source for a pod reaching itself through a Service (default %s)\n"
		"  --lb-max-services N        frontend capacity (default %u)\n"
		"  --lb-max-backends N        backend capacity (default %u)\n"
		"  --ct-max N                 conntrack capacity (default %u)\n"
		"  --check                    read --from-file, print what it means, change nothing\n"
		"  --once                     sync once and exit (the data plane stays)\n"
		"  --cleanup                  remove kbpf's programs, links and pins for this node, and exit\n"
		"  -v, --verbose              debug logging\n"
		"  -h, --help                 this text\n",
		METRICS_BIND_DEFAULT, NODE_BANDWIDTH_RESOURCE, NODE_BANDWIDTH_DEFAULT,
		IMAGE_ROOT_DEFAULT, POD_DEVICE_PREFIX_DEFAULT, LB_HAIRPIN_IP_DEFAULT, LB4_MAX_SERVICES,
		LB4_MAX_BACKENDS, CT4_MAX);
}

static int parse_u32(const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v == 0 || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

static int split_list(char *s, char **out, size_t max, size_t *n)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == max)
			return -1;
		out[(*n)++] = tok;
	}
	return 0;
}

static void device_ips(struct agent *a)
{
	struct ifaddrs *ifa, *it;
	size_t i;

	if (getifaddrs(&ifa))
		return;
	for (i = 0; i < a->n_devices; i++)
		for (it = ifa; it; it = it->ifa_next)
			if (it->ifa_addr && it->ifa_addr->sa_family == AF_INET &&
			    !strcmp(it->ifa_name, a->devices[i]) && a->n_node_ips < MAX_NODE_IPS)
				a->node_ips[a->n_node_ips++] =
					((struct sockaddr_in *)it->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
}

static int parse_args(struct agent *a, int argc, char **argv)
{
	enum {
		O_FROM_FILE = 256, O_HOSTNAME, O_NODE_IP, O_DEVICES, O_POD_PREFIX, O_BPFFS,
		O_XDP_MODE, O_HAIRPIN, O_MAX_SVC, O_MAX_BE, O_CT_MAX, O_CHECK, O_ONCE, O_CLEANUP,
		O_KUBECONFIG, O_MASTER, O_METRICS, O_BANDWIDTH, O_MAX_PODS, O_IMAGE_ROOT,
		O_RUN_PODS, O_POD_STATE, O_POD_LOG, O_CGROUP_PARENT,
	};
	static const struct option opts[] = {
		{ "from-file", required_argument, NULL, O_FROM_FILE },
		{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
		{ "master", required_argument, NULL, O_MASTER },
		{ "metrics-bind-address", required_argument, NULL, O_METRICS },
		{ "node-bandwidth", required_argument, NULL, O_BANDWIDTH },
		{ "max-pods", required_argument, NULL, O_MAX_PODS },
		{ "image-root", required_argument, NULL, O_IMAGE_ROOT },
		{ "run-pods", optional_argument, NULL, O_RUN_PODS },
		{ "pod-state-dir", required_argument, NULL, O_POD_STATE },
		{ "pod-log-dir", required_argument, NULL, O_POD_LOG },
		{ "cgroup-parent", required_argument, NULL, O_CGROUP_PARENT },
		{ "hostname-override", required_argument, NULL, O_HOSTNAME },
		{ "node-ip", required_argument, NULL, O_NODE_IP },
		{ "devices", required_argument, NULL, O_DEVICES },
		{ "pod-device-prefix", required_argument, NULL, O_POD_PREFIX },
		{ "bpffs-root", required_argument, NULL, O_BPFFS },
		{ "xdp-mode", required_argument, NULL, O_XDP_MODE },
		{ "hairpin-ip", required_argument, NULL, O_HAIRPIN },
		{ "lb-max-services", required_argument, NULL, O_MAX_SVC },
		{ "lb-max-backends", required_argument, NULL, O_MAX_BE },
		{ "ct-max", required_argument, NULL, O_CT_MAX },
		{ "check", no_argument, NULL, O_CHECK },
		{ "once", no_argument, NULL, O_ONCE },
		{ "cleanup", no_argument, NULL, O_CLEANUP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *ips[MAX_NODE_IPS];
	size_t n_ips = 0, i;
	struct in_addr in;
	int c;

	a->pod_prefix = POD_DEVICE_PREFIX_DEFAULT;
	a->metrics_addr = METRICS_BIND_DEFAULT;
	a->bandwidth = NODE_BANDWIDTH_DEFAULT;
	a->max_pods = 110;
	inet_pton(AF_INET, LB_HAIRPIN_IP_DEFAULT, &in);
	a->cfg.hairpin_ip = in.s_addr;
	if (gethostname(a->node_name, sizeof(a->node_name)))
		snprintf(a->node_name, sizeof(a->node_name), "node");

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_FROM_FILE:
			a->from_file = optarg;
			break;
		case O_KUBECONFIG:
			a->kubeconfig = optarg;
			break;
		case O_MASTER:
			a->master = optarg;
			break;
		case O_RUN_PODS:
			if (flag_bool(optarg, &a->run_pods)) {
				fprintf(stderr, "kbpf-agent: --run-pods=%s: not true or false\n", optarg);
				return -1;
			}
			break;
		case O_IMAGE_ROOT:
			a->pods_opts.image_root = optarg;
			break;
		case O_POD_STATE:
			a->pods_opts.state_dir = optarg;
			break;
		case O_POD_LOG:
			a->pods_opts.log_dir = optarg;
			break;
		case O_CGROUP_PARENT:
			a->pods_opts.cgroup_parent = optarg;
			break;
		case O_METRICS:
			if (metrics_check_addr(optarg)) {
				fprintf(stderr, "kbpf-agent: --metrics-bind-address: %s is not IPv4[:PORT] or 0\n",
					optarg);
				return -1;
			}
			a->metrics_addr = optarg;
			break;
		case O_BANDWIDTH: {
			uint64_t bps;

			if (quantity_bits_per_second(optarg, &bps) || !bps) {
				fprintf(stderr, "kbpf-agent: --node-bandwidth: %s is not a positive quantity (e.g. 10G)\n",
					optarg);
				return -1;
			}
			a->bandwidth = optarg;
			break;
		}
		case O_MAX_PODS: {
			__u32 n;

			if (parse_u32(optarg, &n) || n > 1000000) {
				fprintf(stderr, "kbpf-agent: --max-pods: %s is not a positive number\n", optarg);
				return -1;
			}
			a->max_pods = n;
			break;
		}
		case O_HOSTNAME:
			snprintf(a->node_name, sizeof(a->node_name), "%s", optarg);
			break;
		case O_NODE_IP:
			if (split_list(optarg, ips, MAX_NODE_IPS, &n_ips)) {
				fprintf(stderr, "kbpf-agent: --node-ip: at most %d addresses\n", MAX_NODE_IPS);
				return -1;
			}
			break;
		case O_DEVICES:
			if (split_list(optarg, a->devices, MAX_DEVICES, &a->n_devices)) {
				fprintf(stderr, "kbpf-agent: --devices: at most %d devices\n", MAX_DEVICES);
				return -1;
			}
			break;
		case O_POD_PREFIX:
			a->pod_prefix = optarg;
			break;
		case O_BPFFS:
			snprintf(a->bpffs_root, sizeof(a->bpffs_root), "%s", optarg);
			break;
		case O_XDP_MODE:
			if (!strcmp(optarg, "auto"))
				a->xdp_mode = LB_XDP_AUTO;
			else if (!strcmp(optarg, "native"))
				a->xdp_mode = LB_XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				a->xdp_mode = LB_XDP_GENERIC;
			else {
				fprintf(stderr, "kbpf-agent: --xdp-mode: %s is not auto, native or generic\n",
					optarg);
				return -1;
			}
			break;
		case O_HAIRPIN:
			if (inet_pton(AF_INET, optarg, &in) != 1) {
				fprintf(stderr, "kbpf-agent: --hairpin-ip: %s is not an IPv4 address\n", optarg);
				return -1;
			}
			a->cfg.hairpin_ip = in.s_addr;
			break;
		case O_MAX_SVC:
		case O_MAX_BE:
		case O_CT_MAX: {
			__u32 *dst = c == O_MAX_SVC ? &a->cfg.max_services :
				     c == O_MAX_BE ? &a->cfg.max_backends : &a->cfg.ct_max;

			if (parse_u32(optarg, dst)) {
				fprintf(stderr, "kbpf-agent: %s is not a positive number\n", optarg);
				return -1;
			}
			if (c == O_MAX_BE)
				a->cfg.max_slots = 4 * *dst;
			break;
		}
		case O_CHECK:
			a->check = true;
			break;
		case O_ONCE:
			a->once = true;
			break;
		case O_CLEANUP:
			a->cleanup = true;
			break;
		case 'v':
			kbpf_log_level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kbpf-agent: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	for (i = 0; i < n_ips; i++) {
		if (inet_pton(AF_INET, ips[i], &in) != 1) {
			fprintf(stderr, "kbpf-agent: --node-ip: %s is not an IPv4 address\n", ips[i]);
			return -1;
		}
		a->node_ips[a->n_node_ips++] = in.s_addr;
	}
	if (!a->n_node_ips)
		device_ips(a);
	if (!a->bpffs_root[0])
		snprintf(a->bpffs_root, sizeof(a->bpffs_root), "/sys/fs/bpf/kbpf/%s", a->node_name);
	a->cfg.bpffs_root = a->bpffs_root;
	a->cfg.node_ip = a->n_node_ips ? a->node_ips[0] : 0;
	if (!a->cleanup && !a->from_file && !a->kubeconfig && !a->master) {
		fprintf(stderr, "kbpf-agent: --kubeconfig (or --master), or --from-file, is needed\n");
		return -1;
	}
	if (a->from_file && (a->kubeconfig || a->master)) {
		fprintf(stderr, "kbpf-agent: --from-file and --kubeconfig/--master exclude each other\n");
		return -1;
	}
	if (a->check && !a->from_file) {
		fprintf(stderr, "kbpf-agent: --check reads --from-file\n");
		return -1;
	}
	return 0;
}

static int load_desired(struct agent *a, struct lb_desired *d)
{
	struct lb_node node = { .name = a->node_name, .ips = a->node_ips, .n_ips = a->n_node_ips };
	char err[512];
	size_t i;
	int ret;

	ret = lb_desired_from_file(a->from_file, &node, d, err, sizeof(err));
	if (ret) {
		pr_warn("%s; the data plane keeps its current state\n", err);
		return ret;
	}
	for (i = 0; i < d->n_warnings; i++)
		kbpf_log(LOG_LEVEL_WARN, "%s: %s\n", a->from_file, d->warnings[i]);
	return 0;
}

static void log_sync(const char *scope, size_t n_fe, size_t n_be, double secs,
		     const struct lb_sync_stats *st, int ret)
{
	pr_info("synced %s%zu frontends, %zu backends in %ld us: frontends +%u ~%u -%u, backends +%u ~%u retired %u, sets +%u retired %u%s\n",
		scope, n_fe, n_be, (long)(secs * 1e6), st->frontends_added, st->frontends_updated,
		st->frontends_deleted, st->backends_added, st->backends_updated,
		st->backends_retired, st->sets_created, st->sets_retired,
		ret ? " (incomplete, see above)" : "");
}

static int sync_from_file(struct agent *a)
{
	struct lb_desired d = {};
	struct lb_sync_stats st;
	double t0;
	int ret;

	if (load_desired(a, &d))
		return -EINVAL;
	t0 = mono_now();
	ret = lb_dp_sync(a->dp, &d, &st);
	log_sync("", d.n_frontends, d.n_backends, mono_now() - t0, &st, ret);
	metrics_sync(a->metrics, true, mono_now() - t0, ret);
	lb_desired_free(&d);
	return ret;
}

/* The apiserver's objects into the data plane: the Services that changed, or all. */
static int sync_from_api(struct agent *a, bool full)
{
	struct lb_node node = { .name = a->node_name, .ips = a->node_ips, .n_ips = a->n_node_ips };
	struct proxy_sync_result r;
	char scope[64];
	int ret;

	/* The first sync's objects are a list, not changes: no event latency for them. */
	ret = proxy_sync(a->proxy, a->dp, &node, full, &r,
			 a->initial_synced ? metrics_event_latency : NULL, a->metrics);
	if (r.full)
		snprintf(scope, sizeof(scope), "all %zu Services: ", r.services);
	else
		snprintf(scope, sizeof(scope), "%zu changed Service%s (%.0f us after the event): ",
			 r.services, r.services == 1 ? "" : "s", r.oldest_event_age * 1e6);
	log_sync(scope, r.frontends, r.backends, r.seconds, &r.st, ret);
	metrics_sync(a->metrics, r.full, r.seconds, ret);
	return ret;
}

/* A change came in: sync SYNC_DELAY_S after the last event, at most SYNC_MAX_DELAY_S
 * after the first one waiting. */
static void schedule_sync(struct agent *a)
{
	struct itimerspec its = {};
	double first, last, at, wait;

	proxy_events(a->proxy, &first, &last);
	if (!first)
		return;
	metrics_pending(a->metrics, first);
	at = last + SYNC_DELAY_S;
	if (at > first + SYNC_MAX_DELAY_S)
		at = first + SYNC_MAX_DELAY_S;
	wait = at - mono_now();
	if (wait < 1e-6)
		wait = 1e-6; /* 0 would disarm the timer */
	its.it_value.tv_sec = (time_t)wait;
	its.it_value.tv_nsec = (long)((wait - (time_t)wait) * 1e9);
	timerfd_settime(a->sync_fd, 0, &its, NULL);
}

/* Once both first lists are in: the full sync that reconciles what a previous run left. */
static void api_tick(struct agent *a)
{
	if (!a->initial_synced) {
		if (!proxy_synced(a->proxy))
			return;
		sync_from_api(a, true);
		a->initial_synced = true;
		return;
	}
	if (proxy_pending(a->proxy))
		sync_from_api(a, false);
}

static bool pod_known(struct agent *a, int ifindex)
{
	size_t i;

	for (i = 0; i < a->n_pods; i++)
		if (a->pod_ifindex[i] == ifindex)
			return true;
	return false;
}

/* Attach TC to every pod veth not seen before; forget ones that are gone. */
static void scan_pod_devices(struct agent *a)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	size_t plen = strlen(a->pod_prefix), i, kept = 0;

	if (!ifs)
		return;
	for (i = 0; i < a->n_pods; i++) {
		for (it = ifs; it->if_index; it++)
			if ((int)it->if_index == a->pod_ifindex[i])
				break;
		if (it->if_index)
			a->pod_ifindex[kept++] = a->pod_ifindex[i];
	}
	a->n_pods = kept;
	for (it = ifs; it->if_index; it++) {
		if (strncmp(it->if_name, a->pod_prefix, plen) || pod_known(a, it->if_index))
			continue;
		if (lb_dp_attach_pod(a->dp, it->if_name))
			continue;
		pr_info("TC attached to pod device %s\n", it->if_name);
		if (a->n_pods < MAX_PODS)
			a->pod_ifindex[a->n_pods++] = it->if_index;
	}
	if_freenameindex(ifs);
}

static int open_link_events(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[8192];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* The signals the loop reads from a signalfd. Blocked in main before any thread starts
 * (metrics, informers, node), so that none of those threads takes SIGHUP's default
 * action — ending the process. */
static void signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
}

static int run(struct agent *a)
{
	struct itimerspec tick = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct pollfd pfd[5];
	sigset_t mask;
	int sfd, tfd, nfd, gc_ticks = 0, npfd;

	signal_mask(&mask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	nfd = open_link_events();
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &tick, NULL)) {
		pr_warn("setting up the event loop: %s\n", strerror(errno));
		return 1;
	}
	if (nfd < 0)
		pr_warn("no netlink link events (%s): pod devices are rescanned every second\n",
			strerror(errno));
	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = nfd, .events = POLLIN };
	pfd[3] = (struct pollfd){ .fd = a->wake_fd, .events = POLLIN };
	pfd[4] = (struct pollfd){ .fd = a->sync_fd, .events = POLLIN };
	npfd = a->proxy ? 5 : 3;
	if (a->proxy)
		pr_info("running; watching Services and EndpointSlices on %s\n",
			kclient_server(a->client));
	else
		pr_info("running; SIGHUP re-reads %s\n", a->from_file);
	for (;;) {
		if (poll(pfd, npfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("poll: %s\n", strerror(errno));
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP && a->proxy) {
					pr_info("SIGHUP: a full sync\n");
					if (a->initial_synced)
						sync_from_api(a, true);
				} else if (si.ssi_signo == SIGHUP) {
					pr_info("SIGHUP: re-reading %s\n", a->from_file);
					sync_from_file(a);
				} else {
					pr_info("signal %u: exiting; the data plane stays in place\n",
						si.ssi_signo);
					return 0;
				}
			}
		}
		if (pfd[1].revents & POLLIN) {
			__u64 n;

			if (read(tfd, &n, sizeof(n)) < 0)
				n = 0;
			lb_dp_gc(a->dp, false);
			if (nfd < 0 || ++gc_ticks % 10 == 0)
				scan_pod_devices(a);
			if (a->proxy)
				api_tick(a); /* the first sync, and retries after errors */
		}
		if (nfd >= 0 && (pfd[2].revents & POLLIN)) {
			drain(nfd);
			scan_pod_devices(a);
		}
		if (npfd > 3 && (pfd[3].revents & POLLIN)) {
			__u64 n;

			if (read(a->wake_fd, &n, sizeof(n)) < 0)
				n = 0;
			if (a->initial_synced)
				schedule_sync(a);
			else if (proxy_synced(a->proxy))
				api_tick(a);
		}
		if (npfd > 3 && (pfd[4].revents & POLLIN)) {
			__u64 n;

			if (read(a->sync_fd, &n, sizeof(n)) < 0)
				n = 0;
			api_tick(a);
		}
	}
}

static void print_check(struct agent *a, const struct lb_desired *d)
{
	char fe[64], be[64];
	size_t i, j;

	for (i = 0; i < d->n_frontends; i++) {
		const struct lb_frontend_spec *f = &d->frontends[i];

		printf("%s %s ext=%u int=%u\n", f->name,
		       lb_fmt_addr(fe, sizeof(fe), f->key.addr, f->key.port, f->key.proto),
		       f->n_ext, f->n_intl);
		for (j = 0; j < f->n_all; j++) {
			const struct lb_backend_spec *b = &d->backends[f->all[j]];

			printf("  -> %s%s%s\n", lb_fmt_addr(be, sizeof(be), b->addr, b->port, b->proto),
			       b->flags & BE_F_LOCAL ? " local" : "",
			       b->flags & BE_F_TERMINATING ? " not-ready" : "");
		}
	}
	printf("%zu frontends, %zu backends, %zu warnings (node %s)\n", d->n_frontends,
	       d->n_backends, d->n_warnings, a->node_name);
}

/* Watch the apiserver, register the Node; wait a little for the first lists so that a
 * fresh data plane starts with its Services, but never for an apiserver that is down. */
static int start_api(struct agent *a)
{
	struct node_opts no = { .name = a->node_name, .bandwidth = a->bandwidth,
				.max_pods = a->max_pods };
	char ip[INET_ADDRSTRLEN];
	int ret, i;

	a->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	a->sync_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->wake_fd < 0 || a->sync_fd < 0)
		return -errno;
	if ((ret = proxy_start(a->client, a->wake_fd, &a->proxy))) {
		pr_warn("watching Services and EndpointSlices: %s\n", strerror(-ret));
		return ret;
	}
	if (!a->once) {
		if (a->n_node_ips)
			no.internal_ip = inet_ntop(AF_INET, &a->node_ips[0], ip, sizeof(ip));
		if ((ret = node_agent_start(a->client, &no, &a->node))) {
			pr_warn("starting the node's registration: %s\n", strerror(-ret));
			return ret;
		}
		metrics_set_node(a->metrics, a->node);
		a->pods_opts.node_name = a->node_name;
		if (a->n_node_ips)
			a->pods_opts.node_ip = inet_ntop(AF_INET, &a->node_ips[0], a->pods_node_ip,
							 sizeof(a->pods_node_ip));
		a->pods_opts.device_prefix = a->pod_prefix;
		if (a->run_pods && (ret = pods_agent_start(a->client, &a->pods_opts, &a->pods))) {
			pr_warn("watching the node's pods: %s\n", strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < INITIAL_LIST_WAIT_MS / 10 && !proxy_synced(a->proxy); i++)
		usleep(10000);
	if (proxy_synced(a->proxy)) {
		api_tick(a);
	} else {
		pr_warn("no answer from %s yet: the data plane keeps what it has and syncs once the apiserver answers\n",
			kclient_server(a->client));
		if (a->once)
			return -ETIMEDOUT;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a = { .wake_fd = -1, .sync_fd = -1 };
	struct lb_desired d = {};
	char err[512];
	sigset_t mask;
	size_t i;
	int ret = 1;

	/* The pod runtime re-executes this binary as each container's shim. */
	if (argc > 1 && !strcmp(argv[1], POD_SHIM_ARG))
		return pod_shim_main(argc, argv);
	setvbuf(stderr, NULL, _IOLBF, 0);
	kbpf_log_setup_libbpf();
	if (parse_args(&a, argc, argv))
		return 2;
	if (a.check) {
		if (load_desired(&a, &d))
			return 1;
		print_check(&a, &d);
		lb_desired_free(&d);
		return 0;
	}
	if (a.cleanup)
		return lb_dp_remove(a.bpffs_root) ? 1 : 0;

	/* A kubeconfig that cannot be used fails before anything is loaded or pinned. */
	if ((a.kubeconfig || a.master) &&
	    kclient_open(a.kubeconfig, a.master, "kbpf-agent", &a.client, err, sizeof(err))) {
		fprintf(stderr, "kbpf-agent: %s\n", err);
		return 2;
	}
	signal_mask(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	ret = lb_dp_open(&a.cfg, &a.dp);
	if (ret) {
		pr_warn("opening the data plane under %s failed: %s\n", a.bpffs_root, strerror(-ret));
		kclient_free(a.client);
		return 1;
	}
	pr_info("node %s, data plane pinned under %s\n", a.node_name, a.bpffs_root);
	/* Metrics unavailable do not stop the data plane: warned, and the agent goes on. */
	if (!a.once && *a.metrics_addr && strcmp(a.metrics_addr, "0"))
		metrics_start(a.metrics_addr, a.dp, &a.metrics);
	ret = 1;
	/* State first, then hooks: a fresh data plane starts with its Services in place. */
	if (a.from_file) {
		if (sync_from_file(&a))
			pr_warn("no valid desired state yet: nothing changed; fix %s and send SIGHUP\n",
				a.from_file);
	} else if (start_api(&a)) {
		goto out;
	}
	for (i = 0; i < a.n_devices; i++)
		if (lb_dp_attach_device(a.dp, a.devices[i], a.xdp_mode))
			goto out;
	scan_pod_devices(&a);
	lb_dp_finish_migrations(a.dp);
	ret = a.once ? 0 : run(&a);
out:
	/* The Node and its Lease stay: a stopped agent is a node going silent, which the
	 * node lifecycle controller notices, as with kubelet. */
	pods_agent_stop(a.pods);
	node_agent_stop(a.node);
	proxy_stop(a.proxy);
	metrics_stop(a.metrics);
	kclient_free(a.client);
	if (a.wake_fd >= 0)
		close(a.wake_fd);
	if (a.sync_fd >= 0)
		close(a.sync_fd);
	lb_dp_close(a.dp);
	return ret;
}
