/* log: see log.h. json-c does the escaping, so a message holding quotes,
 * newlines or control characters still makes exactly one valid JSON line. */
#include "base/log.h"

#include "base/dates.h"
#include "base/jsontext.h"
#include "base/mem.h"
#include "base/redact.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <strings.h>

#define LOG_MESSAGE_MAX 2048

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level log_min = LOG_LEVEL_INFO;
static FILE *log_stream;

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};

void log_set_level(enum log_level min)
{
    pthread_mutex_lock(&log_lock);
    log_min = min;
    pthread_mutex_unlock(&log_lock);
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (s && strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_stream(FILE *f)
{
    pthread_mutex_lock(&log_lock);
    log_stream = f;
    pthread_mutex_unlock(&log_lock);
}

/* Adds key: s to o when s is set. */
static void put_opt(json_object *o, const char *key, const char *s)
{
    if (s && *s)
        json_put(o, key, json_object_new_string(s));
}

void log_emit(enum log_level level, const char *logger, const char *job_id, const char *date,
              const char *model, const char *fmt, ...)
{
    char msg[LOG_MESSAGE_MAX], ts[TIMESTAMP_BUF];
    va_list ap;
    pthread_mutex_lock(&log_lock);
    enum log_level min = log_min;
    pthread_mutex_unlock(&log_lock);
    if (level < min || level > LOG_LEVEL_CRITICAL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    redact_text(msg, msg, sizeof(msg)); /* no secret in any log line */
    time_now_iso(ts);

    json_object *o = json_new_object();
    json_put(o, "timestamp", json_object_new_string(ts));
    json_put(o, "level", json_object_new_string(level_names[level]));
    put_opt(o, "logger", logger);
    json_put(o, "message", json_object_new_string(msg));
    put_opt(o, "job_id", job_id);
    put_opt(o, "date", date);
    put_opt(o, "model", model);
    const char *line =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    pthread_mutex_lock(&log_lock);
    FILE *f = log_stream ? log_stream : stderr;
    fprintf(f, "%s\n", line);
    fflush(f);
    pthread_mutex_unlock(&log_lock);
    json_object_put(o);
}
