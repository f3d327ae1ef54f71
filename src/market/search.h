/* search: the agent's web search (Jina's s.jina.ai) as a look-ahead-safe
 * tool. Owns the HTTP GET (timeouts, bounded body, no redirects), reading
 * Jina's JSON answer ({"data": [{title, url, description, content, date,
 * publishedTime}, ...]}) and the date filter: a result is kept only when its
 * date and its publishedTime, each that it carries, are absolute dates
 * strictly before the simulated day; undated results and relative dates
 * ("3 hours ago", relative to the real clock) are dropped. Offered only when JINA_API_KEY is set;
 * JINA_API_BASE overrides the endpoint (tests point it at a local fake). */
#ifndef TRADER_SEARCH_H
#define TRADER_SEARCH_H

#include <stdatomic.h>
#include <stddef.h>

#include <json-c/json.h>

#include "base/dates.h"

#define SEARCH_ENV_KEY "JINA_API_KEY"
#define SEARCH_ENV_BASE "JINA_API_BASE"
#define SEARCH_DEFAULT_BASE "https://s.jina.ai"
#define SEARCH_MAX_RESULTS 5          /* results answered per query */
#define SEARCH_CONTENT_MAX 1000       /* bytes of a result's content kept */
#define SEARCH_QUERY_MAX 500          /* longest accepted query */
#define SEARCH_KEY_MAX 512            /* longest accepted API key */
#define SEARCH_MAX_RESPONSE (4 << 20) /* a larger answer is refused */
#define SEARCH_TIMEOUT_MS 30000L
#define SEARCH_CONNECT_TIMEOUT_MS 10000L

/* Where and how to search. Strings are borrowed. */
struct search_config {
    const char *base_url; /* "https://s.jina.ai"; the query goes to {base}/?q=... */
    const char *api_key;  /* sent as "Authorization: Bearer KEY" */
    long timeout_ms;
    long connect_timeout_ms;
    const atomic_int *stop; /* optional: nonzero aborts a transfer */
    int snippets_only;      /* titles and descriptions only: no page text asked or passed */
};

/* Whether the search tool is offered. */
enum search_key { SEARCH_ERROR = -1, SEARCH_NO_KEY, SEARCH_KEY_SET };

/* Fills *out from the environment: SEARCH_KEY_SET when JINA_API_KEY is set
 * (the search tool is offered), SEARCH_NO_KEY when it is not, SEARCH_ERROR
 * when JINA_API_BASE is not an http:// or https:// URL or the key is
 * unusable (control characters, over SEARCH_KEY_MAX bytes). The strings
 * point into the environment. */
enum search_key search_config_from_env(struct search_config *out, char *err, size_t errlen);

/* What search_run did: SEARCH_REFUSED is a tool error the model can read
 * (empty or overlong query, the endpoint failed or answered something else
 * than Jina's JSON), with the values of the tools' refusal convention. */
enum search_outcome { SEARCH_ANSWERED, SEARCH_REFUSED };

/* Runs query for a model trading on today. *answer (caller frees with
 * json_object_put) is {"query", "results": [{title, url, description,
 * date, content}], "dropped"} or, when refused, {"error": ...}. It cannot
 * fail: out of memory ends the process (mem.h). */
enum search_outcome search_run(const struct search_config *cfg, const char *query,
                               const char *today, json_object **answer);

/* The calendar date of a result's date text: ISO 8601 ("2025-01-02",
 * "2025-01-02T08:00:00+00:00") or English ("Jan 2, 2025", "January 2,
 * 2025", "2 Jan 2025"). Returns 0 and fills out, or -1 when the text names
 * no absolute date. */
int search_parse_date(const char *text, char out[DATE_BUF]);

#endif
