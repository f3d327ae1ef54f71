/* access: see access.h. A token is "trk_" + 32 random bytes in URL-safe
 * base64; the table keeps its BLAKE2b-256 hash (crypto_generichash). The
 * tokens are high-entropy, so an unkeyed hash suffices: nothing stored lets
 * anyone rebuild one. Checking a token hashes it and compares the hash with
 * every stored one using sodium_memcmp, so the time taken says nothing about
 * which bytes matched. */
#include "service/access.h"

#include "service/audit.h"

#include "base/errbuf.h"
#include "base/mem.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BYTES 32

static const char SQL_COUNT[] = "SELECT count(*) FROM api_keys";
static const char SQL_INSERT[] =
    "INSERT INTO api_keys(name, scope, token_hash, created_at) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_EXISTS[] = "SELECT 1 FROM api_keys WHERE name = ?1";
static const char SQL_LIST[] =
    "SELECT name, scope, created_at, last_used_at, token_hash FROM api_keys ORDER BY id";
static const char SQL_REVOKE[] = "DELETE FROM api_keys WHERE name = ?1";
static const char SQL_TOUCH[] = "UPDATE api_keys SET last_used_at = ?2 WHERE name = ?1";

int access_scope_parse(const char *s, enum access_scope *out)
{
    if (strcmp(s, "read") == 0)
        *out = ACCESS_READ;
    else if (strcmp(s, "write") == 0)
        *out = ACCESS_WRITE;
    else
        return -1;
    return 0;
}

const char *access_scope_name(enum access_scope scope)
{
    return scope == ACCESS_WRITE ? "write" : "read";
}

bool access_name_valid(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++) {
        char c = name[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n >= ACCESS_NAME_MAX)
            return false;
    }
    return n > 0 && strcmp(name, ACCESS_LOOPBACK) != 0;
}

static int crypto_ready(char *err, size_t errlen)
{
    return sodium_init() < 0 ? err_set(err, errlen, "libsodium cannot be initialized") : 0;
}

static void token_hash(const char *token, size_t len, unsigned char out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

/* The one value of a counting query. */
static int count_keys(struct db *db, size_t *out, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_COUNT, err, errlen);
    if (!st)
        return -1;
    enum db_step rc = db_step(db, st, "cannot count API keys", err, errlen);
    if (rc == DB_STEP_ROW)
        *out = (size_t)db_col_int64(st, 0);
    db_reset(st);
    if (rc == DB_STEP_DONE)
        return err_set(err, errlen, "cannot count API keys: no row");
    return rc == DB_STEP_ROW ? 0 : -1;
}

/* Whether a key is named name. */
static enum access_found key_exists(struct db *db, const char *name, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_EXISTS, err, errlen);
    if (!st)
        return ACCESS_ERROR;
    db_bind_text(st, 1, name);
    enum db_step rc = db_step(db, st, "cannot read API keys", err, errlen);
    db_reset(st);
    if (rc == DB_STEP_ERROR)
        return ACCESS_ERROR;
    return rc == DB_STEP_ROW ? ACCESS_FOUND : ACCESS_MISSING;
}

/* A new token, its hash in hash. */
static void new_token(char token[ACCESS_TOKEN_BUF], unsigned char hash[HASH_BYTES])
{
    unsigned char raw[ACCESS_TOKEN_BYTES];
    size_t pre = sizeof(ACCESS_TOKEN_PREFIX) - 1;
    randombytes_buf(raw, sizeof(raw));
    memcpy(token, ACCESS_TOKEN_PREFIX, pre);
    sodium_bin2base64(token + pre, ACCESS_TOKEN_BUF - pre, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    token_hash(token, strlen(token), hash);
}

_Static_assert(ACCESS_TOKEN_BUF - (sizeof(ACCESS_TOKEN_PREFIX) - 1) >=
                   sodium_base64_ENCODED_LEN(ACCESS_TOKEN_BYTES,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "ACCESS_TOKEN_BUF holds a token");

int access_key_create(struct db *db, const char *name, enum access_scope scope,
                      char token[ACCESS_TOKEN_BUF], char *err, size_t errlen)
{
    char tok[ACCESS_TOKEN_BUF], now[TIMESTAMP_BUF];
    unsigned char hash[HASH_BYTES];
    size_t n = 0;
    struct db_stmt *st;
    int rc = -1;
    enum access_found exists;
    if (!access_name_valid(name))
        return err_set(err, errlen, "a key name is 1-%d letters, digits or . _ - (not %s)",
                       ACCESS_NAME_MAX, ACCESS_LOOPBACK);
    if (crypto_ready(err, errlen) != 0 || db_begin_immediate(db, err, errlen) != 0)
        return -1;
    if ((exists = key_exists(db, name, err, errlen)) != ACCESS_MISSING) {
        if (exists == ACCESS_FOUND)
            err_set(err, errlen, "a key named %s already exists (revoke it first)", name);
        goto out;
    }
    if (count_keys(db, &n, err, errlen) != 0)
        goto out;
    if (n >= ACCESS_KEYS_MAX) {
        err_set(err, errlen, "%d keys exist already; revoke one first", ACCESS_KEYS_MAX);
        goto out;
    }
    if (!(st = db_stmt(db, SQL_INSERT, err, errlen)))
        goto out;
    new_token(tok, hash);
    time_now_iso(now);
    db_bind_text(st, 1, name);
    db_bind_text(st, 2, access_scope_name(scope));
    db_bind_blob(st, 3, hash, HASH_BYTES);
    db_bind_text(st, 4, now);
    if (db_step_done(db, st, "cannot store the key", err, errlen) != 0 ||
        db_commit(db, err, errlen) != 0)
        goto out;
    memcpy(token, tok, sizeof(tok));
    rc = 0;
out:
    sodium_memzero(tok, sizeof(tok));
    db_rollback(db);
    return rc;
}

/* Copies column i (text or NULL) into out of size n. */
static void column_copy(struct db_stmt *st, int i, char *out, size_t n)
{
    const char *s = db_col_text(st, i);
    snprintf(out, n, "%s", s ? s : "");
}

/* The row st is on, as a key; now is the time of the reading. The age of
 * the last use is reckoned here, not in SQL: the engines' clocks and date
 * functions differ. */
static void row_key(struct db_stmt *st, const char *now, struct access_key *k)
{
    column_copy(st, 0, k->name, sizeof(k->name));
    access_scope_parse(db_col_text(st, 1), &k->scope);
    column_copy(st, 2, k->created_at, sizeof(k->created_at));
    column_copy(st, 3, k->last_used_at, sizeof(k->last_used_at));
    k->touch_due =
        !k->last_used_at[0] || time_iso_diff(k->last_used_at, now) > ACCESS_TOUCH_SECONDS;
}

int access_key_list(struct db *db, struct access_key **out, size_t *n, char *err, size_t errlen)
{
    struct access_key *keys = NULL;
    size_t count = 0, cap = 0;
    char now[TIMESTAMP_BUF];
    enum db_step rc;
    struct db_stmt *st = db_stmt(db, SQL_LIST, err, errlen);
    if (!st)
        return -1;
    time_now_iso(now);
    while ((rc = db_step(db, st, "cannot read API keys", err, errlen)) == DB_STEP_ROW) {
        ARRAY_RESERVE(keys, cap, count + 1);
        row_key(st, now, &keys[count++]);
    }
    db_reset(st);
    if (rc == DB_STEP_ERROR) {
        free(keys);
        return -1;
    }
    *out = keys;
    *n = count;
    return 0;
}

enum access_found access_key_revoke(struct db *db, const char *name, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_REVOKE, err, errlen);
    if (!st)
        return ACCESS_ERROR;
    db_bind_text(st, 1, name);
    if (db_step_done(db, st, "cannot revoke the key", err, errlen) != 0)
        return ACCESS_ERROR;
    return db_changes(db) > 0 ? ACCESS_FOUND : ACCESS_MISSING;
}

enum access_found access_key_check(struct db *db, const char *token, size_t *nkeys,
                                   struct access_key *out, char *err, size_t errlen)
{
    unsigned char hash[HASH_BYTES];
    char now[TIMESTAMP_BUF];
    size_t count = 0, len = token ? strnlen(token, ACCESS_TOKEN_MAX + 1) : 0;
    bool compare = token && len <= ACCESS_TOKEN_MAX; /* a longer one matches nothing */
    enum access_found found = ACCESS_MISSING;
    enum db_step rc;
    struct db_stmt *st;
    if (crypto_ready(err, errlen) != 0 || !(st = db_stmt(db, SQL_LIST, err, errlen)))
        return ACCESS_ERROR;
    time_now_iso(now);
    if (compare)
        token_hash(token, len, hash);
    while ((rc = db_step(db, st, "cannot read API keys", err, errlen)) == DB_STEP_ROW) {
        count++;
        /* Hashes are unique: at most one row matches. */
        if (compare && db_col_bytes(st, 4) == HASH_BYTES &&
            sodium_memcmp(db_col_blob(st, 4), hash, HASH_BYTES) == 0) {
            row_key(st, now, out);
            found = ACCESS_FOUND;
        }
    }
    db_reset(st);
    if (rc == DB_STEP_ERROR)
        return ACCESS_ERROR;
    *nkeys = count;
    return found;
}

int access_key_touch(struct db *db, const char *name, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    struct db_stmt *st = db_stmt(db, SQL_TOUCH, err, errlen);
    if (!st)
        return -1;
    time_now_iso(now);
    db_bind_text(st, 1, name);
    db_bind_text(st, 2, now);
    return db_step_done(db, st, "cannot record the key's use", err, errlen);
}

int access_audit(struct db *db, const struct access_audit *a, char *err, size_t errlen)
{
    return audit_api_request(db, a->actor, a->client, a->endpoint, a->status, a->outcome, a->job_id,
                             err, errlen);
}
