/* cmd_db: `traderctl db copy|verify`, moving the whole store to another
 * (SQLite to PostgreSQL and back; store/dbcopy) and comparing two stores.
 * A location may be a URL with a password: it is shown redacted, and so is
 * every message that may quote it. */
#include "traderctl.h"

#include "base/errbuf.h"
#include "base/redact.h"
#include "store/dbcopy.h"

#include <stdio.h>
#include <string.h>

struct tally {
    size_t tables;
    long long rows;
};

static void report(void *arg, enum dbcopy_event event, const char *table, long long rows)
{
    struct tally *t = arg;
    if (event == DBCOPY_COPIED) {
        printf("%s: %lld rows copied\n", table, rows);
    } else if (event == DBCOPY_DIFFERS) {
        printf("%s: %lld rows, DIFFERENT\n", table, rows);
    } else {
        t->tables++;
        t->rows += rows;
        printf("%s: %lld rows, identical\n", table, rows);
    }
    fflush(stdout);
}

/* The value of the one option name, else NULL. */
static const char *only_option(int argc, char **argv, const char *name)
{
    const char *value = NULL;
    for (int i = 0; i < argc; i++)
        if (opt_value(argc, argv, &i, name, &value) != OPT_MATCHED)
            return NULL;
    return value && *value ? value : NULL;
}

/* What both commands do: the service's store (migrated, as every command
 * does) against the location of the one option, both shown (redacted); the
 * outcome of run, table by table. Returns the exit status. */
struct db_command {
    const char *option;
    enum db_mode mode; /* of the other store */
    const char *relation, *done;
    enum dbcopy_result (*run)(struct db *mine, struct db *theirs, dbcopy_report report, void *arg,
                              char *err, size_t errlen);
};

static int db_command(const struct ctl *ctl, int argc, char **argv, const struct db_command *c)
{
    char err[ERRBUF_SIZE], shown[PATHS_MAX], other_shown[PATHS_MAX];
    struct tally tally = {0};
    struct db *mine, *theirs;
    const char *other = only_option(argc, argv, c->option);
    if (!other)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &mine) != 0)
        return CTL_FAIL;
    if (db_open(other, c->mode, &theirs, err, sizeof(err)) != 0) {
        db_close(mine);
        redact_text(err, err, sizeof(err));
        return ctl_fail("%s", err);
    }
    paths_db_display(ctl->db_path, shown, sizeof(shown));
    paths_db_display(other, other_shown, sizeof(other_shown));
    printf("%s %s %s\n", shown, c->relation, other_shown);
    fflush(stdout);
    enum dbcopy_result rc = c->run(mine, theirs, report, &tally, err, sizeof(err));
    db_close(theirs);
    db_close(mine);
    if (rc != DBCOPY_IDENTICAL) {
        redact_text(err, err, sizeof(err));
        return ctl_fail("%s", err);
    }
    printf("%s: %zu tables, %lld rows, identical\n", c->done, tally.tables, tally.rows);
    return CTL_OK;
}

int cmd_db_copy(const struct ctl *ctl, int argc, char **argv)
{
    static const struct db_command copy = {"--to", DB_READWRITE, "->", "copied and verified",
                                           dbcopy_copy};
    return db_command(ctl, argc, argv, &copy);
}

int cmd_db_verify(const struct ctl *ctl, int argc, char **argv)
{
    static const struct db_command verify = {"--against", DB_READONLY, "vs", "compared",
                                             dbcopy_verify};
    return db_command(ctl, argc, argv, &verify);
}
