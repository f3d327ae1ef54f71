/* app: see app.h. */
#include "app.h"

#include "base/env.h"
#include "base/paths.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APP_LAG_EVERY 1.0 /* seconds between two questions of the standby's lag */

/* The read location: the primary's, or a PostgreSQL standby's beside a
 * PostgreSQL primary. The URL is never quoted (it may hold a password). */
static int read_location(struct app *app, char *err, size_t errlen)
{
    if (paths_db_read(app->db_path, app->read_path, sizeof(app->read_path), err, errlen) != 0)
        return -1;
    if (!app_reads_replica(app))
        return 0;
    if (!paths_is_url(app->read_path))
        return err_set(err, errlen,
                       PATHS_ENV_DB_READ " must be a postgresql:// or postgres:// URL");
    if (!paths_is_url(app->db_path))
        return err_set(err, errlen,
                       PATHS_ENV_DB_READ " needs a PostgreSQL primary (TRADER_DATABASE_URL)");
    return 0;
}

int app_init(struct app *app, char *err, size_t errlen)
{
    char home[PATHS_MAX];
    memset(app, 0, sizeof(*app));
    if (paths_home(NULL, home, sizeof(home), err, errlen) != 0 ||
        paths_db(home, app->db_path, sizeof(app->db_path), err, errlen) != 0 ||
        read_location(app, err, errlen) != 0 ||
        paths_configs_dir(app->configs_dir, sizeof(app->configs_dir), err, errlen) != 0)
        return -1;
    if (!realpath(home, app->home))
        memcpy(app->home, home, strlen(home) + 1);
    app->heartbeat_stale =
        (int)env_long(APP_ENV_HEARTBEAT_STALE, APP_HEARTBEAT_STALE_DEFAULT, 1, INT_MAX);
    app->min_free_mb = (int)env_long(APP_ENV_MIN_FREE_MB, APP_MIN_FREE_MB_DEFAULT, 1, INT_MAX);
    app->replica_max_lag =
        (int)env_long(APP_ENV_REPLICA_MAX_LAG, APP_REPLICA_MAX_LAG_DEFAULT, 0, INT_MAX);
    const char *reads = getenv(APP_ENV_AUTH_READS);
    app->auth_reads = reads && strcmp(reads, "1") == 0;
    return 0;
}

static void close_db(struct app *app)
{
    db_close(app->db);
    app->db = NULL;
}

void app_writer_close(struct app *app)
{
    db_close(app->writer);
    app->writer = NULL;
}

void app_free(struct app *app)
{
    close_db(app);
    app_writer_close(app);
    json_object_put(app->models);
    app->models = NULL;
}

/* A new connection serves only a store with the schema this program reads. */
static int schema_ok(struct db *db, char *err, size_t errlen)
{
    int version = -1;
    if (db_schema_version(db, &version) != 0 || version != DB_SCHEMA_VERSION)
        return err_set(err, errlen,
                       "database schema version %d, this program reads %d (run traderctl init)",
                       version, DB_SCHEMA_VERSION);
    return 0;
}

struct db *app_db(struct app *app)
{
    switch (db_follow(&app->db, app->read_path, DB_READONLY, app->db_err, sizeof(app->db_err))) {
    case DB_FOLLOW_ERROR:
        return NULL;
    case DB_FOLLOW_SAME:
        return app->db;
    case DB_FOLLOW_OPENED:
        break;
    }
    if (schema_ok(app->db, app->db_err, sizeof(app->db_err)) != 0) {
        close_db(app);
        return NULL;
    }
    return app->db;
}

struct db *app_writer(struct app *app, char *err, size_t errlen)
{
    switch (db_follow(&app->writer, app->db_path, DB_READWRITE, err, errlen)) {
    case DB_FOLLOW_ERROR:
        return NULL;
    case DB_FOLLOW_SAME:
        return app->writer;
    case DB_FOLLOW_OPENED:
        break;
    }
    if (schema_ok(app->writer, err, errlen) != 0) {
        app_writer_close(app);
        return NULL;
    }
    return app->writer;
}

int app_begin_read(struct db *db, char *err, size_t errlen)
{
    /* READ COMMITTED, PostgreSQL's default, gives each statement its own
     * snapshot. */
    return db_exec(
        db, db_engine(db) == DB_ENGINE_POSTGRES ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN",
        err, errlen);
}

void app_end_read(struct db *db)
{
    db_rollback(db);
}

bool app_reads_replica(const struct app *app)
{
    return strcmp(app->read_path, app->db_path) != 0;
}

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int app_read_lag(struct app *app, bool *standby, double *lag_seconds, char *err, size_t errlen)
{
    double now = monotonic_seconds();
    if (!app_reads_replica(app)) {
        *standby = false;
        *lag_seconds = 0;
        return 0;
    }
    if (app->lag_asked == 0 || now - app->lag_asked >= APP_LAG_EVERY) {
        if (db_standby_lag(app->db, &app->lag_standby, &app->lag_seconds, err, errlen) != 0) {
            app->lag_asked = 0;
            return -1;
        }
        app->lag_asked = now;
        if (app->lag_seconds < 0) /* the two hosts' clocks disagree */
            app->lag_seconds = 0;
    }
    *standby = app->lag_standby;
    *lag_seconds = app->lag_seconds;
    return 0;
}
