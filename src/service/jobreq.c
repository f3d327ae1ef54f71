/* jobreq: see jobreq.h. */
#include "service/jobreq.h"

#include "service/callback.h"
#include "base/errbuf.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_date(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

void jobreq_free(struct jobreq *r)
{
    if (!r)
        return;
    free(r->config_path);
    free(r->callback_url);
    datelist_free(&r->dates);
    free(r->models);
    memset(r, 0, sizeof(*r));
}

static int parse_date_field(json_object *v, const char *key, char out[DATE_BUF],
                            enum jobreq_fail *why, char *err, size_t errlen)
{
    char e[ERR_ECHO_BUF];
    if (!json_object_is_type(v, json_type_string))
        return JOBREQ_REFUSE(JOBREQ_FAIL_DATE, "%s must be a date in YYYY-MM-DD format", key);
    if (!date_valid(json_object_get_string(v)))
        return JOBREQ_REFUSE(JOBREQ_FAIL_DATE, "%s \"%s\" is not a real date in YYYY-MM-DD format",
                             key, err_echo(json_object_get_string(v), e));
    memcpy(out, json_object_get_string(v), DATE_BUF);
    return 0;
}

static int parse_date_range(json_object *v, struct jobreq *r, enum jobreq_fail *why, char *err,
                            size_t errlen)
{
    char key[48];
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
        json_object_array_length(v) > JOBREQ_DATES_MAX)
        return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST, "date_range must be an array of 1 to %d dates",
                             JOBREQ_DATES_MAX);
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char d[DATE_BUF];
        snprintf(key, sizeof(key), "date_range[%zu]", i);
        if (parse_date_field(json_object_array_get_idx(v, i), key, d, why, err, errlen) != 0)
            return -1;
        datelist_push(&r->dates, d); /* a checked date: cannot fail */
    }
    qsort(r->dates.d, r->dates.n, sizeof(*r->dates.d), cmp_date);
    size_t n = 1;
    for (size_t i = 1; i < r->dates.n; i++)
        if (strcmp(r->dates.d[i], r->dates.d[n - 1]) != 0)
            memcpy(r->dates.d[n++], r->dates.d[i], DATE_BUF);
    r->dates.n = n;
    r->has_dates = true;
    return 0;
}

static int parse_models(json_object *v, struct jobreq *r, enum jobreq_fail *why, char *err,
                        size_t errlen)
{
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (n == 0 || n > CONFIG_MODELS_MAX)
        return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST,
                             "models must be an array of 1 to %d model signatures",
                             CONFIG_MODELS_MAX);
    r->models = mem_calloc(n, sizeof(*r->models));
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(v, i);
        const char *s = json_object_get_string(m);
        char e[ERR_ECHO_BUF];
        if (!json_object_is_type(m, json_type_string) || !config_signature_valid(s))
            return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST, "models[%zu] \"%s\" is not a model signature",
                                 i, err_echo(json_object_is_type(m, json_type_string) ? s : "", e));
        size_t j = 0;
        while (j < r->nmodels && strcmp(r->models[j], s) != 0)
            j++;
        if (j == r->nmodels)
            memcpy(r->models[r->nmodels++], s, strlen(s) + 1);
    }
    return 0;
}

static int parse_field(const char *key, json_object *v, struct jobreq *r, enum jobreq_fail *why,
                       char *err, size_t errlen)
{
    char e[ERR_ECHO_BUF];
    if (strcmp(key, "config_path") == 0) {
        const char *s = json_object_get_string(v);
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
            json_object_get_string_len(v) >= PATHS_MAX ||
            strlen(s) != (size_t)json_object_get_string_len(v))
            return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST,
                                 "config_path must be a non-empty path string");
        r->config_path = mem_strdup(s);
        return 0;
    }
    if (strcmp(key, "start_date") == 0)
        return parse_date_field(v, key, r->start, why, err, errlen);
    if (strcmp(key, "end_date") == 0)
        return parse_date_field(v, key, r->end, why, err, errlen);
    if (strcmp(key, "date_range") == 0)
        return parse_date_range(v, r, why, err, errlen);
    if (strcmp(key, "models") == 0)
        return parse_models(v, r, why, err, errlen);
    if (strcmp(key, "callback_url") == 0) {
        char why_url[ERRBUF_SIZE];
        if (!json_object_is_type(v, json_type_string) ||
            strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
            return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST, "callback_url must be a URL string");
        if (callback_url_check(json_object_get_string(v), why_url, sizeof(why_url)) != 0)
            return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST, "%s", why_url);
        r->callback_url = mem_strdup(json_object_get_string(v));
        return 0;
    }
    if (strcmp(key, "replace_existing") == 0) {
        if (!json_object_is_type(v, json_type_boolean))
            return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST, "replace_existing must be true or false");
        r->replace_existing = json_object_get_boolean(v);
        return 0;
    }
    return JOBREQ_REFUSE(
        JOBREQ_FAIL_REQUEST,
        "unknown field \"%s\" (accepted: config_path, start_date, end_date, date_range, "
        "models, replace_existing, callback_url)",
        err_echo(key, e));
}

int jobreq_parse(const char *body, size_t len, struct jobreq *out, enum jobreq_fail *why, char *err,
                 size_t errlen)
{
    struct jobreq r = {0};
    json_object *root = NULL;
    char msg[ERRBUF_SIZE];
    size_t i = 0;
    int rc = -1;
    while (i < len && body[i] && strchr(" \t\r\n", body[i]))
        i++;
    if (i == len) { /* no body: a catch-up with every default */
        *out = r;
        return 0;
    }
    if (jsontext_parse_strict(body, len, &root, msg, sizeof(msg)) != 0)
        return JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST, "request body is not valid JSON: %s", msg);
    if (!json_object_is_type(root, json_type_object)) {
        JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST, "request body must be a JSON object");
        goto out;
    }
    json_object_object_foreach(root, key, val)
    {
        /* null means "not given", as an optional field would be */
        if (val && parse_field(key, val, &r, why, err, errlen) != 0)
            goto out;
    }
    if (r.has_dates && (r.start[0] || r.end[0])) {
        JOBREQ_REFUSE(JOBREQ_FAIL_REQUEST,
                      "date_range cannot be combined with start_date or end_date");
        goto out;
    }
    if (r.start[0] && r.end[0] && strcmp(r.start, r.end) > 0) {
        JOBREQ_REFUSE(JOBREQ_FAIL_DATE, "start_date %s is after end_date %s", r.start, r.end);
        goto out;
    }
    *out = r;
    memset(&r, 0, sizeof(r));
    rc = 0;
out:
    jobreq_free(&r);
    json_object_put(root);
    return rc;
}
