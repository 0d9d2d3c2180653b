/*
 * schemas.c: reading the schema folder, the per-process cache of its
 * compiled form, and the rule for which schema applies to a config
 * (schemas.h). Writing goes through the store and the history like a
 * config (api_schemas.c), with the folder's descriptor as the directory.
 */
#include "schemas.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonbody.h"
#include "log.h"

static struct schemas *schemas_cache;

bool
schemas_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > SCHEMA_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

void
schemas_uri(const char *name, char out[sizeof SCHEMAS_URI + SCHEMA_NAME_MAX])
{
	snprintf(out, sizeof SCHEMAS_URI + SCHEMA_NAME_MAX, "%s%s", SCHEMAS_URI, name);
}

int
schemas_open_dir(int dirfd, bool create, int *sfd, struct store_result *r)
{
	*sfd = openat(dirfd, SCHEMAS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*sfd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, SCHEMAS_DIR, (mode_t)store_dir_mode()) == 0) {
			if (store_sync_dir(dirfd) != 0)
				return store_result_set(r, store_classify(errno), errno,
				                        "fsync config directory");
		} else if (errno != EEXIST) {
			return store_result_set(r, store_classify(errno), errno,
			                        "create schema directory");
		}
		*sfd = openat(dirfd, SCHEMAS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (*sfd < 0) {
		if (errno == ENOENT)
			return store_result_set(r, STORE_NOT_FOUND, ENOENT,
			                        "open schema directory");
		return store_result_set(r, store_classify(errno), errno, "open schema directory");
	}
	return store_result_set(r, STORE_OK, 0, NULL);
}

void
schemas_free(struct schemas *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		json_object_put(s->v[i].doc);
	free(s->v);
	jsonschema_set_free(s->set);
	free(s);
}

void
schemas_clear(void)
{
	schemas_free(schemas_cache);
	schemas_cache = NULL;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct schemas_entry *)a)->name,
	              ((const struct schemas_entry *)b)->name);
}

/* The names of the folder's schema files, sorted, into s->v (names only). */
static int
list_names(int sfd, struct schemas *s, struct store_result *r)
{
	int fd = dup(sfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return store_result_set(r, store_classify(err), err, "list schema directory");
	}
	size_t cap = 0;
	struct dirent *de;
	int rc = 0;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len <= 5 || len - 5 > SCHEMA_NAME_MAX || strcmp(de->d_name + len - 5, ".json"))
			continue;
		char name[SCHEMA_NAME_MAX + 1];
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		if (!schemas_name_valid(name))
			continue;
		if (s->n == SCHEMAS_MAX) {
			log_msg(LOG_WARN, "schemas beyond the first %d are ignored", SCHEMAS_MAX);
			break;
		}
		if (s->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct schemas_entry *v = realloc(s->v, cap * sizeof *v);
			if (v == NULL) {
				rc = store_result_set(r, STORE_IO, ENOMEM, "list schema directory");
				break;
			}
			s->v = v;
		}
		memset(&s->v[s->n], 0, sizeof s->v[s->n]);
		memcpy(s->v[s->n].name, name, len - 4);
		s->n++;
		errno = 0;
	}
	if (rc == 0 && de == NULL && errno != 0)
		rc = store_result_set(r, store_classify(errno), errno, "list schema directory");
	closedir(d);
	if (rc == 0 && s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, by_name);
	return rc;
}

static void
etag_of(const char *data, size_t len, char out[40])
{
	uint8_t md[DIGEST_SIZE];
	digest_sha256(data ? data : "", len, md);
	out[0] = '"';
	digest_hex(md, out + 1);
	out[1 + DIGEST_HEX_LEN] = '"';
	out[2 + DIGEST_HEX_LEN] = '\0';
}

/* Compiles every readable schema of s into a new set. */
static int
build_set(struct schemas *s)
{
	jsonschema_set_free(s->set);
	s->set = jsonschema_set_new(JSONSCHEMA_2020_12);
	if (s->set == NULL)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		char uri[sizeof SCHEMAS_URI + SCHEMA_NAME_MAX];
		schemas_uri(s->v[i].name, uri);
		if (s->v[i].doc != NULL && jsonschema_set_add(s->set, uri, s->v[i].doc) != 0)
			return -1;
	}
	return 0;
}

static void
version_of(struct schemas *s)
{
	struct buf all;
	buf_init(&all);
	int rc = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++)
		rc = buf_printf(&all, "%s\n%s\n", s->v[i].name, s->v[i].etag);
	uint8_t md[DIGEST_SIZE];
	digest_sha256(all.data ? all.data : "", rc == 0 ? all.len : 0, md);
	digest_hex(md, s->version);
	if (rc != 0)
		s->version[0] = '\0'; /* out of memory: never equal to a real version */
	buf_free(&all);
}

const struct schemas *
schemas_load(int dirfd, struct store_result *r)
{
	struct schemas *s = calloc(1, sizeof *s);
	if (s == NULL) {
		store_result_set(r, STORE_IO, ENOMEM, "read schemas");
		return NULL;
	}
	int sfd = -1;
	struct buf bytes;
	buf_init(&bytes);
	int rc = 0;
	if (schemas_open_dir(dirfd, false, &sfd, r) == 0) {
		rc = list_names(sfd, s, r);
		for (size_t i = 0; i < s->n && rc == 0; i++) {
			struct schemas_entry *e = &s->v[i];
			struct store_file_info info;
			if (store_read(sfd, e->name, &bytes, &info, r) != 0) {
				if (r->status == STORE_NOT_FOUND) {
					/* removed since the listing: leave it out */
					memmove(e, e + 1, (s->n - i - 1) * sizeof *e);
					s->n--;
					i--;
					continue;
				}
				rc = -1;
				break;
			}
			etag_of(bytes.data, bytes.len, e->etag);
			e->size = bytes.len;
			e->mtime_ns = info.mtime_ns;
			struct jsonbody_error je;
			if (jsonbody_parse_object(bytes.data, bytes.len, &e->doc, &je) != 0) {
				e->doc = NULL;
				snprintf(e->why, sizeof e->why, "%s", je.message);
			}
		}
		close(sfd);
	} else if (r->status != STORE_NOT_FOUND) {
		rc = -1;
	}
	buf_free(&bytes);
	if (rc != 0) {
		schemas_free(s);
		return NULL;
	}
	store_result_set(r, STORE_OK, 0, NULL);
	version_of(s);
	if (schemas_cache != NULL && s->version[0] &&
	    strcmp(schemas_cache->version, s->version) == 0) {
		schemas_free(s);
		return schemas_cache;
	}
	if (build_set(s) != 0) {
		/* Out of memory, or a schema has a regex and PCRE2 cannot be loaded. */
		int why = errno == ELIBACC ? ELIBACC : ENOMEM;
		schemas_free(s);
		store_result_set(r, STORE_IO, why, "compile schemas");
		return NULL;
	}
	schemas_clear();
	schemas_cache = s;
	return s;
}

const struct schemas_entry *
schemas_find(const struct schemas *s, const char *name)
{
	struct schemas_entry key;
	if (s->n == 0 || strlen(name) > SCHEMA_NAME_MAX)
		return NULL;
	snprintf(key.name, sizeof key.name, "%s", name);
	return bsearch(&key, s->v, s->n, sizeof *s->v, by_name);
}

struct schemas *
schemas_with(const struct schemas *s, const char *name, json_object *doc)
{
	struct schemas *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->v = calloc(s->n + 1, sizeof *c->v);
	if (c->v == NULL) {
		free(c);
		return NULL;
	}
	bool placed = false;
	for (size_t i = 0; i <= s->n; i++) {
		const struct schemas_entry *e = i < s->n ? &s->v[i] : NULL;
		if (!placed && doc != NULL && (e == NULL || strcmp(name, e->name) <= 0)) {
			struct schemas_entry *x = &c->v[c->n++];
			snprintf(x->name, sizeof x->name, "%s", name);
			x->doc = json_object_get(doc);
			placed = true;
		}
		if (e == NULL || strcmp(e->name, name) == 0)
			continue;
		c->v[c->n] = *e;
		json_object_get(e->doc);
		c->n++;
	}
	if (build_set(c) != 0) {
		schemas_free(c);
		return NULL;
	}
	return c;
}

const char *
schemas_applicable(const struct schemas *s, json_object *config)
{
	json_object *m;
	if (json_object_object_get_ex(config, SCHEMA_MODEL, &m) &&
	    json_object_is_type(m, json_type_string)) {
		const struct schemas_entry *e = schemas_find(s, json_object_get_string(m));
		if (e != NULL)
			return e->name;
	}
	const struct schemas_entry *d = schemas_find(s, SCHEMAS_DEFAULT);
	return d ? d->name : NULL;
}

int
schemas_check_value(const struct schemas *s, const char *name, json_object *value,
                    struct jsonschema_errors *out)
{
	const struct schemas_entry *e = schemas_find(s, name);
	if (e == NULL)
		return 2;
	if (e->doc == NULL) {
		char message[300];
		snprintf(message, sizeof message, "the schema '%s' is not a JSON object: %s", name,
		         e->why);
		return jsonschema_errors_add(out, "", "", "$ref", message) == 0 ? 1 : -1;
	}
	char uri[sizeof SCHEMAS_URI + SCHEMA_NAME_MAX];
	schemas_uri(name, uri);
	return jsonschema_validate(s->set, uri, value, out);
}

int
schemas_check_config(const struct schemas *s, json_object *config, const char **name,
                     struct jsonschema_errors *out)
{
	const char *applies = schemas_applicable(s, config);
	if (name != NULL)
		*name = applies;
	if (applies == NULL)
		return 0;
	return schemas_check_value(s, applies, config, out);
}

int
schemas_check_schema(const struct schemas *s, const char *name, struct jsonschema_errors *out)
{
	char uri[sizeof SCHEMAS_URI + SCHEMA_NAME_MAX];
	schemas_uri(name, uri);
	return jsonschema_check(s->set, uri, out);
}
