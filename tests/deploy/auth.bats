#!/usr/bin/env bats
# tests/deploy/auth.bats: the shipped auth snippets, switched on the
# Debian way (lighttpd-enable-mod iotconfig-auth, a2enconf iotconfig-auth)
# over a `make install`: writes need credentials from the htpasswd file,
# reads, health checks and the checks (POST .../validate, which write
# nothing) do not, the responder logs who wrote, and the history names
# them (a restore needs credentials like any write).
# With the read snippets (iotconfig-read-auth) and with conf/lighttpd.conf's
# AUTH_USERS_FILE + AUTH_READS (`make run`, the Docker image), the list,
# the wrapped GET, the history, the documentation, the fetch notes, the
# checks and /metrics (unless AUTH_METRICS=false) need credentials too, while device
# fetches, health, preflights and the admin page's files stay open, and
# the log names the reader. With DEVICE_AUTH in the Debian lighttpd
# snippets, the device's secret reaches the responder past mod_auth.

bats_require_minimum_version 1.5.0
load servers
load device_auth

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

# The credentials the servers' start-up probe uses once reads need them.
export IOT_PROBE_AUTH='alice:s3cret word'

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

	# So do the checks, which write nothing (the page checks a config as it is typed).
	call POST "/api/configs/$mac/validate" -H 'Content-Type: application/json' --data-binary '{"deviceName":"check"}'
	assert_code 200
	assert_json .valid true
	call POST /api/schemas/none/validate -H 'Content-Type: application/json' --data-binary '1'
	assert_code 404
	assert_json .code '"RECORD_NOT_FOUND"'
	cmp "$file" "$DEB_ROOT/before.json"

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
	call POST "/api/configs/$mac/history/$rev/restore" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_code 401
	[ ! -e "$file" ]
	call POST "/api/configs/$mac/history/$rev/restore" "${auth[@]}" -H 'Content-Type: application/json' -H 'Content-Length: 0' -H 'X-Request-ID: auth-restore'
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

# Every check of read protection, through whichever server was started
# (with DEBUG on, so that each request is logged with its user).
check_reads_need_credentials() {
	local mac="$1" file="$CONFIG_DIR/$1.json" auth=(-u 'alice:s3cret word') p
	printf '{"deviceName":"porch","wifiPassword":"hunter2"}' >"$DEB_ROOT/secret.json"
	cp "$DEB_ROOT/secret.json" "$file"
	give_to_server "$file"

	# What devices and probes fetch needs nothing.
	call GET /api/health
	assert_code 200
	call GET "/api/configs/$mac.json"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$DEB_ROOT/secret.json"
	call GET "/esp32/config/$mac.json"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$DEB_ROOT/secret.json"
	call GET "/api/configs/${mac^^}.json"
	assert_code 200
	call OPTIONS "/api/configs/$mac"
	assert_code 204

	# Everything else is refused before the responder, without the secret.
	for p in /api/configs "/api/configs/$mac" "/api/configs/$mac/history" \
		/api/docs/openapi.json /api/docs/swagger/ /api/docs /api/configs/ "/api/configs/$mac?x=.json"; do
		call GET "$p"
		[ "$code" = 401 ] || { echo "GET $p: $code" >&2; false; }
		[[ "$(header WWW-Authenticate)" == 'Basic realm="iotconfig"'* ]]
		[[ "$body" != *hunter2* ]]
	done
	[ "$(curl -sI -o /dev/null -w '%{http_code}' "$BASE_URL/api/configs")" = 401 ]
	call GET /api/configs -u 'alice:wrong'
	assert_code 401
	# Dot segments are no way from an open path to a closed one.
	for p in "/api/configs/$mac/history/../../$mac.json" "/api/configs/$mac/history/%2e%2e/%2e%2e/$mac.json" \
		"/esp32/config/$mac.json/../../../api/configs" "/api/configs/$mac.json/.."; do
		call GET "$p"
		[[ "$body" != *'"revisions"'* && "$body" != *'"configs"'* && "$body" != *'"device_name"'* ]] ||
			{ echo "GET $p: $code $body" >&2; false; }
	done
	# The checks are reads: they need credentials too.
	for p in "/api/configs/$mac/validate" /api/schemas/none/validate; do
		call POST "$p" -H 'Content-Type: application/json' --data-binary '{}'
		[ "$code" = 401 ] || { echo "POST $p: $code" >&2; false; }
	done
	call POST "/api/configs/$mac/validate" "${auth[@]}" -H 'Content-Type: application/json' --data-binary '{}'
	assert_code 200
	# Writes on the open paths still need credentials.
	call PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary '{"v":"anon"}'
	assert_code 401
	cmp "$file" "$DEB_ROOT/secret.json"

	# With them, everything answers, and the log names the reader.
	call GET /api/configs "${auth[@]}" -H 'X-Request-ID: read-list'
	assert_code 200
	assert_json "[.configs[].mac_address | select(. == \"$mac\")]" "[\"$mac\"]"
	call GET "/api/configs/$mac" "${auth[@]}" -H 'X-Request-ID: read-one'
	assert_code 200
	assert_json .content.wifiPassword '"hunter2"'
	call GET "/api/configs/$mac/history" "${auth[@]}"
	assert_code 200
	call GET /api/docs/openapi.json "${auth[@]}"
	assert_code 200
	wait_for grep -q "read-list request method=GET route=/api/configs status=200 .*user=alice" "$SERVER_LOG"
	wait_for grep -q "read-one request method=GET route=/api/configs/{mac_address} status=200 .*user=alice" "$SERVER_LOG"
}

@test "lighttpd: with 52-iotconfig-read-auth enabled, the list, wrapped GET, history and docs need credentials; device routes and health do not" {
	require_mount_namespace
	# (Earlier tests enabled some already: lighttpd-enable-mod then exits 1.)
	in_debian_etc lighttpd-enable-mod iotconfig iotconfig-auth iotconfig-read-auth || true
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/51-iotconfig-auth.conf" ]
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/52-iotconfig-read-auth.conf" ]
	sed -i 's/"DEBUG"             => "false"/"DEBUG"             => "true"/' \
		"$DEB_ROOT/etc/lighttpd/conf-available/50-iotconfig.conf"
	debian_lighttpd_start
	check_reads_need_credentials aa-bb-cc-00-03-05
	metrics_need_credentials
}

@test "lighttpd: the Debian snippets with DEVICE_AUTH=per-device in 50-iotconfig.conf: the device's secret reaches the responder, admins keep their credentials" {
	require_mount_namespace
	in_debian_etc lighttpd-enable-mod iotconfig iotconfig-auth iotconfig-read-auth || true
	local conf="$DEB_ROOT/etc/lighttpd/conf-available/50-iotconfig.conf"
	cp "$conf" "$DEB_ROOT/50-iotconfig.conf.orig"
	sed -i 's/"DEVICE_AUTH"       => "off"/"DEVICE_AUTH"       => "per-device"/' "$conf"
	grep -q '"DEVICE_AUTH"       => "per-device"' "$conf"
	debian_lighttpd_start
	da_check_per_device aa-bb-cc-00-03-21
	cp "$DEB_ROOT/50-iotconfig.conf.orig" "$conf"
}

@test "Apache: with iotconfig-read-auth enabled, the list, wrapped GET, history and docs need credentials; device routes and health do not" {
	local shm="$DEB_ROOT/shm"
	mkdir -p "$shm"
	give_to_server "$shm"
	run env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" a2enconf iotconfig iotconfig-auth iotconfig-read-auth
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	APACHE_ROOT="$DEB_ROOT/etc/apache2" apache_start fcgid METRICS_FILE="$shm/metrics" DEBUG=true
	check_reads_need_credentials aa-bb-cc-00-03-06
	metrics_need_credentials
	# Writes as before: credentials needed, and the history names the writer.
	check_writes_need_credentials_only aa-bb-cc-00-03-06
}

@test "Apache: iotconfig-read-auth alone (plain CGI) protects reads and writes the same way" {
	local shm="$DEB_ROOT/shm"
	mkdir -p "$shm"
	give_to_server "$shm"
	env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" a2disconf iotconfig-auth || true
	env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" a2enconf iotconfig iotconfig-read-auth
	[ ! -e "$DEB_ROOT/etc/apache2/conf-enabled/iotconfig-auth.conf" ]
	APACHE_ROOT="$DEB_ROOT/etc/apache2" apache_start cgid METRICS_FILE="$shm/metrics" DEBUG=true
	check_reads_need_credentials aa-bb-cc-00-03-07
	check_writes_need_credentials_only aa-bb-cc-00-03-07
}

# With reads protected, /metrics (which names every device that fetched)
# and the fetch notes need credentials too.
metrics_need_credentials() {
	local p
	for p in /metrics /api/fetches /api/configs/aa-bb-cc-00-03-05/fetch; do
		call GET "$p"
		[ "$code" = 401 ] || { echo "GET $p: $code" >&2; false; }
	done
	call GET /metrics -u 'alice:s3cret word'
	assert_code 200
	[[ "$body" == *iot_config_http_requests_total* ]]
}

# With reads protected: a write without credentials is refused, with them it is made.
check_writes_need_credentials_only() {
	local mac="$1" file="$CONFIG_DIR/$1.json"
	call PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"anon"}}'
	assert_code 401
	call DELETE "/api/configs/$mac"
	assert_code 401
	[ -e "$file" ]
	call PUT "/api/configs/$mac" -u 'alice:s3cret word' -H 'X-Request-ID: rw-put' -H 'Content-Type: application/json' --data-binary '{"content":{"v":"alice"}}'
	assert_code 200
	[ "$(jq -c . "$file")" = '{"v":"alice"}' ]
	wait_for grep -q "rw-put config saved mac=$mac .*user=alice" "$SERVER_LOG"
}

@test "conf/lighttpd.conf (make run, the image): AUTH_USERS_FILE + AUTH_READS protect reads and /metrics; device routes, health and the page's files stay open" {
	iot_start AUTH_USERS_FILE="$DEB_ROOT/etc/lighttpd/iotconfig.htpasswd" AUTH_READS=true DEBUG=true
	export SERVER_LOG="$LIGHTTPD_LOG"
	run ! grep -q 'no AUTH_USERS_FILE' "$LIGHTTPD_LOG"
	check_reads_need_credentials aa-bb-cc-00-03-08
	check_writes_need_credentials_only aa-bb-cc-00-03-08
	metrics_need_credentials
	# The admin page's own files reach the responder without credentials.
	for p in / /ui/ /ui/app.js; do
		call GET "$p"
		[ "$code" != 401 ] || { echo "GET $p: 401" >&2; false; }
	done
}

@test "conf/lighttpd.conf: AUTH_METRICS=true protects /metrics like the default; AUTH_METRICS=false opens it alone" {
	iot_start AUTH_USERS_FILE="$DEB_ROOT/etc/lighttpd/iotconfig.htpasswd" AUTH_READS=true AUTH_METRICS=true
	metrics_need_credentials
	call GET /api/health
	assert_code 200
	iot_stop
	iot_start AUTH_USERS_FILE="$DEB_ROOT/etc/lighttpd/iotconfig.htpasswd" AUTH_READS=true AUTH_METRICS=false
	call GET /metrics
	assert_code 200
	[[ "$body" == *iot_config_http_requests_total* ]]
	call GET /api/fetches
	assert_code 401
}

@test "conf/lighttpd.conf: AUTH_USERS_FILE alone protects writes only; without it lighttpd warns at start" {
	iot_start AUTH_USERS_FILE="$DEB_ROOT/etc/lighttpd/iotconfig.htpasswd"
	call GET /api/configs
	assert_code 200
	call PUT /api/configs/aa-bb-cc-00-03-09 -H 'Content-Type: application/json' --data-binary '{"content":{}}'
	assert_code 401
	call POST /api/configs/aa-bb-cc-00-03-09/validate -H 'Content-Type: application/json' --data-binary '{}'
	assert_code 200
	call POST /api/configs/aa-bb-cc-00-03-09/history/0000000001-00000000/restore -H 'Content-Type: application/json' --data-binary ''
	assert_code 401
	run ! grep -q 'no AUTH_USERS_FILE' "$LIGHTTPD_LOG"
	iot_stop
	IOT_PROBE_AUTH= iot_start
	grep -q 'WARN - no AUTH_USERS_FILE: anyone who can reach 127.0.0.1:'"$IOT_PORT"' can read and change every config' "$LIGHTTPD_LOG"
}

@test "conf/lighttpd.conf: AUTH_READS=true without AUTH_USERS_FILE, a relative file or a bad boolean stop lighttpd with the reason" {
	local kv
	for kv in "AUTH_READS=true|AUTH_READS=true needs AUTH_USERS_FILE" \
		"AUTH_USERS_FILE=relative/file|AUTH_USERS_FILE: 'relative/file' is not an absolute path" \
		"AUTH_USERS_FILE=/nonexistent/htpasswd|AUTH_USERS_FILE: '/nonexistent/htpasswd' is not a readable file" \
		"AUTH_READS=yes|AUTH_READS: 'yes' is not true or false"; do
		run env IOTCONFIG_CONF_DIR="$IOT_ROOT/conf" AUTH_USERS_FILE= AUTH_READS=false AUTH_METRICS=false \
			"${kv%%|*}" HOST=127.0.0.1 PORT=1 lighttpd -tt -f "$IOT_ROOT/conf/lighttpd.conf"
		[ "$status" -ne 0 ]
		[[ "$output" == *"iotconfig: ${kv#*|}"* ]] || { echo "$output" >&2; false; }
	done
}
