/* llm: see llm.h. */
#include "agent/llm.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/webreq.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define SYNTH_ID_MAX 64
#define JSON_MAX_DEPTH 64
#define POLL_STEP 0.05 /* seconds between checks of the stop flag while sleeping */

/* A reply parse step's outcome: a malformed reply (transient: asked again)
 * or one we refuse (permanent, see llm.h). */
enum reply_check {
    REPLY_ERROR = -1, /* malformed; err says why */
    REPLY_OK,
    REPLY_REFUSED, /* refused; err says why */
};

struct body {
    char *p;
    size_t len, cap, max;
    int too_large;
};

struct llm_client {
    struct llm_config cfg; /* limits only: its string pointers are not kept */
    char *url;             /* {base}/chat/completions */
    char *model;
    CURL *curl;
    struct curl_slist *headers;
    unsigned long requests; /* llm_chat calls so far, numbers synthesized ids */
    /* State of the attempt in flight, reset by chat_once. */
    struct body body;
    char retry_after[64];
    char curl_err[CURL_ERROR_SIZE];
    const atomic_int *stop;
};

/* The verdict on one attempt. */
struct attempt {
    enum llm_errclass cls;
    enum llm_errkind kind;
    long status;
    double retry_after; /* seconds, < 0 when the server sent none */
};

/* What a provider's error body says, reduced to a quotable line. */
struct provider_error {
    char text[LLM_EXCERPT_MAX + 96];
    int quota;        /* error.type or error.code is insufficient_quota */
    int context;      /* the request does not fit the model's context window */
    int permanent;    /* a code that no retry can fix */
    long status_code; /* a numeric error.code (OpenRouter-style), else 0 */
};

static const char *const permanent_codes[] = {
    "invalid_request_error", "invalid_api_key", "authentication_error",
    "permission_error",      "model_not_found", "context_length_exceeded",
};

void llm_config_init(struct llm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ms = LLM_DEFAULT_CONNECT_TIMEOUT_MS;
    cfg->timeout_ms = LLM_DEFAULT_TIMEOUT_MS;
    cfg->max_response_bytes = LLM_DEFAULT_MAX_RESPONSE;
    cfg->max_retries = LLM_DEFAULT_MAX_RETRIES;
    cfg->base_delay = LLM_DEFAULT_BASE_DELAY;
    cfg->max_delay = LLM_DEFAULT_MAX_DELAY;
    cfg->max_retry_after = LLM_DEFAULT_MAX_RETRY_AFTER;
    cfg->max_tool_calls = LLM_DEFAULT_MAX_TOOL_CALLS;
    cfg->max_reply_bytes = LLM_DEFAULT_MAX_REPLY_BYTES;
}

int llm_global_init(char *err, size_t errlen)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return err_set(err, errlen, "curl_global_init: %s", curl_easy_strerror(rc));
    return 0;
}

void llm_global_cleanup(void)
{
    curl_global_cleanup();
}

const char *llm_errclass_name(enum llm_errclass cls)
{
    switch (cls) {
    case LLM_OK:
        return "ok";
    case LLM_TRANSIENT:
        return "transient";
    case LLM_PERMANENT:
        return "permanent";
    case LLM_INTERRUPTED:
        return "interrupted";
    }
    return "unknown";
}

/* Records the verdict on an attempt and passes rc through, so failures read
 * `return verdict(a, cls, kind, err_set(err, errlen, ...))`. */
static int verdict(struct attempt *a, enum llm_errclass cls, enum llm_errkind kind, int rc)
{
    a->cls = cls;
    a->kind = kind;
    return rc;
}

/* Copies at most LLM_EXCERPT_MAX bytes of s into out (size outlen), control
 * characters turned into spaces, cut on a UTF-8 boundary, "..." when cut. */
static void excerpt(const char *s, size_t len, char *out, size_t outlen)
{
    if (outlen < 4) { /* room for "..." and the NUL at least */
        if (outlen)
            out[0] = '\0';
        return;
    }
    size_t n = len < LLM_EXCERPT_MAX ? len : LLM_EXCERPT_MAX;
    if (n + 4 > outlen)
        n = outlen - 4;
    int cut = n < len;
    while (cut && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    strcpy(out + n, cut ? "..." : "");
}

static bool is_json_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* A syntax check of RFC 8259 JSON: json-c's strict mode still accepts
 * single-quoted keys, NaN, Infinity, "1." and raw control characters, which a
 * provider would refuse when the text is sent back. */
struct scan {
    const char *s;
    size_t n, i;
};

static void scan_ws(struct scan *p)
{
    while (p->i < p->n && is_json_ws(p->s[p->i]))
        p->i++;
}

static bool scan_eat(struct scan *p, char ch)
{
    if (p->i < p->n && p->s[p->i] == ch) {
        p->i++;
        return true;
    }
    return false;
}

static bool scan_digits(struct scan *p)
{
    size_t start = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i > start;
}

static int scan_string(struct scan *p)
{
    if (!scan_eat(p, '"'))
        return -1;
    while (p->i < p->n) {
        unsigned char ch = (unsigned char)p->s[p->i++];
        if (ch == '"')
            return 0;
        if (ch < 0x20)
            return -1;
        if (ch != '\\')
            continue;
        if (p->i >= p->n)
            return -1;
        ch = (unsigned char)p->s[p->i++];
        if (ch == 'u') {
            for (int k = 0; k < 4; k++, p->i++)
                if (p->i >= p->n || !isxdigit((unsigned char)p->s[p->i]))
                    return -1;
        } else if (!ch || !strchr("\"\\/bfnrt", ch)) {
            return -1;
        }
    }
    return -1;
}

static int scan_number(struct scan *p)
{
    scan_eat(p, '-');
    if (!scan_eat(p, '0') &&
        !(p->i < p->n && p->s[p->i] >= '1' && p->s[p->i] <= '9' && scan_digits(p)))
        return -1;
    if (scan_eat(p, '.') && !scan_digits(p))
        return -1;
    if (scan_eat(p, 'e') || scan_eat(p, 'E')) {
        if (!scan_eat(p, '+'))
            scan_eat(p, '-');
        if (!scan_digits(p))
            return -1;
    }
    return 0;
}

static int scan_literal(struct scan *p, const char *lit)
{
    size_t len = strlen(lit);
    if (p->n - p->i < len || memcmp(p->s + p->i, lit, len) != 0)
        return -1;
    p->i += len;
    return 0;
}

static int scan_value(struct scan *p, int depth)
{
    scan_ws(p);
    if (p->i >= p->n)
        return -1;
    char ch = p->s[p->i];
    if (ch == '"')
        return scan_string(p);
    if (ch == 't')
        return scan_literal(p, "true");
    if (ch == 'f')
        return scan_literal(p, "false");
    if (ch == 'n')
        return scan_literal(p, "null");
    if (ch != '{' && ch != '[')
        return scan_number(p);
    if (depth >= JSON_MAX_DEPTH)
        return -1;
    char close = ch == '{' ? '}' : ']';
    p->i++;
    scan_ws(p);
    if (scan_eat(p, close))
        return 0;
    do {
        if (ch == '{') {
            scan_ws(p);
            if (scan_string(p) < 0)
                return -1;
            scan_ws(p);
            if (!scan_eat(p, ':'))
                return -1;
        }
        if (scan_value(p, depth + 1) < 0)
            return -1;
        scan_ws(p);
    } while (scan_eat(p, ','));
    return scan_eat(p, close) ? 0 : -1;
}

/* Strictly parses exactly one JSON object (UTF-8 validated) from s[0..len). */
static int parse_json_object(const char *s, size_t len, json_object **out, char *err, size_t errlen)
{
    struct scan p = {s, len, 0};
    if (scan_value(&p, 0) < 0) {
        if (p.i >= len)
            return err_set(err, errlen, "truncated JSON (%zu bytes, value not closed)", len);
        return err_set(err, errlen, "invalid JSON at byte %zu", p.i);
    }
    scan_ws(&p);
    if (p.i != len)
        return err_set(err, errlen, "unexpected data after the JSON value at byte %zu", p.i);
    if (len > INT_MAX)
        return err_set(err, errlen, "JSON text too long");
    json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH + 1);
    if (!tok)
        mem_fatal(0);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, s, (int)len);
    int ret = -1;
    if (!o)
        err_set(err, errlen, "invalid JSON at byte %zu: %s", json_tokener_get_parse_end(tok),
                json_tokener_error_desc(json_tokener_get_error(tok)));
    else if (!json_object_is_type(o, json_type_object))
        err_set(err, errlen, "not a JSON object");
    else
        ret = 0;
    if (ret == 0)
        *out = o;
    else
        json_object_put(o);
    json_tokener_free(tok);
    return ret;
}

int llm_parse_arguments(const char *s, json_object **out, char *err, size_t errlen)
{
    if (!s)
        return err_set(err, errlen, "no arguments");
    return parse_json_object(s, strlen(s), out, err, errlen);
}

int llm_retry_after_parse(const char *value, time_t now, double *out)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value >= '0' && *value <= '9') {
        char *end;
        double d = strtod(value, &end);
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end != '\0' || !isfinite(d))
            return -1;
        *out = d;
        return 0;
    }
    time_t t = curl_getdate(value, &now);
    if (t == (time_t)-1)
        return -1;
    double d = difftime(t, now);
    *out = d > 0 ? d : 0;
    return 0;
}

static bool code_is_permanent(const char *code)
{
    for (size_t i = 0; code[0] && i < sizeof(permanent_codes) / sizeof(permanent_codes[0]); i++)
        if (strcmp(code, permanent_codes[i]) == 0)
            return true;
    return false;
}

/* Providers word a full context window differently (vLLM: "maximum context
 * length", Ollama and others: "context window", "prompt is too long"). */
static bool says_context_full(const char *msg)
{
    static const char *const phrases[] = {"context length", "context window", "prompt is too long",
                                          "too many tokens"};
    for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
        if (strcasestr(msg, phrases[i]))
            return true;
    return false;
}

/* Describes an error body. e is the "error" member (object or string), or the
 * whole body when it has none, or NULL when the body is not JSON; without a
 * message in e the raw body is quoted. */
static void describe_error(json_object *e, const char *raw, size_t rawlen,
                           struct provider_error *pe)
{
    char msg[LLM_EXCERPT_MAX + 4], type[40] = "", code[40] = "";
    const char *m = NULL;
    memset(pe, 0, sizeof(*pe));
    if (json_object_is_type(e, json_type_string)) {
        m = json_object_get_string(e);
    } else if (json_object_is_type(e, json_type_object)) {
        if (!(m = jsontext_string(e, "message")))
            m = jsontext_string(e, "detail");
        const char *t = jsontext_string(e, "type");
        if (t)
            excerpt(t, strlen(t), type, sizeof(type));
        json_object *cv = NULL;
        json_object_object_get_ex(e, "code", &cv);
        if (json_object_is_type(cv, json_type_int)) {
            pe->status_code = (long)json_object_get_int64(cv);
            snprintf(code, sizeof(code), "%ld", pe->status_code);
        } else if (json_object_is_type(cv, json_type_string)) {
            const char *cs = json_object_get_string(cv);
            excerpt(cs, strlen(cs), code, sizeof(code));
            char *end;
            long n = strtol(code, &end, 10);
            if (end != code && *end == '\0')
                pe->status_code = n;
        }
    }
    if (m)
        excerpt(m, strlen(m), msg, sizeof(msg));
    else
        excerpt(raw ? raw : "", raw ? rawlen : 0, msg, sizeof(msg));
    pe->quota = strcmp(type, "insufficient_quota") == 0 || strcmp(code, "insufficient_quota") == 0;
    pe->permanent = code_is_permanent(type) || code_is_permanent(code);
    pe->context = strcmp(type, "context_length_exceeded") == 0 ||
                  strcmp(code, "context_length_exceeded") == 0 || says_context_full(msg);
    if (strcmp(type, code) == 0)
        code[0] = '\0'; /* said once is enough */
    int paren = type[0] || code[0];
    snprintf(pe->text, sizeof(pe->text), "%s%s%s%s%s%s", msg[0] ? msg : "(empty body)",
             paren ? " (" : "", type, type[0] && code[0] ? ", " : "", code, paren ? ")" : "");
}

/* Transient statuses per the retry policy: request timeout, conflict, rate
 * limit and server errors. */
static enum llm_errclass status_class(long status)
{
    if (status == 408 || status == 409 || status == 429 || status >= 500)
        return LLM_TRANSIENT;
    return LLM_PERMANENT;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct body *b = ud;
    size_t n = size * nmemb;
    if (n > b->max - b->len) {
        b->too_large = 1;
        return 0; /* makes curl abort the transfer */
    }
    ARRAY_RESERVE(b->p, b->cap, b->len + n + 1);
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct llm_client *c = ud;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n > sizeof(name) - 1 && strncasecmp(buf, name, sizeof(name) - 1) == 0) {
        size_t i = sizeof(name) - 1, j = 0;
        while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        while (i < n && buf[i] != '\r' && buf[i] != '\n' && j + 1 < sizeof(c->retry_after))
            c->retry_after[j++] = buf[i++];
        c->retry_after[j] = '\0';
    }
    return n;
}

static int xferinfo_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct llm_client *c = ud;
    return c->stop && atomic_load(c->stop); /* non-zero aborts the transfer */
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int check_config(const struct llm_config *cfg, char *err, size_t errlen)
{
    const char *u = cfg->base_url;
    if (!u || (strncasecmp(u, "http://", 7) != 0 && strncasecmp(u, "https://", 8) != 0))
        return err_set(err, errlen, "base URL must start with http:// or https://");
    if (has_ctl(u) || strchr(u, ' ') || strlen(u) > 2000)
        return err_set(err, errlen, "base URL is too long or has spaces or control characters");
    if (!cfg->model || !cfg->model[0])
        return err_set(err, errlen, "no model id");
    if (cfg->api_key && has_ctl(cfg->api_key))
        return err_set(err, errlen, "API key contains control characters");
    if (cfg->connect_timeout_ms <= 0 || cfg->timeout_ms <= 0 || cfg->max_response_bytes == 0)
        return err_set(err, errlen, "timeouts and the response bound must be positive");
    if (cfg->max_retries < 0 || cfg->max_retries > 100)
        return err_set(err, errlen, "max_retries must be between 0 and 100");
    if (!(cfg->base_delay >= 0 && cfg->max_delay >= 0 && cfg->max_retry_after >= 0) ||
        !isfinite(cfg->base_delay) || !isfinite(cfg->max_delay) || !isfinite(cfg->max_retry_after))
        return err_set(err, errlen, "retry delays must be finite and non-negative");
    if (cfg->has_temperature && !isfinite(cfg->temperature))
        return err_set(err, errlen, "temperature must be finite");
    if (cfg->extra_body && !json_object_is_type(cfg->extra_body, json_type_object))
        return err_set(err, errlen, "extra_body must be a JSON object");
    if (cfg->max_tool_calls == 0 || cfg->max_reply_bytes == 0)
        return err_set(err, errlen, "the reply caps must be positive");
    return 0;
}

static void add_header(struct curl_slist **list, const char *h)
{
    struct curl_slist *l = curl_slist_append(*list, h);
    if (!l)
        mem_fatal(0);
    *list = l;
}

static CURLcode setup_curl(struct llm_client *c)
{
    /* webreq_new set the rest: protocols, no redirects (a 3xx is reported),
     * timeouts, user agent, error buffer. */
    CURL *h = c->curl;
    CURLcode r = curl_easy_setopt(h, CURLOPT_URL, c->url);
    r = r ? r : curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    r = r ? r : curl_easy_setopt(h, CURLOPT_POST, 1L);
    r = r ? r : curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    r = r ? r
          : curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->cfg.max_response_bytes);
    r = r ? r : curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    r = r ? r : curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->body);
    r = r ? r : curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    r = r ? r : curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    r = r ? r : curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    r = r ? r : curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    r = r ? r : curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    return r;
}

int llm_client_new(const struct llm_config *cfg, struct llm_client **out, char *err, size_t errlen)
{
    if (check_config(cfg, err, errlen) < 0)
        return -1;
    struct llm_client *c = mem_calloc(1, sizeof(*c));
    int ret = -1;
    c->cfg = *cfg;
    c->cfg.base_url = c->cfg.api_key = c->cfg.model = NULL;
    c->cfg.extra_body = NULL;
    c->body.max = cfg->max_response_bytes;
    /* A copy of its own: json-c reference counts are not atomic, and the
     * config may be read by other threads. */
    if (cfg->extra_body && json_object_deep_copy(cfg->extra_body, &c->cfg.extra_body, NULL) != 0)
        mem_fatal(0);
    /* The path goes before the base URL's query ("/v1?api-version=x"). */
    const char *query = cfg->base_url + strcspn(cfg->base_url, "?#");
    size_t blen = (size_t)(query - cfg->base_url), qlen = strcspn(query, "#");
    while (blen > 0 && cfg->base_url[blen - 1] == '/')
        blen--;
    static const char path[] = "/chat/completions";
    c->url = mem_alloc(blen + sizeof(path) + qlen);
    c->model = mem_strdup(cfg->model);
    memcpy(c->url, cfg->base_url, blen);
    memcpy(c->url + blen, path, sizeof(path) - 1);
    memcpy(c->url + blen + sizeof(path) - 1, query, qlen);
    c->url[blen + sizeof(path) - 1 + qlen] = '\0';

    add_header(&c->headers, "Content-Type: application/json");
    add_header(&c->headers, "Accept: application/json");
    add_header(&c->headers, "Expect:");
    if (cfg->api_key && cfg->api_key[0]) {
        size_t n = strlen(cfg->api_key) + sizeof("Authorization: Bearer ");
        char *h = mem_alloc(n);
        snprintf(h, n, "Authorization: Bearer %s", cfg->api_key);
        add_header(&c->headers, h);
        explicit_bzero(h, n);
        free(h);
    }
    c->curl = webreq_new("trader-llm/1", c->cfg.connect_timeout_ms, c->cfg.timeout_ms, c->curl_err);
    CURLcode rc = setup_curl(c);
    if (rc != CURLE_OK) {
        err_set(err, errlen, "curl setup: %s", curl_easy_strerror(rc));
        goto out;
    }
    *out = c;
    c = NULL;
    ret = 0;
out:
    llm_client_free(c);
    return ret;
}

void llm_client_free(struct llm_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    json_object_put(c->cfg.extra_body);
    free(c->body.p);
    free(c->url);
    free(c->model);
    free(c);
}

void llm_response_free(struct llm_response *r)
{
    if (!r)
        return;
    json_object_put(r->root_);
    free(r->calls);
    free(r->content_buf_);
    free(r);
}

static const char *const reasoning_fields[] = {"reasoning", "reasoning_content",
                                               "reasoning_details"};

/* messages with the reasoning fields removed from assistant messages (copies
 * of those; the others shared). A new reference. */
static json_object *without_reasoning(json_object *messages)
{
    json_object *out = json_new_array();
    for (size_t i = 0; i < json_object_array_length(messages); i++) {
        json_object *m = json_object_array_get_idx(messages, i), *copy = NULL;
        int has = 0;
        for (size_t k = 0; k < sizeof(reasoning_fields) / sizeof(reasoning_fields[0]); k++)
            has |= json_object_object_get_ex(m, reasoning_fields[k], NULL);
        if (!has) {
            copy = json_object_get(m);
        } else {
            if (json_object_deep_copy(m, &copy, NULL) != 0)
                mem_fatal(0);
            for (size_t k = 0; k < sizeof(reasoning_fields) / sizeof(reasoning_fields[0]); k++)
                json_object_object_del(copy, reasoning_fields[k]);
        }
        json_push(out, copy);
    }
    return out;
}

/* Adds the members of extra_body to b, except model and messages. */
static void merge_extra(json_object *b, json_object *extra)
{
    json_object_object_foreach(extra, key, val)
    {
        if (strcmp(key, "model") != 0 && strcmp(key, "messages") != 0)
            json_put(b, key, json_object_get(val));
    }
}

/* Serializes the request body. Caller frees the result. */
static char *build_request(struct llm_client *c, json_object *messages, json_object *tools)
{
    json_object *b = json_new_object();
    json_put(b, "model", json_object_new_string(c->model));
    json_put(b, "messages",
             c->cfg.drop_reasoning ? without_reasoning(messages) : json_object_get(messages));
    if (json_object_is_type(tools, json_type_array) && json_object_array_length(tools) > 0) {
        json_put(b, "tools", json_object_get(tools));
        json_put(b, "tool_choice", json_object_new_string("auto"));
    }
    if (c->cfg.has_temperature) {
        char t[32];
        snprintf(t, sizeof(t), "%.15g", c->cfg.temperature);
        json_put(b, "temperature", json_object_new_double_s(c->cfg.temperature, t));
    }
    if (c->cfg.max_tokens > 0)
        json_put(b, "max_tokens", json_object_new_int64(c->cfg.max_tokens));
    if (c->cfg.extra_body)
        merge_extra(b, c->cfg.extra_body);
    const char *s =
        json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s)
        mem_fatal(0);
    char *copy = mem_strdup(s);
    json_object_put(b);
    return copy;
}

static bool id_taken(json_object *calls, size_t n, const char *id, size_t except)
{
    for (size_t j = 0; j < n; j++) {
        const char *other =
            j == except ? NULL : jsontext_string(json_object_array_get_idx(calls, j), "id");
        if (other && strcmp(other, id) == 0)
            return true;
    }
    return false;
}

/* Gives call i a usable id: the provider's when it is a non-empty string not
 * used by an earlier call, else "call_<request>_<i>" (suffixed until unique
 * within the message). */
static void fix_call_id(unsigned long seq, json_object *calls, size_t n, size_t i)
{
    json_object *tc = json_object_array_get_idx(calls, i);
    const char *id = jsontext_string(tc, "id");
    int dup = 0;
    for (size_t j = 0; id && id[0] && j < i && !dup; j++) {
        const char *prev = jsontext_string(json_object_array_get_idx(calls, j), "id");
        dup = prev && strcmp(prev, id) == 0;
    }
    if (id && id[0] && !dup)
        return;
    char synth[SYNTH_ID_MAX];
    snprintf(synth, sizeof(synth), "call_%lu_%zu", seq, i);
    for (unsigned k = 1; id_taken(calls, n, synth, i); k++)
        snprintf(synth, sizeof(synth), "call_%lu_%zu_%u", seq, i, k);
    json_put(tc, "id", json_object_new_string(synth));
}

/* True when the JSON string s holds a NUL character. */
static bool nul_in(json_object *s)
{
    return json_object_is_type(s, json_type_string) &&
           strlen(json_object_get_string(s)) != (size_t)json_object_get_string_len(s);
}

/* A call shaped {"id", "name", "args" | "arguments"} rewritten in place as
 * {"id", "function": {"name", "arguments"}}; a call of another shape is left
 * alone. */
static void lift_flat_call(json_object *tc)
{
    json_object *name, *args = NULL;
    if (json_object_object_get_ex(tc, "function", NULL) ||
        !json_object_object_get_ex(tc, "name", &name) ||
        !json_object_is_type(name, json_type_string))
        return;
    if (!json_object_object_get_ex(tc, "args", &args))
        json_object_object_get_ex(tc, "arguments", &args);
    json_object *fn = json_new_object();
    json_put(fn, "name", json_object_get(name));
    if (args)
        json_put(fn, "arguments", json_object_get(args));
    json_put(tc, "function", fn);
    json_object_object_del(tc, "name");
    json_object_object_del(tc, "args");
    json_object_object_del(tc, "arguments");
}

/* Makes call i sendable back (arguments a string, type set) and fills its
 * view; the id is fixed separately once all provider ids are known. */
static enum reply_check normalize_call(json_object *tc, struct llm_tool_call *view, char *err,
                                       size_t errlen)
{
    json_object *fn, *args, *v;
    if (json_object_is_type(tc, json_type_object))
        lift_flat_call(tc);
    if (!json_object_is_type(tc, json_type_object) ||
        !json_object_object_get_ex(tc, "function", &fn) ||
        !json_object_is_type(fn, json_type_object) || !jsontext_string(fn, "name"))
        return err_set(err, errlen, "tool call without a function name");
    if (!json_object_object_get_ex(fn, "arguments", &args) || !args) {
        json_put(fn, "arguments", json_object_new_string("{}"));
    } else if (!json_object_is_type(args, json_type_string)) {
        /* The new string is made before the put drops the old object. */
        const char *text = json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
            mem_fatal(0);
        json_put(fn, "arguments", json_object_new_string(text));
    }
    if (!json_object_object_get_ex(tc, "type", NULL))
        json_put(tc, "type", json_object_new_string("function"));
    json_object_object_get_ex(fn, "arguments", &args);
    if ((json_object_object_get_ex(fn, "name", &v) && nul_in(v)) || nul_in(args) ||
        (json_object_object_get_ex(tc, "id", &v) && nul_in(v))) {
        err_set(err, errlen, "a NUL character in a tool call's name, id or arguments");
        return REPLY_REFUSED;
    }
    view->name = jsontext_string(fn, "name");
    view->arguments = jsontext_string(fn, "arguments");
    return REPLY_OK;
}

static enum reply_check parse_tool_calls(unsigned long seq, size_t max_calls,
                                         struct llm_response *r, char *err, size_t errlen)
{
    json_object *calls = NULL;
    json_object_object_get_ex(r->message, "tool_calls", &calls);
    if (!calls ||
        (json_object_is_type(calls, json_type_array) && json_object_array_length(calls) == 0)) {
        json_object_object_del(r->message, "tool_calls");
        return REPLY_OK;
    }
    if (!json_object_is_type(calls, json_type_array))
        return err_set(err, errlen, "tool_calls is not an array");
    size_t n = json_object_array_length(calls);
    if (n > max_calls) {
        err_set(err, errlen, "the reply has %zu tool calls, over the limit of %zu per reply", n,
                max_calls);
        return REPLY_REFUSED;
    }
    r->calls = mem_calloc(n, sizeof(*r->calls));
    for (size_t i = 0; i < n; i++) {
        enum reply_check rc =
            normalize_call(json_object_array_get_idx(calls, i), &r->calls[i], err, errlen);
        if (rc != REPLY_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        fix_call_id(seq, calls, n, i);
        r->calls[i].id = jsontext_string(json_object_array_get_idx(calls, i), "id");
    }
    r->ncalls = n;
    return REPLY_OK;
}

static enum reply_check refuse_nul(char *err, size_t errlen)
{
    err_set(err, errlen, "a NUL character in the content (text after it would be lost)");
    return REPLY_REFUSED;
}

/* The text of content: a string, or the text parts of an array joined. */
static enum reply_check parse_content(struct llm_response *r, char *err, size_t errlen)
{
    json_object *content = NULL;
    json_object_object_get_ex(r->message, "content", &content);
    if (json_object_is_type(content, json_type_string)) {
        if (nul_in(content))
            return refuse_nul(err, errlen);
        r->content = json_object_get_string(content);
    } else if (json_object_is_type(content, json_type_array)) {
        size_t total = 1, n = json_object_array_length(content);
        for (size_t i = 0; i < n; i++) {
            json_object *t = json_object_object_get(json_object_array_get_idx(content, i), "text");
            if (nul_in(t))
                return refuse_nul(err, errlen);
            total +=
                json_object_is_type(t, json_type_string) ? strlen(json_object_get_string(t)) : 0;
        }
        r->content_buf_ = mem_alloc(total);
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            json_object *part = json_object_array_get_idx(content, i);
            const char *t = jsontext_string(part, "text"), *type = jsontext_string(part, "type");
            if (t && (!type || strcmp(type, "text") == 0)) {
                memcpy(r->content_buf_ + len, t, strlen(t));
                len += strlen(t);
            }
        }
        r->content_buf_[len] = '\0';
        r->content = r->content_buf_;
    } else if (content) {
        return err_set(err, errlen, "content is neither text nor a list of parts");
    }
    /* An assistant message needs content or tool calls to be accepted back. */
    if (!content && r->ncalls == 0)
        json_put(r->message, "content", json_object_new_string(""));
    return REPLY_OK;
}

static long long usage_field(json_object *u, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(u, key, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    return (long long)json_object_get_int64(v);
}

/* A 2xx body that is an error object: classify by its numeric code when it has
 * one, as permanent for quota and request errors, else as transient. */
static int provider_failure(const char *src, json_object *e, struct attempt *a, char *err,
                            size_t errlen)
{
    struct provider_error pe;
    describe_error(e, NULL, 0, &pe);
    enum llm_errclass cls = LLM_TRANSIENT;
    if (pe.quota || pe.permanent)
        cls = LLM_PERMANENT;
    else if (pe.status_code >= 400 && pe.status_code <= 599)
        cls = status_class(pe.status_code);
    return verdict(
        a, cls, pe.quota ? LLM_E_QUOTA : LLM_E_PROVIDER,
        err_set(err, errlen, "error in HTTP %ld response from %s: %s", a->status, src, pe.text));
}

/* Bytes of r's content and tool calls (names and arguments). */
static size_t reply_bytes(const struct llm_response *r)
{
    size_t n = r->content ? strlen(r->content) : 0;
    for (size_t i = 0; i < r->ncalls; i++)
        n += (r->calls[i].name ? strlen(r->calls[i].name) : 0) +
             (r->calls[i].arguments ? strlen(r->calls[i].arguments) : 0);
    return n;
}

/* Fills r's views of its message and choice and checks them against cfg's
 * caps; the verdict in a when the reply is refused or malformed. */
static int parse_message(struct llm_response *r, json_object *choice, unsigned long seq,
                         const struct llm_config *cfg, const char *src, struct attempt *a,
                         char *err, size_t errlen)
{
    char why[ERRBUF_SIZE];
    enum reply_check rc;
    if (!json_object_object_get_ex(r->message, "role", NULL))
        json_put(r->message, "role", json_object_new_string("assistant"));
    if ((rc = parse_tool_calls(seq, cfg->max_tool_calls, r, why, sizeof(why))) != REPLY_OK ||
        (rc = parse_content(r, why, sizeof(why))) != REPLY_OK) {
        if (rc == REPLY_REFUSED)
            return verdict(a, LLM_PERMANENT, LLM_E_REPLY,
                           err_set(err, errlen, "reply from %s refused: %s", src, why));
        return verdict(a, LLM_TRANSIENT, LLM_E_BAD_RESPONSE,
                       err_set(err, errlen, "bad message from %s: %s", src, why));
    }
    if (reply_bytes(r) > cfg->max_reply_bytes)
        return verdict(a, LLM_PERMANENT, LLM_E_REPLY,
                       err_set(err, errlen,
                               "reply from %s refused: its content and tool calls are %zu bytes, "
                               "over the limit of %zu",
                               src, reply_bytes(r), cfg->max_reply_bytes));
    if (!(r->reasoning = jsontext_string(r->message, "reasoning_content")))
        r->reasoning = jsontext_string(r->message, "reasoning");
    r->finish_reason = jsontext_string(choice, "finish_reason");
    /* The provider's own failure mid-generation (OpenRouter): the reply is cut. */
    if (r->finish_reason && strcmp(r->finish_reason, "error") == 0)
        return verdict(
            a, LLM_TRANSIENT, LLM_E_PROVIDER,
            err_set(err, errlen, "%s ended the completion with finish_reason \"error\"", src));
    json_object *u;
    if (json_object_object_get_ex(r->root_, "usage", &u) &&
        json_object_is_type(u, json_type_object)) {
        r->usage.present = 1;
        r->usage.prompt_tokens = usage_field(u, "prompt_tokens");
        r->usage.completion_tokens = usage_field(u, "completion_tokens");
        r->usage.total_tokens = usage_field(u, "total_tokens");
    }
    return 0;
}

/* Parses body (from src, named in errors) as a chat.completion; seq numbers
 * synthesized tool-call ids; cfg gives the reply caps. */
static int parse_completion(const char *body, size_t len, const char *src, unsigned long seq,
                            const struct llm_config *cfg, struct llm_response **out,
                            struct attempt *a, char *err, size_t errlen)
{
    json_object *root = NULL, *e = NULL, *choices, *message;
    struct llm_response *r = NULL;
    char why[ERRBUF_SIZE];
    int ret = -1;
    if (parse_json_object(body, len, &root, why, sizeof(why)) < 0) {
        verdict(a, LLM_TRANSIENT, LLM_E_BAD_RESPONSE,
                err_set(err, errlen, "malformed response from %s: %s", src, why));
        goto out;
    }
    if (json_object_object_get_ex(root, "error", &e) && e) {
        provider_failure(src, e, a, err, errlen);
        goto out;
    }
    json_object *choice = NULL;
    if (json_object_object_get_ex(root, "choices", &choices) &&
        json_object_is_type(choices, json_type_array) && json_object_array_length(choices) > 0)
        choice = json_object_array_get_idx(choices, 0);
    if (!json_object_object_get_ex(choice, "message", &message) ||
        !json_object_is_type(message, json_type_object)) {
        verdict(a, LLM_TRANSIENT, LLM_E_BAD_RESPONSE,
                err_set(err, errlen, "response from %s has no choices[0].message", src));
        goto out;
    }
    r = mem_calloc(1, sizeof(*r));
    r->root_ = root; /* owns message and choice, which the views point into */
    root = NULL;
    r->message = message;
    if (parse_message(r, choice, seq, cfg, src, a, err, errlen) < 0)
        goto out;
    *out = r;
    r = NULL;
    ret = 0;
out:
    llm_response_free(r);
    json_object_put(root);
    return ret;
}

static bool is_json_content_type(const char *ct)
{
    static const char want[] = "application/json";
    if (!ct || strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return false;
    char next = ct[sizeof(want) - 1];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

static int http_failure(struct llm_client *c, struct attempt *a, char *err, size_t errlen)
{
    json_object *root = NULL, *e = NULL;
    struct provider_error pe;
    if (parse_json_object(c->body.p ? c->body.p : "", c->body.len, &root, NULL, 0) == 0 &&
        !json_object_object_get_ex(root, "error", &e))
        e = root;
    describe_error(e, c->body.p, c->body.len, &pe);
    json_object_put(root);
    if (pe.quota)
        return verdict(a, LLM_PERMANENT, LLM_E_QUOTA,
                       err_set(err, errlen, "quota exhausted: HTTP %ld from %s: %s", a->status,
                               c->url, pe.text));
    if (pe.context)
        return verdict(a, LLM_PERMANENT, LLM_E_CONTEXT,
                       err_set(err, errlen, "context length exceeded: HTTP %ld from %s: %s",
                               a->status, c->url, pe.text));
    if (a->status >= 300 && a->status < 400)
        return verdict(a, LLM_PERMANENT, LLM_E_HTTP,
                       err_set(err, errlen, "HTTP %ld from %s: redirects are not followed",
                               a->status, c->url));
    enum llm_errclass cls = a->status >= 200 ? status_class(a->status) : LLM_TRANSIENT;
    return verdict(a, cls, LLM_E_HTTP,
                   err_set(err, errlen, "HTTP %ld from %s: %s", a->status, c->url, pe.text));
}

static int curl_failure(struct llm_client *c, CURLcode rc, struct attempt *a, char *err,
                        size_t errlen)
{
    const char *detail = c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_ABORTED_BY_CALLBACK:
        return verdict(a, LLM_INTERRUPTED, LLM_E_STOPPED,
                       err_set(err, errlen, "request to %s interrupted (stop requested)", c->url));
    case CURLE_WRITE_ERROR: /* write_cb refuses only a body over the bound */
    case CURLE_FILESIZE_EXCEEDED:
        return verdict(a, LLM_PERMANENT, LLM_E_TOO_LARGE,
                       err_set(err, errlen, "response too large from %s (over %zu bytes)", c->url,
                               c->cfg.max_response_bytes));
    case CURLE_OPERATION_TIMEDOUT:
        return verdict(a, LLM_TRANSIENT, LLM_E_TIMEOUT,
                       err_set(err, errlen, "timeout talking to %s: %s", c->url, detail));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_OUT_OF_MEMORY:
        return verdict(a, LLM_PERMANENT, LLM_E_CONNECT,
                       err_set(err, errlen, "cannot talk to %s: %s", c->url, detail));
    default:
        return verdict(a, LLM_TRANSIENT, LLM_E_CONNECT,
                       err_set(err, errlen, "cannot talk to %s: %s", c->url, detail));
    }
}

/* One request and its verdict. */
static int chat_once(struct llm_client *c, const char *request, struct llm_response **out,
                     struct attempt *a, char *err, size_t errlen)
{
    c->body.len = 0;
    c->body.too_large = 0;
    c->retry_after[0] = '\0';
    c->curl_err[0] = '\0';
    CURLcode rc = curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, request);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &a->status);
    double ra;
    if (c->retry_after[0] && llm_retry_after_parse(c->retry_after, time(NULL), &ra) == 0)
        a->retry_after = ra;
    if (rc != CURLE_OK)
        return curl_failure(c, rc, a, err, errlen);
    if (a->status < 200 || a->status > 299)
        return http_failure(c, a, err, errlen);
    char *ct = NULL;
    curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ct);
    int ret = parse_completion(c->body.p ? c->body.p : "", c->body.len, c->url, c->requests,
                               &c->cfg, out, a, err, errlen);
    /* Some servers label JSON text/plain: a valid completion is taken as it
     * is; a body that is not one is explained by its type. */
    if (ret < 0 && a->kind == LLM_E_BAD_RESPONSE && !is_json_content_type(ct)) {
        char ex[LLM_EXCERPT_MAX + 4];
        excerpt(ct ? ct : "(none)", ct ? strlen(ct) : 6, ex, sizeof(ex));
        err_set(err, errlen, "HTTP %ld from %s with content type %s, not JSON", a->status, c->url,
                ex);
    }
    return ret;
}

int llm_response_parse(const char *body, size_t len, const char *source, unsigned long seq,
                       struct llm_response **out, char *err, size_t errlen)
{
    struct attempt a = {LLM_OK, LLM_E_NONE, 200, -1.0};
    struct llm_config cfg;
    llm_config_init(&cfg);
    return parse_completion(body, len, source, seq, &cfg, out, &a, err, errlen);
}

/* Sleeps secs seconds, polling stop. True as soon as stop is raised. */
static bool sleep_interrupted(double secs, const atomic_int *stop)
{
    struct timespec now, deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    double whole = floor(secs);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((secs - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    for (;;) {
        if (stop && atomic_load(stop))
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left =
            (double)(deadline.tv_sec - now.tv_sec) + (double)(deadline.tv_nsec - now.tv_nsec) / 1e9;
        if (left <= 0)
            return false;
        double step = left < POLL_STEP ? left : POLL_STEP;
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* The wait before retry number `retry` (1-based). */
static double retry_delay(const struct llm_client *c, int retry, double retry_after)
{
    if (retry_after >= 0)
        return retry_after < c->cfg.max_retry_after ? retry_after : c->cfg.max_retry_after;
    double d = ldexp(c->cfg.base_delay, retry - 1);
    return d < c->cfg.max_delay ? d : c->cfg.max_delay;
}

int llm_chat(struct llm_client *c, json_object *messages, json_object *tools,
             const atomic_int *stop, struct llm_response **out, struct llm_outcome *oc, char *err,
             size_t errlen)
{
    struct llm_outcome o = {LLM_PERMANENT, LLM_E_INTERNAL, 0, 0, 0.0};
    char last[ERRBUF_SIZE] = "";
    char *request = NULL;
    int ret = -1;
    if (!json_object_is_type(messages, json_type_array)) {
        err_set(err, errlen, "messages must be a JSON array");
        goto out;
    }
    request = build_request(c, messages, tools);
    c->requests++;
    c->stop = stop;
    for (;;) {
        struct attempt a = {LLM_OK, LLM_E_NONE, 0, -1.0};
        if (stop && atomic_load(stop)) {
            o.cls = LLM_INTERRUPTED;
            o.kind = LLM_E_STOPPED;
            err_set(err, errlen, "interrupted before sending%s%s", last[0] ? ": " : "", last);
            break;
        }
        o.attempts++;
        ret = chat_once(c, request, out, &a, last, sizeof(last));
        o.cls = a.cls;
        o.kind = a.kind;
        o.http_status = a.status;
        if (ret == 0 || a.cls != LLM_TRANSIENT || o.attempts > c->cfg.max_retries) {
            if (ret < 0 && o.attempts > 1)
                err_set(err, errlen, "giving up after %d attempts: %s", o.attempts, last);
            else if (ret < 0)
                err_set(err, errlen, "%s", last);
            break;
        }
        double d = retry_delay(c, o.attempts, a.retry_after);
        o.delay_total += d;
        if (sleep_interrupted(d, stop)) {
            o.cls = LLM_INTERRUPTED;
            o.kind = LLM_E_STOPPED;
            err_set(err, errlen, "interrupted while waiting to retry (last error: %s)", last);
            break;
        }
    }
    c->stop = NULL;
out:
    free(request);
    if (oc)
        *oc = o;
    return ret;
}
