/*
 * test_catalog.c: proves that the list cache of catalog.c stays in line
 * with a config directory changed behind its back. After each
 * catalog_refresh over a temp directory, only valid config files are
 * counted (invalid JSON, non-objects and non-config names are skipped,
 * with a warning), entries are in MAC order, catalog_bytes is the sum of
 * the entry lengths, and each entry is exactly the summary object
 * ({ summary fields }). An in-place edit that keeps the inode and the
 * size and differs only in mtime nanoseconds is picked up, as are
 * deletions, renames (a.json -> b.json moves the entry), new files and
 * files turning valid or invalid; an unchanged file is not re-read. The
 * cache survives growth to hundreds of entries, removal of half of them
 * and arena compaction, and follows a switch to another directory. Each
 * file's ETag fingerprint (catalog_etag) is that of its bytes, valid or
 * not, follows an in-place edit, and is absent for a file that is gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "digest.h"
#include "jsonbody.h"
#include "mac.h"
#include "summary.h"
#include "capture.h"
#include "tap.h"

static char root[64];
static int dfd = -1;
static struct buf scratch;
static struct store_result r;

/* --- files ----------------------------------------------------------------- */

static void
put(const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t n = strlen(text);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n) {
		perror(name);
		exit(2);
	}
	close(fd);
}

/* Overwrites the bytes in place: same inode, same size (when text is as long). */
static int
overwrite(const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);
	int rc = (fd >= 0 && pwrite(fd, text, n, 0) == (ssize_t)n) ? 0 : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
set_mtime(const char *name, time_t sec, long nsec)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
	return utimensat(dfd, name, ts, 0);
}

static int
refresh(void)
{
	return catalog_refresh(dfd, NULL, &scratch, &r);
}

/* Refresh with stderr captured; returns the captured log. */
static const char *
refresh_logged(int *rc)
{
	capture_begin();
	*rc = refresh();
	return capture_end();
}

/* The entry as catalog_append_entry writes it, as a C string. */
static const char *
entry(size_t i)
{
	static char out[4096];
	struct buf b;
	buf_init(&b);
	if (catalog_append_entry(i, &b) != 0 || b.len == 0)
		out[0] = '\0';
	else
		snprintf(out, sizeof out, "%s", b.data);
	buf_free(&b);
	return out;
}

/* The MAC of entry i, from its "mac_address" member. */
static const char *
entry_mac(size_t i)
{
	static char mac[18];
	const char *e = entry(i);
	const char *p = strstr(e, "\"mac_address\":\"");
	snprintf(mac, sizeof mac, "%.17s", p ? p + 15 : "?");
	return mac;
}

static bool
bytes_consistent(void)
{
	size_t sum = 0;
	for (size_t i = 0; i < catalog_count(); i++)
		sum += strlen(entry(i));
	return sum == catalog_bytes();
}

static bool
sorted(void)
{
	char prev[18] = "";
	for (size_t i = 0; i < catalog_count(); i++) {
		const char *m = entry_mac(i);
		if (i > 0 && strcmp(prev, m) >= 0)
			return false;
		snprintf(prev, sizeof prev, "%s", m);
	}
	return true;
}

/* The summary object summary.c renders for this config text. */
static const char *
summary_of(const char *mac, const char *text)
{
	static struct buf b;
	json_object *o = NULL;
	struct jsonbody_error e;
	buf_free(&b);
	buf_init(&b);
	if (jsonbody_parse_object(text, strlen(text), &o, &e) != 0)
		return NULL;
	int rc = buf_puts(&b, "{");
	rc |= summary_append_fields(&b, mac, o);
	/* saved_at: the file's modification time, UTC, to the second. */
	char name[64], when[32];
	struct stat st;
	struct tm tm;
	snprintf(name, sizeof name, "%s.json", mac);
	if (fstatat(dfd, name, &st, 0) != 0 || gmtime_r(&st.st_mtime, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	rc |= buf_printf(&b, ",\"saved_at\":\"%s\",\"schema\":null,\"schema_errors\":0}", when);
	json_object_put(o);
	static char copy[4096];
	snprintf(copy, sizeof copy, "%s", rc == 0 ? b.data : "");
	buf_free(&b);
	return copy;
}

/* Does catalog_etag of mac say the fingerprint of text? */
static bool
etag_is(const char *mac, const char *text)
{
	uint8_t md[DIGEST_SIZE];
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	digest_sha256(text, strlen(text), md);
	digest_hex(md, want);
	return catalog_etag(mac_value(mac), got) == 1 && strcmp(got, want) == 0;
}

static int
index_of(const char *mac)
{
	for (size_t i = 0; i < catalog_count(); i++)
		if (strcmp(entry_mac(i), mac) == 0)
			return (int)i;
	return -1;
}

static void
remove_all(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(fd, de->d_name, 0);
	if (d != NULL)
		closedir(d);
	else
		close(fd);
	rmdir(dir);
}

int
main(void)
{
	snprintf(root, sizeof root, "/tmp/iotconfig-test-catalog.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	char dir1[128], dir2[128];
	snprintf(capture_path, sizeof capture_path, "%s/stderr.log", root);
	snprintf(dir1, sizeof dir1, "%s/one", root);
	snprintf(dir2, sizeof dir2, "%s/two", root);
	if (mkdir(dir1, 0755) != 0 || mkdir(dir2, 0755) != 0) {
		perror("mkdir");
		return 2;
	}
	dfd = open(dir1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf_init(&scratch);

	static const char one[] = "{\"deviceName\":\"one\",\"deviceEntityId\":\"e1\"}";
	static const char three[] = "{\"deviceName\":\"three\",\"enableOTA\":true}";
	static const char two[] = "{\"deviceEntityId\":\"two\",\"enableOTA\":false,\"x\":[1,2]}";
	put("aa-00-00-00-00-03.json", three);
	put("00-00-00-00-00-01.json", one);
	set_mtime("00-00-00-00-00-01.json", 1700000000, 5); /* 2023-11-14T22:13:20Z */
	put("ff-00-00-00-00-02.json", two);
	put("10-00-00-00-00-04.json", "{\"deviceName\": broken");
	put("20-00-00-00-00-05.json", "[1,2]");
	put("30-00-00-00-00-06.json", "{\"a\":1,\"a\":2}");
	put("AA-00-00-00-00-07.json", "{}");
	put("notes.txt", "{}");
	put(".40-00-00-00-00-08.json.1.1.00000000.tmp", "{}");

	/* --- first refresh ------------------------------------------------ */
	int rc;
	const char *log = refresh_logged(&rc);
	TAP_CHECK(rc == 0 && r.status == STORE_OK, "catalog: refresh of a directory succeeds");
	TAP_CHECK(catalog_count() == 3, "catalog: only valid config files are counted");
	TAP_CHECK(strstr(log, "10-00-00-00-00-04.json") != NULL &&
	                  strstr(log, "20-00-00-00-00-05.json") != NULL &&
	                  strstr(log, "30-00-00-00-00-06.json") != NULL &&
	                  strstr(log, "WARN") != NULL,
	          "catalog: invalid files are skipped with a warning naming them");
	TAP_CHECK(strstr(log, "notes.txt") == NULL && strstr(log, "AA-00") == NULL,
	          "catalog: non-config names are not even read");
	TAP_CHECK(catalog_count() == 3 && strcmp(entry_mac(0), "00-00-00-00-00-01") == 0 &&
	                  strcmp(entry_mac(1), "aa-00-00-00-00-03") == 0 &&
	                  strcmp(entry_mac(2), "ff-00-00-00-00-02") == 0,
	          "catalog: entries are sorted by MAC");
	TAP_STREQ(entry(0),
	          "{\"mac_address\":\"00-00-00-00-00-01\",\"device_name\":\"one\","
	          "\"device_entity_id\":\"e1\",\"enable_ota\":null,"
	          "\"saved_at\":\"2023-11-14T22:13:20Z\",\"schema\":null,\"schema_errors\":0}",
	          "catalog: the entry JSON is exactly the summary object");
	TAP_STREQ(entry(1), summary_of("aa-00-00-00-00-03", three),
	          "catalog: an entry equals { summary_append_fields }");
	TAP_STREQ(entry(2), summary_of("ff-00-00-00-00-02", two),
	          "catalog: an entry with other members equals its summary");
	TAP_CHECK(bytes_consistent(), "catalog: catalog_bytes equals the sum of entry lengths");
	TAP_CHECK(catalog_bytes() == strlen(entry(0)) + strlen(entry(1)) + strlen(entry(2)),
	          "catalog: catalog_bytes counts the three entries");
	{
		char hex[DIGEST_HEX_LEN + 1];
		TAP_CHECK(etag_is("00-00-00-00-00-01", one) && etag_is("ff-00-00-00-00-02", two),
		          "catalog: each config's ETag fingerprint is that of its bytes");
		TAP_CHECK(etag_is("20-00-00-00-00-05", "[1,2]"),
		          "catalog: a file that is not a valid config has its fingerprint too");
		TAP_CHECK(catalog_etag(mac_value("ab-00-00-00-00-01"), hex) == 0 &&
		                  catalog_etag(mac_value("00-00-00-00-00-00"), hex) == 0 &&
		                  catalog_etag(mac_value("ff-ff-ff-ff-ff-ff"), hex) == 0,
		          "catalog: a MAC without a config file has no fingerprint");
	}

	/* --- unchanged directory -------------------------------------------- */
	{
		char before[4096];
		snprintf(before, sizeof before, "%s", entry(0));
		log = refresh_logged(&rc);
		TAP_CHECK(rc == 0 && catalog_count() == 3 && strcmp(before, entry(0)) == 0,
		          "catalog: an unchanged directory lists the same entries");
		TAP_CHECK(log[0] == '\0',
		          "catalog: unchanged invalid files are not re-read either");
	}

	/* --- same-size edit in place, seen through mtime nanoseconds ---------- */
	{
		struct stat before, after;
		time_t sec = time(NULL) - 100;
		int u1 = set_mtime("00-00-00-00-00-01.json", sec, 100);
		refresh();
		fstatat(dfd, "00-00-00-00-00-01.json", &before, 0);
		static const char uno[] = "{\"deviceName\":\"uno\",\"deviceEntityId\":\"e1\"}";
		int w = overwrite("00-00-00-00-00-01.json", uno);
		int u2 = set_mtime("00-00-00-00-00-01.json", sec, 200);
		fstatat(dfd, "00-00-00-00-00-01.json", &after, 0);
		TAP_CHECK(u1 == 0 && w == 0 && u2 == 0 && before.st_ino == after.st_ino &&
		                  before.st_size == after.st_size &&
		                  before.st_mtim.tv_sec == after.st_mtim.tv_sec,
		          "catalog: the edit keeps inode, size and mtime seconds");
		rc = refresh();
		TAP_CHECK(rc == 0 && catalog_count() == 3 &&
		                  strstr(entry(0), "\"device_name\":\"uno\"") != NULL,
		          "catalog: a same-size in-place edit is picked up at the next refresh");
		TAP_CHECK(etag_is("00-00-00-00-00-01", uno),
		          "catalog: the fingerprint follows the in-place edit");
		TAP_CHECK(bytes_consistent(), "catalog: bytes stay consistent after an edit");
	}

	/* --- delete, rename, new file ------------------------------------------ */
	unlinkat(dfd, "aa-00-00-00-00-03.json", 0);
	rc = refresh();
	{
		char hex[DIGEST_HEX_LEN + 1];
		TAP_CHECK(rc == 0 && catalog_count() == 2 && index_of("aa-00-00-00-00-03") < 0 &&
		                  catalog_etag(mac_value("aa-00-00-00-00-03"), hex) == 0,
		          "catalog: a deleted file disappears, with its fingerprint");
	}
	TAP_CHECK(bytes_consistent(), "catalog: bytes stay consistent after a delete");

	renameat(dfd, "00-00-00-00-00-01.json", dfd, "bb-00-00-00-00-09.json");
	rc = refresh();
	TAP_CHECK(rc == 0 && catalog_count() == 2 && index_of("00-00-00-00-00-01") < 0 &&
	                  index_of("bb-00-00-00-00-09") == 0 &&
	                  strstr(entry(0), "\"device_name\":\"uno\"") != NULL,
	          "catalog: a renamed file (a.json -> b.json) moves to its new MAC");
	TAP_CHECK(sorted(), "catalog: order is kept after a rename");

	put("05-00-00-00-00-0a.json", "{\"deviceName\":\"new\"}");
	set_mtime("05-00-00-00-00-0a.json", 1700000000, 0);
	rc = refresh();
	TAP_CHECK(rc == 0 && catalog_count() == 3 && index_of("05-00-00-00-00-0a") == 0,
	          "catalog: a new file appears in its place");
	TAP_STREQ(entry(0),
	          "{\"mac_address\":\"05-00-00-00-00-0a\",\"device_name\":\"new\","
	          "\"device_entity_id\":null,\"enable_ota\":null,"
	          "\"saved_at\":\"2023-11-14T22:13:20Z\",\"schema\":null,\"schema_errors\":0}",
	          "catalog: the new entry is its summary object");

	/* --- validity changes ---------------------------------------------------- */
	put("10-00-00-00-00-04.json", "{\"deviceName\":\"fixed\"}");
	log = refresh_logged(&rc);
	TAP_CHECK(rc == 0 && catalog_count() == 4 && index_of("10-00-00-00-00-04") == 1 &&
	                  strstr(log, "10-00-00-00-00-04") == NULL,
	          "catalog: an invalid file that becomes valid appears");
	put("ff-00-00-00-00-02.json", "{\"deviceName\":");
	log = refresh_logged(&rc);
	TAP_CHECK(rc == 0 && catalog_count() == 3 && index_of("ff-00-00-00-00-02") < 0 &&
	                  strstr(log, "ff-00-00-00-00-02.json") != NULL,
	          "catalog: a valid file that becomes invalid disappears, with a warning");
	TAP_CHECK(bytes_consistent() && sorted(),
	          "catalog: bytes and order after validity changes");
	unlinkat(dfd, "20-00-00-00-00-05.json", 0);
	unlinkat(dfd, "30-00-00-00-00-06.json", 0);
	unlinkat(dfd, "ff-00-00-00-00-02.json", 0);
	rc = refresh();
	TAP_CHECK(rc == 0 && catalog_count() == 3,
	          "catalog: deleting invalid files changes nothing");

	/* --- growth, removal of half, lookups through the rebuilt index ---------- */
	{
		char name[64], text[128];
		for (int i = 0; i < 300; i++) {
			snprintf(name, sizeof name, "02-00-00-00-%02x-%02x.json", (i * 37) % 256,
			         i / 256 + 0x10);
			snprintf(text, sizeof text, "{\"deviceName\":\"n%d\"}", i);
			put(name, text);
		}
		rc = refresh();
		TAP_CHECK(rc == 0 && catalog_count() == 303,
		          "catalog: 300 new files are all counted");
		TAP_CHECK(sorted() && bytes_consistent(),
		          "catalog: 303 entries sorted, bytes consistent");
		for (int i = 0; i < 300; i += 2) {
			snprintf(name, sizeof name, "02-00-00-00-%02x-%02x.json", (i * 37) % 256,
			         i / 256 + 0x10);
			unlinkat(dfd, name, 0);
		}
		rc = refresh();
		TAP_CHECK(rc == 0 && catalog_count() == 153,
		          "catalog: removing half leaves the rest");
		snprintf(name, sizeof name, "02-00-00-00-%02x-%02x.json", (299 * 37) % 256, 0x11);
		put(name, "{\"deviceName\":\"changed-after-shrink\"}");
		rc = refresh();
		snprintf(text, sizeof text, "%.17s", name);
		int i = index_of(text);
		TAP_CHECK(rc == 0 && catalog_count() == 153 && i >= 0 &&
		                  strstr(entry((size_t)i), "changed-after-shrink") != NULL,
		          "catalog: an edit after the index shrank updates the existing entry");
		TAP_CHECK(sorted() && bytes_consistent(),
		          "catalog: order and bytes after shrinking");
		for (int i = 1; i < 300; i += 2) {
			snprintf(name, sizeof name, "02-00-00-00-%02x-%02x.json", (i * 37) % 256,
			         i / 256 + 0x10);
			unlinkat(dfd, name, 0);
		}
		rc = refresh();
		TAP_CHECK(rc == 0 && catalog_count() == 3, "catalog: removing the rest leaves 3");
	}

	/* --- arena compaction ------------------------------------------------------ */
	{
		char big[1200];
		bool each_ok = true;
		time_t sec = time(NULL) - 1000;
		for (int round = 0; round < 120; round++) {
			int n = snprintf(big, sizeof big, "{\"deviceName\":\"");
			for (int k = 0; k < 1000; k++)
				big[n++] = (char)('a' + (round + k) % 26);
			snprintf(big + n, sizeof big - (size_t)n, "\"}");
			put("cc-00-00-00-00-0c.json", big);
			set_mtime("cc-00-00-00-00-0c.json", sec, round);
			rc = refresh();
			int i = index_of("cc-00-00-00-00-0c");
			char want[32];
			snprintf(want, sizeof want, "\"device_name\":\"%c%c", 'a' + round % 26,
			         'a' + (round + 1) % 26);
			each_ok &= rc == 0 && i >= 0 && strstr(entry((size_t)i), want) != NULL;
		}
		TAP_CHECK(each_ok, "catalog: 120 rewrites of a large entry are each seen");
		static const char kept[] = "{\"mac_address\":\"05-00-00-00-00-0a\","
		                           "\"device_name\":\"new\",\"device_entity_id\":null,"
		                           "\"enable_ota\":null,"
		                           "\"saved_at\":\"2023-11-14T22:13:20Z\",\"schema\":null,"
		                           "\"schema_errors\":0}";
		TAP_CHECK(catalog_count() == 4 && bytes_consistent() && sorted() &&
		                  strcmp(entry(0), kept) == 0,
		          "catalog: other entries survive arena compaction intact");
	}

	/* --- another directory ------------------------------------------------------- */
	{
		int other = open(dir2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int keep = dfd;
		dfd = other;
		put("01-01-01-01-01-01.json", "{\"deviceName\":\"elsewhere\"}");
		rc = refresh();
		TAP_CHECK(rc == 0 && catalog_count() == 1 &&
		                  strcmp(entry_mac(0), "01-01-01-01-01-01") == 0,
		          "catalog: switching to another directory shows only its files");
		dfd = keep;
		rc = refresh();
		TAP_CHECK(rc == 0 && catalog_count() == 4 && bytes_consistent(),
		          "catalog: switching back rebuilds the first directory's view");
		close(other);
	}

	/* --- clear ------------------------------------------------------------------- */
	catalog_clear();
	TAP_CHECK(catalog_count() == 0 && catalog_bytes() == 0, "catalog: clear drops everything");
	rc = refresh();
	TAP_CHECK(rc == 0 && catalog_count() == 4, "catalog: a refresh after clear rebuilds it");

	/* --- an empty directory ---------------------------------------------------- */
	{
		int other = open(dir2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		unlinkat(other, "01-01-01-01-01-01.json", 0);
		rc = catalog_refresh(other, NULL, &scratch, &r);
		TAP_CHECK(rc == 0 && catalog_count() == 0 && catalog_bytes() == 0,
		          "catalog: an empty directory lists nothing");
		close(other);
	}

	catalog_clear();
	buf_free(&scratch);
	close(dfd);
	remove_all(dir1);
	remove_all(dir2);
	TAP_CHECK(rmdir(root) == 0, "catalog: the test left nothing behind");
	return tap_done();
}
