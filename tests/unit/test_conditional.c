/*
 * test_conditional.c: proves the request-independent parts of HTTP
 * conditional requests in conditional.c. cond_etag_matches follows RFC
 * 9110: a single tag or a comma list with optional whitespace and empty
 * elements, "*" matching only when there is a current representation, W/
 * tags matching under weak comparison (If-None-Match) but never under
 * strong comparison (If-Match), and a malformed list (or a NULL field)
 * matching nothing. cond_parse_http_date accepts the three date forms of
 * section 5.6.7 as UTC and refuses anything else, and
 * cond_format_http_date writes the IMF-fixdate form exactly.
 * cond_evaluate applies the four preconditions in the order of section
 * 13.2.2: If-Match first (If-Unmodified-Since is then ignored),
 * If-Unmodified-Since before If-None-Match, If-None-Match before (and
 * instead of) If-Modified-Since, which counts for GET/HEAD only; a date
 * field is ignored when it is not a valid date or there is no
 * representation or modification time, and a modification time within
 * the current second fails If-Unmodified-Since and is ignored by
 * If-Modified-Since.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conditional.h"
#include "tap.h"

#define TAG "\"0123456789abcdef0123456789abcdef\""

static bool
parses_to(const char *s, time_t want)
{
	time_t t = (time_t)-2;
	return cond_parse_http_date(s, &t) && t == want;
}

static bool
refused(const char *s)
{
	time_t t = (time_t)12345;
	return !cond_parse_http_date(s, &t);
}

#define MT       ((time_t)784111777) /* the representation's modification time */
#define D_EQ     "Sun, 06 Nov 1994 08:49:37 GMT"
#define D_BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define D_AFTER  "Sun, 06 Nov 1994 08:49:38 GMT"
#define D_FUTURE "Sun, 06 Nov 2094 08:49:37 GMT"
#define NOW      (MT + 100)

/* One cond_evaluate call: fields IM, IUS, INM, IMS (NULL when absent). */
static bool
evaluates(const char *im, const char *ius, const char *inm, const char *ims, bool safe,
          const char *etag, time_t mtime, time_t now, enum cond_outcome want,
          enum cond_decided_by want_by)
{
	struct cond_fields f = {.if_match = im,
	                        .if_unmodified_since = ius,
	                        .if_none_match = inm,
	                        .if_modified_since = ims};
	enum cond_decided_by by = (enum cond_decided_by) - 1;
	enum cond_outcome got = cond_evaluate(&f, safe, etag, mtime, now, &by);
	if (got != want || by != want_by)
		printf("#   outcome %d by %d, want %d by %d\n", (int)got, (int)by, (int)want,
		       (int)want_by);
	return got == want && by == want_by;
}

#define GET true
#define PUT false

static void
check_evaluate(void)
{
	/* no preconditions */
	TAP_CHECK(evaluates(NULL, NULL, NULL, NULL, GET, TAG, MT, NOW, COND_PROCEED, COND_BY_NONE),
	          "eval: no fields: proceed");

	/* step 1: If-Match */
	TAP_CHECK(evaluates(TAG, NULL, NULL, NULL, GET, TAG, MT, NOW, COND_PROCEED, COND_BY_NONE),
	          "eval: GET with a matching If-Match proceeds");
	TAP_CHECK(evaluates("\"x\"", NULL, NULL, NULL, GET, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_MATCH),
	          "eval: GET with a stale If-Match fails (412), not 304 or 200");
	TAP_CHECK(evaluates("\"x\"", NULL, NULL, NULL, PUT, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_MATCH),
	          "eval: PUT with a stale If-Match fails");
	TAP_CHECK(evaluates("W/" TAG, NULL, NULL, NULL, GET, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_MATCH),
	          "eval: If-Match compares strongly on GET too");
	TAP_CHECK(
	        evaluates("*", NULL, NULL, NULL, PUT, NULL, 0, NOW, COND_FAILED, COND_BY_IF_MATCH),
	        "eval: If-Match: * fails without a representation");
	TAP_CHECK(
	        evaluates(TAG, D_BEFORE, NULL, NULL, PUT, TAG, MT, NOW, COND_PROCEED, COND_BY_NONE),
	        "eval: a matching If-Match makes If-Unmodified-Since ignored");
	TAP_CHECK(evaluates(TAG, NULL, NULL, NULL, PUT, TAG, NOW, NOW, COND_PROCEED, COND_BY_NONE),
	          "eval: If-Match holds for a file modified within the current second");
	TAP_CHECK(evaluates("\"x\"", D_AFTER, NULL, NULL, PUT, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_MATCH),
	          "eval: a stale If-Match fails even with a true If-Unmodified-Since");

	/* step 2: If-Unmodified-Since */
	TAP_CHECK(evaluates(NULL, D_EQ, NULL, NULL, PUT, TAG, MT, NOW, COND_PROCEED, COND_BY_NONE),
	          "eval: If-Unmodified-Since equal to the modification time holds");
	TAP_CHECK(
	        evaluates(NULL, D_AFTER, NULL, NULL, GET, TAG, MT, NOW, COND_PROCEED, COND_BY_NONE),
	        "eval: If-Unmodified-Since after the modification time holds");
	TAP_CHECK(evaluates(NULL, D_BEFORE, NULL, NULL, PUT, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_UNMODIFIED_SINCE),
	          "eval: PUT: If-Unmodified-Since one second early fails");
	TAP_CHECK(evaluates(NULL, D_BEFORE, NULL, NULL, GET, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_UNMODIFIED_SINCE),
	          "eval: GET: If-Unmodified-Since one second early fails (412)");
	TAP_CHECK(evaluates(NULL, "not a date", NULL, NULL, PUT, TAG, MT, NOW, COND_PROCEED,
	                    COND_BY_NONE),
	          "eval: an invalid If-Unmodified-Since is ignored");
	TAP_CHECK(evaluates(NULL, D_BEFORE, NULL, NULL, PUT, NULL, 0, NOW, COND_PROCEED,
	                    COND_BY_NONE),
	          "eval: If-Unmodified-Since is ignored without a representation");
	TAP_CHECK(
	        evaluates(NULL, D_BEFORE, NULL, NULL, PUT, TAG, 0, NOW, COND_PROCEED, COND_BY_NONE),
	        "eval: If-Unmodified-Since is ignored without a modification time");
	TAP_CHECK(evaluates(NULL, D_FUTURE, NULL, NULL, PUT, TAG, NOW, NOW, COND_FAILED,
	                    COND_BY_IF_UNMODIFIED_SINCE_RECENT),
	          "eval: modified within the current second fails If-Unmodified-Since, "
	          "whatever the date");
	TAP_CHECK(evaluates(NULL, D_EQ, NULL, NULL, GET, TAG, MT, MT, COND_FAILED,
	                    COND_BY_IF_UNMODIFIED_SINCE_RECENT),
	          "eval: ... also with the date of that very second, on GET");
	TAP_CHECK(evaluates(NULL, D_FUTURE, NULL, NULL, PUT, TAG, NOW + 5, NOW, COND_FAILED,
	                    COND_BY_IF_UNMODIFIED_SINCE_RECENT),
	          "eval: a modification time ahead of the clock fails If-Unmodified-Since");
	TAP_CHECK(
	        evaluates(NULL, D_EQ, NULL, NULL, PUT, TAG, MT, MT + 1, COND_PROCEED, COND_BY_NONE),
	        "eval: once its second is over, the modification time is compared");
	TAP_CHECK(evaluates(NULL, D_BEFORE, TAG, NULL, GET, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_UNMODIFIED_SINCE),
	          "eval: a false If-Unmodified-Since wins over a matching If-None-Match (412, "
	          "not 304)");
	TAP_CHECK(evaluates(NULL, D_EQ, TAG, NULL, GET, TAG, MT, NOW, COND_NOT_MODIFIED,
	                    COND_BY_IF_NONE_MATCH),
	          "eval: a true If-Unmodified-Since goes on to If-None-Match");

	/* step 3: If-None-Match */
	TAP_CHECK(evaluates(NULL, NULL, TAG, NULL, GET, TAG, MT, NOW, COND_NOT_MODIFIED,
	                    COND_BY_IF_NONE_MATCH),
	          "eval: GET with a matching If-None-Match is 304");
	TAP_CHECK(evaluates(NULL, NULL, TAG, NULL, PUT, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_NONE_MATCH),
	          "eval: PUT with a matching If-None-Match fails");
	TAP_CHECK(evaluates(NULL, NULL, "*", NULL, PUT, NULL, 0, NOW, COND_PROCEED, COND_BY_NONE),
	          "eval: If-None-Match: * lets a PUT create");
	TAP_CHECK(evaluates(NULL, NULL, "*", NULL, PUT, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_NONE_MATCH),
	          "eval: If-None-Match: * refuses a PUT over a representation");
	TAP_CHECK(evaluates(TAG, NULL, TAG, NULL, GET, TAG, MT, NOW, COND_NOT_MODIFIED,
	                    COND_BY_IF_NONE_MATCH),
	          "eval: If-Match holds, then If-None-Match answers 304");
	TAP_CHECK(
	        evaluates(NULL, NULL, "\"x\"", D_EQ, GET, TAG, MT, NOW, COND_PROCEED, COND_BY_NONE),
	        "eval: a non-matching If-None-Match makes If-Modified-Since ignored");

	/* step 4: If-Modified-Since */
	TAP_CHECK(evaluates(NULL, NULL, NULL, D_EQ, GET, TAG, MT, NOW, COND_NOT_MODIFIED,
	                    COND_BY_IF_MODIFIED_SINCE),
	          "eval: If-Modified-Since equal to the modification time is 304");
	TAP_CHECK(evaluates(NULL, NULL, NULL, D_AFTER, GET, TAG, MT, NOW, COND_NOT_MODIFIED,
	                    COND_BY_IF_MODIFIED_SINCE),
	          "eval: If-Modified-Since after the modification time is 304");
	TAP_CHECK(evaluates(NULL, NULL, NULL, D_BEFORE, GET, TAG, MT, NOW, COND_PROCEED,
	                    COND_BY_NONE),
	          "eval: If-Modified-Since before the modification time sends it");
	TAP_CHECK(evaluates(NULL, NULL, NULL, D_EQ, PUT, TAG, MT, NOW, COND_PROCEED, COND_BY_NONE),
	          "eval: If-Modified-Since is ignored on PUT/DELETE");
	TAP_CHECK(evaluates(NULL, NULL, NULL, D_FUTURE, GET, TAG, NOW, NOW, COND_PROCEED,
	                    COND_BY_NONE),
	          "eval: If-Modified-Since is ignored within the modification's second");
	TAP_CHECK(evaluates(NULL, NULL, NULL, "not a date", GET, TAG, MT, NOW, COND_PROCEED,
	                    COND_BY_NONE),
	          "eval: an invalid If-Modified-Since is ignored");
	TAP_CHECK(evaluates(NULL, D_BEFORE, NULL, D_EQ, GET, TAG, MT, NOW, COND_FAILED,
	                    COND_BY_IF_UNMODIFIED_SINCE),
	          "eval: a false If-Unmodified-Since wins over a 304 from If-Modified-Since");
}

int
main(void)
{
	/* the date parser must not depend on the local time zone */
	setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1); /* POSIX rule: no zoneinfo needed */
	tzset();

	/* --- entity-tag lists ------------------------------------------ */
	TAP_CHECK(cond_etag_matches(TAG, TAG, false), "cond: single tag matches (strong)");
	TAP_CHECK(cond_etag_matches(TAG, TAG, true), "cond: single tag matches (weak)");
	TAP_CHECK(!cond_etag_matches("\"other\"", TAG, false),
	          "cond: different tag does not match");
	TAP_CHECK(!cond_etag_matches("\"0123456789abcdef0123456789abcde\"", TAG, true),
	          "cond: a prefix of the tag does not match");
	TAP_CHECK(!cond_etag_matches("\"x\"", "\"X\"", true), "cond: comparison is case-sensitive");
	TAP_CHECK(cond_etag_matches("\"a\", \"b\"," TAG, "\"b\"", false),
	          "cond: tag in the middle of a list matches");
	TAP_CHECK(cond_etag_matches("\"a\",\t" TAG "  ", TAG, false),
	          "cond: list with OWS (space, tab, trailing) matches");
	TAP_CHECK(cond_etag_matches("  " TAG, TAG, false), "cond: leading OWS is allowed");
	TAP_CHECK(cond_etag_matches(", ," TAG ",,", TAG, false),
	          "cond: empty list elements are allowed");
	TAP_CHECK(!cond_etag_matches("\"a\", \"b\"", TAG, true),
	          "cond: list without the tag misses");
	TAP_CHECK(cond_etag_matches("\"\"", "\"\"", false),
	          "cond: empty opaque tag matches itself");

	TAP_CHECK(cond_etag_matches("*", TAG, false),
	          "cond: \"*\" matches a current representation");
	TAP_CHECK(cond_etag_matches(" * ", TAG, true), "cond: \"*\" with OWS matches");
	TAP_CHECK(!cond_etag_matches("*", NULL, false),
	          "cond: \"*\" does not match without a current representation (strong)");
	TAP_CHECK(!cond_etag_matches("*", NULL, true),
	          "cond: \"*\" does not match without a current representation (weak)");
	TAP_CHECK(!cond_etag_matches(TAG, NULL, true),
	          "cond: a tag does not match no representation");
	TAP_CHECK(!cond_etag_matches("*, " TAG, TAG, false),
	          "cond: \"*\" inside a list is malformed and matches nothing");

	TAP_CHECK(cond_etag_matches("W/" TAG, TAG, true),
	          "cond: W/ tag matches under weak comparison");
	TAP_CHECK(!cond_etag_matches("W/" TAG, TAG, false),
	          "cond: W/ tag does not match under strong comparison");
	TAP_CHECK(cond_etag_matches("W/\"a\", " TAG, TAG, false),
	          "cond: a strong tag after a W/ tag matches under strong comparison");
	TAP_CHECK(cond_etag_matches("\"a\", W/" TAG, TAG, true),
	          "cond: W/ tag later in a list matches under weak comparison");
	TAP_CHECK(!cond_etag_matches("w/" TAG, TAG, true), "cond: lower-case w/ is malformed");
	TAP_CHECK(!cond_etag_matches("W/ " TAG, TAG, true), "cond: space after W/ is malformed");

	TAP_CHECK(!cond_etag_matches(NULL, TAG, false), "cond: NULL field matches nothing");
	TAP_CHECK(!cond_etag_matches(NULL, NULL, true),
	          "cond: NULL field matches nothing, even without a representation");
	TAP_CHECK(!cond_etag_matches("", TAG, true), "cond: empty field matches nothing");
	TAP_CHECK(!cond_etag_matches("0123456789abcdef0123456789abcdef", TAG, true),
	          "cond: unquoted tag is malformed");
	TAP_CHECK(!cond_etag_matches("\"0123456789abcdef0123456789abcdef", TAG, true),
	          "cond: unterminated tag is malformed");
	TAP_CHECK(!cond_etag_matches(TAG " " TAG, TAG, true),
	          "cond: two tags without a comma are malformed");
	TAP_CHECK(!cond_etag_matches(TAG ", junk", TAG, true),
	          "cond: a matching tag followed by junk matches nothing");
	TAP_CHECK(!cond_etag_matches(TAG ", W/", TAG, true),
	          "cond: a matching tag followed by a bare W/ matches nothing");
	TAP_CHECK(!cond_etag_matches(TAG "x", TAG, true),
	          "cond: characters glued after a tag are malformed");
	TAP_CHECK(!cond_etag_matches("\"a b\", " TAG, TAG, true),
	          "cond: space inside a tag is malformed");
	TAP_CHECK(!cond_etag_matches("\"a\x7f\", " TAG, TAG, true),
	          "cond: DEL inside a tag is malformed");
	TAP_CHECK(!cond_etag_matches("\"a\tb\", " TAG, TAG, true),
	          "cond: control character inside a tag is malformed");
	TAP_CHECK(cond_etag_matches("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", false),
	          "cond: obs-text inside a tag is allowed");

	/* --- HTTP dates --------------------------------------------------- */
	TAP_CHECK(parses_to("Sun, 06 Nov 1994 08:49:37 GMT", 784111777),
	          "cond: IMF-fixdate parses as UTC");
	TAP_CHECK(parses_to("Sunday, 06-Nov-94 08:49:37 GMT", 784111777),
	          "cond: RFC 850 date parses as UTC");
	TAP_CHECK(parses_to("Sun Nov  6 08:49:37 1994", 784111777),
	          "cond: asctime date parses as UTC");
	TAP_CHECK(parses_to("Thu, 01 Jan 1970 00:00:00 GMT", 0), "cond: the epoch parses as 0");
	TAP_CHECK(parses_to("Tue, 29 Feb 2028 23:59:59 GMT", 1835481599),
	          "cond: a leap day parses");
	TAP_CHECK(refused(""), "cond: empty date is refused");
	TAP_CHECK(refused(NULL), "cond: NULL date is refused");
	TAP_CHECK(refused("yesterday"), "cond: garbage date is refused");
	TAP_CHECK(refused("784111777"), "cond: a number is not a date");
	TAP_CHECK(refused("Sun, 06 Nov 1994 08:49:37"), "cond: IMF-fixdate without GMT is refused");
	TAP_CHECK(refused("Sun, 06 Nov 1994 08:49:37 GMT junk"),
	          "cond: trailing characters are refused");
	TAP_CHECK(refused("Sun, 06 Foo 1994 08:49:37 GMT"), "cond: unknown month is refused");
	TAP_CHECK(refused("Sun, 06 Nov 1994 25:49:37 GMT"), "cond: hour 25 is refused");
	TAP_CHECK(refused("Sun, 32 Nov 1994 08:49:37 GMT"), "cond: day 32 is refused");
	TAP_CHECK(refused("1994-11-06T08:49:37Z"), "cond: ISO 8601 is not an HTTP date");

	/* --- formatting --------------------------------------------------- */
	{
		char out[HTTP_DATE_LEN + 1];
		memset(out, 'X', sizeof out);
		cond_format_http_date(784111777, out);
		TAP_STREQ(out, "Sun, 06 Nov 1994 08:49:37 GMT",
		          "cond: 784111777 formats as Sun, 06 Nov 1994 08:49:37 GMT");
		cond_format_http_date(0, out);
		TAP_STREQ(out, "Thu, 01 Jan 1970 00:00:00 GMT", "cond: the epoch formats exactly");
		cond_format_http_date(1835481599, out);
		TAP_STREQ(out, "Tue, 29 Feb 2028 23:59:59 GMT", "cond: a leap day formats exactly");
		time_t back = 0;
		cond_format_http_date(1700000000, out);
		TAP_CHECK(cond_parse_http_date(out, &back) && back == 1700000000,
		          "cond: a formatted date parses back to the same time");
		TAP_CHECK(strlen(out) == HTTP_DATE_LEN, "cond: formatted date is 29 characters");
	}
	check_evaluate();
	return tap_done();
}
