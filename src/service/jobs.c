/* jobs: see jobs.h. A job's model-days are decided once, at trigger time, and
 * stored in job_details; the daemon only walks them. Planning and the checks
 * against active jobs run inside the trigger's write transaction, so two
 * triggers (from any number of processes) see each other's jobs. */
#include "service/jobs.h"

#include "service/callback.h"
#include "store/dataver.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/paths.h"
#include "base/redact.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

bool jobs_status_valid(const char *s)
{
    static const char *const st[] = {"pending", "running", "completed",
                                     "partial", "failed",  "cancelled"};
    for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
        if (strcmp(s, st[i]) == 0)
            return true;
    return false;
}

#define LISTED_MAX 10 /* offending dates named in one message */
#define ACTIVE "('pending','running')"

static const char SQL_LAST_DONE[] =
    "SELECT max(date) FROM positions WHERE model = ?1 AND job_id NOT IN"
    " (SELECT job_id FROM jobs WHERE status IN " ACTIVE ")";
static const char SQL_DONE_BETWEEN[] =
    "SELECT date FROM positions WHERE model = ?1 AND date BETWEEN ?2 AND ?3 AND job_id NOT IN"
    " (SELECT job_id FROM jobs WHERE status IN " ACTIVE ") ORDER BY date";
static const char SQL_ACTIVE[] =
    "SELECT job_id, date_range, models FROM jobs WHERE status IN " ACTIVE
    " ORDER BY created_at, rowid";
static const char SQL_INSERT_JOB[] =
    "INSERT INTO jobs(job_id, config_path, config_json, status, date_range, models,"
    " replace_existing, source, created_at, updated_at, callback_url)"
    " VALUES(?1, ?2, ?3, 'pending', ?4, ?5, ?6, 'api', ?7, ?7, ?8)";
static const char SQL_INSERT_DAY[] =
    "INSERT INTO job_details(job_id, date, model, status) VALUES(?1, ?2, ?3, 'pending')";
static const char SQL_AUDIT[] =
    "INSERT INTO audit_log(timestamp, event, job_id, details) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_GET_JOB[] =
    "SELECT status, config_path, config_json, replace_existing FROM jobs WHERE job_id = ?1";
static const char SQL_GET_DAYS[] =
    "SELECT date, model, status FROM job_details WHERE job_id = ?1 ORDER BY date, id";
static const char SQL_NEXT_PENDING[] = "SELECT job_id FROM jobs WHERE status = 'pending'"
                                       " ORDER BY created_at, rowid LIMIT 1";
static const char SQL_PENDING_ID[] =
    "SELECT job_id FROM jobs WHERE status = 'pending' AND job_id = ?1";
static const char SQL_START_JOB[] =
    "UPDATE jobs SET status = 'running', started_at = coalesce(started_at, ?2), updated_at = ?2"
    " WHERE job_id = ?1 AND status = 'pending'";
/* Other jobs' results of a model from a re-run date on: a later day built
 * on a replaced day would be wrong. */
static const char SQL_REPLACE[] =
    "DELETE FROM positions WHERE job_id <> ?1 AND model = ?2 AND date >= ?3";
static const char SQL_RUNNING_JOBS[] = "SELECT job_id FROM jobs WHERE status = 'running'";
static const char SQL_RECOVER_DAYS[] =
    "UPDATE job_details SET status = 'pending', started_at = NULL"
    " WHERE job_id = ?1 AND status = 'running'";
/* A job whose cancellation was asked for does not run again. */
static const char SQL_RECOVER_JOB[] =
    "UPDATE jobs SET status = CASE WHEN cancel_requested_at IS NULL THEN 'pending'"
    " ELSE 'cancelled' END, completed_at = CASE WHEN cancel_requested_at IS NULL THEN NULL"
    " ELSE ?2 END, callback_status = CASE WHEN cancel_requested_at IS NULL"
    " OR callback_url IS NULL THEN callback_status ELSE 'pending' END,"
    " updated_at = ?2 WHERE job_id = ?1";
static const char SQL_DAY_START[] =
    "UPDATE job_details SET status = 'running', started_at = ?4, attempts = attempts + 1,"
    " completed_at = NULL, duration_seconds = NULL, error = NULL"
    " WHERE job_id = ?1 AND date = ?2 AND model = ?3 AND status = 'pending'"
    " AND EXISTS (SELECT 1 FROM jobs WHERE job_id = ?1 AND status = 'running'"
    " AND cancel_requested_at IS NULL)";
static const char SQL_DAY_COMPLETE[] =
    "UPDATE job_details SET status = 'completed', completed_at = ?4, duration_seconds = ?5"
    " WHERE job_id = ?1 AND date = ?2 AND model = ?3 AND status = 'running'";
static const char SQL_DAY_FAIL[] =
    "UPDATE job_details SET status = 'failed', completed_at = ?4, duration_seconds = ?5,"
    " error = ?6 WHERE job_id = ?1 AND date = ?2 AND model = ?3"
    " AND status IN ('pending','running')";
static const char SQL_TOUCH_JOB[] = "UPDATE jobs SET updated_at = ?2 WHERE job_id = ?1";
static const char SQL_JOB_TIMES[] =
    "SELECT status, coalesce(started_at, created_at), cancel_requested_at IS NOT NULL"
    " FROM jobs WHERE job_id = ?1";
static const char SQL_FAIL_LEFT[] =
    "UPDATE job_details SET status = 'failed', completed_at = ?2, error = ?3"
    " WHERE job_id = ?1 AND status IN ('pending','running')";
static const char SQL_COUNT_DAYS[] =
    "SELECT count(*) FILTER (WHERE status = 'completed'),"
    " count(*) FILTER (WHERE status = 'failed') FROM job_details WHERE job_id = ?1";
/* An ended job's callback becomes due (callback.h) in the same transaction. */
static const char SQL_END_JOB[] =
    "UPDATE jobs SET status = ?2, completed_at = ?3, updated_at = ?3,"
    " total_duration_seconds = ?4, error = ?5,"
    " callback_status = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END"
    " WHERE job_id = ?1";

/* --- small helpers -------------------------------------------------------- */

/* Fails with a reason for the HTTP layer, in functions that have the
 * parameters why, err and errlen: `return FAIL(JOBS_FAIL_DATE, "...", ...)`. */
#define FAIL(kind, ...) (*why = (kind), err_set(err, errlen, __VA_ARGS__))

int jobs_new_id(char out[JOB_ID_BUF], char *err, size_t errlen)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_set(err, errlen, "getrandom: %s", strerror(errno));
        got += (size_t)r;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, JOB_ID_BUF,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

/* A write transaction of our own, or a savepoint inside the caller's. */
static int tx_begin(struct db *db, bool *nested, char *err, size_t errlen)
{
    *nested = !sqlite3_get_autocommit(db->h);
    return *nested ? db_exec(db, "SAVEPOINT jobs_tx", err, errlen)
                   : db_begin_immediate(db, err, errlen);
}

static int tx_commit(struct db *db, bool nested, char *err, size_t errlen)
{
    return nested ? db_exec(db, "RELEASE jobs_tx", err, errlen) : db_commit(db, err, errlen);
}

static void tx_rollback(struct db *db, bool nested)
{
    if (nested)
        sqlite3_exec(db->h, "ROLLBACK TO jobs_tx; RELEASE jobs_tx", NULL, NULL, NULL);
    else
        db_rollback(db);
}

/* error as the database keeps it in out: without secrets (a provider's
 * message may quote the key or the endpoint), at most JOBS_ERROR_MAX bytes,
 * cut before a UTF-8 sequence rather than inside one. NULL stays NULL. */
static const char *stored_error(const char *error, char out[JOBS_ERROR_MAX + 1])
{
    if (!error)
        return NULL;
    redact_text(error, out, JOBS_ERROR_MAX + 1);
    return out;
}

/* Appends an audit_log row; details (may be NULL) is consumed. */
static int audit(struct db *db, const char *event, const char *job_id, json_object *details,
                 char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    int rc = -1;
    sqlite3_stmt *st = db_stmt(db, SQL_AUDIT, err, errlen);
    if (st) {
        time_now_iso(now);
        db_bind_text(st, 1, now);
        db_bind_text(st, 2, event);
        db_bind_text(st, 3, job_id);
        db_bind_text(st, 4,
                     details ? json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN)
                             : NULL);
        rc = db_step_done(db, st, "database write", err, errlen);
    }
    json_object_put(details);
    return rc;
}

static json_object *dates_json(const struct datelist *l)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < l->n; i++)
        json_object_array_add(a, json_object_new_string(l->d[i]));
    return a;
}

static json_object *models_json(char (*models)[CONFIG_SIGNATURE_MAX], size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < n; i++)
        json_object_array_add(a, json_object_new_string(models[i]));
    return a;
}

static int cmp_date(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static bool datelist_has(const struct datelist *l, const char *date)
{
    return l->n && bsearch(date, l->d, l->n, sizeof(*l->d), cmp_date) != NULL;
}

int jobs_max_concurrent(void)
{
    const char *v = getenv(JOBS_ENV_MAX_CONCURRENT);
    char *end = NULL;
    long n;
    if (!v || !*v)
        return 1;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || n < 1)
        return 1;
    return n > JOBS_MAX_CONCURRENT_LIMIT ? JOBS_MAX_CONCURRENT_LIMIT : (int)n;
}

/* --- the request ---------------------------------------------------------- */

void jobs_request_free(struct jobs_request *r)
{
    if (!r)
        return;
    free(r->config_path);
    free(r->callback_url);
    datelist_free(&r->dates);
    free(r->models);
    memset(r, 0, sizeof(*r));
}

static int parse_date_field(json_object *v, const char *key, char out[DATE_BUF],
                            enum jobs_fail *why, char *err, size_t errlen)
{
    char e[ERR_ECHO_BUF];
    if (!json_object_is_type(v, json_type_string))
        return FAIL(JOBS_FAIL_DATE, "%s must be a date in YYYY-MM-DD format", key);
    if (!date_valid(json_object_get_string(v)))
        return FAIL(JOBS_FAIL_DATE, "%s \"%s\" is not a real date in YYYY-MM-DD format", key,
                    err_echo(json_object_get_string(v), e));
    memcpy(out, json_object_get_string(v), DATE_BUF);
    return 0;
}

static int parse_date_range(json_object *v, struct jobs_request *r, enum jobs_fail *why, char *err,
                            size_t errlen)
{
    char key[48];
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
        json_object_array_length(v) > JOBS_DATES_MAX)
        return FAIL(JOBS_FAIL_REQUEST, "date_range must be an array of 1 to %d dates",
                    JOBS_DATES_MAX);
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char d[DATE_BUF];
        snprintf(key, sizeof(key), "date_range[%zu]", i);
        if (parse_date_field(json_object_array_get_idx(v, i), key, d, why, err, errlen) != 0)
            return -1;
        if (datelist_push(&r->dates, d) != 0)
            return FAIL(JOBS_FAIL_INTERNAL, "out of memory");
    }
    qsort(r->dates.d, r->dates.n, sizeof(*r->dates.d), cmp_date);
    size_t n = 1;
    for (size_t i = 1; i < r->dates.n; i++)
        if (strcmp(r->dates.d[i], r->dates.d[n - 1]) != 0)
            memcpy(r->dates.d[n++], r->dates.d[i], DATE_BUF);
    r->dates.n = n;
    r->has_dates = true;
    return 0;
}

static int parse_models(json_object *v, struct jobs_request *r, enum jobs_fail *why, char *err,
                        size_t errlen)
{
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (n == 0 || n > CONFIG_MODELS_MAX)
        return FAIL(JOBS_FAIL_REQUEST, "models must be an array of 1 to %d model signatures",
                    CONFIG_MODELS_MAX);
    r->models = calloc(n, sizeof(*r->models));
    if (!r->models)
        return FAIL(JOBS_FAIL_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(v, i);
        const char *s = json_object_get_string(m);
        char e[ERR_ECHO_BUF];
        if (!json_object_is_type(m, json_type_string) || !config_signature_valid(s))
            return FAIL(JOBS_FAIL_REQUEST, "models[%zu] \"%s\" is not a model signature", i,
                        err_echo(json_object_is_type(m, json_type_string) ? s : "", e));
        size_t j = 0;
        while (j < r->nmodels && strcmp(r->models[j], s) != 0)
            j++;
        if (j == r->nmodels)
            memcpy(r->models[r->nmodels++], s, strlen(s) + 1);
    }
    return 0;
}

static int parse_field(const char *key, json_object *v, struct jobs_request *r, enum jobs_fail *why,
                       char *err, size_t errlen)
{
    char e[ERR_ECHO_BUF];
    if (strcmp(key, "config_path") == 0) {
        const char *s = json_object_get_string(v);
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
            json_object_get_string_len(v) >= PATHS_MAX ||
            strlen(s) != (size_t)json_object_get_string_len(v))
            return FAIL(JOBS_FAIL_REQUEST, "config_path must be a non-empty path string");
        r->config_path = strdup(s);
        return r->config_path ? 0 : FAIL(JOBS_FAIL_INTERNAL, "out of memory");
    }
    if (strcmp(key, "start_date") == 0)
        return parse_date_field(v, key, r->start, why, err, errlen);
    if (strcmp(key, "end_date") == 0)
        return parse_date_field(v, key, r->end, why, err, errlen);
    if (strcmp(key, "date_range") == 0)
        return parse_date_range(v, r, why, err, errlen);
    if (strcmp(key, "models") == 0)
        return parse_models(v, r, why, err, errlen);
    if (strcmp(key, "callback_url") == 0) {
        char why_url[ERRBUF_SIZE];
        if (!json_object_is_type(v, json_type_string) ||
            strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
            return FAIL(JOBS_FAIL_REQUEST, "callback_url must be a URL string");
        if (callback_url_check(json_object_get_string(v), why_url, sizeof(why_url)) != 0)
            return FAIL(JOBS_FAIL_REQUEST, "%s", why_url);
        r->callback_url = strdup(json_object_get_string(v));
        return r->callback_url ? 0 : FAIL(JOBS_FAIL_INTERNAL, "out of memory");
    }
    if (strcmp(key, "replace_existing") == 0) {
        if (!json_object_is_type(v, json_type_boolean))
            return FAIL(JOBS_FAIL_REQUEST, "replace_existing must be true or false");
        r->replace_existing = json_object_get_boolean(v);
        return 0;
    }
    return FAIL(JOBS_FAIL_REQUEST,
                "unknown field \"%s\" (accepted: config_path, start_date, end_date, date_range, "
                "models, replace_existing, callback_url)",
                err_echo(key, e));
}

int jobs_request_parse(const char *body, size_t len, struct jobs_request *out, enum jobs_fail *why,
                       char *err, size_t errlen)
{
    struct jobs_request r = {0};
    json_object *root = NULL;
    char msg[ERRBUF_SIZE];
    size_t i = 0;
    int rc = -1;
    while (i < len && body[i] && strchr(" \t\r\n", body[i]))
        i++;
    if (i == len) { /* no body: a catch-up with every default */
        *out = r;
        return 0;
    }
    if (jsontext_parse_strict(body, len, &root, msg, sizeof(msg)) != 0)
        return FAIL(JOBS_FAIL_REQUEST, "request body is not valid JSON: %s", msg);
    if (!json_object_is_type(root, json_type_object)) {
        FAIL(JOBS_FAIL_REQUEST, "request body must be a JSON object");
        goto out;
    }
    json_object_object_foreach(root, key, val)
    {
        /* null means "not given", as an optional field would be */
        if (val && parse_field(key, val, &r, why, err, errlen) != 0)
            goto out;
    }
    if (r.has_dates && (r.start[0] || r.end[0])) {
        FAIL(JOBS_FAIL_REQUEST, "date_range cannot be combined with start_date or end_date");
        goto out;
    }
    if (r.start[0] && r.end[0] && strcmp(r.start, r.end) > 0) {
        FAIL(JOBS_FAIL_DATE, "start_date %s is after end_date %s", r.start, r.end);
        goto out;
    }
    *out = r;
    memset(&r, 0, sizeof(r));
    rc = 0;
out:
    jobs_request_free(&r);
    json_object_put(root);
    return rc;
}

/* --- planning ------------------------------------------------------------- */

void jobs_plan_free(struct jobs_plan *p)
{
    if (!p)
        return;
    free(p->days);
    datelist_free(&p->dates);
    free(p->models);
    memset(p, 0, sizeof(*p));
}

/* What planning knows about one model of the config. */
struct model_state {
    bool selected, used;
    char last[DATE_BUF];  /* last completed date outside active jobs, "" = none */
    struct datelist done; /* completed dates among the candidates (when skipping) */
};

static int select_models(const struct config *cfg, const struct jobs_request *req,
                         struct model_state *ms, enum jobs_fail *why, char *err, size_t errlen)
{
    char e[ERR_ECHO_BUF];
    size_t nsel = 0;
    for (size_t i = 0; i < req->nmodels; i++) {
        const struct config_model *m = config_find_model(cfg, req->models[i]);
        if (!m)
            return FAIL(JOBS_FAIL_REQUEST,
                        "unknown model \"%s\": the config has no model with that signature",
                        err_echo(req->models[i], e));
        ms[m - cfg->models].selected = true;
        nsel++;
    }
    for (size_t i = 0; !req->models && i < cfg->nmodels; i++) {
        ms[i].selected = cfg->models[i].enabled;
        nsel += ms[i].selected;
    }
    if (nsel == 0)
        return FAIL(JOBS_FAIL_REQUEST,
                    "the config enables no model; name the models to run in \"models\"");
    return 0;
}

/* Appends to msg (of size n) ", date", or "..." once it is full. */
static void list_date(char *msg, size_t n, size_t *count, const char *date)
{
    size_t len = strlen(msg);
    if (*count < LISTED_MAX)
        snprintf(msg + len, n - len, "%s%s", *count ? ", " : "", date);
    else if (*count == LISTED_MAX)
        snprintf(msg + len, n - len, ", ...");
    (*count)++;
}

/* An explicit date_range: every date after init_date, not in the future and
 * a trading day. */
static int check_listed(struct db *db, const struct config *cfg, const struct jobs_request *req,
                        const char *today, struct datelist *cand, enum jobs_fail *why, char *err,
                        size_t errlen)
{
    const struct datelist *l = &req->dates;
    char bad[LISTED_MAX * (DATE_LEN + 2) + 8] = "";
    size_t nbad = 0;
    if (strcmp(l->d[l->n - 1], today) > 0)
        return FAIL(JOBS_FAIL_DATE, "date %s is in the future (today is %s)", l->d[l->n - 1],
                    today);
    if (strcmp(l->d[0], cfg->init_date) <= 0)
        return FAIL(JOBS_FAIL_DATE,
                    "date %s is not after the config's init_date %s, which is never traded",
                    l->d[0], cfg->init_date);
    if (prices_trading_days(db, l->d[0], l->d[l->n - 1], cand, err, errlen) != 0)
        return -1; /* *why is still JOBS_FAIL_INTERNAL */
    for (size_t i = 0; i < l->n; i++)
        if (!datelist_has(cand, l->d[i]))
            list_date(bad, sizeof(bad), &nbad, l->d[i]);
    if (nbad == 1)
        return FAIL(JOBS_FAIL_DATE, "not a trading day (a weekend, or no prices in the store): %s",
                    bad);
    if (nbad)
        return FAIL(JOBS_FAIL_DATE,
                    "%zu dates are not trading days (weekends, or no prices in the store): %s",
                    nbad, bad);
    cand->n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (datelist_push(cand, l->d[i]) != 0)
            return err_set(err, errlen, "out of memory");
    return 0;
}

/* The dates a request may run on, before looking at what is done. */
static int candidate_dates(struct db *db, const struct config *cfg, const struct jobs_request *req,
                           const char *today, struct datelist *cand, enum jobs_fail *why, char *err,
                           size_t errlen)
{
    bool catch_up = !req->start[0] && !req->end[0];
    const char *end = req->end[0] ? req->end : today;
    char first[DATE_BUF];
    if (req->has_dates)
        return check_listed(db, cfg, req, today, cand, why, err, errlen);
    if (catch_up && strcmp(today, cfg->init_date) <= 0)
        return FAIL(JOBS_FAIL_REQUEST,
                    "the config's init_date %s is not before today (%s): nothing to simulate yet",
                    cfg->init_date, today);
    /* The config's end_date bounds only a catch-up: dates a request names
     * may go past it. */
    if (catch_up && cfg->end_date[0] && strcmp(cfg->end_date, today) < 0) {
        if (strcmp(cfg->end_date, cfg->init_date) <= 0)
            return FAIL(JOBS_FAIL_REQUEST,
                        "the config's end_date %s is its init_date, which is never traded: "
                        "nothing to simulate",
                        cfg->end_date);
        end = cfg->end_date;
    }
    if (strcmp(end, today) > 0)
        return FAIL(JOBS_FAIL_DATE, "end_date %s is in the future (today is %s)", end, today);
    if (req->start[0] && strcmp(req->start, today) > 0)
        return FAIL(JOBS_FAIL_DATE, "start_date %s is in the future (today is %s)", req->start,
                    today);
    if (strcmp(req->start[0] ? req->start : end, cfg->init_date) <= 0)
        return FAIL(JOBS_FAIL_DATE,
                    "%s %s is not after the config's init_date %s, which is never traded",
                    req->start[0] ? "start_date" : "end_date", req->start[0] ? req->start : end,
                    cfg->init_date);
    if (req->start[0]) {
        if (prices_trading_days(db, req->start, end, cand, err, errlen) != 0)
            return -1; /* *why is still JOBS_FAIL_INTERNAL */
        if (cand->n == 0)
            return FAIL(JOBS_FAIL_DATE, "no trading days between %s and %s in the price store",
                        req->start, end);
        return 0;
    }
    /* Catch-up: every trading day after init_date up to end. */
    int rc = prices_next_trading_day(db, cfg->init_date, first, err, errlen);
    if (rc < 0)
        return -1; /* *why is still JOBS_FAIL_INTERNAL */
    if (rc == 0)
        return FAIL(JOBS_FAIL_REQUEST,
                    "the price store has no trading day after init_date %s; import prices first",
                    cfg->init_date);
    if (strcmp(first, end) <= 0 && prices_trading_days(db, first, end, cand, err, errlen) != 0)
        return -1; /* *why is still JOBS_FAIL_INTERNAL */
    return 0;
}

/* Fills ms[i].last and, when completed days are to be skipped, ms[i].done. */
static int load_done(struct db *db, const struct config *cfg, const struct jobs_request *req,
                     const struct datelist *cand, struct model_state *ms, char *err, size_t errlen)
{
    bool skip = req->has_dates || req->start[0] ? !req->replace_existing : false;
    for (size_t i = 0; i < cfg->nmodels; i++) {
        if (!ms[i].selected)
            continue;
        sqlite3_stmt *st = db_stmt(db, SQL_LAST_DONE, err, errlen);
        if (!st)
            return -1;
        db_bind_text(st, 1, cfg->models[i].signature);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(ms[i].last, DATE_BUF, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            return db_error(db, "reading completed days", err, errlen);
        if (!skip || cand->n == 0)
            continue;
        st = db_stmt(db, SQL_DONE_BETWEEN, err, errlen);
        if (!st)
            return -1;
        db_bind_text(st, 1, cfg->models[i].signature);
        db_bind_text(st, 2, cand->d[0]);
        db_bind_text(st, 3, cand->d[cand->n - 1]);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (datelist_push(&ms[i].done, (const char *)sqlite3_column_text(st, 0)) != 0)
                break;
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return rc == SQLITE_ROW ? err_set(err, errlen, "out of memory")
                                    : db_error(db, "reading completed days", err, errlen);
    }
    return 0;
}

static bool wanted(const struct config *cfg, const struct jobs_request *req,
                   const struct model_state *m, const char *date)
{
    if (req->has_dates || req->start[0])
        return req->replace_existing || !datelist_has(&m->done, date);
    /* catch-up: after the model's last completed day, never on init_date */
    const char *from = strcmp(m->last, cfg->init_date) > 0 ? m->last : cfg->init_date;
    return strcmp(date, from) > 0;
}

static int plan_push(struct jobs_plan *p, const char *date, const char *model)
{
    if (p->ndays == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct jobs_day *d = realloc(p->days, cap * sizeof(*d));
        if (!d)
            return -1;
        p->days = d;
        p->cap = cap;
    }
    struct jobs_day *d = &p->days[p->ndays++];
    memcpy(d->date, date, DATE_BUF);
    snprintf(d->model, sizeof(d->model), "%s", model);
    snprintf(d->status, sizeof(d->status), "pending");
    return 0;
}

/* When nothing is left: the date all selected models have reached and the
 * trading day after it (the next weekday when the store has none yet). */
static int plan_reached(struct db *db, const struct config *cfg, const struct model_state *ms,
                        struct jobs_plan *p, char *err, size_t errlen)
{
    char next[DATE_BUF];
    bool all = true;
    for (size_t i = 0; i < cfg->nmodels; i++) {
        if (!ms[i].selected)
            continue;
        if (!ms[i].last[0])
            all = false;
        else if (!p->last_date[0] || strcmp(ms[i].last, p->last_date) < 0)
            memcpy(p->last_date, ms[i].last, DATE_BUF);
    }
    if (!all)
        p->last_date[0] = '\0';
    const char *base = p->last_date[0] ? p->last_date : cfg->init_date;
    int rc = prices_next_trading_day(db, base, next, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        memcpy(next, base, DATE_BUF);
        do
            date_add_days(next, 1, next);
        while (!date_is_weekday(next));
    }
    memcpy(p->next_day, next, DATE_BUF);
    return 0;
}

int jobs_plan(struct db *db, const struct config *cfg, const struct jobs_request *req,
              const char *today, struct jobs_plan *out, enum jobs_fail *why, char *err,
              size_t errlen)
{
    struct jobs_plan p = {0};
    struct datelist cand = {0};
    struct model_state *ms = calloc(cfg->nmodels, sizeof(*ms));
    int rc = -1;
    *why = JOBS_FAIL_INTERNAL;
    if (!ms)
        return err_set(err, errlen, "out of memory");
    if (select_models(cfg, req, ms, why, err, errlen) != 0 ||
        candidate_dates(db, cfg, req, today, &cand, why, err, errlen) != 0)
        goto out;
    *why = JOBS_FAIL_INTERNAL;
    if (load_done(db, cfg, req, &cand, ms, err, errlen) != 0)
        goto out;
    for (size_t d = 0; d < cand.n; d++) {
        size_t before = p.ndays;
        for (size_t i = 0; i < cfg->nmodels; i++) {
            if (!ms[i].selected || !wanted(cfg, req, &ms[i], cand.d[d]))
                continue;
            if (plan_push(&p, cand.d[d], cfg->models[i].signature) != 0) {
                err_set(err, errlen, "out of memory");
                goto out;
            }
            ms[i].used = true;
        }
        if (p.ndays > before && datelist_push(&p.dates, cand.d[d]) != 0) {
            err_set(err, errlen, "out of memory");
            goto out;
        }
    }
    p.models = calloc(cfg->nmodels, sizeof(*p.models));
    if (!p.models) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < cfg->nmodels; i++)
        if (ms[i].used)
            memcpy(p.models[p.nmodels++], cfg->models[i].signature, CONFIG_SIGNATURE_MAX);
    if (p.ndays == 0 && plan_reached(db, cfg, ms, &p, err, errlen) != 0)
        goto out;
    *out = p;
    memset(&p, 0, sizeof(p));
    rc = 0;
out:
    for (size_t i = 0; i < cfg->nmodels; i++)
        datelist_free(&ms[i].done);
    free(ms);
    datelist_free(&cand);
    jobs_plan_free(&p);
    return rc;
}

/* --- the trigger ---------------------------------------------------------- */

void jobs_answer_free(struct jobs_answer *a)
{
    if (!a)
        return;
    json_object_put(a->date_range);
    json_object_put(a->models);
    memset(a, 0, sizeof(*a));
}

/* The string at index i of a JSON array, "" when it is not a string. */
static const char *str_at(json_object *arr, size_t i)
{
    json_object *v = json_object_array_get_idx(arr, i);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* A stored JSON column parsed; NULL when absent or not JSON. Caller puts. */
static json_object *column_json(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s ? json_tokener_parse(s) : NULL;
}

/* True when the JSON array of strings arr holds exactly the n names. */
static bool same_set(json_object *arr, const char *names, size_t stride, size_t n)
{
    if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; !found && j < n; j++)
            found = strcmp(str_at(arr, j), names + i * stride) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* True when the JSON array arr names one of the plan's models. */
static bool shares_model(json_object *arr, const struct jobs_plan *p)
{
    for (size_t j = 0;
         json_object_is_type(arr, json_type_array) && j < json_object_array_length(arr); j++)
        for (size_t i = 0; i < p->nmodels; i++)
            if (strcmp(str_at(arr, j), p->models[i]) == 0)
                return true;
    return false;
}

/* Decides against the active jobs: RUNNING or CONFLICT fill a and return 1;
 * 0 when the plan may become a new job. */
static int check_active(struct db *db, const struct jobs_plan *p, int max_concurrent,
                        struct jobs_answer *a, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_ACTIVE, err, errlen);
    int nactive = 0, rc, decided = 0;
    char oldest[JOB_ID_BUF] = "";
    json_object *oldest_range = NULL;
    if (!st)
        return -1;
    while (!decided && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        json_object *range = column_json(st, 1);
        json_object *models = column_json(st, 2);
        if (same_set(range, p->dates.d[0], sizeof(*p->dates.d), p->dates.n) &&
            same_set(models, p->models[0], sizeof(*p->models), p->nmodels)) {
            a->outcome = JOBS_RUNNING;
            decided = 1;
        } else if (shares_model(models, p)) {
            a->outcome = JOBS_CONFLICT;
            a->date_range = json_object_get(range);
            decided = 1;
        }
        if (decided)
            snprintf(a->job_id, sizeof(a->job_id), "%s", id);
        if (nactive++ == 0) {
            snprintf(oldest, sizeof(oldest), "%s", id);
            oldest_range = json_object_get(range);
        }
        json_object_put(range);
        json_object_put(models);
    }
    if (!decided && rc != SQLITE_DONE) {
        sqlite3_reset(st);
        json_object_put(oldest_range);
        return db_error(db, "reading active jobs", err, errlen);
    }
    sqlite3_reset(st);
    if (!decided && nactive >= max_concurrent) {
        a->outcome = JOBS_CONFLICT;
        memcpy(a->job_id, oldest, JOB_ID_BUF);
        a->date_range = json_object_get(oldest_range);
        decided = 1;
    }
    json_object_put(oldest_range);
    return decided;
}

static int insert_job(struct db *db, const struct jobs_request *req, const char *config_path,
                      const struct config *cfg, const struct jobs_plan *p, struct jobs_answer *a,
                      char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (jobs_new_id(a->job_id, err, errlen) != 0)
        return -1;
    time_now_iso(a->created_at);
    a->date_range = dates_json(&p->dates);
    a->models = models_json(p->models, p->nmodels);
    a->total_model_days = p->ndays;
    if (!a->date_range || !a->models)
        return err_set(err, errlen, "out of memory");
    if (!(st = db_stmt(db, SQL_INSERT_JOB, err, errlen)))
        return -1;
    db_bind_text(st, 1, a->job_id);
    db_bind_text(st, 2, config_path);
    db_bind_text(st, 3, cfg->snapshot);
    db_bind_text(st, 4, json_object_to_json_string_ext(a->date_range, JSON_C_TO_STRING_PLAIN));
    db_bind_text(st, 5, json_object_to_json_string_ext(a->models, JSON_C_TO_STRING_PLAIN));
    sqlite3_bind_int(st, 6, req->replace_existing);
    db_bind_text(st, 7, a->created_at);
    db_bind_text(st, 8, req->callback_url);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < p->ndays; i++) {
        if (!(st = db_stmt(db, SQL_INSERT_DAY, err, errlen)))
            return -1;
        db_bind_text(st, 1, a->job_id);
        db_bind_text(st, 2, p->days[i].date);
        db_bind_text(st, 3, p->days[i].model);
        if (db_step_done(db, st, "database write", err, errlen) != 0)
            return -1;
    }
    json_object *d = json_object_new_object();
    if (d) {
        json_object_object_add(d, "config_path", json_object_new_string(config_path));
        json_object_object_add(d, "date_range", json_object_get(a->date_range));
        json_object_object_add(d, "models", json_object_get(a->models));
        json_object_object_add(d, "total_model_days", json_object_new_int64((int64_t)p->ndays));
        json_object_object_add(d, "replace_existing",
                               json_object_new_boolean(req->replace_existing));
    }
    return audit(db, "job_created", a->job_id, d, err, errlen);
}

int jobs_trigger(struct db *db, const struct jobs_request *req, const struct jobs_env *env,
                 struct jobs_answer *out, enum jobs_fail *why, char *err, size_t errlen)
{
    char path[PATHS_MAX], msg[ERRBUF_SIZE], e[ERR_ECHO_BUF];
    const char *given = req->config_path ? req->config_path : CONFIG_DEFAULT_PATH;
    struct config cfg = {0};
    struct jobs_plan plan = {0};
    struct jobs_answer a = {0};
    int rc = -1;
    *why = JOBS_FAIL_REQUEST;
    if (paths_confine(env->configs_dir, given, path, sizeof(path), msg, sizeof(msg)) != 0)
        return err_set(err, errlen, "config_path \"%s\" %s", err_echo(given, e), msg);
    if (config_load(path, &cfg, msg, sizeof(msg)) != 0)
        return err_set(err, errlen, "config %s is not usable: %s", err_echo(given, e), msg);
    *why = JOBS_FAIL_INTERNAL;
    if (db_begin_immediate(db, err, errlen) != 0)
        goto out;
    if (jobs_plan(db, &cfg, req, env->today, &plan, why, err, errlen) != 0)
        goto out;
    *why = JOBS_FAIL_INTERNAL;
    if (plan.ndays == 0) {
        a.outcome = JOBS_UP_TO_DATE;
        memcpy(a.last_date, plan.last_date, DATE_BUF);
        memcpy(a.next_day, plan.next_day, DATE_BUF);
    } else {
        int decided = check_active(db, &plan, env->max_concurrent, &a, err, errlen);
        if (decided < 0)
            goto out;
        if (!decided) {
            a.outcome = JOBS_ACCEPTED;
            if (insert_job(db, req, path, &cfg, &plan, &a, err, errlen) != 0 ||
                dataver_bump(db, err, errlen) != 0 || db_commit(db, err, errlen) != 0)
                goto out;
        }
    }
    db_rollback(db); /* a no-op after the commit; a refusal writes nothing */
    *out = a;
    memset(&a, 0, sizeof(a));
    rc = 0;
out:
    if (rc != 0)
        db_rollback(db);
    jobs_answer_free(&a);
    jobs_plan_free(&plan);
    config_free(&cfg);
    return rc;
}

static json_object *date_or_null(const char *d)
{
    return d[0] ? json_object_new_string(d) : NULL;
}

json_object *jobs_answer_json(const struct jobs_answer *a)
{
    json_object *o = a->outcome == JOBS_RUNNING ? NULL : json_object_new_object();
    if (!o)
        return NULL;
    switch (a->outcome) {
    case JOBS_ACCEPTED:
        json_object_object_add(o, "job_id", json_object_new_string(a->job_id));
        json_object_object_add(o, "status", json_object_new_string("accepted"));
        json_object_object_add(o, "date_range", json_object_get(a->date_range));
        json_object_object_add(o, "models", json_object_get(a->models));
        json_object_object_add(o, "total_model_days",
                               json_object_new_int64((int64_t)a->total_model_days));
        json_object_object_add(o, "created_at", json_object_new_string(a->created_at));
        json_object_object_add(o, "message",
                               json_object_new_string("Simulation job queued successfully"));
        break;
    case JOBS_UP_TO_DATE:
        json_object_object_add(o, "status", json_object_new_string("current"));
        json_object_object_add(o, "message",
                               json_object_new_string("Simulation already up-to-date"));
        json_object_object_add(o, "last_simulation_date", date_or_null(a->last_date));
        json_object_object_add(o, "next_trading_day", date_or_null(a->next_day));
        break;
    case JOBS_CONFLICT:
        json_object_object_add(o, "error", json_object_new_string("conflict"));
        json_object_object_add(o, "message",
                               json_object_new_string("Different simulation already running"));
        json_object_object_add(o, "current_job_id", json_object_new_string(a->job_id));
        json_object_object_add(o, "current_date_range", json_object_get(a->date_range));
        break;
    case JOBS_RUNNING:
        break;
    }
    return o;
}

/* --- the daemon's side ---------------------------------------------------- */

void jobs_job_free(struct jobs_job *j)
{
    if (!j)
        return;
    free(j->config_path);
    free(j->config_json);
    free(j->days);
    memset(j, 0, sizeof(*j));
}

static int load_days(struct db *db, struct jobs_job *j, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_GET_DAYS, err, errlen);
    size_t cap = 0;
    int rc;
    if (!st)
        return -1;
    db_bind_text(st, 1, j->job_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (j->ndays == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            struct jobs_day *d = realloc(j->days, ncap * sizeof(*d));
            if (!d)
                break;
            j->days = d;
            cap = ncap;
        }
        struct jobs_day *d = &j->days[j->ndays++];
        snprintf(d->date, sizeof(d->date), "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(d->model, sizeof(d->model), "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(d->status, sizeof(d->status), "%s", (const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return err_set(err, errlen, "out of memory");
    return rc == SQLITE_DONE ? 0 : db_error(db, "reading job details", err, errlen);
}

/* *out = a copy of the column (NULL stays NULL); -1 when out of memory. */
static int column_dup(sqlite3_stmt *st, int col, char **out)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

int jobs_get(struct db *db, const char *job_id, struct jobs_job *out, char *err, size_t errlen)
{
    struct jobs_job j = {0};
    sqlite3_stmt *st;
    int rc = -1, nomem = 0;
    if (strlen(job_id) >= JOB_ID_BUF)
        return 0; /* no stored id is that long */
    if (!(st = db_stmt(db, SQL_GET_JOB, err, errlen)))
        return -1;
    db_bind_text(st, 1, job_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        memcpy(j.job_id, job_id, strlen(job_id) + 1);
        snprintf(j.status, sizeof(j.status), "%s", (const char *)sqlite3_column_text(st, 0));
        nomem = column_dup(st, 1, &j.config_path) | column_dup(st, 2, &j.config_json);
        j.replace_existing = sqlite3_column_int(st, 3) != 0;
    }
    sqlite3_reset(st);
    if (step == SQLITE_DONE)
        return 0;
    if (step != SQLITE_ROW) {
        db_error(db, "reading job", err, errlen);
        goto out;
    }
    if (nomem) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    if (load_days(db, &j, err, errlen) != 0)
        goto out;
    *out = j;
    memset(&j, 0, sizeof(j));
    rc = 1;
out:
    jobs_job_free(&j);
    return rc;
}

/* Claims want (a job id), or the oldest pending job when want is NULL. */
static int claim(struct db *db, const char *want, char job_id[JOB_ID_BUF], char *err, size_t errlen)
{
    char id[JOB_ID_BUF] = "", now[TIMESTAMP_BUF];
    bool nested;
    sqlite3_stmt *st;
    int rc = -1;
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    if (!(st = db_stmt(db, want ? SQL_PENDING_ID : SQL_NEXT_PENDING, err, errlen)))
        goto out;
    if (want)
        db_bind_text(st, 1, want);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        snprintf(id, sizeof(id), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE ? 0 : db_error(db, "reading pending jobs", err, errlen);
        goto out;
    }
    time_now_iso(now);
    if (!(st = db_stmt(db, SQL_START_JOB, err, errlen)))
        goto out;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, now);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        goto out;
    if (audit(db, "job_started", id, NULL, err, errlen) != 0 ||
        dataver_bump(db, err, errlen) != 0 || tx_commit(db, nested, err, errlen) != 0)
        goto out;
    memcpy(job_id, id, JOB_ID_BUF);
    return 1;
out:
    tx_rollback(db, nested);
    return rc;
}

int jobs_replace_results(struct db *db, const char *job_id, const char *model, const char *date,
                         char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_REPLACE, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, model);
    db_bind_text(st, 3, date);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        return -1;
    sqlite3_int64 n = sqlite3_changes64(db->h);
    if (n == 0)
        return 0;
    json_object *d = json_object_new_object();
    if (d) {
        json_object_object_add(d, "model", json_object_new_string(model));
        json_object_object_add(d, "from_date", json_object_new_string(date));
        json_object_object_add(d, "positions_deleted", json_object_new_int64(n));
    }
    return audit(db, "results_replaced", job_id, d, err, errlen);
}

int jobs_claim_next(struct db *db, char job_id[JOB_ID_BUF], char *err, size_t errlen)
{
    return claim(db, NULL, job_id, err, errlen);
}

int jobs_claim(struct db *db, const char *job_id, char *err, size_t errlen)
{
    char id[JOB_ID_BUF];
    return claim(db, job_id, id, err, errlen);
}

int jobs_recover(struct db *db, int *n, char *err, size_t errlen)
{
    char(*list)[JOB_ID_BUF] = NULL;
    size_t nids = 0, cap = 0;
    char now[TIMESTAMP_BUF];
    bool nested;
    sqlite3_stmt *st;
    int rc = -1, step;
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    if (!(st = db_stmt(db, SQL_RUNNING_JOBS, err, errlen)))
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (nids == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char(*l)[JOB_ID_BUF] = realloc(list, ncap * sizeof(*l));
            if (!l)
                break;
            list = l;
            cap = ncap;
        }
        snprintf(list[nids++], JOB_ID_BUF, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) {
        if (step == SQLITE_ROW)
            err_set(err, errlen, "out of memory");
        else
            db_error(db, "reading running jobs", err, errlen);
        goto out;
    }
    time_now_iso(now);
    for (size_t i = 0; i < nids; i++) {
        if (!(st = db_stmt(db, SQL_RECOVER_DAYS, err, errlen)))
            goto out;
        db_bind_text(st, 1, list[i]);
        if (db_step_done(db, st, "database write", err, errlen) != 0)
            goto out;
        json_object *d = json_object_new_object();
        if (d)
            json_object_object_add(d, "interrupted_model_days",
                                   json_object_new_int64(sqlite3_changes64(db->h)));
        if (!(st = db_stmt(db, SQL_RECOVER_JOB, err, errlen))) {
            json_object_put(d);
            goto out;
        }
        db_bind_text(st, 1, list[i]);
        db_bind_text(st, 2, now);
        if (db_step_done(db, st, "database write", err, errlen) != 0) {
            json_object_put(d);
            goto out;
        }
        if (audit(db, "job_recovered", list[i], d, err, errlen) != 0)
            goto out;
    }
    if ((nids && dataver_bump(db, err, errlen) != 0) || tx_commit(db, nested, err, errlen) != 0)
        goto out;
    *n = (int)nids;
    rc = 0;
out:
    if (rc != 0)
        tx_rollback(db, nested);
    free(list);
    return rc;
}

/* One model-day transition: sql binds ?1 job, ?2 date, ?3 model, ?4 now and,
 * when it has them, ?5 duration and ?6 error; then the job's updated_at and
 * an audit row, all in one transaction or savepoint. */
static int day_transition(struct db *db, const char *sql, const char *event, const char *job_id,
                          const char *date, const char *model, double duration, const char *error,
                          const char *expected, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF], e[ERR_ECHO_BUF], clean[JOBS_ERROR_MAX + 1];
    bool nested;
    sqlite3_stmt *st;
    error = stored_error(error, clean);
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    time_now_iso(now);
    if (!(st = db_stmt(db, sql, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, date);
    db_bind_text(st, 3, model);
    db_bind_text(st, 4, now);
    if (sqlite3_bind_parameter_count(st) >= 5) {
        if (duration < 0)
            sqlite3_bind_null(st, 5);
        else
            sqlite3_bind_double(st, 5, duration);
    }
    if (sqlite3_bind_parameter_count(st) >= 6 && error)
        sqlite3_bind_text(st, 6, error, -1, SQLITE_TRANSIENT);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        goto fail;
    if (sqlite3_changes(db->h) != 1) {
        err_set(err, errlen, "model-day %s %s of job %s is not %s", date, err_echo(model, e),
                job_id, expected);
        goto fail;
    }
    if (!(st = db_stmt(db, SQL_TOUCH_JOB, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, now);
    json_object *d = json_object_new_object();
    if (d) {
        json_object_object_add(d, "date", json_object_new_string(date));
        json_object_object_add(d, "model", json_object_new_string(model));
        if (duration >= 0)
            json_object_object_add(d, "duration_seconds", json_object_new_double(duration));
        if (error)
            json_object_object_add(d, "error", json_object_new_string(error));
    }
    if (db_step_done(db, st, "database write", err, errlen) != 0) {
        json_object_put(d);
        goto fail;
    }
    if (audit(db, event, job_id, d, err, errlen) != 0 || dataver_bump(db, err, errlen) != 0 ||
        tx_commit(db, nested, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    tx_rollback(db, nested);
    return -1;
}

int jobs_day_start(struct db *db, const char *job_id, const char *date, const char *model,
                   char *err, size_t errlen)
{
    return day_transition(db, SQL_DAY_START, "model_day_started", job_id, date, model, -1.0, NULL,
                          "pending in a running job", err, errlen);
}

int jobs_day_complete(struct db *db, const char *job_id, const char *date, const char *model,
                      double duration_seconds, char *err, size_t errlen)
{
    return day_transition(db, SQL_DAY_COMPLETE, "model_day_completed", job_id, date, model,
                          duration_seconds, NULL, "running", err, errlen);
}

int jobs_day_fail(struct db *db, const char *job_id, const char *date, const char *model,
                  const char *error, double duration_seconds, char *err, size_t errlen)
{
    return day_transition(db, SQL_DAY_FAIL, "model_day_failed", job_id, date, model,
                          duration_seconds, error ? error : "failed", "pending or running", err,
                          errlen);
}

int jobs_finish(struct db *db, const char *job_id, const char *error, char status[JOB_STATUS_BUF],
                char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF], since[TIMESTAMP_BUF] = "", cur[JOB_STATUS_BUF] = "";
    char clean[JOBS_ERROR_MAX + 1];
    long long done = 0, failed = 0, left = 0;
    const char *final;
    bool nested, cancel = false;
    sqlite3_stmt *st;
    error = stored_error(error, clean);
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    time_now_iso(now);
    if (!(st = db_stmt(db, SQL_JOB_TIMES, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(cur, sizeof(cur), "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(since, sizeof(since), "%s", (const char *)sqlite3_column_text(st, 1));
        cancel = sqlite3_column_int(st, 2) != 0;
    }
    sqlite3_reset(st);
    if (strcmp(cur, "running") != 0) {
        err_set(err, errlen, "job %s is not running", job_id);
        goto fail;
    }
    /* A cancelled job's unstarted model-days stay pending: they never ran. */
    if (!cancel) {
        if (!(st = db_stmt(db, SQL_FAIL_LEFT, err, errlen)))
            goto fail;
        db_bind_text(st, 1, job_id);
        db_bind_text(st, 2, now);
        const char *why_left = error ? error : "not run";
        sqlite3_bind_text(st, 3, why_left, -1, SQLITE_TRANSIENT);
        if (db_step_done(db, st, "database write", err, errlen) != 0)
            goto fail;
        left = sqlite3_changes(db->h);
    }
    if (!(st = db_stmt(db, SQL_COUNT_DAYS, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        done = sqlite3_column_int64(st, 0);
        failed = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    final = cancel ? "cancelled" : failed == 0 ? "completed" : done == 0 ? "failed" : "partial";
    if (!(st = db_stmt(db, SQL_END_JOB, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    db_bind_text(st, 2, final);
    db_bind_text(st, 3, now);
    double secs = time_iso_diff(since, now);
    if (secs < 0)
        sqlite3_bind_null(st, 4);
    else
        sqlite3_bind_double(st, 4, secs);
    if (error)
        sqlite3_bind_text(st, 5, error, -1, SQLITE_TRANSIENT);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        goto fail;
    json_object *d = json_object_new_object();
    if (d) {
        json_object_object_add(d, "status", json_object_new_string(final));
        json_object_object_add(d, "completed", json_object_new_int64(done));
        json_object_object_add(d, "failed", json_object_new_int64(failed));
        json_object_object_add(d, "not_run", json_object_new_int64(left));
    }
    if (audit(db, "job_finished", job_id, d, err, errlen) != 0 ||
        dataver_bump(db, err, errlen) != 0 || tx_commit(db, nested, err, errlen) != 0)
        goto fail;
    if (status)
        snprintf(status, JOB_STATUS_BUF, "%s", final);
    return 0;
fail:
    tx_rollback(db, nested);
    return -1;
}

/* --- cancellation (CONTRACT section 8) ------------------------------------ */

static const char SQL_CANCEL_STATE[] = "SELECT status FROM jobs WHERE job_id = ?1";
static const char SQL_CANCEL_PENDING[] =
    "UPDATE jobs SET status = 'cancelled', cancel_requested_at = ?2, completed_at = ?2,"
    " updated_at = ?2, callback_status = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' "
    "END"
    " WHERE job_id = ?1 AND status = 'pending'";
static const char SQL_CANCEL_RUNNING[] =
    "UPDATE jobs SET cancel_requested_at = ?2, updated_at = ?2"
    " WHERE job_id = ?1 AND status = 'running' AND cancel_requested_at IS NULL";
static const char SQL_CANCEL_ASKED[] =
    "SELECT cancel_requested_at IS NOT NULL FROM jobs WHERE job_id = ?1";

int jobs_cancel(struct db *db, const char *job_id, enum jobs_cancel_outcome *out, char *err,
                size_t errlen)
{
    char now[TIMESTAMP_BUF], cur[JOB_STATUS_BUF] = "";
    enum jobs_cancel_outcome res = JOBS_CANCEL_NOT_FOUND;
    bool nested;
    sqlite3_stmt *st;
    int step;
    if (tx_begin(db, &nested, err, errlen) != 0)
        return -1;
    if (!(st = db_stmt(db, SQL_CANCEL_STATE, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        snprintf(cur, sizeof(cur), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        db_error(db, "reading the job", err, errlen);
        goto fail;
    }
    if (strcmp(cur, "pending") == 0 || strcmp(cur, "running") == 0) {
        bool pending = cur[0] == 'p';
        time_now_iso(now);
        if (!(st = db_stmt(db, pending ? SQL_CANCEL_PENDING : SQL_CANCEL_RUNNING, err, errlen)))
            goto fail;
        db_bind_text(st, 1, job_id);
        db_bind_text(st, 2, now);
        if (db_step_done(db, st, "database write", err, errlen) != 0 ||
            (sqlite3_changes(db->h) == 1 &&
             (audit(db, pending ? "job_cancelled" : "job_cancel_requested", job_id, NULL, err,
                    errlen) != 0 ||
              dataver_bump(db, err, errlen) != 0)))
            goto fail;
        res = pending ? JOBS_CANCEL_DONE : JOBS_CANCEL_REQUESTED;
    } else if (*cur) {
        res = JOBS_CANCEL_FINISHED;
    }
    if (tx_commit(db, nested, err, errlen) != 0)
        goto fail;
    *out = res;
    return 0;
fail:
    tx_rollback(db, nested);
    return -1;
}

int jobs_cancel_requested(struct db *db, const char *job_id, bool *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_CANCEL_ASKED, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    int step = sqlite3_step(st);
    bool asked = step == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_error(db, "reading the job", err, errlen);
    *out = asked;
    return 0;
}
