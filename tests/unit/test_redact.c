/* Unit tests for redact: keys, URL credentials and query strings, configured
 * secrets, bounded output. */
#include "base/redact.h"
#include "tap.h"

#include <stdlib.h>

static void check(const char *in, const char *want)
{
    char out[256];
    redact_text(in, out, sizeof(out));
    is_str(out, want, in);
}

int main(void)
{
    setenv("OPENAI_API_KEY", "env-secret-value-42", 1);
    check("plain text: nothing to hide", "plain text: nothing to hide");
    check("Incorrect API key provided: sk-abcdef123456. See docs",
          "Incorrect API key provided: sk-[REDACTED]. See docs");
    check("task-force sk-ab stays", "task-force sk-ab stays");
    check("HTTP 401 from http://user:pass@host:8080/v1/chat/completions: no",
          "HTTP 401 from http://[REDACTED]@host:8080/v1/chat/completions: no");
    check("url https://h/v1?api-key=XYZ123#frag end", "url https://h/v1?[REDACTED]#frag end");
    check("\"http://u:p@h/v1/chat/completions?key=1\"",
          "\"http://[REDACTED]@h/v1/chat/completions?[REDACTED]\"");
    check("Authorization: Bearer abcdefghij", "Authorization: Bearer [REDACTED]");
    check("key env-secret-value-42 from env", "key [REDACTED] from env");
    ok(redact_add_secret("my-configured-key-77") == 0, "add a secret");
    ok(redact_add_secret("short") == 0, "a short value is ignored");
    check("quoted: my-configured-key-77!", "quoted: [REDACTED]!");
    check("short stays short", "short stays short");
    check("a:b no url :// here", "a:b no url :// here");

    char small[12];
    redact_text("sk-0123456789abcdef tail", small, sizeof(small));
    is_str(small, "sk-[REDACTE", "cut to the buffer");
    char same[64] = "x http://a:b@c/?q=1 y";
    redact_text(same, same, sizeof(same));
    is_str(same, "x http://[REDACTED]@c/?[REDACTED] y", "in place");
    char *d = redact_dup("sk-zzzzzzzzzz");
    is_str(d, "sk-[REDACTED]", "dup");
    free(d);
    return tap_done();
}
