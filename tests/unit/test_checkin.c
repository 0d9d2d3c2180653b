/*
 * test_checkin.c: the fetch notes of checkin_note.c and checkin.c. The
 * pure parts: text cleaning (length bound cut at a character, control
 * bytes removed, invalid UTF-8 as "?"), the note's file format both ways
 * (and the first form, still read), the rule that tells the device among
 * a MAC's clients, and when a fetch is due to be written, decided from
 * the note alone (so a held ETag that changes back is written at once,
 * whichever process saw it before). The files, in throw-away directories
 * under /tmp: a note is written whole without any fsync and leaves no
 * temp file, read back, walked sorted by MAC; notes too old and temp
 * files older than a day are removed by the walk; names that are not
 * canonical MACs, and configs, are never taken for notes; fetches of
 * missing configs stay within their bound while a device that polls is
 * kept; a deleted config's notes go; an old note of a missing config is
 * moved where the bound applies.
 *
 * fsync() is interposed to count calls: noting must never make one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkin.h"
#include "metrics.h"
#include "tap.h"
#define TESTFS_FSYNCS
#include "testfs.h"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A note of one client fetching at `at` (first seen then too). */
static struct checkin_note
note_of(const char *mac, int64_t at, const char *etag, const char *ua)
{
	struct checkin_note n;
	memset(&n, 0, sizeof n);
	snprintf(n.mac, sizeof n.mac, "%s", mac);
	n.n = 1;
	n.client[0].at = n.client[0].first_at = at;
	n.client[0].has_etag = etag != NULL;
	snprintf(n.client[0].etag, sizeof n.client[0].etag, "%s", etag ? etag : "");
	snprintf(n.client[0].addr, sizeof n.client[0].addr, "192.0.2.7");
	snprintf(n.client[0].user_agent, sizeof n.client[0].user_agent, "%s", ua);
	return n;
}

/* A fetch of mac by (addr, ua) holding etag (NULL: no config). */
static struct checkin_fetch
fetch_of(const char *mac, const char *etag, const char *addr, const char *ua)
{
	struct checkin_fetch f;
	checkin_fetch_init(&f, mac, etag, false, addr, ua);
	return f;
}

/* The device client's User-Agent ("" when none); secret: the device's secret is checked. */
static const char *
device_ua_of(const struct checkin_note *n, unsigned interval, bool secret)
{
	int d = checkin_device_client(n, interval, secret);
	return d < 0 ? "" : n->client[d].user_agent;
}

static const char *
device_ua(const struct checkin_note *n, unsigned interval)
{
	return device_ua_of(n, interval, true);
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
	int rc = checkin_each(dirfd, now, 1000, collect, &c, r);
	*out = c.notes;
	*n = c.n;
	return rc;
}

#define ETAG_A "0123456789abcdef0123456789abcdef"
#define ETAG_B "fedcba9876543210fedcba9876543210"
#define ETAG_C "00000000000000000000000000000000"

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
	n.client[0].first_at = 1600000000;
	n.n = CHECKIN_CLIENTS;
	for (size_t i = 1; i < CHECKIN_CLIENTS; i++) {
		n.client[i] = n.client[0];
		n.client[i].at += (int64_t)i;
		n.client[i].has_etag = i != 2;
		if (i == 2)
			memset(n.client[i].etag, 0, sizeof n.client[i].etag);
		n.client[i].authenticated = i == 3;
		memset(n.client[i].user_agent, 'u', CHECKIN_UA_MAX);
		n.client[i].user_agent[CHECKIN_UA_MAX] = '\0';
		memset(n.client[i].addr, 'a', CHECKIN_ADDR_MAX);
		n.client[i].addr[CHECKIN_ADDR_MAX] = '\0';
	}
	size_t len = checkin_format(&n, text);
	struct checkin_note back;
	TAP_CHECK(len > 0 && checkin_parse("aa-bb-cc-dd-ee-ff", text, len, &back) &&
	                  memcmp(&back, &n, sizeof n) == 0,
	          "note: every client, at their longest, is written and parses back the same");
	TAP_CHECK(strncmp(text, "iotconfig-fetch 2\n1700000000\t1600000000\t" ETAG_A "\t0\t", 60) ==
	                  0,
	          "note: the file is the magic line, then a tab-separated line per client");
	n = note_of("aa-bb-cc-dd-ee-ff", 5, NULL, "");
	len = checkin_format(&n, text);
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", text, len, &back) && back.n == 1 &&
	                  !back.client[0].has_etag && back.client[0].user_agent[0] == '\0',
	          "note: no ETag (no config) and no User-Agent parse back");
	TAP_CHECK(!checkin_parse("aa-bb-cc-dd-ee-ff", text, len - 1, &back),
	          "note: a note without its last newline (cut) is refused");

	/* Notes written before several clients were kept. */
	const char v1[] = "iotconfig-fetch 1\n1700000000\n" ETAG_B "\n192.0.2.1\nESP32HTTPClient\n";
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", v1, sizeof v1 - 1, &back) && back.n == 1 &&
	                  back.client[0].at == 1700000000 &&
	                  back.client[0].first_at == 1700000000 && back.client[0].has_etag &&
	                  strcmp(back.client[0].etag, ETAG_B) == 0 &&
	                  strcmp(back.client[0].addr, "192.0.2.1") == 0 &&
	                  strcmp(back.client[0].user_agent, "ESP32HTTPClient") == 0 &&
	                  !back.client[0].authenticated,
	          "note: a note of the first form still parses, as one client");
	const char v1_missing[] = "iotconfig-fetch 1\n5\n-\n\n\n";
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", v1_missing, sizeof v1_missing - 1, &back) &&
	                  back.n == 1 && !back.client[0].has_etag,
	          "note: a first-form note of a missing config parses");

	static const char *const bad[] = {
	        "",
	        "iotconfig-fetch 3\n1\t1\t-\t0\t\t\n",
	        "iotconfig-fetch 2\n",
	        "iotconfig-fetch 2\n-1\t1\t-\t0\t\t\n",
	        "iotconfig-fetch 2\n1\tx\t-\t0\t\t\n",
	        "iotconfig-fetch 2\n1\t2\t-\t0\t\t\n", /* first after last */
	        "iotconfig-fetch 2\n1\t1\t" ETAG_A "0\t0\t\t\n",
	        "iotconfig-fetch 2\n1\t1\t0123456789ABCDEF0123456789ABCDEF\t0\t\t\n",
	        "iotconfig-fetch 2\n1\t1\t-\t2\t\t\n",
	        "iotconfig-fetch 2\n1\t1\t-\t0\t\n",
	        "iotconfig-fetch 2\n1\t1\t-\t0\t\t\t\n",
	        "iotconfig-fetch 2\n1\t1\t-\t0\t\t\nextra",
	        "iotconfig-fetch 2\n1\t1\t-\t0\t\t\n1\t1\t-\t0\ta\t\n1\t1\t-\t0\tb\t\n"
	        "1\t1\t-\t0\tc\t\n1\t1\t-\t0\td\t\n", /* five clients */
	        "iotconfig-fetch 1\n-1\n-\n\n\n",
	        "iotconfig-fetch 1\n1\n-\n\n",
	        "iotconfig-fetch 1\n1\n-\n\n\n\n",
	};
	bool refused = true;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		refused &= !checkin_parse("aa-bb-cc-dd-ee-ff", bad[i], strlen(bad[i]), &back);
	TAP_CHECK(refused, "note: another form, bad times, ETags or flags, missing, extra or too "
	                   "many lines are refused");
	const char edited[] = "iotconfig-fetch 2\n1\t1\t-\t0\t\x01"
	                      "a\xff\t\x1b[1mua\n";
	TAP_CHECK(checkin_parse("aa-bb-cc-dd-ee-ff", edited, sizeof edited - 1, &back) &&
	                  strcmp(back.client[0].addr, "a?") == 0 &&
	                  strcmp(back.client[0].user_agent, "[1mua") == 0,
	          "note: text fields of a file edited by hand are cleaned again");
}

static void
test_rule(void)
{
	const unsigned iv = 60;
	struct checkin_note n = note_of("aa-bb-cc-dd-ee-ff", 1000, ETAG_A, "device");
	TAP_STREQ(device_ua(&n, iv), "device", "rule: a single client is the device");
	/* A read by someone else after the device's first fetch. */
	n.n = 2;
	n.client[1] = n.client[0];
	n.client[1].at = n.client[1].first_at = 1010;
	snprintf(n.client[1].user_agent, sizeof n.client[1].user_agent, "curl/8");
	TAP_STREQ(device_ua(&n, iv), "device",
	          "rule: while none is regular, the client seen first is the device");
	n.client[0].at = 1000 + 60;
	TAP_STREQ(device_ua(&n, iv), "device",
	          "rule: a client noted an interval after its first fetch is regular, and wins");
	n.client[1].at = 5000; /* a later single read */
	n.client[1].first_at = 5000;
	TAP_STREQ(device_ua(&n, iv), "device",
	          "rule: a newer single read does not replace a regular device");
	n.client[1].first_at = 4000; /* the other client polls too, and fetched last */
	TAP_STREQ(device_ua(&n, iv), "curl/8",
	          "rule: of two regular clients, the one that fetched last (a new firmware)");
	n.client[1].first_at = n.client[1].at - 59;
	TAP_STREQ(device_ua(&n, iv), "device",
	          "rule: less than an interval between first and last fetch is not regular");
	n.client[0].at = n.client[0].first_at; /* neither regular: the first seen */
	n.client[1].first_at = 900;
	TAP_STREQ(device_ua(&n, 10000), "curl/8",
	          "rule: the first seen is the earliest first fetch");
	n.client[1].authenticated = true;
	n.client[1].at = n.client[1].first_at = 9000;
	n.client[0].at = 20000;
	TAP_STREQ(device_ua(&n, iv), "curl/8",
	          "rule: when a client fetched authenticated, only such clients count");
	TAP_STREQ(device_ua_of(&n, iv, false), "device",
	          "rule: once no secret is checked (revoked, DEVICE_AUTH off), an earlier "
	          "authenticated client is one like the others: the regular one wins");
	n.client[1].at = n.client[1].first_at = 30000;
	TAP_STREQ(device_ua_of(&n, iv, false), "device",
	          "rule: without a secret checked, a newer single authenticated fetch does not "
	          "replace the regular device either");
	n.n = 0;
	TAP_CHECK(checkin_device_client(&n, iv, true) == -1,
	          "rule: a note without clients has no device");
}

static void
test_update(void)
{
	const unsigned iv = 60;
	const char *mac = "aa-bb-cc-dd-ee-ff";
	struct checkin_note n;
	memset(&n, 0, sizeof n);
	snprintf(n.mac, sizeof n.mac, "%s", mac);
	struct checkin_fetch dev = fetch_of(mac, ETAG_A, "192.0.2.7", "esp32");
	TAP_CHECK(checkin_update(&n, &dev, 1000, iv) == 0 && n.n == 1 && n.client[0].at == 1000 &&
	                  n.client[0].first_at == 1000 && strcmp(n.client[0].etag, ETAG_A) == 0,
	          "update: a client's first fetch is due");
	struct checkin_note before = n;
	TAP_CHECK(checkin_update(&n, &dev, 1060, iv) == -1 && memcmp(&n, &before, sizeof n) == 0,
	          "update: the same ETag within the interval (whole seconds: up to it) is not due, "
	          "the note is untouched");
	TAP_CHECK(checkin_update(&n, &dev, 1061, iv) == 0 && n.client[0].at == 1061 &&
	                  n.client[0].first_at == 1000,
	          "update: the same ETag once the interval has passed is due; first fetch kept");
	dev = fetch_of(mac, ETAG_B, "192.0.2.7", "esp32");
	TAP_CHECK(checkin_update(&n, &dev, 1061, iv) == 0 && strcmp(n.client[0].etag, ETAG_B) == 0,
	          "update: a changed ETag is due at once");
	/* The note says B (written by another process); the device holds A again. */
	dev = fetch_of(mac, ETAG_A, "192.0.2.7", "esp32");
	TAP_CHECK(checkin_update(&n, &dev, 1062, iv) == 0 && strcmp(n.client[0].etag, ETAG_A) == 0,
	          "update: an ETag that changes back is due at once: the note decides, not memory");
	dev = fetch_of(mac, NULL, "192.0.2.7", "esp32");
	TAP_CHECK(checkin_update(&n, &dev, 1063, iv) == 0 && !n.client[0].has_etag,
	          "update: no config after an ETag is due at once");
	TAP_CHECK(checkin_update(&n, &dev, 1064, iv) == -1,
	          "update: no config again within the interval is not due");
	dev = fetch_of(mac, ETAG_A, "192.0.2.7", "esp32");
	TAP_CHECK(checkin_update(&n, &dev, 1065, iv) == 0, "update: an ETag after none is due");
	TAP_CHECK(checkin_update(&n, &dev, 1065 - 61, iv) == 0 && n.client[0].at == 1065 - 61,
	          "update: a note from a clock an interval ahead does not stop noting");

	/* Other clients of the same MAC. */
	struct checkin_fetch curl = fetch_of(mac, ETAG_A, "192.0.2.7", "curl/8.5");
	TAP_CHECK(checkin_update(&n, &curl, 1070, iv) == 1 && n.n == 2 &&
	                  strcmp(n.client[0].user_agent, "esp32") == 0,
	          "update: another User-Agent is another client; the device's line stays");
	struct checkin_fetch other_addr = fetch_of(mac, ETAG_A, "192.0.2.8", "esp32");
	TAP_CHECK(checkin_update(&n, &other_addr, 1071, iv) == 2 && n.n == 3,
	          "update: another address is another client");
	struct checkin_fetch authed = dev;
	authed.authenticated = true;
	TAP_CHECK(checkin_update(&n, &authed, 1072, iv) == 3 && n.n == 4 &&
	                  n.client[3].authenticated,
	          "update: an authenticated fetch is a client of its own");
	/* Make the device regular, then let strangers come: it is never given up. */
	n.n = 2;
	n.client[0].first_at = 0;
	n.client[0].at = 1000;
	bool kept = true;
	for (int i = 0; i < 20; i++) {
		char ua[32];
		snprintf(ua, sizeof ua, "scanner-%d", i);
		struct checkin_fetch s = fetch_of(mac, ETAG_C, "198.51.100.1", ua);
		kept &= checkin_update(&n, &s, 2000 + i, iv) >= 0;
		kept &= strcmp(device_ua(&n, iv), "esp32") == 0;
	}
	TAP_CHECK(kept && n.n == CHECKIN_CLIENTS,
	          "update: 20 other clients never push the device out");
	bool strangers_churn = true;
	for (size_t i = 0; i < n.n; i++)
		if (strcmp(n.client[i].user_agent, "esp32") != 0)
			strangers_churn &= strncmp(n.client[i].user_agent, "scanner-1", 9) == 0;
	TAP_CHECK(strangers_churn, "update: a new client replaces the oldest of the others");
	/* A regular other client is kept over one seen once. */
	n = note_of(mac, 1000, ETAG_A, "esp32");
	n.client[0].first_at = 0;
	for (int i = 0; i < 3; i++) {
		char ua[32];
		snprintf(ua, sizeof ua, "c%d", i);
		struct checkin_fetch s = fetch_of(mac, ETAG_A, "192.0.2.9", ua);
		checkin_update(&n, &s, 100 + i, iv);
	}
	n.client[1].first_at = 0; /* "c0": regular, and the oldest */
	struct checkin_fetch late = fetch_of(mac, ETAG_A, "192.0.2.9", "late");
	checkin_update(&n, &late, 3000, iv);
	bool c0 = false, c1 = false;
	for (size_t i = 0; i < n.n; i++) {
		c0 |= strcmp(n.client[i].user_agent, "c0") == 0;
		c1 |= strcmp(n.client[i].user_agent, "c1") == 0;
	}
	TAP_CHECK(c0 && !c1, "update: clients seen once are replaced before regular ones");

	n = note_of(mac, 1000, ETAG_A, "old");
	n.n = 2;
	n.client[1] = n.client[0];
	n.client[1].at = 5000;
	checkin_drop_older(&n, 5000 + 100, 200);
	TAP_CHECK(n.n == 1 && n.client[0].at == 5000, "update: clients older than the bound go");
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
	TAP_CHECK(checkin_read(dirfd, "aa-bb-cc-dd-ee-ff", now, &got, NULL, &r) == 0,
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
	TAP_CHECK(checkin_write(dirfd, CHECKIN_CONFIGURED, &b, &r) == 0 &&
	                  checkin_write(dirfd, CHECKIN_ONCE, &a, &r) == 0 &&
	                  checkin_write(dirfd, CHECKIN_CONFIGURED, &old, &r) == 0,
	          "files: notes are written");
	TAP_CHECK(fsyncs == 0, "files: writing notes makes no fsync");
	b.client[0].at = now + 1;
	snprintf(b.client[0].user_agent, sizeof b.client[0].user_agent, "b2");
	TAP_CHECK(checkin_write(dirfd, CHECKIN_CONFIGURED, &b, &r) == 0,
	          "files: a note is replaced");

	snprintf(path, sizeof path, "%s/.fetches/bb-00-00-00-00-01", dir);
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(text, 1, sizeof text, f) : 0;
	if (f)
		fclose(f);
	char want[CHECKIN_NOTE_MAX];
	size_t wlen = checkin_format(&b, want);
	TAP_CHECK(len == wlen && memcmp(text, want, len) == 0,
	          "files: the file holds exactly the newest note");
	snprintf(path, sizeof path, "%s/.fetches/once/aa-00-00-00-00-01", dir);
	TAP_CHECK(access(path, F_OK) == 0, "files: a note of a missing config lives in once/");

	/* What the walk must leave alone or clean up. */
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
	                  strcmp(list[0].mac, "aa-00-00-00-00-01") == 0 &&
	                  !list[0].client[0].has_etag &&
	                  strcmp(list[1].mac, "bb-00-00-00-00-01") == 0 &&
	                  strcmp(list[1].client[0].user_agent, "b2") == 0 &&
	                  list[1].client[0].at == now + 1,
	          "files: the walk gives the valid notes of every kind, sorted by MAC");
	snprintf(path, sizeof path, "%s/.fetches/cc-00-00-00-00-01", dir);
	TAP_CHECK(access(path, F_OK) != 0 && errno == ENOENT,
	          "files: a note older than 90 days is removed by the walk");
	snprintf(path, sizeof path, "%s/.fetches/.tmp-0000000000000001", dir);
	bool old_gone = access(path, F_OK) != 0;
	snprintf(path, sizeof path, "%s/.fetches/.tmp-0000000000000002", dir);
	TAP_CHECK(old_gone && access(path, F_OK) == 0,
	          "files: a temp file older than a day is removed, a fresh one is not");
	snprintf(path, sizeof path, "%s/.fetches/AA-00-00-00-00-02", dir);
	TAP_CHECK(access(path, F_OK) == 0,
	          "files: a name that is not a canonical MAC is left alone");
	snprintf(path, sizeof path, "%s/.fetches/fa-00-00-00-00-01", dir);
	bool made = mkfifo(path, 0644) == 0;
	snprintf(path, sizeof path, "%s/.fetches/fa-00-00-00-00-02", dir);
	made &= mkdir(path, 0755) == 0;
	TAP_CHECK(made && checkin_list(dirfd, now, &list, &n, &r) == 0 && n == 2 &&
	                  checkin_read(dirfd, "fa-00-00-00-00-01", now, &got, NULL, &r) == 0 &&
	                  checkin_read(dirfd, "fa-00-00-00-00-02", now, &got, NULL, &r) == 0,
	          "files: a FIFO or a directory named like a note is no note, and blocks nothing");
	snprintf(path, sizeof path, "%s/.fetches/fa-00-00-00-00-01", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/.fetches/fa-00-00-00-00-02", dir);
	rmdir(path);

	enum checkin_kind kind = CHECKIN_WAITING;
	TAP_CHECK(checkin_read(dirfd, "bb-00-00-00-00-01", now, &got, &kind, &r) == 1 &&
	                  got.client[0].has_etag && strcmp(got.client[0].etag, ETAG_A) == 0 &&
	                  kind == CHECKIN_CONFIGURED,
	          "files: one note is read back, with its kind");
	TAP_CHECK(checkin_read(dirfd, "aa-00-00-00-00-01", now, &got, &kind, &r) == 1 &&
	                  kind == CHECKIN_ONCE,
	          "files: a note of a missing config is read back too");
	TAP_CHECK(checkin_read(dirfd, "ff-00-00-00-00-01", now, &got, NULL, &r) == 0,
	          "files: a MAC without a note reads as none");
	TAP_CHECK(checkin_read(dirfd, "bb-00-00-00-00-01", now + CHECKIN_MAX_AGE + 2, &got, NULL,
	                       &r) == 0,
	          "files: a note older than 90 days reads as none");
	TAP_CHECK(checkin_read(dirfd, "bb-00-00-00-00-01", now + CHECKIN_MISSING_MAX_AGE + 2, &got,
	                       NULL, &r) == 1,
	          "files: a note of a served config older than 7 days is kept");
	TAP_CHECK(checkin_list(dirfd, now + CHECKIN_MISSING_MAX_AGE + 2, &list, &n, &r) == 0 &&
	                  n == 1 && strcmp(list[0].mac, "bb-00-00-00-00-01") == 0,
	          "files: a note of a missing config older than 7 days is dropped from the walk");
	snprintf(path, sizeof path, "%s/.fetches/once/aa-00-00-00-00-01", dir);
	TAP_CHECK(access(path, F_OK) != 0 && errno == ENOENT,
	          "files: and removed from the directory");

	/* A deleted config's notes go, of whatever kind. */
	checkin_write(dirfd, CHECKIN_WAITING, &a, &r);
	TAP_CHECK(checkin_drop(dirfd, "bb-00-00-00-00-01", &r) == 0 &&
	                  checkin_drop(dirfd, "aa-00-00-00-00-01", &r) == 0 &&
	                  checkin_drop(dirfd, "ab-00-00-00-00-01", &r) == 0 &&
	                  checkin_read(dirfd, "bb-00-00-00-00-01", now, &got, NULL, &r) == 0 &&
	                  checkin_read(dirfd, "aa-00-00-00-00-01", now, &got, NULL, &r) == 0,
	          "files: dropping a MAC removes its notes (none is no error)");

	/* A note of the first form, of a missing config, in .fetches itself. */
	snprintf(path, sizeof path, "%s/.fetches/ab-00-00-00-00-09", dir);
	char legacy[64];
	snprintf(legacy, sizeof legacy, "iotconfig-fetch 1\n%lld\n-\n\nold\n", (long long)now);
	write_file(path, legacy);
	TAP_CHECK(checkin_list(dirfd, now, &list, &n, &r) == 0 && n == 0 && access(path, F_OK) != 0,
	          "files: an old note of a missing config leaves .fetches ...");
	TAP_CHECK(checkin_read(dirfd, "ab-00-00-00-00-09", now, &got, &kind, &r) == 1 &&
	                  kind == CHECKIN_ONCE && strcmp(got.client[0].user_agent, "old") == 0 &&
	                  checkin_list(dirfd, now, &list, &n, &r) == 0 && n == 1,
	          "files: ... for once/, where the bound applies, and is listed from there");

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
	rm_tree(dir);
	TAP_CHECK(mkdir(dir, 0755) == 0, "files: a fresh directory");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof path, "%s/.fetches", dir);
	write_file(path, "a file\n");
	TAP_CHECK(checkin_write(dirfd, CHECKIN_CONFIGURED, &a, &r) == -1 && r.op != NULL &&
	                  r.sys_errno == ENOTDIR,
	          "files: .fetches that is not a directory fails the write with its reason");
	close(dirfd);
	rm_tree(dir);
}

/* Names in dir/.fetches/sub that are notes. */
static int
count_notes(const char *dir, const char *sub)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "ls -A %s/.fetches/%s 2>/dev/null | grep -cE '^([0-9a-f]{2}-){5}[0-9a-f]{2}$'",
	         dir, sub);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p != NULL) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static void
test_noting(void)
{
	char tmpl[] = "/tmp/iotconfig-test-noting.XXXXXX";
	char *dir = mkdtemp(tmpl);
	TAP_CHECK(dir != NULL, "noting: a temp directory");
	if (dir == NULL)
		return;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct store_result r;
	struct checkin_limits lim = {.interval_s = 60, .missing_max = 16};
	int64_t t = 1000000;
	struct checkin_note got;
	enum checkin_kind kind;

	/* Point of view of two processes: nothing is remembered between calls. */
	struct checkin_fetch v1 = fetch_of("aa-00-00-00-00-01", ETAG_A, "192.0.2.7", "esp32");
	struct checkin_fetch v2 = fetch_of("aa-00-00-00-00-01", ETAG_B, "192.0.2.7", "esp32");
	TAP_CHECK(checkin_note_fetch(dirfd, &lim, &v1, t, &r) == 1 &&
	                  checkin_note_fetch(dirfd, &lim, &v1, t + 1, &r) == 0 &&
	                  checkin_note_fetch(dirfd, &lim, &v2, t + 2, &r) == 1 &&
	                  checkin_note_fetch(dirfd, &lim, &v1, t + 3, &r) == 1 &&
	                  checkin_read(dirfd, "aa-00-00-00-00-01", t + 3, &got, &kind, &r) == 1 &&
	                  kind == CHECKIN_CONFIGURED && strcmp(got.client[0].etag, ETAG_A) == 0,
	          "noting: v1, v2, then v1 again within the interval: the note says v1");
	struct checkin_limits off = {.interval_s = 0, .missing_max = 16};
	TAP_CHECK(checkin_note_fetch(dirfd, &off, &v2, t + 4, &r) == 0 &&
	                  checkin_read(dirfd, "aa-00-00-00-00-01", t + 4, &got, NULL, &r) == 1 &&
	                  strcmp(got.client[0].etag, ETAG_A) == 0,
	          "noting: CHECKIN_INTERVAL=0 writes nothing");

	/* A scan of 200 MACs without configs stays within the bound. */
	bool each = true;
	for (int i = 0; i < 200; i++) {
		char mac[18];
		snprintf(mac, sizeof mac, "ee-00-00-00-%02x-%02x", i / 256, i % 256);
		struct checkin_fetch s = fetch_of(mac, NULL, "198.51.100.1", "scanner");
		each &= checkin_note_fetch(dirfd, &lim, &s, t + 10 + i / 10, &r) == 1;
	}
	int once = count_notes(dir, "once");
	TAP_CHECK(each && once > 0 && once <= 16,
	          "noting: 200 guessed MACs leave at most CHECKIN_MISSING_MAX notes in once/");
	TAP_CHECK(count_notes(dir, "waiting") <= 0, "noting: a scan fills no other kind");

	/* A device waiting for its config polls: it moves to waiting/ and stays. */
	struct checkin_fetch w = fetch_of("dd-00-00-00-00-01", NULL, "192.0.2.50", "esp32");
	TAP_CHECK(checkin_note_fetch(dirfd, &lim, &w, t + 100, &r) == 1 &&
	                  checkin_note_fetch(dirfd, &lim, &w, t + 130, &r) == 0 &&
	                  checkin_read(dirfd, "dd-00-00-00-00-01", t + 130, &got, &kind, &r) == 1 &&
	                  kind == CHECKIN_ONCE,
	          "noting: a waiting device's first fetch is in once/");
	TAP_CHECK(checkin_note_fetch(dirfd, &lim, &w, t + 161, &r) == 1 &&
	                  checkin_read(dirfd, "dd-00-00-00-00-01", t + 161, &got, &kind, &r) == 1 &&
	                  kind == CHECKIN_WAITING && got.client[0].first_at == t + 100,
	          "noting: its fetch an interval later moves it to waiting/");
	each = true;
	for (int i = 0; i < 500; i++) {
		char mac[18];
		snprintf(mac, sizeof mac, "ef-00-00-00-%02x-%02x", i / 256, i % 256);
		struct checkin_fetch s = fetch_of(mac, NULL, "198.51.100.1", "scanner");
		each &= checkin_note_fetch(dirfd, &lim, &s, t + 200, &r) == 1;
	}
	TAP_CHECK(each && checkin_read(dirfd, "dd-00-00-00-00-01", t + 200, &got, &kind, &r) == 1 &&
	                  kind == CHECKIN_WAITING && count_notes(dir, "once") <= 16,
	          "noting: a scan of 500 more MACs leaves the waiting device where it is");
	/* Its config appears: the note moves to .fetches, keeping its history. */
	struct checkin_fetch served = fetch_of("dd-00-00-00-00-01", ETAG_A, "192.0.2.50", "esp32");
	TAP_CHECK(checkin_note_fetch(dirfd, &lim, &served, t + 210, &r) == 1 &&
	                  checkin_read(dirfd, "dd-00-00-00-00-01", t + 210, &got, &kind, &r) == 1 &&
	                  kind == CHECKIN_CONFIGURED && got.n == 1 &&
	                  got.client[0].first_at == t + 100 && count_notes(dir, "waiting") == 0,
	          "noting: once served, the note moves to .fetches with its first fetch");

	/* waiting/ has its own bound. */
	struct checkin_limits small = {.interval_s = 60, .missing_max = 8};
	each = true;
	for (int i = 0; i < 20; i++) {
		char mac[18];
		snprintf(mac, sizeof mac, "d0-00-00-00-00-%02x", i);
		struct checkin_fetch s = fetch_of(mac, NULL, "192.0.2.51", "poller");
		each &= checkin_note_fetch(dirfd, &small, &s, t + 300, &r) == 1 &&
		        checkin_note_fetch(dirfd, &small, &s, t + 400, &r) == 1;
	}
	int waiting = count_notes(dir, "waiting");
	TAP_CHECK(each && waiting > 0 && waiting <= 8, "noting: waiting/ keeps its own bound");

	/* A walk with a smaller bound cuts each kind without a config to it. */
	static struct collected c;
	c.n = 0;
	TAP_CHECK(checkin_each(dirfd, t + 400, 2, collect, &c, &r) == 0 && c.n == 2 + 2 + 2 &&
	                  count_notes(dir, "waiting") == 2 && count_notes(dir, "once") == 2,
	          "noting: a walk cuts kinds over the bound (here 2 each) and lists what is left");
	struct checkin_limits none = {.interval_s = 60, .missing_max = 0};
	struct checkin_fetch s0 = fetch_of("c0-00-00-00-00-01", NULL, "198.51.100.1", "scanner");
	TAP_CHECK(checkin_note_fetch(dirfd, &none, &s0, t + 500, &r) == 0 &&
	                  checkin_read(dirfd, "c0-00-00-00-00-01", t + 500, &got, NULL, &r) == 0,
	          "noting: CHECKIN_MISSING_MAX=0 notes no fetch of a missing config");
	close(dirfd);
	rm_tree(dir);
}

int
main(void)
{
	test_clean_text();
	test_format_parse();
	test_rule();
	test_update();
	test_files();
	test_noting();
	return tap_done();
}
