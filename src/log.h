/*
 * log.h: one line per event on stderr, which the web server collects in its
 * error log. Line shape: `<UTC time> <LEVEL> <request-id> <message>`, where
 * the message is free text followed by key=value pairs. Control characters
 * are replaced centrally, so no client-supplied value can forge a line;
 * a value that comes from outside goes through LOG_VALUE, so that it
 * cannot forge a field either.
 */
#ifndef IOTCONFIG_LOG_H
#define IOTCONFIG_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Longest request id: http.c accepts no longer one, and lines carry it whole. */
#define LOG_REQUEST_ID_MAX 128

/* Once per process: whether DEBUG lines are written. */
void log_init(bool debug);
/* The correlation id that prefixes lines until the next call ("-" for none). */
void log_set_request_id(const char *id);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Room for one value as log_value writes it, quotes, escapes and NUL included. */
#define LOG_VALUE_MAX 320

/*
 * Writes value as it stands after "key=" into out and returns out: as it
 * is when it is one or more printable ASCII characters other than space,
 * '"', '=' and '\' (and not "-"); otherwise between double quotes, with
 * \" \\ \n \r \t and \xHH for the other control characters (bytes from
 * 0x80 up are kept: UTF-8 stays readable). NULL is written as - (no
 * value), "" as "". A value longer than out can hold is cut between
 * characters, and the quotes are closed after "...".
 */
const char *log_value(char out[LOG_VALUE_MAX], const char *value);
/* log_value into a buffer that lasts for the enclosing statement's block. */
#define LOG_VALUE(value) log_value((char[LOG_VALUE_MAX]){0}, (value))

#endif
