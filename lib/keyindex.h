/* keyindex.h — an index of object keys ("namespace/name") under index keys: pods by
 * label, slices by Service, objects by owner. Sets, not lists: a key is under an index
 * key at most once. Not locked: the caller serialises access. */
#ifndef KBPF_KEYINDEX_H
#define KBPF_KEYINDEX_H

#include <stddef.h>

struct keyindex_bucket;

struct keyindex {
	struct keyindex_bucket *buckets; /* zero-initialised: empty */
};

/* Put key under ikey; 0 or -ENOMEM. */
int keyindex_add(struct keyindex *x, const char *ikey, const char *key);
/* Take key from under ikey (a no-op when it is not there). */
void keyindex_del(struct keyindex *x, const char *ikey, const char *key);
/* How many keys are under ikey. */
size_t keyindex_count(const struct keyindex *x, const char *ikey);
/* A copy of the keys under ikey (*n of them; NULL when none or out of memory); free
 * with keyindex_keys_free. */
char **keyindex_keys(const struct keyindex *x, const char *ikey, size_t *n);
void keyindex_keys_free(char **keys, size_t n);
/* Empty the index. */
void keyindex_free(struct keyindex *x);

#endif /* KBPF_KEYINDEX_H */
