/*
 * fuzz_authheader.c: libFuzzer harness for the Authorization grammar
 * (src/authheader.h). Any byte string (cut at its first NUL, as a header
 * value is) goes to authheader_parse; when it is accepted, the user and
 * secret stay within their bounds, a Bearer secret is token68 text found
 * in the input, and a Basic pair, encoded again with nettle, parses back
 * to the same user and secret: what the parser reads is exactly what a
 * client sending that pair would have sent.
 */
#include <nettle/base64.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authheader.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1);
	if (value == NULL)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	struct authheader a;
	if (!authheader_parse(value, &a)) {
		free(value);
		return 0;
	}
	FUZZ_CHECK(a.user_len <= AUTHHEADER_USER_MAX && a.secret_len <= AUTHHEADER_SECRET_MAX,
	           "user and secret within their bounds");
	FUZZ_CHECK(a.user[a.user_len] == '\0' && a.secret[a.secret_len] == '\0',
	           "user and secret are terminated");
	if (a.scheme == AUTHHEADER_BEARER) {
		FUZZ_CHECK(a.user_len == 0, "a Bearer credential names no user");
		FUZZ_CHECK(a.secret_len > 0 && strstr(value, a.secret) != NULL,
		           "a Bearer secret is text of the header");
		FUZZ_CHECK(strspn(a.secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                            "0123456789-._~+/=") == a.secret_len,
		           "a Bearer secret is token68");
	} else {
		FUZZ_CHECK(a.scheme == AUTHHEADER_BASIC, "the scheme is Basic or Bearer");
		FUZZ_CHECK(memchr(a.secret, ':', a.secret_len) == NULL,
		           "a Basic secret holds no colon (split at the last one)");
		uint8_t pair[AUTHHEADER_USER_MAX + AUTHHEADER_SECRET_MAX + 1];
		memcpy(pair, a.user, a.user_len);
		pair[a.user_len] = ':';
		memcpy(pair + a.user_len + 1, a.secret, a.secret_len);
		size_t plen = a.user_len + 1 + a.secret_len;
		char again[16 + BASE64_ENCODE_RAW_LENGTH(sizeof pair)];
		memcpy(again, "Basic ", 6);
		base64_encode_raw(again + 6, plen, pair);
		again[6 + BASE64_ENCODE_RAW_LENGTH(plen)] = '\0';
		struct authheader b;
		FUZZ_CHECK(authheader_parse(again, &b), "the pair encoded again is accepted");
		FUZZ_CHECK(b.user_len == a.user_len && memcmp(b.user, a.user, a.user_len) == 0 &&
		                   b.secret_len == a.secret_len &&
		                   memcmp(b.secret, a.secret, a.secret_len) == 0,
		           "the pair encoded again reads the same");
	}
	free(value);
	return 0;
}
