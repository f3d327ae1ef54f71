/* prices: read access to the price store (table `prices`) and the trading
 * calendar derived from it. A trading day is a weekday on which the store
 * holds at least one complete bar (open and close). Prices are money_t; the
 * published text is kept in the store for display. */
#ifndef TRADER_PRICES_H
#define TRADER_PRICES_H

#include <stddef.h>

#include "base/dates.h"
#include "store/db.h"
#include "base/errbuf.h"
#include "base/money.h"

/* A growable list of dates; free with datelist_free. */
struct datelist {
    size_t n, cap;
    char (*d)[DATE_BUF];
};

int datelist_push(struct datelist *l, const char *date);
void datelist_free(struct datelist *l);

/* One stored bar as published (text fields may be empty when absent, e.g. the
 * last day of an AI-Trader merged file has only its open). */
struct bar {
    char date[DATE_BUF];
    char open[24], high[24], low[24], close[24], volume[24];
    money_t open_micro;
    money_t close_micro; /* 0 when the bar has no close */
};

/* Today's open for symbol. Returns 1 and sets *out when found, 0 when the
 * store has no bar for that day, -1 on a database error (err filled). */
int prices_open(struct db *db, const char *symbol, const char *date, money_t *out, char *err,
                size_t errlen);

/* The close on date exactly; same return convention. */
int prices_close(struct db *db, const char *symbol, const char *date, money_t *out, char *err,
                 size_t errlen);

/* The latest close on or before date (a held symbol without a bar that day
 * is valued at its last close). Same return convention. */
int prices_last_close(struct db *db, const char *symbol, const char *date, money_t *out, char *err,
                      size_t errlen);

/* The price source for valuing a portfolio at date's close (a
 * price_lookup_fn of portfolio.h, with a struct prices_closes as ctx): each
 * symbol's prices_last_close. failed tells a database error (err says it)
 * from a symbol that has no close. */
struct prices_closes {
    struct db *db;
    const char *date;
    int failed;
    char err[ERRBUF_SIZE];
};
int prices_closes_lookup(void *closes, const char *symbol, money_t *price);

/* Bars of symbol with from <= date <= to, oldest first, at most max; *n set
 * to the count. Returns 0 or -1. */
int prices_bars(struct db *db, const char *symbol, const char *from, const char *to,
                struct bar *bars, size_t max, size_t *n, char *err, size_t errlen);

/* Trading days in [from, to], ascending, appended to out. Returns 0 or -1. */
int prices_trading_days(struct db *db, const char *from, const char *to, struct datelist *out,
                        char *err, size_t errlen);

/* The latest trading day <= upto / the first > after / the last < before.
 * Return 1 and fill out when there is one, 0 when not, -1 on error. */
int prices_latest_trading_day(struct db *db, const char *upto, char out[DATE_BUF], char *err,
                              size_t errlen);
int prices_next_trading_day(struct db *db, const char *after, char out[DATE_BUF], char *err,
                            size_t errlen);
int prices_prev_trading_day(struct db *db, const char *before, char out[DATE_BUF], char *err,
                            size_t errlen);

/* What the store holds, for `traderctl prices info`. */
struct prices_info {
    long long symbols, bars, trading_days;
    long long universe_symbols;                  /* symbols of the default universe with bars */
    int has_benchmark;                           /* QQQ has bars */
    long long alphavantage, aitrader, synthetic; /* price_symbols rows by source */
    long long splits;                            /* stock splits stored */
    char first[DATE_BUF], last[DATE_BUF];        /* empty when the store is empty */
};

/* Fills *out. Returns 0 or -1. */
int prices_info(struct db *db, struct prices_info *out, char *err, size_t errlen);

#endif
