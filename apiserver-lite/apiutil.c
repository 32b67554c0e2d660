/* apiutil.c — field errors, Status objects, timestamps, ages, uids, JSON paths. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "apiutil.h"
#include "util.h"

static void add_err(struct errlist *e, const char *reason, const char *field, char *message)
{
	struct field_err *v = realloc(e->v, (e->n + 1) * sizeof(*v));

	if (!v || !message) {
		free(message);
		return;
	}
	e->v = v;
	e->v[e->n].reason = strdup(reason);
	e->v[e->n].field = strdup(field);
	e->v[e->n].message = message;
	e->n++;
}

static char *fmt_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *fmt_alloc(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void err_required(struct errlist *e, const char *field)
{
	add_err(e, "FieldValueRequired", field, fmt_alloc("%s: Required value", field));
}

void err_invalid(struct errlist *e, const char *field, const json_t *value, const char *fmt, ...)
{
	char *detail = NULL, *v = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) < 0)
		detail = NULL;
	va_end(ap);
	add_err(e, "FieldValueInvalid", field,
		fmt_alloc("%s: Invalid value: %s: %s", field, v ? v : "null", detail ? detail : ""));
	free(v);
	free(detail);
}

void err_unsupported(struct errlist *e, const char *field, const char *value,
		     const char *const *supported)
{
	char list[512] = "";
	size_t n = 0;

	for (; supported && *supported; supported++)
		n += snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s\"%s\"",
			      n ? ", " : "", *supported);
	add_err(e, "FieldValueNotSupported", field,
		fmt_alloc("%s: Unsupported value: \"%s\": supported values: %s", field, value, list));
}

void err_forbidden(struct errlist *e, const char *field, const char *fmt, ...)
{
	char *detail = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) < 0)
		detail = NULL;
	va_end(ap);
	add_err(e, "FieldValueForbidden", field,
		fmt_alloc("%s: Forbidden: %s", field, detail ? detail : ""));
	free(detail);
}

void err_duplicate(struct errlist *e, const char *field, const json_t *value)
{
	char *v = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	add_err(e, "FieldValueDuplicate", field,
		fmt_alloc("%s: Duplicate value: %s", field, v ? v : "null"));
	free(v);
}

void errlist_free(struct errlist *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].reason);
		free(e->v[i].field);
		free(e->v[i].message);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

char *invalid_message(const char *kind, const char *name, const struct errlist *e)
{
	size_t len = 256, i;
	char *msg, *p;

	for (i = 0; i < e->n; i++)
		len += strlen(e->v[i].message) + 2;
	msg = malloc(len);
	if (!msg)
		return NULL;
	p = msg + sprintf(msg, "%s \"%s\" is invalid: ", kind, name ? name : "");
	if (e->n > 1)
		*p++ = '[';
	for (i = 0; i < e->n; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", e->v[i].message);
	if (e->n > 1)
		*p++ = ']';
	*p = 0;
	return msg;
}

char *status_json(int code, const char *reason, const char *message, const char *name,
		  const char *group, const char *kind, const struct errlist *causes)
{
	json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion",
			       "v1", "metadata", "status", "Failure", "message", message,
			       "reason", reason, "code", code);
	json_t *details = NULL;
	char *s;
	size_t i;

	if (name || kind || (causes && causes->n)) {
		details = json_object();
		if (name)
			json_object_set_new(details, "name", json_string(name));
		if (group && *group)
			json_object_set_new(details, "group", json_string(group));
		if (kind)
			json_object_set_new(details, "kind", json_string(kind));
		if (causes && causes->n) {
			json_t *c = json_array();

			for (i = 0; i < causes->n; i++) {
				const char *m = causes->v[i].message;
				size_t fl = strlen(causes->v[i].field);

				/* The cause's message is the part after "field: ". */
				if (!strncmp(m, causes->v[i].field, fl) && m[fl] == ':')
					m += fl + 2;
				json_array_append_new(c, json_pack("{s:s,s:s,s:s}", "reason",
								   causes->v[i].reason, "message",
								   m, "field",
								   causes->v[i].field));
			}
			json_object_set_new(details, "causes", c);
		}
		json_object_set_new(st, "details", details);
	}
	s = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	return s;
}

char *status_success_json(const char *name, const char *group, const char *kind)
{
	json_t *st = json_pack("{s:s,s:s,s:{},s:s}", "kind", "Status", "apiVersion", "v1",
			       "metadata", "status", "Success");
	char *s;

	if (name || kind) {
		json_t *d = json_object();

		if (name)
			json_object_set_new(d, "name", json_string(name));
		if (group && *group)
			json_object_set_new(d, "group", json_string(group));
		if (kind)
			json_object_set_new(d, "kind", json_string(kind));
		json_object_set_new(st, "details", d);
	}
	s = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	return s;
}

void rfc3339(char *buf, size_t len, time_t t)
{
	rfc3339_format((double)t, buf, len, false);
}

time_t parse_rfc3339(const char *s)
{
	struct tm tm = {};
	const char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	return timegm(&tm);
}

void human_duration(char *buf, size_t len, int64_t seconds)
{
	int64_t minutes = seconds / 60, hours = seconds / 3600;

	if (seconds < -1)
		snprintf(buf, len, "<invalid>");
	else if (seconds < 0)
		snprintf(buf, len, "0s");
	else if (seconds < 60 * 2)
		snprintf(buf, len, "%llds", (long long)seconds);
	else if (minutes < 10) {
		if (seconds % 60)
			snprintf(buf, len, "%lldm%llds", (long long)minutes, (long long)(seconds % 60));
		else
			snprintf(buf, len, "%lldm", (long long)minutes);
	} else if (minutes < 60 * 3)
		snprintf(buf, len, "%lldm", (long long)minutes);
	else if (hours < 8) {
		if (minutes % 60)
			snprintf(buf, len, "%lldh%lldm", (long long)hours, (long long)(minutes % 60));
		else
			snprintf(buf, len, "%lldh", (long long)hours);
	} else if (hours < 48)
		snprintf(buf, len, "%lldh", (long long)hours);
	else if (hours < 24 * 8) {
		if (hours % 24)
			snprintf(buf, len, "%lldd%lldh", (long long)(hours / 24), (long long)(hours % 24));
		else
			snprintf(buf, len, "%lldd", (long long)(hours / 24));
	} else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lldd", (long long)(hours / 24));
	else if (hours < 24 * 365 * 8) {
		int64_t days = hours / 24;

		if (days % 365)
			snprintf(buf, len, "%lldy%lldd", (long long)(days / 365), (long long)(days % 365));
		else
			snprintf(buf, len, "%lldy", (long long)(days / 365));
	} else
		snprintf(buf, len, "%lldy", (long long)(hours / 24 / 365));
}

void new_uid(char *buf, size_t len)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0x5a, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void random_suffix(char *buf, size_t len)
{
	/* Kubernetes' alphabet for generated names: no vowels, no confusable characters. */
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[5];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 7, sizeof(r));
	for (i = 0; i < 5 && i + 1 < len; i++)
		buf[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	buf[i] = 0;
}

json_t *jpath(const json_t *obj, const char *path)
{
	char seg[128];
	const char *p = path;

	while (obj && *p) {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = 0;
		obj = json_object_get(obj, seg);
		p += n;
		if (*p == '.')
			p++;
	}
	return (json_t *)obj;
}

const char *jstr(const json_t *obj, const char *path)
{
	return json_string_value(jpath(obj, path));
}

json_t *jobj(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(obj, key, v);
	}
	return v;
}

bool dns1123_label(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (!n || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

bool dns1123_subdomain(const char *s)
{
	char label[64];
	size_t n = s ? strlen(s) : 0;

	if (!n || n > 253)
		return false;
	while (*s) {
		size_t l = strcspn(s, ".");

		if (l == 0 || l > 63)
			return false;
		memcpy(label, s, l);
		label[l] = 0;
		if (!dns1123_label(label))
			return false;
		s += l;
		if (*s == '.' && !*++s)
			return false;
	}
	return true;
}

bool c_identifier(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

void fieldf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
