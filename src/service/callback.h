/* callback: job webhooks (CONTRACT section 8). Owns the operator's settings
 * (the allowed hosts, the signing secret, the retry schedule), checking a
 * trigger's callback_url against them, the body's signature, and the
 * `job_callbacks` table (one row per delivery attempt). Delivery is
 * notify.h's; the jobs module marks a job's callback due (callback_status
 * 'pending') in the transaction that ends the job. */
#ifndef TRADER_CALLBACK_H
#define TRADER_CALLBACK_H

#include <stddef.h>

#include <json-c/json.h>

#include "base/dates.h"
#include "store/db.h"

#define CALLBACK_ENV_HOSTS "TRADER_CALLBACK_HOSTS"   /* host or host:port, comma-separated */
#define CALLBACK_ENV_SECRET "TRADER_CALLBACK_SECRET" /* the HMAC-SHA256 key */
#define CALLBACK_ENV_BACKOFF "TRADER_CALLBACK_BACKOFF_SECONDS"
#define CALLBACK_ENV_ATTEMPTS "TRADER_CALLBACK_MAX_ATTEMPTS"
#define CALLBACK_DEFAULT_BACKOFF 2.0 /* seconds before the 2nd attempt; doubles each time */
#define CALLBACK_DEFAULT_ATTEMPTS 6
#define CALLBACK_URL_MAX 2048
#define CALLBACK_SIGNATURE_BUF 72 /* "sha256=" + 64 hex digits + NUL */
#define CALLBACK_HEADER "X-Trader-Signature"

/* 0 when url may receive callbacks: an http or https URL without
 * credentials whose host (and port, when the entry names one) is in
 * $TRADER_CALLBACK_HOSTS, and a secret is configured; else -1 with err
 * saying why (the trigger's 400). */
int callback_url_check(const char *url, char *err, size_t errlen);

/* out = "sha256=" + the hex HMAC-SHA256 of body[0..len) keyed with secret. */
int callback_sign(const char *secret, const char *body, size_t len,
                  char out[CALLBACK_SIGNATURE_BUF], char *err, size_t errlen);

/* --- the job_callbacks table -------------------------------------------- */

/* Records attempt n of job_id: delivered when error is NULL, else failed
 * with error; status 0 = no HTTP answer (null). */
int callback_record_attempt(struct db *db, const char *job_id, int n, long status,
                            const char *error, char *err, size_t errlen);

/* *n = the attempts made for job_id so far, last = the time of the latest
 * ("" when none). */
int callback_tries(struct db *db, const char *job_id, int *n, char last[TIMESTAMP_BUF], char *err,
                   size_t errlen);

/* The attempts for job_id, oldest first, as the status view shows them:
 * [{attempt, attempted_at, http_status, outcome, error}]. *out is the
 * caller's. */
int callback_attempts_json(struct db *db, const char *job_id, json_object **out, char *err,
                           size_t errlen);

#endif
