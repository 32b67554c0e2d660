/* workqueue.h — a controller's queue of object keys, like client-go's rate-limited work
 * queue: a key is queued once however often it is added, is never handed to two workers
 * at once, and failed keys come back after an exponential backoff. */
#ifndef KBPF_WORKQUEUE_H
#define KBPF_WORKQUEUE_H

#include <stddef.h>

struct workqueue;

struct workqueue *wq_new(void);
/* Wake every waiter with NULL and free nothing yet; wq_free after the workers are done. */
void wq_shutdown(struct workqueue *q);
void wq_free(struct workqueue *q);

/* Queue key now (a no-op when it is already queued; re-queued after wq_done when it is
 * being processed). */
void wq_add(struct workqueue *q, const char *key);
/* Queue key in delay_ms. */
void wq_add_after(struct workqueue *q, const char *key, int delay_ms);
/* Queue key after its backoff (5 ms doubling per failure, at most 60 s). */
void wq_add_rate_limited(struct workqueue *q, const char *key);
/* Forget key's failures. */
void wq_forget(struct workqueue *q, const char *key);

/* The next key (malloc'd, the caller frees it and calls wq_done), waiting up to
 * timeout_ms (-1: forever); NULL on timeout or shutdown. */
char *wq_get(struct workqueue *q, int timeout_ms);
void wq_done(struct workqueue *q, const char *key);

/* Keys waiting now (not counting delayed ones). */
size_t wq_len(struct workqueue *q);

#endif /* KBPF_WORKQUEUE_H */
