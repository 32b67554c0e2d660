/* log.h — leveled logging to stderr for every kbpf binary (xdp-tools' logging.h habits). */
#ifndef KBPF_LOG_H
#define KBPF_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

extern enum log_level kbpf_log_level;

void kbpf_log(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Route libbpf's own messages through kbpf_log, one level lower than libbpf says. */
void kbpf_log_setup_libbpf(void);

#define pr_warn(fmt, ...) kbpf_log(LOG_LEVEL_WARN, "%s: " fmt, __func__, ##__VA_ARGS__)
#define pr_info(fmt, ...)                                                      \
	do {                                                                   \
		if (kbpf_log_level >= LOG_LEVEL_INFO)                          \
			kbpf_log(LOG_LEVEL_INFO, fmt, ##__VA_ARGS__);          \
	} while (0)
#define pr_debug(fmt, ...)                                                     \
	do {                                                                   \
		if (kbpf_log_level >= LOG_LEVEL_DEBUG)                         \
			kbpf_log(LOG_LEVEL_DEBUG, "%s: " fmt, __func__, ##__VA_ARGS__); \
	} while (0)

#endif /* KBPF_LOG_H */
