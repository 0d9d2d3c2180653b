/*
 * clock.h: a clock read in milliseconds, the one conversion from struct
 * timespec that the modules timing waits and intervals share.
 */
#ifndef IOTCONFIG_CLOCK_H
#define IOTCONFIG_CLOCK_H

#include <stdint.h>
#include <time.h>

/* clock: CLOCK_MONOTONIC for waits, CLOCK_REALTIME for dates. */
static inline int64_t
clock_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
