/* Unit tests for the LLM agent (agent, mockllm, search and the search tool)
 * against the scripted OpenAI-compatible server tests/llm_server.py and the
 * fake Jina endpoint tests/jina_server.py, over real HTTP on loopback, with
 * a real database in a temp dir: AI-Trader's system prompt and a template
 * with every placeholder; AI-Trader's steps (tool calls answered in order
 * with matching ids, the history the server validates, the stop signal, the
 * re-prompt with the reply and the tool results, max_steps,
 * max_completions_per_step, max_completions, steps and completions recorded,
 * token sums, summary, tool usage); refused and malformed tool calls, NUL
 * characters and text amounts; look-ahead refusals; provider quirks (flat
 * tool calls, tool calls written as text, finish_reason error, request
 * options, dropped reasoning fields, context-length trimming, the reply
 * caps); transient faults retried and permanent ones failing at once with a
 * clear error; cancel; the search tool, its date filter and snippets only;
 * the mock model; and
 * a job through the worker with two LLM models and the mock in parallel,
 * one of them failing (job partial, the others committed), their keys read
 * from the config file and never stored, and a model whose key left the
 * file failing with a clear message. */
#include "agent/agent.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "service/jobs.h"
#include "service/trigger.h"
#include "base/log.h"
#include "agent/mockllm.h"
#include "base/paths.h"
#include "market/search.h"
#include "sim/modelday.h"
#include "sim/worker.h"

#include "simfixture.h"
#include "tap.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static char err[ERRBUF_SIZE];
static struct fixture fx;
static struct config cfg;
static char llm_log[256], jina_log[256];

/* The LLM script (single quotes become double quotes). */
static const char llm_script[] =
    "{'happy': ["
    "  {'content': 'Looking at prices', 'usage': {'prompt_tokens': 100, 'completion_tokens': 10,"
    "   'total_tokens': 110}, 'tool_calls': ["
    "    {'name': 'get_price', 'arguments': {'symbol': 'AAA'}},"
    "    {'name': 'get_price', 'arguments': {'symbol': 'BBB', 'date': '2025-01-07'}},"
    "    {'name': 'get_price', 'arguments': {'symbol': 'AAA', 'date': '2025-01-03'}}]},"
    "  {'reasoning_content': 'AAA is cheap', 'usage': {'prompt_tokens': 200,"
    "   'completion_tokens': 20, 'total_tokens': 220},"
    "   'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'AAA', 'amount': 5}}]},"
    "  {'content': 'Bought 5 AAA. <FINISH_SIGNAL>', 'usage': {'prompt_tokens': 300,"
    "   'completion_tokens': 30, 'total_tokens': 330}}],"
    " 'nudge': [{'content': 'Let me think.'}, {'content': 'Holding. <FINISH_SIGNAL>'}],"
    " 'steps': [{'tool_calls': [{'name': 'get_price_local', 'arguments': {'symbol': 'AAA',"
    "    'date': '2025-01-06'}}]}, {'content': 'Checked AAA.'},"
    "  {'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'AAA', 'amount': 2}}]},"
    "  {'content': 'Bought AAA. <FINISH_SIGNAL>'}],"
    " 'chatty': [{'content': 'Still thinking.'}],"
    " 'textcalls': [{'content': 'I will buy. <tool_call>{\\'name\\': \\'buy\\', \\'arguments\\':"
    "   {\\'symbol\\': \\'AAA\\', \\'amount\\': 1}}</tool_call>'}],"
    " 'jsoncalls': [{'content': '```json\\n{\\'name\\': \\'buy\\', \\'arguments\\':"
    "   {\\'symbol\\': \\'AAA\\', \\'amount\\': 1}}\\n```'}],"
    " 'flat': [{'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'AAA', 'amount': 2}}],"
    "   'flat_calls': true}, {'content': 'done <FINISH_SIGNAL>'}],"
    " 'finerr': [{'content': 'cut', 'finish_reason': 'error'}, {'content': 'ok <FINISH_SIGNAL>'}],"
    " 'ctxtrim': [{'tool_calls': [{'name': 'get_price_local', 'arguments': {'symbol': 'AAA',"
    "    'date': '2025-01-03'}}, {'name': 'get_price_local', 'arguments': {'symbol': 'BBB',"
    "    'date': '2025-01-03'}}]},"
    "  {'fault': 'status', 'status': 400, 'body': {'error': {'message': 'This model\\u2019s"
    "   maximum context length is 8192 tokens', 'type': 'invalid_request_error',"
    "   'code': 'context_length_exceeded'}}}, {'content': 'done <FINISH_SIGNAL>'}],"
    " 'ctxfull': [{'tool_calls': [{'name': 'add', 'arguments': {'a': 1, 'b': 2}}]},"
    "  {'fault': 'context', 'max_chars': 100}],"
    " 'nul': [{'content': 'Holding.\\u0000 <FINISH_SIGNAL>'}],"
    " 'nulsym': [{'tool_calls': [{'name': 'buy', 'arguments': '{\\'symbol\\': \\'AAA\\\\u0000\\',"
    "   \\'amount\\': 1}'}, {'name': 'buy', 'arguments': {'symbol': 'AAA', 'amount': '3'}}]},"
    "  {'content': '<FINISH_SIGNAL>'}],"
    " 'many': [{'tool_calls': [{'name': 'add', 'arguments': {'a': 1, 'b': 2}}],"
    "   'repeat_calls': 20000}],"
    " 'groq': [{'reasoning_content': 'hmm', 'tool_calls': [{'name': 'add', 'arguments':"
    "   {'a': 1, 'b': 2}}]}, {'fault': 'refuse_fields', 'fields': ['reasoning_content'],"
    "   'content': 'ok <FINISH_SIGNAL>'}],"
    " 'tmpl': [{'content': 'ok <FINISH_SIGNAL>'}],"
    " 'snippets': [{'tool_calls': [{'name': 'get_information', 'arguments': {'query': 'AAA "
    "news'}}]},"
    "  {'content': 'ok <FINISH_SIGNAL>'}],"
    " 'tokens': [{'content': 'a', 'usage': {'prompt_tokens': 9223372036854775807,"
    "   'completion_tokens': -5, 'total_tokens': 9223372036854775807}},"
    "  {'content': '<FINISH_SIGNAL>', 'usage': {'prompt_tokens': 9223372036854775807,"
    "   'completion_tokens': 7, 'total_tokens': 1}}],"
    " 'loop': [{'tool_calls': [{'name': 'add', 'arguments': {'a': 1, 'b': 2}}]}],"
    " 'badargs': [{'tool_calls': ["
    "    {'name': 'buy', 'arguments': '{\\'symbol\\': \\'AAA\\', \\'amount\\': 1} trailing'},"
    "    {'name': 'buy', 'arguments': 'not json'},"
    "    {'name': 'nosuch', 'arguments': {}}]},"
    "  {'content': '<FINISH_SIGNAL>'}],"
    " 'retry429': [{'fault': 'status', 'status': 429, 'retry_after': '0'},"
    "  {'content': 'ok <FINISH_SIGNAL>'}],"
    " 'retry5xx': [{'fault': 'status', 'status': 500}, {'fault': 'status', 'status': 503},"
    "  {'content': 'ok <FINISH_SIGNAL>'}],"
    " 'down': [{'fault': 'status', 'status': 503}],"
    " 'hangonce': [{'fault': 'hang', 'seconds': 5}, {'content': 'ok <FINISH_SIGNAL>'}],"
    " 'badbody': [{'fault': 'malformed'}, {'fault': 'truncated'},"
    "  {'fault': 'content_type', 'content': 'x'}, {'content': 'ok <FINISH_SIGNAL>'}],"
    " 'denied': [{'content': 'never <FINISH_SIGNAL>'}],"
    " 'searcher': [{'tool_calls': [{'name': 'search', 'arguments': {'query': 'AAA news'}},"
    "    {'name': 'search', 'arguments': {'query': 'broken'}}]},"
    "  {'content': 'Read the news. <FINISH_SIGNAL>'}],"
    " 'nosearch': [{'tool_calls': [{'name': 'search', 'arguments': {'query': 'AAA news'}}]},"
    "  {'content': 'done <FINISH_SIGNAL>'}],"
    " 'stopper': [{'fault': 'hang', 'seconds': 30}],"
    " 'w-good': [{'tool_calls': [{'name': 'buy', 'arguments': {'symbol': 'BBB', 'amount': 3}}]},"
    "  {'content': 'Bought BBB. <FINISH_SIGNAL>'}],"
    " 'w-down': [{'fault': 'status', 'status': 503}]}";

/* Jina's answers: two results dated before 2025-01-06 among others. */
static const char jina_script[] =
    "{'AAA news': {'data': ["
    "  {'title': 'Old news', 'url': 'https://a.example/1', 'description': 'd1',"
    "   'content': 'AAA rose', 'date': '2025-01-03T10:00:00+00:00'},"
    "  {'title': 'Same day', 'url': 'https://a.example/2', 'content': 'x', 'date': 'Jan 6, 2025'},"
    "  {'title': 'Future', 'url': 'https://a.example/3', 'content': 'x',"
    "   'publishedTime': '2025-02-01'},"
    "  {'title': 'Undated', 'url': 'https://a.example/4', 'content': 'x'},"
    "  {'title': 'Republished', 'url': 'https://a.example/7', 'content': 'x',"
    "   'date': '2025-01-02', 'publishedTime': '2025-01-07T08:00:00Z'},"
    "  {'title': 'Relative', 'url': 'https://a.example/5', 'content': 'x', 'date': '3 days ago'},"
    "  {'title': 'Older', 'url': 'https://a.example/6', 'content': 'AAA fell',"
    "   'date': 'January 2, 2025'}]},"
    " 'broken': {'fault': 'status', 'status': 500}}";

/* The models of the config; the special cases get their own settings. */
static const char *const llm_models[] = {
    "happy",   "nudge",  "loop",      "badargs",   "retry429", "retry5xx", "down",    "hangonce",
    "badbody", "denied", "searcher",  "nosearch",  "stopper",  "w-good",   "w-down",  "tokens",
    "steps",   "chatty", "textcalls", "jsoncalls", "flat",     "finerr",   "ctxtrim", "ctxfull",
    "nul",     "nulsym", "many",      "groq",      "tmpl",     "snippets"};

/* ---- servers ---------------------------------------------------------------- */

struct server {
    pid_t pid;
    int port;
};

static struct server llm_srv = {-1, 0}, jina_srv = {-1, 0};

/* Writes text (single quotes as double quotes) into dir/name; 0 or -1. */
static int write_json(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", fx.dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (const char *p = text; *p; p++)
        fputc(*p == '\'' ? '"' : *p, f);
    return fclose(f);
}

/* Starts python3 tests/NAME --script SCRIPT --port-file ... --log LOG
 * --require-key KEY; 0, 1 without python3, -1 on failure. */
static int start_server(struct server *s, const char *name, const char *script, const char *log,
                        const char *key)
{
    const char *top = getenv("TOP_SRCDIR");
    static const char self[] = "tests/unit/test_agent.c";
    size_t flen = strlen(__FILE__);
    int toplen = top ? (int)strlen(top) : (int)(flen >= strlen(self) ? flen - strlen(self) : 0);
    char prog[512], port_file[256];
    snprintf(prog, sizeof(prog), "%.*s%stests/%s", toplen, top ? top : __FILE__, top ? "/" : "",
             name);
    snprintf(port_file, sizeof(port_file), "%s/%s.port", fx.dir, name);
    if ((s->pid = fork()) < 0)
        return -1;
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execlp("python3", "python3", prog, "--script", script, "--port-file", port_file, "--log",
               log, "--require-key", key, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = -1;
            return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? 1 : -1;
        }
        FILE *f = fopen(port_file, "r");
        if (f) {
            int got = fscanf(f, "%d", &s->port) == 1;
            fclose(f);
            if (got && s->port > 0)
                return 0;
        }
        usleep(100000);
    }
    return -1;
}

static void stop_server(struct server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
    }
}

/* A path like "messages.2.tool_calls.0.id" inside o (borrowed), or NULL. */
static json_object *at(json_object *o, const char *path)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *k = strtok_r(buf, ".", &save); o && k; k = strtok_r(NULL, ".", &save)) {
        if (json_object_is_type(o, json_type_array))
            o = json_object_array_get_idx(o, (size_t)atoi(k));
        else if (!json_object_object_get_ex(o, k, &o))
            o = NULL;
    }
    return o;
}

static const char *at_str(json_object *o, const char *path)
{
    json_object *v = at(o, path);
    return v ? json_object_get_string(v) : "";
}

/* The n-th (0-based) request body the LLM server logged for model (refused
 * ones too), or NULL. Caller puts it. */
static json_object *request_of(const char *model, int n)
{
    FILE *f = fopen(llm_log, "r");
    char *line = NULL;
    size_t cap = 0;
    json_object *found = NULL;
    while (f && !found && getline(&line, &cap, f) > 0) {
        json_object *rec = json_tokener_parse(line), *body = at(rec, "body");
        if (strcmp(at_str(body, "model"), model) == 0 && n-- == 0)
            found = json_object_get(body);
        json_object_put(rec);
    }
    free(line);
    if (f)
        fclose(f);
    return found;
}

static int requests_of(const char *model)
{
    int n = 0;
    json_object *b;
    while ((b = request_of(model, n))) {
        json_object_put(b);
        n++;
    }
    return n;
}

/* ---- fixture ----------------------------------------------------------------- */

static void insert_prices(void)
{
    static const char *const rows[][4] = {
        {"AAA", "2025-01-02", "10.0", "10.5"},  {"AAA", "2025-01-03", "11.0", "11.5"},
        {"AAA", "2025-01-06", "12.0", "12.25"}, {"AAA", "2025-01-07", "13.0", "13.5"},
        {"BBB", "2025-01-02", "20.0", "20.5"},  {"BBB", "2025-01-03", "21.0", "21.75"},
        {"BBB", "2025-01-06", "22.0", "21.5"},  {"BBB", "2025-01-07", "23.0", "24.0"},
        {"CCC", "2025-01-02", "30.0", "30.5"},  {"CCC", "2025-01-03", "31.0", "31.5"},
        {"CCC", "2025-01-07", "33.0", "34.0"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        fx_bar(fx.db, rows[i][0], rows[i][1], rows[i][2], rows[i][3]);
}

/* The config: every scripted model on the LLM server, plus the mock. */
static int write_config(char *path, size_t n)
{
    char url[64], dir[128];
    json_object *root = json_tokener_parse(
        "{\"date_range\": {\"init_date\": \"2025-01-02\"},"
        " \"stock_symbols\": [\"AAA\", \"BBB\", \"CCC\"],"
        " \"agent_config\": {\"max_steps\": 4, \"max_retries\": 3, \"base_delay\": 0.01,"
        "                    \"initial_cash\": 10000.0, \"max_completions_per_step\": 3,"
        "                    \"max_completions\": 10},"
        " \"log_config\": {\"log_path\": \"agent_data\"},"
        " \"models\": [{\"signature\": \"mocky\", \"provider\": \"mock\"},"
        "   {\"signature\": \"placeholder\", \"basemodel\": \"x/y\", \"enabled\": false,"
        "    \"openai_base_url\": \"Optional: your endpoint here\"}]}");
    json_object *models = at(root, "models");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", llm_srv.port);
    for (size_t i = 0; i < sizeof(llm_models) / sizeof(llm_models[0]); i++) {
        json_object *m = json_object_new_object();
        const char *name = llm_models[i];
        double timeout = strcmp(name, "hangonce") == 0 ? 1.5 : 20.0;
        json_put(m, "signature", json_object_new_string(name));
        json_put(m, "basemodel", json_object_new_string(name));
        json_put(m, "provider", json_object_new_string("openai"));
        json_put(m, "openai_base_url", json_object_new_string(url));
        json_put(m, "openai_api_key",
                 json_object_new_string(strcmp(name, "denied") == 0 ? "sk-wrong" : "sk-test"));
        json_put(m, "timeout_seconds", json_object_new_double(timeout));
        if (strcmp(name, "groq") == 0) {
            json_put(m, "drop_reasoning", json_object_new_boolean(1));
            json_put(m, "temperature", json_object_new_double(0.25));
            json_put(m, "max_tokens", json_object_new_int(512));
            json_put(m, "extra_body", json_tokener_parse("{\"enable_thinking\": false}"));
        }
        json_push(models, m);
    }
    snprintf(dir, sizeof(dir), "%s/configs", fx.dir);
    snprintf(path, n, "%s/agent.json", dir);
    int rc = mkdir(dir, 0700) != 0 || json_object_to_file(path, root) != 0 ? -1 : 0;
    json_object_put(root);
    return rc;
}

/* ctx for model on date, from 10000 cash, on the config's universe. */
static int ctx_for(struct tools_ctx *ctx, const char *model, const char *date)
{
    struct portfolio start;
    portfolio_init(&start, cfg.initial_cash);
    int rc = tools_ctx_init(ctx, fx.db, model, date, &start, (const char(*)[SYMBOL_MAX])cfg.symbols,
                            cfg.nsymbols, err, sizeof(err));
    portfolio_free(&start);
    return rc;
}

/* Runs model's decider (through the provider table) on ctx. */
static int decide(struct tools_ctx *ctx, const char *model, const atomic_int *cancel)
{
    const struct config_model *m = config_find_model(&cfg, model);
    struct modelday_spec spec = {
        .job_id = "t", .date = ctx->date, .cfg = &cfg, .model = m, .home = fx.dir};
    const struct modelday_provider *p =
        m ? modelday_provider(config_provider_name(m->provider)) : NULL;
    err[0] = '\0';
    ctx->cancel = cancel;
    return p ? p->decide(ctx, &spec, err, sizeof(err)) : -2;
}

static long tool_calls(const struct tools_ctx *ctx, const char *tool, long *errors)
{
    for (size_t i = 0; i < tools_count(); i++)
        if (strcmp(tools_name(i), tool) == 0) {
            if (errors)
                *errors = ctx->stats[i].errors;
            return ctx->stats[i].calls;
        }
    return -1;
}

/* The names of the tools offered in a request, comma-separated. */
static const char *tool_names(json_object *req)
{
    static char buf[256];
    json_object *tools = at(req, "tools");
    buf[0] = '\0';
    for (size_t i = 0; tools && i < json_object_array_length(tools); i++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
                 at_str(json_object_array_get_idx(tools, i), "function.name"));
    return buf;
}

/* ---- tests ------------------------------------------------------------------- */

/* The system prompt of a day of the config's universe from cash and AAA
 * shares; caller frees. NULL when it cannot be built. */
static char *prompt_for(const char *date, money_t cash, int64_t aaa)
{
    struct tools_ctx ctx;
    char *p = NULL;
    if (ctx_for(&ctx, "happy", date) != 0)
        return NULL;
    ctx.pf.cash = cash;
    if ((aaa && portfolio_set(&ctx.pf, "AAA", aaa) != 0) ||
        agent_system_prompt(&ctx, NULL, &p, err, sizeof(err)) != 0)
        p = NULL;
    tools_ctx_free(&ctx);
    return p;
}

static void test_prompt(void)
{
    char *p = prompt_for("2025-01-06", 9000 * MONEY_SCALE, 10);
    ok(p != NULL, "prompt built: %s", err);
    ok(p && strstr(p, "You manage a stock portfolio as a trading agent"), "the instructions");
    ok(p && strstr(p, "Today's date:\n2025-01-06\n"), "today's date");
    ok(p && strstr(p, "is the cash available):\n{'AAA': 10, 'BBB': 0, 'CCC': 0, "
                      "'CASH': 9000.0}\n"),
       "yesterday's positions, every symbol and CASH");
    ok(p && strstr(p, "Closing prices yesterday:\n{'AAA_price': 11.5, 'BBB_price': 21.75, "
                      "'CCC_price': 31.5}\n"),
       "yesterday's closes (the previous trading day)");
    ok(p && strstr(p, "Opening prices today (buys and sells fill at these):\n{'AAA_price': 12.0, "
                      "'BBB_price': 22.0}\n"),
       "today's opens; CCC has no bar today and is left out");
    ok(p && strstr(p, "answer without tool calls and include\n<FINISH_SIGNAL>\n"),
       "the stop signal");
    ok(p && !strstr(p, "12.25"), "today's close is not shown");
    free(p);

    p = prompt_for("2025-01-07", cfg.initial_cash, 0);
    ok(p && strstr(p, "'BBB_price': 21.5, 'CCC_price': 31.5}"),
       "2025-01-07: a symbol without yesterday's bar shows its last close");
    free(p);
    p = prompt_for("2025-01-02", cfg.initial_cash, 0);
    ok(p && strstr(p, "{'AAA_price': None, 'BBB_price': None, 'CCC_price': None}"),
       "the first day in the store: no previous day, None");
    ok(p && strstr(p, "{'AAA': 0, 'BBB': 0, 'CCC': 0, 'CASH': 10000.0}"), "the initial cash");
    free(p);
}

static void test_happy(void)
{
    struct tools_ctx ctx;
    long errors = 0;
    ctx_for(&ctx, "happy", "2025-01-06");
    ok(decide(&ctx, "happy", NULL) == 0, "happy day: %s", err);
    is_int(ctx.total_steps, 1, "one step: the reply without tool calls ends it");
    is_int(ctx.completions, 3, "three completions");
    is_int(ctx.stop_signal, 1, "stop signal received");
    is_str(ctx.summary, "Bought 5 AAA.", "summary without the signal");
    is_int(ctx.ntrades, 1, "one trade");
    ok(ctx.ntrades == 1 && strcmp(ctx.trades[0].symbol, "AAA") == 0 && ctx.trades[0].amount == 5 &&
           ctx.trades[0].price == 12 * MONEY_SCALE,
       "bought 5 AAA at today's open");
    is_int(ctx.pf.cash, 9940 * MONEY_SCALE, "cash after the trade");
    is_int(ctx.prompt_tokens, 600, "prompt tokens summed");
    is_int(ctx.completion_tokens, 60, "completion tokens summed");
    is_int(ctx.total_tokens, 660, "total tokens summed");
    is_int(tool_calls(&ctx, "get_price_local", &errors), 3, "get_price called 3 times");
    is_int(errors, 1, "one refused (the future date)");
    is_int(tool_calls(&ctx, "buy", &errors), 1, "buy called once");
    is_int(errors, 0, "and done");

    /* system, user, assistant, 3 tools, assistant, tool, assistant */
    is_int(ctx.nmsgs, 9, "nine messages recorded");
    static const char *const roles[] = {"system", "user",      "assistant", "tool",     "tool",
                                        "tool",   "assistant", "tool",      "assistant"};
    static const int steps[] = {0, 0, 1, 1, 1, 1, 1, 1, 1};
    static const int completions[] = {0, 0, 1, 1, 1, 1, 2, 2, 3};
    int roles_ok = ctx.nmsgs == 9;
    for (size_t i = 0; roles_ok && i < 9; i++)
        roles_ok = strcmp(ctx.msgs[i].role, roles[i]) == 0 && ctx.msgs[i].step == steps[i] &&
                   ctx.msgs[i].completion == completions[i] && ctx.msgs[i].message_json &&
                   ctx.msgs[i].timestamp[0];
    ok(roles_ok, "roles, steps, completions, message JSON and timestamps");
    if (ctx.nmsgs == 9) {
        is_str(ctx.msgs[1].content, "Please analyze and update today's (2025-01-06) positions.",
               "the user message");
        is_str(ctx.msgs[3].tool_name, "get_price", "tool name recorded as called");
        ok(strstr(ctx.msgs[3].content, "\"open\":\"12.0\"") &&
               !strstr(ctx.msgs[3].content, "close"),
           "today: the open only, never the close: %s", ctx.msgs[3].content);
        ok(strstr(ctx.msgs[4].content, "in the future"), "a future date refused: %s",
           ctx.msgs[4].content);
        ok(strstr(ctx.msgs[5].content, "\"close\":\"11.5\""), "an earlier day: the whole bar");
        ok(strstr(ctx.msgs[6].message_json, "\"reasoning_content\":\"AAA is cheap\""),
           "the assistant message kept as received");
        ok(strstr(ctx.msgs[7].content, "\"CASH\":9940.0"), "the buy answers the positions: %s",
           ctx.msgs[7].content);
    }

    json_object *r1 = request_of("happy", 0), *r2 = request_of("happy", 1),
                *r3 = request_of("happy", 2);
    is_int(requests_of("happy"), 3, "three requests");
    is_str(tool_names(r1), "get_price_local,buy,sell,add,multiply",
           "AI-Trader's tools offered (no search)");
    is_str(at_str(r1, "tool_choice"), "auto", "tool_choice auto");
    is_str(at_str(r1, "model"), "happy", "the basemodel is the model id");
    is_str(at_str(r1, "messages.0.role"), "system", "system prompt first");
    ok(strstr(at_str(r1, "messages.0.content"), "Today's date:\n2025-01-06") &&
           strstr(at_str(r1, "messages.0.content"), "'AAA_price': 12.0"),
       "with today's date and opens");
    int ids = 1;
    for (int i = 0; i < 3; i++) {
        char a[64], t[64];
        snprintf(a, sizeof(a), "messages.2.tool_calls.%d.id", i);
        snprintf(t, sizeof(t), "messages.%d.tool_call_id", 3 + i);
        ids = ids && *at_str(r2, a) && strcmp(at_str(r2, a), at_str(r2, t)) == 0 &&
              strcmp(at_str(r2, a), ctx.msgs[3 + i].tool_call_id) == 0;
    }
    ok(ids, "tool answers follow the calls in order with their ids");
    is_str(at_str(r3, "messages.6.reasoning_content"), "AAA is cheap",
           "reasoning_content sent back in the history");
    is_int(json_object_array_length(at(r3, "messages")), 8, "the whole history is sent");
    json_object_put(r1);
    json_object_put(r2);
    json_object_put(r3);
    tools_ctx_free(&ctx);
}

static void test_steps(void)
{
    struct tools_ctx ctx;
    ctx_for(&ctx, "nudge", "2025-01-06");
    ok(decide(&ctx, "nudge", NULL) == 0, "a reply without the signal: %s", err);
    is_int(ctx.total_steps, 2, "two steps");
    is_int(ctx.stop_signal, 1, "then the signal");
    json_object *r2 = request_of("nudge", 1);
    is_str(at_str(r2, "messages.2.role"), "assistant", "step 2 starts with the reply");
    is_str(at_str(r2, "messages.2.content"), "Let me think.", "... as its text");
    is_str(at_str(r2, "messages.3.content"), AGENT_TOOL_RESULTS, "and the (empty) tool results");
    json_object_put(r2);
    is_str(ctx.summary, "Holding.", "summary from the final message");
    tools_ctx_free(&ctx);

    /* AI-Trader's re-prompt: the step's tool exchange is not sent again,
     * its answers are, in a user message. */
    ctx_for(&ctx, "steps", "2025-01-06");
    ok(decide(&ctx, "steps", NULL) == 0, "two steps with tools: %s", err);
    is_int(ctx.total_steps, 2, "two steps");
    is_int(ctx.completions, 4, "four completions");
    is_int(ctx.ntrades, 1, "the buy of step 2");
    json_object *r3 = request_of("steps", 2);
    is_int(json_object_array_length(at(r3, "messages")), 4,
           "step 2: system, user, the reply, the tool results");
    is_str(at_str(r3, "messages.2.content"), "Checked AAA.", "the reply");
    ok(strncmp(at_str(r3, "messages.3.content"), AGENT_TOOL_RESULTS "{\"symbol\":\"AAA\"",
               strlen(AGENT_TOOL_RESULTS) + 13) == 0,
       "the step's tool answers: %s", at_str(r3, "messages.3.content"));
    json_object_put(r3);
    static const int steps[] = {0, 0, 1, 1, 1, 1, 2, 2, 2};
    static const int compl [] = {0, 0, 1, 1, 2, 2, 3, 3, 4};
    int good = ctx.nmsgs == 9;
    for (size_t i = 0; good && i < 9; i++)
        good = ctx.msgs[i].step == steps[i] && ctx.msgs[i].completion == compl [i];
    ok(good, "recorded with their steps and completions (the re-prompt once)");
    ok(ctx.nmsgs == 9 && strcmp(ctx.msgs[5].role, "user") == 0 &&
           strncmp(ctx.msgs[5].content, AGENT_TOOL_RESULTS, strlen(AGENT_TOOL_RESULTS)) == 0,
       "the re-prompt recorded");
    tools_ctx_free(&ctx);

    ctx_for(&ctx, "chatty", "2025-01-06");
    ok(decide(&ctx, "chatty", NULL) == 0, "a model that never stops: %s", err);
    is_int(ctx.total_steps, 4, "ends the day at max_steps");
    is_int(ctx.stop_signal, 0, "without the signal");
    is_int(requests_of("chatty"), 4, "one completion per step");
    tools_ctx_free(&ctx);

    ctx_for(&ctx, "loop", "2025-01-06");
    ok(decide(&ctx, "loop", NULL) == 0, "a model that always calls tools ends the day: %s", err);
    is_int(requests_of("loop"), 10, "at max_completions (10), steps of max_completions_per_step");
    is_int(ctx.total_steps, 4, "3 + 3 + 3 + 1 completions: four steps");
    is_int(ctx.stop_signal, 0, "without the signal");
    is_int(tool_calls(&ctx, "add", NULL), 10, "each tool call answered");
    ok(ctx.summary == NULL, "no summary without a text");
    tools_ctx_free(&ctx);
}

/* Token counts are the provider's: absurd ones must not overflow the sums. */
static void test_token_overflow(void)
{
    struct tools_ctx ctx;
    ctx_for(&ctx, "tokens", "2025-01-06");
    ok(decide(&ctx, "tokens", NULL) == 0, "huge token counts: %s", err);
    is_int(ctx.prompt_tokens, LLONG_MAX, "a sum past the largest count saturates");
    is_int(ctx.completion_tokens, 7, "a negative count adds nothing");
    is_int(ctx.total_tokens, LLONG_MAX, "saturated sums stay saturated");
    tools_ctx_free(&ctx);
}

static void test_bad_arguments(void)
{
    struct tools_ctx ctx;
    long errors = 0;
    ctx_for(&ctx, "badargs", "2025-01-06");
    ok(decide(&ctx, "badargs", NULL) == 0, "bad arguments do not fail the day: %s", err);
    is_int(ctx.ntrades, 0, "no trade from trailing garbage");
    is_int(tool_calls(&ctx, "buy", &errors), 2, "both buys counted");
    is_int(errors, 2, "both refused");
    if (ctx.nmsgs >= 6) {
        ok(strstr(ctx.msgs[3].content, "Invalid arguments"), "trailing garbage: %s",
           ctx.msgs[3].content);
        ok(strstr(ctx.msgs[4].content, "Invalid arguments"), "not JSON: %s", ctx.msgs[4].content);
        ok(strstr(ctx.msgs[5].content, "Unknown tool nosuch"), "unknown tool: %s",
           ctx.msgs[5].content);
    }
    is_int(ctx.stop_signal, 1, "the day still ends normally");
    ok(ctx.summary == NULL, "a bare signal leaves no summary");
    tools_ctx_free(&ctx);
}

/* Runs model on 2025-01-06; returns the decider's status, err filled. */
static int run_model(const char *model)
{
    struct tools_ctx ctx;
    ctx_for(&ctx, model, "2025-01-06");
    int rc = decide(&ctx, model, NULL);
    tools_ctx_free(&ctx);
    return rc;
}

static void test_faults(void)
{
    ok(run_model("retry429") == 0, "429 with Retry-After, then success: %s", err);
    is_int(requests_of("retry429"), 2, "... two requests");
    ok(run_model("retry5xx") == 0, "500 and 503, then success: %s", err);
    is_int(requests_of("retry5xx"), 3, "... three requests");
    ok(run_model("hangonce") == 0, "a hang past the timeout, then success: %s", err);
    is_int(requests_of("hangonce"), 2, "... two requests");
    ok(run_model("badbody") == 0, "malformed, truncated, wrong type, then success: %s", err);
    is_int(requests_of("badbody"), 4, "... four requests");

    ok(run_model("down") == -1, "503 until the retries are exhausted fails");
    ok(strstr(err, "step 1: transient LLM error: giving up after 4 attempts") &&
           strstr(err, "503") && strstr(err, "Scripted HTTP 503"),
       "a clear error with the status and the provider's message: %s", err);
    is_int(requests_of("down"), 4, "1 + max_retries requests");

    ok(run_model("denied") == -1, "401 fails");
    ok(strstr(err, "step 1: permanent LLM error: HTTP 401") &&
           strstr(err, "Incorrect API key provided"),
       "at once, with the provider's message: %s", err);
    is_int(requests_of("denied"), 1, "no retry after a 401");
}

/* Provider quirks over a whole day. */
static void test_providers(void)
{
    struct tools_ctx ctx;
    ok(run_model("textcalls") == -1 && strstr(err, "wrote its tool calls as text") &&
           strstr(err, "--tool-call-parser"),
       "<tool_call> blocks in the content fail the day saying what to fix: %s", err);
    ok(run_model("jsoncalls") == -1 && strstr(err, "not parsing tool calls"),
       "a JSON tool call as the content (fenced) too: %s", err);
    ok(run_model("placeholder") == -1 && strstr(err, "disabled in the config") &&
           requests_of("x/y") == 0,
       "a disabled model with a placeholder URL, named anyway, fails clearly: %s", err);
    ok(run_model("finerr") == 0, "finish_reason error retried: %s", err);
    is_int(requests_of("finerr"), 2, "... two requests");
    ok(run_model("nul") == -1 && strstr(err, "NUL character in the content"),
       "content with a NUL (hiding what follows) fails the day: %s", err);
    ok(run_model("many") == -1 && strstr(err, "20000 tool calls, over the limit of 100"),
       "20,000 tool calls in one reply fail the day at once: %s", err);
    ok(run_model("ctxfull") == -1 && strstr(err, "context length exceeded"),
       "a context still full after trimming fails the day: %s", err);
    is_int(requests_of("ctxfull"), 3, "... after one trim and one more try");

    ctx_for(&ctx, "flat", "2025-01-06");
    ok(decide(&ctx, "flat", NULL) == 0, "{id, name, args} tool calls: %s", err);
    ok(ctx.ntrades == 1 && ctx.trades[0].amount == 2, "... executed");
    tools_ctx_free(&ctx);

    ctx_for(&ctx, "ctxtrim", "2025-01-06");
    ok(decide(&ctx, "ctxtrim", NULL) == 0, "context length error, trimmed, then done: %s", err);
    json_object *r3 = request_of("ctxtrim", 2);
    is_str(at_str(r3, "messages.3.content"), AGENT_TRIMMED, "the oldest tool result trimmed");
    ok(strstr(at_str(r3, "messages.4.content"), "BBB") != NULL, "the newer one kept");
    json_object_put(r3);
    tools_ctx_free(&ctx);

    ctx_for(&ctx, "nulsym", "2025-01-06");
    ok(decide(&ctx, "nulsym", NULL) == 0, "NUL and text amounts: %s", err);
    is_int(ctx.ntrades, 0, "\"AAA\\u0000\" does not buy AAA, \"3\" is not an amount");
    tools_ctx_free(&ctx);

    ok(run_model("groq") == 0, "drop_reasoning: the refusing provider accepts: %s", err);
    json_object *r1 = request_of("groq", 0);
    ok(at(r1, "temperature") && json_object_get_double(at(r1, "temperature")) == 0.25 &&
           json_object_get_int(at(r1, "max_tokens")) == 512 &&
           json_object_is_type(at(r1, "enable_thinking"), json_type_boolean),
       "temperature, max_tokens and extra_body sent");
    json_object_put(r1);
}

/* A template with every placeholder, rendered and used for a day. */
static void test_template(void)
{
    char path[400], configs[300], *tmpl = NULL, *p = NULL;
    struct tools_ctx ctx;
    snprintf(configs, sizeof(configs), "%s/configs", fx.dir);
    snprintf(path, sizeof(path), "%s/prompts", configs);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/prompts/t.txt", configs);
    FILE *f = fopen(path, "w");
    fputs("Day {date}. Held {positions}. Closed {yesterday_close_price}. Open "
          "{today_buy_price}. {{literal}} {not a placeholder} End with {STOP_SIGNAL}",
          f);
    fclose(f);
    setenv(PATHS_ENV_CONFIGS, configs, 1);
    ok(agent_load_template("configs/prompts/t.txt", &tmpl, err, sizeof(err)) == 0,
       "template loaded: %s", err);
    ctx_for(&ctx, "tmpl", "2025-01-06");
    ok(tmpl && agent_system_prompt(&ctx, tmpl, &p, err, sizeof(err)) == 0, "rendered: %s", err);
    is_str(p,
           "Day 2025-01-06. Held {'AAA': 0, 'BBB': 0, 'CCC': 0, 'CASH': 10000.0}. Closed "
           "{'AAA_price': 11.5, 'BBB_price': 21.75, 'CCC_price': 31.5}. Open {'AAA_price': 12.0, "
           "'BBB_price': 22.0}. {literal} {not a placeholder} End with <FINISH_SIGNAL>",
           "every placeholder filled");
    free(p);
    p = NULL;
    ok(agent_system_prompt(&ctx, "x {yesterday_profit} y", &p, err, sizeof(err)) == -1 &&
           strstr(err, "unknown placeholder {yesterday_profit}"),
       "an unknown placeholder is named: %s", err);
    ok(agent_load_template("configs/../agent.json", &p, err, sizeof(err)) == -1 ||
           agent_load_template("/etc/passwd", &p, err, sizeof(err)) == -1,
       "a file outside the configs directory refused: %s", err);
    ok(agent_load_template("configs/prompts/none.txt", &p, err, sizeof(err)) == -1 &&
           strstr(err, "does not exist"),
       "a missing template: %s", err);

    /* The example the project ships renders too. */
    const char *top = getenv("TOP_SRCDIR");
    char shipped[512];
    snprintf(shipped, sizeof(shipped), "%s/configs", top ? top : "../..");
    setenv(PATHS_ENV_CONFIGS, shipped, 1);
    free(p);
    p = NULL;
    char *ex = NULL;
    ok(agent_load_template("configs/prompts/concise.txt", &ex, err, sizeof(err)) == 0 &&
           agent_system_prompt(&ctx, ex, &p, err, sizeof(err)) == 0 &&
           strstr(p, "Session date: 2025-01-06") && strstr(p, "write <FINISH_SIGNAL>"),
       "the shipped configs/prompts/concise.txt renders: %s", err);
    free(ex);
    free(p);
    setenv(PATHS_ENV_CONFIGS, configs, 1);

    cfg.system_prompt_file = mem_strdup("configs/prompts/t.txt");
    ok(decide(&ctx, "tmpl", NULL) == 0, "a day with the template: %s", err);
    json_object *r1 = request_of("tmpl", 0);
    ok(strncmp(at_str(r1, "messages.0.content"), "Day 2025-01-06. Held {'AAA': 0", 30) == 0,
       "the model got the rendered template");
    json_object_put(r1);
    free(cfg.system_prompt_file);
    cfg.system_prompt_file = NULL;
    free(tmpl);
    tools_ctx_free(&ctx);
    unsetenv(PATHS_ENV_CONFIGS);
}

/* Raises the flag arg points to after a moment. */
static void *raise_later(void *flag)
{
    usleep(300000);
    atomic_store((atomic_int *)flag, 1);
    return NULL;
}

static void test_cancel(void)
{
    struct tools_ctx ctx;
    atomic_int raised = 1, flag = 0;
    ctx_for(&ctx, "stopper", "2025-01-06");
    ok(decide(&ctx, "stopper", &raised) == -1 && strstr(err, "cancelled before step 1"),
       "cancelled before the first step: %s", err);
    is_int(requests_of("stopper"), 0, "nothing sent");
    tools_ctx_free(&ctx);

    pthread_t th;
    ctx_for(&ctx, "stopper", "2025-01-06");
    pthread_create(&th, NULL, raise_later, &flag);
    ok(decide(&ctx, "stopper", &flag) == -1 && strstr(err, "interrupted"),
       "the stop flag interrupts a request in flight: %s", err);
    pthread_join(th, NULL);
    tools_ctx_free(&ctx);
}

static void test_search(void)
{
    char base[64], d[DATE_BUF];
    struct tools_ctx ctx;
    ok(search_parse_date("2025-01-03T10:00:00+00:00", d) == 0 && strcmp(d, "2025-01-03") == 0,
       "ISO timestamp");
    ok(search_parse_date("Jan 6, 2025", d) == 0 && strcmp(d, "2025-01-06") == 0, "Mon D, YYYY");
    ok(search_parse_date("September 30, 2025", d) == 0 && strcmp(d, "2025-09-30") == 0,
       "Month D, YYYY");
    ok(search_parse_date("2 Jan 2025", d) == 0 && strcmp(d, "2025-01-02") == 0, "D Mon YYYY");
    ok(search_parse_date("3 days ago", d) == -1, "relative dates are not dates");
    ok(search_parse_date("2025-02-30", d) == -1, "impossible date");
    ok(search_parse_date("Foo 3, 2025", d) == -1, "unknown month");
    ok(search_parse_date("", d) == -1 && search_parse_date(NULL, d) == -1, "nothing");

    snprintf(base, sizeof(base), "http://127.0.0.1:%d", jina_srv.port);
    setenv(SEARCH_ENV_KEY, "jk-test", 1);
    setenv(SEARCH_ENV_BASE, base, 1);
    ctx_for(&ctx, "searcher", "2025-01-06");
    ok(decide(&ctx, "searcher", NULL) == 0, "a day with searches: %s", err);
    json_object *r1 = request_of("searcher", 0);
    is_str(tool_names(r1), "get_price_local,buy,sell,add,multiply,get_information",
           "get_information offered with JINA_API_KEY");
    json_object_put(r1);
    long errors = 0;
    is_int(tool_calls(&ctx, "get_information", &errors), 2,
           "two searches counted (called by the earlier name)");
    is_int(errors, 1, "one failed");
    if (ctx.nmsgs >= 5) {
        json_object *a = json_tokener_parse(ctx.msgs[3].content);
        is_int(json_object_array_length(at(a, "results")), 2, "two results dated before today");
        is_str(at_str(a, "results.0.title"), "Old news", "the first kept");
        is_str(at_str(a, "results.0.date"), "2025-01-03", "with its date");
        is_str(at_str(a, "results.0.content"), "AAA rose", "and content");
        is_str(at_str(a, "results.1.date"), "2025-01-02", "an English date kept");
        is_int(json_object_get_int(at(a, "dropped")), 5,
               "same day, future, undated, republished later and relative dropped");
        json_object_put(a);
        ok(strstr(ctx.msgs[4].content, "Search failed: HTTP 500"),
           "an endpoint failure is a tool error: %s", ctx.msgs[4].content);
    }
    tools_ctx_free(&ctx);
    FILE *f = fopen(jina_log, "r");
    char line[4096] = "";
    ok(f && fgets(line, sizeof(line), f) && strstr(line, "\"authorization\": \"Bearer jk-test\"") &&
           strstr(line, "\"accept\": \"application/json\"") &&
           strstr(line, "\"query\": \"AAA news\""),
       "GET with the key and Accept: application/json");
    if (f)
        fclose(f);

    cfg.search_snippets_only = true;
    ctx_for(&ctx, "snippets", "2025-01-06");
    ok(decide(&ctx, "snippets", NULL) == 0, "search_snippets_only: %s", err);
    json_object *a = ctx.nmsgs >= 4 ? json_tokener_parse(ctx.msgs[3].content) : NULL;
    ok(a && json_object_array_length(at(a, "results")) == 2 && at(a, "results.0.title") &&
           !at(a, "results.0.content") && !at(a, "results.1.content"),
       "titles and snippets only: %s", ctx.nmsgs >= 4 ? ctx.msgs[3].content : "");
    json_object_put(a);
    tools_ctx_free(&ctx);
    cfg.search_snippets_only = false;
    f = fopen(jina_log, "r");
    int asked = 0;
    while (f && fgets(line, sizeof(line), f))
        asked = strstr(line, "\"x-respond-with\": \"no-content\"") != NULL;
    ok(asked, "Jina asked for no page text");
    if (f)
        fclose(f);

    unsetenv(SEARCH_ENV_KEY);
    ctx_for(&ctx, "nosearch", "2025-01-06");
    ok(decide(&ctx, "nosearch", NULL) == 0, "no key: %s", err);
    r1 = request_of("nosearch", 0);
    is_str(tool_names(r1), "get_price_local,buy,sell,add,multiply", "search not offered");
    json_object_put(r1);
    ok(ctx.nmsgs >= 4 && strstr(ctx.msgs[3].content, "Search is not available"),
       "asked anyway: refused");
    tools_ctx_free(&ctx);
    setenv(SEARCH_ENV_KEY, "jk-test", 1);
    setenv(SEARCH_ENV_BASE, "ftp://x", 1);
    ctx_for(&ctx, "nosearch", "2025-01-06");
    ok(decide(&ctx, "nosearch", NULL) == -1 && strstr(err, SEARCH_ENV_BASE), "bad base URL: %s",
       err);
    tools_ctx_free(&ctx);
    setenv(SEARCH_ENV_KEY, "jk\r\nX-Evil: 1", 1);
    unsetenv(SEARCH_ENV_BASE);
    ctx_for(&ctx, "nosearch", "2025-01-06");
    ok(decide(&ctx, "nosearch", NULL) == -1 && strstr(err, "control characters"),
       "a key that would inject a header: %s", err);
    tools_ctx_free(&ctx);
    unsetenv(SEARCH_ENV_KEY);
}

static void test_mock(void)
{
    struct tools_ctx ctx;
    ctx_for(&ctx, "mocky", "2025-01-06");
    ok(decide(&ctx, "mocky", NULL) == 0, "the mock model's day: %s", err);
    is_int(ctx.total_steps, 1, "one step");
    is_int(ctx.completions, 3, "of three completions");
    is_int(ctx.stop_signal, 1, "with the stop signal");
    is_int(tool_calls(&ctx, "get_price_local", NULL), 3, "three prices asked");
    /* AAA 12.0 is the cheapest open (CCC has none today): 1000 / 12 = 83. */
    ok(ctx.ntrades == 1 && strcmp(ctx.trades[0].symbol, "AAA") == 0 && ctx.trades[0].amount == 83,
       "bought 83 AAA with a tenth of the cash");
    is_str(ctx.summary, "Bought as planned; cash left: 9004.0.", "its summary");
    ok(ctx.prompt_tokens > 0 && ctx.total_tokens == ctx.prompt_tokens + ctx.completion_tokens,
       "token usage counted");
    tools_ctx_free(&ctx);

    struct mockllm m;
    struct llm_response *r = NULL;
    struct llm_outcome oc;
    atomic_int stop = 1;
    json_object *msgs = json_tokener_parse("[{\"role\":\"user\",\"content\":\"hi\"}]");
    mockllm_init(&m, NULL, 0);
    ok(strcmp(m.symbols[0], "AAPL") == 0 && m.nsymbols == 3, "default universe: AAPL first");
    ok(mockllm_chat(&m, msgs, NULL, &stop, &r, &oc, err, sizeof(err)) == -1 &&
           oc.cls == LLM_INTERRUPTED,
       "the mock honours the stop flag");
    json_object_put(msgs);
}

/* Triggers body as the API does (the fixture's configs, today) and claims
 * the job as the daemon does; its id in id. */
static void trigger_and_claim(const char *body, char id[JOB_ID_BUF])
{
    char configs[300];
    struct jobreq req = {0};
    struct trigger_answer ans = {0};
    struct trigger_env env = {.configs_dir = configs, .max_concurrent = 1};
    enum jobreq_fail why;
    snprintf(configs, sizeof(configs), "%s/configs", fx.dir);
    date_today(env.today);
    ok(jobreq_parse(body, strlen(body), &req, &why, err, sizeof(err)) == 0 &&
           trigger_run(fx.db, &req, &env, &ans, &why, err, sizeof(err)) == 0 &&
           ans.outcome == TRIGGER_ACCEPTED,
       "job accepted: %s", err);
    snprintf(id, JOB_ID_BUF, "%s", ans.job_id);
    jobreq_free(&req);
    trigger_answer_free(&ans);
    ok(jobs_claim(fx.db, id, err, sizeof(err)) == JOBS_FOUND, "job claimed: %s", err);
}

/* Runs the claimed job id to its end on a pool of threads. */
static void run_job(const char *id, int threads)
{
    enum worker_result res = WORKER_ABANDONED;
    struct worker_self self;
    struct worker_opts o = {
        .db_path = fx.db_path, .home = fx.dir, .threads = threads, .self = &self, .poll = 0.05};
    ok(worker_self_init(&self, "test", threads, err, sizeof(err)) == 0 &&
           worker_serve(&o, fx.db, id, false, &res, err, sizeof(err)) == 0 &&
           res == WORKER_FINISHED,
       "job run: %s", err);
}

/* Two LLM models and the mock over two days through jobs and the worker:
 * w-down fails both days (job partial), the others commit. */
static void test_worker(void)
{
    char id[JOB_ID_BUF] = "", sql[512], buf[512];
    trigger_and_claim("{\"config_path\": \"configs/agent.json\", \"date_range\": [\"2025-01-03\", "
                      "\"2025-01-06\"], \"models\": [\"w-good\", \"w-down\", \"mocky\"]}",
                      id);
    run_job(id, 3);
    snprintf(sql, sizeof(sql), "SELECT status FROM jobs WHERE job_id='%s'", id);
    is_str(fx_text(fx.db, sql, buf, sizeof(buf)), "partial", "job partial");
    snprintf(sql, sizeof(sql),
             "SELECT error FROM job_details WHERE job_id='%s' AND model='w-down' AND "
             "date='2025-01-03'",
             id);
    fx_text(fx.db, sql, buf, sizeof(buf));
    ok(strstr(buf, "503") && strstr(buf, "after 4 attempts"), "the failure is stored: %s", buf);
    is_int(fx_int(fx.db, "SELECT count(*) FROM positions WHERE model='w-down'"), 0,
           "nothing committed for the failed model");
    is_int(fx_int(fx.db, "SELECT count(*) FROM positions WHERE model IN ('w-good','mocky')"), 4,
           "the other models completed both days");
    /* w-good: 3 BBB at 21.0 on 2025-01-03, valued at 21.75. */
    is_int(fx_int(fx.db, "SELECT cash FROM positions WHERE model='w-good' AND "
                         "date='2025-01-03'"),
           9937 * MONEY_SCALE, "w-good's cash");
    is_int(fx_int(fx.db, "SELECT portfolio_value FROM positions WHERE model='w-good' AND "
                         "date='2025-01-03'"),
           10002 * MONEY_SCALE + MONEY_SCALE / 4, "w-good's value at the close");
    is_int(fx_int(fx.db, "SELECT total_steps * 10 + stop_signal FROM positions WHERE "
                         "model='w-good' AND date='2025-01-06'"),
           11, "the second day: the repeated final answer, one step");
    is_int(fx_int(fx.db, "SELECT count(*) FROM reasoning_logs r JOIN positions p ON "
                         "p.id=r.position_id WHERE p.model='w-good' AND p.date='2025-01-03'"),
           5, "reasoning stored: system, user, assistant, tool, assistant");
    is_int(fx_int(fx.db, "SELECT count(*) FROM reasoning_logs WHERE message_json IS NULL OR "
                         "json_valid(message_json) = 0"),
           0, "every message_json is JSON");
    is_int(fx_int(fx.db, "SELECT calls FROM tool_usage u JOIN positions p ON p.id=u.position_id "
                         "WHERE p.model='w-good' AND p.date='2025-01-03' AND "
                         "u.tool_name='buy'"),
           1, "tool usage stored");
    fx_text(fx.db,
            "SELECT reasoning_summary FROM positions WHERE model='w-good' AND "
            "date='2025-01-03'",
            buf, sizeof(buf));
    is_str(buf, "Bought BBB.", "the summary stored");
    is_int(fx_int(fx.db, "SELECT count(*) FROM trades t JOIN positions p ON p.id=t.position_id "
                         "WHERE p.model='mocky'"),
           2, "the mock traded on both days");
    /* The server refuses any other key: w-good's came from the config file. */
    is_int(fx_int(fx.db, "SELECT count(*) FROM jobs WHERE instr(config_json, 'sk-test') OR "
                         "instr(config_json, 'sk-wrong')"),
           0, "the stored config has no key");
}

/* The config file lost w-good's key after the trigger: its day fails with a
 * clear message, the mock's commits. */
static void test_worker_key_gone(void)
{
    char path[320], id[JOB_ID_BUF] = "", sql[512], buf[512], want[512];
    snprintf(path, sizeof(path), "%s/configs/agent.json", fx.dir);
    trigger_and_claim("{\"config_path\": \"configs/agent.json\", \"date_range\": "
                      "[\"2025-01-07\"], \"models\": [\"w-good\", \"mocky\"]}",
                      id);
    json_object *root = json_object_from_file(path), *models = at(root, "models");
    for (size_t i = 0; models && i < json_object_array_length(models); i++) {
        json_object *m = json_object_array_get_idx(models, i);
        if (strcmp(at_str(m, "signature"), "w-good") == 0)
            json_object_object_del(m, "openai_api_key");
    }
    ok(root && json_object_to_file(path, root) == 0, "w-good's key removed from the file");
    json_object_put(root);
    int before = requests_of("w-good");
    run_job(id, 2);
    snprintf(sql, sizeof(sql), "SELECT status FROM jobs WHERE job_id='%s'", id);
    is_str(fx_text(fx.db, sql, buf, sizeof(buf)), "partial", "job partial");
    snprintf(sql, sizeof(sql), "SELECT error FROM job_details WHERE job_id='%s' AND model='w-good'",
             id);
    snprintf(want, sizeof(want), "API key for model w-good is no longer in %s", path);
    is_str(fx_text(fx.db, sql, buf, sizeof(buf)), want, "w-good failed: its key is gone");
    is_int(requests_of("w-good"), before, "... without sending a request");
    is_int(fx_int(fx.db, "SELECT count(*) FROM positions WHERE model='mocky' AND "
                         "date='2025-01-07'"),
           1, "the mock committed its day");
}

int main(void)
{
    char script[300], path[300];
    if (llm_global_init(err, sizeof(err)) != 0 || fx_open(&fx) != 0) {
        printf("Bail out! fixture\n");
        return 1;
    }
    unsetenv(SEARCH_ENV_KEY);
    unsetenv(SEARCH_ENV_BASE);
    insert_prices();
    snprintf(llm_log, sizeof(llm_log), "%s/llm.jsonl", fx.dir);
    snprintf(jina_log, sizeof(jina_log), "%s/jina.jsonl", fx.dir);
    int st = write_json("llm_script.json", llm_script, script, sizeof(script));
    st = st ? st : start_server(&llm_srv, "llm_server.py", script, llm_log, "sk-test");
    if (st == 0) {
        st = write_json("jina_script.json", jina_script, script, sizeof(script));
        st = st ? st : start_server(&jina_srv, "jina_server.py", script, jina_log, "jk-test");
    }
    if (st != 0) {
        stop_server(&llm_srv);
        stop_server(&jina_srv);
        fx_close(&fx);
        if (st == 1) {
            printf("1..0 # SKIP python3 not found\n");
            return 0;
        }
        printf("Bail out! a test server did not start\n");
        return 1;
    }
    if (write_config(path, sizeof(path)) != 0 || config_load(path, &cfg, err, sizeof(err)) != 0) {
        printf("Bail out! config: %s\n", err);
        return 1;
    }
    log_set_level(LOG_LEVEL_CRITICAL);
    test_prompt();
    test_happy();
    test_steps();
    test_providers();
    test_template();
    test_token_overflow();
    test_bad_arguments();
    test_faults();
    test_cancel();
    test_search();
    test_mock();
    test_worker();
    test_worker_key_gone();
    config_free(&cfg);
    stop_server(&llm_srv);
    stop_server(&jina_srv);
    fx_close(&fx);
    llm_global_cleanup();
    return tap_done();
}
