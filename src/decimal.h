/*
 * decimal.h: JSON numbers compared exactly, as their text says them.
 *
 * json-c keeps an integer as int64 and a fraction as a double (with the
 * text it was parsed from). A double cannot hold 0.1 or 2^53 + 1, and
 * comparing an int64 with a double rounds one of them, so JSON Schema's
 * numeric keywords (minimum, multipleOf, enum, ...) would give wrong
 * answers at the edges. Here a number is its decimal text, normalised to
 * sign, significant digits and a power of ten, so 1, 1.0 and 10e-1 are
 * one value and every comparison is exact.
 */
#ifndef IOTCONFIG_DECIMAL_H
#define IOTCONFIG_DECIMAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define DECIMAL_MAX_DIGITS 1100 /* the request body's numbers have at most 512 characters */

/* value = (neg ? -1 : 1) * digits * 10^exp; zero has ndigits == 0. */
struct decimal {
	bool neg;
	size_t ndigits; /* no leading or trailing zeros */
	long exp;
	char digits[DECIMAL_MAX_DIGITS + 1];
};

/* Parses JSON number text; -1 when it is not one (or too long to keep). */
int decimal_parse(const char *text, size_t len, struct decimal *d);

/* The number a json-c number holds, from its text; -1 when o is no number. */
int decimal_from_json(json_object *o, struct decimal *d);

/* -1, 0 or 1 as a < b, a == b, a > b. */
int decimal_cmp(const struct decimal *a, const struct decimal *b);

/* A number with no fractional part (1.0 is one; JSON Schema's "integer"). */
bool decimal_is_integer(const struct decimal *d);

/*
 * Whether x divided by m (m > 0) is an integer, exactly. -1 when the
 * numbers are too far apart in magnitude to work out (beyond
 * DECIMAL_MAX_SPREAD powers of ten); -2 when the library that works it
 * out (GMP) cannot be loaded.
 */
#define DECIMAL_MAX_SPREAD 100000L
int decimal_is_multiple(const struct decimal *x, const struct decimal *m);

#endif
