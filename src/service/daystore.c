/* daystore: see daystore.h. */
#include "service/daystore.h"

#include "base/errbuf.h"

#include <stdio.h>
#include <string.h>

static const char SQL_POSITION[] =
    "INSERT INTO positions(job_id, date, model, cash, portfolio_value, prev_value, daily_profit,"
    " daily_return_pct, total_steps, stop_signal, reasoning_summary, prompt_tokens,"
    " completion_tokens, total_tokens, log_file_path, created_at, cost, ntrades, fees)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19)";
static const char SQL_TRADE[] =
    "INSERT INTO trades(position_id, seq, action, symbol, amount, price, total, fee)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_HOLDING[] =
    "INSERT INTO holdings(position_id, symbol, quantity) VALUES(?1, ?2, ?3)";
static const char SQL_MESSAGE[] =
    "INSERT INTO reasoning_logs(position_id, step, role, content, tool_name, tool_call_id,"
    " message_json, timestamp, completion) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_READ_HOLDINGS[] =
    "SELECT symbol, quantity FROM holdings WHERE position_id = ?1";
static const char SQL_ACTION[] =
    "INSERT INTO corporate_actions(position_id, seq, action, symbol, effective_date, factor,"
    " shares_before, shares_after, price, cash) VALUES(?1, ?2, 'split', ?3, ?4, ?5, ?6, ?7, ?8, "
    "?9)";
static const char SQL_TOOL[] =
    "INSERT INTO tool_usage(position_id, tool_name, calls, errors, total_duration_ms)"
    " VALUES(?1, ?2, ?3, ?4, ?5)";

static int insert_position(struct db *db, const struct daystore_day *d, sqlite3_int64 *id,
                           char *err, size_t errlen)
{
    money_t fees = 0; /* the day's, kept with it for the analytics (perf.h) */
    for (size_t i = 0; i < d->ntrades; i++)
        if (money_add(fees, d->trades[i].fee, &fees) != 0)
            return err_set(err, errlen, "the day's fees overflow");
    sqlite3_stmt *st = db_stmt(db, SQL_POSITION, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, d->job_id);
    db_bind_text(st, 2, d->date);
    db_bind_text(st, 3, d->model);
    sqlite3_bind_int64(st, 4, d->cash);
    sqlite3_bind_int64(st, 5, d->pnl.value);
    sqlite3_bind_int64(st, 6, d->pnl.prev);
    sqlite3_bind_int64(st, 7, d->pnl.profit);
    sqlite3_bind_double(st, 8, d->pnl.return_pct);
    sqlite3_bind_int(st, 9, d->total_steps);
    sqlite3_bind_int(st, 10, d->stop_signal ? 1 : 0);
    db_bind_text(st, 11, d->reasoning_summary);
    sqlite3_bind_int64(st, 12, d->prompt_tokens);
    sqlite3_bind_int64(st, 13, d->completion_tokens);
    sqlite3_bind_int64(st, 14, d->total_tokens);
    db_bind_text(st, 15, d->log_file_path);
    db_bind_text(st, 16, d->created_at);
    if (d->priced)
        sqlite3_bind_int64(st, 17, d->cost);
    else
        sqlite3_bind_null(st, 17);
    sqlite3_bind_int64(st, 18, (sqlite3_int64)d->ntrades);
    sqlite3_bind_int64(st, 19, fees);
    if (db_step_done(db, st, "cannot store the position", err, errlen) != 0)
        return -1;
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

static int insert_trades(struct db *db, const struct daystore_day *d, sqlite3_int64 id, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < d->ntrades; i++) {
        const struct daystore_trade *t = &d->trades[i];
        sqlite3_stmt *st = db_stmt(db, SQL_TRADE, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, t->seq);
        db_bind_text(st, 3, t->action);
        db_bind_text(st, 4, t->symbol);
        sqlite3_bind_int64(st, 5, t->amount);
        sqlite3_bind_int64(st, 6, t->price);
        sqlite3_bind_int64(st, 7, t->total);
        sqlite3_bind_int64(st, 8, t->fee);
        if (db_step_done(db, st, "cannot store a trade", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_holdings(struct db *db, const struct portfolio *p, sqlite3_int64 id, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < p->n; i++) {
        sqlite3_stmt *st = db_stmt(db, SQL_HOLDING, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        db_bind_text(st, 2, p->h[i].symbol);
        sqlite3_bind_int64(st, 3, p->h[i].shares);
        if (db_step_done(db, st, "cannot store a holding", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_messages(struct db *db, const struct daystore_day *d, sqlite3_int64 id, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < d->nmessages; i++) {
        const struct daystore_message *m = &d->messages[i];
        sqlite3_stmt *st = db_stmt(db, SQL_MESSAGE, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, m->step);
        db_bind_text(st, 3, m->role);
        db_bind_text(st, 4, m->content);
        db_bind_text(st, 5, m->tool_name);
        db_bind_text(st, 6, m->tool_call_id);
        db_bind_text(st, 7, m->message_json);
        db_bind_text(st, 8, m->timestamp);
        if (m->completion >= 0)
            sqlite3_bind_int(st, 9, m->completion);
        else
            sqlite3_bind_null(st, 9);
        if (db_step_done(db, st, "cannot store a reasoning message", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_tools(struct db *db, const struct daystore_day *d, sqlite3_int64 id, char *err,
                        size_t errlen)
{
    for (size_t i = 0; i < d->ntools; i++) {
        const struct daystore_tool *t = &d->tools[i];
        sqlite3_stmt *st = db_stmt(db, SQL_TOOL, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        db_bind_text(st, 2, t->name);
        sqlite3_bind_int64(st, 3, t->calls);
        sqlite3_bind_int64(st, 4, t->errors);
        sqlite3_bind_double(st, 5, t->total_ms);
        if (db_step_done(db, st, "cannot store tool usage", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_splits(struct db *db, const struct daystore_day *d, sqlite3_int64 id, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < d->nsplits; i++) {
        const struct splits_applied *s = &d->splits[i];
        sqlite3_stmt *st = db_stmt(db, SQL_ACTION, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
        db_bind_text(st, 3, s->symbol);
        db_bind_text(st, 4, s->date);
        db_bind_text(st, 5, s->factor);
        sqlite3_bind_int64(st, 6, s->before);
        sqlite3_bind_int64(st, 7, s->after);
        sqlite3_bind_int64(st, 8, s->price);
        sqlite3_bind_int64(st, 9, s->cash);
        if (db_step_done(db, st, "cannot store a split", err, errlen) != 0)
            return -1;
    }
    return 0;
}

int daystore_insert(struct db *db, const struct daystore_day *day, long long *position_id,
                    char *err, size_t errlen)
{
    sqlite3_int64 id = 0;
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

int daystore_holdings(struct db *db, long long position_id, money_t cash, struct portfolio *out,
                      char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_READ_HOLDINGS, err, errlen);
    struct portfolio pf;
    int rc, bad = 0;
    if (!st)
        return -1;
    portfolio_init(&pf, cash);
    sqlite3_bind_int64(st, 1, position_id);
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW)
        bad = portfolio_set(&pf, (const char *)sqlite3_column_text(st, 0),
                            sqlite3_column_int64(st, 1)) != 0;
    sqlite3_reset(st);
    if (bad || rc != SQLITE_DONE) {
        portfolio_free(&pf);
        return bad ? err_set(err, errlen, "bad stored holding")
                   : db_error(db, "cannot read holdings", err, errlen);
    }
    *out = pf;
    return 0;
}

/* --- for planning jobs and the AI-Trader import ---------------------------- */

static const char SQL_LAST_EXCEPT[] = "SELECT max(date) FROM positions WHERE model = ?1"
                                      " AND job_id NOT IN (SELECT value FROM json_each(?2))";
static const char SQL_DATES_EXCEPT[] =
    "SELECT date FROM positions WHERE model = ?1 AND date BETWEEN ?2 AND ?3"
    " AND job_id NOT IN (SELECT value FROM json_each(?4)) ORDER BY date";
static const char SQL_COUNT_FROM[] =
    "SELECT count(*), min(date) FROM positions WHERE model = ?1 AND date >= ?2";
static const char SQL_DELETE_FROM[] = "DELETE FROM positions WHERE model = ?1 AND date >= ?2"
                                      " AND (?3 IS NULL OR job_id <> ?3)";

int daystore_last_date_except(struct db *db, const char *model, const char *skip_jobs,
                              char out[DATE_BUF], char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_LAST_EXCEPT, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, model);
    db_bind_text(st, 2, skip_jobs);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(out, DATE_BUF, "%s",
                 sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_error(db, "reading completed days", err, errlen);
}

int daystore_dates_except(struct db *db, const char *model, const char *from, const char *to,
                          const char *skip_jobs, struct datelist *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_DATES_EXCEPT, err, errlen);
    int rc;
    if (!st)
        return -1;
    db_bind_text(st, 1, model);
    db_bind_text(st, 2, from);
    db_bind_text(st, 3, to);
    db_bind_text(st, 4, skip_jobs);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (datelist_push(out, (const char *)sqlite3_column_text(st, 0)) != 0)
            break;
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return err_set(err, errlen, "out of memory");
    return rc == SQLITE_DONE ? 0 : db_error(db, "reading completed days", err, errlen);
}

int daystore_count_from(struct db *db, const char *model, const char *date, long long *count,
                        char first[DATE_BUF], char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_COUNT_FROM, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, model);
    db_bind_text(st, 2, date);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_error(db, "cannot read positions", err, errlen);
    }
    *count = sqlite3_column_int64(st, 0);
    snprintf(first, DATE_BUF, "%s",
             sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
    sqlite3_reset(st);
    return 0;
}

int daystore_delete_from(struct db *db, const char *model, const char *date, const char *keep_job,
                         long long *deleted, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_DELETE_FROM, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, model);
    db_bind_text(st, 2, date);
    db_bind_text(st, 3, keep_job);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        return -1;
    if (deleted)
        *deleted = sqlite3_changes64(db->h);
    return 0;
}

static const char SQL_HAS_JOB[] = "SELECT EXISTS(SELECT 1 FROM positions WHERE job_id = ?1)";

int daystore_has_job(struct db *db, const char *job_id, bool *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_HAS_JOB, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_error(db, "finding the latest job", err, errlen);
    }
    *out = sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    return 0;
}
