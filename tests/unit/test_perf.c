/* Unit tests for perf: every metric against values worked out independently,
 * and a period read from a real database.
 *
 * The expected metrics were computed with Python's decimal (50 digits) and
 * statistics modules, from the definitions of CONTRACT §7, by this script:
 *
 *   from decimal import Decimal as D, getcontext; import statistics, math
 *   getcontext().prec = 50
 *   def metrics(v):
 *       v = [D(x) for x in v]; n = len(v) - 1
 *       r = [v[t] / v[t-1] - 1 for t in range(1, n + 1)]
 *       tot = v[n] / v[0] - 1; ann = float(v[n] / v[0]) ** (252 / n) - 1
 *       vol = statistics.stdev(r) * D(252).sqrt() if n > 1 else None
 *       mean = statistics.fmean([float(x) for x in r])
 *       sd = statistics.stdev([float(x) for x in r]) if n > 1 else None
 *       sharpe = mean / sd * math.sqrt(252) if sd else None
 *       dn = math.sqrt(sum(min(float(x), 0) ** 2 for x in r) / n)
 *       sortino = mean / dn * math.sqrt(252) if dn else None
 *       mdd = min(v[t] / max(v[:t+1]) - 1 for t in range(n + 1))
 *       calmar = ann / abs(float(mdd)) if mdd else None
 *       win = sum(1 for x in r if x > 0) / n
 *
 * The database case is worked by hand in its comments. Last, every query
 * that perf and a /results range ran is checked to search an index (no full
 * scan, no sort): its plan is printed as TAP comments. */
#include "service/perf.h"
#include "service/results.h"

#include "simfixture.h"
#include "tap.h"

#include <math.h>
#include <sqlite3.h>

#define D(x) ((money_t)(x)*MONEY_SCALE)

static struct fixture fx;

/* got within 1e-9 (relative) of want; NAN matches NAN only. */
static void is_num(double got, double want, const char *name)
{
    int same = isnan(want) ? isnan(got) : fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want));
    if (!ok(same, "%s", name))
        printf("#   got %.17g, want %.17g\n", got, want);
}

static void check_series(void)
{
    struct perf_metrics m;
    /* Up and down: 10000 10100 9999 10200 9800 10300. */
    const money_t v[] = {D(10000), D(10100), D(9999), D(10200), D(9800), D(10300)};
    ok(perf_metrics(v, 5, &m) == 0, "five days");
    is_int(m.trading_days, 5, "  trading days");
    is_int(m.start_value, D(10000), "  start value");
    is_int(m.end_value, D(10300), "  end value");
    is_int(m.profit, D(300), "  profit");
    is_num(m.total_return_pct, 3.0, "  total return");
    is_num(m.annualized_return_pct, 343.6046859870149, "  annualized");
    is_num(m.volatility_pct, 53.48928913075082, "  volatility");
    is_num(m.sharpe, 3.0063949688951834, "  sharpe");
    is_num(m.sortino, 5.597033073342425, "  sortino");
    is_num(m.max_drawdown_pct, -3.9215686274509802, "  max drawdown 10200 -> 9800");
    is_int(m.peak, 3, "  peak at day 3");
    is_int(m.trough, 4, "  trough at day 4");
    is_num(m.calmar, 87.61919492668879, "  calmar");
    is_num(m.win_rate_pct, 60.0, "  win rate 3 of 5");

    /* One day: no sample deviation, no losing day, no drawdown. */
    const money_t one[] = {D(10000), D(10100)};
    ok(perf_metrics(one, 1, &m) == 0, "one day");
    is_num(m.total_return_pct, 1.0, "  total return");
    is_num(m.annualized_return_pct, 1127.4002099240245, "  annualized 1.01^252 - 1");
    is_num(m.volatility_pct, NAN, "  volatility null (n - 1 = 0)");
    is_num(m.sharpe, NAN, "  sharpe null");
    is_num(m.sortino, NAN, "  sortino null (no downside)");
    is_num(m.max_drawdown_pct, 0.0, "  no drawdown");
    is_int(m.peak, -1, "  no peak date");
    is_num(m.calmar, NAN, "  calmar null");
    is_num(m.win_rate_pct, 100.0, "  win rate");

    /* Flat: every ratio over a deviation is null, volatility is 0. */
    const money_t flat[] = {D(10000), D(10000), D(10000)};
    ok(perf_metrics(flat, 2, &m) == 0, "flat series");
    is_num(m.total_return_pct, 0.0, "  total return 0");
    is_num(m.annualized_return_pct, 0.0, "  annualized 0");
    is_num(m.volatility_pct, 0.0, "  volatility 0");
    is_num(m.sharpe, NAN, "  sharpe null (sd 0)");
    is_num(m.sortino, NAN, "  sortino null");
    is_num(m.max_drawdown_pct, 0.0, "  no drawdown");
    is_num(m.calmar, NAN, "  calmar null");
    is_num(m.win_rate_pct, 0.0, "  win rate 0 (a flat day is not a win)");

    /* Every day negative. */
    const money_t down[] = {D(10000), D(9900), D(9800), D(9700)};
    ok(perf_metrics(down, 3, &m) == 0, "all-negative days");
    is_num(m.total_return_pct, -3.0, "  total return");
    is_num(m.annualized_return_pct, -92.25849001347545, "  annualized");
    is_num(m.volatility_pct, 0.1619875286854113, "  volatility");
    is_num(m.sharpe, -1571.4961060807764, "  sharpe");
    is_num(m.sortino, -15.873967944689756, "  sortino");
    is_num(m.max_drawdown_pct, -3.0, "  max drawdown");
    is_int(m.peak, 0, "  peak at V0");
    is_int(m.trough, 3, "  trough at the last day");
    is_num(m.calmar, -30.75283000449182, "  calmar");
    is_num(m.win_rate_pct, 0.0, "  win rate");

    ok(perf_metrics(v, 0, &m) == -1, "no day: refused");
}

/* One positions row; returns its id. */
static long long day(const char *job, const char *date, const char *model, int value, int prev,
                     const char *cost)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,"
             "daily_profit,daily_return_pct,prompt_tokens,completion_tokens,total_tokens,"
             "created_at,cost) VALUES('%s','%s','%s',0,%lld,%lld,0,0,100,50,150,'t',%s)",
             job, date, model, D(value), D(prev), cost);
    if (fx_exec(fx.db, sql) != 0)
        return -1;
    return fx_intf(fx.db, "SELECT id FROM positions WHERE model = '%s' AND date = '%s'", model,
                   date);
}

static int setup(void)
{
    /* QQQ closes; 2025-01-02 is the base day of the whole period. */
    const char *closes[][2] = {{"2025-01-02", "100.0"},
                               {"2025-01-03", "102.0"},
                               {"2025-01-06", "101.0"},
                               {"2025-01-07", "105.0"},
                               {"2025-01-08", "104.0"}};
    char sql[256];
    for (size_t i = 0; i < 5; i++)
        if (fx_bar(fx.db, "QQQ", closes[i][0], "99.0", closes[i][1]) != 0)
            return -1;
    if (fx_exec(fx.db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                       " VALUES('j1','c','completed','[]','[]','2025-01-09T00:00:00.000Z'),"
                       " ('j2','c','completed','[]','[]','2025-01-09T00:00:01.000Z')") != 0)
        return -1;
    /* a: every day, 2 trades on its first, priced at $0.001 a day. */
    long long id = day("j1", "2025-01-03", "a", 10100, 10000, "1000");
    snprintf(sql, sizeof(sql),
             "INSERT INTO trades(position_id,seq,action,symbol,amount,price,total)"
             " VALUES(%lld,1,'buy','AAPL',1,1,1),(%lld,2,'sell','AAPL',1,1,1);"
             " UPDATE positions SET ntrades = 2, fees = 1500 WHERE id = %lld",
             id, id, id);
    if (id < 0 || fx_exec(fx.db, sql) != 0 ||
        day("j1", "2025-01-06", "a", 10050, 10100, "1000") < 0 ||
        day("j1", "2025-01-07", "a", 10300, 10050, "1000") < 0 ||
        day("j1", "2025-01-08", "a", 10200, 10300, "1000") < 0)
        return -1;
    /* b: starts on 01-06, misses 01-07 (a failed day), no pricing. */
    if (day("j2", "2025-01-06", "b", 9950, 10000, "NULL") < 0 ||
        day("j2", "2025-01-08", "b", 9900, 9950, "NULL") < 0)
        return -1;
    return 0;
}

static const struct perf_model *find(const struct perf_report *r, const char *model)
{
    for (size_t i = 0; i < r->nmodels; i++)
        if (strcmp(r->models[i].model, model) == 0)
            return &r->models[i];
    return NULL;
}

static void check_period(void)
{
    char err[512] = "";
    struct perf_report r;
    struct perf_query q = {0};
    ok(perf_load(fx.db, &q, &r, err, sizeof(err)) == 0, "whole history: %s", err);
    is_int(r.nmodels, 2, "  two models");
    is_str(r.start_date, "2025-01-03", "  first day");
    is_str(r.end_date, "2025-01-08", "  last day");
    is_str(r.base_date, "2025-01-02", "  base day");
    is_str(r.models[0].model, "a", "  a ranks first");
    is_int(r.models[0].rank, 1, "  rank 1");
    is_int(r.models[1].rank, 2, "  b rank 2");
    const struct perf_model *a = find(&r, "a"), *b = find(&r, "b");
    /* a: 10000 -> 10200 = +2 %; QQQ 100 -> 104 = +4 %: excess -2. */
    is_num(a->m.total_return_pct, 2.0, "  a +2 %");
    is_num(a->excess_return_pct, -2.0, "  a excess -2");
    is_int(a->trades, 2, "  a 2 trades");
    is_int(a->fees, 1500, "  a's fees");
    is_int(a->prompt_tokens, 400, "  a prompt tokens");
    is_int(a->completion_tokens, 200, "  a completion tokens");
    is_int(a->total_tokens, 600, "  a total tokens");
    ok(a->priced && a->cost == 4000, "  a cost $0.004");
    /* b starts later, base 01-03; its missing 01-07 leaves 2 days:
     * 10000 -> 9950 -> 9900 = -1 %, QQQ over its days 102 -> 104. */
    is_int(b->m.trading_days, 2, "  b 2 days (one missing)");
    is_num(b->m.total_return_pct, -1.0, "  b -1 %");
    is_num(b->excess_return_pct, -1.0 - 2.0 / 102.0 * 100.0, "  b excess against its own days");
    is_num(b->m.max_drawdown_pct, -1.0, "  b drawdown -1 %");
    is_str(r.dates.d[b->at[b->m.peak]], "2025-01-03", "  b peak at its base day");
    is_str(r.dates.d[b->at[b->m.trough]], "2025-01-08", "  b trough 01-08");
    ok(!b->priced && b->trades == 0, "  b unpriced, no trades");
    /* QQQ from 10000 (both V0) at 100: 10200 10100 10500 10400. */
    ok(r.has_benchmark, "  benchmark");
    is_int(r.bench.trading_days, 4, "  QQQ 4 days");
    is_int(r.bench.end_value, D(10400), "  QQQ end value");
    is_num(r.bench.total_return_pct, 4.0, "  QQQ +4 %");
    is_num(r.bench.max_drawdown_pct, (10100.0 / 10200.0 - 1) * 100, "  QQQ drawdown");
    json_object *s = perf_series_json(&r);
    is_str(
        json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN),
        "{\"dates\":[\"2025-01-02\",\"2025-01-03\",\"2025-01-06\",\"2025-01-07\",\"2025-01-08\"],"
        "\"series\":{\"a\":[10000.0,10100.0,10050.0,10300.0,10200.0],"
        "\"b\":[null,10000.0,9950.0,null,9900.0],"
        "\"QQQ\":[10000.0,10200.0,10100.0,10500.0,10400.0]}}",
        "  series: V0 at each base day, null where a model has no value");
    json_object_put(s);
    json_object *j = perf_report_json(&r),
                *m0 = json_object_array_get_idx(json_object_object_get(j, "models"), 1);
    is_str(json_object_to_json_string(json_object_object_get(m0, "cost_usd")), "null",
           "  json: unpriced cost null");
    is_str(json_object_to_json_string(json_object_object_get(m0, "sortino")), "-15.8744580098129",
           "  json: sortino");
    json_object_put(j);
    perf_report_free(&r);

    const char *only_b[] = {"b"};
    q = (struct perf_query){.models = only_b, .nmodels = 1};
    ok(perf_load(fx.db, &q, &r, err, sizeof(err)) == 0 && r.nmodels == 1, "models=b");
    is_str(r.base_date, "2025-01-03", "  base day is b's");
    is_num(r.bench.total_return_pct, 2.0 / 102.0 * 100.0, "  QQQ from 102");
    perf_report_free(&r);

    q = (struct perf_query){.job_id = "j1", .start_date = "2025-01-07"};
    ok(perf_load(fx.db, &q, &r, err, sizeof(err)) == 0 && r.nmodels == 1, "job j1 from 01-07");
    is_str(r.base_date, "2025-01-06", "  base day 01-06");
    is_int(r.models[0].m.start_value, D(10050), "  V0 = the 01-06 close");
    is_num(r.bench.total_return_pct, 3.0 / 101.0 * 100.0, "  QQQ 101 -> 104");
    perf_report_free(&r);

    q = (struct perf_query){.end_date = "2025-01-03"};
    ok(perf_load(fx.db, &q, &r, err, sizeof(err)) == 0 && r.nmodels == 1 && !find(&r, "b"),
       "b has no day up to 01-03: absent");
    perf_report_free(&r);

    q = (struct perf_query){.job_id = "nope"};
    ok(perf_load(fx.db, &q, &r, err, sizeof(err)) == 0 && r.nmodels == 0, "unknown job: empty");
    perf_report_free(&r);
}

/* Every statement db has prepared so far searches an index. */
static void check_plans(void)
{
    for (size_t i = 0; i < fx.db->ncache; i++) {
        char sql[2048];
        sqlite3_stmt *st = NULL;
        int scans = 0, rows = 0;
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", fx.db->cache[i].sql);
        if (sqlite3_prepare_v2(fx.db->h, sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        printf("# %.100s\n", sql + 19);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            printf("#   %s\n", detail);
            /* A full scan of a table or index, or a sort; not the one row
             * a SELECT of subqueries starts from. */
            scans +=
                (strncmp(detail, "SCAN ", 5) == 0 && strcmp(detail, "SCAN CONSTANT ROW") != 0) ||
                strstr(detail, "TEMP B-TREE") != NULL;
            rows++;
        }
        sqlite3_finalize(st);
        ok(rows > 0 && scans == 0, "query plan %zu: index searches only", i + 1);
    }
}

int main(void)
{
    check_series();
    if (fx_open(&fx) != 0 || setup() != 0)
        return 1;
    check_period();
    struct results_query rq = {.start_date = "2025-01-03", .end_date = "2025-01-07", .limit = 10};
    json_object *rs = json_object_new_array();
    char err[512] = "";
    long long total = 0;
    char first[DATE_BUF], last[DATE_BUF];
    ok(results_list(fx.db, &rq, rs, err, sizeof(err)) == 0 && json_object_array_length(rs) == 4 &&
           results_count(fx.db, &rq, &total, first, last, err, sizeof(err)) == 0 && total == 4 &&
           strcmp(first, "2025-01-03") == 0 && strcmp(last, "2025-01-07") == 0,
       "results 01-03 .. 01-07: 4 days %s", err);
    json_object_put(rs);
    check_plans();
    /* Only traderctl's default: a scan of the jobs table is fine. */
    char job[64];
    ok(perf_latest_job(fx.db, job, sizeof(job), err, sizeof(err)) == JOBS_FOUND &&
           strcmp(job, "j2") == 0,
       "latest job with results: j2");

    /* No QQQ prices at all: the benchmark is there, its numbers null. */
    struct perf_report r;
    struct perf_query all = {0};
    ok(fx_exec(fx.db, "DELETE FROM prices") == 0 &&
           perf_load(fx.db, &all, &r, err, sizeof(err)) == 0 && r.nmodels == 2 && !r.has_benchmark,
       "no QQQ prices: the models, no benchmark");
    json_object *j = perf_report_json(&r), *b = json_object_object_get(j, "benchmark");
    is_str(
        json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN),
        "{\"symbol\":\"QQQ\",\"bought_at\":null,\"bought_on\":null,\"price\":null,"
        "\"start_value\":null,\"end_value\":null,\"profit\":null,\"total_return_pct\":null,"
        "\"annualized_return_pct\":null,\"volatility_pct\":null,\"sharpe\":null,\"sortino\":null,"
        "\"max_drawdown_pct\":null,\"max_drawdown_peak_date\":null,"
        "\"max_drawdown_trough_date\":null,\"calmar\":null,\"win_rate_pct\":null,"
        "\"trading_days\":0}",
        "  json: QQQ with null metrics");
    ok(isnan(r.models[0].excess_return_pct), "  no excess return");
    const char *on, *at = perf_bench_bought(&r, &on);
    ok(strcmp(at, "open") == 0 && on == r.start_date,
       "  bought at the open of the first day when no close precedes it");
    r.bench_at_open = 0;
    at = perf_bench_bought(&r, &on);
    ok(strcmp(at, "close") == 0 && on == r.base_date, "  else at the close of the base day");
    json_object_put(j);
    perf_report_free(&r);
    fx_close(&fx);
    return tap_done();
}
