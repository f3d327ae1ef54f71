/* db_sqlite: the SQLite engine behind store/db.h (see dbengine.h). A
 * connection opens the file with the project's pragmas (WAL, busy timeout,
 * foreign keys); a statement is SQLite's own under our head. */
#include "store/dbengine.h"

#include "base/env.h"
#include "base/errbuf.h"
#include "base/mem.h"
#include "store/db.h"
#include "store/schema.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

struct sqlite_stmt {
    struct db_stmt head;
    sqlite3_stmt *st;
};

static sqlite3 *conn(struct db *db)
{
    return db->h;
}

static sqlite3_stmt *raw(struct db_stmt *st)
{
    return ((struct sqlite_stmt *)st)->st;
}

static int lite_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(conn(db), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        db->err_code = rc;
        db->failed = true;
        err_set(err, errlen, "database error: %s", msg ? msg : sqlite3_errmsg(conn(db)));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int lite_open(struct db *db, char *err, size_t errlen)
{
    int flags =
        db->mode == DB_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    sqlite3 *h = NULL;
    /* A new file is private to the service's user: job rows keep a snapshot
     * of their config, which may hold API keys. SQLite gives the -wal and
     * -shm files the database file's mode. O_EXCL matters: closing a
     * descriptor of a file that exists would drop every POSIX lock this
     * process's other connections hold on it. */
    if (db->mode == DB_READWRITE) {
        int fd = open(db->location, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    int rc = sqlite3_open_v2(db->location, &h, flags | SQLITE_OPEN_NOMUTEX, NULL);
    db->h = h;
    if (rc != SQLITE_OK)
        return err_set(err, errlen, "cannot open database %s: %s", db->location,
                       h ? sqlite3_errmsg(h) : "out of memory");
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, (int)env_long(DB_ENV_BUSY_TIMEOUT, DB_BUSY_TIMEOUT_MS, 0, 3600000));
    if (lite_exec(db, "PRAGMA foreign_keys = ON", err, errlen) != 0)
        return -1;
    if (db->mode == DB_READWRITE &&
        lite_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", err, errlen) != 0)
        return -1;
    return 0;
}

static void lite_close(struct db *db)
{
    sqlite3_close(conn(db));
}

static bool lite_alive(struct db *db)
{
    return conn(db) != NULL;
}

static const char *lite_filename(struct db *db)
{
    const char *f = sqlite3_db_filename(conn(db), "main");
    return f ? f : "";
}

/* SQLite moves an AUTOINCREMENT sequence past any id inserted explicitly. */
static int lite_sync_ids(struct db *db, const char *table, long long max_id, char *err,
                         size_t errlen)
{
    (void)db, (void)table, (void)max_id, (void)err, (void)errlen;
    return 0;
}

static int lite_standby_lag(struct db *db, bool *standby, double *lag, char *err, size_t errlen)
{
    (void)db, (void)err, (void)errlen;
    *standby = false;
    *lag = 0;
    return 0;
}

static int lite_clock(struct db *db, int ahead, char out[TIMESTAMP_BUF], char *err, size_t errlen)
{
    (void)db, (void)err, (void)errlen;
    time_iso_after(ahead, out);
    return 0;
}

static const char *lite_errmsg(struct db *db)
{
    return conn(db) ? sqlite3_errmsg(conn(db)) : "no database";
}

static bool lite_transient(struct db *db)
{
    switch (db->err_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
        return true;
    default:
        return false;
    }
}

static struct db_stmt *lite_prepare(struct db *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(conn(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        db->err_code = sqlite3_extended_errcode(conn(db));
        db->failed = true;
        err_set(err, errlen, "cannot prepare statement: %s", sqlite3_errmsg(conn(db)));
        return NULL;
    }
    struct sqlite_stmt *s = mem_calloc(1, sizeof(*s));
    s->st = st;
    return &s->head;
}

static void lite_finalize(struct db_stmt *st)
{
    sqlite3_finalize(raw(st));
    free(st);
}

static void lite_reset(struct db_stmt *st)
{
    sqlite3_reset(raw(st));
}

static void lite_clear_bindings(struct db_stmt *st)
{
    sqlite3_clear_bindings(raw(st));
}

static enum db_step lite_step(struct db_stmt *st)
{
    int rc = sqlite3_step(raw(st));
    if (rc == SQLITE_ROW)
        return DB_STEP_ROW;
    if (rc == SQLITE_DONE)
        return DB_STEP_DONE;
    st->db->err_code = rc; /* the step's own code, which a reset may replace on the handle */
    st->db->failed = true;
    return DB_STEP_ERROR;
}

static void bind_check(sqlite3_stmt *st, int i, int rc)
{
    if (rc == SQLITE_OK)
        return;
    fprintf(stderr, "binding parameter %d of \"%s\": %s\n", i, sqlite3_sql(st), sqlite3_errstr(rc));
    abort();
}

static void lite_bind_text(struct db_stmt *st, int i, const char *s)
{
    bind_check(raw(st), i, sqlite3_bind_text(raw(st), i, s, -1, SQLITE_TRANSIENT));
}

static void lite_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
    if (n > INT_MAX)
        mem_fatal(0);
    bind_check(raw(st), i, sqlite3_bind_blob(raw(st), i, p, (int)n, SQLITE_TRANSIENT));
}

static void lite_bind_int64(struct db_stmt *st, int i, long long v)
{
    bind_check(raw(st), i, sqlite3_bind_int64(raw(st), i, (sqlite3_int64)v));
}

static void lite_bind_double(struct db_stmt *st, int i, double v)
{
    bind_check(raw(st), i, sqlite3_bind_double(raw(st), i, v));
}

static void lite_bind_null(struct db_stmt *st, int i)
{
    bind_check(raw(st), i, sqlite3_bind_null(raw(st), i));
}

static int lite_bind_count(struct db_stmt *st)
{
    return sqlite3_bind_parameter_count(raw(st));
}

static int lite_col_count(struct db_stmt *st)
{
    return sqlite3_column_count(raw(st));
}

static const char *lite_col_name(struct db_stmt *st, int i)
{
    return sqlite3_column_name(raw(st), i);
}

static enum db_col_type lite_col_type(struct db_stmt *st, int i)
{
    switch (sqlite3_column_type(raw(st), i)) {
    case SQLITE_INTEGER:
        return DB_COL_INTEGER;
    case SQLITE_FLOAT:
        return DB_COL_FLOAT;
    case SQLITE_TEXT:
        return DB_COL_TEXT;
    case SQLITE_BLOB:
        return DB_COL_BLOB;
    default:
        return DB_COL_NULL;
    }
}

static const char *lite_col_text(struct db_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(raw(st), i);
}

static long long lite_col_int64(struct db_stmt *st, int i)
{
    return sqlite3_column_int64(raw(st), i);
}

static double lite_col_double(struct db_stmt *st, int i)
{
    return sqlite3_column_double(raw(st), i);
}

static const void *lite_col_blob(struct db_stmt *st, int i)
{
    return sqlite3_column_blob(raw(st), i);
}

static size_t lite_col_bytes(struct db_stmt *st, int i)
{
    return (size_t)sqlite3_column_bytes(raw(st), i);
}

static long long lite_changes(struct db *db)
{
    return sqlite3_changes64(conn(db));
}

static bool lite_in_transaction(struct db *db)
{
    return !sqlite3_get_autocommit(conn(db));
}

/* SQLite has one writer per file: every write transaction takes its lock up
 * front (waiting up to the busy timeout), so it never fails half-way on
 * SQLITE_BUSY. */
static int lite_begin(struct db *db, bool store_wide, char *err, size_t errlen)
{
    (void)store_wide;
    return lite_exec(db, "BEGIN IMMEDIATE", err, errlen);
}

static int lite_get_version(struct db *db, int *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(conn(db), "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = 0;
    } else {
        db->err_code = sqlite3_extended_errcode(conn(db));
        db->failed = true;
        err_set(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(conn(db)));
    }
    sqlite3_finalize(st);
    return rc;
}

static int lite_set_version(struct db *db, int v, char *err, size_t errlen)
{
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
    return lite_exec(db, pragma, err, errlen);
}

static int lite_check_store(struct db *db, char *err, size_t errlen)
{
    (void)db, (void)err, (void)errlen;
    return 0;
}

const struct db_ops db_sqlite_ops = {
    .engine = DB_ENGINE_SQLITE,
    .open = lite_open,
    .close = lite_close,
    .alive = lite_alive,
    .exec = lite_exec,
    .errmsg = lite_errmsg,
    .transient = lite_transient,
    .prepare = lite_prepare,
    .finalize = lite_finalize,
    .reset = lite_reset,
    .clear_bindings = lite_clear_bindings,
    .step = lite_step,
    .bind_text = lite_bind_text,
    .bind_blob = lite_bind_blob,
    .bind_int64 = lite_bind_int64,
    .bind_double = lite_bind_double,
    .bind_null = lite_bind_null,
    .bind_count = lite_bind_count,
    .col_count = lite_col_count,
    .col_name = lite_col_name,
    .col_type = lite_col_type,
    .col_text = lite_col_text,
    .col_int64 = lite_col_int64,
    .col_double = lite_col_double,
    .col_blob = lite_col_blob,
    .col_bytes = lite_col_bytes,
    .changes = lite_changes,
    .in_transaction = lite_in_transaction,
    .begin = lite_begin,
    .get_version = lite_get_version,
    .set_version = lite_set_version,
    .check_store = lite_check_store,
    .migration = schema_sqlite_migration,
    .filename = lite_filename,
    .sync_ids = lite_sync_ids,
    .standby_lag = lite_standby_lag,
    .clock = lite_clock,
    .first_version = 1,
};
