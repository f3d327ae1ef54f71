/* Unit tests for the model-day leases of jobs (many workers on one store):
 * the claim's order (a model's dates in order, the earliest date first, a
 * lockstep job's barrier per date, a pending job started, a cancelled one
 * refused), renewing, reclaiming expired leases, releasing a worker's days,
 * the lease check a commit makes (a lost lease refuses the model-day's
 * commit, which writes nothing) and finishing a job once nothing is left. */
#include "service/jobs.h"
#include "sim/modelday.h"

#include "simfixture.h"
#include "tap.h"

#include <stdlib.h>

static struct fixture fx;
static char err[512];

#define q(...) fx_intf(fx.db, __VA_ARGS__)

static const char CONFIG[] = "{\"date_range\":{\"init_date\":\"2025-01-01\"},"
                             "\"stock_symbols\":[\"AAA\"],\"models\":["
                             "{\"signature\":\"a\",\"provider\":\"builtin\","
                             "\"strategy\":\"equal_weight\"},"
                             "{\"signature\":\"b\",\"provider\":\"builtin\","
                             "\"strategy\":\"equal_weight\"}]}";

/* A pending job id over days 2025-01-02, -03, -06 of models a and b,
 * inserted date by date. */
static void make_job(const char *id)
{
    static const char *const dates[] = {"2025-01-02", "2025-01-03", "2025-01-06"};
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO jobs(job_id,config_path,config_json,status,date_range,models,"
             "created_at,updated_at) VALUES('%s','c','%s','pending','[]','[]','t','t')",
             id, CONFIG);
    fx_exec(fx.db, sql);
    for (size_t d = 0; d < 3; d++)
        for (const char *m = "a"; *m <= 'b'; m = *m == 'a' ? "b" : "c") {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO job_details(job_id,date,model,status) VALUES('%s','%s','%s',"
                     "'pending')",
                     id, dates[d], m);
            fx_exec(fx.db, sql);
        }
}

/* Claims for worker; "date model" of the day, or "none" / "error". */
static const char *claim(const char *job, const char *worker, bool lockstep)
{
    static char buf[128];
    struct jobs_claimed d;
    enum jobs_found f = jobs_claim_day(fx.db, job, worker, lockstep, &d, err, sizeof(err));
    if (f == JOBS_FOUND)
        snprintf(buf, sizeof(buf), "%s %s", d.date, d.model);
    else
        snprintf(buf, sizeof(buf), "%s", f == JOBS_MISSING ? "none" : "error");
    return buf;
}

static void complete(const char *job, const char *date, const char *model)
{
    ok(jobs_day_complete(fx.db, job, date, model, 1.0, err, sizeof(err)) == 0, "%s %s completed",
       date, model);
}

static void test_pipelined(void)
{
    make_job("p");
    is_str(claim("p", "w1", false), "2025-01-02 a", "w1: the earliest date, first model");
    is_int(q("SELECT count(*) FROM jobs WHERE job_id='p' AND status='running' AND "
             "started_at IS NOT NULL"),
           1, "the pending job is running");
    is_int(q("SELECT count(*) FROM audit_log WHERE job_id='p' AND event='job_started'"), 1,
           "  audited once");
    is_str(claim("p", "w2", false), "2025-01-02 b", "w2: the other model");
    is_str(claim("p", "w1", false), "none", "each model's next date waits for its running one");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='p' AND status='running' AND "
             "worker='w1' AND model='a' AND attempts=1 AND lease_until > started_at"),
           1, "the day names its worker, its lease and an attempt");
    is_int(q("SELECT count(*) FROM audit_log WHERE job_id='p' AND event='model_day_started'"), 2,
           "each claim audited");
    complete("p", "2025-01-02", "a");
    is_str(claim("p", "w1", false), "2025-01-03 a", "pipelined: a goes on while b runs");
    is_str(claim("p", "w2", false), "none", "  and nothing else is runnable");

    bool held = false;
    ok(jobs_day_held(fx.db, "p", "2025-01-03", "a", "w1", &held, err, sizeof(err)) == 0 && held,
       "w1 holds its day");
    ok(jobs_day_held(fx.db, "p", "2025-01-03", "a", "w2", &held, err, sizeof(err)) == 0 && !held,
       "w2 does not");

    /* Renew: a lease pushed into the past comes back into the future. */
    long long n = 0;
    fx_exec(fx.db, "UPDATE job_details SET lease_until='2000-01-01T00:00:00.000Z' WHERE "
                   "job_id='p' AND status='running'");
    ok(jobs_renew_leases(fx.db, "w1", &n, err, sizeof(err)) == 0 && n == 1, "w1 renews its day");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='p' AND status='running' AND "
             "lease_until > '2001'"),
           1, "  its lease only");
    ok(jobs_reclaim_expired(fx.db, &n, err, sizeof(err)) == 0 && n == 1,
       "reclaim: w2's expired lease");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='p' AND date='2025-01-02' AND "
             "model='b' AND status='pending' AND worker IS NULL AND lease_until IS NULL AND "
             "started_at IS NULL"),
           1, "  back to pending, without worker or lease");
    is_int(q("SELECT count(*) FROM audit_log WHERE job_id='p' AND event='job_recovered' AND "
             "details LIKE '%%\"interrupted_model_days\":1%%lease expired%%'"),
           1, "  audited");
    is_str(claim("p", "w2", false), "2025-01-02 b", "another claim takes it again");
    is_int(q("SELECT attempts FROM job_details WHERE job_id='p' AND date='2025-01-02' AND "
             "model='b'"),
           2, "  a second attempt");
    ok(jobs_release_worker(fx.db, "w1", "worker gone", &n, err, sizeof(err)) == 0 && n == 1,
       "release w1's days, lease or not");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='p' AND status='running'"), 1,
           "  w2's day still runs");
    ok(jobs_day_held(fx.db, "p", "2025-01-03", "a", "w1", &held, err, sizeof(err)) == 0 && !held,
       "w1 lost its day");
}

/* A day claimed by w1 and then reclaimed and claimed by w2: w1's commit is
 * refused and writes nothing; w2's lands. */
static void test_lost_commit(void)
{
    const struct config_model *m;
    struct config cfg = {0};
    ok(config_parse(CONFIG, strlen(CONFIG), &cfg, err, sizeof(err)) == 0, "config");
    m = config_find_model(&cfg, "a");
    struct modelday_spec spec = {.job_id = "p",
                                 .date = "2025-01-03",
                                 .cfg = &cfg,
                                 .model = m,
                                 .home = fx.dir,
                                 .worker = "w1"};
    is_str(claim("p", "w2", false), "2025-01-03 a", "w2 claims the day w1 lost");
    is_int(modelday_run(fx.db, &spec, err, sizeof(err)), MODELDAY_LOST,
           "w1's run of it is dropped at commit");
    is_int(q("SELECT count(*) FROM positions WHERE job_id='p' AND date='2025-01-03'"), 0,
           "  nothing written");
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='p' AND date='2025-01-03' AND "
             "model='a' AND status='running' AND worker='w2'"),
           1, "  the day still w2's");
    ok(modelday_fail(fx.db, "p", "2025-01-03", "a", "w1", "boom", 1.0, err, sizeof(err)) == 0 &&
           q("SELECT count(*) FROM job_details WHERE status='failed'") == 0,
       "nor is w1's failure recorded");
    spec.worker = "w2";
    is_int(modelday_run(fx.db, &spec, err, sizeof(err)), MODELDAY_COMPLETED, "w2 commits it");
    is_int(q("SELECT count(*) FROM positions WHERE job_id='p' AND date='2025-01-03' AND "
             "model='a'"),
           1, "  once");
    config_free(&cfg);
}

static void test_finish(void)
{
    char st[JOB_STATUS_BUF] = "";
    is_int(jobs_finish_done(fx.db, "p", st, err, sizeof(err)), JOBS_MISSING,
           "a job with days left is not finished");
    fx_exec(fx.db, "UPDATE job_details SET status='completed' WHERE job_id='p'");
    is_int(jobs_finish_done(fx.db, "p", st, err, sizeof(err)), JOBS_FOUND,
           "nothing left: finished");
    is_str(st, "completed", "  completed");
    is_int(jobs_finish_done(fx.db, "p", st, err, sizeof(err)), JOBS_MISSING, "  only once");
    is_int(q("SELECT count(*) FROM audit_log WHERE job_id='p' AND event='job_finished'"), 1,
           "  one job_finished");
    is_str(claim("p", "w1", false), "none", "a finished job has nothing to claim");

    enum jobs_cancel_outcome out;
    make_job("c");
    is_str(claim("c", "w1", false), "2025-01-02 a", "job c started");
    ok(jobs_cancel(fx.db, "c", &out, err, sizeof(err)) == 0 && out == JOBS_CANCEL_REQUESTED,
       "cancel requested");
    is_str(claim("c", "w1", false), "none", "no model-day starts after the request");
    is_int(jobs_finish_done(fx.db, "c", st, err, sizeof(err)), JOBS_MISSING,
           "not finished while a day runs");
    complete("c", "2025-01-02", "a");
    is_int(jobs_finish_done(fx.db, "c", st, err, sizeof(err)), JOBS_FOUND,
           "finished once the running day ended");
    is_str(st, "cancelled", "  cancelled, its other days left pending");
}

static void test_lockstep(void)
{
    make_job("l");
    is_str(claim("l", "w1", true), "2025-01-02 a", "lockstep: the first date");
    complete("l", "2025-01-02", "a");
    is_str(claim("l", "w1", true), "2025-01-02 b", "the same date's other model");
    is_str(claim("l", "w2", true), "none", "no later date while one of the first runs");
    complete("l", "2025-01-02", "b");
    is_str(claim("l", "w2", true), "2025-01-03 a", "the next date once the first is done");
}

static void test_lease_length(void)
{
    is_int(jobs_lease_seconds(), 7, "the lease from " JOBS_ENV_LEASE);
    is_int(q("SELECT count(*) FROM job_details WHERE job_id='l' AND status='running' AND "
             "lease_until > strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ','now','+5 seconds') AND "
             "lease_until < strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ','now','+8 seconds')"),
           1, "  a claim leases for that long");
}

int main(void)
{
    setenv(JOBS_ENV_LEASE, "7", 1);
    if (fx_open(&fx) != 0)
        return 1;
    fx_bar(fx.db, "AAA", "2025-01-02", "10.0", "10.0");
    fx_bar(fx.db, "AAA", "2025-01-03", "11.0", "11.0");
    test_pipelined();
    test_lost_commit();
    test_finish();
    test_lockstep();
    test_lease_length();
    fx_close(&fx);
    return tap_done();
}
