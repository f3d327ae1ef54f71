/* page_trigger: POST /simulate/trigger, the one request that writes. The
 * rules (parsing, planning, the concurrency checks and the insert in one
 * transaction) are the jobs module's; this page maps its answers to HTTP and
 * keeps the process's read-write connection, which it opens on the first
 * trigger (the API's other pages read through the app's read-only one). */
#include "service/jobs.h"
#include "service/jobview.h"
#include "base/log.h"
#include "routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct db *writer_db; /* this process's read-write connection, or NULL */
static dev_t writer_dev;     /* identity of the file it was opened on */
static ino_t writer_ino;

static void writer_close(void)
{
    db_close(writer_db);
    writer_db = NULL;
}

/* (Re)opened when missing or when the database file was replaced since. */
struct db *page_writer(struct app *app, char *err, size_t errlen)
{
    static int registered;
    struct stat sb;
    if (stat(app->db_path, &sb) != 0) {
        writer_close();
        err_set(err, errlen, "database %s: %s", app->db_path, strerror(errno));
        return NULL;
    }
    if (writer_db && (sb.st_dev != writer_dev || sb.st_ino != writer_ino))
        writer_close();
    if (!writer_db) {
        if (db_open(app->db_path, DB_READWRITE, &writer_db, err, errlen) != 0)
            return NULL;
        writer_dev = sb.st_dev;
        writer_ino = sb.st_ino;
        if (!registered)
            registered = atexit(writer_close) == 0;
    }
    return writer_db;
}

int page_trigger(struct request *req, struct response *resp, struct app *app)
{
    static const int status_of[] = {
        [JOBS_ACCEPTED] = 202, [JOBS_UP_TO_DATE] = 200, [JOBS_CONFLICT] = 409};
    struct jobreq r;
    struct jobs_answer a;
    struct jobs_env env = {.configs_dir = app->configs_dir,
                           .max_concurrent = jobs_max_concurrent()};
    enum jobreq_fail why = JOBREQ_FAIL_INTERNAL;
    char msg[ERRBUF_SIZE];
    struct db *db = NULL;
    int rc;
    date_today(env.today);
    if (jobreq_parse(req->body ? req->body : "", req->body_len, &r, &why, msg, sizeof(msg)) != 0)
        goto refused;
    if (!(db = page_writer(app, msg, sizeof(msg)))) {
        jobreq_free(&r);
        goto unavailable;
    }
    db_clear_error(db);
    rc = jobs_trigger(db, &r, &env, &a, &why, msg, sizeof(msg));
    jobreq_free(&r);
    if (rc != 0)
        goto refused;
    if (a.outcome == JOBS_RUNNING) {
        rc = page_job_answer(db, a.job_id, 200, "Simulation already in progress", resp);
    } else {
        json_object *body = jobs_answer_json(&a);
        rc = body ? http_json(resp, status_of[a.outcome], body)
                  : err_set(resp->err, sizeof(resp->err), "out of memory");
    }
    jobs_answer_free(&a);
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
    return page_unavailable(resp, "trigger", msg);
}

int page_unavailable(struct response *resp, const char *what, const char *msg)
{
    /* The host's trouble (database locked past the busy timeout, disk full,
     * read-only file), not ours: nothing was written, the client may retry,
     * and the next trigger gets a fresh connection. */
    writer_close();
    log_emit(LOG_LEVEL_WARNING, "trader-api", NULL, NULL, NULL, "%s: storage unavailable: %s", what,
             msg);
    http_detail(http_error(resp, 503, "unavailable",
                           "Storage temporarily unavailable; nothing was changed, try again later"),
                "reason", msg);
    return 0;
}
