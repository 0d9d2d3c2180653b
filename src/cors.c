/*
 * cors.c: the CORS headers (Fetch standard, "CORS protocol"). An allowed
 * origin is echoed in Access-Control-Allow-Origin; a disallowed one gets no
 * CORS headers at all, so the browser blocks the response. Because the
 * answer depends on Origin whenever origins are configured, those responses
 * carry Vary: Origin for shared caches. Credentials are not allowed: the
 * web server's own auth protects writes, and browsers then ask the user.
 *
 * The Access-Control-* headers of one answer are added all or none: an
 * origin too long for the header block (a browser never sends one) gets
 * none, never an Expose-Headers without the Allow-Origin it belongs to.
 *
 * A preflight asks for one method (Access-Control-Request-Method): when
 * the route does not answer it, the preflight gets no Access-Control-*
 * headers, so the browser's CORS-preflight check fails at once instead of
 * sending a request that can only be refused with 405.
 */
#include "cors.h"

#include <string.h>

#define CORS_ALLOW_HEADERS                                                                         \
	"Content-Type, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, "          \
	"Cache-Control, X-Request-ID, Authorization"
#define CORS_EXPOSE_HEADERS "ETag, X-Request-ID, Last-Modified, Allow"
#define CORS_MAX_AGE        600

bool
cors_origin_allowed(const struct settings *s, const char *origin)
{
	if (origin == NULL || origin[0] == '\0')
		return false;
	for (size_t i = 0; i < s->cors_count; i++)
		if (strcmp(s->cors_origins[i], "*") == 0 || strcmp(s->cors_origins[i], origin) == 0)
			return true;
	return false;
}

/*
 * The origin is echoed only after an exact match against the configured
 * list, whose entries settings.c checked for control characters, so the
 * echoed value cannot carry CR/LF. A "*" entry still echoes the origin,
 * which is then checked here for the same characters.
 */
static bool
origin_printable(const char *origin)
{
	for (const char *p = origin; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return false;
	return true;
}

void
cors_apply(const struct settings *s, const struct http_request *req, struct http_response *res)
{
	if (s->cors_count == 0)
		return;
	http_header(res, "Vary", "Origin");
	if (!cors_origin_allowed(s, req->origin) || !origin_printable(req->origin))
		return;
	struct http_header_mark mark = http_header_mark(res);
	if (http_header(res, "Access-Control-Allow-Origin", "%s", req->origin) != 0 ||
	    http_header(res, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS) != 0)
		http_header_rollback(res, &mark);
}

/*
 * Is the method a preflight asks for (NULL when it names none) one of
 * `methods`? Method names are case-sensitive (RFC 9110 section 9.1).
 */
static bool
method_requested_allowed(const char *requested, unsigned methods)
{
	if (requested == NULL)
		return true;
	for (int i = 0; i < HTTP_METHOD_COUNT - 1; i++) {
		enum http_method m = (enum http_method)(1u << i);
		if ((methods & m) && strcmp(requested, http_method_name(m)) == 0)
			return true;
	}
	return false;
}

void
cors_preflight(const struct settings *s, const struct http_request *req, struct http_response *res,
               unsigned methods)
{
	if (s->cors_count == 0)
		return;
	http_header(res, "Vary", "Origin");
	if (!cors_origin_allowed(s, req->origin) || !origin_printable(req->origin) ||
	    !method_requested_allowed(req->acr_method, methods))
		return;
	char list[128];
	http_methods_list(methods, list, sizeof list);
	struct http_header_mark mark = http_header_mark(res);
	if (http_header(res, "Access-Control-Allow-Origin", "%s", req->origin) != 0 ||
	    http_header(res, "Access-Control-Allow-Methods", "%s", list) != 0 ||
	    http_header(res, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS) != 0 ||
	    http_header(res, "Access-Control-Max-Age", "%d", CORS_MAX_AGE) != 0 ||
	    http_header(res, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS) != 0)
		http_header_rollback(res, &mark);
}
