/* Unit tests for tools: get_price's look-ahead rules, buy and sell through
 * every refusal with AI-Trader's wording and fields, the amount forms an LLM
 * sends, the math tools, usage records and the internal-error path, against a
 * real database with prices inserted by SQL. */
#include "trading/tools.h"

#include "simfixture.h"
#include "tap.h"

static struct tools_ctx ctx;
static char err[512];

/* Calls tool name with args; returns the status, result text in *out (freed
 * by the next call). */
static enum tools_result call(const char *name, const char *args, const char **out)
{
    static char *last;
    free(last);
    last = NULL;
    enum tools_result rc = tools_call(&ctx, name, args, &last, err, sizeof(err));
    *out = last ? last : "";
    return rc;
}

/* Calls tool name with args expecting a refusal whose message is want;
 * returns the answer (valid until the next call). */
static const char *refused(const char *name, const char *args, const char *want, const char *desc)
{
    const char *r;
    is_int(call(name, args, &r), TOOLS_REFUSED, desc);
    is_str(fx_json_get(r, "error"), want, desc);
    return r;
}

/* Calls tool name with args expecting success with exactly the answer want. */
static void answers(const char *name, const char *args, const char *want, const char *desc)
{
    const char *r;
    is_int(call(name, args, &r), TOOLS_DONE, desc);
    is_str(r, want, desc);
}

static int has(const char *s, const char *sub)
{
    return s && strstr(s, sub) != NULL;
}

static void test_get_price(void)
{
    const char *r;
    is_int(call("get_price", "{\"symbol\":\"AAPL\",\"date\":\"2025-01-03\"}", &r), TOOLS_DONE,
           "get_price of an earlier day");
    ok(has(r, "\"open\":\"101.5\"") && has(r, "\"close\":\"102.25\"") && has(r, "\"high\"") &&
           has(r, "\"low\"") && has(r, "\"volume\":\"1234\""),
       "an earlier day gives the whole bar: %s", r);
    is_str(fx_json_get(r, "date"), "2025-01-03", "the date is echoed");

    is_int(call("get_price", "{\"symbol\":\"AAPL\"}", &r), TOOLS_DONE,
           "get_price defaults to today");
    ok(has(r, "\"open\":\"103.0\"") && !has(r, "close") && !has(r, "high") && !has(r, "low") &&
           !has(r, "volume") && !has(r, "104.5"),
       "today gives only the open: %s", r);
    is_int(call("get_price", "{\"symbol\":\"AAPL\",\"date\":\"2025-01-06\"}", &r), TOOLS_DONE,
           "today named explicitly");
    ok(has(r, "\"open\":\"103.0\"") && !has(r, "close"), "still only the open: %s", r);

    is_int(call("get_price", "{\"symbol\":\"AAPL\",\"date\":\"2025-01-07\"}", &r), TOOLS_REFUSED,
           "a later day is refused");
    ok(has(fx_json_get(r, "error"), "future") && !has(r, "110.0") && !has(r, "111.0"),
       "with a future message and no data: %s", r);
    is_int(call("get_price", "{\"symbol\":\"AAPL\",\"date\":\"2030-01-01\"}", &r), TOOLS_REFUSED,
           "a far future date is refused");
    r = refused("get_price", "{\"symbol\":\"AAPL\",\"date\":\"2025-01-04\"}",
                "Data not found for date 2025-01-04. Please verify the date exists in data. Sample "
                "available dates: ['2025-01-06', '2025-01-03', '2025-01-02']",
                "a day without a bar");
    r = refused("get_price", "{\"symbol\":\"NOPE\",\"date\":\"2025-01-03\"}",
                "No records found for stock NOPE in local data", "an unknown symbol");
    is_str(fx_json_get(r, "symbol"), "NOPE", "symbol field");
    r = refused("get_price", "{\"symbol\":\"FUT\",\"date\":\"2025-01-06\"}",
                "No records found for stock FUT in local data", "a symbol with only future bars");
    r = refused("get_price", "{\"symbol\":\"AAPL\",\"date\":\"2025-13-01\"}",
                "date must be in YYYY-MM-DD format", "an invalid date");
    is_int(call("get_price", "{\"symbol\":\"AAPL\",\"date\":20250103}", &r), TOOLS_REFUSED,
           "a non-string date");
    is_int(call("get_price", "{\"date\":\"2025-01-03\"}", &r), TOOLS_REFUSED, "a missing symbol");
    ok(has(fx_json_get(r, "error"), "Invalid symbol"), "invalid symbol message: %s", r);
    is_int(call("get_price", "{\"symbol\":\"QQQ\",\"date\":\"2025-01-03\"}", &r), TOOLS_DONE,
           "the benchmark may be read");
    is_int(call("get_price_local", "{\"symbol\":\"AAPL\",\"date\":\"2025-01-03\"}", &r), TOOLS_DONE,
           "AI-Trader's name get_price_local");
}

static void test_trades(void)
{
    const char *r;
    answers("buy", "{\"symbol\":\"AAPL\",\"amount\":10}", "{\"AAPL\":10,\"CASH\":8970.0}",
            "buy 10 AAPL");
    is_int(call("buy", "{\"symbol\":\"AAPL\",\"amount\":\"5\"}", &r), TOOLS_REFUSED,
           "amount as text refused: \"5\" is not a number");
    is_int(call("buy", "{\"symbol\":\"AAPL\\u0000X\",\"amount\":5}", &r), TOOLS_REFUSED,
           "a NUL in the symbol refused");
    ok(has(fx_json_get(r, "error"), "Invalid arguments"), "as invalid arguments: %s", r);
    is_int(call("buy", "{\"symbol\":\"AAPL\",\"amount\":5}", &r), TOOLS_DONE, "amount 5");
    is_int(call("buy", "{\"symbol\":\"AAPL\",\"amount\":2.0}", &r), TOOLS_DONE, "amount as 2.0");
    is_int(portfolio_shares(&ctx.pf, "AAPL"), 17, "17 shares held");
    is_int(ctx.pf.cash, 8249000000LL, "cash 10000 - 17 x 103 exactly");

    static const char *const bad_amounts[] = {"2.5",
                                              "0",
                                              "-3",
                                              "\"abc\"",
                                              "\"\"",
                                              "\"1e3\"",
                                              "\"-2\"",
                                              "true",
                                              "null",
                                              "[1]",
                                              "{}",
                                              "1e300",
                                              "\"9999999999999999999\""};
    for (size_t i = 0; i < sizeof(bad_amounts) / sizeof(bad_amounts[0]); i++) {
        char args[128];
        snprintf(args, sizeof(args), "{\"symbol\":\"AAPL\",\"amount\":%s}", bad_amounts[i]);
        r = refused("buy", args,
                    "Amount must be a positive integer! This action will not be allowed.", args);
    }
    is_int(call("buy", "{\"symbol\":\"AAPL\"}", &r), TOOLS_REFUSED, "a missing amount");
    is_int(call("sell", "{\"symbol\":\"AAPL\",\"amount\":1.5}", &r), TOOLS_REFUSED, "sell 1.5");
    is_int(portfolio_shares(&ctx.pf, "AAPL"), 17, "refusals change nothing");

    r = refused("buy", "{\"symbol\":\"QQQ\",\"amount\":1}",
                "Symbol QQQ not found! This action will not be allowed.", "the benchmark");
    is_str(fx_json_get(r, "symbol"), "QQQ", "symbol field");
    is_str(fx_json_get(r, "date"), "2025-01-06", "date field");
    r = refused("buy", "{\"symbol\":\"ZZZZ\",\"amount\":1}",
                "Symbol ZZZZ not found! This action will not be allowed.", "outside the universe");
    r = refused("buy", "{\"symbol\":\"NFLX\",\"amount\":1}",
                "Symbol NFLX not found! This action will not be allowed.", "no bar today");
    is_int(call("buy", "{\"symbol\":\"aapl!\",\"amount\":1}", &r), TOOLS_REFUSED,
           "a malformed symbol");
    ok(has(fx_json_get(r, "error"), "Invalid symbol aapl!"), "invalid symbol: %s", r);
    is_int(call("buy", "{\"symbol\":7,\"amount\":1}", &r), TOOLS_REFUSED, "a non-string symbol");

    r = refused("buy", "{\"symbol\":\"MSFT\",\"amount\":100}",
                "Insufficient cash! This action will not be allowed.", "more than the cash");
    is_str(fx_json_get(r, "required_cash"), "20000.0", "required_cash");
    is_str(fx_json_get(r, "cash_available"), "8249.0", "cash_available");
    is_int(call("buy", "{\"symbol\":\"MSFT\",\"amount\":41}", &r), TOOLS_DONE, "41 x 200 fits");
    is_int(call("buy", "{\"symbol\":\"MSFT\",\"amount\":1}", &r), TOOLS_REFUSED,
           "49 left: 200 does not fit");
    is_int(call("buy", "{\"symbol\":\"AMZN\",\"amount\":1}", &r), TOOLS_DONE,
           "buying with exactly all the cash (49.0) is allowed");
    is_int(ctx.pf.cash, 0, "cash is exactly zero");

    r = refused("sell", "{\"symbol\":\"NVDA\",\"amount\":1}",
                "No position for NVDA! This action will not be allowed.",
                "selling what is not held");
    r = refused("sell", "{\"symbol\":\"AAPL\",\"amount\":18}",
                "Insufficient shares! This action will not be allowed.", "selling too many");
    is_str(fx_json_get(r, "have"), "17", "have");
    is_str(fx_json_get(r, "want_to_sell"), "18", "want_to_sell");
    answers("sell", "{\"symbol\":\"AAPL\",\"amount\":17}",
            "{\"AMZN\":1,\"MSFT\":41,\"CASH\":1751.0}", "sell everything");
    is_int(call("sell", "{\"symbol\":\"AAPL\",\"amount\":1}", &r), TOOLS_REFUSED,
           "and cannot be sold again");

    is_int(ctx.ntrades, 6, "six trades recorded");
    ok(ctx.ntrades == 6 && ctx.trades[0].seq == 1 && strcmp(ctx.trades[0].action, "buy") == 0 &&
           ctx.trades[0].amount == 10 && ctx.trades[0].price == 103000000 &&
           ctx.trades[0].total == 1030000000 && ctx.trades[5].seq == 6 &&
           strcmp(ctx.trades[5].action, "sell") == 0 && ctx.trades[5].amount == 17,
       "trades keep order, price and total");
}

static void test_math_and_dispatch(void)
{
    const char *r;
    answers("add", "{\"a\":2,\"b\":3.5}", "5.5", "add");
    answers("multiply", "{\"a\":2.5,\"b\":4}", "10.0", "multiply");
    r = refused("multiply", "{\"a\":\"2.5\",\"b\":4}", "a and b must be numbers",
                "text is not a number");
    r = refused("add", "{\"a\":\"x\",\"b\":1}", "a and b must be numbers", "add a non-number");
    is_int(call("multiply", "{\"a\":1e308,\"b\":1e308}", &r), TOOLS_REFUSED, "overflow");

    is_int(call("rm_rf", "{}", &r), TOOLS_REFUSED, "an unknown tool");
    ok(has(fx_json_get(r, "error"), "Unknown tool rm_rf") && has(r, "get_price_local"),
       "unknown tool message lists the tools: %s", r);
    is_int(call(NULL, NULL, &r), TOOLS_REFUSED, "no tool name");
    r = refused("buy", "[1,2]",
                "Invalid arguments: expected a JSON object (strings without NUL characters)",
                "arguments not an object");
    is_int(call("buy", "{\"symbol\":", &r), TOOLS_REFUSED, "arguments not JSON");
    is_int(call("add", "", &r), TOOLS_REFUSED, "empty arguments are {} (then a and b are missing)");
}

static void test_stats_and_log(void)
{
    size_t buy = 0, gp = 0;
    for (size_t i = 0; i < tools_count(); i++) {
        if (strcmp(tools_name(i), "buy") == 0)
            buy = i;
        if (strcmp(tools_name(i), "get_price_local") == 0)
            gp = i;
    }
    ok(tools_name(tools_count()) == NULL, "past the table is NULL");
    is_int(ctx.stats[buy].calls, 30, "buy calls counted");
    is_int(ctx.stats[buy].errors, 25, "buy refusals counted");
    is_int(ctx.stats[gp].calls, 13, "get_price_local calls counted (its old name too)");
    /* 13 timed calls take some time, and well under a minute. */
    ok(ctx.stats[gp].total_ms > 0.0 && ctx.stats[gp].total_ms < 60000.0, "durations recorded");

    json_object *defs = tools_definitions(NULL);
    ok(defs && json_object_array_length(defs) == tools_count(), "one definition per tool");
    json_object *fn = NULL, *name = NULL;
    ok(defs && json_object_object_get_ex(json_object_array_get_idx(defs, 1), "function", &fn) &&
           json_object_object_get_ex(fn, "name", &name) &&
           strcmp(json_object_get_string(name), tools_name(1)) == 0,
       "definitions follow the table");
    json_object_put(defs);

    ok(tools_log(&ctx, "assistant", "thinking", NULL, NULL, "{\"role\":\"assistant\"}", err,
                 sizeof(err)) == 0,
       "log an assistant message");
    ok(tools_log(&ctx, "robot", "x", NULL, NULL, NULL, err, sizeof(err)) == -1, "bad role refused");
    ok(tools_log(&ctx, "tool", "x", "buy", "c1", "{oops", err, sizeof(err)) == -1,
       "bad message JSON refused");
    is_int(ctx.nmsgs, 1, "one message kept");
    tools_set_summary(&ctx, "held");
    ok(strcmp(ctx.summary, "held") == 0, "summary set");
}

static void test_internal_error(struct db *db)
{
    const char *r;
    fx_exec(db, "DROP TABLE prices");
    is_int(call("get_price", "{\"symbol\":\"AAPL\",\"date\":\"2025-01-03\"}", &r), TOOLS_ERROR,
           "a database failure is an internal error");
    ok(has(fx_json_get(r, "error"), "Internal error") && err[0], "with an error answer: %s", err);
}

int main(void)
{
    /* symbol, date, open, close */
    static const char *const bars[][4] = {
        {"AAPL", "2025-01-02", "100.0", "101.0"}, {"AAPL", "2025-01-03", "101.5", "102.25"},
        {"AAPL", "2025-01-06", "103.0", "104.5"}, {"AAPL", "2025-01-07", "110.0", "111.0"},
        {"MSFT", "2025-01-06", "200.0", "201.0"}, {"NVDA", "2025-01-06", "130.0", "131.0"},
        {"AMZN", "2025-01-06", "49.0", "50.0"},   {"QQQ", "2025-01-03", "500.0", "501.0"},
        {"QQQ", "2025-01-06", "502.0", "503.0"},  {"ZZZZ", "2025-01-06", "5.0", "5.0"},
        {"FUT", "2025-01-07", "5.0", "5.0"},      {"NFLX", "2025-01-03", "900.0", "901.0"},
    };
    struct fixture fx;
    struct portfolio start;
    if (fx_open(&fx) != 0)
        return 1;
    for (size_t i = 0; i < sizeof(bars) / sizeof(bars[0]); i++)
        fx_bar(fx.db, bars[i][0], bars[i][1], bars[i][2], bars[i][3]);

    portfolio_init(&start, 10000 * MONEY_SCALE);
    ok(tools_ctx_init(&ctx, fx.db, "", "2025-01-06", &start, NULL, 0, err, sizeof(err)) == -1,
       "an empty model is refused");
    ok(tools_ctx_init(&ctx, fx.db, "m", "2025-02-30", &start, NULL, 0, err, sizeof(err)) == -1,
       "an invalid date is refused");
    ok(tools_ctx_init(&ctx, fx.db, "m", "2025-01-06", &start, NULL, 0, err, sizeof(err)) == 0,
       "context for 2025-01-06");
    test_get_price();
    test_trades();
    test_math_and_dispatch();
    test_stats_and_log();
    tools_ctx_free(&ctx);

    /* A configured universe replaces the default one. */
    static const char custom[][SYMBOL_MAX] = {"ZZZZ", "QQQ"};
    const char *r;
    tools_ctx_init(&ctx, fx.db, "m", "2025-01-06", &start, custom, 2, err, sizeof(err));
    is_int(call("buy", "{\"symbol\":\"ZZZZ\",\"amount\":3}", &r), TOOLS_DONE,
           "a configured symbol");
    is_int(call("buy", "{\"symbol\":\"AAPL\",\"amount\":1}", &r), TOOLS_REFUSED,
           "the default one is not");
    is_int(call("buy", "{\"symbol\":\"QQQ\",\"amount\":1}", &r), TOOLS_REFUSED, "QQQ never is");
    test_internal_error(fx.db);
    call("add", "{}", &r); /* frees the last answer */
    tools_ctx_free(&ctx);
    tools_ctx_free(&ctx);
    portfolio_free(&start);
    fx_close(&fx);
    return tap_done();
}
