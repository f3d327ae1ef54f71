/* config: see config.h. Every field is read through one of the typed getters
 * below so that a missing, null or mistyped value gets the same kind of
 * message naming its place in the file. Unknown keys are ignored: AI-Trader
 * configs carry keys this service does not use. */
#include "service/config.h"

#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/redact.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const builtin_strategies[] = {"equal_weight", "momentum"};
#define NSTRATEGIES (sizeof(builtin_strategies) / sizeof(builtin_strategies[0]))

#define CONFIG_TEXT_MAX 4096 /* longest accepted string value (URLs, paths, names) */

bool config_signature_valid(const char *s)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
        if (n >= CONFIG_SIGNATURE_MAX - 1)
            return false;
    }
    return n > 0;
}

const char *config_provider_name(enum config_provider p)
{
    switch (p) {
    case CONFIG_PROVIDER_BUILTIN:
        return "builtin";
    case CONFIG_PROVIDER_MOCK:
        return "mock";
    case CONFIG_PROVIDER_OPENAI:
        break;
    }
    return "openai";
}

/* --- typed getters: out set only when the member is there and valid ---- */

enum member_got {
    MEMBER_ERROR = -1, /* there, but not valid (err says why) */
    MEMBER_ABSENT,     /* absent or null */
    MEMBER_SET,        /* *out set */
};

static json_object *member(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v; /* NULL for a JSON null as well */
}

static enum member_got get_object(json_object *obj, const char *key, json_object **out, char *err,
                                  size_t errlen)
{
    json_object *v = member(obj, key);
    if (!v)
        return MEMBER_ABSENT;
    if (!json_object_is_type(v, json_type_object))
        return err_set(err, errlen, "%s must be an object", key);
    *out = v;
    return MEMBER_SET;
}

static enum member_got get_string(json_object *obj, const char *where, const char *key,
                                  const char **out, char *err, size_t errlen)
{
    json_object *v = member(obj, key);
    if (!v)
        return MEMBER_ABSENT;
    if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
        json_object_get_string_len(v) > CONFIG_TEXT_MAX)
        return err_set(err, errlen, "%s%s%s must be a non-empty string of at most %d bytes", where,
                       *where ? "." : "", key, CONFIG_TEXT_MAX);
    *out = json_object_get_string(v);
    return MEMBER_SET;
}

static enum member_got get_bool(json_object *obj, const char *where, const char *key, bool *out,
                                char *err, size_t errlen)
{
    json_object *v = member(obj, key);
    if (!v)
        return MEMBER_ABSENT;
    if (!json_object_is_type(v, json_type_boolean))
        return err_set(err, errlen, "%s.%s must be true or false", where, key);
    *out = json_object_get_boolean(v);
    return MEMBER_SET;
}

static enum member_got get_number(json_object *obj, const char *where, const char *key, double lo,
                                  double hi, double *out, char *err, size_t errlen)
{
    json_object *v = member(obj, key);
    if (!v)
        return MEMBER_ABSENT;
    double d = json_object_get_double(v);
    if ((!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) ||
        !isfinite(d) || d < lo || d > hi)
        return err_set(err, errlen, "%s.%s must be a number between %g and %g", where, key, lo, hi);
    *out = d;
    return MEMBER_SET;
}

static enum member_got get_int(json_object *obj, const char *where, const char *key, int lo, int hi,
                               int *out, char *err, size_t errlen)
{
    json_object *v = member(obj, key);
    if (!v)
        return MEMBER_ABSENT;
    /* 30.0 is accepted as 30: AI-Trader files are written by Python. */
    double d = json_object_get_double(v);
    if ((!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) ||
        !isfinite(d) || d != floor(d) || d < lo || d > hi)
        return err_set(err, errlen, "%s.%s must be an integer between %d and %d", where, key, lo,
                       hi);
    *out = (int)d;
    return MEMBER_SET;
}

/* A copy of s (caller frees); NULL stays NULL. */
static char *dup_or_null(const char *s)
{
    return s ? mem_strdup(s) : NULL;
}

/* --- sections ------------------------------------------------------------- */

static int parse_dates(json_object *root, struct config *c, char *err, size_t errlen)
{
    json_object *dr = NULL;
    const char *s = NULL;
    enum member_got rc = get_object(root, "date_range", &dr, err, errlen);
    if (rc == MEMBER_ERROR)
        return -1;
    if (rc == MEMBER_ABSENT)
        return err_set(err, errlen, "date_range.init_date is required");
    rc = get_string(dr, "date_range", "init_date", &s, err, errlen);
    if (rc == MEMBER_ERROR)
        return -1;
    if (rc == MEMBER_ABSENT || !date_valid(s))
        return err_set(err, errlen, "date_range.init_date must be a date in YYYY-MM-DD format");
    memcpy(c->init_date, s, DATE_BUF);
    rc = get_string(dr, "date_range", "end_date", &s, err, errlen);
    if (rc == MEMBER_ERROR)
        return -1;
    if (rc == MEMBER_SET) {
        if (!date_valid(s))
            return err_set(err, errlen, "date_range.end_date must be a date in YYYY-MM-DD format");
        if (strcmp(s, c->init_date) < 0)
            return err_set(err, errlen, "date_range.end_date is before init_date");
        memcpy(c->end_date, s, DATE_BUF);
    }
    return 0;
}

static int parse_agent_config(json_object *root, struct config *c, char *err, size_t errlen)
{
    json_object *ac = NULL;
    double cash = 10000.0;
    const char *w = "agent_config";
    if (get_object(root, w, &ac, err, errlen) == MEMBER_ERROR)
        return -1;
    double reply = (double)c->max_reply_bytes;
    const char *prompt = NULL;
    if (ac &&
        (get_int(ac, w, "max_steps", 1, 1000, &c->max_steps, err, errlen) == MEMBER_ERROR ||
         get_int(ac, w, "max_retries", 0, 100, &c->max_retries, err, errlen) == MEMBER_ERROR ||
         get_number(ac, w, "base_delay", 0.0, 600.0, &c->base_delay, err, errlen) == MEMBER_ERROR ||
         get_number(ac, w, "initial_cash", 0.01, 1e12, &cash, err, errlen) == MEMBER_ERROR ||
         get_int(ac, w, "max_completions_per_step", 1, 1000, &c->max_completions_per_step, err,
                 errlen) == MEMBER_ERROR ||
         get_int(ac, w, "max_completions", 1, 100000, &c->max_completions, err, errlen) ==
             MEMBER_ERROR ||
         get_int(ac, w, "max_tool_calls_per_reply", 1, 10000, &c->max_tool_calls, err, errlen) ==
             MEMBER_ERROR ||
         get_number(ac, w, "max_reply_bytes", 1024, 64.0 * 1024 * 1024, &reply, err, errlen) ==
             MEMBER_ERROR ||
         get_string(ac, w, "system_prompt_file", &prompt, err, errlen) == MEMBER_ERROR ||
         get_bool(ac, w, "search_snippets_only", &c->search_snippets_only, err, errlen) ==
             MEMBER_ERROR))
        return -1;
    c->system_prompt_file = dup_or_null(prompt);
    c->max_reply_bytes = (long)reply;
    if (money_from_double(cash, &c->initial_cash) != 0)
        return err_set(err, errlen, "agent_config.initial_cash is out of range");
    return 0;
}

/* A rate in basis points with at most two decimals, as parts per million. */
static enum member_got get_bps(json_object *tr, const char *key, int64_t *ppm, char *err,
                               size_t errlen)
{
    double d = 0.0, hundredths;
    enum member_got rc =
        get_number(tr, "trading", key, 0.0, (double)TRADING_RATE_MAX / 100.0, &d, err, errlen);
    if (rc != MEMBER_SET)
        return rc;
    hundredths = round(d * 100.0);
    if (fabs(d * 100.0 - hundredths) > 1e-6)
        return err_set(err, errlen, "trading.%s may have at most two decimals (0.01 bps)", key);
    *ppm = (int64_t)hundredths;
    return MEMBER_SET;
}

/* The top-level "trading" costs; absent = none. Unknown keys are refused:
 * a misspelt cost must not silently run a simulation without it. */
static int parse_trading(json_object *root, struct config *c, char *err, size_t errlen)
{
    static const char *const keys[] = {"commission_per_trade", "commission_bps", "slippage_bps"};
    json_object *tr = NULL;
    double per = 0.0;
    enum member_got rc = get_object(root, "trading", &tr, err, errlen);
    if (rc != MEMBER_SET)
        return rc == MEMBER_ERROR ? -1 : 0;
    json_object_object_foreach(tr, key, val)
    {
        size_t i = 0;
        (void)val;
        while (i < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[i], key) != 0)
            i++;
        if (i == sizeof(keys) / sizeof(keys[0]))
            return err_set(err, errlen,
                           "trading.%.40s is not a known field (commission_per_trade, "
                           "commission_bps, slippage_bps)",
                           key);
    }
    if (get_number(tr, "trading", "commission_per_trade", 0.0, 1e6, &per, err, errlen) ==
            MEMBER_ERROR ||
        money_from_double(per, &c->trading.per_trade) != 0 ||
        get_bps(tr, "commission_bps", &c->trading.commission_ppm, err, errlen) == MEMBER_ERROR ||
        get_bps(tr, "slippage_bps", &c->trading.slippage_ppm, err, errlen) == MEMBER_ERROR)
        return -1;
    return 0;
}

static int parse_symbols(json_object *root, struct config *c, char *err, size_t errlen)
{
    json_object *arr = member(root, "stock_symbols");
    size_t n;
    c->symbols_default = arr == NULL;
    if (!arr) {
        n = universe_nasdaq100_count;
    } else {
        if (!json_object_is_type(arr, json_type_array))
            return err_set(err, errlen, "stock_symbols must be an array of ticker symbols");
        n = json_object_array_length(arr);
        if (n == 0 || n > CONFIG_SYMBOLS_MAX)
            return err_set(err, errlen, "stock_symbols must list 1 to %d symbols",
                           CONFIG_SYMBOLS_MAX);
    }
    c->symbols = mem_calloc(n, sizeof(*c->symbols));
    for (size_t i = 0; i < n; i++) {
        const char *sym = arr ? NULL : universe_nasdaq100()[i];
        if (arr) {
            json_object *v = json_object_array_get_idx(arr, i);
            sym = json_object_get_string(v);
            if (!json_object_is_type(v, json_type_string) || !symbol_valid(sym))
                return err_set(err, errlen,
                               "stock_symbols[%zu] is not a ticker symbol (1-15 of A-Z 0-9 . -)",
                               i);
        }
        if (strcmp(sym, UNIVERSE_BENCHMARK) == 0)
            return err_set(err, errlen, "stock_symbols: %s is the benchmark and is not tradable",
                           UNIVERSE_BENCHMARK);
        for (size_t j = 0; j < c->nsymbols; j++)
            if (strcmp(c->symbols[j], sym) == 0)
                return err_set(err, errlen, "stock_symbols: %s is listed twice", sym);
        snprintf(c->symbols[c->nsymbols++], SYMBOL_MAX, "%s", sym);
    }
    return 0;
}

static int parse_provider(json_object *m, const char *w, struct config_model *cm, char *err,
                          size_t errlen)
{
    const char *s = NULL;
    enum member_got rc = get_string(m, w, "provider", &s, err, errlen);
    if (rc == MEMBER_ERROR)
        return -1;
    if (rc == MEMBER_ABSENT || strcmp(s, "openai") == 0)
        cm->provider = CONFIG_PROVIDER_OPENAI;
    else if (strcmp(s, "builtin") == 0)
        cm->provider = CONFIG_PROVIDER_BUILTIN;
    else if (strcmp(s, "mock") == 0)
        cm->provider = CONFIG_PROVIDER_MOCK;
    else
        return err_set(err, errlen, "%s.provider must be \"openai\", \"builtin\" or \"mock\"", w);

    s = NULL;
    if (get_string(m, w, "strategy", &s, err, errlen) == MEMBER_ERROR)
        return -1;
    if (cm->provider == CONFIG_PROVIDER_BUILTIN) {
        for (size_t i = 0; s && i < NSTRATEGIES; i++)
            if (strcmp(s, builtin_strategies[i]) == 0) {
                cm->strategy = mem_strdup(s);
                return 0;
            }
        return err_set(err, errlen, "%s.strategy must be \"equal_weight\" or \"momentum\"", w);
    }
    if (s)
        return err_set(err, errlen, "%s.strategy is only meaningful with provider \"builtin\"", w);
    return 0;
}

/* A knob of a builtin model's entry: absent leaves *out as it is; anything
 * but an integer in [lo, hi] (null included) sets cm->knob_error, and only
 * the first such knob is named. */
static void get_knob(json_object *m, const char *key, long lo, long hi, long *out,
                     struct config_model *cm)
{
    json_object *v;
    if (cm->knob_error[0] || !json_object_object_get_ex(m, key, &v))
        return;
    long n = (long)json_object_get_int64(v);
    if (!json_object_is_type(v, json_type_int) || n < lo || n > hi)
        snprintf(cm->knob_error, sizeof(cm->knob_error),
                 "model option %s must be an integer from %ld to %ld", key, lo, hi);
    else
        *out = n;
}

static void parse_knobs(json_object *m, struct config_model *cm)
{
    long top_n = CONFIG_DEFAULT_TOP_N, lookback = CONFIG_DEFAULT_LOOKBACK, delay = 0;
    if (cm->provider == CONFIG_PROVIDER_BUILTIN) {
        get_knob(m, "top_n", CONFIG_TOP_N_MIN, CONFIG_TOP_N_MAX, &top_n, cm);
        get_knob(m, "lookback", CONFIG_LOOKBACK_MIN, CONFIG_LOOKBACK_MAX, &lookback, cm);
        get_knob(m, "delay_ms", 0, CONFIG_DELAY_MAX_MS, &delay, cm);
    }
    cm->top_n = (int)top_n;
    cm->lookback = (int)lookback;
    cm->delay_ms = delay;
}

/* Base URL and key of an openai model: the config's, else the environment's.
 * A key the config file holds (or held, says a snapshot's marker) never
 * falls back to the environment. */
static int parse_endpoint(json_object *m, const char *w, struct config_model *cm, char *err,
                          size_t errlen)
{
    const char *url = NULL, *key = NULL, *from = NULL, *url_from = NULL;
    if (get_string(m, w, "openai_base_url", &url, err, errlen) == MEMBER_ERROR ||
        get_string(m, w, "openai_api_key", &key, err, errlen) == MEMBER_ERROR ||
        get_string(m, w, CONFIG_KEY_FROM, &from, err, errlen) == MEMBER_ERROR ||
        get_string(m, w, CONFIG_URL_FROM, &url_from, err, errlen) == MEMBER_ERROR)
        return -1;
    if ((from && strcmp(from, CONFIG_KEY_FROM_FILE) != 0) ||
        (url_from && strcmp(url_from, CONFIG_KEY_FROM_FILE) != 0))
        return err_set(err, errlen, "%s.%s must be \"%s\"", w,
                       from && strcmp(from, CONFIG_KEY_FROM_FILE) ? CONFIG_KEY_FROM
                                                                  : CONFIG_URL_FROM,
                       CONFIG_KEY_FROM_FILE);
    if (cm->provider != CONFIG_PROVIDER_OPENAI)
        return 0;
    if (!url)
        url = getenv(CONFIG_ENV_API_BASE);
    if (!url || !*url)
        url = CONFIG_DEFAULT_OPENAI_BASE;
    int usable = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
    /* A disabled entry is checked for shape only: AI-Trader's own config has
     * placeholder text there. Named in a trigger, it runs when its endpoint
     * is usable, else its days fail saying why (base_url stays NULL). */
    if (!cm->enabled && (!usable || !cm->basemodel))
        return 0;
    if (!cm->basemodel)
        return err_set(err, errlen, "%s.basemodel is required for an openai model", w);
    if (!usable)
        return err_set(err, errlen, "%s.openai_base_url must be an http:// or https:// URL", w);
    cm->key_in_file = key || from;
    cm->url_in_file = url_from != NULL;
    if (!cm->key_in_file)
        key = getenv(CONFIG_ENV_API_KEY);
    if (key && !*key)
        key = NULL;
    redact_add_secret(key);
    cm->base_url = dup_or_null(url);
    cm->api_key = dup_or_null(key);
    return 0;
}

/* The request options of a model entry (see config.h). */
static int parse_request_options(json_object *m, const char *w, struct config_model *cm, char *err,
                                 size_t errlen)
{
    double tokens = 0;
    json_object *extra = NULL;
    enum member_got rc = get_number(m, w, "temperature", 0.0, 10.0, &cm->temperature, err, errlen);
    if (rc == MEMBER_ERROR ||
        get_number(m, w, "max_tokens", 1, 1e9, &tokens, err, errlen) == MEMBER_ERROR ||
        get_bool(m, w, "drop_reasoning", &cm->drop_reasoning, err, errlen) == MEMBER_ERROR)
        return -1;
    if (tokens != floor(tokens))
        return err_set(err, errlen, "%s.max_tokens must be an integer", w);
    if (get_object(m, "extra_body", &extra, err, errlen) == MEMBER_ERROR)
        return err_set(err, errlen, "%s.extra_body must be an object", w);
    cm->has_temperature = rc == MEMBER_SET;
    cm->max_tokens = (long)tokens;
    cm->extra_body = json_object_get(extra);
    return 0;
}

#define CONFIG_PRICE_MAX 1e6 /* dollars per million tokens */

/* The optional "pricing" object of a model entry. */
static int parse_pricing(json_object *m, const char *w, struct config_model *cm, char *err,
                         size_t errlen)
{
    json_object *p = NULL;
    double prompt = -1, completion = -1;
    char where[48];
    enum member_got rc = get_object(m, "pricing", &p, err, errlen);
    if (rc != MEMBER_SET)
        return rc == MEMBER_ERROR ? -1 : 0;
    snprintf(where, sizeof(where), "%s.pricing", w);
    if (get_number(p, where, "prompt_usd_per_1m", 0, CONFIG_PRICE_MAX, &prompt, err, errlen) ==
            MEMBER_ERROR ||
        get_number(p, where, "completion_usd_per_1m", 0, CONFIG_PRICE_MAX, &completion, err,
                   errlen) == MEMBER_ERROR)
        return -1;
    if (prompt < 0 || completion < 0)
        return err_set(err, errlen, "%s needs prompt_usd_per_1m and completion_usd_per_1m", where);
    if (money_from_double(prompt, &cm->prompt_usd_per_1m) != 0 ||
        money_from_double(completion, &cm->completion_usd_per_1m) != 0)
        return err_set(err, errlen, "%s is out of range", where);
    cm->priced = true;
    return 0;
}

bool config_cost(const struct config_model *m, long long prompt_tokens, long long completion_tokens,
                 money_t *out)
{
    if (!m->priced)
        return false;
    /* tokens x micro-dollars per million tokens / 1e6, exact until the
     * rounding: at most ~9.2e18 x 1e12 each, well inside 128 bits. */
    __int128 num = (__int128)prompt_tokens * m->prompt_usd_per_1m +
                   (__int128)completion_tokens * m->completion_usd_per_1m;
    __int128 cost = (num + 500000) / 1000000;
    *out = cost > INT64_MAX ? INT64_MAX : (money_t)cost;
    return true;
}

static int parse_model(json_object *m, size_t idx, struct config *c, char *err, size_t errlen)
{
    char w[32];
    const char *sig = NULL, *name = NULL, *base = NULL;
    struct config_model *cm = &c->models[idx];
    snprintf(w, sizeof(w), "models[%zu]", idx);
    if (!json_object_is_type(m, json_type_object))
        return err_set(err, errlen, "%s must be an object", w);
    cm->enabled = true;
    cm->timeout_seconds = CONFIG_DEFAULT_TIMEOUT;
    enum member_got rc = get_string(m, w, "signature", &sig, err, errlen);
    if (rc == MEMBER_ERROR)
        return -1;
    if (rc == MEMBER_ABSENT || !config_signature_valid(sig))
        return err_set(err, errlen, "%s.signature must be 1-64 characters of A-Z a-z 0-9 . _ -", w);
    if (config_find_model(c, sig))
        return err_set(err, errlen, "%s.signature \"%s\" is used by an earlier model", w, sig);
    if (get_string(m, w, "name", &name, err, errlen) == MEMBER_ERROR ||
        get_string(m, w, "basemodel", &base, err, errlen) == MEMBER_ERROR ||
        get_bool(m, w, "enabled", &cm->enabled, err, errlen) == MEMBER_ERROR ||
        get_number(m, w, "timeout_seconds", 0.001, 3600.0, &cm->timeout_seconds, err, errlen) ==
            MEMBER_ERROR)
        return -1;
    cm->name = mem_strdup(name ? name : sig);
    cm->basemodel = dup_or_null(base);
    if (parse_provider(m, w, cm, err, errlen) != 0 || parse_endpoint(m, w, cm, err, errlen) != 0 ||
        parse_request_options(m, w, cm, err, errlen) != 0 ||
        parse_pricing(m, w, cm, err, errlen) != 0)
        return -1;
    parse_knobs(m, cm);
    /* Last, so config_find_model above only sees earlier models. */
    memcpy(cm->signature, sig, strlen(sig) + 1);
    return 0;
}

static int parse_models(json_object *root, struct config *c, char *err, size_t errlen)
{
    json_object *arr = member(root, "models");
    if (!arr || !json_object_is_type(arr, json_type_array) || json_object_array_length(arr) == 0 ||
        json_object_array_length(arr) > CONFIG_MODELS_MAX)
        return err_set(err, errlen, "models must be an array of 1 to %d model entries",
                       CONFIG_MODELS_MAX);
    size_t n = json_object_array_length(arr);
    c->models = mem_calloc(n, sizeof(*c->models));
    for (size_t i = 0; i < n; i++) {
        /* Counted before parsing so config_free releases a half-parsed entry. */
        c->nmodels = i + 1;
        if (parse_model(json_object_array_get_idx(arr, i), i, c, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* "schedule": "pipelined" (the default) or "lockstep" (CONTRACT section 5). */
static int parse_schedule(json_object *root, struct config *c, char *err, size_t errlen)
{
    const char *s = NULL;
    enum member_got rc = get_string(root, "", "schedule", &s, err, errlen);
    if (rc == MEMBER_ERROR)
        return -1;
    if (rc == MEMBER_ABSENT || strcmp(s, "pipelined") == 0)
        c->lockstep = false;
    else if (strcmp(s, "lockstep") == 0)
        c->lockstep = true;
    else
        return err_set(err, errlen, "schedule must be \"pipelined\" or \"lockstep\"");
    return 0;
}

static int parse_root(json_object *root, struct config *c, char *err, size_t errlen)
{
    const char *agent = NULL, *log_path = NULL;
    json_object *lc = NULL;
    if (!json_object_is_type(root, json_type_object))
        return err_set(err, errlen, "the config must be a JSON object");
    c->max_steps = CONFIG_DEFAULT_MAX_STEPS;
    c->max_completions_per_step = CONFIG_DEFAULT_COMPLETIONS_PER_STEP;
    c->max_completions = CONFIG_DEFAULT_MAX_COMPLETIONS;
    c->max_tool_calls = CONFIG_DEFAULT_TOOL_CALLS;
    c->max_reply_bytes = CONFIG_DEFAULT_REPLY_BYTES;
    c->max_retries = 3;
    c->base_delay = 1.0;
    if (get_string(root, "", "agent_type", &agent, err, errlen) == MEMBER_ERROR)
        return -1;
    c->agent_type = mem_strdup(agent ? agent : "BaseAgent");
    if (parse_dates(root, c, err, errlen) != 0 || parse_models(root, c, err, errlen) != 0 ||
        parse_agent_config(root, c, err, errlen) != 0 || parse_symbols(root, c, err, errlen) != 0 ||
        parse_trading(root, c, err, errlen) != 0 || parse_schedule(root, c, err, errlen) != 0 ||
        get_object(root, "log_config", &lc, err, errlen) == MEMBER_ERROR ||
        (lc && get_string(lc, "log_config", "log_path", &log_path, err, errlen) == MEMBER_ERROR))
        return -1;
    c->log_path = mem_strdup(log_path ? log_path : CONFIG_DEFAULT_LOG_PATH);
    return 0;
}

static char *public_url(const char *url);

/* Replaces the openai_base_url of entry m by its public form (no
 * credentials, no query) with the CONFIG_URL_FROM marker when they differ. */
static void snapshot_url(json_object *m)
{
    const char *url = jsontext_string(m, "openai_base_url");
    char *pub = url ? public_url(url) : NULL;
    if (pub && strcmp(pub, url) != 0) {
        json_put(m, "openai_base_url", json_object_new_string(pub));
        json_put(m, CONFIG_URL_FROM, json_object_new_string(CONFIG_KEY_FROM_FILE));
    }
    free(pub);
}

/* c->snapshot from root, which parse_root accepted (and which this edits):
 * models[i] lines up with c->models[i]. json-c keeps the members' order and
 * the numbers' text, so only the keys and the layout change. */
static void make_snapshot(json_object *root, struct config *c)
{
    json_object *arr = member(root, "models");
    for (size_t i = 0; i < c->nmodels; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        json_object_object_del(m, "openai_api_key");
        json_object_object_del(m, CONFIG_KEY_FROM);
        if (!json_object_object_get_ex(m, CONFIG_URL_FROM, NULL))
            snapshot_url(m);
        if (c->models[i].key_in_file)
            json_put(m, CONFIG_KEY_FROM, json_object_new_string(CONFIG_KEY_FROM_FILE));
    }
    const char *s = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s)
        mem_fatal(0);
    c->snapshot = mem_strdup(s);
}

int config_parse(const char *text, size_t len, struct config *out, char *err, size_t errlen)
{
    struct config c = {0};
    json_object *root = NULL;
    char why[ERRBUF_SIZE];
    int rc = -1;
    if (len > CONFIG_FILE_MAX)
        return err_set(err, errlen, "config is larger than %d bytes", CONFIG_FILE_MAX);
    if (jsontext_parse(text, len, &root, why, sizeof(why)) != 0)
        return err_set(err, errlen, "config is not valid JSON: %s", why);
    if (parse_root(root, &c, err, errlen) != 0)
        goto out;
    make_snapshot(root, &c);
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = 0;
out:
    config_free(&c);
    json_object_put(root);
    return rc;
}

/* Reads the regular file at path into buf (CONFIG_FILE_MAX + 1 bytes: one
 * more than allowed, so a file that grew since fstat is noticed); *len = the
 * bytes read (also on failure), more than CONFIG_FILE_MAX when the file
 * grew too large while being read. */
static int read_file(const char *path, char *buf, size_t *len, char *err, size_t errlen)
{
    struct stat stt;
    size_t got = 0;
    int rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, errlen, "cannot open config %s: %s", path, strerror(errno));
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        err_set(err, errlen, "config %s is not a regular file", path);
        goto out;
    }
    if (stt.st_size > CONFIG_FILE_MAX) {
        err_set(err, errlen, "config %s is larger than %d bytes", path, CONFIG_FILE_MAX);
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf + got, CONFIG_FILE_MAX + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err_set(err, errlen, "cannot read config %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0 || (got += (size_t)r) > CONFIG_FILE_MAX)
            break;
    }
    rc = 0;
out:
    *len = got; /* also on failure: what was read must be wiped */
    close(fd);
    return rc;
}

/* Frees a buffer of n bytes that held keys, wiping it first. */
static void free_secret(char *buf, size_t n)
{
    if (buf)
        memset(buf, 0, n);
    free(buf);
}

int config_load(const char *path, struct config *out, char *err, size_t errlen)
{
    size_t len = 0;
    int rc = -1;
    char *buf = mem_alloc(CONFIG_FILE_MAX + 1);
    if (read_file(path, buf, &len, err, errlen) == 0)
        rc = config_parse(buf, len, out, err, errlen);
    free_secret(buf, len);
    return rc;
}

/* The non-empty string field of the first entry of models named sig, or
 * NULL. It belongs to models. */
static const char *entry_string(json_object *models, const char *sig, const char *field)
{
    for (size_t i = 0;
         json_object_is_type(models, json_type_array) && i < json_object_array_length(models);
         i++) {
        json_object *m = json_object_array_get_idx(models, i);
        const char *s = jsontext_string(m, "signature");
        if (s && strcmp(s, sig) == 0) {
            const char *v = jsontext_string(m, field);
            return v && *v ? v : NULL;
        }
    }
    return NULL;
}

void config_restore_keys(struct config *c, const char *path)
{
    json_object *root = NULL;
    char why[ERRBUF_SIZE], real[PATH_MAX];
    size_t len = 0, wanted = 0;
    for (size_t i = 0; i < c->nmodels; i++)
        wanted += (c->models[i].key_in_file && !c->models[i].api_key) || c->models[i].url_in_file;
    /* path was the file's real path at trigger time (inside the configs
     * directory); a symlink put in its way since could lead anywhere. */
    if (wanted == 0 || !realpath(path, real) || strcmp(real, path) != 0)
        return;
    char *buf = mem_alloc(CONFIG_FILE_MAX + 1);
    /* Not readable or not JSON: no key is there (the caller says so per model). */
    if (read_file(path, buf, &len, why, sizeof(why)) != 0 || len > CONFIG_FILE_MAX ||
        jsontext_parse(buf, len, &root, why, sizeof(why)) != 0)
        goto out;
    json_object *models = member(root, "models");
    for (size_t i = 0; i < c->nmodels; i++) {
        struct config_model *m = &c->models[i];
        const char *key = m->key_in_file && !m->api_key
                              ? entry_string(models, m->signature, "openai_api_key")
                              : NULL;
        const char *url =
            m->url_in_file ? entry_string(models, m->signature, "openai_base_url") : NULL;
        if (key)
            m->api_key = mem_strdup(key);
        redact_add_secret(key);
        if (url) {
            free(m->base_url);
            m->base_url = mem_strdup(url);
            m->url_in_file = false;
        }
    }
out:
    json_object_put(root);
    free_secret(buf, len);
}

void config_free(struct config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nmodels; i++) {
        struct config_model *m = &c->models[i];
        free(m->name);
        free(m->basemodel);
        free(m->strategy);
        free(m->base_url);
        if (m->api_key) /* wipe the secret before the memory is reused */
            memset(m->api_key, 0, strlen(m->api_key));
        free(m->api_key);
        json_object_put(m->extra_body);
    }
    free(c->models);
    free(c->agent_type);
    free(c->log_path);
    free(c->system_prompt_file);
    free(c->symbols);
    free(c->snapshot);
    memset(c, 0, sizeof(*c));
}

const struct config_model *config_find_model(const struct config *c, const char *signature)
{
    for (size_t i = 0; i < c->nmodels; i++)
        if (strcmp(c->models[i].signature, signature) == 0)
            return &c->models[i];
    return NULL;
}

/* The URL without "user:password@" and without a query or fragment, either
 * of which may carry a credential. Caller frees. */
static char *public_url(const char *url)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t authority = strcspn(host, "/?#");
    const char *at = memchr(host, '@', authority);
    size_t scheme = (size_t)(host - url);
    const char *rest = at ? at + 1 : host;
    size_t keep = strcspn(rest, "?#");
    char *out = mem_alloc(scheme + keep + 1);
    memcpy(out, url, scheme);
    memcpy(out + scheme, rest, keep);
    out[scheme + keep] = '\0';
    return out;
}

json_object *config_public_json(const struct config *c)
{
    json_object *arr = json_new_array();
    for (size_t i = 0; i < c->nmodels; i++) {
        const struct config_model *m = &c->models[i];
        json_object *o = json_new_object();
        char *url = m->base_url ? public_url(m->base_url) : NULL;
        json_push(arr, o);
        json_put(o, "signature", json_object_new_string(m->signature));
        json_put(o, "name", json_object_new_string(m->name));
        json_put_string_or_null(o, "basemodel", m->basemodel);
        json_put(o, "provider", json_object_new_string(config_provider_name(m->provider)));
        json_put_string_or_null(o, "strategy", m->strategy);
        json_put_string_or_null(o, "endpoint", url);
        json_put(o, "enabled", json_object_new_boolean(m->enabled));
        free(url);
    }
    return arr;
}
