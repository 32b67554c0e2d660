/* store.h — the apiserver's storage in the etcd model: one global revision, per-key create
 * and mod revisions, optimistic concurrency, and an in-memory copy of every current object
 * with a ring of recent events that serves lists and watches. Durability comes from a
 * backend (SQLite today, etcd v3 later) behind struct store_backend. */
#ifndef KBPF_STORE_H
#define KBPF_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An object as stored: immutable once published and reference-counted, so that lists and
 * watch events hold it without copying and without holding the store's lock.
 */
struct sobj {
	char *key;          /* "<resource>/<namespace>/<name>" or "<resource>/<name>" */
	char *json;         /* the serialized object, resourceVersion included */
	size_t len;
	int64_t create_rev;
	int64_t mod_rev;
	void *meta;         /* per-object data of the API layer (labels, fields), freed by it */
	int refs;           /* atomic */
};

void sobj_get(struct sobj *o);
void sobj_put(struct sobj *o);

enum store_event_type { EV_ADDED = 0, EV_MODIFIED, EV_DELETED };

/* One change. For deletions obj is the object as it was, with the deletion's revision. */
struct store_event {
	int64_t rev;
	enum store_event_type type;
	struct sobj *obj;  /* new state (or last state, deleted) */
	struct sobj *prev; /* state before a modification or deletion, NULL for additions */
};

/* Durable storage. Called with the store's write lock held: one writer at a time. */
struct store_backend {
	/* Hand every current key to add (in any order); set *rev to the current revision. */
	int (*load)(void *be, int64_t *rev,
		    int (*add)(void *ctx, const char *key, const char *val, size_t len,
			       int64_t create_rev, int64_t mod_rev),
		    void *ctx);
	/* Persist one change at revision rev; val NULL means deletion. Durable on return. */
	int (*put)(void *be, int64_t rev, const char *key, const char *val, size_t len,
		   int64_t create_rev, int64_t prev_rev);
	/* Forget history at and below rev (current values stay); give space back. */
	int (*compact)(void *be, int64_t rev);
	int64_t (*size_bytes)(void *be);
	void (*close)(void *be);
	void *be;
};

/* Precondition of a write: the key's current mod revision must equal expect (0: must not
 * exist; STORE_ANY: no condition). */
#define STORE_ANY (-1)

struct store;

/* Filled in for the API layer: make per-object data (labels, field values) of a new
 * object; free it. Called under the store's lock; must be quick. */
struct store_hooks {
	void *(*make_meta)(const char *key, const char *json, size_t len);
	void (*free_meta)(void *meta);
};

int store_open(struct store_backend *backend, const struct store_hooks *hooks,
	       size_t ring_size, struct store **out);
void store_close(struct store *s);

/* Current revision. */
int64_t store_rev(struct store *s);

/* The current object under key, with a reference (sobj_put it), or NULL. */
struct sobj *store_get(struct store *s, const char *key);

/*
 * Write the object built by build() from the current one (NULL if absent) at the next
 * revision: build gets the current object and the revision the write will have, and
 * returns the new JSON (malloc'd), or NULL with *err set (a negative errno or an
 * API-layer code) to abandon the write. Runs under the write lock, so read-modify-write
 * cycles (patch, status updates, deletions with finalizers) are atomic.
 * expect: see STORE_ANY. Returns 0 and the new object (referenced) in *out, or:
 * -EEXIST (expect 0 but present), -ENOENT (absent, expect != 0), -ESTALE (mod rev differs),
 * the build error, or a backend error. A build that has the object parsed anyway may hand
 * its per-object data in *meta (else the store calls make_meta on the text).
 */
typedef char *(*store_build_fn)(void *ctx, const struct sobj *cur, int64_t rev, int *err,
				void **meta);
int store_write(struct store *s, const char *key, int64_t expect, store_build_fn build,
		void *ctx, struct sobj **out);
/* Delete key if its mod revision matches expect (STORE_ANY: unconditionally). tomb, if
 * given, makes the text of the deleted object as the DELETED event carries it (from the
 * current object and the deletion's revision); else the current text is used. The deleted
 * object is returned (referenced) in *out when out is not NULL. */
int store_delete(struct store *s, const char *key, int64_t expect, store_build_fn tomb,
		 void *ctx, struct sobj **out);

/*
 * Snapshot of every current object whose key starts with prefix, sorted by key, starting
 * after `after` (for continue tokens; NULL from the start). Each referenced; the array is
 * the caller's (store_list_free). *rev is the revision the snapshot reflects.
 */
int store_list(struct store *s, const char *prefix, const char *after, struct sobj ***objs,
	       size_t *n, int64_t *rev);
void store_list_free(struct sobj **objs, size_t n);
/*
 * One page of a list: the first max objects (in key order) under prefix, after `after`,
 * that keep() accepts (NULL: all); *more says whether accepted objects remain beyond the
 * page. O(N log max) per page where store_list would sort the whole rest of the
 * collection, which made a paged list of N objects cost O(N² log N / max).
 */
int store_list_page(struct store *s, const char *prefix, const char *after, size_t max,
		    bool (*keep)(const struct sobj *o, void *ctx), void *ctx,
		    struct sobj ***objs, size_t *n, bool *more, int64_t *rev);
/* Number of objects under prefix. */
size_t store_count(struct store *s, const char *prefix);

/*
 * Events after revision `from` with keys under prefix, at most max, waiting up to
 * timeout_ms for the first one. Returns the number copied (each referenced: release with
 * store_events_release), 0 on timeout, or -ERANGE when from is older than the ring
 * holds (the client must list again: 410 Expired).
 */
int store_events(struct store *s, int64_t from, const char *prefix, struct store_event *out,
		 int max, int timeout_ms);
void store_events_release(struct store_event *ev, int n);
/* Oldest revision from which a watch can start. */
int64_t store_oldest_watchable(struct store *s);

/* Forget durable history older than keep revisions behind the current one. */
int store_compact(struct store *s, int64_t keep);
int64_t store_size_bytes(struct store *s);

/* Wake every store_events waiter (shutdown). */
void store_wake(struct store *s);

#endif /* KBPF_STORE_H */
