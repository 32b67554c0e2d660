/* lb_dataplane.c — load, pin and attach the load balancer, and reconcile desired state
 * into its maps without ever flushing what is already there. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <uthash.h>
#include <utlist.h>

#include "kbpf_lb.skel.h"
#include "lb_dataplane.h"
#include "log.h"
#include "util.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* Next-fit id allocator over [1, size): an id comes back only after the whole space was
 * used once, so a freed frontend or backend id is not reused while flows may name it. */
struct id_pool {
	__u8 *bits;
	__u32 size;
	__u32 next;
};

/* What the agent believes a backend map entry holds. */
struct mbackend {
	struct lb_backend_spec key; /* flags zeroed: identity only */
	__u32 id;
	__u8 flags;
	__u32 refs;       /* frontends that keep it (ready or not) */
	__u64 retired_ms; /* 0 while referenced */
	UT_hash_handle hh;
	UT_hash_handle hh_id;
};

/* A backend set: slots 0..n-1 in lb4_slots, shared by frontends with the same members. */
struct mset {
	__u32 id;
	__u32 n;
	__u32 *members; /* backend ids, slot order */
	__u32 refs;
	__u64 retired_ms;
	bool by_content; /* in sets_by_content (a duplicate found at start is not) */
	UT_hash_handle hh;
	UT_hash_handle hh_content;
};

struct mowner;

struct mfrontend {
	struct lb4_key key;
	struct lb4_service val;
	char name[LB4_NAME_LEN];
	char owner[LB4_NAME_LEN];
	__u32 *keep; /* backend ids this frontend keeps alive */
	__u32 n_keep;
	__u64 seen;
	struct mowner *by; /* the Service it belongs to */
	struct mfrontend *prev, *next; /* in by->frontends */
	UT_hash_handle hh;
};

/* A Service's frontends, so that a sync of one Service costs what that Service has, not
 * what the node has. */
struct mowner {
	char name[LB4_NAME_LEN];
	struct mfrontend *frontends;
	UT_hash_handle hh;
};

/* A pinned map that no longer matches the program's definition (size or flags changed):
 * moved aside under <name>_old, recreated, its entries copied over in two passes. */
struct migration {
	char path[PATH_MAX];
	int old_fd;
	struct bpf_map *map;
};

#define MAX_MIGRATIONS 16

struct lb_dp {
	struct kbpf_lb_bpf *skel;
	struct migration migs[MAX_MIGRATIONS];
	size_t n_migs;
	char root[PATH_MAX];
	bool pinned;
	int fd_services, fd_slots, fd_backends, fd_revnat, fd_ct, fd_affinity, fd_stats;
	int fd_names;
	struct id_pool fe_ids, be_ids, set_ids;
	struct mbackend *backends, *backends_by_id;
	struct mset *sets, *sets_by_content;
	struct mfrontend *frontends;
	struct mowner *owners;
	__u64 gen;
	__u64 last_flow_gc_ms;
	int ncpus;
};

/* The maps under the names they are pinned with. */
#define FOR_EACH_MAP(X)                                                            \
	X(lb4_services) X(lb4_slots) X(lb4_backends) X(lb4_revnat) X(ct4)          \
	X(lb4_affinity) X(lb4_stats) X(lb4_frags) X(lb4_names) X(kbpf_metrics)

__u32 lb_now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int pool_init(struct id_pool *p, __u32 size)
{
	p->bits = calloc((size + 7) / 8, 1);
	p->size = size;
	p->next = 1;
	return p->bits ? 0 : -ENOMEM;
}

static bool pool_test(const struct id_pool *p, __u32 id)
{
	return id < p->size && (p->bits[id / 8] & (1 << (id % 8)));
}

static void pool_mark(struct id_pool *p, __u32 id)
{
	if (id < p->size) {
		p->bits[id / 8] |= 1 << (id % 8);
		if (id >= p->next)
			p->next = id + 1 < p->size ? id + 1 : 1;
	}
}

static void pool_free(struct id_pool *p, __u32 id)
{
	if (id < p->size)
		p->bits[id / 8] &= ~(1 << (id % 8));
}

static __u32 pool_alloc(struct id_pool *p)
{
	__u32 i, id;

	for (i = 1; i < p->size; i++) {
		id = p->next;
		p->next = id + 1 < p->size ? id + 1 : 1;
		if (!pool_test(p, id)) {
			pool_mark(p, id);
			return id;
		}
	}
	return 0;
}

static int map_update(int fd, const void *key, const void *val, const char *what)
{
	if (bpf_map_update_elem(fd, key, val, BPF_ANY)) {
		int err = -errno;

		pr_warn("updating %s: %s\n", what, strerror(errno));
		return err;
	}
	return 0;
}

static void map_delete(int fd, const void *key)
{
	bpf_map_delete_elem(fd, key);
}

/* --- backends --- */

static struct mbackend *backend_find(struct lb_dp *dp, const struct lb_backend_spec *spec)
{
	struct lb_backend_spec key = *spec;
	struct mbackend *b;

	key.flags = 0;
	HASH_FIND(hh, dp->backends, &key, sizeof(key), b);
	return b;
}

static struct mbackend *backend_add_mirror(struct lb_dp *dp, const struct lb_backend_spec *spec,
					   __u32 id)
{
	struct mbackend *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->key = *spec;
	b->key.flags = 0;
	b->flags = spec->flags;
	b->id = id;
	HASH_ADD(hh, dp->backends, key, sizeof(b->key), b);
	HASH_ADD(hh_id, dp->backends_by_id, id, sizeof(b->id), b);
	pool_mark(&dp->be_ids, id);
	return b;
}

static int backend_write(struct lb_dp *dp, const struct mbackend *b)
{
	struct lb4_backend v = {
		.addr = b->key.addr,
		.port = b->key.port,
		.proto = b->key.proto,
		.flags = b->flags,
	};

	return map_update(dp->fd_backends, &b->id, &v, "lb4_backends");
}

/* Make a backend exist with these flags; returns its mirror. */
static struct mbackend *backend_ensure(struct lb_dp *dp, const struct lb_backend_spec *spec,
				       struct lb_sync_stats *st)
{
	struct mbackend *b = backend_find(dp, spec);
	__u32 id;

	if (b) {
		if (b->flags != spec->flags) {
			b->flags = spec->flags;
			if (backend_write(dp, b))
				return NULL;
			st->backends_updated++;
		}
		return b;
	}
	id = pool_alloc(&dp->be_ids);
	if (!id) {
		pr_warn("no free backend id: lb4_backends holds %u entries at most\n",
			dp->be_ids.size - 1);
		return NULL;
	}
	b = backend_add_mirror(dp, spec, id);
	if (!b || backend_write(dp, b))
		return NULL;
	st->backends_added++;
	return b;
}

static void backend_ref(struct lb_dp *dp, __u32 id)
{
	struct mbackend *b;

	HASH_FIND(hh_id, dp->backends_by_id, &id, sizeof(id), b);
	if (b) {
		b->refs++;
		b->retired_ms = 0;
	}
}

/* No frontend keeps the backend any more: its flows move on at once, the entry goes
 * after the grace period (a packet that read an old set may still look it up). */
static void backend_retire(struct lb_dp *dp, struct mbackend *b, struct lb_sync_stats *st)
{
	b->retired_ms = now_ms();
	b->flags |= BE_F_REMOVED;
	backend_write(dp, b);
	if (st)
		st->backends_retired++;
}

static void backend_unref(struct lb_dp *dp, __u32 id, struct lb_sync_stats *st)
{
	struct mbackend *b;

	HASH_FIND(hh_id, dp->backends_by_id, &id, sizeof(id), b);
	if (b && b->refs && !--b->refs)
		backend_retire(dp, b, st);
}

static void backend_destroy(struct lb_dp *dp, struct mbackend *b)
{
	map_delete(dp->fd_backends, &b->id);
	pool_free(&dp->be_ids, b->id);
	HASH_DELETE(hh, dp->backends, b);
	HASH_DELETE(hh_id, dp->backends_by_id, b);
	free(b);
}

/* --- backend sets --- */

static struct mset *set_find_content(struct lb_dp *dp, const __u32 *ids, __u32 n)
{
	struct mset *s;

	HASH_FIND(hh_content, dp->sets_by_content, ids, n * sizeof(*ids), s);
	return s;
}

static struct mset *set_add_mirror(struct lb_dp *dp, __u32 id, const __u32 *ids, __u32 n)
{
	struct mset *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->members = malloc(n * sizeof(*ids));
	if (!s->members) {
		free(s);
		return NULL;
	}
	memcpy(s->members, ids, n * sizeof(*ids));
	s->id = id;
	s->n = n;
	HASH_ADD(hh, dp->sets, id, sizeof(s->id), s);
	if (!set_find_content(dp, ids, n)) {
		HASH_ADD_KEYPTR(hh_content, dp->sets_by_content, s->members, n * sizeof(*ids), s);
		s->by_content = true;
	}
	pool_mark(&dp->set_ids, id);
	return s;
}

/* A set with these members, created (slots written) if none exists. 0 for no members. */
static int set_get(struct lb_dp *dp, const __u32 *ids, __u32 n, __u32 *set_id,
		   struct lb_sync_stats *st)
{
	struct lb4_slot_key k = {};
	struct mset *s;
	__u32 i;

	*set_id = 0;
	if (!n)
		return 0;
	s = set_find_content(dp, ids, n);
	if (!s) {
		k.set = pool_alloc(&dp->set_ids);
		if (!k.set) {
			pr_warn("no free backend set id\n");
			return -ENOSPC;
		}
		for (i = 0; i < n; i++) {
			k.slot = i;
			if (map_update(dp->fd_slots, &k, &ids[i], "lb4_slots")) {
				pool_free(&dp->set_ids, k.set);
				return -ENOSPC;
			}
		}
		s = set_add_mirror(dp, k.set, ids, n);
		if (!s)
			return -ENOMEM;
		st->sets_created++;
	}
	s->refs++;
	s->retired_ms = 0;
	*set_id = s->id;
	return 0;
}

static void set_put(struct lb_dp *dp, __u32 id, struct lb_sync_stats *st)
{
	struct mset *s;

	if (!id)
		return;
	HASH_FIND(hh, dp->sets, &id, sizeof(id), s);
	if (s && s->refs && !--s->refs) {
		s->retired_ms = now_ms();
		if (st)
			st->sets_retired++;
	}
}

static void set_destroy(struct lb_dp *dp, struct mset *s)
{
	struct lb4_slot_key k = { .set = s->id };

	for (k.slot = 0; k.slot < s->n; k.slot++)
		map_delete(dp->fd_slots, &k);
	pool_free(&dp->set_ids, s->id);
	HASH_DELETE(hh, dp->sets, s);
	if (s->by_content)
		HASH_DELETE(hh_content, dp->sets_by_content, s);
	free(s->members);
	free(s);
}

/* --- frontends --- */

static void owner_of(char *owner, const char *name)
{
	const char *colon = strrchr(name, ':');
	size_t len = colon ? (size_t)(colon - name) : strlen(name);

	if (len >= LB4_NAME_LEN)
		len = LB4_NAME_LEN - 1;
	memcpy(owner, name, len);
	owner[len] = 0;
}

static void owner_detach(struct lb_dp *dp, struct mfrontend *f)
{
	struct mowner *o = f->by;

	if (!o)
		return;
	DL_DELETE(o->frontends, f);
	f->by = NULL;
	if (!o->frontends) {
		HASH_DEL(dp->owners, o);
		free(o);
	}
}

static int owner_attach(struct lb_dp *dp, struct mfrontend *f, const char *owner)
{
	struct mowner *o;

	owner_detach(dp, f);
	snprintf(f->owner, sizeof(f->owner), "%s", owner);
	HASH_FIND_STR(dp->owners, f->owner, o);
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o)
			return -ENOMEM;
		snprintf(o->name, sizeof(o->name), "%s", f->owner);
		HASH_ADD_STR(dp->owners, name, o);
	}
	DL_APPEND(o->frontends, f);
	f->by = o;
	return 0;
}

static int stats_zero(struct lb_dp *dp, __u32 id)
{
	size_t sz = (size_t)dp->ncpus * sizeof(struct lb4_stats);
	void *zero = calloc(1, sz);
	int err;

	if (!zero)
		return -ENOMEM;
	err = map_update(dp->fd_stats, &id, zero, "lb4_stats");
	free(zero);
	return err;
}

static void frontend_destroy(struct lb_dp *dp, struct mfrontend *f, struct lb_sync_stats *st)
{
	__u32 i;

	map_delete(dp->fd_services, &f->key);
	set_put(dp, f->val.ext_set, st);
	set_put(dp, f->val.int_set, st);
	for (i = 0; i < f->n_keep; i++)
		backend_unref(dp, f->keep[i], st);
	/* Reverse NAT stays until the id is reused: late replies still find their frontend. */
	map_delete(dp->fd_names, &f->val.id);
	pool_free(&dp->fe_ids, f->val.id);
	owner_detach(dp, f);
	HASH_DEL(dp->frontends, f);
	free(f->keep);
	free(f);
	if (st)
		st->frontends_deleted++;
}

/* Backend ids of a list of desired-backend indexes. */
static int ids_of(const __u32 *bidx, __u32 n, const __u32 *idx, __u32 **out)
{
	__u32 i, *ids = malloc((n ? n : 1) * sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		ids[i] = bidx[idx[i]];
	*out = ids;
	return 0;
}

static int frontend_apply(struct lb_dp *dp, const struct lb_frontend_spec *fs,
			  const __u32 *bidx, struct lb_sync_stats *st)
{
	__u32 *ext = NULL, *intl = NULL, *keep = NULL, i;
	struct lb4_service v = {};
	struct lb4_revnat rn = {};
	struct lb4_name nm = {};
	struct mfrontend *f;
	bool fresh = false;
	int err;

	if ((err = ids_of(bidx, fs->n_ext, fs->ext, &ext)) ||
	    (err = ids_of(bidx, fs->n_intl, fs->intl, &intl)) ||
	    (err = ids_of(bidx, fs->n_all, fs->all, &keep)))
		goto out;

	HASH_FIND(hh, dp->frontends, &fs->key, sizeof(fs->key), f);
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f) {
			err = -ENOMEM;
			goto out;
		}
		f->key = fs->key;
		f->val.id = pool_alloc(&dp->fe_ids);
		if (!f->val.id) {
			pr_warn("no free frontend id: lb4_services holds %u entries at most\n",
				dp->fe_ids.size - 1);
			free(f);
			err = -ENOSPC;
			goto out;
		}
		HASH_ADD(hh, dp->frontends, key, sizeof(f->key), f);
		fresh = true;
	}
	f->seen = dp->gen;

	v.id = f->val.id;
	v.flags = fs->flags;
	v.ext_count = fs->n_ext;
	v.int_count = fs->n_intl;
	v.affinity_timeout = fs->affinity_timeout;
	if ((err = set_get(dp, ext, fs->n_ext, &v.ext_set, st)))
		goto out;
	if ((err = set_get(dp, intl, fs->n_intl, &v.int_set, st))) {
		set_put(dp, v.ext_set, st);
		goto out;
	}
	for (i = 0; i < fs->n_all; i++)
		backend_ref(dp, keep[i]);

	if (fresh) {
		rn.addr = fs->key.addr;
		rn.port = fs->key.port;
		if ((err = stats_zero(dp, v.id)) ||
		    (err = map_update(dp->fd_revnat, &v.id, &rn, "lb4_revnat")))
			goto out;
	}
	if (fresh || strcmp(f->name, fs->name)) {
		snprintf(nm.name, sizeof(nm.name), "%s", fs->name);
		snprintf(f->name, sizeof(f->name), "%s", fs->name);
		map_update(dp->fd_names, &v.id, &nm, "lb4_names");
	}
	if ((fresh || strcmp(f->owner, fs->owner)) && (err = owner_attach(dp, f, fs->owner)))
		goto out;
	if (fresh || memcmp(&v, &f->val, sizeof(v))) {
		/* The flip: one update switches both sets and the flags at once. */
		if ((err = map_update(dp->fd_services, &fs->key, &v, "lb4_services")))
			goto out;
		if (fresh)
			st->frontends_added++;
		else
			st->frontends_updated++;
	}
	if (!fresh) {
		set_put(dp, f->val.ext_set, st);
		set_put(dp, f->val.int_set, st);
		for (i = 0; i < f->n_keep; i++)
			backend_unref(dp, f->keep[i], st);
	}
	f->val = v;
	free(f->keep);
	f->keep = keep;
	f->n_keep = fs->n_all;
	keep = NULL;
out:
	free(ext);
	free(intl);
	free(keep);
	return err;
}

static void retire_if_unkept(struct lb_dp *dp, struct mbackend *b, struct lb_sync_stats *st)
{
	if (!b->refs && !b->retired_ms)
		backend_retire(dp, b, st);
}

int lb_dp_sync(struct lb_dp *dp, const struct lb_desired *d, struct lb_sync_stats *st)
{
	return lb_dp_sync_scope(dp, d, NULL, st);
}

/*
 * Reconcile. With owner, only that Service's frontends are considered (the others are
 * left alone): the path of a single watch event. Without, the whole state.
 */
int lb_dp_sync_scope(struct lb_dp *dp, const struct lb_desired *d, const char *owner,
		     struct lb_sync_stats *st)
{
	struct lb_sync_stats local = {};
	struct mfrontend *f, *ftmp;
	__u32 *bidx = NULL;
	size_t i;
	int err = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	dp->gen++;
	bidx = calloc(d->n_backends ? d->n_backends : 1, sizeof(*bidx));
	if (!bidx)
		return -ENOMEM;
	/* 1. Backends exist before any set names them. */
	for (i = 0; i < d->n_backends; i++) {
		struct mbackend *b = backend_ensure(dp, &d->backends[i], st);

		if (!b) {
			err = -ENOSPC;
			goto out;
		}
		bidx[i] = b->id;
	}
	/* 2. New sets, then the frontend flips. */
	for (i = 0; i < d->n_frontends; i++) {
		if (owner && strcmp(d->frontends[i].owner, owner))
			continue;
		err = frontend_apply(dp, &d->frontends[i], bidx, st);
		if (err)
			goto out;
	}
	/* 3. Frontends no longer wanted: the owner's, or all. */
	if (owner) {
		struct mowner *o;

		HASH_FIND_STR(dp->owners, owner, o);
		if (o)
			DL_FOREACH_SAFE(o->frontends, f, ftmp)
				if (f->seen != dp->gen)
					frontend_destroy(dp, f, st);
	} else {
		HASH_ITER(hh, dp->frontends, f, ftmp)
			if (f->seen != dp->gen)
				frontend_destroy(dp, f, st);
	}
out:
	/* Backends kept by no frontend retire: a full sync looks at all of them (after a
	 * restart some wait for it), a partial one at those it was given. */
	if (!owner) {
		struct mbackend *b, *btmp;

		HASH_ITER(hh, dp->backends, b, btmp)
			retire_if_unkept(dp, b, st);
	} else {
		for (i = 0; i < d->n_backends && bidx[i]; i++) {
			struct mbackend *b;

			HASH_FIND(hh_id, dp->backends_by_id, &bidx[i], sizeof(bidx[i]), b);
			if (b)
				retire_if_unkept(dp, b, st);
		}
	}
	free(bidx);
	return err;
}

/* --- garbage collection --- */

/* Does an entry of a map the programs write belong to a finished flow? */
typedef bool (*gc_dead_fn)(const void *value, __u32 now);

static bool ct_dead(const void *value, __u32 now)
{
	return ((const struct ct4_entry *)value)->expires <= now;
}

static bool affinity_dead(const void *value, __u32 now)
{
	/* The longest timeout Kubernetes allows is one day. */
	return now - ((const struct lb4_affinity *)value)->last_used > 86400;
}

#define GC_BATCH 4096

/*
 * Delete the dead entries of a map: read in batches (one syscall per GC_BATCH entries;
 * entry by entry where the kernel lacks batch lookups), delete what is dead.
 */
static size_t gc_map(int fd, size_t ksz, size_t vsz, gc_dead_fn dead)
{
	__u8 in_batch[64], out_batch[64], *keys = malloc(GC_BATCH * ksz);
	__u8 *vals = malloc(GC_BATCH * vsz), *key = malloc(ksz), *next = malloc(ksz);
	__u32 now = lb_now_sec(), count, i;
	bool first = true, done = false, batch = true;
	size_t removed = 0;

	while (keys && vals && key && next && !done) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		int err;

		count = GC_BATCH;
		err = batch ? bpf_map_lookup_batch(fd, first ? NULL : in_batch, out_batch, keys,
						   vals, &count, &opts) : -EINVAL;
		if (err && errno != ENOENT) {
			if (!batch || !first)
				break;
			batch = false; /* fall back: one entry at a time */
		}
		if (!batch) {
			for (count = 0; count < GC_BATCH; count++) {
				if (bpf_map_get_next_key(fd, first && !count ? NULL : key, next)) {
					done = true;
					break;
				}
				memcpy(key, next, ksz);
				memcpy(keys + count * ksz, key, ksz);
				if (bpf_map_lookup_elem(fd, key, vals + count * vsz))
					memset(vals + count * vsz, 0xff, vsz);
			}
		} else {
			done = err != 0; /* ENOENT: this was the last batch */
			memcpy(in_batch, out_batch, sizeof(in_batch));
		}
		first = false;
		for (i = 0; i < count; i++)
			if (dead(vals + i * vsz, now) && !bpf_map_delete_elem(fd, keys + i * ksz))
				removed++;
	}
	free(keys);
	free(vals);
	free(key);
	free(next);
	return removed;
}

int lb_dp_gc(struct lb_dp *dp, bool force)
{
	__u64 now = now_ms();
	struct mset *s, *stmp;
	struct mbackend *b, *btmp;

	HASH_ITER(hh, dp->sets, s, stmp)
		if (!s->refs && (force || now - s->retired_ms >= LB_RETIRE_GRACE_MS))
			set_destroy(dp, s);
	HASH_ITER(hh, dp->backends, b, btmp)
		if (!b->refs && (force || (b->retired_ms && now - b->retired_ms >= LB_RETIRE_GRACE_MS)))
			backend_destroy(dp, b);
	/* Conntrack and affinity: LRU keeps them bounded; removing expired entries keeps
	 * room and listings honest, and costs a scan, so it runs every LB_GC_FLOWS_MS. */
	if (force || now - dp->last_flow_gc_ms >= LB_GC_FLOWS_MS) {
		size_t n = gc_map(dp->fd_ct, sizeof(struct ct4_key), sizeof(struct ct4_entry),
				  ct_dead);

		gc_map(dp->fd_affinity, sizeof(struct lb4_affinity_key),
		       sizeof(struct lb4_affinity), affinity_dead);
		dp->last_flow_gc_ms = now;
		if (n)
			pr_debug("removed %zu expired conntrack entries\n", n);
	}
	return 0;
}

/* --- rebuilding the view from pinned maps --- */

static int load_set(struct lb_dp *dp, __u32 id, __u32 count)
{
	struct lb4_slot_key k = { .set = id };
	struct mset *s;
	__u32 *ids;

	if (!id)
		return 0;
	HASH_FIND(hh, dp->sets, &id, sizeof(id), s);
	if (!s) {
		ids = calloc(count ? count : 1, sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		for (k.slot = 0; k.slot < count; k.slot++)
			if (bpf_map_lookup_elem(dp->fd_slots, &k, &ids[k.slot]))
				pr_warn("set %u lacks slot %u; it will be replaced\n", id, k.slot);
		s = set_add_mirror(dp, id, ids, count);
		free(ids);
		if (!s)
			return -ENOMEM;
	}
	s->refs++;
	return 0;
}

/* Which backends a frontend keeps is not in the maps: until a sync names them, the
 * members of its sets count as kept. */
static int keep_set_members(struct lb_dp *dp, struct mfrontend *f)
{
	__u32 ids[2] = { f->val.ext_set, f->val.int_set }, i, j, k;
	struct mset *s;

	for (i = 0; i < 2; i++) {
		if (!ids[i] || (i == 1 && ids[1] == ids[0]))
			continue;
		HASH_FIND(hh, dp->sets, &ids[i], sizeof(ids[i]), s);
		if (!s)
			continue;
		for (j = 0; j < s->n; j++) {
			__u32 *keep;

			for (k = 0; k < f->n_keep && f->keep[k] != s->members[j]; k++)
				;
			if (k < f->n_keep)
				continue;
			keep = realloc(f->keep, (f->n_keep + 1) * sizeof(*keep));
			if (!keep)
				return -ENOMEM;
			f->keep = keep;
			f->keep[f->n_keep++] = s->members[j];
			backend_ref(dp, s->members[j]);
		}
	}
	return 0;
}

static int rebuild_view(struct lb_dp *dp)
{
	struct lb4_key fkey, fnext;
	struct lb4_slot_key skey, snext, *orphans = NULL;
	size_t n_orphans = 0, cap = 0, i;
	__u32 id, next;
	void *prev;
	int err;

	prev = NULL;
	while (!bpf_map_get_next_key(dp->fd_backends, prev, &next)) {
		struct lb4_backend v;
		struct lb_backend_spec spec = {};

		id = next;
		prev = &id;
		if (bpf_map_lookup_elem(dp->fd_backends, &id, &v))
			continue;
		spec.addr = v.addr;
		spec.port = v.port;
		spec.proto = v.proto;
		spec.flags = v.flags;
		if (!backend_add_mirror(dp, &spec, id))
			return -ENOMEM;
	}
	prev = NULL;
	while (!bpf_map_get_next_key(dp->fd_services, prev, &fnext)) {
		struct mfrontend *f = calloc(1, sizeof(*f));
		struct lb4_name nm = {};

		fkey = fnext;
		prev = &fkey;
		if (!f)
			return -ENOMEM;
		f->key = fkey;
		if (bpf_map_lookup_elem(dp->fd_services, &fkey, &f->val)) {
			free(f);
			continue;
		}
		pool_mark(&dp->fe_ids, f->val.id);
		if (!bpf_map_lookup_elem(dp->fd_names, &f->val.id, &nm))
			snprintf(f->name, sizeof(f->name), "%s", nm.name);
		HASH_ADD(hh, dp->frontends, key, sizeof(f->key), f);
		owner_of(nm.name, f->name);
		if ((err = owner_attach(dp, f, nm.name)))
			return err;
		if ((err = load_set(dp, f->val.ext_set, f->val.ext_count)) ||
		    (err = load_set(dp, f->val.int_set, f->val.int_count)))
			return err;
		if ((err = keep_set_members(dp, f)))
			return err;
	}
	/* Backends in no set (terminating ones) wait, unreferenced but not retired, for the
	 * first full sync to say whether they are still wanted. */
	/* Slots of sets that no frontend names: left by a sync that died half-way. */
	prev = NULL;
	while (!bpf_map_get_next_key(dp->fd_slots, prev, &snext)) {
		struct mset *s;

		skey = snext;
		prev = &skey;
		HASH_FIND(hh, dp->sets, &skey.set, sizeof(skey.set), s);
		if (s)
			continue;
		if (n_orphans == cap) {
			struct lb4_slot_key *o;

			cap = cap ? cap * 2 : 64;
			o = realloc(orphans, cap * sizeof(*o));
			if (!o)
				break;
			orphans = o;
		}
		orphans[n_orphans++] = skey;
	}
	for (i = 0; i < n_orphans; i++)
		map_delete(dp->fd_slots, &orphans[i]);
	free(orphans);
	pr_info("data plane holds %u frontends, %u backends, %u backend sets\n",
		HASH_COUNT(dp->frontends), HASH_COUNT(dp->backends), HASH_COUNT(dp->sets));
	return 0;
}

/* --- loading, pinning, migration --- */

/* bpffs may need mounting on a fresh machine (ARCHITECTURE: machine facts). */
static int ensure_bpffs(const char *root)
{
	struct statfs st;

	if (strncmp(root, "/sys/fs/bpf/", 12))
		return 0; /* a caller-chosen bpffs elsewhere must be mounted by the caller */
	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (system("mount -t bpf bpf /sys/fs/bpf")) {
		pr_warn("/sys/fs/bpf is not a bpf filesystem and mounting one failed\n");
		return -ENOTSUP;
	}
	return 0;
}

static int check_pin(struct bpf_map *map, const char *path, struct migration *mig)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	mig->old_fd = -1;
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return -errno;
	}
	if (info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map) &&
	    info.max_entries == bpf_map__max_entries(map) &&
	    info.map_flags == bpf_map__map_flags(map)) {
		close(fd);
		return 0;
	}
	pr_info("pinned map %s differs from this build (max_entries %u -> %u, value size %u -> %u): migrating its entries\n",
		path, info.max_entries, bpf_map__max_entries(map), info.value_size,
		bpf_map__value_size(map));
	/* bpffs refuses names with dots. */
	if (pathf(mig->path, sizeof(mig->path), "%s_old", path) < 0) {
		close(fd);
		return -ENAMETOOLONG;
	}
	unlink(mig->path);
	if (rename(path, mig->path)) {
		close(fd);
		return -errno;
	}
	mig->old_fd = fd;
	mig->map = map;
	return 0;
}

static bool same_layout(struct migration *mig)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(mig->old_fd, &info, &len) &&
	       info.type == bpf_map__type(mig->map) && info.key_size == bpf_map__key_size(mig->map) &&
	       info.value_size == bpf_map__value_size(mig->map);
}

/* Copy the old map's entries into the new one; returns how many were written. */
static int copy_entries(struct migration *mig, __u64 flags)
{
	__u32 ksz = bpf_map__key_size(mig->map);
	size_t vsz = bpf_map__value_size(mig->map);
	enum bpf_map_type t = bpf_map__type(mig->map);
	int new_fd = bpf_map__fd(mig->map), copied = 0;
	void *key, *next, *val;
	bool first = true;

	if (t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	    t == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		vsz = ((vsz + 7) & ~7UL) * libbpf_num_possible_cpus();
	key = calloc(1, ksz);
	next = calloc(1, ksz);
	val = calloc(1, vsz);
	while (key && next && val &&
	       !bpf_map_get_next_key(mig->old_fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, ksz);
		if (bpf_map_lookup_elem(mig->old_fd, key, val))
			continue;
		if (!bpf_map_update_elem(new_fd, key, val, flags))
			copied++;
	}
	free(key);
	free(next);
	free(val);
	return copied;
}

static void migration_end(struct migration *mig)
{
	unlink(mig->path);
	close(mig->old_fd);
	mig->old_fd = -1;
}

/* First pass, right after load: the old programs still write the old map. */
static void migrate_start(struct migration *mig)
{
	if (!same_layout(mig)) {
		pr_warn("%s: layout changed, entries not carried over; the next sync refills it\n",
			bpf_map__name(mig->map));
		migration_end(mig);
		return;
	}
	pr_info("%s: %d entries carried over\n", bpf_map__name(mig->map),
		copy_entries(mig, BPF_ANY));
}

void lb_dp_finish_migrations(struct lb_dp *dp)
{
	size_t i;

	for (i = 0; i < dp->n_migs; i++) {
		if (dp->migs[i].old_fd < 0)
			continue;
		/* Second pass, once the new programs run: what the old ones wrote meanwhile
		 * (never over what the new ones wrote). */
		pr_info("%s: %d more entries carried over; migration done\n",
			bpf_map__name(dp->migs[i].map), copy_entries(&dp->migs[i], BPF_NOEXIST));
		migration_end(&dp->migs[i]);
	}
	dp->n_migs = 0;
}

static void set_size(struct bpf_map *map, __u32 n)
{
	if (n)
		bpf_map__set_max_entries(map, n);
}

int lb_dp_open(const struct lb_config *cfg, struct lb_dp **out)
{
	struct bpf_map *maps[MAX_MIGRATIONS];
	size_t n_maps = 0, i;
	struct lb_dp *dp;
	char path[PATH_MAX];
	int err;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	for (i = 0; i < MAX_MIGRATIONS; i++)
		dp->migs[i].old_fd = -1;
	dp->ncpus = libbpf_num_possible_cpus();
	dp->pinned = !cfg->no_pin;
	snprintf(dp->root, sizeof(dp->root), "%s", cfg->bpffs_root ? cfg->bpffs_root : "");
	if (dp->pinned) {
		if ((err = pathf(path, sizeof(path), "%s/links", dp->root)) ||
		    (err = ensure_bpffs(dp->root)) || (err = mkdir_p(path, 0700))) {
			pr_warn("cannot create %s: %s\n", path, strerror(-err));
			goto fail;
		}
	}
	dp->skel = kbpf_lb_bpf__open();
	if (!dp->skel) {
		err = -errno;
		pr_warn("opening the BPF object: %s\n", strerror(errno));
		goto fail;
	}
	set_size(dp->skel->maps.lb4_services, cfg->max_services);
	set_size(dp->skel->maps.lb4_revnat, cfg->max_services);
	set_size(dp->skel->maps.lb4_stats, cfg->max_services);
	set_size(dp->skel->maps.lb4_names, cfg->max_services);
	set_size(dp->skel->maps.lb4_backends, cfg->max_backends);
	set_size(dp->skel->maps.lb4_slots, cfg->max_slots);
	set_size(dp->skel->maps.ct4, cfg->ct_max);
	set_size(dp->skel->maps.lb4_affinity, cfg->max_affinity);
	/* Older kernels (5.10) lack the coarse clock; the verifier never sees the call then,
	 * as the branch on the frozen rodata is dead. */
	dp->skel->rodata->coarse_clock =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns, NULL) > 0;
	dp->skel->rodata->node_ip = cfg->node_ip;
	dp->skel->rodata->hairpin_ip = cfg->hairpin_ip;
	if (cfg->snat_port_min && cfg->snat_port_max >= cfg->snat_port_min) {
		dp->skel->rodata->snat_port_min = cfg->snat_port_min;
		dp->skel->rodata->snat_port_max = cfg->snat_port_max;
	}

#define COLLECT(name) maps[n_maps++] = dp->skel->maps.name;
	FOR_EACH_MAP(COLLECT)
#undef COLLECT
	if (dp->pinned) {
		for (i = 0; i < n_maps; i++) {
			if ((err = pathf(path, sizeof(path), "%s/%s", dp->root,
					 bpf_map__name(maps[i]))) ||
			    (err = check_pin(maps[i], path, &dp->migs[i]))) {
				pr_warn("checking pinned map %s: %s\n", path, strerror(-err));
				goto fail;
			}
			bpf_map__set_pin_path(maps[i], path);
		}
	}
	err = kbpf_lb_bpf__load(dp->skel);
	if (err) {
		pr_warn("loading the BPF programs: %s\n", strerror(-err));
		goto fail;
	}
	dp->n_migs = n_maps;
	for (i = 0; i < n_maps; i++)
		if (dp->migs[i].old_fd >= 0)
			migrate_start(&dp->migs[i]);

	dp->fd_services = bpf_map__fd(dp->skel->maps.lb4_services);
	dp->fd_slots = bpf_map__fd(dp->skel->maps.lb4_slots);
	dp->fd_backends = bpf_map__fd(dp->skel->maps.lb4_backends);
	dp->fd_revnat = bpf_map__fd(dp->skel->maps.lb4_revnat);
	dp->fd_ct = bpf_map__fd(dp->skel->maps.ct4);
	dp->fd_affinity = bpf_map__fd(dp->skel->maps.lb4_affinity);
	dp->fd_stats = bpf_map__fd(dp->skel->maps.lb4_stats);
	dp->fd_names = bpf_map__fd(dp->skel->maps.lb4_names);

	/* Backend and set ids come from a space four times the map size, so that an id is
	 * reused long after the flows that named it are gone. */
	if ((err = pool_init(&dp->fe_ids, bpf_map__max_entries(dp->skel->maps.lb4_stats))) ||
	    (err = pool_init(&dp->be_ids, 4 * bpf_map__max_entries(dp->skel->maps.lb4_backends))) ||
	    (err = pool_init(&dp->set_ids, 4 * bpf_map__max_entries(dp->skel->maps.lb4_slots))))
		goto fail;
	if ((err = rebuild_view(dp)))
		goto fail;
	*out = dp;
	return 0;
fail:
	/* Put maps that were moved aside back: nothing may be lost on a failed start. */
	for (i = 0; i < MAX_MIGRATIONS; i++) {
		struct migration *m = &dp->migs[i];
		char orig[PATH_MAX];

		if (m->old_fd < 0)
			continue;
		snprintf(orig, sizeof(orig), "%.*s", (int)(strlen(m->path) - 4), m->path);
		if (!dp->skel || !bpf_map__is_pinned(m->map) || unlink(orig) == 0)
			rename(m->path, orig);
		close(m->old_fd);
		m->old_fd = -1;
	}
	dp->n_migs = 0;
	lb_dp_close(dp);
	return err;
}

void lb_dp_close(struct lb_dp *dp)
{
	struct mfrontend *f, *ftmp;
	struct mset *s, *stmp;
	struct mbackend *b, *btmp;

	if (!dp)
		return;
	lb_dp_finish_migrations(dp);
	HASH_ITER(hh, dp->frontends, f, ftmp) {
		owner_detach(dp, f);
		HASH_DEL(dp->frontends, f);
		free(f->keep);
		free(f);
	}
	HASH_ITER(hh, dp->sets, s, stmp) {
		HASH_DELETE(hh, dp->sets, s);
		free(s->members);
		free(s);
	}
	HASH_CLEAR(hh_content, dp->sets_by_content);
	HASH_ITER(hh, dp->backends, b, btmp) {
		HASH_DELETE(hh, dp->backends, b);
		free(b);
	}
	HASH_CLEAR(hh_id, dp->backends_by_id);
	free(dp->fe_ids.bits);
	free(dp->be_ids.bits);
	free(dp->set_ids.bits);
	kbpf_lb_bpf__destroy(dp->skel);
	free(dp);
}

int lb_dp_prog_fd(struct lb_dp *dp, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(dp->skel->obj, name);

	return p ? bpf_program__fd(p) : -ENOENT;
}

int lb_dp_map_fd(struct lb_dp *dp, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(dp->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

/* --- attaching --- */

static void sysctl_set(const char *path_fmt, const char *ifname, const char *value)
{
	char path[PATH_MAX], cur[16] = "";
	FILE *f;

	if (snprintf(path, sizeof(path), path_fmt, ifname) >= (int)sizeof(path))
		return;
	f = fopen(path, "r");
	if (f) {
		if (!fgets(cur, sizeof(cur), f))
			cur[0] = 0;
		fclose(f);
	}
	if (!strncmp(cur, value, strlen(value)) && cur[strlen(value)] == '\n')
		return;
	f = fopen(path, "w");
	if (!f || fputs(value, f) < 0 || fclose(f)) {
		pr_warn("setting %s to %s: %s\n", path, value, strerror(errno));
		return;
	}
	pr_info("set %s = %s (was %.*s)\n", path, value, (int)strcspn(cur, "\n"), cur);
}

/* What a translated packet needs from the stack in this namespace (ip-sysctl.rst):
 * forwarding, no reverse-path check against Service sources, and replies whose new
 * source is a node address accepted as input. */
static void prepare_device_sysctls(const char *ifname)
{
	sysctl_set("/proc/sys/net/ipv4/ip_forward%s", "", "1");
	sysctl_set("/proc/sys/net/ipv4/conf/%s/rp_filter", "all", "0");
	sysctl_set("/proc/sys/net/ipv4/conf/%s/rp_filter", ifname, "0");
	sysctl_set("/proc/sys/net/ipv4/conf/%s/accept_local", ifname, "1");
}

static int tc_attach(int ifindex, const char *ifname, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KBPF_TC_HANDLE, .priority = KBPF_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int err;

	libbpf_print_fn_t print;

	/* An existing clsact is fine (-EEXIST); libbpf would print the kernel's complaint. */
	print = libbpf_set_print(NULL);
	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(print);
	if (err && err != -EEXIST) {
		pr_warn("creating the clsact qdisc on %s: %s\n", ifname, strerror(-err));
		return err;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		pr_warn("attaching TC ingress on %s: %s\n", ifname, strerror(-err));
	return err;
}

static int xdp_link_create(int prog_fd, int ifindex, const char *ifname, enum lb_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd;

	opts.flags = mode == LB_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd < 0 && mode == LB_XDP_AUTO && errno != EBUSY && errno != EEXIST) {
		pr_info("native XDP not available on %s (%s): using generic XDP\n", ifname,
			strerror(errno));
		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	}
	if (fd < 0) {
		int err = -errno;

		if (errno == EBUSY || errno == EEXIST)
			pr_warn("another XDP program is attached to %s; kbpf does not replace programs it did not attach\n",
				ifname);
		else
			pr_warn("attaching XDP to %s: %s\n", ifname, strerror(errno));
		return err;
	}
	return fd;
}

int lb_dp_attach_device(struct lb_dp *dp, const char *ifname, enum lb_xdp_mode mode)
{
	int ifindex = if_nametoindex(ifname);
	int prog_fd = bpf_program__fd(dp->skel->progs.kbpf_xdp_dev);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char pin[PATH_MAX];
	int fd, err;

	if (!ifindex) {
		pr_warn("device %s: %s\n", ifname, strerror(errno));
		return -ENODEV;
	}
	if (pathf(pin, sizeof(pin), "%s/links/xdp_%s", dp->root, ifname))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(pin);
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.xdp.ifindex == (__u32)ifindex) {
			/* Restart: swap the program under the running link, no gap. */
			err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
			close(fd);
			if (err) {
				pr_warn("updating the XDP link of %s: %s\n", ifname, strerror(-err));
				return err;
			}
			pr_info("XDP on %s: program replaced in its pinned link\n", ifname);
			goto tc;
		}
		/* The device went away and came back: that link is dead. */
		close(fd);
		unlink(pin);
	}
	fd = xdp_link_create(prog_fd, ifindex, ifname, mode);
	if (fd < 0)
		return fd;
	if (bpf_obj_pin(fd, pin)) {
		err = -errno;
		pr_warn("pinning the XDP link of %s at %s: %s\n", ifname, pin, strerror(errno));
		close(fd);
		return err;
	}
	close(fd);
	pr_info("XDP attached to %s, link pinned at %s\n", ifname, pin);
tc:
	prepare_device_sysctls(ifname);
	return tc_attach(ifindex, ifname, bpf_program__fd(dp->skel->progs.kbpf_tc_dev));
}

int lb_dp_attach_pod(struct lb_dp *dp, const char *ifname)
{
	int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		pr_warn("device %s: %s\n", ifname, strerror(errno));
		return -ENODEV;
	}
	prepare_device_sysctls(ifname);
	return tc_attach(ifindex, ifname, bpf_program__fd(dp->skel->progs.kbpf_tc_pod));
}

/* --- removal --- */

static bool prog_is_ours(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, "kbpf_", 5);
	close(fd);
	return ours;
}

int lb_dp_remove(const char *root)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	/* TC filters of ours in this namespace (handle, priority and program name). Devices
	 * without clsact make libbpf complain: those complaints say nothing here. */
	libbpf_print_fn_t print = libbpf_set_print(NULL);

	for (it = ifs; it && it->if_index; it++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = it->if_index,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KBPF_TC_HANDLE,
			    .priority = KBPF_TC_PRIORITY);

		if (bpf_tc_query(&hook, &opts) || !prog_is_ours(opts.prog_id))
			continue;
		opts.prog_id = 0;
		opts.prog_fd = 0;
		opts.flags = 0;
		if (!bpf_tc_detach(&hook, &opts))
			pr_info("TC filter removed from %s\n", it->if_name);
	}
	libbpf_set_print(print);
	if (ifs)
		if_freenameindex(ifs);

	if (pathf(path, sizeof(path), "%s/links", root))
		return -ENAMETOOLONG;
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		if (pathf(path, sizeof(path), "%s/links/%s", root, de->d_name))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		unlink(path);
	}
	if (dir)
		closedir(dir);
	if (!pathf(path, sizeof(path), "%s/links", root))
		rmdir(path);
	dir = opendir(root);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (!pathf(path, sizeof(path), "%s/%s", root, de->d_name))
			unlink(path);
	}
	if (dir)
		closedir(dir);
	if (rmdir(root) && errno != ENOENT) {
		pr_warn("removing %s: %s\n", root, strerror(errno));
		return -errno;
	}
	return 0;
}

static const char *const metric_names[M_MAX] = {
	[M_PASS_NOT_IPV4] = "pass_not_ipv4",
	[M_PASS_OTHER_PROTO] = "pass_other_protocol",
	[M_PASS_NO_SERVICE] = "pass_no_service",
	[M_PASS_CLUSTERIP_EXT] = "pass_clusterip_from_outside",
	[M_DROP_MALFORMED] = "drop_malformed",
	[M_FWD_NEW] = "forward_new_flow",
	[M_FWD_ESTABLISHED] = "forward_established",
	[M_REV_NAT] = "reverse_nat",
	[M_ICMP_REV_NAT] = "icmp_error_reverse_nat",
	[M_REJECT] = "reject_no_endpoints",
	[M_DROP_NO_LOCAL] = "drop_no_local_endpoint",
	[M_DROP_REJECT_FAILED] = "drop_reject_failed",
	[M_FRAG_TRACKED] = "fragment_translated",
	[M_FRAG_MISS] = "pass_fragment_untracked",
	[M_DROP_CT_FULL] = "drop_conntrack_full",
	[M_DROP_SNAT_EXHAUSTED] = "drop_snat_ports_exhausted",
	[M_BACKEND_GONE] = "backend_gone_reselected",
	[M_PASS_ICMP] = "pass_icmp",
	[M_REJECT_MARKED] = "reject_marked_by_xdp",
};

const char *lb_metric_name(unsigned int m)
{
	return m < M_MAX && metric_names[m] ? metric_names[m] : "unknown";
}
