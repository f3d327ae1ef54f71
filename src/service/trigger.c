/* trigger: see trigger.h. Planning and the checks against the active jobs
 * run inside the trigger's write transaction, so two triggers (from any
 * number of processes) see each other's jobs. */
#include "service/trigger.h"

#include "base/env.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/paths.h"
#include "service/audit.h"
#include "service/jobplan.h"
#include "store/dataver.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int trigger_max_concurrent(void)
{
    long n = env_long(TRIGGER_ENV_MAX_CONCURRENT, 1, 1, LONG_MAX);
    return n > TRIGGER_MAX_CONCURRENT_LIMIT ? TRIGGER_MAX_CONCURRENT_LIMIT : (int)n;
}

void trigger_answer_free(struct trigger_answer *a)
{
    if (!a)
        return;
    json_object_put(a->date_range);
    json_object_put(a->models);
    memset(a, 0, sizeof(*a));
}

/* A new empty object (mem.h: no allocation failure returns). */
/* The JSON array of n strings, stride bytes apart from first. */
static json_object *strings_json(const char *first, size_t stride, size_t n)
{
    json_object *a = json_new_array();
    for (size_t i = 0; i < n; i++)
        json_push(a, json_object_new_string(first + i * stride));
    return a;
}

/* The string at index i of a JSON array, "" when it is not a string. */
static const char *str_at(json_object *arr, size_t i)
{
    json_object *v = json_object_array_get_idx(arr, i);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
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
static bool shares_model(json_object *arr, const struct jobplan *p)
{
    for (size_t j = 0;
         json_object_is_type(arr, json_type_array) && j < json_object_array_length(arr); j++)
        for (size_t i = 0; i < p->nmodels; i++)
            if (strcmp(str_at(arr, j), p->models[i]) == 0)
                return true;
    return false;
}

/* A stored JSON array text parsed; NULL when absent or not JSON. Caller puts. */
static json_object *parsed(const char *text)
{
    return text ? json_tokener_parse(text) : NULL;
}

/* Decides the plan against one active job: true with a filled for RUNNING
 * (the same dates and models) or CONFLICT (a shared model). */
static bool against(const struct jobs_active *j, const struct jobplan *p, struct trigger_answer *a)
{
    json_object *range = parsed(j->date_range), *models = parsed(j->models);
    bool decided = true;
    if (same_set(range, p->dates.d[0], sizeof(*p->dates.d), p->dates.n) &&
        same_set(models, p->models[0], sizeof(*p->models), p->nmodels))
        a->outcome = TRIGGER_RUNNING;
    else if (shares_model(models, p)) {
        a->outcome = TRIGGER_CONFLICT;
        a->date_range = json_object_get(range);
    } else
        decided = false;
    if (decided)
        snprintf(a->job_id, sizeof(a->job_id), "%s", j->job_id);
    json_object_put(range);
    json_object_put(models);
    return decided;
}

/* Decides against the active jobs: *decided and a filled for RUNNING or
 * CONFLICT (the oldest active job when the limit is reached); *decided false
 * when the plan may become a new job. */
static int check_active(struct db *db, const struct jobplan *p, int max_concurrent,
                        struct trigger_answer *a, bool *decided, char *err, size_t errlen)
{
    struct jobs_active *active;
    size_t n;
    if (jobs_list_active(db, &active, &n, err, errlen) != 0)
        return -1;
    *decided = false;
    for (size_t i = 0; !*decided && i < n; i++)
        *decided = against(&active[i], p, a);
    if (!*decided && (long long)n >= max_concurrent) {
        a->outcome = TRIGGER_CONFLICT;
        snprintf(a->job_id, sizeof(a->job_id), "%s", n ? active[0].job_id : "");
        a->date_range = n ? parsed(active[0].date_range) : NULL;
        *decided = true;
    }
    jobs_active_free(active, n);
    return 0;
}

/* The new job of plan p into the database and a, audited 'job_created'. */
static int create_job(struct db *db, const struct jobreq *req, const char *config_path,
                      const struct config *cfg, const struct jobplan *p, struct trigger_answer *a,
                      char *err, size_t errlen)
{
    if (jobs_new_id(a->job_id, err, errlen) != 0)
        return -1;
    time_now_iso(a->created_at);
    a->date_range = strings_json(p->dates.d[0], sizeof(*p->dates.d), p->dates.n);
    a->models = strings_json(p->models[0], sizeof(*p->models), p->nmodels);
    a->total_model_days = p->ndays;
    struct jobs_new job = {
        .job_id = a->job_id,
        .config_path = config_path,
        .config_json = cfg->snapshot,
        .date_range = json_object_to_json_string_ext(a->date_range, JSON_C_TO_STRING_PLAIN),
        .models = json_object_to_json_string_ext(a->models, JSON_C_TO_STRING_PLAIN),
        .replace_existing = req->replace_existing,
        .created_at = a->created_at,
        .callback_url = req->callback_url,
        .days = p->days,
        .ndays = p->ndays,
    };
    if (jobs_insert(db, &job, err, errlen) != 0)
        return -1;
    json_object *d = json_new_object();
    json_put(d, "config_path", json_object_new_string(config_path));
    json_put(d, "date_range", json_object_get(a->date_range));
    json_put(d, "models", json_object_get(a->models));
    json_put(d, "total_model_days", json_object_new_int64((int64_t)p->ndays));
    json_put(d, "replace_existing", json_object_new_boolean(req->replace_existing));
    return audit_job_event(db, "job_created", a->job_id, d, err, errlen);
}

/* Inside the trigger's transaction: the answer to plan, committing a new job. */
static int decide(struct db *db, const struct jobreq *req, const char *path,
                  const struct config *cfg, const struct jobplan *plan, int max_concurrent,
                  struct trigger_answer *a, char *err, size_t errlen)
{
    bool decided = false;
    if (plan->ndays == 0) {
        a->outcome = TRIGGER_UP_TO_DATE;
        memcpy(a->last_date, plan->last_date, DATE_BUF);
        memcpy(a->next_day, plan->next_day, DATE_BUF);
        return 0;
    }
    if (check_active(db, plan, max_concurrent, a, &decided, err, errlen) != 0)
        return -1;
    if (decided)
        return 0;
    a->outcome = TRIGGER_ACCEPTED;
    if (create_job(db, req, path, cfg, plan, a, err, errlen) != 0 ||
        dataver_bump(db, err, errlen) != 0 || db_commit(db, err, errlen) != 0)
        return -1;
    return 0;
}

int trigger_run(struct db *db, const struct jobreq *req, const struct trigger_env *env,
                struct trigger_answer *out, enum jobreq_fail *why, char *err, size_t errlen)
{
    char path[PATHS_MAX], msg[ERRBUF_SIZE], e[ERR_ECHO_BUF];
    const char *given = req->config_path ? req->config_path : CONFIG_DEFAULT_PATH;
    struct config cfg = {0};
    struct jobplan plan = {0};
    struct trigger_answer a = {0};
    char *active = NULL;
    int rc = -1;
    *why = JOBREQ_FAIL_REQUEST;
    if (paths_confine(env->configs_dir, given, path, sizeof(path), msg, sizeof(msg)) != 0)
        return err_set(err, errlen, "config_path \"%s\" %s", err_echo(given, e), msg);
    if (config_load(path, &cfg, msg, sizeof(msg)) != 0)
        return err_set(err, errlen, "config %s is not usable: %s", err_echo(given, e), msg);
    *why = JOBREQ_FAIL_INTERNAL;
    if (db_begin_immediate(db, err, errlen) != 0)
        goto out;
    if (jobs_active_ids(db, &active, err, errlen) != 0 ||
        jobplan_build(db, &cfg, req, env->today, active, &plan, why, err, errlen) != 0)
        goto out;
    *why = JOBREQ_FAIL_INTERNAL;
    if (decide(db, req, path, &cfg, &plan, env->max_concurrent, &a, err, errlen) != 0)
        goto out;
    db_rollback(db); /* a no-op after the commit; a refusal writes nothing */
    *out = a;
    memset(&a, 0, sizeof(a));
    rc = 0;
out:
    if (rc != 0)
        db_rollback(db);
    trigger_answer_free(&a);
    jobplan_free(&plan);
    free(active);
    config_free(&cfg);
    return rc;
}

json_object *trigger_answer_json(const struct trigger_answer *a)
{
    if (a->outcome == TRIGGER_RUNNING)
        return NULL;
    json_object *o = json_new_object();
    switch (a->outcome) {
    case TRIGGER_ACCEPTED:
        json_put(o, "job_id", json_object_new_string(a->job_id));
        json_put(o, "status", json_object_new_string("accepted"));
        json_put(o, "date_range", json_object_get(a->date_range));
        json_put(o, "models", json_object_get(a->models));
        json_put(o, "total_model_days", json_object_new_int64((int64_t)a->total_model_days));
        json_put(o, "created_at", json_object_new_string(a->created_at));
        json_put(o, "message", json_object_new_string("Simulation job queued successfully"));
        break;
    case TRIGGER_UP_TO_DATE:
        json_put(o, "status", json_object_new_string("current"));
        json_put(o, "message", json_object_new_string("Simulation already up-to-date"));
        json_put_string_or_null(o, "last_simulation_date", a->last_date[0] ? a->last_date : NULL);
        json_put_string_or_null(o, "next_trading_day", a->next_day[0] ? a->next_day : NULL);
        break;
    case TRIGGER_CONFLICT:
        json_put(o, "error", json_object_new_string("conflict"));
        json_put(o, "message", json_object_new_string("Different simulation already running"));
        json_put(o, "current_job_id", json_object_new_string(a->job_id));
        if (a->date_range)
            json_put(o, "current_date_range", json_object_get(a->date_range));
        else
            json_put_null(o, "current_date_range");
        break;
    case TRIGGER_RUNNING:
        break;
    }
    return o;
}
