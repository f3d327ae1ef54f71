/* jobview: the job document of the API (CONTRACT section 3) built from what
 * jobs.h reads of the tables jobs and job_details (jobs_view_job,
 * jobs_each_detail; no SQL here): identity, status, dates and models, progress
 * counts, the running model-day, each model's current date, per-model-day
 * details (filtered and paged), timestamps, error and warnings. The details
 * array is written as JSON text row by row, not as 70,000 json-c objects for
 * a job of 10,000 model-days: progress.details is opaque to json-c's
 * accessors (serialize the document to read it). Read-only; it opens no transaction,
 * so callers choose one (a read snapshot for GET, the write transaction of a trigger). */
#ifndef TRADER_JOBVIEW_H
#define TRADER_JOBVIEW_H

#include <stddef.h>

#include <json-c/json.h>

#include "store/db.h"

enum jobview_detail {
    JOBVIEW_SUMMARY, /* progress counts, the running model-day, each model's date */
    JOBVIEW_FULL,    /* and the first JOBVIEW_DETAILS_DEFAULT model-days in progress.details */
};

/* progress.details holds at most this many model-days unless a limit says
 * otherwise (a job of more lists the rest with offset). */
#define JOBVIEW_DETAILS_DEFAULT 10000
#define JOBVIEW_DETAILS_MAX 100000

/* Which model-days progress.details lists. */
struct jobview_details {
    const char *status; /* NULL: every one; "failed" or "running": those only */
    long limit;         /* 0..JOBVIEW_DETAILS_MAX */
    long long offset;   /* >= 0 */
};

enum jobview_found {
    JOBVIEW_ERROR = -1,
    JOBVIEW_MISSING, /* no such job */
    JOBVIEW_FOUND,
};

/* Builds the document of job_id: JOBVIEW_FOUND with *out set (caller frees
 * with json_object_put). */
enum jobview_found jobview_build(struct db *db, const char *job_id, enum jobview_detail detail,
                                 json_object **out, char *err, size_t errlen);

/* The same with the page of details d (NULL = none): progress.details and
 * progress.details_total, the number of model-days the filter matches. */
enum jobview_found jobview_build_page(struct db *db, const char *job_id,
                                      const struct jobview_details *d, json_object **out, char *err,
                                      size_t errlen);

/* The same for the most recent job by created_at. */
enum jobview_found jobview_latest(struct db *db, enum jobview_detail detail, json_object **out,
                                  char *err, size_t errlen);

#define JOBVIEW_ID_MAX 65 /* a job id as the API accepts it, + NUL */
#define JOBVIEW_LIST_DEFAULT 50
#define JOBVIEW_LIST_MAX 1000

/* What GET /simulate/jobs asks for. */
struct jobview_filter {
    const char *status; /* NULL: every status */
    long long limit;    /* 0..JOBVIEW_LIST_MAX */
    long long offset;   /* >= 0 */
};

/* {"total", "count", "limit", "offset", "jobs": [summary documents]}: the
 * jobs matching f, newest first. Returns 0 and sets *out (caller frees), or
 * -1. */
int jobview_list(struct db *db, const struct jobview_filter *f, json_object **out, char *err,
                 size_t errlen);

#endif
