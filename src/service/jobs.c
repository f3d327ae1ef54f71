/* jobs: see jobs.h. A job's model-days are decided once, at trigger time
 * (trigger.c, inside its write transaction), and stored in job_details; the
 * daemon only walks them. */
#include "service/jobs.h"

#include "service/audit.h"
#include "service/jobplan.h"
#include "base/mem.h"
#include "service/callback.h"
#include "service/daystore.h"
#include "store/dataver.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/redact.h"
#include "base/env.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

bool jobs_status_valid(const char *s)
{
    static const char *const st[] = {"pending", "running", "completed",
                                     "partial", "failed",  "cancelled"};
    for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
        if (strcmp(s, st[i]) == 0)
            return true;
    return false;
}

#define ACTIVE "('pending','running')"

static const char SQL_ACTIVE_IDS[] = "SELECT job_id FROM jobs WHERE status IN " ACTIVE;
static const char SQL_ACTIVE[] =
    "SELECT job_id, date_range, models FROM jobs WHERE status IN " ACTIVE
    " ORDER BY created_at, seq";
/* seq numbers the jobs in creation order; every insert runs under
 * db_begin_immediate, which serialises writers, so max + 1 is free. */
#define NEXT_SEQ "(SELECT coalesce(max(seq), 0) + 1 FROM jobs)"
static const char SQL_INSERT_JOB[] =
    "INSERT INTO jobs(job_id, config_path, config_json, status, date_range, models,"
    " replace_existing, source, created_at, updated_at, callback_url, seq)"
    " VALUES(?1, ?2, ?3, 'pending', ?4, ?5, ?6, 'api', ?7, ?7, ?8, " NEXT_SEQ ")";
static const char SQL_INSERT_DAY[] =
    "INSERT INTO job_details(job_id, date, model, status) VALUES(?1, ?2, ?3, 'pending')";
static const char SQL_GET_JOB[] =
    "SELECT status, config_path, config_json, replace_existing FROM jobs WHERE job_id = ?1";
static const char SQL_GET_DAYS[] =
    "SELECT date, model, status FROM job_details WHERE job_id = ?1 ORDER BY date, id";
static const char SQL_START_JOB[] =
    "UPDATE jobs SET status = 'running', started_at = coalesce(started_at, ?2), updated_at = ?2"
    " WHERE job_id = ?1 AND status = 'pending'";
static const char SQL_DAY_START[] =
    "UPDATE job_details SET status = 'running', started_at = ?4, attempts = attempts + 1,"
    " completed_at = NULL, duration_seconds = NULL, error = NULL"
    " WHERE job_id = ?1 AND date = ?2 AND model = ?3 AND status = 'pending'"
    " AND EXISTS (SELECT 1 FROM jobs WHERE job_id = ?1 AND status = 'running'"
    " AND cancel_requested_at IS NULL)";
static const char SQL_DAY_COMPLETE[] =
    "UPDATE job_details SET status = 'completed', completed_at = ?4, duration_seconds = ?5"
    " WHERE job_id = ?1 AND date = ?2 AND model = ?3 AND status = 'running'";
static const char SQL_DAY_FAIL[] =
    "UPDATE job_details SET status = 'failed', completed_at = ?4, duration_seconds = ?5,"
    " error = ?6 WHERE job_id = ?1 AND date = ?2 AND model = ?3"
    " AND status IN ('pending','running')";
static const char SQL_TOUCH_JOB[] = "UPDATE jobs SET updated_at = ?2 WHERE job_id = ?1";
static const char SQL_JOB_TIMES[] =
    "SELECT status, coalesce(started_at, created_at),"
    " CASE WHEN cancel_requested_at IS NULL THEN 0 ELSE 1 END FROM jobs WHERE job_id = ?1";
static const char SQL_FAIL_LEFT[] =
    "UPDATE job_details SET status = 'failed', completed_at = ?2, error = ?3"
    " WHERE job_id = ?1 AND status IN ('pending','running')";
static const char SQL_COUNT_DAYS[] =
    "SELECT count(*) FILTER (WHERE status = 'completed'),"
    " count(*) FILTER (WHERE status = 'failed') FROM job_details WHERE job_id = ?1";
/* An ended job's callback becomes due (callback.h) in the same transaction. */
static const char SQL_END_JOB[] =
    "UPDATE jobs SET status = ?2, completed_at = ?3, updated_at = ?3,"
    " total_duration_seconds = ?4, error = ?5,"
    " callback_status = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END"
    " WHERE job_id = ?1";

/* --- small helpers -------------------------------------------------------- */

int jobs_new_id(char out[JOB_ID_BUF], char *err, size_t errlen)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_set(err, errlen, "getrandom: %s", strerror(errno));
        got += (size_t)r;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, JOB_ID_BUF,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

/* A write transaction of our own, or a savepoint inside the caller's. */
static int tx_begin(struct db *db, bool *nested, char *err, size_t errlen)
{
    *nested = db_in_transaction(db);
    return *nested ? db_savepoint(db, "jobs_tx", err, errlen) : db_begin_immediate(db, err, errlen);
}

static int tx_commit(struct db *db, bool nested, char *err, size_t errlen)
{
    return nested ? db_release(db, "jobs_tx", err, errlen) : db_commit(db, err, errlen);
}

static void tx_rollback(struct db *db, bool nested)
{
    if (nested)
        db_rollback_to(db, "jobs_tx");
    else
        db_rollback(db);
}

/* error as the database keeps it in out: without secrets (a provider's
 * message may quote the key or the endpoint), at most JOBS_ERROR_MAX bytes,
 * cut before a UTF-8 sequence rather than inside one. NULL stays NULL. */
static const char *stored_error(const char *error, char out[JOBS_ERROR_MAX + 1])
{
    if (!error)
        return NULL;
    redact_text(error, out, JOBS_ERROR_MAX + 1);
    return out;
}

/* A new empty object or array (mem.h: no allocation failure returns). */
/* Column i of st: a copy (caller frees), NULL when null. */
static char *col_dup(struct db_stmt *st, int i)
{
    const char *text = db_col_text(st, i);
    return text ? mem_strdup(text) : NULL;
}

/* Column i of st: its text for the time st stays on its row, NULL when null. */
static const char *col_text(struct db_stmt *st, int i)
{
    return db_col_text(st, i);
}

/* The string at index i of a JSON array, "" when it is not a string. */
static const char *str_at(json_object *arr, size_t i)
{
    json_object *v = json_object_array_get_idx(arr, i);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* A stored JSON column parsed; NULL when absent or not JSON. Caller puts. */
static json_object *column_json(struct db_stmt *st, int col)
{
    const char *s = db_col_text(st, col);
    return s ? json_tokener_parse(s) : NULL;
}

/* The array is built here from rows: the engines' JSON aggregates differ. */
int jobs_active_ids(struct db *db, char **out, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_ACTIVE_IDS, err, errlen);
    enum db_step rc;
    if (!st)
        return -1;
    json_object *ids = json_new_array();
    while ((rc = db_step(db, st, "reading active jobs", err, errlen)) == DB_STEP_ROW)
        json_push(ids, json_object_new_string(db_col_text(st, 0)));
    db_reset(st);
    if (rc == DB_STEP_DONE)
        *out = mem_strdup(json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
    json_object_put(ids);
    return rc == DB_STEP_DONE ? 0 : -1;
}

/* --- the trigger's reads and writes (trigger.h) ----------------------------- */

int jobs_list_active(struct db *db, struct jobs_active **out, size_t *n, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_ACTIVE, err, errlen);
    struct jobs_active *list = NULL;
    size_t got = 0, cap = 0;
    enum db_step rc;
    if (!st)
        return -1;
    while ((rc = db_step(db, st, "reading active jobs", err, errlen)) == DB_STEP_ROW) {
        ARRAY_RESERVE(list, cap, got + 1);
        list[got].job_id = col_dup(st, 0);
        list[got].date_range = col_dup(st, 1);
        list[got++].models = col_dup(st, 2);
    }
    db_reset(st);
    if (rc == DB_STEP_ERROR) {
        jobs_active_free(list, got);
        return -1;
    }
    *out = list;
    *n = got;
    return 0;
}

void jobs_active_free(struct jobs_active *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].job_id);
        free(a[i].date_range);
        free(a[i].models);
    }
    free(a);
}

int jobs_insert(struct db *db, const struct jobs_new *job, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_INSERT_JOB, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job->job_id);
    db_bind_text(st, 2, job->config_path);
    db_bind_text(st, 3, job->config_json);
    db_bind_text(st, 4, job->date_range);
    db_bind_text(st, 5, job->models);
    db_bind_int64(st, 6, job->replace_existing);
    db_bind_text(st, 7, job->created_at);
    db_bind_text(st, 8, job->callback_url);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < job->ndays; i++) {
        if (!(st = db_stmt(db, SQL_INSERT_DAY, err, errlen)))
            return -1;
        db_bind_text(st, 1, job->job_id);
        db_bind_text(st, 2, job->days[i].date);
        db_bind_text(st, 3, job->days[i].model);
        if (db_step_done(db, st, "database write", err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* --- the daemon's side ---------------------------------------------------- */

void jobs_job_free(struct jobs_job *j)
{
    if (!j)
        return;
    free(j->config_path);
    free(j->config_json);
    free(j->days);
    memset(j, 0, sizeof(*j));
}

static int load_days(struct db *db, struct jobs_job *j, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_GET_DAYS, err, errlen);
    size_t cap = 0;
    enum db_step rc;
    if (!st)
        return -1;
    db_bind_text(st, 1, j->job_id);
    while ((rc = db_step(db, st, "reading job details", err, errlen)) == DB_STEP_ROW) {
        ARRAY_RESERVE(j->days, cap, j->ndays + 1);
        struct jobs_day *d = &j->days[j->ndays++];
        snprintf(d->date, sizeof(d->date), "%s", db_col_text(st, 0));
        snprintf(d->model, sizeof(d->model), "%s", db_col_text(st, 1));
        snprintf(d->status, sizeof(d->status), "%s", db_col_text(st, 2));
    }
    db_reset(st);
    return rc == DB_STEP_DONE ? 0 : -1;
}

enum jobs_found jobs_get(struct db *db, const char *job_id, struct jobs_job *out, char *err,
                         size_t errlen)
{
    struct jobs_job j = {0};
    struct db_stmt *st;
    enum jobs_found rc = JOBS_ERROR;
    if (strlen(job_id) >= JOB_ID_BUF)
        return JOBS_MISSING; /* no stored id is that long */
    if (!(st = db_stmt(db, SQL_GET_JOB, err, errlen)))
        return JOBS_ERROR;
    db_bind_text(st, 1, job_id);
    enum db_step step = db_step(db, st, "reading job", err, errlen);
    if (step == DB_STEP_ROW) {
        memcpy(j.job_id, job_id, strlen(job_id) + 1);
        snprintf(j.status, sizeof(j.status), "%s", db_col_text(st, 0));
        j.config_path = col_dup(st, 1);
        j.config_json = col_dup(st, 2);
        j.replace_existing = db_col_int(st, 3) != 0;
    }
    db_reset(st);
    if (step == DB_STEP_DONE)
        return JOBS_MISSING;
    if (step != DB_STEP_ROW)
        goto out;
    if (load_days(db, &j, err, errlen) != 0)
        goto out;
    *out = j;
    memset(&j, 0, sizeof(j));
    rc = JOBS_FOUND;
out:
    jobs_job_free(&j);
    return rc;
}

int jobs_replace_results(struct db *db, const char *job_id, const char *model, const char *date,
                         char *err, size_t errlen)
{
    /* Other jobs' results of the model from the re-run date on: a later day
     * built on a replaced day would be wrong. */
    long long n;
    if (daystore_delete_from(db, model, date, job_id, &n, err, errlen) != 0)
        return -1;
    if (n == 0)
        return 0;
    json_object *d = json_new_object();
    json_put(d, "model", json_object_new_string(model));
    json_put(d, "from_date", json_object_new_string(date));
    json_put(d, "positions_deleted", json_object_new_int64(n));
    return audit_job_event(db, "results_replaced", job_id, d, err, errlen);
}

enum jobs_found jobs_claim(struct db *db, const char *job_id, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    bool nested;
    struct db_stmt *st;
    enum jobs_found rc = JOBS_ERROR;
    if (tx_begin(db, &nested, err, errlen) != 0)
        return JOBS_ERROR;
    time_now_iso(now);
    if (!(st = db_stmt(db, SQL_START_JOB, err, errlen)))
        goto out;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, now);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        goto out;
    if (db_changes(db) != 1) {
        rc = JOBS_MISSING;
        goto out;
    }
    if (audit_job_event(db, "job_started", job_id, NULL, err, errlen) != 0 ||
        dataver_bump(db, err, errlen) != 0 || tx_commit(db, nested, err, errlen) != 0)
        goto out;
    return JOBS_FOUND;
out:
    tx_rollback(db, nested);
    return rc;
}

/* One model-day transition: sql binds ?1 job, ?2 date, ?3 model, ?4 now and,
 * when it has them, ?5 duration and ?6 error; then the job's updated_at and
 * an audit row, all in one transaction or savepoint. */
static int day_transition(struct db *db, const char *sql, const char *event, const char *job_id,
                          const char *date, const char *model, double duration, const char *error,
                          const char *expected, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF], e[ERR_ECHO_BUF], clean[JOBS_ERROR_MAX + 1];
    bool nested;
    struct db_stmt *st;
    error = stored_error(error, clean);
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    time_now_iso(now);
    if (!(st = db_stmt(db, sql, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, date);
    db_bind_text(st, 3, model);
    db_bind_text(st, 4, now);
    if (db_bind_count(st) >= 5) {
        if (duration < 0)
            db_bind_null(st, 5);
        else
            db_bind_double(st, 5, duration);
    }
    if (db_bind_count(st) >= 6 && error)
        db_bind_text(st, 6, error);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        goto fail;
    if (db_changes(db) != 1) {
        err_set(err, errlen, "model-day %s %s of job %s is not %s", date, err_echo(model, e),
                job_id, expected);
        goto fail;
    }
    if (!(st = db_stmt(db, SQL_TOUCH_JOB, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, now);
    json_object *d = json_new_object();
    json_put(d, "date", json_object_new_string(date));
    json_put(d, "model", json_object_new_string(model));
    if (duration >= 0)
        json_put(d, "duration_seconds", json_object_new_double(duration));
    if (error)
        json_put(d, "error", json_object_new_string(error));
    if (db_step_done(db, st, "database write", err, errlen) != 0) {
        json_object_put(d);
        goto fail;
    }
    if (audit_job_event(db, event, job_id, d, err, errlen) != 0 ||
        dataver_bump(db, err, errlen) != 0 || tx_commit(db, nested, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    tx_rollback(db, nested);
    return -1;
}

int jobs_day_start(struct db *db, const char *job_id, const char *date, const char *model,
                   char *err, size_t errlen)
{
    return day_transition(db, SQL_DAY_START, "model_day_started", job_id, date, model, -1.0, NULL,
                          "pending in a running job", err, errlen);
}

int jobs_day_complete(struct db *db, const char *job_id, const char *date, const char *model,
                      double duration_seconds, char *err, size_t errlen)
{
    return day_transition(db, SQL_DAY_COMPLETE, "model_day_completed", job_id, date, model,
                          duration_seconds, NULL, "running", err, errlen);
}

int jobs_day_fail(struct db *db, const char *job_id, const char *date, const char *model,
                  const char *error, double duration_seconds, char *err, size_t errlen)
{
    return day_transition(db, SQL_DAY_FAIL, "model_day_failed", job_id, date, model,
                          duration_seconds, error ? error : "failed", "pending or running", err,
                          errlen);
}

int jobs_finish(struct db *db, const char *job_id, const char *error, char status[JOB_STATUS_BUF],
                char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF], since[TIMESTAMP_BUF] = "", cur[JOB_STATUS_BUF] = "";
    char clean[JOBS_ERROR_MAX + 1];
    long long done = 0, failed = 0, left = 0;
    const char *final;
    bool nested, cancel = false;
    struct db_stmt *st;
    error = stored_error(error, clean);
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    time_now_iso(now);
    if (!(st = db_stmt(db, SQL_JOB_TIMES, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    if (db_step(db, st, "reading the job's times", err, errlen) == DB_STEP_ROW) {
        snprintf(cur, sizeof(cur), "%s", db_col_text(st, 0));
        snprintf(since, sizeof(since), "%s", db_col_text(st, 1));
        cancel = db_col_int(st, 2) != 0;
    }
    db_reset(st);
    if (strcmp(cur, "running") != 0) {
        err_set(err, errlen, "job %s is not running", job_id);
        goto fail;
    }
    /* A cancelled job's unstarted model-days stay pending: they never ran. */
    if (!cancel) {
        if (!(st = db_stmt(db, SQL_FAIL_LEFT, err, errlen)))
            goto fail;
        db_bind_text(st, 1, job_id);
        db_bind_text(st, 2, now);
        const char *why_left = error ? error : "not run";
        db_bind_text(st, 3, why_left);
        if (db_step_done(db, st, "database write", err, errlen) != 0)
            goto fail;
        left = db_changes(db);
    }
    if (!(st = db_stmt(db, SQL_COUNT_DAYS, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    if (db_step(db, st, "counting model-days", err, errlen) == DB_STEP_ROW) {
        done = db_col_int64(st, 0);
        failed = db_col_int64(st, 1);
    }
    db_reset(st);
    final = cancel ? "cancelled" : failed == 0 ? "completed" : done == 0 ? "failed" : "partial";
    if (!(st = db_stmt(db, SQL_END_JOB, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, final);
    db_bind_text(st, 3, now);
    double secs = time_iso_diff(since, now);
    if (secs < 0)
        db_bind_null(st, 4);
    else
        db_bind_double(st, 4, secs);
    if (error)
        db_bind_text(st, 5, error);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        goto fail;
    json_object *d = json_new_object();
    json_put(d, "status", json_object_new_string(final));
    json_put(d, "completed", json_object_new_int64(done));
    json_put(d, "failed", json_object_new_int64(failed));
    json_put(d, "not_run", json_object_new_int64(left));
    if (audit_job_event(db, "job_finished", job_id, d, err, errlen) != 0 ||
        dataver_bump(db, err, errlen) != 0 || tx_commit(db, nested, err, errlen) != 0)
        goto fail;
    if (status)
        snprintf(status, JOB_STATUS_BUF, "%s", final);
    return 0;
fail:
    tx_rollback(db, nested);
    return -1;
}

/* --- cancellation (CONTRACT section 8) ------------------------------------ */

static const char SQL_CANCEL_STATE[] = "SELECT status FROM jobs WHERE job_id = ?1";
static const char SQL_CANCEL_PENDING[] =
    "UPDATE jobs SET status = 'cancelled', cancel_requested_at = ?2, completed_at = ?2,"
    " updated_at = ?2, callback_status = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' "
    "END"
    " WHERE job_id = ?1 AND status = 'pending'";
static const char SQL_CANCEL_RUNNING[] =
    "UPDATE jobs SET cancel_requested_at = ?2, updated_at = ?2"
    " WHERE job_id = ?1 AND status = 'running' AND cancel_requested_at IS NULL";

int jobs_cancel(struct db *db, const char *job_id, enum jobs_cancel_outcome *out, char *err,
                size_t errlen)
{
    char now[TIMESTAMP_BUF], cur[JOB_STATUS_BUF] = "";
    enum jobs_cancel_outcome res = JOBS_CANCEL_NOT_FOUND;
    bool nested;
    struct db_stmt *st;
    enum db_step step;
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    if (!(st = db_stmt(db, SQL_CANCEL_STATE, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    step = db_step(db, st, "reading the job", err, errlen);
    if (step == DB_STEP_ROW)
        snprintf(cur, sizeof(cur), "%s", db_col_text(st, 0));
    db_reset(st);
    if (step == DB_STEP_ERROR)
        goto fail;
    if (strcmp(cur, "pending") == 0 || strcmp(cur, "running") == 0) {
        bool pending = cur[0] == 'p';
        time_now_iso(now);
        if (!(st = db_stmt(db, pending ? SQL_CANCEL_PENDING : SQL_CANCEL_RUNNING, err, errlen)))
            goto fail;
        db_bind_text(st, 1, job_id);
        db_bind_text(st, 2, now);
        if (db_step_done(db, st, "database write", err, errlen) != 0 ||
            (db_changes(db) == 1 &&
             (audit_job_event(db, pending ? "job_cancelled" : "job_cancel_requested", job_id, NULL,
                              err, errlen) != 0 ||
              dataver_bump(db, err, errlen) != 0)))
            goto fail;
        res = pending ? JOBS_CANCEL_DONE : JOBS_CANCEL_REQUESTED;
    } else if (*cur) {
        res = JOBS_CANCEL_FINISHED;
    }
    if (tx_commit(db, nested, err, errlen) != 0)
        goto fail;
    *out = res;
    return 0;
fail:
    tx_rollback(db, nested);
    return -1;
}

/* --- jobs of an AI-Trader import ------------------------------------------ */

static const char SQL_IMPORT_JOB[] =
    "INSERT INTO jobs(job_id, config_path, status, date_range, models, replace_existing, source,"
    " created_at, started_at, updated_at, seq) VALUES(?1, ?2, 'completed', ?3, ?4, ?5, 'import',"
    " ?6, ?6, ?6, " NEXT_SEQ ")";
static const char SQL_IMPORT_DAY[] =
    "INSERT INTO job_details(job_id, date, model, status, started_at, completed_at)"
    " VALUES(?1, ?2, ?3, 'completed', ?4, ?4)";
static const char SQL_IMPORT_DONE[] =
    "UPDATE jobs SET completed_at = ?2, updated_at = ?2, total_duration_seconds = ?3,"
    " warnings = ?4 WHERE job_id = ?1";

enum jobs_found jobs_active_on(struct db *db, const char *model, char job_id[JOB_ID_BUF], char *err,
                               size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_ACTIVE, err, errlen);
    enum jobs_found found = JOBS_MISSING;
    enum db_step rc;
    if (!st)
        return JOBS_ERROR;
    while (found == JOBS_MISSING &&
           (rc = db_step(db, st, "cannot read jobs", err, errlen)) == DB_STEP_ROW) {
        json_object *models = column_json(st, 2);
        for (size_t i = 0; json_object_is_type(models, json_type_array) &&
                           i < json_object_array_length(models) && found == JOBS_MISSING;
             i++)
            if (strcmp(str_at(models, i), model) == 0) {
                snprintf(job_id, JOB_ID_BUF, "%s", db_col_text(st, 0));
                found = JOBS_FOUND;
            }
        json_object_put(models);
    }
    db_reset(st);
    if (found == JOBS_MISSING && rc != DB_STEP_DONE)
        return JOBS_ERROR;
    return found;
}

int jobs_import_create(struct db *db, const struct jobs_import *im, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_IMPORT_JOB, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, im->job_id);
    db_bind_text(st, 2, im->directory);
    db_bind_text(st, 3, im->date_range);
    db_bind_text(st, 4, im->models);
    db_bind_int64(st, 5, im->replace_existing ? 1 : 0);
    db_bind_text(st, 6, im->at);
    return db_step_done(db, st, "cannot store the import", err, errlen);
}

int jobs_import_day(struct db *db, const char *job_id, const char *date, const char *model,
                    const char *at, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_IMPORT_DAY, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, date);
    db_bind_text(st, 3, model);
    db_bind_text(st, 4, at);
    return db_step_done(db, st, "cannot store the import", err, errlen);
}

int jobs_import_finish(struct db *db, const char *job_id, const char *at, double duration_seconds,
                       const char *warnings, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_IMPORT_DONE, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, at);
    db_bind_double(st, 3, duration_seconds);
    db_bind_text(st, 4, warnings);
    return db_step_done(db, st, "cannot store the import", err, errlen);
}

/* --- callbacks, reads for the views and the analytics ---------------------- */

static const char SQL_CALLBACKS_DUE[] = "SELECT job_id, callback_url FROM jobs"
                                        " WHERE callback_status = 'pending'"
                                        " ORDER BY completed_at, seq LIMIT ?1";
static const char SQL_CALLBACK_OUTCOME[] =
    "UPDATE jobs SET callback_status = ?2 WHERE job_id = ?1 AND callback_status = 'pending'";
static const char SQL_NEWEST_FIRST[] = "SELECT job_id FROM jobs ORDER BY created_at DESC, seq DESC";
static const char SQL_LATEST[] =
    "SELECT job_id FROM jobs ORDER BY created_at DESC, seq DESC LIMIT 1";
/* CAST(?n AS TEXT) IS NULL: PostgreSQL cannot type a parameter that is
 * only tested for NULL. */
static const char SQL_LIST[] =
    "SELECT job_id FROM jobs WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1"
    " ORDER BY created_at DESC, seq DESC LIMIT ?2 OFFSET ?3";
static const char SQL_LIST_TOTAL[] =
    "SELECT count(*) FROM jobs WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1";
static const char SQL_VIEW_JOB[] =
    "SELECT job_id, status, date_range, models, created_at, started_at, updated_at,"
    " completed_at, total_duration_seconds, error, warnings, cancel_requested_at, callback_url,"
    " callback_status FROM jobs WHERE job_id = ?1";
static const char SQL_VIEW_COUNTS[] =
    "SELECT count(*), count(*) FILTER (WHERE status = 'completed'),"
    " count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'running')"
    " FROM job_details WHERE job_id = ?1";
/* Per model, in the job's order: its running date, else its first pending one. */
static const char SQL_VIEW_MODELS[] =
    "SELECT model, min(CASE WHEN status = 'running' THEN date END),"
    " min(CASE WHEN status = 'pending' THEN date END) FROM job_details"
    " WHERE job_id = ?1 GROUP BY model ORDER BY min(id)";
static const char SQL_VIEW_CURRENT[] = "SELECT date, model FROM job_details WHERE job_id = ?1"
                                       " AND status = 'running' ORDER BY date, id LIMIT 1";
static const char SQL_VIEW_DETAILS[] =
    "SELECT date, model, status, started_at, completed_at, duration_seconds, error"
    " FROM job_details WHERE job_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)"
    " ORDER BY date, id LIMIT ?3 OFFSET ?4";

int jobs_callbacks_due(struct db *db, struct jobs_due *out, size_t max, size_t *n, char *err,
                       size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_CALLBACKS_DUE, err, errlen);
    size_t got = 0;
    enum db_step rc = DB_STEP_DONE;
    if (!st)
        return -1;
    db_bind_int64(st, 1, (long long)max);
    while (got < max &&
           (rc = db_step(db, st, "reading due callbacks", err, errlen)) == DB_STEP_ROW) {
        snprintf(out[got].job_id, sizeof(out[got].job_id), "%s", db_col_text(st, 0));
        snprintf(out[got].url, sizeof(out[got].url), "%s", db_col_text(st, 1));
        got++;
    }
    db_reset(st);
    if (rc == DB_STEP_ERROR)
        return -1;
    *n = got;
    return 0;
}

int jobs_set_callback_status(struct db *db, const char *job_id, const char *status, char *err,
                             size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_CALLBACK_OUTCOME, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, status);
    return db_step_done(db, st, "database write", err, errlen);
}

enum jobs_found jobs_latest_with_results(struct db *db, char *out, size_t outlen, char *err,
                                         size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_NEWEST_FIRST, err, errlen);
    enum daystore_found has = DAYSTORE_NONE;
    char first[DATE_BUF], last[DATE_BUF];
    enum db_step rc = DB_STEP_DONE;
    if (!st)
        return JOBS_ERROR;
    while (has == DAYSTORE_NONE &&
           (rc = db_step(db, st, "finding the latest job", err, errlen)) == DB_STEP_ROW) {
        const char *id = db_col_text(st, 0);
        if ((has = daystore_job_span(db, id, first, last, err, errlen)) == DAYSTORE_FOUND)
            snprintf(out, outlen, "%s", id);
    }
    db_reset(st);
    if (has == DAYSTORE_ERROR)
        return JOBS_ERROR;
    if (has == DAYSTORE_FOUND)
        return JOBS_FOUND;
    return rc == DB_STEP_DONE ? JOBS_MISSING : JOBS_ERROR;
}

enum jobs_found jobs_latest_id(struct db *db, char out[JOBS_ID_MAX], char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_LATEST, err, errlen);
    if (!st)
        return JOBS_ERROR;
    enum db_step rc = db_step(db, st, "query", err, errlen);
    const char *id = rc == DB_STEP_ROW ? db_col_text(st, 0) : NULL;
    enum jobs_found found = JOBS_MISSING;
    if (id && strlen(id) >= JOBS_ID_MAX)
        found = (enum jobs_found)err_set(err, errlen, "job id too long");
    else if (id) {
        memcpy(out, id, strlen(id) + 1);
        found = JOBS_FOUND;
    } else if (rc != DB_STEP_DONE)
        found = JOBS_ERROR;
    db_reset(st);
    return found;
}

int jobs_count(struct db *db, const char *status, long long *total, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_LIST_TOTAL, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, status);
    if (db_step(db, st, "query", err, errlen) != DB_STEP_ROW) {
        db_reset(st);
        return db_error(db, "query", err, errlen);
    }
    *total = db_col_int64(st, 0);
    db_reset(st);
    return 0;
}

int jobs_list_ids(struct db *db, const char *status, long long limit, long long offset,
                  char (*ids)[JOBS_ID_MAX], size_t *n, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_LIST, err, errlen);
    size_t got = 0;
    enum db_step rc = DB_STEP_DONE;
    if (!st)
        return -1;
    db_bind_text(st, 1, status);
    db_bind_int64(st, 2, limit);
    db_bind_int64(st, 3, offset);
    while (got < (size_t)limit && (rc = db_step(db, st, "query", err, errlen)) == DB_STEP_ROW)
        snprintf(ids[got++], JOBS_ID_MAX, "%s", db_col_text(st, 0));
    db_reset(st);
    if (rc == DB_STEP_ERROR)
        return -1;
    *n = got;
    return 0;
}

/* The cached statement sql with job_id bound as ?1; NULL with err. */
static struct db_stmt *view_stmt(struct db *db, const char *sql, const char *job_id, char *err,
                                 size_t errlen)
{
    struct db_stmt *st = db_stmt(db, sql, err, errlen);
    if (st)
        db_bind_text(st, 1, job_id);
    return st;
}

/* The jobs row of job_id into r: JOBS_FOUND, JOBS_MISSING or JOBS_ERROR. */
static enum jobs_found view_job_row(struct db *db, const char *job_id, struct jobs_row *r,
                                    char *err, size_t errlen)
{
    struct db_stmt *st = view_stmt(db, SQL_VIEW_JOB, job_id, err, errlen);
    char **text[] = {&r->job_id,       &r->status,         &r->date_range,
                     &r->models,       &r->created_at,     &r->started_at,
                     &r->updated_at,   &r->completed_at,   NULL,
                     &r->error,        &r->warnings,       &r->cancel_requested_at,
                     &r->callback_url, &r->callback_status};
    if (!st)
        return JOBS_ERROR;
    enum db_step rc = db_step(db, st, "query", err, errlen);
    if (rc == DB_STEP_ROW) {
        for (int i = 0; i < (int)(sizeof(text) / sizeof(text[0])); i++)
            if (text[i])
                *text[i] = col_dup(st, i);
        r->has_duration = !db_col_is_null(st, 8);
        r->total_duration_seconds = db_col_double(st, 8);
    }
    db_reset(st);
    if (rc == DB_STEP_ROW)
        return JOBS_FOUND;
    return rc == DB_STEP_DONE ? JOBS_MISSING : JOBS_ERROR;
}

/* The model-day counts and the earliest running model-day of job_id into r. */
static int view_progress(struct db *db, const char *job_id, struct jobs_row *r, char *err,
                         size_t errlen)
{
    struct db_stmt *st = view_stmt(db, SQL_VIEW_COUNTS, job_id, err, errlen);
    if (!st)
        return -1;
    enum db_step rc = db_step(db, st, "query", err, errlen);
    if (rc == DB_STEP_ROW) {
        r->total = db_col_int64(st, 0);
        r->completed = db_col_int64(st, 1);
        r->failed = db_col_int64(st, 2);
        r->running = db_col_int64(st, 3);
    }
    db_reset(st);
    if (rc != DB_STEP_ROW || !(st = view_stmt(db, SQL_VIEW_CURRENT, job_id, err, errlen)))
        return rc != DB_STEP_ROW ? db_error(db, "query", err, errlen) : -1;
    if ((rc = db_step(db, st, "query", err, errlen)) == DB_STEP_ROW) {
        r->current_date = col_dup(st, 0);
        r->current_model = col_dup(st, 1);
    }
    db_reset(st);
    return rc == DB_STEP_ERROR ? -1 : 0;
}

/* Each model of job_id and where it is, into r->at. */
static int view_models(struct db *db, const char *job_id, struct jobs_row *r, char *err,
                       size_t errlen)
{
    struct db_stmt *st = view_stmt(db, SQL_VIEW_MODELS, job_id, err, errlen);
    size_t cap = 0;
    enum db_step rc;
    if (!st)
        return -1;
    while ((rc = db_step(db, st, "query", err, errlen)) == DB_STEP_ROW) {
        ARRAY_RESERVE(r->at, cap, r->nat + 1);
        struct jobs_model_at *m = &r->at[r->nat++];
        m->model = col_dup(st, 0);
        m->running = col_dup(st, 1);
        m->next = col_dup(st, 2);
    }
    db_reset(st);
    return rc == DB_STEP_DONE ? 0 : -1;
}

enum jobs_found jobs_view_job(struct db *db, const char *job_id, struct jobs_row *out, char *err,
                              size_t errlen)
{
    struct jobs_row r = {0};
    enum jobs_found found = view_job_row(db, job_id, &r, err, errlen);
    if (found == JOBS_FOUND && (view_progress(db, job_id, &r, err, errlen) != 0 ||
                                view_models(db, job_id, &r, err, errlen) != 0))
        found = JOBS_ERROR;
    if (found == JOBS_FOUND)
        *out = r;
    else
        jobs_row_free(&r);
    return found;
}

void jobs_row_free(struct jobs_row *r)
{
    char *text[] = {
        r->job_id,     r->status,       r->date_range,      r->models,       r->warnings,
        r->created_at, r->started_at,   r->updated_at,      r->completed_at, r->cancel_requested_at,
        r->error,      r->callback_url, r->callback_status, r->current_date, r->current_model};
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        free(text[i]);
    for (size_t i = 0; i < r->nat; i++) {
        free(r->at[i].model);
        free(r->at[i].running);
        free(r->at[i].next);
    }
    free(r->at);
    memset(r, 0, sizeof(*r));
}

int jobs_each_detail(struct db *db, const char *job_id, const char *status, long long limit,
                     long long offset, jobs_detail_fn fn, void *ctx, char *err, size_t errlen)
{
    struct db_stmt *st = view_stmt(db, SQL_VIEW_DETAILS, job_id, err, errlen);
    enum db_step rc;
    if (!st)
        return -1;
    db_bind_text(st, 2, status);
    db_bind_int64(st, 3, limit);
    db_bind_int64(st, 4, offset);
    while ((rc = db_step(db, st, "query", err, errlen)) == DB_STEP_ROW) {
        struct jobs_detail_row row = {
            .date = col_text(st, 0),
            .model = col_text(st, 1),
            .status = col_text(st, 2),
            .started_at = col_text(st, 3),
            .completed_at = col_text(st, 4),
            .has_duration = !db_col_is_null(st, 5),
            .duration_seconds = db_col_double(st, 5),
            .error = col_text(st, 6),
        };
        fn(&row, ctx);
    }
    db_reset(st);
    return rc == DB_STEP_DONE ? 0 : -1;
}

/* --- model-day leases ------------------------------------------------------- */

/* The claim locks the job's row first (start or touch it), so a claim and
 * jobs_finish_done of the same job never overlap, then picks the day. On
 * PostgreSQL the pick also locks the day and skips days another worker's
 * claim holds; SQLite's write lock makes that unnecessary. */
#define CLAIM_PICK                                                                                 \
    "SELECT d.id, d.date, d.model FROM job_details d WHERE d.job_id = ?1"                          \
    " AND d.status = 'pending' AND NOT EXISTS (SELECT 1 FROM job_details e"                        \
    " WHERE e.job_id = ?1 AND e.date < d.date AND e.status IN ('pending','running')"               \
    " AND (e.model = d.model OR CAST(?2 AS BIGINT) = 1)) ORDER BY d.date, d.id LIMIT 1"
static const char SQL_CLAIM_PICK_SQLITE[] = CLAIM_PICK;
static const char SQL_CLAIM_PICK_PG[] = CLAIM_PICK " FOR UPDATE OF d SKIP LOCKED";
static const char SQL_CLAIM_TOUCH[] =
    "UPDATE jobs SET updated_at = ?2 WHERE job_id = ?1 AND status = 'running'"
    " AND cancel_requested_at IS NULL";
static const char SQL_CLAIM_MARK[] =
    "UPDATE job_details SET status = 'running', worker = ?2, lease_until = ?3, started_at = ?4,"
    " attempts = attempts + 1, completed_at = NULL, duration_seconds = NULL, error = NULL"
    " WHERE id = ?1 AND status = 'pending'";
static const char SQL_RENEW[] = "UPDATE job_details SET lease_until = ?2"
                                " WHERE worker = ?1 AND status = 'running'";
/* Reclaims bind ?1: now (expired leases) or a worker (its days). */
#define RECLAIM_EXPIRED " WHERE status = 'running' AND (lease_until IS NULL OR lease_until < ?1)"
#define RECLAIM_WORKER " WHERE status = 'running' AND worker = ?1"
#define RECLAIM_COUNT "SELECT job_id, count(*) FROM job_details"
#define RECLAIM_SET                                                                                \
    "UPDATE job_details SET status = 'pending', worker = NULL, lease_until = NULL,"                \
    " started_at = NULL"
static const char SQL_RECLAIM_JOBS_EXPIRED[] = RECLAIM_COUNT RECLAIM_EXPIRED " GROUP BY job_id";
static const char SQL_RECLAIM_JOBS_WORKER[] = RECLAIM_COUNT RECLAIM_WORKER " GROUP BY job_id";
static const char SQL_RECLAIM_EXPIRED[] = RECLAIM_SET RECLAIM_EXPIRED;
static const char SQL_RECLAIM_WORKER[] = RECLAIM_SET RECLAIM_WORKER;
static const char SQL_DAY_HELD[] =
    "SELECT count(*) FROM job_details WHERE job_id = ?1 AND date = ?2 AND model = ?3"
    " AND status = 'running' AND worker = ?4";
static const char SQL_DONE_TOUCH[] =
    "UPDATE jobs SET updated_at = ?2 WHERE job_id = ?1 AND status = 'running'";
static const char SQL_DONE_LEFT[] =
    "SELECT CASE WHEN j.cancel_requested_at IS NULL THEN 0 ELSE 1 END,"
    " (SELECT count(*) FROM job_details d WHERE d.job_id = ?1 AND d.status = 'pending'),"
    " (SELECT count(*) FROM job_details d WHERE d.job_id = ?1 AND d.status = 'running')"
    " FROM jobs j WHERE j.job_id = ?1";

int jobs_lease_seconds(void)
{
    static atomic_int cached; /* env.h warns once about a bad value, not per claim */
    int s = atomic_load(&cached);
    if (s == 0) {
        s = (int)env_long(JOBS_ENV_LEASE, JOBS_LEASE_SECONDS, 3, 86400);
        atomic_store(&cached, s);
    }
    return s;
}

/* Runs the cached statement sql binding ?1 a and ?2 b (NULL: not bound);
 * *n = rows changed. */
static int write2(struct db *db, const char *sql, const char *a, const char *b, long long *n,
                  char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, sql, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, a);
    if (b)
        db_bind_text(st, 2, b);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        return -1;
    *n = db_changes(db);
    return 0;
}

/* Inside the claim's transaction: picks the day into *out and its row id. */
static enum jobs_found claim_pick(struct db *db, const char *job_id, bool lockstep,
                                  struct jobs_claimed *out, long long *id, char *err, size_t errlen)
{
    const char *sql =
        db_engine(db) == DB_ENGINE_POSTGRES ? SQL_CLAIM_PICK_PG : SQL_CLAIM_PICK_SQLITE;
    struct db_stmt *st = db_stmt(db, sql, err, errlen);
    if (!st)
        return JOBS_ERROR;
    db_bind_text(st, 1, job_id);
    db_bind_int64(st, 2, lockstep ? 1 : 0);
    enum db_step step = db_step(db, st, "picking a model-day", err, errlen);
    if (step == DB_STEP_ROW) {
        *id = db_col_int64(st, 0);
        snprintf(out->date, sizeof(out->date), "%s", db_col_text(st, 1));
        snprintf(out->model, sizeof(out->model), "%s", db_col_text(st, 2));
    }
    db_reset(st);
    return step == DB_STEP_ROW ? JOBS_FOUND : step == DB_STEP_DONE ? JOBS_MISSING : JOBS_ERROR;
}

/* Inside the claim's transaction: marks day id running under worker's
 * lease, audited. */
static int claim_mark(struct db *db, const char *job_id, const struct jobs_claimed *day,
                      long long id, const char *worker, const char *now, char *err, size_t errlen)
{
    char until[TIMESTAMP_BUF];
    struct db_stmt *st = db_stmt(db, SQL_CLAIM_MARK, err, errlen);
    if (!st || db_clock(db, jobs_lease_seconds(), until, err, errlen) != 0)
        return -1;
    db_bind_int64(st, 1, id);
    db_bind_text(st, 2, worker);
    db_bind_text(st, 3, until);
    db_bind_text(st, 4, now);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        return -1;
    if (db_changes(db) != 1)
        return err_set(err, errlen, "model-day %s of job %s is no longer pending", day->date,
                       job_id);
    json_object *d = json_new_object();
    json_put(d, "date", json_object_new_string(day->date));
    json_put(d, "model", json_object_new_string(day->model));
    json_put(d, "worker", json_object_new_string(worker));
    return audit_job_event(db, "model_day_started", job_id, d, err, errlen);
}

enum jobs_found jobs_claim_day(struct db *db, const char *job_id, const char *worker, bool lockstep,
                               struct jobs_claimed *out, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    struct jobs_claimed day;
    long long id = 0, started = 0, touched = 0;
    enum jobs_found rc = JOBS_ERROR, f;
    if (db_begin(db, err, errlen) != 0)
        return JOBS_ERROR;
    if (db_clock(db, 0, now, err, errlen) != 0 ||
        write2(db, SQL_START_JOB, job_id, now, &started, err, errlen) != 0 ||
        (!started && write2(db, SQL_CLAIM_TOUCH, job_id, now, &touched, err, errlen) != 0))
        goto out;
    if (!started && !touched) {
        rc = JOBS_MISSING; /* not active, or its cancellation was asked for */
        goto out;
    }
    if ((f = claim_pick(db, job_id, lockstep, &day, &id, err, errlen)) != JOBS_FOUND) {
        rc = f;
        goto out;
    }
    if (claim_mark(db, job_id, &day, id, worker, now, err, errlen) != 0 ||
        (started && audit_job_event(db, "job_started", job_id, NULL, err, errlen) != 0) ||
        dataver_bump(db, err, errlen) != 0 || db_commit(db, err, errlen) != 0)
        goto out;
    *out = day;
    return JOBS_FOUND;
out:
    db_rollback(db);
    return rc;
}

int jobs_renew_leases(struct db *db, const char *worker, long long *n, char *err, size_t errlen)
{
    char until[TIMESTAMP_BUF];
    if (db_clock(db, jobs_lease_seconds(), until, err, errlen) != 0)
        return -1;
    return write2(db, SQL_RENEW, worker, until, n, err, errlen);
}

/* Puts the running days that sql_set selects with ?1 = key back to
 * pending, one 'job_recovered' audit row per job (sql_jobs counts them). */
static int reclaim(struct db *db, const char *sql_jobs, const char *sql_set, const char *key,
                   const char *why, long long *n, char *err, size_t errlen)
{
    struct reclaimed {
        char job_id[JOBS_ID_MAX];
        long long days;
    } *jobs = NULL;
    size_t njobs = 0, cap = 0;
    long long changed = 0;
    struct db_stmt *st;
    bool nested;
    enum db_step step;
    int rc = -1;
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    if (!(st = db_stmt(db, sql_jobs, err, errlen)))
        goto out;
    db_bind_text(st, 1, key);
    while ((step = db_step(db, st, "reading leased model-days", err, errlen)) == DB_STEP_ROW) {
        ARRAY_RESERVE(jobs, cap, njobs + 1);
        snprintf(jobs[njobs].job_id, JOBS_ID_MAX, "%s", db_col_text(st, 0));
        jobs[njobs++].days = db_col_int64(st, 1);
    }
    db_reset(st);
    if (step != DB_STEP_DONE || write2(db, sql_set, key, NULL, &changed, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < njobs; i++) {
        json_object *d = json_new_object();
        json_put(d, "interrupted_model_days", json_object_new_int64(jobs[i].days));
        json_put(d, "reason", json_object_new_string(why));
        if (audit_job_event(db, "job_recovered", jobs[i].job_id, d, err, errlen) != 0)
            goto out;
    }
    if ((changed && dataver_bump(db, err, errlen) != 0) || tx_commit(db, nested, err, errlen) != 0)
        goto out;
    *n = changed;
    rc = 0;
out:
    if (rc != 0)
        tx_rollback(db, nested);
    free(jobs);
    return rc;
}

int jobs_reclaim_expired(struct db *db, long long *n, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    if (db_clock(db, 0, now, err, errlen) != 0)
        return -1;
    return reclaim(db, SQL_RECLAIM_JOBS_EXPIRED, SQL_RECLAIM_EXPIRED, now, "lease expired", n, err,
                   errlen);
}

int jobs_release_worker(struct db *db, const char *worker, const char *why, long long *n, char *err,
                        size_t errlen)
{
    return reclaim(db, SQL_RECLAIM_JOBS_WORKER, SQL_RECLAIM_WORKER, worker, why, n, err, errlen);
}

int jobs_day_held(struct db *db, const char *job_id, const char *date, const char *model,
                  const char *worker, bool *out, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_DAY_HELD, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, date);
    db_bind_text(st, 3, model);
    db_bind_text(st, 4, worker);
    enum db_step step = db_step(db, st, "reading the model-day's lease", err, errlen);
    bool held = step == DB_STEP_ROW && db_col_int64(st, 0) > 0;
    db_reset(st);
    if (step != DB_STEP_ROW)
        return step == DB_STEP_DONE ? err_set(err, errlen, "reading the lease: no row") : -1;
    *out = held;
    return 0;
}

enum jobs_found jobs_finish_done(struct db *db, const char *job_id, char status[JOB_STATUS_BUF],
                                 char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    long long touched = 0, pending = 0, running = 1;
    bool nested, cancel = false;
    struct db_stmt *st;
    enum jobs_found rc = JOBS_ERROR;
    if (tx_begin(db, &nested, err, errlen) != 0)
        return JOBS_ERROR;
    time_now_iso(now);
    /* The touch locks the job's row first: a claim of the job waits. */
    if (write2(db, SQL_DONE_TOUCH, job_id, now, &touched, err, errlen) != 0 ||
        !(st = db_stmt(db, SQL_DONE_LEFT, err, errlen)))
        goto out;
    db_bind_text(st, 1, job_id);
    enum db_step step = db_step(db, st, "counting model-days left", err, errlen);
    if (step == DB_STEP_ROW) {
        cancel = db_col_int64(st, 0) != 0;
        pending = db_col_int64(st, 1);
        running = db_col_int64(st, 2);
    }
    db_reset(st);
    if (step == DB_STEP_ERROR)
        goto out;
    if (!touched || running > 0 || (pending > 0 && !cancel)) {
        rc = JOBS_MISSING;
        goto out;
    }
    if (jobs_finish(db, job_id, NULL, status, err, errlen) != 0 ||
        tx_commit(db, nested, err, errlen) != 0)
        goto out;
    return JOBS_FOUND;
out:
    tx_rollback(db, nested);
    return rc;
}
