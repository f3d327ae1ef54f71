/* Fuzzes the AI-Trader importer on the files it reads: a position.jsonl and
 * a day's log.jsonl, parsed, replayed against a small price store and stored
 * by aiimport_run, and the position file read again by aitrader_last_id.
 *
 * Input: the position.jsonl text, then optionally a line "=====" followed by
 * the log.jsonl text of 2025-01-03 (the day the seeds trade). Each input gets
 * a fresh directory and database. */
#include "aitrader/aiimport.h"
#include "aitrader/aitrader.h"
#include "fuzz.h"

#include <string.h>

#define SIG "model-a"
#define SEPARATOR "\n=====\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[FUZZ_PATH_MAX], agent[FUZZ_PATH_MAX], err[ERRBUF_SIZE];
    const uint8_t *sep = memmem(data, size, SEPARATOR, sizeof(SEPARATOR) - 1);
    size_t npos = sep ? (size_t)(sep - data) : size;
    struct aiimport_report report;
    long long id;
    struct db *db;

    fuzz_tmpdir(dir);
    db = fuzz_db(dir, fuzz_prices);
    fuzz_write(dir, "agent/" SIG "/position/position.jsonl", data, npos);
    if (sep)
        fuzz_write(dir, "agent/" SIG "/log/2025-01-03/log.jsonl", sep + sizeof(SEPARATOR) - 1,
                   size - npos - (sizeof(SEPARATOR) - 1));
    fuzz_path(agent, dir, "agent");

    aitrader_last_id(agent, SIG, &id, err, sizeof(err));
    if (aiimport_run(db, agent, NULL, 0, -1, 0, &report, err, sizeof(err)) == 0)
        aiimport_report_free(&report);

    db_close(db);
    fuzz_rmtree(dir);
    return 0;
}
