/* Unit tests for audit (the audit_log rows of job events and API requests)
 * and callback's job_callbacks rows (attempts recorded, counted and shown). */
#include "service/audit.h"
#include "service/callback.h"
#include "base/jsontext.h"
#include "simfixture.h"
#include "tap.h"

static void test_audit(struct db *db)
{
    char err[512] = "", buf[256];
    json_object *d = json_object_new_object();
    json_put(d, "path", json_object_new_string("a/b"));
    ok(audit_job_event(db, "job_created", "j1", d, err, sizeof(err)) == 0, "job event: %s", err);
    is_str(
        fx_text(db, "SELECT details FROM audit_log WHERE event = 'job_created'", buf, sizeof(buf)),
        "{\"path\":\"a\\/b\"}", "... details as compact JSON");
    ok(audit_job_event(db, "job_started", "j1", NULL, err, sizeof(err)) == 0, "no details");
    is_int(fx_int(db, "SELECT count(*) FROM audit_log WHERE event = 'job_started' AND details IS"
                      " NULL AND timestamp IS NOT NULL"),
           1, "... null details, stamped");
    ok(audit_job_event_at(db, "2025-01-02T03:04:05.000Z", "job_imported", "j2", "{\"x\":\"a/b\"}",
                          err, sizeof(err)) == 0,
       "event at a given time");
    is_str(fx_text(db, "SELECT timestamp || ' ' || details FROM audit_log WHERE job_id = 'j2'", buf,
                   sizeof(buf)),
           "2025-01-02T03:04:05.000Z {\"x\":\"a/b\"}", "... the time and text as given");
    ok(audit_api_request(db, "ci", "127.0.0.1", "POST /simulate/trigger", 202, "ok", "j3", err,
                         sizeof(err)) == 0,
       "api request");
    is_str(fx_text(db,
                   "SELECT event || ' ' || actor || ' ' || client || ' ' || endpoint || ' ' ||"
                   " status || ' ' || outcome FROM audit_log WHERE job_id = 'j3'",
                   buf, sizeof(buf)),
           "api_request ci 127.0.0.1 POST /simulate/trigger 202 ok", "... every field");
}

static void test_attempts(struct db *db)
{
    char err[512] = "", last[TIMESTAMP_BUF], buf[512];
    int n = -1;
    json_object *list = NULL;
    ok(fx_exec(db, "INSERT INTO jobs(job_id, config_path, status, date_range, models,"
                   " created_at, updated_at) VALUES('j1', 'c', 'completed', '[]', '[]',"
                   " '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')") == 0,
       "a job");
    ok(callback_tries(db, "j1", &n, last, err, sizeof(err)) == 0 && n == 0 && !last[0],
       "no attempt yet");
    ok(callback_record_attempt(db, "j1", 1, 0, "connection refused", err, sizeof(err)) == 0,
       "a failed attempt: %s", err);
    ok(callback_record_attempt(db, "j1", 2, 204, NULL, err, sizeof(err)) == 0,
       "a delivered attempt");
    ok(callback_tries(db, "j1", &n, last, err, sizeof(err)) == 0 && n == 2 && last[0],
       "two attempts, the last one's time");
    ok(callback_attempts_json(db, "j1", &list, err, sizeof(err)) == 0, "attempts as JSON");
    snprintf(buf, sizeof(buf), "%s", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
    ok(strstr(buf, "\"attempt\":1,") &&
           strstr(buf, "\"http_status\":null,\"outcome\":\"failed\","
                       "\"error\":\"connection refused\"}") &&
           strstr(buf, "\"http_status\":204,\"outcome\":\"delivered\",\"error\":null}"),
       "... oldest first, nulls kept: %s", buf);
    json_object_put(list);
}

int main(void)
{
    struct fixture fx;
    if (fx_open(&fx) != 0)
        return 1;
    test_audit(fx.db);
    test_attempts(fx.db);
    fx_close(&fx);
    return tap_done();
}
