/* Unit tests for daystore: a model-day's positions row and its trades,
 * holdings, reasoning_logs and tool_usage rows are stored as given (absent
 * texts as null) and read back (the day, its sums, holdings, trades,
 * splits, tool usage and messages, the lookups by date and job); a second
 * result for the same model and date, or a row the schema refuses, fails
 * with the table named. */
#include "service/daystore.h"

#include "base/errbuf.h"

#include "simfixture.h"
#include "tap.h"

static struct fixture fx;

/* What the row functions saw: a count and a text of the rows. */
struct seen {
    int n;
    char text[512];
};

static void see(struct seen *s, long long a, const char *b)
{
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof(s->text) - len, "%lld%s,", a, b);
    s->n++;
}

static int see_day(const struct daystore_day *d, void *arg)
{
    see(arg, d->pnl.prev + d->pnl.value + d->cost + d->priced, d->model);
    return 0;
}

static int see_sums(const struct daystore_sums *s, void *arg)
{
    see(arg, s->ntrades + s->fees + s->total_tokens, s->date);
    return 0;
}

static int see_holding(const char *symbol, int64_t shares, void *arg)
{
    see(arg, shares, symbol);
    return 0;
}

static int see_trade(const struct daystore_trade *t, void *arg)
{
    see(arg, t->seq * t->total + t->fee, t->symbol);
    return 0;
}

static int see_split(const struct splits_applied *s, void *arg)
{
    see(arg, s->before * 10 + s->after, s->factor);
    return 0;
}

static int see_tool(const struct daystore_tool *t, void *arg)
{
    see(arg, t->calls * 10 + t->errors, t->name);
    return 0;
}

static int see_message(const struct daystore_message *m, void *arg)
{
    see(arg, (long long)m->step * 10 + m->completion, m->tool_call_id ? m->tool_call_id : "-");
    return 0;
}

static int stop(const struct daystore_trade *t, void *arg)
{
    (void)t;
    return err_set(arg, 64, "stopped");
}

static int each_row(long long id, struct daystore_rows rows, char err[256])
{
    return daystore_each_row(fx.db, id, &rows, err, 256);
}

/* The reads of the stored day id. */
static void reads(long long id)
{
    char err[256] = "", a[DATE_BUF], b[DATE_BUF], job[16];
    struct daystore_filter all = {.limit = -1}, none = {.from = "2025-01-03", .limit = -1};
    struct seen s = {0};
    long long total = 0, found = 0;
    money_t cash = 0, value = 0;
    ok(daystore_days(fx.db, &all, see_day, &s, err, sizeof(err)) == 0 && s.n == 1 &&
           strcmp(s.text, "1050001235m,") == 0,
       "the stored day reads back (%s)", s.text);
    s = (struct seen){0};
    ok(daystore_days(fx.db, &none, see_day, &s, err, sizeof(err)) == 0 && s.n == 0,
       "  not when the filter's dates leave it out");
    ok(daystore_count(fx.db, &all, &total, a, b, err, sizeof(err)) == 0 && total == 1 &&
           strcmp(a, "2025-01-02") == 0 && strcmp(b, a) == 0,
       "  counted with its first and last date");
    ok(daystore_latest_date(fx.db, "m", "j1", a, err, sizeof(err)) == DAYSTORE_FOUND &&
           strcmp(a, "2025-01-02") == 0,
       "  the latest date of the model and job");
    ok(daystore_latest_date(fx.db, "other", NULL, a, err, sizeof(err)) == DAYSTORE_NONE,
       "  none for another model");
    ok(daystore_job_span(fx.db, "j1", a, b, err, sizeof(err)) == DAYSTORE_FOUND &&
           strcmp(a, "2025-01-02") == 0 && strcmp(b, "2025-01-02") == 0,
       "  the job's span");
    ok(daystore_job_span(fx.db, "j2", a, b, err, sizeof(err)) == DAYSTORE_NONE,
       "  no span for a job without days");
    ok(daystore_find(fx.db, "m", "2025-01-02", &found, job, sizeof(job), err, sizeof(err)) ==
               DAYSTORE_FOUND &&
           found == id && strcmp(job, "j1") == 0,
       "  found by model and date, with its job");
    ok(daystore_last_before(fx.db, "m", "2025-01-05", &found, &cash, &value, a, err, sizeof(err)) ==
               DAYSTORE_FOUND &&
           found == id && value == 550 * MONEY_SCALE && strcmp(a, "2025-01-02") == 0,
       "  the last day before a later date");
    ok(daystore_last_before(fx.db, "m", "2025-01-02", &found, &cash, &value, a, err, sizeof(err)) ==
           DAYSTORE_NONE,
       "  none before its own date");
    s = (struct seen){0};
    ok(daystore_each_sums(fx.db, "2025-01-01", "2025-01-31", "j1", see_sums, &s, err,
                          sizeof(err)) == 0 &&
           strcmp(s.text, "15000172025-01-02,") == 0,
       "  its sums (%s)", s.text);
    s = (struct seen){0};
    ok(each_row(id, (struct daystore_rows){.holding = see_holding, .arg = &s}, err) == 0 &&
           strcmp(s.text, "3AAA,1BBB,") == 0,
       "  its holdings by symbol (%s)", s.text);
    s = (struct seen){0};
    ok(each_row(id, (struct daystore_rows){.trade = see_trade, .arg = &s}, err) == 0 &&
           strcmp(s.text, "30000000AAA,41500000BBB,") == 0,
       "  its trades in order (%s)", s.text);
    s = (struct seen){0};
    ok(each_row(id, (struct daystore_rows){.split = see_split, .arg = &s}, err) == 0 &&
           strcmp(s.text, "231.5000,") == 0,
       "  its split (%s)", s.text);
    s = (struct seen){0};
    ok(each_row(id, (struct daystore_rows){.tool = see_tool, .arg = &s}, err) == 0 &&
           strcmp(s.text, "21get_price,") == 0,
       "  its tool usage (%s)", s.text);
    s = (struct seen){0};
    ok(each_row(id, (struct daystore_rows){.message = see_message, .arg = &s}, err) == 0 &&
           strcmp(s.text, "-1-,11c1,") == 0,
       "  its messages in order, unknown completion -1 (%s)", s.text);
    s = (struct seen){0};
    ok(each_row(id, (struct daystore_rows){.trade = see_trade, .holding = see_holding, .arg = &s},
                err) == 0 &&
           strcmp(s.text, "3AAA,1BBB,30000000AAA,41500000BBB,") == 0,
       "  holdings before trades when both are asked for (%s)", s.text);
    ok(each_row(id, (struct daystore_rows){.trade = stop, .arg = err}, err) == -1 &&
           strcmp(err, "stopped") == 0,
       "  a row function stops the reading with its error");
}

/* The last date of model e leaving out the jobs of skip ("?" on failure). */
static const char *last_except(const char *skip)
{
    static char out[DATE_BUF];
    char err[512];
    if (daystore_last_date_except(fx.db, "e", skip, out, err, sizeof(err)) != 0)
        snprintf(out, sizeof(out), "?");
    return out;
}

/* Model e's days of jobs j1, j2, j3 (each stored through daystore_insert,
 * which reads the new row's id back), read leaving some jobs out, and paged
 * with and without a limit. */
static void except(long long first_id)
{
    static const char *const jobs[] = {"j1", "j2", "j3"};
    static const char *const dates[] = {"2025-01-02", "2025-01-03", "2025-01-06"};
    char err[512] = "";
    long long id = 0, prev = first_id;
    struct portfolio none;
    struct datelist got = {0};
    struct seen s = {0};
    portfolio_init(&none, 0);
    fx_exec(fx.db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                   " VALUES('j2','c','running','[]','[]','2025-01-01T00:00:00.000Z'),"
                   " ('j3','c','running','[]','[]','2025-01-01T00:00:00.000Z')");
    for (int i = 0; i < 3; i++) {
        struct daystore_day d = {.job_id = jobs[i],
                                 .date = dates[i],
                                 .model = "e",
                                 .created_at = "t",
                                 .holdings = &none};
        ok(daystore_insert(fx.db, &d, &id, err, sizeof(err)) == 0 && id > prev &&
               id == fx_int(fx.db, "SELECT max(id) FROM positions"),
           "day %d of e stored, its new id read back (%s)", i + 1, err);
        prev = id;
    }
    is_str(last_except("[]"), "2025-01-06", "last date, no job left out");
    is_str(last_except(""), "2025-01-06", "... none either with an empty text");
    is_str(last_except("[\"j3\"]"), "2025-01-03", "... leaving out the newest day's job");
    is_str(last_except("[\"j2\",\"j3\",\"zz\"]"), "2025-01-02", "... and another");
    is_str(last_except("[\"j1\",\"j2\",\"j3\"]"), "", "... all of them: none");
    ok(daystore_dates_except(fx.db, "e", "2025-01-02", "2025-01-31", "[\"j2\"]", &got, err,
                             sizeof(err)) == 0 &&
           got.n == 2 && strcmp(got.d[0], "2025-01-02") == 0 && strcmp(got.d[1], "2025-01-06") == 0,
       "dates in a range leaving out j2 (%s)", err);
    datelist_free(&got);
    ok(daystore_dates_except(fx.db, "e", "2025-01-03", "2025-01-03", "[]", &got, err,
                             sizeof(err)) == 0 &&
           got.n == 1 && strcmp(got.d[0], "2025-01-03") == 0,
       "... a range of one day");
    datelist_free(&got);
    struct daystore_filter all = {.model = "e", .limit = -1};
    ok(daystore_days(fx.db, &all, see_day, &s, err, sizeof(err)) == 0 && s.n == 3,
       "a negative limit reads every day (%d)", s.n);
    s = (struct seen){0};
    struct daystore_filter page = {.model = "e", .limit = 1, .offset = 1};
    ok(daystore_days(fx.db, &page, see_day, &s, err, sizeof(err)) == 0 && s.n == 1,
       "... a limit and an offset one");
    portfolio_free(&none);
}

int main(void)
{
    char err[512] = "", buf[256];
    long long id = 0;
    struct portfolio pf;
    if (fx_open(&fx) != 0 ||
        fx_exec(fx.db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                       " VALUES('j1','c','running','[]','[]','2025-01-01T00:00:00.000Z')") != 0)
        return 1;
    portfolio_init(&pf, 500 * MONEY_SCALE);
    portfolio_set(&pf, "AAA", 3);
    portfolio_set(&pf, "BBB", 1);
    const struct daystore_trade trades[] = {
        {1, "buy", "AAA", 3, 10 * MONEY_SCALE, 30 * MONEY_SCALE, 0},
        {2, "buy", "BBB", 1, 20 * MONEY_SCALE, 20 * MONEY_SCALE, 1500000},
    };
    const struct splits_applied splits[] = {
        {"AAA", "2025-01-02", "1.5000", 1500000, 2, 3, 10 * MONEY_SCALE, 0},
    };
    const struct daystore_message msgs[] = {
        {0, "user", "go", NULL, NULL, NULL, "2025-01-02T00:00:00.000Z", -1},
        {1, "tool", "{}", "get_price", "c1", "{\"role\":\"tool\"}", "2025-01-02T00:00:01.000Z", 1},
    };
    const struct daystore_tool tools[] = {{"get_price", 2, 1, 1.5}};
    struct daystore_day day = {
        .job_id = "j1",
        .date = "2025-01-02",
        .model = "m",
        .cash = pf.cash,
        .pnl = {550 * MONEY_SCALE, 500 * MONEY_SCALE, 50 * MONEY_SCALE, 10.0},
        .total_steps = 1,
        .stop_signal = 1,
        .prompt_tokens = 7,
        .completion_tokens = 8,
        .total_tokens = 15,
        .priced = 1,
        .cost = 1234,
        .created_at = "2025-01-02T00:00:02.000Z",
        .trades = trades,
        .ntrades = 2,
        .holdings = &pf,
        .messages = msgs,
        .nmessages = 2,
        .tools = tools,
        .ntools = 1,
        .splits = splits,
        .nsplits = 1,
    };

    ok(daystore_insert(fx.db, &day, &id, err, sizeof(err)) == 0, "a day is stored (%s)", err);
    is_int(fx_intf(fx.db, "SELECT id FROM positions WHERE model='m'"), id, "  its position id");
    is_int(fx_int(fx.db, "SELECT portfolio_value + prev_value + daily_profit FROM positions"),
           1100 * MONEY_SCALE, "  its value, previous value and profit");
    is_int(fx_int(fx.db, "SELECT total_tokens FROM positions WHERE stop_signal = 1"), 15,
           "  its tokens and stop signal");
    is_int(fx_int(fx.db, "SELECT cost * 10 + ntrades FROM positions"), 12342,
           "  its cost and its number of trades");
    is_int(fx_int(fx.db, "SELECT count(*) FROM positions WHERE reasoning_summary IS NULL AND"
                         " log_file_path IS NULL"),
           1, "  absent summary and log path are null");
    is_int(fx_int(fx.db, "SELECT sum(seq * total) FROM trades"), 70 * MONEY_SCALE,
           "  its trades in order");
    is_int(fx_int(fx.db, "SELECT sum(seq * fee) FROM trades"), 3000000, "  their fees");
    is_int(fx_int(fx.db, "SELECT fees FROM positions"),
           fx_int(fx.db, "SELECT sum(fee) FROM trades"), "  the day's fees, summed with it");
    is_int(fx_int(fx.db, "SELECT count(*) FROM corporate_actions WHERE action = 'split' AND"
                         " symbol = 'AAA' AND factor = '1.5000' AND shares_before = 2 AND"
                         " shares_after = 3 AND price = 10000000 AND cash = 0"),
           1, "  the split applied to its start state");
    is_int(fx_int(fx.db, "SELECT group_concat(symbol || quantity) = 'AAA3,BBB1' FROM"
                         " (SELECT * FROM holdings ORDER BY symbol)"),
           1, "  its holdings");
    is_int(fx_int(fx.db, "SELECT count(*) FROM reasoning_logs WHERE tool_name IS NULL AND"
                         " tool_call_id IS NULL AND message_json IS NULL AND role = 'user'"),
           1, "  a message without tool fields stores nulls");
    is_str(
        fx_text(fx.db, "SELECT tool_call_id FROM reasoning_logs WHERE step = 1", buf, sizeof(buf)),
        "c1", "  a tool message keeps its call id");
    is_int(fx_int(fx.db, "SELECT count(*) FROM reasoning_logs WHERE (step = 1 AND completion = 1)"
                         " OR (step = 0 AND completion IS NULL)"),
           2, "  the completion of each message (unknown: null)");
    is_int(
        fx_int(fx.db, "SELECT calls * 10 + errors FROM tool_usage WHERE total_duration_ms = 1.5"),
        21, "  its tool usage");

    reads(id);

    struct portfolio back;
    ok(daystore_holdings(fx.db, id, 7, &back, err, sizeof(err)) == 0 && back.cash == 7 &&
           back.n == 2 && portfolio_shares(&back, "AAA") == 3 &&
           portfolio_shares(&back, "BBB") == 1,
       "its holdings read back with the cash given (%s)", err);
    portfolio_free(&back);
    fx_exec(fx.db, "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,"
                   "daily_profit,daily_return_pct,created_at) VALUES('j1','2025-01-02','x',0,0,0,"
                   "0,0,'t')");
    fx_exec(fx.db, "INSERT INTO holdings(position_id,symbol,quantity) SELECT id,'no good',1"
                   " FROM positions WHERE model='x'");
    ok(daystore_holdings(fx.db, fx_int(fx.db, "SELECT id FROM positions WHERE model='x'"), 0, &back,
                         err, sizeof(err)) == -1 &&
           strcmp(err, "bad stored holding") == 0,
       "a stored holding that is not a ticker is refused (%s)", err);

    ok(daystore_insert(fx.db, &day, NULL, err, sizeof(err)) == -1 &&
           strstr(err, "cannot store the position"),
       "the same model and date again is refused (%s)", err);

    const struct daystore_trade bad = {1, "buy", "AAA", 0, 10 * MONEY_SCALE, 0, 0};
    day.date = "2025-01-03";
    day.trades = &bad;
    day.ntrades = 1;
    ok(daystore_insert(fx.db, &day, NULL, err, sizeof(err)) == -1 &&
           strstr(err, "cannot store a trade"),
       "a trade the schema refuses fails (%s)", err);

    except(id);

    portfolio_free(&pf);
    fx_close(&fx);
    return tap_done();
}
