/* replay: runs a fuzz harness over its committed corpus without libFuzzer,
 * so `make check` (gcc, optionally with sanitizers or valgrind) proves that
 * every seed and every past crash still parses cleanly. The program is named
 * fuzz_<target>; with no arguments it replays every file of
 * $TOP_SRCDIR/tests/fuzz/corpus/<target> (sorted), else the files and
 * directories given. Prints TAP: one "ok" per input (a crash ends the run). */
#include "fuzz.h"

#include "base/mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int ninputs;

/* Feeds the file at path to the harness in a buffer of exactly its size,
 * as libFuzzer does, so a read past the end is caught. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = mem_alloc(n ? (size_t)n : 1);
        if (fread(data, 1, (size_t)n, f) != (size_t)n)
            n = -1;
    }
    if (f)
        fclose(f);
    if (!data || n < 0) {
        printf("not ok %d - %s: cannot read (%s)\n", ++ninputs, path, strerror(errno));
        free(data);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    printf("ok %d - %s\n", ++ninputs, path);
    fflush(stdout);
    return 0;
}

static int skip_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static int replay(const char *path)
{
    struct dirent **names;
    struct stat sb;
    int n, rc = 0;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return replay_file(path);
    if ((n = scandir(path, &names, skip_hidden, alphasort)) < 0) {
        printf("not ok %d - %s: cannot list (%s)\n", ++ninputs, path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char file[FUZZ_PATH_MAX];
        fuzz_path(file, path, names[i]->d_name);
        if (replay(file) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    char corpus[FUZZ_PATH_MAX];
    int rc = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (replay(argv[i]) != 0)
                rc = 1;
    } else {
        const char *top = getenv("TOP_SRCDIR"), *base = strrchr(argv[0], '/');
        base = base ? base + 1 : argv[0];
        if (strncmp(base, "fuzz_", 5) != 0) {
            printf("Bail out! %s: name the program fuzz_<target> or give corpus paths\n", base);
            return 1;
        }
        snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s", top ? top : ".", base + 5);
        rc = replay(corpus) != 0;
    }
    if (ninputs == 0) {
        printf("Bail out! no inputs\n");
        return 1;
    }
    printf("1..%d\n", ninputs);
    return rc;
}
