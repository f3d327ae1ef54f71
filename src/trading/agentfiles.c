/* agentfiles: see agentfiles.h. position.jsonl is rebuilt by replaying each
 * stored day's trades (at their stored fill prices) from the previous day's
 * stored state, so the file holds one line per trade as AI-Trader writes it,
 * and each day ends exactly on the state the database holds. */
#include "trading/agentfiles.h"

#include "aitrader/aitrader.h"
#include "base/dates.h"
#include "service/daystore.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/paths.h"
#include "market/universe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* log_path made relative to home, normalized ("./a//b" -> "a/b", "." ->
 * ""): AGENTFILES_ON with rel, AGENTFILES_OFF when there is no log_path,
 * AGENTFILES_ERROR (err_set's -1) when it leaves home. */
static enum agentfiles_on relative_base(const char *home, const char *log_path, char *rel, size_t n,
                                        char *err, size_t errlen)
{
    char rhome[PATH_MAX], buf[PATH_MAX];
    const char *p = log_path;
    size_t len = 0;
    if (!log_path || !*log_path)
        return AGENTFILES_OFF;
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
    return AGENTFILES_ON;
}

/* The directory files are written under (home/rel) and rel itself. */
static enum agentfiles_on bases(const char *home, const struct config *cfg, const char *signature,
                                char *dir, size_t dirlen, char *rel, size_t rellen, char *err,
                                size_t errlen)
{
    enum agentfiles_on f = relative_base(home, cfg->log_path, rel, rellen, err, errlen);
    if (f != AGENTFILES_ON)
        return f;
    if (!aitrader_signature_valid(signature))
        return err_set(err, errlen, "signature %.64s cannot name a directory", signature);
    int w = *rel ? snprintf(dir, dirlen, "%s/%s", home, rel) : snprintf(dir, dirlen, "%s", home);
    if (w < 0 || (size_t)w >= dirlen)
        return err_set(err, errlen, "log path too long");
    return AGENTFILES_ON;
}

enum agentfiles_on agentfiles_log_file_path(const char *home, const struct config *cfg,
                                            const char *signature, const char *date, char *out,
                                            size_t outlen, char *err, size_t errlen)
{
    char dir[PATH_MAX], rel[PATH_MAX];
    enum agentfiles_on f =
        bases(home, cfg, signature, dir, sizeof(dir), rel, sizeof(rel), err, errlen);
    if (f != AGENTFILES_ON)
        return f;
    if (aitrader_log_path(*rel ? rel : ".", signature, date, out, outlen, err, errlen) != 0)
        return AGENTFILES_ERROR;
    /* "./sig/..." reads better as "sig/...". */
    if (!*rel)
        memmove(out, out + 2, strlen(out + 2) + 1);
    return AGENTFILES_ON;
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
        mem_fatal(0);
    return 0;
}

/* Writes line (owned, freed here) and a newline. */
static void rewrite_line(struct rewrite *w, char *line)
{
    /* A memory stream fails only for want of memory. */
    if (fputs(line, w->f) < 0 || fputc('\n', w->f) == EOF)
        mem_fatal(0);
    free(line);
}

/* How many bytes at the start of w's text the file already holds: its
 * length when it is a prefix of the text, else -1 (also when absent). */
static long held_prefix(const struct rewrite *w)
{
    FILE *old = fopen(w->path, "re");
    char *cmp = old ? mem_alloc(w->len + 1) : NULL;
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
    int rc = -1;
    if (fclose(w->f) != 0)
        mem_fatal(0);
    if (ok)
        rc = rewrite_store(w, err, errlen);
    free(w->text);
    return rc;
}

struct day {
    long long id;
    char date[DATE_BUF];
    money_t cash;
};

struct days {
    struct day *d;
    size_t n, cap;
};

static int push_day(const struct daystore_day *sd, void *arg)
{
    struct days *ds = arg;
    ARRAY_RESERVE(ds->d, ds->cap, ds->n + 1);
    struct day *d = &ds->d[ds->n++];
    d->id = sd->id;
    snprintf(d->date, DATE_BUF, "%s", sd->date);
    d->cash = sd->cash;
    return 0;
}

/* All of the model's days, by date. ds->d is the caller's (free()). */
static int load_days(struct db *db, const char *signature, struct days *ds, char *err,
                     size_t errlen)
{
    struct daystore_filter f = {.model = signature, .limit = -1};
    *ds = (struct days){0};
    if (daystore_days(db, &f, push_day, ds, err, errlen) != 0) {
        free(ds->d);
        return -1;
    }
    return 0;
}

/* Where the day's lines go and how they are written. */
struct lines {
    struct rewrite *w;
    const char *const *syms;
    size_t nsyms;
    int costs; /* the config has trading costs: fills carry price and fee */
    long long id;
    /* the day being written */
    const struct day *d;
    struct portfolio *pf;
    int ntrades;
    char *err;
    size_t errlen;
};

static int put_line(struct lines *l, const struct aitrader_action *act)
{
    char *line;
    if (aitrader_position_line(l->d->date, ++l->id, act, l->pf, l->syms, l->nsyms, &line, l->err,
                               l->errlen) != 0)
        return -1;
    rewrite_line(l->w, line);
    return 0;
}

/* A split applied to the day's start state, replayed and written. */
static int split_line(const struct splits_applied *s, void *arg)
{
    struct lines *l = arg;
    struct aitrader_action act = {.action = "split",
                                  .symbol = s->symbol,
                                  .amount = s->after - s->before,
                                  .factor = s->factor,
                                  .cash = s->cash};
    portfolio_replay_split(l->pf, s->symbol, s->after, s->cash);
    return put_line(l, &act);
}

/* A stored trade, replayed at its stored fill and written. */
static int trade_line(const struct daystore_trade *t, void *arg)
{
    struct lines *l = arg;
    struct aitrader_action act = {.action = t->action,
                                  .symbol = t->symbol,
                                  .amount = t->amount,
                                  .costs = l->costs,
                                  .price = t->price,
                                  .fee = t->fee};
    portfolio_replay_fill(l->pf, strcmp(t->action, "buy") == 0, t->symbol, t->amount, t->total,
                          t->fee);
    l->ntrades++;
    return put_line(l, &act);
}

/* One day's lines: a line per split, then a line per trade, or a no_trade
 * line. */
static int day_lines(struct db *db, struct lines *l, const struct day *d, struct portfolio *pf,
                     char *err, size_t errlen)
{
    struct portfolio stored;
    l->d = d;
    l->pf = pf;
    l->ntrades = 0;
    struct daystore_rows rows = {.split = split_line, .trade = trade_line, .arg = l};
    if (daystore_each_row(db, d->id, &rows, err, errlen) != 0)
        return -1;
    /* The stored end-of-day state is authoritative. */
    if (daystore_holdings(db, d->id, d->cash, &stored, err, errlen) != 0)
        return -1;
    portfolio_free(pf);
    *pf = stored;
    if (l->ntrades)
        return 0;
    struct aitrader_action none = {.action = "no_trade", .symbol = ""};
    return put_line(l, &none);
}

static int write_positions(struct db *db, const struct config *cfg, const char *dir,
                           const char *signature, const char *const *syms, size_t nsyms, char *err,
                           size_t errlen)
{
    char path[PATH_MAX], *line;
    struct rewrite w;
    struct portfolio pf;
    struct days days;
    struct lines l = {.w = &w, .syms = syms, .nsyms = nsyms, .err = err, .errlen = errlen};
    int rc = -1;
    if (aitrader_position_path(dir, signature, path, sizeof(path), err, errlen) != 0 ||
        load_days(db, signature, &days, err, errlen) != 0)
        return -1;
    if (rewrite_open(&w, path, err, errlen) != 0) {
        free(days.d);
        return -1;
    }
    l.costs = cfg->trading.per_trade || cfg->trading.commission_ppm || cfg->trading.slippage_ppm;
    portfolio_init(&pf, cfg->initial_cash);
    if (aitrader_position_line(cfg->init_date, 0, NULL, &pf, syms, nsyms, &line, err, errlen) != 0)
        goto out;
    rewrite_line(&w, line);
    for (size_t i = 0; i < days.n; i++)
        if (day_lines(db, &l, &days.d[i], &pf, err, errlen) != 0)
            goto out;
    rc = 0;
out:
    portfolio_free(&pf);
    free(days.d);
    return rewrite_close(&w, rc == 0, err, errlen);
}

/* The message a reasoning_logs row stands for: its stored JSON, else
 * {"role", "content"[, "name", "tool_call_id"]}. Caller owns it. */
static json_object *message_of(const struct daystore_message *dm)
{
    json_object *m = dm->message_json ? json_tokener_parse(dm->message_json) : NULL;
    if (m)
        return m;
    m = json_new_object();
    json_put(m, "role", json_object_new_string(dm->role));
    json_put_string_or_null(m, "content", dm->content);
    if (dm->tool_name)
        json_put(m, "name", json_object_new_string(dm->tool_name));
    if (dm->tool_call_id)
        json_put(m, "tool_call_id", json_object_new_string(dm->tool_call_id));
    return m;
}

/* The position id of (signature, date). */
static enum daystore_found day_id(struct db *db, const char *signature, const char *date,
                                  long long *id, char *err, size_t errlen)
{
    char job[128];
    return daystore_find(db, signature, date, id, job, sizeof(job), err, errlen);
}

/* Where a day's log lines go. */
struct log_lines {
    struct rewrite *w;
    const char *signature;
    char *err;
    size_t errlen;
};

static int log_line(const struct daystore_message *dm, void *arg)
{
    struct log_lines *l = arg;
    json_object *arr = json_new_array();
    char *line;
    json_push(arr, message_of(dm));
    int f = aitrader_log_line(l->signature, arr, &line, l->err, l->errlen);
    json_object_put(arr);
    if (f == 0)
        rewrite_line(l->w, line);
    return f;
}

static int write_log(struct db *db, const char *dir, const char *signature, const char *date,
                     char *err, size_t errlen)
{
    char path[PATH_MAX];
    long long id = 0;
    struct rewrite w;
    struct log_lines l = {&w, signature, err, errlen};
    enum daystore_found f = day_id(db, signature, date, &id, err, errlen);
    if (f != DAYSTORE_FOUND)
        return f == DAYSTORE_NONE ? 0 : -1;
    if (aitrader_log_path(dir, signature, date, path, sizeof(path), err, errlen) != 0 ||
        rewrite_open(&w, path, err, errlen) != 0)
        return -1;
    struct daystore_rows rows = {.message = log_line, .arg = &l};
    int rc = daystore_each_row(db, id, &rows, err, errlen);
    return rewrite_close(&w, rc == 0, err, errlen);
}

/* Makes <dir>/<signature>/log/ match the database: removes the day logs of
 * dates without a stored result (a re-run replaced them and dropped the days
 * built on them) and writes the missing ones of stored days (a crash between
 * a commit and its files). */
static int sync_logs(struct db *db, const char *dir, const char *signature, char *err,
                     size_t errlen)
{
    char path[PATH_MAX], logdir[PATH_MAX];
    struct days days;
    struct stat sb;
    int rc = 0;
    if (snprintf(logdir, sizeof(logdir), "%s/%s/log", dir, signature) >= (int)sizeof(logdir))
        return err_set(err, errlen, "log path too long");
    DIR *d = opendir(logdir);
    for (struct dirent *e; rc == 0 && d && (e = readdir(d));) {
        long long id;
        enum daystore_found f = date_valid(e->d_name)
                                    ? day_id(db, signature, e->d_name, &id, err, errlen)
                                    : DAYSTORE_FOUND;
        if (f != DAYSTORE_NONE) { /* not a day's directory, a stored day or an error */
            rc = f == DAYSTORE_ERROR ? -1 : 0;
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
    if (rc < 0 || load_days(db, signature, &days, err, errlen) != 0)
        return -1;
    for (size_t i = 0; rc == 0 && i < days.n; i++) {
        if (aitrader_log_path(dir, signature, days.d[i].date, path, sizeof(path), err, errlen) != 0)
            rc = -1;
        else if (stat(path, &sb) != 0 && errno == ENOENT)
            rc = write_log(db, dir, signature, days.d[i].date, err, errlen);
    }
    free(days.d);
    return rc < 0 ? -1 : 0;
}

/* Takes the model's directory <dir>/<signature> (created when missing) for
 * this writer alone: *fd holds the lock until closed. Two threads (or
 * workers) finishing consecutive days of one model write its files at once;
 * each reads the database under the lock, so the last one in writes the
 * newest state, and no two share position.jsonl.tmp. */
static int lock_model_dir(const char *dir, const char *signature, int *fd, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int d;
    if (snprintf(path, sizeof(path), "%s/%s/", dir, signature) >= (int)sizeof(path))
        return err_set(err, errlen, "log path too long");
    if (make_parents(path, err, errlen) != 0)
        return -1;
    if ((d = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return err_set(err, errlen, "cannot open %.200s: %s", path, strerror(errno));
    while (flock(d, LOCK_EX) != 0)
        if (errno != EINTR) {
            err_set(err, errlen, "cannot lock %.200s: %s", path, strerror(errno));
            close(d);
            return -1;
        }
    *fd = d;
    return 0;
}

int agentfiles_write(struct db *db, const struct config *cfg, const char *home,
                     const char *signature, const char *date, char *err, size_t errlen)
{
    char dir[PATH_MAX], rel[PATH_MAX];
    const char **syms = NULL;
    size_t nsyms = universe_nasdaq100_count;
    int f, lock = -1;
    enum agentfiles_on on =
        bases(home, cfg, signature, dir, sizeof(dir), rel, sizeof(rel), err, errlen);
    if (on != AGENTFILES_ON)
        return on == AGENTFILES_ERROR ? -1 : 0;
    if (lock_model_dir(dir, signature, &lock, err, errlen) != 0)
        return -1;
    if (!cfg->symbols_default) {
        nsyms = cfg->nsymbols;
        syms = mem_calloc(nsyms ? nsyms : 1, sizeof(*syms));
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
    close(lock);
    return f;
}

int agentfiles_write_job(struct db *db, const struct config *cfg, const char *home,
                         const struct jobs_job *job, size_t *written, char *err, size_t errlen)
{
    char one[ERRBUF_SIZE];
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < cfg->nmodels; i++) {
        const char *sig = cfg->models[i].signature;
        size_t k = 0;
        while (k < job->ndays && strcmp(job->days[k].model, sig) != 0)
            k++;
        if (k == job->ndays)
            continue;
        if (agentfiles_write(db, cfg, home, sig, NULL, one, sizeof(one)) == 0)
            n++;
        else if (rc == 0)
            rc = err_set(err, errlen, "model %s: %s", sig, one);
    }
    if (written)
        *written = n;
    return rc;
}
