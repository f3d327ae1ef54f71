/* simfixture: what the simulation unit tests (tools, strategy, modelday,
 * worker) share: a real database file in a fresh temp directory, rows
 * inserted by plain SQL, one-value queries and removal of the directory. */
#ifndef TRADER_SIMFIXTURE_H
#define TRADER_SIMFIXTURE_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "base/errbuf.h"
#include "store/db.h"
#include "store/dbengine.h" /* the SQLite handle, for checks below the API */

struct fixture {
    char dir[64];
    char db_path[128];
    struct db *db;
};

/* A temp dir with a migrated database; returns 0 or -1. */
static inline int fx_open(struct fixture *fx)
{
    char err[512];
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/trader-test-sim-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->db_path, sizeof(fx->db_path), "%s/trader.db", fx->dir);
    if (db_open(fx->db_path, DB_READWRITE, &fx->db, err, sizeof(err)) != 0 ||
        db_migrate(fx->db, err, sizeof(err)) != 0) {
        fprintf(stderr, "fixture: %s\n", err);
        return -1;
    }
    return 0;
}

static inline int fx_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void fx_close(struct fixture *fx)
{
    db_close(fx->db);
    fx->db = NULL;
    nftw(fx->dir, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int fx_exec(struct db *db, const char *sql)
{
    char err[ERRBUF_SIZE];
    if (db_exec(db, sql, err, sizeof(err)) != 0) {
        fprintf(stderr, "fixture SQL failed: %s\n", err);
        return -1;
    }
    return 0;
}

/* One bar with the given open and close texts (high/low/volume derived).
 * Prepared outside the statement cache, which test_perf inspects. */
static inline int fx_bar(struct db *db, const char *symbol, const char *date, const char *open,
                         const char *close)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO prices(symbol,date,open,high,low,close,volume,"
                           "open_micro,close_micro) VALUES(?1,?2,?3,'999.0','0.5',?4,'1234',"
                           "CAST(round(?3*1000000) AS INTEGER),"
                           "CAST(round(?4*1000000) AS INTEGER))",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, symbol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, open, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, close, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
out:
    if (rc)
        fprintf(stderr, "fixture bar failed: %s\n", sqlite3_errmsg(db->h));
    sqlite3_finalize(st);
    return rc;
}

static inline long long fx_int(struct db *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* fx_int of a printf-formatted query. */
__attribute__((format(printf, 2, 3))) static inline long long fx_intf(struct db *db,
                                                                      const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return fx_int(db, sql);
}

/* The first column of the first row as text into buf ("" when none). */
static inline const char *fx_text(struct db *db, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* The member key of a JSON text as text ("" when absent; the JSON text of
 * non-strings). Uses a static buffer: one value at a time. */
static inline const char *fx_json_get(const char *json, const char *key)
{
    static char buf[1024];
    json_object *o = json ? json_tokener_parse(json) : NULL, *v;
    buf[0] = '\0';
    if (o && json_object_object_get_ex(o, key, &v))
        snprintf(buf, sizeof(buf), "%s", v ? json_object_get_string(v) : "null");
    json_object_put(o);
    return buf;
}

/* The text of the file rel (inside the fixture's directory), its first 64 KiB,
 * in a new buffer (caller frees), or NULL. */
static inline char *fx_slurp(const struct fixture *fx, const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    if (buf)
        fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

#endif
