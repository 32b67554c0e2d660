/* bench_endpoints.c — `make bench-endpoints`: the endpointslice controller of
 * kbpf-controller-manager against a real kbpf-apiserver, the way a kubelet and kube-proxy
 * see it: N Services of M pods each (pods created on one Node and reported Running and
 * Ready, as kubelets would), then
 *   converge  the time from the manager's start until a watch on EndpointSlices has shown
 *             every Service's slice with all its endpoints ready;
 *   latency   a pod's readiness flipped through the status subresource (what a kubelet
 *             does), one at a time: the time from sending the PATCH to the EndpointSlice
 *             watch event showing the new condition, over a sample of flips.
 * Usage: bench_endpoints APISERVER CONTROLLER-MANAGER [SERVICES [PODS-PER-SERVICE [FLIPS]]]
 * (defaults 10000, 10, 1000). */
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
#include "benchproc.h"

#define NS "bench"
#define WRITERS 16

static const char *apiserver_bin, *cm_bin;
static char workdir[] = "/tmp/kbpft-bench-eps.XXXXXX";
static int n_svcs = 10000, per_svc = 10, n_flips = 1000;

struct bench {
	struct kclient *c;
	char url[64];
	pthread_mutex_t mu;
	pthread_cond_t cond;
	volatile bool stop;
	int next, end;
	/* converge: per Service, ready endpoints in its slice as last seen */
	int *ready_in, *ep_ready_in;
	int n_converged, n_ep_converged;
	double converged_at, ep_converged_at;
	/* latency: the pod being flipped, the readiness waited for, when it was seen */
	int flip_svc, flip_pod;
	bool flip_ready;
	double seen_at;
};

static void pod_name(char *buf, size_t len, int svc, int i)
{
	snprintf(buf, len, "s%d-p%d", svc, i);
}

/* What a kubelet reports of a running pod. */
static json_t *pod_status(int svc, int i, bool ready)
{
	char ip[32], now[32];
	time_t t = time(NULL);
	struct tm tm;
	int n = svc * per_svc + i;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(ip, sizeof(ip), "10.%d.%d.%d", 100 + n / 65536, n / 256 % 256, n % 256);
	return json_pack("{s:{s:s,s:s,s:[{s:s}],s:s,s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}}", "status",
			 "phase", "Running", "podIP", ip, "podIPs", "ip", ip, "hostIP", "10.99.0.1",
			 "conditions", "type", "Ready", "status", ready ? "True" : "False",
			 "lastTransitionTime", now, "type", "ContainersReady", "status",
			 ready ? "True" : "False", "lastTransitionTime", now);
}

static long patch_status(struct bench *b, int svc, int i, bool ready)
{
	char name[64], path[256];
	json_t *st = pod_status(svc, i, ready);
	long code;

	pod_name(name, sizeof(name), svc, i);
	snprintf(path, sizeof(path), "/api/v1/namespaces/" NS "/pods/%s/status", name);
	code = kclient_patch(b->c, path, "merge", st, NULL);
	json_decref(st);
	return code;
}

/* Services, then pods (items below n_svcs * (1 + per_svc)), then their status: WRITERS
 * threads share items [next, end). */
static void *writer(void *arg)
{
	struct bench *b = arg;
	char name[64], app[32];

	for (;;) {
		json_t *o;
		int k, svc;
		long code;

		pthread_mutex_lock(&b->mu);
		k = b->next++;
		pthread_mutex_unlock(&b->mu);
		if (k >= b->end)
			return NULL;
		if (k < n_svcs) {
			snprintf(name, sizeof(name), "s%d", k);
			o = json_pack("{s:s,s:s,s:{s:s},s:{s:{s:s},s:[{s:s,s:i,s:s}]}}", "apiVersion",
				      "v1", "kind", "Service", "metadata", "name", name, "spec",
				      "selector", "app", name, "ports", "name", "http", "port", 80,
				      "targetPort", "http");
			code = kclient_post(b->c, "/api/v1/namespaces/" NS "/services", o, NULL);
			json_decref(o);
		} else if ((k -= n_svcs) < n_svcs * per_svc) {
			svc = k / per_svc;
			pod_name(name, sizeof(name), svc, k % per_svc);
			snprintf(app, sizeof(app), "s%d", svc);
			o = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s,s:[{s:s,s:s,s:[{s:s,s:i}]}]}}",
				      "apiVersion", "v1", "kind", "Pod", "metadata", "name", name,
				      "labels", "app", app, "spec", "nodeName", "n-0", "containers",
				      "name", "c", "image", "busybox", "ports", "name", "http",
				      "containerPort", 8080);
			code = kclient_post(b->c, "/api/v1/namespaces/" NS "/pods", o, NULL);
			json_decref(o);
		} else {
			k -= n_svcs * per_svc;
			code = patch_status(b, k / per_svc, k % per_svc, true);
		}
		if (code < 200 || code >= 300)
			fprintf(stderr, "bench: write %d failed: HTTP %ld\n", k, code);
	}
}

static void parallel(struct bench *b, int from, int to)
{
	pthread_t t[WRITERS];
	int i;

	b->next = from;
	b->end = to;
	for (i = 0; i < WRITERS; i++)
		pthread_create(&t[i], NULL, writer, b);
	for (i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
}

static int index_of(const char *s, const char *fmt, int *a, int *b)
{
	return b ? sscanf(s, fmt, a, b) == 2 : sscanf(s, fmt, a) == 1;
}

static int on_slice(void *ctx, const char *type, json_t *obj)
{
	struct bench *b = ctx;
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	const char *svc_name = json_string_value(json_object_get(labels, "kubernetes.io/service-name"));
	double t = now_s();
	const json_t *ep;
	int svc, ready = 0, p_svc, p;
	size_t i;

	if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED"))
		return strcmp(type, "ERROR") ? 0 : -EIO;
	if (!svc_name || !index_of(svc_name, "s%d", &svc, NULL) || svc < 0 || svc >= n_svcs)
		return 0;
	pthread_mutex_lock(&b->mu);
	json_array_foreach(json_object_get(obj, "endpoints"), i, ep) {
		const char *pod = json_string_value(json_object_get(json_object_get(ep, "targetRef"),
								    "name"));
		bool r = json_is_true(json_object_get(json_object_get(ep, "conditions"), "ready"));

		ready += r;
		if (pod && svc == b->flip_svc && index_of(pod, "s%d-p%d", &p_svc, &p) &&
		    p == b->flip_pod && r == b->flip_ready && !b->seen_at) {
			b->seen_at = t;
			pthread_cond_broadcast(&b->cond);
		}
	}
	if (b->ready_in[svc] < per_svc && ready == per_svc && ++b->n_converged == n_svcs)
		b->converged_at = t;
	b->ready_in[svc] = ready;
	pthread_mutex_unlock(&b->mu);
	return 0;
}

/* The Endpoints objects: counted to know when the manager has nothing left to do. */
static int on_endpoints(void *ctx, const char *type, json_t *obj)
{
	struct bench *b = ctx;
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"),
							     "name"));
	const json_t *ss;
	int svc, ready = 0;
	size_t i;

	if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED"))
		return strcmp(type, "ERROR") ? 0 : -EIO;
	if (!name || !index_of(name, "s%d", &svc, NULL) || svc < 0 || svc >= n_svcs)
		return 0;
	json_array_foreach(json_object_get(obj, "subsets"), i, ss)
		ready += json_array_size(json_object_get(ss, "addresses"));
	pthread_mutex_lock(&b->mu);
	if (b->ep_ready_in[svc] < per_svc && ready == per_svc &&
	    ++b->n_ep_converged == n_svcs)
		b->ep_converged_at = now_s();
	b->ep_ready_in[svc] = ready;
	pthread_mutex_unlock(&b->mu);
	return 0;
}

static void *watcher(void *arg)
{
	struct bench *b = arg;

	while (!b->stop)
		if (kclient_watch(b->c, "/apis/discovery.k8s.io/v1/namespaces/" NS "/endpointslices",
				  on_slice, b, &b->stop) < 0)
			usleep(100000);
	return NULL;
}

static void *ep_watcher(void *arg)
{
	struct bench *b = arg;

	while (!b->stop)
		if (kclient_watch(b->c, "/api/v1/namespaces/" NS "/endpoints", on_endpoints, b,
				  &b->stop) < 0)
			usleep(100000);
	return NULL;
}

/* When the manager logged that its informers synced and its controllers run. */
static double wait_started(const char *log, double t0)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "grep -q 'started the controllers' %s", log);
	while (now_s() - t0 < 600) {
		if (!system(cmd))
			return now_s();
		usleep(20000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
			   .flip_svc = -1 };
	pid_t api = 0, cm = 0;
	char dir[300], log[300], ring[32], cmd[600];
	pthread_t w, w_ep;
	double started;
	double t0, t_setup, *lat = NULL, *patch_lat = NULL;
	int svc = 0, p = 0, i, n_lat = 0, n_patch = 0, timeouts = 0, ret = 1, port = 20000 + getpid() % 20000;

	if (argc < 3) {
		fprintf(stderr, "usage: %s APISERVER CONTROLLER-MANAGER [SERVICES [PODS-PER-SERVICE "
			"[FLIPS]]]\n", argv[0]);
		return 2;
	}
	apiserver_bin = argv[1];
	cm_bin = argv[2];
	if (argc > 3)
		n_svcs = atoi(argv[3]);
	if (argc > 4)
		per_svc = atoi(argv[4]);
	if (argc > 5)
		n_flips = atoi(argv[5]);
	if (n_svcs < 1 || per_svc < 1 || per_svc > 100 || n_flips < 1 || !mkdtemp(workdir)) {
		fprintf(stderr, "bench: bad arguments\n");
		return 2;
	}
	b.ready_in = calloc(n_svcs, sizeof(int));
	b.ep_ready_in = calloc(n_svcs, sizeof(int));
	lat = calloc(n_flips, sizeof(double));
	patch_lat = calloc(n_flips, sizeof(double));
	snprintf(dir, sizeof(dir), "%s/api", workdir);
	snprintf(log, sizeof(log), "%s/apiserver.log", workdir);
	snprintf(ring, sizeof(ring), "%d", n_svcs * (4 + 3 * per_svc) + 10000);
	snprintf(b.url, sizeof(b.url), "http://127.0.0.1:%d", port);
	{
		char ports[16];
		char *av[] = { (char *)apiserver_bin, "--data-dir", dir, "--secure-port", ports,
			       "--watch-cache-size", ring, NULL };

		snprintf(ports, sizeof(ports), "%d", port);
		api = spawn(log, av);
	}
	if (!b.ready_in || !b.ep_ready_in || !lat || !patch_lat || kclient_new_url(b.url, "bench-endpoints", &b.c))
		goto out;
	for (i = 0; i < 200 && kclient_get(b.c, "/readyz", NULL) != 200; i++)
		usleep(50000);
	{
		json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
				       "metadata", "name", NS);
		json_t *node = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:[{s:s,s:s}]}}", "apiVersion",
					 "v1", "kind", "Node", "metadata", "name", "n-0", "labels",
					 "topology.kubernetes.io/zone", "zone-a", "status",
					 "conditions", "type", "Ready", "status", "True");

		kclient_post(b.c, "/api/v1/namespaces", ns, NULL);
		kclient_post(b.c, "/api/v1/nodes", node, NULL);
		json_decref(ns);
		json_decref(node);
	}
	printf("setting up %d Services of %d Ready pods (%d writes)...\n", n_svcs, per_svc,
	       n_svcs * (1 + 2 * per_svc));
	fflush(stdout);
	t0 = now_s();
	/* Statuses only once every pod exists. */
	parallel(&b, 0, n_svcs * (1 + per_svc));
	parallel(&b, n_svcs * (1 + per_svc), n_svcs * (1 + 2 * per_svc));
	t_setup = now_s() - t0;
	printf("setup: %.1f s (%.0f writes/s)\n", t_setup, n_svcs * (1 + 2 * per_svc) / t_setup);
	pthread_create(&w, NULL, watcher, &b);
	pthread_create(&w_ep, NULL, ep_watcher, &b);
	usleep(200000);
	{
		char *av[] = { (char *)cm_bin, "--master", b.url, "--leader-elect=false",
			       "--controllers", "endpointslice", NULL };

		snprintf(log, sizeof(log), "%s/cm.log", workdir);
		t0 = now_s();
		cm = spawn(log, av);
	}
	started = wait_started(log, t0);
	while ((b.n_converged < n_svcs || b.n_ep_converged < n_svcs) && now_s() - t0 < 600)
		usleep(20000);
	if (b.n_converged < n_svcs || b.n_ep_converged < n_svcs) {
		fprintf(stderr, "bench: only %d of %d Services converged in 600 s (see %s)\n",
			b.n_converged, n_svcs, workdir);
		goto out_watch;
	}
	printf("\ninitial convergence, from the manager's start (%d Services, %d endpoints)\n",
	       n_svcs, n_svcs * per_svc);
	printf("| informers synced | all EndpointSlices | all Endpoints |\n|---|---|---|\n");
	printf("| %.2f s | %.2f s | %.2f s |\n", started ? started - t0 : -1,
	       b.converged_at - t0, b.ep_converged_at - t0);
	fflush(stdout);
	srand(42);
	for (i = 0; i < n_flips; i++) {
		/* A pod goes unready, then the same pod comes back: every flip is a change. */
		bool ready = i & 1;
		struct timespec dl;
		double sent;

		if (!ready) {
			svc = rand() % n_svcs;
			p = rand() % per_svc;
		}
		pthread_mutex_lock(&b.mu);
		b.flip_svc = svc;
		b.flip_pod = p;
		b.flip_ready = ready;
		b.seen_at = 0;
		pthread_mutex_unlock(&b.mu);
		sent = now_s();
		if (patch_status(&b, svc, p, ready) != 200) {
			timeouts++;
			continue;
		}
		/* The apiserver's part: the PATCH round trip. */
		patch_lat[n_patch++] = (now_s() - sent) * 1000;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 2;
		pthread_mutex_lock(&b.mu);
		while (!b.seen_at && !pthread_cond_timedwait(&b.cond, &b.mu, &dl))
			;
		if (b.seen_at)
			lat[n_lat++] = (b.seen_at - sent) * 1000;
		else
			timeouts++;
		pthread_mutex_unlock(&b.mu);
	}
	qsort(lat, n_lat, sizeof(*lat), bench_cmp_double);
	printf("\nreadiness change -> EndpointSlice watch event (%d Services x %d endpoints, %d "
	       "flips, one at a time)\n", n_svcs, per_svc, n_lat);
	printf("| p50 | p90 | p99 | max | missed (>2 s) |\n|---|---|---|---|---|\n");
	if (n_lat)
		printf("| %.1f ms | %.1f ms | %.1f ms | %.1f ms | %d |\n", bench_pct(lat, n_lat, 0.5),
		       bench_pct(lat, n_lat, 0.9), bench_pct(lat, n_lat, 0.99), lat[n_lat - 1], timeouts);
	qsort(patch_lat, n_patch, sizeof(*patch_lat), bench_cmp_double);
	if (n_patch)
		printf("of which the status PATCH round trip: p50 %.1f, p90 %.1f, p99 %.1f, "
		       "max %.1f ms\n",
		       bench_pct(patch_lat, n_patch, 0.5), bench_pct(patch_lat, n_patch, 0.9),
		       bench_pct(patch_lat, n_patch, 0.99), patch_lat[n_patch - 1]);
	printf("target p99 <= 100 ms: %s\n", n_lat && bench_pct(lat, n_lat, 0.99) <= 100 && !timeouts ?
	       "met" : "NOT met");
	ret = n_lat && !timeouts ? 0 : 1;
out_watch:
	b.stop = true;
	stop(cm);
	pthread_join(w, NULL);
	pthread_join(w_ep, NULL);
out:
	b.stop = true;
	stop(api);
	kclient_free(b.c);
	free(b.ready_in);
	free(b.ep_ready_in);
	free(lat);
	free(patch_lat);
	if (!ret) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
		if (system(cmd))
			fprintf(stderr, "bench: could not remove %s\n", workdir);
	}
	return ret;
}
