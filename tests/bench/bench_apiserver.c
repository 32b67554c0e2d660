/* bench_apiserver.c — `make bench-apiserver`: creates per second with 1 and 32 clients,
 * LIST of 10k and 100k pods, watch event latency with 100 watchers, and resident memory
 * with 100k pods, against a kbpf-apiserver this program starts on a fresh store. HTTP
 * through libcurl with kept-alive connections, as client libraries do. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "benchproc.h"

#define NAMESPACE "bench"

static char base[128];
static int quick;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct buf {
	char *p;
	size_t n, cap;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t len = size * nmemb;

	if (b->n + len + 1 > b->cap) {
		size_t cap = (b->n + len + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = 0;
	return len;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * nmemb;
}

/* One request on a kept-alive handle; returns the HTTP code. */
static long request(CURL *c, const char *method, const char *path, const char *body,
		    struct buf *out)
{
	char url[512];
	long code = 0;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (!body)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, out ? collect : discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	return code;
}

/* A pod as kubectl run would make it, with a few labels and annotations. */
static void pod_json(char *buf, size_t len, const char *name, const char *tier,
		     long long sent_ns)
{
	snprintf(buf, len,
		 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
		 "\"labels\":{\"app\":\"bench\",\"tier\":\"%s\",\"run\":\"%s\"},"
		 "\"annotations\":{\"bench/sent-ns\":\"%lld\"}},"
		 "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"registry.example/app:1.2.3\","
		 "\"ports\":[{\"containerPort\":8080,\"name\":\"http\"}],"
		 "\"env\":[{\"name\":\"MODE\",\"value\":\"production\"},{\"name\":\"LEVEL\",\"value\":\"info\"}],"
		 "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"},\"limits\":{\"cpu\":\"500m\",\"memory\":\"256Mi\"}},"
		 "\"readinessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080},\"periodSeconds\":5}}]}}",
		 name, tier, name, sent_ns);
}

struct creator {
	int id, count, offset;
	int failures;
	const char *prefix;
};

static void *create_worker(void *arg)
{
	struct creator *cr = arg;
	CURL *c = curl_easy_init();
	char body[2048], name[64];
	int i;

	for (i = 0; i < cr->count; i++) {
		snprintf(name, sizeof(name), "%s-%d-%d", cr->prefix, cr->id, cr->offset + i);
		pod_json(body, sizeof(body), name, "web", now_ns());
		if (request(c, "POST", "/api/v1/namespaces/" NAMESPACE "/pods", body, NULL) != 201)
			cr->failures++;
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* Create total pods with n clients; returns creates per second. */
static double creates(int clients, int total, const char *prefix, int *failures)
{
	pthread_t th[64];
	struct creator cr[64];
	double t0 = now_s();
	int i;

	*failures = 0;
	for (i = 0; i < clients; i++) {
		cr[i] = (struct creator){ .id = i, .count = total / clients, .prefix = prefix };
		pthread_create(&th[i], NULL, create_worker, &cr[i]);
	}
	for (i = 0; i < clients; i++) {
		pthread_join(th[i], NULL);
		*failures += cr[i].failures;
	}
	return (total / clients) * clients / (now_s() - t0);
}

/* LIST of every pod, best of three; returns seconds and the item count seen. */
static double list_all(long *bytes)
{
	CURL *c = curl_easy_init();
	struct buf b = { 0 };
	double best = 1e9;
	int i;

	for (i = 0; i < 3; i++) {
		double t0 = now_s(), t;

		b.n = 0;
		if (request(c, "GET", "/api/v1/pods", NULL, &b) != 200)
			fprintf(stderr, "bench: LIST failed\n");
		t = now_s() - t0;
		if (t < best)
			best = t;
	}
	*bytes = b.n;
	free(b.p);
	curl_easy_cleanup(c);
	return best;
}

/* --- watch latency --- */

#define WATCHERS 100
#define LAT_MAX 100000

static double lat_ms[LAT_MAX];
static int n_lat;
static pthread_mutex_t lat_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int watchers_ready;

struct watcher {
	CURL *c;
	char line[8192];
	size_t len;
};

static size_t on_watch_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct watcher *w = ctx;
	size_t n = size * nmemb, i;

	for (i = 0; i < n; i++) {
		char *p;

		if (data[i] != '\n') {
			if (w->len < sizeof(w->line) - 1)
				w->line[w->len++] = data[i];
			continue;
		}
		w->line[w->len] = 0;
		w->len = 0;
		if (strncmp(w->line, "{\"type\":\"ADDED\"", 15))
			continue;
		p = strstr(w->line, "\"bench/sent-ns\":\"");
		if (!p)
			continue;
		{
			double ms = (now_ns() - atoll(p + 17)) / 1e6;

			pthread_mutex_lock(&lat_mu);
			if (n_lat < LAT_MAX)
				lat_ms[n_lat++] = ms;
			pthread_mutex_unlock(&lat_mu);
		}
	}
	return n;
}

static void *watch_worker(void *arg)
{
	struct watcher w = { 0 };
	char url[512];
	long rv = (long)arg;

	w.c = curl_easy_init();
	snprintf(url, sizeof(url),
		 "%s/api/v1/namespaces/" NAMESPACE "/pods?watch=true&labelSelector=tier%%3Dwatched&resourceVersion=%ld&timeoutSeconds=30",
		 base, rv);
	curl_easy_setopt(w.c, CURLOPT_URL, url);
	curl_easy_setopt(w.c, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(w.c, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(w.c, CURLOPT_TIMEOUT, 40L);
	__sync_add_and_fetch(&watchers_ready, 1);
	curl_easy_perform(w.c);
	curl_easy_cleanup(w.c);
	return NULL;
}

static long current_rv(void)
{
	CURL *c = curl_easy_init();
	struct buf b = { 0 };
	long rv = 0;
	char *p;

	request(c, "GET", "/api/v1/namespaces/" NAMESPACE "/configmaps?limit=1", NULL, &b);
	p = b.p ? strstr(b.p, "\"resourceVersion\":\"") : NULL;
	if (p)
		rv = atol(p + 19);
	free(b.p);
	curl_easy_cleanup(c);
	return rv;
}

static void watch_latency(int events, double *p50, double *p99)
{
	pthread_t th[WATCHERS];
	CURL *c = curl_easy_init();
	long rv = current_rv();
	char body[2048], name[64];
	int i;

	for (i = 0; i < WATCHERS; i++)
		pthread_create(&th[i], NULL, watch_worker, (void *)rv);
	while (watchers_ready < WATCHERS)
		usleep(1000);
	usleep(500000); /* let every watch reach the server */
	for (i = 0; i < events; i++) {
		snprintf(name, sizeof(name), "watched-%d", i);
		/* The watchers select these by label. */
		pod_json(body, sizeof(body), name, "watched", now_ns());
		request(c, "POST", "/api/v1/namespaces/" NAMESPACE "/pods", body, NULL);
		usleep(2000); /* 500 events/s, the rate a busy cluster's pods change */
	}
	sleep(1);
	curl_easy_cleanup(c);
	qsort(lat_ms, n_lat, sizeof(double), bench_cmp_double);
	*p50 = n_lat ? lat_ms[n_lat / 2] : -1;
	*p99 = n_lat ? lat_ms[(n_lat * 99) / 100] : -1;
	fprintf(stderr, "bench: %d watch events received (%d expected)\n", n_lat, events * WATCHERS);
	for (i = 0; i < WATCHERS; i++)
		pthread_cancel(th[i]);
	for (i = 0; i < WATCHERS; i++)
		pthread_join(th[i], NULL);
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	const char *server = argc > 1 ? argv[1] : "build/bin/kbpf-apiserver";
	char dir[] = "/tmp/kbpft-bench-api.XXXXXX", port[16];
	int total1, total32, f1, f32, i, big;
	double c1, c32, list10k = 0, list100k = 0, p50, p99;
	long bytes10k = 0, bytes100k = 0, rss = 0;
	pid_t pid;
	CURL *c;

	quick = getenv("BENCH_QUICK") != NULL;
	if (!mkdtemp(dir))
		return 1;
	snprintf(port, sizeof(port), "%d", 23000 + getpid() % 5000);
	snprintf(base, sizeof(base), "http://127.0.0.1:%s", port);
	pid = fork();
	if (pid == 0) {
		execl(server, server, "--data-dir", dir, "--secure-port", port, (char *)NULL);
		_exit(127);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	for (i = 0; i < 200 && request(c, "GET", "/readyz", NULL, NULL) != 200; i++)
		usleep(50000);
	request(c, "POST", "/api/v1/namespaces",
		"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" NAMESPACE "\"}}",
		NULL);
	curl_easy_cleanup(c);

	/* 1 client, then 32 clients up to 10k pods (listed), then to 100k (listed). */
	total1 = quick ? 1000 : 2000;
	total32 = quick ? 4000 : 8000;
	big = quick ? 10000 : 100000;
	fprintf(stderr, "bench: creates with 1 client...\n");
	c1 = creates(1, total1, "one", &f1);
	fprintf(stderr, "bench: creates with 32 clients...\n");
	c32 = creates(32, total32, "many", &f32);
	list10k = list_all(&bytes10k);
	fprintf(stderr, "bench: filling to %d pods...\n", big);
	{
		int f;

		creates(32, big - total1 - total32, "fill", &f);
	}
	list100k = list_all(&bytes100k);
	rss = rss_kb(pid);
	fprintf(stderr, "bench: watch latency with %d watchers...\n", WATCHERS);
	watch_latency(quick ? 100 : 300, &p50, &p99);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "bench: could not remove %s\n", dir);
	}

	printf("\n| measure | result | target |\n|---|---:|---:|\n");
	printf("| creates/s, 1 client (%d pods) | %.0f%s | |\n", total1, c1, f1 ? " (FAILURES)" : "");
	printf("| creates/s, 32 clients (%d pods) | %.0f%s | >= 5000 |\n", total32, c32,
	       f32 ? " (FAILURES)" : "");
	printf("| LIST of %dk pods | %.0f ms (%.1f MB) | |\n", (total1 + total32) / 1000,
	       list10k * 1000, bytes10k / 1e6);
	printf("| LIST of %dk pods | %.0f ms (%.1f MB) | <= 1000 ms (100k) |\n", big / 1000,
	       list100k * 1000, bytes100k / 1e6);
	printf("| watch event latency, %d watchers, p50 / p99 | %.2f / %.2f ms | p99 <= 10 ms |\n",
	       WATCHERS, p50, p99);
	printf("| resident memory with %dk pods | %.0f MB | |\n", big / 1000, rss / 1024.0);
	return 0;
}
