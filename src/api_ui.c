/*
 * api_ui.c: the web page for managing the fleet (web/).
 *   GET /, /ui                  302 to /ui/
 *   GET /ui/                    the page (index.html), never cached
 *   GET /ui/{version}/{asset}   its scripts and style sheet
 * The files are built into the binary (web_blob.S) rather than read from
 * a directory named by a setting: the page then works the same under
 * lighttpd and Apache, FastCGI and CGI, `make run`, `make install` and
 * the Docker image, with nothing to install or configure and no way for
 * the page and the API it calls to come from different versions.
 *
 * {version} is a fingerprint of every asset's name and bytes, computed
 * once per process: index.html names its files under the current one, so
 * an asset URL names one content and may be cached for a year, and a new
 * build gets new URLs. An asset asked for under another version (a page
 * loaded before an upgrade) is still served, the current bytes, but with
 * "no-cache", so that no cache keeps them under a name they do not match.
 * Only the names listed below are ever served.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"

#define WEB_ASSET(sym)                                                                             \
	extern const char iotconfig_web_##sym##_start[];                                           \
	extern const char iotconfig_web_##sym##_end[];
WEB_ASSET(index_html)
WEB_ASSET(app_css)
WEB_ASSET(app_js)
WEB_ASSET(api_js)
WEB_ASSET(list_js)
WEB_ASSET(editor_js)
WEB_ASSET(history_js)
WEB_ASSET(diff_js)
WEB_ASSET(mac_js)
WEB_ASSET(dom_js)
WEB_ASSET(credential_js)

#define JS  "text/javascript; charset=utf-8"
#define CSS "text/css; charset=utf-8"

static const struct ui_asset {
	const char *name;
	const char *type;
	const char *start;
	const char *end;
} ui_assets[] = {
#define ENTRY(name, type, sym)                                                                     \
	{                                                                                          \
		name, type, iotconfig_web_##sym##_start, iotconfig_web_##sym##_end                 \
	}
        ENTRY("app.css", CSS, app_css),    ENTRY("app.js", JS, app_js),
        ENTRY("api.js", JS, api_js),       ENTRY("list.js", JS, list_js),
        ENTRY("editor.js", JS, editor_js), ENTRY("history.js", JS, history_js),
        ENTRY("diff.js", JS, diff_js),     ENTRY("mac.js", JS, mac_js),
        ENTRY("dom.js", JS, dom_js),       ENTRY("credential.js", JS, credential_js),
#undef ENTRY
};
#define UI_ASSET_COUNT (sizeof ui_assets / sizeof *ui_assets)

/* 64 bits of fingerprint: ample to tell builds apart. */
#define UI_VERSION_LEN 16

/* The page may load only from its own origin; nothing inline, no frames. */
static const char ui_csp[] = "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/* The fingerprint of all assets: SHA-256 over each one's name and bytes digests. */
static const char *
ui_version(void)
{
	static char version[DIGEST_HEX_LEN + 1];
	if (version[0] != '\0')
		return version;
	uint8_t parts[UI_ASSET_COUNT][2][DIGEST_SIZE];
	for (size_t i = 0; i < UI_ASSET_COUNT; i++) {
		const struct ui_asset *a = &ui_assets[i];
		digest_sha256(a->name, strlen(a->name), parts[i][0]);
		digest_sha256(a->start, (size_t)(a->end - a->start), parts[i][1]);
	}
	uint8_t md[DIGEST_SIZE];
	digest_sha256(parts, sizeof parts, md);
	digest_hex(md, version);
	version[UI_VERSION_LEN] = '\0';
	return version;
}

static int
out_of_memory(struct api_ctx *ctx)
{
	api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the page");
	return -1;
}

int
api_ui_redirect(struct api_ctx *ctx)
{
	static const char body[] = "{\"location\":\"/ui/\"}";
	if (http_set_json(ctx->res, 302, body, sizeof body - 1) != 0)
		return out_of_memory(ctx);
	http_header(ctx->res, "Location", "/ui/");
	return 0;
}

/* index.html with every "@VERSION@" replaced by the current version. */
int
api_ui_page(struct api_ctx *ctx)
{
	static const char mark[] = "@VERSION@";
	const char *version = ui_version();
	const char *p = iotconfig_web_index_html_start;
	const char *end = iotconfig_web_index_html_end;
	struct http_response *res = ctx->res;
	res->body->len = 0;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), mark, sizeof mark - 1);
		size_t n = (size_t)((hit ? hit : end) - p);
		if (buf_append(res->body, p, n) != 0)
			return out_of_memory(ctx);
		if (hit == NULL)
			break;
		if (buf_puts(res->body, version) != 0)
			return out_of_memory(ctx);
		p = hit + sizeof mark - 1;
	}
	res->status = 200;
	res->content_type = "text/html; charset=utf-8";
	http_header(res, "Cache-Control", "no-cache");
	http_header(res, "Content-Security-Policy", "%s", ui_csp);
	return 0;
}

int
api_ui_asset(struct api_ctx *ctx)
{
	for (size_t i = 0; i < UI_ASSET_COUNT; i++) {
		const struct ui_asset *a = &ui_assets[i];
		if (strcmp(ctx->param, a->name) != 0)
			continue;
		struct http_response *res = ctx->res;
		res->body->len = 0;
		if (buf_append(res->body, a->start, (size_t)(a->end - a->start)) != 0)
			return out_of_memory(ctx);
		res->status = 200;
		res->content_type = a->type;
		bool current = strcmp(ctx->version, ui_version()) == 0;
		http_header(res, "Cache-Control", "%s",
		            current ? "public, max-age=31536000, immutable" : "no-cache");
		return 0;
	}
	api_error_set(&ctx->err, ERR_NOT_FOUND, "No such page file",
	              "the web page serves a fixed set of files");
	return -1;
}
