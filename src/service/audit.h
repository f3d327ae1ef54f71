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

/* Appends a row of event "api_request": who asked (actor: key name,
 * "loopback", or NULL when no key was accepted), from where (client, NULL
 * when unknown), what (endpoint: "POST /simulate/trigger"), the answer
 * (status and outcome: "ok" or the error code) and the job it names (job_id,
 * may be NULL). */
int audit_api_request(struct db *db, const char *actor, const char *client, const char *endpoint,
                      int status, const char *outcome, const char *job_id, char *err,
                      size_t errlen);

#endif
