/* file: reading a whole file into memory, bounded, for the inputs a user
 * names (price files, prompt templates). */
#ifndef TRADER_FILE_H
#define TRADER_FILE_H

#include <stddef.h>

/* Reads the regular file at path whole into *out (NUL-terminated, caller
 * frees) and its length into *len (len may be NULL). Fails, with the reason
 * in err ("cannot open: ...", "not a regular file", "over N bytes", "cannot
 * read: ..."), when it cannot be read or holds more than max bytes. */
int file_read(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen);

#endif
