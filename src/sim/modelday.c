/* modelday: see modelday.h. The order matters for crash safety: the decider
 * runs with nothing written but the 'running' status, and everything the day
 * produced lands in one BEGIN IMMEDIATE transaction, so a day interrupted at
 * any point has either committed whole or left nothing to clean up. */
#include "sim/modelday.h"

#include "agent/agent.h"
#include "trading/agentfiles.h"
#include "service/daystore.h"
#include "base/errbuf.h"
#include "service/jobs.h"
#include "base/log.h"
#include "base/mem.h"
#include "market/prices.h"
#include "trading/strategy.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER "traderd.modelday"

static int decide_builtin(struct tools_ctx *ctx, const struct modelday_spec *spec, char *err,
                          size_t errlen)
{
    struct strategy_params p;
    if (strategy_params_from_config(spec->cfg, spec->model, &p, err, errlen) != 0)
        return -1;
    return strategy_run(ctx, &p, err, errlen);
}

/* Provider name -> decider. */
static const struct modelday_provider providers[] = {
    {"builtin", decide_builtin},
    {"openai", agent_decide_openai},
    {"mock", agent_decide_mock},
};

const struct modelday_provider *modelday_provider(const char *name)
{
    for (size_t i = 0; name && i < sizeof(providers) / sizeof(providers[0]); i++)
        if (strcmp(providers[i].name, name) == 0)
            return &providers[i];
    return NULL;
}

/* The model's state before spec's date: *pf from its last completed day
 * (any job) or the initial cash, *prev that day's value or the initial cash,
 * since that day's date ("" when none). */
static int load_state(struct db *db, const struct modelday_spec *spec, struct portfolio *pf,
                      money_t *prev, char since[DATE_BUF], char *err, size_t errlen)
{
    long long id = 0;
    money_t cash = spec->cfg->initial_cash, value = spec->cfg->initial_cash;
    enum daystore_found f = daystore_last_before(db, spec->model->signature, spec->date, &id, &cash,
                                                 &value, since, err, errlen);
    if (f == DAYSTORE_ERROR)
        return -1;
    if (f == DAYSTORE_FOUND && daystore_holdings(db, id, cash, pf, err, errlen) != 0)
        return -1;
    if (f == DAYSTORE_NONE)
        portfolio_init(pf, cash);
    *prev = value;
    return 0;
}

/* Refuses a model-day whose (model, date) already has a result. */
static int check_not_done(struct db *db, const struct modelday_spec *spec, char *err, size_t errlen)
{
    char other[64] = "";
    long long id;
    enum daystore_found f = daystore_find(db, spec->model->signature, spec->date, &id, other,
                                          sizeof(other), err, errlen);
    if (f == DAYSTORE_FOUND)
        return err_set(err, errlen, "model %s already has results for %s (job %s)",
                       spec->model->signature, spec->date, other);
    return f == DAYSTORE_ERROR ? -1 : 0;
}

/* The summary the decider set, else its last assistant message. */
static const char *summary_of(const struct tools_ctx *ctx)
{
    if (ctx->summary)
        return ctx->summary;
    for (size_t i = ctx->nmsgs; i-- > 0;)
        if (strcmp(ctx->msgs[i].role, "assistant") == 0 && ctx->msgs[i].content)
            return ctx->msgs[i].content;
    return NULL;
}

/* The day's rows, as ctx recorded them, stored under a new positions row. */
static int store_day(struct db *db, const struct modelday_spec *spec, const struct tools_ctx *ctx,
                     const struct daily_pnl *pnl, const char *log_file, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    struct daystore_tool tools[TOOLS_MAX];
    struct daystore_day day = {
        .job_id = spec->job_id,
        .date = spec->date,
        .model = spec->model->signature,
        .cash = ctx->pf.cash,
        .pnl = *pnl,
        .total_steps = ctx->total_steps,
        .stop_signal = ctx->stop_signal,
        .reasoning_summary = summary_of(ctx),
        .prompt_tokens = ctx->prompt_tokens,
        .completion_tokens = ctx->completion_tokens,
        .total_tokens = ctx->total_tokens,
        .log_file_path = log_file,
        .created_at = now,
        .holdings = &ctx->pf,
        .tools = tools,
        .splits = ctx->splits,
        .nsplits = ctx->nsplits,
    };
    day.priced = config_cost(spec->model, ctx->prompt_tokens, ctx->completion_tokens, &day.cost);
    struct daystore_trade *trades = mem_calloc(ctx->ntrades + 1, sizeof(*trades));
    struct daystore_message *msgs = mem_calloc(ctx->nmsgs + 1, sizeof(*msgs));
    for (size_t i = 0; i < ctx->ntrades; i++) {
        const struct tools_trade *t = &ctx->trades[i];
        trades[i] = (struct daystore_trade){t->seq,   t->action, t->symbol, t->amount,
                                            t->price, t->total,  t->fee};
    }
    for (size_t i = 0; i < ctx->nmsgs; i++) {
        const struct tools_message *m = &ctx->msgs[i];
        msgs[i] = (struct daystore_message){m->step,      m->role,         m->content,
                                            m->tool_name, m->tool_call_id, m->message_json,
                                            m->timestamp, m->completion};
    }
    for (size_t i = 0; i < tools_count(); i++) {
        const struct tools_stat *st = &ctx->stats[i];
        if (st->calls > 0)
            tools[day.ntools++] =
                (struct daystore_tool){tools_name(i), st->calls, st->errors, st->total_ms};
    }
    day.trades = trades;
    day.ntrades = ctx->ntrades;
    day.messages = msgs;
    day.nmessages = ctx->nmsgs;
    time_now_iso(now);
    int rc = daystore_insert(db, &day, NULL, err, errlen);
    free(trades);
    free(msgs);
    return rc;
}

static bool stopping(const struct modelday_spec *spec)
{
    return spec->cancel && atomic_load(spec->cancel);
}

/* After a failed step of the day: true when it failed for a transient
 * storage reason (db_transient) and the retry pause has passed, so the step
 * is tried again; false when the failure is the day's own or the daemon is
 * stopping. A day is never failed, or left a hole, for the host's trouble. */
static bool again(struct db *db, const struct modelday_spec *spec, int *attempt, const char *err)
{
    if (!db_transient(db) || stopping(spec))
        return false;
    char rerr[ERRBUF_SIZE];
    log_emit(LOG_LEVEL_WARNING, LOGGER, spec->job_id, spec->date, spec->model->signature,
             "storage unavailable, trying again (attempt %d): %s", *attempt + 2, err);
    if (db_retry_pause((*attempt)++, spec->cancel) != 0)
        return false;
    /* a failed reopen fails the next try, which comes back here */
    db_reopen(db, rerr, sizeof(rerr));
    return true;
}

/* How a day's attempt ended: DAY_LOST when its lease was lost (nothing
 * written). */
enum day_end { DAY_ERROR = -1, DAY_DONE, DAY_LOST };

/* Inside the day's transaction: DAY_DONE when the day is still spec's to
 * write (no lease, or the lease still its worker's). */
static enum day_end still_held(struct db *db, const struct modelday_spec *spec, const char *model,
                               char *err, size_t errlen)
{
    bool held = true;
    if (spec->worker &&
        jobs_day_held(db, spec->job_id, spec->date, model, spec->worker, &held, err, errlen) != 0)
        return DAY_ERROR;
    if (!held)
        err_set(err, errlen, "lease on the model-day lost: another worker runs it");
    return held ? DAY_DONE : DAY_LOST;
}

/* The one transaction of a completed day. */
static enum day_end commit_day(struct db *db, const struct modelday_spec *spec,
                               const struct tools_ctx *ctx, const struct daily_pnl *pnl,
                               const char *log_file, double duration, char *err, size_t errlen)
{
    enum day_end held;
    if (db_begin_immediate(db, err, errlen) != 0)
        return DAY_ERROR;
    if ((held = still_held(db, spec, spec->model->signature, err, errlen)) != DAY_DONE) {
        db_rollback(db);
        return held;
    }
    if ((spec->replace && jobs_replace_results(db, spec->job_id, spec->model->signature, spec->date,
                                               err, errlen) != 0) ||
        check_not_done(db, spec, err, errlen) != 0 ||
        store_day(db, spec, ctx, pnl, log_file, err, errlen) != 0 ||
        jobs_day_complete(db, spec->job_id, spec->date, spec->model->signature, duration, err,
                          errlen) != 0) {
        db_rollback(db);
        return DAY_ERROR;
    }
    return db_commit(db, err, errlen) == 0 ? DAY_DONE : DAY_ERROR;
}

int modelday_fail(struct db *db, const char *job_id, const char *date, const char *model,
                  const char *worker, const char *why, double duration, char *err, size_t errlen)
{
    struct modelday_spec spec = {.job_id = job_id, .date = date, .worker = worker};
    enum day_end held;
    if (!worker)
        return jobs_day_fail(db, job_id, date, model, why, duration, err, errlen);
    if (db_begin_immediate(db, err, errlen) != 0)
        return -1;
    if ((held = still_held(db, &spec, model, err, errlen)) == DAY_ERROR ||
        (held == DAY_DONE &&
         jobs_day_fail(db, job_id, date, model, why, duration, err, errlen) != 0)) {
        db_rollback(db);
        return -1;
    }
    if (held == DAY_LOST)
        log_emit(LOG_LEVEL_WARNING, LOGGER, job_id, date, model,
                 "failure not recorded: the lease on the model-day was lost");
    return db_commit(db, err, errlen);
}

/* Decides and values the day, then commits it: DAY_ERROR with err on
 * failure, DAY_LOST when its lease was lost. */
static enum day_end run_day(struct db *db, const struct modelday_spec *spec, double t0, char *err,
                            size_t errlen)
{
    const struct modelday_provider *prov =
        modelday_provider(config_provider_name(spec->model->provider));
    struct tools_ctx ctx;
    struct portfolio start;
    struct daily_pnl pnl;
    struct prices_closes val = {.db = db, .date = spec->date};
    struct splits_applied *splits = NULL;
    char log_file[PATH_MAX], since[DATE_BUF] = "";
    money_t prev = 0, value;
    size_t nsplits = 0;
    enum day_end rc = DAY_ERROR;
    int f;
    enum agentfiles_on files;
    if (!prov) {
        err_set(err, errlen, "provider %s is not available in this build",
                config_provider_name(spec->model->provider));
        return DAY_ERROR;
    }
    if ((!spec->replace && check_not_done(db, spec, err, errlen) != 0) ||
        load_state(db, spec, &start, &prev, since, err, errlen) != 0)
        return DAY_ERROR;
    /* Splits met since the last state change the holdings before any
     * decider sees them; the previous value stays, so values are continuous. */
    f = splits_apply(db, since, spec->date, &start, &splits, &nsplits, err, errlen);
    if (f == 0)
        f = tools_ctx_init(
            &ctx, db, spec->model->signature, spec->date, &start,
            spec->cfg->symbols_default ? NULL : (const char(*)[SYMBOL_MAX])spec->cfg->symbols,
            spec->cfg->nsymbols, err, errlen);
    portfolio_free(&start);
    if (f != 0) {
        free(splits);
        return DAY_ERROR;
    }
    tools_set_splits(&ctx, splits, nsplits);
    ctx.cancel = spec->cancel;
    ctx.costs = spec->cfg->trading;
    /* A decider that finished is committed even during shutdown: that is
     * quick, and a cancelled one fails here and is abandoned. */
    if (prov->decide(&ctx, spec, err, errlen) != 0)
        goto out;
    if (portfolio_value(&ctx.pf, prices_closes_lookup, &val, &value, err, errlen) != 0) {
        if (val.failed)
            err_set(err, errlen, "%s", val.err);
        goto out;
    }
    portfolio_pnl(value, prev, &pnl);
    files = agentfiles_log_file_path(spec->home, spec->cfg, spec->model->signature, spec->date,
                                     log_file, sizeof(log_file), err, errlen);
    if (files == AGENTFILES_ERROR)
        goto out;
    /* The decision is kept while the storage recovers: only the commit is
     * tried again. */
    for (int attempt = 0;;) {
        db_clear_error(db);
        rc = commit_day(db, spec, &ctx, &pnl, files == AGENTFILES_ON ? log_file : NULL,
                        time_monotonic() - t0, err, errlen);
        if (rc != DAY_ERROR || !again(db, spec, &attempt, err))
            break;
    }
out:
    tools_ctx_free(&ctx);
    return rc;
}

/* Marks the day running, unless its claim already did. */
static int start_day(struct db *db, const struct modelday_spec *spec, char *err, size_t errlen)
{
    int rc, attempt = 0;
    if (spec->worker)
        return 0;
    do
        db_clear_error(db);
    while ((rc = jobs_day_start(db, spec->job_id, spec->date, spec->model->signature, err,
                                errlen)) != 0 &&
           again(db, spec, &attempt, err));
    return rc;
}

enum modelday_result modelday_run(struct db *db, const struct modelday_spec *spec, char *err,
                                  size_t errlen)
{
    const char *model = spec->model->signature;
    char ferr[ERRBUF_SIZE];
    double t0 = time_monotonic();
    int rc, attempt = 0;
    enum day_end end;
    if (start_day(db, spec, err, errlen) != 0) {
        log_emit(LOG_LEVEL_ERROR, LOGGER, spec->job_id, spec->date, model,
                 "cannot start model-day: %s", err);
        return MODELDAY_FAILED;
    }
    log_emit(LOG_LEVEL_INFO, LOGGER, spec->job_id, spec->date, model, "model-day started");
    do
        db_clear_error(db);
    while ((end = run_day(db, spec, t0, err, errlen)) == DAY_ERROR &&
           again(db, spec, &attempt, err));
    if (end == DAY_LOST) {
        log_emit(LOG_LEVEL_WARNING, LOGGER, spec->job_id, spec->date, model,
                 "model-day dropped: %s", err);
        return MODELDAY_LOST;
    }
    if (end != DAY_DONE) {
        if (stopping(spec)) {
            log_emit(LOG_LEVEL_WARNING, LOGGER, spec->job_id, spec->date, model,
                     "model-day abandoned at shutdown");
            return MODELDAY_ABANDONED;
        }
        log_emit(LOG_LEVEL_ERROR, LOGGER, spec->job_id, spec->date, model, "model-day failed: %s",
                 err);
        attempt = 0;
        do
            db_clear_error(db);
        while ((rc = modelday_fail(db, spec->job_id, spec->date, model, spec->worker, err,
                                   time_monotonic() - t0, ferr, sizeof(ferr))) != 0 &&
               again(db, spec, &attempt, ferr));
        if (rc != 0)
            log_emit(LOG_LEVEL_ERROR, LOGGER, spec->job_id, spec->date, model,
                     "cannot record the failure: %s", ferr);
        return MODELDAY_FAILED;
    }
    log_emit(LOG_LEVEL_INFO, LOGGER, spec->job_id, spec->date, model,
             "model-day completed in %.3f s", time_monotonic() - t0);
    if (agentfiles_write(db, spec->cfg, spec->home, model, spec->date, ferr, sizeof(ferr)) != 0)
        log_emit(LOG_LEVEL_WARNING, LOGGER, spec->job_id, spec->date, model,
                 "cannot write the AI-Trader files: %s", ferr);
    return MODELDAY_COMPLETED;
}
