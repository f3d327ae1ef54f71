/* webreq: a libcurl handle for the service's own outgoing requests (price
 * downloads, webhooks): http and https only, no redirects followed, no
 * signals, a whole-request timeout, our user agent and an error buffer. */
#ifndef TRADER_WEBREQ_H
#define TRADER_WEBREQ_H

#include <curl/curl.h>

/* A new handle (curl_easy_cleanup it), or NULL when out of memory. errbuf
 * must outlive the handle. */
CURL *webreq_new(const char *agent, long timeout_seconds, char errbuf[CURL_ERROR_SIZE]);

#endif
