/* dbtypes: the enums of the storage interface, shared by store/db.h (the
 * modules' API) and store/dbengine.h (what its two back ends implement). */
#ifndef TRADER_DBTYPES_H
#define TRADER_DBTYPES_H

/* The engine behind a connection. A module that owns a query the two
 * engines spell differently keeps both texts and picks one with db_engine. */
enum db_engine {
    DB_ENGINE_SQLITE,
    DB_ENGINE_POSTGRES,
};

enum db_mode {
    DB_READONLY,  /* the API's readers: never writes, never migrates */
    DB_READWRITE, /* creates a SQLite file if needed; caller runs db_migrate */
};

enum db_step {
    DB_STEP_ERROR = -1, /* err says why, prefixed by what (db_error) */
    DB_STEP_DONE,       /* no more rows */
    DB_STEP_ROW,        /* the db_col_* functions read the current row */
};

enum db_col_type {
    DB_COL_NULL,
    DB_COL_INTEGER,
    DB_COL_FLOAT,
    DB_COL_TEXT,
    DB_COL_BLOB,
};

#endif
