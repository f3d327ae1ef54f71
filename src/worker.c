/* worker: see worker.h. One pool per date: min(threads, model-days) threads
 * each open a connection, take model-days from a shared cursor until none is
 * left, and are joined before the next date. Starting threads per date keeps
 * the pool free of state between dates; a connection costs far less than a
 * model-day. */
#include "worker.h"

#include "agentfiles.h"
#include "config.h"
#include "errbuf.h"
#include "jobs.h"
#include "log.h"
#include "modelday.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER "traderd.worker"

int worker_threads(const char *flag, int *out, char *err, size_t errlen)
{
    const char *v = flag ? flag : getenv(WORKER_ENV_THREADS);
    char *end;
    if (!v || (!flag && !*v)) {
        *out = WORKER_DEFAULT_THREADS;
        return 0;
    }
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > WORKER_MAX_THREADS)
        return err_set(err, errlen, "threads must be an integer from 1 to %d, not \"%.32s\"",
                       WORKER_MAX_THREADS, v);
    *out = (int)n;
    return 0;
}

/* The model-days of one date, shared by the pool's threads. */
struct batch {
    const struct worker_opts *o;
    const char *job_id;
    const char *config_path; /* where the models' keys are, for the message */
    const struct config *cfg;
    const struct jobs_day **days;
    bool replace; /* the job's replace_existing */
    size_t n;
    size_t next; /* under lock */
    pthread_mutex_t lock;
};

/* Runs one model-day on the thread's connection, or fails it when its model
 * cannot run. */
static void run_one(struct batch *b, struct db *db, const struct jobs_day *d)
{
    char err[ERRBUF_SIZE], why[JOBS_ERROR_MAX + 1];
    const struct config_model *m = config_find_model(b->cfg, d->model);
    if (!m || (m->key_in_file && !m->api_key) || m->url_in_file) {
        if (!m)
            snprintf(why, sizeof(why), "model is not in the job's config");
        else if (m->url_in_file)
            snprintf(why, sizeof(why), "base URL for model %s is no longer in %s", m->signature,
                     b->config_path);
        else
            snprintf(why, sizeof(why), "API key for model %s is no longer in %s", m->signature,
                     b->config_path);
        log_emit(LOG_LEVEL_ERROR, LOGGER, b->job_id, d->date, d->model, "%s", why);
        if (jobs_day_fail(db, b->job_id, d->date, d->model, why, -1.0, err, sizeof(err)) != 0)
            log_emit(LOG_LEVEL_ERROR, LOGGER, b->job_id, d->date, d->model, "%s", err);
        return;
    }
    struct modelday_spec spec = {.job_id = b->job_id,
                                 .date = d->date,
                                 .cfg = b->cfg,
                                 .model = m,
                                 .home = b->o->home,
                                 .cancel = b->o->cancel,
                                 .replace = b->replace};
    modelday_run(db, &spec, err, sizeof(err));
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

static void *pool_thread(void *arg)
{
    struct batch *b = arg;
    struct db *db = NULL;
    char err[ERRBUF_SIZE];
    /* A database that cannot be opened now (a full disk, a file made
     * read-only) is tried again until the daemon stops: the days stay
     * pending, never failed for the host's trouble. */
    for (int attempt = 0; db_open(b->o->db_path, DB_READWRITE, &db, err, sizeof(err)) != 0;) {
        log_emit(LOG_LEVEL_ERROR, LOGGER, b->job_id, NULL, NULL, "worker thread: %s", err);
        if (db_retry_pause(attempt++, b->o->cancel) != 0)
            return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&b->lock);
        size_t i = b->next < b->n ? b->next++ : b->n;
        pthread_mutex_unlock(&b->lock);
        if (i == b->n || (b->o->cancel && atomic_load(b->o->cancel)) || cancel_asked(db, b->job_id))
            break;
        run_one(b, db, b->days[i]);
    }
    db_close(db);
    return NULL;
}

/* Runs the n model-days in parallel and waits for all of them. */
static int run_batch(struct batch *b, char *err, size_t errlen)
{
    size_t nthreads = b->n < (size_t)b->o->threads ? b->n : (size_t)b->o->threads, started = 0;
    pthread_t *tids = calloc(nthreads ? nthreads : 1, sizeof(*tids));
    if (!tids)
        return err_set(err, errlen, "out of memory");
    for (; started < nthreads; started++)
        if (pthread_create(&tids[started], NULL, pool_thread, b) != 0)
            break;
    /* With no thread at all, run here so the job still moves on. */
    if (started == 0)
        pool_thread(b);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    return 0;
}

static int cancelled(const struct worker_opts *o)
{
    return o->cancel && atomic_load(o->cancel);
}

/* Runs every date of job in order. */
static int run_dates(const struct worker_opts *o, struct db *db, const struct jobs_job *job,
                     const struct config *cfg, char *err, size_t errlen)
{
    const struct jobs_day **days = calloc(job->ndays ? job->ndays : 1, sizeof(*days));
    int rc = 0;
    if (!days)
        return err_set(err, errlen, "out of memory");
    for (size_t i = 0;
         i < job->ndays && rc == 0 && !cancelled(o) && !cancel_asked(db, job->job_id);) {
        size_t j = i, n = 0;
        for (; j < job->ndays && strcmp(job->days[j].date, job->days[i].date) == 0; j++)
            if (strcmp(job->days[j].status, "pending") == 0)
                days[n++] = &job->days[j];
        if (n) {
            struct batch b = {.o = o,
                              .job_id = job->job_id,
                              .config_path = job->config_path,
                              .replace = job->replace_existing,
                              .cfg = cfg,
                              .days = days,
                              .n = n};
            pthread_mutex_init(&b.lock, NULL);
            log_emit(LOG_LEVEL_INFO, LOGGER, job->job_id, job->days[i].date, NULL,
                     "running %zu model-days", n);
            rc = run_batch(&b, err, errlen);
            pthread_mutex_destroy(&b.lock);
        }
        i = j;
    }
    free(days);
    return rc;
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
    int f = jobs_get(db, job_id, &job, err, errlen), rc = -1;
    if (f <= 0)
        return f == 0 ? err_set(err, errlen, "job %s not found", job_id) : -1;
    log_emit(LOG_LEVEL_INFO, LOGGER, job_id, NULL, NULL, "job started: %zu model-days", job.ndays);
    if (!job.config_json ||
        config_parse(job.config_json, strlen(job.config_json), &cfg, cerr, sizeof(cerr)) != 0) {
        snprintf(why, sizeof(why), "invalid config: %s", job.config_json ? cerr : "none stored");
        log_emit(LOG_LEVEL_ERROR, LOGGER, job_id, NULL, NULL, "%s", why);
    } else if (config_restore_keys(&cfg, job.config_path, err, errlen) != 0) {
        goto out;
    } else {
        sync_files(o, db, &job, &cfg);
        if (run_dates(o, db, &job, &cfg, err, errlen) != 0)
            goto out;
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
