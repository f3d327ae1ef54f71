/* page_jobs: GET /simulate/jobs (the jobs, newest first, each with its
 * progress summary) and POST /simulate/cancel/{job_id} (CONTRACT section 8).
 * The rules are the jobs and jobview modules'; cancelling writes through the
 * process's read-write connection (app_writer). */
#include "service/jobs.h"
#include "service/jobview.h"
#include "routes.h"
#include "base/jsontext.h"

#include <stdlib.h>
#include <string.h>

/* A query number the route table has validated, or def when absent. */
static long long number(const struct request *req, const char *name, long long def)
{
    const char *v = http_param(req, name);
    return v ? strtoll(v, NULL, 10) : def;
}

int page_jobs(struct request *req, struct response *resp, struct app *app)
{
    struct jobview_filter f = {.status = http_param(req, "status"),
                               .limit = number(req, "limit", JOBVIEW_LIST_DEFAULT),
                               .offset = number(req, "offset", 0)};
    json_object *doc = NULL;
    int rc = -1;
    if (app_begin_read(app->db, resp->err, sizeof(resp->err)) == 0)
        rc = jobview_list(app->db, &f, &doc, resp->err, sizeof(resp->err));
    app_end_read(app->db);
    return rc == 0 ? http_json(resp, 200, doc) : -1;
}

int page_job_answer(struct db *db, const char *job_id, int status, const char *message,
                    struct response *resp)
{
    json_object *job = NULL;
    enum jobview_found found = JOBVIEW_ERROR;
    if (app_begin_read(db, resp->err, sizeof(resp->err)) == 0)
        found = jobview_build(db, job_id, JOBVIEW_SUMMARY, &job, resp->err, sizeof(resp->err));
    app_end_read(db);
    if (found != JOBVIEW_FOUND) {
        if (found == JOBVIEW_MISSING)
            err_set(resp->err, sizeof(resp->err), "job %s vanished", job_id);
        return -1;
    }
    json_put(job, "message", json_object_new_string(message));
    return http_json(resp, status, job);
}

int page_cancel(struct request *req, struct response *resp, struct app *app)
{
    enum jobs_cancel_outcome res;
    char msg[ERRBUF_SIZE];
    struct db *db = app_writer(app, msg, sizeof(msg));
    json_object *e;
    if (!db)
        return page_unavailable(app, resp, "cancel", msg);
    db_clear_error(db);
    if (jobs_cancel(db, req->path_arg, &res, msg, sizeof(msg)) != 0) {
        if (db_transient(db))
            return page_unavailable(app, resp, "cancel", msg);
        return err_set(resp->err, sizeof(resp->err), "cancel: %s", msg);
    }
    switch (res) {
    case JOBS_CANCEL_DONE:
        return page_job_answer(db, req->path_arg, 200, "Simulation job cancelled", resp);
    case JOBS_CANCEL_REQUESTED:
        return page_job_answer(
            db, req->path_arg, 202,
            "Cancellation requested: no model-day starts from now on; the ones in "
            "progress finish or roll back whole, then the job is cancelled",
            resp);
    case JOBS_CANCEL_FINISHED:
        e = http_error(resp, 409, "conflict", "Job already finished");
        json_put(e, "job_id", json_object_new_string(req->path_arg));
        return 0;
    default:
        e = http_error(resp, 404, "not_found", "Job not found");
        json_put(e, "job_id", json_object_new_string(req->path_arg));
        return 0;
    }
}
