/* mockllm: the scripted offline model of provider "mock". It answers chat
 * completions in-process, in OpenAI's response format (parsed by
 * llm_response_parse like a real answer), so the default configuration
 * shows the whole agent path without a network or a key. Deterministic,
 * and driven only by the history it is sent, like a real model:
 *   1. get_price_local of three symbols (today's open);
 *   2. buy the cheapest of them with about a tenth of the cash shown in the
 *      system prompt (skipped when that buys no whole share);
 *   3. a closing message with the stop signal. */
#ifndef TRADER_MOCKLLM_H
#define TRADER_MOCKLLM_H

#include <stdatomic.h>
#include <stddef.h>

#include <json-c/json.h>

#include "agent/llm.h"
#include "market/universe.h"

#define MOCKLLM_MODEL "mock/scripted"
#define MOCKLLM_SYMBOLS 3

struct mockllm {
    char symbols[MOCKLLM_SYMBOLS][SYMBOL_MAX]; /* the symbols it asks prices of */
    size_t nsymbols;
    unsigned long calls; /* completions answered, numbers the ids */
};

/* Sets m up for a universe (borrowed; NULL = the default NASDAQ-100, where
 * it watches AAPL, MSFT and NVDA; else the first three tradable symbols). */
void mockllm_init(struct mockllm *m, const char (*universe)[SYMBOL_MAX], size_t nuniverse);

/* agent_model's chat: self is a struct mockllm. tools is not consulted (the
 * script knows its tools). Returns -1 only when stop is raised (class
 * LLM_INTERRUPTED). */
int mockllm_chat(void *self, json_object *messages, json_object *tools, const atomic_int *stop,
                 struct llm_response **out, struct llm_outcome *oc, char *err, size_t errlen);

#endif
