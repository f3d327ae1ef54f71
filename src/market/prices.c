/* prices: see prices.h. Every query is a cached statement walked by
 * each_row, which resets it as soon as its rows are read so no read
 * transaction outlives the call. The weekday rule of the calendar is applied
 * here in C (date_is_weekday) rather than in SQL, so there is one definition
 * of it. */
#include "market/prices.h"

#include "base/errbuf.h"
#include "market/universe.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_OPEN[] = "SELECT open_micro FROM prices WHERE symbol = ?1 AND date = ?2";
static const char SQL_CLOSE[] = "SELECT close_micro FROM prices"
                                " WHERE symbol = ?1 AND date = ?2 AND close_micro IS NOT NULL";
static const char SQL_LAST_CLOSE[] =
    "SELECT close_micro FROM prices WHERE symbol = ?1 AND date <= ?2"
    " AND close_micro IS NOT NULL ORDER BY date DESC LIMIT 1";
static const char SQL_BARS[] =
    "SELECT date, open, high, low, close, volume, open_micro, close_micro FROM prices"
    " WHERE symbol = ?1 AND date BETWEEN ?2 AND ?3 ORDER BY date LIMIT ?4";
/* Dates with at least one complete bar; the callers keep the weekdays. */
static const char SQL_DAYS_BETWEEN[] = "SELECT DISTINCT date FROM prices WHERE"
                                       " close_micro IS NOT NULL AND date BETWEEN ?1 AND ?2"
                                       " ORDER BY date";
static const char SQL_DAYS_UPTO[] = "SELECT DISTINCT date FROM prices WHERE"
                                    " close_micro IS NOT NULL AND date <= ?1 ORDER BY date DESC";
static const char SQL_DAYS_AFTER[] = "SELECT DISTINCT date FROM prices WHERE"
                                     " close_micro IS NOT NULL AND date > ?1 ORDER BY date";
static const char SQL_DAYS_BEFORE[] = "SELECT DISTINCT date FROM prices WHERE"
                                      " close_micro IS NOT NULL AND date < ?1 ORDER BY date DESC";
static const char SQL_TOTALS[] =
    "SELECT count(*), count(DISTINCT symbol), min(date), max(date) FROM prices";
static const char SQL_SOURCES[] = "SELECT source, count(*) FROM price_symbols GROUP BY source";
static const char SQL_SYMBOLS[] = "SELECT DISTINCT symbol FROM prices";
static const char SQL_SPLITS[] = "SELECT count(*) FROM splits";

int datelist_push(struct datelist *l, const char *date)
{
    if (strlen(date) >= DATE_BUF)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char(*d)[DATE_BUF] = realloc(l->d, cap * sizeof(*d));
        if (!d)
            return -1;
        l->d = d;
        l->cap = cap;
    }
    memcpy(l->d[l->n++], date, strlen(date) + 1);
    return 0;
}

void datelist_free(struct datelist *l)
{
    free(l->d);
    l->d = NULL;
    l->n = l->cap = 0;
}

/* Called for each row: returns 0 to go on, 1 to stop, -1 on error (err
 * filled). */
typedef int (*row_fn)(sqlite3_stmt *st, void *ctx, char *err, size_t errlen);

/* Steps st through its rows calling fn, then resets it so no read
 * transaction stays open. Returns 1 when fn stopped, 0 after the last row,
 * -1 on error; a NULL st is an error query() already reported. */
static int each_row(struct db *db, sqlite3_stmt *st, row_fn fn, void *ctx, char *err, size_t errlen)
{
    int rc, sqlrc;
    if (!st)
        return -1;
    do {
        sqlrc = sqlite3_step(st);
        rc = sqlrc == SQLITE_ROW ? fn(st, ctx, err, errlen) : 0;
    } while (sqlrc == SQLITE_ROW && rc == 0);
    if (sqlrc != SQLITE_ROW && sqlrc != SQLITE_DONE)
        rc = db_error(db, "price query failed", err, errlen);
    sqlite3_reset(st);
    return rc;
}

/* The cached statement for sql with texts a and b (b may be NULL) bound to
 * ?1 and ?2, or NULL (err filled). */
static sqlite3_stmt *query(struct db *db, const char *sql, const char *a, const char *b, char *err,
                           size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, sql, err, errlen);
    if (!st)
        return NULL;
    if (sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC) != SQLITE_OK ||
        (b && sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC) != SQLITE_OK)) {
        db_error(db, "cannot bind price query", err, errlen);
        sqlite3_reset(st);
        return NULL;
    }
    return st;
}

static int take_money(sqlite3_stmt *st, void *out, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *(money_t *)out = sqlite3_column_int64(st, 0);
    return 1;
}

/* The first column of the first row as money: 1 found, 0 none, -1 error. */
static int money_query(struct db *db, const char *sql, const char *symbol, const char *date,
                       money_t *out, char *err, size_t errlen)
{
    money_t v = 0;
    int rc = each_row(db, query(db, sql, symbol, date, err, errlen), take_money, &v, err, errlen);
    if (rc == 1)
        *out = v;
    return rc;
}

int prices_open(struct db *db, const char *symbol, const char *date, money_t *out, char *err,
                size_t errlen)
{
    return money_query(db, SQL_OPEN, symbol, date, out, err, errlen);
}

int prices_close(struct db *db, const char *symbol, const char *date, money_t *out, char *err,
                 size_t errlen)
{
    return money_query(db, SQL_CLOSE, symbol, date, out, err, errlen);
}

int prices_last_close(struct db *db, const char *symbol, const char *date, money_t *out, char *err,
                      size_t errlen)
{
    return money_query(db, SQL_LAST_CLOSE, symbol, date, out, err, errlen);
}

/* Copies text column col into a field of size n ("" for NULL). */
static int column_copy(sqlite3_stmt *st, int col, char *dst, size_t n, char *err, size_t errlen)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    if (!s)
        s = "";
    if (strlen(s) >= n)
        return err_set(err, errlen, "stored price text too long: %.40s", s);
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

struct bar_sink {
    struct bar *bars;
    size_t n;
};

static int take_bar(sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct bar_sink *sink = ctx;
    struct bar *b = &sink->bars[sink->n];
    if (column_copy(st, 0, b->date, sizeof(b->date), err, errlen) != 0 ||
        column_copy(st, 1, b->open, sizeof(b->open), err, errlen) != 0 ||
        column_copy(st, 2, b->high, sizeof(b->high), err, errlen) != 0 ||
        column_copy(st, 3, b->low, sizeof(b->low), err, errlen) != 0 ||
        column_copy(st, 4, b->close, sizeof(b->close), err, errlen) != 0 ||
        column_copy(st, 5, b->volume, sizeof(b->volume), err, errlen) != 0)
        return -1;
    b->open_micro = sqlite3_column_int64(st, 6);
    b->close_micro = sqlite3_column_int64(st, 7); /* NULL reads as 0 */
    sink->n++;
    return 0;
}

int prices_bars(struct db *db, const char *symbol, const char *from, const char *to,
                struct bar *bars, size_t max, size_t *n, char *err, size_t errlen)
{
    struct bar_sink sink = {bars, 0};
    sqlite3_stmt *st = query(db, SQL_BARS, symbol, from, err, errlen);
    if (st && (sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC) != SQLITE_OK ||
               sqlite3_bind_int64(st, 4, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max) !=
                   SQLITE_OK)) {
        sqlite3_reset(st);
        return db_error(db, "cannot bind price query", err, errlen);
    }
    if (each_row(db, st, take_bar, &sink, err, errlen) != 0)
        return -1;
    *n = sink.n;
    return 0;
}

static int push_weekday(sqlite3_stmt *st, void *list, char *err, size_t errlen)
{
    const char *d = (const char *)sqlite3_column_text(st, 0);
    if (d && date_is_weekday(d) && datelist_push(list, d) != 0)
        return err_set(err, errlen, "out of memory");
    return 0;
}

int prices_trading_days(struct db *db, const char *from, const char *to, struct datelist *out,
                        char *err, size_t errlen)
{
    size_t n0 = out->n;
    if (each_row(db, query(db, SQL_DAYS_BETWEEN, from, to, err, errlen), push_weekday, out, err,
                 errlen) != 0) {
        out->n = n0; /* leave the list as it was */
        return -1;
    }
    return 0;
}

static int take_weekday(sqlite3_stmt *st, void *out, char *err, size_t errlen)
{
    const char *d = (const char *)sqlite3_column_text(st, 0);
    (void)err;
    (void)errlen;
    if (!d || !date_is_weekday(d))
        return 0;
    memcpy(out, d, DATE_BUF); /* a valid date is exactly DATE_LEN + NUL */
    return 1;
}

/* Walks the dates of sql (bound to date) to the first weekday: 1 with out
 * filled, 0 when there is none, -1 on error. */
static int first_weekday(struct db *db, const char *sql, const char *date, char out[DATE_BUF],
                         char *err, size_t errlen)
{
    char d[DATE_BUF] = "";
    int rc = each_row(db, query(db, sql, date, NULL, err, errlen), take_weekday, d, err, errlen);
    if (rc == 1)
        memcpy(out, d, DATE_BUF);
    return rc;
}

int prices_latest_trading_day(struct db *db, const char *upto, char out[DATE_BUF], char *err,
                              size_t errlen)
{
    return first_weekday(db, SQL_DAYS_UPTO, upto, out, err, errlen);
}

int prices_next_trading_day(struct db *db, const char *after, char out[DATE_BUF], char *err,
                            size_t errlen)
{
    return first_weekday(db, SQL_DAYS_AFTER, after, out, err, errlen);
}

int prices_prev_trading_day(struct db *db, const char *before, char out[DATE_BUF], char *err,
                            size_t errlen)
{
    return first_weekday(db, SQL_DAYS_BEFORE, before, out, err, errlen);
}

/* Counts, symbols and date span of the prices table (one row). */
static int take_totals(sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_info *info = ctx;
    info->bars = sqlite3_column_int64(st, 0);
    info->symbols = sqlite3_column_int64(st, 1);
    if (column_copy(st, 2, info->first, sizeof(info->first), err, errlen) != 0 ||
        column_copy(st, 3, info->last, sizeof(info->last), err, errlen) != 0)
        return -1;
    return 1;
}

static int take_source(sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_info *info = ctx;
    const char *src = (const char *)sqlite3_column_text(st, 0);
    long long count = sqlite3_column_int64(st, 1);
    (void)err;
    (void)errlen;
    if (!src)
        return 0;
    if (strcmp(src, "alphavantage") == 0)
        info->alphavantage = count;
    else if (strcmp(src, "aitrader") == 0)
        info->aitrader = count;
    else if (strcmp(src, "synthetic") == 0)
        info->synthetic = count;
    return 0;
}

static int take_splits(sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_info *info = ctx;
    (void)err;
    (void)errlen;
    info->splits = sqlite3_column_int64(st, 0);
    return 1;
}

static int take_symbol(sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_info *info = ctx;
    const char *sym = (const char *)sqlite3_column_text(st, 0);
    (void)err;
    (void)errlen;
    if (sym && universe_contains(sym))
        info->universe_symbols++;
    if (sym && strcmp(sym, UNIVERSE_BENCHMARK) == 0)
        info->has_benchmark = 1;
    return 0;
}

int prices_info(struct db *db, struct prices_info *out, char *err, size_t errlen)
{
    struct prices_info info = {0};
    struct datelist days = {0};
    int rc = -1;
    if (each_row(db, db_stmt(db, SQL_TOTALS, err, errlen), take_totals, &info, err, errlen) < 0 ||
        each_row(db, db_stmt(db, SQL_SOURCES, err, errlen), take_source, &info, err, errlen) < 0 ||
        each_row(db, db_stmt(db, SQL_SYMBOLS, err, errlen), take_symbol, &info, err, errlen) < 0 ||
        each_row(db, db_stmt(db, SQL_SPLITS, err, errlen), take_splits, &info, err, errlen) < 0)
        goto out;
    if (info.bars > 0 && prices_trading_days(db, info.first, info.last, &days, err, errlen) != 0)
        goto out;
    info.trading_days = (long long)days.n;
    *out = info;
    rc = 0;
out:
    datelist_free(&days);
    return rc;
}

int prices_closes_lookup(void *closes, const char *symbol, money_t *price)
{
    struct prices_closes *c = closes;
    int f = prices_last_close(c->db, symbol, c->date, price, c->err, sizeof(c->err));
    if (f < 0)
        c->failed = 1;
    return f == 1 ? 0 : -1;
}
