/*
 * capture.h: collects what the code under test writes to stderr (log.c's
 * lines) so a test can assert on it, and echoes it as TAP comments so the
 * test output stays valid TAP. Set capture_path before the first use.
 */
#ifndef IOTCONFIG_CAPTURE_H
#define IOTCONFIG_CAPTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char capture_path[128];
static char capture_text[8192];
static int capture_saved_stderr = -1;

static inline void
capture_begin(void)
{
	fflush(stderr);
	capture_saved_stderr = dup(STDERR_FILENO);
	int fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

/* Restores stderr; returns what was written meanwhile. */
static inline const char *
capture_end(void)
{
	fflush(stderr);
	dup2(capture_saved_stderr, STDERR_FILENO);
	close(capture_saved_stderr);
	capture_text[0] = '\0';
	int fd = open(capture_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, capture_text, sizeof capture_text - 1);
		capture_text[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	unlink(capture_path);
	for (char *line = capture_text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL) {
			printf("# log: %s\n", line);
			break;
		}
		printf("# log: %.*s\n", (int)(nl - line), line);
	}
	return capture_text;
}

#endif
