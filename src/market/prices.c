/* prices: see prices.h. Every read is a cached statement walked by
 * each_row, which resets it as soon as its rows are read so no read
 * transaction outlives the call; every write is one db_step_done inside the
 * caller's transaction. The weekday rule of the calendar is applied
 * here in C (date_is_weekday) rather than in SQL, so there is one definition
 * of it. */
#include "market/prices.h"

#include "base/errbuf.h"
#include "base/mem.h"

#include <stdio.h>
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
static const char SQL_SUMMARY[] =
    "SELECT (SELECT count(*) FROM price_symbols), (SELECT min(date) FROM prices),"
    " (SELECT max(date) FROM prices),"
    " CASE WHEN EXISTS(SELECT 1 FROM price_symbols WHERE source = 'synthetic') THEN 1 ELSE 0 END";
static const char SQL_RECENT_DATES[] =
    "SELECT date FROM prices WHERE symbol = ?1 AND date <= ?2 ORDER BY date DESC LIMIT ?3";
static const char SQL_CLOSES_BETWEEN[] =
    "SELECT date, close_micro FROM prices WHERE symbol = ?1 AND date > ?2 AND date <= ?3"
    " AND close_micro IS NOT NULL ORDER BY date";
static const char SQL_SPLITS_BETWEEN[] =
    "SELECT symbol, effective_date, factor, factor_micro FROM splits"
    " WHERE effective_date > ?1 AND effective_date <= ?2 ORDER BY effective_date, symbol";
static const char SQL_GET_BAR[] =
    "SELECT open, high, low, close, volume FROM prices WHERE symbol = ?1 AND date = ?2";
/* Absent values (NULL) never erase stored ones. */
static const char SQL_PUT_BAR[] =
    "INSERT INTO prices(symbol, date, open, high, low, close, volume, open_micro, close_micro)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(symbol, date) DO UPDATE SET"
    " open = excluded.open, high = coalesce(excluded.high, prices.high),"
    " low = coalesce(excluded.low, prices.low), close = coalesce(excluded.close, prices.close),"
    " volume = coalesce(excluded.volume, prices.volume), open_micro = excluded.open_micro,"
    " close_micro = coalesce(excluded.close_micro, prices.close_micro)";
/* A symbol is labelled with the source that last wrote one of its bars (?5). */
static const char SQL_PUT_SYMBOL[] =
    "INSERT INTO price_symbols(symbol, source, last_refreshed, imported_at) VALUES(?1, ?2, ?3, ?4)"
    " ON CONFLICT(symbol) DO UPDATE SET source = excluded.source,"
    " last_refreshed = excluded.last_refreshed, imported_at = excluded.imported_at WHERE ?5 = 1";
static const char SQL_GET_SPLIT[] =
    "SELECT factor FROM splits WHERE symbol = ?1 AND effective_date = ?2";
static const char SQL_PUT_SPLIT[] =
    "INSERT INTO splits(symbol, effective_date, factor, factor_micro, imported_at)"
    " VALUES(?1, ?2, ?3, ?5, ?4) ON CONFLICT(symbol, effective_date) DO UPDATE SET"
    " factor = excluded.factor, factor_micro = excluded.factor_micro,"
    " imported_at = excluded.imported_at";
static const char SQL_COUNT_KIND[] = "SELECT count(*) FROM price_symbols"
                                     " WHERE CASE WHEN source = 'synthetic' THEN 1 ELSE 0 END = ?1";

int datelist_push(struct datelist *l, const char *date)
{
    if (strlen(date) >= DATE_BUF)
        return -1;
    ARRAY_RESERVE(l->d, l->cap, l->n + 1);
    memcpy(l->d[l->n++], date, strlen(date) + 1);
    return 0;
}

void datelist_free(struct datelist *l)
{
    free(l->d);
    l->d = NULL;
    l->n = l->cap = 0;
}

/* How a walk over a query's rows went: a row function returns WALK_ON to
 * go on or WALK_STOP to stop; each_row returns WALK_STOP when the function
 * stopped it, WALK_ON after the last row. */
enum walk { WALK_ERROR = -1, WALK_ON, WALK_STOP };

typedef enum walk (*row_fn)(struct db_stmt *st, void *ctx, char *err, size_t errlen);

/* Steps st through its rows calling fn, then resets it so no read
 * transaction stays open; a NULL st is an error db_stmt already reported. */
static enum walk each_row(struct db *db, struct db_stmt *st, row_fn fn, void *ctx, char *err,
                          size_t errlen)
{
    enum walk rc = WALK_ON;
    enum db_step sqlrc;
    if (!st)
        return WALK_ERROR;
    do {
        sqlrc = db_step(db, st, "price query failed", err, errlen);
        rc = sqlrc == DB_STEP_ROW ? fn(st, ctx, err, errlen) : WALK_ON;
    } while (sqlrc == DB_STEP_ROW && rc == WALK_ON);
    if (sqlrc == DB_STEP_ERROR)
        rc = WALK_ERROR;
    db_reset(st);
    return rc;
}

/* The cached statement for sql with texts a and b (b may be NULL) bound to
 * ?1 and ?2, or NULL (err filled). */
static struct db_stmt *query(struct db *db, const char *sql, const char *a, const char *b,
                             char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, sql, err, errlen);
    if (!st)
        return NULL;
    db_bind_text(st, 1, a);
    if (b)
        db_bind_text(st, 2, b);
    return st;
}

static enum prices_found found(enum walk w)
{
    return w == WALK_STOP ? PRICES_FOUND : w == WALK_ON ? PRICES_MISSING : PRICES_ERROR;
}

static enum walk take_money(struct db_stmt *st, void *out, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *(money_t *)out = db_col_int64(st, 0);
    return WALK_STOP;
}

/* The first column of the first row as money. */
static enum prices_found money_query(struct db *db, const char *sql, const char *symbol,
                                     const char *date, money_t *out, char *err, size_t errlen)
{
    money_t v = 0;
    enum prices_found f =
        found(each_row(db, query(db, sql, symbol, date, err, errlen), take_money, &v, err, errlen));
    if (f == PRICES_FOUND)
        *out = v;
    return f;
}

enum prices_found prices_open(struct db *db, const char *symbol, const char *date, money_t *out,
                              char *err, size_t errlen)
{
    return money_query(db, SQL_OPEN, symbol, date, out, err, errlen);
}

enum prices_found prices_close(struct db *db, const char *symbol, const char *date, money_t *out,
                               char *err, size_t errlen)
{
    return money_query(db, SQL_CLOSE, symbol, date, out, err, errlen);
}

enum prices_found prices_last_close(struct db *db, const char *symbol, const char *date,
                                    money_t *out, char *err, size_t errlen)
{
    return money_query(db, SQL_LAST_CLOSE, symbol, date, out, err, errlen);
}

/* Copies text column col into a field of size n ("" for NULL). */
static int column_copy(struct db_stmt *st, int col, char *dst, size_t n, char *err, size_t errlen)
{
    const char *s = db_col_text(st, col);
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

static enum walk take_bar(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct bar_sink *sink = ctx;
    struct bar *b = &sink->bars[sink->n];
    if (column_copy(st, 0, b->date, sizeof(b->date), err, errlen) != 0 ||
        column_copy(st, 1, b->open, sizeof(b->open), err, errlen) != 0 ||
        column_copy(st, 2, b->high, sizeof(b->high), err, errlen) != 0 ||
        column_copy(st, 3, b->low, sizeof(b->low), err, errlen) != 0 ||
        column_copy(st, 4, b->close, sizeof(b->close), err, errlen) != 0 ||
        column_copy(st, 5, b->volume, sizeof(b->volume), err, errlen) != 0)
        return WALK_ERROR;
    b->open_micro = db_col_int64(st, 6);
    b->close_micro = db_col_int64(st, 7); /* NULL reads as 0 */
    sink->n++;
    return WALK_ON;
}

/* max as an SQL LIMIT. */
static long long limit(size_t max)
{
    return max > INT64_MAX ? INT64_MAX : (long long)max;
}

int prices_bars(struct db *db, const char *symbol, const char *from, const char *to,
                struct bar *bars, size_t max, size_t *n, char *err, size_t errlen)
{
    struct bar_sink sink = {bars, 0};
    struct db_stmt *st = query(db, SQL_BARS, symbol, from, err, errlen);
    if (st) {
        db_bind_text(st, 3, to);
        db_bind_int64(st, 4, limit(max));
    }
    if (each_row(db, st, take_bar, &sink, err, errlen) != WALK_ON)
        return -1;
    *n = sink.n;
    return 0;
}

static enum walk push_weekday(struct db_stmt *st, void *list, char *err, size_t errlen)
{
    const char *d = db_col_text(st, 0);
    if (d && date_is_weekday(d) && datelist_push(list, d) != 0) {
        err_set(err, errlen, "stored date too long: %.40s", d);
        return WALK_ERROR;
    }
    return WALK_ON;
}

int prices_trading_days(struct db *db, const char *from, const char *to, struct datelist *out,
                        char *err, size_t errlen)
{
    size_t n0 = out->n;
    if (each_row(db, query(db, SQL_DAYS_BETWEEN, from, to, err, errlen), push_weekday, out, err,
                 errlen) != WALK_ON) {
        out->n = n0; /* leave the list as it was */
        return -1;
    }
    return 0;
}

static enum walk take_weekday(struct db_stmt *st, void *out, char *err, size_t errlen)
{
    const char *d = db_col_text(st, 0);
    (void)err;
    (void)errlen;
    if (!d || !date_is_weekday(d))
        return WALK_ON;
    memcpy(out, d, DATE_BUF); /* a valid date is exactly DATE_LEN + NUL */
    return WALK_STOP;
}

/* Walks the dates of sql (bound to date) to the first weekday. */
static enum prices_found first_weekday(struct db *db, const char *sql, const char *date,
                                       char out[DATE_BUF], char *err, size_t errlen)
{
    char d[DATE_BUF] = "";
    enum prices_found f =
        found(each_row(db, query(db, sql, date, NULL, err, errlen), take_weekday, d, err, errlen));
    if (f == PRICES_FOUND)
        memcpy(out, d, DATE_BUF);
    return f;
}

enum prices_found prices_latest_trading_day(struct db *db, const char *upto, char out[DATE_BUF],
                                            char *err, size_t errlen)
{
    return first_weekday(db, SQL_DAYS_UPTO, upto, out, err, errlen);
}

enum prices_found prices_next_trading_day(struct db *db, const char *after, char out[DATE_BUF],
                                          char *err, size_t errlen)
{
    return first_weekday(db, SQL_DAYS_AFTER, after, out, err, errlen);
}

enum prices_found prices_prev_trading_day(struct db *db, const char *before, char out[DATE_BUF],
                                          char *err, size_t errlen)
{
    return first_weekday(db, SQL_DAYS_BEFORE, before, out, err, errlen);
}

struct date_sink {
    char (*d)[DATE_BUF];
    size_t n;
};

static enum walk take_date(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct date_sink *sink = ctx;
    if (column_copy(st, 0, sink->d[sink->n], DATE_BUF, err, errlen) != 0)
        return WALK_ERROR;
    sink->n++;
    return WALK_ON;
}

int prices_recent_dates(struct db *db, const char *symbol, const char *upto, char (*out)[DATE_BUF],
                        size_t max, size_t *n, char *err, size_t errlen)
{
    struct date_sink sink = {out, 0};
    struct db_stmt *st = query(db, SQL_RECENT_DATES, symbol, upto, err, errlen);
    if (st)
        db_bind_int64(st, 3, limit(max));
    if (each_row(db, st, take_date, &sink, err, errlen) != WALK_ON)
        return -1;
    *n = sink.n;
    return 0;
}

static enum walk take_close(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_series *s = ctx;
    const char *d = db_col_text(st, 0);
    if (!d || datelist_push(&s->dates, d) != 0) {
        err_set(err, errlen, "bad stored date: %.40s", d ? d : "NULL");
        return WALK_ERROR;
    }
    ARRAY_RESERVE(s->close, s->cap, s->dates.n);
    s->close[s->dates.n - 1] = db_col_int64(st, 1);
    return WALK_ON;
}

int prices_closes_between(struct db *db, const char *symbol, const char *after, const char *upto,
                          struct prices_series *out, char *err, size_t errlen)
{
    size_t n0 = out->dates.n;
    struct db_stmt *st = query(db, SQL_CLOSES_BETWEEN, symbol, after, err, errlen);
    if (st)
        db_bind_text(st, 3, upto);
    if (each_row(db, st, take_close, out, err, errlen) != WALK_ON) {
        out->dates.n = n0;
        return -1;
    }
    return 0;
}

void prices_series_free(struct prices_series *s)
{
    datelist_free(&s->dates);
    free(s->close);
    s->close = NULL;
    s->cap = 0;
}

/* Counts, symbols and date span of the prices table (one row). */
static enum walk take_totals(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_info *info = ctx;
    info->bars = db_col_int64(st, 0);
    info->symbols = db_col_int64(st, 1);
    if (column_copy(st, 2, info->first, sizeof(info->first), err, errlen) != 0 ||
        column_copy(st, 3, info->last, sizeof(info->last), err, errlen) != 0)
        return WALK_ERROR;
    return WALK_STOP;
}

static enum walk take_source(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_info *info = ctx;
    const char *src = db_col_text(st, 0);
    long long count = db_col_int64(st, 1);
    (void)err;
    (void)errlen;
    if (!src)
        return WALK_ON;
    if (strcmp(src, "alphavantage") == 0)
        info->alphavantage = count;
    else if (strcmp(src, "aitrader") == 0)
        info->aitrader = count;
    else if (strcmp(src, "synthetic") == 0)
        info->synthetic = count;
    return WALK_ON;
}

/* The first column of a one-row count into *(long long *)ctx. */
static enum walk take_count(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *(long long *)ctx = db_col_int64(st, 0);
    return WALK_STOP;
}

static enum walk take_symbol(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_info *info = ctx;
    const char *sym = db_col_text(st, 0);
    (void)err;
    (void)errlen;
    if (sym && universe_contains(sym))
        info->universe_symbols++;
    if (sym && strcmp(sym, UNIVERSE_BENCHMARK) == 0)
        info->has_benchmark = 1;
    return WALK_ON;
}

int prices_info(struct db *db, struct prices_info *out, char *err, size_t errlen)
{
    struct prices_info info = {0};
    struct datelist days = {0};
    int rc = -1;
    if (each_row(db, db_stmt(db, SQL_TOTALS, err, errlen), take_totals, &info, err, errlen) ==
            WALK_ERROR ||
        each_row(db, db_stmt(db, SQL_SOURCES, err, errlen), take_source, &info, err, errlen) ==
            WALK_ERROR ||
        each_row(db, db_stmt(db, SQL_SYMBOLS, err, errlen), take_symbol, &info, err, errlen) ==
            WALK_ERROR ||
        each_row(db, db_stmt(db, SQL_SPLITS, err, errlen), take_count, &info.splits, err, errlen) ==
            WALK_ERROR)
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

static enum walk take_summary(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct prices_summary *sum = ctx;
    sum->symbols = db_col_int64(st, 0);
    if (column_copy(st, 1, sum->first, sizeof(sum->first), err, errlen) != 0 ||
        column_copy(st, 2, sum->last, sizeof(sum->last), err, errlen) != 0)
        return WALK_ERROR;
    sum->synthetic = db_col_int(st, 3) != 0;
    return WALK_STOP;
}

int prices_summary(struct db *db, struct prices_summary *out, char *err, size_t errlen)
{
    struct prices_summary sum = {0};
    if (each_row(db, db_stmt(db, SQL_SUMMARY, err, errlen), take_summary, &sum, err, errlen) ==
        WALK_ERROR)
        return -1;
    *out = sum;
    return 0;
}

int prices_closes_lookup(void *closes, const char *symbol, money_t *price)
{
    struct prices_closes *c = closes;
    enum prices_found f = prices_last_close(c->db, symbol, c->date, price, c->err, sizeof(c->err));
    if (f == PRICES_ERROR)
        c->failed = 1;
    return f == PRICES_FOUND ? 0 : -1;
}

struct split_sink {
    struct prices_split *list;
    size_t n, cap;
};

static enum walk take_split(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct split_sink *sink = ctx;
    struct prices_split *s;
    (void)err;
    (void)errlen;
    ARRAY_RESERVE(sink->list, sink->cap, sink->n + 1);
    s = &sink->list[sink->n++];
    memset(s, 0, sizeof(*s));
    snprintf(s->symbol, sizeof(s->symbol), "%s", db_col_text(st, 0));
    snprintf(s->date, sizeof(s->date), "%s", db_col_text(st, 1));
    snprintf(s->factor, sizeof(s->factor), "%s", db_col_text(st, 2));
    s->factor_micro = db_col_int64(st, 3);
    return WALK_ON;
}

int prices_splits(struct db *db, const char *after, const char *upto, struct prices_split **out,
                  size_t *n, char *err, size_t errlen)
{
    struct split_sink sink = {0};
    if (each_row(db, query(db, SQL_SPLITS_BETWEEN, after, upto, err, errlen), take_split, &sink,
                 err, errlen) != WALK_ON) {
        free(sink.list);
        return -1;
    }
    *out = sink.list;
    *n = sink.n;
    return 0;
}

/* Whether a stored text column equals s. */
static bool same_text(struct db_stmt *st, int col, const char *s)
{
    const char *stored = db_col_text(st, col);
    return stored && strcmp(stored, s) == 0;
}

struct compare {
    const char *const *text; /* the new texts, NULL when absent */
    int ntext;
    enum prices_stored result;
};

static enum walk take_compare(struct db_stmt *st, void *ctx, char *err, size_t errlen)
{
    struct compare *c = ctx;
    (void)err;
    (void)errlen;
    c->result = PRICES_SAME;
    for (int f = 0; f < c->ntext; f++)
        if (c->text[f] && !same_text(st, f, c->text[f]))
            c->result = PRICES_CHANGED;
    return WALK_STOP;
}

/* Compares the n texts with the columns of sql's row for a and b. */
static enum prices_stored compare(struct db *db, const char *sql, const char *a, const char *b,
                                  const char *const *text, int n, char *err, size_t errlen)
{
    struct compare c = {text, n, PRICES_NEW};
    if (each_row(db, query(db, sql, a, b, err, errlen), take_compare, &c, err, errlen) ==
        WALK_ERROR)
        return PRICES_STORE_ERROR;
    return c.result;
}

enum prices_stored prices_compare_bar(struct db *db, const struct prices_newbar *b, char *err,
                                      size_t errlen)
{
    return compare(db, SQL_GET_BAR, b->symbol, b->date, b->text, PRICES_NFIELDS, err, errlen);
}

int prices_put_bar(struct db *db, const struct prices_newbar *b, char *err, size_t errlen)
{
    struct db_stmt *st = query(db, SQL_PUT_BAR, b->symbol, b->date, err, errlen);
    if (!st)
        return -1;
    for (int f = 0; f < PRICES_NFIELDS; f++) /* a NULL text binds NULL */
        db_bind_text(st, 3 + f, b->text[f]);
    db_bind_int64(st, 8, b->open_micro);
    if (b->close_micro > 0)
        db_bind_int64(st, 9, b->close_micro);
    return db_step_done(db, st, "cannot store bar", err, errlen);
}

/* Steps the write sql with texts a, b, c, d and the integer e bound to ?1
 * to ?5. */
static int put_row(struct db *db, const char *sql, const char *a, const char *b, const char *c,
                   const char *d, long long e, const char *what, char *err, size_t errlen)
{
    struct db_stmt *st = query(db, sql, a, b, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 3, c);
    db_bind_text(st, 4, d);
    db_bind_int64(st, 5, e);
    return db_step_done(db, st, what, err, errlen);
}

int prices_put_symbol(struct db *db, const char *symbol, const char *source, const char *refreshed,
                      const char *now, bool relabel, char *err, size_t errlen)
{
    return put_row(db, SQL_PUT_SYMBOL, symbol, source, refreshed, now, relabel,
                   "cannot store symbol", err, errlen);
}

enum prices_stored prices_compare_split(struct db *db, const char *symbol, const char *date,
                                        const char *factor, char *err, size_t errlen)
{
    return compare(db, SQL_GET_SPLIT, symbol, date, &factor, 1, err, errlen);
}

int prices_put_split(struct db *db, const char *symbol, const char *date, const char *factor,
                     int64_t factor_micro, const char *now, char *err, size_t errlen)
{
    return put_row(db, SQL_PUT_SPLIT, symbol, date, factor, now, factor_micro, "cannot store split",
                   err, errlen);
}

int prices_count_symbols(struct db *db, bool synthetic, long long *n, char *err, size_t errlen)
{
    long long count = 0;
    struct db_stmt *st = db_stmt(db, SQL_COUNT_KIND, err, errlen);
    if (st)
        db_bind_int64(st, 1, synthetic);
    if (each_row(db, st, take_count, &count, err, errlen) == WALK_ERROR)
        return -1;
    *n = count;
    return 0;
}
