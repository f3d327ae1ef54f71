/* jobreq: the body of POST /simulate/trigger (and of traderctl run): parsing
 * it and checking its syntax into a struct jobreq. No database: the checks
 * that need the config, the price store or the clock are jobplan's. */
#ifndef TRADER_JOBREQ_H
#define TRADER_JOBREQ_H

#include <stdbool.h>
#include <stddef.h>

#include "service/config.h"
#include "base/dates.h"
#include "market/prices.h"

#define JOBREQ_DATES_MAX 1000 /* entries of an explicit date_range */

/* Why a trigger was refused; the HTTP layer maps these to error codes. */
enum jobreq_fail {
    JOBREQ_FAIL_INTERNAL, /* 500 internal: the database or memory failed */
    JOBREQ_FAIL_REQUEST,  /* 400 invalid_request */
    JOBREQ_FAIL_DATE,     /* 400 invalid_date */
};

/* A parsed POST /simulate/trigger body. Free with jobreq_free. */
struct jobreq {
    char *config_path;                    /* as given; NULL = CONFIG_DEFAULT_PATH */
    char start[DATE_BUF];                 /* start_date, "" when absent */
    char end[DATE_BUF];                   /* end_date, "" when absent */
    bool has_dates;                       /* an explicit date_range was given */
    struct datelist dates;                /* that list, sorted and without duplicates */
    char (*models)[CONFIG_SIGNATURE_MAX]; /* requested signatures, unique; NULL = all enabled */
    size_t nmodels;
    bool replace_existing;
    char *callback_url; /* checked by callback_url_check; NULL when absent */
};

/* Parses and checks the syntax of a trigger body (len bytes; an empty or
 * all-blank body means every default). Checks that need the config, the price
 * store or the clock are jobplan's. On success *out is filled (caller frees
 * with jobreq_free); on failure *why and err say what is wrong. */
int jobreq_parse(const char *body, size_t len, struct jobreq *out, enum jobreq_fail *why, char *err,
                 size_t errlen);
void jobreq_free(struct jobreq *r);

/* Fails with a reason for the HTTP layer, in functions that have the
 * parameters why, err and errlen: `return JOBREQ_REFUSE(JOBREQ_FAIL_DATE, "...")`. */
#define JOBREQ_REFUSE(kind, ...) (*why = (kind), err_set(err, errlen, __VA_ARGS__))

#endif
