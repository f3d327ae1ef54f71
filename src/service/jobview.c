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

/* dst[key] = the JSON array text, or [] when NULL or unparsable (warnings:
 * "[] when none"). */
static void put_array(json_object *dst, const char *key, const char *text)
{
    json_object *o = text ? json_tokener_parse(text) : NULL;
    json_put(dst, key, o ? o : json_new_array());
}

/* Adds progress.{total_model_days, completed, failed, pending, current}. */
static void add_counts(const struct jobs_row *r, json_object *progress)
{
    json_put(progress, "total_model_days", json_object_new_int64(r->total));
    json_put(progress, "completed", json_object_new_int64(r->completed));
    json_put(progress, "failed", json_object_new_int64(r->failed));
    json_put(progress, "pending", json_object_new_int64(r->total - r->completed - r->failed));
    if (r->current_date) {
        json_object *cur = json_new_object();
        json_put_string_or_null(cur, "date", r->current_date);
        json_put_string_or_null(cur, "model", r->current_model);
        json_put(progress, "current", cur);
    } else {
        json_put_null(progress, "current");
    }
}

/* Adds progress.current_models: [{model, date, status}] where status is
 * "running" (date = the model-day running), "pending" (date = the next one)
 * or "done" (date null). */
static void add_models(const struct jobs_row *r, json_object *progress)
{
    json_object *list = json_new_array();
    for (size_t i = 0; i < r->nat; i++) {
        const struct jobs_model_at *at = &r->at[i];
        json_object *m = json_new_object();
        const char *date = at->running ? at->running : at->next;
        json_put_string_or_null(m, "model", at->model);
        json_put_string_or_null(m, "date", date);
        json_put(m, "status",
                 json_object_new_string(at->running ? "running"
                                        : at->next  ? "pending"
                                                    : "done"));
        json_push(list, m);
    }
    json_put(progress, "current_models", list);
}

/* For a job with a callback_url: callback_url (without its query, which
 * may hold a token), callback_status and, with detail, every attempt. */
static int add_callback(struct db *db, const struct jobs_row *r, enum jobview_detail detail,
                        json_object *job, char *err, size_t errlen)
{
    if (!r->callback_url)
        return 0;
    const char *url = r->callback_url;
    json_put(job, "callback_url", json_object_new_string_len(url, (int)strcspn(url, "?#")));
    json_put_string_or_null(job, "callback_status", r->callback_status);
    if (detail != JOBVIEW_FULL)
        return 0;
    json_object *attempts;
    if (callback_attempts_json(db, r->job_id, &attempts, err, errlen) != 0)
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

/* Where the detail rows are written: the text, and one reused json-c object
 * for each kind of value json-c writes (as it writes every other value of the
 * answer). */
struct details_out {
    struct printbuf *pb;
    json_object *text, *number;
    long long rows;
};

/* Appends via as json-c writes it. */
static int put_json(struct printbuf *pb, json_object *via)
{
    size_t len;
    const char *out = json_object_to_json_string_length(
        via, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    return out ? printbuf_memappend(pb, out, (int)len) : -1;
}

/* Appends s as JSON (NULL: null): plain text is copied between quotes. */
static int put_text(struct details_out *o, const char *s)
{
    if (!s)
        return printbuf_memappend(o->pb, "null", 4);
    size_t n = strlen(s);
    if (plain(s, n))
        return printbuf_memappend(o->pb, "\"", 1) < 0 || printbuf_memappend(o->pb, s, (int)n) < 0
                   ? -1
                   : printbuf_memappend(o->pb, "\"", 1);
    if (!json_object_set_string_len(o->text, s, (int)n))
        return -1;
    return put_json(o->pb, o->text);
}

/* jobs_detail_fn: appends one model-day as a JSON object. */
static void detail_text(const struct jobs_detail_row *row, void *ctx)
{
    static const char *const keys[] = {
        "{\"date\":",       ",\"model\":",        ",\"status\":",
        ",\"started_at\":", ",\"completed_at\":", ",\"duration_seconds\":",
        ",\"error\":"};
    const char *text[] = {row->date,         row->model, row->status, row->started_at,
                          row->completed_at, NULL,       row->error};
    struct details_out *o = ctx;
    int bad = o->rows++ > 0 && printbuf_memappend(o->pb, ",", 1) < 0;
    for (int i = 0; !bad && i < 7; i++) {
        bad = printbuf_memappend(o->pb, keys[i], (int)strlen(keys[i])) < 0;
        if (bad || i != 5)
            bad = bad || put_text(o, text[i]) < 0;
        else if (!row->has_duration)
            bad = printbuf_memappend(o->pb, "null", 4) < 0;
        else
            bad = !json_object_set_double(o->number, row->duration_seconds) ||
                  put_json(o->pb, o->number) < 0;
    }
    if (bad || printbuf_memappend(o->pb, "}", 1) < 0)
        mem_fatal(0); /* json-c and printbuf only fail to allocate */
}

/* Adds progress.details, the page d asks for, by date then creation, and
 * progress.details_total. */
static int add_details(struct db *db, const struct jobs_row *r, const struct jobview_details *d,
                       json_object *progress, char *err, size_t errlen)
{
    struct details_out o = {printbuf_new(), json_object_new_string(""), json_object_new_double(0),
                            0};
    json_object *list = NULL;
    int rc = -1;
    if (!o.pb || !o.text || !o.number || printbuf_memappend(o.pb, "[", 1) < 0)
        mem_fatal(0);
    if (jobs_each_detail(db, r->job_id, d->status, d->limit, d->offset, detail_text, &o, err,
                         errlen) != 0)
        goto out;
    if (printbuf_memappend(o.pb, "]", 1) < 0)
        mem_fatal(1);
    list = json_new_array();
    json_object_set_serializer(list, raw_serialize, o.pb, raw_free);
    o.pb = NULL;
    long long total = !d->status                         ? r->total
                      : strcmp(d->status, "failed") == 0 ? r->failed
                                                         : r->running;
    json_put(progress, "details", list);
    json_put(progress, "details_total", json_object_new_int64(total));
    rc = 0;
out:
    if (o.pb)
        printbuf_free(o.pb);
    json_object_put(o.text);
    json_object_put(o.number);
    return rc;
}

enum jobview_found jobview_build(struct db *db, const char *job_id, enum jobview_detail detail,
                                 json_object **out, char *err, size_t errlen)
{
    static const struct jobview_details all = {NULL, JOBVIEW_DETAILS_DEFAULT, 0};
    return jobview_build_page(db, job_id, detail == JOBVIEW_FULL ? &all : NULL, out, err, errlen);
}

/* The job's own fields, in the order of the API, with progress after models. */
static json_object *job_fields(const struct jobs_row *r, json_object *progress)
{
    json_object *job = json_new_object();
    json_put_string_or_null(job, "job_id", r->job_id);
    json_put_string_or_null(job, "status", r->status);
    put_array(job, "date_range", r->date_range);
    put_array(job, "models", r->models);
    json_put(job, "progress", progress);
    json_put_string_or_null(job, "created_at", r->created_at);
    json_put_string_or_null(job, "started_at", r->started_at);
    json_put_string_or_null(job, "updated_at", r->updated_at);
    json_put_string_or_null(job, "completed_at", r->completed_at);
    if (r->has_duration)
        json_put(job, "total_duration_seconds", json_object_new_double(r->total_duration_seconds));
    else
        json_put_null(job, "total_duration_seconds");
    json_put_string_or_null(job, "error", r->error);
    put_array(job, "warnings", r->warnings);
    json_put_string_or_null(job, "cancel_requested_at", r->cancel_requested_at);
    return job;
}

enum jobview_found jobview_build_page(struct db *db, const char *job_id,
                                      const struct jobview_details *d, json_object **out, char *err,
                                      size_t errlen)
{
    struct jobs_row r;
    enum jobs_found found = jobs_view_job(db, job_id, &r, err, errlen);
    if (found != JOBS_FOUND)
        return found == JOBS_ERROR ? JOBVIEW_ERROR : JOBVIEW_MISSING;
    json_object *progress = json_new_object();
    json_object *job = job_fields(&r, progress);
    enum jobview_found rc = JOBVIEW_ERROR;
    add_counts(&r, progress);
    add_models(&r, progress);
    if (add_callback(db, &r, d ? JOBVIEW_FULL : JOBVIEW_SUMMARY, job, err, errlen) != 0 ||
        (d && add_details(db, &r, d, progress, err, errlen) != 0))
        goto out;
    *out = job;
    job = NULL;
    rc = JOBVIEW_FOUND;
out:
    jobs_row_free(&r);
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
    jobs = json_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *job = NULL;
        if (jobview_build(db, ids[i], JOBVIEW_SUMMARY, &job, err, errlen) == JOBVIEW_ERROR)
            goto out;
        if (job)
            json_push(jobs, job);
    }
    doc = json_new_object();
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
