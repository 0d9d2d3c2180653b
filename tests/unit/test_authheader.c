/*
 * test_authheader.c: the Authorization grammar of authheader.c. Basic
 * (any letter case of the scheme) gives the user and the secret split at
 * the last colon, so that a MAC written with colons is the user; Bearer
 * gives the token. Refused: no header, other schemes, no space after the
 * scheme, invalid base64, white space or other characters inside the
 * token, a Basic pair without a colon, and values over the bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "authheader.h"
#include "tap.h"

/* Basic with base64 of text. */
static const char *
basic(const char *b64)
{
	static char v[2048];
	snprintf(v, sizeof v, "Basic %s", b64);
	return v;
}

int
main(void)
{
	struct authheader a;
	TAP_CHECK(authheader_parse(basic("dXNlcjpwYXNz"), &a) && a.scheme == AUTHHEADER_BASIC &&
	                  strcmp(a.user, "user") == 0 && a.user_len == 4 &&
	                  strcmp(a.secret, "pass") == 0 && a.secret_len == 4,
	          "authheader: Basic gives user and secret");
	/* "AA:BB:CC:DD:EE:FF:s3cret" */
	TAP_CHECK(authheader_parse(basic("QUE6QkI6Q0M6REQ6RUU6RkY6czNjcmV0"), &a) &&
	                  strcmp(a.user, "AA:BB:CC:DD:EE:FF") == 0 &&
	                  strcmp(a.secret, "s3cret") == 0,
	          "authheader: a MAC with colons is the user (split at the last colon)");
	TAP_CHECK(authheader_parse("bAsIc   dXNlcjpwYXNz  ", &a) && strcmp(a.user, "user") == 0,
	          "authheader: the scheme in any case, spaces around the token");
	/* ":pass" and "user:" */
	TAP_CHECK(authheader_parse(basic("OnBhc3M="), &a) && a.user_len == 0 &&
	                  strcmp(a.secret, "pass") == 0 &&
	                  authheader_parse(basic("dXNlcjo="), &a) && a.secret_len == 0,
	          "authheader: an empty user or secret is still a pair");
	TAP_CHECK(authheader_parse("Bearer abc-_DEF.~+/09==", &a) &&
	                  a.scheme == AUTHHEADER_BEARER &&
	                  strcmp(a.secret, "abc-_DEF.~+/09==") == 0 && a.user_len == 0,
	          "authheader: Bearer gives the token");
	TAP_CHECK(authheader_parse("bearer tok", &a) && strcmp(a.secret, "tok") == 0,
	          "authheader: bearer in lower case");

	static const char *const bad[] = {
	        "",
	        "Basic",
	        "Basic ",
	        "Basic\tdXNlcjpwYXNz",
	        "BasicdXNlcjpwYXNz",
	        "Digest username=\"x\"",
	        "Basic dXNlc jpwYXNz",
	        "Basic dXNlcjpwYXNz!",
	        "Basic dXNlcnBhc3M=", /* "userpass": no colon */
	        "Basic ====",
	        "Basic dXNlcjpwYXNz=x",
	        "Bearer",
	        "Bearer ",
	        "Bearer a b",
	        "Bearer a\"b",
	        "Bearer =abc",
	        "Token abc",
	};
	bool refused = true;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (authheader_parse(bad[i], &a)) {
			printf("#   accepted: '%s'\n", bad[i]);
			refused = false;
		}
	TAP_CHECK(refused, "authheader: other schemes, bad tokens and pairs without a colon are "
	                   "refused");
	TAP_CHECK(!authheader_parse(NULL, &a), "authheader: no header is no credential");

	char *big = malloc(AUTHHEADER_VALUE_MAX + 16);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', AUTHHEADER_SECRET_MAX);
	big[7 + AUTHHEADER_SECRET_MAX] = '\0';
	TAP_CHECK(authheader_parse(big, &a) && a.secret_len == AUTHHEADER_SECRET_MAX,
	          "authheader: a token of AUTHHEADER_SECRET_MAX bytes is read");
	big[7 + AUTHHEADER_SECRET_MAX] = 'a';
	big[8 + AUTHHEADER_SECRET_MAX] = '\0';
	TAP_CHECK(!authheader_parse(big, &a), "authheader: a longer token is refused");
	memcpy(big, "Basic  ", 7);
	memset(big + 7, 'Q', AUTHHEADER_VALUE_MAX);
	big[7 + AUTHHEADER_VALUE_MAX] = '\0';
	TAP_CHECK(!authheader_parse(big, &a), "authheader: a value over AUTHHEADER_VALUE_MAX is "
	                                      "refused unread");
	free(big);
	return tap_done();
}
