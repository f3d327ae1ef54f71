/* worker: a process serving model-days from the shared store, one of any
 * number of workers (traderd processes on one or several hosts, a batch
 * run) on one database. It claims one model-day at a time (jobs_claim_day:
 * oldest job first, then the earliest date) under a lease that its
 * heartbeat renews (worker_beat), runs it on a pool of up to `threads`
 * threads, each with its own database connection, and commits it only
 * while the lease is still its own (modelday.h). Several workers serve the
 * same job at once; each model's dates still run in order, and the
 * config's schedule (CONTRACT section 5) says how models relate: pipelined
 * (the default), each model walks its dates at its own pace; lockstep, no
 * model starts date D+1 before every model finished D. Both rules are in
 * the claim, so they hold across workers. A model that fails on a date goes
 * on with the next date from its last completed state (modelday.h loads
 * it). A model whose key was in the config file takes it from the job's
 * config file as that file is now (the database keeps no key); when it is
 * no longer there, that model's model-days fail and the others run. A
 * cancellation request (jobs_cancel) stops model-days from being claimed;
 * the ones in flight end whole. The worker that finds a job with nothing
 * left to run finishes it by the contract's rule (jobs_finish_done). A
 * worker that dies loses its leases: its days go back to pending when the
 * lease runs out, or at once when another worker on its host sees its pid
 * gone, and run again from scratch elsewhere. */
#ifndef TRADER_WORKER_H
#define TRADER_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/dates.h"
#include "service/config.h"
#include "service/heartbeat.h"
#include "store/db.h"

/* The cap on model-days in flight. LLM calls wait on the network, not the
 * CPU, so by default every model of a job runs at once (a job has at most
 * CONFIG_MODELS_MAX models); the cap is for providers that limit
 * concurrent requests. */
#define WORKER_DEFAULT_THREADS CONFIG_MODELS_MAX
#define WORKER_MAX_THREADS 256
#define WORKER_ENV_THREADS "TRADER_THREADS"
#define WORKER_BEAT_SECONDS 2 /* between two heartbeats (worker_beat) */

/* The cap on model-days in flight: flag (a --threads argument) when non-NULL,
 * else $TRADER_THREADS by env.h's rule (a bad value: the default, with a
 * warning), else WORKER_DEFAULT_THREADS. Returns 0, or -1 when the flag is
 * not an integer in 1..WORKER_MAX_THREADS. */
int worker_threads(const char *flag, int *out, char *err, size_t errlen);

/* This process as a worker. */
struct worker_self {
    char id[HEARTBEAT_ID_BUF]; /* unique per process start: the leases it holds */
    char hostname[HEARTBEAT_HOST_MAX];
    char started_at[TIMESTAMP_BUF];
    const char *version;
    int threads;
};

/* A new identity for this process (heartbeat_new_id). */
int worker_self_init(struct worker_self *w, const char *version, int threads, char *err,
                     size_t errlen);

/* One heartbeat of w, every WORKER_BEAT_SECONDS: its workers row (job: the
 * job it runs, NULL when idle), its leases renewed, and the model-days of
 * dead workers back to pending: a worker whose beat is older than a lease,
 * or one of this host whose pid is gone, and every expired lease. */
int worker_beat(struct db *db, const struct worker_self *w, const char *job, char *err,
                size_t errlen);

/* A worker that stops: releases its leases (its days go back to pending at
 * once) and deletes its row. Best effort: failing, the leases run out. */
void worker_goodbye(struct db *db, const struct worker_self *w);

struct worker_opts {
    const char *db_path;            /* each pool thread opens its own connection */
    const char *home;               /* the data directory (AI-Trader files) */
    int threads;                    /* cap on model-days in flight, 1..WORKER_MAX_THREADS */
    const atomic_int *cancel;       /* optional: nonzero stops at the next safe point */
    const struct worker_self *self; /* whose leases */
    double poll;                    /* seconds between looks for work when there is none */
    /* optional: told the job of the latest model-day claimed, NULL when idle */
    void (*on_job)(void *arg, const char *job_id);
    void *on_job_arg;
};

enum worker_result {
    WORKER_FINISHED,  /* nothing left to serve (see worker_serve) */
    WORKER_ABANDONED, /* cancelled: the days in flight were released */
};

/* Serves model-days of the active jobs, oldest first (only: of that job
 * alone), using db (the caller's connection) for claims, until *o->cancel,
 * or, with only, until that job is no longer active, or, with once, until no
 * job is active. At a cancel the days in flight are abandoned (nothing of
 * them is written) and released. Returns 0 with *res, or -1 (err). */
int worker_serve(const struct worker_opts *o, struct db *db, const char *only, bool once,
                 enum worker_result *res, char *err, size_t errlen);

#endif
