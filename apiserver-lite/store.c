/* store.c — current objects in memory (per-resource hash tables), one writer at a time
 * through the durable backend, and a ring of recent events for watches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "store.h"

struct entry {
	struct sobj *obj;
	UT_hash_handle hh; /* by obj->key */
};

/* Objects of one resource (the key's first segment): lists walk only their own. */
struct bucket {
	char name[64];
	struct entry *entries;
	size_t count;
	UT_hash_handle hh;
};

struct store {
	pthread_mutex_t wlock;     /* one writer: backend write + publish */
	pthread_rwlock_t lock;     /* the in-memory state below */
	pthread_mutex_t ev_mu;     /* with ev_cond: event waiters */
	pthread_cond_t ev_cond;
	struct bucket *buckets;
	int64_t rev;
	struct store_event *ring;
	size_t ring_size;
	size_t ring_head;          /* where the next event goes */
	size_t ring_count;
	int64_t oldest_watchable;  /* a watch may start from here (its events are in the ring) */
	struct store_backend backend;
	struct store_hooks hooks;
	bool closing;
};

/* One store per process: sobj_put needs the hook that frees API-layer data. */
static void (*free_meta_hook)(void *meta);

void sobj_get(struct sobj *o)
{
	__atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
}

void sobj_put(struct sobj *o)
{
	if (!o || __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (o->meta && free_meta_hook)
		free_meta_hook(o->meta);
	free(o->key);
	free(o->json);
	free(o);
}

static struct sobj *sobj_new(struct store *s, const char *key, char *json, size_t len,
			     int64_t create_rev, int64_t mod_rev, void *meta)
{
	struct sobj *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->key = strdup(key);
	if (!o->key) {
		free(o);
		return NULL;
	}
	o->json = json;
	o->len = len;
	o->create_rev = create_rev;
	o->mod_rev = mod_rev;
	o->refs = 1;
	o->meta = meta;
	if (!o->meta && s->hooks.make_meta)
		o->meta = s->hooks.make_meta(key, json, len);
	return o;
}

static void bucket_name(const char *key, char *name, size_t len)
{
	size_t n = strcspn(key, "/");

	if (n >= len)
		n = len - 1;
	memcpy(name, key, n);
	name[n] = 0;
}

static struct bucket *bucket_of(struct store *s, const char *key, bool create)
{
	struct bucket *b;
	char name[64];

	bucket_name(key, name, sizeof(name));
	HASH_FIND_STR(s->buckets, name, b);
	if (!b && create) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		snprintf(b->name, sizeof(b->name), "%s", name);
		HASH_ADD_STR(s->buckets, name, b);
	}
	return b;
}

static struct entry *find(struct store *s, const char *key)
{
	struct bucket *b = bucket_of(s, key, false);
	struct entry *e = NULL;

	if (b)
		HASH_FIND_STR(b->entries, key, e);
	return e;
}

/* Replace (or insert, or with obj NULL remove) the object under key; caller holds lock
 * for writing. Returns the reference the table held on the previous object. */
static struct sobj *table_set(struct store *s, const char *key, struct sobj *obj)
{
	struct bucket *b = bucket_of(s, key, obj != NULL);
	struct entry *e = NULL;
	struct sobj *prev = NULL;

	if (!b)
		return NULL;
	HASH_FIND_STR(b->entries, key, e);
	if (e) {
		prev = e->obj;
		if (obj) {
			e->obj = obj;
		} else {
			HASH_DEL(b->entries, e);
			b->count--;
			free(e);
		}
	} else if (obj) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->obj = obj;
		HASH_ADD_KEYPTR(hh, b->entries, obj->key, strlen(obj->key), e);
		b->count++;
	}
	/* The entry's hash key points into the object: re-key it when the object changes. */
	if (e && obj && prev) {
		HASH_DEL(b->entries, e);
		HASH_ADD_KEYPTR(hh, b->entries, obj->key, strlen(obj->key), e);
	}
	return prev;
}

/* Append an event, taking over the references it carries; caller holds lock. */
static void ring_push(struct store *s, const struct store_event *ev)
{
	struct store_event *slot = &s->ring[s->ring_head];

	if (s->ring_count == s->ring_size) {
		sobj_put(slot->obj);
		sobj_put(slot->prev);
		s->oldest_watchable = slot->rev;
	} else {
		s->ring_count++;
	}
	*slot = *ev;
	s->ring_head = (s->ring_head + 1) % s->ring_size;
}

static int load_one(void *ctx, const char *key, const char *val, size_t len, int64_t create_rev,
		    int64_t mod_rev)
{
	struct store *s = ctx;
	char *json = malloc(len + 1);
	struct sobj *o;

	if (!json)
		return -ENOMEM;
	memcpy(json, val, len);
	json[len] = 0;
	o = sobj_new(s, key, json, len, create_rev, mod_rev, NULL);
	if (!o) {
		free(json);
		return -ENOMEM;
	}
	sobj_put(table_set(s, key, o));
	return 0;
}

int store_open(struct store_backend *backend, const struct store_hooks *hooks,
	       size_t ring_size, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->ring_size = ring_size ? ring_size : 1;
	s->ring = calloc(s->ring_size, sizeof(*s->ring));
	if (!s->ring) {
		free(s);
		return -ENOMEM;
	}
	s->backend = *backend;
	if (hooks)
		s->hooks = *hooks;
	free_meta_hook = s->hooks.free_meta;
	pthread_mutex_init(&s->wlock, NULL);
	pthread_rwlock_init(&s->lock, NULL);
	pthread_mutex_init(&s->ev_mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->ev_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	err = s->backend.load(s->backend.be, &s->rev, load_one, s);
	if (err) {
		store_close(s);
		return err;
	}
	s->oldest_watchable = s->rev;
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	struct bucket *b, *btmp;
	struct entry *e, *etmp;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->ring_size; i++) {
		sobj_put(s->ring[i].obj);
		sobj_put(s->ring[i].prev);
	}
	free(s->ring);
	HASH_ITER(hh, s->buckets, b, btmp) {
		HASH_ITER(hh, b->entries, e, etmp) {
			HASH_DEL(b->entries, e);
			sobj_put(e->obj);
			free(e);
		}
		HASH_DEL(s->buckets, b);
		free(b);
	}
	if (s->backend.close)
		s->backend.close(s->backend.be);
	pthread_mutex_destroy(&s->wlock);
	pthread_rwlock_destroy(&s->lock);
	pthread_mutex_destroy(&s->ev_mu);
	pthread_cond_destroy(&s->ev_cond);
	free(s);
}

int64_t store_rev(struct store *s)
{
	int64_t rev;

	pthread_rwlock_rdlock(&s->lock);
	rev = s->rev;
	pthread_rwlock_unlock(&s->lock);
	return rev;
}

struct sobj *store_get(struct store *s, const char *key)
{
	struct entry *e;
	struct sobj *o = NULL;

	pthread_rwlock_rdlock(&s->lock);
	e = find(s, key);
	if (e) {
		o = e->obj;
		sobj_get(o);
	}
	pthread_rwlock_unlock(&s->lock);
	return o;
}

static void notify(struct store *s)
{
	pthread_mutex_lock(&s->ev_mu);
	pthread_cond_broadcast(&s->ev_cond);
	pthread_mutex_unlock(&s->ev_mu);
}

/* Publish a change made durable at rev: table, revision, event. Caller holds wlock. */
static void publish(struct store *s, const char *key, struct sobj *obj, struct sobj *event_obj,
		    int64_t rev, enum store_event_type type)
{
	struct store_event ev = { .rev = rev, .type = type, .obj = event_obj };

	pthread_rwlock_wrlock(&s->lock);
	ev.prev = table_set(s, key, obj); /* the table's reference moves to the event */
	s->rev = rev;
	ring_push(s, &ev);
	pthread_rwlock_unlock(&s->lock);
	notify(s);
}

int store_write(struct store *s, const char *key, int64_t expect, store_build_fn build,
		void *ctx, struct sobj **out)
{
	struct sobj *cur = NULL, *o;
	struct entry *e;
	int64_t rev, create_rev;
	void *meta = NULL;
	char *json;
	size_t len;
	int err = 0;

	pthread_mutex_lock(&s->wlock);
	/* Only writers change the table and they hold wlock: reading it here is safe. */
	e = find(s, key);
	cur = e ? e->obj : NULL;
	if (expect == 0 && cur) {
		err = -EEXIST;
		goto out;
	}
	if (expect > 0 && !cur) {
		err = -ENOENT;
		goto out;
	}
	if (expect > 0 && cur->mod_rev != expect) {
		err = -ESTALE;
		goto out;
	}
	rev = s->rev + 1;
	json = build(ctx, cur, rev, &err, &meta);
	if (!json) {
		if (meta && s->hooks.free_meta)
			s->hooks.free_meta(meta);
		if (!err)
			err = -EINVAL;
		goto out;
	}
	len = strlen(json);
	create_rev = cur ? cur->create_rev : rev;
	err = s->backend.put(s->backend.be, rev, key, json, len, create_rev,
			     cur ? cur->mod_rev : 0);
	if (err) {
		free(json);
		if (meta && s->hooks.free_meta)
			s->hooks.free_meta(meta);
		goto out;
	}
	o = sobj_new(s, key, json, len, create_rev, rev, meta);
	if (!o) {
		/* Durable but not published: the next start loads it. Fail loudly. */
		free(json);
		err = -ENOMEM;
		goto out;
	}
	sobj_get(o); /* the event's reference */
	if (out) {
		sobj_get(o);
		*out = o;
	}
	publish(s, key, o, o, rev, cur ? EV_MODIFIED : EV_ADDED);
out:
	pthread_mutex_unlock(&s->wlock);
	return err;
}

int store_delete(struct store *s, const char *key, int64_t expect, store_build_fn tomb_build,
		 void *ctx, struct sobj **out)
{
	struct sobj *cur, *tomb;
	struct entry *e;
	int64_t rev;
	char *json;
	int err;

	pthread_mutex_lock(&s->wlock);
	e = find(s, key);
	cur = e ? e->obj : NULL;
	if (!cur) {
		err = -ENOENT;
		goto out;
	}
	if (expect != STORE_ANY && cur->mod_rev != expect) {
		err = -ESTALE;
		goto out;
	}
	rev = s->rev + 1;
	if (tomb_build) {
		void *meta = NULL;

		json = tomb_build(ctx, cur, rev, &err, &meta);
		if (meta && s->hooks.free_meta)
			s->hooks.free_meta(meta);
		if (!json)
			goto out;
	} else {
		json = strdup(cur->json);
		if (!json) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = s->backend.put(s->backend.be, rev, key, NULL, 0, cur->create_rev, cur->mod_rev);
	if (err) {
		free(json);
		goto out;
	}
	/* The DELETED event carries the last state under the deletion's revision. */
	tomb = sobj_new(s, key, json, strlen(json), cur->create_rev, rev, NULL);
	if (!tomb) {
		free(json);
		err = -ENOMEM;
		goto out;
	}
	if (out) {
		sobj_get(tomb);
		*out = tomb;
	}
	publish(s, key, NULL, tomb, rev, EV_DELETED);
out:
	pthread_mutex_unlock(&s->wlock);
	return err;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(struct sobj *const *)a)->key, (*(struct sobj *const *)b)->key);
}

int store_list(struct store *s, const char *prefix, const char *after, struct sobj ***objs,
	       size_t *n, int64_t *rev)
{
	size_t plen = strlen(prefix), cap, count = 0;
	struct bucket *b;
	struct entry *e, *etmp;
	struct sobj **v;

	pthread_rwlock_rdlock(&s->lock);
	b = bucket_of(s, prefix, false);
	cap = b ? b->count : 0;
	v = malloc((cap ? cap : 1) * sizeof(*v));
	if (!v) {
		pthread_rwlock_unlock(&s->lock);
		return -ENOMEM;
	}
	if (b)
		HASH_ITER(hh, b->entries, e, etmp) {
			if (strncmp(e->obj->key, prefix, plen))
				continue;
			if (after && strcmp(e->obj->key, after) <= 0)
				continue;
			sobj_get(e->obj);
			v[count++] = e->obj;
		}
	*rev = s->rev;
	pthread_rwlock_unlock(&s->lock);
	qsort(v, count, sizeof(*v), cmp_key);
	*objs = v;
	*n = count;
	return 0;
}

/* Restore the max-heap (by key) below i. */
static void heap_down(struct sobj **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		struct sobj *t;

		if (l < n && strcmp(h[l]->key, h[top]->key) > 0)
			top = l;
		if (r < n && strcmp(h[r]->key, h[top]->key) > 0)
			top = r;
		if (top == i)
			return;
		t = h[i];
		h[i] = h[top];
		h[top] = t;
		i = top;
	}
}

static void heap_up(struct sobj **h, size_t i)
{
	while (i && strcmp(h[(i - 1) / 2]->key, h[i]->key) < 0) {
		struct sobj *t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

int store_list_page(struct store *s, const char *prefix, const char *after, size_t max,
		    bool (*keep)(const struct sobj *o, void *ctx), void *ctx,
		    struct sobj ***objs, size_t *n, bool *more, int64_t *rev)
{
	size_t plen = strlen(prefix), count = 0, i;
	struct bucket *b;
	struct entry *e, *etmp;
	/* The max + 1 smallest keys seen: one more than the page tells whether more remain. */
	struct sobj **h = malloc((max + 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	pthread_rwlock_rdlock(&s->lock);
	b = bucket_of(s, prefix, false);
	if (b)
		HASH_ITER(hh, b->entries, e, etmp) {
			if (strncmp(e->obj->key, prefix, plen) ||
			    (after && strcmp(e->obj->key, after) <= 0))
				continue;
			if (count == max + 1 && strcmp(e->obj->key, h[0]->key) >= 0)
				continue;
			if (keep && !keep(e->obj, ctx))
				continue;
			if (count < max + 1) {
				h[count] = e->obj;
				heap_up(h, count++);
			} else {
				h[0] = e->obj;
				heap_down(h, count, 0);
			}
		}
	for (i = 0; i < count; i++)
		sobj_get(h[i]);
	*rev = s->rev;
	pthread_rwlock_unlock(&s->lock);
	qsort(h, count, sizeof(*h), cmp_key);
	*more = count > max;
	if (*more)
		sobj_put(h[--count]);
	*objs = h;
	*n = count;
	return 0;
}

void store_list_free(struct sobj **objs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sobj_put(objs[i]);
	free(objs);
}

size_t store_count(struct store *s, const char *prefix)
{
	size_t plen = strlen(prefix), count = 0;
	struct bucket *b;
	struct entry *e, *etmp;

	pthread_rwlock_rdlock(&s->lock);
	b = bucket_of(s, prefix, false);
	if (b && plen == strcspn(prefix, "/") + 1)
		count = b->count; /* the whole resource */
	else if (b)
		HASH_ITER(hh, b->entries, e, etmp)
			count += !strncmp(e->obj->key, prefix, plen);
	pthread_rwlock_unlock(&s->lock);
	return count;
}

/* Copy events with rev > from under prefix; caller holds lock (read). */
static int copy_events(struct store *s, int64_t from, const char *prefix,
		       struct store_event *out, int max)
{
	size_t plen = strlen(prefix), i, start;
	int64_t newest = s->rev;
	int n = 0;

	if (from >= newest || !s->ring_count)
		return 0;
	/* Ring revisions are contiguous: the event of rev r sits (newest - r) behind head. */
	start = (newest - from) > (int64_t)s->ring_count ? s->ring_count : (size_t)(newest - from);
	for (i = start; i > 0 && n < max; i--) {
		struct store_event *ev =
			&s->ring[(s->ring_head + s->ring_size - i) % s->ring_size];

		if (ev->rev <= from || strncmp(ev->obj->key, prefix, plen))
			continue;
		out[n] = *ev;
		sobj_get(ev->obj);
		if (ev->prev)
			sobj_get(ev->prev);
		n++;
	}
	return n;
}

static bool past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

int store_events(struct store *s, int64_t from, const char *prefix, struct store_event *out,
		 int max, int timeout_ms)
{
	struct timespec deadline;
	int64_t seen;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		pthread_rwlock_rdlock(&s->lock);
		if (from < s->oldest_watchable) {
			pthread_rwlock_unlock(&s->lock);
			return -ERANGE;
		}
		n = copy_events(s, from, prefix, out, max);
		seen = s->rev;
		if (!n)
			from = seen; /* newer events, none under prefix: skip them */
		pthread_rwlock_unlock(&s->lock);
		if (n || timeout_ms <= 0 || past(&deadline))
			return n;
		/* Sleep until a write (notify holds ev_mu, so none is missed) or the deadline. */
		pthread_mutex_lock(&s->ev_mu);
		while (store_rev(s) == seen && !s->closing)
			if (pthread_cond_timedwait(&s->ev_cond, &s->ev_mu, &deadline) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&s->ev_mu);
		if (s->closing)
			return 0;
	}
}

void store_events_release(struct store_event *ev, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		sobj_put(ev[i].obj);
		sobj_put(ev[i].prev);
	}
}

int64_t store_oldest_watchable(struct store *s)
{
	int64_t r;

	pthread_rwlock_rdlock(&s->lock);
	r = s->oldest_watchable;
	pthread_rwlock_unlock(&s->lock);
	return r;
}

int store_compact(struct store *s, int64_t keep)
{
	int64_t rev = store_rev(s) - keep;
	int err = 0;

	if (rev <= 0 || !s->backend.compact)
		return 0;
	pthread_mutex_lock(&s->wlock);
	err = s->backend.compact(s->backend.be, rev);
	pthread_mutex_unlock(&s->wlock);
	return err;
}

int64_t store_size_bytes(struct store *s)
{
	return s->backend.size_bytes ? s->backend.size_bytes(s->backend.be) : 0;
}

void store_wake(struct store *s)
{
	pthread_mutex_lock(&s->ev_mu);
	s->closing = true;
	pthread_cond_broadcast(&s->ev_cond);
	pthread_mutex_unlock(&s->ev_mu);
}
