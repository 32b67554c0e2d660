/* ipam.h — the address allocators of the node IPAM and LoadBalancer IPAM controllers: a
 * cluster CIDR cut into per-node subnets (kube's cidrset), and a pool of single IPv4
 * addresses made of ranges and CIDRs (MetalLB's address pools). Pure logic, no locking:
 * the controllers serialise calls. IPv4 addresses are host-order uint32_t. */
#ifndef KBPF_IPAM_H
#define KBPF_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of slots 0..size-1, each free or used. */
struct ipam_bitmap {
	uint64_t *words;
	uint32_t size;
	uint32_t used;
};

int ipam_bitmap_init(struct ipam_bitmap *b, uint32_t size);
void ipam_bitmap_free(struct ipam_bitmap *b);
bool ipam_bitmap_test(const struct ipam_bitmap *b, uint32_t i);
void ipam_bitmap_set(struct ipam_bitmap *b, uint32_t i);
void ipam_bitmap_clear(struct ipam_bitmap *b, uint32_t i);
/* The first free slot at or after from, wrapping around; -ENOSPC when all are used. */
int64_t ipam_bitmap_find_free(const struct ipam_bitmap *b, uint32_t from);

/* "10.244.0.0/16" (host bits are masked off, as Go's net.ParseCIDR does): 0 or -EINVAL. */
int ipam_parse_cidr4(const char *s, uint32_t *net, int *prefix);
/* "10.99.0.200": 0 or -EINVAL. */
int ipam_parse_ip4(const char *s, uint32_t *ip);
void ipam_format_ip4(uint32_t ip, char *buf, size_t len);

/*
 * A cluster CIDR cut into subnets of node_prefix bits, handed out in turn: the next
 * allocation starts after the last one (kube's cidrset.AllocateNext), so a released
 * subnet is not reused at once while others are free.
 */
struct ipam_cidrset {
	uint32_t base;
	int prefix, node_prefix;
	uint32_t next; /* where the next search starts */
	struct ipam_bitmap map;
};

/* 0, or -EINVAL with err saying what is wrong with the CIDR or the mask size. */
int ipam_cidrset_init(struct ipam_cidrset *s, const char *cidr, int node_prefix, char *err,
		      size_t err_len);
void ipam_cidrset_free(struct ipam_cidrset *s);
/* The next free subnet, marked used: its index, or -ENOSPC. */
int64_t ipam_cidrset_allocate(struct ipam_cidrset *s);
/* The subnets a CIDR covers, [*first, *last]: -EINVAL when it does not parse, -ERANGE
 * when it is not inside the cluster CIDR. A CIDR smaller than a subnet covers the one
 * holding it; a larger one, every subnet inside it. */
int ipam_cidrset_span(const struct ipam_cidrset *s, const char *cidr, uint32_t *first,
		      uint32_t *last);
/* Subnet i as "10.244.3.0/24". */
void ipam_cidrset_format(const struct ipam_cidrset *s, uint32_t i, char *buf, size_t len);
uint32_t ipam_cidrset_size(const struct ipam_cidrset *s);

/*
 * A pool of addresses: "10.99.0.200-10.99.0.250", "10.99.0.0/28", or a comma-separated
 * list of both. A CIDR gives every address in it, network and broadcast included, as
 * MetalLB does by default. Allocation takes the lowest free address.
 */
#define IPAM_POOL_MAX (1u << 24) /* addresses: a 2 MiB bitmap */

struct ipam_range {
	uint32_t first, last;
};

struct ipam_pool {
	struct ipam_range *ranges; /* sorted, disjoint */
	size_t n_ranges;
	struct ipam_bitmap map;    /* slot i: the i-th address counting range after range */
};

/* 0, or -EINVAL with err saying which part of spec is wrong. */
int ipam_pool_parse(struct ipam_pool *p, const char *spec, char *err, size_t err_len);
void ipam_pool_free(struct ipam_pool *p);
/* The slot of ip, or -ENOENT when ip is not in the pool. */
int64_t ipam_pool_slot(const struct ipam_pool *p, uint32_t ip);
uint32_t ipam_pool_ip(const struct ipam_pool *p, uint32_t slot);
/* The lowest free address, marked used: its slot, or -ENOSPC. */
int64_t ipam_pool_allocate(struct ipam_pool *p);

#endif /* KBPF_IPAM_H */
