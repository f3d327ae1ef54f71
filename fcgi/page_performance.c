/* page_performance: GET /performance (metrics per model and QQQ over a
 * period) and GET /performance/series (their values per date, for charts),
 * CONTRACT §7. The numbers are perf.h's; this page reads the parameters and
 * answers, 404 no_data when no model has a day in the period. */
#include "service/perf.h"
#include "routes.h"

#include <stdio.h>
#include <string.h>

/* The query of req; the signatures of "models" are split into buf. */
struct perf_params {
    struct perf_query q;
    const char *models[CONFIG_MODELS_MAX];
    char buf[HTTP_MAX_URI];
};

static void read_params(const struct request *req, struct perf_params *p)
{
    const char *models = http_param(req, "models");
    p->q.job_id = http_param(req, "job_id");
    p->q.start_date = http_param(req, "start_date");
    p->q.end_date = http_param(req, "end_date");
    p->q.models = p->models;
    p->q.nmodels = 0;
    /* routes.c validated the list: 1..CONFIG_MODELS_MAX signatures. */
    if (models) {
        snprintf(p->buf, sizeof(p->buf), "%s", models);
        perf_split_models(p->buf, p->models, CONFIG_MODELS_MAX, &p->q.nmodels);
    }
}

/* Loads the report and answers with what make_body makes of it. */
static int answer(struct request *req, struct response *resp, struct app *app,
                  json_object *(*make_body)(const struct perf_report *))
{
    struct perf_params p = {0};
    struct perf_report r = {0};
    int rc = -1;
    read_params(req, &p);
    if (app_begin_read(app->db, resp->err, sizeof(resp->err)) == 0)
        rc = perf_load(app->db, &p.q, &r, resp->err, sizeof(resp->err));
    app_end_read(app->db);
    if (rc != 0)
        return -1;
    if (r.nmodels == 0) {
        json_object *e = http_error(resp, 404, "no_data", "No simulation data found for %s",
                                    p.q.job_id ? "this job" : "these dates and models");
        if (p.q.job_id)
            http_detail(e, "job_id", p.q.job_id);
    } else {
        http_json(resp, 200, make_body(&r));
    }
    perf_report_free(&r);
    return 0;
}

int page_performance(struct request *req, struct response *resp, struct app *app)
{
    return answer(req, resp, app, perf_report_json);
}

int page_performance_series(struct request *req, struct response *resp, struct app *app)
{
    return answer(req, resp, app, perf_series_json);
}
