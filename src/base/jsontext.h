/* jsontext: parsing a text that must be exactly one JSON value (a config
 * file, a request body): nothing but blanks may follow it, a NUL byte inside
 * is refused, and the error names what went wrong. Also the typed member
 * getters the modules reading JSON share. jsontext_parse_strict is the
 * variant for untrusted input. */
#ifndef TRADER_JSONTEXT_H
#define TRADER_JSONTEXT_H

#include <stddef.h>

#include <json-c/json.h>

/* Parses len bytes of text. On success *out is the value (caller frees with
 * json_object_put; a JSON null gives NULL); on failure err says why
 * ("unexpected end of input", "unexpected text after the value", ...). */
int jsontext_parse(const char *text, size_t len, json_object **out, char *err, size_t errlen);

/* jsontext_parse for untrusted input (request bodies), stricter: the text
 * must be well-formed UTF-8 and strict JSON (json-c's JSON_TOKENER_STRICT:
 * no comments, single quotes, trailing commas...), no string may contain
 * NUL (not even as \u0000), and no object may repeat a key (json-c would
 * silently keep the last one; a check walks the parsed value against the
 * member counts of the text). */
int jsontext_parse_strict(const char *text, size_t len, json_object **out, char *err,
                          size_t errlen);

/* Building JSON under the out-of-memory policy (mem.h): json-c answers NULL
 * when it could not allocate a value, and these end the process then, so a
 * value never silently turns into a null. val must not be NULL; a null is
 * added with json_put_null, an optional string with json_put_string_or_null.
 * The container takes ownership of val. */
json_object *json_new_object(void); /* never NULL */
json_object *json_new_array(void);  /* never NULL */
void json_put(json_object *o, const char *key, json_object *val);
void json_put_null(json_object *o, const char *key);
void json_put_string_or_null(json_object *o, const char *key, const char *s);
void json_push(json_object *a, json_object *val);
void json_push_null(json_object *a);

/* The string member key of o; NULL when o is not an object, the member is
 * absent or it is not a string. The text belongs to o. */
const char *jsontext_string(json_object *o, const char *key);

#endif
