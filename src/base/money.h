/* money: exact fixed-point amounts. Prices, cash, values and profits are
 * int64 micro-units (1e-6 of a dollar) so that every sum and product is exact;
 * published prices (4 decimals) fit without rounding. Doubles appear only at
 * the JSON edge, serialized from the exact decimal text. */
#ifndef TRADER_MONEY_H
#define TRADER_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

typedef int64_t money_t;

#define MONEY_SCALE 1000000LL
#define MONEY_DECIMALS 6
#define MONEY_FMT_MAX 32 /* enough for any int64 amount with sign and point */

/* Parses a plain decimal ("269.2750", "-3", "10000.0"): optional sign, digits,
 * optional point and at most 6 decimals, nothing else. *out is set only on
 * success. Returns 0, or -1 on bad syntax, too many decimals or overflow. */
int money_parse(const char *s, money_t *out);

/* Converts a JSON number already held as a double (AI-Trader files write
 * floats such as 7441.199999999999) to the nearest micro-unit. Returns -1 if
 * it is not finite or out of range. */
int money_from_double(double d, money_t *out);

/* Writes the shortest exact decimal with at least one fractional digit
 * ("8500.0", "255.88", "-0.5") into buf; returns its length, or 0 if buf is
 * smaller than MONEY_FMT_MAX. */
size_t money_format(money_t v, char *buf, size_t size);

/* price * qty with overflow detection; *out set only on success. */
int money_mul(money_t price, int64_t qty, money_t *out);

/* a + b with overflow detection; *out set only on success. */
int money_add(money_t a, money_t b, money_t *out);

double money_to_double(money_t v);

/* A new json-c number whose serialization is the exact decimal text.
 * Caller owns the returned object (json_object_put). */
json_object *money_to_json(money_t v);

#endif
