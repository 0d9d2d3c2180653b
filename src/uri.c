/*
 * uri.c: RFC 3986 reference resolution, written by hand because the
 * libraries the service links (json-c, libfcgi, nettle) have none, and the
 * algorithm is one page of the RFC: split both references into their five
 * components (section 3), merge them (section 5.2.2), drop dot segments
 * (section 5.2.4) and put the result back together (section 5.3).
 */
#include "uri.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct part {
	const char *p;
	size_t n;
	bool defined;
};

struct uri {
	struct part scheme, authority, path, query, fragment;
};

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t
scheme_len(const char *s)
{
	if (!is_alpha(s[0]))
		return 0;
	size_t i = 1;
	while (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' ||
	       s[i] == '.')
		i++;
	return s[i] == ':' ? i : 0;
}

int
uri_has_scheme(const char *s)
{
	return scheme_len(s) > 0;
}

/* Section 3: scheme ":" ["//" authority] path ["?" query] ["#" fragment]. */
static void
split(const char *s, struct uri *u)
{
	memset(u, 0, sizeof *u);
	size_t n = scheme_len(s);
	if (n > 0) {
		u->scheme = (struct part){s, n, true};
		s += n + 1;
	}
	if (s[0] == '/' && s[1] == '/') {
		s += 2;
		size_t a = strcspn(s, "/?#");
		u->authority = (struct part){s, a, true};
		s += a;
	}
	size_t p = strcspn(s, "?#");
	u->path = (struct part){s, p, true};
	s += p;
	if (*s == '?') {
		s++;
		size_t q = strcspn(s, "#");
		u->query = (struct part){s, q, true};
		s += q;
	}
	if (*s == '#') {
		s++;
		u->fragment = (struct part){s, strlen(s), true};
	}
}

/*
 * Section 5.2.4, rules A to E, from in (a malloc'ed path, replaced) into a
 * new buffer: the output never grows longer than the input.
 */
static char *
remove_dot_segments(char *in)
{
	size_t len = strlen(in);
	char *out = malloc(len + 1);
	if (out == NULL) {
		free(in);
		return NULL;
	}
	char *p = in; /* the input buffer: a "/" may be written in place below */
	size_t o = 0;
	while (*p) {
		if (strncmp(p, "../", 3) == 0) {
			p += 3;
		} else if (strncmp(p, "./", 2) == 0) {
			p += 2;
		} else if (strncmp(p, "/./", 3) == 0) {
			p += 2;
		} else if (strcmp(p, "/.") == 0) {
			p += 1;
			*p = '/';
		} else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0) {
			if (p[3] == '/') {
				p += 3;
			} else {
				p += 2;
				*p = '/';
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
			p += strlen(p);
		} else {
			size_t k = (*p == '/') ? 1 : 0;
			k += strcspn(p + k, "/");
			memcpy(out + o, p, k);
			o += k;
			p += k;
		}
	}
	out[o] = '\0';
	free(in);
	return out;
}

static char *
part_dup(struct part a, struct part b)
{
	char *s = malloc(a.n + b.n + 1);
	if (s == NULL)
		return NULL;
	if (a.n)
		memcpy(s, a.p, a.n);
	if (b.n)
		memcpy(s + a.n, b.p, b.n);
	s[a.n + b.n] = '\0';
	return s;
}

/* Section 5.2.3: the base path up to its last "/", then the reference's path. */
static char *
merge(const struct uri *base, struct part rpath)
{
	if (base->authority.defined && base->path.n == 0)
		return part_dup((struct part){"/", 1, true}, rpath);
	size_t keep = base->path.n;
	while (keep > 0 && base->path.p[keep - 1] != '/')
		keep--;
	return part_dup((struct part){base->path.p, keep, true}, rpath);
}

char *
uri_resolve(const char *base_s, const char *ref_s)
{
	struct uri b, r, t;
	split(base_s, &b);
	split(ref_s, &r);
	char *path;
	memset(&t, 0, sizeof t);
	if (r.scheme.defined) {
		t.scheme = r.scheme;
		t.authority = r.authority;
		path = part_dup(r.path, (struct part){0});
		t.query = r.query;
	} else {
		if (r.authority.defined) {
			t.authority = r.authority;
			path = part_dup(r.path, (struct part){0});
			t.query = r.query;
		} else {
			if (r.path.n == 0) {
				path = part_dup(b.path, (struct part){0});
				t.query = r.query.defined ? r.query : b.query;
			} else {
				path = r.path.p[0] == '/' ? part_dup(r.path, (struct part){0})
				                          : merge(&b, r.path);
				t.query = r.query;
			}
			t.authority = b.authority;
		}
		t.scheme = b.scheme;
	}
	if (path != NULL)
		path = remove_dot_segments(path);
	if (path == NULL)
		return NULL;
	t.fragment = r.fragment;
	size_t plen = strlen(path);
	size_t n = t.scheme.n + 1 + 2 + t.authority.n + plen + 1 + t.query.n + 1 + t.fragment.n + 1;
	char *out = malloc(n);
	if (out == NULL) {
		free(path);
		return NULL;
	}
	size_t o = 0;
#define PUT(ptr, len)                                                                              \
	do {                                                                                       \
		if ((len) > 0)                                                                     \
			memcpy(out + o, (ptr), (len));                                             \
		o += (len);                                                                        \
	} while (0)
	if (t.scheme.defined) {
		PUT(t.scheme.p, t.scheme.n);
		PUT(":", 1);
	}
	if (t.authority.defined) {
		PUT("//", 2);
		PUT(t.authority.p, t.authority.n);
	}
	PUT(path, plen);
	if (t.query.defined) {
		PUT("?", 1);
		PUT(t.query.p, t.query.n);
	}
	if (t.fragment.defined) {
		PUT("#", 1);
		PUT(t.fragment.p, t.fragment.n);
	}
#undef PUT
	out[o] = '\0';
	free(path);
	return out;
}
