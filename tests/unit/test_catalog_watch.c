/*
 * test_catalog_watch.c: the list cache against a real directory, once with the
 * directory watched (local file systems) and once walking every file (as
 * on network file systems): edits in place with the same size and mtime,
 * renames, deletes, new and invalid files are all seen at the next
 * refresh, and a watched directory that did not change is not walked. A
 * file that could not be read (permission denied while the test runs as
 * uid 65534) appears at the next refresh once it can be read, though
 * nothing about it changed. A file renamed over, deleted and created
 * again, or deleted while a refresh is looking at it (injected through the
 * catalog's look hook) shows as it is at the next refresh; more changed
 * files than dirwatch's set holds are all seen through a walk. A stat that
 * fails with EIO (injected: this file defines fstatat(), so the store's
 * calls to it, linked from lib.a, land here) is a doubt: a new file is
 * listed once a look works, a listed one stays listed as it was meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "catalog.h"
#include "dirwatch.h"
#include "tap.h"

#define NOBODY 65534

static char dir[64];
static int dirfd_ = -1;
static struct buf scratch;

/* The next stat_fails fstatat() calls on stat_fails_name fail with EIO. */
static const char *stat_fails_name;
static int stat_fails;

int
fstatat(int fd, const char *name, struct stat *st, int flags)
{
	if (stat_fails > 0 && stat_fails_name != NULL && strcmp(name, stat_fails_name) == 0) {
		stat_fails--;
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_newfstatat, fd, name, st, flags);
}

static void
put_path(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void
put(const char *mac, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s.json", dir, mac);
	put_path(path, text);
}

/* Setup steps must work, or the checks after them mean nothing. */
static void
must(int rc, const char *what)
{
	if (rc != 0) {
		perror(what);
		exit(2);
	}
}

static void
path_of(char *out, size_t n, const char *mac)
{
	snprintf(out, n, "%s/%s.json", dir, mac);
}

/* The whole list as the service writes it (entries joined by commas). */
static struct buf rendered;

/*
 * Refreshes and renders the list as "mac=name,..." (the MAC's last byte
 * and the device_name value), or says what went wrong.
 */
static const char *
listing(void)
{
	static char out[1024];
	struct store_result r;
	out[0] = '\0';
	rendered.len = 0;
	if (catalog_refresh(dirfd_, NULL, &scratch, &r) != 0)
		return "(refresh failed)";
	for (size_t i = 0; i < catalog_count(); i++) {
		size_t start = rendered.len;
		if ((i > 0 && buf_append(&rendered, ",", 1) != 0) ||
		    catalog_append_entry(i, &rendered) != 0)
			return "(render failed)";
		char mac[18] = "", name[32] = "";
		sscanf(rendered.data + start + (i > 0),
		       "{\"mac_address\":\"%17[^\"]\",\"device_name\":\"%31[^\"]", mac, name);
		size_t used = strlen(out);
		snprintf(out + used, sizeof out - used, "%s%s=%s", used ? "," : "", mac + 15, name);
	}
	size_t commas = catalog_count() > 0 ? catalog_count() - 1 : 0;
	if (catalog_bytes() + commas != rendered.len)
		return "(catalog_bytes does not match what is written)";
	return out;
}

/*
 * Changes injected while a refresh is looking at a file, as another
 * process could make them: armed for one MAC, they happen once, right
 * after the refresh's look at that file.
 */
enum during_look { NOTHING, RENAME_OVER, DELETE_AND_CREATE, DELETE };
static enum during_look during_look;
static const char *during_look_mac;
static const char *during_look_text;

static void
change_during_look(const char *name)
{
	if (during_look == NOTHING || strncmp(name, during_look_mac, 17) != 0)
		return;
	enum during_look what = during_look;
	during_look = NOTHING;
	char p[128], tmp[128];
	path_of(p, sizeof p, during_look_mac);
	switch (what) {
	case RENAME_OVER:
		snprintf(tmp, sizeof tmp, "%s/.edit.tmp", dir);
		put_path(tmp, during_look_text);
		must(rename(tmp, p), "rename");
		break;
	case DELETE_AND_CREATE:
		must(unlink(p), "unlink");
		put(during_look_mac, during_look_text);
		break;
	case DELETE:
		must(unlink(p), "unlink");
		break;
	case NOTHING:
		break;
	}
}

/*
 * Changes file mac (so that the next refresh looks at it), arms a change
 * made during that look, and checks that the refresh after it lists what
 * the directory holds then.
 */
static void
change_while_looked_at(const char *mode, enum during_look what, const char *mac, const char *text,
                       const char *want, const char *what_name)
{
	char name[200];
	put(mac, "{\"deviceName\":\"before the look\"}\n");
	during_look = what;
	during_look_mac = mac;
	during_look_text = text;
	catalog_set_look_hook(change_during_look);
	listing(); /* the change lands while this refresh looks at the file */
	catalog_set_look_hook(NULL);
	snprintf(name, sizeof name, "%s: the change was made during a look", mode);
	TAP_CHECK(during_look == NOTHING, name);
	snprintf(name, sizeof name, "%s: %s during the look shows at the next refresh", mode,
	         what_name);
	TAP_STREQ(listing(), want, name);
}

static void
run(bool watched)
{
	const char *mode = watched ? "watched" : "walked";
	char name[160], p1[128], p2[128];
	dirwatch_enable(watched);
	catalog_clear();

	put("0a-00-00-00-00-02", "{\"deviceName\":\"two\",\"deviceEntityId\":\"sensor.\\\"2\\\"\","
	                         "\"enableOTA\":false,\"x\":[1]}\n");
	put("0a-00-00-00-00-01", "{\"deviceName\":\"one\"}\n");
	/* Fixed times, so the rendered saved_at values are known. */
	struct timespec t1[2] = {{1700000000, 0}, {1700000000, 0}};
	struct timespec t2[2] = {{1700000061, 0}, {1700000061, 0}};
	path_of(p1, sizeof p1, "0a-00-00-00-00-01");
	path_of(p2, sizeof p2, "0a-00-00-00-00-02");
	must(utimensat(AT_FDCWD, p1, t1, 0), "utimensat");
	must(utimensat(AT_FDCWD, p2, t2, 0), "utimensat");
	snprintf(name, sizeof name, "%s: first refresh lists every valid file in MAC order", mode);
	TAP_STREQ(listing(), "01=one,02=two", name);
	snprintf(name, sizeof name, "%s: entries are the list's JSON objects", mode);
	TAP_STREQ(rendered.data,
	          "{\"mac_address\":\"0a-00-00-00-00-01\",\"device_name\":\"one\","
	          "\"device_entity_id\":null,\"enable_ota\":null,"
	          "\"saved_at\":\"2023-11-14T22:13:20Z\",\"schema\":null,\"schema_errors\":0},"
	          "{\"mac_address\":\"0a-00-00-00-00-02\",\"device_name\":\"two\","
	          "\"device_entity_id\":\"sensor.\\\"2\\\"\",\"enable_ota\":false,"
	          "\"saved_at\":\"2023-11-14T22:14:21Z\",\"schema\":null,\"schema_errors\":0}",
	          name);

	unsigned long walks = catalog_walks();
	snprintf(name, sizeof name, "%s: an unchanged directory lists the same", mode);
	TAP_STREQ(listing(), "01=one,02=two", name);
	snprintf(name, sizeof name, "%s: an unchanged directory is %s", mode,
	         watched ? "not walked again" : "walked again");
	TAP_CHECK(catalog_walks() == walks + (watched ? 0 : 1), name);

	/* Same size, and the mtime put back to the same nanosecond. */
	struct stat before;
	path_of(p1, sizeof p1, "0a-00-00-00-00-01");
	must(stat(p1, &before), "stat");
	put("0a-00-00-00-00-01", "{\"deviceName\":\"ONE\"}\n");
	struct timespec times[2] = {before.st_atim, before.st_mtim};
	must(utimensat(AT_FDCWD, p1, times, 0), "utimensat");
	snprintf(name, sizeof name, "%s: an in-place edit of the same size and mtime is seen",
	         mode);
	TAP_STREQ(listing(), "01=ONE,02=two", name);

	path_of(p2, sizeof p2, "0a-00-00-00-00-03");
	must(rename(p1, p2), "rename");
	snprintf(name, sizeof name, "%s: a rename moves the entry to the new MAC", mode);
	TAP_STREQ(listing(), "02=two,03=ONE", name);

	must(unlink(p2), "unlink");
	snprintf(name, sizeof name, "%s: a deleted file leaves the list", mode);
	TAP_STREQ(listing(), "02=two", name);

	put("0a-00-00-00-00-04", "{\"deviceName\":\"four\"}\n");
	put("0a-00-00-00-00-02", "{\"deviceName\":");
	snprintf(name, sizeof name, "%s: a new file appears, an invalid one leaves", mode);
	TAP_STREQ(listing(), "04=four", name);

	put("0a-00-00-00-00-02", "{\"deviceName\":\"two again\"}\n");
	path_of(p1, sizeof p1, "0a-00-00-00-00-04");
	must(unlink(p1), "unlink");
	put("0a-00-00-00-00-04", "{\"deviceName\":\"FOUR\"}\n");
	snprintf(name, sizeof name,
	         "%s: a fixed file returns; a file deleted and recreated is re-read", mode);
	TAP_STREQ(listing(), "02=two again,04=FOUR", name);

	/*
	 * Unreadable for a while without any change to the file: root reads
	 * everything, so the refresh runs with the effective uid of nobody.
	 */
	put("0a-00-00-00-00-06", "{\"deviceName\":\"six\"}\n");
	path_of(p1, sizeof p1, "0a-00-00-00-00-06");
	must(chmod(p1, 0600), "chmod");
	snprintf(name, sizeof name,
	         "%s: a file that could not be read is listed at the next refresh once readable",
	         mode);
	if (geteuid() != 0 || seteuid(NOBODY) != 0) {
		tap_count++;
		printf("ok %d - %s # SKIP needs root to read as uid %d\n", tap_count, name, NOBODY);
	} else {
		char unreadable[1024];
		snprintf(unreadable, sizeof unreadable, "%s", listing());
		must(seteuid(0), "seteuid");
		char readable[1024];
		snprintf(readable, sizeof readable, "%s", listing());
		TAP_CHECK(strcmp(unreadable, "02=two again,04=FOUR") == 0 &&
		                  strcmp(readable, "02=two again,04=FOUR,06=six") == 0,
		          name);
		if (strcmp(readable, "02=two again,04=FOUR,06=six") != 0)
			printf("#   unreadable: %s\n#   then: %s\n", unreadable, readable);
	}
	must(unlink(p1), "unlink");

	path_of(p1, sizeof p1, "0a-00-00-00-00-02");
	path_of(p2, sizeof p2, "0a-00-00-00-00-05");
	must(symlink(p1, p2), "symlink");
	put("notes", "{\"deviceName\":\"not a MAC\"}\n");
	snprintf(name, sizeof name, "%s: symlinks and foreign names are never listed", mode);
	TAP_STREQ(listing(), "02=two again,04=FOUR", name);
	must(unlink(p2), "unlink");
	path_of(p2, sizeof p2, "notes");
	must(unlink(p2), "unlink");
	path_of(p1, sizeof p1, "0a-00-00-00-00-04");
	must(unlink(p1), "unlink");
	path_of(p1, sizeof p1, "0a-00-00-00-00-02");
	must(unlink(p1), "unlink");
	snprintf(name, sizeof name, "%s: an emptied directory lists nothing", mode);
	TAP_STREQ(listing(), "", name);

	/* A look that fails with EIO is a doubt: looked at again, never taken as gone. */
	put("0a-00-00-00-00-08", "{\"deviceName\":\"eight\"}\n");
	stat_fails_name = "0a-00-00-00-00-08.json";
	stat_fails = 1;
	listing();
	snprintf(name, sizeof name, "%s: (the fault bites) the look at a new file failed", mode);
	TAP_CHECK(stat_fails == 0, name);
	snprintf(name, sizeof name,
	         "%s: a new file whose stat failed is listed at the next refresh", mode);
	TAP_STREQ(listing(), "08=eight", name);
	put("0a-00-00-00-00-08", "{\"deviceName\":\"EIGHT\"}\n");
	stat_fails = 2;
	snprintf(name, sizeof name, "%s: a listed file whose stat fails stays listed as it was",
	         mode);
	TAP_STREQ(listing(), "08=eight", name);
	snprintf(name, sizeof name, "%s: and stays so while its stat keeps failing", mode);
	TAP_STREQ(listing(), "08=eight", name);
	snprintf(name, sizeof name, "%s: and is read again once a look works", mode);
	TAP_STREQ(listing(), "08=EIGHT", name);
	path_of(p1, sizeof p1, "0a-00-00-00-00-08");
	must(unlink(p1), "unlink");
	snprintf(name, sizeof name, "%s: and leaves once it is really gone", mode);
	TAP_STREQ(listing(), "", name);

	change_while_looked_at(mode, RENAME_OVER, "0a-00-00-00-00-07",
	                       "{\"deviceName\":\"renamed over\"}\n", "07=renamed over",
	                       "a new version renamed over the file");
	change_while_looked_at(mode, DELETE_AND_CREATE, "0a-00-00-00-00-07",
	                       "{\"deviceName\":\"created again\"}\n", "07=created again",
	                       "the file deleted and created again");
	change_while_looked_at(mode, DELETE, "0a-00-00-00-00-07", NULL, "", "the file deleted");

	/* More changed names than dirwatch holds: every file is looked at. */
	char mac[18];
	for (int i = 0; i < DIRWATCH_MAX_CHANGES + 1; i++) {
		snprintf(mac, sizeof mac, "0b-00-00-00-%02x-%02x", i / 256, i % 256);
		put(mac, "{\"deviceName\":\"many\"}\n");
	}
	walks = catalog_walks();
	listing();
	snprintf(name, sizeof name, "%s: %d changed files are all listed, after a walk", mode,
	         DIRWATCH_MAX_CHANGES + 1);
	TAP_CHECK(catalog_count() == DIRWATCH_MAX_CHANGES + 1 && catalog_walks() == walks + 1,
	          name);
	for (int i = 0; i < DIRWATCH_MAX_CHANGES + 1; i++) {
		snprintf(mac, sizeof mac, "0b-00-00-00-%02x-%02x", i / 256, i % 256);
		path_of(p1, sizeof p1, mac);
		must(unlink(p1), "unlink");
	}
	snprintf(name, sizeof name, "%s: and all leave once deleted", mode);
	TAP_STREQ(listing(), "", name);
}

int
main(void)
{
	/* /dev/shm is tmpfs (local) even where /tmp is an overlay, as in containers. */
	static const char *const bases[] = {"/dev/shm", "/tmp"};
	bool made = false;
	for (size_t i = 0; i < 2 && !made; i++) {
		snprintf(dir, sizeof dir, "%s/test_catalog.XXXXXX", bases[i]);
		made = mkdtemp(dir) != NULL;
	}
	if (!made) {
		perror("mkdtemp");
		return 2;
	}
	must(chmod(dir, 0755), "chmod"); /* searchable by nobody: only a file is unreadable */
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf_init(&scratch);
	buf_init(&rendered);
	run(true);
	run(false);
	catalog_clear();
	dirwatch_enable(false);
	buf_free(&scratch);
	buf_free(&rendered);
	close(dirfd_);
	rmdir(dir);
	return tap_done();
}
