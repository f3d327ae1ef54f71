/* notify: see notify.h. */
#include "service/notify.h"

#include "base/env.h"

#include "service/callback.h"
#include "service/jobs.h"
#include "service/jobview.h"
#include "store/dataver.h"
#include "base/dates.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/webreq.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER "traderd.callback"
#define DUE_BATCH 16
#define TIMEOUT_SECONDS 10L
#define ERROR_MAX 500

/* The webhook body: the job's summary, reduced to the contract's fields. */
static int build_body(struct db *db, const char *job_id, char **out, char *err, size_t errlen)
{
    static const char *const keys[] = {"job_id", "status",   "date_range",
                                       "models", "progress", "completed_at"};
    json_object *job = NULL, *body, *v;
    enum jobview_found found = jobview_build(db, job_id, JOBVIEW_SUMMARY, &job, err, errlen);
    if (found != JOBVIEW_FOUND)
        return found == JOBVIEW_MISSING ? err_set(err, errlen, "job %s vanished", job_id) : -1;
    body = json_new_object();
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_object_get_ex(job, keys[i], &v)) {
            if (v)
                json_put(body, keys[i], json_object_get(v));
            else
                json_put_null(body, keys[i]);
        }
    *out = mem_strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
    json_object_put(body);
    json_object_put(job);
    return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* POSTs body to url, signed. *status = the HTTP status (0 when none came);
 * why = the transport error, or "". */
static void post(const char *url, const char *body, const char *sig, long *status, char *why,
                 size_t whylen)
{
    char header[CALLBACK_SIGNATURE_BUF + 32], cerr[CURL_ERROR_SIZE];
    struct curl_slist *h = NULL;
    CURL *c = webreq_new("trader-callback/1", WEBREQ_CONNECT_MS, TIMEOUT_SECONDS * 1000L, cerr);
    *status = 0;
    *why = '\0';
    snprintf(header, sizeof(header), "%s: %s", CALLBACK_HEADER, sig);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, header);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    else
        snprintf(why, whylen, "%s", *cerr ? cerr : curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

/* Records attempt n of job_id and, when it decides, the callback's outcome. */
static int record(struct db *db, const char *job_id, int n, long status, const char *why, int last,
                  char *err, size_t errlen)
{
    int ok = status >= 200 && status < 300;
    if (db_begin_immediate(db, err, errlen) != 0)
        return -1;
    if (callback_record_attempt(db, job_id, n, status,
                                ok     ? NULL
                                : *why ? why
                                       : "HTTP status not 2xx",
                                err, errlen) != 0)
        goto fail;
    if ((ok || last) &&
        jobs_set_callback_status(db, job_id, ok ? "delivered" : "failed", err, errlen) != 0)
        goto fail;
    /* The status page shows the attempts and the outcome. */
    if (dataver_bump(db, err, errlen) != 0)
        goto fail;
    return db_commit(db, err, errlen);
fail:
    db_rollback(db);
    return -1;
}

/* One attempt for job_id (its n-th). */
static int attempt(struct db *db, const char *job_id, const char *url, int n, int max, char *err,
                   size_t errlen)
{
    const char *secret = getenv(CALLBACK_ENV_SECRET);
    char sig[CALLBACK_SIGNATURE_BUF], why[ERROR_MAX] = "";
    char *body = NULL;
    long status = 0;
    if (callback_url_check(url, why, sizeof(why)) == 0 &&
        build_body(db, job_id, &body, err, errlen) == 0 &&
        callback_sign(secret, body, strlen(body), sig, why, sizeof(why)) == 0)
        post(url, body, sig, &status, why, sizeof(why));
    else if (!*why)
        snprintf(why, sizeof(why), "%s", err);
    free(body);
    int ok = status >= 200 && status < 300;
    log_emit(ok ? LOG_LEVEL_INFO : LOG_LEVEL_WARNING, LOGGER, job_id, NULL, NULL,
             "callback attempt %d of %d: %s%ld%s%s", n, max, ok ? "delivered, HTTP " : "HTTP ",
             status, *why ? ": " : "", why);
    return record(db, job_id, n, status, why, n >= max, err, errlen);
}

int notify_deliver_due(struct db *db, int *n, char *err, size_t errlen)
{
    struct jobs_due due[DUE_BATCH];
    double backoff = env_double(CALLBACK_ENV_BACKOFF, CALLBACK_DEFAULT_BACKOFF, 0.01, 3600);
    int max = (int)env_long(CALLBACK_ENV_ATTEMPTS, CALLBACK_DEFAULT_ATTEMPTS, 1, 100);
    char now[TIMESTAMP_BUF], last[TIMESTAMP_BUF];
    size_t ndue = 0;
    int made = 0, tries;
    if (jobs_callbacks_due(db, due, DUE_BATCH, &ndue, err, errlen) != 0)
        return -1;
    time_now_iso(now);
    for (size_t i = 0; i < ndue; i++) {
        if (callback_tries(db, due[i].job_id, &tries, last, err, errlen) != 0)
            return -1;
        if (tries > 0 && time_iso_diff(last, now) < backoff * pow(2, tries - 1))
            continue;
        if (attempt(db, due[i].job_id, due[i].url, tries + 1, max, err, errlen) != 0)
            return -1;
        made++;
    }
    *n = made;
    return 0;
}
