/* daystore: see daystore.h. */
#include "service/daystore.h"

#include "base/errbuf.h"
#include "base/jsontext.h"

#include <stdio.h>
#include <string.h>

static const char SQL_POSITION[] =
    "INSERT INTO positions(job_id, date, model, cash, portfolio_value, prev_value, daily_profit,"
    " daily_return_pct, total_steps, stop_signal, reasoning_summary, prompt_tokens,"
    " completion_tokens, total_tokens, log_file_path, created_at, cost, ntrades, fees)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19) RETURNING id";
static const char SQL_TRADE[] =
    "INSERT INTO trades(position_id, seq, action, symbol, amount, price, total, fee)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_HOLDING[] =
    "INSERT INTO holdings(position_id, symbol, quantity) VALUES(?1, ?2, ?3)";
static const char SQL_MESSAGE[] =
    "INSERT INTO reasoning_logs(position_id, step, role, content, tool_name, tool_call_id,"
    " message_json, timestamp, completion) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_ACTION[] =
    "INSERT INTO corporate_actions(position_id, seq, action, symbol, effective_date, factor,"
    " shares_before, shares_after, price, cash) VALUES(?1, ?2, 'split', ?3, ?4, ?5, ?6, ?7, ?8, "
    "?9)";
static const char SQL_TOOL[] =
    "INSERT INTO tool_usage(position_id, tool_name, calls, errors, total_duration_ms)"
    " VALUES(?1, ?2, ?3, ?4, ?5)";

/* The bounds stand for "no bound" when a filter gives none. */
#define DATE_MIN "0000-00-00"
#define DATE_MAX "9999-99-99"

/* "?n is null or column equals it": the cast types the parameter where
 * PostgreSQL meets it first and nothing else does. */
#define ANY_OR(n, column) "(CAST(?" #n " AS TEXT) IS NULL OR " column " = ?" #n ")"

#define FILTER_WHERE                                                                               \
    " FROM positions WHERE date >= ?1 AND date <= ?2"                                              \
    " AND " ANY_OR(3, "model") " AND " ANY_OR(4, "job_id")
/* In (date, model) order from idx_positions_date_model. */
static const char SQL_DAYS[] =
    "SELECT id, model, job_id, cash, portfolio_value, prev_value, daily_profit, daily_return_pct,"
    " total_steps, stop_signal, reasoning_summary, log_file_path, prompt_tokens,"
    " completion_tokens, total_tokens, cost, date, created_at" FILTER_WHERE
    " ORDER BY date, model LIMIT ?5 OFFSET ?6";
static const char SQL_COUNT[] = "SELECT count(*), min(date), max(date)" FILTER_WHERE;
static const char SQL_LATEST_DATE[] = "SELECT max(date) FROM positions"
                                      " WHERE " ANY_OR(1, "model") " AND " ANY_OR(2, "job_id");
/* Two subqueries, so that each is one seek into idx_positions_job. */
static const char SQL_JOB_SPAN[] = "SELECT (SELECT min(date) FROM positions WHERE job_id = ?1),"
                                   " (SELECT max(date) FROM positions WHERE job_id = ?1)";
static const char SQL_FIND[] = "SELECT id, job_id FROM positions WHERE model = ?1 AND date = ?2";
static const char SQL_LAST_BEFORE[] =
    "SELECT id, cash, portfolio_value, date FROM positions WHERE model = ?1 AND date < ?2"
    " ORDER BY date DESC LIMIT 1";
/* Every column is in idx_positions_date_model, so this reads the index
 * only. A further per-day sum is a positions column stored with the day
 * like cost, ntrades and fees, added here and to that index. */
static const char SQL_SUMS[] =
    "SELECT model, date, portfolio_value, prev_value, prompt_tokens, completion_tokens,"
    " total_tokens, cost, ntrades, fees FROM positions"
    " WHERE date >= ?1 AND date <= ?2 AND " ANY_OR(3, "job_id") " ORDER BY date, model";
static const char SQL_HOLDINGS[] =
    "SELECT symbol, quantity FROM holdings WHERE position_id = ?1 ORDER BY symbol";
static const char SQL_TRADES[] = "SELECT seq, action, symbol, amount, price, total, fee FROM trades"
                                 " WHERE position_id = ?1 ORDER BY seq";
static const char SQL_SPLITS[] =
    "SELECT symbol, effective_date, factor, shares_before, shares_after, price, cash"
    " FROM corporate_actions WHERE position_id = ?1 ORDER BY seq";
static const char SQL_TOOLS[] = "SELECT tool_name, calls, errors, total_duration_ms FROM tool_usage"
                                " WHERE position_id = ?1 ORDER BY tool_name";
static const char SQL_MESSAGES[] =
    "SELECT step, role, content, tool_name, tool_call_id, message_json, timestamp, completion"
    " FROM reasoning_logs WHERE position_id = ?1 ORDER BY id";

static int insert_position(struct db *db, const struct daystore_day *d, long long *id, char *err,
                           size_t errlen)
{
    money_t fees = 0; /* the day's, kept with it for the analytics (perf.h) */
    for (size_t i = 0; i < d->ntrades; i++)
        if (money_add(fees, d->trades[i].fee, &fees) != 0)
            return err_set(err, errlen, "the day's fees overflow");
    struct db_stmt *st = db_stmt(db, SQL_POSITION, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, d->job_id);
    db_bind_text(st, 2, d->date);
    db_bind_text(st, 3, d->model);
    db_bind_int64(st, 4, d->cash);
    db_bind_int64(st, 5, d->pnl.value);
    db_bind_int64(st, 6, d->pnl.prev);
    db_bind_int64(st, 7, d->pnl.profit);
    db_bind_double(st, 8, d->pnl.return_pct);
    db_bind_int64(st, 9, d->total_steps);
    db_bind_int64(st, 10, d->stop_signal ? 1 : 0);
    db_bind_text(st, 11, d->reasoning_summary);
    db_bind_int64(st, 12, d->prompt_tokens);
    db_bind_int64(st, 13, d->completion_tokens);
    db_bind_int64(st, 14, d->total_tokens);
    db_bind_text(st, 15, d->log_file_path);
    db_bind_text(st, 16, d->created_at);
    if (d->priced)
        db_bind_int64(st, 17, d->cost);
    else
        db_bind_null(st, 17);
    db_bind_int64(st, 18, (long long)d->ntrades);
    db_bind_int64(st, 19, fees);
    enum db_step rc = db_step(db, st, "cannot store the position", err, errlen);
    if (rc == DB_STEP_ROW)
        *id = db_col_int64(st, 0);
    db_reset(st);
    if (rc == DB_STEP_DONE)
        return err_set(err, errlen, "cannot store the position: no id");
    return rc == DB_STEP_ROW ? 0 : -1;
}

static int insert_trades(struct db *db, const struct daystore_day *d, long long id, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < d->ntrades; i++) {
        const struct daystore_trade *t = &d->trades[i];
        struct db_stmt *st = db_stmt(db, SQL_TRADE, err, errlen);
        if (!st)
            return -1;
        db_bind_int64(st, 1, id);
        db_bind_int64(st, 2, t->seq);
        db_bind_text(st, 3, t->action);
        db_bind_text(st, 4, t->symbol);
        db_bind_int64(st, 5, t->amount);
        db_bind_int64(st, 6, t->price);
        db_bind_int64(st, 7, t->total);
        db_bind_int64(st, 8, t->fee);
        if (db_step_done(db, st, "cannot store a trade", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_holdings(struct db *db, const struct portfolio *p, long long id, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < p->n; i++) {
        struct db_stmt *st = db_stmt(db, SQL_HOLDING, err, errlen);
        if (!st)
            return -1;
        db_bind_int64(st, 1, id);
        db_bind_text(st, 2, p->h[i].symbol);
        db_bind_int64(st, 3, p->h[i].shares);
        if (db_step_done(db, st, "cannot store a holding", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_messages(struct db *db, const struct daystore_day *d, long long id, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < d->nmessages; i++) {
        const struct daystore_message *m = &d->messages[i];
        struct db_stmt *st = db_stmt(db, SQL_MESSAGE, err, errlen);
        if (!st)
            return -1;
        db_bind_int64(st, 1, id);
        db_bind_int64(st, 2, m->step);
        db_bind_text(st, 3, m->role);
        db_bind_text(st, 4, m->content);
        db_bind_text(st, 5, m->tool_name);
        db_bind_text(st, 6, m->tool_call_id);
        db_bind_text(st, 7, m->message_json);
        db_bind_text(st, 8, m->timestamp);
        if (m->completion >= 0)
            db_bind_int64(st, 9, m->completion);
        else
            db_bind_null(st, 9);
        if (db_step_done(db, st, "cannot store a reasoning message", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_tools(struct db *db, const struct daystore_day *d, long long id, char *err,
                        size_t errlen)
{
    for (size_t i = 0; i < d->ntools; i++) {
        const struct daystore_tool *t = &d->tools[i];
        struct db_stmt *st = db_stmt(db, SQL_TOOL, err, errlen);
        if (!st)
            return -1;
        db_bind_int64(st, 1, id);
        db_bind_text(st, 2, t->name);
        db_bind_int64(st, 3, t->calls);
        db_bind_int64(st, 4, t->errors);
        db_bind_double(st, 5, t->total_ms);
        if (db_step_done(db, st, "cannot store tool usage", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_splits(struct db *db, const struct daystore_day *d, long long id, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < d->nsplits; i++) {
        const struct splits_applied *s = &d->splits[i];
        struct db_stmt *st = db_stmt(db, SQL_ACTION, err, errlen);
        if (!st)
            return -1;
        db_bind_int64(st, 1, id);
        db_bind_int64(st, 2, (long long)i + 1);
        db_bind_text(st, 3, s->symbol);
        db_bind_text(st, 4, s->date);
        db_bind_text(st, 5, s->factor);
        db_bind_int64(st, 6, s->before);
        db_bind_int64(st, 7, s->after);
        db_bind_int64(st, 8, s->price);
        db_bind_int64(st, 9, s->cash);
        if (db_step_done(db, st, "cannot store a split", err, errlen) != 0)
            return -1;
    }
    return 0;
}

int daystore_insert(struct db *db, const struct daystore_day *day, long long *position_id,
                    char *err, size_t errlen)
{
    long long id = 0;
    if (insert_position(db, day, &id, err, errlen) != 0 ||
        insert_trades(db, day, id, err, errlen) != 0 ||
        insert_holdings(db, day->holdings, id, err, errlen) != 0 ||
        insert_messages(db, day, id, err, errlen) != 0 ||
        insert_tools(db, day, id, err, errlen) != 0 || insert_splits(db, day, id, err, errlen) != 0)
        return -1;
    if (position_id)
        *position_id = id;
    return 0;
}

/* The caller's row function and its argument, for the positions rows. */
struct visit {
    int (*day)(const struct daystore_day *, void *);
    int (*sums)(const struct daystore_sums *, void *);
    void *arg;
};

static const char *text(struct db_stmt *st, int col)
{
    return db_col_text(st, col);
}

/* Steps the bound st, handing each row to row(st, v); resets st. Returns 0,
 * or -1 when row stopped (err filled by the caller's function) or the query
 * failed. */
static int each_row(struct db *db, struct db_stmt *st, int (*row)(struct db_stmt *, const void *),
                    const void *v, char *err, size_t errlen)
{
    enum db_step rc;
    int stop = 0;
    while (!stop && (rc = db_step(db, st, "cannot read stored days", err, errlen)) == DB_STEP_ROW)
        stop = row(st, v) != 0;
    if (!stop && rc == DB_STEP_ERROR)
        stop = 1;
    db_reset(st);
    return stop ? -1 : 0;
}

/* The rows of a per-position query. */
static int per_position(struct db *db, const char *sql, long long position_id,
                        int (*row)(struct db_stmt *, const void *), const struct daystore_rows *v,
                        char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, sql, err, errlen);
    if (!st)
        return -1;
    db_bind_int64(st, 1, position_id);
    return each_row(db, st, row, v, err, errlen);
}

/* Binds f's dates and filters from ?1. */
static void bind_filter(struct db_stmt *st, const struct daystore_filter *f)
{
    db_bind_text(st, 1, f->from ? f->from : DATE_MIN);
    db_bind_text(st, 2, f->to ? f->to : DATE_MAX);
    db_bind_text(st, 3, f->model);
    db_bind_text(st, 4, f->job_id);
}

enum {
    C_ID,
    C_MODEL,
    C_JOB,
    C_CASH,
    C_VALUE,
    C_PREV,
    C_PROFIT,
    C_RETURN,
    C_STEPS,
    C_STOP,
    C_SUMMARY,
    C_LOG,
    C_PROMPT,
    C_COMPLETION,
    C_TOTAL,
    C_COST,
    C_DATE,
    C_CREATED
};

static int row_day(struct db_stmt *st, const void *arg)
{
    const struct visit *v = arg;
    struct daystore_day d = {.id = db_col_int64(st, C_ID),
                             .job_id = text(st, C_JOB),
                             .date = text(st, C_DATE),
                             .model = text(st, C_MODEL),
                             .cash = db_col_int64(st, C_CASH),
                             .pnl = {.value = db_col_int64(st, C_VALUE),
                                     .prev = db_col_int64(st, C_PREV),
                                     .profit = db_col_int64(st, C_PROFIT),
                                     .return_pct = db_col_double(st, C_RETURN)},
                             .total_steps = db_col_int(st, C_STEPS),
                             .stop_signal = db_col_int(st, C_STOP),
                             .reasoning_summary = text(st, C_SUMMARY),
                             .prompt_tokens = db_col_int64(st, C_PROMPT),
                             .completion_tokens = db_col_int64(st, C_COMPLETION),
                             .total_tokens = db_col_int64(st, C_TOTAL),
                             .priced = !db_col_is_null(st, C_COST),
                             .cost = db_col_int64(st, C_COST),
                             .log_file_path = text(st, C_LOG),
                             .created_at = text(st, C_CREATED)};
    return v->day(&d, v->arg);
}

int daystore_days(struct db *db, const struct daystore_filter *f,
                  int (*each)(const struct daystore_day *day, void *arg), void *arg, char *err,
                  size_t errlen)
{
    struct visit v = {.day = each, .arg = arg};
    struct db_stmt *st = db_stmt(db, SQL_DAYS, err, errlen);
    if (!st)
        return -1;
    bind_filter(st, f);
    db_bind_int64(st, 5, f->limit < 0 ? INT64_MAX : f->limit); /* LIMIT -1 is SQLite's alone */
    db_bind_int64(st, 6, f->offset);
    return each_row(db, st, row_day, &v, err, errlen);
}

/* Prepares sql, binds a to ?1 (and b to ?2 when sql has it) and steps to
 * its one row: *found is DAYSTORE_FOUND when there is one whose first column
 * is not null. Returns st, left on the row for the caller to read and
 * reset; NULL when it could not be prepared. */
static struct db_stmt *lookup(struct db *db, const char *sql, const char *a, const char *b,
                              enum daystore_found *found, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, sql, err, errlen);
    *found = DAYSTORE_ERROR;
    if (!st)
        return NULL;
    db_bind_text(st, 1, a);
    if (db_bind_count(st) > 1)
        db_bind_text(st, 2, b);
    enum db_step rc = db_step(db, st, "cannot read stored days", err, errlen);
    if (rc == DB_STEP_ROW)
        *found = !db_col_is_null(st, 0) ? DAYSTORE_FOUND : DAYSTORE_NONE;
    else if (rc == DB_STEP_DONE)
        *found = DAYSTORE_NONE;
    return st;
}

/* Resets st (NULL: none) and passes found on. */
static enum daystore_found looked_up(struct db_stmt *st, enum daystore_found found)
{
    if (st)
        db_reset(st);
    return found;
}

int daystore_count(struct db *db, const struct daystore_filter *f, long long *total,
                   char first[DATE_BUF], char last[DATE_BUF], char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_COUNT, err, errlen);
    if (!st)
        return -1;
    bind_filter(st, f);
    enum db_step rc = db_step(db, st, "cannot read stored days", err, errlen);
    if (rc == DB_STEP_DONE)
        err_set(err, errlen, "cannot read stored days: no row");
    else if (rc == DB_STEP_ROW) {
        *total = db_col_int64(st, 0);
        snprintf(first, DATE_BUF, "%s", *total ? text(st, 1) : "");
        snprintf(last, DATE_BUF, "%s", *total ? text(st, 2) : "");
    }
    db_reset(st);
    return rc == DB_STEP_ROW ? 0 : -1;
}

enum daystore_found daystore_latest_date(struct db *db, const char *model, const char *job_id,
                                         char date[DATE_BUF], char *err, size_t errlen)
{
    enum daystore_found found;
    struct db_stmt *st = lookup(db, SQL_LATEST_DATE, model, job_id, &found, err, errlen);
    if (found == DAYSTORE_FOUND && strlen(text(st, 0)) < DATE_BUF)
        memcpy(date, text(st, 0), strlen(text(st, 0)) + 1);
    else if (found == DAYSTORE_FOUND)
        found = DAYSTORE_NONE;
    return looked_up(st, found);
}

enum daystore_found daystore_job_span(struct db *db, const char *job_id, char first[DATE_BUF],
                                      char last[DATE_BUF], char *err, size_t errlen)
{
    enum daystore_found found;
    struct db_stmt *st = lookup(db, SQL_JOB_SPAN, job_id, NULL, &found, err, errlen);
    if (found == DAYSTORE_FOUND) {
        snprintf(first, DATE_BUF, "%s", text(st, 0));
        snprintf(last, DATE_BUF, "%s", text(st, 1));
    }
    return looked_up(st, found);
}

enum daystore_found daystore_find(struct db *db, const char *model, const char *date, long long *id,
                                  char *job_id, size_t joblen, char *err, size_t errlen)
{
    enum daystore_found found;
    struct db_stmt *st = lookup(db, SQL_FIND, model, date, &found, err, errlen);
    if (found == DAYSTORE_FOUND) {
        *id = db_col_int64(st, 0);
        snprintf(job_id, joblen, "%s", text(st, 1));
    }
    return looked_up(st, found);
}

enum daystore_found daystore_last_before(struct db *db, const char *model, const char *date,
                                         long long *id, money_t *cash, money_t *value,
                                         char day[DATE_BUF], char *err, size_t errlen)
{
    enum daystore_found found;
    struct db_stmt *st = lookup(db, SQL_LAST_BEFORE, model, date, &found, err, errlen);
    if (found == DAYSTORE_FOUND) {
        *id = db_col_int64(st, 0);
        *cash = db_col_int64(st, 1);
        *value = db_col_int64(st, 2);
        snprintf(day, DATE_BUF, "%s", text(st, 3));
    }
    return looked_up(st, found);
}

static int row_sums(struct db_stmt *st, const void *arg)
{
    const struct visit *v = arg;
    struct daystore_sums s = {.model = text(st, 0),
                              .date = text(st, 1),
                              .value = db_col_int64(st, 2),
                              .prev = db_col_int64(st, 3),
                              .prompt_tokens = db_col_int64(st, 4),
                              .completion_tokens = db_col_int64(st, 5),
                              .total_tokens = db_col_int64(st, 6),
                              .priced = !db_col_is_null(st, 7),
                              .cost = db_col_int64(st, 7),
                              .ntrades = db_col_int64(st, 8),
                              .fees = db_col_int64(st, 9)};
    return v->sums(&s, v->arg);
}

int daystore_each_sums(struct db *db, const char *from, const char *to, const char *job_id,
                       int (*each)(const struct daystore_sums *s, void *arg), void *arg, char *err,
                       size_t errlen)
{
    struct visit v = {.sums = each, .arg = arg};
    struct db_stmt *st = db_stmt(db, SQL_SUMS, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, from);
    db_bind_text(st, 2, to);
    db_bind_text(st, 3, job_id);
    return each_row(db, st, row_sums, &v, err, errlen);
}

static int row_holding(struct db_stmt *st, const void *arg)
{
    const struct daystore_rows *v = arg;
    return v->holding(text(st, 0), db_col_int64(st, 1), v->arg);
}

struct holdings_into {
    struct portfolio *pf;
    char *err;
    size_t errlen;
};

static int hold(const char *symbol, int64_t shares, void *arg)
{
    struct holdings_into *h = arg;
    if (portfolio_set(h->pf, symbol, shares) != 0)
        return err_set(h->err, h->errlen, "bad stored holding");
    return 0;
}

int daystore_holdings(struct db *db, long long position_id, money_t cash, struct portfolio *out,
                      char *err, size_t errlen)
{
    struct portfolio pf;
    struct holdings_into h = {&pf, err, errlen};
    portfolio_init(&pf, cash);
    struct daystore_rows rows = {.holding = hold, .arg = &h};
    if (daystore_each_row(db, position_id, &rows, err, errlen) != 0) {
        portfolio_free(&pf);
        return -1;
    }
    *out = pf;
    return 0;
}

static int row_trade(struct db_stmt *st, const void *arg)
{
    const struct daystore_rows *v = arg;
    struct daystore_trade t = {.seq = db_col_int(st, 0),
                               .action = text(st, 1),
                               .symbol = text(st, 2),
                               .amount = db_col_int64(st, 3),
                               .price = db_col_int64(st, 4),
                               .total = db_col_int64(st, 5),
                               .fee = db_col_int64(st, 6)};
    return v->trade(&t, v->arg);
}

static int row_split(struct db_stmt *st, const void *arg)
{
    const struct daystore_rows *v = arg;
    struct splits_applied s = {.before = db_col_int64(st, 3),
                               .after = db_col_int64(st, 4),
                               .price = db_col_int64(st, 5),
                               .cash = db_col_int64(st, 6)};
    snprintf(s.symbol, sizeof(s.symbol), "%s", text(st, 0));
    snprintf(s.date, sizeof(s.date), "%s", text(st, 1));
    snprintf(s.factor, sizeof(s.factor), "%s", text(st, 2));
    return v->split(&s, v->arg);
}

static int row_tool(struct db_stmt *st, const void *arg)
{
    const struct daystore_rows *v = arg;
    struct daystore_tool t = {.name = text(st, 0),
                              .calls = db_col_int64(st, 1),
                              .errors = db_col_int64(st, 2),
                              .total_ms = db_col_double(st, 3)};
    return v->tool(&t, v->arg);
}

static int row_message(struct db_stmt *st, const void *arg)
{
    const struct daystore_rows *v = arg;
    struct daystore_message m = {.step = db_col_int(st, 0),
                                 .role = text(st, 1),
                                 .content = text(st, 2),
                                 .tool_name = text(st, 3),
                                 .tool_call_id = text(st, 4),
                                 .message_json = text(st, 5),
                                 .timestamp = text(st, 6),
                                 .completion = db_col_is_null(st, 7) ? -1 : db_col_int(st, 7)};
    return v->message(&m, v->arg);
}

int daystore_each_row(struct db *db, long long id, const struct daystore_rows *rows, char *err,
                      size_t errlen)
{
    const struct daystore_rows *r = rows;
    if ((r->holding && per_position(db, SQL_HOLDINGS, id, row_holding, r, err, errlen) != 0) ||
        (r->split && per_position(db, SQL_SPLITS, id, row_split, r, err, errlen) != 0) ||
        (r->trade && per_position(db, SQL_TRADES, id, row_trade, r, err, errlen) != 0) ||
        (r->tool && per_position(db, SQL_TOOLS, id, row_tool, r, err, errlen) != 0) ||
        (r->message && per_position(db, SQL_MESSAGES, id, row_message, r, err, errlen) != 0))
        return -1;
    return 0;
}

/* --- for planning jobs and the AI-Trader import ---------------------------- */

/* The skipped jobs' results are left out here in C, not in SQL: the
 * engines read a JSON array in different ways, and those results are few
 * (the active jobs'). */
static const char SQL_DATES_DESC[] =
    "SELECT date, job_id FROM positions WHERE model = ?1 ORDER BY date DESC";
static const char SQL_DATES_BETWEEN[] = "SELECT date, job_id FROM positions WHERE model = ?1"
                                        " AND date BETWEEN ?2 AND ?3 ORDER BY date";
static const char SQL_COUNT_FROM[] =
    "SELECT count(*), min(date) FROM positions WHERE model = ?1 AND date >= ?2";
static const char SQL_DELETE_FROM[] = "DELETE FROM positions WHERE model = ?1 AND date >= ?2"
                                      " AND (CAST(?3 AS TEXT) IS NULL OR job_id <> ?3)";

/* Whether job_id is one of the strings of skip (a JSON array, or NULL). */
static bool skipped(json_object *skip, const char *job_id)
{
    size_t n = json_object_is_type(skip, json_type_array) ? json_object_array_length(skip) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(skip, i);
        if (json_object_is_type(v, json_type_string) &&
            strcmp(json_object_get_string(v), job_id) == 0)
            return true;
    }
    return false;
}

/* Steps the bound st (rows: date, job_id), appending to out each date not
 * of a job in skip_jobs, up to max dates; resets st. */
static int dates_not_of(struct db *db, struct db_stmt *st, const char *skip_jobs, size_t max,
                        struct datelist *out, char *err, size_t errlen)
{
    json_object *skip = skip_jobs && *skip_jobs ? json_tokener_parse(skip_jobs) : NULL;
    enum db_step rc = DB_STEP_DONE;
    size_t got = 0;
    int failed = 0;
    while (got < max &&
           (rc = db_step(db, st, "reading completed days", err, errlen)) == DB_STEP_ROW) {
        if (skipped(skip, text(st, 1)))
            continue;
        if (datelist_push(out, text(st, 0)) != 0) {
            failed = err_set(err, errlen, "stored date too long");
            break;
        }
        got++;
    }
    db_reset(st);
    json_object_put(skip);
    return failed || rc == DB_STEP_ERROR ? -1 : 0;
}

int daystore_last_date_except(struct db *db, const char *model, const char *skip_jobs,
                              char out[DATE_BUF], char *err, size_t errlen)
{
    struct datelist last = {0};
    struct db_stmt *st = db_stmt(db, SQL_DATES_DESC, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, model);
    int rc = dates_not_of(db, st, skip_jobs, 1, &last, err, errlen);
    if (rc == 0)
        snprintf(out, DATE_BUF, "%s", last.n ? last.d[0] : "");
    datelist_free(&last);
    return rc;
}

int daystore_dates_except(struct db *db, const char *model, const char *from, const char *to,
                          const char *skip_jobs, struct datelist *out, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_DATES_BETWEEN, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, model);
    db_bind_text(st, 2, from);
    db_bind_text(st, 3, to);
    return dates_not_of(db, st, skip_jobs, SIZE_MAX, out, err, errlen);
}

int daystore_count_from(struct db *db, const char *model, const char *date, long long *count,
                        char first[DATE_BUF], char *err, size_t errlen)
{
    enum daystore_found found;
    struct db_stmt *st = lookup(db, SQL_COUNT_FROM, model, date, &found, err, errlen);
    if (found == DAYSTORE_FOUND) {
        *count = db_col_int64(st, 0);
        snprintf(first, DATE_BUF, "%s", text(st, 1));
    }
    return looked_up(st, found) == DAYSTORE_ERROR ? -1 : 0;
}

int daystore_delete_from(struct db *db, const char *model, const char *date, const char *keep_job,
                         long long *deleted, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_DELETE_FROM, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, model);
    db_bind_text(st, 2, date);
    db_bind_text(st, 3, keep_job);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        return -1;
    if (deleted)
        *deleted = db_changes(db);
    return 0;
}
