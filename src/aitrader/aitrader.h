/* aitrader: AI-Trader's on-disk formats, both directions.
 *
 * Layout under a log path (AI-Trader's data/agent_data):
 *   <signature>/position/position.jsonl   one line per state change
 *   <signature>/log/<date>/log.jsonl      the day's conversation
 *
 * position.jsonl lines are Python json.dumps output (", " and ": "
 * separators). The first is the initial state, without this_action:
 *   {"date": "2025-10-01", "id": 0, "positions": {"NVDA": 0, ..., "CASH": 10000.0}}
 * then one line per executed trade, or one no_trade line for a day without
 * trades, each holding the state after it and an id one above the last:
 *   {"date": "2025-10-02", "id": 1, "this_action": {"action": "buy",
 *    "symbol": "NVDA", "amount": 10}, "positions": {"NVDA": 10, ..., "CASH": 8104.0}}
 *   ... "this_action": {"action": "no_trade", "symbol": "", "amount": 0} ...
 * "positions" lists every symbol of the universe in the universe's order,
 * zeros included, then "CASH".
 * log.jsonl lines are json.dumps(ensure_ascii=False) of
 *   {"signature": "<signature>", "new_messages": [{"role": ..., "content": ...}]}
 * ("new_messages" is a single message object in some AI-Trader versions).
 *
 * The writer formats and appends these lines for the daemon; the importer
 * loads a whole agent_data directory into the database as one completed job,
 * replaying every trade through our rules (portfolio.h) and reporting where
 * the files disagree. */
#ifndef TRADER_AITRADER_H
#define TRADER_AITRADER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "store/db.h"
#include "base/money.h"
#include "market/portfolio.h"

#define AITRADER_SIGNATURE_MAX 64 /* longest signature + NUL */
#define AITRADER_JOB_ID_BUF 37    /* a UUID + NUL */

/* True for 1-63 characters of A-Z a-z 0-9 '.' '_' '-' not starting with '.',
 * so a signature is always one plain directory name. */
int aitrader_signature_valid(const char *signature);

/* What a position line records; NULL for the initial line. This service
 * adds, only where they apply: "price" and "fee" of a fill when the config
 * has trading costs, and "split" lines (amount = the shares the split added,
 * negative for a reverse split; "factor" as published and the "cash" paid
 * for the fractional share). */
struct aitrader_action {
    const char *action; /* "buy", "sell", "no_trade" or "split" */
    const char *symbol; /* "" for no_trade */
    int64_t amount;     /* 0 for no_trade */
    int costs;          /* write price and fee */
    money_t price, fee;
    const char *factor; /* a split's factor: write factor and cash */
    money_t cash;
};

/* One position.jsonl line (no newline): the keys are symbols[0..nsymbols)
 * in that order (zeros included), then any held symbol not among them, then
 * CASH. act NULL writes the initial line. *out is the caller's (free()). */
int aitrader_position_line(const char *date, long long id, const struct aitrader_action *act,
                           const struct portfolio *p, const char *const *symbols, size_t nsymbols,
                           char **out, char *err, size_t errlen);

/* One log.jsonl line (no newline) for messages (an array of message objects,
 * serialized as Python would). *out is the caller's (free()). */
int aitrader_log_line(const char *signature, json_object *messages, char **out, char *err,
                      size_t errlen);

/* <log_path>/<signature>/position/position.jsonl and
 * <log_path>/<signature>/log/<date>/log.jsonl into out. */
int aitrader_position_path(const char *log_path, const char *signature, char *out, size_t outlen,
                           char *err, size_t errlen);
int aitrader_log_path(const char *log_path, const char *signature, const char *date, char *out,
                      size_t outlen, char *err, size_t errlen);

/* Append line plus a newline to the file above, creating log_path (its
 * parent must exist) and the signature's directories as needed. */
int aitrader_append_position(const char *log_path, const char *signature, const char *line,
                             char *err, size_t errlen);
int aitrader_append_log(const char *log_path, const char *signature, const char *date,
                        const char *line, char *err, size_t errlen);

/* The largest id in the signature's position.jsonl (the next line's id is
 * one more). Returns 1 and sets *id, 0 when the file is missing or has no
 * line, -1 on an unreadable or malformed file. */
int aitrader_last_id(const char *log_path, const char *signature, long long *id, char *err,
                     size_t errlen);

/* What an import did. Free with aitrader_report_free. */
struct aitrader_report {
    char job_id[AITRADER_JOB_ID_BUF];
    char **models; /* the signatures imported, sorted */
    size_t nmodels;
    size_t model_days, trades;
    char **warnings; /* every disagreement between the files and the replay */
    size_t nwarnings;
};

void aitrader_report_free(struct aitrader_report *r);

/* Imports <agent_data_dir>/<signature>/position/position.jsonl (and the
 * day's log/<date>/log.jsonl when present) for the signatures in models
 * (NULL/0: every signature directory holding a position file) as one
 * completed job with source 'import', in one transaction: nothing is written
 * unless everything is. The initial line is the starting state, its date never
 * traded; initial_cash >= 0 replaces its CASH (reported when they differ).
 * The store's splits apply at the start of each imported day, as in a
 * model-day (a "split" line of this service is only compared with the
 * replay). Every trade is replayed at the price store's open; the replayed
 * state is what is stored, and each place where the file's own positions
 * disagree with it is a warning (in the report and the job's warnings). Fails on a
 * malformed file (with file:line), on a missing price ("import prices
 * first"), and when a model already has results from the first imported
 * date on, unless replace is set, in which case those results are deleted
 * first. *report is filled only on success.
 * From a day's log: one reasoning_logs row per message (step = the number of
 * assistant messages so far, so a step starts at each completion; timestamp
 * = the line's "timestamp" when it has one, else the import's time),
 * total_steps = assistant messages, reasoning_summary = the last assistant
 * content, stop_signal = "<FINISH_SIGNAL>" seen, tool_usage = assistant
 * tool_calls by function name (a tool message answering one is not counted
 * again; one without a matching call counts by its "name"), errors = tool
 * answers that are a JSON object with "error". */
int aitrader_import(struct db *db, const char *agent_data_dir, const char *const *models,
                    size_t nmodels, money_t initial_cash, int replace,
                    struct aitrader_report *report, char *err, size_t errlen);

#endif
