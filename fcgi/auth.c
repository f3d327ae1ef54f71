/* auth: see auth.h. A read's decision reads the keys through the process's
 * read-only connection, a write's through the writer (the primary); only
 * recording a key's use writes (through the writer connection, at most once
 * a minute per key). */
#include "auth.h"

#include "base/log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CHALLENGE "Bearer realm=\"trader\""

static bool b64token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool auth_bearer(const char *header, const char **token, size_t *len)
{
    static const char scheme[] = "Bearer";
    size_t n = sizeof(scheme) - 1, i, start, end;
    if (!header || strncasecmp(header, scheme, n) != 0 || header[n] != ' ')
        return false;
    for (i = n; header[i] == ' '; i++)
        ;
    for (start = i; b64token_char(header[i]); i++)
        ;
    while (header[i] == '=')
        i++;
    end = i;
    while (header[i] == ' ' || header[i] == '\t')
        i++;
    if (header[i] || end == start || end - start > ACCESS_TOKEN_MAX)
        return false;
    *token = header + start;
    *len = end - start;
    return true;
}

bool auth_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!addr)
        return false;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return ntohl(a4.s_addr) >> 24 == 127;
    if (inet_pton(AF_INET6, addr, &a6) != 1)
        return false;
    return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

/* 401 with its challenge (error is RFC 6750's, NULL for none). Returns -1. */
static int unauthorized(struct response *resp, const char *error, const char *msg)
{
    http_error(resp, 401, "unauthorized", "%s", msg);
    snprintf(resp->challenge, sizeof(resp->challenge), CHALLENGE "%s%s%s",
             error ? ", error=\"" : "", error ? error : "", error ? "\"" : "");
    return -1;
}

/* 503: the keys cannot be read now. Returns -1. */
static int keys_unavailable(struct response *resp, const char *why)
{
    log_emit(LOG_LEVEL_ERROR, "trader-api", NULL, NULL, NULL, "pid %d: API keys: %s", (int)getpid(),
             why);
    http_error(resp, 503, "unavailable", "API keys cannot be read now; retry later");
    return -1;
}

/* Records the key's use; a failure only costs the record. */
static void touch(struct app *app, const char *name)
{
    char err[ERRBUF_SIZE];
    struct db *db = app_writer(app, err, sizeof(err));
    if (!db || access_key_touch(db, name, err, sizeof(err)) != 0)
        log_emit(LOG_LEVEL_WARNING, "trader-api", NULL, NULL, NULL,
                 "pid %d: last use of key %s not recorded: %s", (int)getpid(), name, err);
}

int auth_check(struct app *app, const struct request *req, bool write, char actor[ACCESS_NAME_BUF],
               struct response *resp)
{
    char token[ACCESS_TOKEN_MAX + 1];
    const char *tok = NULL;
    size_t len = 0, nkeys = 0;
    struct access_key key;
    /* A write's key is read on the primary: a key revoked there stops
     * writes at once, whatever a standby has replayed. */
    char err[ERRBUF_SIZE];
    struct db *db = write ? app_writer(app, err, sizeof(err)) : app_db(app);
    if (!db)
        return keys_unavailable(resp, write ? err : app->db_err);
    if (req->authorization) {
        if (!auth_bearer(req->authorization, &tok, &len))
            return unauthorized(resp, "invalid_request",
                                "The Authorization header must be \"Bearer TOKEN\"");
        memcpy(token, tok, len);
        token[len] = '\0';
    }
    enum access_found found =
        access_key_check(db, tok ? token : NULL, &nkeys, &key, resp->err, sizeof(resp->err));
    if (found == ACCESS_ERROR)
        return keys_unavailable(resp, resp->err);
    if (tok && found == ACCESS_MISSING)
        return unauthorized(resp, "invalid_token", "Invalid API key");
    if (found == ACCESS_FOUND) {
        memcpy(actor, key.name, sizeof(key.name));
        if (write && key.scope != ACCESS_WRITE) {
            http_error(resp, 403, "forbidden",
                       "The API key \"%s\" has scope read; this endpoint needs a write key",
                       key.name);
            snprintf(resp->challenge, sizeof(resp->challenge),
                     CHALLENGE ", error=\"insufficient_scope\"");
            return -1;
        }
        if (key.touch_due)
            touch(app, key.name);
        return 0;
    }
    if (nkeys == 0 && auth_loopback(req->remote_addr)) {
        memcpy(actor, ACCESS_LOOPBACK, sizeof(ACCESS_LOOPBACK));
        return 0;
    }
    if (nkeys == 0)
        return unauthorized(resp, NULL,
                            "No API key exists yet, so this endpoint answers only clients on the "
                            "server itself (protected mode). On the server, create a key with "
                            "`traderctl keys create --name NAME --scope write` and send it as "
                            "Authorization: Bearer TOKEN");
    return unauthorized(resp, NULL,
                        "An API key is required: send Authorization: Bearer TOKEN (keys are "
                        "created on the server with `traderctl keys create`)");
}
