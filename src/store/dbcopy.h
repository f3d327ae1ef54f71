/* dbcopy: copies a whole store into another, empty one (SQLite to
 * PostgreSQL and back, or SQLite to another file) and compares two stores
 * table by table. Besides store/schema it is the one module that
 * reads every table: it knows them only as rows under a primary key, never
 * what they mean, and reaches them through store/db.h alone, so the same
 * code runs on either engine at either end.
 *
 * A copy runs in one transaction of the destination (all or nothing) while
 * the source is read in one snapshot; the copy is then compared with that
 * snapshot, row by row in primary-key order, value by value, every table
 * (a difference in one does not stop the others' comparison). */
#ifndef TRADER_DBCOPY_H
#define TRADER_DBCOPY_H

#include <stddef.h>

#include "store/db.h"

enum dbcopy_result {
    DBCOPY_ERROR = -1, /* err says why; a copy left the destination unchanged */
    DBCOPY_IDENTICAL,  /* every table holds the same rows on both sides */
    DBCOPY_DIFFERENT,  /* err names the first table and row that differ, and the other
                          tables that differ */
};

/* What a report tells of a table. */
enum dbcopy_event {
    DBCOPY_COPIED,    /* its rows are in the destination's transaction */
    DBCOPY_SAME_ROWS, /* the comparison found its rows identical */
    DBCOPY_DIFFERS,   /* the comparison found a difference (rows: this side's) */
};

/* Called once per table and event, with the table's number of rows. */
typedef void (*dbcopy_report)(void *arg, enum dbcopy_event event, const char *table,
                              long long rows);

/* Migrates dst to the current schema, refuses it unless it holds no rows
 * (beyond what migrations insert, which the source's rows replace), copies
 * every table of src into it in one transaction, then compares the two.
 * src must be at the current schema version. report (may be NULL) hears of
 * each table copied, then of each table compared (identical or not). */
enum dbcopy_result dbcopy_copy(struct db *src, struct db *dst, dbcopy_report report, void *arg,
                               char *err, size_t errlen);

/* Compares every table of a and b (both at the current schema version),
 * each read in one snapshot. Neither is changed. */
enum dbcopy_result dbcopy_verify(struct db *a, struct db *b, dbcopy_report report, void *arg,
                                 char *err, size_t errlen);

/* The tables a copy covers, parents before children, and the columns it
 * copies of table i ("a, b, c"), for tests that hold them against the
 * schema. */
size_t dbcopy_ntables(void);
const char *dbcopy_table_name(size_t i);
const char *dbcopy_table_columns(size_t i);

#endif
