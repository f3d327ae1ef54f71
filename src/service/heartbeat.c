/* heartbeat: see heartbeat.h. */
#include "service/heartbeat.h"

#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SQL_WRITE[] =
    "INSERT INTO workers(id, hostname, pid, version, threads, started_at, last_heartbeat,"
    " current_job) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET"
    " threads = excluded.threads, last_heartbeat = excluded.last_heartbeat,"
    " current_job = excluded.current_job";
static const char SQL_CLEAR[] = "DELETE FROM workers WHERE id = ?1";
static const char SQL_LIST[] =
    "SELECT id, hostname, pid, threads, started_at, last_heartbeat, current_job FROM workers"
    " ORDER BY last_heartbeat DESC, id";

int heartbeat_new_id(const char *hostname, char out[HEARTBEAT_ID_BUF], char *err, size_t errlen)
{
    char uuid[JOB_ID_BUF];
    if (jobs_new_id(uuid, err, errlen) != 0)
        return -1;
    /* 8 + 4 hex digits of the random UUID: unique enough beside the pid */
    snprintf(out, HEARTBEAT_ID_BUF, "%.*s:%ld:%.8s%.4s", HEARTBEAT_HOST_MAX - 1,
             *hostname ? hostname : "localhost", (long)getpid(), uuid, uuid + 9);
    return 0;
}

int heartbeat_write(struct db *db, const struct heartbeat_beat *b, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_WRITE, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, b->id);
    db_bind_text(st, 2, b->hostname);
    db_bind_int64(st, 3, b->pid);
    db_bind_text(st, 4, b->version);
    db_bind_int64(st, 5, b->threads);
    db_bind_text(st, 6, b->started_at);
    db_bind_text(st, 7, b->now);
    db_bind_text(st, 8, b->job && *b->job ? b->job : NULL);
    return db_step_done(db, st, "heartbeat", err, errlen);
}

void heartbeat_clear(struct db *db, const char *id)
{
    char err[ERRBUF_SIZE];
    struct db_stmt *st = db_stmt(db, SQL_CLEAR, err, sizeof(err));
    if (!st)
        return;
    db_bind_text(st, 1, id);
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

int heartbeat_list(struct db *db, struct heartbeat_row **out, size_t *n, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_LIST, err, errlen);
    struct heartbeat_row *rows = NULL;
    size_t got = 0, cap = 0;
    enum db_step rc;
    if (!st)
        return -1;
    while ((rc = db_step(db, st, "workers", err, errlen)) == DB_STEP_ROW) {
        ARRAY_RESERVE(rows, cap, got + 1);
        struct heartbeat_row *r = &rows[got++];
        memset(r, 0, sizeof(*r));
        column_text(st, 0, r->id, sizeof(r->id));
        column_text(st, 1, r->hostname, sizeof(r->hostname));
        r->pid = db_col_int64(st, 2);
        r->threads = db_col_int64(st, 3);
        column_text(st, 4, r->started_at, sizeof(r->started_at));
        column_text(st, 5, r->last_beat, sizeof(r->last_beat));
        r->has_job = column_text(st, 6, r->job, sizeof(r->job));
    }
    db_reset(st);
    if (rc == DB_STEP_ERROR) {
        free(rows);
        return -1;
    }
    *out = rows;
    *n = got;
    return 0;
}
