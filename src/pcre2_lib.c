/*
 * pcre2_lib.c: PCRE2, loaded only when a schema has a regex.
 *
 * Only the schema validator's "pattern" and "patternProperties" use
 * PCRE2 (jsonschema_doc.c). Linked, libpcre2-8 would be mapped into
 * every process, some 220 kB of each responder's resident memory, with
 * no schema in the directory or none using a regex. So the program links
 * none of it: this file defines the PCRE2 functions the validator calls,
 * and each forwards to the library, loaded with dlopen(3) by the first
 * pcre2_compile_context_create, pcre2_match_data_create or
 * pcre2_match_context_create. When the library cannot be loaded, each of
 * those three answers NULL, as it does when out of memory, with errno
 * ELIBACC; the reason is logged once, and the process does not try
 * again. Their prototypes come from <pcre2.h> (8-bit code units, whose
 * functions carry the "_8" suffix its macros add), so the compiler checks
 * each definition against the library's own declaration. The validator
 * calls nothing else before one of those three has succeeded, but the
 * functions that free take NULL at any time, as PCRE2's own do. The
 * library stays loaded to the process's end.
 *
 * Process-owned state: the library's handle and functions (pcre2_lib).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "log.h"

/* The run-time name of PCRE2's 8-bit library (Debian: libpcre2-8-0). */
#define PCRE2_LIB_SONAME "libpcre2-8.so.0"

#define PCRE2_LIB_FUNCTIONS(X)                                                                     \
	X(pcre2_code_free)                                                                         \
	X(pcre2_compile)                                                                           \
	X(pcre2_compile_context_create)                                                            \
	X(pcre2_compile_context_free)                                                              \
	X(pcre2_get_error_message)                                                                 \
	X(pcre2_match)                                                                             \
	X(pcre2_match_context_create)                                                              \
	X(pcre2_match_context_free)                                                                \
	X(pcre2_match_data_create)                                                                 \
	X(pcre2_match_data_free)                                                                   \
	X(pcre2_set_compile_extra_options)                                                         \
	X(pcre2_set_depth_limit)                                                                   \
	X(pcre2_set_heap_limit)                                                                    \
	X(pcre2_set_match_limit)

#define PCRE2_LIB_SLOT(name) __typeof__(name) *name;

static struct {
	void *handle;
	bool failed; /* tried, logged, not tried again */
	PCRE2_LIB_FUNCTIONS(PCRE2_LIB_SLOT)
} pcre2_lib;

/* A name as the library exports it: the argument macro-expanded ("_8" added). */
#define PCRE2_LIB_STRING(s)  #s
#define PCRE2_LIB_SYMBOL(fn) PCRE2_LIB_STRING(fn)

/* Loads the library and every function above; false (errno ELIBACC) when it cannot. */
static bool
load(void)
{
	if (pcre2_lib.handle != NULL)
		return true;
	if (pcre2_lib.failed) {
		errno = ELIBACC;
		return false;
	}
	pcre2_lib.failed = true;
	void *h = dlopen(PCRE2_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		log_msg(LOG_ERROR,
		        "schemas: cannot load " PCRE2_LIB_SONAME " (needed for regexes): %s",
		        dlerror());
		errno = ELIBACC;
		return false;
	}
	const char *missing = NULL;
	/* POSIX's way to take a function from dlsym: through the slot's bytes. */
#define PCRE2_LIB_RESOLVE(name)                                                                    \
	if (missing == NULL &&                                                                     \
	    (*(void **)&pcre2_lib.name = dlsym(h, PCRE2_LIB_SYMBOL(name))) == NULL)                \
		missing = PCRE2_LIB_SYMBOL(name);
	PCRE2_LIB_FUNCTIONS(PCRE2_LIB_RESOLVE)
#undef PCRE2_LIB_RESOLVE
	if (missing != NULL) {
		log_msg(LOG_ERROR, "schemas: " PCRE2_LIB_SONAME " has no %s", missing);
		dlclose(h);
		errno = ELIBACC;
		return false;
	}
	pcre2_lib.handle = h;
	pcre2_lib.failed = false;
	return true;
}

void
pcre2_code_free(pcre2_code *code)
{
	if (code != NULL)
		pcre2_lib.pcre2_code_free(code);
}

pcre2_code *
pcre2_compile(PCRE2_SPTR pattern, PCRE2_SIZE length, uint32_t options, int *errorcode,
              PCRE2_SIZE *erroroffset, pcre2_compile_context *ccontext)
{
	return pcre2_lib.pcre2_compile(pattern, length, options, errorcode, erroroffset, ccontext);
}

pcre2_compile_context *
pcre2_compile_context_create(pcre2_general_context *gcontext)
{
	return load() ? pcre2_lib.pcre2_compile_context_create(gcontext) : NULL;
}

void
pcre2_compile_context_free(pcre2_compile_context *ccontext)
{
	if (ccontext != NULL)
		pcre2_lib.pcre2_compile_context_free(ccontext);
}

int
pcre2_get_error_message(int errorcode, PCRE2_UCHAR *buffer, PCRE2_SIZE bufflen)
{
	return pcre2_lib.pcre2_get_error_message(errorcode, buffer, bufflen);
}

int
pcre2_match(const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE length, PCRE2_SIZE startoffset,
            uint32_t options, pcre2_match_data *match_data, pcre2_match_context *mcontext)
{
	return pcre2_lib.pcre2_match(code, subject, length, startoffset, options, match_data,
	                             mcontext);
}

pcre2_match_context *
pcre2_match_context_create(pcre2_general_context *gcontext)
{
	return load() ? pcre2_lib.pcre2_match_context_create(gcontext) : NULL;
}

void
pcre2_match_context_free(pcre2_match_context *mcontext)
{
	if (mcontext != NULL)
		pcre2_lib.pcre2_match_context_free(mcontext);
}

pcre2_match_data *
pcre2_match_data_create(uint32_t ovecsize, pcre2_general_context *gcontext)
{
	return load() ? pcre2_lib.pcre2_match_data_create(ovecsize, gcontext) : NULL;
}

void
pcre2_match_data_free(pcre2_match_data *match_data)
{
	if (match_data != NULL)
		pcre2_lib.pcre2_match_data_free(match_data);
}

int
pcre2_set_compile_extra_options(pcre2_compile_context *ccontext, uint32_t extra_options)
{
	return pcre2_lib.pcre2_set_compile_extra_options(ccontext, extra_options);
}

int
pcre2_set_depth_limit(pcre2_match_context *mcontext, uint32_t value)
{
	return pcre2_lib.pcre2_set_depth_limit(mcontext, value);
}

int
pcre2_set_heap_limit(pcre2_match_context *mcontext, uint32_t value)
{
	return pcre2_lib.pcre2_set_heap_limit(mcontext, value);
}

int
pcre2_set_match_limit(pcre2_match_context *mcontext, uint32_t value)
{
	return pcre2_lib.pcre2_set_match_limit(mcontext, value);
}
