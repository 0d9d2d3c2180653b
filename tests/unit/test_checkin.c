/*
 * test_checkin.c: the fetch notes of checkin.c. The pure parts: text
 * cleaning (length bound cut at a character, control bytes removed,
 * invalid UTF-8 as "?"), the note's file format both ways, and the
 * per-process rate limit (once per interval, at once when the held ETag
 * changes). The files, in throw-away directories under /tmp: a note is
 * written whole without any fsync and leaves no temp file, read back,
 * listed sorted by MAC; notes older than 90 days and temp files older than
 * a day are removed by the list; names that are not canonical MACs, and
 * configs, are never taken for notes.
 *
 * fsync() is interposed to count calls: noting must never make one.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checkin.h"
#include "metrics.h"
#include "tap.h"

static int fsyncs;

int
fsync(int fd)
{
	fsyncs++;
	return (int)syscall(SYS_fsync, fd);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static struct checkin_note
note_of(const char *mac, int64_t at, const char *etag, const char *ua)
{
	struct checkin_note n;
	memset(&n, 0, sizeof n);
	snprintf(n.mac, sizeof n.mac, "%s", mac);
	n.at = at;
	n.has_etag = etag != NULL;
	snprintf(n.etag, sizeof n.etag, "%s", etag ? etag : "");
	snprintf(n.addr, sizeof n.addr, "192.0.2.7");
	snprintf(n.user_agent, sizeof n.user_agent, "%s", ua);
	return n;
}

/* checkin_each into an array, as the old list did. */
struct collected {
	struct checkin_note notes[16];
	size_t n;
};

static int
collect(const struct checkin_note *note, void *arg)
{
	struct collected *c = arg;
	if (c->n == 16)
		return -1;
	c->notes[c->n++] = *note;
	return 0;
}

static int
checkin_list(int dirfd, int64_t now, struct checkin_note **out, size_t *n, struct store_result *r)
{
	static struct collected c;
	c.n = 0;
	int rc = checkin_each(dirfd, now, collect, &c, r);
	*out = c.notes;
	*n = c.n;
	return rc;
}

#define ETAG_A "0123456789abcdef0123456789abcdef"
#define ETAG_B "fedcba9876543210fedcba9876543210"

static void
test_clean_text(void)
{
	char out[CHECKIN_UA_MAX + 1];
	checkin_clean_text("ESP32HTTPClient/1.2 (\"x\\y\")", CHECKIN_UA_MAX, out);
	TAP_STREQ(out, "ESP32HTTPClient/1.2 (\"x\\y\")",
	          "clean: printable ASCII, quotes and backslashes are kept as they are");
	checkin_clean_text("a\r\nb\tc\x01\x7f"
	                   "d\x1b[31m",
	                   CHECKIN_UA_MAX, out);
	TAP_STREQ(out, "abcd[31m", "clean: control bytes (CR, LF, tab, ESC, DEL) are removed");
	checkin_clean_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", CHECKIN_UA_MAX, out);
	TAP_STREQ(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	          "clean: valid UTF-8 of 2, 3 and 4 bytes is kept");
	checkin_clean_text("a\xff"
	                   "b\xc0\xaf"
	                   "c\xed\xa0\x80"
	                   "d\xf4\x90\x80\x80"
	                   "e\xe2\x82",
	                   100, out);
	TAP_STREQ(out, "a?b??c???d????e??",
	          "clean: invalid bytes, overlong forms, surrogates, beyond U+10FFFF and a cut "
	          "sequence become ? per byte");
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	checkin_clean_text(big, CHECKIN_UA_MAX, out);
	TAP_CHECK(strlen(out) == CHECKIN_UA_MAX, "clean: a long value is cut at the bound");
	char euro[400] = "";
	for (int i = 0; i < 100; i++)
		strcat(euro, "\xe2\x82\xac");
	checkin_clean_text(euro, 256, out);
	TAP_CHECK(strlen(out) == 255 && memcmp(out + 252, "\xe2\x82\xac", 3) == 0,
	          "clean: the cut falls before a character that would not fit whole");
	checkin_clean_text(NULL, 10, out);
	TAP_STREQ(out, "", "clean: no value is the empty text");
}

static void
test_format_parse(void)
{
	char text[CHECKIN_NOTE_MAX];
	struct checkin_note n = note_of("aa-bb-cc-dd-ee-ff", 1700000000, ETAG_A, "ua \"1\"");
	size_t len = checkin_format(&n, text);
	struct checkin_note back;
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", text, len, &back) && back.at == 1700000000 &&
	                  back.has_etag && strcmp(back.etag, ETAG_A) == 0 && !back.authenticated &&
	                  strcmp(back.addr, "192.0.2.7") == 0 &&
	                  strcmp(back.user_agent, "ua \"1\"") == 0 &&
	                  strcmp(back.mac, "aa-bb-cc-dd-ee-ff") == 0,
	          "note: what is written parses back the same");
	n.authenticated = true;
	len = checkin_format(&n, text);
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", text, len, &back) && back.authenticated &&
	                  strstr(text, "\nauthenticated\n") != NULL,
	          "note: an authenticated fetch parses back as one");
	static const char five[] = "iotconfig-fetch 1\n7\n-\n192.0.2.1\nold\n";
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", five, sizeof five - 1, &back) &&
	                  !back.authenticated && back.at == 7 &&
	                  strcmp(back.user_agent, "old") == 0,
	          "note: a note of five lines (before device secrets) is an unauthenticated fetch");
	n = note_of("aa-bb-cc-dd-ee-ff", 5, NULL, "");
	len = checkin_format(&n, text);
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", text, len, &back) && !back.has_etag &&
	                  back.user_agent[0] == '\0',
	          "note: no ETag (no config) and no User-Agent parse back");
	n = note_of("aa-bb-cc-dd-ee-ff", 5, ETAG_A, "x");
	len = checkin_format(&n, text);
	TAP_CHECK(!checkin_parse("aa-bb-cc-dd-ee-ff", text, len - 1, &back),
	          "note: a note without its last newline (cut) is refused");
	static const char *const bad[] = {
	        "",
	        "iotconfig-fetch 2\n1\n-\n\n\n",
	        "iotconfig-fetch 1\n-1\n-\n\n\n",
	        "iotconfig-fetch 1\nx\n-\n\n\n",
	        "iotconfig-fetch 1\n1\n" ETAG_A "0\n\n\n",
	        "iotconfig-fetch 1\n1\n0123456789ABCDEF0123456789ABCDEF\n\n\n",
	        "iotconfig-fetch 1\n1\n-\n\n\nextra",
	        "iotconfig-fetch 1\n1\n-\n\n",
	        "iotconfig-fetch 1\n1\n-\n\n\nyes\n",
	        "iotconfig-fetch 1\n1\n-\n\n\n-\nmore\n",
	};
	bool refused = true;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		refused &= !checkin_parse("aa-bb-cc-dd-ee-ff", bad[i], strlen(bad[i]), &back);
	TAP_CHECK(refused, "note: another version, a bad time or ETag, extra or missing lines "
	                   "are refused");
	const char edited[] = "iotconfig-fetch 1\n1\n-\n\x01"
	                      "a\xff\n\x1b[1mua\n";
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", edited, sizeof edited - 1, &back) &&
	                  strcmp(back.addr, "a?") == 0 && strcmp(back.user_agent, "[1mua") == 0,
	          "note: text fields of a file edited by hand are cleaned again");
}

static void
test_due(void)
{
	checkin_forget();
	const uint64_t m = 0xaabbccddeeffull;
	TAP_CHECK(checkin_due(m, ETAG_A, false, 1000, 60),
	          "due: the first fetch of a MAC is written");
	TAP_CHECK(!checkin_due(m, ETAG_A, false, 1000 + 59999, 60),
	          "due: the same ETag within the interval is not written");
	TAP_CHECK(checkin_due(m, ETAG_A, false, 1000 + 60000, 60),
	          "due: the same ETag once the interval has passed is written");
	TAP_CHECK(checkin_due(m, ETAG_B, false, 1000 + 60001, 60),
	          "due: a changed ETag is written at once");
	TAP_CHECK(checkin_due(m, NULL, false, 1000 + 60002, 60),
	          "due: no config after an ETag is a change, written at once");
	TAP_CHECK(!checkin_due(m, NULL, false, 1000 + 60003, 60),
	          "due: no config again within the interval is not written");
	TAP_CHECK(checkin_due(m, ETAG_A, false, 1000 + 60004, 60),
	          "due: an ETag after no config is written at once");
	TAP_CHECK(checkin_due(m + 1, ETAG_A, false, 1000 + 60005, 60),
	          "due: another MAC has its own interval");
	bool all = true;
	for (uint64_t i = 0; i < 5000; i++)
		all &= checkin_due(i << 8, ETAG_A, false, 5000, 60);
	bool none = true;
	for (uint64_t i = 0; i < 5000; i++)
		none &= !checkin_due(i << 8, ETAG_A, false, 6000, 60);
	TAP_CHECK(all && none, "due: 5000 MACs are each remembered across the table's growth");
	checkin_forget();
	TAP_CHECK(checkin_due(m, ETAG_A, false, 6000, 60), "due: a MAC forgotten is written again");
	TAP_CHECK(checkin_due(m, ETAG_A, true, 6001, 60) &&
	                  !checkin_due(m, ETAG_A, true, 6002, 60) &&
	                  checkin_due(m, ETAG_A, false, 6003, 60),
	          "due: a fetch with the device's secret after one without, or the other way, is "
	          "written at once");
}

static void
test_files(void)
{
	char tmpl[] = "/tmp/iotconfig-test-checkin.XXXXXX";
	char *dir = mkdtemp(tmpl);
	TAP_CHECK(dir != NULL, "files: a temp directory");
	if (dir == NULL)
		return;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	int64_t now = (int64_t)time(NULL);
	struct store_result r;
	struct checkin_note *list = NULL;
	size_t n = 99;
	TAP_CHECK(checkin_list(dirfd, now, &list, &n, &r) == 0 && n == 0,
	          "files: no notes directory lists nothing");
	struct checkin_note got;
	TAP_CHECK(checkin_read(dirfd, "aa-bb-cc-dd-ee-ff", now, &got, &r) == 0,
	          "files: no notes directory reads as no note");
	char path[512], text[CHECKIN_NOTE_MAX];
	snprintf(path, sizeof path, "%s/.fetches", dir);
	mkdir(path, 0755);
	TAP_CHECK(checkin_list(dirfd, now, &list, &n, &r) == 0 && n == 0,
	          "files: an empty notes directory lists nothing");

	fsyncs = 0;
	struct checkin_note b = note_of("bb-00-00-00-00-01", now, ETAG_A, "b");
	struct checkin_note a = note_of("aa-00-00-00-00-01", now - 10, NULL, "a");
	struct checkin_note old =
	        note_of("cc-00-00-00-00-01", now - CHECKIN_MAX_AGE - 1, ETAG_B, "c");
	TAP_CHECK(checkin_write(dirfd, &b, &r) == 0 && checkin_write(dirfd, &a, &r) == 0 &&
	                  checkin_write(dirfd, &old, &r) == 0,
	          "files: notes are written");
	TAP_CHECK(fsyncs == 0, "files: writing notes makes no fsync");
	b.at = now + 1;
	snprintf(b.user_agent, sizeof b.user_agent, "b2");
	TAP_CHECK(checkin_write(dirfd, &b, &r) == 0, "files: a note is replaced");

	snprintf(path, sizeof path, "%s/.fetches/bb-00-00-00-00-01", dir);
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(text, 1, sizeof text, f) : 0;
	if (f)
		fclose(f);
	char want[CHECKIN_NOTE_MAX];
	size_t wlen = checkin_format(&b, want);
	TAP_CHECK(len == wlen && memcmp(text, want, len) == 0,
	          "files: the file holds exactly the newest note");

	/* What the list must leave alone or clean up. */
	snprintf(path, sizeof path, "%s/.fetches/AA-00-00-00-00-02", dir);
	write_file(path, want);
	snprintf(path, sizeof path, "%s/.fetches/dd-00-00-00-00-01.json", dir);
	write_file(path, want);
	snprintf(path, sizeof path, "%s/.fetches/ee-00-00-00-00-01", dir);
	write_file(path, "not a note\n");
	snprintf(path, sizeof path, "%s/.fetches/.tmp-0000000000000001", dir);
	write_file(path, "left by a writer that died\n");
	struct timespec times[2] = {{.tv_sec = (time_t)(now - CHECKIN_TEMP_MAX_AGE - 10)},
	                            {.tv_sec = (time_t)(now - CHECKIN_TEMP_MAX_AGE - 10)}};
	utimensat(AT_FDCWD, path, times, 0);
	snprintf(path, sizeof path, "%s/.fetches/.tmp-0000000000000002", dir);
	write_file(path, "a writer at work\n");

	TAP_CHECK(checkin_list(dirfd, now, &list, &n, &r) == 0 && n == 2 &&
	                  strcmp(list[0].mac, "aa-00-00-00-00-01") == 0 && !list[0].has_etag &&
	                  strcmp(list[1].mac, "bb-00-00-00-00-01") == 0 &&
	                  strcmp(list[1].user_agent, "b2") == 0 && list[1].at == now + 1,
	          "files: the list holds the valid notes, sorted by MAC");
	snprintf(path, sizeof path, "%s/.fetches/cc-00-00-00-00-01", dir);
	TAP_CHECK(access(path, F_OK) != 0 && errno == ENOENT,
	          "files: a note older than 90 days is removed by the list");
	snprintf(path, sizeof path, "%s/.fetches/.tmp-0000000000000001", dir);
	bool old_gone = access(path, F_OK) != 0;
	snprintf(path, sizeof path, "%s/.fetches/.tmp-0000000000000002", dir);
	TAP_CHECK(old_gone && access(path, F_OK) == 0,
	          "files: a temp file older than a day is removed, a fresh one is not");
	snprintf(path, sizeof path, "%s/.fetches/AA-00-00-00-00-02", dir);
	TAP_CHECK(access(path, F_OK) == 0,
	          "files: a name that is not a canonical MAC is left alone");

	TAP_CHECK(checkin_read(dirfd, "bb-00-00-00-00-01", now, &got, &r) == 1 && got.has_etag &&
	                  strcmp(got.etag, ETAG_A) == 0,
	          "files: one note is read back");
	TAP_CHECK(checkin_read(dirfd, "ff-00-00-00-00-01", now, &got, &r) == 0,
	          "files: a MAC without a note reads as none");
	TAP_CHECK(checkin_read(dirfd, "bb-00-00-00-00-01", now + CHECKIN_MAX_AGE + 2, &got, &r) ==
	                  0,
	          "files: a note older than 90 days reads as none");
	TAP_CHECK(checkin_read(dirfd, "bb-00-00-00-00-01", now + CHECKIN_MISSING_MAX_AGE + 2, &got,
	                       &r) == 1,
	          "files: a note of a served config older than 7 days is kept");
	TAP_CHECK(checkin_read(dirfd, "aa-00-00-00-00-01", now + CHECKIN_MISSING_MAX_AGE - 20, &got,
	                       &r) == 1,
	          "files: a note of a missing config younger than 7 days is kept");
	TAP_CHECK(checkin_list(dirfd, now + CHECKIN_MISSING_MAX_AGE + 2, &list, &n, &r) == 0 &&
	                  n == 1 && strcmp(list[0].mac, "bb-00-00-00-00-01") == 0,
	          "files: a note of a missing config older than 7 days is dropped from the list");
	snprintf(path, sizeof path, "%s/.fetches/aa-00-00-00-00-01", dir);
	TAP_CHECK(access(path, F_OK) != 0 && errno == ENOENT,
	          "files: and removed from the directory");
	/* Only the hidden directory was touched: no config or other file appeared. */
	int count = 0;
	snprintf(path, sizeof path, "ls -A %s", dir);
	FILE *ls = popen(path, "r");
	char line[256];
	while (ls && fgets(line, sizeof line, ls))
		count++;
	if (ls)
		pclose(ls);
	TAP_CHECK(count == 1, "files: the config directory holds only .fetches");

	/* A file where the directory should be: writing fails, and says why. */
	close(dirfd);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	TAP_CHECK(mkdir(dir, 0755) == 0, "files: a fresh directory");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof path, "%s/.fetches", dir);
	write_file(path, "a file\n");
	TAP_CHECK(checkin_write(dirfd, &a, &r) == -1 && r.op != NULL && r.sys_errno == ENOTDIR,
	          "files: .fetches that is not a directory fails the write with its reason");
	close(dirfd);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	test_clean_text();
	test_format_parse();
	test_due();
	test_files();
	return tap_done();
}
