/*
 * router.h: the single route table (method + path template -> handler).
 * 404, 405 with Allow, HEAD and OPTIONS (CORS preflight) all come from it;
 * so do the route labels of the metrics and `iotconfig.fcgi --routes`,
 * which the OpenAPI contract test compares with the document.
 */
#ifndef IOTCONFIG_ROUTER_H
#define IOTCONFIG_ROUTER_H

#include <stdio.h>

#include "api.h"
#include "metrics.h"

struct router_outcome {
	int route;          /* index into the table, -1 when nothing matched */
	enum metrics_op op; /* the config operation performed, or METRICS_OP_NONE */
};

/* Routes ctx->req, runs the handler, and leaves the response in ctx->res. */
void router_handle(struct api_ctx *ctx, struct router_outcome *out);

int router_count(void);
/* Path templates by index, for metrics labels. */
const char *const *router_templates(void);
/*
 * Every route with every method it answers (HEAD and OPTIONS included) and
 * the access class of each but OPTIONS ("public", "admin", "device"), as JSON.
 */
void router_print(FILE *out);

/*
 * Matches a raw request path against a template; exposed for tests and the
 * fuzzer. On a match copies the decoded {parameter} (if any) into param.
 */
int router_match(const char *path, size_t len, char *param, size_t param_size);

#endif
