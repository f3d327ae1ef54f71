/* Unit tests for env (integers from the environment: one rule for a bad
 * value) and file (a whole file read with a size bound). */
#include "base/env.h"
#include "base/file.h"
#include "base/log.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VAR "TRADER_TEST_ENV_LONG"

static void test_env(void)
{
    unsetenv(VAR);
    is_int(env_long(VAR, 5, 1, 10), 5, "unset: the default");
    setenv(VAR, "", 1);
    is_int(env_long(VAR, 5, 1, 10), 5, "empty: the default");
    setenv(VAR, "7", 1);
    is_int(env_long(VAR, 5, 1, 10), 7, "in range: the value");
    setenv(VAR, "1", 1);
    is_int(env_long(VAR, 5, 1, 10), 1, "the low bound");
    setenv(VAR, "10", 1);
    is_int(env_long(VAR, 5, 1, 10), 10, "the high bound");
    setenv(VAR, "0", 1);
    is_int(env_long(VAR, 5, 1, 10), 5, "below the range: the default");
    setenv(VAR, "11", 1);
    is_int(env_long(VAR, 5, 1, 10), 5, "above the range: the default");
    setenv(VAR, "2x", 1);
    is_int(env_long(VAR, 5, 1, 10), 5, "trailing junk: the default");
    setenv(VAR, "x", 1);
    is_int(env_long(VAR, 5, 1, 10), 5, "not a number: the default");
    setenv(VAR, "99999999999999999999999", 1);
    is_int(env_long(VAR, 5, 1, 10), 5, "overflow: the default");
    unsetenv(VAR);
}

static void test_env_double(void)
{
    char line[512] = "";
    FILE *f = tmpfile();
    log_set_stream(f);
    unsetenv(VAR);
    ok(env_double(VAR, 0.5, 0, 10) == 0.5, "a decimal: unset gives the default");
    setenv(VAR, "2.25", 1);
    ok(env_double(VAR, 0.5, 0, 10) == 2.25, "a decimal in range: the value");
    setenv(VAR, "-1", 1);
    ok(env_double(VAR, 0.5, 0, 10) == 0.5, "a decimal below the range: the default");
    setenv(VAR, "nan", 1);
    ok(env_double(VAR, 0.5, 0, 10) == 0.5, "not a finite number: the default");
    setenv(VAR, "1.5s", 1);
    ok(env_double(VAR, 0.5, 0, 10) == 0.5, "a decimal with trailing junk: the default");
    rewind(f);
    ok(fgets(line, sizeof(line), f) && strstr(line, "\"WARNING\"") &&
           strstr(line, VAR "=\\\"-1\\\""),
       "a bad value is named in a warning: %s", line);
    log_set_stream(stderr);
    fclose(f);
    unsetenv(VAR);
}

static void test_file(void)
{
    char dir[] = "/tmp/test_env_XXXXXX", path[64], err[256];
    char *text = NULL;
    size_t len = 0;
    if (!mkdtemp(dir))
        return;
    snprintf(path, sizeof(path), "%s/f", dir);
    FILE *f = fopen(path, "w");
    fputs("hello", f);
    fclose(f);
    ok(file_read(path, 5, &text, &len, err, sizeof(err)) == 0 && len == 5 &&
           strcmp(text, "hello") == 0,
       "a file at the bound is read whole");
    free(text);
    text = NULL;
    ok(file_read(path, 4, &text, &len, err, sizeof(err)) == -1 && !text && strstr(err, "over 4"),
       "one byte over the bound is refused: %s", err);
    ok(file_read(dir, 100, &text, NULL, err, sizeof(err)) == -1 &&
           strcmp(err, "not a regular file") == 0,
       "a directory is refused");
    unlink(path);
    ok(file_read(path, 100, &text, NULL, err, sizeof(err)) == -1 && strstr(err, "cannot open"),
       "a missing file is refused: %s", err);
    rmdir(dir);
}

int main(void)
{
    test_env();
    test_env_double();
    test_file();
    return tap_done();
}
