/* routes: see routes.h. The table is the single place that says which
 * endpoints exist and what input each accepts. */
#include "routes.h"

#include "auth.h"
#include "service/config.h"
#include "store/dataver.h"
#include "base/dates.h"
#include "service/jobs.h"
#include "service/jobview.h"
#include "base/log.h"
#include "base/mem.h"
#include "service/results.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum route_flags {
    ROUTE_DB = 1,         /* needs the database; 503 while it is unavailable */
    ROUTE_JSON_BODY = 2,  /* a body, when sent, must be application/json */
    ROUTE_RANGE = 4,      /* start_date, when given with end_date, is not after it */
    ROUTE_WRITE = 8,      /* mutating: needs a write key (see auth.h); audited */
    ROUTE_VERSIONED = 16, /* the answer depends only on the data version (dataver.h) */
};

struct param_spec {
    const char *name;
    bool (*valid)(const char *value);
    const char *code; /* the error when invalid */
    const char *message;
};

struct route {
    const char *method;
    const char *pattern;
    route_handler handler;
    unsigned flags;
    const struct param_spec *const *params; /* NULL-terminated; the {param} too */
};

/* Every byte of s is in the set accepted by ok, and 1 <= length <= max. */
static bool all_chars(const char *s, size_t max, bool (*ok)(char))
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || !ok(s[n]))
            return false;
    return n > 0;
}

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool signature_char(char c)
{
    return alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}

static bool job_id_char(char c)
{
    return alnum(c) || c == '-';
}

static bool valid_signature(const char *s)
{
    return all_chars(s, 64, signature_char);
}

static bool valid_job_id(const char *s)
{
    return all_chars(s, 64, job_id_char);
}

static bool valid_date(const char *s)
{
    return date_valid(s);
}

static bool valid_detail(const char *s)
{
    return strcmp(s, "minimal") == 0 || strcmp(s, "full") == 0;
}

/* 1 to digits decimal digits whose value is in [lo, hi]. */
static bool number_in(const char *s, int digits, long long lo, long long hi)
{
    for (int i = 0; i < digits + 1; i++)
        if (s[i] == '\0')
            return i > 0 && atoll(s) >= lo && atoll(s) <= hi;
        else if (s[i] < '0' || s[i] > '9')
            return false;
    return false;
}

static bool valid_limit(const char *s)
{
    return number_in(s, 5, 1, RESULTS_LIMIT_MAX);
}

static bool valid_offset(const char *s)
{
    return number_in(s, 12, 0, 999999999999LL);
}

static bool valid_details(const char *s)
{
    return strcmp(s, "all") == 0 || strcmp(s, "none") == 0 || strcmp(s, "failed") == 0 ||
           strcmp(s, "running") == 0;
}

static bool valid_details_limit(const char *s)
{
    return number_in(s, 6, 0, JOBVIEW_DETAILS_MAX);
}

static bool valid_jobs_limit(const char *s)
{
    return number_in(s, 4, 0, JOBVIEW_LIST_MAX);
}

/* Comma-separated signatures, at most CONFIG_MODELS_MAX. */
static bool valid_models(const char *s)
{
    char one[CONFIG_SIGNATURE_MAX];
    int n = 0;
    for (const char *p = s;; p++) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof(one) || ++n > CONFIG_MODELS_MAX)
            return false;
        memcpy(one, p, len);
        one[len] = '\0';
        if (!valid_signature(one))
            return false;
        p += len;
        if (*p == '\0')
            return true;
    }
}

static const struct param_spec p_date = {"date", valid_date, "invalid_date",
                                         "Date must be in YYYY-MM-DD format"};
static const struct param_spec p_model = {
    "model", valid_signature, "invalid_request",
    "model must be a model signature: 1-64 letters, digits or . _ : -"};
static const struct param_spec p_job_id = {"job_id", valid_job_id, "invalid_request",
                                           "job_id must be 1-64 letters, digits or -"};
static const struct param_spec p_detail = {"detail", valid_detail, "invalid_request",
                                           "detail must be minimal or full"};

static const struct param_spec p_start_date = {"start_date", valid_date, "invalid_date",
                                               "Date must be in YYYY-MM-DD format"};
static const struct param_spec p_end_date = {"end_date", valid_date, "invalid_date",
                                             "Date must be in YYYY-MM-DD format"};
static const struct param_spec p_limit = {"limit", valid_limit, "invalid_request",
                                          "limit must be an integer from 1 to 10000"};
static const struct param_spec p_offset = {"offset", valid_offset, "invalid_request",
                                           "offset must be an integer from 0"};
static const struct param_spec p_models = {
    "models", valid_models, "invalid_request",
    "models must be comma-separated model signatures of 1-64 letters, digits or . _ : -"};

static const struct param_spec p_jobs_limit = {"limit", valid_jobs_limit, "invalid_request",
                                               "limit must be an integer from 0 to 1000"};
static const struct param_spec p_status = {
    "status", jobs_status_valid, "invalid_request",
    "status must be pending, running, completed, partial, failed or cancelled"};

static const struct param_spec p_details = {"details", valid_details, "invalid_request",
                                            "details must be all, none, failed or running"};
static const struct param_spec p_details_limit = {"limit", valid_details_limit, "invalid_request",
                                                  "limit must be an integer from 0 to 100000"};

static const struct param_spec *const status_params[] = {&p_job_id, NULL};
static const struct param_spec *const status_page_params[] = {&p_job_id, &p_details,
                                                              &p_details_limit, &p_offset, NULL};
static const struct param_spec *const jobs_params[] = {&p_status, &p_jobs_limit, &p_offset, NULL};
static const struct param_spec *const results_params[] = {
    &p_date, &p_start_date, &p_end_date, &p_model, &p_job_id, &p_detail, &p_limit, &p_offset, NULL};
static const struct param_spec *const performance_params[] = {&p_job_id, &p_start_date, &p_end_date,
                                                              &p_models, NULL};

static const struct route routes[] = {
    {"GET", "/health", page_health, 0, NULL},
    {"GET", "/simulate/status/{job_id}", page_status, ROUTE_DB | ROUTE_VERSIONED,
     status_page_params},
    {"GET", "/simulate/current", page_current, ROUTE_DB | ROUTE_VERSIONED, NULL},
    {"GET", "/results", page_results, ROUTE_DB | ROUTE_RANGE | ROUTE_VERSIONED, results_params},
    {"GET", "/performance", page_performance, ROUTE_DB | ROUTE_RANGE | ROUTE_VERSIONED,
     performance_params},
    {"GET", "/performance/series", page_performance_series,
     ROUTE_DB | ROUTE_RANGE | ROUTE_VERSIONED, performance_params},
    {"POST", "/simulate/trigger", page_trigger, ROUTE_DB | ROUTE_JSON_BODY | ROUTE_WRITE, NULL},
    {"GET", "/simulate/jobs", page_jobs, ROUTE_DB | ROUTE_VERSIONED, jobs_params},
    {"POST", "/simulate/cancel/{job_id}", page_cancel, ROUTE_DB | ROUTE_JSON_BODY | ROUTE_WRITE,
     status_params},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* True when the request path matches pattern; *arg gets the segment matched
 * by a {param}. */
static bool path_match(const char *pattern, const struct request *req, const char **arg)
{
    const char *p = pattern + 1;
    for (int i = 0; i < req->nseg; i++) {
        size_t n = strcspn(p, "/");
        if (*p == '{')
            *arg = req->seg[i];
        else if (strncmp(p, req->seg[i], n) != 0 || req->seg[i][n] != '\0')
            return false;
        p += n;
        if (*p != '/')
            return i == req->nseg - 1;
        p++;
    }
    return false;
}

/* The spec named by the {name} segment of the route's pattern. */
static const struct param_spec *path_spec(const struct route *r)
{
    const char *open = strchr(r->pattern, '{');
    for (size_t i = 0; open && r->params && r->params[i]; i++) {
        size_t n = strlen(r->params[i]->name);
        if (strncmp(open + 1, r->params[i]->name, n) == 0 && open[n + 1] == '}')
            return r->params[i];
    }
    return NULL;
}

/* 400 for a value that fails its spec, naming it. Returns -1. */
static int invalid(struct response *resp, const struct param_spec *spec, const char *value)
{
    char echo[ERR_ECHO_BUF];
    err_echo(value, echo);
    json_object *e = http_error(resp, 400, spec->code, "%s", spec->message);
    http_detail(e, "parameter", spec->name);
    http_detail(e, "value", echo);
    return -1;
}

/* Checks the {param} segment and every declared query parameter. */
static int validate(const struct route *r, const struct request *req, struct response *resp)
{
    const struct param_spec *ps = path_spec(r);
    if (ps && !ps->valid(req->path_arg))
        return invalid(resp, ps, req->path_arg);
    for (size_t i = 0; r->params && r->params[i]; i++) {
        const struct param_spec *s = r->params[i];
        int seen = 0;
        for (int j = 0; j < req->nparams; j++) {
            if (strcmp(req->params[j].name, s->name) != 0)
                continue;
            if (++seen > 1) {
                http_error(resp, 400, "invalid_request", "Query parameter %s given more than once",
                           s->name);
                return -1;
            }
            if (!s->valid(req->params[j].value))
                return invalid(resp, s, req->params[j].value);
        }
    }
    return 0;
}

/* Finds the route for req. Returns it, or NULL with resp filled (404/405). */
static const struct route *find_route(struct request *req, struct response *resp)
{
    char echo[ERR_ECHO_BUF];
    for (size_t i = 0; i < NROUTES; i++) {
        const char *arg = NULL;
        if (!path_match(routes[i].pattern, req, &arg))
            continue;
        bool get = strcmp(routes[i].method, "GET") == 0;
        /* HEAD is GET without the body, which nginx drops. */
        if (strcmp(routes[i].method, req->method) == 0 ||
            (get && strcmp(req->method, "HEAD") == 0)) {
            req->path_arg = arg;
            return &routes[i];
        }
        size_t used = strlen(resp->allow);
        snprintf(resp->allow + used, sizeof(resp->allow) - used, "%s%s%s", used ? ", " : "",
                 routes[i].method, get ? ", HEAD" : "");
    }
    if (resp->allow[0]) {
        http_error(resp, 405, "method_not_allowed", "Method not allowed; use %s", resp->allow);
        return NULL;
    }
    err_echo(req->raw_path, echo);
    http_detail(http_error(resp, 404, "not_found", "Not found"), "path", echo);
    return NULL;
}

/* A tag for an answer that no data version covers: FNV-1a of its text, weak
 * (another serialization of the same value would be as good). */
static void body_tag(struct response *resp)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        resp->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    unsigned long long h = 14695981039346656037ULL;
    if (!text)
        mem_fatal(0);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
    snprintf(resp->etag, sizeof(resp->etag), "W/\"b-%016llx\"", h);
}

/* For a versioned route, the data version's tag before the handler reads
 * (so a tag never claims newer data than the answer has). True when the
 * client holds it already: resp is then the 304. A version that cannot be
 * read only costs the tag. */
static bool version_tag(const struct route *r, const struct request *req, struct response *resp,
                        struct app *app)
{
    char err[ERRBUF_SIZE];
    if (!(r->flags & ROUTE_VERSIONED))
        return false;
    if (dataver_tag(app->db, resp->etag, err, sizeof(err)) != 0) {
        resp->etag[0] = '\0';
        log_emit(LOG_LEVEL_WARNING, "trader-api", NULL, NULL, NULL, "pid %d: %s", (int)getpid(),
                 err);
        return false;
    }
    if (!http_etag_matches(req->if_none_match, resp->etag))
        return false;
    resp->status = 304;
    return true;
}

/* After the handler: every 200 to a GET has a tag, and a 304 when the
 * client holds it; other answers have none. */
static void finish_tag(const struct request *req, struct response *resp)
{
    if (resp->status != 200 || strcmp(req->method, "POST") == 0) {
        resp->etag[0] = '\0';
        return;
    }
    if (!resp->etag[0])
        body_tag(resp);
    if (http_etag_matches(req->if_none_match, resp->etag)) {
        http_response_free(resp);
        resp->status = 304;
    }
}

/* A read answered by a hot standby says how far behind the primary it may
 * be; a lag that cannot be read only costs the header. */
static void replica_lag(struct response *resp, struct app *app)
{
    char err[ERRBUF_SIZE];
    bool standby = false;
    double lag = 0;
    if (!app_reads_replica(app))
        return;
    if (app_read_lag(app, &standby, &lag, err, sizeof(err)) != 0) {
        log_emit(LOG_LEVEL_WARNING, "trader-api", NULL, NULL, NULL, "pid %d: replica lag: %s",
                 (int)getpid(), err);
        return;
    }
    if (standby)
        snprintf(resp->replica_lag, sizeof(resp->replica_lag), "%.3f", lag);
}

/* Applies the route's checks, then its handler. */
static void answer(const struct route *r, struct request *req, struct response *resp,
                   struct app *app)
{
    if ((r->flags & ROUTE_JSON_BODY) && req->body && !http_is_json(req)) {
        http_error(resp, 415, "unsupported_media_type", "Content-Type must be application/json");
        return;
    }
    if (validate(r, req, resp) != 0)
        return;
    if ((r->flags & ROUTE_RANGE) && http_param(req, "start_date") && http_param(req, "end_date") &&
        strcmp(http_param(req, "start_date"), http_param(req, "end_date")) > 0) {
        http_error(resp, 400, "invalid_request", "start_date must not be after end_date");
        return;
    }
    /* A write needs the primary (its handler opens app_writer), not the
     * store reads come from. */
    bool write = r->flags & ROUTE_WRITE;
    if ((r->flags & ROUTE_DB) && !write && !app_db(app)) {
        http_detail(http_error(resp, 503, "unavailable", "Database unavailable"), "reason",
                    app->db_err);
        return;
    }
    db_clear_error(app->db);
    if ((r->flags & ROUTE_DB) && !write)
        replica_lag(resp, app);
    if (version_tag(r, req, resp, app))
        return;
    if (r->handler(req, resp, app) != 0) {
        char echo[ERR_ECHO_BUF];
        err_echo(req->raw_path, echo);
        log_emit(LOG_LEVEL_ERROR, "trader-api", NULL, NULL, NULL, "pid %d: %s %s: %s",
                 (int)getpid(), req->method, echo, resp->err);
        /* A storage problem of the host is temporary: 503, never 500. */
        if (db_transient(write ? app->writer : app->db))
            http_error(resp, 503, "unavailable", "Storage temporarily unavailable");
        else
            http_error(resp, 500, "internal", "Internal server error");
    }
    finish_tag(req, resp);
}

/* The string member key of the answer's body, or NULL. */
static const char *answer_string(const struct response *resp, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(resp->body, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The audit row of a mutating request, whatever its answer; a failure to
 * write it is logged (the answer stands). */
static void audit(const struct request *req, const struct response *resp, struct app *app,
                  const char *actor)
{
    char endpoint[HTTP_METHOD_MAX + ERR_ECHO_BUF], client[ERR_ECHO_BUF], path[ERR_ECHO_BUF];
    char err[ERRBUF_SIZE];
    const char *outcome = answer_string(resp, "error");
    const char *job = answer_string(resp, "job_id");
    struct access_audit a = {
        .actor = *actor ? actor : NULL,
        .client = req->remote_addr ? err_echo(req->remote_addr, client) : NULL,
        .endpoint = endpoint,
        .status = resp->status,
        .outcome = outcome ? outcome : "ok",
        .job_id = job ? job : answer_string(resp, "current_job_id"),
    };
    snprintf(endpoint, sizeof(endpoint), "%s %s", req->method, err_echo(req->raw_path, path));
    struct db *db = app_writer(app, err, sizeof(err));
    if (!db || access_audit(db, &a, err, sizeof(err)) != 0)
        log_emit(LOG_LEVEL_ERROR, "trader-api", NULL, NULL, NULL,
                 "pid %d: audit of %s by %s from %s (%d) not written: %s", (int)getpid(), endpoint,
                 a.actor ? a.actor : "-", a.client ? a.client : "-", a.status, err);
}

int routes_dispatch(struct request *req, struct response *resp, struct app *app)
{
    char actor[ACCESS_NAME_BUF] = "";
    const struct route *r = find_route(req, resp);
    if (!r)
        return 0;
    bool write = r->flags & ROUTE_WRITE;
    if ((!write && !app->auth_reads) || auth_check(app, req, write, actor, resp) == 0)
        answer(r, req, resp, app);
    if (write)
        audit(req, resp, app, actor);
    return 0;
}
