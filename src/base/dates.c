/* dates: see dates.h. Day arithmetic uses days-from-civil so it never depends
 * on the process time zone. */
#include "base/dates.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int parse_fixed(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool date_split(const char *s, int *y, int *m, int *d)
{
    if (!s || strlen(s) != DATE_LEN || s[4] != '-' || s[7] != '-')
        return false;
    *y = parse_fixed(s, 4);
    *m = parse_fixed(s + 5, 2);
    *d = parse_fixed(s + 8, 2);
    if (*y < 1900 || *m < 1 || *m > 12 || *d < 1)
        return false;
    return *d <= days_in_month(*y, *m);
}

bool date_valid(const char *s)
{
    int y, m, d;
    return date_split(s, &y, &m, &d);
}

/* Howard Hinnant's days_from_civil / civil_from_days algorithms. */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int date_weekday(const char *s)
{
    int y, m, d;
    if (!date_split(s, &y, &m, &d))
        return -1;
    long z = days_from_civil(y, m, d);
    return (int)((z % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
}

bool date_is_weekday(const char *s)
{
    int wd = date_weekday(s);
    return wd >= 1 && wd <= 5;
}

int date_add_days(const char *s, int days, char out[DATE_BUF])
{
    int y, m, d;
    if (!date_split(s, &y, &m, &d))
        return -1;
    civil_from_days(days_from_civil(y, m, d) + days, &y, &m, &d);
    if (y < 1900 || y > 9999)
        return -1;
    snprintf(out, DATE_BUF, "%04d-%02d-%02d", y, m, d);
    return 0;
}

void date_today(char out[DATE_BUF])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, DATE_BUF, "%Y-%m-%d", &tm);
}

void time_now_iso(char out[TIMESTAMP_BUF])
{
    time_iso_after(0, out);
}

void time_iso_after(int seconds, char out[TIMESTAMP_BUF])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, TIMESTAMP_BUF, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = (int)(ts.tv_nsec / 1000000L) % 1000;
    snprintf(out + n, TIMESTAMP_BUF - n, ".%03dZ", ms);
}

double time_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int iso_to_seconds(const char *s, double *out)
{
    int y, mo, d, h, mi, sec, ms = 0;
    char date[DATE_BUF];
    if (!s || strlen(s) < 20 || s[10] != 'T')
        return -1;
    memcpy(date, s, DATE_LEN);
    date[DATE_LEN] = '\0';
    if (!date_split(date, &y, &mo, &d))
        return -1;
    if (sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &sec) != 3)
        return -1;
    if (s[19] == '.' && sscanf(s + 20, "%3d", &ms) != 1)
        return -1;
    *out = (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600 + mi * 60 + sec + ms / 1000.0;
    return 0;
}

double time_iso_diff(const char *a, const char *b)
{
    double ta, tb;
    if (iso_to_seconds(a, &ta) != 0 || iso_to_seconds(b, &tb) != 0)
        return -1.0;
    return tb - ta;
}
