/* Fuzzes the tool layer with what a model sends it: tool calls by name with
 * argument text (tools_call against a model-day context on a small price
 * store, so a buy can be followed by a sell), plus search_parse_date on each
 * line, the parser of the dates in the search tool's results.
 *
 * Input: one call per line, "name arguments" (split at the first space; at
 * most 16 calls). Each input gets a fresh directory and database. */
#include "fuzz.h"
#include "search.h"
#include "tools.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CALLS 16

static const char PRICES[] =
    "BEGIN;"
    "INSERT INTO prices(symbol,date,open,high,low,close,volume,open_micro,close_micro) VALUES"
    " ('AAPL','2025-01-02','100','102','99','101','1000',100000000,101000000),"
    " ('AAPL','2025-01-03','101.5','103','100','99','2000',101500000,99000000),"
    " ('NVDA','2025-01-02','140','141','139','141','3000',140000000,141000000),"
    " ('NVDA','2025-01-03','141.25',NULL,NULL,NULL,NULL,141250000,NULL);"
    "INSERT INTO price_symbols(symbol,source,imported_at) VALUES"
    " ('AAPL','alphavantage','t'),('NVDA','alphavantage','t');"
    "COMMIT;";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[FUZZ_PATH_MAX], err[ERRBUF_SIZE], date[DATE_BUF];
    char *text = fuzz_cstr(data, size), *line = text, *next;
    struct tools_ctx ctx;
    struct portfolio start;
    struct db *db;

    fuzz_tmpdir(dir);
    db = fuzz_db(dir, PRICES);
    portfolio_init(&start, 10000 * MONEY_SCALE);
    if (portfolio_set(&start, "AAPL", 5) != 0 ||
        tools_ctx_init(&ctx, db, "model-a", "2025-01-03", &start, NULL, 0, err, sizeof(err)) != 0)
        abort();
    for (int i = 0; line && i < MAX_CALLS; i++, line = next) {
        char *result = NULL, *args;
        if ((next = strchr(line, '\n')))
            *next++ = '\0';
        search_parse_date(line, date);
        if ((args = strchr(line, ' ')))
            *args++ = '\0';
        tools_call(&ctx, line, args, &result, err, sizeof(err));
        free(result);
    }
    tools_ctx_free(&ctx);
    portfolio_free(&start);
    db_close(db);
    fuzz_rmtree(dir);
    free(text);
    return 0;
}
