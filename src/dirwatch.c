/*
 * dirwatch.c: one inotify instance per process, watching the config
 * directory it was last asked about. The watch is added through
 * /proc/self/fd/<dirfd>, so it is on exactly the directory the caller
 * opened, not on whatever its path names a moment later. Each poll drains
 * the queue into a fresh set of MAC values (sorted, without repeats);
 * nothing about the names is kept from one poll to the next.
 *
 * Process-owned state: the inotify descriptor and the identity of the
 * watched directory (dirwatch_state).
 */
#include "dirwatch.h"

#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fsinfo.h"
#include "log.h"
#include "mac.h"

#define WATCH_MASK                                                                                 \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM |          \
	 IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR)

static struct {
	int fd;     /* inotify instance, -1 when not watching */
	bool local; /* the watched directory is on a local file system */
	dev_t dev;
	ino_t ino;
	bool disabled;
	bool warned;
} dirwatch_state = {.fd = -1};

static void
stop(void)
{
	if (dirwatch_state.fd >= 0)
		close(dirwatch_state.fd);
	dirwatch_state.fd = -1;
}

void
dirwatch_enable(bool on)
{
	stop();
	dirwatch_state.disabled = !on;
}

bool
dirwatch_active(void)
{
	return dirwatch_state.fd >= 0;
}

/* Starts watching dirfd; false when it cannot (the caller then walks every time). */
static bool
start(int dirfd, const struct stat *dir)
{
	dirwatch_state.dev = dir->st_dev;
	dirwatch_state.ino = dir->st_ino;
	dirwatch_state.local = !fsinfo_is_shared(dirfd);
	if (!dirwatch_state.local)
		return false;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", dirfd);
	if (fd < 0 || inotify_add_watch(fd, path, WATCH_MASK) < 0) {
		int err = errno;
		if (!dirwatch_state.warned)
			log_msg(LOG_WARN,
			        "list cache checks every file on each list: cannot watch "
			        "the directory errno=\"%s\"",
			        strerror(err));
		dirwatch_state.warned = true;
		if (fd >= 0)
			close(fd);
		return false;
	}
	dirwatch_state.fd = fd;
	return true;
}

static int
by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Sorts the set and removes repeats. */
static void
sort_unique(struct dirwatch_changes *c)
{
	if (c->n < 2)
		return;
	qsort(c->mac, c->n, sizeof c->mac[0], by_value);
	size_t k = 1;
	for (size_t i = 1; i < c->n; i++)
		if (c->mac[i] != c->mac[k - 1])
			c->mac[k++] = c->mac[i];
	c->n = k;
}

/* Adds a config name to the set; false when the set is full. */
static bool
add(struct dirwatch_changes *c, const char *name, size_t len)
{
	if (!mac_is_config_filename(name, len))
		return true;
	uint64_t mac = mac_value(name);
	if (c->n > 0 && c->mac[c->n - 1] == mac)
		return true; /* a write and its close, one after the other */
	if (c->n == DIRWATCH_MAX_CHANGES) {
		sort_unique(c);
		if (c->n == DIRWATCH_MAX_CHANGES)
			return false;
	}
	c->mac[c->n++] = mac;
	return true;
}

enum dirwatch_result
dirwatch_poll(int dirfd, const struct stat *dir, struct dirwatch_changes *out)
{
	out->n = 0;
	if (dirwatch_state.disabled || dir == NULL)
		return DIRWATCH_UNKNOWN;
	if (dir->st_dev != dirwatch_state.dev || dir->st_ino != dirwatch_state.ino ||
	    (dirwatch_state.fd < 0 && dirwatch_state.local)) {
		stop();
		start(dirfd, dir);
		return DIRWATCH_UNKNOWN;
	}
	if (dirwatch_state.fd < 0)
		return DIRWATCH_UNKNOWN; /* not a local file system */

	/* Once incomplete, the rest of the queue is only drained: the caller looks at everything.
	 */
	bool complete = true, lost = false;
	alignas(struct inotify_event) char buf[4096];
	for (;;) {
		ssize_t n = read(dirwatch_state.fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				lost = true;
			break;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				complete = false;
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_UNMOUNT))
				lost = true;
			if (complete && ev->len > 0 && !add(out, ev->name, strlen(ev->name)))
				complete = false;
		}
	}
	if (lost) {
		/* The watch is gone (directory removed, or unmounted): start afresh next time. */
		stop();
		dirwatch_state.dev = 0;
		dirwatch_state.ino = 0;
		out->n = 0;
		return DIRWATCH_UNKNOWN;
	}
	if (!complete) {
		out->n = 0;
		return DIRWATCH_UNKNOWN;
	}
	sort_unique(out);
	return DIRWATCH_NAMES;
}
