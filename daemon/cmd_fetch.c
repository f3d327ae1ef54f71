/* cmd_fetch: `traderctl prices fetch` (Alpha Vantage TIME_SERIES_DAILY and
 * SPLITS for the universe and QQQ into the price store, avfetch.h) and
 * `traderctl update` (that, then a catch-up job: the daily run for cron or
 * a systemd timer).
 *
 * Free-tier pacing: a pause between requests and a per-day request budget,
 * counted in a file per UTC day beside the saved answers. An in-band rate
 * limit ("Note", "Information") or "Error Message" stops the fetch with the
 * service's message; symbols fetched within --max-age hours are skipped, so
 * the next run resumes where this one stopped, and re-fetching is harmless
 * (imports are idempotent). */
#include "traderctl.h"

#include "market/avfetch.h"
#include "base/dates.h"
#include "base/env.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "market/pricesimport.h"
#include "market/universe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENV_PACE "TRADER_ALPHAVANTAGE_PACE_SECONDS"
#define ENV_DAILY "TRADER_ALPHAVANTAGE_DAILY_LIMIT"
#define DEFAULT_PACE 12.0 /* 5 requests a minute */
#define DEFAULT_DAILY 25
#define DEFAULT_MAX_AGE 20.0 /* hours */
#define FETCH_DIR "prices/alphavantage"
#define SYMBOLS_MAX 512

static const char *const functions[] = {"TIME_SERIES_DAILY", "SPLITS"};
#define NFUNCTIONS (sizeof(functions) / sizeof(functions[0]))

struct fetch_opts {
    char symbols_buf[4096];
    const char *symbols[SYMBOLS_MAX];
    size_t nsymbols;
    double pace, max_age;
    long daily;
    int force, full;
};

/* A number option in [lo, hi]. */
static int number_arg(const char *name, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= lo && d <= hi))
        return ctl_fail("%s must be a number from %g to %g", name, lo, hi);
    *out = d;
    return 0;
}

/* Parses the fetch options; -1 on an unknown one or a bad value. */
static int fetch_args(int argc, char **argv, struct fetch_opts *o)
{
    const char *v;
    double d = 0; /* number_arg sets it only on success */
    memset(o, 0, sizeof(*o));
    o->pace = env_double(ENV_PACE, DEFAULT_PACE, 0, 3600);
    o->daily = env_long(ENV_DAILY, DEFAULT_DAILY, 0, 1000000000L);
    o->max_age = DEFAULT_MAX_AGE;
    for (int i = 0; i < argc; i++) {
        enum opt_match k;
        if (strcmp(argv[i], "--force") == 0)
            o->force = 1;
        else if (strcmp(argv[i], "--full") == 0)
            o->full = 1;
        else if ((k = opt_value(argc, argv, &i, "--pace", &v)) != OPT_OTHER) {
            if (k == OPT_ERROR || number_arg("--pace", v, 0, 3600, &o->pace) != 0)
                return -1;
        } else if ((k = opt_value(argc, argv, &i, "--daily-limit", &v)) != OPT_OTHER) {
            if (k == OPT_ERROR || number_arg("--daily-limit", v, 0, 1e9, &d) != 0)
                return -1;
            o->daily = (long)d;
        } else if ((k = opt_value(argc, argv, &i, "--max-age", &v)) != OPT_OTHER) {
            if (k == OPT_ERROR || number_arg("--max-age", v, 0, 1e6, &o->max_age) != 0)
                return -1;
        } else if ((k = opt_value(argc, argv, &i, "--symbols", &v)) != OPT_OTHER) {
            if (k == OPT_ERROR || strlen(v) >= sizeof(o->symbols_buf))
                return -1;
            snprintf(o->symbols_buf, sizeof(o->symbols_buf), "%s", v);
            for (char *s = NULL, *t = strtok_r(o->symbols_buf, ",", &s); t;
                 t = strtok_r(NULL, ",", &s)) {
                if (!symbol_valid(t) || o->nsymbols == SYMBOLS_MAX)
                    return ctl_fail("--symbols: \"%.16s\" is not a ticker", t);
                o->symbols[o->nsymbols++] = t;
            }
        } else {
            return -1;
        }
    }
    if (!o->nsymbols) {
        for (size_t i = 0; i < universe_nasdaq100_count; i++)
            o->symbols[o->nsymbols++] = universe_aitrader_order[i];
        o->symbols[o->nsymbols++] = UNIVERSE_BENCHMARK;
    }
    return 0;
}

/* Today's request count (UTC), kept in DIR/requests-DATE. */
static long requests_today(const char *dir, char *path, size_t pathlen)
{
    char today[DATE_BUF];
    long n = 0;
    date_today(today);
    snprintf(path, pathlen, "%s/requests-%s", dir, today);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &n) != 1)
            n = 0;
        fclose(f);
    }
    return n;
}

static void count_request(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%ld\n", n);
        fclose(f);
    }
}

static void nap(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The fetch itself: returns CTL_OK when every symbol is up to date. */
static int fetch(const struct ctl *ctl, struct db *db, const struct fetch_opts *o)
{
    char dir[PATHS_MAX], counter[PATHS_MAX + 32], err[ERRBUF_SIZE], msg[ERRBUF_SIZE];
    char paths[NFUNCTIONS][PATHS_MAX];
    const char *key = getenv(AVFETCH_ENV_KEY), *url = getenv(AVFETCH_ENV_URL);
    struct avfetch f = {.base_url = url && *url ? url : AVFETCH_DEFAULT_URL, .api_key = key};
    size_t fetched = 0, skipped = 0;
    int tty = isatty(STDOUT_FILENO);
    long made = 0, today;
    if (!key || !*key)
        return ctl_fail("%s is not set: get a free key at alphavantage.co", AVFETCH_ENV_KEY);
    if (paths_join(ctl->home, FETCH_DIR, dir, sizeof(dir), err, sizeof(err)) != 0)
        return ctl_fail("%s", err);
    *strrchr(dir, '/') = '\0';
    mkdir(dir, PATHS_DIR_MODE);
    dir[strlen(dir)] = '/';
    if (mkdir(dir, PATHS_DIR_MODE) != 0 && errno != EEXIST)
        return ctl_fail("cannot create %s: %s", dir, strerror(errno));
    f.dir = dir;
    today = requests_today(dir, counter, sizeof(counter));
    for (size_t i = 0; i < o->nsymbols; i++) {
        const char *sym = o->symbols[i];
        int fresh = !o->force;
        for (size_t k = 0; k < NFUNCTIONS && fresh; k++)
            fresh = avfetch_fresh(&f, functions[k], sym, o->max_age);
        if (fresh) {
            skipped++;
            continue;
        }
        for (size_t k = 0; k < NFUNCTIONS; k++) {
            enum avfetch_result res;
            if (o->daily && today >= o->daily) {
                printf("%s", tty ? "\n" : "");
                return ctl_fail("the daily request limit (%ld) is reached: %zu of %zu symbols are "
                                "up to date; run again tomorrow to continue",
                                o->daily, fetched + skipped, o->nsymbols);
            }
            if (made)
                nap(o->pace);
            if (avfetch_get(&f, functions[k], sym, k == 0 ? (o->full ? "full" : "compact") : NULL,
                            paths[k], sizeof(paths[k]), &res, msg, sizeof(msg)) != 0)
                return ctl_fail("%s", msg);
            made++;
            count_request(counter, ++today);
            if (res != AVFETCH_OK) {
                printf("%s", tty ? "\n" : "");
                return ctl_fail("%s for %s: %s; stopped with %zu of %zu symbols up to date: run "
                                "again %s to continue where it stopped",
                                res == AVFETCH_LIMIT     ? "Alpha Vantage limits requests"
                                : res == AVFETCH_REFUSED ? "Alpha Vantage refused the request"
                                                         : "the request failed",
                                sym, msg, fetched + skipped, o->nsymbols,
                                res == AVFETCH_LIMIT ? "later" : "once that is fixed");
            }
        }
        struct pricesimport_stats st;
        const char *files[NFUNCTIONS] = {paths[0], paths[1]};
        if (pricesimport_files(db, files, NFUNCTIONS, &st, err, sizeof(err)) != 0) {
            for (size_t k = 0; k < NFUNCTIONS; k++)
                remove(paths[k]); /* not fetched, as far as a resume is concerned */
            printf("%s", tty ? "\n" : "");
            return ctl_fail("%s: nothing imported: %s", sym, err);
        }
        fetched++;
        if (tty)
            printf("\r[%zu/%zu] %-6s %zu new bars   ", i + 1, o->nsymbols, sym, st.inserted);
        else
            printf("%s: %zu new bars, %zu updated\n", sym, st.inserted, st.updated);
        fflush(stdout);
    }
    printf("%sfetched %zu symbols, %zu already up to date, %ld requests\n", tty ? "\n" : "",
           fetched, skipped, made);
    return CTL_OK;
}

int cmd_prices_fetch(const struct ctl *ctl, int argc, char **argv)
{
    struct fetch_opts o;
    struct db *db;
    int rc;
    if (fetch_args(argc, argv, &o) != 0)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    rc = fetch(ctl, db, &o);
    db_close(db);
    return rc;
}

int cmd_update(const struct ctl *ctl, int argc, char **argv)
{
    struct fetch_opts o;
    const char *config = NULL;
    char job_id[JOB_ID_BUF], *fetch_argv[64];
    enum ctl_job f;
    int nfetch = 0, rc;
    json_object *body;
    struct db *db;
    /* --config is update's; the rest are the fetch's. */
    for (int i = 0; i < argc; i++) {
        enum opt_match k = opt_value(argc, argv, &i, "--config", &config);
        if (k == OPT_ERROR || (k == OPT_OTHER && nfetch == 64))
            return ctl_usage(ctl);
        if (k == OPT_OTHER)
            fetch_argv[nfetch++] = argv[i];
    }
    if (fetch_args(nfetch, fetch_argv, &o) != 0)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    rc = fetch(ctl, db, &o);
    /* Even after a partial fetch: a date counts as a trading day only once
     * every symbol has its bar. */
    body = json_new_object();
    if (config)
        json_put(body, "config_path", json_object_new_string(config));
    f = ctl_create_job(db, body, job_id);
    json_object_put(body);
    db_close(db);
    return f == CTL_JOB_ERROR ? CTL_FAIL : rc;
}
