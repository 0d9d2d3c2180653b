/*
 * conditional.c: entity-tag lists and HTTP dates, RFC 9110 sections
 * 8.8.3 (entity-tag, weak and strong comparison), 13.1.1/13.1.2 (If-Match,
 * If-None-Match lists and "*"), 13.1.3/13.1.4 (If-Modified-Since,
 * If-Unmodified-Since), 13.2.2 (the order they are evaluated in) and 5.6.7
 * (date formats a recipient must accept). Dates are handled in the C locale, which the responder
 * never changes.
 */
#include "conditional.h"

#include <string.h>

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool
is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

bool
cond_etag_matches(const char *field, const char *etag, bool weak)
{
	if (field == NULL)
		return false;
	const char *p = skip_ows(field);
	if (*p == '*' && *skip_ows(p + 1) == '\0')
		return etag != NULL;
	if (etag == NULL)
		return false;
	size_t etag_len = strlen(etag);
	bool matched = false;
	while (*p != '\0') {
		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		bool is_weak = false;
		if (p[0] == 'W' && p[1] == '/') {
			is_weak = true;
			p += 2;
		}
		if (*p != '"')
			return false;
		const char *start = p++;
		while (is_etagc((unsigned char)*p))
			p++;
		if (*p != '"')
			return false;
		p++;
		size_t len = (size_t)(p - start);
		if ((weak || !is_weak) && len == etag_len && memcmp(start, etag, len) == 0)
			matched = true;
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return false;
	}
	return matched;
}

bool
cond_parse_http_date(const char *s, time_t *out)
{
	static const char *const formats[] = {
	        "%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
	        "%A, %d-%b-%y %H:%M:%S GMT", /* obsolete RFC 850 */
	        "%a %b %e %H:%M:%S %Y",      /* asctime */
	};
	if (s == NULL)
		return false;
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		const char *end = strptime(s, formats[i], &tm);
		if (end != NULL && *end == '\0') {
			*out = timegm(&tm);
			return *out != (time_t)-1;
		}
	}
	return false;
}

void
cond_format_http_date(time_t t, char out[HTTP_DATE_LEN + 1])
{
	/* Written directly rather than with strftime: every config GET sends one. */
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", HTTP_DATE_LEN + 1);
		return;
	}
	int year = tm.tm_year + 1900;
	char *p = out;
	memcpy(p, days + 3 * tm.tm_wday, 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	*p++ = (char)('0' + tm.tm_mday / 10);
	*p++ = (char)('0' + tm.tm_mday % 10);
	*p++ = ' ';
	memcpy(p, months + 3 * tm.tm_mon, 3);
	p += 3;
	*p++ = ' ';
	*p++ = (char)('0' + year / 1000);
	*p++ = (char)('0' + year / 100 % 10);
	*p++ = (char)('0' + year / 10 % 10);
	*p++ = (char)('0' + year % 10);
	const int hms[3] = {tm.tm_hour, tm.tm_min, tm.tm_sec};
	for (int i = 0; i < 3; i++) {
		*p++ = i == 0 ? ' ' : ':';
		*p++ = (char)('0' + hms[i] / 10);
		*p++ = (char)('0' + hms[i] % 10);
	}
	memcpy(p, " GMT", 5);
}

bool
cond_mtime_usable(time_t mtime, time_t now)
{
	return mtime > 0 && mtime < now;
}

static enum cond_outcome
decide(enum cond_outcome outcome, enum cond_decided_by by, enum cond_decided_by *decided_by)
{
	if (decided_by != NULL)
		*decided_by = by;
	return outcome;
}

enum cond_outcome
cond_evaluate(const struct cond_fields *f, bool safe, const char *etag, time_t mtime, time_t now,
              enum cond_decided_by *decided_by)
{
	time_t date;
	/* Step 1, section 13.1.1. */
	if (f->if_match != NULL) {
		if (!cond_etag_matches(f->if_match, etag, false))
			return decide(COND_FAILED, COND_BY_IF_MATCH, decided_by);
	} else if (f->if_unmodified_since != NULL && etag != NULL && mtime > 0 &&
	           cond_parse_http_date(f->if_unmodified_since, &date)) {
		/* Step 2, section 13.1.4. */
		if (!cond_mtime_usable(mtime, now))
			return decide(COND_FAILED, COND_BY_IF_UNMODIFIED_SINCE_RECENT, decided_by);
		if (mtime > date)
			return decide(COND_FAILED, COND_BY_IF_UNMODIFIED_SINCE, decided_by);
	}
	/* Step 3, section 13.1.2. */
	if (f->if_none_match != NULL) {
		if (cond_etag_matches(f->if_none_match, etag, true))
			return decide(safe ? COND_NOT_MODIFIED : COND_FAILED, COND_BY_IF_NONE_MATCH,
			              decided_by);
	} else if (safe && f->if_modified_since != NULL && etag != NULL &&
	           cond_mtime_usable(mtime, now) &&
	           cond_parse_http_date(f->if_modified_since, &date)) {
		/* Step 4, section 13.1.3. */
		if (mtime <= date)
			return decide(COND_NOT_MODIFIED, COND_BY_IF_MODIFIED_SINCE, decided_by);
	}
	return decide(COND_PROCEED, COND_BY_NONE, decided_by);
}
