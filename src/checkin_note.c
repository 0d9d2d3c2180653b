/*
 * checkin_note.c: the fetch note of checkin_note.h: its bytes, the rule
 * that tells the device among a MAC's clients, and the update one fetch
 * makes.
 *
 * The file is text, one line per client after a first line naming the
 * form, fields separated by tabs (which checkin_clean_text removes from
 * every text field, like every other control byte):
 *
 *   iotconfig-fetch 2
 *   <at>\t<first_at>\t<etag or ->\t<0|1 authenticated>\t<addr>\t<user agent>
 *
 * The first form ("iotconfig-fetch 1", five lines: at, etag, addr, user
 * agent) is still read, as one client first seen at its time: notes
 * written before an upgrade keep their meaning.
 */
#include "checkin_note.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notefile.h"

#define NOTE_MAGIC_1 "iotconfig-fetch 1"
#define NOTE_MAGIC_2 "iotconfig-fetch 2"

/* --- text ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 (RFC 3629 section 4). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0; /* no overlong form */
		if (c == 0xED)
			hi = 0x9F; /* no surrogate */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90; /* no overlong form */
		if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

void
checkin_clean_text(const char *in, size_t max, char *out)
{
	const unsigned char *p = (const unsigned char *)(in != NULL ? in : "");
	size_t n = strlen((const char *)p), o = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			i++;
			continue;
		}
		size_t len = utf8_len(p + i, n - i);
		const char *piece = len > 0 ? (const char *)p + i : "?";
		size_t plen = len > 0 ? len : 1;
		if (o + plen > max)
			break; /* never half a character */
		memcpy(out + o, piece, plen);
		o += plen;
		i += len > 0 ? len : 1;
	}
	out[o] = '\0';
}

/* --- the file's bytes ---------------------------------------------------- */

size_t
checkin_format(const struct checkin_note *note, char out[CHECKIN_NOTE_MAX])
{
	_Static_assert(sizeof NOTE_MAGIC_2 +
	                               CHECKIN_CLIENTS * (2 * 21 + DIGEST_HEX_LEN + 2 +
	                                                  CHECKIN_ADDR_MAX + CHECKIN_UA_MAX + 6) <
	                       CHECKIN_NOTE_MAX,
	               "a note always fits");
	int n = snprintf(out, CHECKIN_NOTE_MAX, "%s\n", NOTE_MAGIC_2);
	for (size_t i = 0; i < note->n && n > 0 && n < CHECKIN_NOTE_MAX; i++) {
		const struct checkin_client *c = &note->client[i];
		int w = snprintf(out + n, CHECKIN_NOTE_MAX - (size_t)n,
		                 "%lld\t%lld\t%s\t%d\t%s\t%s\n", (long long)c->at,
		                 (long long)c->first_at, c->has_etag ? c->etag : "-",
		                 c->authenticated ? 1 : 0, c->addr, c->user_agent);
		n = w < 0 ? -1 : n + w;
	}
	return n > 0 && n < CHECKIN_NOTE_MAX ? (size_t)n : 0;
}

static bool
is_etag_hex(const char *s, size_t n)
{
	if (n != DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool
parse_etag(const char *s, size_t n, struct checkin_client *c)
{
	if (n == 1 && s[0] == '-') {
		c->has_etag = false;
		return true;
	}
	if (!is_etag_hex(s, n))
		return false;
	c->has_etag = true;
	memcpy(c->etag, s, DIGEST_HEX_LEN);
	c->etag[DIGEST_HEX_LEN] = '\0';
	return true;
}

/* Cleans n bytes at s into out (max bytes kept). */
static void
clean_field(const char *s, size_t n, size_t max, char *out)
{
	char text[CHECKIN_NOTE_MAX];
	if (n >= sizeof text)
		n = sizeof text - 1;
	memcpy(text, s, n);
	text[n] = '\0';
	checkin_clean_text(text, max, out);
}

/* Splits [p, end) at '\n' into at most max lines; false unless the last ends the data. */
static bool
split_lines(const char *p, const char *end, const char **line, size_t *llen, size_t max,
            size_t *count)
{
	size_t n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || n == max)
			return false;
		line[n] = p;
		llen[n] = (size_t)(nl - p);
		n++;
		p = nl + 1;
	}
	*count = n;
	return true;
}

/* The first form: at, etag, addr, user agent on a line each. */
static bool
parse_v1(const char **line, const size_t *llen, size_t count, struct checkin_note *out)
{
	if (count != 4)
		return false;
	struct checkin_client *c = &out->client[0];
	if (!notefile_time(line[0], llen[0], &c->at) || !parse_etag(line[1], llen[1], c))
		return false;
	c->first_at = c->at;
	clean_field(line[2], llen[2], CHECKIN_ADDR_MAX, c->addr);
	clean_field(line[3], llen[3], CHECKIN_UA_MAX, c->user_agent);
	out->n = 1;
	return true;
}

static bool
parse_client_line(const char *s, size_t n, struct checkin_client *c)
{
	const char *field[6];
	size_t flen[6];
	const char *p = s, *end = s + n;
	for (int i = 0; i < 6; i++) {
		const char *tab = i < 5 ? memchr(p, '\t', (size_t)(end - p)) : NULL;
		if (i < 5 && tab == NULL)
			return false;
		field[i] = p;
		flen[i] = (size_t)((i < 5 ? tab : end) - p);
		p = i < 5 ? tab + 1 : end;
	}
	if (memchr(field[5], '\t', flen[5]) != NULL)
		return false;
	if (!notefile_time(field[0], flen[0], &c->at) ||
	    !notefile_time(field[1], flen[1], &c->first_at) || c->first_at > c->at ||
	    !parse_etag(field[2], flen[2], c) || flen[3] != 1 ||
	    (field[3][0] != '0' && field[3][0] != '1'))
		return false;
	c->authenticated = field[3][0] == '1';
	clean_field(field[4], flen[4], CHECKIN_ADDR_MAX, c->addr);
	clean_field(field[5], flen[5], CHECKIN_UA_MAX, c->user_agent);
	return true;
}

bool
checkin_parse(const char *mac, const char *data, size_t len, struct checkin_note *out)
{
	const char *line[CHECKIN_CLIENTS + 1];
	size_t llen[CHECKIN_CLIENTS + 1], count;
	memset(out, 0, sizeof *out);
	snprintf(out->mac, sizeof out->mac, "%s", mac);
	if (len >= CHECKIN_NOTE_MAX ||
	    !split_lines(data, data + len, line, llen, CHECKIN_CLIENTS + 1, &count) || count == 0)
		return false;
	if (llen[0] == strlen(NOTE_MAGIC_1) && memcmp(line[0], NOTE_MAGIC_1, llen[0]) == 0)
		return parse_v1(line + 1, llen + 1, count - 1, out);
	if (llen[0] != strlen(NOTE_MAGIC_2) || memcmp(line[0], NOTE_MAGIC_2, llen[0]) != 0 ||
	    count < 2)
		return false;
	for (size_t i = 1; i < count; i++)
		if (!parse_client_line(line[i], llen[i], &out->client[i - 1]))
			return false;
	out->n = count - 1;
	return true;
}

/* --- the rule ------------------------------------------------------------- */

bool
checkin_regular(const struct checkin_client *c, unsigned interval_s)
{
	return c->at - c->first_at >= (int64_t)(interval_s > 0 ? interval_s : 1);
}

int
checkin_device_client(const struct checkin_note *note, unsigned interval_s, bool secret)
{
	bool any_auth = false;
	for (size_t i = 0; i < note->n && secret; i++)
		any_auth |= note->client[i].authenticated;
	int regular = -1, first = -1;
	for (size_t i = 0; i < note->n; i++) {
		const struct checkin_client *c = &note->client[i];
		if (any_auth && !c->authenticated)
			continue;
		if (checkin_regular(c, interval_s) &&
		    (regular < 0 || c->at > note->client[regular].at))
			regular = (int)i;
		if (first < 0 || c->first_at < note->client[first].first_at)
			first = (int)i;
	}
	return regular >= 0 ? regular : first;
}

int64_t
checkin_newest(const struct checkin_note *note)
{
	int64_t t = 0;
	for (size_t i = 0; i < note->n; i++)
		if (note->client[i].at > t)
			t = note->client[i].at;
	return t;
}

static bool
same_client(const struct checkin_client *c, const struct checkin_fetch *f)
{
	return c->authenticated == f->authenticated && strcmp(c->addr, f->addr) == 0 &&
	       strcmp(c->user_agent, f->user_agent) == 0;
}

/* The place a new client takes: a free one, or one given up (see checkin_update). */
static size_t
place_for_new(struct checkin_note *note, unsigned interval_s, bool secret)
{
	if (note->n < CHECKIN_CLIENTS)
		return note->n++;
	int device = checkin_device_client(note, interval_s, secret);
	int pick = -1;
	for (size_t i = 0; i < note->n; i++) {
		if ((int)i == device)
			continue;
		const struct checkin_client *c = &note->client[i];
		if (pick < 0) {
			pick = (int)i;
			continue;
		}
		const struct checkin_client *p = &note->client[pick];
		bool c_reg = checkin_regular(c, interval_s), p_reg = checkin_regular(p, interval_s);
		if ((!c_reg && p_reg) || (c_reg == p_reg && c->at < p->at))
			pick = (int)i;
	}
	return (size_t)pick; /* CHECKIN_CLIENTS > 1: there is always another */
}

int
checkin_update(struct checkin_note *note, const struct checkin_fetch *f, int64_t now,
               unsigned interval_s)
{
	struct checkin_client *c = NULL;
	for (size_t i = 0; i < note->n && c == NULL; i++)
		if (same_client(&note->client[i], f))
			c = &note->client[i];
	if (c != NULL) {
		bool same_etag = c->has_etag == f->has_etag &&
		                 (!f->has_etag || strcmp(c->etag, f->etag) == 0);
		/* Times are whole seconds: more than the interval apart, so that
		 * a write is never early, if up to a second late. */
		int64_t age = now >= c->at ? now - c->at : c->at - now;
		if (same_etag && age <= (int64_t)interval_s)
			return -1;
		if (now < c->first_at)
			c->first_at = now; /* another node's clock was ahead */
	} else {
		/* An authenticated fetch proves the device has a secret, checked. */
		c = &note->client[place_for_new(note, interval_s, f->authenticated)];
		memset(c, 0, sizeof *c);
		c->first_at = now;
		c->authenticated = f->authenticated;
		snprintf(c->addr, sizeof c->addr, "%s", f->addr);
		snprintf(c->user_agent, sizeof c->user_agent, "%s", f->user_agent);
	}
	c->at = now;
	c->has_etag = f->has_etag;
	snprintf(c->etag, sizeof c->etag, "%s", f->has_etag ? f->etag : "");
	return (int)(c - note->client);
}

void
checkin_drop_older(struct checkin_note *note, int64_t now, int64_t max_age)
{
	size_t k = 0;
	for (size_t i = 0; i < note->n; i++)
		if (now - note->client[i].at <= max_age)
			note->client[k++] = note->client[i];
	note->n = k;
}
