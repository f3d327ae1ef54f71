/* callback: see callback.h. URLs are parsed by libcurl's URL API (the same
 * parser that then sends the request), the HMAC is libsodium's. */
#include "service/callback.h"

#include "base/dates.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char SQL_ATTEMPT[] =
    "INSERT INTO job_callbacks(job_id, attempt, attempted_at, http_status, outcome, error)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_TRIES[] =
    "SELECT count(*), max(attempted_at) FROM job_callbacks WHERE job_id = ?1";
static const char SQL_ATTEMPTS[] = "SELECT attempt, attempted_at, http_status, outcome, error"
                                   " FROM job_callbacks WHERE job_id = ?1 ORDER BY id";

/* True when host[:port] of the URL is one of the entries of list. */
static bool host_listed(const char *list, const char *host, const char *port)
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
            return true;
    }
    return false;
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

int callback_record_attempt(struct db *db, const char *job_id, int n, long status,
                            const char *error, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    struct db_stmt *st = db_stmt(db, SQL_ATTEMPT, err, errlen);
    if (!st)
        return -1;
    time_now_iso(now);
    db_bind_text(st, 1, job_id);
    db_bind_int64(st, 2, n);
    db_bind_text(st, 3, now);
    if (status)
        db_bind_int64(st, 4, status);
    db_bind_text(st, 5, error ? "failed" : "delivered");
    db_bind_text(st, 6, error);
    return db_step_done(db, st, "database write", err, errlen);
}

int callback_tries(struct db *db, const char *job_id, int *n, char last[TIMESTAMP_BUF], char *err,
                   size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_TRIES, err, errlen);
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    enum db_step rc = db_step(db, st, "reading callback attempts", err, errlen);
    if (rc != DB_STEP_ROW) {
        db_reset(st);
        return rc == DB_STEP_DONE ? err_set(err, errlen, "reading callback attempts: no row") : -1;
    }
    const char *t = db_col_text(st, 1);
    *n = db_col_int(st, 0);
    snprintf(last, TIMESTAMP_BUF, "%s", t ? t : "");
    db_reset(st);
    return 0;
}

int callback_attempts_json(struct db *db, const char *job_id, json_object **out, char *err,
                           size_t errlen)
{
    static const char *const keys[] = {"attempt", "attempted_at", "http_status", "outcome",
                                       "error"};
    /* Which columns are numbers, from the schema: the engines type results apart. */
    static const bool number[] = {true, false, true, false, false};
    struct db_stmt *st = db_stmt(db, SQL_ATTEMPTS, err, errlen);
    json_object *list;
    enum db_step rc;
    if (!st)
        return -1;
    db_bind_text(st, 1, job_id);
    list = json_new_array();
    while ((rc = db_step(db, st, "reading callback attempts", err, errlen)) == DB_STEP_ROW) {
        json_object *a = json_new_object();
        for (int i = 0; i < 5; i++)
            if (db_col_is_null(st, i))
                json_put_null(a, keys[i]);
            else if (number[i])
                json_put(a, keys[i], json_object_new_int64(db_col_int64(st, i)));
            else
                json_put(a, keys[i], json_object_new_string(db_col_text(st, i)));
        json_push(list, a);
    }
    db_reset(st);
    if (rc == DB_STEP_ERROR) {
        json_object_put(list);
        return -1;
    }
    *out = list;
    return 0;
}
