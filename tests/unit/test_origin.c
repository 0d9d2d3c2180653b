/*
 * test_origin.c: proves origin.c's two checks on plain request values.
 * origin_check_host lets any Host through without ALLOWED_HOSTS, and with
 * it only the listed names (any port, any letter case, a trailing dot),
 * refusing others, malformed ports and look-alikes with 421.
 * origin_check_write decides from Sec-Fetch-Site, else Origin, else
 * Referer: this service's host and port (the port defaulting to the
 * scheme's) or a CORS_ORIGINS entry pass, any other origin, "null" and an
 * unreadable Referer are refused with 403; a request naming none passes;
 * a POST without application/json is refused with 415.
 */
#include <string.h>

#include "origin.h"
#include "tap.h"

static struct settings s;

static int
host(const char *allowed, const char *h)
{
	const char **list = NULL;
	size_t n = 0;
	char err[256];
	if (settings_parse_hosts(allowed, &list, &n, err, sizeof err) != 0)
		return -2;
	s.allowed_hosts = list;
	s.allowed_hosts_count = n;
	struct http_request req;
	memset(&req, 0, sizeof req);
	req.host = h;
	struct api_error e = {0};
	int rc = origin_check_host(&s, &req, &e);
	if (rc != 0 && e.kind != ERR_HOST_NOT_ALLOWED)
		rc = -3;
	settings_free(&s);
	memset(&s, 0, sizeof s);
	return rc;
}

/* 0, or the status the write would get. */
static int
write_as(enum http_method m, const char *h, const char *site, const char *origin,
         const char *referer, const char *ct, enum origin_body body)
{
	static const char *cors[] = {"http://ui.example:3000"};
	s.cors_origins = cors;
	s.cors_count = 1;
	struct http_request req;
	memset(&req, 0, sizeof req);
	req.method = m;
	req.host = h;
	req.sec_fetch_site = site;
	req.origin = origin;
	req.referer = referer;
	req.content_type = ct;
	struct api_error e = {0};
	int rc = origin_check_write(&s, &req, body, &e);
	s.cors_origins = NULL;
	s.cors_count = 0;
	return rc == 0 ? 0 : api_error_status(e.kind);
}

/* write_as for a route whose POST takes JSON. */
static int
write_from(enum http_method m, const char *h, const char *site, const char *origin,
           const char *referer, const char *ct)
{
	return write_as(m, h, site, origin, referer, ct, ORIGIN_BODY_JSON);
}

int
main(void)
{
	TAP_CHECK(host("", "anything.example") == 0, "host: no ALLOWED_HOSTS, any Host");
	TAP_CHECK(host("iot.example,127.0.0.1", "IOT.example:8080") == 0,
	          "host: listed name, any case, with a port");
	TAP_CHECK(host("iot.example", "iot.example.") == 0, "host: a trailing dot");
	TAP_CHECK(host("::1", "[::1]:8080") == 0, "host: IPv6 with a port");
	TAP_CHECK(host("iot.example", "iot.example.evil.test") == -1,
	          "host: a longer name is refused");
	TAP_CHECK(host("iot.example", "evil.test") == -1, "host: another name is refused (421)");
	TAP_CHECK(host("iot.example", "iot.example:80x") == -1,
	          "host: a malformed port is refused");
	TAP_CHECK(host("iot.example", "iot.examplf") == -1, "host: a look-alike is refused");
	TAP_CHECK(host("*", "evil.test") == 0, "host: * allows any");

	const char *h = "iot.test:8080", *json = "application/json";
	TAP_CHECK(write_from(HTTP_PUT, h, NULL, NULL, NULL, json) == 0,
	          "write: no origin named (curl)");
	TAP_CHECK(write_from(HTTP_PUT, h, NULL, "http://iot.test:8080", NULL, json) == 0,
	          "write: same host and port");
	TAP_CHECK(write_from(HTTP_PUT, "iot.test", NULL, "http://iot.test", NULL, json) == 0,
	          "write: default port on both sides");
	TAP_CHECK(write_from(HTTP_PUT, "iot.test", NULL, "https://iot.test:443", NULL, json) == 0,
	          "write: https origin behind a proxy, default port");
	TAP_CHECK(write_from(HTTP_PUT, "iot.test", NULL, "https://iot.test:8443", NULL, json) ==
	                  403,
	          "write: another port is another origin");
	TAP_CHECK(write_from(HTTP_DELETE, h, NULL, "http://evil.test:8080", NULL, NULL) == 403,
	          "write: another host (403)");
	TAP_CHECK(write_from(HTTP_DELETE, h, NULL, "null", NULL, NULL) == 403,
	          "write: Origin null");
	TAP_CHECK(write_from(HTTP_PUT, h, NULL, "http://ui.example:3000", NULL, json) == 0,
	          "write: a CORS_ORIGINS entry");
	TAP_CHECK(write_from(HTTP_PUT, h, NULL, NULL, "http://iot.test:8080/ui/#x", json) == 0,
	          "write: Referer of this origin");
	TAP_CHECK(write_from(HTTP_PUT, h, NULL, NULL, "http://evil.test/iot.test:8080", json) ==
	                  403,
	          "write: Referer of another origin");
	TAP_CHECK(write_from(HTTP_PUT, h, NULL, NULL, "garbage", json) == 403,
	          "write: a Referer with no origin");
	TAP_CHECK(write_from(HTTP_PUT, h, NULL, "http://evil.test", "http://iot.test:8080/",
	                     json) == 403,
	          "write: Origin wins over Referer");
	TAP_CHECK(write_from(HTTP_PUT, h, "cross-site", NULL, NULL, json) == 403,
	          "write: Sec-Fetch-Site cross-site alone");
	TAP_CHECK(write_from(HTTP_PUT, h, "same-site", "http://iot.test:8080", NULL, json) == 403,
	          "write: Sec-Fetch-Site same-site is not same-origin");
	TAP_CHECK(write_from(HTTP_PUT, h, "cross-site", "http://ui.example:3000", NULL, json) == 0,
	          "write: cross-site from a listed origin");
	TAP_CHECK(write_from(HTTP_PUT, h, "same-origin", "http://iot.test:8080", NULL, json) == 0,
	          "write: Sec-Fetch-Site same-origin");
	TAP_CHECK(write_from(HTTP_POST, h, NULL, NULL, NULL, NULL) == 415,
	          "write: a POST without a type (415)");
	TAP_CHECK(write_from(HTTP_POST, h, NULL, NULL, NULL, "text/plain") == 415,
	          "write: a text/plain POST");
	TAP_CHECK(write_from(HTTP_POST, h, NULL, NULL, NULL, "application/json; charset=utf-8") ==
	                  0,
	          "write: a JSON POST");
	TAP_CHECK(write_from(HTTP_POST, h, NULL, NULL, NULL, "application/gzip") == 415,
	          "write: an archive POST to a JSON route");
	TAP_CHECK(write_as(HTTP_POST, h, NULL, NULL, NULL, "application/gzip",
	                   ORIGIN_BODY_ARCHIVE) == 0 &&
	                  write_as(HTTP_POST, h, NULL, NULL, NULL, "application/x-tar",
	                           ORIGIN_BODY_ARCHIVE) == 0,
	          "write: an archive POST to the archive route");
	TAP_CHECK(write_as(HTTP_POST, h, NULL, NULL, NULL, "application/json",
	                   ORIGIN_BODY_ARCHIVE) == 415 &&
	                  write_as(HTTP_POST, h, NULL, NULL, NULL, "text/plain",
	                           ORIGIN_BODY_ARCHIVE) == 415,
	          "write: the archive route takes archives only");
	TAP_CHECK(write_as(HTTP_POST, h, NULL, "http://evil.test", NULL, "application/gzip",
	                   ORIGIN_BODY_ARCHIVE) == 403,
	          "write: an archive from another origin (403)");
	TAP_CHECK(origin_method_is_safe(HTTP_GET) && origin_method_is_safe(HTTP_HEAD) &&
	                  origin_method_is_safe(HTTP_OPTIONS) &&
	                  !origin_method_is_safe(HTTP_POST) && !origin_method_is_safe(HTTP_PATCH) &&
	                  !origin_method_is_safe(HTTP_OTHER),
	          "write: only GET, HEAD and OPTIONS are safe");
	return tap_done();
}
