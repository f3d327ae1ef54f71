/* Every query of the table-owner modules (jobs, daystore, access, callback,
 * audit, dataver, prices, heartbeat) runs on both engines with the same answers: one
 * scenario through their functions writes a transcript of what each call
 * returned, on a SQLite file and, when $TRADER_TEST_DATABASE_URL names a
 * PostgreSQL database (or $TRADER_TEST_PG_DIR a tests/pgcluster.sh
 * cluster), there too, in a schema of its own dropped at the end; the
 * transcripts must be equal. Times the modules take from the clock, and
 * random ids, stay out of the transcript. */
#include "market/prices.h"
#include "service/access.h"
#include "service/audit.h"
#include "service/callback.h"
#include "service/daystore.h"
#include "service/heartbeat.h"
#include "service/jobplan.h"
#include "service/jobs.h"
#include "store/dataver.h"

#include "base/mem.h"

#include "pgtest.h"
#include "tap.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

static char err[512];
static char script[32768]; /* the transcript of the engine being run */
static size_t used;
static int errors;

/* Appends one line to the transcript. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(script + used, sizeof(script) - used, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(script) - used - 1) {
        used += (size_t)n;
        script[used++] = '\n';
        script[used] = '\0';
    }
}

/* Notes a call's result code (and err when it failed) in the transcript. */
static void rc_is(const char *what, int rc)
{
    if (rc < 0) {
        errors++;
        printf("# %s: %s\n", what, err);
    }
    say("%s: %d", what, rc);
}

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

/* --- prices ------------------------------------------------------------- */

static void bar(struct db *db, const char *symbol, const char *date, const char *open,
                const char *close, money_t open_micro, money_t close_micro)
{
    struct prices_newbar b = {
        symbol, date, {open, NULL, NULL, close, NULL}, open_micro, close_micro};
    rc_is("compare bar", prices_compare_bar(db, &b, err, sizeof(err)));
    rc_is("put bar", prices_put_bar(db, &b, err, sizeof(err)));
}

static void prices(struct db *db)
{
    struct datelist days = {0};
    struct bar bars[4];
    struct prices_info info;
    struct prices_summary sum;
    struct prices_series series = {0};
    struct prices_split *splits = NULL;
    char d[DATE_BUF] = "", recent[3][DATE_BUF];
    size_t n = 0;
    money_t m = 0;
    long long count = 0;
    bar(db, "AAA", "2025-01-02", "10.0", "11.0", 10000000, 11000000);
    bar(db, "AAA", "2025-01-03", "11.0", "12.0", 11000000, 12000000);
    bar(db, "AAA", "2025-01-04", "12.0", "12.5", 12000000, 12500000); /* a Saturday */
    bar(db, "AAA", "2025-01-06", "12.5", NULL, 12500000, 0);
    bar(db, "AAA", "2025-01-06", "12.5", NULL, 12500000, 0); /* the same again */
    bar(db, "BBB", "2025-01-03", "20.0", "21.0", 20000000, 21000000);
    bar(db, "BBB", "2025-01-03", "20.5", NULL, 20500000, 0); /* keeps the close */
    rc_is("symbol", prices_put_symbol(db, "AAA", "aitrader", NULL, "t1", true, err, sizeof(err)));
    rc_is("symbol", prices_put_symbol(db, "BBB", "synthetic", "r", "t1", true, err, sizeof(err)));
    rc_is("symbol kept",
          prices_put_symbol(db, "BBB", "alphavantage", "r2", "t2", false, err, sizeof(err)));
    rc_is("compare split", prices_compare_split(db, "AAA", "2025-01-03", "2.0", err, sizeof(err)));
    rc_is("split",
          prices_put_split(db, "AAA", "2025-01-03", "2.0", 2000000, "t", err, sizeof(err)));
    rc_is("compare split", prices_compare_split(db, "AAA", "2025-01-03", "2.0", err, sizeof(err)));
    rc_is("count synthetic", prices_count_symbols(db, true, &count, err, sizeof(err)));
    say("  %lld", count);
    rc_is("count others", prices_count_symbols(db, false, &count, err, sizeof(err)));
    say("  %lld", count);
    rc_is("open", prices_open(db, "AAA", "2025-01-03", &m, err, sizeof(err)));
    say("  %lld", (long long)m);
    rc_is("close", prices_close(db, "AAA", "2025-01-06", &m, err, sizeof(err)));
    rc_is("last close", prices_last_close(db, "AAA", "2025-01-06", &m, err, sizeof(err)));
    say("  %lld", (long long)m);
    rc_is("bars",
          prices_bars(db, "BBB", "2025-01-01", "2025-01-09", bars, 4, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s %s %s %lld %lld", bars[i].date, bars[i].open, bars[i].close,
            (long long)bars[i].open_micro, (long long)bars[i].close_micro);
    rc_is("trading days",
          prices_trading_days(db, "2025-01-01", "2025-01-31", &days, err, sizeof(err)));
    for (size_t i = 0; i < days.n; i++)
        say("  %s", days.d[i]);
    datelist_free(&days);
    rc_is("latest day", prices_latest_trading_day(db, "2025-01-05", d, err, sizeof(err)));
    say("  %s", d);
    rc_is("next day", prices_next_trading_day(db, "2025-01-02", d, err, sizeof(err)));
    say("  %s", d);
    rc_is("prev day", prices_prev_trading_day(db, "2025-01-03", d, err, sizeof(err)));
    say("  %s", d);
    rc_is("recent", prices_recent_dates(db, "AAA", "2025-01-06", recent, 3, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s", recent[i]);
    rc_is("closes",
          prices_closes_between(db, "AAA", "2025-01-02", "2025-01-31", &series, err, sizeof(err)));
    for (size_t i = 0; i < series.dates.n; i++)
        say("  %s %lld", series.dates.d[i], (long long)series.close[i]);
    prices_series_free(&series);
    rc_is("splits", prices_splits(db, "2025-01-01", "2025-01-31", &splits, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s %s %s %lld", splits[i].symbol, splits[i].date, splits[i].factor,
            (long long)splits[i].factor_micro);
    free(splits);
    rc_is("info", prices_info(db, &info, err, sizeof(err)));
    say("  %lld %lld %lld %lld %lld %lld %lld %s %s", info.symbols, info.bars, info.trading_days,
        info.alphavantage, info.aitrader, info.synthetic, info.splits, info.first, info.last);
    rc_is("summary", prices_summary(db, &sum, err, sizeof(err)));
    say("  %lld %s %s %d", sum.symbols, sum.first, sum.last, sum.synthetic);
}

/* --- jobs and their stored days ----------------------------------------- */

static const struct jobplan_day DAYS[] = {
    {"2025-01-02", "m1"}, {"2025-01-02", "m2"}, {"2025-01-03", "m1"}, {"2025-01-03", "m2"}};

static void insert_job(struct db *db, const char *id, const char *at, const char *callback)
{
    struct jobs_new job = {.job_id = id,
                           .config_path = "c.json",
                           .config_json = "{}",
                           .date_range = "[\"2025-01-02\",\"2025-01-03\"]",
                           .models = "[\"m1\",\"m2\"]",
                           .replace_existing = true,
                           .created_at = at,
                           .callback_url = callback,
                           .days = DAYS,
                           .ndays = 4};
    rc_is("begin", db_begin_immediate(db, err, sizeof(err)));
    rc_is("insert job", jobs_insert(db, &job, err, sizeof(err)));
    rc_is("commit", db_commit(db, err, sizeof(err)));
}

static void detail(const struct jobs_detail_row *r, void *ctx)
{
    (void)ctx;
    say("  %s %s %s %s %s %d %g %s", r->date, r->model, r->status, r->started_at ? "t" : "-",
        r->completed_at ? "t" : "-", r->has_duration, r->duration_seconds, or_null(r->error));
}

static void view(struct db *db, const char *id)
{
    struct jobs_row r;
    int found = jobs_view_job(db, id, &r, err, sizeof(err));
    rc_is("view", found);
    if (found != JOBS_FOUND)
        return;
    say("  %s %s %s %s %s %s %d %s %s %s", r.job_id, r.status, r.date_range, r.models,
        or_null(r.warnings), r.started_at ? "t" : "-", r.has_duration, or_null(r.error),
        or_null(r.callback_url), or_null(r.callback_status));
    say("  %lld %lld %lld %lld %s %s %s", r.total, r.completed, r.failed, r.running,
        or_null(r.current_date), or_null(r.current_model), r.cancel_requested_at ? "t" : "-");
    for (size_t i = 0; i < r.nat; i++)
        say("  %s %s %s", r.at[i].model, or_null(r.at[i].running), or_null(r.at[i].next));
    jobs_row_free(&r);
    rc_is("details", jobs_each_detail(db, id, NULL, 10, 0, detail, NULL, err, sizeof(err)));
    rc_is("failed details",
          jobs_each_detail(db, id, "failed", 10, 0, detail, NULL, err, sizeof(err)));
}

static int day_row(const struct daystore_day *d, void *arg)
{
    (void)arg;
    say("  %s %s %s %lld %lld %lld %lld %g %d %d %s %lld %d %lld %s", d->model, d->date, d->job_id,
        (long long)d->cash, (long long)d->pnl.value, (long long)d->pnl.prev,
        (long long)d->pnl.profit, d->pnl.return_pct, d->total_steps, d->stop_signal,
        or_null(d->reasoning_summary), d->total_tokens, d->priced, (long long)d->cost,
        or_null(d->log_file_path));
    return 0;
}

static int sums_row(const struct daystore_sums *s, void *arg)
{
    (void)arg;
    say("  %s %s %lld %lld %lld %lld %d %lld %lld", s->model, s->date, (long long)s->value,
        (long long)s->prev, s->total_tokens, s->ntrades, s->priced, (long long)s->cost,
        (long long)s->fees);
    return 0;
}

static int holding_row(const char *symbol, int64_t shares, void *arg)
{
    (void)arg;
    say("  holding %s %lld", symbol, (long long)shares);
    return 0;
}

static int trade_row(const struct daystore_trade *t, void *arg)
{
    (void)arg;
    say("  trade %d %s %s %lld %lld %lld %lld", t->seq, t->action, t->symbol, (long long)t->amount,
        (long long)t->price, (long long)t->total, (long long)t->fee);
    return 0;
}

static int split_row(const struct splits_applied *s, void *arg)
{
    (void)arg;
    say("  split %s %s %s %lld %lld", s->symbol, s->date, s->factor, (long long)s->before,
        (long long)s->after);
    return 0;
}

static int tool_row(const struct daystore_tool *t, void *arg)
{
    (void)arg;
    say("  tool %s %lld %lld %g", t->name, (long long)t->calls, (long long)t->errors, t->total_ms);
    return 0;
}

static int message_row(const struct daystore_message *m, void *arg)
{
    (void)arg;
    say("  message %d %s %s %s %s %s %d", m->step, m->role, or_null(m->content),
        or_null(m->tool_name), or_null(m->message_json), m->timestamp, m->completion);
    return 0;
}

/* Stores the model-day of job id, with a trade, a holding, a split, a tool
 * and two messages when full. */
static void store_day(struct db *db, const char *id, const char *date, const char *model, bool full)
{
    const struct daystore_trade trades[] = {{1, "buy", "AAA", 3, 10000000, 30000000, 5000}};
    const struct splits_applied splits[] = {
        {"AAA", "2025-01-03", "2.0", 2000000, 1, 2, 10000000, 0}};
    const struct daystore_message msgs[] = {
        {0, "user", "go", NULL, NULL, NULL, "2025-01-02T00:00:00.000Z", -1},
        {1, "tool", "{}", "get_price", "c1", "{\"role\":\"tool\"}", "2025-01-02T00:00:01.000Z", 1}};
    const struct daystore_tool tools[] = {{"get_price", 2, 1, 1.5}};
    struct portfolio pf;
    long long pos = 0;
    portfolio_init(&pf, 70000000);
    if (full)
        portfolio_set(&pf, "AAA", 3);
    struct daystore_day d = {.job_id = id,
                             .date = date,
                             .model = model,
                             .cash = pf.cash,
                             .pnl = {100500000, 100000000, 500000, 0.5},
                             .total_steps = 2,
                             .stop_signal = full,
                             .reasoning_summary = full ? "bought" : NULL,
                             .prompt_tokens = 7,
                             .completion_tokens = 8,
                             .total_tokens = 15,
                             .priced = full,
                             .cost = full ? 1234 : 0,
                             .created_at = "2025-01-02T00:00:02.000Z",
                             .trades = trades,
                             .ntrades = full ? 1 : 0,
                             .holdings = &pf,
                             .messages = msgs,
                             .nmessages = full ? 2 : 0,
                             .tools = tools,
                             .ntools = full ? 1 : 0,
                             .splits = splits,
                             .nsplits = full ? 1 : 0};
    rc_is("begin", db_begin_immediate(db, err, sizeof(err)));
    rc_is("replace", jobs_replace_results(db, id, model, date, err, sizeof(err)));
    rc_is("store day", daystore_insert(db, &d, &pos, err, sizeof(err)));
    rc_is("complete day", jobs_day_complete(db, id, date, model, 1.5, err, sizeof(err)));
    rc_is("commit", db_commit(db, err, sizeof(err)));
    say("  position id %s", pos > 0 ? "set" : "missing");
    portfolio_free(&pf);
}

static void stored_days(struct db *db)
{
    struct daystore_filter all = {.limit = -1};
    struct daystore_filter some = {.from = "2025-01-03", .model = "m1", .job_id = "j2", .limit = 5};
    struct daystore_rows rows = {holding_row, split_row, trade_row, tool_row, message_row, NULL};
    struct datelist dates = {0};
    struct portfolio pf;
    char first[DATE_BUF] = "", last[DATE_BUF] = "", job[JOBS_ID_MAX] = "";
    long long total = 0, id = 0;
    money_t cash = 0, value = 0;
    rc_is("days", daystore_days(db, &all, day_row, NULL, err, sizeof(err)));
    rc_is("some days", daystore_days(db, &some, day_row, NULL, err, sizeof(err)));
    rc_is("count", daystore_count(db, &all, &total, first, last, err, sizeof(err)));
    say("  %lld %s %s", total, first, last);
    rc_is("count some", daystore_count(db, &some, &total, first, last, err, sizeof(err)));
    say("  %lld %s %s", total, first, last);
    rc_is("latest", daystore_latest_date(db, NULL, NULL, first, err, sizeof(err)));
    rc_is("latest m2 of j2", daystore_latest_date(db, "m2", "j2", first, err, sizeof(err)));
    say("  %s", first);
    rc_is("span", daystore_job_span(db, "j2", first, last, err, sizeof(err)));
    say("  %s %s", first, last);
    rc_is("no span", daystore_job_span(db, "j1", first, last, err, sizeof(err)));
    rc_is("find", daystore_find(db, "m1", "2025-01-02", &id, job, sizeof(job), err, sizeof(err)));
    say("  %s", job);
    rc_is("rows", daystore_each_row(db, id, &rows, err, sizeof(err)));
    rc_is("holdings", daystore_holdings(db, id, 5, &pf, err, sizeof(err)));
    say("  %lld %zu", (long long)pf.cash, pf.n);
    portfolio_free(&pf);
    rc_is("last before", daystore_last_before(db, "m1", "2025-01-03", &id, &cash, &value, first,
                                              err, sizeof(err)));
    say("  %lld %lld %s", (long long)cash, (long long)value, first);
    rc_is("sums", daystore_each_sums(db, "2025-01-01", "2025-01-31", NULL, sums_row, NULL, err,
                                     sizeof(err)));
    rc_is("sums of j2", daystore_each_sums(db, "2025-01-01", "2025-01-31", "j2", sums_row, NULL,
                                           err, sizeof(err)));
    rc_is("last except", daystore_last_date_except(db, "m1", "[\"j2\"]", first, err, sizeof(err)));
    say("  %s", first);
    rc_is("dates except", daystore_dates_except(db, "m1", "2025-01-01", "2025-01-31", "[\"j3\"]",
                                                &dates, err, sizeof(err)));
    for (size_t i = 0; i < dates.n; i++)
        say("  %s", dates.d[i]);
    datelist_free(&dates);
    rc_is("count from",
          daystore_count_from(db, "m1", "2025-01-02", &total, first, err, sizeof(err)));
    say("  %lld %s", total, first);
}

static void jobs(struct db *db)
{
    char id[JOB_ID_BUF] = "", status[JOB_STATUS_BUF] = "", *json = NULL;
    char ids[4][JOBS_ID_MAX], last[TIMESTAMP_BUF];
    struct jobs_active *active = NULL;
    struct jobs_job job;
    struct jobs_due due[4];
    enum jobs_cancel_outcome how;
    long long total = 0;
    size_t n = 0;
    long long recovered = 0;
    int tries = 0;
    insert_job(db, "j2", "2025-02-01T00:00:00.000Z", NULL);
    insert_job(db, "j1", "2025-02-01T00:00:00.000Z", "http://127.0.0.1:9/h");
    insert_job(db, "j3", "2025-02-02T00:00:00.000Z", NULL);
    rc_is("active ids", jobs_active_ids(db, &json, err, sizeof(err)));
    say("  %s", or_null(json));
    free(json);
    rc_is("active", jobs_list_active(db, &active, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s %s %s", active[i].job_id, active[i].date_range, active[i].models);
    jobs_active_free(active, n);
    rc_is("active on m2", jobs_active_on(db, "m2", id, err, sizeof(err)));
    say("  %s", id);
    rc_is("get", jobs_get(db, "j2", &job, err, sizeof(err)));
    say("  %s %s %d %zu", job.status, job.config_path, job.replace_existing, job.ndays);
    jobs_job_free(&job);
    rc_is("claim j2", jobs_claim(db, "j2", err, sizeof(err)));
    rc_is("claim j1", jobs_claim(db, "j1", err, sizeof(err)));
    rc_is("start", jobs_day_start(db, "j2", "2025-01-02", "m1", err, sizeof(err)));
    store_day(db, "j2", "2025-01-02", "m1", true);
    rc_is("start", jobs_day_start(db, "j2", "2025-01-02", "m2", err, sizeof(err)));
    store_day(db, "j2", "2025-01-02", "m2", false);
    rc_is("start", jobs_day_start(db, "j2", "2025-01-03", "m1", err, sizeof(err)));
    store_day(db, "j2", "2025-01-03", "m1", false);
    rc_is("start", jobs_day_start(db, "j2", "2025-01-03", "m2", err, sizeof(err)));
    rc_is("fail", jobs_day_fail(db, "j2", "2025-01-03", "m2", "boom", 0.25, err, sizeof(err)));
    rc_is("finish j2", jobs_finish(db, "j2", NULL, status, err, sizeof(err)));
    say("  %s", status);
    rc_is("start j1", jobs_day_start(db, "j1", "2025-01-02", "m1", err, sizeof(err)));
    view(db, "j1");
    rc_is("reclaim", jobs_reclaim_expired(db, &recovered, err, sizeof(err)));
    say("  %lld", recovered);
    rc_is("claim j1 again", jobs_claim(db, "j1", err, sizeof(err)));
    rc_is("cancel j1", jobs_cancel(db, "j1", &how, err, sizeof(err)));
    say("  %d", (int)how);
    rc_is("finish j1", jobs_finish(db, "j1", NULL, status, err, sizeof(err)));
    say("  %s", status);
    rc_is("cancel j3", jobs_cancel(db, "j3", &how, err, sizeof(err)));
    say("  %d", (int)how);
    view(db, "j2");
    view(db, "j1");
    stored_days(db);
    rc_is("due", jobs_callbacks_due(db, due, 4, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s %s", due[i].job_id, due[i].url);
    rc_is("attempt", callback_record_attempt(db, "j1", 1, 500, "HTTP 500", err, sizeof(err)));
    rc_is("attempt", callback_record_attempt(db, "j1", 2, 0, "timeout", err, sizeof(err)));
    rc_is("attempt", callback_record_attempt(db, "j1", 3, 204, NULL, err, sizeof(err)));
    rc_is("tries", callback_tries(db, "j1", &tries, last, err, sizeof(err)));
    say("  %d %s", tries, last[0] ? "t" : "-");
    json_object *attempts = NULL;
    rc_is("attempts", callback_attempts_json(db, "j1", &attempts, err, sizeof(err)));
    for (size_t i = 0; attempts && i < json_object_array_length(attempts); i++) {
        json_object *a = json_object_array_get_idx(attempts, i);
        json_object_object_del(a, "attempted_at");
        say("  %s", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    }
    json_object_put(attempts);
    rc_is("delivered", jobs_set_callback_status(db, "j1", "delivered", err, sizeof(err)));
    rc_is("import",
          jobs_import_create(db,
                             &(struct jobs_import){"imp", "dir", "[\"2025-01-06\"]", "[\"m3\"]",
                                                   false, "2025-02-01T00:00:00.000Z"},
                             err, sizeof(err)));
    rc_is("import day", jobs_import_day(db, "imp", "2025-01-06", "m3", "2025-02-01T00:00:00.000Z",
                                        err, sizeof(err)));
    rc_is("import done",
          jobs_import_finish(db, "imp", "2025-02-01T00:00:01.000Z", 1.0, "[]", err, sizeof(err)));
    rc_is("latest", jobs_latest_id(db, ids[0], err, sizeof(err)));
    say("  %s", ids[0]);
    rc_is("latest with results",
          jobs_latest_with_results(db, ids[0], JOBS_ID_MAX, err, sizeof(err)));
    say("  %s", ids[0]);
    rc_is("count", jobs_count(db, NULL, &total, err, sizeof(err)));
    say("  %lld", total);
    rc_is("count cancelled", jobs_count(db, "cancelled", &total, err, sizeof(err)));
    say("  %lld", total);
    rc_is("list", jobs_list_ids(db, NULL, 4, 0, ids, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s", ids[i]);
    rc_is("list page", jobs_list_ids(db, "completed", 1, 1, ids, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s", ids[i]);
    long long deleted = -1;
    rc_is("delete from",
          daystore_delete_from(db, "m1", "2025-01-03", "j3", &deleted, err, sizeof(err)));
    say("  %lld", deleted);
    rc_is("delete all from",
          daystore_delete_from(db, "m2", "2025-01-01", NULL, &deleted, err, sizeof(err)));
    say("  %lld", deleted);
}

/* --- keys, audit, data version -------------------------------------------- */

static void keys(struct db *db)
{
    char token[ACCESS_TOKEN_BUF], tag[DATAVER_TAG_BUF];
    struct access_key *list = NULL, k;
    size_t n = 0, nkeys = 0;
    rc_is("key", access_key_create(db, "ci", ACCESS_WRITE, token, err, sizeof(err)));
    rc_is("check", access_key_check(db, token, &nkeys, &k, err, sizeof(err)));
    say("  %zu %s %d %d %s", nkeys, k.name, (int)k.scope, k.touch_due, k.last_used_at);
    rc_is("touch", access_key_touch(db, "ci", err, sizeof(err)));
    rc_is("key", access_key_create(db, "dash", ACCESS_READ, token, err, sizeof(err)));
    rc_is("list", access_key_list(db, &list, &n, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        say("  %s %d %d %s", list[i].name, (int)list[i].scope, list[i].touch_due,
            list[i].last_used_at[0] ? "t" : "-");
    free(list);
    rc_is("revoke", access_key_revoke(db, "dash", err, sizeof(err)));
    rc_is("revoke again", access_key_revoke(db, "dash", err, sizeof(err)));
    struct access_audit a = {"ci", "10.0.0.2", "POST /simulate/trigger", 202, "ok", NULL};
    rc_is("audit", access_audit(db, &a, err, sizeof(err)));
    rc_is("event", audit_job_event_at(db, "2025-01-01T00:00:00.000Z", "test", NULL, "{\"a\":1}",
                                      err, sizeof(err)));
    rc_is("bump", dataver_bump(db, err, sizeof(err)));
    rc_is("tag", dataver_tag(db, tag, err, sizeof(err)));
    say("  %s", strchr(tag, '-') ? strchr(tag, '-') : tag); /* the epoch is random */
}

/* --- model-day leases and the workers' heartbeats ------------------------- */

static void claim(struct db *db, const char *worker, bool lockstep)
{
    struct jobs_claimed d = {"", ""};
    rc_is("claim day", jobs_claim_day(db, "L", worker, lockstep, &d, err, sizeof(err)));
    say("  %s %s %s", worker, d.date, d.model);
}

static void held(struct db *db, const char *date, const char *model, const char *worker)
{
    bool h = false;
    rc_is("held", jobs_day_held(db, "L", date, model, worker, &h, err, sizeof(err)));
    say("  %s %s %s %d", date, model, worker, h);
}

static void leases(struct db *db)
{
    char status[JOB_STATUS_BUF] = "";
    long long n = -1;
    struct heartbeat_row *rows = NULL;
    size_t nrows = 0;
    struct heartbeat_beat b = {
        "h:7:w1", 7, "h", "v", "2025-01-01T00:00:00.000Z", "2025-01-01T00:00:02.000Z", "L", 2};
    insert_job(db, "L", "2025-03-01T00:00:00.000Z", NULL);
    claim(db, "w1", false);
    claim(db, "w2", false);
    claim(db, "w1", false); /* each model's next date waits */
    held(db, "2025-01-02", "m1", "w1");
    held(db, "2025-01-02", "m1", "w2");
    rc_is("renew", jobs_renew_leases(db, "w1", &n, err, sizeof(err)));
    say("  %lld", n);
    rc_is("release", jobs_release_worker(db, "w2", "test", &n, err, sizeof(err)));
    say("  %lld", n);
    rc_is("reclaim", jobs_reclaim_expired(db, &n, err, sizeof(err)));
    say("  %lld", n);
    claim(db, "w2", true);
    rc_is("done?", jobs_finish_done(db, "L", status, err, sizeof(err)));
    rc_is("complete", jobs_day_complete(db, "L", "2025-01-02", "m1", 1.0, err, sizeof(err)));
    claim(db, "w1", true); /* lockstep: m2 still runs 2025-01-02 */
    rc_is("complete", jobs_day_complete(db, "L", "2025-01-02", "m2", 1.0, err, sizeof(err)));
    claim(db, "w1", true);
    claim(db, "w2", true);
    rc_is("complete", jobs_day_complete(db, "L", "2025-01-03", "m1", 1.0, err, sizeof(err)));
    rc_is("complete", jobs_day_complete(db, "L", "2025-01-03", "m2", 1.0, err, sizeof(err)));
    rc_is("done", jobs_finish_done(db, "L", status, err, sizeof(err)));
    say("  %s", status);
    rc_is("done again", jobs_finish_done(db, "L", status, err, sizeof(err)));
    rc_is("beat", heartbeat_write(db, &b, err, sizeof(err)));
    b.id = "g:8:w2";
    b.hostname = "g";
    b.now = "2025-01-01T00:00:03.000Z";
    b.job = NULL;
    rc_is("beat", heartbeat_write(db, &b, err, sizeof(err)));
    rc_is("beat again", heartbeat_write(db, &b, err, sizeof(err)));
    rc_is("workers", heartbeat_list(db, &rows, &nrows, err, sizeof(err)));
    for (size_t i = 0; i < nrows; i++)
        say("  %s %s %lld %lld %s %s %s", rows[i].id, rows[i].hostname, rows[i].pid,
            rows[i].threads, rows[i].started_at, rows[i].last_beat,
            rows[i].has_job ? rows[i].job : "-");
    free(rows);
    heartbeat_clear(db, "g:8:w2");
    rc_is("workers", heartbeat_list(db, &rows, &nrows, err, sizeof(err)));
    say("  %zu", nrows);
    free(rows);
}

static void scenario(struct db *db)
{
    used = 0;
    script[0] = '\0';
    errors = 0;
    prices(db);
    jobs(db);
    keys(db);
    leases(db);
}

/* The first line where a and b differ, for the diagnostics. */
static void first_difference(const char *a, const char *b)
{
    size_t i = 0, start = 0;
    int line = 1;
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '\n') {
            line++;
            start = i + 1;
        }
    printf("# line %d: sqlite \"%.*s\" postgresql \"%.*s\"\n", line, (int)strcspn(a + start, "\n"),
           a + start, (int)strcspn(b + start, "\n"), b + start);
}

int main(void)
{
    char dir[] = "/tmp/trader-portable-XXXXXX", path[PATH_MAX], schema[64], sql[256];
    char buf[128];
    const char *url = pgtest_url(buf, sizeof(buf));
    struct db *db = NULL;
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/trader.db", dir);
    ok(db_open(path, DB_READWRITE, &db, err, sizeof(err)) == 0 &&
           db_migrate(db, err, sizeof(err)) == 0,
       "sqlite: a new store (%s)", err);
    scenario(db);
    ok(errors == 0, "sqlite: every call succeeds");
    ok(strstr(script, "active ids: 0\n  [\"j2\",\"j1\",\"j3\"]") &&
           strstr(script, "list: 0\n  j3\n  imp\n  j1\n  j2\n"),
       "sqlite: jobs of the same time in creation order");
    db_close(db);
    char *lite = mem_strdup(script);
    if (!url) {
        printf("# skipping the PostgreSQL half: neither TRADER_TEST_DATABASE_URL nor"
               " TRADER_TEST_PG_DIR is set\n");
    } else {
        ok(db_open(url, DB_READWRITE, &db, err, sizeof(err)) == 0 &&
               pgtest_schema(db, "portable", schema, sizeof(schema), err, sizeof(err)) == 0 &&
               db_migrate(db, err, sizeof(err)) == 0,
           "postgresql: a new store in schema %s (%s)", schema, err);
        is_int(db_engine(db), DB_ENGINE_POSTGRES, "postgresql: the engine the URL names");
        scenario(db);
        ok(errors == 0, "postgresql: every call succeeds");
        if (!ok(strcmp(lite, script) == 0, "postgresql: the same answers as sqlite"))
            first_difference(lite, script);
        ok(pgtest_drop(db, schema, err, sizeof(err)) == 0, "postgresql: schema dropped");
        db_close(db);
    }
    if (getenv("TRADER_TEST_VERBOSE"))
        fputs(lite, stdout);
    free(lite);
    snprintf(sql, sizeof(sql), "rm -rf '%s'", dir);
    if (system(sql) != 0)
        printf("# cannot remove %s\n", dir);
    return tap_done();
}
