/* callback: see callback.h. URLs are parsed by libcurl's URL API (the same
 * parser that then sends the request), the HMAC is libsodium's. */
#include "service/callback.h"

#include "store/dataver.h"
#include "base/dates.h"
#include "base/errbuf.h"
#include "service/jobview.h"
#include "base/log.h"
#include "base/webreq.h"

#include <curl/curl.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGGER "traderd.callback"
#define DUE_BATCH 16
#define TIMEOUT_SECONDS 10L
#define ERROR_MAX 500

static const char SQL_PENDING[] =
    "SELECT job_id, callback_url, (SELECT count(*) FROM job_callbacks c WHERE c.job_id ="
    " jobs.job_id), (SELECT max(attempted_at) FROM job_callbacks c WHERE c.job_id = jobs.job_id)"
    " FROM jobs WHERE callback_status = 'pending' ORDER BY completed_at, rowid LIMIT ?1";
static const char SQL_ATTEMPT[] =
    "INSERT INTO job_callbacks(job_id, attempt, attempted_at, http_status, outcome, error)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_OUTCOME[] = "UPDATE jobs SET callback_status = ?2 WHERE job_id = ?1"
                                  " AND callback_status = 'pending'";

static double env_number(const char *name, double def, double lo, double hi)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    double d = strtod(v, &end);
    return *end || !(d >= lo && d <= hi) ? def : d;
}

/* True when host[:port] of the URL is one of the entries of list. */
static int host_listed(const char *list, const char *host, const char *port)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save = NULL, *e = strtok_r(buf, ", ", &save); e; e = strtok_r(NULL, ", ", &save)) {
        /* "[v6]:port", "[v6]", "name:port" or "name" */
        char *colon = e[0] == '[' ? strstr(e, "]:") : strrchr(e, ':');
        const char *eport = NULL;
        if (colon) {
            if (e[0] == '[')
                colon++;
            *colon = '\0';
            eport = colon + 1;
        }
        if (strcasecmp(e, host) == 0 && (!eport || (port && strcmp(eport, port) == 0)))
            return 1;
    }
    return 0;
}

int callback_url_check(const char *url, char *err, size_t errlen)
{
    const char *hosts = getenv(CALLBACK_ENV_HOSTS), *secret = getenv(CALLBACK_ENV_SECRET);
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
    CURLU *u = NULL;
    int rc = -1;
    if (!hosts || !*hosts)
        return err_set(err, errlen,
                       "callback_url is disabled: the operator allows no callback host (%s)",
                       CALLBACK_ENV_HOSTS);
    if (!secret || !*secret)
        return err_set(err, errlen, "callback_url is disabled: %s is not set", CALLBACK_ENV_SECRET);
    if (strlen(url) > CALLBACK_URL_MAX || !(u = curl_url()) ||
        curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        err_set(err, errlen, "callback_url must be an absolute http or https URL");
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_USER, &user, 0);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        err_set(err, errlen, "callback_url must be an http or https URL");
    else if (user)
        err_set(err, errlen, "callback_url must not carry credentials");
    else if (!host_listed(hosts, host, port))
        err_set(err, errlen, "callback_url host is not allowed (the operator's %s)",
                CALLBACK_ENV_HOSTS);
    else
        rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_url_cleanup(u);
    return rc;
}

int callback_sign(const char *secret, const char *body, size_t len,
                  char out[CALLBACK_SIGNATURE_BUF], char *err, size_t errlen)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    if (sodium_init() < 0)
        return err_set(err, errlen, "libsodium cannot be initialized");
    /* The _init form: a key of any length, as HMAC defines it. */
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, CALLBACK_SIGNATURE_BUF - 7, mac, sizeof(mac));
    return 0;
}

/* The webhook body: the job's summary, reduced to the contract's fields. */
static int build_body(struct db *db, const char *job_id, char **out, char *err, size_t errlen)
{
    static const char *const keys[] = {"job_id", "status",   "date_range",
                                       "models", "progress", "completed_at"};
    json_object *job = NULL, *body, *v;
    int found = jobview_build(db, job_id, JOBVIEW_SUMMARY, &job, err, errlen);
    if (found <= 0)
        return found == 0 ? err_set(err, errlen, "job %s vanished", job_id) : -1;
    body = json_object_new_object();
    for (size_t i = 0; body && i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_object_get_ex(job, keys[i], &v))
            json_object_object_add(body, keys[i], json_object_get(v));
    *out = body ? strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN)) : NULL;
    json_object_put(body);
    json_object_put(job);
    return *out ? 0 : err_set(err, errlen, "out of memory");
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
    if (!c) {
        snprintf(why, whylen, "out of memory");
        return;
    }
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
    char now[TIMESTAMP_BUF];
    int ok = status >= 200 && status < 300;
    sqlite3_stmt *st;
    if (db_begin_immediate(db, err, errlen) != 0)
        return -1;
    time_now_iso(now);
    if (!(st = db_stmt(db, SQL_ATTEMPT, err, errlen)))
        goto fail;
    db_bind_text(st, 1, job_id);
    sqlite3_bind_int(st, 2, n);
    db_bind_text(st, 3, now);
    if (status)
        sqlite3_bind_int64(st, 4, status);
    db_bind_text(st, 5, ok ? "delivered" : "failed");
    if (!ok)
        sqlite3_bind_text(st, 6, *why ? why : "HTTP status not 2xx", -1, SQLITE_TRANSIENT);
    if (db_step_done(db, st, "database write", err, errlen) != 0)
        goto fail;
    if (ok || last) {
        if (!(st = db_stmt(db, SQL_OUTCOME, err, errlen)))
            goto fail;
        db_bind_text(st, 1, job_id);
        db_bind_text(st, 2, ok ? "delivered" : "failed");
        if (db_step_done(db, st, "database write", err, errlen) != 0)
            goto fail;
    }
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

int callback_deliver_due(struct db *db, int *n, char *err, size_t errlen)
{
    struct due {
        char job_id[JOBVIEW_ID_MAX];
        char url[CALLBACK_URL_MAX + 1];
        int attempts;
        char last[TIMESTAMP_BUF];
    } *due = calloc(DUE_BATCH, sizeof(*due));
    double backoff = env_number(CALLBACK_ENV_BACKOFF, CALLBACK_DEFAULT_BACKOFF, 0.01, 3600);
    int max = (int)env_number(CALLBACK_ENV_ATTEMPTS, CALLBACK_DEFAULT_ATTEMPTS, 1, 100);
    char now[TIMESTAMP_BUF];
    size_t ndue = 0;
    int rc = -1, step, made = 0;
    sqlite3_stmt *st = due ? db_stmt(db, SQL_PENDING, err, errlen) : NULL;
    if (!st) {
        if (!due)
            err_set(err, errlen, "out of memory");
        goto out;
    }
    sqlite3_bind_int(st, 1, DUE_BATCH);
    while (ndue < DUE_BATCH && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *last = (const char *)sqlite3_column_text(st, 3);
        snprintf(due[ndue].job_id, sizeof(due[ndue].job_id), "%s", sqlite3_column_text(st, 0));
        snprintf(due[ndue].url, sizeof(due[ndue].url), "%s", sqlite3_column_text(st, 1));
        due[ndue].attempts = sqlite3_column_int(st, 2);
        snprintf(due[ndue].last, sizeof(due[ndue].last), "%s", last ? last : "");
        ndue++;
    }
    sqlite3_reset(st);
    time_now_iso(now);
    for (size_t i = 0; i < ndue; i++) {
        struct due *d = &due[i];
        if (d->attempts > 0 && time_iso_diff(d->last, now) < backoff * pow(2, d->attempts - 1))
            continue;
        if (attempt(db, d->job_id, d->url, d->attempts + 1, max, err, errlen) != 0)
            goto out;
        made++;
    }
    *n = made;
    rc = 0;
out:
    free(due);
    return rc;
}
