/* mockllm: see mockllm.h. Which step it is comes from the history (the
 * number of assistant messages so far); what it does comes from the
 * messages too (the prices the tools answered, the cash in the prompt). */
#include "agent/mockllm.h"

#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/money.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define STOP_SIGNAL "<FINISH_SIGNAL>"

static const char *const default_watch[MOCKLLM_SYMBOLS] = {"AAPL", "MSFT", "NVDA"};

void mockllm_init(struct mockllm *m, const char (*universe)[SYMBOL_MAX], size_t nuniverse)
{
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; m->nsymbols < MOCKLLM_SYMBOLS && i < (universe ? nuniverse : 3); i++) {
        const char *s = universe ? universe[i] : default_watch[i];
        if (strcmp(s, UNIVERSE_BENCHMARK) != 0)
            snprintf(m->symbols[m->nsymbols++], SYMBOL_MAX, "%s", s);
    }
}

/* The index of the last assistant message, or -1; *count gets how many. */
static int last_assistant(json_object *messages, size_t *count)
{
    int last = -1;
    *count = 0;
    for (size_t i = 0; i < json_object_array_length(messages); i++) {
        const char *role = jsontext_string(json_object_array_get_idx(messages, i), "role");
        if (role && strcmp(role, "assistant") == 0) {
            last = (int)i;
            (*count)++;
        }
    }
    return last;
}

/* The cash the system prompt shows ("'CASH': 9500.25"), or 0. */
static money_t prompt_cash(json_object *messages)
{
    const char *text = jsontext_string(json_object_array_get_idx(messages, 0), "content");
    const char *p = text ? strstr(text, "'CASH': ") : NULL;
    char num[MONEY_FMT_MAX];
    money_t cash;
    if (!p)
        return 0;
    p += strlen("'CASH': ");
    size_t n = strspn(p, "-0123456789.");
    if (n == 0 || n >= sizeof(num))
        return 0;
    memcpy(num, p, n);
    num[n] = '\0';
    return money_parse(num, &cash) == 0 && cash > 0 ? cash : 0;
}

/* The parsed content of tool message i (NULL when it is not JSON). */
static json_object *tool_answer(json_object *messages, size_t i)
{
    json_object *m = json_object_array_get_idx(messages, i);
    const char *role = jsontext_string(m, "role"), *content = jsontext_string(m, "content");
    if (!role || strcmp(role, "tool") != 0 || !content)
        return NULL;
    return json_tokener_parse(content);
}

/* A new empty object (ends the process when json-c cannot allocate one). */
/* Adds {"id", "type": "function", "function": {name, arguments}} to calls;
 * takes args. */
static void add_call(json_object *calls, unsigned long seq, const char *name, json_object *args)
{
    char id[64];
    json_object *c = json_new_object(), *fn = json_new_object();
    snprintf(id, sizeof(id), "mock_%lu_%zu", seq, json_object_array_length(calls));
    json_put(fn, "name", json_object_new_string(name));
    json_put(fn, "arguments",
             json_object_new_string(json_object_to_json_string_ext(args, JSON_FLAGS)));
    json_put(c, "id", json_object_new_string(id));
    json_put(c, "type", json_object_new_string("function"));
    json_put(c, "function", fn);
    json_push(calls, c);
    json_object_put(args);
}

/* Step 1: today's open of each watched symbol. */
static void step_prices(const struct mockllm *m, json_object *msg, json_object *calls)
{
    char text[128] = "Checking today's opening prices:";
    for (size_t i = 0; i < m->nsymbols; i++) {
        json_object *args = json_new_object();
        json_put(args, "symbol", json_object_new_string(m->symbols[i]));
        add_call(calls, m->calls, "get_price_local", args);
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " %s", m->symbols[i]);
    }
    json_put(msg, "content", json_object_new_string(text));
}

/* Step 2: buy the cheapest quoted symbol with a tenth of the cash. False
 * when there is nothing to buy (the caller closes the day instead). */
static bool step_buy(const struct mockllm *m, json_object *messages, size_t from, json_object *msg,
                     json_object *calls)
{
    char sym[SYMBOL_MAX] = "", text[256], price[MONEY_FMT_MAX];
    money_t best = 0, budget = prompt_cash(messages) / 10;
    for (size_t i = from; i < json_object_array_length(messages); i++) {
        json_object *a = tool_answer(messages, i), *ohlcv;
        const char *s = jsontext_string(a, "symbol");
        money_t open;
        if (s && strlen(s) < SYMBOL_MAX && json_object_object_get_ex(a, "ohlcv", &ohlcv) &&
            money_parse(json_object_get_string(json_object_object_get(ohlcv, "open")), &open) ==
                0 &&
            open > 0 && (!*sym || open < best)) {
            best = open;
            snprintf(sym, sizeof(sym), "%s", s);
        }
        json_object_put(a);
    }
    if (!*sym || budget / best < 1)
        return false;
    int64_t amount = budget / best;
    json_object *args = json_new_object();
    json_put(args, "symbol", json_object_new_string(sym));
    json_put(args, "amount", json_object_new_int64(amount));
    add_call(calls, m->calls, "buy", args);
    money_format(best, price, sizeof(price));
    snprintf(text, sizeof(text),
             "%s opens at %s, the lowest of the prices checked: buying %lld shares with about a "
             "tenth of the cash.",
             sym, price, (long long)amount);
    json_put(msg, "content", json_object_new_string(text));
    return true;
}

/* Step 3: the closing message, saying how the last tool call went. */
static void step_finish(json_object *messages, size_t from, json_object *msg)
{
    char text[512] = "No trade today. " STOP_SIGNAL;
    size_t n = json_object_array_length(messages);
    json_object *a = n > from ? tool_answer(messages, n - 1) : NULL;
    const char *e = jsontext_string(a, "error");
    if (e)
        snprintf(text, sizeof(text), "No trade today: %.400s " STOP_SIGNAL, e);
    else if (a && json_object_object_get_ex(a, "CASH", NULL))
        snprintf(text, sizeof(text), "Bought as planned; cash left: %s. " STOP_SIGNAL,
                 json_object_to_json_string_ext(json_object_object_get(a, "CASH"), JSON_FLAGS));
    json_object_put(a);
    json_put(msg, "content", json_object_new_string(text));
}

/* The chat.completion body around msg, with usage counted as a quarter of
 * the characters, like the test server does. Caller frees the result. */
static char *completion(const struct mockllm *m, json_object *messages, json_object *msg,
                        bool with_calls)
{
    char id[64];
    json_object *root = json_new_object(), *choices = json_new_array(), *choice = json_new_object(),
                *usage = json_new_object();
    long long prompt = (long long)strlen(json_object_to_json_string_ext(messages, JSON_FLAGS)) / 4;
    long long done = (long long)strlen(json_object_to_json_string_ext(msg, JSON_FLAGS)) / 4;
    snprintf(id, sizeof(id), "mock-%lu", m->calls);
    json_put(choice, "index", json_object_new_int(0));
    json_put(choice, "message", json_object_get(msg));
    json_put(choice, "finish_reason", json_object_new_string(with_calls ? "tool_calls" : "stop"));
    json_push(choices, choice);
    json_put(usage, "prompt_tokens", json_object_new_int64(prompt));
    json_put(usage, "completion_tokens", json_object_new_int64(done));
    json_put(usage, "total_tokens", json_object_new_int64(prompt + done));
    json_put(root, "id", json_object_new_string(id));
    json_put(root, "object", json_object_new_string("chat.completion"));
    json_put(root, "model", json_object_new_string(MOCKLLM_MODEL));
    json_put(root, "choices", choices);
    json_put(root, "usage", usage);
    const char *s = json_object_to_json_string_ext(root, JSON_FLAGS);
    if (!s)
        mem_fatal(0);
    char *text = mem_strdup(s);
    json_object_put(root);
    return text;
}

int mockllm_chat(void *self, json_object *messages, json_object *tools, const atomic_int *stop,
                 struct llm_response **out, struct llm_outcome *oc, char *err, size_t errlen)
{
    struct mockllm *m = self;
    struct llm_outcome o = {LLM_OK, LLM_E_NONE, 200, 1, 0.0};
    json_object *msg, *calls;
    char *body;
    size_t nassist;
    int rc = -1;
    (void)tools;
    if (stop && atomic_load(stop)) {
        o = (struct llm_outcome){LLM_INTERRUPTED, LLM_E_STOPPED, 0, 0, 0.0};
        err_set(err, errlen, "interrupted before sending");
        goto out;
    }
    m->calls++;
    int last = last_assistant(messages, &nassist);
    msg = json_new_object();
    calls = json_new_array();
    json_put(msg, "role", json_object_new_string("assistant"));
    if (nassist == 0)
        step_prices(m, msg, calls);
    else if (nassist != 1 || !step_buy(m, messages, (size_t)last + 1, msg, calls))
        step_finish(messages, (size_t)(last + 1), msg);
    bool with_calls = json_object_array_length(calls) > 0;
    if (with_calls)
        json_put(msg, "tool_calls", calls);
    else
        json_object_put(calls);
    body = completion(m, messages, msg, with_calls);
    json_object_put(msg);
    rc = llm_response_parse(body, strlen(body), "the mock model", m->calls, out, err, errlen);
    free(body);
    if (rc != 0)
        o = (struct llm_outcome){LLM_PERMANENT, LLM_E_BAD_RESPONSE, 200, 1, 0.0};
out:
    if (oc)
        *oc = o;
    return rc;
}
