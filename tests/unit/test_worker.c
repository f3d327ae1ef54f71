/* Unit tests for worker: a job runs date by date (each date's model-days
 * after all of the previous date's), models of a date run in parallel on the
 * pool, a model that fails on a date goes on from its last completed state,
 * final statuses (completed, partial, failed), an invalid config, a replace
 * job, cancellation, keys taken from the job's config file (and a model
 * failing when its key is gone), and the thread-count setting. Jobs are inserted by SQL
 * and started with jobs_claim; worker_serve serves one of them to its end. */
#include "service/jobs.h"
#include "sim/worker.h"

#include "simfixture.h"
#include "tap.h"
#include <sqlite3.h>

static char err[512];
static struct fixture fx;

static const char *const days[] = {"2025-01-02", "2025-01-03", "2025-01-06"};

static const char config_text[] =
    "{\"date_range\":{\"init_date\":\"2025-01-01\"},"
    "\"stock_symbols\":[\"AAA\",\"BBB\"],"
    "\"models\":[{\"signature\":\"ew\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
    "{\"signature\":\"mo\",\"provider\":\"builtin\",\"strategy\":\"momentum\",\"lookback\":2,"
    "\"top_n\":1},"
    "{\"signature\":\"s1\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\","
    "\"delay_ms\":300},"
    "{\"signature\":\"s2\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\","
    "\"delay_ms\":300},"
    "{\"signature\":\"bad\",\"provider\":\"builtin\",\"strategy\":\"momentum\","
    "\"top_n\":0}]}";

/* config_text with "schedule": "lockstep". */
static char lockstep_text[sizeof(config_text) + 32];

/* A pending job over the given dates and models; returns after claiming
 * it (running). */
static int make_job(const char *id, const char *config, int replace, size_t first_day, size_t ndays,
                    const char *const *models, size_t nmodels)
{
    char sql[512];
    sqlite3_stmt *st;
    snprintf(sql, sizeof(sql),
             "INSERT INTO jobs(job_id,config_path,config_json,status,date_range,models,"
             "replace_existing,created_at) VALUES('%s','c',?1,'pending','[]','[]',%d,"
             "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ','now'))",
             id, replace);
    sqlite3_prepare_v2(fx.db->h, sql, -1, &st, NULL);
    sqlite3_bind_text(st, 1, config, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_finalize(st);
    for (size_t d = first_day; d < first_day + ndays; d++)
        for (size_t m = 0; m < nmodels; m++) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO job_details(job_id,date,model,status) VALUES('%s','%s','%s',"
                     "'pending')",
                     id, days[d], models[m]);
            fx_exec(fx.db, sql);
        }
    if (jobs_claim(fx.db, id, err, sizeof(err)) != JOBS_FOUND)
        return -1;
    return 0;
}

static struct worker_self self;

static enum worker_result run(const char *id, int threads, const atomic_int *cancel)
{
    struct worker_opts o = {.db_path = fx.db_path,
                            .home = fx.dir,
                            .threads = threads,
                            .cancel = cancel,
                            .self = &self,
                            .poll = 0.05};
    enum worker_result res = WORKER_FINISHED;
    if (worker_serve(&o, fx.db, id, false, &res, err, sizeof(err)) != 0)
        return (enum worker_result) - 1;
    return res;
}

static const char *job_status(const char *id)
{
    static char buf[128];
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT status || coalesce(':' || error, '') FROM jobs WHERE job_id='%s'", id);
    return fx_text(fx.db, sql, buf, sizeof(buf));
}

#define q(...) fx_intf(fx.db, __VA_ARGS__)

static void test_threads_setting(void)
{
    int n = 0;
    unsetenv(WORKER_ENV_THREADS);
    ok(worker_threads(NULL, &n, err, sizeof(err)) == 0 && n == WORKER_DEFAULT_THREADS,
       "default pool size");
    setenv(WORKER_ENV_THREADS, "7", 1);
    ok(worker_threads(NULL, &n, err, sizeof(err)) == 0 && n == 7, "from the environment");
    ok(worker_threads("3", &n, err, sizeof(err)) == 0 && n == 3, "the flag wins");
    ok(worker_threads("0", &n, err, sizeof(err)) == -1, "0 refused: %s", err);
    ok(worker_threads("256", &n, err, sizeof(err)) == 0 && n == 256, "the largest cap");
    ok(worker_threads("257", &n, err, sizeof(err)) == -1, "too many refused");
    ok(worker_threads("2x", &n, err, sizeof(err)) == -1, "junk refused");
    setenv(WORKER_ENV_THREADS, "0", 1);
    ok(worker_threads(NULL, &n, err, sizeof(err)) == 0 && n == WORKER_DEFAULT_THREADS,
       "a bad environment value: the default (env.h's rule)");
    unsetenv(WORKER_ENV_THREADS);
}

static void test_partial_job(void)
{
    static const char *const models[] = {"ew", "mo", "bad"};
    ok(make_job("j1", lockstep_text, 0, 0, 3, models, 3) == 0, "job j1 claimed: %s", err);
    /* ew's second day fails at commit time; it must go on from day 1. */
    fx_exec(fx.db, "CREATE TRIGGER boom BEFORE INSERT ON positions WHEN NEW.model='ew' AND "
                   "NEW.date='2025-01-03' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    is_int(run("j1", 2, NULL), WORKER_FINISHED, "job j1 runs to its end");
    fx_exec(fx.db, "DROP TRIGGER boom");
    is_str(job_status("j1"), "partial", "some failed, some completed: partial");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='j1' AND status='completed'"), 5,
           "ew twice and mo three times");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='j1' AND status='failed'"), 4,
           "bad three times and ew once");
    is_int(q("SELECT count(*) FROM jobs WHERE job_id='j1' AND completed_at IS NOT NULL AND "
             "total_duration_seconds >= 0"),
           1, "completed_at and duration set");
    is_int(q("SELECT (SELECT max(completed_at) FROM job_details WHERE job_id='j1' AND "
             "date='2025-01-02') <= (SELECT min(started_at) FROM job_details WHERE job_id='j1' "
             "AND date='2025-01-03' AND started_at IS NOT NULL)"),
           1, "lockstep: the second date starts after the first one finished");
    is_int(q("SELECT p3.prev_value = p1.portfolio_value FROM positions p1, positions p3 WHERE "
             "p1.model='ew' AND p1.date='2025-01-02' AND p3.model='ew' AND "
             "p3.date='2025-01-06'"),
           1, "after its failed day, ew continues from its last completed state");
}

static void test_final_statuses(void)
{
    static const char *const ok_models[] = {"ew"};
    static const char *const bad_models[] = {"bad"};
    fx_exec(fx.db, "DELETE FROM positions");
    ok(make_job("j2", config_text, 0, 0, 2, ok_models, 1) == 0, "job j2");
    is_int(run("j2", 4, NULL), WORKER_FINISHED, "job j2 runs");
    is_str(job_status("j2"), "completed", "all completed: completed");
    ok(make_job("j3", config_text, 0, 0, 2, bad_models, 1) == 0, "job j3");
    run("j3", 4, NULL);
    is_str(job_status("j3"), "failed", "none completed: failed");
    ok(make_job("j4", "{\"models\":[]}", 0, 0, 1, ok_models, 1) == 0, "job j4");
    run("j4", 4, NULL);
    ok(strncmp(job_status("j4"), "failed:invalid config", 21) == 0, "a bad config fails: %s",
       job_status("j4"));

    /* j5 replaces ew from 2025-01-03 on: j2's 2025-01-03 row goes when j5's
     * 2025-01-03 commits, its 2025-01-02 row stays and is the starting point. */
    ok(make_job("j5", config_text, 1, 1, 2, ok_models, 1) == 0, "job j5 (replace) claimed");
    is_int(q("SELECT count(*) FROM positions WHERE model='ew'"), 2, "the claim deletes nothing");
    run("j5", 4, NULL);
    is_str(job_status("j5"), "completed", "replace job completed");
    is_int(q("SELECT count(*) FROM positions WHERE model='ew' AND job_id='j5'"), 2, "two new days");
    is_int(q("SELECT count(*) FROM positions WHERE model='ew' AND job_id='j2'"), 1,
           "the earlier day is kept");
}

/* 1 when the model-days of s1 and s2 in job overlapped in time, else 0. */
static long long overlap(const char *job)
{
    return q("SELECT a.started_at < b.completed_at AND b.started_at < a.completed_at FROM "
             "job_details a, job_details b WHERE a.job_id='%s' AND b.job_id=a.job_id AND "
             "a.model='s1' AND b.model='s2'",
             job);
}

/* Pipelined (the default): ew walks its three dates while s1 (300 ms a day)
 * is still on its first; each model's dates run in order. Lockstep: no date
 * starts before the previous one finished, for any model. */
static void test_schedules(void)
{
    static const char *const models[] = {"ew", "s1"};
    fx_exec(fx.db, "DELETE FROM positions");
    ok(make_job("p1", config_text, 0, 0, 3, models, 2) == 0, "job p1 (pipelined)");
    is_int(run("p1", 2, NULL), WORKER_FINISHED, "p1 runs");
    is_str(job_status("p1"), "completed", "p1 completed");
    is_int(q("SELECT (SELECT max(completed_at) FROM job_details WHERE job_id='p1' AND "
             "model='ew') < (SELECT min(completed_at) FROM job_details WHERE job_id='p1' AND "
             "model='s1')"),
           1, "pipelined: the fast model finished every date before the slow one's first");
    is_int(q("SELECT count(*) FROM job_details a, job_details b WHERE a.job_id='p1' AND "
             "b.job_id='p1' AND a.model=b.model AND a.date<b.date AND "
             "b.started_at < a.completed_at"),
           0, "each model's dates one after the other, in order");
    fx_exec(fx.db, "DELETE FROM positions");
    ok(make_job("p2", lockstep_text, 0, 0, 3, models, 2) == 0, "job p2 (lockstep)");
    is_int(run("p2", 2, NULL), WORKER_FINISHED, "p2 runs");
    is_int(q("SELECT count(*) FROM job_details a, job_details b WHERE a.job_id='p2' AND "
             "b.job_id='p2' AND a.date<b.date AND b.started_at < a.completed_at"),
           0, "lockstep: no model-day starts before every earlier date finished");
    fx_exec(fx.db, "DELETE FROM positions");
    static const char *const three[] = {"s1", "s2", "ew"};
    ok(make_job("p3", config_text, 0, 0, 2, three, 3) == 0, "job p3 (cap 1)");
    is_int(run("p3", 1, NULL), WORKER_FINISHED, "p3 runs on one thread");
    is_int(q("SELECT count(*) FROM job_details a, job_details b WHERE a.job_id='p3' AND "
             "b.job_id='p3' AND a.id<>b.id AND a.started_at < b.completed_at AND "
             "b.started_at < a.completed_at"),
           0, "a cap of 1: never two model-days at once");
    is_int(q("SELECT (SELECT max(started_at) FROM job_details WHERE job_id='p3' AND "
             "date='2025-01-02') <= (SELECT min(started_at) FROM job_details WHERE job_id='p3' AND "
             "date='2025-01-03')"),
           1, "below the cap, the earliest date starts first"); /* same millisecond: in order */
    fx_exec(fx.db, "DELETE FROM positions");
}

static void test_parallel_and_cancel(void)
{
    static const char *const slow[] = {"s1", "s2"};
    ok(make_job("j6", config_text, 0, 0, 1, slow, 2) == 0, "job j6");
    run("j6", 2, NULL);
    is_int(overlap("j6"), 1, "two threads: the models of a date overlap");
    ok(make_job("j7", config_text, 0, 1, 1, slow, 2) == 0, "job j7");
    run("j7", 1, NULL);
    is_int(overlap("j7"), 0, "one thread: they run one after the other");

    atomic_int stop = 1;
    ok(make_job("j8", config_text, 0, 2, 1, slow, 2) == 0, "job j8");
    is_int(run("j8", 2, &stop), WORKER_ABANDONED, "a cancelled job is abandoned");
    is_str(job_status("j8"), "running", "and stays running for recovery");
    is_int(q("SELECT count(*) FROM positions WHERE job_id='j8'"), 0, "with nothing written");
}

/* Keys come from the job's config file at run time: a model whose key is no
 * longer there fails each of its days with a message naming the file (never
 * a key), while the others run. */
static void test_keys_from_file(void)
{
    static const char *const models[] = {"plain", "kept", "gone"};
    static const char head[] =
        "{\"date_range\":{\"init_date\":\"2025-01-01\"},\"stock_symbols\":[\"AAA\",\"BBB\"],"
        "\"agent_config\":{\"max_retries\":0,\"base_delay\":0},\"models\":["
        "{\"signature\":\"plain\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
        "{\"signature\":\"kept\",\"basemodel\":\"x\",\"openai_base_url\":"
        "\"http://127.0.0.1:9/v1\",\"openai_api_key\":\"sk-kept\"},"
        "{\"signature\":\"gone\",\"basemodel\":\"x\"";
    char path[256], text[1024], want[512], sql[512];
    struct config c = {0};
    FILE *f;
    snprintf(path, sizeof(path), "%s/keys.json", fx.dir);
    snprintf(text, sizeof(text), "%s,\"openai_api_key\":\"sk-gone\"}]}", head);
    if ((f = fopen(path, "w"))) {
        fputs(text, f);
        fclose(f);
    }
    ok(config_load(path, &c, err, sizeof(err)) == 0 && !strstr(c.snapshot, "sk-"),
       "a config with two keys, and its keyless snapshot: %s", err);
    ok(make_job("k1", c.snapshot, 0, 0, 2, models, 3) == 0, "job k1 claimed: %s", err);
    config_free(&c);
    snprintf(sql, sizeof(sql), "UPDATE jobs SET config_path = '%s' WHERE job_id = 'k1'", path);
    fx_exec(fx.db, sql);
    /* Since the trigger, the file lost gone's key. */
    snprintf(text, sizeof(text), "%s}]}", head);
    if ((f = fopen(path, "w"))) {
        fputs(text, f);
        fclose(f);
    }
    setenv("OPENAI_API_KEY", "sk-env", 1); /* a key the file had is never the environment's */
    is_int(run("k1", 2, NULL), WORKER_FINISHED, "job k1 runs to its end");
    unsetenv("OPENAI_API_KEY");
    is_str(job_status("k1"), "partial", "k1 partial");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='k1' AND model='plain' AND "
             "status='completed'"),
           2, "plain ran both days");
    snprintf(want, sizeof(want), "API key for model gone is no longer in %s", path);
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='k1' AND model='gone' AND "
             "status='failed' AND error = '%s'",
             want),
           2, "gone failed both days with the message naming the file");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='k1' AND model='kept' AND "
             "status='failed' AND error NOT LIKE '%%no longer%%'"),
           2, "kept had its key from the file (its days failed on the closed port, not the key)");
    is_int(q("SELECT (SELECT count(*) FROM job_details WHERE instr(error, 'sk-')) + "
             "(SELECT count(*) FROM audit_log WHERE instr(details, 'sk-')) + "
             "(SELECT count(*) FROM jobs WHERE instr(coalesce(config_json, '') || "
             "coalesce(error, ''), 'sk-'))"),
           0, "no key in any message or row");
}

int main(void)
{
    if (fx_open(&fx) != 0 || worker_self_init(&self, "test", 4, err, sizeof(err)) != 0)
        return 1;
    for (size_t d = 0; d < 3; d++) {
        fx_bar(fx.db, "AAA", days[d], d == 1 ? "12.0" : "10.0", d == 1 ? "12.0" : "10.0");
        fx_bar(fx.db, "BBB", days[d], "20.0", d == 2 ? "25.0" : "20.0");
    }
    fx_bar(fx.db, "AAA", "2024-12-31", "9.0", "9.0");
    fx_bar(fx.db, "BBB", "2024-12-31", "21.0", "21.0");
    test_threads_setting();
    snprintf(lockstep_text, sizeof(lockstep_text), "{\"schedule\":\"lockstep\",%s",
             config_text + 1);
    test_partial_job();
    test_final_statuses();
    test_schedules();
    test_parallel_and_cancel();
    test_keys_from_file();
    is_int(run("nope", 1, NULL), WORKER_FINISHED, "an unknown job: nothing to serve");
    fx_close(&fx);
    return tap_done();
}
