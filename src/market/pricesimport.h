/* pricesimport: fills the price store (prices.h, owner of the tables
 * prices, price_symbols and splits: this module parses and validates, then
 * calls it) from Alpha Vantage TIME_SERIES_DAILY, TIME_SERIES_DAILY_ADJUSTED
 * (whose split coefficients other than 1 are splits) and SPLITS JSON files,
 * AI-Trader merged JSONL files (format detected per object) or a
 * deterministic synthetic generator. The
 * published text of every value is stored as it is, with exact micro-unit
 * copies of open and close. Each call is one transaction: on any bad input
 * nothing is written. Real and synthetic prices are never mixed in one store,
 * so a simulation can never silently run on made-up data. */
#ifndef TRADER_PRICESIMPORT_H
#define TRADER_PRICESIMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

#define PRICESIMPORT_MAX_FILE (64L * 1024 * 1024)
#define PRICESIMPORT_SYNTH_START "2025-01-02"
#define PRICESIMPORT_SYNTH_DAYS 85
#define PRICESIMPORT_SYNTH_SEED 42
#define PRICESIMPORT_SYNTH_MAX_DAYS 2600 /* about ten years of weekdays */

struct pricesimport_stats {
    size_t files;     /* files read */
    size_t series;    /* symbol time series read (one per JSON object) */
    size_t inserted;  /* bars new to the store */
    size_t updated;   /* bars whose stored values changed */
    size_t unchanged; /* bars already stored exactly so */
    size_t splits;    /* split events read (new, changed or already stored) */
};

/* Imports the n files of paths in one transaction. Refuses an unknown
 * format, an Alpha Vantage error body, a bad symbol, date or value, a file
 * over PRICESIMPORT_MAX_FILE, and a store holding synthetic prices; the
 * message names the file, line, symbol, date and field. A bar without a close
 * (an AI-Trader file's last day) never erases values already stored.
 * *stats is set only on success. Returns 0 or -1. */
int pricesimport_files(struct db *db, const char *const *paths, size_t n,
                       struct pricesimport_stats *stats, char *err, size_t errlen);

/* Generates ndays weekdays of bars from start (included when a weekday) for
 * every symbol of the default universe plus the benchmark, labelled source
 * 'synthetic'. The same start, ndays and seed always give identical rows.
 * Refuses a store holding real prices. *stats is set only on success. */
int pricesimport_synth(struct db *db, const char *start, int ndays, uint64_t seed,
                       struct pricesimport_stats *stats, char *err, size_t errlen);

#endif
