/* store_sqlite.h — the embedded SQLite backend of the apiserver's store. */
#ifndef KBPF_STORE_SQLITE_H
#define KBPF_STORE_SQLITE_H

#include "store.h"

/* Open (creating) dir/kbpf.db. */
int store_sqlite_open(const char *dir, struct store_backend *out);

#endif /* KBPF_STORE_SQLITE_H */
