/* agent: the LLM decider of a model-day, behind providers "openai" (an
 * OpenAI-compatible endpoint through llm.h) and "mock" (the scripted
 * offline model of mockllm.h). Owns AI-Trader's system prompt (today's
 * date, yesterday's positions and closes, today's opens, the stop signal)
 * and the step loop of the contract: each step is one chat completion with
 * the tools; the assistant message is appended as received; every tool call
 * is run through tools_call and answered in order; a reply without tool
 * calls that contains the stop signal ends the day; one without it gets a
 * short nudge; max_steps completions end the day too (not an error). A
 * failed completion (transient after the retries, or permanent) fails the
 * model-day with the step, the class and the provider's message. Every
 * message, the token usage, the step count, the stop flag and the summary
 * are recorded in the tools context, which modelday.h commits. */
#ifndef TRADER_AGENT_H
#define TRADER_AGENT_H

#include <stdatomic.h>
#include <stddef.h>

#include <json-c/json.h>

#include "llm.h"
#include "modelday.h"
#include "tools.h"

#define AGENT_STOP_SIGNAL "<FINISH_SIGNAL>"
#define AGENT_NUDGE                                                                                \
    "Please continue: use the tools to trade if needed, and output " AGENT_STOP_SIGNAL             \
    " when today's task is complete."

/* The model behind the loop. chat has llm_chat's contract (messages and
 * tools borrowed; on success *out is a response the caller frees with
 * llm_response_free; oc filled either way; stop may be NULL), with self the
 * model's own state (an llm_client, a mockllm). */
struct agent_model {
    int (*chat)(void *self, json_object *messages, json_object *tools, const atomic_int *stop,
                struct llm_response **out, struct llm_outcome *oc, char *err, size_t errlen);
    void *self;
};

/* The system prompt (AI-Trader's contents, our wording) for ctx's day and portfolio: yesterday is
 * the previous trading day in the price store (closes on or before it), today's buying prices are
 * today's opens of the universe (symbols without a bar left out). On success *out (caller frees
 * with free()) holds the text. */
int agent_system_prompt(struct tools_ctx *ctx, char **out, char *err, size_t errlen);

/* Runs the day's loop with model m, at most max_steps completions, offering
 * tools_definitions(ctx). ctx->cancel is the stop flag passed to each
 * completion. Returns 0 when the day ended (stop signal or max_steps), or -1
 * with err filled (a failed completion, an internal tool failure, cancel). */
int agent_run(struct tools_ctx *ctx, const struct agent_model *m, int max_steps, char *err,
              size_t errlen);

/* The modelday deciders (modelday_decide_fn). openai: the model entry's
 * endpoint, key, basemodel and timeout_seconds, the config's max_steps,
 * max_retries and base_delay, and the search tool when JINA_API_KEY is set;
 * the program calls llm_global_init before its first model-day thread.
 * mock: mockllm, no network and no search. */
int agent_decide_openai(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                        size_t errlen);
int agent_decide_mock(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                      size_t errlen);

#endif
