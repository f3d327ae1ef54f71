/* aitrader: see aitrader.h. The writer reproduces Python's json.dumps text
 * byte for byte. */
#include "aitrader/aitrader.h"

#include "base/dates.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES (16 * 1024 * 1024) /* one JSONL line; longer is refused */

bool aitrader_signature_valid(const char *signature)
{
    size_t n = 0;
    if (!signature || signature[0] == '.')
        return false;
    for (; signature[n]; n++) {
        char c = signature[n];
        if (n >= AITRADER_SIGNATURE_MAX - 1)
            return false;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n > 0;
}

/* ---- Python-compatible JSON text ------------------------------------------ */

/* A string as json.dumps(ensure_ascii=False) writes it: quote, backslash and
 * the control characters escaped, every other byte as it is. */
static void put_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\b':
            fputs("\\b", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        default:
            if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

/* Any JSON value with Python's ", " and ": " separators. Numbers keep the
 * text json-c holds for them (the parsed text, or money_to_json's exact
 * decimal). */
static void put_value(FILE *f, json_object *v)
{
    size_t i = 0;
    switch (json_object_get_type(v)) {
    case json_type_object:
        fputc('{', f);
        json_object_object_foreach(v, key, val)
        {
            if (i++)
                fputs(", ", f);
            put_string(f, key, strlen(key));
            fputs(": ", f);
            put_value(f, val);
        }
        fputc('}', f);
        break;
    case json_type_array:
        fputc('[', f);
        for (i = 0; i < json_object_array_length(v); i++) {
            if (i)
                fputs(", ", f);
            put_value(f, json_object_array_get_idx(v, i));
        }
        fputc(']', f);
        break;
    case json_type_string:
        put_string(f, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    default: /* null, boolean, int, double */
        fputs(json_object_to_json_string_ext(v, AITRADER_JSON_TEXT), f);
    }
}

/* A memory stream writing into *buf (mem.h: it can only fail to allocate). */
static FILE *stream_open(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        mem_fatal(0);
    return f;
}

/* Closes the memory stream and hands over its text. */
static void stream_finish(FILE *f, char **buf, char **out)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || !*buf)
        mem_fatal(0);
    *out = *buf;
}

/* Writes ", "K1": v1" (and ", "K2": v2" when k2 is set) as exact decimals. */
static void put_money_fields(FILE *f, const char *k1, money_t v1, const char *k2, money_t v2)
{
    char buf[MONEY_FMT_MAX];
    money_format(v1, buf, sizeof(buf));
    fprintf(f, ", \"%s\": %s", k1, buf);
    if (k2) {
        money_format(v2, buf, sizeof(buf));
        fprintf(f, ", \"%s\": %s", k2, buf);
    }
}

int aitrader_position_line(const char *date, long long id, const struct aitrader_action *act,
                           const struct portfolio *p, const char *const *symbols, size_t nsymbols,
                           char **out, char *err, size_t errlen)
{
    char *buf = NULL, cash[MONEY_FMT_MAX];
    size_t len = 0;
    if (!date_valid(date))
        return err_set(err, errlen, "invalid date");
    FILE *f = stream_open(&buf, &len);
    fputs("{\"date\": ", f);
    put_string(f, date, strlen(date));
    fprintf(f, ", \"id\": %lld", id);
    if (act) {
        fputs(", \"this_action\": {\"action\": ", f);
        put_string(f, act->action, strlen(act->action));
        fputs(", \"symbol\": ", f);
        put_string(f, act->symbol, strlen(act->symbol));
        fprintf(f, ", \"amount\": %" PRId64, act->amount);
        if (act->costs)
            put_money_fields(f, "price", act->price, "fee", act->fee);
        if (act->factor) {
            fputs(", \"factor\": ", f);
            put_string(f, act->factor, strlen(act->factor));
            put_money_fields(f, "cash", act->cash, NULL, 0);
        }
        fputc('}', f);
    }
    fputs(", \"positions\": {", f);
    for (size_t i = 0; i < nsymbols; i++) {
        put_string(f, symbols[i], strlen(symbols[i]));
        fprintf(f, ": %" PRId64 ", ", portfolio_shares(p, symbols[i]));
    }
    /* A holding outside the list still has to be written. */
    for (size_t i = 0; i < p->n; i++) {
        size_t k = 0;
        while (k < nsymbols && strcmp(symbols[k], p->h[i].symbol) != 0)
            k++;
        if (k == nsymbols)
            fprintf(f, "\"%s\": %" PRId64 ", ", p->h[i].symbol, p->h[i].shares);
    }
    money_format(p->cash, cash, sizeof(cash));
    fprintf(f, "\"CASH\": %s}}", cash);
    stream_finish(f, &buf, out);
    return 0;
}

int aitrader_log_line(const char *signature, json_object *messages, char **out, char *err,
                      size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    if (!aitrader_signature_valid(signature))
        return err_set(err, errlen, "invalid signature");
    if (!json_object_is_type(messages, json_type_array))
        return err_set(err, errlen, "messages must be an array");
    FILE *f = stream_open(&buf, &len);
    fputs("{\"signature\": ", f);
    put_string(f, signature, strlen(signature));
    fputs(", \"new_messages\": ", f);
    put_value(f, messages);
    fputc('}', f);
    stream_finish(f, &buf, out);
    return 0;
}

/* ---- files ---------------------------------------------------------------- */

int aitrader_join(char *out, size_t outlen, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, outlen, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= outlen)
        return err_set(err, errlen, "path too long");
    return 0;
}

int aitrader_position_path(const char *log_path, const char *signature, char *out, size_t outlen,
                           char *err, size_t errlen)
{
    if (!aitrader_signature_valid(signature))
        return err_set(err, errlen, "invalid signature \"%.64s\"", signature ? signature : "");
    return aitrader_join(out, outlen, err, errlen, "%s/%s/position/position.jsonl", log_path,
                         signature);
}

int aitrader_log_path(const char *log_path, const char *signature, const char *date, char *out,
                      size_t outlen, char *err, size_t errlen)
{
    if (!aitrader_signature_valid(signature))
        return err_set(err, errlen, "invalid signature \"%.64s\"", signature ? signature : "");
    if (!date_valid(date))
        return err_set(err, errlen, "invalid date");
    return aitrader_join(out, outlen, err, errlen, "%s/%s/log/%s/log.jsonl", log_path, signature,
                         date);
}

/* Creates every directory on the way to file's directory below base (base
 * itself included, not its parents). */
static int make_parents(const char *base, const char *file, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    size_t start = strlen(base);
    if (aitrader_join(dir, sizeof(dir), err, errlen, "%s", file) != 0)
        return -1;
    for (size_t i = start; dir[i]; i++) {
        if (dir[i] != '/')
            continue;
        char c = dir[i];
        dir[i] = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return err_set(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
        dir[i] = c;
    }
    return 0;
}

static int append_line(const char *base, const char *path, const char *line, char *err,
                       size_t errlen)
{
    size_t len = strlen(line);
    char *buf;
    int rc = -1;
    if (memchr(line, '\n', len))
        return err_set(err, errlen, "a JSONL line cannot contain a newline");
    if (make_parents(base, path, err, errlen) != 0)
        return -1;
    buf = mem_alloc(len + 1);
    memcpy(buf, line, len);
    buf[len] = '\n';
    /* One write in append mode: a line is never interleaved with another. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_set(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    ssize_t w = write(fd, buf, len + 1);
    if (w != (ssize_t)(len + 1)) {
        err_set(err, errlen, "cannot write %s: %s", path, w < 0 ? strerror(errno) : "short write");
        close(fd);
        goto out;
    }
    if (close(fd) != 0) {
        err_set(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

int aitrader_append_position(const char *log_path, const char *signature, const char *line,
                             char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (aitrader_position_path(log_path, signature, path, sizeof(path), err, errlen) != 0)
        return -1;
    return append_line(log_path, path, line, err, errlen);
}

int aitrader_append_log(const char *log_path, const char *signature, const char *date,
                        const char *line, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (aitrader_log_path(log_path, signature, date, path, sizeof(path), err, errlen) != 0)
        return -1;
    return append_line(log_path, path, line, err, errlen);
}

/* ---- reading JSONL -------------------------------------------------------- */

enum aitrader_got aitrader_jsonl_open(struct aitrader_jsonl *r, const char *path, char *err,
                                      size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    if (!(r->f = fopen(path, "re"))) {
        if (errno == ENOENT)
            return AITRADER_NONE;
        return (enum aitrader_got)err_set(err, errlen, "cannot open %s: %s", path, strerror(errno));
    }
    return AITRADER_GOT;
}

void aitrader_jsonl_close(struct aitrader_jsonl *r)
{
    if (r->f)
        fclose(r->f);
    free(r->line);
    r->f = NULL;
    r->line = NULL;
}

enum aitrader_got aitrader_jsonl_next(struct aitrader_jsonl *r, json_object **obj, char *err,
                                      size_t errlen)
{
    char why[ERRBUF_SIZE];
    json_object *o = NULL;
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->cap, r->f);
        if (n < 0)
            return errno ? (enum aitrader_got)err_set(err, errlen, "cannot read %s: %s", r->path,
                                                      strerror(errno))
                         : AITRADER_NONE;
        r->lineno++;
        if (strspn(r->line, " \t\r\n") == (size_t)n)
            continue;
        if (n > LINE_MAX_BYTES)
            return (enum aitrader_got)err_set(err, errlen, "%s:%d: line too long", r->path,
                                              r->lineno);
        if (jsontext_parse(r->line, (size_t)n, &o, why, sizeof(why)) != 0)
            return (enum aitrader_got)err_set(err, errlen, "%s:%d: malformed JSON (%s)", r->path,
                                              r->lineno, why);
        if (!json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            return (enum aitrader_got)err_set(err, errlen, "%s:%d: not a JSON object", r->path,
                                              r->lineno);
        }
        *obj = o;
        return AITRADER_GOT;
    }
}

int aitrader_json_whole(json_object *v, int64_t *out)
{
    if (json_object_is_type(v, json_type_int)) {
        errno = 0;
        int64_t x = json_object_get_int64(v);
        if (errno)
            return -1;
        *out = x;
        return 0;
    }
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (d != floor(d) || fabs(d) > 9e15)
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    return -1;
}

enum aitrader_got aitrader_last_id(const char *log_path, const char *signature, long long *id,
                                   char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct aitrader_jsonl r;
    json_object *o;
    int64_t max = -1, v;
    enum aitrader_got rc;
    if (aitrader_position_path(log_path, signature, path, sizeof(path), err, errlen) != 0)
        return AITRADER_ERROR;
    if ((rc = aitrader_jsonl_open(&r, path, err, errlen)) != AITRADER_GOT)
        return rc;
    while ((rc = aitrader_jsonl_next(&r, &o, err, errlen)) == AITRADER_GOT) {
        int bad = aitrader_json_whole(json_object_object_get(o, "id"), &v) != 0;
        json_object_put(o);
        if (bad) {
            rc = (enum aitrader_got)err_set(err, errlen, "%s:%d: no integer id", path, r.lineno);
            break;
        }
        if (v > max)
            max = v;
    }
    aitrader_jsonl_close(&r);
    if (rc == AITRADER_ERROR)
        return AITRADER_ERROR;
    if (max < 0)
        return AITRADER_NONE;
    *id = max;
    return AITRADER_GOT;
}
