/* dbengine: what store/db.c shares with its two back ends, db_sqlite.c and
 * db_pg.c (and what unit tests may look into). store/db.c keeps what both
 * engines have in common (the statement cache, the writer mutex, the
 * migration loop, retries); an engine is a table of operations. Nothing
 * outside store/ and tests/ includes this header. */
#ifndef TRADER_DBENGINE_H
#define TRADER_DBENGINE_H

#include "base/dates.h"
#include "store/dbtypes.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct db;

/* The head of every engine's statement. */
struct db_stmt {
    struct db *db;
    const char *sql; /* the cache key: a string with static storage */
};

struct db_ops {
    enum db_engine engine;
    /* Connects db->h to db->location. */
    int (*open)(struct db *db, char *err, size_t errlen);
    void (*close)(struct db *db);
    bool (*alive)(struct db *db); /* the server still has the connection open */
    /* Runs statements without parameters or results. */
    int (*exec)(struct db *db, const char *sql, char *err, size_t errlen);
    /* The message of the last failure, and whether it is a transient
     * trouble of the host or the server (db_transient). */
    const char *(*errmsg)(struct db *db);
    bool (*transient)(struct db *db);
    struct db_stmt *(*prepare)(struct db *db, const char *sql, char *err, size_t errlen);
    void (*finalize)(struct db_stmt *st);
    void (*reset)(struct db_stmt *st); /* keeps the bindings */
    void (*clear_bindings)(struct db_stmt *st);
    enum db_step (*step)(struct db_stmt *st);
    void (*bind_text)(struct db_stmt *st, int i, const char *s);
    void (*bind_blob)(struct db_stmt *st, int i, const void *p, size_t n);
    void (*bind_int64)(struct db_stmt *st, int i, long long v);
    void (*bind_double)(struct db_stmt *st, int i, double v);
    void (*bind_null)(struct db_stmt *st, int i);
    int (*bind_count)(struct db_stmt *st);
    int (*col_count)(struct db_stmt *st);
    const char *(*col_name)(struct db_stmt *st, int i);
    enum db_col_type (*col_type)(struct db_stmt *st, int i);
    const char *(*col_text)(struct db_stmt *st, int i);
    long long (*col_int64)(struct db_stmt *st, int i);
    double (*col_double)(struct db_stmt *st, int i);
    const void *(*col_blob)(struct db_stmt *st, int i);
    size_t (*col_bytes)(struct db_stmt *st, int i);
    long long (*changes)(struct db *db);
    bool (*in_transaction)(struct db *db);
    /* BEGIN for a write: store_wide asks for the lock that serialises every
     * writer of the store (SQLite: always; PostgreSQL: an advisory lock). */
    int (*begin)(struct db *db, bool store_wide, char *err, size_t errlen);
    /* The schema version stored in the database (0 for an empty one), and
     * the migration to version v (from v - 1), NULL where the engine has
     * none for v; set_version runs inside the migration's transaction. */
    int (*get_version)(struct db *db, int *out, char *err, size_t errlen);
    int (*set_version)(struct db *db, int v, char *err, size_t errlen);
    int (*check_store)(struct db *db, char *err, size_t errlen); /* before migrating */
    const char *(*migration)(int v);
    const char *(*filename)(struct db *db);
    int (*sync_ids)(struct db *db, const char *table, long long max_id, char *err, size_t errlen);
    int (*standby_lag)(struct db *db, bool *standby, double *lag, char *err, size_t errlen);
    int (*clock)(struct db *db, int ahead, char out[TIMESTAMP_BUF], char *err, size_t errlen);
    int first_version; /* the version an empty store starts from */
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

struct db_cached_stmt {
    const char *sql;
    struct db_stmt *stmt;
};

struct db {
    const struct db_ops *ops;
    void *h;                /* the engine's connection */
    int err_code;           /* SQLite: extended code of the last failure */
    char sqlstate[6];       /* PostgreSQL: SQLSTATE of the last failure, "" if none */
    char *pg_error;         /* PostgreSQL: message of the last failure (owned) */
    long long pg_changes;   /* PostgreSQL: rows of the last command */
    unsigned long pg_names; /* PostgreSQL: prepared statements named so far */
    bool failed;            /* a failure is on record (db_clear_error forgets it) */
    bool lost;              /* db_reopen could not connect again: transient */
    bool writing;           /* holds the process's writer mutex */
    char *location;         /* as opened: a SQLite path or a postgresql:// URL */
    dev_t dev;              /* SQLite: identity of the file db_follow opened, else 0 */
    ino_t ino;
    enum db_mode mode;
    size_t ncache, capcache;
    struct db_cached_stmt *cache; /* grows: one entry per distinct query */
};

#endif
