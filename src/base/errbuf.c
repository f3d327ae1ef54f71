/* errbuf: see errbuf.h. */
#include "base/errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *err_echo(const char *in, char out[ERR_ECHO_BUF])
{
    size_t i = 0;
    for (; in[i] && i < ERR_ECHO_MAX; i++)
        out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
    if (in[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}
