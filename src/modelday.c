/* modelday: see modelday.h. The order matters for crash safety: the decider
 * runs with nothing written but the 'running' status, and everything the day
 * produced lands in one BEGIN IMMEDIATE transaction, so a day interrupted at
 * any point has either committed whole or left nothing to clean up. */
#include "modelday.h"

#include "agent.h"
#include "agentfiles.h"
#include "errbuf.h"
#include "jobs.h"
#include "log.h"
#include "prices.h"
#include "strategy.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER "traderd.modelday"

static const char SQL_EXISTING[] = "SELECT job_id FROM positions WHERE model = ?1 AND date = ?2";
static const char SQL_LAST_STATE[] =
    "SELECT id, cash, portfolio_value FROM positions WHERE model = ?1 AND date < ?2"
    " ORDER BY date DESC LIMIT 1";
static const char SQL_HOLDINGS[] =
    "SELECT symbol, quantity FROM holdings WHERE position_id = ?1 ORDER BY symbol";
static const char SQL_INSERT_POSITION[] =
    "INSERT INTO positions(job_id, date, model, cash, portfolio_value, prev_value, daily_profit,"
    " daily_return_pct, total_steps, stop_signal, reasoning_summary, prompt_tokens,"
    " completion_tokens, total_tokens, log_file_path, created_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
static const char SQL_INSERT_TRADE[] =
    "INSERT INTO trades(position_id, seq, action, symbol, amount, price, total)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_INSERT_HOLDING[] =
    "INSERT INTO holdings(position_id, symbol, quantity) VALUES(?1, ?2, ?3)";
static const char SQL_INSERT_MESSAGE[] =
    "INSERT INTO reasoning_logs(position_id, step, role, content, tool_name, tool_call_id,"
    " message_json, timestamp) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_INSERT_USAGE[] =
    "INSERT INTO tool_usage(position_id, tool_name, calls, errors, total_duration_ms)"
    " VALUES(?1, ?2, ?3, ?4, ?5)";

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

/* Steps st to its end, failing unless it completes. */
static int run_stmt(struct db *db, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(db, what, err, errlen);
}

/* The model's state before spec's date: *pf from its last completed day
 * (any job) or the initial cash, *prev that day's value or the initial cash. */
static int load_state(struct db *db, const struct modelday_spec *spec, struct portfolio *pf,
                      money_t *prev, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_LAST_STATE, err, errlen);
    sqlite3_int64 id = 0;
    int rc;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, spec->model->signature, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, spec->date, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        portfolio_init(pf, sqlite3_column_int64(st, 1));
        *prev = sqlite3_column_int64(st, 2);
    } else {
        portfolio_init(pf, spec->cfg->initial_cash);
        *prev = spec->cfg->initial_cash;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(db, "cannot read the previous state", err, errlen);
    if (!id)
        return 0;
    if (!(st = db_stmt(db, SQL_HOLDINGS, err, errlen)))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (portfolio_set(pf, (const char *)sqlite3_column_text(st, 0),
                          sqlite3_column_int64(st, 1)) != 0) {
            sqlite3_reset(st);
            portfolio_free(pf);
            return err_set(err, errlen, "bad stored holding");
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        portfolio_free(pf);
        return db_error(db, "cannot read the previous holdings", err, errlen);
    }
    return 0;
}

/* Refuses a model-day whose (model, date) already has a result. */
static int check_not_done(struct db *db, const struct modelday_spec *spec, char *err, size_t errlen)
{
    char other[64] = "";
    sqlite3_stmt *st = db_stmt(db, SQL_EXISTING, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, spec->model->signature, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, spec->date, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(other, sizeof(other), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return err_set(err, errlen, "model %s already has results for %s (job %s)",
                       spec->model->signature, spec->date, other);
    return rc == SQLITE_DONE ? 0 : db_error(db, "cannot check existing results", err, errlen);
}

struct valuer {
    struct db *db;
    const char *date;
    char err[ERRBUF_SIZE];
    int failed; /* a database error, not a missing price */
};

/* Today's close, else the last close before it. */
static int close_of(void *p, const char *symbol, money_t *price)
{
    struct valuer *v = p;
    int f = prices_close(v->db, symbol, v->date, price, v->err, sizeof(v->err));
    if (f == 0)
        f = prices_last_close(v->db, symbol, v->date, price, v->err, sizeof(v->err));
    if (f < 0)
        v->failed = 1;
    return f == 1 ? 0 : -1;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
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

static int insert_position(struct db *db, const struct modelday_spec *spec,
                           const struct tools_ctx *ctx, const struct daily_pnl *pnl,
                           const char *log_file, sqlite3_int64 *id, char *err, size_t errlen)
{
    char now[TIMESTAMP_BUF];
    sqlite3_stmt *st = db_stmt(db, SQL_INSERT_POSITION, err, errlen);
    if (!st)
        return -1;
    time_now_iso(now);
    sqlite3_bind_text(st, 1, spec->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, spec->date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, spec->model->signature, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ctx->pf.cash);
    sqlite3_bind_int64(st, 5, pnl->value);
    sqlite3_bind_int64(st, 6, pnl->prev);
    sqlite3_bind_int64(st, 7, pnl->profit);
    sqlite3_bind_double(st, 8, pnl->return_pct);
    sqlite3_bind_int(st, 9, ctx->total_steps);
    sqlite3_bind_int(st, 10, ctx->stop_signal ? 1 : 0);
    bind_opt_text(st, 11, summary_of(ctx));
    sqlite3_bind_int64(st, 12, ctx->prompt_tokens);
    sqlite3_bind_int64(st, 13, ctx->completion_tokens);
    sqlite3_bind_int64(st, 14, ctx->total_tokens);
    bind_opt_text(st, 15, log_file);
    sqlite3_bind_text(st, 16, now, -1, SQLITE_STATIC);
    if (run_stmt(db, st, "cannot store the position", err, errlen) != 0)
        return -1;
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

static int insert_trades_holdings(struct db *db, const struct tools_ctx *ctx, sqlite3_int64 id,
                                  char *err, size_t errlen)
{
    for (size_t i = 0; i < ctx->ntrades; i++) {
        const struct tools_trade *t = &ctx->trades[i];
        sqlite3_stmt *st = db_stmt(db, SQL_INSERT_TRADE, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, t->seq);
        sqlite3_bind_text(st, 3, t->action, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t->symbol, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, t->amount);
        sqlite3_bind_int64(st, 6, t->price);
        sqlite3_bind_int64(st, 7, t->total);
        if (run_stmt(db, st, "cannot store a trade", err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < ctx->pf.n; i++) {
        sqlite3_stmt *st = db_stmt(db, SQL_INSERT_HOLDING, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, ctx->pf.h[i].symbol, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, ctx->pf.h[i].shares);
        if (run_stmt(db, st, "cannot store a holding", err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int insert_reasoning(struct db *db, const struct tools_ctx *ctx, sqlite3_int64 id, char *err,
                            size_t errlen)
{
    for (size_t i = 0; i < ctx->nmsgs; i++) {
        const struct tools_message *m = &ctx->msgs[i];
        sqlite3_stmt *st = db_stmt(db, SQL_INSERT_MESSAGE, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, m->step);
        sqlite3_bind_text(st, 3, m->role, -1, SQLITE_STATIC);
        bind_opt_text(st, 4, m->content);
        bind_opt_text(st, 5, m->tool_name);
        bind_opt_text(st, 6, m->tool_call_id);
        bind_opt_text(st, 7, m->message_json);
        sqlite3_bind_text(st, 8, m->timestamp, -1, SQLITE_STATIC);
        if (run_stmt(db, st, "cannot store a reasoning message", err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < tools_count(); i++) {
        const struct tools_stat *s = &ctx->stats[i];
        if (s->calls == 0)
            continue;
        sqlite3_stmt *st = db_stmt(db, SQL_INSERT_USAGE, err, errlen);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, tools_name(i), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, s->calls);
        sqlite3_bind_int64(st, 4, s->errors);
        sqlite3_bind_double(st, 5, s->total_ms);
        if (run_stmt(db, st, "cannot store tool usage", err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* The one transaction of a completed day. */
static int commit_day(struct db *db, const struct modelday_spec *spec, const struct tools_ctx *ctx,
                      const struct daily_pnl *pnl, const char *log_file, double duration, char *err,
                      size_t errlen)
{
    sqlite3_int64 id;
    if (db_begin_immediate(db, err, errlen) != 0)
        return -1;
    if (check_not_done(db, spec, err, errlen) != 0 ||
        insert_position(db, spec, ctx, pnl, log_file, &id, err, errlen) != 0 ||
        insert_trades_holdings(db, ctx, id, err, errlen) != 0 ||
        insert_reasoning(db, ctx, id, err, errlen) != 0 ||
        jobs_day_complete(db, spec->job_id, spec->date, spec->model->signature, duration, err,
                          errlen) != 0) {
        db_rollback(db);
        return -1;
    }
    return db_commit(db, err, errlen);
}

/* Decides and values the day, then commits it. -1 with err on failure. */
static int run_day(struct db *db, const struct modelday_spec *spec, double t0, char *err,
                   size_t errlen)
{
    const struct modelday_provider *prov =
        modelday_provider(config_provider_name(spec->model->provider));
    struct tools_ctx ctx;
    struct portfolio start;
    struct daily_pnl pnl;
    struct valuer val = {.db = db, .date = spec->date};
    char log_file[PATH_MAX];
    money_t prev, value;
    int rc = -1, f;
    if (!prov)
        return err_set(err, errlen, "provider %s is not available in this build",
                       config_provider_name(spec->model->provider));
    if (check_not_done(db, spec, err, errlen) != 0 ||
        load_state(db, spec, &start, &prev, err, errlen) != 0)
        return -1;
    f = tools_ctx_init(&ctx, db, spec->model->signature, spec->date, &start,
                       spec->cfg->symbols_default ? NULL
                                                  : (const char(*)[SYMBOL_MAX])spec->cfg->symbols,
                       spec->cfg->nsymbols, err, errlen);
    portfolio_free(&start);
    if (f != 0)
        return -1;
    ctx.cancel = spec->cancel;
    /* A decider that finished is committed even during shutdown: that is
     * quick, and a cancelled one fails here and is abandoned. */
    if (prov->decide(&ctx, spec, err, errlen) != 0)
        goto out;
    if (portfolio_value(&ctx.pf, close_of, &val, &value, err, errlen) != 0) {
        if (val.failed)
            err_set(err, errlen, "%s", val.err);
        goto out;
    }
    portfolio_pnl(value, prev, &pnl);
    f = agentfiles_log_file_path(spec->home, spec->cfg, spec->model->signature, spec->date,
                                 log_file, sizeof(log_file), err, errlen);
    if (f < 0)
        goto out;
    rc = commit_day(db, spec, &ctx, &pnl, f ? log_file : NULL, time_monotonic() - t0, err, errlen);
out:
    tools_ctx_free(&ctx);
    return rc;
}

enum modelday_result modelday_run(struct db *db, const struct modelday_spec *spec, char *err,
                                  size_t errlen)
{
    const char *model = spec->model->signature;
    char ferr[ERRBUF_SIZE];
    double t0 = time_monotonic();
    if (jobs_day_start(db, spec->job_id, spec->date, model, err, errlen) != 0) {
        log_emit(LOG_LEVEL_ERROR, LOGGER, spec->job_id, spec->date, model,
                 "cannot start model-day: %s", err);
        return MODELDAY_FAILED;
    }
    log_emit(LOG_LEVEL_INFO, LOGGER, spec->job_id, spec->date, model, "model-day started");
    if (run_day(db, spec, t0, err, errlen) != 0) {
        if (spec->cancel && atomic_load(spec->cancel)) {
            log_emit(LOG_LEVEL_WARNING, LOGGER, spec->job_id, spec->date, model,
                     "model-day abandoned at shutdown");
            return MODELDAY_ABANDONED;
        }
        log_emit(LOG_LEVEL_ERROR, LOGGER, spec->job_id, spec->date, model, "model-day failed: %s",
                 err);
        if (jobs_day_fail(db, spec->job_id, spec->date, model, err, time_monotonic() - t0, ferr,
                          sizeof(ferr)) != 0)
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
