/*
 * metrics.c: one shared, fixed-layout counter file per service instance.
 *
 * Layout: a header (magic, layout signature, start time, owner) followed
 * by arrays of _Atomic uint64_t. The file is created complete or not at all:
 * the first process builds it under a temporary name and link(2)s it into
 * place, so a second process either finds no file or a fully initialised
 * one; a lost race just means opening the winner's file. Updates are
 * relaxed atomic adds on lock-free 64-bit words, so no request ever waits
 * for another process.
 *
 * The layout signature is a hash of everything that gives a counter its
 * meaning: the families and label names, every label value in slot order
 * (operations, outcomes, methods, status codes, the route templates the
 * router passes in), the bucket bounds, and the array and header sizes.
 * A binary that orders or names any of them differently therefore never
 * reads another's counters under its own labels.
 *
 * The owner is the web server instance: the parent process (the web
 * server or its process manager, which spawns and respawns every
 * responder of one instance), told apart by its pid, its start in clock
 * ticks after boot (/proc/<pid>/stat field 22), the boot id
 * (/proc/sys/kernel/random/boot_id) and the pid namespace the pid is
 * counted in (the inode of /proc/self/ns/pid): a pid names a process only
 * within one namespace and one boot. The start time shown is the owner's
 * start, fixed when the file is made. Where /proc cannot tell, the owner
 * is recorded as unknown (zeros), the start time is the file's making, and
 * instances with the same pid cannot be told apart.
 *
 * Default location: /dev/shm (or /tmp) named by uid, the parent pid, a
 * hash of the config directory and of the owner, and the layout
 * signature, so two instances never share a name: not two containers
 * whose web servers are both process 1 and share /dev/shm (a pod's shared
 * IPC, --ipc=host, a bind mount), nor a restarted container that keeps
 * its /dev/shm. A default file whose recorded owner is not our parent all
 * the same (a hash collision) is stale and replaced as below.
 *
 * Which files are in use is decided by what their users hold, never by a
 * pid, which may be another process in another namespace or after reuse:
 * every process that maps a file holds a POSIX read lock on its first
 * byte for as long as it lives (the kernel drops it when the process
 * ends, however it ends). When a new default file is made, default files
 * of this uid that no process holds are orphans and removed, unless their
 * owner is seen alive (same boot, same pid namespace, a process with its
 * pid and start): a CGI instance's file is held only while a request runs,
 * and its web server keeps it between requests. A file whose owner lives
 * in another pid namespace is judged by the lock alone. Files with the
 * header of an earlier version hold no lock and are left alone.
 *
 * iot_mqtt_connected is decided the same way: a connected process holds a
 * write lock on one byte of a range of slots, and a scrape counts the
 * slots held. POSIX locks belong to a process and are dropped when it
 * closes any descriptor of the file, so only this module opens it, and a
 * process opens it once.
 *
 * A METRICS_FILE is shared by every process that names it whatever its
 * parent (under Apache's prefork MPM each CGI process is forked by
 * whichever worker took the request), so its owner is recorded (the
 * parent of the process that made it: its start is the start time shown)
 * but not checked: the file and its counters last until its layout
 * changes or it is removed.
 *
 * Those directories are writable by every local user and the name is
 * predictable, so whoever creates the file first controls it: a file
 * another user made could be read, changed or truncated under us (a
 * mapping past the end of a truncated file dies with SIGBUS). A file is
 * only used when it is a regular file owned by this effective uid that no
 * one else may open (mode 0600 or narrower); otherwise the process counts
 * on its own, as for any other problem.
 *
 * A file of ours with our magic (or an earlier version's) but another
 * layout, typically at a fixed METRICS_FILE path after an upgrade, or a
 * default file of another owner, is replaced: a complete new file is
 * built under a temporary name and rename(2)d over it, while holding a
 * write lock on the old file's second byte so that only one process
 * replaces a given file and the others open its replacement. Processes
 * still mapping the old file keep counting there; the instance's counters
 * restart from zero in the new one. A file without our magic is never
 * replaced (it may be something else that METRICS_FILE names by mistake).
 *
 * Process-owned state: the mapping (or the private fallback), its path, the
 * descriptor that holds its locks, and this process's MQTT slot.
 */
#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authlimit.h"
#include "clock.h"
#include "log.h"

#ifndef IOTCONFIG_VERSION
#define IOTCONFIG_VERSION "0.0.0"
#endif

#define METRICS_MAGIC     0x696f74636f6e6d32ull /* "iotconm2": users hold locks */
#define METRICS_MAGIC_OLD 0x696f74636f6e6d31ull /* "iotconm1": an earlier version's */

/* Bytes of the file that are locked (fcntl(2) record locks), not data. */
#define LOCK_IN_USE    0 /* read-locked by every process that maps the file */
#define LOCK_REPLACING 1 /* write-locked by the one process replacing it */
#define LOCK_MQTT      8 /* + slot: write-locked by a connected process */

/* Upper bounds in seconds; 100 us up to 10 s. */
static const double metrics_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define NBUCKETS ((int)(sizeof metrics_buckets / sizeof *metrics_buckets))

static const int metrics_codes[] = {200, 201, 204, 206, 302, 304, 400, 401, 403, 404,
                                    405, 409, 412, 413, 415, 416, 429, 500, 503, 507};
#define NCODES   ((int)(sizeof metrics_codes / sizeof *metrics_codes) + 1) /* + other */
#define NMETHODS 8
#define NROUTES  (METRICS_MAX_ROUTES + 1) /* + unmatched */

static const char *const metrics_op_names[METRICS_OP_COUNT] = {
        "list",
        "get",
        "save",
        "delete",
        "get_raw",
        "save_raw",
        "history",
        "get_revision",
        "restore",
        "list_fetches",
        "get_fetch",
        "list_schemas",
        "get_schema",
        "save_schema",
        "delete_schema",
        "validate",
        "get_schema_of",
        "patch",
        "change",
        "list_changes",
        "get_change",
        "undo",
        "export",
        "import",
        "list_firmware",
        "get_firmware",
        "save_firmware",
        "delete_firmware",
        "get_firmware_target",
        "set_firmware_target",
        "get_firmware_state",
        "download_firmware",
        "get_firmware_manifest",
        "get_file",
        "list_credentials",
        "get_credential",
        "create_credential",
        "revoke_credential",
};

static const char *const metrics_method_names[NMETHODS] = {
        "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST", "PATCH", "OTHER",
};

/* The web server instance that owns a file; all zeros when unknown. */
struct metrics_owner {
	int64_t pid;          /* in the pid namespace below */
	uint64_t start_ticks; /* clock ticks after boot */
	char boot_id[40];     /* NUL-terminated */
	uint64_t pid_ns;      /* inode of the pid namespace; 0 when unknown */
};

struct metrics_shm {
	uint64_t magic;
	uint64_t layout;       /* layout_signature(): what every slot below means */
	int64_t start_time_ms; /* the owner's start */
	struct metrics_owner owner;
	_Atomic uint64_t ops[METRICS_OP_COUNT][2];             /* [op][0 success, 1 error] */
	_Atomic uint64_t hist[METRICS_OP_COUNT][NBUCKETS + 1]; /* per bucket, last = +Inf */
	_Atomic uint64_t sum_ns[METRICS_OP_COUNT];
	_Atomic uint64_t http[NROUTES][NMETHODS][NCODES];
	_Atomic uint64_t mqtt_publish[METRICS_MQTT_COUNT];
	_Atomic uint64_t checkin_writes[2]; /* [0 success, 1 error] */
	_Atomic uint64_t fw_downloads[METRICS_FW_COUNT];
	_Atomic uint64_t fw_bytes[METRICS_FW_COUNT];
	_Atomic uint64_t device_auth[METRICS_AUTH_COUNT];
	/* Not metrics: failed device authentications, shared the same way (authlimit.h). */
	struct authlimit_table authlimit;
};

/*
 * uint64_t is unsigned long on LP64 and unsigned long long elsewhere: both
 * must be lock-free, or the "atomics" would be a lock private to each
 * process and the shared counters would race.
 */
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 || sizeof(unsigned long) != sizeof(uint64_t),
               "shared counters need lock-free 64-bit atomics (unsigned long)");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 || sizeof(unsigned long long) != sizeof(uint64_t),
               "shared counters need lock-free 64-bit atomics (unsigned long long)");

/* The families and label names render_* writes, in order. */
static const char metrics_schema[] = "iot_config_operations_total{operation,status} "
                                     "iot_config_operation_duration_seconds{operation,le} "
                                     "iot_config_http_requests_total{method,route,code} "
                                     "iot_mqtt_publish_total{status} "
                                     "iot_mqtt_connected iot_mqtt_enabled "
                                     "iot_config_checkin_writes_total{status} "
                                     "iot_firmware_downloads_total{result} "
                                     "iot_firmware_download_bytes_total{result} "
                                     "iot_device_auth_total{result} authlimit";
static const char *const metrics_outcomes[2] = {"success", "error"};
static const char *const metrics_mqtt_names[METRICS_MQTT_COUNT] = {"success", "error", "dropped"};
static const char *const metrics_fw_names[METRICS_FW_COUNT] = {"complete", "partial",
                                                               "not_modified", "aborted"};
static const char *const metrics_auth_names[METRICS_AUTH_COUNT] = {
        "ok", "open", "missing", "wrong", "throttled", "error",
};

static struct metrics_shm metrics_private;
static struct metrics_shm *metrics_map = &metrics_private;
static char metrics_path[512];
static int metrics_fd = -1; /* holds the read lock on LOCK_IN_USE of the mapped file */
/* The MQTT slot this process holds while connected (-1: none), and which process took it. */
static atomic_int metrics_mqtt_slot = -1;
static atomic_int metrics_mqtt_holder; /* a pid */
static const char *const *metrics_routes;
static int metrics_route_count;
static uint64_t metrics_layout;         /* layout_signature() of this process */
static struct metrics_owner metrics_me; /* our parent: the instance we count for */
static int64_t metrics_me_start_ms;
static bool metrics_mqtt_on; /* iot_mqtt_enabled */

#define FNV_OFFSET 0xcbf29ce484222325ull

static uint64_t
fnv_add(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Adds a string with its NUL, so that "ab","c" and "a","bc" differ. */
static uint64_t
hash_str(uint64_t h, const char *s)
{
	return fnv_add(h, s, strlen(s) + 1);
}

static uint64_t
hash_num(uint64_t h, double v)
{
	char text[40];
	snprintf(text, sizeof text, "%.17g", v);
	return hash_str(h, text);
}

/* What every slot of the file means, as one hash (see the opening comment). */
static uint64_t
layout_signature(void)
{
	uint64_t h = hash_str(FNV_OFFSET, metrics_schema);
	h = hash_num(h, (double)sizeof(struct metrics_shm));
	h = hash_num(h, (double)sizeof(struct metrics_owner));
	h = hash_num(h, METRICS_OP_COUNT);
	for (int i = 0; i < METRICS_OP_COUNT; i++)
		h = hash_str(h, metrics_op_names[i]);
	for (int i = 0; i < 2; i++)
		h = hash_str(h, metrics_outcomes[i]);
	h = hash_num(h, NBUCKETS);
	for (int i = 0; i < NBUCKETS; i++)
		h = hash_num(h, metrics_buckets[i]);
	h = hash_str(h, "+Inf");
	h = hash_num(h, NMETHODS);
	for (int i = 0; i < NMETHODS; i++)
		h = hash_str(h, metrics_method_names[i]);
	h = hash_num(h, NCODES);
	for (int i = 0; i < NCODES - 1; i++)
		h = hash_num(h, metrics_codes[i]);
	h = hash_str(h, "other");
	for (int i = 0; i < METRICS_MQTT_COUNT; i++)
		h = hash_str(h, metrics_mqtt_names[i]);
	for (int i = 0; i < METRICS_FW_COUNT; i++)
		h = hash_str(h, metrics_fw_names[i]);
	for (int i = 0; i < METRICS_AUTH_COUNT; i++)
		h = hash_str(h, metrics_auth_names[i]);
	h = hash_num(h, AUTHLIMIT_SLOTS);
	h = hash_num(h, NROUTES);
	h = hash_num(h, metrics_route_count);
	for (int i = 0; i < metrics_route_count; i++)
		h = hash_str(h, metrics_routes[i]);
	return hash_str(h, "unmatched");
}

/* The config directory and the owner, as the part of a default name that tells instances apart. */
static uint64_t
instance_hash(const char *configs_dir)
{
	uint64_t h = hash_str(FNV_OFFSET, configs_dir ? configs_dir : "");
	h = fnv_add(h, &metrics_me.pid, sizeof metrics_me.pid);
	h = fnv_add(h, &metrics_me.start_ticks, sizeof metrics_me.start_ticks);
	h = hash_str(h, metrics_me.boot_id);
	return fnv_add(h, &metrics_me.pid_ns, sizeof metrics_me.pid_ns);
}

/* Reads up to size-1 bytes of a small file as a string; false on failure. */
static bool
read_small(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	out[n] = '\0';
	return true;
}

/*
 * Identifies process pid of our pid namespace: its start in clock ticks
 * after boot (field 22 of /proc/<pid>/stat, counted after the command
 * name, which may hold spaces and parentheses), the boot id and the
 * namespace. Leaves *o all zeros when /proc cannot tell.
 */
static void
owner_of(pid_t pid, struct metrics_owner *o)
{
	memset(o, 0, sizeof *o);
	char path[64], text[1024], boot[64];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (!read_small(path, text, sizeof text) ||
	    !read_small("/proc/sys/kernel/random/boot_id", boot, sizeof boot))
		return;
	const char *p = strrchr(text, ')');
	for (int field = 2; p != NULL && field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		return;
	char *end = NULL;
	errno = 0;
	unsigned long long ticks = strtoull(p, &end, 10);
	if (end == p || errno != 0)
		return;
	boot[strcspn(boot, "\n")] = '\0';
	struct stat ns;
	if (stat("/proc/self/ns/pid", &ns) != 0)
		return;
	o->pid_ns = (uint64_t)ns.st_ino;
	o->pid = pid;
	o->start_ticks = ticks;
	snprintf(o->boot_id, sizeof o->boot_id, "%.*s", (int)sizeof o->boot_id - 1, boot);
}

/* When the owner started, ms since the epoch; now when it is unknown. */
static int64_t
owner_start_ms(const struct metrics_owner *o)
{
	long hz = sysconf(_SC_CLK_TCK);
	if (o->pid == 0 || hz <= 0)
		return clock_ms(CLOCK_REALTIME);
	int64_t boot_ms = clock_ms(CLOCK_REALTIME) - clock_ms(CLOCK_BOOTTIME);
	return boot_ms + (int64_t)(o->start_ticks * 1000 / (unsigned long long)hz);
}

static const char *
default_dir(void)
{
	struct stat st;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

/* The header as it is at the start of the file. */
struct metrics_head {
	uint64_t magic;
	uint64_t layout;
	int64_t start_time_ms;
	struct metrics_owner owner;
};
_Static_assert(offsetof(struct metrics_shm, owner) == offsetof(struct metrics_head, owner),
               "metrics_head is the start of metrics_shm");
_Static_assert(offsetof(struct metrics_shm, owner.start_ticks) == 32,
               "tests/unit/test_metrics.c changes the owner's start at byte 32");

/*
 * Takes (F_SETLK, or F_SETLKW to wait) or drops (F_UNLCK) a POSIX record
 * lock of type on byte `at` of fd. Returns 0, or -1 with errno (EAGAIN or
 * EACCES: another process holds a conflicting lock).
 */
static int
lock_byte(int fd, int cmd, short type, off_t at)
{
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
	int rc;
	while ((rc = fcntl(fd, cmd, &l)) != 0 && errno == EINTR)
		;
	return rc;
}

/* Is the file open as fd still the one named path? */
static bool
still_at(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Is the owner recorded in a file seen alive? Only where its pid means
 * something here: the same boot and pid namespace, and a process with
 * that pid and start. Elsewhere it cannot be told, and the answer is no.
 */
static bool
owner_alive(const struct metrics_owner *o)
{
	if (o->pid <= 0 || o->pid_ns == 0 || o->pid_ns != metrics_me.pid_ns ||
	    strncmp(o->boot_id, metrics_me.boot_id, sizeof o->boot_id) != 0)
		return false;
	struct metrics_owner now;
	owner_of((pid_t)o->pid, &now);
	return now.pid == o->pid && now.start_ticks == o->start_ticks;
}

/* Is name a default file of this uid (prefix), or a temporary one of them (*tmp)? */
static bool
default_name(const char *name, const char *prefix, bool *tmp)
{
	size_t n = strlen(name);
	if (strncmp(name, prefix, strlen(prefix)) != 0)
		return false;
	*tmp = strstr(name, ".metrics.tmp-") != NULL;
	return *tmp || (n > 8 && strcmp(name + n - 8, ".metrics") == 0);
}

/*
 * Removes default files of this uid that no process uses (see the
 * opening comment): nobody holds their in-use lock, and their owner is
 * not seen alive. A temporary file nobody holds was left by a creator
 * that died. The write lock taken to decide stays held until the name is
 * gone, so a process that opened the file meanwhile finds it removed once
 * it has its own lock, and opens again.
 */
static void
remove_orphans(const char *dir)
{
	char prefix[64];
	snprintf(prefix, sizeof prefix, "iotconfig-%ld-", (long)getuid());
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		bool tmp = false;
		if (!default_name(de->d_name, prefix, &tmp))
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct stat st;
		struct metrics_head head;
		memset(&head, 0, sizeof head);
		bool orphan = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		              st.st_uid == geteuid() &&
		              lock_byte(fd, F_SETLK, F_WRLCK, LOCK_IN_USE) == 0;
		/* An earlier version's file holds no lock: not ours to judge. */
		if (orphan && !tmp)
			orphan = pread(fd, &head, sizeof head, 0) == (ssize_t)sizeof head &&
			         head.magic == METRICS_MAGIC && !owner_alive(&head.owner);
		if (orphan && still_at(fd, path) && unlink(path) == 0)
			log_msg(LOG_INFO, "removed a metrics file no process uses path=%s",
			        LOG_VALUE(path));
		close(fd);
	}
	closedir(d);
}

static struct metrics_shm *
map_fd(int fd)
{
	void *p = mmap(NULL, sizeof(struct metrics_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

#define LOST_RACE (-2) /* the path changed meanwhile: open it again */

/*
 * Builds a complete file under a temporary name and puts it in place:
 * link(2) when creating (a file someone else put there first wins), or
 * rename(2) over a stale file when replacing. The temporary name is
 * random, never a pid (which a process of another pid namespace may
 * share), and the file is held (in-use lock) from its first moment, so no
 * other process takes it for an orphan. Returns a descriptor of the placed
 * file, still holding that lock; LOST_RACE when another process's file
 * came first or the temporary file was taken away; -1 with errno.
 */
static int
create_file(const char *path, bool replace)
{
	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0)
		return -1;
	int rc = lock_byte(fd, F_SETLK, F_RDLCK, LOCK_IN_USE) == 0 && still_at(fd, tmp) ? 0
	                                                                                : LOST_RACE;
	struct metrics_shm *m = NULL;
	if (rc == 0 && (ftruncate(fd, sizeof(struct metrics_shm)) != 0 || (m = map_fd(fd)) == NULL))
		rc = -1;
	/* The key of the failure table's hash (authlimit.h), made with the file. */
	if (m != NULL && getrandom(m->authlimit.seed, sizeof m->authlimit.seed, 0) !=
	                         (ssize_t)sizeof m->authlimit.seed)
		rc = -1;
	if (m != NULL) {
		m->layout = metrics_layout;
		m->start_time_ms = metrics_me_start_ms;
		m->owner = metrics_me;
		atomic_thread_fence(memory_order_release);
		m->magic = METRICS_MAGIC;
		if (munmap(m, sizeof *m) != 0)
			rc = -1;
	}
	bool placed = false;
	if (rc == 0 && replace) {
		rc = rename(tmp, path);
		placed = rc == 0;
	} else if (rc == 0 && link(tmp, path) != 0) {
		rc = errno == EEXIST || errno == ENOENT ? LOST_RACE : -1;
	}
	int saved = errno;
	if (!placed)
		unlink(tmp);
	if (rc != 0) {
		close(fd);
		errno = saved;
		return rc;
	}
	return fd;
}

/* Why an open file must not be shared, or NULL when it is ours alone. */
static const char *
refusal(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != geteuid())
		return "owned by another user";
	if ((st->st_mode & 077) != 0)
		return "other users may open it (its mode must be 0600)";
	return NULL;
}

enum fit { FIT_OK, FIT_STALE, FIT_FOREIGN };

/*
 * Does the file hold this layout (and, when check_owner, our owner), a
 * stale one of ours (or of an earlier version), or no header of ours?
 */
static enum fit
file_fit(int fd, const struct stat *st, bool check_owner)
{
	struct metrics_head head;
	memset(&head, 0, sizeof head);
	ssize_t n = pread(fd, &head, sizeof head, 0);
	if (n < (ssize_t)sizeof head.magic ||
	    (head.magic != METRICS_MAGIC && head.magic != METRICS_MAGIC_OLD))
		return FIT_FOREIGN;
	if (head.magic != METRICS_MAGIC || st->st_size != (off_t)sizeof(struct metrics_shm) ||
	    n != (ssize_t)sizeof head || head.layout != metrics_layout)
		return FIT_STALE;
	if (check_owner && memcmp(&head.owner, &metrics_me, sizeof metrics_me) != 0)
		return FIT_STALE;
	return FIT_OK;
}

/*
 * Replaces the stale file open as fd, unless another process already did
 * while this one waited for the lock (then the caller just opens the path
 * again). Every process replacing the same file takes the same lock, so a
 * replacement is never itself replaced by a second one.
 */
static int
replace_stale(const char *path, int fd)
{
	if (lock_byte(fd, F_SETLKW, F_WRLCK, LOCK_REPLACING) != 0)
		return -1;
	int rc = 0;
	if (still_at(fd, path)) {
		int made = create_file(path, true);
		if (made >= 0) {
			log_msg(LOG_WARN,
			        "replaced a metrics file of another layout or web server instance "
			        "path=%s (counters restart; processes still using the old file "
			        "keep counting there)",
			        LOG_VALUE(path));
			close(made);
		}
		rc = made == -1 ? -1 : 0;
	}
	int saved = errno;
	lock_byte(fd, F_SETLK, F_UNLCK, LOCK_REPLACING);
	errno = saved;
	return rc;
}

/*
 * Opens the file, creating it when there is none (first removing the
 * orphans of the default directory). Returns a descriptor, LOST_RACE, or
 * -1 with errno.
 */
static int
open_or_create(const char *path, bool is_default)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (is_default) {
		const char *slash = strrchr(path, '/');
		char dir[512];
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		remove_orphans(dir);
	}
	return create_file(path, false);
}

/*
 * Checks the open file, takes its in-use lock and maps it when it is ours
 * and of this layout; a stale file of ours is replaced, and a file removed
 * or replaced meanwhile is let go: both set *again, asking the caller to
 * open the path anew. Returns why the file cannot be used, or NULL.
 */
static const char *
check_and_map(const char *path, bool is_default, int fd, struct metrics_shm **m, bool *again)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return strerror(errno);
	const char *why = refusal(&st);
	if (why != NULL)
		return why;
	if (lock_byte(fd, F_SETLKW, F_RDLCK, LOCK_IN_USE) != 0)
		return strerror(errno);
	if (!still_at(fd, path)) {
		*again = true;
		return NULL;
	}
	switch (file_fit(fd, &st, is_default)) {
	case FIT_OK:
		*m = map_fd(fd);
		return *m == NULL ? strerror(errno) : NULL;
	case FIT_STALE:
		if (replace_stale(path, fd) != 0)
			return strerror(errno);
		*again = true;
		return NULL;
	case FIT_FOREIGN:
		break;
	}
	return st.st_size == (off_t)sizeof(struct metrics_shm)
	               ? "the file has another layout (not a metrics file?)"
	               : "the file has another size (not a metrics file?)";
}

/*
 * Maps the shared file at path and sets *lock_fd to the descriptor that
 * holds its in-use lock, or returns NULL and says why.
 */
static struct metrics_shm *
map_shared(const char *path, bool is_default, int *lock_fd, const char **why)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		int fd = open_or_create(path, is_default);
		if (fd == LOST_RACE)
			continue;
		if (fd < 0) {
			*why = strerror(errno);
			return NULL;
		}
		struct metrics_shm *m = NULL;
		bool again = false;
		*why = check_and_map(path, is_default, fd, &m, &again);
		if (m != NULL) {
			*lock_fd = fd;
			return m;
		}
		close(fd);
		if (!again)
			return NULL;
	}
	*why = "the file kept changing while it was opened";
	return NULL;
}

bool
metrics_open(const char *path, const char *configs_dir, const char *const *route_templates,
             int route_count)
{
	metrics_routes = route_templates;
	metrics_route_count = route_count < METRICS_MAX_ROUTES ? route_count : METRICS_MAX_ROUTES;
	metrics_layout = layout_signature();
	owner_of(getppid(), &metrics_me);
	metrics_me_start_ms = owner_start_ms(&metrics_me);
	metrics_private.magic = METRICS_MAGIC;
	metrics_private.layout = metrics_layout;
	metrics_private.start_time_ms = metrics_me_start_ms;
	metrics_private.owner = metrics_me;
	metrics_map = &metrics_private;
	metrics_path[0] = '\0';
	if (getrandom(metrics_private.authlimit.seed, sizeof metrics_private.authlimit.seed,
	              GRND_NONBLOCK) != (ssize_t)sizeof metrics_private.authlimit.seed)
		log_msg(LOG_WARN, "no random seed for the table of failed device authentications");
	authlimit_use(&metrics_private.authlimit);
	if (metrics_fd >= 0)
		close(metrics_fd); /* its locks go with it */
	metrics_fd = -1;
	atomic_store(&metrics_mqtt_slot, -1);

	bool is_default = path == NULL;
	if (is_default) {
		const char *dir = default_dir();
		snprintf(metrics_path, sizeof metrics_path,
		         "%s/iotconfig-%ld-%ld-%016llx-%08llx.metrics", dir, (long)getuid(),
		         (long)getppid(), (unsigned long long)instance_hash(configs_dir),
		         (unsigned long long)(metrics_layout & 0xffffffffu));
	} else {
		snprintf(metrics_path, sizeof metrics_path, "%s", path);
	}
	const char *why;
	struct metrics_shm *m = map_shared(metrics_path, is_default, &metrics_fd, &why);
	if (m == NULL) {
		log_msg(LOG_WARN,
		        "metrics are per process: cannot share path=%s reason=\"%s\" "
		        "(set METRICS_FILE to a writable location)",
		        LOG_VALUE(metrics_path), why);
		metrics_path[0] = '\0';
		return false;
	}
	atomic_thread_fence(memory_order_acquire);
	metrics_map = m;
	authlimit_use(&m->authlimit);
	return true;
}

const char *
metrics_file(void)
{
	return metrics_path[0] ? metrics_path : NULL;
}

void
metrics_observe_op(enum metrics_op op, bool success, uint64_t duration_ns)
{
	if (op < 0 || op >= METRICS_OP_COUNT)
		return;
	struct metrics_shm *m = metrics_map;
	atomic_fetch_add_explicit(&m->ops[op][success ? 0 : 1], 1, memory_order_relaxed);
	double seconds = (double)duration_ns / 1e9;
	int b = 0;
	while (b < NBUCKETS && seconds > metrics_buckets[b])
		b++;
	atomic_fetch_add_explicit(&m->hist[op][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_ns[op], duration_ns, memory_order_relaxed);
}

static int
code_index(int status)
{
	for (int i = 0; i < NCODES - 1; i++)
		if (metrics_codes[i] == status)
			return i;
	return NCODES - 1;
}

void
metrics_observe_request(int method_index, int route, int status)
{
	if (method_index < 0 || method_index >= NMETHODS)
		method_index = NMETHODS - 1;
	int r = (route >= 0 && route < metrics_route_count) ? route : METRICS_MAX_ROUTES;
	atomic_fetch_add_explicit(&metrics_map->http[r][method_index][code_index(status)], 1,
	                          memory_order_relaxed);
}

void
metrics_mqtt_publish(enum metrics_mqtt_status status)
{
	if (status >= 0 && status < METRICS_MQTT_COUNT)
		atomic_fetch_add_explicit(&metrics_map->mqtt_publish[status], 1,
		                          memory_order_relaxed);
}

/*
 * iot_mqtt_connected counts processes, not connect and disconnect events:
 * a connected process holds a write lock on one slot byte of the file,
 * and a scrape counts the slots held. A process that ends however it
 * ends, killed while connected included, drops its lock, and no pid is
 * involved that could be another process. Without a shared file the
 * process counts itself.
 */
static bool
mqtt_slot_mine(void)
{
	return atomic_load(&metrics_mqtt_slot) >= 0 &&
	       atomic_load(&metrics_mqtt_holder) == getpid();
}

void
metrics_mqtt_connected(bool connected)
{
	if (!connected) {
		int slot = atomic_exchange(&metrics_mqtt_slot, -1);
		if (slot >= 0 && metrics_fd >= 0 && atomic_load(&metrics_mqtt_holder) == getpid())
			lock_byte(metrics_fd, F_SETLK, F_UNLCK, LOCK_MQTT + slot);
		return;
	}
	if (mqtt_slot_mine())
		return; /* one process, however often it says so */
	/* A forked child holds none of its parent's locks. */
	atomic_store(&metrics_mqtt_holder, (int)getpid());
	for (int i = 0; i < METRICS_MQTT_PROCS; i++) {
		if (metrics_fd < 0 || lock_byte(metrics_fd, F_SETLK, F_WRLCK, LOCK_MQTT + i) == 0) {
			atomic_store(&metrics_mqtt_slot, i);
			return;
		}
	}
}

static unsigned
mqtt_connected_count(void)
{
	bool mine = mqtt_slot_mine();
	if (metrics_fd < 0)
		return mine ? 1u : 0u;
	unsigned n = mine ? 1u : 0u;
	for (int i = 0; i < METRICS_MQTT_PROCS; i++) {
		/* F_GETLK never reports this process's own lock. */
		struct flock l = {.l_type = F_WRLCK,
		                  .l_whence = SEEK_SET,
		                  .l_start = LOCK_MQTT + i,
		                  .l_len = 1};
		if (fcntl(metrics_fd, F_GETLK, &l) == 0 && l.l_type != F_UNLCK)
			n++;
	}
	return n;
}

void
metrics_mqtt_enabled(bool enabled)
{
	metrics_mqtt_on = enabled;
}

void
metrics_checkin_write(bool ok)
{
	atomic_fetch_add_explicit(&metrics_map->checkin_writes[ok ? 0 : 1], 1,
	                          memory_order_relaxed);
}

static int
render_checkin(struct buf *out, struct metrics_shm *m)
{
	int rc = buf_puts(out, "# HELP iot_config_checkin_writes_total Device fetch notes written "
	                       "(success) or not (error).\n"
	                       "# TYPE iot_config_checkin_writes_total counter\n");
	for (int s = 0; s < 2 && rc == 0; s++)
		rc = buf_printf(out, "iot_config_checkin_writes_total{status=\"%s\"} %llu\n",
		                metrics_outcomes[s],
		                (unsigned long long)atomic_load_explicit(&m->checkin_writes[s],
		                                                         memory_order_relaxed));
	return rc;
}

void
metrics_firmware_download(enum metrics_fw_result result, uint64_t bytes)
{
	if ((unsigned)result >= METRICS_FW_COUNT)
		return;
	atomic_fetch_add_explicit(&metrics_map->fw_downloads[result], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&metrics_map->fw_bytes[result], bytes, memory_order_relaxed);
}

static int
render_firmware(struct buf *out, struct metrics_shm *m)
{
	int rc = buf_puts(out, "# HELP iot_firmware_downloads_total Answers carrying a firmware "
	                       "image, by how they ended.\n"
	                       "# TYPE iot_firmware_downloads_total counter\n");
	for (int i = 0; rc == 0 && i < METRICS_FW_COUNT; i++)
		rc = buf_printf(out, "iot_firmware_downloads_total{result=\"%s\"} %llu\n",
		                metrics_fw_names[i],
		                (unsigned long long)atomic_load_explicit(&m->fw_downloads[i],
		                                                         memory_order_relaxed));
	if (rc == 0)
		rc = buf_puts(out, "# HELP iot_firmware_download_bytes_total Firmware image bytes "
		                   "sent, by how the answer ended.\n"
		                   "# TYPE iot_firmware_download_bytes_total counter\n");
	for (int i = 0; rc == 0 && i < METRICS_FW_COUNT; i++)
		rc = buf_printf(out, "iot_firmware_download_bytes_total{result=\"%s\"} %llu\n",
		                metrics_fw_names[i],
		                (unsigned long long)atomic_load_explicit(&m->fw_bytes[i],
		                                                         memory_order_relaxed));
	return rc;
}

void
metrics_device_auth(enum metrics_auth_result result)
{
	if (result < 0 || result >= METRICS_AUTH_COUNT)
		return;
	atomic_fetch_add_explicit(&metrics_map->device_auth[result], 1, memory_order_relaxed);
}

static int
render_device_auth(struct buf *out, struct metrics_shm *m)
{
	int rc = buf_puts(out, "# HELP iot_device_auth_total Checks of device routes by result "
	                       "(DEVICE_AUTH).\n"
	                       "# TYPE iot_device_auth_total counter\n");
	for (int i = 0; i < METRICS_AUTH_COUNT && rc == 0; i++)
		rc = buf_printf(out, "iot_device_auth_total{result=\"%s\"} %llu\n",
		                metrics_auth_names[i],
		                (unsigned long long)atomic_load_explicit(&m->device_auth[i],
		                                                         memory_order_relaxed));
	return rc;
}

static int
render_mqtt(struct buf *out, struct metrics_shm *m)
{
	int rc = buf_puts(out, "# HELP iot_mqtt_publish_total Change notifications by outcome.\n"
	                       "# TYPE iot_mqtt_publish_total counter\n");
	for (int i = 0; rc == 0 && i < METRICS_MQTT_COUNT; i++)
		rc = buf_printf(out, "iot_mqtt_publish_total{status=\"%s\"} %llu\n",
		                metrics_mqtt_names[i],
		                (unsigned long long)atomic_load_explicit(&m->mqtt_publish[i],
		                                                         memory_order_relaxed));
	unsigned connected = mqtt_connected_count();
	if (rc == 0)
		rc = buf_printf(out,
		                "# HELP iot_mqtt_connected Responder processes connected to the "
		                "MQTT broker now.\n"
		                "# TYPE iot_mqtt_connected gauge\n"
		                "iot_mqtt_connected %u\n"
		                "# HELP iot_mqtt_enabled Whether change notifications are "
		                "configured (MQTT_URL).\n"
		                "# TYPE iot_mqtt_enabled gauge\n"
		                "iot_mqtt_enabled %d\n",
		                connected, metrics_mqtt_on ? 1 : 0);
	return rc;
}

int
metrics_append_label_value(struct buf *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		int rc;
		if (*p == '\\')
			rc = buf_append(out, "\\\\", 2);
		else if (*p == '"')
			rc = buf_append(out, "\\\"", 2);
		else if (*p == '\n')
			rc = buf_append(out, "\\n", 2);
		else
			rc = buf_append(out, p, 1);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static uint64_t
load(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static int
render_ops(struct buf *out, struct metrics_shm *m)
{
	int rc = buf_puts(out, "# HELP iot_config_operations_total Config operations by outcome.\n"
	                       "# TYPE iot_config_operations_total counter\n");
	for (int op = 0; op < METRICS_OP_COUNT && rc == 0; op++)
		for (int s = 0; s < 2 && rc == 0; s++)
			rc = buf_printf(
			        out,
			        "iot_config_operations_total{operation=\"%s\",status=\"%s\"} "
			        "%llu\n",
			        metrics_op_names[op], metrics_outcomes[s],
			        (unsigned long long)load(&m->ops[op][s]));
	return rc;
}

static int
render_histograms(struct buf *out, struct metrics_shm *m)
{
	int rc = buf_puts(out, "# HELP iot_config_operation_duration_seconds Time to serve a "
	                       "config operation, response included.\n"
	                       "# TYPE iot_config_operation_duration_seconds histogram\n");
	for (int op = 0; op < METRICS_OP_COUNT && rc == 0; op++) {
		uint64_t cumulative = 0;
		for (int b = 0; b <= NBUCKETS && rc == 0; b++) {
			cumulative += load(&m->hist[op][b]);
			char le[32];
			if (b == NBUCKETS)
				snprintf(le, sizeof le, "+Inf");
			else
				snprintf(le, sizeof le, "%g", metrics_buckets[b]);
			rc = buf_printf(
			        out,
			        "iot_config_operation_duration_seconds_bucket{operation=\"%s\","
			        "le=\"%s\"} %llu\n",
			        metrics_op_names[op], le, (unsigned long long)cumulative);
		}
		if (rc == 0)
			rc = buf_printf(
			        out,
			        "iot_config_operation_duration_seconds_sum{operation=\"%s\"} "
			        "%.9f\n"
			        "iot_config_operation_duration_seconds_count{operation=\"%s\"} "
			        "%llu\n",
			        metrics_op_names[op], (double)load(&m->sum_ns[op]) / 1e9,
			        metrics_op_names[op], (unsigned long long)cumulative);
	}
	return rc;
}

static int
render_http(struct buf *out, struct metrics_shm *m)
{
	int rc = buf_puts(out, "# HELP iot_config_http_requests_total HTTP requests by method, "
	                       "route template and status code.\n"
	                       "# TYPE iot_config_http_requests_total counter\n");
	for (int r = 0; r < NROUTES && rc == 0; r++) {
		if (r >= metrics_route_count && r != METRICS_MAX_ROUTES)
			continue;
		const char *route = r == METRICS_MAX_ROUTES ? "unmatched" : metrics_routes[r];
		for (int meth = 0; meth < NMETHODS && rc == 0; meth++) {
			for (int c = 0; c < NCODES && rc == 0; c++) {
				uint64_t v = load(&m->http[r][meth][c]);
				if (v == 0)
					continue;
				char code[16];
				if (c == NCODES - 1)
					snprintf(code, sizeof code, "other");
				else
					snprintf(code, sizeof code, "%d", metrics_codes[c]);
				rc = buf_printf(
				        out,
				        "iot_config_http_requests_total{method=\"%s\",route=\"",
				        metrics_method_names[meth]);
				if (rc == 0)
					rc = metrics_append_label_value(out, route);
				if (rc == 0)
					rc = buf_printf(out, "\",code=\"%s\"} %llu\n", code,
					                (unsigned long long)v);
			}
		}
	}
	return rc;
}

int
metrics_render(struct buf *out, size_t files_count)
{
	struct metrics_shm *m = metrics_map;
	int rc = render_ops(out, m);
	if (rc == 0)
		rc = render_histograms(out, m);
	if (rc == 0)
		rc = render_http(out, m);
	if (rc == 0)
		rc = buf_printf(out,
		                "# HELP iot_config_files_count Valid config files in the directory "
		                "now.\n"
		                "# TYPE iot_config_files_count gauge\n"
		                "iot_config_files_count %zu\n",
		                files_count);
	if (rc == 0)
		rc = buf_puts(out, "# HELP iot_config_build_info Build information.\n"
		                   "# TYPE iot_config_build_info gauge\n"
		                   "iot_config_build_info{version=\"");
	if (rc == 0)
		rc = metrics_append_label_value(out, IOTCONFIG_VERSION);
	if (rc == 0)
		rc = buf_printf(out,
		                "\"} 1\n"
		                "# HELP iot_config_start_time_seconds When the service instance "
		                "started, seconds since the epoch.\n"
		                "# TYPE iot_config_start_time_seconds gauge\n"
		                "iot_config_start_time_seconds %.3f\n",
		                (double)m->start_time_ms / 1000.0);
	if (rc == 0)
		rc = render_mqtt(out, m);
	if (rc == 0)
		rc = render_checkin(out, m);
	if (rc == 0)
		rc = render_firmware(out, m);
	if (rc == 0)
		rc = render_device_auth(out, m);
	/*
	 * A scrape reads every counter, which maps their pages of the shared
	 * file into this process (over 50 KiB). The counts live in the file,
	 * not in this process's page tables, so the pages are unmapped again
	 * once read: the process stays at the few pages its own requests
	 * count in, each mapped again when next written. Never on the
	 * private table, where the pages are the counts themselves.
	 */
	if (m != &metrics_private)
		(void)madvise(m, sizeof *m, MADV_DONTNEED);
	return rc;
}
