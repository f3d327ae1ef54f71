/* paths: where the service's files live. The data directory ("home") holds the
 * database (unless it is a PostgreSQL URL) and the run/ and log/ subdirectories; the configs
 * directory holds the simulation configs a request may name, and paths_confine keeps such names
 * inside it. Environment variables override the defaults so tests and the stack script can point
 * every process at a scratch tree. */
#ifndef TRADER_PATHS_H
#define TRADER_PATHS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define PATHS_MAX PATH_MAX
#define PATHS_DEFAULT_HOME "./data"
#define PATHS_ENV_HOME "TRADER_DATA_DIR"
#define PATHS_ENV_DB "TRADER_DB_PATH"
#define PATHS_ENV_DB_URL "TRADER_DATABASE_URL" /* postgresql://...: PostgreSQL */
#define PATHS_ENV_CONFIGS "TRADER_CONFIGS_DIR"
#define PATHS_DIR_MODE 0750
#define PATHS_DB_FILE_NAME "trader.db" /* the database, in the data directory */

/* The data directory: flag (a --home argument) when non-NULL, else
 * $TRADER_DATA_DIR when set and non-empty, else "./data". */
int paths_home(const char *flag, char *out, size_t outlen, char *err, size_t errlen);

/* The database location store/db opens: $TRADER_DATABASE_URL when set and
 * non-empty (it must then be a PostgreSQL URL, else -1), else the SQLite
 * file $TRADER_DB_PATH when set and non-empty, else home/PATHS_DB_FILE_NAME. */
int paths_db(const char *home, char *out, size_t outlen, char *err, size_t errlen);

/* True when the database location loc is a PostgreSQL URL ("postgresql://"
 * or "postgres://") rather than a file: no file steps (stat, -wal/-shm
 * files, permissions) apply to it. */
bool paths_is_url(const char *loc);

/* loc as it may be shown (logs, /health, traderctl): a URL without its
 * credentials and query string (where passwords go), a file path as it is. */
void paths_db_display(const char *loc, char *out, size_t outlen);

/* The configs directory: $TRADER_CONFIGS_DIR when set and non-empty, else the
 * installed TRADER_DATADIR/configs, else (not installed: programs run from
 * their build tree) the source tree's configs when it exists. */
int paths_configs_dir(char *out, size_t outlen, char *err, size_t errlen);

/* out = a "/" b, refusing results that do not fit. */
int paths_join(const char *a, const char *b, char *out, size_t outlen, char *err, size_t errlen);

/* Resolves path (relative to the parent of dir, e.g. "configs/x.json"; an
 * absolute path as it is) through realpath and succeeds only when the file is
 * inside realpath(dir), so neither "../" nor a symlink can escape. The error
 * (without the path: callers quote it as they must) is "does not exist" for a
 * missing file inside the directory and "is outside the configs directory"
 * for any path outside it, existing or not, so answers reveal nothing about
 * files outside. out gets the resolved path. */
int paths_confine(const char *dir, const char *path, char *out, size_t outlen, char *err,
                  size_t errlen);

/* Creates home (and missing parents) and its run/ and log/ subdirectories
 * with mode 0750; existing directories are left as they are. */
int paths_ensure_home(const char *home, char *err, size_t errlen);

#define PATHS_ENV_DB_READ "TRADER_DATABASE_READ_URL" /* a PostgreSQL hot standby */

/* Where trader-api reads from: $TRADER_DATABASE_READ_URL when set and
 * non-empty (the caller checks it is a PostgreSQL URL: a hot standby of
 * the primary), else primary (the location paths_db gave): reads and
 * writes then share one store. The value is never quoted in err: a URL may
 * hold a password. */
int paths_db_read(const char *primary, char *out, size_t outlen, char *err, size_t errlen);

#endif
