/* Unit tests for paths: where home, database and configs are resolved from
 * (flag, environment, defaults), confinement of config paths to the configs
 * directory (../, symlinks, absolute paths, missing files), and creation of
 * the data directory. */
#include "base/paths.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[128], configs[256], err[512];

static void make_file(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    if (f)
        fclose(f);
}

static void make_link(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    ok(symlink(target, p) == 0, "setup: link %s -> %s", rel, target);
}

static void test_resolution(void)
{
    char out[PATHS_MAX];
    unsetenv(PATHS_ENV_HOME);
    unsetenv(PATHS_ENV_DB);
    unsetenv(PATHS_ENV_CONFIGS);
    ok(paths_home(NULL, out, sizeof(out), err, sizeof(err)) == 0, "home default");
    is_str(out, "./data", "home defaults to ./data");
    setenv(PATHS_ENV_HOME, "/srv/trader", 1);
    paths_home(NULL, out, sizeof(out), err, sizeof(err));
    is_str(out, "/srv/trader", "TRADER_DATA_DIR");
    paths_home("/opt/x", out, sizeof(out), err, sizeof(err));
    is_str(out, "/opt/x", "--home wins over the environment");
    ok(paths_home("", out, sizeof(out), err, sizeof(err)) == -1, "an empty --home is refused");
    setenv(PATHS_ENV_HOME, "", 1);
    paths_home(NULL, out, sizeof(out), err, sizeof(err));
    is_str(out, "./data", "an empty TRADER_DATA_DIR counts as unset");

    paths_db("/srv/trader", out, sizeof(out), err, sizeof(err));
    is_str(out, "/srv/trader/trader.db", "database under home");
    setenv(PATHS_ENV_DB, "/var/db/t.db", 1);
    paths_db("/srv/trader", out, sizeof(out), err, sizeof(err));
    is_str(out, "/var/db/t.db", "TRADER_DB_PATH");

    setenv(PATHS_ENV_DB_URL, "postgresql://u:pw@127.0.0.1:5432/trader?sslmode=disable", 1);
    ok(paths_db("/srv/trader", out, sizeof(out), err, sizeof(err)) == 0 &&
           strcmp(out, "postgresql://u:pw@127.0.0.1:5432/trader?sslmode=disable") == 0,
       "TRADER_DATABASE_URL wins over TRADER_DB_PATH");
    ok(paths_is_url(out), "a postgresql:// URL is a URL");
    char shown[PATHS_MAX];
    paths_db_display(out, shown, sizeof(shown));
    ok(!strstr(shown, "pw") && !strstr(shown, "sslmode") && strstr(shown, "127.0.0.1:5432/trader"),
       "a URL is shown without credentials and query: %s", shown);
    setenv(PATHS_ENV_DB_URL, "postgres://h/db", 1);
    ok(paths_db("/srv/trader", out, sizeof(out), err, sizeof(err)) == 0 && paths_is_url(out),
       "postgres:// too");
    setenv(PATHS_ENV_DB_URL, "mysql://secret@h/db", 1);
    strcpy(out, "keep");
    ok(paths_db("/srv/trader", out, sizeof(out), err, sizeof(err)) == -1 &&
           strstr(err, "TRADER_DATABASE_URL") && !strstr(err, "secret") && strcmp(out, "keep") == 0,
       "another scheme is refused without quoting it: %s", err);
    setenv(PATHS_ENV_DB_URL, "", 1);
    paths_db("/srv/trader", out, sizeof(out), err, sizeof(err));
    is_str(out, "/var/db/t.db", "an empty TRADER_DATABASE_URL counts as unset");
    ok(!paths_is_url(out) && !paths_is_url("postgresql:/x") && !paths_is_url("./postgres://x"),
       "file paths are not URLs");
    paths_db_display("/var/db/t.db", shown, sizeof(shown));
    is_str(shown, "/var/db/t.db", "a file path is shown as it is");
    unsetenv(PATHS_ENV_DB_URL);

    struct stat st;
    paths_configs_dir(out, sizeof(out), err, sizeof(err));
    if (stat(TRADER_DATADIR "/configs", &st) == 0)
        is_str(out, TRADER_DATADIR "/configs", "configs default to the installed data dir");
    else
        is_str(out, TRADER_SRCDIR "/configs", "not installed: the source tree's configs");
    setenv(PATHS_ENV_CONFIGS, "/src/trader/configs", 1);
    paths_configs_dir(out, sizeof(out), err, sizeof(err));
    is_str(out, "/src/trader/configs", "TRADER_CONFIGS_DIR");

    char small[8] = "keep";
    ok(paths_db("/a/long/home", small, sizeof(small), err, sizeof(err)) == -1 &&
           strstr(err, "too long"),
       "a result that does not fit is refused: %s", err);
    ok(paths_join("abc", "def", small, sizeof(small), err, sizeof(err)) == 0 &&
           strcmp(small, "abc/def") == 0,
       "join fits exactly");
    ok(paths_join("abc", "defg", small, sizeof(small), err, sizeof(err)) == -1, "join too long");
    unsetenv(PATHS_ENV_HOME);
    unsetenv(PATHS_ENV_DB);
    unsetenv(PATHS_ENV_CONFIGS);
}

static void confined(const char *dir, const char *path, const char *want_rel)
{
    char out[PATHS_MAX] = "", want[2 * PATHS_MAX], real_root[PATHS_MAX];
    ok(realpath(root, real_root) != NULL, "setup: realpath");
    snprintf(want, sizeof(want), "%s/%s", real_root, want_rel);
    int rc = paths_confine(dir, path, out, sizeof(out), err, sizeof(err));
    ok(rc == 0 && strcmp(out, want) == 0, "%s accepted as %s (rc %d, %s)", path, want_rel, rc,
       rc ? err : out);
}

static void refused(const char *dir, const char *path, const char *why)
{
    char out[PATHS_MAX] = "untouched";
    int rc = paths_confine(dir, path, out, sizeof(out), err, sizeof(err));
    ok(rc == -1 && strstr(err, why) && strcmp(out, "untouched") == 0, "%s refused: %s",
       path ? path : "(null)", err);
}

static void test_confine(void)
{
    char abs[512], alias[512];
    snprintf(configs, sizeof(configs), "%s/configs", root);
    mkdir(configs, 0700);
    snprintf(abs, sizeof(abs), "%s/configs/sub", root);
    mkdir(abs, 0700);
    snprintf(abs, sizeof(abs), "%s/configs2", root);
    mkdir(abs, 0700);
    make_file("configs/a.json");
    make_file("configs/sub/b.json");
    make_file("configs2/x.json");
    make_file("secret.json");
    make_link("../secret.json", "configs/escape.json");
    make_link("..", "configs/up");
    make_link("a.json", "configs/inside.json");
    make_link("/nonexistent/target.json", "configs/dangling.json");
    snprintf(alias, sizeof(alias), "%s/alias", root);
    make_link(configs, "alias");

    confined(configs, "configs/a.json", "configs/a.json");
    confined(configs, "configs/sub/b.json", "configs/sub/b.json");
    confined(configs, "configs/sub/../a.json", "configs/a.json");
    confined(configs, "configs/inside.json", "configs/a.json");
    snprintf(abs, sizeof(abs), "%s/configs/a.json", root);
    confined(configs, abs, "configs/a.json");
    confined(alias, "configs/a.json", "configs/a.json");

    refused(configs, "configs/../secret.json", "outside the configs directory");
    refused(configs, "secret.json", "outside the configs directory");
    refused(configs, "configs/escape.json", "outside the configs directory");
    refused(configs, "configs/up/secret.json", "outside the configs directory");
    refused(configs, "configs2/x.json", "outside the configs directory");
    refused(configs, "configs", "outside the configs directory");
    snprintf(abs, sizeof(abs), "%s/secret.json", root);
    refused(configs, abs, "outside the configs directory");
    refused(configs, "/etc/passwd", "outside the configs directory");
    /* Outside, existing or not, readable or not: the same answer. */
    refused(configs, "/etc/nonexistent-trader-file", "outside the configs directory");
    refused(configs, "/nonexistent-dir/x.json", "outside the configs directory");
    refused(configs, "configs/../missing.json", "outside the configs directory");
    refused(configs, "configs/up/missing.json", "outside the configs directory");
    refused(configs, "configs/up/secret.json/x", "outside the configs directory");
    refused(configs, "configs/sub/../../missing.json", "outside the configs directory");
    ok(paths_confine(configs, "/etc/passwd", abs, sizeof(abs), err, sizeof(err)) == -1 &&
           strcmp(err, "is outside the configs directory") == 0,
       "the message does not quote the path: %s", err);
    refused(configs, "configs/sub/missing.json", "does not exist");
    refused(configs, "configs/missing.json", "does not exist");
    refused(configs, "configs/dangling.json", "does not exist");
    refused(configs, "configs/a.json/x", "does not exist");
    refused(configs, "", "empty path");
    refused(configs, NULL, "empty path");
    refused("/nonexistent/configs", "configs/a.json", "configs directory");

    char out[16];
    ok(paths_confine(configs, "configs/a.json", out, sizeof(out), err, sizeof(err)) == -1 &&
           strstr(err, "too long"),
       "a result that does not fit is refused");
}

static void test_ensure_home(void)
{
    char home[512], sub[600];
    struct stat sb;
    umask(022);
    snprintf(home, sizeof(home), "%s/a/b/home", root);
    ok(paths_ensure_home(home, err, sizeof(err)) == 0, "create a nested home: %s", err);
    ok(stat(home, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0750,
       "home is a directory with mode 0750");
    snprintf(sub, sizeof(sub), "%s/run", home);
    ok(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0750, "run/");
    snprintf(sub, sizeof(sub), "%s/log", home);
    ok(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode), "log/");
    ok(paths_ensure_home(home, err, sizeof(err)) == 0, "an existing home is fine");
    snprintf(sub, sizeof(sub), "%s/", home);
    ok(paths_ensure_home(sub, err, sizeof(err)) == 0, "a trailing slash is fine: %s", err);

    snprintf(home, sizeof(home), "%s/secret.json", root);
    ok(paths_ensure_home(home, err, sizeof(err)) == -1 && strstr(err, "not a directory"),
       "a file in the way: %s", err);
    snprintf(home, sizeof(home), "%s/secret.json/home", root);
    ok(paths_ensure_home(home, err, sizeof(err)) == -1, "a file as parent: %s", err);
}

/* The read location: the standby's URL when set, else the primary's. */
static void test_read_location(void)
{
    char out[PATHS_MAX], small[16];
    unsetenv(PATHS_ENV_DB_READ);
    ok(paths_db_read("/srv/trader/trader.db", out, sizeof(out), err, sizeof(err)) == 0,
       "read location without TRADER_DATABASE_READ_URL");
    is_str(out, "/srv/trader/trader.db", "  reads go to the primary");
    setenv(PATHS_ENV_DB_READ, "", 1);
    paths_db_read("postgresql://primary/trader", out, sizeof(out), err, sizeof(err));
    is_str(out, "postgresql://primary/trader", "  an empty one counts as unset");
    setenv(PATHS_ENV_DB_READ, "postgresql://u:secret@standby/trader", 1);
    paths_db_read("postgresql://primary/trader", out, sizeof(out), err, sizeof(err));
    is_str(out, "postgresql://u:secret@standby/trader", "TRADER_DATABASE_READ_URL");
    ok(paths_db_read("x", small, sizeof(small), err, sizeof(err)) == -1 &&
           strstr(err, "too long") && !strstr(err, "secret"),
       "a URL too long is refused without quoting it: %s", err);
    unsetenv(PATHS_ENV_DB_READ);
}

int main(void)
{
    strcpy(root, "/tmp/trader-test-paths-XXXXXX");
    if (!mkdtemp(root))
        return 1;
    test_resolution();
    test_confine();
    test_ensure_home();
    test_read_location();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", root);
    return tap_done();
}
