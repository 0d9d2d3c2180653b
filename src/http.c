/*
 * http.c: request intake and the single response writer.
 *
 * Request ids: a client's X-Request-ID is echoed (and logged) only when it
 * is 1..128 characters of [A-Za-z0-9._:/+=@-]; anything else, CR/LF
 * included, is replaced by a fresh UUID, so a header value can never be
 * split into new response headers or log lines.
 */
#include "http.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "log.h"

/* Process-owned: generator for request UUIDs, seeded once from getrandom. */
static uint64_t http_uuid_state[2];
static bool http_uuid_seeded;

static uint64_t
uuid_next(void)
{
	/* xorshift128+: fast, and only needs to make ids distinct, not secret. */
	uint64_t s1 = http_uuid_state[0];
	const uint64_t s0 = http_uuid_state[1];
	http_uuid_state[0] = s0;
	s1 ^= s1 << 23;
	http_uuid_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return http_uuid_state[1] + s0;
}

static void
uuid_v4(char out[37])
{
	if (!http_uuid_seeded) {
		if (getrandom(http_uuid_state, sizeof http_uuid_state, 0) !=
		    (ssize_t)sizeof http_uuid_state) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			http_uuid_state[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
			http_uuid_state[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ull;
		}
		if ((http_uuid_state[0] | http_uuid_state[1]) == 0)
			http_uuid_state[0] = 1;
		http_uuid_seeded = true;
	}
	uint64_t hi = uuid_next(), lo = uuid_next();
	hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;
	lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
	/* 8-4-4-4-12 hex digits of hi then lo, written directly: this runs per request. */
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		uint64_t half = i < 16 ? hi : lo;
		out[o++] = hex[(half >> (60 - 4 * (i % 16))) & 15];
	}
	out[o] = '\0';
}

static bool
request_id_acceptable(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || strchr("._:/+=@-", c) != NULL;
		if (!ok || n >= HTTP_REQUEST_ID_MAX)
			return false;
	}
	return n > 0;
}

static enum http_method
parse_method(const char *m)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = {
	        {"GET", HTTP_GET},       {"HEAD", HTTP_HEAD},       {"PUT", HTTP_PUT},
	        {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS}, {"POST", HTTP_POST},
	        {"PATCH", HTTP_PATCH},
	};
	if (m != NULL)
		for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
			if (strcmp(m, methods[i].name) == 0)
				return methods[i].method;
	return HTTP_OTHER;
}

const char *
http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_GET:
		return "GET";
	case HTTP_HEAD:
		return "HEAD";
	case HTTP_PUT:
		return "PUT";
	case HTTP_DELETE:
		return "DELETE";
	case HTTP_OPTIONS:
		return "OPTIONS";
	case HTTP_POST:
		return "POST";
	case HTTP_PATCH:
		return "PATCH";
	case HTTP_OTHER:
		break;
	}
	return "OTHER";
}

int
http_method_index(enum http_method m)
{
	int i = 0;
	while (i < HTTP_METHOD_COUNT - 1 && (1u << i) != (unsigned)m)
		i++;
	return i;
}

void
http_methods_list(unsigned mask, char *out, size_t n)
{
	static const enum http_method order[] = {HTTP_GET,  HTTP_HEAD,  HTTP_PUT,    HTTP_DELETE,
	                                         HTTP_POST, HTTP_PATCH, HTTP_OPTIONS};
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		if (!(mask & order[i]))
			continue;
		int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "",
		                 http_method_name(order[i]));
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
	}
}

/* The parameters a request is read from, in the order of http_request_load's dest[]. */
static const struct {
	const char *name;
	size_t len;
} http_wanted[] = {
#define NAME(s)                                                                                    \
	{                                                                                          \
		s, sizeof s - 1                                                                    \
	}
        NAME("REQUEST_METHOD"),
        NAME("REQUEST_URI"),
        NAME("SCRIPT_NAME"),
        NAME("HTTP_X_REQUEST_ID"),
        NAME("CONTENT_TYPE"),
        NAME("CONTENT_LENGTH"),
        NAME("HTTP_ORIGIN"),
        NAME("HTTP_IF_MATCH"),
        NAME("HTTP_IF_NONE_MATCH"),
        NAME("HTTP_IF_MODIFIED_SINCE"),
        NAME("HTTP_IF_UNMODIFIED_SINCE"),
        NAME("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
        NAME("REMOTE_USER"),
        NAME("HTTP_TRANSFER_ENCODING"),
        NAME("REMOTE_ADDR"),
        NAME("HTTP_USER_AGENT"),
        NAME("HTTP_SEC_FETCH_MODE"),
        NAME("HTTP_SEC_FETCH_SITE"),
        NAME("HTTP_AUTHORIZATION"),
        NAME("HTTP_HOST"),
        NAME("HTTP_REFERER"),
        NAME("HTTP_RANGE"),
        NAME("HTTP_IF_RANGE"),
        NAME("HTTPS"),
        NAME("HTTP_X_ESP32_VERSION"),
        NAME("HTTP_X_ESP32_SKETCH_SHA256"),
        NAME("HTTP_X_ESP32_SKETCH_MD5"),
        NAME("HTTP_X_FIRMWARE_VERSION"),
        NAME("HTTP_X_ESP32_STA_MAC"),
        NAME("HTTP_X_IOTCONFIG_PEEK"),
#undef NAME
};
#define HTTP_WANTED (sizeof http_wanted / sizeof *http_wanted)

/*
 * One pass over the request's "NAME=value" parameters, instead of one
 * search of them per name (libfcgi's FCGX_GetParam scans the whole list
 * each time). As with FCGX_GetParam, the first of repeated names wins.
 */
static void
read_params(char **params, const char **dest[HTTP_WANTED])
{
	for (size_t i = 0; params != NULL && params[i] != NULL; i++) {
		const char *eq = strchr(params[i], '=');
		if (eq == NULL)
			continue;
		size_t len = (size_t)(eq - params[i]);
		for (size_t w = 0; w < HTTP_WANTED; w++) {
			if (http_wanted[w].len == len &&
			    memcmp(http_wanted[w].name, params[i], len) == 0) {
				if (*dest[w] == NULL)
					*dest[w] = eq + 1;
				break;
			}
		}
	}
}

void
http_request_load(struct http_request *req, struct transport *tx, struct buf *body)
{
	memset(req, 0, sizeof *req);
	req->tx = tx;
	req->body = body;
	const char *method = NULL, *uri = NULL, *script_name = NULL, *rid = NULL;
	const char **dest[] = {
	        &method,
	        &uri,
	        &script_name,
	        &rid,
	        &req->content_type,
	        &req->content_length,
	        &req->origin,
	        &req->if_match,
	        &req->if_none_match,
	        &req->if_modified_since,
	        &req->if_unmodified_since,
	        &req->acr_method,
	        &req->remote_user,
	        &req->transfer_encoding,
	        &req->remote_addr,
	        &req->user_agent,
	        &req->sec_fetch_mode,
	        &req->sec_fetch_site,
	        &req->authorization,
	        &req->host,
	        &req->referer,
	        &req->range,
	        &req->if_range,
	        &req->https,
	        &req->esp32_version,
	        &req->esp32_sketch_sha256,
	        &req->esp32_sketch_md5,
	        &req->firmware_version,
	        &req->esp32_sta_mac,
	        &req->peek,
	};
	_Static_assert(sizeof dest / sizeof *dest == HTTP_WANTED, "one destination per name");
	read_params(transport_params(tx), dest);
	req->method_name = method != NULL ? method : "";
	req->method = parse_method(method);

	if (uri == NULL || uri[0] == '\0') {
		uri = script_name;
		if (uri == NULL)
			uri = "/";
	}
	/* absolute-form request-target: drop scheme and authority */
	if (uri[0] != '/') {
		const char *scheme_end = strstr(uri, "://");
		const char *slash = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
		uri = slash ? slash : "/";
	}
	req->path = uri;
	req->path_len = strcspn(uri, "?#");
	if (uri[req->path_len] == '?') {
		req->query = uri + req->path_len + 1;
		req->query_len = strcspn(req->query, "#");
	}

	if (rid != NULL && request_id_acceptable(rid)) {
		snprintf(req->request_id, sizeof req->request_id, "%s", rid);
	} else {
		req->request_id_replaced = rid != NULL;
		uuid_v4(req->request_id);
	}
}

int
http_query_param(const struct http_request *req, const char *name, size_t *pos, char *out,
                 size_t cap, size_t *len)
{
	const char *q = req->query ? req->query : "";
	size_t qlen = req->query ? req->query_len : 0;
	size_t nlen = strlen(name);
	while (*pos < qlen) {
		const char *item = q + *pos;
		const char *amp = memchr(item, '&', qlen - *pos);
		size_t ilen = amp ? (size_t)(amp - item) : qlen - *pos;
		*pos += ilen + (amp ? 1 : 0);
		const char *eq = memchr(item, '=', ilen);
		size_t klen = eq ? (size_t)(eq - item) : ilen;
		if (klen != nlen || memcmp(item, name, nlen) != 0)
			continue;
		const char *v = eq ? eq + 1 : item + ilen;
		size_t vlen = (size_t)(item + ilen - v), o = 0;
		for (size_t i = 0; i < vlen; i++) {
			int c = (unsigned char)v[i];
			if (c == '+') {
				c = ' ';
			} else if (c == '%' && i + 2 < vlen &&
			           hex_value((unsigned char)v[i + 1]) >= 0 &&
			           hex_value((unsigned char)v[i + 2]) >= 0) {
				c = hex_value((unsigned char)v[i + 1]) * 16 +
				    hex_value((unsigned char)v[i + 2]);
				i += 2;
				if (c == 0)
					return -1;
			}
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)c;
		}
		out[o] = '\0';
		*len = o;
		return 1;
	}
	return 0;
}

bool
http_query_has(const struct http_request *req, const char *name)
{
	size_t n = strlen(name);
	const char *p = req->query, *end = req->query + req->query_len;
	while (p != NULL && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp != NULL ? amp : end;
		size_t key = strcspn(p, "=&#");
		if (key > (size_t)(stop - p))
			key = (size_t)(stop - p);
		if (key == n && memcmp(p, name, n) == 0)
			return true;
		p = amp != NULL ? amp + 1 : end;
	}
	return false;
}

bool
http_media_type_is(const char *ct, const char *type)
{
	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strlen(type);
	if (strncasecmp(ct, type, n) != 0)
		return false;
	const char *rest = ct + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	return *rest == '\0' || *rest == ';';
}

/*
 * A body without Content-Length: CGI under Apache passes a chunked request
 * body this way (RFC 3875 section 4.1.2 lets the length be absent). Reads
 * to the end of the stream, refusing more than max bytes.
 */
static int
read_to_end(struct http_request *req, size_t max, const char *setting, struct api_error *err)
{
	struct buf *b = req->body;
	for (;;) {
		if (b->len > max) {
			transport_discard(req->tx, TRANSPORT_DISCARD_MAX);
			api_error_set(err, ERR_PAYLOAD_TOO_LARGE, "Request body too large",
			              "the body is more than %zu bytes (%s)", max, setting);
			return -1;
		}
		if (buf_reserve(b, 16384) != 0) {
			api_error_set(err, ERR_INTERNAL, "Out of memory", "cannot hold the body");
			return -1;
		}
		ssize_t n = transport_read(req->tx, b->data + b->len, b->cap - b->len - 1);
		if (n < 0) {
			api_error_set(err, ERR_BAD_REQUEST, "Request body could not be read",
			              "the connection failed after %zu bytes", b->len);
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	return 0;
}

int
http_read_body(struct http_request *req, size_t max, struct api_error *err)
{
	return http_read_body_limit(req, max, "MAX_BODY_BYTES", err);
}

int
http_read_body_limit(struct http_request *req, size_t max, const char *setting,
                     struct api_error *err)
{
	struct buf *b = req->body;
	b->len = 0;
	const char *cl = req->content_length;
	if (cl == NULL || cl[0] == '\0') {
		const char *te = req->transfer_encoding;
		if (te == NULL || strcasestr(te, "chunked") == NULL)
			return 0;
		return read_to_end(req, max, setting, err);
	}
	char *end = NULL;
	errno = 0;
	unsigned long long want = strtoull(cl, &end, 10);
	if (cl[0] < '0' || cl[0] > '9' || errno != 0 || *end != '\0') {
		api_error_set(err, ERR_BAD_REQUEST, "Invalid Content-Length",
		              "Content-Length must be a non-negative decimal number of bytes");
		return -1;
	}
	if (want > max) {
		/* Bounded drain; beyond it the web server simply sees the connection close. */
		if (want <= TRANSPORT_DISCARD_MAX)
			transport_discard(req->tx, want);
		api_error_set(err, ERR_PAYLOAD_TOO_LARGE, "Request body too large",
		              "the body is %llu bytes; the limit is %zu bytes (%s)", want, max,
		              setting);
		return -1;
	}
	if (buf_reserve(b, (size_t)want) != 0) {
		api_error_set(err, ERR_INTERNAL, "Out of memory", "cannot hold a %llu-byte body",
		              want);
		return -1;
	}
	while (b->len < want) {
		ssize_t n = transport_read(req->tx, b->data + b->len, (size_t)want - b->len);
		if (n < 0) {
			api_error_set(err, ERR_BAD_REQUEST, "Request body could not be read",
			              "the connection failed after %zu of %llu bytes", b->len,
			              want);
			return -1;
		}
		if (n == 0) {
			api_error_set(err, ERR_BAD_REQUEST, "Request body shorter than announced",
			              "received %zu of the %llu bytes announced by Content-Length",
			              b->len, want);
			return -1;
		}
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	return 0;
}

void
http_response_init(struct http_response *res, struct buf *body)
{
	res->status = 200;
	res->content_type = NULL;
	res->hlen = 0;
	res->headers[0] = '\0';
	res->headers_overflow = false;
	res->body = body;
	body->len = 0;
	res->stream = NULL;
	res->stream_arg = NULL;
	res->stream_len = 0;
}

int
http_header(struct http_response *res, const char *name, const char *fmt, ...)
{
	size_t room = sizeof res->headers - res->hlen;
	char *at = res->headers + res->hlen;
	size_t n = strlen(name) + 2;
	size_t m = room;
	if (n < room) {
		memcpy(at, name, n - 2);
		memcpy(at + n - 2, ": ", 2);
		va_list ap;
		va_start(ap, fmt);
		if (strcmp(fmt, "%s") == 0) {
			/* The usual case, copied without the cost of printf. */
			const char *value = va_arg(ap, const char *);
			m = strlen(value);
			if (n + m < room)
				memcpy(at + n, value, m);
		} else {
			int w = vsnprintf(at + n, room - n, fmt, ap);
			if (w >= 0)
				m = (size_t)w;
		}
		va_end(ap);
	}
	if (n + m + 2 >= room) {
		res->headers_overflow = true;
		res->headers[res->hlen] = '\0';
		return -1;
	}
	memcpy(at + n + m, "\r\n", 3);
	res->hlen += n + m + 2;
	return 0;
}

struct http_header_mark
http_header_mark(const struct http_response *res)
{
	return (struct http_header_mark){.hlen = res->hlen, .overflow = res->headers_overflow};
}

void
http_header_rollback(struct http_response *res, const struct http_header_mark *mark)
{
	res->hlen = mark->hlen;
	res->headers[res->hlen] = '\0';
	res->headers_overflow = mark->overflow;
}

int
http_set_json(struct http_response *res, int status, const char *json, size_t len)
{
	res->status = status;
	res->content_type = "application/json";
	res->body->len = 0;
	res->stream = NULL;
	return buf_append(res->body, json, len);
}

void
http_set_error(struct http_response *res, const struct api_error *err, const char *request_id)
{
	res->hlen = 0;
	res->headers[0] = '\0';
	res->headers_overflow = false;
	json_object *o = json_object_new_object();
	json_object *details = json_object_new_object();
	int rc = -1;
	if (o != NULL && details != NULL) {
		json_object_object_add(details, "message", json_object_new_string(err->detail));
		if (err->details != NULL) {
			json_object_object_foreach(err->details, key, value)
			        json_object_object_add(details, key, json_object_get(value));
		}
		json_object_object_add(o, "error", json_object_new_string(err->message));
		json_object_object_add(o, "code",
		                       json_object_new_string(api_error_code(err->kind)));
		json_object_object_add(o, "details", details);
		details = NULL;
		json_object_object_add(o, "correlationId", json_object_new_string(request_id));
		size_t n = 0;
		const char *s = json_object_to_json_string_length(
		        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
		if (s != NULL)
			rc = http_set_json(res, api_error_status(err->kind), s, n);
	}
	json_object_put(details);
	json_object_put(o);
	if (rc != 0) {
		/* The request id is plain ASCII (see request_id_acceptable / uuid_v4). */
		char fallback[256 + HTTP_REQUEST_ID_MAX];
		int n = snprintf(
		        fallback, sizeof fallback,
		        "{\"error\":\"Out of memory\",\"code\":\"INTERNAL_ERROR\","
		        "\"details\":{\"message\":\"out of memory\"},\"correlationId\":\"%s\"}",
		        request_id);
		res->body->len = 0;
		if (n < 0 || (size_t)n >= sizeof fallback ||
		    buf_append(res->body, fallback, (size_t)n) != 0)
			res->body->len = 0;
		res->status = 500;
		res->content_type = "application/json";
	}
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Range Not Satisfiable";
	case 421:
		return "Misdirected Request";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 507:
		return "Insufficient Storage";
	default:
		return "Status";
	}
}

/* The response header block, built with plain copies (it is sent for every request). */
struct head {
	char data[2048];
	size_t used;
	bool overflow;
};

static void
head_put(struct head *h, const char *s, size_t n)
{
	if (n > sizeof h->data - h->used) {
		h->overflow = true;
		return;
	}
	memcpy(h->data + h->used, s, n);
	h->used += n;
}

static void
head_str(struct head *h, const char *s)
{
	head_put(h, s, strlen(s));
}

static void
head_uint(struct head *h, unsigned long long v)
{
	char digits[24];
	size_t i = sizeof digits;
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	head_put(h, digits + i, sizeof digits - i);
}

int
http_send(const struct http_request *req, struct http_response *res)
{
	bool bodiless = res->status == 204 || res->status == 304;
	size_t body_len = res->stream ? res->stream_len : res->body->len;
	struct head h;
	h.used = 0;
	h.overflow = false;
	head_str(&h, "Status: ");
	head_uint(&h, (unsigned)res->status);
	head_str(&h, " ");
	head_str(&h, reason_phrase(res->status));
	head_str(&h, "\r\nX-Request-ID: ");
	head_str(&h, req->request_id);
	/*
	 * On every answer: browsers take each body as the type it is sent
	 * with, never sniffing JSON into HTML or script, and no page of
	 * another site shows an answer (the page, Swagger UI) in a frame.
	 */
	head_str(&h, "\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n");
	if (!bodiless) {
		if (body_len != HTTP_LENGTH_UNKNOWN) {
			head_str(&h, "Content-Length: ");
			head_uint(&h, body_len);
			head_str(&h, "\r\n");
		}
		if (res->content_type != NULL) {
			head_str(&h, "Content-Type: ");
			head_str(&h, res->content_type);
			head_str(&h, "\r\n");
		}
	}
	if (res->headers_overflow)
		log_msg(LOG_ERROR, "response headers truncated status=%d", res->status);
	head_put(&h, res->headers, res->hlen);
	head_str(&h, "\r\n");
	if (h.overflow)
		return -1;
	if (transport_write(req->tx, h.data, h.used) != 0)
		return -1;
	if (bodiless || req->method == HTTP_HEAD)
		return 0;
	if (res->stream)
		return res->stream(req->tx, res->stream_arg);
	return transport_write(req->tx, res->body->data, res->body->len);
}
