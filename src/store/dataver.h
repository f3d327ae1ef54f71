/* dataver: the data version behind the API's ETags (CONTRACT section 9).
 * One row in table data_version: an epoch, random per database file (so a
 * replaced file never repeats a tag), and a counter. Every writer of data an
 * answer shows (a job created or changed, a model-day committed, prices or
 * AI-Trader results imported) calls dataver_bump inside its own write
 * transaction, so the counter moves exactly when such a change commits.
 * Readers turn the row into an entity tag; an answer whose tag the client
 * already holds cannot have changed. */
#ifndef TRADER_DATAVER_H
#define TRADER_DATAVER_H

#include <stddef.h>

#include "store/db.h"

/* "\"<epoch>-<version>\"" with its quotes, as an ETag header carries it. */
#define DATAVER_TAG_BUF 64

/* Increments the version. Call it inside the writer's transaction (outside
 * one it commits on its own). Returns 0, or -1 with err. */
int dataver_bump(struct db *db, char *err, size_t errlen);

/* The current entity tag. Returns 0 with tag set, or -1 with err. */
int dataver_tag(struct db *db, char tag[DATAVER_TAG_BUF], char *err, size_t errlen);

#endif
