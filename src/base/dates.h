/* dates: calendar dates as "YYYY-MM-DD" text (which sorts chronologically) and
 * UTC timestamps for the API. All functions are pure except the clock reads. */
#ifndef TRADER_DATES_H
#define TRADER_DATES_H

#include <stdbool.h>

#define DATE_LEN 10
#define DATE_BUF 11      /* "YYYY-MM-DD" + NUL */
#define TIMESTAMP_BUF 32 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* True when s is exactly YYYY-MM-DD and names a real Gregorian date
 * (years 1900-9999). */
bool date_valid(const char *s);

/* 0 = Sunday ... 6 = Saturday; -1 if s is not a valid date. */
int date_weekday(const char *s);

bool date_is_weekday(const char *s);

/* out = s + days (days may be negative). Returns 0, or -1 on an invalid date. */
int date_add_days(const char *s, int days, char out[DATE_BUF]);

/* Today's date in UTC. */
void date_today(char out[DATE_BUF]);

/* Now as an ISO-8601 UTC timestamp with milliseconds. */
void time_now_iso(char out[TIMESTAMP_BUF]);

/* The same for seconds from now (a lease's end). */
void time_iso_after(int seconds, char out[TIMESTAMP_BUF]);

/* Seconds from a monotonic clock, for durations. */
double time_monotonic(void);

/* Seconds between two timestamps written by time_now_iso (b - a); returns
 * -1.0 if either cannot be parsed. */
double time_iso_diff(const char *a, const char *b);

#endif
