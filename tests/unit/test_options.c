/* Unit tests for options (daemon/options.c): "--name VALUE", "--name=VALUE",
 * a missing value, and words that only start like the option. */
#include "options.h"
#include "tap.h"

#include <string.h>

int main(void)
{
    char *argv[] = {"prog", "--days", "5", "--days=7", "--daysx", "--days"};
    int argc = 6, i = 1;
    const char *v = NULL;
    ok(opt_value(argc, argv, &i, "--days", &v) == OPT_MATCHED && strcmp(v, "5") == 0 && i == 2,
       "separate value, index advanced past it");
    i = 3;
    ok(opt_value(argc, argv, &i, "--days", &v) == OPT_MATCHED && strcmp(v, "7") == 0 && i == 3,
       "joined value");
    i = 4;
    v = NULL;
    ok(opt_value(argc, argv, &i, "--days", &v) == OPT_OTHER && !v && i == 4,
       "a longer word is another option");
    i = 2;
    ok(opt_value(argc, argv, &i, "--days", &v) == OPT_OTHER, "a value is not the option");
    i = 5;
    ok(opt_value(argc, argv, &i, "--days", &v) == OPT_ERROR && !v && i == 5,
       "the last word without its value");
    return tap_done();
}
