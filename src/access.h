/*
 * access.h: who may use a route, decided per route class in the router's
 * table (router.c), before any handler runs, so that every route of a
 * class, present or added later, is checked the same way.
 *
 *   ACCESS_PUBLIC  health, documentation, the page's files, /metrics:
 *                  nothing asked here (the web server may ask for its own
 *                  credentials, AUTH_METRICS)
 *   ACCESS_ADMIN   the API admins and the page use. With DEVICE_AUTH off,
 *                  nothing asked here, as before. With it on, the request
 *                  must come authenticated by the web server (REMOTE_USER
 *                  set), or 403: otherwise the admin routes would hand any
 *                  config, or a new device secret, to anyone, and device
 *                  secrets would protect nothing.
 *   ACCESS_DEVICE  what devices fetch (a config's raw GET/HEAD, old and new
 *                  paths; firmware images and manifests): DEVICE_AUTH
 *                  per-device asks a device that has a secret for it,
 *                  required asks every device. The secret comes as HTTP
 *                  Basic (user: the route's MAC in any form the service
 *                  accepts) or as a Bearer token (authheader.h), and is
 *                  checked against the hashes in .credentials/
 *                  (credential.h). A route with no MAC in its path (a
 *                  firmware model's image or manifest) learns the device
 *                  from the Basic user, or else from x-ESP32-STA-MAC (which
 *                  goes with a Bearer token), and checks it the same way;
 *                  a request naming no device is refused under required
 *                  and let through under per-device, where there is no
 *                  device to ask (what a model serves is the same for all).
 *
 * A device route refuses the same way whatever the reason: 401 with the
 * same body and WWW-Authenticate (Basic and Bearer in one field, realm
 * "iotconfig devices"), whether the MAC has a config, a secret, or neither, after
 * the same work (credential_verify). After AUTHLIMIT_WRONG_MAX wrong
 * secrets for one MAC from one client in a minute, that client's attempts
 * at it get 429 with Retry-After, unchecked, until the minute ends
 * (authlimit.h). Every check is counted in iot_device_auth_total{result};
 * a failure is logged once per minute per MAC and client, never with the
 * secret.
 */
#ifndef IOTCONFIG_ACCESS_H
#define IOTCONFIG_ACCESS_H

#include "api.h"

enum access_class {
	ACCESS_PUBLIC = 0,
	ACCESS_ADMIN,
	ACCESS_DEVICE,
};

#define ACCESS_REALM "iotconfig devices"

/*
 * Checks the request in ctx against a route of class cls: 0 to go on (for
 * a device route, ctx->device tells how it was authenticated), or -1 with
 * ctx->err set.
 */
int access_check(struct api_ctx *ctx, enum access_class cls);

/*
 * Adds what a refusal carries besides its error body (WWW-Authenticate
 * for 401, Retry-After for 429); called after http_set_error.
 */
void access_error_headers(struct api_ctx *ctx);

/*
 * Once the answer is sent: notes the device's use of its secret in its
 * credential file (when, from where, which one; a first use of a new
 * secret ends the old one's overlap), when credential_use_due says so.
 * A failure is logged at most once a minute and changes nothing else.
 */
void access_after_answer(const struct settings *s);

#endif
