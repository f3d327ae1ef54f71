/* Unit tests for dbcopy: its table list and column lists are the schema's
 * (a table or column added to the schema and not to the copy fails here);
 * a store with rows in every table (nulls, doubles to the last bit, blobs
 * with NUL bytes, UTF-8, gaps in ids, more rows than a page) copies into a
 * new SQLite file identically, ids and the data version included; a
 * destination with rows, at another schema version, or the source itself
 * is refused and left as it was; a changed value, a missing row and a
 * double one bit off are each found and named by table, key and column.
 * With a PostgreSQL server (pgtest.h; the test makes a database of its own
 * beside the one named): the store copied into PostgreSQL and from there
 * into a new file, identical at each step. */
#include "store/dbcopy.h"

#include "pgtest.h"
#include "simfixture.h"
#include "tap.h"

#include <math.h>
#include <sqlite3.h>

static struct fixture fx;
static char err[ERRBUF_SIZE];

/* One integer from a query on the file at path (its own connection). */
static long long file_int(const char *path, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* One text from a query on the file at path into buf ("" when none). */
static const char *file_text(const char *path, const char *sql, char *buf, size_t n)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return buf;
}

static int listed(const char *name)
{
    for (size_t i = 0; i < dbcopy_ntables(); i++)
        if (strcmp(dbcopy_table_name(i), name) == 0)
            return 1;
    return 0;
}

/* Every table of a new store is copied (but the old one-host heartbeat),
 * with exactly the schema's columns in their order. */
static void test_tables_are_the_schema(void)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    char unlisted[512] = "";
    int ntables = 0;
    sqlite3_open_v2(fx.db_path, &h, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(h,
                       "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite_%' ORDER BY name",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        ntables++;
        if (!listed(name))
            snprintf(unlisted + strlen(unlisted), sizeof(unlisted) - strlen(unlisted), " %s", name);
    }
    sqlite3_finalize(st);
    is_str(unlisted, "", "every table of the schema is in the copy's list");
    is_int(dbcopy_ntables(), ntables, "and the list names no other");
    for (size_t i = 0; i < dbcopy_ntables(); i++) {
        char sql[128], cols[1024] = "";
        snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s') ORDER BY cid",
                 dbcopy_table_name(i));
        sqlite3_prepare_v2(h, sql, -1, &st, NULL);
        while (sqlite3_step(st) == SQLITE_ROW)
            snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%s%s", cols[0] ? ", " : "",
                     (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        is_str(dbcopy_table_columns(i), cols, dbcopy_table_name(i));
    }
    sqlite3_close(h);
}

/* Rows in every table, with what a copy could lose. */
static const char fill_sql[] =
    "INSERT INTO jobs(job_id, config_path, config_json, status, date_range, models, created_at,"
    " total_duration_seconds, warnings, callback_url, seq) VALUES"
    " ('j1', 'c.json', '{\"k\":\"v \xe2\x98\x83 \\\"q\\\" ''s''\"}', 'completed',"
    "  '[\"2025-01-02\"]', '[\"m1\"]', '2025-01-01T00:00:00Z', 0.1, NULL, NULL, 1),"
    " ('j2', 'c2', NULL, 'pending', '[]', '[]', '2025-01-02T00:00:00Z', NULL, '[\"w\"]',"
    "  'http://h/cb', 2);"
    "INSERT INTO job_details(id, job_id, date, model, status, attempts, duration_seconds, worker,"
    " lease_until) VALUES (1, 'j1', '2025-01-02', 'm1', 'completed', 1, 1e-300, NULL, NULL),"
    " (7, 'j2', '2025-01-03', 'm1', 'running', 2, NULL, 'w1', '2025-01-03T00:00:00Z');"
    "INSERT INTO positions(id, job_id, date, model, cash, portfolio_value, prev_value,"
    " daily_profit, daily_return_pct, reasoning_summary, created_at, cost) VALUES"
    " (1, 'j1', '2025-01-02', 'm1', 10000000000, 10000000000, 10000000000, 0, 0, NULL, 't', NULL),"
    " (5, 'j1', '2025-01-03', 'm1', 9000000000, 10100000000, 10000000000, 100000000,"
    "  0.0099999999999999985, 'up', 't', 1234);"
    "INSERT INTO trades(position_id, seq, action, symbol, amount, price, total, fee) VALUES"
    " (5, 1, 'buy', 'AAPL', 5, 200000000, 1000000000, 1000);"
    "INSERT INTO holdings(position_id, symbol, quantity) VALUES (5, 'AAPL', 5), (5, 'MSFT', 1);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)"
    " INSERT INTO reasoning_logs(position_id, step, role, content, message_json, timestamp,"
    " completion) SELECT 5, i, 'assistant', 'thought ' || i, '{\"n\":' || i || '}', 't',"
    " CASE WHEN i % 2 = 0 THEN i END FROM n;"
    "DELETE FROM reasoning_logs WHERE id IN (3, 500, 501);"
    "INSERT INTO tool_usage(position_id, tool_name, calls, errors, total_duration_ms) VALUES"
    " (5, 'buy', 2, 0, 12.5);"
    "INSERT INTO corporate_actions(position_id, seq, action, symbol, effective_date, factor,"
    " shares_before, shares_after, price, cash) VALUES (5, 1, 'split', 'AAPL', '2025-01-03',"
    " '2:1', 5, 10, 100000000, 0);"
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)"
    " INSERT INTO prices(symbol, date, open, high, close, volume, open_micro, close_micro)"
    " SELECT 'S' || (i % 3), printf('2024-%05d', i), '1.5', NULL, '1.25', '100', 1500000,"
    " CASE WHEN i % 7 = 0 THEN NULL ELSE 1250000 END FROM n;"
    "INSERT INTO price_symbols(symbol, source, imported_at) VALUES ('S0', 'synthetic', 't');"
    "INSERT INTO splits(symbol, effective_date, factor, factor_micro, imported_at) VALUES"
    " ('AAPL', '2025-01-03', '2:1', 2000000, 't');"
    "INSERT INTO audit_log(timestamp, event, job_id, details, status) VALUES"
    " ('t', 'trigger', 'j1', '{\"a\":[1,2]}', 200), ('t', 'cancel', NULL, NULL, NULL);"
    "INSERT INTO api_keys(name, scope, token_hash, created_at) VALUES"
    " ('ops', 'write', x'00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff', 't'),"
    " ('ro', 'read', randomblob(32), 't');"
    "INSERT INTO job_callbacks(job_id, attempt, attempted_at, http_status, outcome, error)"
    " VALUES ('j1', 1, 't', NULL, 'failed', 'refused');"
    "UPDATE data_version SET epoch = 'feedfacecafebeef', version = 42;"
    "INSERT INTO workers(id, hostname, pid, started_at, last_heartbeat) VALUES"
    " ('w1', 'h', 12, 't', 't');";

struct tally {
    int copied, tables, differs;
    long long rows, reasoning, prices;
};

static void count(void *arg, enum dbcopy_event event, const char *table, long long rows)
{
    struct tally *t = arg;
    if (event == DBCOPY_COPIED) {
        t->copied++;
        return;
    }
    t->tables++;
    t->differs += event == DBCOPY_DIFFERS;
    t->rows += rows;
    if (strcmp(table, "reasoning_logs") == 0)
        t->reasoning = rows;
    if (strcmp(table, "prices") == 0)
        t->prices = rows;
}

static struct db *open_file(const char *path)
{
    struct db *db = NULL;
    if (db_open(path, DB_READWRITE, &db, err, sizeof(err)) != 0)
        fprintf(stderr, "open %s: %s\n", path, err);
    return db;
}

static void test_copy(const char *copy_path)
{
    struct tally t = {0};
    char epoch[64];
    struct db *dst = open_file(copy_path);
    ok(fx_exec(fx.db, fill_sql) == 0, "a store with rows in every table");
    is_int(dbcopy_copy(fx.db, dst, count, &t, err, sizeof(err)), DBCOPY_IDENTICAL,
           "copied into a new file and verified");
    if (t.tables == 0)
        printf("# %s\n", err);
    is_int(t.copied, dbcopy_ntables(), "  every table reported copied");
    is_int(t.tables, dbcopy_ntables(), "  every table reported identical");
    is_int(t.reasoning, 1097, "  more rows than a page, ids with gaps");
    is_int(t.prices, 1000, "  a table of exactly two pages");
    is_int(file_int(copy_path, "SELECT count(*) FROM data_version"), 1,
           "  one data_version row, the migration's replaced");
    is_str(file_text(copy_path, "SELECT epoch || '-' || version FROM data_version", epoch,
                     sizeof(epoch)),
           "feedfacecafebeef-42", "  the source's data version: cached answers stay valid");
    is_int(file_int(copy_path, "SELECT max(id) FROM job_details"), 7, "  ids kept");
    is_int(file_int(copy_path, "SELECT hex(token_hash) = '00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF"
                               "00FF00FF00FF00FF00FF00FF' FROM api_keys WHERE name = 'ops'"),
           1, "  a blob with NUL bytes");
    ok(fx_exec(dst, "INSERT INTO audit_log(timestamp, event) VALUES ('t', 'x')") == 0 &&
           file_int(copy_path, "SELECT max(id) FROM audit_log") == 3,
       "  a new row's id follows the copied ones");
    db_close(dst);
}

static void test_refusals(const char *copy_path, const char *old_path)
{
    struct db *dst = open_file(copy_path);
    long long audit = file_int(copy_path, "SELECT count(*) FROM audit_log");
    is_int(dbcopy_copy(fx.db, dst, NULL, NULL, err, sizeof(err)), DBCOPY_ERROR,
           "a copy into a store with rows is refused");
    ok(strstr(err, "not empty (table jobs has rows)") != NULL, "  saying so: %s", err);
    is_int(file_int(copy_path, "SELECT count(*) FROM audit_log"), audit, "  and changes nothing");
    db_close(dst);

    dst = open_file(old_path);
    ok(db_migrate_to(dst, 9, err, sizeof(err)) == 0, "a store at schema 9");
    is_int(dbcopy_copy(fx.db, dst, NULL, NULL, err, sizeof(err)), DBCOPY_ERROR,
           "  is refused as a destination");
    ok(strstr(err, "schema version 9") != NULL, "  saying so: %s", err);
    is_int(file_int(old_path, "PRAGMA user_version"), 9, "  and is not migrated");
    db_close(dst);

    dst = open_file(fx.db_path);
    is_int(dbcopy_copy(fx.db, dst, NULL, NULL, err, sizeof(err)), DBCOPY_ERROR,
           "the source is refused as its own destination");
    ok(strstr(err, "is the source") != NULL, "  saying so: %s", err);
    db_close(dst);
}

/* Changes the copy with sql, expects verify to find it with every word of
 * want in the message, then undoes the change with undo. */
static void expect_difference(struct db *copy, const char *sql, const char *undo,
                              const char *const want[], const char *name)
{
    int found = 1;
    fx_exec(copy, sql);
    is_int(dbcopy_verify(fx.db, copy, NULL, NULL, err, sizeof(err)), DBCOPY_DIFFERENT, name);
    for (size_t i = 0; want[i]; i++)
        found = found && strstr(err, want[i]) != NULL;
    ok(found, "  named: %s", err);
    fx_exec(copy, undo);
}

static void test_differences(const char *copy_path)
{
    struct db *copy = open_file(copy_path);
    struct tally t = {0};
    fx_exec(copy, "DELETE FROM audit_log WHERE id = 3");
    is_int(dbcopy_verify(fx.db, copy, count, &t, err, sizeof(err)), DBCOPY_IDENTICAL,
           "verify: the copy is identical");
    is_int(t.tables, dbcopy_ntables(), "  every table compared");
    expect_difference(
        copy, "UPDATE positions SET cash = cash + 1 WHERE id = 5",
        "UPDATE positions SET cash = cash - 1 WHERE id = 5",
        (const char *const[]){"table positions", "id=5", "cash", "9000000000", "9000000001", NULL},
        "a changed value is found");
    expect_difference(copy, "DELETE FROM holdings WHERE symbol = 'MSFT'",
                      "INSERT INTO holdings(id, position_id, symbol, quantity) VALUES (2, 5, "
                      "'MSFT', 1)",
                      (const char *const[]){"table holdings", "id=2", "only in this store",
                                            "2 rows in this store, 1 in the other", NULL},
                      "a missing row is found");
    char sql[256];
    snprintf(sql, sizeof(sql), "UPDATE positions SET daily_return_pct = %.17g WHERE id = 5",
             nextafter(0.0099999999999999985, 1));
    expect_difference(copy, sql,
                      "UPDATE positions SET daily_return_pct = 0.0099999999999999985 WHERE id = 5",
                      (const char *const[]){"daily_return_pct", NULL}, "a double one bit off");
    expect_difference(copy,
                      "UPDATE prices SET close = '1.26' WHERE symbol = 'S1' AND date = "
                      "'2024-00994'",
                      "UPDATE prices SET close = '1.25' WHERE symbol = 'S1' AND date = "
                      "'2024-00994'",
                      (const char *const[]){"symbol=S1, date=2024-00994", "close", NULL},
                      "a difference on the second page of a two-column key");
    fx_exec(copy, "UPDATE positions SET cash = cash + 1 WHERE id = 5");
    fx_exec(copy, "UPDATE holdings SET quantity = quantity + 1 WHERE id = 2");
    fx_exec(copy, "DELETE FROM audit_log WHERE id = 1");
    t = (struct tally){0};
    is_int(dbcopy_verify(fx.db, copy, count, &t, err, sizeof(err)), DBCOPY_DIFFERENT,
           "three tables changed");
    ok(strstr(err, "table positions differs: row id=5: cash") &&
           strstr(err, "2 more tables differ"),
       "  the first difference named, then the others: %s", err);
    ok(strstr(err, "holdings") && strstr(err, "audit_log"), "  holdings and audit_log listed");
    is_int(t.tables, dbcopy_ntables(), "  every table compared all the same");
    is_int(t.differs, 3, "  three reported different");
    fx_exec(copy, "UPDATE positions SET cash = cash - 1 WHERE id = 5");
    fx_exec(copy, "UPDATE holdings SET quantity = quantity - 1 WHERE id = 2");
    is_int(dbcopy_verify(fx.db, copy, NULL, NULL, err, sizeof(err)), DBCOPY_DIFFERENT,
           "one table left different");
    ok(strstr(err, "table audit_log differs: row id=1 is only in this store") &&
           !strstr(err, "more table"),
       "  named alone, the missing row by its key: %s", err);
    t = (struct tally){0};
    ok(dbcopy_verify(fx.db, copy, count, &t, err, sizeof(err)) == DBCOPY_DIFFERENT &&
           t.differs == 1,
       "  one reported different");
    db_close(copy);
}

/* Runs sql on the database url names. Returns 0 or -1. */
static int pg_exec(const char *url, const char *sql)
{
    struct db *db = NULL;
    int rc = db_open(url, DB_READWRITE, &db, err, sizeof(err)) == 0 &&
                     db_exec(db, sql, err, sizeof(err)) == 0
                 ? 0
                 : -1;
    db_close(db);
    return rc;
}

/* A database of the test's own beside the one url names (which other
 * tests use), byte-ordered like the service's: its URL into own. */
#define PG_OWN "t_dbcopy_unit"
static int pg_create(const char *url, char *own, size_t n)
{
    const char *slash = strrchr(url, '/');
    if (!slash || pg_exec(url, "DROP DATABASE IF EXISTS " PG_OWN " WITH (FORCE)") != 0 ||
        pg_exec(url, "CREATE DATABASE " PG_OWN " TEMPLATE template0 ENCODING 'UTF8' "
                     "LC_COLLATE 'C' LC_CTYPE 'C'") != 0)
        return -1;
    snprintf(own, n, "%.*s/" PG_OWN, (int)(slash - url), url);
    return 0;
}

static const char SQL_PG_NEW_ID[] =
    "INSERT INTO audit_log(timestamp, event) VALUES ('t', 'after') RETURNING id";
static const char SQL_PG_DROP_ID[] = "DELETE FROM audit_log WHERE event = 'after'";

/* The source into PostgreSQL and from there into a new file: each copy
 * identical, ids going on after the copied ones, differences found across
 * the engines (a double one bit off included). */
static void test_postgres(const char *url, const char *back_path)
{
    char own[512];
    struct tally t = {0};
    struct db *pg = NULL, *back = NULL;
    if (!url || !*url) {
        printf("# skipping SQLite -> PostgreSQL -> SQLite: neither TRADER_TEST_DATABASE_URL nor"
               " TRADER_TEST_PG_DIR is set\n");
        return;
    }
    if (!ok(pg_create(url, own, sizeof(own)) == 0 &&
                db_open(own, DB_READWRITE, &pg, err, sizeof(err)) == 0,
            "a PostgreSQL database of the test's own")) {
        printf("# %s\n", err);
        return;
    }
    is_int(dbcopy_copy(fx.db, pg, count, &t, err, sizeof(err)), DBCOPY_IDENTICAL,
           "copied into PostgreSQL and verified");
    if (t.tables == 0)
        printf("# %s\n", err);
    is_int(t.tables, dbcopy_ntables(), "  every table reported identical");
    struct db_stmt *st = db_stmt(pg, SQL_PG_NEW_ID, err, sizeof(err));
    is_int(st && db_step(pg, st, "new id", err, sizeof(err)) == DB_STEP_ROW ? db_col_int64(st, 0)
                                                                            : -1,
           3, "  a new row's id follows the copied ones");
    if (st)
        db_reset(st);
    st = db_stmt(pg, SQL_PG_DROP_ID, err, sizeof(err));
    ok(st && db_step_done(pg, st, "drop", err, sizeof(err)) == 0, "  (that row removed)");
    char sql[256];
    snprintf(sql, sizeof(sql), "UPDATE positions SET daily_return_pct = %.17g WHERE id = 5",
             nextafter(0.0099999999999999985, 1));
    expect_difference(pg, sql,
                      "UPDATE positions SET daily_return_pct = 0.0099999999999999985 WHERE id = 5",
                      (const char *const[]){"table positions", "daily_return_pct", NULL},
                      "a double one bit off in PostgreSQL is found");
    back = open_file(back_path);
    t = (struct tally){0};
    is_int(dbcopy_copy(pg, back, count, &t, err, sizeof(err)), DBCOPY_IDENTICAL,
           "copied from PostgreSQL into a new file and verified");
    if (t.tables == 0)
        printf("# %s\n", err);
    is_int(dbcopy_verify(fx.db, back, NULL, NULL, err, sizeof(err)), DBCOPY_IDENTICAL,
           "the round trip's file equals the source");
    is_int(dbcopy_copy(fx.db, pg, NULL, NULL, err, sizeof(err)), DBCOPY_ERROR,
           "a PostgreSQL store with rows is refused");
    db_close(back);
    db_close(pg);
    pg_exec(url, "DROP DATABASE IF EXISTS " PG_OWN " WITH (FORCE)");
}

int main(void)
{
    char copy_path[160], old_path[160], back_path[160], url[128];
    if (fx_open(&fx) != 0)
        return 1;
    snprintf(copy_path, sizeof(copy_path), "%s/copy.db", fx.dir);
    snprintf(old_path, sizeof(old_path), "%s/old.db", fx.dir);
    snprintf(back_path, sizeof(back_path), "%s/back.db", fx.dir);
    test_tables_are_the_schema();
    test_copy(copy_path);
    test_refusals(copy_path, old_path);
    test_differences(copy_path);
    test_postgres(pgtest_url(url, sizeof(url)), back_path);
    fx_close(&fx);
    return tap_done();
}
