/* store_sqlite.c — the embedded SQLite backend of the store: one append-only log table whose
 * row id is the etcd-style revision (kine's model), WAL, one writer. The current state is
 * read once at start; compaction drops superseded rows and gives the space back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite.h"
#include "util.h"

struct sqlite_be {
	sqlite3 *db;
	sqlite3_stmt *put;
	char wal_path[4096];
};

static const char *const schema[] = {
	/* Must precede the first table: lets incremental_vacuum give pages back. */
	"PRAGMA auto_vacuum = INCREMENTAL",
	"PRAGMA journal_mode = WAL",
	/* In WAL mode NORMAL syncs at checkpoints, not per commit: a committed write is in
	 * the WAL file before the call returns, so it survives the process being killed;
	 * an OS crash may lose the last commits (docs/APISERVER.md). */
	"PRAGMA synchronous = NORMAL",
	"PRAGMA busy_timeout = 5000",
	"CREATE TABLE IF NOT EXISTS log ("
	" rev INTEGER PRIMARY KEY,"       /* the revision of this change */
	" key TEXT NOT NULL,"
	" create_rev INTEGER NOT NULL,"
	" prev_rev INTEGER NOT NULL,"     /* the key's previous revision, 0 for a creation */
	" deleted INTEGER NOT NULL,"      /* a tombstone */
	" value BLOB)",
	"CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev)",
	/* compact_rev: history at and below it is gone; also keeps the revision counter when
	 * compaction removed the newest rows (deletions). */
	"CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
};

static int sql_err(struct sqlite_be *b, const char *what)
{
	pr_warn("sqlite: %s: %s\n", what, sqlite3_errmsg(b->db));
	return -EIO;
}

static int exec(struct sqlite_be *b, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(b->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		pr_warn("sqlite: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int be_load(void *be, int64_t *rev,
		   int (*add)(void *ctx, const char *key, const char *val, size_t len,
			      int64_t create_rev, int64_t mod_rev),
		   void *ctx)
{
	struct sqlite_be *b = be;
	sqlite3_stmt *st;
	int rc, err = 0;

	*rev = 0;
	if (sqlite3_prepare_v2(b->db,
			       "SELECT MAX((SELECT IFNULL(MAX(rev), 0) FROM log),"
			       " (SELECT IFNULL(MAX(value), 0) FROM meta WHERE name = 'compact_rev'))",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_err(b, "reading the revision");
	if (sqlite3_step(st) == SQLITE_ROW)
		*rev = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);

	/* The newest row of each key (SQLite takes bare columns from the MAX row). */
	if (sqlite3_prepare_v2(b->db,
			       "SELECT key, value, create_rev, MAX(rev), deleted FROM log GROUP BY key",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_err(b, "loading the current state");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 4))
			continue;
		err = add(ctx, (const char *)sqlite3_column_text(st, 0),
			  sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1),
			  sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
		if (err)
			break;
	}
	if (rc != SQLITE_DONE && !err)
		err = sql_err(b, "loading the current state");
	sqlite3_finalize(st);
	return err;
}

static int be_put(void *be, int64_t rev, const char *key, const char *val, size_t len,
		  int64_t create_rev, int64_t prev_rev)
{
	struct sqlite_be *b = be;
	int rc;

	sqlite3_reset(b->put);
	sqlite3_bind_int64(b->put, 1, rev);
	sqlite3_bind_text(b->put, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->put, 3, create_rev);
	sqlite3_bind_int64(b->put, 4, prev_rev);
	sqlite3_bind_int(b->put, 5, val == NULL);
	if (val)
		sqlite3_bind_blob(b->put, 6, val, len, SQLITE_STATIC);
	else
		sqlite3_bind_null(b->put, 6);
	rc = sqlite3_step(b->put);
	sqlite3_reset(b->put);
	if (rc != SQLITE_DONE)
		return sql_err(b, "writing");
	return 0;
}

static int be_compact(void *be, int64_t rev)
{
	struct sqlite_be *b = be;
	sqlite3_stmt *st;
	int rc;

	/* Superseded versions and tombstones at or below rev; every key's newest live row
	 * stays. */
	if (exec(b, "BEGIN"))
		return -EIO;
	if (sqlite3_prepare_v2(b->db,
			       "DELETE FROM log WHERE rev <= ?1 AND (deleted = 1 OR rev <"
			       " (SELECT MAX(l2.rev) FROM log l2 WHERE l2.key = log.key))",
			       -1, &st, NULL) != SQLITE_OK) {
		exec(b, "ROLLBACK");
		return sql_err(b, "compacting");
	}
	sqlite3_bind_int64(st, 1, rev);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		exec(b, "ROLLBACK");
		return sql_err(b, "compacting");
	}
	if (sqlite3_prepare_v2(b->db,
			       "INSERT INTO meta (name, value) VALUES ('compact_rev', ?1)"
			       " ON CONFLICT (name) DO UPDATE SET value = MAX(value, ?1)",
			       -1, &st, NULL) != SQLITE_OK) {
		exec(b, "ROLLBACK");
		return sql_err(b, "compacting");
	}
	sqlite3_bind_int64(st, 1, rev);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || exec(b, "COMMIT")) {
		exec(b, "ROLLBACK");
		return sql_err(b, "compacting");
	}
	/* Give the freed pages back, and empty the WAL. */
	exec(b, "PRAGMA incremental_vacuum");
	exec(b, "PRAGMA wal_checkpoint(TRUNCATE)");
	return 0;
}

static int64_t be_size(void *be)
{
	struct sqlite_be *b = be;
	sqlite3_stmt *st;
	int64_t size = 0;
	struct stat sb;

	if (sqlite3_prepare_v2(b->db,
			       "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
			       -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			size = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (!stat(b->wal_path, &sb))
		size += sb.st_size;
	return size;
}

static void be_close(void *be)
{
	struct sqlite_be *b = be;

	sqlite3_finalize(b->put);
	sqlite3_close(b->db);
	free(b);
}

int store_sqlite_open(const char *dir, struct store_backend *out)
{
	struct sqlite_be *b = calloc(1, sizeof(*b));
	char path[4096];
	size_t i;

	if (!b)
		return -ENOMEM;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_warn("cannot create %s: %s\n", dir, strerror(errno));
		free(b);
		return -errno;
	}
	if (pathf(path, sizeof(path), "%s/kbpf.db", dir) ||
	    pathf(b->wal_path, sizeof(b->wal_path), "%s/kbpf.db-wal", dir)) {
		free(b);
		return -ENAMETOOLONG;
	}
	/* One connection, used by the one writer (and at start); no shared cache. */
	if (sqlite3_open_v2(path, &b->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		pr_warn("sqlite: opening %s: %s\n", path, sqlite3_errmsg(b->db));
		sqlite3_close(b->db);
		free(b);
		return -EIO;
	}
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (exec(b, schema[i]))
			goto fail;
	if (sqlite3_prepare_v2(b->db,
			       "INSERT INTO log (rev, key, create_rev, prev_rev, deleted, value)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			       -1, &b->put, NULL) != SQLITE_OK) {
		sql_err(b, "preparing");
		goto fail;
	}
	*out = (struct store_backend){
		.load = be_load,
		.put = be_put,
		.compact = be_compact,
		.size_bytes = be_size,
		.close = be_close,
		.be = b,
	};
	return 0;
fail:
	sqlite3_close(b->db);
	free(b);
	return -EIO;
}
