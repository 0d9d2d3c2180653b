/*
 * tap.h: a tiny TAP producer for the C unit tests. Each check prints
 * "ok N - name" or "not ok N - name" with the failing expression and line;
 * tap_done() prints the plan and returns the exit status.
 */
#ifndef IOTCONFIG_TAP_H
#define IOTCONFIG_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

#define TAP_CHECK(cond, name)                                                                      \
	do {                                                                                       \
		tap_count++;                                                                       \
		if (cond) {                                                                        \
			printf("ok %d - %s\n", tap_count, name);                                   \
		} else {                                                                           \
			tap_failed++;                                                              \
			printf("not ok %d - %s\n#   %s:%d: %s\n", tap_count, name, __FILE__,       \
			       __LINE__, #cond);                                                   \
		}                                                                                  \
	} while (0)

#define TAP_STREQ(got, want, name)                                                                 \
	do {                                                                                       \
		const char *tap_g = (got), *tap_w = (want);                                        \
		int tap_ok = tap_g != NULL && tap_w != NULL && strcmp(tap_g, tap_w) == 0;          \
		TAP_CHECK(tap_ok, name);                                                           \
		if (!tap_ok)                                                                       \
			printf("#   got:  %s\n#   want: %s\n", tap_g ? tap_g : "(null)",           \
			       tap_w ? tap_w : "(null)");                                          \
	} while (0)

static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif
