/* cmd_leaderboard: `traderctl leaderboard [--job ID] [--start DATE] [--end
 * DATE] [--models A,B] [--json]`, how the models did over a period against
 * QQQ bought at the base day's close and held: the metrics of GET
 * /performance (perf.h computes them; --json prints the same body). Default
 * period: the days of the latest job with results. */
#include "traderctl.h"

#include "service/config.h"
#include "base/dates.h"
#include "base/errbuf.h"
#include "base/money.h"
#include "service/perf.h"
#include "market/universe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A ratio as text with decimals and suffix ("+" signed when sign), "-"
 * when undefined. */
static const char *fmt(char buf[24], double d, int decimals, int sign, const char *suffix)
{
    if (isnan(d))
        return "-";
    snprintf(buf, 24, sign ? "%+.*f%s" : "%.*f%s", decimals, d, suffix);
    return buf;
}

static void print_row(const char *rank, const char *name, const struct perf_metrics *m,
                      double excess, const char *trades, const char *cost)
{
    char b[7][24];
    printf("%-4s %-22s %5lld %12.2f %12.2f %9s %8s %9s %7s %7s %9s %5s %6s %10s\n", rank, name,
           m->trading_days, money_to_double(m->start_value), money_to_double(m->end_value),
           fmt(b[0], m->total_return_pct, 2, 1, "%"), fmt(b[1], excess, 2, 1, ""),
           fmt(b[2], m->annualized_return_pct, 1, 1, "%"), fmt(b[3], m->sharpe, 2, 0, ""),
           fmt(b[4], m->sortino, 2, 0, ""), fmt(b[5], m->max_drawdown_pct, 2, 0, "%"),
           fmt(b[6], m->win_rate_pct, 0, 0, "%"), trades, cost);
}

static void print_table(const struct perf_report *r, const char *job)
{
    char rank[24], trades[24], cost[MONEY_FMT_MAX + 1];
    const char *on, *at = perf_bench_bought(r, &on);
    printf("Leaderboard%s%s: %s .. %s, QQQ bought at the %s of %s\n\n", job ? " of job " : "",
           job ? job : "", r->start_date, r->end_date, at, on);
    printf("%-4s %-22s %5s %12s %12s %9s %8s %9s %7s %7s %9s %5s %6s %10s\n", "rank", "model",
           "days", "start value", "end value", "return", "vs QQQ", "annual", "sharpe", "sortino",
           "max dd", "win", "trades", "cost $");
    for (size_t i = 0; i < r->nmodels; i++) {
        const struct perf_model *m = &r->models[i];
        snprintf(rank, sizeof(rank), "%ld", m->rank);
        if (m->priced)
            money_format(m->cost, cost, sizeof(cost));
        else
            snprintf(cost, sizeof(cost), "-");
        snprintf(trades, sizeof(trades), "%lld", m->trades);
        print_row(rank, m->model, &m->m, m->excess_return_pct, trades, cost);
    }
    if (r->has_benchmark)
        print_row("-", "QQQ buy and hold", &r->bench, NAN, "", "");
    else
        printf("-    QQQ buy and hold: no QQQ close on the base day\n");
}

int cmd_leaderboard(const struct ctl *ctl, int argc, char **argv)
{
    char err[ERRBUF_SIZE], latest[128], buf[1024];
    const char *models = NULL, *names[CONFIG_MODELS_MAX];
    struct perf_query q = {.models = names};
    struct perf_report r = {0};
    int json = 0, rc = -1;
    struct db *db;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (opt_value(argc, argv, &i, "--job", &q.job_id) != OPT_MATCHED &&
                 opt_value(argc, argv, &i, "--start", &q.start_date) != OPT_MATCHED &&
                 opt_value(argc, argv, &i, "--end", &q.end_date) != OPT_MATCHED &&
                 opt_value(argc, argv, &i, "--models", &models) != OPT_MATCHED)
            return ctl_usage(ctl);
    }
    if ((q.start_date && !date_valid(q.start_date)) || (q.end_date && !date_valid(q.end_date)))
        return ctl_fail("--start and --end take real dates, YYYY-MM-DD");
    if (models) {
        snprintf(buf, sizeof(buf), "%s", models);
        if (strlen(models) >= sizeof(buf) ||
            perf_split_models(buf, names, CONFIG_MODELS_MAX, &q.nmodels) != 0)
            return ctl_fail("--models takes up to %d comma-separated signatures",
                            CONFIG_MODELS_MAX);
        for (size_t i = 0; i < q.nmodels; i++)
            if (!config_signature_valid(names[i]))
                return ctl_fail("--models: \"%s\" is not a model signature", names[i]);
    }
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    if (!q.job_id && !q.start_date && !q.end_date) {
        enum jobs_found f = perf_latest_job(db, latest, sizeof(latest), err, sizeof(err));
        if (f == JOBS_MISSING)
            err_set(err, sizeof(err), "no job has results yet");
        if (f != JOBS_FOUND)
            goto out;
        q.job_id = latest;
    }
    if (perf_load(db, &q, &r, err, sizeof(err)) != 0)
        goto out;
    rc = 0;
    if (r.nmodels == 0) {
        rc = err_set(err, sizeof(err), "no results for %s", q.job_id ? "this job" : "these dates");
    } else if (json) {
        json_object *o = perf_report_json(&r);
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        print_table(&r, q.job_id);
    }
out:
    perf_report_free(&r);
    db_close(db);
    return rc == 0 ? CTL_OK : ctl_fail("%s", err);
}
