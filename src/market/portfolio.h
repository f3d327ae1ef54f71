/* portfolio: the trading rules of CONTRACT section 5 as pure functions over an
 * in-memory portfolio (cash plus whole shares per symbol). Fills at today's
 * open moved by the configured slippage and charged the configured
 * commission, AI-Trader's refusals and wording, splits, end-of-day valuation
 * at today's close, daily profit and return. No I/O and no global state.
 *
 * Rounding: every amount is exact in micro-dollars; where a rate makes a
 * fraction of a micro-dollar, the rounding goes against the trader (a buy's
 * fill price and every fee round up, a sell's fill price and a split's cash
 * in lieu round down). */
#ifndef TRADER_PORTFOLIO_H
#define TRADER_PORTFOLIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/money.h"
#include "market/universe.h"

struct holding {
    char symbol[SYMBOL_MAX];
    int64_t shares; /* always > 0: a sold-out symbol is removed */
};

struct portfolio {
    money_t cash;
    size_t n, cap;
    struct holding *h; /* sorted by symbol */
};

/* What a fill costs beyond today's open (the config's "trading"); all zero
 * = AI-Trader's rules. Rates are parts per million (1 bps = 100 ppm). */
struct trading_costs {
    money_t per_trade;      /* commission_per_trade: a fixed fee per fill */
    int64_t commission_ppm; /* commission_bps x 100, of the fill's total */
    int64_t slippage_ppm;   /* slippage_bps x 100: the fill price moves against the trader */
};

#define TRADING_PPM 1000000LL
#define TRADING_RATE_MAX 100000LL /* 1000 bps: a rate above 10 % is a config error */

enum trade_status {
    TRADE_OK = 0,
    TRADE_BAD_AMOUNT,          /* amount not a positive integer */
    TRADE_BAD_SYMBOL,          /* not a well-formed ticker */
    TRADE_SYMBOL_NOT_FOUND,    /* no open price for the symbol today */
    TRADE_INSUFFICIENT_CASH,   /* cash would go below zero (fees included) */
    TRADE_NO_POSITION,         /* selling a symbol not held */
    TRADE_INSUFFICIENT_SHARES, /* selling more than held */
    TRADE_OVERFLOW,            /* amount so large the arithmetic overflows */
};

/* What a trade did or why it was refused; filled by portfolio_buy/sell. */
struct trade_result {
    enum trade_status status;
    money_t price;          /* the fill price: today's open moved by the slippage */
    money_t total;          /* price * amount */
    money_t fee;            /* commission of the fill */
    money_t cash_available; /* cash before the trade */
    int64_t have;           /* shares held before the trade */
};

void portfolio_init(struct portfolio *p, money_t cash);
void portfolio_free(struct portfolio *p);

/* Deep copy; dst must be uninitialized or freed. */
void portfolio_copy(struct portfolio *dst, const struct portfolio *src);

/* Shares held of symbol (0 when none). */
int64_t portfolio_shares(const struct portfolio *p, const char *symbol);

/* Sets the holding of symbol to shares (0 removes it). Used to load a stored
 * state; trading goes through portfolio_buy/sell. Returns 0, or -1 when
 * symbol is not a ticker or shares is negative. */
int portfolio_set(struct portfolio *p, const char *symbol, int64_t shares);

/* Buys amount shares at open_price (<= 0 means no open price today) with
 * costs (NULL = none): cash falls by total + fee and may reach zero, not go
 * below. On refusal the portfolio is unchanged. Returns res->status. */
enum trade_status portfolio_buy(struct portfolio *p, const char *symbol, int64_t amount,
                                money_t open_price, const struct trading_costs *costs,
                                struct trade_result *res);

/* Sells amount shares at open_price; cash rises by total - fee (refused as
 * insufficient cash when that leaves it below zero). Same contract as
 * portfolio_buy. */
enum trade_status portfolio_sell(struct portfolio *p, const char *symbol, int64_t amount,
                                 money_t open_price, const struct trading_costs *costs,
                                 struct trade_result *res);

/* The most whole shares a budget buys at open_price with costs, fees
 * included (0 when not one). */
int64_t portfolio_affordable(money_t budget, money_t open_price, const struct trading_costs *costs);

/* What a split did to a holding. */
/* Replays a fill stored when it was made (and checked then): buy (else
 * sell) amount shares of symbol for total, plus fee. Nothing is refused. */
void portfolio_replay_fill(struct portfolio *p, bool buy, const char *symbol, int64_t amount,
                           money_t total, money_t fee);

/* Replays a stored split of symbol: after shares held, cash in lieu added. */
void portfolio_replay_split(struct portfolio *p, const char *symbol, int64_t after, money_t cash);

struct split_result {
    int64_t before, after; /* shares held before and after */
    money_t cash;          /* cash in lieu of the fractional share */
};

/* Applies a split of factor_micro (the factor x 1e6; 15-for-1 is 15000000,
 * 1-for-10 is 100000) to symbol's holding: it becomes the whole part of
 * shares x factor, and the fraction left is paid into cash at price (per
 * post-split share; <= 0 pays nothing). A symbol not held is left alone
 * (res->before = 0). Returns 0, or -1 on a bad factor or an overflow (the
 * portfolio unchanged). */
int portfolio_split(struct portfolio *p, const char *symbol, int64_t factor_micro, money_t price,
                    struct split_result *res);

/* AI-Trader's message for a refusal ("Insufficient cash! This action will not
 * be allowed.", "Symbol X not found! ..."), written into buf. */
const char *trade_status_message(enum trade_status st, const char *symbol, char *buf, size_t n);

/* Looks up the price used to value symbol; returns 0 and sets *price, or -1
 * when there is none. */
typedef int (*price_lookup_fn)(void *ctx, const char *symbol, money_t *price);

/* cash + sum(shares x price). Returns 0, or -1 when a held symbol has no
 * price or the sum overflows; err names the symbol. */
int portfolio_value(const struct portfolio *p, price_lookup_fn price_of, void *ctx, money_t *out,
                    char *err, size_t errlen);

struct daily_pnl {
    money_t value;     /* end-of-day portfolio value */
    money_t prev;      /* previous trading day's value, or initial cash */
    money_t profit;    /* value - prev */
    double return_pct; /* profit / prev x 100 (0 when prev is 0) */
};

void portfolio_pnl(money_t value, money_t prev, struct daily_pnl *out);

#endif
