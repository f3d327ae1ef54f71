/* utf8: checking that bytes are well-formed UTF-8 (RFC 3629): no overlong
 * forms, no surrogates, nothing above U+10FFFF, no truncated sequence. Input
 * that fails is refused before any use, so it is never echoed back. */
#ifndef TRADER_UTF8_H
#define TRADER_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes of s are well-formed UTF-8 (NUL bytes included:
 * callers that refuse NUL check it themselves). */
bool utf8_valid(const char *s, size_t n);

#endif
