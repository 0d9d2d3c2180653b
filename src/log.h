/*
 * log.h: one line per event on stderr, which the web server collects in its
 * error log. Line shape: `<UTC time> <LEVEL> <request-id> <message>`, where
 * the message is free text followed by key=value pairs. Control characters
 * are replaced centrally, so no client-supplied value can forge a line.
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

#endif
