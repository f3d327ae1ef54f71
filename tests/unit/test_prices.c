/* Unit tests for prices (store queries and the trading calendar over a real
 * SQLite file) and universe (ticker syntax, the default symbol list). */
#include "market/prices.h"
#include "simfixture.h"
#include "tap.h"
#include "market/universe.h"

static char err[512];

static void exec_sql(struct db *db, const char *sql)
{
    ok(fx_exec(db, sql) == 0, "setup");
}

/* AAA: Fri 01-03 complete, Sat 01-04 complete (a weekend bar), Mon 01-06
 * complete, Tue 01-07 open only. BBB: Wed 01-08 complete. CCC: Sun 01-12. */
static void fill(struct db *db)
{
    exec_sql(
        db,
        "INSERT INTO prices(symbol,date,open,high,low,close,volume,open_micro,close_micro)"
        " VALUES"
        " ('AAA','2025-01-03','10.0000','11.0000','9.5000','10.5000','100',10000000,10500000),"
        " ('AAA','2025-01-04','10.5000','10.6000','10.4000','10.5500','5',10500000,10550000),"
        " ('AAA','2025-01-06','10.6000','12.0000','10.1000','11.2500','200',10600000,11250000),"
        " ('AAA','2025-01-07','11.3000',NULL,NULL,NULL,NULL,11300000,NULL),"
        " ('BBB','2025-01-08','50.0000','51.0000','49.0000','50.5000','300',50000000,50500000),"
        " ('CCC','2025-01-12','5.0000','5.0000','5.0000','5.0000','1',5000000,5000000),"
        " ('QQQ','2025-01-03','500.0000','501.0000','499.0000','500.5000','9',500000000,500500000),"
        " ('AAPL','2025-01-03','250.0000','251.0000','249.0000','250.5000','9',250000000,"
        "250500000)");
    exec_sql(db, "INSERT INTO price_symbols(symbol,source,last_refreshed,imported_at) VALUES"
                 " ('AAA','alphavantage','2025-01-07','t'),('BBB','aitrader',NULL,'t'),"
                 " ('CCC','aitrader',NULL,'t'),('QQQ','alphavantage',NULL,'t'),"
                 " ('AAPL','alphavantage',NULL,'t')");
}

static void test_money_queries(struct db *db)
{
    money_t v = -1;
    is_int(prices_open(db, "AAA", "2025-01-07", &v, err, sizeof(err)), PRICES_FOUND,
           "open of a partial bar");
    is_int(v, 11300000, "open value");
    v = -1;
    is_int(prices_close(db, "AAA", "2025-01-07", &v, err, sizeof(err)), PRICES_MISSING,
           "no close on 01-07");
    is_int(v, -1, "out untouched when absent");
    is_int(prices_close(db, "AAA", "2025-01-06", &v, err, sizeof(err)), PRICES_FOUND,
           "close on 01-06");
    is_int(v, 11250000, "close value");
    is_int(prices_open(db, "ZZZ", "2025-01-06", &v, err, sizeof(err)), PRICES_MISSING,
           "unknown symbol: 0");
    is_int(prices_last_close(db, "AAA", "2025-01-07", &v, err, sizeof(err)), PRICES_FOUND,
           "last close");
    is_int(v, 11250000, "last close skips the open-only day");
    is_int(prices_last_close(db, "AAA", "2025-01-05", &v, err, sizeof(err)), PRICES_FOUND,
           "weekend close");
    is_int(v, 10550000, "last close on or before Sunday is Saturday's bar");
    v = -1;
    is_int(prices_last_close(db, "AAA", "2025-01-02", &v, err, sizeof(err)), PRICES_MISSING,
           "none before");
    is_int(v, -1, "out untouched");
}

static void test_bars(struct db *db)
{
    struct bar bars[8];
    size_t n = 99;
    ok(prices_bars(db, "AAA", "2025-01-01", "2025-01-31", bars, 8, &n, err, sizeof(err)) == 0,
       "bars: %s", err);
    is_int(n, 4, "four AAA bars");
    is_str(bars[0].date, "2025-01-03", "oldest first");
    is_str(bars[0].high, "11.0000", "published text kept");
    is_str(bars[0].volume, "100", "volume text");
    is_str(bars[3].close, "", "absent close is empty text");
    is_int(bars[3].close_micro, 0, "absent close is 0");
    is_int(bars[3].open_micro, 11300000, "open micro");
    ok(prices_bars(db, "AAA", "2025-01-04", "2025-01-06", bars, 8, &n, err, sizeof(err)) == 0 &&
           n == 2,
       "inclusive range");
    ok(prices_bars(db, "AAA", "2025-01-01", "2025-01-31", bars, 1, &n, err, sizeof(err)) == 0 &&
           n == 1 && strcmp(bars[0].date, "2025-01-03") == 0,
       "at most max bars");
    ok(prices_bars(db, "AAA", "2025-01-01", "2025-01-31", bars, 0, &n, err, sizeof(err)) == 0 &&
           n == 0,
       "max 0 gives none");
}

static void test_calendar(struct db *db)
{
    struct datelist days = {0};
    char d[DATE_BUF] = "unchanged";
    ok(prices_trading_days(db, "2025-01-01", "2025-01-31", &days, err, sizeof(err)) == 0,
       "trading days: %s", err);
    is_int(days.n, 3, "weekend and open-only days excluded");
    if (days.n == 3) {
        is_str(days.d[0], "2025-01-03", "first");
        is_str(days.d[1], "2025-01-06", "second");
        is_str(days.d[2], "2025-01-08", "third");
    }
    ok(prices_trading_days(db, "2025-01-06", "2025-01-06", &days, err, sizeof(err)) == 0 &&
           days.n == 4,
       "appends to the list");
    datelist_free(&days);
    ok(days.d == NULL && days.n == 0, "datelist_free resets");

    is_int(prices_latest_trading_day(db, "2025-01-07", d, err, sizeof(err)), PRICES_FOUND,
           "latest <= 01-07");
    is_str(d, "2025-01-06", "the open-only Tuesday is not a trading day");
    prices_latest_trading_day(db, "2025-01-05", d, err, sizeof(err));
    is_str(d, "2025-01-03", "latest <= Sunday is Friday");
    prices_latest_trading_day(db, "2025-12-31", d, err, sizeof(err));
    is_str(d, "2025-01-08", "latest overall (Sunday 01-12 ignored)");
    strcpy(d, "unchanged");
    is_int(prices_latest_trading_day(db, "2025-01-02", d, err, sizeof(err)), PRICES_MISSING,
           "none before");
    is_str(d, "unchanged", "out untouched");

    is_int(prices_next_trading_day(db, "2025-01-03", d, err, sizeof(err)), PRICES_FOUND,
           "next after 01-03");
    is_str(d, "2025-01-06", "skips the weekend bar");
    prices_next_trading_day(db, "2025-01-06", d, err, sizeof(err));
    is_str(d, "2025-01-08", "skips the open-only day");
    prices_next_trading_day(db, "2024-12-31", d, err, sizeof(err));
    is_str(d, "2025-01-03", "next from before the data");
    is_int(prices_next_trading_day(db, "2025-01-08", d, err, sizeof(err)), PRICES_MISSING,
           "none after last");

    is_int(prices_prev_trading_day(db, "2025-01-06", d, err, sizeof(err)), PRICES_FOUND,
           "prev before 01-06");
    is_str(d, "2025-01-03", "prev skips the weekend");
    prices_prev_trading_day(db, "2025-01-08", d, err, sizeof(err));
    is_str(d, "2025-01-06", "prev skips the open-only day");
    is_int(prices_prev_trading_day(db, "2025-01-03", d, err, sizeof(err)), PRICES_MISSING,
           "none before first");
}

static void test_info(struct db *db)
{
    struct prices_info in;
    ok(prices_info(db, &in, err, sizeof(err)) == 0, "info: %s", err);
    is_int(in.bars, 8, "bars");
    is_int(in.symbols, 5, "symbols");
    is_int(in.trading_days, 3, "trading days");
    is_str(in.first, "2025-01-03", "first date");
    is_str(in.last, "2025-01-12", "last date");
    is_int(in.alphavantage, 3, "alphavantage symbols");
    is_int(in.aitrader, 2, "aitrader symbols");
    is_int(in.synthetic, 0, "no synthetic symbols");
    is_int(in.universe_symbols, 1, "AAPL is the one universe symbol");
    is_int(in.has_benchmark, 1, "benchmark present");
}

/* prices_summary, prices_recent_dates, prices_closes_between. */
static void test_reports(struct db *db)
{
    struct prices_summary sum;
    struct prices_series qqq = {0};
    char dates[2][DATE_BUF];
    size_t n = 9;
    ok(prices_summary(db, &sum, err, sizeof(err)) == 0, "summary");
    is_int(sum.symbols, 5, "summary symbols");
    is_str(sum.first, "2025-01-03", "summary first");
    is_str(sum.last, "2025-01-12", "summary last");
    ok(!sum.synthetic, "summary: real prices");
    ok(prices_recent_dates(db, "AAA", "2025-01-06", dates, 2, &n, err, sizeof(err)) == 0 &&
           n == 2 && strcmp(dates[0], "2025-01-06") == 0 && strcmp(dates[1], "2025-01-04") == 0,
       "recent dates, newest first, at most max");
    ok(prices_recent_dates(db, "ZZZ", "2025-01-06", dates, 2, &n, err, sizeof(err)) == 0 && n == 0,
       "no recent dates of an unknown symbol");
    ok(prices_closes_between(db, "AAA", "2025-01-03", "2025-01-07", &qqq, err, sizeof(err)) == 0,
       "closes between");
    ok(qqq.dates.n == 2 && strcmp(qqq.dates.d[0], "2025-01-04") == 0 && qqq.close[1] == 11250000,
       "closes after, up to, without the open-only bar");
    prices_series_free(&qqq);
}

/* The writes pricesimport makes and the splits read back. */
static void test_writes(struct db *db)
{
    struct prices_newbar b = {
        "AAA", "2025-01-07", {"11.3000", NULL, NULL, NULL, NULL}, 11300000, 0};
    struct prices_split *sp = NULL;
    long long count = -1;
    size_t n = 9;
    is_int(prices_compare_bar(db, &b, err, sizeof(err)), PRICES_SAME, "same open only");
    b.text[PRICES_CLOSE] = "11.5000";
    b.close_micro = 11500000;
    is_int(prices_compare_bar(db, &b, err, sizeof(err)), PRICES_CHANGED, "a new close changes");
    ok(prices_put_bar(db, &b, err, sizeof(err)) == 0, "put bar");
    money_t v = 0;
    ok(prices_close(db, "AAA", "2025-01-07", &v, err, sizeof(err)) == PRICES_FOUND && v == 11500000,
       "the close is stored");
    b.date = "2025-01-09";
    is_int(prices_compare_bar(db, &b, err, sizeof(err)), PRICES_NEW, "new bar");
    ok(prices_count_symbols(db, true, &count, err, sizeof(err)) == 0 && count == 0,
       "no synthetic symbols");
    ok(prices_put_symbol(db, "DDD", "synthetic", NULL, "t", true, err, sizeof(err)) == 0 &&
           prices_count_symbols(db, true, &count, err, sizeof(err)) == 0 && count == 1,
       "put symbol");
    is_int(prices_compare_split(db, "AAA", "2025-01-06", "2.0000", err, sizeof(err)), PRICES_NEW,
           "new split");
    ok(prices_put_split(db, "AAA", "2025-01-06", "2.0000", 2000000, "t", err, sizeof(err)) == 0,
       "put split");
    is_int(prices_compare_split(db, "AAA", "2025-01-06", "2.0000", err, sizeof(err)), PRICES_SAME,
           "same split");
    is_int(prices_compare_split(db, "AAA", "2025-01-06", "2.00", err, sizeof(err)), PRICES_CHANGED,
           "the factor text differs");
    ok(prices_splits(db, "2025-01-05", "2025-01-06", &sp, &n, err, sizeof(err)) == 0 && n == 1 &&
           strcmp(sp[0].symbol, "AAA") == 0 && sp[0].factor_micro == 2000000,
       "splits in (after, upto]");
    free(sp);
    ok(prices_splits(db, "2025-01-06", "2025-01-09", &sp, &n, err, sizeof(err)) == 0 && n == 0 &&
           !sp,
       "no splits after");
}

static void test_errors(const char *dir)
{
    char path[300];
    struct db *db = NULL;
    money_t v = 7;
    char d[DATE_BUF] = "unchanged";
    struct datelist days = {0};
    struct prices_info in;
    snprintf(path, sizeof(path), "%s/empty.db", dir);
    ok(db_open(path, DB_READWRITE, &db, err, sizeof(err)) == 0, "open an unmigrated file");
    err[0] = '\0';
    is_int(prices_open(db, "AAA", "2025-01-03", &v, err, sizeof(err)), PRICES_ERROR,
           "no table: -1");
    ok(strstr(err, "no such table") != NULL, "error explains: %s", err);
    is_int(v, 7, "out untouched on error");
    is_int(prices_next_trading_day(db, "2025-01-03", d, err, sizeof(err)), PRICES_ERROR,
           "calendar -1");
    is_int(prices_trading_days(db, "2025-01-01", "2025-01-31", &days, err, sizeof(err)), -1,
           "trading days -1");
    is_int(prices_info(db, &in, err, sizeof(err)), -1, "info -1");
    struct prices_summary sum = {.symbols = 7};
    is_int(prices_summary(db, &sum, err, sizeof(err)), -1, "summary -1");
    is_int(sum.symbols, 7, "summary untouched on error");
    ok(db_migrate(db, err, sizeof(err)) == 0, "migrate");
    ok(prices_info(db, &in, err, sizeof(err)) == 0 && in.bars == 0 && in.first[0] == '\0' &&
           in.trading_days == 0,
       "info of an empty store");
    db_close(db);
}

static void test_universe(void)
{
    is_int(universe_nasdaq100_count, 101, "101 symbols");
    int sorted = 1, valid = 1, found = 1;
    for (size_t i = 0; i < universe_nasdaq100_count; i++) {
        valid &= symbol_valid(universe_nasdaq100()[i]);
        found &= universe_contains(universe_nasdaq100()[i]);
        if (i > 0 && strcmp(universe_nasdaq100()[i - 1], universe_nasdaq100()[i]) >= 0)
            sorted = 0;
    }
    ok(sorted, "strictly ascending");
    ok(found, "each symbol found by the binary search");
    ok(valid, "every symbol is well-formed");
    ok(universe_contains("GOOG") && universe_contains("GOOGL"), "GOOG and GOOGL both");
    ok(universe_contains("AAPL") && universe_contains("ZS"), "first and last");
    ok(!universe_contains("QQQ"), "the benchmark is not tradable");
    ok(!universe_contains("FB") && !universe_contains("aapl") && !universe_contains(""),
       "FB, lower case and empty are not members");
    ok(!universe_contains(NULL), "NULL is not a member");
    ok(symbol_valid("BRK.B") && symbol_valid("BF-B") && symbol_valid("A") &&
           symbol_valid("ABCDEFGHIJKLMNO"),
       "valid tickers");
    ok(!symbol_valid("") && !symbol_valid(NULL) && !symbol_valid("aapl") &&
           !symbol_valid("AA PL") && !symbol_valid("ABCDEFGHIJKLMNOP") && !symbol_valid("A/B") &&
           !symbol_valid("$AAPL"),
       "invalid tickers");
}

int main(void)
{
    struct fixture fx;
    if (fx_open(&fx) != 0)
        return 1;
    fill(fx.db);
    test_money_queries(fx.db);
    test_bars(fx.db);
    test_calendar(fx.db);
    test_info(fx.db);
    test_reports(fx.db);
    test_writes(fx.db);
    test_errors(fx.dir);
    test_universe();

    struct datelist l = {0};
    ok(datelist_push(&l, "2025-01-01") == 0 && datelist_push(&l, "2025-01-011") == -1 && l.n == 1,
       "datelist refuses a too-long string");
    for (int i = 0; i < 200; i++)
        datelist_push(&l, "2025-01-02");
    is_int(l.n, 201, "datelist grows");
    datelist_free(&l);
    fx_close(&fx);
    return tap_done();
}
