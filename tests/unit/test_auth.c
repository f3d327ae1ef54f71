/* Unit tests for fcgi/auth's parsing: the Authorization header (RFC 6750
 * Bearer credentials: scheme in any case, b64token characters, '=' only at
 * the end, the length bound) and which client addresses are loopback. The
 * decision itself is tested over HTTP (tests/integration/test_auth*.sh) and
 * fuzzed (tests/fuzz/fuzz_auth.c). */
#include "auth.h"
#include "tap.h"

static void bearer(const char *header, const char *want, const char *name)
{
    const char *tok = NULL;
    size_t len = 0;
    bool got = auth_bearer(header, &tok, &len);
    if (!want) {
        ok(!got, "refused: %s", name);
        return;
    }
    if (!ok(got && len == strlen(want) && strncmp(tok, want, len) == 0, "parsed: %s", name))
        printf("#   got %d \"%.*s\"\n", got, got ? (int)len : 0, got ? tok : "");
}

static void test_bearer(void)
{
    char big[ACCESS_TOKEN_MAX + 16];
    bearer("Bearer trk_abc-DEF_123", "trk_abc-DEF_123", "a token");
    bearer("bearer x", "x", "the scheme in lower case");
    bearer("BEARER    x.y~z+/==", "x.y~z+/==", "spaces, every b64token character, padding");
    bearer("Bearer x \t ", "x", "blanks after the token");
    bearer(NULL, NULL, "no header");
    bearer("", NULL, "an empty header");
    bearer("Bearer", NULL, "the scheme alone");
    bearer("Bearer ", NULL, "no token");
    bearer("Bearer\tx", NULL, "a tab after the scheme");
    bearer("Bearerx", NULL, "no space after the scheme");
    bearer("Basic dXNlcjpwYXNz", NULL, "another scheme");
    bearer("Bearer a b", NULL, "two words");
    bearer("Bearer a=b", NULL, "'=' inside the token");
    bearer("Bearer a,b", NULL, "a comma");
    bearer("Bearer \"a\"", NULL, "quotes");
    bearer("Bearer tr\xc3\xa9s", NULL, "non-ASCII");
    snprintf(big, sizeof(big), "Bearer %0*d", ACCESS_TOKEN_MAX, 0);
    bearer(big, big + 7, "a token of ACCESS_TOKEN_MAX characters");
    snprintf(big, sizeof(big), "Bearer %0*d", ACCESS_TOKEN_MAX + 1, 0);
    bearer(big, NULL, "one character more");
}

static void test_loopback(void)
{
    static const char *const yes[] = {"127.0.0.1", "127.255.255.254", "127.1.2.3",
                                      "::1",       "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"};
    static const char *const no[] = {
        "10.0.0.2",  "128.0.0.1",  "0.0.0.0",     "::", "::2",      "::ffff:10.0.0.1",
        "localhost", "127.0.0.1 ", "127.0.0.1/8", "",   "1.127.0.0"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        ok(auth_loopback(yes[i]), "loopback: %s", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ok(!auth_loopback(no[i]), "not loopback: \"%s\"", no[i]);
    ok(!auth_loopback(NULL), "no address is not loopback");
}

int main(void)
{
    test_bearer();
    test_loopback();
    return tap_done();
}
