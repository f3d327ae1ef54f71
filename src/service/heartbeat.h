/* heartbeat: the daemon's liveness record (table `daemon`, one row, id 1).
 * traderd writes a beat every few seconds and clears the row when it stops;
 * /health reads it to tell whether a daemon is up and what it runs. */
#ifndef TRADER_HEARTBEAT_H
#define TRADER_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/dates.h"
#include "base/errbuf.h"
#include "service/jobs.h"
#include "store/db.h"

/* One beat as traderd writes it; job NULL or "" when idle. */
struct heartbeat_beat {
    long long pid;
    const char *hostname, *version, *started_at, *now, *job;
};

/* Stores the beat as the row (replacing any). Returns 0 or -1. */
int heartbeat_write(struct db *db, const struct heartbeat_beat *b, char *err, size_t errlen);

/* Deletes the row when it is still pid's (a successor's row is kept). Best
 * effort: the daemon is stopping and a stale row reads as "down" anyway. */
void heartbeat_clear(struct db *db, long long pid);

/* The row as /health reports it; a NULL column reads as has_* false. */
struct heartbeat_row {
    long long pid;
    bool has_beat, has_job;
    char last_beat[TIMESTAMP_BUF];
    char job[JOB_ID_BUF];
};

enum heartbeat_found { HEARTBEAT_ERROR = -1, HEARTBEAT_FOUND, HEARTBEAT_NONE };

/* Reads the row into *out (set only when HEARTBEAT_FOUND). */
enum heartbeat_found heartbeat_read(struct db *db, struct heartbeat_row *out, char *err,
                                    size_t errlen);

#endif
