/* agent: see agent.h. The day's history is a json-c array of whole
 * messages: the system prompt and the user message, then per finished step
 * the model's reply and the "Tool results" message. A step works on a copy
 * of it that grows by the assistant message exactly as the client returned
 * it (with its normalized tool-call ids), then one tool message per call in
 * the same order, so each request satisfies the tool-call protocol. Each
 * message is recorded (tools_log) as it is appended; the reply repeated at
 * the start of the next step is not recorded twice. */
#include "agent/agent.h"

#include "base/errbuf.h"
#include "base/file.h"
#include "base/jsontext.h"
#include "base/log.h"
#include "base/mem.h"
#include "agent/mockllm.h"
#include "base/paths.h"
#include "market/prices.h"
#include "market/search.h"
#include "market/splits.h"
#include "market/universe.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER "traderd.agent"
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The built-in prompt carries what AI-Trader's prompt gives the model (its
 * role, the day's date, yesterday's positions and closes, today's opens and
 * the stop signal), in our own words, with the placeholders of its
 * template; the facts use AI-Trader's Python-dict notation so results stay
 * comparable with its benchmark. */
static const char PROMPT_BUILTIN[] =
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
    "The facts for today:\n\n"
    "Today's date:\n{date}\n\n"
    "Positions at yesterday's close (shares held per stock code; CASH is the cash "
    "available):\n{positions}\n\n"
    "Closing prices yesterday:\n{yesterday_close_price}\n\n"
    "Opening prices today (buys and sells fill at these):\n{today_buy_price}\n\n"
    "{corporate_actions}"
    "When today's work is done, answer without tool calls and include\n{STOP_SIGNAL}\n";

/* ---- the system prompt -------------------------------------------------- */

static size_t universe_size(const struct tools_ctx *ctx)
{
    return ctx->universe ? ctx->nuniverse : universe_nasdaq100_count;
}

static const char *universe_at(const struct tools_ctx *ctx, size_t i)
{
    return ctx->universe ? ctx->universe[i] : universe_nasdaq100()[i];
}

static bool in_universe(const struct tools_ctx *ctx, const char *symbol)
{
    for (size_t i = 0; i < universe_size(ctx); i++)
        if (strcmp(universe_at(ctx, i), symbol) == 0)
            return true;
    return false;
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
        enum prices_found found =
            *yesterday ? prices_last_close(ctx->db, universe_at(ctx, i), yesterday, &v, err, errlen)
                       : PRICES_MISSING;
        if (found == PRICES_ERROR)
            return -1;
        if (found == PRICES_FOUND) {
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
        enum prices_found found =
            prices_open(ctx->db, universe_at(ctx, i), ctx->date, &v, err, errlen);
        if (found == PRICES_ERROR)
            return -1;
        if (found == PRICES_FOUND)
            money_item(f, n++, universe_at(ctx, i), "_price", v);
    }
    fputs(n ? "}" : "{}", f);
    return 0;
}

/* The text of one placeholder value, written by a function of the day. */
struct facts {
    const char *yesterday; /* "" when the store has no earlier trading day */
    int told_splits;       /* {corporate_actions} was written */
};

/* The splits applied to today's start state (splits.h), as a paragraph and
 * a blank line; nothing on a day without any. Sets *told. */
static void write_splits(FILE *f, const struct tools_ctx *ctx, int *told)
{
    *told = 1;
    if (!ctx->nsplits)
        return;
    char *notice = splits_notice(ctx->splits, ctx->nsplits);
    fprintf(f, "%s\n", notice);
    free(notice);
}

/* What write_placeholder did. */
enum placeholder {
    PLACEHOLDER_ERROR = -1, /* err says why */
    PLACEHOLDER_WRITTEN,
    PLACEHOLDER_UNKNOWN, /* no such name: nothing written */
};

/* Writes placeholder name (len bytes) of ctx's day to f. */
static enum placeholder write_placeholder(FILE *f, struct tools_ctx *ctx, struct facts *fx,
                                          const char *name, size_t len, char *err, size_t errlen)
{
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
    if (IS("date"))
        fputs(ctx->date, f);
    else if (IS("positions"))
        write_positions(f, ctx);
    else if (IS("yesterday_close_price")) {
        if (write_closes(f, ctx, fx->yesterday, err, errlen) != 0)
            return PLACEHOLDER_ERROR;
    } else if (IS("today_buy_price")) {
        if (write_opens(f, ctx, err, errlen) != 0)
            return PLACEHOLDER_ERROR;
    } else if (IS("STOP_SIGNAL"))
        fputs(AGENT_STOP_SIGNAL, f);
    else if (IS("corporate_actions"))
        write_splits(f, ctx, &fx->told_splits);
    else
        return PLACEHOLDER_UNKNOWN;
    return PLACEHOLDER_WRITTEN;
#undef IS
}

/* Renders tmpl to f: "{{" and "}}" are braces, "{name}" a placeholder, any
 * other brace is text. */
static int render(FILE *f, struct tools_ctx *ctx, const char *tmpl, struct facts *fx, char *err,
                  size_t errlen)
{
    for (const char *p = tmpl; *p;) {
        size_t name = strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            fputc(*p, f);
            p += 2;
        } else if (p[0] == '{' && name > 0 && p[1 + name] == '}') {
            enum placeholder rc = write_placeholder(f, ctx, fx, p + 1, name, err, errlen);
            if (rc == PLACEHOLDER_ERROR)
                return -1;
            if (rc == PLACEHOLDER_UNKNOWN)
                return err_set(err, errlen,
                               "system prompt template: unknown placeholder {%.*s} (known: "
                               "{date}, {positions}, {yesterday_close_price}, "
                               "{today_buy_price}, {STOP_SIGNAL}, {corporate_actions})",
                               (int)(name > 40 ? 40 : name), p + 1);
            p += name + 2;
        } else {
            fputc(*p++, f);
        }
    }
    return 0;
}

int agent_system_prompt(struct tools_ctx *ctx, const char *tmpl, char **out, char *err,
                        size_t errlen)
{
    char yesterday[DATE_BUF] = "", *buf = NULL;
    size_t size = 0;
    int rc = -1;
    if (prices_prev_trading_day(ctx->db, ctx->date, yesterday, err, errlen) == PRICES_ERROR)
        return -1;
    struct facts fx = {yesterday, 0};
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        mem_fatal(0);
    if (render(f, ctx, tmpl ? tmpl : PROMPT_BUILTIN, &fx, err, errlen) != 0)
        goto out;
    /* The model is told of a split even by a template without the placeholder. */
    if (!fx.told_splits && ctx->nsplits) {
        fputc('\n', f);
        write_splits(f, ctx, &fx.told_splits);
    }
    rc = 0;
out:
    if (fclose(f) != 0) /* a memory stream fails only for lack of memory */
        mem_fatal(0);
    if (rc == 0)
        *out = buf;
    else
        free(buf);
    return rc;
}

int agent_load_template(const char *file, char **out, char *err, size_t errlen)
{
    char dir[PATHS_MAX], path[PATHS_MAX], why[ERRBUF_SIZE];
    char *buf;
    size_t len;
    if (paths_configs_dir(dir, sizeof(dir), err, errlen) != 0)
        return -1;
    if (paths_confine(dir, file, path, sizeof(path), why, sizeof(why)) != 0 ||
        file_read(path, AGENT_TEMPLATE_MAX, &buf, &len, why, sizeof(why)) != 0)
        return err_set(err, errlen, "system_prompt_file: %s", why);
    if (memchr(buf, '\0', len)) {
        free(buf);
        return err_set(err, errlen, "system_prompt_file: a NUL byte");
    }
    *out = buf;
    return 0;
}

/* ---- the loop ------------------------------------------------------------- */

/* State of one day's run. */
struct day {
    struct tools_ctx *ctx;
    const struct agent_model *m;
    const struct agent_limits *lim;
    json_object *tools;
    json_object *base; /* what every step starts from */
    int trimmed;       /* the context was trimmed (once a day) */
};

/* A new {"role": role, "content": content} (plus tool_call_id when set)
 * appended to messages; the result is borrowed from messages. */
static json_object *push_new(json_object *messages, const char *role, const char *content,
                             const char *tool_call_id)
{
    json_object *m = json_new_object();
    json_put(m, "role", json_object_new_string(role));
    if (tool_call_id)
        json_put(m, "tool_call_id", json_object_new_string(tool_call_id));
    json_put(m, "content", json_object_new_string(content));
    json_push(messages, m);
    return m;
}

static int record(struct tools_ctx *ctx, json_object *msg, const char *role, const char *content,
                  const char *tool_name, const char *tool_call_id, char *err, size_t errlen)
{
    return tools_log(ctx, role, content, tool_name, tool_call_id,
                     json_object_to_json_string_ext(msg, JSON_FLAGS), err, errlen);
}

/* push_new, then recorded. */
static int append_new(struct tools_ctx *ctx, json_object *messages, const char *role,
                      const char *content, const char *tool_name, const char *tool_call_id,
                      char *err, size_t errlen)
{
    json_object *m = push_new(messages, role, content, tool_call_id);
    return record(ctx, m, role, content, tool_name, tool_call_id, err, errlen);
}

/* The reasoning summary of an assistant text: the signal removed, blanks
 * trimmed (caller frees). NULL when nothing is left. */
static char *summary_of(const char *content)
{
    static const char sig[] = AGENT_STOP_SIGNAL;
    char *s = mem_strdup(content), *p;
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

/* True when content holds tool calls written as text, which happens when
 * the server has no tool-call parser for the model: a <tool_call> block
 * (Hermes and Qwen templates), or as the whole content (a ``` fence
 * allowed) a JSON object naming one of our tools with its arguments, or a
 * list starting with one. */
static bool text_tool_calls(const char *content)
{
    json_object *v = NULL;
    if (strstr(content, "<tool_call>"))
        return true;
    const char *p = content + strspn(content, " \t\r\n");
    if (strncmp(p, "```", 3) == 0) {
        p += 3 + strcspn(p + 3, "\n");
        p += strspn(p, " \t\r\n");
    }
    size_t len = strlen(p);
    while (len > 0 && strchr(" \t\r\n`", p[len - 1]))
        len--;
    if (len == 0 || (*p != '{' && *p != '[') || jsontext_parse(p, len, &v, NULL, 0) != 0)
        return false;
    json_object *first =
        json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, 0) : v;
    const char *name = jsontext_string(first, "name");
    bool found = name && tools_known(name) &&
                 (json_object_object_get_ex(first, "arguments", NULL) ||
                  json_object_object_get_ex(first, "parameters", NULL));
    json_object_put(v);
    return found;
}

/* Runs one tool call, answers it in work and adds its answer to the step's
 * results. An internal tool failure fails the day. */
static int answer_call(struct tools_ctx *ctx, json_object *work, const struct llm_tool_call *call,
                       FILE *results, char *err, size_t errlen)
{
    char *result = NULL;
    int rc = -1;
    /* A refused call is answered like a done one: the model reads why. */
    if (tools_call(ctx, call->name, call->arguments, &result, err, errlen) != TOOLS_ERROR &&
        append_new(ctx, work, "tool", result, call->name, call->id, err, errlen) == 0) {
        fprintf(results, "%s%s", ftell(results) > 0 ? "\n" : "", result);
        rc = 0;
    }
    free(result);
    return rc;
}

/* Appends r's assistant message to work and runs its tool calls. */
static int take_reply(struct day *d, json_object *work, int step, const struct llm_response *r,
                      FILE *results, char *err, size_t errlen)
{
    struct tools_ctx *ctx = d->ctx;
    if (r->ncalls == 0 && r->content && text_tool_calls(r->content))
        return err_set(err, errlen,
                       "step %d: the model wrote its tool calls as text in the reply, so the "
                       "server is not parsing tool calls: enable tool calling on the server "
                       "(vLLM: --enable-auto-tool-choice with the --tool-call-parser of the "
                       "model; Ollama: a model whose template supports tools) or use a model "
                       "that returns tool_calls",
                       step);
    json_push(work, json_object_get(r->message));
    if (record(ctx, r->message, "assistant", r->content, NULL, NULL, err, errlen) != 0)
        return -1;
    char *summary = r->content ? summary_of(r->content) : NULL;
    int rc = 0;
    if (summary)
        tools_set_summary(ctx, summary);
    free(summary);
    for (size_t i = 0; rc == 0 && i < r->ncalls; i++)
        rc = answer_call(ctx, work, &r->calls[i], results, err, errlen);
    return rc;
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

/* Replaces the content of the oldest half of the tool answers in work (tool
 * messages and "Tool results" messages, shared with the base history).
 * Returns how many were trimmed. */
static int trim_tool_results(json_object *work)
{
    size_t n = json_object_array_length(work), total = 0, done = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n && (pass == 0 || done < (total + 1) / 2); i++) {
            json_object *m = json_object_array_get_idx(work, i);
            const char *role = jsontext_string(m, "role"), *c = jsontext_string(m, "content");
            int answer = role && c && strcmp(c, AGENT_TRIMMED) != 0 &&
                         (strcmp(role, "tool") == 0 ||
                          (strcmp(role, "user") == 0 &&
                           strncmp(c, AGENT_TOOL_RESULTS, strlen(AGENT_TOOL_RESULTS)) == 0));
            if (answer && pass == 0)
                total++;
            else if (answer) {
                json_put(m, "content", json_object_new_string(AGENT_TRIMMED));
                done++;
            }
        }
    return (int)done;
}

/* One completion on work. A full context window is answered once a day by
 * trimming the oldest tool results and asking again. */
static int complete(struct day *d, json_object *work, int step, struct llm_response **out,
                    char *err, size_t errlen)
{
    struct tools_ctx *ctx = d->ctx;
    char why[ERRBUF_SIZE];
    for (;;) {
        struct llm_outcome oc;
        if (tools_cancelled(ctx))
            return err_set(err, errlen, "cancelled before step %d, completion %d", step,
                           ctx->completions + 1);
        ctx->completions++;
        if (d->m->chat(d->m->self, work, d->tools, ctx->cancel, out, &oc, why, sizeof(why)) == 0) {
            if (oc.attempts > 1)
                log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, ctx->date, ctx->model,
                         "step %d succeeded after %d attempts (%.2f s of backoff)", step,
                         oc.attempts, oc.delay_total);
            add_usage(ctx, &(*out)->usage);
            return 0;
        }
        int trimmed = oc.kind == LLM_E_CONTEXT && !d->trimmed ? trim_tool_results(work) : 0;
        if (trimmed <= 0)
            return err_set(err, errlen, "step %d: %s LLM error: %s (completion %d of the day)",
                           step, llm_errclass_name(oc.cls), why, ctx->completions);
        d->trimmed = 1;
        log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, ctx->date, ctx->model,
                 "step %d: context window full; trimmed the %d oldest tool results", step, trimmed);
    }
}

/* How a step ended. */
enum step_end {
    STEP_ERROR = -1, /* err says why */
    STEP_DONE,       /* the reply and its tool answers are there */
    STEP_CAPPED,     /* the day's completion cap ended it */
};

/* Runs step `step` on a copy of the base history. On STEP_DONE *reply holds
 * the text of the step's last reply and *results its tool answers (caller
 * frees both). */
static enum step_end run_step(struct day *d, int step, char **reply, char **results, char *err,
                              size_t errlen)
{
    json_object *work = json_new_array();
    char *rbuf = NULL, *last = NULL;
    size_t rsize = 0;
    enum step_end rc = STEP_ERROR;
    int n = 0;
    FILE *rf = open_memstream(&rbuf, &rsize);
    if (!work || !rf)
        mem_fatal(0);
    for (size_t i = 0; i < json_object_array_length(d->base); i++)
        json_push(work, json_object_get(json_object_array_get_idx(d->base, i)));
    for (;; n++) {
        struct llm_response *r = NULL;
        if (n == d->lim->max_completions_per_step) {
            log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, d->ctx->date, d->ctx->model,
                     "step %d ended at max_completions_per_step (%d)", step, n);
            break;
        }
        if (d->ctx->completions >= d->lim->max_completions) {
            rc = STEP_CAPPED;
            goto out;
        }
        if (complete(d, work, step, &r, err, errlen) != 0)
            goto out;
        int f = take_reply(d, work, step, r, rf, err, errlen), calls = (int)r->ncalls;
        free(last);
        last = mem_strdup(r->content ? r->content : "");
        llm_response_free(r);
        if (f != 0)
            goto out;
        if (calls == 0)
            break;
    }
    if (fclose(rf) != 0) /* a memory stream fails only for lack of memory */
        mem_fatal(0);
    rf = NULL;
    *reply = last ? last : mem_strdup("");
    *results = rbuf;
    last = rbuf = NULL;
    rc = STEP_DONE;
out:
    if (rf)
        fclose(rf);
    free(rbuf);
    free(last);
    json_object_put(work);
    return rc;
}

/* The next step's start: the reply and AI-Trader's "Tool results: ..." user
 * message (only the latter is recorded: the reply already was). */
static int reprompt(struct day *d, const char *reply, const char *results, char *err, size_t errlen)
{
    size_t n = strlen(AGENT_TOOL_RESULTS) + strlen(results) + 1;
    char *text = mem_alloc(n);
    snprintf(text, n, "%s%s", AGENT_TOOL_RESULTS, results);
    push_new(d->base, "assistant", reply, NULL);
    int rc = append_new(d->ctx, d->base, "user", text, NULL, NULL, err, errlen);
    free(text);
    return rc;
}

/* The steps of the day after its first messages. */
static int run_steps(struct day *d, char *err, size_t errlen)
{
    struct tools_ctx *ctx = d->ctx;
    for (int step = 1; step <= d->lim->max_steps; step++) {
        char *reply = NULL, *results = NULL;
        ctx->total_steps = step;
        enum step_end end = run_step(d, step, &reply, &results, err, errlen);
        int rc = 0;
        if (end == STEP_DONE && strstr(reply, AGENT_STOP_SIGNAL))
            ctx->stop_signal = 1;
        else if (end == STEP_DONE)
            rc = reprompt(d, reply, results, err, errlen);
        free(reply);
        free(results);
        if (end == STEP_ERROR || rc != 0)
            return -1;
        if (end == STEP_CAPPED)
            log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, ctx->date, ctx->model,
                     "day ended at max_completions (%d) in step %d", d->lim->max_completions, step);
        if (end == STEP_CAPPED || ctx->stop_signal)
            return 0;
    }
    log_emit(LOG_LEVEL_INFO, LOGGER, NULL, ctx->date, ctx->model,
             "day ended at max_steps (%d) without the stop signal", d->lim->max_steps);
    return 0;
}

int agent_run(struct tools_ctx *ctx, const struct agent_model *m, const struct agent_limits *lim,
              const char *tmpl, char *err, size_t errlen)
{
    struct day d = {ctx, m, lim, tools_definitions(ctx), json_new_array(), 0};
    char *prompt = NULL, user[128];
    int rc = -1;
    snprintf(user, sizeof(user), "Please analyze and update today's (%s) positions.", ctx->date);
    ctx->total_steps = ctx->completions = ctx->stop_signal = 0;
    if (agent_system_prompt(ctx, tmpl, &prompt, err, errlen) != 0 ||
        append_new(ctx, d.base, "system", prompt, NULL, NULL, err, errlen) != 0 ||
        append_new(ctx, d.base, "user", user, NULL, NULL, err, errlen) != 0)
        goto out;
    rc = run_steps(&d, err, errlen);
out:
    free(prompt);
    json_object_put(d.tools);
    json_object_put(d.base);
    return rc;
}

/* ---- the deciders ----------------------------------------------------------- */

static int chat_llm(void *self, json_object *messages, json_object *tools, const atomic_int *stop,
                    struct llm_response **out, struct llm_outcome *oc, char *err, size_t errlen)
{
    return llm_chat(self, messages, tools, stop, out, oc, err, errlen);
}

static void limits_of(const struct config *cfg, struct agent_limits *lim)
{
    lim->max_steps = cfg->max_steps;
    lim->max_completions_per_step = cfg->max_completions_per_step;
    lim->max_completions = cfg->max_completions;
}

/* The config's prompt template into *out (NULL when it names none). */
static int template_of(const struct config *cfg, char **out, char *err, size_t errlen)
{
    *out = NULL;
    return cfg->system_prompt_file ? agent_load_template(cfg->system_prompt_file, out, err, errlen)
                                   : 0;
}

/* lc for model entry cm of cfg (strings and extra_body borrowed). */
static void llm_config_of(const struct config *cfg, const struct config_model *cm,
                          struct llm_config *lc)
{
    llm_config_init(lc);
    lc->base_url = cm->base_url;
    lc->api_key = cm->api_key;
    lc->model = cm->basemodel;
    lc->timeout_ms = (long)(cm->timeout_seconds * 1000.0);
    if (lc->timeout_ms < 1)
        lc->timeout_ms = 1;
    if (lc->connect_timeout_ms > lc->timeout_ms)
        lc->connect_timeout_ms = lc->timeout_ms;
    lc->max_retries = cfg->max_retries;
    lc->base_delay = cfg->base_delay;
    lc->has_temperature = cm->has_temperature;
    lc->temperature = cm->temperature;
    lc->max_tokens = cm->max_tokens;
    lc->extra_body = cm->extra_body;
    lc->drop_reasoning = cm->drop_reasoning;
    lc->max_tool_calls = (size_t)cfg->max_tool_calls;
    lc->max_reply_bytes = (size_t)cfg->max_reply_bytes;
}

int agent_decide_openai(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                        size_t errlen)
{
    const struct config_model *cm = spec->model;
    struct llm_config lc;
    struct llm_client *client = NULL;
    struct search_config sc;
    struct agent_limits lim;
    char *tmpl = NULL;
    enum search_key f;
    int rc;
    if (!cm->base_url)
        return err_set(err, errlen,
                       "model %s is disabled in the config and has no usable openai_base_url",
                       cm->signature);
    llm_config_of(spec->cfg, cm, &lc);
    limits_of(spec->cfg, &lim);
    if (template_of(spec->cfg, &tmpl, err, errlen) != 0)
        return -1;
    if (llm_client_new(&lc, &client, err, errlen) != 0 ||
        (f = search_config_from_env(&sc, err, errlen)) == SEARCH_ERROR) {
        llm_client_free(client);
        free(tmpl);
        return -1;
    }
    if (f == SEARCH_KEY_SET) {
        sc.stop = ctx->cancel;
        sc.snippets_only = spec->cfg->search_snippets_only;
        ctx->search = &sc;
    }
    struct agent_model m = {chat_llm, client};
    rc = agent_run(ctx, &m, &lim, tmpl, err, errlen);
    ctx->search = NULL; /* sc dies here */
    llm_client_free(client);
    free(tmpl);
    return rc;
}

int agent_decide_mock(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                      size_t errlen)
{
    struct mockllm mock;
    struct agent_limits lim;
    char *tmpl = NULL;
    if (template_of(spec->cfg, &tmpl, err, errlen) != 0)
        return -1;
    mockllm_init(&mock, ctx->universe, ctx->nuniverse);
    limits_of(spec->cfg, &lim);
    struct agent_model m = {mockllm_chat, &mock};
    int rc = agent_run(ctx, &m, &lim, tmpl, err, errlen);
    free(tmpl);
    return rc;
}
