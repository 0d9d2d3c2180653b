/*
 * origin.c: the Host check and the same-origin rule for changes (see
 * origin.h for what each protects against).
 *
 * Where a browser's request comes from is read, in this order, from:
 *   - Sec-Fetch-Site (Fetch Metadata): "same-origin" or "none" (typed by
 *     the user) is this origin; "same-site" and "cross-site" are not.
 *     Browsers send it only to potentially trustworthy origins (https,
 *     localhost), so its absence proves nothing;
 *   - Origin (RFC 6454 section 7): every current browser sends it on a
 *     request whose method is not GET or HEAD, over http too; "null" (an
 *     opaque origin: a sandboxed frame, a data: URL) is never trusted;
 *   - Referer (RFC 9110 section 10.1.3), its scheme, host and port, where
 *     an older browser sent no Origin.
 * A request with none of them did not come from a browser page (curl,
 * scripts, devices) and is let through: it carries the web server's
 * credentials itself where writes need them.
 *
 * The origin is this service's when its host and port are the ones the
 * request was addressed to (Host, RFC 9110 section 7.2), the port
 * defaulting to the origin's scheme's. The scheme itself is not compared:
 * behind a proxy that ends TLS, the responder cannot tell https from http.
 *
 * A POST (the one changing method an HTML form or a no-cors fetch can send
 * to another origin without a CORS preflight) must carry
 * Content-Type: application/json (or, on the one route that takes an
 * archive, an archive type), which neither can: with it, a browser asks
 * first (preflight), and only CORS_ORIGINS can say yes.
 */
#include "origin.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cors.h"

bool
origin_method_is_safe(enum http_method m)
{
	return m == HTTP_GET || m == HTTP_HEAD || m == HTTP_OPTIONS;
}

/* Printable ASCII only, cut to cap: client input quoted in an error. */
static void
shown(char *out, size_t cap, const char *in)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < cap; p++)
		out[o++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? (char)*p : '?';
	out[o] = '\0';
}

/*
 * Splits an authority "host[:port]" (host possibly "[v6]") of length n
 * into its host part (*host, *host_len, without a trailing dot) and port
 * (0 when absent). Returns false when the port is not a number.
 */
static bool
split_authority(const char *a, size_t n, const char **host, size_t *host_len, unsigned *port)
{
	const char *colon = NULL;
	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if (close == NULL)
			return false;
		if ((size_t)(close + 1 - a) < n) {
			if (close[1] != ':')
				return false;
			colon = close + 1;
		}
	} else {
		colon = memchr(a, ':', n);
	}
	size_t hlen = colon ? (size_t)(colon - a) : n;
	*port = 0;
	if (colon != NULL) {
		const char *p = colon + 1;
		const char *end = a + n;
		if (p == end || end - p > 5)
			return false;
		unsigned v = 0;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return false;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v == 0 || v > 65535)
			return false;
		*port = v;
	}
	if (hlen > 0 && a[hlen - 1] == '.')
		hlen--;
	*host = a;
	*host_len = hlen;
	return hlen > 0;
}

int
origin_check_host(const struct settings *s, const struct http_request *req, struct api_error *err)
{
	if (s->allowed_hosts_count == 0 || req->host == NULL)
		return 0;
	const char *host;
	size_t len;
	unsigned port;
	if (split_authority(req->host, strlen(req->host), &host, &len, &port)) {
		for (size_t i = 0; i < s->allowed_hosts_count; i++) {
			const char *a = s->allowed_hosts[i];
			if (strcmp(a, "*") == 0 ||
			    (strlen(a) == len && strncasecmp(a, host, len) == 0))
				return 0;
		}
	}
	char name[80];
	shown(name, sizeof name, req->host);
	api_error_set(err, ERR_HOST_NOT_ALLOWED, "Host not served here",
	              "'%s' is not one of this service's host names (ALLOWED_HOSTS)", name);
	return -1;
}

/*
 * The origin ("scheme://host[:port]") that starts url, copied to out;
 * false when url does not start with one.
 */
static bool
origin_of_url(const char *url, char *out, size_t cap)
{
	const char *sep = strstr(url, "://");
	if (sep == NULL || sep == url)
		return false;
	for (const char *p = url; p < sep; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '+' ||
		      *p == '-' || *p == '.' || (p > url && *p >= '0' && *p <= '9')))
			return false;
	size_t n = (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
	if (n + 1 > cap)
		return false;
	memcpy(out, url, n);
	out[n] = '\0';
	return true;
}

/* Is origin ("scheme://host[:port]") the one this request was addressed to? */
static bool
same_origin(const char *origin, const char *host_header)
{
	if (host_header == NULL)
		return false;
	const char *sep = strstr(origin, "://");
	if (sep == NULL)
		return false;
	size_t scheme_len = (size_t)(sep - origin);
	unsigned default_port = 0;
	if (scheme_len == 4 && strncasecmp(origin, "http", 4) == 0)
		default_port = 80;
	else if (scheme_len == 5 && strncasecmp(origin, "https", 5) == 0)
		default_port = 443;
	else
		return false;
	const char *oh, *hh;
	size_t olen, hlen;
	unsigned oport, hport;
	const char *auth = sep + 3;
	if (!split_authority(auth, strlen(auth), &oh, &olen, &oport) ||
	    !split_authority(host_header, strlen(host_header), &hh, &hlen, &hport))
		return false;
	if (oport == 0)
		oport = default_port;
	if (hport == 0)
		hport = default_port;
	return olen == hlen && strncasecmp(oh, hh, olen) == 0 && oport == hport;
}

static bool
listed(const struct settings *s, const char *origin)
{
	return strcmp(origin, "null") != 0 && cors_origin_allowed(s, origin);
}

/*
 * The body types a POST may have: JSON, or on a route that takes an
 * archive, the archive types and those only. None is one an HTML form or
 * a no-cors fetch can send (those are text/plain, multipart/form-data and
 * application/x-www-form-urlencoded, the CORS-safelisted types): a page
 * of another origin must ask first.
 */
static bool
post_type_allowed(const char *ct, enum origin_body body)
{
	if (body == ORIGIN_BODY_ARCHIVE)
		return http_media_type_is(ct, "application/gzip") ||
		       http_media_type_is(ct, "application/x-gzip") ||
		       http_media_type_is(ct, "application/x-tar");
	return http_media_type_is(ct, "application/json");
}

int
origin_check_write(const struct settings *s, const struct http_request *req, enum origin_body body,
                   struct api_error *err)
{
	const char *site = req->sec_fetch_site;
	bool browser_says_other =
	        site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0;
	char from[256];
	const char *refused_by = NULL; /* the header that names the other origin */
	if (req->origin != NULL && req->origin[0] != '\0')
		snprintf(from, sizeof from, "%s", req->origin);
	else if (req->referer == NULL || req->referer[0] == '\0')
		from[0] = '\0';
	else if (!origin_of_url(req->referer, from, sizeof from))
		snprintf(from, sizeof from, "null");

	if (browser_says_other) {
		if (from[0] == '\0' || !listed(s, from))
			refused_by = "Sec-Fetch-Site";
	} else if (from[0] != '\0' && !same_origin(from, req->host) && !listed(s, from)) {
		refused_by = req->origin != NULL && req->origin[0] != '\0' ? "Origin" : "Referer";
	}
	if (refused_by != NULL) {
		char name[96], fetch_site[32];
		shown(name, sizeof name, from[0] ? from : "none");
		shown(fetch_site, sizeof fetch_site, site ? site : "");
		if (browser_says_other)
			api_error_set(err, ERR_ORIGIN_NOT_ALLOWED,
			              "Request from another origin refused",
			              "the browser sent it from another site (Sec-Fetch-Site: %s) "
			              "and its origin (%s) is not listed in CORS_ORIGINS",
			              fetch_site, name);
		else
			api_error_set(err, ERR_ORIGIN_NOT_ALLOWED,
			              "Request from another origin refused",
			              "'%s' (%s) is neither this service's origin nor listed in "
			              "CORS_ORIGINS; changes are accepted from those only",
			              name, refused_by);
		return -1;
	}
	if (req->method == HTTP_POST && !post_type_allowed(req->content_type, body)) {
		api_error_set(err, ERR_UNSUPPORTED_MEDIA, "Unsupported Content-Type", "%s",
		              body == ORIGIN_BODY_ARCHIVE
		                      ? "send the archive as application/gzip (a .tar.gz) or "
		                        "application/x-tar, which no HTML form can send"
		                      : "a POST must be sent as application/json (with an empty "
		                        "body where none is needed), which no HTML form can send");
		return -1;
	}
	return 0;
}
