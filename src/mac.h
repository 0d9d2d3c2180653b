/*
 * mac.h: parse and normalise device MAC addresses. Pure functions, no I/O;
 * fuzzed by tests/fuzz/fuzz_mac.c.
 */
#ifndef IOTCONFIG_MAC_H
#define IOTCONFIG_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_CANONICAL_LEN 17 /* "aa-bb-cc-dd-ee-ff" */

/*
 * Accepts exactly six two-digit hex groups in any letter case, separated
 * throughout by ':' or throughout by '-'. On success writes the canonical
 * lowercase hyphen form and NUL into out[18] and returns true; anything else
 * (length, non-hex, mixed separators, NUL, '/', '.') returns false.
 */
bool mac_normalise(const char *in, size_t len, char out[MAC_CANONICAL_LEN + 1]);

/* True when name is exactly "<canonical-mac>.json" (how config files are named). */
bool mac_is_config_filename(const char *name, size_t len);

/* The 48-bit value of a canonical MAC (sort key), or of "<canonical>.json". */
uint64_t mac_value(const char *canonical);

/* The canonical form (and a NUL) of a value from mac_value. */
void mac_from_value(uint64_t value, char out[MAC_CANONICAL_LEN + 1]);

#endif
