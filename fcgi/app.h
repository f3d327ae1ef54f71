/* app: the state a trader-api process keeps between requests: its paths, its
 * settings, its read-only database connection and its read-write one (for
 * the endpoints that write). Both connections are opened lazily and reopened
 * when the file is replaced or removed, so the process keeps answering (503)
 * while the database is missing or has another schema version, and recovers
 * without a restart. With TRADER_DATABASE_READ_URL the read-only connection
 * goes to a PostgreSQL hot standby and the read-write one to the primary:
 * whatever writes, and whatever answers from what it just wrote, uses the
 * writer. */
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
#define APP_REPLICA_MAX_LAG_DEFAULT 30 /* seconds; 0: a lag never makes the host unhealthy */
#define APP_ENV_REPLICA_MAX_LAG "TRADER_REPLICA_MAX_LAG_SECONDS"
#define APP_ENV_AUTH_READS "TRADER_AUTH_READS" /* "1": reads need a key too */

struct app {
    char home[PATHS_MAX];      /* the data directory, absolute when it exists */
    char db_path[PATHS_MAX];   /* a file, or a PostgreSQL URL (paths_db): every write goes there */
    char read_path[PATHS_MAX]; /* where reads go: db_path, or a hot standby (paths_db_read) */
    char configs_dir[PATHS_MAX];
    int heartbeat_stale; /* seconds after which traderd counts as down */
    int min_free_mb;     /* /health: storage full below this */
    int replica_max_lag; /* /health: unhealthy past this replay lag (0: never) */
    bool auth_reads;     /* $TRADER_AUTH_READS=1 */
    /* Both follow their location (db_follow): a replaced or removed file
     * is let go and the new one opened on the next request. A URL's
     * connections are kept while the server has them, then reopened. */
    struct db *db;            /* reads read_path; NULL while unavailable */
    char db_err[ERRBUF_SIZE]; /* why db is NULL */
    struct db *writer;        /* read-write on db_path, opened on the first write */
    /* The standby's replay lag as last asked (app_read_lag). */
    bool lag_standby;
    double lag_seconds;
    double lag_asked; /* CLOCK_MONOTONIC seconds; 0: never */
    /* /health's model list, kept until the default config file changes
     * (identified by inode, size and mtime) so requests don't re-parse it. */
    json_object *models;
    char models_err[ERRBUF_SIZE];
    struct stat models_stat;
};

/* Resolves the paths and settings from the environment. Returns 0 or -1
 * (TRADER_DATABASE_READ_URL set but not a PostgreSQL URL, or beside a
 * SQLite primary). */
int app_init(struct app *app, char *err, size_t errlen);

/* Closes both connections. */
void app_free(struct app *app);

/* The read-only connection (to read_path), opened (or reopened) as needed;
 * NULL with app->db_err filled when it cannot be used. The app owns the
 * result. */
struct db *app_db(struct app *app);

/* The read-write connection to the primary, for the endpoints that write
 * and the answers they give, opened (or reopened) as needed; NULL with err
 * filled when it cannot be opened. The app owns the result. */
struct db *app_writer(struct app *app, char *err, size_t errlen);

/* Drops the read-write connection (after a transient failure of the host's),
 * so the next write gets a fresh one. */
void app_writer_close(struct app *app);

/* A read transaction, so the several queries of one answer see one snapshot
 * (on PostgreSQL: REPEATABLE READ, as a standby replays under it too).
 * app_end_read ends it whatever happened. */
int app_begin_read(struct db *db, char *err, size_t errlen);
void app_end_read(struct db *db);

/* Whether reads come from another store than the primary (a hot standby). */
bool app_reads_replica(const struct app *app);

/* For app->db (open): whether it is a hot standby and then its replay lag
 * in seconds (db_standby_lag), asked of the server at most once a second
 * (every read answer may report it). Without a read replica: not a
 * standby, no query. Returns 0, or -1 with err filled. */
int app_read_lag(struct app *app, bool *standby, double *lag_seconds, char *err, size_t errlen);

#endif
