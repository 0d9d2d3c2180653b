#!/usr/bin/env bats
# tests/deploy/auth.bats: the shipped write-auth snippets, switched on the
# Debian way (lighttpd-enable-mod iotconfig-auth, a2enconf iotconfig-auth)
# over a `make install`: writes need credentials from the htpasswd file,
# reads and health checks do not, the responder logs who wrote, and the
# history names them (a restore needs credentials like any write).

load servers

setup_file() {
	debian_install
	local f
	for f in lighttpd/iotconfig.htpasswd apache2/iotconfig.htpasswd; do
		htpasswd -cbB "$DEB_ROOT/etc/$f" alice 's3cret word' 2>/dev/null
		chmod 640 "$DEB_ROOT/etc/$f"
		if [ "$(id -u)" = 0 ]; then chgrp www-data "$DEB_ROOT/etc/$f"; fi
	done
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	deploy_cleanup_dirs
}

# Every check, through whichever server was started.
check_writes_need_credentials() {
	local mac="$1" file="$CONFIG_DIR/$1.json" auth=(-u 'alice:s3cret word')
	printf '{"deviceName":"before"}' >"$DEB_ROOT/before.json"
	cp "$DEB_ROOT/before.json" "$file"
	give_to_server "$file"

	# Reads, health, metrics and preflights need nothing.
	call GET /api/health
	assert_code 200
	call GET "/api/configs/$mac.json"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$DEB_ROOT/before.json"
	call GET "/esp32/config/$mac.json"
	assert_code 200
	call GET "/api/configs/$mac"
	assert_json .device_name '"before"'
	call GET /metrics
	assert_code 200
	call OPTIONS "/api/configs/$mac"
	assert_code 204
	# So does the web page, which then asks for them on its first write.
	call GET /
	assert_code 302
	call GET /ui/
	assert_code 200
	v="$(grep -o 'src="[0-9a-f]*/app.js"' "$IOT_TMP/last.body" | cut -d'"' -f2)"
	call GET "/ui/$v"
	assert_code 200

	# Writes without (valid) credentials are refused before the responder.
	call PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"anon"}}'
	assert_code 401
	[[ "$(header WWW-Authenticate)" == 'Basic realm="iotconfig"'* ]]
	call PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary '{"v":"anon"}'
	assert_code 401
	call DELETE "/api/configs/$mac"
	assert_code 401
	call PUT "/api/configs/$mac" -u 'alice:wrong' -H 'Content-Type: application/json' --data-binary '{"content":{"v":"guess"}}'
	assert_code 401
	# Other spellings of the same path are no way around it.
	call PUT "/%61pi/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"enc"}}'
	[ "$code" = 401 ] || [ "$code" = 404 ]
	call PUT "/api//configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"slash"}}'
	[ "$code" = 401 ] || [ "$code" = 404 ]
	cmp "$file" "$DEB_ROOT/before.json"

	# With them, the write happens and the log names the user.
	call PUT "/api/configs/$mac" "${auth[@]}" -H 'X-Request-ID: auth-put' -H 'Content-Type: application/json' --data-binary '{"content":{"v":"alice"}}'
	assert_code 200
	[ "$(jq -c . "$file")" = '{"v":"alice"}' ]
	wait_for grep -q "auth-put config saved mac=$mac .*user=alice" "$SERVER_LOG"
	call DELETE "/api/configs/$mac" "${auth[@]}" -H 'X-Request-ID: auth-delete'
	assert_code 204
	[ ! -e "$file" ]
	wait_for grep -q "auth-delete config deleted mac=$mac user=alice" "$SERVER_LOG"

	# The history names who replaced each version; a restore needs credentials too.
	call GET "/api/configs/$mac/history"
	assert_code 200
	assert_json '[.revisions[] | [.replaced_by, .replaced_by_operation]]' '[["alice","delete"],["alice","save"]]'
	local rev
	rev="$(jq -r '.revisions[0].revision' <<<"$body")"
	call POST "/api/configs/$mac/history/$rev/restore" -H 'Content-Length: 0'
	assert_code 401
	[ ! -e "$file" ]
	call POST "/api/configs/$mac/history/$rev/restore" "${auth[@]}" -H 'Content-Length: 0' -H 'X-Request-ID: auth-restore'
	assert_code 200
	[ "$(jq -c . "$file")" = '{"v":"alice"}' ]
	wait_for grep -q "auth-restore config restored mac=$mac revision=$rev .*user=alice" "$SERVER_LOG"
}

@test "lighttpd: with 51-iotconfig-auth enabled, PUT and DELETE need credentials, reads do not, and writes log the user" {
	require_mount_namespace
	run in_debian_etc lighttpd-enable-mod iotconfig iotconfig-auth
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	debian_lighttpd_start
	check_writes_need_credentials aa-bb-cc-00-03-01
}

@test "lighttpd: without the auth snippet enabled, writes need no credentials and log no user" {
	require_mount_namespace
	run in_debian_etc lighttpd-disable-mod iotconfig-auth
	in_debian_etc lighttpd-enable-mod iotconfig || true
	[ ! -e "$DEB_ROOT/etc/lighttpd/conf-enabled/51-iotconfig-auth.conf" ]
	debian_lighttpd_start
	call PUT /api/configs/aa-bb-cc-00-03-02 -H 'X-Request-ID: open-put' -H 'Content-Type: application/json' --data-binary '{"content":{}}'
	assert_code 200
	wait_for grep -q "open-put config saved mac=aa-bb-cc-00-03-02 .*user=-" "$SERVER_LOG"
}

@test "Apache: with iotconfig-auth enabled, PUT and DELETE need credentials, reads do not, and writes log the user" {
	local shm="$DEB_ROOT/shm"
	mkdir -p "$shm"
	give_to_server "$shm"
	run env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" a2enconf iotconfig iotconfig-auth
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	APACHE_ROOT="$DEB_ROOT/etc/apache2" apache_start fcgid METRICS_FILE="$shm/metrics"
	check_writes_need_credentials aa-bb-cc-00-03-03
}

@test "Apache: the same holds when the responder runs as plain CGI (mod_cgid)" {
	local shm="$DEB_ROOT/shm"
	mkdir -p "$shm"
	give_to_server "$shm"
	env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" a2enconf iotconfig iotconfig-auth
	APACHE_ROOT="$DEB_ROOT/etc/apache2" apache_start cgid METRICS_FILE="$shm/metrics"
	check_writes_need_credentials aa-bb-cc-00-03-04
}
