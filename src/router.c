/*
 * router.c: path templates are matched segment by segment against the raw
 * request path; each segment is percent-decoded on its own (RFC 3986
 * section 2.1), so an encoded slash ("%2F") stays inside its segment and a
 * parameter such as {mac_address} receives it, where the MAC grammar refuses it.
 * Literal segments compare after decoding; dot segments are not resolved,
 * so "/api/configs/.." is the {mac_address} ".." and answers 400.
 */
#include "router.h"

#include <string.h>
#include <time.h>

#include "access.h"
#include "cors.h"
#include "hex.h"
#include "log.h"
#include "origin.h"

/*
 * PARAM_MAC_REVISION: {mac_address} and then {revision}, in that order;
 * PARAM_VERSION_ASSET: {version} and then {asset}; PARAM_SCHEMA: a
 * schema's {name}, PARAM_SCHEMA_REVISION: {name} and then {revision};
 * PARAM_MODEL: a firmware {model}, PARAM_MODEL_VERSION: {model} and then
 * a firmware {version} (the handler checks the version's grammar).
 */
enum param_kind {
	PARAM_NONE,
	PARAM_MAC,
	PARAM_MAC_REVISION,
	PARAM_ASSET,
	PARAM_VERSION_ASSET,
	PARAM_SCHEMA,
	PARAM_SCHEMA_REVISION,
	PARAM_CHANGE, /* {change_id}: the handler checks it (changeset_id_valid) */
	PARAM_MODEL,
	PARAM_MODEL_VERSION,
};

struct route_method {
	enum http_method method;
	api_handler handler;
	enum metrics_op op;
	const char *verb;
	enum access_class access; /* who may call it (access.h), checked before handler */
};

struct route {
	const char *path;
	enum param_kind param;
	struct route_method methods[4];
};

#define PUBLIC ACCESS_PUBLIC
#define ADMIN  ACCESS_ADMIN
#define DEVICE ACCESS_DEVICE

/*
 * Order matters where templates overlap: "{mac_address}.json" before "{mac_address}".
 * Every method names its access class: a device route added later is
 * checked like the others by being marked DEVICE here.
 */
static const struct route routes[] = {
        {"/api/health", PARAM_NONE, {{HTTP_GET, api_health, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/api/configs",
         PARAM_NONE,
         {{HTTP_GET, api_configs_list, METRICS_OP_LIST, "list", ADMIN}}},
        {"/api/configs/{mac_address}.json",
         PARAM_MAC,
         {{HTTP_GET, api_raw_get, METRICS_OP_GET_RAW, "get", DEVICE},
          {HTTP_PUT, api_raw_put, METRICS_OP_SAVE_RAW, "save", ADMIN},
          {HTTP_DELETE, api_config_delete, METRICS_OP_DELETE, "delete", ADMIN}}},
        {"/api/configs/{mac_address}",
         PARAM_MAC,
         {{HTTP_GET, api_config_get, METRICS_OP_GET, "get", ADMIN},
          {HTTP_PUT, api_config_put, METRICS_OP_SAVE, "save", ADMIN},
          {HTTP_DELETE, api_config_delete, METRICS_OP_DELETE, "delete", ADMIN},
          {HTTP_PATCH, api_config_patch, METRICS_OP_PATCH, "patch", ADMIN}}},
        {"/api/configs/{mac_address}/file",
         PARAM_MAC,
         {{HTTP_GET, api_file_get, METRICS_OP_GET_FILE, "get", ADMIN}}},
        {"/api/configs/{mac_address}/history",
         PARAM_MAC,
         {{HTTP_GET, api_history_list, METRICS_OP_HISTORY, "list history of", ADMIN}}},
        {"/api/configs/{mac_address}/history/{revision}",
         PARAM_MAC_REVISION,
         {{HTTP_GET, api_history_get, METRICS_OP_GET_REVISION, "get revision of", ADMIN}}},
        {"/api/configs/{mac_address}/history/{revision}/restore",
         PARAM_MAC_REVISION,
         {{HTTP_POST, api_history_restore, METRICS_OP_RESTORE, "restore", ADMIN}}},
        {"/api/configs/{mac_address}/schema",
         PARAM_MAC,
         {{HTTP_GET, api_config_schema, METRICS_OP_GET_SCHEMA_OF, "get the schema of", ADMIN}}},
        {"/api/configs/{mac_address}/validate",
         PARAM_MAC,
         {{HTTP_POST, api_config_validate, METRICS_OP_VALIDATE, "validate", ADMIN}}},
        {"/api/schemas",
         PARAM_NONE,
         {{HTTP_GET, api_schemas_list, METRICS_OP_LIST_SCHEMAS, "list schemas", ADMIN}}},
        {"/api/schemas/{name}",
         PARAM_SCHEMA,
         {{HTTP_GET, api_schema_get, METRICS_OP_GET_SCHEMA, "get", ADMIN},
          {HTTP_PUT, api_schema_put, METRICS_OP_SAVE_SCHEMA, "save", ADMIN},
          {HTTP_DELETE, api_schema_delete, METRICS_OP_DELETE_SCHEMA, "delete", ADMIN}}},
        {"/api/schemas/{name}/preview",
         PARAM_SCHEMA,
         {{HTTP_POST, api_schema_dry_run, METRICS_OP_SAVE_SCHEMA, "try", ADMIN}}},
        {"/api/schemas/{name}/validate",
         PARAM_SCHEMA,
         {{HTTP_POST, api_schema_validate, METRICS_OP_VALIDATE, "validate against", ADMIN}}},
        {"/api/schemas/{name}/history",
         PARAM_SCHEMA,
         {{HTTP_GET, api_schema_history_list, METRICS_OP_HISTORY, "list history of", ADMIN}}},
        {"/api/schemas/{name}/history/{revision}",
         PARAM_SCHEMA_REVISION,
         {{HTTP_GET, api_schema_history_get, METRICS_OP_GET_REVISION, "get revision of", ADMIN}}},
        {"/api/schemas/{name}/history/{revision}/restore",
         PARAM_SCHEMA_REVISION,
         {{HTTP_POST, api_schema_history_restore, METRICS_OP_RESTORE, "restore", ADMIN}}},
        {"/api/configs/{mac_address}/fetch",
         PARAM_MAC,
         {{HTTP_GET, api_fetch_get, METRICS_OP_GET_FETCH, "get the last fetch of", ADMIN}}},
        {"/api/configs/{mac_address}/credential",
         PARAM_MAC,
         {{HTTP_GET, api_credential_get, METRICS_OP_GET_CREDENTIAL, "get the secret of", ADMIN},
          {HTTP_POST, api_credential_create, METRICS_OP_CREATE_CREDENTIAL, "make a secret for",
           ADMIN},
          {HTTP_DELETE, api_credential_revoke, METRICS_OP_REVOKE_CREDENTIAL, "revoke the secret of",
           ADMIN}}},
        {"/api/credentials",
         PARAM_NONE,
         {{HTTP_GET, api_credentials_list, METRICS_OP_LIST_CREDENTIALS, "list secrets", ADMIN}}},
        {"/api/fetches",
         PARAM_NONE,
         {{HTTP_GET, api_fetches_list, METRICS_OP_LIST_FETCHES, "list fetches", ADMIN}}},
        {"/api/changes",
         PARAM_NONE,
         {{HTTP_GET, api_changes_list, METRICS_OP_LIST_CHANGES, "list changes", ADMIN},
          {HTTP_POST, api_changes_apply, METRICS_OP_CHANGE, "change", ADMIN}}},
        {"/api/changes/{change_id}",
         PARAM_CHANGE,
         {{HTTP_GET, api_change_get, METRICS_OP_GET_CHANGE, "get change", ADMIN}}},
        {"/api/changes/{change_id}/undo",
         PARAM_CHANGE,
         {{HTTP_POST, api_change_undo, METRICS_OP_UNDO, "undo change", ADMIN}}},
        {"/api/export", PARAM_NONE, {{HTTP_GET, api_export, METRICS_OP_EXPORT, "export", ADMIN}}},
        {"/api/import", PARAM_NONE, {{HTTP_POST, api_import, METRICS_OP_IMPORT, "import", ADMIN}}},
        {"/api/configs/{mac_address}/firmware",
         PARAM_MAC,
         {{HTTP_GET, api_firmware_device_get, METRICS_OP_GET_FIRMWARE_STATE,
           "get the firmware state of", ADMIN}}},
        {"/api/firmware",
         PARAM_NONE,
         {{HTTP_GET, api_firmware_list, METRICS_OP_LIST_FIRMWARE, "list firmware", ADMIN}}},
        {"/api/firmware/{model}",
         PARAM_MODEL,
         {{HTTP_GET, api_firmware_model_get, METRICS_OP_GET_FIRMWARE, "get the firmware of",
           ADMIN}}},
        {"/api/firmware/{model}/target",
         PARAM_MODEL,
         {{HTTP_GET, api_firmware_target_get, METRICS_OP_GET_TARGET, "get the target of", ADMIN},
          {HTTP_PUT, api_firmware_target_put, METRICS_OP_SET_TARGET, "set the target of", ADMIN}}},
        {"/api/firmware/{model}/versions/{version}",
         PARAM_MODEL_VERSION,
         {{HTTP_GET, api_firmware_version_get, METRICS_OP_GET_FIRMWARE, "get firmware of", ADMIN},
          {HTTP_PUT, api_firmware_version_put, METRICS_OP_SAVE_FIRMWARE, "upload firmware of",
           ADMIN},
          {HTTP_DELETE, api_firmware_version_delete, METRICS_OP_DELETE_FIRMWARE,
           "delete firmware of", ADMIN}}},
        {"/esp32/config/{mac_address}.json",
         PARAM_MAC,
         {{HTTP_GET, api_raw_get, METRICS_OP_GET_RAW, "get", DEVICE}}},
        /*
         * Update clients' routes: device routes like the one above. The
         * model's routes name no device in the path; access.h says how a
         * device names itself there.
         */
        {"/esp32/firmware/{mac_address}.bin",
         PARAM_MAC,
         {{HTTP_GET, api_ota_device_image, METRICS_OP_DOWNLOAD_FIRMWARE, "get the firmware of",
           DEVICE}}},
        {"/esp32/firmware/{mac_address}.json",
         PARAM_MAC,
         {{HTTP_GET, api_ota_device_manifest, METRICS_OP_GET_MANIFEST,
           "get the firmware manifest of", DEVICE}}},
        {"/esp32/firmware/{model}/manifest.json",
         PARAM_MODEL,
         {{HTTP_GET, api_ota_model_manifest, METRICS_OP_GET_MANIFEST,
           "get the firmware manifest of", DEVICE}}},
        {"/esp32/firmware/{model}/{version}.bin",
         PARAM_MODEL_VERSION,
         {{HTTP_GET, api_ota_version_image, METRICS_OP_DOWNLOAD_FIRMWARE, "get firmware of",
           DEVICE}}},
        {"/metrics", PARAM_NONE, {{HTTP_GET, api_metrics, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/api/docs", PARAM_NONE, {{HTTP_GET, api_docs_redirect, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/api/docs/", PARAM_NONE, {{HTTP_GET, api_docs_redirect, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/api/docs/openapi.json",
         PARAM_NONE,
         {{HTTP_GET, api_docs_openapi, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/api/docs/swagger/",
         PARAM_NONE,
         {{HTTP_GET, api_docs_swagger, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/api/docs/swagger/{asset}",
         PARAM_ASSET,
         {{HTTP_GET, api_docs_swagger, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/", PARAM_NONE, {{HTTP_GET, api_ui_redirect, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/ui", PARAM_NONE, {{HTTP_GET, api_ui_redirect, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/ui/", PARAM_NONE, {{HTTP_GET, api_ui_page, METRICS_OP_NONE, NULL, PUBLIC}}},
        {"/ui/{version}/{asset}",
         PARAM_VERSION_ASSET,
         {{HTTP_GET, api_ui_asset, METRICS_OP_NONE, NULL, PUBLIC}}},
};

#undef PUBLIC
#undef ADMIN
#undef DEVICE

#define ROUTE_COUNT ((int)(sizeof routes / sizeof *routes))

/* What a POST to the route takes: an import takes an archive, all others JSON. */
static enum origin_body
body_of(const struct route_method *m)
{
	return m->op == METRICS_OP_IMPORT ? ORIGIN_BODY_ARCHIVE : ORIGIN_BODY_JSON;
}
_Static_assert(ROUTE_COUNT <= METRICS_MAX_ROUTES, "metrics reserve METRICS_MAX_ROUTES labels");

static const char *const *
templates_init(void)
{
	static const char *t[ROUTE_COUNT];
	for (int i = 0; i < ROUTE_COUNT; i++)
		t[i] = routes[i].path;
	return t;
}

const char *const *
router_templates(void)
{
	return templates_init();
}

int
router_count(void)
{
	return ROUTE_COUNT;
}

/* Every method a route answers: its table entries, HEAD with GET, and OPTIONS. */
static unsigned
route_mask(const struct route *r)
{
	unsigned mask = HTTP_OPTIONS;
	for (size_t i = 0; i < sizeof r->methods / sizeof *r->methods; i++) {
		if (r->methods[i].handler == NULL)
			continue;
		mask |= r->methods[i].method;
		if (r->methods[i].method == HTTP_GET)
			mask |= HTTP_HEAD;
	}
	return mask;
}

void
router_print(FILE *out)
{
	fputs("[\n", out);
	for (int i = 0; i < ROUTE_COUNT; i++) {
		char list[128];
		http_methods_list(route_mask(&routes[i]), list, sizeof list);
		fprintf(out, "  {\"path\": \"%s\", \"methods\": [\"", routes[i].path);
		for (const char *p = list; *p; p++) {
			if (p[0] == ',' && p[1] == ' ') {
				fputs("\", \"", out);
				p++;
			} else {
				fputc(*p, out);
			}
		}
		/* Who may call each method (access.h); OPTIONS is always answered. */
		fputs("\"], \"access\": {", out);
		const char *sep = "";
		for (size_t k = 0; k < sizeof routes[i].methods / sizeof *routes[i].methods; k++) {
			const struct route_method *m = &routes[i].methods[k];
			if (m->handler == NULL)
				continue;
			static const char *const names[] = {"public", "admin", "device"};
			fprintf(out, "%s\"%s\": \"%s\"", sep, http_method_name(m->method),
			        names[m->access]);
			if (m->method == HTTP_GET)
				fprintf(out, ", \"HEAD\": \"%s\"", names[m->access]);
			sep = ", ";
		}
		fprintf(out, "}}%s\n", i + 1 < ROUTE_COUNT ? "," : "");
	}
	fputs("]\n", out);
}

/*
 * Decodes one raw segment; returns its length, or -1 when it does not fit.
 * "%00" is kept as it is: parameters are C strings, and a decoded NUL
 * would cut "aa:bb:cc:dd:ee:ff%00junk" down to a valid MAC.
 */
static long
decode_segment(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n) {
			int hi = hex_value((unsigned char)s[i + 1]);
			int lo = hex_value((unsigned char)s[i + 2]);
			if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
				c = (unsigned char)(hi * 16 + lo);
				i += 2;
			}
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

/*
 * Matches one route; returns true and fills the parameters on a match:
 * the first {parameter} into first, a second one into second (both of
 * param_size bytes).
 */
static bool
match_route(const struct route *r, const char *path, size_t len, char *first, char *second,
            size_t param_size)
{
	const char *t = r->path;
	const char *p = path;
	const char *pend = path + len;
	char *param = first;
	if (param_size > 0) {
		first[0] = '\0';
		second[0] = '\0';
	}
	if (*t != '/' || p >= pend || *p != '/')
		return false;
	for (;;) {
		t++;
		p++;
		size_t tlen = strcspn(t, "/");
		const char *pseg_end = memchr(p, '/', (size_t)(pend - p));
		if (pseg_end == NULL)
			pseg_end = pend;
		size_t plen = (size_t)(pseg_end - p);
		char seg[256];
		long dlen = decode_segment(p, plen, seg, sizeof seg);
		if (t[0] == '{') {
			const char *close = memchr(t, '}', tlen);
			size_t suffix_len = close ? tlen - (size_t)(close + 1 - t) : 0;
			const char *suffix = close ? close + 1 : "";
			if (dlen < 0 || (size_t)dlen + 1 > param_size + suffix_len) {
				/* Too long for any parameter: still this route, so the
				 * handler's grammar refuses it (400), shown shortened. */
				if (plen <= suffix_len ||
				    memcmp(pseg_end - suffix_len, suffix, suffix_len) != 0 ||
				    param_size < 8)
					return false;
				long n = decode_segment(p, 48, param, param_size - 4);
				memcpy(param + (n > 0 ? n : 0), "...", 4);
			} else {
				if ((size_t)dlen <= suffix_len ||
				    memcmp(seg + dlen - suffix_len, suffix, suffix_len) != 0)
					return false;
				size_t vlen = (size_t)dlen - suffix_len;
				memcpy(param, seg, vlen);
				param[vlen] = '\0';
			}
			param = second;
		} else if (dlen < 0 || (size_t)dlen != tlen || memcmp(seg, t, tlen) != 0) {
			return false;
		}
		t += tlen;
		p = pseg_end;
		if (*t == '\0' && p == pend)
			return true;
		if (*t == '\0' || p == pend)
			return false;
	}
}

static int
match_any(const char *path, size_t len, char *first, char *second, size_t param_size)
{
	for (int i = 0; i < ROUTE_COUNT; i++)
		if (match_route(&routes[i], path, len, first, second, param_size))
			return i;
	return -1;
}

int
router_match(const char *path, size_t len, char *param, size_t param_size)
{
	char second[sizeof((struct api_ctx *)0)->param];
	if (param_size > sizeof second)
		param_size = sizeof second;
	return match_any(path, len, param, second, param_size);
}

/* Printable ASCII only, so a bad MAC can be quoted in JSON and in logs. */
static void
printable_copy(char *out, size_t cap, const char *in)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < cap; p++)
		out[o++] = (*p >= 0x20 && *p < 0x7f) ? (char)*p : '?';
	out[o] = '\0';
}

static void
not_found(struct api_ctx *ctx)
{
	api_error_set(&ctx->err, ERR_NOT_FOUND, "Not found",
	              "no route matches this path; see /api/docs/openapi.json");
	http_set_error(ctx->res, &ctx->err, ctx->req->request_id);
}

/*
 * A raw control byte, space or DEL in the path: no client sends one (RFC
 * 3986 allows them only percent-encoded), and the web server may have read
 * the path differently (a raw NUL ends a FastCGI parameter here but not
 * in the web server's access rules), so nothing is routed.
 */
static bool
path_has_raw_controls(const char *path, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)path[i] <= 0x20 || path[i] == 0x7f)
			return true;
	return false;
}

void
router_handle(struct api_ctx *ctx, struct router_outcome *out)
{
	struct http_request *req = ctx->req;
	struct http_response *res = ctx->res;
	out->route = -1;
	out->op = METRICS_OP_NONE;
	ctx->err.kind = ERR_NONE;
	ctx->mac[0] = '\0';
	ctx->model[0] = '\0';

	if (path_has_raw_controls(req->path, req->path_len))
		api_error_set(&ctx->err, ERR_BAD_REQUEST, "Invalid request path",
		              "the path holds a raw control character or space; send them "
		              "percent-encoded");
	else
		origin_check_host(ctx->settings, req, &ctx->err);
	if (ctx->err.kind != ERR_NONE) {
		http_set_error(res, &ctx->err, req->request_id);
		cors_apply(ctx->settings, req, res);
		return;
	}

	char param[sizeof ctx->param], second[sizeof ctx->param];
	int ri = match_any(req->path, req->path_len, param, second, sizeof param);
	if (ri < 0) {
		not_found(ctx);
		cors_apply(ctx->settings, req, res);
		return;
	}
	out->route = ri;
	const struct route *r = &routes[ri];
	unsigned mask = route_mask(r);
	/* Only OPTIONS and 405 answers list the methods. */
	char allow[128];

	if (req->method == HTTP_OPTIONS) {
		http_methods_list(mask, allow, sizeof allow);
		res->status = 204;
		http_header(res, "Allow", "%s", allow);
		cors_preflight(ctx->settings, req, res, mask);
		return;
	}
	enum http_method want = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	const struct route_method *m = NULL;
	for (size_t i = 0; i < sizeof r->methods / sizeof *r->methods; i++)
		if (r->methods[i].handler != NULL && r->methods[i].method == want)
			m = &r->methods[i];
	if (m == NULL) {
		http_methods_list(mask, allow, sizeof allow);
		char method[24], message[200];
		printable_copy(method, sizeof method, req->method_name);
		snprintf(message, sizeof message, "Method %s is not allowed on %s", method,
		         r->path);
		api_error_set(&ctx->err, ERR_METHOD_NOT_ALLOWED, message, "allowed: %s", allow);
		http_set_error(res, &ctx->err, req->request_id);
		http_header(res, "Allow", "%s", allow);
		cors_apply(ctx->settings, req, res);
		return;
	}
	out->op = m->op;
	ctx->verb = m->verb;
	int rc = 0;
	if (r->param == PARAM_MAC || r->param == PARAM_MAC_REVISION) {
		/* The revision is the handler's to check (history_revision_valid). */
		snprintf(ctx->param, sizeof ctx->param, "%s", second);
		if (!mac_normalise(param, strlen(param), ctx->mac)) {
			char shown[80];
			printable_copy(shown, sizeof shown, param);
			char message[200];
			snprintf(message, sizeof message,
			         "Cannot %s config because MAC address '%s' has invalid format",
			         m->verb, shown);
			api_error_set(&ctx->err, ERR_INVALID_OPERATION, message,
			              "expected six hex pairs separated by ':' or '-', e.g. "
			              "AA:BB:CC:DD:EE:FF or aa-bb-cc-dd-ee-ff");
			ctx->mac[0] = '\0';
			rc = -1;
		}
	} else if (r->param == PARAM_SCHEMA || r->param == PARAM_SCHEMA_REVISION) {
		snprintf(ctx->param, sizeof ctx->param, "%s", second);
		ctx->schema[0] = '\0';
		if (schemas_name_valid(param)) {
			memcpy(ctx->schema, param, strlen(param) + 1); /* fits: the name is valid */
		} else {
			char shown[80], message[200];
			printable_copy(shown, sizeof shown, param);
			snprintf(message, sizeof message,
			         "Cannot %s schema because its name '%s' has invalid format",
			         m->verb, shown);
			api_error_set(
			        &ctx->err, ERR_INVALID_OPERATION, message,
			        "a schema name is 1 to %d characters of a-z, 0-9, '.', '_' and "
			        "'-', starting with a letter or digit",
			        SCHEMA_NAME_MAX);
			rc = -1;
		}
	} else if (r->param == PARAM_MODEL || r->param == PARAM_MODEL_VERSION) {
		snprintf(ctx->param, sizeof ctx->param, "%s", second);
		ctx->model[0] = '\0';
		if (firmware_model_valid(param)) {
			memcpy(ctx->model, param, strlen(param) + 1); /* fits: the name is valid */
		} else {
			char shown[80], message[200];
			printable_copy(shown, sizeof shown, param);
			snprintf(message, sizeof message,
			         "Cannot %s model '%s': the name has invalid format", m->verb,
			         shown);
			api_error_set(
			        &ctx->err, ERR_INVALID_OPERATION, message,
			        "a model name is the deviceModel of its configs: 1 to %d "
			        "characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
			        "or digit",
			        FIRMWARE_MODEL_MAX);
			rc = -1;
		}
	} else if (r->param == PARAM_ASSET || r->param == PARAM_CHANGE) {
		snprintf(ctx->param, sizeof ctx->param, "%s", param);
	} else if (r->param == PARAM_VERSION_ASSET) {
		snprintf(ctx->version, sizeof ctx->version, "%s", param);
		snprintf(ctx->param, sizeof ctx->param, "%s", second);
	} else {
		ctx->param[0] = '\0';
	}
	/* Whatever the route: a change must come from a page allowed to make it. */
	if (rc == 0 && !origin_method_is_safe(req->method))
		rc = origin_check_write(ctx->settings, req, body_of(m), &ctx->err);
	if (rc == 0)
		rc = access_check(ctx, m->access);
	if (rc == 0)
		rc = m->handler(ctx);
	if (rc != 0) {
		if (ctx->err.kind == ERR_NONE)
			api_error_set(&ctx->err, ERR_INTERNAL, "Internal error",
			              "the handler failed without saying why");
		if (api_error_status(ctx->err.kind) >= 500)
			log_msg(LOG_ERROR, "request failed route=%s code=%s detail=%s", r->path,
			        api_error_code(ctx->err.kind), LOG_VALUE(ctx->err.detail));
		http_set_error(res, &ctx->err, req->request_id);
		access_error_headers(ctx);
	}
	api_error_release(&ctx->err);
	cors_apply(ctx->settings, req, res);
}
