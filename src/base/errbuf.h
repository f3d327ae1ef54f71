/* errbuf: the project's result convention and the bounded error-message
 * buffer every fallible function fills.
 *
 * The result convention, followed by every module:
 * - A function that can fail returns int: 0 on success, -1 on failure with a
 *   human-readable reason in the caller's buffer (err, errlen bytes, always
 *   NUL-terminated; err may be NULL). Out-parameters are set only on success.
 * - A function with a third outcome (found or not, done or refused) returns
 *   an enum of its module whose failure member is -1 and is named *_ERROR,
 *   e.g. enum prices_found { PRICES_ERROR = -1, PRICES_FOUND, PRICES_MISSING }:
 *   the name says the outcome, never a bare 1.
 * - A question that cannot fail returns bool.
 * - Running out of memory is not a result: it ends the process (mem.h). */
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
