/* trigger: POST /simulate/trigger (and traderctl's job creation) from a
 * parsed request to an answer: confines and loads the config, then in one
 * write transaction plans (jobplan), checks the active jobs against the
 * concurrency rules (CONTRACT section 3) and, when accepted, creates the job
 * (jobs_insert) with its audit row. Owns no table: jobs reads and writes
 * jobs and job_details for it. */
#ifndef TRADER_TRIGGER_H
#define TRADER_TRIGGER_H

#include <stddef.h>

#include <json-c/json.h>

#include "base/dates.h"
#include "service/jobreq.h"
#include "service/jobs.h"
#include "store/db.h"

#define TRIGGER_ENV_MAX_CONCURRENT "MAX_CONCURRENT_JOBS"
#define TRIGGER_MAX_CONCURRENT_LIMIT 64 /* a larger MAX_CONCURRENT_JOBS is clamped */

/* Where and when a trigger runs. */
struct trigger_env {
    const char *configs_dir; /* see paths_configs_dir */
    int max_concurrent;      /* see trigger_max_concurrent */
    char today[DATE_BUF];    /* see date_today */
};

enum trigger_outcome {
    TRIGGER_ACCEPTED,   /* 202: a new pending job */
    TRIGGER_RUNNING,    /* 200: an active job already does exactly this */
    TRIGGER_UP_TO_DATE, /* 200: nothing left to simulate */
    TRIGGER_CONFLICT,   /* 409: an active job shares a model, or the limit is reached */
};

/* The answer to a trigger. Free with trigger_answer_free. */
struct trigger_answer {
    enum trigger_outcome outcome;
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
 * is filled (caller frees with trigger_answer_free); on failure *why and err. */
int trigger_run(struct db *db, const struct jobreq *req, const struct trigger_env *env,
                struct trigger_answer *out, enum jobreq_fail *why, char *err, size_t errlen);
void trigger_answer_free(struct trigger_answer *a);

/* The JSON body for an ACCEPTED, UP_TO_DATE or CONFLICT answer (the RUNNING
 * answer is the job's status view). Caller owns the result; NULL for
 * RUNNING. */
json_object *trigger_answer_json(const struct trigger_answer *a);

/* $MAX_CONCURRENT_JOBS as a number in 1..TRIGGER_MAX_CONCURRENT_LIMIT; 1 when
 * unset or not a positive integer. */
int trigger_max_concurrent(void);

#endif
