/* agent_metrics.c — /metrics and /healthz of kbpf-agent. Sync counters and latencies come
 * from the agent's loop; map fill, per-Service traffic (lb4_stats, per CPU) and the
 * programs' decision counters (kbpf_metrics) are read from the maps at each scrape, on
 * libmicrohttpd's thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <microhttpd.h>

#include "agent_metrics.h"
#include "agent_node.h"
#include "log.h"
#include "util.h"

#define METRICS_PORT_DEFAULT 10249
/* Event → map latencies kept for the summary's quantiles. */
#define LAT_WINDOW 4096

static const double buckets[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
				  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct histogram {
	unsigned long long count[N_BUCKETS + 1]; /* last: +Inf */
	unsigned long long n;
	double sum;
};

struct agent_metrics {
	struct MHD_Daemon *d;
	struct lb_dp *dp;
	struct node_agent *node;
	pthread_mutex_t mu;
	unsigned long long syncs[2], sync_errors; /* [0] partial, [1] full */
	struct histogram sync_h, event_h;
	double lat[LAT_WINDOW];
	size_t n_lat;
	double pending_since;
	time_t last_sync; /* wall clock */
};

static void observe(struct histogram *h, double v)
{
	size_t i;

	for (i = 0; i < N_BUCKETS && v > buckets[i]; i++)
		;
	h->count[i]++;
	h->n++;
	h->sum += v;
}

void metrics_sync(struct agent_metrics *m, bool full, double seconds, int err)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->syncs[full]++;
	m->sync_errors += !!err;
	observe(&m->sync_h, seconds);
	if (!err) {
		m->last_sync = time(NULL);
		m->pending_since = 0;
	}
	pthread_mutex_unlock(&m->mu);
}

void metrics_event_latency(void *ctx, double seconds)
{
	struct agent_metrics *m = ctx;

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	observe(&m->event_h, seconds);
	m->lat[m->n_lat++ % LAT_WINDOW] = seconds;
	pthread_mutex_unlock(&m->mu);
}

void metrics_pending(struct agent_metrics *m, double since)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	if (!since || !m->pending_since)
		m->pending_since = since;
	pthread_mutex_unlock(&m->mu);
}

void metrics_set_node(struct agent_metrics *m, struct node_agent *n)
{
	if (m)
		m->node = n;
}

static void print_histogram(FILE *f, const char *name, const char *help, const struct histogram *h)
{
	unsigned long long cum = 0;
	size_t i;

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < N_BUCKETS; i++) {
		cum += h->count[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[i], cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name, h->n, name,
		h->sum, name, h->n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_summary(FILE *f, struct agent_metrics *m)
{
	static const double qs[] = { 0.5, 0.9, 0.99 };
	const char *name = "kbpf_agent_event_to_map_seconds";
	size_t n = m->n_lat < LAT_WINDOW ? m->n_lat : LAT_WINDOW, i;
	double *v = malloc((n ? n : 1) * sizeof(*v));

	fprintf(f, "# HELP %s Watch event at the agent to maps updated, per Service, over the last %d.\n"
		"# TYPE %s summary\n", name, LAT_WINDOW, name);
	if (v && n) {
		memcpy(v, m->lat, n * sizeof(*v));
		qsort(v, n, sizeof(*v), cmp_double);
		for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
			fprintf(f, "%s{quantile=\"%g\"} %.9f\n", name, qs[i],
				v[(size_t)(qs[i] * (n - 1) + 0.5)]);
	}
	fprintf(f, "%s_sum %.9f\n%s_count %llu\n", name, m->event_h.sum, name, m->event_h.n);
	free(v);
}

static unsigned long count_keys(int fd, size_t key_size)
{
	char prev[64], next[64];
	unsigned long n = 0;
	void *p = NULL;

	if (fd < 0 || key_size > sizeof(prev))
		return 0;
	while (!bpf_map_get_next_key(fd, p, next)) {
		memcpy(prev, next, key_size);
		p = prev;
		n++;
	}
	return n;
}

static __u32 max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

static const char *frontend_type(__u32 flags)
{
	return flags & SVC_F_NODEPORT ? "NodePort" : flags & SVC_F_EXTERNALIP ? "ExternalIP" :
	       flags & SVC_F_LOADBALANCER ? "LoadBalancer" : "ClusterIP";
}

/* Per frontend: its Service, port, address and type, with packets and bytes summed over
 * CPUs; the lb4_services count comes out of the same walk. */
static unsigned long print_services(FILE *f, struct lb_dp *dp)
{
	int fd_svc = lb_dp_map_fd(dp, "lb4_services"), fd_names = lb_dp_map_fd(dp, "lb4_names");
	int fd_stats = lb_dp_map_fd(dp, "lb4_stats"), ncpus = libbpf_num_possible_cpus(), c;
	struct lb4_stats *pc = calloc(ncpus > 0 ? ncpus : 1, sizeof(*pc));
	struct lb4_key key, *prev = NULL;
	struct lb4_service val;
	char *bytes = NULL, fe[64];
	size_t bytes_len = 0;
	FILE *fb = open_memstream(&bytes, &bytes_len);
	unsigned long n = 0;

	fprintf(f, "# HELP kbpf_service_packets_total Packets to a Service frontend, counted by the data plane.\n"
		"# TYPE kbpf_service_packets_total counter\n");
	while (pc && fb && !bpf_map_get_next_key(fd_svc, prev, &key)) {
		struct lb4_name nm = {};
		unsigned long long pk = 0, by = 0;
		char *colon, labels[512];

		prev = &key;
		n++;
		if (bpf_map_lookup_elem(fd_svc, &key, &val))
			continue;
		if (bpf_map_lookup_elem(fd_names, &val.id, &nm))
			snprintf(nm.name, sizeof(nm.name), "?");
		if (!bpf_map_lookup_elem(fd_stats, &val.id, pc))
			for (c = 0; c < ncpus; c++) {
				pk += pc[c].packets;
				by += pc[c].bytes;
			}
		colon = strrchr(nm.name, ':');
		if (colon)
			*colon++ = 0;
		snprintf(labels, sizeof(labels),
			 "service=\"%s\",port=\"%s\",frontend=\"%s\",type=\"%s\"", nm.name,
			 colon ? colon : "", lb_fmt_addr(fe, sizeof(fe), key.addr, key.port, key.proto),
			 frontend_type(val.flags));
		fprintf(f, "kbpf_service_packets_total{%s} %llu\n", labels, pk);
		fprintf(fb, "kbpf_service_bytes_total{%s} %llu\n", labels, by);
	}
	if (fb)
		fclose(fb);
	fprintf(f, "# HELP kbpf_service_bytes_total Bytes to a Service frontend, counted by the data plane.\n"
		"# TYPE kbpf_service_bytes_total counter\n%s", bytes ? bytes : "");
	free(bytes);
	free(pc);
	return n;
}

static void print_maps(FILE *f, struct lb_dp *dp, unsigned long frontends)
{
	static const struct { const char *map; size_t key; } maps[] = {
		{ "lb4_services", sizeof(struct lb4_key) },
		{ "lb4_backends", sizeof(__u32) },
		{ "ct4", sizeof(struct ct4_key) },
		{ "lb4_affinity", sizeof(struct lb4_affinity_key) },
	};
	size_t i;

	fprintf(f, "# HELP kbpf_map_entries Entries in a data-plane map.\n# TYPE kbpf_map_entries gauge\n");
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int fd = lb_dp_map_fd(dp, maps[i].map);

		fprintf(f, "kbpf_map_entries{map=\"%s\"} %lu\n", maps[i].map,
			i == 0 ? frontends : count_keys(fd, maps[i].key));
	}
	fprintf(f, "# HELP kbpf_map_max_entries Capacity of a data-plane map.\n# TYPE kbpf_map_max_entries gauge\n");
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(f, "kbpf_map_max_entries{map=\"%s\"} %u\n", maps[i].map,
			max_entries(lb_dp_map_fd(dp, maps[i].map)));
}

static void print_decisions(FILE *f, struct lb_dp *dp)
{
	int fd = lb_dp_map_fd(dp, "kbpf_metrics"), ncpus = libbpf_num_possible_cpus(), c;
	__u64 *pc = calloc(ncpus > 0 ? ncpus : 1, sizeof(*pc));
	__u32 i;

	fprintf(f, "# HELP kbpf_dataplane_packets_total Packets by the programs' decision.\n"
		"# TYPE kbpf_dataplane_packets_total counter\n");
	for (i = 0; pc && i < M_MAX; i++) {
		unsigned long long sum = 0;

		if (!bpf_map_lookup_elem(fd, &i, pc))
			for (c = 0; c < ncpus; c++)
				sum += pc[c];
		fprintf(f, "kbpf_dataplane_packets_total{reason=\"%s\"} %llu\n", lb_metric_name(i), sum);
	}
	free(pc);
}

static char *render_metrics(struct agent_metrics *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	unsigned long fe;

	if (!f)
		return NULL;
	pthread_mutex_lock(&m->mu);
	fprintf(f, "# HELP kbpf_agent_syncs_total Data-plane syncs, partial (changed Services) or full.\n"
		"# TYPE kbpf_agent_syncs_total counter\n"
		"kbpf_agent_syncs_total{kind=\"partial\"} %llu\nkbpf_agent_syncs_total{kind=\"full\"} %llu\n"
		"# HELP kbpf_agent_sync_errors_total Syncs that left the data plane incomplete.\n"
		"# TYPE kbpf_agent_sync_errors_total counter\nkbpf_agent_sync_errors_total %llu\n",
		m->syncs[0], m->syncs[1], m->sync_errors);
	fprintf(f, "# HELP kbpf_agent_last_sync_timestamp_seconds When the last sync succeeded.\n"
		"# TYPE kbpf_agent_last_sync_timestamp_seconds gauge\n"
		"kbpf_agent_last_sync_timestamp_seconds %lld\n", (long long)m->last_sync);
	print_histogram(f, "kbpf_agent_sync_duration_seconds", "Time one data-plane sync takes.",
			&m->sync_h);
	print_summary(f, m);
	pthread_mutex_unlock(&m->mu);
	fe = print_services(f, m->dp);
	print_maps(f, m->dp, fe);
	print_decisions(f, m->dp);
	fclose(f);
	return buf;
}

/* kube-proxy's answer: 200 while the data plane keeps up, 503 when changes have waited
 * more than HEALTHZ_STALE_S. */
static char *render_healthz(struct agent_metrics *m, unsigned int *code)
{
	char last[40], now[40], *out = NULL;
	time_t t = time(NULL), ls;
	struct tm tm;
	bool stale, lease = m->node ? node_agent_healthy(m->node) : false;

	pthread_mutex_lock(&m->mu);
	stale = m->pending_since && mono_now() - m->pending_since > HEALTHZ_STALE_S;
	ls = m->last_sync ? m->last_sync : t;
	pthread_mutex_unlock(&m->mu);
	gmtime_r(&ls, &tm);
	strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	*code = stale ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK;
	if (asprintf(&out, "{\"lastUpdated\": \"%s\", \"currentTime\": \"%s\", \"nodeEligible\": true%s%s}\n",
		     last, now, m->node ? ", \"nodeLease\": " : "",
		     m->node ? (lease ? "\"renewed\"" : "\"stale\"") : "") < 0)
		return NULL;
	return out;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *data_len, void **state)
{
	struct agent_metrics *m = cls;
	struct MHD_Response *resp;
	const char *type = "text/plain; charset=utf-8";
	unsigned int code = MHD_HTTP_OK;
	enum MHD_Result ret;
	size_t len = 0;
	char *body;

	(void)version;
	(void)data;
	(void)data_len;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("only GET\n");
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (!strcmp(url, "/metrics")) {
		body = render_metrics(m, &len);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (!strcmp(url, "/healthz") || !strcmp(url, "/livez")) {
		body = render_healthz(m, &code);
		type = "application/json";
	} else {
		body = strdup("404 page not found\n");
		code = MHD_HTTP_NOT_FOUND;
	}
	if (!body)
		return MHD_NO;
	if (!len)
		len = strlen(body);
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int parse_bind(const char *addr, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	long port = METRICS_PORT_DEFAULT;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - addr) : (int)strlen(addr), addr);
	if (colon) {
		port = strtol(colon + 1, &end, 10);
		if (*end || end == colon + 1 || port < 0 || port > 65535)
			return -EINVAL;
	}
	if (!*host)
		snprintf(host, sizeof(host), "0.0.0.0");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int metrics_check_addr(const char *addr)
{
	struct sockaddr_in sa;

	return !strcmp(addr, "0") ? 0 : parse_bind(addr, &sa);
}

int metrics_start(const char *addr, struct lb_dp *dp, struct agent_metrics **out)
{
	struct agent_metrics *m;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	char ip[INET_ADDRSTRLEN];

	if (parse_bind(addr, &sa)) {
		pr_warn("--metrics-bind-address %s: not IPv4 address[:port]\n", addr);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->mu, NULL);
	m->dp = dp;
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				handler, m, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!m->d) {
		pr_warn("serving metrics on %s: %s\n", addr, strerror(errno));
		pthread_mutex_destroy(&m->mu);
		free(m);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	pr_info("metrics on http://%s:%u/metrics, health on /healthz\n", ip,
		info ? info->port : ntohs(sa.sin_port));
	*out = m;
	return 0;
}

void metrics_stop(struct agent_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
