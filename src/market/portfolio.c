/* portfolio: see portfolio.h. Holdings stay sorted by symbol so lookups are
 * binary searches and every listing comes out in the same order. */
#include "market/portfolio.h"

#include "base/errbuf.h"
#include "base/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void portfolio_init(struct portfolio *p, money_t cash)
{
    p->cash = cash;
    p->n = p->cap = 0;
    p->h = NULL;
}

void portfolio_free(struct portfolio *p)
{
    free(p->h);
    p->h = NULL;
    p->n = p->cap = 0;
}

void portfolio_copy(struct portfolio *dst, const struct portfolio *src)
{
    portfolio_init(dst, src->cash);
    if (src->n == 0)
        return;
    dst->h = mem_calloc(src->n, sizeof(*dst->h));
    memcpy(dst->h, src->h, src->n * sizeof(*dst->h));
    dst->n = dst->cap = src->n;
}

/* Index of symbol, or the insertion point with *found = 0. */
static size_t find(const struct portfolio *p, const char *symbol, int *found)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->h[mid].symbol, symbol);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

int64_t portfolio_shares(const struct portfolio *p, const char *symbol)
{
    int found;
    size_t i = find(p, symbol, &found);
    return found ? p->h[i].shares : 0;
}

int portfolio_set(struct portfolio *p, const char *symbol, int64_t shares)
{
    int found;
    if (!symbol_valid(symbol) || shares < 0)
        return -1;
    size_t i = find(p, symbol, &found);
    if (found) {
        if (shares > 0) {
            p->h[i].shares = shares;
        } else {
            memmove(&p->h[i], &p->h[i + 1], (p->n - i - 1) * sizeof(*p->h));
            p->n--;
        }
        return 0;
    }
    if (shares == 0)
        return 0;
    ARRAY_RESERVE(p->h, p->cap, p->n + 1);
    memmove(&p->h[i + 1], &p->h[i], (p->n - i) * sizeof(*p->h));
    snprintf(p->h[i].symbol, sizeof(p->h[i].symbol), "%s", symbol);
    p->h[i].shares = shares;
    p->n++;
    return 0;
}

/* a x b / d for a, b >= 0 and d > 0, rounded up or down, exactly (the
 * product goes through 128 bits). Returns 0 and *out, or -1 when the result
 * does not fit. */
static int mul_div(int64_t a, int64_t b, int64_t d, int up, int64_t *out)
{
    __int128 q = (__int128)a * b, r = q / d;
    if (up && q % d)
        r++;
    if (r > INT64_MAX)
        return -1;
    *out = (int64_t)r;
    return 0;
}

/* The fill price of a buy or sell at open (> 0): slippage moves it against
 * the trader, never below one micro-dollar. */
static int fill_price(int is_buy, money_t open, const struct trading_costs *c, money_t *out)
{
    int64_t slip = c ? c->slippage_ppm : 0;
    if (mul_div(open, is_buy ? TRADING_PPM + slip : TRADING_PPM - slip, TRADING_PPM, is_buy, out) !=
        0)
        return -1;
    if (*out < 1)
        *out = 1;
    return 0;
}

/* The commission of a fill of total: per trade plus the rate, rounded up. */
static int fill_fee(money_t total, const struct trading_costs *c, money_t *out)
{
    money_t pct;
    if (!c) {
        *out = 0;
        return 0;
    }
    if (mul_div(total, c->commission_ppm, TRADING_PPM, 1, &pct) != 0)
        return -1;
    return money_add(c->per_trade, pct, out);
}

/* The checks buy and sell share, in AI-Trader's order after our own two
 * (symbol syntax, positive amount): the open price comes first. Fills in
 * the fill price, total and fee. */
static enum trade_status precheck(const struct portfolio *p, int is_buy, const char *symbol,
                                  int64_t amount, money_t open_price,
                                  const struct trading_costs *costs, struct trade_result *res)
{
    memset(res, 0, sizeof(*res));
    res->cash_available = p->cash;
    if (!symbol_valid(symbol))
        return res->status = TRADE_BAD_SYMBOL;
    res->have = portfolio_shares(p, symbol);
    if (amount <= 0)
        return res->status = TRADE_BAD_AMOUNT;
    if (open_price <= 0)
        return res->status = TRADE_SYMBOL_NOT_FOUND;
    if (fill_price(is_buy, open_price, costs, &res->price) != 0 ||
        money_mul(res->price, amount, &res->total) != 0 ||
        fill_fee(res->total, costs, &res->fee) != 0)
        return res->status = TRADE_OVERFLOW;
    return TRADE_OK;
}

enum trade_status portfolio_buy(struct portfolio *p, const char *symbol, int64_t amount,
                                money_t open_price, const struct trading_costs *costs,
                                struct trade_result *res)
{
    int64_t shares;
    money_t cost;
    if (precheck(p, 1, symbol, amount, open_price, costs, res) != TRADE_OK)
        return res->status;
    if (money_add(res->total, res->fee, &cost) != 0)
        return res->status = TRADE_OVERFLOW;
    /* Exactly zero cash left is allowed. */
    if (cost > p->cash)
        return res->status = TRADE_INSUFFICIENT_CASH;
    if (__builtin_add_overflow(res->have, amount, &shares))
        return res->status = TRADE_OVERFLOW;
    /* precheck accepted the symbol and shares > 0: this cannot fail. */
    portfolio_set(p, symbol, shares);
    p->cash -= cost;
    return res->status = TRADE_OK;
}

enum trade_status portfolio_sell(struct portfolio *p, const char *symbol, int64_t amount,
                                 money_t open_price, const struct trading_costs *costs,
                                 struct trade_result *res)
{
    money_t cash;
    if (precheck(p, 0, symbol, amount, open_price, costs, res) != TRADE_OK &&
        res->status != TRADE_OVERFLOW)
        return res->status;
    if (res->have == 0)
        return res->status = TRADE_NO_POSITION;
    if (res->have < amount)
        return res->status = TRADE_INSUFFICIENT_SHARES;
    if (res->status == TRADE_OVERFLOW || money_add(p->cash, res->total, &cash) != 0)
        return res->status = TRADE_OVERFLOW;
    /* A fee above the proceeds is paid from cash, which may not go negative. */
    if (cash < res->fee)
        return res->status = TRADE_INSUFFICIENT_CASH;
    /* Lowering a holding never allocates, so this cannot fail. */
    portfolio_set(p, symbol, res->have - amount);
    p->cash = cash - res->fee;
    return res->status = TRADE_OK;
}

/* What buying n shares at price costs, fees included; -1 on overflow. */
static int buy_cost(money_t price, int64_t n, const struct trading_costs *c, money_t *out)
{
    money_t total, fee;
    if (money_mul(price, n, &total) != 0 || fill_fee(total, c, &fee) != 0)
        return -1;
    return money_add(total, fee, out);
}

int64_t portfolio_affordable(money_t budget, money_t open_price, const struct trading_costs *costs)
{
    money_t price, cost;
    int64_t lo = 0, hi;
    if (budget <= 0 || open_price <= 0 || fill_price(1, open_price, costs, &price) != 0)
        return 0;
    /* The cost grows with the count; without fees budget / price is the
     * answer, so search below it for the largest count the budget covers. */
    hi = budget / price;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (buy_cost(price, mid, costs, &cost) == 0 && cost <= budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int portfolio_split(struct portfolio *p, const char *symbol, int64_t factor_micro, money_t price,
                    struct split_result *res)
{
    int64_t micro_shares, after;
    money_t cash = 0, total;
    memset(res, 0, sizeof(*res));
    if (factor_micro <= 0 || !symbol_valid(symbol))
        return -1;
    res->before = portfolio_shares(p, symbol);
    if (res->before == 0)
        return 0;
    if (__builtin_mul_overflow(res->before, factor_micro, &micro_shares))
        return -1;
    after = micro_shares / TRADING_PPM;
    /* The fraction, in millionths of a share, is paid at price, rounded down. */
    if (price > 0 && mul_div(micro_shares % TRADING_PPM, price, TRADING_PPM, 0, &cash) != 0)
        return -1;
    if (money_add(p->cash, cash, &total) != 0 || portfolio_set(p, symbol, after) != 0)
        return -1;
    p->cash = total;
    res->after = after;
    res->cash = cash;
    return 0;
}

const char *trade_status_message(enum trade_status st, const char *symbol, char *buf, size_t n)
{
    const char *sym = symbol ? symbol : "";
    switch (st) {
    case TRADE_OK:
        snprintf(buf, n, "OK");
        break;
    case TRADE_BAD_AMOUNT:
        snprintf(buf, n, "Amount must be a positive integer! This action will not be allowed.");
        break;
    case TRADE_BAD_SYMBOL:
        /* A malformed symbol may be anything: echo a bounded prefix. */
        snprintf(buf, n, "Invalid symbol %.32s! This action will not be allowed.", sym);
        break;
    case TRADE_SYMBOL_NOT_FOUND:
        snprintf(buf, n, "Symbol %s not found! This action will not be allowed.", sym);
        break;
    case TRADE_INSUFFICIENT_CASH:
        snprintf(buf, n, "Insufficient cash! This action will not be allowed.");
        break;
    case TRADE_NO_POSITION:
        snprintf(buf, n, "No position for %s! This action will not be allowed.", sym);
        break;
    case TRADE_INSUFFICIENT_SHARES:
        snprintf(buf, n, "Insufficient shares! This action will not be allowed.");
        break;
    case TRADE_OVERFLOW:
        snprintf(buf, n, "Amount too large! This action will not be allowed.");
        break;
    default:
        snprintf(buf, n, "Internal error! This action will not be allowed.");
        break;
    }
    return buf;
}

int portfolio_value(const struct portfolio *p, price_lookup_fn price_of, void *ctx, money_t *out,
                    char *err, size_t errlen)
{
    money_t total = p->cash;
    for (size_t i = 0; i < p->n; i++) {
        money_t price, v;
        if (price_of(ctx, p->h[i].symbol, &price) != 0)
            return err_set(err, errlen, "no price to value %s", p->h[i].symbol);
        if (money_mul(price, p->h[i].shares, &v) != 0 || money_add(total, v, &total) != 0)
            return err_set(err, errlen, "value of %s overflows", p->h[i].symbol);
    }
    *out = total;
    return 0;
}

void portfolio_pnl(money_t value, money_t prev, struct daily_pnl *out)
{
    out->value = value;
    out->prev = prev;
    /* Both are far below INT64_MAX / 2 for any real portfolio; saturating
     * keeps the result defined for absurd ones. */
    if (__builtin_sub_overflow(value, prev, &out->profit))
        out->profit = value > prev ? INT64_MAX : INT64_MIN;
    out->return_pct = prev == 0 ? 0.0 : (double)out->profit / (double)prev * 100.0;
}

void portfolio_replay_fill(struct portfolio *p, bool buy, const char *symbol, int64_t amount,
                           money_t total, money_t fee)
{
    int64_t have = portfolio_shares(p, symbol);
    portfolio_set(p, symbol, buy ? have + amount : have - amount);
    p->cash += buy ? -total - fee : total - fee;
}

void portfolio_replay_split(struct portfolio *p, const char *symbol, int64_t after, money_t cash)
{
    portfolio_set(p, symbol, after);
    p->cash += cash;
}
