/*
 * test_response.c: proves that a response's headers stay consistent when
 * something fails after some were added. http_set_error replaces the
 * headers of the success answer (an error after the ETag carries no ETag,
 * Last-Modified or Cache-Control) and headers added after it are kept;
 * http_header_rollback takes back every line added since a mark. The CORS
 * headers of one answer are added all or none: an origin too long for the
 * header block, or a block already too full, gets no Access-Control-*
 * header at all (never Expose-Headers without Allow-Origin), for an
 * ordinary answer and for a preflight, and Vary: Origin stays.
 */
#include <stdlib.h>
#include <string.h>

#include "cors.h"
#include "http.h"
#include "tap.h"

static bool
has_header(const struct http_response *res, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = res->headers; *p != '\0';) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return true;
		const char *eol = strstr(p, "\r\n");
		if (eol == NULL)
			break;
		p = eol + 2;
	}
	return false;
}

static int
count_access_control(const struct http_response *res)
{
	int count = 0;
	for (const char *p = res->headers; (p = strstr(p, "Access-Control-")) != NULL; p++)
		count++;
	return count;
}

static void
check_set_error(struct buf *body)
{
	struct http_response res;
	http_response_init(&res, body);
	http_header(&res, "ETag", "%s", "\"0123456789abcdef0123456789abcdef\"");
	http_header(&res, "Last-Modified", "%s", "Sun, 06 Nov 1994 08:49:37 GMT");
	http_header(&res, "Cache-Control", "no-cache");
	buf_puts(body, "{\"half\":");
	struct api_error err = {0};
	api_error_set(&err, ERR_INTERNAL, "Out of memory", "rendering the config");
	http_set_error(&res, &err, "req-1");
	TAP_CHECK(res.status == 500, "set_error: the status is the error's");
	TAP_CHECK(!has_header(&res, "ETag") && !has_header(&res, "Last-Modified") &&
	                  !has_header(&res, "Cache-Control") && res.hlen == 0,
	          "set_error: the success answer's headers are dropped");
	TAP_CHECK(body->len > 0 && strstr(body->data, "\"code\":\"INTERNAL_ERROR\"") != NULL &&
	                  strstr(body->data, "\"correlationId\":\"req-1\"") != NULL &&
	                  strstr(body->data, "half") == NULL,
	          "set_error: the body is the error alone");
	http_header(&res, "Allow", "GET, HEAD, OPTIONS");
	TAP_STREQ(res.headers, "Allow: GET, HEAD, OPTIONS\r\n",
	          "set_error: headers added afterwards are kept");
}

static void
check_rollback(struct buf *body)
{
	struct http_response res;
	http_response_init(&res, body);
	http_header(&res, "ETag", "%s", "\"x\"");
	struct http_header_mark mark = http_header_mark(&res);
	http_header(&res, "A", "1");
	http_header(&res, "B", "2");
	http_header_rollback(&res, &mark);
	TAP_STREQ(res.headers, "ETag: \"x\"\r\n", "rollback: lines after the mark are gone");
	TAP_CHECK(!res.headers_overflow, "rollback: no overflow is left behind");
}

static const char *any_origin[] = {"*"};
static const struct settings cors_any = {.cors_origins = any_origin, .cors_count = 1};

static void
check_cors(struct buf *body)
{
	static char long_origin[1400];
	memcpy(long_origin, "http://", 7);
	memset(long_origin + 7, 'a', sizeof long_origin - 12);
	memcpy(long_origin + sizeof long_origin - 5, ".com", 5);

	struct http_request req;
	memset(&req, 0, sizeof req);
	struct http_response res;

	req.origin = "http://ui.example";
	http_response_init(&res, body);
	cors_apply(&cors_any, &req, &res);
	TAP_CHECK(has_header(&res, "Access-Control-Allow-Origin") &&
	                  has_header(&res, "Access-Control-Expose-Headers") &&
	                  has_header(&res, "Vary"),
	          "cors: an allowed origin gets Allow-Origin and Expose-Headers");

	req.origin = long_origin;
	http_response_init(&res, body);
	http_header(&res, "ETag", "%s", "\"0123456789abcdef0123456789abcdef\"");
	http_header(&res, "Cache-Control", "no-cache");
	cors_apply(&cors_any, &req, &res);
	TAP_CHECK(count_access_control(&res) == 0,
	          "cors: an origin too long for the header block gets no Access-Control-* header");
	TAP_CHECK(has_header(&res, "Vary") && has_header(&res, "ETag") &&
	                  has_header(&res, "Cache-Control") && !res.headers_overflow,
	          "cors: ... and the other headers stay whole, with Vary: Origin");

	/* A block nearly full: the origin fits, Expose-Headers would not. */
	req.origin = "http://ui.example";
	http_response_init(&res, body);
	static char filler[1536];
	/* "X: " and CRLF, Vary (14), Allow-Origin (48), 30 left: Expose (73) does not fit. */
	size_t fill = sizeof res.headers - 5 - 14 - 48 - 30;
	memset(filler, 'f', fill);
	filler[fill] = '\0';
	http_header(&res, "X", "%s", filler);
	cors_apply(&cors_any, &req, &res);
	TAP_CHECK(count_access_control(&res) == 0 && has_header(&res, "Vary"),
	          "cors: no Expose-Headers without Allow-Origin when the block fills up");

	req.origin = long_origin;
	req.acr_method = "GET";
	http_response_init(&res, body);
	cors_preflight(&cors_any, &req, &res, HTTP_GET | HTTP_HEAD | HTTP_OPTIONS);
	TAP_CHECK(count_access_control(&res) == 0 && has_header(&res, "Vary"),
	          "cors: a preflight from a too-long origin gets no Access-Control-* header");
	req.origin = "http://ui.example";
	http_response_init(&res, body);
	cors_preflight(&cors_any, &req, &res, HTTP_GET | HTTP_HEAD | HTTP_OPTIONS);
	TAP_CHECK(count_access_control(&res) == 5,
	          "cors: a preflight from an allowed origin gets all five");
}

int
main(void)
{
	struct buf body;
	buf_init(&body);
	check_set_error(&body);
	check_rollback(&body);
	check_cors(&body);
	buf_free(&body);
	return tap_done();
}
