/* Unit tests for strategy: knobs from the config entry, equal_weight's first
 * session and holding, momentum's ranking on closes strictly before today
 * (a wild close today must not move it), its sells and buys, and
 * cancellation during the delay knob. Real database, prices by SQL. */
#include "trading/strategy.h"

#include "simfixture.h"
#include "tap.h"

static char err[512];

static const char *const days[] = {"2025-01-02", "2025-01-03", "2025-01-06",
                                   "2025-01-07", "2025-01-08", "2025-01-09"};

/* Closes per day; the open of a day equals its close except where noted. */
static const char *const aaa[] = {"10.0", "11.0", "12.0", "13.0", "14.0", "15.0"};
static const char *const bbb[] = {"20.0", "20.0", "20.0", "20.0", "30.0", "30.0"};
static const char *const ccc[] = {"30.0", "29.0", "28.0", "27.0", "26.0", "2600.0"};
static const char *const ddd[] = {"40.0", "40.0", "40.0", "44.0", "48.0", "48.0"};

static const char config_text[] =
    "{\"date_range\":{\"init_date\":\"2025-01-01\"},"
    "\"stock_symbols\":[\"AAA\",\"BBB\",\"CCC\",\"DDD\",\"EEE\"],"
    "\"models\":[{\"signature\":\"ew\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
    "{\"signature\":\"mo\",\"provider\":\"builtin\",\"strategy\":\"momentum\",\"top_n\":2,"
    "\"lookback\":3,\"delay_ms\":0},"
    "{\"signature\":\"bad\",\"provider\":\"builtin\",\"strategy\":\"momentum\",\"top_n\":0},"
    "{\"signature\":\"slow\",\"provider\":\"builtin\",\"strategy\":\"momentum\","
    "\"delay_ms\":600000},"
    "{\"signature\":\"mock\",\"provider\":\"mock\"}]}";

static void insert_prices(struct db *db)
{
    for (size_t i = 0; i < 6; i++) {
        fx_bar(db, "AAA", days[i], aaa[i], aaa[i]);
        fx_bar(db, "BBB", days[i], bbb[i], bbb[i]);
        /* CCC opens at 26 on the last day and closes absurdly high. */
        fx_bar(db, "CCC", days[i], i == 5 ? "26.0" : ccc[i], ccc[i]);
        fx_bar(db, "DDD", days[i], ddd[i], ddd[i]);
    }
}

/* Runs strategy p for date from start; returns the status, ctx kept. */
static int run(struct db *db, const char *date, const struct portfolio *start,
               const struct strategy_params *p, const struct config *cfg, struct tools_ctx *ctx)
{
    tools_ctx_init(ctx, db, "m", date, start, (const char(*)[SYMBOL_MAX])cfg->symbols,
                   cfg->nsymbols, err, sizeof(err));
    return strategy_run(ctx, p, err, sizeof(err));
}

static void test_params(const struct config *cfg, struct strategy_params *ew,
                        struct strategy_params *mo)
{
    struct strategy_params p;
    ok(strategy_params_from_config(cfg, config_find_model(cfg, "ew"), ew, err, sizeof(err)) == 0,
       "equal_weight params");
    is_str(ew->name, "equal_weight", "name");
    is_int(ew->top_n, CONFIG_DEFAULT_TOP_N, "default top_n");
    is_int(ew->lookback, CONFIG_DEFAULT_LOOKBACK, "default lookback");
    is_int(ew->nbasket, 5, "the configured symbols are the basket");
    ok(strategy_params_from_config(cfg, config_find_model(cfg, "mo"), mo, err, sizeof(err)) == 0,
       "momentum params");
    is_int(mo->top_n, 2, "top_n from the entry");
    is_int(mo->lookback, 3, "lookback from the entry");
    ok(strategy_params_from_config(cfg, config_find_model(cfg, "bad"), &p, err, sizeof(err)) == -1,
       "top_n 0 refused: %s", err);
    ok(strategy_params_from_config(cfg, config_find_model(cfg, "mock"), &p, err, sizeof(err)) == -1,
       "a mock model is not a strategy");

    struct config def = {0};
    static const char deftext[] =
        "{\"date_range\":{\"init_date\":\"2025-01-01\"},\"models\":["
        "{\"signature\":\"ew\",\"provider\":\"builtin\",\"strategy\":\"equal_weight\"},"
        "{\"signature\":\"mo\",\"provider\":\"builtin\",\"strategy\":\"momentum\"}]}";
    ok(config_parse(deftext, strlen(deftext), &def, err, sizeof(err)) == 0, "default config: %s",
       err);
    strategy_params_from_config(&def, config_find_model(&def, "ew"), &p, err, sizeof(err));
    int all_in = p.nbasket == 10;
    for (size_t i = 0; i < p.nbasket; i++)
        all_in &= universe_contains(p.basket[i]);
    ok(all_in, "without stock_symbols equal_weight uses ten NASDAQ-100 names");
    strategy_params_from_config(&def, config_find_model(&def, "mo"), &p, err, sizeof(err));
    is_int(p.nbasket, universe_nasdaq100_count, "and momentum the whole universe");
    config_free(&def);
}

static void test_equal_weight(struct db *db, const struct config *cfg,
                              const struct strategy_params *ew)
{
    struct tools_ctx ctx;
    struct portfolio start;
    portfolio_init(&start, 10000 * MONEY_SCALE);
    is_int(run(db, "2025-01-02", &start, ew, cfg, &ctx), 0, "equal_weight first session");
    /* 4 symbols priced (EEE has no bar): 2500 each at 10, 20, 30, 40. */
    is_int(portfolio_shares(&ctx.pf, "AAA"), 250, "AAA 250");
    is_int(portfolio_shares(&ctx.pf, "BBB"), 125, "BBB 125");
    is_int(portfolio_shares(&ctx.pf, "CCC"), 83, "CCC 83");
    is_int(portfolio_shares(&ctx.pf, "DDD"), 62, "DDD 62");
    is_int(ctx.pf.cash, 30 * MONEY_SCALE, "30 left in cash");
    is_int(ctx.ntrades, 4, "four buys");
    ok(ctx.summary && strstr(ctx.summary, "equal_weight: first session"), "summary: %s",
       ctx.summary ? ctx.summary : "");
    ok(ctx.nmsgs == 5 && strcmp(ctx.msgs[4].role, "assistant") == 0 &&
           strcmp(ctx.msgs[0].role, "tool") == 0 && strcmp(ctx.msgs[0].tool_name, "buy") == 0,
       "four trade answers and the reasoning message logged");
    is_int(ctx.total_steps, 1, "one step");
    is_int(ctx.stop_signal, 1, "finished deliberately");
    struct portfolio after;
    portfolio_copy(&after, &ctx.pf);
    tools_ctx_free(&ctx);

    is_int(run(db, "2025-01-03", &after, ew, cfg, &ctx), 0, "equal_weight next session");
    is_int(ctx.ntrades, 0, "holds: no trades");
    ok(ctx.summary && strstr(ctx.summary, "holding 4 symbols"), "holding summary");
    tools_ctx_free(&ctx);
    portfolio_free(&after);
    portfolio_free(&start);
}

static void test_momentum(struct db *db, const struct config *cfg, const struct strategy_params *mo)
{
    struct tools_ctx ctx;
    struct portfolio start, after;
    portfolio_init(&start, 10000 * MONEY_SCALE);
    is_int(run(db, "2025-01-06", &start, mo, cfg, &ctx), 0, "too early for a 3-close window");
    is_int(ctx.ntrades, 0, "no trades without history");
    ok(ctx.summary && strstr(ctx.summary, "fewer than 3 trading days"), "says why");
    tools_ctx_free(&ctx);

    /* 2025-01-08: window 01-03 .. 01-07: AAA +18%, DDD +10%, BBB 0, CCC -7%. */
    is_int(run(db, "2025-01-08", &start, mo, cfg, &ctx), 0, "momentum on 2025-01-08");
    is_int(portfolio_shares(&ctx.pf, "AAA"), 357, "AAA 5000 / 14");
    is_int(portfolio_shares(&ctx.pf, "DDD"), 104, "DDD 5000 / 48");
    is_int(ctx.pf.cash, 10 * MONEY_SCALE, "10 left");
    ok(ctx.summary && strstr(ctx.summary, "AAA +18.18%") && strstr(ctx.summary, "DDD +10.00%"),
       "summary ranks: %s", ctx.summary ? ctx.summary : "");
    portfolio_copy(&after, &ctx.pf);
    tools_ctx_free(&ctx);

    /* 2025-01-09: window 01-06 .. 01-08: BBB +50%, DDD +20%, AAA +17%. CCC's
     * close today (2600) must not count. */
    is_int(run(db, "2025-01-09", &after, mo, cfg, &ctx), 0, "momentum on 2025-01-09");
    is_int(portfolio_shares(&ctx.pf, "AAA"), 0, "AAA dropped out and was sold");
    is_int(portfolio_shares(&ctx.pf, "DDD"), 104, "DDD kept as it was");
    is_int(portfolio_shares(&ctx.pf, "BBB"), 178, "BBB bought with the cash: 5365 / 30");
    is_int(portfolio_shares(&ctx.pf, "CCC"), 0, "today's close is not seen");
    is_int(ctx.pf.cash, 25 * MONEY_SCALE, "25 left");
    ok(ctx.ntrades == 2 && strcmp(ctx.trades[0].action, "sell") == 0 &&
           strcmp(ctx.trades[1].symbol, "BBB") == 0,
       "sell first, then buy");
    tools_ctx_free(&ctx);
    portfolio_free(&after);
    portfolio_free(&start);
}

static void test_cancel(struct db *db, const struct config *cfg)
{
    struct strategy_params slow;
    struct tools_ctx ctx;
    struct portfolio start;
    atomic_int stop = 1;
    portfolio_init(&start, 10000 * MONEY_SCALE);
    strategy_params_from_config(cfg, config_find_model(cfg, "slow"), &slow, err, sizeof(err));
    is_int(slow.delay_ms, 600000, "delay_ms knob");
    tools_ctx_init(&ctx, db, "m", "2025-01-08", &start, NULL, 0, err, sizeof(err));
    ctx.cancel = &stop;
    ok(strategy_run(&ctx, &slow, err, sizeof(err)) == -1 && tools_cancelled(&ctx),
       "a cancelled context stops the delay at once: %s", err);
    is_int(ctx.ntrades, 0, "nothing traded");
    tools_ctx_free(&ctx);
    portfolio_free(&start);
}

int main(void)
{
    struct fixture fx;
    struct config cfg = {0};
    struct strategy_params ew, mo;
    if (fx_open(&fx) != 0)
        return 1;
    insert_prices(fx.db);
    ok(config_parse(config_text, strlen(config_text), &cfg, err, sizeof(err)) == 0,
       "config parses: %s", err);
    test_params(&cfg, &ew, &mo);
    test_equal_weight(fx.db, &cfg, &ew);
    test_momentum(fx.db, &cfg, &mo);
    test_cancel(fx.db, &cfg);
    config_free(&cfg);
    fx_close(&fx);
    return tap_done();
}
