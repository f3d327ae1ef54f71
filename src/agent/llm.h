/* llm: the client for OpenAI-compatible chat-completions endpoints. Owns the
 * HTTP exchange of one agent step (request body, headers, timeouts, response
 * size bound, TLS and redirect policy), the parsing and normalization of the
 * assistant message, the classification of failures (transient or permanent)
 * and the retry loop with backoff. One struct llm_client per model and thread;
 * the module has no global state besides libcurl's, set up once by
 * llm_global_init before any thread starts. */
#ifndef TRADER_LLM_H
#define TRADER_LLM_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#define LLM_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define LLM_DEFAULT_TIMEOUT_MS 120000L
#define LLM_DEFAULT_MAX_RESPONSE ((size_t)8 << 20)
#define LLM_DEFAULT_MAX_RETRIES 3
#define LLM_DEFAULT_BASE_DELAY 1.0       /* seconds */
#define LLM_DEFAULT_MAX_DELAY 30.0       /* cap of one backoff sleep, seconds */
#define LLM_DEFAULT_MAX_RETRY_AFTER 60.0 /* cap of an honoured Retry-After */
#define LLM_EXCERPT_MAX 200              /* bytes of a provider message quoted in errors */
#define LLM_DEFAULT_MAX_TOOL_CALLS 100   /* tool calls accepted in one reply */
#define LLM_DEFAULT_MAX_REPLY_BYTES ((size_t)1 << 20) /* content + tool calls of one reply */

/* How a client talks to one model. Strings are copied by llm_client_new. */
struct llm_config {
    const char *base_url; /* "http://host:port/v1"; a trailing slash is ignored */
    const char *api_key;  /* NULL or "": no Authorization header */
    const char *model;    /* sent as "model" */
    long connect_timeout_ms;
    long timeout_ms;           /* whole exchange, per attempt */
    size_t max_response_bytes; /* larger bodies fail with "response too large" */
    int max_retries;           /* retries after the first attempt, >= 0 */
    double base_delay;         /* first backoff, doubled per retry */
    double max_delay;          /* cap of one backoff */
    double max_retry_after;    /* cap of a server-requested Retry-After */
    int has_temperature;       /* send "temperature" only when set */
    double temperature;
    long max_tokens;         /* > 0: sent as "max_tokens" */
    json_object *extra_body; /* NULL or an object whose members are merged into each request
                                (they win over ours, never over model and messages); the
                                client keeps a copy */
    int drop_reasoning;      /* remove reasoning, reasoning_content and reasoning_details from
                                the assistant messages sent back (providers that refuse them) */
    size_t max_tool_calls;   /* a reply with more tool calls fails (permanent) */
    size_t max_reply_bytes;  /* a reply whose content and tool calls are larger fails */
};

/* Fills cfg with the defaults above and no URL, key or model. */
void llm_config_init(struct llm_config *cfg);

/* Process-wide libcurl setup: call once from the main thread before any
 * client exists, and llm_global_cleanup once after the last is freed. */
int llm_global_init(char *err, size_t errlen);
void llm_global_cleanup(void);

struct llm_client;

/* Validates cfg (http or https URL, model set, no line breaks in the key,
 * sane limits). On success *out owns a new client: free with llm_client_free.
 * A client is used by one thread at a time. */
int llm_client_new(const struct llm_config *cfg, struct llm_client **out, char *err, size_t errlen);

/* NULL is a no-op. */
void llm_client_free(struct llm_client *c);

/* One tool call of the assistant message. The strings belong to the
 * response (they point into its message) and live until llm_response_free. */
struct llm_tool_call {
    const char *id;        /* never empty: synthesized when the provider gave none */
    const char *name;      /* function name as sent by the model (may be unknown) */
    const char *arguments; /* always a string, possibly not valid JSON */
};

struct llm_usage {
    int present; /* the response had a usage object */
    long long prompt_tokens, completion_tokens, total_tokens;
};

/* A parsed completion. `message` is the assistant message as received, with
 * only these normalizations, so it can be appended to the history as is:
 * a call shaped {"id", "name", "args" | "arguments"} (DeepSeek through
 * OpenRouter) becomes {"id", "type", "function": {"name", "arguments"}};
 * function.arguments sent as an object (or other non-string) become its JSON
 * text; missing, empty or duplicate tool-call ids are replaced by unique
 * "call_<k>_<n>" ids (the client's k-th llm_chat, n-th call); a missing "type" becomes "function";
 * an empty or null tool_calls is removed; a missing role becomes "assistant"; and a null content
 * without tool calls becomes "". Every other field (reasoning_content, provider extensions) is kept
 * untouched. To keep the message after freeing the response, take a reference:
 * json_object_get(r->message). Tool calls win over finish_reason: a message with tool calls is a
 * tool step even when finish_reason is "stop". Refused (LLM_E_REPLY, permanent): more tool calls
 * than max_tool_calls, content and calls over max_reply_bytes, a NUL character in the content,
 * a tool name, id or arguments (C text would end there and lose what follows). finish_reason
 * "error" is a transient failure (retried). */
struct llm_response {
    json_object *message;      /* owned by the response */
    const char *content;       /* text, NULL when null or absent; parts are joined */
    const char *reasoning;     /* reasoning_content (or reasoning) when sent, else NULL */
    const char *finish_reason; /* as received, NULL when absent */
    struct llm_tool_call *calls;
    size_t ncalls;
    struct llm_usage usage;
    json_object *root_; /* private: the whole response body, owner of message */
    char *content_buf_; /* private: joined content parts */
};

/* NULL is a no-op. */
void llm_response_free(struct llm_response *r);

enum llm_errclass {
    LLM_OK,
    LLM_TRANSIENT,  /* retrying may help: timeouts, connection errors, 408/409/429/5xx,
                       malformed or truncated JSON, wrong content type */
    LLM_PERMANENT,  /* retrying will not help: other 4xx, exhausted quota, too large */
    LLM_INTERRUPTED /* the stop flag was raised */
};

enum llm_errkind {
    LLM_E_NONE,
    LLM_E_TIMEOUT,      /* connect or total timeout */
    LLM_E_CONNECT,      /* could not connect, connection reset, partial transfer */
    LLM_E_HTTP,         /* a non-2xx status */
    LLM_E_QUOTA,        /* insufficient_quota, whatever the status */
    LLM_E_PROVIDER,     /* an error object in a 2xx body */
    LLM_E_BAD_RESPONSE, /* malformed or truncated JSON, wrong content type, no choices */
    LLM_E_TOO_LARGE,    /* body over max_response_bytes */
    LLM_E_STOPPED,      /* the stop flag was raised */
    LLM_E_CONTEXT,      /* the request does not fit the model's context window */
    LLM_E_REPLY,        /* a reply we refuse: over the tool-call or size cap, a NUL character */
    LLM_E_INTERNAL      /* curl setup, a request that cannot be built */
};

/* What llm_chat did, filled on success and on failure. */
struct llm_outcome {
    enum llm_errclass cls;
    enum llm_errkind kind;
    long http_status;   /* of the last attempt; 0 when no response was received */
    int attempts;       /* requests sent */
    double delay_total; /* seconds of backoff between attempts (chosen, not measured) */
};

/* One chat completion: POST {base}/chat/completions with {model, messages,
 * tools, tool_choice: "auto"} (tools and tool_choice only when tools is a
 * non-empty array; temperature and max_tokens when configured; extra_body
 * merged; reasoning fields dropped when drop_reasoning). A 2xx body that is
 * a valid completion is accepted whatever its content type. messages and
 * tools are borrowed, not modified. Transient failures are retried up to
 * max_retries times with exponential backoff (base_delay, 2*base_delay, ...
 * capped at max_delay), or after the server's Retry-After (seconds or
 * HTTP-date, capped at max_retry_after); permanent ones return at once. stop
 * (may be NULL) is polled while sleeping (every 50 ms) and during the
 * transfer: when raised, the call returns -1 with LLM_INTERRUPTED.
 * On success *out owns a new response: free with llm_response_free. oc (may
 * be NULL) is filled either way; err says what failed, with the HTTP status
 * and an excerpt of the provider's message. */
int llm_chat(struct llm_client *c, json_object *messages, json_object *tools,
             const atomic_int *stop, struct llm_response **out, struct llm_outcome *oc, char *err,
             size_t errlen);

/* Parses body, a chat.completion as an OpenAI-compatible server sends it,
 * with the same checks and normalizations as llm_chat (seq numbers
 * synthesized tool-call ids, as the client's request count does; source
 * names the sender in errors; the default caps). For offline deciders that
 * speak the same format. On success *out owns a new response: free with llm_response_free. */
int llm_response_parse(const char *body, size_t len, const char *source, unsigned long seq,
                       struct llm_response **out, char *err, size_t errlen);

/* Parses tool-call arguments strictly: exactly one JSON object, nothing after
 * it but whitespace. On success *out owns the object (json_object_put). */
int llm_parse_arguments(const char *s, json_object **out, char *err, size_t errlen);

/* Parses a Retry-After value (delta-seconds or HTTP-date, relative to now)
 * into seconds >= 0. Returns -1 when it is neither. */
int llm_retry_after_parse(const char *value, time_t now, double *out);

/* "ok", "transient", "permanent", "interrupted". */
const char *llm_errclass_name(enum llm_errclass cls);

#endif
