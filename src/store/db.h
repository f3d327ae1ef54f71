/* db: the service's one store, SQLite (a file, the default) or PostgreSQL
 * (a postgresql:// URL: many hosts share it; docs/scaling.md). Owns opening
 * a connection with the project's settings, the versioned schema
 * (store/schema.h) and its in-place migrations, and a per-connection cache
 * of prepared statements so long-lived processes prepare each query once. A
 * struct db is used by one thread at a time.
 *
 * It is the only module that names an engine (the back ends db_sqlite.c and
 * db_pg.c behind store/dbengine.h): the others run their SQL through struct
 * db_stmt and the db_step/db_col_* functions below. SQL texts use ?N
 * parameters; PostgreSQL gets them as $N, sent as text and typed by the
 * server from their context (write CAST(?1 AS TEXT) where nothing fixes a
 * type). */
#ifndef TRADER_DB_H
#define TRADER_DB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/dates.h"
#include "store/dbtypes.h"

#define DB_SCHEMA_VERSION 10     /* = SCHEMA_VERSION (store/schema.h) */
#define DB_BUSY_TIMEOUT_MS 10000 /* SQLite's busy timeout, PostgreSQL's lock_timeout */
#define DB_ENV_BUSY_TIMEOUT "TRADER_DB_BUSY_TIMEOUT_MS" /* overrides it (tests) */
#define DB_RETRY_MAX_SECONDS 30 /* the longest pause between two tries of a write */

/* A connection; a prepared statement, owned by its connection's cache. */
struct db;
struct db_stmt;

enum db_engine db_engine(const struct db *db);

/* Opens location: a postgresql:// URL (base/paths.h paths_is_url) or a
 * SQLite file path. On success
 * *out owns a new connection (free with db_close). */
int db_open(const char *location, enum db_mode mode, struct db **out, char *err, size_t errlen);

/* Replaces db's connection by a new one to the same store (its statement
 * cache emptied). After a transient failure SQLite may keep treating a
 * connection as read-only even once the file is writable again, and a
 * PostgreSQL connection may be lost; a new one sees the store as it is now.
 * On failure db keeps its old connection and db_transient(db) is true. */
int db_reopen(struct db *db, char *err, size_t errlen);

enum db_follow {
    DB_FOLLOW_ERROR = -1, /* *db is NULL; err says why */
    DB_FOLLOW_SAME,       /* *db is the connection it was */
    DB_FOLLOW_OPENED,     /* *db is a new connection: check what a new one needs */
};

/* Keeps *db (NULL or a connection db_follow opened) on the store now at
 * location: an open connection keeps reading a file removed or replaced
 * under it, so when the file at the path is another one (or gone) *db is
 * closed, and when *db is NULL it is opened (mode as db_open; a read-write
 * caller migrates). A PostgreSQL connection is kept while the server has it
 * open, and opened again once it is lost. On DB_FOLLOW_ERROR *db is NULL. */
enum db_follow db_follow(struct db **db, const char *location, enum db_mode mode, char *err,
                         size_t errlen);

/* Finalizes every cached statement and closes the connection. NULL is a no-op. */
void db_close(struct db *db);

/* Upgrades the schema in place to DB_SCHEMA_VERSION, one transaction per
 * version; refuses a store written by a newer version, and a PostgreSQL
 * database whose collation is not C (text must sort byte by byte, as in
 * SQLite: dates, symbols and ids are compared as text). */
int db_migrate(struct db *db, char *err, size_t errlen);

/* Like db_migrate but stops at version `target` (tests build old files;
 * a PostgreSQL store starts at SCHEMA_PG_FIRST). */
int db_migrate_to(struct db *db, int target, char *err, size_t errlen);

int db_schema_version(struct db *db, int *out);

/* The cached statement for sql, reset and with bindings cleared. sql must be a
 * string with static storage: its address is the cache key. Callers reset the
 * statement (db_reset) as soon as they are done so no read transaction
 * stays open. Returns NULL and fills err on failure. The db owns the result. */
struct db_stmt *db_stmt(struct db *db, const char *sql, char *err, size_t errlen);

/* Runs one or more statements without results. */
int db_exec(struct db *db, const char *sql, char *err, size_t errlen);

/* Transactions. db_begin_immediate takes the store's write lock up front
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN and a transaction-scoped
 * advisory lock every writer of the store takes), waiting up to the busy
 * timeout, so writers are serialised on both engines the same way and a
 * check-then-write stays correct across hosts. Within a process, write
 * transactions first queue on one mutex, held until the commit or
 * rollback: a thread must not begin a write transaction on a second
 * connection while it holds one. On PostgreSQL a failed statement ends
 * what the transaction did (roll back, or to a savepoint). */
int db_begin_immediate(struct db *db, char *err, size_t errlen);
/* A write transaction for work that row locks keep apart (claiming a
 * model-day with FOR UPDATE SKIP LOCKED): on PostgreSQL it does not queue
 * on the store-wide writer lock db_begin_immediate takes; on SQLite, where
 * every writer takes the file's lock, it is db_begin_immediate. */
int db_begin(struct db *db, char *err, size_t errlen);
int db_commit(struct db *db, char *err, size_t errlen);
void db_rollback(struct db *db);

/* Fills err with the engine's message for the last failure, prefixed by what. */
int db_error(struct db *db, const char *what, char *err, size_t errlen);

/* Whether the last failure reported on db (db_error, db_exec and the
 * functions built on them) is a transient storage problem of the host: the
 * database locked past the busy timeout, a full disk, a read-only or failing
 * file. Such a write is worth trying again later; callers answer 503, not
 * 500. db_clear_error forgets the last failure. */
bool db_transient(const struct db *db);
void db_clear_error(struct db *db);

/* The pause before try number attempt + 2 of a write that failed for a
 * transient reason: 0.5 s doubling up to DB_RETRY_MAX_SECONDS. Returns 0
 * after the pause, -1 at once when *cancel (may be NULL) becomes nonzero. */
int db_retry_pause(int attempt, const atomic_int *cancel);

/* Binding parameter i of st. Every bind goes through these: a bind fails
 * only for a bug (an index out of range, a statement still running) or for
 * lack of memory (every text we bind is bounded far below SQLite's length
 * limit), and either ends the process with the statement's text named, as
 * mem.h's policy says. db_bind_text binds a copy of s (NULL binds null). */
void db_bind_text(struct db_stmt *st, int i, const char *s);
void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n);
void db_bind_int64(struct db_stmt *st, int i, long long v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_null(struct db_stmt *st, int i);

/* How many parameters st's SQL has (one function may serve several forms
 * of a query). */
int db_bind_count(struct db_stmt *st);

/* Advances st by one row. The caller still resets st (db_reset) when done,
 * whatever the outcome. */
enum db_step db_step(struct db *db, struct db_stmt *st, const char *what, char *err, size_t errlen);

/* Steps a bound statement without results (an insert, update or delete) to
 * its end and resets it. Returns 0, or -1 with db_error(what). */
int db_step_done(struct db *db, struct db_stmt *st, const char *what, char *err, size_t errlen);

/* Column i (from 0) of the current row. Text and blobs belong to st and stay
 * valid until the next db_step or db_reset; db_col_text is NULL for a null.
 * Numbers read from a null are 0. */
enum db_col_type db_col_type(struct db_stmt *st, int i);
int db_col_count(struct db_stmt *st);
const char *db_col_name(struct db_stmt *st, int i); /* belongs to st */
bool db_col_is_null(struct db_stmt *st, int i);
const char *db_col_text(struct db_stmt *st, int i);
long long db_col_int64(struct db_stmt *st, int i);
int db_col_int(struct db_stmt *st, int i);
double db_col_double(struct db_stmt *st, int i);
const void *db_col_blob(struct db_stmt *st, int i);
size_t db_col_bytes(struct db_stmt *st, int i); /* of a text or blob */

/* Ends st's run (its read snapshot) and keeps its bindings. */
void db_reset(struct db_stmt *st);

/* Rows changed by the last insert, update or delete on db. */
long long db_changes(struct db *db);

/* Whether db is inside a transaction (BEGIN without COMMIT or ROLLBACK). */
bool db_in_transaction(struct db *db);

/* Savepoints, nested inside a transaction; name is an SQL identifier. */
int db_savepoint(struct db *db, const char *name, char *err, size_t errlen);
int db_release(struct db *db, const char *name, char *err, size_t errlen);
/* Undoes and ends savepoint name; failure is ignored (like db_rollback). */
void db_rollback_to(struct db *db, const char *name);

/* The absolute path of a SQLite store's main file ("" for an in-memory
 * database or a PostgreSQL store); the journal files are beside it with
 * "-wal" and "-shm" appended. */
const char *db_filename(struct db *db);

/* After rows were inserted with explicit ids (a copy): makes table's next
 * generated id follow max_id. A no-op on SQLite, which does so itself. */
int db_sync_ids(struct db *db, const char *table, long long max_id, char *err, size_t errlen);

/* Whether db reads a PostgreSQL hot standby, and then how far behind its
 * primary it may be: 0 when it has replayed all it received, else the age
 * of the last transaction it replayed. A SQLite store or a primary: *standby
 * false, *lag_seconds 0. */
int db_standby_lag(struct db *db, bool *standby, double *lag_seconds, char *err, size_t errlen);

/* The store's clock, seconds_ahead from now, as time_now_iso writes times
 * (UTC, milliseconds): what leases and heartbeats, written by many hosts,
 * are stamped and compared with. On PostgreSQL it is the server's clock, so
 * the hosts' clocks need not agree; on SQLite (one host) this host's. */
int db_clock(struct db *db, int seconds_ahead, char out[TIMESTAMP_BUF], char *err, size_t errlen);

#endif
