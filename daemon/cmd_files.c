/* cmd_files: `traderctl files sync --job ID`, a job's AI-Trader files made
 * whole on this host from the database (trading/agentfiles), with the
 * config the job ran. With many workers each host writes the files after
 * the days it ran only; this writes every day of the job's models here. */
#include "traderctl.h"

#include "base/errbuf.h"
#include "service/config.h"
#include "trading/agentfiles.h"

#include <stdio.h>
#include <string.h>

int cmd_files_sync(const struct ctl *ctl, int argc, char **argv)
{
    const char *job_id = NULL;
    char err[ERRBUF_SIZE], cerr[ERRBUF_SIZE];
    struct jobs_job job = {0};
    struct config cfg = {0};
    struct db *db = NULL;
    size_t written = 0;
    int rc = CTL_FAIL;
    for (int i = 0; i < argc; i++)
        if (opt_value(argc, argv, &i, "--job", &job_id) != OPT_MATCHED)
            return ctl_usage(ctl);
    if (!job_id || !*job_id)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    switch (jobs_get(db, job_id, &job, err, sizeof(err))) {
    case JOBS_ERROR:
        ctl_fail("%s", err);
        goto out;
    case JOBS_MISSING:
        ctl_fail("no job %.64s", job_id);
        goto out;
    case JOBS_FOUND:
        break;
    }
    if (!job.config_json ||
        config_parse(job.config_json, strlen(job.config_json), &cfg, cerr, sizeof(cerr)) != 0) {
        ctl_fail("job %s: its stored config cannot be read: %s", job.job_id,
                 job.config_json ? cerr : "none stored");
        goto out;
    }
    if (!cfg.log_path || !*cfg.log_path) {
        printf("job %s: its config writes no AI-Trader files (no log_config.log_path)\n",
               job.job_id);
        rc = CTL_OK;
        goto out;
    }
    if (agentfiles_write_job(db, &cfg, ctl->home, &job, &written, err, sizeof(err)) != 0) {
        ctl_fail("job %s: %s", job.job_id, err);
        goto out;
    }
    printf("job %s: the AI-Trader files of %zu model(s) written under %s/%s\n", job.job_id, written,
           ctl->home, cfg.log_path);
    rc = CTL_OK;
out:
    config_free(&cfg);
    jobs_job_free(&job);
    db_close(db);
    return rc;
}
