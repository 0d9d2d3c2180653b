/*
 * byterange.h: the Range request header for one representation of a known
 * size (RFC 9110 section 14.1.2 and 14.2). Pure, unit tested and fuzzed.
 *
 *   Range: bytes=0-4095        the first 4096 bytes
 *   Range: bytes=4096-         from 4096 to the end (a resumed download)
 *   Range: bytes=-32           the last 32 bytes
 *
 * A field that is not a byte-range-set in the "bytes" unit is ignored (the
 * whole representation, 200), as the RFC asks of a range unit the server
 * does not know and lets it do with an invalid one. A set none of whose
 * ranges overlaps the representation is unsatisfiable (416). One range is
 * served as it is asked, clipped to the end (206); several are answered
 * with the whole representation (200), which the RFC allows and every
 * update client copes with (none asks for several).
 */
#ifndef IOTCONFIG_BYTERANGE_H
#define IOTCONFIG_BYTERANGE_H

#include <stdint.h>

enum byterange_kind {
	BYTERANGE_NONE,          /* no usable Range: send everything */
	BYTERANGE_SINGLE,        /* send [first, last] */
	BYTERANGE_MULTI,         /* several ranges asked: send everything */
	BYTERANGE_UNSATISFIABLE, /* 416 */
};

struct byterange {
	uint64_t first, last; /* inclusive, last < size */
};

/* Reads field (NULL: no Range) for a representation of size bytes (size > 0). */
enum byterange_kind byterange_parse(const char *field, uint64_t size, struct byterange *out);

#endif
