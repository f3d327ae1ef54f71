/* Unit tests for heartbeat: worker ids, rows written, read back freshest
 * first, replaced, cleared by id, and a database error. */
#include "service/heartbeat.h"
#include "simfixture.h"
#include "tap.h"

#include <stdlib.h>

static char err[512];

static void test_ids(void)
{
    char a[HEARTBEAT_ID_BUF], b[HEARTBEAT_ID_BUF], want[64];
    ok(heartbeat_new_id("host-1", a, err, sizeof(err)) == 0 &&
           heartbeat_new_id("host-1", b, err, sizeof(err)) == 0,
       "two ids");
    snprintf(want, sizeof(want), "host-1:%ld:", (long)getpid());
    ok(strncmp(a, want, strlen(want)) == 0 && strlen(a) == strlen(want) + 12,
       "hostname:pid:hex: %s", a);
    ok(strcmp(a, b) != 0, "unique per call");
}

static void test_beats(struct db *db)
{
    struct heartbeat_row *rows = NULL;
    size_t n = 9;
    struct heartbeat_beat b = {.id = "h:42:a",
                               .pid = 42,
                               .hostname = "h",
                               .version = "1.0",
                               .started_at = "2026-01-01T00:00:00.000Z",
                               .now = "2026-01-01T00:00:02.000Z",
                               .threads = 4};
    ok(heartbeat_list(db, &rows, &n, err, sizeof(err)) == 0 && n == 0, "no row yet");
    free(rows);
    ok(heartbeat_write(db, &b, err, sizeof(err)) == 0, "write an idle beat");
    b.id = "g:7:b";
    b.pid = 7;
    b.hostname = "g";
    b.now = "2026-01-01T00:00:03.000Z";
    b.job = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    ok(heartbeat_write(db, &b, err, sizeof(err)) == 0, "a second worker, busy");
    ok(heartbeat_list(db, &rows, &n, err, sizeof(err)) == 0 && n == 2, "two rows: %s", err);
    ok(n == 2 && strcmp(rows[0].id, "g:7:b") == 0 && rows[0].has_job &&
           strcmp(rows[0].job, b.job) == 0 && rows[0].pid == 7 && rows[0].threads == 4 &&
           strcmp(rows[0].hostname, "g") == 0,
       "the freshest first, read back");
    ok(n == 2 && strcmp(rows[1].id, "h:42:a") == 0 && !rows[1].has_job &&
           strcmp(rows[1].last_beat, "2026-01-01T00:00:02.000Z") == 0 &&
           strcmp(rows[1].started_at, "2026-01-01T00:00:00.000Z") == 0,
       "the idle one second");
    free(rows);
    b.id = "h:42:a";
    b.now = "2026-01-01T00:00:04.000Z";
    ok(heartbeat_write(db, &b, err, sizeof(err)) == 0, "h beats again");
    ok(heartbeat_list(db, &rows, &n, err, sizeof(err)) == 0 && n == 2 &&
           strcmp(rows[0].id, "h:42:a") == 0 && rows[0].has_job &&
           strcmp(rows[0].hostname, "h") == 0,
       "its row is replaced, not added");
    free(rows);
    heartbeat_clear(db, "h:42:a");
    ok(heartbeat_list(db, &rows, &n, err, sizeof(err)) == 0 && n == 1 &&
           strcmp(rows[0].id, "g:7:b") == 0,
       "a goodbye deletes that worker's row only");
    free(rows);
}

static void test_error(const char *dir)
{
    char path[300];
    struct db *db = NULL;
    struct heartbeat_row *rows;
    size_t n;
    snprintf(path, sizeof(path), "%s/empty.db", dir);
    ok(db_open(path, DB_READWRITE, &db, err, sizeof(err)) == 0, "open an unmigrated file");
    is_int(heartbeat_list(db, &rows, &n, err, sizeof(err)), -1, "no table: error");
    ok(strstr(err, "no such table") != NULL, "error explains: %s", err);
    db_close(db);
}

int main(void)
{
    struct fixture fx;
    if (fx_open(&fx) != 0)
        return 1;
    test_ids();
    test_beats(fx.db);
    test_error(fx.dir);
    is_int(fx_int(fx.db, "SELECT count(*) FROM sqlite_master WHERE name = 'daemon'"), 0,
           "schema 10 has no daemon table");
    fx_close(&fx);
    return tap_done();
}
