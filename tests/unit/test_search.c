/* Unit tests for search's outcomes: the key and endpoint read from the
 * environment, and the refusals search_run answers without a result list
 * (an empty or overlong query, an endpoint that cannot be reached). */
#include "market/search.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static char err[512];

static void test_config(void)
{
    struct search_config c = {0};
    unsetenv(SEARCH_ENV_KEY);
    unsetenv(SEARCH_ENV_BASE);
    is_int(search_config_from_env(&c, err, sizeof(err)), SEARCH_NO_KEY, "no key: not offered");
    setenv(SEARCH_ENV_KEY, "bad\nkey", 1);
    is_int(search_config_from_env(&c, err, sizeof(err)), SEARCH_ERROR, "a control character");
    ok(strstr(err, "control characters") != NULL, "named: %s", err);
    setenv(SEARCH_ENV_KEY, "k", 1);
    setenv(SEARCH_ENV_BASE, "ftp://x", 1);
    is_int(search_config_from_env(&c, err, sizeof(err)), SEARCH_ERROR, "not an http URL");
    unsetenv(SEARCH_ENV_BASE);
    is_int(search_config_from_env(&c, err, sizeof(err)), SEARCH_KEY_SET, "a key: offered");
    is_str(c.base_url, SEARCH_DEFAULT_BASE, "the default endpoint");
}

/* search_run's answer to query is a refusal whose error starts with want. */
static void refused(const struct search_config *c, const char *query, const char *want)
{
    json_object *answer = NULL, *e;
    is_int(search_run(c, query, "2025-01-06", &answer), SEARCH_REFUSED, want);
    ok(answer && json_object_object_get_ex(answer, "error", &e) &&
           strncmp(json_object_get_string(e), want, strlen(want)) == 0,
       "  error: %s", answer ? json_object_to_json_string(answer) : "none");
    json_object_put(answer);
}

int main(void)
{
    char long_query[SEARCH_QUERY_MAX + 2];
    /* Port 1 of loopback: nothing listens, the connection is refused. */
    struct search_config c = {.base_url = "http://127.0.0.1:1",
                              .api_key = "k",
                              .timeout_ms = 5000,
                              .connect_timeout_ms = 5000};
    test_config();
    memset(long_query, 'a', sizeof(long_query) - 1);
    long_query[sizeof(long_query) - 1] = '\0';
    refused(&c, "  ", "query must be a non-empty string");
    refused(&c, long_query, "query is too long");
    refused(&c, "AAPL earnings", "Search failed: ");
    return tap_done();
}
