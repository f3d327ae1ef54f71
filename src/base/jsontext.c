/* jsontext: see jsontext.h. */
#include "base/jsontext.h"

#include "base/errbuf.h"
#include "base/mem.h"
#include "base/utf8.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* jsontext_parse with the tokener's flags. */
static int parse_flags(const char *text, size_t len, int flags, json_object **out, char *err,
                       size_t errlen)
{
    json_tokener *tok;
    json_object *v;
    if (len > INT_MAX)
        return err_set(err, errlen, "too large");
    if (memchr(text, '\0', len))
        return err_set(err, errlen, "a NUL byte in the text");
    if (!(tok = json_tokener_new()))
        mem_fatal(sizeof(json_object *));
    json_tokener_set_flags(tok, flags);
    v = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* A number or literal at the very end ("123", "null") is complete
         * only once json-c sees the end of the input: its NUL. */
        v = json_tokener_parse_ex(tok, "", 1);
        if (json_tokener_get_error(tok) == json_tokener_success)
            jerr = json_tokener_success;
        end = len;
    }
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

int jsontext_parse(const char *text, size_t len, json_object **out, char *err, size_t errlen)
{
    return parse_flags(text, len, 0, out, err, errlen);
}

/* The objects of a JSON text in document order (the order of their '{'),
 * with the number of members each has as written. */
struct members {
    size_t *count;
    size_t n, cap;
};

/* True for what json-c's strict mode still accepts outside strings but
 * JSON does not: single quotes, NaN, Infinity, "1." (letters other than
 * those of true, false, null and an exponent; a '.' without a digit). */
static bool lenient(const char *text, size_t len, size_t i)
{
    char c = text[i];
    if (c == '\'' || (c == '.' && (i + 1 == len || text[i + 1] < '0' || text[i + 1] > '9')))
        return true;
    return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && !strchr("truefalsnE", c);
}

/* Fills m from text, which json-c has parsed (so it is well-formed and at
 * most JSON_TOKENER_DEFAULT_DEPTH deep) and refuses what json-c let through:
 * a \u0000 escape (json-c keeps the NUL in a value and cuts a key at it), a
 * raw control character in a string, and lenient() syntax. */
static int scan_members(const char *text, size_t len, struct members *m, char *err, size_t errlen)
{
    long open[JSON_TOKENER_DEFAULT_DEPTH + 1]; /* per level: its object's index, or -1 */
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++) {
                if ((unsigned char)text[i] < 0x20)
                    return err_set(err, errlen, "a control character in a string");
                if (text[i] != '\\')
                    continue;
                if (len - i > 5 && memcmp(text + i + 1, "u0000", 5) == 0)
                    return err_set(err, errlen, "a string contains a NUL character (\\u0000)");
                i++;
            }
        } else if (lenient(text, len, i)) {
            return err_set(err, errlen, "not strict JSON at byte %zu", i);
        } else if (c == '{' || c == '[') {
            if (depth > JSON_TOKENER_DEFAULT_DEPTH)
                return err_set(err, errlen, "nested too deeply");
            if (c == '[') {
                open[depth++] = -1;
                continue;
            }
            ARRAY_RESERVE(m->count, m->cap, m->n + 1);
            m->count[m->n] = 0;
            open[depth++] = (long)m->n++;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        } else if (c == ':' && depth > 0 && open[depth - 1] >= 0) {
            m->count[open[depth - 1]]++;
        }
    }
    return 0;
}

/* Walks v in document order, matching each object's member count with the
 * text's. json-c keeps the last of duplicate keys in the first one's place
 * and drops the earlier values, so every object before the first one with a
 * duplicate lines up, and that one has fewer members than written. Returns
 * 0, or -1 at the first object that differs. */
static int same_members(json_object *v, const struct members *m, size_t *next)
{
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (same_members(json_object_array_get_idx(v, i), m, next) != 0)
                return -1;
        return 0;
    }
    if (!json_object_is_type(v, json_type_object))
        return 0;
    if (*next >= m->n || m->count[(*next)++] != (size_t)json_object_object_length(v))
        return -1;
    json_object_object_foreach(v, key, member)
    {
        (void)key;
        if (same_members(member, m, next) != 0)
            return -1;
    }
    return 0;
}

int jsontext_parse_strict(const char *text, size_t len, json_object **out, char *err, size_t errlen)
{
    struct members m = {0};
    json_object *v = NULL;
    size_t next = 0;
    int rc = -1;
    if (!utf8_valid(text, len))
        return err_set(err, errlen, "not valid UTF-8");
    if (parse_flags(text, len, JSON_TOKENER_STRICT, &v, err, errlen) != 0)
        return -1;
    if (scan_members(text, len, &m, err, errlen) != 0)
        goto out;
    if (same_members(v, &m, &next) != 0) {
        err_set(err, errlen, "an object has a duplicate key");
        goto out;
    }
    *out = v;
    v = NULL;
    rc = 0;
out:
    json_object_put(v);
    free(m.count);
    return rc;
}

const char *jsontext_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

json_object *json_new_object(void)
{
    json_object *o = json_object_new_object();
    if (!o)
        mem_fatal(sizeof(json_object *));
    return o;
}

json_object *json_new_array(void)
{
    json_object *a = json_object_new_array();
    if (!a)
        mem_fatal(sizeof(json_object *));
    return a;
}

void json_put(json_object *o, const char *key, json_object *val)
{
    if (!val || json_object_object_add(o, key, val) != 0)
        mem_fatal(sizeof(json_object *));
}

void json_put_null(json_object *o, const char *key)
{
    if (json_object_object_add(o, key, NULL) != 0)
        mem_fatal(sizeof(json_object *));
}

void json_put_string_or_null(json_object *o, const char *key, const char *s)
{
    if (s)
        json_put(o, key, json_object_new_string(s));
    else
        json_put_null(o, key);
}

void json_push(json_object *a, json_object *val)
{
    if (!val || json_object_array_add(a, val) != 0)
        mem_fatal(sizeof(json_object *));
}

void json_push_null(json_object *a)
{
    if (json_object_array_add(a, NULL) != 0)
        mem_fatal(sizeof(json_object *));
}
