/* Unit tests for fcgi/http: parsing FastCGI parameters into a request (path
 * segments, strict percent-decoding, query pairs, limits, content type and
 * length), the JSON error shape and the safe echo of client input. */
#include "http.h"
#include "tap.h"

#include <stdlib.h>

static struct request req;
static struct response resp;

/* Parses a request made of the given FastCGI parameters ("NAME=value", NULL
 * terminated); returns http_parse's result. The previous one is freed. */
static int parse(const char *method, const char *uri, const char *query, const char *ctype,
                 const char *clen)
{
    char *env[8];
    char bufs[5][4200];
    int n = 0;
    const char *names[] = {"REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "CONTENT_TYPE",
                           "CONTENT_LENGTH"};
    const char *vals[] = {method, uri, query, ctype, clen};
    http_request_free(&req);
    http_response_free(&resp);
    memset(&resp, 0, sizeof(resp));
    for (int i = 0; i < 5; i++) {
        if (!vals[i])
            continue;
        snprintf(bufs[i], sizeof(bufs[i]), "%s=%s", names[i], vals[i]);
        env[n++] = bufs[i];
    }
    env[n] = NULL;
    return http_parse(env, &req, &resp);
}

/* The error code of the response, or "" when none. */
static const char *error_code(void)
{
    json_object *e;
    if (!resp.body || !json_object_object_get_ex(resp.body, "error", &e))
        return "";
    return json_object_get_string(e);
}

int main(void)
{
    char long_uri[4200];

    ok(parse("GET", "/simulate/status/abc-1", "", NULL, NULL) == 0, "simple GET parses");
    is_str(req.method, "GET", "method");
    is_int(req.nseg, 3, "three segments");
    is_str(req.seg[0], "simulate", "segment 0");
    is_str(req.seg[2], "abc-1", "segment 2");
    is_str(req.raw_path, "/simulate/status/abc-1", "raw path");
    is_int(req.content_length, -1, "no content length");

    ok(parse("GET", "/results?date=2025-01-02&model=gpt%2D5&detail=full", NULL, NULL, NULL) == 0,
       "query taken from the URI when QUERY_STRING is absent");
    is_int(req.nparams, 3, "three parameters");
    is_str(http_param(&req, "date"), "2025-01-02", "date");
    is_str(http_param(&req, "model"), "gpt-5", "percent-decoded value");
    ok(http_param(&req, "job_id") == NULL, "absent parameter is NULL");
    is_int(req.nseg, 1, "one segment");

    ok(parse("GET", "/results?a=1+2&&flag&b=%41%62&=x", "a=1+2&&flag&b=%41%62&=x", NULL, NULL) == 0,
       "plus, empty pair, flag without value");
    is_str(http_param(&req, "a"), "1 2", "+ is a space in the query");
    is_str(http_param(&req, "flag"), "", "a name alone has the empty value");
    is_str(http_param(&req, "b"), "Ab", "mixed-case hex digits");
    is_str(http_param(&req, ""), "x", "an empty name is kept (and ignored by routes)");

    ok(parse("GET", "/a+b/c%20d", "", NULL, NULL) == 0, "path with + and %%20");
    is_str(req.seg[0], "a+b", "+ is literal in the path");
    is_str(req.seg[1], "c d", "%20 decoded in the path");

    ok(parse("GET", "/simulate/status/a%2Fb", "", NULL, NULL) == 0, "encoded slash");
    is_int(req.nseg, 3, "an encoded slash does not split segments");
    is_str(req.seg[2], "a/b", "it is decoded inside its segment");

    ok(parse("GET", "/", "", NULL, NULL) == 0, "root path");
    is_int(req.nseg, 1, "root has one empty segment");
    is_str(req.seg[0], "", "empty segment");

    static const char *const bad_queries[] = {"a=%", "a=%4", "a=%zz", "a=%00", "a%=1", "a=%0g"};
    for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++) {
        ok(parse("GET", "/results", bad_queries[i], NULL, NULL) == -1, "malformed query %s",
           bad_queries[i]);
        is_int(resp.status, 400, "  is a 400");
        is_str(error_code(), "invalid_request", "  invalid_request");
    }
    ok(parse("GET", "/res%00ults", "", NULL, NULL) == -1, "%%00 in the path is refused");
    ok(parse("GET", "/res%ults", "", NULL, NULL) == -1, "bad escape in the path is refused");
    is_int(resp.status, 400, "  400");

    memset(long_uri, 'a', sizeof(long_uri));
    long_uri[0] = '/';
    long_uri[HTTP_MAX_URI] = '\0';
    ok(parse("GET", long_uri, "", NULL, NULL) == 0, "a URI of exactly the limit is fine");
    long_uri[HTTP_MAX_URI] = 'a';
    long_uri[HTTP_MAX_URI + 1] = '\0';
    ok(parse("GET", long_uri, "", NULL, NULL) == -1, "a longer URI is refused");
    is_int(resp.status, 414, "  with 414");
    is_str(error_code(), "invalid_request", "  invalid_request");

    char many[1024] = "";
    for (int i = 0; i <= HTTP_MAX_PARAMS; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "p%d=1&", i);
    ok(parse("GET", "/results", many, NULL, NULL) == -1, "too many query parameters");
    is_int(resp.status, 400, "  400");
    ok(parse("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", "", NULL, NULL) == -1,
       "too many path segments");
    is_int(resp.status, 404, "  is not found");

    ok(parse(NULL, "/health", "", NULL, NULL) == -1, "missing method");
    ok(parse("GETTTTTTTTTTTTTTTTTTTTTTT", "/health", "", NULL, NULL) == -1, "overlong method");
    ok(parse("GET", NULL, "", NULL, NULL) == -1, "missing URI");
    ok(parse("GET", "health", "", NULL, NULL) == -1, "URI not starting with /");

    ok(parse("POST", "/simulate/trigger", "", "application/json; charset=utf-8", "2") == 0,
       "POST with type and length");
    is_int(req.content_length, 2, "content length");
    ok(http_is_json(&req), "application/json with a charset is JSON");
    parse("POST", "/x", "", "Application/JSON", "0");
    ok(http_is_json(&req), "media type is case-insensitive");
    parse("POST", "/x", "", "application/jsonp", "0");
    ok(!http_is_json(&req), "application/jsonp is not JSON");
    parse("POST", "/x", "", "text/plain", "0");
    ok(!http_is_json(&req), "text/plain is not JSON");
    parse("POST", "/x", "", NULL, NULL);
    ok(!http_is_json(&req), "no content type is not JSON");
    ok(parse("POST", "/x", "", NULL, "12a") == -1, "bad content length");
    ok(parse("POST", "/x", "", NULL, "-1") == -1, "negative content length");
    ok(parse("POST", "/x", "", NULL, "99999999999999999999") == -1, "huge content length");
    ok(parse("POST", "/x", "", NULL, "") == 0, "empty content length means none");
    is_int(req.content_length, -1, "  none");

    char echo[ERR_ECHO_BUF];
    err_echo("a\"b\x01\xff", echo);
    is_str(echo, "a\"b??", "echo replaces control and non-ASCII bytes");
    memset(long_uri, 'x', 100);
    long_uri[100] = '\0';
    err_echo(long_uri, echo);
    is_int(strlen(echo), ERR_ECHO_MAX + 3, "echo is cut to the limit plus ...");
    ok(strcmp(echo + ERR_ECHO_MAX, "...") == 0, "  ending in ...");

    memset(&resp, 0, sizeof(resp));
    json_object *e = http_error(&resp, 404, "not_found", "Job %s not found", "x");
    http_detail(e, "a", "1");
    http_detail(e, "b", NULL);
    is_int(resp.status, 404, "http_error sets the status");
    is_str(json_object_to_json_string_ext(resp.body, JSON_C_TO_STRING_PLAIN),
           "{\"error\":\"not_found\",\"message\":\"Job x not found\",\"details\":{\"a\":\"1\","
           "\"b\":null}}",
           "error body with details");

    http_request_free(&req);
    http_response_free(&resp);
    return tap_done();
}
