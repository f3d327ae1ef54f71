/* Unit tests for callback: the signature is HMAC-SHA256 as RFC 4231 defines
 * it (its test cases 1, 2 and 6: a short key, a key shorter than the data,
 * a key longer than the block), and callback_url_check's rules (allowed
 * hosts with and without ports, IPv6, schemes, credentials, unset
 * settings). */
#include "service/callback.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void sign_is(const char *key, const char *data, const char *want_hex, const char *name)
{
    char sig[CALLBACK_SIGNATURE_BUF], want[CALLBACK_SIGNATURE_BUF], err[128];
    snprintf(want, sizeof(want), "sha256=%s", want_hex);
    ok(callback_sign(key, data, strlen(data), sig, err, sizeof(err)) == 0, "sign: %s", name);
    is_str(sig, want, name);
}

static void test_sign(void)
{
    char key1[21], key6[132];
    memset(key1, 0x0b, 20);
    key1[20] = '\0';
    memset(key6, 0xaa, 131);
    key6[131] = '\0';
    sign_is(key1, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "RFC 4231 case 1");
    sign_is("Jefe", "what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "RFC 4231 case 2");
    sign_is(key6, "Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", "RFC 4231 case 6");
}

static void url(const char *u, int want_ok, const char *want_msg, const char *name)
{
    char err[256] = "";
    int rc = callback_url_check(u, err, sizeof(err));
    if (!ok(want_ok ? rc == 0 : rc == -1 && strstr(err, want_msg), "%s", name))
        printf("#   rc %d err \"%s\"\n", rc, err);
}

static void test_url(void)
{
    unsetenv(CALLBACK_ENV_HOSTS);
    setenv(CALLBACK_ENV_SECRET, "s", 1);
    url("http://a.example/hook", 0, "allows no callback host", "no hosts configured");
    setenv(CALLBACK_ENV_HOSTS, "Hooks.Example, 127.0.0.1:9000 [::1]:8080", 1);
    unsetenv(CALLBACK_ENV_SECRET);
    url("http://hooks.example/", 0, "TRADER_CALLBACK_SECRET is not set", "no secret");
    setenv(CALLBACK_ENV_SECRET, "s", 1);
    url("https://hooks.example/x?token=1", 1, NULL, "a listed host, any port");
    url("http://HOOKS.example:8443/x", 1, NULL, "  case-insensitive");
    url("http://127.0.0.1:9000/x", 1, NULL, "a listed host:port");
    url("http://127.0.0.1:9001/x", 0, "not allowed", "  another port");
    url("http://127.0.0.1/x", 0, "not allowed", "  no port");
    url("http://[::1]:8080/x", 1, NULL, "IPv6 host:port");
    url("http://evil.example/x", 0, "not allowed", "an unlisted host");
    url("http://hooks.example.evil/x", 0, "not allowed", "  not a suffix match");
    url("ftp://hooks.example/x", 0, "http or https", "another scheme");
    url("http://u:p@hooks.example/x", 0, "credentials", "credentials");
    url("hooks.example/x", 0, "absolute http or https URL", "no scheme");
    url("", 0, "absolute", "empty");
}

int main(void)
{
    test_sign();
    test_url();
    return tap_done();
}
