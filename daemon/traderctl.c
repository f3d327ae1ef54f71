/* traderctl: see traderctl.h. Global options, the command table, and the
 * commands about the whole installation (init, help). */
#include "traderctl.h"

#include "base/errbuf.h"
#include "base/redact.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct ctl_command commands[] = {
    {"init", cmd_init, "", "create the data directory and the database, or upgrade its schema"},
    {"prices import", cmd_prices_import, "FILE...",
     "import Alpha Vantage daily JSON or AI-Trader merged JSONL files (all or nothing)"},
    {"prices fetch", cmd_prices_fetch,
     "[--symbols A,B] [--force] [--full] [--pace S] [--daily-limit N] [--max-age H]",
     "download Alpha Vantage daily bars and splits of the universe and QQQ (resumable)"},
    {"update", cmd_update, "[--config F] [prices fetch options]",
     "the daily run: fetch the newest bars, then queue a catch-up job for traderd"},
    {"prices synth", cmd_prices_synth, "[--start DATE] [--days N] [--seed N]",
     "generate a SYNTHETIC price sample (made-up data, for demos and tests)"},
    {"prices info", cmd_prices_info, "", "summarize the price store"},
    {"import-aitrader", cmd_import_aitrader,
     "AGENT_DATA_DIR [--models a,b] [--initial-cash X] [--replace]",
     "import AI-Trader position/log files as one completed job (all or nothing)"},
    {"keys create", cmd_keys_create, "--name NAME [--scope read|write]",
     "create an API key (default scope write) and print its token, once"},
    {"keys list", cmd_keys_list, "", "list the API keys: name, scope, created, last used"},
    {"keys revoke", cmd_keys_revoke, "NAME", "delete an API key"},
    {"leaderboard", cmd_leaderboard,
     "[--job ID] [--start DATE] [--end DATE] [--models A,B] [--json]",
     "return, risk, trades and cost per model over a job or dates, against QQQ buy and hold"},
    {"run", cmd_run, "[--config F] [--start DATE --end DATE] [--models a,b]",
     "batch mode: create a job, run it here to its end, print the leaderboard (exit 1 when a "
     "model-day failed)"},
    {"jobs list", cmd_jobs_list, "[--status S] [--limit N] [--offset N] [--json]",
     "simulation jobs, newest first, with their progress"},
    {"jobs cancel", cmd_jobs_cancel, "JOB_ID",
     "cancel a job: a pending one at once, a running one after its model-days in progress"},
    {"db copy", cmd_db_copy, "--to LOCATION",
     "copy the whole store into a new, empty one (a postgresql:// URL or a SQLite file) in one "
     "transaction, then compare every table"},
    {"db verify", cmd_db_verify, "--against LOCATION",
     "compare every table of the store with another store's"},
    {"files sync", cmd_files_sync, "--job ID",
     "write a job's AI-Trader files (every day of its models) here from the database"},
    {"help", cmd_help, "", "list the commands"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int ctl_fail(const char *fmt, ...)
{
    char msg[2 * ERRBUF_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    redact_text(msg, msg, sizeof(msg)); /* e.g. a database URL's password */
    fprintf(stderr, "traderctl: %s\n", msg);
    return CTL_FAIL;
}

static void print_usage(FILE *f, const struct ctl_command *c)
{
    fprintf(f, "usage: traderctl [--home DIR] %s%s%s\n", c->name, *c->usage ? " " : "", c->usage);
}

int ctl_usage(const struct ctl *ctl)
{
    print_usage(stderr, ctl->cmd);
    return CTL_USAGE;
}

static void print_commands(FILE *f)
{
    fputs("usage: traderctl [--home DIR] COMMAND [ARGS]\n\n"
          "The data directory is DIR, else $" PATHS_ENV_HOME ", else " PATHS_DEFAULT_HOME
          ";\nthe database is $" PATHS_ENV_DB_URL " (PostgreSQL), else the file $" PATHS_ENV_DB
          ", else DIR/" PATHS_DB_FILE_NAME ".\n\nCommands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %s%s%s\n      %s\n", commands[i].name, *commands[i].usage ? " " : "",
                commands[i].usage, commands[i].summary);
}

int ctl_open_db(const struct ctl *ctl, struct db **out)
{
    char err[ERRBUF_SIZE];
    struct db *db = NULL;
    if (paths_ensure_home(ctl->home, err, sizeof(err)) != 0 ||
        db_open(ctl->db_path, DB_READWRITE, &db, err, sizeof(err)) != 0 ||
        db_migrate(db, err, sizeof(err)) != 0) {
        db_close(db);
        ctl_fail("%s", err);
        return -1;
    }
    *out = db;
    return 0;
}

int cmd_init(const struct ctl *ctl, int argc, char **argv)
{
    struct db *db;
    int version = 0;
    (void)argv;
    if (argc != 0)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    char shown[PATHS_MAX];
    paths_db_display(ctl->db_path, shown, sizeof(shown));
    if (db_schema_version(db, &version) != 0) {
        db_close(db);
        return ctl_fail("cannot read the schema version of %s", shown);
    }
    printf("data directory: %s\ndatabase: %s\nschema version: %d\n", ctl->home, shown, version);
    db_close(db);
    return CTL_OK;
}

int cmd_help(const struct ctl *ctl, int argc, char **argv)
{
    (void)argv;
    if (argc != 0)
        return ctl_usage(ctl);
    print_commands(stdout);
    return CTL_OK;
}

/* True when word is the first word of c's name. */
static bool first_word_is(const struct ctl_command *c, const char *word)
{
    size_t n = strcspn(c->name, " ");
    return strlen(word) == n && strncmp(word, c->name, n) == 0;
}

/* How many words of argv name c (one or two), or 0. */
static int match(const struct ctl_command *c, int argc, char **argv)
{
    const char *space = strchr(c->name, ' ');
    if (argc < 1 || !first_word_is(c, argv[0]))
        return 0;
    if (!space)
        return 1;
    return argc >= 2 && strcmp(argv[1], space + 1) == 0 ? 2 : 0;
}

/* Parses the options before the command; returns the command's index in
 * argv, or -1 on a usage error. */
static int global_options(int argc, char **argv, const char **home)
{
    int i;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (opt_value(argc, argv, &i, "--home", home) != OPT_MATCHED)
            return -1;
    }
    return i;
}

static int run(const struct ctl_command *c, const char *home, int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    struct ctl ctl = {.cmd = c};
    if (paths_home(home, ctl.home, sizeof(ctl.home), err, sizeof(err)) != 0 ||
        paths_db(ctl.home, ctl.db_path, sizeof(ctl.db_path), err, sizeof(err)) != 0)
        return ctl_fail("%s", err);
    return c->run(&ctl, argc, argv);
}

int main(int argc, char **argv)
{
    const char *home = NULL;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        print_commands(stdout); /* asked for: not a usage error */
        return CTL_OK;
    }
    int i = global_options(argc, argv, &home);
    if (i < 0 || i >= argc) {
        print_commands(stderr);
        return CTL_USAGE;
    }
    for (size_t k = 0; k < NCOMMANDS; k++) {
        int used = match(&commands[k], argc - i, argv + i);
        if (used)
            return run(&commands[k], home, argc - i - used, argv + i + used);
    }
    ctl_fail("unknown command \"%.40s%s%.40s\" (see traderctl help)", argv[i],
             i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
    for (size_t k = 0; k < NCOMMANDS; k++) /* the commands of a named group */
        if (strchr(commands[k].name, ' ') && first_word_is(&commands[k], argv[i]))
            print_usage(stderr, &commands[k]);
    return CTL_USAGE;
}
