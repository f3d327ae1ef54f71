/* env: see env.h. */
#include "base/env.h"

#include <errno.h>
#include <stdlib.h>

long env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    errno = 0;
    long n = strtol(v, &end, 10);
    return errno || *end || n < lo || n > hi ? def : n;
}
