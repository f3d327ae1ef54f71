/* schema: the tables of the store, as each engine builds them. SQLite gets
 * one migration per version from 1; a PostgreSQL store (new with schema 10)
 * is built at SCHEMA_PG_FIRST in one step, and later versions add a
 * migration for each engine. tests/unit/test_schema compares the two. */
#ifndef TRADER_SCHEMA_H
#define TRADER_SCHEMA_H

#define SCHEMA_VERSION 10
#define SCHEMA_PG_FIRST 10

/* The SQL that takes a store from version v - 1 to v, or NULL when the
 * engine has no such step. Static strings. */
const char *schema_sqlite_migration(int v);
const char *schema_pg_migration(int v);

#endif
