/* fuzz: see fuzz.h. */
#include "fuzz.h"

#include "base/mem.h"
#include "base/paths.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz harness setup failed: %s: %s\n", what, detail);
    abort();
}

void fuzz_tmpdir(char dir[FUZZ_PATH_MAX])
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, FUZZ_PATH_MAX, "%s/trader-fuzz-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    fuzz_rmtree(dir); /* left by a crashed run whose pid this process got */
    if (mkdir(dir, 0700) != 0)
        fail(dir, strerror(errno));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fuzz_rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fuzz_path(char out[FUZZ_PATH_MAX], const char *dir, const char *rel)
{
    if (snprintf(out, FUZZ_PATH_MAX, "%s/%s", dir, rel) >= FUZZ_PATH_MAX)
        fail("path too long", rel);
}

void fuzz_write(const char *dir, const char *rel, const void *data, size_t n)
{
    char path[FUZZ_PATH_MAX];
    FILE *f;
    fuzz_path(path, dir, rel);
    for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            fail(path, strerror(errno));
        *s = '/';
    }
    if (!(f = fopen(path, "w")) || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        fail(path, strerror(errno));
}

char *fuzz_cstr(const uint8_t *data, size_t n)
{
    char *s = mem_alloc(n + 1);
    if (n)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* A database file's bytes, cached by script: migrating a new database is
 * most of an input's cost, so the first call builds it and later calls copy
 * the bytes. The copy is never written to, so inputs still see nothing of
 * each other. */
static const char *cached_script;
static char *cached;
static size_t cached_len;

static void cache_file(const char *path, const char *script)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    free(cached);
    cached = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (cached = mem_alloc((size_t)n)) && fread(cached, 1, (size_t)n, f) != (size_t)n)
        n = -1;
    if (f)
        fclose(f);
    if (!cached || n <= 0)
        fail(path, "cannot read back the new database");
    cached_len = (size_t)n;
    cached_script = script;
}

struct db *fuzz_db(const char *dir, const char *script)
{
    char path[FUZZ_PATH_MAX], err[ERRBUF_SIZE];
    struct db *db = NULL;
    fuzz_path(path, dir, PATHS_DB_FILE_NAME);
    if (!cached || cached_script != script) {
        if (db_open(path, DB_READWRITE, &db, err, sizeof(err)) != 0 ||
            db_migrate(db, err, sizeof(err)) != 0 ||
            (script && db_exec(db, script, err, sizeof(err)) != 0))
            fail(path, err);
        db_close(db); /* checkpoints: the file alone is the database */
        cache_file(path, script);
    } else {
        fuzz_write(dir, PATHS_DB_FILE_NAME, cached, cached_len);
    }
    if (db_open(path, DB_READWRITE, &db, err, sizeof(err)) != 0)
        fail(path, err);
    return db;
}

const char fuzz_prices[] =
    "BEGIN;"
    "INSERT INTO prices(symbol,date,open,high,low,close,volume,open_micro,close_micro) VALUES"
    " ('AAPL','2025-01-02','100','102','99','101','1000',100000000,101000000),"
    " ('AAPL','2025-01-03','101.5','103','98.5','99','2000',101500000,99000000),"
    " ('AAPL','2025-01-06','99','99.5','97','98','1500',99000000,98000000),"
    " ('AAPL','2025-01-07','98.25',NULL,NULL,NULL,NULL,98250000,NULL),"
    " ('NVDA','2025-01-02','140','141','139','141','3000',140000000,141000000),"
    " ('NVDA','2025-01-03','141.25','143','140','142','2500',141250000,142000000),"
    " ('NVDA','2025-01-06','142','142','139.5','140','2800',142000000,140000000);"
    "INSERT INTO price_symbols(symbol,source,imported_at) VALUES"
    " ('AAPL','alphavantage','t'),('NVDA','alphavantage','t');"
    "COMMIT;";

void fuzz_day(struct tools_ctx *ctx, struct db *db)
{
    struct portfolio start;
    char err[ERRBUF_SIZE];
    portfolio_init(&start, 10000 * MONEY_SCALE);
    if (portfolio_set(&start, "AAPL", 5) != 0 ||
        tools_ctx_init(ctx, db, "model-a", FUZZ_DAY, &start, NULL, 0, err, sizeof(err)) != 0)
        fail("model-day context", err);
    portfolio_free(&start);
}
