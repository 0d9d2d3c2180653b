/*
 * conditional.h: the pieces of HTTP conditional requests (RFC 9110
 * section 13) that do not depend on a request: entity-tag list matching,
 * HTTP-date parsing/formatting and the evaluation of all four
 * preconditions in the order of section 13.2.2. Pure functions, unit
 * tested.
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

/* The precondition fields of a request; NULL where absent. */
struct cond_fields {
	const char *if_match;
	const char *if_unmodified_since;
	const char *if_none_match;
	const char *if_modified_since;
};

enum cond_outcome {
	COND_PROCEED,      /* perform the method */
	COND_NOT_MODIFIED, /* answer 304 (GET/HEAD only) */
	COND_FAILED,       /* answer 412 */
};

/* Which test decided a COND_NOT_MODIFIED or COND_FAILED outcome. */
enum cond_decided_by {
	COND_BY_NONE,
	COND_BY_IF_MATCH,
	COND_BY_IF_UNMODIFIED_SINCE,
	COND_BY_IF_UNMODIFIED_SINCE_RECENT, /* modified within the current second */
	COND_BY_IF_NONE_MATCH,
	COND_BY_IF_MODIFIED_SINCE,
};

/*
 * Evaluates the preconditions in the order of RFC 9110 section 13.2.2:
 *   1. If-Match (strong comparison); false: 412.
 *   2. Without If-Match, If-Unmodified-Since; false: 412.
 *   3. If-None-Match (weak comparison); false: 304 for GET/HEAD, else 412.
 *   4. Without If-None-Match and for GET/HEAD only, If-Modified-Since;
 *      false: 304.
 * `etag` is the current quoted entity tag, NULL when there is no current
 * representation; `mtime` its modification time, 0 when there is none;
 * `now` the current time; `safe` is true for GET and HEAD.
 *
 * Dates (sections 13.1.3 and 13.1.4): a field that is not a valid
 * HTTP-date is ignored, and so is a date field when there is no current
 * representation or no modification time. A modification time has one
 * second of resolution, so one within the current second (or later) is
 * not a usable validator: If-Modified-Since is then ignored (the full
 * answer is sent), and If-Unmodified-Since is false whatever its date (the
 * file may change again within that second without its time moving, so
 * "not modified since" cannot be proven).
 *
 * *decided_by (may be NULL) names the test behind a 304 or 412.
 */
enum cond_outcome cond_evaluate(const struct cond_fields *f, bool safe, const char *etag,
                                time_t mtime, time_t now, enum cond_decided_by *decided_by);

/* A modification time that can be compared with a date: present, and a second already over. */
bool cond_mtime_usable(time_t mtime, time_t now);

#endif
