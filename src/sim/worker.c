/* worker: see worker.h. The caller's thread is the dispatcher: it claims
 * model-days (one transaction each) while fewer than `threads` are in
 * flight and queues them; pool threads, started as the queue needs them and
 * kept for the next days, run them. A day that ends wakes the dispatcher,
 * whose next claim may be that model's next date; with nothing to claim it
 * waits for a day to end or `poll` seconds (another worker's day may end). */
#include "sim/worker.h"

#include "base/env.h"

#include "trading/agentfiles.h"
#include "service/config.h"
#include "base/errbuf.h"
#include "service/jobs.h"
#include "base/log.h"
#include "base/mem.h"
#include "sim/modelday.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* --- identity and heartbeat ------------------------------------------------ */

int worker_self_init(struct worker_self *w, const char *version, int threads, char *err,
                     size_t errlen)
{
    memset(w, 0, sizeof(*w));
    gethostname(w->hostname, sizeof(w->hostname) - 1);
    if (heartbeat_new_id(w->hostname, w->id, err, errlen) != 0)
        return -1;
    time_now_iso(w->started_at);
    w->version = version;
    w->threads = threads;
    return 0;
}

/* Whether r is a dead worker: its beat older than a lease, or on this host
 * with its pid gone (a restarted daemon resumes its predecessor's days at
 * once). A pid seen from another pid namespace may look gone: such a worker
 * still beats, so a beat younger than two beats keeps it alive. */
static bool dead(const struct worker_self *w, const struct heartbeat_row *r, const char *now)
{
    double age = time_iso_diff(r->last_beat, now);
    if (strcmp(r->id, w->id) == 0)
        return false;
    if (age == -1.0 || age > jobs_lease_seconds())
        return true;
    return strcmp(r->hostname, w->hostname) == 0 && age > 2 * WORKER_BEAT_SECONDS &&
           kill((pid_t)r->pid, 0) != 0 && errno == ESRCH;
}

/* Releases the days of dead workers and deletes their rows, then reclaims
 * every expired lease. */
static int reap(struct db *db, const struct worker_self *w, char *err, size_t errlen)
{
    struct heartbeat_row *rows = NULL;
    char now[TIMESTAMP_BUF];
    size_t n = 0;
    long long days = 0;
    int rc = 0;
    if (db_clock(db, 0, now, err, errlen) != 0 || heartbeat_list(db, &rows, &n, err, errlen) != 0)
        return -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!dead(w, &rows[i], now))
            continue;
        rc = jobs_release_worker(db, rows[i].id, "worker gone", &days, err, errlen);
        if (rc == 0) {
            heartbeat_clear(db, rows[i].id);
            log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL,
                     "worker %s is gone: %lld model-day(s) back to pending", rows[i].id, days);
        }
    }
    free(rows);
    if (rc == 0 && (rc = jobs_reclaim_expired(db, &days, err, errlen)) == 0 && days > 0)
        log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL,
                 "%lld model-day(s) whose lease expired back to pending", days);
    return rc;
}

int worker_beat(struct db *db, const struct worker_self *w, const char *job, char *err,
                size_t errlen)
{
    char now[TIMESTAMP_BUF];
    long long renewed;
    if (db_clock(db, 0, now, err, errlen) != 0)
        return -1;
    struct heartbeat_beat b = {.id = w->id,
                               .pid = getpid(),
                               .hostname = w->hostname,
                               .version = w->version,
                               .started_at = w->started_at,
                               .now = now,
                               .job = job,
                               .threads = w->threads};
    if (heartbeat_write(db, &b, err, errlen) != 0 ||
        jobs_renew_leases(db, w->id, &renewed, err, errlen) != 0)
        return -1;
    return reap(db, w, err, errlen);
}

void worker_goodbye(struct db *db, const struct worker_self *w)
{
    char err[ERRBUF_SIZE];
    long long n;
    if (jobs_release_worker(db, w->id, "worker stopped", &n, err, sizeof(err)) != 0)
        log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL, "cannot release the leases: %s", err);
    heartbeat_clear(db, w->id);
}

/* --- the pool --------------------------------------------------------------- */

/* A job this process serves, loaded when first met. */
struct job_entry {
    struct jobs_job job;
    struct config cfg;
    char why[ERRBUF_SIZE + 32]; /* not "": its config is invalid */
    size_t inflight;            /* its model-days queued or running, under lock */
    bool active;                /* in the active list at the last look */
};

struct task {
    struct job_entry *job;
    struct jobs_claimed day;
};

struct pool {
    const struct worker_opts *o;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a task queued, or quit */
    pthread_cond_t ended; /* a model-day ended */
    struct task *queue;   /* FIFO, under lock */
    size_t nqueue, capqueue;
    size_t inflight; /* model-days queued or running, under lock */
    size_t idle;     /* threads waiting for a task, under lock */
    bool quit;
    pthread_t *tids;
    size_t nthreads, captids;
    struct job_entry **jobs; /* the dispatcher's alone */
    size_t njobs, capjobs;
    char current[JOB_ID_BUF]; /* last told to on_job */
};

static bool stopping(const struct worker_opts *o)
{
    return o->cancel && atomic_load(o->cancel);
}

/* Runs one claimed model-day on the thread's connection, or fails it when
 * its model cannot run. */
static void run_one(const struct worker_opts *o, struct db *db, const struct task *t)
{
    const struct job_entry *e = t->job;
    const char *job_id = e->job.job_id;
    const struct jobs_claimed *d = &t->day;
    char err[ERRBUF_SIZE], why[JOBS_ERROR_MAX + 1];
    const struct config_model *m = config_find_model(&e->cfg, d->model);
    if (!m || (m->key_in_file && !m->api_key) || m->url_in_file) {
        if (!m)
            snprintf(why, sizeof(why), "model is not in the job's config");
        else
            snprintf(why, sizeof(why), "%s for model %s is no longer in %s",
                     m->url_in_file ? "base URL" : "API key", m->signature, e->job.config_path);
        log_emit(LOG_LEVEL_ERROR, LOGGER, job_id, d->date, d->model, "%s", why);
        if (modelday_fail(db, job_id, d->date, d->model, o->self->id, why, -1.0, err,
                          sizeof(err)) != 0)
            log_emit(LOG_LEVEL_ERROR, LOGGER, job_id, d->date, d->model, "%s", err);
        return;
    }
    struct modelday_spec spec = {.job_id = job_id,
                                 .date = d->date,
                                 .cfg = &e->cfg,
                                 .model = m,
                                 .home = o->home,
                                 .cancel = o->cancel,
                                 .replace = e->job.replace_existing,
                                 .worker = o->self->id};
    modelday_run(db, &spec, err, sizeof(err));
}

static void *pool_thread(void *arg)
{
    struct pool *p = arg;
    struct db *db = NULL;
    char err[ERRBUF_SIZE];
    /* A database that cannot be opened now (a full disk, a file made
     * read-only) is tried again until the worker stops: the days queued
     * stay leased, never failed for the host's trouble. */
    for (int attempt = 0; db_open(p->o->db_path, DB_READWRITE, &db, err, sizeof(err)) != 0;) {
        log_emit(LOG_LEVEL_ERROR, LOGGER, NULL, NULL, NULL, "worker thread: %s", err);
        if (db_retry_pause(attempt++, p->o->cancel) != 0)
            return NULL;
    }
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->nqueue == 0) {
            p->idle++;
            pthread_cond_wait(&p->work, &p->lock);
            p->idle--;
        }
        if (p->quit)
            break;
        struct task t = p->queue[0];
        memmove(p->queue, p->queue + 1, --p->nqueue * sizeof(*p->queue));
        pthread_mutex_unlock(&p->lock);
        run_one(p->o, db, &t);
        pthread_mutex_lock(&p->lock);
        p->inflight--;
        t.job->inflight--;
        pthread_cond_broadcast(&p->ended);
    }
    pthread_mutex_unlock(&p->lock);
    db_close(db);
    return NULL;
}

/* Queues t, starting a thread when none is idle and the cap allows. */
static void enqueue(struct pool *p, const struct task *t)
{
    pthread_mutex_lock(&p->lock);
    ARRAY_RESERVE(p->queue, p->capqueue, p->nqueue + 1);
    p->queue[p->nqueue++] = *t;
    p->inflight++;
    t->job->inflight++;
    bool spawn = p->nqueue > p->idle && p->nthreads < (size_t)p->o->threads;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
    if (!spawn)
        return;
    ARRAY_RESERVE(p->tids, p->captids, p->nthreads + 1);
    if (pthread_create(&p->tids[p->nthreads], NULL, pool_thread, p) == 0)
        p->nthreads++;
    else
        log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL,
                 "cannot start a worker thread (%zu running)", p->nthreads);
}

/* Tells o->on_job the job, when it changed. */
static void tell_job(struct pool *p, const char *job_id)
{
    if (!p->o->on_job || strcmp(p->current, job_id ? job_id : "") == 0)
        return;
    snprintf(p->current, sizeof(p->current), "%s", job_id ? job_id : "");
    p->o->on_job(p->o->on_job_arg, job_id);
}

/* Rewrites the AI-Trader files of the job's models from the database, so a
 * job resumed after a crash between a commit and its files starts from files
 * that match the database. A failure is only logged: the files follow the
 * database, never the other way round. */
static void sync_files(const struct worker_opts *o, struct db *db, const struct job_entry *e)
{
    char err[ERRBUF_SIZE];
    if (agentfiles_write_job(db, &e->cfg, o->home, &e->job, NULL, err, sizeof(err)) != 0)
        log_emit(LOG_LEVEL_WARNING, LOGGER, e->job.job_id, NULL, NULL,
                 "cannot write the AI-Trader files: %s", err);
}

/* The entry of job_id, loaded (config parsed, keys restored, files synced)
 * when first met; NULL when it cannot be read now. */
static struct job_entry *entry_get(struct pool *p, struct db *db, const char *job_id)
{
    char err[ERRBUF_SIZE], cerr[ERRBUF_SIZE];
    for (size_t i = 0; i < p->njobs; i++)
        if (strcmp(p->jobs[i]->job.job_id, job_id) == 0)
            return p->jobs[i];
    struct job_entry *e = mem_calloc(1, sizeof(*e));
    if (jobs_get(db, job_id, &e->job, err, sizeof(err)) != JOBS_FOUND) {
        log_emit(LOG_LEVEL_WARNING, LOGGER, job_id, NULL, NULL, "cannot read the job: %s", err);
        free(e);
        return NULL;
    }
    const char *text = e->job.config_json;
    if (!text || config_parse(text, strlen(text), &e->cfg, cerr, sizeof(cerr)) != 0) {
        snprintf(e->why, sizeof(e->why), "invalid config: %s", text ? cerr : "none stored");
        log_emit(LOG_LEVEL_ERROR, LOGGER, job_id, NULL, NULL, "%s", e->why);
    } else {
        config_restore_keys(&e->cfg, e->job.config_path);
        sync_files(p->o, db, e);
    }
    log_emit(LOG_LEVEL_INFO, LOGGER, job_id, NULL, NULL, "serving job: %zu model-days, %s",
             e->job.ndays, e->cfg.lockstep ? "lockstep" : "pipelined");
    ARRAY_RESERVE(p->jobs, p->capjobs, p->njobs + 1);
    p->jobs[p->njobs++] = e;
    return e;
}

/* Forgets the jobs no longer active with nothing in flight. */
static void entries_prune(struct pool *p)
{
    size_t k = 0;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->njobs; i++) {
        struct job_entry *e = p->jobs[i];
        if (e->active || e->inflight > 0) {
            p->jobs[k++] = e;
            continue;
        }
        config_free(&e->cfg);
        jobs_job_free(&e->job);
        free(e);
    }
    p->njobs = k;
    pthread_mutex_unlock(&p->lock);
}

enum look {
    LOOK_NONE,    /* no job to serve */
    LOOK_IDLE,    /* jobs active, nothing to claim now */
    LOOK_CLAIMED, /* a model-day was claimed */
};

/* After a failed storage step: a fresh connection when the fault is the
 * host's (db.h). */
static void storage_fault(struct db *db, const char *job_id, const char *what, const char *err)
{
    char rerr[ERRBUF_SIZE];
    log_emit(LOG_LEVEL_ERROR, LOGGER, job_id, NULL, NULL, "%s: %s", what, err);
    if (db_transient(db))
        db_reopen(db, rerr, sizeof(rerr));
    db_clear_error(db);
}

/* Tries job e: claims a model-day (queued, or, when its config is invalid,
 * the job ends failed), or finishes the job when nothing is left. */
static enum look try_job(struct pool *p, struct db *db, struct job_entry *e)
{
    char err[ERRBUF_SIZE], status[JOB_STATUS_BUF];
    const char *id = e->job.job_id;
    struct task t = {.job = e};
    enum jobs_found f =
        jobs_claim_day(db, id, p->o->self->id, e->cfg.lockstep, &t.day, err, sizeof(err));
    if (f == JOBS_FOUND && *e->why) {
        if (jobs_finish(db, id, e->why, status, err, sizeof(err)) != 0)
            storage_fault(db, id, "cannot finish the job", err);
        return LOOK_CLAIMED;
    }
    if (f == JOBS_FOUND) {
        enqueue(p, &t);
        tell_job(p, id);
        return LOOK_CLAIMED;
    }
    if (f == JOBS_ERROR) {
        storage_fault(db, id, "cannot claim a model-day", err);
        return LOOK_IDLE;
    }
    pthread_mutex_lock(&p->lock);
    bool busy = e->inflight > 0; /* our days of it still run: it cannot be done */
    pthread_mutex_unlock(&p->lock);
    if (!busy) {
        f = jobs_finish_done(db, id, status, err, sizeof(err));
        if (f == JOBS_FOUND)
            log_emit(LOG_LEVEL_INFO, LOGGER, id, NULL, NULL, "job finished: %s", status);
        else if (f == JOBS_ERROR)
            storage_fault(db, id, "cannot finish the job", err);
    }
    return LOOK_IDLE;
}

/* One look at the active jobs (only: that one), oldest first: claims at most
 * one model-day. */
static enum look look(struct pool *p, struct db *db, const char *only)
{
    struct jobs_active *act = NULL;
    size_t n = 0;
    char err[ERRBUF_SIZE];
    enum look r = LOOK_NONE;
    db_clear_error(db);
    if (jobs_list_active(db, &act, &n, err, sizeof(err)) != 0) {
        storage_fault(db, NULL, "cannot read the active jobs", err);
        return LOOK_IDLE;
    }
    for (size_t i = 0; i < p->njobs; i++)
        p->jobs[i]->active = false;
    for (size_t i = 0; i < n && r != LOOK_CLAIMED; i++) {
        if (only && strcmp(act[i].job_id, only) != 0)
            continue;
        struct job_entry *e = entry_get(p, db, act[i].job_id);
        r = LOOK_IDLE;
        if (!e)
            continue;
        e->active = true;
        r = try_job(p, db, e);
    }
    /* Jobs after the one claimed from stay as they were. */
    for (size_t i = 0; r == LOOK_CLAIMED && i < p->njobs; i++)
        p->jobs[i]->active = true;
    jobs_active_free(act, n);
    entries_prune(p);
    return r;
}

/* The model-days in flight; with seconds > 0, after waiting until one ends
 * or seconds pass. */
static size_t in_flight(struct pool *p, double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)(seconds * 1e9);
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&p->lock);
    if (seconds > 0)
        pthread_cond_timedwait(&p->ended, &p->lock, &until);
    size_t n = p->inflight;
    pthread_mutex_unlock(&p->lock);
    return n;
}

/* Stops the threads: the days still queued are not started; the running
 * ones end (abandoned when stopping). */
static void pool_stop(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    p->inflight -= p->nqueue;
    for (size_t i = 0; i < p->nqueue; i++)
        p->queue[i].job->inflight--;
    p->nqueue = 0;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->tids[i], NULL);
    for (size_t i = 0; i < p->njobs; i++)
        p->jobs[i]->active = false;
    entries_prune(p);
}

int worker_serve(const struct worker_opts *o, struct db *db, const char *only, bool once,
                 enum worker_result *res, char *err, size_t errlen)
{
    struct pool p = {.o = o,
                     .lock = PTHREAD_MUTEX_INITIALIZER,
                     .work = PTHREAD_COND_INITIALIZER,
                     .ended = PTHREAD_COND_INITIALIZER};
    size_t inflight = 0;
    long long n;
    while (!stopping(o)) {
        enum look r = inflight < (size_t)o->threads ? look(&p, db, only) : LOOK_IDLE;
        if (r == LOOK_CLAIMED) {
            inflight = in_flight(&p, 0);
            continue;
        }
        if ((inflight = in_flight(&p, 0)) == 0)
            tell_job(&p, NULL);
        if (r == LOOK_NONE && (only || once) && inflight == 0)
            break;
        inflight = in_flight(&p, o->poll);
    }
    pool_stop(&p);
    free(p.queue);
    free(p.tids);
    free(p.jobs);
    *res = stopping(o) ? WORKER_ABANDONED : WORKER_FINISHED;
    if (*res == WORKER_ABANDONED &&
        jobs_release_worker(db, o->self->id, "worker stopped", &n, err, errlen) != 0)
        return -1;
    return 0;
}
