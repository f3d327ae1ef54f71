/* env: numbers from the environment, read by one rule. The variables tune a
 * running service (timeouts, limits, pool sizes, paces); none is required,
 * so a bad value never stops a program: it is ignored like an unset one, and
 * a warning line (log.h) names the variable, the value and the default used
 * instead. */
#ifndef TRADER_ENV_H
#define TRADER_ENV_H

/* The value of environment variable name when it is a whole decimal integer
 * from lo to hi; def when it is unset, empty, not such an integer (junk,
 * trailing characters, overflow) or out of range. */
long env_long(const char *name, long def, long lo, long hi);

/* The same rule for a decimal number (e.g. "0.5") from lo to hi. */
double env_double(const char *name, double def, double lo, double hi);

#endif
