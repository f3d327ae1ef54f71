/* jobs: owns the `jobs` and `job_details` tables. Creating a job atomically
 * against the concurrency rules (CONTRACT section 3) from a jobreq and its
 * jobplan, and the state transitions the daemon makes while running one:
 * claim, model-day started/completed/failed, finish, cancel. Every
 * transition writes an audit row (audit.h) and keeps jobs.updated_at
 * current. */
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

#define JOB_ID_BUF 37 /* a UUID in text form + NUL */
#define JOB_STATUS_BUF 12
#define JOBS_ERROR_MAX 2000 /* bytes of an error message kept in the database */
#define JOBS_ENV_MAX_CONCURRENT "MAX_CONCURRENT_JOBS"
#define JOBS_MAX_CONCURRENT_LIMIT 64 /* a larger MAX_CONCURRENT_JOBS is clamped */

/* True when s names a job status: pending, running, completed, partial,
 * failed or cancelled. */
bool jobs_status_valid(const char *s);

/* One model-day of a job. */
struct jobs_day {
    char date[DATE_BUF];
    char model[CONFIG_SIGNATURE_MAX];
    char status[JOB_STATUS_BUF]; /* pending, running, completed, failed */
};

/* Where and when a trigger runs. */
struct jobs_env {
    const char *configs_dir; /* see paths_configs_dir */
    int max_concurrent;      /* see jobs_max_concurrent */
    char today[DATE_BUF];    /* see date_today */
};

enum jobs_outcome {
    JOBS_ACCEPTED,   /* 202: a new pending job */
    JOBS_RUNNING,    /* 200: an active job already does exactly this */
    JOBS_UP_TO_DATE, /* 200: nothing left to simulate */
    JOBS_CONFLICT,   /* 409: an active job shares a model, or the limit is reached */
};

/* The answer to a trigger. Free with jobs_answer_free. */
struct jobs_answer {
    enum jobs_outcome outcome;
    char job_id[JOB_ID_BUF];        /* the new job, or the running / conflicting one */
    char created_at[TIMESTAMP_BUF]; /* ACCEPTED */
    json_object *date_range;        /* ACCEPTED: the new job's; CONFLICT: the active job's */
    json_object *models;            /* ACCEPTED */
    size_t total_model_days;        /* ACCEPTED */
    char last_date[DATE_BUF];       /* UP_TO_DATE ("" = null) */
    char next_day[DATE_BUF];        /* UP_TO_DATE ("" = null) */
};

/* Handles a trigger: confines and loads the config, then in one BEGIN
 * IMMEDIATE transaction plans, checks the active jobs and, when accepted,
 * inserts the job (with the config's keyless snapshot), its job_details and
 * an audit_log 'job_created' row. A refusal writes nothing. On success *out
 * is filled (caller frees with jobs_answer_free); on failure *why and err. */
int jobs_trigger(struct db *db, const struct jobreq *req, const struct jobs_env *env,
                 struct jobs_answer *out, enum jobreq_fail *why, char *err, size_t errlen);
void jobs_answer_free(struct jobs_answer *a);

/* The JSON body for an ACCEPTED, UP_TO_DATE or CONFLICT answer (the RUNNING
 * answer is the job's status view). Caller owns the result; NULL when out of
 * memory or for RUNNING. */
json_object *jobs_answer_json(const struct jobs_answer *a);

/* The ids of the active (pending or running) jobs as a JSON array text in
 * *out (caller frees). */
int jobs_active_ids(struct db *db, char **out, char *err, size_t errlen);

/* A new job id: a random (version 4) UUID in lowercase text form. */
int jobs_new_id(char out[JOB_ID_BUF], char *err, size_t errlen);

/* $MAX_CONCURRENT_JOBS as a number in 1..JOBS_MAX_CONCURRENT_LIMIT; 1 when
 * unset or not a positive integer. */
int jobs_max_concurrent(void);

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

/* Claims the oldest pending job: status running, started_at set (kept when
 * the job ran before an interruption), audit 'job_started'. JOBS_FOUND with
 * job_id filled, JOBS_MISSING when no job is pending. Nothing is deleted
 * here: a replace_existing job replaces results one model-day at a time
 * (jobs_replace_results). */
enum jobs_found jobs_claim_next(struct db *db, char job_id[JOB_ID_BUF], char *err, size_t errlen);

/* The same for one job (batch mode runs the job it created): JOBS_MISSING
 * when it is not pending (another process took it, or it was cancelled). */
enum jobs_found jobs_claim(struct db *db, const char *job_id, char *err, size_t errlen);

/* For a model-day of a replace_existing job, inside the transaction that
 * commits it: deletes the results other jobs left for model from date on
 * (the old day and the later days built on it), audited as
 * 'results_replaced'. Until that commit the old results stay readable; a
 * re-run day that fails or is cancelled deletes nothing. */
int jobs_replace_results(struct db *db, const char *job_id, const char *model, const char *date,
                         char *err, size_t errlen);

/* For a daemon starting up: jobs left running by a previous daemon go back to
 * pending (to be claimed again), or to cancelled when their cancellation was
 * asked for, and their running model-days to pending (an interrupted day
 * left nothing behind). *n = jobs recovered. */
int jobs_recover(struct db *db, int *n, char *err, size_t errlen);

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

/* *out = whether the job's cancellation was asked for (false when there is no
 * such job). The daemon asks before each model-day; jobs_day_start refuses a
 * model-day of such a job as well, so none starts after the request commits. */
int jobs_cancel_requested(struct db *db, const char *job_id, bool *out, char *err, size_t errlen);

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

/* The reads of a job's status view (jobview.c). Each is a one-job query
 * whose columns jobview reads in this order. */
enum jobs_view {
    JOBS_VIEW_JOB,      /* job_id, status, date_range, models, created_at, started_at,
                         * updated_at, completed_at, total_duration_seconds, error, warnings,
                         * cancel_requested_at; no row: no such job */
    JOBS_VIEW_CALLBACK, /* callback_url, callback_status; no row: no callback */
    JOBS_VIEW_COUNTS,   /* model-days: total, completed, failed, running */
    JOBS_VIEW_MODELS,   /* per model in the job's order: model, its running date, its first
                         * pending date */
    JOBS_VIEW_CURRENT,  /* the earliest running model-day: date, model */
    JOBS_VIEW_DETAILS,  /* model-days by date then creation: date, model, status, started_at,
                         * completed_at, duration_seconds, error; the caller binds ?2 status
                         * (NULL: any), ?3 limit, ?4 offset */
};

/* The cached statement of v with job_id bound as ?1, for the caller to step
 * and reset; NULL with err filled on failure. */
sqlite3_stmt *jobs_view_stmt(struct db *db, enum jobs_view v, const char *job_id, char *err,
                             size_t errlen);

#endif
