/* avfetch: downloads Alpha Vantage answers for the price store. Owns the
 * request URL (function, symbol, key; base URL overridable so tests use a
 * local server), classifying an answer (data, the in-band "Note" /
 * "Information" of a rate limit, an "Error Message"), saving it as a file
 * pricesimport reads, and whether it was fetched recently (so a fetch
 * interrupted by a limit resumes where it stopped). */
#ifndef TRADER_AVFETCH_H
#define TRADER_AVFETCH_H

#include <stdbool.h>
#include <stddef.h>

#define AVFETCH_DEFAULT_URL "https://www.alphavantage.co/query"
#define AVFETCH_ENV_URL "TRADER_ALPHAVANTAGE_URL"
#define AVFETCH_ENV_KEY "ALPHAADVANTAGE_API_KEY"
#define AVFETCH_MAX_ANSWER (64L * 1024 * 1024)

enum avfetch_result {
    AVFETCH_OK,      /* data, saved */
    AVFETCH_LIMIT,   /* "Note" or "Information": a rate limit; stop, resume later */
    AVFETCH_REFUSED, /* "Error Message": a bad key, symbol or call */
    AVFETCH_FAILED,  /* transport, HTTP status, or not a JSON object */
};

struct avfetch {
    const char *base_url; /* AVFETCH_DEFAULT_URL or $TRADER_ALPHAVANTAGE_URL */
    const char *api_key;
    const char *dir; /* where answers are saved (must exist) */
};

/* GETs function (TIME_SERIES_DAILY, SPLITS) for symbol; on AVFETCH_OK the
 * answer is in DIR/<function>_<symbol>.json, named in path. *res says what
 * came back and msg the service's own message (or the failure). Returns 0,
 * or -1 when not even a request could be made (err). */
int avfetch_get(const struct avfetch *f, const char *function, const char *symbol,
                const char *outputsize, char *path, size_t pathlen, enum avfetch_result *res,
                char *msg, size_t msglen);

/* True when function's answer for symbol was saved less than
 * max_age_hours ago. */
bool avfetch_fresh(const struct avfetch *f, const char *function, const char *symbol,
                   double max_age_hours);

#endif
