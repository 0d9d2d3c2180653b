/*
 * conditional.c: entity-tag lists and HTTP dates, RFC 9110 sections
 * 8.8.3 (entity-tag, weak and strong comparison), 13.1.1/13.1.2 (If-Match,
 * If-None-Match lists and "*") and 5.6.7 (date formats a recipient must
 * accept). Dates are handled in the C locale, which the responder never
 * changes.
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
