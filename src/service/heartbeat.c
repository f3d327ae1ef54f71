/* heartbeat: see heartbeat.h. */
#include "service/heartbeat.h"

#include <stdio.h>
#include <string.h>

static const char SQL_WRITE[] =
    "INSERT INTO daemon(id, pid, hostname, version, started_at, last_heartbeat, current_job)"
    " VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET pid = excluded.pid,"
    " hostname = excluded.hostname, version = excluded.version,"
    " started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat,"
    " current_job = excluded.current_job";
static const char SQL_CLEAR[] = "DELETE FROM daemon WHERE id = 1 AND pid = ?1";
static const char SQL_READ[] = "SELECT pid, last_heartbeat, current_job FROM daemon WHERE id = 1";

int heartbeat_write(struct db *db, const struct heartbeat_beat *b, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_WRITE, err, errlen);
    if (!st)
        return -1;
    db_bind_int64(st, 1, b->pid);
    db_bind_text(st, 2, b->hostname);
    db_bind_text(st, 3, b->version);
    db_bind_text(st, 4, b->started_at);
    db_bind_text(st, 5, b->now);
    db_bind_text(st, 6, b->job && *b->job ? b->job : NULL);
    return db_step_done(db, st, "heartbeat", err, errlen);
}

void heartbeat_clear(struct db *db, long long pid)
{
    char err[ERRBUF_SIZE];
    struct db_stmt *st = db_stmt(db, SQL_CLEAR, err, sizeof(err));
    if (!st)
        return;
    db_bind_int64(st, 1, pid);
    db_step(db, st, "clearing the heartbeat", err, sizeof(err));
    db_reset(st);
}

/* Copies text column col into dst of size n; false for NULL. */
static bool column_text(struct db_stmt *st, int col, char *dst, size_t n)
{
    const char *s = db_col_text(st, col);
    if (!s)
        return false;
    snprintf(dst, n, "%s", s);
    return true;
}

enum heartbeat_found heartbeat_read(struct db *db, struct heartbeat_row *out, char *err,
                                    size_t errlen)
{
    struct heartbeat_row row = {0};
    struct db_stmt *st = db_stmt(db, SQL_READ, err, errlen);
    enum db_step rc;
    if (!st)
        return HEARTBEAT_ERROR;
    rc = db_step(db, st, "daemon", err, errlen);
    if (rc == DB_STEP_ROW) {
        row.pid = db_col_int64(st, 0);
        row.has_beat = column_text(st, 1, row.last_beat, sizeof(row.last_beat));
        row.has_job = column_text(st, 2, row.job, sizeof(row.job));
        *out = row;
    }
    db_reset(st);
    return rc == DB_STEP_ROW    ? HEARTBEAT_FOUND
           : rc == DB_STEP_DONE ? HEARTBEAT_NONE
                                : HEARTBEAT_ERROR;
}
