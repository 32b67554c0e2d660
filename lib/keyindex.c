/* keyindex.c — sets of object keys under index keys, on uthash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "keyindex.h"

struct member {
	char *key;
	UT_hash_handle hh;
};

struct keyindex_bucket {
	char *ikey;
	struct member *members;
	UT_hash_handle hh;
};

static struct keyindex_bucket *find(const struct keyindex *x, const char *ikey)
{
	struct keyindex_bucket *b;

	HASH_FIND_STR(x->buckets, ikey, b);
	return b;
}

int keyindex_add(struct keyindex *x, const char *ikey, const char *key)
{
	struct keyindex_bucket *b = find(x, ikey);
	struct member *m;

	if (!b) {
		if (!(b = calloc(1, sizeof(*b))) || !(b->ikey = strdup(ikey))) {
			free(b);
			return -ENOMEM;
		}
		HASH_ADD_KEYPTR(hh, x->buckets, b->ikey, strlen(b->ikey), b);
	}
	HASH_FIND_STR(b->members, key, m);
	if (m)
		return 0;
	if (!(m = calloc(1, sizeof(*m))) || !(m->key = strdup(key))) {
		free(m);
		if (!b->members) {
			HASH_DEL(x->buckets, b);
			free(b->ikey);
			free(b);
		}
		return -ENOMEM;
	}
	HASH_ADD_KEYPTR(hh, b->members, m->key, strlen(m->key), m);
	return 0;
}

static void drop_member(struct keyindex_bucket *b, struct member *m)
{
	HASH_DEL(b->members, m);
	free(m->key);
	free(m);
}

void keyindex_del(struct keyindex *x, const char *ikey, const char *key)
{
	struct keyindex_bucket *b = find(x, ikey);
	struct member *m;

	if (!b)
		return;
	HASH_FIND_STR(b->members, key, m);
	if (m)
		drop_member(b, m);
	if (!b->members) {
		HASH_DEL(x->buckets, b);
		free(b->ikey);
		free(b);
	}
}

size_t keyindex_count(const struct keyindex *x, const char *ikey)
{
	struct keyindex_bucket *b = find(x, ikey);

	return b ? HASH_COUNT(b->members) : 0;
}

char **keyindex_keys(const struct keyindex *x, const char *ikey, size_t *n_out)
{
	struct keyindex_bucket *b = find(x, ikey);
	struct member *m, *tmp;
	char **keys;
	size_t n = 0;

	*n_out = 0;
	if (!b || !(keys = calloc(HASH_COUNT(b->members), sizeof(*keys))))
		return NULL;
	HASH_ITER(hh, b->members, m, tmp)
		if ((keys[n] = strdup(m->key)))
			n++;
	*n_out = n;
	return keys;
}

void keyindex_keys_free(char **keys, size_t n)
{
	while (n)
		free(keys[--n]);
	free(keys);
}

void keyindex_free(struct keyindex *x)
{
	struct keyindex_bucket *b, *tmp;

	HASH_ITER(hh, x->buckets, b, tmp) {
		while (b->members)
			drop_member(b, b->members);
		HASH_DEL(x->buckets, b);
		free(b->ikey);
		free(b);
	}
}
