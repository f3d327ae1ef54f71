/* results: see results.h. One query lists the positions rows of a date
 * range (a single date is a range of one) in (date, model) order from
 * idx_positions_date_model; per-position queries add holdings, trades
 * (with their fees), the splits applied that day (corporate_actions) and
 * tool usage. Amounts are exact decimals (money_to_json). */
#include "service/results.h"

#include "base/money.h"

#include <stdio.h>
#include <string.h>

#define RESULTS_DATE_MIN "0000-00-00"
#define RESULTS_DATE_MAX "9999-99-99"

static const char SQL_LATEST_DATE[] = "SELECT max(date) FROM positions"
                                      " WHERE (?1 IS NULL OR model = ?1)"
                                      " AND (?2 IS NULL OR job_id = ?2)";
#define RESULTS_WHERE                                                                              \
    " FROM positions WHERE date >= ?1 AND date <= ?2 AND (?3 IS NULL OR model = ?3)"               \
    " AND (?4 IS NULL OR job_id = ?4)"
static const char SQL_POSITIONS[] =
    "SELECT id, model, job_id, cash, portfolio_value, daily_profit, daily_return_pct,"
    " total_steps, stop_signal, reasoning_summary, log_file_path,"
    " prompt_tokens, completion_tokens, total_tokens, cost, date" RESULTS_WHERE
    " ORDER BY date, model LIMIT ?5 OFFSET ?6";
static const char SQL_COUNT[] = "SELECT count(*), min(date), max(date)" RESULTS_WHERE;
static const char SQL_HOLDINGS[] =
    "SELECT symbol, quantity FROM holdings WHERE position_id = ?1 ORDER BY symbol";
static const char SQL_TRADES[] = "SELECT seq, action, symbol, amount, price, total, fee FROM trades"
                                 " WHERE position_id = ?1 ORDER BY seq";
static const char SQL_ACTIONS[] =
    "SELECT action, symbol, effective_date, factor, shares_before, shares_after, price, cash"
    " FROM corporate_actions WHERE position_id = ?1 ORDER BY seq";
static const char SQL_TOOLS[] =
    "SELECT tool_name, calls FROM tool_usage WHERE position_id = ?1 ORDER BY tool_name";

enum {
    C_ID,
    C_MODEL,
    C_JOB,
    C_CASH,
    C_VALUE,
    C_PROFIT,
    C_RETURN,
    C_STEPS,
    C_STOP,
    C_SUMMARY,
    C_LOG,
    C_PROMPT_TOKENS,
    C_COMPLETION_TOKENS,
    C_TOTAL_TOKENS,
    C_COST,
    C_DATE
};

/* One step: 1 with a row, 0 when done, -1 with err filled. */
static int step(struct db *db, sqlite3_stmt *st, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : db_error(db, "query", err, errlen);
}

/* The rows of a per-position query (holdings, trades, tools), each turned
 * into JSON by add_row into dst. Returns 0 or -1. */
static int per_position(struct db *db, const char *sql, sqlite3_int64 position_id, json_object *dst,
                        void (*add_row)(sqlite3_stmt *, json_object *), char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, sql, err, errlen);
    int rc = -1, more;
    if (!st)
        return -1;
    if (sqlite3_bind_int64(st, 1, position_id) != SQLITE_OK) {
        db_error(db, "bind", err, errlen);
        goto out;
    }
    while ((more = step(db, st, err, errlen)) == 1)
        add_row(st, dst);
    rc = more;
out:
    sqlite3_reset(st);
    return rc;
}

static void add_holding(sqlite3_stmt *st, json_object *positions)
{
    json_object_object_add(positions, (const char *)sqlite3_column_text(st, 0),
                           json_object_new_int64(sqlite3_column_int64(st, 1)));
}

static void add_trade(sqlite3_stmt *st, json_object *trades)
{
    json_object *t = json_object_new_object();
    json_object_object_add(t, "id", json_object_new_int64(sqlite3_column_int64(st, 0)));
    json_object_object_add(t, "action",
                           json_object_new_string((const char *)sqlite3_column_text(st, 1)));
    json_object_object_add(t, "symbol",
                           json_object_new_string((const char *)sqlite3_column_text(st, 2)));
    json_object_object_add(t, "amount", json_object_new_int64(sqlite3_column_int64(st, 3)));
    json_object_object_add(t, "price", money_to_json(sqlite3_column_int64(st, 4)));
    json_object_object_add(t, "total", money_to_json(sqlite3_column_int64(st, 5)));
    json_object_object_add(t, "fee", money_to_json(sqlite3_column_int64(st, 6)));
    json_object_array_add(trades, t);
}

/* A split applied to the holdings at the start of the day. */
static void add_action(sqlite3_stmt *st, json_object *actions)
{
    json_object *a = json_object_new_object();
    for (int i = 0; i < 4; i++)
        json_object_object_add(a, sqlite3_column_name(st, i),
                               json_object_new_string((const char *)sqlite3_column_text(st, i)));
    json_object_object_add(a, "shares_before", json_object_new_int64(sqlite3_column_int64(st, 4)));
    json_object_object_add(a, "shares_after", json_object_new_int64(sqlite3_column_int64(st, 5)));
    json_object_object_add(a, "price", money_to_json(sqlite3_column_int64(st, 6)));
    json_object_object_add(a, "cash", money_to_json(sqlite3_column_int64(st, 7)));
    json_object_array_add(actions, a);
}

static void add_tool(sqlite3_stmt *st, json_object *tools)
{
    json_object_object_add(tools, (const char *)sqlite3_column_text(st, 0),
                           json_object_new_int64(sqlite3_column_int64(st, 1)));
}

/* The full-detail fields of the position in row st, added to r. */
static int add_full(struct db *db, sqlite3_stmt *st, json_object *r, char *err, size_t errlen)
{
    sqlite3_int64 id = sqlite3_column_int64(st, C_ID);
    json_object *trades = json_object_new_array(), *reasoning = json_object_new_object(),
                *tools = json_object_new_object(), *actions = json_object_new_array();
    const char *summary = (const char *)sqlite3_column_text(st, C_SUMMARY);
    const char *log = (const char *)sqlite3_column_text(st, C_LOG);
    json_object_object_add(r, "trades", trades);
    json_object_object_add(r, "corporate_actions", actions);
    json_object_object_add(r, "ai_reasoning", reasoning);
    json_object_object_add(reasoning, "total_steps",
                           json_object_new_int64(sqlite3_column_int64(st, C_STEPS)));
    json_object_object_add(reasoning, "stop_signal_received",
                           json_object_new_boolean(sqlite3_column_int(st, C_STOP)));
    json_object_object_add(reasoning, "reasoning_summary",
                           summary ? json_object_new_string(summary) : NULL);
    json_object_object_add(reasoning, "tool_usage", tools);
    /* An extension for LLM benchmarks: what the day cost in tokens. */
    json_object *tokens = json_object_new_object();
    json_object_object_add(reasoning, "token_usage", tokens);
    json_object_object_add(tokens, "prompt_tokens",
                           json_object_new_int64(sqlite3_column_int64(st, C_PROMPT_TOKENS)));
    json_object_object_add(tokens, "completion_tokens",
                           json_object_new_int64(sqlite3_column_int64(st, C_COMPLETION_TOKENS)));
    json_object_object_add(tokens, "total_tokens",
                           json_object_new_int64(sqlite3_column_int64(st, C_TOTAL_TOKENS)));
    /* What those tokens cost at the model's pricing; null without one. */
    json_object_object_add(reasoning, "cost_usd",
                           sqlite3_column_type(st, C_COST) == SQLITE_NULL
                               ? NULL
                               : money_to_json(sqlite3_column_int64(st, C_COST)));
    if (log)
        json_object_object_add(r, "log_file_path", json_object_new_string(log));
    if (per_position(db, SQL_TRADES, id, trades, add_trade, err, errlen) != 0 ||
        per_position(db, SQL_ACTIONS, id, actions, add_action, err, errlen) != 0)
        return -1;
    return per_position(db, SQL_TOOLS, id, tools, add_tool, err, errlen);
}

/* One result from the positions row st; a range's results carry their date. */
static json_object *result_of(struct db *db, sqlite3_stmt *st, const struct results_query *q,
                              char *err, size_t errlen)
{
    json_object *r = json_object_new_object(), *positions = json_object_new_object(),
                *pnl = json_object_new_object();
    if (!q->date)
        json_object_object_add(
            r, "date", json_object_new_string((const char *)sqlite3_column_text(st, C_DATE)));
    json_object_object_add(r, "model",
                           json_object_new_string((const char *)sqlite3_column_text(st, C_MODEL)));
    json_object_object_add(r, "job_id",
                           json_object_new_string((const char *)sqlite3_column_text(st, C_JOB)));
    json_object_object_add(r, "positions", positions);
    json_object_object_add(r, "daily_pnl", pnl);
    json_object_object_add(pnl, "profit", money_to_json(sqlite3_column_int64(st, C_PROFIT)));
    json_object_object_add(pnl, "return_pct",
                           json_object_new_double(sqlite3_column_double(st, C_RETURN)));
    json_object_object_add(pnl, "portfolio_value",
                           money_to_json(sqlite3_column_int64(st, C_VALUE)));
    if (per_position(db, SQL_HOLDINGS, sqlite3_column_int64(st, C_ID), positions, add_holding, err,
                     errlen) != 0 ||
        (q->full && add_full(db, st, r, err, errlen) != 0)) {
        json_object_put(r);
        return NULL;
    }
    json_object_object_add(positions, "CASH", money_to_json(sqlite3_column_int64(st, C_CASH)));
    return r;
}

/* Binds the optional filters model and job_id at first, first + 1. */
static int bind_filters(struct db *db, sqlite3_stmt *st, int first, const struct results_query *q,
                        char *err, size_t errlen)
{
    if (sqlite3_bind_text(st, first, q->model, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, first + 1, q->job_id, -1, SQLITE_STATIC) != SQLITE_OK)
        return db_error(db, "bind", err, errlen);
    return 0;
}

/* Binds the dates (one or a range) and the filters, from ?1. */
static int bind_query(struct db *db, sqlite3_stmt *st, const struct results_query *q, char *err,
                      size_t errlen)
{
    const char *from = q->date ? q->date : q->start_date, *to = q->date ? q->date : q->end_date;
    if (sqlite3_bind_text(st, 1, from ? from : RESULTS_DATE_MIN, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, to ? to : RESULTS_DATE_MAX, -1, SQLITE_STATIC) != SQLITE_OK)
        return db_error(db, "bind", err, errlen);
    return bind_filters(db, st, 3, q, err, errlen);
}

int results_latest_date(struct db *db, const struct results_query *q, char date[DATE_BUF],
                        char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_LATEST_DATE, err, errlen);
    int rc = -1;
    if (!st || bind_filters(db, st, 1, q, err, errlen) != 0 || step(db, st, err, errlen) != 1)
        goto out;
    const char *d = (const char *)sqlite3_column_text(st, 0);
    rc = d && strlen(d) < DATE_BUF;
    if (rc)
        memcpy(date, d, strlen(d) + 1);
out:
    if (st)
        sqlite3_reset(st);
    return rc;
}

int results_list(struct db *db, const struct results_query *q, json_object *results, char *err,
                 size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_POSITIONS, err, errlen);
    int rc = -1, more;
    if (!st)
        return -1;
    if (bind_query(db, st, q, err, errlen) != 0)
        goto out;
    if (sqlite3_bind_int64(st, 5, q->date ? -1 : q->limit) != SQLITE_OK ||
        sqlite3_bind_int64(st, 6, q->date ? 0 : q->offset) != SQLITE_OK) {
        db_error(db, "bind", err, errlen);
        goto out;
    }
    while ((more = step(db, st, err, errlen)) == 1) {
        json_object *r = result_of(db, st, q, err, errlen);
        if (!r)
            goto out;
        json_object_array_add(results, r);
    }
    rc = more;
out:
    sqlite3_reset(st);
    return rc;
}

int results_count(struct db *db, const struct results_query *q, long long *total,
                  char first[DATE_BUF], char last[DATE_BUF], char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_COUNT, err, errlen);
    int rc = -1;
    if (!st || bind_query(db, st, q, err, errlen) != 0 || step(db, st, err, errlen) != 1)
        goto out;
    *total = sqlite3_column_int64(st, 0);
    snprintf(first, DATE_BUF, "%s", *total ? (const char *)sqlite3_column_text(st, 1) : "");
    snprintf(last, DATE_BUF, "%s", *total ? (const char *)sqlite3_column_text(st, 2) : "");
    rc = 0;
out:
    if (st)
        sqlite3_reset(st);
    return rc;
}
