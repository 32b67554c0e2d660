/* test_keyindex.c — unit tests of keyindex: sets of object keys under index keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "keyindex.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_add_del(void **state)
{
	struct keyindex x = { 0 };
	char **keys;
	size_t n;

	(void)state;
	assert_int_equal(keyindex_add(&x, "ns\x1f" "app=web", "ns/a"), 0);
	assert_int_equal(keyindex_add(&x, "ns\x1f" "app=web", "ns/b"), 0);
	assert_int_equal(keyindex_add(&x, "ns\x1f" "app=web", "ns/a"), 0); /* a set */
	assert_int_equal(keyindex_add(&x, "other", "ns/a"), 0);
	assert_int_equal(keyindex_count(&x, "ns\x1f" "app=web"), 2);
	assert_int_equal(keyindex_count(&x, "missing"), 0);
	keys = keyindex_keys(&x, "ns\x1f" "app=web", &n);
	assert_int_equal(n, 2);
	qsort(keys, n, sizeof(*keys), cmp_str);
	assert_string_equal(keys[0], "ns/a");
	assert_string_equal(keys[1], "ns/b");
	keyindex_keys_free(keys, n);
	assert_null(keyindex_keys(&x, "missing", &n));
	assert_int_equal(n, 0);

	keyindex_del(&x, "ns\x1f" "app=web", "ns/a");
	keyindex_del(&x, "ns\x1f" "app=web", "ns/zzz"); /* not there: no-op */
	keyindex_del(&x, "missing", "ns/a");
	assert_int_equal(keyindex_count(&x, "ns\x1f" "app=web"), 1);
	keyindex_del(&x, "ns\x1f" "app=web", "ns/b");
	assert_int_equal(keyindex_count(&x, "ns\x1f" "app=web"), 0);
	assert_int_equal(keyindex_count(&x, "other"), 1);
	keyindex_free(&x);
	assert_null(x.buckets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_del),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
