/* Fuzzes the price import of one file: the content (an Alpha Vantage
 * TIME_SERIES_DAILY, TIME_SERIES_DAILY_ADJUSTED or SPLITS answer or an
 * AI-Trader merged JSONL file, detected per file) is written to a temp file
 * and imported into a fresh database. */
#include "fuzz.h"
#include "market/pricesimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[FUZZ_PATH_MAX], path[FUZZ_PATH_MAX], err[ERRBUF_SIZE];
    const char *paths[] = {path};
    struct pricesimport_stats stats;
    struct db *db;

    fuzz_tmpdir(dir);
    db = fuzz_db(dir, NULL);
    fuzz_write(dir, "prices.json", data, size);
    fuzz_path(path, dir, "prices.json");
    pricesimport_files(db, paths, 1, &stats, err, sizeof(err));
    db_close(db);
    fuzz_rmtree(dir);
    return 0;
}
