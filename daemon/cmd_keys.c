/* cmd_keys: `traderctl keys create|list|revoke`, the API keys (src/access).
 * create prints the token once, on stdout alone so scripts can capture it;
 * list never shows a token (only its hash is stored). */
#include "traderctl.h"

#include "service/access.h"
#include "base/errbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_keys_create(const struct ctl *ctl, int argc, char **argv)
{
    char token[ACCESS_TOKEN_BUF], err[ERRBUF_SIZE];
    const char *name = NULL, *scope_word = "write";
    enum access_scope scope;
    struct db *db;
    for (int i = 0; i < argc; i++) {
        if (opt_value(argc, argv, &i, "--name", &name) == OPT_MATCHED ||
            opt_value(argc, argv, &i, "--scope", &scope_word) == OPT_MATCHED)
            continue;
        return ctl_usage(ctl);
    }
    if (!name)
        return ctl_usage(ctl);
    if (access_scope_parse(scope_word, &scope) != 0)
        return ctl_fail("--scope must be read or write");
    if (!access_name_valid(name))
        return ctl_fail("a key name is 1-%d letters, digits or . _ - (not %s)", ACCESS_NAME_MAX,
                        ACCESS_LOOPBACK);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    int rc = access_key_create(db, name, scope, token, err, sizeof(err));
    db_close(db);
    if (rc != 0)
        return ctl_fail("%s", err);
    printf("%s\n", token);
    fflush(stdout);
    fprintf(stderr,
            "created %s key \"%s\"; the token above is shown once: send it as\n"
            "  Authorization: Bearer TOKEN\n",
            access_scope_name(scope), name);
    return CTL_OK;
}

int cmd_keys_list(const struct ctl *ctl, int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    struct access_key *keys = NULL;
    size_t n = 0;
    struct db *db;
    (void)argv;
    if (argc != 0)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    int rc = access_key_list(db, &keys, &n, err, sizeof(err));
    db_close(db);
    if (rc != 0)
        return ctl_fail("%s", err);
    if (n == 0)
        printf("no API keys: mutating endpoints answer loopback clients only\n");
    else
        printf("%-24s %-6s %-25s %s\n", "NAME", "SCOPE", "CREATED", "LAST USED");
    for (size_t i = 0; i < n; i++)
        printf("%-24s %-6s %-25s %s\n", keys[i].name, access_scope_name(keys[i].scope),
               keys[i].created_at, keys[i].last_used_at[0] ? keys[i].last_used_at : "never");
    free(keys);
    return CTL_OK;
}

int cmd_keys_revoke(const struct ctl *ctl, int argc, char **argv)
{
    char err[ERRBUF_SIZE];
    struct db *db;
    if (argc != 1)
        return ctl_usage(ctl);
    if (ctl_open_db(ctl, &db) != 0)
        return CTL_FAIL;
    int rc = access_key_revoke(db, argv[0], err, sizeof(err));
    db_close(db);
    if (rc < 0)
        return ctl_fail("%s", err);
    if (rc == 0)
        return ctl_fail("no key named \"%.64s\"", argv[0]);
    printf("revoked \"%s\"\n", argv[0]);
    return CTL_OK;
}
