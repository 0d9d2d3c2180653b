/*
 * fuzz_router.c: libFuzzer harness for the router (src/router.h) and the
 * whole request path behind it, without a web server.
 *
 * An input reads like an HTTP request:
 *     METHOD SP request-uri LF
 *     Name: value LF          (any number of headers)
 *     LF
 *     body
 * Headers become CGI parameters as a web server would pass them
 * (CONTENT_TYPE, CONTENT_LENGTH, HTTP_<NAME>); without a Content-Length
 * header a body gets its true length. The request then goes through
 * http_request_load, router_handle and http_send over fake_transport.c,
 * against a real config directory in a private sandbox that is reset for
 * every input: one valid config, one that is not JSON, one that is a
 * symlink to a secret outside the directory, and one that is a directory;
 * with history on (HISTORY_KEEP=3), one past version of the valid config
 * and, for the symlinked one, a history entry that is a symlink to the
 * secret. The valid config holds a password and has a device secret
 * (.credentials/), and the input's length picks DEVICE_AUTH: off,
 * per-device or required.
 *
 * Checked on every input:
 *   - router_match never reports a parameter longer than its buffer;
 *   - the response is well formed: a known status line, header lines free
 *     of CR/LF injection, a usable X-Request-ID, Content-Length equal to
 *     the body sent (none for HEAD, 204 and 304);
 *   - every error is a JSON object carrying "code" and the request id;
 *   - nothing outside the config directory is created or removed, the
 *     secret's content never appears in a response (unless the input
 *     itself spells it), and no temp file survives;
 *   - with DEVICE_AUTH on, the protected config's password appears in no
 *     response to an input that does not hold the device's secret,
 *     whatever the route, path spelling or headers.
 *
 * The service logs to stderr; run with -close_fd_mask=2 to keep the
 * fuzzer's output readable (failed properties are printed to stdout).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "credential.h"
#include "fake_transport.h"
#include "fuzz_check.h"
#include "http.h"
#include "router.h"
#include "settings.h"

#define SECRET    "fuzz-secret-4f1d2c9b"
#define GUARDED   "guarded-9e3b77"
#define PROTECTED "aa-bb-cc-dd-ee-ff"

/* Process-owned: the sandbox and the buffers reused across inputs. */
static char fuzz_root[256];
static char fuzz_configs[300];
static char fuzz_swagger[300];
static struct settings fuzz_settings;
static const char *fuzz_origins[] = {"http://allowed.example"};
static struct transport fuzz_tx;
static struct buf fuzz_body, fuzz_out, fuzz_file, fuzz_scratch;
static char fuzz_device_secret[CREDENTIAL_SECRET_LEN + 1];
static char fuzz_credential[CREDENTIAL_FILE_MAX]; /* the protected MAC's credential file */

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0, "sandbox file can be created");
	size_t n = strlen(text);
	FUZZ_CHECK(write(fd, text, n) == (ssize_t)n, "sandbox file written");
	close(fd);
}

/* Removes everything below dir (never following a symlink); 0 or -1. */
static int
empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (empty_dir(path) != 0 || rmdir(path) != 0)
				rc = -1;
		} else if (unlink(path) != 0) {
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/* Empties the config directory and puts the fixed cast of files back. */
static void
reset_configs(void)
{
	FUZZ_CHECK(empty_dir(fuzz_configs) == 0, "config directory emptied");
	write_file(fuzz_configs, PROTECTED ".json",
	           "{\n  \"deviceName\": \"fuzz\",\n  \"wifiPassword\": \"" GUARDED "\"\n}\n");
	write_file(fuzz_configs, "00-00-00-00-00-01.json", "{\"broken\":");
	char link[512], target[512];
	snprintf(link, sizeof link, "%s/00-00-00-00-00-02.json", fuzz_configs);
	snprintf(target, sizeof target, "%s/secret.json", fuzz_root);
	FUZZ_CHECK(symlink(target, link) == 0, "symlink planted");
	snprintf(link, sizeof link, "%s/00-00-00-00-00-03.json", fuzz_configs);
	FUZZ_CHECK(mkdir(link, 0755) == 0, "directory planted");
	char cred[512];
	snprintf(cred, sizeof cred, "%s/" CREDENTIAL_DIR, fuzz_configs);
	FUZZ_CHECK(mkdir(cred, 0700) == 0, "credentials planted");
	write_file(cred, PROTECTED, fuzz_credential);
	char hist[512];
	snprintf(hist, sizeof hist, "%s/.history", fuzz_configs);
	FUZZ_CHECK(mkdir(hist, 0755) == 0, "history planted");
	snprintf(hist, sizeof hist, "%s/.history/aa-bb-cc-dd-ee-ff", fuzz_configs);
	FUZZ_CHECK(mkdir(hist, 0755) == 0, "history planted");
	write_file(hist, "0000000001-0123abcd.s.1700000000.1700000100.616c696365.json",
	           "{\"deviceName\":\"before\"}");
	snprintf(hist, sizeof hist, "%s/.history/00-00-00-00-00-02", fuzz_configs);
	FUZZ_CHECK(mkdir(hist, 0755) == 0, "history planted");
	snprintf(link, sizeof link, "%s/0000000001-00000000.d.1.2.-.json", hist);
	FUZZ_CHECK(symlink(target, link) == 0, "history symlink planted");
}

static void
remove_sandbox(void)
{
	if (fuzz_root[0] != '\0' && (empty_dir(fuzz_root) != 0 || rmdir(fuzz_root) != 0))
		fprintf(stdout, "fuzz_router: could not remove %s\n", fuzz_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs when there is one: every PUT fsyncs. */
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_root, sizeof fuzz_root, "%s/iotconfig-fuzz.XXXXXX", base);
	FUZZ_CHECK(mkdtemp(fuzz_root) != NULL, "sandbox created");
	atexit(remove_sandbox);
	snprintf(fuzz_configs, sizeof fuzz_configs, "%s/configs", fuzz_root);
	snprintf(fuzz_swagger, sizeof fuzz_swagger, "%s/swagger", fuzz_root);
	FUZZ_CHECK(mkdir(fuzz_configs, 0755) == 0 && mkdir(fuzz_swagger, 0755) == 0,
	           "sandbox directories");
	write_file(fuzz_root, "secret.json", "{\"secret\":\"" SECRET "\"}\n");
	write_file(fuzz_swagger, "swagger-ui-bundle.js", "/* bundle */\n");
	write_file(fuzz_swagger, "swagger-ui.css", "/* css */\n");

	fuzz_settings.configs_dir = fuzz_configs;
	fuzz_settings.cors_origins = fuzz_origins;
	fuzz_settings.cors_count = 1;
	fuzz_settings.debug = false;
	fuzz_settings.max_body_bytes = SETTINGS_MIN_MAX_BODY;
	fuzz_settings.metrics_file = NULL;
	fuzz_settings.swagger_dir = fuzz_swagger;
	fuzz_settings.history_keep = 3;
	fuzz_settings.secret_overlap = 600;
	/* The device secret, made once; its file is put back for every input. */
	int dirfd = open(fuzz_configs, O_RDONLY | O_DIRECTORY);
	struct credential c;
	struct store_result r;
	bool rotated;
	FUZZ_CHECK(dirfd >= 0 && credential_create(dirfd, PROTECTED, 1700000000, 600,
	                                           fuzz_device_secret, &c, &rotated, &r) == 0,
	           "device secret made");
	close(dirfd);
	FUZZ_CHECK(credential_format(&c, fuzz_credential) > 0, "credential file kept");
	buf_init(&fuzz_tx.out);
	buf_init(&fuzz_body);
	buf_init(&fuzz_out);
	buf_init(&fuzz_file);
	buf_init(&fuzz_scratch);
	return 0;
}

/* "Content-Type" -> "CONTENT_TYPE", "X-Request-ID" -> "HTTP_X_REQUEST_ID". */
static void
cgi_name(const char *header, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	bool plain = (n == 12 && strncasecmp(header, "Content-Type", 12) == 0) ||
	             (n == 14 && strncasecmp(header, "Content-Length", 14) == 0);
	if (!plain)
		o = (size_t)snprintf(out, cap, "HTTP_");
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		char c = header[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '-')
			c = '_';
		out[o++] = c;
	}
	out[o] = '\0';
}

/* Splits the input (a private NUL-terminated copy) into CGI parameters and a body. */
static void
load_request(char *text, size_t size, char names[][64], char *length)
{
	char *end = text + size;
	char *line_end = memchr(text, '\n', size);
	char *p = line_end ? line_end + 1 : end;
	if (line_end)
		*line_end = '\0';
	char *space = strchr(text, ' ');
	if (space != NULL)
		*space = '\0';
	fake_transport_param(&fuzz_tx, "REQUEST_METHOD", text);
	fake_transport_param(&fuzz_tx, "REQUEST_URI", space ? space + 1 : "/");
	bool has_length = false;
	size_t nh = 0;
	while (p < end && *p != '\n') {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0';
		char *colon = strchr(p, ':');
		if (colon != NULL && nh < FAKE_MAX_PARAMS - 4) {
			cgi_name(p, (size_t)(colon - p), names[nh], 64);
			char *value = colon + 1;
			while (*value == ' ')
				value++;
			has_length |= strcmp(names[nh], "CONTENT_LENGTH") == 0;
			fake_transport_param(&fuzz_tx, names[nh], value);
			nh++;
		}
		p = next;
	}
	if (p < end)
		p++; /* the blank line */
	fuzz_tx.body = p;
	fuzz_tx.body_len = (size_t)(end - p);
	if (!has_length && fuzz_tx.body_len > 0) {
		snprintf(length, 24, "%zu", fuzz_tx.body_len);
		fake_transport_param(&fuzz_tx, "CONTENT_LENGTH", length);
	}
}

static bool
known_status(int s)
{
	static const int known[] = {200, 204, 302, 304, 400, 401, 403, 404, 405,
	                            409, 412, 413, 415, 429, 500, 503, 507};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (known[i] == s)
			return true;
	return false;
}

static bool
request_id_ok(const char *s, size_t n)
{
	if (n == 0 || n > HTTP_REQUEST_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr("._:/+=@-", c) != NULL)))
			return false;
	}
	return true;
}

/* Parses and checks what http_send wrote; see the properties above. */
static void
check_response(enum http_method method, const struct buf *out, bool may_echo_secret,
               bool may_show_guarded)
{
	const char *p = out->data;
	FUZZ_CHECK(out->len > 0 && p != NULL, "a response was written");
	const char *head_end = memmem(p, out->len, "\r\n\r\n", 4);
	FUZZ_CHECK(head_end != NULL, "headers end with an empty line");
	FUZZ_CHECK(strncmp(p, "Status: ", 8) == 0, "status line first");
	int status = atoi(p + 8);
	FUZZ_CHECK(known_status(status), "a status the service documents");
	const char *body = head_end + 4;
	size_t body_len = out->len - (size_t)(body - p);

	long content_length = -1;
	char content_type[128] = "";
	char request_id[HTTP_REQUEST_ID_MAX + 1] = "";
	const char *line = p;
	while (line < head_end + 2) {
		const char *eol = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
		FUZZ_CHECK(eol != NULL, "every header line ends with CRLF");
		size_t n = (size_t)(eol - line);
		FUZZ_CHECK(memchr(line, '\n', n) == NULL && memchr(line, '\r', n) == NULL &&
		                   memchr(line, '\0', n) == NULL,
		           "no bare CR, LF or NUL inside a header line");
		const char *colon = memchr(line, ':', n);
		FUZZ_CHECK(colon != NULL && colon > line && colon[1] == ' ', "Name: value");
		size_t vlen = n - (size_t)(colon + 2 - line);
		const char *value = colon + 2;
		if (strncmp(line, "Content-Length:", 15) == 0)
			content_length = atol(value);
		else if (strncmp(line, "Content-Type:", 13) == 0 && vlen < sizeof content_type)
			memcpy(content_type, value, vlen), content_type[vlen] = '\0';
		else if (strncmp(line, "X-Request-ID:", 13) == 0) {
			FUZZ_CHECK(request_id_ok(value, vlen), "X-Request-ID is safe to echo");
			memcpy(request_id, value, vlen);
			request_id[vlen] = '\0';
		}
		line = eol + 2;
	}
	FUZZ_CHECK(request_id[0] != '\0', "every response carries X-Request-ID");
	bool bodiless = status == 204 || status == 304;
	if (bodiless) {
		FUZZ_CHECK(content_length == -1 && body_len == 0, "204/304 carry no body");
		return;
	}
	FUZZ_CHECK(content_length >= 0, "Content-Length is present");
	if (method == HTTP_HEAD) {
		FUZZ_CHECK(body_len == 0, "HEAD gets headers only");
		return;
	}
	FUZZ_CHECK((size_t)content_length == body_len, "Content-Length matches the body");
	FUZZ_CHECK(may_echo_secret || memmem(body, body_len, SECRET, strlen(SECRET)) == NULL,
	           "a file outside the directory never shows");
	FUZZ_CHECK(may_show_guarded || memmem(body, body_len, GUARDED, strlen(GUARDED)) == NULL,
	           "a protected device's config never shows without its secret");
	if (strcmp(content_type, "application/json") != 0) {
		FUZZ_CHECK(status < 400 || status == 503, "errors are JSON (Swagger 503 is text)");
		return;
	}
	json_object *o = json_tokener_parse(body);
	FUZZ_CHECK(o != NULL, "a JSON body parses");
	if (status >= 400 && !json_object_object_get_ex(o, "status", NULL)) {
		json_object *code = NULL, *cid = NULL;
		FUZZ_CHECK(json_object_object_get_ex(o, "code", &code) &&
		                   json_object_is_type(code, json_type_string),
		           "an error has a code");
		FUZZ_CHECK(json_object_object_get_ex(o, "correlationId", &cid) &&
		                   strcmp(json_object_get_string(cid), request_id) == 0,
		           "an error carries the request id");
	}
	json_object_put(o);
}

/* Only the config directory and the fixed files may exist; no temp file may remain. */
static void
check_sandbox(void)
{
	DIR *d = opendir(fuzz_root);
	FUZZ_CHECK(d != NULL, "sandbox still there");
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		FUZZ_CHECK(strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
		                   strcmp(n, "configs") == 0 || strcmp(n, "swagger") == 0 ||
		                   strcmp(n, "secret.json") == 0,
		           "nothing is created next to the config directory");
	}
	closedir(d);
	d = opendir(fuzz_configs);
	FUZZ_CHECK(d != NULL, "config directory still there");
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		FUZZ_CHECK(n < 4 || strcmp(de->d_name + n - 4, ".tmp") != 0,
		           "no temp file survives a request");
	}
	closedir(d);
	struct stat st;
	char path[512];
	snprintf(path, sizeof path, "%s/secret.json", fuzz_root);
	FUZZ_CHECK(stat(path, &st) == 0 &&
	                   st.st_size == (off_t)strlen("{\"secret\":\"" SECRET "\"}\n"),
	           "the file outside is untouched");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_CHECK(text != NULL, "memory for the input");
	memcpy(text, data, size);
	text[size] = '\0';

	/* router_match alone, on the first line as a raw path. */
	char param[128];
	size_t first = strcspn(text, "\n");
	memset(param, 0x5a, sizeof param);
	int route = router_match(text, first, param, 16);
	if (route >= 0)
		FUZZ_CHECK(memchr(param, '\0', 16) != NULL, "the parameter fits its buffer");
	FUZZ_CHECK(param[16] == 0x5a, "nothing is written past the parameter buffer");
	FUZZ_CHECK(route < router_count(), "route index in range");

	reset_configs();
	fake_transport_reset(&fuzz_tx);
	static char names[FAKE_MAX_PARAMS][64];
	char length[24];
	load_request(text, size, names, length);

	struct http_request req;
	struct http_response res;
	http_request_load(&req, &fuzz_tx, &fuzz_body);
	http_response_init(&res, &fuzz_out);
	/* The input's length picks the mode, so mutations try each. */
	fuzz_settings.device_auth = (enum settings_device_auth)(size % 3);
	struct api_ctx ctx = {
	        .settings = &fuzz_settings,
	        .req = &req,
	        .res = &res,
	        .file = &fuzz_file,
	        .scratch = &fuzz_scratch,
	};
	struct router_outcome outcome;
	router_handle(&ctx, &outcome);
	FUZZ_CHECK(outcome.route >= -1 && outcome.route < router_count(), "outcome route in range");
	FUZZ_CHECK(http_send(&req, &res) == 0, "the response fits and is sent");
	/* An input naming the secret may see it echoed in an error message. */
	check_response(req.method, &fuzz_tx.out, memmem(data, size, SECRET, strlen(SECRET)) != NULL,
	               fuzz_settings.device_auth == DEVICE_AUTH_OFF ||
	                       memmem(data, size, fuzz_device_secret, CREDENTIAL_SECRET_LEN) !=
	                               NULL ||
	                       memmem(data, size, GUARDED, strlen(GUARDED)) != NULL);
	check_sandbox();

	buf_reset(&fuzz_body, 65536);
	buf_reset(&fuzz_out, 65536);
	buf_reset(&fuzz_file, 65536);
	buf_reset(&fuzz_scratch, 65536);
	free(text);
	return 0;
}
