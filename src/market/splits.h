/* splits: stock splits, from the price store (prices.h, which owns the
 * splits table pricesimport.h fills) to a model's holdings. Owns CONTRACT section 5's rule: a
 * split effective on date D multiplies the shares held at the start of D by
 * its factor, the fractional share left is paid in cash at D's open
 * (portfolio_split does the arithmetic), and the model is told of it in that
 * day's prompt (splits_notice). */
#ifndef TRADER_SPLITS_H
#define TRADER_SPLITS_H

#include <stddef.h>
#include <stdint.h>

#include "base/dates.h"
#include "store/db.h"
#include "base/money.h"
#include "market/portfolio.h"
#include "market/prices.h"

#define SPLITS_FACTOR_MAX PRICES_FACTOR_MAX

/* One split applied to a holding. */
struct splits_applied {
    char symbol[SYMBOL_MAX];
    char date[DATE_BUF];            /* effective date */
    char factor[SPLITS_FACTOR_MAX]; /* as published, e.g. "15.0000" */
    int64_t factor_micro;           /* the factor x 1e6 */
    int64_t before, after;          /* shares held */
    money_t price;                  /* per post-split share, for the cash in lieu */
    money_t cash;                   /* cash in lieu of the fractional share */
};

/* Applies to pf, in date order, every stored split effective in (after,
 * date] of a symbol pf holds: the splits met since the state's day (after;
 * "" = from the start), up to and including date. The cash in lieu is priced
 * at the effective day's open, else at the last close before it divided by
 * the factor. On success *out (caller frees with free(); NULL when none) and
 * *n list what was applied; on failure pf may be partly adjusted. */
int splits_apply(struct db *db, const char *after, const char *date, struct portfolio *pf,
                 struct splits_applied **out, size_t *n, char *err, size_t errlen);

/* "3-for-2", "15-for-1", "1-for-10": the factor as a reduced ratio. */
void splits_ratio(int64_t factor_micro, char *buf, size_t n);

/* The paragraph the day's prompt carries about the n applied splits (n > 0):
 * what each did to the holding and that yesterday's closes predate it.
 * The caller frees it. */
char *splits_notice(const struct splits_applied *s, size_t n);

#endif
