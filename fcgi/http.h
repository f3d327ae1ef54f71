/* http: one FastCGI request as the handlers see it, and the answer they give.
 * Owns parsing the FastCGI parameters (method, path split into decoded
 * segments, query parameters decoded with strict percent-decoding, content
 * type and length), the request limits, reading the body with a bound, and
 * writing the JSON answer with its status line and fixed headers. Nothing
 * here knows the routes. */
#ifndef TRADER_HTTP_H
#define TRADER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "base/errbuf.h"

#define HTTP_MAX_URI 2048
#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_PARAMS 32
#define HTTP_MAX_SEGMENTS 16
#define HTTP_METHOD_MAX 16
#define HTTP_ETAG_MAX 64
#define HTTP_CONDITION_MAX 512 /* a longer If-None-Match is ignored */

struct http_param {
    char *name, *value; /* decoded, NUL-terminated, point into request storage */
};

struct request {
    char method[HTTP_METHOD_MAX];
    const char *raw_path;         /* as sent, without the query; points into storage */
    char *seg[HTTP_MAX_SEGMENTS]; /* decoded path segments ("/a/b" -> "a", "b") */
    int nseg;
    struct http_param params[HTTP_MAX_PARAMS];
    int nparams;
    const char *path_arg;                   /* the value of the route's {param} segment, if any */
    char content_type[128];                 /* empty when none */
    char if_none_match[HTTP_CONDITION_MAX]; /* the If-None-Match header; empty when none */
    long long content_length;               /* -1 when not given */
    const char *remote_addr;                /* REMOTE_ADDR, NULL when not given */
    const char *authorization;              /* the Authorization header, NULL when absent */
    char *body;                             /* NUL-terminated; NULL when none was read */
    size_t body_len;
    char *storage; /* owns the decoded path and query */
};

struct response {
    int status;
    json_object *body;        /* owned; serialized by http_send */
    char allow[64];           /* Allow header for a 405, empty otherwise */
    char challenge[96];       /* WWW-Authenticate header for a 401/403, empty otherwise */
    char etag[HTTP_ETAG_MAX]; /* ETag header (quoted), empty for none; with one
                               * the answer is Cache-Control: no-cache */
    char replica_lag[24];     /* X-Trader-Replica-Lag header (seconds) for a read
                               * answered by a hot standby, empty otherwise */
    char err[ERRBUF_SIZE];    /* why a handler failed; logged, never sent */
};

/* Parses the FastCGI parameters envp into *req. On a request that breaks a
 * limit or the syntax, fills resp with the JSON error and returns -1; req is
 * still valid for http_request_free. */
int http_parse(FCGX_ParamArray envp, struct request *req, struct response *resp);

/* Reads the body from in, at most HTTP_MAX_BODY bytes; a larger one (declared
 * or sent) fills resp with 413 and returns -1. */
int http_read_body(FCGX_Stream *in, struct request *req, struct response *resp);

/* Frees what http_parse and http_read_body allocated. */
void http_request_free(struct request *req);

/* Frees the answer's body. */
void http_response_free(struct response *resp);

/* The decoded value of query parameter name, or NULL when absent. */
const char *http_param(const struct request *req, const char *name);

/* True when the request's content type is application/json (parameters such
 * as "; charset=utf-8" allowed). */
bool http_is_json(const struct request *req);

/* True when the If-None-Match list header names etag (weak comparison, as
 * RFC 9110 asks for If-None-Match; "*" names any). */
bool http_etag_matches(const char *header, const char *etag);

/* Sets resp to status with body (taking ownership of body). Returns 0. */
int http_json(struct response *resp, int status, json_object *body);

/* Sets resp to the error {"error": code, "message": ...}. Returns the error
 * object (owned by resp) so callers can add "details" or other fields. */
json_object *http_error(struct response *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds key: value (a string; NULL gives null) to the "details" object of
 * the error e, creating it. */
void http_detail(json_object *e, const char *key, const char *value);

/* Writes resp to out: Status line, Content-Type, Cache-Control, Content-Length,
 * Allow, WWW-Authenticate, X-Trader-Replica-Lag and ETag when set, then the
 * JSON body; a 304 is the status line, ETag, Cache-Control and
 * X-Trader-Replica-Lag alone. Returns 0, or -1 when the client is gone. */
int http_send(FCGX_Stream *out, const struct response *resp);

#endif
