/*
 * test_tarball.c: tarball.c takes the archives an export or `tar czf` of a
 * config directory makes (configs by MAC in any accepted form, under any
 * directory, bookkeeping ignored) with each config's bytes exact, and
 * refuses whole every hostile one: absolute and ".." names, hard and
 * symbolic links, devices and FIFOs, other names, two entries for one MAC,
 * entries over the size bound, too many entries or configs, a stream
 * expanding beyond its bound, a truncated or corrupt stream, and what is
 * not a tar at all. What the writer makes, the reader takes back exactly.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tarball.h"
#include "tap.h"

/* One entry to put in a test archive. */
struct item {
	const char *name;
	mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO */
	const char *data;
	const char *link; /* symlink target, or hard link target with type 0 */
	size_t pad;       /* extra bytes of 'x' after data */
};

static char *archive_bytes;
static size_t archive_len;

/* Builds a tar (gzip-compressed when gz) of items into archive_bytes. */
static void
make(const struct item *items, size_t n, bool gz)
{
	free(archive_bytes);
	size_t cap = 64 * 1024 * 1024;
	archive_bytes = malloc(cap);
	struct archive *a = archive_write_new();
	if (gz)
		archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, archive_bytes, cap, &archive_len);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, items[i].name);
		size_t len = (items[i].data ? strlen(items[i].data) : 0) + items[i].pad;
		if (items[i].type == 0) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, items[i].link);
			len = 0;
		} else {
			archive_entry_set_filetype(e, items[i].type);
		}
		if (items[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, items[i].link);
		if (items[i].type != AE_IFREG)
			len = 0;
		archive_entry_set_size(e, (la_int64_t)len);
		archive_entry_set_perm(e, 0644);
		archive_write_header(a, e);
		if (len > 0) {
			char *buf = malloc(len);
			size_t d = items[i].data ? strlen(items[i].data) : 0;
			memcpy(buf, items[i].data ? items[i].data : "", d);
			memset(buf + d, 'x', len - d);
			archive_write_data(a, buf, len);
			free(buf);
		}
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static const struct tarball_limits limits = {
        .entry_max = 1024,
        .configs_max = 8,
        .entries_max = 20,
        .config_bytes_max = 4096,
        .expanded_max = 64 * 1024,
};

static enum tarball_status
take(struct tarball_read *t)
{
	return tarball_read(archive_bytes, archive_len, &limits, t);
}

/* The archive of items is refused with st, and why holds word. */
static void
refused(const struct item *items, size_t n, enum tarball_status st, const char *word,
        const char *name)
{
	make(items, n, true);
	struct tarball_read t;
	enum tarball_status got = take(&t);
	TAP_CHECK(got == st && t.n == 0 && t.configs == NULL && strstr(t.why, word) != NULL, name);
	if (got != st || strstr(t.why, word) == NULL)
		printf("#   status %d, why: %s\n", got, t.why);
	tarball_read_free(&t);
}

#define ITEMS(...)                                                                                 \
	(const struct item[]){__VA_ARGS__},                                                        \
	        sizeof((const struct item[]){__VA_ARGS__}) / sizeof(struct item)

static int
to_buf(const void *p, size_t n, void *arg)
{
	return buf_append(arg, p, n);
}

int
main(void)
{
	{
		make(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFREG, "{\"a\": 1}\n", NULL, 0},
		           {"./configs/", AE_IFDIR, NULL, NULL, 0},
		           {"./configs/AA:BB:CC:DD:EE:02.json", AE_IFREG, "{\"b\":-0.0}", NULL, 0},
		           {"./.history/aa-bb-cc-dd-ee-01/0000000001-0123abcd.s.1.2.-.json",
		            AE_IFREG, "{}", NULL, 0},
		           {"./.aa-bb-cc-dd-ee-01.lock", AE_IFREG, "", NULL, 0},
		           {"./.changes/", AE_IFDIR, NULL, NULL, 0}),
		     true);
		struct tarball_read t;
		enum tarball_status st = take(&t);
		TAP_CHECK(st == TARBALL_OK && t.n == 2 && t.ignored == 4,
		          "read: configs taken, directories and bookkeeping ignored");
		TAP_CHECK(t.n == 2 && strcmp(t.configs[0].mac, "aa-bb-cc-dd-ee-01") == 0 &&
		                  t.configs[0].len == 9 &&
		                  memcmp(t.configs[0].data, "{\"a\": 1}\n", 9) == 0 &&
		                  strcmp(t.configs[1].mac, "aa-bb-cc-dd-ee-02") == 0 &&
		                  strcmp(t.configs[1].entry, "./configs/AA:BB:CC:DD:EE:02.json") ==
		                          0,
		          "read: bytes exact, MAC canonical, any MAC form, under a directory");
		tarball_read_free(&t);
		make(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFREG, "{}", NULL, 0}), false);
		st = take(&t);
		TAP_CHECK(st == TARBALL_OK && t.n == 1, "read: an uncompressed tar is taken too");
		tarball_read_free(&t);
		make(NULL, 0, true);
		st = take(&t);
		TAP_CHECK(st == TARBALL_OK && t.n == 0, "read: an empty archive holds no config");
		tarball_read_free(&t);
	}
	refused(ITEMS({"../aa-bb-cc-dd-ee-01.json", AE_IFREG, "{}", NULL, 0}), TARBALL_REFUSED,
	        "'..'", "hostile: a '..' name is refused");
	refused(ITEMS({"a/../../aa-bb-cc-dd-ee-01.json", AE_IFREG, "{}", NULL, 0}), TARBALL_REFUSED,
	        "'..'", "hostile: a '..' inside a name is refused");
	refused(ITEMS({"/etc/aa-bb-cc-dd-ee-01.json", AE_IFREG, "{}", NULL, 0}), TARBALL_REFUSED,
	        "absolute", "hostile: an absolute name is refused");
	refused(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFLNK, NULL, "/etc/passwd", 0}),
	        TARBALL_REFUSED, "symbolic link", "hostile: a symbolic link is refused");
	refused(ITEMS({".history/x", AE_IFLNK, NULL, "/etc/passwd", 0}), TARBALL_REFUSED,
	        "symbolic link", "hostile: a symbolic link is refused, hidden or not");
	refused(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFREG, "{}", NULL, 0},
	              {"aa-bb-cc-dd-ee-02.json", 0, NULL, "aa-bb-cc-dd-ee-01.json", 0}),
	        TARBALL_REFUSED, "hard link", "hostile: a hard link is refused");
	refused(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFCHR, NULL, NULL, 0}), TARBALL_REFUSED,
	        "device", "hostile: a device is refused");
	refused(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFIFO, NULL, NULL, 0}), TARBALL_REFUSED, "FIFO",
	        "hostile: a FIFO is refused");
	refused(ITEMS({"notes.txt", AE_IFREG, "hi", NULL, 0}), TARBALL_REFUSED, "<mac>.json",
	        "hostile: a name that is not a MAC is refused");
	refused(ITEMS({"aa-bb-cc-dd-ee.json", AE_IFREG, "{}", NULL, 0}), TARBALL_REFUSED,
	        "<mac>.json", "hostile: a short MAC is refused");
	refused(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFREG, "{}", NULL, 0},
	              {"x/AA:BB:CC:DD:EE:01.json", AE_IFREG, "{}", NULL, 0}),
	        TARBALL_REFUSED, "both", "hostile: two entries for one MAC are refused");
	refused(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFREG, "{", NULL, 1100}), TARBALL_TOO_LARGE,
	        "at most 1024", "bounds: an entry over the size bound is refused");
	refused(ITEMS({".history/big", AE_IFREG, "{", NULL, 1100}), TARBALL_TOO_LARGE,
	        "at most 1024", "bounds: an ignored entry over the size bound is refused too");
	refused(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFREG, "{", NULL, 1000},
	              {"aa-bb-cc-dd-ee-02.json", AE_IFREG, "{", NULL, 1000},
	              {"aa-bb-cc-dd-ee-03.json", AE_IFREG, "{", NULL, 1000},
	              {"aa-bb-cc-dd-ee-04.json", AE_IFREG, "{", NULL, 1000},
	              {"aa-bb-cc-dd-ee-05.json", AE_IFREG, "{", NULL, 1000}),
	        TARBALL_TOO_LARGE, "add up",
	        "bounds: configs adding up over the bound are refused");
	{
		struct item many[10];
		char names[10][32];
		for (int i = 0; i < 10; i++) {
			snprintf(names[i], sizeof names[i], "aa-bb-cc-dd-ee-%02d.json", i);
			many[i] = (struct item){names[i], AE_IFREG, "{}", NULL, 0};
		}
		refused(many, 10, TARBALL_TOO_LARGE, "more than 8 configs",
		        "bounds: more configs than allowed are refused");
		struct item dirs[25];
		for (int i = 0; i < 25; i++)
			dirs[i] = (struct item){".d/", AE_IFDIR, NULL, NULL, 0};
		refused(dirs, 25, TARBALL_TOO_LARGE, "more than 20 entries",
		        "bounds: more entries than allowed are refused");
		struct item bomb[20];
		char bnames[20][32];
		for (int i = 0; i < 20; i++) {
			snprintf(bnames[i], sizeof bnames[i], ".history/%02d", i);
			bomb[i] = (struct item){bnames[i], AE_IFREG, "", NULL, 1000};
		}
		/* 20 ignored entries of 1000 bytes each expand past 16 KiB; set the bound below
		 * that. */
		struct tarball_limits small = limits;
		small.expanded_max = 16 * 1024;
		make(bomb, 20, true);
		struct tarball_read t;
		enum tarball_status st = tarball_read(archive_bytes, archive_len, &small, &t);
		TAP_CHECK(st == TARBALL_TOO_LARGE && strstr(t.why, "expands") != NULL &&
		                  archive_len < 2000,
		          "bounds: a small stream expanding beyond its bound (a gzip bomb) is "
		          "refused");
		tarball_read_free(&t);
	}
	{
		make(ITEMS({"aa-bb-cc-dd-ee-01.json", AE_IFREG, "{\"a\":1}", NULL, 900},
		           {"aa-bb-cc-dd-ee-02.json", AE_IFREG, "{\"b\":2}", NULL, 900}),
		     true);
		struct tarball_read t;
		size_t full = archive_len;
		bool all_refused = true;
		for (size_t cut = 1; cut < full; cut += full / 17 + 1) {
			enum tarball_status st = tarball_read(archive_bytes, cut, &limits, &t);
			all_refused = all_refused && st == TARBALL_REFUSED && t.n == 0;
			tarball_read_free(&t);
		}
		TAP_CHECK(all_refused,
		          "hostile: a truncated stream is refused, wherever it is cut");
		archive_bytes[archive_len / 2] ^= 0x55;
		enum tarball_status st = take(&t);
		TAP_CHECK(st == TARBALL_REFUSED && t.n == 0,
		          "hostile: a corrupt stream is refused");
		tarball_read_free(&t);
		st = tarball_read("{\"not\":\"tar\"}", 13, &limits, &t);
		TAP_CHECK(st == TARBALL_REFUSED && t.n == 0,
		          "hostile: what is not a tar is refused");
		tarball_read_free(&t);
		st = tarball_read("", 0, &limits, &t);
		TAP_CHECK(st == TARBALL_REFUSED, "hostile: nothing at all is refused");
		tarball_read_free(&t);
	}
	{
		/* What the writer makes, the reader takes back exactly. */
		struct buf out;
		buf_init(&out);
		struct tarball_writer *w = tarball_writer_open(to_buf, &out);
		int rc = w ? 0 : -1;
		rc |= tarball_writer_add(w, "aa-bb-cc-dd-ee-01.json",
		                         "{\"x\": 18446744073709551615}\n", 28, 1700000000, 0640);
		rc |= tarball_writer_add(w, "aa-bb-cc-dd-ee-02.json", "", 0, 1700000001, 0640);
		rc |= tarball_writer_close(w, 0);
		struct tarball_read t;
		enum tarball_status st = tarball_read(out.data, out.len, &limits, &t);
		TAP_CHECK(rc == 0 && st == TARBALL_OK && t.n == 2 && t.configs[0].len == 28 &&
		                  memcmp(t.configs[0].data, "{\"x\": 18446744073709551615}\n",
		                         28) == 0 &&
		                  t.configs[0].mtime == 1700000000 && t.configs[1].len == 0,
		          "write: the archive written reads back byte for byte, with times");
		tarball_read_free(&t);
		size_t whole = out.len;
		out.len = 0;
		w = tarball_writer_open(to_buf, &out);
		tarball_writer_add(w, "aa-bb-cc-dd-ee-01.json", "{}", 2, 1, 0640);
		rc = tarball_writer_close(w, -1);
		st = tarball_read(out.data, out.len, &limits, &t);
		TAP_CHECK(rc != 0 && st == TARBALL_REFUSED && out.len < whole,
		          "write: an export that fails ends truncated, never looking whole");
		tarball_read_free(&t);
		buf_free(&out);
	}
	free(archive_bytes);
	return tap_done();
}
