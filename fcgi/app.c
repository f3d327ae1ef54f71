/* app: see app.h. */
#include "app.h"

#include "base/env.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Opens the file at app->db_path if it has the schema this program reads. */
static int open_db(struct app *app, const struct stat *sb)
{
    int version = -1;
    if (db_open(app->db_path, DB_READONLY, &app->db, app->db_err, sizeof(app->db_err)) != 0)
        return -1;
    if (db_schema_version(app->db, &version) != 0 || version != DB_SCHEMA_VERSION) {
        err_set(app->db_err, sizeof(app->db_err),
                "database schema version %d, this program reads %d (run traderctl init)", version,
                DB_SCHEMA_VERSION);
        close_db(app);
        return -1;
    }
    app->db_dev = sb->st_dev;
    app->db_ino = sb->st_ino;
    return 0;
}

/* Stats the database file into *sb. An open connection keeps reading a
 * removed or replaced file, so *conn (opened on the file dev/ino) is closed
 * when the path no longer names that file. Returns 0, or -1 (*conn closed). */
static int follow_path(const char *path, struct db **conn, dev_t dev, ino_t ino, struct stat *sb,
                       char *err, size_t errlen)
{
    if (stat(path, sb) != 0) {
        db_close(*conn);
        *conn = NULL;
        return err_set(err, errlen, "database %s: %s", path, strerror(errno));
    }
    if (*conn && (sb->st_dev != dev || sb->st_ino != ino)) {
        db_close(*conn);
        *conn = NULL;
    }
    return 0;
}

struct db *app_db(struct app *app)
{
    struct stat sb;
    if (follow_path(app->db_path, &app->db, app->db_dev, app->db_ino, &sb, app->db_err,
                    sizeof(app->db_err)) != 0)
        return NULL;
    if (!app->db && open_db(app, &sb) != 0)
        return NULL;
    return app->db;
}

struct db *app_writer(struct app *app, char *err, size_t errlen)
{
    struct stat sb;
    if (follow_path(app->db_path, &app->writer, app->writer_dev, app->writer_ino, &sb, err,
                    errlen) != 0)
        return NULL;
    if (!app->writer) {
        if (db_open(app->db_path, DB_READWRITE, &app->writer, err, errlen) != 0)
            return NULL;
        app->writer_dev = sb.st_dev;
        app->writer_ino = sb.st_ino;
    }
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
