/* aiimport: see aiimport.h. Every file is parsed completely before the
 * database is touched; then the whole job is written in one transaction. */
#include "aitrader/aiimport.h"

#include "service/audit.h"
#include "service/daystore.h"
#include "service/jobs.h"
#include "store/dataver.h"
#include "base/dates.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/redact.h"
#include "market/prices.h"
#include "market/splits.h"
#include "market/universe.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FINISH_SIGNAL "<FINISH_SIGNAL>"

/* ---- import: the position files ------------------------------------------- */

/* A split line (written by this service) is a state to compare with, like
 * no_trade: the replay applies the store's splits itself. */
enum act { ACT_INIT, ACT_BUY, ACT_SELL, ACT_NO_TRADE, ACT_SPLIT };

static const char *const act_names[] = {"init", "buy", "sell", "no_trade", "split"};

/* One position.jsonl line. */
struct rec {
    int line;
    long long id;
    char date[DATE_BUF];
    enum act act;
    char symbol[SYMBOL_MAX];
    int64_t amount;
    struct portfolio file; /* the positions the line records */
};

struct model {
    char sig[AITRADER_SIGNATURE_MAX];
    char path[PATH_MAX]; /* its position.jsonl */
    struct rec *recs;    /* recs[0] is the initial line */
    size_t n, cap;
};

/* A growable list of strings, each the list's own. */
struct strlist {
    char **v;
    size_t n, cap;
};

static void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static void strlist_add(struct strlist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void strlist_add(struct strlist *l, const char *fmt, ...)
{
    char *s;
    va_list ap;
    ARRAY_RESERVE(l->v, l->cap, l->n + 1);
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        mem_fatal(0);
    l->v[l->n++] = s;
}

static void model_free(struct model *m)
{
    for (size_t i = 0; i < m->n; i++)
        portfolio_free(&m->recs[i].file);
    free(m->recs);
    m->recs = NULL;
    m->n = m->cap = 0;
}

/* The "positions" object: whole non-negative shares per symbol and CASH. */
static int parse_positions(json_object *pos, struct portfolio *out, const char *path, int line,
                           char *err, size_t errlen)
{
    int have_cash = 0;
    portfolio_init(out, 0);
    if (!json_object_is_type(pos, json_type_object))
        return err_set(err, errlen, "%s:%d: no \"positions\" object", path, line);
    json_object_object_foreach(pos, key, val)
    {
        int64_t shares;
        if (strcmp(key, "CASH") == 0) {
            if (!(json_object_is_type(val, json_type_double) ||
                  json_object_is_type(val, json_type_int)) ||
                money_from_double(json_object_get_double(val), &out->cash) != 0)
                return err_set(err, errlen, "%s:%d: CASH is not a number", path, line);
            have_cash = 1;
            continue;
        }
        if (!symbol_valid(key))
            return err_set(err, errlen, "%s:%d: bad symbol \"%.32s\" in positions", path, line,
                           key);
        if (aitrader_json_whole(val, &shares) != 0)
            return err_set(err, errlen, "%s:%d: %s shares are not a whole number", path, line, key);
        if (shares < 0)
            return err_set(err, errlen, "%s:%d: negative shares of %s", path, line, key);
        portfolio_set(out, key, shares); /* a ticker and shares >= 0: it cannot fail */
    }
    if (!have_cash)
        return err_set(err, errlen, "%s:%d: positions have no CASH", path, line);
    return 0;
}

/* "this_action" of a line after the first. */
static int parse_action(json_object *a, struct rec *r, const char *path, char *err, size_t errlen)
{
    const char *name = jsontext_string(a, "action"), *symbol;
    if (!name)
        return err_set(err, errlen, "%s:%d: no \"this_action\" with an action", path, r->line);
    if (strcmp(name, "buy") == 0)
        r->act = ACT_BUY;
    else if (strcmp(name, "sell") == 0)
        r->act = ACT_SELL;
    else if (strcmp(name, "no_trade") == 0)
        r->act = ACT_NO_TRADE;
    else if (strcmp(name, "split") == 0)
        r->act = ACT_SPLIT;
    else
        return err_set(err, errlen, "%s:%d: unknown action \"%.32s\"", path, r->line, name);
    if (r->act == ACT_NO_TRADE || r->act == ACT_SPLIT)
        return 0;
    symbol = jsontext_string(a, "symbol");
    if (!symbol || !symbol_valid(symbol))
        return err_set(err, errlen, "%s:%d: bad symbol in this_action", path, r->line);
    snprintf(r->symbol, sizeof(r->symbol), "%s", symbol);
    if (aitrader_json_whole(json_object_object_get(a, "amount"), &r->amount) != 0)
        return err_set(err, errlen, "%s:%d: amount is not a whole number", path, r->line);
    if (r->amount < 0)
        return err_set(err, errlen, "%s:%d: negative amount %" PRId64, path, r->line, r->amount);
    return 0;
}

static int parse_rec(json_object *o, struct rec *r, const struct rec *prev, const char *path,
                     char *err, size_t errlen)
{
    json_object *action;
    const char *date = jsontext_string(o, "date");
    int64_t id;
    if (!date || !date_valid(date))
        return err_set(err, errlen, "%s:%d: no valid \"date\"", path, r->line);
    snprintf(r->date, sizeof(r->date), "%s", date);
    if (aitrader_json_whole(json_object_object_get(o, "id"), &id) != 0)
        return err_set(err, errlen, "%s:%d: no integer \"id\"", path, r->line);
    r->id = id;
    int has_action = json_object_object_get_ex(o, "this_action", &action);
    if (!prev) {
        if (has_action)
            return err_set(err, errlen,
                           "%s:%d: the first line must be the initial state (no this_action)", path,
                           r->line);
        r->act = ACT_INIT;
    } else {
        if (parse_action(action, r, path, err, errlen) != 0)
            return -1;
        if (strcmp(r->date, prev->date) < 0)
            return err_set(err, errlen, "%s:%d: dates out of order (%s after %s)", path, r->line,
                           r->date, prev->date);
        if (prev->act == ACT_INIT && strcmp(r->date, prev->date) == 0)
            return err_set(err, errlen, "%s:%d: %s is the initial date, which is never traded",
                           path, r->line, r->date);
    }
    if (parse_positions(json_object_object_get(o, "positions"), &r->file, path, r->line, err,
                        errlen) != 0)
        return -1;
    if (!prev && r->file.cash < 0)
        return err_set(err, errlen, "%s:%d: negative initial CASH", path, r->line);
    return 0;
}

static int load_model(struct model *m, char *err, size_t errlen)
{
    struct aitrader_jsonl r;
    json_object *o;
    enum aitrader_got got = aitrader_jsonl_open(&r, m->path, err, errlen);
    int rc = 0;
    if (got == AITRADER_NONE)
        return err_set(err, errlen, "%s does not exist", m->path);
    if (got == AITRADER_ERROR)
        return -1;
    while ((got = aitrader_jsonl_next(&r, &o, err, errlen)) == AITRADER_GOT) {
        ARRAY_RESERVE(m->recs, m->cap, m->n + 1);
        struct rec *rec = &m->recs[m->n];
        memset(rec, 0, sizeof(*rec));
        rec->line = r.lineno;
        m->n++; /* counted now so model_free releases its positions */
        rc = parse_rec(o, rec, m->n > 1 ? &m->recs[m->n - 2] : NULL, m->path, err, errlen);
        json_object_put(o);
        if (rc != 0)
            break;
    }
    aitrader_jsonl_close(&r);
    if (rc != 0 || got == AITRADER_ERROR)
        return -1;
    if (m->n == 0)
        return err_set(err, errlen, "%s is empty", m->path);
    return 0;
}

static int cmp_model(const void *a, const void *b)
{
    return strcmp(((const struct model *)a)->sig, ((const struct model *)b)->sig);
}

static int add_model(struct model **ms, size_t *n, size_t *cap, const char *dir, const char *sig,
                     char *err, size_t errlen)
{
    ARRAY_RESERVE(*ms, *cap, *n + 1);
    struct model *m = &(*ms)[*n];
    memset(m, 0, sizeof(*m));
    snprintf(m->sig, sizeof(m->sig), "%s", sig);
    if (aitrader_position_path(dir, sig, m->path, sizeof(m->path), err, errlen) != 0)
        return -1;
    (*n)++;
    return 0;
}

/* The signatures to import: the given ones, or every directory of dir that
 * holds a position file. Sorted, no duplicates. */
static int find_models(const char *dir, const char *const *names, size_t nnames, struct model **ms,
                       size_t *n, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat sb;
    size_t cap = 0;
    if (nnames > 0) {
        for (size_t i = 0; i < nnames; i++) {
            if (!aitrader_signature_valid(names[i]))
                return err_set(err, errlen, "invalid signature \"%.64s\"", names[i]);
            if (add_model(ms, n, &cap, dir, names[i], err, errlen) != 0)
                return -1;
            if (stat((*ms)[*n - 1].path, &sb) != 0)
                return err_set(err, errlen, "%s: no position file for %s", (*ms)[*n - 1].path,
                               names[i]);
        }
    } else {
        DIR *d = opendir(dir);
        struct dirent *e;
        if (!d)
            return err_set(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (aitrader_join(path, sizeof(path), err, errlen, "%s/%s/position/position.jsonl", dir,
                              e->d_name) != 0) {
                closedir(d);
                return -1;
            }
            if (stat(path, &sb) != 0)
                continue; /* not a signature directory */
            int rc = aitrader_signature_valid(e->d_name)
                         ? add_model(ms, n, &cap, dir, e->d_name, err, errlen)
                         : err_set(err, errlen,
                                   "%s/%s: not a valid signature (letters, digits, '.', '_', '-')",
                                   dir, e->d_name);
            if (rc != 0) {
                closedir(d);
                return -1;
            }
        }
        closedir(d);
        if (*n == 0)
            return err_set(err, errlen,
                           "no AI-Trader signatures in %s (expected SIGNATURE/position/"
                           "position.jsonl)",
                           dir);
    }
    qsort(*ms, *n, sizeof(**ms), cmp_model);
    for (size_t i = 1; i < *n; i++)
        if (strcmp((*ms)[i - 1].sig, (*ms)[i].sig) == 0)
            return err_set(err, errlen, "%s is listed twice", (*ms)[i].sig);
    return 0;
}

/* ---- import: the day's log ------------------------------------------------ */

struct logmsg {
    json_object *msg; /* a reference of ours */
    int step;
    char timestamp[40];
    const char *tool_name; /* points into msg or a tool_call of the day */
};

struct tool {
    char *name;
    long calls, errors;
};

struct daylog {
    int present;
    char path[PATH_MAX];
    struct logmsg *m;
    size_t n, cap;
    int steps, stop;
    const char *summary; /* the last assistant content, inside m[] */
    struct tool *tools;
    size_t ntools, tools_cap;
};

static void daylog_free(struct daylog *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_object_put(l->m[i].msg);
    for (size_t i = 0; i < l->ntools; i++)
        free(l->tools[i].name);
    free(l->m);
    free(l->tools);
    memset(l, 0, sizeof(*l));
}

static struct tool *tool_get(struct daylog *l, const char *name)
{
    for (size_t i = 0; i < l->ntools; i++)
        if (strcmp(l->tools[i].name, name) == 0)
            return &l->tools[i];
    ARRAY_RESERVE(l->tools, l->tools_cap, l->ntools + 1);
    struct tool *t = &l->tools[l->ntools];
    t->name = mem_strdup(name);
    t->calls = t->errors = 0;
    l->ntools++;
    return t;
}

/* A message's tool_calls (0 when it has none or they are not a list). */
static size_t tool_calls(json_object *msg, json_object **calls)
{
    *calls = json_object_object_get(msg, "tool_calls");
    return json_object_is_type(*calls, json_type_array) ? json_object_array_length(*calls) : 0;
}

/* The name of the tool call with this id among the day's assistant messages. */
static const char *call_name(const struct daylog *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++) {
        json_object *calls;
        size_t n = tool_calls(l->m[i].msg, &calls);
        for (size_t k = 0; k < n; k++) {
            json_object *c = json_object_array_get_idx(calls, k);
            const char *cid = jsontext_string(c, "id");
            if (cid && id && strcmp(cid, id) == 0)
                return jsontext_string(json_object_object_get(c, "function"), "name");
        }
    }
    return NULL;
}

/* AI-Trader's tools answer a refusal with a JSON object holding "error". */
static int is_error_result(const char *content)
{
    int e = 0;
    if (!content || content[0] != '{')
        return 0;
    json_object *o = json_tokener_parse(content);
    e = json_object_is_type(o, json_type_object) && json_object_object_get(o, "error");
    json_object_put(o);
    return e;
}

/* Counts one message's tool use: an assistant's tool_calls are calls; a tool
 * message is the answer to one of them (an error when it says so), or a call
 * of its own when the log holds no matching call. */
static void count_tools(struct daylog *l, struct logmsg *lm)
{
    json_object *msg = lm->msg;
    const char *role = jsontext_string(msg, "role");
    struct tool *t;
    if (strcmp(role, "assistant") == 0) {
        json_object *calls;
        size_t n = tool_calls(msg, &calls);
        for (size_t k = 0; k < n; k++) {
            const char *name = jsontext_string(
                json_object_object_get(json_object_array_get_idx(calls, k), "function"), "name");
            if (!name)
                continue;
            tool_get(l, name)->calls++;
        }
        return;
    }
    if (strcmp(role, "tool") != 0)
        return;
    const char *name = call_name(l, jsontext_string(msg, "tool_call_id"));
    int answered = name != NULL;
    if (!name)
        name = jsontext_string(msg, "name");
    lm->tool_name = name;
    if (!name)
        return;
    t = tool_get(l, name);
    if (!answered)
        t->calls++;
    if (is_error_result(jsontext_string(msg, "content")))
        t->errors++;
    return;
}

static int add_message(struct daylog *l, json_object *msg, const char *ts, int line, char *err,
                       size_t errlen)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    const char *role = jsontext_string(msg, "role");
    size_t r = 0;
    while (role && r < 4 && strcmp(role, roles[r]) != 0)
        r++;
    if (!json_object_is_type(msg, json_type_object) || !role || r == 4)
        return err_set(err, errlen, "%s:%d: a message without a known role", l->path, line);
    ARRAY_RESERVE(l->m, l->cap, l->n + 1);
    struct logmsg *lm = &l->m[l->n];
    memset(lm, 0, sizeof(*lm));
    lm->msg = json_object_get(msg);
    l->n++;
    /* A step is one completion: it starts at an assistant message. */
    if (r == 2) {
        const char *content = jsontext_string(msg, "content");
        l->steps++;
        if (content) {
            l->summary = content;
            if (strstr(content, FINISH_SIGNAL))
                l->stop = 1;
        }
    }
    lm->step = l->steps;
    snprintf(lm->timestamp, sizeof(lm->timestamp), "%s", ts);
    count_tools(l, lm);
    return 0;
}

/* Reads the day's log.jsonl when there is one. */
static int load_daylog(struct daylog *l, const char *dir, const char *sig, const char *date,
                       const char *now, struct strlist *warnings, char *err, size_t errlen)
{
    struct aitrader_jsonl r;
    json_object *o;
    enum aitrader_got got;
    int rc = 0;
    memset(l, 0, sizeof(*l));
    if (aitrader_log_path(dir, sig, date, l->path, sizeof(l->path), err, errlen) != 0)
        return -1;
    if ((got = aitrader_jsonl_open(&r, l->path, err, errlen)) != AITRADER_GOT)
        return got == AITRADER_ERROR ? -1 : 0;
    l->present = 1;
    while (rc == 0 && (got = aitrader_jsonl_next(&r, &o, err, errlen)) == AITRADER_GOT) {
        json_object *msgs = json_object_object_get(o, "new_messages");
        const char *lsig = jsontext_string(o, "signature");
        const char *ts = jsontext_string(o, "timestamp");
        if (lsig && strcmp(lsig, sig) != 0)
            strlist_add(warnings,
                        "%s:%d: signature \"%.64s\" is not %s; the line's messages are not "
                        "imported",
                        l->path, r.lineno, lsig, sig);
        else if (json_object_is_type(msgs, json_type_array))
            for (size_t i = 0; rc == 0 && i < json_object_array_length(msgs); i++)
                rc = add_message(l, json_object_array_get_idx(msgs, i), ts ? ts : now, r.lineno,
                                 err, errlen);
        else if (msgs)
            rc = add_message(l, msgs, ts ? ts : now, r.lineno, err, errlen);
        else
            rc = err_set(err, errlen, "%s:%d: no \"new_messages\"", l->path, r.lineno);
        json_object_put(o);
    }
    aitrader_jsonl_close(&r);
    return rc < 0 || got == AITRADER_ERROR ? -1 : 0;
}

/* ---- import: replay and store --------------------------------------------- */

_Static_assert(AITRADER_JOB_ID_BUF == JOB_ID_BUF, "an imported job's id is a jobs_new_id");

/* Everything one import shares. */
struct importer {
    struct db *db;
    const char *dir; /* realpath of the agent data directory */
    char job_id[AITRADER_JOB_ID_BUF];
    char now[TIMESTAMP_BUF];
    struct strlist warnings;
    size_t model_days, trades;
    char *err;
    size_t errlen;
};

/* Refuses models an active job is simulating, and models that already have
 * results from their first imported date on (deleting them when replace). */
static int check_existing(struct importer *im, const struct model *m, int replace)
{
    char active[JOB_ID_BUF], from[DATE_BUF];
    const char *first = m->recs[1].date;
    long long count;
    enum jobs_found found = jobs_active_on(im->db, m->sig, active, im->err, im->errlen);
    if (found == JOBS_ERROR)
        return -1;
    if (found == JOBS_FOUND)
        return err_set(im->err, im->errlen, "job %s is simulating %s; import when it has finished",
                       active, m->sig);
    if (daystore_count_from(im->db, m->sig, first, &count, from, im->err, im->errlen) != 0)
        return -1;
    if (count == 0)
        return 0;
    if (!replace)
        return err_set(im->err, im->errlen,
                       "%s already has results for %lld model-day(s) from %s on; use replace "
                       "(--replace) to replace them",
                       m->sig, count, from);
    if (daystore_delete_from(im->db, m->sig, first, NULL, NULL, im->err, im->errlen) != 0)
        return -1;
    strlist_add(&im->warnings, "%s: replaced %lld existing model-day(s) from %s on", m->sig, count,
                from);
    return 0;
}

/* "CASH 977.005 in the file, 977.0 replayed; AAPL 10 in the file, 9 replayed" */
static void describe_diff(const struct portfolio *f, const struct portfolio *r, char *buf, size_t n)
{
    size_t len = 0;
    char a[MONEY_FMT_MAX], b[MONEY_FMT_MAX];
    buf[0] = '\0';
    if (f->cash != r->cash) {
        money_format(f->cash, a, sizeof(a));
        money_format(r->cash, b, sizeof(b));
        len += (size_t)snprintf(buf, n, "CASH %s in the file, %s replayed", a, b);
    }
    const struct portfolio *sides[] = {f, r};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sides[s]->n && len < n; i++) {
            const char *sym = sides[s]->h[i].symbol;
            int64_t fs = portfolio_shares(f, sym), rs = portfolio_shares(r, sym);
            /* A symbol both hold is listed once, from the file's side. */
            if (fs == rs || (s == 1 && fs != 0))
                continue;
            len += (size_t)snprintf(buf + len, n - len,
                                    "%s%s %" PRId64 " in the file, %" PRId64 " replayed",
                                    len ? "; " : "", sym, fs, rs);
        }
    }
}

/* Whether f1 - r1 == f2 - r2, cash and every symbol. */
static bool same_diff(const struct portfolio *f1, const struct portfolio *r1,
                      const struct portfolio *f2, const struct portfolio *r2)
{
    money_t d1, d2;
    if (__builtin_sub_overflow(f1->cash, r1->cash, &d1) ||
        __builtin_sub_overflow(f2->cash, r2->cash, &d2) || d1 != d2)
        return false;
    const struct portfolio *all[] = {f1, r1, f2, r2};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < all[k]->n; i++) {
            const char *s = all[k]->h[i].symbol;
            if (portfolio_shares(f1, s) - portfolio_shares(r1, s) !=
                portfolio_shares(f2, s) - portfolio_shares(r2, s))
                return false;
        }
    return true;
}

/* Replays one line: the trade at the store's open, then the comparison with
 * the file. A disagreement is reported where it appears; later lines that
 * carry the same difference forward are not reported again. */
static int replay_rec(struct importer *im, const struct model *m, const struct rec *r,
                      struct portfolio *replay, const struct portfolio **prevf,
                      struct portfolio *prevr, struct daystore_trade *fills, size_t *nfills)
{
    char msg[256], diff[1024];
    if (r->act == ACT_BUY || r->act == ACT_SELL) {
        money_t open = 0;
        struct trade_result res;
        if (r->amount > 0) {
            enum prices_found f =
                prices_open(im->db, r->symbol, r->date, &open, im->err, im->errlen);
            if (f == PRICES_ERROR)
                return -1;
            if (f == PRICES_MISSING)
                return err_set(im->err, im->errlen,
                               "no open price for %s on %s (%s:%d): import prices first", r->symbol,
                               r->date, m->path, r->line);
        }
        enum trade_status st = r->act == ACT_BUY
                                   ? portfolio_buy(replay, r->symbol, r->amount, open, NULL, &res)
                                   : portfolio_sell(replay, r->symbol, r->amount, open, NULL, &res);
        if (st == TRADE_OK) {
            fills[*nfills] =
                (struct daystore_trade){(int)*nfills + 1, act_names[r->act], r->symbol, r->amount,
                                        res.price,        res.total,         res.fee};
            (*nfills)++;
        } else {
            strlist_add(&im->warnings,
                        "%s %s: position.jsonl line %d (id %lld): %s %" PRId64
                        " %s is refused by our rules (%s); it is not stored",
                        m->sig, r->date, r->line, r->id, act_names[r->act], r->amount, r->symbol,
                        trade_status_message(st, r->symbol, msg, sizeof(msg)));
        }
    }
    if (!same_diff(&r->file, replay, *prevf, prevr) &&
        !same_diff(&r->file, replay, replay, replay)) {
        describe_diff(&r->file, replay, diff, sizeof(diff));
        strlist_add(&im->warnings,
                    "%s %s: position.jsonl line %d (id %lld) disagrees with the replay at "
                    "the store's open prices: %s; the replayed values are stored (our "
                    "trading rules); later lines carrying the same difference are not "
                    "reported again",
                    m->sig, r->date, r->line, r->id, diff);
    }
    *prevf = &r->file;
    portfolio_free(prevr);
    portfolio_copy(prevr, replay);
    return 0;
}

/* The positions row of a model-day and everything hanging from it. */
/* What one replayed model-day produced. */
struct replayed {
    const struct daystore_trade *fills;
    size_t nfills;
    const struct splits_applied *splits; /* the store's splits applied at its start */
    size_t nsplits;
};

static int insert_day(struct importer *im, const struct model *m, const char *date,
                      const struct portfolio *p, const struct daily_pnl *pnl,
                      const struct daylog *l, const struct replayed *rd)
{
    struct daystore_day day = {
        .job_id = im->job_id,
        .date = date,
        .model = m->sig,
        .cash = p->cash,
        .pnl = *pnl,
        .total_steps = l->steps,
        .stop_signal = l->stop,
        .reasoning_summary = l->summary,
        .log_file_path = l->present ? l->path : NULL,
        .created_at = im->now,
        .trades = rd->fills,
        .ntrades = rd->nfills,
        .holdings = p,
        .splits = rd->splits,
        .nsplits = rd->nsplits,
        .nmessages = l->n,
        .ntools = l->ntools,
    };
    struct daystore_message *msgs = mem_calloc(l->n + 1, sizeof(*msgs));
    struct daystore_tool *tools = mem_calloc(l->ntools + 1, sizeof(*tools));
    for (size_t i = 0; i < l->n; i++) {
        json_object *msg = l->m[i].msg, *content = json_object_object_get(msg, "content");
        struct daystore_message *d = &msgs[i];
        d->step = l->m[i].step;
        d->completion = -1; /* AI-Trader's logs do not say */
        d->role = jsontext_string(msg, "role");
        /* Content that is not text (a list of parts) is kept as its JSON. */
        if (json_object_is_type(content, json_type_string))
            d->content = json_object_get_string(content);
        else if (content)
            d->content = json_object_to_json_string_ext(content, AITRADER_JSON_TEXT);
        d->tool_name = l->m[i].tool_name;
        d->tool_call_id = jsontext_string(msg, "tool_call_id");
        d->message_json = json_object_to_json_string_ext(msg, AITRADER_JSON_TEXT);
        d->timestamp = l->m[i].timestamp;
    }
    for (size_t i = 0; i < l->ntools; i++)
        tools[i] =
            (struct daystore_tool){l->tools[i].name, l->tools[i].calls, l->tools[i].errors, 0};
    day.messages = msgs;
    day.tools = tools;
    int rc = daystore_insert(im->db, &day, NULL, im->err, im->errlen);
    if (rc == 0)
        im->trades += rd->nfills;
    free(msgs);
    free(tools);
    return rc;
}

/* The end of one model-day: value at the close, the positions row and
 * everything hanging from it, and the job_details row. */
static int store_day(struct importer *im, const struct model *m, const char *date,
                     const struct portfolio *p, money_t *prev_value, const struct replayed *d)
{
    struct prices_closes cc = {.db = im->db, .date = date};
    struct daylog log;
    struct daily_pnl pnl;
    money_t value;
    char verr[ERRBUF_SIZE];
    int rc = -1;
    if (portfolio_value(p, prices_closes_lookup, &cc, &value, verr, sizeof(verr)) != 0) {
        if (cc.failed)
            return err_set(im->err, im->errlen, "%s", cc.err);
        return err_set(im->err, im->errlen, "%s: %s on or before %s: import prices first", m->sig,
                       verr, date);
    }
    portfolio_pnl(value, *prev_value, &pnl);
    if (load_daylog(&log, im->dir, m->sig, date, im->now, &im->warnings, im->err, im->errlen) != 0)
        goto out;
    if (insert_day(im, m, date, p, &pnl, &log, d) != 0)
        goto out;
    if (jobs_import_day(im->db, im->job_id, date, m->sig, im->now, im->err, im->errlen) != 0)
        goto out;
    *prev_value = value;
    im->model_days++;
    rc = 0;
out:
    daylog_free(&log);
    return rc;
}

/* A log directory for a date the position file never mentions is not
 * imported; say so. */
static int report_orphan_logs(struct importer *im, const struct model *m)
{
    char path[PATH_MAX];
    struct dirent *e;
    if (aitrader_join(path, sizeof(path), im->err, im->errlen, "%s/%s/log", im->dir, m->sig) != 0)
        return -1;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        size_t i = 1;
        if (!date_valid(e->d_name))
            continue;
        while (i < m->n && strcmp(m->recs[i].date, e->d_name) != 0)
            i++;
        if (i < m->n)
            continue;
        strlist_add(&im->warnings,
                    "%s: log/%s/log.jsonl has no trading day in position.jsonl; not imported",
                    m->sig, e->d_name);
    }
    closedir(d);
    return 0;
}

static int import_model(struct importer *im, const struct model *m, money_t initial_cash)
{
    struct portfolio replay, prevr;
    const struct portfolio *prevf = &m->recs[0].file;
    struct daystore_trade *fills = NULL;
    int rc = -1;
    char a[MONEY_FMT_MAX], b[MONEY_FMT_MAX];
    portfolio_copy(&replay, &m->recs[0].file);
    if (initial_cash >= 0 && initial_cash != replay.cash) {
        money_format(initial_cash, a, sizeof(a));
        money_format(replay.cash, b, sizeof(b));
        strlist_add(&im->warnings,
                    "%s: initial cash %s given, position.jsonl line %d starts with %s; the "
                    "replay starts from %s",
                    m->sig, a, m->recs[0].line, b, a);
        replay.cash = initial_cash;
    }
    money_t prev_value = replay.cash;
    portfolio_copy(&prevr, &replay);
    fills = mem_calloc(m->n, sizeof(*fills));
    for (size_t i = 1; i < m->n;) {
        const char *date = m->recs[i].date, *since = m->recs[i - 1].date;
        struct datelist days = {0};
        struct replayed d = {.fills = fills};
        struct splits_applied *splits = NULL;
        int have = prices_trading_days(im->db, date, date, &days, im->err, im->errlen);
        size_t ndays = days.n;
        datelist_free(&days);
        if (have != 0)
            goto out;
        if (ndays == 0) {
            err_set(im->err, im->errlen,
                    "no prices for %s in the price store (%s:%d): import prices first", date,
                    m->path, m->recs[i].line);
            goto out;
        }
        /* The rules of a model-day: the splits met since the last one first. */
        if (splits_apply(im->db, since, date, &replay, &splits, &d.nsplits, im->err, im->errlen) !=
            0)
            goto out;
        d.splits = splits;
        int bad = 0;
        for (; !bad && i < m->n && strcmp(m->recs[i].date, date) == 0; i++)
            bad = replay_rec(im, m, &m->recs[i], &replay, &prevf, &prevr, fills, &d.nfills) != 0;
        if (!bad)
            bad = store_day(im, m, date, &replay, &prev_value, &d) != 0;
        free(splits);
        if (bad)
            goto out;
    }
    rc = report_orphan_logs(im, m);
out:
    free(fills);
    portfolio_free(&replay);
    portfolio_free(&prevr);
    return rc;
}

static int cmp_date(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The job's date_range (every imported date, sorted, distinct) and models as
 * JSON text. Caller frees both. */
static void job_lists(struct model *ms, size_t nm, char **dates, char **models)
{
    struct datelist all = {0};
    json_object *d = json_new_array(), *s = json_new_array();
    for (size_t k = 0; k < nm; k++) {
        json_push(s, json_object_new_string(ms[k].sig));
        for (size_t i = 1; i < ms[k].n; i++)
            if (all.n == 0 || strcmp(all.d[all.n - 1], ms[k].recs[i].date) != 0)
                datelist_push(&all, ms[k].recs[i].date); /* a valid date: cannot fail */
    }
    qsort(all.d, all.n, sizeof(all.d[0]), cmp_date);
    for (size_t i = 0; i < all.n; i++)
        if (i == 0 || strcmp(all.d[i - 1], all.d[i]) != 0)
            json_push(d, json_object_new_string(all.d[i]));
    *dates = mem_strdup(json_object_to_json_string_ext(d, AITRADER_JSON_TEXT));
    *models = mem_strdup(json_object_to_json_string_ext(s, AITRADER_JSON_TEXT));
    datelist_free(&all);
    json_object_put(d);
    json_object_put(s);
}

static int insert_job(struct importer *im, struct model *ms, size_t nm, int replace)
{
    char *dates, *models;
    job_lists(ms, nm, &dates, &models);
    const struct jobs_import job = {im->job_id, im->dir, dates, models, replace != 0, im->now};
    int rc = jobs_import_create(im->db, &job, im->err, im->errlen);
    free(dates);
    free(models);
    return rc;
}

/* Completes the job row (warnings, duration) and leaves an audit_log row
 * saying what was imported. */
static int finish_job(struct importer *im, double t0)
{
    char done[TIMESTAMP_BUF];
    json_object *w = json_new_array(), *d = json_new_object();
    int rc = -1;
    for (size_t i = 0; i < im->warnings.n; i++) {
        char *clean = redact_dup(im->warnings.v[i]); /* a file may quote a key */
        if (!clean)
            mem_fatal(0);
        json_push(w, json_object_new_string(clean));
        free(clean);
    }
    json_put(d, "directory", json_object_new_string(im->dir));
    json_put(d, "model_days", json_object_new_int64((int64_t)im->model_days));
    json_put(d, "trades", json_object_new_int64((int64_t)im->trades));
    json_put(d, "warnings", json_object_new_int64((int64_t)im->warnings.n));
    time_now_iso(done);
    if (jobs_import_finish(
            im->db, im->job_id, done, time_monotonic() - t0,
            im->warnings.n > 0 ? json_object_to_json_string_ext(w, AITRADER_JSON_TEXT) : NULL,
            im->err, im->errlen) != 0)
        goto out;
    rc = audit_job_event_at(im->db, done, "job_imported", im->job_id,
                            json_object_to_json_string_ext(d, AITRADER_JSON_TEXT), im->err,
                            im->errlen);
out:
    json_object_put(w);
    json_object_put(d);
    return rc;
}

void aiimport_report_free(struct aiimport_report *r)
{
    struct strlist models = {r->models, r->nmodels, r->nmodels};
    struct strlist warnings = {r->warnings, r->nwarnings, r->nwarnings};
    strlist_free(&models);
    strlist_free(&warnings);
    memset(r, 0, sizeof(*r));
}

int aiimport_run(struct db *db, const char *agent_data_dir, const char *const *models,
                 size_t nmodels, money_t initial_cash, int replace, struct aiimport_report *report,
                 char *err, size_t errlen)
{
    char dir[PATH_MAX];
    struct model *ms = NULL;
    size_t nm = 0, ndays = 0;
    struct strlist names = {0};
    struct importer im = {.db = db, .dir = dir, .err = err, .errlen = errlen};
    double t0 = time_monotonic();
    int rc = -1, in_tx = 0;

    if (!realpath(agent_data_dir, dir))
        return err_set(err, errlen, "cannot open %s: %s", agent_data_dir, strerror(errno));
    if (find_models(dir, models, nmodels, &ms, &nm, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < nm; i++) {
        if (load_model(&ms[i], err, errlen) != 0)
            goto out;
        ndays += ms[i].n - 1;
    }
    if (ndays == 0) {
        err_set(err, errlen, "nothing to import: the position files hold only initial states");
        goto out;
    }
    if (jobs_new_id(im.job_id, err, errlen) != 0)
        goto out;
    time_now_iso(im.now);

    if (db_begin_immediate(db, err, errlen) != 0)
        goto out;
    in_tx = 1;
    for (size_t i = 0; i < nm; i++)
        if (ms[i].n > 1 && check_existing(&im, &ms[i], replace) != 0)
            goto out;
    if (insert_job(&im, ms, nm, replace) != 0)
        goto out;
    for (size_t i = 0; i < nm; i++) {
        if (ms[i].n == 1)
            strlist_add(&im.warnings,
                        "%s: position.jsonl has no trading day after its initial line", ms[i].sig);
        if (import_model(&im, &ms[i], initial_cash) != 0)
            goto out;
        strlist_add(&names, "%s", ms[i].sig);
    }
    if (finish_job(&im, t0) != 0 || dataver_bump(db, err, errlen) != 0 ||
        db_commit(db, err, errlen) != 0)
        goto out;
    in_tx = 0;

    memset(report, 0, sizeof(*report));
    snprintf(report->job_id, sizeof(report->job_id), "%s", im.job_id);
    report->models = names.v;
    report->nmodels = names.n;
    report->model_days = im.model_days;
    report->trades = im.trades;
    report->warnings = im.warnings.v;
    report->nwarnings = im.warnings.n;
    memset(&names, 0, sizeof(names));
    memset(&im.warnings, 0, sizeof(im.warnings));
    rc = 0;
out:
    if (in_tx)
        db_rollback(db);
    for (size_t i = 0; i < nm; i++)
        model_free(&ms[i]);
    free(ms);
    strlist_free(&names);
    strlist_free(&im.warnings);
    return rc;
}
