/* Unit tests for jobs against a real SQLite file with prices inserted by SQL:
 * request parsing, planning (catch-up from init_date and from the last
 * completed day, per-model differences, up-to-date, replace_existing,
 * explicit dates, weekends, holidays, incomplete bars, dates beyond the
 * store, the config's end_date), creating jobs (their config snapshot holds
 * no key), the conflict rules (also from concurrent processes),
 * the claim / model-day / finish / reclaim transitions, and the
 * reads of the status view (jobs_view_job, jobs_each_detail). */
#include "service/jobplan.h"
#include "service/jobs.h"
#include "service/trigger.h"
#include "simfixture.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct fixture fx;
static struct db *db;
static char configs[128];
static const char *TODAY = "2025-01-15";

/* The first value of a query as text (static buffer; "" when none). */
static const char *text(const char *sql)
{
    static char buf[4096];
    return fx_text(db, sql, buf, sizeof(buf));
}

static void write_file(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(body, f);
        fclose(f);
    }
}

#define CFG_HEAD "{\"date_range\":{\"init_date\":\"2025-01-02\"},\"models\":["
static const char *CONFIG_ABC =
    CFG_HEAD "{\"signature\":\"a\",\"provider\":\"mock\"},"
             "{\"signature\":\"b\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
             "{\"signature\":\"c\",\"provider\":\"mock\",\"enabled\":false}]}";

/* A completed job "old" holding results of model for each listed date. */
static void done(const char *model, const char *const *dates)
{
    char sql[512];
    fx_exec(db, "INSERT OR IGNORE INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                " VALUES('old','c','completed','[]','[]','2025-01-01T00:00:00.000Z')");
    for (; *dates; dates++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,"
                 "daily_profit,daily_return_pct,created_at) VALUES('old','%s','%s',0,0,0,0,0,'t')",
                 *dates, model);
        fx_exec(db, sql);
    }
}

static void reset_results(void)
{
    fx_exec(
        db,
        "DELETE FROM positions; DELETE FROM job_details; DELETE FROM jobs; DELETE FROM audit_log");
}

static int parse(const char *body, struct jobreq *r, enum jobreq_fail *why, char *err)
{
    memset(r, 0, sizeof(*r));
    return jobreq_parse(body, strlen(body), r, why, err, 512);
}

/* Passes when a call on body failed (rc -1) for reason want with msg in err. */
static void refused_as(const char *what, const char *body, int rc, enum jobreq_fail why,
                       const char *err, enum jobreq_fail want, const char *msg)
{
    if (!ok(rc == -1 && why == want && strstr(err, msg), "%s %s refused", what, body))
        printf("#   rc %d why %d err \"%s\"\n", rc, (int)why, err);
}

static void parse_refused(const char *body, enum jobreq_fail want, const char *msg)
{
    struct jobreq r;
    enum jobreq_fail why = JOBREQ_FAIL_INTERNAL;
    char err[512] = "";
    int rc = parse(body, &r, &why, err);
    refused_as("request", body, rc, why, err, want, msg);
}

static void test_parse(void)
{
    struct jobreq r;
    enum jobreq_fail why;
    char err[512] = "";
    ok(jobreq_parse("", 0, &r, &why, err, sizeof(err)) == 0 && !r.config_path && !r.models &&
           !r.has_dates && !r.start[0] && !r.replace_existing,
       "an empty body is a catch-up with defaults");
    jobreq_free(&r);
    ok(parse(" \r\n", &r, &why, err) == 0, "a blank body too");
    jobreq_free(&r);
    ok(parse("{}", &r, &why, err) == 0 && !r.config_path, "{} too");
    jobreq_free(&r);
    ok(parse("{\"config_path\":null,\"start_date\":null}", &r, &why, err) == 0 && !r.config_path &&
           !r.start[0],
       "null means not given");
    jobreq_free(&r);
    ok(parse("{\"config_path\":\"configs/x.json\",\"start_date\":\"2025-01-06\","
             "\"end_date\":\"2025-01-08\",\"models\":[\"b\",\"a\",\"b\"],"
             "\"replace_existing\":true}",
             &r, &why, err) == 0,
       "every field: %s", err);
    is_str(r.config_path, "configs/x.json", "config_path");
    is_str(r.start, "2025-01-06", "start_date");
    is_str(r.end, "2025-01-08", "end_date");
    ok(r.nmodels == 2 && strcmp(r.models[0], "b") == 0 && strcmp(r.models[1], "a") == 0,
       "models deduplicated in order");
    ok(r.replace_existing, "replace_existing");
    jobreq_free(&r);
    ok(parse("{\"date_range\":[\"2025-01-07\",\"2025-01-06\",\"2025-01-07\"]}", &r, &why, err) ==
               0 &&
           r.has_dates && r.dates.n == 2 && strcmp(r.dates.d[0], "2025-01-06") == 0 &&
           strcmp(r.dates.d[1], "2025-01-07") == 0,
       "date_range sorted and deduplicated");
    jobreq_free(&r);

    parse_refused("{bad", JOBREQ_FAIL_REQUEST, "not valid JSON");
    parse_refused("{} {}", JOBREQ_FAIL_REQUEST, "not valid JSON");
    parse_refused("[]", JOBREQ_FAIL_REQUEST, "must be a JSON object");
    parse_refused("\"x\"", JOBREQ_FAIL_REQUEST, "must be a JSON object");
    parse_refused("{\"foo\":1}", JOBREQ_FAIL_REQUEST, "unknown field \"foo\"");
    parse_refused("{\"start_date\":\"2025-1-3\"}", JOBREQ_FAIL_DATE, "YYYY-MM-DD");
    parse_refused("{\"end_date\":\"2025-02-30\"}", JOBREQ_FAIL_DATE, "not a real date");
    parse_refused("{\"start_date\":20250103}", JOBREQ_FAIL_DATE, "start_date must be a date");
    parse_refused("{\"start_date\":\"2025-01-08\",\"end_date\":\"2025-01-06\"}", JOBREQ_FAIL_DATE,
                  "is after end_date");
    parse_refused("{\"date_range\":[]}", JOBREQ_FAIL_REQUEST, "date_range must be an array");
    parse_refused("{\"date_range\":\"2025-01-06\"}", JOBREQ_FAIL_REQUEST,
                  "date_range must be an array");
    parse_refused("{\"date_range\":[\"2025-01-06\",\"x\"]}", JOBREQ_FAIL_DATE, "date_range[1]");
    parse_refused("{\"date_range\":[\"2025-01-06\"],\"end_date\":\"2025-01-06\"}",
                  JOBREQ_FAIL_REQUEST, "cannot be combined");
    parse_refused("{\"models\":\"a\"}", JOBREQ_FAIL_REQUEST, "models must be an array");
    parse_refused("{\"models\":[]}", JOBREQ_FAIL_REQUEST, "models must be an array");
    parse_refused("{\"models\":[\"a/b\"]}", JOBREQ_FAIL_REQUEST, "is not a model signature");
    parse_refused("{\"models\":[1]}", JOBREQ_FAIL_REQUEST, "is not a model signature");
    parse_refused("{\"replace_existing\":\"yes\"}", JOBREQ_FAIL_REQUEST, "true or false");
    parse_refused("{\"config_path\":\"\"}", JOBREQ_FAIL_REQUEST, "config_path must be");
    parse_refused("{\"config_path\":7}", JOBREQ_FAIL_REQUEST, "config_path must be");
    parse_refused("{\"config_path\":\"a\\u0000b\"}", JOBREQ_FAIL_REQUEST, "NUL character");

    /* A long or binary field name is echoed safely and bounded. */
    char body[400], e[512] = "";
    snprintf(body, sizeof(body), "{\"%0300d\\u0001\":1}", 0);
    ok(parse(body, &r, &why, e) == -1 && strstr(e, "...") && strlen(e) < 300,
       "a long unknown field name is truncated in the message");
}

/* Plans body against the config text; returns the plan's rc. */
static int plan_with(const char *config, const char *body, struct jobplan *p, enum jobreq_fail *why,
                     char *err)
{
    struct config cfg = {0};
    struct jobreq r;
    int rc = -1;
    memset(p, 0, sizeof(*p));
    if (config_parse(config, strlen(config), &cfg, err, 512) != 0 || parse(body, &r, why, err) != 0)
        goto out;
    char *active = NULL;
    rc = jobs_active_ids(db, &active, err, 512);
    if (rc == 0)
        rc = jobplan_build(db, &cfg, &r, TODAY, active, p, why, err, 512);
    free(active);
    jobreq_free(&r);
out:
    config_free(&cfg);
    return rc;
}

static int plan(const char *body, struct jobplan *p, enum jobreq_fail *why, char *err)
{
    return plan_with(CONFIG_ABC, body, p, why, err);
}

/* The plan's days as "date model" pairs joined by ", ". */
static const char *days_of(const struct jobplan *p)
{
    static char buf[2048];
    buf[0] = '\0';
    for (size_t i = 0; i < p->ndays; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof(buf) - n, "%s%s %s", i ? ", " : "", p->days[i].date,
                 p->days[i].model);
    }
    return buf;
}

static void plan_with_is(const char *config, const char *body, const char *want, const char *name)
{
    struct jobplan p;
    enum jobreq_fail why;
    char err[512] = "";
    if (plan_with(config, body, &p, &why, err) != 0) {
        ok(0, "%s: %s", name, err);
    } else {
        is_str(days_of(&p), want, name);
    }
    jobplan_free(&p);
}

static void plan_is(const char *body, const char *want, const char *name)
{
    plan_with_is(CONFIG_ABC, body, want, name);
}

static void plan_with_refused(const char *config, const char *body, enum jobreq_fail want,
                              const char *msg)
{
    struct jobplan p;
    enum jobreq_fail why = JOBREQ_FAIL_INTERNAL;
    char err[512] = "";
    int rc = plan_with(config, body, &p, &why, err);
    refused_as("plan", body, rc, why, err, want, msg);
    jobplan_free(&p);
}

static void plan_refused(const char *body, enum jobreq_fail want, const char *msg)
{
    plan_with_refused(CONFIG_ABC, body, want, msg);
}

static void test_plan(void)
{
    struct jobplan p;
    enum jobreq_fail why;
    char err[512] = "";

    /* Catch-up from init_date: both enabled models, every trading day. */
    ok(plan("", &p, &why, err) == 0, "catch-up plan: %s", err);
    is_int(p.ndays, 10, "5 trading days x 2 enabled models");
    is_int(p.dates.n, 5, "5 dates");
    ok(p.nmodels == 2 && strcmp(p.models[0], "a") == 0 && strcmp(p.models[1], "b") == 0,
       "the enabled models in config order");
    is_str(days_of(&p),
           "2025-01-03 a, 2025-01-03 b, 2025-01-06 a, 2025-01-06 b, 2025-01-07 a, 2025-01-07 b, "
           "2025-01-08 a, 2025-01-08 b, 2025-01-10 a, 2025-01-10 b",
           "by date then model; no weekend bar, no holiday, no incomplete bar");
    jobplan_free(&p);

    /* From each model's last completed day; models differ. */
    done("a", (const char *const[]){"2025-01-03", "2025-01-06", "2025-01-07", NULL});
    done("b", (const char *const[]){"2025-01-03", NULL});
    plan_is("{}",
            "2025-01-06 b, 2025-01-07 b, 2025-01-08 a, 2025-01-08 b, 2025-01-10 a, 2025-01-10 b",
            "catch-up from each model's last completed day");
    plan_is("{\"end_date\":\"2025-01-07\"}", "2025-01-06 b, 2025-01-07 b",
            "catch-up bounded by end_date; a has nothing to do");
    ok(plan("{\"end_date\":\"2025-01-07\"}", &p, &why, err) == 0 && p.nmodels == 1 &&
           strcmp(p.models[0], "b") == 0 && p.dates.n == 2,
       "a model with nothing to do is not in the job");
    jobplan_free(&p);
    plan_is("{\"models\":[\"c\"]}",
            "2025-01-03 c, 2025-01-06 c, 2025-01-07 c, 2025-01-08 c, 2025-01-10 c",
            "a disabled model named explicitly runs");

    /* Up to date. */
    ok(plan("{\"models\":[\"a\"],\"end_date\":\"2025-01-07\"}", &p, &why, err) == 0 && p.ndays == 0,
       "nothing left for a up to 2025-01-07");
    is_str(p.last_date, "2025-01-07", "last_simulation_date");
    is_str(p.next_day, "2025-01-08", "next trading day from the store");
    jobplan_free(&p);
    done("a", (const char *const[]){"2025-01-08", "2025-01-10", NULL});
    done("b", (const char *const[]){"2025-01-06", "2025-01-07", "2025-01-08", "2025-01-10", NULL});
    ok(plan("", &p, &why, err) == 0 && p.ndays == 0 && p.nmodels == 0 && p.dates.n == 0,
       "everything done: empty plan");
    is_str(p.last_date, "2025-01-10", "last_simulation_date");
    is_str(p.next_day, "2025-01-13", "next weekday when the store has no later complete bar");
    jobplan_free(&p);
    ok(plan("{\"models\":[\"a\",\"c\"],\"end_date\":\"2025-01-02\"}", &p, &why, err) == -1,
       "end_date on init_date is refused");
    jobplan_free(&p);

    /* Explicit dates: completed days skipped unless replace_existing. */
    fx_exec(db, "DELETE FROM positions WHERE model = 'b' AND date = '2025-01-07'");
    plan_is("{\"start_date\":\"2025-01-06\",\"end_date\":\"2025-01-08\"}", "2025-01-07 b",
            "a range skips completed model-days");
    plan_is("{\"start_date\":\"2025-01-06\",\"end_date\":\"2025-01-08\",\"replace_existing\":true}",
            "2025-01-06 a, 2025-01-06 b, 2025-01-07 a, 2025-01-07 b, 2025-01-08 a, 2025-01-08 b",
            "replace_existing re-runs them");
    plan_is("{\"start_date\":\"2025-01-04\",\"end_date\":\"2025-01-09\",\"replace_existing\":true,"
            "\"models\":[\"a\"]}",
            "2025-01-06 a, 2025-01-07 a, 2025-01-08 a",
            "a range skips the weekend bar and the holiday");
    plan_is("{\"start_date\":\"2025-01-10\",\"replace_existing\":true,\"models\":[\"b\"]}",
            "2025-01-10 b", "start_date alone runs to today");
    plan_is("{\"date_range\":[\"2025-01-10\",\"2025-01-07\"]}", "2025-01-07 b",
            "an explicit list skips completed model-days");
    plan_is("{\"date_range\":[\"2025-01-10\",\"2025-01-07\"],\"replace_existing\":true}",
            "2025-01-07 a, 2025-01-07 b, 2025-01-10 a, 2025-01-10 b",
            "an explicit list with replace_existing");
    ok(plan("{\"date_range\":[\"2025-01-10\"]}", &p, &why, err) == 0 && p.ndays == 0 &&
           strcmp(p.last_date, "2025-01-10") == 0,
       "explicit dates all done: up to date");
    jobplan_free(&p);

    plan_refused("{\"date_range\":[\"2025-01-04\",\"2025-01-06\",\"2025-01-09\"]}",
                 JOBREQ_FAIL_DATE,
                 "2 dates are not trading days (weekends, or no prices in the store): "
                 "2025-01-04, 2025-01-09");
    plan_refused("{\"date_range\":[\"2025-01-13\"]}", JOBREQ_FAIL_DATE,
                 "not a trading day (a weekend, or no prices in the store): 2025-01-13");
    plan_refused("{\"date_range\":[\"2025-01-14\"]}", JOBREQ_FAIL_DATE, "2025-01-14");
    plan_refused("{\"date_range\":[\"2025-01-06\",\"2025-01-16\"]}", JOBREQ_FAIL_DATE,
                 "date 2025-01-16 is in the future (today is 2025-01-15)");
    plan_refused("{\"date_range\":[\"2025-01-02\",\"2025-01-06\"]}", JOBREQ_FAIL_DATE,
                 "not after the config's init_date 2025-01-02");
    plan_refused("{\"end_date\":\"2025-01-16\"}", JOBREQ_FAIL_DATE,
                 "end_date 2025-01-16 is in the future");
    plan_refused("{\"start_date\":\"2025-01-16\"}", JOBREQ_FAIL_DATE,
                 "start_date 2025-01-16 is in the future");
    plan_refused("{\"start_date\":\"2025-01-02\",\"end_date\":\"2025-01-06\"}", JOBREQ_FAIL_DATE,
                 "start_date 2025-01-02 is not after the config's init_date");
    plan_refused("{\"start_date\":\"2024-12-02\"}", JOBREQ_FAIL_DATE, "init_date");
    plan_refused("{\"start_date\":\"2025-01-11\",\"end_date\":\"2025-01-12\"}", JOBREQ_FAIL_DATE,
                 "no trading days between 2025-01-11 and 2025-01-12");
    plan_refused("{\"start_date\":\"2025-01-13\",\"end_date\":\"2025-01-15\"}", JOBREQ_FAIL_DATE,
                 "no trading days between");
    plan_refused("{\"models\":[\"zz\"]}", JOBREQ_FAIL_REQUEST, "unknown model \"zz\"");

    /* Results of an active job do not count as done. */
    reset_results();
    fx_exec(db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                " VALUES('act','c','running','[]','[\"a\"]','2025-01-14T00:00:00.000Z')");
    fx_exec(db,
            "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,daily_profit,"
            "daily_return_pct,created_at) VALUES('act','2025-01-03','a',0,0,0,0,0,'t')");
    plan_is("{\"models\":[\"a\"],\"end_date\":\"2025-01-06\"}", "2025-01-03 a, 2025-01-06 a",
            "a running job's results are planned again");
    reset_results();
}

/* CONFIG_ABC's models a and b with date_range.end_date = END. */
#define CFG_END(END)                                                                               \
    "{\"date_range\":{\"init_date\":\"2025-01-02\",\"end_date\":\"" END "\"},\"models\":["         \
    "{\"signature\":\"a\",\"provider\":\"mock\"},"                                                 \
    "{\"signature\":\"b\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"}]}"

/* The config's end_date bounds a catch-up, and only a catch-up. */
static void test_config_end_date(void)
{
    static const char *const end7 = CFG_END("2025-01-07");
    struct jobplan p;
    enum jobreq_fail why;
    char err[512] = "";
    plan_with_is(end7, "",
                 "2025-01-03 a, 2025-01-03 b, 2025-01-06 a, 2025-01-06 b, 2025-01-07 a, "
                 "2025-01-07 b",
                 "catch-up stops at the config's end_date");
    plan_with_is(end7, "{\"models\":[\"b\"],\"end_date\":\"2025-01-08\"}",
                 "2025-01-03 b, 2025-01-06 b, 2025-01-07 b, 2025-01-08 b",
                 "the request's end_date wins");
    plan_with_is(end7, "{\"models\":[\"b\"],\"start_date\":\"2025-01-08\"}",
                 "2025-01-08 b, 2025-01-10 b", "start_date alone may run past it, to today");
    plan_with_is(end7, "{\"models\":[\"b\"],\"date_range\":[\"2025-01-10\"]}", "2025-01-10 b",
                 "an explicit date after it is allowed");
    plan_with_is(CFG_END("2025-01-09"), "{\"models\":[\"a\"]}",
                 "2025-01-03 a, 2025-01-06 a, 2025-01-07 a, 2025-01-08 a",
                 "an end_date that is no trading day: up to the one before");
    plan_with_is(CFG_END("2025-03-31"), "{\"models\":[\"a\"]}",
                 "2025-01-03 a, 2025-01-06 a, 2025-01-07 a, 2025-01-08 a, 2025-01-10 a",
                 "an end_date after today: up to today");
    plan_with_refused(CFG_END("2025-01-02"), "", JOBREQ_FAIL_REQUEST,
                      "the config's end_date 2025-01-02 is its init_date");
    plan_with_is(CFG_END("2025-01-02"), "{\"models\":[\"a\"],\"start_date\":\"2025-01-10\"}",
                 "2025-01-10 a", "... while explicit dates still run");

    /* Done up to end_date: up to date, although later days have prices. */
    done("a", (const char *const[]){"2025-01-03", "2025-01-06", NULL});
    plan_with_is(end7, "{\"models\":[\"a\"]}", "2025-01-07 a",
                 "catch-up from the last completed day to end_date");
    done("a", (const char *const[]){"2025-01-07", NULL});
    ok(plan_with(end7, "{\"models\":[\"a\"]}", &p, &why, err) == 0 && p.ndays == 0 &&
           strcmp(p.last_date, "2025-01-07") == 0 && strcmp(p.next_day, "2025-01-08") == 0,
       "done up to end_date: up to date (%s)", err);
    jobplan_free(&p);
    ok(plan("{\"models\":[\"a\"]}", &p, &why, err) == 0 && p.ndays == 2,
       "without an end_date in the config the same catch-up goes on to today");
    jobplan_free(&p);
    reset_results();
}

static int trigger(const char *body, int max, struct trigger_answer *a, enum jobreq_fail *why,
                   char *err)
{
    struct jobreq r;
    struct trigger_env env = {.configs_dir = configs, .max_concurrent = max};
    memcpy(env.today, TODAY, DATE_BUF);
    memset(a, 0, sizeof(*a));
    if (parse(body, &r, why, err) != 0)
        return -1;
    int rc = trigger_run(db, &r, &env, a, why, err, 512);
    jobreq_free(&r);
    return rc;
}

static long long rows(void)
{
    return fx_int(db, "SELECT (SELECT count(*) FROM jobs) * 1000000 + (SELECT count(*) FROM "
                      "job_details) * 1000 + (SELECT count(*) FROM audit_log)");
}

/* CONFIG_ABC's snapshot (static buffer). */
static const char *abc_snapshot(void)
{
    static char buf[4096];
    struct config c = {0};
    char err[512];
    buf[0] = '\0';
    if (config_parse(CONFIG_ABC, strlen(CONFIG_ABC), &c, err, sizeof(err)) == 0)
        snprintf(buf, sizeof(buf), "%s", c.snapshot);
    config_free(&c);
    return buf;
}

static void trigger_refused(const char *body, enum jobreq_fail want, const char *msg)
{
    struct trigger_answer a;
    enum jobreq_fail why = JOBREQ_FAIL_INTERNAL;
    char err[512] = "";
    long long before = rows();
    int rc = trigger(body, 4, &a, &why, err);
    refused_as("trigger", body, rc, why, err, want, msg);
    ok(rows() == before, "... and wrote nothing");
}

static void test_trigger(void)
{
    struct trigger_answer a;
    enum jobreq_fail why;
    char err[512] = "", id1[JOB_ID_BUF], sql[512];

    trigger_refused("{\"config_path\":\"configs/missing.json\"}", JOBREQ_FAIL_REQUEST,
                    "does not exist");
    trigger_refused("{\"config_path\":\"../../etc/passwd\"}", JOBREQ_FAIL_REQUEST,
                    "outside the configs directory");
    trigger_refused("{\"config_path\":\"/etc/passwd\"}", JOBREQ_FAIL_REQUEST,
                    "outside the configs directory");
    trigger_refused("{\"config_path\":\"configs/escape.json\"}", JOBREQ_FAIL_REQUEST,
                    "outside the configs directory");
    trigger_refused("{\"config_path\":\"configs/broken.json\"}", JOBREQ_FAIL_REQUEST,
                    "is not usable: models");
    trigger_refused("{\"end_date\":\"2030-01-01\"}", JOBREQ_FAIL_DATE, "in the future");
    trigger_refused("{\"models\":[\"nope\"]}", JOBREQ_FAIL_REQUEST, "unknown model");

    /* Accepted: the default config (relative to the configs dir's parent). */
    ok(trigger("{\"models\":[\"a\"],\"end_date\":\"2025-01-07\"}", 1, &a, &why, err) == 0 &&
           a.outcome == TRIGGER_ACCEPTED,
       "accepted: %s", err);
    memcpy(id1, a.job_id, JOB_ID_BUF);
    ok(strlen(id1) == 36 && id1[14] == '4' && strchr("89ab", id1[19]), "a UUID v4: %s", id1);
    is_int(a.total_model_days, 3, "total_model_days");
    json_object *j = trigger_answer_json(&a);
    const char *js = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    ok(strstr(js, "\"status\":\"accepted\"") &&
           strstr(js, "\"date_range\":[\"2025-01-03\",\"2025-01-06\",\"2025-01-07\"]") &&
           strstr(js, "\"models\":[\"a\"]") && strstr(js, "\"total_model_days\":3") &&
           strstr(js, "\"message\":\"Simulation job queued successfully\"") &&
           strstr(js, "\"created_at\":\"20") && strstr(js, id1),
       "202 body: %s", js);
    json_object_put(j);
    trigger_answer_free(&a);
    snprintf(sql, sizeof(sql),
             "SELECT status || '|' || date_range || '|' || models || '|' || "
             "replace_existing || '|' || (created_at = updated_at) || '|' || "
             "source FROM jobs WHERE job_id = '%s'",
             id1);
    is_str(text(sql), "pending|[\"2025-01-03\",\"2025-01-06\",\"2025-01-07\"]|[\"a\"]|0|1|api",
           "the job row");
    snprintf(sql, sizeof(sql), "SELECT config_json FROM jobs WHERE job_id = '%s'", id1);
    is_str(text(sql), abc_snapshot(), "config_json is the config's snapshot");
    snprintf(sql, sizeof(sql), "SELECT config_path FROM jobs WHERE job_id = '%s'", id1);
    ok(strstr(text(sql), "/configs/default_config.json") && text(sql)[0] == '/',
       "config_path resolved");
    snprintf(sql, sizeof(sql),
             "SELECT group_concat(date || ' ' || model || ' ' || status, ', ')"
             " FROM job_details WHERE job_id = '%s'",
             id1);
    is_str(text(sql), "2025-01-03 a pending, 2025-01-06 a pending, 2025-01-07 a pending",
           "job_details hold the model-days");
    snprintf(sql, sizeof(sql),
             "SELECT event || ' ' || json_extract(details, '$.total_model_days')"
             " FROM audit_log WHERE job_id = '%s'",
             id1);
    is_str(text(sql), "job_created 3", "audit_log job_created");

    /* The same request: the job already running. */
    long long before = rows();
    ok(trigger("{\"models\":[\"a\"],\"end_date\":\"2025-01-07\"}", 1, &a, &why, err) == 0 &&
           a.outcome == TRIGGER_RUNNING && strcmp(a.job_id, id1) == 0,
       "same dates and models: the active job");
    ok(trigger_answer_json(&a) == NULL, "RUNNING has no body of its own (it is the job view)");
    trigger_answer_free(&a);
    /* Still the same job once it has made progress. */
    fx_exec(db, "UPDATE jobs SET status = 'running'");
    snprintf(
        sql, sizeof(sql),
        "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,"
        "daily_profit,daily_return_pct,created_at) VALUES('%s','2025-01-03','a',0,0,0,0,0,'t')",
        id1);
    fx_exec(db, sql);
    ok(trigger("{\"models\":[\"a\"],\"end_date\":\"2025-01-07\"}", 1, &a, &why, err) == 0 &&
           a.outcome == TRIGGER_RUNNING && strcmp(a.job_id, id1) == 0,
       "... also after it completed a day");
    trigger_answer_free(&a);

    /* Sharing a model with different dates: conflict. */
    ok(trigger("{\"models\":[\"a\",\"b\"]}", 4, &a, &why, err) == 0 &&
           a.outcome == TRIGGER_CONFLICT && strcmp(a.job_id, id1) == 0,
       "a shared model conflicts even below the limit");
    j = trigger_answer_json(&a);
    js = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    ok(strstr(js, "\"error\":\"conflict\"") &&
           strstr(js, "\"message\":\"Different simulation already running\"") &&
           strstr(js, "\"current_job_id\":\"") && strstr(js, id1) &&
           strstr(js, "\"current_date_range\":[\"2025-01-03\",\"2025-01-06\",\"2025-01-07\"]"),
       "409 body: %s", js);
    json_object_put(j);
    trigger_answer_free(&a);

    /* Disjoint models: the limit decides. */
    ok(trigger("{\"models\":[\"b\"]}", 1, &a, &why, err) == 0 && a.outcome == TRIGGER_CONFLICT &&
           strcmp(a.job_id, id1) == 0,
       "MAX_CONCURRENT_JOBS=1: conflict with the active job");
    trigger_answer_free(&a);
    ok(rows() == before, "RUNNING and CONFLICT wrote nothing");
    ok(trigger("{\"models\":[\"b\"]}", 2, &a, &why, err) == 0 && a.outcome == TRIGGER_ACCEPTED &&
           a.total_model_days == 5,
       "MAX_CONCURRENT_JOBS=2: a disjoint job is accepted");
    trigger_answer_free(&a);
    ok(trigger("{\"models\":[\"c\"]}", 2, &a, &why, err) == 0 && a.outcome == TRIGGER_CONFLICT,
       "... and a third is not");
    trigger_answer_free(&a);

    /* Up to date: nothing written. */
    fx_exec(db, "UPDATE jobs SET status = 'completed'");
    done("c", (const char *const[]){"2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08",
                                    "2025-01-10", NULL});
    before = rows();
    ok(trigger("{\"models\":[\"c\"]}", 1, &a, &why, err) == 0 && a.outcome == TRIGGER_UP_TO_DATE,
       "up to date: %s", err);
    j = trigger_answer_json(&a);
    js = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    is_str(js,
           "{\"status\":\"current\",\"message\":\"Simulation already up-to-date\","
           "\"last_simulation_date\":\"2025-01-10\",\"next_trading_day\":\"2025-01-13\"}",
           "200 current body");
    json_object_put(j);
    trigger_answer_free(&a);
    ok(rows() == before, "up to date wrote nothing");
    reset_results();
}

/* A config with keys: the job's snapshot has none, and says which models
 * had one; no row anywhere holds a key. */
static void test_trigger_keys(void)
{
    struct trigger_answer a;
    enum jobreq_fail why;
    char err[512] = "", sql[512];
    struct config c = {0};
    setenv(CONFIG_ENV_API_KEY, "sk-unit-env", 1);
    ok(trigger("{\"config_path\":\"configs/keyed.json\"}", 1, &a, &why, err) == 0 &&
           a.outcome == TRIGGER_ACCEPTED,
       "a config with keys: accepted (%s)", err);
    snprintf(sql, sizeof(sql), "SELECT config_json FROM jobs WHERE job_id = '%s'", a.job_id);
    const char *snap = text(sql);
    ok(!strstr(snap, "sk-unit") && !strstr(snap, "\"openai_api_key\""),
       "the stored config has no key");
    ok(strstr(snap, "\"openai_api_key_from\": \"config_file\"") != NULL, "... and the marker");
    ok(config_parse(snap, strlen(snap), &c, err, sizeof(err)) == 0, "... and parses: %s", err);
    const struct config_model *k = config_find_model(&c, "k"), *e = config_find_model(&c, "e");
    ok(k && k->key_in_file && !k->api_key, "k: its key is the file's, not stored");
    ok(e && !e->key_in_file && strcmp(e->api_key, "sk-unit-env") == 0,
       "e: no key in the file, the environment's");
    ok(strstr(snap, "\"openai_base_url\": \"http://127.0.0.1:9/v1\"") && !strstr(snap, "u:p@"),
       "the base URL is kept without its credentials");
    config_free(&c);
    trigger_answer_free(&a);
    ok(fx_int(db, "SELECT (SELECT count(*) FROM jobs WHERE instr(config_path || config_json,"
                  " 'sk-unit')) + (SELECT count(*) FROM audit_log WHERE instr(details, 'sk-unit'))"
                  " + (SELECT count(*) FROM audit_log WHERE event = 'job_created')") == 1,
       "no key in jobs or audit_log");
    unsetenv(CONFIG_ENV_API_KEY);
    reset_results();
}

/* Several processes trigger at once for distinct models: with a limit of 2,
 * exactly 2 jobs exist afterwards. */
static void test_concurrent(const char *dbpath)
{
    enum { N = 8 };
    pid_t pids[N];
    char body[128];
    int accepted = 0, conflicts = 0;
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            struct db *cdb = NULL;
            struct jobreq r;
            struct trigger_answer a = {0};
            struct trigger_env env = {.configs_dir = configs, .max_concurrent = 2};
            enum jobreq_fail why;
            char err[512];
            int code = 3;
            memcpy(env.today, TODAY, DATE_BUF);
            snprintf(body, sizeof(body),
                     "{\"config_path\":\"configs/many.json\",\"models\":[\"m%d\"]}", i);
            if (db_open(dbpath, DB_READWRITE, &cdb, err, sizeof(err)) == 0 &&
                parse(body, &r, &why, err) == 0) {
                if (trigger_run(cdb, &r, &env, &a, &why, err, sizeof(err)) == 0)
                    code = a.outcome == TRIGGER_ACCEPTED   ? 0
                           : a.outcome == TRIGGER_CONFLICT ? 1
                                                           : 2;
                jobreq_free(&r);
            }
            trigger_answer_free(&a);
            db_close(cdb);
            _exit(code);
        }
    }
    for (int i = 0; i < N; i++) {
        int st = 0;
        waitpid(pids[i], &st, 0);
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 9;
        accepted += code == 0;
        conflicts += code == 1;
    }
    is_int(accepted, 2, "concurrent triggers: exactly 2 accepted");
    is_int(conflicts, N - 2, "... the others conflict");
    is_int(fx_int(db, "SELECT count(*) FROM jobs"), 2, "exactly 2 jobs exist");
    is_int(fx_int(db, "SELECT count(*) FROM job_details"), 10, "with their model-days only");
    reset_results();
}

static const char *status_of(const char *job)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT status FROM jobs WHERE job_id = '%s'", job);
    return text(sql);
}

static const char *day_status(const char *job, const char *date, const char *model)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT status FROM job_details WHERE job_id='%s' AND date='%s' AND model='%s'", job,
             date, model);
    return text(sql);
}

/* Creates a job through the trigger and returns its id in id. */
static void make_job(const char *body, char id[JOB_ID_BUF])
{
    struct trigger_answer a;
    enum jobreq_fail why;
    char err[512] = "";
    id[0] = '\0';
    if (trigger(body, 10, &a, &why, err) == 0 && a.outcome == TRIGGER_ACCEPTED)
        memcpy(id, a.job_id, JOB_ID_BUF);
    else
        printf("# make_job %s failed: %s\n", body, err);
    trigger_answer_free(&a);
}

static void test_daemon_side(void)
{
    char j1[JOB_ID_BUF], j2[JOB_ID_BUF], err[512] = "", st[JOB_STATUS_BUF];
    char sql[512];
    struct jobs_job job;

    make_job("{\"models\":[\"a\"],\"end_date\":\"2025-01-06\"}", j1);
    fx_exec(db, "UPDATE jobs SET created_at = '2025-01-01T00:00:00.000Z'"); /* j1 is the oldest */
    make_job("{\"models\":[\"b\"],\"end_date\":\"2025-01-06\"}", j2);

    ok(jobs_get(db, "no-such-job", &job, err, sizeof(err)) == JOBS_MISSING, "jobs_get: unknown id");
    ok(jobs_get(db, j1, &job, err, sizeof(err)) == JOBS_FOUND, "jobs_get: %s", err);
    ok(job.ndays == 2 && strcmp(job.days[0].date, "2025-01-03") == 0 &&
           strcmp(job.days[1].status, "pending") == 0 && strcmp(job.status, "pending") == 0 &&
           job.config_json && strcmp(job.config_json, abc_snapshot()) == 0 && !job.replace_existing,
       "jobs_get: days, status and config snapshot");
    jobs_job_free(&job);

    ok(jobs_day_start(db, j1, "2025-01-03", "a", err, sizeof(err)) == -1 &&
           strstr(err, "is not pending in a running job"),
       "a day cannot start before its job is claimed");
    ok(jobs_claim(db, j1, err, sizeof(err)) == JOBS_FOUND, "claim: a pending job");
    is_str(status_of(j1), "running", "claimed job is running");
    snprintf(sql, sizeof(sql),
             "SELECT started_at IS NOT NULL AND updated_at >= created_at FROM "
             "jobs WHERE job_id='%s'",
             j1);
    is_int(fx_int(db, sql), 1, "started_at and updated_at set");
    ok(jobs_claim(db, j2, err, sizeof(err)) == JOBS_FOUND, "claim: the next");
    ok(jobs_claim(db, j1, err, sizeof(err)) == JOBS_MISSING, "claim: not pending any more");

    ok(jobs_day_start(db, j1, "2025-01-03", "a", err, sizeof(err)) == 0, "day start: %s", err);
    is_str(day_status(j1, "2025-01-03", "a"), "running", "day running");
    ok(jobs_day_start(db, j1, "2025-01-03", "a", err, sizeof(err)) == -1, "no double start");
    ok(jobs_day_complete(db, j1, "2025-01-06", "a", 1.0, err, sizeof(err)) == -1 &&
           strstr(err, "is not running"),
       "a pending day cannot complete");

    /* Completing joins the caller's transaction: rolled back with it. */
    fx_exec(db, "BEGIN IMMEDIATE");
    ok(jobs_day_complete(db, j1, "2025-01-03", "a", 2.5, err, sizeof(err)) == 0,
       "complete inside the caller's transaction: %s", err);
    fx_exec(db, "ROLLBACK");
    is_str(day_status(j1, "2025-01-03", "a"), "running", "rolled back with the caller");
    ok(jobs_day_complete(db, j1, "2025-01-03", "a", 2.5, err, sizeof(err)) == 0, "complete");
    snprintf(sql, sizeof(sql),
             "SELECT duration_seconds * 10 + attempts FROM job_details WHERE "
             "job_id='%s' AND date='2025-01-03'",
             j1);
    is_int(fx_int(db, sql), 26, "duration 2.5 and one attempt recorded");
    ok(jobs_day_fail(db, j1, "2025-01-03", "a", "x", -1, err, sizeof(err)) == -1,
       "a completed day cannot fail");

    /* Reclaim: a running day without a lease goes back to pending (test_leases
     * has the leases themselves), the job stays running. */
    ok(jobs_day_start(db, j1, "2025-01-06", "a", err, sizeof(err)) == 0, "start day 2");
    long long n = -1;
    ok(jobs_reclaim_expired(db, &n, err, sizeof(err)) == 0 && n == 1, "reclaim the running day");
    is_str(status_of(j1), "running", "the job stays running");
    is_str(day_status(j1, "2025-01-06", "a"), "pending", "interrupted day back to pending");
    is_str(day_status(j1, "2025-01-03", "a"), "completed", "completed day kept");

    /* Finish: partial, completed, failed, and leftovers. */
    ok(jobs_day_start(db, j1, "2025-01-06", "a", err, sizeof(err)) == 0 &&
           jobs_day_fail(db, j1, "2025-01-06", "a", "LLM timeout", 3.0, err, sizeof(err)) == 0,
       "a day fails");
    ok(jobs_finish(db, j1, NULL, st, err, sizeof(err)) == 0, "finish: %s", err);
    is_str(st, "partial", "one completed, one failed: partial");
    snprintf(sql, sizeof(sql),
             "SELECT status || '|' || (completed_at IS NOT NULL) || '|' || "
             "(total_duration_seconds >= 0) || '|' || (error IS NULL) FROM jobs "
             "WHERE job_id='%s'",
             j1);
    is_str(text(sql), "partial|1|1|1", "job row finished");
    ok(jobs_finish(db, j1, NULL, st, err, sizeof(err)) == -1 && strstr(err, "not running"),
       "a finished job cannot finish again");
    char long_err[3000] = "x"; /* then U+00E9 (two bytes) until byte 2999 */
    for (int i = 1; i + 2 < (int)sizeof(long_err); i += 2)
        memcpy(long_err + i, "\xc3\xa9", 2);
    ok(jobs_day_start(db, j2, "2025-01-03", "b", err, sizeof(err)) == 0 &&
           jobs_day_fail(db, j2, "2025-01-03", "b", long_err, -1, err, sizeof(err)) == 0,
       "j2's first day fails");
    snprintf(sql, sizeof(sql),
             "SELECT length(CAST(error AS BLOB)) || ' ' || length(error) FROM job_details WHERE "
             "job_id='%s' AND date='2025-01-03'",
             j2);
    is_str(text(sql), "1999 1000", "a long error is cut to at most 2000 bytes between characters");
    ok(jobs_finish(db, j2, "daemon stopping", st, err, sizeof(err)) == 0, "finish j2");
    is_str(st, "failed", "nothing completed: failed");
    is_str(day_status(j2, "2025-01-06", "b"), "failed", "the pending day failed too");
    snprintf(sql, sizeof(sql),
             "SELECT error FROM job_details WHERE job_id='%s' AND "
             "date='2025-01-06'",
             j2);
    is_str(text(sql), "daemon stopping", "... with the finish error");
    snprintf(sql, sizeof(sql), "SELECT error FROM jobs WHERE job_id='%s'", j2);
    is_str(text(sql), "daemon stopping", "job error kept");
    snprintf(sql, sizeof(sql),
             "SELECT group_concat(event, ',') FROM (SELECT event FROM audit_log WHERE job_id='%s'"
             " ORDER BY id)",
             j1);
    is_str(text(sql),
           "job_created,job_started,model_day_started,model_day_completed,model_day_started,"
           "job_recovered,model_day_started,model_day_failed,job_finished",
           "every transition audited");

    reset_results();
    make_job("{\"models\":[\"a\"],\"end_date\":\"2025-01-03\"}", j1);
    ok(jobs_claim(db, j1, err, sizeof(err)) == JOBS_FOUND &&
           jobs_day_start(db, j1, "2025-01-03", "a", err, sizeof(err)) == 0 &&
           jobs_day_complete(db, j1, "2025-01-03", "a", 1, err, sizeof(err)) == 0 &&
           jobs_finish(db, j1, NULL, st, err, sizeof(err)) == 0,
       "a clean run: %s", err);
    is_str(st, "completed", "all completed: completed");
    reset_results();
}

static void test_replace(void)
{
    char j[JOB_ID_BUF], err[512] = "";
    done("a", (const char *const[]){"2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08", NULL});
    done("b", (const char *const[]){"2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08", NULL});
    make_job("{\"models\":[\"a\"],\"date_range\":[\"2025-01-06\"],\"replace_existing\":true}", j);
    is_int(fx_int(db, "SELECT replace_existing FROM jobs WHERE job_id <> 'old'"), 1,
           "replace_existing stored");
    is_int(fx_int(db, "SELECT count(*) FROM positions"), 8, "nothing deleted at trigger time");
    ok(jobs_claim(db, j, err, sizeof(err)) == JOBS_FOUND, "claim the replacing job");
    is_int(fx_int(db, "SELECT count(*) FROM positions"), 8, "nothing deleted at claim time");
    /* What the re-run day's commit does, in its transaction. */
    fx_exec(db, "BEGIN");
    ok(jobs_replace_results(db, j, "a", "2025-01-06", err, sizeof(err)) == 0, "replace: %s", err);
    fx_exec(db, "COMMIT");
    is_str(text("SELECT group_concat(date, ',') FROM (SELECT date FROM positions WHERE model='a'"
                " ORDER BY date)"),
           "2025-01-03", "a's results from the re-run date on are gone");
    is_int(fx_int(db, "SELECT count(*) FROM positions WHERE model='b'"), 4,
           "other models untouched");
    is_int(fx_int(db, "SELECT json_extract(details, '$.positions_deleted') FROM audit_log WHERE "
                      "event='results_replaced'"),
           3, "audited");
    reset_results();
}

static void test_empty_store(void)
{
    struct jobplan p;
    enum jobreq_fail why;
    char err[512] = "";
    fx_exec(db, "SAVEPOINT s; DELETE FROM prices");
    int rc = plan("", &p, &why, err);
    ok(rc == -1 && why == JOBREQ_FAIL_REQUEST && strstr(err, "import prices first"),
       "catch-up with an empty price store: %s", err);
    jobplan_free(&p);
    fx_exec(db, "ROLLBACK TO s; RELEASE s");
}

static void test_env(void)
{
    unsetenv(TRIGGER_ENV_MAX_CONCURRENT);
    is_int(trigger_max_concurrent(), 1, "MAX_CONCURRENT_JOBS default 1");
    setenv(TRIGGER_ENV_MAX_CONCURRENT, "3", 1);
    is_int(trigger_max_concurrent(), 3, "MAX_CONCURRENT_JOBS=3");
    setenv(TRIGGER_ENV_MAX_CONCURRENT, "0", 1);
    is_int(trigger_max_concurrent(), 1, "0 is not a limit: 1");
    setenv(TRIGGER_ENV_MAX_CONCURRENT, "2x", 1);
    is_int(trigger_max_concurrent(), 1, "garbage: 1");
    setenv(TRIGGER_ENV_MAX_CONCURRENT, "100000", 1);
    is_int(trigger_max_concurrent(), TRIGGER_MAX_CONCURRENT_LIMIT, "clamped");
    unsetenv(TRIGGER_ENV_MAX_CONCURRENT);
}

/* jobview's reads: a job inserted with jobs_insert, read back as data. */
struct seen {
    int n;
    char first[64], last_error[64];
    bool last_has_duration;
};

static void count_detail(const struct jobs_detail_row *row, void *ctx)
{
    struct seen *s = ctx;
    if (s->n++ == 0)
        snprintf(s->first, sizeof(s->first), "%s %s %s", row->date, row->model, row->status);
    snprintf(s->last_error, sizeof(s->last_error), "%s", row->error ? row->error : "(null)");
    s->last_has_duration = row->has_duration;
}

static void test_view_reads(void)
{
    static const struct jobplan_day days[] = {
        {"2025-01-06", "a"}, {"2025-01-06", "b"}, {"2025-01-07", "a"}, {"2025-01-07", "b"}};
    const struct jobs_new job = {.job_id = "view-1",
                                 .config_path = "c",
                                 .config_json = "{}",
                                 .date_range = "[\"2025-01-06\",\"2025-01-07\"]",
                                 .models = "[\"a\",\"b\"]",
                                 .created_at = "2099-01-01T00:00:00.000Z",
                                 .callback_url = "http://127.0.0.1:9/h?token=x",
                                 .days = days,
                                 .ndays = 4};
    struct jobs_row r;
    struct jobs_active *active = NULL;
    struct seen s = {0};
    size_t n = 0;
    char err[512] = "";
    fx_exec(db, "SAVEPOINT v");
    ok(jobs_insert(db, &job, err, sizeof(err)) == 0, "jobs_insert: %s", err);
    fx_exec(db, "UPDATE job_details SET status = 'running' WHERE job_id = 'view-1'"
                " AND date = '2025-01-06' AND model = 'b';"
                "UPDATE job_details SET status = 'failed', error = 'boom', duration_seconds = 1.5"
                " WHERE job_id = 'view-1' AND date = '2025-01-06' AND model = 'a'");
    ok(jobs_view_job(db, "nope", &r, err, sizeof(err)) == JOBS_MISSING, "jobs_view_job: missing");
    ok(jobs_view_job(db, "view-1", &r, err, sizeof(err)) == JOBS_FOUND, "jobs_view_job: %s", err);
    ok(strcmp(r.status, "pending") == 0 && strcmp(r.models, job.models) == 0 && !r.started_at &&
           !r.has_duration && !r.warnings && strcmp(r.callback_url, job.callback_url) == 0,
       "... the job row, nulls as NULL");
    ok(r.total == 4 && r.completed == 0 && r.failed == 1 && r.running == 1, "... the counts");
    ok(r.current_date && strcmp(r.current_date, "2025-01-06") == 0 &&
           strcmp(r.current_model, "b") == 0,
       "... the running model-day");
    ok(r.nat == 2 && strcmp(r.at[0].model, "a") == 0 && !r.at[0].running &&
           strcmp(r.at[0].next, "2025-01-07") == 0 && strcmp(r.at[1].running, "2025-01-06") == 0,
       "... each model's place, in the job's order");
    jobs_row_free(&r);
    ok(jobs_each_detail(db, "view-1", NULL, 10, 0, count_detail, &s, err, sizeof(err)) == 0 &&
           s.n == 4 && strcmp(s.first, "2025-01-06 a failed") == 0,
       "jobs_each_detail: every model-day by date then creation (%s)", s.first);
    memset(&s, 0, sizeof(s));
    ok(jobs_each_detail(db, "view-1", "failed", 10, 0, count_detail, &s, err, sizeof(err)) == 0 &&
           s.n == 1 && strcmp(s.last_error, "boom") == 0 && s.last_has_duration,
       "... filtered by status");
    memset(&s, 0, sizeof(s));
    ok(jobs_each_detail(db, "view-1", NULL, 2, 3, count_detail, &s, err, sizeof(err)) == 0 &&
           s.n == 1 && strcmp(s.first, "2025-01-07 b pending") == 0 && !s.last_has_duration,
       "... paged");
    ok(jobs_list_active(db, &active, &n, err, sizeof(err)) == 0 && n >= 1 &&
           strcmp(active[n - 1].job_id, "view-1") == 0 &&
           strcmp(active[n - 1].date_range, job.date_range) == 0,
       "jobs_list_active: the newest last");
    jobs_active_free(active, n);
    fx_exec(db, "ROLLBACK TO v; RELEASE v");
}

/* Jobs created in the same millisecond keep their creation order (seq):
 * the trigger's, the import's, and the reads that order by it. */
static void test_seq_order(void)
{
    static const struct jobplan_day day = {"2025-01-06", "a"};
    static const char at[] = "2099-02-01T00:00:00.000Z";
    struct jobs_new job = {.config_path = "c",
                           .config_json = "{}",
                           .date_range = "[\"2025-01-06\"]",
                           .models = "[\"a\"]",
                           .created_at = at,
                           .days = &day,
                           .ndays = 1};
    const struct jobs_import im = {
        .job_id = "seq-3", .directory = "d", .date_range = "[]", .models = "[]", .at = at};
    struct jobs_active *active = NULL;
    char err[512] = "", id[JOBS_ID_MAX] = "", ids[3][JOBS_ID_MAX], *json = NULL;
    size_t n = 0;
    fx_exec(db, "SAVEPOINT s; UPDATE jobs SET status = 'cancelled'"
                " WHERE status IN ('pending', 'running')");
    long long before = fx_int(db, "SELECT coalesce(max(seq), 0) FROM jobs");
    job.job_id = "seq-2"; /* ids sort against the creation order */
    ok(jobs_insert(db, &job, err, sizeof(err)) == 0, "a job (%s)", err);
    job.job_id = "seq-1";
    ok(jobs_insert(db, &job, err, sizeof(err)) == 0, "a second at the same time");
    ok(jobs_import_create(db, &im, err, sizeof(err)) == 0, "an import at the same time");
    is_int(fx_int(db, "SELECT seq FROM jobs WHERE job_id = 'seq-2'"), before + 1, "seq: the next");
    is_int(fx_int(db, "SELECT seq FROM jobs WHERE job_id = 'seq-3'"), before + 3,
           "... and the next, for an import too");
    ok(jobs_latest_id(db, id, err, sizeof(err)) == JOBS_FOUND && strcmp(id, "seq-3") == 0,
       "the latest job is the last created (%s)", id);
    ok(jobs_list_ids(db, NULL, 2, 0, ids, &n, err, sizeof(err)) == 0 && n == 2 &&
           strcmp(ids[0], "seq-3") == 0 && strcmp(ids[1], "seq-1") == 0,
       "the list: newest first");
    ok(jobs_list_ids(db, "pending", 3, 0, ids, &n, err, sizeof(err)) == 0 && n == 2 &&
           strcmp(ids[0], "seq-1") == 0 && strcmp(ids[1], "seq-2") == 0,
       "... filtered by status");
    ok(jobs_list_active(db, &active, &n, err, sizeof(err)) == 0 && n == 2 &&
           strcmp(active[0].job_id, "seq-2") == 0 && strcmp(active[1].job_id, "seq-1") == 0,
       "active jobs: oldest first");
    jobs_active_free(active, n);
    ok(jobs_active_ids(db, &json, err, sizeof(err)) == 0 && json[0] == '[' &&
           strcmp(json, "[\"seq-2\",\"seq-1\"]") == 0,
       "their ids as a JSON array (%s)", json ? json : err);
    free(json);
    fx_exec(db, "ROLLBACK TO s; RELEASE s");
}

int main(void)
{
    char path[256];
    if (fx_open(&fx) != 0) {
        printf("Bail out! no fixture database\n");
        return 1;
    }
    db = fx.db;
    snprintf(configs, sizeof(configs), "%s/configs", fx.dir);
    mkdir(configs, 0750);
    snprintf(path, sizeof(path), "%s/default_config.json", configs);
    write_file(path, CONFIG_ABC);
    snprintf(path, sizeof(path), "%s/broken.json", configs);
    write_file(path, CFG_HEAD "]}");
    snprintf(path, sizeof(path), "%s/outside.json", fx.dir);
    write_file(path, CONFIG_ABC);
    char link[256];
    snprintf(link, sizeof(link), "%s/escape.json", configs);
    if (symlink(path, link) != 0)
        return 1;
    char many[1024] = CFG_HEAD;
    for (int i = 0; i < 8; i++) {
        size_t n = strlen(many);
        snprintf(many + n, sizeof(many) - n, "%s{\"signature\":\"m%d\",\"provider\":\"mock\"}",
                 i ? "," : "", i);
    }
    strcat(many, "]}");
    snprintf(path, sizeof(path), "%s/many.json", configs);
    write_file(path, many);
    snprintf(path, sizeof(path), "%s/keyed.json", configs);
    write_file(path, CFG_HEAD "{\"signature\":\"k\",\"basemodel\":\"x\","
                              "\"openai_base_url\":\"http://u:p@127.0.0.1:9/v1\","
                              "\"openai_api_key\":\"sk-unit-secret\"},"
                              "{\"signature\":\"e\",\"basemodel\":\"x\"}]}");

    /* Trading days: 01-03 (Fri), 01-06..01-08, 01-10. Not: the Saturday bar
     * of 01-04, the market holiday 01-09 (no bars), 01-13 (open only). */
    static const char *const days[] = {"2025-01-02", "2025-01-03", "2025-01-04", "2025-01-06",
                                       "2025-01-07", "2025-01-08", "2025-01-10"};
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
        if (fx_bar(db, "AAPL", days[i], "1.0", "1.1") != 0 ||
            fx_bar(db, "MSFT", days[i], "2.0", "2.1") != 0)
            return 1;
    fx_exec(db, "INSERT INTO prices(symbol,date,open,open_micro) VALUES('AAPL','2025-01-13','1.2',"
                "1200000)");

    test_parse();
    test_plan();
    test_config_end_date();
    test_trigger();
    test_trigger_keys();
    test_concurrent(fx.db_path);
    test_daemon_side();
    test_replace();
    test_empty_store();
    test_env();
    test_view_reads();
    test_seq_order();

    fx_close(&fx);
    return tap_done();
}
