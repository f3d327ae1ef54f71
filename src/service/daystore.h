/* daystore: storing one finished model-day: its positions row and the rows
 * hanging from it (trades, holdings, reasoning_logs, tool_usage,
 * corporate_actions), and reading
 * a stored day's holdings back. The daemon (modelday.h) and the AI-Trader
 * import (aitrader.h) both store days through it; each keeps its own
 * transaction around the call. */
#ifndef TRADER_DAYSTORE_H
#define TRADER_DAYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "base/money.h"
#include "market/portfolio.h"
#include "market/prices.h"
#include "market/splits.h"

/* One trades row. */
struct daystore_trade {
    int seq;            /* 1, 2, ... in the order executed */
    const char *action; /* "buy" or "sell" */
    const char *symbol;
    int64_t amount;
    money_t price, total;
    money_t fee; /* commission (0 without trading costs) */
};

/* One reasoning_logs row; NULL strings are stored as null. */
struct daystore_message {
    int step;
    const char *role;
    const char *content;
    const char *tool_name;
    const char *tool_call_id;
    const char *message_json; /* valid JSON when set */
    const char *timestamp;
    int completion; /* the chat completion it comes from or answers; < 0: unknown (null) */
};

/* One tool_usage row. */
struct daystore_tool {
    const char *name;
    long long calls, errors;
    double total_ms;
};

/* A finished model-day. Every pointer is borrowed for the call. */
struct daystore_day {
    const char *job_id, *date, *model;
    money_t cash;
    struct daily_pnl pnl;
    int total_steps;
    int stop_signal;
    const char *reasoning_summary; /* NULL = null */
    long long prompt_tokens, completion_tokens, total_tokens;
    int priced; /* the model has pricing: cost is what the tokens cost */
    money_t cost;
    const char *log_file_path; /* NULL = null */
    const char *created_at;
    const struct daystore_trade *trades;
    size_t ntrades;
    const struct portfolio *holdings; /* the end-of-day holdings */
    const struct daystore_message *messages;
    size_t nmessages;
    const struct daystore_tool *tools;
    size_t ntools;
    const struct splits_applied *splits; /* applied to the start state: corporate_actions */
    size_t nsplits;
};

/* Inserts day's positions row and its trades, holdings, reasoning_logs,
 * tool_usage and corporate_actions rows. Run it inside the caller's transaction: on failure some
 * rows may be written, for the caller to roll back. *position_id (may be
 * NULL) gets the new positions row's id. */
int daystore_insert(struct db *db, const struct daystore_day *day, long long *position_id,
                    char *err, size_t errlen);

/* The portfolio stored under position_id: cash plus its holdings rows. On
 * success *out is filled (caller frees with portfolio_free); on failure it
 * is untouched. */
int daystore_holdings(struct db *db, long long position_id, money_t cash, struct portfolio *out,
                      char *err, size_t errlen);

/* --- for planning jobs and the AI-Trader import ---------------------------- */

/* The last date model has results for, leaving out the results of the jobs
 * named in skip_jobs (a JSON array of job ids); "" when none. */
int daystore_last_date_except(struct db *db, const char *model, const char *skip_jobs,
                              char out[DATE_BUF], char *err, size_t errlen);

/* Appends to out the dates from..to (inclusive, ascending) model has results
 * for, leaving out the results of the jobs named in skip_jobs. */
int daystore_dates_except(struct db *db, const char *model, const char *from, const char *to,
                          const char *skip_jobs, struct datelist *out, char *err, size_t errlen);

/* *count = model's positions rows from date on, first = the earliest of
 * them ("" when none). */
int daystore_count_from(struct db *db, const char *model, const char *date, long long *count,
                        char first[DATE_BUF], char *err, size_t errlen);

/* Deletes model's results from date on (the rows hanging from them go by
 * their foreign keys), except those of keep_job (NULL: none kept).
 * *deleted (may be NULL) = positions rows deleted. */
int daystore_delete_from(struct db *db, const char *model, const char *date, const char *keep_job,
                         long long *deleted, char *err, size_t errlen);

/* *out = whether job_id has stored results. */
int daystore_has_job(struct db *db, const char *job_id, bool *out, char *err, size_t errlen);

#endif
