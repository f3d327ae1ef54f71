/* options: the "--name VALUE" / "--name=VALUE" options of traderd and
 * traderctl, matched one argument at a time so each program keeps its own
 * table of options and its own messages. */
#ifndef TRADER_OPTIONS_H
#define TRADER_OPTIONS_H

enum opt_match {
    OPT_ERROR = -1, /* argv[*i] is the option but its value is missing */
    OPT_OTHER,      /* argv[*i] is another word */
    OPT_MATCHED,    /* *value is set */
};

/* Matches argv[*i] against option name ("--days") as "--days N" or
 * "--days=N"; on OPT_MATCHED sets *value (pointing into argv) and advances
 * *i past a separate value. */
enum opt_match opt_value(int argc, char **argv, int *i, const char *name, const char **value);

#endif
