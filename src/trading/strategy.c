/* strategy: see strategy.h. Prices come from get_price_local answers (the
 * published text, parsed exactly with money_parse) and trades go through buy
 * and sell, so a strategy can see nothing an LLM could not. Only the trading
 * calendar before today is read from the price store directly. */
#include "trading/strategy.h"

#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "market/prices.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Ten large NASDAQ-100 names: equal_weight's basket when the config names
 * no symbols (the whole universe would leave most of them at zero shares). */
static const char default_basket[][SYMBOL_MAX] = {"AAPL", "MSFT", "NVDA", "AMZN", "GOOGL",
                                                  "META", "AVGO", "TSLA", "PEP",  "CSCO"};

#define DELAY_SLICE_MS 20

int strategy_params_from_config(const struct config *cfg, const struct config_model *m,
                                struct strategy_params *out, char *err, size_t errlen)
{
    struct strategy_params p = {
        .top_n = m->top_n, .lookback = m->lookback, .delay_ms = m->delay_ms};
    if (m->provider != CONFIG_PROVIDER_BUILTIN || !m->strategy)
        return err_set(err, errlen, "model %s is not a built-in strategy", m->signature);
    if (m->knob_error[0])
        return err_set(err, errlen, "%s", m->knob_error);
    snprintf(p.name, sizeof(p.name), "%s", m->strategy);
    if (!cfg->symbols_default) {
        p.basket = (const char(*)[SYMBOL_MAX])cfg->symbols;
        p.nbasket = cfg->nsymbols;
    } else if (strcmp(p.name, "equal_weight") == 0) {
        p.basket = default_basket;
        p.nbasket = sizeof(default_basket) / sizeof(default_basket[0]);
    } else {
        p.basket = (const char(*)[SYMBOL_MAX])cfg->symbols;
        p.nbasket = cfg->nsymbols;
    }
    *out = p;
    return 0;
}

/* Sleeps ms in short slices, returning early (-1) when ctx is cancelled. */
static int pause_ms(const struct tools_ctx *ctx, long ms)
{
    while (ms > 0 && !tools_cancelled(ctx)) {
        long slice = ms < DELAY_SLICE_MS ? ms : DELAY_SLICE_MS;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return tools_cancelled(ctx) ? -1 : 0;
}

/* What the steps below come to (errbuf.h's convention): a price or a
 * window found, a trade filled (STEP_DONE), or not (STEP_NONE). */
enum step {
    STEP_ERROR = -1,
    STEP_NONE = 0,
    STEP_DONE = 1,
};

/* Calls a tool with args (consumed). Returns its status (-1 with err); *res
 * gets the parsed answer (caller puts) when the call did not fail. When log
 * is set the answer is also kept as a tool message. */
static enum tools_result invoke(struct tools_ctx *ctx, const char *name, json_object *args, int log,
                                json_object **res, char *err, size_t errlen)
{
    char *text = NULL;
    enum tools_result rc =
        tools_call(ctx, name, json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN), &text,
                   err, errlen);
    json_object_put(args);
    if (rc != TOOLS_ERROR && log &&
        tools_log(ctx, "tool", text, name, NULL, NULL, err, errlen) != 0)
        rc = TOOLS_ERROR;
    if (rc != TOOLS_ERROR)
        *res = json_tokener_parse(text);
    free(text);
    return rc;
}

/* The arguments {"symbol": symbol}. Caller owns them. */
static json_object *symbol_args(const char *symbol)
{
    json_object *args = json_new_object();
    json_put(args, "symbol", json_object_new_string(symbol));
    return args;
}

/* A field of get_price_local's ohlcv ("open", "close") on date (NULL = today) as
 * money: STEP_DONE with *out, STEP_NONE when there is no such price. */
static enum step price_field(struct tools_ctx *ctx, const char *symbol, const char *date,
                             const char *field, money_t *out, char *err, size_t errlen)
{
    json_object *args = symbol_args(symbol), *res = NULL, *ohlcv;
    const char *s;
    enum step found = STEP_NONE;
    if (date)
        json_put(args, "date", json_object_new_string(date));
    enum tools_result rc = invoke(ctx, "get_price_local", args, 0, &res, err, errlen);
    if (rc == TOOLS_ERROR)
        return STEP_ERROR;
    if (rc == TOOLS_DONE && json_object_object_get_ex(res, "ohlcv", &ohlcv) &&
        (s = jsontext_string(ohlcv, field)) && money_parse(s, out) == 0 && *out > 0)
        found = STEP_DONE;
    json_object_put(res);
    return found;
}

/* buy or sell amount of symbol (logged): STEP_DONE when it filled,
 * STEP_NONE when refused. */
static enum step trade(struct tools_ctx *ctx, const char *action, const char *symbol,
                       int64_t amount, char *err, size_t errlen)
{
    json_object *args = symbol_args(symbol), *res = NULL;
    json_put(args, "amount", json_object_new_int64(amount));
    enum tools_result rc = invoke(ctx, action, args, 1, &res, err, errlen);
    json_object_put(res);
    return rc == TOOLS_ERROR ? STEP_ERROR : rc == TOOLS_DONE ? STEP_DONE : STEP_NONE;
}

/* Appends printf text to a bounded summary. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    if (len + 1 >= n)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

/* Buys, with the cash split equally among the nsyms symbols, as many whole
 * shares of each as its open allows, the trading costs included. */
static int buy_equally(struct tools_ctx *ctx, const char (*syms)[SYMBOL_MAX], size_t nsyms,
                       char *summary, size_t n, char *err, size_t errlen)
{
    money_t *open = mem_calloc(nsyms ? nsyms : 1, sizeof(*open));
    size_t priced = 0;
    int rc = -1;
    for (size_t i = 0; i < nsyms; i++) {
        enum step f = price_field(ctx, syms[i], NULL, "open", &open[i], err, errlen);
        if (f == STEP_ERROR)
            goto out;
        if (f == STEP_NONE)
            open[i] = 0;
        priced += f == STEP_DONE;
    }
    if (priced == 0) {
        say(summary, n, " No opening prices today: nothing bought.");
        rc = 0;
        goto out;
    }
    money_t budget = ctx->pf.cash / (money_t)priced;
    say(summary, n, " Bought with %.2f per symbol:", money_to_double(budget));
    for (size_t i = 0; i < nsyms; i++) {
        int64_t shares = portfolio_affordable(budget, open[i], &ctx->costs);
        enum step f = shares > 0 ? trade(ctx, "buy", syms[i], shares, err, errlen) : STEP_NONE;
        if (f == STEP_ERROR)
            goto out;
        if (f == STEP_DONE)
            say(summary, n, " %s %lld", syms[i], (long long)shares);
    }
    say(summary, n, ".");
    rc = 0;
out:
    free(open);
    return rc;
}

static int run_equal_weight(struct tools_ctx *ctx, const struct strategy_params *p, char *summary,
                            size_t n, char *err, size_t errlen)
{
    if (ctx->pf.n > 0) {
        say(summary, n, "equal_weight: holding %zu symbols bought on the first session.",
            ctx->pf.n);
        return 0;
    }
    say(summary, n, "equal_weight: first session, splitting %.2f cash equally across %zu symbols.",
        money_to_double(ctx->pf.cash), p->nbasket);
    return buy_equally(ctx, p->basket, p->nbasket, summary, n, err, errlen);
}

struct ranked {
    char symbol[SYMBOL_MAX];
    double ret;
};

/* Best return first; ties by symbol so the choice is deterministic. */
static int by_return(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->ret != y->ret)
        return x->ret > y->ret ? -1 : 1;
    return strcmp(x->symbol, y->symbol);
}

/* The lookback-th trading day before ctx's date and the last one before it:
 * STEP_NONE when the store has fewer days. */
static enum step window(struct tools_ctx *ctx, int lookback, char first[DATE_BUF],
                        char last[DATE_BUF], char *err, size_t errlen)
{
    char d[DATE_BUF];
    memcpy(d, ctx->date, DATE_BUF);
    for (int i = 0; i < lookback; i++) {
        enum prices_found f = prices_prev_trading_day(ctx->db, d, d, err, errlen);
        if (f != PRICES_FOUND)
            return f == PRICES_ERROR ? STEP_ERROR : STEP_NONE;
        if (i == 0)
            memcpy(last, d, DATE_BUF);
    }
    memcpy(first, d, DATE_BUF);
    return STEP_DONE;
}

/* Ranks the basket by close(last) / close(first); *nr symbols ranked. */
static int rank_basket(struct tools_ctx *ctx, const struct strategy_params *p, const char *first,
                       const char *last, struct ranked *r, size_t *nr, char *err, size_t errlen)
{
    *nr = 0;
    for (size_t i = 0; i < p->nbasket; i++) {
        money_t c0, c1;
        if (strcmp(p->basket[i], UNIVERSE_BENCHMARK) == 0)
            continue;
        enum step f = price_field(ctx, p->basket[i], first, "close", &c0, err, errlen);
        if (f == STEP_DONE)
            f = price_field(ctx, p->basket[i], last, "close", &c1, err, errlen);
        if (f == STEP_ERROR)
            return -1;
        if (f == STEP_NONE)
            continue;
        snprintf(r[*nr].symbol, SYMBOL_MAX, "%s", p->basket[i]);
        r[*nr].ret = (double)c1 / (double)c0 - 1.0;
        (*nr)++;
    }
    qsort(r, *nr, sizeof(*r), by_return);
    return 0;
}

/* Sells every holding that is not among the ntop best. */
static int sell_dropped(struct tools_ctx *ctx, const struct ranked *r, size_t ntop, char *summary,
                        size_t n, char *err, size_t errlen)
{
    struct portfolio held; /* a copy: selling changes the holdings */
    int rc = 0;
    portfolio_copy(&held, &ctx->pf);
    for (size_t i = 0; i < held.n && rc == 0; i++) {
        size_t j = 0;
        while (j < ntop && strcmp(r[j].symbol, held.h[i].symbol) != 0)
            j++;
        if (j < ntop)
            continue;
        enum step f = trade(ctx, "sell", held.h[i].symbol, held.h[i].shares, err, errlen);
        if (f == STEP_ERROR)
            rc = -1;
        else if (f == STEP_DONE)
            say(summary, n, " Sold %s %lld.", held.h[i].symbol, (long long)held.h[i].shares);
    }
    portfolio_free(&held);
    return rc;
}

static int run_momentum(struct tools_ctx *ctx, const struct strategy_params *p, char *summary,
                        size_t n, char *err, size_t errlen)
{
    char first[DATE_BUF], last[DATE_BUF];
    size_t nr = 0, ntop, nnew = 0;
    char(*fresh)[SYMBOL_MAX] = NULL;
    int rc = -1;
    enum step f = window(ctx, p->lookback, first, last, err, errlen);
    if (f != STEP_DONE) {
        if (f == STEP_NONE)
            say(summary, n, "momentum: fewer than %d trading days before %s; holding.", p->lookback,
                ctx->date);
        return f == STEP_ERROR ? -1 : 0;
    }
    struct ranked *r = mem_calloc(p->nbasket ? p->nbasket : 1, sizeof(*r));
    fresh = mem_calloc(p->nbasket ? p->nbasket : 1, sizeof(*fresh));
    if (rank_basket(ctx, p, first, last, r, &nr, err, errlen) != 0)
        goto out;
    ntop = nr < (size_t)p->top_n ? nr : (size_t)p->top_n;
    say(summary, n, "momentum: top %zu by return from %s to %s:", ntop, first, last);
    for (size_t i = 0; i < ntop; i++)
        say(summary, n, " %s %+.2f%%", r[i].symbol, r[i].ret * 100.0);
    say(summary, n, ".");
    if (sell_dropped(ctx, r, ntop, summary, n, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < ntop; i++)
        if (portfolio_shares(&ctx->pf, r[i].symbol) == 0)
            memcpy(fresh[nnew++], r[i].symbol, SYMBOL_MAX);
    rc = nnew ? buy_equally(ctx, (const char(*)[SYMBOL_MAX])fresh, nnew, summary, n, err, errlen)
              : 0;
out:
    free(fresh);
    free(r);
    return rc;
}

int strategy_run(struct tools_ctx *ctx, const struct strategy_params *p, char *err, size_t errlen)
{
    char summary[STRATEGY_SUMMARY_MAX] = "";
    int rc;
    if (pause_ms(ctx, p->delay_ms) != 0)
        return err_set(err, errlen, "cancelled");
    ctx->total_steps = 1; /* one decision; its messages are step 1 */
    if (strcmp(p->name, "equal_weight") == 0)
        rc = run_equal_weight(ctx, p, summary, sizeof(summary), err, errlen);
    else if (strcmp(p->name, "momentum") == 0)
        rc = run_momentum(ctx, p, summary, sizeof(summary), err, errlen);
    else
        return err_set(err, errlen, "unknown strategy %.32s", p->name);
    if (rc != 0)
        return -1;
    ctx->stop_signal = 1;
    if (tools_log(ctx, "assistant", summary, NULL, NULL, NULL, err, errlen) != 0)
        return -1;
    tools_set_summary(ctx, summary);
    return 0;
}
