/* workqueue.c — de-duplicating FIFO of keys with processing/dirty sets and delayed adds. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>
#include <utlist.h>

#include "workqueue.h"

struct key_state {
	char *key;
	bool queued;     /* in the FIFO */
	bool processing; /* handed to a worker */
	bool dirty;      /* added while processing: queue again on done */
	int failures;
	UT_hash_handle hh;
};

struct fifo_item {
	struct key_state *ks;
	struct fifo_item *next, *prev;
};

struct delayed {
	char *key;
	struct timespec when;
	struct delayed *next;
};

struct workqueue {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct key_state *keys;
	struct fifo_item *fifo;
	size_t len;
	struct delayed *later; /* sorted by when */
	bool shutdown;
};

static struct key_state *state(struct workqueue *q, const char *key)
{
	struct key_state *ks;

	HASH_FIND_STR(q->keys, key, ks);
	if (!ks) {
		ks = calloc(1, sizeof(*ks));
		if (!ks)
			return NULL;
		ks->key = strdup(key);
		HASH_ADD_KEYPTR(hh, q->keys, ks->key, strlen(ks->key), ks);
	}
	return ks;
}

/* Forget a key nobody needs any more (not queued, not processing, no failures). */
static void maybe_drop(struct workqueue *q, struct key_state *ks)
{
	if (ks->queued || ks->processing || ks->dirty || ks->failures)
		return;
	HASH_DEL(q->keys, ks);
	free(ks->key);
	free(ks);
}

static void enqueue(struct workqueue *q, const char *key)
{
	struct key_state *ks = state(q, key);
	struct fifo_item *it;

	if (!ks || ks->queued)
		return;
	if (ks->processing) {
		ks->dirty = true;
		return;
	}
	it = calloc(1, sizeof(*it));
	if (!it)
		return;
	it->ks = ks;
	ks->queued = true;
	DL_APPEND(q->fifo, it);
	q->len++;
	pthread_cond_signal(&q->cond);
}

struct workqueue *wq_new(void)
{
	struct workqueue *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;

	if (!q)
		return NULL;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void wq_shutdown(struct workqueue *q)
{
	pthread_mutex_lock(&q->mu);
	q->shutdown = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

void wq_free(struct workqueue *q)
{
	struct key_state *ks, *kt;
	struct fifo_item *it, *itt;
	struct delayed *d, *dn;

	if (!q)
		return;
	DL_FOREACH_SAFE(q->fifo, it, itt)
		free(it);
	HASH_ITER(hh, q->keys, ks, kt) {
		HASH_DEL(q->keys, ks);
		free(ks->key);
		free(ks);
	}
	for (d = q->later; d; d = dn) {
		dn = d->next;
		free(d->key);
		free(d);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cond);
	free(q);
}

void wq_add(struct workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	if (!q->shutdown)
		enqueue(q, key);
	pthread_mutex_unlock(&q->mu);
}

static void ts_add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void wq_add_after(struct workqueue *q, const char *key, int delay_ms)
{
	struct delayed *d, **at;

	if (delay_ms <= 0) {
		wq_add(q, key);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return;
	d->key = strdup(key);
	clock_gettime(CLOCK_MONOTONIC, &d->when);
	ts_add_ms(&d->when, delay_ms);
	pthread_mutex_lock(&q->mu);
	for (at = &q->later; *at && !ts_before(&d->when, &(*at)->when); at = &(*at)->next)
		;
	d->next = *at;
	*at = d;
	pthread_cond_broadcast(&q->cond); /* a waiter may need to wake earlier */
	pthread_mutex_unlock(&q->mu);
}

void wq_add_rate_limited(struct workqueue *q, const char *key)
{
	struct key_state *ks;
	long delay = 5;
	int i, failures;

	pthread_mutex_lock(&q->mu);
	ks = state(q, key);
	failures = ks ? ks->failures++ : 0;
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < failures && delay < 60000; i++)
		delay *= 2;
	wq_add_after(q, key, delay > 60000 ? 60000 : (int)delay);
}

void wq_forget(struct workqueue *q, const char *key)
{
	struct key_state *ks;

	pthread_mutex_lock(&q->mu);
	HASH_FIND_STR(q->keys, key, ks);
	if (ks) {
		ks->failures = 0;
		maybe_drop(q, ks);
	}
	pthread_mutex_unlock(&q->mu);
}

/* Move due delayed keys into the FIFO; caller holds mu. */
static void promote(struct workqueue *q)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	while (q->later && !ts_before(&now, &q->later->when)) {
		struct delayed *d = q->later;

		q->later = d->next;
		enqueue(q, d->key);
		free(d->key);
		free(d);
	}
}

char *wq_get(struct workqueue *q, int timeout_ms)
{
	struct timespec deadline;
	struct fifo_item *it;
	char *key = NULL;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms >= 0)
		ts_add_ms(&deadline, timeout_ms);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		promote(q);
		if (q->fifo || q->shutdown)
			break;
		{
			struct timespec until = deadline;

			/* Wake for the next delayed key, the deadline, or an add. */
			if (q->later && (timeout_ms < 0 || ts_before(&q->later->when, &until)))
				until = q->later->when;
			if (timeout_ms < 0 && !q->later) {
				pthread_cond_wait(&q->cond, &q->mu);
				continue;
			}
			if (pthread_cond_timedwait(&q->cond, &q->mu, &until) == ETIMEDOUT &&
			    timeout_ms >= 0 && !q->later) {
				struct timespec now;

				clock_gettime(CLOCK_MONOTONIC, &now);
				if (!ts_before(&now, &deadline))
					break;
			}
			if (timeout_ms >= 0) {
				struct timespec now;

				clock_gettime(CLOCK_MONOTONIC, &now);
				promote(q);
				if (!q->fifo && !ts_before(&now, &deadline))
					break;
			}
		}
	}
	if (q->fifo && !q->shutdown) {
		it = q->fifo;
		DL_DELETE(q->fifo, it);
		q->len--;
		it->ks->queued = false;
		it->ks->processing = true;
		key = strdup(it->ks->key);
		free(it);
	}
	pthread_mutex_unlock(&q->mu);
	return key;
}

void wq_done(struct workqueue *q, const char *key)
{
	struct key_state *ks;

	pthread_mutex_lock(&q->mu);
	HASH_FIND_STR(q->keys, key, ks);
	if (ks) {
		ks->processing = false;
		if (ks->dirty) {
			ks->dirty = false;
			enqueue(q, key);
		} else {
			maybe_drop(q, ks);
		}
	}
	pthread_mutex_unlock(&q->mu);
}

size_t wq_len(struct workqueue *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}
