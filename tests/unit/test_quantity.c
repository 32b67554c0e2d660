/* test_quantity.c — unit tests of quantity: Kubernetes quantities as the scheduler and kubelet read them. */
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

#include "quantity.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ERANGE_ -ERANGE /* a column value: this unit overflows int64 */

/*
 * Valid quantities: milli-units (MilliValue()) and units (Value()). Values from
 * apimachinery's quantity_test.go where it has them; -ERANGE where the result does
 * not fit an int64 in that unit.
 */
static const struct valid_case {
	const char *in;
	int64_t milli; /* or ERANGE_ */
	int64_t value; /* or ERANGE_ */
} valid_cases[] = {
	/* Zero, however written. */
	{ "0", 0, 0 },
	{ "0m", 0, 0 },
	{ "0n", 0, 0 },
	{ "0Ki", 0, 0 },
	{ "0Gi", 0, 0 },
	{ "-0", 0, 0 },
	{ "+0", 0, 0 },
	{ "000", 0, 0 },
	{ "0.000", 0, 0 },
	{ "0e2147483647", 0, 0 },
	/* Plain numbers and the cpu forms of a Pod spec. */
	{ "1", 1000, 1 },
	{ "+1", 1000, 1 },
	{ "2", 2000, 2 },
	{ "100m", 100, 1 },
	{ "250m", 250, 1 },
	{ "1000m", 1000, 1 },
	{ "1001m", 1001, 2 },
	{ "0.5", 500, 1 },
	{ "0.1", 100, 1 },
	{ "1.5", 1500, 2 },
	{ "1.", 1000, 1 },
	{ ".5", 500, 1 },
	{ ".001", 1, 1 },
	{ "9.01", 9010, 10 },
	{ "00000000000000000000000001", 1000, 1 },
	/* Decimal SI suffixes. */
	{ "5n", 1, 1 },
	{ "4u", 1, 1 },
	{ "1000000n", 1, 1 },
	{ "1000001n", 2, 1 },
	{ "3m", 3, 1 },
	{ "1k", 1000000, 1000 },
	{ "500k", 500000000, 500000 },
	{ "8.1k", 8100000, 8100 },
	{ ".0001k", 100, 1 },
	{ "100.035k", 100035000, 100035 },
	{ "10M", 10000000000LL, 10000000 },
	{ "7.123456M", 7123456000LL, 7123456 },
	{ "1.5G", 1500000000000LL, 1500000000 },
	{ "1.G", 1000000000000LL, 1000000000 },
	{ "6.987654321G", 6987654321000LL, 6987654321LL },
	{ "1T", 1000000000000000LL, 1000000000000LL },
	{ "5.444T", 5444000000000000LL, 5444000000000LL },
	{ "1P", 1000000000000000000LL, 1000000000000000LL },
	{ "2.5P", 2500000000000000000LL, 2500000000000000LL },
	{ "1E", ERANGE_, 1000000000000000000LL },
	{ "9E", ERANGE_, 9000000000000000000LL },
	{ "10E", ERANGE_, ERANGE_ },
	{ "12E", ERANGE_, ERANGE_ },
	/* Binary SI suffixes: memory. */
	{ "1Ki", 1024000, 1024 },
	{ "8Ki", 8192000, 8192 },
	{ "128Mi", 134217728000LL, 134217728 },
	{ "2Gi", 2147483648000LL, 2147483648LL },
	{ "6Gi", 6442450944000LL, 6442450944LL },
	{ "1Ti", 1099511627776000LL, 1099511627776LL },
	{ "1Pi", 1125899906842624000LL, 1125899906842624LL },
	{ "1Ei", ERANGE_, 1152921504606846976LL },
	{ "7Ei", ERANGE_, 8070450532247928832LL },
	{ "8Ei", ERANGE_, ERANGE_ },	    /* 2^63: one past int64 */
	{ "-8Ei", ERANGE_, INT64_MIN }, /* -2^63 is an int64 */
	{ "9Ei", ERANGE_, ERANGE_ },	    /* Go caps this at 2^63-1; we refuse */
	/* Fractions of binary units. */
	{ "0.5Mi", 524288000, 524288 },
	{ "1.5Gi", 1610612736000LL, 1610612736 },
	{ "100.035Ki", 102435840, 102436 },	       /* 102435.84 */
	{ "0.05Gi", 53687091200LL, 53687092 },	       /* 53687091.2 */
	{ "0.025Ti", 27487790694400LL, 27487790695LL }, /* 27487790694.4 */
	{ ".001Ki", 1024, 2 },			       /* 1.024 */
	{ ".000000001Ki", 1, 1 },		       /* 1.024e-6 */
	{ "0.000000000001Ki", 1, 1 },		       /* rounds up, as Go's 2n */
	/* Decimal exponents. */
	{ "1e3", 1000000, 1000 },
	{ "1E3", 1000000, 1000 },
	{ "1e+3", 1000000, 1000 },
	{ "1e-3", 1, 1 },
	{ "1E-3", 1, 1 },
	{ "1e007", 10000000000LL, 10000000 },
	{ "1.2e3", 1200000, 1200 },
	{ "1.3E+6", 1300000000LL, 1300000 },
	{ "1.40e9", 1400000000000LL, 1400000000 },
	{ "0.5e-2", 5, 1 },
	{ "1e14", 100000000000000000LL, 100000000000000LL },
	{ "1E18", ERANGE_, 1000000000000000000LL },
	{ "1e-9", 1, 1 },
	{ "1e-10", 1, 1 },
	{ "1e-2147483647", 1, 1 },
	{ "1e2147483647", ERANGE_, ERANGE_ },
	{ "1000000000000000000000e-21", 1000, 1 },
	/* Round up: away from zero, to the unit asked for. */
	{ "1m", 1, 1 },
	{ "1.5m", 2, 1 },
	{ "0.1m", 1, 1 },
	{ "3.001n", 1, 1 },
	{ "1.000000000000000000000000000000001", 1001, 2 },
	{ "0.0000000000000000000000000000000000000001", 1, 1 },
	/* Negative quantities are valid syntax; rounding goes away from zero. */
	{ "-1", -1000, -1 },
	{ "-100m", -100, -1 },
	{ "-1.5m", -2, -1 },
	{ "-1.5", -1500, -2 },
	{ "-1Ki", -1024000, -1024 },
	{ "-.5", -500, -1 },
	/* int64 limits, in each unit. */
	{ "9223372036854775807", ERANGE_, INT64_MAX },
	{ "9223372036854775808", ERANGE_, ERANGE_ },
	{ "-9223372036854775808", ERANGE_, INT64_MIN },
	{ "-9223372036854775809", ERANGE_, ERANGE_ },
	{ "0.9223372036854775807e19", ERANGE_, INT64_MAX },
	{ "9223372036854775807m", INT64_MAX, 9223372036854776LL },
	{ "9223372036854775808m", ERANGE_, 9223372036854776LL },
	{ "9223372036854775.807", INT64_MAX, 9223372036854776LL },
	{ "9223372036854775.808", ERANGE_, 9223372036854776LL },
	{ "-9223372036854775.808", INT64_MIN, -9223372036854776LL },
	{ "-9223372036854775.809", ERANGE_, -9223372036854776LL },
	{ "9223372036854775807000000000n", ERANGE_, INT64_MAX },
	{ "8191Pi", ERANGE_, 9222246136947933184LL },
	{ "8192Pi", ERANGE_, ERANGE_ },
	{ "8796093022207Ki", 9007199254739968000LL, 9007199254739968LL },
};

static void test_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		int64_t milli = 12345, value = 12345;
		int err;

		assert_null(quantity_parse_error(c->in));
		err = quantity_milli(c->in, &milli);
		if (c->milli == ERANGE_) {
			if (err != -ERANGE)
				fail_msg("%s: milli: got %d (%lld), want -ERANGE", c->in, err,
					 (long long)milli);
		} else if (err || milli != c->milli) {
			fail_msg("%s: milli: got %d, %lld; want %lld", c->in, err, (long long)milli,
				 (long long)c->milli);
		}
		err = quantity_value(c->in, &value);
		if (c->value == ERANGE_) {
			if (err != -ERANGE)
				fail_msg("%s: value: got %d (%lld), want -ERANGE", c->in, err,
					 (long long)value);
		} else if (err || value != c->value) {
			fail_msg("%s: value: got %d, %lld; want %lld", c->in, err, (long long)value,
				 (long long)c->value);
		}
	}
}

/* Strings Kubernetes refuses, with the error it gives. */
#define FMT "quantities must match the regular expression " \
	    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define SFX "unable to parse quantity's suffix"

static const struct invalid_case {
	const char *in;
	const char *why;
} invalid_cases[] = {
	{ "", FMT },
	{ "1.5.5", FMT },
	{ "1Q", FMT },
	{ "1,5", FMT },
	{ "0x10", FMT },
	{ "1_000", FMT },
	{ "--1", FMT },
	{ "+-1", FMT },
	{ "1.1.M", FMT },
	{ "1+1.0M", FMT },
	{ "aoeu", FMT },
	{ "1e3e3", FMT },
	{ "1e3.5", FMT },
	{ " 1", FMT },
	{ "1 ", FMT },
	{ "1 Gi", FMT },
	{ "1Gi ", FMT },
	/* No digit at all: the grammar's <number> needs one (Go lets these pass as 0). */
	{ "Gi", FMT },
	{ "Ki", FMT },
	{ "m", FMT },
	{ "e3", FMT },
	{ "-", FMT },
	{ "+", FMT },
	{ ".", FMT },
	{ "-.", FMT },
	/* The characters are suffix characters, the suffix is not one. */
	{ "1K", SFX },
	{ "1ki", SFX },
	{ "1KI", FMT }, /* I is not a suffix character */
	{ "1gi", FMT }, /* nor is g */
	{ "0.1mi", SFX },
	{ "0.1am", FMT },
	{ ".5i", SFX },
	{ "1i", SFX },
	{ "-3.01i", SFX },
	{ "-3.01e-", SFX },
	{ "1e", SFX },
	{ "1e+", SFX },
	{ "1ee3", SFX },
	{ "1Mi5", SFX },
	{ "1mm", SFX },
	{ "1e4294967297", SFX },
	{ "1e2147483648", SFX },
	{ "1e-2147483648", SFX },
};

static void test_invalid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(invalid_cases); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		const char *why = quantity_parse_error(c->in);
		int64_t v = 777;
		uint64_t bps = 777;

		if (!why || strcmp(why, c->why))
			fail_msg("\"%s\": error \"%s\", want \"%s\"", c->in, why ? why : "(none)",
				 c->why);
		if (quantity_milli(c->in, &v) != -EINVAL || quantity_value(c->in, &v) != -EINVAL ||
		    quantity_bits_per_second(c->in, &bps) != -EINVAL)
			fail_msg("\"%s\": not -EINVAL", c->in);
		/* A failed call leaves the output alone. */
		assert_int_equal(v, 777);
		assert_int_equal(bps, 777);
	}
	assert_non_null(quantity_parse_error(NULL));
}

/* JSON values as a Pod spec carries them: strings, and numbers the API also takes. */
static const struct json_case {
	const char *json;
	int milli_err;
	int64_t milli;
	int value_err;
	int64_t value;
} json_cases[] = {
	{ "\"100m\"", 0, 100, 0, 1 },
	{ "\"2Gi\"", 0, 2147483648000LL, 0, 2147483648LL },
	{ "\" 1Gi \"", 0, 1073741824000LL, 0, 1073741824 }, /* UnmarshalJSON trims */
	{ "\"\\t500m\\n\"", 0, 500, 0, 1 },
	{ "1", 0, 1000, 0, 1 },
	{ "2", 0, 2000, 0, 2 },
	{ "0.5", 0, 500, 0, 1 },
	{ "0.1", 0, 100, 0, 1 }, /* not 0.1000000000000000055... -> 101m */
	{ "0.3", 0, 300, 0, 1 },
	{ "2.5", 0, 2500, 0, 3 },
	{ "-0.5", 0, -500, 0, -1 },
	{ "1e3", 0, 1000000, 0, 1000 },
	{ "1.5e-3", 0, 2, 0, 1 },
	{ "0.0001", 0, 1, 0, 1 },
	{ "9223372036854775807", -ERANGE, 0, 0, INT64_MAX },
	{ "-9223372036854775808", -ERANGE, 0, 0, INT64_MIN },
	{ "1e300", -ERANGE, 0, -ERANGE, 0 },
	{ "null", 0, 0, 0, 0 }, /* UnmarshalJSON: null is the zero quantity */
	{ "\"\"", -EINVAL, 0, -EINVAL, 0 },
	{ "\"   \"", -EINVAL, 0, -EINVAL, 0 },
	{ "\"1Q\"", -EINVAL, 0, -EINVAL, 0 },
	{ "\"1\\u0000\"", -EINVAL, 0, -EINVAL, 0 },
	{ "true", -EINVAL, 0, -EINVAL, 0 },
	{ "{}", -EINVAL, 0, -EINVAL, 0 },
	{ "[\"1\"]", -EINVAL, 0, -EINVAL, 0 },
	/* Long but valid, with whitespace to trim: more than any stack buffer. */
	{ "\" 0.00000000000000000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000000000000000001k \"",
	  0, 1, 0, 1 },
};

static void test_json(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(json_cases); i++) {
		const struct json_case *c = &json_cases[i];
		json_error_t jerr;
		json_t *v = json_loads(c->json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		int64_t milli = 0, value = 0;
		int err;

		if (!v)
			fail_msg("test JSON %s: %s", c->json, jerr.text);
		err = quantity_json_milli(v, &milli);
		if (err != c->milli_err || (!err && milli != c->milli))
			fail_msg("%s: milli: got %d, %lld; want %d, %lld", c->json, err,
				 (long long)milli, c->milli_err, (long long)c->milli);
		err = quantity_json_value(v, &value);
		if (err != c->value_err || (!err && value != c->value))
			fail_msg("%s: value: got %d, %lld; want %d, %lld", c->json, err,
				 (long long)value, c->value_err, (long long)c->value);
		json_decref(v);
	}
	{
		int64_t v = 5;

		/* A member that is not there is not a zero request. */
		assert_int_equal(quantity_json_milli(NULL, &v), -ENOENT);
		assert_int_equal(quantity_json_value(NULL, &v), -ENOENT);
		assert_int_equal(v, 5);
	}
}

/* kubernetes.io/{in,e}gress-bandwidth: bits per second, 1k..1P as the kubelet allows. */
static const struct bw_case {
	const char *in;
	int err;
	uint64_t bps;
} bw_cases[] = {
	{ "10M", 0, 10000000 },
	{ "1G", 0, 1000000000 },
	{ "100M", 0, 100000000 },
	{ "1k", 0, 1000 },
	{ "1.2k", 0, 1200 },
	{ "1.0001k", 0, 1001 }, /* 1000.1 rounds up */
	{ "1000", 0, 1000 },
	{ "1e6", 0, 1000000 },
	{ "100Mi", 0, 104857600 },
	{ "1P", 0, 1000000000000000ULL },
	{ "999", -ERANGE, 0 },
	{ "0.5k", -ERANGE, 0 },
	{ "0", -ERANGE, 0 },
	{ "-1M", -ERANGE, 0 },
	{ "2P", -ERANGE, 0 },
	{ "1Pi", -ERANGE, 0 },
	{ "1E", -ERANGE, 0 },
	{ "100E", -ERANGE, 0 },
	{ "10 M", -EINVAL, 0 },
	{ "10Mbit", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
};

static void test_bandwidth(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bw_cases); i++) {
		const struct bw_case *c = &bw_cases[i];
		uint64_t bps = 0;
		int err = quantity_bits_per_second(c->in, &bps);

		if (err != c->err || (!err && bps != c->bps))
			fail_msg("%s: got %d, %llu; want %d, %llu", c->in, err,
				 (unsigned long long)bps, c->err, (unsigned long long)c->bps);
	}
}

/* Quantity.String() of the same value and format. */
static const struct format_case {
	int64_t milli;
	bool binary;
	const char *want;
} format_cases[] = {
	{ 0, false, "0" },
	{ 0, true, "0" },
	{ 1, false, "1m" },
	{ 100, false, "100m" },
	{ 1500, false, "1500m" },
	{ 1000, false, "1" },
	{ 2000, false, "2" },
	{ 1200000, false, "1200" },
	{ 12000000, false, "12k" },
	{ 300000000000LL, false, "300M" },
	{ 1000000000000LL, false, "1G" },
	{ 1000000000000000000LL, false, "1P" },
	{ -100, false, "-100m" },
	{ -2000, false, "-2" },
	{ INT64_MAX, false, "9223372036854775807m" },
	{ INT64_MIN, false, "-9223372036854775808m" },
	{ 1024000, true, "1Ki" },
	{ -1024000, true, "-1Ki" },
	{ 1073741824000LL, true, "1Gi" },
	{ 1610612736000LL, true, "1536Mi" },
	{ 314572800000LL, true, "300Mi" },
	{ 1125899906842624000LL, true, "1Pi" },
	{ 1025000, true, "1025" },
	{ 2000000, true, "2000" },
	{ 1000000000, true, "1000000" },
	/* Under 1Ki or not whole bytes: printed as decimal, as Go does. */
	{ 5000, true, "5" },
	{ 500, true, "500m" },
	{ 1023000, true, "1023" },
	{ 1024500, true, "1024500m" },
	{ 1000000, true, "1k" },
};

static void test_format(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(format_cases); i++) {
		const struct format_case *c = &format_cases[i];
		char buf[32];
		int64_t back;

		memset(buf, 'x', sizeof(buf));
		quantity_format(c->milli, c->binary, buf, sizeof(buf));
		if (strcmp(buf, c->want))
			fail_msg("%lld %s: got \"%s\", want \"%s\"", (long long)c->milli,
				 c->binary ? "binary" : "decimal", buf, c->want);
		/* What we print, we read back to the same value. */
		assert_int_equal(quantity_milli(buf, &back), 0);
		assert_int_equal(back, c->milli);
	}
}

/* Every valid value that fits prints and reads back unchanged, in both formats. */
static void test_format_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		int64_t milli = valid_cases[i].milli, back;
		char buf[32];

		if (milli == ERANGE_)
			continue;
		quantity_format(milli, false, buf, sizeof(buf));
		if (quantity_milli(buf, &back) || back != milli)
			fail_msg("%s -> %s does not read back", valid_cases[i].in, buf);
		quantity_format(milli, true, buf, sizeof(buf));
		if (quantity_milli(buf, &back) || back != milli)
			fail_msg("%s -> %s (binary) does not read back", valid_cases[i].in, buf);
	}
}

/* A short buffer gets a truncated, terminated string; no write past len. */
static void test_format_short_buffer(void **state)
{
	char buf[8] = "zzzzzzz";

	(void)state;
	quantity_format(1610612736000LL, true, buf, 4);
	assert_string_equal(buf, "153");
	assert_int_equal(buf[4], 'z');
	quantity_format(1, false, NULL, 0);
	quantity_format(1, false, buf, 0);
	assert_string_equal(buf, "153");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_bandwidth),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
