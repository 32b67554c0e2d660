/* cm.c — the controller manager's shared helpers: informers by path, worker pools,
 * owner references, pod conditions, times. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cm.h"
#include "log.h"
#include "util.h"

struct informer *cm_informer(struct cm *cm, const char *path)
{
	struct informer_opts o = { .path = path };
	struct informer *inf = NULL;
	int i;

	pthread_mutex_lock(&cm->mu);
	for (i = 0; i < cm->n_informers; i++)
		if (!strcmp(cm->informers[i].path, path)) {
			inf = cm->informers[i].inf;
			goto out;
		}
	if (cm->running || cm->n_informers == CM_MAX_INFORMERS) {
		pr_warn("no informer for %s: %s\n", path,
			cm->running ? "informers are already running" : "too many");
		goto out;
	}
	if (informer_new(cm->c, &o, &inf)) {
		inf = NULL;
		goto out;
	}
	cm->informers[cm->n_informers].path = strdup(path);
	cm->informers[cm->n_informers++].inf = inf;
out:
	pthread_mutex_unlock(&cm->mu);
	return inf;
}

struct worker {
	struct cm *cm;
	struct workqueue *q;
	int (*sync)(struct cm *cm, const char *key);
	const char *what;
};

static void *worker_loop(void *arg)
{
	struct worker *w = arg;
	char *key;

	while ((key = wq_get(w->q, -1))) {
		int err = w->sync(w->cm, key);

		if (!err) {
			wq_forget(w->q, key);
		} else if (!w->cm->stop) {
			pr_info("%s %s: %s; will retry\n", w->what, key, strerror(err < 0 ? -err : err));
			wq_add_rate_limited(w->q, key);
		}
		wq_done(w->q, key);
		free(key);
	}
	free(w);
	return NULL;
}

static int add_thread(struct cm *cm, void *(*fn)(void *), void *arg)
{
	int err = 0;

	pthread_mutex_lock(&cm->mu);
	if (cm->n_threads == CM_MAX_WORKERS)
		err = -ENOSPC;
	else if (pthread_create(&cm->threads[cm->n_threads], NULL, fn, arg))
		err = -errno;
	else
		cm->n_threads++;
	pthread_mutex_unlock(&cm->mu);
	return err;
}

int cm_run_workers(struct cm *cm, struct workqueue *q, int n,
		   int (*sync)(struct cm *cm, const char *key), const char *what)
{
	int i, err;

	pthread_mutex_lock(&cm->mu);
	if (cm->n_queues < CM_MAX_WORKERS)
		cm->queues[cm->n_queues++] = q;
	pthread_mutex_unlock(&cm->mu);
	for (i = 0; i < n; i++) {
		struct worker *w = calloc(1, sizeof(*w));

		if (!w)
			return -ENOMEM;
		*w = (struct worker){ cm, q, sync, what };
		err = add_thread(cm, worker_loop, w);
		if (err) {
			free(w);
			return err;
		}
	}
	return 0;
}

int cm_run_thread(struct cm *cm, void *(*fn)(void *), void *arg)
{
	return add_thread(cm, fn, arg);
}

bool cm_sleep(struct cm *cm, int ms)
{
	/* In 50 ms steps: a stop is noticed quickly without a condition variable per caller. */
	while (ms > 0 && !cm->stop) {
		int step = ms < 50 ? ms : 50;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !cm->stop;
}

const char *cm_str(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

void cm_key(const json_t *obj, char *buf, size_t len)
{
	informer_key(obj, buf, len);
}

void cm_split_key(const char *key, char *ns, size_t ns_len, char *name, size_t name_len)
{
	const char *slash = strchr(key, '/');

	if (!slash) {
		snprintf(ns, ns_len, "%s", "");
		snprintf(name, name_len, "%s", key);
		return;
	}
	snprintf(ns, ns_len, "%.*s", (int)(slash - key), key);
	snprintf(name, name_len, "%s", slash + 1);
}

const json_t *cm_controller_ref(const json_t *obj)
{
	const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
	const json_t *r;
	size_t i;

	json_array_foreach(refs, i, r)
		if (json_is_true(json_object_get(r, "controller")))
			return r;
	return NULL;
}

bool cm_pod_ready(const json_t *pod)
{
	return status_condition_true(json_object_get(pod, "status"), "Ready");
}

bool cm_pod_terminal(const json_t *pod)
{
	const char *phase = cm_str(pod, "status", "phase");

	return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

bool cm_being_deleted(const json_t *obj)
{
	const json_t *ts = json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp");

	return ts && !json_is_null(ts);
}

void cm_now(char *buf, size_t len)
{
	cm_format_time(cm_time_now(), buf, len, false);
}

double cm_time_now(void)
{
	return wall_now();
}

double cm_time(const char *rfc3339)
{
	struct tm tm = { 0 };
	const char *rest;
	double frac = 0;

	if (!rfc3339 || !(rest = strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)))
		return NAN;
	if (*rest == '.')
		frac = strtod(rest, NULL);
	return (double)timegm(&tm) + frac;
}

void cm_format_time(double t, char *buf, size_t len, bool micro)
{
	rfc3339_format(t, buf, len, micro);
}

double cm_age(const char *rfc3339)
{
	return cm_time_now() - cm_time(rfc3339);
}
