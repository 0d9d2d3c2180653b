/*
 * test_decimal.c: proves decimal.h compares JSON numbers exactly, where
 * doubles would not: 1, 1.0 and 10e-1 are equal, 2^53 + 1 is above 2^53,
 * 0.1 is below 0.10000000000000001, and multipleOf works in decimal
 * (19.99 is a multiple of 0.01). Malformed text is refused.
 */
#include <string.h>

#include "decimal.h"
#include "tap.h"

static struct decimal a, b;

static int
cmp(const char *x, const char *y)
{
	if (decimal_parse(x, strlen(x), &a) != 0 || decimal_parse(y, strlen(y), &b) != 0)
		return 99;
	return decimal_cmp(&a, &b);
}

static int
multiple(const char *x, const char *m)
{
	if (decimal_parse(x, strlen(x), &a) != 0 || decimal_parse(m, strlen(m), &b) != 0)
		return 99;
	return decimal_is_multiple(&a, &b);
}

static int
integer(const char *x)
{
	return decimal_parse(x, strlen(x), &a) == 0 && decimal_is_integer(&a);
}

int
main(void)
{
	TAP_CHECK(cmp("1", "1.0") == 0 && cmp("10e-1", "1") == 0 && cmp("1.2e1", "12") == 0,
	          "decimal: one value, many spellings");
	TAP_CHECK(cmp("-0", "0.0") == 0 && cmp("-1", "0") < 0 && cmp("-5", "-4.99") < 0,
	          "decimal: signs and zero");
	TAP_CHECK(cmp("9007199254740993", "9007199254740992") > 0,
	          "decimal: 2^53 + 1 is above 2^53 (a double says equal)");
	TAP_CHECK(cmp("0.1", "0.10000000000000001") < 0,
	          "decimal: 0.1 is below 0.10000000000000001 (a double says equal)");
	TAP_CHECK(cmp("1e2", "99.9") > 0 && cmp("0.0001", "1e-4") == 0, "decimal: exponents");
	TAP_CHECK(multiple("19.99", "0.01") == 1 && multiple("0.0075", "0.0001") == 1,
	          "decimal: multipleOf in decimal (doubles say no)");
	TAP_CHECK(multiple("0.00751", "0.0001") == 0 && multiple("35", "1.5") == 0 &&
	                  multiple("4.5", "1.5") == 1 && multiple("0", "7") == 1,
	          "decimal: multipleOf refuses what it must");
	TAP_CHECK(multiple("1e300", "1e-300") == 1, "decimal: multipleOf across 600 powers of ten");
	TAP_CHECK(integer("1.0") && integer("1e2") && !integer("1.5") && integer("-0"),
	          "decimal: integers, 1.0 included");
	TAP_CHECK(decimal_parse("", 0, &a) != 0 && decimal_parse("-", 1, &a) != 0 &&
	                  decimal_parse("1e", 2, &a) != 0 && decimal_parse("a", 1, &a) != 0 &&
	                  decimal_parse("1.2.3", 5, &a) != 0,
	          "decimal: malformed text is refused");
	return tap_done();
}
