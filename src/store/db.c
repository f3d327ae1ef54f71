/* db: see db.h. The schema is data: one entry per version, applied in order.
 * Amounts are integer micro-units (see money.h); prices also keep the exact
 * text that was published. */
#include "store/db.h"

#include "base/env.h"
#include "base/errbuf.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static const char *const migrations[] = {
    /* 1: the specification's six tables, per-trade rows and the price store. */
    "CREATE TABLE jobs ("
    "  job_id TEXT PRIMARY KEY,"
    "  config_path TEXT NOT NULL,"
    "  config_json TEXT,"
    "  status TEXT NOT NULL CHECK(status IN ('pending','running','completed','partial','failed')),"
    "  date_range TEXT NOT NULL CHECK(json_valid(date_range)),"
    "  models TEXT NOT NULL CHECK(json_valid(models)),"
    "  replace_existing INTEGER NOT NULL DEFAULT 0 CHECK(replace_existing IN (0,1)),"
    "  source TEXT NOT NULL DEFAULT 'api' CHECK(source IN ('api','import')),"
    "  created_at TEXT NOT NULL,"
    "  started_at TEXT,"
    "  updated_at TEXT,"
    "  completed_at TEXT,"
    "  total_duration_seconds REAL,"
    "  error TEXT,"
    "  warnings TEXT CHECK(warnings IS NULL OR json_valid(warnings)));"
    "CREATE INDEX idx_jobs_status ON jobs(status);"
    "CREATE INDEX idx_jobs_created_at ON jobs(created_at DESC);"
    "CREATE TABLE job_details ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  job_id TEXT NOT NULL REFERENCES jobs(job_id) ON DELETE CASCADE,"
    "  date TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK(status IN ('pending','running','completed','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  started_at TEXT,"
    "  completed_at TEXT,"
    "  duration_seconds REAL,"
    "  error TEXT,"
    "  UNIQUE(job_id, date, model));"
    "CREATE INDEX idx_job_details_job_id ON job_details(job_id);"
    "CREATE INDEX idx_job_details_status ON job_details(status);"
    /* One row per completed model-day: the end-of-day state. A model has at
     * most one result per date across all jobs. */
    "CREATE TABLE positions ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  job_id TEXT NOT NULL REFERENCES jobs(job_id) ON DELETE CASCADE,"
    "  date TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  cash INTEGER NOT NULL CHECK(cash >= 0),"
    "  portfolio_value INTEGER NOT NULL,"
    "  prev_value INTEGER NOT NULL,"
    "  daily_profit INTEGER NOT NULL,"
    "  daily_return_pct REAL NOT NULL,"
    "  total_steps INTEGER NOT NULL DEFAULT 0 CHECK(total_steps >= 0),"
    "  stop_signal INTEGER NOT NULL DEFAULT 0 CHECK(stop_signal IN (0,1)),"
    "  reasoning_summary TEXT,"
    "  prompt_tokens INTEGER NOT NULL DEFAULT 0,"
    "  completion_tokens INTEGER NOT NULL DEFAULT 0,"
    "  total_tokens INTEGER NOT NULL DEFAULT 0,"
    "  log_file_path TEXT,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE(model, date));"
    "CREATE INDEX idx_positions_date ON positions(date);"
    "CREATE INDEX idx_positions_job ON positions(job_id, date);"
    "CREATE TABLE trades ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  position_id INTEGER NOT NULL REFERENCES positions(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL CHECK(seq >= 1),"
    "  action TEXT NOT NULL CHECK(action IN ('buy','sell')),"
    "  symbol TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK(amount > 0),"
    "  price INTEGER NOT NULL CHECK(price > 0),"
    "  total INTEGER NOT NULL CHECK(total > 0),"
    "  UNIQUE(position_id, seq));"
    "CREATE TABLE holdings ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  position_id INTEGER NOT NULL REFERENCES positions(id) ON DELETE CASCADE,"
    "  symbol TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL CHECK(quantity > 0),"
    "  UNIQUE(position_id, symbol));"
    "CREATE TABLE reasoning_logs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  position_id INTEGER NOT NULL REFERENCES positions(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL CHECK(step >= 0),"
    "  role TEXT NOT NULL CHECK(role IN ('system','user','assistant','tool')),"
    "  content TEXT,"
    "  tool_name TEXT,"
    "  tool_call_id TEXT,"
    "  message_json TEXT CHECK(message_json IS NULL OR json_valid(message_json)),"
    "  timestamp TEXT NOT NULL);"
    "CREATE INDEX idx_reasoning_position ON reasoning_logs(position_id, id);"
    "CREATE TABLE tool_usage ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  position_id INTEGER NOT NULL REFERENCES positions(id) ON DELETE CASCADE,"
    "  tool_name TEXT NOT NULL,"
    "  calls INTEGER NOT NULL CHECK(calls >= 0),"
    "  errors INTEGER NOT NULL DEFAULT 0 CHECK(errors >= 0),"
    "  total_duration_ms REAL NOT NULL DEFAULT 0,"
    "  UNIQUE(position_id, tool_name));"
    "CREATE TABLE prices ("
    "  symbol TEXT NOT NULL,"
    "  date TEXT NOT NULL,"
    "  open TEXT NOT NULL,"
    "  high TEXT,"
    "  low TEXT,"
    "  close TEXT,"
    "  volume TEXT,"
    "  open_micro INTEGER NOT NULL CHECK(open_micro > 0),"
    "  close_micro INTEGER CHECK(close_micro IS NULL OR close_micro > 0),"
    "  PRIMARY KEY(symbol, date)) WITHOUT ROWID;"
    "CREATE INDEX idx_prices_date ON prices(date);",

    /* 2: what the daemon and operators need beyond the specification. */
    "CREATE TABLE daemon ("
    "  id INTEGER PRIMARY KEY CHECK(id = 1),"
    "  pid INTEGER NOT NULL,"
    "  hostname TEXT,"
    "  version TEXT,"
    "  started_at TEXT NOT NULL,"
    "  last_heartbeat TEXT NOT NULL,"
    "  current_job TEXT);"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  timestamp TEXT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  job_id TEXT,"
    "  details TEXT CHECK(details IS NULL OR json_valid(details)));"
    "CREATE INDEX idx_audit_job ON audit_log(job_id, id);"
    "CREATE TABLE price_symbols ("
    "  symbol TEXT PRIMARY KEY,"
    "  source TEXT NOT NULL CHECK(source IN ('alphavantage','aitrader','synthetic')),"
    "  last_refreshed TEXT,"
    "  imported_at TEXT NOT NULL);",

    /* 3: analytics (perf.h). What a model-day cost in micro-dollars at the
     * model's configured pricing (NULL when it has none), and the index
     * that answers date ranges in (date, model) order without a sort; it
     * covers every use of the (date) index it replaces. */
    "ALTER TABLE positions ADD COLUMN cost INTEGER CHECK(cost IS NULL OR cost >= 0);"
    "DROP INDEX idx_positions_date;"
    "CREATE INDEX idx_positions_date_model ON positions(date, model);",

    /* 4: API keys (only a hash of each token) and who made each mutating
     * request. */
    "CREATE TABLE api_keys ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  scope TEXT NOT NULL CHECK(scope IN ('read','write')),"
    "  token_hash BLOB NOT NULL UNIQUE CHECK(length(token_hash) = 32),"
    "  created_at TEXT NOT NULL,"
    "  last_used_at TEXT);"
    "ALTER TABLE audit_log ADD COLUMN actor TEXT;"
    "ALTER TABLE audit_log ADD COLUMN client TEXT;"
    "ALTER TABLE audit_log ADD COLUMN endpoint TEXT;"
    "ALTER TABLE audit_log ADD COLUMN status INTEGER;"
    "ALTER TABLE audit_log ADD COLUMN outcome TEXT;",

    /* 5: the chat completion each reasoning message comes from or answers
     * (a step of AI-Trader's loop holds several); NULL where unknown. */
    "ALTER TABLE reasoning_logs ADD COLUMN completion INTEGER CHECK(completion >= 0);",

    /* 6: splits and fees (CONTRACT section 5). Alpha Vantage's split events
     * (factor text as published, exact copy x 1e6); what each model-day's
     * splits did to its holdings; the commission of each fill. */
    "CREATE TABLE splits ("
    "  symbol TEXT NOT NULL,"
    "  effective_date TEXT NOT NULL,"
    "  factor TEXT NOT NULL,"
    "  factor_micro INTEGER NOT NULL CHECK(factor_micro > 0),"
    "  imported_at TEXT NOT NULL,"
    "  PRIMARY KEY(symbol, effective_date)) WITHOUT ROWID;"
    "CREATE INDEX idx_splits_date ON splits(effective_date);"
    "CREATE TABLE corporate_actions ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  position_id INTEGER NOT NULL REFERENCES positions(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL CHECK(seq >= 1),"
    "  action TEXT NOT NULL CHECK(action IN ('split')),"
    "  symbol TEXT NOT NULL,"
    "  effective_date TEXT NOT NULL,"
    "  factor TEXT NOT NULL,"
    "  shares_before INTEGER NOT NULL CHECK(shares_before > 0),"
    "  shares_after INTEGER NOT NULL CHECK(shares_after >= 0),"
    "  price INTEGER NOT NULL CHECK(price >= 0),"
    "  cash INTEGER NOT NULL CHECK(cash >= 0),"
    "  UNIQUE(position_id, seq));"
    "ALTER TABLE trades ADD COLUMN fee INTEGER NOT NULL DEFAULT 0 CHECK(fee >= 0);",

    /* 7: job control and webhooks (CONTRACT section 8). The jobs status
     * CHECK gains 'cancelled' in place, SQLite's documented procedure for
     * loosening a constraint: rebuilding jobs would cascade-delete every
     * result. The ALTERs after it change the schema cookie, so every other
     * connection reloads the schema. */
    "PRAGMA writable_schema = ON;"
    "UPDATE sqlite_schema SET sql = replace(sql, '''partial'',''failed'')),',"
    "  '''partial'',''failed'',''cancelled'')),') WHERE type = 'table' AND name = 'jobs';"
    "PRAGMA writable_schema = RESET;"
    "ALTER TABLE jobs ADD COLUMN cancel_requested_at TEXT;"
    "ALTER TABLE jobs ADD COLUMN callback_url TEXT;"
    "ALTER TABLE jobs ADD COLUMN callback_status TEXT"
    "  CHECK(callback_status IS NULL OR callback_status IN ('pending','delivered','failed'));"
    "CREATE TABLE job_callbacks ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  job_id TEXT NOT NULL REFERENCES jobs(job_id) ON DELETE CASCADE,"
    "  attempt INTEGER NOT NULL CHECK(attempt >= 1),"
    "  attempted_at TEXT NOT NULL,"
    "  http_status INTEGER,"
    "  outcome TEXT NOT NULL CHECK(outcome IN ('delivered','failed')),"
    "  error TEXT);"
    "CREATE INDEX idx_job_callbacks_job ON job_callbacks(job_id, id);",

    /* 8: analytics at scale (bench/README.md). A model-day's number of
     * trades and the sum of their fees, kept with the day like its tokens
     * and cost (filled in for the days already stored), and
     * idx_positions_date_model made to cover what /performance reads of a
     * day, so a period is one index range however large the rows are. */
    "ALTER TABLE positions ADD COLUMN ntrades INTEGER NOT NULL DEFAULT 0 CHECK(ntrades >= 0);"
    "ALTER TABLE positions ADD COLUMN fees INTEGER NOT NULL DEFAULT 0 CHECK(fees >= 0);"
    "UPDATE positions SET"
    "  ntrades = (SELECT count(*) FROM trades WHERE position_id = positions.id),"
    "  fees = (SELECT coalesce(sum(fee), 0) FROM trades WHERE position_id = positions.id);"
    "DROP INDEX idx_positions_date_model;"
    "CREATE INDEX idx_positions_date_model ON positions(date, model, job_id, portfolio_value,"
    "  prev_value, prompt_tokens, completion_tokens, total_tokens, cost, ntrades, fees);",

    /* 9: the data version behind ETags (dataver.h), and the index that pages
     * a job's details by date without sorting them. */
    "CREATE TABLE data_version ("
    "  id INTEGER PRIMARY KEY CHECK(id = 1),"
    "  epoch TEXT NOT NULL,"
    "  version INTEGER NOT NULL);"
    "INSERT INTO data_version(id, epoch, version) VALUES(1, lower(hex(randomblob(8))), 0);"
    "CREATE INDEX idx_job_details_job_date ON job_details(job_id, date);",

    /* 10: many workers on one store (docs/scaling.md). Jobs get an explicit
     * creation sequence (rowid is SQLite's alone); a running model-day names
     * the worker that leased it and until when; every live traderd has a
     * row in workers, its heartbeat (the one-row daemon table goes). */
    "ALTER TABLE jobs ADD COLUMN seq INTEGER;"
    "UPDATE jobs SET seq = rowid;"
    "CREATE UNIQUE INDEX idx_jobs_seq ON jobs(seq);"
    "ALTER TABLE job_details ADD COLUMN worker TEXT;"
    "ALTER TABLE job_details ADD COLUMN lease_until TEXT;"
    "CREATE INDEX idx_job_details_worker ON job_details(worker);"
    "CREATE TABLE workers ("
    "  id TEXT PRIMARY KEY,"
    "  hostname TEXT NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  version TEXT,"
    "  threads INTEGER NOT NULL DEFAULT 1 CHECK(threads >= 1),"
    "  started_at TEXT NOT NULL,"
    "  last_heartbeat TEXT NOT NULL,"
    "  current_job TEXT);"
    "DROP TABLE daemon;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_SCHEMA_VERSION,
               "one migration per schema version");

int db_error(struct db *db, const char *what, char *err, size_t errlen)
{
    if (db && db->h)
        db->err_code = sqlite3_extended_errcode(db->h);
    return err_set(err, errlen, "%s: %s", what,
                   db && db->h ? sqlite3_errmsg(db->h) : "no database");
}

int db_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        db->err_code = rc;
        err_set(err, errlen, "database error: %s", msg ? msg : sqlite3_errmsg(db->h));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

bool db_transient(const struct db *db)
{
    switch (db ? db->err_code & 0xff : SQLITE_OK) {
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

void db_clear_error(struct db *db)
{
    if (db)
        db->err_code = SQLITE_OK;
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

enum db_engine db_engine(const struct db *db)
{
    (void)db;
    return DB_ENGINE_SQLITE;
}

int db_open(const char *path, enum db_mode mode, struct db **out, char *err, size_t errlen)
{
    int flags =
        mode == DB_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    struct db *db = mem_calloc(1, sizeof(*db));
    db->path = mem_strdup(path);
    db->mode = mode;
    /* A new file is private to the service's user: job rows keep a snapshot
     * of their config, which may hold API keys. SQLite gives the -wal and
     * -shm files the database file's mode. O_EXCL matters: closing a
     * descriptor of a file that exists would drop every POSIX lock this
     * process's other connections hold on it. */
    if (mode == DB_READWRITE) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    if (sqlite3_open_v2(path, &db->h, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open database %s: %s", path,
                db->h ? sqlite3_errmsg(db->h) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, (int)env_long(DB_ENV_BUSY_TIMEOUT, DB_BUSY_TIMEOUT_MS, 0, 3600000));
    if (db_exec(db, "PRAGMA foreign_keys = ON", err, errlen) != 0)
        goto fail;
    if (mode == DB_READWRITE &&
        db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", err, errlen) != 0)
        goto fail;
    *out = db;
    return 0;
fail:
    db_close(db);
    return -1;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->ncache; i++)
        sqlite3_finalize(db->cache[i].stmt);
    free(db->cache);
    db_rollback(db);
    sqlite3_close(db->h);
    free(db->path);
    free(db);
}

int db_reopen(struct db *db, char *err, size_t errlen)
{
    struct db *fresh = NULL;
    if (db_open(db->path, db->mode, &fresh, err, errlen) != 0) {
        db->err_code = SQLITE_CANTOPEN;
        return -1;
    }
    struct db old = *db;
    *db = *fresh;
    *fresh = old;
    db->dev = old.dev; /* the same path: db_follow checks it again */
    db->ino = old.ino;
    db_close(fresh);
    return 0;
}

enum db_follow db_follow(struct db **db, const char *path, enum db_mode mode, char *err,
                         size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        err_set(err, errlen, "database %s: %s", path, strerror(errno));
        db_close(*db);
        *db = NULL;
        return DB_FOLLOW_ERROR;
    }
    if (*db && (*db)->dev == sb.st_dev && (*db)->ino == sb.st_ino)
        return DB_FOLLOW_SAME;
    db_close(*db);
    *db = NULL;
    if (db_open(path, mode, db, err, errlen) != 0)
        return DB_FOLLOW_ERROR;
    (*db)->dev = sb.st_dev;
    (*db)->ino = sb.st_ino;
    return DB_FOLLOW_OPENED;
}

int db_schema_version(struct db *db, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = 0;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

int db_migrate_to(struct db *db, int target, char *err, size_t errlen)
{
    int version;
    if (target < 0 || target > NMIGRATIONS)
        return err_set(err, errlen, "no schema version %d", target);
    if (db_schema_version(db, &version) != 0)
        return db_error(db, "cannot read schema version", err, errlen);
    if (version > NMIGRATIONS)
        return err_set(err, errlen,
                       "database schema version %d is newer than this program (%d); upgrade "
                       "the program",
                       version, NMIGRATIONS);
    while (version < target) {
        char pragma[64];
        if (db_begin_immediate(db, err, errlen) != 0)
            return -1;
        /* Re-read inside the lock: another process may have migrated. */
        if (db_schema_version(db, &version) != 0) {
            db_rollback(db);
            return db_error(db, "cannot read schema version", err, errlen);
        }
        if (version >= target) {
            db_rollback(db);
            break;
        }
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
        if (db_exec(db, migrations[version], err, errlen) != 0 ||
            db_exec(db, pragma, err, errlen) != 0) {
            db_rollback(db);
            return -1;
        }
        if (db_commit(db, err, errlen) != 0)
            return -1;
        version++;
    }
    return 0;
}

int db_migrate(struct db *db, char *err, size_t errlen)
{
    return db_migrate_to(db, NMIGRATIONS, err, errlen);
}

/* A struct db_stmt is the engine's statement under a name of our own. */
static sqlite3_stmt *raw(struct db_stmt *st)
{
    return (sqlite3_stmt *)st;
}

struct db_stmt *db_stmt(struct db *db, const char *sql, char *err, size_t errlen)
{
    for (size_t i = 0; i < db->ncache; i++) {
        if (db->cache[i].sql == sql) {
            sqlite3_stmt *st = db->cache[i].stmt;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return (struct db_stmt *)st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        db_error(db, "cannot prepare statement", err, errlen);
        return NULL;
    }
    ARRAY_RESERVE(db->cache, db->capcache, db->ncache + 1);
    db->cache[db->ncache].sql = sql;
    db->cache[db->ncache].stmt = st;
    db->ncache++;
    return (struct db_stmt *)st;
}

/* The write transactions of this process's connections queue here before
 * they ask SQLite for its lock. SQLite's busy handler polls with sleeps of
 * up to 100 ms, so when many worker threads commit at the same moment a
 * waiter would sleep through the instant the lock came free; a mutex hands
 * it over at once. Other processes (trader-api's triggers) still meet the
 * busy handler. */
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
    if (db_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0) {
        writer_release(db);
        return -1;
    }
    return 0;
}

int db_begin(struct db *db, char *err, size_t errlen)
{
    return db_begin_immediate(db, err, errlen);
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
    if (!sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    writer_release(db);
}

enum db_step db_step(struct db *db, struct db_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(raw(st));
    if (rc == SQLITE_ROW)
        return DB_STEP_ROW;
    if (rc == SQLITE_DONE)
        return DB_STEP_DONE;
    db_error(db, what, err, errlen);
    db->err_code = rc; /* the step's own code, which a reset may replace on the handle */
    return DB_STEP_ERROR;
}

int db_step_done(struct db *db, struct db_stmt *st, const char *what, char *err, size_t errlen)
{
    enum db_step rc = db_step(db, st, what, err, errlen);
    sqlite3_reset(raw(st));
    if (rc == DB_STEP_ROW) /* a statement with results: a bug of the caller */
        return err_set(err, errlen, "%s: the statement returned a row", what);
    return rc == DB_STEP_DONE ? 0 : -1;
}

static void db_bind_check(sqlite3_stmt *st, int i, int rc)
{
    if (rc == SQLITE_OK)
        return;
    fprintf(stderr, "binding parameter %d of \"%s\": %s\n", i, sqlite3_sql(st), sqlite3_errstr(rc));
    abort();
}

void db_bind_text(struct db_stmt *st, int i, const char *s)
{
    db_bind_check(raw(st), i, sqlite3_bind_text(raw(st), i, s, -1, SQLITE_TRANSIENT));
}

void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
    if (n > INT_MAX)
        mem_fatal(0);
    db_bind_check(raw(st), i, sqlite3_bind_blob(raw(st), i, p, (int)n, SQLITE_TRANSIENT));
}

void db_bind_int64(struct db_stmt *st, int i, long long v)
{
    db_bind_check(raw(st), i, sqlite3_bind_int64(raw(st), i, (sqlite3_int64)v));
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
    db_bind_check(raw(st), i, sqlite3_bind_double(raw(st), i, v));
}

void db_bind_null(struct db_stmt *st, int i)
{
    db_bind_check(raw(st), i, sqlite3_bind_null(raw(st), i));
}

int db_bind_count(struct db_stmt *st)
{
    return sqlite3_bind_parameter_count(raw(st));
}

enum db_col_type db_col_type(struct db_stmt *st, int i)
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

int db_col_count(struct db_stmt *st)
{
    return sqlite3_column_count(raw(st));
}

const char *db_col_name(struct db_stmt *st, int i)
{
    return sqlite3_column_name(raw(st), i);
}

bool db_col_is_null(struct db_stmt *st, int i)
{
    return sqlite3_column_type(raw(st), i) == SQLITE_NULL;
}

const char *db_col_text(struct db_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(raw(st), i);
}

long long db_col_int64(struct db_stmt *st, int i)
{
    return sqlite3_column_int64(raw(st), i);
}

int db_col_int(struct db_stmt *st, int i)
{
    return sqlite3_column_int(raw(st), i);
}

double db_col_double(struct db_stmt *st, int i)
{
    return sqlite3_column_double(raw(st), i);
}

const void *db_col_blob(struct db_stmt *st, int i)
{
    return sqlite3_column_blob(raw(st), i);
}

size_t db_col_bytes(struct db_stmt *st, int i)
{
    return (size_t)sqlite3_column_bytes(raw(st), i);
}

void db_reset(struct db_stmt *st)
{
    sqlite3_reset(raw(st));
}

long long db_changes(struct db *db)
{
    return sqlite3_changes64(db->h);
}

long long db_last_insert_id(struct db *db)
{
    return sqlite3_last_insert_rowid(db->h);
}

bool db_in_transaction(struct db *db)
{
    return !sqlite3_get_autocommit(db->h);
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
    char sql[128];
    int n = snprintf(sql, sizeof(sql), "ROLLBACK TO %s; RELEASE %s", name, name);
    if (n > 0 && (size_t)n < sizeof(sql))
        sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

const char *db_filename(struct db *db)
{
    const char *f = sqlite3_db_filename(db->h, "main");
    return f ? f : "";
}
