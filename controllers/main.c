/* main.c — kbpf-controller-manager: the controllers that keep the cluster converging
 * (EndpointSlices, ReplicaSets, Deployments, node IPAM and lifecycle, garbage collection,
 * namespaces, LoadBalancer IPs), talking only to the apiserver.
 *
 * Start: every controller's init takes the shared informers it needs; the informers run
 * and sync (on a standby too, so a takeover starts warm); then leader election; then each
 * controller's run. A restart lists everything again and every sync is idempotent, so
 * nothing is duplicated or lost. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cm.h"
#include "leader.h"
#include "log.h"
#include "util.h"

static struct cm CM;

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	sigwait(set, &sig);
	pr_info("%s: stopping\n", strsignal(sig));
	CM.stop = true;
	return NULL;
}

static void on_lost_lease(void *ctx)
{
	(void)ctx;
	/* As kube-controller-manager: a leader that cannot renew exits rather than race
	 * the new leader. */
	kbpf_log(LOG_LEVEL_WARN, "kbpf-controller-manager: leader election lost; exiting\n");
	_exit(1);
}

static void usage(FILE *out)
{
	unsigned i;

	fprintf(out,
		"Usage: kbpf-controller-manager [OPTIONS]\n"
		"Keeps the cluster converging: EndpointSlices and Endpoints, ReplicaSets,\n"
		"Deployments, node pod CIDRs and lifecycle, garbage collection, namespaces,\n"
		"LoadBalancer IPs.\n"
		"\n"
		"  --kubeconfig FILE                     the apiserver (default: $KUBECONFIG, then\n"
		"                                        ~/.kube/config)\n"
		"  --master URL                          the apiserver's address (overrides the kubeconfig's)\n"
		"  --cluster-cidr CIDR                   pod addresses (default 10.244.0.0/16)\n"
		"  --node-cidr-mask-size N               each node's share of it (default 24)\n"
		"  --allocate-node-cidrs[=BOOL]          give nodes a spec.podCIDR (default true)\n"
		"  --node-monitor-grace-period SECONDS   a node silent this long is NotReady (default 40)\n"
		"  --node-monitor-period SECONDS         how often nodes are checked (default 5)\n"
		"  --node-eviction-rate QPS              nodes tainted NoExecute per second and zone\n"
		"                                        (default 0.1)\n"
		"  --secondary-node-eviction-rate QPS    the same in a partly disrupted zone of a large\n"
		"                                        cluster (default 0.01)\n"
		"  --large-cluster-size-threshold N      nodes in a zone that make it large (default 50)\n"
		"  --unhealthy-zone-threshold RATIO      share of NotReady nodes (at least 3) that makes a\n"
		"                                        zone partly disrupted (default 0.55)\n"
		"  --lb-ip-pool RANGE                    LoadBalancer addresses: A.B.C.D-E.F.G.H or a CIDR\n"
		"  --concurrent-syncs N                  workers per controller (default 5)\n"
		"  --controllers LIST                    which to run: \"*\" all, NAME one, -NAME not that\n"
		"                                        one; comma-separated (default \"*\")\n"
		"  --leader-elect[=BOOL]                 one active manager among several (default true)\n"
		"  --leader-elect-lease-duration SEC     (default 15)\n"
		"  --leader-elect-renew-deadline SEC     (default 10)\n"
		"  --leader-elect-retry-period SEC       (default 2)\n"
		"  -v, --verbose                         debug logging\n"
		"  -h, --help                            this text\n"
		"\nControllers:");
	for (i = 0; i < n_controllers; i++)
		fprintf(out, " %s", controllers[i]->name);
	fprintf(out, "\n");
}

/*
 * --controllers as kube-controller-manager reads it: "*" turns all on, "name" one on,
 * "-name" one off; a name we do not know is an error, not a silent no-op.
 */
static int parse_controllers(const char *list, bool *enabled)
{
	char *copy = strdup(list), *save = NULL, *tok;
	unsigned i;
	int ret = 0;

	for (i = 0; i < n_controllers; i++)
		enabled[i] = false;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		bool on = *tok != '-';
		const char *name = on ? tok : tok + 1;
		bool known = !strcmp(name, "*");

		for (i = 0; i < n_controllers; i++) {
			if (strcmp(name, "*") && strcmp(name, controllers[i]->name))
				continue;
			enabled[i] = on;
			known = true;
		}
		if (!known) {
			fprintf(stderr, "kbpf-controller-manager: --controllers: no controller named \"%s\" (see --help)\n",
				name);
			ret = -1;
		}
	}
	free(copy);
	return ret;
}

static int parse_double(const char *flag, const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "kbpf-controller-manager: --%s %s: expected a number from %g to %g\n",
			flag, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_int(const char *flag, const char *s, int min, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max) {
		fprintf(stderr, "kbpf-controller-manager: --%s %s: expected an integer from %d to %d\n",
			flag, s, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_KUBECONFIG = 256, O_MASTER, O_CIDR, O_MASK, O_ALLOC, O_GRACE, O_PERIOD, O_POOL,
	       O_SYNCS, O_LE, O_LE_LEASE, O_LE_RENEW, O_LE_RETRY, O_CONTROLLERS, O_EVICT_RATE, O_EVICT_RATE2,
	       O_LARGE_CLUSTER, O_UNHEALTHY_ZONE };
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
		{ "master", required_argument, NULL, O_MASTER },
		{ "cluster-cidr", required_argument, NULL, O_CIDR },
		{ "node-cidr-mask-size", required_argument, NULL, O_MASK },
		{ "allocate-node-cidrs", optional_argument, NULL, O_ALLOC },
		{ "node-monitor-grace-period", required_argument, NULL, O_GRACE },
		{ "node-monitor-period", required_argument, NULL, O_PERIOD },
		{ "node-eviction-rate", required_argument, NULL, O_EVICT_RATE },
		{ "secondary-node-eviction-rate", required_argument, NULL, O_EVICT_RATE2 },
		{ "large-cluster-size-threshold", required_argument, NULL, O_LARGE_CLUSTER },
		{ "unhealthy-zone-threshold", required_argument, NULL, O_UNHEALTHY_ZONE },
		{ "lb-ip-pool", required_argument, NULL, O_POOL },
		{ "concurrent-syncs", required_argument, NULL, O_SYNCS },
		{ "controllers", required_argument, NULL, O_CONTROLLERS },
		{ "leader-elect", optional_argument, NULL, O_LE },
		{ "leader-elect-lease-duration", required_argument, NULL, O_LE_LEASE },
		{ "leader-elect-renew-deadline", required_argument, NULL, O_LE_RENEW },
		{ "leader-elect-retry-period", required_argument, NULL, O_LE_RETRY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct cm *cm = &CM;
	const char *kubeconfig = NULL, *master = NULL;
	bool leader_elect = true;
	int lease_s = 15, renew_s = 10, retry_s = 2;
	struct leader *lead = NULL;
	bool enabled[n_controllers];
	static sigset_t sigs;
	pthread_t sig_thread;
	char err[512], host[128];
	unsigned i;
	int c, ret = 1;

	cm->cluster_cidr = "10.244.0.0/16";
	cm->node_cidr_mask = 24;
	cm->allocate_node_cidrs = true;
	cm->node_monitor_grace_s = 40;
	cm->node_monitor_period_s = 5;
	cm->node_eviction_rate = 0.1;
	cm->secondary_node_eviction_rate = 0.01;
	cm->large_cluster_size_threshold = 50;
	cm->unhealthy_zone_threshold = 0.55;
	cm->workers = 5;
	parse_controllers("*", enabled);
	pthread_mutex_init(&cm->mu, NULL);
	setvbuf(stderr, NULL, _IOLBF, 0);
	kbpf_log_level = LOG_LEVEL_INFO;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_KUBECONFIG:
			kubeconfig = optarg;
			break;
		case O_MASTER:
			master = optarg;
			break;
		case O_CIDR:
			cm->cluster_cidr = optarg;
			break;
		case O_MASK:
			if (parse_int("node-cidr-mask-size", optarg, 8, 30, &cm->node_cidr_mask))
				return 2;
			break;
		case O_ALLOC:
			if (flag_bool(optarg, &cm->allocate_node_cidrs)) {
				fprintf(stderr, "kbpf-controller-manager: --allocate-node-cidrs=%s: expected true or false\n", optarg);
				return 2;
			}
			break;
		case O_GRACE:
			if (parse_int("node-monitor-grace-period", optarg, 1, 86400, &cm->node_monitor_grace_s))
				return 2;
			break;
		case O_PERIOD:
			if (parse_int("node-monitor-period", optarg, 1, 3600, &cm->node_monitor_period_s))
				return 2;
			break;
		case O_EVICT_RATE:
			if (parse_double("node-eviction-rate", optarg, 0, 1000, &cm->node_eviction_rate))
				return 2;
			break;
		case O_EVICT_RATE2:
			if (parse_double("secondary-node-eviction-rate", optarg, 0, 1000,
					 &cm->secondary_node_eviction_rate))
				return 2;
			break;
		case O_LARGE_CLUSTER:
			if (parse_int("large-cluster-size-threshold", optarg, 1, 1000000,
				      &cm->large_cluster_size_threshold))
				return 2;
			break;
		case O_UNHEALTHY_ZONE:
			if (parse_double("unhealthy-zone-threshold", optarg, 0, 1,
					 &cm->unhealthy_zone_threshold))
				return 2;
			break;
		case O_POOL:
			cm->lb_ip_pool = optarg;
			break;
		case O_SYNCS:
			if (parse_int("concurrent-syncs", optarg, 1, 16, &cm->workers))
				return 2;
			break;
		case O_CONTROLLERS:
			if (parse_controllers(optarg, enabled))
				return 2;
			break;
		case O_LE:
			if (flag_bool(optarg, &leader_elect)) {
				fprintf(stderr, "kbpf-controller-manager: --leader-elect=%s: expected true or false\n", optarg);
				return 2;
			}
			break;
		case O_LE_LEASE:
			if (parse_int("leader-elect-lease-duration", optarg, 1, 3600, &lease_s))
				return 2;
			break;
		case O_LE_RENEW:
			if (parse_int("leader-elect-renew-deadline", optarg, 1, 3600, &renew_s))
				return 2;
			break;
		case O_LE_RETRY:
			if (parse_int("leader-elect-retry-period", optarg, 1, 3600, &retry_s))
				return 2;
			break;
		case 'v':
			kbpf_log_level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kbpf-controller-manager: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	if (renew_s >= lease_s) {
		fprintf(stderr, "kbpf-controller-manager: --leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration\n");
		return 2;
	}
	if (kclient_open(kubeconfig, master, "kbpf-controller-manager", &cm->c, err, sizeof(err))) {
		fprintf(stderr, "kbpf-controller-manager: %s\n", err);
		return 1;
	}
	gethostname(host, sizeof(host));
	snprintf(cm->identity, sizeof(cm->identity), "%s_%d", host, getpid());
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	pthread_create(&sig_thread, NULL, signal_thread, &sigs);
	pthread_detach(sig_thread);

	for (i = 0; i < n_controllers; i++) {
		const struct controller *ctl = controllers[i];

		if (enabled[i] && ctl->init && ctl->init(cm)) {
			fprintf(stderr, "kbpf-controller-manager: the %s controller cannot start (see above)\n",
				ctl->name);
			goto out;
		}
	}
	pthread_mutex_lock(&cm->mu);
	cm->running = true;
	pthread_mutex_unlock(&cm->mu);
	for (c = 0; c < cm->n_informers; c++)
		if (informer_run(cm->informers[c].inf)) {
			fprintf(stderr, "kbpf-controller-manager: cannot start the informer of %s\n",
				cm->informers[c].path);
			goto out;
		}
	for (c = 0; c < cm->n_informers && !cm->stop; c++)
		while (!cm->stop && informer_wait_synced(cm->informers[c].inf, 2000))
			pr_info("waiting for the list of %s from %s\n", cm->informers[c].path,
				kclient_server(cm->c));
	if (cm->stop) {
		ret = 0;
		goto out;
	}
	if (leader_elect) {
		struct leader_opts lo = { .ns = "kube-system", .name = "kbpf-controller-manager",
					  .identity = cm->identity, .lease_seconds = lease_s,
					  .renew_seconds = renew_s, .retry_seconds = retry_s };

		if (leader_acquire(cm->c, &lo, on_lost_lease, NULL, &cm->stop, &lead)) {
			ret = cm->stop ? 0 : 1;
			goto out;
		}
	}
	for (i = 0; i < n_controllers; i++) {
		const struct controller *ctl = controllers[i];

		if (enabled[i] && ctl->run && ctl->run(cm)) {
			fprintf(stderr, "kbpf-controller-manager: the %s controller cannot run (see above)\n",
				ctl->name);
			cm->stop = true;
			goto out;
		}
		if (enabled[i])
			pr_info("started the %s controller\n", ctl->name);
	}
	/* Tests and operators wait for this line: everything this manager runs is running. */
	pr_info("started the controllers\n");
	while (!cm->stop)
		cm_sleep(cm, 1000);
	ret = 0;
out:
	cm->stop = true;
	for (c = 0; c < cm->n_queues; c++)
		wq_shutdown(cm->queues[c]);
	for (c = 0; c < cm->n_threads; c++)
		pthread_join(cm->threads[c], NULL);
	/* Hand the Lease over: a standby takes over at once instead of waiting it out. */
	leader_release(lead);
	/* Informers first: their handlers feed the controllers' queues. All are told at once,
	 * as each watch takes up to a second to notice. */
	for (c = 0; c < cm->n_informers; c++)
		informer_cancel(cm->informers[c].inf);
	for (c = 0; c < cm->n_informers; c++) {
		informer_stop(cm->informers[c].inf);
		free(cm->informers[c].path);
	}
	for (i = 0; i < n_controllers; i++)
		if (enabled[i] && controllers[i]->stop)
			controllers[i]->stop(cm);
	kclient_free(cm->c);
	return ret;
}
