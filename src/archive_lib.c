/*
 * archive_lib.c: libarchive, loaded only for an export or an import.
 *
 * Linked, libarchive would be loaded into every process, and with it
 * everything Debian builds it against: libxml2, ICU (some 30 MB of
 * address space for its data alone), libcrypto, liblzma, libzstd,
 * libbz2, liblz4, libacl. That is most of a responder's mappings and of
 * the time the loader spends per process (under CGI: per request), for
 * two routes an admin calls now and then. So the program links none of
 * it: this file defines the libarchive functions tarball.c calls, and
 * each forwards to the library, loaded with dlopen(3) by the first
 * archive_read_new, archive_write_new or archive_entry_new (each answers
 * NULL, as it does when out of memory, when the library cannot be
 * loaded; the reason is logged). Their prototypes come from <archive.h>
 * and <archive_entry.h>, so the compiler checks each definition against
 * the library's own declaration. tarball.c calls nothing else before one
 * of those three has succeeded. The library stays loaded to the
 * process's end.
 *
 * Process-owned state: the library's handle and functions (archive_lib).
 */
#include <dlfcn.h>
#include <stdbool.h>

#include <archive.h>
#include <archive_entry.h>

#include "log.h"

/* The run-time name of libarchive 3 (Debian: libarchive13). */
#define ARCHIVE_LIB_SONAME "libarchive.so.13"

#define ARCHIVE_LIB_FUNCTIONS(X)                                                                   \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_free)                                                                      \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_mtime)                                                                     \
	X(archive_entry_new)                                                                       \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_set_filetype)                                                              \
	X(archive_entry_set_mtime)                                                                 \
	X(archive_entry_set_pathname)                                                              \
	X(archive_entry_set_perm)                                                                  \
	X(archive_entry_set_size)                                                                  \
	X(archive_entry_size)                                                                      \
	X(archive_entry_size_is_set)                                                               \
	X(archive_entry_sparse_count)                                                              \
	X(archive_entry_symlink)                                                                   \
	X(archive_error_string)                                                                    \
	X(archive_filter_bytes)                                                                    \
	X(archive_read_data)                                                                       \
	X(archive_read_data_skip)                                                                  \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_open_memory)                                                                \
	X(archive_read_support_filter_gzip)                                                        \
	X(archive_read_support_filter_none)                                                        \
	X(archive_read_support_format_tar)                                                         \
	X(archive_write_add_filter_gzip)                                                           \
	X(archive_write_close)                                                                     \
	X(archive_write_data)                                                                      \
	X(archive_write_free)                                                                      \
	X(archive_write_header)                                                                    \
	X(archive_write_new)                                                                       \
	X(archive_write_open)                                                                      \
	X(archive_write_set_bytes_in_last_block)                                                   \
	X(archive_write_set_format_pax_restricted)

#define ARCHIVE_LIB_SLOT(name) __typeof__(name) *name;

static struct {
	void *handle;
	ARCHIVE_LIB_FUNCTIONS(ARCHIVE_LIB_SLOT)
} archive_lib;

/* Loads the library and every function above; false (logged) when it cannot. */
static bool
load(void)
{
	if (archive_lib.handle != NULL)
		return true;
	void *h = dlopen(ARCHIVE_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		log_msg(LOG_ERROR, "archive: cannot load " ARCHIVE_LIB_SONAME ": %s", dlerror());
		return false;
	}
	const char *missing = NULL;
	/* POSIX's way to take a function from dlsym: through the slot's bytes. */
#define ARCHIVE_LIB_RESOLVE(name)                                                                  \
	if (missing == NULL && (*(void **)&archive_lib.name = dlsym(h, #name)) == NULL)            \
		missing = #name;
	ARCHIVE_LIB_FUNCTIONS(ARCHIVE_LIB_RESOLVE)
#undef ARCHIVE_LIB_RESOLVE
	if (missing != NULL) {
		log_msg(LOG_ERROR, "archive: " ARCHIVE_LIB_SONAME " has no %s", missing);
		dlclose(h);
		return false;
	}
	archive_lib.handle = h;
	return true;
}

mode_t
archive_entry_filetype(struct archive_entry *e)
{
	return archive_lib.archive_entry_filetype(e);
}

void
archive_entry_free(struct archive_entry *e)
{
	archive_lib.archive_entry_free(e);
}

const char *
archive_entry_hardlink(struct archive_entry *e)
{
	return archive_lib.archive_entry_hardlink(e);
}

time_t
archive_entry_mtime(struct archive_entry *e)
{
	return archive_lib.archive_entry_mtime(e);
}

struct archive_entry *
archive_entry_new(void)
{
	return load() ? archive_lib.archive_entry_new() : NULL;
}

const char *
archive_entry_pathname(struct archive_entry *e)
{
	return archive_lib.archive_entry_pathname(e);
}

void
archive_entry_set_filetype(struct archive_entry *e, unsigned int type)
{
	archive_lib.archive_entry_set_filetype(e, type);
}

void
archive_entry_set_mtime(struct archive_entry *e, time_t t, long ns)
{
	archive_lib.archive_entry_set_mtime(e, t, ns);
}

void
archive_entry_set_pathname(struct archive_entry *e, const char *name)
{
	archive_lib.archive_entry_set_pathname(e, name);
}

void
archive_entry_set_perm(struct archive_entry *e, mode_t perm)
{
	archive_lib.archive_entry_set_perm(e, perm);
}

void
archive_entry_set_size(struct archive_entry *e, la_int64_t size)
{
	archive_lib.archive_entry_set_size(e, size);
}

la_int64_t
archive_entry_size(struct archive_entry *e)
{
	return archive_lib.archive_entry_size(e);
}

int
archive_entry_size_is_set(struct archive_entry *e)
{
	return archive_lib.archive_entry_size_is_set(e);
}

int
archive_entry_sparse_count(struct archive_entry *e)
{
	return archive_lib.archive_entry_sparse_count(e);
}

const char *
archive_entry_symlink(struct archive_entry *e)
{
	return archive_lib.archive_entry_symlink(e);
}

const char *
archive_error_string(struct archive *a)
{
	return archive_lib.archive_error_string(a);
}

la_int64_t
archive_filter_bytes(struct archive *a, int index)
{
	return archive_lib.archive_filter_bytes(a, index);
}

la_ssize_t
archive_read_data(struct archive *a, void *data, size_t len)
{
	return archive_lib.archive_read_data(a, data, len);
}

int
archive_read_data_skip(struct archive *a)
{
	return archive_lib.archive_read_data_skip(a);
}

int
archive_read_free(struct archive *a)
{
	return archive_lib.archive_read_free(a);
}

struct archive *
archive_read_new(void)
{
	return load() ? archive_lib.archive_read_new() : NULL;
}

int
archive_read_next_header(struct archive *a, struct archive_entry **entry)
{
	return archive_lib.archive_read_next_header(a, entry);
}

int
archive_read_open_memory(struct archive *a, const void *buff, size_t size)
{
	return archive_lib.archive_read_open_memory(a, buff, size);
}

int
archive_read_support_filter_gzip(struct archive *a)
{
	return archive_lib.archive_read_support_filter_gzip(a);
}

int
archive_read_support_filter_none(struct archive *a)
{
	return archive_lib.archive_read_support_filter_none(a);
}

int
archive_read_support_format_tar(struct archive *a)
{
	return archive_lib.archive_read_support_format_tar(a);
}

int
archive_write_add_filter_gzip(struct archive *a)
{
	return archive_lib.archive_write_add_filter_gzip(a);
}

int
archive_write_close(struct archive *a)
{
	return archive_lib.archive_write_close(a);
}

la_ssize_t
archive_write_data(struct archive *a, const void *buf, size_t len)
{
	return archive_lib.archive_write_data(a, buf, len);
}

int
archive_write_free(struct archive *a)
{
	return archive_lib.archive_write_free(a);
}

int
archive_write_header(struct archive *a, struct archive_entry *e)
{
	return archive_lib.archive_write_header(a, e);
}

struct archive *
archive_write_new(void)
{
	return load() ? archive_lib.archive_write_new() : NULL;
}

int
archive_write_open(struct archive *a, void *client, archive_open_callback *opener,
                   archive_write_callback *writer, archive_close_callback *closer)
{
	return archive_lib.archive_write_open(a, client, opener, writer, closer);
}

int
archive_write_set_bytes_in_last_block(struct archive *a, int bytes_in_last_block)
{
	return archive_lib.archive_write_set_bytes_in_last_block(a, bytes_in_last_block);
}

int
archive_write_set_format_pax_restricted(struct archive *a)
{
	return archive_lib.archive_write_set_format_pax_restricted(a);
}
