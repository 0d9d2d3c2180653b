/*
 * byterange.c: RFC 9110 section 14.1.2's grammar, by hand (libfcgi and
 * the web servers hand over the raw field; the web servers' own parsers
 * are not a library):
 *   ranges-specifier = range-unit "=" range-set
 *   range-set        = 1#range-spec    (commas, optional spaces and tabs)
 *   range-spec       = int-range / suffix-range
 *   int-range        = first-pos "-" [ last-pos ]
 *   suffix-range     = "-" suffix-length
 * The unit compares case-insensitively (section 14.1). Numbers are
 * decimal digits only (no sign, no space inside), and are refused past
 * 2^63 rather than wrapped.
 */
#include "byterange.h"

#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Digits at *pp into *out; false when none or too many. */
static bool
number(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX / 2 - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*out = v;
	return true;
}

enum byterange_kind
byterange_parse(const char *field, uint64_t size, struct byterange *out)
{
	if (field == NULL || size == 0)
		return BYTERANGE_NONE;
	const char *p = skip_ows(field);
	if (strncasecmp(p, "bytes", 5) != 0)
		return BYTERANGE_NONE;
	p = skip_ows(p + 5);
	if (*p != '=')
		return BYTERANGE_NONE;
	p++;
	unsigned specs = 0, satisfiable = 0;
	struct byterange first_ok = {0, 0};
	for (;;) {
		p = skip_ows(p);
		if (*p == ',') { /* empty list elements are allowed (section 5.6.1) */
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		uint64_t a = 0, b = 0;
		struct byterange r;
		bool ok;
		if (*p == '-') {
			p++;
			if (!number(&p, &b))
				return BYTERANGE_NONE;
			ok = b > 0;
			r.first = b >= size ? 0 : size - b;
			r.last = size - 1;
		} else {
			if (!number(&p, &a) || *p != '-')
				return BYTERANGE_NONE;
			p++;
			bool has_last = *p >= '0' && *p <= '9';
			if (has_last && !number(&p, &b))
				return BYTERANGE_NONE;
			if (has_last && b < a)
				return BYTERANGE_NONE; /* invalid: the whole field is ignored */
			ok = a < size;
			r.first = a;
			r.last = !has_last || b >= size ? size - 1 : b;
		}
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return BYTERANGE_NONE;
		specs++;
		if (ok && satisfiable++ == 0)
			first_ok = r;
	}
	if (specs == 0)
		return BYTERANGE_NONE;
	if (satisfiable == 0)
		return BYTERANGE_UNSATISFIABLE;
	if (specs > 1)
		return BYTERANGE_MULTI;
	*out = first_ok;
	return BYTERANGE_SINGLE;
}
