/*
 * fuzz_check.h: the one assertion the libFuzzer harnesses use. A failed
 * property prints what was violated and aborts, which libFuzzer reports as
 * a crash and saves the input that caused it. Messages go to stdout: the
 * router harness runs with stderr closed (-close_fd_mask=2) because the
 * service logs there.
 */
#ifndef IOTCONFIG_FUZZ_CHECK_H
#define IOTCONFIG_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, what)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("fuzz property violated: %s (%s:%d: %s)\n", what, __FILE__,         \
			       __LINE__, #cond);                                                   \
			fflush(stdout);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
