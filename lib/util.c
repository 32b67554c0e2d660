/* util.c — small helpers every kbpf binary uses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "util.h"

int pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool json_same(const json_t *a, const json_t *b)
{
	return a == b || json_equal(a, b);
}
