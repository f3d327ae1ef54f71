/* agentfiles: see agentfiles.h. position.jsonl is rebuilt by replaying each
 * stored day's trades (at their stored fill prices) from the previous day's
 * stored state, so the file holds one line per trade as AI-Trader writes it,
 * and each day ends exactly on the state the database holds. */
#include "trading/agentfiles.h"

#include "aitrader/aitrader.h"
#include "base/dates.h"
#include "service/daystore.h"
#include "base/errbuf.h"
#include "base/paths.h"
#include "market/universe.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char SQL_DAYS[] =
    "SELECT id, date, cash FROM positions WHERE model = ?1 ORDER BY date";
static const char SQL_DAY_TRADES[] =
    "SELECT action, symbol, amount, total, price, fee FROM trades WHERE position_id = ?1"
    " ORDER BY seq";
static const char SQL_DAY_SPLITS[] =
    "SELECT symbol, factor, shares_before, shares_after, cash FROM corporate_actions"
    " WHERE position_id = ?1 ORDER BY seq";
static const char SQL_DAY_ID[] = "SELECT id FROM positions WHERE model = ?1 AND date = ?2";
static const char SQL_DAY_MESSAGES[] =
    "SELECT role, content, tool_name, tool_call_id, message_json FROM reasoning_logs"
    " WHERE position_id = ?1 ORDER BY id";

/* log_path made relative to home, normalized ("./a//b" -> "a/b", "." ->
 * ""): 1 with rel, 0 when there is no log_path, -1 when it leaves home. */
static int relative_base(const char *home, const char *log_path, char *rel, size_t n, char *err,
                         size_t errlen)
{
    char rhome[PATH_MAX], buf[PATH_MAX];
    const char *p = log_path;
    size_t len = 0;
    if (!log_path || !*log_path)
        return 0;
    if (log_path[0] == '/') {
        size_t hl;
        if (!realpath(home, rhome))
            return err_set(err, errlen, "data directory %.200s: %s", home, strerror(errno));
        hl = strlen(rhome);
        if (strncmp(log_path, rhome, hl) != 0 || (log_path[hl] != '/' && log_path[hl] != '\0'))
            return err_set(err, errlen, "log_path %.200s is outside the data directory", log_path);
        p = log_path + hl;
    }
    if (strlen(p) >= sizeof(buf))
        return err_set(err, errlen, "log_path too long");
    memcpy(buf, p, strlen(p) + 1);
    rel[0] = '\0';
    for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0)
            return err_set(err, errlen, "log_path %.200s may not contain \"..\"", log_path);
        int w = snprintf(rel + len, n - len, "%s%s", len ? "/" : "", c);
        if (w < 0 || (size_t)w >= n - len)
            return err_set(err, errlen, "log_path too long");
        len += (size_t)w;
    }
    return 1;
}

/* The directory files are written under (home/rel) and rel itself. */
static int bases(const char *home, const struct config *cfg, const char *signature, char *dir,
                 size_t dirlen, char *rel, size_t rellen, char *err, size_t errlen)
{
    int f = relative_base(home, cfg->log_path, rel, rellen, err, errlen);
    if (f <= 0)
        return f;
    if (!aitrader_signature_valid(signature))
        return err_set(err, errlen, "signature %.64s cannot name a directory", signature);
    int w = *rel ? snprintf(dir, dirlen, "%s/%s", home, rel) : snprintf(dir, dirlen, "%s", home);
    if (w < 0 || (size_t)w >= dirlen)
        return err_set(err, errlen, "log path too long");
    return 1;
}

int agentfiles_log_file_path(const char *home, const struct config *cfg, const char *signature,
                             const char *date, char *out, size_t outlen, char *err, size_t errlen)
{
    char dir[PATH_MAX], rel[PATH_MAX];
    int f = bases(home, cfg, signature, dir, sizeof(dir), rel, sizeof(rel), err, errlen);
    if (f <= 0)
        return f;
    if (aitrader_log_path(*rel ? rel : ".", signature, date, out, outlen, err, errlen) != 0)
        return -1;
    /* "./sig/..." reads better as "sig/...". */
    if (!*rel)
        memmove(out, out + 2, strlen(out + 2) + 1);
    return 1;
}

/* mkdir -p of file's directory (existing ones are fine). */
static int make_parents(const char *file, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", file);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, PATHS_DIR_MODE) != 0 && errno != EEXIST)
            return err_set(err, errlen, "cannot create %.200s: %s", buf, strerror(errno));
        *p = '/';
    }
    return 0;
}

/* A file being rewritten. Lines go to memory; at the end, when the file on
 * disk is a prefix of the new text (the usual case: the model's previous
 * days, or the same text again) only the rest is appended, else the whole
 * text goes to path.tmp, renamed over path. Creating and freeing an inode
 * per model-day (temp file over the old one) cost ext4 more CPU than the
 * rest of a model-day; an append creates none. A crash during an append can
 * leave a torn last line; the next write finds the file is no prefix and
 * replaces it whole. Not fsynced: the files follow the database, and every
 * job start rewrites its models' files from it (worker.c), which also
 * repairs them after an OS crash. */
struct rewrite {
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    FILE *f; /* a memory stream over text, len */
    char *text;
    size_t len;
};

static int rewrite_open(struct rewrite *w, const char *path, char *err, size_t errlen)
{
    snprintf(w->path, sizeof(w->path), "%s", path);
    snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", path);
    w->text = NULL;
    w->len = 0;
    if (make_parents(path, err, errlen) != 0)
        return -1;
    if (!(w->f = open_memstream(&w->text, &w->len)))
        return err_set(err, errlen, "out of memory");
    return 0;
}

/* Writes line (owned, freed here) and a newline. */
static int rewrite_line(struct rewrite *w, char *line, char *err, size_t errlen)
{
    int bad = fputs(line, w->f) < 0 || fputc('\n', w->f) == EOF;
    free(line);
    return bad ? err_set(err, errlen, "out of memory") : 0;
}

/* How many bytes at the start of w's text the file already holds: its
 * length when it is a prefix of the text, else -1 (also when absent). */
static long held_prefix(const struct rewrite *w)
{
    FILE *old = fopen(w->path, "re");
    char *cmp = old ? malloc(w->len + 1) : NULL;
    long held = -1;
    if (cmp) {
        size_t n = fread(cmp, 1, w->len + 1, old);
        if (!ferror(old) && n <= w->len && memcmp(cmp, w->text, n) == 0)
            held = (long)n;
    }
    free(cmp);
    if (old)
        fclose(old);
    return held;
}

/* Puts the text into place: appended when the file holds a prefix of it. */
static int rewrite_store(struct rewrite *w, char *err, size_t errlen)
{
    long held = held_prefix(w);
    FILE *f;
    if (held >= 0) {
        if ((size_t)held == w->len)
            return 0;
        if ((f = fopen(w->path, "ae"))) {
            int bad = fwrite(w->text + held, 1, w->len - (size_t)held, f) != w->len - (size_t)held;
            if ((fclose(f) != 0) + bad == 0)
                return 0;
        }
    }
    if ((f = fopen(w->tmp, "we"))) {
        int bad = fwrite(w->text, 1, w->len, f) != w->len;
        if ((fclose(f) != 0) + bad == 0 && rename(w->tmp, w->path) == 0)
            return 0;
        unlink(w->tmp);
    }
    return err_set(err, errlen, "cannot write %.200s: %s", w->path, strerror(errno));
}

/* ok: put the text into place; else drop it. */
static int rewrite_close(struct rewrite *w, int ok, char *err, size_t errlen)
{
    int rc = fclose(w->f) != 0 ? err_set(err, errlen, "out of memory") : 0;
    if (ok && rc == 0)
        rc = rewrite_store(w, err, errlen);
    free(w->text);
    return ok ? rc : -1;
}

struct day {
    sqlite3_int64 id;
    char date[DATE_BUF];
    money_t cash;
};

/* All of the model's days, by date. *days is the caller's (free()). */
static int load_days(struct db *db, const char *signature, struct day **days, size_t *n, char *err,
                     size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_DAYS, err, errlen);
    struct day *d = NULL;
    size_t cap = 0;
    int rc;
    *n = 0;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, signature, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            struct day *g = realloc(d, (cap = cap ? cap * 2 : 64) * sizeof(*g));
            if (!g)
                break;
            d = g;
        }
        d[*n].id = sqlite3_column_int64(st, 0);
        snprintf(d[*n].date, DATE_BUF, "%s", (const char *)sqlite3_column_text(st, 1));
        d[*n].cash = sqlite3_column_int64(st, 2);
        (*n)++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(d);
        return rc == SQLITE_ROW ? err_set(err, errlen, "out of memory")
                                : db_error(db, "cannot read positions", err, errlen);
    }
    *days = d;
    return 0;
}

/* Applies a stored trade to pf (its fill is already known to be valid). */
static void apply(struct portfolio *pf, const struct aitrader_action *a, money_t total)
{
    int buy = strcmp(a->action, "buy") == 0;
    int64_t have = portfolio_shares(pf, a->symbol);
    portfolio_set(pf, a->symbol, buy ? have + a->amount : have - a->amount);
    pf->cash += buy ? -total - a->fee : total - a->fee;
}

/* Where the day's lines go and how they are written. */
struct lines {
    struct rewrite *w;
    const char *const *syms;
    size_t nsyms;
    int costs; /* the config has trading costs: fills carry price and fee */
    long long id;
};

static int put_line(struct lines *l, const char *date, const struct aitrader_action *act,
                    const struct portfolio *pf, char *err, size_t errlen)
{
    char *line;
    if (aitrader_position_line(date, ++l->id, act, pf, l->syms, l->nsyms, &line, err, errlen) != 0)
        return -1;
    return rewrite_line(l->w, line, err, errlen);
}

/* The day's split lines (the splits applied to its start state) or trade
 * lines; returns the number written, or -1. */
static int stored_lines(struct db *db, struct lines *l, const struct day *d, int splits,
                        struct portfolio *pf, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, splits ? SQL_DAY_SPLITS : SQL_DAY_TRADES, err, errlen);
    int rc, n = 0, bad = 0;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->id);
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct aitrader_action act = {0};
        if (splits) {
            int64_t before = sqlite3_column_int64(st, 2), after = sqlite3_column_int64(st, 3);
            act = (struct aitrader_action){.action = "split",
                                           .symbol = (const char *)sqlite3_column_text(st, 0),
                                           .amount = after - before,
                                           .factor = (const char *)sqlite3_column_text(st, 1),
                                           .cash = sqlite3_column_int64(st, 4)};
            portfolio_set(pf, act.symbol, after);
            pf->cash += act.cash;
        } else {
            act = (struct aitrader_action){.action = (const char *)sqlite3_column_text(st, 0),
                                           .symbol = (const char *)sqlite3_column_text(st, 1),
                                           .amount = sqlite3_column_int64(st, 2),
                                           .costs = l->costs,
                                           .price = sqlite3_column_int64(st, 4),
                                           .fee = sqlite3_column_int64(st, 5)};
            apply(pf, &act, sqlite3_column_int64(st, 3));
        }
        n++;
        bad = put_line(l, d->date, &act, pf, err, errlen) != 0;
    }
    sqlite3_reset(st);
    if (bad)
        return -1;
    return rc == SQLITE_DONE ? n : db_error(db, "cannot read the day's trades", err, errlen);
}

/* One day's lines: a line per split, then a line per trade, or a no_trade
 * line. */
static int day_lines(struct db *db, struct lines *l, const struct day *d, struct portfolio *pf,
                     char *err, size_t errlen)
{
    struct portfolio stored;
    int ntrades;
    if (stored_lines(db, l, d, 1, pf, err, errlen) < 0 ||
        (ntrades = stored_lines(db, l, d, 0, pf, err, errlen)) < 0)
        return -1;
    /* The stored end-of-day state is authoritative. */
    if (daystore_holdings(db, d->id, d->cash, &stored, err, errlen) != 0)
        return -1;
    portfolio_free(pf);
    *pf = stored;
    if (ntrades)
        return 0;
    struct aitrader_action none = {.action = "no_trade", .symbol = ""};
    return put_line(l, d->date, &none, pf, err, errlen);
}

static int write_positions(struct db *db, const struct config *cfg, const char *dir,
                           const char *signature, const char *const *syms, size_t nsyms, char *err,
                           size_t errlen)
{
    char path[PATH_MAX], *line;
    struct rewrite w;
    struct portfolio pf;
    struct day *days = NULL;
    struct lines l = {&w, syms, nsyms, 0, 0};
    size_t n = 0;
    int rc = -1;
    if (aitrader_position_path(dir, signature, path, sizeof(path), err, errlen) != 0 ||
        load_days(db, signature, &days, &n, err, errlen) != 0)
        return -1;
    if (rewrite_open(&w, path, err, errlen) != 0) {
        free(days);
        return -1;
    }
    l.costs = cfg->trading.per_trade || cfg->trading.commission_ppm || cfg->trading.slippage_ppm;
    portfolio_init(&pf, cfg->initial_cash);
    if (aitrader_position_line(cfg->init_date, 0, NULL, &pf, syms, nsyms, &line, err, errlen) !=
            0 ||
        rewrite_line(&w, line, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (day_lines(db, &l, &days[i], &pf, err, errlen) != 0)
            goto out;
    rc = 0;
out:
    portfolio_free(&pf);
    free(days);
    return rewrite_close(&w, rc == 0, err, errlen);
}

/* The message a reasoning_logs row stands for: its stored JSON, else
 * {"role", "content"[, "name", "tool_call_id"]}. */
static json_object *message_of(sqlite3_stmt *st)
{
    const char *js = (const char *)sqlite3_column_text(st, 4);
    json_object *m = js ? json_tokener_parse(js) : NULL;
    if (m)
        return m;
    const char *content = (const char *)sqlite3_column_text(st, 1);
    const char *tool = (const char *)sqlite3_column_text(st, 2);
    const char *call = (const char *)sqlite3_column_text(st, 3);
    if (!(m = json_object_new_object()))
        return NULL;
    json_object_object_add(m, "role",
                           json_object_new_string((const char *)sqlite3_column_text(st, 0)));
    json_object_object_add(m, "content", content ? json_object_new_string(content) : NULL);
    if (tool)
        json_object_object_add(m, "name", json_object_new_string(tool));
    if (call)
        json_object_object_add(m, "tool_call_id", json_object_new_string(call));
    return m;
}

/* The position id of (signature, date): 1 with *id, 0 when none. */
static int day_id(struct db *db, const char *signature, const char *date, sqlite3_int64 *id,
                  char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_DAY_ID, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, signature, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(db, "cannot read positions", err, errlen);
    return rc == SQLITE_ROW;
}

static int write_log(struct db *db, const char *dir, const char *signature, const char *date,
                     char *err, size_t errlen)
{
    char path[PATH_MAX], *line;
    sqlite3_int64 id = 0;
    struct rewrite w;
    int rc = SQLITE_DONE, f = day_id(db, signature, date, &id, err, errlen);
    if (f <= 0)
        return f;
    if (aitrader_log_path(dir, signature, date, path, sizeof(path), err, errlen) != 0 ||
        rewrite_open(&w, path, err, errlen) != 0)
        return -1;
    sqlite3_stmt *st = db_stmt(db, SQL_DAY_MESSAGES, err, errlen);
    if (!st)
        return rewrite_close(&w, 0, err, errlen);
    sqlite3_bind_int64(st, 1, id);
    f = 0;
    while (f == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_object *arr = json_object_new_array(), *m = message_of(st);
        if (!arr || !m) {
            json_object_put(arr);
            json_object_put(m);
            f = err_set(err, errlen, "out of memory");
            break;
        }
        json_object_array_add(arr, m);
        f = aitrader_log_line(signature, arr, &line, err, errlen);
        json_object_put(arr);
        if (f == 0)
            f = rewrite_line(&w, line, err, errlen);
    }
    sqlite3_reset(st);
    if (f == 0 && rc != SQLITE_DONE)
        f = db_error(db, "cannot read the reasoning log", err, errlen);
    return rewrite_close(&w, f == 0, err, errlen);
}

/* Makes <dir>/<signature>/log/ match the database: removes the day logs of
 * dates without a stored result (a re-run replaced them and dropped the days
 * built on them) and writes the missing ones of stored days (a crash between
 * a commit and its files). */
static int sync_logs(struct db *db, const char *dir, const char *signature, char *err,
                     size_t errlen)
{
    char path[PATH_MAX], logdir[PATH_MAX];
    struct day *days = NULL;
    size_t n = 0;
    struct stat sb;
    int rc = 0;
    if (snprintf(logdir, sizeof(logdir), "%s/%s/log", dir, signature) >= (int)sizeof(logdir))
        return err_set(err, errlen, "log path too long");
    DIR *d = opendir(logdir);
    for (struct dirent *e; rc == 0 && d && (e = readdir(d));) {
        sqlite3_int64 id;
        int f = date_valid(e->d_name) ? day_id(db, signature, e->d_name, &id, err, errlen) : 1;
        if (f != 0) { /* not a day's directory, a stored day or an error */
            rc = f < 0 ? -1 : 0;
            continue;
        }
        if (aitrader_log_path(dir, signature, e->d_name, path, sizeof(path), err, errlen) != 0)
            rc = -1;
        else if (unlink(path) != 0 && errno != ENOENT)
            rc = err_set(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        else if (snprintf(path, sizeof(path), "%s/%s", logdir, e->d_name) < (int)sizeof(path) &&
                 rmdir(path) != 0 && errno != ENOENT)
            rc = err_set(err, errlen, "cannot remove %s: %s", path, strerror(errno));
    }
    if (d)
        closedir(d);
    if (rc < 0 || load_days(db, signature, &days, &n, err, errlen) != 0)
        return -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (aitrader_log_path(dir, signature, days[i].date, path, sizeof(path), err, errlen) != 0)
            rc = -1;
        else if (stat(path, &sb) != 0 && errno == ENOENT)
            rc = write_log(db, dir, signature, days[i].date, err, errlen);
    }
    free(days);
    return rc < 0 ? -1 : 0;
}

int agentfiles_write(struct db *db, const struct config *cfg, const char *home,
                     const char *signature, const char *date, char *err, size_t errlen)
{
    char dir[PATH_MAX], rel[PATH_MAX];
    const char **syms = NULL;
    size_t nsyms = universe_nasdaq100_count;
    int f = bases(home, cfg, signature, dir, sizeof(dir), rel, sizeof(rel), err, errlen);
    if (f <= 0)
        return f;
    if (!cfg->symbols_default) {
        nsyms = cfg->nsymbols;
        if (!(syms = calloc(nsyms ? nsyms : 1, sizeof(*syms))))
            return err_set(err, errlen, "out of memory");
        for (size_t i = 0; i < nsyms; i++)
            syms[i] = cfg->symbols[i];
    }
    f = write_positions(db, cfg, dir, signature, syms ? syms : universe_aitrader_order, nsyms, err,
                        errlen);
    if (f == 0 && date)
        f = write_log(db, dir, signature, date, err, errlen);
    if (f == 0)
        f = sync_logs(db, dir, signature, err, errlen);
    free(syms);
    return f;
}
