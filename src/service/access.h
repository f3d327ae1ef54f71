/* access: API keys and the audit of mutating requests (CONTRACT section 6).
 * Owns the api_keys table: a key is a name, a scope (read or write) and the
 * BLAKE2b hash of a random token that is shown once and never stored. Also
 * records each mutating request (who asked what, from where, with which
 * outcome) in the audit trail through audit.h. Random tokens, hashing and the constant-time
 * comparison are libsodium's. Deciding what an HTTP request may do is the
 * API's (fcgi/auth). */
#ifndef TRADER_ACCESS_H
#define TRADER_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/dates.h"
#include "store/db.h"

#define ACCESS_NAME_MAX 64 /* a key name: 1-64 letters, digits or . _ - */
#define ACCESS_LOOPBACK                                                                            \
    "loopback" /* the audit actor of a keyless loopback request; no key's name */
#define ACCESS_NAME_BUF (ACCESS_NAME_MAX + 1)
#define ACCESS_TOKEN_PREFIX "trk_"
#define ACCESS_TOKEN_BYTES 32 /* random bytes in a token */
/* "trk_" + unpadded URL-safe base64 of ACCESS_TOKEN_BYTES + NUL */
#define ACCESS_TOKEN_BUF 48
#define ACCESS_TOKEN_MAX 256    /* a longer presented token matches nothing */
#define ACCESS_KEYS_MAX 1000    /* keys at once */
#define ACCESS_TOUCH_SECONDS 60 /* last_used_at is kept to this precision */

enum access_scope {
    ACCESS_READ,  /* the read endpoints (when TRADER_AUTH_READS=1) */
    ACCESS_WRITE, /* every endpoint, the mutating ones included */
};

/* Whether a key was found (by name or by token). */
enum access_found {
    ACCESS_ERROR = -1,
    ACCESS_MISSING, /* no such key */
    ACCESS_FOUND,
};

/* A key as listed: never the token or its hash. */
struct access_key {
    char name[ACCESS_NAME_BUF];
    enum access_scope scope;
    char created_at[TIMESTAMP_BUF];
    char last_used_at[TIMESTAMP_BUF]; /* "" = never used */
    bool touch_due;                   /* last_used_at is older than ACCESS_TOUCH_SECONDS */
};

/* "read"/"write" to a scope. Returns 0, or -1 for another word. */
int access_scope_parse(const char *s, enum access_scope *out);
const char *access_scope_name(enum access_scope scope);

/* True when name is 1-ACCESS_NAME_MAX letters, digits or . _ - and not
 * ACCESS_LOOPBACK (the audit log would not tell them apart). */
bool access_name_valid(const char *name);

/* Creates a key: a new random token (written to token, shown to the user
 * once) whose hash is stored under name. Fails when the name is invalid or
 * taken, or ACCESS_KEYS_MAX keys exist. */
int access_key_create(struct db *db, const char *name, enum access_scope scope,
                      char token[ACCESS_TOKEN_BUF], char *err, size_t errlen);

/* Every key, oldest first. On success *out (caller frees) has *n entries. */
int access_key_list(struct db *db, struct access_key **out, size_t *n, char *err, size_t errlen);

/* Deletes the key name: ACCESS_FOUND when it existed, ACCESS_MISSING when
 * not, ACCESS_ERROR with err filled. */
enum access_found access_key_revoke(struct db *db, const char *name, char *err, size_t errlen);

/* Counts the keys into *nkeys and, when token is not NULL, compares its hash
 * with every stored hash in constant time (no early exit). Returns
 * ACCESS_FOUND with *out filled when a key matches, ACCESS_MISSING when none
 * does, ACCESS_ERROR with err filled. */
enum access_found access_key_check(struct db *db, const char *token, size_t *nkeys,
                                   struct access_key *out, char *err, size_t errlen);

/* Sets the key's last_used_at to now. */
int access_key_touch(struct db *db, const char *name, char *err, size_t errlen);

/* One mutating request as the audit log keeps it. */
struct access_audit {
    const char *actor;    /* key name, "loopback", or NULL when no key was accepted */
    const char *client;   /* the client's address, NULL when unknown */
    const char *endpoint; /* "POST /simulate/trigger" */
    int status;           /* the HTTP status answered */
    const char *outcome;  /* "ok" or the error code answered */
    const char *job_id;   /* the job the answer names, or NULL */
};

/* Appends an audit_log row of event "api_request". */
int access_audit(struct db *db, const struct access_audit *a, char *err, size_t errlen);

#endif
