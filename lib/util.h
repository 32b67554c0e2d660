/* util.h — small helpers every kbpf binary uses. */
#ifndef KBPF_UTIL_H
#define KBPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The value of a boolean flag: none (--flag alone) or "true"/"1" is true, "false"/"0"
 * false. 0, or -1 for anything else. */
int flag_bool(const char *value, bool *out);

/* mkdir -p: path and its missing parents with mode; 0 or a negative errno. */
int mkdir_p(const char *path, unsigned int mode);

/* snprintf for paths: -ENAMETOOLONG instead of a silently truncated path. */
int pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* json_equal, except that two absent values (NULL) are equal: json_equal(NULL, NULL) is
 * false, which makes "unchanged" checks on optional fields wrong. */
bool json_same(const json_t *a, const json_t *b);

/* The condition of that type in status.conditions (a Pod's, Node's, Deployment's …), or
 * NULL. */
const json_t *status_condition(const json_t *status, const char *type);
/* Whether that condition is there with status "True". */
bool status_condition_true(const json_t *status, const char *type);

/* Monotonic time in seconds, with fractions: for timeouts and intervals. */
double mono_now(void);
/* Wall-clock time in seconds since the epoch, with fractions. */
double wall_now(void);
/* t (seconds since the epoch) as RFC 3339 UTC: "2026-11-26T18:00:00Z", or with micro
 * "2026-11-26T18:00:00.123456Z" (MicroTime, as Leases and Events carry). */
void rfc3339_format(double t, char *buf, size_t len, bool micro);
/* Now, as rfc3339_format writes it. */
void rfc3339_now(char *buf, size_t len, bool micro);

#endif /* KBPF_UTIL_H */
