/*
 * decimal.c: exact comparison and divisibility of decimal numbers. The
 * comparisons work on the digit strings; divisibility scales both numbers
 * to integers with a common power of ten and asks GMP (already on every
 * machine that has nettle; loaded on first use, gmp_lib.c) whether one
 * divides the other.
 */
#include "decimal.h"

#include <gmp.h>
#include <string.h>

#include "gmp_lib.h"

int
decimal_parse(const char *s, size_t len, struct decimal *d)
{
	const char *end = s + len;
	d->neg = false;
	d->ndigits = 0;
	d->exp = 0;
	if (s < end && *s == '-') {
		d->neg = true;
		s++;
	}
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	long frac = 0;
	bool seen_point = false, any = false;
	for (; s < end; s++) {
		if (*s == '.' && !seen_point) {
			seen_point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		any = true;
		if (seen_point)
			frac++;
		if (d->ndigits == 0 && *s == '0')
			continue; /* leading zero */
		if (d->ndigits == DECIMAL_MAX_DIGITS)
			return -1;
		d->digits[d->ndigits++] = *s;
	}
	if (!any)
		return -1;
	long e = 0;
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		bool eneg = false;
		if (s < end && (*s == '+' || *s == '-'))
			eneg = *s++ == '-';
		if (s >= end)
			return -1;
		for (; s < end && *s >= '0' && *s <= '9'; s++) {
			if (e > 100000000L)
				return -1;
			e = e * 10 + (*s - '0');
		}
		if (eneg)
			e = -e;
	}
	if (s != end)
		return -1;
	d->exp = e - frac;
	while (d->ndigits > 0 && d->digits[d->ndigits - 1] == '0') {
		d->ndigits--;
		d->exp++;
	}
	d->digits[d->ndigits] = '\0';
	if (d->ndigits == 0) {
		d->neg = false;
		d->exp = 0;
	}
	return 0;
}

int
decimal_from_json(json_object *o, struct decimal *d)
{
	json_type t = json_object_get_type(o);
	if (t != json_type_int && t != json_type_double)
		return -1;
	/* For a parsed double json-c gives back the text it read. */
	size_t n = 0;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	return s == NULL ? -1 : decimal_parse(s, n, d);
}

/* Compares magnitudes. */
static int
cmp_abs(const struct decimal *a, const struct decimal *b)
{
	if (a->ndigits == 0 || b->ndigits == 0)
		return (a->ndigits != 0) - (b->ndigits != 0);
	/* The power of ten of the leading digit decides first. */
	long la = (long)a->ndigits + a->exp, lb = (long)b->ndigits + b->exp;
	if (la != lb)
		return la < lb ? -1 : 1;
	size_t n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
	int c = memcmp(a->digits, b->digits, n);
	if (c != 0)
		return c < 0 ? -1 : 1;
	/* Equal prefix: the one with more (non-zero trailing) digits is larger. */
	return (a->ndigits > b->ndigits) - (a->ndigits < b->ndigits);
}

int
decimal_cmp(const struct decimal *a, const struct decimal *b)
{
	bool za = a->ndigits == 0, zb = b->ndigits == 0;
	if (za && zb)
		return 0;
	int sa = za ? 0 : (a->neg ? -1 : 1), sb = zb ? 0 : (b->neg ? -1 : 1);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	int c = cmp_abs(a, b);
	return sa < 0 ? -c : c;
}

bool
decimal_is_integer(const struct decimal *d)
{
	return d->ndigits == 0 || d->exp >= 0;
}

int
decimal_is_multiple(const struct decimal *x, const struct decimal *m)
{
	if (x->ndigits == 0)
		return 1;
	if (m->ndigits == 0)
		return 0;
	long e = x->exp < m->exp ? x->exp : m->exp;
	long sx = x->exp - e, sm = m->exp - e;
	if (sx > DECIMAL_MAX_SPREAD || sm > DECIMAL_MAX_SPREAD)
		return -1;
	/* |x| >= |m| is needed for a non-zero multiple. */
	struct decimal ax = *x, am = *m;
	ax.neg = am.neg = false;
	if (cmp_abs(&ax, &am) < 0)
		return 0;
	if (!gmp_lib_load())
		return -2;
	/* One by one: the variadic mpz_inits cannot be forwarded (gmp_lib.c). */
	mpz_t a, b, p;
	mpz_init(a);
	mpz_init(b);
	mpz_init(p);
	mpz_set_str(a, x->digits, 10);
	mpz_set_str(b, m->digits, 10);
	mpz_ui_pow_ui(p, 10, (unsigned long)sx);
	mpz_mul(a, a, p);
	mpz_ui_pow_ui(p, 10, (unsigned long)sm);
	mpz_mul(b, b, p);
	int r = mpz_divisible_p(a, b) != 0;
	mpz_clear(a);
	mpz_clear(b);
	mpz_clear(p);
	return r;
}
