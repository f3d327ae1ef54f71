/* db: see db.h. What both engines share lives here: choosing the engine by
 * the location, the statement cache, the process's writer mutex, the
 * migration loop and the retry pause; each call then goes to the
 * connection's engine (dbengine.h). */
#include "store/db.h"

#include "base/errbuf.h"
#include "base/mem.h"
#include "base/paths.h"
#include "store/dbengine.h"
#include "store/schema.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

_Static_assert(DB_SCHEMA_VERSION == SCHEMA_VERSION, "db.h and schema.h agree");

enum db_engine db_engine(const struct db *db)
{
    return db->ops->engine;
}

int db_error(struct db *db, const char *what, char *err, size_t errlen)
{
    if (db)
        db->failed = true;
    return err_set(err, errlen, "%s: %s", what, db && db->h ? db->ops->errmsg(db) : "no database");
}

int db_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
    return db->ops->exec(db, sql, err, errlen);
}

bool db_transient(const struct db *db)
{
    return db && db->failed && (db->lost || db->ops->transient((struct db *)db));
}

void db_clear_error(struct db *db)
{
    if (db)
        db->failed = db->lost = false;
}

int db_retry_pause(int attempt, const atomic_int *cancel)
{
    double pause = 0.5;
    for (int i = 0; i < attempt && pause < DB_RETRY_MAX_SECONDS; i++)
        pause *= 2;
    if (pause > DB_RETRY_MAX_SECONDS)
        pause = DB_RETRY_MAX_SECONDS;
    for (double slept = 0; slept < pause; slept += 0.05) {
        if (cancel && atomic_load(cancel))
            return -1;
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    }
    return cancel && atomic_load(cancel) ? -1 : 0;
}

int db_open(const char *location, enum db_mode mode, struct db **out, char *err, size_t errlen)
{
    struct db *db = mem_calloc(1, sizeof(*db));
    db->ops = paths_is_url(location) ? &db_pg_ops : &db_sqlite_ops;
    db->location = mem_strdup(location);
    db->mode = mode;
    if (db->ops->open(db, err, errlen) != 0) {
        db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

static void drop_cache(struct db *db)
{
    for (size_t i = 0; i < db->ncache; i++)
        db->ops->finalize(db->cache[i].stmt);
    free(db->cache);
    db->cache = NULL;
    db->ncache = db->capcache = 0;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    drop_cache(db);
    if (db->h) {
        db_rollback(db);
        db->ops->close(db);
    }
    free(db->pg_error);
    free(db->location);
    free(db);
}

int db_reopen(struct db *db, char *err, size_t errlen)
{
    struct db *fresh = NULL;
    if (db_open(db->location, db->mode, &fresh, err, errlen) != 0) {
        db->failed = db->lost = true;
        return -1;
    }
    struct db old = *db;
    *db = *fresh;
    *fresh = old;
    for (size_t i = 0; i < db->ncache; i++)
        db->cache[i].stmt->db = db;
    db->dev = old.dev; /* the same location: db_follow checks it again */
    db->ino = old.ino;
    db_close(fresh);
    return 0;
}

/* A PostgreSQL store has no file to follow: the connection is kept while
 * the server has it open. */
static enum db_follow follow_url(struct db **db, const char *location, enum db_mode mode, char *err,
                                 size_t errlen)
{
    if (*db && strcmp((*db)->location, location) == 0 && (*db)->ops->alive(*db))
        return DB_FOLLOW_SAME;
    db_close(*db);
    *db = NULL;
    return db_open(location, mode, db, err, errlen) == 0 ? DB_FOLLOW_OPENED : DB_FOLLOW_ERROR;
}

enum db_follow db_follow(struct db **db, const char *location, enum db_mode mode, char *err,
                         size_t errlen)
{
    struct stat sb;
    if (paths_is_url(location))
        return follow_url(db, location, mode, err, errlen);
    if (stat(location, &sb) != 0) {
        err_set(err, errlen, "database %s: %s", location, strerror(errno));
        db_close(*db);
        *db = NULL;
        return DB_FOLLOW_ERROR;
    }
    if (*db && (*db)->dev == sb.st_dev && (*db)->ino == sb.st_ino)
        return DB_FOLLOW_SAME;
    db_close(*db);
    *db = NULL;
    if (db_open(location, mode, db, err, errlen) != 0)
        return DB_FOLLOW_ERROR;
    (*db)->dev = sb.st_dev;
    (*db)->ino = sb.st_ino;
    return DB_FOLLOW_OPENED;
}

int db_schema_version(struct db *db, int *out)
{
    char err[ERRBUF_SIZE];
    return db->ops->get_version(db, out, err, sizeof(err));
}

/* One step of a migration: from version (read again under the lock: another
 * process may have migrated) to the engine's next version. *done is set when
 * nothing was left to do. */
static int migrate_step(struct db *db, int target, int *version, bool *done, char *err,
                        size_t errlen)
{
    if (db_begin_immediate(db, err, errlen) != 0)
        return -1;
    if (db->ops->get_version(db, version, err, errlen) != 0)
        goto fail;
    if (*version >= target) {
        *done = true;
        db_rollback(db);
        return 0;
    }
    int next = *version == 0 ? db->ops->first_version : *version + 1;
    const char *sql = db->ops->migration(next);
    if (!sql) {
        err_set(err, errlen, "this store cannot be taken from schema version %d to %d", *version,
                next);
        goto fail;
    }
    if (db_exec(db, sql, err, errlen) != 0 || db->ops->set_version(db, next, err, errlen) != 0)
        goto fail;
    if (db_commit(db, err, errlen) != 0)
        return -1;
    *version = next;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int db_migrate_to(struct db *db, int target, char *err, size_t errlen)
{
    int version;
    bool done = false;
    if (target < 0 || target > SCHEMA_VERSION || (target && target < db->ops->first_version))
        return err_set(err, errlen, "no schema version %d for this engine", target);
    if (db->ops->get_version(db, &version, err, errlen) != 0)
        return -1;
    if (version > SCHEMA_VERSION)
        return err_set(err, errlen,
                       "database schema version %d is newer than this program (%d); upgrade "
                       "the program",
                       version, SCHEMA_VERSION);
    if (version < target && db->ops->check_store(db, err, errlen) != 0)
        return -1;
    while (version < target && !done)
        if (migrate_step(db, target, &version, &done, err, errlen) != 0)
            return -1;
    return 0;
}

int db_migrate(struct db *db, char *err, size_t errlen)
{
    return db_migrate_to(db, SCHEMA_VERSION, err, errlen);
}

struct db_stmt *db_stmt(struct db *db, const char *sql, char *err, size_t errlen)
{
    for (size_t i = 0; i < db->ncache; i++) {
        if (db->cache[i].sql == sql) {
            struct db_stmt *st = db->cache[i].stmt;
            db->ops->reset(st);
            db->ops->clear_bindings(st);
            return st;
        }
    }
    struct db_stmt *st = db->ops->prepare(db, sql, err, errlen);
    if (!st)
        return NULL;
    st->db = db;
    st->sql = sql;
    ARRAY_RESERVE(db->cache, db->capcache, db->ncache + 1);
    db->cache[db->ncache].sql = sql;
    db->cache[db->ncache].stmt = st;
    db->ncache++;
    return st;
}

/* The write transactions of this process's connections queue here before
 * they ask the engine for its lock. SQLite's busy handler polls with sleeps
 * of up to 100 ms, so when many worker threads commit at the same moment a
 * waiter would sleep through the instant the lock came free; a mutex hands
 * it over at once. Other processes (trader-api's triggers) still meet the
 * engine's own wait. */
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;

static void writer_release(struct db *db)
{
    if (db->writing) {
        db->writing = false;
        pthread_mutex_unlock(&writer);
    }
}

int db_begin_immediate(struct db *db, char *err, size_t errlen)
{
    pthread_mutex_lock(&writer);
    db->writing = true;
    if (db->ops->begin(db, true, err, errlen) != 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

int db_begin(struct db *db, char *err, size_t errlen)
{
    if (db_engine(db) == DB_ENGINE_SQLITE)
        return db_begin_immediate(db, err, errlen);
    if (db->ops->begin(db, false, err, errlen) != 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

int db_commit(struct db *db, char *err, size_t errlen)
{
    if (db_exec(db, "COMMIT", err, errlen) != 0) {
        db_rollback(db);
        return -1;
    }
    writer_release(db);
    return 0;
}

void db_rollback(struct db *db)
{
    if (db->h && db->ops->in_transaction(db)) {
        char err[ERRBUF_SIZE];
        bool failed = db->failed; /* the failure that made us roll back stays on record */
        db->ops->exec(db, "ROLLBACK", err, sizeof(err));
        db->failed = failed;
    }
    writer_release(db);
}

enum db_step db_step(struct db *db, struct db_stmt *st, const char *what, char *err, size_t errlen)
{
    enum db_step rc = db->ops->step(st);
    if (rc == DB_STEP_ERROR)
        db_error(db, what, err, errlen);
    return rc;
}

int db_step_done(struct db *db, struct db_stmt *st, const char *what, char *err, size_t errlen)
{
    enum db_step rc = db_step(db, st, what, err, errlen);
    db->ops->reset(st);
    if (rc == DB_STEP_ROW) /* a statement with results: a bug of the caller */
        return err_set(err, errlen, "%s: the statement returned a row", what);
    return rc == DB_STEP_DONE ? 0 : -1;
}

void db_bind_text(struct db_stmt *st, int i, const char *s)
{
    if (!s)
        st->db->ops->bind_null(st, i);
    else
        st->db->ops->bind_text(st, i, s);
}

void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
    st->db->ops->bind_blob(st, i, p, n);
}

void db_bind_int64(struct db_stmt *st, int i, long long v)
{
    st->db->ops->bind_int64(st, i, v);
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
    st->db->ops->bind_double(st, i, v);
}

void db_bind_null(struct db_stmt *st, int i)
{
    st->db->ops->bind_null(st, i);
}

int db_bind_count(struct db_stmt *st)
{
    return st->db->ops->bind_count(st);
}

int db_col_count(struct db_stmt *st)
{
    return st->db->ops->col_count(st);
}

const char *db_col_name(struct db_stmt *st, int i)
{
    return st->db->ops->col_name(st, i);
}

enum db_col_type db_col_type(struct db_stmt *st, int i)
{
    return st->db->ops->col_type(st, i);
}

bool db_col_is_null(struct db_stmt *st, int i)
{
    return db_col_type(st, i) == DB_COL_NULL;
}

const char *db_col_text(struct db_stmt *st, int i)
{
    return st->db->ops->col_text(st, i);
}

long long db_col_int64(struct db_stmt *st, int i)
{
    return st->db->ops->col_int64(st, i);
}

int db_col_int(struct db_stmt *st, int i)
{
    return (int)db_col_int64(st, i);
}

double db_col_double(struct db_stmt *st, int i)
{
    return st->db->ops->col_double(st, i);
}

const void *db_col_blob(struct db_stmt *st, int i)
{
    return st->db->ops->col_blob(st, i);
}

size_t db_col_bytes(struct db_stmt *st, int i)
{
    return st->db->ops->col_bytes(st, i);
}

void db_reset(struct db_stmt *st)
{
    st->db->ops->reset(st);
}

long long db_changes(struct db *db)
{
    return db->ops->changes(db);
}

bool db_in_transaction(struct db *db)
{
    return db->ops->in_transaction(db);
}

/* Runs "<verb> <name>"; name is an identifier from the caller's code. */
static int savepoint_exec(struct db *db, const char *verb, const char *name, char *err,
                          size_t errlen)
{
    char sql[128];
    int n = snprintf(sql, sizeof(sql), "%s %s", verb, name);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return err_set(err, errlen, "savepoint name too long");
    return db_exec(db, sql, err, errlen);
}

int db_savepoint(struct db *db, const char *name, char *err, size_t errlen)
{
    return savepoint_exec(db, "SAVEPOINT", name, err, errlen);
}

int db_release(struct db *db, const char *name, char *err, size_t errlen)
{
    return savepoint_exec(db, "RELEASE", name, err, errlen);
}

void db_rollback_to(struct db *db, const char *name)
{
    char sql[128], err[ERRBUF_SIZE];
    int n = snprintf(sql, sizeof(sql), "ROLLBACK TO %s; RELEASE %s", name, name);
    bool failed = db->failed;
    if (n > 0 && (size_t)n < sizeof(sql))
        db->ops->exec(db, sql, err, sizeof(err));
    db->failed = failed;
}

const char *db_filename(struct db *db)
{
    return db->ops->filename(db);
}

int db_sync_ids(struct db *db, const char *table, long long max_id, char *err, size_t errlen)
{
    return db->ops->sync_ids(db, table, max_id, err, errlen);
}

int db_standby_lag(struct db *db, bool *standby, double *lag_seconds, char *err, size_t errlen)
{
    return db->ops->standby_lag(db, standby, lag_seconds, err, errlen);
}

int db_clock(struct db *db, int seconds_ahead, char out[TIMESTAMP_BUF], char *err, size_t errlen)
{
    return db->ops->clock(db, seconds_ahead, out, err, errlen);
}
