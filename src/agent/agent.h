/* agent: the LLM decider of a model-day, behind providers "openai" (an
 * OpenAI-compatible endpoint through llm.h) and "mock" (the scripted
 * offline model of mockllm.h). Owns the system prompt (the built-in wording,
 * or the config's system_prompt_file template, both rendered with today's
 * date, yesterday's positions and closes, today's opens and the stop signal)
 * and AI-Trader's step loop: a step is one agent run, chat completions with
 * the tools, every tool call answered in order, until a reply without tool
 * calls (at most max_completions_per_step). A reply with the stop signal ends
 * the day; otherwise the next step starts from the step's first history plus
 * the model's reply and a user message "Tool results: ..." carrying the
 * step's tool answers (the step's tool-call exchange itself is not sent
 * again, as in AI-Trader). max_steps steps, or max_completions completions in
 * the day, end the day too (not an error). A failed completion (transient
 * after the retries, or permanent) fails the model-day with the step, the
 * class and the provider's message, except a full context window, which is
 * answered once per day by trimming the oldest tool results. Tool calls
 * written as text in the content (no tool-call parser on the server) fail
 * the day saying what to fix. Every message (with its step and completion),
 * the token usage, the step count, the stop flag and the summary are
 * recorded in the tools context, which modelday.h commits. */
#ifndef TRADER_AGENT_H
#define TRADER_AGENT_H

#include <stdatomic.h>
#include <stddef.h>

#include <json-c/json.h>

#include "agent/llm.h"
#include "trading/tools.h"

#define AGENT_STOP_SIGNAL "<FINISH_SIGNAL>"
#define AGENT_TOOL_RESULTS "Tool results: " /* AI-Trader's re-prompt, then the answers */
#define AGENT_TRIMMED "(trimmed: the model's context window was full)"
#define AGENT_TEMPLATE_MAX (256 * 1024) /* bytes of a system_prompt_file */

/* How long a day may run. */
struct agent_limits {
    int max_steps;                /* agent runs */
    int max_completions_per_step; /* completions in one run */
    int max_completions;          /* completions in the day, a cost guard */
};

/* The model behind the loop. chat has llm_chat's contract (messages and
 * tools borrowed; on success *out is a response the caller frees with
 * llm_response_free; oc filled either way; stop may be NULL), with self the
 * model's own state (an llm_client, a mockllm). */
struct agent_model {
    int (*chat)(void *self, json_object *messages, json_object *tools, const atomic_int *stop,
                struct llm_response **out, struct llm_outcome *oc, char *err, size_t errlen);
    void *self;
};

/* The system prompt for ctx's day and portfolio from tmpl (NULL: the
 * built-in wording, AI-Trader's contents in our words). Placeholders, as in
 * AI-Trader's prompt (Python format syntax): {date} today, {positions}
 * yesterday's closing positions, {yesterday_close_price} the last closes on
 * or before the previous trading day, {today_buy_price} today's opens
 * (symbols without a bar left out), {STOP_SIGNAL}, and ours:
 * {corporate_actions} the splits applied to today's holdings (splits.h; a
 * paragraph and a blank line, empty on other days; appended to a template
 * without it); "{{" and "}}" are literal braces. Any other {name} is an
 * error naming it. On success *out (caller frees with free()) holds the
 * text. */
int agent_system_prompt(struct tools_ctx *ctx, const char *tmpl, char **out, char *err,
                        size_t errlen);

/* Reads the template file (a path relative to the configs directory's
 * parent, e.g. "configs/prompts/x.txt", confined to the configs directory
 * like config_path; at most AGENT_TEMPLATE_MAX bytes of UTF-8 text without
 * NUL). On success *out (caller frees) holds the text. */
int agent_load_template(const char *file, char **out, char *err, size_t errlen);

/* Runs the day's loop with model m within lim, offering
 * tools_definitions(ctx), with the prompt of tmpl (NULL: built-in).
 * ctx->cancel is the stop flag passed to each completion. Returns 0 when the
 * day ended (stop signal, max_steps, max_completions), or -1 with err
 * filled (a failed completion, tool calls written as text, an internal tool
 * failure, cancel). */
int agent_run(struct tools_ctx *ctx, const struct agent_model *m, const struct agent_limits *lim,
              const char *tmpl, char *err, size_t errlen);

/* The modelday deciders (modelday_decide_fn). openai: the model entry's
 * endpoint, key, basemodel, timeout_seconds and request options, the
 * config's limits, max_retries, base_delay and system_prompt_file, and the
 * search tool when JINA_API_KEY is set;
 * the program calls llm_global_init before its first model-day thread.
 * mock: mockllm, no network and no search. */
int agent_decide_openai(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                        size_t errlen);
int agent_decide_mock(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                      size_t errlen);

#endif
