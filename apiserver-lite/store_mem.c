/* store_mem.c — a backend that keeps nothing: the store's in-memory state is all there is.
 * For tests and the fuzzer, which need the API's semantics without a disk. */
#include <stdlib.h>

#include "store_mem.h"

static int mem_load(void *be, int64_t *rev,
		    int (*add)(void *ctx, const char *key, const char *val, size_t len,
			       int64_t create_rev, int64_t mod_rev),
		    void *ctx)
{
	(void)be;
	(void)add;
	(void)ctx;
	*rev = 0;
	return 0;
}

static int mem_put(void *be, int64_t rev, const char *key, const char *val, size_t len,
		   int64_t create_rev, int64_t prev_rev)
{
	(void)be;
	(void)rev;
	(void)key;
	(void)val;
	(void)len;
	(void)create_rev;
	(void)prev_rev;
	return 0;
}

static void mem_close(void *be)
{
	(void)be;
}

void store_mem_backend(struct store_backend *out)
{
	*out = (struct store_backend){ .load = mem_load, .put = mem_put, .close = mem_close };
}
