/*
 * test_fwnote.c: the device notes of fwnote.c. The file format both ways
 * (anything else refused: a wrong magic, a missing line, a bad version or
 * model, a line too many); the states against a target: current from a
 * report or, for a device that never reports, from its last complete
 * download; downloading while a download of the target runs or has just
 * completed; failed once FIRMWARE_FAIL_AFTER has passed since a complete
 * download without a report of the target; behind and unknown otherwise;
 * what a request changes in a note and when that is worth a write (a new
 * download or report, a report after a completed download, the time seen
 * older than the interval); a note written without fsync and read back.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwnote.h"
#include "tap.h"
#define TESTFS_FSYNCS
#include "testfs.h"

/* As a request does it: the note changes only when it is written. */
static bool
merge(struct fwnote *n, const struct fwnote_event *ev, int64_t now, unsigned interval)
{
	struct fwnote before = *n;
	bool write = fwnote_merge(n, ev, now, interval);
	if (!write)
		*n = before;
	return write;
}

static struct fwnote
note(const char *reported, int64_t rep_at, const char *dl, int64_t start, int64_t done)
{
	struct fwnote n;
	memset(&n, 0, sizeof n);
	strcpy(n.mac, "aa-bb-cc-dd-ee-ff");
	strcpy(n.model, "cam");
	n.seen_at = 1000;
	snprintf(n.reported, sizeof n.reported, "%s", reported);
	n.reported_at = rep_at;
	snprintf(n.download, sizeof n.download, "%s", dl);
	n.started_at = start;
	n.completed_at = done;
	return n;
}

int
main(void)
{
	/* --- format ----------------------------------------------------------- */
	struct fwnote n = note("1.0.0", 900, "1.1.0", 950, 960), back;
	char text[FWNOTE_MAX];
	size_t len = fwnote_format(&n, text);
	TAP_CHECK(len > 0 && fwnote_parse(n.mac, text, len, &back) &&
	                  memcmp(&n, &back, sizeof n) == 0,
	          "fwnote: a note reads back as written");
	TAP_STREQ(text, "iotconfig-firmware 1\ncam\n1000\n1.0.0\n900\n1.1.0\n950\n960\n",
	          "fwnote: the file is eight lines");
	n = note("", 0, "", 0, 0);
	len = fwnote_format(&n, text);
	TAP_CHECK(fwnote_parse(n.mac, text, len, &back) && back.reported[0] == '\0' &&
	                  back.download[0] == '\0',
	          "fwnote: no report and no download read as none");
	TAP_CHECK(!fwnote_parse(n.mac, text, len - 1, &back),
	          "fwnote: a missing newline is refused");
	TAP_CHECK(!fwnote_parse(n.mac, "x\ncam\n1\n-\n0\n-\n0\n0\n", 20, &back),
	          "fwnote: another magic is refused");
	const char *bad_model = "iotconfig-firmware 1\nCam!\n1\n-\n0\n-\n0\n0\n";
	TAP_CHECK(!fwnote_parse(n.mac, bad_model, strlen(bad_model), &back),
	          "fwnote: a model outside the grammar is refused");
	const char *bad_version = "iotconfig-firmware 1\ncam\n1\n../x\n0\n-\n0\n0\n";
	TAP_CHECK(!fwnote_parse(n.mac, bad_version, strlen(bad_version), &back),
	          "fwnote: a version outside the grammar is refused");
	const char *extra = "iotconfig-firmware 1\ncam\n1\n-\n0\n-\n0\n0\nmore\n";
	TAP_CHECK(!fwnote_parse(n.mac, extra, strlen(extra), &back),
	          "fwnote: a ninth line is refused");

	/* --- states ----------------------------------------------------------- */
	const unsigned fail = 600;
	TAP_CHECK(fwnote_state(NULL, "2.0", 5000, fail) == FWNOTE_UNKNOWN,
	          "fwnote: no note, unknown");
	n = note("2.0", 100, "", 0, 0);
	TAP_CHECK(fwnote_state(&n, "2.0", 5000, fail) == FWNOTE_CURRENT,
	          "fwnote: reporting the target is current");
	n = note("1.0", 100, "", 0, 0);
	TAP_CHECK(fwnote_state(&n, "2.0", 5000, fail) == FWNOTE_BEHIND,
	          "fwnote: reporting another version is behind");
	n = note("1.0", 100, "2.0", 4900, 0);
	TAP_CHECK(fwnote_state(&n, "2.0", 5000, fail) == FWNOTE_DOWNLOADING,
	          "fwnote: a download of the target under way is downloading");
	TAP_CHECK(fwnote_state(&n, "2.0", 4900 + fail, fail) == FWNOTE_BEHIND,
	          "fwnote: a download given up for longer than the limit is behind");
	n = note("1.0", 100, "2.0", 4900, 4950);
	TAP_CHECK(fwnote_state(&n, "2.0", 5000, fail) == FWNOTE_DOWNLOADING,
	          "fwnote: just downloaded (installing, rebooting) is still downloading");
	TAP_CHECK(fwnote_state(&n, "2.0", 4950 + fail, fail) == FWNOTE_FAILED,
	          "fwnote: downloaded long ago with no report of the target is failed");
	n = note("1.0", 5400, "2.0", 4900, 4950);
	TAP_CHECK(fwnote_state(&n, "2.0", 5600, fail) == FWNOTE_FAILED,
	          "fwnote: reporting the old version after the limit is failed (rolled back)");
	n = note("2.0", 5400, "2.0", 4900, 4950);
	TAP_CHECK(fwnote_state(&n, "2.0", 9999, fail) == FWNOTE_CURRENT,
	          "fwnote: reporting the target after it is current");
	n = note("", 0, "2.0", 4900, 4950);
	TAP_CHECK(fwnote_state(&n, "2.0", 9999, fail) == FWNOTE_CURRENT &&
	                  strcmp(fwnote_running(&n), "2.0") == 0,
	          "fwnote: a device that never reports runs its last complete download");
	n = note("", 0, "1.0", 4900, 0);
	TAP_CHECK(fwnote_state(&n, "2.0", 9999, fail) == FWNOTE_UNKNOWN &&
	                  fwnote_running(&n)[0] == '\0',
	          "fwnote: nothing reported and nothing completed is unknown");
	TAP_STREQ(fwnote_state_name(FWNOTE_FAILED), "failed", "fwnote: state names");

	/* --- merging a request ----------------------------------------------- */
	struct fwnote m;
	memset(&m, 0, sizeof m);
	strcpy(m.mac, "aa-bb-cc-dd-ee-ff");
	struct fwnote_event head = {.model = "cam", .reported = "1.0"};
	TAP_CHECK(merge(&m, &head, 1000, 60) && strcmp(m.reported, "1.0") == 0 &&
	                  m.reported_at == 1000 && m.seen_at == 1000,
	          "fwnote: a first request is written");
	TAP_CHECK(!merge(&m, &head, 1010, 60),
	          "fwnote: the same report within the interval is not");
	TAP_CHECK(merge(&m, &head, 1060, 60), "fwnote: ... and is after the interval");
	struct fwnote_event chunk0 = {
	        .model = "cam", .reported = "1.0", .download = "2.0", .first_byte = true};
	TAP_CHECK(merge(&m, &chunk0, 1100, 60) && strcmp(m.download, "2.0") == 0 &&
	                  m.started_at == 1100 && m.completed_at == 0,
	          "fwnote: the first chunk starts a download");
	struct fwnote_event chunk = {.model = "cam", .reported = "1.0", .download = "2.0"};
	TAP_CHECK(!merge(&m, &chunk, 1101, 60) && m.started_at == 1100,
	          "fwnote: a middle chunk changes nothing worth a write");
	struct fwnote_event last = {
	        .model = "cam", .reported = "1.0", .download = "2.0", .last_byte = true};
	TAP_CHECK(merge(&m, &last, 1102, 60) && m.completed_at == 1102 && m.started_at == 1100,
	          "fwnote: the last chunk completes it");
	TAP_CHECK(merge(&m, &head, 1103, 60) && m.reported_at == 1103,
	          "fwnote: a report after the completed download is written, words unchanged");
	struct fwnote_event other = {.model = "cam", .download = "3.0"};
	TAP_CHECK(merge(&m, &other, 1104, 60) && strcmp(m.download, "3.0") == 0 &&
	                  m.started_at == 1104 && m.completed_at == 0,
	          "fwnote: bytes of another version start another download");

	/* --- files ------------------------------------------------------------ */
	char dir[] = "/tmp/iotconfig-test-fwnote.XXXXXX";
	TAP_CHECK(mkdtemp(dir) != NULL, "fwnote: temp dir");
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct store_result r;
	struct fwnote got;
	TAP_CHECK(fwnote_read(dirfd, "aa-bb-cc-dd-ee-ff", &got, &r) == 0 && r.status == STORE_OK,
	          "fwnote: no note yet (no directory either)");
	n = note("1.0.0", 900, "1.1.0", 950, 960);
	TAP_CHECK(fwnote_write(dirfd, &n, &r) == 0, "fwnote: the first note makes its directory");
	fsyncs = 0;
	TAP_CHECK(fwnote_write(dirfd, &n, &r) == 0 && fsyncs == 0,
	          "fwnote: a note is written without fsync");
	TAP_CHECK(fwnote_read(dirfd, "aa-bb-cc-dd-ee-ff", &got, &r) == 1 &&
	                  memcmp(&got, &n, sizeof n) == 0,
	          "fwnote: read back");
	char path[256];
	snprintf(path, sizeof path, "%s/.firmware/.devices", dir);
	struct stat st;
	TAP_CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode),
	          "fwnote: notes live in .firmware/.devices");
	close(dirfd);
	rm_tree(dir);
	return tap_done();
}
