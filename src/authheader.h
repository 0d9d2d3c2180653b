/*
 * authheader.h: the Authorization header a device sends, read into a user
 * and a secret. Pure; fuzzed by tests/fuzz/fuzz_authheader.c.
 *
 * Two schemes (the scheme name in any letter case, RFC 9110 section 11.1):
 *   Basic <base64 of "user:secret">   RFC 7617: what ESP-IDF's
 *                                     esp_http_client and Arduino's
 *                                     HTTPClient::setAuthorization send;
 *                                     split at the last colon, so that the
 *                                     user may be a MAC written with colons
 *   Bearer <token>                    RFC 6750 section 2.1: the secret alone
 * Anything else (another scheme, bad base64, characters outside the
 * token68 grammar, no ':' in a Basic pair, more than AUTHHEADER_SECRET_MAX
 * bytes of secret) is not a credential at all.
 */
#ifndef IOTCONFIG_AUTHHEADER_H
#define IOTCONFIG_AUTHHEADER_H

#include <stdbool.h>
#include <stddef.h>

#define AUTHHEADER_USER_MAX   64
#define AUTHHEADER_SECRET_MAX 256
#define AUTHHEADER_VALUE_MAX  1024 /* longer header values are refused unread */

enum authheader_scheme { AUTHHEADER_BASIC = 1, AUTHHEADER_BEARER };

struct authheader {
	enum authheader_scheme scheme;
	char user[AUTHHEADER_USER_MAX + 1]; /* Basic only; "" for Bearer */
	size_t user_len;                    /* may hold NUL bytes: compare by length */
	char secret[AUTHHEADER_SECRET_MAX + 1];
	size_t secret_len;
};

/* Reads value (NULL: no header); true when it is a Basic or Bearer credential. */
bool authheader_parse(const char *value, struct authheader *out);

#endif
