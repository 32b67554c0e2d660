/* util.c — small helpers every kbpf binary uses. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

int flag_bool(const char *value, bool *out)
{
	if (!value || !strcmp(value, "true") || !strcmp(value, "1"))
		*out = true;
	else if (!strcmp(value, "false") || !strcmp(value, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

int mkdir_p(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];
	char *p;

	if (pathf(buf, sizeof(buf), "%s", path))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

bool json_same(const json_t *a, const json_t *b)
{
	return a == b || json_equal(a, b);
}

const json_t *status_condition(const json_t *status, const char *type)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(status, "conditions"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "type")) ?: "", type))
			return c;
	return NULL;
}

bool status_condition_true(const json_t *status, const char *type)
{
	const json_t *c = status_condition(status, type);

	return c && !strcmp(json_string_value(json_object_get(c, "status")) ?: "", "True");
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void rfc3339_format(double t, char *buf, size_t len, bool micro)
{
	time_t sec = (time_t)floor(t);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(buf + n, len - n, ".%06dZ", (int)((t - (double)sec) * 1e6) % 1000000);
	else
		snprintf(buf + n, len - n, "Z");
}

void rfc3339_now(char *buf, size_t len, bool micro)
{
	rfc3339_format(wall_now(), buf, len, micro);
}
