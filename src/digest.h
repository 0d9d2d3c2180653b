/*
 * digest.h: content fingerprints. A config's ETag is the first 128 bits of
 * the SHA-256 of its exact bytes, so two different contents cannot share
 * one (unlike inode/size/mtime, which repeat when an inode is reused within
 * one timestamp tick).
 */
#ifndef IOTCONFIG_DIGEST_H
#define IOTCONFIG_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_HEX_LEN  32
#define DIGEST_SIZE     32 /* bytes of a SHA-256 */
#define DIGEST_MD5_SIZE 16

/* The SHA-256 of data. */
void digest_sha256(const void *data, size_t len, uint8_t md[DIGEST_SIZE]);

/*
 * The fingerprint: the digest's first 128 bits as DIGEST_HEX_LEN lowercase
 * hex digits and a NUL.
 */
void digest_hex(const uint8_t md[DIGEST_SIZE], char out[DIGEST_HEX_LEN + 1]);

/* n bytes as 2n lowercase hex digits and a NUL (whole digests: firmware). */
void digest_hex_bytes(const uint8_t *md, size_t n, char *out);

/* The MD5 of data: what Arduino's HTTPUpdate and ESPHome check a download
 * against (x-MD5, a manifest's md5), never a fingerprint of ours. */
void digest_md5(const void *data, size_t len, uint8_t md[DIGEST_MD5_SIZE]);

#endif
