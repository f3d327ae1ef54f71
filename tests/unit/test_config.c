/* Unit tests for config: the shipped default config, AI-Trader's format as it
 * is, defaults, environment fallbacks, every validation rule, file limits and
 * the public view that must never show a key, the keyless snapshot a job
 * stores and restoring keys from the file. Fixtures are files written to a
 * temp directory. */
#include "service/config.h"
#include "base/mem.h"
#include "simfixture.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[64];

/* Writes text to dir/name and returns the path (static buffer). */
static const char *fixture(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* Loads text as a config and expects failure with err containing want. */
static void refused(const char *text, const char *want, const char *name)
{
    struct config c = {0};
    char err[512] = "";
    int rc = config_load(fixture("bad.json", text), &c, err, sizeof(err));
    if (!ok(rc == -1 && strstr(err, want), "refused: %s", name))
        printf("#   rc %d, err \"%s\", want \"%s\"\n", rc, err, want);
    config_free(&c);
}

#define HEAD "{\"date_range\":{\"init_date\":\"2025-01-02\"},"
#define MOCK "{\"signature\":\"m\",\"provider\":\"mock\"}"

/* A config whose one model has a signature of n 'a's (static buffer). */
static const char *long_signature(size_t n)
{
    static char text[256];
    char sig[80];
    memset(sig, 'a', n);
    sig[n] = '\0';
    snprintf(text, sizeof(text), HEAD "\"models\":[{\"signature\":\"%s\",\"provider\":\"mock\"}]}",
             sig);
    return text;
}

static void test_default_config(void)
{
    char path[512], err[512] = "";
    struct config c = {0};
    const char *top = getenv("TOP_SRCDIR");
    snprintf(path, sizeof(path), "%s/configs/default_config.json", top ? top : "../..");
    ok(config_load(path, &c, err, sizeof(err)) == 0, "the shipped default config loads: %s", err);
    is_str(c.init_date, "2025-01-02", "init_date");
    is_int(c.nmodels, 3, "three models");
    const struct config_model *ew = config_find_model(&c, "equal-weight");
    const struct config_model *mo = config_find_model(&c, "momentum");
    const struct config_model *mk = config_find_model(&c, "mock-agent");
    ok(ew && ew->provider == CONFIG_PROVIDER_BUILTIN && strcmp(ew->strategy, "equal_weight") == 0,
       "equal-weight is the builtin equal_weight strategy");
    ok(mo && mo->provider == CONFIG_PROVIDER_BUILTIN && strcmp(mo->strategy, "momentum") == 0,
       "momentum is the builtin momentum strategy");
    ok(mk && mk->provider == CONFIG_PROVIDER_MOCK && mk->enabled, "mock-agent is the mock");
    ok(ew && !ew->base_url && !ew->api_key, "a builtin model has no endpoint and no key");
    is_int(c.max_steps, 30, "max_steps");
    is_int(c.max_retries, 3, "max_retries");
    ok(c.base_delay == 1.0, "base_delay");
    is_int(c.initial_cash, 10000 * MONEY_SCALE, "initial_cash 10000.0 exactly");
    is_str(c.log_path, "agent_data", "log_path");
    ok(c.symbols_default && c.nsymbols == universe_nasdaq100_count, "default universe");
    ok(c.snapshot && strstr(c.snapshot, "\"mock-agent\""), "the snapshot is kept");
    config_free(&c);
}

static void test_aitrader_format(void)
{
    struct config c = {0};
    char err[512] = "";
    setenv(CONFIG_ENV_API_BASE, "https://env.example/v1", 1);
    setenv(CONFIG_ENV_API_KEY, "sk-from-env", 1);
    const char *path = fixture(
        "ai.json",
        "{\"agent_type\": \"BaseAgent\",\n"
        " \"date_range\": {\"init_date\": \"2025-10-01\", \"end_date\": \"2025-10-21\"},\n"
        " \"models\": [\n"
        "  {\"name\": \"claude-3.7-sonnet\", \"basemodel\": \"anthropic/claude-3.7-sonnet\",\n"
        "   \"signature\": \"claude-3.7-sonnet\", \"enabled\": false},\n"
        "  {\"name\": \"gpt-5\", \"basemodel\": \"openai/gpt-5\", \"signature\": \"gpt-5\",\n"
        "   \"enabled\": true, \"openai_base_url\": \"https://u:p@api.example/v1?key=x\",\n"
        "   \"openai_api_key\": \"sk-from-config\", \"timeout_seconds\": 30}],\n"
        " \"agent_config\": {\"max_steps\": 30.0, \"max_retries\": 5, \"base_delay\": 0.5,\n"
        "                  \"initial_cash\": 7441.199999999999},\n"
        " \"log_config\": {\"log_path\": \"./data/agent_data\"},\n"
        " \"unknown_key\": {\"ignored\": true}}\n");
    ok(config_load(path, &c, err, sizeof(err)) == 0, "AI-Trader's format loads as is: %s", err);
    is_str(c.agent_type, "BaseAgent", "agent_type");
    is_str(c.end_date, "2025-10-21", "end_date");
    is_int(c.nmodels, 2, "two models");
    const struct config_model *cl = config_find_model(&c, "claude-3.7-sonnet");
    const struct config_model *g = config_find_model(&c, "gpt-5");
    ok(cl && !cl->enabled && cl->provider == CONFIG_PROVIDER_OPENAI, "disabled openai model");
    is_str(cl ? cl->base_url : NULL, "https://env.example/v1", "base URL from the environment");
    is_str(cl ? cl->api_key : NULL, "sk-from-env", "key from the environment");
    is_str(g ? g->base_url : NULL, "https://u:p@api.example/v1?key=x", "the config's URL wins");
    is_str(g ? g->api_key : NULL, "sk-from-config", "the config's key wins");
    ok(g && g->timeout_seconds == 30.0, "timeout_seconds");
    ok(cl && cl->timeout_seconds == CONFIG_DEFAULT_TIMEOUT, "default timeout");
    is_int(c.max_steps, 30, "max_steps given as 30.0");
    is_int(c.max_retries, 5, "max_retries");
    ok(c.base_delay == 0.5, "base_delay");
    is_int(c.initial_cash, 7441200000LL, "a float initial_cash rounds to the micro-unit");

    json_object *pub = config_public_json(&c);
    const char *txt = pub ? json_object_to_json_string(pub) : "";
    ok(pub && json_object_array_length(pub) == 2, "public view lists both models");
    ok(!strstr(txt, "sk-from"), "public view has no key");
    ok(!strstr(txt, "u:p@") && !strstr(txt, "key=x"), "public view strips credentials: %s", txt);
    ok(strstr(txt, "https:\\/\\/api.example\\/v1") != NULL, "public view keeps the endpoint");
    json_object_put(pub);
    config_free(&c);
    config_free(&c);
    ok(c.models == NULL && c.nmodels == 0, "config_free is idempotent");

    unsetenv(CONFIG_ENV_API_BASE);
    unsetenv(CONFIG_ENV_API_KEY);
    ok(config_load(path, &c, err, sizeof(err)) == 0, "reload without the environment");
    cl = config_find_model(&c, "claude-3.7-sonnet");
    is_str(cl ? cl->base_url : NULL, CONFIG_DEFAULT_OPENAI_BASE, "default base URL");
    ok(cl && cl->api_key == NULL, "no key anywhere: NULL");
    config_free(&c);
}

/* A copy of AI-Trader's configs/default_config.json in its shape (our own
 * names and values): disabled models with placeholder endpoint and key. */
static void test_aitrader_default(void)
{
    char path[512], err[512] = "";
    struct config c = {0};
    const char *top = getenv("TOP_SRCDIR");
    snprintf(path, sizeof(path), "%s/tests/data/aitrader_default_config.json", top ? top : "../..");
    unsetenv(CONFIG_ENV_API_BASE);
    ok(config_load(path, &c, err, sizeof(err)) == 0, "AI-Trader's default config loads: %s", err);
    is_int(c.nmodels, 5, "five models");
    size_t enabled = 0;
    for (size_t i = 0; i < c.nmodels; i++)
        enabled += c.models[i].enabled;
    is_int(enabled, 1, "one enabled");
    const struct config_model *one = config_find_model(&c, "model-one");
    const struct config_model *four = config_find_model(&c, "model-four");
    ok(one && !one->enabled && !one->base_url && !one->api_key,
       "a disabled model with placeholder text: shape only, no endpoint");
    is_str(four ? four->base_url : NULL, CONFIG_DEFAULT_OPENAI_BASE,
           "the enabled one: default URL");
    ok(c.snapshot && !strstr(c.snapshot, "put your key"), "the placeholder key is not stored");
    is_int(c.max_completions_per_step, CONFIG_DEFAULT_COMPLETIONS_PER_STEP,
           "default max_completions_per_step");
    is_int(c.max_completions, CONFIG_DEFAULT_MAX_COMPLETIONS, "default max_completions");
    ok(c.system_prompt_file == NULL, "the built-in prompt by default");
    config_free(&c);
}

/* The additive extensions: per-model request options and agent_config's
 * step and reply limits and prompt template. */
static void test_extensions(void)
{
    struct config c = {0};
    char err[512] = "";
    const char *path = fixture("ext.json", HEAD
                               "\"models\":[{\"signature\":\"q\",\"basemodel\":\"qwen3\","
                               "\"openai_base_url\":\"http://127.0.0.1:9/v1\",\"temperature\":0.7,"
                               "\"max_tokens\":4096,\"drop_reasoning\":true,"
                               "\"extra_body\":{\"enable_thinking\":false}}," MOCK "],"
                               "\"agent_config\":{\"max_steps\":5,\"max_completions_per_step\":7,"
                               "\"max_completions\":40,\"max_tool_calls_per_reply\":12,"
                               "\"max_reply_bytes\":65536,\"search_snippets_only\":true,"
                               "\"system_prompt_file\":\"configs/prompts/aitrader.txt\"}}");
    ok(config_load(path, &c, err, sizeof(err)) == 0, "extensions load: %s", err);
    const struct config_model *q = config_find_model(&c, "q"), *m = config_find_model(&c, "m");
    ok(q && q->has_temperature && q->temperature == 0.7, "temperature");
    ok(q && q->max_tokens == 4096, "max_tokens");
    ok(q && q->drop_reasoning, "drop_reasoning");
    ok(q && q->extra_body &&
           strcmp(json_object_to_json_string_ext(q->extra_body, JSON_C_TO_STRING_PLAIN),
                  "{\"enable_thinking\":false}") == 0,
       "extra_body kept");
    ok(m && !m->has_temperature && m->max_tokens == 0 && !m->extra_body && !m->drop_reasoning,
       "none of them by default");
    ok(c.max_steps == 5 && c.max_completions_per_step == 7 && c.max_completions == 40,
       "steps and completions");
    ok(c.max_tool_calls == 12 && c.max_reply_bytes == 65536, "reply limits");
    ok(c.search_snippets_only, "search_snippets_only");
    is_str(c.system_prompt_file, "configs/prompts/aitrader.txt", "system_prompt_file");
    config_free(&c);
}

static void test_defaults(void)
{
    struct config c = {0};
    char err[512] = "";
    ok(config_load(fixture("min.json", HEAD "\"models\":[" MOCK "]}"), &c, err, sizeof(err)) == 0,
       "a minimal config: %s", err);
    is_int(c.max_steps, 30, "default max_steps");
    is_int(c.max_retries, 3, "default max_retries");
    ok(c.base_delay == 1.0, "default base_delay");
    is_int(c.initial_cash, 10000 * MONEY_SCALE, "default initial_cash");
    is_str(c.log_path, CONFIG_DEFAULT_LOG_PATH, "default log_path");
    is_str(c.agent_type, "BaseAgent", "default agent_type");
    is_str(c.models[0].name, "m", "name defaults to the signature");
    ok(c.models[0].enabled, "enabled by default");
    is_str(c.end_date, "", "no end_date");
    ok(!c.lockstep, "the schedule is pipelined by default");
    config_free(&c);

    ok(config_load(fixture("lock.json", HEAD "\"models\":[" MOCK "],\"schedule\":\"lockstep\"}"),
                   &c, err, sizeof(err)) == 0 &&
           c.lockstep,
       "\"schedule\": \"lockstep\": %s", err);
    config_free(&c);
    ok(config_load(fixture("pipe.json", HEAD "\"models\":[" MOCK "],\"schedule\":\"pipelined\"}"),
                   &c, err, sizeof(err)) == 0 &&
           !c.lockstep,
       "\"schedule\": \"pipelined\": %s", err);
    config_free(&c);

    ok(config_load(fixture("sym.json", HEAD "\"models\":[" MOCK "],"
                                            "\"stock_symbols\":[\"AAPL\",\"BRK.B\",\"MSFT\"]}"),
                   &c, err, sizeof(err)) == 0,
       "stock_symbols: %s", err);
    ok(!c.symbols_default && c.nsymbols == 3 && strcmp(c.symbols[1], "BRK.B") == 0,
       "stock_symbols kept in order");
    config_free(&c);

    ok(config_load(fixture("sig.json", long_signature(64)), &c, err, sizeof(err)) == 0,
       "a 64-character signature is accepted");
    config_free(&c);
}

/* Config texts that must be refused, and what the message must contain. */
static const struct {
    const char *text, *want, *name;
} refusals[] = {
    {"", "not valid JSON", "empty file"},
    {"{\"a\":", "not valid JSON", "truncated JSON"},
    {HEAD "\"models\":[" MOCK "]} x", "not valid JSON", "trailing text"},
    {"[1,2]", "must be a JSON object", "not an object"},
    {"{\"models\":[" MOCK "]}", "init_date is required", "no date_range"},
    {"{\"date_range\":{\"init_date\":\"2025-02-30\"},\"models\":[" MOCK "]}", "init_date",
     "impossible init_date"},
    {"{\"date_range\":{\"init_date\":\"2025-01-02\",\"end_date\":\"2024-12-31\"},"
     "\"models\":[" MOCK "]}",
     "end_date is before init_date", "end before init"},
    {"{\"date_range\":{\"init_date\":20250102},\"models\":[" MOCK "]}", "init_date",
     "numeric init_date"},
    {HEAD "\"models\":[]}", "models must be an array of 1 to", "no models"},
    {HEAD "\"models\":{}}", "models must be an array", "models not an array"},
    {HEAD "\"models\":[1]}", "models[0] must be an object", "model not an object"},
    {HEAD "\"models\":[{\"provider\":\"mock\"}]}", "models[0].signature", "no signature"},
    {HEAD "\"models\":[{\"signature\":\"a b\",\"provider\":\"mock\"}]}",
     "models[0].signature must be", "space in signature"},
    {HEAD "\"models\":[{\"signature\":\"../x\",\"provider\":\"mock\"}]}",
     "models[0].signature must be", "slash in signature"},
    {HEAD "\"models\":[" MOCK "," MOCK "]}", "models[1].signature \"m\" is used",
     "duplicate signature"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"mock\",\"enabled\":1}]}",
     "models[0].enabled must be true or false", "numeric enabled"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"claude\"}]}",
     "models[0].provider must be", "unknown provider"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"builtin\"}]}",
     "models[0].strategy must be", "builtin without strategy"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"builtin\","
          "\"strategy\":\"yolo\"}]}",
     "models[0].strategy must be", "unknown strategy"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"mock\","
          "\"strategy\":\"momentum\"}]}",
     "only meaningful with provider", "strategy on a mock"},
    {HEAD "\"models\":[{\"signature\":\"m\"}]}", "models[0].basemodel is required",
     "openai without basemodel"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"basemodel\":\"x\","
          "\"openai_base_url\":\"ftp://h\",\"openai_api_key\":\"sk-secret\"}]}",
     "openai_base_url must be an http", "non-HTTP base URL"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"mock\","
          "\"timeout_seconds\":0}]}",
     "timeout_seconds must be a number", "zero timeout"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"max_steps\":0}}",
     "agent_config.max_steps must be an integer between 1 and 1000", "max_steps 0"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"max_steps\":2.5}}", "agent_config.max_steps",
     "fractional max_steps"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"max_retries\":\"3\"}}",
     "agent_config.max_retries", "string max_retries"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"base_delay\":-1}}", "agent_config.base_delay",
     "negative base_delay"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"initial_cash\":0}}",
     "agent_config.initial_cash", "zero initial_cash"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"initial_cash\":1e300}}",
     "agent_config.initial_cash", "huge initial_cash"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":[]}", "agent_config must be an object",
     "agent_config not an object"},
    {HEAD "\"models\":[" MOCK "],\"log_config\":{\"log_path\":\"\"}}",
     "log_config.log_path must be a non-empty string", "empty log_path"},
    {HEAD "\"models\":[" MOCK "],\"stock_symbols\":[\"QQQ\"]}", "benchmark", "QQQ is not tradable"},
    {HEAD "\"models\":[" MOCK "],\"stock_symbols\":[\"AAPL\",\"AAPL\"]}", "listed twice",
     "duplicate symbol"},
    {HEAD "\"models\":[" MOCK "],\"stock_symbols\":[\"aapl\"]}", "stock_symbols[0] is not a ticker",
     "lower-case symbol"},
    {HEAD "\"models\":[" MOCK "],\"stock_symbols\":[]}", "stock_symbols must list",
     "empty stock_symbols"},
    {HEAD "\"models\":[" MOCK "],\"schedule\":\"random\"}",
     "schedule must be \"pipelined\" or \"lockstep\"", "unknown schedule"},
    {HEAD "\"models\":[" MOCK "],\"schedule\":1}", "schedule must be a non-empty string",
     "schedule not a string"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"basemodel\":\"x\",\"extra_body\":[1]}]}",
     "models[0].extra_body must be an object", "extra_body not an object"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"basemodel\":\"x\",\"temperature\":\"0.2\"}]}",
     "models[0].temperature must be a number", "temperature as text"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"basemodel\":\"x\",\"max_tokens\":1.5}]}",
     "models[0].max_tokens must be an integer", "fractional max_tokens"},
    {HEAD "\"models\":[{\"signature\":\"a b\",\"enabled\":false,\"basemodel\":\"x\"}]}",
     "models[0].signature must be", "a disabled model is still checked for shape"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"enabled\":false,\"openai_base_url\":7}]}",
     "models[0].openai_base_url must be a non-empty string", "disabled: a URL of the wrong type"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"max_completions\":0}}",
     "agent_config.max_completions must be an integer", "max_completions 0"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"max_completions_per_step\":\"5\"}}",
     "agent_config.max_completions_per_step", "max_completions_per_step as text"},
    {HEAD "\"models\":[" MOCK "],\"agent_config\":{\"system_prompt_file\":\"\"}}",
     "agent_config.system_prompt_file must be a non-empty string", "empty system_prompt_file"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"basemodel\":\"x\","
          "\"openai_api_key_from\":\"environment\"}]}",
     "models[0].openai_api_key_from must be \"config_file\"", "unknown key origin"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"mock\",\"pricing\":[]}]}",
     "pricing must be an object", "pricing not an object"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"mock\","
          "\"pricing\":{\"prompt_usd_per_1m\":1}}]}",
     "models[0].pricing needs prompt_usd_per_1m and completion_usd_per_1m", "half a pricing"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"mock\","
          "\"pricing\":{\"prompt_usd_per_1m\":-1,\"completion_usd_per_1m\":1}}]}",
     "models[0].pricing.prompt_usd_per_1m must be a number", "negative price"},
    {HEAD "\"models\":[{\"signature\":\"m\",\"provider\":\"mock\","
          "\"pricing\":{\"prompt_usd_per_1m\":1,\"completion_usd_per_1m\":\"2\"}}]}",
     "models[0].pricing.completion_usd_per_1m must be a number", "price as a string"},
};

static void test_refusals(void)
{
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
        refused(refusals[i].text, refusals[i].want, refusals[i].name);
    refused(long_signature(65), "models[0].signature must be", "65-character signature");

    /* The key must not leak into any message. */
    struct config c = {0};
    char err[512] = "";
    config_load(fixture("k.json", HEAD "\"models\":[{\"signature\":\"m\",\"basemodel\":\"x\","
                                       "\"openai_api_key\":\"sk-secret\","
                                       "\"openai_base_url\":\"gopher://x\"}]}"),
                &c, err, sizeof(err));
    ok(err[0] && !strstr(err, "sk-secret"), "an error message never contains the key: %s", err);
}

/* pricing: dollars per million tokens, each day's cost to the micro-dollar
 * (worked by hand: 1234 x $2.50 / 1e6 = $0.003085; 1 x $0.15 / 1e6 =
 * $0.00000015, rounds to 0; 3 x $0.15 / 1e6 = $0.00000045, rounds to 0;
 * 4 x $0.15 / 1e6 = $0.0000006, rounds to 1 micro-dollar). */
static void test_pricing(void)
{
    struct config c = {0};
    char err[512] = "";
    money_t cost = -1;
    ok(config_load(fixture("p.json", HEAD "\"models\":[{\"signature\":\"p\",\"provider\":\"mock\","
                                          "\"pricing\":{\"prompt_usd_per_1m\":2.5,"
                                          "\"completion_usd_per_1m\":0.15}}," MOCK "]}"),
                   &c, err, sizeof(err)) == 0,
       "pricing accepted: %s", err);
    const struct config_model *p = config_find_model(&c, "p"), *m = config_find_model(&c, "m");
    ok(p && p->priced && p->prompt_usd_per_1m == 2500000 && p->completion_usd_per_1m == 150000,
       "  prices held as micro-dollars per million tokens");
    ok(m && !m->priced && config_cost(m, 1000, 1000, &cost) == 0 && cost == -1,
       "  a model without pricing has no cost");
    ok(config_cost(p, 1234, 0, &cost) == 1 && cost == 3085, "  1234 prompt tokens: $0.003085");
    ok(config_cost(p, 0, 3, &cost) == 1 && cost == 0, "  3 completion tokens round to 0");
    ok(config_cost(p, 0, 4, &cost) == 1 && cost == 1, "  4 completion tokens round to 1 micro");
    ok(config_cost(p, 1000000, 1000000, &cost) == 1 && cost == 2650000,
       "  a million of each: $2.65");
    config_free(&c);
}

static void test_files(void)
{
    struct config c = {0};
    char err[512] = "", path[256];
    snprintf(path, sizeof(path), "%s/missing.json", dir);
    ok(config_load(path, &c, err, sizeof(err)) == -1 && strstr(err, "cannot open"),
       "missing file: %s", err);
    ok(config_load(dir, &c, err, sizeof(err)) == -1 && strstr(err, "not a regular file"),
       "a directory is refused: %s", err);

    /* A config padded with blanks to exactly the limit loads; one byte more
     * is refused. */
    char *big = mem_alloc(CONFIG_FILE_MAX + 2);
    memset(big, ' ', CONFIG_FILE_MAX + 1);
    const char *min = HEAD "\"models\":[" MOCK "]}";
    memcpy(big, min, strlen(min));
    big[CONFIG_FILE_MAX] = '\0';
    ok(config_load(fixture("limit.json", big), &c, err, sizeof(err)) == 0,
       "a file of exactly %d bytes loads: %s", CONFIG_FILE_MAX, err);
    config_free(&c);
    big[CONFIG_FILE_MAX] = ' ';
    big[CONFIG_FILE_MAX + 1] = '\0';
    ok(config_load(fixture("big.json", big), &c, err, sizeof(err)) == -1 &&
           strstr(err, "larger than"),
       "a larger file is refused: %s", err);
    free(big);

    const char nul[] = HEAD "\"models\":[" MOCK "]}\0";
    ok(config_parse(nul, sizeof(nul), &c, err, sizeof(err)) == -1 && strstr(err, "NUL"),
       "a NUL byte is refused");
    ok(config_parse(nul, sizeof(nul) - 2, &c, err, sizeof(err)) == 0, "config_parse: %s", err);
    config_free(&c);
}

/* The number of times needle occurs in hay. */
static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static const char keyed[] =
    "{\"date_range\": {\"init_date\": \"2025-01-02\", \"end_date\": \"2025-01-31\"},\n"
    " \"models\": [\n"
    "  {\"signature\": \"k1\", \"basemodel\": \"x\", \"openai_api_key\": \"sk-one\"},\n"
    "  {\"signature\": \"k2\", \"basemodel\": \"x\", \"openai_api_key\": \"sk-drop\",\n"
    "   \"openai_api_key\": \"sk-two\", \"openai_base_url\": \"https://u:pw@h.example/v1\"},\n"
    "  {\"signature\": \"env\", \"basemodel\": \"x\", \"openai_api_key\": null},\n"
    "  {\"signature\": \"b\", \"provider\": \"builtin\", \"strategy\": \"momentum\",\n"
    "   \"openai_api_key\": \"sk-builtin\", \"top_n\": 3}],\n"
    " \"agent_config\": {\"initial_cash\": 7441.199999999999, \"max_steps\": 30.0},\n"
    " \"extra\": {\"note\": \"caf\u00e9 / r\u00e9sum\u00e9\", \"n\": [1, 2.50, -3e2]}}\n";

/* The snapshot a job stores: no key, a marker where the file had one, the
 * rest as it was; it parses to the same config, and config_restore_keys
 * takes the keys back from the file as it is at run time. */
static void test_snapshot(void)
{
    struct config c = {0}, s = {0}, s2 = {0};
    char err[512] = "";
    const char *path = fixture("keyed.json", keyed);
    setenv(CONFIG_ENV_API_KEY, "sk-env", 1);
    ok(config_load(path, &c, err, sizeof(err)) == 0, "a config with keys loads: %s", err);
    const struct config_model *k1 = config_find_model(&c, "k1"), *k2 = config_find_model(&c, "k2"),
                              *env = config_find_model(&c, "env"), *b = config_find_model(&c, "b");
    ok(k1 && k2 && env && b, "four models");
    ok(k1 && k1->key_in_file && strcmp(k1->api_key, "sk-one") == 0, "k1: the file's key");
    ok(k2 && k2->key_in_file && strcmp(k2->api_key, "sk-two") == 0, "k2: the last one written");
    ok(env && !env->key_in_file && strcmp(env->api_key, "sk-env") == 0,
       "env: no key in the file, the environment's");
    ok(b && !b->key_in_file && !b->api_key, "a builtin model has no key, even when one is written");

    const char *snap = c.snapshot ? c.snapshot : "";
    ok(!strstr(snap, "sk-"), "the snapshot has no key");
    ok(!strstr(snap, "\"openai_api_key\""), "... and no openai_api_key member");
    is_int(count_of(snap, "\"openai_api_key_from\": \"config_file\""), 2,
           "a marker for k1 and k2 only");
    ok(strstr(snap, "\"https://h.example/v1\"") && !strstr(snap, "u:pw@"),
       "the base URL is kept without its credentials");
    is_int(count_of(snap, "\"openai_base_url_from\": \"config_file\""), 1,
           "a URL marker for k2 only");
    ok(strstr(snap, "7441.199999999999") && strstr(snap, "30.0") && strstr(snap, "2.50") &&
           strstr(snap, "-3e2"),
       "numbers keep their text");
    ok(strstr(snap, "caf\u00e9 / r\u00e9sum\u00e9") != NULL, "strings kept (UTF-8, slash)");
    ok(strstr(snap, "\"end_date\": \"2025-01-31\"") && strstr(snap, "\"top_n\": 3"),
       "everything else kept");

    ok(config_parse(snap, strlen(snap), &s, err, sizeof(err)) == 0, "the snapshot parses: %s", err);
    k1 = config_find_model(&s, "k1");
    k2 = config_find_model(&s, "k2");
    env = config_find_model(&s, "env");
    ok(k1 && k1->key_in_file && !k1->api_key && k2 && k2->key_in_file && !k2->api_key,
       "parsed: k1 and k2 marked, without a key (not the environment's)");
    ok(env && !env->key_in_file && strcmp(env->api_key, "sk-env") == 0,
       "parsed: env still falls back to the environment");
    is_str(k2 ? k2->base_url : NULL, "https://h.example/v1", "parsed: the public base URL");
    ok(k2 && k2->url_in_file, "parsed: k2's URL is the file's");
    ok(s.initial_cash == c.initial_cash && s.max_steps == 30 &&
           strcmp(s.end_date, "2025-01-31") == 0,
       "parsed: the same settings");
    is_str(s.snapshot, snap, "the snapshot of a snapshot is the same");

    config_restore_keys(&s, path);
    is_str(k1 ? k1->api_key : NULL, "sk-one", "k1's key from the file");
    is_str(k2 ? k2->api_key : NULL, "sk-two", "k2's key from the file");
    is_str(env ? env->api_key : NULL, "sk-env", "env's key untouched");
    is_str(k2 ? k2->base_url : NULL, "https://u:pw@h.example/v1", "k2's base URL from the file");
    ok(k2 && !k2->url_in_file, "k2's URL restored");
    config_free(&s);

    /* The file changed: k2's entry lost its key, models moved around. */
    fixture("keyed.json", HEAD "\"models\":[{\"signature\":\"k2\",\"basemodel\":\"x\"},"
                               "{\"signature\":\"zz\",\"openai_api_key\":\"sk-other\"},"
                               "{\"signature\":\"k1\",\"openai_api_key\":\"sk-one-new\"}]}");
    ok(config_parse(snap, strlen(snap), &s, err, sizeof(err)) == 0, "reparsed: %s", err);
    config_restore_keys(&s, path);
    k1 = config_find_model(&s, "k1");
    k2 = config_find_model(&s, "k2");
    is_str(k1 ? k1->api_key : NULL, "sk-one-new", "k1: the key the file has now");
    ok(k2 && !k2->api_key, "k2: no key (its entry has none; not another model's)");
    config_free(&s);

    /* Through a symlink put in the path's way: no key. */
    char link[256];
    snprintf(link, sizeof(link), "%s/link.json", dir);
    ok(symlink(path, link) == 0 && config_parse(snap, strlen(snap), &s, err, sizeof(err)) == 0,
       "a symlink in the path's way");
    config_restore_keys(&s, link);
    ok(!config_find_model(&s, "k1")->api_key, "a path that is a symlink now: no key");
    config_free(&s);

    /* Gone, or not JSON: no key, and no error. */
    ok(config_parse(snap, strlen(snap), &s, err, sizeof(err)) == 0 &&
           config_parse(snap, strlen(snap), &s2, err, sizeof(err)) == 0,
       "two more parses");
    fixture("keyed.json", "{\"models\": [{\"signature\": \"k1\", \"openai_api_key\": \"sk-");
    config_restore_keys(&s, path);
    ok(!config_find_model(&s, "k1")->api_key, "a file that is not JSON: no key");
    unlink(path);
    config_restore_keys(&s2, path);
    ok(!config_find_model(&s2, "k1")->api_key && !config_find_model(&s2, "k2")->api_key,
       "a file that is gone: no key");
    config_free(&s);
    config_free(&s2);

    /* A snapshot stored before keys were kept out still runs with its key. */
    ok(config_parse(keyed, strlen(keyed), &s, err, sizeof(err)) == 0, "an old snapshot with keys");
    config_restore_keys(&s, path);
    is_str(config_find_model(&s, "k1")->api_key, "sk-one", "... keeps its own key");
    config_free(&s);
    config_free(&c);
    unsetenv(CONFIG_ENV_API_KEY);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/trader-test-config-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    unsetenv(CONFIG_ENV_API_BASE);
    unsetenv(CONFIG_ENV_API_KEY);
    ok(config_signature_valid("gpt-4o_mini.v2"), "signature syntax");
    ok(!config_signature_valid("") && !config_signature_valid("a/b"), "bad signatures");
    test_default_config();
    test_aitrader_format();
    test_aitrader_default();
    test_extensions();
    test_defaults();
    test_refusals();
    test_pricing();
    test_files();
    test_snapshot();
    nftw(dir, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
    return tap_done();
}
