/* worker: see worker.h. One lane per model (its pending model-days in date
 * order) and min(threads, models) threads, each with its own connection.
 * A thread takes the lane that pick() chooses, runs that lane's next
 * model-day, and goes back for another; the schedule (pipelined or
 * lockstep) lives in pick() alone. Threads that find nothing to start wait
 * for a model-day to finish. */
#include "sim/worker.h"

#include "base/env.h"

#include "trading/agentfiles.h"
#include "service/config.h"
#include "base/errbuf.h"
#include "service/jobs.h"
#include "base/log.h"
#include "base/mem.h"
#include "sim/modelday.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER "traderd.worker"

int worker_threads(const char *flag, int *out, char *err, size_t errlen)
{
    char *end;
    if (!flag) {
        *out = (int)env_long(WORKER_ENV_THREADS, WORKER_DEFAULT_THREADS, 1, WORKER_MAX_THREADS);
        return 0;
    }
    long n = strtol(flag, &end, 10);
    if (end == flag || *end || n < 1 || n > WORKER_MAX_THREADS)
        return err_set(err, errlen, "threads must be an integer from 1 to %d, not \"%.32s\"",
                       WORKER_MAX_THREADS, flag);
    *out = (int)n;
    return 0;
}

/* One model's pending model-days, in date order. A lane runs at most one
 * model-day at a time: started - finished is 0 or 1. */
struct lane {
    const struct jobs_day **days;
    size_t n;
    size_t started;  /* under sched.lock */
    size_t finished; /* under sched.lock */
};

/* The job's lanes, shared by the threads. */
struct sched {
    const struct worker_opts *o;
    const char *job_id;
    const char *config_path; /* where the models' keys are, for the message */
    const struct config *cfg;
    bool replace; /* the job's replace_existing */
    struct lane *lanes;
    size_t nlanes;
    size_t inflight; /* model-days running, under lock */
    bool stopped;    /* the job's cancellation was asked for, under lock */
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a model-day finished */
};

static int cancelled(const struct worker_opts *o)
{
    return o->cancel && atomic_load(o->cancel);
}

/* True when the job's cancellation was asked for (CONTRACT section 8): no
 * model-day starts after that; a read error counts as not asked. */
static bool cancel_asked(struct db *db, const char *job_id)
{
    char err[ERRBUF_SIZE];
    bool asked = false;
    if (jobs_cancel_requested(db, job_id, &asked, err, sizeof(err)) != 0)
        log_emit(LOG_LEVEL_WARNING, LOGGER, job_id, NULL, NULL, "%s", err);
    return asked;
}

/* Runs one model-day on the thread's connection, or fails it when its model
 * cannot run. */
static void run_one(struct sched *s, struct db *db, const struct jobs_day *d)
{
    char err[ERRBUF_SIZE], why[JOBS_ERROR_MAX + 1];
    const struct config_model *m = config_find_model(s->cfg, d->model);
    if (!m || (m->key_in_file && !m->api_key) || m->url_in_file) {
        if (!m)
            snprintf(why, sizeof(why), "model is not in the job's config");
        else if (m->url_in_file)
            snprintf(why, sizeof(why), "base URL for model %s is no longer in %s", m->signature,
                     s->config_path);
        else
            snprintf(why, sizeof(why), "API key for model %s is no longer in %s", m->signature,
                     s->config_path);
        log_emit(LOG_LEVEL_ERROR, LOGGER, s->job_id, d->date, d->model, "%s", why);
        if (jobs_day_fail(db, s->job_id, d->date, d->model, why, -1.0, err, sizeof(err)) != 0)
            log_emit(LOG_LEVEL_ERROR, LOGGER, s->job_id, d->date, d->model, "%s", err);
        return;
    }
    struct modelday_spec spec = {.job_id = s->job_id,
                                 .date = d->date,
                                 .cfg = s->cfg,
                                 .model = m,
                                 .home = s->o->home,
                                 .cancel = s->o->cancel,
                                 .replace = s->replace};
    modelday_run(db, &spec, err, sizeof(err));
}

/* The next date of lane, or NULL when it is busy or has nothing left. */
static const char *lane_next(const struct lane *l)
{
    return l->started == l->finished && l->started < l->n ? l->days[l->started]->date : NULL;
}

/* Under lock: the lane whose next model-day should start now, or NULL.
 * Pipelined, any idle lane may start; the earliest date goes first, so with
 * fewer threads than models the slow models are not left behind. Lockstep,
 * only the earliest unfinished date may start (the barrier). */
static struct lane *pick(struct sched *s)
{
    const char *barrier = NULL;
    struct lane *best = NULL;
    if (cancelled(s->o) || s->stopped)
        return NULL;
    for (size_t i = 0; s->cfg->lockstep && i < s->nlanes; i++) {
        const struct lane *l = &s->lanes[i];
        if (l->finished < l->n && (!barrier || strcmp(l->days[l->finished]->date, barrier) < 0))
            barrier = l->days[l->finished]->date;
    }
    for (size_t i = 0; i < s->nlanes; i++) {
        const char *d = lane_next(&s->lanes[i]);
        if (d && (!barrier || strcmp(d, barrier) == 0) && (!best || strcmp(d, lane_next(best)) < 0))
            best = &s->lanes[i];
    }
    return best;
}

static void *lane_thread(void *arg)
{
    struct sched *s = arg;
    struct db *db = NULL;
    char err[ERRBUF_SIZE];
    /* A database that cannot be opened now (a full disk, a file made
     * read-only) is tried again until the daemon stops: the days stay
     * pending, never failed for the host's trouble. */
    for (int attempt = 0; db_open(s->o->db_path, DB_READWRITE, &db, err, sizeof(err)) != 0;) {
        log_emit(LOG_LEVEL_ERROR, LOGGER, s->job_id, NULL, NULL, "worker thread: %s", err);
        if (db_retry_pause(attempt++, s->o->cancel) != 0)
            return NULL;
    }
    pthread_mutex_lock(&s->lock);
    for (;;) {
        struct lane *l = pick(s);
        if (!l && s->inflight == 0)
            break; /* all done, or cancelled with nothing left running */
        if (!l) {
            pthread_cond_wait(&s->changed, &s->lock);
            continue;
        }
        const struct jobs_day *d = l->days[l->started++];
        s->inflight++;
        pthread_mutex_unlock(&s->lock);
        /* Checked as the model-day is about to start, as a cancel may come
         * at any time; a cancelled job's day goes back to its lane. */
        bool asked = cancel_asked(db, s->job_id);
        if (!asked)
            run_one(s, db, d);
        pthread_mutex_lock(&s->lock);
        if (asked) {
            s->stopped = true;
            l->started--;
        } else {
            l->finished++;
        }
        s->inflight--;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    db_close(db);
    return NULL;
}

/* The lane of model among the first n of names (n when there is none). */
static size_t lane_index(const char *const *names, size_t n, const char *model)
{
    size_t k = 0;
    while (k < n && strcmp(names[k], model) != 0)
        k++;
    return k;
}

/* Splits job's pending model-days into one lane per model, in the order the
 * models first appear (the config's), each lane in date order (the job's
 * order). Sets s->lanes, s->nlanes and *slots, the lanes' storage; the
 * caller frees both. */
static void make_lanes(struct sched *s, const struct jobs_job *job, const struct jobs_day ***slots)
{
    size_t cap = job->ndays ? job->ndays : 1, n = 0;
    const struct jobs_day **all = mem_calloc(cap, sizeof(*all));
    const char **names = mem_calloc(cap, sizeof(*names));
    size_t *fill = mem_calloc(cap, sizeof(*fill));
    struct lane *lanes = mem_calloc(cap, sizeof(*lanes));
    for (size_t i = 0; i < job->ndays; i++) {
        if (strcmp(job->days[i].status, "pending") != 0)
            continue;
        size_t k = lane_index(names, n, job->days[i].model);
        if (k == n)
            names[n++] = job->days[i].model;
        lanes[k].n++;
    }
    for (size_t k = 0, at = 0; k < n; at += lanes[k++].n)
        lanes[k].days = all + at;
    for (size_t i = 0; i < job->ndays; i++) {
        if (strcmp(job->days[i].status, "pending") != 0)
            continue;
        size_t k = lane_index(names, n, job->days[i].model);
        lanes[k].days[fill[k]++] = &job->days[i];
    }
    s->lanes = lanes;
    s->nlanes = n;
    *slots = all;
    free(fill);
    free(names);
}

/* Runs every pending model-day of job on min(threads, models) threads. */
static void run_lanes(const struct worker_opts *o, const struct jobs_job *job,
                      const struct config *cfg)
{
    struct sched s = {.o = o,
                      .job_id = job->job_id,
                      .config_path = job->config_path,
                      .cfg = cfg,
                      .replace = job->replace_existing};
    const struct jobs_day **slots = NULL;
    pthread_t *tids = NULL;
    size_t started = 0;
    make_lanes(&s, job, &slots);
    size_t nthreads = s.nlanes < (size_t)o->threads ? s.nlanes : (size_t)o->threads;
    tids = mem_calloc(nthreads ? nthreads : 1, sizeof(*tids));
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.changed, NULL);
    log_emit(LOG_LEVEL_INFO, LOGGER, job->job_id, NULL, NULL,
             "%s schedule: %zu models on %zu threads", cfg->lockstep ? "lockstep" : "pipelined",
             s.nlanes, nthreads);
    for (; started < nthreads; started++)
        if (pthread_create(&tids[started], NULL, lane_thread, &s) != 0)
            break;
    /* With no thread at all, run here so the job still moves on. */
    if (started == 0 && nthreads > 0)
        lane_thread(&s);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_cond_destroy(&s.changed);
    pthread_mutex_destroy(&s.lock);
    free(tids);
    free(slots);
    free(s.lanes);
}

/* Rewrites the AI-Trader files of the job's models from the database, so a
 * job resumed after a crash between a commit and its files starts from files
 * that match the database. A failure is only logged: the files follow the
 * database, never the other way round. */
static void sync_files(const struct worker_opts *o, struct db *db, const struct jobs_job *job,
                       const struct config *cfg)
{
    char err[ERRBUF_SIZE];
    for (size_t i = 0; i < cfg->nmodels; i++) {
        const char *sig = cfg->models[i].signature;
        size_t k = 0;
        while (k < job->ndays && strcmp(job->days[k].model, sig) != 0)
            k++;
        if (k < job->ndays && agentfiles_write(db, cfg, o->home, sig, NULL, err, sizeof(err)) != 0)
            log_emit(LOG_LEVEL_WARNING, LOGGER, job->job_id, NULL, sig,
                     "cannot write the AI-Trader files: %s", err);
    }
}

int worker_run_job(const struct worker_opts *o, struct db *db, const char *job_id,
                   enum worker_result *res, char *err, size_t errlen)
{
    struct jobs_job job = {0};
    struct config cfg = {0};
    char status[JOB_STATUS_BUF], cerr[ERRBUF_SIZE], why[ERRBUF_SIZE + 32] = "";
    enum jobs_found f = jobs_get(db, job_id, &job, err, errlen);
    int rc = -1;
    if (f != JOBS_FOUND)
        return f == JOBS_MISSING ? err_set(err, errlen, "job %s not found", job_id) : -1;
    log_emit(LOG_LEVEL_INFO, LOGGER, job_id, NULL, NULL, "job started: %zu model-days", job.ndays);
    if (!job.config_json ||
        config_parse(job.config_json, strlen(job.config_json), &cfg, cerr, sizeof(cerr)) != 0) {
        snprintf(why, sizeof(why), "invalid config: %s", job.config_json ? cerr : "none stored");
        log_emit(LOG_LEVEL_ERROR, LOGGER, job_id, NULL, NULL, "%s", why);
    } else {
        config_restore_keys(&cfg, job.config_path);
        sync_files(o, db, &job, &cfg);
        run_lanes(o, &job, &cfg);
    }
    if (cancelled(o)) {
        log_emit(LOG_LEVEL_WARNING, LOGGER, job_id, NULL, NULL,
                 "job interrupted by shutdown; it resumes at the next start");
        *res = WORKER_ABANDONED;
        rc = 0;
        goto out;
    }
    if (jobs_finish(db, job_id, *why ? why : NULL, status, err, errlen) != 0)
        goto out;
    log_emit(LOG_LEVEL_INFO, LOGGER, job_id, NULL, NULL, "job finished: %s", status);
    *res = WORKER_FINISHED;
    rc = 0;
out:
    config_free(&cfg);
    jobs_job_free(&job);
    return rc;
}
