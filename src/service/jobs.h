/* jobs: owns the `jobs` and `job_details` tables; all their SQL is here.
 * Inserting a job the trigger decided on (trigger.h), the state transitions
 * the workers make while running one: model-day claimed under a lease,
 * completed/failed, reclaimed, finish, cancel; the jobs of an import; and every
 * read of the two tables, returned as data (jobview builds the API document
 * from them). Every transition writes an audit row (audit.h) and keeps
 * jobs.updated_at current. */
#ifndef TRADER_JOBS_H
#define TRADER_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "service/config.h"
#include "base/dates.h"
#include "store/db.h"
#include "market/prices.h"
#include "service/callback.h"
#include "service/jobreq.h"

struct jobplan_day;

#define JOB_ID_BUF 37 /* a UUID in text form + NUL */
#define JOB_STATUS_BUF 12
#define JOBS_ERROR_MAX 2000 /* bytes of an error message kept in the database */

/* True when s names a job status: pending, running, completed, partial,
 * failed or cancelled. */
bool jobs_status_valid(const char *s);

/* One model-day of a job. */
struct jobs_day {
    char date[DATE_BUF];
    char model[CONFIG_SIGNATURE_MAX];
    char status[JOB_STATUS_BUF]; /* pending, running, completed, failed */
};

/* The ids of the active (pending or running) jobs as a JSON array text in
 * *out (caller frees). */
int jobs_active_ids(struct db *db, char **out, char *err, size_t errlen);

/* An active (pending or running) job as a trigger compares it; the strings
 * are owned by the list (jobs_active_free). */
struct jobs_active {
    char *job_id;
    char *date_range; /* JSON array text */
    char *models;     /* JSON array text */
};

/* The active jobs, oldest first, into *out[0..*n) (caller frees with
 * jobs_active_free). */
int jobs_list_active(struct db *db, struct jobs_active **out, size_t *n, char *err, size_t errlen);
void jobs_active_free(struct jobs_active *a, size_t n);

/* A new pending job of the API (source 'api') and its model-days. */
struct jobs_new {
    const char *job_id;      /* see jobs_new_id */
    const char *config_path; /* the resolved path */
    const char *config_json; /* the config's keyless snapshot */
    const char *date_range;  /* JSON array text */
    const char *models;      /* JSON array text */
    bool replace_existing;
    const char *created_at;   /* and updated_at */
    const char *callback_url; /* NULL: none */
    const struct jobplan_day *days;
    size_t ndays;
};

/* Inside the caller's transaction: the job row, then one pending job_details
 * row per model-day. */
int jobs_insert(struct db *db, const struct jobs_new *job, char *err, size_t errlen);

/* A new job id: a random (version 4) UUID in lowercase text form. */
int jobs_new_id(char out[JOB_ID_BUF], char *err, size_t errlen);

/* --- the daemon's side ---------------------------------------------------- */

/* What a look-up of a job found. */
enum jobs_found {
    JOBS_ERROR = -1,
    JOBS_MISSING, /* no such job (none pending, for a claim) */
    JOBS_FOUND,   /* found (and claimed, for a claim) */
};

/* A job as the daemon runs it. Free with jobs_job_free. */
struct jobs_job {
    char job_id[JOB_ID_BUF];
    char status[JOB_STATUS_BUF];
    char *config_path; /* the resolved path at trigger time */
    char *config_json; /* the config's snapshot at trigger time: run this, with
                        * the keys config_restore_keys reads from config_path */
    bool replace_existing;
    struct jobs_day *days; /* by date, then id (insertion order) */
    size_t ndays;
};

/* Loads job_id with its model-days: JOBS_FOUND with *out filled (caller
 * frees with jobs_job_free). */
enum jobs_found jobs_get(struct db *db, const char *job_id, struct jobs_job *out, char *err,
                         size_t errlen);
void jobs_job_free(struct jobs_job *j);

/* Starts job_id (batch mode, as it runs the job it created): pending becomes
 * running, started_at set (kept when the job ran before), audit
 * 'job_started'. JOBS_MISSING when it is not pending (a worker started it
 * first, or it was cancelled). Nothing is deleted here: a replace_existing
 * job replaces results one model-day at a time (jobs_replace_results). A
 * worker's first claim of a model-day starts a pending job the same way
 * (jobs_claim_day). */
enum jobs_found jobs_claim(struct db *db, const char *job_id, char *err, size_t errlen);

/* For a model-day of a replace_existing job, inside the transaction that
 * commits it: deletes the results other jobs left for model from date on
 * (the old day and the later days built on it), audited as
 * 'results_replaced'. Until that commit the old results stay readable; a
 * re-run day that fails or is cancelled deletes nothing. */
int jobs_replace_results(struct db *db, const char *job_id, const char *model, const char *date,
                         char *err, size_t errlen);

/* Model-day transitions. They join the caller's transaction when one is open
 * (a model-day's results and its 'completed' status commit together), else
 * run in their own. Each fails, changing nothing, when the model-day is not in
 * the expected state: start needs pending in a running job; complete needs
 * running; fail accepts pending or running. duration_seconds < 0 stores null;
 * error is truncated to JOBS_ERROR_MAX bytes. */
int jobs_day_start(struct db *db, const char *job_id, const char *date, const char *model,
                   char *err, size_t errlen);
int jobs_day_complete(struct db *db, const char *job_id, const char *date, const char *model,
                      double duration_seconds, char *err, size_t errlen);
int jobs_day_fail(struct db *db, const char *job_id, const char *date, const char *model,
                  const char *error, double duration_seconds, char *err, size_t errlen);

/* Ends a running job. Model-days still pending or running are marked failed
 * with error (or "not run" when error is NULL). The job becomes completed when
 * no model-day failed, failed when none completed, else partial; its error is
 * set to error (may be NULL). A job whose cancellation was asked for becomes
 * cancelled instead, its unstarted model-days left pending. status (may be
 * NULL) gets the final status. */
int jobs_finish(struct db *db, const char *job_id, const char *error, char status[JOB_STATUS_BUF],
                char *err, size_t errlen);

/* --- cancellation (CONTRACT section 8) ------------------------------------ */

enum jobs_cancel_outcome {
    JOBS_CANCEL_NOT_FOUND, /* no such job */
    JOBS_CANCEL_DONE,      /* it was pending: now cancelled */
    JOBS_CANCEL_REQUESTED, /* it is running: traderd stops starting model-days,
                            * lets the ones in flight end whole, then marks it
                            * cancelled (jobs_finish) */
    JOBS_CANCEL_FINISHED,  /* it had already ended: nothing changed */
};

/* Cancels job_id in one transaction (audit 'job_cancelled' or
 * 'job_cancel_requested'); a repeated request for a running job keeps the
 * first request's time. Returns 0 with *out, or -1. */
int jobs_cancel(struct db *db, const char *job_id, enum jobs_cancel_outcome *out, char *err,
                size_t errlen);

/* --- jobs of an AI-Trader import ------------------------------------------ */

/* The first active (pending or running) job simulating model: JOBS_FOUND
 * with job_id filled, or JOBS_MISSING. */
enum jobs_found jobs_active_on(struct db *db, const char *model, char job_id[JOB_ID_BUF], char *err,
                               size_t errlen);

/* An imported job: completed from the start (source 'import'). */
struct jobs_import {
    const char *job_id;     /* see jobs_new_id */
    const char *directory;  /* the agent data directory, as config_path */
    const char *date_range; /* JSON array text of the imported dates */
    const char *models;     /* JSON array text of the imported signatures */
    bool replace_existing;
    const char *at; /* created_at, started_at, updated_at */
};

/* Inside the caller's transaction: the job row of an import, then one
 * completed job_details row per imported model-day, then the end of the
 * import (completed_at, duration, warnings: JSON array text or NULL). */
int jobs_import_create(struct db *db, const struct jobs_import *im, char *err, size_t errlen);
int jobs_import_day(struct db *db, const char *job_id, const char *date, const char *model,
                    const char *at, char *err, size_t errlen);
int jobs_import_finish(struct db *db, const char *job_id, const char *at, double duration_seconds,
                       const char *warnings, char *err, size_t errlen);

/* --- callbacks, reads for the views and the analytics ---------------------- */

#define JOBS_ID_MAX 65 /* any stored job id, + NUL */

/* An ended job whose callback is due (callback_status 'pending'). */
struct jobs_due {
    char job_id[JOBS_ID_MAX];
    char url[CALLBACK_URL_MAX + 1];
};

/* Fills out[0..*n) with at most max due callbacks, oldest ended job first. */
int jobs_callbacks_due(struct db *db, struct jobs_due *out, size_t max, size_t *n, char *err,
                       size_t errlen);

/* A due callback's outcome: "delivered" or "failed". */
int jobs_set_callback_status(struct db *db, const char *job_id, const char *status, char *err,
                             size_t errlen);

/* The newest job with stored results (daystore): JOBS_FOUND with its id in
 * out, or JOBS_MISSING. */
enum jobs_found jobs_latest_with_results(struct db *db, char *out, size_t outlen, char *err,
                                         size_t errlen);

/* The newest job (by created_at): JOBS_FOUND with its id in out. */
enum jobs_found jobs_latest_id(struct db *db, char out[JOBS_ID_MAX], char *err, size_t errlen);

/* The number of jobs of status (NULL: any), and a page of their ids, newest
 * first, into ids (room for limit). */
int jobs_count(struct db *db, const char *status, long long *total, char *err, size_t errlen);
int jobs_list_ids(struct db *db, const char *status, long long limit, long long offset,
                  char (*ids)[JOBS_ID_MAX], size_t *n, char *err, size_t errlen);

/* --- the reads of a job's status view (jobview.c) ------------------------ */

/* A model of a job and where it is: the date it is running, else its first
 * pending one (both NULL: done). */
struct jobs_model_at {
    char *model;
    char *running;
    char *next;
};

/* A job as its status view shows it. Text is NULL where the column is null;
 * every string is owned by the row. Free with jobs_row_free. */
struct jobs_row {
    char *job_id, *status;
    char *date_range, *models, *warnings; /* JSON array text */
    char *created_at, *started_at, *updated_at, *completed_at, *cancel_requested_at;
    bool has_duration;
    double total_duration_seconds;
    char *error;
    char *callback_url; /* NULL: no callback */
    char *callback_status;
    long long total, completed, failed, running; /* model-days */
    char *current_date, *current_model;          /* the earliest running model-day, or NULL */
    struct jobs_model_at *at;                    /* per model, in the job's order */
    size_t nat;
};

/* Loads job_id for its view: JOBS_FOUND with *out filled (caller frees with
 * jobs_row_free), or JOBS_MISSING. */
enum jobs_found jobs_view_job(struct db *db, const char *job_id, struct jobs_row *out, char *err,
                              size_t errlen);
void jobs_row_free(struct jobs_row *r);

/* One model-day of a job's details. Text is NULL where the column is null;
 * the strings are valid during the callback only. */
struct jobs_detail_row {
    const char *date, *model, *status, *started_at, *completed_at, *error;
    bool has_duration;
    double duration_seconds;
};

typedef void (*jobs_detail_fn)(const struct jobs_detail_row *row, void *ctx);

/* Calls fn for the model-days of job_id by date then creation, those of
 * status only (NULL: any), the page limit/offset: row by row, so a job of
 * 10,000s of model-days costs no copy. */
int jobs_each_detail(struct db *db, const char *job_id, const char *status, long long limit,
                     long long offset, jobs_detail_fn fn, void *ctx, char *err, size_t errlen);

/* --- model-day leases: many workers on one store (docs/traderd.md) --------- */

/* A worker claims one model-day at a time under a lease that its heartbeat
 * renews; a day whose lease ran out (its worker died) goes back to pending
 * and any worker runs it again from scratch. */
#define JOBS_LEASE_SECONDS 30
#define JOBS_ENV_LEASE "TRADER_LEASE_SECONDS" /* overrides it (tests), 3..86400 */

/* The lease length in seconds: $TRADER_LEASE_SECONDS by env.h's rule, else
 * JOBS_LEASE_SECONDS. */
int jobs_lease_seconds(void);

/* A model-day a worker claimed. */
struct jobs_claimed {
    char date[DATE_BUF];
    char model[CONFIG_SIGNATURE_MAX];
};

/* Claims the next runnable model-day of job_id for worker, in one
 * transaction (db_begin: row locks, FOR UPDATE SKIP LOCKED on PostgreSQL):
 * the first pending day, by date then creation, whose model has no earlier
 * day of the job still pending or running (with lockstep: no earlier date of
 * the job at all), in a pending or running job whose cancellation was not
 * asked for. The day becomes running, leased to worker for
 * jobs_lease_seconds() (attempts + 1, audit 'model_day_started'); a pending
 * job becomes running (audit 'job_started'). JOBS_FOUND with *out, or
 * JOBS_MISSING when nothing of the job can start now. */
enum jobs_found jobs_claim_day(struct db *db, const char *job_id, const char *worker, bool lockstep,
                               struct jobs_claimed *out, char *err, size_t errlen);

/* Extends the lease of every running model-day of worker to
 * jobs_lease_seconds() from now (the heartbeat). *n = days renewed. */
int jobs_renew_leases(struct db *db, const char *worker, long long *n, char *err, size_t errlen);

/* Running model-days whose lease ran out go back to pending, without worker
 * or lease (an unfinished day committed nothing); audited per job as
 * 'job_recovered'. *n = days reclaimed. */
int jobs_reclaim_expired(struct db *db, long long *n, char *err, size_t errlen);

/* The same for every running model-day of worker, whatever its lease: a
 * worker that stops releases its days, and one seen dead is reclaimed at
 * once. why goes to the audit details. */
int jobs_release_worker(struct db *db, const char *worker, const char *why, long long *n, char *err,
                        size_t errlen);

/* Inside the transaction that commits a model-day: *out = whether it is
 * still running under worker's lease. When it is not, the worker lost it
 * (another worker runs it from scratch) and its result must not land. */
int jobs_day_held(struct db *db, const char *job_id, const char *date, const char *model,
                  const char *worker, bool *out, char *err, size_t errlen);

/* Finishes job_id (jobs_finish) when it is running and no model-day is left
 * to run: none running and none pending, or its cancellation was asked for.
 * Any worker may call it, any number of times: JOBS_FOUND when this call
 * finished the job (status gets the final status), JOBS_MISSING when it was
 * not done (or already finished). */
enum jobs_found jobs_finish_done(struct db *db, const char *job_id, char status[JOB_STATUS_BUF],
                                 char *err, size_t errlen);

#endif
