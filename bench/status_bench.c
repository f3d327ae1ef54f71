/* status_bench: the cost of GET /simulate/status for a job of many
 * model-days, without HTTP: a temporary database with one job of N
 * model-days (a tenth of them failed, with an error message), then R
 * rounds of what the handler does (a read transaction, jobview_build_page
 * with every detail, serialization as http_send does it). Prints the
 * median and the fastest round in milliseconds and the answer's size.
 *
 *   make bench/status_bench && bench/status_bench [N [R]]   (default 10000, 20) */
#include "base/dates.h"
#include "store/db.h"
#include "base/errbuf.h"
#include "service/jobview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One job of n model-days: n / 20 dates of 20 models. */
static int fill(struct db *db, long n, char *err, size_t errlen)
{
    static const char job[] =
        "INSERT INTO jobs(job_id, config_path, status, date_range, models, created_at)"
        " VALUES('bench', 'c', 'running', '[]', '[]', '2025-01-01T00:00:00.000Z')";
    static const char day[] =
        "INSERT INTO job_details(job_id, date, model, status, started_at, completed_at,"
        " duration_seconds, error) VALUES('bench', ?1, ?2, ?3, '2026-11-27T10:00:00.000Z',"
        " '2026-11-27T10:00:12.345Z', 12.345, ?4)";
    if (db_exec(db, "BEGIN", err, errlen) != 0 || db_exec(db, job, err, errlen) != 0)
        return -1;
    struct db_stmt *st = db_stmt(db, day, err, errlen);
    for (long i = 0; st && i < n; i++) {
        char date[DATE_BUF], model[32];
        long d = i / 20; /* 336 dates a year: 12 months of 28 days */
        snprintf(date, sizeof(date), "%04ld-%02ld-%02ld", 2000 + d / 336, 1 + d / 28 % 12,
                 1 + d % 28);
        snprintf(model, sizeof(model), "model-%02ld", i % 20);
        int failed = i % 10 == 0;
        db_bind_text(st, 1, date);
        db_bind_text(st, 2, model);
        db_bind_text(st, 3, failed ? "failed" : "completed");
        db_bind_text(st, 4, failed ? "step 3: transient LLM error: HTTP 503 \"overloaded\"" : NULL);
        if (db_step_done(db, st, "insert", err, errlen) != 0)
            return -1;
    }
    return st ? db_exec(db, "COMMIT", err, errlen) : -1;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000, rounds = argc > 2 ? atol(argv[2]) : 20;
    char dir[] = "/tmp/status-bench-XXXXXX", path[64], err[ERRBUF_SIZE];
    struct db *db = NULL;
    double *ms = calloc((size_t)(rounds > 0 ? rounds : 1), sizeof(*ms));
    size_t bytes = 0;
    int rc = 1;
    if (n < 1 || n > JOBVIEW_DETAILS_MAX || rounds < 1 || !ms || !mkdtemp(dir)) {
        fprintf(stderr, "usage: status_bench [N (1..%d) [ROUNDS]]\n", JOBVIEW_DETAILS_MAX);
        free(ms);
        return 2;
    }
    snprintf(path, sizeof(path), "%s/trader.db", dir);
    if (db_open(path, DB_READWRITE, &db, err, sizeof(err)) != 0 ||
        db_migrate(db, err, sizeof(err)) != 0 || fill(db, n, err, sizeof(err)) != 0)
        goto out;
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL);
    struct jobview_details all = {NULL, n, 0};
    for (long r = 0; r < rounds; r++) {
        json_object *job = NULL;
        double t0 = time_monotonic();
        if (db_exec(db, "BEGIN", err, sizeof(err)) != 0 ||
            jobview_build_page(db, "bench", &all, &job, err, sizeof(err)) != 1)
            goto out;
        const char *text = json_object_to_json_string_length(
            job, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &bytes);
        db_exec(db, "COMMIT", err, sizeof(err));
        ms[r] = (time_monotonic() - t0) * 1000.0;
        json_object_put(job);
        if (!text)
            goto out;
    }
    qsort(ms, (size_t)rounds, sizeof(*ms), cmp_double);
    printf("status of %ld model-days: median %.2f ms, fastest %.2f ms, %zu bytes (%ld rounds)\n", n,
           ms[rounds / 2], ms[0], bytes, rounds);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "status_bench: %s\n", err);
    db_close(db);
    unlink(path);
    snprintf(path, sizeof(path), "%s/trader.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/trader.db-shm", dir);
    unlink(path);
    rmdir(dir);
    free(ms);
    return rc;
}
