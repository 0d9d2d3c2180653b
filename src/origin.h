/*
 * origin.h: where a request was sent to and where it comes from. Two
 * checks the router makes before any handler runs:
 *   - the Host a client addressed must be one of ALLOWED_HOSTS (when set),
 *     so a page that rebinds its own DNS name to this server reads nothing;
 *   - a request that can change state (any method but GET, HEAD and
 *     OPTIONS, whatever its route) must come from this service's own origin
 *     or one listed in CORS_ORIGINS, and a POST must carry a body type no
 *     HTML form can send, so another site's page cannot make an admin's
 *     browser change a config with the credentials it holds.
 */
#ifndef IOTCONFIG_ORIGIN_H
#define IOTCONFIG_ORIGIN_H

#include <stdbool.h>

#include "error.h"
#include "http.h"
#include "settings.h"

/* 0, or -1 with err set (ERR_HOST_NOT_ALLOWED) when Host is not allowed. */
int origin_check_host(const struct settings *s, const struct http_request *req,
                      struct api_error *err);

/* GET, HEAD and OPTIONS change nothing; every other method may. */
bool origin_method_is_safe(enum http_method m);

/* What a route's POST body is: JSON (most), or an archive (an import). */
enum origin_body {
	ORIGIN_BODY_JSON = 0,
	ORIGIN_BODY_ARCHIVE,
};

/*
 * For a state-changing request: 0, or -1 with err set, ERR_ORIGIN_NOT_ALLOWED
 * (another origin) or ERR_UNSUPPORTED_MEDIA (a POST whose Content-Type is
 * not body's: application/json, or application/gzip, application/x-gzip,
 * application/x-tar for an archive).
 */
int origin_check_write(const struct settings *s, const struct http_request *req,
                       enum origin_body body, struct api_error *err);

#endif
