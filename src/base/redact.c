/* redact: see redact.h. One left-to-right pass: at each position the first
 * rule that matches copies its replacement and skips what it hides, so a
 * secret is never partly kept. */
#include "base/redact.h"

#include "base/mem.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[REDACT_SECRETS_MAX]; /* live for the process; under lock */
static size_t nsecrets;
static bool env_loaded;

static const char *const env_secrets[] = {"OPENAI_API_KEY", "JINA_API_KEY",
                                          "ALPHAADVANTAGE_API_KEY", "TRADER_CALLBACK_SECRET"};

/* Adds s under lock. */
static int add_locked(const char *s)
{
    if (!s || strlen(s) < REDACT_SECRET_MIN)
        return 0;
    for (size_t i = 0; i < nsecrets; i++)
        if (strcmp(secrets[i], s) == 0)
            return 0;
    if (nsecrets == REDACT_SECRETS_MAX)
        return -1;
    secrets[nsecrets++] = mem_strdup(s);
    return 0;
}

static void load_env_locked(void)
{
    if (env_loaded)
        return;
    env_loaded = true;
    for (size_t i = 0; i < sizeof(env_secrets) / sizeof(env_secrets[0]); i++)
        add_locked(getenv(env_secrets[i]));
}

int redact_add_secret(const char *s)
{
    pthread_mutex_lock(&lock);
    load_env_locked();
    int rc = add_locked(s);
    pthread_mutex_unlock(&lock);
    return rc;
}

/* A growing output string. */
struct out {
    char *s;
    size_t n, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    ARRAY_RESERVE(o->s, o->cap, o->n + n + 1);
    memcpy(o->s + o->n, s, n);
    o->n += n;
    o->s[o->n] = '\0';
}

static bool token_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

/* Where a URL ends: whitespace, a quote, a bracket or a control byte. */
static size_t url_len(const char *s)
{
    size_t n = 0;
    while (s[n] && (unsigned char)s[n] > 0x20 && !strchr("\"'<>`\\()[]{}|^", s[n]) &&
           (unsigned char)s[n] != 0x7f)
        n++;
    return n;
}

/* At s + 3 == "://" preceded by a scheme: copies the URL without its
 * credentials and query; returns the bytes consumed from s, 0 when s is not
 * the "://" of a URL. */
static size_t url_rule(const char *start, const char *s, struct out *o)
{
    const char *scheme = s;
    while (scheme > start && isalpha((unsigned char)scheme[-1]))
        scheme--;
    if (scheme == s || strncmp(s, "://", 3) != 0)
        return 0;
    const char *host = s + 3;
    size_t total = url_len(host), authority = strcspn(host, "/?#");
    if (authority > total)
        authority = total;
    const char *at = memchr(host, '@', authority);
    put(o, s, 3);
    if (at) {
        put(o, REDACT_MARK "@", sizeof(REDACT_MARK));
        total -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    size_t keep = strcspn(host, "?#");
    if (keep > total)
        keep = total;
    put(o, host, keep);
    if (keep < total && host[keep] == '?') {
        put(o, "?" REDACT_MARK, sizeof(REDACT_MARK));
        size_t q = keep + strcspn(host + keep, "#");
        keep = q < total ? q : total;
    }
    return (size_t)(host + keep - s);
}

/* "sk-..." or "Bearer ..." starting a word: the token is hidden. */
static size_t token_rule(const char *start, const char *s, struct out *o)
{
    static const char *const prefixes[] = {"sk-", "Bearer ", "bearer "};
    if (s > start && (isalnum((unsigned char)s[-1]) || s[-1] == '-' || s[-1] == '_'))
        return 0;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t p = strlen(prefixes[i]), n = 0;
        if (strncmp(s, prefixes[i], p) != 0)
            continue;
        while (token_char((unsigned char)s[p + n]))
            n++;
        if (n < REDACT_SECRET_MIN)
            continue;
        put(o, s, p);
        put(o, REDACT_MARK, sizeof(REDACT_MARK) - 1);
        return p + n;
    }
    return 0;
}

/* A configured secret at s (under lock). */
static size_t secret_rule(const char *s, struct out *o)
{
    for (size_t i = 0; i < nsecrets; i++) {
        size_t n = strlen(secrets[i]);
        if (s[0] == secrets[i][0] && strncmp(s, secrets[i], n) == 0) {
            put(o, REDACT_MARK, sizeof(REDACT_MARK) - 1);
            return n;
        }
    }
    return 0;
}

/* The redacted text of in; the caller frees it. */
static char *redact_all(const char *in)
{
    struct out o = {0};
    const char *s = in;
    put(&o, "", 0);
    pthread_mutex_lock(&lock);
    load_env_locked();
    while (*s) {
        size_t used = secret_rule(s, &o);
        if (!used && *s == ':')
            used = url_rule(in, s, &o);
        if (!used && (*s == 's' || *s == 'B' || *s == 'b'))
            used = token_rule(in, s, &o);
        if (!used) {
            size_t run = 1;
            /* Without configured secrets, plain bytes go in runs up to the
             * next byte a pattern can start at. */
            while (nsecrets == 0 && s[run] && !strchr(":sBb", s[run]))
                run++;
            put(&o, s, run);
            used = run;
        }
        s += used;
    }
    pthread_mutex_unlock(&lock);
    return o.s;
}

void redact_text(const char *in, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    char *r = redact_all(in ? in : "");
    size_t n = strlen(r);
    if (n >= outlen) {
        n = outlen - 1;
        while (n > 0 && ((unsigned char)r[n] & 0xC0) == 0x80)
            n--;
    }
    memmove(out, r, n);
    out[n] = '\0';
    free(r);
}

char *redact_dup(const char *in)
{
    return redact_all(in ? in : "");
}
