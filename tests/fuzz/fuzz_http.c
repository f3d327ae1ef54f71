/* Fuzzes trader-api's request handling as main.c runs it, minus the socket:
 * http_parse on the FastCGI parameters, http_read_body on the body stream,
 * routes_dispatch (routing, method and content-type checks, parameter
 * validation, the pages against a real database) and http_send.
 *
 * Input: "NAME=value" lines, the FastCGI parameters (REQUEST_METHOD,
 * REQUEST_URI, QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH or any other), then
 * an empty line and the body. Each input gets a fresh data directory with a
 * small database (jobs, results, prices) and a config, so a trigger that
 * creates a job changes nothing the next input sees (page_trigger keeps its
 * read-write connection between requests, as in trader-api, and reopens it
 * on the new file). Every input must get an answer other than 500. */
#include "app.h"
#include "fuzz.h"
#include "http.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ENV 16

static const char FIXTURE[] =
    "BEGIN;"
    "INSERT INTO prices(symbol,date,open,close,open_micro,close_micro) VALUES"
    " ('AAPL','2025-01-02','100.5','101',100500000,101000000),"
    " ('AAPL','2025-01-03','101','99.25',101000000,99250000),"
    " ('AAPL','2025-01-06','99','98',99000000,98000000),"
    " ('MSFT','2025-01-02','400','401',400000000,401000000),"
    " ('MSFT','2025-01-03','401','402.5',401000000,402500000),"
    " ('MSFT','2025-01-06','402','400',402000000,400000000),"
    " ('QQQ','2025-01-02','500','505',500000000,505000000),"
    " ('QQQ','2025-01-03','505','510',505000000,510000000),"
    " ('QQQ','2025-01-06','510','500',510000000,500000000);"
    "INSERT INTO price_symbols(symbol,source,imported_at) VALUES"
    " ('AAPL','alphavantage','t'),('MSFT','alphavantage','t'),('QQQ','alphavantage','t');"
    "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at,started_at,"
    " updated_at,completed_at,total_duration_seconds,warnings) VALUES"
    " ('job-1','c','completed','[\"2025-01-03\"]','[\"alpha\",\"beta\"]',"
    " '2025-01-04T10:00:00.000Z','2025-01-04T10:00:01.000Z','2025-01-04T10:01:00.000Z',"
    " '2025-01-04T10:01:00.000Z',59.5,'[\"w1\"]');"
    "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at,started_at) VALUES"
    " ('job-2','c','running','[\"2025-01-06\"]','[\"alpha\"]','2025-01-05T09:00:00.000Z',"
    " '2025-01-05T09:00:01.000Z');"
    "INSERT INTO job_details(job_id,date,model,status,started_at,completed_at,duration_seconds)"
    " VALUES ('job-1','2025-01-03','alpha','completed','s','c',12.5),"
    " ('job-1','2025-01-03','beta','completed','s','c',3),"
    " ('job-2','2025-01-06','alpha','running','s',NULL,NULL);"
    "INSERT INTO positions(id,job_id,date,model,cash,portfolio_value,prev_value,daily_profit,"
    " daily_return_pct,total_steps,stop_signal,reasoning_summary,log_file_path,created_at)"
    " VALUES (1,'job-1','2025-01-03','alpha',7990000000,10010000000,10000000000,10000000,0.1,"
    " 3,1,'Bought AAPL','agent_data/alpha/log/2025-01-03/log.jsonl','t'),"
    " (2,'job-1','2025-01-03','beta',10000000000,10000000000,10000000000,0,0,1,0,NULL,NULL,'t');"
    "INSERT INTO holdings(position_id,symbol,quantity) VALUES(1,'AAPL',20);"
    "INSERT INTO trades(position_id,seq,action,symbol,amount,price,total) VALUES"
    " (1,1,'buy','AAPL',20,101000000,2020000000);"
    "INSERT INTO reasoning_logs(position_id,step,role,content,tool_name,tool_call_id,"
    " message_json,timestamp) VALUES (1,1,'assistant','buy',NULL,NULL,"
    " '{\"role\":\"assistant\",\"content\":\"buy\"}','t'),"
    " (1,1,'tool','{\"ok\":1}','buy','call_1',NULL,'t');"
    "INSERT INTO tool_usage(position_id,tool_name,calls,errors) VALUES(1,'buy',1,0);"
    "INSERT INTO workers(id,hostname,pid,started_at,last_heartbeat,current_job) VALUES"
    " ('h:1:a','h',1,'2025-01-05T09:00:00.000Z','2025-01-05T09:00:00.000Z','job-2');"
    "COMMIT;";

static const char CONFIG[] =
    "{\"agent_type\": \"BaseAgent\", \"date_range\": {\"init_date\": \"2025-01-02\"},"
    " \"models\": ["
    "  {\"name\": \"alpha\", \"basemodel\": \"builtin/momentum\", \"signature\": \"alpha\","
    "   \"provider\": \"builtin\", \"strategy\": \"momentum\", \"lookback\": 2},"
    "  {\"name\": \"beta\", \"signature\": \"beta\", \"provider\": \"mock\"},"
    "  {\"name\": \"gpt\", \"basemodel\": \"openai/gpt-x\", \"signature\": \"gpt\","
    "   \"enabled\": false, \"openai_base_url\": \"https://u:p@llm.invalid/v1?k=s\","
    "   \"openai_api_key\": \"sk-fuzz\"}],"
    " \"stock_symbols\": [\"AAPL\", \"MSFT\"]}";

/* The body as a FastCGI input stream that ends after it. */
static void end_of_body(FCGX_Stream *s)
{
    s->isClosed = 1;
}

/* The answer goes nowhere: a full buffer is emptied. */
static void discard(FCGX_Stream *s, int close)
{
    (void)close;
    s->wrNext = s->data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char home[FUZZ_PATH_MAX], configs[FUZZ_PATH_MAX], err[ERRBUF_SIZE];
    char *env[MAX_ENV + 1];
    unsigned char out[512];
    const uint8_t *p = data, *end = data + size, *body = end;
    int n = 0;
    struct app app;
    struct request req;
    struct response resp;

    /* Parameter lines up to an empty line; a line with a NUL is cut there,
     * as it would be in a FastCGI record turned into a C string. */
    while (p < end && n < MAX_ENV) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *stop = nl ? nl : end;
        if (stop == p) {
            body = p + 1;
            break;
        }
        env[n++] = fuzz_cstr(p, (size_t)(stop - p));
        p = nl ? nl + 1 : end;
    }
    env[n] = NULL;
    FCGX_Stream in = {.rdNext = (unsigned char *)body,
                      .wrNext = (unsigned char *)end,
                      .stop = (unsigned char *)end,
                      .stopUnget = (unsigned char *)body,
                      .isReader = 1,
                      .fillBuffProc = end_of_body};
    FCGX_Stream os = {.rdNext = out + sizeof(out),
                      .wrNext = out,
                      .stop = out + sizeof(out),
                      .emptyBuffProc = discard,
                      .data = out};

    fuzz_tmpdir(home);
    db_close(fuzz_db(home, FIXTURE));
    fuzz_write(home, "configs/default_config.json", CONFIG, sizeof(CONFIG) - 1);
    fuzz_path(configs, home, "configs");
    setenv("TRADER_DATA_DIR", home, 1);
    setenv("TRADER_CONFIGS_DIR", configs, 1);
    unsetenv("TRADER_DB_PATH");
    setenv("MAX_CONCURRENT_JOBS", "2", 1); /* so a trigger beside job-2 can be accepted */
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL); /* as main.c */
    if (app_init(&app, err, sizeof(err)) != 0)
        abort();

    memset(&resp, 0, sizeof(resp));
    if (http_parse(env, &req, &resp) == 0 && http_read_body(&in, &req, &resp) == 0)
        routes_dispatch(&req, &resp, &app);
    /* Every request is answered, and no input makes a page fail: the
     * database is healthy, so a 500 would be a bug. */
    if (!resp.body || resp.status < 200 || resp.status == 500)
        __builtin_trap();
    http_send(&os, &resp);
    http_response_free(&resp);
    http_request_free(&req);

    app_free(&app);
    fuzz_rmtree(home);
    for (int i = 0; i < n; i++)
        free(env[i]);
    return 0;
}
