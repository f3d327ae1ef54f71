/* Fuzzes who may call an endpoint, as trader-api decides it (fcgi/auth):
 * auth_bearer on the Authorization header, auth_loopback on the client
 * address and auth_check against a database holding two keys (hashes no
 * token can reach) or, with flag 'p', none (protected mode).
 *
 * Input: line 1 the header value ("-" alone: no header), line 2 REMOTE_ADDR,
 * line 3 flags: 'w' a mutating route, 'p' no keys. The checks: a parsed
 * token lies inside the header and is 1-ACCESS_TOKEN_MAX characters; with
 * keys nothing is let in; in protected mode exactly the keyless loopback
 * requests are, as "loopback"; every refusal is a 401 with a Bearer
 * challenge. */
#include "app.h"
#include "auth.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char KEYS[] =
    "INSERT INTO api_keys(name, scope, token_hash, created_at) VALUES"
    " ('w', 'write', zeroblob(32), 't'),"
    " ('r', 'read', X'0101010101010101010101010101010101010101010101010101010101010101', 't');";

/* The next line of the input (NUL-terminated copy, caller frees). */
static char *line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    char *s = fuzz_cstr(*p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

static void check_bearer(const char *header)
{
    const char *tok = NULL;
    size_t len = 0;
    if (!auth_bearer(header, &tok, &len))
        return;
    if (strncasecmp(header, "Bearer ", 7) != 0 || len == 0 || len > ACCESS_TOKEN_MAX ||
        tok < header + 7 || tok + len > header + strlen(header))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char home[FUZZ_PATH_MAX], err[ERRBUF_SIZE], actor[ACCESS_NAME_BUF] = "";
    char *header = line(&p, end), *addr = line(&p, end), *flags = line(&p, end);
    bool write = strchr(flags, 'w') != NULL, keyless = strchr(flags, 'p') != NULL;
    struct request req;
    struct response resp;
    struct app app;

    check_bearer(header);
    memset(&req, 0, sizeof(req));
    req.authorization = strcmp(header, "-") == 0 ? NULL : header;
    req.remote_addr = *addr ? addr : NULL;
    memset(&resp, 0, sizeof(resp));

    fuzz_tmpdir(home);
    db_close(fuzz_db(home, keyless ? NULL : KEYS));
    setenv("TRADER_DATA_DIR", home, 1);
    unsetenv("TRADER_DB_PATH");
    if (app_init(&app, err, sizeof(err)) != 0)
        abort();
    int rc = auth_check(&app, &req, write, actor, &resp);
    bool let_in = keyless && !req.authorization && auth_loopback(req.remote_addr);
    if ((rc == 0) != let_in || (rc == 0 && strcmp(actor, ACCESS_LOOPBACK) != 0) ||
        (rc != 0 && (resp.status != 401 || strncmp(resp.challenge, "Bearer", 6) != 0)))
        __builtin_trap();
    http_response_free(&resp);
    app_free(&app);
    fuzz_rmtree(home);
    free(header);
    free(addr);
    free(flags);
    return 0;
}
