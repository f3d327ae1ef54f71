/* jsontext: see jsontext.h. */
#include "jsontext.h"

#include "errbuf.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int jsontext_parse(const char *text, size_t len, json_object **out, char *err, size_t errlen)
{
    json_tokener *tok;
    json_object *v;
    if (len > INT_MAX)
        return err_set(err, errlen, "too large");
    if (memchr(text, '\0', len))
        return err_set(err, errlen, "a NUL byte in the text");
    if (!(tok = json_tokener_new()))
        return err_set(err, errlen, "out of memory");
    v = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
        json_object_put(v);
        return err_set(err, errlen, "%s",
                       jerr == json_tokener_continue ? "unexpected end of input"
                                                     : json_tokener_error_desc(jerr));
    }
    while (end < len && blank(text[end]))
        end++;
    if (end != len) {
        json_object_put(v);
        return err_set(err, errlen, "unexpected text after the value at byte %zu", end);
    }
    *out = v;
    return 0;
}

const char *jsontext_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}
