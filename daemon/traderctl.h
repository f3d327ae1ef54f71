/* traderctl: the administrator's command-line tool. Each command is one row
 * of the table in traderctl.c ({name, handler, usage, summary}); handlers live
 * in daemon/cmd_*.c and are declared here. A handler gets the arguments after
 * the command's name and returns the exit status: CTL_OK, CTL_FAIL (after
 * printing "traderctl: MESSAGE" with ctl_fail) or CTL_USAGE (ctl_usage). */
#ifndef TRADER_TRADERCTL_H
#define TRADER_TRADERCTL_H

#include "options.h"
#include "store/db.h"
#include "service/jobs.h"
#include "base/paths.h"

enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

struct ctl;
typedef int (*ctl_handler)(const struct ctl *ctl, int argc, char **argv);

struct ctl_command {
    const char *name; /* one word, or two for a group: "prices import" */
    ctl_handler run;
    const char *usage; /* the arguments after the name */
    const char *summary;
};

/* What every handler needs: the resolved paths and its own table row. */
struct ctl {
    char home[PATHS_MAX];
    char db_path[PATHS_MAX];
    const struct ctl_command *cmd;
};

/* Prints "traderctl: MESSAGE" on stderr; returns CTL_FAIL. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the running command's usage on stderr; returns CTL_USAGE. */
int ctl_usage(const struct ctl *ctl);

/* Creates the data directory, opens the database read-write and migrates it
 * to the current schema. On success *out owns the connection (db_close);
 * on failure the message is already printed. Returns 0 or -1. */
int ctl_open_db(const struct ctl *ctl, struct db **out);

/* Creates a job from a trigger body as POST /simulate/trigger would (for
 * run and update) and says what happened (a refusal's message printed). */
enum ctl_job {
    CTL_JOB_ERROR = -1, /* refused or failed */
    CTL_JOB_NONE,       /* nothing is left to simulate */
    CTL_JOB_CREATED,    /* job_id is the new job */
};
enum ctl_job ctl_create_job(struct db *db, json_object *body, char job_id[JOB_ID_BUF]);

int cmd_init(const struct ctl *ctl, int argc, char **argv);
int cmd_help(const struct ctl *ctl, int argc, char **argv);
int cmd_prices_import(const struct ctl *ctl, int argc, char **argv);
int cmd_prices_synth(const struct ctl *ctl, int argc, char **argv);
int cmd_prices_info(const struct ctl *ctl, int argc, char **argv);
int cmd_import_aitrader(const struct ctl *ctl, int argc, char **argv);
int cmd_leaderboard(const struct ctl *ctl, int argc, char **argv);
int cmd_keys_create(const struct ctl *ctl, int argc, char **argv);
int cmd_keys_list(const struct ctl *ctl, int argc, char **argv);
int cmd_keys_revoke(const struct ctl *ctl, int argc, char **argv);
int cmd_run(const struct ctl *ctl, int argc, char **argv);
int cmd_update(const struct ctl *ctl, int argc, char **argv);
int cmd_prices_fetch(const struct ctl *ctl, int argc, char **argv);
int cmd_jobs_list(const struct ctl *ctl, int argc, char **argv);
int cmd_jobs_cancel(const struct ctl *ctl, int argc, char **argv);
int cmd_db_copy(const struct ctl *ctl, int argc, char **argv);
int cmd_db_verify(const struct ctl *ctl, int argc, char **argv);
int cmd_files_sync(const struct ctl *ctl, int argc, char **argv);

#endif
