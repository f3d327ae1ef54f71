/* splits: see splits.h. */
#include "market/splits.h"

#include "base/errbuf.h"
#include "base/mem.h"
#include "market/prices.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The price of one post-split share on s->date: the open, else the last
 * close before it over the factor (rounded down); 0 when there is none. */
static int split_price(struct db *db, struct splits_applied *s, char *err, size_t errlen)
{
    char before[DATE_BUF];
    money_t close;
    enum prices_found f = prices_open(db, s->symbol, s->date, &s->price, err, errlen);
    if (f != PRICES_MISSING)
        return f == PRICES_ERROR ? -1 : 0;
    s->price = 0;
    if (date_add_days(s->date, -1, before) != 0)
        return 0;
    f = prices_last_close(db, s->symbol, before, &close, err, errlen);
    if (f == PRICES_ERROR)
        return -1;
    if (f == PRICES_FOUND)
        s->price = (money_t)((__int128)close * TRADING_PPM / s->factor_micro);
    return 0;
}

/* Applies the stored split sp to pf into *s. */
static int apply_one(struct db *db, const struct prices_split *sp, struct portfolio *pf,
                     struct splits_applied *s, char *err, size_t errlen)
{
    struct split_result r;
    memset(s, 0, sizeof(*s));
    memcpy(s->symbol, sp->symbol, sizeof(s->symbol));
    memcpy(s->date, sp->date, sizeof(s->date));
    memcpy(s->factor, sp->factor, sizeof(s->factor));
    s->factor_micro = sp->factor_micro;
    if (split_price(db, s, err, errlen) != 0)
        return -1;
    if (portfolio_split(pf, s->symbol, s->factor_micro, s->price, &r) != 0)
        return err_set(err, errlen, "the split of %s on %s overflows the holding", s->symbol,
                       s->date);
    s->before = r.before;
    s->after = r.after;
    s->cash = r.cash;
    return 0;
}

int splits_apply(struct db *db, const char *after, const char *date, struct portfolio *pf,
                 struct splits_applied **out, size_t *n, char *err, size_t errlen)
{
    struct splits_applied *list = NULL;
    struct prices_split *stored = NULL;
    size_t count = 0, cap = 0, nstored = 0;
    int rc = -1;
    if (pf->n > 0 && prices_splits(db, after, date, &stored, &nstored, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < nstored; i++) {
        if (portfolio_shares(pf, stored[i].symbol) == 0)
            continue;
        ARRAY_RESERVE(list, cap, count + 1);
        if (apply_one(db, &stored[i], pf, &list[count], err, errlen) != 0)
            goto out;
        count++;
    }
    *out = list;
    *n = count;
    list = NULL;
    rc = 0;
out:
    free(list);
    free(stored);
    return rc;
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

char *splits_notice(const struct splits_applied *s, size_t n)
{
    char *buf = NULL, ratio[48], cash[MONEY_FMT_MAX];
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        mem_fatal(0);
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
    if (fclose(f) != 0)
        mem_fatal(size);
    return buf;
}
