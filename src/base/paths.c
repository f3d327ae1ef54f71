/* paths: see paths.h. */
#include "base/paths.h"

#include "base/errbuf.h"
#include "base/redact.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef TRADER_DATADIR
#error "TRADER_DATADIR must name the installed data directory"
#endif
#ifndef TRADER_SRCDIR
#error "TRADER_SRCDIR must name the source tree the programs were built from"
#endif

/* Copies s into out; fails when it does not fit. */
static int copy_path(const char *s, char *out, size_t outlen, char *err, size_t errlen)
{
    if (strlen(s) >= outlen)
        return err_set(err, errlen, "path too long: %.200s", s);
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

/* The value of environment variable name, or NULL when unset or empty. */
static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int paths_join(const char *a, const char *b, char *out, size_t outlen, char *err, size_t errlen)
{
    int n = snprintf(out, outlen, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= outlen)
        return err_set(err, errlen, "path too long: %.200s/%.200s", a, b);
    return 0;
}

int paths_home(const char *flag, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *home = flag ? flag : env_nonempty(PATHS_ENV_HOME);
    if (!home)
        home = PATHS_DEFAULT_HOME;
    if (!*home)
        return err_set(err, errlen, "the data directory must not be empty");
    return copy_path(home, out, outlen, err, errlen);
}

bool paths_is_url(const char *loc)
{
    return strncmp(loc, "postgresql://", 13) == 0 || strncmp(loc, "postgres://", 11) == 0;
}

void paths_db_display(const char *loc, char *out, size_t outlen)
{
    if (paths_is_url(loc))
        redact_text(loc, out, outlen);
    else
        snprintf(out, outlen, "%s", loc);
}

int paths_db(const char *home, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *url = env_nonempty(PATHS_ENV_DB_URL);
    if (url) {
        /* The value is never quoted: it may hold a password. */
        if (!paths_is_url(url))
            return err_set(err, errlen,
                           PATHS_ENV_DB_URL " must be a postgresql:// or postgres:// URL");
        if (strlen(url) >= outlen)
            return err_set(err, errlen, PATHS_ENV_DB_URL " is too long");
        memcpy(out, url, strlen(url) + 1);
        return 0;
    }
    const char *db = env_nonempty(PATHS_ENV_DB);
    if (db)
        return copy_path(db, out, outlen, err, errlen);
    return paths_join(home, PATHS_DB_FILE_NAME, out, outlen, err, errlen);
}

int paths_configs_dir(char *out, size_t outlen, char *err, size_t errlen)
{
    const char *dir = env_nonempty(PATHS_ENV_CONFIGS);
    struct stat st;
    if (dir)
        return copy_path(dir, out, outlen, err, errlen);
    /* Programs run from their build tree, not installed yet, use the
     * source tree's configs, as the stack does. */
    if (stat(TRADER_DATADIR "/configs", &st) != 0 && stat(TRADER_SRCDIR "/configs", &st) == 0)
        return copy_path(TRADER_SRCDIR "/configs", out, outlen, err, errlen);
    return copy_path(TRADER_DATADIR "/configs", out, outlen, err, errlen);
}

/* True when real names something strictly below the directory rdir. */
static int path_inside(const char *rdir, const char *real)
{
    size_t n = strlen(rdir);
    if (strcmp(rdir, "/") == 0)
        return strcmp(real, "/") != 0;
    return strncmp(real, rdir, n) == 0 && real[n] == '/';
}

/* The candidate a request names: absolute as is, else below dir's parent. */
static int confine_candidate(const char *rdir, const char *path, char *out, size_t outlen,
                             char *err, size_t errlen)
{
    char parent[PATHS_MAX];
    if (path[0] == '/')
        return copy_path(path, out, outlen, err, errlen);
    if (copy_path(rdir, parent, sizeof(parent), err, errlen) != 0)
        return -1;
    char *slash = strrchr(parent, '/');
    slash[slash == parent ? 1 : 0] = '\0'; /* realpath is absolute: slash exists */
    return paths_join(strcmp(parent, "/") == 0 ? "" : parent, path, out, outlen, err, errlen);
}

/* True when the deepest ancestor of the absolute path cand that resolves
 * is rdir or inside it. */
static bool ancestor_inside(const char *rdir, const char *cand)
{
    char buf[PATHS_MAX], real[PATHS_MAX];
    snprintf(buf, sizeof(buf), "%s", cand);
    for (char *slash; (slash = strrchr(buf, '/'));) {
        slash[slash == buf ? 1 : 0] = '\0';
        if (realpath(buf, real))
            return strcmp(real, rdir) == 0 || path_inside(rdir, real);
        if (slash == buf)
            break;
    }
    return false;
}

int paths_confine(const char *dir, const char *path, char *out, size_t outlen, char *err,
                  size_t errlen)
{
    char rdir[PATHS_MAX], cand[PATHS_MAX], real[PATHS_MAX];
    if (!path || !*path)
        return err_set(err, errlen, "empty path");
    if (!realpath(dir, rdir))
        return err_set(err, errlen, "configs directory %.200s: %s", dir, strerror(errno));
    if (confine_candidate(rdir, path, cand, sizeof(cand), err, errlen) != 0)
        return -1;
    /* Outside the directory, whether a file exists or can be read is not
     * told: a path that does not resolve says "does not exist" only when
     * what does resolve of it is inside. */
    if (!realpath(cand, real)) {
        int e = errno;
        if (!ancestor_inside(rdir, cand))
            return err_set(err, errlen, "is outside the configs directory");
        if (e == ENOENT || e == ENOTDIR)
            return err_set(err, errlen, "does not exist");
        return err_set(err, errlen, "cannot be read: %s", strerror(e));
    }
    if (!path_inside(rdir, real))
        return err_set(err, errlen, "is outside the configs directory");
    return copy_path(real, out, outlen, err, errlen);
}

/* mkdir that accepts an existing directory. */
static int make_dir(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (mkdir(path, PATHS_DIR_MODE) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return 0;
    return err_set(err, errlen, "cannot create directory %.200s: %s", path,
                   errno == EEXIST ? "exists and is not a directory" : strerror(errno));
}

/* mkdir -p: every missing ancestor, then path itself. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[PATHS_MAX];
    if (copy_path(path, buf, sizeof(buf), err, errlen) != 0)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = make_dir(buf, err, errlen);
        *p = '/';
        if (rc != 0)
            return -1;
    }
    return make_dir(buf, err, errlen);
}

int paths_ensure_home(const char *home, char *err, size_t errlen)
{
    static const char *const subdirs[] = {"run", "log"};
    char sub[PATHS_MAX];
    if (make_dirs(home, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        if (paths_join(home, subdirs[i], sub, sizeof(sub), err, errlen) != 0 ||
            make_dir(sub, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int paths_db_read(const char *primary, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *url = env_nonempty(PATHS_ENV_DB_READ);
    if (!url)
        return copy_path(primary, out, outlen, err, errlen);
    if (strlen(url) >= outlen)
        return err_set(err, errlen, PATHS_ENV_DB_READ " is too long");
    memcpy(out, url, strlen(url) + 1);
    return 0;
}
