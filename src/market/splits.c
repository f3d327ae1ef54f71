/* splits: see splits.h. */
#include "market/splits.h"

#include "base/errbuf.h"
#include "market/prices.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_SPLITS[] =
    "SELECT symbol, effective_date, factor, factor_micro FROM splits"
    " WHERE effective_date > ?1 AND effective_date <= ?2 ORDER BY effective_date, symbol";

/* The price of one post-split share on s->date: the open, else the last
 * close before it over the factor (rounded down); 0 when there is none. */
static int split_price(struct db *db, struct splits_applied *s, char *err, size_t errlen)
{
    char before[DATE_BUF];
    money_t close;
    int f = prices_open(db, s->symbol, s->date, &s->price, err, errlen);
    if (f != 0)
        return f < 0 ? -1 : 0;
    s->price = 0;
    if (date_add_days(s->date, -1, before) != 0)
        return 0;
    f = prices_last_close(db, s->symbol, before, &close, err, errlen);
    if (f < 0)
        return -1;
    if (f > 0)
        s->price = (money_t)((__int128)close * TRADING_PPM / s->factor_micro);
    return 0;
}

/* Applies the split of the current row of st to pf; appends it to *list
 * when pf holds the symbol. */
static int apply_row(struct db *db, sqlite3_stmt *st, struct portfolio *pf,
                     struct splits_applied **list, size_t *n, size_t *cap, char *err, size_t errlen)
{
    struct splits_applied s = {0};
    struct split_result r;
    snprintf(s.symbol, sizeof(s.symbol), "%s", (const char *)sqlite3_column_text(st, 0));
    if (portfolio_shares(pf, s.symbol) == 0)
        return 0;
    snprintf(s.date, sizeof(s.date), "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(s.factor, sizeof(s.factor), "%s", (const char *)sqlite3_column_text(st, 2));
    s.factor_micro = sqlite3_column_int64(st, 3);
    if (split_price(db, &s, err, errlen) != 0)
        return -1;
    if (portfolio_split(pf, s.symbol, s.factor_micro, s.price, &r) != 0)
        return err_set(err, errlen, "the split of %s on %s overflows the holding", s.symbol,
                       s.date);
    s.before = r.before;
    s.after = r.after;
    s.cash = r.cash;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        struct splits_applied *g = realloc(*list, c * sizeof(*g));
        if (!g)
            return err_set(err, errlen, "out of memory");
        *list = g;
        *cap = c;
    }
    (*list)[(*n)++] = s;
    return 0;
}

int splits_apply(struct db *db, const char *after, const char *date, struct portfolio *pf,
                 struct splits_applied **out, size_t *n, char *err, size_t errlen)
{
    struct splits_applied *list = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st;
    int rc = SQLITE_DONE, bad = 0;
    if (pf->n > 0) {
        if (!(st = db_stmt(db, SQL_SPLITS, err, errlen)))
            return -1;
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
        while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW)
            bad = apply_row(db, st, pf, &list, &count, &cap, err, errlen) != 0;
        sqlite3_reset(st);
        if (!bad && rc != SQLITE_DONE)
            bad = db_error(db, "cannot read splits", err, errlen) != 0;
    }
    if (bad) {
        free(list);
        return -1;
    }
    *out = list;
    *n = count;
    return 0;
}

static int64_t gcd(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void splits_ratio(int64_t factor_micro, char *buf, size_t n)
{
    int64_t g = factor_micro > 0 ? gcd(factor_micro, TRADING_PPM) : 1;
    snprintf(buf, n, "%" PRId64 "-for-%" PRId64, factor_micro / g, (int64_t)TRADING_PPM / g);
}

int splits_notice(const struct splits_applied *s, size_t n, char **out, char *err, size_t errlen)
{
    char *buf = NULL, ratio[48], cash[MONEY_FMT_MAX];
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return err_set(err, errlen, "out of memory");
    fputs("Stock splits since your last session (already applied to the positions above):\n", f);
    for (size_t i = 0; i < n; i++) {
        splits_ratio(s[i].factor_micro, ratio, sizeof(ratio));
        fprintf(f,
                "- %s split %s (factor %s) effective %s: your %" PRId64 " shares became %" PRId64
                ".",
                s[i].symbol, ratio, s[i].factor, s[i].date, s[i].before, s[i].after);
        if (s[i].cash > 0) {
            money_format(s[i].cash, cash, sizeof(cash));
            fprintf(f, " The fractional share left was paid in cash: %s.", cash);
        }
        fprintf(f, " Closing prices of %s before %s are from before the split.\n", s[i].symbol,
                s[i].date);
    }
    if (fclose(f) != 0) {
        free(buf);
        return err_set(err, errlen, "out of memory");
    }
    *out = buf;
    return 0;
}
