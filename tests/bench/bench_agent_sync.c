/* bench_agent_sync.c — `make bench-agent-sync`: how fast kbpf-agent turns an EndpointSlice
 * change into a map update, with many Services present. A real kbpf-apiserver holds N
 * Services, each with one EndpointSlice of two ready endpoints; a real kbpf-agent
 * (--master, no devices: it loads and pins its maps but attaches nothing) watches them.
 * Then, one change at a time, an endpoint of some Service turns unready or ready again
 * (a PUT of its slice, as the EndpointSlice controller writes it), and:
 *   agent     watch event at the agent → maps updated, as the agent measures it
 *             (its kbpf_agent_event_to_map_seconds summary);
 *   end2end   the PUT sent → the change visible in the pinned lb4_services map (polled);
 * and a burst: B slices changed at once by 16 writers, how many syncs the agent made of
 * them and when the last one reached the map.
 * Usage: bench_agent_sync APISERVER AGENT [SERVICES,... [CHANGES [BURST]]]
 * (defaults 1000,10000 500 1000). Needs root (the agent loads BPF). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/types.h>
#include <bpf/bpf.h>
#include <jansson.h>

#include "benchproc.h"
#include "kclient.h"
#include "lb4_consts.h"
#include "lb4_structs.h"

#define NS "bench"
#define WRITERS 16

static const char *apiserver_bin, *agent_bin;
static char workdir[] = "/tmp/kbpft-bench-agent.XXXXXX";

struct bench {
	struct kclient *c;
	int n_svcs;
	pthread_mutex_t mu;
	int next, end;
	bool *ready2; /* per Service: its second endpoint is ready */
	int op;       /* 0: create Services and slices; 1: flip slices */
	int flip_base;
};

static json_t *slice_of(int svc, bool ready2)
{
	char name[32], svcname[32], ip1[32], ip2[32];

	snprintf(svcname, sizeof(svcname), "s%d", svc);
	snprintf(name, sizeof(name), "s%d-abc", svc);
	snprintf(ip1, sizeof(ip1), "10.%d.%d.%d", 100 + svc / 32768, svc / 128 % 256, svc % 128 * 2);
	snprintf(ip2, sizeof(ip2), "10.%d.%d.%d", 100 + svc / 32768, svc / 128 % 256,
		 svc % 128 * 2 + 1);
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:[{s:s,s:i,s:s}],"
			 "s:[{s:[s],s:{s:b,s:b,s:b}},{s:[s],s:{s:b,s:b,s:b}}]}",
			 "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata",
			 "name", name, "namespace", NS, "labels", "kubernetes.io/service-name", svcname,
			 "addressType", "IPv4", "ports", "name", "http", "port", 8080, "protocol", "TCP",
			 "endpoints", "addresses", ip1, "conditions", "ready", 1, "serving", 1,
			 "terminating", 0, "addresses", ip2, "conditions", "ready", ready2, "serving",
			 ready2, "terminating", 0);
}

static long put_slice(struct kclient *c, int svc, bool ready2)
{
	char path[256], name[32];
	json_t *s = slice_of(svc, ready2);
	long code;

	snprintf(name, sizeof(name), "s%d-abc", svc);
	kpath(path, sizeof(path), "discovery.k8s.io/v1", NS, "endpointslices", name, NULL);
	code = kclient_put(c, path, s, NULL);
	json_decref(s);
	return code;
}

static void *writer(void *arg)
{
	struct bench *b = arg;

	for (;;) {
		char name[32];
		json_t *o;
		long code;
		int k;

		pthread_mutex_lock(&b->mu);
		k = b->next++;
		pthread_mutex_unlock(&b->mu);
		if (k >= b->end)
			return NULL;
		if (b->op == 1) {
			int svc = (b->flip_base + k) % b->n_svcs;

			b->ready2[svc] = !b->ready2[svc];
			code = put_slice(b->c, svc, b->ready2[svc]);
		} else if (k < b->n_svcs) {
			snprintf(name, sizeof(name), "s%d", k);
			o = json_pack("{s:s,s:s,s:{s:s},s:{s:[{s:s,s:i,s:i}]}}", "apiVersion", "v1",
				      "kind", "Service", "metadata", "name", name, "spec", "ports",
				      "name", "http", "port", 80, "targetPort", 8080);
			code = kclient_post(b->c, "/api/v1/namespaces/" NS "/services", o, NULL);
			json_decref(o);
		} else {
			o = slice_of(k - b->n_svcs, true);
			code = kclient_post(b->c, "/apis/discovery.k8s.io/v1/namespaces/" NS
					    "/endpointslices", o, NULL);
			json_decref(o);
		}
		if (code < 200 || code >= 300)
			fprintf(stderr, "bench: write %d failed: HTTP %ld\n", k, code);
	}
}

static void parallel(struct bench *b, int op, int from, int to)
{
	pthread_t t[WRITERS];
	int i;

	b->op = op;
	b->next = from;
	b->end = to;
	for (i = 0; i < WRITERS; i++)
		pthread_create(&t[i], NULL, writer, b);
	for (i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
}

/* The first line of the file matching pat (grep -o), or "" — the agent's log. */
static void grep_log(const char *log, const char *pat, char *out, size_t len)
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "grep -o -m1 -E '%s' %s 2>/dev/null", pat, log);
	out[0] = 0;
	p = popen(cmd, "r");
	if (!p)
		return;
	if (!fgets(out, len, p))
		out[0] = 0;
	out[strcspn(out, "\n")] = 0;
	pclose(p);
}

/* A sample from the agent's /metrics text ("name{labels}" exactly), or -1. */
static double metric(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atof(p + n + 1);
		p += n;
	}
	return -1;
}

static char *scrape(const char *url)
{
	struct kclient *c;
	struct kresp r = {};
	char *body = NULL;

	if (kclient_new_url(url, "bench-agent-sync", &c))
		return NULL;
	if (!kclient_do(c, "GET", "/metrics", NULL, NULL, 0, &r) && r.code == 200)
		body = strndup(r.body, r.len);
	kresp_free(&r);
	kclient_free(c);
	return body;
}

struct result {
	int n;
	double full_ms, agent_p50, agent_p99, e2e_p50, e2e_p99;
	double burst_syncs, burst_ms;
	int timeouts;
};

/* int_count of Service svc's ClusterIP frontend, or -1. */
static int int_count(int fd, __be32 cip)
{
	struct lb4_key k = { .addr = cip, .port = htons(80), .proto = IPPROTO_TCP };
	struct lb4_service v;

	return bpf_map_lookup_elem(fd, &k, &v) ? -1 : (int)v.int_count;
}

static int run(int n, int changes, int burst, struct result *res)
{
	struct bench b = { .mu = PTHREAD_MUTEX_INITIALIZER, .n_svcs = n };
	char dir[300], log[300], alog[300], root[128], url[64], murl[128], ring[32], ports[16];
	char line[256], node[64], path[300];
	pid_t api = -1, agent = -1;
	__be32 *cip = NULL;
	double *e2e = NULL, t0, before;
	char *m = NULL;
	int port = 20000 + (getpid() + n) % 20000, fd = -1, i, ret = -1;
	json_t *list = NULL, *it;
	size_t j;

	memset(res, 0, sizeof(*res));
	res->n = n;
	snprintf(dir, sizeof(dir), "%s/api-%d", workdir, n);
	snprintf(log, sizeof(log), "%s/apiserver-%d.log", workdir, n);
	snprintf(alog, sizeof(alog), "%s/agent-%d.log", workdir, n);
	snprintf(node, sizeof(node), "bench-agent-%d-%d", (int)getpid(), n);
	snprintf(root, sizeof(root), "/sys/fs/bpf/kbpf/%s", node);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	snprintf(ring, sizeof(ring), "%d", 4 * n + 4 * burst + 4 * changes + 10000);
	snprintf(ports, sizeof(ports), "%d", port);
	{
		char *av[] = { (char *)apiserver_bin, "--data-dir", dir, "--secure-port", ports,
			       "--watch-cache-size", ring, NULL };

		api = spawn(log, av);
	}
	b.ready2 = calloc(n, sizeof(*b.ready2));
	cip = calloc(n, sizeof(*cip));
	e2e = calloc(changes, sizeof(*e2e));
	if (!b.ready2 || !cip || !e2e || kclient_new_url(url, "bench-agent-sync", &b.c))
		goto out;
	for (i = 0; i < 200 && kclient_get(b.c, "/readyz", NULL) != 200; i++)
		usleep(50000);
	{
		json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
				       "metadata", "name", NS);

		kclient_post(b.c, "/api/v1/namespaces", ns, NULL);
		json_decref(ns);
	}
	for (i = 0; i < n; i++)
		b.ready2[i] = true;
	fprintf(stderr, "bench: %d Services with a slice of 2 endpoints each...\n", n);
	t0 = now_s();
	parallel(&b, 0, 0, 2 * n);
	fprintf(stderr, "bench: set up in %.1f s\n", now_s() - t0);
	if (kclient_get(b.c, "/api/v1/namespaces/" NS "/services", &list) != 200)
		goto out;
	json_array_foreach(json_object_get(list, "items"), j, it) {
		const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
		const char *ip = json_string_value(json_object_get(json_object_get(it, "spec"), "clusterIP"));
		struct in_addr in;

		if (name && ip && name[0] == 's' && (i = atoi(name + 1)) >= 0 && i < n &&
		    inet_pton(AF_INET, ip, &in) == 1)
			cip[i] = in.s_addr;
	}
	{
		/* No devices and a pod-device prefix nothing has: maps only, nothing attached. */
		char *av[] = { (char *)agent_bin, "--master", url, "--hostname-override", node,
			       "--bpffs-root", root, "--pod-device-prefix", "kbpfbench-none",
			       "--metrics-bind-address", "127.0.0.1:0", NULL };

		agent = spawn(alog, av);
	}
	for (i = 0; i < 6000; i++) {
		grep_log(alog, "synced all [0-9]+ Services: .* in [0-9]+ us", line, sizeof(line));
		if (*line)
			break;
		usleep(10000);
	}
	if (!*line) {
		fprintf(stderr, "bench: the agent never synced (see %s)\n", alog);
		goto out;
	}
	res->full_ms = atof(strrchr(line, 'n') + 1) / 1000; /* "... in N us" */
	grep_log(alog, "metrics on http://127.0.0.1:[0-9]+", line, sizeof(line));
	snprintf(murl, sizeof(murl), "%s", strstr(line, "http://") ?: "");
	snprintf(path, sizeof(path), "%s/lb4_services", root);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		goto out;
	}

	/* One change at a time, each on another Service. */
	for (i = 0; i < changes; i++) {
		int svc = (int)((long long)i * 7919 % n), want;
		double t;

		b.ready2[svc] = !b.ready2[svc];
		want = b.ready2[svc] ? 2 : 1;
		t = now_s();
		if (put_slice(b.c, svc, b.ready2[svc]) != 200) {
			res->timeouts++;
			continue;
		}
		while (int_count(fd, cip[svc]) != want && now_s() - t < 2)
			usleep(50);
		e2e[i] = now_s() - t;
		if (e2e[i] >= 2)
			res->timeouts++;
	}
	qsort(e2e, changes, sizeof(*e2e), bench_cmp_double);
	res->e2e_p50 = bench_pct(e2e, changes, 0.5) * 1e3;
	res->e2e_p99 = bench_pct(e2e, changes, 0.99) * 1e3;
	m = scrape(murl);
	if (m) {
		res->agent_p50 = metric(m, "kbpf_agent_event_to_map_seconds{quantile=\"0.5\"}") * 1e3;
		res->agent_p99 = metric(m, "kbpf_agent_event_to_map_seconds{quantile=\"0.99\"}") * 1e3;
		before = metric(m, "kbpf_agent_syncs_total{kind=\"partial\"}") +
			 metric(m, "kbpf_agent_syncs_total{kind=\"full\"}");
		free(m);
	} else {
		before = 0;
	}

	/* A burst: slices of `burst` Services rewritten by 16 writers at once. */
	if (burst > n)
		burst = n;
	b.flip_base = n / 2;
	t0 = now_s();
	parallel(&b, 1, 0, burst);
	for (i = 0; i < burst; i++) {
		int svc = (b.flip_base + i) % n;

		while (int_count(fd, cip[svc]) != (b.ready2[svc] ? 2 : 1) && now_s() - t0 < 30)
			usleep(100);
	}
	res->burst_ms = (now_s() - t0) * 1e3;
	usleep(100000);
	m = scrape(murl);
	if (m) {
		res->burst_syncs = metric(m, "kbpf_agent_syncs_total{kind=\"partial\"}") +
				   metric(m, "kbpf_agent_syncs_total{kind=\"full\"}") - before;
		free(m);
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	stop(agent);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "%s --cleanup --bpffs-root %s >/dev/null 2>&1; rm -rf %s",
			 agent_bin, root, root);
		if (system(cmd))
			fprintf(stderr, "bench: cleaning %s failed\n", root);
	}
	stop(api);
	json_decref(list);
	kclient_free(b.c);
	free(b.ready2);
	free(cip);
	free(e2e);
	return ret;
}

int main(int argc, char **argv)
{
	int sizes[8] = { 1000, 10000 }, n_sizes = 2, changes = 500, burst = 1000, i;
	struct result r[8];
	char cmd[400];

	if (argc < 3) {
		fprintf(stderr, "usage: %s APISERVER AGENT [SERVICES,... [CHANGES [BURST]]]\n", argv[0]);
		return 2;
	}
	apiserver_bin = argv[1];
	agent_bin = argv[2];
	if (argc > 3) {
		char *s = argv[3], *tok, *save = NULL;

		for (n_sizes = 0, tok = strtok_r(s, ",", &save); tok && n_sizes < 8;
		     tok = strtok_r(NULL, ",", &save))
			sizes[n_sizes++] = atoi(tok);
	}
	if (argc > 4)
		changes = atoi(argv[4]);
	if (argc > 5)
		burst = atoi(argv[5]);
	for (i = 0; i < n_sizes; i++)
		if (sizes[i] < 1)
			return 2;
	if (changes < 1 || burst < 1 || !mkdtemp(workdir)) {
		fprintf(stderr, "bench: bad arguments\n");
		return 2;
	}
	mkdir("/sys/fs/bpf/kbpf", 0700);
	for (i = 0; i < n_sizes; i++)
		if (run(sizes[i], changes, burst, &r[i])) {
			fprintf(stderr, "bench: the run with %d Services failed; logs in %s\n",
				sizes[i], workdir);
			return 1;
		}
	printf("\n| Services | first full sync (ms) | event → map p50 / p99 (ms, agent) "
	       "| PUT → map p50 / p99 (ms) | burst of %d changes: syncs, all in the map (ms) |\n"
	       "|---:|---:|---:|---:|---:|\n", burst);
	for (i = 0; i < n_sizes; i++)
		printf("| %d | %.1f | %.2f / %.2f | %.2f / %.2f | %.0f, %.0f |%s\n", r[i].n,
		       r[i].full_ms, r[i].agent_p50, r[i].agent_p99, r[i].e2e_p50, r[i].e2e_p99,
		       r[i].burst_syncs, r[i].burst_ms,
		       r[i].timeouts ? " (some changes never arrived)" : "");
	printf("\n%d changes per size, one at a time, each on another Service.\n", changes);
	rmdir("/sys/fs/bpf/kbpf"); /* when no other data plane is pinned there */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
	if (system(cmd))
		return 1;
	return 0;
}
