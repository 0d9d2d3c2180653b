/*
 * catalog.c: the list cache.
 *
 * Entries live in one array sorted by the MAC's 48-bit value, one per
 * config file, with a second array of the indexes of the valid ones: the
 * list is those, in order. Changes are merged into the array in MAC order,
 * so it is never sorted as a whole and needs no hash index.
 * Of each entry's JSON only what varies is kept, rendered once when the
 * file is read: the device_name and device_entity_id values, enable_ota,
 * and the fields after it (saved_at and the schema's verdict, which hold
 * as long as the file and the schemas do); the rest of the object is
 * written around them while the list is sent, which is then copying
 * only. Those values live in one arena buffer (offset + lengths), which
 * avoids a heap block per device and is compacted when more than half of
 * it is stale. Memory per device is 76 bytes (entry and index) plus those
 * values; a refresh that changes anything briefly holds the old array
 * next to the new one.
 *
 * Each entry also keeps the fingerprint of the bytes it read (the ETag),
 * for whatever asks which version is current (the fleet view), so that
 * question never reads or hashes a config.
 *
 * A refresh first learns which files to look at, then looks at each once:
 *   - dirwatch names the changed files: each is stat'ed and read again
 *     (even when its identity looks unchanged, since an in-place edit of
 *     the same size within one timestamp tick keeps the identity), or
 *     dropped when it is gone; other entries stay as they are. A file that
 *     changes while it is looked at has an event queued meanwhile, so the
 *     next refresh looks at it again.
 *   - dirwatch cannot tell: every file is stat'ed (a directory walk), files
 *     whose identity changed are read, entries of files not found dropped.
 * Either way the looks are collected, sorted by MAC and merged with the
 * array into a new one, and the indexes of the valid entries and the
 * totals are counted again from it; an unchanged watched directory costs
 * one inotify read and no merge.
 *
 * A file's identity is recorded only once it was read: a file that could
 * not be read or rendered for a reason that may pass (an I/O error,
 * EMFILE, ENOMEM, the arena's growth) is marked to be read again at every
 * refresh, watched or walked, until it works, so a config does not drop
 * out of the list until its next change. A file that was read but is not
 * a JSON object keeps its identity: only a change can make it valid.
 *
 * A look that cannot tell whether a file is there (a stat failing with
 * anything but ENOENT) is a doubt, never "gone": the entry is kept as it
 * was (or made, not yet valid, for a file not seen before) and marked to
 * be looked at again at every refresh until a look can tell; the event
 * that named the file is used up, so nothing else would look again.
 *
 * Process-owned state: the cache itself (catalog_cache).
 */
#include "catalog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "dirwatch.h"
#include "jsonbody.h"
#include "log.h"
#include "mac.h"
#include "summary.h"

/* One config file: its identity as last read, and its list values if valid. */
struct entry {
	uint64_t mac;
	uint64_t ino;
	int64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	uint32_t off;      /* into the arena; valid entries only: */
	uint32_t name_len; /* the device_name value, */
	uint32_t id_len;   /* then the device_entity_id value, */
	uint8_t tail_len;  /* then summary_append_tail's text */
	uint8_t ota;       /* enum summary_ota */
	bool valid;
	bool retry;                       /* the last read failed in a way that may pass */
	uint8_t etag[DIGEST_HEX_LEN / 2]; /* fingerprint of the bytes read; not when retry */
};

/* One file looked at during a refresh. */
struct look {
	uint64_t mac;
	enum store_presence seen; /* STORE_PRESENT: info is its identity */
	int err;                  /* STORE_UNKNOWN: why the look failed */
	struct store_file_info info;
};

static struct {
	struct entry *v; /* every config file seen, by MAC */
	size_t n;
	uint32_t *listed; /* indexes into v of the valid entries */
	size_t nlisted;
	size_t bytes;    /* live arena bytes */
	size_t rendered; /* bytes of the valid entries as the list writes them */
	size_t retries;  /* entries with retry set */
	struct buf arena;
	bool walked; /* a full walk completed since the last clear */
	unsigned long walks;
	dev_t dir_dev;
	ino_t dir_ino;
	char schemas_version[DIGEST_HEX_LEN + 1]; /* the entries' verdicts were judged by */
	/* during a refresh */
	const struct schemas *schemas;
	int dirfd;
	struct buf *scratch;
	struct look *looks;
	size_t nlooks, looks_cap;
} catalog_cache;

static void (*look_hook)(const char *name);

void
catalog_set_look_hook(void (*hook)(const char *name))
{
	look_hook = hook;
}

void
catalog_clear(void)
{
	free(catalog_cache.v);
	free(catalog_cache.listed);
	free(catalog_cache.looks);
	buf_free(&catalog_cache.arena);
	memset(&catalog_cache, 0, sizeof catalog_cache);
}

static void
config_name(uint64_t mac, char name[MAC_CANONICAL_LEN + sizeof ".json"])
{
	mac_from_value(mac, name);
	memcpy(name + MAC_CANONICAL_LEN, ".json", sizeof ".json");
}

/*
 * Leaves e without an identity and marked for another read at the next
 * refresh. Warns once per failing spell, not at every refresh.
 */
static void
retry_later(struct entry *e, bool was_retry, const char *name, const char *why)
{
	e->ino = 0;
	e->size = -1;
	e->mtime_ns = 0;
	e->ctime_ns = 0;
	e->retry = true;
	log_msg(was_retry ? LOG_DEBUG : LOG_WARN,
	        "list skips file=%s reason=\"%s\" (read again at the next list)", name, why);
}

/*
 * The list fields after enable_ota: the file's time and the config's
 * verdict against the schemas of this refresh.
 */
static int
append_tail(struct buf *arena, int64_t saved_ns, json_object *config)
{
	if (catalog_cache.schemas == NULL)
		return summary_append_tail(arena, saved_ns, NULL, 0);
	struct jsonschema_errors e;
	jsonschema_errors_init(&e);
	const char *name = NULL;
	int rc = schemas_check_config(catalog_cache.schemas, config, &name, &e);
	size_t total = e.total;
	jsonschema_errors_clear(&e);
	return rc < 0 ? -1 : summary_append_tail(arena, saved_ns, name, total);
}

/* Reads and renders one file into entry e (identity from the read itself). */
static void
load_entry(struct entry *e, const char *name)
{
	char mac[MAC_CANONICAL_LEN + 1];
	memcpy(mac, name, MAC_CANONICAL_LEN);
	mac[MAC_CANONICAL_LEN] = '\0';
	bool was_retry = e->retry;
	e->valid = false;
	e->retry = false;

	struct store_result r;
	struct store_file_info info;
	struct buf *text = catalog_cache.scratch;
	if (store_read(catalog_cache.dirfd, mac, text, &info, &r) != 0) {
		char why[160];
		snprintf(why, sizeof why, "%s: %s", r.op ? r.op : "read",
		         r.sys_errno ? strerror(r.sys_errno) : store_status_text(r.status));
		retry_later(e, was_retry, name, why);
		return;
	}
	e->ino = info.ino;
	e->size = info.size;
	e->mtime_ns = info.mtime_ns;
	e->ctime_ns = info.ctime_ns;
	uint8_t md[DIGEST_SIZE];
	digest_sha256(text->data ? text->data : "", text->len, md);
	memcpy(e->etag, md, sizeof e->etag);
	json_object *obj = NULL;
	struct jsonbody_error je;
	if (jsonbody_parse_object(text->data, text->len, &obj, &je) != 0) {
		if (je.status == JSONBODY_NOMEM)
			retry_later(e, was_retry, name, "out of memory");
		else
			log_msg(LOG_WARN,
			        "list skips file=%s reason=\"not a valid JSON object: %s\"", name,
			        je.message);
		return;
	}
	struct buf *arena = &catalog_cache.arena;
	size_t off = arena->len, name_len = 0;
	enum summary_ota ota = SUMMARY_OTA_NULL;
	int rc = summary_append_values(arena, obj, &name_len, &ota);
	size_t tail_at = arena->len;
	if (rc == 0)
		rc = append_tail(arena, info.mtime_ns, obj);
	/* The tail is under 130 bytes: the schema name is short (schemas.h). */
	if (rc == 0 && (arena->len > UINT32_MAX || arena->len - tail_at > UINT8_MAX))
		rc = -1;
	json_object_put(obj);
	if (rc != 0) {
		arena->len = off;
		retry_later(e, was_retry, name, "out of memory");
		return;
	}
	e->off = (uint32_t)off;
	e->name_len = (uint32_t)name_len;
	e->id_len = (uint32_t)(tail_at - off - name_len);
	e->tail_len = (uint8_t)(arena->len - tail_at);
	e->ota = (uint8_t)ota;
	e->valid = true;
}

static int
add_look(uint64_t mac, enum store_presence seen, const struct store_file_info *info)
{
	if (catalog_cache.nlooks == catalog_cache.looks_cap) {
		size_t cap = catalog_cache.looks_cap ? catalog_cache.looks_cap * 2 : 64;
		struct look *l = realloc(catalog_cache.looks, cap * sizeof *l);
		if (l == NULL)
			return -1;
		catalog_cache.looks = l;
		catalog_cache.looks_cap = cap;
	}
	struct look *l = &catalog_cache.looks[catalog_cache.nlooks++];
	l->mac = mac;
	l->seen = seen;
	l->err = seen == STORE_UNKNOWN ? errno : 0;
	if (seen == STORE_PRESENT)
		l->info = *info;
	return 0;
}

/* store_list callback of a full walk (info NULL: the file could not be looked at). */
static int
visit(const char *name, const struct store_file_info *info, void *arg)
{
	(void)arg;
	return add_look(mac_value(name), info != NULL ? STORE_PRESENT : STORE_UNKNOWN, info);
}

static int
by_mac(const void *a, const void *b)
{
	uint64_t x = ((const struct look *)a)->mac, y = ((const struct look *)b)->mac;
	return (x > y) - (x < y);
}

static void
sort_looks(void)
{
	if (catalog_cache.nlooks > 1) /* looks is NULL while empty; qsort(NULL, 0) is undefined */
		qsort(catalog_cache.looks, catalog_cache.nlooks, sizeof *catalog_cache.looks,
		      by_mac);
}

/* Stats each file dirwatch reported, and each whose last read failed. */
static int
look_at_changes(const struct dirwatch_changes *changes)
{
	for (size_t i = 0; i < changes->n; i++)
		if (add_look(changes->mac[i], STORE_UNKNOWN, NULL) != 0)
			return -1;
	if (catalog_cache.retries > 0) {
		for (size_t i = 0; i < catalog_cache.n; i++)
			if (catalog_cache.v[i].retry &&
			    add_look(catalog_cache.v[i].mac, STORE_UNKNOWN, NULL) != 0)
				return -1;
		sort_looks();
	}
	size_t k = 0;
	for (size_t i = 0; i < catalog_cache.nlooks; i++) {
		struct look *l = &catalog_cache.looks[i];
		if (k > 0 && catalog_cache.looks[k - 1].mac == l->mac)
			continue; /* changed and due for a retry */
		char name[MAC_CANONICAL_LEN + sizeof ".json"];
		config_name(l->mac, name);
		struct look *to = &catalog_cache.looks[k++];
		to->mac = l->mac;
		to->seen = store_stat_config(catalog_cache.dirfd, name, &to->info);
		to->err = to->seen == STORE_UNKNOWN ? errno : 0;
	}
	catalog_cache.nlooks = k;
	return 0;
}

/* Arena bytes of a valid entry. */
static size_t
entry_bytes(const struct entry *e)
{
	return (size_t)e->name_len + e->id_len + e->tail_len;
}

static bool
same_identity(const struct entry *e, const struct store_file_info *info)
{
	return e->ino == info->ino && e->size == info->size && e->mtime_ns == info->mtime_ns &&
	       e->ctime_ns == info->ctime_ns;
}

/*
 * Leaves e (a copy of the entry as it was, or a new one) as it is, marked
 * to be looked at again: a look could not tell whether its file is there.
 */
static void
look_again(struct entry *e, bool known, const char *name, int err)
{
	log_msg(known && e->retry ? LOG_DEBUG : LOG_WARN,
	        "list cannot look at file=%s errno=\"%s\" (looked at again at the next list)", name,
	        strerror(err));
	e->retry = true;
	if (!known) {
		e->ino = 0;
		e->size = -1;
		e->valid = false;
	}
}

/*
 * Merges the looks (sorted by MAC) into the entries. A file looked at and
 * present is read when force is set, when its last read failed, or when
 * its identity changed; one looked at and absent is dropped; one whose
 * look failed is kept as it was, to be looked at again. An entry not
 * looked at is kept, or dropped when the looks cover the whole directory.
 */
static int
merge(bool whole_directory, bool force)
{
	const struct entry *v = catalog_cache.v;
	const struct look *looks = catalog_cache.looks;
	size_t n = catalog_cache.n, nlooks = catalog_cache.nlooks;
	struct entry *w = malloc((n + nlooks + 1) * sizeof *w);
	if (w == NULL)
		return -1;
	size_t i = 0, j = 0, k = 0;
	while (i < n || j < nlooks) {
		if (j == nlooks || (i < n && v[i].mac < looks[j].mac)) {
			if (!whole_directory)
				w[k++] = v[i];
			i++;
			continue;
		}
		const struct look *l = &looks[j++];
		const struct entry *old = NULL;
		if (i < n && v[i].mac == l->mac)
			old = &v[i++];
		char name[MAC_CANONICAL_LEN + sizeof ".json"];
		config_name(l->mac, name);
		if (l->seen != STORE_ABSENT) {
			struct entry *e = &w[k++];
			if (old != NULL) {
				*e = *old;
			} else {
				memset(e, 0, sizeof *e);
				e->mac = l->mac;
			}
			if (l->seen == STORE_UNKNOWN)
				look_again(e, old != NULL, name, l->err);
			else if (old == NULL || force || old->retry ||
			         !same_identity(old, &l->info))
				load_entry(e, name);
		}
		if (look_hook != NULL)
			look_hook(name);
	}
	uint32_t *listed = realloc(catalog_cache.listed, (k + 1) * sizeof *listed);
	if (listed == NULL) {
		free(w);
		return -1;
	}
	free(catalog_cache.v);
	catalog_cache.v = w;
	catalog_cache.n = k;
	catalog_cache.listed = listed;
	catalog_cache.nlisted = 0;
	catalog_cache.bytes = 0;
	catalog_cache.rendered = 0;
	catalog_cache.retries = 0;
	for (size_t x = 0; x < k; x++) {
		const struct entry *e = &w[x];
		catalog_cache.retries += e->retry;
		if (!e->valid)
			continue;
		listed[catalog_cache.nlisted++] = (uint32_t)x;
		catalog_cache.bytes += entry_bytes(e);
		catalog_cache.rendered +=
		        summary_entry_len(e->name_len, e->id_len, e->tail_len, e->ota);
	}
	return 0;
}

/* Rewrites the arena with live entries only, once it is mostly stale. */
static int
compact_arena(void)
{
	struct buf *arena = &catalog_cache.arena;
	if (arena->len < 65536 || arena->len < 2 * catalog_cache.bytes)
		return 0;
	struct buf fresh;
	buf_init(&fresh);
	if (buf_reserve(&fresh, catalog_cache.bytes + 1) != 0)
		return -1;
	for (size_t i = 0; i < catalog_cache.nlisted; i++) {
		struct entry *e = &catalog_cache.v[catalog_cache.listed[i]];
		size_t off = fresh.len;
		if (buf_append(&fresh, arena->data + e->off, entry_bytes(e)) != 0) {
			buf_free(&fresh);
			return -1;
		}
		e->off = (uint32_t)off;
	}
	buf_free(arena);
	*arena = fresh;
	return 0;
}

int
catalog_refresh(int dirfd, const struct schemas *schemas, struct buf *scratch,
                struct store_result *r)
{
	struct stat st;
	bool have_st = fstat(dirfd, &st) == 0;
	const char *version = schemas ? schemas->version : "";
	/* Another directory, or other schemas: every entry is read again. */
	if ((have_st &&
	     (st.st_dev != catalog_cache.dir_dev || st.st_ino != catalog_cache.dir_ino)) ||
	    strcmp(version, catalog_cache.schemas_version) != 0) {
		catalog_clear();
		if (have_st) {
			catalog_cache.dir_dev = st.st_dev;
			catalog_cache.dir_ino = st.st_ino;
		}
		snprintf(catalog_cache.schemas_version, sizeof catalog_cache.schemas_version, "%s",
		         version);
	}
	r->status = STORE_OK;
	r->sys_errno = 0;
	r->op = NULL;
	static struct dirwatch_changes changes;
	bool named = dirwatch_poll(dirfd, have_st ? &st : NULL, &changes) == DIRWATCH_NAMES;
	if (named && catalog_cache.walked && changes.n == 0 && catalog_cache.retries == 0)
		return 0; /* nothing changed */
	catalog_cache.schemas = schemas;
	catalog_cache.dirfd = dirfd;
	catalog_cache.scratch = scratch;
	catalog_cache.nlooks = 0;
	int rc;
	if (named && catalog_cache.walked) {
		rc = look_at_changes(&changes);
		if (rc == 0)
			rc = merge(false, true);
	} else {
		catalog_cache.walks++;
		rc = store_list(dirfd, visit, NULL, r);
		if (rc == 0) {
			sort_looks();
			rc = merge(true, false);
		}
		catalog_cache.walked = rc == 0;
	}
	if (rc == 0)
		rc = compact_arena();
	catalog_cache.scratch = NULL;
	catalog_cache.schemas = NULL;
	free(catalog_cache.looks);
	catalog_cache.looks = NULL;
	catalog_cache.nlooks = catalog_cache.looks_cap = 0;
	if (rc != 0) {
		/* Keep nothing half-done: the next refresh starts afresh. */
		catalog_clear();
		if (r->status == STORE_OK) {
			r->status = STORE_IO;
			r->sys_errno = ENOMEM;
			r->op = "list cache";
		}
	}
	return rc;
}

size_t
catalog_count(void)
{
	return catalog_cache.nlisted;
}

int
catalog_append_entry(size_t i, struct buf *out)
{
	const struct entry *e = &catalog_cache.v[catalog_cache.listed[i]];
	char mac[MAC_CANONICAL_LEN + 1];
	mac_from_value(e->mac, mac);
	return summary_append_entry(out, mac, catalog_cache.arena.data + e->off, e->name_len,
	                            e->id_len, e->tail_len, e->ota);
}

unsigned long
catalog_walks(void)
{
	return catalog_cache.walks;
}

size_t
catalog_bytes(void)
{
	return catalog_cache.rendered;
}

void
catalog_mac(size_t i, char out[MAC_CANONICAL_LEN + 1])
{
	mac_from_value(catalog_cache.v[catalog_cache.listed[i]].mac, out);
}

int
catalog_etag(uint64_t mac, char hex[DIGEST_HEX_LEN + 1])
{
	size_t lo = 0, hi = catalog_cache.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (catalog_cache.v[mid].mac < mac)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == catalog_cache.n || catalog_cache.v[lo].mac != mac)
		return 0;
	const struct entry *e = &catalog_cache.v[lo];
	if (e->retry)
		return -1;
	uint8_t md[DIGEST_SIZE] = {0};
	memcpy(md, e->etag, sizeof e->etag);
	digest_hex(md, hex);
	return 1;
}
