/* log.c — leveled logging to stderr with timestamps, and libbpf's messages routed in. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "log.h"

enum log_level kbpf_log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_WARN] = "W",
	[LOG_LEVEL_INFO] = "I",
	[LOG_LEVEL_DEBUG] = "D",
};

/* One line, one write: threads do not interleave, and a message without its '\n' still
 * ends its line (TAP readers count lines). */
static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	int n, m;

	if (level > kbpf_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%s%02d:%02d:%02d.%03ld ", level_names[level], tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) < sizeof(line) - 1 ? n + m : (int)sizeof(line) - 2;
	if (line[n - 1] != '\n') {
		line[n++] = '\n';
		line[n] = 0;
	}
	fputs(line, stderr);
}

void kbpf_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level ours = level == LIBBPF_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;

	vlog(ours, fmt, ap);
	return 0;
}

void kbpf_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
