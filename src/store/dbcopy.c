/* dbcopy: see dbcopy.h. Tables are read in pages under their primary key
 * (keyset paging: each page starts after the last key of the one before),
 * so neither engine holds a whole table in memory; a PostgreSQL result is
 * held whole by the client, a page of it is not. */
#include "store/dbcopy.h"

#include "base/errbuf.h"
#include "base/mem.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_ROWS 500
#define PAGE_TEXT "500"
#define KEY_MAX 2 /* columns of the widest primary key */

/* "?1, ?2, ... ?N": the parameters of an insert of N columns. */
#define M1 "?1"
#define M2 M1 ", ?2"
#define M3 M2 ", ?3"
#define M4 M3 ", ?4"
#define M5 M4 ", ?5"
#define M6 M5 ", ?6"
#define M7 M6 ", ?7"
#define M8 M7 ", ?8"
#define M9 M8 ", ?9"
#define M10 M9 ", ?10"
#define M11 M10 ", ?11"
#define M12 M11 ", ?12"
#define M13 M12 ", ?13"
#define M14 M13 ", ?14"
#define M15 M14 ", ?15"
#define M16 M15 ", ?16"
#define M17 M16 ", ?17"
#define M18 M17 ", ?18"
#define M19 M18 ", ?19"
#define M20 M19 ", ?20"

struct table {
    const char *name;
    const char *cols;  /* the primary key's columns first */
    int nkey;          /* how many they are */
    bool ids;          /* the key is an identity id: its sequence follows the copy */
    const char *first; /* the first page */
    const char *next;  /* the page after the key ?1.. */
    const char *insert;
    const char *clear; /* migrations fill the table: their rows make way */
};

/* The statements of a table are static strings (db_stmt caches by address). */
#define TABLE(name, ncols, cols, key, nkey, ids, clear)                                            \
    {                                                                                              \
#name, cols, nkey, ids,                                                                    \
            "SELECT " cols " FROM " #name " ORDER BY " key " LIMIT " PAGE_TEXT,                    \
            "SELECT " cols " FROM " #name " WHERE (" key ") > (" M##nkey ") ORDER BY " key         \
                                                                         " LIMIT " PAGE_TEXT,      \
            "INSERT INTO " #name "(" cols ") VALUES(" M##ncols ")", clear                          \
    }

/* Every table of the schema (store/schema.c, version 10), parents before
 * children, with every column in the schema's order (tests/unit/test_dbcopy
 * holds both against a new store). Not copied: SQLite's own tables. */
static const struct table tables[] = {
    TABLE(jobs, 19,
          "job_id, config_path, config_json, status, date_range, models, replace_existing, "
          "source, created_at, started_at, updated_at, completed_at, total_duration_seconds, "
          "error, warnings, cancel_requested_at, callback_url, callback_status, seq",
          "job_id", 1, false, NULL),
    TABLE(job_details, 12,
          "id, job_id, date, model, status, attempts, started_at, completed_at, "
          "duration_seconds, error, worker, lease_until",
          "id", 1, true, NULL),
    TABLE(positions, 20,
          "id, job_id, date, model, cash, portfolio_value, prev_value, daily_profit, "
          "daily_return_pct, total_steps, stop_signal, reasoning_summary, prompt_tokens, "
          "completion_tokens, total_tokens, log_file_path, created_at, cost, ntrades, fees",
          "id", 1, true, NULL),
    TABLE(trades, 9, "id, position_id, seq, action, symbol, amount, price, total, fee", "id", 1,
          true, NULL),
    TABLE(holdings, 4, "id, position_id, symbol, quantity", "id", 1, true, NULL),
    TABLE(reasoning_logs, 10,
          "id, position_id, step, role, content, tool_name, tool_call_id, message_json, "
          "timestamp, completion",
          "id", 1, true, NULL),
    TABLE(tool_usage, 6, "id, position_id, tool_name, calls, errors, total_duration_ms", "id", 1,
          true, NULL),
    TABLE(corporate_actions, 11,
          "id, position_id, seq, action, symbol, effective_date, factor, shares_before, "
          "shares_after, price, cash",
          "id", 1, true, NULL),
    TABLE(prices, 9, "symbol, date, open, high, low, close, volume, open_micro, close_micro",
          "symbol, date", 2, false, NULL),
    TABLE(price_symbols, 4, "symbol, source, last_refreshed, imported_at", "symbol", 1, false,
          NULL),
    TABLE(splits, 5, "symbol, effective_date, factor, factor_micro, imported_at",
          "symbol, effective_date", 2, false, NULL),
    TABLE(audit_log, 10,
          "id, timestamp, event, job_id, details, actor, client, endpoint, status, outcome", "id",
          1, true, NULL),
    TABLE(api_keys, 6, "id, name, scope, token_hash, created_at, last_used_at", "id", 1, true,
          NULL),
    TABLE(job_callbacks, 7, "id, job_id, attempt, attempted_at, http_status, outcome, error", "id",
          1, true, NULL),
    TABLE(data_version, 3, "id, epoch, version", "id", 1, false, "DELETE FROM data_version"),
    TABLE(workers, 8,
          "id, hostname, pid, version, threads, started_at, last_heartbeat, current_job", "id", 1,
          false, NULL),
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

size_t dbcopy_ntables(void)
{
    return NTABLES;
}

const char *dbcopy_table_name(size_t i)
{
    return i < NTABLES ? tables[i].name : NULL;
}

const char *dbcopy_table_columns(size_t i)
{
    return i < NTABLES ? tables[i].cols : NULL;
}

/* A read snapshot: every page of every table comes from one state of the
 * store. The texts differ: SQLite's deferred BEGIN takes its snapshot at the
 * first read (WAL), PostgreSQL's default isolation takes one per statement. */
static int snapshot_begin(struct db *db, char *err, size_t errlen)
{
    return db_exec(db,
                   db_engine(db) == DB_ENGINE_POSTGRES
                       ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                       : "BEGIN",
                   err, errlen);
}

/* A copy of one column value (a key a page starts after). */
struct value {
    enum db_col_type type;
    long long i;
    double d;
    char *bytes; /* text (NUL-terminated) or blob, owned */
    size_t n;
};

static void value_save(struct value *v, struct db_stmt *st, int col)
{
    free(v->bytes);
    memset(v, 0, sizeof(*v));
    v->type = db_col_type(st, col);
    if (v->type == DB_COL_INTEGER)
        v->i = db_col_int64(st, col);
    else if (v->type == DB_COL_FLOAT)
        v->d = db_col_double(st, col);
    else if (v->type == DB_COL_TEXT || v->type == DB_COL_BLOB) {
        const void *p =
            v->type == DB_COL_TEXT ? (const void *)db_col_text(st, col) : db_col_blob(st, col);
        v->n = db_col_bytes(st, col);
        v->bytes = mem_alloc(v->n + 1);
        if (v->n)
            memcpy(v->bytes, p, v->n);
        v->bytes[v->n] = '\0';
    }
}

static void value_bind(struct db_stmt *st, int i, const struct value *v)
{
    switch (v->type) {
    case DB_COL_INTEGER:
        db_bind_int64(st, i, v->i);
        break;
    case DB_COL_FLOAT:
        db_bind_double(st, i, v->d);
        break;
    case DB_COL_TEXT:
        db_bind_text(st, i, v->bytes);
        break;
    case DB_COL_BLOB:
        db_bind_blob(st, i, v->bytes, v->n);
        break;
    case DB_COL_NULL:
        db_bind_null(st, i);
        break;
    }
}

/* Binds column col of from's row to parameter i of to, as the type it has. */
static void bind_column(struct db_stmt *to, int i, struct db_stmt *from, int col)
{
    switch (db_col_type(from, col)) {
    case DB_COL_INTEGER:
        db_bind_int64(to, i, db_col_int64(from, col));
        break;
    case DB_COL_FLOAT:
        db_bind_double(to, i, db_col_double(from, col));
        break;
    case DB_COL_TEXT:
        db_bind_text(to, i, db_col_text(from, col));
        break;
    case DB_COL_BLOB: {
        const void *p = db_col_blob(from, col); /* NULL when empty: still a blob */
        db_bind_blob(to, i, p ? p : "", db_col_bytes(from, col));
        break;
    }
    case DB_COL_NULL:
        db_bind_null(to, i);
        break;
    }
}

/* The rows of one table in key order, a page at a time. */
struct cursor {
    struct db *db;
    const struct table *t;
    struct db_stmt *st; /* the current page's */
    int inpage;         /* rows of it read so far */
    bool done;
    struct value key[KEY_MAX]; /* of a full page's last row */
    char what[64];             /* "reading table NAME", for messages */
};

static void cursor_init(struct cursor *c, struct db *db, const struct table *t)
{
    memset(c, 0, sizeof(*c));
    c->db = db;
    c->t = t;
    snprintf(c->what, sizeof(c->what), "reading table %s", t->name);
}

static void cursor_close(struct cursor *c)
{
    if (c->st && !c->done)
        db_reset(c->st);
    for (int k = 0; k < KEY_MAX; k++)
        free(c->key[k].bytes);
    memset(c, 0, sizeof(*c));
}

/* Steps to the next row: DB_STEP_ROW with c->st on it, DB_STEP_DONE at the
 * table's end (and after), or DB_STEP_ERROR with err. */
static enum db_step cursor_next(struct cursor *c, char *err, size_t errlen)
{
    if (c->done)
        return DB_STEP_DONE;
    if (!c->st || c->inpage == PAGE_ROWS) {
        bool next = c->st != NULL;
        if (c->st)
            db_reset(c->st);
        c->st = db_stmt(c->db, next ? c->t->next : c->t->first, err, errlen);
        if (!c->st)
            return DB_STEP_ERROR;
        for (int k = 0; next && k < c->t->nkey; k++)
            value_bind(c->st, k + 1, &c->key[k]);
        c->inpage = 0;
    }
    enum db_step rc = db_step(c->db, c->st, c->what, err, errlen);
    if (rc == DB_STEP_ROW && ++c->inpage == PAGE_ROWS)
        for (int k = 0; k < c->t->nkey; k++)
            value_save(&c->key[k], c->st, k);
    if (rc == DB_STEP_DONE) {
        db_reset(c->st);
        c->done = true;
    }
    return rc;
}

/* A value in its canonical form: a type letter, then integers as %lld,
 * doubles as %.17g (exact), text and blobs as their bytes; null is the
 * letter alone. Equal forms are equal values. p points into num or into
 * the row (valid until the next step). */
struct canon {
    char type;
    const char *p;
    size_t n;
    char num[32];
};

static void canon(struct db_stmt *st, int col, struct canon *c)
{
    static const char letters[] = {[DB_COL_NULL] = 'n',
                                   [DB_COL_INTEGER] = 'i',
                                   [DB_COL_FLOAT] = 'f',
                                   [DB_COL_TEXT] = 't',
                                   [DB_COL_BLOB] = 'b'};
    enum db_col_type type = db_col_type(st, col);
    c->type = letters[type];
    c->p = c->num;
    c->num[0] = '\0';
    if (type == DB_COL_INTEGER)
        snprintf(c->num, sizeof(c->num), "%lld", db_col_int64(st, col));
    else if (type == DB_COL_FLOAT)
        snprintf(c->num, sizeof(c->num), "%.17g", db_col_double(st, col));
    else if (type == DB_COL_TEXT)
        c->p = db_col_text(st, col);
    else if (type == DB_COL_BLOB)
        c->p = db_col_blob(st, col);
    c->n = type == DB_COL_TEXT || type == DB_COL_BLOB ? db_col_bytes(st, col) : strlen(c->num);
    if (!c->p)
        c->p = "";
}

static bool canon_equal(const struct canon *a, const struct canon *b)
{
    return a->type == b->type && a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* A short printable form of c for a message: blobs in hex, long text cut. */
static const char *canon_show(const struct canon *c, char out[ERR_ECHO_BUF])
{
    if (c->type == 'n')
        return "NULL";
    if (c->type == 'b') {
        size_t i, n = c->n < ERR_ECHO_MAX / 2 - 2 ? c->n : ERR_ECHO_MAX / 2 - 2;
        for (i = 0; i < n; i++)
            snprintf(out + 2 * i, 3, "%02x", ((const unsigned char *)c->p)[i]);
        snprintf(out + 2 * i, ERR_ECHO_BUF - 2 * i, "%s", n < c->n ? "..." : "");
        return out;
    }
    char text[ERR_ECHO_MAX + 1];
    size_t n = c->n < ERR_ECHO_MAX ? c->n : ERR_ECHO_MAX;
    memcpy(text, c->p, n);
    text[n] = '\0';
    err_echo(text, out);
    if (n < c->n && strlen(out) + 3 < ERR_ECHO_BUF)
        strcat(out, "...");
    return out;
}

/* "id=57" or "symbol=AAPL, date=2025-01-02": the key of st's row. */
static void describe_key(const struct table *t, struct db_stmt *st, char *out, size_t outlen)
{
    size_t len = 0;
    out[0] = '\0';
    for (int k = 0; k < t->nkey && len < outlen; k++) {
        char shown[ERR_ECHO_BUF];
        struct canon c;
        canon(st, k, &c);
        int n = snprintf(out + len, outlen - len, "%s%s=%s", k ? ", " : "", db_col_name(st, k),
                         canon_show(&c, shown));
        len += n > 0 ? (size_t)n : 0;
    }
}

/* The order of two values of one key column as the cursors' ORDER BY has
 * it: integers by value, text byte by byte (the C collation). */
static int canon_order(const struct canon *a, const struct canon *b)
{
    if (a->type == 'i' && b->type == 'i') {
        long long x = strtoll(a->p, NULL, 10), y = strtoll(b->p, NULL, 10);
        return (x > y) - (x < y);
    }
    int c = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Where two rows (a or b NULL: the table ended on that side) first differ,
 * into diff; diff stays "" when they are equal. Rows of different keys: the
 * one that comes first is missing on the other side. */
static void row_diff(const struct table *t, struct db_stmt *a, struct db_stmt *b,
                     const char *const names[2], char *diff, size_t difflen)
{
    char key[256], shown_a[ERR_ECHO_BUF], shown_b[ERR_ECHO_BUF];
    describe_key(t, a ? a : b, key, sizeof(key));
    for (int k = 0; a && b && k < t->nkey; k++) {
        struct canon ka, kb;
        canon(a, k, &ka);
        canon(b, k, &kb);
        int order = canon_order(&ka, &kb);
        if (order == 0)
            continue;
        if (order > 0)
            a = NULL; /* b's row comes first: a has none of that key */
        else
            b = NULL;
        describe_key(t, a ? a : b, key, sizeof(key));
        break;
    }
    if (!a || !b) {
        snprintf(diff, difflen, "row %s is only in %s", key, names[a ? 0 : 1]);
        return;
    }
    for (int i = 0; i < db_col_count(a); i++) {
        struct canon ca, cb;
        canon(a, i, &ca);
        canon(b, i, &cb);
        if (!canon_equal(&ca, &cb)) {
            snprintf(diff, difflen, "row %s: %s is %s in %s but %s in %s", key, db_col_name(a, i),
                     canon_show(&ca, shown_a), names[0], canon_show(&cb, shown_b), names[1]);
            return;
        }
    }
}

/* Compares table t on a and b in key order, both streamed. After the first
 * difference it only counts the rows, for the message; *rows is a's count
 * unless DBCOPY_ERROR. */
static enum dbcopy_result compare_table(const struct table *t, struct db *a, struct db *b,
                                        const char *const names[2], long long *rows, char *err,
                                        size_t errlen)
{
    struct cursor ca, cb;
    long long na = 0, nb = 0;
    char diff[ERRBUF_SIZE] = "";
    enum dbcopy_result res = DBCOPY_ERROR;
    cursor_init(&ca, a, t);
    cursor_init(&cb, b, t);
    for (;;) {
        enum db_step ra = cursor_next(&ca, err, errlen);
        enum db_step rb = ra == DB_STEP_ERROR ? DB_STEP_ERROR : cursor_next(&cb, err, errlen);
        if (rb == DB_STEP_ERROR)
            goto out;
        if (ra == DB_STEP_DONE && rb == DB_STEP_DONE)
            break;
        na += ra == DB_STEP_ROW;
        nb += rb == DB_STEP_ROW;
        if (!diff[0])
            row_diff(t, ra == DB_STEP_ROW ? ca.st : NULL, rb == DB_STEP_ROW ? cb.st : NULL, names,
                     diff, sizeof(diff));
    }
    *rows = na;
    res = DBCOPY_IDENTICAL;
    if (diff[0]) {
        err_set(err, errlen, "table %s differs: %s (%lld rows in %s, %lld in %s)", t->name, diff,
                na, names[0], nb, names[1]);
        res = DBCOPY_DIFFERENT;
    }
out:
    cursor_close(&ca);
    cursor_close(&cb);
    return res;
}

/* Compares every table, in snapshots the caller took, so one run names
 * all that differ: err keeps the first difference and lists the other
 * tables. Stops only at an error. */
static enum dbcopy_result compare_all(struct db *a, struct db *b, const char *const names[2],
                                      dbcopy_report report, void *arg, char *err, size_t errlen)
{
    char first[ERRBUF_SIZE] = "", msg[ERRBUF_SIZE], others[ERRBUF_SIZE] = "";
    size_t nothers = 0, len = 0;
    for (size_t i = 0; i < NTABLES; i++) {
        long long rows = 0;
        enum dbcopy_result rc = compare_table(&tables[i], a, b, names, &rows, msg, sizeof(msg));
        if (rc == DBCOPY_ERROR) {
            err_set(err, errlen, "%s", msg);
            return DBCOPY_ERROR;
        }
        if (rc == DBCOPY_DIFFERENT && !first[0]) {
            memcpy(first, msg, sizeof(first));
        } else if (rc == DBCOPY_DIFFERENT && len < sizeof(others)) {
            int w = snprintf(others + len, sizeof(others) - len, "%s%s", nothers ? ", " : "",
                             tables[i].name);
            len += w > 0 ? (size_t)w : 0;
            nothers++;
        }
        if (report)
            report(arg, rc == DBCOPY_IDENTICAL ? DBCOPY_SAME_ROWS : DBCOPY_DIFFERS, tables[i].name,
                   rows);
    }
    if (!first[0])
        return DBCOPY_IDENTICAL;
    if (nothers)
        err_set(err, errlen, "%s; %zu more table%s differ%s: %s", first, nothers,
                nothers > 1 ? "s" : "", nothers > 1 ? "" : "s", others);
    else
        err_set(err, errlen, "%s", first);
    return DBCOPY_DIFFERENT;
}

static int check_version(struct db *db, const char *which, char *err, size_t errlen)
{
    int version;
    if (db_schema_version(db, &version) != 0)
        return err_set(err, errlen, "cannot read the schema version of %s", which);
    if (version != DB_SCHEMA_VERSION)
        return err_set(err, errlen, "%s is at schema version %d, not %d: upgrade it first", which,
                       version, DB_SCHEMA_VERSION);
    return 0;
}

/* The destination must be a new store (it is migrated here) or one at the
 * current version, so a refused one is left as it was. */
static int prepare_destination(struct db *src, struct db *dst, char *err, size_t errlen)
{
    const char *file = db_filename(src);
    int version;
    if (*file && strcmp(file, db_filename(dst)) == 0)
        return err_set(err, errlen, "the destination is the source store");
    if (db_schema_version(dst, &version) != 0)
        return err_set(err, errlen, "cannot read the schema version of the destination");
    if (version != 0 && version != DB_SCHEMA_VERSION)
        return err_set(err, errlen,
                       "the destination holds a store at schema version %d: copy into a new, "
                       "empty store",
                       version);
    return db_migrate(dst, err, errlen);
}

/* Inside dst's transaction: refuses a destination holding rows, then
 * removes those its migrations inserted. */
static int clear_destination(struct db *dst, char *err, size_t errlen)
{
    for (size_t i = 0; i < NTABLES; i++) {
        const struct table *t = &tables[i];
        if (t->clear)
            continue;
        struct db_stmt *st = db_stmt(dst, t->first, err, errlen);
        if (!st)
            return -1;
        enum db_step rc = db_step(dst, st, "reading the destination", err, errlen);
        db_reset(st);
        if (rc == DB_STEP_ERROR)
            return -1;
        if (rc == DB_STEP_ROW)
            return err_set(err, errlen,
                           "the destination is not empty (table %s has rows): copy into a new, "
                           "empty store",
                           t->name);
    }
    for (size_t i = 0; i < NTABLES; i++) {
        struct db_stmt *st = tables[i].clear ? db_stmt(dst, tables[i].clear, err, errlen) : NULL;
        if (tables[i].clear &&
            (!st || db_step_done(dst, st, "clearing the destination", err, errlen) != 0))
            return -1;
    }
    return 0;
}

/* Appends " (row KEY)" to a message about st's row. */
static void err_add_key(const struct table *t, struct db_stmt *st, char *err, size_t errlen)
{
    char key[256];
    if (!err)
        return;
    describe_key(t, st, key, sizeof(key));
    size_t len = strlen(err);
    snprintf(err + len, errlen - len, " (row %s)", key);
}

/* Copies table t's rows, ids as they are, then moves its id sequence past
 * them. */
static int copy_table(const struct table *t, struct db *src, struct db *dst, long long *copied,
                      char *err, size_t errlen)
{
    struct cursor c;
    long long max_id = 0, rows = 0;
    enum db_step rc;
    int res = -1;
    char what[96];
    snprintf(what, sizeof(what), "copying table %s", t->name);
    cursor_init(&c, src, t);
    while ((rc = cursor_next(&c, err, errlen)) == DB_STEP_ROW) {
        struct db_stmt *ins = db_stmt(dst, t->insert, err, errlen);
        if (!ins)
            goto out;
        if (db_bind_count(ins) != db_col_count(c.st)) {
            err_set(err, errlen, "%s: %d columns read but %d written", what, db_col_count(c.st),
                    db_bind_count(ins));
            goto out;
        }
        for (int i = 0; i < db_col_count(c.st); i++)
            bind_column(ins, i + 1, c.st, i);
        if (db_step_done(dst, ins, what, err, errlen) != 0) {
            err_add_key(t, c.st, err, errlen);
            goto out;
        }
        if (t->ids && db_col_int64(c.st, 0) > max_id)
            max_id = db_col_int64(c.st, 0);
        rows++;
    }
    if (rc == DB_STEP_ERROR)
        goto out;
    /* PostgreSQL: the identity must not hand out the ids just copied.
     * SQLite moves its own (a no-op there). */
    if (t->ids && rows && db_sync_ids(dst, t->name, max_id, err, errlen) != 0)
        goto out;
    *copied = rows;
    res = 0;
out:
    cursor_close(&c);
    return res;
}

/* The whole copy in one transaction of dst. */
static int copy_all(struct db *src, struct db *dst, dbcopy_report report, void *arg, char *err,
                    size_t errlen)
{
    if (db_begin_immediate(dst, err, errlen) != 0)
        return -1;
    if (clear_destination(dst, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < NTABLES; i++) {
        long long rows = 0;
        if (copy_table(&tables[i], src, dst, &rows, err, errlen) != 0)
            goto fail;
        if (report)
            report(arg, DBCOPY_COPIED, tables[i].name, rows);
    }
    return db_commit(dst, err, errlen);
fail:
    db_rollback(dst);
    return -1;
}

enum dbcopy_result dbcopy_copy(struct db *src, struct db *dst, dbcopy_report report, void *arg,
                               char *err, size_t errlen)
{
    static const char *const names[2] = {"the source", "the copy"};
    enum dbcopy_result res = DBCOPY_ERROR;
    if (check_version(src, "the source", err, errlen) != 0 ||
        prepare_destination(src, dst, err, errlen) != 0 || snapshot_begin(src, err, errlen) != 0)
        return DBCOPY_ERROR;
    if (copy_all(src, dst, report, arg, err, errlen) == 0 &&
        snapshot_begin(dst, err, errlen) == 0) {
        res = compare_all(src, dst, names, report, arg, err, errlen);
        db_rollback(dst);
    }
    db_rollback(src);
    return res;
}

enum dbcopy_result dbcopy_verify(struct db *a, struct db *b, dbcopy_report report, void *arg,
                                 char *err, size_t errlen)
{
    static const char *const names[2] = {"this store", "the other store"};
    enum dbcopy_result res = DBCOPY_ERROR;
    if (check_version(a, names[0], err, errlen) != 0 ||
        check_version(b, names[1], err, errlen) != 0 || snapshot_begin(a, err, errlen) != 0)
        return DBCOPY_ERROR;
    if (snapshot_begin(b, err, errlen) == 0) {
        res = compare_all(a, b, names, report, arg, err, errlen);
        db_rollback(b);
    }
    db_rollback(a);
    return res;
}
