/*
 * mqtt_config.c: MQTT_* environment -> struct mqtt_settings, validated once
 * at start like every other setting (settings.c calls in here), plus the
 * pure pieces of a notification: the client id and the JSON payload.
 * Kept apart from mqtt.c so that unit tests reach them without a broker.
 */
#include "mqtt_config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static bool
ipv6_char(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '.';
}

/* The URL as it may be shown in a message: never when it holds credentials. */
static const char *
shown(const char *value)
{
	return strchr(value, '@') != NULL ? "(not shown: it contains '@')" : value;
}

int
mqtt_url_parse(const char *value, struct mqtt_url *out, char *err, size_t errlen)
{
	static const char expect[] = "expected mqtt://host[:port] or mqtts://host[:port]";
	memset(out, 0, sizeof *out);
	const char *p;
	if (strncasecmp(value, "mqtt://", 7) == 0) {
		p = value + 7;
		out->port = 1883;
	} else if (strncasecmp(value, "mqtts://", 8) == 0) {
		p = value + 8;
		out->tls = true;
		out->port = 8883;
	} else {
		snprintf(err, errlen, "MQTT_URL: '%.200s' has no mqtt:// or mqtts:// scheme; %s",
		         shown(value), expect);
		return -1;
	}
	size_t alen = strcspn(p, "/?#");
	if (memchr(p, '@', alen) != NULL) {
		snprintf(err, errlen,
		         "MQTT_URL: credentials in the URL are not accepted; set MQTT_USERNAME and "
		         "MQTT_PASSWORD instead");
		return -1;
	}
	const char *rest = p + alen;
	if (!(rest[0] == '\0' || (rest[0] == '/' && rest[1] == '\0'))) {
		snprintf(err, errlen, "MQTT_URL: '%.200s' has a path, query or fragment; %s",
		         shown(value), expect);
		return -1;
	}
	const char *h = p, *hend;
	const char *after;
	if (*h == '[') {
		hend = memchr(h, ']', alen);
		if (hend == NULL || hend == h + 1) {
			snprintf(err, errlen,
			         "MQTT_URL: '%.200s' has an unclosed or empty [IPv6] "
			         "host; %s",
			         shown(value), expect);
			return -1;
		}
		for (const char *c = h + 1; c < hend; c++) {
			if (!ipv6_char(*c)) {
				snprintf(err, errlen,
				         "MQTT_URL: '%.200s' has an invalid IPv6 "
				         "address; %s",
				         shown(value), expect);
				return -1;
			}
		}
		h++;
		after = hend + 1;
	} else {
		hend = h;
		while (hend < rest && *hend != ':')
			hend++;
		for (const char *c = h; c < hend; c++) {
			if (!host_char(*c)) {
				snprintf(err, errlen,
				         "MQTT_URL: '%.200s' has an invalid character in "
				         "the host name; %s",
				         shown(value), expect);
				return -1;
			}
		}
		after = hend;
	}
	size_t hlen = (size_t)(hend - h);
	if (hlen == 0 || hlen > MQTT_HOST_MAX) {
		snprintf(err, errlen, "MQTT_URL: '%.200s' has %s host; %s", shown(value),
		         hlen == 0 ? "no" : "a too long", expect);
		return -1;
	}
	memcpy(out->host, h, hlen);
	out->host[hlen] = '\0';
	if (after < rest) {
		if (*after != ':' || after + 1 == rest) {
			snprintf(err, errlen,
			         "MQTT_URL: '%.200s' has text after the host that is not "
			         ":port; %s",
			         shown(value), expect);
			return -1;
		}
		long port = 0;
		for (const char *c = after + 1; c < rest; c++) {
			if (*c < '0' || *c > '9' || port > 65535) {
				port = -1;
				break;
			}
			port = port * 10 + (*c - '0');
		}
		if (port < 1 || port > 65535) {
			snprintf(err, errlen,
			         "MQTT_URL: '%.200s' has a port that is not a number "
			         "from 1 to 65535; %s",
			         shown(value), expect);
			return -1;
		}
		out->port = (int)port;
	}
	return 0;
}

/* Can this process read path as a regular file? */
static int
check_ca_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "MQTT_CA_FILE: cannot read '%.200s': %s", path,
		         strerror(errno));
		return -1;
	}
	struct stat st;
	char head[4096];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = read(fd, head, sizeof head - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "MQTT_CA_FILE: '%.200s' is not a readable regular file",
		         path);
		return -1;
	}
	head[n] = '\0';
	if (strstr(head, "-----BEGIN CERTIFICATE-----") == NULL) {
		snprintf(err, errlen,
		         "MQTT_CA_FILE: '%.200s' holds no PEM certificate (-----BEGIN "
		         "CERTIFICATE----- in its first 4 KiB)",
		         path);
		return -1;
	}
	return 0;
}

static int
check_topic(const char *topic, char *err, size_t errlen)
{
	size_t n = strlen(topic);
	if (n > 65535 || strpbrk(topic, "+#") != NULL) {
		snprintf(err, errlen,
		         "MQTT_TOPIC: '%.200s' is not a topic to publish to (no + or # wildcards, "
		         "at most 65535 bytes)",
		         topic);
		return -1;
	}
	for (const char *c = topic; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(err, errlen, "MQTT_TOPIC: contains a control character");
			return -1;
		}
	}
	return 0;
}

static int
check_prefix(const char *prefix, char *err, size_t errlen)
{
	size_t n = strlen(prefix);
	bool ok = n <= MQTT_CLIENT_PREFIX_MAX;
	for (const char *c = prefix; ok && *c; c++)
		ok = host_char(*c);
	if (!ok) {
		snprintf(err, errlen,
		         "MQTT_CLIENT_ID: '%.80s' is not 1-%d characters of [A-Za-z0-9._-] (the "
		         "host name and process id are added to it)",
		         prefix, MQTT_CLIENT_PREFIX_MAX);
		return -1;
	}
	return 0;
}

/*
 * MQTT_PASSWORD_FILE: the password is the file's content, read once here
 * (a final newline dropped), so that it appears in no web server
 * configuration and no process environment. Refused: a file others can
 * read or write (its mode must be like 0600 or 0640, group for the web
 * server's), one that is not a regular file, empty or larger than 4 KiB.
 * The content lives in process-owned storage for the process's life.
 */
static int
read_password_file(const char *path, const char **out, char *err, size_t errlen)
{
	static char password[4097];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "MQTT_PASSWORD_FILE: cannot read '%.200s': %s", path,
		         strerror(errno));
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	ssize_t n = -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		why = "is not a regular file";
	else if ((st.st_mode & 0007) != 0)
		why = "can be read or written by other users; chmod o-rwx it (e.g. 0640, "
		      "group of the web server's user)";
	else if ((n = read(fd, password, sizeof password - 1)) < 0)
		why = "cannot be read";
	else if ((size_t)n == sizeof password - 1)
		why = "is larger than 4 KiB";
	close(fd);
	if (why == NULL) {
		if (n > 0 && password[n - 1] == '\n')
			n--;
		if (n > 0 && password[n - 1] == '\r')
			n--;
		password[n] = '\0';
		if (n == 0)
			why = "is empty";
		else if (memchr(password, '\0', (size_t)n) != NULL)
			why = "holds a NUL byte";
	}
	if (why != NULL) {
		snprintf(err, errlen, "MQTT_PASSWORD_FILE: '%.200s' %s", path, why);
		return -1;
	}
	*out = password;
	return 0;
}

int
mqtt_config_load(struct mqtt_settings *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	const char *url = env_nonempty("MQTT_URL");
	if (url == NULL)
		return 0;
	if (mqtt_url_parse(url, &m->url, err, errlen) != 0)
		return -1;
	m->enabled = true;
	m->username = env_nonempty("MQTT_USERNAME");
	m->password = env_nonempty("MQTT_PASSWORD");
	const char *password_file = env_nonempty("MQTT_PASSWORD_FILE");
	if (password_file != NULL && m->password != NULL) {
		snprintf(err, errlen,
		         "MQTT_PASSWORD_FILE: set together with MQTT_PASSWORD; set one of them");
		return -1;
	}
	if (password_file != NULL &&
	    read_password_file(password_file, &m->password, err, errlen) != 0)
		return -1;
	m->ca_file = env_nonempty("MQTT_CA_FILE");
	m->topic = env_nonempty("MQTT_TOPIC");
	m->client_prefix = env_nonempty("MQTT_CLIENT_ID");
	if (m->topic == NULL)
		m->topic = MQTT_DEFAULT_TOPIC;
	if (m->client_prefix == NULL)
		m->client_prefix = MQTT_DEFAULT_CLIENT_ID;
	if (m->password != NULL && m->username == NULL) {
		snprintf(err, errlen,
		         "MQTT_PASSWORD%s: set without MQTT_USERNAME; MQTT sends a "
		         "password only with a user name",
		         password_file != NULL ? "_FILE" : "");
		return -1;
	}
	if (m->ca_file != NULL && !m->url.tls) {
		snprintf(err, errlen, "MQTT_CA_FILE: set, but MQTT_URL is not an mqtts:// URL");
		return -1;
	}
	if (m->ca_file != NULL && check_ca_file(m->ca_file, err, errlen) != 0)
		return -1;
	if (check_topic(m->topic, err, errlen) != 0 ||
	    check_prefix(m->client_prefix, err, errlen) != 0)
		return -1;
	return 0;
}

void
mqtt_client_id(const char *prefix, const char *hostname, long pid, char *out, size_t outlen)
{
	char host[65];
	size_t i = 0;
	for (; hostname != NULL && hostname[i] != '\0' && i < sizeof host - 1; i++)
		host[i] = host_char(hostname[i]) ? hostname[i] : '_';
	host[i] = '\0';
	/*
	 * The host name and pid alone repeat: containers share a hostname:
	 * setting and count pids from 1, and a broker then hands one
	 * process's session to the other, back and forth.
	 */
	uint32_t nonce = 0;
	if (getrandom(&nonce, sizeof nonce, GRND_NONBLOCK) != (ssize_t)sizeof nonce) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		nonce = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ (uint32_t)pid;
	}
	snprintf(out, outlen, "%s-%s-%ld-%08x", prefix, i > 0 ? host : "localhost", pid,
	         (unsigned)nonce);
}

int
mqtt_payload_build(struct buf *out, const char *mac, const char *etag)
{
	char filename[64];
	snprintf(filename, sizeof filename, "%s.json", mac);
	json_object *o = json_object_new_object();
	if (o == NULL)
		return -1;
	json_object_object_add(o, "filename", json_object_new_string(filename));
	json_object_object_add(o, "mac_address", json_object_new_string(mac));
	json_object_object_add(o, "operation",
	                       json_object_new_string(etag != NULL ? "save" : "delete"));
	json_object_object_add(o, "etag", etag != NULL ? json_object_new_string(etag) : NULL);
	size_t n = 0;
	const char *s = json_object_to_json_string_length(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	int rc = s != NULL ? buf_append(out, s, n) : -1;
	json_object_put(o);
	return rc;
}
