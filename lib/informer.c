/* informer.c — list, watch from the list's revision, relist on 410 or error; a hash of
 * current objects; handlers told of every change, and of a periodic resync. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "informer.h"
#include "kclient.h"
#include "log.h"

struct item {
	char *key;
	json_t *obj;
	UT_hash_handle hh;
};

struct informer {
	struct kclient *c;
	char *path, *label_selector, *field_selector;
	int resync_seconds, page_size;
	struct informer_handlers h[INFORMER_MAX_HANDLERS];
	int n_h;
	pthread_t thread;
	pthread_mutex_t mu;      /* items, rv, synced */
	pthread_cond_t wake;     /* synced became true, or stop */
	struct item *items;
	char rv[32];
	bool synced;
	volatile bool stop;
	time_t last_resync;
	bool relist;             /* set by a 410 in the watch */
};

void informer_key(const json_t *obj, char *buf, size_t len)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));

	if (ns && *ns)
		snprintf(buf, len, "%s/%s", ns, name ? name : "");
	else
		snprintf(buf, len, "%s", name ? name : "");
}

static const char *rv_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

/* The collection path with the informer's selectors and extra query. */
static void build_path(struct informer *inf, char *buf, size_t len, const char *extra)
{
	char esc[1024];
	int n = snprintf(buf, len, "%s?", inf->path);

	if (inf->label_selector) {
		kquery_escape(esc, sizeof(esc), inf->label_selector);
		n += snprintf(buf + n, n < (int)len ? len - n : 0, "labelSelector=%s&", esc);
	}
	if (inf->field_selector) {
		kquery_escape(esc, sizeof(esc), inf->field_selector);
		n += snprintf(buf + n, n < (int)len ? len - n : 0, "fieldSelector=%s&", esc);
	}
	snprintf(buf + n, n < (int)len ? len - n : 0, "%s", extra);
}

static void notify_add(struct informer *inf, const json_t *obj)
{
	int i;

	for (i = 0; i < inf->n_h; i++)
		if (inf->h[i].add)
			inf->h[i].add(inf->h[i].ctx, obj);
}

static void notify_update(struct informer *inf, const json_t *old, const json_t *obj)
{
	int i;

	for (i = 0; i < inf->n_h; i++)
		if (inf->h[i].update)
			inf->h[i].update(inf->h[i].ctx, old, obj);
}

static void notify_del(struct informer *inf, const json_t *obj)
{
	int i;

	for (i = 0; i < inf->n_h; i++)
		if (inf->h[i].del)
			inf->h[i].del(inf->h[i].ctx, obj);
}

/* Put obj under key (NULL: remove) and tell the handlers. Caller does not hold mu. */
static void apply(struct informer *inf, const char *key, json_t *obj, bool deleted)
{
	struct item *it;
	json_t *old = NULL;

	pthread_mutex_lock(&inf->mu);
	HASH_FIND_STR(inf->items, key, it);
	if (deleted) {
		if (it) {
			HASH_DEL(inf->items, it);
			old = it->obj;
			free(it->key);
			free(it);
		}
	} else if (it) {
		old = it->obj;
		it->obj = json_incref(obj);
	} else {
		it = calloc(1, sizeof(*it));
		if (it) {
			it->key = strdup(key);
			it->obj = json_incref(obj);
			HASH_ADD_KEYPTR(hh, inf->items, it->key, strlen(it->key), it);
		}
	}
	pthread_mutex_unlock(&inf->mu);
	if (deleted) {
		if (old)
			notify_del(inf, obj ? obj : old);
	} else if (old) {
		notify_update(inf, old, obj);
	} else {
		notify_add(inf, obj);
	}
	json_decref(old);
}

/* List every page; replace the cache, telling handlers the difference. */
static int relist(struct informer *inf)
{
	char path[2048], extra[512], key[512], cont[1024] = "";
	struct item *fresh = NULL, *it, *tmp;
	json_t *list = NULL, *items, *obj;
	size_t i;
	long code;

	for (;;) {
		if (*cont)
			snprintf(extra, sizeof(extra), "limit=%d&continue=%s", inf->page_size, cont);
		else
			snprintf(extra, sizeof(extra), "limit=%d", inf->page_size);
		build_path(inf, path, sizeof(path), extra);
		code = kclient_get(inf->c, path, &list);
		if (code != 200) {
			char msg[256];

			pr_warn("list %s: %s\n", inf->path, kstatus_message(list, code, msg, sizeof(msg)));
			json_decref(list);
			goto fail;
		}
		items = json_object_get(list, "items");
		json_array_foreach(items, i, obj) {
			struct item *n = calloc(1, sizeof(*n));

			if (!n)
				continue;
			informer_key(obj, key, sizeof(key));
			n->key = strdup(key);
			n->obj = json_incref(obj);
			HASH_ADD_KEYPTR(hh, fresh, n->key, strlen(n->key), n);
		}
		{
			const char *c = json_string_value(json_object_get(json_object_get(list, "metadata"), "continue"));
			const char *rv = json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion"));

			if (rv && !*cont)
				snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
			if (c && *c) {
				kquery_escape(cont, sizeof(cont), c);
			} else {
				json_decref(list);
				break;
			}
		}
		json_decref(list);
	}
	/* Objects gone while we were not watching. */
	{
		struct item *gone = NULL;

		pthread_mutex_lock(&inf->mu);
		HASH_ITER(hh, inf->items, it, tmp) {
			struct item *f;

			HASH_FIND_STR(fresh, it->key, f);
			if (!f) {
				HASH_DEL(inf->items, it);
				HASH_ADD_KEYPTR(hh, gone, it->key, strlen(it->key), it);
			}
		}
		pthread_mutex_unlock(&inf->mu);
		HASH_ITER(hh, gone, it, tmp) {
			HASH_DEL(gone, it);
			notify_del(inf, it->obj);
			json_decref(it->obj);
			free(it->key);
			free(it);
		}
	}
	HASH_ITER(hh, fresh, it, tmp) {
		struct item *have;
		const char *a, *b;
		bool same;

		pthread_mutex_lock(&inf->mu);
		HASH_FIND_STR(inf->items, it->key, have);
		a = have ? rv_of(have->obj) : NULL;
		b = rv_of(it->obj);
		same = have && a && b && !strcmp(a, b);
		pthread_mutex_unlock(&inf->mu);
		if (!same)
			apply(inf, it->key, it->obj, false);
		HASH_DEL(fresh, it);
		json_decref(it->obj);
		free(it->key);
		free(it);
	}
	pthread_mutex_lock(&inf->mu);
	inf->synced = true;
	pthread_cond_broadcast(&inf->wake);
	pthread_mutex_unlock(&inf->mu);
	return 0;
fail:
	HASH_ITER(hh, fresh, it, tmp) {
		HASH_DEL(fresh, it);
		json_decref(it->obj);
		free(it->key);
		free(it);
	}
	return -EIO;
}

static void resync(struct informer *inf)
{
	json_t **objs;
	size_t n, i;

	if (inf->resync_seconds <= 0 || time(NULL) - inf->last_resync < inf->resync_seconds)
		return;
	inf->last_resync = time(NULL);
	n = informer_list(inf, &objs);
	for (i = 0; i < n; i++)
		notify_update(inf, objs[i], objs[i]);
	informer_list_free(objs, n);
}

static int on_event(void *ctx, const char *type, json_t *obj)
{
	struct informer *inf = ctx;
	char key[512];
	const char *rv = rv_of(obj);

	if (!strcmp(type, "ERROR")) {
		/* 410 Expired (or worse): the cache must be rebuilt from a list. */
		inf->relist = true;
		return 1;
	}
	if (rv)
		snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
	if (!strcmp(type, "BOOKMARK"))
		return 0;
	informer_key(obj, key, sizeof(key));
	apply(inf, key, obj, !strcmp(type, "DELETED"));
	resync(inf);
	return inf->stop;
}

/* Wait before retrying, but wake at once when told to stop. */
static void backoff_wait(struct informer *inf, int *backoff)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += *backoff;
	pthread_mutex_lock(&inf->mu);
	while (!inf->stop && pthread_cond_timedwait(&inf->wake, &inf->mu, &until) == 0)
		;
	pthread_mutex_unlock(&inf->mu);
	*backoff = *backoff < 16 ? *backoff * 2 : 30;
}

static void *run(void *arg)
{
	struct informer *inf = arg;
	int backoff = 1;

	inf->relist = true;
	inf->last_resync = time(NULL);
	while (!inf->stop) {
		char path[2048], extra[128];

		if (inf->relist) {
			if (relist(inf)) {
				backoff_wait(inf, &backoff);
				continue;
			}
			inf->relist = false;
		}
		/* Watches end every few minutes on the server's side: start again from the last
		 * revision seen; 30 s timeouts also give resync a beat when nothing happens. */
		snprintf(extra, sizeof(extra), "resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=30",
			 inf->rv);
		build_path(inf, path, sizeof(path), extra);
		if (kclient_watch(inf->c, path, on_event, inf, &inf->stop) < 0 && !inf->stop) {
			/* No connection (an apiserver restarting): watch again from the revision
			 * we have, as client-go's reflector does; only a 410 makes us relist, so a
			 * restart does not send every informer of every node to LIST at once. */
			backoff_wait(inf, &backoff);
			continue;
		}
		backoff = 1;
		resync(inf);
	}
	return NULL;
}

int informer_new(struct kclient *c, const struct informer_opts *o, struct informer **out)
{
	struct informer *inf = calloc(1, sizeof(*inf));

	if (!inf)
		return -ENOMEM;
	inf->c = c;
	inf->path = strdup(o->path);
	inf->label_selector = o->label_selector ? strdup(o->label_selector) : NULL;
	inf->field_selector = o->field_selector ? strdup(o->field_selector) : NULL;
	inf->resync_seconds = o->resync_seconds;
	inf->page_size = o->page_size > 0 ? o->page_size : 500;
	pthread_mutex_init(&inf->mu, NULL);
	pthread_cond_init(&inf->wake, NULL);
	*out = inf;
	return 0;
}

int informer_add_handlers(struct informer *inf, const struct informer_handlers *h)
{
	if (inf->thread || inf->n_h == INFORMER_MAX_HANDLERS)
		return -EBUSY;
	inf->h[inf->n_h++] = *h;
	return 0;
}

int informer_run(struct informer *inf)
{
	if (inf->thread)
		return -EBUSY;
	return pthread_create(&inf->thread, NULL, run, inf) ? -errno : 0;
}

int informer_start(struct kclient *c, const struct informer_opts *o,
		   const struct informer_handlers *h, struct informer **out)
{
	struct informer *inf;
	int err = informer_new(c, o, &inf);

	if (err)
		return err;
	if (h)
		informer_add_handlers(inf, h);
	err = informer_run(inf);
	if (err) {
		informer_stop(inf);
		return err;
	}
	*out = inf;
	return 0;
}

void informer_cancel(struct informer *inf)
{
	if (!inf)
		return;
	pthread_mutex_lock(&inf->mu);
	inf->stop = true;
	pthread_cond_broadcast(&inf->wake); /* wakes backoff_wait too */
	pthread_mutex_unlock(&inf->mu);
}

void informer_stop(struct informer *inf)
{
	struct item *it, *tmp;

	if (!inf)
		return;
	if (inf->thread) {
		informer_cancel(inf);
		pthread_join(inf->thread, NULL);
	}
	HASH_ITER(hh, inf->items, it, tmp) {
		HASH_DEL(inf->items, it);
		json_decref(it->obj);
		free(it->key);
		free(it);
	}
	free(inf->path);
	free(inf->label_selector);
	free(inf->field_selector);
	pthread_mutex_destroy(&inf->mu);
	pthread_cond_destroy(&inf->wake);
	free(inf);
}

int informer_wait_synced(struct informer *inf, int timeout_ms)
{
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&inf->mu);
	while (!inf->synced && ret == 0)
		ret = pthread_cond_timedwait(&inf->wake, &inf->mu, &deadline);
	pthread_mutex_unlock(&inf->mu);
	return inf->synced ? 0 : -ETIMEDOUT;
}

bool informer_synced(struct informer *inf)
{
	bool s;

	pthread_mutex_lock(&inf->mu);
	s = inf->synced;
	pthread_mutex_unlock(&inf->mu);
	return s;
}

json_t *informer_get(struct informer *inf, const char *key)
{
	struct item *it;
	json_t *o = NULL;

	pthread_mutex_lock(&inf->mu);
	HASH_FIND_STR(inf->items, key, it);
	if (it)
		o = json_incref(it->obj);
	pthread_mutex_unlock(&inf->mu);
	return o;
}

size_t informer_list(struct informer *inf, json_t ***out)
{
	struct item *it, *tmp;
	size_t n = 0;

	pthread_mutex_lock(&inf->mu);
	*out = malloc((HASH_COUNT(inf->items) + 1) * sizeof(json_t *));
	if (*out)
		HASH_ITER(hh, inf->items, it, tmp)
			(*out)[n++] = json_incref(it->obj);
	pthread_mutex_unlock(&inf->mu);
	return n;
}

void informer_list_free(json_t **objs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_decref(objs[i]);
	free(objs);
}
