/*
 * fuzz_espimage.c: libFuzzer harness for the image reader (src/espimage.h).
 * Any bytes go to espimage_parse; whatever it answers, it reads nothing
 * outside them (ASan) and says why in a NUL-terminated sentence. When it
 * accepts them: the image it describes lies within them, its strings are
 * printable, a chip is named, the first byte is the magic, and an appended
 * SHA-256 is that of the bytes before it; flipping the checksum byte (or,
 * with a hash, the last byte) makes it refuse them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "espimage.h"
#include "fuzz_check.h"

static void
check_text(const char *s)
{
	for (; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f, "descriptor strings are printable ASCII");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct espimage_info info;
	char why[256];
	memset(why, 'x', sizeof why);
	enum espimage_status st = espimage_parse(data, size, &info, why, sizeof why);
	FUZZ_CHECK(memchr(why, '\0', sizeof why) != NULL, "the reason is a C string");
	if (st != ESPIMAGE_OK) {
		FUZZ_CHECK(why[0] != '\0', "a refusal says why");
		return 0;
	}
	FUZZ_CHECK(size >= ESPIMAGE_PREFIX && data[0] == ESPIMAGE_MAGIC, "an image starts right");
	FUZZ_CHECK(info.image_len <= size && info.image_len % 16 == 0,
	           "the image lies within the bytes, padded to 16");
	FUZZ_CHECK(info.chip[0] != '\0', "the chip is named");
	check_text(info.version);
	check_text(info.project_name);
	check_text(info.idf_version);
	check_text(info.build_date);
	check_text(info.build_time);
	size_t sum_at = info.image_len - 1 - (info.hash_appended ? 32 : 0);
	if (info.hash_appended) {
		uint8_t md[DIGEST_SIZE];
		digest_sha256(data, info.image_len - 32, md);
		FUZZ_CHECK(memcmp(md, info.image_sha256, 32) == 0, "the appended hash was checked");
	}
	uint8_t *copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[sum_at] ^= 0x01;
	FUZZ_CHECK(espimage_parse(copy, size, &info, NULL, 0) != ESPIMAGE_OK,
	           "a flipped checksum byte is refused");
	free(copy);
	return 0;
}
