/* worker: runs one claimed job to its end on min(threads, models) threads,
 * each with its own database connection. Each model's dates run in order,
 * one model-day at a time. The config's schedule (CONTRACT section 5) says
 * how models relate: pipelined (the default), each model walks its dates at
 * its own pace, so the job takes as long as its slowest model; lockstep, no
 * model starts date D+1 before every model finished D. With fewer threads
 * than models, the idle model with the earliest date starts first. A model
 * that fails on a date goes on with the next date
 * from its last completed state (modelday.h loads it). A model whose key was
 * in the config file takes it from the job's config file as that file is
 * now (the database keeps no key); when it is no longer there, that model's
 * model-days fail and the others run. A cancellation request (jobs_cancel)
 * stops it from starting model-days; the ones in flight end whole. At the end
 * the job is finished by the contract's rule (jobs_finish): completed,
 * partial, failed, or cancelled. */
#ifndef TRADER_WORKER_H
#define TRADER_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

#include "service/config.h"
#include "store/db.h"

/* The cap on model-days in flight. LLM calls wait on the network, not the
 * CPU, so by default every model of a job runs at once (a job has at most
 * CONFIG_MODELS_MAX models); the cap is for providers that limit
 * concurrent requests. */
#define WORKER_DEFAULT_THREADS CONFIG_MODELS_MAX
#define WORKER_MAX_THREADS 256
#define WORKER_ENV_THREADS "TRADER_THREADS"

struct worker_opts {
    const char *db_path;      /* each pool thread opens its own connection */
    const char *home;         /* the data directory (AI-Trader files) */
    int threads;              /* cap on model-days in flight, 1..WORKER_MAX_THREADS */
    const atomic_int *cancel; /* optional: nonzero stops at the next safe point */
};

/* The cap on model-days in flight: flag (a --threads argument) when non-NULL,
 * else $TRADER_THREADS by env.h's rule (a bad value: the default, with a
 * warning), else WORKER_DEFAULT_THREADS. Returns 0, or -1 when the flag is
 * not an integer in 1..WORKER_MAX_THREADS. */
int worker_threads(const char *flag, int *out, char *err, size_t errlen);

enum worker_result {
    WORKER_FINISHED,  /* the job has its final status */
    WORKER_ABANDONED, /* cancelled: the job stays running, to be recovered */
};

/* Runs job_id, already claimed (running), using db (the caller's connection)
 * for the job's own state. Returns 0 with *res, or -1 (err) when the job
 * could not be read or finished. */
int worker_run_job(const struct worker_opts *o, struct db *db, const char *job_id,
                   enum worker_result *res, char *err, size_t errlen);

#endif
