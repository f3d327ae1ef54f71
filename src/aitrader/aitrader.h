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
 * This module formats and appends these lines for the daemon and reads
 * them back (JSONL); aiimport.h loads a whole agent_data directory into the
 * database. No database here. */
#ifndef TRADER_AITRADER_H
#define TRADER_AITRADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "store/db.h"
#include "base/money.h"
#include "market/portfolio.h"

#define AITRADER_SIGNATURE_MAX 64 /* longest signature + NUL */
#define AITRADER_JOB_ID_BUF 37    /* a UUID + NUL */

/* True for 1-63 characters of A-Z a-z 0-9 '.' '_' '-' not starting with '.',
 * so a signature is always one plain directory name. */
bool aitrader_signature_valid(const char *signature);

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

/* What a read found. */
enum aitrader_got {
    AITRADER_ERROR = -1, /* unreadable or malformed: err says where */
    AITRADER_NONE,       /* no such file, the end of it, or nothing in it */
    AITRADER_GOT,
};

/* The largest id in the signature's position.jsonl (the next line's id is
 * one more): AITRADER_GOT with *id, AITRADER_NONE when the file is missing
 * or has no line. */
enum aitrader_got aitrader_last_id(const char *log_path, const char *signature, long long *id,
                                   char *err, size_t errlen);

/* --- reading JSONL, for the importer ---------------------------------------- */

/* Compact JSON for the database, "/" unescaped as Python and SQLite write it. */
#define AITRADER_JSON_TEXT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A JSONL file being read; close with aitrader_jsonl_close. */
struct aitrader_jsonl {
    const char *path;
    FILE *f;
    char *line;
    size_t cap;
    int lineno; /* of the line last read */
};

/* Opens path: AITRADER_NONE when it does not exist. */
enum aitrader_got aitrader_jsonl_open(struct aitrader_jsonl *r, const char *path, char *err,
                                      size_t errlen);
/* The next non-blank line as a JSON object into *obj (the caller's:
 * json_object_put); AITRADER_NONE at the end; on error err says
 * "path:line: why". */
enum aitrader_got aitrader_jsonl_next(struct aitrader_jsonl *r, json_object **obj, char *err,
                                      size_t errlen);
void aitrader_jsonl_close(struct aitrader_jsonl *r);

/* A whole number held as a JSON int or an integral double: 0, or -1. */
int aitrader_json_whole(json_object *v, int64_t *out);

/* printf into out: 0, or -1 with "path too long". */
int aitrader_join(char *out, size_t outlen, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
