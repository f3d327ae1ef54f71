/* errbuf: the bounded error-message buffer every fallible core function fills.
 * Functions return 0 on success and -1 on failure; on failure they write a
 * human-readable reason into the caller's buffer (always NUL-terminated). */
#ifndef TRADER_ERRBUF_H
#define TRADER_ERRBUF_H

#include <stddef.h>

#define ERRBUF_SIZE 512

/* Formats into err (if non-NULL) and returns -1, so callers can write
 * `return err_set(err, errlen, "...")`. */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define ERR_ECHO_MAX 64                 /* bytes of input quoted back in a message */
#define ERR_ECHO_BUF (ERR_ECHO_MAX + 4) /* room for "..." and the NUL */

/* Input (a request field, a path) made safe to quote in a message: at most
 * ERR_ECHO_MAX bytes, bytes outside printable ASCII replaced by '?', "..."
 * appended when cut. Returns out. */
const char *err_echo(const char *in, char out[ERR_ECHO_BUF]);

#endif
