/*
 * log.c: the process's log writer. Each line is built in a stack buffer and
 * written with a single write(2) so lines from several responder processes
 * sharing one error log never interleave (lines stay below PIPE_BUF).
 *
 * A line is a sequence of key=value fields after free text: values from
 * outside (a user name, a path) are written by log_value, bare when
 * nothing in them could end or start a field and quoted with escapes
 * otherwise, the way logfmt readers expect, so that a user named
 * `x replaced=y` shows as user="x replaced=y" and adds no field.
 *
 * Process-owned state: whether debug lines are on, and the id of the request
 * being served (set by the accept loop, read by every log call; per thread,
 * so the MQTT network thread's lines carry none).
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool log_debug_on;
static _Thread_local char log_request_id[LOG_REQUEST_ID_MAX + 1] = "-";

void
log_init(bool debug)
{
	log_debug_on = debug;
}

void
log_set_request_id(const char *id)
{
	if (id == NULL || id[0] == '\0')
		id = "-";
	size_t n = strnlen(id, sizeof log_request_id - 1);
	memcpy(log_request_id, id, n);
	log_request_id[n] = '\0';
}

/* Can c stand in a bare value? */
static bool
bare_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
}

const char *
log_value(char out[LOG_VALUE_MAX], const char *value)
{
	if (value == NULL) {
		snprintf(out, LOG_VALUE_MAX, "-");
		return out;
	}
	size_t n = strlen(value);
	bool bare = n > 0 && n < LOG_VALUE_MAX && strcmp(value, "-") != 0;
	for (size_t i = 0; bare && i < n; i++)
		bare = bare_char((unsigned char)value[i]);
	if (bare) {
		memcpy(out, value, n + 1);
		return out;
	}
	/* Room kept at the end for the longest escape, "..." and the closing quote. */
	const size_t stop = LOG_VALUE_MAX - 4 - 3 - 2;
	size_t o = 0;
	out[o++] = '"';
	bool cut = false;
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
		if (o > stop) {
			cut = true;
			break;
		}
		unsigned char c = *p;
		const char *esc = c == '"'    ? "\\\""
		                  : c == '\\' ? "\\\\"
		                  : c == '\n' ? "\\n"
		                  : c == '\r' ? "\\r"
		                  : c == '\t' ? "\\t"
		                              : NULL;
		if (esc != NULL) {
			memcpy(out + o, esc, 2);
			o += 2;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	if (cut) {
		/* Never end inside a UTF-8 sequence: drop a last one that may be cut. */
		while (o > 1 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 1 && (unsigned char)out[o - 1] >= 0xc0)
			o--;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static const char *
level_name(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG:
		return "DEBUG";
	case LOG_INFO:
		return "INFO";
	case LOG_WARN:
		return "WARN";
	case LOG_ERROR:
		return "ERROR";
	}
	return "?";
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	if (level == LOG_DEBUG && !log_debug_on)
		return;
	int saved_errno = errno;
	char line[1024];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, now.tv_nsec / 1000000, level_name(level), log_request_id);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	size_t head = (size_t)n;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + head, sizeof line - head - 1, fmt, ap);
	va_end(ap);
	size_t len = head;
	if (m > 0)
		len += (size_t)m < sizeof line - head - 1 ? (size_t)m : sizeof line - head - 2;
	for (size_t i = head; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			line[i] = '?';
	}
	line[len++] = '\n';
	/* A log line that cannot be written has nowhere else to go. */
	ssize_t w = write(STDERR_FILENO, line, len);
	if (w < 0)
		errno = saved_errno;
	errno = saved_errno;
}
