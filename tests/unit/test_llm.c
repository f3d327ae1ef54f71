/* Unit tests for llm: the client against tests/llm_server.py over real HTTP on
 * loopback. Each scenario is a model id with its own script, so the server's
 * per-model lists double as a check that parallel models stay apart. The
 * server's request log shows what the client sent. */
#include "agent/llm.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[128], port_file[192], log_file[192], script_file[192];
static pid_t server_pid = -1;
static int port;

/* The script, written with ' for " to stay readable (\\' is a quote inside
 * a JSON string). */
static const char script_src[] =
    "{"
    "'normal': [{'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'AAPL', 'amount': 10},"
    "                            'id': 'call_abc'}],"
    "            'reasoning_content': 'AAPL looks cheap',"
    "            'usage': {'prompt_tokens': 11, 'completion_tokens': 7, 'total_tokens': 18}},"
    "           {'content': 'done <FINISH_SIGNAL>'}],"
    "'argsobj': [{'tool_calls': [{'name': 'sell', 'arguments': {'symbol': 'MSFT', 'amount': 3}}],"
    "             'args_as_object': true}],"
    "'badargs': [{'tool_calls': [{'name': 'buy', 'arguments': '{\\'symbol\\': \\'AAPL\\''},"
    "                            {'name': 'buy', 'arguments': '{\\'amount\\': 1} trailing'},"
    "                            {'name': 'buy', 'arguments': ''}]}],"
    "'missingid': [{'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'A', 'amount': 1}},"
    "                              {'name': 'sell', 'arguments': {'symbol': 'B', 'amount': 2}}],"
    "               'missing_id': true}, {'content': 'ok <FINISH_SIGNAL>'}],"
    "'emptyid': [{'tool_calls': [{'name': 'buy', 'arguments': {}}, {'name': 'sell', 'arguments': "
    "{}}],"
    "             'empty_id': true}, {'content': 'ok <FINISH_SIGNAL>'}],"
    "'dupid': [{'tool_calls': [{'name': 'buy', 'id': 'same'}, {'name': 'sell', 'id': 'same'},"
    "                          {'name': 'buy', 'id': 'call_1_1'}]}],"
    "'multi': [{'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'AAPL', 'amount': 1}},"
    "                          {'name': 'sell', 'arguments': {'symbol': 'MSFT', 'amount': 2}},"
    "                          {'name': 'get_price_local', 'arguments': {'symbol': 'NVDA'}}]}],"
    "'contentnull': [{'content': 'ignored', 'content_null': true}],"
    "'stopwithtools': [{'tool_calls': [{'name': 'buy', 'arguments': {}}],"
    "                   'finish_reason_stop_with_tools': true}],"
    "'err200': [{'fault': 'error_200', 'message': 'Upstream overloaded', 'code': 502}],"
    "'ratelimit': [{'fault': 'status', 'status': 429, 'retry_after': '1'}, {'content': 'ok'}],"
    "'ratelimitdate': [{'fault': 'status', 'status': 503,"
    "                   'retry_after': 'Wed, 21 Oct 2099 07:28:00 GMT'}, {'content': 'ok'}],"
    "'flaky500': [{'fault': 'status', 'status': 500}, {'content': 'ok'}],"
    "'down503': [{'fault': 'status', 'status': 503}],"
    "'hang': [{'fault': 'hang', 'seconds': 30}],"
    "'hangthenok': [{'fault': 'hang', 'seconds': 30}, {'content': 'ok'}],"
    "'malformed': [{'fault': 'malformed'}],"
    "'cutjson': [{'raw': '{\\'choices\\': [{\\'message\\': {\\'role\\''}],"
    "'truncated': [{'fault': 'truncated', 'content': 'a reply long enough to cut in half'}],"
    "'ctype': [{'raw': '<html>busy</html>', 'content_type': 'text/html'}],"
    "'ctypeok': [{'fault': 'content_type', 'content_type': 'text/plain', 'content': 'plain'}],"
    "'flat': [{'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'AAPL', 'amount': 3},"
    "                         'id': 'call_f1'}], 'flat_calls': true}],"
    "'finerr': [{'content': 'cut sh', 'finish_reason': 'error'}, {'content': 'whole'}],"
    "'finerr1': [{'content': 'cut sh', 'finish_reason': 'error'}],"
    "'nulcontent': [{'content': 'hold\\u0000 <FINISH_SIGNAL>'}],"
    "'nulname': [{'tool_calls': [{'name': 'buy\\u0000x', 'arguments': {}}]}],"
    "'manycalls': [{'tool_calls': [{'name': 'add', 'arguments': {'a': 1, 'b': 2}}],"
    "               'repeat_calls': 101}],"
    "'ctxfull': [{'fault': 'context', 'max_chars': 10, 'content': 'never'}],"
    "'extra': [{'content': 'ok'}],"
    "'groq': [{'fault': 'refuse_fields', 'fields': ['reasoning', 'reasoning_content'],"
    "          'content': 'ok'}],"
    "'disconnect': [{'fault': 'disconnect'}],"
    "'recover': [{'fault': 'disconnect'}, {'fault': 'malformed'}, {'fault': 'truncated'},"
    "            {'raw': 'busy', 'content_type': 'text/plain'}, {'fault': 'status', 'status': 408},"
    "            {'fault': 'status', 'status': 409}, {'content': 'recovered'}],"
    "'auth': [{'content': 'never served'}],"
    "'bad400': [{'fault': 'status', 'status': 400, 'body': {'error': {'message':"
    "            'Invalid value for messages[0].content', 'type': 'invalid_request_error',"
    "            'param': null, 'code': null}}}],"
    "'forbidden': [{'fault': 'status', 'status': 403, 'body': 'plain text refusal'}],"
    "'redirect': [{'fault': 'status', 'status': 307}],"
    "'quota': [{'fault': 'quota'}],"
    "'quota200': [{'fault': 'quota', 'status': 200}],"
    "'quotanomsg': [{'raw': {'error': {'type': 'insufficient_quota', 'code': null}},"
    "                'status': 429}],"
    "'big': [{'fault': 'oversized', 'bytes': 300000}],"
    "'bignolen': [{'fault': 'oversized', 'bytes': 300000, 'no_length': true}],"
    "'bigok': [{'fault': 'oversized', 'bytes': 50000}],"
    "'nochoices': [{'raw': {'id': 'x', 'object': 'chat.completion', 'choices': []}}],"
    "'parts': [{'raw': {'choices': [{'index': 0, 'finish_reason': 'stop', 'message': {"
    "           'role': 'assistant', 'content': [{'type': 'text', 'text': 'Hello '},"
    "           {'type': 'thinking', 'text': 'hidden'}, {'type': 'text', 'text': 'world'}]}}]}}],"
    "'rawcall': [{'raw': {'choices': [{'index': 0, 'finish_reason': 'tool_calls', 'message': {"
    "             'content': null, 'tool_calls': [{'id': 7, 'function': {'name': 'buy',"
    "             'arguments': null}}], 'provider_field': {'k': [1, 2]}}}]}}],"
    "'badcall': [{'raw': {'choices': [{'index': 0, 'message': {'role': 'assistant',"
    "             'tool_calls': [{'id': 'x'}]}}]}}],"
    "'emptycalls': [{'raw': {'choices': [{'index': 0, 'finish_reason': 'stop', 'message': {"
    "               'role': 'assistant', 'content': 'hi', 'tool_calls': []}}]}}],"
    "'stopsleep': [{'fault': 'status', 'status': 503, 'retry_after': '30'}],"
    "'stophang': [{'fault': 'hang', 'seconds': 30}],"
    "'parA': [{'content': 'A1'}, {'content': 'A2'}, {'content': 'A3'}],"
    "'parB': [{'content': 'B1'}, {'content': 'B2'}, {'content': 'B3'}],"
    "'temp': [{'content': 'ok'}],"
    "'notools': [{'content': 'ok'}]"
    "}";

static int write_script(void)
{
    char *s = mem_strdup(script_src);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_object *root = json_tokener_parse(s);
    free(s);
    if (!root)
        return -1;
    /* A provider message far longer than any excerpt. */
    char longmsg[5001];
    memset(longmsg, 'A', 5000);
    longmsg[5000] = '\0';
    json_object *e = json_object_new_object(), *body = json_object_new_object();
    json_put(e, "message", json_object_new_string(longmsg));
    json_put(body, "error", e);
    json_object *entry = json_object_new_object(), *list = json_object_new_array();
    json_put(entry, "fault", json_object_new_string("status"));
    json_put(entry, "status", json_object_new_int(400));
    json_put(entry, "body", body);
    json_push(list, entry);
    json_put(root, "longerr", list);
    int rc = json_object_to_file(script_file, root);
    json_object_put(root);
    return rc;
}

/* Starts the server; returns 0, 1 when python3 is missing, -1 on failure. */
static int start_server(void)
{
    /* TOP_SRCDIR is set by make check; otherwise (a bare run, valgrind) the
     * tree this file was compiled from. */
    const char *top = getenv("TOP_SRCDIR");
    static const char self[] = "tests/unit/test_llm.c";
    size_t flen = strlen(__FILE__);
    int toplen = top ? (int)strlen(top) : (int)(flen >= strlen(self) ? flen - strlen(self) : 0);
    char server[512];
    snprintf(server, sizeof(server), "%.*s%stests/llm_server.py", toplen, top ? top : __FILE__,
             top ? "/" : "");
    server_pid = fork();
    if (server_pid < 0)
        return -1;
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* no stray server if this test dies */
        execlp("python3", "python3", server, "--script", script_file, "--port-file", port_file,
               "--log", log_file, "--require-key", "sk-test", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) { /* up to 30 s for a slow start under valgrind */
        int status;
        if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
            server_pid = -1;
            return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? 1 : -1;
        }
        FILE *f = fopen(port_file, "r");
        if (f) {
            int ok_ = fscanf(f, "%d", &port) == 1;
            fclose(f);
            if (ok_ && port > 0)
                return 0;
        }
        usleep(100000);
    }
    return -1;
}

static void stop_server(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    unlink(port_file);
    unlink(log_file);
    unlink(script_file);
    rmdir(dir);
}

/* Test defaults: key sk-test, no retries, tiny delays. */
static void cfg_for(struct llm_config *cfg, const char *model, char *url, size_t urlsz)
{
    llm_config_init(cfg);
    snprintf(url, urlsz, "http://127.0.0.1:%d/v1/", port);
    cfg->base_url = url;
    cfg->api_key = "sk-test";
    cfg->model = model;
    cfg->max_retries = 0;
    cfg->base_delay = 0.01;
    cfg->max_delay = 0.05;
    cfg->max_retry_after = 5;
    cfg->timeout_ms = 15000;
}

static json_object *base_messages(void)
{
    return json_tokener_parse(
        "[{\"role\":\"system\",\"content\":\"You are a stock trader. Today is 2025-10-01.\"},"
        "{\"role\":\"user\",\"content\":\"Please analyze and update today's (2025-10-01) "
        "positions.\"}]");
}

static json_object *tools(void)
{
    return json_tokener_parse(
        "[{\"type\":\"function\",\"function\":{\"name\":\"buy\",\"description\":\"Buy shares\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"symbol\":{\"type\":\"string\"},"
        "\"amount\":{\"type\":\"integer\"}},\"required\":[\"symbol\",\"amount\"]}}}]");
}

/* One llm_chat with a fresh client from cfg and the standard conversation. */
static int run(const struct llm_config *cfg, struct llm_response **r, struct llm_outcome *oc,
               char *err, size_t errlen)
{
    struct llm_client *c = NULL;
    json_object *msgs = base_messages(), *t = tools();
    err[0] = '\0';
    int rc = llm_client_new(cfg, &c, err, errlen);
    if (rc == 0)
        rc = llm_chat(c, msgs, t, NULL, r, oc, err, errlen);
    llm_client_free(c);
    json_object_put(msgs);
    json_object_put(t);
    return rc;
}

/* What a scenario changes from the test defaults (0: keep the default). */
struct knobs {
    int retries;
    long timeout_ms;
    double max_delay, max_retry_after;
};

/* One llm_chat on model with the defaults changed by k (may be NULL). The
 * response bound is 100 kB so oversized answers stay small. */
static int run_model(const char *model, const struct knobs *k, struct llm_response **r,
                     struct llm_outcome *oc, char *err, size_t errlen)
{
    char url[128];
    struct llm_config cfg;
    cfg_for(&cfg, model, url, sizeof(url));
    cfg.max_response_bytes = 100000;
    cfg.timeout_ms = 2000;
    if (k && k->retries)
        cfg.max_retries = k->retries;
    if (k && k->timeout_ms)
        cfg.timeout_ms = k->timeout_ms;
    if (k && k->max_delay)
        cfg.max_delay = k->max_delay;
    if (k && k->max_retry_after)
        cfg.max_retry_after = k->max_retry_after;
    return run(&cfg, r, oc, err, errlen);
}

/* Runs a scenario expected to succeed. Caller frees the response (NULL on
 * failure, which is reported). */
static struct llm_response *expect_ok(const char *model, const struct knobs *k,
                                      struct llm_outcome *oc)
{
    char err[ERRBUF_SIZE] = "";
    struct llm_response *r = NULL;
    ok(run_model(model, k, &r, oc, err, sizeof(err)) == 0 && r, "%s: succeeds %s", model, err);
    return r;
}

/* Runs a scenario expected to fail; checks class, kind and attempts. */
static void expect_fail(const char *model, int retries, enum llm_errclass cls,
                        enum llm_errkind kind, int attempts, const char *needle)
{
    char err[ERRBUF_SIZE] = "";
    struct llm_response *r = NULL;
    struct llm_outcome oc;
    struct knobs k = {.retries = retries};
    int rc = run_model(model, &k, &r, &oc, err, sizeof(err));
    ok(rc == -1 && r == NULL, "%s: fails (%s)", model, err);
    ok(oc.cls == cls, "%s: %s (got %s)", model, llm_errclass_name(cls), llm_errclass_name(oc.cls));
    is_int(oc.kind, kind, "error kind");
    is_int(oc.attempts, attempts, "attempts");
    if (needle)
        ok(strstr(err, needle) != NULL, "%s: message has \"%s\"", model, needle);
    llm_response_free(r);
}

/* The log line of the last request for model (NULL: the last line). Caller
 * puts the result. */
static json_object *last_request(const char *model)
{
    FILE *f = fopen(log_file, "r");
    json_object *found = NULL;
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        json_object *o = json_tokener_parse(line), *m;
        if (!o)
            continue;
        if (!model || (json_object_object_get_ex(o, "model", &m) &&
                       json_object_is_type(m, json_type_string) &&
                       strcmp(json_object_get_string(m), model) == 0)) {
            json_object_put(found);
            found = o;
        } else {
            json_object_put(o);
        }
    }
    free(line);
    if (f)
        fclose(f);
    return found;
}

/* A string at a path of object keys. */
static const char *str_at(json_object *o, const char *k1, const char *k2)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, k1, &v) || (k2 && !json_object_object_get_ex(v, k2, &v)))
        return NULL;
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static json_object *call_at(json_object *msg, size_t i)
{
    json_object *calls = NULL;
    json_object_object_get_ex(msg, "tool_calls", &calls);
    return json_object_array_get_idx(calls, i);
}

/* Appends the kept assistant message and one tool reply per call. */
static void append_turn(json_object *msgs, const struct llm_response *r)
{
    json_push(msgs, json_object_get(r->message));
    for (size_t i = 0; i < r->ncalls; i++) {
        json_object *t = json_object_new_object();
        json_put(t, "role", json_object_new_string("tool"));
        json_put(t, "tool_call_id", json_object_new_string(r->calls[i].id));
        json_put(t, "content", json_object_new_string("done"));
        json_push(msgs, t);
    }
}

static void test_normal(void)
{
    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_client *c = NULL;
    struct llm_response *r = NULL, *r2 = NULL;
    struct llm_outcome oc;
    cfg_for(&cfg, "normal", url, sizeof(url));
    ok(llm_client_new(&cfg, &c, err, sizeof(err)) == 0, "client: %s", err);
    json_object *msgs = base_messages(), *t = tools();
    ok(llm_chat(c, msgs, t, NULL, &r, &oc, err, sizeof(err)) == 0, "normal tool call: %s", err);
    if (!r) {
        ok(0, "no response");
        goto out;
    }
    is_int(oc.attempts, 1, "one attempt");
    ok(oc.cls == LLM_OK && oc.http_status == 200, "outcome ok, HTTP 200");
    is_int(r->ncalls, 1, "one tool call");
    is_str(r->calls[0].id, "call_abc", "provider id kept");
    is_str(r->calls[0].name, "buy", "name");
    is_str(r->calls[0].arguments, "{\"symbol\": \"AAPL\", \"amount\": 10}", "arguments string");
    is_str(r->finish_reason, "tool_calls", "finish_reason");
    ok(r->content == NULL, "content null");
    is_str(r->reasoning, "AAPL looks cheap", "reasoning_content");
    ok(r->usage.present && r->usage.prompt_tokens == 11 && r->usage.completion_tokens == 7 &&
           r->usage.total_tokens == 18,
       "usage parsed");
    json_object *cont = NULL;
    ok(json_object_object_get_ex(r->message, "content", &cont) && cont == NULL,
       "kept message: content null with tool calls");
    is_str(str_at(r->message, "reasoning_content", NULL), "AAPL looks cheap",
           "kept message: reasoning_content");

    json_object *req = last_request("normal"), *v;
    is_str(str_at(req, "path", NULL), "/v1/chat/completions", "path (trailing slash stripped)");
    is_str(str_at(req, "headers", "authorization"), "Bearer sk-test", "Authorization header");
    is_str(str_at(req, "headers", "content-type"), "application/json", "Content-Type header");
    json_object *body = NULL;
    json_object_object_get_ex(req, "body", &body);
    is_str(str_at(body, "model", NULL), "normal", "body: model");
    is_str(str_at(body, "tool_choice", NULL), "auto", "body: tool_choice auto");
    ok(json_object_object_get_ex(body, "messages", &v) && json_object_array_length(v) == 2,
       "body: messages");
    ok(json_object_object_get_ex(body, "tools", &v) && json_object_array_length(v) == 1 &&
           strcmp(str_at(json_object_array_get_idx(v, 0), "function", "name"), "buy") == 0,
       "body: tools");
    ok(!json_object_object_get_ex(body, "temperature", NULL) &&
           !json_object_object_get_ex(body, "max_tokens", NULL),
       "body: no temperature or max_tokens unless configured");
    json_object_put(req);

    /* The kept message goes back in the history, answered: the server checks
     * the tool-call protocol (400 if anything is off). */
    append_turn(msgs, r);
    ok(llm_chat(c, msgs, t, NULL, &r2, &oc, err, sizeof(err)) == 0, "second step: %s", err);
    if (r2) {
        is_str(r2->content, "done <FINISH_SIGNAL>", "finish content");
        is_str(r2->finish_reason, "stop", "finish_reason stop");
        is_int(r2->ncalls, 0, "no tool calls");
        ok(!json_object_object_get_ex(r2->message, "tool_calls", NULL), "no tool_calls key");
    }
    req = last_request("normal");
    json_object_object_get_ex(req, "body", &body);
    json_object_object_get_ex(body, "messages", &v);
    json_object *sent = json_object_array_get_idx(v, 2);
    is_str(str_at(sent, "reasoning_content", NULL), "AAPL looks cheap",
           "history: assistant message sent back with its extra fields");
    is_str(str_at(call_at(sent, 0), "function", "arguments"), r->calls[0].arguments,
           "history: arguments as received");
    is_str(str_at(json_object_array_get_idx(v, 3), "tool_call_id", NULL), "call_abc",
           "history: tool reply");
    json_object_put(req);
out:
    llm_response_free(r);
    llm_response_free(r2);
    llm_client_free(c);
    json_object_put(msgs);
    json_object_put(t);
}

static void test_arguments(void)
{
    char err[ERRBUF_SIZE] = "";
    struct llm_response *r;
    struct llm_outcome oc;
    json_object *o = NULL, *v;

    r = expect_ok("argsobj", NULL, &oc);
    is_int(r ? r->ncalls : 0, 1, "arguments as object: one call");
    if (r && r->ncalls == 1) {
        ok(llm_parse_arguments(r->calls[0].arguments, &o, err, sizeof(err)) == 0,
           "normalized arguments parse: %s", r->calls[0].arguments);
        ok(json_object_object_get_ex(o, "amount", &v) && json_object_get_int(v) == 3, "amount 3");
        json_object *a = NULL;
        json_object_object_get_ex(json_object_object_get(call_at(r->message, 0), "function"),
                                  "arguments", &a);
        ok(json_object_is_type(a, json_type_string), "kept message: arguments now a string");
        is_str(json_object_get_string(a), r->calls[0].arguments, "kept and parsed agree");
        json_object_put(o);
        o = NULL;
    }
    llm_response_free(r);

    r = expect_ok("badargs", NULL, &oc); /* invalid arguments are no client error */
    is_int(r ? r->ncalls : 0, 3, "three calls with bad arguments");
    if (r && r->ncalls == 3) {
        is_str(r->calls[0].arguments, "{\"symbol\": \"AAPL\"", "unterminated kept raw");
        is_str(r->calls[1].arguments, "{\"amount\": 1} trailing", "trailing garbage kept raw");
        is_str(r->calls[2].arguments, "", "empty kept raw");
        for (size_t i = 0; i < 3; i++)
            ok(llm_parse_arguments(r->calls[i].arguments, &o, err, sizeof(err)) == -1 && !o,
               "strict parse refuses #%zu (%s)", i, err);
    }
    llm_response_free(r);

    ok(llm_parse_arguments("{\"a\": [1, {\"b\": null}]}\n ", &o, err, sizeof(err)) == 0,
       "parse: object with trailing whitespace");
    json_object_put(o);
    o = NULL;
    ok(llm_parse_arguments("{} {}", &o, err, sizeof(err)) == -1 && strstr(err, "after"),
       "parse: a second value is trailing data (%s)", err);
    ok(llm_parse_arguments("[1]", &o, err, sizeof(err)) == -1, "parse: an array is refused");
    const char *invalid[] = {"{'a': 1}",      "{\"a\": NaN}",     "{\"a\": Infinity}",
                             "{\"a\": 1.}",   "{\"a\": 01}",      "{\"a\": \"t\tb\"}",
                             "{\"a\": [1,]}", "{\"a\": \"\\x\"}", "{\"a\" 1}",
                             "{\"a\": tru}",  "{\"a\": -}",       "{\"a\": \"\xff\"}"};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        ok(llm_parse_arguments(invalid[i], &o, err, sizeof(err)) == -1 && !o,
           "parse: refuses invalid[%zu] (%s)", i, err);
    ok(llm_parse_arguments("{\"s\": \"caf\\u00e9 \\\" \\n\", \"n\": -1.5e+3, \"t\": true}", &o, err,
                           sizeof(err)) == 0,
       "parse: escapes, exponents, literals: %s", err);
    json_object_put(o);
    o = NULL;
    char deep[200] = "{\"a\": ";
    size_t dl = strlen(deep);
    for (int i = 0; i < 70; i++)
        deep[dl + (size_t)i] = '[', deep[dl + 70 + (size_t)i] = ']';
    strcpy(deep + dl + 140, "}");
    ok(llm_parse_arguments(deep, &o, err, sizeof(err)) == -1 && !o, "parse: nesting is bounded");
    ok(llm_parse_arguments("{\"a\": 1", &o, err, sizeof(err)) == -1 && strstr(err, "truncated"),
       "parse: truncated (%s)", err);
    ok(llm_parse_arguments(NULL, &o, err, sizeof(err)) == -1, "parse: NULL refused");
}

/* Ids the provider left out or left empty are synthesized, written into the
 * kept message, and accepted by the server when answered. */
static void test_ids(const char *model)
{
    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_client *c = NULL;
    struct llm_response *r = NULL, *r2 = NULL;
    struct llm_outcome oc;
    cfg_for(&cfg, model, url, sizeof(url));
    json_object *msgs = base_messages(), *t = tools();
    llm_client_new(&cfg, &c, err, sizeof(err));
    ok(c && llm_chat(c, msgs, t, NULL, &r, &oc, err, sizeof(err)) == 0 && r->ncalls == 2,
       "%s: two calls: %s", model, err);
    if (r && r->ncalls == 2) {
        is_str(r->calls[0].id, "call_1_0", "first id synthesized");
        is_str(r->calls[1].id, "call_1_1", "second id synthesized");
        is_str(str_at(call_at(r->message, 0), "id", NULL), "call_1_0", "written into the message");
        is_str(str_at(call_at(r->message, 1), "id", NULL), "call_1_1", "both");
        append_turn(msgs, r);
        ok(llm_chat(c, msgs, t, NULL, &r2, &oc, err, sizeof(err)) == 0,
           "%s: answered history accepted by the server: %s", model, err);
    }
    llm_response_free(r);
    llm_response_free(r2);
    llm_client_free(c);
    json_object_put(msgs);
    json_object_put(t);
}

static void test_shapes(void)
{
    struct llm_response *r;
    struct llm_outcome oc;

    r = expect_ok("dupid", NULL, &oc);
    if (r && r->ncalls == 3) {
        is_str(r->calls[0].id, "same", "first keeps its id");
        is_str(r->calls[1].id, "call_1_1_1", "duplicate replaced, avoiding a provider id");
        is_str(r->calls[2].id, "call_1_1", "provider id kept");
    }
    llm_response_free(r);

    r = expect_ok("multi", NULL, &oc);
    is_int(r ? r->ncalls : 0, 3, "three calls");
    if (r && r->ncalls == 3) {
        is_str(r->calls[0].name, "buy", "call 1 in order");
        is_str(r->calls[1].name, "sell", "call 2 in order");
        is_str(r->calls[2].name, "get_price_local", "call 3 in order");
        is_str(r->calls[2].arguments, "{\"symbol\": \"NVDA\"}", "call 3 arguments");
        ok(strcmp(r->calls[0].id, r->calls[1].id) != 0, "distinct ids");
    }
    llm_response_free(r);

    r = expect_ok("contentnull", NULL, &oc);
    ok(r && r->content == NULL && r->ncalls == 0, "no content, no calls");
    is_str(r ? str_at(r->message, "content", NULL) : NULL, "", "kept message gets content \"\"");
    llm_response_free(r);

    r = expect_ok("stopwithtools", NULL, &oc);
    is_str(r ? r->finish_reason : NULL, "stop", "finish_reason as received");
    is_int(r ? r->ncalls : 0, 1, "tool calls win over finish_reason stop");
    llm_response_free(r);

    r = expect_ok("parts", NULL, &oc);
    is_str(r ? r->content : NULL, "Hello world", "text parts joined");
    ok(r && !r->usage.present && r->usage.total_tokens == 0, "no usage");
    llm_response_free(r);

    r = expect_ok("rawcall", NULL, &oc);
    if (r && r->ncalls == 1) {
        is_str(r->calls[0].id, "call_1_0", "numeric id replaced");
        is_str(r->calls[0].arguments, "{}", "null arguments become {}");
        is_str(str_at(call_at(r->message, 0), "type", NULL), "function", "type added");
        is_str(str_at(r->message, "role", NULL), "assistant", "role added");
        json_object *pf = NULL;
        ok(json_object_object_get_ex(r->message, "provider_field", &pf) &&
               strcmp(json_object_to_json_string_ext(pf, JSON_C_TO_STRING_PLAIN),
                      "{\"k\":[1,2]}") == 0,
           "provider field kept");
    }
    llm_response_free(r);

    r = expect_ok("emptycalls", NULL, &oc);
    ok(r && r->ncalls == 0 && !json_object_object_get_ex(r->message, "tool_calls", NULL),
       "empty tool_calls removed");
    llm_response_free(r);

    r = expect_ok("bigok", NULL, &oc);
    ok(r && r->content && strlen(r->content) == 50000, "a body under the bound is read whole");
    llm_response_free(r);
}

static void test_retries(void)
{
    struct llm_response *r;
    struct llm_outcome oc;

    r = expect_ok("ratelimit", &(struct knobs){.retries = 3}, &oc);
    is_int(oc.attempts, 2, "429 then success: two attempts");
    ok(fabs(oc.delay_total - 1.0) < 1e-9, "waited Retry-After 1 s, not the backoff (%g)",
       oc.delay_total);
    llm_response_free(r);

    r = expect_ok("ratelimitdate", &(struct knobs){.retries = 3, .max_retry_after = 0.05}, &oc);
    is_int(oc.attempts, 2, "503 with an HTTP-date Retry-After: two attempts");
    ok(fabs(oc.delay_total - 0.05) < 1e-9, "far date capped at max_retry_after (%g)",
       oc.delay_total);
    llm_response_free(r);

    r = expect_ok("flaky500", &(struct knobs){.retries = 3}, &oc);
    is_str(r ? r->content : NULL, "ok", "500 then success");
    is_int(oc.attempts, 2, "two attempts");
    ok(fabs(oc.delay_total - 0.01) < 1e-9, "first backoff is base_delay (%g)", oc.delay_total);
    llm_response_free(r);

    char err[ERRBUF_SIZE] = "";
    r = NULL;
    ok(run_model("down503", &(struct knobs){.retries = 3, .max_delay = 0.015}, &r, &oc, err,
                 sizeof(err)) == -1 &&
           !r,
       "503 forever fails: %s", err);
    ok(oc.cls == LLM_TRANSIENT && oc.kind == LLM_E_HTTP && oc.http_status == 503,
       "transient HTTP 503");
    is_int(oc.attempts, 4, "max_retries + 1 attempts");
    ok(fabs(oc.delay_total - (0.01 + 0.015 + 0.015)) < 1e-9,
       "backoff doubles and is capped at max_delay (%g)", oc.delay_total);
    ok(strstr(err, "giving up after 4 attempts") && strstr(err, "HTTP 503") &&
           strstr(err, "Scripted HTTP 503"),
       "message: attempts, status, provider message");

    r = expect_ok("hangthenok", &(struct knobs){.retries = 1, .timeout_ms = 300}, &oc);
    is_int(oc.attempts, 2, "timeout then success: two attempts");
    llm_response_free(r);

    r = expect_ok("recover", &(struct knobs){.retries = 6}, &oc);
    is_str(r ? r->content : NULL, "recovered",
           "disconnect, malformed, truncated, content type, 408, 409 all retried");
    is_int(oc.attempts, 7, "seven attempts");
    llm_response_free(r);
}

static void test_failures(void)
{
    /* Transient ones without retries, then permanent ones that return at
     * once although retries are allowed. */
    static const struct {
        const char *model;
        int retries;
        enum llm_errclass cls;
        enum llm_errkind kind;
        const char *needle;
    } cases[] = {
        {"err200", 0, LLM_TRANSIENT, LLM_E_PROVIDER, "Upstream overloaded"},
        {"hang", 0, LLM_TRANSIENT, LLM_E_TIMEOUT, "timeout"},
        {"malformed", 0, LLM_TRANSIENT, LLM_E_BAD_RESPONSE, "invalid JSON"},
        {"cutjson", 0, LLM_TRANSIENT, LLM_E_BAD_RESPONSE, "truncated JSON"},
        {"truncated", 0, LLM_TRANSIENT, LLM_E_CONNECT, NULL},
        {"ctype", 0, LLM_TRANSIENT, LLM_E_BAD_RESPONSE, "text/html"},
        {"disconnect", 0, LLM_TRANSIENT, LLM_E_CONNECT, NULL},
        {"nochoices", 0, LLM_TRANSIENT, LLM_E_BAD_RESPONSE, "no choices"},
        {"badcall", 0, LLM_TRANSIENT, LLM_E_BAD_RESPONSE, "function name"},
        {"finerr1", 0, LLM_TRANSIENT, LLM_E_PROVIDER, "finish_reason \"error\""},
        {"nulcontent", 3, LLM_PERMANENT, LLM_E_REPLY, "NUL character in the content"},
        {"nulname", 3, LLM_PERMANENT, LLM_E_REPLY, "NUL character in a tool call"},
        {"manycalls", 3, LLM_PERMANENT, LLM_E_REPLY, "101 tool calls, over the limit of 100"},
        {"ctxfull", 3, LLM_PERMANENT, LLM_E_CONTEXT, "maximum context length"},
        {"bad400", 3, LLM_PERMANENT, LLM_E_HTTP, "Invalid value for messages[0]"},
        {"forbidden", 3, LLM_PERMANENT, LLM_E_HTTP, "plain text refusal"},
        {"redirect", 3, LLM_PERMANENT, LLM_E_HTTP, "redirects are not followed"},
        {"quota", 3, LLM_PERMANENT, LLM_E_QUOTA, "quota"},
        {"quota200", 3, LLM_PERMANENT, LLM_E_QUOTA, "insufficient_quota"},
        {"quotanomsg", 3, LLM_PERMANENT, LLM_E_QUOTA, "insufficient_quota"},
        {"unknown-model", 3, LLM_PERMANENT, LLM_E_HTTP, "HTTP 404"},
        {"big", 3, LLM_PERMANENT, LLM_E_TOO_LARGE, "response too large"},
        {"bignolen", 3, LLM_PERMANENT, LLM_E_TOO_LARGE, "response too large"},
        {"longerr", 3, LLM_PERMANENT, LLM_E_HTTP, "AAAA..."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_fail(cases[i].model, cases[i].retries, cases[i].cls, cases[i].kind, 1,
                    cases[i].needle);

    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_response *r = NULL;
    struct llm_outcome oc;

    cfg_for(&cfg, "auth", url, sizeof(url));
    cfg.max_retries = 3;
    cfg.api_key = "sk-wrong";
    ok(run(&cfg, &r, &oc, err, sizeof(err)) == -1 && oc.cls == LLM_PERMANENT &&
           oc.http_status == 401 && oc.attempts == 1,
       "401 fails at once: %s", err);
    ok(strstr(err, "Incorrect API key") != NULL, "401 message quoted");
    json_object *req = last_request(NULL);
    is_str(str_at(req, "headers", "authorization"), "Bearer sk-wrong", "the key sent");
    json_object_put(req);

    cfg.api_key = NULL;
    ok(run(&cfg, &r, &oc, err, sizeof(err)) == -1 && oc.http_status == 401 && oc.attempts == 1,
       "no key: 401 at once");
    req = last_request(NULL);
    ok(req && !str_at(req, "headers", "authorization"), "no Authorization header without a key");
    json_object_put(req);

    /* The server's own validation: an empty history is a 400. */
    cfg_for(&cfg, "auth", url, sizeof(url));
    cfg.max_retries = 3;
    struct llm_client *c = NULL;
    json_object *empty = json_object_new_array();
    llm_client_new(&cfg, &c, err, sizeof(err));
    ok(c && llm_chat(c, empty, NULL, NULL, &r, &oc, err, sizeof(err)) == -1 &&
           oc.http_status == 400 && oc.cls == LLM_PERMANENT && oc.attempts == 1,
       "400 fails at once: %s", err);
    llm_client_free(c);
    json_object_put(empty);

    /* A base URL with a query: the path goes before it. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/?api-version=2024-10#f", port);
    cfg.api_key = "sk-right";
    run(&cfg, &r, &oc, err, sizeof(err));
    req = last_request(NULL);
    is_str(str_at(req, "path", NULL), "/v1/chat/completions?api-version=2024-10",
           "query kept after the path");
    json_object_put(req);

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/wrong", port);
    ok(run(&cfg, &r, &oc, err, sizeof(err)) == -1 && oc.http_status == 404 &&
           oc.cls == LLM_PERMANENT && oc.attempts == 1,
       "404 fails at once: %s", err);

    /* A closed port: connection refused is transient and retried. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    bind(s, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(s, (struct sockaddr *)&sa, &sl);
    close(s);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", ntohs(sa.sin_port));
    cfg.max_retries = 1;
    ok(run(&cfg, &r, &oc, err, sizeof(err)) == -1 && oc.cls == LLM_TRANSIENT &&
           oc.kind == LLM_E_CONNECT && oc.http_status == 0 && oc.attempts == 2,
       "connection refused: transient, retried: %s", err);
}

static void test_request_options(void)
{
    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_client *c = NULL;
    struct llm_response *r = NULL;
    struct llm_outcome oc;

    cfg_for(&cfg, "temp", url, sizeof(url));
    cfg.has_temperature = 1;
    cfg.temperature = 0.2;
    cfg.max_tokens = 256;
    ok(run(&cfg, &r, &oc, err, sizeof(err)) == 0, "with temperature: %s", err);
    llm_response_free(r);
    r = NULL;
    json_object *req = last_request("temp"), *body = NULL, *v;
    json_object_object_get_ex(req, "body", &body);
    ok(json_object_object_get_ex(body, "temperature", &v) && json_object_get_double(v) == 0.2,
       "temperature sent");
    ok(json_object_object_get_ex(body, "max_tokens", &v) && json_object_get_int(v) == 256,
       "max_tokens sent");
    json_object_put(req);

    cfg_for(&cfg, "notools", url, sizeof(url));
    json_object *msgs = base_messages();
    llm_client_new(&cfg, &c, err, sizeof(err));
    ok(c && llm_chat(c, msgs, NULL, NULL, &r, &oc, err, sizeof(err)) == 0, "without tools: %s",
       err);
    llm_response_free(r);
    llm_client_free(c);
    json_object_put(msgs);
    req = last_request("notools");
    json_object_object_get_ex(req, "body", &body);
    ok(body && !json_object_object_get_ex(body, "tools", NULL) &&
           !json_object_object_get_ex(body, "tool_choice", NULL),
       "no tools, no tool_choice");
    json_object_put(req);

    const char *bad[][2] = {
        {"ftp://127.0.0.1/v1", "m"}, {"http://127.0.0.1/v1", ""}, {"http://127.0.0.1/v 1", "m"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg_for(&cfg, bad[i][1], url, sizeof(url));
        cfg.base_url = bad[i][0];
        c = NULL;
        ok(llm_client_new(&cfg, &c, err, sizeof(err)) == -1 && !c, "refused config #%zu: %s", i,
           err);
    }
    cfg_for(&cfg, "m", url, sizeof(url));
    cfg.api_key = "sk\r\nX-Injected: 1";
    ok(llm_client_new(&cfg, &c, err, sizeof(err)) == -1, "key with a line break refused");
}

/* Provider quirks: flat tool calls, a completion labelled text/plain,
 * finish_reason "error" retried, the reply size cap. */
static void test_quirks(void)
{
    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_response *r;
    struct llm_outcome oc;

    r = expect_ok("flat", NULL, &oc);
    ok(r && r->ncalls == 1 && strcmp(r->calls[0].name, "buy") == 0 &&
           strcmp(r->calls[0].id, "call_f1") == 0 &&
           strcmp(r->calls[0].arguments, "{\"symbol\":\"AAPL\",\"amount\":3}") == 0,
       "{id, name, args} accepted as a tool call");
    json_object *fn = r ? json_object_object_get(call_at(r->message, 0), "function") : NULL;
    ok(fn && !json_object_object_get_ex(call_at(r->message, 0), "args", NULL) &&
           strcmp(str_at(fn, "name", NULL), "buy") == 0,
       "and normalized to the standard shape to be sent back");
    llm_response_free(r);

    r = expect_ok("ctypeok", NULL, &oc);
    is_str(r ? r->content : NULL, "plain", "a valid completion served as text/plain is taken");
    llm_response_free(r);

    r = expect_ok("finerr", &(struct knobs){.retries = 2}, &oc);
    is_str(r ? r->content : NULL, "whole", "finish_reason \"error\" retried");
    is_int(oc.attempts, 2, "two attempts");
    llm_response_free(r);

    cfg_for(&cfg, "bigok", url, sizeof(url));
    cfg.max_reply_bytes = 1000;
    r = NULL;
    ok(run(&cfg, &r, &oc, err, sizeof(err)) == -1 && oc.kind == LLM_E_REPLY &&
           oc.cls == LLM_PERMANENT && strstr(err, "over the limit of 1000"),
       "a reply over max_reply_bytes refused: %s", err);
}

/* extra_body merged into the request; reasoning fields dropped for a
 * provider that refuses them. */
static void test_body_options(void)
{
    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_client *c = NULL;
    struct llm_response *r = NULL;
    struct llm_outcome oc;
    json_object *extra =
        json_tokener_parse("{\"enable_thinking\": false, \"top_p\": 0.5, \"model\": \"other\"}");
    cfg_for(&cfg, "extra", url, sizeof(url));
    cfg.extra_body = extra;
    ok(run(&cfg, &r, &oc, err, sizeof(err)) == 0, "with extra_body: %s", err);
    llm_response_free(r);
    json_object_put(extra);
    json_object *req = last_request("extra"), *body = NULL, *v;
    json_object_object_get_ex(req, "body", &body);
    ok(json_object_object_get_ex(body, "enable_thinking", &v) &&
           json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v),
       "enable_thinking merged");
    ok(json_object_object_get_ex(body, "top_p", &v) && json_object_get_double(v) == 0.5,
       "top_p merged");
    is_str(str_at(body, "model", NULL), "extra", "model is never overridden");
    json_object_put(req);

    json_object *msgs = base_messages();
    json_push(msgs, json_tokener_parse("{\"role\":\"assistant\",\"content\":\"hm\","
                                       "\"reasoning_content\":\"thinking\"}"));
    json_push(msgs, json_tokener_parse("{\"role\":\"user\",\"content\":\"go on\"}"));
    for (int drop = 0; drop <= 1; drop++) {
        cfg_for(&cfg, "groq", url, sizeof(url));
        cfg.drop_reasoning = drop;
        r = NULL;
        llm_client_new(&cfg, &c, err, sizeof(err));
        int rc = c ? llm_chat(c, msgs, NULL, NULL, &r, &oc, err, sizeof(err)) : -1;
        if (drop)
            ok(rc == 0, "drop_reasoning: the provider accepts the history: %s", err);
        else
            ok(rc == -1 && oc.http_status == 400 && strstr(err, "reasoning_content"),
               "echoed reasoning refused by the provider: %s", err);
        llm_response_free(r);
        llm_client_free(c);
        c = NULL;
    }
    ok(strstr(json_object_to_json_string(msgs), "thinking") != NULL,
       "the caller's history is not modified");
    json_object_put(msgs);
}

static void test_retry_after_parse(void)
{
    double d = -1;
    ok(llm_retry_after_parse("120", 0, &d) == 0 && d == 120, "delta-seconds");
    ok(llm_retry_after_parse(" 1.5 ", 0, &d) == 0 && d == 1.5, "fractional seconds");
    ok(llm_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 10, &d) == 0 && d == 10,
       "HTTP-date ten seconds ahead");
    ok(llm_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 10, &d) == 0 && d == 0,
       "HTTP-date in the past: no wait");
    ok(llm_retry_after_parse("soon", 0, &d) == -1, "garbage refused");
    ok(llm_retry_after_parse("5s", 0, &d) == -1, "trailing garbage refused");
}

struct stopper {
    atomic_int *flag;
};

static void *raise_stop(void *arg)
{
    struct stopper *s = arg;
    usleep(200000);
    atomic_store(s->flag, 1);
    return NULL;
}

static void test_stop(void)
{
    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_response *r = NULL;
    struct llm_outcome oc;
    json_object *msgs = base_messages();
    const char *models[] = {"stopsleep", "stophang"};
    for (int i = 0; i < 2; i++) {
        atomic_int flag = 0;
        struct stopper s = {&flag};
        struct llm_client *c = NULL;
        pthread_t th;
        cfg_for(&cfg, models[i], url, sizeof(url));
        cfg.max_retries = 3;
        cfg.max_retry_after = 60;
        cfg.timeout_ms = 60000;
        llm_client_new(&cfg, &c, err, sizeof(err));
        pthread_create(&th, NULL, raise_stop, &s);
        int rc = c ? llm_chat(c, msgs, NULL, &flag, &r, &oc, err, sizeof(err)) : 0;
        pthread_join(th, NULL);
        ok(rc == -1 && oc.cls == LLM_INTERRUPTED && oc.kind == LLM_E_STOPPED && oc.attempts == 1,
           "%s: stop flag interrupts: %s", models[i], err);
        llm_client_free(c);
    }
    atomic_int raised = 1;
    struct llm_client *c = NULL;
    cfg_for(&cfg, "temp", url, sizeof(url));
    llm_client_new(&cfg, &c, err, sizeof(err));
    ok(c && llm_chat(c, msgs, NULL, &raised, &r, &oc, err, sizeof(err)) == -1 &&
           oc.cls == LLM_INTERRUPTED && oc.attempts == 0,
       "raised before the call: no request");
    llm_client_free(c);
    json_object_put(msgs);
}

struct par {
    const char *model;
    char got[3][8];
    int rc;
};

static void *par_run(void *arg)
{
    struct par *p = arg;
    char url[128], err[ERRBUF_SIZE] = "";
    struct llm_config cfg;
    struct llm_client *c = NULL;
    cfg_for(&cfg, p->model, url, sizeof(url));
    json_object *msgs = base_messages();
    p->rc = llm_client_new(&cfg, &c, err, sizeof(err));
    for (int i = 0; i < 3 && p->rc == 0; i++) {
        struct llm_response *r = NULL;
        struct llm_outcome oc;
        p->rc = llm_chat(c, msgs, NULL, NULL, &r, &oc, err, sizeof(err));
        if (p->rc == 0)
            snprintf(p->got[i], sizeof(p->got[i]), "%s", r->content ? r->content : "");
        llm_response_free(r);
    }
    llm_client_free(c);
    json_object_put(msgs);
    return NULL;
}

static void test_parallel(void)
{
    struct par a = {.model = "parA"}, b = {.model = "parB"};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, par_run, &a);
    pthread_create(&tb, NULL, par_run, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ok(a.rc == 0 && b.rc == 0, "two models in parallel threads");
    ok(strcmp(a.got[0], "A1") == 0 && strcmp(a.got[1], "A2") == 0 && strcmp(a.got[2], "A3") == 0,
       "model A followed its own script");
    ok(strcmp(b.got[0], "B1") == 0 && strcmp(b.got[1], "B2") == 0 && strcmp(b.got[2], "B3") == 0,
       "model B followed its own script");
}

int main(void)
{
    char err[ERRBUF_SIZE] = "";
    snprintf(dir, sizeof(dir), "/tmp/trader-test-llm-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(port_file, sizeof(port_file), "%s/port", dir);
    snprintf(log_file, sizeof(log_file), "%s/requests.jsonl", dir);
    snprintf(script_file, sizeof(script_file), "%s/script.json", dir);
    if (llm_global_init(err, sizeof(err)) < 0 || write_script() < 0) {
        printf("Bail out! setup: %s\n", err);
        return 1;
    }
    int st = start_server();
    if (st != 0) {
        stop_server();
        llm_global_cleanup();
        if (st == 1) {
            printf("1..0 # SKIP python3 not found\n");
            return 0;
        }
        printf("Bail out! the test server did not start\n");
        return 1;
    }
    test_retry_after_parse();
    test_normal();
    test_arguments();
    test_ids("missingid");
    test_ids("emptyid");
    test_shapes();
    test_retries();
    test_failures();
    test_request_options();
    test_quirks();
    test_body_options();
    test_stop();
    test_parallel();
    stop_server();
    llm_global_cleanup();
    return tap_done();
}
