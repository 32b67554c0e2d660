/* store_mem.h — a store backend that persists nothing (tests, fuzzing). */
#ifndef KBPF_STORE_MEM_H
#define KBPF_STORE_MEM_H

#include "store.h"

void store_mem_backend(struct store_backend *out);

#endif /* KBPF_STORE_MEM_H */
