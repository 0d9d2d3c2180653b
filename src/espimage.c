/*
 * espimage.c: the checks of espimage.h, in the order the bootloader makes
 * them (esp_image_format.c): header, each segment header within the file,
 * the checksum over the segment data, the appended SHA-256; then what the
 * service needs besides: the app descriptor at the start of the first
 * segment, and nothing after the image but a signature.
 *
 * Written by hand: no library reads this format (esptool, which does, is
 * Python), and it is a few fixed offsets. Every offset is checked against
 * the length before it is read; lengths are size_t and each addition is
 * bounded first, so no input can make an offset wrap.
 */
#include "espimage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

#define SIXTEEN_MB    0x1000000u
#define CHECKSUM_SEED 0xEF
#define HASH_SIZE     32
#define V2_SECTOR     4096
#define V2_SIG_MAGIC  0xE7
#define V1_SIG_SIZE   68 /* a version word and a 64-byte ECDSA signature */

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned
le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* Chip ids of esp_app_format.h (esp_chip_id_t) with the names ESPHome's
 * manifests use for them (chipFamily). */
static const struct {
	unsigned id;
	const char *name;
} chips[] = {
        {0x0000, "ESP32"},     {0x0002, "ESP32-S2"}, {0x0005, "ESP32-C3"}, {0x0009, "ESP32-S3"},
        {0x000C, "ESP32-C2"},  {0x000D, "ESP32-C6"}, {0x0010, "ESP32-H2"}, {0x0012, "ESP32-P4"},
        {0x0014, "ESP32-C61"}, {0x0017, "ESP32-C5"},
};

const char *
espimage_chip_name(unsigned chip_id)
{
	for (size_t i = 0; i < sizeof chips / sizeof *chips; i++)
		if (chips[i].id == chip_id)
			return chips[i].name;
	return NULL;
}

const char *
espimage_status_text(enum espimage_status st)
{
	switch (st) {
	case ESPIMAGE_OK:
		return "ok";
	case ESPIMAGE_TRUNCATED:
		return "truncated";
	case ESPIMAGE_BAD_MAGIC:
		return "not an ESP image";
	case ESPIMAGE_BAD_SEGMENTS:
		return "bad segment count";
	case ESPIMAGE_BAD_SEGMENT:
		return "bad segment length";
	case ESPIMAGE_NO_APP_DESC:
		return "no app descriptor";
	case ESPIMAGE_BAD_APP_DESC:
		return "bad app descriptor";
	case ESPIMAGE_BAD_CHIP:
		return "invalid chip id";
	case ESPIMAGE_BAD_CHECKSUM:
		return "bad checksum";
	case ESPIMAGE_BAD_HASH:
		return "bad SHA-256";
	case ESPIMAGE_TRAILING:
		return "trailing bytes";
	}
	return "unknown";
}

static enum espimage_status fail(enum espimage_status st, char *why, size_t whylen, const char *fmt,
                                 ...) __attribute__((format(printf, 4, 5)));

static enum espimage_status
fail(enum espimage_status st, char *why, size_t whylen, const char *fmt, ...)
{
	if (why != NULL && whylen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return st;
}

/*
 * Copies a descriptor string field of n bytes: up to its first NUL (all n
 * when there is none). False when it holds anything but printable ASCII.
 */
static bool
desc_string(const uint8_t *field, size_t n, char *out)
{
	size_t len = 0;
	while (len < n && field[len] != 0)
		len++;
	for (size_t i = 0; i < len; i++)
		if (field[i] < 0x20 || field[i] > 0x7e)
			return false;
	memcpy(out, field, len);
	out[len] = '\0';
	return true;
}

/* What follows the image: nothing, or a signature of a known shape. */
static enum espimage_status
check_tail(size_t image_len, size_t len, const uint8_t *data, struct espimage_info *out, char *why,
           size_t whylen)
{
	size_t rest = len - image_len;
	if (rest == 0)
		return ESPIMAGE_OK;
	if (rest == V1_SIG_SIZE && le32(data + image_len) == 0) {
		out->signed_v1 = true;
		return ESPIMAGE_OK;
	}
	if (len % V2_SECTOR == 0 && rest >= V2_SECTOR && data[len - V2_SECTOR] == V2_SIG_MAGIC) {
		out->signed_v2 = true;
		return ESPIMAGE_OK;
	}
	return fail(ESPIMAGE_TRAILING, why, whylen,
	            "%zu bytes follow the image's end at offset %zu, and they are no "
	            "signature: a damaged or concatenated file",
	            rest, image_len);
}

static enum espimage_status
read_desc(const uint8_t *d, struct espimage_info *out, char *why, size_t whylen)
{
	if (le32(d) != ESPIMAGE_DESC_MAGIC)
		return fail(ESPIMAGE_NO_APP_DESC, why, whylen,
		            "no app descriptor (magic 0xABCD5432) at offset %zu: not an "
		            "application image (a bootloader or partition table?)",
		            (size_t)(ESPIMAGE_HEADER_SIZE + ESPIMAGE_SEGMENT_HEADER));
	out->secure_version = le32(d + 4);
	bool ok = desc_string(d + 16, 32, out->version) &&
	          desc_string(d + 48, 32, out->project_name) &&
	          desc_string(d + 80, 16, out->build_time) &&
	          desc_string(d + 96, 16, out->build_date) &&
	          desc_string(d + 112, 32, out->idf_version);
	if (!ok)
		return fail(ESPIMAGE_BAD_APP_DESC, why, whylen,
		            "the app descriptor at offset %zu holds bytes that are not "
		            "printable text in its version, project, date or IDF fields",
		            (size_t)(ESPIMAGE_HEADER_SIZE + ESPIMAGE_SEGMENT_HEADER));
	memcpy(out->elf_sha256, d + 144, sizeof out->elf_sha256);
	return ESPIMAGE_OK;
}

enum espimage_status
espimage_parse(const uint8_t *data, size_t len, struct espimage_info *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len < 1 || data[0] != ESPIMAGE_MAGIC)
		return fail(ESPIMAGE_BAD_MAGIC, why, whylen,
		            "the first byte is not 0xE9: not an ESP image");
	if (len < ESPIMAGE_HEADER_SIZE)
		return fail(ESPIMAGE_TRUNCATED, why, whylen,
		            "%zu bytes: shorter than the %d-byte image header", len,
		            ESPIMAGE_HEADER_SIZE);
	out->segments = data[1];
	out->chip_id = le16(data + 12);
	out->min_chip_rev_full = le16(data + 15);
	out->max_chip_rev_full = le16(data + 17);
	out->hash_appended = data[23] != 0;
	if (out->segments == 0 || out->segments > ESPIMAGE_MAX_SEGMENTS)
		return fail(ESPIMAGE_BAD_SEGMENTS, why, whylen,
		            "the header announces %u segments; an image has 1 to %d", out->segments,
		            ESPIMAGE_MAX_SEGMENTS);
	if (out->chip_id == ESPIMAGE_CHIP_INVALID)
		return fail(ESPIMAGE_BAD_CHIP, why, whylen,
		            "the header's chip id is 0xFFFF (invalid)");
	const char *name = espimage_chip_name(out->chip_id);
	if (name != NULL)
		snprintf(out->chip, sizeof out->chip, "%s", name);
	else
		snprintf(out->chip, sizeof out->chip, "chip-%u", out->chip_id);

	size_t off = ESPIMAGE_HEADER_SIZE;
	unsigned char sum = CHECKSUM_SEED;
	for (unsigned i = 0; i < out->segments; i++) {
		if (len - off < ESPIMAGE_SEGMENT_HEADER)
			return fail(ESPIMAGE_TRUNCATED, why, whylen,
			            "the file ends at %zu, inside the header of segment %u", len,
			            i);
		size_t seg_len = le32(data + off + 4);
		off += ESPIMAGE_SEGMENT_HEADER;
		if (seg_len % 4 != 0 || seg_len >= SIXTEEN_MB)
			return fail(
			        ESPIMAGE_BAD_SEGMENT, why, whylen,
			        "segment %u is %zu bytes long: not a multiple of 4 below 16 MiB", i,
			        seg_len);
		if (len - off < seg_len)
			return fail(ESPIMAGE_TRUNCATED, why, whylen,
			            "the file ends at %zu, inside segment %u", len, i);
		if (i == 0) {
			if (seg_len < ESPIMAGE_DESC_SIZE)
				return fail(ESPIMAGE_NO_APP_DESC, why, whylen,
				            "the first segment (%zu bytes) is too short for an app "
				            "descriptor of %d bytes",
				            seg_len, ESPIMAGE_DESC_SIZE);
			enum espimage_status st = read_desc(data + off, out, why, whylen);
			if (st != ESPIMAGE_OK)
				return st;
		}
		for (size_t k = 0; k < seg_len; k++)
			sum ^= data[off + k];
		off += seg_len;
	}
	/* The checksum is the last byte of the image padded to 16 bytes. */
	size_t padded = (off + 1 + 15) & ~(size_t)15;
	if (len < padded)
		return fail(ESPIMAGE_TRUNCATED, why, whylen,
		            "the file ends at %zu, before the checksum byte at offset %zu", len,
		            padded - 1);
	if (data[padded - 1] != sum)
		return fail(ESPIMAGE_BAD_CHECKSUM, why, whylen,
		            "the checksum byte at offset %zu is 0x%02x; the segments sum to "
		            "0x%02x: the image is damaged",
		            padded - 1, data[padded - 1], sum);
	out->image_len = padded;
	if (out->hash_appended) {
		if (len - padded < HASH_SIZE)
			return fail(
			        ESPIMAGE_TRUNCATED, why, whylen,
			        "the file ends at %zu, inside the SHA-256 appended at offset %zu",
			        len, padded);
		uint8_t md[DIGEST_SIZE];
		digest_sha256(data, padded, md);
		if (memcmp(md, data + padded, HASH_SIZE) != 0)
			return fail(ESPIMAGE_BAD_HASH, why, whylen,
			            "the SHA-256 appended at offset %zu is not that of the %zu "
			            "bytes before it: the image is damaged",
			            padded, padded);
		memcpy(out->image_sha256, data + padded, HASH_SIZE);
		out->image_len += HASH_SIZE;
	}
	return check_tail(out->image_len, len, data, out, why, whylen);
}
