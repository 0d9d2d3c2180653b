/*
 * test_mqtt.c: proves the pure parts of change notifications in
 * mqtt_config.c. mqtt_url_parse takes mqtt:// and mqtts:// (any letter
 * case) with a host name, an IPv4 or a bracketed IPv6 address, an optional
 * port (default 1883 / 8883) and an optional final "/", and refuses other
 * schemes, credentials (without repeating them), paths, queries, empty or
 * invalid hosts and ports outside 1-65535. mqtt_config_load leaves MQTT
 * off without MQTT_URL, applies the topic and client id defaults, and
 * refuses a password without a user name, a CA file without mqtts://, an
 * unreadable or non-PEM CA file, a wildcard topic and a bad client id
 * prefix, naming the variable; MQTT_PASSWORD_FILE gives the file's content
 * (final newline dropped) and is refused with MQTT_PASSWORD, for a file
 * others can read, an empty one or a missing one, never showing the
 * password. mqtt_client_id makes "<prefix>-<host>-<pid>-<8 hex digits>"
 * with unsafe host characters replaced, and two processes given the same
 * host name and pid (two containers) get different ids. mqtt_payload_build writes the
 * exact JSON subscribers parse, with the ETag's quotes escaped and null
 * for a delete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mqtt_config.h"
#include "tap.h"

static const char *const vars[] = {"MQTT_URL",          "MQTT_USERNAME", "MQTT_PASSWORD",
                                   "MQTT_CA_FILE",      "MQTT_TOPIC",    "MQTT_CLIENT_ID",
                                   "MQTT_PASSWORD_FILE"};

static void
clear_env(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
}

static void
url_ok(const char *url, bool tls, const char *host, int port)
{
	struct mqtt_url u;
	char err[256] = "";
	int rc = mqtt_url_parse(url, &u, err, sizeof err);
	char name[300];
	snprintf(name, sizeof name, "URL %s parses", url);
	TAP_CHECK(rc == 0, name);
	if (rc != 0) {
		printf("#   %s\n", err);
		return;
	}
	snprintf(name, sizeof name, "URL %s: tls, host and port", url);
	TAP_CHECK(u.tls == tls && strcmp(u.host, host) == 0 && u.port == port, name);
}

static void
url_bad(const char *url, const char *want_in_err)
{
	struct mqtt_url u;
	char err[256] = "";
	char name[300];
	snprintf(name, sizeof name, "URL '%s' is refused naming MQTT_URL", url);
	TAP_CHECK(mqtt_url_parse(url, &u, err, sizeof err) == -1 &&
	                  strncmp(err, "MQTT_URL: ", 10) == 0 && strstr(err, want_in_err) != NULL,
	          name);
	if (strstr(err, want_in_err) == NULL)
		printf("#   err: %s\n", err);
}

static void
test_urls(void)
{
	url_ok("mqtt://broker", false, "broker", 1883);
	url_ok("mqtts://broker", true, "broker", 8883);
	url_ok("MQTT://Broker.lan:1884/", false, "Broker.lan", 1884);
	url_ok("mqtts://10.0.0.5:65535", true, "10.0.0.5", 65535);
	url_ok("mqtt://[::1]:1883", false, "::1", 1883);
	url_ok("mqtt://[fe80::1]", false, "fe80::1", 1883);
	url_ok("mqtt://a:1", false, "a", 1);

	url_bad("http://broker", "has no mqtt:// or mqtts:// scheme");
	url_bad("broker:1883", "has no mqtt:// or mqtts:// scheme");
	url_bad("mqtt://", "has no host");
	url_bad("mqtt://:1883", "has no host");
	url_bad("mqtt://broker:0", "has a port that is not a number from 1 to 65535");
	url_bad("mqtt://broker:65536", "has a port");
	url_bad("mqtt://broker:99999999999999999999", "has a port");
	url_bad("mqtt://broker:", "is not :port");
	url_bad("mqtt://broker:12a", "has a port");
	url_bad("mqtt://broker:-1", "has a port");
	url_bad("mqtt://broker/topic", "has a path, query or fragment");
	url_bad("mqtt://broker?x=1", "has a path, query or fragment");
	url_bad("mqtt://bro ker", "invalid character in the host name");
	url_bad("mqtt://[::1", "unclosed or empty [IPv6] host");
	url_bad("mqtt://[]", "unclosed or empty [IPv6] host");
	url_bad("mqtt://[::g]", "invalid IPv6 address");
	url_bad("mqtt://[::1]x", "is not :port");

	struct mqtt_url u;
	char err[256] = "";
	TAP_CHECK(mqtt_url_parse("mqtt://dev:hunter2@broker", &u, err, sizeof err) == -1 &&
	                  strstr(err, "credentials in the URL are not accepted") != NULL &&
	                  strstr(err, "hunter2") == NULL,
	          "credentials in the URL are refused and not repeated");
	TAP_CHECK(mqtt_url_parse("ftp://dev:hunter2@broker", &u, err, sizeof err) == -1 &&
	                  strstr(err, "hunter2") == NULL,
	          "a bad URL holding '@' is not repeated either");
	char long_host[400] = "mqtt://";
	memset(long_host + 7, 'a', 256);
	long_host[7 + 256] = '\0';
	TAP_CHECK(mqtt_url_parse(long_host, &u, err, sizeof err) == -1 &&
	                  strstr(err, "a too long host") != NULL,
	          "a host over 255 characters is refused");
}

static int
load(struct mqtt_settings *m, char *err, size_t errlen)
{
	err[0] = '\0';
	return mqtt_config_load(m, err, errlen);
}

static void
test_load(const char *dir)
{
	struct mqtt_settings m;
	char err[512];

	clear_env();
	TAP_CHECK(load(&m, err, sizeof err) == 0 && !m.enabled, "no MQTT_URL: off");
	setenv("MQTT_URL", "", 1);
	setenv("MQTT_CA_FILE", "/nonexistent", 1);
	TAP_CHECK(load(&m, err, sizeof err) == 0 && !m.enabled,
	          "empty MQTT_URL: off, and the other variables are not checked");

	clear_env();
	setenv("MQTT_URL", "mqtt://broker", 1);
	TAP_CHECK(load(&m, err, sizeof err) == 0 && m.enabled && m.username == NULL &&
	                  m.password == NULL && m.ca_file == NULL,
	          "MQTT_URL alone: on, no credentials, no CA file");
	TAP_STREQ(m.topic, "iotsupport/updates/configs", "default topic");
	TAP_STREQ(m.client_prefix, "iotconfig", "default client id prefix");

	setenv("MQTT_USERNAME", "dev", 1);
	setenv("MQTT_PASSWORD", "pw", 1);
	setenv("MQTT_TOPIC", "home/iot/configs", 1);
	setenv("MQTT_CLIENT_ID", "cfg.A_1-x", 1);
	TAP_CHECK(load(&m, err, sizeof err) == 0, "user, password, topic and prefix accepted");
	TAP_STREQ(m.username, "dev", "MQTT_USERNAME");
	TAP_STREQ(m.password, "pw", "MQTT_PASSWORD");
	TAP_STREQ(m.topic, "home/iot/configs", "MQTT_TOPIC");
	TAP_STREQ(m.client_prefix, "cfg.A_1-x", "MQTT_CLIENT_ID");

	/* The password from a file only the owner (and group) can read. */
	char pwfile[512];
	snprintf(pwfile, sizeof pwfile, "%s/mqtt-password", dir);
	FILE *pf = fopen(pwfile, "w");
	fputs("s3cret from file\n", pf);
	fclose(pf);
	chmod(pwfile, 0640);
	setenv("MQTT_PASSWORD_FILE", pwfile, 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 &&
	                  strncmp(err, "MQTT_PASSWORD_FILE: ", 20) == 0 &&
	                  strstr(err, "pw") == NULL,
	          "MQTT_PASSWORD_FILE with MQTT_PASSWORD is refused");
	unsetenv("MQTT_PASSWORD");
	TAP_CHECK(load(&m, err, sizeof err) == 0, "MQTT_PASSWORD_FILE (0640) accepted");
	TAP_STREQ(m.password, "s3cret from file",
	          "MQTT_PASSWORD_FILE: the content, newline dropped");
	chmod(pwfile, 0644);
	TAP_CHECK(load(&m, err, sizeof err) == -1 &&
	                  strncmp(err, "MQTT_PASSWORD_FILE: ", 20) == 0 &&
	                  strstr(err, "other users") != NULL && strstr(err, "s3cret") == NULL,
	          "MQTT_PASSWORD_FILE readable by others is refused, not shown");
	pf = fopen(pwfile, "w");
	fclose(pf);
	chmod(pwfile, 0600);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strstr(err, "is empty") != NULL,
	          "an empty MQTT_PASSWORD_FILE is refused");
	unlink(pwfile);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strstr(err, "cannot read") != NULL,
	          "a missing MQTT_PASSWORD_FILE is refused");
	unsetenv("MQTT_PASSWORD_FILE");
	setenv("MQTT_PASSWORD", "pw", 1);

	unsetenv("MQTT_USERNAME");
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_PASSWORD: ", 15) == 0 &&
	                  strstr(err, "pw") == NULL,
	          "a password without a user name is refused, not shown");
	unsetenv("MQTT_PASSWORD");

	setenv("MQTT_TOPIC", "home/+/configs", 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_TOPIC: ", 12) == 0,
	          "a + wildcard topic is refused");
	setenv("MQTT_TOPIC", "home/#", 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_TOPIC: ", 12) == 0,
	          "a # wildcard topic is refused");
	unsetenv("MQTT_TOPIC");
	setenv("MQTT_CLIENT_ID", "has space", 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_CLIENT_ID: ", 16) == 0,
	          "a client id prefix with a space is refused");
	setenv("MQTT_CLIENT_ID",
	       "a123456789b123456789c123456789d123456789e123456789f123456789g12345", 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_CLIENT_ID: ", 16) == 0,
	          "a client id prefix over 64 characters is refused");
	unsetenv("MQTT_CLIENT_ID");

	char ca[600], notpem[600];
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(notpem, sizeof notpem, "%s/key.pem", dir);
	FILE *f = fopen(ca, "w");
	fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	f = fopen(notpem, "w");
	fputs("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", f);
	fclose(f);

	setenv("MQTT_CA_FILE", ca, 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_CA_FILE: ", 14) == 0 &&
	                  strstr(err, "not an mqtts://") != NULL,
	          "a CA file with mqtt:// is refused");
	setenv("MQTT_URL", "mqtts://broker", 1);
	TAP_CHECK(load(&m, err, sizeof err) == 0 && m.url.tls && strcmp(m.ca_file, ca) == 0,
	          "a readable PEM CA file with mqtts:// is taken");
	setenv("MQTT_CA_FILE", notpem, 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strstr(err, "holds no PEM certificate"),
	          "a file without a certificate is refused");
	setenv("MQTT_CA_FILE", dir, 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_CA_FILE: ", 14) == 0,
	          "a directory as CA file is refused");
	char missing[600];
	snprintf(missing, sizeof missing, "%s/missing.pem", dir);
	setenv("MQTT_CA_FILE", missing, 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strstr(err, "cannot read") != NULL,
	          "a missing CA file is refused");
	setenv("MQTT_URL", "mqtts://u:p@broker", 1);
	TAP_CHECK(load(&m, err, sizeof err) == -1 && strncmp(err, "MQTT_URL: ", 10) == 0,
	          "a bad MQTT_URL is refused before anything else");
	unlink(ca);
	unlink(notpem);
	clear_env();
}

/* Is id `head` followed by "-" and 8 lowercase hex digits, and nothing more? */
static bool
id_is(const char *id, const char *head)
{
	size_t n = strlen(head);
	if (strncmp(id, head, n) != 0 || id[n] != '-' || strlen(id + n + 1) != 8)
		return false;
	return strspn(id + n + 1, "0123456789abcdef") == 8;
}

/* The id a new process (a fork) makes for host "web" and pid 7, or "" on failure. */
static void
id_in_child(char *out, size_t outlen)
{
	out[0] = '\0';
	int p[2];
	if (pipe(p) != 0)
		return;
	fflush(stdout);
	pid_t kid = fork();
	if (kid == 0) {
		char id[MQTT_CLIENT_ID_MAX];
		mqtt_client_id("iotconfig", "web", 7, id, sizeof id);
		ssize_t w = write(p[1], id, strlen(id));
		_exit(w == (ssize_t)strlen(id) ? 0 : 1);
	}
	close(p[1]);
	ssize_t n = kid > 0 ? read(p[0], out, outlen - 1) : -1;
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (kid > 0)
		waitpid(kid, NULL, 0);
}

static void
test_client_id(void)
{
	char id[MQTT_CLIENT_ID_MAX];
	mqtt_client_id("iotconfig", "node-1.lan", 4242, id, sizeof id);
	TAP_CHECK(id_is(id, "iotconfig-node-1.lan-4242"),
	          "client id: prefix, host, pid, then 8 random hex digits");
	mqtt_client_id("p", "we ird/host", 1, id, sizeof id);
	TAP_CHECK(id_is(id, "p-we_ird_host-1"), "client id: unsafe host characters replaced");
	mqtt_client_id("p", "", 7, id, sizeof id);
	TAP_CHECK(id_is(id, "p-localhost-7"), "client id: no host name");
	char longest[MQTT_CLIENT_PREFIX_MAX + 1], host[300];
	memset(longest, 'p', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	memset(host, 'h', sizeof host - 1);
	host[sizeof host - 1] = '\0';
	mqtt_client_id(longest, host, 4194304, id, sizeof id);
	TAP_CHECK(strlen(id) == 64 + 1 + 64 + 1 + 7 + 1 + 8 && id[strlen(id) - 9] == '-',
	          "client id: the longest prefix, host name (cut at 64) and pid keep the random "
	          "part");
	char a[MQTT_CLIENT_ID_MAX], b[MQTT_CLIENT_ID_MAX];
	id_in_child(a, sizeof a);
	id_in_child(b, sizeof b);
	TAP_CHECK(id_is(a, "iotconfig-web-7") && id_is(b, "iotconfig-web-7") && strcmp(a, b) != 0,
	          "client id: two processes with the same host name and pid (two containers) "
	          "get different ids");
}

static void
test_payload(void)
{
	struct buf b;
	buf_init(&b);
	TAP_CHECK(mqtt_payload_build(&b, "aa-bb-cc-dd-ee-ff", "\"0123abcd\"") == 0 &&
	                  buf_append(&b, "", 1) == 0,
	          "save payload built");
	TAP_STREQ(b.data,
	          "{\"filename\":\"aa-bb-cc-dd-ee-ff.json\",\"mac_address\":\"aa-bb-cc-dd-ee-ff\","
	          "\"operation\":\"save\",\"etag\":\"\\\"0123abcd\\\"\"}",
	          "save payload: the exact JSON");
	b.len = 0;
	TAP_CHECK(mqtt_payload_build(&b, "01-02-03-04-05-06", NULL) == 0 &&
	                  buf_append(&b, "", 1) == 0,
	          "delete payload built");
	TAP_STREQ(b.data,
	          "{\"filename\":\"01-02-03-04-05-06.json\",\"mac_address\":\"01-02-03-04-05-06\","
	          "\"operation\":\"delete\",\"etag\":null}",
	          "delete payload: the exact JSON, etag null");
	buf_free(&b);
}

int
main(void)
{
	char dir[] = "/tmp/test_mqtt.XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 1;
	test_urls();
	test_load(dir);
	test_client_id();
	test_payload();
	rmdir(dir);
	return tap_done();
}
