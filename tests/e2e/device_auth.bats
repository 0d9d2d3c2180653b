#!/usr/bin/env bats
# tests/e2e/device_auth.bats: device secrets (DEVICE_AUTH) under lighttpd
# with conf/lighttpd.conf, as `make run` and the image serve it: admin
# credentials for admin routes (AUTH_USERS_FILE, AUTH_READS=true), device
# secrets for device routes. Making, showing, rotating and revoking a
# secret; Basic (the MAC in any form as user, as esp_http_client sends
# it) and Bearer on both device paths; right, wrong, revoked and rotated
# secrets, with the overlap and its end; the same 401 whether a MAC has a
# config, a secret, or neither; guessing slowed per MAC and client
# without locking the device out, logged once; the metrics; the secret
# nowhere on disk or in the log; two instances on one directory; admin
# routes refused (403) without the web server's credentials, and the two
# kinds of credentials never taken for each other; fetch notes only from
# the device's own authenticated fetches, and saying so. The other web servers
# and CGI: tests/deploy/device_auth.bats.

load helpers
load fsfault
load ../checkin/checkin

ADMIN_USER=alice
ADMIN_PASS='s3cret word'

setup_file() {
	export HTPASSWD="$BATS_FILE_TMPDIR/htpasswd"
	htpasswd -cbB "$HTPASSWD" "$ADMIN_USER" "$ADMIN_PASS" 2>/dev/null
	export IOT_PROBE_AUTH="$ADMIN_USER:$ADMIN_PASS"
	iot_start_file DEVICE_AUTH=per-device AUTH_USERS_FILE="$HTPASSWD" AUTH_READS=true DEBUG=true
	export FILE_BASE_URL="$BASE_URL" FILE_CONFIG_DIR="$CONFIG_DIR" FILE_LOG="$LIGHTTPD_LOG"
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

admin() { # admin METHOD PATH [curl args]: a call with the web server's credentials
	local method="$1" path="$2"
	shift 2
	call "$method" "$path" -u "$ADMIN_USER:$ADMIN_PASS" "$@"
}

seed() { # seed MAC TEXT: the config's exact bytes, through the admin raw PUT
	admin PUT "/api/configs/$1.json" -H 'Content-Type: application/json' --data-binary "$2"
	assert_code 200
}

new_secret() { # new_secret MAC: POSTs, checks the answer, prints the secret
	admin POST "/api/configs/$1/credential" -H 'Content-Type: application/json' --data-binary ''
	assert_code 201 >&2 || return 1
	[ "$(header Cache-Control)" = no-store ] || { echo "Cache-Control: $(header Cache-Control)" >&2; return 1; }
	printf '%s' "$body" | jq -er .secret
}

basic() { # basic USER SECRET: curl args for HTTP Basic with exactly these bytes
	printf '%s\n' -H "Authorization: Basic $(printf '%s:%s' "$1" "$2" | base64 -w0)"
}

device() { # device MAC PATH_PREFIX [curl args]: a device's GET of its config
	local mac="$1" prefix="$2"
	shift 2
	call GET "$prefix/$mac.json" "$@"
}

credential() { # credential MAC: GET of what the service shows about the secret
	admin GET "/api/configs/$1/credential"
}

# in_use MAC WHICH: the credential says the device uses WHICH ("current", "previous").
in_use() {
	curl -sf -u "$ADMIN_USER:$ADMIN_PASS" "$BASE_URL/api/configs/$1/credential" |
		jq -e --arg w "$2" '.in_use == $w' >/dev/null
}

# Waits until the clock is at least 15 s from the end of a minute, so that
# a test counting failures within one window (authlimit.h) is not cut in two.
away_from_window_end() {
	while [ $(($(date +%s) % 60)) -ge 45 ]; do sleep 1; done
}

@test "a device without a secret stays open in per-device mode; one with a secret needs it (401, WWW-Authenticate)" {
	seed aa-da-00-00-00-01 '{"deviceName":"porch","wifiPassword":"hunter2"}'
	device aa-da-00-00-00-01 /api/configs
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-da-00-00-00-01.json"

	secret="$(new_secret aa-da-00-00-00-01)"
	[[ "$secret" =~ ^[A-Za-z0-9_-]{32}$ ]]
	for prefix in /api/configs /esp32/config; do
		device aa-da-00-00-00-01 "$prefix"
		assert_error 401 UNAUTHORIZED
		[[ "$body" != *hunter2* ]]
		[ "$(header WWW-Authenticate)" = 'Basic realm="iotconfig devices", charset="UTF-8", Bearer realm="iotconfig devices"' ]
		[ "$(grep -ci '^WWW-Authenticate:' "$hdrs")" = 1 ]
	done
	# HEAD is refused the same way, without a body.
	call HEAD /api/configs/aa-da-00-00-00-01.json -I
	assert_code 401
	# Other devices stay open.
	seed aa-da-00-00-00-02 '{"deviceName":"hall"}'
	device aa-da-00-00-00-02 /esp32/config
	assert_code 200
}

@test "Basic with the MAC in any accepted form, and Bearer, fetch the exact bytes on both paths" {
	seed aa-da-00-00-00-03 '{"deviceName":"shed","wifiPassword":"pw3"}'
	secret="$(new_secret aa-da-00-00-00-03)"
	local user prefix
	for user in AA:DA:00:00:00:03 aa-da-00-00-00-03 Aa:dA:00:00:00:03; do
		for prefix in /api/configs /esp32/config; do
			mapfile -t auth < <(basic "$user" "$secret")
			device aa-da-00-00-00-03 "$prefix" "${auth[@]}"
			assert_code 200
			cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-da-00-00-00-03.json"
		done
	done
	# curl's -u, as a person types it (the colons of the MAC included).
	device aa-da-00-00-00-03 /api/configs -u "AA:DA:00:00:00:03:$secret"
	assert_code 200
	device aa-da-00-00-00-03 /esp32/config -H "Authorization: Bearer $secret"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-da-00-00-00-03.json"
	# A conditional poll works as before once authenticated.
	etag="$(header ETag)"
	device aa-da-00-00-00-03 /api/configs -H "Authorization: Bearer $secret" -H "If-None-Match: $etag"
	assert_code 304
	call HEAD /api/configs/aa-da-00-00-00-03.json -I -H "Authorization: Bearer $secret"
	assert_code 200
}

@test "wrong secrets, another device's name, admin credentials and broken headers are all 401" {
	seed aa-da-00-00-00-04 '{"wifiPassword":"pw4"}'
	seed aa-da-00-00-00-05 '{"wifiPassword":"pw5"}'
	secret4="$(new_secret aa-da-00-00-00-04)"
	secret5="$(new_secret aa-da-00-00-00-05)"
	local -a tries=(
		"Authorization: Bearer ${secret4}x"
		"Authorization: Bearer ${secret5}"
		"Authorization: Basic $(printf 'aa-da-00-00-00-05:%s' "$secret4" | base64 -w0)"
		"Authorization: Basic $(printf 'aa-da-00-00-00-05:%s' "$secret5" | base64 -w0)"
		"Authorization: Basic $(printf '%s:%s' "$ADMIN_USER" "$ADMIN_PASS" | base64 -w0)"
		"Authorization: Basic $(printf '%s' "$secret4" | base64 -w0)"
		"Authorization: Digest username=\"aa-da-00-00-00-04\""
		"Authorization: Bearer"
		"Authorization: $secret4"
	)
	local h
	for h in "${tries[@]}"; do
		device aa-da-00-00-00-04 /api/configs -H "$h"
		[ "$code" = 401 ] || { echo "$h: $code" >&2; false; }
		[[ "$body" != *pw4* ]]
	done
	device aa-da-00-00-00-04 /api/configs -H "Authorization: Bearer $secret4"
	assert_code 200
}

@test "rotation: the old secret works until the device first uses the new one; the API says which one it uses" {
	seed aa-da-00-00-00-06 '{"v":6}'
	s1="$(new_secret aa-da-00-00-00-06)"
	credential aa-da-00-00-00-06
	assert_code 200
	assert_json '[.in_use, .rotation_pending, .last_used_at]' '[null,false,null]'
	[[ "$body" != *"$s1"* && "$body" != *secret* ]]
	device aa-da-00-00-00-06 /api/configs -H "Authorization: Bearer $s1"
	assert_code 200
	wait_for in_use aa-da-00-00-00-06 current
	credential aa-da-00-00-00-06
	assert_json .last_used_from '"127.0.0.1"'

	s2="$(new_secret aa-da-00-00-00-06)"
	[ "$s2" != "$s1" ]
	credential aa-da-00-00-00-06
	assert_json '[.in_use, .rotation_pending]' '["previous",true]'
	until_s="$(date -d "$(jq -r .previous_valid_until <<<"$body")" +%s)"
	created_s="$(date -d "$(jq -r .created_at <<<"$body")" +%s)"
	[ $((until_s - created_s)) = 604800 ]
	# Both work while the device has not used the new one...
	device aa-da-00-00-00-06 /api/configs -H "Authorization: Bearer $s1"
	assert_code 200
	device aa-da-00-00-00-06 /esp32/config -u "aa-da-00-00-00-06:$s2"
	assert_code 200
	# ...and its first use of the new one ends the old one.
	wait_for in_use aa-da-00-00-00-06 current
	credential aa-da-00-00-00-06
	assert_json '[.in_use, .rotation_pending, .previous_valid_until]' '["current",false,null]'
	device aa-da-00-00-00-06 /api/configs -H "Authorization: Bearer $s1"
	assert_error 401 UNAUTHORIZED
	device aa-da-00-00-00-06 /api/configs -H "Authorization: Bearer $s2"
	assert_code 200
}

@test "rotation: the old secret stops when the overlap ends, even if the device never used the new one" {
	seed aa-da-00-00-00-07 '{"v":7}'
	s1="$(new_secret aa-da-00-00-00-07)"
	s2="$(new_secret aa-da-00-00-00-07)"
	device aa-da-00-00-00-07 /api/configs -H "Authorization: Bearer $s1"
	assert_code 200
	# The overlap ends: its end, in the file, moved to a second ago.
	f="$CONFIG_DIR/.credentials/aa-da-00-00-00-07"
	past=$(($(date +%s) - 1))
	sed -i "s/^\(previous [0-9]* [0-9a-f]* [0-9a-f]*\) [0-9]*$/\1 $past/" "$f"
	grep -q "^previous .* $past\$" "$f"
	device aa-da-00-00-00-07 /api/configs -H "Authorization: Bearer $s1"
	assert_error 401 UNAUTHORIZED
	device aa-da-00-00-00-07 /api/configs -H "Authorization: Bearer $s2"
	assert_code 200
	credential aa-da-00-00-00-07
	assert_json .rotation_pending false
}

@test "revoking: the device is open again in per-device mode, and GET/DELETE of no secret are 404" {
	seed aa-da-00-00-00-08 '{"v":8}'
	secret="$(new_secret aa-da-00-00-00-08)"
	admin DELETE /api/configs/aa-da-00-00-00-08/credential
	assert_code 204
	[ ! -e "$CONFIG_DIR/.credentials/aa-da-00-00-00-08" ]
	device aa-da-00-00-00-08 /api/configs
	assert_code 200
	credential aa-da-00-00-00-08
	assert_error 404 RECORD_NOT_FOUND
	admin DELETE /api/configs/aa-da-00-00-00-08/credential
	assert_error 404 RECORD_NOT_FOUND
	admin GET /api/credentials
	assert_code 200
	assert_json '.mode' '"per-device"'
	assert_json '[.credentials[].mac_address | select(. == "aa-da-00-00-00-08")]' '[]'
}

@test "the list of secrets shows the mode and each device's state, never a secret or a hash" {
	seed aa-da-00-00-00-09 '{"v":9}'
	secret="$(new_secret aa-da-00-00-00-09)"
	admin GET /api/credentials
	assert_code 200
	assert_json '.mode' '"per-device"'
	assert_json .overlap_seconds 604800
	assert_json '.count == (.credentials | length)' true
	assert_json '.credentials | map(.mac_address) | . == sort' true
	assert_json '.credentials[] | select(.mac_address == "aa-da-00-00-00-09") | keys' \
		'["created_at","in_use","last_used_at","last_used_from","mac_address","previous_created_at","previous_valid_until","rotation_pending"]'
	[[ "$body" != *"$secret"* ]]
	hash="$(awk '$1 == "current" { print $4 }' "$CONFIG_DIR/.credentials/aa-da-00-00-00-09")"
	[ ${#hash} = 64 ]
	[[ "$body" != *"$hash"* ]]
	# Never in the config list, nor as a config.
	admin GET /api/configs
	[[ "$body" != *credential* ]]
	assert_json '[.configs[].mac_address | select(. == "aa-da-00-00-00-09")] | length' 1
}

@test "admins read every config's exact bytes through /file, whatever the device's secret" {
	seed aa-da-00-00-00-0a '{ "spaced" :  "as stored" }'
	new_secret aa-da-00-00-00-0a >/dev/null
	admin GET /api/configs/aa-da-00-00-00-0a/file
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-da-00-00-00-0a.json"
	[[ "$(header ETag)" =~ ^\"[0-9a-f]{32}\"$ ]]
	# Without the web server's credentials it is a read like the list: refused.
	call GET /api/configs/aa-da-00-00-00-0a/file
	assert_code 401
	[[ "$(header WWW-Authenticate)" == 'Basic realm="iotconfig"'* ]]
	[[ "$body" != *spaced* ]]
	# The admin's reads are not noted as the device's fetches.
	admin GET /api/configs/aa-da-00-00-00-0a/fetch
	assert_code 404
}

@test "the secret is nowhere on disk or in the log in clear, and the files are private" {
	seed aa-da-00-00-00-0b '{"v":11}'
	secret="$(new_secret aa-da-00-00-00-0b)"
	device aa-da-00-00-00-0b /api/configs -u "AA:DA:00:00:00:0B:$secret"
	assert_code 200
	device aa-da-00-00-00-0b /esp32/config -H "Authorization: Bearer $secret"
	assert_code 200
	device aa-da-00-00-00-0b /api/configs -H "Authorization: Bearer ${secret}x"
	assert_code 401
	wait_for in_use aa-da-00-00-00-0b current
	pair="$(printf 'AA:DA:00:00:00:0B:%s' "$secret" | base64 -w0)"
	run grep -rlF -e "$secret" -e "$pair" "$CONFIG_DIR" "$LIGHTTPD_LOG"
	[ "$status" = 1 ] || { echo "found in: $output" >&2; false; }
	[ "$(stat -c %a "$CONFIG_DIR/.credentials")" = 700 ]
	[ "$(stat -c %a "$CONFIG_DIR/.credentials/aa-da-00-00-00-0b")" = 600 ]
	# The log says who made it, not what it is.
	grep -q "device secret created mac=aa-da-00-00-00-0b user=$ADMIN_USER" "$LIGHTTPD_LOG"
	# A directory opened up by hand (or restored so) is private again once
	# a secret is written.
	chmod 0755 "$CONFIG_DIR/.credentials"
	new_secret aa-da-00-00-00-0b >/dev/null
	[ "$(stat -c %a "$CONFIG_DIR/.credentials")" = 700 ]
}

@test "wrong secrets are slowed per MAC and client (429); the device itself, from its own address, goes on" {
	seed aa-da-00-00-00-0c '{"v":12}'
	secret="$(new_secret aa-da-00-00-00-0c)"
	away_from_window_end
	local i
	for i in $(seq 1 10); do
		device aa-da-00-00-00-0c /api/configs --interface 127.0.0.2 -H "Authorization: Bearer wrong$i"
		[ "$code" = 401 ] || { echo "attempt $i: $code" >&2; false; }
	done
	# Refused unchecked now, the right secret too, until the minute ends.
	device aa-da-00-00-00-0c /api/configs --interface 127.0.0.2 -H "Authorization: Bearer $secret"
	assert_error 429 TOO_MANY_REQUESTS
	retry="$(header Retry-After)"
	[ "$retry" -ge 1 ] && [ "$retry" -le 60 ]
	# Another MAC from that client, and the device from its own address, are not.
	device aa-da-00-00-00-0c /api/configs -H "Authorization: Bearer $secret"
	assert_code 200
	device aa-da-00-00-00-0d /api/configs --interface 127.0.0.2
	assert_code 404
	# One log line for the lot, naming MAC and client, never a secret.
	[ "$(grep -c 'device authentication failed mac=aa-da-00-00-00-0c client=127.0.0.2 ' "$LIGHTTPD_LOG")" = 1 ]
	run grep -F "wrong1" "$LIGHTTPD_LOG"
	[ "$status" = 1 ]
}

@test "iot_device_auth_total counts each result" {
	seed aa-da-00-00-00-0e '{"v":14}'
	local before after
	before="$(curl -sf -u "$ADMIN_USER:$ADMIN_PASS" "$BASE_URL/metrics" | grep '^iot_device_auth_total')"
	device aa-da-00-00-00-0e /api/configs
	secret="$(new_secret aa-da-00-00-00-0e)"
	device aa-da-00-00-00-0e /api/configs
	device aa-da-00-00-00-0e /api/configs -H 'Authorization: Bearer nope'
	device aa-da-00-00-00-0e /api/configs -H "Authorization: Bearer $secret"
	after="$(curl -sf -u "$ADMIN_USER:$ADMIN_PASS" "$BASE_URL/metrics" | grep '^iot_device_auth_total')"
	delta() { # delta RESULT
		local b a
		b="$(awk -v k="iot_device_auth_total{result=\"$1\"}" '$1 == k { print $2 }' <<<"$before")"
		a="$(awk -v k="iot_device_auth_total{result=\"$1\"}" '$1 == k { print $2 }' <<<"$after")"
		echo $((a - b))
	}
	[ "$(delta open)" = 1 ]
	[ "$(delta missing)" = 1 ]
	[ "$(delta wrong)" = 1 ]
	[ "$(delta ok)" = 1 ]
	[ "$(delta error)" = 0 ]
}

@test "check-in: only the device's own authenticated fetches are noted; a stray read changes nothing; the fleet view says which" {
	seed aa-da-00-00-05-01 '{"v":"noted"}'
	# Before it has a secret: noted as an unauthenticated fetch.
	device aa-da-00-00-05-01 /api/configs -A 'old-firmware'
	assert_code 200
	noted aa-da-00-00-05-01 old-firmware
	admin GET /api/configs/aa-da-00-00-05-01/fetch
	assert_code 200
	assert_json '[.user_agent, .authenticated, .has_secret, .last_authenticated_fetch_at]' '["old-firmware",false,false,null]'
	secret="$(new_secret aa-da-00-00-05-01)"
	admin GET /api/fetches
	assert_json '.fetches[] | select(.mac_address == "aa-da-00-00-05-01") | [.authenticated, .has_secret, .last_authenticated_fetch_at]' '[false,true,null]'
	# Its first fetch with the secret is noted at once, as authenticated, and
	# only such fetches can be the device's from now on.
	device aa-da-00-00-05-01 /api/configs -A 'esp32-device' -H "Authorization: Bearer $secret"
	assert_code 200
	noted aa-da-00-00-05-01 esp32-device
	note="$CONFIG_DIR/.fetches/aa-da-00-00-05-01"
	# The note's line for that client says authenticated (4th field 1).
	awk -F'\t' '$6 == "esp32-device" && $4 == "1" { found = 1 } END { exit !found }' "$note"
	awk -F'\t' '$6 == "old-firmware" && $4 == "0" { found = 1 } END { exit !found }' "$note"
	admin GET /api/configs/aa-da-00-00-05-01/fetch
	assert_json '[.user_agent, .authenticated, .has_secret, .current, .remote_addr, .last_authenticated_fetch_at == .last_fetch_at]' '["esp32-device",true,true,true,"127.0.0.1",true]'
	assert_json '[.clients[] | [.user_agent, .authenticated, .device]] | sort' '[["esp32-device",true,true],["old-firmware",false,false]]'
	admin GET /api/fetches
	assert_json '.fetches[] | select(.mac_address == "aa-da-00-00-05-01") | [.user_agent, .authenticated, .has_secret, (.last_authenticated_fetch_at != null), has("clients")]' '["esp32-device",true,true,true,false]'
	cp "$note" "$BATS_TEST_TMPDIR/note"
	# Strays from elsewhere, without the secret or with a wrong one, change nothing.
	local h
	for h in "X-None: none" "Authorization: Bearer wrong" "Authorization: Basic $(printf 'aa-da-00-00-05-01:x' | base64 -w0)"; do
		device aa-da-00-00-05-01 /api/configs --interface 127.0.0.2 -A 'stray' -H "$h"
		assert_code 401
		call HEAD /esp32/config/aa-da-00-00-05-01.json -I --interface 127.0.0.2 -A 'stray' -H "$h"
		assert_code 401
	done
	# A peek with the secret is answered and not noted either.
	device aa-da-00-00-05-01 /api/configs --interface 127.0.0.2 -A 'stray' -H "Authorization: Bearer $secret" -H 'X-Iotconfig-Peek: 1'
	assert_code 200
	# The device's own next fetch (another ETag: noted at once) is the proof the
	# notes were being written all along: the strays' would be there before it.
	seed aa-da-00-00-05-01 '{"v":"noted again"}'
	device aa-da-00-00-05-01 /api/configs -A 'esp32-device' -H "Authorization: Bearer $secret"
	assert_code 200
	wait_for eval '! cmp -s "$note" "$BATS_TEST_TMPDIR/note"'
	[ -z "$(grep stray "$note")" ]
	admin GET /api/configs/aa-da-00-00-05-01/fetch
	assert_json '[.user_agent, .authenticated, .remote_addr, .current, (.clients | length)]' '["esp32-device",true,"127.0.0.1",true,2]'
	# A device without a secret is noted as before, unauthenticated.
	seed aa-da-00-00-05-02 '{"v":"open"}'
	device aa-da-00-00-05-02 /esp32/config -A 'open-device'
	noted aa-da-00-00-05-02 open-device
	admin GET /api/fetches
	assert_json '.fetches[] | select(.mac_address == "aa-da-00-00-05-02") | [.user_agent, .authenticated, .has_secret, .last_authenticated_fetch_at]' '["open-device",false,false,null]'
}

@test "check-in: a revoked secret's earlier authenticated fetches no longer outrank the device's regular fetches" {
	seed aa-da-00-00-05-03 '{"v":"revoked"}'
	secret="$(new_secret aa-da-00-00-05-03)"
	etag="$(curl -sf -u "$ADMIN_USER:$ADMIN_PASS" -o /dev/null -D - "$BASE_URL/api/configs/aa-da-00-00-05-03/file" | tr -d '\r' | awk -F'"' 'tolower($0) ~ /^etag:/ { print $2 }')"
	[ -n "$etag" ]
	now=$(date +%s)
	# The note as the fleet would leave it: the device polled regularly
	# before its secret ("old-firmware", an hour of fetches), and one fetch
	# with the secret ("with-secret", a minute ago).
	mkdir -p "$CONFIG_DIR/.fetches"
	printf 'iotconfig-fetch 2\n%s\t%s\t%s\t0\t127.0.0.1\told-firmware\n%s\t%s\t%s\t1\t127.0.0.1\twith-secret\n' \
		$((now - 10)) $((now - 3600)) "$etag" $((now - 60)) $((now - 60)) "$etag" >"$CONFIG_DIR/.fetches/aa-da-00-00-05-03"
	admin GET /api/configs/aa-da-00-00-05-03/fetch
	assert_code 200
	assert_json '[.user_agent, .authenticated, .has_secret]' '["with-secret",true,true]'
	curl -sf -u "$ADMIN_USER:$ADMIN_PASS" "$BASE_URL/metrics" | grep -qF 'iot_config_device_fetch_info{mac_address="aa-da-00-00-05-03",user_agent="with-secret"} 1'
	# Revoked: nothing proves who fetches now; the regular client is the device again.
	admin DELETE /api/configs/aa-da-00-00-05-03/credential
	assert_code 204
	admin GET /api/configs/aa-da-00-00-05-03/fetch
	assert_json '[.user_agent, .authenticated, .has_secret, (.last_authenticated_fetch_at != null)]' '["old-firmware",false,false,true]'
	admin GET /api/fetches
	assert_json '.fetches[] | select(.mac_address == "aa-da-00-00-05-03") | .user_agent' '"old-firmware"'
	curl -sf -u "$ADMIN_USER:$ADMIN_PASS" "$BASE_URL/metrics" | grep -qF 'iot_config_device_fetch_info{mac_address="aa-da-00-00-05-03",user_agent="old-firmware"} 1'
}

@test "required: every device needs a secret, and the 401 is the same whether the MAC has a config, a secret, or neither" {
	IOT_PROBE_AUTH="$ADMIN_USER:$ADMIN_PASS" iot_start DEVICE_AUTH=required AUTH_USERS_FILE="$HTPASSWD" AUTH_READS=true
	seed aa-da-00-00-01-01 '{"wifiPassword":"with-secret"}'
	seed aa-da-00-00-01-02 '{"wifiPassword":"without"}'
	secret="$(new_secret aa-da-00-00-01-01)"
	new_secret aa-da-00-00-01-03 >/dev/null # a secret, no config
	device aa-da-00-00-01-01 /api/configs -H "Authorization: Bearer $secret"
	assert_code 200
	device aa-da-00-00-01-03 /api/configs -u "aa-da-00-00-01-03:$(new_secret aa-da-00-00-01-03)"
	assert_error 404 RECORD_NOT_FOUND

	answer() { # the last answer without what differs by request: id, date
		grep -iv '^\(X-Request-ID\|Date\):' "$hdrs"
		jq -c 'del(.correlationId)' <<<"$body"
	}
	local mac h reference=""
	for h in "Authorization: Bearer not-the-secret" "X-None: none"; do
		reference=""
		for mac in aa-da-00-00-01-01 aa-da-00-00-01-02 aa-da-00-00-01-03 aa-da-00-00-01-09; do
			device "$mac" /api/configs -H "$h"
			assert_error 401 UNAUTHORIZED
			[[ "$body" != *with-secret* && "$body" != *without* ]]
			got="$(answer)"
			[ -n "$reference" ] || reference="$got"
			[ "$got" = "$reference" ] || { diff <(echo "$reference") <(echo "$got") >&2; false; }
		done
	done
	admin GET /api/credentials
	assert_json .mode '"required"'
}

@test "off: secrets may exist, but no device route asks for one" {
	IOT_PROBE_AUTH="$ADMIN_USER:$ADMIN_PASS" iot_start DEVICE_AUTH=off AUTH_USERS_FILE="$HTPASSWD" AUTH_READS=true
	seed aa-da-00-00-02-01 '{"v":"off"}'
	new_secret aa-da-00-00-02-01 >/dev/null
	device aa-da-00-00-02-01 /api/configs
	assert_code 200
	device aa-da-00-00-02-01 /esp32/config -H 'Authorization: Bearer wrong'
	assert_code 200
	admin GET /api/credentials
	assert_json .mode '"off"'
}

@test "two instances on one directory: a secret made, used and rotated on one holds on the other" {
	seed aa-da-00-00-03-01 '{"v":"shared"}'
	local a="$BASE_URL"
	IOT_PROBE_AUTH="$ADMIN_USER:$ADMIN_PASS" iot_start DEVICE_AUTH=per-device AUTH_USERS_FILE="$HTPASSWD" AUTH_READS=true \
		ESP32_CONFIGS_DIR="$FILE_CONFIG_DIR"
	local b="$BASE_URL"
	BASE_URL="$a"
	s1="$(new_secret aa-da-00-00-03-01)"
	BASE_URL="$b"
	device aa-da-00-00-03-01 /api/configs
	assert_code 401
	device aa-da-00-00-03-01 /api/configs -H "Authorization: Bearer $s1"
	assert_code 200
	s2="$(new_secret aa-da-00-00-03-01)"
	BASE_URL="$a"
	device aa-da-00-00-03-01 /api/configs -H "Authorization: Bearer $s1"
	assert_code 200
	device aa-da-00-00-03-01 /api/configs -H "Authorization: Bearer $s2"
	assert_code 200
	wait_for in_use aa-da-00-00-03-01 current
	BASE_URL="$b"
	device aa-da-00-00-03-01 /api/configs -H "Authorization: Bearer $s1"
	assert_error 401 UNAUTHORIZED
	admin DELETE /api/configs/aa-da-00-00-03-01/credential
	assert_code 204
	BASE_URL="$a"
	device aa-da-00-00-03-01 /api/configs -H "Authorization: Bearer $s2"
	assert_code 200 # per-device: no secret, open again
}

@test "with DEVICE_AUTH on, admin routes need the web server's credentials: 403 without REMOTE_USER" {
	FSFAULT_SO=""
	local d="$BATS_TEST_TMPDIR/configs"
	mkdir -p "$d"
	printf '{"wifiPassword":"pw"}' >"$d/aa-da-00-00-04-01.json"
	local p
	for p in /api/configs /api/configs/aa-da-00-00-04-01 /api/configs/aa-da-00-00-04-01/file \
		/api/configs/aa-da-00-00-04-01/history /api/fetches /api/credentials \
		/api/configs/aa-da-00-00-04-01/credential /api/export /api/changes; do
		cgi "$d" GET "$p" '' DEVICE_AUTH=per-device
		assert_error 403 FORBIDDEN
		[[ "$body" != *'"pw"'* ]]
	done
	cgi "$d" POST /api/configs/aa-da-00-00-04-01/credential '' DEVICE_AUTH=required
	assert_error 403 FORBIDDEN
	cgi "$d" PUT /api/configs/aa-da-00-00-04-01.json '{}' DEVICE_AUTH=per-device
	assert_error 403 FORBIDDEN
	[ ! -e "$d/.credentials" ]
	[ "$(cat "$d/aa-da-00-00-04-01.json")" = '{"wifiPassword":"pw"}' ]
	# Health, the documents and the page are public; with REMOTE_USER the admin reads.
	cgi "$d" GET /api/health '' DEVICE_AUTH=per-device
	assert_code 200
	cgi "$d" GET /api/configs/aa-da-00-00-04-01/file '' DEVICE_AUTH=per-device REMOTE_USER=alice
	assert_code 200
	[ "$body" = '{"wifiPassword":"pw"}' ]
	# The web server's user opens no device route.
	cgi "$d" POST /api/configs/aa-da-00-00-04-01/credential '' DEVICE_AUTH=required REMOTE_USER=alice
	assert_code 201
	cgi "$d" GET /api/configs/aa-da-00-00-04-01.json '' DEVICE_AUTH=required REMOTE_USER=alice
	assert_error 401 UNAUTHORIZED
	# Off: as before, nothing asked.
	cgi "$d" GET /api/configs/aa-da-00-00-04-01 '' DEVICE_AUTH=off
	assert_code 200
}

@test "make run's lighttpd refuses DEVICE_AUTH without admin credentials for reads, and a bad DEVICE_AUTH stops the responder" {
	local kv
	for kv in "AUTH_USERS_FILE=" "AUTH_READS=false"; do
		run env IOTCONFIG_CONF_DIR="$IOT_ROOT/conf" AUTH_USERS_FILE="$HTPASSWD" AUTH_READS=true AUTH_METRICS= \
			DEVICE_AUTH=per-device "$kv" HOST=127.0.0.1 PORT=1 lighttpd -tt -f "$IOT_ROOT/conf/lighttpd.conf"
		[ "$status" -ne 0 ]
		[[ "$output" == *"iotconfig: DEVICE_AUTH=per-device needs AUTH_USERS_FILE and AUTH_READS=true"* ]] ||
			{ echo "$output" >&2; false; }
	done
	run env DEVICE_AUTH=on "$IOTCONFIG_BIN" --check
	[ "$status" = 78 ]
	[[ "$output" == *"DEVICE_AUTH: 'on' is not off, per-device or required"* ]]
}
