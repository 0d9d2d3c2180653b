/*
 * firmware.c: the files of firmware.h. Every name is built from a model
 * name and a version that passed their grammars, or from a SHA-256 in
 * hex, and resolved relative to a directory descriptor with O_NOFOLLOW,
 * so nothing outside .firmware is ever read, created or removed.
 *
 * The records (.meta, .target) are JSON read with json-c and checked
 * field by field: a file edited by hand that does not hold is skipped (a
 * .meta, logged) or read as no target, never half used.
 */
#include "firmware.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "log.h"
#include "schemas.h"

#define RECORD_MAX   (64 * 1024) /* bytes of a .meta or .target */
#define META_SUFFIX  ".meta"
#define TARGET_NAME  ".target"
#define IMAGE_SUFFIX ".bin"

_Static_assert(FIRMWARE_MODEL_MAX == SCHEMA_NAME_MAX, "a model is named like its schema");

bool
firmware_model_valid(const char *model)
{
	return schemas_name_valid(model);
}

bool
firmware_version_valid(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > FIRMWARE_VERSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		bool alnum =
		        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-' && c != '+')))
			return false;
	}
	return true;
}

const char *
firmware_target_for(const struct firmware_target *t, const char *mac)
{
	if (t->canary_version[0] != '\0')
		for (size_t i = 0; i < t->canary_count; i++)
			if (strcmp(t->canary[i], mac) == 0)
				return t->canary_version;
	return t->version;
}

bool
firmware_config_model(const char *bytes, size_t len, char model[FIRMWARE_MODEL_MAX + 1])
{
	model[0] = '\0';
	/* Most configs name no model: no parse for them. */
	if (len == 0 || memmem(bytes, len, "deviceModel", 11) == NULL)
		return false;
	json_tokener *tok = json_tokener_new();
	if (tok == NULL)
		return false;
	json_object *o = json_tokener_parse_ex(tok, bytes, (int)(len > 0x7fffffff ? 0 : len));
	bool ok = json_tokener_get_error(tok) == json_tokener_success &&
	          json_object_is_type(o, json_type_object);
	json_tokener_free(tok);
	json_object *m = NULL;
	if (ok && json_object_object_get_ex(o, "deviceModel", &m) &&
	    json_object_is_type(m, json_type_string)) {
		const char *s = json_object_get_string(m);
		if (strlen(s) <= FIRMWARE_MODEL_MAX && firmware_model_valid(s))
			memcpy(model, s, strlen(s) + 1);
	}
	json_object_put(o);
	return model[0] != '\0';
}

void
firmware_meta_from_image(const struct espimage_info *info, const uint8_t *data, size_t len,
                         int64_t now, const char *user, struct firmware_meta *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->version, sizeof out->version, "%s", info->version);
	snprintf(out->project_name, sizeof out->project_name, "%s", info->project_name);
	snprintf(out->idf_version, sizeof out->idf_version, "%s", info->idf_version);
	snprintf(out->build_date, sizeof out->build_date, "%s", info->build_date);
	snprintf(out->build_time, sizeof out->build_time, "%s", info->build_time);
	out->chip_id = info->chip_id;
	snprintf(out->chip, sizeof out->chip, "%s", info->chip);
	out->secure_version = info->secure_version;
	digest_hex_bytes(info->elf_sha256, sizeof info->elf_sha256, out->elf_sha256);
	uint8_t md[DIGEST_SIZE], md5[DIGEST_MD5_SIZE];
	digest_sha256(data, len, md);
	digest_hex_bytes(md, sizeof md, out->sha256);
	digest_md5(data, len, md5);
	digest_hex_bytes(md5, sizeof md5, out->md5);
	if (info->hash_appended)
		digest_hex_bytes(info->image_sha256, sizeof info->image_sha256, out->image_sha256);
	out->size = len;
	out->uploaded_at = now;
	/* REMOTE_USER is the web server's; kept as printable ASCII only. */
	size_t o = 0;
	for (const char *p = user ? user : ""; *p && o < FIRMWARE_USER_MAX; p++)
		out->uploaded_by[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	out->uploaded_by[o] = '\0';
}

void
firmware_image_name(const struct firmware_meta *m, char out[FIRMWARE_HEX256 + 5])
{
	snprintf(out, FIRMWARE_HEX256 + 5, "%s" IMAGE_SUFFIX, m->sha256);
}

/* --- records ------------------------------------------------------------ */

static int
fail(struct store_result *r, const char *op)
{
	int err = errno;
	return store_result_set(r, store_classify(err), err, op);
}

/* Reads a small regular file (not through a symlink) into a NUL-terminated buffer. */
static int
read_record(int fd_dir, const char *name, char **out, size_t *len, struct store_result *r)
{
	*out = NULL;
	int fd = openat(fd_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return store_result_set(r, STORE_NOT_FOUND, ENOENT, "open firmware record");
		return fail(r, "open firmware record");
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_MAX) {
		close(fd);
		return store_result_set(r, STORE_NOT_REGULAR, 0, "open firmware record");
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return store_result_set(r, STORE_IO, ENOMEM, "read firmware record");
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return store_result_set(r, store_classify(err), err,
			                        "read firmware record");
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return store_result_set(r, STORE_OK, 0, NULL);
}

static json_object *
parse_object(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	bool ok = json_tokener_get_error(tok) == json_tokener_success &&
	          json_object_is_type(o, json_type_object);
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Copies member key, a string of at most cap-1 bytes ("" for null when nullable). */
static bool
get_string(json_object *o, const char *key, char *out, size_t cap, bool nullable)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (v == NULL) {
		out[0] = '\0';
		return nullable;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	const char *s = json_object_get_string(v);
	size_t n = strlen(s);
	if (n >= cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	memcpy(out, s, n + 1);
	return true;
}

static bool
get_int(json_object *o, const char *key, int64_t min, int64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno != 0 || x < min)
		return false;
	*out = x;
	return true;
}

static bool
is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool
meta_from_json(json_object *o, struct firmware_meta *m)
{
	memset(m, 0, sizeof *m);
	int64_t chip, secure, size, at, seq;
	bool ok = get_string(o, "version", m->version, sizeof m->version, false) &&
	          get_string(o, "project_name", m->project_name, sizeof m->project_name, false) &&
	          get_string(o, "idf_version", m->idf_version, sizeof m->idf_version, false) &&
	          get_string(o, "build_date", m->build_date, sizeof m->build_date, false) &&
	          get_string(o, "build_time", m->build_time, sizeof m->build_time, false) &&
	          get_string(o, "chip", m->chip, sizeof m->chip, false) &&
	          get_string(o, "elf_sha256", m->elf_sha256, sizeof m->elf_sha256, false) &&
	          get_string(o, "sha256", m->sha256, sizeof m->sha256, false) &&
	          get_string(o, "md5", m->md5, sizeof m->md5, false) &&
	          get_string(o, "image_sha256", m->image_sha256, sizeof m->image_sha256, true) &&
	          get_string(o, "uploaded_by", m->uploaded_by, sizeof m->uploaded_by, true) &&
	          get_int(o, "chip_id", 0, &chip) && chip < ESPIMAGE_CHIP_INVALID &&
	          get_int(o, "secure_version", 0, &secure) && secure <= UINT32_MAX &&
	          get_int(o, "size", 1, &size) && get_int(o, "uploaded_at", 0, &at) &&
	          get_int(o, "seq", 1, &seq);
	if (!ok || !firmware_version_valid(m->version) || !is_hex(m->sha256, FIRMWARE_HEX256) ||
	    !is_hex(m->md5, 32) || !is_hex(m->elf_sha256, FIRMWARE_HEX256) ||
	    (m->image_sha256[0] != '\0' && !is_hex(m->image_sha256, FIRMWARE_HEX256)))
		return false;
	m->chip_id = (unsigned)chip;
	m->secure_version = (uint32_t)secure;
	m->size = (uint64_t)size;
	m->uploaded_at = at;
	m->seq = (uint64_t)seq;
	return true;
}

static json_object *
string_or_null(const char *s)
{
	return s[0] != '\0' ? json_object_new_string(s) : NULL;
}

static int
write_json(int fd_dir, const char *name, json_object *o, struct store_result *r)
{
	size_t n = 0;
	const char *text = json_object_to_json_string_length(
	        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (text == NULL)
		return store_result_set(r, STORE_IO, ENOMEM, "render firmware record");
	return store_write_file(fd_dir, name, text, n, r);
}

static int
write_meta(int mfd, const struct firmware_meta *m, struct store_result *r)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return store_result_set(r, STORE_IO, ENOMEM, "render firmware record");
	json_object_object_add(o, "version", json_object_new_string(m->version));
	json_object_object_add(o, "project_name", json_object_new_string(m->project_name));
	json_object_object_add(o, "idf_version", json_object_new_string(m->idf_version));
	json_object_object_add(o, "build_date", json_object_new_string(m->build_date));
	json_object_object_add(o, "build_time", json_object_new_string(m->build_time));
	json_object_object_add(o, "chip_id", json_object_new_int64(m->chip_id));
	json_object_object_add(o, "chip", json_object_new_string(m->chip));
	json_object_object_add(o, "secure_version", json_object_new_int64(m->secure_version));
	json_object_object_add(o, "elf_sha256", json_object_new_string(m->elf_sha256));
	json_object_object_add(o, "sha256", json_object_new_string(m->sha256));
	json_object_object_add(o, "md5", json_object_new_string(m->md5));
	json_object_object_add(o, "image_sha256", string_or_null(m->image_sha256));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)m->size));
	json_object_object_add(o, "uploaded_at", json_object_new_int64(m->uploaded_at));
	json_object_object_add(o, "uploaded_by", string_or_null(m->uploaded_by));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	char name[FIRMWARE_VERSION_MAX + sizeof META_SUFFIX];
	snprintf(name, sizeof name, "%s" META_SUFFIX, m->version);
	int rc = write_json(mfd, name, o, r);
	json_object_put(o);
	return rc;
}

int
firmware_read_meta(int mfd, const char *version, struct firmware_meta *out, struct store_result *r)
{
	char name[FIRMWARE_VERSION_MAX + sizeof META_SUFFIX];
	if (!firmware_version_valid(version))
		return store_result_set(r, STORE_NOT_FOUND, ENOENT, "open firmware record");
	snprintf(name, sizeof name, "%s" META_SUFFIX, version);
	char *text;
	size_t len;
	if (read_record(mfd, name, &text, &len, r) != 0)
		return -1;
	json_object *o = parse_object(text, len);
	free(text);
	bool ok = o != NULL && meta_from_json(o, out) && strcmp(out->version, version) == 0;
	json_object_put(o);
	if (!ok) {
		log_msg(LOG_WARN, "firmware record not readable file=%s", LOG_VALUE(name));
		return store_result_set(r, STORE_NOT_FOUND, EINVAL, "read firmware record");
	}
	return 0;
}

static int
by_mac(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool
target_from_json(json_object *o, struct firmware_target *t)
{
	memset(t, 0, sizeof *t);
	json_object *canary = NULL, *devices = NULL;
	if (!get_string(o, "version", t->version, sizeof t->version, true) ||
	    (t->version[0] != '\0' && !firmware_version_valid(t->version)) ||
	    !get_int(o, "changed_at", 0, &t->changed_at) ||
	    !get_string(o, "changed_by", t->changed_by, sizeof t->changed_by, true) ||
	    !json_object_object_get_ex(o, "canary", &canary))
		return false;
	if (canary == NULL)
		return true;
	if (!json_object_is_type(canary, json_type_object) ||
	    !get_string(canary, "version", t->canary_version, sizeof t->canary_version, false) ||
	    !firmware_version_valid(t->canary_version) ||
	    !json_object_object_get_ex(canary, "devices", &devices) ||
	    !json_object_is_type(devices, json_type_array) ||
	    json_object_array_length(devices) > FIRMWARE_CANARY_MAX)
		return false;
	for (size_t i = 0; i < json_object_array_length(devices); i++) {
		json_object *d = json_object_array_get_idx(devices, i);
		if (!json_object_is_type(d, json_type_string))
			return false;
		const char *s = json_object_get_string(d);
		if (!mac_normalise(s, strlen(s), t->canary[t->canary_count]))
			return false;
		t->canary_count++;
	}
	qsort(t->canary, t->canary_count, sizeof t->canary[0], by_mac);
	return true;
}

int
firmware_read_target(int mfd, struct firmware_target *out, struct store_result *r)
{
	memset(out, 0, sizeof *out);
	char *text;
	size_t len;
	if (read_record(mfd, TARGET_NAME, &text, &len, r) != 0) {
		if (r->status == STORE_NOT_FOUND)
			return store_result_set(r, STORE_OK, 0, NULL);
		return -1;
	}
	json_object *o = parse_object(text, len);
	free(text);
	bool ok = o != NULL && target_from_json(o, out);
	json_object_put(o);
	if (!ok) {
		log_msg(LOG_WARN, "firmware target not readable: read as none");
		memset(out, 0, sizeof *out);
	}
	return store_result_set(r, STORE_OK, 0, NULL);
}

static int
write_target(int mfd, const struct firmware_target *t, struct store_result *r)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return store_result_set(r, STORE_IO, ENOMEM, "render firmware record");
	json_object_object_add(o, "version", string_or_null(t->version));
	json_object *canary = NULL;
	if (t->canary_version[0] != '\0') {
		canary = json_object_new_object();
		json_object *devices = json_object_new_array();
		for (size_t i = 0; i < t->canary_count; i++)
			json_object_array_add(devices, json_object_new_string(t->canary[i]));
		json_object_object_add(canary, "version",
		                       json_object_new_string(t->canary_version));
		json_object_object_add(canary, "devices", devices);
	}
	json_object_object_add(o, "canary", canary);
	json_object_object_add(o, "changed_at", json_object_new_int64(t->changed_at));
	json_object_object_add(o, "changed_by", string_or_null(t->changed_by));
	int rc = write_json(mfd, TARGET_NAME, o, r);
	json_object_put(o);
	return rc;
}

/* --- directories -------------------------------------------------------- */

static int
open_sub(int parent, const char *name, bool create, int *out, struct store_result *r)
{
	*out = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*out < 0 && errno == ENOENT && create) {
		if (mkdirat(parent, name, store_dir_mode()) != 0 && errno != EEXIST)
			return fail(r, "create firmware directory");
		/* The new name survives a crash like any file we make. */
		if (store_sync_dir(parent) != 0)
			return fail(r, "fsync directory");
		*out = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (*out < 0) {
		if (errno == ENOENT)
			return store_result_set(r, STORE_NOT_FOUND, ENOENT,
			                        "open firmware directory");
		return fail(r, "open firmware directory");
	}
	return store_result_set(r, STORE_OK, 0, NULL);
}

int
firmware_open_root(int dirfd, bool create, int *fwfd, struct store_result *r)
{
	return open_sub(dirfd, FIRMWARE_DIR, create, fwfd, r);
}

int
firmware_open_model(int dirfd, const char *model, int *mfd, struct store_result *r)
{
	*mfd = -1;
	if (!firmware_model_valid(model))
		return store_result_set(r, STORE_NOT_FOUND, ENOENT, "open firmware directory");
	int fwfd;
	if (firmware_open_root(dirfd, false, &fwfd, r) != 0)
		return -1;
	int rc = open_sub(fwfd, model, false, mfd, r);
	close(fwfd);
	return rc;
}

/* A directory stream of a duplicate of fd, from the top. */
static DIR *
stream_of(int fd, struct store_result *r)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (d == NULL) {
		fail(r, "list firmware directory");
		if (dup_fd >= 0)
			close(dup_fd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

static int
newest_first(const void *a, const void *b)
{
	const struct firmware_meta *x = a, *y = b;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

int
firmware_list_versions(int mfd, struct firmware_meta **out, size_t *n, struct store_result *r)
{
	*out = NULL;
	*n = 0;
	DIR *d = stream_of(mfd, r);
	if (d == NULL)
		return -1;
	struct firmware_meta *v = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = fail(r, "list firmware directory");
			break;
		}
		size_t len = strlen(de->d_name);
		size_t slen = sizeof META_SUFFIX - 1;
		if (len <= slen || len - slen > FIRMWARE_VERSION_MAX ||
		    strcmp(de->d_name + len - slen, META_SUFFIX) != 0)
			continue;
		char version[FIRMWARE_VERSION_MAX + 1];
		memcpy(version, de->d_name, len - slen);
		version[len - slen] = '\0';
		if (!firmware_version_valid(version))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct firmware_meta *grown = realloc(v, ncap * sizeof *v);
			if (grown == NULL) {
				rc = store_result_set(r, STORE_IO, ENOMEM,
				                      "list firmware directory");
				break;
			}
			v = grown;
			cap = ncap;
		}
		struct store_result mr;
		if (firmware_read_meta(mfd, version, &v[count], &mr) == 0)
			count++;
		else if (mr.status != STORE_NOT_FOUND) {
			rc = store_result_set(r, mr.status, mr.sys_errno, mr.op);
			break;
		}
	}
	closedir(d);
	if (rc != 0) {
		free(v);
		return -1;
	}
	if (count > 1)
		qsort(v, count, sizeof *v, newest_first);
	*out = v;
	*n = count;
	return store_result_set(r, STORE_OK, 0, NULL);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
firmware_list_models(int dirfd, char (**out)[FIRMWARE_MODEL_MAX + 1], size_t *n,
                     struct store_result *r)
{
	*out = NULL;
	*n = 0;
	int fwfd;
	if (firmware_open_root(dirfd, false, &fwfd, r) != 0)
		return r->status == STORE_NOT_FOUND ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	DIR *d = stream_of(fwfd, r);
	if (d == NULL) {
		close(fwfd);
		return -1;
	}
	char(*v)[FIRMWARE_MODEL_MAX + 1] = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	for (;;) {
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		if (!firmware_model_valid(de->d_name))
			continue;
		struct stat st;
		if (fstatat(fwfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *grown = realloc(v, ncap * sizeof *v);
			if (grown == NULL) {
				rc = store_result_set(r, STORE_IO, ENOMEM, "list firmware models");
				break;
			}
			v = grown;
			cap = ncap;
		}
		memcpy(v[count++], de->d_name, strlen(de->d_name) + 1); /* fits: a valid name */
	}
	closedir(d);
	close(fwfd);
	if (rc != 0) {
		free(v);
		return -1;
	}
	if (count > 1)
		qsort(v, count, sizeof *v, by_name);
	*out = v;
	*n = count;
	return store_result_set(r, STORE_OK, 0, NULL);
}

/* --- changes, under the model's lock -------------------------------------- */

/* The model's directory (made when create) and its lock, taken. */
struct model_lock {
	int fwfd, mfd;
	struct store_lock lk;
};

static int
lock_model(int dirfd, const char *model, bool create, struct model_lock *ml, struct store_result *r)
{
	ml->fwfd = ml->mfd = -1;
	ml->lk.fd = -1;
	if (!firmware_model_valid(model))
		return store_result_set(r, STORE_NOT_FOUND, ENOENT, "open firmware directory");
	if (firmware_open_root(dirfd, create, &ml->fwfd, r) != 0)
		return -1;
	if (store_lock(ml->fwfd, model, &ml->lk, r) != 0 ||
	    open_sub(ml->fwfd, model, create, &ml->mfd, r) != 0) {
		store_unlock(&ml->lk);
		close(ml->fwfd);
		ml->fwfd = -1;
		return -1;
	}
	return 0;
}

static void
unlock_model(struct model_lock *ml)
{
	if (ml->mfd >= 0)
		close(ml->mfd);
	store_unlock(&ml->lk);
	if (ml->fwfd >= 0)
		close(ml->fwfd);
}

/* Temp files in the model's directory: their writers held the lock we hold, so are gone. */
static void
sweep_temps(int mfd)
{
	struct store_result r;
	DIR *d = stream_of(mfd, &r);
	if (d == NULL)
		return;
	unsigned removed = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		if (store_is_temp_name(de->d_name) && unlinkat(mfd, de->d_name, 0) == 0)
			removed++;
	closedir(d);
	if (removed > 0)
		log_msg(LOG_INFO, "removed abandoned firmware temp files count=%u", removed);
}

static bool
in_use(const struct firmware_target *t, const char *version)
{
	return strcmp(t->version, version) == 0 || strcmp(t->canary_version, version) == 0;
}

/* Removes a version's record, then its image (the record is what readers look for first). */
static int
drop_version(int mfd, const struct firmware_meta *m, struct store_result *r)
{
	char name[FIRMWARE_VERSION_MAX + sizeof META_SUFFIX], image[FIRMWARE_HEX256 + 5];
	snprintf(name, sizeof name, "%s" META_SUFFIX, m->version);
	firmware_image_name(m, image);
	if (unlinkat(mfd, name, 0) != 0) {
		if (errno == ENOENT)
			return store_result_set(r, STORE_NOT_FOUND, ENOENT,
			                        "remove firmware record");
		return fail(r, "remove firmware record");
	}
	if (unlinkat(mfd, image, 0) != 0 && errno != ENOENT)
		log_msg(LOG_WARN, "firmware image not removed file=%s errno=\"%s\"", image,
		        strerror(errno));
	return store_result_set(r, STORE_OK, 0, NULL);
}

static int
refuse(struct store_result *r)
{
	return store_result_set(r, STORE_PRECONDITION, 0, "firmware check");
}

/* Decides what the upload needs and may do; 0 to go on, with the versions to prune marked. */
static int
plan_upload(struct firmware_upload *u, const struct firmware_target *t, struct firmware_meta *kept,
            size_t n, bool *prune, bool *exists, struct store_result *r)
{
	*exists = false;
	uint64_t seq = 0;
	for (size_t i = 0; i < n; i++) {
		prune[i] = false;
		if (kept[i].seq > seq)
			seq = kept[i].seq;
		if (kept[i].chip_id != u->meta.chip_id) {
			u->refused = FIRMWARE_WRONG_CHIP;
			snprintf(u->other, sizeof u->other, "%s", kept[i].chip);
			return refuse(r);
		}
		if (strcmp(kept[i].version, u->meta.version) == 0) {
			if (strcmp(kept[i].sha256, u->meta.sha256) != 0) {
				u->refused = FIRMWARE_VERSION_TAKEN;
				return refuse(r);
			}
			*exists = true;
			u->meta = kept[i];
		}
	}
	if (*exists)
		return 0;
	u->meta.seq = seq + 1;
	/* kept[] is newest first: the oldest removable versions are at its end. */
	size_t excess = n + 1 > u->keep ? n + 1 - u->keep : 0;
	for (size_t i = n; i-- > 0 && excess > 0;) {
		if (in_use(t, kept[i].version))
			continue;
		prune[i] = true;
		excess--;
	}
	if (excess > 0) {
		u->refused = FIRMWARE_NO_ROOM;
		return refuse(r);
	}
	return 0;
}

int
firmware_install(int dirfd, const char *model, struct firmware_upload *u, struct store_result *r)
{
	u->created = false;
	u->refused = FIRMWARE_OK;
	u->pruned = 0;
	u->other[0] = '\0';
	struct model_lock ml;
	if (lock_model(dirfd, model, true, &ml, r) != 0)
		return -1;
	sweep_temps(ml.mfd);
	struct firmware_target *t = malloc(sizeof *t);
	struct firmware_meta *kept = NULL;
	bool *prune = NULL;
	size_t n = 0;
	int rc = -1;
	bool exists = false;
	if (t == NULL) {
		store_result_set(r, STORE_IO, ENOMEM, "install firmware");
		goto out;
	}
	if (firmware_read_target(ml.mfd, t, r) != 0 ||
	    firmware_list_versions(ml.mfd, &kept, &n, r) != 0)
		goto out;
	prune = calloc(n + 1, sizeof *prune);
	if (prune == NULL) {
		store_result_set(r, STORE_IO, ENOMEM, "install firmware");
		goto out;
	}
	if (plan_upload(u, t, kept, n, prune, &exists, r) != 0)
		goto out;
	char image[FIRMWARE_HEX256 + 5];
	firmware_image_name(&u->meta, image);
	struct stat st;
	/* A present image name holds these bytes: it was installed whole by rename. */
	bool have_image = fstatat(ml.mfd, image, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	                  S_ISREG(st.st_mode) && (uint64_t)st.st_size == u->len;
	if (!have_image && store_write_file(ml.mfd, image, u->data, u->len, r) != 0)
		goto out;
	if (exists) {
		rc = 0;
		goto out;
	}
	if (write_meta(ml.mfd, &u->meta, r) != 0)
		goto out;
	u->created = true;
	for (size_t i = 0; i < n; i++) {
		if (!prune[i])
			continue;
		struct store_result pr;
		if (drop_version(ml.mfd, &kept[i], &pr) == 0) {
			if (u->pruned < sizeof u->pruned_versions / sizeof *u->pruned_versions)
				memcpy(u->pruned_versions[u->pruned], kept[i].version,
				       sizeof u->pruned_versions[0]);
			u->pruned++;
		}
	}
	if (u->pruned > 0 && store_sync_dir(ml.mfd) != 0)
		log_msg(LOG_WARN, "firmware directory not synced after pruning model=%s", model);
	rc = store_result_set(r, STORE_OK, 0, NULL);
out:
	free(prune);
	free(kept);
	free(t);
	unlock_model(&ml);
	return rc;
}

int
firmware_remove(int dirfd, const char *model, const char *version, enum firmware_refusal *refused,
                struct store_result *r)
{
	*refused = FIRMWARE_OK;
	struct model_lock ml;
	if (lock_model(dirfd, model, false, &ml, r) != 0)
		return -1;
	struct firmware_target *t = malloc(sizeof *t);
	struct firmware_meta m;
	int rc = -1;
	if (t == NULL)
		store_result_set(r, STORE_IO, ENOMEM, "remove firmware");
	else if (firmware_read_meta(ml.mfd, version, &m, r) != 0 ||
	         firmware_read_target(ml.mfd, t, r) != 0)
		; /* r says why */
	else if (in_use(t, version)) {
		*refused = FIRMWARE_IN_USE;
		refuse(r);
	} else if (drop_version(ml.mfd, &m, r) == 0) {
		rc = store_sync_dir(ml.mfd) == 0
		             ? 0
		             : store_result_set(r, STORE_NOT_DURABLE, errno, "fsync directory");
	}
	free(t);
	unlock_model(&ml);
	return rc;
}

int
firmware_set_target(int dirfd, const char *model, const struct firmware_target *t,
                    struct firmware_target *previous, enum firmware_refusal *refused,
                    char bad[FIRMWARE_VERSION_MAX + 1], struct store_result *r)
{
	*refused = FIRMWARE_OK;
	bad[0] = '\0';
	struct model_lock ml;
	if (lock_model(dirfd, model, false, &ml, r) != 0)
		return -1;
	int rc = -1;
	const char *names[2] = {t->version, t->canary_version};
	for (int i = 0; i < 2; i++) {
		struct firmware_meta m;
		if (names[i][0] == '\0' || firmware_read_meta(ml.mfd, names[i], &m, r) == 0)
			continue;
		if (r->status == STORE_NOT_FOUND) {
			*refused = FIRMWARE_UNKNOWN_VERSION;
			snprintf(bad, FIRMWARE_VERSION_MAX + 1, "%s", names[i]);
			refuse(r);
		}
		goto out;
	}
	if (firmware_read_target(ml.mfd, previous, r) != 0)
		goto out;
	rc = write_target(ml.mfd, t, r);
out:
	unlock_model(&ml);
	return rc;
}
