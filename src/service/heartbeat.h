/* heartbeat: the liveness records of the workers (table `workers`, one row
 * per live traderd or batch run, keyed by a worker id unique per process
 * start). A worker writes its beat every few seconds and deletes its row
 * when it stops; /health lists the rows to tell which workers are up and
 * what they run, and a worker reaps the rows of dead ones (sim/worker.h). */
#ifndef TRADER_HEARTBEAT_H
#define TRADER_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/dates.h"
#include "base/errbuf.h"
#include "service/jobs.h"
#include "store/db.h"

#define HEARTBEAT_HOST_MAX 256 /* a hostname + NUL */
/* "hostname:pid:16 hex digits" + NUL */
#define HEARTBEAT_ID_BUF (HEARTBEAT_HOST_MAX + 40)

/* A new worker id for this process: "hostname:pid:random". */
int heartbeat_new_id(const char *hostname, char out[HEARTBEAT_ID_BUF], char *err, size_t errlen);

/* One beat as a worker writes it; job NULL or "" when idle. */
struct heartbeat_beat {
    const char *id;
    long long pid;
    const char *hostname, *version, *started_at, *now, *job;
    int threads;
};

/* Stores the beat as worker id's row (replacing its previous one). */
int heartbeat_write(struct db *db, const struct heartbeat_beat *b, char *err, size_t errlen);

/* Deletes worker id's row. Best effort: the worker is stopping (or dead)
 * and a stale row reads as "down" anyway. */
void heartbeat_clear(struct db *db, const char *id);

/* A worker's row; a NULL current_job reads as has_job false. */
struct heartbeat_row {
    char id[HEARTBEAT_ID_BUF];
    char hostname[HEARTBEAT_HOST_MAX];
    long long pid;
    long long threads;
    char started_at[TIMESTAMP_BUF];
    char last_beat[TIMESTAMP_BUF];
    bool has_job;
    char job[JOB_ID_BUF];
};

/* Every worker row, the freshest beat first, into out[0..*n) (caller
 * frees out). */
int heartbeat_list(struct db *db, struct heartbeat_row **out, size_t *n, char *err, size_t errlen);

#endif
