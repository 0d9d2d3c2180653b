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
 *
 * codemirror.js is the page's editor library, bundled at build time from
 * the pinned npm packages (tools/bundle.mjs); the rest are web/ as is.
 * The editor injects its own style rules (a <style> element it fills at
 * run time), which a "style-src 'self'" policy blocks: each page answer
 * therefore carries a fresh random nonce, in the policy and in the page
 * (index.html's csp-nonce <meta>), which the page hands to the editor
 * (EditorView.cspNonce). Styles stay limited to the page's own files and
 * the elements the page's scripts mark with that answer's nonce; no
 * inline style written into the HTML applies.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

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
WEB_ASSET(codemirror_js)
WEB_ASSET(jsontree_js)
WEB_ASSET(schema_js)
WEB_ASSET(device_js)
WEB_ASSET(create_js)
WEB_ASSET(fleet_js)
WEB_ASSET(search_js)
WEB_ASSET(transfer_js)
WEB_ASSET(waiting_js)
WEB_ASSET(firmware_js)
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
        ENTRY("app.css", CSS, app_css),
        ENTRY("app.js", JS, app_js),
        ENTRY("api.js", JS, api_js),
        ENTRY("list.js", JS, list_js),
        ENTRY("editor.js", JS, editor_js),
        ENTRY("history.js", JS, history_js),
        ENTRY("diff.js", JS, diff_js),
        ENTRY("mac.js", JS, mac_js),
        ENTRY("dom.js", JS, dom_js),
        ENTRY("codemirror.js", JS, codemirror_js),
        ENTRY("jsontree.js", JS, jsontree_js),
        ENTRY("schema.js", JS, schema_js),
        ENTRY("device.js", JS, device_js),
        ENTRY("create.js", JS, create_js),
        ENTRY("fleet.js", JS, fleet_js),
        ENTRY("search.js", JS, search_js),
        ENTRY("transfer.js", JS, transfer_js),
        ENTRY("waiting.js", JS, waiting_js),
        ENTRY("credential.js", JS, credential_js),
        ENTRY("firmware.js", JS, firmware_js),
#undef ENTRY
};
#define UI_ASSET_COUNT (sizeof ui_assets / sizeof *ui_assets)

/* 64 bits of fingerprint: ample to tell builds apart. */
#define UI_VERSION_LEN 16

/*
 * The page may load only from its own origin; no inline script, no inline
 * style but the elements carrying the answer's nonce (%s), no frames.
 */
static const char ui_csp[] = "default-src 'self'; style-src 'self' 'nonce-%s'; "
                             "img-src 'self' data:; object-src 'none'; "
                             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/* 128 random bits, as hex: a CSP nonce (CSP 3, section 2.3.1: base64-value). */
#define UI_NONCE_BYTES 16
static int
ui_nonce(char out[2 * UI_NONCE_BYTES + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[UI_NONCE_BYTES];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * UI_NONCE_BYTES] = '\0';
	return 0;
}

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

/*
 * index.html with every "@VERSION@" replaced by the current version and
 * every "@NONCE@" by a nonce of this answer's own.
 */
int
api_ui_page(struct api_ctx *ctx)
{
	static const char mark_version[] = "@VERSION@";
	static const char mark_nonce[] = "@NONCE@";
	char nonce[2 * UI_NONCE_BYTES + 1];
	if (ui_nonce(nonce) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "No random bytes for the page",
		              "getrandom failed");
		return -1;
	}
	const char *version = ui_version();
	const char *p = iotconfig_web_index_html_start;
	const char *end = iotconfig_web_index_html_end;
	struct http_response *res = ctx->res;
	res->body->len = 0;
	while (p < end) {
		const char *hit = memchr(p, '@', (size_t)(end - p));
		const char *value = NULL;
		size_t skip = 1;
		if (hit != NULL && (size_t)(end - hit) >= sizeof mark_version - 1 &&
		    memcmp(hit, mark_version, sizeof mark_version - 1) == 0) {
			value = version;
			skip = sizeof mark_version - 1;
		} else if (hit != NULL && (size_t)(end - hit) >= sizeof mark_nonce - 1 &&
		           memcmp(hit, mark_nonce, sizeof mark_nonce - 1) == 0) {
			value = nonce;
			skip = sizeof mark_nonce - 1;
		}
		/* Up to the mark, or up to and including an '@' that is no mark. */
		size_t n = (size_t)((hit ? hit + (value ? 0 : 1) : end) - p);
		if (buf_append(res->body, p, n) != 0)
			return out_of_memory(ctx);
		if (hit == NULL)
			break;
		if (value != NULL && buf_puts(res->body, value) != 0)
			return out_of_memory(ctx);
		p = hit + (value ? skip : 1);
	}
	res->status = 200;
	res->content_type = "text/html; charset=utf-8";
	http_header(res, "Cache-Control", "no-cache");
	http_header(res, "Content-Security-Policy", ui_csp, nonce);
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
