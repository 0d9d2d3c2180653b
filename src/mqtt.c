/*
 * mqtt.c: one libmosquitto client per responder process, publishing a
 * notification (QoS 1, not retained) after every change the store has made
 * durable.
 *
 * The request thread only calls mosquitto_publish_v5, which with a
 * threaded client just appends to the library's queue and wakes the
 * network thread; all socket work happens on that thread. A message
 * published while the broker is away stays in that queue and is sent
 * after the next CONNACK (libmosquitto keeps outgoing QoS 1 messages across
 * reconnects). The queue is bounded here by counting messages that have no
 * PUBACK yet: beyond MQTT_QUEUE_MAX a new message is dropped and counted.
 *
 * The network thread is ours, not mosquitto_loop_start's: loop_forever
 * gives up for good on some errors (an MQTT v5 refusal such as a wrong
 * password, a certificate the CA does not vouch for, a name that does not
 * resolve), and a broker fixed later must still be reached. Ours treats
 * every failure the same way: log it once, wait (1 s doubling up to
 * MQTT_BACKOFF_MAX), try again. A broker that refuses MQTT v5 as an
 * unsupported protocol version is retried at once with 3.1.1.
 *
 * A stop is bounded whatever the network thread is doing: it may sit in
 * a name lookup (getaddrinfo(3) cannot be interrupted, and a resolver
 * whose server does not answer takes tens of seconds), so the stop waits
 * for it only until its deadline and otherwise leaves it running,
 * telling the caller to end the process without exit handlers.
 *
 * State shared with the network thread is atomic; libmosquitto's own locks
 * guard its queues. Callbacks run on the network thread.
 */
#include "mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

#define KEEPALIVE_S  30
#define LOOP_WAIT_MS 100

static const struct mqtt_settings *mq_set;
static bool mq_cgi;
static bool mq_on;           /* MQTT_URL set and libmosquitto initialised */
static struct mosquitto *mq; /* created on first use */
static pthread_t mq_thread;
static bool mq_thread_running;
static char mq_id[MQTT_CLIENT_ID_MAX];

static atomic_bool mq_connected; /* CONNACK success seen, no disconnect since */
static atomic_bool mq_down;      /* the last attempt failed: waiting to retry */
static atomic_bool mq_stopping;  /* no more connection attempts */
static atomic_bool mq_quit;      /* the network thread is to end */
static atomic_bool mq_ended;     /* the network thread has left its loop */
static atomic_uint mq_unacked;   /* published, no PUBACK yet */
static bool mq_full_logged;      /* request thread only */

/* Network thread only. */
static unsigned net_delay_s = 1;
static char net_refusal[160];
static bool net_v311;

static uint64_t
now_ms(void)
{
	return (uint64_t)clock_ms(CLOCK_MONOTONIC);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props)
{
	(void)m, (void)obj, (void)flags, (void)props;
	if (rc == 0) {
		atomic_store(&mq_connected, true);
		metrics_mqtt_connected(true);
		net_delay_s = 1;
		log_msg(mq_cgi ? LOG_DEBUG : LOG_INFO,
		        "mqtt connected broker=%s:%d tls=%s protocol=%s client_id=%s",
		        mq_set->url.host, mq_set->url.port, mq_set->url.tls ? "true" : "false",
		        net_v311 ? "3.1.1" : "5", mq_id);
		return;
	}
	if (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION && !net_v311) {
		net_v311 = true; /* the next attempt, at once, speaks 3.1.1 */
		net_delay_s = 0;
		snprintf(net_refusal, sizeof net_refusal, "MQTT v5 refused, trying 3.1.1");
		return;
	}
	snprintf(net_refusal, sizeof net_refusal, "broker refused the connection: %s",
	         net_v311 ? mosquitto_connack_string(rc) : mosquitto_reason_string(rc));
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
	(void)m, (void)obj, (void)rc, (void)props;
	if (atomic_exchange(&mq_connected, false))
		metrics_mqtt_connected(false);
}

static void
on_publish(struct mosquitto *m, void *obj, int mid, int reason, const mosquitto_property *props)
{
	(void)m, (void)obj, (void)props;
	atomic_fetch_sub(&mq_unacked, 1);
	if (reason < 0x80) {
		metrics_mqtt_publish(METRICS_MQTT_SUCCESS);
		return;
	}
	metrics_mqtt_publish(METRICS_MQTT_ERROR);
	log_msg(LOG_WARN, "mqtt publish refused by the broker mid=%d reason=\"%s\"", mid,
	        mosquitto_reason_string(reason));
}

/* After a failed attempt or a lost connection: say why, once, and wait. */
static uint64_t
schedule_retry(const char *why)
{
	unsigned delay = net_delay_s;
	atomic_store(&mq_down, true);
	if (delay > 0)
		log_msg(LOG_WARN, "mqtt not connected broker=%s:%d reason=\"%s\" retry_in_s=%u",
		        mq_set->url.host, mq_set->url.port, why, delay);
	net_delay_s = delay == 0 ? 1 : delay * 2 > MQTT_BACKOFF_MAX ? MQTT_BACKOFF_MAX : delay * 2;
	return now_ms() + (uint64_t)delay * 1000u;
}

static void *
net_main(void *arg)
{
	(void)arg;
	bool first = true, was_up = false;
	uint64_t next_try = 0;
	while (!atomic_load(&mq_quit)) {
		if (mosquitto_socket(mq) < 0) {
			if (atomic_load(&mq_stopping))
				break;
			uint64_t now = now_ms();
			if (now < next_try) {
				uint64_t left = next_try - now;
				sleep_ms(left < LOOP_WAIT_MS ? (unsigned)left : LOOP_WAIT_MS);
				continue;
			}
			if (net_v311)
				mosquitto_int_option(mq, MOSQ_OPT_PROTOCOL_VERSION,
				                     MQTT_PROTOCOL_V311);
			net_refusal[0] = '\0';
			errno = 0;
			int rc = first ? mosquitto_connect_async(mq, mq_set->url.host,
			                                         mq_set->url.port, KEEPALIVE_S)
			               : mosquitto_reconnect_async(mq);
			first = false;
			if (atomic_load(&mq_quit))
				break; /* a stop came while this attempt ran (a lookup, say) */
			if (rc != MOSQ_ERR_SUCCESS) {
				char why[160];
				snprintf(why, sizeof why, "%s",
				         rc == MOSQ_ERR_ERRNO ? strerror(errno)
				                              : mosquitto_strerror(rc));
				next_try = schedule_retry(why);
				continue;
			}
			atomic_store(&mq_down, false);
			was_up = false;
		}
		int rc = mosquitto_loop(mq, LOOP_WAIT_MS, 1);
		if (atomic_load(&mq_connected))
			was_up = true;
		if (rc != MOSQ_ERR_SUCCESS && mosquitto_socket(mq) < 0 &&
		    !atomic_load(&mq_stopping)) {
			char why[200];
			if (net_refusal[0] != '\0')
				snprintf(why, sizeof why, "%s", net_refusal);
			else
				snprintf(why, sizeof why, "%s%s", was_up ? "connection lost: " : "",
				         rc == MOSQ_ERR_ERRNO ? strerror(errno)
				                              : mosquitto_strerror(rc));
			next_try = schedule_retry(why);
		}
	}
	atomic_store(&mq_ended, true);
	return NULL;
}

/* Creates the client and starts its thread; false (logged) on failure. */
static bool
client_up(void)
{
	if (mq != NULL)
		return true;
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		host[0] = '\0';
	mqtt_client_id(mq_set->client_prefix, host, (long)getpid(), mq_id, sizeof mq_id);
	mq = mosquitto_new(mq_id, true, NULL);
	if (mq == NULL) {
		log_msg(LOG_ERROR, "mqtt client not created: %s", strerror(errno));
		return false;
	}
	const char *step = NULL;
	if (mosquitto_int_option(mq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) != 0)
		step = "protocol version";
	else if (mosquitto_threaded_set(mq, true) != 0)
		step = "threaded mode";
	else if (mq_set->username != NULL &&
	         mosquitto_username_pw_set(mq, mq_set->username, mq_set->password) != 0)
		step = "user name";
	else if (mq_set->url.tls && mq_set->ca_file != NULL &&
	         mosquitto_tls_set(mq, mq_set->ca_file, NULL, NULL, NULL, NULL) != 0)
		step = "MQTT_CA_FILE";
	else if (mq_set->url.tls && mq_set->ca_file == NULL &&
	         mosquitto_int_option(mq, MOSQ_OPT_TLS_USE_OS_CERTS, 1) != 0)
		step = "system CAs";
	/*
	 * With the system's CAs alone, libmosquitto 2.0.11 refuses every
	 * reconnect once its TLS context exists (MOSQ_ERR_INVAL: it takes
	 * that context for one of ours lacking a CA file). Without "defaults"
	 * it builds the context, CAs and peer check included, at the first
	 * connect as before and reuses it as it is afterwards.
	 */
	else if (mq_set->url.tls && mq_set->ca_file == NULL &&
	         mosquitto_int_option(mq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) != 0)
		step = "system CAs";
	if (step != NULL) {
		log_msg(LOG_ERROR, "mqtt client not set up: %s", step);
		mosquitto_destroy(mq);
		mq = NULL;
		return false;
	}
	mosquitto_connect_v5_callback_set(mq, on_connect);
	mosquitto_disconnect_v5_callback_set(mq, on_disconnect);
	mosquitto_publish_v5_callback_set(mq, on_publish);

	/* The network thread takes no signals: they stay the accept loop's. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&mq_thread, NULL, net_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_msg(LOG_ERROR, "mqtt network thread not started: %s", strerror(rc));
		mosquitto_destroy(mq);
		mq = NULL;
		return false;
	}
	mq_thread_running = true;
	return true;
}

int
mqtt_start(const struct mqtt_settings *m, bool cgi)
{
	metrics_mqtt_enabled(m->enabled);
	if (!m->enabled)
		return 0;
	if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
		log_msg(LOG_ERROR, "mqtt: libmosquitto did not initialise");
		return -1;
	}
	mq_set = m;
	mq_cgi = cgi;
	mq_on = true;
	if (!cgi && !client_up()) {
		mq_on = false; /* logged; the service runs without notifications */
		mosquitto_lib_cleanup();
		return -1;
	}
	return 0;
}

bool
mqtt_enabled(void)
{
	return mq_on;
}

/* Queues payload on topic; what names the message in log lines. */
static void
publish(const char *topic, const struct buf *payload, const char *what)
{
	if (atomic_load(&mq_unacked) >= MQTT_QUEUE_MAX) {
		metrics_mqtt_publish(METRICS_MQTT_DROPPED);
		if (!mq_full_logged)
			log_msg(LOG_WARN,
			        "mqtt queue full: notifications dropped until the broker "
			        "acknowledges some limit=%u",
			        MQTT_QUEUE_MAX);
		mq_full_logged = true;
		return;
	}
	mq_full_logged = false;
	atomic_fetch_add(&mq_unacked, 1);
	int rc = mosquitto_publish_v5(mq, NULL, topic, (int)payload->len, payload->data, 1, false,
	                              NULL);
	/*
	 * MOSQ_ERR_NO_CONN: queued all the same (a QoS 1 message is queued
	 * before the send is tried) and sent after the next CONNACK.
	 */
	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
		atomic_fetch_sub(&mq_unacked, 1);
		metrics_mqtt_publish(METRICS_MQTT_ERROR);
		log_msg(LOG_WARN, "mqtt publish failed %s reason=\"%s\"", what,
		        mosquitto_strerror(rc));
	}
}

void
mqtt_notify(const char *mac, const char *etag)
{
	if (!mq_on || !client_up())
		return;
	struct buf payload;
	buf_init(&payload);
	char what[32];
	snprintf(what, sizeof what, "mac=%s", mac);
	if (mqtt_payload_build(&payload, mac, etag) != 0) {
		metrics_mqtt_publish(METRICS_MQTT_ERROR);
		log_msg(LOG_WARN, "mqtt notification not built: out of memory %s", what);
	} else {
		publish(mq_set->topic, &payload, what);
	}
	buf_free(&payload);
}

void
mqtt_publish(const char *topic, const struct buf *payload, const char *what)
{
	if (!mq_on || !client_up())
		return;
	publish(topic, payload, what);
}

bool
mqtt_pending(void)
{
	return mq != NULL && atomic_load(&mq_unacked) > 0;
}

const char *
mqtt_state(void)
{
	if (!mq_on || mq_cgi)
		return NULL;
	return atomic_load(&mq_connected) ? "connected" : "disconnected";
}

/* Waits until the network thread has ended, or until deadline; true when it has. */
static bool
thread_ended_by(uint64_t deadline)
{
	while (!atomic_load(&mq_ended) && now_ms() < deadline)
		sleep_ms(5);
	if (!atomic_load(&mq_ended))
		return false;
	pthread_join(mq_thread, NULL); /* it is returning: no wait to speak of */
	return true;
}

bool
mqtt_stop(void)
{
	if (mq == NULL) {
		if (mq_on)
			mosquitto_lib_cleanup();
		mq_on = false;
		return true;
	}
	uint64_t deadline = now_ms() + (mq_cgi ? MQTT_CGI_WAIT_MS : MQTT_FLUSH_WAIT_MS);
	/*
	 * A FastCGI process stops waiting once the broker is found away (the
	 * web server is waiting for it to exit); a CGI process has answered
	 * already and has only this one message, so it gives a failed attempt
	 * (a handshake cut short on a loaded machine) its retries until the
	 * deadline.
	 */
	while (atomic_load(&mq_unacked) > 0 && (mq_cgi || !atomic_load(&mq_down)) &&
	       now_ms() < deadline)
		sleep_ms(5);
	unsigned left = atomic_load(&mq_unacked);
	if (left > 0)
		log_msg(LOG_WARN, "mqtt stopping with unacknowledged notifications count=%u", left);
	atomic_store(&mq_stopping, true);
	/* The disconnect and the thread's end share one last bound. */
	deadline = now_ms() + MQTT_STOP_GRACE_MS;
	if (atomic_load(&mq_connected)) {
		mosquitto_disconnect(mq);
		while (atomic_load(&mq_connected) && now_ms() < deadline)
			sleep_ms(5);
	}
	atomic_store(&mq_quit, true);
	bool ended = !mq_thread_running || thread_ended_by(deadline);
	mq_thread_running = false;
	/* No callback runs any more (or none will be waited for): what is
	 * still unacknowledged is lost. */
	for (unsigned lost = atomic_exchange(&mq_unacked, 0); lost > 0; lost--)
		metrics_mqtt_publish(METRICS_MQTT_DROPPED);
	if (!ended) {
		/* It still uses the client: leave both to the process's end. */
		log_msg(LOG_WARN,
		        "mqtt network thread still busy (a name lookup or connection to the "
		        "broker) broker=%s:%d; stopping without waiting for it",
		        mq_set->url.host, mq_set->url.port);
		mq_on = false;
		return false;
	}
	if (atomic_exchange(&mq_connected, false))
		metrics_mqtt_connected(false);
	mosquitto_destroy(mq);
	mq = NULL;
	mosquitto_lib_cleanup();
	mq_on = false;
	return true;
}
