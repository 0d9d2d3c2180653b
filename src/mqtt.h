/*
 * mqtt.h: change notifications to an MQTT broker. One client per process,
 * with its own network thread; a request only hands a message to it and
 * never waits for the broker. Everything is a no-op while MQTT_URL is unset.
 */
#ifndef IOTCONFIG_MQTT_H
#define IOTCONFIG_MQTT_H

#include <stdbool.h>

#include "mqtt_config.h"

#define MQTT_QUEUE_MAX     1000u /* unacknowledged messages kept per process */
#define MQTT_BACKOFF_MAX   30u   /* seconds between reconnection attempts, at most */
#define MQTT_FLUSH_WAIT_MS 2000  /* how long a stopping process waits for acks */
#define MQTT_CGI_WAIT_MS   5000  /* the same for a CGI process, which also connects first */
#define MQTT_STOP_GRACE_MS 500   /* then for the disconnect and the network thread's end */

/*
 * Sets the client up from m (copied pointers: m must outlive the process's
 * use). A FastCGI process connects at once, in the background; a CGI
 * process (cgi true) only when it has something to publish. Returns 0, or
 * -1 when the client cannot be created (logged; the service runs without).
 */
int mqtt_start(const struct mqtt_settings *m, bool cgi);

/* Is MQTT on for this process (MQTT_URL set and the client created)? */
bool mqtt_enabled(void);

/*
 * Queues one notification: a save of mac with the new etag, or a delete
 * when etag is NULL. Never blocks on the network. Beyond MQTT_QUEUE_MAX
 * unacknowledged messages the message is dropped and counted.
 */
void mqtt_notify(const char *mac, const char *etag);

/* Has this process messages the broker has not acknowledged yet? */
bool mqtt_pending(void);

/* "connected" or "disconnected"; NULL when MQTT is off or this is CGI. */
const char *mqtt_state(void);

/*
 * Waits up to MQTT_FLUSH_WAIT_MS (MQTT_CGI_WAIT_MS for a CGI process) for
 * the broker to acknowledge what is queued (not at all while the broker is
 * unreachable), then up to MQTT_STOP_GRACE_MS more to disconnect cleanly
 * and end the network thread; what is still unacknowledged then is counted
 * as dropped. Returns false when the network thread did not end in time
 * (stuck in a name lookup, say): it may still run inside libmosquitto, so
 * the caller ends the process with _exit(2), running no exit handlers.
 */
bool mqtt_stop(void);

#endif
