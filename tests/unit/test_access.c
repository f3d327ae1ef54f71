/* Unit tests for access: key creation (token shape, name and scope rules,
 * the key limit's neighbour: a taken name), listing without tokens, the
 * constant-time check (right, wrong, cut and over-long tokens; the count of
 * keys for protected mode), revocation, last use, and audit rows. */
#include "service/access.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[64], err[512];

static struct db *open_fresh(void)
{
    char path[128];
    struct db *db = NULL;
    snprintf(dir, sizeof(dir), "/tmp/trader-test-access-XXXXXX");
    if (!mkdtemp(dir))
        return NULL;
    snprintf(path, sizeof(path), "%s/trader.db", dir);
    if (db_open(path, DB_READWRITE, &db, err, sizeof(err)) != 0 ||
        db_migrate(db, err, sizeof(err)) != 0) {
        printf("# %s\n", err);
        db_close(db);
        return NULL;
    }
    return db;
}

/* The check of token (k filled on ACCESS_FOUND); nkeys too. */
static enum access_found check(struct db *db, const char *token, size_t *nkeys,
                               struct access_key *k)
{
    return access_key_check(db, token, nkeys, k, err, sizeof(err));
}

static void test_keys(struct db *db)
{
    char w[ACCESS_TOKEN_BUF], r[ACCESS_TOKEN_BUF], t[ACCESS_TOKEN_BUF], big[400];
    struct access_key k;
    struct access_key *list = NULL;
    size_t n = 99, nkeys = 99;

    is_int(check(db, NULL, &nkeys, &k), ACCESS_MISSING, "no keys: nothing matches");
    is_int(nkeys, 0, "... and none counted (protected mode)");
    is_int(check(db, "trk_x", &nkeys, &k), ACCESS_MISSING, "no keys: a token matches nothing");

    ok(access_key_create(db, "ci", ACCESS_WRITE, w, err, sizeof(err)) == 0, "create a write key");
    is_int(strlen(w), 47, "token: trk_ + 43 characters");
    ok(strncmp(w, ACCESS_TOKEN_PREFIX, 4) == 0 &&
           strspn(w + 4, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == 43,
       "token: URL-safe base64");
    ok(access_key_create(db, "dash", ACCESS_READ, r, err, sizeof(err)) == 0, "create a read key");
    ok(strcmp(w, r) != 0, "tokens differ");
    ok(access_key_create(db, "ci", ACCESS_READ, t, err, sizeof(err)) == -1 &&
           strstr(err, "already exists"),
       "a taken name is refused");
    ok(access_key_create(db, "a b", ACCESS_READ, t, err, sizeof(err)) == -1 &&
           strstr(err, "key name"),
       "an invalid name is refused");
    ok(!access_name_valid("") && !access_name_valid("a/b") && !access_name_valid("loopback") &&
           access_name_valid("A-z_0.9") &&
           !access_name_valid("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
       "name rules (1-64 of letters, digits, . _ -; not loopback)");

    is_int(check(db, w, &nkeys, &k), ACCESS_FOUND, "the write token matches");
    is_str(k.name, "ci", "... key ci");
    is_int(k.scope, ACCESS_WRITE, "... scope write");
    is_int(nkeys, 2, "... two keys counted");
    ok(k.touch_due && k.last_used_at[0] == '\0', "... never used: a touch is due");
    is_int(check(db, r, &nkeys, &k), ACCESS_FOUND, "the read token matches");
    is_str(k.name, "dash", "... key dash, scope read");
    char cut[ACCESS_TOKEN_BUF];
    snprintf(cut, sizeof(cut), "%.46s", w);
    is_int(check(db, cut, &nkeys, &k), ACCESS_MISSING,
           "the token cut by one character matches nothing");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, w, strlen(w));
    is_int(check(db, big, &nkeys, &k), ACCESS_MISSING,
           "an over-long token starting with one matches nothing");
    is_int(check(db, "", &nkeys, &k), ACCESS_MISSING, "the empty token matches nothing");

    ok(access_key_touch(db, "ci", err, sizeof(err)) == 0, "touch");
    check(db, w, &nkeys, &k);
    ok(k.last_used_at[0] && !k.touch_due, "... last use recorded, no touch due for a minute");
    static const char old[] =
        "UPDATE api_keys SET last_used_at = '2025-01-06T09:30:00.000Z' WHERE name = 'ci'";
    struct db_stmt *st = db_stmt(db, old, err, sizeof(err));
    ok(st && db_step_done(db, st, "aging", err, sizeof(err)) == 0, "a use long ago");
    check(db, w, &nkeys, &k);
    ok(k.touch_due && strcmp(k.last_used_at, "2025-01-06T09:30:00.000Z") == 0,
       "... a touch is due again");
    ok(access_key_touch(db, "ci", err, sizeof(err)) == 0, "touch again");

    ok(access_key_list(db, &list, &n, err, sizeof(err)) == 0 && n == 2, "list: two keys");
    if (n == 2) {
        is_str(list[0].name, "ci", "... oldest first");
        is_str(access_scope_name(list[1].scope), "read", "... with scopes");
        ok(list[0].created_at[0] == '2', "... and creation times");
        ok(!list[0].touch_due && list[1].touch_due, "... a touch due for the key never used");
    }
    free(list);

    is_int(access_key_revoke(db, "dash", err, sizeof(err)), ACCESS_FOUND, "revoke dash");
    is_int(access_key_revoke(db, "dash", err, sizeof(err)), ACCESS_MISSING,
           "revoke it again: none");
    is_int(check(db, r, &nkeys, &k), ACCESS_MISSING, "the revoked token matches nothing");
    is_int(nkeys, 1, "... one key left");
}

static void test_scope(void)
{
    enum access_scope s = ACCESS_READ;
    ok(access_scope_parse("write", &s) == 0 && s == ACCESS_WRITE, "scope write");
    ok(access_scope_parse("read", &s) == 0 && s == ACCESS_READ, "scope read");
    ok(access_scope_parse("admin", &s) == -1 && s == ACCESS_READ, "another word is refused");
}

static void test_audit(struct db *db)
{
    struct access_audit a = {.actor = "ci",
                             .client = "10.0.0.2",
                             .endpoint = "POST /simulate/trigger",
                             .status = 403,
                             .outcome = "forbidden"};
    static const char last[] = "SELECT event, actor, client, endpoint, status, outcome,"
                               " job_id IS NULL, timestamp FROM audit_log ORDER BY id DESC LIMIT 1";
    ok(access_audit(db, &a, err, sizeof(err)) == 0, "audit row written");
    struct db_stmt *st = db_stmt(db, last, err, sizeof(err));
    ok(st && db_step(db, st, "read back", err, sizeof(err)) == DB_STEP_ROW, "... and read back");
    is_str(db_col_text(st, 0), "api_request", "... event");
    is_str(db_col_text(st, 1), "ci", "... actor");
    is_str(db_col_text(st, 2), "10.0.0.2", "... client");
    is_str(db_col_text(st, 3), "POST /simulate/trigger", "... endpoint");
    is_int(db_col_int(st, 4), 403, "... status");
    is_str(db_col_text(st, 5), "forbidden", "... outcome");
    is_int(db_col_int(st, 6), 1, "... no job");
    ok(db_col_text(st, 7) != NULL, "... a time");
    db_reset(st);
}

int main(void)
{
    char cmd[128];
    struct db *db = open_fresh();
    if (!ok(db != NULL, "fresh database"))
        return tap_done();
    test_scope();
    test_keys(db);
    test_audit(db);
    db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# cannot remove %s\n", dir);
    return tap_done();
}
