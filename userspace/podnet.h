/* podnet.h — pod networking for kbpf-agent: a netns per pod joined to the node by a routed
 * veth (the scheme of scripts/podnet.sh), and a small file-backed IPAM over the podCIDR. */
#ifndef KBPF_PODNET_H
#define KBPF_PODNET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The pod's gateway: the node side of its veth, reached through a static neighbour. */
#define PODNET_GATEWAY "169.254.1.1"
#define PODNET_NETNS_PREFIX "kbpf-pod-"

/*
 * IPAM over one IPv4 CIDR, one file per address in DIR (named by the address, holding
 * the owner), created with O_EXCL: two agents, or an agent and its restarted self, never
 * hand out the same address. Allocation goes round the range from the last one handed out
 * (kept in DIR/last), so a released address is not reused at once. The network address,
 * .1 (kept for the node, as CNI's host-local does) and the broadcast address are never
 * handed out.
 */
struct ipam {
	char dir[256];
	uint32_t first, last; /* host order, inclusive */
};

int ipam_open(struct ipam *ipam, const char *dir, const char *cidr);
/* OWNER's address: the one it holds already, or a new one. -ENOSPC when the range is full. */
int ipam_alloc(struct ipam *ipam, const char *owner, struct in_addr *out);
/* Release every address OWNER holds (0 if none). */
int ipam_release(struct ipam *ipam, const char *owner);
/* The address OWNER holds: 0, or -ENOENT. */
int ipam_lookup(struct ipam *ipam, const char *owner, struct in_addr *out);

/* Names derived from the pod uid: netns "kbpf-pod-<uid>", host veth PREFIX + hash. */
void podnet_netns_name(const char *uid, char *buf, size_t len);
void podnet_host_if(const char *prefix, const char *uid, char *buf, size_t len);

/*
 * The pod network: netns NETNS (bind-mounted at /run/netns/NETNS, so `ip netns` sees it),
 * veth HOST_IF in the caller's netns (the node) and eth0 in the pod with ADDR/32, lo up,
 * a route to the gateway and the default route through it, and on the node a /32 route to
 * the pod. Made with iproute2's `ip`. A netns or link already there is reused (a retry
 * after a partial failure). 0 or -errno, with the failing command in err.
 */
int podnet_create(const char *netns, const char *host_if, struct in_addr addr, char *err,
		  size_t errlen);
/* Remove the veth (its route goes with it) and the netns; absent ones are fine. */
int podnet_destroy(const char *netns, const char *host_if);
bool podnet_netns_exists(const char *netns);
bool podnet_link_exists(const char *ifname);

/* Run argv (argv[0] looked up in PATH); its stdout (and stderr if asked) in out,
 * truncated to fit. 0, -EIO when it failed, or -errno when it could not start. */
int run_capture(char *const argv[], bool with_stderr, char *out, size_t outlen);
/* Run argv, its output (first line) in err with the command when it fails. 0 or -EIO. */
int run_cmd(char *const argv[], char *err, size_t errlen);

#endif /* KBPF_PODNET_H */
