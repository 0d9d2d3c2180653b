/*
 * digest.h: content fingerprints. A config's ETag is the first 128 bits of
 * the SHA-256 of its exact bytes, so two different contents cannot share
 * one (unlike inode/size/mtime, which repeat when an inode is reused within
 * one timestamp tick).
 */
#ifndef IOTCONFIG_DIGEST_H
#define IOTCONFIG_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN 32

/* Writes DIGEST_HEX_LEN lowercase hex digits and a NUL into out. */
void digest_fingerprint(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1]);

#endif
