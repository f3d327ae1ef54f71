/* jobplan: see jobplan.h. */
#include "service/jobplan.h"

#include "service/daystore.h"
#include "base/errbuf.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTED_MAX 10 /* offending dates named in one message */

static int cmp_date(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static bool datelist_has(const struct datelist *l, const char *date)
{
    return l->n && bsearch(date, l->d, l->n, sizeof(*l->d), cmp_date) != NULL;
}

void jobplan_free(struct jobplan *p)
{
    if (!p)
        return;
    free(p->days);
    datelist_free(&p->dates);
    free(p->models);
    memset(p, 0, sizeof(*p));
}

/* What planning knows about one model of the config. */
struct model_state {
    bool selected, used;
    char last[DATE_BUF];  /* last completed date outside active jobs, "" = none */
    struct datelist done; /* completed dates among the candidates (when skipping) */
};

static int select_models(const struct config *cfg, const struct jobreq *req, struct model_state *ms,
                         enum jobreq_fail *why, char *err, size_t errlen)
{
    char e[ERR_ECHO_BUF];
    size_t nsel = 0;
    for (size_t i = 0; i < req->nmodels; i++) {
        const struct config_model *m = config_find_model(cfg, req->models[i]);
        if (!m)
            return JOBREQ_REFUSE(
                JOBREQ_FAIL_REQUEST,
                "unknown model \"%s\": the config has no model with that signature",
                err_echo(req->models[i], e));
        ms[m - cfg->models].selected = true;
        nsel++;
    }
    for (size_t i = 0; !req->models && i < cfg->nmodels; i++) {
        ms[i].selected = cfg->models[i].enabled;
        nsel += ms[i].selected;
    }
    if (nsel == 0)
        return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST,
                             "the config enables no model; name the models to run in \"models\"");
    return 0;
}

/* Appends to msg (of size n) ", date", or "..." once it is full. */
static void list_date(char *msg, size_t n, size_t *count, const char *date)
{
    size_t len = strlen(msg);
    if (*count < LISTED_MAX)
        snprintf(msg + len, n - len, "%s%s", *count ? ", " : "", date);
    else if (*count == LISTED_MAX)
        snprintf(msg + len, n - len, ", ...");
    (*count)++;
}

/* An explicit date_range: every date after init_date, not in the future and
 * a trading day. */
static int check_listed(struct db *db, const struct config *cfg, const struct jobreq *req,
                        const char *today, struct datelist *cand, enum jobreq_fail *why, char *err,
                        size_t errlen)
{
    const struct datelist *l = &req->dates;
    char bad[LISTED_MAX * (DATE_LEN + 2) + 8] = "";
    size_t nbad = 0;
    if (strcmp(l->d[l->n - 1], today) > 0)
        return JOBREQ_REFUSE(JOBREQ_FAIL_DATE, "date %s is in the future (today is %s)",
                             l->d[l->n - 1], today);
    if (strcmp(l->d[0], cfg->init_date) <= 0)
        return JOBREQ_REFUSE(
            JOBREQ_FAIL_DATE,
            "date %s is not after the config's init_date %s, which is never traded", l->d[0],
            cfg->init_date);
    if (prices_trading_days(db, l->d[0], l->d[l->n - 1], cand, err, errlen) != 0)
        return -1; /* *why is still JOBREQ_FAIL_INTERNAL */
    for (size_t i = 0; i < l->n; i++)
        if (!datelist_has(cand, l->d[i]))
            list_date(bad, sizeof(bad), &nbad, l->d[i]);
    if (nbad == 1)
        return JOBREQ_REFUSE(JOBREQ_FAIL_DATE,
                             "not a trading day (a weekend, or no prices in the store): %s", bad);
    if (nbad)
        return JOBREQ_REFUSE(
            JOBREQ_FAIL_DATE,
            "%zu dates are not trading days (weekends, or no prices in the store): %s", nbad, bad);
    cand->n = 0;
    for (size_t i = 0; i < l->n; i++)
        datelist_push(cand, l->d[i]); /* a checked date: cannot fail */
    return 0;
}

/* The dates a request may run on, before looking at what is done. */
static int candidate_dates(struct db *db, const struct config *cfg, const struct jobreq *req,
                           const char *today, struct datelist *cand, enum jobreq_fail *why,
                           char *err, size_t errlen)
{
    bool catch_up = !req->start[0] && !req->end[0];
    const char *end = req->end[0] ? req->end : today;
    char first[DATE_BUF];
    if (req->has_dates)
        return check_listed(db, cfg, req, today, cand, why, err, errlen);
    if (catch_up && strcmp(today, cfg->init_date) <= 0)
        return JOBREQ_REFUSE(
            JOBREQ_FAIL_REQUEST,
            "the config's init_date %s is not before today (%s): nothing to simulate yet",
            cfg->init_date, today);
    /* The config's end_date bounds only a catch-up: dates a request names
     * may go past it. */
    if (catch_up && cfg->end_date[0] && strcmp(cfg->end_date, today) < 0) {
        if (strcmp(cfg->end_date, cfg->init_date) <= 0)
            return JOBREQ_REFUSE(
                JOBREQ_FAIL_REQUEST,
                "the config's end_date %s is its init_date, which is never traded: "
                "nothing to simulate",
                cfg->end_date);
        end = cfg->end_date;
    }
    if (strcmp(end, today) > 0)
        return JOBREQ_REFUSE(JOBREQ_FAIL_DATE, "end_date %s is in the future (today is %s)", end,
                             today);
    if (req->start[0] && strcmp(req->start, today) > 0)
        return JOBREQ_REFUSE(JOBREQ_FAIL_DATE, "start_date %s is in the future (today is %s)",
                             req->start, today);
    if (strcmp(req->start[0] ? req->start : end, cfg->init_date) <= 0)
        return JOBREQ_REFUSE(JOBREQ_FAIL_DATE,
                             "%s %s is not after the config's init_date %s, which is never traded",
                             req->start[0] ? "start_date" : "end_date",
                             req->start[0] ? req->start : end, cfg->init_date);
    if (req->start[0]) {
        if (prices_trading_days(db, req->start, end, cand, err, errlen) != 0)
            return -1; /* *why is still JOBREQ_FAIL_INTERNAL */
        if (cand->n == 0)
            return JOBREQ_REFUSE(JOBREQ_FAIL_DATE,
                                 "no trading days between %s and %s in the price store", req->start,
                                 end);
        return 0;
    }
    /* Catch-up: every trading day after init_date up to end. */
    enum prices_found f = prices_next_trading_day(db, cfg->init_date, first, err, errlen);
    if (f == PRICES_ERROR)
        return -1; /* *why is still JOBREQ_FAIL_INTERNAL */
    if (f == PRICES_MISSING)
        return JOBREQ_REFUSE(
            JOBREQ_FAIL_REQUEST,
            "the price store has no trading day after init_date %s; import prices first",
            cfg->init_date);
    if (strcmp(first, end) <= 0 && prices_trading_days(db, first, end, cand, err, errlen) != 0)
        return -1; /* *why is still JOBREQ_FAIL_INTERNAL */
    return 0;
}

/* Fills ms[i].last and, when completed days are to be skipped, ms[i].done. */
static int load_done(struct db *db, const struct config *cfg, const struct jobreq *req,
                     const char *active_jobs, const struct datelist *cand, struct model_state *ms,
                     char *err, size_t errlen)
{
    bool skip = req->has_dates || req->start[0] ? !req->replace_existing : false;
    for (size_t i = 0; i < cfg->nmodels; i++) {
        const char *sig = cfg->models[i].signature;
        if (!ms[i].selected)
            continue;
        if (daystore_last_date_except(db, sig, active_jobs, ms[i].last, err, errlen) != 0)
            return -1;
        if (skip && cand->n > 0 &&
            daystore_dates_except(db, sig, cand->d[0], cand->d[cand->n - 1], active_jobs,
                                  &ms[i].done, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static bool wanted(const struct config *cfg, const struct jobreq *req, const struct model_state *m,
                   const char *date)
{
    if (req->has_dates || req->start[0])
        return req->replace_existing || !datelist_has(&m->done, date);
    /* catch-up: after the model's last completed day, never on init_date */
    const char *from = strcmp(m->last, cfg->init_date) > 0 ? m->last : cfg->init_date;
    return strcmp(date, from) > 0;
}

static void plan_push(struct jobplan *p, const char *date, const char *model)
{
    ARRAY_RESERVE(p->days, p->cap, p->ndays + 1);
    struct jobplan_day *d = &p->days[p->ndays++];
    memcpy(d->date, date, DATE_BUF);
    snprintf(d->model, sizeof(d->model), "%s", model);
}

/* When nothing is left: the date all selected models have reached and the
 * trading day after it (the next weekday when the store has none yet). */
static int plan_reached(struct db *db, const struct config *cfg, const struct model_state *ms,
                        struct jobplan *p, char *err, size_t errlen)
{
    char next[DATE_BUF];
    bool all = true;
    for (size_t i = 0; i < cfg->nmodels; i++) {
        if (!ms[i].selected)
            continue;
        if (!ms[i].last[0])
            all = false;
        else if (!p->last_date[0] || strcmp(ms[i].last, p->last_date) < 0)
            memcpy(p->last_date, ms[i].last, DATE_BUF);
    }
    if (!all)
        p->last_date[0] = '\0';
    const char *base = p->last_date[0] ? p->last_date : cfg->init_date;
    enum prices_found f = prices_next_trading_day(db, base, next, err, errlen);
    if (f == PRICES_ERROR)
        return -1;
    if (f == PRICES_MISSING) {
        memcpy(next, base, DATE_BUF);
        do
            date_add_days(next, 1, next);
        while (!date_is_weekday(next));
    }
    memcpy(p->next_day, next, DATE_BUF);
    return 0;
}

int jobplan_build(struct db *db, const struct config *cfg, const struct jobreq *req,
                  const char *today, const char *active_jobs, struct jobplan *out,
                  enum jobreq_fail *why, char *err, size_t errlen)
{
    struct jobplan p = {0};
    struct datelist cand = {0};
    struct model_state *ms = mem_calloc(cfg->nmodels, sizeof(*ms));
    int rc = -1;
    *why = JOBREQ_FAIL_INTERNAL;
    if (select_models(cfg, req, ms, why, err, errlen) != 0 ||
        candidate_dates(db, cfg, req, today, &cand, why, err, errlen) != 0)
        goto out;
    *why = JOBREQ_FAIL_INTERNAL;
    if (load_done(db, cfg, req, active_jobs, &cand, ms, err, errlen) != 0)
        goto out;
    for (size_t d = 0; d < cand.n; d++) {
        size_t before = p.ndays;
        for (size_t i = 0; i < cfg->nmodels; i++) {
            if (!ms[i].selected || !wanted(cfg, req, &ms[i], cand.d[d]))
                continue;
            plan_push(&p, cand.d[d], cfg->models[i].signature);
            ms[i].used = true;
        }
        if (p.ndays > before)
            datelist_push(&p.dates, cand.d[d]); /* a date of the list: cannot fail */
    }
    p.models = mem_calloc(cfg->nmodels, sizeof(*p.models));
    for (size_t i = 0; i < cfg->nmodels; i++)
        if (ms[i].used)
            memcpy(p.models[p.nmodels++], cfg->models[i].signature, CONFIG_SIGNATURE_MAX);
    if (p.ndays == 0 && plan_reached(db, cfg, ms, &p, err, errlen) != 0)
        goto out;
    *out = p;
    memset(&p, 0, sizeof(p));
    rc = 0;
out:
    for (size_t i = 0; i < cfg->nmodels; i++)
        datelist_free(&ms[i].done);
    free(ms);
    datelist_free(&cand);
    jobplan_free(&p);
    return rc;
}
