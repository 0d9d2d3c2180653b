/*
 * test_espimage.c: espimage_parse against images built here in the real
 * layout (header, segments with the app descriptor first, checksum padded
 * to 16 bytes, appended SHA-256): a good one is read field by field, with
 * and without the hash, signed (Secure Boot V2 sector, V1 signature); each
 * kind of damage is refused with its own status (bad magic, bad checksum,
 * bad hash, truncated anywhere, trailing junk, no descriptor, odd segment
 * length, too many segments, chip 0xFFFF, a descriptor holding control
 * bytes); the chip names are ESPHome's chipFamily spellings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "espbuild.h"
#include "espimage.h"
#include "tap.h"

static enum espimage_status
parse(const struct image *im, struct espimage_info *info)
{
	char why[256];
	return espimage_parse(im->data, im->len, info, why, sizeof why);
}

/* Rewrites the appended hash after a change to the bytes before it. */
static void
rehash(struct image *im)
{
	digest_sha256(im->data, im->len - 32, im->data + im->len - 32);
}

int
main(void)
{
	struct espimage_info info;
	struct image im = build("1.2.3-rc1", 0x0005, true, 1000);
	char why[256] = "x";
	TAP_CHECK(espimage_parse(im.data, im.len, &info, why, sizeof why) == ESPIMAGE_OK &&
	                  why[0] == '\0',
	          "espimage: a whole image with its hash is accepted");
	TAP_STREQ(info.version, "1.2.3-rc1", "espimage: the version is the descriptor's");
	TAP_STREQ(info.project_name, "blinky", "espimage: the project name");
	TAP_STREQ(info.idf_version, "v5.2.1", "espimage: the IDF version");
	TAP_STREQ(info.build_date, "Jan  1 2026", "espimage: the build date");
	TAP_CHECK(info.secure_version == 3, "espimage: the secure version");
	TAP_CHECK(info.elf_sha256[0] == 0xa0 && info.elf_sha256[31] == 0xbf,
	          "espimage: the ELF SHA-256");
	TAP_CHECK(info.chip_id == 5 && strcmp(info.chip, "ESP32-C3") == 0,
	          "espimage: chip id 5 is the ESP32-C3");
	TAP_CHECK(info.hash_appended && info.image_len == im.len &&
	                  memcmp(info.image_sha256, im.data + im.len - 32, 32) == 0,
	          "espimage: the appended SHA-256 is read and the length covers it");
	TAP_CHECK(info.segments == 3, "espimage: three segments");

	struct image nohash = build("2.0.0", 0, false, 64);
	TAP_CHECK(parse(&nohash, &info) == ESPIMAGE_OK && !info.hash_appended &&
	                  info.image_len == nohash.len && info.image_len % 16 == 0,
	          "espimage: an image without a hash ends at its 16-byte padded checksum");

	/* --- damage ---------------------------------------------------------- */
	struct image bad = build("1.0.0", 0, true, 500);
	bad.data[0] = 0xE8;
	TAP_CHECK(parse(&bad, &info) == ESPIMAGE_BAD_MAGIC, "espimage: a bad magic is refused");
	bad.data[0] = ESPIMAGE_MAGIC;
	TAP_CHECK(parse(&bad, &info) == ESPIMAGE_OK, "espimage: (restored)");
	bad.data[24 + 8 + 300] ^= 0x01; /* a data byte: checksum and hash both differ */
	TAP_CHECK(parse(&bad, &info) == ESPIMAGE_BAD_CHECKSUM,
	          "espimage: a changed data byte fails the checksum");
	bad.data[24 + 8 + 300] ^= 0x01;
	bad.data[bad.len - 1] ^= 0x80;
	TAP_CHECK(parse(&bad, &info) == ESPIMAGE_BAD_HASH,
	          "espimage: a changed appended hash is refused");
	bad.data[bad.len - 1] ^= 0x80;
	{
		int all = 1;
		for (size_t cut = 1; cut < bad.len; cut += 37) {
			struct image t = {bad.data, cut};
			enum espimage_status st = parse(&t, &info);
			if (st != ESPIMAGE_TRUNCATED &&
			    !(cut < 24 + 8 + 256 && st != ESPIMAGE_OK)) {
				printf("#   cut at %zu: %s\n", cut, espimage_status_text(st));
				all = 0;
			}
		}
		struct image t = {bad.data, bad.len - 1};
		TAP_CHECK(all && parse(&t, &info) == ESPIMAGE_TRUNCATED,
		          "espimage: an image cut anywhere is refused as truncated");
	}
	{
		struct image t = {bad.data, bad.len + 7};
		memcpy(bad.data + bad.len, "garbage", 7);
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_TRAILING,
		          "espimage: bytes after the image are refused");
		/* A Secure Boot V2 signature sector: padded to 4 KiB, then 4 KiB starting 0xE7. */
		size_t to4k = (bad.len + 4095) & ~(size_t)4095;
		memset(bad.data + bad.len, 0xff, to4k - bad.len);
		struct image v2 = {realloc(bad.data, to4k + 4096), to4k + 4096};
		bad.data = v2.data;
		memset(v2.data + to4k, 0, 4096);
		v2.data[to4k] = 0xE7;
		TAP_CHECK(parse(&v2, &info) == ESPIMAGE_OK && info.signed_v2,
		          "espimage: a Secure Boot V2 signature sector is accepted");
		v2.data[to4k] = 0xE6;
		TAP_CHECK(parse(&v2, &info) == ESPIMAGE_TRAILING,
		          "espimage: a sector without the signature magic is not one");
		struct image v1 = {bad.data, bad.len + 68};
		memset(bad.data + bad.len, 0, 68);
		TAP_CHECK(parse(&v1, &info) == ESPIMAGE_OK && info.signed_v1,
		          "espimage: a Secure Boot V1 signature (68 bytes) is accepted");
	}
	{
		struct image t = build("1.0.0", 0, true, 100);
		memset(t.data + 32, 0, 4); /* the descriptor's magic */
		uint8_t sum = 0xEF; /* keep checksum and hash right: only the magic is wrong */
		size_t off = 24;
		for (int s = 0; s < 3; s++) {
			uint32_t n = (uint32_t)t.data[off + 4] | (uint32_t)t.data[off + 5] << 8;
			off += 8;
			for (uint32_t k = 0; k < n; k++)
				sum ^= t.data[off + k];
			off += n;
		}
		t.data[t.len - 33] = sum;
		rehash(&t);
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_NO_APP_DESC,
		          "espimage: an image without an app descriptor (a bootloader) is refused");
		free(t.data);
	}
	{
		struct image t = build("1.0.0", 0, true, 100);
		t.data[24 + 8 + 256 + 100 + 4] =
		        66; /* the second segment's length: not a multiple of 4 */
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_BAD_SEGMENT,
		          "espimage: a segment length that is not a multiple of 4 is refused");
		t.data[24 + 8 + 256 + 100 + 4] = 64;
		t.data[1] = 17;
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_BAD_SEGMENTS,
		          "espimage: more than 16 segments are refused");
		t.data[1] = 0;
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_BAD_SEGMENTS,
		          "espimage: no segment is refused");
		t.data[1] = 3;
		t.data[12] = 0xff;
		t.data[13] = 0xff;
		rehash(&t);
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_BAD_CHIP,
		          "espimage: chip 0xFFFF is refused");
		t.data[13] = 0;
		t.data[12] = 0x42;
		rehash(&t);
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_OK && strcmp(info.chip, "chip-66") == 0,
		          "espimage: a chip id this table does not know is named by its number");
		free(t.data);
	}
	{
		struct image t = build("1.0\n0", 0, false, 100);
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_BAD_APP_DESC,
		          "espimage: a version holding a control byte is refused");
		free(t.data);
		char full[33];
		memset(full, 'v', 32);
		full[32] = '\0';
		t = build(full, 0, false, 100);
		TAP_CHECK(parse(&t, &info) == ESPIMAGE_OK && strlen(info.version) == 32,
		          "espimage: a version filling its 32 bytes without a NUL is read whole");
		free(t.data);
	}
	TAP_STREQ(espimage_chip_name(0), "ESP32", "espimage: chip 0 is the ESP32");
	TAP_STREQ(espimage_chip_name(9), "ESP32-S3", "espimage: chip 9 is the ESP32-S3");
	TAP_STREQ(espimage_chip_name(0x0D), "ESP32-C6", "espimage: chip 13 is the ESP32-C6");
	TAP_CHECK(espimage_chip_name(0x42) == NULL, "espimage: an unknown chip has no name");
	free(im.data);
	free(nohash.data);
	free(bad.data);
	return tap_done();
}
