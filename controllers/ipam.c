/* ipam.c — per-node subnets of a cluster CIDR and pools of LoadBalancer addresses, on
 * bitmaps. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"

/* kube's cidrset refuses more than 2^16 subnets per cluster CIDR (clusterSubnetMaxDiff). */
#define CIDRSET_MAX_BITS 16

int ipam_bitmap_init(struct ipam_bitmap *b, uint32_t size)
{
	b->words = calloc((size + 63) / 64 ?: 1, sizeof(uint64_t));
	b->size = size;
	b->used = 0;
	return b->words ? 0 : -ENOMEM;
}

void ipam_bitmap_free(struct ipam_bitmap *b)
{
	free(b->words);
	b->words = NULL;
	b->size = b->used = 0;
}

bool ipam_bitmap_test(const struct ipam_bitmap *b, uint32_t i)
{
	return i < b->size && (b->words[i / 64] >> (i % 64)) & 1;
}

void ipam_bitmap_set(struct ipam_bitmap *b, uint32_t i)
{
	if (i >= b->size || ipam_bitmap_test(b, i))
		return;
	b->words[i / 64] |= 1ULL << (i % 64);
	b->used++;
}

void ipam_bitmap_clear(struct ipam_bitmap *b, uint32_t i)
{
	if (!ipam_bitmap_test(b, i))
		return;
	b->words[i / 64] &= ~(1ULL << (i % 64));
	b->used--;
}

/* The first free slot in [from, to), or -1: a word at a time. */
static int64_t find_free_between(const struct ipam_bitmap *b, uint32_t from, uint32_t to)
{
	uint32_t i = from;

	while (i < to) {
		uint64_t free_bits = ~b->words[i / 64] & (~0ULL << (i % 64));

		if (free_bits) {
			uint32_t hit = (i & ~63u) + (uint32_t)__builtin_ctzll(free_bits);

			return hit < to ? (int64_t)hit : -1;
		}
		i = (i & ~63u) + 64;
	}
	return -1;
}

int64_t ipam_bitmap_find_free(const struct ipam_bitmap *b, uint32_t from)
{
	int64_t i;

	if (b->used >= b->size)
		return -ENOSPC;
	if (from >= b->size)
		from = 0;
	i = find_free_between(b, from, b->size);
	if (i < 0)
		i = find_free_between(b, 0, from);
	return i < 0 ? -ENOSPC : i;
}

int ipam_parse_ip4(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

void ipam_format_ip4(uint32_t ip, char *buf, size_t len)
{
	struct in_addr a = { htonl(ip) };

	if (!inet_ntop(AF_INET, &a, buf, len) && len)
		buf[0] = 0;
}

static uint32_t mask_of(int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

int ipam_parse_cidr4(const char *s, uint32_t *net, int *prefix)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	char *end;
	long p;

	if (!slash || slash - s >= (long)sizeof(addr) || !slash[1])
		return -EINVAL;
	p = strtol(slash + 1, &end, 10);
	if (*end || p < 0 || p > 32 || !(slash[1] >= '0' && slash[1] <= '9'))
		return -EINVAL;
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - s), s);
	if (ipam_parse_ip4(addr, net))
		return -EINVAL;
	*prefix = (int)p;
	*net &= mask_of(*prefix);
	return 0;
}

int ipam_cidrset_init(struct ipam_cidrset *s, const char *cidr, int node_prefix, char *err,
		      size_t err_len)
{
	memset(s, 0, sizeof(*s));
	if (ipam_parse_cidr4(cidr, &s->base, &s->prefix)) {
		snprintf(err, err_len, "%s is not an IPv4 CIDR", cidr ? cidr : "(none)");
		return -EINVAL;
	}
	if (node_prefix < s->prefix || node_prefix > 32) {
		snprintf(err, err_len,
			 "the node CIDR mask size /%d does not fit in the cluster CIDR %s", node_prefix,
			 cidr);
		return -EINVAL;
	}
	if (node_prefix - s->prefix > CIDRSET_MAX_BITS) {
		snprintf(err, err_len,
			 "the node CIDR mask size /%d cuts %s into more than 2^%d subnets",
			 node_prefix, cidr, CIDRSET_MAX_BITS);
		return -EINVAL;
	}
	s->node_prefix = node_prefix;
	if (ipam_bitmap_init(&s->map, 1u << (node_prefix - s->prefix))) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void ipam_cidrset_free(struct ipam_cidrset *s)
{
	ipam_bitmap_free(&s->map);
}

uint32_t ipam_cidrset_size(const struct ipam_cidrset *s)
{
	return s->map.size;
}

int64_t ipam_cidrset_allocate(struct ipam_cidrset *s)
{
	int64_t i = ipam_bitmap_find_free(&s->map, s->next);

	if (i < 0)
		return i;
	ipam_bitmap_set(&s->map, (uint32_t)i);
	s->next = (uint32_t)(i + 1) % s->map.size;
	return i;
}

int ipam_cidrset_span(const struct ipam_cidrset *s, const char *cidr, uint32_t *first,
		      uint32_t *last)
{
	uint32_t net, off;
	int prefix, shift = 32 - s->node_prefix;

	if (ipam_parse_cidr4(cidr, &net, &prefix))
		return -EINVAL;
	if (prefix < s->prefix || (net & mask_of(s->prefix)) != s->base)
		return -ERANGE;
	off = net - s->base;
	/* (A /32 shift is only possible with a /0 node prefix, which init refuses.) */
	*first = off >> shift;
	if (prefix >= s->node_prefix)
		*last = *first;
	else
		*last = *first + (1u << (s->node_prefix - prefix)) - 1;
	return 0;
}

void ipam_cidrset_format(const struct ipam_cidrset *s, uint32_t i, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	ipam_format_ip4(s->base + (i << (32 - s->node_prefix)), ip, sizeof(ip));
	snprintf(buf, len, "%s/%d", ip, s->node_prefix);
}

static int cmp_range(const void *a, const void *b)
{
	const struct ipam_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* One element of a pool: "A-B" or "A/N". */
static int parse_pool_item(const char *item, struct ipam_range *r, char *err, size_t err_len)
{
	const char *dash = strchr(item, '-');
	char a[64];
	int prefix;

	if (dash) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - item), item);
		if (ipam_parse_ip4(a, &r->first) || ipam_parse_ip4(dash + 1, &r->last)) {
			snprintf(err, err_len, "%s is not a range of IPv4 addresses (A.B.C.D-E.F.G.H)",
				 item);
			return -EINVAL;
		}
		if (r->first > r->last) {
			snprintf(err, err_len, "%s: the range ends before it starts", item);
			return -EINVAL;
		}
		return 0;
	}
	if (strchr(item, '/')) {
		if (ipam_parse_cidr4(item, &r->first, &prefix)) {
			snprintf(err, err_len, "%s is not an IPv4 CIDR", item);
			return -EINVAL;
		}
		r->last = r->first | ~mask_of(prefix);
		return 0;
	}
	if (ipam_parse_ip4(item, &r->first)) {
		snprintf(err, err_len, "%s is neither an IPv4 range (A-B), a CIDR nor an address",
			 item);
		return -EINVAL;
	}
	r->last = r->first;
	return 0;
}

int ipam_pool_parse(struct ipam_pool *p, const char *spec, char *err, size_t err_len)
{
	char *copy = strdup(spec ? spec : ""), *save = NULL, *tok;
	uint64_t total = 0;
	size_t i;
	int ret = -EINVAL;

	memset(p, 0, sizeof(*p));
	if (!copy) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct ipam_range r, *grown;

		while (*tok == ' ')
			tok++;
		tok[strcspn(tok, " ")] = 0;
		if (!*tok)
			continue;
		if (parse_pool_item(tok, &r, err, err_len))
			goto fail;
		grown = realloc(p->ranges, (p->n_ranges + 1) * sizeof(*grown));
		if (!grown) {
			snprintf(err, err_len, "out of memory");
			ret = -ENOMEM;
			goto fail;
		}
		p->ranges = grown;
		p->ranges[p->n_ranges++] = r;
		total += (uint64_t)r.last - r.first + 1;
	}
	if (!p->n_ranges) {
		snprintf(err, err_len, "the pool \"%s\" has no addresses", spec ? spec : "");
		goto fail;
	}
	if (total > IPAM_POOL_MAX) {
		snprintf(err, err_len, "the pool has %llu addresses; at most %u are supported",
			 (unsigned long long)total, IPAM_POOL_MAX);
		goto fail;
	}
	qsort(p->ranges, p->n_ranges, sizeof(*p->ranges), cmp_range);
	for (i = 1; i < p->n_ranges; i++)
		if (p->ranges[i].first <= p->ranges[i - 1].last) {
			char a[INET_ADDRSTRLEN];

			ipam_format_ip4(p->ranges[i].first, a, sizeof(a));
			snprintf(err, err_len, "the pool lists %s twice (its parts overlap)", a);
			goto fail;
		}
	if (ipam_bitmap_init(&p->map, (uint32_t)total)) {
		snprintf(err, err_len, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	free(p->ranges);
	memset(p, 0, sizeof(*p));
	return ret;
}

void ipam_pool_free(struct ipam_pool *p)
{
	free(p->ranges);
	ipam_bitmap_free(&p->map);
	memset(p, 0, sizeof(*p));
}

int64_t ipam_pool_slot(const struct ipam_pool *p, uint32_t ip)
{
	uint64_t base = 0;
	size_t i;

	for (i = 0; i < p->n_ranges; i++) {
		const struct ipam_range *r = &p->ranges[i];

		if (ip >= r->first && ip <= r->last)
			return (int64_t)(base + (ip - r->first));
		base += (uint64_t)r->last - r->first + 1;
	}
	return -ENOENT;
}

uint32_t ipam_pool_ip(const struct ipam_pool *p, uint32_t slot)
{
	size_t i;

	for (i = 0; i < p->n_ranges; i++) {
		uint64_t len = (uint64_t)p->ranges[i].last - p->ranges[i].first + 1;

		if (slot < len)
			return p->ranges[i].first + slot;
		slot -= (uint32_t)len;
	}
	return 0;
}

int64_t ipam_pool_allocate(struct ipam_pool *p)
{
	int64_t i = ipam_bitmap_find_free(&p->map, 0);

	if (i >= 0)
		ipam_bitmap_set(&p->map, (uint32_t)i);
	return i;
}
