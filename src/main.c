/*
 * main.c: the responder process. Once per process: settings, logging, the
 * transport, the shared metrics mapping, and a sweep of temp files left by
 * writers that died. Then a single-threaded accept loop: one request at a
 * time, each read, routed, answered and counted. A process that has had
 * no request for a second gives its spare memory back (release_idle).
 *
 * The web server owns the processes: it decides how many run, restarts
 * them, and stops them with SIGTERM. SIGTERM, SIGINT, SIGUSR1 and SIGHUP
 * let the request in flight finish and then exit 0; SIGINT and SIGHUP, the
 * terminal's, stay ignored when the process starts with them ignored (as
 * nohup and `make run` start it). The handled ones stay
 * blocked except while the process waits for a request (transport_accept
 * unblocks them only inside ppoll), so a stop can neither cut a request
 * short nor be lost between checking a flag and starting to wait.
 *
 * A device fetch is noted (checkin.h) only once its answer has left: under
 * FastCGI after FCGX_Finish_r, under CGI once stdout is closed, so the
 * device waits for nothing of it.
 *
 * With MQTT_URL set, the process also runs the MQTT client's network
 * thread (mqtt.c); a stop waits briefly for the broker to acknowledge what
 * is queued, and a CGI process waits so after its answer is complete.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "api.h"
#include "buf.h"
#include "checkin.h"
#include "fsinfo.h"
#include "http.h"
#include "jsonbody.h"
#include "log.h"
#include "metrics.h"
#include "mqtt.h"
#include "router.h"
#include "settings.h"
#include "store.h"
#include "transport.h"

#ifndef IOTCONFIG_VERSION
#define IOTCONFIG_VERSION "0.0.0"
#endif

#define EXIT_CONFIG 78          /* EX_CONFIG: bad settings */
#define BUF_KEEP    (64 * 1024) /* buffers above this are released after a request */
#define IDLE_MS     1000        /* a process this long without a request releases its buffers */

/* Process-owned: set by the signal handler, read by the accept loop. */
static volatile sig_atomic_t main_stop;

static void
on_stop(int sig)
{
	(void)sig;
	main_stop = 1;
}

/*
 * Installs the stop handlers and blocks the stop signals; *wait_mask gets
 * the mask to wait with (the previous one, stop signals unblocked). A
 * terminal's signal (SIGINT, SIGHUP) that the starter ignores stays
 * ignored: whoever started the process decided it is not to stop on it.
 */
static int
install_handlers(sigset_t *wait_mask)
{
	static const int stops[] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigset_t block;
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) {
		struct sigaction old;
		if (sigaction(stops[i], NULL, &old) != 0)
			return -1;
		if ((stops[i] == SIGINT || stops[i] == SIGHUP) && old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(stops[i], &sa, NULL) != 0 || sigaddset(&block, stops[i]) != 0)
			return -1;
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0 || sigprocmask(SIG_BLOCK, &block, wait_mask) != 0)
		return -1;
	for (size_t i = 0; i < sizeof stops / sizeof *stops; i++)
		if (sigdelset(wait_mask, stops[i]) != 0)
			return -1;
	return 0;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: iotconfig.fcgi [--version | --routes | --check | --help]\n"
	             "Run by a web server as a FastCGI or CGI program; see iotconfig.fcgi(8).\n");
}

static uint64_t
monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sweep_temps(const struct settings *s, bool at_start)
{
	struct store_result r;
	int dirfd;
	if (store_open_dir(s->configs_dir, &dirfd, &r) != 0) {
		if (r.status != STORE_NOT_CONFIGURED)
			log_msg(LOG_WARN, "config directory unusable at start dir=%s reason=\"%s\"",
			        LOG_VALUE(s->configs_dir), store_status_text(r.status));
		return;
	}
	if (at_start) {
		char kind[64];
		log_msg(LOG_INFO, "config directory file system is %s",
		        fsinfo_describe(dirfd, kind, sizeof kind));
	}
	unsigned removed = 0;
	if (store_sweep_temps(dirfd, &removed, &r) != 0)
		log_msg(LOG_WARN, "temp file sweep failed op=\"%s\" errno=\"%s\"", r.op,
		        strerror(r.sys_errno));
	else if (removed > 0)
		log_msg(LOG_INFO, "removed abandoned temp files count=%u", removed);
	close(dirfd);
}

struct loop_buffers {
	struct buf body, out, file, scratch;
};

/*
 * Gives back what a process keeps between requests only to be fast under
 * load: the loop's buffers, the JSON parser's, and the heap's free pages
 * (malloc keeps up to M_TRIM_THRESHOLD at its top and every free page
 * below it). A process that serves again builds them anew in a few page
 * faults.
 */
/* Forgets the contents; releases each buffer above keep_max (0: all). */
static void
loop_buffers_reset(struct loop_buffers *b, size_t keep_max)
{
	buf_reset(&b->body, keep_max);
	buf_reset(&b->out, keep_max);
	buf_reset(&b->file, keep_max);
	buf_reset(&b->scratch, keep_max);
}

static void
release_idle(struct loop_buffers *b)
{
	loop_buffers_reset(b, 0);
	jsonbody_release();
#ifdef M_MMAP_THRESHOLD
	malloc_trim(0);
#endif
}

/*
 * Serves one request; returns its method. *fetch gets a device fetch to
 * note, if any; *delivered whether the answer was handed over.
 */
static enum http_method
serve_one(struct transport *tx, const struct settings *s, struct loop_buffers *b,
          struct checkin_fetch *fetch, bool *delivered)
{
	uint64_t t0 = monotonic_ns();
	struct http_request req;
	struct http_response res;
	http_request_load(&req, tx, &b->body);
	log_set_request_id(req.request_id);
	if (req.request_id_replaced)
		log_msg(LOG_WARN,
		        "X-Request-ID replaced: not 1-%d characters of [A-Za-z0-9._:/+=@-]",
		        HTTP_REQUEST_ID_MAX);
	http_response_init(&res, &b->out);
	struct api_ctx ctx = {
	        .settings = s,
	        .req = &req,
	        .res = &res,
	        .file = &b->file,
	        .scratch = &b->scratch,
	        .fetch = fetch,
	};
	struct router_outcome outcome;
	router_handle(&ctx, &outcome);
	*delivered = http_send(&req, &res) == 0;
	if (!*delivered)
		log_msg(LOG_WARN, "response not delivered status=%d (client or server went away)",
		        res.status);
	uint64_t elapsed = monotonic_ns() - t0;
	if (outcome.op != METRICS_OP_NONE)
		metrics_observe_op(outcome.op, res.status < 400, elapsed);
	metrics_observe_request(http_method_index(req.method), outcome.route, res.status);
	log_msg(LOG_DEBUG, "request method=%s route=%s status=%d us=%llu user=%s",
	        http_method_name(req.method),
	        outcome.route >= 0 ? router_templates()[outcome.route] : "unmatched", res.status,
	        (unsigned long long)(elapsed / 1000), LOG_VALUE(req.remote_user));
	log_set_request_id(NULL);
	loop_buffers_reset(b, BUF_KEEP);
	return req.method;
}

int
main(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "--version") == 0) {
			printf("iotconfig %s\n", IOTCONFIG_VERSION);
			return 0;
		}
		if (strcmp(argv[1], "--routes") == 0) {
			router_print(stdout);
			return 0;
		}
		if (strcmp(argv[1], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[1], "--check") != 0) {
			usage(stderr);
			return 2;
		}
	}
#ifdef M_MMAP_THRESHOLD
	/*
	 * Fixed malloc thresholds: a block of 128 KiB or more (a /metrics
	 * answer, a large list) gets a mapping of its own, which goes back to
	 * the system when the block is freed (unless realloc grew it in place
	 * at the heap's top: the idle trim gives that back). Left to itself,
	 * glibc raises the threshold to the largest such block freed so far,
	 * and the next ones then stay in the heap for the life of the process.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
	struct settings settings;
	char err[512];
	if (settings_load(&settings, err, sizeof err) != 0) {
		log_msg(LOG_ERROR, "invalid setting: %s", err);
		settings_free(&settings);
		return EXIT_CONFIG;
	}
	log_init(settings.debug);
	fsinfo_set_mode(settings.shared_fs);
	store_set_file_mode(settings.file_mode);
	if (argc > 1) {
		printf("settings ok\n");
		settings_free(&settings);
		return 0;
	}
	sigset_t wait_mask;
	if (install_handlers(&wait_mask) != 0) {
		log_msg(LOG_ERROR, "cannot install signal handlers: %s", strerror(errno));
		settings_free(&settings);
		return 1;
	}

	struct transport *tx = transport_open();
	if (tx == NULL) {
		log_msg(LOG_ERROR, "cannot initialise libfcgi");
		settings_free(&settings);
		return 1;
	}
	bool shared = metrics_open(settings.metrics_file, settings.configs_dir, router_templates(),
	                           router_count());
	if (!transport_is_cgi(tx))
		log_msg(LOG_INFO, "iotconfig %s started pid=%ld dir=%s metrics=%s debug=%s",
		        IOTCONFIG_VERSION, (long)getpid(),
		        settings.configs_dir ? LOG_VALUE(settings.configs_dir) : "(unset)",
		        shared ? LOG_VALUE(metrics_file()) : "per-process",
		        settings.debug ? "true" : "false");
	mqtt_start(&settings.mqtt, transport_is_cgi(tx));
	if (settings.configs_dir == NULL && !transport_is_cgi(tx))
		log_msg(LOG_WARN, "ESP32_CONFIGS_DIR is not set: config routes answer 503");
	/*
	 * A FastCGI process sweeps once, at start. Under CGI every request is
	 * a process start: there only writes sweep (temp files come from
	 * writes), after their answer is sent, so reads never pay for a walk
	 * of the whole directory.
	 */
	if (!transport_is_cgi(tx))
		sweep_temps(&settings, true);

	struct loop_buffers b;
	buf_init(&b.body);
	buf_init(&b.out);
	buf_init(&b.file);
	buf_init(&b.scratch);
	int status = 0;
	bool served_since_idle = false;
	while (!main_stop) {
		enum transport_event ev =
		        transport_accept(tx, &wait_mask, served_since_idle ? IDLE_MS : -1);
		if (ev == TRANSPORT_IDLE) {
			release_idle(&b);
			served_since_idle = false;
			continue;
		}
		served_since_idle = true;
		if (ev == TRANSPORT_DONE)
			break;
		if (ev == TRANSPORT_INTERRUPTED)
			continue;
		if (ev == TRANSPORT_ERROR) {
			log_msg(LOG_ERROR, "accept failed: %s", strerror(errno));
			status = 1;
			break;
		}
		struct checkin_fetch fetch = {.mac = ""};
		bool delivered = false;
		enum http_method method = serve_one(tx, &settings, &b, &fetch, &delivered);
		transport_finish(tx);
		if (fetch.mac[0] != '\0' || api_ota_pending()) {
			/* CGI: the web server sees the end of the answer when stdout closes. */
			transport_cgi_detach(tx);
		}
		if (fetch.mac[0] != '\0') {
			struct checkin_limits lim = {.interval_s = settings.checkin_interval,
			                             .missing_max = settings.checkin_missing_max};
			checkin_seen(settings.configs_dir, &lim, &fetch);
		}
		access_after_answer(&settings);
		/* Answer first, keep books after: a device waits for no note. */
		api_ota_after_answer(&settings, delivered);
		if (transport_is_cgi(tx) && (method == HTTP_PUT || method == HTTP_DELETE))
			sweep_temps(&settings, false);
	}
	if (main_stop && !transport_is_cgi(tx))
		log_msg(LOG_INFO, "stopping on signal pid=%ld", (long)getpid());
	/* CGI: the answer is complete; only the broker's acknowledgement is awaited. */
	if (mqtt_pending())
		transport_cgi_detach(tx);
	transport_close(tx);
	/*
	 * An MQTT thread that could not be ended (stuck in a name lookup) may
	 * still run inside libmosquitto: end without exit handlers, which
	 * would tear its libraries down under it.
	 */
	if (!mqtt_stop())
		_exit(status);
	loop_buffers_reset(&b, 0);
	settings_free(&settings);
	return status;
}
