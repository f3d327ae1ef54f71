/* Unit tests for money: exact parsing, formatting and overflow checks. */
#include "base/money.h"
#include "tap.h"

static void check_parse(const char *s, long long want)
{
    money_t v = -42;
    int rc = money_parse(s, &v);
    ok(rc == 0 && v == want, "parse \"%s\" = %lld (got rc %d, %lld)", s, want, rc, (long long)v);
}

static void check_reject(const char *s)
{
    money_t v = 7;
    ok(money_parse(s, &v) == -1 && v == 7, "reject \"%s\", out untouched", s ? s : "(null)");
}

static void check_format(long long v, const char *want)
{
    char buf[MONEY_FMT_MAX];
    money_format(v, buf, sizeof(buf));
    is_str(buf, want, want);
}

int main(void)
{
    check_parse("269.2750", 269275000LL);
    check_parse("0.0001", 100LL);
    check_parse("10000.0", 10000000000LL);
    check_parse("-3", -3000000LL);
    check_parse("+12.5", 12500000LL);
    check_parse("0.123456", 123456LL);
    check_reject("");
    check_reject(NULL);
    check_reject("abc");
    check_reject("1.");
    check_reject(".5");
    check_reject("1.2345678");
    check_reject("1e5");
    check_reject("12 ");
    check_reject("-");
    check_reject("99999999999999999999");

    check_format(0, "0.0");
    check_format(8500000000LL, "8500.0");
    check_format(255880000LL, "255.88");
    check_format(-500000LL, "-0.5");
    check_format(123456LL, "0.123456");
    check_format(INT64_MIN, "-9223372036854.775808");

    char small[4];
    is_int(money_format(1, small, sizeof(small)), 0, "format refuses a short buffer");

    money_t out = 0;
    ok(money_mul(255880000LL, 10, &out) == 0 && out == 2558800000LL, "10 x 255.88 = 2558.8");
    out = 5;
    ok(money_mul(INT64_MAX / 2, 3, &out) == -1 && out == 5, "multiplication overflow refused");
    ok(money_add(INT64_MAX, 1, &out) == -1 && out == 5, "addition overflow refused");

    ok(money_from_double(7441.199999999999, &out) == 0 && out == 7441200000LL,
       "float from an AI-Trader file rounds to the micro-unit");
    ok(money_from_double(1.0 / 0.0, &out) == -1, "infinity refused");

    json_object *j = money_to_json(2558800000LL);
    is_str(json_object_to_json_string(j), "2558.8", "JSON number keeps the exact text");
    json_object_put(j);
    return tap_done();
}
