/* Unit tests for splits and trading costs through a whole model-day:
 * Alpha Vantage SPLITS and TIME_SERIES_DAILY_ADJUSTED files imported into
 * the splits table; a 3-for-2 split with a fractional remainder applied to
 * the holdings at the start of its day (also after a skipped day), its cash
 * in lieu, the day's corporate_actions row, a continuous value, the notice
 * in the agent's prompt and the split line of position.jsonl; fees and
 * slippage priced into a built-in strategy's fills, stored per trade and
 * recorded in position.jsonl. Expected numbers are computed by hand. */
#include "agent/agent.h"
#include "trading/agentfiles.h"
#include "aitrader/aiimport.h"
#include "aitrader/aitrader.h"
#include "sim/modelday.h"
#include "market/pricesimport.h"
#include "market/splits.h"

#include <sys/stat.h>

#include "simfixture.h"
#include "tap.h"

static char err[512];
static struct fixture fx;

#define q(...) fx_intf(fx.db, __VA_ARGS__)
#define M(whole, micro) ((money_t)(whole)*MONEY_SCALE + (micro))

static const char plain_config[] =
    "{\"date_range\":{\"init_date\":\"2025-01-01\"},"
    "\"stock_symbols\":[\"AAA\",\"BBB\"],"
    "\"models\":[{\"signature\":\"ew\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
    "{\"signature\":\"gap\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
    "{\"signature\":\"mock\",\"provider\":\"mock\"}],"
    "\"log_config\":{\"log_path\":\"agent_data\"}}";
static const char fee_config[] =
    "{\"date_range\":{\"init_date\":\"2025-01-01\"},"
    "\"stock_symbols\":[\"AAA\",\"BBB\"],"
    "\"trading\":{\"commission_per_trade\":1.0,\"commission_bps\":10,\"slippage_bps\":10},"
    "\"models\":[{\"signature\":\"ewfee\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"}],"
    "\"log_config\":{\"log_path\":\"agent_data\"}}";

/* AAA splits 3-for-2 effective 2025-01-03: its open falls from 10.01 to 6.80. */
static void insert_prices(void)
{
    fx_bar(fx.db, "AAA", "2025-01-02", "10.01", "10.01");
    fx_bar(fx.db, "BBB", "2025-01-02", "20.0", "20.0");
    fx_bar(fx.db, "AAA", "2025-01-03", "6.8", "6.9");
    fx_bar(fx.db, "BBB", "2025-01-03", "20.0", "20.0");
    fx_bar(fx.db, "AAA", "2025-01-06", "7.0", "7.2");
    fx_bar(fx.db, "BBB", "2025-01-06", "20.0", "21.0");
}

static void write_file(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", fx.dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The import result of one file's text: 0 or -1 (err says why). */
static int import_text(const char *name, const char *text, struct pricesimport_stats *st)
{
    char path[256];
    const char *paths[1] = {path};
    write_file(name, text, path, sizeof(path));
    err[0] = '\0';
    return pricesimport_files(fx.db, paths, 1, st, err, sizeof(err));
}

static void test_import(void)
{
    struct pricesimport_stats st;
    char buf[64];
    /* Alpha Vantage's SPLITS answer, as in ../shared/data/splits. */
    ok(import_text("splits_AAA.json",
                   "{\n    \"symbol\": \"AAA\",\n    \"data\": [\n        {\n"
                   "            \"effective_date\": \"2025-01-03\",\n"
                   "            \"split_factor\": \"1.5000\"\n        }\n    ]\n}\n",
                   &st) == 0,
       "SPLITS file imported (%s)", err);
    is_int(st.splits, 1, "  one split read");
    is_int(q("SELECT factor_micro FROM splits WHERE symbol='AAA' AND effective_date='2025-01-03'"),
           1500000, "  stored with its exact factor");
    is_str(fx_text(fx.db, "SELECT factor FROM splits WHERE symbol='AAA'", buf, sizeof(buf)),
           "1.5000", "  and its published text");
    ok(import_text("splits_AAA.json",
                   "{\"symbol\":\"AAA\",\"data\":[{\"effective_date\":"
                   "\"2025-01-03\",\"split_factor\":\"1.5000\"}]}",
                   &st) == 0 &&
           q("SELECT count(*) FROM splits") == 1,
       "re-import is idempotent");
    ok(import_text("none.json", "{\"symbol\":\"BBB\",\"data\":[]}", &st) == 0 && st.splits == 0,
       "a symbol without splits");

    /* TIME_SERIES_DAILY_ADJUSTED: its split coefficients other than 1 are splits. */
    ok(import_text(
           "adjusted_CCC.json",
           "{\"Meta Data\":{\"1. Information\":\"Daily Time Series with Splits and Dividend "
           "Events\",\"2. Symbol\":\"CCC\",\"3. Last Refreshed\":\"2025-01-03\"},"
           "\"Time Series (Daily)\":{"
           "\"2025-01-03\":{\"1. open\":\"50.0000\",\"2. high\":\"52.0000\",\"3. low\":\"49.0000\","
           "\"4. close\":\"51.0000\",\"5. adjusted close\":\"51.0000\",\"6. volume\":\"1000\","
           "\"7. dividend amount\":\"0.0000\",\"8. split coefficient\":\"2.0\"},"
           "\"2025-01-02\":{\"1. open\":\"99.0000\",\"2. high\":\"101.0000\",\"3. "
           "low\":\"98.0000\","
           "\"4. close\":\"100.0000\",\"5. adjusted close\":\"50.0000\",\"6. volume\":\"900\","
           "\"7. dividend amount\":\"0.5000\",\"8. split coefficient\":\"1.0\"}}}",
           &st) == 0,
       "DAILY_ADJUSTED file imported (%s)", err);
    ok(st.inserted == 2 && st.splits == 1, "  two bars, one split");
    is_int(q("SELECT close_micro FROM prices WHERE symbol='CCC' AND date='2025-01-02'"), M(100, 0),
           "  prices as traded, not adjusted");
    is_int(q("SELECT count(*) FROM prices WHERE symbol='CCC' AND volume='1000'"), 1,
           "  its volume");
    is_int(q("SELECT factor_micro FROM splits WHERE symbol='CCC' AND effective_date='2025-01-03'"),
           2000000, "  the 2.0 coefficient is a split");
    is_int(q("SELECT count(*) FROM splits WHERE symbol='CCC'"), 1, "  the 1.0 ones are not");

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"symbol\":\"AAA\",\"data\":[{\"effective_date\":\"2025-02-30\","
         "\"split_factor\":\"2\"}]}",
         "AAA 2025-02-30 \"effective_date\": invalid date"},
        {"{\"symbol\":\"AAA\",\"data\":[{\"effective_date\":\"2025-02-03\","
         "\"split_factor\":\"0.0000\"}]}",
         "\"split_factor\": not a positive split factor: \"0.0000\""},
        {"{\"symbol\":\"AAA\",\"data\":[{\"effective_date\":\"2025-02-03\"}]}",
         "\"split_factor\": missing"},
        {"{\"symbol\":\"AAA\",\"data\":[{\"effective_date\":\"2025-02-03\","
         "\"split_factor\":15}]}",
         "\"split_factor\": not a JSON string"},
        {"{\"symbol\":\"../x\",\"data\":[]}", "invalid symbol"},
        {"{\"symbol\":\"AAA\",\"data\":{}}", "\"data\": not a JSON array of splits"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long before = q("SELECT count(*) FROM splits");
        ok(import_text("bad.json", bad[i].text, &st) == -1 && strstr(err, bad[i].want),
           "bad SPLITS %zu refused: %s", i, err);
        is_int(q("SELECT count(*) FROM splits"), before, "  nothing stored");
    }
    /* The split of CCC is not needed below. */
    fx_exec(fx.db, "DELETE FROM splits WHERE symbol = 'CCC'");
}

static enum modelday_result run(const struct config *cfg, const char *job, const char *date,
                                const char *model)
{
    char sql[256];
    struct modelday_spec spec = {.job_id = job,
                                 .date = date,
                                 .cfg = cfg,
                                 .model = config_find_model(cfg, model),
                                 .home = fx.dir};
    snprintf(sql, sizeof(sql),
             "INSERT INTO job_details(job_id,date,model,status) VALUES('%s','%s','%s','pending')",
             job, date, model);
    fx_exec(fx.db, sql);
    err[0] = '\0';
    return modelday_run(fx.db, &spec, err, sizeof(err));
}

static void make_job(const char *id)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "INSERT INTO jobs(job_id,config_path,config_json,status,date_range,models,created_at)"
             " VALUES('%s','c','{}','running','[]','[]','2025-01-01T00:00:00.000Z')",
             id);
    fx_exec(fx.db, sql);
}

static void test_split_day(void)
{
    struct config cfg;
    char buf[512];
    ok(config_parse(plain_config, strlen(plain_config), &cfg, err, sizeof(err)) == 0, "config: %s",
       err);
    make_job("s1");
    /* Day 1: 499 AAA at 10.01 and 250 BBB at 20; 5.01 cash; value 10000. */
    ok(run(&cfg, "s1", "2025-01-02", "ew") == MODELDAY_COMPLETED, "ew day 1 (%s)", err);
    is_int(q("SELECT cash FROM positions WHERE model='ew' AND date='2025-01-02'"), M(5, 10000),
           "  cash 5.01");
    /* Day 2: 499 x 1.5 = 748.5: 748 shares and 0.5 x 6.80 = 3.40 in cash. */
    ok(run(&cfg, "s1", "2025-01-03", "ew") == MODELDAY_COMPLETED, "ew day 2 (%s)", err);
    is_int(q("SELECT quantity FROM holdings h JOIN positions p ON p.id = h.position_id"
             " WHERE p.model='ew' AND p.date='2025-01-03' AND h.symbol='AAA'"),
           748, "  499 AAA became 748");
    is_int(q("SELECT cash FROM positions WHERE model='ew' AND date='2025-01-03'"), M(8, 410000),
           "  cash 5.01 + 3.40 in lieu of the half share");
    /* 8.41 + 748 x 6.90 + 250 x 20 = 10169.61: continuous with day 1. */
    is_int(q("SELECT portfolio_value FROM positions WHERE model='ew' AND date='2025-01-03'"),
           M(10169, 610000), "  value 10169.61");
    is_int(q("SELECT daily_profit FROM positions WHERE model='ew' AND date='2025-01-03'"),
           M(169, 610000), "  profit 169.61 against day 1");
    is_int(q("SELECT count(*) FROM corporate_actions c JOIN positions p ON p.id = c.position_id"
             " WHERE p.model='ew' AND p.date='2025-01-03' AND c.seq=1 AND c.action='split' AND"
             " c.symbol='AAA' AND c.effective_date='2025-01-03' AND c.factor='1.5000' AND"
             " c.shares_before=499 AND c.shares_after=748 AND c.price=6800000 AND"
             " c.cash=3400000"),
           1, "  the day's corporate action stored");
    ok(run(&cfg, "s1", "2025-01-06", "ew") == MODELDAY_COMPLETED, "ew day 3 (%s)", err);
    is_int(q("SELECT count(*) FROM corporate_actions c JOIN positions p ON p.id = c.position_id"
             " WHERE p.date='2025-01-06'"),
           0, "  a split applies once");

    /* A model that skipped the split's day meets it at its next session. */
    is_int(run(&cfg, "s1", "2025-01-02", "gap"), MODELDAY_COMPLETED, "gap day 1");
    ok(run(&cfg, "s1", "2025-01-06", "gap") == MODELDAY_COMPLETED, "gap day 3 (%s)", err);
    is_int(q("SELECT count(*) FROM corporate_actions c JOIN positions p ON p.id = c.position_id"
             " WHERE p.model='gap' AND p.date='2025-01-06' AND c.effective_date='2025-01-03' AND"
             " c.shares_after=748 AND c.cash=3400000"),
           1, "  the split effective 2025-01-03 applied at 2025-01-06, priced at its own open");

    char *pos = fx_slurp(&fx, "agent_data/ew/position/position.jsonl");
    ok(pos && strstr(pos, "{\"date\": \"2025-01-03\", \"id\": 3, \"this_action\": {\"action\": "
                          "\"split\", \"symbol\": \"AAA\", \"amount\": 249, \"factor\": "
                          "\"1.5000\", \"cash\": 3.4}, \"positions\": {\"AAA\": 748, \"BBB\": "
                          "250, \"CASH\": 8.41}}\n"),
       "position.jsonl records the split with the state after it");
    ok(pos && strstr(pos, "{\"date\": \"2025-01-03\", \"id\": 4, \"this_action\": {\"action\": "
                          "\"no_trade\""),
       "  then the day's no_trade line");
    free(pos);

    /* The agent is told in that day's prompt. */
    ok(run(&cfg, "s1", "2025-01-02", "mock") == MODELDAY_COMPLETED, "mock day 1 (%s)", err);
    long long held = q("SELECT quantity FROM holdings h JOIN positions p ON p.id = h.position_id"
                       " WHERE p.model='mock' AND h.symbol='AAA'");
    ok(held > 0, "mock bought AAA (%lld)", held);
    ok(run(&cfg, "s1", "2025-01-03", "mock") == MODELDAY_COMPLETED, "mock day 2 (%s)", err);
    snprintf(buf, sizeof(buf),
             "SELECT count(*) FROM reasoning_logs r JOIN positions p ON p.id = r.position_id"
             " WHERE p.model='mock' AND p.date='2025-01-03' AND r.role='system' AND"
             " instr(r.content, '- AAA split 3-for-2 (factor 1.5000) effective 2025-01-03: your"
             " %lld shares became %lld.') > 0",
             held, held * 3 / 2);
    is_int(fx_int(fx.db, buf), 1, "  the system prompt tells of the split");
    is_int(q("SELECT count(*) FROM reasoning_logs r JOIN positions p ON p.id = r.position_id"
             " WHERE p.model='mock' AND p.date='2025-01-02' AND instr(r.content, 'split') > 0"),
           0, "  and only on its day");
    config_free(&cfg);
}

/* AI-Trader's importer replays with the same rules: the store's splits
 * apply at the start of their day. A file of this service (with its split
 * line) round-trips without a warning; AI-Trader's own file, which knows no
 * splits, is reported where it disagrees and the adjusted replay is stored. */
static void test_import_aitrader(void)
{
    struct aiimport_report rep;
    const char *ew[] = {"ew"}, *ait[] = {"ait"};
    char dir[256], path[300];
    long long cash = q("SELECT cash FROM positions WHERE model='ew' AND date='2025-01-06'");
    fx_exec(fx.db, "UPDATE jobs SET status = 'completed'");
    snprintf(dir, sizeof(dir), "%s/agent_data", fx.dir);
    ok(aiimport_run(fx.db, dir, ew, 1, -1, 1, &rep, err, sizeof(err)) == 0,
       "our own position.jsonl with its split line imports (%s)", err);
    ok(rep.nwarnings == 1 && strstr(rep.warnings[0], "replaced 3 existing"),
       "  no disagreement: the only warning is the replacement (%s)",
       rep.nwarnings ? rep.warnings[rep.nwarnings - 1] : "");
    is_int(q("SELECT count(*) FROM corporate_actions c JOIN positions p ON p.id = c.position_id"
             " WHERE p.model='ew' AND p.date='2025-01-03' AND c.shares_after=748 AND"
             " c.cash=3400000"),
           1, "  the split stored again with its day");
    is_int(q("SELECT cash FROM positions WHERE model='ew' AND date='2025-01-06'"), cash,
           "  the same end state");
    aiimport_report_free(&rep);

    snprintf(path, sizeof(path), "%s/ait/position", dir);
    snprintf(dir, sizeof(dir), "%s/ait", fx.dir);
    mkdir(dir, 0700);
    snprintf(dir, sizeof(dir), "%s/ait/position", fx.dir);
    mkdir(dir, 0700);
    snprintf(dir, sizeof(dir), "%s", fx.dir);
    write_file("ait/position/position.jsonl",
               "{\"date\": \"2025-01-01\", \"id\": 0, \"positions\": {\"AAA\": 0, \"CASH\": "
               "10000.0}}\n"
               "{\"date\": \"2025-01-02\", \"id\": 1, \"this_action\": {\"action\": \"buy\", "
               "\"symbol\": \"AAA\", \"amount\": 100}, \"positions\": {\"AAA\": 100, \"CASH\": "
               "8999.0}}\n"
               "{\"date\": \"2025-01-03\", \"id\": 2, \"this_action\": {\"action\": "
               "\"no_trade\", \"symbol\": \"\", \"amount\": 0}, \"positions\": {\"AAA\": 100, "
               "\"CASH\": 8999.0}}\n",
               path, sizeof(path));
    ok(aiimport_run(fx.db, dir, ait, 1, -1, 0, &rep, err, sizeof(err)) == 0,
       "AI-Trader's file across the split imports (%s)", err);
    ok(rep.nwarnings == 1 && strstr(rep.warnings[0], "AAA 100 in the file, 150 replayed"),
       "  the disagreement is reported: %s", rep.nwarnings ? rep.warnings[0] : "none");
    is_int(q("SELECT quantity FROM holdings h JOIN positions p ON p.id = h.position_id"
             " WHERE p.model='ait' AND p.date='2025-01-03'"),
           150, "  the adjusted holding is stored");
    /* 8999 + 150 x 6.90 against 8999 + 100 x 10.01. */
    is_int(q("SELECT daily_profit FROM positions WHERE model='ait' AND date='2025-01-03'"),
           M(34, 0), "  profit 1035 - 1001 = 34: continuous");
    aiimport_report_free(&rep);
}

static void test_notice(void)
{
    char ratio[48], *text = NULL;
    splits_ratio(15000000, ratio, sizeof(ratio));
    is_str(ratio, "15-for-1", "15.0000 is 15-for-1");
    splits_ratio(100000, ratio, sizeof(ratio));
    is_str(ratio, "1-for-10", "0.1 is 1-for-10");
    struct splits_applied s[] = {
        {"ORLY", "2025-06-10", "15.0000", 15000000, 5, 75, M(90, 0), 0},
        {"AAA", "2025-06-10", "1.5000", 1500000, 5, 7, M(46, 500000), M(23, 250000)},
    };
    text = splits_notice(s, 2);
    ok(text != NULL, "notice");
    is_str(text,
           "Stock splits since your last session (already applied to the positions above):\n"
           "- ORLY split 15-for-1 (factor 15.0000) effective 2025-06-10: your 5 shares became 75."
           " Closing prices of ORLY before 2025-06-10 are from before the split.\n"
           "- AAA split 3-for-2 (factor 1.5000) effective 2025-06-10: your 5 shares became 7."
           " The fractional share left was paid in cash: 23.25. Closing prices of AAA before "
           "2025-06-10 are from before the split.\n",
           "  its text");
    free(text);

    /* Templates: {corporate_actions} places the notice; without it, it is appended. */
    struct tools_ctx ctx;
    struct portfolio pf;
    struct splits_applied *one = malloc(sizeof(*one));
    char want[1024], *notice;
    portfolio_init(&pf, 0);
    ok(one && tools_ctx_init(&ctx, fx.db, "t", "2025-06-10", &pf, NULL, 0, err, sizeof(err)) == 0,
       "a day's context");
    *one = s[1];
    tools_set_splits(&ctx, one, 1);
    notice = splits_notice(s + 1, 1);
    ok(agent_system_prompt(&ctx, "A {date}{corporate_actions}B", &text, err, sizeof(err)) == 0,
       "a template with {corporate_actions}");
    snprintf(want, sizeof(want), "A 2025-06-10%s\nB", notice);
    is_str(text, want, "  the notice where the placeholder is");
    free(text);
    ok(agent_system_prompt(&ctx, "A {date}", &text, err, sizeof(err)) == 0,
       "a template without it");
    snprintf(want, sizeof(want), "A 2025-06-10\n%s\n", notice);
    is_str(text, want, "  the notice appended");
    free(text);
    tools_set_splits(&ctx, NULL, 0);
    ok(agent_system_prompt(&ctx, "A{corporate_actions}B", &text, err, sizeof(err)) == 0 &&
           strcmp(text, "AB") == 0,
       "  nothing on a day without a split");
    free(text);
    free(notice);
    tools_ctx_free(&ctx);
    portfolio_free(&pf);
}

static void test_fees(void)
{
    struct config cfg;
    char *pos;
    ok(config_parse(fee_config, strlen(fee_config), &cfg, err, sizeof(err)) == 0, "fee config: %s",
       err);
    ok(cfg.trading.per_trade == M(1, 0) && cfg.trading.commission_ppm == 1000 &&
           cfg.trading.slippage_ppm == 1000,
       "  trading costs parsed");
    make_job("f1");
    ok(run(&cfg, "f1", "2025-01-02", "ewfee") == MODELDAY_COMPLETED, "ewfee day 1 (%s)", err);
    /* AAA fills at 10.01 x 1.001 = 10.02001; 5000 buys 498 with the fee
     * 1 + 4989.96498 x 0.001 = 5.98996498 -> 5.989965 (rounded up). */
    is_int(q("SELECT count(*) FROM trades WHERE symbol='AAA' AND amount=498 AND price=10020010 AND"
             " total=4989964980 AND fee=5989965"),
           1, "  AAA: 498 at 10.02001, fee 5.989965");
    /* BBB at 20.02: 249 for 4984.98, fee 1 + 4.98498. */
    is_int(q("SELECT count(*) FROM trades WHERE symbol='BBB' AND amount=249 AND price=20020000 AND"
             " total=4984980000 AND fee=5984980"),
           1, "  BBB: 249 at 20.02, fee 5.98498");
    /* 10000 - 4995.954945 - 4990.96498 = 13.080075; value + 498 x 10.01 + 249 x 20. */
    is_int(q("SELECT cash FROM positions WHERE model='ewfee'"), 13080075, "  cash after fees");
    is_int(q("SELECT portfolio_value FROM positions WHERE model='ewfee'"), 9978060075,
           "  value 9978.060075: P&L includes the costs");
    pos = fx_slurp(&fx, "agent_data/ewfee/position/position.jsonl");
    ok(pos && strstr(pos, "\"this_action\": {\"action\": \"buy\", \"symbol\": \"AAA\", \"amount\": "
                          "498, \"price\": 10.02001, \"fee\": 5.989965}"),
       "  position.jsonl records the fill price and fee");
    free(pos);
    config_free(&cfg);
}

/* The buy tool with costs: a buy whose fee would take cash below zero is
 * refused with AI-Trader's wording, the fee counted in required_cash. */
static void test_tool_refusal(void)
{
    struct tools_ctx ctx;
    struct portfolio pf;
    char *res = NULL;
    static const char universe[][SYMBOL_MAX] = {"AAA", "BBB"};
    portfolio_init(&pf, M(100, 100000)); /* 10 AAA at 10.01 cost 100.10 before the fee */
    ok(tools_ctx_init(&ctx, fx.db, "t", "2025-01-02", &pf, universe, 2, err, sizeof(err)) == 0,
       "a day's context");
    ctx.costs = (struct trading_costs){M(1, 0), 0, 0};
    is_int(tools_call(&ctx, "buy", "{\"symbol\":\"AAA\",\"amount\":10}", &res, err, sizeof(err)),
           TOOLS_REFUSED, "a buy short of its fee is refused");
    is_str(res,
           "{\"error\":\"Insufficient cash! This action will not be allowed.\",\"symbol\":"
           "\"AAA\",\"date\":\"2025-01-02\",\"required_cash\":101.1,\"cash_available\":100.1,"
           "\"fee\":1.0}",
           "  AI-Trader's wording; required cash includes the fee");
    free(res);
    is_int(tools_call(&ctx, "buy", "{\"symbol\":\"AAA\",\"amount\":9}", &res, err, sizeof(err)),
           TOOLS_DONE, "9 shares and the fee fit");
    ok(ctx.ntrades == 1 && ctx.trades[0].fee == M(1, 0) && ctx.pf.cash == M(9, 10000),
       "  the trade records its fee; cash 100.10 - 90.09 - 1");
    free(res);
    tools_ctx_free(&ctx);
    portfolio_free(&pf);
}

/* A split whose day has no bar of its symbol pays the fraction at the last
 * close before it over the factor. */
static void test_no_open(void)
{
    struct portfolio pf;
    struct splits_applied *done = NULL;
    size_t n = 0;
    fx_exec(fx.db, "INSERT INTO splits(symbol, effective_date, factor, factor_micro, imported_at)"
                   " VALUES('CCC', '2025-01-05', '2.5', 2500000, 't')");
    portfolio_init(&pf, 0);
    portfolio_set(&pf, "CCC", 1);
    portfolio_set(&pf, "BBB", 4);
    ok(splits_apply(fx.db, "2025-01-03", "2025-01-06", &pf, &done, &n, err, sizeof(err)) == 0,
       "splits since 2025-01-03 (%s)", err);
    ok(n == 1 && strcmp(done[0].symbol, "CCC") == 0 && done[0].after == 2,
       "  CCC's 2.5-for-1 of a Sunday applied: 1 share became 2");
    /* CCC closed at 51 on 2025-01-03: 51 / 2.5 = 20.4 a share; half of it in cash. */
    ok(n == 1 && done[0].price == M(20, 400000) && done[0].cash == M(10, 200000) &&
           pf.cash == M(10, 200000),
       "  the half share paid at 51 / 2.5 = 20.40");
    is_int(portfolio_shares(&pf, "BBB"), 4, "  a symbol without a split is untouched");
    free(done);
    ok(splits_apply(fx.db, "2025-01-05", "2025-01-06", &pf, &done, &n, err, sizeof(err)) == 0 &&
           n == 0 && done == NULL,
       "a split on the state's own day is not applied again");
    portfolio_free(&pf);
}

static void test_config_errors(void)
{
    static const struct {
        const char *trading, *want;
    } cases[] = {
        {"{\"slipage_bps\":5}", "trading.slipage_bps is not a known field"},
        {"{\"commission_bps\":-1}", "trading.commission_bps must be a number between 0 and 1000"},
        {"{\"slippage_bps\":1000.5}", "trading.slippage_bps must be a number between 0 and 1000"},
        {"{\"slippage_bps\":0.125}", "trading.slippage_bps may have at most two decimals"},
        {"{\"commission_per_trade\":\"1\"}", "trading.commission_per_trade must be a number"},
        {"[]", "trading must be an object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        struct config cfg;
        snprintf(text, sizeof(text),
                 "{\"date_range\":{\"init_date\":\"2025-01-01\"},\"trading\":%s,\"models\":"
                 "[{\"signature\":\"m\",\"provider\":\"mock\"}]}",
                 cases[i].trading);
        err[0] = '\0';
        ok(config_parse(text, strlen(text), &cfg, err, sizeof(err)) == -1 &&
               strstr(err, cases[i].want),
           "trading %s refused: %s", cases[i].trading, err);
    }
}

int main(void)
{
    if (fx_open(&fx) != 0)
        return 1;
    insert_prices();
    test_import();
    test_split_day();
    test_import_aitrader();
    test_notice();
    test_fees();
    test_tool_refusal();
    test_no_open();
    test_config_errors();
    fx_close(&fx);
    return tap_done();
}
