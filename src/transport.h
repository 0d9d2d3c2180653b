/*
 * transport.h: where requests come from and responses go. Under a web
 * server's FastCGI module (lighttpd mod_fastcgi, Apache mod_fcgid) that is
 * libfcgi's record stream; when the same binary is run per request by
 * mod_cgi it is the CGI environment, stdin and stdout, one request per
 * process. Everything above this file sees one interface.
 */
#ifndef IOTCONFIG_TRANSPORT_H
#define IOTCONFIG_TRANSPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct transport;

/* Once per process. Returns NULL when libfcgi cannot be initialised. */
struct transport *transport_open(void);
bool transport_is_cgi(const struct transport *t);

/*
 * CGI: points stdin and stdout at /dev/null, so the web server sees the
 * end of the response while the process still has work to finish (MQTT
 * acknowledgements). No-op under FastCGI.
 */
void transport_cgi_detach(struct transport *t);

enum transport_event {
	TRANSPORT_REQUEST,     /* a request is ready */
	TRANSPORT_DONE,        /* CGI: the one request has been served */
	TRANSPORT_INTERRUPTED, /* a signal ended the wait */
	TRANSPORT_ERROR,       /* accept failed; errno says why */
	TRANSPORT_IDLE,        /* no request came within idle_ms */
};

/*
 * Waits for the next request with wait_mask as the signal mask (the
 * caller's stop signals unblocked there, blocked everywhere else), for at
 * most idle_ms milliseconds (-1: as long as it takes).
 */
enum transport_event transport_accept(struct transport *t, const sigset_t *wait_mask, int idle_ms);

/*
 * Every parameter of the current request as a "NAME=value" string, in the
 * order the web server sent them, NULL-terminated (CGI: the environment).
 */
char **transport_params(struct transport *t);

/* Reads up to n body bytes; 0 at the end of the body, -1 on error. */
ssize_t transport_read(struct transport *t, void *buf, size_t n);

/* Most body bytes read only to be dropped; beyond, the connection may reset. */
#define TRANSPORT_DISCARD_MAX (64ull * 1024 * 1024)

/* Reads and drops up to n body bytes (fewer at the end of the body). */
void transport_discard(struct transport *t, unsigned long long n);

/* Writes all n bytes of the response; 0 or -1. */
int transport_write(struct transport *t, const void *buf, size_t n);

/* Completes the current request (flushes the response). */
void transport_finish(struct transport *t);

void transport_close(struct transport *t);

#endif
