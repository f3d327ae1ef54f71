/* webreq: see webreq.h. */
#include "base/webreq.h"

CURL *webreq_new(const char *agent, long connect_timeout_ms, long timeout_ms,
                 char errbuf[CURL_ERROR_SIZE])
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    errbuf[0] = '\0';
#if LIBCURL_VERSION_NUM >= 0x075500
    CURLcode r = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    CURLcode r = curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    r = r ? r : curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    r = r ? r : curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    r = r ? r : curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    r = r ? r : curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    r = r ? r
          : curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                             connect_timeout_ms < timeout_ms ? connect_timeout_ms : timeout_ms);
    r = r ? r : curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    r = r ? r : curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
    r = r ? r : curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (r != CURLE_OK) {
        curl_easy_cleanup(c);
        return NULL;
    }
    return c;
}
