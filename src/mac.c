/*
 * mac.c: MAC address grammar. The accepted forms are those an ESP32 prints
 * (AA:BB:CC:DD:EE:FF) and the canonical file-name form (aa-bb-cc-dd-ee-ff).
 * Because the canonical form is the only thing ever used to build a file
 * name, no request can name a file outside the config directory.
 */
#include "mac.h"

#include "hex.h"

bool
mac_normalise(const char *in, size_t len, char out[MAC_CANONICAL_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	if (in == NULL || len != MAC_CANONICAL_LEN)
		return false;
	char sep = in[2];
	if (sep != ':' && sep != '-')
		return false;
	for (size_t i = 0; i < MAC_CANONICAL_LEN; i++) {
		if (i % 3 == 2) {
			if (in[i] != sep)
				return false;
			out[i] = '-';
			continue;
		}
		int v = hex_value((unsigned char)in[i]);
		if (v < 0)
			return false;
		out[i] = digits[v];
	}
	out[MAC_CANONICAL_LEN] = '\0';
	return true;
}

bool
mac_is_config_filename(const char *name, size_t len)
{
	if (len != MAC_CANONICAL_LEN + 5)
		return false;
	const char *ext = name + MAC_CANONICAL_LEN;
	if (ext[0] != '.' || ext[1] != 'j' || ext[2] != 's' || ext[3] != 'o' || ext[4] != 'n')
		return false;
	for (size_t i = 0; i < MAC_CANONICAL_LEN; i++) {
		unsigned char c = (unsigned char)name[i];
		if (i % 3 == 2) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return false;
		}
	}
	return true;
}

uint64_t
mac_value(const char *canonical)
{
	uint64_t v = 0;
	for (size_t i = 0; i < MAC_CANONICAL_LEN; i++) {
		if (i % 3 == 2)
			continue;
		int h = hex_value((unsigned char)canonical[i]);
		v = (v << 4) | (uint64_t)(h < 0 ? 0 : h);
	}
	return v;
}

void
mac_from_value(uint64_t value, char out[MAC_CANONICAL_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	/* Byte by byte from the last: two digits at 3 * byte and a '-' after them (the NUL below
	 * ends the last). */
	for (int byte = 5; byte >= 0; byte--, value >>= 8) {
		out[3 * byte] = hex[(value >> 4) & 15];
		out[3 * byte + 1] = hex[value & 15];
		out[3 * byte + 2] = '-';
	}
	out[MAC_CANONICAL_LEN] = '\0';
}
