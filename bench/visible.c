/*
 * bench/visible.c: how long a change made through one node takes to be
 * served by another, for `make bench`. Each round PUTs a new version of
 * one config through node A, then asks node B for the raw config until B
 * answers the ETag A gave; it records the time from sending the PUT to
 * B's first answer with the new ETag, the PUT's own time, and how many
 * GETs through B that took (1: B's next request already had it).
 *
 *   visible A_PORT B_PORT MAC ROUNDS
 *
 * Prints one line: "VISIBLE rounds p50_total_us p99_total_us
 * p50_put_us p99_put_us max_gets immediate" where immediate counts the
 * rounds whose first GET through B had the new version. Plain HTTP/1.0 on
 * loopback, one connection per request, so no client library is needed
 * and every answer ends at the end of its connection; a GET gives up
 * after 10 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX (256 * 1024)

static long long
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One request to 127.0.0.1:port; the answer (headers and body) in out. */
static int
exchange(int port, const char *req, size_t len, char *out, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, req + off, len - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, out + got, cap - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == cap - 1)
			break;
	}
	out[got] = '\0';
	close(fd);
	return 0;
}

/* The status code and the ETag header of an answer (etag "" when none). */
static int
parse(const char *answer, char *etag, size_t cap)
{
	int status = 0;
	if (sscanf(answer, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	etag[0] = '\0';
	const char *h = strcasestr(answer, "\r\nETag: ");
	if (h != NULL) {
		h += 8;
		size_t n = strcspn(h, "\r\n");
		if (n < cap) {
			memcpy(etag, h, n);
			etag[n] = '\0';
		}
	}
	return status;
}

static int
by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: visible A_PORT B_PORT MAC ROUNDS\n");
		return 2;
	}
	int a = atoi(argv[1]), b = atoi(argv[2]), rounds = atoi(argv[4]);
	const char *mac = argv[3];
	if (rounds < 1 || rounds > 100000)
		return 2;
	long long *total = calloc((size_t)rounds, sizeof *total);
	long long *put = calloc((size_t)rounds, sizeof *put);
	char *answer = malloc(ANSWER_MAX);
	if (total == NULL || put == NULL || answer == NULL)
		return 1;
	int max_gets = 0, immediate = 0;
	char req[1024], body[128], etag[128], seen[128];
	for (int r = 0; r < rounds; r++) {
		int blen = snprintf(body, sizeof body,
		                    "{\"deviceName\":\"visible\",\"round\":%d}\n", r);
		int len = snprintf(req, sizeof req,
		                   "PUT /api/configs/%s.json HTTP/1.0\r\nHost: 127.0.0.1\r\n"
		                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		                   mac, blen, body);
		long long t0 = now_us();
		if (exchange(a, req, (size_t)len, answer, ANSWER_MAX) != 0 ||
		    parse(answer, etag, sizeof etag) != 200 || etag[0] == '\0') {
			fprintf(stderr, "visible: the PUT through port %d failed: %.200s\n", a,
			        answer);
			return 1;
		}
		put[r] = now_us() - t0;
		len = snprintf(req, sizeof req,
		               "GET /api/configs/%s.json HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", mac);
		int gets = 0;
		for (;;) {
			gets++;
			if (exchange(b, req, (size_t)len, answer, ANSWER_MAX) != 0 ||
			    parse(answer, seen, sizeof seen) != 200) {
				fprintf(stderr, "visible: the GET through port %d failed: %.200s\n",
				        b, answer);
				return 1;
			}
			if (strcmp(seen, etag) == 0)
				break;
			if (now_us() - t0 > 10000000) {
				fprintf(stderr,
				        "visible: B did not serve the new version in 10 s\n");
				return 1;
			}
		}
		total[r] = now_us() - t0;
		if (gets > max_gets)
			max_gets = gets;
		if (gets == 1)
			immediate++;
	}
	qsort(total, (size_t)rounds, sizeof *total, by_value);
	qsort(put, (size_t)rounds, sizeof *put, by_value);
	int p50 = (rounds - 1) / 2, p99 = (rounds * 99 + 99) / 100 - 1;
	printf("VISIBLE %d %lld %lld %lld %lld %d %d\n", rounds, total[p50], total[p99], put[p50],
	       put[p99], max_gets, immediate);
	free(total);
	free(put);
	free(answer);
	return 0;
}
