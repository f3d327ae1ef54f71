/* page_status: GET /simulate/status/{job_id} (the job with its model-days:
 * details=all|none|failed|running, limit, offset) and GET /simulate/current
 * (the most recent job, progress summary only). */
#include "service/jobview.h"
#include "routes.h"
#include "base/jsontext.h"

#include <stdlib.h>
#include <string.h>

/* The details page the query asks for; NULL for details=none. The routes
 * checked every value. */
static const struct jobview_details *details_page(const struct request *req,
                                                  struct jobview_details *d)
{
    const char *which = http_param(req, "details"), *limit = http_param(req, "limit"),
               *offset = http_param(req, "offset");
    *d = (struct jobview_details){NULL, JOBVIEW_DETAILS_DEFAULT, 0};
    if (which && strcmp(which, "none") == 0)
        return NULL;
    if (which && strcmp(which, "all") != 0)
        d->status = which;
    if (limit)
        d->limit = strtol(limit, NULL, 10);
    if (offset)
        d->offset = strtoll(offset, NULL, 10);
    return d;
}

int page_status(struct request *req, struct response *resp, struct app *app)
{
    json_object *job = NULL;
    struct jobview_details d;
    const struct jobview_details *page = details_page(req, &d);
    enum jobview_found found = JOBVIEW_ERROR;
    if (app_begin_read(app->db, resp->err, sizeof(resp->err)) == 0)
        found =
            jobview_build_page(app->db, req->path_arg, page, &job, resp->err, sizeof(resp->err));
    app_end_read(app->db);
    if (found == JOBVIEW_ERROR)
        return -1;
    if (found == JOBVIEW_FOUND)
        return http_json(resp, 200, job);
    json_put(http_error(resp, 404, "not_found", "Job not found"), "job_id",
             json_object_new_string(req->path_arg));
    return 0;
}

int page_current(struct request *req, struct response *resp, struct app *app)
{
    json_object *job = NULL;
    enum jobview_found found = JOBVIEW_ERROR;
    (void)req;
    if (app_begin_read(app->db, resp->err, sizeof(resp->err)) == 0)
        found = jobview_latest(app->db, JOBVIEW_SUMMARY, &job, resp->err, sizeof(resp->err));
    app_end_read(app->db);
    if (found == JOBVIEW_ERROR)
        return -1;
    if (found == JOBVIEW_FOUND)
        return http_json(resp, 200, job);
    http_error(resp, 404, "not_found", "No simulation jobs found");
    return 0;
}
