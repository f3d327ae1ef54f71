/* jobview: see jobview.h. progress.pending counts the model-days not yet
 * finished (pending or running), so completed + failed + pending always equals
 * total_model_days; the running ones are also named by progress.current (the
 * earliest) and progress.current_models (each model's running or next date). */
#include "service/jobview.h"

#include "service/callback.h"
#include "service/jobs.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"

#include <json-c/printbuf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum col_kind { COL_TEXT, COL_REAL, COL_JSON_ARRAY };

struct column {
    const char *key;
    enum col_kind kind;
};

/* The columns of JOBS_VIEW_JOB and JOBS_VIEW_CURRENT, in order, as the API
 * names them. */
static const struct column job_cols[] = {
    {"job_id", COL_TEXT},       {"status", COL_TEXT},         {"date_range", COL_JSON_ARRAY},
    {"models", COL_JSON_ARRAY}, {"created_at", COL_TEXT},     {"started_at", COL_TEXT},
    {"updated_at", COL_TEXT},   {"completed_at", COL_TEXT},   {"total_duration_seconds", COL_REAL},
    {"error", COL_TEXT},        {"warnings", COL_JSON_ARRAY}, {"cancel_requested_at", COL_TEXT},
};
static const struct column current_cols[] = {{"date", COL_TEXT}, {"model", COL_TEXT}};

/* Column i of st as JSON: NULL is null, except that a JSON array column is
 * [] when NULL or unparsable (warnings: "[] when none"). */
static json_object *col_value(sqlite3_stmt *st, int i, enum col_kind kind)
{
    const char *text = (const char *)sqlite3_column_text(st, i);
    json_object *o;
    switch (kind) {
    case COL_REAL:
        return sqlite3_column_type(st, i) == SQLITE_NULL
                   ? NULL
                   : json_object_new_double(sqlite3_column_double(st, i));
    case COL_JSON_ARRAY:
        o = text ? json_tokener_parse(text) : NULL;
        return o ? o : json_object_new_array();
    default:
        return text ? json_object_new_string(text) : NULL;
    }
}

/* dst[key] = v, or null when v is NULL. */
static void put_or_null(json_object *dst, const char *key, json_object *v)
{
    if (v)
        json_put(dst, key, v);
    else
        json_put_null(dst, key);
}

/* Adds columns [from, to) of the row st to dst under their API names. */
static void add_columns(json_object *dst, sqlite3_stmt *st, const struct column *cols, int from,
                        int to)
{
    for (int i = from; i < to; i++)
        put_or_null(dst, cols[i].key, col_value(st, i, cols[i].kind));
}

/* Steps st: JOBVIEW_FOUND with a row, JOBVIEW_MISSING at the end. */
static enum jobview_found step_one(struct db *db, sqlite3_stmt *st, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return JOBVIEW_FOUND;
    if (rc == SQLITE_DONE)
        return JOBVIEW_MISSING;
    return (enum jobview_found)db_error(db, "query", err, errlen);
}

static json_object *new_object(void)
{
    json_object *o = json_object_new_object();
    if (!o)
        mem_fatal(0);
    return o;
}

/* Adds progress.{total_model_days, completed, failed, pending, current};
 * *counts gets the total, completed, failed and running numbers. */
static int add_counts(struct db *db, const char *job_id, json_object *progress, long long counts[4],
                      char *err, size_t errlen)
{
    sqlite3_stmt *st = jobs_view_stmt(db, JOBS_VIEW_COUNTS, job_id, err, errlen);
    int rc = -1;
    if (!st || step_one(db, st, err, errlen) != JOBVIEW_FOUND)
        goto out;
    for (int i = 0; i < 4; i++)
        counts[i] = sqlite3_column_int64(st, i);
    long long total = counts[0], done = counts[1], failed = counts[2];
    sqlite3_reset(st);
    json_put(progress, "total_model_days", json_object_new_int64(total));
    json_put(progress, "completed", json_object_new_int64(done));
    json_put(progress, "failed", json_object_new_int64(failed));
    json_put(progress, "pending", json_object_new_int64(total - done - failed));

    st = jobs_view_stmt(db, JOBS_VIEW_CURRENT, job_id, err, errlen);
    enum jobview_found found = st ? step_one(db, st, err, errlen) : JOBVIEW_ERROR;
    if (found == JOBVIEW_ERROR)
        goto out;
    if (found == JOBVIEW_FOUND) {
        json_object *cur = new_object();
        add_columns(cur, st, current_cols, 0, 2);
        json_put(progress, "current", cur);
    } else {
        json_put_null(progress, "current");
    }
    rc = 0;
out:
    if (st)
        sqlite3_reset(st);
    return rc;
}

/* Adds progress.current_models: [{model, date, status}] where status is
 * "running" (date = the model-day running), "pending" (date = the next one)
 * or "done" (date null). */
static int add_models(struct db *db, const char *job_id, json_object *progress, char *err,
                      size_t errlen)
{
    sqlite3_stmt *st = jobs_view_stmt(db, JOBS_VIEW_MODELS, job_id, err, errlen);
    json_object *list = json_object_new_array();
    enum jobview_found step;
    int rc = -1;
    if (!list)
        mem_fatal(0);
    if (!st)
        goto out;
    while ((step = step_one(db, st, err, errlen)) == JOBVIEW_FOUND) {
        json_object *m = new_object();
        const char *running = (const char *)sqlite3_column_text(st, 1);
        const char *next = running ? NULL : (const char *)sqlite3_column_text(st, 2);
        const char *date = running ? running : next;
        put_or_null(m, "model", col_value(st, 0, COL_TEXT));
        json_put_string_or_null(m, "date", date);
        json_put(m, "status",
                 json_object_new_string(running ? "running"
                                        : next  ? "pending"
                                                : "done"));
        json_push(list, m);
    }
    if (step == JOBVIEW_ERROR)
        goto out;
    json_put(progress, "current_models", list);
    list = NULL;
    rc = 0;
out:
    if (st)
        sqlite3_reset(st);
    json_object_put(list);
    return rc;
}

/* For a job with a callback_url: callback_url (without its query, which
 * may hold a token), callback_status and, with detail, every attempt. */
static int add_callback(struct db *db, const char *job_id, enum jobview_detail detail,
                        json_object *job, char *err, size_t errlen)
{
    sqlite3_stmt *st = jobs_view_stmt(db, JOBS_VIEW_CALLBACK, job_id, err, errlen);
    enum jobview_found found = st ? step_one(db, st, err, errlen) : JOBVIEW_ERROR;
    if (found != JOBVIEW_FOUND) {
        if (st)
            sqlite3_reset(st);
        return found == JOBVIEW_ERROR ? -1 : 0;
    }
    const char *url = (const char *)sqlite3_column_text(st, 0);
    json_put(job, "callback_url", json_object_new_string_len(url, (int)strcspn(url, "?#")));
    put_or_null(job, "callback_status", col_value(st, 1, COL_TEXT));
    sqlite3_reset(st);
    if (detail != JOBVIEW_FULL)
        return 0;
    json_object *attempts;
    if (callback_attempts_json(db, job_id, &attempts, err, errlen) != 0)
        return -1;
    json_put(job, "callbacks", attempts);
    return 0;
}

/* The details array as JSON text, built row by row into a printbuf: json-c
 * objects for 10,000 rows cost tens of milliseconds, this a few. The array
 * reaches the answer as a placeholder whose serializer writes the text. */
static int raw_serialize(json_object *jso, struct printbuf *pb, int level, int flags)
{
    const struct printbuf *text = json_object_get_userdata(jso);
    (void)level;
    (void)flags;
    return printbuf_memappend(pb, text->buf, text->bpos);
}

static void raw_free(json_object *jso, void *userdata)
{
    (void)jso;
    printbuf_free(userdata);
}

/* True when s needs no JSON escaping (the dates, signatures, statuses and
 * timestamps the daemon writes). */
static bool plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* Appends column i of st as JSON: plain text is copied between quotes;
 * other text and numbers go through json-c (one reused object each, as
 * json-c writes every other value of the answer). */
static int put_value(struct printbuf *pb, sqlite3_stmt *st, int i, json_object *text,
                     json_object *number)
{
    json_object *via = text;
    int type = sqlite3_column_type(st, i);
    if (type == SQLITE_NULL)
        return printbuf_memappend(pb, "null", 4);
    if (type == SQLITE_FLOAT || type == SQLITE_INTEGER) {
        /* (asking for the text of a number would make SQLite print it) */
        json_object_set_double(number, sqlite3_column_double(st, i));
        via = number;
    } else {
        const char *s = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        if (plain(s, n))
            return printbuf_memappend(pb, "\"", 1) < 0 || printbuf_memappend(pb, s, (int)n) < 0
                       ? -1
                       : printbuf_memappend(pb, "\"", 1);
        if (!json_object_set_string_len(text, s, (int)n))
            return -1;
    }
    size_t len;
    const char *out = json_object_to_json_string_length(
        via, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    return out ? printbuf_memappend(pb, out, (int)len) : -1;
}

/* The rows of st (JOBS_VIEW_DETAILS, bound) as a JSON array into pb. */
static int details_text(struct db *db, sqlite3_stmt *st, struct printbuf *pb, char *err,
                        size_t errlen)
{
    static const char *const keys[] = {
        "{\"date\":",       ",\"model\":",        ",\"status\":",
        ",\"started_at\":", ",\"completed_at\":", ",\"duration_seconds\":",
        ",\"error\":"};
    json_object *text = json_object_new_string(""), *number = json_object_new_double(0);
    enum jobview_found step = JOBVIEW_ERROR;
    int rc = -1, bad = !text || !number || printbuf_memappend(pb, "[", 1) < 0;
    for (long long row = 0; !bad && (step = step_one(db, st, err, errlen)) == JOBVIEW_FOUND;
         row++) {
        bad = row > 0 && printbuf_memappend(pb, ",", 1) < 0;
        for (int i = 0; !bad && i < 7; i++)
            bad = printbuf_memappend(pb, keys[i], (int)strlen(keys[i])) < 0 ||
                  put_value(pb, st, i, text, number) < 0;
        bad = bad || printbuf_memappend(pb, "}", 1) < 0;
    }
    if (bad || (step == JOBVIEW_MISSING && printbuf_memappend(pb, "]", 1) < 0))
        mem_fatal(0); /* json-c and printbuf only fail to allocate */
    if (step == JOBVIEW_MISSING)
        rc = 0;
    json_object_put(text);
    json_object_put(number);
    return rc;
}

/* Adds progress.details, the page d asks for, by date then creation, and
 * progress.details_total. */
static int add_details(struct db *db, const char *job_id, const struct jobview_details *d,
                       const long long counts[4], json_object *progress, char *err, size_t errlen)
{
    sqlite3_stmt *st = jobs_view_stmt(db, JOBS_VIEW_DETAILS, job_id, err, errlen);
    struct printbuf *pb = printbuf_new();
    json_object *list = NULL;
    int rc = -1;
    if (!pb)
        mem_fatal(0);
    if (!st)
        goto out;
    db_bind_text(st, 2, d->status);
    db_bind_int64(st, 3, d->limit);
    db_bind_int64(st, 4, d->offset);
    if (details_text(db, st, pb, err, errlen) != 0)
        goto out;
    if (!(list = json_object_new_array()))
        mem_fatal(0);
    json_object_set_serializer(list, raw_serialize, pb, raw_free);
    pb = NULL;
    long long total = !d->status                         ? counts[0]
                      : strcmp(d->status, "failed") == 0 ? counts[2]
                                                         : counts[3];
    json_put(progress, "details", list);
    json_put(progress, "details_total", json_object_new_int64(total));
    rc = 0;
out:
    if (st)
        sqlite3_reset(st);
    if (pb)
        printbuf_free(pb);
    return rc;
}

enum jobview_found jobview_build(struct db *db, const char *job_id, enum jobview_detail detail,
                                 json_object **out, char *err, size_t errlen)
{
    static const struct jobview_details all = {NULL, JOBVIEW_DETAILS_DEFAULT, 0};
    return jobview_build_page(db, job_id, detail == JOBVIEW_FULL ? &all : NULL, out, err, errlen);
}

enum jobview_found jobview_build_page(struct db *db, const char *job_id,
                                      const struct jobview_details *d, json_object **out, char *err,
                                      size_t errlen)
{
    long long counts[4];
    sqlite3_stmt *st = jobs_view_stmt(db, JOBS_VIEW_JOB, job_id, err, errlen);
    json_object *job = NULL, *progress = NULL;
    enum jobview_found rc = JOBVIEW_ERROR, found;
    if (!st || (found = step_one(db, st, err, errlen)) == JOBVIEW_ERROR)
        goto out;
    if (found == JOBVIEW_MISSING) {
        rc = JOBVIEW_MISSING;
        goto out;
    }
    job = new_object();
    progress = new_object();
    add_columns(job, st, job_cols, 0, 4); /* job_id .. models */
    json_put(job, "progress", progress);
    add_columns(job, st, job_cols, 4, (int)(sizeof(job_cols) / sizeof(job_cols[0])));
    sqlite3_reset(st);
    st = NULL;
    if (add_counts(db, job_id, progress, counts, err, errlen) != 0 ||
        add_models(db, job_id, progress, err, errlen) != 0 ||
        add_callback(db, job_id, d ? JOBVIEW_FULL : JOBVIEW_SUMMARY, job, err, errlen) < 0 ||
        (d && add_details(db, job_id, d, counts, progress, err, errlen) != 0))
        goto out;
    *out = job;
    job = NULL;
    rc = JOBVIEW_FOUND;
out:
    if (st)
        sqlite3_reset(st);
    json_object_put(job);
    return rc;
}

enum jobview_found jobview_latest(struct db *db, enum jobview_detail detail, json_object **out,
                                  char *err, size_t errlen)
{
    char job_id[JOBS_ID_MAX];
    enum jobs_found found = jobs_latest_id(db, job_id, err, errlen);
    if (found != JOBS_FOUND)
        return found == JOBS_ERROR ? JOBVIEW_ERROR : JOBVIEW_MISSING;
    return jobview_build(db, job_id, detail, out, err, errlen);
}

int jobview_list(struct db *db, const struct jobview_filter *f, json_object **out, char *err,
                 size_t errlen)
{
    json_object *doc = NULL, *jobs = NULL;
    char(*ids)[JOBS_ID_MAX] = NULL;
    size_t n = 0;
    long long total;
    int rc = -1;
    if (jobs_count(db, f->status, &total, err, errlen) != 0)
        return -1;
    /* The ids first: building a document uses other cached statements. */
    ids = mem_calloc(f->limit ? (size_t)f->limit : 1, sizeof(*ids));
    if (jobs_list_ids(db, f->status, f->limit, f->offset, ids, &n, err, errlen) != 0)
        goto out;
    if (!(jobs = json_object_new_array()))
        mem_fatal(0);
    for (size_t i = 0; i < n; i++) {
        json_object *job = NULL;
        if (jobview_build(db, ids[i], JOBVIEW_SUMMARY, &job, err, errlen) == JOBVIEW_ERROR)
            goto out;
        if (job)
            json_push(jobs, job);
    }
    if (!(doc = json_object_new_object()))
        mem_fatal(0);
    json_put(doc, "total", json_object_new_int64(total));
    json_put(doc, "count", json_object_new_int64((int64_t)json_object_array_length(jobs)));
    json_put(doc, "limit", json_object_new_int64(f->limit));
    json_put(doc, "offset", json_object_new_int64(f->offset));
    json_put(doc, "jobs", jobs);
    jobs = NULL;
    *out = doc;
    rc = 0;
out:
    free(ids);
    json_object_put(jobs);
    return rc;
}
