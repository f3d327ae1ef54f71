/* cmd_jobs: `traderctl jobs list` and `traderctl jobs cancel`, the operator's
 * view of GET /simulate/jobs and POST /simulate/cancel/{job_id} (CONTRACT
 * section 8) on the database directly, with the same rules (jobview, jobs). */
#include "traderctl.h"

#include "base/errbuf.h"
#include "service/jobs.h"
#include "service/jobview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number in 0..max from option text. */
static int count_arg(const char *name, const char *v, long long max, long long *out)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end || n < 0 || n > max)
        return ctl_fail("%s must be an integer from 0 to %lld", name, max);
    *out = n;
    return 0;
}

static long long int_at(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *str_at(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : "-";
}

/* One line per job: id, status, created, progress, dates. */
static void print_jobs(json_object *doc)
{
    json_object *jobs, *progress;
    json_object_object_get_ex(doc, "jobs", &jobs);
    printf("%-36s  %-9s  %-24s  %-13s  %s\n", "JOB", "STATUS", "CREATED", "DONE/FAIL/ALL", "DATES");
    for (size_t i = 0; i < json_object_array_length(jobs); i++) {
        json_object *j = json_object_array_get_idx(jobs, i), *dates;
        char counts[48];
        json_object_object_get_ex(j, "progress", &progress);
        json_object_object_get_ex(j, "date_range", &dates);
        size_t nd = json_object_array_length(dates);
        snprintf(counts, sizeof(counts), "%lld/%lld/%lld", int_at(progress, "completed"),
                 int_at(progress, "failed"), int_at(progress, "total_model_days"));
        printf("%-36s  %-9s  %-24.24s  %-13s  %s..%s\n", str_at(j, "job_id"), str_at(j, "status"),
               str_at(j, "created_at"), counts,
               nd ? json_object_get_string(json_object_array_get_idx(dates, 0)) : "",
               nd ? json_object_get_string(json_object_array_get_idx(dates, nd - 1)) : "");
    }
    printf("%lld of %lld job(s)\n", int_at(doc, "count"), int_at(doc, "total"));
}

int cmd_jobs_list(const struct ctl *ctl, int argc, char **argv)
{
    struct jobview_filter f = {.limit = JOBVIEW_LIST_DEFAULT};
    const char *v;
    char err[ERRBUF_SIZE];
    json_object *doc = NULL;
    struct db *db;
    int json = 0, rc = CTL_FAIL;
    for (int i = 0; i < argc; i++) {
        enum opt_match k;
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if ((k = opt_value(argc, argv, &i, "--status", &v)) == OPT_MATCHED) {
            if (!jobs_status_valid(v)) {
                ctl_fail("--status must be pending, running, completed, partial, failed or "
                         "cancelled");
                return CTL_USAGE;
            }
            f.status = v;
        } else if (k == OPT_OTHER &&
                   (k = opt_value(argc, argv, &i, "--limit", &v)) == OPT_MATCHED) {
            if (count_arg("--limit", v, JOBVIEW_LIST_MAX, &f.limit) != 0)
                return CTL_USAGE;
        } else if (k == OPT_OTHER &&
                   (k = opt_value(argc, argv, &i, "--offset", &v)) == OPT_MATCHED) {
            if (count_arg("--offset", v, 999999999, &f.offset) != 0)
                return CTL_USAGE;
        } else
            return ctl_usage(ctl);
    }
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    if (jobview_list(db, &f, &doc, err, sizeof(err)) != 0) {
        ctl_fail("%s", err);
        goto out;
    }
    if (json)
        puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
    else
        print_jobs(doc);
    rc = CTL_OK;
out:
    json_object_put(doc);
    db_close(db);
    return rc;
}

int cmd_jobs_cancel(const struct ctl *ctl, int argc, char **argv)
{
    static const char *const said[] = {
        [JOBS_CANCEL_DONE] = "cancelled",
        [JOBS_CANCEL_REQUESTED] = "cancellation requested: traderd starts no more model-days "
                                  "and marks the job cancelled when the ones in progress end",
    };
    enum jobs_cancel_outcome res;
    char err[ERRBUF_SIZE], echo[ERR_ECHO_BUF];
    struct db *db;
    int rc = CTL_FAIL;
    if (argc != 1)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    if (jobs_cancel(db, argv[0], &res, err, sizeof(err)) != 0)
        ctl_fail("%s", err);
    else if (res == JOBS_CANCEL_NOT_FOUND)
        ctl_fail("no job %s", err_echo(argv[0], echo));
    else if (res == JOBS_CANCEL_FINISHED)
        ctl_fail("job %s already finished", argv[0]);
    else {
        printf("job %s: %s\n", argv[0], said[res]);
        rc = CTL_OK;
    }
    db_close(db);
    return rc;
}
