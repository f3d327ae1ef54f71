/* strategy: the built-in deciders of provider "builtin". Deterministic, no
 * network, and they read and trade only through tools_call, so they obey the
 * same look-ahead and trading rules as an LLM:
 *   equal_weight  buy and hold: on the first session (nothing held) split the
 *                 cash equally across a basket in whole shares at the open,
 *                 then hold;
 *   momentum      each day hold the top_n symbols with the best return over
 *                 the last `lookback` closes before today: sell what dropped
 *                 out, buy the newcomers with the cash split equally.
 * Each records one reasoning message (and the trade answers), which becomes
 * the day's reasoning summary.
 *
 * Optional knobs in the model's config entry (additive extensions, parsed
 * by config.h):
 *   "top_n" (1-50, default 5) and "lookback" (2-60, default 5) for momentum;
 *   "delay_ms" (0-600000, default 0): a pause before deciding, a testing and
 *   throttle knob that makes a model-day slow enough to watch. */
#ifndef TRADER_STRATEGY_H
#define TRADER_STRATEGY_H

#include <stddef.h>

#include "service/config.h"
#include "trading/tools.h"

#define STRATEGY_SUMMARY_MAX 1024

struct strategy_params {
    char name[32]; /* "equal_weight" or "momentum" */
    int top_n;
    int lookback;
    long delay_ms;
    /* The symbols considered (borrowed): the config's stock_symbols when it
     * names some; otherwise a fixed basket of ten large NASDAQ-100 names for
     * equal_weight and the whole default universe for momentum. */
    const char (*basket)[SYMBOL_MAX];
    size_t nbasket;
};

/* Fills *out for model m of cfg (provider builtin) from m->strategy and its
 * knobs. Returns 0, or -1 when a knob is bad (m->knob_error) or the model is
 * not a built-in strategy. */
int strategy_params_from_config(const struct config *cfg, const struct config_model *m,
                                struct strategy_params *out, char *err, size_t errlen);

/* Decides ctx's day with strategy p. Returns 0, or -1 (err filled) on an
 * internal failure or when ctx was cancelled (tools_cancelled). */
int strategy_run(struct tools_ctx *ctx, const struct strategy_params *p, char *err, size_t errlen);

#endif
