/* results: see results.h. The stored days come from daystore.h, which
 * lists the positions rows of a date range (a single date is a range of
 * one) in (date, model) order; per day it adds holdings, trades (with their
 * fees), the splits applied that day (corporate_actions) and tool usage.
 * Amounts are exact decimals (money_to_json). */
#include "service/results.h"

#include "base/jsontext.h"
#include "base/mem.h"
#include "base/money.h"
#include "service/daystore.h"

/* What the row functions build into, and where they report. */
struct build {
    struct db *db;
    const struct results_query *q;
    json_object *results; /* the array of results */
    /* the current result's containers (NULL when not asked for) */
    json_object *positions, *trades, *actions, *tools;
    char *err;
    size_t errlen;
};

static int add_holding(const char *symbol, int64_t shares, void *arg)
{
    json_put(((struct build *)arg)->positions, symbol, json_object_new_int64(shares));
    return 0;
}

/* A new object pushed onto the array a, for the caller to fill. */
static json_object *push_object(json_object *a)
{
    json_object *o = json_new_object();
    json_push(a, o);
    return o;
}

static int add_trade(const struct daystore_trade *tr, void *arg)
{
    json_object *t = push_object(((struct build *)arg)->trades);
    json_put(t, "id", json_object_new_int64(tr->seq));
    json_put(t, "action", json_object_new_string(tr->action));
    json_put(t, "symbol", json_object_new_string(tr->symbol));
    json_put(t, "amount", json_object_new_int64(tr->amount));
    json_put(t, "price", money_to_json(tr->price));
    json_put(t, "total", money_to_json(tr->total));
    json_put(t, "fee", money_to_json(tr->fee));
    return 0;
}

/* A split applied to the holdings at the start of the day (the only
 * corporate action stored). */
static int add_action(const struct splits_applied *s, void *arg)
{
    const char *texts[][2] = {{"action", "split"},
                              {"symbol", s->symbol},
                              {"effective_date", s->date},
                              {"factor", s->factor}};
    json_object *a = push_object(((struct build *)arg)->actions);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        json_put(a, texts[i][0], json_object_new_string(texts[i][1]));
    json_put(a, "shares_before", json_object_new_int64(s->before));
    json_put(a, "shares_after", json_object_new_int64(s->after));
    json_put(a, "price", money_to_json(s->price));
    json_put(a, "cash", money_to_json(s->cash));
    return 0;
}

static int add_tool(const struct daystore_tool *t, void *arg)
{
    json_put(((struct build *)arg)->tools, t->name, json_object_new_int64(t->calls));
    return 0;
}

/* A new object or array put into o under key, for the caller to fill. */
static json_object *put_new(json_object *o, const char *key, json_object *val)
{
    json_put(o, key, val);
    return val;
}

/* The full-detail fields of day into r; the containers of its rows into b. */
static void add_full(struct build *b, const struct daystore_day *d, json_object *r)
{
    b->trades = put_new(r, "trades", json_new_array());
    b->actions = put_new(r, "corporate_actions", json_new_array());
    json_object *reasoning = put_new(r, "ai_reasoning", json_new_object());
    json_put(reasoning, "total_steps", json_object_new_int64(d->total_steps));
    json_put(reasoning, "stop_signal_received", json_object_new_boolean(d->stop_signal));
    json_put_string_or_null(reasoning, "reasoning_summary", d->reasoning_summary);
    b->tools = put_new(reasoning, "tool_usage", json_new_object());
    /* An extension for LLM benchmarks: what the day cost in tokens. */
    json_object *tokens = put_new(reasoning, "token_usage", json_new_object());
    json_put(tokens, "prompt_tokens", json_object_new_int64(d->prompt_tokens));
    json_put(tokens, "completion_tokens", json_object_new_int64(d->completion_tokens));
    json_put(tokens, "total_tokens", json_object_new_int64(d->total_tokens));
    /* What those tokens cost at the model's pricing; null without one. */
    if (d->priced)
        json_put(reasoning, "cost_usd", money_to_json(d->cost));
    else
        json_put_null(reasoning, "cost_usd");
    if (d->log_file_path)
        json_put(r, "log_file_path", json_object_new_string(d->log_file_path));
}

/* One result from a stored day into b->results; a range's results carry
 * their date. */
static int add_result(const struct daystore_day *d, void *arg)
{
    struct build *b = arg;
    json_object *r = json_new_object();
    struct daystore_rows rows = {.holding = add_holding, .arg = b};
    if (!b->q->date)
        json_put(r, "date", json_object_new_string(d->date));
    json_put(r, "model", json_object_new_string(d->model));
    json_put(r, "job_id", json_object_new_string(d->job_id));
    b->positions = put_new(r, "positions", json_new_object());
    json_object *pnl = put_new(r, "daily_pnl", json_new_object());
    json_put(pnl, "profit", money_to_json(d->pnl.profit));
    json_put(pnl, "return_pct", json_object_new_double(d->pnl.return_pct));
    json_put(pnl, "portfolio_value", money_to_json(d->pnl.value));
    if (b->q->full) {
        add_full(b, d, r);
        rows.trade = add_trade;
        rows.split = add_action;
        rows.tool = add_tool;
    }
    if (daystore_each_row(b->db, d->id, &rows, b->err, b->errlen) != 0) {
        json_object_put(r);
        return -1;
    }
    json_put(b->positions, "CASH", money_to_json(d->cash));
    json_push(b->results, r);
    return 0;
}

/* q's dates (one or a range) and filters. */
static struct daystore_filter filter_of(const struct results_query *q)
{
    return (struct daystore_filter){
        .from = q->date ? q->date : q->start_date,
        .to = q->date ? q->date : q->end_date,
        .model = q->model,
        .job_id = q->job_id,
        .limit = q->date ? -1 : q->limit,
        .offset = q->date ? 0 : q->offset,
    };
}

enum results_found results_latest_date(struct db *db, const struct results_query *q,
                                       char date[DATE_BUF], char *err, size_t errlen)
{
    enum daystore_found f = daystore_latest_date(db, q->model, q->job_id, date, err, errlen);
    return f == DAYSTORE_FOUND ? RESULTS_FOUND : f == DAYSTORE_NONE ? RESULTS_NONE : RESULTS_ERROR;
}

int results_list(struct db *db, const struct results_query *q, json_object *results, char *err,
                 size_t errlen)
{
    struct build b = {.db = db, .q = q, .results = results, .err = err, .errlen = errlen};
    struct daystore_filter f = filter_of(q);
    return daystore_days(db, &f, add_result, &b, err, errlen);
}

int results_count(struct db *db, const struct results_query *q, long long *total,
                  char first[DATE_BUF], char last[DATE_BUF], char *err, size_t errlen)
{
    struct daystore_filter f = filter_of(q);
    return daystore_count(db, &f, total, first, last, err, errlen);
}
