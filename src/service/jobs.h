/* jobs: simulation jobs in the `jobs` and `job_details` tables. Owns the
 * trigger request (parsing, validation), planning which model-days a request
 * means, creating a job atomically against the concurrency rules (CONTRACT
 * section 3), and the state transitions the daemon makes while running one:
 * claim, model-day started/completed/failed, finish. Every transition writes
 * an audit_log row and keeps jobs.updated_at current. */
#ifndef TRADER_JOBS_H
#define TRADER_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "service/config.h"
#include "base/dates.h"
#include "store/db.h"
#include "market/prices.h"

#define JOB_ID_BUF 37 /* a UUID in text form + NUL */
#define JOB_STATUS_BUF 12
#define JOBS_DATES_MAX 1000 /* entries of an explicit date_range */
#define JOBS_ERROR_MAX 2000 /* bytes of an error message kept in the database */
#define JOBS_ENV_MAX_CONCURRENT "MAX_CONCURRENT_JOBS"
#define JOBS_MAX_CONCURRENT_LIMIT 64 /* a larger MAX_CONCURRENT_JOBS is clamped */

/* True when s names a job status: pending, running, completed, partial,
 * failed or cancelled. */
bool jobs_status_valid(const char *s);

/* Why a trigger was refused; the HTTP layer maps these to error codes. */
enum jobs_fail {
    JOBS_FAIL_INTERNAL, /* 500 internal: the database or memory failed */
    JOBS_FAIL_REQUEST,  /* 400 invalid_request */
    JOBS_FAIL_DATE,     /* 400 invalid_date */
};

/* A parsed POST /simulate/trigger body. Free with jobs_request_free. */
struct jobs_request {
    char *config_path;                    /* as given; NULL = CONFIG_DEFAULT_PATH */
    char start[DATE_BUF];                 /* start_date, "" when absent */
    char end[DATE_BUF];                   /* end_date, "" when absent */
    bool has_dates;                       /* an explicit date_range was given */
    struct datelist dates;                /* that list, sorted and without duplicates */
    char (*models)[CONFIG_SIGNATURE_MAX]; /* requested signatures, unique; NULL = all enabled */
    size_t nmodels;
    bool replace_existing;
    char *callback_url; /* checked by callback_url_check; NULL when absent */
};

/* Parses and checks the syntax of a trigger body (len bytes; an empty or
 * all-blank body means every default). Checks that need the config, the price
 * store or the clock are jobs_plan's. On success *out is filled (caller frees
 * with jobs_request_free); on failure *why and err say what is wrong. */
int jobs_request_parse(const char *body, size_t len, struct jobs_request *out, enum jobs_fail *why,
                       char *err, size_t errlen);
void jobs_request_free(struct jobs_request *r);

/* One model-day of a job. */
struct jobs_day {
    char date[DATE_BUF];
    char model[CONFIG_SIGNATURE_MAX];
    char status[JOB_STATUS_BUF]; /* pending, running, completed, failed */
};

/* The model-days a request means. Free with jobs_plan_free. */
struct jobs_plan {
    struct jobs_day *days; /* by date, then in the config's model order */
    size_t ndays, cap;
    struct datelist dates;                /* the union of the days' dates, ascending */
    char (*models)[CONFIG_SIGNATURE_MAX]; /* models with at least one day, config order */
    size_t nmodels;
    /* When there is nothing to do: the date every selected model has reached
     * and the trading day after it ("" = none / unknown). */
    char last_date[DATE_BUF];
    char next_day[DATE_BUF];
};

/* Works out the model-days of req against cfg, the price store and the
 * results already in the database, with today as the latest allowed date
 * (for a catch-up, the config's end_date when that is earlier).
 * Results written by active (pending/running) jobs are not counted as done,
 * so repeating the request of a running job plans that same job. */
int jobs_plan(struct db *db, const struct config *cfg, const struct jobs_request *req,
              const char *today, struct jobs_plan *out, enum jobs_fail *why, char *err,
              size_t errlen);
void jobs_plan_free(struct jobs_plan *p);

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
int jobs_trigger(struct db *db, const struct jobs_request *req, const struct jobs_env *env,
                 struct jobs_answer *out, enum jobs_fail *why, char *err, size_t errlen);
void jobs_answer_free(struct jobs_answer *a);

/* The JSON body for an ACCEPTED, UP_TO_DATE or CONFLICT answer (the RUNNING
 * answer is the job's status view). Caller owns the result; NULL when out of
 * memory or for RUNNING. */
json_object *jobs_answer_json(const struct jobs_answer *a);

/* A new job id: a random (version 4) UUID in lowercase text form. */
int jobs_new_id(char out[JOB_ID_BUF], char *err, size_t errlen);

/* $MAX_CONCURRENT_JOBS as a number in 1..JOBS_MAX_CONCURRENT_LIMIT; 1 when
 * unset or not a positive integer. */
int jobs_max_concurrent(void);

/* --- the daemon's side ---------------------------------------------------- */

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

/* Loads job_id with its model-days. Returns 1 when found (*out filled, caller
 * frees with jobs_job_free), 0 when there is no such job, -1 on error. */
int jobs_get(struct db *db, const char *job_id, struct jobs_job *out, char *err, size_t errlen);
void jobs_job_free(struct jobs_job *j);

/* Claims the oldest pending job: status running, started_at set (kept when
 * the job ran before an interruption), audit 'job_started'. Returns 1 and
 * fills job_id, 0 when no job is pending, -1 on error. Nothing is deleted
 * here: a replace_existing job replaces results one model-day at a time
 * (jobs_replace_results). */
int jobs_claim_next(struct db *db, char job_id[JOB_ID_BUF], char *err, size_t errlen);

/* The same for one job (batch mode runs the job it created): 1 when claimed,
 * 0 when it is not pending (another process took it, or it was cancelled). */
int jobs_claim(struct db *db, const char *job_id, char *err, size_t errlen);

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

#endif
