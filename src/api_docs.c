/*
 * api_docs.c: the API's own description.
 *   GET /api/docs, /api/docs/        302 to /api/docs/swagger/
 *   GET /api/docs/openapi.json       the OpenAPI document, built into the
 *                                    binary so every web server serves the
 *                                    same one
 *   GET /api/docs/swagger/{asset}    Swagger UI from a local swagger-ui-dist
 *                                    (SWAGGER_UI_DIR); no CDN is involved, and
 *                                    the online validator badge is off
 *                                    (validatorUrl: null), since it would
 *                                    send the document's URL to another server
 * Scripts are text/javascript (RFC 9239), the type lighttpd also rewrites
 * application/javascript to, so every web server sends the same one.
 * Only the asset names listed below are ever opened, so the parameter can
 * not reach any other file.
 */
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

/* Embedded by openapi_blob.S from conf/openapi.json. */
extern const char iotconfig_openapi_start[];
extern const char iotconfig_openapi_end[];

static const char swagger_index[] = "<!DOCTYPE html>\n"
                                    "<html lang=\"en\">\n"
                                    "<head>\n"
                                    "<meta charset=\"utf-8\">\n"
                                    "<title>iotconfig API</title>\n"
                                    "<link rel=\"stylesheet\" href=\"swagger-ui.css\">\n"
                                    "</head>\n"
                                    "<body>\n"
                                    "<div id=\"swagger-ui\"></div>\n"
                                    "<script src=\"swagger-ui-bundle.js\"></script>\n"
                                    "<script src=\"swagger-ui-standalone-preset.js\"></script>\n"
                                    "<script src=\"swagger-initializer.js\"></script>\n"
                                    "</body>\n"
                                    "</html>\n";

static const char swagger_initializer[] =
        "window.onload = function () {\n"
        "  window.ui = SwaggerUIBundle({\n"
        "    url: new URL('../openapi.json', window.location.href).href,\n"
        "    dom_id: '#swagger-ui',\n"
        "    deepLinking: true,\n"
        "    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n"
        "    plugins: [SwaggerUIBundle.plugins.DownloadUrl],\n"
        "    layout: 'StandaloneLayout',\n"
        "    validatorUrl: null\n"
        "  });\n"
        "};\n";

static const struct {
	const char *name;
	const char *type;
} swagger_assets[] = {
        {"swagger-ui.css", "text/css; charset=utf-8"},
        {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
        {"swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"},
        {"favicon-32x32.png", "image/png"},
        {"favicon-16x16.png", "image/png"},
};

int
api_docs_redirect(struct api_ctx *ctx)
{
	ctx->res->status = 302;
	http_header(ctx->res, "Location", "/api/docs/swagger/");
	return http_set_json(ctx->res, 302, "{\"location\":\"/api/docs/swagger/\"}", 33) == 0 ? 0
	                                                                                      : -1;
}

int
api_docs_openapi(struct api_ctx *ctx)
{
	size_t n = (size_t)(iotconfig_openapi_end - iotconfig_openapi_start);
	if (http_set_json(ctx->res, 200, iotconfig_openapi_start, n) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the document");
		return -1;
	}
	return 0;
}

static int
plain(struct api_ctx *ctx, int status, const char *text)
{
	struct http_response *res = ctx->res;
	res->status = status;
	res->content_type = "text/plain; charset=utf-8";
	res->body->len = 0;
	if (buf_puts(res->body, text) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the page");
		return -1;
	}
	return 0;
}

/* Reads dir/name into the response body; 0, or -1 with errno. */
static int
read_asset(struct api_ctx *ctx, const char *name)
{
	char path[1024];
	int n = snprintf(path, sizeof path, "%s/%s", ctx->settings->swagger_dir, name);
	if (n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	struct buf *b = ctx->res->body;
	b->len = 0;
	int err = 0;
	if (fstat(fd, &st) != 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = EINVAL;
	else if (buf_reserve(b, (size_t)st.st_size) != 0)
		err = ENOMEM;
	if (err != 0) {
		close(fd);
		errno = err;
		return -1;
	}
	for (;;) {
		ssize_t got = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (got == 0)
			break;
		b->len += (size_t)got;
		if (b->cap - b->len < 2 && buf_reserve(b, 65536) != 0) {
			close(fd);
			errno = ENOMEM;
			return -1;
		}
	}
	close(fd);
	return 0;
}

static bool
swagger_installed(const struct settings *s)
{
	char path[1024];
	int n = snprintf(path, sizeof path, "%s/swagger-ui-bundle.js", s->swagger_dir);
	return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

int
api_docs_swagger(struct api_ctx *ctx)
{
	const char *asset = ctx->param[0] ? ctx->param : "index.html";
	if (!swagger_installed(ctx->settings)) {
		char text[1400];
		snprintf(
		        text, sizeof text,
		        "Swagger UI is not installed on this server.\n\n"
		        "The API itself works; its OpenAPI document is at /api/docs/openapi.json.\n"
		        "To serve the interactive docs, install the pinned swagger-ui-dist "
		        "package\n"
		        "(needs npm): run `make deps` in the iotconfig source tree, or\n"
		        "`npm install swagger-ui-dist` and point SWAGGER_UI_DIR at its\n"
		        "node_modules/swagger-ui-dist directory.\n\n"
		        "Looked in: %.1000s\n",
		        ctx->settings->swagger_dir);
		return plain(ctx, 503, text);
	}
	struct http_response *res = ctx->res;
	if (strcmp(asset, "index.html") == 0) {
		res->content_type = "text/html; charset=utf-8";
		/* "Try it out" sends requests: never inside another site's frame. */
		http_header(res, "Content-Security-Policy", "frame-ancestors 'none'");
		res->body->len = 0;
		res->status = 200;
		return buf_append(res->body, swagger_index, sizeof swagger_index - 1) == 0 ? 0 : -1;
	}
	if (strcmp(asset, "swagger-initializer.js") == 0) {
		res->content_type = "text/javascript; charset=utf-8";
		res->body->len = 0;
		res->status = 200;
		return buf_append(res->body, swagger_initializer, sizeof swagger_initializer - 1) ==
		                       0
		               ? 0
		               : -1;
	}
	for (size_t i = 0; i < sizeof swagger_assets / sizeof *swagger_assets; i++) {
		if (strcmp(asset, swagger_assets[i].name) != 0)
			continue;
		if (read_asset(ctx, swagger_assets[i].name) != 0)
			return plain(ctx, 503, "Swagger UI asset could not be read.\n");
		res->status = 200;
		res->content_type = swagger_assets[i].type;
		http_header(res, "Cache-Control", "public, max-age=86400");
		return 0;
	}
	api_error_set(&ctx->err, ERR_NOT_FOUND, "No such documentation asset",
	              "Swagger UI serves a fixed set of files");
	return -1;
}
