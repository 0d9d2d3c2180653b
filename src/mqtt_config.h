/*
 * mqtt_config.h: the MQTT_* settings and the pure parts of change
 * notifications: the broker URL, the client id and the message payload.
 * Nothing here touches the network; mqtt.c does.
 */
#ifndef IOTCONFIG_MQTT_CONFIG_H
#define IOTCONFIG_MQTT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define MQTT_DEFAULT_TOPIC     "iotsupport/updates/configs"
#define MQTT_DEFAULT_CLIENT_ID "iotconfig"
#define MQTT_HOST_MAX          255 /* a DNS name's longest text form */
#define MQTT_CLIENT_PREFIX_MAX 64
#define MQTT_CLIENT_ID_MAX     (MQTT_CLIENT_PREFIX_MAX + 3 + 64 + 24 + 8)

/* A parsed MQTT_URL. */
struct mqtt_url {
	bool tls;                     /* mqtts:// */
	char host[MQTT_HOST_MAX + 1]; /* name or address, IPv6 without brackets */
	int port;                     /* 1-65535; 1883 or 8883 when not given */
};

struct mqtt_settings {
	bool enabled;              /* MQTT_URL set and not empty */
	struct mqtt_url url;       /* MQTT_URL */
	const char *username;      /* MQTT_USERNAME, or NULL */
	const char *password;      /* MQTT_PASSWORD or MQTT_PASSWORD_FILE's content, or NULL;
	                              never logged */
	const char *ca_file;       /* MQTT_CA_FILE, or NULL: the system's CAs */
	const char *topic;         /* MQTT_TOPIC */
	const char *client_prefix; /* MQTT_CLIENT_ID */
};

/*
 * Parses mqtt://host[:port] or mqtts://host[:port] (an optional final
 * "/"). Returns 0, or -1 with a message naming MQTT_URL in err. The
 * message never repeats a value holding credentials (user:pass@).
 */
int mqtt_url_parse(const char *value, struct mqtt_url *out, char *err, size_t errlen);

/*
 * Reads MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, MQTT_CA_FILE, MQTT_TOPIC
 * and MQTT_CLIENT_ID. Returns 0, or -1 with a message naming the variable.
 * With MQTT_URL unset or empty, MQTT is off and the others are not checked.
 */
int mqtt_config_load(struct mqtt_settings *m, char *err, size_t errlen);

/*
 * Writes "<prefix>-<host>-<pid>-<8 random hex digits>" into out: the
 * random part is drawn anew on each call (once per process start), so two
 * processes with the same host name and pid (two containers) do not take
 * each other's session. Characters of the host name outside
 * [A-Za-z0-9._-] become '_'.
 */
void mqtt_client_id(const char *prefix, const char *hostname, long pid, char *out, size_t outlen);

/*
 * Appends the JSON notification for one change of mac ("aa-bb-cc-dd-ee-ff"):
 * {"filename":"<mac>.json","mac_address":"<mac>","operation":"save"|"delete",
 *  "etag":"<etag>"|null}. etag NULL means a delete. Returns 0 or -1 (memory).
 */
int mqtt_payload_build(struct buf *out, const char *mac, const char *etag);

#endif
