/* audit: see audit.h. */
#include "service/audit.h"

#include "base/dates.h"

static const char SQL_JOB_EVENT[] =
    "INSERT INTO audit_log(timestamp, event, job_id, details) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_REQUEST[] =
    "INSERT INTO audit_log(timestamp, event, job_id, actor, client, endpoint, status, outcome)"
    " VALUES(?1, 'api_request', ?2, ?3, ?4, ?5, ?6, ?7)";

int audit_job_event_at(struct db *db, const char *at, const char *event, const char *job_id,
                       const char *details, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_JOB_EVENT, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, at);
    db_bind_text(st, 2, event);
    db_bind_text(st, 3, job_id);
    db_bind_text(st, 4, details);
    return db_step_done(db, st, "database write", err, errlen);
}

int audit_job_event(struct db *db, const char *event, const char *job_id, json_object *details,
                    char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    time_now_iso(now);
    int rc = audit_job_event_at(
        db, now, event, job_id,
        details ? json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN) : NULL, err,
        errlen);
    json_object_put(details);
    return rc;
}

int audit_api_request(struct db *db, const char *actor, const char *client, const char *endpoint,
                      int status, const char *outcome, const char *job_id, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    struct db_stmt *st = db_stmt(db, SQL_REQUEST, err, errlen);
    if (!st)
        return -1;
    time_now_iso(now);
    db_bind_text(st, 1, now);
    db_bind_text(st, 2, job_id);
    db_bind_text(st, 3, actor);
    db_bind_text(st, 4, client);
    db_bind_text(st, 5, endpoint);
    db_bind_int64(st, 6, status);
    db_bind_text(st, 7, outcome);
    return db_step_done(db, st, "cannot write the audit log", err, errlen);
}
