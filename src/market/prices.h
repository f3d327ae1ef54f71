/* prices: the price store, owner of its tables `prices` (bars),
 * `price_symbols` (each symbol's source) and `splits` (stock splits): every
 * query of them is here. Reads for the simulation and the reports, the
 * trading calendar derived from the bars, and the writes pricesimport makes
 * after parsing its files. A trading day is a weekday on which the store
 * holds at least one complete bar (open and close). Prices are money_t; the
 * published text is kept in the store for display. */
#ifndef TRADER_PRICES_H
#define TRADER_PRICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dates.h"
#include "store/db.h"
#include "base/errbuf.h"
#include "base/money.h"
#include "market/universe.h"

/* A growable list of dates; free with datelist_free. */
struct datelist {
    size_t n, cap;
    char (*d)[DATE_BUF];
};

/* Appends date; -1 when it is longer than a date. */
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

/* Whether a price or a day was found. */
enum prices_found { PRICES_ERROR = -1, PRICES_MISSING, PRICES_FOUND };

/* Today's open for symbol: PRICES_FOUND with *out set, PRICES_MISSING when
 * the store has no bar for that day, PRICES_ERROR (err filled). */
enum prices_found prices_open(struct db *db, const char *symbol, const char *date, money_t *out,
                              char *err, size_t errlen);

/* The close on date exactly; same outcomes. */
enum prices_found prices_close(struct db *db, const char *symbol, const char *date, money_t *out,
                               char *err, size_t errlen);

/* The latest close on or before date (a held symbol without a bar that day
 * is valued at its last close). Same outcomes. */
enum prices_found prices_last_close(struct db *db, const char *symbol, const char *date,
                                    money_t *out, char *err, size_t errlen);

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

/* The latest trading day <= upto / the first > after / the last < before:
 * PRICES_FOUND with out filled, PRICES_MISSING, PRICES_ERROR. */
enum prices_found prices_latest_trading_day(struct db *db, const char *upto, char out[DATE_BUF],
                                            char *err, size_t errlen);
enum prices_found prices_next_trading_day(struct db *db, const char *after, char out[DATE_BUF],
                                          char *err, size_t errlen);
enum prices_found prices_prev_trading_day(struct db *db, const char *before, char out[DATE_BUF],
                                          char *err, size_t errlen);

/* The dates of symbol's bars on or before upto, newest first, at most max,
 * into out; *n set to the count. Returns 0 or -1. */
int prices_recent_dates(struct db *db, const char *symbol, const char *upto, char (*out)[DATE_BUF],
                        size_t max, size_t *n, char *err, size_t errlen);

/* Closes of one symbol by date, oldest first; free with prices_series_free. */
struct prices_series {
    struct datelist dates;
    money_t *close; /* close[i] is the close on dates.d[i] */
    size_t cap;
};

/* Appends to out symbol's closes dated after < date <= upto. Returns 0 or
 * -1 (out as it was). */
int prices_closes_between(struct db *db, const char *symbol, const char *after, const char *upto,
                          struct prices_series *out, char *err, size_t errlen);
void prices_series_free(struct prices_series *s);

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

/* What /health shows, read from the symbol catalog and the date index so it
 * stays cheap whatever the store's size (prices_info scans every bar). */
struct prices_summary {
    long long symbols;                    /* price_symbols rows */
    char first[DATE_BUF], last[DATE_BUF]; /* empty when the store is empty */
    bool synthetic;                       /* a symbol's source is 'synthetic' */
};

/* Fills *out. Returns 0 or -1. */
int prices_summary(struct db *db, struct prices_summary *out, char *err, size_t errlen);

/* ---- splits ---- */

#define PRICES_FACTOR_MAX 24 /* a split factor's published text + NUL */

/* One stored split. */
struct prices_split {
    char symbol[SYMBOL_MAX];
    char date[DATE_BUF];            /* effective date */
    char factor[PRICES_FACTOR_MAX]; /* as published, e.g. "15.0000" */
    int64_t factor_micro;           /* the factor x 1e6 */
};

/* The splits effective in (after, upto], by date then symbol. *out (caller
 * frees with free(); NULL when none) and *n are set on success. Returns 0 or
 * -1. */
int prices_splits(struct db *db, const char *after, const char *upto, struct prices_split **out,
                  size_t *n, char *err, size_t errlen);

/* ---- writes (pricesimport, inside its transaction) ---- */

/* The fields of a bar, in the order of the prices table's columns. */
enum { PRICES_OPEN, PRICES_HIGH, PRICES_LOW, PRICES_CLOSE, PRICES_VOLUME, PRICES_NFIELDS };

/* A bar on its way into the store; a NULL text is absent. */
struct prices_newbar {
    const char *symbol, *date;
    const char *text[PRICES_NFIELDS];
    money_t open_micro, close_micro; /* close_micro 0 when absent */
};

/* How a bar or split compares with the stored one. */
enum prices_stored { PRICES_STORE_ERROR = -1, PRICES_SAME, PRICES_CHANGED, PRICES_NEW };

/* Compares the present texts of b with the stored bar. */
enum prices_stored prices_compare_bar(struct db *db, const struct prices_newbar *b, char *err,
                                      size_t errlen);

/* Stores b. Absent values never erase stored ones: a bar known only by its
 * open keeps the close another source published. Returns 0 or -1. */
int prices_put_bar(struct db *db, const struct prices_newbar *b, char *err, size_t errlen);

/* Labels symbol with source (and the file's last refresh, NULL if none) at
 * now; an already labelled symbol is relabelled only when relabel (a file
 * that only repeats stored bars does not relabel it). Returns 0 or -1. */
int prices_put_symbol(struct db *db, const char *symbol, const char *source, const char *refreshed,
                      const char *now, bool relabel, char *err, size_t errlen);

/* Compares the published factor text with the stored split of symbol on
 * date (keyed by both). */
enum prices_stored prices_compare_split(struct db *db, const char *symbol, const char *date,
                                        const char *factor, char *err, size_t errlen);

/* Stores the split; the published factor text wins. Returns 0 or -1. */
int prices_put_split(struct db *db, const char *symbol, const char *date, const char *factor,
                     int64_t factor_micro, const char *now, char *err, size_t errlen);

/* The number of symbols whose source is 'synthetic' (synthetic true) or
 * another into *n. Returns 0 or -1. */
int prices_count_symbols(struct db *db, bool synthetic, long long *n, char *err, size_t errlen);

#endif
