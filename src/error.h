/*
 * error.h: the service's error vocabulary. Handlers and the layers below
 * them describe a failure as a struct api_error value; http.c is the one
 * place that turns it into a status line and the JSON error body. The
 * table in error.c maps each kind to its HTTP status and contract code.
 */
#ifndef IOTCONFIG_ERROR_H
#define IOTCONFIG_ERROR_H

enum api_error_kind {
	ERR_NONE = 0,
	ERR_RECORD_NOT_FOUND,      /* 404 RECORD_NOT_FOUND */
	ERR_INVALID_OPERATION,     /* 400 INVALID_OPERATION (bad MAC) */
	ERR_VALIDATION_FAILED,     /* 400 VALIDATION_FAILED (bad body) */
	ERR_RECORD_EXISTS,         /* 409 RECORD_EXISTS */
	ERR_PRECONDITION_FAILED,   /* 412 PRECONDITION_FAILED */
	ERR_PAYLOAD_TOO_LARGE,     /* 413 PAYLOAD_TOO_LARGE */
	ERR_UNSUPPORTED_MEDIA,     /* 415 UNSUPPORTED_MEDIA_TYPE */
	ERR_BAD_REQUEST,           /* 400 BAD_REQUEST (framing, not the body) */
	ERR_NOT_FOUND,             /* 404 NOT_FOUND (no such route) */
	ERR_METHOD_NOT_ALLOWED,    /* 405 METHOD_NOT_ALLOWED */
	ERR_CONFIG_UNREADABLE,     /* 500 CONFIG_UNREADABLE */
	ERR_STORAGE_ERROR,         /* 500 STORAGE_ERROR */
	ERR_INTERNAL,              /* 500 INTERNAL_ERROR */
	ERR_STORAGE_UNAVAILABLE,   /* 503 STORAGE_UNAVAILABLE */
	ERR_INSUFFICIENT_STORAGE,  /* 507 INSUFFICIENT_STORAGE */
	ERR_STORAGE_NOT_DURABLE,   /* 500 STORAGE_NOT_DURABLE (the change is made) */
	ERR_UNAUTHORIZED,          /* 401 UNAUTHORIZED (a device route without its secret) */
	ERR_FORBIDDEN,             /* 403 FORBIDDEN (an admin route without the web
	                              server's credentials while DEVICE_AUTH is on) */
	ERR_TOO_MANY_REQUESTS,     /* 429 TOO_MANY_REQUESTS (wrong secrets, slowed down) */
	ERR_ORIGIN_NOT_ALLOWED,    /* 403 ORIGIN_NOT_ALLOWED (a change from another origin) */
	ERR_HOST_NOT_ALLOWED,      /* 421 HOST_NOT_ALLOWED (Host not in ALLOWED_HOSTS) */
	ERR_FIRMWARE_IN_USE,       /* 409 FIRMWARE_IN_USE (a target, or no room for another) */
	ERR_RANGE_NOT_SATISFIABLE, /* 416 RANGE_NOT_SATISFIABLE */
	ERR_KIND_COUNT
};

struct json_object;

struct api_error {
	enum api_error_kind kind;
	char message[256]; /* "error": what failed, for a human */
	char detail[256];  /* "details.message": why, as precisely as known */
	/* More members of "details" (e.g. the list of schema errors), or NULL.
	 * Owned by the error: api_error_release frees it. */
	struct json_object *details;
};

void api_error_set(struct api_error *err, enum api_error_kind kind, const char *message,
                   const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
/* Adds member key (taking the reference to value) to the error's details. */
void api_error_detail(struct api_error *err, const char *key, struct json_object *value);
/* Frees the details; the router calls it once the answer is rendered. */
void api_error_release(struct api_error *err);
int api_error_status(enum api_error_kind kind);
const char *api_error_code(enum api_error_kind kind);

#endif
