#!/usr/bin/env bats
# tests/checkin/clients.bats: reads that are not the device's own. A read
# marked as a person's or a tool's (the query parameter `peek`, the header
# X-Iotconfig-Peek, or a browser's Sec-Fetch-Mode) is answered exactly the
# same and never noted; every read of a device URL in the README, docs/
# and the man page carries the mark. An unmarked read by another client
# (one stray curl) lands beside the device's fetch in the note and changes
# nothing the fleet view says of the device: not `current`,
# `last_fetch_at`, `etag` or `user_agent`, in the JSON or in /metrics.
# One instance with one responder process (which notes a fetch before it
# takes the next request) and CHECKIN_INTERVAL=2, so that a device polling
# twice three seconds apart fetches regularly.

bats_require_minimum_version 1.5.0

load ../e2e/helpers
load checkin

INTERVAL=2

setup_file() {
	iot_start_file PROCS=1 CHECKIN_INTERVAL=$INTERVAL
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

@test "a read marked ?peek or X-Iotconfig-Peek is answered the same and never noted" {
	local mac=ee-00-00-00-00-01 etag w0
	put_json "$mac" '{"content":{"peek":1}}'
	assert_code 200
	etag="$(header ETag)"
	w0="$(writes success)"
	local reads=(
		"/api/configs/$mac.json?peek"
		"/api/configs/$mac.json?peek=1"
		"/api/configs/EE:00:00:00:00:01.json?x=1&peek"
		"/esp32/config/$mac.json?peek"
	)
	local path
	for path in "${reads[@]}"; do
		call GET "$path" -A curl/8
		assert_code 200
		[ "$body" = "$(cat "$CONFIG_DIR/$mac.json")" ]
		[ "$(header ETag)" = "$etag" ]
	done
	call GET "/api/configs/$mac.json?peek" -H "If-None-Match: $etag"
	assert_code 304
	call HEAD "/esp32/config/$mac.json?peek" -I
	assert_code 200
	call GET "/api/configs/$mac.json" -H 'X-Iotconfig-Peek: 1'
	assert_code 200
	[ "$body" = "$(cat "$CONFIG_DIR/$mac.json")" ]
	call GET "/api/configs/ee-00-00-00-00-02.json?peek"
	assert_error 404 RECORD_NOT_FOUND
	[ "$(writes success)" = "$w0" ]
	[ ! -e "$CONFIG_DIR/.fetches/$mac" ]
	[ -z "$(find "$CONFIG_DIR/.fetches" -name 'ee-00-00-00-00-0*' 2>/dev/null)" ]
	fetch_of "$mac"
	assert_error 404 RECORD_NOT_FOUND
	# Only the exact name marks a read: another parameter is a device's fetch.
	call GET "/api/configs/$mac.json?peeking=1" -A esp32
	assert_code 200
	fetch_of "$mac"
	assert_json '[.user_agent, .current]' '["esp32",true]'
}

@test "one stray curl after a save changes nothing the fleet view says of the device" {
	local mac=ee-00-00-00-00-03 e1 e2
	put_json "$mac" '{"content":{"v":1}}'
	e1="$(header ETag)"
	# The device polls twice, an interval apart: it fetches regularly.
	device_get "$mac" -A esp32-fw/1.0
	assert_code 200
	sleep $((INTERVAL + 1))
	device_get "$mac" -A esp32-fw/1.0 -H "If-None-Match: $e1"
	assert_code 304
	put_json "$mac" '{"content":{"v":2}}'
	e2="$(header ETag)"
	fetch_of "$mac"
	assert_json '[.etag, .current, .user_agent]' "[$(jq -n --arg e "$e1" '$e'),false,\"esp32-fw/1.0\"]"
	local seen before m0
	seen="$(jq -r .last_fetch_at <<<"$body")"
	before="$(jq -c 'del(.clients)' <<<"$body")"
	m0="$(scrape)"
	# Someone copies the device URL into a terminal, as the README used to show.
	run curl -s "$BASE_URL/api/configs/$mac.json"
	[ "$output" = "$(cat "$CONFIG_DIR/$mac.json")" ]
	fetch_of "$mac"
	assert_json 'del(.clients)' "$before"
	assert_json '[(.clients | length), [.clients[] | select(.device) | .user_agent], [.clients[] | select(.device | not) | [.current, (.user_agent | startswith("curl/"))]]]' \
		'[2,["esp32-fw/1.0"],[[true,true]]]'
	call GET /api/fetches
	assert_json "[.fetches[] | select(.mac_address == \"$mac\")][0]" "$before"
	m="$(scrape)"
	[ "$(sample "$m" iot_config_devices_outdated)" = "$(sample "$m0" iot_config_devices_outdated)" ]
	[ "$(sample "$m" "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"$mac\"}")" = \
		"$(jq -rn --arg t "$seen" '$t | fromdateiso8601')" ]
	[ "$(sample "$m" "iot_config_device_fetch_info{mac_address=\"$mac\",user_agent=\"esp32-fw/1.0\"}")" = 1 ]
	# The device itself picks up the new version: now it is current.
	device_get "$mac" -A esp32-fw/1.0 -H "If-None-Match: $e1"
	assert_code 200
	fetch_of "$mac"
	assert_json '[.etag, .current, .user_agent]' "[$(jq -n --arg e "$e2" '$e'),true,\"esp32-fw/1.0\"]"
}

@test "every read of a device URL in the README, docs/ and the man page carries the peek mark" {
	local files=("$IOT_ROOT/README.md" "$IOT_ROOT/man/iotconfig.fcgi.8")
	[ -d "$IOT_ROOT/docs" ] && files+=("$IOT_ROOT"/docs/*.md)
	# Each curl invocation (up to a pipe or the end of a command
	# substitution) that names a device URL and does not write it.
	run bash -c 'grep -ho "curl[^|)\`]*" "$@" |
		grep -E "(/api/configs/[^/ ]*\.json|/esp32/config/[^/ ]*\.json|\\\$url\.json)" |
		grep -vE -- "-T |-X (PUT|DELETE) "' _ "${files[@]}"
	[ "$status" = 0 ]
	local reads="$output"
	[ "$(wc -l <<<"$reads")" -ge 4 ] # the route table, the history examples, the man page
	run grep -v peek <<<"$reads"
	[ -z "$output" ] || { echo "unmarked device reads:"$'\n'"$output" >&2; return 1; }
}
