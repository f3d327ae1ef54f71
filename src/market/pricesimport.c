/* pricesimport: see pricesimport.h. Files are parsed whole (bounded) with
 * json-c as a sequence of JSON objects, so one reader serves both the one
 * object of an Alpha Vantage file and the one-object-per-line merged file;
 * the bar keys tell the formats apart. Every bar goes through store_bar,
 * which compares with the stored row to count what changed. */
#include "market/pricesimport.h"

#include "base/dates.h"
#include "store/dataver.h"
#include "base/errbuf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/money.h"
#include "market/prices.h"
#include "market/universe.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define TEXT_MAX sizeof(((struct bar *)0)->open) /* what prices_bars can return */
#define REFRESHED_MAX 32
#define UNKNOWN_FORMAT                                                                             \
    "unknown format: expected Alpha Vantage TIME_SERIES_DAILY, TIME_SERIES_DAILY_ADJUSTED or "     \
    "SPLITS JSON, or AI-Trader merged JSONL"

/* The JSON keys of one file format, in field order. */
struct format {
    const char *source;
    const char *keys[PRICES_NFIELDS];
    int partial_last;      /* the latest bar may hold only its open */
    const char *split_key; /* the bar's split coefficient, or NULL */
};

/* The adjusted series is told apart by its volume key; its adjusted close
 * and dividends are not used (fills and values use the prices as traded). */
static const struct format formats[] = {
    {"alphavantage", {"1. open", "2. high", "3. low", "4. close", "5. volume"}, 0, NULL},
    {"alphavantage",
     {"1. open", "2. high", "3. low", "4. close", "6. volume"},
     0,
     "8. split coefficient"},
    {"aitrader", {"1. buy price", "2. high", "3. low", "4. sell price", "5. volume"}, 1, NULL},
};

struct importer {
    struct db *db;
    char where[320]; /* "FILE line N" or "synthetic", prefixed to messages */
    char now[TIMESTAMP_BUF];
    struct pricesimport_stats stats;
    char msg[ERRBUF_SIZE]; /* copied to the caller's buffer on failure */
};

static void importer_init(struct importer *im, struct db *db)
{
    memset(im, 0, sizeof(*im));
    im->db = db;
    time_now_iso(im->now);
}

/* Hands the message to the caller; returns -1. */
static int importer_failed(const struct importer *im, char *err, size_t errlen)
{
    return err_set(err, errlen, "%s", im->msg);
}

/* Fills err with "WHERE: SYMBOL DATE "FIELD": why" (parts may be NULL). */
static int fail(struct importer *im, const char *symbol, const char *date, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(struct importer *im, const char *symbol, const char *date, const char *field,
                const char *fmt, ...)
{
    char why[256], ctx[160] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(ctx, sizeof(ctx), "%s%.20s%s%.40s%s%.20s%s", symbol ? " " : "", symbol ? symbol : "",
             date ? " " : "", date ? date : "", field ? " \"" : "", field ? field : "",
             field ? "\"" : "");
    return err_set(im->msg, sizeof(im->msg), "%s:%s%s%s", im->where, ctx, ctx[0] ? ": " : " ", why);
}

/* Begins the transaction, refusing to mix real and synthetic prices. */
static int begin_kind(struct importer *im, int synthetic)
{
    long long other;
    if (db_begin_immediate(im->db, im->msg, sizeof(im->msg)) != 0)
        return -1;
    if (prices_count_symbols(im->db, !synthetic, &other, im->msg, sizeof(im->msg)) != 0)
        goto fail;
    if (other > 0) {
        err_set(im->msg, sizeof(im->msg),
                synthetic ? "the price store holds real prices; synthetic ones would mix with "
                            "them (use a new data directory)"
                          : "the price store holds SYNTHETIC prices; import real prices into a "
                            "new data directory");
        goto fail;
    }
    return 0;
fail:
    db_rollback(im->db);
    return -1;
}

static int finish(struct importer *im, struct pricesimport_stats *stats)
{
    if (dataver_bump(im->db, im->msg, sizeof(im->msg)) != 0 ||
        db_commit(im->db, im->msg, sizeof(im->msg)) != 0)
        return -1;
    *stats = im->stats;
    return 0;
}

/* Re-labels the database message with the bar it concerns. */
static int bar_db_fail(struct importer *im, const struct prices_newbar *b)
{
    char why[ERRBUF_SIZE];
    memcpy(why, im->msg, sizeof(why));
    return fail(im, b->symbol, b->date, NULL, "%s", why);
}

static int store_bar(struct importer *im, const struct prices_newbar *b)
{
    enum prices_stored was = prices_compare_bar(im->db, b, im->msg, sizeof(im->msg));
    if (was == PRICES_STORE_ERROR)
        return bar_db_fail(im, b);
    if (was == PRICES_SAME) {
        im->stats.unchanged++;
        return 0;
    }
    if (prices_put_bar(im->db, b, im->msg, sizeof(im->msg)) != 0)
        return bar_db_fail(im, b);
    if (was == PRICES_NEW)
        im->stats.inserted++;
    else
        im->stats.updated++;
    return 0;
}

static int put_symbol(struct importer *im, const char *symbol, const char *source,
                      const char *refreshed, int wrote)
{
    return prices_put_symbol(im->db, symbol, source, refreshed, im->now, wrote, im->msg,
                             sizeof(im->msg));
}

/* ---- values ------------------------------------------------------------ */

static int check_price(struct importer *im, const struct prices_newbar *b, const struct format *fmt,
                       int f, money_t *micro)
{
    const char *s = b->text[f];
    money_t v;
    if (strlen(s) >= TEXT_MAX || money_parse(s, &v) != 0 || v <= 0)
        return fail(im, b->symbol, b->date, fmt->keys[f], "not a positive price: \"%.40s\"", s);
    if (micro)
        *micro = v;
    return 0;
}

static int check_volume(struct importer *im, const struct prices_newbar *b,
                        const struct format *fmt)
{
    const char *s = b->text[PRICES_VOLUME];
    size_t n = strspn(s, "0123456789");
    if (n == 0 || s[n] != '\0' || n > 18)
        return fail(im, b->symbol, b->date, fmt->keys[PRICES_VOLUME],
                    "not a whole number of shares: \"%.40s\"", s);
    return 0;
}

/* Validates the present fields and fills the micro-unit copies. */
static int check_bar(struct importer *im, struct prices_newbar *b, const struct format *fmt)
{
    if (check_price(im, b, fmt, PRICES_OPEN, &b->open_micro) != 0 ||
        (b->text[PRICES_HIGH] && check_price(im, b, fmt, PRICES_HIGH, NULL) != 0) ||
        (b->text[PRICES_LOW] && check_price(im, b, fmt, PRICES_LOW, NULL) != 0) ||
        (b->text[PRICES_CLOSE] && check_price(im, b, fmt, PRICES_CLOSE, &b->close_micro) != 0) ||
        (b->text[PRICES_VOLUME] && check_volume(im, b, fmt) != 0))
        return -1;
    return 0;
}

/* ---- JSON objects ------------------------------------------------------ */

/* The string at key of obj into *out; an absent key gives NULL unless
 * required. Published values are text: a JSON number would lose digits. */
static int get_text(struct importer *im, const struct prices_newbar *b, json_object *obj,
                    const char *key, int required, const char **out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v)) {
        *out = NULL;
        return required ? fail(im, b->symbol, b->date, key, "missing") : 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return fail(im, b->symbol, b->date, key, "not a JSON string");
    *out = json_object_get_string(v);
    return 0;
}

/* Stores the split of symbol effective on date with the published factor
 * text (key names it in messages). A factor of exactly 1 is no split: it is
 * skipped when skip_one (an adjusted series has one on every bar). */
static int import_split(struct importer *im, const char *symbol, const char *date, const char *key,
                        const char *factor, int skip_one)
{
    struct prices_newbar b = {.symbol = symbol, .date = date};
    money_t micro;
    if (strlen(factor) >= PRICES_FACTOR_MAX || money_parse(factor, &micro) != 0 || micro <= 0)
        return fail(im, symbol, date, key, "not a positive split factor: \"%.40s\"", factor);
    if (micro == MONEY_SCALE && skip_one)
        return 0;
    enum prices_stored was =
        prices_compare_split(im->db, symbol, date, factor, im->msg, sizeof(im->msg));
    if (was == PRICES_STORE_ERROR)
        return bar_db_fail(im, &b);
    im->stats.splits++;
    if (was == PRICES_SAME)
        return 0;
    if (prices_put_split(im->db, symbol, date, factor, micro, im->now, im->msg, sizeof(im->msg)) !=
        0)
        return bar_db_fail(im, &b);
    return 0;
}

/* An Alpha Vantage SPLITS answer: {"symbol": S, "data": [{"effective_date":
 * D, "split_factor": F}, ...]} (an empty list is a symbol without splits). */
static int import_splits(struct importer *im, json_object *obj)
{
    struct prices_newbar none = {0};
    const char *symbol, *date, *factor;
    json_object *data;
    if (get_text(im, &none, obj, "symbol", 1, &symbol) != 0)
        return -1;
    if (!symbol_valid(symbol))
        return fail(im, NULL, NULL, "symbol", "invalid symbol \"%.20s\"", symbol);
    if (!json_object_object_get_ex(obj, "data", &data) ||
        !json_object_is_type(data, json_type_array))
        return fail(im, symbol, NULL, "data", "not a JSON array of splits");
    none.symbol = symbol;
    for (size_t i = 0; i < json_object_array_length(data); i++) {
        json_object *e = json_object_array_get_idx(data, i);
        if (!json_object_is_type(e, json_type_object))
            return fail(im, symbol, NULL, "data", "entry %zu is not a JSON object", i);
        none.date = NULL;
        if (get_text(im, &none, e, "effective_date", 1, &date) != 0)
            return -1;
        if (!date_valid(date))
            return fail(im, symbol, date, "effective_date", "invalid date (want YYYY-MM-DD)");
        none.date = date;
        if (get_text(im, &none, e, "split_factor", 1, &factor) != 0 ||
            import_split(im, symbol, date, "split_factor", factor, 0) != 0)
            return -1;
    }
    return 0;
}

static int import_bar(struct importer *im, const struct format *fmt, const char *symbol,
                      const char *date, json_object *bar, int is_last)
{
    struct prices_newbar b = {.symbol = symbol, .date = date};
    if (!json_object_is_type(bar, json_type_object))
        return fail(im, symbol, date, NULL, "the bar is not a JSON object");
    for (int f = 0; f < PRICES_NFIELDS; f++) {
        int required = f == PRICES_OPEN || !(fmt->partial_last && is_last);
        if (get_text(im, &b, bar, fmt->keys[f], required, &b.text[f]) != 0)
            return -1;
    }
    if (check_bar(im, &b, fmt) != 0)
        return -1;
    if (fmt->split_key) {
        const char *coef;
        if (get_text(im, &b, bar, fmt->split_key, 1, &coef) != 0 ||
            import_split(im, symbol, date, fmt->split_key, coef, 1) != 0)
            return -1;
    }
    return store_bar(im, &b);
}

/* The latest date of series into *last, checking every date. */
static int series_last(struct importer *im, const char *symbol, json_object *series,
                       const char **last)
{
    const char *max = NULL;
    json_object_object_foreach(series, date, bar)
    {
        (void)bar;
        if (!date_valid(date))
            return fail(im, symbol, date, NULL, "invalid date (want YYYY-MM-DD)");
        if (!max || strcmp(date, max) > 0)
            max = date;
    }
    if (!max)
        return fail(im, symbol, NULL, NULL, "no daily bars");
    *last = max;
    return 0;
}

/* Which format the bars of series use, judged by the first bar's open and
 * volume keys. */
static const struct format *series_format(struct importer *im, const char *symbol,
                                          json_object *series)
{
    json_object_object_foreach(series, date, bar)
    {
        for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
            if (json_object_is_type(bar, json_type_object) &&
                json_object_object_get_ex(bar, formats[i].keys[PRICES_OPEN], NULL) &&
                (formats[i].partial_last ||
                 json_object_object_get_ex(bar, formats[i].keys[PRICES_VOLUME], NULL)))
                return &formats[i];
        fail(im, symbol, date, NULL, "%s", UNKNOWN_FORMAT);
        return NULL;
    }
    return NULL; /* series_last already refused an empty series */
}

/* Alpha Vantage answers errors and rate limits with 200 and a body such as
 * {"Note": "..."}; say so, quoting it, instead of "unknown format". */
static int refuse_av_message(struct importer *im, json_object *obj)
{
    static const char *const keys[] = {"Error Message", "Note", "Information"};
    json_object *v;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_object_get_ex(obj, keys[i], &v))
            return fail(im, NULL, NULL, NULL,
                        "Alpha Vantage answered with a message instead of prices: %s: \"%.120s\"",
                        keys[i], json_object_get_string(v));
    return 0;
}

/* The symbol and last-refreshed text of a "Meta Data" object. */
static int read_meta(struct importer *im, json_object *meta, const char **symbol,
                     const char **refreshed)
{
    struct prices_newbar none = {0};
    if (get_text(im, &none, meta, "2. Symbol", 1, symbol) != 0)
        return -1;
    if (!symbol_valid(*symbol))
        return fail(im, NULL, NULL, "2. Symbol", "invalid symbol \"%.20s\"", *symbol);
    none.symbol = *symbol;
    if (get_text(im, &none, meta, "3. Last Refreshed", 0, refreshed) != 0)
        return -1;
    if (*refreshed) {
        char day[DATE_BUF];
        snprintf(day, sizeof(day), "%s", *refreshed);
        if (strlen(*refreshed) > REFRESHED_MAX || !date_valid(day))
            return fail(im, *symbol, NULL, "3. Last Refreshed", "not a date: \"%.40s\"",
                        *refreshed);
    }
    return 0;
}

static int import_object(struct importer *im, json_object *obj)
{
    json_object *meta, *series;
    const char *symbol, *refreshed, *last = NULL;
    const struct format *fmt;
    size_t written = im->stats.inserted + im->stats.updated;
    if (refuse_av_message(im, obj) != 0)
        return -1;
    if (!json_object_object_get_ex(obj, "Meta Data", NULL) &&
        json_object_object_get_ex(obj, "data", NULL))
        return import_splits(im, obj);
    if (!json_object_object_get_ex(obj, "Meta Data", &meta) ||
        !json_object_is_type(meta, json_type_object) ||
        !json_object_object_get_ex(obj, "Time Series (Daily)", &series) ||
        !json_object_is_type(series, json_type_object))
        return fail(im, NULL, NULL, NULL, "%s", UNKNOWN_FORMAT);
    if (read_meta(im, meta, &symbol, &refreshed) != 0 ||
        series_last(im, symbol, series, &last) != 0 || !(fmt = series_format(im, symbol, series)))
        return -1;
    json_object_object_foreach(series, date, bar)
    {
        if (import_bar(im, fmt, symbol, date, bar, strcmp(date, last) == 0) != 0)
            return -1;
    }
    im->stats.series++;
    return put_symbol(im, symbol, fmt->source, refreshed,
                      im->stats.inserted + im->stats.updated > written);
}

/* ---- files ------------------------------------------------------------- */

/* True when sb is the database or one of its -wal/-shm files. Reading one
 * of them is refused before it is opened: closing any descriptor of a file
 * drops every POSIX lock this process holds on it, the import's own
 * transaction locks included. */
static bool is_database_file(struct importer *im, const struct stat *sb)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    const char *main = db_filename(im->db);
    char name[PATH_MAX];
    struct stat db;
    for (size_t i = 0; *main && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        int n = snprintf(name, sizeof(name), "%s%s", main, suffixes[i]);
        if (n > 0 && (size_t)n < sizeof(name) && stat(name, &db) == 0 && db.st_dev == sb->st_dev &&
            db.st_ino == sb->st_ino)
            return true;
    }
    return false;
}

/* Reads path whole into *out (NUL-terminated; caller frees). */
static int read_file(struct importer *im, const char *path, char **out, size_t *len)
{
    struct stat sb;
    char why[ERRBUF_SIZE];
    if (stat(path, &sb) == 0) {
        if (is_database_file(im, &sb))
            return fail(im, NULL, NULL, NULL,
                        "this is the service's own database, not a price file");
        /* The limit named with the file's size, which file_read checks only
         * after opening: a file that cannot be opened says so first. */
        if (S_ISREG(sb.st_mode) && sb.st_size > PRICESIMPORT_MAX_FILE && access(path, R_OK) == 0)
            return fail(im, NULL, NULL, NULL, "file too large (%lld bytes, the limit is %ld)",
                        (long long)sb.st_size, PRICESIMPORT_MAX_FILE);
    }
    if (file_read(path, PRICESIMPORT_MAX_FILE, out, len, why, sizeof(why)) != 0)
        return fail(im, NULL, NULL, NULL, "%s", why);
    return 0;
}

/* Skips whitespace from pos, counting newlines into *line. */
static size_t skip_space(const char *text, size_t len, size_t pos, int *line)
{
    for (; pos < len &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' || text[pos] == '\n');
         pos++)
        *line += text[pos] == '\n';
    return pos;
}

static int count_lines(const char *text, size_t n)
{
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    return lines;
}

static void set_where(struct importer *im, const char *path, int line)
{
    snprintf(im->where, sizeof(im->where), "%.200s line %d", path, line);
}

/* Parses one object at text[pos]; *used gets its length. Caller frees the
 * returned object (json_object_put). */
static json_object *parse_object(struct importer *im, json_tokener *tok, const char *path,
                                 const char *text, size_t len, int line, size_t *used)
{
    json_object *obj;
    enum json_tokener_error je;
    if (text[0] != '{') {
        fail(im, NULL, NULL, NULL, "%s", UNKNOWN_FORMAT);
        return NULL;
    }
    json_tokener_reset(tok);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    if (obj) {
        *used = json_tokener_get_parse_end(tok);
        return obj;
    }
    je = json_tokener_get_error(tok);
    set_where(im, path, line + count_lines(text, json_tokener_get_parse_end(tok)));
    if (je == json_tokener_continue)
        fail(im, NULL, NULL, NULL, "truncated JSON: the file ends inside an object");
    else
        fail(im, NULL, NULL, NULL, "invalid JSON: %s", json_tokener_error_desc(je));
    return NULL;
}

static int import_text(struct importer *im, const char *path, const char *text, size_t len)
{
    json_tokener *tok = json_tokener_new();
    size_t pos = 0, used, nobj = 0;
    int line = 1, rc = -1;
    if (!tok)
        mem_fatal(0);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                    JSON_TOKENER_VALIDATE_UTF8);
    while ((pos = skip_space(text, len, pos, &line)) < len) {
        set_where(im, path, line);
        json_object *obj = parse_object(im, tok, path, text + pos, len - pos, line, &used);
        if (!obj)
            goto out;
        rc = import_object(im, obj);
        json_object_put(obj);
        if (rc != 0)
            goto out;
        rc = -1;
        line += count_lines(text + pos, used);
        pos += used;
        nobj++;
    }
    if (nobj == 0) {
        snprintf(im->where, sizeof(im->where), "%.200s", path);
        fail(im, NULL, NULL, NULL, "empty file: no prices");
        goto out;
    }
    rc = 0;
out:
    json_tokener_free(tok);
    return rc;
}

static int import_file(struct importer *im, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    int rc;
    snprintf(im->where, sizeof(im->where), "%.200s", path);
    if (read_file(im, path, &text, &len) != 0)
        return -1;
    rc = import_text(im, path, text, len);
    free(text);
    if (rc == 0)
        im->stats.files++;
    return rc;
}

int pricesimport_files(struct db *db, const char *const *paths, size_t n,
                       struct pricesimport_stats *stats, char *err, size_t errlen)
{
    struct importer im;
    if (n == 0)
        return err_set(err, errlen, "no files to import");
    importer_init(&im, db);
    if (begin_kind(&im, 0) != 0)
        return importer_failed(&im, err, errlen);
    for (size_t i = 0; i < n; i++) {
        if (import_file(&im, paths[i]) != 0) {
            db_rollback(db);
            return importer_failed(&im, err, errlen);
        }
    }
    return finish(&im, stats) == 0 ? 0 : importer_failed(&im, err, errlen);
}

/* ---- synthetic prices ---------------------------------------------------- */

/* Prices are in units of 1e-4 dollar (four published decimals), rates in
 * parts per million; integer arithmetic only, so every platform produces
 * the same rows. */
#define PPM 1000000LL
#define SYNTH_FLOOR 10000LL       /* $1.0000 */
#define SYNTH_CEILING 100000000LL /* $10,000.0000 */

struct synth {
    uint64_t rng;
    int64_t close;  /* previous close */
    int64_t drift;  /* mean daily return, ppm */
    int64_t beta;   /* sensitivity to the market factor, ppm */
    int64_t vol;    /* daily idiosyncratic volatility, ppm */
    int64_t volume; /* typical daily volume */
};

/* What the stocks share: a market factor per day (ppm), and the sums of their
 * overnight and intraday returns, from which the benchmark (an equal-weight
 * index of them, like QQQ of the NASDAQ-100) is built so that it agrees with
 * its members. */
struct synth_market {
    size_t ndays, members;
    int64_t *factor, *gap_sum, *day_sum;
};

#define SYNTH_MARKET_VOL 11000 /* daily volatility of the market factor, ppm */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static int64_t uniform(uint64_t *state, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(splitmix64(state) % (uint64_t)(hi - lo));
}

/* Approximately standard normal, in ppm: twelve uniforms minus six. */
static int64_t normal_ppm(uint64_t *state)
{
    int64_t sum = 0;
    for (int i = 0; i < 12; i++)
        sum += uniform(state, 0, PPM);
    return sum - 6 * PPM;
}

static int64_t clamp_price(int64_t p)
{
    return p < SYNTH_FLOOR ? SYNTH_FLOOR : p > SYNTH_CEILING ? SYNTH_CEILING : p;
}

static int64_t scale(int64_t price, int64_t ppm)
{
    return price * (PPM + ppm) / PPM;
}

static int64_t return_ppm(int64_t from, int64_t to)
{
    return (to - from) * PPM / from;
}

/* A generator seeded by the seed and a name (FNV-1a), so a symbol's series
 * does not depend on the order in which symbols are generated. */
static uint64_t synth_rng(uint64_t seed, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    return seed ^ h;
}

static void synth_market_init(struct synth_market *m, uint64_t seed, size_t ndays)
{
    uint64_t rng = synth_rng(seed, "market factor");
    m->ndays = ndays;
    m->members = 0;
    m->factor = mem_calloc(ndays, sizeof(*m->factor));
    m->gap_sum = mem_calloc(ndays, sizeof(*m->gap_sum));
    m->day_sum = mem_calloc(ndays, sizeof(*m->day_sum));
    for (size_t i = 0; i < ndays; i++)
        m->factor[i] = normal_ppm(&rng) * SYNTH_MARKET_VOL / PPM;
}

static void synth_market_free(struct synth_market *m)
{
    free(m->factor);
    free(m->gap_sum);
    free(m->day_sum);
}

static void synth_init(struct synth *s, uint64_t seed, const char *symbol, int benchmark)
{
    s->rng = synth_rng(seed, symbol);
    s->close = benchmark ? 5000000 : uniform(&s->rng, 200000, 6000000); /* $500; $20 to $600 */
    s->drift = uniform(&s->rng, -400, 1200);
    s->beta = uniform(&s->rng, 600000, 1500000);
    s->vol = uniform(&s->rng, 6000, 22000);
    s->volume = uniform(&s->rng, 1000000, 50000000);
}

/* High, low and volume around a day's open and close. */
static void synth_range(struct synth *s, int64_t v[PRICES_NFIELDS])
{
    int64_t top = v[PRICES_OPEN] > v[PRICES_CLOSE] ? v[PRICES_OPEN] : v[PRICES_CLOSE];
    int64_t bottom = v[PRICES_OPEN] < v[PRICES_CLOSE] ? v[PRICES_OPEN] : v[PRICES_CLOSE];
    v[PRICES_HIGH] = scale(top, uniform(&s->rng, 0, s->vol / 2));
    v[PRICES_LOW] = scale(bottom, -uniform(&s->rng, 0, s->vol / 2));
    v[PRICES_VOLUME] = s->volume * uniform(&s->rng, PPM / 2, 3 * PPM / 2) / PPM;
    s->close = v[PRICES_CLOSE];
}

/* Day i of a stock: a small overnight gap, then drift + beta x the market
 * factor + its own noise; the returns are added to the market's sums. */
static void synth_stock_day(struct synth *s, struct synth_market *m, size_t i,
                            int64_t v[PRICES_NFIELDS])
{
    int64_t gap = normal_ppm(&s->rng) * (s->vol / 4) / PPM;
    int64_t move = s->drift + s->beta * m->factor[i] / PPM + normal_ppm(&s->rng) * s->vol / PPM;
    v[PRICES_OPEN] = clamp_price(scale(s->close, gap));
    v[PRICES_CLOSE] = clamp_price(scale(v[PRICES_OPEN], move));
    m->gap_sum[i] += return_ppm(s->close, v[PRICES_OPEN]);
    m->day_sum[i] += return_ppm(v[PRICES_OPEN], v[PRICES_CLOSE]);
    synth_range(s, v);
}

/* Day i of the benchmark: the members' average overnight and intraday returns. */
static void synth_index_day(struct synth *s, const struct synth_market *m, size_t i,
                            int64_t v[PRICES_NFIELDS])
{
    int64_t n = m->members ? (int64_t)m->members : 1;
    v[PRICES_OPEN] = clamp_price(scale(s->close, m->gap_sum[i] / n));
    v[PRICES_CLOSE] = clamp_price(scale(v[PRICES_OPEN], m->day_sum[i] / n));
    synth_range(s, v);
}

static int synth_series(struct importer *im, const char *symbol, const struct datelist *days,
                        uint64_t seed, struct synth_market *m, int benchmark)
{
    char text[PRICES_NFIELDS][TEXT_MAX];
    int64_t v[PRICES_NFIELDS];
    struct synth s;
    synth_init(&s, seed, symbol, benchmark);
    for (size_t i = 0; i < days->n; i++) {
        struct prices_newbar b = {.symbol = symbol, .date = days->d[i]};
        if (benchmark)
            synth_index_day(&s, m, i, v);
        else
            synth_stock_day(&s, m, i, v);
        for (int f = 0; f < PRICES_NFIELDS; f++) {
            if (f == PRICES_VOLUME)
                snprintf(text[f], TEXT_MAX, "%lld", (long long)v[f]);
            else
                snprintf(text[f], TEXT_MAX, "%lld.%04lld", (long long)(v[f] / 10000),
                         (long long)(v[f] % 10000));
            b.text[f] = text[f];
        }
        b.open_micro = v[PRICES_OPEN] * 100;
        b.close_micro = v[PRICES_CLOSE] * 100;
        if (store_bar(im, &b) != 0)
            return -1;
    }
    if (!benchmark)
        m->members++;
    im->stats.series++;
    return put_symbol(im, symbol, "synthetic", days->d[days->n - 1], 1);
}

/* The first ndays weekdays from start. */
static int synth_days(const char *start, int ndays, struct datelist *out, char *err, size_t errlen)
{
    char d[DATE_BUF];
    if (!date_valid(start))
        return err_set(err, errlen, "invalid start date \"%.40s\" (want YYYY-MM-DD)", start);
    if (ndays < 1 || ndays > PRICESIMPORT_SYNTH_MAX_DAYS)
        return err_set(err, errlen, "the number of days must be 1 to %d",
                       PRICESIMPORT_SYNTH_MAX_DAYS);
    memcpy(d, start, DATE_BUF);
    while (out->n < (size_t)ndays) {
        if (date_is_weekday(d))
            datelist_push(out, d); /* d is a valid date: it fits */
        if (date_add_days(d, 1, d) != 0)
            return err_set(err, errlen, "the synthetic dates run past the year 9999");
    }
    return 0;
}

int pricesimport_synth(struct db *db, const char *start, int ndays, uint64_t seed,
                       struct pricesimport_stats *stats, char *err, size_t errlen)
{
    struct importer im;
    struct datelist days = {0};
    struct synth_market market = {0};
    int rc = -1;
    importer_init(&im, db);
    snprintf(im.where, sizeof(im.where), "synthetic");
    if (synth_days(start, ndays, &days, im.msg, sizeof(im.msg)) != 0)
        goto out;
    synth_market_init(&market, seed, days.n);
    if (begin_kind(&im, 1) != 0)
        goto out;
    /* The members first: the benchmark is built from their returns. */
    for (size_t i = 0; i <= universe_nasdaq100_count; i++) {
        int benchmark = i == universe_nasdaq100_count;
        const char *sym = benchmark ? UNIVERSE_BENCHMARK : universe_nasdaq100()[i];
        if (synth_series(&im, sym, &days, seed, &market, benchmark) != 0) {
            db_rollback(db);
            goto out;
        }
    }
    rc = finish(&im, stats);
out:
    if (rc != 0)
        importer_failed(&im, err, errlen);
    synth_market_free(&market);
    datelist_free(&days);
    return rc;
}
