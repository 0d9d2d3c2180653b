/*
 * catalog.c: the list cache.
 *
 * Entries live in one array, found through an open-addressing index keyed
 * by the MAC's 48-bit value. Of each entry's JSON only what varies is kept
 * (the device_name and device_entity_id values, rendered once, and
 * enable_ota); the rest of the object is written around them while the
 * list is sent. Those values live in one arena buffer (offset + length),
 * which avoids a heap block per device and is compacted when more than
 * half of it is stale. The MAC-ordered view is rebuilt only when
 * membership or validity changed, so listing an unchanged directory does no
 * sorting. Memory at 10,000 devices is about 120 bytes each.
 *
 * Which files to look at: every one (a directory walk with one stat per
 * file) when dirwatch cannot tell what changed, otherwise only the names
 * it reports. A reported file is re-read even when its identity looks
 * unchanged, since an in-place edit of the same size within one timestamp
 * tick keeps the identity.
 *
 * A file's identity is recorded only once it was read: a file that could
 * not be read or rendered for a reason that may pass (an I/O error,
 * EMFILE, ENOMEM, the arena's growth) is marked to be read again at every
 * refresh, watched or walked, until it works, so a config does not drop
 * out of the list until its next change. A file that was read but is not
 * a JSON object keeps its identity: only a change can make it valid.
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

#include "dirwatch.h"
#include "jsonbody.h"
#include "log.h"
#include "mac.h"
#include "summary.h"

struct entry {
	uint64_t mac;
	uint64_t ino;
	int64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	size_t off;        /* into the arena; valid entries only */
	uint32_t len;      /* arena bytes: device_name value, then device_entity_id value */
	uint32_t name_len; /* of which device_name */
	uint32_t gen;
	uint8_t ota; /* enum summary_ota */
	bool valid;
	bool retry; /* the last read failed in a way that may pass: read again */
};

static struct {
	struct entry *v;
	size_t n, cap;
	uint32_t *index; /* slot = entry index + 1, 0 = empty */
	size_t index_cap;
	uint32_t *order; /* indexes of valid entries, by MAC */
	size_t norder;
	size_t order_cap;
	bool order_dirty;
	size_t bytes;    /* live arena bytes */
	size_t rendered; /* bytes of the valid entries as the list writes them */
	struct buf arena;
	size_t retries; /* entries with retry set */
	uint32_t gen;   /* of the last full walk; entries not marked with it are dropped */
	bool walked;    /* a full walk completed since the last clear */
	unsigned long walks;
	dev_t dir_dev;
	ino_t dir_ino;
	/* during a refresh */
	int dirfd;
	struct buf *scratch;
	bool changed;
	char last_rechecked[64]; /* the name dirwatch reported just before */
} catalog_cache;

static size_t
slot_of(uint64_t mac, size_t cap)
{
	uint64_t h = mac * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 20) & (cap - 1);
}

static int
index_rebuild(size_t want)
{
	size_t cap = 64;
	while (cap < want * 2)
		cap *= 2;
	uint32_t *idx = calloc(cap, sizeof *idx);
	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < catalog_cache.n; i++) {
		size_t s = slot_of(catalog_cache.v[i].mac, cap);
		while (idx[s] != 0)
			s = (s + 1) & (cap - 1);
		idx[s] = (uint32_t)i + 1;
	}
	free(catalog_cache.index);
	catalog_cache.index = idx;
	catalog_cache.index_cap = cap;
	return 0;
}

static long
lookup(uint64_t mac)
{
	if (catalog_cache.index == NULL)
		return -1;
	size_t s = slot_of(mac, catalog_cache.index_cap);
	while (catalog_cache.index[s] != 0) {
		uint32_t i = catalog_cache.index[s] - 1;
		if (catalog_cache.v[i].mac == mac)
			return (long)i;
		s = (s + 1) & (catalog_cache.index_cap - 1);
	}
	return -1;
}

void
catalog_clear(void)
{
	free(catalog_cache.v);
	free(catalog_cache.index);
	free(catalog_cache.order);
	buf_free(&catalog_cache.arena);
	memset(&catalog_cache, 0, sizeof catalog_cache);
}

/* Counts a valid entry in (sign 1) or out (sign -1) of the totals. */
static void
account(const struct entry *e, int sign)
{
	size_t rendered = summary_entry_len(e->name_len, e->len - e->name_len, e->ota);
	if (sign > 0) {
		catalog_cache.bytes += e->len;
		catalog_cache.rendered += rendered;
	} else {
		catalog_cache.bytes -= e->len;
		catalog_cache.rendered -= rendered;
	}
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
	catalog_cache.retries++;
	log_msg(was_retry ? LOG_DEBUG : LOG_WARN,
	        "list skips file=%s reason=\"%s\" (read again at the next list)", name, why);
}

/* Reads and renders one file into entry e (identity from the read itself). */
static void
load_entry(struct entry *e, const char *name)
{
	char mac[MAC_CANONICAL_LEN + 1];
	memcpy(mac, name, MAC_CANONICAL_LEN);
	mac[MAC_CANONICAL_LEN] = '\0';
	bool was_valid = e->valid;
	if (was_valid)
		account(e, -1);
	e->valid = false;
	catalog_cache.changed |= was_valid;
	bool was_retry = e->retry;
	if (was_retry)
		catalog_cache.retries--;
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
	if (rc == 0 && arena->len - off > UINT32_MAX)
		rc = -1;
	json_object_put(obj);
	if (rc != 0) {
		arena->len = off;
		retry_later(e, was_retry, name, "out of memory");
		return;
	}
	e->off = off;
	e->len = (uint32_t)(arena->len - off);
	e->name_len = (uint32_t)name_len;
	e->ota = (uint8_t)ota;
	e->valid = true;
	account(e, 1);
	catalog_cache.changed = true;
}

/* Brings the entry of file `name` up to date; force re-reads it even if unchanged. */
static int
update(const char *name, const struct store_file_info *info, bool force)
{
	uint64_t mac = mac_value(name);
	long i = lookup(mac);
	if (i >= 0) {
		struct entry *e = &catalog_cache.v[i];
		e->gen = catalog_cache.gen;
		if (force || e->retry || e->ino != info->ino || e->size != info->size ||
		    e->mtime_ns != info->mtime_ns || e->ctime_ns != info->ctime_ns)
			load_entry(e, name);
		return 0;
	}
	if (catalog_cache.n == catalog_cache.cap) {
		size_t cap = catalog_cache.cap ? catalog_cache.cap * 2 : 64;
		struct entry *v = realloc(catalog_cache.v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		catalog_cache.v = v;
		catalog_cache.cap = cap;
	}
	if ((catalog_cache.n + 1) * 2 > catalog_cache.index_cap &&
	    index_rebuild(catalog_cache.n + 1) != 0)
		return -1;
	struct entry *e = &catalog_cache.v[catalog_cache.n];
	memset(e, 0, sizeof *e);
	e->mac = mac;
	e->gen = catalog_cache.gen;
	size_t s = slot_of(mac, catalog_cache.index_cap);
	while (catalog_cache.index[s] != 0)
		s = (s + 1) & (catalog_cache.index_cap - 1);
	catalog_cache.index[s] = (uint32_t)catalog_cache.n + 1;
	catalog_cache.n++;
	load_entry(e, name);
	catalog_cache.changed = true;
	return 0;
}

/* store_list callback of a full walk. */
static int
visit(const char *name, const struct store_file_info *info, void *arg)
{
	(void)arg;
	return update(name, info, false);
}

/* Looks at the config file `name` now: re-reads it, or drops its entry when it is gone. */
static int
look_again(const char *name)
{
	struct store_file_info info;
	if (store_stat_config(catalog_cache.dirfd, name, &info))
		return update(name, &info, true);
	long i = lookup(mac_value(name));
	if (i >= 0)
		catalog_cache.v[i].gen = catalog_cache.gen - 1; /* dropped by sweep_unseen */
	return 0;
}

/* dirwatch callback: looks at one changed name now (it may be gone again). */
static int
recheck(const char *name, void *arg)
{
	(void)arg;
	if (!catalog_cache.walked)
		return 1; /* nothing to update yet: a full walk follows */
	size_t n = strlen(name);
	if (!mac_is_config_filename(name, n))
		return 0;
	/* A write and its close arrive as two events: one look is enough. */
	if (strcmp(name, catalog_cache.last_rechecked) == 0)
		return 0;
	memcpy(catalog_cache.last_rechecked, name, n + 1);
	return look_again(name);
}

/* Without a walk, files whose last read failed would wait for an event: read them now. */
static int
retry_failed(void)
{
	for (size_t i = 0; i < catalog_cache.n && catalog_cache.retries > 0; i++) {
		const struct entry *e = &catalog_cache.v[i];
		if (!e->retry || e->gen != catalog_cache.gen)
			continue;
		char name[MAC_CANONICAL_LEN + sizeof ".json"];
		mac_from_value(e->mac, name);
		memcpy(name + MAC_CANONICAL_LEN, ".json", sizeof ".json");
		if (look_again(name) != 0)
			return -1;
	}
	return 0;
}

/* Drops entries not seen in this walk (or found gone by recheck). */
static int
sweep_unseen(void)
{
	size_t kept = 0;
	for (size_t i = 0; i < catalog_cache.n; i++) {
		struct entry *e = &catalog_cache.v[i];
		if (e->gen != catalog_cache.gen) {
			if (e->valid)
				account(e, -1);
			if (e->retry)
				catalog_cache.retries--;
			catalog_cache.changed = true;
			continue;
		}
		catalog_cache.v[kept++] = *e;
	}
	if (kept == catalog_cache.n)
		return 0;
	catalog_cache.n = kept;
	return index_rebuild(kept);
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
	for (size_t i = 0; i < catalog_cache.n; i++) {
		struct entry *e = &catalog_cache.v[i];
		if (!e->valid)
			continue;
		size_t off = fresh.len;
		if (buf_append(&fresh, arena->data + e->off, e->len) != 0) {
			buf_free(&fresh);
			return -1;
		}
		e->off = off;
	}
	buf_free(arena);
	*arena = fresh;
	return 0;
}

static int
by_mac(const void *a, const void *b)
{
	uint64_t x = catalog_cache.v[*(const uint32_t *)a].mac;
	uint64_t y = catalog_cache.v[*(const uint32_t *)b].mac;
	return (x > y) - (x < y);
}

static int
rebuild_order(void)
{
	if (catalog_cache.order_cap < catalog_cache.n) {
		uint32_t *o = realloc(catalog_cache.order, catalog_cache.n * sizeof *o);
		if (o == NULL)
			return -1;
		catalog_cache.order = o;
		catalog_cache.order_cap = catalog_cache.n;
	}
	size_t k = 0;
	for (size_t i = 0; i < catalog_cache.n; i++)
		if (catalog_cache.v[i].valid)
			catalog_cache.order[k++] = (uint32_t)i;
	if (k > 1) /* order is NULL while the directory is empty; qsort(NULL, 0) is undefined */
		qsort(catalog_cache.order, k, sizeof *catalog_cache.order, by_mac);
	catalog_cache.norder = k;
	return 0;
}

int
catalog_refresh(int dirfd, struct buf *scratch, struct store_result *r)
{
	struct stat st;
	bool have_st = fstat(dirfd, &st) == 0;
	if (have_st && (st.st_dev != catalog_cache.dir_dev || st.st_ino != catalog_cache.dir_ino)) {
		catalog_clear();
		catalog_cache.dir_dev = st.st_dev;
		catalog_cache.dir_ino = st.st_ino;
		catalog_cache.order_dirty = true;
	}
	catalog_cache.dirfd = dirfd;
	catalog_cache.scratch = scratch;
	catalog_cache.changed = false;
	catalog_cache.last_rechecked[0] = '\0';
	int rc = 0;
	if (dirwatch_poll(dirfd, have_st ? &st : NULL, recheck, NULL) == DIRWATCH_NAMES &&
	    catalog_cache.walked) {
		r->status = STORE_OK;
		r->sys_errno = 0;
		r->op = NULL;
		rc = retry_failed();
	} else {
		catalog_cache.gen++;
		catalog_cache.walks++;
		rc = store_list(dirfd, visit, NULL, r);
		catalog_cache.walked = rc == 0;
	}
	if (rc == 0 && sweep_unseen() != 0)
		rc = -1;
	if (rc == 0 && compact_arena() != 0)
		rc = -1;
	if (catalog_cache.changed || catalog_cache.order_dirty) {
		/* The walk moved entries (sweep) even on failure: keep the view consistent. */
		if (rebuild_order() != 0)
			rc = -1;
		catalog_cache.order_dirty = rc != 0;
	}
	catalog_cache.scratch = NULL;
	if (rc != 0) {
		/* A partial walk leaves entries unmarked: start afresh next time. */
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
	return catalog_cache.norder;
}

int
catalog_append_entry(size_t i, struct buf *out)
{
	const struct entry *e = &catalog_cache.v[catalog_cache.order[i]];
	char mac[MAC_CANONICAL_LEN + 1];
	mac_from_value(e->mac, mac);
	return summary_append_entry(out, mac, catalog_cache.arena.data + e->off, e->name_len,
	                            e->len - e->name_len, e->ota);
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
