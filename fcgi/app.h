/* app: the state a trader-api process keeps between requests: its paths, its
 * settings, its read-only database connection and its read-write one (for
 * the endpoints that write). Both connections are opened lazily and reopened
 * when the file is replaced or removed, so the process keeps answering (503)
 * while the database is missing or has another schema version, and recovers
 * without a restart. */
#ifndef TRADER_APP_H
#define TRADER_APP_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "store/db.h"
#include "base/errbuf.h"
#include "base/paths.h"

#define APP_HEARTBEAT_STALE_DEFAULT 30 /* seconds */
#define APP_ENV_HEARTBEAT_STALE "TRADER_HEARTBEAT_STALE_SECONDS"
#define APP_MIN_FREE_MB_DEFAULT 16 /* less free space than this: the disk is full */
#define APP_ENV_MIN_FREE_MB "TRADER_MIN_FREE_MB"
#define APP_ENV_AUTH_READS "TRADER_AUTH_READS" /* "1": reads need a key too */

struct app {
    char home[PATHS_MAX];    /* the data directory, absolute when it exists */
    char db_path[PATHS_MAX]; /* a file, or a PostgreSQL URL (paths_db) */
    char configs_dir[PATHS_MAX];
    int heartbeat_stale; /* seconds after which traderd counts as down */
    int min_free_mb;     /* /health: storage full below this */
    bool auth_reads;     /* $TRADER_AUTH_READS=1 */
    /* Both follow the file at db_path (db_follow): a replaced or removed
     * file is let go and the new one opened on the next request. A URL's
     * connections are kept while the server has them, then reopened. */
    struct db *db;            /* NULL while unavailable */
    char db_err[ERRBUF_SIZE]; /* why db is NULL */
    struct db *writer;        /* read-write, opened on the first write */
    /* /health's model list, kept until the default config file changes
     * (identified by inode, size and mtime) so requests don't re-parse it. */
    json_object *models;
    char models_err[ERRBUF_SIZE];
    struct stat models_stat;
};

/* Resolves the paths and settings from the environment. Returns 0 or -1. */
int app_init(struct app *app, char *err, size_t errlen);

/* Closes both connections. */
void app_free(struct app *app);

/* The database, opened (or reopened) as needed; NULL with app->db_err filled
 * when it cannot be used. The app owns the result. */
struct db *app_db(struct app *app);

/* The read-write connection for the endpoints that write, opened (or
 * reopened) as needed; NULL with err filled when it cannot be opened. The
 * app owns the result. */
struct db *app_writer(struct app *app, char *err, size_t errlen);

/* Drops the read-write connection (after a transient failure of the host's),
 * so the next write gets a fresh one. */
void app_writer_close(struct app *app);

/* A read transaction, so the several queries of one answer see one snapshot.
 * app_end_read ends it whatever happened. */
int app_begin_read(struct db *db, char *err, size_t errlen);
void app_end_read(struct db *db);

#endif
