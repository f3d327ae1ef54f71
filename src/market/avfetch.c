/* avfetch: see avfetch.h. A saved answer's mtime is when it was fetched
 * (the caller removes one that could not be imported). The key travels only in the request URL,
 * which is never logged or stored; an answer is written to a temporary file and renamed, so a saved
 * file is always a whole answer. */
#include "market/avfetch.h"

#include "base/dates.h"
#include "base/errbuf.h"
#include "base/mem.h"
#include "base/webreq.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct buf {
    char *p;
    size_t n, cap;
    int over;
};

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    size_t len = size * n;
    if (b->over || b->n + len > (size_t)AVFETCH_MAX_ANSWER) {
        b->over = 1;
        return 0;
    }
    ARRAY_RESERVE(b->p, b->cap, b->n + len + 1);
    memcpy(b->p + b->n, p, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

/* GETs url into *b; *status = the HTTP status. Returns 0, or -1 (msg). */
static int get(const char *url, struct buf *b, long *status, char *msg, size_t msglen)
{
    char cerr[CURL_ERROR_SIZE];
    CURL *c = webreq_new("trader-prices/1", WEBREQ_CONNECT_MS, 120000L, cerr);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return err_set(msg, msglen, "%s",
                       b->over ? "answer too large"
                       : *cerr ? cerr
                               : curl_easy_strerror(rc));
    return 0;
}

/* Classifies an answer by its in-band fields. */
static enum avfetch_result classify(const struct buf *b, char *msg, size_t msglen)
{
    static const struct {
        const char *key;
        enum avfetch_result res;
    } inband[] = {{"Note", AVFETCH_LIMIT},
                  {"Information", AVFETCH_LIMIT},
                  {"Error Message", AVFETCH_REFUSED}};
    json_object *o = b->p ? json_tokener_parse(b->p) : NULL, *v;
    enum avfetch_result res = AVFETCH_OK;
    if (!o || !json_object_is_type(o, json_type_object)) {
        err_set(msg, msglen, "the answer is not a JSON object");
        res = AVFETCH_FAILED;
    }
    for (size_t i = 0; res == AVFETCH_OK && i < sizeof(inband) / sizeof(inband[0]); i++)
        if (json_object_object_get_ex(o, inband[i].key, &v)) {
            err_set(msg, msglen, "%s: %.400s", inband[i].key, json_object_get_string(v));
            res = inband[i].res;
        }
    json_object_put(o);
    return res;
}

int avfetch_get(const struct avfetch *f, const char *function, const char *symbol,
                const char *outputsize, char *path, size_t pathlen, enum avfetch_result *res,
                char *msg, size_t msglen)
{
    struct buf b = {0};
    char *url = NULL, tmp[PATH_MAX];
    CURL *esc = curl_easy_init();
    char *key = esc ? curl_easy_escape(esc, f->api_key, 0) : NULL;
    long status = 0;
    int rc = -1, n;
    FILE *out = NULL;
    *res = AVFETCH_FAILED;
    if (!key)
        mem_fatal(0);
    n = snprintf(NULL, 0, "%s?function=%s&symbol=%s%s%s&datatype=json&apikey=%s", f->base_url,
                 function, symbol, outputsize ? "&outputsize=" : "", outputsize ? outputsize : "",
                 key);
    if (n < 0) {
        err_set(msg, msglen, "cannot format the request URL");
        goto out;
    }
    url = mem_alloc((size_t)n + 1);
    snprintf(url, (size_t)n + 1, "%s?function=%s&symbol=%s%s%s&datatype=json&apikey=%s",
             f->base_url, function, symbol, outputsize ? "&outputsize=" : "",
             outputsize ? outputsize : "", key);
    rc = 0;
    if (get(url, &b, &status, msg, msglen) != 0)
        goto out;
    if (status != 200) {
        err_set(msg, msglen, "HTTP status %ld", status);
        goto out;
    }
    if ((*res = classify(&b, msg, msglen)) != AVFETCH_OK)
        goto out;
    *res = AVFETCH_FAILED;
    if (snprintf(path, pathlen, "%s/%s_%s.json", f->dir, function, symbol) >= (int)pathlen ||
        snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        err_set(msg, msglen, "path too long");
        goto out;
    }
    if (!(out = fopen(tmp, "w")) || fwrite(b.p, 1, b.n, out) != b.n || fclose(out) != 0 ||
        rename(tmp, path) != 0) {
        if (out)
            remove(tmp);
        err_set(msg, msglen, "cannot write %s", path);
        goto out;
    }
    *res = AVFETCH_OK;
out:
    free(url);
    curl_free(key);
    curl_easy_cleanup(esc);
    free(b.p);
    return rc;
}

bool avfetch_fresh(const struct avfetch *f, const char *function, const char *symbol,
                   double max_age_hours)
{
    char path[PATH_MAX];
    struct stat sb;
    if (snprintf(path, sizeof(path), "%s/%s_%s.json", f->dir, function, symbol) >=
            (int)sizeof(path) ||
        stat(path, &sb) != 0)
        return false;
    return difftime(time(NULL), sb.st_mtime) < max_age_hours * 3600.0;
}
