/* Unit tests for portfolio: fills at the open to the micro-unit, AI-Trader's
 * refusals with their exact wording and an unchanged portfolio, overflow,
 * valuation and daily profit. Expected numbers are computed by hand. */
#include "market/portfolio.h"
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
    portfolio_copy(&before, p);
    enum trade_status st = is_buy ? portfolio_buy(p, symbol, amount, open, NULL, &r)
                                  : portfolio_sell(p, symbol, amount, open, NULL, &r);
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

    is_int(portfolio_buy(&p, "AAPL", 10, M(269, 275000), NULL, &r), TRADE_OK,
           "buy 10 AAPL at 269.2750");
    is_int(p.cash, M(7307, 250000), "cash 10000.0 - 2692.75 = 7307.25");
    is_int(r.price, M(269, 275000), "fill price is the open");
    is_int(r.total, M(2692, 750000), "total 2692.75");
    is_int(r.cash_available, M(10000, 0), "cash before the trade");
    is_int(r.have, 0, "no shares before");
    is_int(portfolio_shares(&p, "AAPL"), 10, "10 AAPL held");

    /* Each trade sees the previous one's result. */
    is_int(portfolio_buy(&p, "MSFT", 3, M(517, 330000), NULL, &r), TRADE_OK,
           "buy 3 MSFT at 517.33");
    is_int(p.cash, M(5755, 260000), "7307.25 - 1551.99 = 5755.26");
    is_int(portfolio_sell(&p, "AAPL", 4, M(270, 10000), NULL, &r), TRADE_OK,
           "sell 4 AAPL at 270.01");
    is_int(p.cash, M(6835, 300000), "5755.26 + 1080.04 = 6835.30");
    is_int(r.have, 10, "had 10 before selling");
    is_int(portfolio_shares(&p, "AAPL"), 6, "6 AAPL left");
    is_int(portfolio_buy(&p, "AAPL", 1, M(0, 1), NULL, &r), TRADE_OK,
           "buy 1 AAPL at one micro-dollar");
    is_int(p.cash, M(6835, 299999), "cash down by exactly one micro-unit");
    is_int(portfolio_shares(&p, "AAPL"), 7, "7 AAPL");

    /* Selling everything removes the holding. */
    is_int(portfolio_sell(&p, "AAPL", 7, M(271, 0), NULL, &r), TRADE_OK, "sell all 7 AAPL at 271");
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
    is_int(portfolio_buy(&p, "NVDA", 8, M(125, 0), NULL, &r), TRADE_OK,
           "buy for exactly all the cash");
    is_int(p.cash, 0, "cash exactly 0");
    portfolio_free(&p);

    /* One micro-unit short is refused. */
    portfolio_init(&p, M(999, 999999));
    refused(&p, 1, "NVDA", 8, M(125, 0), TRADE_INSUFFICIENT_CASH,
            "Insufficient cash! This action will not be allowed.");
    struct trade_result r2;
    portfolio_buy(&p, "NVDA", 8, M(125, 0), NULL, &r2);
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
    portfolio_sell(&p, "TSLA", 3, M(10, 0), NULL, &r);
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
    portfolio_copy(&q, &p);
    ok(same(&p, &q), "copy is equal");
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

/* Fees and slippage (hand-computed): 1.00 per trade, 5 bps commission,
 * 10 bps slippage; rounding always against the trader. */
static void test_costs(void)
{
    const struct trading_costs c = {M(1, 0), 500, 1000};
    const struct trading_costs pct = {0, 500, 0};
    const struct trading_costs slip = {0, 0, 1000};
    struct portfolio p, before;
    struct trade_result r;

    portfolio_init(&p, M(10000, 0));
    is_int(portfolio_buy(&p, "AAPL", 10, M(100, 0), &c, &r), TRADE_OK, "buy 10 at 100 with costs");
    is_int(r.price, M(100, 100000), "  fill 100 x 1.001 = 100.1");
    is_int(r.total, M(1001, 0), "  total 1001");
    is_int(r.fee, M(1, 500500), "  fee 1 + 1001 x 0.0005 = 1.5005");
    is_int(p.cash, M(8997, 499500), "  cash 10000 - 1001 - 1.5005");
    is_int(portfolio_sell(&p, "AAPL", 4, M(110, 0), &c, &r), TRADE_OK, "sell 4 at 110");
    is_int(r.price, M(109, 890000), "  fill 110 x 0.999 = 109.89");
    is_int(r.fee, M(1, 219780), "  fee 1 + 439.56 x 0.0005 = 1.21978");
    is_int(p.cash, M(8997, 499500) + M(439, 560000) - M(1, 219780), "  cash + total - fee");
    portfolio_free(&p);

    /* Sub-micro results round against the trader. */
    portfolio_init(&p, M(1000, 0));
    portfolio_buy(&p, "AAA", 1, 33333333, &slip, &r);
    is_int(r.price, 33366667, "buy fill 33.333333 x 1.001 rounds up");
    portfolio_sell(&p, "AAA", 1, 33333333, &slip, &r);
    is_int(r.price, 33299999, "sell fill 33.333333 x 0.999 rounds down");
    portfolio_set(&p, "AAA", 1);
    portfolio_sell(&p, "AAA", 1, 33333333, &pct, &r);
    is_int(r.fee, 16667, "fee 33.333333 x 0.0005 = 0.0166666665 rounds up");
    portfolio_free(&p);

    /* Cash after fees may reach zero, not go below. */
    portfolio_init(&p, M(1002, 500500));
    is_int(portfolio_buy(&p, "AAPL", 10, M(100, 0), &c, &r), TRADE_OK,
           "buy for exactly all the cash, fees included");
    is_int(p.cash, 0, "  cash exactly 0");
    portfolio_free(&p);
    portfolio_init(&p, M(1002, 500499));
    portfolio_copy(&before, &p);
    is_int(portfolio_buy(&p, "AAPL", 10, M(100, 0), &c, &r), TRADE_INSUFFICIENT_CASH,
           "one micro-dollar short of the fee: refused");
    ok(same(&p, &before), "  nothing changed");
    portfolio_free(&before);
    portfolio_free(&p);

    /* A fee above the proceeds, with no cash to pay it, refuses the sell. */
    portfolio_init(&p, 0);
    portfolio_set(&p, "PENNY", 1);
    is_int(portfolio_sell(&p, "PENNY", 1, M(0, 500000), &c, &r), TRADE_INSUFFICIENT_CASH,
           "a sell whose fee exceeds proceeds and cash is refused");
    is_int(portfolio_shares(&p, "PENNY"), 1, "  still held");
    portfolio_free(&p);

    is_int(portfolio_affordable(M(1000, 0), M(100, 0), NULL), 10, "affordable without costs");
    is_int(portfolio_affordable(M(1000, 0), M(100, 0), &c), 9, "affordable with costs: 9");
    is_int(portfolio_affordable(M(1002, 500500), M(100, 0), &c), 10,
           "  10 when the fee is covered");
    is_int(portfolio_affordable(M(1, 0), M(100, 0), &c), 0, "  none below one share");
}

static void test_splits(void)
{
    struct portfolio p;
    struct split_result r;

    portfolio_init(&p, M(100, 0));
    portfolio_set(&p, "ORLY", 5);
    ok(portfolio_split(&p, "ORLY", 15000000, M(90, 0), &r) == 0, "15-for-1");
    ok(r.before == 5 && r.after == 75 && r.cash == 0, "  5 shares became 75, no cash");
    is_int(portfolio_shares(&p, "ORLY"), 75, "  holding 75");
    is_int(p.cash, M(100, 0), "  cash unchanged");

    portfolio_set(&p, "AAA", 5);
    ok(portfolio_split(&p, "AAA", 1500000, M(46, 500000), &r) == 0, "3-for-2 of 5 shares");
    ok(r.after == 7 && r.cash == M(23, 250000), "  7 shares and 0.5 x 46.50 = 23.25 in cash");
    is_int(p.cash, M(123, 250000), "  paid into cash");

    portfolio_set(&p, "BBB", 1);
    ok(portfolio_split(&p, "BBB", 1333333, 10000001, &r) == 0, "factor 1.333333");
    is_int(r.cash, 3333330, "  0.333333 x 10.000001 = 3.33333033... rounds down");

    portfolio_set(&p, "CCC", 25);
    ok(portfolio_split(&p, "CCC", 100000, M(50, 0), &r) == 0, "1-for-10 of 25 shares");
    ok(r.after == 2 && r.cash == M(25, 0), "  2 shares and 0.5 x 50 in cash");
    portfolio_set(&p, "DDD", 5);
    ok(portfolio_split(&p, "DDD", 100000, M(50, 0), &r) == 0 && r.after == 0 && r.cash == M(25, 0),
       "1-for-10 of 5 shares: all cash");
    is_int(portfolio_shares(&p, "DDD"), 0, "  the holding is gone");

    money_t cash = p.cash;
    ok(portfolio_split(&p, "ZZZ", 2000000, M(1, 0), &r) == 0 && r.before == 0 && p.cash == cash,
       "a symbol not held is left alone");
    ok(portfolio_split(&p, "AAA", 0, M(1, 0), &r) == -1, "a zero factor is refused");
    portfolio_set(&p, "EEE", INT64_MAX / 2);
    ok(portfolio_split(&p, "EEE", 15000000, M(1, 0), &r) == -1 &&
           portfolio_shares(&p, "EEE") == INT64_MAX / 2,
       "an overflowing split is refused, the holding unchanged");
    portfolio_free(&p);
}

/* Replaying stored fills and splits (agentfiles.c rebuilds position.jsonl). */
static void test_replay(void)
{
    struct portfolio p;
    portfolio_init(&p, 1000 * MONEY_SCALE);
    portfolio_replay_fill(&p, true, "AAA", 10, 500 * MONEY_SCALE, 1 * MONEY_SCALE);
    ok(portfolio_shares(&p, "AAA") == 10 && p.cash == 499 * MONEY_SCALE,
       "a replayed buy adds the shares and takes the total and the fee");
    portfolio_replay_fill(&p, false, "AAA", 4, 240 * MONEY_SCALE, 1 * MONEY_SCALE);
    ok(portfolio_shares(&p, "AAA") == 6 && p.cash == 738 * MONEY_SCALE,
       "a replayed sell takes the shares and adds the total less the fee");
    portfolio_replay_fill(&p, false, "AAA", 6, 360 * MONEY_SCALE, 0);
    ok(p.n == 0 && p.cash == 1098 * MONEY_SCALE, "selling all drops the holding");
    portfolio_replay_fill(&p, true, "BBB", 3, 3 * MONEY_SCALE, 0);
    portfolio_replay_split(&p, "BBB", 4, 500000);
    ok(portfolio_shares(&p, "BBB") == 4 && p.cash == 1095500000,
       "a replayed split sets the shares and adds the cash in lieu");
    portfolio_free(&p);
}

int main(void)
{
    test_buy_sell();
    test_exact_zero();
    test_refusals();
    test_set_copy();
    test_value_pnl();
    test_costs();
    test_splits();
    test_replay();
    return tap_done();
}
