/* perf: see perf.h. One query reads every model-day of the period in (date,
 * model) order from the covering idx_positions_date_model; one reads QQQ's
 * closes. Everything else is arithmetic in C. */
#include "service/perf.h"

#include "service/jobs.h"

#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "service/daystore.h"
#include "market/universe.h"

#include <limits.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The bounds stand for "no bound" when a query gives none. */
#define PERF_DATE_MIN "0000-00-00"
#define PERF_DATE_MAX "9999-99-99"

/* x / y as a double when y is not 0, else NAN. */
static double ratio(double x, double y)
{
    return y != 0 ? x / y : NAN;
}

int perf_metrics(const money_t *v, size_t n, struct perf_metrics *out)
{
    struct perf_metrics m = {.peak = -1, .trough = -1};
    long double sum = 0, sq = 0, down = 0;
    size_t wins = 0, peak = 0, worst_peak = 0, worst = 0;
    int defined = 1; /* every r_t is defined (no V_(t-1) <= 0) */
    if (n == 0)
        return -1;
    m.trading_days = (long long)n;
    m.start_value = v[0];
    m.end_value = v[n];
    m.profit = v[n] - v[0];
    m.total_return_pct = v[0] > 0 ? (double)m.profit / (double)v[0] * 100.0 : NAN;
    m.annualized_return_pct =
        v[0] > 0
            ? (pow((double)v[n] / (double)v[0], (double)PERF_DAYS_PER_YEAR / (double)n) - 1) * 100.0
            : NAN;
    for (size_t t = 1; t <= n; t++) {
        if (v[t - 1] <= 0) {
            defined = 0;
        } else {
            long double r = (long double)(v[t] - v[t - 1]) / (long double)v[t - 1];
            sum += r;
            down += r < 0 ? r * r : 0;
        }
        wins += v[t] > v[t - 1];
        if (v[t] > v[peak])
            peak = t;
        /* v[t]/v[peak] < v[worst]/v[worst_peak], exactly: values < 2^63. */
        if ((__int128)v[t] * v[worst_peak] < (__int128)v[worst] * v[peak])
            worst = t, worst_peak = peak;
    }
    long double mean = sum / (long double)n;
    for (size_t t = 1; defined && t <= n; t++) {
        long double d = (long double)(v[t] - v[t - 1]) / (long double)v[t - 1] - mean;
        sq += d * d;
    }
    double sd = defined && n > 1 ? (double)sqrtl(sq / (long double)(n - 1)) : NAN;
    double dd = defined ? (double)sqrtl(down / (long double)n) : NAN;
    double year = sqrt((double)PERF_DAYS_PER_YEAR);
    m.volatility_pct = sd * year * 100.0;
    m.sharpe = ratio((double)mean, sd) * year;
    m.sortino = ratio((double)mean, dd) * year;
    m.max_drawdown_pct = 0.0;
    if (worst != worst_peak) {
        m.max_drawdown_pct = (double)(v[worst] - v[worst_peak]) / (double)v[worst_peak] * 100.0;
        m.peak = (long)worst_peak;
        m.trough = (long)worst;
    }
    m.calmar = ratio(m.annualized_return_pct, fabs(m.max_drawdown_pct));
    m.win_rate_pct = (double)wins / (double)n * 100.0;
    *out = m;
    return 0;
}

int perf_split_models(char *buf, const char **models, size_t max, size_t *n)
{
    size_t k = 0;
    for (char *p = buf;; p++) {
        size_t len = strcspn(p, ",");
        if (len == 0 || k == max)
            return -1;
        models[k++] = p;
        p += len;
        if (*p == '\0')
            break;
        *p = '\0';
    }
    *n = k;
    return 0;
}

void perf_report_free(struct perf_report *r)
{
    for (size_t i = 0; i < r->nmodels; i++) {
        free(r->models[i].v);
        free(r->models[i].at);
    }
    free(r->models);
    free(r->bench_v);
    free(r->bench_at);
    datelist_free(&r->dates);
    memset(r, 0, sizeof(*r));
}

/* a + b for non-negative counts, saturating. */
static long long add_sat(long long a, long long b)
{
    return b > 0 && a > LLONG_MAX - b ? LLONG_MAX : a + b;
}

static bool wanted(const struct perf_query *q, const char *model)
{
    for (size_t i = 0; i < q->nmodels; i++)
        if (strcmp(q->models[i], model) == 0)
            return true;
    return q->nmodels == 0;
}

/* The entry of model in r, added when new. */
static struct perf_model *model_entry(struct perf_report *r, const char *model, size_t *cap)
{
    for (size_t i = r->nmodels; i-- > 0;)
        if (strcmp(r->models[i].model, model) == 0)
            return &r->models[i];
    ARRAY_RESERVE(r->models, *cap, r->nmodels + 1);
    struct perf_model *m = &r->models[r->nmodels++];
    memset(m, 0, sizeof(*m));
    snprintf(m->model, sizeof(m->model), "%s", model);
    return m;
}

/* Appends value (at the date with index at) to m's series; v and at grow
 * together, to the same capacity. */
static void push_value(struct perf_model *m, money_t value, long at)
{
    size_t cap = m->cap;
    ARRAY_RESERVE(m->v, cap, m->n + 1);
    ARRAY_RESERVE(m->at, m->cap, m->n + 1);
    m->v[m->n] = value;
    m->at[m->n] = at;
    m->n++;
}

/* Where the stored days go. */
struct take {
    const struct perf_query *q;
    struct perf_report *r;
    size_t cap; /* of r->models */
    char *err;
    size_t errlen;
};

/* One stored day into r; the date list of model days grows in order. */
static int take_day(const struct daystore_sums *s, void *arg)
{
    struct take *t = arg;
    struct perf_report *r = t->r;
    struct perf_model *m;
    if (!s->model || !s->date || !wanted(t->q, s->model))
        return 0;
    if (r->dates.n == 0 || strcmp(r->dates.d[r->dates.n - 1], s->date) != 0)
        if (datelist_push(&r->dates, s->date) != 0)
            return err_set(t->err, t->errlen, "bad stored date %.16s", s->date);
    m = model_entry(r, s->model, &t->cap);
    /* v[0] is V_0, the day before the first; its date is placed later. */
    if (m->n == 0)
        push_value(m, s->prev, -1);
    push_value(m, s->value, (long)r->dates.n - 1);
    m->prompt_tokens = add_sat(m->prompt_tokens, s->prompt_tokens);
    m->completion_tokens = add_sat(m->completion_tokens, s->completion_tokens);
    m->total_tokens = add_sat(m->total_tokens, s->total_tokens);
    m->trades = add_sat(m->trades, s->ntrades);
    m->fees = add_sat(m->fees, s->fees);
    if (s->priced) {
        m->cost = add_sat(m->cost, s->cost);
        m->priced = 1;
    }
    return 0;
}

/* Every model-day of the period, [from, to], into r. */
static int read_days(struct db *db, const struct perf_query *q, const char *from, const char *to,
                     struct perf_report *r, char *err, size_t errlen)
{
    struct take t = {q, r, 0, err, errlen};
    return daystore_each_sums(db, from, to, q->job_id, take_day, &t, err, errlen);
}

/* The period: the query's dates narrowed to the job's days. Returns
 * DAYSTORE_FOUND with from and to set, DAYSTORE_NONE when the job has no
 * days. */
static enum daystore_found period(struct db *db, const struct perf_query *q, char from[DATE_BUF],
                                  char to[DATE_BUF], char *err, size_t errlen)
{
    char lo[DATE_BUF], hi[DATE_BUF];
    snprintf(from, DATE_BUF, "%s", q->start_date ? q->start_date : PERF_DATE_MIN);
    snprintf(to, DATE_BUF, "%s", q->end_date ? q->end_date : PERF_DATE_MAX);
    if (!q->job_id)
        return DAYSTORE_FOUND;
    enum daystore_found f = daystore_job_span(db, q->job_id, lo, hi, err, errlen);
    if (f == DAYSTORE_FOUND) {
        if (strcmp(lo, from) > 0)
            snprintf(from, DATE_BUF, "%s", lo);
        if (strcmp(hi, to) < 0)
            snprintf(to, DATE_BUF, "%s", hi);
    }
    return f;
}

static int cmp_date(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Index of date in the sorted list l, or -1. */
static long date_index(const struct datelist *l, const char *date)
{
    const char(*p)[DATE_BUF] = bsearch(date, l->d, l->n, sizeof(*l->d), cmp_date);
    return p ? (long)(p - l->d) : -1;
}

/* The last close in c dated on or before date, else base_close. */
static money_t close_on(const struct prices_series *c, const char *date, money_t base_close)
{
    money_t v = base_close;
    for (size_t lo = 0, hi = c->dates.n; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->dates.d[mid], date) <= 0)
            v = c->close[mid], lo = mid + 1;
        else
            hi = mid;
    }
    return v;
}

/* value x close / base, rounded toward zero. */
static money_t scaled(money_t value, money_t close, money_t base)
{
    return (money_t)((__int128)value * close / base);
}

/* The benchmark: start at the models' mean V_0, bought at the base day's
 * close, valued at each QQQ close of the period. Its ratios come from the
 * closes themselves, so no rounding of the scaled values enters them. */
static void benchmark(struct perf_report *r, const struct prices_series *c, money_t base_close)
{
    __int128 sum = 0;
    for (size_t i = 0; i < r->nmodels; i++)
        sum += r->models[i].v[0];
    money_t v0 = (money_t)(sum / (__int128)r->nmodels);
    money_t *px = mem_calloc(c->dates.n + 1, sizeof(*px));
    r->bench_v = mem_calloc(c->dates.n + 1, sizeof(*r->bench_v));
    r->bench_at = mem_calloc(c->dates.n + 1, sizeof(*r->bench_at));
    px[0] = base_close;
    r->bench_price = base_close;
    r->bench_v[0] = v0;
    r->bench_at[0] = r->bench_at_open ? -1 : date_index(&r->dates, r->base_date);
    for (size_t i = 0; i < c->dates.n; i++) {
        px[i + 1] = c->close[i];
        r->bench_v[i + 1] = scaled(v0, c->close[i], base_close);
        r->bench_at[i + 1] = date_index(&r->dates, c->dates.d[i]);
    }
    r->bench_n = c->dates.n;
    r->has_benchmark = r->bench_n > 0 && perf_metrics(px, r->bench_n, &r->bench) == 0;
    if (r->has_benchmark) {
        r->bench.start_value = v0;
        r->bench.end_value = r->bench_v[r->bench_n];
        r->bench.profit = r->bench.end_value - v0;
    }
    free(px);
}

/* Sorts l and drops repeated dates. */
static void sort_unique(struct datelist *l)
{
    size_t k = 0;
    qsort(l->d, l->n, sizeof(*l->d), cmp_date);
    for (size_t i = 0; i < l->n; i++)
        if (k == 0 || strcmp(l->d[k - 1], l->d[i]) != 0)
            memmove(l->d[k++], l->d[i], DATE_BUF);
    l->n = k;
}

/* Appends the non-empty dates of extra to l. */
static void push_all(struct datelist *l, const struct datelist *extra)
{
    for (size_t i = 0; i < extra->n; i++)
        if (extra->d[i][0])
            datelist_push(l, extra->d[i]);
}

static int by_return(const void *a, const void *b)
{
    const struct perf_model *x = a, *y = b;
    double rx = isnan(x->m.total_return_pct) ? -INFINITY : x->m.total_return_pct;
    double ry = isnan(y->m.total_return_pct) ? -INFINITY : y->m.total_return_pct;
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return strcmp(x->model, y->model);
}

/* Places each model's values on the final date list, computes the metrics,
 * the excess return and the ranks. bases[i] is model i's base day. */
static int finish_models(struct perf_report *r, const struct datelist *days,
                         const struct datelist *bases, const struct prices_series *c,
                         money_t base_close)
{
    /* Where each model day sits in r->dates: both lists are sorted and the
     * days are among the dates, so one walk places them all. */
    long *place = mem_calloc(days->n, sizeof(*place));
    for (size_t k = 0, j = 0; k < days->n; k++) {
        while (strcmp(r->dates.d[j], days->d[k]) != 0)
            j++;
        place[k] = (long)j;
    }
    for (size_t i = 0; i < r->nmodels; i++) {
        struct perf_model *m = &r->models[i];
        m->n--; /* v[0] is V_0, not a day */
        m->at[0] = bases->d[i][0] ? date_index(&r->dates, bases->d[i]) : -1;
        for (size_t t = 1; t <= m->n; t++)
            m->at[t] = place[m->at[t]];
        if (perf_metrics(m->v, m->n, &m->m) != 0) {
            free(place);
            return -1;
        }
        m->excess_return_pct = NAN;
        /* A model without a base day starts the period (see compute). */
        if (r->has_benchmark) {
            money_t b0 = close_on(c, bases->d[i], base_close);
            money_t b1 = close_on(c, r->dates.d[m->at[m->n]], base_close);
            m->excess_return_pct = m->m.total_return_pct - (double)(b1 - b0) / (double)b0 * 100.0;
        }
    }
    free(place);
    qsort(r->models, r->nmodels, sizeof(*r->models), by_return);
    for (size_t i = 0; i < r->nmodels; i++) {
        struct perf_model *m = &r->models[i], *prev = i ? m - 1 : NULL;
        int tie = prev && (prev->m.total_return_pct == m->m.total_return_pct ||
                           (isnan(prev->m.total_return_pct) && isnan(m->m.total_return_pct)));
        m->rank = tie ? prev->rank : (long)i + 1;
    }
    return 0;
}

/* Base days, QQQ, the merged dates and the metrics, once the days are read. */
static int compute(struct db *db, struct perf_report *r, char *err, size_t errlen)
{
    struct datelist days = r->dates, bases = {0};
    struct prices_series c = {0};
    money_t base_close = 0;
    enum prices_found f;
    int rc = -1;
    memset(&r->dates, 0, sizeof(r->dates));
    /* The days are in date order: the first model day and the last. */
    snprintf(r->start_date, sizeof(r->start_date), "%s", days.d[0]);
    snprintf(r->end_date, sizeof(r->end_date), "%s", days.d[days.n - 1]);
    for (size_t i = 0; i < r->nmodels; i++) {
        char base[DATE_BUF] = "";
        const char *first = days.d[r->models[i].at[1]];
        if (prices_prev_trading_day(db, first, base, err, errlen) == PRICES_ERROR ||
            datelist_push(&bases, base) != 0)
            goto out;
        if (strcmp(first, r->start_date) == 0)
            snprintf(r->base_date, sizeof(r->base_date), "%s", base);
    }
    f = r->base_date[0]
            ? prices_last_close(db, UNIVERSE_BENCHMARK, r->base_date, &base_close, err, errlen)
            : PRICES_MISSING;
    /* A store that starts with the period has no close before it: QQQ is
     * then bought at the first day's open, the first price there is. */
    r->bench_at_open = f == PRICES_MISSING;
    if (f == PRICES_MISSING)
        f = prices_open(db, UNIVERSE_BENCHMARK, r->start_date, &base_close, err, errlen);
    if (f == PRICES_ERROR ||
        (f == PRICES_FOUND && prices_closes_between(db, UNIVERSE_BENCHMARK, r->base_date,
                                                    r->end_date, &c, err, errlen) != 0))
        goto out;
    /* Dates are at most DATE_BUF long: pushing them again cannot fail. */
    push_all(&r->dates, &days);
    push_all(&r->dates, &c.dates);
    push_all(&r->dates, &bases);
    sort_unique(&r->dates);
    if (base_close > 0)
        benchmark(r, &c, base_close);
    if (finish_models(r, &days, &bases, &c, base_close) != 0) {
        err_set(err, errlen, "a model without days");
        goto out;
    }
    rc = 0;
out:
    datelist_free(&days);
    datelist_free(&bases);
    prices_series_free(&c);
    return rc;
}

int perf_load(struct db *db, const struct perf_query *q, struct perf_report *out, char *err,
              size_t errlen)
{
    struct perf_report r = {0};
    char from[DATE_BUF], to[DATE_BUF];
    enum daystore_found f = period(db, q, from, to, err, errlen);
    if (f == DAYSTORE_ERROR)
        return -1;
    if (f == DAYSTORE_FOUND && strcmp(from, to) <= 0 &&
        read_days(db, q, from, to, &r, err, errlen) != 0)
        goto fail;
    if (r.nmodels > 0 && compute(db, &r, err, errlen) != 0)
        goto fail;
    *out = r;
    return 0;
fail:
    perf_report_free(&r);
    return -1;
}

enum jobs_found perf_latest_job(struct db *db, char *out, size_t outlen, char *err, size_t errlen)
{
    return jobs_latest_with_results(db, out, outlen, err, errlen);
}

const char *perf_bench_bought(const struct perf_report *r, const char **on)
{
    *on = r->bench_at_open ? r->start_date : r->base_date;
    return r->bench_at_open ? "open" : "close";
}

/* A double, or null when NAN. Its text is fixed here (15 significant
 * digits, as trader-api serializes every double) so that traderctl prints
 * the same bytes as the API. */
static void put_number(json_object *o, const char *key, double d)
{
    char text[32];
    if (isnan(d))
        return json_put_null(o, key);
    snprintf(text, sizeof(text), "%.15g", d);
    json_put(o, key, json_object_new_double_s(d, text));
}

/* The date of value i (at maps value indexes to dates), null without one. */
static void put_date(json_object *o, const char *key, const struct perf_report *r, const long *at,
                     long i)
{
    json_put_string_or_null(o, key, i >= 0 && at[i] >= 0 ? r->dates.d[at[i]] : NULL);
}

/* An amount, or null when not known. */
static void put_money(json_object *o, const char *key, bool known, money_t v)
{
    if (known)
        json_put(o, key, money_to_json(v));
    else
        json_put_null(o, key);
}

/* The <metrics> of CONTRACT §7 into o; at maps value indexes to dates. */
static void add_metrics(json_object *o, const struct perf_metrics *m, const struct perf_report *r,
                        const long *at)
{
    /* No series (QQQ without prices): every metric null, no day. */
    static const struct perf_metrics none = {
        .total_return_pct = NAN,
        .annualized_return_pct = NAN,
        .volatility_pct = NAN,
        .sharpe = NAN,
        .sortino = NAN,
        .max_drawdown_pct = NAN,
        .calmar = NAN,
        .win_rate_pct = NAN,
        .peak = -1,
        .trough = -1,
    };
    int money = m != NULL;
    if (!m)
        m = &none;
    put_money(o, "start_value", money, m->start_value);
    put_money(o, "end_value", money, m->end_value);
    put_money(o, "profit", money, m->profit);
    put_number(o, "total_return_pct", m->total_return_pct);
    put_number(o, "annualized_return_pct", m->annualized_return_pct);
    put_number(o, "volatility_pct", m->volatility_pct);
    put_number(o, "sharpe", m->sharpe);
    put_number(o, "sortino", m->sortino);
    put_number(o, "max_drawdown_pct", m->max_drawdown_pct);
    put_date(o, "max_drawdown_peak_date", r, at, m->peak);
    put_date(o, "max_drawdown_trough_date", r, at, m->trough);
    put_number(o, "calmar", m->calmar);
    put_number(o, "win_rate_pct", m->win_rate_pct);
    json_put(o, "trading_days", json_object_new_int64(m->trading_days));
}

static json_object *model_json(const struct perf_report *r, const struct perf_model *m)
{
    json_object *o = json_new_object(), *tokens = json_new_object();
    json_put(o, "model", json_object_new_string(m->model));
    json_put(o, "rank", json_object_new_int64(m->rank));
    add_metrics(o, &m->m, r, m->at);
    put_number(o, "excess_return_pct", m->excess_return_pct);
    json_put(o, "trades", json_object_new_int64(m->trades));
    json_put(o, "fees_usd", money_to_json(m->fees));
    json_put(o, "tokens", tokens);
    json_put(tokens, "prompt", json_object_new_int64(m->prompt_tokens));
    json_put(tokens, "completion", json_object_new_int64(m->completion_tokens));
    json_put(tokens, "total", json_object_new_int64(m->total_tokens));
    put_money(o, "cost_usd", m->priced, m->cost);
    return o;
}

json_object *perf_report_json(const struct perf_report *r)
{
    json_object *o = json_new_object(), *models = json_new_array();
    json_object *bench = json_new_object();
    json_put(o, "start_date", json_object_new_string(r->start_date));
    json_put(o, "end_date", json_object_new_string(r->end_date));
    json_put_string_or_null(o, "base_date", r->base_date[0] ? r->base_date : NULL);
    /* Without QQQ prices for the period, the benchmark's fields are null. */
    json_put(o, "benchmark", bench);
    int has = r->has_benchmark;
    json_put(bench, "symbol", json_object_new_string(UNIVERSE_BENCHMARK));
    const char *on, *at = perf_bench_bought(r, &on);
    json_put_string_or_null(bench, "bought_at", has ? at : NULL);
    json_put_string_or_null(bench, "bought_on", has ? on : NULL);
    put_money(bench, "price", has, r->bench_price);
    add_metrics(bench, has ? &r->bench : NULL, r, r->bench_at);
    json_put(o, "models", models);
    for (size_t i = 0; i < r->nmodels; i++)
        json_push(models, model_json(r, &r->models[i]));
    return o;
}

/* values placed on the report's dates, null elsewhere. */
static json_object *series_of(const struct perf_report *r, const money_t *v, const long *at,
                              size_t n)
{
    json_object *a = json_object_new_array_ext((int)r->dates.n);
    if (!a)
        mem_fatal(0);
    for (size_t i = 0; i < r->dates.n; i++)
        json_push_null(a);
    for (size_t t = 0; t <= n; t++)
        if (at[t] >= 0 && json_object_array_put_idx(a, (size_t)at[t], money_to_json(v[t])) != 0)
            mem_fatal(0);
    return a;
}

json_object *perf_series_json(const struct perf_report *r)
{
    json_object *o = json_new_object(), *dates = json_new_array(), *series = json_new_object();
    json_put(o, "dates", dates);
    json_put(o, "series", series);
    for (size_t i = 0; i < r->dates.n; i++)
        json_push(dates, json_object_new_string(r->dates.d[i]));
    for (size_t i = 0; i < r->nmodels; i++) {
        const struct perf_model *m = &r->models[i];
        json_put(series, m->model, series_of(r, m->v, m->at, m->n));
    }
    if (r->has_benchmark)
        json_put(series, UNIVERSE_BENCHMARK, series_of(r, r->bench_v, r->bench_at, r->bench_n));
    return o;
}
