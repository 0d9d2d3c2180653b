/*
 * test_router.c: proves how router.c maps raw request paths to the route
 * table, and the two http.c helpers the router and handlers lean on. Every
 * template that `iotconfig.fcgi --routes` prints is reached by a concrete
 * path; "{mac_address}.json" wins over "{mac_address}"; each segment is percent-decoded on
 * its own, so literals match after decoding and an encoded slash stays
 * inside the parameter; empty segments, extra segments, a trailing slash
 * after a parameterised route and case differences match nothing; only
 * the given length of the path is read (the query string is not part of
 * it); an encoded NUL never truncates a parameter into a valid MAC.
 * http_methods_list prints masks in a fixed order, and http_media_type_is
 * compares media types case-insensitively, ignoring parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "router.h"
#include "tap.h"

static char param[128];

static int
route_of(const char *tmpl)
{
	const char *const *t = router_templates();
	for (int i = 0; i < router_count(); i++)
		if (strcmp(t[i], tmpl) == 0)
			return i;
	return -100; /* never equal to a router_match result */
}

static int
match(const char *path)
{
	memset(param, 'X', sizeof param);
	return router_match(path, strlen(path), param, sizeof param);
}

/* The concrete path of a template: {mac_address} -> MAC, {asset} -> index.html. */
static void
concrete(const char *tmpl, char *out, size_t n)
{
	size_t o = 0;
	for (const char *p = tmpl; *p && o + 1 < n;) {
		const char *sub = NULL;
		if (strncmp(p, "{mac_address}", 13) == 0) {
			sub = "AA:BB:CC:DD:EE:FF";
			p += 13;
		} else if (strncmp(p, "{asset}", 7) == 0) {
			sub = "index.html";
			p += 7;
		}
		if (sub != NULL) {
			size_t k = strlen(sub);
			if (o + k >= n)
				break;
			memcpy(out + o, sub, k);
			o += k;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

int
main(void)
{
	const int health = route_of("/api/health");
	const int list = route_of("/api/configs");
	const int raw = route_of("/api/configs/{mac_address}.json");
	const int one = route_of("/api/configs/{mac_address}");
	const int device = route_of("/esp32/config/{mac_address}.json");
	const int metrics = route_of("/metrics");
	const int docs = route_of("/api/docs");
	const int docs_slash = route_of("/api/docs/");
	const int openapi = route_of("/api/docs/openapi.json");
	const int swagger = route_of("/api/docs/swagger/");
	const int asset = route_of("/api/docs/swagger/{asset}");
	const int history = route_of("/api/configs/{mac_address}/history");
	const int revision = route_of("/api/configs/{mac_address}/history/{revision}");
	const int restore = route_of("/api/configs/{mac_address}/history/{revision}/restore");
	const int fetch = route_of("/api/configs/{mac_address}/fetch");
	const int fetches = route_of("/api/fetches");
	const int root = route_of("/");
	const int ui = route_of("/ui");
	const int ui_page = route_of("/ui/");
	const int ui_asset = route_of("/ui/{version}/{asset}");

	/* --- the table ---------------------------------------------------- */
	TAP_CHECK(router_count() == 46, "router: the table has the 46 documented routes");
	{
		char name[128];
		const char *p = "/api/firmware/esp32-cam/versions/1.2.0-rc1+g1a2b";
		int got = router_match(p, strlen(p), name, sizeof name);
		TAP_CHECK(got == route_of("/api/firmware/{model}/versions/{version}") &&
		                  strcmp(name, "esp32-cam") == 0,
		          "router: a firmware version's route gives the model first");
		p = "/esp32/firmware/AA-BB-CC-DD-EE-FF.bin";
		got = router_match(p, strlen(p), name, sizeof name);
		TAP_CHECK(got == route_of("/esp32/firmware/{mac_address}.bin") &&
		                  strcmp(name, "AA-BB-CC-DD-EE-FF") == 0,
		          "router: a device's firmware is its MAC with .bin");
		p = "/esp32/firmware/esp32-cam/1.2.0.bin";
		got = router_match(p, strlen(p), name, sizeof name);
		TAP_CHECK(got == route_of("/esp32/firmware/{model}/{version}.bin") &&
		                  strcmp(name, "esp32-cam") == 0,
		          "router: a version's image is model/version.bin");
		p = "/esp32/firmware/esp32-cam/manifest.json";
		got = router_match(p, strlen(p), name, sizeof name);
		TAP_CHECK(got == route_of("/esp32/firmware/{model}/manifest.json"),
		          "router: a model's manifest is not taken for a version's image");
		p = "/esp32/firmware/aa-bb-cc-dd-ee-ff.json";
		got = router_match(p, strlen(p), name, sizeof name);
		TAP_CHECK(got == route_of("/esp32/firmware/{mac_address}.json"),
		          "router: a device's manifest is its MAC with .json");
	}
	{
		char name[128];
		const char *p = "/api/schemas/esp32-cam/history/0000000001-0123abcd/restore";
		int got = router_match(p, strlen(p), name, sizeof name);
		TAP_CHECK(got == route_of("/api/schemas/{name}/history/{revision}/restore") &&
		                  got >= 0 && strcmp(name, "esp32-cam") == 0,
		          "router: the schema routes give the name first");
		p = "/api/configs/AA:BB:CC:DD:EE:FF/schema";
		got = router_match(p, strlen(p), name, sizeof name);
		TAP_CHECK(got >= 0 && got == route_of("/api/configs/{mac_address}/schema"),
		          "router: a config's schema is its own route");
	}
	{
		const int changes = route_of("/api/changes");
		const int change = route_of("/api/changes/{change_id}");
		const int undo = route_of("/api/changes/{change_id}/undo");
		TAP_CHECK(changes >= 0 && change >= 0 && undo >= 0 &&
		                  route_of("/api/export") >= 0 && route_of("/api/import") >= 0,
		          "router: the fleet change, export and import routes are in the table");
		char id[128];
		int got = router_match("/api/changes/..%2Fx/undo",
		                       strlen("/api/changes/..%2Fx/undo"), id, sizeof id);
		TAP_CHECK(got == undo && strcmp(id, "../x") == 0,
		          "router: a change id is one segment, checked by its handler");
	}
	TAP_CHECK(history >= 0 && revision >= 0 && restore >= 0,
	          "router: the history routes are in the table");
	TAP_CHECK(fetch >= 0 && fetches >= 0, "router: the fetch note routes are in the table");
	{
		char mac[128];
		int got = router_match("/api/configs/AA:BB:CC:DD:EE:FF/fetch",
		                       strlen("/api/configs/AA:BB:CC:DD:EE:FF/fetch"), mac,
		                       sizeof mac);
		TAP_CHECK(got == fetch && strcmp(mac, "AA:BB:CC:DD:EE:FF") == 0,
		          "router: /api/configs/{mac_address}/fetch gives the MAC");
		got = router_match("/api/fetches", strlen("/api/fetches"), mac, sizeof mac);
		TAP_CHECK(got == fetches, "router: /api/fetches is its own route");
	}
	{
		char mac[128];
		int got = router_match("/api/configs/AA:BB:CC:DD:EE:FF/history/0000000001-0123abcd",
		                       strlen("/api/configs/AA:BB:CC:DD:EE:FF/history/"
		                              "0000000001-0123abcd"),
		                       mac, sizeof mac);
		TAP_CHECK(got == revision && strcmp(mac, "AA:BB:CC:DD:EE:FF") == 0,
		          "router: a route with two parameters gives the MAC as the first");
		got = router_match(
		        "/api/configs/aa-bb-cc-dd-ee-ff/history/..%2F..%2Fx/restore",
		        strlen("/api/configs/aa-bb-cc-dd-ee-ff/history/..%2F..%2Fx/restore"), mac,
		        sizeof mac);
		TAP_CHECK(got == restore,
		          "router: an encoded slash stays inside the revision segment");
	}
	TAP_CHECK(health >= 0 && list >= 0 && raw >= 0 && one >= 0 && device >= 0 && metrics >= 0 &&
	                  docs >= 0 && docs_slash >= 0 && openapi >= 0 && swagger >= 0 &&
	                  asset >= 0,
	          "router: every documented template is in the table, the MAC routes with the "
	          "old service's parameter name {mac_address}");
	TAP_CHECK(raw < one, "router: \"{mac_address}.json\" is tried before \"{mac_address}\"");
	{
		int all = 1;
		const char *const *t = router_templates();
		for (int i = 0; i < router_count(); i++) {
			char path[256];
			concrete(t[i], path, sizeof path);
			int got = match(path);
			if (got != i) {
				printf("#   %s -> %d, want %d (%s)\n", path, got, i, t[i]);
				all = 0;
			}
		}
		TAP_CHECK(all, "router: every template is reached by a concrete path");
	}
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (f != NULL) {
			router_print(f);
			fclose(f);
		}
		json_object *o = text ? json_tokener_parse(text) : NULL;
		bool ok = o != NULL && json_object_is_type(o, json_type_array) &&
		          (int)json_object_array_length(o) == router_count();
		for (int i = 0; ok && i < router_count(); i++) {
			json_object *r = json_object_array_get_idx(o, (size_t)i), *p, *m;
			ok = json_object_object_get_ex(r, "path", &p) &&
			     strcmp(json_object_get_string(p), router_templates()[i]) == 0 &&
			     json_object_object_get_ex(r, "methods", &m) &&
			     json_object_array_length(m) >= 2;
		}
		TAP_CHECK(ok, "router: router_print lists every template, in table order, as JSON");
		static const char one_line[] =
		        "{\"path\": \"/api/configs/{mac_address}\", \"methods\": "
		        "[\"GET\", \"HEAD\", \"PUT\", \"DELETE\", "
		        "\"PATCH\", \"OPTIONS\"], \"access\": {\"GET\": \"admin\", \"HEAD\": "
		        "\"admin\", "
		        "\"PUT\": \"admin\", \"DELETE\": \"admin\", \"PATCH\": \"admin\"}}";
		static const char list_line[] = "{\"path\": \"/api/configs\", \"methods\": "
		                                "[\"GET\", \"HEAD\", \"OPTIONS\"], \"access\": "
		                                "{\"GET\": \"admin\", \"HEAD\": \"admin\"}}";
		TAP_CHECK(text != NULL && strstr(text, one_line) != NULL &&
		                  strstr(text, list_line) != NULL,
		          "router: router_print adds HEAD to GET and OPTIONS to every route, and "
		          "names who may call each");
		/* The device routes are exactly the raw GET/HEAD of a config, old and new paths. */
		static const char raw_line[] =
		        "{\"path\": \"/api/configs/{mac_address}.json\", \"methods\": "
		        "[\"GET\", \"HEAD\", \"PUT\", \"DELETE\", \"OPTIONS\"], \"access\": "
		        "{\"GET\": \"device\", \"HEAD\": \"device\", \"PUT\": \"admin\", "
		        "\"DELETE\": \"admin\"}}";
		static const char old_line[] =
		        "{\"path\": \"/esp32/config/{mac_address}.json\", \"methods\": "
		        "[\"GET\", \"HEAD\", \"OPTIONS\"], \"access\": {\"GET\": \"device\", "
		        "\"HEAD\": \"device\"}}";
		int devices = 0;
		for (const char *p = text; p != NULL && (p = strstr(p, "\"device\"")) != NULL; p++)
			devices++;
		/* And what update clients fetch: the four firmware routes' GET and HEAD. */
		static const char fw_model_line[] =
		        "{\"path\": \"/esp32/firmware/{model}/{version}.bin\", \"methods\": "
		        "[\"GET\", \"HEAD\", \"OPTIONS\"], \"access\": {\"GET\": \"device\", "
		        "\"HEAD\": \"device\"}}";
		static const char fw_admin_line[] =
		        "{\"path\": \"/api/firmware/{model}/versions/{version}\", \"methods\": "
		        "[\"GET\", \"HEAD\", \"PUT\", \"DELETE\", \"OPTIONS\"], \"access\": "
		        "{\"GET\": \"admin\", \"HEAD\": \"admin\", \"PUT\": \"admin\", "
		        "\"DELETE\": \"admin\"}}";
		TAP_CHECK(text != NULL && strstr(text, raw_line) != NULL &&
		                  strstr(text, old_line) != NULL &&
		                  strstr(text, fw_model_line) != NULL && devices == 12,
		          "router: the device routes are the raw GET and HEAD, at both paths, and "
		          "the "
		          "four firmware routes update clients fetch");
		TAP_CHECK(text != NULL && strstr(text, fw_admin_line) != NULL,
		          "router: the firmware API is admin-only");
		json_object_put(o);
		free(text);
	}

	/* --- the config routes ------------------------------------------- */
	TAP_CHECK(match("/api/configs") == list && param[0] == '\0',
	          "router: /api/configs is the list route, without a parameter");
	TAP_CHECK(match("/api/configs/AA:BB:CC:DD:EE:FF") == one &&
	                  strcmp(param, "AA:BB:CC:DD:EE:FF") == 0,
	          "router: /api/configs/AA:BB:CC:DD:EE:FF is the {mac_address} route with its "
	          "parameter");
	TAP_CHECK(match("/api/configs/aa-bb-cc-dd-ee-ff.json") == raw &&
	                  strcmp(param, "aa-bb-cc-dd-ee-ff") == 0,
	          "router: /api/configs/<mac>.json is the raw route, parameter without .json");
	TAP_CHECK(match("/api/configs/x.json") == raw && strcmp(param, "x") == 0,
	          "router: any name before .json is the raw route's parameter");
	TAP_CHECK(match("/api/configs/.json") == one && strcmp(param, ".json") == 0,
	          "router: a bare .json is the {mac_address} route's parameter (empty MAC never "
	          "matches)");
	TAP_CHECK(match("/api/configs/a.json.json") == raw && strcmp(param, "a.json") == 0,
	          "router: only the last .json is the suffix");
	TAP_CHECK(match("/esp32/config/aa-bb-cc-dd-ee-ff.json") == device &&
	                  strcmp(param, "aa-bb-cc-dd-ee-ff") == 0,
	          "router: the device route takes the MAC before .json");
	TAP_CHECK(match("/esp32/config/aa-bb-cc-dd-ee-ff") == -1,
	          "router: the device route needs .json");
	TAP_CHECK(match("/api/configs/..") == one && strcmp(param, "..") == 0,
	          "router: dot segments are not resolved, \"..\" is the parameter");
	TAP_CHECK(match("/api/configs/%2e%2e") == one && strcmp(param, "..") == 0,
	          "router: encoded dot segments are decoded into the parameter");

	/* --- percent-decoding --------------------------------------------- */
	TAP_CHECK(match("/api/configs/a%2fb") == one && strcmp(param, "a/b") == 0,
	          "router: %2f stays inside the segment (param a/b)");
	TAP_CHECK(match("/api/configs/a%2Fb.json") == raw && strcmp(param, "a/b") == 0,
	          "router: %2F stays inside the raw route's parameter");
	TAP_CHECK(match("/api/configs/AA%3ABB%3acc%3Add%3aee%3Aff") == one &&
	                  strcmp(param, "AA:BB:cc:dd:ee:ff") == 0,
	          "router: %3A / %3a decode to ':' in the parameter");
	TAP_CHECK(match("/api/configs/x%2ejson") == raw && strcmp(param, "x") == 0,
	          "router: the .json suffix is matched after decoding");
	TAP_CHECK(match("/api/%63onfigs") == list, "router: percent-decoded literals match");
	TAP_CHECK(match("/%61%70%69/%43onfigs") == -1,
	          "router: decoded literals are compared case-sensitively");
	TAP_CHECK(match("/api%2Fconfigs") == -1,
	          "router: an encoded slash does not separate literal segments");
	TAP_CHECK(match("/api/configs/%zz") == one && strcmp(param, "%zz") == 0,
	          "router: an invalid escape is kept as it is");
	TAP_CHECK(match("/api/configs/ab%2") == one && strcmp(param, "ab%2") == 0,
	          "router: a truncated escape is kept as it is");
	TAP_CHECK(match("/api/configs/ab%") == one && strcmp(param, "ab%") == 0,
	          "router: a lone % is kept as it is");
	TAP_CHECK(match("/api/configs/%25") == one && strcmp(param, "%") == 0,
	          "router: %25 decodes to a single %");
	{
		/* "aa:bb:cc:dd:ee:ff%00" must not become the valid MAC "aa:bb:cc:dd:ee:ff" */
		int r1 = match("/api/configs/aa%3abb%3acc%3add%3aee%3aff%00");
		char out[MAC_CANONICAL_LEN + 1];
		TAP_CHECK(r1 == one && !mac_normalise(param, strlen(param), out),
		          "router: an encoded NUL never truncates the parameter into a valid MAC");
		int r2 = match("/api/configs/aa:bb:cc:dd:ee:ff%00junk.json");
		TAP_CHECK(r2 == raw && !mac_normalise(param, strlen(param), out),
		          "router: an encoded NUL never hides junk after a MAC (raw route)");
		int r3 = match("/api/docs/swagger/index.html%00.png");
		TAP_CHECK(r3 == asset && strcmp(param, "index.html") != 0,
		          "router: an encoded NUL never truncates an asset name");
		TAP_CHECK(match("/api/configs/a%00b") == one && strcmp(param, "a%00b") == 0,
		          "router: %00 is kept undecoded in the parameter");
	}

	/* --- what matches nothing ----------------------------------------- */
	TAP_CHECK(match("/api/configs/") == -1,
	          "router: /api/configs/ matches nothing (empty {mac_address} segment)");
	TAP_CHECK(match("/api//configs") == -1, "router: an empty segment matches nothing");
	TAP_CHECK(match("//api/configs") == -1, "router: a leading empty segment matches nothing");
	TAP_CHECK(match("/api/configs/x/y") == -1, "router: an extra segment matches nothing");
	TAP_CHECK(match("/api/configs/aa-bb-cc-dd-ee-ff/extra") == -1,
	          "router: a segment after the MAC matches nothing");
	TAP_CHECK(match("/api/configs/aa-bb-cc-dd-ee-ff/") == -1,
	          "router: a trailing slash after the MAC matches nothing");
	TAP_CHECK(match("/API/configs") == -1, "router: literals are case-sensitive");
	TAP_CHECK(match("/api/config") == -1, "router: a shorter literal matches nothing");
	TAP_CHECK(match("/api/configsx") == -1, "router: a longer literal matches nothing");
	TAP_CHECK(match("/api") == -1, "router: a template prefix matches nothing");
	TAP_CHECK(match("api/configs") == -1,
	          "router: a path without a leading slash matches nothing");
	TAP_CHECK(match("/") == root, "router: / is only the page's redirect");
	TAP_CHECK(router_match("/api/configs", 0, param, sizeof param) == -1,
	          "router: an empty path matches nothing");
	TAP_CHECK(match("/api/docs/swagger/a/b") == -1,
	          "router: an asset parameter holds a single segment");
	{
		char seg[400];
		memset(seg, 'a', sizeof seg);
		memcpy(seg, "/api/configs/", 13);
		seg[sizeof seg - 1] = '\0';
		TAP_CHECK(match(seg) == route_of("/api/configs/{mac_address}") &&
		                  strlen(param) == 48 + 3 && strcmp(param + 48, "...") == 0,
		          "router: an overlong {mac_address} still routes, shortened, so the MAC "
		          "check "
		          "refuses "
		          "it");
		memcpy(seg + sizeof seg - 6, ".json", 6);
		TAP_CHECK(match(seg) == route_of("/api/configs/{mac_address}.json"),
		          "router: an overlong {mac_address}.json still routes to the raw route");
		memcpy(seg, "/api/docs/xx/", 13);
		TAP_CHECK(match(seg) == -1, "router: an overlong literal segment matches nothing");
	}
	{
		char small[8];
		TAP_CHECK(router_match("/api/configs/aa-bb-cc-dd-ee-ff", 30, small, sizeof small) ==
		                          route_of("/api/configs/{mac_address}") &&
		                  strcmp(small, "aaa...") != 0 && strlen(small) < sizeof small,
		          "router: a parameter larger than the caller's buffer is cut, never "
		          "overflows");
	}

	/* --- the docs routes ---------------------------------------------- */
	TAP_CHECK(match("/api/docs") == docs, "router: /api/docs is its own route");
	TAP_CHECK(match("/api/docs/") == docs_slash, "router: /api/docs/ is its own route");
	TAP_CHECK(match("/api/docs/openapi.json") == openapi, "router: the OpenAPI document route");
	TAP_CHECK(match("/api/docs/swagger/") == swagger && param[0] == '\0',
	          "router: /api/docs/swagger/ is the Swagger UI page, without a parameter");
	TAP_CHECK(match("/api/docs/swagger/swagger-ui.css") == asset &&
	                  strcmp(param, "swagger-ui.css") == 0,
	          "router: a Swagger UI asset is the {asset} parameter");
	TAP_CHECK(match("/api/docs/swagger") == -1, "router: /api/docs/swagger matches nothing");

	/* --- the web page ------------------------------------------------- */
	TAP_CHECK(root >= 0 && match("/") == root, "router: / is its own route");
	TAP_CHECK(match("/ui") == ui && match("/ui/") == ui_page,
	          "router: /ui and /ui/ are routes of their own");
	TAP_CHECK(match("/ui/0123abcd/app.js") == ui_asset && strcmp(param, "0123abcd") == 0,
	          "router: a page file's version is the first parameter");
	TAP_CHECK(match("/ui/v/a/app.js") == -1 && match("/ui/v") == -1 && match("/x") == -1 &&
	                  match("//") == -1,
	          "router: other paths under / and /ui match nothing");
	TAP_CHECK(match("/metrics") == metrics && match("/api/health") == health,
	          "router: /metrics and /api/health are routes");

	/* --- the path length bounds the match ------------------------------ */
	{
		static const char with_query[] = "/api/configs?mac=aa-bb-cc-dd-ee-ff";
		TAP_CHECK(router_match(with_query, strcspn(with_query, "?#"), param,
		                       sizeof param) == list,
		          "router: a query string is not part of the path");
		static const char mac_query[] = "/api/configs/aa-bb-cc-dd-ee-ff.json?x=/y";
		TAP_CHECK(router_match(mac_query, strcspn(mac_query, "?#"), param, sizeof param) ==
		                          raw &&
		                  strcmp(param, "aa-bb-cc-dd-ee-ff") == 0,
		          "router: a query string does not reach the parameter");
		TAP_CHECK(router_match("/api/configs/", 12, param, sizeof param) == list,
		          "router: bytes beyond len are not read");
		char exact[12];
		memcpy(exact, "/api/configs", 12); /* not NUL-terminated */
		TAP_CHECK(router_match(exact, sizeof exact, param, sizeof param) == list,
		          "router: the path needs no NUL terminator");
	}

	/* --- http_methods_list -------------------------------------------- */
	{
		char out[128];
		http_methods_list(HTTP_GET | HTTP_HEAD | HTTP_OPTIONS, out, sizeof out);
		TAP_STREQ(out, "GET, HEAD, OPTIONS", "http: methods list of a read-only route");
		http_methods_list(HTTP_OPTIONS | HTTP_DELETE | HTTP_PUT | HTTP_HEAD | HTTP_GET, out,
		                  sizeof out);
		TAP_STREQ(out, "GET, HEAD, PUT, DELETE, OPTIONS",
		          "http: methods are listed in a fixed order whatever the mask order");
		http_methods_list(HTTP_PATCH | HTTP_POST | HTTP_OPTIONS | HTTP_DELETE | HTTP_PUT |
		                          HTTP_HEAD | HTTP_GET,
		                  out, sizeof out);
		TAP_STREQ(out, "GET, HEAD, PUT, DELETE, POST, PATCH, OPTIONS",
		          "http: every method in its place");
		http_methods_list(HTTP_PUT, out, sizeof out);
		TAP_STREQ(out, "PUT", "http: a single method has no separator");
		http_methods_list(0, out, sizeof out);
		TAP_STREQ(out, "", "http: an empty mask is an empty list");
		http_methods_list(HTTP_OTHER, out, sizeof out);
		TAP_STREQ(out, "", "http: OTHER is never listed");
		char tiny[8];
		memset(tiny, 'X', sizeof tiny);
		http_methods_list(HTTP_GET | HTTP_HEAD | HTTP_PUT, tiny, sizeof tiny);
		TAP_CHECK(memchr(tiny, '\0', sizeof tiny) != NULL && strncmp(tiny, "GET", 3) == 0,
		          "http: a too-small buffer stays NUL-terminated");
	}

	/* --- http_media_type_is ------------------------------------------- */
	TAP_CHECK(http_media_type_is("application/json", "application/json"),
	          "http: application/json is JSON");
	TAP_CHECK(http_media_type_is("application/json; charset=utf-8", "application/json"),
	          "http: parameters are ignored");
	TAP_CHECK(http_media_type_is("application/json;charset=UTF-8", "application/json"),
	          "http: parameters without a space are ignored");
	TAP_CHECK(http_media_type_is("Application/JSON", "application/json"),
	          "http: media types compare case-insensitively");
	TAP_CHECK(http_media_type_is("  application/json  ", "application/json"),
	          "http: surrounding whitespace is ignored");
	TAP_CHECK(http_media_type_is("application/json ; charset=utf-8", "application/json"),
	          "http: whitespace before ';' is ignored");
	TAP_CHECK(!http_media_type_is("application/jsonx", "application/json"),
	          "http: application/jsonx is not JSON");
	TAP_CHECK(!http_media_type_is("application/json-patch+json", "application/json"),
	          "http: application/json-patch+json is not JSON");
	TAP_CHECK(!http_media_type_is("application/jso", "application/json"),
	          "http: a prefix is not JSON");
	TAP_CHECK(!http_media_type_is("text/plain", "application/json"),
	          "http: text/plain is not JSON");
	TAP_CHECK(!http_media_type_is("", "application/json"), "http: an empty value is not JSON");
	TAP_CHECK(!http_media_type_is(NULL, "application/json"), "http: NULL is not JSON");
	return tap_done();
}
