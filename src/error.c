/*
 * error.c: the table from error kind to HTTP status and contract code. The
 * codes are part of the HTTP contract that existing clients match on, so
 * they are spelled exactly once, here.
 */
#include "error.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>

static const struct {
	int status;
	const char *code;
} error_table[ERR_KIND_COUNT] = {
        [ERR_NONE] = {200, "OK"},
        [ERR_RECORD_NOT_FOUND] = {404, "RECORD_NOT_FOUND"},
        [ERR_INVALID_OPERATION] = {400, "INVALID_OPERATION"},
        [ERR_VALIDATION_FAILED] = {400, "VALIDATION_FAILED"},
        [ERR_RECORD_EXISTS] = {409, "RECORD_EXISTS"},
        [ERR_PRECONDITION_FAILED] = {412, "PRECONDITION_FAILED"},
        [ERR_PAYLOAD_TOO_LARGE] = {413, "PAYLOAD_TOO_LARGE"},
        [ERR_UNSUPPORTED_MEDIA] = {415, "UNSUPPORTED_MEDIA_TYPE"},
        [ERR_BAD_REQUEST] = {400, "BAD_REQUEST"},
        [ERR_NOT_FOUND] = {404, "NOT_FOUND"},
        [ERR_METHOD_NOT_ALLOWED] = {405, "METHOD_NOT_ALLOWED"},
        [ERR_CONFIG_UNREADABLE] = {500, "CONFIG_UNREADABLE"},
        [ERR_STORAGE_ERROR] = {500, "STORAGE_ERROR"},
        [ERR_INTERNAL] = {500, "INTERNAL_ERROR"},
        [ERR_STORAGE_UNAVAILABLE] = {503, "STORAGE_UNAVAILABLE"},
        [ERR_INSUFFICIENT_STORAGE] = {507, "INSUFFICIENT_STORAGE"},
        [ERR_STORAGE_NOT_DURABLE] = {500, "STORAGE_NOT_DURABLE"},
        [ERR_UNAUTHORIZED] = {401, "UNAUTHORIZED"},
        [ERR_FORBIDDEN] = {403, "FORBIDDEN"},
        [ERR_TOO_MANY_REQUESTS] = {429, "TOO_MANY_REQUESTS"},
        [ERR_ORIGIN_NOT_ALLOWED] = {403, "ORIGIN_NOT_ALLOWED"},
        [ERR_HOST_NOT_ALLOWED] = {421, "HOST_NOT_ALLOWED"},
        [ERR_FIRMWARE_IN_USE] = {409, "FIRMWARE_IN_USE"},
        [ERR_RANGE_NOT_SATISFIABLE] = {416, "RANGE_NOT_SATISFIABLE"},
};

void
api_error_set(struct api_error *err, enum api_error_kind kind, const char *message,
              const char *detail_fmt, ...)
{
	err->kind = kind;
	snprintf(err->message, sizeof err->message, "%s", message);
	va_list ap;
	va_start(ap, detail_fmt);
	vsnprintf(err->detail, sizeof err->detail, detail_fmt, ap);
	va_end(ap);
}

void
api_error_detail(struct api_error *err, const char *key, struct json_object *value)
{
	if (err->details == NULL)
		err->details = json_object_new_object();
	if (err->details == NULL || json_object_object_add(err->details, key, value) != 0)
		json_object_put(value);
}

void
api_error_release(struct api_error *err)
{
	json_object_put(err->details);
	err->details = NULL;
}

int
api_error_status(enum api_error_kind kind)
{
	if (kind < 0 || kind >= ERR_KIND_COUNT)
		return 500;
	return error_table[kind].status;
}

const char *
api_error_code(enum api_error_kind kind)
{
	if (kind < 0 || kind >= ERR_KIND_COUNT)
		return "INTERNAL_ERROR";
	return error_table[kind].code;
}
