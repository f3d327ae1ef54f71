/* page_results: GET /results. The end-of-day state of each model on one date
 * (given, or the latest date with results for the other filters): positions
 * with cash, the day's profit and value and, with detail=full, the trades
 * (with their fees), the splits applied that day (corporate_actions), the
 * reasoning summary, tool usage and the log file. Amounts are exact decimals
 * (money_to_json). */
#include "dates.h"
#include "money.h"
#include "routes.h"

#include <stdio.h>
#include <string.h>

static const char SQL_LATEST_DATE[] = "SELECT max(date) FROM positions"
                                      " WHERE (?1 IS NULL OR model = ?1)"
                                      " AND (?2 IS NULL OR job_id = ?2)";
static const char SQL_POSITIONS[] =
    "SELECT id, model, job_id, cash, portfolio_value, daily_profit, daily_return_pct,"
    " total_steps, stop_signal, reasoning_summary, log_file_path,"
    " prompt_tokens, completion_tokens, total_tokens FROM positions"
    " WHERE date = ?1 AND (?2 IS NULL OR model = ?2) AND (?3 IS NULL OR job_id = ?3)"
    " ORDER BY model";
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
    C_TOTAL_TOKENS
};

struct filters {
    const char *date, *model, *job_id;
    int full;
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
    if (log)
        json_object_object_add(r, "log_file_path", json_object_new_string(log));
    if (per_position(db, SQL_TRADES, id, trades, add_trade, err, errlen) != 0 ||
        per_position(db, SQL_ACTIONS, id, actions, add_action, err, errlen) != 0)
        return -1;
    return per_position(db, SQL_TOOLS, id, tools, add_tool, err, errlen);
}

/* One result from the positions row st. */
static json_object *result_of(struct db *db, sqlite3_stmt *st, int full, char *err, size_t errlen)
{
    json_object *r = json_object_new_object(), *positions = json_object_new_object(),
                *pnl = json_object_new_object();
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
        (full && add_full(db, st, r, err, errlen) != 0)) {
        json_object_put(r);
        return NULL;
    }
    json_object_object_add(positions, "CASH", money_to_json(sqlite3_column_int64(st, C_CASH)));
    return r;
}

/* Binds the optional filters model and job_id at first, first + 1. */
static int bind_filters(struct db *db, sqlite3_stmt *st, int first, const struct filters *f,
                        char *err, size_t errlen)
{
    if (sqlite3_bind_text(st, first, f->model, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, first + 1, f->job_id, -1, SQLITE_STATIC) != SQLITE_OK)
        return db_error(db, "bind", err, errlen);
    return 0;
}

/* The latest date with results for the filters into date; 1, 0 or -1. */
static int latest_date(struct db *db, const struct filters *f, char date[DATE_BUF], char *err,
                       size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_LATEST_DATE, err, errlen);
    int rc = -1;
    if (!st || bind_filters(db, st, 1, f, err, errlen) != 0 || step(db, st, err, errlen) != 1)
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

/* The results array of f on date. */
static int results_on(struct db *db, const struct filters *f, const char *date,
                      json_object *results, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_POSITIONS, err, errlen);
    int rc = -1, more;
    if (!st)
        return -1;
    if (sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC) != SQLITE_OK) {
        db_error(db, "bind", err, errlen);
        goto out;
    }
    if (bind_filters(db, st, 2, f, err, errlen) != 0)
        goto out;
    while ((more = step(db, st, err, errlen)) == 1) {
        json_object *r = result_of(db, st, f->full, err, errlen);
        if (!r)
            goto out;
        json_object_array_add(results, r);
    }
    rc = more;
out:
    sqlite3_reset(st);
    return rc;
}

/* 404 no_data naming the filters that were given. */
static int no_data(struct response *resp, const struct filters *f)
{
    const char *what[3], *val[3];
    char msg[256] = "No simulation data found";
    int n = 0;
    if (f->date)
        what[n] = "date", val[n++] = f->date;
    if (f->model)
        what[n] = "model", val[n++] = f->model;
    if (f->job_id)
        what[n] = "job", val[n++] = f->job_id;
    for (int i = 0; i < n; i++) {
        size_t used = strlen(msg);
        snprintf(msg + used, sizeof(msg) - used, "%s%s %s",
                 i == 0       ? " for "
                 : i == n - 1 ? " and "
                              : ", ",
                 what[i], val[i]);
    }
    http_error(resp, 404, "no_data", "%s", msg);
    return 0;
}

int page_results(struct request *req, struct response *resp, struct app *app)
{
    struct db *db = app->db;
    const char *detail = http_param(req, "detail");
    struct filters f = {http_param(req, "date"), http_param(req, "model"),
                        http_param(req, "job_id"), detail && strcmp(detail, "full") == 0};
    char date[DATE_BUF];
    json_object *body = NULL, *results = json_object_new_array();
    int rc = -1, found = 1;
    if (app_begin_read(db, resp->err, sizeof(resp->err)) != 0)
        goto out;
    if (f.date)
        snprintf(date, sizeof(date), "%s", f.date);
    else
        found = latest_date(db, &f, date, resp->err, sizeof(resp->err));
    if (found < 0 ||
        (found && results_on(db, &f, date, results, resp->err, sizeof(resp->err)) != 0))
        goto out;
    rc = 0;
    if (!found || json_object_array_length(results) == 0) {
        no_data(resp, &f);
        goto out;
    }
    body = json_object_new_object();
    json_object_object_add(body, "date", json_object_new_string(date));
    json_object_object_add(body, "count",
                           json_object_new_int64((int64_t)json_object_array_length(results)));
    json_object_object_add(body, "results", results);
    results = NULL;
    http_json(resp, 200, body);
out:
    app_end_read(db);
    json_object_put(results);
    return rc;
}
