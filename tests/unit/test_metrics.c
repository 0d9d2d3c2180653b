/*
 * test_metrics.c: proves the metrics of metrics.c. Label values are
 * escaped as the Prometheus text format requires (\\, \" and \n). With a
 * METRICS_FILE in a temp directory, metrics_open creates the shared file
 * and a second metrics_open of the same path in another process (fork)
 * maps the same counters: what either process counts, the other renders
 * ("one truth"), with one start time. The exposition gives every family
 * a # HELP and a # TYPE, histogram buckets are cumulative and
 * non-decreasing with +Inf equal to _count and _sum equal to the observed
 * durations, route labels are escaped and unknown routes/codes/methods
 * fall into their catch-all labels. An unusable location (under a regular
 * file, under /proc) or a file of the wrong size or layout is not used:
 * metrics_open returns false, warns, leaves the file alone, and counting
 * continues per process. So is a file another user could control: one
 * others may open (mode 0666), one owned by another uid, a FIFO. A file
 * of ours with our header but another layout (another version's) is
 * replaced by a fresh one through rename(2), once even when several
 * processes open it at the same time, while an open descriptor keeps the
 * old file; a temporary file at a per-pid name does not stop creation.
 * Default locations differ per config directory. When a default file is
 * made, default files no process holds (a lock every user takes) are
 * removed, process 1's too, while a file a live process holds stays even
 * when no process here has its owner's pid (another pid namespace), as
 * does one whose web server is seen alive (CGI between requests) and an
 * earlier version's.
 * The layout signature covers the label values: the same routes in
 * another order, or one renamed, give another signature and a fresh file
 * whose counters start from zero. A default file recording another owner
 * (another web server instance with our parent's pid) is replaced, while
 * a METRICS_FILE made under another parent is shared; the start time is
 * the parent's start, earlier than this process's. The MQTT families count
 * publishes by status, say whether MQTT is on, and count connected
 * processes once each, never one that was killed while connected, nor
 * one that ended while its pid names another live process. Fetch
 * notes written and not written are counted apart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "capture.h"
#include "tap.h"

#ifndef IOTCONFIG_VERSION
#define IOTCONFIG_VERSION "0.0.0"
#endif

static char root[64];
static int64_t main_start_ms; /* when main began */
static const char *const routes[] = {"/api/health", "/api/configs", "/api/configs/{mac_address}"};
#define NROUTES_TEST 3

/* --- reading the exposition ----------------------------------------------- */

/* Value of the sample whose name+labels are exactly `key`, or -1. */
static double
sample(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *line = text; line && *line;) {
		if (strncmp(line, key, k) == 0 && line[k] == ' ')
			return strtod(line + k + 1, NULL);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

/* The text of the value of sample `key` (up to the newline), or NULL. */
static const char *
sample_text(const char *text, const char *key)
{
	static char out[64];
	size_t k = strlen(key);
	for (const char *line = text; line && *line;) {
		if (strncmp(line, key, k) == 0 && line[k] == ' ') {
			const char *v = line + k + 1;
			size_t n = strcspn(v, "\n");
			snprintf(out, sizeof out, "%.*s", (int)n, v);
			return out;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

static char *
render(size_t files)
{
	struct buf b;
	buf_init(&b);
	if (metrics_render(&b, files) != 0) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* The rendered iot_config_operations_total of one operation and status, or -1. */
static double
op_total(const char *op, const char *status)
{
	char key[128];
	snprintf(key, sizeof key, "iot_config_operations_total{operation=\"%s\",status=\"%s\"}", op,
	         status);
	char *text = render(0);
	double v = text != NULL ? sample(text, key) : -1;
	free(text);
	return v;
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* Every sample belongs to a family with # HELP and # TYPE declared before it. */
static bool
families_declared(const char *text, int *families)
{
	char help[32][96], type[32][96], kind[32][16];
	int nh = 0, nt = 0;
	*families = 0;
	for (const char *line = text; line && *line;) {
		size_t len = strcspn(line, "\n");
		char l[512];
		snprintf(l, sizeof l, "%.*s", (int)len, line);
		if (strncmp(l, "# HELP ", 7) == 0) {
			if (nh == 32 || sscanf(l + 7, "%95s", help[nh]) != 1)
				return false;
			nh++;
		} else if (strncmp(l, "# TYPE ", 7) == 0) {
			if (nt == 32 || sscanf(l + 7, "%95s %15s", type[nt], kind[nt]) != 2)
				return false;
			if (nt >= nh || strcmp(type[nt], help[nh - 1]) != 0)
				return false; /* HELP comes first, for the same family */
			nt++;
		} else if (l[0] != '\0') {
			char name[96];
			size_t n = strcspn(l, "{ ");
			snprintf(name, sizeof name, "%.*s", (int)n, l);
			if (nt == 0)
				return false;
			/* must belong to the family declared last */
			const char *fam = type[nt - 1];
			size_t f = strlen(fam);
			bool ok = strcmp(name, fam) == 0;
			bool histogram = strcmp(kind[nt - 1], "histogram") == 0;
			if (!ok && histogram && strncmp(name, fam, f) == 0) {
				const char *suffix = name + f;
				ok = strcmp(suffix, "_bucket") == 0 ||
				     strcmp(suffix, "_sum") == 0 || strcmp(suffix, "_count") == 0;
			}
			if (!ok) {
				printf("#   sample %s outside family %s\n", name, fam);
				return false;
			}
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	*families = nt;
	return nh == nt && nt > 0;
}

/* Buckets of one operation's histogram, in order; returns how many. */
static int
buckets(const char *text, const char *op, double *values, char les[][16], int max)
{
	char prefix[128];
	int n = snprintf(prefix, sizeof prefix,
	                 "iot_config_operation_duration_seconds_bucket{operation=\"%s\",le=\"", op);
	int count = 0;
	for (const char *line = text; line && *line && count < max;) {
		if (strncmp(line, prefix, (size_t)n) == 0) {
			const char *le = line + n;
			size_t l = strcspn(le, "\"");
			snprintf(les[count], 16, "%.*s", (int)l, le);
			const char *v = strstr(le, "} ");
			values[count++] = v ? strtod(v + 2, NULL) : -1;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return count;
}

static struct buf esc;

static const char *
escaped(const char *value)
{
	esc.len = 0;
	if (esc.data != NULL)
		esc.data[0] = '\0';
	if (metrics_append_label_value(&esc, value) != 0)
		return NULL;
	return esc.data ? esc.data : "";
}

/* Child of the sharing test: re-opens the file, checks the parent's counts, adds its own. */
static int
child_shares(const char *path)
{
	if (!metrics_open(path, NULL, routes, NROUTES_TEST))
		return 10;
	char *text = render(0);
	bool saw = text != NULL && sample(text, "iot_config_operations_total{operation=\"list\","
	                                        "status=\"success\"}") == 2;
	free(text);
	if (!saw)
		return 11;
	for (int i = 0; i < 5; i++)
		metrics_observe_op(METRICS_OP_GET, true, 1000000);
	metrics_observe_op(METRICS_OP_GET, false, 1000000);
	metrics_observe_request(0, 2, 404);
	metrics_observe_request(0, 2, 404);
	return 0;
}

static int
run_child(int (*fn)(const char *), const char *arg)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Child of the fallback test: counts in its own memory only. */
static int
child_counts(const char *unused)
{
	(void)unused;
	for (int i = 0; i < 7; i++)
		metrics_observe_op(METRICS_OP_DELETE, true, 1000);
	return 0;
}

static off_t
size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Creates (or truncates) path, mode 0600, holding text; returns the bytes written or -1. */
static ssize_t
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w = fd >= 0 ? write(fd, text, strlen(text)) : -1;
	if (fd >= 0)
		close(fd);
	return w;
}

static ino_t
inode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

#define METRICS_MAGIC_TEST 0x696f74636f6e6d31ull /* an earlier version's magic: ours, stale */
#define NOBODY             65534

/* Writes a file with our magic, the given layout word, `size` bytes, mode 0600. */
static int
write_stale(const char *path, uint64_t layout, off_t size)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	uint64_t head[2] = {METRICS_MAGIC_TEST, layout};
	int rc = fd >= 0 && write(fd, head, sizeof head) == (ssize_t)sizeof head &&
	                         ftruncate(fd, size) == 0
	                 ? 0
	                 : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The layout word of a metrics file's header (0 when unreadable). */
static uint64_t
layout_word(const char *path)
{
	uint64_t head[2] = {0, 0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, head, sizeof head, 0) : -1;
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)sizeof head ? head[1] : 0;
}

/*
 * Changes the owner's start recorded in a metrics file (the header is
 * magic, layout, start time, then the owner: pid, start ticks, boot id).
 */
static int
poke_owner_start(const char *path)
{
	uint64_t ticks = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int rc = fd >= 0 && pread(fd, &ticks, sizeof ticks, 32) == (ssize_t)sizeof ticks ? 0 : -1;
	ticks += 12345;
	if (rc == 0 && pwrite(fd, &ticks, sizeof ticks, 32) != (ssize_t)sizeof ticks)
		rc = -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Copies the metrics file `from` to `to` (mode 0600) with the owner's pid
 * (bytes 24-31) set to pid and its start (bytes 32-39) moved by ticks.
 */
static int
copy_owned(const char *from, const char *to, int64_t pid, uint64_t ticks)
{
	static char data[1 << 20];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	ssize_t n = in >= 0 ? read(in, data, sizeof data) : -1;
	if (in >= 0)
		close(in);
	if (n < 40)
		return -1;
	uint64_t start;
	memcpy(data + 24, &pid, sizeof pid);
	memcpy(&start, data + 32, sizeof start);
	start += ticks;
	memcpy(data + 32, &start, sizeof start);
	unlink(to);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t w = out >= 0 ? write(out, data, (size_t)n) : -1;
	if (out >= 0)
		close(out);
	return w == n ? 0 : -1;
}

/*
 * Starts a process that holds a read lock on the first byte of path (as
 * every process using a metrics file does) until release_file. Returns
 * its pid, or -1.
 */
static pid_t
hold_file(const char *path)
{
	int ready[2];
	if (pipe(ready) != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t kid = fork();
	if (kid == 0) {
		int fd = open(path, O_RDWR | O_CLOEXEC);
		struct flock l = {
		        .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
		if (fd < 0 || fcntl(fd, F_SETLKW, &l) != 0 || write(ready[1], "l", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c = 0;
	bool locked = kid > 0 && read(ready[0], &c, 1) == 1;
	close(ready[0]);
	if (!locked && kid > 0) {
		waitpid(kid, NULL, 0);
		return -1;
	}
	return kid;
}

/* Ends a hold_file process (our own child, not yet waited for). */
static void
release_file(pid_t kid)
{
	if (kid <= 0)
		return;
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
}

/* The pid of a process that has ended (and been reaped). */
static pid_t
dead_pid(void)
{
	fflush(stdout);
	fflush(stderr);
	pid_t kid = fork();
	if (kid == 0)
		_exit(0);
	if (kid > 0)
		waitpid(kid, NULL, 0);
	return kid;
}

/* Does a file whose name contains `part` exist in dir? */
static bool
dir_has(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	bool found = false;
	struct dirent *de;
	while (d != NULL && !found && (de = readdir(d)) != NULL)
		found = strstr(de->d_name, part) != NULL;
	if (d != NULL)
		closedir(d);
	return found;
}

/*
 * Grandchild of the pid-reuse test: process 1 of a new pid namespace (a
 * pid that is alive in ours: init) connects and ends without saying so.
 * Returns 77 when no pid namespace may be made here.
 */
static int
child_connects_as_pid_1(const char *unused)
{
	(void)unused;
	if (unshare(CLONE_NEWPID) != 0)
		return 77;
	pid_t g = fork();
	if (g == 0) {
		metrics_mqtt_connected(true);
		_exit(getpid() == 1 ? 0 : 1);
	}
	int status = 0;
	return g > 0 && waitpid(g, &status, 0) == g && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Child of the concurrent replacement test: opens the stale file, counts one list. */
static int
child_opens_stale(const char *path)
{
	if (!metrics_open(path, NULL, routes, NROUTES_TEST))
		return 10;
	metrics_observe_op(METRICS_OP_LIST, true, 1000);
	return 0;
}

int
main(void)
{
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		main_start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	snprintf(root, sizeof root, "/tmp/iotconfig-test-metrics.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(capture_path, sizeof capture_path, "%s/stderr.log", root);
	char path[256], other[256];

	/* --- label escaping ------------------------------------------------ */
	TAP_STREQ(escaped("plain /api/configs/{mac_address}"), "plain /api/configs/{mac_address}",
	          "metrics: plain label values are kept");
	TAP_STREQ(escaped("a\\b"), "a\\\\b", "metrics: backslash is escaped as \\\\");
	TAP_STREQ(escaped("say \"hi\""), "say \\\"hi\\\"", "metrics: quote is escaped as \\\"");
	TAP_STREQ(escaped("one\ntwo"), "one\\ntwo", "metrics: newline is escaped as \\n");
	TAP_STREQ(escaped("\\\"\n"), "\\\\\\\"\\n", "metrics: escapes in a row");
	TAP_STREQ(escaped("tab\there \xc3\xa9"), "tab\there \xc3\xa9",
	          "metrics: tab and UTF-8 are kept");
	TAP_STREQ(escaped(""), "", "metrics: empty value stays empty");

	/* --- the shared file ------------------------------------------------ */
	snprintf(path, sizeof path, "%s/iotconfig.metrics", root);
	bool shared = metrics_open(path, "/srv/configs", routes, NROUTES_TEST);
	TAP_CHECK(shared, "metrics: metrics_open with a path in a temp dir shares");
	TAP_STREQ(metrics_file(), path, "metrics: metrics_file names the shared file");
	off_t size = size_of(path);
	TAP_CHECK(size > 0, "metrics: the shared file exists with its full size");
	{
		struct stat st;
		TAP_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
		          "metrics: the shared file is private to its owner (0600)");
		TAP_CHECK(!dir_has(root, ".tmp"),
		          "metrics: no temporary file is left after creation");
	}
	metrics_observe_op(METRICS_OP_LIST, true, 2000000);
	metrics_observe_op(METRICS_OP_LIST, true, 2000000);
	char *before = render(0);
	{
		int rc = run_child(child_shares, path);
		TAP_CHECK(rc == 0, "metrics: a second process opening the same file sees the "
		                   "first's counts");
		char *text = render(0);
		TAP_CHECK(text != NULL &&
		                  sample(text, "iot_config_operations_total{operation=\"get\","
		                               "status=\"success\"}") == 5 &&
		                  sample(text, "iot_config_operations_total{operation=\"get\","
		                               "status=\"error\"}") == 1,
		          "metrics: counts made in the other process are rendered here (one "
		          "truth)");
		TAP_CHECK(text != NULL &&
		                  sample(text,
		                         "iot_config_http_requests_total{method=\"GET\","
		                         "route=\"/api/configs/{mac_address}\",code=\"404\"}") == 2,
		          "metrics: request counts from the other process are rendered here");
		const char *t1 =
		        before ? sample_text(before, "iot_config_start_time_seconds") : NULL;
		char start1[64];
		snprintf(start1, sizeof start1, "%s", t1 ? t1 : "(none)");
		TAP_STREQ(text ? sample_text(text, "iot_config_start_time_seconds") : NULL, start1,
		          "metrics: the start time is the file's, unchanged by a second open");
		free(text);
	}
	free(before);
	{
		/* re-opening in this process too keeps the totals */
		bool again = metrics_open(path, "/srv/configs", routes, NROUTES_TEST);
		char *text = render(0);
		TAP_CHECK(again && text != NULL &&
		                  sample(text, "iot_config_operations_total{operation=\"list\","
		                               "status=\"success\"}") == 2 &&
		                  sample(text, "iot_config_operations_total{operation=\"get\","
		                               "status=\"success\"}") == 5,
		          "metrics: a respawned process keeps the totals");
		free(text);
	}

	/* --- exposition format ---------------------------------------------- */
	{
		uint64_t ns[] = {50000, 100000, 3000000, 2000000000ull, 20000000000ull};
		for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
			metrics_observe_op(METRICS_OP_SAVE, i != 4, ns[i]);
		metrics_observe_request(0, 1, 200);
		metrics_observe_request(2, 2, 418);  /* a status without its own label */
		metrics_observe_request(99, 0, 200); /* method index out of range */
		metrics_observe_request(1, -1, 404); /* no route matched */
		metrics_observe_request(1, 42, 404); /* route index out of range */
		char *text = render(12);
		int families = 0;
		metrics_firmware_download(METRICS_FW_PARTIAL, 4096);
		metrics_firmware_download(METRICS_FW_COMPLETE, 1000);
		metrics_firmware_download(METRICS_FW_PARTIAL, 4096);
		TAP_CHECK(text != NULL && families_declared(text, &families) && families == 13,
		          "metrics: every family has # HELP and # TYPE and owns its samples");
		TAP_CHECK(
		        text != NULL &&
		                has_line(text, "# TYPE iot_config_operations_total counter") &&
		                has_line(text, "# TYPE iot_config_operation_duration_seconds "
		                               "histogram") &&
		                has_line(text, "# TYPE iot_config_http_requests_total counter") &&
		                has_line(text, "# TYPE iot_config_files_count gauge") &&
		                has_line(text, "# TYPE iot_config_build_info gauge") &&
		                has_line(text, "# TYPE iot_config_start_time_seconds gauge") &&
		                has_line(text, "# TYPE iot_mqtt_publish_total counter") &&
		                has_line(text, "# TYPE iot_mqtt_connected gauge") &&
		                has_line(text, "# TYPE iot_mqtt_enabled gauge") &&
		                has_line(text, "# TYPE iot_firmware_downloads_total counter") &&
		                has_line(text, "# TYPE iot_firmware_download_bytes_total counter"),
		        "metrics: the families have the documented types");
		char *again = render(12);
		TAP_CHECK(
		        again != NULL &&
		                sample(again, "iot_firmware_downloads_total{result=\"partial\"}") ==
		                        2 &&
		                sample(again,
		                       "iot_firmware_download_bytes_total{result=\"partial\"}") ==
		                        8192 &&
		                sample(again,
		                       "iot_firmware_downloads_total{result=\"complete\"}") == 1 &&
		                sample(again, "iot_firmware_downloads_total{result=\"aborted\"}") ==
		                        0,
		        "metrics: firmware downloads and their bytes count by result");
		free(again);

		double v[32];
		char les[32][16];
		int n = buckets(text ? text : "", "save", v, les, 32);
		bool monotonic = n == 17;
		for (int i = 1; i < n; i++)
			monotonic &= v[i] >= v[i - 1];
		TAP_CHECK(monotonic, "metrics: histogram buckets are cumulative (non-decreasing)");
		TAP_CHECK(n == 17 && strcmp(les[0], "0.0001") == 0 && strcmp(les[16], "+Inf") == 0,
		          "metrics: buckets run from le=0.0001 to le=+Inf");
		TAP_CHECK(n == 17 && v[0] == 2,
		          "metrics: a duration equal to a bound counts in that bucket (le)");
		TAP_CHECK(n == 17 && v[5] == 3 && strcmp(les[5], "0.005") == 0 && v[13] == 4 &&
		                  strcmp(les[13], "2.5") == 0 && v[15] == 4 &&
		                  strcmp(les[15], "10") == 0,
		          "metrics: each duration lands in the first bucket that holds it");
		static const char save_count[] =
		        "iot_config_operation_duration_seconds_count{operation=\"save\"}";
		double count = sample(text ? text : "", save_count);
		TAP_CHECK(n == 17 && count == 5 && v[16] == count,
		          "metrics: the +Inf bucket equals _count");
		TAP_STREQ(text ? sample_text(text, "iot_config_operation_duration_seconds_sum{"
		                                   "operation=\"save\"}")
		               : NULL,
		          "22.003150000", "metrics: _sum equals the sum of the observed durations");
		TAP_CHECK(text != NULL &&
		                  sample(text, "iot_config_operations_total{operation=\"save\","
		                               "status=\"success\"}") == 4 &&
		                  sample(text, "iot_config_operations_total{operation=\"save\","
		                               "status=\"error\"}") == 1,
		          "metrics: successes and errors are counted apart");
		bool all_cumulative = true;
		static const char *const ops[] = {"list",         "get",          "save",
		                                  "delete",       "get_raw",      "save_raw",
		                                  "history",      "get_revision", "restore",
		                                  "list_fetches", "get_fetch"};
		for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
			char key[128];
			n = buckets(text ? text : "", ops[o], v, les, 32);
			snprintf(key, sizeof key,
			         "iot_config_operation_duration_seconds_count{operation=\"%s\"}",
			         ops[o]);
			bool ok = n == 17 && v[16] == sample(text, key);
			for (int i = 1; ok && i < n; i++)
				ok = v[i] >= v[i - 1];
			all_cumulative &= ok;
		}
		TAP_CHECK(all_cumulative,
		          "metrics: every operation's histogram is cumulative with +Inf == _count");

		TAP_CHECK(text != NULL &&
		                  sample(text,
		                         "iot_config_http_requests_total{method=\"PUT\","
		                         "route=\"/api/configs/{mac_address}\",code=\"other\"}") ==
		                          1,
		          "metrics: a status without its own label counts as code=\"other\"");
		TAP_CHECK(text != NULL &&
		                  sample(text, "iot_config_http_requests_total{method=\"OTHER\","
		                               "route=\"/api/health\",code=\"200\"}") == 1,
		          "metrics: an unknown method index counts as method=\"OTHER\"");
		TAP_CHECK(text != NULL &&
		                  sample(text, "iot_config_http_requests_total{method=\"HEAD\","
		                               "route=\"unmatched\",code=\"404\"}") == 2,
		          "metrics: no route or an out-of-range route counts as "
		          "route=\"unmatched\"");
		TAP_CHECK(text != NULL && strstr(text, "code=\"500\"") == NULL,
		          "metrics: request series that were never counted are not rendered");
		TAP_CHECK(text != NULL && has_line(text, "iot_config_files_count 12"),
		          "metrics: the files gauge shows the count given");
		char want[128];
		snprintf(want, sizeof want, "iot_config_build_info{version=\"%s\"} 1",
		         IOTCONFIG_VERSION);
		TAP_CHECK(text != NULL && has_line(text, want),
		          "metrics: build info carries the version");
		TAP_CHECK(text != NULL && sample(text, "iot_config_start_time_seconds") > 1.5e9,
		          "metrics: the start time is seconds since the epoch");
		TAP_CHECK(text != NULL && text[strlen(text) - 1] == '\n',
		          "metrics: the exposition ends with a newline");
		free(text);
		text = render(0);
		TAP_CHECK(text != NULL && has_line(text, "# TYPE iot_config_files_count gauge") &&
		                  has_line(text, "iot_config_files_count 0"),
		          "metrics: a files count of 0 (also an unusable directory) is shown, "
		          "not omitted");
		free(text);
	}

	/* --- MQTT notifications ----------------------------------------------- */
	{
		char *text = render(0);
		TAP_CHECK(text != NULL && sample(text, "iot_mqtt_enabled") == 0 &&
		                  sample(text, "iot_mqtt_connected") == 0 &&
		                  sample(text, "iot_mqtt_publish_total{status=\"success\"}") == 0 &&
		                  sample(text, "iot_mqtt_publish_total{status=\"error\"}") == 0 &&
		                  sample(text, "iot_mqtt_publish_total{status=\"dropped\"}") == 0,
		          "metrics: MQTT off: enabled 0, nothing connected or published");
		free(text);
		metrics_mqtt_enabled(true);
		metrics_mqtt_publish(METRICS_MQTT_SUCCESS);
		metrics_mqtt_publish(METRICS_MQTT_SUCCESS);
		metrics_mqtt_publish(METRICS_MQTT_DROPPED);
		metrics_mqtt_publish(METRICS_MQTT_COUNT); /* out of range: ignored */
		metrics_mqtt_connected(true);
		metrics_mqtt_connected(true); /* one process, however often it says so */
		text = render(0);
		TAP_CHECK(text != NULL && sample(text, "iot_mqtt_enabled") == 1 &&
		                  sample(text, "iot_mqtt_connected") == 1 &&
		                  sample(text, "iot_mqtt_publish_total{status=\"success\"}") == 2 &&
		                  sample(text, "iot_mqtt_publish_total{status=\"error\"}") == 0 &&
		                  sample(text, "iot_mqtt_publish_total{status=\"dropped\"}") == 1,
		          "metrics: MQTT counters by status; a process counts once as connected");
		free(text);

		metrics_checkin_write(true);
		metrics_checkin_write(true);
		metrics_checkin_write(false);
		text = render(0);
		TAP_CHECK(
		        text != NULL &&
		                has_line(text, "# TYPE iot_config_checkin_writes_total counter") &&
		                sample(text,
		                       "iot_config_checkin_writes_total{status=\"success\"}") ==
		                        2 &&
		                sample(text, "iot_config_checkin_writes_total{status=\"error\"}") ==
		                        1,
		        "metrics: fetch notes written and not written are counted apart");
		free(text);

		metrics_device_auth(METRICS_AUTH_OK);
		metrics_device_auth(METRICS_AUTH_WRONG);
		metrics_device_auth(METRICS_AUTH_WRONG);
		metrics_device_auth(METRICS_AUTH_COUNT); /* out of range: ignored */
		text = render(0);
		TAP_CHECK(text != NULL && has_line(text, "# TYPE iot_device_auth_total counter") &&
		                  sample(text, "iot_device_auth_total{result=\"ok\"}") == 1 &&
		                  sample(text, "iot_device_auth_total{result=\"wrong\"}") == 2 &&
		                  sample(text, "iot_device_auth_total{result=\"open\"}") == 0 &&
		                  sample(text, "iot_device_auth_total{result=\"missing\"}") == 0 &&
		                  sample(text, "iot_device_auth_total{result=\"throttled\"}") ==
		                          0 &&
		                  sample(text, "iot_device_auth_total{result=\"error\"}") == 0,
		          "metrics: device route checks are counted by result, every result shown");
		free(text);

		/* Another process connects, then dies without saying so. */
		int gate[2];
		pid_t kid = -1;
		if (pipe(gate) == 0 && (kid = fork()) == 0) {
			metrics_mqtt_connected(true);
			if (write(gate[1], "c", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		char c = 0;
		bool up = kid > 0 && read(gate[0], &c, 1) == 1;
		text = render(0);
		TAP_CHECK(up && text != NULL && sample(text, "iot_mqtt_connected") == 2,
		          "metrics: iot_mqtt_connected counts another connected process");
		free(text);
		if (kid > 0) {
			kill(kid, SIGKILL);
			waitpid(kid, NULL, 0);
		}
		close(gate[0]);
		close(gate[1]);
		text = render(0);
		TAP_CHECK(text != NULL && sample(text, "iot_mqtt_connected") == 1,
		          "metrics: a process killed while connected is no longer counted");
		free(text);
		metrics_mqtt_connected(false);
		text = render(0);
		TAP_CHECK(text != NULL && sample(text, "iot_mqtt_connected") == 0,
		          "metrics: a process that disconnects is no longer counted");
		free(text);

		/*
		 * A process whose pid is alive again as another process (here
		 * process 1 of a new pid namespace, while pid 1 is init here)
		 * connects and ends: no longer counted.
		 */
		int rc = run_child(child_connects_as_pid_1, NULL);
		text = render(0);
		if (rc == 77) {
			tap_count++;
			printf("ok %d - metrics: a connected process that ended is not counted "
			       "under a "
			       "reused pid # SKIP no pid namespace here (needs CAP_SYS_ADMIN)\n",
			       tap_count);
		} else {
			TAP_CHECK(rc == 0 && text != NULL &&
			                  sample(text, "iot_mqtt_connected") == 0,
			          "metrics: a connected process that ended is not counted under a "
			          "reused pid");
		}
		free(text);
		metrics_mqtt_enabled(false);
	}

	/* --- fallback to per-process metrics ----------------------------------- */
	{
		snprintf(other, sizeof other, "%s/plain", root);
		int fd = open(other, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		snprintf(other, sizeof other, "%s/plain/iotconfig.metrics", root);
		capture_begin();
		bool s1 = metrics_open(other, NULL, routes, NROUTES_TEST);
		const char *log = capture_end();
		TAP_CHECK(!s1 && metrics_file() == NULL,
		          "metrics: a path under a regular file falls back to per process");
		TAP_CHECK(strstr(log, "WARN") != NULL && strstr(log, other) != NULL &&
		                  strstr(log, "METRICS_FILE") != NULL,
		          "metrics: the fallback is logged as a warning naming the path and the "
		          "variable");

		capture_begin();
		bool s2 = metrics_open("/proc/nonexistent/x", NULL, routes, NROUTES_TEST);
		capture_end();
		TAP_CHECK(!s2 && metrics_file() == NULL,
		          "metrics: /proc/nonexistent/x falls back to per process");
		metrics_observe_op(METRICS_OP_GET_RAW, true, 1000);
		metrics_observe_op(METRICS_OP_GET_RAW, true, 1000);
		metrics_observe_request(0, 0, 200);
		char *text = render(0);
		TAP_CHECK(text != NULL &&
		                  sample(text, "iot_config_operations_total{operation=\"get_raw\","
		                               "status=\"success\"}") == 2 &&
		                  sample(text, "iot_config_operations_total{operation=\"get\","
		                               "status=\"success\"}") == 0 &&
		                  sample(text, "iot_config_http_requests_total{method=\"GET\","
		                               "route=\"/api/health\",code=\"200\"}") == 1,
		          "metrics: per-process counting starts from zero and works");
		free(text);
		int rc = run_child(child_counts, NULL);
		text = render(0);
		TAP_CHECK(rc == 0 && text != NULL &&
		                  sample(text, "iot_config_operations_total{operation=\"delete\","
		                               "status=\"success\"}") == 0,
		          "metrics: per-process counts are not shared with other processes");
		free(text);
	}
	{
		/* a file of another size: not used, not changed */
		snprintf(other, sizeof other, "%s/short.metrics", root);
		ssize_t w = write_file(other, "0123456789");
		capture_begin();
		bool s = metrics_open(other, NULL, routes, NROUTES_TEST);
		const char *log = capture_end();
		TAP_CHECK(w == 10 && !s && metrics_file() == NULL,
		          "metrics: a file with the wrong size is not used");
		TAP_CHECK(size_of(other) == 10, "metrics: the wrong-size file is left as it was");
		TAP_CHECK(strstr(log, "size") != NULL, "metrics: the warning says why (size)");

		/* the right size but no header: another layout, not used */
		snprintf(other, sizeof other, "%s/zero.metrics", root);
		int fd = open(other, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int t = fd >= 0 ? ftruncate(fd, size) : -1;
		if (fd >= 0)
			close(fd);
		capture_begin();
		s = metrics_open(other, NULL, routes, NROUTES_TEST);
		capture_end();
		TAP_CHECK(t == 0 && !s && metrics_file() == NULL && size_of(other) == size,
		          "metrics: a file of the right size without our header is not used");
		metrics_observe_op(METRICS_OP_LIST, true, 1000);
		TAP_CHECK(op_total("list", "success") == 1,
		          "metrics: counting continues per process after a refused file");
	}
	{
		/* route labels come from the caller and are escaped */
		static const char *const odd[] = {"/a\"b\\c\nd"};
		capture_begin();
		metrics_open("/proc/nonexistent/x", NULL, odd, 1);
		capture_end();
		metrics_observe_request(0, 0, 200);
		char *text = render(0);
		TAP_CHECK(text != NULL &&
		                  strstr(text, "route=\"/a\\\"b\\\\c\\nd\",code=\"200\"} ") != NULL,
		          "metrics: route labels are escaped in the exposition");
		free(text);
	}
	{
		/* a valid file that other users may open is not used, nor changed */
		snprintf(other, sizeof other, "%s/open.metrics", root);
		bool made = metrics_open(other, NULL, routes, NROUTES_TEST);
		metrics_observe_op(METRICS_OP_SAVE, true, 1000);
		ino_t ino = inode_of(other);
		int ch = chmod(other, 0666);
		capture_begin();
		bool s = metrics_open(other, NULL, routes, NROUTES_TEST);
		const char *log = capture_end();
		TAP_CHECK(made && ch == 0 && !s && metrics_file() == NULL,
		          "metrics: a file with mode 0666 is refused (per-process counting)");
		TAP_CHECK(strstr(log, "WARN") != NULL && strstr(log, "mode") != NULL,
		          "metrics: the warning says the mode is the reason");
		struct stat st;
		TAP_CHECK(stat(other, &st) == 0 && st.st_ino == ino && st.st_size == size &&
		                  (st.st_mode & 0777) == 0666,
		          "metrics: the refused file is left as it was");
		unlink(other);

		/* a valid file owned by another uid is not used */
		snprintf(other, sizeof other, "%s/theirs.metrics", root);
		if (geteuid() != 0) {
			tap_count++;
			printf("ok %d - metrics: a file owned by another uid is refused # SKIP "
			       "needs root to chown\n",
			       tap_count);
		} else {
			made = metrics_open(other, NULL, routes, NROUTES_TEST);
			ch = chown(other, NOBODY, NOBODY);
			capture_begin();
			s = metrics_open(other, NULL, routes, NROUTES_TEST);
			log = capture_end();
			TAP_CHECK(made && ch == 0 && !s && metrics_file() == NULL &&
			                  strstr(log, "another user") != NULL &&
			                  size_of(other) == size,
			          "metrics: a file owned by another uid is refused");
			unlink(other);
		}

		/* not a regular file */
		snprintf(other, sizeof other, "%s/fifo.metrics", root);
		int mk = mkfifo(other, 0600);
		capture_begin();
		s = metrics_open(other, NULL, routes, NROUTES_TEST);
		log = capture_end();
		TAP_CHECK(mk == 0 && !s && strstr(log, "not a regular file") != NULL,
		          "metrics: a FIFO at the path is refused");
		unlink(other);
	}
	{
		/* our file of another layout and size (another version's): replaced */
		snprintf(other, sizeof other, "%s/old.metrics", root);
		int w = write_stale(other, 12345, 4096);
		int oldfd = open(other, O_RDONLY | O_CLOEXEC);
		ino_t old_ino = inode_of(other);
		capture_begin();
		bool s = metrics_open(other, NULL, routes, NROUTES_TEST);
		const char *log = capture_end();
		TAP_CHECK(w == 0 && s && metrics_file() != NULL &&
		                  strcmp(metrics_file(), other) == 0,
		          "metrics: our file of another size and layout is replaced and shared");
		struct stat st;
		TAP_CHECK(stat(other, &st) == 0 && st.st_size == size && st.st_ino != old_ino &&
		                  (st.st_mode & 0777) == 0600,
		          "metrics: the replacement is a new full-size file, mode 0600");
		TAP_CHECK(oldfd >= 0 && fstat(oldfd, &st) == 0 && st.st_ino == old_ino &&
		                  st.st_size == 4096,
		          "metrics: a process holding the old file keeps it unchanged");
		TAP_CHECK(strstr(log, "replaced") != NULL && strstr(log, "restart") != NULL,
		          "metrics: the replacement is logged, saying counters restart");
		metrics_observe_op(METRICS_OP_GET, true, 1000);
		TAP_CHECK(op_total("get", "success") == 1,
		          "metrics: the replacement counts from zero");
		if (oldfd >= 0)
			close(oldfd);

		/* the right size and magic, another layout word: replaced too */
		w = write_stale(other, 12345, size);
		old_ino = inode_of(other);
		capture_begin();
		s = metrics_open(other, NULL, routes, NROUTES_TEST);
		capture_end();
		TAP_CHECK(w == 0 && s && inode_of(other) != old_ino && size_of(other) == size,
		          "metrics: our file of the right size but another layout is replaced");

		/* several processes meeting the same stale file share one replacement */
		w = write_stale(other, 12345, 4096);
		pid_t kids[4];
		int started = 0;
		fflush(stdout);
		fflush(stderr);
		for (int i = 0; i < 4; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
				if (devnull >= 0)
					dup2(devnull, STDERR_FILENO);
				_exit(child_opens_stale(other));
			}
			started += kids[i] > 0;
		}
		int ok = 0;
		for (int i = 0; i < 4; i++) {
			int status = 0;
			if (kids[i] > 0 && waitpid(kids[i], &status, 0) == kids[i] &&
			    WIFEXITED(status) && WEXITSTATUS(status) == 0)
				ok++;
		}
		capture_begin();
		s = metrics_open(other, NULL, routes, NROUTES_TEST);
		capture_end();
		TAP_CHECK(w == 0 && started == 4 && ok == 4 && s &&
		                  op_total("list", "success") == 4,
		          "metrics: processes replacing one stale file at once all count in the "
		          "same new file");
		unlink(other);
	}
	{
		/* two label sets of the same sizes: another signature, no shared counters */
		static const char *const swapped[] = {"/api/configs", "/api/health",
		                                      "/api/configs/{mac_address}"};
		static const char *const renamed[] = {"/api/health", "/api/configs",
		                                      "/api/configs/{id}"};
		snprintf(other, sizeof other, "%s/labels.metrics", root);
		bool s1 = metrics_open(other, NULL, routes, NROUTES_TEST);
		uint64_t sig1 = layout_word(other);
		metrics_observe_request(0, 1, 200); /* GET /api/configs 200 */
		metrics_observe_op(METRICS_OP_LIST, true, 1000);
		capture_begin();
		bool s2 = metrics_open(other, NULL, swapped, NROUTES_TEST);
		const char *log = capture_end();
		uint64_t sig2 = layout_word(other);
		TAP_CHECK(
		        s1 && s2 && sig1 != 0 && sig2 != 0 && sig1 != sig2,
		        "metrics: the same routes in another order give another layout signature");
		TAP_CHECK(
		        strstr(log, "replaced") != NULL,
		        "metrics: the file of the other label set is replaced, and that is logged");
		char *text = render(0);
		TAP_CHECK(text != NULL &&
		                  sample(text, "iot_config_http_requests_total{method=\"GET\","
		                               "route=\"/api/health\",code=\"200\"}") == -1 &&
		                  sample(text, "iot_config_http_requests_total{method=\"GET\","
		                               "route=\"/api/configs\",code=\"200\"}") == -1 &&
		                  op_total("list", "success") == 0,
		          "metrics: counters of the other label set are not read under the new "
		          "labels (they start anew)");
		free(text);
		bool s3 = metrics_open(other, NULL, renamed, NROUTES_TEST);
		uint64_t sig3 = layout_word(other);
		TAP_CHECK(s3 && sig3 != 0 && sig3 != sig1 && sig3 != sig2,
		          "metrics: a route renamed (same length list) gives another layout "
		          "signature");
		unlink(other);
	}
	{
		/* a temporary file at a per-pid name does not stop creation */
		snprintf(other, sizeof other, "%s/fresh.metrics", root);
		char tmp[300];
		snprintf(tmp, sizeof tmp, "%s.%ld.tmp", other, (long)getpid());
		ssize_t w = write_file(tmp, "half");
		capture_begin();
		bool s = metrics_open(other, NULL, routes, NROUTES_TEST);
		capture_end();
		TAP_CHECK(w == 4 && s && size_of(other) == size,
		          "metrics: a temporary file named by our pid does not stop creation");
		unlink(tmp);
		unlink(other);
	}
	{
		/*
		 * Default files no process uses are removed when a new one is
		 * made; what a live process holds, or whose web server is seen
		 * alive, stays. Decided by locks, never by a pid alone.
		 */
		bool a = metrics_open(NULL, "/srv/orphans-model", routes, NROUTES_TEST);
		char model[512], dir[512];
		snprintf(model, sizeof model, "%s", metrics_file() ? metrics_file() : "");
		snprintf(dir, sizeof dir, "%s", model);
		char *slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		long uid = (long)getuid();
		pid_t gone = dead_pid();
		char one[600], held[600], alive[600], stale_tmp[600], held_tmp[600];
		snprintf(one, sizeof one, "%s/iotconfig-%ld-1-00000000000000aa-00000000.metrics",
		         dir, uid);
		snprintf(held, sizeof held,
		         "%s/iotconfig-%ld-%ld-00000000000000bb-00000000.metrics", dir, uid,
		         (long)gone);
		snprintf(alive, sizeof alive,
		         "%s/iotconfig-%ld-%ld-00000000000000cc-00000000.metrics", dir, uid,
		         (long)getppid());
		snprintf(stale_tmp, sizeof stale_tmp,
		         "%s/iotconfig-%ld-%ld-00000000000000dd-00000000.metrics.tmp-Xy12Zq", dir,
		         uid, (long)gone);
		snprintf(held_tmp, sizeof held_tmp,
		         "%s/iotconfig-%ld-%ld-00000000000000ee-00000000.metrics.tmp-Ab34Cd", dir,
		         uid, (long)gone);
		/* process 1, not init's start: a container's web server, gone */
		int c1 = copy_owned(model, one, 1, 12345);
		/* a web server no process here has, whose responders still run (another pid
		 * namespace) */
		int c2 = copy_owned(model, held, gone, 12345);
		/* our own web server, alive, between two CGI requests (nobody holds the file) */
		int c3 = copy_owned(model, alive, (int64_t)getppid(), 0);
		int c4 = copy_owned(model, stale_tmp, gone, 0);
		int c5 = copy_owned(model, held_tmp, gone, 0);
		pid_t holder1 = hold_file(held);
		pid_t holder2 = hold_file(held_tmp);
		if (model[0])
			unlink(model); /* so that the next open makes it anew, removing orphans */
		capture_begin();
		bool made = metrics_open(NULL, "/srv/orphans-model", routes, NROUTES_TEST);
		capture_end();
		TAP_CHECK(a && made && c1 == 0 && access(one, F_OK) != 0,
		          "metrics: a default file of process 1 that no process uses is removed");
		TAP_CHECK(c2 == 0 && holder1 > 0 && access(held, F_OK) == 0,
		          "metrics: a default file a live process holds stays, though no process "
		          "here has its web server's pid (another pid namespace)");
		TAP_CHECK(c3 == 0 && access(alive, F_OK) == 0,
		          "metrics: a default file of a web server seen alive stays while no "
		          "responder holds it (CGI between requests)");
		TAP_CHECK(c4 == 0 && access(stale_tmp, F_OK) != 0,
		          "metrics: a temporary file of a creator that died is removed");
		TAP_CHECK(c5 == 0 && holder2 > 0 && access(held_tmp, F_OK) == 0,
		          "metrics: a temporary file a live creator holds stays");
		release_file(holder1);
		release_file(holder2);
		if (metrics_file() != NULL)
			unlink(metrics_file());
		/* an earlier version's file (its processes hold no lock) is left alone */
		int w = write_stale(held, 12345, size);
		capture_begin();
		bool again = metrics_open(NULL, "/srv/orphans-model-2", routes, NROUTES_TEST);
		capture_end();
		TAP_CHECK(w == 0 && again && access(held, F_OK) == 0,
		          "metrics: a default file of an earlier version is left alone");
		if (metrics_file() != NULL)
			unlink(metrics_file());
		unlink(one);
		unlink(held);
		unlink(alive);
		unlink(stale_tmp);
		unlink(held_tmp);
	}
	{
		/*
		 * A default file made by another instance of the same pid (a
		 * restarted container): our parent's start differs from the one
		 * recorded, so the file is replaced. A METRICS_FILE is kept.
		 */
		bool a = metrics_open(NULL, "/srv/owner", routes, NROUTES_TEST);
		char pa[512];
		snprintf(pa, sizeof pa, "%s", metrics_file() ? metrics_file() : "");
		metrics_observe_op(METRICS_OP_LIST, true, 1000);
		char *text = render(0);
		double start = text ? sample(text, "iot_config_start_time_seconds") : -1;
		free(text);
		TAP_CHECK(a && start > 1.5e9 && start * 1000 <= (double)main_start_ms,
		          "metrics: the start time is the web server's (our parent's) start, "
		          "before this process began, not the file's making");
		ino_t ino = inode_of(pa);
		int poked = poke_owner_start(pa);
		capture_begin();
		bool again = metrics_open(NULL, "/srv/owner", routes, NROUTES_TEST);
		const char *log = capture_end();
		TAP_CHECK(poked == 0 && again && strcmp(metrics_file(), pa) == 0 &&
		                  inode_of(pa) != ino && op_total("list", "success") == 0 &&
		                  strstr(log, "replaced") != NULL,
		          "metrics: a default file of another instance with our parent's pid is "
		          "replaced and counts from zero");
		text = render(0);
		double start2 = text ? sample(text, "iot_config_start_time_seconds") : -1;
		/* the same start, derived anew from clock ticks after boot: within a tick or so */
		TAP_CHECK(start2 > start - 0.5 && start2 < start + 0.5,
		          "metrics: the replacement shows our web server's start time");
		free(text);
		unlink(pa);

		snprintf(other, sizeof other, "%s/fixed.metrics", root);
		bool f = metrics_open(other, NULL, routes, NROUTES_TEST);
		metrics_observe_op(METRICS_OP_LIST, true, 1000);
		ino = inode_of(other);
		poked = poke_owner_start(other);
		bool f2 = metrics_open(other, NULL, routes, NROUTES_TEST);
		TAP_CHECK(f && poked == 0 && f2 && inode_of(other) == ino &&
		                  op_total("list", "success") == 1,
		          "metrics: a METRICS_FILE made under another parent is shared, not "
		          "replaced");
		unlink(other);
	}
	{
		/* default locations: per config directory, never mixed */
		bool a = metrics_open(NULL, "/srv/a", routes, NROUTES_TEST);
		char pa[512];
		snprintf(pa, sizeof pa, "%s", metrics_file() ? metrics_file() : "");
		bool bb = metrics_open(NULL, "/srv/b", routes, NROUTES_TEST);
		char pb[512];
		snprintf(pb, sizeof pb, "%s", metrics_file() ? metrics_file() : "");
		bool a2 = metrics_open(NULL, "/srv/a", routes, NROUTES_TEST);
		char pa2[512];
		snprintf(pa2, sizeof pa2, "%s", metrics_file() ? metrics_file() : "");
		char prefix[64];
		snprintf(prefix, sizeof prefix, "iotconfig-%ld-%ld-", (long)getuid(),
		         (long)getppid());
		TAP_CHECK(a && bb && a2 && strcmp(pa, pb) != 0 && strcmp(pa, pa2) == 0,
		          "metrics: default files differ per config directory and are stable");
		const char *base = strrchr(pa, '/');
		bool in_shm = strncmp(pa, "/dev/shm/", 9) == 0 || strncmp(pa, "/tmp/", 5) == 0;
		TAP_CHECK(base != NULL && strncmp(base + 1, prefix, strlen(prefix)) == 0 && in_shm,
		          "metrics: the default file is in /dev/shm or /tmp, named by uid and "
		          "parent pid");
		if (pa[0])
			unlink(pa);
		if (pb[0])
			unlink(pb);
	}

	buf_free(&esc);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "%s/plain", root);
	unlink(cmd);
	unlink(path);
	snprintf(cmd, sizeof cmd, "%s/short.metrics", root);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/zero.metrics", root);
	unlink(cmd);
	TAP_CHECK(rmdir(root) == 0, "metrics: the test left nothing behind");
	return tap_done();
}
