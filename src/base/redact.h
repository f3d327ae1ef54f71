/* redact: removes secrets from text before it leaves the service (stored
 * errors, log lines, answers). Owns the process-wide list of secrets to
 * remove: the API keys a loaded config holds and those of the environment
 * (OPENAI_API_KEY, JINA_API_KEY, ALPHAADVANTAGE_API_KEY,
 * TRADER_CALLBACK_SECRET). Besides those literal values it removes
 * OpenAI-style keys ("sk-..."), bearer tokens, the credentials of a URL
 * ("http://user:pass@host") and URL query strings (endpoint URLs carry keys
 * there: "/v1?api-key=..."). Thread-safe. */
#ifndef TRADER_REDACT_H
#define TRADER_REDACT_H

#include <stddef.h>

#define REDACT_MARK "[REDACTED]"
#define REDACT_SECRET_MIN 6 /* shorter values are not secrets worth matching */
#define REDACT_SECRETS_MAX 256

/* Remembers s (copied) as a secret to remove from now on; NULL, short or
 * already known values are ignored. -1 when the list is full (the patterns
 * still apply). */
int redact_add_secret(const char *s);

/* Writes in, redacted, to out (size outlen, NUL-terminated, cut at a UTF-8
 * character boundary when it does not fit). in and out may be the same
 * buffer. */
void redact_text(const char *in, char *out, size_t outlen);

/* A redacted copy of in (caller frees). */
char *redact_dup(const char *in);

#endif
