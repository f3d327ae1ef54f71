/* Unit tests for db: pragmas, migrations (including an in-place upgrade of an
 * old file), constraints and cascades, the statement cache, and the neutral
 * statement API (steps, columns, changes, savepoints). */
#include "store/db.h"
#include "store/dbengine.h" /* the SQLite handle, for checks below the API */
#include "base/paths.h"
#include "tap.h"

#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

static char path[256];

static long long scalar(struct db *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Opening another connection in this process must not drop the locks db
 * holds: POSIX releases all of a process's locks on a file when any of its
 * descriptors for that file is closed. Without its locks, a connection closing
 * in another process takes itself for the last one and deletes the
 * write-ahead log under db's feet. Another process looks for the lock. */
static int locked_by_other_process(void)
{
    pid_t child = fork();
    if (child == 0) {
        int fd = open(path, O_RDWR);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        int held = fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
        _exit(held ? 0 : 1);
    }
    int status = -1;
    waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_second_connection_keeps_locks(struct db *db)
{
    char err[512];
    struct db *other = NULL;
    ok(db_exec(db, "BEGIN; SELECT count(*) FROM jobs", err, sizeof(err)) == 0, "a reader");
    ok(locked_by_other_process(), "  its read transaction holds a lock on the file");
    ok(db_open(path, DB_READWRITE, &other, err, sizeof(err)) == 0, "a second connection: %s", err);
    db_close(other);
    ok(locked_by_other_process(), "  the reader's lock survives another connection's open");
    db_rollback(db);
}

static int exec_ok(struct db *db, const char *sql)
{
    char err[512];
    return db_exec(db, sql, err, sizeof(err)) == 0;
}

/* A write that finds the database locked past the busy timeout is a
 * transient failure; a bad statement is not; a reopened connection works. */
static void test_transient(struct db *db)
{
    char err[256] = "";
    struct db *other = NULL;
    setenv(DB_ENV_BUSY_TIMEOUT, "50", 1);
    ok(db_open(path, DB_READWRITE, &other, err, sizeof(err)) == 0, "a second connection: %s", err);
    unsetenv(DB_ENV_BUSY_TIMEOUT);
    if (!other)
        return;
    ok(db_exec(db, "BEGIN EXCLUSIVE", err, sizeof(err)) == 0, "the first holds the write lock");
    db_clear_error(other);
    ok(db_begin_immediate(other, err, sizeof(err)) == -1 && db_transient(other),
       "locked past the busy timeout: transient (%s)", err);
    db_rollback(db);
    db_clear_error(other);
    ok(!db_transient(other), "cleared");
    ok(db_exec(other, "SELEKT 1", err, sizeof(err)) == -1 && !db_transient(other),
       "a bad statement is not transient");
    ok(db_reopen(other, err, sizeof(err)) == 0 &&
           db_exec(other, "BEGIN IMMEDIATE; COMMIT", err, sizeof(err)) == 0,
       "reopened, it writes: %s", err);
    ok(db_retry_pause(0, NULL) == 0, "a retry pause ends");
    atomic_int stop = 1;
    ok(db_retry_pause(5, &stop) == -1, "a stop request cuts it short");
    db_close(other);
}

/* Deletes the database file and its WAL files. */
static void remove_db(const char *file)
{
    static const char *const files[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char f[310];
        snprintf(f, sizeof(f), "%s%s", file, files[i]);
        unlink(f);
    }
}

/* The schema version before the migration that adds positions.ntrades
 * (found by migrating a scratch file one version at a time, so migrations
 * appended later do not move it); 0 when none does. */
static int version_before_ntrades(const char *dir)
{
    char err[512], file[300];
    struct db *db = NULL;
    int before = 0;
    snprintf(file, sizeof(file), "%s/probe.db", dir);
    if (db_open(file, DB_READWRITE, &db, err, sizeof(err)) != 0)
        return 0;
    for (int v = 1; v <= DB_SCHEMA_VERSION && !before; v++)
        if (db_migrate_to(db, v, err, sizeof(err)) == 0 &&
            scalar(db, "SELECT count(*) FROM pragma_table_info('positions')"
                       " WHERE name = 'ntrades'") == 1)
            before = v - 1;
    db_close(db);
    remove_db(file);
    return before;
}

/* The trade-count migration gives the days already stored their trade count
 * and fees. */
static void test_upgrade_counts_trades(const char *dir)
{
    char err[512], file[300];
    struct db *db = NULL;
    int before = version_before_ntrades(dir);
    snprintf(file, sizeof(file), "%s/upgrade.db", dir);
    ok(before > 0 && db_open(file, DB_READWRITE, &db, err, sizeof(err)) == 0 &&
           db_migrate_to(db, before, err, sizeof(err)) == 0,
       "a file of the version before the trade counts: %s", err);
    ok(exec_ok(db,
               "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
               " VALUES('j1','c','completed','[]','[]','t');"
               "INSERT INTO positions(id,job_id,date,model,cash,portfolio_value,prev_value,"
               "daily_profit,daily_return_pct,created_at) VALUES(1,'j1','2025-01-03','m',0,1,1,"
               "0,0,'t'); INSERT INTO trades(position_id,seq,action,symbol,amount,price,total,fee)"
               " VALUES(1,1,'buy','A',1,1,1,5),(1,2,'sell','A',1,1,1,7)"),
       "  a day with two trades in it");
    ok(db_migrate(db, err, sizeof(err)) == 0, "  upgraded: %s", err);
    is_int(scalar(db, "SELECT ntrades * 100 + fees FROM positions WHERE cost IS NULL"), 212,
           "  the day has its trade count and fees, and no cost");
    db_close(db);
    remove_db(file);
}

/* db_follow opens, keeps, and reopens a connection when the file at the path
 * is replaced or removed. */
static void test_follow(const char *dir)
{
    char err[512], p[256], tmp[256];
    struct db *db = NULL, *was;
    snprintf(p, sizeof(p), "%s/follow.db", dir);
    snprintf(tmp, sizeof(tmp), "%s/follow.db.new", dir);
    is_int(db_follow(&db, p, DB_READWRITE, err, sizeof(err)), DB_FOLLOW_ERROR,
           "a missing file is an error");
    ok(!db, "  and no connection");
    fclose(fopen(p, "w"));
    is_int(db_follow(&db, p, DB_READWRITE, err, sizeof(err)), DB_FOLLOW_OPENED, "opened");
    was = db;
    is_int(db_follow(&db, p, DB_READWRITE, err, sizeof(err)), DB_FOLLOW_SAME, "the same file");
    ok(db == was, "  keeps its connection");
    fclose(fopen(tmp, "w"));
    rename(tmp, p);
    is_int(db_follow(&db, p, DB_READWRITE, err, sizeof(err)), DB_FOLLOW_OPENED,
           "a replaced file is opened again");
    unlink(p);
    is_int(db_follow(&db, p, DB_READWRITE, err, sizeof(err)), DB_FOLLOW_ERROR,
           "a removed file closes the connection");
    ok(!db, "  and leaves none");
    unlink(tmp);
}

/* The statement API on a scratch table: each step outcome, each column
 * accessor (a null too), changes, and a failing step's message. */
static void test_stmt_api(struct db *db)
{
    static const char mk[] = "CREATE TEMP TABLE scratch(k INTEGER PRIMARY KEY, s TEXT,"
                             " n INTEGER, d REAL, b BLOB)";
    static const char put[] = "INSERT INTO scratch(k, s, n, d, b) VALUES(?1, ?2, ?3, ?4, ?5)";
    static const char get[] = "SELECT s, n, d, b, k FROM scratch WHERE k >= ?1 ORDER BY k";
    static const char bump[] = "UPDATE scratch SET n = n + 1 WHERE n IS NOT NULL";
    char err[512] = "";
    struct db_stmt *st;
    ok(db_exec(db, mk, err, sizeof(err)) == 0, "scratch table: %s", err);

    st = db_stmt(db, put, err, sizeof(err));
    is_int(db_bind_count(st), 5, "db_bind_count counts the parameters");
    db_bind_int64(st, 1, 7);
    db_bind_text(st, 2, "seven");
    db_bind_int64(st, 3, 5000000000123LL);
    db_bind_double(st, 4, 2.5);
    db_bind_blob(st, 5, "\x01\x00\x02", 3);
    ok(db_step_done(db, st, "insert", err, sizeof(err)) == 0, "insert a full row: %s", err);
    is_int(db_changes(db), 1, "db_changes: one row inserted");
    st = db_stmt(db, put, err, sizeof(err));
    db_bind_int64(st, 1, 9);
    ok(db_step_done(db, st, "insert", err, sizeof(err)) == 0, "insert a row of nulls: %s", err);

    st = db_stmt(db, get, err, sizeof(err));
    db_bind_int64(st, 1, 0);
    is_int(db_step(db, st, "select", err, sizeof(err)), DB_STEP_ROW, "first step: a row");
    is_str(db_col_text(st, 0), "seven", "db_col_text");
    is_int(db_col_int64(st, 1), 5000000000123LL, "db_col_int64 keeps 64 bits");
    is_int(db_col_int(st, 4), 7, "db_col_int");
    ok(db_col_double(st, 2) == 2.5, "db_col_double");
    is_int(db_col_bytes(st, 3), 3, "db_col_bytes of a blob");
    ok(memcmp(db_col_blob(st, 3), "\x01\x00\x02", 3) == 0, "db_col_blob");
    ok(!db_col_is_null(st, 0) && db_col_type(st, 0) == DB_COL_TEXT &&
           db_col_type(st, 1) == DB_COL_INTEGER && db_col_type(st, 2) == DB_COL_FLOAT &&
           db_col_type(st, 3) == DB_COL_BLOB,
       "db_col_type of each kind");
    is_int(db_step(db, st, "select", err, sizeof(err)), DB_STEP_ROW, "second step: a row");
    ok(db_col_is_null(st, 0) && db_col_type(st, 0) == DB_COL_NULL, "db_col_is_null");
    ok(db_col_text(st, 0) == NULL, "a null text is NULL");
    is_int(db_col_int64(st, 1), 0, "a null number reads 0");
    is_int(db_step(db, st, "select", err, sizeof(err)), DB_STEP_DONE, "third step: done");
    db_reset(st);

    st = db_stmt(db, get, err, sizeof(err));
    db_bind_int64(st, 1, 0);
    ok(db_step_done(db, st, "a select", err, sizeof(err)) == -1 && strstr(err, "a select: "),
       "db_step_done on a statement with rows fails, named: %s", err);
    st = db_stmt(db, bump, err, sizeof(err));
    ok(db_step_done(db, st, "update", err, sizeof(err)) == 0, "update: %s", err);
    is_int(db_changes(db), 1, "db_changes counts only the rows the update changed");

    st = db_stmt(db, put, err, sizeof(err));
    db_bind_int64(st, 1, 7);
    is_int(db_step(db, st, "storing row 7", err, sizeof(err)), DB_STEP_ERROR,
           "a duplicate key: DB_STEP_ERROR");
    db_reset(st);
    ok(strncmp(err, "storing row 7: ", 15) == 0 && strstr(err, "UNIQUE"),
       "the error names what failed and why: %s", err);
    ok(!db_transient(db), "a constraint is not a transient failure");
    db_clear_error(db);

    ok(!db_in_transaction(db), "no transaction yet");
    ok(db_begin_immediate(db, err, sizeof(err)) == 0 && db_in_transaction(db) &&
           db_savepoint(db, "sp", err, sizeof(err)) == 0,
       "a transaction and a savepoint: %s", err);
    st = db_stmt(db, put, err, sizeof(err));
    db_bind_int64(st, 1, 11);
    ok(db_step_done(db, st, "insert", err, sizeof(err)) == 0, "insert in the savepoint");
    db_rollback_to(db, "sp");
    ok(db_in_transaction(db), "db_rollback_to keeps the transaction");
    ok(db_savepoint(db, "sp", err, sizeof(err)) == 0 && db_release(db, "sp", err, sizeof(err)) == 0,
       "a savepoint released: %s", err);
    ok(db_commit(db, err, sizeof(err)) == 0 && !db_in_transaction(db), "commit: %s", err);
    st = db_stmt(db, get, err, sizeof(err));
    db_bind_int64(st, 1, 10);
    is_int(db_step(db, st, "select", err, sizeof(err)), DB_STEP_DONE,
           "the rolled-back row is gone");
    db_reset(st);
    ok(db_exec(db, "DROP TABLE scratch", err, sizeof(err)) == 0, "drop the scratch table");
}

int main(void)
{
    char err[512];
    struct db *db = NULL;
    char tmpl[] = "/tmp/trader-test-db-XXXXXX";
    if (!mkdtemp(tmpl))
        return 1;
    snprintf(path, sizeof(path), "%s/%s", tmpl, PATHS_DB_FILE_NAME);

    ok(db_open(path, DB_READONLY, &db, err, sizeof(err)) == -1,
       "read-only open of a missing file fails");
    ok(db_open(path, DB_READWRITE, &db, err, sizeof(err)) == 0, "create");
    struct stat sb;
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
       "a new database file is private to its user (mode 0600)");
    ok(db_migrate_to(db, 1, err, sizeof(err)) == 0, "migrate to version 1: %s", err);
    int v = 0;
    db_schema_version(db, &v);
    is_int(v, 1, "schema version 1");
    ok(exec_ok(db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                   " VALUES('j1','c','completed','[]','[]','t')"),
       "a job in the version-1 file");
    db_close(db);

    db = NULL;
    ok(db_open(path, DB_READWRITE, &db, err, sizeof(err)) == 0, "reopen");
    ok(db_migrate(db, err, sizeof(err)) == 0, "upgrade in place: %s", err);
    db_schema_version(db, &v);
    is_int(v, DB_SCHEMA_VERSION, "latest schema version");
    is_int(scalar(db, "SELECT count(*) FROM jobs"), 1, "old rows survive the upgrade");
    is_int(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name='workers'"), 1,
           "new table exists");
    is_int(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name='daemon'"), 0,
           "a dropped one is gone");
    ok(db_migrate(db, err, sizeof(err)) == 0, "migrating again is a no-op");
    is_int(scalar(db, "PRAGMA foreign_keys"), 1, "foreign keys on");
    sqlite3_stmt *jm = NULL;
    sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &jm, NULL);
    sqlite3_step(jm);
    is_str((const char *)sqlite3_column_text(jm, 0), "wal", "WAL journal");
    sqlite3_finalize(jm);

    ok(!exec_ok(db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                    " VALUES('j2','c','bogus','[]','[]','t')"),
       "job status CHECK");
    ok(!exec_ok(db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                    " VALUES('j2','c','pending','not json','[]','t')"),
       "date_range must be JSON");
    ok(exec_ok(db, "INSERT INTO job_details(job_id,date,model,status) "
                   "VALUES('j1','2025-01-02','m','completed')"),
       "a job detail");
    ok(!exec_ok(db, "INSERT INTO job_details(job_id,date,model,status) "
                    "VALUES('j1','2025-01-02','m','pending')"),
       "job detail UNIQUE(job_id,date,model)");
    ok(!exec_ok(db, "INSERT INTO job_details(job_id,date,model,status) "
                    "VALUES('nojob','2025-01-02','m','pending')"),
       "job detail needs its job");
    ok(exec_ok(
           db,
           "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,daily_profit,"
           "daily_return_pct,created_at) VALUES('j1','2025-01-02','m',1,1,1,0,0,'t')"),
       "a position");
    ok(!exec_ok(
           db,
           "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,daily_profit,"
           "daily_return_pct,created_at) VALUES('j1','2025-01-02','m',1,1,1,0,0,'t')"),
       "one result per model and date");
    ok(!exec_ok(
           db,
           "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,daily_profit,"
           "daily_return_pct,created_at) VALUES('j1','2025-01-03','m',-1,1,1,0,0,'t')"),
       "cash never negative");
    ok(exec_ok(db, "INSERT INTO holdings(position_id,symbol,quantity) VALUES(1,'AAPL',3);"
                   "INSERT INTO trades(position_id,seq,action,symbol,amount,price,total) "
                   "VALUES(1,1,'buy','AAPL',3,1,3);"
                   "INSERT INTO reasoning_logs(position_id,step,role,content,timestamp) "
                   "VALUES(1,1,'assistant','x','t');"
                   "INSERT INTO tool_usage(position_id,tool_name,calls) VALUES(1,'buy',1)"),
       "children of a position");
    ok(!exec_ok(db, "INSERT INTO trades(position_id,seq,action,symbol,amount,price,total) "
                    "VALUES(1,2,'buy','AAPL',0,1,3)"),
       "trade amount must be positive");
    ok(exec_ok(db, "DELETE FROM jobs WHERE job_id='j1'"), "delete the job");
    is_int(scalar(db, "SELECT (SELECT count(*) FROM job_details)+(SELECT count(*) FROM positions)"
                      "+(SELECT count(*) FROM holdings)+(SELECT count(*) FROM trades)"
                      "+(SELECT count(*) FROM reasoning_logs)+(SELECT count(*) FROM tool_usage)"),
           0, "deleting a job cascades to everything under it");

    static const char q[] = "SELECT count(*) FROM jobs";
    struct db_stmt *a = db_stmt(db, q, err, sizeof(err));
    struct db_stmt *b = db_stmt(db, q, err, sizeof(err));
    ok(a && a == b, "a statement is prepared once per connection");
    db_reset(a);
    static const char bad[] = "SELEKT nonsense";
    ok(db_stmt(db, bad, err, sizeof(err)) == NULL, "bad SQL reports: %s", err);

    test_stmt_api(db);
    test_second_connection_keeps_locks(db);
    test_transient(db);

    ok(exec_ok(db, "PRAGMA user_version = 99"), "pretend a newer program wrote the file");
    ok(db_migrate(db, err, sizeof(err)) == -1, "newer schema refused: %s", err);
    db_close(db);
    test_upgrade_counts_trades(tmpl);
    test_follow(tmpl);

    unlink(path);
    char side[300];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    rmdir(tmpl);
    return tap_done();
}
