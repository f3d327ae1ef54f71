/* Fuzzes config_parse (a config file or a job's stored snapshot) and, on a
 * config it accepts, what the API and the daemon derive from it: the public
 * model list, lookups, each builtin model's strategy knobs and the snapshot
 * a job stores. The snapshot must hold no openai_api_key, must parse to the
 * same models (the daemon runs it) and, through config_restore_keys on the
 * original file, must give back the keys the file holds. */
#include "service/config.h"
#include "fuzz.h"
#include "trading/strategy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The snapshot's models entries have no openai_api_key. */
static void check_no_keys(const char *snapshot)
{
    json_object *root = json_tokener_parse(snapshot), *models;
    if (!root)
        __builtin_trap(); /* not JSON at all */
    if (json_object_object_get_ex(root, "models", &models))
        for (size_t i = 0; i < json_object_array_length(models); i++)
            if (json_object_object_get_ex(json_object_array_get_idx(models, i), "openai_api_key",
                                          NULL))
                __builtin_trap();
    json_object_put(root);
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* s (parsed from c's snapshot) has c's models; with the keys restored from
 * the original file, the same keys where the file held them. */
static void check_snapshot(const struct config *c, struct config *s, const uint8_t *data,
                           size_t size)
{
    char dir[FUZZ_PATH_MAX], path[FUZZ_PATH_MAX], real[PATH_MAX];
    int keys = 0;
    if (s->nmodels != c->nmodels || strcmp(s->init_date, c->init_date) != 0 ||
        strcmp(s->end_date, c->end_date) != 0 || s->initial_cash != c->initial_cash ||
        s->nsymbols != c->nsymbols)
        __builtin_trap();
    for (size_t i = 0; i < c->nmodels; i++) {
        const struct config_model *a = &c->models[i], *b = &s->models[i];
        if (strcmp(a->signature, b->signature) != 0 || a->provider != b->provider ||
            a->enabled != b->enabled || a->key_in_file != b->key_in_file ||
            (!b->url_in_file && !same(a->base_url, b->base_url)) ||
            !same(a->strategy, b->strategy) || strcmp(a->knob_error, b->knob_error) != 0)
            __builtin_trap();
        keys += a->key_in_file;
    }
    if (keys == 0)
        return;
    fuzz_tmpdir(dir);
    fuzz_write(dir, "config.json", data, size);
    fuzz_path(path, dir, "config.json");
    if (!realpath(path, real)) /* restoring refuses a path through a symlink */
        abort();
    config_restore_keys(s, real);
    for (size_t i = 0; i < c->nmodels; i++)
        if (c->models[i].key_in_file && !same(c->models[i].api_key, s->models[i].api_key))
            __builtin_trap();
    fuzz_rmtree(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c, s;
    char err[ERRBUF_SIZE];
    if (config_parse((const char *)data, size, &c, err, sizeof(err)) != 0)
        return 0;
    json_object_put(config_public_json(&c));
    for (size_t i = 0; i < c.nmodels; i++) {
        struct strategy_params sp;
        if (config_find_model(&c, c.models[i].signature) != &c.models[i])
            __builtin_trap(); /* signatures are unique */
        if (c.models[i].provider == CONFIG_PROVIDER_BUILTIN)
            strategy_params_from_config(&c, &c.models[i], &sp, err, sizeof(err));
    }
    check_no_keys(c.snapshot);
    if (config_parse(c.snapshot, strlen(c.snapshot), &s, err, sizeof(err)) != 0)
        __builtin_trap(); /* a job could not run its own snapshot */
    check_snapshot(&c, &s, data, size);
    config_free(&s);
    config_free(&c);
    return 0;
}
