/* cmd_import: `traderctl import-aitrader`, loading an AI-Trader agent_data
 * directory as one completed job (aitrader.h) and printing what it did,
 * every disagreement between the files and our replay included. */
#include "traderctl.h"

#include "aitrader/aiimport.h"
#include "aitrader/aitrader.h"
#include "base/errbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODELS_MAX 64

struct import_args {
    const char *dir;
    char models_buf[1024];
    const char *models[MODELS_MAX];
    size_t nmodels;
    money_t initial_cash; /* < 0: the files' own */
    int replace;
};

/* Splits "a,b" into args->models; every item must be non-empty. */
static int split_models(struct import_args *a, const char *list)
{
    size_t len = strlen(list);
    if (len == 0 || len >= sizeof(a->models_buf))
        return -1;
    memcpy(a->models_buf, list, len + 1);
    for (char *item = a->models_buf;;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        if (!*item || a->nmodels == MODELS_MAX)
            return -1;
        a->models[a->nmodels++] = item;
        if (!comma)
            return 0;
        item = comma + 1;
    }
}

/* AGENT_DATA_DIR [--models a,b] [--initial-cash X] [--replace], in any
 * order. Returns 0, or -1 on a usage error (message printed when useful). */
static int parse_args(int argc, char **argv, struct import_args *a)
{
    memset(a, 0, sizeof(*a));
    a->initial_cash = -1;
    for (int i = 0; i < argc; i++) {
        const char *v;
        enum opt_match rc;
        if ((rc = opt_value(argc, argv, &i, "--models", &v)) != OPT_OTHER) {
            if (rc == OPT_ERROR || split_models(a, v) != 0)
                return -1;
        } else if ((rc = opt_value(argc, argv, &i, "--initial-cash", &v)) != OPT_OTHER) {
            if (rc == OPT_ERROR || money_parse(v, &a->initial_cash) != 0 || a->initial_cash < 0) {
                ctl_fail("--initial-cash must be a non-negative amount such as 10000.0");
                return -1;
            }
        } else if (strcmp(argv[i], "--replace") == 0) {
            a->replace = 1;
        } else if (argv[i][0] == '-' || a->dir) {
            return -1;
        } else {
            a->dir = argv[i];
        }
    }
    return a->dir ? 0 : -1;
}

static void print_report(const struct aiimport_report *r, const char *dir)
{
    printf("imported %s as job %s\nmodels:", dir, r->job_id);
    for (size_t i = 0; i < r->nmodels; i++)
        printf("%s %s", i ? "," : "", r->models[i]);
    printf("\nmodel-days: %zu\ntrades: %zu\n", r->model_days, r->trades);
    if (r->nwarnings == 0) {
        printf("the files agree with the replay\n");
        return;
    }
    printf("warnings: %zu (also stored in the job's warnings)\n", r->nwarnings);
    for (size_t i = 0; i < r->nwarnings; i++)
        printf("  - %s\n", r->warnings[i]);
}

int cmd_import_aitrader(const struct ctl *ctl, int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    struct import_args a;
    struct aiimport_report r;
    struct db *db;
    if (parse_args(argc, argv, &a) != 0)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    int rc = aiimport_run(db, a.dir, a.nmodels ? a.models : NULL, a.nmodels, a.initial_cash,
                          a.replace, &r, err, sizeof(err));
    db_close(db);
    if (rc != 0)
        return ctl_fail("nothing imported: %s", err);
    print_report(&r, a.dir);
    aiimport_report_free(&r);
    return CTL_OK;
}
