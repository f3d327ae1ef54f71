/* perf: how models did over a period (CONTRACT §7 Analytics), in one place.
 * Reads stored model-days (daystore.h) and QQQ closes (prices.h); owns the
 * metric arithmetic and the JSON of GET /performance and /performance/series;
 * trader-api's pages and `traderctl leaderboard` only call it.
 *
 * Values are exact micro-dollars (money.h) up to the final ratios, which are
 * doubles: daily return r_t = V_t / V_(t-1) - 1, V_0 the value at the close
 * of the base day (the trading day before a model's first day in the
 * period; its stored prev_value). QQQ is bought at the close of the
 * period's base day and held (AI-Trader's convention); when the price store
 * holds nothing before the period, at the open of its first day. */
#ifndef TRADER_PERF_H
#define TRADER_PERF_H

#include <stddef.h>

#include <json-c/json.h>

#include "service/config.h"
#include "store/db.h"
#include "base/money.h"
#include "market/prices.h"
#include "service/jobs.h"

#define PERF_DAYS_PER_YEAR 252

/* The metrics of one value series. A ratio whose denominator is 0 (or that
 * needs two days when there is one) is NAN, written as null. */
struct perf_metrics {
    money_t start_value, end_value, profit;
    double total_return_pct, annualized_return_pct, volatility_pct, sharpe, sortino;
    double max_drawdown_pct, calmar, win_rate_pct;
    long peak, trough; /* indexes into the values of the worst drawdown; -1 without one */
    long long trading_days;
};

/* The metrics of v[0..n]: v[0] = V_0, v[1..n] the closes of the n >= 1
 * days. Returns 0 and fills *out, or -1 when n is 0. */
int perf_metrics(const money_t *v, size_t n, struct perf_metrics *out);

/* Splits the comma-separated list in buf (modified in place) into models,
 * at most max. Returns 0 with *n set, -1 on an empty name or more than max. */
int perf_split_models(char *buf, const char **models, size_t max, size_t *n);

/* Which days to read. NULL / 0 fields do not filter. */
struct perf_query {
    const char *job_id;
    const char *start_date, *end_date; /* inclusive */
    const char *const *models;         /* signatures */
    size_t nmodels;
};

/* One model over the period: its values v[0..n] (v[0] = V_0) and, for each,
 * the index of its date in the report's dates (at[0] is -1 when the base day
 * is not known to the price store). */
struct perf_model {
    char model[CONFIG_SIGNATURE_MAX];
    long rank; /* 1 = best total return; equal returns share a rank */
    struct perf_metrics m;
    double excess_return_pct; /* minus QQQ over the model's own days; NAN without QQQ */
    long long trades, prompt_tokens, completion_tokens, total_tokens;
    int priced;   /* at least one of its days has a cost */
    money_t cost; /* sum of the priced days' costs */
    money_t fees; /* sum of its trades' commissions (trading costs) */
    money_t *v;
    long *at;
    size_t n, cap; /* n days, v and at hold n + 1 */
};

/* A period's answer. models are in rank order. */
struct perf_report {
    struct perf_model *models;
    size_t nmodels;
    struct datelist dates; /* every date of a value: base days, model days, QQQ days */
    char start_date[DATE_BUF], end_date[DATE_BUF]; /* the first and last model day */
    char base_date[DATE_BUF];                      /* the period's base day; "" when unknown */
    int has_benchmark;   /* QQQ has a price to buy at and closes after it */
    int bench_at_open;   /* no QQQ close before the period: bought at its first open */
    money_t bench_price; /* what one QQQ share was bought at */
    struct perf_metrics bench;
    money_t *bench_v; /* the benchmark's values, one per date from base_date on */
    long *bench_at;
    size_t bench_n; /* days, not counting V_0 */
};

/* Reads the days matching q and computes the report into *out (caller frees
 * with perf_report_free; nmodels is 0 when nothing matched). Runs in the
 * caller's read transaction when there is one. Returns 0 or -1. */
int perf_load(struct db *db, const struct perf_query *q, struct perf_report *out, char *err,
              size_t errlen);

void perf_report_free(struct perf_report *r);

/* The job whose results are newest (by created_at), for a default:
 * JOBS_FOUND with out filled, JOBS_MISSING when no job has results. */
enum jobs_found perf_latest_job(struct db *db, char *out, size_t outlen, char *err, size_t errlen);

/* How the benchmark was bought (r->has_benchmark): "open" (of the period's
 * first day, when the store has no close before it) or "close" (of the base
 * day); *on gets that day. */
const char *perf_bench_bought(const struct perf_report *r, const char **on);

/* The bodies of GET /performance and /performance/series. Caller owns the
 * result. */
json_object *perf_report_json(const struct perf_report *r);
json_object *perf_series_json(const struct perf_report *r);

#endif
