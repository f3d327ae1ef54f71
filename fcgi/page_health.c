/* page_health: GET /health. Reports what the service depends on: the
 * daemons (their workers rows: the freshest, and every live one), the
 * configured model endpoints (listed from the default config, never probed,
 * never with keys), the data directory, the database (its engine and, when
 * reads go to a PostgreSQL hot standby, the standby's replay lag: how stale
 * reads may be) and the price store. 503 "unhealthy" when the database
 * cannot be read, the data directory or the database file is not writable,
 * the disk is full, no worker's heartbeat is fresh or the standby's lag is
 * past its limit. */
#include "service/config.h"
#include "base/dates.h"
#include "base/jsontext.h"
#include "base/paths.h"
#include "base/redact.h"
#include "market/prices.h"
#include "service/heartbeat.h"
#include "routes.h"

#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* One live worker as services.traderd.workers lists it. */
static json_object *worker_json(const struct heartbeat_row *r)
{
    json_object *w = json_new_object();
    json_put(w, "id", json_object_new_string(r->id));
    json_put(w, "hostname", json_object_new_string(r->hostname));
    json_put(w, "pid", json_object_new_int64(r->pid));
    json_put(w, "threads", json_object_new_int64(r->threads));
    json_put(w, "started_at", json_object_new_string(r->started_at));
    json_put(w, "last_heartbeat", json_object_new_string(r->last_beat));
    json_put_string_or_null(w, "current_job", r->has_job ? r->job : NULL);
    return w;
}

/* services.traderd: the freshest worker's beat (pid, last_heartbeat,
 * current_job, as when one daemon ran) and every live worker (a beat at
 * most heartbeat_stale old by the store's clock, which stamped it) in
 * workers; *up says whether one is live. */
static int traderd(struct db *db, const struct app *app, json_object *out, bool *up, char *err,
                   size_t errlen)
{
    struct heartbeat_row *rows = NULL;
    size_t n = 0;
    char now[TIMESTAMP_BUF];
    json_object *live;
    if (db_clock(db, 0, now, err, errlen) != 0)
        return -1;
    live = json_new_array();
    if (heartbeat_list(db, &rows, &n, err, errlen) != 0) {
        json_object_put(live);
        return -1;
    }
    /* time_iso_diff answers -1.0 for an unreadable timestamp. */
    double age = n ? time_iso_diff(rows[0].last_beat, now) : -1.0;
    if (n)
        json_put(out, "pid", json_object_new_int64(rows[0].pid));
    else
        json_put_null(out, "pid");
    json_put_string_or_null(out, "last_heartbeat", n ? rows[0].last_beat : NULL);
    if (age == -1.0)
        json_put_null(out, "heartbeat_age_seconds");
    else
        json_put(out, "heartbeat_age_seconds", json_object_new_double(age));
    json_put_string_or_null(out, "current_job", n && rows[0].has_job ? rows[0].job : NULL);
    for (size_t i = 0; i < n; i++) {
        double a = time_iso_diff(rows[i].last_beat, now);
        if (a != -1.0 && a <= app->heartbeat_stale)
            json_push(live, worker_json(&rows[i]));
    }
    *up = json_object_array_length(live) > 0;
    json_put(out, "status", json_object_new_string(*up ? "up" : "down"));
    if (!*up)
        json_put(out, "error",
                 json_object_new_string(n ? "heartbeat stale" : "no heartbeat recorded"));
    json_put(out, "workers", live);
    free(rows);
    return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* services.models: the default config's models as config_public_json shows
 * them, parsed again only when the file changed; a config that cannot be
 * read is reported, not fatal. */
static void models(struct app *app, json_object *services)
{
    char path[PATHS_MAX];
    struct stat sb = {0};
    struct config cfg = {0};
    if (paths_join(app->configs_dir, CONFIG_DEFAULT_NAME, path, sizeof(path), app->models_err,
                   sizeof(app->models_err)) != 0)
        goto report;
    if (stat(path, &sb) == 0 && app->models && same_file(&sb, &app->models_stat))
        goto report;
    json_object_put(app->models);
    app->models = NULL;
    app->models_err[0] = '\0';
    if (config_load(path, &cfg, app->models_err, sizeof(app->models_err)) == 0) {
        app->models = config_public_json(&cfg);
        app->models_stat = sb;
        config_free(&cfg);
    }
report:
    json_put(services, "models", app->models ? json_object_get(app->models) : json_new_array());
    if (!app->models)
        json_put(services, "models_error", json_object_new_string(app->models_err));
}

/* Whether path's file system takes writes, and its free MiB (-1: unknown). */
static bool fs_writable(const char *path, long long *free_mb)
{
    struct statvfs vfs;
    if (statvfs(path, &vfs) != 0)
        return false;
    if (free_mb)
        *free_mb = (long long)((unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024));
    return !(vfs.f_flag & ST_RDONLY);
}

/* storage: the data directory and the database file, whether they take
 * writes (a read-only mount, permissions, an immutable file), the free
 * space and whether the disk is full. A PostgreSQL database is no file here:
 * its server answers for its storage. */
static bool storage(const struct app *app, json_object *out)
{
    long long free_mb = -1;
    bool writable = fs_writable(app->home, &free_mb) && access(app->home, W_OK) == 0;
    bool db_writable =
        paths_is_url(app->db_path) ||
        (access(app->db_path, W_OK) == 0 ? fs_writable(app->db_path, NULL) : errno == ENOENT);
    bool full = free_mb >= 0 && free_mb < app->min_free_mb;
    json_put(out, "data_directory", json_object_new_string(app->home));
    json_put(out, "writable", json_object_new_boolean(writable && db_writable));
    if (free_mb >= 0)
        json_put(out, "free_space_mb", json_object_new_int64(free_mb));
    else
        json_put_null(out, "free_space_mb");
    json_put(out, "full", json_object_new_boolean(full));
    if (!db_writable)
        json_put(out, "error", json_object_new_string("database file not writable"));
    else if (full)
        json_put(out, "error", json_object_new_string("disk full"));
    return writable && db_writable && !full;
}

/* prices: what the store holds, from prices_summary (cheap whatever the
 * store's size). */
static int prices(struct db *db, json_object *out, char *err, size_t errlen)
{
    struct prices_summary sum;
    if (prices_summary(db, &sum, err, errlen) != 0)
        return -1;
    json_put(out, "symbols", json_object_new_int64(sum.symbols));
    json_put_string_or_null(out, "first_date", sum.first[0] ? sum.first : NULL);
    json_put_string_or_null(out, "last_date", sum.last[0] ? sum.last : NULL);
    json_put(out, "synthetic", json_object_new_boolean(sum.synthetic));
    return 0;
}

/* database.read_replica, with TRADER_DATABASE_READ_URL: the store reads
 * come from (no credentials), whether it is a hot standby, its replay lag
 * and the limit on it; nulls and an error when it cannot be asked. Returns
 * false when the lag is past the limit (reads that old take the host out of
 * a front's rotation); a standby that cannot be asked fails the reads
 * themselves. */
static bool read_replica(struct app *app, struct db *db, json_object *database)
{
    char shown[PATHS_MAX], err[ERRBUF_SIZE] = "";
    bool standby = false;
    double lag = 0;
    json_object *out = json_new_object();
    json_put(database, "read_replica", out);
    paths_db_display(app->read_path, shown, sizeof(shown));
    json_put(out, "path", json_object_new_string(shown));
    json_put(out, "max_lag_seconds", json_object_new_int(app->replica_max_lag));
    if (db && app_read_lag(app, &standby, &lag, err, sizeof(err)) == 0) {
        json_put(out, "standby", json_object_new_boolean(standby));
        json_put(out, "replay_lag_seconds", json_object_new_double(lag));
        if (app->replica_max_lag == 0 || lag <= app->replica_max_lag)
            return true;
        snprintf(err, sizeof(err), "replay lag %.1f s is past the %d s allowed (%s)", lag,
                 app->replica_max_lag, APP_ENV_REPLICA_MAX_LAG);
        json_put(out, "error", json_object_new_string(err));
        return false;
    }
    json_put_null(out, "standby");
    json_put_null(out, "replay_lag_seconds");
    redact_text(db ? err : app->db_err, shown, sizeof(shown));
    json_put(out, "error", json_object_new_string(shown));
    return true;
}

/* services.traderd from the primary: read through a standby, beats look
 * older by its lag, and a lagging standby would show live workers down. */
static int traderd_primary(struct app *app, json_object *out, bool *up, char *err, size_t errlen)
{
    struct db *w = app_writer(app, err, errlen);
    if (w && traderd(w, app, out, up, err, errlen) == 0)
        return 0;
    if (w)
        app_writer_close(app); /* the next request gets a fresh connection */
    return -1;
}

/* database, prices and services.traderd; returns whether all are well. */
static bool from_db(struct app *app, json_object *body, json_object *services)
{
    char err[ERRBUF_SIZE] = "";
    json_object *database = json_new_object(), *td = json_new_object(), *px = json_new_object();
    struct db *db = app_db(app);
    bool replica = app_reads_replica(app), fresh = true;
    bool up = false, ok = db && app_begin_read(db, err, sizeof(err)) == 0 &&
                          prices(db, px, err, sizeof(err)) == 0 &&
                          (replica || traderd(db, app, td, &up, err, sizeof(err)) == 0);
    if (db)
        app_end_read(db);
    if (ok && replica)
        ok = traderd_primary(app, td, &up, err, sizeof(err)) == 0;
    json_put(body, "database", database);
    json_put(database, "status", json_object_new_string(ok ? "connected" : "unavailable"));
    char shown[PATHS_MAX];
    paths_db_display(app->db_path, shown, sizeof(shown)); /* never a URL's password */
    json_put(database, "path", json_object_new_string(shown));
    if (db)
        json_put(database, "schema_version", json_object_new_int(DB_SCHEMA_VERSION));
    else
        json_put_null(database, "schema_version");
    json_put(database, "engine",
             json_object_new_string(paths_is_url(app->db_path) ? "postgresql" : "sqlite"));
    if (replica)
        fresh = read_replica(app, db, database);
    if (!ok) {
        redact_text(db ? err : app->db_err, shown, sizeof(shown));
        json_put(database, "error", json_object_new_string(shown));
        json_object_put(px);
        px = NULL;
        json_object_put(td);
        td = json_new_object();
        json_put(td, "status", json_object_new_string("down"));
        json_put(td, "error", json_object_new_string("database unavailable"));
    }
    json_put(services, "traderd", td);
    if (px)
        json_put(body, "prices", px);
    else
        json_put_null(body, "prices");
    return ok && up && fresh;
}

int page_health(struct request *req, struct response *resp, struct app *app)
{
    char now[TIMESTAMP_BUF];
    json_object *body = json_new_object(), *services = json_new_object(),
                *store = json_new_object();
    (void)req;
    time_now_iso(now);
    json_put_null(body, "status"); /* first key; set below */
    json_put(body, "timestamp", json_object_new_string(now));
    json_put(body, "services", services);
    json_put(body, "storage", store);
    bool healthy = from_db(app, body, services);
    models(app, services);
    healthy = storage(app, store) && healthy;
    json_put(body, "status", json_object_new_string(healthy ? "healthy" : "unhealthy"));
    return http_json(resp, healthy ? 200 : 503, body);
}
