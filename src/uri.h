/*
 * uri.h: URI reference resolution (RFC 3986 section 5.2), which JSON
 * Schema uses to turn "$id" and "$ref" values into the absolute URIs its
 * documents are known by. Nothing here fetches anything: a URI is only a
 * name.
 */
#ifndef IOTCONFIG_URI_H
#define IOTCONFIG_URI_H

/*
 * Resolves ref against the absolute URI base (RFC 3986 section 5.2.2,
 * with remove_dot_segments of section 5.2.4). Returns a malloc'ed string,
 * or NULL when out of memory.
 */
char *uri_resolve(const char *base, const char *ref);

/* True when s starts with a scheme ("name:"), i.e. is not a relative reference. */
int uri_has_scheme(const char *s);

#endif
