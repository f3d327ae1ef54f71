/* Unit tests for modelday and agentfiles: a completed day commits its
 * position, trades, holdings, reasoning, tool usage and status; state and
 * daily P&L carry over between days and across jobs; a held symbol without a
 * bar is valued at its last close; a day already done is refused; a failure
 * at commit time leaves nothing but the failed status; a cancelled day is abandoned untouched;
 * AI-Trader files are regenerated idempotently, one writer of a model at a
 * time, and their path stays in the data directory. */
#include "trading/agentfiles.h"
#include "sim/modelday.h"

#include "simfixture.h"
#include "tap.h"
#include <sqlite3.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>

static char err[512];
static struct fixture fx;
static struct config cfg;

static const char config_text[] =
    "{\"date_range\":{\"init_date\":\"2025-01-01\"},"
    "\"stock_symbols\":[\"AAA\",\"BBB\",\"CCC\",\"DDD\"],"
    "\"models\":[{\"signature\":\"ew\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
    "{\"signature\":\"slow\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\","
    "\"delay_ms\":600000},"
    "{\"signature\":\"mock\",\"provider\":\"mock\"}],"
    "\"log_config\":{\"log_path\":\"./agent_data/\"}}";

static void insert_prices(struct db *db)
{
    static const char *const days[] = {"2025-01-02", "2025-01-03", "2025-01-06"};
    static const char *const close[][4] = {{"10.0", "20.0", "30.0", "40.0"},
                                           {"11.0", "20.0", "29.0", "40.0"},
                                           {"12.0", "20.0", "28.0", NULL}};
    static const char *const syms[] = {"AAA", "BBB", "CCC", "DDD"};
    for (size_t d = 0; d < 3; d++)
        for (size_t s = 0; s < 4; s++)
            if (close[d][s])
                fx_bar(db, syms[s], days[d], close[d][s], close[d][s]);
}

/* A running job with pending model-days "date:model,date:model,...". */
static void make_job(const char *id, const char *days)
{
    char sql[4096], buf[512];
    sqlite3_stmt *st;
    snprintf(sql, sizeof(sql),
             "INSERT INTO jobs(job_id,config_path,config_json,status,date_range,models,"
             "created_at,started_at) VALUES('%s','c',?1,'running','[]','[]',"
             "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ','now'),'2025-01-01T00:00:00.000Z')",
             id);
    sqlite3_prepare_v2(fx.db->h, sql, -1, &st, NULL);
    sqlite3_bind_text(st, 1, config_text, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_finalize(st);
    snprintf(buf, sizeof(buf), "%s", days);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        t[10] = '\0';
        snprintf(sql, sizeof(sql),
                 "INSERT INTO job_details(job_id,date,model,status) VALUES('%s','%s','%s',"
                 "'pending')",
                 id, t, t + 11);
        fx_exec(fx.db, sql);
    }
}

static enum modelday_result run(const char *job, const char *date, const char *model,
                                const atomic_int *cancel)
{
    struct modelday_spec spec = {.job_id = job,
                                 .date = date,
                                 .cfg = &cfg,
                                 .model = config_find_model(&cfg, model),
                                 .home = fx.dir,
                                 .cancel = cancel};
    err[0] = '\0';
    return modelday_run(fx.db, &spec, err, sizeof(err));
}

#define q(...) fx_intf(fx.db, __VA_ARGS__)

static const char *status_of(const char *job, const char *date, const char *model)
{
    static char buf[64];
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT status || coalesce(':' || error, '') FROM job_details WHERE job_id='%s' AND "
             "date='%s' AND model='%s'",
             job, date, model);
    return fx_text(fx.db, sql, buf, sizeof(buf));
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static void test_first_days(void)
{
    char buf[256];
    is_int(run("j1", "2025-01-02", "ew", NULL), MODELDAY_COMPLETED, "day 1 completes");
    is_str(status_of("j1", "2025-01-02", "ew"), "completed", "detail completed");
    ok(q("SELECT count(*) FROM job_details WHERE job_id='%s' AND date='%s' AND completed_at IS "
         "NOT NULL AND duration_seconds >= 0 AND attempts = 1",
         "j1", "2025-01-02") == 1,
       "completed_at, duration and attempts recorded");
    /* 250x10 + 125x20 + 83x30 + 62x40 + 30 = 10000. */
    is_int(q("SELECT portfolio_value FROM positions WHERE model='ew' AND date='%s'", "2025-01-02"),
           10000 * MONEY_SCALE, "value at today's close");
    is_int(q("SELECT prev_value FROM positions WHERE model='ew' AND date='%s'", "2025-01-02"),
           10000 * MONEY_SCALE, "previous value is the initial cash");
    is_int(q("SELECT cash FROM positions WHERE date='%s'", "2025-01-02"), 30 * MONEY_SCALE, "cash");
    is_int(q("SELECT count(*) FROM trades t JOIN positions p ON p.id=t.position_id WHERE "
             "p.date='%s'",
             "2025-01-02"),
           4, "four trades stored");
    is_int(q("SELECT count(*) FROM holdings h JOIN positions p ON p.id=h.position_id WHERE "
             "p.date='%s'",
             "2025-01-02"),
           4, "four holdings stored");
    is_int(q("SELECT count(*) FROM reasoning_logs r JOIN positions p ON p.id=r.position_id WHERE "
             "p.date='%s'",
             "2025-01-02"),
           5, "reasoning messages stored");
    is_int(q("SELECT calls FROM tool_usage u JOIN positions p ON p.id=u.position_id WHERE "
             "p.date='%s' AND tool_name='%s'",
             "2025-01-02", "buy"),
           4, "tool usage stored");
    is_int(q("SELECT count(*) FROM tool_usage WHERE tool_name='%s'", "add"), 0,
           "unused tools have no row");
    ok(strstr(fx_text(fx.db, "SELECT reasoning_summary FROM positions", buf, sizeof(buf)),
              "equal_weight: first session") != NULL,
       "reasoning summary stored");
    is_str(
        fx_text(fx.db, "SELECT total_steps || ',' || stop_signal FROM positions", buf, sizeof(buf)),
        "1,1", "steps and stop signal");
    is_str(fx_text(fx.db, "SELECT log_file_path FROM positions", buf, sizeof(buf)),
           "agent_data/ew/log/2025-01-02/log.jsonl", "log_file_path relative to the data dir");
    ok(q("SELECT count(*) FROM jobs WHERE job_id='%s' AND updated_at IS NOT NULL", "j1") == 1,
       "jobs.updated_at kept current");

    is_int(run("j1", "2025-01-03", "ew", NULL), MODELDAY_COMPLETED, "day 2 completes");
    /* 250x11 + 125x20 + 83x29 + 62x40 + 30 = 10167. */
    is_int(q("SELECT portfolio_value FROM positions WHERE date='%s'", "2025-01-03"),
           10167 * MONEY_SCALE, "state carried over and revalued");
    is_int(q("SELECT daily_profit FROM positions WHERE date='%s'", "2025-01-03"), 167 * MONEY_SCALE,
           "profit against the previous day");
    is_str(fx_text(fx.db,
                   "SELECT printf('%.2f', daily_return_pct) FROM positions WHERE "
                   "date='2025-01-03'",
                   buf, sizeof(buf)),
           "1.67", "return percent");
    is_int(q("SELECT count(*) FROM trades t JOIN positions p ON p.id=t.position_id WHERE "
             "p.date='%s'",
             "2025-01-03"),
           0, "equal_weight holds");
}

static void test_refusals(void)
{
    make_job("j2", "2025-01-02:ew,2025-01-06:ew,2025-01-06:slow");
    is_int(run("j2", "2025-01-02", "ew", NULL), MODELDAY_FAILED, "a done day is refused");
    ok(strstr(err, "already has results") != NULL, "error: %s", err);
    ok(strncmp(status_of("j2", "2025-01-02", "ew"), "failed:model ew already has results", 35) == 0,
       "failed with its error");
    is_int(q("SELECT count(*) FROM positions WHERE model='%s'", "ew"), 2, "never duplicated");

    atomic_int stop = 1;
    is_int(run("j2", "2025-01-06", "slow", &stop), MODELDAY_ABANDONED, "a cancelled day");
    is_str(status_of("j2", "2025-01-06", "slow"), "running", "left running for recovery");
    is_int(q("SELECT count(*) FROM positions WHERE model='%s'", "slow"), 0, "nothing written");

    fx_exec(fx.db, "CREATE TRIGGER boom BEFORE INSERT ON reasoning_logs BEGIN "
                   "SELECT RAISE(ABORT, 'boom'); END");
    is_int(run("j2", "2025-01-06", "ew", NULL), MODELDAY_FAILED, "a failure at commit time");
    ok(strstr(status_of("j2", "2025-01-06", "ew"), "boom") != NULL, "the error is kept: %s",
       status_of("j2", "2025-01-06", "ew"));
    is_int(q("SELECT count(*) FROM positions WHERE date='%s'", "2025-01-06"), 0,
           "no position for the failed day");
    is_int(q("SELECT (SELECT count(*) FROM reasoning_logs) * 100 + (SELECT count(*) FROM "
             "trades)"),
           604, "nor any reasoning or trade row");
    fx_exec(fx.db, "DROP TRIGGER boom");
}

static void test_other_job(void)
{
    make_job("j3", "2025-01-06:ew");
    is_int(run("j3", "2025-01-06", "ew", NULL), MODELDAY_COMPLETED,
           "another job continues the model");
    is_int(q("SELECT prev_value FROM positions WHERE date='%s'", "2025-01-06"), 10167 * MONEY_SCALE,
           "from the last completed day of job j1");
    /* DDD has no bar on 2025-01-06: valued at its last close, 40.
     * 250x12 + 125x20 + 83x28 + 62x40 + 30 = 10334. */
    is_int(q("SELECT portfolio_value FROM positions WHERE date='%s'", "2025-01-06"),
           10334 * MONEY_SCALE, "a symbol without a bar uses its last close");
}

/* A writer of a model's files waits for the model's directory lock: the
 * files stay as they are while another writer holds it (two threads ending
 * consecutive days of one model write at once), then are written whole. */
struct locked_write {
    struct db *db;
    int rc;
    char err[512];
};

static void *write_files(void *arg)
{
    struct locked_write *w = arg;
    w->rc = agentfiles_write(w->db, &cfg, fx.dir, "ew", NULL, w->err, sizeof(w->err));
    return NULL;
}

static void test_files_locked(const char *pos)
{
    char dir[512], file[600];
    struct locked_write w = {.rc = -1};
    pthread_t t;
    snprintf(dir, sizeof(dir), "%s/agent_data/ew", fx.dir);
    snprintf(file, sizeof(file), "%s/position/position.jsonl", dir);
    int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok(lock >= 0 && flock(lock, LOCK_EX) == 0, "the test holds ew's directory lock");
    ok(db_open(fx.db_path, DB_READWRITE, &w.db, err, sizeof(err)) == 0, "a second connection: %s",
       err);
    unlink(file);
    ok(pthread_create(&t, NULL, write_files, &w) == 0, "a writer starts");
    usleep(300 * 1000);
    ok(access(file, F_OK) != 0, "  and waits while the lock is held");
    close(lock);
    pthread_join(t, NULL);
    ok(w.rc == 0, "  then writes: %s", w.err);
    char *now = fx_slurp(&fx, "agent_data/ew/position/position.jsonl");
    ok(pos && now && strcmp(pos, now) == 0, "  the whole file");
    free(now);
    db_close(w.db);
}

static void test_files(void)
{
    char *pos = fx_slurp(&fx, "agent_data/ew/position/position.jsonl");
    ok(pos != NULL, "position.jsonl written");
    is_int(count_lines(pos), 7, "initial line, four buys, two no_trade days");
    ok(pos && strncmp(pos, "{\"date\": \"2025-01-01\", \"id\": 0, \"positions\": {\"AAA\": 0, ",
                      56) == 0,
       "initial line in AI-Trader's format");
    ok(pos &&
           strstr(pos, "{\"date\": \"2025-01-02\", \"id\": 1, \"this_action\": {\"action\": "
                       "\"buy\", \"symbol\": \"AAA\", \"amount\": 250}, \"positions\": "
                       "{\"AAA\": 250, \"BBB\": 0, \"CCC\": 0, \"DDD\": 0, \"CASH\": 7500.0}}\n"),
       "a trade line with the state after it");
    ok(pos && strstr(pos, "{\"date\": \"2025-01-06\", \"id\": 6, \"this_action\": {\"action\": "
                          "\"no_trade\", \"symbol\": \"\", \"amount\": 0}"),
       "the last day, ids consecutive");
    char *log = fx_slurp(&fx, "agent_data/ew/log/2025-01-02/log.jsonl");
    is_int(count_lines(log), 5, "one log line per message");
    ok(log &&
           strncmp(log, "{\"signature\": \"ew\", \"new_messages\": [{\"role\": \"tool\"", 51) == 0,
       "log line format");
    ok(agentfiles_write(fx.db, &cfg, fx.dir, "ew", "2025-01-02", err, sizeof(err)) == 0,
       "rewrite: %s", err);
    char *again = fx_slurp(&fx, "agent_data/ew/position/position.jsonl");
    ok(pos && again && strcmp(pos, again) == 0, "rewriting is idempotent");
    free(again);
    again = fx_slurp(&fx, "agent_data/ew/position/position.jsonl.tmp");
    ok(!again, "no temp file left");
    free(again);
    test_files_locked(pos);
    free(pos);
    free(log);

    char out[512], abs_ok[300], abs_bad[300];
    char *saved = cfg.log_path;
    struct {
        const char *log_path;
        enum agentfiles_on want;
        const char *path;
    } cases[] = {
        {"../escape", AGENTFILES_ERROR, NULL},
        {"a/../../b", AGENTFILES_ERROR, NULL},
        {"/etc", AGENTFILES_ERROR, NULL},
        {abs_ok, AGENTFILES_ON, "inside/ew/log/2025-01-02/log.jsonl"},
        {abs_bad, AGENTFILES_ERROR, NULL},
        {".", AGENTFILES_ON, "ew/log/2025-01-02/log.jsonl"},
        {"", AGENTFILES_OFF, NULL},
    };
    snprintf(abs_ok, sizeof(abs_ok), "%s/inside", fx.dir);
    snprintf(abs_bad, sizeof(abs_bad), "%sX/inside", fx.dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg.log_path = (char *)cases[i].log_path;
        enum agentfiles_on f = agentfiles_log_file_path(fx.dir, &cfg, "ew", "2025-01-02", out,
                                                        sizeof(out), err, sizeof(err));
        is_int(f, cases[i].want, cases[i].log_path);
        if (cases[i].path && f == AGENTFILES_ON)
            is_str(out, cases[i].path, "stored path");
    }
    cfg.log_path = saved;
}

int main(void)
{
    if (fx_open(&fx) != 0)
        return 1;
    insert_prices(fx.db);
    ok(config_parse(config_text, strlen(config_text), &cfg, err, sizeof(err)) == 0, "config: %s",
       err);
    make_job("j1", "2025-01-02:ew,2025-01-03:ew");
    ok(modelday_provider("builtin") != NULL && modelday_provider("nope") == NULL, "provider table");
    test_first_days();
    test_refusals();
    test_other_job();
    test_files();
    config_free(&cfg);
    fx_close(&fx);
    return tap_done();
}
