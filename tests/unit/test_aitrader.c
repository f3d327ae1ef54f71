/* Unit tests for aitrader: the writer's lines against hand-written AI-Trader
 * text, appending and reading back; the importer on hand-written AI-Trader
 * directories (two signatures, buys, sells, no_trade, a log.jsonl) over a
 * price store filled with SQL, checked to the micro-unit; a cash mismatch and
 * a refused trade reported; bad files refused with file:line and nothing
 * written; re-import refused without replace and accepted with it. */
#include "aitrader/aiimport.h"
#include "aitrader/aitrader.h"
#include "simfixture.h"
#include "tap.h"
#include "market/universe.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define M(whole, micro) ((money_t)(whole)*MONEY_SCALE + (micro))

static struct fixture fx;

/* ---- helpers -------------------------------------------------------------- */

static void mkdirs3(const char *a, const char *b, const char *c)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", fx.dir, a);
    mkdir(p, 0755);
    if (b) {
        snprintf(p, sizeof(p), "%s/%s/%s", fx.dir, a, b);
        mkdir(p, 0755);
    }
    if (b && c) {
        snprintf(p, sizeof(p), "%s/%s/%s/%s", fx.dir, a, b, c);
        mkdir(p, 0755);
    }
}

static void write_text(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", fx.dir, rel);
    FILE *f = fopen(p, "w");
    if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
        printf("Bail out! cannot write %s: %s\n", p, strerror(errno));
        exit(1);
    }
}

static char *read_text(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static long long scalar(const char *sql)
{
    return fx_int(fx.db, sql);
}

static const char *text(const char *sql)
{
    static char buf[4096];
    return fx_text(fx.db, sql, buf, sizeof(buf));
}

/* Whether any report warning contains all of the given fragments. */
static int has_warning(const struct aiimport_report *r, const char *a, const char *b)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        if (strstr(r->warnings[i], a) && (!b || strstr(r->warnings[i], b)))
            return 1;
    return 0;
}

static void print_warnings(const struct aiimport_report *r)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        printf("#   warning: %s\n", r->warnings[i]);
}

/* ---- writer --------------------------------------------------------------- */

static const char *const three[] = {"NVDA", "MSFT", "AAPL"};

static void test_position_lines(void)
{
    char err[256] = "", *line = NULL;
    struct portfolio p;
    struct trade_result r;
    portfolio_init(&p, M(10000, 0));

    ok(aitrader_position_line("2025-10-01", 0, NULL, &p, three, 3, &line, err, sizeof(err)) == 0,
       "initial line");
    is_str(line,
           "{\"date\": \"2025-10-01\", \"id\": 0, \"positions\": {\"NVDA\": 0, \"MSFT\": 0, "
           "\"AAPL\": 0, \"CASH\": 10000.0}}",
           "initial line text: no this_action, zeros listed, CASH last");
    free(line);

    portfolio_buy(&p, "NVDA", 10, M(189, 600000), NULL, &r);
    struct aitrader_action buy = {.action = "buy", .symbol = "NVDA", .amount = 10};
    ok(aitrader_position_line("2025-10-02", 1, &buy, &p, three, 3, &line, err, sizeof(err)) == 0,
       "buy line");
    is_str(line,
           "{\"date\": \"2025-10-02\", \"id\": 1, \"this_action\": {\"action\": \"buy\", "
           "\"symbol\": \"NVDA\", \"amount\": 10}, \"positions\": {\"NVDA\": 10, \"MSFT\": 0, "
           "\"AAPL\": 0, \"CASH\": 8104.0}}",
           "buy line text");
    free(line);

    /* A holding outside the list is still written, before CASH. */
    portfolio_buy(&p, "TSLA", 1, M(431, 995000), NULL, &r);
    struct aitrader_action none = {.action = "no_trade", .symbol = ""};
    ok(aitrader_position_line("2025-10-03", 2, &none, &p, three, 3, &line, err, sizeof(err)) == 0,
       "no_trade line");
    is_str(line,
           "{\"date\": \"2025-10-03\", \"id\": 2, \"this_action\": {\"action\": \"no_trade\", "
           "\"symbol\": \"\", \"amount\": 0}, \"positions\": {\"NVDA\": 10, \"MSFT\": 0, "
           "\"AAPL\": 0, \"TSLA\": 1, \"CASH\": 7672.005}}",
           "no_trade line text, exact fractional cash");
    free(line);
    is_int(aitrader_position_line("2025-13-01", 3, NULL, &p, three, 3, &line, err, sizeof(err)), -1,
           "invalid date refused");
    portfolio_free(&p);

    /* The full default universe in AI-Trader's order. */
    portfolio_init(&p, M(10000, 0));
    ok(aitrader_position_line("2025-10-01", 0, NULL, &p, universe_aitrader_order,
                              universe_nasdaq100_count, &line, err, sizeof(err)) == 0,
       "initial line over the default universe");
    const char *head = "{\"date\": \"2025-10-01\", \"id\": 0, \"positions\": {\"NVDA\": 0, "
                       "\"MSFT\": 0, \"AAPL\": 0, \"GOOG\": 0, \"GOOGL\": 0, \"AMZN\": 0, ";
    const char *tail = "\"LULU\": 0, \"CDW\": 0, \"GFS\": 0, \"CASH\": 10000.0}}";
    ok(strncmp(line, head, strlen(head)) == 0, "starts like AI-Trader's");
    ok(strlen(line) > strlen(tail) && strcmp(line + strlen(line) - strlen(tail), tail) == 0,
       "ends like AI-Trader's");
    size_t keys = 0;
    for (const char *s = strstr(line, "positions"); (s = strstr(s, ": 0,")); s++)
        keys++;
    is_int(keys, 101, "101 symbols written with zero shares");
    free(line);
    portfolio_free(&p);

    /* The order list is the default universe, permuted. */
    int perm = 1;
    for (size_t i = 0; perm && i < universe_nasdaq100_count; i++) {
        perm = universe_contains(universe_aitrader_order[i]);
        for (size_t k = 0; perm && k < i; k++)
            perm = strcmp(universe_aitrader_order[k], universe_aitrader_order[i]) != 0;
    }
    ok(perm, "universe_aitrader_order is a permutation of universe_nasdaq100");
}

static void test_log_line(void)
{
    char err[256] = "", *line = NULL;
    json_object *msgs = json_tokener_parse(
        "[{\"role\":\"user\",\"content\":\"Please analyze and update today's (2025-10-02) "
        "positions.\"},{\"role\":\"assistant\",\"content\":\"Caf\u00e9 \\\"q\\\" a/b\\n\\u0001\","
        "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"buy\","
        "\"arguments\":\"{\\\"symbol\\\": \\\"AAPL\\\", \\\"amount\\\": 2}\"}}],\"x\":[1,"
        "true,null,{}]}]");
    ok(msgs != NULL, "messages parsed");
    ok(aitrader_log_line("gpt-5", msgs, &line, err, sizeof(err)) == 0, "log line");
    is_str(line,
           "{\"signature\": \"gpt-5\", \"new_messages\": [{\"role\": \"user\", \"content\": "
           "\"Please analyze and update today's (2025-10-02) positions.\"}, {\"role\": "
           "\"assistant\", \"content\": \"Caf\u00e9 \\\"q\\\" a/b\\n\\u0001\", \"tool_calls\": "
           "[{\"id\": \"c1\", \"type\": \"function\", \"function\": {\"name\": \"buy\", "
           "\"arguments\": \"{\\\"symbol\\\": \\\"AAPL\\\", \\\"amount\\\": 2}\"}}], \"x\": [1, "
           "true, null, {}]}]}",
           "log line text: Python separators, UTF-8 kept, '/' unescaped");
    free(line);
    is_int(aitrader_log_line("../x", msgs, &line, err, sizeof(err)), -1, "bad signature refused");
    is_int(aitrader_log_line("gpt-5", json_object_array_get_idx(msgs, 0), &line, err, sizeof(err)),
           -1, "messages must be an array");
    json_object_put(msgs);
}

static void test_append(void)
{
    char err[256] = "", path[512], *line = NULL;
    long long id = -1;
    struct portfolio p;
    snprintf(path, sizeof(path), "%s/written", fx.dir);

    ok(aitrader_signature_valid("claude-3.7-sonnet") && aitrader_signature_valid("gpt_5"),
       "AI-Trader signatures are valid");
    ok(!aitrader_signature_valid("..") && !aitrader_signature_valid(".hidden") &&
           !aitrader_signature_valid("a/b") && !aitrader_signature_valid("") &&
           !aitrader_signature_valid(NULL),
       "path-like signatures are not");
    is_int(aitrader_last_id(path, "m1", &id, err, sizeof(err)), AITRADER_NONE, "no file: no id");

    portfolio_init(&p, M(10000, 0));
    aitrader_position_line("2025-10-01", 0, NULL, &p, three, 3, &line, err, sizeof(err));
    ok(aitrader_append_position(path, "m1", line, err, sizeof(err)) == 0,
       "append creates the directories: %s", err);
    free(line);
    struct aitrader_action none = {.action = "no_trade", .symbol = ""};
    aitrader_position_line("2025-10-02", 1, &none, &p, three, 3, &line, err, sizeof(err));
    ok(aitrader_append_position(path, "m1", line, err, sizeof(err)) == 0, "second line");
    free(line);
    portfolio_free(&p);

    char file[600];
    snprintf(file, sizeof(file), "%s/m1/position/position.jsonl", path);
    is_str(read_text(file),
           "{\"date\": \"2025-10-01\", \"id\": 0, \"positions\": {\"NVDA\": 0, \"MSFT\": 0, "
           "\"AAPL\": 0, \"CASH\": 10000.0}}\n"
           "{\"date\": \"2025-10-02\", \"id\": 1, \"this_action\": {\"action\": \"no_trade\", "
           "\"symbol\": \"\", \"amount\": 0}, \"positions\": {\"NVDA\": 0, \"MSFT\": 0, "
           "\"AAPL\": 0, \"CASH\": 10000.0}}\n",
           "position.jsonl holds both lines");
    ok(aitrader_last_id(path, "m1", &id, err, sizeof(err)) == AITRADER_GOT && id == 1,
       "last id is 1");

    ok(aitrader_append_log(path, "m1", "2025-10-02",
                           "{\"signature\": \"m1\", \"new_messages\": []}", err, sizeof(err)) == 0,
       "append a log line");
    snprintf(file, sizeof(file), "%s/m1/log/2025-10-02/log.jsonl", path);
    is_str(read_text(file), "{\"signature\": \"m1\", \"new_messages\": []}\n", "log.jsonl line");

    is_int(aitrader_append_position(path, "../escape", "{}", err, sizeof(err)), -1,
           "escaping signature refused");
    is_int(aitrader_append_log(path, "m1", "2025-02-30", "{}", err, sizeof(err)), -1,
           "invalid date refused");
    is_int(aitrader_append_log(path, "m1", "2025-10-02", "{}\n{}", err, sizeof(err)), -1,
           "a line with a newline refused");
}

/* ---- importer ------------------------------------------------------------- */

static void insert_prices(void)
{
    ok(!fx_exec(fx.db,
                "INSERT INTO prices(symbol, date, open, close, open_micro, close_micro) VALUES"
                " ('AAPL','2025-10-02','250.0000','252.5000',250000000,252500000),"
                " ('MSFT','2025-10-02','500.0000','505.0000',500000000,505000000),"
                " ('NVDA','2025-10-02','180.0000','185.0000',180000000,185000000),"
                " ('AAPL','2025-10-03','253.0000','251.0000',253000000,251000000),"
                " ('MSFT','2025-10-03','506.0000','510.0000',506000000,510000000),"
                " ('NVDA','2025-10-03','186.0000','190.0000',186000000,190000000),"
                " ('AAPL','2025-10-06','250.5000','255.2500',250500000,255250000),"
                " ('MSFT','2025-10-06','511.0000','515.5000',511000000,515500000),"
                " ('NVDA','2025-10-06','189.0000','188.0000',189000000,188000000)"),
       "price store filled");
}

#define POS0 "{\"AAPL\": 0, \"MSFT\": 0, \"NVDA\": 0, \"CASH\": 10000.0}"

/* alpha: buys, a sell, a no_trade, and a day's log. beta: a file whose cash
 * disagrees with the store's open by 1.0, and a zero-amount buy. */
static void write_fixtures(void)
{
    mkdirs3("agents", NULL, NULL);
    mkdirs3("agents/alpha", "position", NULL);
    mkdirs3("agents/alpha", "log", "2025-10-02");
    mkdirs3("agents/alpha", "log", "2025-10-09");
    mkdirs3("agents/beta", "position", NULL);
    mkdirs3("agents/notes", NULL, NULL); /* not a signature: no position file */
    write_text(
        "agents/alpha/position/position.jsonl",
        "{\"date\": \"2025-10-01\", \"id\": 0, \"positions\": " POS0 "}\n"
        "{\"date\": \"2025-10-02\", \"id\": 1, \"this_action\": {\"action\": \"buy\", \"symbol\": "
        "\"AAPL\", \"amount\": 10}, \"positions\": {\"AAPL\": 10, \"MSFT\": 0, \"NVDA\": 0, "
        "\"CASH\": 7500.0}}\n"
        "{\"date\": \"2025-10-02\", \"id\": 2, \"this_action\": {\"action\": \"buy\", \"symbol\": "
        "\"NVDA\", \"amount\": 5}, \"positions\": {\"AAPL\": 10, \"MSFT\": 0, \"NVDA\": 5, "
        "\"CASH\": 6600.000000000001}}\n"
        "\n"
        "{\"date\": \"2025-10-03\", \"id\": 3, \"this_action\": {\"action\": \"sell\", "
        "\"symbol\": \"AAPL\", \"amount\": 4}, \"positions\": {\"AAPL\": 6, \"MSFT\": 0, "
        "\"NVDA\": 5, \"CASH\": 7612.0}}\n"
        "{\"date\": \"2025-10-06\", \"id\": 4, \"this_action\": {\"action\": \"no_trade\", "
        "\"symbol\": \"\", \"amount\": 0}, \"positions\": {\"AAPL\": 6, \"MSFT\": 0, \"NVDA\": 5, "
        "\"CASH\": 7612.0}}\n");
    write_text(
        "agents/alpha/log/2025-10-02/log.jsonl",
        "{\"signature\": \"alpha\", \"new_messages\": [{\"role\": \"user\", \"content\": \"Please "
        "analyze and update today's (2025-10-02) positions.\"}]}\n"
        "{\"signature\": \"alpha\", \"new_messages\": {\"role\": \"assistant\", \"content\": \"I "
        "will buy AAPL.\"}}\n"
        "{\"signature\": \"alpha\", \"new_messages\": {\"role\": \"user\", \"content\": \"Tool "
        "results: {\\\"AAPL\\\": 10}\"}}\n"
        "{\"signature\": \"alpha\", \"timestamp\": \"2025-10-02T15:00:00\", \"new_messages\": "
        "[{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"id\": \"c1\", \"type\": "
        "\"function\", \"function\": {\"name\": \"buy\", \"arguments\": \"{}\"}}, {\"id\": "
        "\"c2\", \"type\": \"function\", \"function\": {\"name\": \"get_price_local\", "
        "\"arguments\": \"{}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": \"c1\", \"content\": "
        "\"{\\\"NVDA\\\": 5}\"}, {\"role\": \"tool\", \"tool_call_id\": \"c2\", \"content\": "
        "\"{\\\"error\\\": \\\"Symbol X not found!\\\"}\"}, {\"role\": \"tool\", \"name\": "
        "\"get_information\", \"content\": \"news\"}]}\n"
        "{\"signature\": \"alpha\", \"new_messages\": [{\"role\": \"assistant\", \"content\": "
        "\"Done. <FINISH_SIGNAL>\"}]}\n");
    write_text("agents/alpha/log/2025-10-09/log.jsonl",
               "{\"signature\": \"alpha\", \"new_messages\": []}\n");
    write_text(
        "agents/beta/position/position.jsonl",
        "{\"date\": \"2025-10-01\", \"id\": 0, \"positions\": " POS0 "}\n"
        "{\"date\": \"2025-10-02\", \"id\": 1, \"this_action\": {\"action\": \"buy\", \"symbol\": "
        "\"MSFT\", \"amount\": 19}, \"positions\": {\"AAPL\": 0, \"MSFT\": 19, \"NVDA\": 0, "
        "\"CASH\": 501.0}}\n"
        "{\"date\": \"2025-10-03\", \"id\": 2, \"this_action\": {\"action\": \"sell\", "
        "\"symbol\": \"MSFT\", \"amount\": 19}, \"positions\": {\"AAPL\": 0, \"MSFT\": 0, "
        "\"NVDA\": 0, \"CASH\": 10115.0}}\n"
        "{\"date\": \"2025-10-06\", \"id\": 3, \"this_action\": {\"action\": \"buy\", \"symbol\": "
        "\"AAPL\", \"amount\": 0}, \"positions\": {\"AAPL\": 0, \"MSFT\": 0, \"NVDA\": 0, "
        "\"CASH\": 10115.0}}\n");
}

static long long count_rows(void)
{
    return scalar("SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM job_details) +"
                  " (SELECT count(*) FROM positions) + (SELECT count(*) FROM trades) +"
                  " (SELECT count(*) FROM holdings) + (SELECT count(*) FROM reasoning_logs) +"
                  " (SELECT count(*) FROM tool_usage)");
}

static void test_import(void)
{
    char dir[300], err[512] = "", q[512], real[PATH_MAX];
    struct aiimport_report r;
    snprintf(dir, sizeof(dir), "%s/agents", fx.dir);
    write_fixtures();
    if (!realpath(dir, real))
        abort();

    ok(aiimport_run(fx.db, dir, NULL, 0, -1, 0, &r, err, sizeof(err)) == 0, "import: %s", err);
    is_int(r.nmodels, 2, "two signatures");
    is_str(r.models[0], "alpha", "alpha");
    is_str(r.models[1], "beta", "beta");
    is_int(r.model_days, 6, "six model-days");
    is_int(r.trades, 5, "five stored trades (the zero-amount buy is refused)");
    is_int(r.nwarnings, 3, "three warnings");
    print_warnings(&r);
    ok(has_warning(&r, "beta 2025-10-02: position.jsonl line 2 (id 1) disagrees",
                   "CASH 501.0 in the file, 500.0 replayed"),
       "the cash mismatch is reported with both values");
    ok(has_warning(&r, "the replayed values are stored", NULL), "the warning says what is stored");
    ok(has_warning(&r, "beta 2025-10-06: position.jsonl line 4 (id 3): buy 0 AAPL is refused",
                   "Amount must be a positive integer!"),
       "the zero-amount buy is reported");
    ok(has_warning(&r, "alpha: log/2025-10-09/log.jsonl has no trading day", NULL),
       "a log without a trading day is reported");
    ok(!has_warning(&r, "beta 2025-10-03", NULL), "the carried difference is not repeated");

    /* The job. */
    snprintf(q, sizeof(q),
             "SELECT source || ' ' || status || ' ' || config_path FROM jobs"
             " WHERE job_id = '%s'",
             r.job_id);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof(want), "import completed %s", real);
    is_str(text(q), want, "one completed import job for the directory");
    is_str(text("SELECT date_range FROM jobs"), "[\"2025-10-02\",\"2025-10-03\",\"2025-10-06\"]",
           "date_range: every date");
    is_str(text("SELECT models FROM jobs"), "[\"alpha\",\"beta\"]", "models: the signatures");
    is_int(scalar("SELECT json_array_length(warnings) FROM jobs"), 3, "warnings stored as JSON");
    ok(scalar("SELECT completed_at IS NOT NULL AND total_duration_seconds >= 0 FROM jobs") == 1,
       "completed_at and duration set");
    is_int(scalar("SELECT count(*) FROM job_details WHERE status = 'completed'"), 6,
           "a completed job_details row per model-day");

    /* alpha, to the micro-unit. */
    is_int(scalar("SELECT cash FROM positions WHERE model='alpha' AND date='2025-10-02'"),
           M(6600, 0), "alpha 10-02 cash 10000 - 2500 - 900 = 6600");
    is_int(scalar("SELECT portfolio_value FROM positions WHERE model='alpha' AND "
                  "date='2025-10-02'"),
           M(10050, 0), "value 6600 + 10 x 252.5 + 5 x 185 = 10050");
    is_int(scalar("SELECT prev_value FROM positions WHERE model='alpha' AND date='2025-10-02'"),
           M(10000, 0), "first prev is the initial cash");
    is_int(scalar("SELECT daily_profit FROM positions WHERE model='alpha' AND "
                  "date='2025-10-02'"),
           M(50, 0), "profit 50");
    ok(scalar("SELECT daily_return_pct BETWEEN 0.4999999 AND 0.5000001 FROM positions WHERE"
              " model='alpha' AND date='2025-10-02'") == 1,
       "return 0.5%%");
    is_int(scalar("SELECT cash FROM positions WHERE model='alpha' AND date='2025-10-03'"),
           M(7612, 0), "10-03 cash 6600 + 4 x 253 = 7612");
    is_int(scalar("SELECT portfolio_value FROM positions WHERE model='alpha' AND "
                  "date='2025-10-03'"),
           M(10068, 0), "value 7612 + 6 x 251 + 5 x 190 = 10068");
    is_int(scalar("SELECT prev_value FROM positions WHERE model='alpha' AND date='2025-10-03'"),
           M(10050, 0), "prev is the previous day's value");
    ok(scalar("SELECT daily_return_pct BETWEEN 0.17910447 AND 0.17910448 FROM positions WHERE"
              " model='alpha' AND date='2025-10-03'") == 1,
       "return 18 / 10050 x 100 = 0.179104477...");
    is_int(scalar("SELECT portfolio_value FROM positions WHERE model='alpha' AND "
                  "date='2025-10-06'"),
           M(10083, 500000), "10-06 value 7612 + 6 x 255.25 + 5 x 188 = 10083.5");
    is_int(scalar("SELECT daily_profit FROM positions WHERE model='alpha' AND "
                  "date='2025-10-06'"),
           M(15, 500000), "profit 15.5");
    is_str(text("SELECT group_concat(seq || ':' || action || ':' || symbol || ':' || amount || ':'"
                " || price || ':' || total, ' ') FROM (SELECT t.* FROM trades t JOIN positions p"
                " ON p.id = t.position_id WHERE p.model = 'alpha' ORDER BY p.date, t.seq)"),
           "1:buy:AAPL:10:250000000:2500000000 2:buy:NVDA:5:180000000:900000000 "
           "1:sell:AAPL:4:253000000:1012000000",
           "alpha trades: seq, action, open price, total");
    is_int(scalar("SELECT count(*) FROM trades t JOIN positions p ON p.id = t.position_id"
                  " WHERE p.model = 'alpha' AND p.date = '2025-10-06'"),
           0, "no_trade day: no trades");
    is_str(text("SELECT group_concat(symbol || '=' || quantity, ',') FROM (SELECT h.* FROM"
                " holdings h JOIN positions p ON p.id = h.position_id WHERE p.model = 'alpha'"
                " AND p.date = '2025-10-06' ORDER BY h.symbol)"),
           "AAPL=6,NVDA=5", "holdings: non-zero shares only");

    /* alpha's log. */
    is_str(text("SELECT total_steps || ' ' || stop_signal || ' ' || reasoning_summary FROM"
                " positions WHERE model='alpha' AND date='2025-10-02'"),
           "3 1 Done. <FINISH_SIGNAL>", "steps, stop signal, summary from the log");
    snprintf(want, sizeof(want), "%s/alpha/log/2025-10-02/log.jsonl", real);
    is_str(text("SELECT log_file_path FROM positions WHERE model='alpha' AND date='2025-10-02'"),
           want, "log_file_path");
    is_str(text("SELECT coalesce(log_file_path, 'null') || ' ' || total_steps FROM positions"
                " WHERE model='alpha' AND date='2025-10-03'"),
           "null 0", "a day without a log");
    is_str(text("SELECT group_concat(step || role || coalesce(tool_name, ''), ',') FROM (SELECT"
                " l.* FROM reasoning_logs l JOIN positions p ON p.id = l.position_id ORDER BY"
                " l.id)"),
           "0user,1assistant,1user,2assistant,2toolbuy,2toolget_price_local,"
           "2toolget_information,3assistant",
           "reasoning_logs: steps, roles, tool names, in order");
    is_str(text("SELECT content FROM reasoning_logs WHERE role = 'user' AND step = 1"),
           "Tool results: {\"AAPL\": 10}", "message content kept");
    is_str(text("SELECT timestamp FROM reasoning_logs WHERE tool_call_id = 'c1'"),
           "2025-10-02T15:00:00", "the line's timestamp is used when it has one");
    is_str(text("SELECT json_extract(message_json, '$.tool_calls[1].function.name') FROM"
                " reasoning_logs WHERE step = 2 AND role = 'assistant'"),
           "get_price_local", "the whole message is kept as JSON");
    is_str(text("SELECT group_concat(tool_name || '=' || calls || '/' || errors, ',') FROM"
                " (SELECT * FROM tool_usage ORDER BY tool_name)"),
           "buy=1/0,get_information=1/0,get_price_local=1/1",
           "tool_usage: calls counted once, error answers counted");

    /* beta: the replayed state is stored, not the file's. */
    is_int(scalar("SELECT cash FROM positions WHERE model='beta' AND date='2025-10-02'"), M(500, 0),
           "beta stores the replayed cash 500, not the file's 501");
    is_int(scalar("SELECT portfolio_value FROM positions WHERE model='beta' AND "
                  "date='2025-10-02'"),
           M(10095, 0), "value 500 + 19 x 505 = 10095");
    is_int(scalar("SELECT cash FROM positions WHERE model='beta' AND date='2025-10-06'"),
           M(10114, 0), "500 + 19 x 506 = 10114");
    is_int(scalar("SELECT daily_profit FROM positions WHERE model='beta' AND date='2025-10-06'"), 0,
           "flat day");
    aiimport_report_free(&r);

    /* Importing the same results again. */
    long long before = count_rows();
    is_int(aiimport_run(fx.db, dir, NULL, 0, -1, 0, &r, err, sizeof(err)), -1,
           "re-import without replace refused");
    ok(strstr(err, "alpha already has results for 3 model-day(s) from 2025-10-02 on") != NULL,
       "says why: %s", err);
    is_int(count_rows(), before, "nothing written");

    const char *only[] = {"beta"};
    ok(aiimport_run(fx.db, dir, only, 1, M(20000, 0), 1, &r, err, sizeof(err)) == 0,
       "re-import of beta with replace: %s", err);
    print_warnings(&r);
    is_int(r.nmodels, 1, "only beta");
    is_int(r.model_days, 3, "beta's three days");
    ok(has_warning(&r, "beta: replaced 3 existing model-day(s) from 2025-10-02 on", NULL),
       "the replacement is reported");
    ok(has_warning(&r, "initial cash 20000.0 given", "starts with 10000.0"),
       "the initial-cash override is reported");
    is_int(r.nwarnings, 4, "four warnings");
    ok(has_warning(&r, "beta 2025-10-02: position.jsonl line 2",
                   "CASH 501.0 in the file, 10500.0 replayed"),
       "the file's own 1.0 difference still shows as a new disagreement");
    ok(!has_warning(&r, "beta 2025-10-03", NULL), "and is not repeated");
    is_int(scalar("SELECT count(*) FROM jobs"), 2, "a second job");
    is_int(scalar("SELECT count(*) FROM positions WHERE model = 'beta'"), 3,
           "beta's rows replaced, not doubled");
    is_int(scalar("SELECT count(*) FROM positions WHERE model = 'alpha'"), 3, "alpha untouched");
    is_int(scalar("SELECT cash FROM positions WHERE model='beta' AND date='2025-10-02'"),
           M(10500, 0), "replayed from the given initial cash: 20000 - 9500");
    is_int(scalar("SELECT prev_value FROM positions WHERE model='beta' AND date='2025-10-02'"),
           M(20000, 0), "prev is the given initial cash");
    is_str(text("SELECT replace_existing FROM jobs ORDER BY rowid DESC LIMIT 1"), "1",
           "replace_existing recorded");
    aiimport_report_free(&r);

    /* An active job simulating a model blocks importing it. */
    ok(!fx_exec(fx.db,
                "INSERT INTO jobs(job_id, config_path, status, date_range, models, created_at)"
                " VALUES('active', 'c', 'running', '[]', '[\"beta\"]', 't')"),
       "an active job on beta");
    is_int(aiimport_run(fx.db, dir, only, 1, -1, 1, &r, err, sizeof(err)), -1,
           "import of a model being simulated refused");
    ok(strstr(err, "job active is simulating beta") != NULL, "says which job: %s", err);
    fx_exec(fx.db, "DELETE FROM jobs WHERE job_id = 'active'");

    const char *unknown[] = {"gamma"};
    is_int(aiimport_run(fx.db, dir, unknown, 1, -1, 1, &r, err, sizeof(err)), -1,
           "unknown signature refused");
    ok(strstr(err, "no position file for gamma") != NULL, "says so: %s", err);
}

/* Each bad file fails with its file:line and writes nothing. */
static void bad_file(const char *name, const char *content, const char *want)
{
    char dir[300], rel[300], err[512];
    struct aiimport_report r;
    snprintf(rel, sizeof(rel), "bad-%s", name);
    mkdirs3(rel, "m", "position");
    snprintf(rel, sizeof(rel), "bad-%s/m/position/position.jsonl", name);
    write_text(rel, content);
    snprintf(dir, sizeof(dir), "%s/bad-%s", fx.dir, name);
    long long before = count_rows();
    is_int(aiimport_run(fx.db, dir, NULL, 0, -1, 1, &r, err, sizeof(err)), -1, name);
    ok(strstr(err, want) != NULL, "%s: error \"%s\" contains \"%s\"", name, err, want);
    is_int(count_rows(), before, "nothing written");
}

#define INIT "{\"date\": \"2025-10-01\", \"id\": 0, \"positions\": " POS0 "}\n"
#define DAY(date, id, act, sym, amount, pos)                                                       \
    "{\"date\": \"" date "\", \"id\": " #id ", \"this_action\": {\"action\": \"" act               \
    "\", \"symbol\": \"" sym "\", \"amount\": " #amount "}, \"positions\": " pos "}\n"
#define NOTHING "{\"AAPL\": 0, \"CASH\": 10000.0}"

static void test_bad_files(void)
{
    bad_file("malformed", INIT DAY("2025-10-02", 1, "no_trade", "", 0, NOTHING) "{\"date\": \n",
             "/m/position/position.jsonl:3: malformed JSON");
    bad_file("order",
             INIT DAY("2025-10-03", 1, "no_trade", "", 0, NOTHING)
                 DAY("2025-10-02", 2, "no_trade", "", 0, NOTHING),
             "position.jsonl:3: dates out of order (2025-10-02 after 2025-10-03)");
    bad_file("negative", INIT DAY("2025-10-02", 1, "sell", "AAPL", -3, NOTHING),
             "position.jsonl:2: negative amount -3");
    bad_file("initdate", INIT DAY("2025-10-01", 1, "no_trade", "", 0, NOTHING),
             "position.jsonl:2: 2025-10-01 is the initial date");
    bad_file("noinit", DAY("2025-10-02", 1, "no_trade", "", 0, NOTHING),
             "position.jsonl:1: the first line must be the initial state");
    bad_file("shares",
             INIT DAY("2025-10-02", 1, "no_trade", "", 0, "{\"AAPL\": -1, \"CASH\": 1.0}"),
             "position.jsonl:2: negative shares of AAPL");
    bad_file("action", INIT DAY("2025-10-02", 1, "short", "AAPL", 1, NOTHING),
             "position.jsonl:2: unknown action \"short\"");
    bad_file("nocash", INIT DAY("2025-10-02", 1, "no_trade", "", 0, "{\"AAPL\": 0}"),
             "position.jsonl:2: positions have no CASH");
    bad_file("noprices", INIT DAY("2025-10-07", 1, "no_trade", "", 0, NOTHING),
             "no prices for 2025-10-07 in the price store");
    bad_file("noopen", INIT DAY("2025-10-02", 1, "buy", "TSLA", 1, NOTHING),
             "no open price for TSLA on 2025-10-02");
    bad_file("empty", "\n", "is empty");
    /* A bad log fails the import too, after the position file was fine. */
    mkdirs3("bad-log", "m", "position");
    mkdirs3("bad-log/m", "log", "2025-10-02");
    write_text("bad-log/m/log/2025-10-02/log.jsonl",
               "{\"signature\": \"m\", \"new_messages\": [{\"role\": \"robot\"}]}\n");
    bad_file("log", INIT DAY("2025-10-02", 1, "no_trade", "", 0, NOTHING),
             "log.jsonl:1: a message without a known role");
}

int main(void)
{
    if (fx_open(&fx) != 0) {
        printf("Bail out! no fixture\n");
        return 1;
    }
    test_position_lines();
    test_log_line();
    test_append();
    insert_prices();
    test_import();
    test_bad_files();
    fx_close(&fx);
    return tap_done();
}
