/* aiimport: loads an AI-Trader agent_data directory (aitrader.h's formats)
 * into the database as one completed job, replaying every trade through our
 * rules (portfolio.h) and reporting where the files disagree. The job's rows
 * go through jobs.h and audit.h, the model-days through daystore.h. */
#ifndef TRADER_AIIMPORT_H
#define TRADER_AIIMPORT_H

#include <stddef.h>

#include "aitrader/aitrader.h"
#include "base/money.h"
#include "store/db.h"

/* What an import did. Free with aiimport_report_free. */
struct aiimport_report {
    char job_id[AITRADER_JOB_ID_BUF];
    char **models; /* the signatures imported, sorted */
    size_t nmodels;
    size_t model_days, trades;
    char **warnings; /* every disagreement between the files and the replay */
    size_t nwarnings;
};

void aiimport_report_free(struct aiimport_report *r);

/* Imports <agent_data_dir>/<signature>/position/position.jsonl (and the
 * day's log/<date>/log.jsonl when present) for the signatures in models
 * (NULL/0: every signature directory holding a position file) as one
 * completed job with source 'import', in one transaction: nothing is written
 * unless everything is. The initial line is the starting state, its date never
 * traded; initial_cash >= 0 replaces its CASH (reported when they differ).
 * The store's splits apply at the start of each imported day, as in a
 * model-day (a "split" line of this service is only compared with the
 * replay). Every trade is replayed at the price store's open; the replayed
 * state is what is stored, and each place where the file's own positions
 * disagree with it is a warning (in the report and the job's warnings). Fails on a
 * malformed file (with file:line), on a missing price ("import prices
 * first"), and when a model already has results from the first imported
 * date on, unless replace is set, in which case those results are deleted
 * first. *report is filled only on success.
 * From a day's log: one reasoning_logs row per message (step = the number of
 * assistant messages so far, so a step starts at each completion; timestamp
 * = the line's "timestamp" when it has one, else the import's time),
 * total_steps = assistant messages, reasoning_summary = the last assistant
 * content, stop_signal = "<FINISH_SIGNAL>" seen, tool_usage = assistant
 * tool_calls by function name (a tool message answering one is not counted
 * again; one without a matching call counts by its "name"), errors = tool
 * answers that are a JSON object with "error". */
int aiimport_run(struct db *db, const char *agent_data_dir, const char *const *models,
                 size_t nmodels, money_t initial_cash, int replace, struct aiimport_report *report,
                 char *err, size_t errlen);

#endif
