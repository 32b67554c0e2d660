/* loadgen.c — kbpf-loadgen: steady request load against a Service for the data-plane
 * tests. Each request is answered by a kbpf-testsrv with its name; the summary (JSON on
 * stdout) counts answers per backend name and failures per reason.
 *
 *   -m conn   a new TCP connection per request (the default)
 *   -m udp    a new UDP socket (new source port) per request
 *   -m keep   -c N kept-alive TCP connections, each asked once per round
 *   -q LINE   the request line (default "name"; "whoami" makes the answer carry the
 *             source address the backend saw)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAMES 64
#define MAX_KEEP 256

static volatile sig_atomic_t stop;

static struct {
	char name[64];
	long count;
} names[MAX_NAMES];
static int n_names;
static long sent, ok, failed;
static long errors[134];
static long *lat_us;
static char request[128] = "name\n";
static size_t request_len = 5;
static size_t n_lat, cap_lat;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void count_name(const char *s)
{
	int i;

	for (i = 0; i < n_names; i++)
		if (!strcmp(names[i].name, s)) {
			names[i].count++;
			return;
		}
	if (n_names < MAX_NAMES) {
		snprintf(names[n_names].name, sizeof(names[0].name), "%s", s);
		names[n_names++].count = 1;
	}
}

static void record(int err, const char *answer, double t0)
{
	sent++;
	if (err) {
		failed++;
		errors[err < 134 ? err : 0]++;
		return;
	}
	ok++;
	count_name(answer);
	if (n_lat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 4096;
		lat_us = realloc(lat_us, cap_lat * sizeof(*lat_us));
	}
	if (lat_us)
		lat_us[n_lat++] = (long)((now_s() - t0) * 1e6);
}

/* Wait for fd to be ready; 0, or an errno. */
static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, timeout_ms);

	if (r == 0)
		return ETIMEDOUT;
	if (r < 0)
		return errno;
	return 0;
}

/* Read one "NAME\n" answer (or the body of an HTTP answer) into out. */
static int read_answer(int fd, char *out, size_t len, int timeout_ms)
{
	size_t got = 0;
	char *nl;

	for (;;) {
		int err = wait_fd(fd, POLLIN, timeout_ms);
		ssize_t r;

		if (err)
			return err;
		r = recv(fd, out + got, len - 1 - got, 0);
		if (r < 0)
			return errno;
		if (r == 0)
			return got ? 0 : ECONNRESET;
		got += r;
		out[got] = 0;
		if ((nl = strchr(out, '\n'))) {
			*nl = 0;
			return 0;
		}
		if (got == len - 1)
			return EMSGSIZE;
	}
}

static int tcp_connect(const struct sockaddr_in *dst, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return -err;
	}
	err = wait_fd(fd, POLLOUT, timeout_ms);
	if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el))
		err = errno;
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

static void one_conn(const struct sockaddr_in *dst, int timeout_ms)
{
	double t0 = now_s();
	char answer[256];
	int fd = tcp_connect(dst, timeout_ms), err;

	if (fd < 0) {
		record(-fd, NULL, t0);
		return;
	}
	err = send(fd, request, request_len, MSG_NOSIGNAL) == (ssize_t)request_len ? 0 : errno;
	if (!err)
		err = read_answer(fd, answer, sizeof(answer), timeout_ms);
	record(err, answer, t0);
	close(fd);
}

static void one_udp(const struct sockaddr_in *dst, int timeout_ms)
{
	double t0 = now_s();
	char answer[256];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;
	ssize_t r;

	if (fd < 0) {
		record(errno, NULL, t0);
		return;
	}
	/* connect() so that an ICMP port unreachable comes back as ECONNREFUSED. */
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) ||
	    send(fd, request, request_len, 0) != (ssize_t)request_len)
		err = errno;
	if (!err)
		err = wait_fd(fd, POLLIN, timeout_ms);
	if (!err) {
		r = recv(fd, answer, sizeof(answer) - 1, 0);
		if (r < 0)
			err = errno;
		else {
			answer[r] = 0;
			answer[strcspn(answer, "\n")] = 0;
		}
	}
	record(err, answer, t0);
	close(fd);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static void summary(double elapsed, int keep_fds[], char keep_names[][64], int n_keep)
{
	int i, first = 1;

	qsort(lat_us, n_lat, sizeof(*lat_us), cmp_long);
	printf("{\"sent\":%ld,\"ok\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"rps\":%.1f", sent, ok,
	       failed, elapsed, elapsed > 0 ? ok / elapsed : 0.0);
	printf(",\"p50_us\":%ld,\"p99_us\":%ld", n_lat ? lat_us[n_lat / 2] : 0,
	       n_lat ? lat_us[(n_lat * 99) / 100] : 0);
	printf(",\"names\":{");
	for (i = 0; i < n_names; i++)
		printf("%s\"%s\":%ld", i ? "," : "", names[i].name, names[i].count);
	printf("},\"errors\":{");
	for (i = 0; i < 134; i++)
		if (errors[i]) {
			printf("%s\"%s\":%ld", first ? "" : ",", i ? strerror(i) : "other", errors[i]);
			first = 0;
		}
	printf("}");
	if (n_keep) {
		/* Each kept connection: the backend it was on, and whether it still works. */
		printf(",\"connections\":[");
		for (i = 0; i < n_keep; i++)
			printf("%s{\"backend\":\"%s\",\"ok\":%s}", i ? "," : "", keep_names[i],
			       keep_fds[i] >= 0 ? "true" : "false");
		printf("]");
	}
	printf("}\n");
}

int main(int argc, char **argv)
{
	static int keep_fds[MAX_KEEP];
	static char keep_names[MAX_KEEP][64];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	const char *mode = "conn", *target = NULL;
	double rate = 100, duration = 0, t_start, next;
	int timeout_ms = 1000, n_keep = 1, c, i;
	long max_requests = 0;
	char *colon;

	while ((c = getopt(argc, argv, "t:m:r:d:c:n:T:q:h")) != -1) {
		switch (c) {
		case 't':
			target = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'c':
			n_keep = atoi(optarg);
			break;
		case 'n':
			max_requests = atol(optarg);
			break;
		case 'T':
			timeout_ms = atoi(optarg);
			break;
		case 'q':
			snprintf(request, sizeof(request), "%.120s\n", optarg);
			request_len = strlen(request);
			break;
		default:
			fprintf(stderr,
				"Usage: kbpf-loadgen -t IP:PORT [-m conn|udp|keep] [-r PER_SECOND] [-d SECONDS]\n"
				"                    [-n REQUESTS] [-c CONNECTIONS] [-T TIMEOUT_MS] [-q LINE]\n"
				"Runs until -d/-n is reached or SIGINT/SIGTERM; prints a JSON summary.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!target || !(colon = strrchr(target, ':'))) {
		fprintf(stderr, "loadgen: -t IP:PORT is needed\n");
		return 2;
	}
	*colon = 0;
	if (inet_pton(AF_INET, target, &dst.sin_addr) != 1) {
		fprintf(stderr, "loadgen: bad address %s\n", target);
		return 2;
	}
	dst.sin_port = htons(atoi(colon + 1));
	if (n_keep < 1 || n_keep > MAX_KEEP || rate <= 0) {
		fprintf(stderr, "loadgen: -c must be 1..%d and -r positive\n", MAX_KEEP);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(mode, "keep")) {
		for (i = 0; i < n_keep; i++) {
			keep_fds[i] = tcp_connect(&dst, timeout_ms);
			if (keep_fds[i] < 0) {
				fprintf(stderr, "loadgen: connection %d: %s\n", i, strerror(-keep_fds[i]));
				keep_fds[i] = -1;
			}
		}
	} else if (strcmp(mode, "conn") && strcmp(mode, "udp")) {
		fprintf(stderr, "loadgen: mode %s is not conn, udp or keep\n", mode);
		return 2;
	}
	/* Ready: the caller may start changing things now. */
	fprintf(stderr, "loadgen: running\n");

	t_start = next = now_s();
	while (!stop) {
		double now = now_s();

		if (duration > 0 && now - t_start >= duration)
			break;
		if (max_requests && sent >= max_requests)
			break;
		if (now < next) {
			struct timespec ts = { 0, (long)((next - now) * 1e9) };

			nanosleep(&ts, NULL);
			continue;
		}
		next += 1.0 / rate;
		if (!strcmp(mode, "conn")) {
			one_conn(&dst, timeout_ms);
		} else if (!strcmp(mode, "udp")) {
			one_udp(&dst, timeout_ms);
		} else {
			for (i = 0; i < n_keep; i++) {
				double t0 = now_s();
				char answer[256];
				int err;

				if (keep_fds[i] < 0) {
					record(ENOTCONN, NULL, t0);
					continue;
				}
				err = send(keep_fds[i], request, request_len, MSG_NOSIGNAL) ==
						      (ssize_t)request_len ? 0 : errno;
				if (!err)
					err = read_answer(keep_fds[i], answer, sizeof(answer), timeout_ms);
				if (!err && keep_names[i][0] && strcmp(keep_names[i], answer))
					err = EPROTO; /* a kept connection must stay on its backend */
				if (!err && !keep_names[i][0])
					snprintf(keep_names[i], sizeof(keep_names[i]), "%.63s", answer);
				record(err, answer, t0);
				if (err) {
					close(keep_fds[i]);
					keep_fds[i] = -1;
				}
			}
		}
	}
	summary(now_s() - t_start, keep_fds, keep_names, !strcmp(mode, "keep") ? n_keep : 0);
	return 0;
}
