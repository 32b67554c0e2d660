/* informer.h — a list+watch cache of one kind of object, like client-go's informers: it
 * lists, then watches from the list's revision, relists when the watch is too old, keeps
 * every object in memory and tells handlers what changed. */
#ifndef KBPF_INFORMER_H
#define KBPF_INFORMER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct kclient;
struct informer;

/* Called from the informer's thread, one at a time, objects borrowed (immutable: take a
 * reference to keep one). On a relist, objects gone meanwhile are reported deleted. */
struct informer_handlers {
	void (*add)(void *ctx, const json_t *obj);
	void (*update)(void *ctx, const json_t *old, const json_t *obj);
	void (*del)(void *ctx, const json_t *obj);
	void *ctx;
};

struct informer_opts {
	const char *path;           /* collection: "/api/v1/pods", "/api/v1/namespaces/x/pods" */
	const char *label_selector; /* NULL: all */
	const char *field_selector; /* NULL: all */
	int resync_seconds;         /* > 0: update(obj, obj) for every object this often */
	int page_size;              /* list page size (0: 500) */
};

int informer_start(struct kclient *c, const struct informer_opts *o,
		   const struct informer_handlers *h, struct informer **out);

/* Shared informers (a controller manager's): create, let several users add handlers, then
 * run. Handlers are called in the order they were added. */
#define INFORMER_MAX_HANDLERS 16
int informer_new(struct kclient *c, const struct informer_opts *o, struct informer **out);
int informer_add_handlers(struct informer *inf, const struct informer_handlers *h);
int informer_run(struct informer *inf);
/* Ask the informer to stop without waiting: a process with many informers cancels them
 * all first, so their watches wind down together rather than one after another. */
void informer_cancel(struct informer *inf);
/* Stop the thread and free everything. */
void informer_stop(struct informer *inf);

/* Wait until the first list has been delivered; 0, or -ETIMEDOUT. */
int informer_wait_synced(struct informer *inf, int timeout_ms);
bool informer_synced(struct informer *inf);

/* The object under "namespace/name" (or "name" for cluster-scoped kinds), referenced
 * (json_decref it), or NULL. */
json_t *informer_get(struct informer *inf, const char *key);
/* A snapshot of every object, each referenced; free with informer_list_free. */
size_t informer_list(struct informer *inf, json_t ***out);
void informer_list_free(json_t **objs, size_t n);
/* The cache key of an object: "namespace/name" or "name". */
void informer_key(const json_t *obj, char *buf, size_t len);

#endif /* KBPF_INFORMER_H */
