/* agent: see agent.h. The history is one json-c array that grows by whole
 * messages: the assistant message exactly as the client returned it (with
 * its normalized tool-call ids), then one tool message per call in the
 * same order, so the next request always satisfies the tool-call protocol.
 * Each message is recorded (tools_log) as it is appended. */
#include "agent.h"

#include "errbuf.h"
#include "log.h"
#include "mockllm.h"
#include "prices.h"
#include "search.h"
#include "universe.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER "traderd.agent"
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The system prompt carries what AI-Trader's prompt gives the model (its
 * role, the day's date, yesterday's positions and closes, today's opens and
 * the stop signal), in our own words; the facts use AI-Trader's Python-dict
 * notation so results stay comparable with its benchmark. */
static const char PROMPT_INTRO[] =
    "\nYou manage a stock portfolio as a trading agent that works through tools.\n\n"
    "Goals:\n"
    "- Reason step by step and act by calling the tools you are given.\n"
    "- Weigh the prices of the stocks and the returns they offer.\n"
    "- Aim for the best long-term return of the portfolio.\n"
    "- Collect the information you need with the tools before you decide.\n\n"
    "How to work:\n"
    "- Start from yesterday's positions and today's prices below.\n"
    "  - Revalue what you hold and adjust each weight as your strategy requires.\n\n"
    "Rules:\n"
    "- Act directly; there is no one to ask for permission.\n"
    "- Only tool calls change the portfolio; trades written as text are ignored.\n\n"
    "The facts for today:\n\n";
static const char PROMPT_POSITIONS[] =
    "Positions at yesterday's close (shares held per stock code; CASH is the cash "
    "available):\n";
static const char PROMPT_CLOSES[] = "Closing prices yesterday:\n";
static const char PROMPT_OPENS[] = "Opening prices today (buys and sells fill at these):\n";
static const char PROMPT_END[] =
    "When today's work is done, answer without tool calls and include\n" AGENT_STOP_SIGNAL "\n";

/* ---- the system prompt -------------------------------------------------- */

static size_t universe_size(const struct tools_ctx *ctx)
{
    return ctx->universe ? ctx->nuniverse : universe_nasdaq100_count;
}

static const char *universe_at(const struct tools_ctx *ctx, size_t i)
{
    return ctx->universe ? ctx->universe[i] : universe_nasdaq100()[i];
}

static int in_universe(const struct tools_ctx *ctx, const char *symbol)
{
    for (size_t i = 0; i < universe_size(ctx); i++)
        if (strcmp(universe_at(ctx, i), symbol) == 0)
            return 1;
    return 0;
}

/* Writes "'KEY': " with the separator of item n of a Python dict. */
static void dict_key(FILE *f, size_t n, const char *key, const char *suffix)
{
    fprintf(f, "%s'%s%s': ", n ? ", " : "{", key, suffix);
}

static void money_item(FILE *f, size_t n, const char *key, const char *suffix, money_t v)
{
    char buf[MONEY_FMT_MAX];
    money_format(v, buf, sizeof(buf));
    dict_key(f, n, key, suffix);
    fputs(buf, f);
}

/* Every universe symbol with its shares (0 when not held), any other held
 * symbol, then CASH: the dict AI-Trader's position file holds. */
static void write_positions(FILE *f, const struct tools_ctx *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < universe_size(ctx); i++, n++) {
        dict_key(f, n, universe_at(ctx, i), "");
        fprintf(f, "%lld", (long long)portfolio_shares(&ctx->pf, universe_at(ctx, i)));
    }
    for (size_t i = 0; i < ctx->pf.n; i++)
        if (!in_universe(ctx, ctx->pf.h[i].symbol)) {
            dict_key(f, n++, ctx->pf.h[i].symbol, "");
            fprintf(f, "%lld", (long long)ctx->pf.h[i].shares);
        }
    money_item(f, n, "CASH", "", ctx->pf.cash);
    fputs("}", f);
}

/* {'SYM_price': close, ...} of the last close on or before yesterday (None
 * when there is none). */
static int write_closes(FILE *f, struct tools_ctx *ctx, const char *yesterday, char *err,
                        size_t errlen)
{
    size_t i = 0;
    for (; i < universe_size(ctx); i++) {
        money_t v = 0;
        int found =
            *yesterday ? prices_last_close(ctx->db, universe_at(ctx, i), yesterday, &v, err, errlen)
                       : 0;
        if (found < 0)
            return -1;
        if (found) {
            money_item(f, i, universe_at(ctx, i), "_price", v);
        } else {
            dict_key(f, i, universe_at(ctx, i), "_price");
            fputs("None", f);
        }
    }
    fputs(i ? "}" : "{}", f);
    return 0;
}

/* {'SYM_price': open, ...} of today; symbols without a bar are left out. */
static int write_opens(FILE *f, struct tools_ctx *ctx, char *err, size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; i < universe_size(ctx); i++) {
        money_t v;
        int found = prices_open(ctx->db, universe_at(ctx, i), ctx->date, &v, err, errlen);
        if (found < 0)
            return -1;
        if (found)
            money_item(f, n++, universe_at(ctx, i), "_price", v);
    }
    fputs(n ? "}" : "{}", f);
    return 0;
}

int agent_system_prompt(struct tools_ctx *ctx, char **out, char *err, size_t errlen)
{
    char yesterday[DATE_BUF] = "", *buf = NULL;
    size_t size = 0;
    int rc = -1;
    if (prices_prev_trading_day(ctx->db, ctx->date, yesterday, err, errlen) < 0)
        return -1;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return err_set(err, errlen, "out of memory");
    fputs(PROMPT_INTRO, f);
    fprintf(f, "Today's date:\n%s\n\n", ctx->date);
    fputs(PROMPT_POSITIONS, f);
    write_positions(f, ctx);
    fputs("\n\n", f);
    fputs(PROMPT_CLOSES, f);
    if (write_closes(f, ctx, yesterday, err, errlen) != 0)
        goto out;
    fputs("\n\n", f);
    fputs(PROMPT_OPENS, f);
    if (write_opens(f, ctx, err, errlen) != 0)
        goto out;
    fputs("\n\n", f);
    if (ctx->nsplits) {
        char *notice;
        if (splits_notice(ctx->splits, ctx->nsplits, &notice, err, errlen) != 0)
            goto out;
        fprintf(f, "%s\n", notice);
        free(notice);
    }
    fputs(PROMPT_END, f);
    rc = 0;
out:
    if (fclose(f) != 0 && rc == 0)
        rc = err_set(err, errlen, "out of memory");
    if (rc == 0)
        *out = buf;
    else
        free(buf);
    return rc;
}

/* ---- the loop ------------------------------------------------------------- */

/* Appends msg (a reference is taken) to the history and records it. */
static int append(struct tools_ctx *ctx, json_object *messages, json_object *msg, const char *role,
                  const char *content, const char *tool_name, const char *tool_call_id, char *err,
                  size_t errlen)
{
    if (json_object_array_add(messages, json_object_get(msg)) != 0) {
        json_object_put(msg);
        return err_set(err, errlen, "out of memory");
    }
    return tools_log(ctx, role, content, tool_name, tool_call_id,
                     json_object_to_json_string_ext(msg, JSON_FLAGS), err, errlen);
}

/* A new {"role": role, "content": content} (plus tool_call_id when set)
 * appended and recorded. */
static int append_new(struct tools_ctx *ctx, json_object *messages, const char *role,
                      const char *content, const char *tool_name, const char *tool_call_id,
                      char *err, size_t errlen)
{
    json_object *m = json_object_new_object();
    int bad = !m || json_object_object_add(m, "role", json_object_new_string(role)) != 0;
    if (!bad && tool_call_id)
        bad = json_object_object_add(m, "tool_call_id", json_object_new_string(tool_call_id));
    bad = bad || json_object_object_add(m, "content", json_object_new_string(content)) != 0;
    int rc = bad ? err_set(err, errlen, "out of memory")
                 : append(ctx, messages, m, role, content, tool_name, tool_call_id, err, errlen);
    json_object_put(m);
    return rc;
}

/* The reasoning summary of an assistant text: the signal removed, blanks
 * trimmed. NULL when nothing is left (or out of memory). */
static char *summary_of(const char *content)
{
    static const char sig[] = AGENT_STOP_SIGNAL;
    char *s = strdup(content), *p;
    if (!s)
        return NULL;
    while ((p = strstr(s, sig)))
        memmove(p, p + sizeof(sig) - 1, strlen(p + sizeof(sig) - 1) + 1);
    size_t len = strlen(s), start = strspn(s, " \t\r\n");
    while (len > start && strchr(" \t\r\n", s[len - 1]))
        len--;
    if (len == start) {
        free(s);
        return NULL;
    }
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
    return s;
}

/* Runs one tool call and answers it. An internal tool failure fails the day. */
static int answer_call(struct tools_ctx *ctx, json_object *messages,
                       const struct llm_tool_call *call, char *err, size_t errlen)
{
    char *result = NULL;
    int f = tools_call(ctx, call->name, call->arguments, &result, err, errlen);
    if (f >= 0)
        f = append_new(ctx, messages, "tool", result, call->name, call->id, err, errlen);
    free(result);
    return f < 0 ? -1 : 0;
}

/* Appends r's assistant message and acts on it: its tool calls, the stop
 * signal (*done set) or the nudge. */
static int take_step(struct tools_ctx *ctx, json_object *messages, const struct llm_response *r,
                     int *done, char *err, size_t errlen)
{
    if (append(ctx, messages, r->message, "assistant", r->content, NULL, NULL, err, errlen) != 0)
        return -1;
    char *summary = r->content ? summary_of(r->content) : NULL;
    int rc = summary ? tools_set_summary(ctx, summary, err, errlen) : 0;
    free(summary);
    for (size_t i = 0; rc == 0 && i < r->ncalls; i++)
        rc = answer_call(ctx, messages, &r->calls[i], err, errlen);
    if (rc != 0 || r->ncalls > 0)
        return rc;
    if (r->content && strstr(r->content, AGENT_STOP_SIGNAL)) {
        ctx->stop_signal = 1;
        *done = 1;
        return 0;
    }
    return append_new(ctx, messages, "user", AGENT_NUDGE, NULL, NULL, err, errlen);
}

/* Token counts are the provider's numbers: a negative one adds nothing and
 * a sum saturates instead of overflowing. */
static void add_tokens(long long *sum, long long n)
{
    if (n > 0)
        *sum = n > LLONG_MAX - *sum ? LLONG_MAX : *sum + n;
}

static void add_usage(struct tools_ctx *ctx, const struct llm_usage *u)
{
    if (!u->present)
        return;
    add_tokens(&ctx->prompt_tokens, u->prompt_tokens);
    add_tokens(&ctx->completion_tokens, u->completion_tokens);
    add_tokens(&ctx->total_tokens, u->total_tokens);
}

int agent_run(struct tools_ctx *ctx, const struct agent_model *m, int max_steps, char *err,
              size_t errlen)
{
    json_object *messages = json_object_new_array(), *tools = tools_definitions(ctx);
    char *prompt = NULL, user[128], why[ERRBUF_SIZE];
    int rc = -1, done = 0;
    if (!messages || !tools) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    snprintf(user, sizeof(user), "Please analyze and update today's (%s) positions.", ctx->date);
    ctx->total_steps = 0;
    ctx->stop_signal = 0;
    if (agent_system_prompt(ctx, &prompt, err, errlen) != 0 ||
        append_new(ctx, messages, "system", prompt, NULL, NULL, err, errlen) != 0 ||
        append_new(ctx, messages, "user", user, NULL, NULL, err, errlen) != 0)
        goto out;
    for (int step = 1; step <= max_steps && !done; step++) {
        struct llm_response *r = NULL;
        struct llm_outcome oc;
        if (tools_cancelled(ctx)) {
            err_set(err, errlen, "cancelled before step %d", step);
            goto out;
        }
        ctx->total_steps = step;
        if (m->chat(m->self, messages, tools, ctx->cancel, &r, &oc, why, sizeof(why)) != 0) {
            err_set(err, errlen, "step %d: %s LLM error: %s", step, llm_errclass_name(oc.cls), why);
            goto out;
        }
        if (oc.attempts > 1)
            log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, ctx->date, ctx->model,
                     "step %d succeeded after %d attempts (%.2f s of backoff)", step, oc.attempts,
                     oc.delay_total);
        add_usage(ctx, &r->usage);
        int f = take_step(ctx, messages, r, &done, err, errlen);
        llm_response_free(r);
        if (f != 0)
            goto out;
    }
    if (!done)
        log_emit(LOG_LEVEL_INFO, LOGGER, NULL, ctx->date, ctx->model,
                 "day ended at max_steps (%d) without the stop signal", max_steps);
    rc = 0;
out:
    free(prompt);
    json_object_put(tools);
    json_object_put(messages);
    return rc;
}

/* ---- the deciders ----------------------------------------------------------- */

static int chat_llm(void *self, json_object *messages, json_object *tools, const atomic_int *stop,
                    struct llm_response **out, struct llm_outcome *oc, char *err, size_t errlen)
{
    return llm_chat(self, messages, tools, stop, out, oc, err, errlen);
}

int agent_decide_openai(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                        size_t errlen)
{
    const struct config_model *cm = spec->model;
    struct llm_config lc;
    struct llm_client *client = NULL;
    struct search_config sc;
    int rc, f;
    llm_config_init(&lc);
    lc.base_url = cm->base_url;
    lc.api_key = cm->api_key;
    lc.model = cm->basemodel;
    lc.timeout_ms = (long)(cm->timeout_seconds * 1000.0);
    if (lc.timeout_ms < 1)
        lc.timeout_ms = 1;
    if (lc.connect_timeout_ms > lc.timeout_ms)
        lc.connect_timeout_ms = lc.timeout_ms;
    lc.max_retries = spec->cfg->max_retries;
    lc.base_delay = spec->cfg->base_delay;
    if (llm_client_new(&lc, &client, err, errlen) != 0)
        return -1;
    if ((f = search_config_from_env(&sc, err, errlen)) < 0) {
        llm_client_free(client);
        return -1;
    }
    if (f == 1) {
        sc.stop = ctx->cancel;
        ctx->search = &sc;
    }
    struct agent_model m = {chat_llm, client};
    rc = agent_run(ctx, &m, spec->cfg->max_steps, err, errlen);
    ctx->search = NULL; /* sc dies here */
    llm_client_free(client);
    return rc;
}

int agent_decide_mock(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                      size_t errlen)
{
    struct mockllm mock;
    mockllm_init(&mock, ctx->universe, ctx->nuniverse);
    struct agent_model m = {mockllm_chat, &mock};
    return agent_run(ctx, &m, spec->cfg->max_steps, err, errlen);
}
