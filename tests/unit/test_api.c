/* Unit tests for the API's dispatcher and pages (fcgi/routes, page_*,
 * src/jobview) against a real SQLite file in a temp directory: every
 * endpoint's answer field by field, the validation that runs before the
 * handlers, and a database that is missing, replaced or of another schema
 * version. The HTTP transport itself is covered by the integration tests. */
#include "app.h"
#include "base/dates.h"
#include "http.h"
#include "routes.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct app app;
static struct request req;
static struct response resp;
static char home[256], dbpath[512];

/* Dispatches METHOD URI (with its query) and keeps the answer in resp. */
static int call(const char *method, const char *uri)
{
    char m[64], u[2200];
    char *env[] = {m, u, NULL};
    snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
    snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
    http_request_free(&req);
    http_response_free(&resp);
    memset(&resp, 0, sizeof(resp));
    if (http_parse(env, &req, &resp) == 0)
        routes_dispatch(&req, &resp, &app);
    return resp.status;
}

static int get(const char *uri)
{
    return call("GET", uri);
}

/* The value at a dotted path of the answer ("progress.details.1.status"),
 * as JSON text ("null" when the value is null, NULL when absent). The answer
 * is read as a client reads it, from its text (jobview renders some parts as
 * text). */
static const char *at(const char *path)
{
    static json_object *parsed;
    char buf[256], *save = NULL;
    json_object_put(parsed);
    parsed = resp.body ? json_tokener_parse(json_object_to_json_string_ext(
                             resp.body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
                       : NULL;
    json_object *o = parsed;
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
        if (json_object_is_type(o, json_type_array)) {
            size_t i = (size_t)atoi(k);
            if (i >= json_object_array_length(o))
                return NULL;
            o = json_object_array_get_idx(o, i);
        } else if (!json_object_is_type(o, json_type_object) ||
                   !json_object_object_get_ex(o, k, &o)) {
            return NULL;
        }
    }
    if (!o)
        return "null";
    if (json_object_is_type(o, json_type_string))
        return json_object_get_string(o);
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

/* The answer's serialized text. */
static const char *text(void)
{
    return resp.body ? json_object_to_json_string_ext(resp.body, JSON_C_TO_STRING_PLAIN) : "";
}

static void sql(struct db *db, const char *s)
{
    char err[512];
    if (db_exec(db, s, err, sizeof(err)) != 0)
        printf("# sql failed: %s\n", err);
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(s, f);
        fclose(f);
    }
}

/* Two jobs: j1 completed (two models, one date), j2 running (created later). */
static void jobs_fixture(struct db *db)
{
    sql(db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at,started_at,"
            "updated_at,completed_at,total_duration_seconds,warnings) VALUES('job-1','c',"
            "'completed','[\"2025-01-03\"]','[\"alpha\",\"beta\"]','2025-01-04T10:00:00.000Z',"
            "'2025-01-04T10:00:01.000Z','2025-01-04T10:01:00.000Z','2025-01-04T10:01:00.000Z',"
            "59.5,'[\"w1\"]')");
    sql(db, "INSERT INTO job_details(job_id,date,model,status,started_at,completed_at,"
            "duration_seconds) VALUES"
            "('job-1','2025-01-03','alpha','completed','s1','c1',12.25),"
            "('job-1','2025-01-03','beta','completed','s2','c2',30.0)");
    /* job-3: an error that needs JSON escaping, and a model-day per state. */
    sql(db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
            " VALUES('job-3','c','running','[]','[]','2025-01-01T00:00:00.000Z')");
    sql(db, "INSERT INTO job_details(job_id,date,model,status,error,duration_seconds) VALUES"
            "('job-3','2025-01-03','a','failed','say \"no\"' || char(10) || 'back\\slash',1),"
            "('job-3','2025-01-03','b','completed',NULL,NULL),"
            "('job-3','2025-01-06','a','running',NULL,NULL),"
            "('job-3','2025-01-06','b','pending',NULL,NULL)");
    sql(db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at,started_at)"
            " VALUES('job-2','c','running','[\"2025-01-06\",\"2025-01-07\"]','[\"alpha\"]',"
            "'2025-01-05T09:00:00.000Z','2025-01-05T09:00:01.000Z')");
    sql(db, "INSERT INTO job_details(job_id,date,model,status,error) VALUES"
            "('job-2','2025-01-07','alpha','pending',NULL),"
            "('job-2','2025-01-06','alpha','running',NULL)");
}

/* Results: alpha and beta on 2025-01-03 (alpha with trades), alpha on
 * 2025-01-06. */
static void results_fixture(struct db *db)
{
    sql(db, "INSERT INTO positions(id,job_id,date,model,cash,portfolio_value,prev_value,"
            "daily_profit,daily_return_pct,total_steps,stop_signal,reasoning_summary,"
            "log_file_path,created_at) VALUES"
            "(1,'job-1','2025-01-03','alpha',7441200000,10150500000,10000000000,150500000,1.505,"
            "7,1,'Bought AAPL','agent_data/alpha/log/2025-01-03/log.jsonl','t'),"
            "(2,'job-1','2025-01-03','beta',10000000000,10000000000,10000000000,0,0,2,0,NULL,"
            "NULL,'t'),"
            "(3,'job-2','2025-01-06','alpha',7441200000,10100000000,10150500000,-50500000,"
            "-0.4975,3,1,NULL,NULL,'t')");
    sql(db, "INSERT INTO holdings(position_id,symbol,quantity) VALUES(1,'MSFT',2),(1,'AAPL',10),"
            "(3,'AAPL',10),(3,'MSFT',2)");
    sql(db, "INSERT INTO trades(position_id,seq,action,symbol,amount,price,total) VALUES"
            "(1,1,'buy','AAPL',10,255880000,2558800000),"
            "(1,2,'buy','MSFT',2,0000000001,0000000002)");
    sql(db, "INSERT INTO tool_usage(position_id,tool_name,calls) VALUES(1,'get_price',5),"
            "(1,'trade',2)");
}

static void test_no_database(void)
{
    is_int(get("/health"), 503, "health without a database: 503");
    is_str(at("status"), "unhealthy", "  unhealthy");
    is_str(at("database.status"), "unavailable", "  database unavailable");
    is_str(at("database.path"), dbpath, "  database path");
    is_str(at("database.schema_version"), "null", "  no schema version");
    is_str(at("services.traderd.status"), "down", "  traderd down");
    is_str(at("prices"), "null", "  no prices");
    is_int(get("/simulate/current"), 503, "a page needing the database: 503");
    is_str(at("error"), "unavailable", "  unavailable");
    ok(at("details.reason") != NULL, "  with the reason");
}

static void test_health(struct db *db)
{
    char now[TIMESTAMP_BUF], q[512];
    time_now_iso(now);
    snprintf(q, sizeof(q),
             "INSERT INTO workers(id,hostname,pid,threads,started_at,last_heartbeat,current_job)"
             " VALUES('h:4242:x','h',4242,3,'%s','%s','job-2'),"
             " ('g:1:y','g',1,1,'2020-01-01T00:00:00.000Z','2020-01-01T00:00:00.000Z',NULL)",
             now, now);
    sql(db, q);
    is_int(get("/health"), 200, "health with a fresh heartbeat: 200");
    is_str(at("status"), "healthy", "  healthy");
    ok(at("timestamp") && strlen(at("timestamp")) == 24, "  timestamp");
    is_str(at("services.traderd.status"), "up", "  traderd up");
    is_str(at("services.traderd.pid"), "4242", "  traderd pid");
    is_str(at("services.traderd.last_heartbeat"), now, "  last heartbeat");
    is_str(at("services.traderd.current_job"), "job-2", "  current job");
    is_str(at("services.traderd.workers.0.id"), "h:4242:x", "  the live worker listed");
    is_str(at("services.traderd.workers.0.hostname"), "h", "  its host");
    is_str(at("services.traderd.workers.0.pid"), "4242", "  its pid");
    is_str(at("services.traderd.workers.0.threads"), "3", "  its threads");
    is_str(at("services.traderd.workers.0.current_job"), "job-2", "  its job");
    is_str(at("services.traderd.workers.0.last_heartbeat"), now, "  its heartbeat");
    ok(at("services.traderd.workers.1.id") == NULL, "  the stale one is not");
    is_str(at("services.models.0.signature"), "gpt-x", "  model listed");
    is_str(at("services.models.0.endpoint"), "https://llm.example/v1",
           "  endpoint without credentials");
    is_str(at("services.models.1.signature"), "alpha", "  second model");
    ok(!strstr(text(), "SECRET") && !strstr(text(), "hunter2"), "  no key or password shown");
    is_str(at("storage.data_directory"), home, "  data directory");
    is_str(at("storage.writable"), "true", "  writable");
    ok(at("storage.free_space_mb") && atoll(at("storage.free_space_mb")) >= 0, "  free space");
    is_str(at("database.status"), "connected", "  database connected");
    is_int(atoi(at("database.schema_version")), DB_SCHEMA_VERSION, "  schema version");
    is_str(at("prices.symbols"), "1", "  one price symbol");
    is_str(at("prices.first_date"), "2025-01-02", "  first price date");
    is_str(at("prices.last_date"), "2025-01-03", "  last price date");
    is_str(at("prices.synthetic"), "false", "  real prices");

    sql(db, "UPDATE workers SET last_heartbeat = '2020-01-01T00:00:00.000Z'");
    is_int(get("/health"), 503, "stale heartbeat: 503");
    is_str(at("services.traderd.status"), "down", "  traderd down");
    is_str(at("services.traderd.error"), "heartbeat stale", "  says why");
    sql(db, "UPDATE workers SET last_heartbeat = 'garbage'");
    is_int(get("/health"), 503, "unreadable heartbeat: 503");
    sql(db, "DELETE FROM workers");
    is_int(get("/health"), 503, "no heartbeat row: 503");
    is_str(at("services.traderd.error"), "no heartbeat recorded", "  says why");
}

static void test_status(void)
{
    is_int(get("/simulate/status/job-1"), 200, "status of a completed job");
    is_str(at("job_id"), "job-1", "  job_id");
    is_str(at("status"), "completed", "  status");
    is_str(at("date_range"), "[\"2025-01-03\"]", "  date_range");
    is_str(at("models"), "[\"alpha\",\"beta\"]", "  models");
    is_str(at("progress.total_model_days"), "2", "  total");
    is_str(at("progress.completed"), "2", "  completed");
    is_str(at("progress.failed"), "0", "  failed");
    is_str(at("progress.pending"), "0", "  pending");
    is_str(at("progress.current"), "null", "  no current model-day");
    is_str(at("progress.details.0.model"), "alpha", "  detail 0 model");
    is_str(at("progress.details.0.started_at"), "s1", "  detail 0 started_at");
    is_str(at("progress.details.0.completed_at"), "c1", "  detail 0 completed_at");
    is_str(at("progress.details.0.duration_seconds"), "12.25", "  detail 0 duration");
    is_str(at("progress.details.0.error"), "null", "  detail 0 error null");
    is_str(at("progress.details.1.duration_seconds"), "30.0", "  detail 1 duration");
    ok(at("progress.details.2") == NULL, "  two details");
    is_str(at("created_at"), "2025-01-04T10:00:00.000Z", "  created_at");
    is_str(at("started_at"), "2025-01-04T10:00:01.000Z", "  started_at");
    is_str(at("updated_at"), "2025-01-04T10:01:00.000Z", "  updated_at");
    is_str(at("completed_at"), "2025-01-04T10:01:00.000Z", "  completed_at");
    is_str(at("total_duration_seconds"), "59.5", "  total_duration_seconds");
    is_str(at("error"), "null", "  error null");
    is_str(at("warnings"), "[\"w1\"]", "  warnings");

    is_int(get("/simulate/status/job-2"), 200, "status of a running job");
    is_str(at("progress.total_model_days"), "2", "  total");
    is_str(at("progress.pending"), "2", "  running and pending are not finished");
    is_str(at("progress.current.date"), "2025-01-06", "  current date");
    is_str(at("progress.current.model"), "alpha", "  current model");
    is_str(at("progress.details.0.date"), "2025-01-06", "  details by date");
    is_str(at("progress.details.0.status"), "running", "  running detail");
    is_str(at("progress.details.1.status"), "pending", "  pending detail");
    is_str(at("completed_at"), "null", "  not completed");
    is_str(at("warnings"), "[]", "  no warnings is []");

    is_int(get("/simulate/status/job-3?details=failed"), 200, "details=failed");
    is_str(at("progress.details.0.error"), "say \"no\"\nback\\slash",
           "  an error with quotes, a newline and a backslash survives");
    is_str(at("progress.details.0.duration_seconds"), "1.0", "  an integer duration as 1.0");
    is_str(at("progress.details_total"), "1", "  details_total 1");
    ok(at("progress.details.1") == NULL, "  only the failed one");
    is_str(at("progress.current_models"),
           "[{\"model\":\"a\",\"date\":\"2025-01-06\",\"status\":\"running\"},"
           "{\"model\":\"b\",\"date\":\"2025-01-06\",\"status\":\"pending\"}]",
           "  current_models: a running, b's next date");
    is_int(get("/simulate/status/job-3?details=running&limit=5&offset=0"), 200, "details=running");
    is_str(at("progress.details.0.model"), "a", "  the running one");
    is_int(get("/simulate/status/job-3?limit=2&offset=1"), 200, "limit=2&offset=1");
    is_str(at("progress.details.0.model"), "b", "  starts at the second by date");
    is_str(at("progress.details.1.date"), "2025-01-06", "  and has two");
    is_str(at("progress.details_total"), "4", "  details_total counts the job");
    is_int(get("/simulate/status/job-3?details=none"), 200, "details=none");
    ok(at("progress.details") == NULL && at("progress.details_total") == NULL, "  no details");
    is_int(get("/simulate/status/job-3?limit=100001"), 400, "limit over the maximum: 400");

    is_int(get("/simulate/status/no-such-job"), 404, "unknown job: 404");
    is_str(at("error"), "not_found", "  not_found");
    is_str(at("message"), "Job not found", "  message");
    is_str(at("job_id"), "no-such-job", "  echoes the id");
    is_int(get("/simulate/status/bad_id"), 400, "malformed job id: 400");
    is_str(at("details.parameter"), "job_id", "  names the parameter");
    is_int(get("/simulate/status/%27%3B--"), 400, "injection-like job id: 400");
    is_int(get("/simulate/status/"), 400, "empty job id: 400");
    is_int(get("/simulate/status/a/b"), 404, "extra segment: 404");

    is_int(get("/simulate/current"), 200, "current job");
    is_str(at("job_id"), "job-2", "  the most recent by created_at");
    is_str(at("progress.completed"), "0", "  summary counts");
    is_str(at("progress.current.model"), "alpha", "  current model-day");
    ok(at("progress.details") == NULL, "  no details in the summary");
}

static void test_results(void)
{
    is_int(get("/results?date=2025-01-03"), 200, "results on a date");
    is_str(at("date"), "2025-01-03", "  date");
    is_str(at("count"), "2", "  count");
    is_str(at("results.0.model"), "alpha", "  by model");
    is_str(at("results.0.job_id"), "job-1", "  job_id");
    is_str(at("results.0.positions"), "{\"AAPL\":10,\"MSFT\":2,\"CASH\":7441.2}",
           "  positions then CASH, exact");
    is_str(at("results.0.daily_pnl.profit"), "150.5", "  profit");
    is_str(at("results.0.daily_pnl.return_pct"), "1.505", "  return_pct");
    is_str(at("results.0.daily_pnl.portfolio_value"), "10150.5", "  portfolio_value");
    is_str(at("results.1.positions"), "{\"CASH\":10000.0}", "  cash only");
    ok(at("results.0.trades") == NULL && at("results.0.ai_reasoning") == NULL,
       "  minimal has no trades or reasoning");

    is_int(get("/results?date=2025-01-03&model=alpha&detail=full"), 200, "full detail");
    is_str(at("count"), "1", "  model filter");
    is_str(at("results.0.trades.0"),
           "{\"id\":1,\"action\":\"buy\",\"symbol\":\"AAPL\",\"amount\":10,\"price\":255.88,"
           "\"total\":2558.8,\"fee\":0.0}",
           "  trade, with its fee");
    is_str(at("results.0.corporate_actions"), "[]", "  no splits that day");
    is_str(at("results.0.trades.1.price"), "0.000001", "  smallest amount exact");
    is_str(at("results.0.ai_reasoning.total_steps"), "7", "  total_steps");
    is_str(at("results.0.ai_reasoning.stop_signal_received"), "true", "  stop signal");
    is_str(at("results.0.ai_reasoning.reasoning_summary"), "Bought AAPL", "  summary");
    is_str(at("results.0.ai_reasoning.tool_usage"), "{\"get_price\":5,\"trade\":2}",
           "  tool usage");
    is_str(at("results.0.log_file_path"), "agent_data/alpha/log/2025-01-03/log.jsonl",
           "  log file path");
    get("/results?date=2025-01-03&model=beta&detail=full");
    ok(at("results.0.log_file_path") == NULL, "  no log_file_path when not written");
    is_str(at("results.0.ai_reasoning.reasoning_summary"), "null", "  summary null");
    is_str(at("results.0.trades"), "[]", "  no trades");

    is_int(get("/results"), 200, "no date: the latest date");
    is_str(at("date"), "2025-01-06", "  2025-01-06");
    is_str(at("results.0.daily_pnl.profit"), "-50.5", "  negative profit");
    is_int(get("/results?model=beta"), 200, "no date with a model filter");
    is_str(at("date"), "2025-01-03", "  the model's latest date");
    is_int(get("/results?job_id=job-1&unknown=1"), 200, "job filter, unknown parameter ignored");
    is_str(at("date"), "2025-01-03", "  the job's latest date");

    is_int(get("/results?date=2025-01-10&model=alpha"), 404, "no data: 404");
    is_str(at("error"), "no_data", "  no_data");
    is_str(at("message"), "No simulation data found for date 2025-01-10 and model alpha",
           "  message names date and model");
    get("/results?model=gamma");
    is_str(at("message"), "No simulation data found for model gamma", "  model only");
    get("/results?date=2025-01-10&model=alpha&job_id=job-1");
    is_str(at("message"), "No simulation data found for date 2025-01-10, model alpha and job job-1",
           "  three filters");

    static const char *const bad_dates[] = {
        "2025-13-01", "2025-02-30", "abc", "", "2025-1-01", "2025-01-01%20", "%272025-01-01%27"};
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
        char uri[128];
        snprintf(uri, sizeof(uri), "/results?date=%s", bad_dates[i]);
        is_int(get(uri), 400, "bad date");
        is_str(at("error"), "invalid_date", "  invalid_date");
        is_str(at("message"), "Date must be in YYYY-MM-DD format", "  message");
    }
    is_int(get("/results?detail=everything"), 400, "bad detail");
    is_int(get("/results?model=a%20b"), 400, "model with a space");
    is_int(get("/results?model=%27%20OR%201%3D1--"), 400, "SQL-like model");
    is_int(get("/results?date=2025-01-03&date=2025-01-06"), 400, "repeated parameter");
}

static void test_routing(void)
{
    is_int(get("/nowhere"), 404, "unknown route: 404");
    is_str(at("error"), "not_found", "  not_found");
    is_str(at("details.path"), "/nowhere", "  echoes the path");
    is_int(call("POST", "/results"), 405, "wrong method: 405");
    is_str(at("error"), "method_not_allowed", "  method_not_allowed");
    is_str(resp.allow, "GET, HEAD", "  Allow: GET, HEAD");
    is_int(call("HEAD", "/simulate/current"), 200, "HEAD is GET (nginx drops the body)");
    is_int(call("DELETE", "/simulate/status/job-1"), 405, "DELETE a job: 405");
    is_int(get("/health/"), 404, "trailing slash is another path");
    is_int(get("/results?x=%ZZ"), 400, "malformed escape anywhere: 400");
}

/* Renames the database and its -wal and -shm files from a to b. */
static int move_db(const char *a, const char *b)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        char from[600], to[600];
        snprintf(from, sizeof(from), "%s%s", a, sfx[i]);
        snprintf(to, sizeof(to), "%s%s", b, sfx[i]);
        if (rename(from, to) != 0 && i == 0)
            rc = -1;
    }
    return rc;
}

/* The database removed, replaced by one of another version, restored. */
static void test_database_changes(void)
{
    char moved[600], err[512];
    struct db *old = NULL;
    snprintf(moved, sizeof(moved), "%s.moved", dbpath);
    ok(move_db(dbpath, moved) == 0, "database file moved away");
    is_int(get("/results"), 503, "  results: 503");
    is_int(get("/health"), 503, "  health: 503");
    is_str(at("database.status"), "unavailable", "  database unavailable");

    ok(db_open(dbpath, DB_READWRITE, &old, err, sizeof(err)) == 0 &&
           db_migrate_to(old, 1, err, sizeof(err)) == 0,
       "a version-1 database in its place");
    db_close(old);
    is_int(get("/results"), 503, "  old schema: 503");
    ok(strstr(at("details.reason"), "schema version 1") != NULL, "  reason names the version");
    unlink(dbpath);

    ok(move_db(moved, dbpath) == 0, "database restored");
    is_int(get("/results"), 200, "  answers again without a restart");
}

/* The model list follows edits of the default config without a restart. */
static void test_health_config_change(const char *cfg)
{
    write_file(cfg, "{\"agent_type\":\"BaseAgent\",\"date_range\":{\"init_date\":\"2025-01-02\"},"
                    "\"models\":[{\"name\":\"beta\",\"signature\":\"beta\","
                    "\"provider\":\"builtin\",\"strategy\":\"equal_weight\"}]}");
    get("/health");
    is_str(at("services.models.0.signature"), "beta", "health lists the edited config's model");
    ok(at("services.models.1.signature") == NULL, "  and only it");
    write_file(cfg, "{not json");
    get("/health");
    is_str(at("services.models"), "[]", "a broken config lists no models");
    ok(at("services.models_error") != NULL, "  and says why");
}

int main(void)
{
    char tmpl[] = "/tmp/trader-test-api-XXXXXX", err[512] = "", cfgdir[300], cfg[400];
    struct db *db = NULL;
    if (!mkdtemp(tmpl))
        return 1;
    snprintf(home, sizeof(home), "%s", tmpl);
    snprintf(dbpath, sizeof(dbpath), "%s/%s", home, PATHS_DB_FILE_NAME);
    snprintf(cfgdir, sizeof(cfgdir), "%s/configs", home);
    snprintf(cfg, sizeof(cfg), "%s/default_config.json", cfgdir);
    mkdir(cfgdir, 0700);
    write_file(cfg, "{\"agent_type\":\"BaseAgent\",\"date_range\":{\"init_date\":\"2025-01-02\"},"
                    "\"models\":[{\"name\":\"gpt-x\",\"basemodel\":\"openai/gpt-x\","
                    "\"signature\":\"gpt-x\",\"enabled\":true,"
                    "\"openai_base_url\":\"https://user:hunter2@llm.example/v1?key=SECRET\","
                    "\"openai_api_key\":\"SECRET-KEY\"},"
                    "{\"name\":\"alpha\",\"basemodel\":\"builtin/momentum\",\"signature\":"
                    "\"alpha\",\"provider\":\"builtin\",\"strategy\":\"momentum\"}]}");
    setenv("TRADER_DATA_DIR", home, 1);
    setenv("TRADER_CONFIGS_DIR", cfgdir, 1);
    unsetenv("TRADER_DB_PATH");
    unsetenv(APP_ENV_HEARTBEAT_STALE);
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL);

    ok(app_init(&app, err, sizeof(err)) == 0, "app_init: %s", err);
    is_str(app.db_path, dbpath, "database path from the data directory");
    is_int(app.heartbeat_stale, APP_HEARTBEAT_STALE_DEFAULT, "default heartbeat staleness");
    test_no_database();

    ok(db_open(dbpath, DB_READWRITE, &db, err, sizeof(err)) == 0 &&
           db_migrate(db, err, sizeof(err)) == 0,
       "create the database: %s", err);
    sql(db, "INSERT INTO prices(symbol,date,open,close,open_micro,close_micro) VALUES"
            "('AAPL','2025-01-02','1','1',1000000,1000000),"
            "('AAPL','2025-01-03','1','1',1000000,1000000)");
    sql(db,
        "INSERT INTO price_symbols(symbol,source,imported_at) VALUES('AAPL','alphavantage','t')");
    is_int(get("/simulate/current"), 404, "no job yet: 404");
    is_str(at("message"), "No simulation jobs found", "  message");
    is_int(get("/results"), 404, "no results yet: 404");
    is_str(at("message"), "No simulation data found", "  message without filters");

    jobs_fixture(db);
    results_fixture(db);
    test_health(db);
    test_health_config_change(cfg);
    test_status();
    test_results();
    test_routing();
    db_close(db);
    test_database_changes();

    app_free(&app);
    http_request_free(&req);
    http_response_free(&resp);
    unlink(dbpath);
    unlink(cfg);
    rmdir(cfgdir);
    char side[600];
    snprintf(side, sizeof(side), "%s-wal", dbpath);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", dbpath);
    unlink(side);
    rmdir(home);
    return tap_done();
}
