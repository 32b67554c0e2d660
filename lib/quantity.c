/* quantity.c — exact integer reading of Kubernetes quantities: a scanner, then ceil(digits x 10^e x 2^b). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quantity.h"

/* Kubernetes' error texts (ErrFormatWrong, ErrSuffix), so that callers can echo them. */
static const char ERR_FORMAT[] = "quantities must match the regular expression "
				 "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char ERR_SUFFIX[] = "unable to parse quantity's suffix";

/* A scanned quantity: sign, integer digits, fraction digits, and base^exp. */
struct qty {
	bool neg;
	const char *num; /* integer digits, leading zeros skipped */
	size_t num_len;
	const char *frac; /* fraction digits, as written */
	size_t frac_len;
	int base; /* 10 or 2 */
	int64_t exp;
};

static const struct suffix {
	const char *s;
	int base;
	int exp;
} suffixes[] = {
	{ "", 10, 0 },	  { "n", 10, -9 },  { "u", 10, -6 },  { "m", 10, -3 },
	{ "k", 10, 3 },	  { "M", 10, 6 },   { "G", 10, 9 },   { "T", 10, 12 },
	{ "P", 10, 15 },  { "E", 10, 18 },  { "Ki", 2, 10 },  { "Mi", 2, 20 },
	{ "Gi", 2, 30 },  { "Ti", 2, 40 },  { "Pi", 2, 50 },  { "Ei", 2, 60 },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The suffix [s, s+len): a table entry, or e/E and a signed integer. Exponents past
 * int32 are refused, as current apimachinery does, rather than truncated.
 */
static const char *interpret_suffix(const char *s, size_t len, struct qty *q)
{
	const char *p, *end = s + len;
	bool neg = false;
	int64_t e = 0;
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strlen(suffixes[i].s) == len && !memcmp(suffixes[i].s, s, len)) {
			q->base = suffixes[i].base;
			q->exp = suffixes[i].exp;
			return NULL;
		}
	}
	if (len < 2 || (s[0] != 'e' && s[0] != 'E'))
		return ERR_SUFFIX;
	p = s + 1;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p == end)
		return ERR_SUFFIX;
	for (; p < end; p++) {
		if (!is_digit(*p))
			return ERR_SUFFIX;
		e = e * 10 + (*p - '0');
		if (e > INT32_MAX)
			return ERR_SUFFIX;
	}
	q->base = 10;
	q->exp = neg ? -e : e;
	return NULL;
}

/* The scanner of ParseQuantity, but a number must have a digit. */
static const char *scan(const char *s, struct qty *q)
{
	const char *p = s, *sfx;
	size_t digits;

	memset(q, 0, sizeof(*q));
	if (!s || !*s)
		return ERR_FORMAT;
	if (*p == '+' || *p == '-')
		q->neg = *p++ == '-';
	q->num = p;
	while (is_digit(*p))
		p++;
	q->num_len = p - q->num;
	digits = q->num_len;
	while (q->num_len && *q->num == '0') {
		q->num++;
		q->num_len--;
	}
	q->frac = p;
	if (*p == '.') {
		q->frac = ++p;
		while (is_digit(*p))
			p++;
		q->frac_len = p - q->frac;
		digits += q->frac_len;
	}
	if (!digits)
		return ERR_FORMAT;
	sfx = p;
	while (*p && strchr("eEinumkKMGTP", *p))
		p++;
	if (*p == '+' || *p == '-')
		p++;
	while (is_digit(*p))
		p++;
	if (*p)
		return ERR_FORMAT;
	return interpret_suffix(sfx, p - sfx, q);
}

const char *quantity_parse_error(const char *s)
{
	struct qty q;

	return scan(s, &q);
}

/* Digit i of num ++ frac. */
static int digit_at(const struct qty *q, int64_t i)
{
	if (i < (int64_t)q->num_len)
		return q->num[i] - '0';
	return q->frac[i - q->num_len] - '0';
}

/*
 * |q| x 10^shift, rounded up to an integer, into *mag; -ERANGE past limit. With D the
 * digits num ++ frac (T of them) the magnitude is D x 10^e x 2^b, where e counts the
 * fraction, the decimal exponent and shift. Its integer part has T + e digits; the
 * first nonzero digit z tells the order of magnitude, which settles the far cases
 * (tiny exponents round up to 1, huge ones overflow) before any arithmetic.
 */
static int scaled(const struct qty *q, int shift, uint64_t limit, uint64_t *mag)
{
	int64_t t = q->num_len + q->frac_len, e, ip, z, i;
	int b = q->base == 2 ? (int)q->exp : 0;
	unsigned __int128 ival = 0;
	uint64_t carry = 0;
	bool frac = false;

	e = (q->base == 10 ? q->exp : 0) - (int64_t)q->frac_len + shift;
	for (z = 0; z < t && digit_at(q, z) == 0; z++)
		;
	if (z == t) {
		*mag = 0;
		return 0;
	}
	/* D x 10^e < 10^(t+e-z); at 10^20 it is past any int64, 2^b only adds. */
	if (t + e - z > 20)
		return -ERANGE;
	/* Below 10^-19 even 2^60 leaves it under 1: a sliver that rounds up. */
	if (t + e - z < -19) {
		*mag = 1;
		return 0;
	}
	ip = t + e; /* digits before the point; 0 < ip - z <= 20 when positive */
	for (i = z; i < ip && i < t; i++)
		ival = ival * 10 + digit_at(q, i);
	for (i = t; i < ip; i++)
		ival *= 10;
	/*
	 * The fraction times 2^b, least significant digit first: each step keeps
	 * carry < 2^b, so d x 2^b + carry < 11 x 2^60 fits 64 bits. The final carry is
	 * the integer part of fraction x 2^b; a nonzero digit left behind means it
	 * was not exact. Positions below 0 are the zeros between point and digits.
	 */
	for (i = t - 1; i >= (ip > 0 ? ip : 0); i--) {
		uint64_t v = ((uint64_t)digit_at(q, i) << b) + carry;

		carry = v / 10;
		frac |= v % 10 != 0;
	}
	for (i = ip; i < 0; i++) {
		frac |= carry % 10 != 0;
		carry /= 10;
	}
	ival = (ival << b) + carry + frac;
	if (ival > limit)
		return -ERANGE;
	*mag = (uint64_t)ival;
	return 0;
}

static int quantity_scaled(const char *s, int shift, int64_t *out)
{
	struct qty q;
	uint64_t mag;
	int err;

	if (scan(s, &q))
		return -EINVAL;
	err = scaled(&q, shift, q.neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &mag);
	if (err)
		return err;
	if (q.neg)
		*out = mag ? -(int64_t)(mag - 1) - 1 : 0;
	else
		*out = (int64_t)mag;
	return 0;
}

int quantity_milli(const char *s, int64_t *out)
{
	return quantity_scaled(s, 3, out);
}

int quantity_value(const char *s, int64_t *out)
{
	return quantity_scaled(s, 0, out);
}

/* A JSON value as the text UnmarshalJSON would parse, into buf. */
static int json_text(const json_t *v, char *buf, size_t len, const char **text, char **dup)
{
	const char *s, *end;
	size_t n;
	double d;
	int prec;

	if (!v)
		return -ENOENT;
	switch (json_typeof(v)) {
	case JSON_NULL:
		*text = "0";
		return 0;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*text = buf;
		return 0;
	case JSON_REAL:
		/* The shortest form that reads back as the same double: what was written. */
		d = json_real_value(v);
		for (prec = 1; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		*text = buf;
		return 0;
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		if (strlen(s) != n)
			return -EINVAL; /* an embedded NUL */
		end = s + n;
		while (s < end && isspace((unsigned char)*s))
			s++;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		if (s == json_string_value(v) && end == s + n) {
			*text = s;
			return 0;
		}
		if ((size_t)(end - s) < len) {
			memcpy(buf, s, end - s);
			buf[end - s] = '\0';
			*text = buf;
			return 0;
		}
		/* Long but maybe valid ("0.000…1"): a copy the caller frees. */
		*dup = strndup(s, end - s);
		if (!*dup)
			return -ENOMEM;
		*text = *dup;
		return 0;
	default:
		return -EINVAL;
	}
}

static int quantity_json_scaled(const json_t *v, int shift, int64_t *out)
{
	char buf[128], *dup = NULL;
	const char *s;
	int err;

	err = json_text(v, buf, sizeof(buf), &s, &dup);
	if (!err)
		err = quantity_scaled(s, shift, out);
	free(dup);
	return err;
}

int quantity_json_milli(const json_t *v, int64_t *out)
{
	return quantity_json_scaled(v, 3, out);
}

int quantity_json_value(const json_t *v, int64_t *out)
{
	return quantity_json_scaled(v, 0, out);
}

int quantity_bits_per_second(const char *s, uint64_t *out)
{
	int64_t v;
	int err;

	err = quantity_value(s, &v);
	if (err)
		return err;
	if (v < 1000 || v > 1000000000000000LL)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

void quantity_format(int64_t milli, bool binary, char *buf, size_t len)
{
	static const char *const dec[] = { "m", "", "k", "M", "G", "T", "P", "E" };
	static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	uint64_t mag = milli < 0 ? -(uint64_t)milli : (uint64_t)milli;
	const char *sign = milli < 0 ? "-" : "";
	int i = 0;

	if (!buf || !len)
		return;
	if (!mag) {
		snprintf(buf, len, "0");
		return;
	}
	/* Binary only for whole bytes from 1Ki up; anything else would need rounding. */
	if (binary && mag % 1000 == 0 && mag / 1000 >= 1024) {
		mag /= 1000;
		while (mag % 1024 == 0 && i < 6) {
			mag /= 1024;
			i++;
		}
		snprintf(buf, len, "%s%llu%s", sign, (unsigned long long)mag, bin[i]);
		return;
	}
	while (mag % 1000 == 0 && i < 7) {
		mag /= 1000;
		i++;
	}
	snprintf(buf, len, "%s%llu%s", sign, (unsigned long long)mag, dec[i]);
}
