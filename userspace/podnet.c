/* podnet.c — pod netns + routed veth with iproute2, and the podCIDR IPAM (one file per
 * address, O_EXCL-created). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "podnet.h"
#include "util.h"

extern char **environ;

int ipam_open(struct ipam *ipam, const char *dir, const char *cidr)
{
	char addr[INET_ADDRSTRLEN], *slash, *end;
	struct in_addr a;
	uint32_t mask;
	long bits;

	memset(ipam, 0, sizeof(*ipam));
	slash = strchr(cidr, '/');
	if (!slash || (size_t)(slash - cidr) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, slash - cidr);
	addr[slash - cidr] = '\0';
	bits = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || bits < 8 || bits > 30 || inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;
	mask = bits == 0 ? 0 : ~0u << (32 - bits);
	ipam->first = (ntohl(a.s_addr) & mask) + 2;
	ipam->last = (ntohl(a.s_addr) | ~mask) - 1;
	if (pathf(ipam->dir, sizeof(ipam->dir), "%s", dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Calls fn(addr string, owner) for each address file; stops on nonzero. */
static int ipam_each(struct ipam *ipam, int (*fn)(struct ipam *, const char *, const char *,
						  void *), void *arg)
{
	char path[512], owner[256];
	struct dirent *de;
	struct in_addr a;
	DIR *d = opendir(ipam->dir);
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		if (inet_pton(AF_INET, de->d_name, &a) != 1)
			continue;
		if (pathf(path, sizeof(path), "%s/%s", ipam->dir, de->d_name) ||
		    read_small(path, owner, sizeof(owner)))
			continue;
		ret = fn(ipam, de->d_name, owner, arg);
	}
	closedir(d);
	return ret;
}

static int match_owner(struct ipam *ipam, const char *addr, const char *owner, void *arg)
{
	void **a = arg;

	(void)ipam;
	if (strcmp(owner, a[0]))
		return 0;
	inet_pton(AF_INET, addr, a[1]);
	return 1;
}

int ipam_lookup(struct ipam *ipam, const char *owner, struct in_addr *out)
{
	void *arg[2] = { (void *)owner, out };
	int ret = ipam_each(ipam, match_owner, arg);

	return ret == 1 ? 0 : ret < 0 ? ret : -ENOENT;
}

int ipam_alloc(struct ipam *ipam, const char *owner, struct in_addr *out)
{
	char path[512], last[64], name[INET_ADDRSTRLEN];
	uint32_t n = ipam->last - ipam->first + 1, start = ipam->first, i, ip;
	struct in_addr a;
	int fd;

	if (!ipam_lookup(ipam, owner, out))
		return 0;
	if (pathf(path, sizeof(path), "%s/last", ipam->dir))
		return -ENAMETOOLONG;
	if (!read_small(path, last, sizeof(last)) && inet_pton(AF_INET, last, &a) == 1) {
		ip = ntohl(a.s_addr);
		if (ip >= ipam->first && ip <= ipam->last)
			start = ip == ipam->last ? ipam->first : ip + 1;
	}
	for (i = 0; i < n; i++) {
		ip = start + i > ipam->last ? start + i - n : start + i;
		a.s_addr = htonl(ip);
		inet_ntop(AF_INET, &a, name, sizeof(name));
		if (pathf(path, sizeof(path), "%s/%s", ipam->dir, name))
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		if (write(fd, owner, strlen(owner)) != (ssize_t)strlen(owner)) {
			int ret = -errno;

			close(fd);
			unlink(path);
			return ret ? ret : -EIO;
		}
		close(fd);
		if (pathf(path, sizeof(path), "%s/last", ipam->dir) == 0) {
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd >= 0) {
				if (write(fd, name, strlen(name)) < 0)
					pr_warn("writing %s: %s\n", path, strerror(errno));
				close(fd);
			}
		}
		*out = a;
		return 0;
	}
	return -ENOSPC;
}

static int unlink_owner(struct ipam *ipam, const char *addr, const char *owner, void *arg)
{
	char path[512];

	if (strcmp(owner, arg) || pathf(path, sizeof(path), "%s/%s", ipam->dir, addr))
		return 0;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

int ipam_release(struct ipam *ipam, const char *owner)
{
	return ipam_each(ipam, unlink_owner, (void *)owner);
}

void podnet_netns_name(const char *uid, char *buf, size_t len)
{
	snprintf(buf, len, PODNET_NETNS_PREFIX "%s", uid);
}

void podnet_host_if(const char *prefix, const char *uid, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	int room;

	for (const char *p = uid; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	/* IFNAMSIZ - 1 characters in all. */
	room = IFNAMSIZ - 1 - (int)strlen(prefix);
	if (room < 4)
		room = 4;
	snprintf(buf, len, "%s%0*llx", prefix, room, (unsigned long long)(h >> (64 - 4 * room)));
	if (strlen(buf) > IFNAMSIZ - 1)
		buf[IFNAMSIZ - 1] = '\0';
}

int run_capture(char *const argv[], bool with_stderr, char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status, ret;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	/* posix_spawn, not fork: safe in the agent's threads. */
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	if (with_stderr)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (ret) {
		close(pipefd[0]);
		snprintf(out, outlen, "%s: %s", argv[0], strerror(ret));
		return -ret;
	}
	/* Read it all (a full buffer must not block the child); keep what fits. */
	for (;;) {
		char sink[512];
		bool room = used + 1 < outlen;

		n = read(pipefd[0], room ? out + used : sink,
			 room ? outlen - 1 - used : sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (room)
			used += n;
	}
	out[used] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int run_cmd(char *const argv[], char *err, size_t errlen)
{
	char out[512];
	int ret = run_capture(argv, true, out, sizeof(out));
	size_t used = strlen(out);

	if (ret != -EIO) {
		if (ret && err)
			snprintf(err, errlen, "%s", out);
		return ret;
	}
	if (err) {
		size_t l = 0;

		for (int i = 0; argv[i] && l < errlen; i++)
			l += snprintf(err + l, errlen - l, "%s%s", i ? " " : "", argv[i]);
		if (l < errlen)
			snprintf(err + l, errlen - l, ": %s", used ? strtok(out, "\n") : "failed");
	}
	return -EIO;
}

bool podnet_netns_exists(const char *netns)
{
	char path[PATH_MAX];

	return pathf(path, sizeof(path), "/run/netns/%s", netns) == 0 && access(path, F_OK) == 0;
}

bool podnet_link_exists(const char *ifname)
{
	return if_nametoindex(ifname) != 0;
}

/* The MAC of a link in the caller's netns (sysfs may show another netns: the agent can run
 * under nsenter --net with the host's /sys). */
static int link_mac(const char *ifname, char *buf, size_t len)
{
	struct ifreq ifr = { 0 };
	unsigned char *m;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	close(fd);
	if (ret)
		return ret;
	m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

int podnet_create(const char *netns, const char *host_if, struct in_addr addr, char *err,
		  size_t errlen)
{
	char ip[INET_ADDRSTRLEN], ip32[INET_ADDRSTRLEN + 3], mac[32], ns[128];
	int ret;

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(ip32, sizeof(ip32), "%s/32", ip);
	snprintf(ns, sizeof(ns), "%s", netns);
#define RUN(...)                                                                        \
	do {                                                                            \
		char *const argv_[] = { __VA_ARGS__, NULL };                            \
		ret = run_cmd(argv_, err, errlen);                                      \
		if (ret)                                                                \
			return ret;                                                     \
	} while (0)
	if (!podnet_netns_exists(netns))
		RUN("ip", "netns", "add", ns);
	if (!podnet_link_exists(host_if))
		RUN("ip", "link", "add", (char *)host_if, "type", "veth", "peer", "name", "eth0",
		    "netns", ns);
	ret = link_mac(host_if, mac, sizeof(mac));
	if (ret) {
		snprintf(err, errlen, "reading the MAC of %s: %s", host_if, strerror(-ret));
		return ret;
	}
	RUN("ip", "-n", ns, "link", "set", "lo", "up");
	RUN("ip", "-n", ns, "link", "set", "eth0", "up");
	RUN("ip", "-n", ns, "addr", "replace", ip32, "dev", "eth0");
	RUN("ip", "-n", ns, "route", "replace", PODNET_GATEWAY, "dev", "eth0", "scope", "link");
	RUN("ip", "-n", ns, "route", "replace", "default", "via", PODNET_GATEWAY, "dev", "eth0");
	RUN("ip", "-n", ns, "neigh", "replace", PODNET_GATEWAY, "lladdr", mac, "dev", "eth0",
	    "nud", "permanent");
	RUN("ip", "link", "set", (char *)host_if, "up");
	RUN("ip", "route", "replace", ip32, "dev", (char *)host_if);
#undef RUN
	return 0;
}

int podnet_destroy(const char *netns, const char *host_if)
{
	char err[256], ns[128], ifn[IFNAMSIZ];
	int ret = 0;

	snprintf(ns, sizeof(ns), "%s", netns);
	snprintf(ifn, sizeof(ifn), "%s", host_if);
	if (*ifn && podnet_link_exists(ifn)) {
		char *const argv[] = { "ip", "link", "del", ifn, NULL };

		ret = run_cmd(argv, err, sizeof(err));
		if (ret)
			pr_warn("%s\n", err);
	}
	if (*ns && podnet_netns_exists(ns)) {
		char *const argv[] = { "ip", "netns", "del", ns, NULL };
		int r = run_cmd(argv, err, sizeof(err));

		if (r) {
			pr_warn("%s\n", err);
			ret = ret ? ret : r;
		}
	}
	return ret;
}
