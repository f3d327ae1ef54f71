/* pgtest: the PostgreSQL database a unit test may run its PostgreSQL half on,
 * and a schema of its own in it, so tests share one database (scripts/test's
 * PostgreSQL pass) without seeing each other's tables. */
#ifndef TRADER_PGTEST_H
#define TRADER_PGTEST_H

#include "store/db.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* $TRADER_TEST_DATABASE_URL, else the default database of the cluster in
 * $TRADER_TEST_PG_DIR (tests/pgcluster.sh, as the integration tests take
 * it); NULL when neither is set. */
static inline const char *pgtest_url(char *buf, size_t n)
{
    const char *url = getenv("TRADER_TEST_DATABASE_URL"), *dir = getenv("TRADER_TEST_PG_DIR");
    char path[PATH_MAX];
    long port = 0;
    if (url && *url)
        return url;
    if (!dir || !*dir)
        return NULL;
    snprintf(path, sizeof(path), "%s/port", dir);
    FILE *f = fopen(path, "r");
    if (f && fscanf(f, "%ld", &port) != 1)
        port = 0;
    if (f)
        fclose(f);
    snprintf(buf, n, "postgresql://trader@127.0.0.1:%ld/trader", port);
    return buf;
}

/* Creates schema <prefix>_<pid> on db and makes it the connection's only
 * one (name gets its name, for pgtest_drop). */
static inline int pgtest_schema(struct db *db, const char *prefix, char *name, size_t n, char *err,
                                size_t errlen)
{
    char sql[256];
    snprintf(name, n, "%s_%ld", prefix, (long)getpid());
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s; SET search_path TO %s", name, name);
    return db_exec(db, sql, err, errlen);
}

static inline int pgtest_drop(struct db *db, const char *name, char *err, size_t errlen)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SET search_path TO public; DROP SCHEMA %s CASCADE", name);
    return db_exec(db, sql, err, errlen);
}

#endif
