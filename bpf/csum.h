/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* csum.h — incremental Internet checksum updates (RFC 1624) and the flow hash. */
#ifndef KBPF_CSUM_H
#define KBPF_CSUM_H

/* One's-complement addition of 32-bit words with end-around carry. */
static __always_inline __u32 csum_add32(__u32 csum, __u32 addend)
{
	csum += addend;
	return csum + (csum < addend);
}

static __always_inline __u16 csum_fold32(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 32-bit field. */
static __always_inline void csum_replace4(__sum16 *sum, __be32 from, __be32 to)
{
	__u32 c = (__u16)~*sum;

	c = csum_add32(c, ~from);
	c = csum_add32(c, to);
	*sum = csum_fold32(c);
}

/* The same for a 16-bit field. */
static __always_inline void csum_replace2(__sum16 *sum, __be16 from, __be16 to)
{
	__u32 c = (__u16)~*sum;

	c += (__u16)~from;
	c += to;
	*sum = csum_fold32(c);
}

/* UDP: a zero checksum means "none" and stays zero; a computed zero is sent as 0xffff. */
static __always_inline void udp_csum_replace4(__sum16 *sum, __be32 from, __be32 to)
{
	if (!*sum)
		return;
	csum_replace4(sum, from, to);
	if (!*sum)
		*sum = 0xffff;
}

static __always_inline void udp_csum_replace2(__sum16 *sum, __be16 from, __be16 to)
{
	if (!*sum)
		return;
	csum_replace2(sum, from, to);
	if (!*sum)
		*sum = 0xffff;
}

/* Bob Jenkins' lookup3 final mix (the kernel's jhash_3words), for backend selection. */
#define rol32_(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

static __always_inline __u32 flow_hash(__u32 a, __u32 b, __u32 c, __u32 initval)
{
	a += 0xdeadbeef + initval;
	b += 0xdeadbeef + initval;
	c += 0xdeadbeef + initval;
	c ^= b; c -= rol32_(b, 14);
	a ^= c; a -= rol32_(c, 11);
	b ^= a; b -= rol32_(a, 25);
	c ^= b; c -= rol32_(b, 16);
	a ^= c; a -= rol32_(c, 4);
	b ^= a; b -= rol32_(a, 14);
	c ^= b; c -= rol32_(b, 24);
	return c;
}

#endif /* KBPF_CSUM_H */
