/* audit: the `audit_log` table, append only. Job events (created, started,
 * model-day transitions, cancelled, imported...) carry a JSON details
 * object; API requests carry who asked, from where, and the answer. */
#ifndef TRADER_AUDIT_H
#define TRADER_AUDIT_H

#include <stddef.h>

#include <json-c/json.h>

#include "store/db.h"

/* Appends a row of event for job_id (may be NULL) stamped now; details (may
 * be NULL) is consumed. */
int audit_job_event(struct db *db, const char *event, const char *job_id, json_object *details,
                    char *err, size_t errlen);

/* The same stamped at (an ISO timestamp the caller also stores elsewhere),
 * with details already as JSON text (may be NULL). */
int audit_job_event_at(struct db *db, const char *at, const char *event, const char *job_id,
                       const char *details, char *err, size_t errlen);

/* One answered API request. */
struct audit_request {
    const char *actor;    /* key name, "loopback", or NULL when no key was accepted */
    const char *client;   /* the client's address, NULL when unknown */
    const char *endpoint; /* "POST /simulate/trigger" */
    int status;           /* the HTTP status answered */
    const char *outcome;  /* "ok" or the error code answered */
    const char *job_id;   /* the job the answer names, or NULL */
};

/* Appends a row of event "api_request". */
int audit_api_request(struct db *db, const struct audit_request *r, char *err, size_t errlen);

#endif
