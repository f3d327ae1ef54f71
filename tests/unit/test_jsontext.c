/* Unit tests for jsontext_parse_strict (the parser of request bodies) and
 * utf8_valid: strict JSON, NUL in strings and keys, duplicate keys at any
 * depth, invalid UTF-8 of every kind, and the values that must still parse. */
#include "base/jsontext.h"
#include "tap.h"
#include "base/utf8.h"

static void accepted(const char *text, const char *name)
{
    char err[256] = "";
    json_object *v = NULL;
    int rc = jsontext_parse_strict(text, strlen(text), &v, err, sizeof(err));
    if (!ok(rc == 0, "accepted: %s", name))
        printf("#   err \"%s\"\n", err);
    json_object_put(v);
}

static void refused(const char *text, size_t len, const char *want, const char *name)
{
    char err[256] = "";
    json_object *v = NULL;
    int rc = jsontext_parse_strict(text, len, &v, err, sizeof(err));
    if (!ok(rc == -1 && v == NULL && strstr(err, want), "refused: %s", name))
        printf("#   rc %d err \"%s\", want \"%s\"\n", rc, err, want);
    json_object_put(v);
}

#define REFUSED(text, want, name) refused(text, sizeof(text) - 1, want, name)

static void test_strict(void)
{
    accepted("{}", "empty object");
    accepted("{\"a\":1,\"b\":[{\"a\":1},{\"a\":2}],\"c\":{\"a\":{\"a\":null}}}",
             "the same key in different objects");
    accepted("{\"a:b\":\"{:}\",\"c\":\"\\\"{\\\\\"}", "colons and braces inside strings");
    accepted("{\"\\u00e9t\\u00e9\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", "UTF-8 and escapes");
    accepted("{\"a\":\"\\\\u0000\"}", "an escaped backslash before u0000 is not a NUL");
    accepted("[{\"a\":1},{\"a\":1,\"b\":2}]", "objects in an array");
    accepted("{\"n\":-0.5e+3,\"m\":1E2,\"t\":true,\"f\":false,\"z\":null}", "numbers and literals");
    accepted("123", "a number at the very end of the text");
    accepted("null", "a literal at the very end of the text");

    REFUSED("{\"a\":1,\"a\":2}", "duplicate key", "a duplicate key");
    REFUSED("{\"a\":1,\"\\u0061\":2}", "duplicate key", "a duplicate key spelt with an escape");
    REFUSED("{\"x\":{\"a\":{\"k\":1},\"a\":{\"k\":1,\"j\":2}}}", "duplicate key",
            "a duplicate key whose values are objects");
    REFUSED("[{\"a\":1},{\"b\":1,\"b\":1}]", "duplicate key", "a duplicate key in an array");
    REFUSED("{\"a\":{\"b\":{\"c\":{\"d\":1,\"d\":1}}}}", "duplicate key", "a deep duplicate key");
    REFUSED("{\"models\":[\"x\\u0000y\"]}", "NUL", "\\u0000 in a value");
    REFUSED("{\"a\\u0000b\":1}", "NUL", "\\u0000 in a key");
    refused("{\"a\":\"x\0\"}", 9, "NUL", "a raw NUL byte");
    REFUSED("{\"a\":1,}", "unexpected", "a trailing comma");
    REFUSED("{\"a\":1", "unexpected end of input", "a truncated object");
    REFUSED("nul", "unexpected end of input", "a truncated literal");
    REFUSED("{'a':1}", "strict", "single quotes");
    REFUSED("/* c */ {}", "", "a comment");
    REFUSED("{\"a\":TRUE}", "", "TRUE");
    REFUSED("{\"a\":NaN}", "strict", "NaN");
    REFUSED("{\"a\":-Infinity}", "strict", "Infinity");
    REFUSED("{\"a\":1.}", "strict", "1.");
    REFUSED("{\"a\":\"\t\"}", "control", "a raw tab in a string");
    REFUSED("{\"a\":\"\xff\"}", "UTF-8", "a 0xFF byte");
    REFUSED("{\"a\":\"\xc0\xaf\"}", "UTF-8", "an overlong /");
    REFUSED("{\"a\":\"\xed\xa0\x80\"}", "UTF-8", "an encoded surrogate");
    REFUSED("{\"a\":\"\xf4\x90\x80\x80\"}", "UTF-8", "above U+10FFFF");
    REFUSED("{\"a\":\"\xe2\x82\"}", "UTF-8", "a truncated sequence");
    REFUSED("{\"\xff\":1}", "UTF-8", "invalid UTF-8 in a key");
}

static void test_utf8(void)
{
    ok(utf8_valid("", 0), "empty");
    ok(utf8_valid("abc\0def", 7), "ASCII with NUL (NUL is the caller's check)");
    ok(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 13),
       "2, 3 and 4 bytes, U+10FFFF");
    ok(utf8_valid("\xed\x9f\xbf\xee\x80\x80", 6), "U+D7FF and U+E000 around the surrogates");
    ok(!utf8_valid("\x80", 1), "a lone continuation byte");
    ok(!utf8_valid("\xc1\xbf", 2), "overlong 2 bytes");
    ok(!utf8_valid("\xe0\x9f\xbf", 3), "overlong 3 bytes");
    ok(!utf8_valid("\xf0\x8f\xbf\xbf", 4), "overlong 4 bytes");
    ok(!utf8_valid("\xed\xbf\xbf", 3), "a low surrogate");
    ok(!utf8_valid("\xf5\x80\x80\x80", 4), "F5");
    ok(!utf8_valid("\xc3", 1), "truncated at the end");
    ok(!utf8_valid("\xe2\x28\xa1", 3), "a bad continuation");
}

int main(void)
{
    test_strict();
    test_utf8();
    return tap_done();
}
