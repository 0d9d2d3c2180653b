/*
 * fake_transport.h: an in-memory implementation of src/transport.h for
 * the router harness. It is linked before build/fuzz/lib.a, so the
 * harness drives the whole request path (http.c, router.c, the handlers,
 * the store) with no web server: parameters and body come from the fuzz
 * input, the response is collected in a buffer for checking.
 */
#ifndef IOTCONFIG_FAKE_TRANSPORT_H
#define IOTCONFIG_FAKE_TRANSPORT_H

#include <stddef.h>

#include "buf.h"
#include "transport.h"

#define FAKE_MAX_PARAMS 32

struct transport {
	const char *names[FAKE_MAX_PARAMS];
	const char *values[FAKE_MAX_PARAMS];
	size_t nparams;
	const char *body;
	size_t body_len;
	size_t body_pos;
	struct buf out; /* everything the responder wrote */
	struct buf env; /* "NAME=value" strings for transport_params */
	char *envp[FAKE_MAX_PARAMS + 1];
};

/* Forgets the previous request (keeps the output buffer's memory). */
void fake_transport_reset(struct transport *t);

/* Adds a CGI parameter; both strings must outlive the request. */
void fake_transport_param(struct transport *t, const char *name, const char *value);

#endif
