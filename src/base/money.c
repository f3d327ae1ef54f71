/* money: see money.h. */
#include "base/money.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int money_parse(const char *s, money_t *out)
{
    if (!s)
        return -1;
    int neg = 0;
    if (*s == '-' || *s == '+')
        neg = (*s++ == '-');
    int64_t whole = 0, frac = 0;
    int ndigits = 0, nfrac = 0;
    for (; *s >= '0' && *s <= '9'; s++, ndigits++) {
        if (whole > (INT64_MAX / MONEY_SCALE) / 10)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++, nfrac++) {
            if (nfrac >= MONEY_DECIMALS)
                return -1;
            frac = frac * 10 + (*s - '0');
        }
        if (nfrac == 0)
            return -1;
    }
    if (*s != '\0' || ndigits == 0)
        return -1;
    for (int i = nfrac; i < MONEY_DECIMALS; i++)
        frac *= 10;
    money_t v = whole * MONEY_SCALE + frac;
    *out = neg ? -v : v;
    return 0;
}

int money_from_double(double d, money_t *out)
{
    if (!isfinite(d))
        return -1;
    double scaled = round(d * (double)MONEY_SCALE);
    if (scaled >= 9.2e18 || scaled <= -9.2e18)
        return -1;
    *out = (money_t)scaled;
    return 0;
}

size_t money_format(money_t v, char *buf, size_t size)
{
    if (!buf || size < MONEY_FMT_MAX)
        return 0;
    /* Work on the magnitude as unsigned so INT64_MIN is representable. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t whole = mag / (uint64_t)MONEY_SCALE;
    uint64_t frac = mag % (uint64_t)MONEY_SCALE;
    char fbuf[MONEY_DECIMALS + 1];
    snprintf(fbuf, sizeof(fbuf), "%06llu", (unsigned long long)frac);
    size_t flen = MONEY_DECIMALS;
    while (flen > 1 && fbuf[flen - 1] == '0')
        flen--;
    fbuf[flen] = '\0';
    int n = snprintf(buf, size, "%s%llu.%s", v < 0 ? "-" : "", (unsigned long long)whole, fbuf);
    return n < 0 ? 0 : (size_t)n;
}

int money_mul(money_t price, int64_t qty, money_t *out)
{
    money_t r;
    if (__builtin_mul_overflow(price, qty, &r))
        return -1;
    *out = r;
    return 0;
}

int money_add(money_t a, money_t b, money_t *out)
{
    money_t r;
    if (__builtin_add_overflow(a, b, &r))
        return -1;
    *out = r;
    return 0;
}

double money_to_double(money_t v)
{
    return (double)v / (double)MONEY_SCALE;
}

json_object *money_to_json(money_t v)
{
    char text[MONEY_FMT_MAX];
    money_format(v, text, sizeof(text));
    return json_object_new_double_s(money_to_double(v), text);
}
