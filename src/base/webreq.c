/* webreq: see webreq.h. */
#include "base/webreq.h"

CURL *webreq_new(const char *agent, long timeout_seconds, char errbuf[CURL_ERROR_SIZE])
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    errbuf[0] = '\0';
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_seconds);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_seconds < 15L ? timeout_seconds : 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    return c;
}
