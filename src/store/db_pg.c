/* db_pg: the PostgreSQL engine behind store/db.h (see dbengine.h), through
 * libpq. A statement is prepared once per connection under a generated name
 * with its ?N parameters written as $N; it runs at its first step, which
 * keeps the whole result, and the steps after walk its rows. Parameters go
 * as text (blobs as binary) and the server types them from their context;
 * results come back as text and the db_col_* functions convert them. */
#include "store/dbengine.h"

#include "base/env.h"
#include "base/errbuf.h"
#include "base/mem.h"
#include "store/db.h"
#include "store/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

/* Taken by db_begin_immediate's transactions: the store's one writer lock. */
#define PG_WRITER_LOCK 0x7472616465LL /* "trade" */

/* Type oids from PostgreSQL's catalog (pg_type.dat), stable across versions. */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_OID = 26,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_NUMERIC = 1700,
};

struct pg_stmt {
    struct db_stmt head;
    char name[24];
    int nparams;
    char **values; /* owned copies; NULL binds null */
    int *lengths, *formats;
    PGresult *desc;        /* the result's columns, known before it runs */
    PGresult *res;         /* the result once run, else NULL */
    int row;               /* the current row of res */
    unsigned char **blobs; /* decoded bytea of the current row, per column */
    size_t *bloblens;
};

static PGconn *conn(struct db *db)
{
    return db->h;
}

static struct pg_stmt *pst(struct db_stmt *st)
{
    return (struct pg_stmt *)st;
}

/* Keeps res's failure (or the connection's, res NULL) as the last one, on
 * one line: the primary message and its detail; clears res. */
static void note_failure(struct db *db, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    char line[1024];
    if (!msg || !*msg)
        msg = PQerrorMessage(conn(db));
    snprintf(line, sizeof(line), "%s%s%s%s", msg && *msg ? msg : "unknown error",
             detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    size_t n = strlen(line); /* libpq's own messages end with a newline */
    while (n && line[n - 1] == ' ')
        line[--n] = '\0';
    free(db->pg_error);
    db->pg_error = mem_strdup(line);
    snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
    db->failed = true;
    PQclear(res);
}

static bool result_ok(PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Like SQLite's changes(): only an insert, update or delete sets it. */
static void note_changes(struct db *db, PGresult *res)
{
    const char *tag = PQcmdStatus(res);
    if (strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
        strncmp(tag, "DELETE", 6) == 0)
        db->pg_changes = strtoll(PQcmdTuples(res), NULL, 10);
}

static int pg_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn(db), sql);
    if (!result_ok(res)) {
        note_failure(db, res);
        return err_set(err, errlen, "database error: %s", db->pg_error);
    }
    note_changes(db, res);
    PQclear(res);
    return 0;
}

static void quiet(void *arg, const char *message)
{
    (void)arg, (void)message; /* notices (e.g. "relation exists") are not our errors */
}

static int pg_open(struct db *db, char *err, size_t errlen)
{
    char set[160];
    PGconn *c = PQconnectdb(db->location);
    db->h = c;
    if (!c)
        mem_fatal(0);
    if (PQstatus(c) != CONNECTION_OK) {
        note_failure(db, NULL);
        /* The message names host and database, never the password. */
        return err_set(err, errlen, "cannot connect to PostgreSQL: %s", db->pg_error);
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    snprintf(set, sizeof(set),
             "SET lock_timeout = %ld; SET client_encoding = 'UTF8';"
             " SET default_transaction_read_only = %s",
             env_long(DB_ENV_BUSY_TIMEOUT, DB_BUSY_TIMEOUT_MS, 0, 3600000),
             db->mode == DB_READONLY ? "on" : "off");
    return pg_exec(db, set, err, errlen);
}

static void pg_close(struct db *db)
{
    PQfinish(conn(db));
}

static bool pg_alive(struct db *db)
{
    return PQstatus(conn(db)) == CONNECTION_OK;
}

static const char *pg_errmsg(struct db *db)
{
    return db->pg_error ? db->pg_error : PQerrorMessage(conn(db));
}

/* Connection trouble, resources, a server going down, a lock not granted in
 * time, serialization failures and deadlocks: worth trying again later. */
static bool pg_transient(struct db *db)
{
    const char *s = db->sqlstate;
    if (!*s || PQstatus(conn(db)) != CONNECTION_OK)
        return PQstatus(conn(db)) != CONNECTION_OK;
    return strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 || strncmp(s, "57P", 3) == 0 ||
           strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0;
}

/* sql with each ?N (or bare ?) outside quotes written as $N. *nparams is
 * the highest number. The caller frees the result. */
static char *dollar_params(const char *sql, int *nparams)
{
    size_t n = strlen(sql);
    char *out = mem_alloc(n * 4 + 1), *o = out; /* "?" becomes at most "$NNN" */
    char quote = 0;
    int next = 1, max = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            quote = *p == quote ? 0 : quote;
            *o++ = *p;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            *o++ = *p;
        } else if (*p == '?') {
            int k = next;
            if (p[1] >= '0' && p[1] <= '9')
                k = (int)strtol(p + 1, (char **)&p, 10), p--;
            next = k + 1;
            max = k > max ? k : max;
            o += sprintf(o, "$%d", k);
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    *nparams = max;
    return out;
}

static struct db_stmt *pg_prepare(struct db *db, const char *sql, char *err, size_t errlen)
{
    struct pg_stmt *s = mem_calloc(1, sizeof(*s));
    char *text = dollar_params(sql, &s->nparams);
    snprintf(s->name, sizeof(s->name), "trader_%lu", ++db->pg_names);
    PGresult *res = PQprepare(conn(db), s->name, text, 0, NULL);
    free(text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        goto fail;
    PQclear(res);
    s->desc = res = PQdescribePrepared(conn(db), s->name);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        goto fail;
    s->values = mem_calloc((size_t)s->nparams + 1, sizeof(*s->values));
    s->lengths = mem_calloc((size_t)s->nparams + 1, sizeof(*s->lengths));
    s->formats = mem_calloc((size_t)s->nparams + 1, sizeof(*s->formats));
    s->blobs = mem_calloc((size_t)PQnfields(s->desc) + 1, sizeof(*s->blobs));
    s->bloblens = mem_calloc((size_t)PQnfields(s->desc) + 1, sizeof(*s->bloblens));
    s->row = -1;
    return &s->head;
fail:
    note_failure(db, res);
    err_set(err, errlen, "cannot prepare statement: %s", db->pg_error);
    free(s);
    return NULL;
}

static void drop_blobs(struct pg_stmt *s)
{
    for (int i = 0; s->blobs && i < PQnfields(s->desc); i++) {
        PQfreemem(s->blobs[i]);
        s->blobs[i] = NULL;
    }
}

static void pg_reset(struct db_stmt *st)
{
    struct pg_stmt *s = pst(st);
    drop_blobs(s);
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
}

static void pg_clear_bindings(struct db_stmt *st)
{
    struct pg_stmt *s = pst(st);
    for (int i = 0; i < s->nparams; i++) {
        free(s->values[i]);
        s->values[i] = NULL;
        s->lengths[i] = s->formats[i] = 0;
    }
}

static void pg_finalize(struct db_stmt *st)
{
    struct pg_stmt *s = pst(st);
    pg_reset(st);
    pg_clear_bindings(st);
    PQclear(s->desc);
    free(s->values);
    free(s->lengths);
    free(s->formats);
    free(s->blobs);
    free(s->bloblens);
    free(s);
}

static enum db_step pg_step(struct db_stmt *st)
{
    struct pg_stmt *s = pst(st);
    struct db *db = st->db;
    if (!s->res) {
        PGresult *res = PQexecPrepared(conn(db), s->name, s->nparams,
                                       (const char *const *)s->values, s->lengths, s->formats, 0);
        if (!result_ok(res)) {
            note_failure(db, res);
            return DB_STEP_ERROR;
        }
        s->res = res;
        note_changes(db, res);
    }
    drop_blobs(s);
    s->row++;
    return s->row < PQntuples(s->res) ? DB_STEP_ROW : DB_STEP_DONE;
}

/* Parameter i (from 1) of s, which takes ownership of value. */
static void bind_value(struct db_stmt *st, int i, char *value, int length, int format)
{
    struct pg_stmt *s = pst(st);
    if (i < 1 || i > s->nparams) {
        fprintf(stderr, "binding parameter %d of \"%s\": out of range\n", i, st->sql);
        abort();
    }
    free(s->values[i - 1]);
    s->values[i - 1] = value;
    s->lengths[i - 1] = length;
    s->formats[i - 1] = format;
}

static void pg_bind_text(struct db_stmt *st, int i, const char *v)
{
    bind_value(st, i, mem_strdup(v), 0, 0);
}

static void pg_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
    if (n > 0x7fffffff)
        mem_fatal(0);
    char *copy = mem_alloc(n + 1);
    memcpy(copy, p, n);
    bind_value(st, i, copy, (int)n, 1);
}

static void pg_bind_int64(struct db_stmt *st, int i, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    pg_bind_text(st, i, buf);
}

static void pg_bind_double(struct db_stmt *st, int i, double v)
{
    char buf[40];
    snprintf(buf, sizeof(buf), "%.17g", v);
    pg_bind_text(st, i, buf);
}

static void pg_bind_null(struct db_stmt *st, int i)
{
    bind_value(st, i, NULL, 0, 0);
}

static int pg_bind_count(struct db_stmt *st)
{
    return pst(st)->nparams;
}

static int pg_col_count(struct db_stmt *st)
{
    return PQnfields(pst(st)->desc);
}

static const char *pg_col_name(struct db_stmt *st, int i)
{
    return PQfname(pst(st)->desc, i);
}

/* The text of column i of the current row, NULL for a null or no row. */
static const char *value(struct db_stmt *st, int i)
{
    struct pg_stmt *s = pst(st);
    if (!s->res || s->row < 0 || s->row >= PQntuples(s->res) || i < 0 || i >= PQnfields(s->res) ||
        PQgetisnull(s->res, s->row, i))
        return NULL;
    return PQgetvalue(s->res, s->row, i);
}

static enum db_col_type pg_col_type(struct db_stmt *st, int i)
{
    const char *v = value(st, i);
    if (!v)
        return DB_COL_NULL;
    switch (PQftype(pst(st)->res, i)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        return DB_COL_INTEGER;
    case OID_NUMERIC: /* sum() of BIGINT: whole unless it has a point */
        return strpbrk(v, ".eE") ? DB_COL_FLOAT : DB_COL_INTEGER;
    case OID_FLOAT4:
    case OID_FLOAT8:
        return DB_COL_FLOAT;
    case OID_BYTEA:
        return DB_COL_BLOB;
    default:
        return DB_COL_TEXT;
    }
}

static const char *pg_col_text(struct db_stmt *st, int i)
{
    return value(st, i);
}

static long long pg_col_int64(struct db_stmt *st, int i)
{
    const char *v = value(st, i);
    if (!v)
        return 0;
    if (PQftype(pst(st)->res, i) == OID_BOOL)
        return *v == 't';
    return strtoll(v, NULL, 10);
}

static double pg_col_double(struct db_stmt *st, int i)
{
    const char *v = value(st, i);
    return v ? strtod(v, NULL) : 0;
}

/* Column i's bytes: a bytea decoded from its text form (kept until the
 * next step or reset), any other value as its text. */
static const void *column_bytes(struct db_stmt *st, int i, size_t *n)
{
    struct pg_stmt *s = pst(st);
    const char *v = value(st, i);
    *n = 0;
    if (!v)
        return NULL;
    if (PQftype(s->res, i) != OID_BYTEA) {
        *n = (size_t)PQgetlength(s->res, s->row, i);
        return v;
    }
    if (!s->blobs[i] && !(s->blobs[i] = PQunescapeBytea((const unsigned char *)v, &s->bloblens[i])))
        mem_fatal(0);
    *n = s->bloblens[i];
    return s->blobs[i];
}

static const void *pg_col_blob(struct db_stmt *st, int i)
{
    size_t n;
    return column_bytes(st, i, &n);
}

static size_t pg_col_bytes(struct db_stmt *st, int i)
{
    size_t n;
    column_bytes(st, i, &n);
    return n;
}

static long long pg_changes(struct db *db)
{
    return db->pg_changes;
}

static bool pg_in_transaction(struct db *db)
{
    PGTransactionStatusType t = PQtransactionStatus(conn(db));
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static int pg_begin(struct db *db, bool store_wide, char *err, size_t errlen)
{
    char sql[96];
    if (!store_wide)
        return pg_exec(db, "BEGIN", err, errlen);
    snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%lld)", PG_WRITER_LOCK);
    return pg_exec(db, sql, err, errlen);
}

/* One value of a query without parameters into out (NULL: ""). */
static int query_value(struct db *db, const char *sql, char *out, size_t outlen, char *err,
                       size_t errlen)
{
    PGresult *res = PQexec(conn(db), sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) < 1) {
        note_failure(db, res);
        return err_set(err, errlen, "%s: %s", sql, db->pg_error);
    }
    snprintf(out, outlen, "%s", PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int pg_get_version(struct db *db, int *out, char *err, size_t errlen)
{
    char v[32];
    if (query_value(db, "SELECT to_regclass('schema_version')", v, sizeof(v), err, errlen) != 0)
        return -1;
    if (!*v) {
        *out = 0;
        return 0;
    }
    if (query_value(db, "SELECT max(version) FROM schema_version", v, sizeof(v), err, errlen) != 0)
        return -1;
    *out = atoi(v);
    return 0;
}

static int pg_set_version(struct db *db, int v, char *err, size_t errlen)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", v);
    return pg_exec(db, sql, err, errlen);
}

/* Text must compare byte by byte, as in SQLite: the C collation. */
static int pg_check_store(struct db *db, char *err, size_t errlen)
{
    char coll[64];
    if (query_value(db, "SELECT datcollate FROM pg_database WHERE datname = current_database()",
                    coll, sizeof(coll), err, errlen) != 0)
        return -1;
    if (strcmp(coll, "C") != 0 && strcmp(coll, "POSIX") != 0 && strcmp(coll, "C.UTF-8") != 0 &&
        strcmp(coll, "C.utf8") != 0)
        return err_set(err, errlen,
                       "the PostgreSQL database has collation \"%s\"; the service needs C "
                       "(CREATE DATABASE ... TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C')",
                       coll);
    return 0;
}

static const char *pg_filename(struct db *db)
{
    (void)db;
    return "";
}

static int pg_sync_ids(struct db *db, const char *table, long long max_id, char *err, size_t errlen)
{
    char id[32];
    const char *params[2] = {table, id};
    if (max_id < 1)
        return 0;
    snprintf(id, sizeof(id), "%lld", max_id);
    PGresult *res = PQexecParams(conn(db), "SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", 2,
                                 NULL, params, NULL, NULL, 0);
    if (!result_ok(res)) {
        note_failure(db, res);
        return err_set(err, errlen, "cannot move the ids of %s: %s", table, db->pg_error);
    }
    PQclear(res);
    return 0;
}

static int pg_standby_lag(struct db *db, bool *standby, double *lag, char *err, size_t errlen)
{
    char v[64];
    if (query_value(db, "SELECT pg_is_in_recovery()", v, sizeof(v), err, errlen) != 0)
        return -1;
    if (strcmp(v, "t") != 0) {
        *standby = false;
        *lag = 0;
        return 0;
    }
    if (query_value(db,
                    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                    " ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()),"
                    " 0) END",
                    v, sizeof(v), err, errlen) != 0)
        return -1;
    *standby = true;
    *lag = strtod(v, NULL);
    return 0;
}

/* clock_timestamp(), not now(): a claim's transaction may be long begun. */
static int pg_clock(struct db *db, int ahead, char out[TIMESTAMP_BUF], char *err, size_t errlen)
{
    char secs[16];
    const char *params[1] = {secs};
    snprintf(secs, sizeof(secs), "%d", ahead);
    PGresult *res = PQexecParams(conn(db),
                                 "SELECT to_char((clock_timestamp() + make_interval(secs => "
                                 "$1::integer)) AT TIME ZONE 'UTC', "
                                 "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
        PQgetlength(res, 0, 0) >= TIMESTAMP_BUF) {
        note_failure(db, res);
        return err_set(err, errlen, "reading the server's clock: %s", db->pg_error);
    }
    memcpy(out, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0) + 1);
    PQclear(res);
    return 0;
}

const struct db_ops db_pg_ops = {
    .engine = DB_ENGINE_POSTGRES,
    .open = pg_open,
    .close = pg_close,
    .alive = pg_alive,
    .exec = pg_exec,
    .errmsg = pg_errmsg,
    .transient = pg_transient,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .clear_bindings = pg_clear_bindings,
    .step = pg_step,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_null = pg_bind_null,
    .bind_count = pg_bind_count,
    .col_count = pg_col_count,
    .col_name = pg_col_name,
    .col_type = pg_col_type,
    .col_text = pg_col_text,
    .col_int64 = pg_col_int64,
    .col_double = pg_col_double,
    .col_blob = pg_col_blob,
    .col_bytes = pg_col_bytes,
    .changes = pg_changes,
    .in_transaction = pg_in_transaction,
    .begin = pg_begin,
    .get_version = pg_get_version,
    .set_version = pg_set_version,
    .check_store = pg_check_store,
    .migration = schema_pg_migration,
    .filename = pg_filename,
    .sync_ids = pg_sync_ids,
    .standby_lag = pg_standby_lag,
    .clock = pg_clock,
    .first_version = SCHEMA_PG_FIRST,
};
