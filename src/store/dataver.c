/* dataver: see dataver.h. */
#include "store/dataver.h"

#include "base/errbuf.h"

#include <stdio.h>

static const char SQL_BUMP[] = "UPDATE data_version SET version = version + 1 WHERE id = 1";
static const char SQL_GET[] = "SELECT epoch, version FROM data_version WHERE id = 1";

int dataver_bump(struct db *db, char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_BUMP, err, errlen);
    return st ? db_step_done(db, st, "data version", err, errlen) : -1;
}

int dataver_tag(struct db *db, char tag[DATAVER_TAG_BUF], char *err, size_t errlen)
{
    struct db_stmt *st = db_stmt(db, SQL_GET, err, errlen);
    int rc = -1;
    if (!st)
        return -1;
    enum db_step step = db_step(db, st, "data version", err, errlen);
    if (step != DB_STEP_ROW) {
        if (step == DB_STEP_DONE)
            err_set(err, errlen, "data version: no row");
        goto out;
    }
    int n = snprintf(tag, DATAVER_TAG_BUF, "\"%.32s-%lld\"", db_col_text(st, 0),
                     (long long)db_col_int64(st, 1));
    rc = n > 0 && n < DATAVER_TAG_BUF ? 0 : err_set(err, errlen, "data version: tag too long");
out:
    db_reset(st);
    return rc;
}
