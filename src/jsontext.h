/* jsontext: parsing a text that must be exactly one JSON value (a config
 * file, a request body): nothing but blanks may follow it, a NUL byte inside
 * is refused, and the error names what went wrong. Also the typed member
 * getters the modules reading JSON share. */
#ifndef TRADER_JSONTEXT_H
#define TRADER_JSONTEXT_H

#include <stddef.h>

#include <json-c/json.h>

/* Parses len bytes of text. On success *out is the value (caller frees with
 * json_object_put; a JSON null gives NULL); on failure err says why
 * ("unexpected end of input", "unexpected text after the value", ...). */
int jsontext_parse(const char *text, size_t len, json_object **out, char *err, size_t errlen);

/* The string member key of o; NULL when o is not an object, the member is
 * absent or it is not a string. The text belongs to o. */
const char *jsontext_string(json_object *o, const char *key);

#endif
