/* env: see env.h. */
#include "base/env.h"

#include "base/log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define LOGGER "env"

long env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!errno && !*end && n >= lo && n <= hi)
        return n;
    log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL,
             "%s=\"%.32s\" is not an integer from %ld to %ld: using %ld", name, v, lo, hi, def);
    return def;
}

double env_double(const char *name, double def, double lo, double hi)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    errno = 0;
    double d = strtod(v, &end);
    if (!errno && !*end && end != v && isfinite(d) && d >= lo && d <= hi)
        return d;
    log_emit(LOG_LEVEL_WARNING, LOGGER, NULL, NULL, NULL,
             "%s=\"%.32s\" is not a number from %g to %g: using %g", name, v, lo, hi, def);
    return def;
}
