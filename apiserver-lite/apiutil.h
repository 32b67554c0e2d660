/* apiutil.h — small pieces of Kubernetes API conventions the request path shares: field
 * errors and Status objects, timestamps and ages, names and uids, JSON paths. */
#ifndef KBPF_APIUTIL_H
#define KBPF_APIUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

/* One invalid field, as a StatusCause (reason like "FieldValueRequired"). */
struct field_err {
	char *reason;
	char *field;
	char *message; /* the whole "field: Required value" text */
};

struct errlist {
	struct field_err *v;
	size_t n;
};

/* Kubernetes' field.ErrorType texts. */
void err_required(struct errlist *e, const char *field);
void err_invalid(struct errlist *e, const char *field, const json_t *value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void err_unsupported(struct errlist *e, const char *field, const char *value,
		     const char *const *supported);
void err_forbidden(struct errlist *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void err_duplicate(struct errlist *e, const char *field, const json_t *value);
void errlist_free(struct errlist *e);

/* A Status object (failure) as JSON text, with details and, for Invalid, the causes. */
char *status_json(int code, const char *reason, const char *message, const char *name,
		  const char *group, const char *kind, const struct errlist *causes);
/* The Status a successful deletion of a collection or a binding returns. */
char *status_success_json(const char *name, const char *group, const char *kind);

/* "Pod \"x\" is invalid: a: Required value, b: Invalid value: ..." */
char *invalid_message(const char *kind, const char *name, const struct errlist *e);

/* RFC 3339 UTC timestamp, second precision ("2026-11-26T16:40:00Z"). */
void rfc3339(char *buf, size_t len, time_t t);
time_t parse_rfc3339(const char *s);
/* Kubernetes' duration.HumanDuration ("45s", "3m20s", "5h", "12d"). */
void human_duration(char *buf, size_t len, int64_t seconds);

/* A random RFC 4122 version-4 uid. */
void new_uid(char *buf, size_t len);
/* generateName's random suffix: five characters from Kubernetes' alphabet. */
void random_suffix(char *buf, size_t len);

/* The value at a dotted path ("spec.nodeName", "metadata.labels") or NULL. */
json_t *jpath(const json_t *obj, const char *path);
const char *jstr(const json_t *obj, const char *path);
/* obj[key] as an object, created when missing. */
json_t *jobj(json_t *obj, const char *key);

/* Field paths for error messages ("spec.containers[0].image"); a path that does not fit
 * is cut, which only shortens a message. */
void fieldf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* DNS-1123 label (63, [a-z0-9-], alnum ends) and subdomain (253, labels joined by dots). */
bool dns1123_label(const char *s);
bool dns1123_subdomain(const char *s);
bool c_identifier(const char *s);

#endif /* KBPF_APIUTIL_H */
