/* cmd_prices: `traderctl prices import|synth|info`, the operator's access to
 * the price store (pricesimport.h, prices.h). */
#include "traderctl.h"

#include "base/errbuf.h"
#include "market/prices.h"
#include "market/pricesimport.h"
#include "market/universe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_stats(const char *what, const struct pricesimport_stats *st)
{
    printf("%s: %zu series, %zu bars inserted, %zu updated, %zu unchanged\n", what, st->series,
           st->inserted, st->updated, st->unchanged);
}

int cmd_prices_import(const struct ctl *ctl, int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    struct pricesimport_stats st;
    struct db *db;
    int rc;
    if (argc < 1 || argv[0][0] == '-')
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    rc = pricesimport_files(db, (const char *const *)argv, (size_t)argc, &st, err, sizeof(err));
    db_close(db);
    if (rc != 0)
        return ctl_fail("nothing imported: %s", err);
    printf("imported %zu file%s\n", st.files, st.files == 1 ? "" : "s");
    print_stats("prices", &st);
    if (st.splits)
        printf("splits: %zu\n", st.splits);
    return CTL_OK;
}

/* A decimal number of digits only (strtoull alone accepts "-1"), <= max. */
static int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v;
    if (!s[0] || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

struct synth_args {
    const char *start;
    unsigned long long days, seed;
};

/* Parses [--start DATE] [--days N] [--seed N]; returns 0, or -1 on a usage
 * error (a bad value is explained first). */
static int synth_options(int argc, char **argv, struct synth_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        if (opt_value(argc, argv, &i, "--start", &a->start) == OPT_MATCHED)
            continue;
        if (opt_value(argc, argv, &i, "--days", &v) == OPT_MATCHED) {
            if (parse_count(v, PRICESIMPORT_SYNTH_MAX_DAYS, &a->days) != 0 || a->days == 0) {
                ctl_fail("--days wants a number from 1 to %d", PRICESIMPORT_SYNTH_MAX_DAYS);
                return -1;
            }
            continue;
        }
        if (opt_value(argc, argv, &i, "--seed", &v) == OPT_MATCHED) {
            if (parse_count(v, UINT64_MAX, &a->seed) != 0) {
                ctl_fail("--seed wants a non-negative integer");
                return -1;
            }
            continue;
        }
        return -1;
    }
    return 0;
}

int cmd_prices_synth(const struct ctl *ctl, int argc, char **argv)
{
    struct synth_args a = {PRICESIMPORT_SYNTH_START, PRICESIMPORT_SYNTH_DAYS,
                           PRICESIMPORT_SYNTH_SEED};
    char err[ERRBUF_SIZE];
    struct pricesimport_stats st;
    struct db *db;
    int rc;
    if (synth_options(argc, argv, &a) != 0)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    rc = pricesimport_synth(db, a.start, (int)a.days, a.seed, &st, err, sizeof(err));
    db_close(db);
    if (rc != 0)
        return ctl_fail("nothing generated: %s", err);
    printf("generated SYNTHETIC prices (not market data): %llu weekdays from %s, seed %llu\n",
           a.days, a.start, a.seed);
    print_stats("prices", &st);
    if (st.splits)
        printf("splits: %zu\n", st.splits);
    return CTL_OK;
}

static void print_info(const struct ctl *ctl, const struct prices_info *in)
{
    char shown[PATHS_MAX];
    paths_db_display(ctl->db_path, shown, sizeof(shown));
    printf("database: %s\n", shown);
    if (in->bars == 0) {
        printf("no prices: run `traderctl prices import FILE...` (or `traderctl prices synth` "
               "for a synthetic sample)\n");
        return;
    }
    printf("symbols: %lld (universe %lld of %zu, benchmark %s %s)\n", in->symbols,
           in->universe_symbols, universe_nasdaq100_count, UNIVERSE_BENCHMARK,
           in->has_benchmark ? "present" : "MISSING");
    printf("bars: %lld\ndates: %s .. %s\ntrading days: %lld\n", in->bars, in->first, in->last,
           in->trading_days);
    printf("sources: alphavantage %lld, aitrader %lld, synthetic %lld symbols\n", in->alphavantage,
           in->aitrader, in->synthetic);
    printf("splits: %lld\n", in->splits);
    if (in->synthetic > 0)
        printf("*** SYNTHETIC: these prices are generated, NOT market data ***\n");
}

int cmd_prices_info(const struct ctl *ctl, int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    struct prices_info info;
    struct db *db;
    int rc;
    (void)argv;
    if (argc != 0)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    rc = prices_info(db, &info, err, sizeof(err));
    db_close(db);
    if (rc != 0)
        return ctl_fail("%s", err);
    print_info(ctl, &info);
    return CTL_OK;
}
