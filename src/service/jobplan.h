/* jobplan: which model-days a trigger request means, worked out against the
 * config, the price store's trading days and the results already stored
 * (daystore). Reads only; trigger_run runs it inside its transaction. */
#ifndef TRADER_JOBPLAN_H
#define TRADER_JOBPLAN_H

#include "service/jobreq.h"
#include "store/db.h"

/* One model-day of a plan. */
struct jobplan_day {
    char date[DATE_BUF];
    char model[CONFIG_SIGNATURE_MAX];
};

/* The model-days a request means. Free with jobplan_free. */
struct jobplan {
    struct jobplan_day *days; /* by date, then in the config's model order */
    size_t ndays, cap;
    struct datelist dates;                /* the union of the days' dates, ascending */
    char (*models)[CONFIG_SIGNATURE_MAX]; /* models with at least one day, config order */
    size_t nmodels;
    /* When there is nothing to do: the date every selected model has reached
     * and the trading day after it ("" = none / unknown). */
    char last_date[DATE_BUF];
    char next_day[DATE_BUF];
};

/* Works out the model-days of req against cfg, the price store and the
 * results already in the database, with today as the latest allowed date
 * (for a catch-up, the config's end_date when that is earlier).
 * Results written by the jobs of active_jobs (a JSON array of job ids: the
 * active ones, jobs_active_ids) are not counted as done, so repeating the
 * request of a running job plans that same job. */
int jobplan_build(struct db *db, const struct config *cfg, const struct jobreq *req,
                  const char *today, const char *active_jobs, struct jobplan *out,
                  enum jobreq_fail *why, char *err, size_t errlen);
void jobplan_free(struct jobplan *p);

#endif
