/* page_results: GET /results. One date (given, or the latest date with
 * results for the other filters) or, with start_date / end_date, every
 * stored day of a range, paged (CONTRACT §3, §7). The queries are
 * results.h's; this page checks how the parameters combine and answers. */
#include "service/results.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 404 no_data naming the filters that were given. */
static int no_data(struct response *resp, const struct results_query *f)
{
    const char *what[5], *val[5];
    char msg[256] = "No simulation data found";
    int n = 0;
    if (f->date)
        what[n] = "date", val[n++] = f->date;
    if (f->start_date)
        what[n] = "start_date", val[n++] = f->start_date;
    if (f->end_date)
        what[n] = "end_date", val[n++] = f->end_date;
    if (f->model)
        what[n] = "model", val[n++] = f->model;
    if (f->job_id)
        what[n] = "job", val[n++] = f->job_id;
    for (int i = 0; i < n; i++) {
        size_t used = strlen(msg);
        snprintf(msg + used, sizeof(msg) - used, "%s%s %s",
                 i == 0       ? " for "
                 : i == n - 1 ? " and "
                              : ", ",
                 what[i], val[i]);
    }
    http_error(resp, 404, "no_data", "%s", msg);
    return 0;
}

/* One date: {"date", "count", "results"}. */
static int one_date(struct db *db, struct results_query *q, struct response *resp)
{
    char date[DATE_BUF];
    const char *given = q->date;
    json_object *results = json_new_array(), *body;
    enum results_found found = RESULTS_FOUND;
    if (q->date)
        snprintf(date, sizeof(date), "%s", q->date);
    else
        found = results_latest_date(db, q, date, resp->err, sizeof(resp->err));
    q->date = date;
    if (found == RESULTS_ERROR ||
        (found == RESULTS_FOUND &&
         results_list(db, q, results, resp->err, sizeof(resp->err)) != 0)) {
        json_object_put(results);
        return -1;
    }
    if (json_object_array_length(results) == 0) {
        json_object_put(results);
        q->date = given;
        return no_data(resp, q);
    }
    body = json_new_object();
    json_put(body, "date", json_object_new_string(date));
    json_put(body, "count", json_object_new_int64((int64_t)json_object_array_length(results)));
    json_put(body, "results", results);
    return http_json(resp, 200, body);
}

/* A range: {"start_date", "end_date", "count", "total", "limit", "offset",
 * "results"}, an open bound answered with the first or last date found; 404
 * when nothing is in it. */
static int date_range(struct db *db, const struct results_query *q, struct response *resp)
{
    long long total;
    char first[DATE_BUF], last[DATE_BUF];
    json_object *results, *body;
    if (results_count(db, q, &total, first, last, resp->err, sizeof(resp->err)) != 0)
        return -1;
    if (total == 0)
        return no_data(resp, q);
    results = json_new_array();
    if (results_list(db, q, results, resp->err, sizeof(resp->err)) != 0) {
        json_object_put(results);
        return -1;
    }
    body = json_new_object();
    json_put(body, "start_date", json_object_new_string(q->start_date ? q->start_date : first));
    json_put(body, "end_date", json_object_new_string(q->end_date ? q->end_date : last));
    json_put(body, "count", json_object_new_int64((int64_t)json_object_array_length(results)));
    json_put(body, "total", json_object_new_int64(total));
    json_put(body, "limit", json_object_new_int64(q->limit));
    json_put(body, "offset", json_object_new_int64(q->offset));
    json_put(body, "results", results);
    return http_json(resp, 200, body);
}

int page_results(struct request *req, struct response *resp, struct app *app)
{
    const char *detail = http_param(req, "detail"), *limit = http_param(req, "limit"),
               *offset = http_param(req, "offset");
    struct results_query q = {
        .date = http_param(req, "date"),
        .start_date = http_param(req, "start_date"),
        .end_date = http_param(req, "end_date"),
        .model = http_param(req, "model"),
        .job_id = http_param(req, "job_id"),
        .full = detail && strcmp(detail, "full") == 0,
        .limit = limit ? atoll(limit) : RESULTS_LIMIT_DEFAULT,
        .offset = offset ? atoll(offset) : 0,
    };
    int range = q.start_date || q.end_date, rc;
    if (q.date && range) {
        http_error(resp, 400, "invalid_request", "Give either date or start_date/end_date");
        return 0;
    }
    if (app_begin_read(app->db, resp->err, sizeof(resp->err)) != 0)
        return -1;
    rc = range ? date_range(app->db, &q, resp) : one_date(app->db, &q, resp);
    app_end_read(app->db);
    return rc;
}
