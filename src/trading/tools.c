/* tools: see tools.h. Each tool is a function from a parsed argument object
 * to an answer object plus a status (0 done, 1 refused, -1 internal); the
 * table below is the single list of tools, their descriptions and their
 * JSON-schema parameters, so the agent's function definitions and the
 * dispatcher can never disagree. */
#include "trading/tools.h"

#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "market/prices.h"
#include "market/universe.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_MAX 64 /* bytes of caller input echoed back in a message */

/* How many dates get_price offers when the asked one has no bar: the latest
 * ones up to today, so the sample itself never looks ahead. */
#define SAMPLE_DATES 5

/* A tool: answers args with *res (its answer or refusal). */
typedef enum tools_result tool_fn(struct tools_ctx *ctx, json_object *args, json_object **res,
                                  char *err, size_t errlen);

struct tool_def {
    const char *name;
    tool_fn *fn;
    const char *description;
    const char *parameters; /* JSON schema of the argument object */
};

static tool_fn tool_get_price, tool_buy, tool_sell, tool_add, tool_multiply, tool_search;

#define TRADE_PARAMS                                                                               \
    "{\"type\":\"object\",\"properties\":{"                                                        \
    "\"symbol\":{\"type\":\"string\",\"description\":\"Ticker, e.g. AAPL\"},"                      \
    "\"amount\":{\"type\":\"integer\",\"description\":\"Number of shares, a positive "             \
    "integer\"}},\"required\":[\"symbol\",\"amount\"]}"
#define MATH_PARAMS                                                                                \
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},"                            \
    "\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"]}"

/* The names are AI-Trader's (its MCP tools), so its prompts and logs match
 * ours; the names this service used before are accepted as aliases. */
static const struct tool_def tool_table[] = {
    {"get_price_local", tool_get_price,
     "Daily bar of a stock. For a date before today: open, high, low, close and volume. For "
     "today (the default): the opening price only. Later dates are refused.",
     "{\"type\":\"object\",\"properties\":{"
     "\"symbol\":{\"type\":\"string\",\"description\":\"Ticker, e.g. AAPL\"},"
     "\"date\":{\"type\":\"string\",\"description\":\"YYYY-MM-DD, at most today\"}},"
     "\"required\":[\"symbol\",\"date\"]}"},
    {"buy", tool_buy,
     "Buy whole shares at today's opening price. Answers with the new positions (shares per "
     "symbol and CASH) or an error when cash would go below zero.",
     TRADE_PARAMS},
    {"sell", tool_sell,
     "Sell whole shares at today's opening price. Answers with the new positions or an error "
     "when fewer shares are held.",
     TRADE_PARAMS},
    {"add", tool_add, "Returns a + b.", MATH_PARAMS},
    {"multiply", tool_multiply, "Returns a x b.", MATH_PARAMS},
    {"get_information", tool_search,
     "Search the web for news and analysis. Only results published before today are "
     "returned, each with its title, url, description, date and the start of its content.",
     "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\","
     "\"description\":\"What to search for\"}},\"required\":[\"query\"]}"},
};

#define NTOOLS (sizeof(tool_table) / sizeof(tool_table[0]))

/* Earlier names of tools, still dispatched (never offered). */
static const struct {
    const char *alias, *name;
} tool_aliases[] = {{"get_price", "get_price_local"}, {"search", "get_information"}};
_Static_assert(sizeof(tool_table) / sizeof(tool_table[0]) <= TOOLS_MAX, "TOOLS_MAX too small");

size_t tools_count(void)
{
    return NTOOLS;
}

const char *tools_name(size_t i)
{
    return i < NTOOLS ? tool_table[i].name : NULL;
}

int tools_cancelled(const struct tools_ctx *ctx)
{
    return ctx->cancel && atomic_load(ctx->cancel);
}

int tools_ctx_init(struct tools_ctx *ctx, struct db *db, const char *model, const char *date,
                   const struct portfolio *start, const char (*universe)[SYMBOL_MAX],
                   size_t nuniverse, char *err, size_t errlen)
{
    memset(ctx, 0, sizeof(*ctx));
    if (!date_valid(date))
        return err_set(err, errlen, "invalid trading date");
    if (!model || !*model || strlen(model) >= sizeof(ctx->model))
        return err_set(err, errlen, "invalid model signature");
    portfolio_copy(&ctx->pf, start);
    ctx->db = db;
    memcpy(ctx->date, date, DATE_BUF);
    snprintf(ctx->model, sizeof(ctx->model), "%s", model);
    ctx->universe = universe;
    ctx->nuniverse = universe ? nuniverse : 0;
    return 0;
}

void tools_ctx_free(struct tools_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nmsgs; i++) {
        free(ctx->msgs[i].content);
        free(ctx->msgs[i].tool_name);
        free(ctx->msgs[i].tool_call_id);
        free(ctx->msgs[i].message_json);
    }
    free(ctx->msgs);
    free(ctx->trades);
    free(ctx->summary);
    free(ctx->splits);
    portfolio_free(&ctx->pf);
    ctx->splits = NULL;
    ctx->nsplits = 0;
    ctx->msgs = NULL;
    ctx->trades = NULL;
    ctx->summary = NULL;
    ctx->nmsgs = ctx->cap_msgs = ctx->ntrades = ctx->cap_trades = 0;
}

void tools_set_splits(struct tools_ctx *ctx, struct splits_applied *splits, size_t n)
{
    free(ctx->splits);
    ctx->splits = splits;
    ctx->nsplits = splits ? n : 0;
}

/* Copies up to ECHO_MAX printable ASCII bytes of s (others become '?'), so
 * input echoed in a message is bounded and always valid UTF-8. */
static void echo_safe(const char *s, char out[ECHO_MAX + 1])
{
    size_t i = 0;
    for (; s && s[i] && i < ECHO_MAX; i++)
        out[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    out[i] = '\0';
}

/* {"error": msg, "symbol": symbol, "date": date}; symbol and date are
 * added only when given. */
static json_object *refusal(const char *msg, const char *symbol, const char *date)
{
    json_object *o = json_new_object();
    json_put(o, "error", json_object_new_string(msg));
    if (symbol)
        json_put(o, "symbol", json_object_new_string(symbol));
    if (date)
        json_put(o, "date", json_object_new_string(date));
    return o;
}

/* The symbol argument when it is a well-formed ticker, else NULL. */
static const char *arg_symbol(json_object *args)
{
    const char *s = jsontext_string(args, "symbol");
    return s && symbol_valid(s) ? s : NULL;
}

/* ---- get_price -------------------------------------------------------- */

/* A stored bar field: null when the store has none. */
static void put_bar_field(json_object *o, const char *key, const char *s)
{
    json_put_string_or_null(o, key, *s ? s : NULL);
}

/* The refusal for a date without a bar: AI-Trader's wording with a sample of
 * the latest dates up to today, or "No records" when the symbol has none. */
static enum tools_result missing_bar(struct tools_ctx *ctx, const char *symbol, const char *date,
                                     json_object **res, char *err, size_t errlen)
{
    char msg[256], list[128] = "", dates[SAMPLE_DATES][DATE_BUF];
    size_t len = 0, n = 0;
    if (prices_recent_dates(ctx->db, symbol, ctx->date, dates, SAMPLE_DATES, &n, err, errlen) != 0)
        return TOOLS_ERROR;
    for (size_t i = 0; i < n && len < sizeof(list); i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s'%s'", i ? ", " : "", dates[i]);
    if (n == 0)
        snprintf(msg, sizeof(msg), "No records found for stock %s in local data", symbol);
    else
        snprintf(msg, sizeof(msg),
                 "Data not found for date %s. Please verify the date exists in data. Sample "
                 "available dates: [%s]",
                 date, list);
    *res = refusal(msg, symbol, date);
    return TOOLS_REFUSED;
}

static enum tools_result tool_get_price(struct tools_ctx *ctx, json_object *args, json_object **res,
                                        char *err, size_t errlen)
{
    char msg[256], echo[ECHO_MAX + 1];
    struct bar bar;
    size_t n = 0;
    const char *symbol = arg_symbol(args);
    json_object *dv = NULL;
    if (!symbol) {
        echo_safe(jsontext_string(args, "symbol"), echo);
        *res = refusal(trade_status_message(TRADE_BAD_SYMBOL, echo, msg, sizeof(msg)), NULL,
                       ctx->date);
        return TOOLS_REFUSED;
    }
    const char *date = ctx->date;
    if (json_object_object_get_ex(args, "date", &dv) && dv) {
        date = jsontext_string(args, "date");
        if (!date || !date_valid(date)) {
            *res = refusal("date must be in YYYY-MM-DD format", symbol, NULL);
            return TOOLS_REFUSED;
        }
    }
    if (strcmp(date, ctx->date) > 0) {
        snprintf(msg, sizeof(msg),
                 "Date %s is in the future: today is %s, only earlier days and today's open "
                 "price can be read. This action will not be allowed.",
                 date, ctx->date);
        *res = refusal(msg, symbol, date);
        return TOOLS_REFUSED;
    }
    if (prices_bars(ctx->db, symbol, date, date, &bar, 1, &n, err, errlen) != 0)
        return TOOLS_ERROR;
    if (n == 0)
        return missing_bar(ctx, symbol, date, res, err, errlen);
    json_object *o = json_new_object(), *ohlcv = json_new_object();
    json_put(o, "symbol", json_object_new_string(symbol));
    json_put(o, "date", json_object_new_string(date));
    json_put(o, "ohlcv", ohlcv);
    put_bar_field(ohlcv, "open", bar.open);
    /* Today's high, low, close and volume are not known at the open. */
    if (strcmp(date, ctx->date) < 0) {
        put_bar_field(ohlcv, "high", bar.high);
        put_bar_field(ohlcv, "low", bar.low);
        put_bar_field(ohlcv, "close", bar.close);
        put_bar_field(ohlcv, "volume", bar.volume);
    }
    *res = o;
    return TOOLS_DONE;
}

/* ---- buy and sell ----------------------------------------------------- */

/* A share count: a JSON integer or an integral JSON number (10.0). Text
 * ("10") is not a number. Returns 0 and sets *out (> 0), or -1. */
static int parse_amount(json_object *v, int64_t *out)
{
    int64_t n;
    switch (json_object_get_type(v)) {
    case json_type_int:
        n = json_object_get_int64(v);
        break;
    case json_type_double: {
        double d = json_object_get_double(v);
        /* Beyond 2^53 a double no longer names one integer. */
        if (!(d >= 1.0 && d <= 9007199254740992.0) || d != floor(d))
            return -1;
        n = (int64_t)d;
        break;
    }
    default:
        return -1;
    }
    if (n <= 0)
        return -1;
    *out = n;
    return 0;
}

/* True when symbol may be bought: in the context's universe, never QQQ. */
static int tradable(const struct tools_ctx *ctx, const char *symbol)
{
    if (strcmp(symbol, UNIVERSE_BENCHMARK) == 0)
        return 0;
    if (!ctx->universe)
        return universe_contains(symbol);
    for (size_t i = 0; i < ctx->nuniverse; i++)
        if (strcmp(ctx->universe[i], symbol) == 0)
            return TOOLS_REFUSED;
    return 0;
}

/* AI-Trader's refusal for st with the fields it reports for that case. */
static json_object *trade_refusal(const struct tools_ctx *ctx, enum trade_status st,
                                  const char *symbol, int64_t amount, const struct trade_result *tr)
{
    char msg[256], echo[ECHO_MAX + 1];
    echo_safe(symbol, echo);
    trade_status_message(st, echo, msg, sizeof(msg));
    json_object *o = refusal(msg, symbol_valid(echo) ? echo : NULL, ctx->date);
    if (st == TRADE_INSUFFICIENT_CASH) {
        money_t need = tr->total;
        money_add(tr->total, tr->fee, &need); /* cannot overflow: the trade was priced */
        json_put(o, "required_cash", money_to_json(need));
        json_put(o, "cash_available", money_to_json(tr->cash_available));
        if (tr->fee > 0)
            json_put(o, "fee", money_to_json(tr->fee));
    } else if (st == TRADE_INSUFFICIENT_SHARES) {
        json_put(o, "have", json_object_new_int64(tr->have));
        json_put(o, "want_to_sell", json_object_new_int64(amount));
    }
    return o;
}

static void push_trade(struct tools_ctx *ctx, const char *action, const char *symbol,
                       int64_t amount, const struct trade_result *tr)
{
    ARRAY_RESERVE(ctx->trades, ctx->cap_trades, ctx->ntrades + 1);
    struct tools_trade *t = &ctx->trades[ctx->ntrades];
    t->seq = (int)ctx->ntrades + 1;
    snprintf(t->action, sizeof(t->action), "%s", action);
    snprintf(t->symbol, sizeof(t->symbol), "%s", symbol);
    t->amount = amount;
    t->price = tr->price;
    t->total = tr->total;
    t->fee = tr->fee;
    ctx->ntrades++;
}

/* buy and sell: parse, price at today's open, apply, record. */
static enum tools_result trade(struct tools_ctx *ctx, int is_buy, json_object *args,
                               json_object **res, char *err, size_t errlen)
{
    struct trade_result tr;
    struct portfolio next;
    json_object *av;
    int64_t amount = 0; /* 0 makes portfolio_* report a bad amount */
    money_t open = 0;   /* 0 makes portfolio_* report "not found" */
    const char *given = jsontext_string(args, "symbol");
    const char *symbol = given && symbol_valid(given) ? given : "";
    if (json_object_object_get_ex(args, "amount", &av) && parse_amount(av, &amount) != 0)
        amount = 0;
    if (*symbol && amount > 0 && (!is_buy || tradable(ctx, symbol)) &&
        prices_open(ctx->db, symbol, ctx->date, &open, err, errlen) == PRICES_ERROR)
        return TOOLS_ERROR;
    /* Trade on a copy so a refused trade leaves the portfolio unchanged. */
    portfolio_copy(&next, &ctx->pf);
    enum trade_status st = is_buy ? portfolio_buy(&next, symbol, amount, open, &ctx->costs, &tr)
                                  : portfolio_sell(&next, symbol, amount, open, &ctx->costs, &tr);
    if (st != TRADE_OK) {
        portfolio_free(&next);
        *res = trade_refusal(ctx, st, given ? given : "", amount, &tr);
        return TOOLS_REFUSED;
    }
    push_trade(ctx, is_buy ? "buy" : "sell", symbol, amount, &tr);
    portfolio_free(&ctx->pf);
    ctx->pf = next;
    *res = tools_positions_json(&ctx->pf);
    return TOOLS_DONE;
}

static enum tools_result tool_buy(struct tools_ctx *ctx, json_object *args, json_object **res,
                                  char *err, size_t errlen)
{
    return trade(ctx, 1, args, res, err, errlen);
}

static enum tools_result tool_sell(struct tools_ctx *ctx, json_object *args, json_object **res,
                                   char *err, size_t errlen)
{
    return trade(ctx, 0, args, res, err, errlen);
}

/* ---- add and multiply ------------------------------------------------- */

/* A JSON number (text is not one); 0 and *out set, or -1. */
static int arg_number(json_object *args, const char *key, double *out)
{
    json_object *v;
    if (!json_object_object_get_ex(args, key, &v) ||
        (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)))
        return -1;
    double d = json_object_get_double(v);
    if (!isfinite(d))
        return -1;
    *out = d;
    return 0;
}

static enum tools_result math_tool(int is_add, json_object *args, json_object **res)
{
    double a, b;
    if (arg_number(args, "a", &a) != 0 || arg_number(args, "b", &b) != 0) {
        *res = refusal("a and b must be numbers", NULL, NULL);
        return TOOLS_REFUSED;
    }
    double r = is_add ? a + b : a * b;
    if (!isfinite(r)) {
        *res = refusal("the result is not a finite number", NULL, NULL);
        return TOOLS_REFUSED;
    }
    if (!(*res = json_object_new_double(r)))
        mem_fatal(0);
    return TOOLS_DONE;
}

static enum tools_result tool_add(struct tools_ctx *ctx, json_object *args, json_object **res,
                                  char *err, size_t errlen)
{
    (void)ctx, (void)err, (void)errlen;
    return math_tool(1, args, res);
}

static enum tools_result tool_multiply(struct tools_ctx *ctx, json_object *args, json_object **res,
                                       char *err, size_t errlen)
{
    (void)ctx, (void)err, (void)errlen;
    return math_tool(0, args, res);
}

/* ---- search ------------------------------------------------------------- */

static enum tools_result tool_search(struct tools_ctx *ctx, json_object *args, json_object **res,
                                     char *err, size_t errlen)
{
    if (!ctx->search) {
        *res = refusal("Search is not available: no search service is configured.", NULL, NULL);
        return TOOLS_REFUSED;
    }
    (void)err, (void)errlen;
    return search_run(ctx->search, jsontext_string(args, "query"), ctx->date, res) == SEARCH_REFUSED
               ? TOOLS_REFUSED
               : TOOLS_DONE;
}

/* ---- dispatch ----------------------------------------------------------- */

/* True when a string (key or value) anywhere in v holds a NUL character: C
 * code reading it would see a shorter text ("AAPL\u0000x" as "AAPL"). */
static int has_nul(json_object *v)
{
    if (json_object_is_type(v, json_type_string))
        return strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (has_nul(json_object_array_get_idx(v, i)))
                return TOOLS_REFUSED;
        return 0;
    }
    if (!json_object_is_type(v, json_type_object))
        return 0;
    json_object_object_foreach(v, key, val)
    {
        (void)key; /* json-c keys are C strings: a NUL already ended them */
        if (has_nul(val))
            return TOOLS_REFUSED;
    }
    return 0;
}

/* Parses args_json into an object; NULL, empty or blank text is {}. Strict:
 * text after the object (a model's trailing garbage) and NUL characters in
 * strings are refused. */
static json_object *parse_args(const char *args_json)
{
    json_object *o = NULL;
    if (!args_json || args_json[strspn(args_json, " \t\r\n")] == '\0')
        return json_new_object();
    if (jsontext_parse(args_json, strlen(args_json), &o, NULL, 0) != 0)
        return NULL;
    if (o && (!json_object_is_type(o, json_type_object) || has_nul(o))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The tool named name (or one of its earlier names), or NULL. */
static const struct tool_def *find_tool(const char *name)
{
    for (size_t i = 0; name && i < sizeof(tool_aliases) / sizeof(tool_aliases[0]); i++)
        if (strcmp(name, tool_aliases[i].alias) == 0)
            name = tool_aliases[i].name;
    for (size_t i = 0; name && i < NTOOLS; i++)
        if (strcmp(name, tool_table[i].name) == 0)
            return &tool_table[i];
    return NULL;
}

/* "Unknown tool X. Available tools: a, b, ..." */
static json_object *unknown_tool(const char *name)
{
    char msg[256], echo[ECHO_MAX + 1];
    size_t len;
    echo_safe(name, echo);
    len = (size_t)snprintf(msg, sizeof(msg), "Unknown tool %s. Available tools:", echo);
    for (size_t i = 0; i < NTOOLS && len < sizeof(msg); i++)
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s", i ? "," : "",
                                tool_table[i].name);
    return refusal(msg, NULL, NULL);
}

int tools_known(const char *name)
{
    return find_tool(name) != NULL;
}

enum tools_result tools_call(struct tools_ctx *ctx, const char *name, const char *args_json,
                             char **result_json, char *err, size_t errlen)
{
    const struct tool_def *tool = find_tool(name);
    json_object *args = NULL, *res = NULL;
    double t0 = time_monotonic();
    enum tools_result rc = TOOLS_REFUSED;
    if (!tool) {
        res = unknown_tool(name);
    } else if (!(args = parse_args(args_json))) {
        res = refusal("Invalid arguments: expected a JSON object (strings without NUL "
                      "characters)",
                      NULL, NULL);
    } else {
        rc = tool->fn(ctx, args, &res, err, errlen);
    }
    if (tool) {
        struct tools_stat *s = &ctx->stats[tool - tool_table];
        s->calls++;
        s->errors += rc != TOOLS_DONE;
        s->total_ms += (time_monotonic() - t0) * 1000.0;
    }
    json_object_put(args);
    if (rc == TOOLS_ERROR) {
        json_object_put(res);
        res = refusal("Internal error! This action will not be allowed.", NULL, NULL);
    }
    *result_json = mem_strdup(json_object_to_json_string_ext(
        res, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(res);
    return rc;
}

/* ---- helpers for deciders ---------------------------------------------- */

json_object *tools_definitions(const struct tools_ctx *ctx)
{
    json_object *arr = json_new_array();
    for (size_t i = 0; i < NTOOLS; i++) {
        if (ctx && !ctx->search && tool_table[i].fn == tool_search)
            continue;
        json_object *fn = json_new_object(), *def = json_new_object();
        json_push(arr, def);
        json_put(def, "type", json_object_new_string("function"));
        json_put(def, "function", fn);
        json_put(fn, "name", json_object_new_string(tool_table[i].name));
        json_put(fn, "description", json_object_new_string(tool_table[i].description));
        json_put(fn, "parameters", json_tokener_parse(tool_table[i].parameters));
    }
    return arr;
}

json_object *tools_positions_json(const struct portfolio *p)
{
    json_object *o = json_new_object();
    for (size_t i = 0; i < p->n; i++)
        json_put(o, p->h[i].symbol, json_object_new_int64(p->h[i].shares));
    json_put(o, "CASH", money_to_json(p->cash));
    return o;
}

/* A copy of s, NULL kept. */
static char *dup_opt(const char *s)
{
    return s ? mem_strdup(s) : NULL;
}

int tools_log(struct tools_ctx *ctx, const char *role, const char *content, const char *tool_name,
              const char *tool_call_id, const char *message_json, char *err, size_t errlen)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    int ok = 0;
    for (size_t i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++)
        ok |= strcmp(role, roles[i]) == 0;
    if (!ok)
        return err_set(err, errlen, "invalid message role");
    if (message_json) {
        json_object *j = json_tokener_parse(message_json);
        if (!j)
            return err_set(err, errlen, "message is not valid JSON");
        json_object_put(j);
    }
    ARRAY_RESERVE(ctx->msgs, ctx->cap_msgs, ctx->nmsgs + 1);
    struct tools_message *m = &ctx->msgs[ctx->nmsgs++];
    memset(m, 0, sizeof(*m));
    m->step = ctx->total_steps;
    m->completion = ctx->completions;
    snprintf(m->role, sizeof(m->role), "%s", role);
    time_now_iso(m->timestamp);
    m->content = dup_opt(content);
    m->tool_name = dup_opt(tool_name);
    m->tool_call_id = dup_opt(tool_call_id);
    m->message_json = dup_opt(message_json);
    return 0;
}

void tools_set_summary(struct tools_ctx *ctx, const char *summary)
{
    free(ctx->summary);
    ctx->summary = mem_strdup(summary ? summary : "");
}
