/* Unit tests for pricesimport: both file formats from fixtures written here,
 * idempotent re-imports, every rejection leaving the store unchanged, the
 * synthetic generator's determinism and shape, and (when the shared data
 * directory is present) the real Alpha Vantage and AI-Trader files. */
#include "market/prices.h"
#include "market/pricesimport.h"
#include "simfixture.h"
#include "tap.h"
#include "market/universe.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sqlite3.h>

static struct fixture fx; /* the scratch directory; its db serves the rejection tests */
static const char *dir;
static char err[512];

static const char AV_AAA[] =
    "{\n  \"Meta Data\": {\"1. Information\": \"Daily Prices (open, high, low, close) and "
    "Volumes\","
    " \"2. Symbol\": \"AAA\", \"3. Last Refreshed\": \"2025-01-07\"},\n"
    "  \"Time Series (Daily)\": {\n"
    "    \"2025-01-07\": {\"1. open\": \"11.3000\", \"2. high\": \"11.9000\", \"3. low\": "
    "\"11.0000\", \"4. close\": \"11.5000\", \"5. volume\": \"1200\"},\n"
    "    \"2025-01-06\": {\"1. open\": \"10.6000\", \"2. high\": \"12.0000\", \"3. low\": "
    "\"10.1000\", \"4. close\": \"11.2500\", \"5. volume\": \"200\"},\n"
    "    \"2025-01-03\": {\"1. open\": \"10.0000\", \"2. high\": \"11.0000\", \"3. low\": "
    "\"9.5000\", \"4. close\": \"10.5000\", \"5. volume\": \"100\"}\n  }\n}\n";

/* AAA agrees with AV_AAA; its last day (01-07) has only the open. */
static const char MERGED[] =
    "{\"Meta Data\": {\"2. Symbol\": \"AAA\", \"3. Last Refreshed\": \"2025-01-07\"}, "
    "\"Time Series (Daily)\": {\"2025-01-07\": {\"1. buy price\": \"11.3000\"}, \"2025-01-06\": "
    "{\"2. high\": \"12.0000\", \"3. low\": \"10.1000\", \"5. volume\": \"200\", \"1. buy "
    "price\": \"10.6000\", \"4. sell price\": \"11.2500\"}}}\n"
    "{\"Meta Data\": {\"2. Symbol\": \"BBB\"}, \"Time Series (Daily)\": {\"2025-01-07\": "
    "{\"1. buy price\": \"50.0000\"}, \"2025-01-06\": {\"1. buy price\": \"49.0000\", \"4. "
    "sell price\": \"49.5000\", \"2. high\": \"50.0000\", \"3. low\": \"48.0000\", \"5. "
    "volume\": \"7\"}}}\n";

static const char *write_file(const char *name, const char *text)
{
    static char paths[8][300];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 300, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

static struct db *fresh_db(const char *name)
{
    char path[300];
    struct db *db = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (db_open(path, DB_READWRITE, &db, err, sizeof(err)) != 0 ||
        db_migrate(db, err, sizeof(err)) != 0) {
        printf("# cannot create %s: %s\n", path, err);
        exit(1);
    }
    return db;
}

/* The one text value of sql (caller frees). */
static char *query_text(struct db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *s = NULL;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        s = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s ? s : strdup("(error)");
}

/* Everything the importer writes, as one string (caller frees). */
static char *fingerprint(struct db *db)
{
    return query_text(
        db, "SELECT (SELECT count(*) || ':' || coalesce(group_concat(r, ';'), '') FROM (SELECT"
            " symbol||date||open||coalesce(high,'-')||coalesce(low,'-')||coalesce(close,'-')||"
            "coalesce(volume,'-')||open_micro||coalesce(close_micro,'-') AS r FROM prices ORDER"
            " BY symbol, date)) || '|' || (SELECT coalesce(group_concat(r, ';'), '') FROM (SELECT"
            " symbol||source||coalesce(last_refreshed,'-') AS r FROM price_symbols ORDER BY"
            " symbol))");
}

/* The bars alone (price_symbols holds import times). Caller frees. */
static char *bars_fingerprint(struct db *db)
{
    return query_text(db, "SELECT group_concat(symbol||date||open||high||low||close||volume, ';')"
                          " FROM (SELECT * FROM prices ORDER BY symbol, date)");
}

/* The text of column col of the bar, "NULL" when absent (static buffer). */
static const char *bar_text(struct db *db, const char *col, const char *symbol, const char *date)
{
    static char buf[64];
    char sql[160];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof(sql), "SELECT %s FROM prices WHERE symbol = ?1 AND date = ?2", col);
    strcpy(buf, "(no row)");
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, symbol, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(buf, sizeof(buf), "%s",
                     sqlite3_column_type(st, 0) == SQLITE_NULL
                         ? "NULL"
                         : (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return buf;
}

static int import(struct db *db, struct pricesimport_stats *st, const char *a, const char *b)
{
    const char *paths[] = {a, b};
    err[0] = '\0';
    return pricesimport_files(db, paths, b ? 2 : 1, st, err, sizeof(err));
}

static void check_stats(const struct pricesimport_stats *st, size_t ins, size_t upd, size_t same,
                        const char *what)
{
    ok(st->inserted == ins && st->updated == upd && st->unchanged == same,
       "%s: %zu inserted, %zu updated, %zu unchanged (got %zu/%zu/%zu)", what, ins, upd, same,
       st->inserted, st->updated, st->unchanged);
}

static void test_alphavantage(void)
{
    struct db *db = fresh_db("av.db");
    struct pricesimport_stats st = {0};
    const char *av = write_file("daily_prices_AAA.json", AV_AAA);
    ok(import(db, &st, av, NULL) == 0, "import Alpha Vantage JSON: %s", err);
    is_int(st.files, 1, "one file");
    is_int(st.series, 1, "one series");
    check_stats(&st, 3, 0, 0, "first import");
    is_str(bar_text(db, "open", "AAA", "2025-01-07"), "11.3000", "open text as published");
    is_str(bar_text(db, "close_micro", "AAA", "2025-01-07"), "11500000", "close micro-units");
    is_str(bar_text(db, "volume", "AAA", "2025-01-03"), "100", "volume text");
    is_int(fx_int(db, "SELECT count(*) FROM price_symbols WHERE symbol='AAA' AND"
                      " source='alphavantage' AND last_refreshed='2025-01-07'"),
           1, "price_symbols row");
    char *before = fingerprint(db);
    ok(import(db, &st, av, NULL) == 0, "re-import");
    check_stats(&st, 0, 0, 3, "re-import is idempotent");
    char *after = fingerprint(db);
    is_str(after, before, "store unchanged by the re-import");
    free(before);
    free(after);

    /* The merged file's open-only last day must not erase AV's close. */
    ok(import(db, &st, write_file("m.jsonl", MERGED), NULL) == 0, "merged over AV: %s", err);
    check_stats(&st, 2, 0, 2, "merged over AV");
    is_int(st.series, 2, "two series in the JSONL file");
    is_str(bar_text(db, "close", "AAA", "2025-01-07"), "11.5000", "AV close kept");
    is_str(bar_text(db, "high", "AAA", "2025-01-07"), "11.9000", "AV high kept");
    is_str(bar_text(db, "close", "BBB", "2025-01-07"), "NULL", "BBB last day has no close");
    is_str(bar_text(db, "close_micro", "BBB", "2025-01-07"), "NULL", "nor a close micro");
    is_int(fx_int(db, "SELECT count(*) FROM price_symbols WHERE source='alphavantage'"), 1,
           "AAA keeps its label: the merged file wrote none of its bars");
    is_int(fx_int(db, "SELECT count(*) FROM price_symbols WHERE source='aitrader'"), 1,
           "BBB is labelled aitrader");
    ok(import(db, &st,
              write_file("reopen.jsonl",
                         "{\"Meta Data\": {\"2. Symbol\": \"AAA\"}, \"Time Series (Daily)\":"
                         " {\"2025-01-07\": {\"1. buy price\": \"11.3100\"}}}"),
              NULL) == 0,
       "an open-only bar with another open: %s", err);
    check_stats(&st, 0, 1, 0, "it updates the bar");
    is_str(bar_text(db, "open", "AAA", "2025-01-07"), "11.3100", "the open is replaced");
    is_str(bar_text(db, "close", "AAA", "2025-01-07"), "11.5000", "the close is not erased");
    is_str(bar_text(db, "close_micro", "AAA", "2025-01-07"), "11500000", "nor its micro-units");
    db_close(db);
}

static void test_merged(void)
{
    struct db *db = fresh_db("merged.db");
    struct pricesimport_stats st = {0};
    struct datelist days = {0};
    ok(import(db, &st, write_file("m.jsonl", MERGED), NULL) == 0, "import merged JSONL: %s", err);
    check_stats(&st, 4, 0, 0, "merged");
    is_str(bar_text(db, "open", "AAA", "2025-01-06"), "10.6000", "buy price is the open");
    is_str(bar_text(db, "close", "AAA", "2025-01-06"), "11.2500", "sell price is the close");
    is_str(bar_text(db, "close", "AAA", "2025-01-07"), "NULL", "last day: close NULL");
    is_str(bar_text(db, "open", "AAA", "2025-01-07"), "11.3000", "last day: open known");
    ok(prices_trading_days(db, "2025-01-01", "2025-01-31", &days, err, sizeof(err)) == 0 &&
           days.n == 1 && strcmp(days.d[0], "2025-01-06") == 0,
       "the open-only day is not a trading day");
    datelist_free(&days);

    /* Then the complete AV bars fill the open-only day in. */
    ok(import(db, &st, write_file("daily_prices_AAA.json", AV_AAA), NULL) == 0, "AV over merged");
    check_stats(&st, 1, 1, 1, "AV over merged");
    is_int(fx_int(db, "SELECT count(*) FROM price_symbols WHERE symbol='AAA' AND"
                      " source='alphavantage'"),
           1, "AAA relabelled by the source that wrote its bars");
    is_str(bar_text(db, "close", "AAA", "2025-01-07"), "11.5000", "close filled in");
    db_close(db);
}

/* An import of a good file plus the bad one must fail, mention every
 * fragment of want, and leave the store as it was. */
static void reject(struct db *db, const char *name, const char *text, const char *want1,
                   const char *want2)
{
    struct pricesimport_stats st = {.files = 12345};
    const char *good = write_file("good.json", AV_AAA);
    const char *bad = text ? write_file(name, text) : name;
    char *before = fingerprint(db);
    err[0] = '\0';
    int rc = import(db, &st, good, bad);
    char *after = fingerprint(db);
    ok(rc == -1 && strstr(err, want1) && (!want2 || strstr(err, want2)), "%s rejected: %s", name,
       err);
    ok(strcmp(before, after) == 0 && st.files == 12345, "%s: store and stats unchanged", name);
    ok(strstr(err, text ? name : bad) != NULL, "%s: message names the file", name);
    free(before);
    free(after);
}

static char *av_with_bar(const char *symbol, const char *date, const char *bar)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"Meta Data\": {\"2. Symbol\": \"%s\", \"3. Last Refreshed\": \"2025-01-07\"},"
             " \"Time Series (Daily)\": {\"%s\": %s}}",
             symbol, date, bar);
    return buf;
}

#define GOODBAR                                                                                    \
    "{\"1. open\": \"1.0\", \"2. high\": \"2.0\", \"3. low\": \"0.5\", \"4. close\": \"1.5\","     \
    " \"5. volume\": \"10\"}"

static void test_rejections(void)
{
    struct db *db = fx.db;
    struct pricesimport_stats st;
    ok(import(db, &st, write_file("seed.jsonl", MERGED), NULL) == 0, "a store with data");

    reject(db, "baddate.json", av_with_bar("XYZ", "2025-02-30", GOODBAR), "invalid date",
           "XYZ 2025-02-30");
    reject(db, "baddate2.json", av_with_bar("XYZ", "20250102", GOODBAR), "invalid date", NULL);
    reject(db, "nonnum.json",
           av_with_bar("XYZ", "2025-01-02",
                       "{\"1. open\": \"abc\", \"2. high\": \"2.0\", \"3. low\": \"0.5\","
                       " \"4. close\": \"1.5\", \"5. volume\": \"10\"}"),
           "XYZ 2025-01-02 \"1. open\"", "not a positive price: \"abc\"");
    reject(db, "zero.json",
           av_with_bar("XYZ", "2025-01-02",
                       "{\"1. open\": \"1.0\", \"2. high\": \"2.0\", \"3. low\": \"0.5\","
                       " \"4. close\": \"0.0000\", \"5. volume\": \"10\"}"),
           "\"4. close\"", "not a positive price");
    reject(db, "negative.json",
           av_with_bar("XYZ", "2025-01-02",
                       "{\"1. open\": \"1.0\", \"2. high\": \"2.0\", \"3. low\": \"-0.5\","
                       " \"4. close\": \"1.5\", \"5. volume\": \"10\"}"),
           "\"3. low\"", "not a positive price");
    reject(db, "number.json",
           av_with_bar("XYZ", "2025-01-02",
                       "{\"1. open\": 1.5, \"2. high\": \"2.0\", \"3. low\": \"0.5\","
                       " \"4. close\": \"1.5\", \"5. volume\": \"10\"}"),
           "\"1. open\"", "not a JSON string");
    reject(db, "volume.json",
           av_with_bar("XYZ", "2025-01-02",
                       "{\"1. open\": \"1.0\", \"2. high\": \"2.0\", \"3. low\": \"0.5\","
                       " \"4. close\": \"1.5\", \"5. volume\": \"12.5\"}"),
           "\"5. volume\"", "whole number");
    reject(db, "noclose.json",
           av_with_bar("XYZ", "2025-01-02",
                       "{\"1. open\": \"1.0\", \"2. high\": \"2.0\", \"3. low\": \"0.5\","
                       " \"5. volume\": \"10\"}"),
           "\"4. close\"", "missing");
    reject(db, "symbol.json", av_with_bar("aapl", "2025-01-02", GOODBAR), "invalid symbol", "aapl");
    reject(db, "longsym.json", av_with_bar("ABCDEFGHIJKLMNOPQ", "2025-01-02", GOODBAR),
           "invalid symbol", NULL);
    reject(db, "nosymbol.json",
           "{\"Meta Data\": {}, \"Time Series (Daily)\": {\"2025-01-02\": " GOODBAR "}}",
           "\"2. Symbol\"", "missing");
    reject(db, "nobars.json",
           "{\"Meta Data\": {\"2. Symbol\": \"XYZ\"}, \"Time Series (Daily)\": {}}",
           "no daily bars", NULL);
    reject(db, "unknown.json", "{\"foo\": 1}", "unknown format", NULL);
    reject(db, "unknownbars.json",
           av_with_bar("XYZ", "2025-01-02", "{\"open\": \"1.0\", \"close\": \"1.0\"}"),
           "unknown format", NULL);
    reject(db, "array.json", "[1, 2]", "unknown format", NULL);
    reject(db, "text.json", "hello", "unknown format", NULL);
    reject(db, "empty.json", "  \n", "empty file", NULL);
    reject(db, "truncated.json", "{\"Meta Data\": {\"2. Symbol\": \"XYZ\"}, \"Time Se",
           "truncated JSON", NULL);
    reject(db, "invalid.json", "{\"Meta Data\": {\"2. Symbol\": \"XYZ\",}}", "invalid JSON", NULL);
    reject(db, "error.json",
           "{\"Error Message\": \"Invalid API call. Please retry or visit the documentation.\"}",
           "Alpha Vantage", "\"Invalid API call. Please retry");
    reject(db, "note.json",
           "{\"Note\": \"Thank you for using Alpha Vantage! Our standard API call "
           "frequency is 5 calls per minute and 500 calls per day.\"}",
           "Note", "Thank you for using Alpha Vantage");
    reject(db, "info.json",
           "{\"Information\": \"The **demo** API key is for demo purposes only.\"}", "Information",
           "demo");
    char longmsg[2000] = "{\"Note\": \"";
    memset(longmsg + strlen(longmsg), 'x', 1500);
    strcpy(longmsg + 10 + 1500, "\"}");
    reject(db, "longnote.json", longmsg, "Note", NULL);
    ok(strlen(err) < 400, "a long Alpha Vantage message is cut (%zu chars)", strlen(err));

    /* In the merged format only the latest day may lack its close. */
    reject(db, "gap.jsonl",
           "{\"Meta Data\": {\"2. Symbol\": \"XYZ\"}, \"Time Series (Daily)\": {\"2025-01-07\": "
           "{\"1. buy price\": \"1.0\"}, \"2025-01-06\": {\"1. buy price\": \"1.0\"}}}",
           "XYZ 2025-01-06 \"2. high\"", "missing");
    reject(db, "badline.jsonl",
           "{\"Meta Data\": {\"2. Symbol\": \"XYZ\"}, \"Time Series (Daily)\": {\"2025-01-07\": "
           "{\"1. buy price\": \"1.0\"}}}\n{\"Meta Data\": {\"2. Symbol\": \"XYZ\"}, \"Time "
           "Series (Daily)\": {\"2025-01-07\": {\"1. buy price\": \"x\"}}}\n",
           "badline.jsonl line 2", "\"1. buy price\"");
    reject(db, "/nonexistent/prices.json", NULL, "cannot open", NULL);
    reject(db, dir, NULL, "not a regular file", NULL);

    char big[300];
    snprintf(big, sizeof(big), "%s/big.json", dir);
    int fd = open(big, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ok(fd >= 0 && ftruncate(fd, PRICESIMPORT_MAX_FILE + 1) == 0, "a sparse file over the limit");
    if (fd >= 0)
        close(fd);
    reject(db, big, NULL, "too large", NULL);
    unlink(big);

    /* Reading the store itself would release the import's own locks. */
    char self[300];
    snprintf(self, sizeof(self), "%s", db_filename(db));
    reject(db, self, NULL, "own database", NULL);
    snprintf(self + strlen(self), sizeof(self) - strlen(self), "-wal");
    reject(db, self, NULL, "own database", NULL);

    ok(pricesimport_files(db, NULL, 0, &st, err, sizeof(err)) == -1, "no files: %s", err);
}

static void test_synth(void)
{
    struct db *a = fresh_db("synth-a.db"), *b = fresh_db("synth-b.db"), *c = fresh_db("synth-c.db");
    struct pricesimport_stats st;
    struct prices_info in;
    size_t nsym = universe_nasdaq100_count + 1;
    err[0] = '\0';
    ok(pricesimport_synth(a, PRICESIMPORT_SYNTH_START, PRICESIMPORT_SYNTH_DAYS, 7, &st, err,
                          sizeof(err)) == 0,
       "synth: %s", err);
    check_stats(&st, nsym * 85, 0, 0, "synth inserts every bar");
    ok(pricesimport_synth(b, "2025-01-02", 85, 7, &st, err, sizeof(err)) == 0, "synth again");
    ok(pricesimport_synth(c, "2025-01-02", 85, 8, &st, err, sizeof(err)) == 0, "other seed");
    char *fa = bars_fingerprint(a), *fb = bars_fingerprint(b), *fc = bars_fingerprint(c);
    is_str(fa, fb, "same seed, identical rows");
    ok(strcmp(fa, fc) != 0, "another seed, other rows");
    free(fa);
    free(fb);
    free(fc);

    ok(prices_info(a, &in, err, sizeof(err)) == 0, "info");
    is_int(in.symbols, (long long)nsym, "the universe plus QQQ");
    is_int(in.universe_symbols, 101, "all 101 universe symbols");
    is_int(in.has_benchmark, 1, "benchmark");
    is_int(in.trading_days, 85, "85 trading days");
    is_str(in.first, "2025-01-02", "first date");
    is_str(in.last, "2025-04-30", "last date");
    is_int(in.synthetic, (long long)nsym, "labelled synthetic");
    is_int(fx_int(a, "SELECT count(*) FROM prices WHERE CAST(high AS REAL) < max(open_micro,"
                     " close_micro) / 1e6 OR CAST(low AS REAL) > min(open_micro, close_micro) / 1e6"
                     " OR CAST(low AS REAL) <= 0"),
           0, "low <= open, close <= high; low > 0");
    is_int(fx_int(a, "SELECT count(*) FROM prices WHERE open NOT GLOB '*[0-9].[0-9][0-9][0-9][0-9]'"
                     " OR close NOT GLOB '*[0-9].[0-9][0-9][0-9][0-9]'"
                     " OR volume GLOB '*[^0-9]*' OR open_micro % 100 != 0"),
           0, "four decimals, integer volumes");
    is_int(fx_int(a, "SELECT count(*) FROM prices WHERE strftime('%w', date) IN ('0','6')"), 0,
           "weekdays only");
    is_int(fx_int(a, "SELECT count(DISTINCT open) FROM prices WHERE date = '2025-01-02'"),
           (long long)nsym, "symbols differ from each other");

    ok(pricesimport_synth(a, "2025-01-02", 85, 7, &st, err, sizeof(err)) == 0, "re-run");
    check_stats(&st, 0, 0, nsym * 85, "re-running synth is idempotent");
    char *before = fingerprint(a);
    ok(import(a, &st, write_file("m.jsonl", MERGED), NULL) == -1 && strstr(err, "SYNTHETIC"),
       "real prices refused in a synthetic store: %s", err);
    ok(pricesimport_synth(a, "2025-02-30", 85, 7, &st, err, sizeof(err)) == -1 &&
           strstr(err, "invalid start date"),
       "bad start date: %s", err);
    ok(pricesimport_synth(a, "2025-01-02", 0, 7, &st, err, sizeof(err)) == -1, "zero days: %s",
       err);
    ok(pricesimport_synth(a, "2025-01-02", PRICESIMPORT_SYNTH_MAX_DAYS + 1, 7, &st, err,
                          sizeof(err)) == -1,
       "too many days: %s", err);
    char *after = fingerprint(a);
    is_str(after, before, "refusals change nothing");
    free(before);
    free(after);

    struct db *real = fresh_db("real.db");
    ok(import(real, &st, write_file("m.jsonl", MERGED), NULL) == 0, "a real store");
    ok(pricesimport_synth(real, "2025-01-02", 5, 7, &st, err, sizeof(err)) == -1 &&
           strstr(err, "real prices"),
       "synthetic prices refused in a real store: %s", err);
    db_close(real);
    db_close(a);
    db_close(b);
    db_close(c);
}

/* Paths of the 103 Alpha Vantage files then the merged file (caller frees). */
static size_t shared_files(const char *data, char ***out)
{
    char avdir[600];
    struct dirent *e;
    size_t n = 0;
    char **v = calloc(200, sizeof(*v));
    snprintf(avdir, sizeof(avdir), "%s/alphavantage", data);
    DIR *d = opendir(avdir);
    while (d && v && n < 199 && (e = readdir(d))) {
        if (strncmp(e->d_name, "daily_prices_", 13) != 0)
            continue;
        v[n] = malloc(strlen(avdir) + strlen(e->d_name) + 2);
        sprintf(v[n++], "%s/%s", avdir, e->d_name);
    }
    if (d)
        closedir(d);
    if (v) {
        v[n] = malloc(strlen(data) + 40);
        sprintf(v[n++], "%s/nasdaq100-merged.jsonl", data);
    }
    *out = v;
    return n;
}

static void test_shared_data(void)
{
    const char *top = getenv("TOP_SRCDIR");
    char data[512];
    struct stat sb;
    snprintf(data, sizeof(data), "%s/../shared/data", top ? top : "");
    if (!top || stat(data, &sb) != 0) {
        printf("ok %d # SKIP no shared price data at %s\n", ++tap_n, data);
        return;
    }
    char **files;
    size_t n = shared_files(data, &files);
    is_int(n, 104, "103 Alpha Vantage files and the merged file");
    struct db *db = fresh_db("shared.db"), *merged = fresh_db("shared-merged.db");
    struct pricesimport_stats st;
    struct prices_info in;
    err[0] = '\0';
    ok(pricesimport_files(db, (const char *const *)files, n, &st, err, sizeof(err)) == 0,
       "import all in one transaction: %s", err);
    check_stats(&st, 10279, 0, 10100, "the merged file repeats the AV bars exactly");
    is_str(bar_text(db, "open", "AAPL", "2025-10-29"), "269.2750", "AAPL 2025-10-29 open");
    is_str(bar_text(db, "close", "AAPL", "2025-10-29"), "269.7000", "AAPL close kept from AV");
    is_str(bar_text(db, "close_micro", "AAPL", "2025-10-29"), "269700000", "exact micro-units");
    ok(prices_info(db, &in, err, sizeof(err)) == 0, "info");
    is_int(in.trading_days, 100, "100 trading days");
    is_int(in.symbols, 103, "103 symbols");
    is_int(in.universe_symbols, 101, "the whole universe");
    is_int(in.alphavantage, 103, "every symbol labelled by the AV files that wrote its bars");
    is_str(in.first, "2025-06-09", "first day");
    is_str(in.last, "2025-10-29", "last day");

    err[0] = '\0';
    ok(pricesimport_files(merged, (const char *const *)&files[n - 1], 1, &st, err, sizeof(err)) ==
           0,
       "the merged file alone: %s", err);
    check_stats(&st, 10100, 0, 0, "merged");
    is_str(bar_text(merged, "close", "AAPL", "2025-10-29"), "NULL", "its last day has no close");
    is_str(bar_text(merged, "open", "AAPL", "2025-10-29"), "269.2750", "but an open");
    ok(prices_info(merged, &in, err, sizeof(err)) == 0 && in.trading_days == 99,
       "99 trading days from the merged file");
    db_close(db);
    db_close(merged);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

int main(void)
{
    if (fx_open(&fx) != 0)
        return 1;
    dir = fx.dir;
    test_alphavantage();
    test_merged();
    test_rejections();
    test_synth();
    test_shared_data();
    fx_close(&fx);
    return tap_done();
}
