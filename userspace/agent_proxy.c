/* agent_proxy.c — Services and EndpointSlices from the apiserver into the data plane.
 *
 * The informers' handlers only file objects under their Service ("namespace/name") and
 * mark that Service dirty; the agent's loop calls proxy_sync soon after, which computes
 * the desired state with lb_desired_from_json — of every object (full) or of each dirty
 * Service's own objects — and applies it with lb_dp_sync or lb_dp_sync_scope. A scoped
 * sync costs what the changed Service has, not what the cluster has.
 *
 * What a scoped sync cannot see is two Services claiming one frontend (the same
 * externalIP and port, say): lb_desired_from_json gives it to the first by name. Every
 * frontend's holder is remembered; a Service that claims one held by another, and every
 * sync while such a contest stands, goes through the full path. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "agent_proxy.h"
#include "informer.h"
#include "log.h"
#include "util.h"

#define SERVICE_NAME_LABEL "kubernetes.io/service-name"
/* Above this many dirty Services (and half of them all), one full sync is cheaper. */
#define FULL_SYNC_DIRTY_MIN 256

struct slice_ent {
	char *key;
	json_t *obj;
	UT_hash_handle hh;
};

/* One Service's objects. Created and changed by the handlers under mu; freed only by the
 * loop's thread, which may therefore hold a pointer across unlocked work. */
struct svc_ent {
	char key[LB4_NAME_LEN];
	json_t *svc;
	struct slice_ent *slices;
	double dirty_since; /* 0: synced */
	struct lb4_key *fe; /* frontends it held after its last sync (loop thread only) */
	size_t n_fe;
	struct svc_ent *next; /* in a sync's batch */
	UT_hash_handle hh;
};

/* Who holds a frontend (loop thread only). */
struct claim {
	struct lb4_key key;
	char owner[LB4_NAME_LEN];
	UT_hash_handle hh;
};

struct proxy {
	pthread_mutex_t mu;
	struct svc_ent *svcs;
	size_t n_svcs, n_dirty;
	double first_ev, last_ev;
	bool need_full;
	int wake_fd;
	struct informer *svc_inf, *eps_inf;
	struct claim *claims;
	bool contested;
};

static void wake(struct proxy *p)
{
	uint64_t one = 1;

	if (write(p->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("waking the agent's loop: %s\n", strerror(errno));
}

static struct svc_ent *ent_get(struct proxy *p, const char *key)
{
	struct svc_ent *e;

	HASH_FIND_STR(p->svcs, key, e);
	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	HASH_ADD_STR(p->svcs, key, e);
	p->n_svcs++;
	return e;
}

static void mark_dirty(struct proxy *p, struct svc_ent *e)
{
	double now = mono_now();

	if (!e->dirty_since) {
		e->dirty_since = now;
		p->n_dirty++;
	}
	if (!p->first_ev)
		p->first_ev = now;
	p->last_ev = now;
}

/* --- Services --- */

static void svc_set(struct proxy *p, const json_t *obj, bool present)
{
	char key[LB4_NAME_LEN];
	struct svc_ent *e;

	informer_key(obj, key, sizeof(key));
	pthread_mutex_lock(&p->mu);
	e = ent_get(p, key);
	if (e) {
		json_decref(e->svc);
		e->svc = present ? json_incref((json_t *)obj) : NULL;
		mark_dirty(p, e);
	} else {
		p->need_full = true; /* out of memory: the next full sync catches up */
	}
	pthread_mutex_unlock(&p->mu);
	wake(p);
}

static void svc_add(void *ctx, const json_t *obj)
{
	svc_set(ctx, obj, true);
}

static void svc_update(void *ctx, const json_t *old, const json_t *obj)
{
	/* Metadata-only changes (annotations, managed fields) mean nothing to the data plane. */
	if (json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")) &&
	    json_equal(json_object_get(old, "status") ?: json_null(),
		       json_object_get(obj, "status") ?: json_null()))
		return;
	svc_set(ctx, obj, true);
}

static void svc_del(void *ctx, const json_t *obj)
{
	svc_set(ctx, obj, false);
}

/* --- EndpointSlices, filed under the Service their label names --- */

static bool slice_owner(const json_t *obj, char *buf, size_t len)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *svc = json_string_value(
		json_object_get(json_object_get(meta, "labels"), SERVICE_NAME_LABEL));
	const char *ns = json_string_value(json_object_get(meta, "namespace"));

	if (!svc || !ns)
		return false;
	snprintf(buf, len, "%s/%s", ns, svc);
	return true;
}

static void slice_file(struct proxy *p, const json_t *obj, bool present)
{
	char owner[LB4_NAME_LEN], key[512];
	struct slice_ent *s;
	struct svc_ent *e;

	if (!slice_owner(obj, owner, sizeof(owner)))
		return; /* not a Service's slice: nothing for the proxy */
	informer_key(obj, key, sizeof(key));
	e = ent_get(p, owner);
	if (!e) {
		p->need_full = true;
		return;
	}
	HASH_FIND_STR(e->slices, key, s);
	if (!s && present) {
		s = calloc(1, sizeof(*s));
		if (!s || !(s->key = strdup(key))) {
			free(s);
			p->need_full = true;
			return;
		}
		HASH_ADD_KEYPTR(hh, e->slices, s->key, strlen(s->key), s);
	}
	if (s) {
		json_decref(s->obj);
		s->obj = NULL;
		if (present) {
			s->obj = json_incref((json_t *)obj);
		} else {
			HASH_DEL(e->slices, s);
			free(s->key);
			free(s);
		}
	}
	mark_dirty(p, e);
}

static void slice_add(void *ctx, const json_t *obj)
{
	struct proxy *p = ctx;

	pthread_mutex_lock(&p->mu);
	slice_file(p, obj, true);
	pthread_mutex_unlock(&p->mu);
	wake(p);
}

static void slice_update(void *ctx, const json_t *old, const json_t *obj)
{
	struct proxy *p = ctx;
	char a[LB4_NAME_LEN], b[LB4_NAME_LEN];

	pthread_mutex_lock(&p->mu);
	/* The label moved the slice to another Service: the first one loses it. */
	if (slice_owner(old, a, sizeof(a)) && (!slice_owner(obj, b, sizeof(b)) || strcmp(a, b)))
		slice_file(p, old, false);
	slice_file(p, obj, true);
	pthread_mutex_unlock(&p->mu);
	wake(p);
}

static void slice_del(void *ctx, const json_t *obj)
{
	struct proxy *p = ctx;

	pthread_mutex_lock(&p->mu);
	slice_file(p, obj, false);
	pthread_mutex_unlock(&p->mu);
	wake(p);
}

/* --- lifecycle --- */

int proxy_start(struct kclient *c, int wake_fd, struct proxy **out)
{
	struct informer_opts so = { .path = "/api/v1/services" };
	struct informer_opts eo = { .path = "/apis/discovery.k8s.io/v1/endpointslices" };
	struct informer_handlers sh = { svc_add, svc_update, svc_del, NULL };
	struct informer_handlers eh = { slice_add, slice_update, slice_del, NULL };
	struct proxy *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	p->wake_fd = wake_fd;
	p->need_full = true;
	sh.ctx = eh.ctx = p;
	if ((ret = informer_start(c, &so, &sh, &p->svc_inf)) ||
	    (ret = informer_start(c, &eo, &eh, &p->eps_inf))) {
		proxy_stop(p);
		return ret;
	}
	*out = p;
	return 0;
}

static void ent_free(struct svc_ent *e)
{
	struct slice_ent *s, *tmp;

	HASH_ITER(hh, e->slices, s, tmp) {
		HASH_DEL(e->slices, s);
		json_decref(s->obj);
		free(s->key);
		free(s);
	}
	json_decref(e->svc);
	free(e->fe);
	free(e);
}

void proxy_stop(struct proxy *p)
{
	struct svc_ent *e, *etmp;
	struct claim *c, *ctmp;

	if (!p)
		return;
	if (p->svc_inf)
		informer_cancel(p->svc_inf);
	if (p->eps_inf)
		informer_cancel(p->eps_inf);
	informer_stop(p->svc_inf);
	informer_stop(p->eps_inf);
	HASH_ITER(hh, p->svcs, e, etmp) {
		HASH_DEL(p->svcs, e);
		ent_free(e);
	}
	HASH_ITER(hh, p->claims, c, ctmp) {
		HASH_DEL(p->claims, c);
		free(c);
	}
	pthread_mutex_destroy(&p->mu);
	free(p);
}

bool proxy_synced(struct proxy *p)
{
	return informer_synced(p->svc_inf) && informer_synced(p->eps_inf);
}

bool proxy_pending(struct proxy *p)
{
	bool r;

	pthread_mutex_lock(&p->mu);
	r = p->n_dirty || p->need_full;
	pthread_mutex_unlock(&p->mu);
	return r;
}

void proxy_events(struct proxy *p, double *first, double *last)
{
	pthread_mutex_lock(&p->mu);
	*first = p->first_ev;
	*last = p->last_ev;
	pthread_mutex_unlock(&p->mu);
}

/* --- sync --- */

/* A v1 List of e's Service and slices, appended to items (references taken). */
static void ent_items(const struct svc_ent *e, json_t *items)
{
	const struct slice_ent *s;

	if (e->svc)
		json_array_append(items, e->svc);
	for (s = e->slices; s; s = s->hh.next)
		json_array_append(items, s->obj);
}

static void claims_clear(struct proxy *p)
{
	struct claim *c, *tmp;

	HASH_ITER(hh, p->claims, c, tmp) {
		HASH_DEL(p->claims, c);
		free(c);
	}
}

/* e holds key. */
static void claim_add(struct proxy *p, struct svc_ent *e, const struct lb4_key *key)
{
	struct lb4_key *fe = realloc(e->fe, (e->n_fe + 1) * sizeof(*fe));
	struct claim *c = calloc(1, sizeof(*c));

	if (!fe || !c) {
		free(c);
		return;
	}
	e->fe = fe;
	e->fe[e->n_fe++] = *key;
	c->key = *key;
	snprintf(c->owner, sizeof(c->owner), "%s", e->key);
	HASH_ADD(hh, p->claims, key, sizeof(c->key), c);
}

/* Forget what e held, then record what it holds now (the frontends of d it owns). */
static void claims_set(struct proxy *p, struct svc_ent *e, const struct lb_desired *d)
{
	struct claim *c;
	size_t i;

	for (i = 0; i < e->n_fe; i++) {
		HASH_FIND(hh, p->claims, &e->fe[i], sizeof(e->fe[i]), c);
		if (c && !strcmp(c->owner, e->key)) {
			HASH_DEL(p->claims, c);
			free(c);
		}
	}
	free(e->fe);
	e->fe = NULL;
	e->n_fe = 0;
	for (i = 0; i < d->n_frontends; i++)
		if (!strcmp(d->frontends[i].owner, e->key))
			claim_add(p, e, &d->frontends[i].key);
}

/* A frontend of d is held by another Service. */
static bool contested(struct proxy *p, const struct lb_desired *d, const char *owner)
{
	struct claim *c;
	size_t i;

	for (i = 0; i < d->n_frontends; i++) {
		HASH_FIND(hh, p->claims, &d->frontends[i].key, sizeof(d->frontends[i].key), c);
		if (c && strcmp(c->owner, owner))
			return true;
	}
	return false;
}

static void log_warnings(const struct lb_desired *d)
{
	size_t i;

	for (i = 0; i < d->n_warnings; i++)
		kbpf_log(LOG_LEVEL_WARN, "apiserver objects: %s\n", d->warnings[i]);
}

static void add_stats(struct lb_sync_stats *to, const struct lb_sync_stats *s)
{
	to->backends_added += s->backends_added;
	to->backends_updated += s->backends_updated;
	to->backends_retired += s->backends_retired;
	to->frontends_added += s->frontends_added;
	to->frontends_updated += s->frontends_updated;
	to->frontends_deleted += s->frontends_deleted;
	to->sets_created += s->sets_created;
	to->sets_retired += s->sets_retired;
}

/* Entries of the batch that hold nothing any more go. */
static void prune(struct proxy *p, struct svc_ent *batch)
{
	struct svc_ent *e, *next;

	pthread_mutex_lock(&p->mu);
	for (e = batch; e; e = next) {
		next = e->next;
		e->next = NULL;
		if (!e->svc && !e->slices && !e->dirty_since && !e->n_fe) {
			HASH_DEL(p->svcs, e);
			p->n_svcs--;
			ent_free(e);
		}
	}
	pthread_mutex_unlock(&p->mu);
}

static int sync_full(struct proxy *p, struct lb_dp *dp, const struct lb_node *node,
		     struct proxy_sync_result *r)
{
	json_t *doc = json_pack("{s:s,s:s,s:[]}", "apiVersion", "v1", "kind", "List", "items");
	json_t *items = json_object_get(doc, "items");
	struct svc_ent *e, *batch = NULL;
	struct lb_desired d = {};
	char err[256];
	size_t i;
	int ret;

	if (!doc)
		return -ENOMEM;
	pthread_mutex_lock(&p->mu);
	for (e = p->svcs; e; e = e->hh.next) {
		ent_items(e, items);
		e->next = batch;
		batch = e;
		r->services += !!e->svc;
	}
	pthread_mutex_unlock(&p->mu);
	ret = lb_desired_from_json(doc, node, &d, err, sizeof(err));
	json_decref(doc);
	if (ret) {
		pr_warn("computing the desired state: %s; the data plane keeps its current state\n",
			err);
		prune(p, batch);
		return ret;
	}
	log_warnings(&d);
	ret = lb_dp_sync(dp, &d, &r->st);
	r->frontends = d.n_frontends;
	r->backends = d.n_backends;
	claims_clear(p);
	for (e = batch; e; e = e->next) {
		free(e->fe);
		e->fe = NULL;
		e->n_fe = 0;
	}
	/* Entries are freed only on this thread: found under the lock, used after it. */
	for (i = 0; i < d.n_frontends; i++) {
		pthread_mutex_lock(&p->mu);
		HASH_FIND_STR(p->svcs, d.frontends[i].owner, e);
		pthread_mutex_unlock(&p->mu);
		if (e)
			claim_add(p, e, &d.frontends[i].key);
	}
	p->contested = false;
	for (i = 0; i < d.n_warnings; i++)
		if (strstr(d.warnings[i], "already belongs to"))
			p->contested = true;
	lb_desired_free(&d);
	prune(p, batch);
	return ret;
}

int proxy_sync(struct proxy *p, struct lb_dp *dp, const struct lb_node *node, bool full,
	       struct proxy_sync_result *r, void (*lat_cb)(void *ctx, double s), void *ctx)
{
	struct svc_ent *e, *batch = NULL, **tail = &batch;
	double t0 = mono_now(), *since = NULL, now;
	size_t n = 0, i;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&p->mu);
	full = full || p->need_full || p->contested ||
	       (p->n_dirty > FULL_SYNC_DIRTY_MIN && 2 * p->n_dirty > p->n_svcs);
	/* The batch: every dirty Service, marked clean now so that events from here on
	 * make them dirty again for the next sync. */
	since = calloc(p->n_dirty + 1, sizeof(*since));
	for (e = p->svcs; e && p->n_dirty; e = e->hh.next) {
		if (!e->dirty_since)
			continue;
		if (since)
			since[n++] = e->dirty_since;
		e->dirty_since = 0;
		*tail = e;
		tail = &e->next;
		p->n_dirty--;
	}
	p->first_ev = p->last_ev = 0;
	p->need_full = false;
	pthread_mutex_unlock(&p->mu);

	for (e = full ? NULL : batch; e; e = e->next) {
		json_t *doc = json_pack("{s:s,s:s,s:[]}", "apiVersion", "v1", "kind", "List",
					"items");
		struct lb_desired d = {};
		struct lb_sync_stats st;
		char err[256];

		if (!doc) {
			ret = -ENOMEM;
			break;
		}
		pthread_mutex_lock(&p->mu);
		ent_items(e, json_object_get(doc, "items"));
		pthread_mutex_unlock(&p->mu);
		r->services++;
		ret = lb_desired_from_json(doc, node, &d, err, sizeof(err));
		json_decref(doc);
		if (ret) {
			pr_warn("Service %s: %s\n", e->key, err);
			break;
		}
		if (contested(p, &d, e->key)) {
			pr_info("Service %s claims a frontend another Service holds: full sync\n",
				e->key);
			lb_desired_free(&d);
			full = true;
			break;
		}
		log_warnings(&d);
		ret = lb_dp_sync_scope(dp, &d, e->key, &st);
		add_stats(&r->st, &st);
		r->frontends += d.n_frontends;
		r->backends += d.n_backends;
		claims_set(p, e, &d);
		lb_desired_free(&d);
		if (ret)
			break;
	}
	if (full) {
		/* sync_full links every entry anew and may free some of the batch. */
		memset(r, 0, sizeof(*r));
		r->full = true;
		ret = sync_full(p, dp, node, r);
	} else {
		prune(p, batch);
	}
	if (ret) {
		/* Retried at the next tick, as a full sync. */
		pthread_mutex_lock(&p->mu);
		p->need_full = true;
		pthread_mutex_unlock(&p->mu);
	}
	now = mono_now();
	r->seconds = now - t0;
	r->err = ret;
	for (i = 0; i < n; i++) {
		if (now - since[i] > r->oldest_event_age)
			r->oldest_event_age = now - since[i];
		if (lat_cb)
			lat_cb(ctx, now - since[i]);
	}
	free(since);
	return ret;
}
