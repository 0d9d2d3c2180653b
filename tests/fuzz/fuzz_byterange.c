/*
 * fuzz_byterange.c: libFuzzer harness for the Range grammar
 * (src/byterange.h). The first 8 bytes are the representation's size (at
 * most 2^40), the rest the field. A single range must lie inside the
 * representation, first <= last; no field parses the same as the whole
 * representation; a field unsatisfiable for one size stays so for any
 * smaller one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byterange.h"
#include "fuzz_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	uint64_t n = 0;
	memcpy(&n, data, 8);
	n &= (1ull << 40) - 1;
	char *field = malloc(size - 8 + 1);
	if (field == NULL)
		return 0;
	memcpy(field, data + 8, size - 8);
	field[size - 8] = '\0';
	struct byterange r = {7, 3};
	enum byterange_kind k = byterange_parse(field, n, &r);
	if (k == BYTERANGE_SINGLE)
		FUZZ_CHECK(r.first <= r.last && r.last < n, "a single range lies inside");
	else
		FUZZ_CHECK(r.first == 7 && r.last == 3, "the range is untouched otherwise");
	if (n == 0)
		FUZZ_CHECK(k == BYTERANGE_NONE, "nothing to range in an empty representation");
	if (k == BYTERANGE_UNSATISFIABLE && n > 1)
		FUZZ_CHECK(byterange_parse(field, n / 2, &r) == BYTERANGE_UNSATISFIABLE,
		           "unsatisfiable stays so for a smaller representation");
	free(field);
	return 0;
}
