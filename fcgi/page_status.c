/* page_status: GET /simulate/status/{job_id} (the job with every model-day)
 * and GET /simulate/current (the most recent job, progress summary only). */
#include "jobview.h"
#include "routes.h"

int page_status(struct request *req, struct response *resp, struct app *app)
{
    json_object *job = NULL;
    int found = -1;
    if (app_begin_read(app->db, resp->err, sizeof(resp->err)) == 0)
        found =
            jobview_build(app->db, req->path_arg, JOBVIEW_FULL, &job, resp->err, sizeof(resp->err));
    app_end_read(app->db);
    if (found < 0)
        return -1;
    if (found)
        return http_json(resp, 200, job);
    json_object *e = http_error(resp, 404, "not_found", "Job not found");
    if (e)
        json_object_object_add(e, "job_id", json_object_new_string(req->path_arg));
    return 0;
}

int page_current(struct request *req, struct response *resp, struct app *app)
{
    json_object *job = NULL;
    int found = -1;
    (void)req;
    if (app_begin_read(app->db, resp->err, sizeof(resp->err)) == 0)
        found = jobview_latest(app->db, JOBVIEW_SUMMARY, &job, resp->err, sizeof(resp->err));
    app_end_read(app->db);
    if (found < 0)
        return -1;
    if (found)
        return http_json(resp, 200, job);
    http_error(resp, 404, "not_found", "No simulation jobs found");
    return 0;
}
