/* webreq: the one libcurl setup of every outgoing request (LLM calls, news
 * search, price downloads, webhooks): http and https only, peers verified,
 * no redirects followed (a key never travels to another host), no signals,
 * connect and whole-request timeouts, a user agent and an error buffer.
 * Callers add the URL, headers, body and callbacks of their request. */
#ifndef TRADER_WEBREQ_H
#define TRADER_WEBREQ_H

#include <curl/curl.h>

#define WEBREQ_CONNECT_MS 15000L /* the usual connect timeout */

/* A new handle (curl_easy_cleanup it); never NULL: a handle libcurl cannot
 * set up ends the process (the policy of mem.h). The connect timeout is at
 * most timeout_ms. errbuf must outlive the handle. */
CURL *webreq_new(const char *agent, long connect_timeout_ms, long timeout_ms,
                 char errbuf[CURL_ERROR_SIZE]);

#endif
