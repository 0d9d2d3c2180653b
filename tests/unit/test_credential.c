/*
 * test_credential.c: the device secrets of credential.c. The pure parts:
 * the file format both ways (and what it refuses), verification of the
 * current and the previous secret (the latter only within its overlap),
 * and when a use is worth noting. The files, in throw-away directories
 * under /tmp: a new secret is 32 base64url characters that appear nowhere
 * on disk, its file and directory are private (0600, 0700) whatever the
 * umask; a rotation keeps the secret the device uses for the overlap (a
 * second rotation too), the first use of the new one ends it, and a use
 * noted with a secret replaced meanwhile changes nothing; revoking
 * removes the file; the list is sorted by MAC and skips what is not a
 * credential. Admin changes are fsync'ed, notes of use are not (fsync()
 * is interposed to count calls).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "credential.h"
#include "tap.h"
#define TESTFS_FSYNCS
#include "testfs.h"

static const char *const MAC = "aa-bb-cc-dd-ee-01";

static bool
base64url(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Does any file under dir hold needle? */
static bool
found_anywhere(const char *dir, const char *needle)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "grep -rqF -- '%s' '%s'", needle, dir);
	return system(cmd) == 0;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (st.st_mode & 07777) : 0;
}

static int
collect(const struct credential *c, void *arg)
{
	char *out = arg;
	strcat(out, c->mac);
	strcat(out, " ");
	return 0;
}

static void
pure_parts(void)
{
	struct credential c;
	memset(&c, 0, sizeof c);
	snprintf(c.mac, sizeof c.mac, "%s", MAC);
	c.current.created_at = 1700000000;
	memset(c.current.salt, 0xab, sizeof c.current.salt);
	memset(c.current.hash, 0x01, sizeof c.current.hash);
	char text[CREDENTIAL_FILE_MAX];
	size_t n = credential_format(&c, text);
	struct credential back;
	TAP_CHECK(n > 0 && credential_parse(MAC, text, n, &back) && !back.has_previous &&
	                  back.used == CREDENTIAL_NONE && back.current.created_at == 1700000000 &&
	                  memcmp(back.current.hash, c.current.hash, sizeof c.current.hash) == 0 &&
	                  memcmp(back.current.salt, c.current.salt, sizeof c.current.salt) == 0,
	          "credential: a file with the current secret alone reads back the same");
	TAP_STREQ(text,
	          "iotconfig-credential 1\n"
	          "current 1700000000 abababababababababababababababab "
	          "0101010101010101010101010101010101010101010101010101010101010101\n"
	          "previous -\nused -\n",
	          "credential: the file is four lines of text, hashes in lowercase hex");

	c.has_previous = true;
	c.previous.created_at = 1600000000;
	memset(c.previous.hash, 0x02, sizeof c.previous.hash);
	c.previous_until = 1700600000;
	c.used = CREDENTIAL_PREVIOUS;
	c.used_at = 1700000100;
	snprintf(c.used_from, sizeof c.used_from, "2001:db8::1");
	n = credential_format(&c, text);
	TAP_CHECK(n > 0 && credential_parse(MAC, text, n, &back) && back.has_previous &&
	                  back.previous_until == 1700600000 &&
	                  back.previous.created_at == 1600000000 &&
	                  memcmp(back.previous.hash, c.previous.hash, sizeof c.previous.hash) ==
	                          0 &&
	                  back.used == CREDENTIAL_PREVIOUS && back.used_at == 1700000100 &&
	                  strcmp(back.used_from, "2001:db8::1") == 0,
	          "credential: previous secret and last use read back the same");

	static const char *const bad[] = {
	        "",
	        "iotconfig-credential 1\n",
	        "iotconfig-credential 2\ncurrent 1 00000000000000000000000000000000 "
	        "0000000000000000000000000000000000000000000000000000000000000000\nprevious "
	        "-\nused "
	        "-\n",
	        "iotconfig-credential 1\ncurrent 1 00000000000000000000000000000000 "
	        "0000000000000000000000000000000000000000000000000000000000000000\nprevious "
	        "-\nused "
	        "-",
	        "iotconfig-credential 1\ncurrent 1 00000000000000000000000000000000 "
	        "0000000000000000000000000000000000000000000000000000000000000000\nprevious "
	        "-\nused "
	        "-\nmore\n",
	        "iotconfig-credential 1\ncurrent 1 0000000000000000000000000000000A "
	        "0000000000000000000000000000000000000000000000000000000000000000\nprevious "
	        "-\nused "
	        "-\n",
	        "iotconfig-credential 1\ncurrent 1 00000000000000000000000000000000 "
	        "00000000000000000000000000000000\nprevious -\nused -\n",
	        "iotconfig-credential 1\ncurrent -1 00000000000000000000000000000000 "
	        "0000000000000000000000000000000000000000000000000000000000000000\nprevious "
	        "-\nused "
	        "-\n",
	        "iotconfig-credential 1\ncurrent 1 00000000000000000000000000000000 "
	        "0000000000000000000000000000000000000000000000000000000000000000\nprevious "
	        "-\nused "
	        "sometimes 1 x\n",
	        "iotconfig-credential 1\ncurrent 1 00000000000000000000000000000000 "
	        "0000000000000000000000000000000000000000000000000000000000000000\nprevious  "
	        "-\nused "
	        "-\n",
	};
	bool refused = true;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (credential_parse(MAC, bad[i], strlen(bad[i]), &back)) {
			printf("#   accepted: %s\n", bad[i]);
			refused = false;
		}
	TAP_CHECK(refused, "credential: truncated, extra, uppercase, short, negative or unknown "
	                   "fields are refused");
}

static void
verification(const char *dir)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	char s1[CREDENTIAL_SECRET_LEN + 1], s2[CREDENTIAL_SECRET_LEN + 1];
	struct credential c;
	struct store_result r;
	bool rotated = true;
	int64_t now = 1800000000;
	fsyncs = 0;
	int rc = credential_create(dirfd, MAC, now, 600, s1, &c, &rotated, &r);
	TAP_CHECK(rc == 0 && !rotated && base64url(s1, CREDENTIAL_SECRET_LEN),
	          "credential: a new secret is 32 base64url characters");
	TAP_CHECK(fsyncs >= 2, "credential: a new secret is fsync'ed (file and directory)");
	char path[512];
	snprintf(path, sizeof path, "%s/.credentials/%s", dir, MAC);
	TAP_CHECK(mode_of(path) == 0600, "credential: the file is 0600");
	snprintf(path, sizeof path, "%s/.credentials", dir);
	TAP_CHECK(mode_of(path) == 0700, "credential: the directory is 0700");
	TAP_CHECK(!found_anywhere(dir, s1), "credential: the secret is nowhere on disk");

	struct credential got;
	TAP_CHECK(credential_read(dirfd, MAC, &got, &r) == 1 &&
	                  credential_verify(&got, s1, strlen(s1), now) == CREDENTIAL_CURRENT,
	          "credential: the secret verifies as the current one");
	char wrong[CREDENTIAL_SECRET_LEN + 1];
	memcpy(wrong, s1, sizeof wrong);
	wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
	TAP_CHECK(credential_verify(&got, wrong, strlen(wrong), now) == CREDENTIAL_NONE &&
	                  credential_verify(&got, s1, strlen(s1) - 1, now) == CREDENTIAL_NONE &&
	                  credential_verify(&got, "", 0, now) == CREDENTIAL_NONE &&
	                  credential_verify(NULL, s1, strlen(s1), now) == CREDENTIAL_NONE,
	          "credential: another secret, a prefix, nothing, or no credential verify as none");
	TAP_CHECK(credential_read(dirfd, "aa-bb-cc-dd-ee-99", &got, &r) == 0,
	          "credential: a MAC without a secret reads as none");

	/* Rotation: the old secret works for the overlap, until the new one is used. */
	rc = credential_create(dirfd, MAC, now + 10, 600, s2, &c, &rotated, &r);
	credential_read(dirfd, MAC, &got, &r);
	TAP_CHECK(rc == 0 && rotated && strcmp(s1, s2) != 0 && got.has_previous &&
	                  got.previous_until == now + 610 &&
	                  credential_verify(&got, s2, strlen(s2), now + 10) == CREDENTIAL_CURRENT &&
	                  credential_verify(&got, s1, strlen(s1), now + 10) == CREDENTIAL_PREVIOUS,
	          "credential: after a rotation the new secret is current, the old one previous");
	TAP_CHECK(credential_verify(&got, s1, strlen(s1), now + 609) == CREDENTIAL_PREVIOUS &&
	                  credential_verify(&got, s1, strlen(s1), now + 610) == CREDENTIAL_NONE,
	          "credential: the previous secret works until its overlap ends, not after");
	TAP_CHECK(!found_anywhere(dir, s1) && !found_anywhere(dir, s2),
	          "credential: neither secret is on disk after a rotation");

	/* The device still uses the old one: noted, and it stays. */
	fsyncs = 0;
	TAP_CHECK(credential_use_due(&got, CREDENTIAL_PREVIOUS, "192.0.2.7", now + 20) &&
	                  credential_note_use(dirfd, MAC, got.previous.hash, "192.0.2.7", now + 20,
	                                      &r) == 0 &&
	                  credential_read(dirfd, MAC, &got, &r) == 1 && got.has_previous &&
	                  got.used == CREDENTIAL_PREVIOUS && got.used_at == now + 20 &&
	                  strcmp(got.used_from, "192.0.2.7") == 0,
	          "credential: a use of the previous secret is noted and keeps it");
	TAP_CHECK(fsyncs == 0, "credential: a note of use makes no fsync");
	TAP_CHECK(!credential_use_due(&got, CREDENTIAL_PREVIOUS, "192.0.2.7", now + 30) &&
	                  credential_use_due(&got, CREDENTIAL_PREVIOUS, "192.0.2.8", now + 30) &&
	                  credential_use_due(&got, CREDENTIAL_PREVIOUS, "192.0.2.7",
	                                     now + 20 + CREDENTIAL_USE_EVERY) &&
	                  !credential_use_due(&got, CREDENTIAL_PREVIOUS, "192.0.2.7", now) &&
	                  credential_use_due(&got, CREDENTIAL_CURRENT, "192.0.2.7", now + 30) &&
	                  !credential_use_due(&got, CREDENTIAL_NONE, "192.0.2.7", now + 30),
	          "credential: the same use is noted again only after a minute; another address "
	          "or secret at once; nothing for no secret");

	/* A second rotation before the device took up the first keeps what it uses. */
	char s3[CREDENTIAL_SECRET_LEN + 1];
	rc = credential_create(dirfd, MAC, now + 40, 600, s3, &c, &rotated, &r);
	credential_read(dirfd, MAC, &got, &r);
	TAP_CHECK(rc == 0 &&
	                  credential_verify(&got, s1, strlen(s1), now + 40) ==
	                          CREDENTIAL_PREVIOUS &&
	                  credential_verify(&got, s2, strlen(s2), now + 40) == CREDENTIAL_NONE &&
	                  credential_verify(&got, s3, strlen(s3), now + 40) == CREDENTIAL_CURRENT &&
	                  got.used == CREDENTIAL_PREVIOUS,
	          "credential: a second rotation keeps the secret the device uses, not the one "
	          "it never took up");

	/* A use noted with a hash that is no longer there changes nothing. */
	struct credential before = got;
	uint8_t stale[CREDENTIAL_HASH_SIZE];
	memset(stale, 0x5a, sizeof stale);
	TAP_CHECK(credential_note_use(dirfd, MAC, stale, "192.0.2.9", now + 50, &r) == 0 &&
	                  credential_read(dirfd, MAC, &got, &r) == 1 &&
	                  memcmp(&before, &got, sizeof got) == 0,
	          "credential: a use of a secret replaced meanwhile is not noted");

	/* The first use of the current one ends the overlap. */
	TAP_CHECK(credential_note_use(dirfd, MAC, got.current.hash, "192.0.2.9", now + 60, &r) ==
	                          0 &&
	                  credential_read(dirfd, MAC, &got, &r) == 1 && !got.has_previous &&
	                  got.used == CREDENTIAL_CURRENT &&
	                  credential_verify(&got, s1, strlen(s1), now + 60) == CREDENTIAL_NONE &&
	                  credential_verify(&got, s3, strlen(s3), now + 60) == CREDENTIAL_CURRENT,
	          "credential: the first use of the new secret ends the old one at once");

	/* Overlap 0: a rotation replaces at once. */
	char s4[CREDENTIAL_SECRET_LEN + 1];
	rc = credential_create(dirfd, MAC, now + 70, 0, s4, &c, &rotated, &r);
	credential_read(dirfd, MAC, &got, &r);
	TAP_CHECK(rc == 0 && rotated && !got.has_previous &&
	                  credential_verify(&got, s3, strlen(s3), now + 70) == CREDENTIAL_NONE,
	          "credential: with no overlap the old secret ends with the rotation");

	/* The list, sorted, skipping what is not a credential. */
	credential_create(dirfd, "00-00-00-00-00-01", now, 600, s4, &c, &rotated, &r);
	snprintf(path, sizeof path, "%s/.credentials/not-a-mac", dir);
	FILE *f = fopen(path, "w");
	if (f != NULL)
		fclose(f);
	char seen[256] = "";
	TAP_CHECK(credential_each(dirfd, collect, seen, &r) == 0 &&
	                  strcmp(seen, "00-00-00-00-00-01 aa-bb-cc-dd-ee-01 ") == 0,
	          "credential: the list is every credential by MAC, nothing else");
	TAP_CHECK(credential_exists(dirfd, MAC) && !credential_exists(dirfd, "aa-bb-cc-dd-ee-99"),
	          "credential: exists says which MACs have a secret");

	/* Revoke. */
	fsyncs = 0;
	TAP_CHECK(credential_revoke(dirfd, MAC, &r) == 1 && !credential_exists(dirfd, MAC) &&
	                  credential_read(dirfd, MAC, &got, &r) == 0 && fsyncs >= 1,
	          "credential: revoking removes the file, durably");
	TAP_CHECK(credential_revoke(dirfd, MAC, &r) == 0,
	          "credential: revoking what is not there says so");

	/* A file that is not ours is an error, never "no secret". */
	snprintf(path, sizeof path, "%s/.credentials/%s", dir, MAC);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs("garbage\n", f);
		fclose(f);
	}
	TAP_CHECK(credential_read(dirfd, MAC, &got, &r) == -1 && r.status == STORE_IO,
	          "credential: an unreadable file is a storage error, not an open device");
	close(dirfd);
}

int
main(void)
{
	umask(0);
	pure_parts();
	char dir[] = "/tmp/iotconfig-test-credential.XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 1;
	verification(dir);
	rm_tree(dir);
	return tap_done();
}
