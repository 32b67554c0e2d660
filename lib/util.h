/* util.h — small helpers every kbpf binary uses. */
#ifndef KBPF_UTIL_H
#define KBPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* snprintf for paths: -ENAMETOOLONG instead of a silently truncated path. */
int pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* json_equal, except that two absent values (NULL) are equal: json_equal(NULL, NULL) is
 * false, which makes "unchanged" checks on optional fields wrong. */
bool json_same(const json_t *a, const json_t *b);

#endif /* KBPF_UTIL_H */
