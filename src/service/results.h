/* results: the stored end-of-day results of model-days as GET /results
 * answers them: one date or a date range (paged), filtered by model and job,
 * minimal or full detail (trades, reasoning summary, tool usage, tokens and
 * their cost), read through daystore.h; the page only validates and
 * answers. */
#ifndef TRADER_RESULTS_H
#define TRADER_RESULTS_H

#include <stddef.h>

#include <json-c/json.h>

#include "base/dates.h"
#include "store/db.h"

#define RESULTS_LIMIT_DEFAULT 1000
#define RESULTS_LIMIT_MAX 10000

/* Which results. date set: that one date. Otherwise the range [start_date,
 * end_date] (NULL = unbounded), each result carrying its "date", ordered by
 * date then model, limit rows from offset. NULL filters do not filter. */
struct results_query {
    const char *date;
    const char *start_date, *end_date;
    const char *model, *job_id;
    int full;
    long long limit, offset;
};

enum results_found {
    RESULTS_ERROR = -1,
    RESULTS_NONE = 0,
    RESULTS_FOUND = 1,
};

/* The latest date with results for q's model and job into date. */
enum results_found results_latest_date(struct db *db, const struct results_query *q,
                                       char date[DATE_BUF], char *err, size_t errlen);

/* Appends the results of q to the array results. Returns 0 or -1. */
int results_list(struct db *db, const struct results_query *q, json_object *results, char *err,
                 size_t errlen);

/* How many results q's dates and filters match, ignoring limit and offset,
 * and the first and last date among them ("" when none). Returns 0 with the
 * out-parameters set, or -1. */
int results_count(struct db *db, const struct results_query *q, long long *total,
                  char first[DATE_BUF], char last[DATE_BUF], char *err, size_t errlen);

#endif
