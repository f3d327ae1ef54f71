/* cmd_leaderboard: `traderctl leaderboard [--job ID] [--json]`, how the
 * models of one job did against buying and holding QQQ over the same days.
 *
 * For each model: its value before the job's first day (the initial cash, or
 * where an earlier job left it), its value after its last completed day in
 * the job, and the total return between the two. The benchmark puts the
 * config's initial cash into QQQ at the open of the job's first trading day
 * (fractional shares, no fees) and values it at the close of its last one:
 * initial_cash x close / open. Default job: the latest one with results. */
#include "traderctl.h"

#include "config.h"
#include "errbuf.h"
#include "money.h"
#include "prices.h"
#include "universe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LATEST[] =
    "SELECT job_id FROM jobs WHERE EXISTS(SELECT 1 FROM positions p WHERE p.job_id ="
    " jobs.job_id) ORDER BY created_at DESC, rowid DESC LIMIT 1";
static const char SQL_JOB[] = "SELECT config_json FROM jobs WHERE job_id = ?1";
static const char SQL_SPAN[] =
    "SELECT min(date), max(date), count(DISTINCT date) FROM positions WHERE job_id = ?1";
static const char SQL_MODELS[] =
    "SELECT model, count(*),"
    " (SELECT prev_value FROM positions a WHERE a.job_id = ?1 AND a.model = p.model"
    "  ORDER BY date LIMIT 1),"
    " (SELECT portfolio_value FROM positions b WHERE b.job_id = ?1 AND b.model = p.model"
    "  ORDER BY date DESC LIMIT 1)"
    " FROM positions p WHERE job_id = ?1 GROUP BY model";

struct row {
    char model[CONFIG_SIGNATURE_MAX];
    long long days;
    money_t start, final;
    double ret; /* percent */
};

struct board {
    char job_id[64];
    char first[DATE_BUF], last[DATE_BUF];
    long long ndays;
    struct row *rows;
    size_t nrows;
    int has_benchmark;
    struct row bench;
};

static double pct(money_t start, money_t final)
{
    return start > 0 ? ((double) final - (double)start) / (double)start * 100.0 : 0.0;
}

static int by_return(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->ret != y->ret)
        return x->ret > y->ret ? -1 : 1;
    return strcmp(x->model, y->model);
}

/* Binds ?1 = text and steps once: 1 with a row, 0 without, -1 on error. */
static int first_row(struct db *db, const char *sql, const char *text, sqlite3_stmt **out,
                     char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, sql, err, errlen);
    if (!st)
        return -1;
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *out = st;
    if (rc == SQLITE_ROW)
        return 1;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(db, "query failed", err, errlen);
}

/* The config's initial cash for the benchmark (10000.0 when unreadable). */
static money_t initial_cash(struct db *db, const char *job_id)
{
    sqlite3_stmt *st;
    struct config cfg = {0};
    money_t cash = 10000 * MONEY_SCALE;
    char err[ERRBUF_SIZE];
    if (first_row(db, SQL_JOB, job_id, &st, err, sizeof(err)) != 1)
        return cash;
    const char *text = (const char *)sqlite3_column_text(st, 0);
    if (text && config_parse(text, strlen(text), &cfg, err, sizeof(err)) == 0)
        cash = cfg.initial_cash;
    sqlite3_reset(st);
    config_free(&cfg);
    return cash;
}

static int load_models(struct db *db, struct board *b, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_stmt(db, SQL_MODELS, err, errlen);
    int rc;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, b->job_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct row *r = realloc(b->rows, (b->nrows + 1) * sizeof(*r));
        if (!r)
            break;
        b->rows = r;
        r = &b->rows[b->nrows++];
        snprintf(r->model, sizeof(r->model), "%s", (const char *)sqlite3_column_text(st, 0));
        r->days = sqlite3_column_int64(st, 1);
        r->start = sqlite3_column_int64(st, 2);
        r->final = sqlite3_column_int64(st, 3);
        r->ret = pct(r->start, r->final);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return rc == SQLITE_ROW ? err_set(err, errlen, "out of memory")
                                : db_error(db, "reading positions", err, errlen);
    qsort(b->rows, b->nrows, sizeof(*b->rows), by_return);
    return 0;
}

/* QQQ bought at the first day's open, valued at the last day's close. */
static int load_benchmark(struct db *db, struct board *b, char *err, size_t errlen)
{
    money_t open, close;
    int f = prices_open(db, UNIVERSE_BENCHMARK, b->first, &open, err, errlen);
    if (f > 0)
        f = prices_close(db, UNIVERSE_BENCHMARK, b->last, &close, err, errlen);
    if (f <= 0)
        return f;
    struct row *r = &b->bench;
    snprintf(r->model, sizeof(r->model), "%s", UNIVERSE_BENCHMARK);
    r->days = b->ndays;
    r->start = initial_cash(db, b->job_id);
    r->final = (money_t)((__int128)r->start * close / open);
    r->ret = pct(r->start, r->final);
    b->has_benchmark = 1;
    return 0;
}

static int load_board(struct db *db, const char *job, struct board *b, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int f;
    if (job) {
        snprintf(b->job_id, sizeof(b->job_id), "%.63s", job);
    } else {
        if ((f = first_row(db, SQL_LATEST, NULL, &st, err, errlen)) <= 0)
            return f == 0 ? err_set(err, errlen, "no job has results yet") : -1;
        snprintf(b->job_id, sizeof(b->job_id), "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    if ((f = first_row(db, SQL_SPAN, b->job_id, &st, err, errlen)) <= 0)
        return -1;
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_reset(st);
        return err_set(err, errlen, "job %s has no results", b->job_id);
    }
    snprintf(b->first, sizeof(b->first), "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(b->last, sizeof(b->last), "%s", (const char *)sqlite3_column_text(st, 1));
    b->ndays = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (load_models(db, b, err, errlen) != 0)
        return -1;
    return load_benchmark(db, b, err, errlen);
}

static json_object *row_json(const struct row *r, const char *key)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, key, json_object_new_string(r->model));
    json_object_object_add(o, "days", json_object_new_int64(r->days));
    json_object_object_add(o, "start_value", money_to_json(r->start));
    json_object_object_add(o, "final_value", money_to_json(r->final));
    json_object_object_add(o, "total_return_pct", json_object_new_double(r->ret));
    return o;
}

static void print_json(const struct board *b)
{
    json_object *o = json_object_new_object(), *models = json_object_new_array();
    json_object_object_add(o, "job_id", json_object_new_string(b->job_id));
    json_object_object_add(o, "first_date", json_object_new_string(b->first));
    json_object_object_add(o, "last_date", json_object_new_string(b->last));
    json_object_object_add(o, "trading_days", json_object_new_int64(b->ndays));
    for (size_t i = 0; i < b->nrows; i++)
        json_object_array_add(models, row_json(&b->rows[i], "model"));
    json_object_object_add(o, "models", models);
    json_object_object_add(o, "benchmark", b->has_benchmark ? row_json(&b->bench, "symbol") : NULL);
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void print_row(const char *rank, const struct row *r, const char *name)
{
    printf("%-5s %-24s %5lld %14.2f %14.2f %+10.2f%%\n", rank, name, r->days,
           money_to_double(r->start), money_to_double(r->final), r->ret);
}

static void print_table(const struct board *b)
{
    char rank[24];
    printf("Leaderboard of job %s: %s .. %s, %lld trading days\n\n", b->job_id, b->first, b->last,
           b->ndays);
    printf("%-5s %-24s %5s %14s %14s %11s\n", "rank", "model", "days", "start value", "final value",
           "return");
    for (size_t i = 0; i < b->nrows; i++) {
        snprintf(rank, sizeof(rank), "%zu", i + 1);
        print_row(rank, &b->rows[i], b->rows[i].model);
    }
    if (b->has_benchmark)
        print_row("-", &b->bench, "QQQ buy and hold");
    else
        printf("-     QQQ buy and hold: no QQQ prices for %s .. %s\n", b->first, b->last);
}

int cmd_leaderboard(const struct ctl *ctl, int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    const char *job = NULL;
    int json = 0, rc;
    struct board b = {0};
    struct db *db;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (ctl_option(argc, argv, &i, "--job", &job) != 1)
            return ctl_usage(ctl);
    }
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    rc = load_board(db, job, &b, err, sizeof(err));
    db_close(db);
    if (rc == 0) {
        if (json)
            print_json(&b);
        else
            print_table(&b);
    }
    free(b.rows);
    return rc == 0 ? CTL_OK : ctl_fail("%s", err);
}
