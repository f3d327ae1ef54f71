/* page_health: GET /health. Reports what the service depends on: the daemon
 * (from its heartbeat row), the configured model endpoints (listed from the
 * default config, never probed, never with keys), the data directory, the
 * database and the price store. 503 "unhealthy" when the database cannot be
 * read, the data directory or the database file is not writable, the disk is
 * full or the daemon's heartbeat is missing or stale. */
#include "service/config.h"
#include "base/dates.h"
#include "routes.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char SQL_PRICES[] =
    "SELECT (SELECT count(*) FROM price_symbols), (SELECT min(date) FROM prices),"
    " (SELECT max(date) FROM prices),"
    " EXISTS(SELECT 1 FROM price_symbols WHERE source = 'synthetic')";
static const char SQL_DAEMON[] = "SELECT pid, last_heartbeat, current_job FROM daemon WHERE id = 1";

/* services.traderd; *up says whether its heartbeat is fresh. */
static int traderd(struct db *db, const struct app *app, const char *now, json_object *out,
                   bool *up, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_DAEMON, err, errlen);
    const char *beat = NULL, *why = "no heartbeat recorded";
    double age = -1.0;
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        if (st)
            db_error(db, "daemon", err, errlen);
        goto out;
    }
    if (rc == SQLITE_ROW) {
        beat = (const char *)sqlite3_column_text(st, 1);
        age = beat ? time_iso_diff(beat, now) : -1.0;
        json_object_object_add(out, "pid", json_object_new_int64(sqlite3_column_int64(st, 0)));
        json_object_object_add(out, "last_heartbeat", beat ? json_object_new_string(beat) : NULL);
        json_object_object_add(out, "heartbeat_age_seconds",
                               age == -1.0 ? NULL : json_object_new_double(age));
        const char *job = (const char *)sqlite3_column_text(st, 2);
        json_object_object_add(out, "current_job", job ? json_object_new_string(job) : NULL);
        why = "heartbeat stale";
    } else {
        json_object_object_add(out, "pid", NULL);
        json_object_object_add(out, "last_heartbeat", NULL);
        json_object_object_add(out, "heartbeat_age_seconds", NULL);
        json_object_object_add(out, "current_job", NULL);
    }
    /* time_iso_diff answers -1.0 for an unreadable timestamp. */
    *up = beat && age != -1.0 && age <= app->heartbeat_stale;
    json_object_object_add(out, "status", json_object_new_string(*up ? "up" : "down"));
    if (!*up)
        json_object_object_add(out, "error", json_object_new_string(why));
    rc = 0;
out:
    if (st)
        sqlite3_reset(st);
    return rc == 0 ? 0 : -1;
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
    json_object_object_add(services, "models",
                           app->models ? json_object_get(app->models) : json_object_new_array());
    if (!app->models)
        json_object_object_add(services, "models_error", json_object_new_string(app->models_err));
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
 * space and whether the disk is full. */
static bool storage(const struct app *app, json_object *out)
{
    long long free_mb = -1;
    bool writable = fs_writable(app->home, &free_mb) && access(app->home, W_OK) == 0;
    bool db_writable =
        access(app->db_path, W_OK) == 0 ? fs_writable(app->db_path, NULL) : errno == ENOENT;
    bool full = free_mb >= 0 && free_mb < app->min_free_mb;
    json_object_object_add(out, "data_directory", json_object_new_string(app->home));
    json_object_object_add(out, "writable", json_object_new_boolean(writable && db_writable));
    json_object_object_add(out, "free_space_mb",
                           free_mb >= 0 ? json_object_new_int64(free_mb) : NULL);
    json_object_object_add(out, "full", json_object_new_boolean(full));
    if (!db_writable)
        json_object_object_add(out, "error", json_object_new_string("database file not writable"));
    else if (full)
        json_object_object_add(out, "error", json_object_new_string("disk full"));
    return writable && db_writable && !full;
}

/* prices: what the store holds. Symbols and sources come from the catalog
 * price_symbols and the dates from the date index, so /health stays cheap
 * whatever the store's size (prices_info scans every bar). */
static int prices(struct db *db, json_object *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_PRICES, err, errlen);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_error(db, "prices", err, errlen);
        sqlite3_reset(st);
        return -1;
    }
    const char *first = (const char *)sqlite3_column_text(st, 1);
    const char *last = (const char *)sqlite3_column_text(st, 2);
    json_object_object_add(out, "symbols", json_object_new_int64(sqlite3_column_int64(st, 0)));
    json_object_object_add(out, "first_date", first ? json_object_new_string(first) : NULL);
    json_object_object_add(out, "last_date", last ? json_object_new_string(last) : NULL);
    json_object_object_add(out, "synthetic", json_object_new_boolean(sqlite3_column_int(st, 3)));
    sqlite3_reset(st);
    return 0;
}

/* database, prices and services.traderd; returns whether all are well. */
static bool from_db(struct app *app, const char *now, json_object *body, json_object *services)
{
    char err[ERRBUF_SIZE] = "";
    json_object *database = json_object_new_object(), *td = json_object_new_object(),
                *px = json_object_new_object();
    struct db *db = app_db(app);
    bool up = false, ok = db && app_begin_read(db, err, sizeof(err)) == 0 &&
                          prices(db, px, err, sizeof(err)) == 0 &&
                          traderd(db, app, now, td, &up, err, sizeof(err)) == 0;
    if (db)
        app_end_read(db);
    json_object_object_add(body, "database", database);
    json_object_object_add(database, "status",
                           json_object_new_string(ok ? "connected" : "unavailable"));
    json_object_object_add(database, "path", json_object_new_string(app->db_path));
    json_object_object_add(database, "schema_version",
                           db ? json_object_new_int(DB_SCHEMA_VERSION) : NULL);
    if (!ok) {
        json_object_object_add(database, "error", json_object_new_string(db ? err : app->db_err));
        json_object_put(px);
        px = NULL;
        json_object_put(td);
        td = json_object_new_object();
        json_object_object_add(td, "status", json_object_new_string("down"));
        json_object_object_add(td, "error", json_object_new_string("database unavailable"));
    }
    json_object_object_add(services, "traderd", td);
    json_object_object_add(body, "prices", px);
    return ok && up;
}

int page_health(struct request *req, struct response *resp, struct app *app)
{
    char now[TIMESTAMP_BUF];
    json_object *body = json_object_new_object(), *services = json_object_new_object(),
                *store = json_object_new_object();
    (void)req;
    time_now_iso(now);
    json_object_object_add(body, "status", NULL); /* first key; set below */
    json_object_object_add(body, "timestamp", json_object_new_string(now));
    json_object_object_add(body, "services", services);
    json_object_object_add(body, "storage", store);
    bool healthy = from_db(app, now, body, services);
    models(app, services);
    healthy = storage(app, store) && healthy;
    json_object_object_add(body, "status",
                           json_object_new_string(healthy ? "healthy" : "unhealthy"));
    return http_json(resp, healthy ? 200 : 503, body);
}
