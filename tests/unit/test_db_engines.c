/* The storage interface (store/db.h) behaves the same on both engines: the
 * same calls on a SQLite file and, when a PostgreSQL database is given
 * (pgtest.h: scripts/test's PostgreSQL pass), on it, in a schema of its own;
 * and the two schemas have the same tables and columns in the same order;
 * the store's clock (db_clock) reads as this host's. */
#include "store/db.h"

#include "pgtest.h"
#include "tap.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

static long long scalar(struct db *db, const char *sql)
{
    long long v = -1;
    struct db_stmt *st = db_stmt(db, sql, err, sizeof(err));
    if (st && db_step(db, st, "scalar", err, sizeof(err)) == DB_STEP_ROW)
        v = db_col_int64(st, 0);
    if (st)
        db_reset(st);
    return v;
}

static const char SQL_JOB[] =
    "INSERT INTO jobs(job_id, config_path, status, date_range, models, created_at, seq,"
    " total_duration_seconds, error) VALUES(?1, 'c.json', 'pending', '[\"2025-01-02\"]',"
    " '[\"m\"]', ?2, ?3, ?4, ?5)";
static const char SQL_JOB_GET[] =
    "SELECT job_id, seq, total_duration_seconds, error, seq * 2 FROM jobs WHERE job_id = ?1";
static const char SQL_KEY[] = "INSERT INTO api_keys(name, scope, token_hash, created_at)"
                              " VALUES(?1, 'read', ?2, '2025-01-01T00:00:00Z') RETURNING id";
static const char SQL_KEY_GET[] = "SELECT token_hash, id FROM api_keys WHERE name = ?1";
static const char SQL_OPTIONAL[] =
    "SELECT count(*) FROM jobs WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1";
static const char SQL_CASH[] = "SELECT sum(seq) FROM jobs";

static void values(struct db *db, const char *name)
{
    struct db_stmt *st = db_stmt(db, SQL_JOB, err, sizeof(err));
    ok(st != NULL, "%s: prepare: %s", name, err);
    if (!st)
        return;
    db_bind_text(st, 1, "job-1");
    db_bind_text(st, 2, "2025-01-01T00:00:00Z");
    db_bind_int64(st, 3, 9007199254740993LL); /* > 2^53: exact only as an integer */
    db_bind_double(st, 4, 0.1);
    db_bind_null(st, 5);
    ok(db_step_done(db, st, "insert", err, sizeof(err)) == 0, "%s: insert: %s", name, err);
    is_int(db_changes(db), 1, "  one row changed");
    st = db_stmt(db, SQL_JOB_GET, err, sizeof(err));
    db_bind_text(st, 1, "job-1");
    ok(st && db_step(db, st, "get", err, sizeof(err)) == DB_STEP_ROW, "%s: read back: %s", name,
       err);
    is_int(db_col_count(st), 5, "  five columns");
    is_str(db_col_name(st, 1), "seq", "  a column's name");
    is_str(db_col_text(st, 0), "job-1", "  text");
    is_int(db_col_type(st, 0), DB_COL_TEXT, "  text type");
    is_int(db_col_int64(st, 1), 9007199254740993LL, "  a 64-bit integer, exact");
    is_int(db_col_type(st, 1), DB_COL_INTEGER, "  integer type");
    ok(db_col_double(st, 2) == 0.1, "  a double, exact");
    is_int(db_col_type(st, 2), DB_COL_FLOAT, "  float type");
    ok(db_col_is_null(st, 3) && db_col_text(st, 3) == NULL, "  null");
    is_int(db_col_int64(st, 4), 18014398509481986LL, "  integer arithmetic in SQL");
    is_int(db_step(db, st, "get", err, sizeof(err)), DB_STEP_DONE, "  then done");
    db_reset(st);

    unsigned char hash[32];
    for (int i = 0; i < 32; i++)
        hash[i] = (unsigned char)(i * 37); /* with 0x00 and bytes >= 0x80 */
    st = db_stmt(db, SQL_KEY, err, sizeof(err));
    db_bind_text(st, 1, "k");
    db_bind_blob(st, 2, hash, sizeof(hash));
    ok(st && db_step(db, st, "key", err, sizeof(err)) == DB_STEP_ROW && db_col_int64(st, 0) > 0,
       "%s: INSERT ... RETURNING id: %s", name, err);
    db_reset(st);
    st = db_stmt(db, SQL_KEY_GET, err, sizeof(err));
    db_bind_text(st, 1, "k");
    ok(st && db_step(db, st, "key", err, sizeof(err)) == DB_STEP_ROW &&
           db_col_type(st, 0) == DB_COL_BLOB && db_col_bytes(st, 0) == 32 &&
           memcmp(db_col_blob(st, 0), hash, 32) == 0,
       "%s: a blob, byte for byte", name);
    db_reset(st);

    st = db_stmt(db, SQL_OPTIONAL, err, sizeof(err));
    db_bind_null(st, 1);
    ok(st && db_step(db, st, "opt", err, sizeof(err)) == DB_STEP_ROW && db_col_int64(st, 0) == 1,
       "%s: an optional filter, unset: %s", name, err);
    db_reset(st);
    st = db_stmt(db, SQL_OPTIONAL, err, sizeof(err));
    db_bind_text(st, 1, "running");
    ok(st && db_step(db, st, "opt", err, sizeof(err)) == DB_STEP_ROW && db_col_int64(st, 0) == 0,
       "%s: an optional filter, set", name);
    db_reset(st);
    is_int(scalar(db, SQL_CASH), 9007199254740993LL, "  sum() of integers stays exact");
}

static const char SQL_COUNT_JOBS[] = "SELECT count(*) FROM jobs";
static const char SQL_DUP[] = "INSERT INTO jobs(job_id, config_path, status, date_range, models,"
                              " created_at) VALUES('job-1', 'c', 'pending', '[]', '[]', 'x')";
static const char SQL_BAD_JSON[] =
    "INSERT INTO jobs(job_id, config_path, status, date_range, models, created_at)"
    " VALUES('job-2', 'c', 'pending', 'not json', '[]', 'x')";

/* db_clock: time_now_iso's format, this host's time here (one machine),
 * and seconds ahead when asked, also inside a transaction. */
static void clock_of(struct db *db, const char *name)
{
    char mine[TIMESTAMP_BUF], now[TIMESTAMP_BUF] = "", later[TIMESTAMP_BUF] = "";
    err[0] = '\0';
    time_now_iso(mine);
    ok(db_clock(db, 0, now, err, sizeof(err)) == 0 && strlen(now) == 24 && now[10] == 'T' &&
           now[19] == '.' && now[23] == 'Z',
       "%s: the store's clock, as time_now_iso writes it: %s %s", name, now, err);
    double d = time_iso_diff(mine, now);
    ok(d >= 0 && d < 5, "  agrees with this host's (%.3f s)", d);
    ok(db_begin(db, err, sizeof(err)) == 0 && db_clock(db, 30, later, err, sizeof(err)) == 0,
       "  30 s ahead, in a transaction: %s", err);
    d = time_iso_diff(now, later);
    ok(d >= 30 && d < 35, "  is 30 s later (%.3f s)", d);
    db_rollback(db);
}

static void transactions(struct db *db, const char *name)
{
    ok(db_begin_immediate(db, err, sizeof(err)) == 0 && db_in_transaction(db),
       "%s: a write transaction: %s", name, err);
    ok(db_savepoint(db, "sp", err, sizeof(err)) == 0, "  savepoint");
    struct db_stmt *st = db_stmt(db, SQL_DUP, err, sizeof(err));
    ok(st && db_step_done(db, st, "dup", err, sizeof(err)) == -1 && strstr(err, "dup:"),
       "  a duplicate key fails, with its message: %s", err);
    ok(!db_transient(db), "  and is not a transient failure");
    db_rollback_to(db, "sp");
    ok(db_in_transaction(db), "  rolled back to the savepoint, still in the transaction");
    is_int(scalar(db, SQL_COUNT_JOBS), 1, "  the transaction goes on");
    db_rollback(db);
    ok(!db_in_transaction(db), "  rollback ends it");
    st = db_stmt(db, SQL_BAD_JSON, err, sizeof(err));
    ok(st && db_step_done(db, st, "json", err, sizeof(err)) == -1,
       "%s: a JSON column refuses text that is not JSON", name);
    ok(db_begin(db, err, sizeof(err)) == 0 && db_commit(db, err, sizeof(err)) == 0,
       "%s: db_begin and commit: %s", name, err);
    bool standby = true;
    double lag = -1;
    ok(db_standby_lag(db, &standby, &lag, err, sizeof(err)) == 0 && !standby && lag == 0,
       "%s: a primary is no standby: %s", name, err);
    int v = 0;
    ok(db_schema_version(db, &v) == 0 && v == DB_SCHEMA_VERSION, "%s: schema version %d", name, v);
    clock_of(db, name);
}

/* "table.column" of every column in schema order, one per line. */
static const char SQL_COLS_SQLITE[] =
    "SELECT m.name || '.' || p.name FROM sqlite_schema m, pragma_table_info(m.name) p"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' ORDER BY m.name, p.cid";
static const char SQL_COLS_PG[] =
    "SELECT table_name || '.' || column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name <> 'schema_version'"
    " ORDER BY table_name, ordinal_position";

static char *columns(struct db *db)
{
    struct db_stmt *st = db_stmt(
        db, db_engine(db) == DB_ENGINE_SQLITE ? SQL_COLS_SQLITE : SQL_COLS_PG, err, sizeof(err));
    size_t cap = 1 << 16, n = 0;
    char *out = calloc(1, cap);
    while (st && out && db_step(db, st, "columns", err, sizeof(err)) == DB_STEP_ROW)
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s\n", db_col_text(st, 0));
    if (st)
        db_reset(st);
    return out;
}

/* A new store at location (on PostgreSQL in schema, when not NULL). */
static struct db *open_store(const char *location, const char *name, char *schema, size_t n)
{
    struct db *db = NULL;
    ok(db_open(location, DB_READWRITE, &db, err, sizeof(err)) == 0 &&
           (!schema || pgtest_schema(db, "engines", schema, n, err, sizeof(err)) == 0) &&
           db_migrate(db, err, sizeof(err)) == 0,
       "%s: open and migrate: %s", name, err);
    is_int(db_engine(db), strcmp(name, "sqlite") == 0 ? DB_ENGINE_SQLITE : DB_ENGINE_POSTGRES,
           "  the engine the location names");
    return db;
}

int main(void)
{
    char dir[] = "/tmp/trader-engines-XXXXXX", path[PATH_MAX], buf[128], schema[64];
    const char *url = pgtest_url(buf, sizeof(buf));
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/trader.db", dir);
    struct db *lite = open_store(path, "sqlite", NULL, 0);
    values(lite, "sqlite");
    transactions(lite, "sqlite");
    if (!url) {
        printf("# skipping the PostgreSQL half: neither TRADER_TEST_DATABASE_URL nor"
               " TRADER_TEST_PG_DIR is set\n");
    } else {
        struct db *pg = open_store(url, "postgresql", schema, sizeof(schema));
        values(pg, "postgresql");
        transactions(pg, "postgresql");
        char *a = columns(lite), *b = columns(pg);
        ok(a && b && *a && strcmp(a, b) == 0, "both engines have the same tables and columns");
        if (a && b && strcmp(a, b) != 0)
            printf("# sqlite:\n%s# postgresql:\n%s", a, b);
        free(a);
        free(b);
        ok(pgtest_drop(pg, schema, err, sizeof(err)) == 0, "postgresql: schema dropped: %s", err);
        db_close(pg);
    }
    db_close(lite);
    unlink(path);
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", path);
    unlink(wal);
    rmdir(dir);
    return tap_done();
}
