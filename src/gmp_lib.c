/*
 * gmp_lib.c: GMP, loaded only when a "multipleOf" needs exact arithmetic.
 *
 * Only decimal_is_multiple (decimal.c), the schema validator's
 * "multipleOf", uses GMP. Linked, libgmp would be mapped into every
 * process, some 70 to 120 kB of each responder's resident memory, with no
 * schema in the directory or none using that keyword. So the program
 * links none of it: this file defines the GMP functions decimal.c calls,
 * and each forwards to the library, which gmp_lib_load loads with
 * dlopen(3). GMP's functions cannot say they failed (mpz_init returns
 * nothing), hence that function of our own, called first. <gmp.h> names
 * each function by a macro (mpz_init is __gmpz_init, the library's
 * symbol); the prototypes come from there, so the compiler checks each
 * definition against the library's own declaration. The library stays
 * loaded to the process's end.
 *
 * Process-owned state: the library's handle and functions (gmp_lib).
 */
#include "gmp_lib.h"

#include <dlfcn.h>
#include <gmp.h>

#include "log.h"

/* The run-time name of GMP 6 (Debian: libgmp10). */
#define GMP_LIB_SONAME "libgmp.so.10"

#define GMP_LIB_FUNCTIONS(X)                                                                       \
	X(mpz_clear)                                                                               \
	X(mpz_divisible_p)                                                                         \
	X(mpz_init)                                                                                \
	X(mpz_mul)                                                                                 \
	X(mpz_set_str)                                                                             \
	X(mpz_ui_pow_ui)

#define GMP_LIB_SLOT(name) __typeof__(name) *name;

static struct {
	void *handle;
	bool failed; /* tried, logged, not tried again */
	GMP_LIB_FUNCTIONS(GMP_LIB_SLOT)
} gmp_lib;

/* A name as the library exports it: the argument macro-expanded (__gmpz_...). */
#define GMP_LIB_STRING(s)  #s
#define GMP_LIB_SYMBOL(fn) GMP_LIB_STRING(fn)

bool
gmp_lib_load(void)
{
	if (gmp_lib.handle != NULL)
		return true;
	if (gmp_lib.failed)
		return false;
	gmp_lib.failed = true;
	void *h = dlopen(GMP_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		log_msg(LOG_ERROR,
		        "schemas: cannot load " GMP_LIB_SONAME " (needed for multipleOf): %s",
		        dlerror());
		return false;
	}
	const char *missing = NULL;
	/* POSIX's way to take a function from dlsym: through the slot's bytes. */
#define GMP_LIB_RESOLVE(name)                                                                      \
	if (missing == NULL && (*(void **)&gmp_lib.name = dlsym(h, GMP_LIB_SYMBOL(name))) == NULL) \
		missing = GMP_LIB_SYMBOL(name);
	GMP_LIB_FUNCTIONS(GMP_LIB_RESOLVE)
#undef GMP_LIB_RESOLVE
	if (missing != NULL) {
		log_msg(LOG_ERROR, "schemas: " GMP_LIB_SONAME " has no %s", missing);
		dlclose(h);
		return false;
	}
	gmp_lib.handle = h;
	gmp_lib.failed = false;
	return true;
}

void
mpz_clear(mpz_ptr x)
{
	gmp_lib.mpz_clear(x);
}

int
mpz_divisible_p(mpz_srcptr n, mpz_srcptr d)
{
	return gmp_lib.mpz_divisible_p(n, d);
}

void
mpz_init(mpz_ptr x)
{
	gmp_lib.mpz_init(x);
}

void
mpz_mul(mpz_ptr w, mpz_srcptr u, mpz_srcptr v)
{
	gmp_lib.mpz_mul(w, u, v);
}

int
mpz_set_str(mpz_ptr x, const char *str, int base)
{
	return gmp_lib.mpz_set_str(x, str, base);
}

void
mpz_ui_pow_ui(mpz_ptr r, unsigned long b, unsigned long e)
{
	gmp_lib.mpz_ui_pow_ui(r, b, e);
}
