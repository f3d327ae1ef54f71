/* perf_cpu: the CPU time GET /performance's work takes in one process
 * (perf_load then perf_report_json and its serialization, in a read
 * transaction as trader-api runs them), apart from the waiting for a core
 * that a loaded machine adds to the times through nginx.
 *
 * usage: perf_cpu DATABASE [JOB_ID]; prints the median and slowest of 20
 * runs in ms of this process's CPU time. bench/performance.sh builds and
 * runs it when it finds the build's libtrader.a. */
#include "service/perf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 20

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One answer's work; its time into *ms. Returns 0 or -1 (err filled). */
static int one_run(struct db *db, const struct perf_query *q, double *ms, char *err, size_t errlen)
{
    struct perf_report r = {0};
    double t0 = cpu_ms();
    int rc = -1;
    if (db_exec(db, "BEGIN", err, errlen) != 0)
        return -1;
    if (perf_load(db, q, &r, err, errlen) == 0) {
        json_object *o = perf_report_json(&r);
        rc = o && json_object_to_json_string(o) ? 0 : err_set(err, errlen, "out of memory");
        json_object_put(o);
    }
    db_rollback(db);
    perf_report_free(&r);
    *ms = cpu_ms() - t0;
    return rc;
}

int main(int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    struct perf_query q = {.job_id = argc > 2 ? argv[2] : NULL};
    double ms[RUNS];
    struct db *db;
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: perf_cpu DATABASE [JOB_ID]\n");
        return 2;
    }
    if (db_open(argv[1], DB_READONLY, &db, err, sizeof(err)) != 0) {
        fprintf(stderr, "perf_cpu: %s\n", err);
        return 1;
    }
    for (int i = 0; i < RUNS; i++)
        if (one_run(db, &q, &ms[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "perf_cpu: %s\n", err);
            db_close(db);
            return 1;
        }
    db_close(db);
    qsort(ms, RUNS, sizeof(*ms), by_value);
    printf("%.1f %.1f\n", ms[RUNS / 2], ms[RUNS - 1]);
    return 0;
}
