/*
 * mqtt_lib.c: libmosquitto, loaded only when MQTT is on.
 *
 * Linked, libmosquitto would be loaded into every process, and libssl and
 * libcrypto with it: 1.8 MB of each responder's resident memory (mostly
 * libcrypto's symbol tables and the pages its relocations write), more
 * than half of what a responder holds, for notifications that are off
 * unless MQTT_URL is set. So the program links none of it: this file
 * defines the libmosquitto functions mqtt.c calls, and each forwards to
 * the library, which mosquitto_lib_init loads with dlopen(3) the first
 * time it is called. Their prototypes come from <mosquitto.h>, so the
 * compiler checks each definition against the library's own declaration.
 *
 * mqtt.c calls nothing else before mosquitto_lib_init has succeeded. The
 * library stays loaded to the process's end (a stop may leave its network
 * thread running inside it).
 *
 * Process-owned state: the library's handle and functions (mqtt_lib).
 */
#include <dlfcn.h>
#include <mosquitto.h>

#include "log.h"

/* The run-time name of libmosquitto 1.x and 2.x (Debian: libmosquitto1). */
#define MQTT_LIB_SONAME "libmosquitto.so.1"

#define MQTT_LIB_FUNCTIONS(X)                                                                      \
	X(mosquitto_lib_init)                                                                      \
	X(mosquitto_lib_cleanup)                                                                   \
	X(mosquitto_new)                                                                           \
	X(mosquitto_destroy)                                                                       \
	X(mosquitto_int_option)                                                                    \
	X(mosquitto_threaded_set)                                                                  \
	X(mosquitto_username_pw_set)                                                               \
	X(mosquitto_tls_set)                                                                       \
	X(mosquitto_connect_v5_callback_set)                                                       \
	X(mosquitto_disconnect_v5_callback_set)                                                    \
	X(mosquitto_publish_v5_callback_set)                                                       \
	X(mosquitto_connect_async)                                                                 \
	X(mosquitto_reconnect_async)                                                               \
	X(mosquitto_disconnect)                                                                    \
	X(mosquitto_socket)                                                                        \
	X(mosquitto_loop)                                                                          \
	X(mosquitto_publish_v5)                                                                    \
	X(mosquitto_strerror)                                                                      \
	X(mosquitto_connack_string)                                                                \
	X(mosquitto_reason_string)

#define MQTT_LIB_SLOT(name) __typeof__(name) *name;

static struct {
	void *handle;
	MQTT_LIB_FUNCTIONS(MQTT_LIB_SLOT)
} mqtt_lib;

/* Loads the library and every function above; false (logged) when it cannot. */
static bool
load(void)
{
	if (mqtt_lib.handle != NULL)
		return true;
	void *h = dlopen(MQTT_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		log_msg(LOG_ERROR, "mqtt: cannot load " MQTT_LIB_SONAME ": %s", dlerror());
		return false;
	}
	const char *missing = NULL;
	/* POSIX's way to take a function from dlsym: through the slot's bytes. */
#define MQTT_LIB_RESOLVE(name)                                                                     \
	if (missing == NULL && (*(void **)&mqtt_lib.name = dlsym(h, #name)) == NULL)               \
		missing = #name;
	MQTT_LIB_FUNCTIONS(MQTT_LIB_RESOLVE)
#undef MQTT_LIB_RESOLVE
	if (missing != NULL) {
		log_msg(LOG_ERROR, "mqtt: " MQTT_LIB_SONAME " has no %s", missing);
		dlclose(h);
		return false;
	}
	mqtt_lib.handle = h;
	return true;
}

int
mosquitto_lib_init(void)
{
	return load() ? mqtt_lib.mosquitto_lib_init() : MOSQ_ERR_UNKNOWN;
}

int
mosquitto_lib_cleanup(void)
{
	return mqtt_lib.mosquitto_lib_cleanup();
}

struct mosquitto *
mosquitto_new(const char *id, bool clean_session, void *obj)
{
	return mqtt_lib.mosquitto_new(id, clean_session, obj);
}

void
mosquitto_destroy(struct mosquitto *mosq)
{
	mqtt_lib.mosquitto_destroy(mosq);
}

int
mosquitto_int_option(struct mosquitto *mosq, enum mosq_opt_t option, int value)
{
	return mqtt_lib.mosquitto_int_option(mosq, option, value);
}

int
mosquitto_threaded_set(struct mosquitto *mosq, bool threaded)
{
	return mqtt_lib.mosquitto_threaded_set(mosq, threaded);
}

int
mosquitto_username_pw_set(struct mosquitto *mosq, const char *username, const char *password)
{
	return mqtt_lib.mosquitto_username_pw_set(mosq, username, password);
}

int
mosquitto_tls_set(struct mosquitto *mosq, const char *cafile, const char *capath,
                  const char *certfile, const char *keyfile,
                  int (*pw_callback)(char *buf, int size, int rwflag, void *userdata))
{
	return mqtt_lib.mosquitto_tls_set(mosq, cafile, capath, certfile, keyfile, pw_callback);
}

void
mosquitto_connect_v5_callback_set(struct mosquitto *mosq,
                                  void (*on_connect)(struct mosquitto *, void *, int, int,
                                                     const mosquitto_property *props))
{
	mqtt_lib.mosquitto_connect_v5_callback_set(mosq, on_connect);
}

void
mosquitto_disconnect_v5_callback_set(struct mosquitto *mosq,
                                     void (*on_disconnect)(struct mosquitto *, void *, int,
                                                           const mosquitto_property *props))
{
	mqtt_lib.mosquitto_disconnect_v5_callback_set(mosq, on_disconnect);
}

void
mosquitto_publish_v5_callback_set(struct mosquitto *mosq,
                                  void (*on_publish)(struct mosquitto *, void *, int, int,
                                                     const mosquitto_property *props))
{
	mqtt_lib.mosquitto_publish_v5_callback_set(mosq, on_publish);
}

int
mosquitto_connect_async(struct mosquitto *mosq, const char *host, int port, int keepalive)
{
	return mqtt_lib.mosquitto_connect_async(mosq, host, port, keepalive);
}

int
mosquitto_reconnect_async(struct mosquitto *mosq)
{
	return mqtt_lib.mosquitto_reconnect_async(mosq);
}

int
mosquitto_disconnect(struct mosquitto *mosq)
{
	return mqtt_lib.mosquitto_disconnect(mosq);
}

int
mosquitto_socket(struct mosquitto *mosq)
{
	return mqtt_lib.mosquitto_socket(mosq);
}

int
mosquitto_loop(struct mosquitto *mosq, int timeout, int max_packets)
{
	return mqtt_lib.mosquitto_loop(mosq, timeout, max_packets);
}

int
mosquitto_publish_v5(struct mosquitto *mosq, int *mid, const char *topic, int payloadlen,
                     const void *payload, int qos, bool retain,
                     const mosquitto_property *properties)
{
	return mqtt_lib.mosquitto_publish_v5(mosq, mid, topic, payloadlen, payload, qos, retain,
	                                     properties);
}

const char *
mosquitto_strerror(int mosq_errno)
{
	return mqtt_lib.mosquitto_strerror(mosq_errno);
}

const char *
mosquitto_connack_string(int connack_code)
{
	return mqtt_lib.mosquitto_connack_string(connack_code);
}

const char *
mosquitto_reason_string(int reason_code)
{
	return mqtt_lib.mosquitto_reason_string(reason_code);
}
