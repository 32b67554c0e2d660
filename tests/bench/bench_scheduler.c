/* bench_scheduler.c — `make bench-scheduler`: kbpf-scheduler's throughput the way
 * Kubernetes' scheduler_perf and KWOK measure kube-scheduler's: Node objects only (no
 * agents) in a real kbpf-apiserver, pods created as fast as the apiserver takes them,
 * and the time from creation to binding seen through a watch.
 *
 * Each scenario runs twice, on a fresh apiserver each time:
 *   end to end  the scheduler runs while the pods are created: pods/s from the first
 *               create to the last binding, and each pod's create -> bound latency;
 *   backlog     the pods exist before the scheduler starts: bindings/s from its first
 *               binding to its last (decisions, binding and events; no creation in the
 *               way).
 * Afterwards every node's pods are counted against its allocatable: a benchmark that
 * over-commits a node has measured nothing. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kclient.h"
#include "log.h"
#include "benchproc.h"

#define NS "bench"
#define CREATORS 16
#define NODE_CPU 32 /* cores; 110 pods of 100m fit in 11 */
#define NODE_PODS 110
#define ZONES 10
#define ANTI_GROUP 20 /* pods sharing one required anti-affinity term */

enum profile { BASIC, SPREAD_ANTI };

struct scenario {
	int nodes, pods;
	enum profile profile;
};

struct result {
	double create_rate, e2e_rate, backlog_rate, p50_ms, p99_ms;
	int bound, overcommitted;
};

static const char *apiserver_bin, *scheduler_bin;
static char workdir[] = "/tmp/kbpft-bench-sched.XXXXXX";

/* --- one run --- */

struct run {
	const struct scenario *sc;
	struct kclient *c;
	char url[64];
	int port;
	pid_t api, sched;
	double *created_at; /* per pod: when its create was sent */
	double *bound_at;   /* per pod: when the watch saw it bound */
	int *node_of;       /* per pod: its node's index */
	int n_bound;
	double first_bound, last_bound;
	pthread_mutex_t mu;
	volatile bool stop;
	int next_create;
};

static json_t *node_obj(int i)
{
	char name[32], zone[16];

	snprintf(name, sizeof(name), "n-%d", i);
	snprintf(zone, sizeof(zone), "zone-%d", i % ZONES);
	return json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}},s:{s:{s:i,s:s,s:i},s:{s:i,s:s,s:i},s:[{s:s,s:s}]}}",
			 "apiVersion", "v1", "kind", "Node", "metadata", "name", name, "labels",
			 "kubernetes.io/hostname", name, "topology.kubernetes.io/zone", zone,
			 "status", "capacity", "cpu", NODE_CPU, "memory", "256Gi", "pods", NODE_PODS,
			 "allocatable", "cpu", NODE_CPU, "memory", "256Gi", "pods", NODE_PODS,
			 "conditions", "type", "Ready", "status", "True");
}

static json_t *pod_obj(const struct scenario *sc, int i)
{
	char name[32], group[32];
	json_t *pod, *spec;

	snprintf(name, sizeof(name), "p-%d", i);
	snprintf(group, sizeof(group), "g-%d", i / ANTI_GROUP);
	pod = json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}},s:{s:[{s:s,s:s,s:{s:{s:s,s:s}}}]}}",
			"apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "labels", "app",
			"bench", "group", group, "spec", "containers", "name", "c", "image", "busybox",
			"resources", "requests", "cpu", "100m", "memory", "100Mi");
	spec = json_object_get(pod, "spec");
	if (sc->profile == SPREAD_ANTI) {
		json_object_set_new(spec, "topologySpreadConstraints",
				    json_pack("[{s:i,s:s,s:s,s:{s:{s:s}}}]", "maxSkew", 1, "topologyKey",
					      "topology.kubernetes.io/zone", "whenUnsatisfiable",
					      "DoNotSchedule", "labelSelector", "matchLabels", "app", "bench"));
		json_object_set_new(spec, "affinity",
				    json_pack("{s:{s:[{s:s,s:{s:{s:s}}}]}}", "podAntiAffinity",
					      "requiredDuringSchedulingIgnoredDuringExecution",
					      "topologyKey", "kubernetes.io/hostname", "labelSelector",
					      "matchLabels", "group", group));
	}
	return pod;
}

static void *node_creator(void *arg)
{
	struct run *r = arg;

	for (;;) {
		json_t *n;
		int i;

		pthread_mutex_lock(&r->mu);
		i = r->next_create++;
		pthread_mutex_unlock(&r->mu);
		if (i >= r->sc->nodes)
			return NULL;
		n = node_obj(i);
		if (kclient_post(r->c, "/api/v1/nodes", n, NULL) != 201)
			fprintf(stderr, "bench: node %d not created\n", i);
		json_decref(n);
	}
}

static void *pod_creator(void *arg)
{
	struct run *r = arg;

	for (;;) {
		json_t *p;
		long code;
		int i;

		pthread_mutex_lock(&r->mu);
		i = r->next_create++;
		pthread_mutex_unlock(&r->mu);
		if (i >= r->sc->pods)
			return NULL;
		p = pod_obj(r->sc, i);
		r->created_at[i] = now_s();
		code = kclient_post(r->c, "/api/v1/namespaces/" NS "/pods", p, NULL);
		if (code != 201)
			fprintf(stderr, "bench: pod %d not created: HTTP %ld\n", i, code);
		json_decref(p);
	}
}

static void parallel(struct run *r, void *(*fn)(void *))
{
	pthread_t t[CREATORS];
	int i;

	r->next_create = 0;
	for (i = 0; i < CREATORS; i++)
		pthread_create(&t[i], NULL, fn, r);
	for (i = 0; i < CREATORS; i++)
		pthread_join(t[i], NULL);
}

static int on_pod_event(void *ctx, const char *type, json_t *obj)
{
	struct run *r = ctx;
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	const char *node = json_string_value(json_object_get(json_object_get(obj, "spec"), "nodeName"));
	int i;

	if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED"))
		return strcmp(type, "ERROR") ? 0 : -EIO;
	if (!name || sscanf(name, "p-%d", &i) != 1 || i < 0 || i >= r->sc->pods || !node || !*node)
		return 0;
	pthread_mutex_lock(&r->mu);
	if (!r->bound_at[i]) {
		r->bound_at[i] = now_s();
		if (sscanf(node, "n-%d", &r->node_of[i]) != 1)
			r->node_of[i] = -1;
		if (!r->n_bound++)
			r->first_bound = r->bound_at[i];
		r->last_bound = r->bound_at[i];
	}
	pthread_mutex_unlock(&r->mu);
	return r->n_bound == r->sc->pods;
}

static void *watcher(void *arg)
{
	struct run *r = arg;
	json_t *list = NULL;
	char path[256];

	/* From now: the list is empty, its revision is where the watch starts. */
	kclient_get(r->c, "/api/v1/namespaces/" NS "/pods?limit=1", &list);
	snprintf(path, sizeof(path), "/api/v1/namespaces/" NS "/pods?resourceVersion=%s",
		 json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion")));
	json_decref(list);
	while (!r->stop && r->n_bound < r->sc->pods)
		if (kclient_watch(r->c, path, on_pod_event, r, &r->stop) < 0)
			break; /* a broken watch ends the run as a timeout */
	return NULL;
}

static int start_apiserver(struct run *r, int port)
{
	char dir[256], log[256], ports[16], ring[16];
	int i;

	snprintf(dir, sizeof(dir), "%s/api-%d", workdir, port);
	snprintf(log, sizeof(log), "%s/apiserver.log", workdir);
	snprintf(ports, sizeof(ports), "%d", port);
	/* Every pod makes about four events (created, bound, its status, its Event): keep
	 * them all so the watch never falls off the ring. */
	snprintf(ring, sizeof(ring), "%d", r->sc->pods * 6 + r->sc->nodes + 1000);
	{
		char *argv[] = { (char *)apiserver_bin, "--data-dir", dir, "--secure-port", ports,
				 "--watch-cache-size", ring, NULL };

		r->api = spawn(log, argv);
	}
	r->port = port;
	snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%d", port);
	if (kclient_new_url(r->url, "bench-scheduler", &r->c))
		return -1;
	for (i = 0; i < 200; i++) {
		if (kclient_get(r->c, "/readyz", NULL) == 200)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "bench: the apiserver did not start (see %s)\n", log);
	return -1;
}

static int start_scheduler(struct run *r)
{
	char log[256];
	char *argv[] = { (char *)scheduler_bin, "--master", r->url, "--leader-elect=false", NULL };
	int i;

	snprintf(log, sizeof(log), "%s/scheduler-%d.log", workdir, r->port);
	r->sched = spawn(log, argv);
	/* Ready when it says so in its log (informers synced). */
	for (i = 0; i < 400; i++) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "grep -q 'scheduling pods with' %s", log);
		if (!system(cmd))
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "bench: the scheduler did not start (see %s)\n", log);
	return -1;
}

/* One run; backlog: create all pods before starting the scheduler. */
static int run_once(const struct scenario *sc, bool backlog, int port, struct result *res)
{
	struct run r = { .sc = sc, .mu = PTHREAD_MUTEX_INITIALIZER };
	pthread_t w;
	double t0, t_created, deadline;
	int *per_node, i, ret = -1;

	r.created_at = calloc(sc->pods, sizeof(double));
	r.bound_at = calloc(sc->pods, sizeof(double));
	r.node_of = calloc(sc->pods, sizeof(int));
	per_node = calloc(sc->nodes, sizeof(int));
	if (!r.created_at || !r.bound_at || !r.node_of || !per_node || start_apiserver(&r, port))
		goto out;
	{
		json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
				       "metadata", "name", NS);

		kclient_post(r.c, "/api/v1/namespaces", ns, NULL);
		json_decref(ns);
	}
	parallel(&r, node_creator);
	pthread_create(&w, NULL, watcher, &r);
	usleep(200000); /* the watch is open */
	if (!backlog && start_scheduler(&r))
		goto out_watch;
	t0 = now_s();
	parallel(&r, pod_creator);
	t_created = now_s();
	res->create_rate = sc->pods / (t_created - t0);
	if (backlog && start_scheduler(&r))
		goto out_watch;
	deadline = now_s() + 120 + sc->pods / 200.0;
	while (r.n_bound < sc->pods && now_s() < deadline)
		usleep(20000);
	r.stop = true;
	res->bound = r.n_bound;
	if (r.n_bound < sc->pods)
		fprintf(stderr, "bench: only %d of %d pods bound in time\n", r.n_bound, sc->pods);
	if (backlog) {
		res->backlog_rate = r.n_bound > 1 ? (r.n_bound - 1) / (r.last_bound - r.first_bound) : 0;
	} else {
		double *lat = calloc(sc->pods, sizeof(double));
		int n = 0;

		res->e2e_rate = r.n_bound / (r.last_bound - t0);
		for (i = 0; lat && i < sc->pods; i++)
			if (r.bound_at[i])
				lat[n++] = (r.bound_at[i] - r.created_at[i]) * 1000;
		if (n) {
			qsort(lat, n, sizeof(*lat), bench_cmp_double);
			res->p50_ms = lat[n / 2];
			res->p99_ms = lat[(int)(n * 0.99)];
		}
		free(lat);
	}
	/* Nothing over-committed: at most 110 pods and 32 cores of 100m requests per node,
	 * and for the spread profile at most one pod of a group per node. */
	for (i = 0; i < sc->pods; i++)
		if (r.bound_at[i] && r.node_of[i] >= 0 && r.node_of[i] < sc->nodes)
			per_node[r.node_of[i]]++;
	for (i = 0; i < sc->nodes; i++)
		if (per_node[i] > NODE_PODS || per_node[i] * 100 > NODE_CPU * 1000)
			res->overcommitted++;
	if (sc->profile == SPREAD_ANTI) {
		int g, j;

		for (g = 0; g * ANTI_GROUP < sc->pods; g++)
			for (i = g * ANTI_GROUP; i < (g + 1) * ANTI_GROUP && i < sc->pods; i++)
				for (j = i + 1; j < (g + 1) * ANTI_GROUP && j < sc->pods; j++)
					if (r.bound_at[i] && r.bound_at[j] && r.node_of[i] == r.node_of[j])
						res->overcommitted++;
	}
	ret = 0;
out_watch:
	r.stop = true;
	stop(r.sched);
	pthread_join(w, NULL);
out:
	stop(r.api);
	kclient_free(r.c);
	free(r.created_at);
	free(r.bound_at);
	free(r.node_of);
	free(per_node);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct scenario full[] = {
		{ 100, 10000, BASIC },	      { 1000, 10000, BASIC },
		{ 5000, 30000, BASIC },	      { 1000, 5000, SPREAD_ANTI },
		{ 5000, 10000, SPREAD_ANTI },
	};
	static const struct scenario quick[] = {
		{ 100, 2000, BASIC }, { 1000, 3000, BASIC }, { 1000, 2000, SPREAD_ANTI },
	};
	const struct scenario *sc = getenv("BENCH_QUICK") ? quick : full;
	size_t n = getenv("BENCH_QUICK") ? sizeof(quick) / sizeof(*quick) : sizeof(full) / sizeof(*full);
	struct result res[8] = { 0 };
	int port = 24000 + getpid() % 4000;
	size_t i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s KBPF-APISERVER KBPF-SCHEDULER\n", argv[0]);
		return 2;
	}
	apiserver_bin = argv[1];
	scheduler_bin = argv[2];
	kbpf_log_level = LOG_LEVEL_WARN;
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(workdir))
		return 1;
	for (i = 0; i < n; i++) {
		/* BENCH_ONLY=K: the K-th scenario alone (profiling one case). */
		if (getenv("BENCH_ONLY") && (size_t)atoi(getenv("BENCH_ONLY")) != i) {
			res[i].bound = sc[i].pods;
			continue;
		}
		fprintf(stderr, "bench: %d nodes, %d pods, %s: end to end...\n", sc[i].nodes,
			sc[i].pods, sc[i].profile == BASIC ? "basic" : "spread+anti-affinity");
		if (run_once(&sc[i], false, port++, &res[i]))
			return 1;
		fprintf(stderr, "bench: ... backlog...\n");
		{
			struct result b = { 0 };

			if (run_once(&sc[i], true, port++, &b))
				return 1;
			res[i].backlog_rate = b.backlog_rate;
			res[i].overcommitted += b.overcommitted;
			if (b.bound < sc[i].pods)
				res[i].bound = -b.bound;
		}
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
		if (system(cmd))
			fprintf(stderr, "bench: could not remove %s\n", workdir);
	}

	printf("\n| nodes | pods | profile | created/s | end to end pods/s | create->bound p50 / p99 | backlog bindings/s | check |\n");
	printf("|---:|---:|---|---:|---:|---:|---:|---|\n");
	for (i = 0; i < n; i++)
		printf("| %d | %d | %s | %.0f | %.0f | %.0f / %.0f ms | %.0f | %s |\n", sc[i].nodes,
		       sc[i].pods, sc[i].profile == BASIC ? "basic" : "spread + anti-affinity",
		       res[i].create_rate, res[i].e2e_rate, res[i].p50_ms, res[i].p99_ms,
		       res[i].backlog_rate,
		       res[i].bound != sc[i].pods ? "NOT ALL BOUND" :
		       res[i].overcommitted     ? "OVER-COMMITTED" : "all bound, none over-committed");
	printf("\nAnchors at 5,000 nodes: kube-scheduler ~100 pods/s (scheduler_perf), Godel ~1,000 pods/s; "
	       "target here >= 1,000 pods/s end to end (basic).\n");
	return 0;
}
