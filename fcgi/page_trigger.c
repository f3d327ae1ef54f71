/* page_trigger: POST /simulate/trigger, the one request that writes. The
 * rules (parsing, planning, the concurrency checks and the insert in one
 * transaction) are the trigger module's; this page maps its answers to HTTP,
 * writing through the app's read-write connection. */
#include "service/jobs.h"
#include "service/trigger.h"
#include "service/jobview.h"
#include "base/log.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>

int page_trigger(struct request *req, struct response *resp, struct app *app)
{
    static const int status_of[] = {
        [TRIGGER_ACCEPTED] = 202, [TRIGGER_UP_TO_DATE] = 200, [TRIGGER_CONFLICT] = 409};
    struct jobreq r;
    struct trigger_answer a;
    struct trigger_env env = {.configs_dir = app->configs_dir,
                              .max_concurrent = trigger_max_concurrent()};
    enum jobreq_fail why = JOBREQ_FAIL_INTERNAL;
    char msg[ERRBUF_SIZE];
    struct db *db = NULL;
    int rc;
    date_today(env.today);
    if (jobreq_parse(req->body ? req->body : "", req->body_len, &r, &why, msg, sizeof(msg)) != 0)
        goto refused;
    if (!(db = app_writer(app, msg, sizeof(msg)))) {
        jobreq_free(&r);
        goto unavailable;
    }
    db_clear_error(db);
    rc = trigger_run(db, &r, &env, &a, &why, msg, sizeof(msg));
    jobreq_free(&r);
    if (rc != 0)
        goto refused;
    if (a.outcome == TRIGGER_RUNNING) {
        rc = page_job_answer(db, a.job_id, 200, "Simulation already in progress", resp);
    } else {
        rc = http_json(resp, status_of[a.outcome], trigger_answer_json(&a));
    }
    trigger_answer_free(&a);
    return rc;
refused:
    if (why == JOBREQ_FAIL_INTERNAL && db_transient(db))
        goto unavailable;
    if (why == JOBREQ_FAIL_INTERNAL) {
        err_set(resp->err, sizeof(resp->err), "trigger: %s", msg);
        return -1;
    }
    http_error(resp, 400, why == JOBREQ_FAIL_DATE ? "invalid_date" : "invalid_request", "%s", msg);
    return 0;
unavailable:
    return page_unavailable(app, resp, "trigger", msg);
}

int page_unavailable(struct app *app, struct response *resp, const char *what, const char *msg)
{
    /* The host's trouble (database locked past the busy timeout, disk full,
     * read-only file), not ours: nothing was written, the client may retry,
     * and the next trigger gets a fresh connection. */
    app_writer_close(app);
    log_emit(LOG_LEVEL_WARNING, "trader-api", NULL, NULL, NULL, "%s: storage unavailable: %s", what,
             msg);
    http_detail(http_error(resp, 503, "unavailable",
                           "Storage temporarily unavailable; nothing was changed, try again later"),
                "reason", msg);
    return 0;
}
