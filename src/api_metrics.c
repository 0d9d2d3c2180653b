/*
 * api_metrics.c: GET /metrics in the Prometheus text format 0.0.4. The
 * files gauge is counted at scrape time through the list cache, so edits
 * made by hand are reflected; an unusable directory counts as 0 files.
 * The device gauges come from the fetch notes in the directory, which
 * every node sharing it writes, so any node's scrape sees every device.
 */
#include <unistd.h>

#include "api.h"
#include "catalog.h"

int
api_metrics(struct api_ctx *ctx)
{
	size_t files = 0; /* an unusable directory serves no config: 0, not an absent gauge */
	struct store_result r;
	int dirfd;
	if (store_open_dir(ctx->settings->configs_dir, &dirfd, &r) == 0) {
		const struct schemas *schemas = schemas_load(dirfd, &r);
		if (schemas != NULL && catalog_refresh(dirfd, schemas, ctx->file, &r) == 0)
			files = catalog_count();
		close(dirfd);
	}
	struct http_response *res = ctx->res;
	res->body->len = 0;
	if (metrics_render(res->body, files) != 0 ||
	    api_fetches_metrics(ctx->settings, res->body, ctx->file) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering metrics");
		return -1;
	}
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}
