/*
 * conditional.h: the pieces of HTTP conditional requests (RFC 9110
 * section 13) that do not depend on a request: entity-tag list matching
 * and HTTP-date parsing/formatting. Pure functions, unit tested.
 */
#ifndef IOTCONFIG_CONDITIONAL_H
#define IOTCONFIG_CONDITIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * Does an If-Match / If-None-Match field value match the current entity
 * tag? `etag` is the quoted tag ("\"abc\""), or NULL when there is no
 * current representation. "*" matches any current representation.
 * weak selects weak comparison (If-None-Match, section 8.8.3.2); strong
 * comparison (If-Match) never matches a W/ tag. A malformed list matches
 * nothing.
 */
bool cond_etag_matches(const char *field, const char *etag, bool weak);

/* Parses IMF-fixdate, RFC 850 and asctime forms (section 5.6.7). */
bool cond_parse_http_date(const char *s, time_t *out);

/* Writes the IMF-fixdate form of t and a NUL into out. */
void cond_format_http_date(time_t t, char out[HTTP_DATE_LEN + 1]);

#endif
