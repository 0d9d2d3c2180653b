/*
 * test_byterange.c: the Range field for a representation of known size,
 * as RFC 9110 section 14.1.2 writes it: first-last, first-, -suffix,
 * clipped to the end; the unit case-insensitive, spaces around commas; a
 * range starting past the end is unsatisfiable, one suffix of zero too; a
 * last before its first, another unit, junk or a sign make the field
 * ignored (the whole representation); several ranges are answered whole;
 * numbers too large for 63 bits are refused, never wrapped.
 */
#include <string.h>

#include "byterange.h"
#include "tap.h"

static struct byterange r;

static enum byterange_kind
parse(const char *field, unsigned long long size)
{
	r.first = r.last = 12345;
	return byterange_parse(field, size, &r);
}

int
main(void)
{
	TAP_CHECK(parse(NULL, 100) == BYTERANGE_NONE, "byterange: no field, no range");
	TAP_CHECK(parse("bytes=0-4095", 10000) == BYTERANGE_SINGLE && r.first == 0 &&
	                  r.last == 4095,
	          "byterange: the first 4 KiB chunk");
	TAP_CHECK(parse("bytes=4096-8191", 5000) == BYTERANGE_SINGLE && r.first == 4096 &&
	                  r.last == 4999,
	          "byterange: a chunk past the end is clipped to it");
	TAP_CHECK(parse("bytes=1234-", 5000) == BYTERANGE_SINGLE && r.first == 1234 &&
	                  r.last == 4999,
	          "byterange: a resumed download runs to the end");
	TAP_CHECK(parse("bytes=-32", 5000) == BYTERANGE_SINGLE && r.first == 4968 && r.last == 4999,
	          "byterange: a suffix is the last bytes");
	TAP_CHECK(parse("bytes=-9000", 5000) == BYTERANGE_SINGLE && r.first == 0 && r.last == 4999,
	          "byterange: a suffix longer than the representation is all of it");
	TAP_CHECK(parse("Bytes = 0-0", 5) == BYTERANGE_SINGLE && r.first == 0 && r.last == 0,
	          "byterange: the unit is case-insensitive, spaces allowed around '='");
	TAP_CHECK(parse("bytes=4999-4999", 5000) == BYTERANGE_SINGLE && r.first == 4999,
	          "byterange: the last byte alone");
	TAP_CHECK(parse("bytes=5000-", 5000) == BYTERANGE_UNSATISFIABLE,
	          "byterange: a range starting at the end is unsatisfiable (416)");
	TAP_CHECK(parse("bytes=-0", 5000) == BYTERANGE_UNSATISFIABLE,
	          "byterange: an empty suffix is unsatisfiable");
	TAP_CHECK(parse("bytes=6000-7000, 8000-", 5000) == BYTERANGE_UNSATISFIABLE,
	          "byterange: a set with no range inside is unsatisfiable");
	TAP_CHECK(parse("bytes=0-1, 10-20", 5000) == BYTERANGE_MULTI,
	          "byterange: several ranges are answered whole");
	TAP_CHECK(parse("bytes=0-1,, 6000-", 5000) == BYTERANGE_MULTI,
	          "byterange: empty list elements are skipped, an unsatisfiable part kept out");
	TAP_CHECK(parse("bytes=10-5", 5000) == BYTERANGE_NONE,
	          "byterange: a last before its first makes the field ignored");
	TAP_CHECK(parse("items=0-10", 5000) == BYTERANGE_NONE,
	          "byterange: another unit is ignored");
	TAP_CHECK(parse("bytes=+1-5", 5000) == BYTERANGE_NONE, "byterange: a sign is not a number");
	TAP_CHECK(parse("bytes=1-5x", 5000) == BYTERANGE_NONE, "byterange: junk after a range");
	TAP_CHECK(parse("bytes=", 5000) == BYTERANGE_NONE, "byterange: no range at all");
	TAP_CHECK(parse("bytes=1 -5", 5000) == BYTERANGE_NONE,
	          "byterange: no space inside a range");
	TAP_CHECK(parse("bytes=99999999999999999999-", 5000) == BYTERANGE_NONE,
	          "byterange: a number past 63 bits is refused, not wrapped");
	TAP_CHECK(parse("bytes=0-99999999999999999999", 5000) == BYTERANGE_NONE,
	          "byterange: a last past 63 bits too");
	TAP_CHECK(parse("bytes=0-", 0) == BYTERANGE_NONE,
	          "byterange: nothing to range in an empty body");
	TAP_CHECK(r.first == 12345, "byterange: an ignored field leaves the range alone");
	return tap_done();
}
