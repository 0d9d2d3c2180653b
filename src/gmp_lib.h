/*
 * gmp_lib.h: GMP, loaded the first time exact arithmetic needs it
 * (gmp_lib.c); the functions themselves are declared by <gmp.h>.
 */
#ifndef IOTCONFIG_GMP_LIB_H
#define IOTCONFIG_GMP_LIB_H

#include <stdbool.h>

/*
 * Loads libgmp unless loaded already; false when it cannot be (the
 * reason logged, once). No mpz_* function may be called before it has
 * answered true.
 */
bool gmp_lib_load(void);

#endif
