/* Unit tests for dates: strict validation, weekdays and day arithmetic. */
#include "base/dates.h"
#include "tap.h"

int main(void)
{
    ok(date_valid("2025-10-29"), "ordinary date");
    ok(date_valid("2024-02-29"), "leap day");
    ok(!date_valid("2025-02-29"), "no leap day in 2025");
    ok(date_valid("2000-02-29"), "2000 is a leap year");
    ok(!date_valid("1900-02-29"), "1900 is not");
    ok(!date_valid("2025-13-01"), "month 13");
    ok(!date_valid("2025-04-31"), "April 31");
    ok(!date_valid("2025-1-01"), "short month");
    ok(!date_valid("2025-01-01x"), "trailing garbage");
    ok(!date_valid("2025/01/01"), "wrong separator");
    ok(!date_valid("'; DROP TABLE"), "injection-like text");
    ok(!date_valid(""), "empty");
    ok(!date_valid(NULL), "null");

    is_int(date_weekday("2025-10-29"), 3, "2025-10-29 is a Wednesday");
    is_int(date_weekday("1970-01-01"), 4, "1970-01-01 is a Thursday");
    is_int(date_weekday("2025-06-08"), 0, "2025-06-08 is a Sunday");
    ok(!date_is_weekday("2025-06-07"), "Saturday is not a weekday");
    ok(date_is_weekday("2025-06-09"), "Monday is a weekday");

    char out[DATE_BUF];
    ok(date_add_days("2025-12-31", 1, out) == 0, "add across a year");
    is_str(out, "2026-01-01", "2025-12-31 + 1");
    date_add_days("2024-03-01", -1, out);
    is_str(out, "2024-02-29", "back over a leap day");
    ok(date_add_days("bad", 1, out) == -1, "invalid date refused");

    char ts[TIMESTAMP_BUF];
    time_now_iso(ts);
    ok(strlen(ts) == 24 && ts[10] == 'T' && ts[23] == 'Z', "timestamp shape %s", ts);
    double d = time_iso_diff("2025-01-20T14:25:00.000Z", "2025-01-20T14:29:45.500Z");
    ok(d > 285.49 && d < 285.51, "timestamp difference");
    ok(time_iso_diff("garbage", ts) < 0, "unparseable timestamp");
    return tap_done();
}
