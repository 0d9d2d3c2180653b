/*
 * authheader.c: the Authorization grammar of authheader.h, decoded with
 * nettle's base64. The token68 characters (RFC 9110 section 11.2) are
 * checked here first, since nettle's decoder skips white space inside.
 */
#include "authheader.h"

#include <nettle/base64.h>
#include <string.h>
#include <strings.h>

static bool
token68_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* Length of the token68 at s (n bytes, then only white space), or 0. */
static size_t
token68_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && token68_char(s[i]))
		i++;
	if (i == 0)
		return 0;
	while (i < n && s[i] == '=')
		i++;
	for (size_t j = i; j < n; j++)
		if (s[j] != ' ' && s[j] != '\t')
			return 0;
	return i;
}

/* The scheme: s begins with name (any case) and then one or more spaces. */
static const char *
after_scheme(const char *s, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(s, name, n) != 0 || s[n] != ' ')
		return NULL;
	s += n;
	while (*s == ' ')
		s++;
	return s;
}

/* Splits a decoded "user:secret" into out; false when it is not one. */
static bool
split_pair(const uint8_t *pair, size_t plen, struct authheader *out)
{
	/*
	 * At the last colon, not the first (RFC 7617 section 2): the user is a
	 * MAC, which may be written with colons, and no secret holds one.
	 */
	const uint8_t *colon = NULL;
	for (size_t i = plen; i > 0 && colon == NULL; i--)
		if (pair[i - 1] == ':')
			colon = pair + i - 1;
	if (colon == NULL)
		return false;
	size_t ulen = (size_t)(colon - pair), slen = plen - ulen - 1;
	if (ulen > AUTHHEADER_USER_MAX || slen > AUTHHEADER_SECRET_MAX)
		return false;
	out->scheme = AUTHHEADER_BASIC;
	memcpy(out->user, pair, ulen);
	out->user[ulen] = '\0';
	out->user_len = ulen;
	memcpy(out->secret, colon + 1, slen);
	out->secret[slen] = '\0';
	out->secret_len = slen;
	return true;
}

static bool
parse_basic(const char *p, size_t n, struct authheader *out)
{
	size_t tlen = token68_len(p, n);
	if (tlen == 0)
		return false;
	uint8_t pair[BASE64_DECODE_LENGTH(AUTHHEADER_VALUE_MAX)];
	size_t plen = sizeof pair;
	struct base64_decode_ctx b64;
	base64_decode_init(&b64);
	bool ok = base64_decode_update(&b64, &plen, pair, tlen, p) && base64_decode_final(&b64) &&
	          split_pair(pair, plen, out);
	/* The decoded secret is wiped whatever the outcome. */
	explicit_bzero(pair, sizeof pair);
	return ok;
}

bool
authheader_parse(const char *value, struct authheader *out)
{
	memset(out, 0, sizeof *out);
	if (value == NULL)
		return false;
	size_t n = strlen(value);
	if (n > AUTHHEADER_VALUE_MAX)
		return false;
	const char *p;
	if ((p = after_scheme(value, "Basic")) != NULL)
		return parse_basic(p, n - (size_t)(p - value), out);
	if ((p = after_scheme(value, "Bearer")) == NULL)
		return false;
	size_t tlen = token68_len(p, n - (size_t)(p - value));
	if (tlen == 0 || tlen > AUTHHEADER_SECRET_MAX)
		return false;
	out->scheme = AUTHHEADER_BEARER;
	memcpy(out->secret, p, tlen);
	out->secret[tlen] = '\0';
	out->secret_len = tlen;
	return true;
}
