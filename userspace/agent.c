/* agent.c — kbpf-agent: the node agent. Today it is the proxy half (kube-proxy's job):
 * it loads the eBPF load balancer, attaches it to node devices and pod veths, and keeps
 * its maps equal to the Services and EndpointSlices it is given. */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lb_dataplane.h"
#include "lb_model.h"
#include "log.h"

#define MAX_NODE_IPS 16
#define MAX_DEVICES 16
#define MAX_PODS 4096
#define POD_DEVICE_PREFIX_DEFAULT "kbv"

struct agent {
	const char *from_file;
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
		"  --from-file FILE           a v1 List of Services and EndpointSlices (JSON); re-read on SIGHUP\n"
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
		POD_DEVICE_PREFIX_DEFAULT, LB_HAIRPIN_IP_DEFAULT, LB4_MAX_SERVICES, LB4_MAX_BACKENDS,
		CT4_MAX);
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
	};
	static const struct option opts[] = {
		{ "from-file", required_argument, NULL, O_FROM_FILE },
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
	inet_pton(AF_INET, LB_HAIRPIN_IP_DEFAULT, &in);
	a->cfg.hairpin_ip = in.s_addr;
	if (gethostname(a->node_name, sizeof(a->node_name)))
		snprintf(a->node_name, sizeof(a->node_name), "node");

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_FROM_FILE:
			a->from_file = optarg;
			break;
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
	if (!a->cleanup && !a->from_file) {
		fprintf(stderr, "kbpf-agent: --from-file is needed (the apiserver watch comes with the agent issue)\n");
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

static int sync_from_file(struct agent *a)
{
	struct lb_desired d = {};
	struct lb_sync_stats st;
	struct timespec t0, t1;
	int ret;

	if (load_desired(a, &d))
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = lb_dp_sync(a->dp, &d, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pr_info("synced %zu frontends, %zu backends in %ld us: frontends +%u ~%u -%u, backends +%u ~%u retired %u, sets +%u retired %u%s\n",
		d.n_frontends, d.n_backends,
		(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000,
		st.frontends_added, st.frontends_updated, st.frontends_deleted, st.backends_added,
		st.backends_updated, st.backends_retired, st.sets_created, st.sets_retired,
		ret ? " (incomplete, see above)" : "");
	lb_desired_free(&d);
	return ret;
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

static int run(struct agent *a)
{
	struct itimerspec tick = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct pollfd pfd[3];
	sigset_t mask;
	int sfd, tfd, nfd, gc_ticks = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
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
	pr_info("running; SIGHUP re-reads %s\n", a->from_file);
	for (;;) {
		if (poll(pfd, nfd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("poll: %s\n", strerror(errno));
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
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
		}
		if (nfd >= 0 && (pfd[2].revents & POLLIN)) {
			drain(nfd);
			scan_pod_devices(a);
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

int main(int argc, char **argv)
{
	struct agent a = {};
	struct lb_desired d = {};
	size_t i;
	int ret;

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

	ret = lb_dp_open(&a.cfg, &a.dp);
	if (ret) {
		pr_warn("opening the data plane under %s failed: %s\n", a.bpffs_root, strerror(-ret));
		return 1;
	}
	pr_info("node %s, data plane pinned under %s\n", a.node_name, a.bpffs_root);
	/* State first, then hooks: a fresh data plane starts with its Services in place. */
	if (sync_from_file(&a))
		pr_warn("no valid desired state yet: nothing changed; fix %s and send SIGHUP\n",
			a.from_file);
	for (i = 0; i < a.n_devices; i++)
		if (lb_dp_attach_device(a.dp, a.devices[i], a.xdp_mode)) {
			lb_dp_close(a.dp);
			return 1;
		}
	scan_pod_devices(&a);
	lb_dp_finish_migrations(a.dp);
	ret = a.once ? 0 : run(&a);
	lb_dp_close(a.dp);
	return ret;
}
