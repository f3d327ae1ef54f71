/* daystore: owns the tables of stored model-days: positions and the rows
 * hanging from it (trades, holdings, reasoning_logs, tool_usage,
 * corporate_actions). Every query of them is here: storing one finished
 * model-day (the daemon, sim/modelday.h, and the AI-Trader import,
 * aitrader.h, each keep their own transaction around the call) and reading
 * stored days back as plain C rows for the results, the analytics, the
 * agent files and the next model-day. */
#ifndef TRADER_DAYSTORE_H
#define TRADER_DAYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "base/dates.h"
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
    long long id; /* the positions row: set when read, ignored by daystore_insert */
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

/* Reading. The each-row functions call each(row, arg) for every row, in
 * order; a row and its strings are borrowed for that call. each returns 0
 * to go on, or -1 to stop with the caller's err filled (pass err through
 * arg), and the function then returns -1. Otherwise they return 0 or -1. */

enum daystore_found {
    DAYSTORE_ERROR = -1,
    DAYSTORE_NONE = 0,
    DAYSTORE_FOUND = 1,
};

/* Which stored days: dates in [from, to] (NULL = unbounded), model and
 * job_id (NULL = any), limit rows (< 0: all) from offset. */
struct daystore_filter {
    const char *from, *to;
    const char *model, *job_id;
    long long limit, offset;
};

/* The positions rows f selects, by date then model. The row's arrays
 * (trades, holdings, messages, tools, splits) are empty; read them by id. */
int daystore_days(struct db *db, const struct daystore_filter *f,
                  int (*each)(const struct daystore_day *day, void *arg), void *arg, char *err,
                  size_t errlen);

/* How many rows f's dates and filters select, ignoring limit and offset, and
 * the first and last date among them ("" when none). */
int daystore_count(struct db *db, const struct daystore_filter *f, long long *total,
                   char first[DATE_BUF], char last[DATE_BUF], char *err, size_t errlen);

/* The latest date with a stored day for model and job_id (NULL = any). */
enum daystore_found daystore_latest_date(struct db *db, const char *model, const char *job_id,
                                         char date[DATE_BUF], char *err, size_t errlen);

/* The first and last dates of job_id's stored days. */
enum daystore_found daystore_job_span(struct db *db, const char *job_id, char first[DATE_BUF],
                                      char last[DATE_BUF], char *err, size_t errlen);

/* The stored day of (model, date): its positions id and job. */
enum daystore_found daystore_find(struct db *db, const char *model, const char *date, long long *id,
                                  char *job_id, size_t joblen, char *err, size_t errlen);

/* The model's last stored day before date (any job): its id, cash, end value
 * and date. */
enum daystore_found daystore_last_before(struct db *db, const char *model, const char *date,
                                         long long *id, money_t *cash, money_t *value,
                                         char day[DATE_BUF], char *err, size_t errlen);

/* The per-day sums the analytics add up (perf.h), read from the index. */
struct daystore_sums {
    const char *model, *date;
    money_t value, prev;
    long long prompt_tokens, completion_tokens, total_tokens, ntrades;
    int priced; /* cost is set */
    money_t cost, fees;
};

/* The sums of the days in [from, to] of job_id (NULL = any), by date then
 * model. */
int daystore_each_sums(struct db *db, const char *from, const char *to, const char *job_id,
                       int (*each)(const struct daystore_sums *s, void *arg), void *arg, char *err,
                       size_t errlen);

/* What to read of a stored day's rows: each function that is set is called
 * for every row of its table, tables in this order: holdings by symbol, the
 * splits applied to its start state (corporate_actions) by seq, trades by
 * seq, tool usage by tool name, reasoning messages in the order stored. */
struct daystore_rows {
    int (*holding)(const char *symbol, int64_t shares, void *arg);
    int (*split)(const struct splits_applied *s, void *arg);
    int (*trade)(const struct daystore_trade *t, void *arg);
    int (*tool)(const struct daystore_tool *t, void *arg);
    int (*message)(const struct daystore_message *m, void *arg);
    void *arg;
};

/* Reads the rows of the day position_id that rows asks for. */
int daystore_each_row(struct db *db, long long position_id, const struct daystore_rows *rows,
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

#endif
