/* http: see http.h. The request's decoded path and query live in one
 * allocation sized from the raw URI (decoding never grows text), so a request
 * costs a bounded amount of memory and is freed in one call. */
#include "http.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/redact.h"
#include "base/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* What a tagged answer says: clients may store it but must revalidate it. */
#define HTTP_CACHE_TAGGED "no-cache"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the n bytes of s into out (NUL-terminated). '%' must be followed by
 * two hex digits and may not encode NUL; plus_space turns '+' into ' ' (query
 * syntax). Returns the decoded length, or -1 on malformed input. */
static long pct_decode(const char *s, size_t n, bool plus_space, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
            continue;
        }
        out[o++] = plus_space && c == '+' ? ' ' : c;
    }
    out[o] = '\0';
    return (long)o;
}

int http_json(struct response *resp, int status, json_object *body)
{
    json_object_put(resp->body);
    resp->status = status;
    resp->body = body;
    return 0;
}

json_object *http_error(struct response *resp, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    redact_text(msg, msg, sizeof(msg)); /* a config error may quote an endpoint */
    json_object *o = json_new_object();
    json_put(o, "error", json_object_new_string(code));
    json_put(o, "message", json_object_new_string(msg));
    http_json(resp, status, o);
    return o;
}

void http_detail(json_object *e, const char *key, const char *value)
{
    json_object *d;
    if (!json_object_object_get_ex(e, "details", &d)) {
        d = json_new_object();
        json_put(e, "details", d);
    }
    json_put_string_or_null(d, key, value);
}

/* A 400 naming the offending input (echoed safely) in details. Returns -1. */
static int bad_request(struct response *resp, const char *what, const char *input)
{
    char echo[ERR_ECHO_BUF];
    http_detail(http_error(resp, 400, "invalid_request", "%s", what), "input",
                err_echo(input, echo));
    return -1;
}

/* 400 for decoded text that is not UTF-8; nothing of it is echoed. */
static int not_utf8(struct response *resp, const char *where)
{
    http_error(resp, 400, "invalid_request", "The %s is not valid UTF-8", where);
    return -1;
}

/* Splits the raw path (starting with '/') into decoded segments stored at
 * *dst, advancing it. */
static int split_path(struct request *req, const char *raw, char **dst, struct response *resp)
{
    const char *p = raw + 1;
    for (;;) {
        size_t n = strcspn(p, "/");
        if (req->nseg == HTTP_MAX_SEGMENTS) {
            http_error(resp, 404, "not_found", "Not found");
            return -1;
        }
        long len = pct_decode(p, n, false, *dst);
        if (len < 0)
            return bad_request(resp, "Malformed percent-encoding in the path", raw);
        if (!utf8_valid(*dst, (size_t)len))
            return not_utf8(resp, "path");
        req->seg[req->nseg++] = *dst;
        *dst += len + 1;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/* Splits query into name=value pairs decoded at *dst. Empty pairs ("a&&b")
 * are skipped; a pair without '=' has the empty value. */
static int split_query(struct request *req, const char *query, char **dst, struct response *resp)
{
    const char *p = query;
    while (*p) {
        size_t n = strcspn(p, "&");
        if (n > 0) {
            if (req->nparams == HTTP_MAX_PARAMS) {
                http_error(resp, 400, "invalid_request", "Too many query parameters (max %d)",
                           HTTP_MAX_PARAMS);
                return -1;
            }
            const char *eq = memchr(p, '=', n);
            size_t nlen = eq ? (size_t)(eq - p) : n;
            struct http_param *hp = &req->params[req->nparams];
            long nl = pct_decode(p, nlen, true, *dst);
            long vl =
                nl < 0 ? -1
                       : pct_decode(eq ? eq + 1 : "", eq ? n - nlen - 1 : 0, true, *dst + nl + 1);
            if (vl < 0)
                return bad_request(resp, "Malformed percent-encoding in the query", query);
            if (!utf8_valid(*dst, (size_t)(nl + 1 + vl)))
                return not_utf8(resp, "query string");
            hp->name = *dst;
            hp->value = *dst + nl + 1;
            *dst += nl + vl + 2;
            req->nparams++;
        }
        p += n;
        if (*p == '&')
            p++;
    }
    return 0;
}

/* A strict non-negative decimal; -1 when s is not one or too large. */
static long long parse_length(const char *s)
{
    long long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (1LL << 40))
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

int http_parse(FCGX_ParamArray envp, struct request *req, struct response *resp)
{
    memset(req, 0, sizeof(*req));
    req->content_length = -1;
    const char *method = FCGX_GetParam("REQUEST_METHOD", envp);
    const char *uri = FCGX_GetParam("REQUEST_URI", envp);
    const char *query = FCGX_GetParam("QUERY_STRING", envp);
    const char *ctype = FCGX_GetParam("CONTENT_TYPE", envp);
    const char *clen = FCGX_GetParam("CONTENT_LENGTH", envp);
    const char *inm = FCGX_GetParam("HTTP_IF_NONE_MATCH", envp);
    req->remote_addr = FCGX_GetParam("REMOTE_ADDR", envp);
    req->authorization = FCGX_GetParam("HTTP_AUTHORIZATION", envp);

    if (!method || !*method || strlen(method) >= sizeof(req->method))
        return bad_request(resp, "Missing or invalid request method", method ? method : "");
    memcpy(req->method, method, strlen(method) + 1);
    if (!uri || uri[0] != '/')
        return bad_request(resp, "Missing or invalid request URI", uri ? uri : "");
    size_t pathlen = strcspn(uri, "?");
    if (!query)
        query = uri[pathlen] ? uri + pathlen + 1 : "";
    if (strlen(uri) > HTTP_MAX_URI || strlen(query) > HTTP_MAX_URI) {
        http_error(resp, 414, "invalid_request", "Request URI too long (max %d bytes)",
                   HTTP_MAX_URI);
        return -1;
    }
    if (ctype) {
        if (strlen(ctype) >= sizeof(req->content_type))
            return bad_request(resp, "Content-Type too long", ctype);
        memcpy(req->content_type, ctype, strlen(ctype) + 1);
    }
    if (inm && strlen(inm) < sizeof(req->if_none_match))
        memcpy(req->if_none_match, inm, strlen(inm) + 1);
    if (clen && *clen && (req->content_length = parse_length(clen)) < 0)
        return bad_request(resp, "Invalid Content-Length", clen);

    /* raw path + NUL, decoded segments (<= raw path + NULs), decoded query
     * pairs (<= query + 2 NULs per pair). */
    size_t qlen = strlen(query);
    req->storage = mem_alloc(2 * (pathlen + 1) + HTTP_MAX_SEGMENTS + 2 * qlen + 2);
    char *dst = req->storage;
    memcpy(dst, uri, pathlen);
    dst[pathlen] = '\0';
    req->raw_path = dst;
    dst += pathlen + 1;
    if (split_path(req, req->raw_path, &dst, resp) != 0)
        return -1;
    return split_query(req, query, &dst, resp);
}

int http_read_body(FCGX_Stream *in, struct request *req, struct response *resp)
{
    size_t cap = 0, len = 0;
    char *buf = NULL;
    if (req->content_length > HTTP_MAX_BODY)
        goto too_large;
    for (;;) {
        if (len + 1 >= cap) { /* one byte stays for the NUL */
            if (cap > HTTP_MAX_BODY)
                goto too_large;
            ARRAY_RESERVE(buf, cap, cap ? cap + 1 : 4096);
        }
        int n = FCGX_GetStr(buf + len, (int)(cap - 1 - len), in);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (len > HTTP_MAX_BODY)
        goto too_large;
    if (len == 0) {
        free(buf);
        return 0;
    }
    buf[len] = '\0';
    req->body = buf;
    req->body_len = len;
    return 0;
too_large:
    free(buf);
    http_error(resp, 413, "payload_too_large", "Request body too large (max %d bytes)",
               HTTP_MAX_BODY);
    return -1;
}

void http_request_free(struct request *req)
{
    free(req->storage);
    free(req->body);
    req->storage = req->body = NULL;
}

void http_response_free(struct response *resp)
{
    json_object_put(resp->body);
    resp->body = NULL;
}

const char *http_param(const struct request *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

bool http_is_json(const struct request *req)
{
    static const char mime[] = "application/json";
    size_t n = sizeof(mime) - 1;
    const char *rest = req->content_type + n;
    if (strncasecmp(req->content_type, mime, n) != 0)
        return false;
    rest += strspn(rest, " \t");
    return *rest == '\0' || *rest == ';';
}

bool http_etag_matches(const char *header, const char *etag)
{
    const char *p = header;
    size_t want = strlen(etag);
    if (!*etag)
        return false;
    while (*p) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        size_t t = n;
        while (t > 0 && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        const char *tag = p;
        if (t >= 2 && strncmp(tag, "W/", 2) == 0)
            tag += 2, t -= 2;
        if ((t == 1 && *tag == '*') || (t == want && strncmp(tag, etag, want) == 0))
            return true;
        p += n;
    }
    return false;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

int http_send(FCGX_Stream *out, const struct response *resp)
{
    /* For a response no handler filled (a bug): an answer all the same. */
    static const char fallback[] = "{\"error\":\"internal\",\"message\":\"Internal error\"}";
    int status = resp->status;
    size_t len = 0;
    const char *text = NULL;
    char head[448 + HTTP_ETAG_MAX];
    /* For nginx's micro-cache: a tagged answer may be kept until the end of
     * the current second (nginx's clock has whole seconds), so no cached
     * answer is a second old. nginx drops the header before the client. */
    long long until = (long long)time(NULL);
    if (status == 304) {
        int n = snprintf(head, sizeof(head),
                         "Status: 304 Not Modified\r\nETag: %s\r\nX-Accel-Expires: @%lld\r\n"
                         "Cache-Control: %s\r\n%s%s%s\r\n",
                         resp->etag, until, HTTP_CACHE_TAGGED,
                         resp->replica_lag[0] ? "X-Trader-Replica-Lag: " : "", resp->replica_lag,
                         resp->replica_lag[0] ? "\r\n" : "");
        return n > 0 && (size_t)n < sizeof(head) && FCGX_PutStr(head, n, out) >= 0 ? 0 : -1;
    }
    if (resp->body &&
        !(text = json_object_to_json_string_length(
              resp->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len)))
        mem_fatal(0);
    if (!text) {
        status = 500;
        text = fallback;
        len = sizeof(fallback) - 1;
    }
    /* Only a 200 has a tag: revalidated (no-cache) rather than never stored. */
    const char *etag = status == 200 ? resp->etag : "";
    /* libfcgi's own printf lacks %zu: format the head here. */
    int n = snprintf(head, sizeof(head),
                     "Status: %d %s\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "%s%s%s%s%s%s%s%s%s",
                     status, reason(status), len + 1, resp->allow[0] ? "Allow: " : "", resp->allow,
                     resp->allow[0] ? "\r\n" : "", resp->challenge[0] ? "WWW-Authenticate: " : "",
                     resp->challenge, resp->challenge[0] ? "\r\n" : "",
                     resp->replica_lag[0] ? "X-Trader-Replica-Lag: " : "", resp->replica_lag,
                     resp->replica_lag[0] ? "\r\n" : "");
    if (n > 0 && (size_t)n < sizeof(head))
        n += etag[0] ? snprintf(head + n, sizeof(head) - (size_t)n,
                                "ETag: %s\r\nX-Accel-Expires: @%lld\r\nCache-Control: %s\r\n", etag,
                                until, HTTP_CACHE_TAGGED)
                     : snprintf(head + n, sizeof(head) - (size_t)n, "Cache-Control: no-store\r\n");
    if (n > 0 && (size_t)n < sizeof(head))
        n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
    if (n < 0 || (size_t)n >= sizeof(head) || FCGX_PutStr(head, n, out) < 0 ||
        FCGX_PutStr(text, (int)len, out) < 0 || FCGX_PutS("\n", out) < 0)
        return -1;
    return 0;
}
