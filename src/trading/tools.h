/* tools: the tool layer every decider of a model-day trades and reads through
 * (the built-in strategies and the LLM agent alike). Owns the per-model-day
 * context (date, model, database connection, in-memory portfolio, tradable
 * universe, the trades made, the reasoning messages and per-tool usage) and
 * the tools themselves, kept as data in one table under AI-Trader's names:
 * get_price_local (look-ahead safe), buy and sell (fill at today's open
 * through portfolio.h, AI-Trader's refusals), add, multiply and
 * get_information (search.h; offered only when the context has a search
 * service); the earlier names get_price and search still dispatch. Arguments
 * and results are JSON text, as an LLM sends and receives them; arguments are
 * strictly typed (a number in text is not a number) and a NUL character in
 * any string refuses the call. Nothing here writes to the database: the model-day
 * commits what the context recorded. */
#ifndef TRADER_TOOLS_H
#define TRADER_TOOLS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/dates.h"
#include "store/db.h"
#include "base/money.h"
#include "market/portfolio.h"
#include "market/search.h"
#include "market/splits.h"
#include "service/config.h"

#define TOOLS_MAX 8         /* tools in the table (static-asserted in tools.c) */
#define TOOLS_MODEL_MAX 128 /* longest model signature + NUL */

struct tools_trade {
    int seq; /* 1, 2, ... in the order executed */
    char action[8];
    char symbol[SYMBOL_MAX];
    int64_t amount;
    money_t price; /* the fill price: today's open moved by the slippage */
    money_t total; /* price x amount */
    money_t fee;   /* the fill's commission */
};

/* One reasoning_logs row. Strings are owned by the context; NULL = absent. */
struct tools_message {
    int step;
    int completion; /* ctx->completions when recorded: the completion it comes from or answers */
    char role[16];
    char *content;
    char *tool_name;
    char *tool_call_id;
    char *message_json; /* valid JSON when set */
    char timestamp[TIMESTAMP_BUF];
};

/* One tool_usage row. */
struct tools_stat {
    long calls, errors;
    double total_ms;
};

struct tools_ctx {
    struct db *db; /* borrowed; used by this model-day's thread only */
    char date[DATE_BUF];
    char model[TOOLS_MODEL_MAX];
    const char (*universe)[SYMBOL_MAX]; /* tradable symbols (borrowed); NULL = NASDAQ-100 */
    size_t nuniverse;
    const atomic_int *cancel;           /* optional (borrowed): nonzero asks deciders to stop */
    const struct search_config *search; /* optional (borrowed): enables the search tool */
    struct trading_costs costs;         /* what each fill costs (zero = none) */
    struct portfolio pf;                /* owned; starts as the model's previous state */
    struct splits_applied *splits;      /* owned: the splits applied to the start state */
    size_t nsplits;
    struct tools_trade *trades;
    size_t ntrades, cap_trades;
    struct tools_message *msgs;
    size_t nmsgs, cap_msgs;
    struct tools_stat stats[TOOLS_MAX]; /* indexed like tools_name() */
    /* Set by the decider. */
    int total_steps;
    int completions; /* chat completions so far */
    int stop_signal;
    long long prompt_tokens, completion_tokens, total_tokens;
    char *summary; /* owned; NULL until tools_set_summary */
};

/* Prepares ctx for model on date, starting from a copy of start. universe
 * (borrowed, may be NULL for the default NASDAQ-100) lists the symbols buy
 * accepts; the benchmark QQQ is never tradable. Free with tools_ctx_free. */
int tools_ctx_init(struct tools_ctx *ctx, struct db *db, const char *model, const char *date,
                   const struct portfolio *start, const char (*universe)[SYMBOL_MAX],
                   size_t nuniverse, char *err, size_t errlen);

/* Hands ctx the splits applied to its start state (n entries of a malloc'd
 * array, NULL when none): the day stores them and the prompt tells of them. */
void tools_set_splits(struct tools_ctx *ctx, struct splits_applied *splits, size_t n);

/* Releases everything ctx owns. Safe on a zeroed or already freed context. */
void tools_ctx_free(struct tools_ctx *ctx);

enum tools_result {
    TOOLS_ERROR = -1,  /* an internal failure (database error): err is filled */
    TOOLS_DONE = 0,    /* the tool did its work */
    TOOLS_REFUSED = 1, /* the answer is {"error": message, ...}, the context unchanged */
};

/* Runs tool name with args_json (a JSON object as text; NULL or "" = {}).
 * *result_json receives the tool's answer as JSON text (caller frees with
 * free()): TOOLS_REFUSED for an unknown tool, bad arguments, a look-ahead
 * request, a refused trade; on TOOLS_ERROR it holds a generic error answer. */
enum tools_result tools_call(struct tools_ctx *ctx, const char *name, const char *args_json,
                             char **result_json, char *err, size_t errlen);

/* True when name is a tool (or an earlier name of one). */
int tools_known(const char *name);

/* The number of tools, the name of tool i (for tool_usage rows). */
size_t tools_count(void);
const char *tools_name(size_t i);

/* The tools ctx offers as OpenAI chat-completions function definitions
 * ([{"type": "function", "function": {name, description, parameters}},
 * ...]): search only when ctx->search is set; ctx NULL: every tool. Caller
 * owns the result (json_object_put). */
json_object *tools_definitions(const struct tools_ctx *ctx);

/* The positions dict AI-Trader's trade tools answer with: {"SYM": shares,
 * ..., "CASH": cash}. Caller owns the result. */
json_object *tools_positions_json(const struct portfolio *p);

/* Appends a reasoning message at step ctx->total_steps, completion
 * ctx->completions. role is system,
 * user, assistant or tool; the other strings may be NULL; message_json must
 * be valid JSON when set. Returns 0, or -1 for a bad role or JSON. */
int tools_log(struct tools_ctx *ctx, const char *role, const char *content, const char *tool_name,
              const char *tool_call_id, const char *message_json, char *err, size_t errlen);

/* Replaces the day's reasoning summary (NULL: empty). */
void tools_set_summary(struct tools_ctx *ctx, const char *summary);

/* True when the owner asked the decider to stop (shutdown). */
int tools_cancelled(const struct tools_ctx *ctx);

/* The model-day a decider trades, and the decider's type: they sit here, under
 * the agent (a decider) and sim/modelday.h (which runs one), so neither
 * includes the other. */
struct modelday_spec {
    const char *job_id;
    const char *date;
    const struct config *cfg; /* the job's config snapshot */
    const struct config_model *model;
    const char *home;         /* the data directory: base of a relative log_path */
    const atomic_int *cancel; /* optional: nonzero abandons the day (shutdown) */
    bool replace;             /* the job re-runs days: other jobs' results give way at commit */
    const char *worker;       /* the worker whose lease the day runs under (jobs_claim_day):
                               * already running, it commits only while still leased; NULL:
                               * started here, without a lease */
};

/* A decider: trades ctx's day through tools_call and records its reasoning
 * (tools_log, tools_set_summary, ctx->total_steps, stop_signal, tokens).
 * Returns 0, or -1 with err filled to fail the model-day. */
typedef int (*modelday_decide_fn)(struct tools_ctx *ctx, const struct modelday_spec *spec,
                                  char *err, size_t errlen);

#endif
