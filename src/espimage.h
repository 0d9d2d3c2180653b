/*
 * espimage.h: ESP-IDF application images (the .bin that idf.py, esptool
 * and the Arduino and ESPHome builds write for an OTA partition), read
 * from their own bytes. Pure functions: no I/O, no allocation; fuzzed.
 *
 * The layout (ESP-IDF's esp_app_format.h and esp_image_format.c):
 *   image header      24 bytes: magic 0xE9, segment count (1-16), flash
 *                     settings, entry address, chip id (little-endian,
 *                     offset 12), chip revisions, hash_appended (offset 23)
 *   segments          each an 8-byte header (load address, data length,
 *                     a multiple of 4 below 16 MiB) and its data; the
 *                     first segment's data starts with the app descriptor
 *   checksum          one byte, 0xEF XORed with every segment data byte,
 *                     at the end of a zero padding that makes the image
 *                     (this byte included) a multiple of 16 bytes long
 *   appended hash     when hash_appended: the SHA-256 of every byte before
 *                     it (32 bytes); what the device itself checks, and
 *                     what Arduino's HTTPUpdate reports as the running
 *                     sketch's SHA-256
 *   signature         optional, not checked: a Secure Boot V2 signature
 *                     sector (the file padded to 4 KiB, then a 4 KiB
 *                     sector starting with 0xE7) or a Secure Boot V1
 *                     signature (68 bytes, starting with a zero word)
 * The app descriptor (esp_app_desc_t, 256 bytes): magic 0xABCD5432,
 * secure_version, version[32], project_name[32], time[16], date[16],
 * idf_ver[32], app_elf_sha256[32], ...
 */
#ifndef IOTCONFIG_ESPIMAGE_H
#define IOTCONFIG_ESPIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESPIMAGE_MAGIC          0xE9
#define ESPIMAGE_DESC_MAGIC     0xABCD5432u
#define ESPIMAGE_HEADER_SIZE    24
#define ESPIMAGE_SEGMENT_HEADER 8
#define ESPIMAGE_DESC_SIZE      256
#define ESPIMAGE_MAX_SEGMENTS   16
#define ESPIMAGE_CHIP_INVALID   0xFFFFu
/* Bytes at the start of an image that hold its version: header, first
 * segment header, app descriptor (what esp_https_ota reads first). */
#define ESPIMAGE_PREFIX        (ESPIMAGE_HEADER_SIZE + ESPIMAGE_SEGMENT_HEADER + ESPIMAGE_DESC_SIZE)
#define ESPIMAGE_CHIP_NAME_MAX 15

struct espimage_info {
	unsigned chip_id;
	char chip[ESPIMAGE_CHIP_NAME_MAX + 1]; /* "ESP32-C3", or "chip-<id>" when unknown */
	unsigned segments;
	unsigned min_chip_rev_full, max_chip_rev_full;
	bool hash_appended;
	size_t image_len; /* header to checksum, and the appended hash */
	bool signed_v1, signed_v2;
	uint32_t secure_version;
	/* The descriptor's strings: printable ASCII, as many bytes as their
	 * fields hold before the first NUL. */
	char version[33];
	char project_name[33];
	char build_time[17];
	char build_date[17];
	char idf_version[33];
	uint8_t elf_sha256[32];
	uint8_t image_sha256[32]; /* the appended hash; zeros when none */
};

enum espimage_status {
	ESPIMAGE_OK = 0,
	ESPIMAGE_TRUNCATED,    /* ends before a part the header announces */
	ESPIMAGE_BAD_MAGIC,    /* not an ESP image (first byte) */
	ESPIMAGE_BAD_SEGMENTS, /* segment count 0 or above 16 */
	ESPIMAGE_BAD_SEGMENT,  /* a segment length that is not a multiple of 4, or too long */
	ESPIMAGE_NO_APP_DESC,  /* no app descriptor: a bootloader or another kind of image */
	ESPIMAGE_BAD_APP_DESC, /* the descriptor's strings are not printable text */
	ESPIMAGE_BAD_CHIP,     /* chip id 0xFFFF */
	ESPIMAGE_BAD_CHECKSUM, /* the checksum byte does not match the segments */
	ESPIMAGE_BAD_HASH,     /* the appended SHA-256 does not match */
	ESPIMAGE_TRAILING,     /* bytes after the image that are no signature */
};

/*
 * Checks the whole image in data[0..len) and describes it in *out.
 * Returns ESPIMAGE_OK or what is wrong; why (may be NULL) gets a sentence
 * with the offsets involved.
 */
enum espimage_status espimage_parse(const uint8_t *data, size_t len, struct espimage_info *out,
                                    char *why, size_t whylen);

/* "ESP32-S3" for a chip id, or NULL for one this table does not know. */
const char *espimage_chip_name(unsigned chip_id);

/* Short words for a status ("bad checksum"). */
const char *espimage_status_text(enum espimage_status st);

#endif
