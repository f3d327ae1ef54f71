/* options: see options.h. */
#include "options.h"

#include <string.h>

enum opt_match opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
        return OPT_OTHER;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return OPT_MATCHED;
    }
    if (*i + 1 >= argc)
        return OPT_ERROR;
    *value = argv[++*i];
    return OPT_MATCHED;
}
