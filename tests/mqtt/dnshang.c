/*
 * dnshang.c: a name lookup that hangs, injected into the responder with
 * LD_PRELOAD by tests/mqtt/mqtt.bats. getaddrinfo(3) of a name ending in
 * ".hang.test" sleeps for 30 s and then fails, as a lookup does when the
 * resolver's server never answers (timeout after timeout); every other
 * lookup goes to the C library. No packet is sent for the hanging name.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <time.h>

#define HANG_SUFFIX ".hang.test"

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
            struct addrinfo **res)
{
	size_t n = node != NULL ? strlen(node) : 0, s = strlen(HANG_SUFFIX);
	if (n > s && strcmp(node + n - s, HANG_SUFFIX) == 0) {
		struct timespec left = {.tv_sec = 30};
		while (nanosleep(&left, &left) != 0)
			;
		return EAI_AGAIN;
	}
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
	        (int (*)(const char *, const char *, const struct addrinfo *,
	                 struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	return real != NULL ? real(node, service, hints, res) : EAI_FAIL;
}
