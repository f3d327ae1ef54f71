/* traderd: the background daemon, one worker (sim/worker.h) of any number
 * sharing the database. Locks the data directory (flock on
 * DIR/traderd.lock, so a second daemon on it refuses to start and a file
 * left by a crash is simply taken over), writes its pid file (and removes it
 * at exit only while it is still its own), opens and migrates the database,
 * then serves model-days of the active jobs under leases. A heartbeat thread
 * with its own connection keeps this worker's row in `workers` current for
 * /health, renews its leases, puts the days of dead workers back to pending
 * (a predecessor killed on this host at once, any other when its lease runs
 * out) and watches the data directory: removed or replaced, the daemon
 * stops; another delivers the webhooks of ended jobs (callback.h). SIGTERM
 * or SIGINT stops claiming; running model-days are abandoned (they commit
 * nothing), their leases released so any worker resumes them at once, and
 * the process exits 0. */
#include "options.h"
#include "service/notify.h"
#include "base/dates.h"
#include "store/db.h"
#include "base/errbuf.h"
#include "service/jobs.h"
#include "service/heartbeat.h"
#include "agent/llm.h"
#include "base/log.h"
#include "base/paths.h"
#include "sim/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef TRADER_VERSION
#define TRADER_VERSION "unknown"
#endif

#define LOGGER "traderd"
#define PIDFILE_NAME "run/traderd.pid"
#define LOCKFILE_NAME "traderd.lock"
#define CALLBACK_POLL_SECONDS 0.5
#define DEFAULT_POLL_SECONDS 1.0
#define ENV_LOG_LEVEL "TRADER_LOG_LEVEL"

static atomic_int stop_flag;
static atomic_int callback_quit; /* set when the daemon ends */

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

struct opts {
    const char *home, *pidfile, *threads, *poll, *log_level;
    int once;
};

/* The heartbeat thread's state; current_job is set by the main thread. */
struct heart {
    struct db *db;
    const char *home; /* watched: the daemon stops when it is removed or replaced */
    struct stat home_st;
    struct worker_self self;
    char current_job[JOB_ID_BUF];
    int quit;
    int dirty; /* current_job changed since the last write */
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: traderd [--home DIR] [--pidfile FILE] [--threads N] [--poll SECONDS]\n"
            "               [--log-level LEVEL] [--once]\n"
            "Runs simulation jobs from the database in DIR (default $%s or %s).\n"
            "  --threads N   cap on model-days in flight (default $%s or %d)\n"
            "  --poll S      seconds between looks for new jobs (default %.1f)\n"
            "  --once        serve until no job is active, then exit\n",
            PATHS_ENV_HOME, PATHS_DEFAULT_HOME, WORKER_ENV_THREADS, WORKER_DEFAULT_THREADS,
            DEFAULT_POLL_SECONDS);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const char *const names[] = {"--home", "--pidfile", "--threads", "--poll",
                                        "--log-level"};
    memset(o, 0, sizeof(*o));
    const char **slots[] = {&o->home, &o->pidfile, &o->threads, &o->poll, &o->log_level};
    for (int i = 1; i < argc; i++) {
        enum opt_match f = OPT_OTHER;
        if (strcmp(argv[i], "--once") == 0) {
            o->once = 1;
            continue;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && f == OPT_OTHER; k++)
            f = opt_value(argc, argv, &i, names[k], slots[k]);
        if (f != OPT_MATCHED) {
            fprintf(stderr, "traderd: %s %s\n",
                    f == OPT_ERROR ? "missing value for" : "unknown argument", argv[i]);
            return -1;
        }
    }
    return 0;
}

/* Writes our pid into path (a new file renamed over any old one); *st
 * identifies the file so that only this file is ever removed. */
static int pidfile_write(const char *path, struct stat *st, char *err, size_t errlen)
{
    char tmp[PATHS_MAX + 32], buf[32];
    snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return err_set(err, errlen, "pid file path too long");
    int f = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f < 0)
        return err_set(err, errlen, "cannot write pid file %s: %s", tmp, strerror(errno));
    bool ok = write(f, buf, strlen(buf)) == (ssize_t)strlen(buf) && fstat(f, st) == 0;
    close(f);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return err_set(err, errlen, "cannot write pid file %s: %s", path, strerror(errno));
    }
    return 0;
}

/* Removes path only while it is the file pidfile_write made: a daemon that
 * started since (after the data directory was removed and made again) keeps
 * its own. */
static void pidfile_remove(const char *path, const struct stat *mine)
{
    struct stat st;
    if (stat(path, &st) == 0 && st.st_ino == mine->st_ino && st.st_dev == mine->st_dev)
        unlink(path);
}

/* Locks the data directory (flock on its LOCKFILE_NAME) for the life of the
 * process: fails, naming the holder's pid, when a live daemon has it. */
static int home_lock(const char *home, const char *pidfile, int *fd, char *err, size_t errlen)
{
    char path[PATHS_MAX], buf[32] = "";
    if (paths_join(home, LOCKFILE_NAME, path, sizeof(path), err, errlen) != 0)
        return -1;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0)
        return err_set(err, errlen, "cannot open lock file %s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = pread(f, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        close(f);
        return err_set(err, errlen,
                       "traderd is already running (pid %s) on %s (lock %s, pid file %s)",
                       *buf ? buf : "?", home, path, pidfile);
    }
    snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, buf, strlen(buf), 0) != (ssize_t)strlen(buf)) {
        close(f);
        return err_set(err, errlen, "cannot write lock file %s: %s", path, strerror(errno));
    }
    *fd = f;
    return 0;
}

/* Whether the data directory is still the one the daemon started on. */
static bool home_same(const struct heart *h)
{
    struct stat st;
    return stat(h->home, &st) == 0 && st.st_ino == h->home_st.st_ino &&
           st.st_dev == h->home_st.st_dev;
}

static int heart_write(struct heart *h, char *err, size_t errlen)
{
    char job[JOB_ID_BUF];
    pthread_mutex_lock(&h->lock);
    memcpy(job, h->current_job, sizeof(job));
    pthread_mutex_unlock(&h->lock);
    return worker_beat(h->db, &h->self, job, err, errlen);
}

static void *heartbeat_thread(void *arg)
{
    struct heart *h = arg;
    char err[ERRBUF_SIZE];
    pthread_mutex_lock(&h->lock);
    while (!h->quit) {
        h->dirty = 0;
        pthread_mutex_unlock(&h->lock);
        if (!home_same(h)) {
            log_emit(LOG_LEVEL_CRITICAL, LOGGER, NULL, NULL, NULL,
                     "data directory %s was removed or replaced: stopping", h->home);
            atomic_store(&stop_flag, 1);
            pthread_mutex_lock(&h->lock);
            break;
        }
        db_clear_error(h->db);
        if (heart_write(h, err, sizeof(err)) != 0) {
            log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL, "%s", err);
            if (db_transient(h->db)) /* a fresh connection once the storage is back */
                db_reopen(h->db, err, sizeof(err));
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WORKER_BEAT_SECONDS;
        pthread_mutex_lock(&h->lock);
        /* A change made during the write is written at once, not lost. */
        if (!h->quit && !h->dirty)
            pthread_cond_timedwait(&h->wake, &h->lock, &until);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* Sets the job the heartbeat reports (NULL: none) and writes it now
 * (worker_opts.on_job). */
static void heart_job(void *arg, const char *job_id)
{
    struct heart *h = arg;
    pthread_mutex_lock(&h->lock);
    snprintf(h->current_job, sizeof(h->current_job), "%s", job_id ? job_id : "");
    h->dirty = 1;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
}

/* Sleeps seconds, returning early once *flag is set. */
static void nap(const atomic_int *flag, double seconds)
{
    double end = time_monotonic() + seconds;
    while (!atomic_load(flag) && time_monotonic() < end) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Delivers the callbacks of ended jobs (callback.h) on its own connection,
 * so a slow receiver delays neither jobs nor the heartbeat. */
static void *callback_thread(void *arg)
{
    const char *db_path = arg;
    struct db *db = NULL;
    char err[ERRBUF_SIZE];
    int n;
    if (db_open(db_path, DB_READWRITE, &db, err, sizeof(err)) != 0) {
        log_emit(LOG_LEVEL_ERROR, LOGGER, NULL, NULL, NULL, "callbacks: %s", err);
        return NULL;
    }
    while (!atomic_load(&callback_quit)) {
        if (notify_deliver_due(db, &n, err, sizeof(err)) != 0)
            log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL, "callbacks: %s", err);
        nap(&callback_quit, CALLBACK_POLL_SECONDS);
    }
    db_close(db);
    return NULL;
}

/* Serves model-days until stopped (or, with once, until no job is active). */
static void serve(struct db *db, struct heart *h, struct worker_opts *wo, int once)
{
    char err[ERRBUF_SIZE];
    enum worker_result res;
    wo->on_job = heart_job;
    wo->on_job_arg = h;
    if (worker_serve(wo, db, NULL, once, &res, err, sizeof(err)) != 0)
        log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL, "%s", err);
}

/* Everything after the arguments: returns the exit status. */
static int run(const struct opts *o)
{
    char home[PATHS_MAX], db_path[PATHS_MAX], pidfile[PATHS_MAX], err[ERRBUF_SIZE];
    struct worker_opts wo = {.cancel = &stop_flag};
    struct heart h = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
    struct db *db = NULL;
    pthread_t hb, cb;
    struct stat pid_st;
    int lock_fd = -1, status = 1, hb_started = 0, cb_started = 0;
    double poll = DEFAULT_POLL_SECONDS;
    char *end;
    if (o->poll) {
        poll = strtod(o->poll, &end);
        if (end == o->poll || *end || !(poll >= 0.05 && poll <= 3600)) {
            fprintf(stderr, "traderd: --poll must be seconds from 0.05 to 3600\n");
            return 2;
        }
    }
    if (worker_threads(o->threads, &wo.threads, err, sizeof(err)) != 0) {
        fprintf(stderr, "traderd: %s\n", err);
        return 2;
    }
    if (paths_home(o->home, home, sizeof(home), err, sizeof(err)) != 0 ||
        paths_ensure_home(home, err, sizeof(err)) != 0 ||
        paths_db(home, db_path, sizeof(db_path), err, sizeof(err)) != 0 ||
        (o->pidfile
             ? snprintf(pidfile, sizeof(pidfile), "%s", o->pidfile) < 0
             : paths_join(home, PIDFILE_NAME, pidfile, sizeof(pidfile), err, sizeof(err)) != 0) ||
        home_lock(home, pidfile, &lock_fd, err, sizeof(err)) != 0 || stat(home, &h.home_st) != 0 ||
        pidfile_write(pidfile, &pid_st, err, sizeof(err)) != 0) {
        log_emit(LOG_LEVEL_CRITICAL, LOGGER, NULL, NULL, NULL, "cannot start: %s", err);
        if (lock_fd >= 0)
            close(lock_fd);
        return 1;
    }
    h.home = home;
    wo.db_path = db_path;
    wo.home = home;
    if (db_open(db_path, DB_READWRITE, &db, err, sizeof(err)) != 0 ||
        db_migrate(db, err, sizeof(err)) != 0 ||
        db_open(db_path, DB_READWRITE, &h.db, err, sizeof(err)) != 0 ||
        worker_self_init(&h.self, TRADER_VERSION, wo.threads, err, sizeof(err)) != 0) {
        log_emit(LOG_LEVEL_CRITICAL, LOGGER, NULL, NULL, NULL, "cannot start: %s", err);
        goto out;
    }
    if (pthread_create(&hb, NULL, heartbeat_thread, &h) != 0) {
        log_emit(LOG_LEVEL_CRITICAL, LOGGER, NULL, NULL, NULL, "cannot start the heartbeat");
        goto out;
    }
    hb_started = 1;
    cb_started = pthread_create(&cb, NULL, callback_thread, db_path) == 0;
    log_emit(LOG_LEVEL_INFO, LOGGER, NULL, NULL, NULL,
             "traderd %s started: worker %s, data %s, %d threads", TRADER_VERSION, h.self.id, home,
             wo.threads);
    wo.poll = poll;
    wo.self = &h.self;
    serve(db, &h, &wo, o->once);
    status = 0;
out:
    if (cb_started) {
        atomic_store(&callback_quit, 1);
        pthread_join(cb, NULL);
    }
    if (hb_started) {
        pthread_mutex_lock(&h.lock);
        h.quit = 1;
        pthread_cond_signal(&h.wake);
        pthread_mutex_unlock(&h.lock);
        pthread_join(hb, NULL);
        worker_goodbye(h.db, &h.self);
    }
    db_close(h.db);
    db_close(db);
    pidfile_remove(pidfile, &pid_st);
    close(lock_fd); /* the lock goes last: no second daemon while this one writes */
    log_emit(LOG_LEVEL_INFO, LOGGER, NULL, NULL, NULL, "traderd stopped");
    return status;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct sigaction sa;
    enum log_level level;
    char err[ERRBUF_SIZE];
    int status;
    if (parse_args(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    const char *lv = o.log_level ? o.log_level : getenv(ENV_LOG_LEVEL);
    if (lv && *lv) {
        if (log_level_parse(lv, &level) != 0) {
            fprintf(stderr, "traderd: unknown log level %s\n", lv);
            return 2;
        }
        log_set_level(level);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* libcurl's global setup (LLM and search clients) before any thread. */
    if (llm_global_init(err, sizeof(err)) != 0) {
        log_emit(LOG_LEVEL_CRITICAL, LOGGER, NULL, NULL, NULL, "cannot start: %s", err);
        return 1;
    }
    status = run(&o);
    llm_global_cleanup();
    return status;
}
