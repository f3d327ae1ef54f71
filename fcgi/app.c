/* app: see app.h. */
#include "app.h"

#include "base/env.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int app_init(struct app *app, char *err, size_t errlen)
{
    char home[PATHS_MAX];
    memset(app, 0, sizeof(*app));
    if (paths_home(NULL, home, sizeof(home), err, errlen) != 0 ||
        paths_db(home, app->db_path, sizeof(app->db_path), err, errlen) != 0 ||
        paths_configs_dir(app->configs_dir, sizeof(app->configs_dir), err, errlen) != 0)
        return -1;
    if (!realpath(home, app->home))
        memcpy(app->home, home, strlen(home) + 1);
    app->heartbeat_stale =
        (int)env_long(APP_ENV_HEARTBEAT_STALE, APP_HEARTBEAT_STALE_DEFAULT, 1, INT_MAX);
    app->min_free_mb = (int)env_long(APP_ENV_MIN_FREE_MB, APP_MIN_FREE_MB_DEFAULT, 1, INT_MAX);
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

struct db *app_db(struct app *app)
{
    int version = -1;
    switch (db_follow(&app->db, app->db_path, DB_READONLY, app->db_err, sizeof(app->db_err))) {
    case DB_FOLLOW_ERROR:
        return NULL;
    case DB_FOLLOW_SAME:
        return app->db;
    case DB_FOLLOW_OPENED:
        break;
    }
    /* A new connection serves only a file with the schema this program reads. */
    if (db_schema_version(app->db, &version) != 0 || version != DB_SCHEMA_VERSION) {
        err_set(app->db_err, sizeof(app->db_err),
                "database schema version %d, this program reads %d (run traderctl init)", version,
                DB_SCHEMA_VERSION);
        close_db(app);
        return NULL;
    }
    return app->db;
}

struct db *app_writer(struct app *app, char *err, size_t errlen)
{
    if (db_follow(&app->writer, app->db_path, DB_READWRITE, err, errlen) == DB_FOLLOW_ERROR)
        return NULL;
    return app->writer;
}

int app_begin_read(struct db *db, char *err, size_t errlen)
{
    return db_exec(db, "BEGIN", err, errlen);
}

void app_end_read(struct db *db)
{
    db_rollback(db);
}
