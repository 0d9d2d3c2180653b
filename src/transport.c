/*
 * transport.c: libfcgi in FastCGI mode, plain stdio in CGI mode.
 *
 * libfcgi's FCGX_Accept_r does not fall back to CGI by itself (only the
 * stdio wrapper FCGI_Accept does, by replacing stdin/stdout), so CGI mode
 * is a handful of lines here: parameters from getenv(), the body from fd
 * 0, the response to fd 1.
 *
 * Waiting for a request is ppoll(2) on the listening socket with the
 * caller's signal mask, so a stop signal ends the wait at once and can not
 * arrive anywhere else (the caller keeps stop signals blocked otherwise).
 * The socket is non-blocking: when several responders wake for one
 * connection, those that lose the race get EAGAIN from accept() and wait
 * again, instead of blocking where no signal could reach them.
 *
 * A CGI process reads the rest of the body before it exits (as announced by
 * CONTENT_LENGTH, or to the end with chunked transfer coding, which Apache
 * passes without a length), even when the answer did not need it (RFC 3875 section 4.2 allows
 * leaving it): Apache's mod_cgid connects stdin and stdout to one socket, and closing a socket with
 * unread bytes in it resets the connection, which cuts the response short on its way to the client.
 */
#include "transport.h"

#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct transport {
	bool cgi;
	bool cgi_served;
	bool active;
	unsigned long long cgi_body_read; /* CGI: body bytes read so far */
	FCGX_Request req;
};

struct transport *
transport_open(void)
{
	struct transport *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	if (FCGX_Init() != 0) {
		free(t);
		return NULL;
	}
	t->cgi = FCGX_IsCGI() != 0;
	if (t->cgi)
		return t;
	int flags = fcntl(FCGI_LISTENSOCK_FILENO, F_GETFL);
	if (flags < 0 || fcntl(FCGI_LISTENSOCK_FILENO, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    FCGX_InitRequest(&t->req, FCGI_LISTENSOCK_FILENO, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

bool
transport_is_cgi(const struct transport *t)
{
	return t->cgi;
}

enum transport_event
transport_accept(struct transport *t, const sigset_t *wait_mask, int idle_ms)
{
	if (t->cgi) {
		if (t->cgi_served)
			return TRANSPORT_DONE;
		t->cgi_served = true;
		t->active = true;
		return TRANSPORT_REQUEST;
	}
	struct timespec idle = {.tv_sec = idle_ms / 1000,
	                        .tv_nsec = (long)(idle_ms % 1000) * 1000000};
	for (;;) {
		struct pollfd pfd = {.fd = FCGI_LISTENSOCK_FILENO, .events = POLLIN};
		int n = ppoll(&pfd, 1, idle_ms < 0 ? NULL : &idle, wait_mask);
		if (n < 0)
			return errno == EINTR ? TRANSPORT_INTERRUPTED : TRANSPORT_ERROR;
		if (n == 0)
			return TRANSPORT_IDLE;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			errno = EBADF;
			return TRANSPORT_ERROR;
		}
		/* Returns -errno on failure (libfcgi's convention). */
		int rc = FCGX_Accept_r(&t->req);
		if (rc == 0) {
			t->active = true;
			return TRANSPORT_REQUEST;
		}
		t->active = false;
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
			continue; /* another responder took the connection */
		errno = -rc;
		return TRANSPORT_ERROR;
	}
}

char **
transport_params(struct transport *t)
{
	return t->cgi ? environ : t->req.envp;
}

ssize_t
transport_read(struct transport *t, void *buf, size_t n)
{
	if (t->cgi) {
		for (;;) {
			ssize_t r = read(STDIN_FILENO, buf, n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0)
				t->cgi_body_read += (unsigned long long)r;
			return r;
		}
	}
	int want = n > 65536 ? 65536 : (int)n;
	int got = FCGX_GetStr(buf, want, t->req.in);
	if (got < want && FCGX_GetError(t->req.in) != 0)
		return -1;
	return got;
}

int
transport_write(struct transport *t, const void *buf, size_t n)
{
	const char *p = buf;
	if (t->cgi) {
		while (n > 0) {
			ssize_t w = write(STDOUT_FILENO, p, n);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			p += w;
			n -= (size_t)w;
		}
		return 0;
	}
	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;
		if (FCGX_PutStr(p, chunk, t->req.out) != chunk)
			return -1;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

void
transport_discard(struct transport *t, unsigned long long n)
{
	char sink[16384];
	while (n > 0) {
		ssize_t got = transport_read(t, sink, n < sizeof sink ? (size_t)n : sizeof sink);
		if (got <= 0)
			return;
		n -= (unsigned long long)got;
	}
}

/* Is the CGI request's body sent with chunked transfer coding (no length)? */
static bool
cgi_chunked(void)
{
	const char *te = getenv("HTTP_TRANSFER_ENCODING");
	return te != NULL && strcasestr(te, "chunked") != NULL;
}

/* CGI: discards what is left of the body. */
static void
cgi_drain_body(struct transport *t)
{
	const char *cl = getenv("CONTENT_LENGTH");
	unsigned long long want = TRANSPORT_DISCARD_MAX;
	if (cl != NULL && cl[0] >= '0' && cl[0] <= '9') {
		char *end = NULL;
		errno = 0;
		want = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0' || want - t->cgi_body_read > TRANSPORT_DISCARD_MAX)
			return;
	} else if (!cgi_chunked()) {
		return;
	}
	if (want <= t->cgi_body_read)
		return;
	transport_discard(t, want - t->cgi_body_read);
}

void
transport_finish(struct transport *t)
{
	if (!t->active)
		return;
	t->active = false;
	if (t->cgi)
		cgi_drain_body(t);
	else
		FCGX_Finish_r(&t->req);
}

void
transport_cgi_detach(struct transport *t)
{
	if (t == NULL || !t->cgi)
		return;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

void
transport_close(struct transport *t)
{
	if (t == NULL)
		return;
	transport_finish(t);
	if (!t->cgi)
		FCGX_Free(&t->req, 1);
	free(t);
}
