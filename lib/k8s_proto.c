/* k8s_proto.c — decodes Kubernetes protobuf (magic, runtime.Unknown, the object) into the JSON of the same object. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_proto.h"
#include "k8s_schema.h"

/* Protobuf wire types. */
enum {
	WT_VARINT = 0,
	WT_I64 = 1,
	WT_LEN = 2,
	WT_SGROUP = 3,
	WT_EGROUP = 4,
	WT_I32 = 5,
};

#define PB_MAX_FIELD      ((1u << 29) - 1)
#define K8S_PROTO_MAGIC   "k8s\0"

/* Unix seconds of Go's zero time.Time (0001-01-01T00:00:00Z) and of
 * 10000-01-01T00:00:00Z, the first second RFC 3339's four year digits cannot write. */
#define UNIX_YEAR_1       (-62135596800LL)
#define UNIX_YEAR_10000   253402300800LL
#define NSEC_PER_SEC      1000000000LL

/* Frames of the path kept for error messages; deeper frames are counted, not named. */
#define PATH_FRAMES       48

/* A read cursor over one message. */
struct pb {
	const uint8_t *p, *end;
};

/* What absent strings and messages read as: empty, but never a null pointer, which
 * memcpy and memchr may not be given even for zero bytes. */
static const uint8_t pb_nothing[1];
#define PB_EMPTY ((struct pb){ .p = pb_nothing, .end = pb_nothing })

/* One field read off the wire. */
struct pb_field {
	uint32_t number;
	int wt;
	uint64_t u;          /* WT_VARINT, WT_I64, WT_I32 */
	struct pb val;       /* WT_LEN, WT_SGROUP: the payload */
};

struct frame {
	const char *name;
	long index;          /* list index, -1 outside lists */
};

struct dec {
	const char *what;    /* what is being decoded, first word of messages: "Deployment" */
	char *err;
	size_t err_len;
	bool failed;
	unsigned int depth, max_depth;
	unsigned int npath;
	struct frame path[PATH_FRAMES];
};

static const char *pstr(uint32_t off)
{
	return k8s_proto_strings + off;
}

/* --- table lookups --- */

const struct k8s_proto_msg *k8s_proto_msg_find(const char *name)
{
	size_t lo = 0, hi = k8s_proto_n_msgs;

	if (!name)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, pstr(k8s_proto_msgs[mid].name));

		if (!c)
			return &k8s_proto_msgs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct k8s_proto_field *k8s_proto_msg_field(const struct k8s_proto_msg *m, uint32_t number)
{
	const struct k8s_proto_field *f;
	size_t lo = 0, hi;

	if (!m)
		return NULL;
	f = &k8s_proto_fields[m->first_field];
	hi = m->n_fields;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f[mid].number == number)
			return &f[mid];
		if (number < f[mid].number)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* --- errors --- */

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off;
}

/* Records the first error as "<what>: <path>: <reason>". */
static int fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct dec *d, const char *fmt, ...)
{
	size_t off = 0;
	unsigned int i;
	va_list ap;
	int n;

	if (d->failed)
		return -1;
	d->failed = true;
	if (!d->err || !d->err_len)
		return -1;
	d->err[0] = '\0';
	append(d->err, d->err_len, &off, "%s: ", d->what);
	for (i = 0; i < d->npath && i < PATH_FRAMES; i++) {
		append(d->err, d->err_len, &off, "%s%s", i ? "." : "", d->path[i].name);
		if (d->path[i].index >= 0)
			append(d->err, d->err_len, &off, "[%ld]", d->path[i].index);
	}
	if (d->npath > PATH_FRAMES)
		append(d->err, d->err_len, &off, "...");
	if (d->npath)
		append(d->err, d->err_len, &off, ": ");
	if (off < d->err_len) {
		va_start(ap, fmt);
		n = vsnprintf(d->err + off, d->err_len - off, fmt, ap);
		va_end(ap);
		(void)n;
	}
	return -1;
}

static int fail_nomem(struct dec *d)
{
	return fail(d, "out of memory");
}

static void push(struct dec *d, const char *name)
{
	if (d->npath < PATH_FRAMES)
		d->path[d->npath] = (struct frame){ .name = name, .index = -1 };
	d->npath++;
}

static void set_index(struct dec *d, long index)
{
	if (d->npath && d->npath <= PATH_FRAMES)
		d->path[d->npath - 1].index = index;
}

static void pop(struct dec *d)
{
	d->npath--;
}

/* A string from the wire, fit for a message: printable ASCII, at most 64 bytes. */
static const char *printable(const uint8_t *s, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < len && i < 64; i++)
		buf[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	if (i < n)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

/* --- the wire --- */

static const char *wt_name(int wt)
{
	static const char *const names[] = {
		[WT_VARINT] = "varint", [WT_I64] = "fixed64", [WT_LEN] = "length-delimited",
		[WT_SGROUP] = "group", [WT_EGROUP] = "end-group", [WT_I32] = "fixed32",
	};

	return wt >= 0 && wt <= WT_I32 ? names[wt] : "invalid";
}

static int pb_varint(struct dec *d, struct pb *b, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int shift;

	for (shift = 0; shift < 64; shift += 7) {
		uint8_t c;

		if (b->p >= b->end)
			return fail(d, "truncated varint");
		c = *b->p++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return fail(d, "varint longer than 10 bytes");
}

static int pb_fixed(struct dec *d, struct pb *b, unsigned int n, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int i;

	if ((size_t)(b->end - b->p) < n)
		return fail(d, "truncated %u-byte fixed value (%zu bytes left)", n,
			    (size_t)(b->end - b->p));
	for (i = 0; i < n; i++)
		x |= (uint64_t)b->p[i] << (8 * i);
	b->p += n;
	*v = x;
	return 0;
}

static int pb_len(struct dec *d, struct pb *b, struct pb *val)
{
	uint64_t n;

	if (pb_varint(d, b, &n))
		return -1;
	if (n > (uint64_t)(b->end - b->p))
		return fail(d, "length %" PRIu64 " runs past the end of the message "
			    "(%zu bytes left)", n, (size_t)(b->end - b->p));
	val->p = b->p;
	val->end = b->p + n;
	b->p += n;
	return 0;
}

static int pb_tag(struct dec *d, struct pb *b, uint32_t *number, int *wt)
{
	uint64_t tag;

	if (pb_varint(d, b, &tag))
		return -1;
	*wt = (int)(tag & 7);
	if (tag >> 3 == 0 || tag >> 3 > PB_MAX_FIELD)
		return fail(d, "field number %" PRIu64 " is out of range (1 to %u)", tag >> 3,
			    PB_MAX_FIELD);
	*number = (uint32_t)(tag >> 3);
	return 0;
}

/* Skips a group up to its end-group tag, without recursing: groups nest by count. */
static int pb_skip_group(struct dec *d, struct pb *b, uint32_t number, struct pb *val)
{
	unsigned long nest = 1;
	const uint8_t *start = b->p;

	while (b->p < b->end) {
		const uint8_t *at = b->p;
		struct pb skip;
		uint32_t n = 0;
		uint64_t u;
		int wt;

		if (pb_tag(d, b, &n, &wt))
			return -1;
		switch (wt) {
		case WT_VARINT:
			if (pb_varint(d, b, &u))
				return -1;
			break;
		case WT_I64:
			if (pb_fixed(d, b, 8, &u))
				return -1;
			break;
		case WT_LEN:
			if (pb_len(d, b, &skip))
				return -1;
			break;
		case WT_I32:
			if (pb_fixed(d, b, 4, &u))
				return -1;
			break;
		case WT_SGROUP:
			nest++;
			break;
		case WT_EGROUP:
			if (!--nest) {
				val->p = start;
				val->end = at;
				return 0;
			}
			break;
		default:
			return fail(d, "field %u has invalid wire type %d", n, wt);
		}
	}
	return fail(d, "group %u has no end-group tag", number);
}

/* Reads the next field of b into f. */
static int pb_next(struct dec *d, struct pb *b, struct pb_field *f)
{
	memset(f, 0, sizeof(*f));
	f->val = PB_EMPTY;
	if (pb_tag(d, b, &f->number, &f->wt))
		return -1;
	switch (f->wt) {
	case WT_VARINT:
		return pb_varint(d, b, &f->u);
	case WT_I64:
		return pb_fixed(d, b, 8, &f->u);
	case WT_LEN:
		return pb_len(d, b, &f->val);
	case WT_I32:
		return pb_fixed(d, b, 4, &f->u);
	case WT_SGROUP:
		return pb_skip_group(d, b, f->number, &f->val);
	case WT_EGROUP:
		return fail(d, "end-group tag of field %u outside a group", f->number);
	default:
		return fail(d, "field %u has invalid wire type %d", f->number, f->wt);
	}
}

static int want_wt(struct dec *d, const struct pb_field *f, int wt, const char *what)
{
	if (f->wt == wt)
		return 0;
	return fail(d, "field %u: wire type %d (%s), but %s travels as %s", f->number, f->wt,
		    wt_name(f->wt), what, wt_name(wt));
}

/* --- values --- */

/* Length of the UTF-8 sequence at s as Go's utf8.DecodeRune accepts it, 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f; /* nothing past U+10FFFF */
	if (c < 0xf0)
		return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
	       (s[3] & 0xc0) == 0x80 ? 4 : 0;
}

/*
 * Protobuf strings are bytes; Go keeps them as they are and encoding/json writes each
 * byte that is not part of valid UTF-8 as U+FFFD. Returns s itself when it is valid,
 * else a malloc'd copy with the replacements (free it), NULL when out of memory.
 */
static const char *utf8_clean(const uint8_t *s, size_t n, size_t *out_n, char **to_free)
{
	size_t i, k, o;
	char *c;

	*to_free = NULL;
	*out_n = n;
	if (!n)
		return "";
	for (i = 0; i < n; i += k)
		if (!(k = utf8_seq(s + i, n - i)))
			break;
	if (i == n)
		return (const char *)s;
	c = malloc(3 * n + 1);
	if (!c)
		return NULL;
	for (i = o = 0; i < n; i += k) {
		k = utf8_seq(s + i, n - i);
		if (k) {
			memcpy(c + o, s + i, k);
			o += k;
		} else {
			memcpy(c + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		}
	}
	c[o] = '\0';
	*out_n = o;
	*to_free = c;
	return c;
}

static json_t *make_string(struct dec *d, struct pb s)
{
	size_t n;
	char *to_free;
	const char *c = utf8_clean(s.p, (size_t)(s.end - s.p), &n, &to_free);
	json_t *v;

	if (!c) {
		fail_nomem(d);
		return NULL;
	}
	v = json_stringn(c, n);
	free(to_free);
	if (!v)
		fail_nomem(d);
	return v;
}

/* []byte: encoding/json writes standard base64 with padding. */
static json_t *make_base64(struct dec *d, struct pb s)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = (size_t)(s.end - s.p), i, o = 0;
	char *c = malloc((n + 2) / 3 * 4 + 1);
	json_t *v;

	if (!c) {
		fail_nomem(d);
		return NULL;
	}
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t x = (uint32_t)s.p[i] << 16 | (uint32_t)s.p[i + 1] << 8 | s.p[i + 2];

		c[o++] = b64[x >> 18];
		c[o++] = b64[(x >> 12) & 63];
		c[o++] = b64[(x >> 6) & 63];
		c[o++] = b64[x & 63];
	}
	if (i < n) {
		uint32_t x = (uint32_t)s.p[i] << 16 | (i + 1 < n ? (uint32_t)s.p[i + 1] << 8 : 0);

		c[o++] = b64[x >> 18];
		c[o++] = b64[(x >> 12) & 63];
		c[o++] = i + 1 < n ? b64[(x >> 6) & 63] : '=';
		c[o++] = '=';
	}
	v = json_stringn(c, o);
	free(c);
	if (!v)
		fail_nomem(d);
	return v;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned int *m, unsigned int *dd)
{
	int64_t era, yy;
	unsigned int doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*dd = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

/*
 * metav1.Time and MicroTime travel as a Timestamp {seconds = 1, nanos = 2}; an empty
 * message is the zero time, which encoding/json writes as null. Time unmarshals whole
 * seconds only (its nanos are dropped) and marshals RFC 3339; MicroTime keeps
 * microseconds and always writes six fractional digits.
 */
static json_t *decode_time(struct dec *d, struct pb b, bool micro)
{
	int64_t sec = 0, nsec = 0, days, sod, y;
	unsigned int mo, dd;
	char buf[64];
	json_t *v;

	if (b.p == b.end)
		return json_null();
	while (b.p < b.end) {
		struct pb_field f;

		if (pb_next(d, &b, &f))
			return NULL;
		if (f.number == 1) {
			if (want_wt(d, &f, WT_VARINT, "Time.seconds"))
				return NULL;
			sec = (int64_t)f.u;
		} else if (f.number == 2) {
			if (want_wt(d, &f, WT_VARINT, "Time.nanos"))
				return NULL;
			nsec = (int32_t)f.u;
		}
	}
	if (!micro)
		nsec = 0;
	if (sec < UNIX_YEAR_1 - 3 || sec >= UNIX_YEAR_10000 + 3) {
		fail(d, "time %" PRId64 "s is outside the years 0001 to 9999", sec);
		return NULL;
	}
	/* time.Unix(sec, nsec) normalizes nanoseconds outside [0, 1e9) into seconds. */
	sec += nsec / NSEC_PER_SEC;
	nsec %= NSEC_PER_SEC;
	if (nsec < 0) {
		nsec += NSEC_PER_SEC;
		sec--;
	}
	if (sec == UNIX_YEAR_1 && nsec == 0)
		return json_null();
	if (sec < UNIX_YEAR_1 || sec >= UNIX_YEAR_10000) {
		fail(d, "time %" PRId64 "s is outside the years 0001 to 9999", sec);
		return NULL;
	}
	days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	sod = sec - days * 86400;
	civil_from_days(days, &y, &mo, &dd);
	if (micro)
		snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", (int)y, mo, dd,
			 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
			 (int)(nsec / 1000));
	else
		snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, mo, dd,
			 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
	v = json_string(buf);
	if (!v)
		fail_nomem(d);
	return v;
}

/* resource.Quantity {string = 1}: the canonical string kubectl sends; none is "0". */
static json_t *decode_quantity(struct dec *d, struct pb b)
{
	struct pb s = PB_EMPTY;
	bool have = false;
	json_t *v;

	while (b.p < b.end) {
		struct pb_field f;

		if (pb_next(d, &b, &f))
			return NULL;
		if (f.number == 1) {
			if (want_wt(d, &f, WT_LEN, "Quantity.string"))
				return NULL;
			s = f.val;
			have = true;
		}
	}
	if (have)
		return make_string(d, s);
	v = json_string("0");
	if (!v)
		fail_nomem(d);
	return v;
}

/* intstr.IntOrString {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}. */
static json_t *decode_int_or_string(struct dec *d, struct pb b)
{
	int64_t type = 0;
	int32_t ival = 0;
	struct pb sval = PB_EMPTY;
	json_t *v;

	while (b.p < b.end) {
		struct pb_field f;

		if (pb_next(d, &b, &f))
			return NULL;
		if (f.number == 1) {
			if (want_wt(d, &f, WT_VARINT, "IntOrString.type"))
				return NULL;
			type = (int64_t)f.u;
		} else if (f.number == 2) {
			if (want_wt(d, &f, WT_VARINT, "IntOrString.intVal"))
				return NULL;
			ival = (int32_t)f.u;
		} else if (f.number == 3) {
			if (want_wt(d, &f, WT_LEN, "IntOrString.strVal"))
				return NULL;
			sval = f.val;
		}
	}
	if (type == 1)
		return make_string(d, sval);
	if (type != 0) {
		fail(d, "IntOrString type %" PRId64 " is neither 0 (int) nor 1 (string)", type);
		return NULL;
	}
	v = json_integer(ival);
	if (!v)
		fail_nomem(d);
	return v;
}

/* FieldsV1 {Raw = 1}: Raw is JSON, written as it is; none is null. */
static json_t *decode_raw_json(struct dec *d, struct pb b)
{
	struct pb raw = PB_EMPTY;
	json_error_t jerr;
	json_t *v;

	while (b.p < b.end) {
		struct pb_field f;

		if (pb_next(d, &b, &f))
			return NULL;
		if (f.number == 1) {
			if (want_wt(d, &f, WT_LEN, "FieldsV1.Raw"))
				return NULL;
			raw = f.val;
		}
	}
	if (raw.p == raw.end)
		return json_null();
	v = json_loadb((const char *)raw.p, (size_t)(raw.end - raw.p),
		       JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v)
		fail(d, "FieldsV1 holds invalid JSON: %s", jerr.text);
	return v;
}

static int decode_message(struct dec *d, const struct k8s_proto_msg *m,
			  const struct k8s_type *t, json_t *obj, struct pb b);

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case K8S_STRING:
		return "a string";
	case K8S_INTEGER:
		return "an integer";
	case K8S_NUMBER:
		return "a number";
	case K8S_BOOLEAN:
		return "a boolean";
	default:
		return "a message";
	}
}

/* The wire type that values of a kind travel as. */
static int kind_wt(uint8_t kind)
{
	switch (kind) {
	case K8S_INTEGER:
	case K8S_BOOLEAN:
		return WT_VARINT;
	case K8S_NUMBER:
		return WT_I64;
	default:
		return WT_LEN;
	}
}

/*
 * One value of kind (format, ref as the schema gives them for the value or the
 * element) from f. Messages decode into `into` when given (a field seen twice merges),
 * else into a new object. *zero is set for "", 0, false and empty bytes.
 */
static json_t *decode_value(struct dec *d, uint8_t kind, uint8_t format,
			    const struct k8s_type *ref, const struct pb_field *f, json_t *into,
			    bool *zero)
{
	const struct k8s_proto_msg *m;
	json_t *v = NULL;
	double x;

	*zero = false;
	if (want_wt(d, f, kind_wt(kind), kind_name(kind)))
		return NULL;
	switch (kind) {
	case K8S_STRING:
		*zero = f->val.p == f->val.end;
		return format == K8S_FMT_BYTE ? make_base64(d, f->val) : make_string(d, f->val);
	case K8S_INTEGER:
		/* int32 fields keep the low 32 bits of the varint, as Go's int32() does */
		*zero = format == K8S_FMT_INT32 ? (int32_t)f->u == 0 : f->u == 0;
		v = json_integer(format == K8S_FMT_INT32 ? (json_int_t)(int32_t)f->u :
				 (json_int_t)(int64_t)f->u);
		break;
	case K8S_BOOLEAN:
		*zero = !f->u;
		v = json_boolean(f->u != 0);
		break;
	case K8S_NUMBER:
		memcpy(&x, &f->u, sizeof(x));
		*zero = x == 0;
		v = json_real(x);
		if (!v)
			fail(d, "%g is not a finite number", x);
		return v;
	case K8S_DATETIME:
		return decode_time(d, f->val, ref && !strcmp(k8s_str(ref->name),
					"io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"));
	case K8S_QUANTITY:
		return decode_quantity(d, f->val);
	case K8S_INT_OR_STRING:
		return decode_int_or_string(d, f->val);
	case K8S_ANY:
		return decode_raw_json(d, f->val);
	case K8S_OBJECT:
		m = ref ? k8s_proto_msg_find(k8s_str(ref->name)) : NULL;
		if (!m) {
			fail(d, "no protobuf table for %s",
			     ref ? k8s_str(ref->name) : "a free-form object");
			return NULL;
		}
		v = into ? json_incref(into) : json_object();
		if (!v) {
			fail_nomem(d);
			return NULL;
		}
		if (decode_message(d, m, ref, v, f->val)) {
			json_decref(v);
			return NULL;
		}
		return v;
	default:
		fail(d, "lists of lists and of maps have no protobuf encoding here");
		return NULL;
	}
	if (!v)
		fail_nomem(d);
	return v;
}

/* A repeated field: each occurrence is one element, or for numbers and booleans a packed
 * run of them. An empty list stays out of the JSON, as omitempty has it. */
static int decode_list_item(struct dec *d, const struct k8s_field *sf, const char *name,
			    json_t *obj, const struct pb_field *f)
{
	json_t *arr = json_object_get(obj, name), *v;
	bool fresh = false, zero;
	int rc = -1;

	if (!json_is_array(arr)) {
		arr = json_array();
		if (!arr)
			return fail_nomem(d);
		fresh = true;
	}
	if (f->wt == WT_LEN && kind_wt(sf->elem) != WT_LEN) {
		struct pb b = f->val;

		while (b.p < b.end) {
			struct pb_field e = { .number = f->number, .wt = kind_wt(sf->elem) };

			set_index(d, (long)json_array_size(arr));
			if (e.wt == WT_VARINT ? pb_varint(d, &b, &e.u) : pb_fixed(d, &b, 8, &e.u))
				goto out;
			v = decode_value(d, sf->elem, sf->format, NULL, &e, NULL, &zero);
			if (!v)
				goto out;
			if (json_array_append_new(arr, v)) {
				fail_nomem(d);
				goto out;
			}
		}
	} else {
		set_index(d, (long)json_array_size(arr));
		v = decode_value(d, sf->elem, sf->format, k8s_field_ref(sf), f, NULL, &zero);
		if (!v)
			goto out;
		if (json_array_append_new(arr, v)) {
			fail_nomem(d);
			goto out;
		}
	}
	set_index(d, -1);
	if (fresh && json_array_size(arr) && json_object_set(obj, name, arr)) {
		fail_nomem(d);
		goto out;
	}
	rc = 0;
out:
	if (fresh)
		json_decref(arr);
	return rc;
}

/* A map field: each occurrence is an entry message {key = 1, value = 2}; a missing key
 * or value is the zero value, a repeated key keeps the last value, as Go's maps do. */
static int decode_map_entry(struct dec *d, const struct k8s_field *sf, const char *name,
			    json_t *obj, const struct pb_field *f)
{
	struct pb b = f->val, key = PB_EMPTY;
	struct pb_field val = { .number = 2, .wt = kind_wt(sf->elem), .val = PB_EMPTY };
	json_t *map, *v;
	const char *k;
	char *to_free;
	size_t kn;
	bool zero;
	int rc;

	if (want_wt(d, f, WT_LEN, "a map entry"))
		return -1;
	while (b.p < b.end) {
		struct pb_field e;

		if (pb_next(d, &b, &e))
			return -1;
		if (e.number == 1) {
			if (want_wt(d, &e, WT_LEN, "a map key"))
				return -1;
			key = e.val;
		} else if (e.number == 2) {
			val = e;
		}
	}
	v = decode_value(d, sf->elem, sf->format, k8s_field_ref(sf), &val, NULL, &zero);
	if (!v)
		return -1;
	map = json_object_get(obj, name);
	if (!json_is_object(map)) {
		map = json_object();
		if (!map || json_object_set_new(obj, name, map)) {
			json_decref(v);
			return fail_nomem(d);
		}
	}
	k = utf8_clean(key.p, (size_t)(key.end - key.p), &kn, &to_free);
	if (!k) {
		json_decref(v);
		return fail_nomem(d);
	}
	rc = json_object_setn_new(map, k, kn, v);
	free(to_free);
	return rc ? fail_nomem(d) : 0;
}

static int decode_field(struct dec *d, const struct k8s_proto_field *pf,
			const struct k8s_field *sf, json_t *obj, const struct pb_field *f)
{
	const char *name = pstr(pf->name);
	json_t *v, *into = NULL;
	bool zero;

	if (sf->kind == K8S_ARRAY)
		return decode_list_item(d, sf, name, obj, f);
	if (sf->kind == K8S_MAP)
		return decode_map_entry(d, sf, name, obj, f);
	if (sf->kind == K8S_OBJECT)
		into = json_object_get(obj, name);
	v = decode_value(d, sf->kind, sf->format, k8s_field_ref(sf), f,
			 json_is_object(into) ? into : NULL, &zero);
	if (!v)
		return -1;
	if (zero && !(pf->flags & K8S_PROTO_F_KEEP_ZERO)) {
		/* Go's omitempty: the zero value of a non-pointer field is left out */
		json_decref(v);
		json_object_del(obj, name);
		return 0;
	}
	if (json_object_set_new(obj, name, v))
		return fail_nomem(d);
	return 0;
}

/* The fields of message m into obj, whose JSON names t (the schema type) resolves. */
static int decode_message(struct dec *d, const struct k8s_proto_msg *m,
			  const struct k8s_type *t, json_t *obj, struct pb b)
{
	int rc = -1, err;

	if (++d->depth > d->max_depth) {
		fail(d, "messages nested deeper than %u", d->max_depth);
		goto out;
	}
	while (b.p < b.end) {
		const struct k8s_proto_field *pf;
		const struct k8s_field *sf;
		struct pb_field f;

		if (pb_next(d, &b, &f))
			goto out;
		pf = k8s_proto_msg_field(m, f.number);
		if (!pf)
			continue; /* unknown to this version: protobuf skips it */
		if (pf->flags & K8S_PROTO_F_INLINE) {
			const struct k8s_proto_msg *im = &k8s_proto_msgs[pf->inline_msg];

			if (want_wt(d, &f, WT_LEN, pstr(im->name)))
				goto out;
			if (decode_message(d, im, t, obj, f.val))
				goto out;
			continue;
		}
		sf = k8s_type_field(t, pstr(pf->name));
		if (!sf) {
			fail(d, "the protobuf table names field %s, which %s does not have",
			     pstr(pf->name), k8s_str(t->name));
			goto out;
		}
		push(d, pstr(pf->name));
		err = decode_field(d, pf, sf, obj, &f);
		pop(d);
		if (err)
			goto out;
	}
	rc = 0;
out:
	d->depth--;
	return rc;
}

json_t *k8s_proto_decode_message(const char *type, const void *buf, size_t len,
				 unsigned int max_depth, char *err, size_t err_len)
{
	struct dec d = { .what = type ? type : "(null)", .err = err, .err_len = err_len,
			 .max_depth = max_depth };
	const struct k8s_type *t = k8s_type_find(type);
	const struct k8s_proto_msg *m = k8s_proto_msg_find(type);
	struct pb b = PB_EMPTY;
	json_t *obj;

	if (err && err_len)
		err[0] = '\0';
	if (!t || !m || t->kind != K8S_OBJECT) {
		fail(&d, "no protobuf table for this type");
		return NULL;
	}
	if (!buf && len) {
		fail(&d, "no buffer");
		return NULL;
	}
	if (buf) {
		b.p = buf;
		b.end = b.p + len;
	}
	obj = json_object();
	if (!obj) {
		fail_nomem(&d);
		return NULL;
	}
	if (decode_message(&d, m, t, obj, b)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* A NUL-terminated copy of a short wire string; false if it is too long or holds a NUL. */
static bool copy_name(struct pb s, char *buf, size_t len)
{
	size_t n = (size_t)(s.end - s.p);

	if (n >= len || (n && memchr(s.p, '\0', n)))
		return false;
	memcpy(buf, s.p, n);
	buf[n] = '\0';
	return true;
}

/* runtime.TypeMeta {apiVersion = 1, kind = 2} */
static int decode_type_meta(struct dec *d, struct pb b, struct pb *api_version, struct pb *kind)
{
	while (b.p < b.end) {
		struct pb_field f;

		if (pb_next(d, &b, &f))
			return -1;
		if (f.number == 1) {
			if (want_wt(d, &f, WT_LEN, "typeMeta.apiVersion"))
				return -1;
			*api_version = f.val;
		} else if (f.number == 2) {
			if (want_wt(d, &f, WT_LEN, "typeMeta.kind"))
				return -1;
			*kind = f.val;
		}
	}
	return 0;
}

json_t *k8s_proto_decode(const void *buf, size_t len, char *err, size_t err_len)
{
	struct dec d = { .what = "runtime.Unknown", .err = err, .err_len = err_len,
			 .max_depth = K8S_PROTO_MAX_DEPTH };
	struct pb b, api_version = PB_EMPTY, kind = PB_EMPTY, raw = PB_EMPTY, encoding = PB_EMPTY;
	char av[256], kd[128], p1[80], p2[80];
	const struct k8s_type *t;
	const struct k8s_proto_msg *m;
	const char *group = "", *version = av;
	char *slash;
	json_t *obj;

	if (err && err_len)
		err[0] = '\0';
	if (!buf || len < 4 || memcmp(buf, K8S_PROTO_MAGIC, 4)) {
		d.what = "protobuf body";
		fail(&d, "does not start with the magic \"k8s\\0\" of Kubernetes protobuf");
		return NULL;
	}
	b.p = (const uint8_t *)buf + 4;
	b.end = (const uint8_t *)buf + len;
	while (b.p < b.end) {
		struct pb_field f;

		if (pb_next(&d, &b, &f))
			return NULL;
		switch (f.number) {
		case 1:
			if (want_wt(&d, &f, WT_LEN, "typeMeta") ||
			    decode_type_meta(&d, f.val, &api_version, &kind))
				return NULL;
			break;
		case 2:
			if (want_wt(&d, &f, WT_LEN, "raw"))
				return NULL;
			raw = f.val;
			break;
		case 3:
			if (want_wt(&d, &f, WT_LEN, "contentEncoding"))
				return NULL;
			encoding = f.val;
			break;
		case 4:
			if (want_wt(&d, &f, WT_LEN, "contentType"))
				return NULL;
			break;
		}
	}
	if (encoding.p != encoding.end) {
		fail(&d, "contentEncoding \"%s\" is not supported",
		     printable(encoding.p, (size_t)(encoding.end - encoding.p), p1, sizeof(p1)));
		return NULL;
	}
	if (!copy_name(api_version, av, sizeof(av)) || !copy_name(kind, kd, sizeof(kd)) ||
	    !av[0] || !kd[0]) {
		fail(&d, "unknown kind \"%s\" of apiVersion \"%s\"",
		     printable(kind.p, (size_t)(kind.end - kind.p), p1, sizeof(p1)),
		     printable(api_version.p, (size_t)(api_version.end - api_version.p), p2,
			       sizeof(p2)));
		return NULL;
	}
	slash = strchr(av, '/');
	if (slash) {
		*slash = '\0';
		group = av;
		version = slash + 1;
	}
	t = k8s_kind_type(group, version, kd);
	m = t ? k8s_proto_msg_find(k8s_str(t->name)) : NULL;
	if (slash)
		*slash = '/';
	if (!t || !m) {
		fail(&d, "unknown kind \"%s\" of apiVersion \"%s\"",
		     printable(kind.p, (size_t)(kind.end - kind.p), p1, sizeof(p1)),
		     printable(api_version.p, (size_t)(api_version.end - api_version.p), p2,
			       sizeof(p2)));
		return NULL;
	}
	d.what = kd;
	obj = json_pack("{s:s, s:s}", "kind", kd, "apiVersion", av);
	if (!obj) {
		fail_nomem(&d);
		return NULL;
	}
	if (decode_message(&d, m, t, obj, raw)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}
