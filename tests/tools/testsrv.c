/* testsrv.c — kbpf-testsrv: a test backend that answers with its own name over TCP and
 * UDP. A TCP line gets "NAME\n" back (a connection may ask many times); the line
 * "whoami" gets "NAME PEER-ADDRESS:PORT\n" (to see whether a client source was kept); an
 * HTTP GET gets an HTTP/1.0 response with body "NAME\n" and the connection is closed. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 1024

struct conn {
	int fd;
	char peer[64];
	int http; /* -1 unknown, 0 lines, 1 HTTP */
	char buf[2048];
	size_t len;
};

static const char *name = "testsrv";

static void answer(char *reply, size_t len, const char *line, const char *peer)
{
	if (!strncmp(line, "whoami", 6))
		snprintf(reply, len, "%s %s\n", name, peer);
	else
		snprintf(reply, len, "%s\n", name);
}

static void peer_str(const struct sockaddr_in *sa, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sa->sin_port));
}

static int listen_on(int type, struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    (type == SOCK_STREAM && listen(fd, 1024))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= w;
	}
}

/* Returns 0 to keep the connection, -1 to close it. */
static int serve(struct conn *c)
{
	char reply[512];
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	char *nl;

	if (r <= 0)
		return r < 0 && errno == EAGAIN ? 0 : -1;
	c->len += r;
	c->buf[c->len] = 0;
	if (c->http < 0 && c->len >= 4)
		c->http = !strncmp(c->buf, "GET ", 4) || !strncmp(c->buf, "HEAD", 4);
	if (c->http == 1) {
		if (!strstr(c->buf, "\r\n\r\n") && !strstr(c->buf, "\n\n")) {
			if (c->len == sizeof(c->buf) - 1)
				return -1;
			return 0;
		}
		snprintf(reply, sizeof(reply),
			 "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s\n", strlen(name) + 1, name);
		send_all(c->fd, reply, strlen(reply));
		return -1;
	}
	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t used = nl - c->buf + 1;

		*nl = 0;
		answer(reply, sizeof(reply), c->buf, c->peer);
		send_all(c->fd, reply, strlen(reply));
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof(c->buf) - 1)
		c->len = 0;
	return 0;
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS + 2];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int port = 8080, c, tfd, ufd, n = 0, i;

	while ((c = getopt(argc, argv, "n:p:a:h")) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &sa.sin_addr) != 1) {
				fprintf(stderr, "testsrv: bad address %s\n", optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "Usage: kbpf-testsrv [-n NAME] [-p PORT] [-a ADDR]\n"
					"Answers each TCP line, HTTP GET or UDP datagram with NAME.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sa.sin_port = htons(port);
	tfd = listen_on(SOCK_STREAM, &sa);
	ufd = listen_on(SOCK_DGRAM, &sa);
	if (tfd < 0 || ufd < 0) {
		fprintf(stderr, "testsrv: cannot listen on port %d: %s\n", port, strerror(errno));
		return 1;
	}
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ufd, .events = POLLIN };
		for (i = 0; i < n; i++)
			pfd[i + 2] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		if (poll(pfd, n + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (i = n - 1; i >= 0; i--) {
			if (!pfd[i + 2].revents)
				continue;
			if (serve(&conns[i]) < 0) {
				close(conns[i].fd);
				conns[i] = conns[--n];
			}
		}
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			int fd;

			while ((fd = accept4(tfd, (struct sockaddr *)&from, &fl,
					     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if (n == MAX_CONNS) {
					close(fd);
					continue;
				}
				conns[n] = (struct conn){ .fd = fd, .http = -1 };
				peer_str(&from, conns[n].peer, sizeof(conns[n].peer));
				n++;
				fl = sizeof(from);
			}
		}
		if (pfd[1].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			char buf[2048], reply[256], peer[64];
			ssize_t r;

			while ((r = recvfrom(ufd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from,
					     &fl)) >= 0) {
				buf[r] = 0;
				peer_str(&from, peer, sizeof(peer));
				answer(reply, sizeof(reply), buf, peer);
				sendto(ufd, reply, strlen(reply), 0, (struct sockaddr *)&from, fl);
				fl = sizeof(from);
			}
		}
	}
}
