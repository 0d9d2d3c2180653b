/*
 * http.h: one request in, one response out. A request is read from the
 * transport's CGI parameters (method, raw URI, the headers the handlers
 * use) plus a bounded body; a response is a status, headers and a body
 * that always leave through http_send(), which also adds the headers every
 * response carries (Content-Length, X-Request-ID, X-Content-Type-Options,
 * X-Frame-Options) and omits the body for
 * HEAD, 204 and 304. http_set_error() is the one place an api_error becomes
 * a JSON error response.
 */
#ifndef IOTCONFIG_HTTP_H
#define IOTCONFIG_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "log.h"
#include "transport.h"

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_PUT = 1 << 2,
	HTTP_DELETE = 1 << 3,
	HTTP_OPTIONS = 1 << 4,
	HTTP_POST = 1 << 5,
	HTTP_PATCH = 1 << 6,
	HTTP_OTHER = 1 << 7,
};
#define HTTP_METHOD_COUNT 8

#define HTTP_LENGTH_UNKNOWN ((size_t)-1) /* stream_len of a body made as it is sent */

#define HTTP_REQUEST_ID_MAX LOG_REQUEST_ID_MAX /* log lines carry the id whole */

struct http_request {
	struct transport *tx;
	enum http_method method;
	const char *method_name; /* as sent (REQUEST_METHOD), "" when absent */
	const char *path;        /* raw request path, not decoded, without the query */
	size_t path_len;
	const char *query; /* raw query after '?', not decoded (query_len bytes); NULL: none */
	size_t query_len;
	const char *content_type;
	const char *content_length;
	const char *origin;
	const char *if_match;
	const char *if_none_match;
	const char *if_modified_since;
	const char *if_unmodified_since;
	const char *acr_method; /* Access-Control-Request-Method (cors.c checks it) */
	const char *remote_user;
	const char *transfer_encoding; /* only where no Content-Length came with a body */
	const char *remote_addr;       /* REMOTE_ADDR: the client, for the fetch notes */
	const char *user_agent;        /* User-Agent, as sent */
	const char *sec_fetch_mode;    /* Sec-Fetch-Mode: set by browsers, never by devices */
	const char *sec_fetch_site;    /* Sec-Fetch-Site: where a browser's request comes from */
	const char *authorization;     /* Authorization: a device's secret (access.h); never
	                                  logged. The web server's own credentials show as
	                                  remote_user instead. */
	const char *host;              /* Host: the name the client addressed */
	const char *referer;           /* Referer: the page a browser's request comes from */
	const char *range;             /* Range (byterange.h) */
	const char *if_range;          /* If-Range */
	const char *https;             /* HTTPS: "on" under TLS (CGI/FastCGI convention) */
	/* What an update client says it runs (api_ota.c): */
	const char *esp32_version;       /* x-ESP32-version (Arduino's HTTPUpdate) */
	const char *esp32_sketch_sha256; /* x-ESP32-sketch-sha256 */
	const char *esp32_sketch_md5;    /* x-ESP32-sketch-md5 */
	const char *firmware_version;    /* X-Firmware-Version (ESP-IDF clients, documented) */
	const char *esp32_sta_mac;       /* x-ESP32-STA-MAC: the MAC HTTPUpdate sends; names
	                                    a device, proves nothing (access.h) */
	const char *peek;                /* X-Iotconfig-Peek: a person's or a tool's read */
	char request_id[HTTP_REQUEST_ID_MAX + 1];
	bool request_id_replaced; /* the client sent one we could not echo */
	struct buf *body;
};

struct http_response {
	int status;
	const char *content_type;
	char headers[1536]; /* extra "Name: value\r\n" lines */
	size_t hlen;
	bool headers_overflow;
	struct buf *body;
	/*
	 * Instead of body: a writer producing exactly stream_len bytes, or
	 * with HTTP_LENGTH_UNKNOWN as many as it makes (no Content-Length is
	 * sent; the web server frames them, chunked or until the close).
	 */
	int (*stream)(struct transport *tx, void *arg);
	void *stream_arg;
	size_t stream_len;
};

/* Reads the current request's parameters; body will hold the body once read. */
void http_request_load(struct http_request *req, struct transport *tx, struct buf *body);

/*
 * Reads the whole body (Content-Length bytes) into req->body. Bodies over
 * max are drained and refused with ERR_PAYLOAD_TOO_LARGE; a malformed
 * Content-Length or a body shorter than announced is ERR_BAD_REQUEST.
 */
int http_read_body(struct http_request *req, size_t max, struct api_error *err);
/* The same with another bound, named in the 413's message by its setting. */
int http_read_body_limit(struct http_request *req, size_t max, const char *setting,
                         struct api_error *err);

/*
 * The values of the query parameters named name, one per call, decoded
 * (percent-escapes, and '+' as a space, as HTML forms send it): *pos
 * starts at 0. Returns 1 with the value in out (NUL-terminated, *len
 * bytes), 0 when there are no more, -1 when one does not fit in cap bytes
 * or decodes to a NUL byte.
 */
int http_query_param(const struct http_request *req, const char *name, size_t *pos, char *out,
                     size_t cap, size_t *len);

/* Does the query have a parameter named exactly name (with or without a value)? */
bool http_query_has(const struct http_request *req, const char *name);

/* Is the media type of a Content-Type value `type` (parameters ignored)? */
bool http_media_type_is(const char *content_type, const char *type);

const char *http_method_name(enum http_method m);
int http_method_index(enum http_method m);
/* "GET, HEAD, PUT" for a method mask, in a fixed order. */
void http_methods_list(unsigned mask, char *out, size_t n);

void http_response_init(struct http_response *res, struct buf *body);
/*
 * Adds one header line; values are the caller's (never raw client input).
 * Returns -1, adding nothing, when the line does not fit.
 */
int http_header(struct http_response *res, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/*
 * Headers that belong together are added all or none: take a mark, add
 * them, and on any failure roll back to the mark, which removes every line
 * added since.
 */
struct http_header_mark {
	size_t hlen;
	bool overflow;
};
struct http_header_mark http_header_mark(const struct http_response *res);
void http_header_rollback(struct http_response *res, const struct http_header_mark *mark);
/*
 * Replaces the response with the JSON error for err, headers included:
 * those added for the success answer (ETag, Last-Modified, ...) are
 * dropped. The ones every answer carries come later: X-Request-ID and
 * Content-* from http_send, CORS and Allow from the router.
 */
void http_set_error(struct http_response *res, const struct api_error *err, const char *request_id);
/* Sets a JSON body (status and content type too). */
int http_set_json(struct http_response *res, int status, const char *json, size_t len);
int http_send(const struct http_request *req, struct http_response *res);

#endif
