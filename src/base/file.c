/* file: see file.h. */
#include "base/file.h"

#include "base/errbuf.h"
#include "base/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int file_read(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen)
{
    struct stat sb;
    char *buf = NULL;
    size_t n;
    int rc = -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, errlen, "cannot open: %s", strerror(errno));
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        err_set(err, errlen, "not a regular file");
        goto out;
    }
    if ((unsigned long long)sb.st_size > max) {
        err_set(err, errlen, "over %zu bytes (%lld)", max, (long long)sb.st_size);
        goto out;
    }
    buf = mem_alloc((size_t)sb.st_size + 1);
    n = fread(buf, 1, (size_t)sb.st_size, f);
    if (ferror(f)) {
        err_set(err, errlen, "cannot read: %s", strerror(errno));
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}
