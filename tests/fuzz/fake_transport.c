/*
 * fake_transport.c: see fake_transport.h. Defines every function of
 * src/transport.h, so the linker never takes transport.o (and libfcgi)
 * from the library archive.
 */
#include "fake_transport.h"

#include <string.h>

void
fake_transport_reset(struct transport *t)
{
	t->nparams = 0;
	t->body = NULL;
	t->body_len = 0;
	t->body_pos = 0;
	t->out.len = 0;
}

void
fake_transport_param(struct transport *t, const char *name, const char *value)
{
	for (size_t i = 0; i < t->nparams; i++) {
		if (strcmp(t->names[i], name) == 0) {
			t->values[i] = value; /* a repeated header: the last one wins */
			return;
		}
	}
	if (t->nparams < FAKE_MAX_PARAMS) {
		t->names[t->nparams] = name;
		t->values[t->nparams] = value;
		t->nparams++;
	}
}

struct transport *
transport_open(void)
{
	return NULL; /* the harness owns its transport */
}

bool
transport_is_cgi(const struct transport *t)
{
	(void)t;
	return false;
}

enum transport_event
transport_accept(struct transport *t, const sigset_t *wait_mask, int idle_ms)
{
	(void)t;
	(void)wait_mask;
	(void)idle_ms;
	return TRANSPORT_DONE;
}

/* The parameters as an environment array, rebuilt from names and values. */
char **
transport_params(struct transport *t)
{
	size_t offsets[FAKE_MAX_PARAMS];
	t->env.len = 0;
	for (size_t i = 0; i < t->nparams; i++) {
		offsets[i] = t->env.len;
		if (buf_puts(&t->env, t->names[i]) != 0 || buf_append(&t->env, "=", 1) != 0 ||
		    buf_puts(&t->env, t->values[i]) != 0 || buf_append(&t->env, "", 1) != 0)
			return NULL;
	}
	for (size_t i = 0; i < t->nparams; i++)
		t->envp[i] = t->env.data + offsets[i];
	t->envp[t->nparams] = NULL;
	return t->envp;
}

void
transport_discard(struct transport *t, unsigned long long n)
{
	size_t left = t->body_len - t->body_pos;
	t->body_pos += n < left ? (size_t)n : left;
}

ssize_t
transport_read(struct transport *t, void *buf, size_t n)
{
	size_t left = t->body_len - t->body_pos;
	if (n > left)
		n = left;
	if (n == 0)
		return 0;
	memcpy(buf, t->body + t->body_pos, n);
	t->body_pos += n;
	return (ssize_t)n;
}

int
transport_write(struct transport *t, const void *buf, size_t n)
{
	return buf_append(&t->out, buf, n);
}

void
transport_finish(struct transport *t)
{
	(void)t;
}

void
transport_close(struct transport *t)
{
	(void)t;
}
