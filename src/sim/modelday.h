/* modelday: runs one model-day of a job. Owns its whole life: mark it
 * running (unless a worker's claim did: jobs_claim_day), load the model's
 * state (its last completed day before this date in any job, else the
 * config's initial cash), let the model's decider trade through a tools
 * context, value the portfolio at today's close, and commit the positions
 * row, trades, holdings, reasoning log, tool usage and the completed status
 * in one transaction. A failure leaves only the failed status and its error.
 * Then the model's AI-Trader files are rewritten (agentfiles.h). A day
 * claimed under a worker's lease commits, or records its failure, only while
 * the lease is still its own, checked inside that transaction. Everything it
 * uses comes from its arguments and its own database connection, so
 * model-days run in parallel threads.
 *
 * Deciders are chosen by the model's provider from a table (provider name ->
 * function): "builtin" runs strategy.h; the LLM agent adds "openai" and
 * "mock" to that table. */
#ifndef TRADER_MODELDAY_H
#define TRADER_MODELDAY_H

#include <stddef.h>

#include "service/config.h"
#include "store/db.h"
#include "trading/tools.h" /* struct modelday_spec, modelday_decide_fn */

struct modelday_provider {
    const char *name; /* config_provider_name() of the models it serves */
    modelday_decide_fn decide;
};

/* The provider serving name, or NULL when none is built in. */
const struct modelday_provider *modelday_provider(const char *name);

enum modelday_result {
    MODELDAY_COMPLETED, /* committed */
    MODELDAY_FAILED,    /* status failed with the error (err) */
    MODELDAY_ABANDONED, /* cancelled: nothing written, left running (the worker releases it) */
    MODELDAY_LOST,      /* its lease was lost: nothing written, another worker runs it */
};

/* Runs spec's model-day on db (a connection of the calling thread). err gets
 * the reason when the day did not complete. */
enum modelday_result modelday_run(struct db *db, const struct modelday_spec *spec, char *err,
                                  size_t errlen);

/* Records the failure (why) of model-day date of model in job_id; with a
 * worker (NULL: none), only while the day is still under its lease (else
 * nothing is written: another worker runs it). Returns 0 or -1. */
int modelday_fail(struct db *db, const char *job_id, const char *date, const char *model,
                  const char *worker, const char *why, double duration, char *err, size_t errlen);

#endif
