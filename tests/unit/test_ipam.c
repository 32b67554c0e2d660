/* test_ipam.c — unit tests of the address allocators of node IPAM and LoadBalancer IPAM
 * (controllers/ipam.c) and of the pure rules of the node lifecycle controller
 * (controllers/nodelifecycle.c): toleration matching, eviction deadlines, zone states. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../controllers/ipam.h"
#include "../../controllers/nodelifecycle.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Test JSON with single quotes (no test string needs an apostrophe). */
static json_t *js(const char *src)
{
	json_error_t jerr;
	char *text = strdup(src), *p;
	json_t *v;

	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(text, JSON_DECODE_ANY, &jerr);
	free(text);
	if (!v)
		fail_msg("test JSON %d:%d: %s", jerr.line, jerr.column, jerr.text);
	return v;
}

static uint32_t ip4(const char *s)
{
	uint32_t ip = 0;

	assert_int_equal(ipam_parse_ip4(s, &ip), 0);
	return ip;
}

/* --- bitmap --- */

static void test_bitmap_find_free(void **state)
{
	struct ipam_bitmap b;
	uint32_t i;

	(void)state;
	assert_int_equal(ipam_bitmap_init(&b, 130), 0);
	assert_int_equal(ipam_bitmap_find_free(&b, 0), 0);
	for (i = 0; i < 130; i++)
		ipam_bitmap_set(&b, i);
	assert_int_equal(b.used, 130);
	assert_int_equal(ipam_bitmap_find_free(&b, 0), -ENOSPC);
	ipam_bitmap_set(&b, 5); /* twice: still counted once */
	assert_int_equal(b.used, 130);
	ipam_bitmap_clear(&b, 64);
	ipam_bitmap_clear(&b, 129);
	assert_int_equal(b.used, 128);
	assert_int_equal(ipam_bitmap_find_free(&b, 0), 64);
	assert_int_equal(ipam_bitmap_find_free(&b, 65), 129);
	/* wraps around; from past the end starts at 0 */
	ipam_bitmap_set(&b, 129);
	assert_int_equal(ipam_bitmap_find_free(&b, 100), 64);
	assert_int_equal(ipam_bitmap_find_free(&b, 1000), 64);
	assert_false(ipam_bitmap_test(&b, 1000));
	ipam_bitmap_set(&b, 1000); /* out of range: ignored */
	assert_int_equal(b.used, 129);
	ipam_bitmap_free(&b);
}

/* --- parsing --- */

static void test_parse_cidr4(void **state)
{
	static const struct {
		const char *in;
		int ret;
		const char *net;
		int prefix;
	} cases[] = {
		{ "10.244.0.0/16", 0, "10.244.0.0", 16 },
		{ "10.244.3.7/24", 0, "10.244.3.0", 24 }, /* host bits masked off */
		{ "0.0.0.0/0", 0, "0.0.0.0", 0 },
		{ "10.1.2.3/32", 0, "10.1.2.3", 32 },
		{ "10.244.0.0/33", -EINVAL, NULL, 0 },
		{ "10.244.0.0/-1", -EINVAL, NULL, 0 },
		{ "10.244.0.0/", -EINVAL, NULL, 0 },
		{ "10.244.0.0/1x", -EINVAL, NULL, 0 },
		{ "10.244.0.0", -EINVAL, NULL, 0 },
		{ "10.244.0/16", -EINVAL, NULL, 0 },
		{ "fd00::/64", -EINVAL, NULL, 0 },
		{ "", -EINVAL, NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t net = 0;
		int prefix = -1, ret = ipam_parse_cidr4(cases[i].in, &net, &prefix);
		char buf[32];

		if (ret != cases[i].ret)
			fail_msg("%s: %d, expected %d", cases[i].in, ret, cases[i].ret);
		if (ret)
			continue;
		ipam_format_ip4(net, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].net);
		assert_int_equal(prefix, cases[i].prefix);
	}
	assert_int_equal(ipam_parse_cidr4(NULL, NULL, NULL), -EINVAL);
}

/* --- cidrset (node IPAM) --- */

static void test_cidrset_init(void **state)
{
	static const struct {
		const char *cidr;
		int mask;
		uint32_t size;   /* 0: refused */
		const char *err; /* part of the message */
	} cases[] = {
		{ "10.244.0.0/16", 24, 256, NULL },
		{ "10.244.0.0/22", 24, 4, NULL },
		{ "10.244.0.0/24", 24, 1, NULL },
		{ "10.0.0.0/8", 24, 65536, NULL },
		{ "10.0.0.0/8", 25, 0, "more than 2^16 subnets" },
		{ "10.244.0.0/24", 16, 0, "does not fit" },
		{ "10.244.0.0/24", 33, 0, "does not fit" },
		{ "banana", 24, 0, "banana is not an IPv4 CIDR" },
		{ "fd00::/48", 64, 0, "not an IPv4 CIDR" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ipam_cidrset s;
		char err[256] = "";
		int ret = ipam_cidrset_init(&s, cases[i].cidr, cases[i].mask, err, sizeof(err));

		if (!cases[i].size) {
			if (ret != -EINVAL || !strstr(err, cases[i].err))
				fail_msg("%s /%d: %d \"%s\", expected -EINVAL \"%s\"", cases[i].cidr,
					 cases[i].mask, ret, err, cases[i].err);
			continue;
		}
		if (ret)
			fail_msg("%s /%d: %s", cases[i].cidr, cases[i].mask, err);
		assert_int_equal(ipam_cidrset_size(&s), cases[i].size);
		ipam_cidrset_free(&s);
	}
}

static void test_cidrset_allocate(void **state)
{
	static const char *const want[] = { "10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24",
					    "10.244.3.0/24" };
	struct ipam_cidrset s;
	char err[256], buf[32];
	size_t i;

	(void)state;
	assert_int_equal(ipam_cidrset_init(&s, "10.244.0.0/22", 24, err, sizeof(err)), 0);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		int64_t idx = ipam_cidrset_allocate(&s);

		assert_int_equal(idx, i);
		ipam_cidrset_format(&s, (uint32_t)idx, buf, sizeof(buf));
		assert_string_equal(buf, want[i]);
	}
	assert_int_equal(ipam_cidrset_allocate(&s), -ENOSPC);
	/* Released subnets come back in turn, not the last released first (cidrset's
	 * AllocateNext): 3 is after where the last search ended. */
	ipam_bitmap_clear(&s.map, 1);
	ipam_bitmap_clear(&s.map, 3);
	assert_int_equal(ipam_cidrset_allocate(&s), 1);
	assert_int_equal(ipam_cidrset_allocate(&s), 3);
	assert_int_equal(ipam_cidrset_allocate(&s), -ENOSPC);
	ipam_cidrset_free(&s);
}

static void test_cidrset_span(void **state)
{
	static const struct {
		const char *cidr;
		int ret;
		uint32_t first, last;
	} cases[] = {
		{ "10.244.0.0/24", 0, 0, 0 },
		{ "10.244.5.0/24", 0, 5, 5 },
		{ "10.244.5.128/25", 0, 5, 5 },   /* smaller: the subnet holding it */
		{ "10.244.4.0/22", 0, 4, 7 },     /* larger: every subnet inside it */
		{ "10.244.255.0/24", 0, 255, 255 },
		{ "10.245.0.0/24", -ERANGE, 0, 0 }, /* outside */
		{ "10.0.0.0/8", -ERANGE, 0, 0 },    /* holds the cluster CIDR */
		{ "10.244.0/24", -EINVAL, 0, 0 },
	};
	struct ipam_cidrset s;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(ipam_cidrset_init(&s, "10.244.0.0/16", 24, err, sizeof(err)), 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t first = 99, last = 99;
		int ret = ipam_cidrset_span(&s, cases[i].cidr, &first, &last);

		if (ret != cases[i].ret || (!ret && (first != cases[i].first || last != cases[i].last)))
			fail_msg("%s: %d [%u, %u], expected %d [%u, %u]", cases[i].cidr, ret, first,
				 last, cases[i].ret, cases[i].first, cases[i].last);
	}
	ipam_cidrset_free(&s);
}

/* --- pools (LoadBalancer IPAM) --- */

static void test_pool_parse(void **state)
{
	static const struct {
		const char *spec;
		uint32_t size;   /* 0: refused */
		size_t n_ranges;
		const char *err;
	} cases[] = {
		{ "10.99.0.200-10.99.0.250", 51, 1, NULL },
		{ "10.99.0.0/28", 16, 1, NULL },         /* network and broadcast included */
		{ "10.99.0.7", 1, 1, NULL },
		{ "10.99.0.5-10.99.0.5", 1, 1, NULL },
		{ " 10.99.1.0/30 , 10.99.0.1-10.99.0.2", 6, 2, NULL },
		{ "10.99.0.0/30,10.99.0.4/30", 8, 2, NULL }, /* adjacent, not overlapping */
		{ "10.0.0.0/8", 1u << 24, 1, NULL },  /* the largest pool */
		{ "10.0.0.0/7", 0, 0, "at most" },
		{ "10.99.0.250-10.99.0.200", 0, 0, "ends before it starts" },
		{ "10.99.0.0/28,10.99.0.15", 0, 0, "10.99.0.15 twice" },
		{ "10.99.0.1-banana", 0, 0, "not a range" },
		{ "10.99.0.0/40", 0, 0, "not an IPv4 CIDR" },
		{ "pool", 0, 0, "neither" },
		{ "", 0, 0, "no addresses" },
		{ " , ", 0, 0, "no addresses" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ipam_pool p;
		char err[256] = "";
		int ret = ipam_pool_parse(&p, cases[i].spec, err, sizeof(err));

		if (!cases[i].size) {
			if (ret != -EINVAL || !strstr(err, cases[i].err))
				fail_msg("\"%s\": %d \"%s\", expected -EINVAL \"%s\"", cases[i].spec, ret,
					 err, cases[i].err);
			continue;
		}
		if (ret)
			fail_msg("\"%s\": %s", cases[i].spec, err);
		assert_int_equal(p.map.size, cases[i].size);
		assert_int_equal(p.n_ranges, cases[i].n_ranges);
		ipam_pool_free(&p);
	}
}

static void test_pool_slots(void **state)
{
	static const struct {
		const char *ip;
		int64_t slot; /* -ENOENT: not in the pool */
	} cases[] = {
		{ "10.99.0.1", 0 },  { "10.99.0.2", 1 },  { "10.99.1.0", 2 },
		{ "10.99.1.3", 5 },  { "10.99.0.3", -ENOENT }, { "10.99.1.4", -ENOENT },
		{ "0.0.0.0", -ENOENT },
	};
	struct ipam_pool p;
	char err[256], buf[32];
	size_t i;

	(void)state;
	/* Given out of order: the ranges are sorted, slots count range after range. */
	assert_int_equal(ipam_pool_parse(&p, "10.99.1.0/30,10.99.0.1-10.99.0.2", err, sizeof(err)),
			 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t slot = ipam_pool_slot(&p, ip4(cases[i].ip));

		if (slot != cases[i].slot)
			fail_msg("%s: slot %lld, expected %lld", cases[i].ip, (long long)slot,
				 (long long)cases[i].slot);
		if (slot < 0)
			continue;
		ipam_format_ip4(ipam_pool_ip(&p, (uint32_t)slot), buf, sizeof(buf));
		assert_string_equal(buf, cases[i].ip);
	}
	/* The lowest free address first. */
	ipam_bitmap_set(&p.map, 0);
	assert_int_equal(ipam_pool_allocate(&p), 1);
	assert_int_equal(ipam_pool_allocate(&p), 2);
	ipam_bitmap_clear(&p.map, 0);
	assert_int_equal(ipam_pool_allocate(&p), 0);
	assert_int_equal(ipam_pool_allocate(&p), 3);
	assert_int_equal(ipam_pool_allocate(&p), 4);
	assert_int_equal(ipam_pool_allocate(&p), 5);
	assert_int_equal(ipam_pool_allocate(&p), -ENOSPC);
	ipam_pool_free(&p);
}

/* --- node lifecycle rules --- */

static void test_tolerates(void **state)
{
	static const struct {
		const char *toleration, *taint;
		bool tolerated;
	} cases[] = {
		/* Equal (the default) wants the same value */
		{ "{'key':'k','value':'v','effect':'NoExecute'}",
		  "{'key':'k','value':'v','effect':'NoExecute'}", true },
		{ "{'key':'k','operator':'Equal','value':'v'}",
		  "{'key':'k','value':'w','effect':'NoExecute'}", false },
		{ "{'key':'k','operator':'Equal'}", "{'key':'k','effect':'NoExecute'}", true },
		/* Exists: any value; no key: any key; no effect: any effect */
		{ "{'key':'k','operator':'Exists'}", "{'key':'k','value':'x','effect':'NoSchedule'}",
		  true },
		{ "{'operator':'Exists'}", "{'key':'any','value':'x','effect':'NoExecute'}", true },
		{ "{'operator':'Exists','effect':'NoSchedule'}", "{'key':'a','effect':'NoExecute'}", false },
		{ "{'key':'node.kubernetes.io/unreachable','operator':'Exists','effect':'NoExecute',"
		  "'tolerationSeconds':300}",
		  "{'key':'node.kubernetes.io/not-ready','effect':'NoExecute'}", false },
		{ "{'key':'k','operator':'Exists','effect':''}", "{'key':'k','effect':'NoExecute'}", true },
		{ "{'key':'k','operator':'Bogus'}", "{'key':'k','effect':'NoExecute'}", false },
		/* kube's ToleratesTaint: no key and Equal match any key without a value (the
		 * apiserver refuses such a toleration; the rule itself lets it through) */
		{ "{}", "{'key':'k','effect':'NoExecute'}", true },
		{ "{}", "{'key':'k','value':'v','effect':'NoExecute'}", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *tol = js(cases[i].toleration), *taint = js(cases[i].taint);

		if (nl_tolerates(tol, taint) != cases[i].tolerated)
			fail_msg("%s vs %s: expected %s", cases[i].toleration, cases[i].taint,
				 cases[i].tolerated ? "tolerated" : "not tolerated");
		json_decref(tol);
		json_decref(taint);
	}
}

#define KEY_UR "'key':'node.kubernetes.io/unreachable'"
#define KEY_NR "'key':'node.kubernetes.io/not-ready'"
#define NOEXEC "'effect':'NoExecute'"
#define UNREACH "{" KEY_UR "," NOEXEC ",'timeAdded':'2026-01-01T00:00:00Z'}"
#define NOTREADY "{" KEY_NR "," NOEXEC "}"
#define CUSTOM "{'key':'dedicated','value':'db'," NOEXEC "}"
/* Tolerations of those, s: ",'tolerationSeconds':N" or "" */
#define TOL_UR(s) "{" KEY_UR ",'operator':'Exists'," NOEXEC s "}"
#define TOL_NR(s) "{" KEY_NR ",'operator':'Exists'," NOEXEC s "}"
#define SECS(n) ",'tolerationSeconds':" #n

static void test_eviction_deadline(void **state)
{
	static const struct {
		const char *what, *tolerations, *taints;
		bool evicted;
		double after; /* seconds after since */
	} cases[] = {
		{ "no taint", "[]", "[]", false, 0 },
		{ "no toleration", "[]", "[" UNREACH "]", true, 0 },
		{ "not tolerated", "[" TOL_NR(SECS(300)) "]", "[" UNREACH "]", true, 0 },
		{ "kube's default tolerations", "[" TOL_NR(SECS(300)) "," TOL_UR(SECS(300)) "]",
		  "[" UNREACH "]", true, 300 },
		{ "for ever", "[" TOL_UR("") "]", "[" UNREACH "]", false, 0 },
		{ "everything for ever", "[{'operator':'Exists'}]", "[" UNREACH "," CUSTOM "]", false,
		  0 },
		{ "the smallest of the tolerations used", "[" TOL_UR(SECS(60)) "," TOL_NR(SECS(20)) "]",
		  "[" UNREACH "," NOTREADY "]", true, 20 },
		{ "a bounded one wins over one for ever", "[" TOL_UR("") "," TOL_NR(SECS(20)) "]",
		  "[" UNREACH "," NOTREADY "]", true, 20 },
		{ "the first matching toleration counts", "[" TOL_UR(SECS(5)) ",{'operator':'Exists'}]",
		  "[" UNREACH "]", true, 5 },
		{ "tolerationSeconds 0", "[" TOL_UR(SECS(0)) "]", "[" UNREACH "]", true, 0 },
		{ "tolerationSeconds < 0", "[" TOL_UR(SECS(-5)) "," TOL_NR("") "]",
		  "[" NOTREADY "," UNREACH "]", true, 0 },
		{ "one of two taints not tolerated", "[" TOL_UR("") "]", "[" UNREACH "," CUSTOM "]", true,
		  0 },
		{ "a value to match",
		  "[{'key':'dedicated','value':'db'," NOEXEC SECS(7) "}]", "[" CUSTOM "]", true, 7 },
	};
	const double since = 1000000.5;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *tols = js(cases[i].tolerations), *taints = js(cases[i].taints);
		double deadline = -1;
		bool evicted = nl_eviction_deadline(tols, taints, since, &deadline);

		if (evicted != cases[i].evicted || (evicted && deadline != since + cases[i].after))
			fail_msg("%s: %s at since+%g, expected %s at since+%g", cases[i].what,
				 evicted ? "evicted" : "stays", deadline - since,
				 cases[i].evicted ? "evicted" : "stays", cases[i].after);
		json_decref(tols);
		json_decref(taints);
	}
}

static void test_zone_state(void **state)
{
	static const struct {
		int ready, not_ready;
		enum nl_zone_state state;
	} cases[] = {
		{ 0, 0, NL_ZONE_NORMAL },    { 5, 0, NL_ZONE_NORMAL },  { 0, 1, NL_ZONE_FULL },
		{ 0, 10, NL_ZONE_FULL },     { 1, 2, NL_ZONE_NORMAL },  /* not more than two */
		{ 2, 3, NL_ZONE_PARTIAL },   /* 60% */
		{ 3, 3, NL_ZONE_NORMAL },    /* 50% < 55% */
		{ 9, 11, NL_ZONE_PARTIAL },  /* exactly 55% */
		{ 1, 3, NL_ZONE_PARTIAL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (nl_zone_state(cases[i].ready, cases[i].not_ready) != cases[i].state)
			fail_msg("%d ready, %d not: state %d, expected %d", cases[i].ready,
				 cases[i].not_ready, nl_zone_state(cases[i].ready, cases[i].not_ready),
				 cases[i].state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_find_free),  cmocka_unit_test(test_parse_cidr4),
		cmocka_unit_test(test_cidrset_init),      cmocka_unit_test(test_cidrset_allocate),
		cmocka_unit_test(test_cidrset_span),      cmocka_unit_test(test_pool_parse),
		cmocka_unit_test(test_pool_slots),        cmocka_unit_test(test_tolerates),
		cmocka_unit_test(test_eviction_deadline), cmocka_unit_test(test_zone_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
