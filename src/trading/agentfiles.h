/* agentfiles: a model's AI-Trader files, written after each committed
 * model-day so tools built for AI-Trader can read our results:
 *   <log_path>/<signature>/position/position.jsonl   (every day of the model)
 *   <log_path>/<signature>/log/<date>/log.jsonl      (that day's messages)
 * in the line formats of aitrader.h. The database is the source of truth:
 * both files are regenerated from it; when the file on disk is a prefix of
 * the new text only the rest is appended, else a temp file is renamed over
 * it, so a repeated write never duplicates lines and a torn file is
 * replaced at the next write (they are not fsynced: every job start
 * rewrites its models' files from the database). log_path comes from the config; a relative one is
 * taken from the data directory and no log_path may lead outside it. */
#ifndef TRADER_AGENTFILES_H
#define TRADER_AGENTFILES_H

#include <stddef.h>

#include "service/config.h"
#include "service/jobs.h"
#include "store/db.h"

/* Whether the config writes the files. */
enum agentfiles_on {
    AGENTFILES_ERROR = -1, /* log_path or the signature would leave the data directory */
    AGENTFILES_OFF = 0,    /* no log_path: no files */
    AGENTFILES_ON = 1,
};

/* The day's log file as stored in positions.log_file_path (relative to the
 * data directory, e.g. "agent_data/gpt-5/log/2025-01-15/log.jsonl"): out is
 * filled when AGENTFILES_ON. */
enum agentfiles_on agentfiles_log_file_path(const char *home, const struct config *cfg,
                                            const char *signature, const char *date, char *out,
                                            size_t outlen, char *err, size_t errlen);

/* Rewrites the model's position.jsonl from all its positions rows (any job,
 * by date; cfg gives init_date, initial_cash and the symbol order) and the
 * log.jsonl of date (may be NULL) from that day's reasoning log; removes the
 * day logs of dates the database no longer holds (replaced results) and
 * writes the missing ones, holding the model's directory lock (flock) so
 * that concurrent writers of one model (threads, workers) take turns and the
 * last leaves the newest state. Returns 0 (also when the config writes no
 * files) or -1. */
int agentfiles_write(struct db *db, const struct config *cfg, const char *home,
                     const char *signature, const char *date, char *err, size_t errlen);

/* agentfiles_write (all days) of every model of cfg with model-days in
 * job: the job's files made whole from the database on this host (with many
 * workers, each host writes only after the days it ran). Every model is
 * tried; returns 0, or -1 with err naming the first model that failed.
 * *written (may be NULL) counts the models written. */
int agentfiles_write_job(struct db *db, const struct config *cfg, const char *home,
                         const struct jobs_job *job, size_t *written, char *err, size_t errlen);

#endif
