/*
 * bench/replace.c: the durable-replace limit of `make bench`, the floor of
 * the PUT rows the way bench/floor.c is the floor of the GET rows. One
 * writer replaces one file in DIR with the bytes of BODY, again and again
 * for SECONDS, each time the way the service makes a change durable:
 * write a temp file in DIR, fsync it, rename it over the file, fsync DIR.
 * Nothing else: no HTTP, no lock, no reading the current version. With
 * HISTDIR it also does the one more step the service's history adds: a
 * hard link of the current version into HISTDIR and an fsync of HISTDIR
 * before the rename (and removes each link again, outside the count, so
 * the directory does not grow).
 *
 *   replace DIR NAME BODY SECONDS [HISTDIR]
 *
 * Prints "BENCH <replaces> <seconds> 0 <p50> <p99>" (latencies of one
 * replace in microseconds), the line bench/wrk.lua prints for a row.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Links kept in HISTDIR, like the service's default HISTORY_KEEP. */
#define KEEP 20

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

int
main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: replace DIR NAME BODY SECONDS [HISTDIR]\n");
		return 2;
	}
	const char *name = argv[2];
	double seconds = atof(argv[4]);
	int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int histfd = argc == 6 ? open(argv[5], O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dirfd < 0 || (argc == 6 && histfd < 0))
		die("open directory");
	FILE *f = fopen(argv[3], "rb");
	static char body[1 << 20];
	size_t len = f ? fread(body, 1, sizeof body, f) : 0;
	if (f == NULL || ferror(f) || len == 0)
		die("read BODY");
	fclose(f);

	char temp[256], link[64];
	snprintf(temp, sizeof temp, ".%s.replace.tmp", name);
	static double took[1 << 20];
	unsigned long count = 0;
	double start = now(), end = start + seconds, t = start, t0;
	do {
		t0 = t;
		if (histfd >= 0) {
			snprintf(link, sizeof link, "%ld.%lu", (long)getpid(), count);
			if (linkat(dirfd, name, histfd, link, 0) != 0 || fsync(histfd) != 0)
				die("history link");
		}
		int fd = openat(dirfd, temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (fd < 0 || write(fd, body, len) != (ssize_t)len || fsync(fd) != 0 ||
		    close(fd) != 0)
			die("temp file");
		if (renameat(dirfd, temp, dirfd, name) != 0 || fsync(dirfd) != 0)
			die("rename");
		t = now();
		if (count < sizeof took / sizeof *took)
			took[count] = t - t0;
		count++;
		if (histfd >= 0 && count > KEEP) {
			snprintf(link, sizeof link, "%ld.%lu", (long)getpid(), count - KEEP - 1);
			unlinkat(histfd, link, 0);
		}
	} while (t < end);
	for (unsigned long i = count > KEEP ? count - KEEP : 0; histfd >= 0 && i < count; i++) {
		snprintf(link, sizeof link, "%ld.%lu", (long)getpid(), i);
		unlinkat(histfd, link, 0);
	}
	size_t n = count < sizeof took / sizeof *took ? count : sizeof took / sizeof *took;
	qsort(took, n, sizeof *took, by_value);
	printf("BENCH %lu %.6f 0 %.0f %.0f\n", count, t - start, took[(n - 1) / 2] * 1e6,
	       took[(n - 1) * 99 / 100] * 1e6);
	return 0;
}
