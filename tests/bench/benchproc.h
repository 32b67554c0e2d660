/* benchproc.h — what the benchmarks share: a monotonic clock, starting a daemon with its
 * stderr in a log and stopping it, quantiles of sorted samples. */
#ifndef KBPF_BENCHPROC_H
#define KBPF_BENCHPROC_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* argv[0] run with its stderr appended to log; its pid (or -1). */
static inline pid_t spawn(const char *log, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		FILE *f = freopen(log, "a", stderr);

		(void)f;
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* qsort comparator for doubles, and the p-quantile (0..1) of n sorted values. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double bench_pct(const double *v, int n, double p)
{
	int i = (int)(n * p);

	return v[i < n ? i : n - 1];
}

/* SIGTERM, then reap. */
static inline void stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

#endif /* KBPF_BENCHPROC_H */
