/* log: structured JSON log lines on stderr, one line per event, as the
 * specification's observability section describes (timestamp, level, logger,
 * message and, when known, job_id, date and model). Thread-safe: a line is
 * built in memory and written under a lock, so lines never interleave. */
#ifndef TRADER_LOG_H
#define TRADER_LOG_H

#include <stdio.h>

enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARNING,
    LOG_LEVEL_ERROR,
    LOG_LEVEL_CRITICAL,
};

/* Lines below min are dropped (default: INFO). */
void log_set_level(enum log_level min);

/* Parses "debug", "info", "warning", "error" or "critical" (any case).
 * Returns 0 and sets *out, or -1. */
int log_level_parse(const char *s, enum log_level *out);

/* Where lines go (default: stderr); for tests. */
void log_set_stream(FILE *f);

/* Writes one line. job_id, date and model may be NULL (then omitted). */
void log_emit(enum log_level level, const char *logger, const char *job_id, const char *date,
              const char *model, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
