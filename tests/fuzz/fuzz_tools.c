/* Fuzzes the tool layer with what a model sends it: tool calls by name with
 * argument text (tools_call against a model-day context on a small price
 * store, so a buy can be followed by a sell), plus search_parse_date on each
 * line, the parser of the dates in the search tool's results.
 *
 * Input: one call per line, "name arguments" (split at the first space; at
 * most 16 calls). Each input gets a fresh directory and database. */
#include "fuzz.h"
#include "market/search.h"
#include "trading/tools.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CALLS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[FUZZ_PATH_MAX], err[ERRBUF_SIZE], date[DATE_BUF];
    char *text = fuzz_cstr(data, size), *line = text, *next;
    struct tools_ctx ctx;
    struct db *db;

    fuzz_tmpdir(dir);
    db = fuzz_db(dir, fuzz_prices);
    fuzz_day(&ctx, db);
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
    db_close(db);
    fuzz_rmtree(dir);
    free(text);
    return 0;
}
