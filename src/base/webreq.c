/* webreq: see webreq.h. */
#include "base/webreq.h"

#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>

CURL *webreq_new(const char *agent, long connect_timeout_ms, long timeout_ms,
                 char errbuf[CURL_ERROR_SIZE])
{
    CURL *c = curl_easy_init();
    if (!c)
        mem_fatal(0);
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
        /* Out of memory, or a libcurl without http and https: either way
         * no request of ours can be made. */
        fprintf(stderr, "libcurl handle setup failed: %s\n", curl_easy_strerror(r));
        abort();
    }
    return c;
}
