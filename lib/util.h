/* util.h — small helpers every kbpf binary uses. */
#ifndef KBPF_UTIL_H
#define KBPF_UTIL_H

#include <stddef.h>

/* snprintf for paths: -ENAMETOOLONG instead of a silently truncated path. */
int pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* KBPF_UTIL_H */
