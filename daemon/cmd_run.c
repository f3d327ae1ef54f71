/* cmd_run: `traderctl run`, batch mode (the specification's dual-mode
 * deployment): creates a job exactly as POST /simulate/trigger would, serves
 * its model-days in this process as one more worker (sim/worker.h: a
 * traderd on the same database may serve some of them too) to the job's end
 * with a progress line, prints the leaderboard and exits 1 when a model-day
 * failed (or the job did not complete). ^C stops claiming model-days; the
 * ones in flight are released and the next worker resumes the job. */
#include "traderctl.h"

#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "service/jobs.h"
#include "service/trigger.h"
#include "service/jobview.h"
#include "agent/llm.h"
#include "base/log.h"
#include "sim/worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_INTERVAL_MS 500

static atomic_int run_stop;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&run_stop, 1);
}

/* The trigger body the options mean. Caller owns it. */
static json_object *request_body(const char *config, const char *start, const char *end,
                                 const char *models)
{
    json_object *b = json_new_object();
    if (config)
        json_put(b, "config_path", json_object_new_string(config));
    if (start)
        json_put(b, "start_date", json_object_new_string(start));
    if (end)
        json_put(b, "end_date", json_object_new_string(end));
    if (models) {
        json_object *list = json_new_array();
        char buf[4096];
        json_put(b, "models", list);
        snprintf(buf, sizeof(buf), "%s", models);
        for (char *save = NULL, *m = strtok_r(buf, ",", &save); m; m = strtok_r(NULL, ",", &save))
            json_push(list, json_object_new_string(m));
    }
    return b;
}

enum ctl_job ctl_create_job(struct db *db, json_object *body, char job_id[JOB_ID_BUF])
{
    const char *text = json_object_to_json_string(body);
    struct trigger_env env = {.max_concurrent = trigger_max_concurrent()};
    char configs[PATHS_MAX], err[ERRBUF_SIZE];
    enum jobreq_fail why;
    struct jobreq r;
    struct trigger_answer a;
    enum ctl_job rc = CTL_JOB_ERROR;
    date_today(env.today);
    if (paths_configs_dir(configs, sizeof(configs), err, sizeof(err)) != 0) {
        ctl_fail("%s", err);
        return CTL_JOB_ERROR;
    }
    env.configs_dir = configs;
    if (jobreq_parse(text, strlen(text), &r, &why, err, sizeof(err)) != 0) {
        ctl_fail("%s", err);
        return CTL_JOB_ERROR;
    }
    if (trigger_run(db, &r, &env, &a, &why, err, sizeof(err)) != 0) {
        jobreq_free(&r);
        ctl_fail("%s", err);
        return CTL_JOB_ERROR;
    }
    jobreq_free(&r);
    switch (a.outcome) {
    case TRIGGER_ACCEPTED:
        memcpy(job_id, a.job_id, JOB_ID_BUF);
        printf("job %s: %zu model-days\n", a.job_id, a.total_model_days);
        rc = CTL_JOB_CREATED;
        break;
    case TRIGGER_UP_TO_DATE:
        printf("already up to date (last simulated date %s)\n", *a.last_date ? a.last_date : "-");
        rc = CTL_JOB_NONE;
        break;
    default:
        ctl_fail("job %s is already active for these models; follow it with traderctl jobs list",
                 a.job_id);
    }
    trigger_answer_free(&a);
    return rc;
}

/* The job's status and progress counts (from its summary document). */
struct progress {
    char status[JOB_STATUS_BUF];
    long long total, done, failed;
};

static int read_progress(struct db *db, const char *job_id, struct progress *p)
{
    char err[ERRBUF_SIZE];
    json_object *job = NULL, *pr, *v;
    if (jobview_build(db, job_id, JOBVIEW_SUMMARY, &job, err, sizeof(err)) != JOBVIEW_FOUND)
        return -1;
    json_object_object_get_ex(job, "status", &v);
    snprintf(p->status, sizeof(p->status), "%s", json_object_get_string(v));
    json_object_object_get_ex(job, "progress", &pr);
    json_object_object_get_ex(pr, "total_model_days", &v);
    p->total = json_object_get_int64(v);
    json_object_object_get_ex(pr, "completed", &v);
    p->done = json_object_get_int64(v);
    json_object_object_get_ex(pr, "failed", &v);
    p->failed = json_object_get_int64(v);
    json_object_put(job);
    return 0;
}

struct watcher {
    const char *db_path, *job_id;
    const struct worker_self *self;
    atomic_int quit;
};

/* Prints the progress line until quit (rewritten in place on a terminal,
 * else one line per change) and beats as a worker (worker_beat). */
static void *watch(void *arg)
{
    struct watcher *w = arg;
    struct db *db = NULL;
    struct progress p, last = {.done = -1};
    char err[ERRBUF_SIZE];
    int tty = isatty(STDERR_FILENO);
    double beat = 0;
    if (db_open(w->db_path, DB_READWRITE, &db, err, sizeof(err)) != 0)
        return NULL;
    while (!atomic_load(&w->quit)) {
        if (time_monotonic() >= beat) {
            if (worker_beat(db, w->self, w->job_id, err, sizeof(err)) != 0)
                log_emit(LOG_LEVEL_WARNING, "traderctl", w->job_id, NULL, NULL, "%s", err);
            beat = time_monotonic() + WORKER_BEAT_SECONDS;
        }
        if (read_progress(db, w->job_id, &p) == 0 &&
            (p.done != last.done || p.failed != last.failed || strcmp(p.status, last.status))) {
            fprintf(stderr, "%s%s: %lld/%lld model-days done, %lld failed%s", tty ? "\r" : "",
                    p.status, p.done + p.failed, p.total, p.failed, tty ? "   " : "\n");
            last = p;
        }
        struct timespec ts = {0, PROGRESS_INTERVAL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (tty)
        fputc('\n', stderr);
    worker_goodbye(db, w->self);
    db_close(db);
    return NULL;
}

/* Serves the job's model-days to its end. Returns CTL_OK when it completed,
 * else CTL_FAIL. */
static int run_job(const struct ctl *ctl, struct db *db, const char *job_id)
{
    struct worker_self self;
    struct worker_opts wo = {.db_path = ctl->db_path,
                             .home = ctl->home,
                             .cancel = &run_stop,
                             .self = &self,
                             .poll = 0.5};
    struct watcher w = {.db_path = ctl->db_path, .job_id = job_id, .self = &self};
    enum worker_result res = WORKER_FINISHED;
    struct progress p = {0};
    char err[ERRBUF_SIZE];
    pthread_t tid;
    int watching, rc = CTL_FAIL;
    /* Started here (unless a traderd was first), so progress reads running. */
    if (worker_threads(NULL, &wo.threads, err, sizeof(err)) != 0 ||
        worker_self_init(&self, TRADER_VERSION, wo.threads, err, sizeof(err)) != 0 ||
        jobs_claim(db, job_id, err, sizeof(err)) == JOBS_ERROR)
        return ctl_fail("%s", err);
    watching = pthread_create(&tid, NULL, watch, &w) == 0;
    if (worker_serve(&wo, db, job_id, false, &res, err, sizeof(err)) != 0)
        ctl_fail("%s", err);
    atomic_store(&w.quit, 1);
    if (watching)
        pthread_join(tid, NULL);
    if (res == WORKER_ABANDONED || atomic_load(&run_stop))
        return ctl_fail("interrupted: job %s stays running; traderd resumes it", job_id);
    if (read_progress(db, job_id, &p) == 0 && strcmp(p.status, "completed") == 0)
        rc = CTL_OK;
    printf("job %s %s: %lld completed, %lld failed of %lld model-days\n", job_id, p.status, p.done,
           p.failed, p.total);
    return rc;
}

int cmd_run(const struct ctl *ctl, int argc, char **argv)
{
    const char *config = NULL, *start = NULL, *end = NULL, *models = NULL;
    char job_id[JOB_ID_BUF], err[ERRBUF_SIZE];
    struct sigaction sa;
    json_object *body;
    struct db *db;
    enum ctl_job f;
    int rc;
    for (int i = 0; i < argc; i++)
        if (opt_value(argc, argv, &i, "--config", &config) != OPT_MATCHED &&
            opt_value(argc, argv, &i, "--start", &start) != OPT_MATCHED &&
            opt_value(argc, argv, &i, "--end", &end) != OPT_MATCHED &&
            opt_value(argc, argv, &i, "--models", &models) != OPT_MATCHED)
            return ctl_usage(ctl);
    if ((start == NULL) != (end == NULL))
        return ctl_fail("--start and --end go together");
    body = request_body(config, start, end, models);
    /* The progress line is the output; the log only says what went wrong. */
    if (!getenv("TRADER_LOG_LEVEL"))
        log_set_level(LOG_LEVEL_WARNING);
    if (llm_global_init(err, sizeof(err)) != 0) {
        json_object_put(body);
        return ctl_fail("%s", err);
    }
    if (ctl_open_db(ctl, &db) != 0) {
        json_object_put(body);
        llm_global_cleanup();
        return CTL_FAIL;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    f = ctl_create_job(db, body, job_id);
    json_object_put(body);
    rc = f == CTL_JOB_ERROR ? CTL_FAIL : f == CTL_JOB_NONE ? CTL_OK : run_job(ctl, db, job_id);
    db_close(db);
    llm_global_cleanup();
    if (f == CTL_JOB_CREATED && !atomic_load(&run_stop)) {
        char *lb[] = {"--job", job_id};
        fflush(stdout);
        cmd_leaderboard(ctl, 2, lb);
    }
    return rc;
}
