/* main.c — kbpf-apiserver: the cluster's only entry point. A Kubernetes API subset over
 * HTTP/JSON on an embedded SQLite store; kubectl and the client libraries use it as is. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <unistd.h>

#include "api.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "store_sqlite.h"

#define DEFAULT_DATA_DIR "/var/lib/kbpf/apiserver"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kbpf-apiserver [OPTIONS]\n"
		"A Kubernetes API server (core/v1, apps/v1, discovery.k8s.io/v1, coordination.k8s.io/v1)\n"
		"on an embedded SQLite store.\n"
		"\n"
		"  --data-dir DIR                     where the store lives (default " DEFAULT_DATA_DIR ")\n"
		"  --bind-address IP[,IP...]          addresses to listen on besides 127.0.0.1\n"
		"  --secure-port N                    port (default 6443; plain HTTP until TLS lands)\n"
		"  --advertise-address IP             the address the kubernetes Service points at\n"
		"                                     (default: the first --bind-address, else 127.0.0.1)\n"
		"  --service-cluster-ip-range CIDR    ClusterIP range (default 10.96.0.0/12)\n"
		"  --service-node-port-range A-B      NodePort range (default 30000-32767)\n"
		"  --etcd-servers URLS                an etcd v3 store instead of SQLite (not available yet)\n"
		"  --watch-cache-size N               recent events kept for watches (default 100000)\n"
		"  --compaction-interval SECONDS      how often history is compacted (default 60)\n"
		"  --idle-timeout SECONDS             close connections idle or this slow (default 60;\n"
		"                                     watches are exempt)\n"
		"  -v, --verbose                      debug logging\n"
		"  -h, --help                         this text\n");
}

int main(int argc, char **argv)
{
	enum { O_DATA = 256, O_BIND, O_PORT, O_ADV, O_SCIDR, O_NPR, O_ETCD, O_RING, O_COMPACT,
	       O_IDLE };
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, O_DATA },
		{ "bind-address", required_argument, NULL, O_BIND },
		{ "secure-port", required_argument, NULL, O_PORT },
		{ "advertise-address", required_argument, NULL, O_ADV },
		{ "service-cluster-ip-range", required_argument, NULL, O_SCIDR },
		{ "service-node-port-range", required_argument, NULL, O_NPR },
		{ "etcd-servers", required_argument, NULL, O_ETCD },
		{ "watch-cache-size", required_argument, NULL, O_RING },
		{ "compaction-interval", required_argument, NULL, O_COMPACT },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct api_config cfg = { .service_cidr = "10.96.0.0/12", .node_port_min = 30000,
				  .node_port_max = 32767, .secure_port = 6443 };
	const char *data_dir = DEFAULT_DATA_DIR, *addrs[HTTP_MAX_LISTEN] = { "127.0.0.1" };
	size_t n_addrs = 1, ring = 100000;
	long compact_every = 60;
	unsigned idle_timeout = 60;
	char *bind_list = NULL;
	struct store_backend backend;
	struct http_server *http = NULL;
	struct store *store = NULL;
	struct api *api = NULL;
	sigset_t mask;
	int c, sfd, ret = 1;

	setvbuf(stderr, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_DATA:
			data_dir = optarg;
			break;
		case O_BIND: {
			char *save = NULL, *tok;

			bind_list = strdup(optarg);
			for (tok = strtok_r(bind_list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (!strcmp(tok, "127.0.0.1"))
					continue;
				if (n_addrs == HTTP_MAX_LISTEN) {
					fprintf(stderr, "kbpf-apiserver: at most %d addresses\n", HTTP_MAX_LISTEN);
					return 2;
				}
				addrs[n_addrs++] = tok;
			}
			break;
		}
		case O_PORT:
			cfg.secure_port = atoi(optarg);
			if (cfg.secure_port < 1 || cfg.secure_port > 65535) {
				fprintf(stderr, "kbpf-apiserver: --secure-port %s is not a port\n", optarg);
				return 2;
			}
			break;
		case O_ADV:
			cfg.advertise_address = optarg;
			break;
		case O_SCIDR:
			cfg.service_cidr = optarg;
			break;
		case O_NPR:
			if (sscanf(optarg, "%d-%d", &cfg.node_port_min, &cfg.node_port_max) != 2 ||
			    cfg.node_port_min < 1 || cfg.node_port_max > 65535 ||
			    cfg.node_port_min > cfg.node_port_max) {
				fprintf(stderr, "kbpf-apiserver: --service-node-port-range %s is not A-B\n", optarg);
				return 2;
			}
			break;
		case O_ETCD:
			fprintf(stderr, "kbpf-apiserver: --etcd-servers: the etcd v3 backend is not built yet; the store has the interface for it (apiserver-lite/store.h)\n");
			return 2;
		case O_RING:
			ring = strtoul(optarg, NULL, 10);
			if (ring < 100) {
				fprintf(stderr, "kbpf-apiserver: --watch-cache-size must be at least 100\n");
				return 2;
			}
			break;
		case O_COMPACT:
			compact_every = atol(optarg);
			break;
		case O_IDLE:
			idle_timeout = strtoul(optarg, NULL, 10);
			if (!idle_timeout) {
				fprintf(stderr, "kbpf-apiserver: --idle-timeout must be at least 1\n");
				return 2;
			}
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
		fprintf(stderr, "kbpf-apiserver: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	if (!cfg.advertise_address)
		cfg.advertise_address = n_addrs > 1 ? addrs[1] : "127.0.0.1";

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (store_sqlite_open(data_dir, &backend)) {
		pr_warn("cannot open the store in %s\n", data_dir);
		goto out;
	}
	if (store_open(&backend, &api_store_hooks, ring, &store)) {
		pr_warn("cannot load the store in %s\n", data_dir);
		goto out;
	}
	if (api_new(store, &cfg, &api)) {
		pr_warn("bad configuration (service range %s?)\n", cfg.service_cidr);
		goto out;
	}
	if (api_bootstrap(api)) {
		pr_warn("cannot create the default namespaces and the kubernetes Service\n");
		goto out;
	}
	if (http_start(api, addrs, n_addrs, cfg.secure_port, idle_timeout, &http))
		goto out;
	pr_info("store %s at revision %lld; serving\n", data_dir, (long long)store_rev(store));

	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	for (;;) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };

		if (poll(&p, 1, compact_every > 0 ? compact_every * 1000 : -1) > 0) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				pr_info("signal %u: shutting down\n", si.ssi_signo);
				break;
			}
		}
		/* Keep the last watch-cache's worth of history; older rows give space back. */
		if (store_compact(store, (int64_t)ring))
			pr_warn("compaction failed\n");
	}
	ret = 0;
out:
	if (store)
		store_wake(store);
	http_stop(http);
	api_free(api);
	store_close(store);
	free(bind_list);
	return ret;
}
