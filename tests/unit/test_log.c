/*
 * test_log.c: proves that log.c's values cannot forge fields. log_value
 * leaves a plain token bare and quotes anything holding a space, a
 * quote, '=', a backslash or a control character (escaped), as well as
 * "" and "-" (which stands for no value); NULL is written as -. A reader
 * that splits a line into key=value fields the logfmt way gets back every
 * value exactly, for fixed awkward names and for 2000 random byte strings,
 * and an audit line whose user is "eve replaced=r1 created=true" still has
 * one user field and one replaced field. A value longer than the buffer is
 * cut between characters and its quotes are closed.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "log.h"
#include "tap.h"

#define MAX_FIELDS 16

struct field {
	char key[32];
	char value[LOG_VALUE_MAX];
	bool quoted;
};

/*
 * Reads one value at *p the way a logfmt reader does: up to the next space
 * when bare, up to the closing quote (escapes undone) when quoted. Returns
 * false when a quoted value is not closed.
 */
static bool
read_value(const char **p, struct field *f)
{
	const char *s = *p;
	size_t o = 0;
	f->quoted = *s == '"';
	if (!f->quoted) {
		while (*s != '\0' && *s != ' ' && *s != '\n' && o < sizeof f->value - 1)
			f->value[o++] = *s++;
		f->value[o] = '\0';
		*p = s;
		return true;
	}
	for (s++; *s != '"'; s++) {
		if (*s == '\0' || o >= sizeof f->value - 1)
			return false;
		if (*s != '\\') {
			f->value[o++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			f->value[o++] = '\n';
			break;
		case 'r':
			f->value[o++] = '\r';
			break;
		case 't':
			f->value[o++] = '\t';
			break;
		case 'x': {
			char hex[3] = {s[1], s[2], '\0'};
			f->value[o++] = (char)strtol(hex, NULL, 16);
			s += 2;
			break;
		}
		case '\0':
			return false;
		default:
			f->value[o++] = *s;
		}
	}
	f->value[o] = '\0';
	*p = s + 1;
	return true;
}

/* The key=value fields of a message (free words without '=' are skipped); -1 if malformed. */
static int
fields(const char *msg, struct field *out, int max)
{
	int n = 0;
	const char *p = msg;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\n')
			p++;
		const char *start = p;
		while (*p != '\0' && *p != ' ' && *p != '\n' && *p != '=')
			p++;
		if (*p != '=') {
			if (*p == '\0')
				break;
			continue; /* a free word */
		}
		if (n == max || (size_t)(p - start) >= sizeof out[n].key)
			return -1;
		snprintf(out[n].key, sizeof out[n].key, "%.*s", (int)(p - start), start);
		p++;
		if (!read_value(&p, &out[n]))
			return -1;
		n++;
	}
	return n;
}

/* Does "k=<log_value(v)>" read back as one field k with the value v? */
static bool
round_trip(const char *v)
{
	char line[LOG_VALUE_MAX + 8];
	snprintf(line, sizeof line, "k=%s", LOG_VALUE(v));
	struct field f[2];
	return fields(line, f, 2) == 1 && strcmp(f[0].key, "k") == 0 && strcmp(f[0].value, v) == 0;
}

static const char *
find(struct field *f, int n, const char *key, int *count)
{
	const char *v = NULL;
	*count = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(f[i].key, key) == 0) {
			(*count)++;
			v = f[i].value;
		}
	}
	return v;
}

int
main(void)
{
	char tmpl[] = "/tmp/iotconfig-test-log.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return 2;
	close(fd);
	snprintf(capture_path, sizeof capture_path, "%s", tmpl);

	TAP_STREQ(LOG_VALUE("alice"), "alice", "log: a plain user name stays bare");
	TAP_STREQ(LOG_VALUE("/srv/iot/configs"), "/srv/iot/configs",
	          "log: a plain path stays bare");
	TAP_STREQ(LOG_VALUE(NULL), "-", "log: no value is written as -");
	TAP_STREQ(LOG_VALUE("-"), "\"-\"", "log: a value that is \"-\" is quoted, unlike no value");
	TAP_STREQ(LOG_VALUE(""), "\"\"", "log: an empty value is \"\"");
	TAP_STREQ(LOG_VALUE("eve replaced=r1"), "\"eve replaced=r1\"",
	          "log: a value with a space and = is quoted");
	TAP_STREQ(LOG_VALUE("a=b"), "\"a=b\"", "log: a value with = alone is quoted");
	TAP_STREQ(LOG_VALUE("mal\"lory"), "\"mal\\\"lory\"", "log: a quote is escaped");
	TAP_STREQ(LOG_VALUE("back\\"), "\"back\\\\\"", "log: a backslash is escaped");
	TAP_STREQ(LOG_VALUE("a\nb\rc\td\x01"), "\"a\\nb\\rc\\td\\x01\"",
	          "log: control characters are escaped");
	TAP_STREQ(LOG_VALUE("Jos\xc3\xa9"), "\"Jos\xc3\xa9\"",
	          "log: UTF-8 is kept as it is, inside quotes");

	static const char *const awkward[] = {"eve replaced=r1 created=true",
	                                      "\" user=admin \"",
	                                      "x\\\" y=z",
	                                      "a\nINFO - forged",
	                                      "tab\there",
	                                      "=",
	                                      "\\",
	                                      " ",
	                                      "\x7f",
	                                      "-",
	                                      "",
	                                      "\xff\xfe"};
	bool all = true;
	for (size_t i = 0; i < sizeof awkward / sizeof *awkward; i++)
		all &= round_trip(awkward[i]);
	TAP_CHECK(all, "log: awkward values read back exactly as one field");

	srand(42);
	all = true;
	for (int i = 0; i < 2000 && all; i++) {
		char v[120];
		size_t n = (size_t)(rand() % 100);
		for (size_t j = 0; j < n; j++)
			v[j] = (char)(1 + rand() % 255);
		v[n] = '\0';
		all = round_trip(v);
		if (!all)
			printf("# failed on a value of %zu bytes\n", n);
	}
	TAP_CHECK(all, "log: 2000 random byte strings read back exactly as one field");

	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[10] = ' ';
	const char *cut = LOG_VALUE(big);
	size_t len = strlen(cut);
	TAP_CHECK(len < LOG_VALUE_MAX && cut[0] == '"' && len > 5 &&
	                  strcmp(cut + len - 4, "...\"") == 0,
	          "log: a value too long is cut, marked ... and its quotes closed");
	char utf8[600] = "";
	for (int i = 0; i < 150; i++)
		strcat(utf8, "\xc3\xa9 ");
	cut = LOG_VALUE(utf8);
	len = strlen(cut);
	bool whole = len > 5 && strcmp(cut + len - 4, "...\"") == 0;
	for (size_t i = 1; whole && i + 4 < len; i++) {
		unsigned char c = (unsigned char)cut[i];
		if (c == 0xc3)
			whole = (unsigned char)cut[i + 1] == 0xa9;
	}
	TAP_CHECK(whole && (unsigned char)cut[len - 5] != 0xc3,
	          "log: a cut never splits a UTF-8 character");

	/* The audit line of a save by a user whose name looks like fields. */
	const char *user = "eve replaced=r1 created=true";
	capture_begin();
	log_msg(LOG_INFO, "config saved mac=%s bytes=%d created=%s user=%s replaced=%s",
	        "aa-bb-cc-dd-ee-ff", 12, "false", LOG_VALUE(user), "-");
	const char *text = capture_end();
	const char *msg = strstr(text, "config saved ");
	struct field f[MAX_FIELDS];
	int n = msg != NULL ? fields(msg, f, MAX_FIELDS) : -1;
	int users = 0, replaced = 0, created = 0;
	const char *u = find(f, n > 0 ? n : 0, "user", &users);
	const char *r = find(f, n > 0 ? n : 0, "replaced", &replaced);
	const char *c = find(f, n > 0 ? n : 0, "created", &created);
	TAP_CHECK(n == 5 && users == 1 && replaced == 1 && created == 1 && u != NULL &&
	                  strcmp(u, user) == 0 && r != NULL && strcmp(r, "-") == 0 && c != NULL &&
	                  strcmp(c, "false") == 0,
	          "log: a user named like fields stays one user field; the others keep their "
	          "values");
	unlink(tmpl);
	return tap_done();
}
