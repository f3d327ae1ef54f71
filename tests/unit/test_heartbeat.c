/* Unit tests for heartbeat: the daemon row written, read back, replaced,
 * cleared only by its own pid, and a database error. */
#include "service/heartbeat.h"
#include "simfixture.h"
#include "tap.h"

static char err[512];

static void test_beats(struct db *db)
{
    struct heartbeat_row row = {.pid = 5};
    struct heartbeat_beat b = {
        42, "host", "1.0", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:02.000Z", NULL};
    is_int(heartbeat_read(db, &row, err, sizeof(err)), HEARTBEAT_NONE, "no row yet");
    is_int(row.pid, 5, "out untouched when none");
    ok(heartbeat_write(db, &b, err, sizeof(err)) == 0, "write an idle beat");
    is_int(heartbeat_read(db, &row, err, sizeof(err)), HEARTBEAT_FOUND, "row found");
    ok(row.pid == 42 && row.has_beat && strcmp(row.last_beat, b.now) == 0 && !row.has_job,
       "idle beat read back");
    b.job = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    b.now = "2026-01-01T00:00:04.000Z";
    ok(heartbeat_write(db, &b, err, sizeof(err)) == 0, "write a busy beat");
    ok(heartbeat_read(db, &row, err, sizeof(err)) == HEARTBEAT_FOUND && row.has_job &&
           strcmp(row.job, b.job) == 0 && strcmp(row.last_beat, b.now) == 0,
       "the row is replaced");
    is_int(fx_int(db, "SELECT count(*) FROM daemon"), 1, "one row");
    heartbeat_clear(db, 7);
    is_int(heartbeat_read(db, &row, err, sizeof(err)), HEARTBEAT_FOUND,
           "another pid's goodbye keeps it");
    heartbeat_clear(db, 42);
    is_int(heartbeat_read(db, &row, err, sizeof(err)), HEARTBEAT_NONE, "its own goodbye clears it");
}

static void test_error(const char *dir)
{
    char path[300];
    struct db *db = NULL;
    struct heartbeat_row row;
    snprintf(path, sizeof(path), "%s/empty.db", dir);
    ok(db_open(path, DB_READWRITE, &db, err, sizeof(err)) == 0, "open an unmigrated file");
    is_int(heartbeat_read(db, &row, err, sizeof(err)), HEARTBEAT_ERROR, "no table: error");
    ok(strstr(err, "no such table") != NULL, "error explains: %s", err);
    db_close(db);
}

int main(void)
{
    struct fixture fx;
    if (fx_open(&fx) != 0)
        return 1;
    test_beats(fx.db);
    test_error(fx.dir);
    fx_close(&fx);
    return tap_done();
}
