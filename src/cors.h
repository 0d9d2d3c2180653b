/*
 * cors.h: Cross-Origin Resource Sharing for the browser UI. Which origins
 * are allowed comes from CORS_ORIGINS; what each route allows comes from
 * the router table.
 */
#ifndef IOTCONFIG_CORS_H
#define IOTCONFIG_CORS_H

#include <stdbool.h>

#include "http.h"
#include "settings.h"

/* Headers for an ordinary (non-preflight) response to req. */
void cors_apply(const struct settings *s, const struct http_request *req,
                struct http_response *res);

/*
 * Headers for a preflight (OPTIONS) answer on a route allowing `methods`;
 * none but Vary when the preflight asks for another method.
 */
void cors_preflight(const struct settings *s, const struct http_request *req,
                    struct http_response *res, unsigned methods);

bool cors_origin_allowed(const struct settings *s, const char *origin);

#endif
