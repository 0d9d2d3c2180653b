/*
 * espbuild.h: ESP-IDF application images built in memory for the unit
 * tests, in the real layout: a 24-byte header, three segments whose first
 * starts with the 256-byte app descriptor, the checksum (0xEF XOR every
 * segment byte) at the end of a 16-byte padding, and the SHA-256 of all
 * that appended when asked. Not the service's parser: written from the
 * format's description, so that the two check each other.
 */
#ifndef IOTCONFIG_TEST_ESPBUILD_H
#define IOTCONFIG_TEST_ESPBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "espimage.h"

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

struct image {
	uint8_t *data;
	size_t len;
};

/* An image of three segments; seg0 starts with the app descriptor. */
static struct image
build(const char *version, unsigned chip, bool hash, size_t payload)
{
	size_t seg_len[3] = {256 + payload, 64, 128};
	size_t len = 24;
	for (int i = 0; i < 3; i++)
		len += 8 + seg_len[i];
	size_t padded = (len + 1 + 15) & ~(size_t)15;
	size_t total = padded + (hash ? 32 : 0);
	uint8_t *d = calloc(1, total + 8192);
	d[0] = ESPIMAGE_MAGIC;
	d[1] = 3;
	d[2] = 2;
	put32(d + 4, 0x40081000);
	d[12] = (uint8_t)chip;
	d[13] = (uint8_t)(chip >> 8);
	d[17] = 0xff;
	d[18] = 0xff;
	d[23] = hash ? 1 : 0;
	size_t off = 24;
	uint8_t sum = 0xEF;
	for (int s = 0; s < 3; s++) {
		put32(d + off, 0x3f400020 + (uint32_t)s * 0x10000);
		put32(d + off + 4, (uint32_t)seg_len[s]);
		off += 8;
		uint8_t *seg = d + off;
		for (size_t k = 0; k < seg_len[s]; k++)
			seg[k] = (uint8_t)(k * 7 + (size_t)s);
		if (s == 0) {
			memset(seg, 0, 256);
			put32(seg, ESPIMAGE_DESC_MAGIC);
			put32(seg + 4, 3);
			memcpy(seg + 16, version, strlen(version));
			memcpy(seg + 48, "blinky", 6);
			memcpy(seg + 80, "12:00:00", 8);
			memcpy(seg + 96, "Jan  1 2026", 11);
			memcpy(seg + 112, "v5.2.1", 6);
			for (int k = 0; k < 32; k++)
				seg[144 + k] = (uint8_t)(0xa0 + k);
		}
		for (size_t k = 0; k < seg_len[s]; k++)
			sum ^= seg[k];
		off += seg_len[s];
	}
	d[padded - 1] = sum;
	if (hash)
		digest_sha256(d, padded, d + padded);
	return (struct image){d, total};
}

#endif
