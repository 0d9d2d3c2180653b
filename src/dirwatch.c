/*
 * dirwatch.c: one inotify instance per process, watching the config
 * directory it was last asked about. The watch is added through
 * /proc/self/fd/<dirfd>, so it is on exactly the directory the caller
 * opened, not on whatever its path names a moment later.
 *
 * Process-owned state: the inotify descriptor and the identity of the
 * watched directory (dirwatch_state).
 */
#include "dirwatch.h"

#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fsinfo.h"
#include "log.h"

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

enum dirwatch_result
dirwatch_poll(int dirfd, const struct stat *dir, int (*changed)(const char *name, void *arg),
              void *arg)
{
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
			if (complete && ev->len > 0 && changed(ev->name, arg) != 0)
				complete = false;
		}
	}
	if (lost) {
		/* The watch is gone (directory removed, or unmounted): start afresh next time. */
		stop();
		dirwatch_state.dev = 0;
		dirwatch_state.ino = 0;
		return DIRWATCH_UNKNOWN;
	}
	return complete ? DIRWATCH_NAMES : DIRWATCH_UNKNOWN;
}
