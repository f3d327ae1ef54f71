/* config: the simulation config file. Owns parsing and validating AI-Trader's
 * format as it is (agent_type, date_range, models, agent_config, log_config)
 * plus this project's additive extensions: per model "provider" ("openai",
 * "builtin" with a "strategy" and its knobs, or the scripted "mock"),
 * "timeout_seconds", "temperature", "max_tokens", "extra_body" and
 * "drop_reasoning"; agent_config's "max_completions_per_step",
 * "max_completions", "system_prompt_file", "max_tool_calls_per_reply",
 * "max_reply_bytes" and "search_snippets_only"; a top-level "stock_symbols"
 * list; and the top-level "trading" costs (commission_per_trade,
 * commission_bps, slippage_bps). A disabled model is checked for shape only
 * (AI-Trader's own config carries placeholder text in its disabled
 * entries). Endpoint settings fall back to the environment (OPENAI_API_BASE,
 * OPENAI_API_KEY); the config file wins. API keys are secrets: nothing in
 * this module prints them, config_public_json is the only view meant for
 * output, and the snapshot a job stores has none (a marker says the key was
 * in the file; config_restore_keys reads it back). */
#ifndef TRADER_CONFIG_H
#define TRADER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "base/dates.h"
#include "base/money.h"
#include "market/portfolio.h"
#include "market/universe.h"

#define CONFIG_FILE_MAX (1024 * 1024) /* bytes; a larger file is refused */
#define CONFIG_SIGNATURE_MAX 65       /* [A-Za-z0-9._-]{1,64} + NUL */
#define CONFIG_MODELS_MAX 128
#define CONFIG_SYMBOLS_MAX 1000
#define CONFIG_DEFAULT_OPENAI_BASE "https://api.openai.com/v1"
#define CONFIG_DEFAULT_TIMEOUT 120.0 /* seconds per LLM request */
#define CONFIG_DEFAULT_LOG_PATH "agent_data"
#define CONFIG_DEFAULT_MAX_STEPS 30
#define CONFIG_DEFAULT_COMPLETIONS_PER_STEP 50 /* AI-Trader's recursion limit */
#define CONFIG_DEFAULT_MAX_COMPLETIONS 300
#define CONFIG_DEFAULT_TOOL_CALLS 100              /* per reply */
#define CONFIG_DEFAULT_REPLY_BYTES (1024L * 1024L) /* per reply */
#define CONFIG_ENV_API_BASE "OPENAI_API_BASE"
#define CONFIG_ENV_API_KEY "OPENAI_API_KEY"
/* The extension a snapshot puts in a model entry in place of its key:
 * "openai_api_key_from": "config_file". */
#define CONFIG_KEY_FROM "openai_api_key_from"
#define CONFIG_KEY_FROM_FILE "config_file"
/* The same for a base URL with credentials or a query string: the snapshot
 * keeps the URL without them and "openai_base_url_from": "config_file". */
#define CONFIG_URL_FROM "openai_base_url_from"

/* The knobs of a builtin model (see strategy.h): ranges and defaults. */
#define CONFIG_TOP_N_MIN 1
#define CONFIG_TOP_N_MAX 50
#define CONFIG_DEFAULT_TOP_N 5
#define CONFIG_LOOKBACK_MIN 2
#define CONFIG_LOOKBACK_MAX 60
#define CONFIG_DEFAULT_LOOKBACK 5
#define CONFIG_DELAY_MAX_MS 600000L
#define CONFIG_KNOB_ERROR_MAX 96

enum config_provider {
    CONFIG_PROVIDER_OPENAI,  /* an OpenAI-compatible chat-completions endpoint */
    CONFIG_PROVIDER_BUILTIN, /* a deterministic strategy in the daemon, no network */
    CONFIG_PROVIDER_MOCK,    /* the scripted offline agent, no network */
};

struct config_model {
    char signature[CONFIG_SIGNATURE_MAX];
    char *name;      /* defaults to the signature */
    char *basemodel; /* required for openai; NULL when absent otherwise */
    bool enabled;    /* defaults to true */
    enum config_provider provider;
    char *strategy; /* builtin: one of "equal_weight", "momentum"; else NULL */
    char *base_url; /* openai: config, else $OPENAI_API_BASE, else the default; NULL for other
                       providers and for a disabled entry without a usable endpoint */
    char *api_key;  /* openai: config, else $OPENAI_API_KEY, else NULL. Secret. */
    /* openai: the key belongs to the config file ("openai_api_key" in the
     * entry, or CONFIG_KEY_FROM in a snapshot), never to the environment.
     * Parsed from a snapshot, api_key stays NULL until config_restore_keys. */
    bool key_in_file;
    /* openai, parsed from a snapshot: base_url lost its credentials or query
     * (CONFIG_URL_FROM); config_restore_keys reads the real one and clears
     * this. */
    bool url_in_file;
    double timeout_seconds;
    /* openai: request options. has_temperature says temperature was given;
     * max_tokens 0 = not sent; extra_body (a reference, NULL when absent)
     * is merged into each request; drop_reasoning removes echoed reasoning
     * fields from the history sent. */
    bool has_temperature;
    double temperature;
    long max_tokens;
    json_object *extra_body;
    bool drop_reasoning;
    /* builtin: the entry's "top_n", "lookback" and "delay_ms", the defaults
     * when absent. A knob that is not an integer in its range does not make
     * the config invalid: knob_error says why (else ""), and that model's
     * days fail (strategy_params_from_config) while the others run. */
    int top_n;
    int lookback;
    long delay_ms;
    char knob_error[CONFIG_KNOB_ERROR_MAX];
    /* "pricing": {"prompt_usd_per_1m", "completion_usd_per_1m"}, dollars
     * per million tokens held as micro-dollars; priced is false without it. */
    bool priced;
    money_t prompt_usd_per_1m, completion_usd_per_1m;
};

struct config {
    char *agent_type;            /* defaults to "BaseAgent" */
    char init_date[DATE_BUF];    /* required; never traded */
    char end_date[DATE_BUF];     /* "" when absent; a catch-up stops there */
    struct config_model *models; /* in file order, signatures unique */
    size_t nmodels;
    int max_steps;                /* default 30: agent runs (steps) per day */
    int max_completions_per_step; /* default 50 */
    int max_completions;          /* default 300: completions per day, a cost guard */
    int max_tool_calls;           /* per reply, default 100 */
    long max_reply_bytes;         /* per reply, default 1 MiB */
    char *system_prompt_file;     /* NULL: the built-in prompt; else a template path (agent.h) */
    bool search_snippets_only;    /* search results without page text (search.h) */
    int max_retries;              /* default 3 */
    double base_delay;            /* seconds, default 1.0 */
    money_t initial_cash;         /* default 10000.0 */
    char *log_path;               /* default "agent_data", relative to the data directory */
    char (*symbols)[SYMBOL_MAX];  /* stock_symbols, or a copy of the default universe */
    size_t nsymbols;
    bool symbols_default;         /* true when the config names no stock_symbols */
    struct trading_costs trading; /* "trading"; all zero when absent */
    bool lockstep;                /* "schedule": "lockstep": a barrier per date (worker.h) */
    /* What a job stores so that it runs (and resumes) with this config: the
     * file's JSON with every model entry's openai_api_key removed and, where
     * key_in_file, CONFIG_KEY_FROM set. Everything else is kept. */
    char *snapshot;
};

/* Reads and validates the file at path (a regular file of at most
 * CONFIG_FILE_MAX bytes). On success *out is filled and owned by the caller,
 * who releases it with config_free; on failure *out is untouched and err
 * says what is wrong ("models[1].signature ..."). */
int config_load(const char *path, struct config *out, char *err, size_t errlen);

/* The same from text already in memory (a job's stored snapshot). */
int config_parse(const char *text, size_t len, struct config *out, char *err, size_t errlen);

/* For a config parsed from a job's snapshot: each model with key_in_file and
 * no key yet takes its openai_api_key from the file at path (the real path
 * the trigger resolved) as it is now, from the entry with the same
 * signature. Where the file is gone, unreadable, not JSON or reached through
 * a symlink now, or the entry or its key is gone, the model is left without
 * a key, and its model-days must fail. */
void config_restore_keys(struct config *c, const char *path);

/* Releases everything config_load/config_parse allocated; safe on a zeroed
 * struct and idempotent. */
void config_free(struct config *c);

/* The model with this signature, or NULL. The config owns the result. */
const struct config_model *config_find_model(const struct config *c, const char *signature);

/* What prompt and completion tokens cost at m's pricing, in micro-dollars
 * rounded to the nearest. True with *out set, false when m has no pricing. */
bool config_cost(const struct config_model *m, long long prompt_tokens, long long completion_tokens,
                 money_t *out);

/* True for 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'. */
bool config_signature_valid(const char *s);

/* "openai", "builtin" or "mock". */
const char *config_provider_name(enum config_provider p);

/* What /health may show: an array of {signature, name, basemodel, provider,
 * strategy, endpoint, enabled} with no key, the endpoint stripped of any
 * user:password@ and query string (null for models that need no network).
 * Caller owns the result (json_object_put). */
json_object *config_public_json(const struct config *c);

/* The default simulation config: its name in the configs directory, and the
 * path a trigger request without config_path stands for. */
#define CONFIG_DEFAULT_NAME "default_config.json"
#define CONFIG_DEFAULT_PATH "configs/" CONFIG_DEFAULT_NAME

#endif
