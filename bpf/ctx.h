/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ctx.h — loads of skb packet pointers that the verifier accepts. clang may fold
 * skb->data and skb->data_end into one ctx pointer plus offsets ("dereference of modified
 * ctx ptr"); an asm load per field keeps each access a direct ctx read (as Cilium does). */
#ifndef KBPF_CTX_H
#define KBPF_CTX_H

#define SKB_LOAD_PTR_(skb, field)                                                  \
	({                                                                          \
		void *ptr_;                                                         \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                               \
			     : "=r"(ptr_)                                           \
			     : "r"(skb), "i"(offsetof(struct __sk_buff, field)));   \
		ptr_;                                                               \
	})

#define skb_data(skb)      SKB_LOAD_PTR_(skb, data)
#define skb_data_end(skb)  SKB_LOAD_PTR_(skb, data_end)
#define skb_data_meta(skb) SKB_LOAD_PTR_(skb, data_meta)

#endif /* KBPF_CTX_H */
