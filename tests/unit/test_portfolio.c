/* Unit tests for portfolio: fills at the open to the micro-unit, AI-Trader's
 * refusals with their exact wording and an unchanged portfolio, overflow,
 * valuation and daily profit. Expected numbers are computed by hand. */
#include "portfolio.h"
#include "tap.h"

#include <stdlib.h>

#define M(whole, micro) ((money_t)(whole)*MONEY_SCALE + (micro))

/* Prices for valuation: a small fixed table. */
struct quote {
    const char *symbol;
    money_t price;
};

static int lookup(void *ctx, const char *symbol, money_t *price)
{
    for (const struct quote *q = ctx; q->symbol; q++) {
        if (strcmp(q->symbol, symbol) == 0) {
            *price = q->price;
            return 0;
        }
    }
    return -1;
}

/* Same cash and holdings. */
static int same(const struct portfolio *a, const struct portfolio *b)
{
    if (a->cash != b->cash || a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->h[i].symbol, b->h[i].symbol) != 0 || a->h[i].shares != b->h[i].shares)
            return 0;
    return 1;
}

/* Runs one refused trade and checks status, message and that nothing moved. */
static void refused(struct portfolio *p, int is_buy, const char *symbol, int64_t amount,
                    money_t open, enum trade_status want, const char *want_msg)
{
    struct portfolio before;
    struct trade_result r;
    char msg[256];
    if (portfolio_copy(&before, p) != 0)
        abort();
    enum trade_status st = is_buy ? portfolio_buy(p, symbol, amount, open, &r)
                                  : portfolio_sell(p, symbol, amount, open, &r);
    is_int(st, want, want_msg);
    is_int(r.status, want, "result carries the status");
    is_str(trade_status_message(st, symbol, msg, sizeof(msg)), want_msg, "message wording");
    ok(same(p, &before), "portfolio unchanged after: %s", want_msg);
    portfolio_free(&before);
}

static void test_buy_sell(void)
{
    struct portfolio p;
    struct trade_result r;
    portfolio_init(&p, M(10000, 0));

    is_int(portfolio_buy(&p, "AAPL", 10, M(269, 275000), &r), TRADE_OK, "buy 10 AAPL at 269.2750");
    is_int(p.cash, M(7307, 250000), "cash 10000.0 - 2692.75 = 7307.25");
    is_int(r.price, M(269, 275000), "fill price is the open");
    is_int(r.total, M(2692, 750000), "total 2692.75");
    is_int(r.cash_available, M(10000, 0), "cash before the trade");
    is_int(r.have, 0, "no shares before");
    is_int(portfolio_shares(&p, "AAPL"), 10, "10 AAPL held");

    /* Each trade sees the previous one's result. */
    is_int(portfolio_buy(&p, "MSFT", 3, M(517, 330000), &r), TRADE_OK, "buy 3 MSFT at 517.33");
    is_int(p.cash, M(5755, 260000), "7307.25 - 1551.99 = 5755.26");
    is_int(portfolio_sell(&p, "AAPL", 4, M(270, 10000), &r), TRADE_OK, "sell 4 AAPL at 270.01");
    is_int(p.cash, M(6835, 300000), "5755.26 + 1080.04 = 6835.30");
    is_int(r.have, 10, "had 10 before selling");
    is_int(portfolio_shares(&p, "AAPL"), 6, "6 AAPL left");
    is_int(portfolio_buy(&p, "AAPL", 1, M(0, 1), &r), TRADE_OK, "buy 1 AAPL at one micro-dollar");
    is_int(p.cash, M(6835, 299999), "cash down by exactly one micro-unit");
    is_int(portfolio_shares(&p, "AAPL"), 7, "7 AAPL");

    /* Selling everything removes the holding. */
    is_int(portfolio_sell(&p, "AAPL", 7, M(271, 0), &r), TRADE_OK, "sell all 7 AAPL at 271");
    is_int(p.cash, M(8732, 299999), "6835.299999 + 1897 = 8732.299999");
    is_int(portfolio_shares(&p, "AAPL"), 0, "no AAPL");
    is_int(p.n, 1, "only MSFT remains");
    is_str(p.h[0].symbol, "MSFT", "MSFT is the holding");
    portfolio_free(&p);
}

static void test_exact_zero(void)
{
    struct portfolio p;
    struct trade_result r;
    portfolio_init(&p, M(1000, 0));
    is_int(portfolio_buy(&p, "NVDA", 8, M(125, 0), &r), TRADE_OK, "buy for exactly all the cash");
    is_int(p.cash, 0, "cash exactly 0");
    portfolio_free(&p);

    /* One micro-unit short is refused. */
    portfolio_init(&p, M(999, 999999));
    refused(&p, 1, "NVDA", 8, M(125, 0), TRADE_INSUFFICIENT_CASH,
            "Insufficient cash! This action will not be allowed.");
    struct trade_result r2;
    portfolio_buy(&p, "NVDA", 8, M(125, 0), &r2);
    is_int(r2.total, M(1000, 0), "refusal reports the required total");
    is_int(r2.cash_available, M(999, 999999), "and the cash available");
    portfolio_free(&p);
}

static void test_refusals(void)
{
    struct portfolio p;
    portfolio_init(&p, M(500, 0));
    if (portfolio_set(&p, "TSLA", 2) != 0)
        abort();

    refused(&p, 1, "AAPL", 0, M(10, 0), TRADE_BAD_AMOUNT,
            "Amount must be a positive integer! This action will not be allowed.");
    refused(&p, 1, "AAPL", -5, M(10, 0), TRADE_BAD_AMOUNT,
            "Amount must be a positive integer! This action will not be allowed.");
    refused(&p, 0, "TSLA", -1, M(10, 0), TRADE_BAD_AMOUNT,
            "Amount must be a positive integer! This action will not be allowed.");
    refused(&p, 1, "aapl", 1, M(10, 0), TRADE_BAD_SYMBOL,
            "Invalid symbol aapl! This action will not be allowed.");
    refused(&p, 1, "", 1, M(10, 0), TRADE_BAD_SYMBOL,
            "Invalid symbol ! This action will not be allowed.");
    refused(&p, 0, "TOO-LONG-TICKER-X", 1, M(10, 0), TRADE_BAD_SYMBOL,
            "Invalid symbol TOO-LONG-TICKER-X! This action will not be allowed.");
    refused(&p, 1, "ZZZZ", 1, 0, TRADE_SYMBOL_NOT_FOUND,
            "Symbol ZZZZ not found! This action will not be allowed.");
    /* AI-Trader looks the price up before anything else about the holding. */
    refused(&p, 0, "ZZZZ", 1, 0, TRADE_SYMBOL_NOT_FOUND,
            "Symbol ZZZZ not found! This action will not be allowed.");
    refused(&p, 0, "AAPL", 1, M(10, 0), TRADE_NO_POSITION,
            "No position for AAPL! This action will not be allowed.");
    refused(&p, 0, "TSLA", 3, M(10, 0), TRADE_INSUFFICIENT_SHARES,
            "Insufficient shares! This action will not be allowed.");
    refused(&p, 1, "AAPL", 51, M(10, 0), TRADE_INSUFFICIENT_CASH,
            "Insufficient cash! This action will not be allowed.");

    struct trade_result r;
    portfolio_sell(&p, "TSLA", 3, M(10, 0), &r);
    is_int(r.have, 2, "insufficient shares reports what is held");

    /* Overflow: the cost of the buy, and the cash after a sell. */
    refused(&p, 1, "AAPL", INT64_MAX / 2, M(10, 0), TRADE_OVERFLOW,
            "Amount too large! This action will not be allowed.");
    portfolio_free(&p);

    portfolio_init(&p, INT64_MAX - 5);
    if (portfolio_set(&p, "TSLA", 10) != 0)
        abort();
    refused(&p, 0, "TSLA", 1, M(1, 0), TRADE_OVERFLOW,
            "Amount too large! This action will not be allowed.");
    portfolio_free(&p);

    portfolio_init(&p, INT64_MAX);
    if (portfolio_set(&p, "TSLA", INT64_MAX) != 0)
        abort();
    refused(&p, 1, "TSLA", 1, 1, TRADE_OVERFLOW,
            "Amount too large! This action will not be allowed.");
    portfolio_free(&p);
}

static void test_set_copy(void)
{
    struct portfolio p, q;
    portfolio_init(&p, M(1, 0));
    const char *syms[] = {"MSFT", "AAPL", "ZS",   "GOOGL", "GOOG",
                          "NVDA", "AMD",  "TSLA", "META",  "AMZN"};
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
        portfolio_set(&p, syms[i], (int64_t)i + 1);
    is_int(p.n, 10, "ten holdings (growing past the first allocation)");
    int sorted = 1;
    for (size_t i = 1; i < p.n; i++)
        sorted &= strcmp(p.h[i - 1].symbol, p.h[i].symbol) < 0;
    ok(sorted, "holdings sorted by symbol");
    is_int(portfolio_shares(&p, "GOOG"), 5, "GOOG distinct from GOOGL");
    is_int(portfolio_set(&p, "bad", 1), -1, "malformed symbol refused");
    is_int(portfolio_set(&p, "AAPL", -1), -1, "negative shares refused");
    ok(portfolio_copy(&q, &p) == 0 && same(&p, &q), "copy is equal");
    portfolio_set(&q, "AAPL", 0);
    is_int(portfolio_shares(&p, "AAPL"), 2, "copy is deep");
    is_int(q.n, 9, "setting 0 removes");
    portfolio_free(&p);
    portfolio_free(&q);
}

static void test_value_pnl(void)
{
    struct portfolio p;
    char err[128];
    money_t v = -1;
    struct quote q[] = {
        {"AAPL", M(271, 490000)}, {"MSFT", M(524, 850000)}, {"NVDA", M(186, 260000)}, {NULL, 0}};
    portfolio_init(&p, M(1234, 560000));
    portfolio_set(&p, "AAPL", 10);
    portfolio_set(&p, "MSFT", 3);
    portfolio_set(&p, "NVDA", 7);
    /* 1234.56 + 2714.90 + 1574.55 + 1303.82 = 6827.83 */
    ok(portfolio_value(&p, lookup, q, &v, err, sizeof(err)) == 0, "value");
    is_int(v, M(6827, 830000), "cash + shares x close = 6827.83");

    portfolio_set(&p, "TSLA", 1);
    v = 42;
    ok(portfolio_value(&p, lookup, q, &v, err, sizeof(err)) == -1, "missing price fails");
    ok(strstr(err, "TSLA") != NULL, "error names the symbol: %s", err);
    is_int(v, 42, "out untouched on failure");
    portfolio_free(&p);

    struct quote big[] = {{"AAPL", INT64_MAX / 4}, {NULL, 0}};
    portfolio_init(&p, 0);
    portfolio_set(&p, "AAPL", 5);
    ok(portfolio_value(&p, lookup, big, &v, err, sizeof(err)) == -1, "overflowing value fails");
    portfolio_free(&p);

    struct daily_pnl d;
    portfolio_pnl(M(10250, 0), M(10000, 0), &d);
    is_int(d.profit, M(250, 0), "profit 250.0");
    ok(d.return_pct > 2.4999999 && d.return_pct < 2.5000001, "return 2.5%%: %.10f", d.return_pct);
    is_int(d.value, M(10250, 0), "value kept");
    is_int(d.prev, M(10000, 0), "prev kept");
    portfolio_pnl(M(9900, 500000), M(10000, 0), &d);
    is_int(d.profit, -M(99, 500000), "loss -99.5");
    ok(d.return_pct < -0.9949999 && d.return_pct > -0.9950001, "return -0.995%%");
    portfolio_pnl(M(5, 0), 0, &d);
    is_int(d.profit, M(5, 0), "prev 0: profit is the value");
    ok(d.return_pct == 0.0, "prev 0: return 0");
}

int main(void)
{
    test_buy_sell();
    test_exact_zero();
    test_refusals();
    test_set_copy();
    test_value_pnl();
    return tap_done();
}
