/* search: see search.h. One GET per query with a fresh easy handle (a
 * search is rare next to the chat completions), the body collected in a
 * memory stream up to SEARCH_MAX_RESPONSE, then Jina's list filtered by
 * date and trimmed to what a model needs. */
#include "market/search.h"

#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/webreq.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define TEXT_MAX 500    /* bytes kept of a title or description */
#define EXCERPT_MAX 200 /* bytes of an endpoint's answer quoted in an error */

/* The answer body, written to a memory stream. */
struct sink {
    FILE *f;
    size_t len;
    int too_large;
};

enum search_key search_config_from_env(struct search_config *out, char *err, size_t errlen)
{
    const char *key = getenv(SEARCH_ENV_KEY), *base = getenv(SEARCH_ENV_BASE);
    if (!key || !*key)
        return SEARCH_NO_KEY;
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return err_set(err, errlen, "%s contains control characters", SEARCH_ENV_KEY);
    if (strlen(key) > SEARCH_KEY_MAX)
        return err_set(err, errlen, "%s is longer than %d bytes", SEARCH_ENV_KEY, SEARCH_KEY_MAX);
    if (!base || !*base)
        base = SEARCH_DEFAULT_BASE;
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
        return err_set(err, errlen, "%s must be an http:// or https:// URL", SEARCH_ENV_BASE);
    memset(out, 0, sizeof(*out));
    out->base_url = base;
    out->api_key = key;
    out->timeout_ms = SEARCH_TIMEOUT_MS;
    out->connect_timeout_ms = SEARCH_CONNECT_TIMEOUT_MS;
    return SEARCH_KEY_SET;
}

/* ---- dates ---------------------------------------------------------------- */

/* 1-12 for an English month name or its three-letter abbreviation ("Sept"
 * too), else 0. */
static int month_of(const char *s)
{
    static const char *const names[] = {"january",   "february", "march",    "april",
                                        "may",       "june",     "july",     "august",
                                        "september", "october",  "november", "december"};
    size_t n = strlen(s);
    for (int i = 0; i < 12; i++) {
        if (n < 3 || strncasecmp(s, names[i], 3) != 0)
            continue;
        if (n == 3 || strcasecmp(s, names[i]) == 0 || (i == 8 && strcasecmp(s, "sept") == 0))
            return i + 1;
    }
    return 0;
}

static int make_date(int y, int m, int d, char out[DATE_BUF])
{
    char buf[32];
    if (m < 1 || y < 1900 || y > 9999 || d < 1 || d > 31)
        return -1;
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
    if (!date_valid(buf))
        return -1;
    memcpy(out, buf, DATE_BUF);
    return 0;
}

int search_parse_date(const char *t, char out[DATE_BUF])
{
    char mon[16];
    int d, y, n = 0;
    if (!t)
        return -1;
    while (isspace((unsigned char)*t))
        t++;
    if (strlen(t) >= DATE_LEN && isdigit((unsigned char)t[0]) && t[4] == '-' &&
        (t[DATE_LEN] == '\0' || t[DATE_LEN] == 'T' || t[DATE_LEN] == ' ')) {
        char buf[DATE_BUF];
        memcpy(buf, t, DATE_LEN);
        buf[DATE_LEN] = '\0';
        if (!date_valid(buf))
            return -1;
        memcpy(out, buf, DATE_BUF);
        return 0;
    }
    if (sscanf(t, "%15[A-Za-z] %2d, %4d%n", mon, &d, &y, &n) == 3 && t[n] == '\0')
        return make_date(y, month_of(mon), d, out);
    n = 0;
    if (sscanf(t, "%2d %15[A-Za-z] %4d%n", &d, mon, &y, &n) == 3 && t[n] == '\0')
        return make_date(y, month_of(mon), d, out);
    return -1;
}

/* ---- the request ------------------------------------------------------------ */

static size_t sink_write(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;
    if (n > SEARCH_MAX_RESPONSE - s->len) {
        s->too_large = 1;
        return 0; /* aborts the transfer */
    }
    if (fwrite(p, 1, n, s->f) != n)
        return 0;
    s->len += n;
    return n;
}

static int stop_check(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const atomic_int *stop = ud;
    return stop && atomic_load(stop);
}

/* Up to EXCERPT_MAX printable bytes of s, for an error message. */
static void excerpt_of(const char *s, size_t len, char out[EXCERPT_MAX + 4])
{
    size_t n = len < EXCERPT_MAX ? len : EXCERPT_MAX, i;
    for (i = 0; i < n; i++)
        out[i] = isprint((unsigned char)s[i]) ? s[i] : ' ';
    snprintf(out + i, 4, "%s", len > n ? "..." : "");
}

/* GETs {base}/?q=query. On success *body (caller frees) holds the 2xx answer
 * (NUL-terminated, *len bytes); else why says what failed. */
static int fetch(const struct search_config *cfg, const char *query, char **body, size_t *len,
                 char *why, size_t whylen)
{
    struct sink s = {0};
    struct curl_slist *hdrs = NULL, *h2;
    char *buf = NULL, *url = NULL, *q = NULL, auth[SEARCH_KEY_MAX + 32];
    char cerr[CURL_ERROR_SIZE] = "";
    size_t size = 0;
    long status = 0;
    int rc = -1;
    CURL *h = webreq_new("trader-search/1", cfg->connect_timeout_ms, cfg->timeout_ms, cerr);
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    if (!(s.f = open_memstream(&buf, &size)) || !(q = curl_easy_escape(h, query, 0)))
        goto out;
    size_t blen = strlen(cfg->base_url);
    while (blen && cfg->base_url[blen - 1] == '/')
        blen--;
    if (asprintf(&url, "%.*s/?q=%s", (int)blen, cfg->base_url, q) < 0) {
        url = NULL;
        goto out;
    }
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cfg->api_key);
    if (!(hdrs = curl_slist_append(NULL, "Accept: application/json")))
        goto out;
    if (!(h2 = curl_slist_append(hdrs, auth)))
        goto out;
    hdrs = h2;
    /* Jina's switch for results without the pages' text. */
    if (cfg->snippets_only) {
        if (!(h2 = curl_slist_append(hdrs, "X-Respond-With: no-content")))
            goto out;
        hdrs = h2;
    }
    cc = curl_easy_setopt(h, CURLOPT_URL, url);
    cc = cc ? cc : curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    /* webreq_new set the rest: protocols, no redirects, timeouts. */
    cc = cc ? cc : curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    cc = cc ? cc : curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    cc = cc ? cc : curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stop_check);
    cc = cc ? cc : curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)cfg->stop);
    cc = cc ? cc : curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    cc = cc ? cc : curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
out:
    if (s.f && fclose(s.f) != 0 && cc == CURLE_OK)
        cc = CURLE_OUT_OF_MEMORY;
    if (s.too_large)
        err_set(why, whylen, "the answer is larger than %d bytes", SEARCH_MAX_RESPONSE);
    else if (cc != CURLE_OK)
        err_set(why, whylen, "%s", *cerr ? cerr : curl_easy_strerror(cc));
    else if (status < 200 || status > 299) {
        char ex[EXCERPT_MAX + 4];
        excerpt_of(buf, size, ex);
        err_set(why, whylen, "HTTP %ld: %s", status, ex);
    } else {
        *body = buf;
        *len = size;
        buf = NULL;
        rc = 0;
    }
    free(buf);
    free(url);
    curl_free(q);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

/* ---- the answer ------------------------------------------------------------- */

/* The string member key of o cut to max bytes on a UTF-8 boundary, as a new
 * JSON string ("" when absent). */
static json_object *text_field(json_object *o, const char *key, size_t max)
{
    const char *s = jsontext_string(o, key);
    if (!s)
        s = "";
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return json_object_new_string_len(s, (int)n);
}

/* The date of a Jina result: the later of "date" and "publishedTime" (an
 * item dated in the past may have been published after today). -1 when
 * neither is there or one that is there names no absolute date. */
static int result_date(json_object *item, char out[DATE_BUF])
{
    static const char *const keys[] = {"date", "publishedTime"};
    int found = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_object *v = NULL;
        char d[DATE_BUF];
        if (!json_object_object_get_ex(item, keys[i], &v) || !v)
            continue;
        if (!json_object_is_type(v, json_type_string) ||
            search_parse_date(json_object_get_string(v), d) != 0)
            return -1;
        if (!found || strcmp(d, out) > 0)
            memcpy(out, d, DATE_BUF);
        found = 1;
    }
    return found ? 0 : -1;
}

/* {"error": msg, "query": query} into *answer. */
static enum search_outcome refuse(const char *query, const char *msg, json_object **answer)
{
    json_object *o = json_new_object();
    json_put(o, "error", json_object_new_string(msg));
    json_put(o, "query", json_object_new_string(query));
    *answer = o;
    return SEARCH_REFUSED;
}

/* The kept results of Jina's data list into a new answer object (without
 * page text when snippets_only). */
static json_object *build_answer(const char *query, json_object *data, const char *today,
                                 int snippets_only)
{
    json_object *o = json_new_object(), *list = json_new_array();
    size_t n = json_object_array_length(data), dropped = 0;
    json_put(o, "query", json_object_new_string(query));
    json_put(o, "results", list);
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(data, i), *r;
        char d[DATE_BUF];
        if (!json_object_is_type(item, json_type_object) || result_date(item, d) != 0 ||
            strcmp(d, today) >= 0) {
            dropped++;
            continue;
        }
        if (json_object_array_length(list) == SEARCH_MAX_RESULTS)
            continue;
        json_push(list, r = json_new_object());
        json_put(r, "title", text_field(item, "title", TEXT_MAX));
        json_put(r, "url", text_field(item, "url", TEXT_MAX));
        json_put(r, "description", text_field(item, "description", TEXT_MAX));
        json_put(r, "date", json_object_new_string(d));
        if (!snippets_only)
            json_put(r, "content", text_field(item, "content", SEARCH_CONTENT_MAX));
    }
    json_put(o, "dropped", json_object_new_int64((int64_t)dropped));
    return o;
}

enum search_outcome search_run(const struct search_config *cfg, const char *query,
                               const char *today, json_object **answer)
{
    char why[ERRBUF_SIZE], msg[ERRBUF_SIZE + 64];
    char *body = NULL;
    size_t len = 0;
    json_object *root = NULL, *data = NULL;
    enum search_outcome rc;
    if (!query || !query[strspn(query, " \t\r\n")])
        return refuse("", "query must be a non-empty string", answer);
    if (strlen(query) > SEARCH_QUERY_MAX)
        return refuse("", "query is too long", answer);
    if (fetch(cfg, query, &body, &len, why, sizeof(why)) != 0) {
        snprintf(msg, sizeof(msg), "Search failed: %s", why);
        return refuse(query, msg, answer);
    }
    if (jsontext_parse(body, len, &root, why, sizeof(why)) != 0 ||
        !json_object_object_get_ex(root, "data", &data) ||
        !json_object_is_type(data, json_type_array)) {
        rc = refuse(query, "Search failed: the answer has no list of results", answer);
        goto out;
    }
    *answer = build_answer(query, data, today, cfg->snippets_only);
    rc = SEARCH_ANSWERED;
out:
    json_object_put(root);
    free(body);
    return rc;
}
