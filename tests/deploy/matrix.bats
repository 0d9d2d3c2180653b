#!/usr/bin/env bats
# tests/deploy/matrix.bats: the same matrix (tests/deploy/matrix.bash) of
# protected reads and writes, with and without credentials, right and
# wrong password, raw and percent-encoded control bytes in every protected
# path, and the web server's own defences, against every configuration
# shipped: conf/lighttpd.conf (make run), conf/lighttpd-cgi.conf, the
# Debian lighttpd snippets and the Apache ones (mod_fcgid and plain CGI)
# over a `make install`. One server per configuration; the FastCGI
# servers start under umask 000, and their sockets still refuse another
# user. (The image runs the same matrix in tests/image/image.bats.)

bats_require_minimum_version 1.5.0
load servers
load matrix

setup_file() {
	debian_install
	local f
	for f in lighttpd/iotconfig.htpasswd apache2/iotconfig.htpasswd; do
		htpasswd -cbB "$DEB_ROOT/etc/$f" alice 's3cret word' 2>/dev/null
		chmod 640 "$DEB_ROOT/etc/$f"
		if [ "$(id -u)" = 0 ]; then chgrp www-data "$DEB_ROOT/etc/$f"; fi
	done
	# Another user must be able to reach the servers' directories for the
	# socket checks to mean anything (bats makes its own 0700).
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_FILE_TMPDIR"
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	deploy_cleanup_dirs
}

export IOT_PROBE_AUTH='alice:s3cret word'

# The whole matrix through whichever server was started.
matrix_all() {
	matrix_reads_and_writes "$1"
	matrix_path_bytes "$1"
	matrix_server_defences
}

@test "conf/lighttpd.conf (make run): reads and writes need the right password, no byte gets past it, defences on, sockets private under umask 000" {
	umask 000
	iot_start AUTH_USERS_FILE="$DEB_ROOT/etc/lighttpd/iotconfig.htpasswd" AUTH_READS=true
	umask 022
	matrix_all aa-bb-cc-00-21-01
	[ "$(stat -c %a "$IOT_TMP/run")" = 700 ]
	matrix_sockets_private "$IOT_TMP/run"
}

@test "conf/lighttpd-cgi.conf: the same environment protects the same reads and writes" {
	IOT_LIGHTTPD_CONF="$IOT_ROOT/conf/lighttpd-cgi.conf" iot_start \
		AUTH_USERS_FILE="$DEB_ROOT/etc/lighttpd/iotconfig.htpasswd" AUTH_READS=true
	matrix_all aa-bb-cc-00-21-02
}

@test "Debian lighttpd snippets (iotconfig, -auth, -read-auth): the same, sockets private under umask 000" {
	require_mount_namespace
	in_debian_etc lighttpd-enable-mod iotconfig iotconfig-auth iotconfig-read-auth || true
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/52-iotconfig-read-auth.conf" ]
	umask 000
	debian_lighttpd_start
	umask 022
	MATRIX_NO_401_HEADERS=1 matrix_all aa-bb-cc-00-21-03
	[ "$(stat -c %a "$DEB_ROOT/run/lighttpd/iotconfig")" = 700 ]
	matrix_sockets_private "$DEB_ROOT/run/lighttpd"
}

@test "Apache snippets (iotconfig, -read-auth) under mod_fcgid: the same" {
	mkdir -p "$DEB_ROOT/shm"
	give_to_server "$DEB_ROOT/shm"
	env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" \
		a2enconf iotconfig iotconfig-auth iotconfig-read-auth >/dev/null
	APACHE_ROOT="$DEB_ROOT/etc/apache2" apache_start fcgid METRICS_FILE="$DEB_ROOT/shm/metrics"
	matrix_all aa-bb-cc-00-21-04
}

@test "Apache snippets under plain CGI (mod_cgid): the same" {
	mkdir -p "$DEB_ROOT/shm"
	give_to_server "$DEB_ROOT/shm"
	env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" \
		a2enconf iotconfig iotconfig-auth iotconfig-read-auth >/dev/null
	APACHE_ROOT="$DEB_ROOT/etc/apache2" apache_start cgid METRICS_FILE="$DEB_ROOT/shm/metrics"
	matrix_all aa-bb-cc-00-21-05
}

@test "conf/lighttpd.conf: connections holding unfinished headers keep a device from its config only until lighttpd drops them (10 s idle), not for as long as they are held" {
	# The shipped file with fewer connection slots (max-fds / 3), so that a
	# few dozen connections fill them, as thousands do by default.
	local conf="$BATS_TEST_TMPDIR/lighttpd.conf"
	printf 'include "%s"\nserver.max-fds = 96\n' "$IOT_ROOT/conf/lighttpd.conf" >"$conf"
	IOT_PROBE_AUTH= IOT_LIGHTTPD_CONF="$conf" iot_start
	printf '{"v":1}' >"$CONFIG_DIR/aa-bb-cc-00-21-06.json"
	python3 -c '
import socket, sys, time
held = []
for _ in range(60):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        held.append(s)
    except OSError:
        pass
print(len(held), flush=True)
time.sleep(60)
' "$IOT_PORT" >"$BATS_TEST_TMPDIR/held" 2>&1 3>&- &
	local holder start
	holder="$(proc_id $!)"
	wait_for grep -q . "$BATS_TEST_TMPDIR/held"
	[ "$(cat "$BATS_TEST_TMPDIR/held")" -ge 40 ]
	start=$SECONDS
	run curl -s --max-time 40 -o /dev/null -w "%{http_code}" "$BASE_URL/api/configs/aa-bb-cc-00-21-06.json"
	proc_stop "$holder" || true
	[ "$output" = 200 ] || { echo "device fetch: $output after $((SECONDS - start)) s" >&2; false; }
	[ $((SECONDS - start)) -le 25 ] || { echo "device fetch took $((SECONDS - start)) s" >&2; false; }
}
