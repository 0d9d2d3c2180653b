#!/usr/bin/env bats
# tests/checkin/poll.bats: a device's poll loop as the fleet view sees it,
# on one responder process (PROCS=1, so "one write per interval per
# process" is one write) with CHECKIN_INTERVAL=3. The first GET notes the
# served ETag, current; a PUT makes it not current (and the outdated gauge
# 1) until the device's next GET, which is noted at once; 304 polls write
# nothing inside the interval and move the time once it has passed; a 404
# is noted with a null ETag; a delete forgets the device; the notes never
# show in the list, the count or the files gauge; CHECKIN_INTERVAL=0 notes
# nothing. A device sends the same User-Agent at every poll, as firmware
# does (another one would be another client of the MAC).

bats_require_minimum_version 1.5.0

load ../e2e/helpers
load ../e2e/fsfault
load checkin

INTERVAL=3

setup_file() {
	iot_start_file PROCS=1 CHECKIN_INTERVAL=$INTERVAL
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

@test "poll loop: first GET current, PUT makes it outdated, the next GET is noted at once" {
	local mac=aa-00-00-00-00-01 e1 e2
	put_json "$mac" '{"content":{"v":1}}'
	assert_code 200
	e1="$(header ETag)"
	device_get "$mac" -A 'ESP32HTTPClient' -H 'X-Forwarded-For: 203.0.113.9'
	assert_code 200
	[ "$body" = "$(cat "$CONFIG_DIR/$mac.json")" ]
	fetch_of "$mac"
	assert_code 200
	assert_json '[.mac_address, .etag, .current, .remote_addr, .user_agent]' \
		"[\"$mac\",$(jq -n --arg e "$e1" '$e'),true,\"127.0.0.1\",\"ESP32HTTPClient\"]"
	[[ "$(jq -r .last_fetch_at <<<"$body")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	[ "$(sample "$(scrape)" iot_config_devices_outdated)" = 0 ]

	put_json "$mac" '{"content":{"v":2}}'
	assert_code 200
	e2="$(header ETag)"
	[ "$e1" != "$e2" ]
	call GET /api/fetches
	assert_code 200
	assert_json "[.fetches[] | select(.mac_address == \"$mac\") | [.etag, .current]]" \
		"[[$(jq -n --arg e "$e1" '$e'),false]]"
	m="$(scrape)"
	[ "$(sample "$m" iot_config_devices_outdated)" = 1 ]

	# The device polls with the ETag it holds, gets the new version, and
	# is noted at once (the held ETag changed), well inside the interval.
	local before
	before="$(sample "$m" 'iot_config_checkin_writes_total{status="success"}')"
	device_get "$mac" -H "If-None-Match: $e1" -A 'ESP32HTTPClient'
	assert_code 200
	[ "$(header ETag)" = "$e2" ]
	fetch_of "$mac"
	assert_json '[.etag, .current]' "[$(jq -n --arg e "$e2" '$e'),true]"
	m="$(scrape)"
	[ "$(sample "$m" iot_config_devices_outdated)" = 0 ]
	[ "$(sample "$m" 'iot_config_checkin_writes_total{status="success"}')" = $((before + 1)) ]
}

@test "304 polls write nothing inside the interval and move the time once it has passed" {
	local mac=aa-00-00-00-00-02 etag t0 w0 start first
	put_json "$mac" '{"content":{"poll":true}}'
	etag="$(header ETag)"
	# Durations are measured here, around the server's own: a poll that
	# ends less than INTERVAL after the start of the request that wrote
	# the note was checked by the server less than INTERVAL after it.
	start="$(date +%s%N)"
	device_get "$mac"
	assert_code 200
	device_get "$mac" -H "If-None-Match: $etag" # held ETag unchanged
	assert_code 304
	fetch_of "$mac"
	t0="$(jq -r .last_fetch_at <<<"$body")"
	w0="$(writes success)"
	local mtime0
	mtime0="$(stat -c %Y.%N "$(note_file "$mac")")"
	local inside=0 moved=0 deadline=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$deadline" ]; do
		device_get "$mac" -H "If-None-Match: $etag"
		assert_code 304
		[ -z "$body" ]
		local now_ns w
		now_ns="$(date +%s%N)"
		w="$(writes success)"
		if [ $(((now_ns - start) / 1000000)) -lt $((INTERVAL * 1000)) ]; then
			# Inside the interval: no write, the note's file untouched.
			[ "$w" = "$w0" ] || { echo "a write inside the interval ($w after $w0)" >&2; return 1; }
			[ "$(stat -c %Y.%N "$(note_file "$mac")")" = "$mtime0" ]
			inside=$((inside + 1))
		elif [ "$w" != "$w0" ]; then
			moved=1
			break
		fi
		sleep 0.2
	done
	[ "$inside" -ge 1 ] || skip "the machine is too loaded to poll within ${INTERVAL}s"
	[ "$moved" = 1 ]
	# Exactly one write for the first poll past the interval.
	[ "$(writes success)" = $((w0 + 1)) ]
	fetch_of "$mac"
	assert_json '[.etag, .current]' "[$(jq -n --arg e "$etag" '$e'),true]"
	[[ "$(jq -r .last_fetch_at <<<"$body")" > "$t0" ]]
}

@test "a fetch of a missing config is noted with a null ETag; creating the config makes it outdated" {
	local mac=aa-00-00-00-00-03
	call GET "/esp32/config/$mac.json" -A 'fw/0.1'
	assert_error 404 RECORD_NOT_FOUND
	[ -f "$CONFIG_DIR/.fetches/once/$mac" ]
	fetch_of "$mac"
	assert_code 200
	assert_json '[.etag, .current, .user_agent]' '[null,true,"fw/0.1"]'
	put_json "$mac" '{"content":{"new":1}}'
	assert_code 200
	fetch_of "$mac"
	assert_json '[.etag, .current]' '[null,false]'
	# HEAD on the legacy path is a fetch too, noted at once (a new ETag),
	# and the note moves next to the configured devices' notes.
	call HEAD "/esp32/config/$mac.json" -I -A 'fw/0.1'
	assert_code 200
	fetch_of "$mac"
	assert_json '[.current, .user_agent, (.clients | length)]' '[true,"fw/0.1",1]'
	[ -f "$CONFIG_DIR/.fetches/$mac" ]
	[ ! -e "$CONFIG_DIR/.fetches/once/$mac" ]
}

@test "a delete forgets the device: no note, not outdated, no series; the notes never show in the list, count or files gauge" {
	local mac=aa-00-00-00-00-04
	put_json "$mac" '{"content":{"d":1}}'
	device_get "$mac"
	assert_code 200
	[ -f "$(note_file "$mac")" ]
	put_json "$mac" '{"content":{"d":2}}'
	local outdated
	outdated="$(sample "$(scrape)" iot_config_devices_outdated)"
	[ "$outdated" -ge 1 ]
	# The device is retired: its config is deleted.
	call DELETE "/api/configs/$mac"
	assert_code 204
	fetch_of "$mac"
	assert_error 404 RECORD_NOT_FOUND
	[ ! -e "$(note_file "$mac")" ]
	call GET /api/fetches
	assert_json "[.fetches[] | select(.mac_address == \"$mac\")] | length" 0
	m="$(scrape)"
	[ "$(sample "$m" iot_config_devices_outdated)" = $((outdated - 1)) ]
	[ -z "$(sample "$m" "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"$mac\"}")" ]
	# Still alive after all, it fetches: noted as waiting for a config, current.
	device_get "$mac"
	assert_error 404 RECORD_NOT_FOUND
	fetch_of "$mac"
	assert_json '[.etag, .current]' '[null,true]'
	call GET /api/configs
	local configs
	configs="$(ls "$CONFIG_DIR" | grep -c '\.json$')"
	assert_json .count "$configs"
	[ "$(jq '[.configs[].mac_address] | length' <<<"$body")" = "$configs" ]
	[ "$(sample "$(scrape)" iot_config_files_count)" = "$configs" ]
	[ ! -e "$CONFIG_DIR/.history/.fetches" ]
	# Every note is a file named by a canonical MAC, in .fetches or in its
	# two directories for MACs without a config; nothing else is left.
	run ! bash -c "cd '$CONFIG_DIR/.fetches' && find . -mindepth 1 | grep -vE '^\./((once|waiting)(/([0-9a-f]{2}-){5}[0-9a-f]{2})?|([0-9a-f]{2}-){5}[0-9a-f]{2})$'"
}

@test "GET /api/configs/{mac}/fetch answers 404 RECORD_NOT_FOUND for a MAC never fetched, 400 for a bad MAC" {
	fetch_of ab-ab-ab-ab-ab-ab
	assert_error 404 RECORD_NOT_FOUND
	assert_json .error '"No fetch of config ab-ab-ab-ab-ab-ab was noted"'
	fetch_of not-a-mac
	assert_error 400 INVALID_OPERATION
	call GET /api/fetches
	assert_code 200
	assert_json '[.count == (.fetches | length), (.fetches | map(.mac_address) == (map(.mac_address) | sort))]' '[true,true]'
	m="$(scrape)"
	[ -n "$(sample "$m" 'iot_config_http_requests_total{method="GET",route="/api/fetches",code="200"}')" ]
	[ -n "$(sample "$m" 'iot_config_http_requests_total{method="GET",route="/api/configs/{mac_address}/fetch",code="404"}')" ]
	[ "$(sample "$m" 'iot_config_operations_total{operation="get_fetch",status="error"}')" -ge 1 ]
}

@test "the gauges list every device that fetched, with its time" {
	call GET /api/fetches
	local n
	n="$(jq .count <<<"$body")"
	m="$(scrape)"
	[ "$(printf '%s\n' "$m" | grep -c '^iot_config_device_last_fetch_timestamp_seconds{')" = "$n" ]
	local mac at
	for mac in $(jq -r '.fetches[].mac_address' <<<"$body"); do
		at="$(jq -r --arg m "$mac" '.fetches[] | select(.mac_address == $m) | .last_fetch_at | fromdateiso8601' <<<"$body")"
		[ "$(sample "$m" "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"$mac\"}")" = "$at" ]
	done
}

@test "CHECKIN_INTERVAL=0 notes nothing; the device is answered as before" {
	fsfault_build
	local d="$BATS_TEST_TMPDIR/off"
	mkdir -p "$d"
	printf '{"off":true}' >"$d/aa-00-00-00-00-05.json"
	cgi "$d" GET /api/configs/aa-00-00-00-00-05.json '' CHECKIN_INTERVAL=0
	[ "$code" = 200 ]
	[ "$body" = '{"off":true}' ]
	[ ! -e "$d/.fetches" ]
	cgi "$d" GET /api/configs/aa-00-00-00-00-05.json '' CHECKIN_INTERVAL=60
	[ "$code" = 200 ]
	[ -f "$d/.fetches/aa-00-00-00-00-05" ]
	run env -i CHECKIN_INTERVAL=soon "$IOTCONFIG_BIN" --check
	[ "$status" = 78 ]
	[[ "$output" == *"CHECKIN_INTERVAL: 'soon' is not a whole number of seconds between 0 and 86400"* ]]
}

@test "a browser's read of the exact file (Sec-Fetch-Mode, as the web page sends) is not noted as a device fetch" {
	put_json ab-cd-ef-00-00-07 '{"content":{"device_name":"page"}}'
	assert_code 200
	call GET /api/configs/ab-cd-ef-00-00-07.json -H 'Sec-Fetch-Mode: cors' -A 'Mozilla/5.0 page'
	assert_code 200
	[ "$body" = "$(cat "$CONFIG_DIR/ab-cd-ef-00-00-07.json")" ]
	[ ! -e "$CONFIG_DIR/.fetches/ab-cd-ef-00-00-07" ]
	fetch_of ab-cd-ef-00-00-07
	assert_error 404 RECORD_NOT_FOUND
	# The same read without the header is a device's, and is noted.
	call GET /api/configs/ab-cd-ef-00-00-07.json -A 'esp32'
	assert_code 200
	[ -f "$CONFIG_DIR/.fetches/ab-cd-ef-00-00-07" ]
	fetch_of ab-cd-ef-00-00-07
	assert_code 200
	assert_json .user_agent '"esp32"'
}
