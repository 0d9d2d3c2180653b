#!/usr/bin/env bats
# tests/checkin/fleet.bats: the notes are shared. With PROCS=4, fetches of
# one device answered by different processes all land in its one note
# (one file, no temp file left), written once per interval whichever
# process answers, since each decides from the note on disk; other clients
# of the MAC land in the same note without replacing the device. A second
# instance on the same directory sees the first one's devices and the
# first sees the second's, in the JSON and in /metrics; a held ETag that
# changes back through another process is noted at once.

bats_require_minimum_version 1.5.0

load ../e2e/helpers
load checkin

setup_file() {
	iot_start_file PROCS=4
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# burst MAC N [UA]: N device fetches of MAC, 8 at a time, so that several
# processes answer; each sends UA, or its number as "dev-N".
burst() {
	seq 1 "$2" | xargs -P 8 -I{} curl -s -o /dev/null -A "${3:-dev-{\}}" "$BASE_URL/api/configs/$1.json"
}

# only_note MAC: the notes directory holds MAC's note and no other file.
only_note() {
	[ "$(find "$CONFIG_DIR/.fetches" -type f)" = "$CONFIG_DIR/.fetches/$1" ]
}

@test "PROCS=4: one device's fetches land in one note, written once per interval whichever process answers" {
	local mac=bb-00-00-00-00-01
	put_json "$mac" '{"content":{"fleet":1}}'
	assert_code 200
	local etag w0
	etag="$(header ETag)"
	w0="$(writes success)"
	device_get "$mac" -A esp32-fleet
	assert_code 200
	wait_for writes_reach success $((w0 + 1))
	# Every process now finds the device's line fresh on disk, including
	# those that never answered it: nothing is due.
	burst "$mac" 32 esp32-fleet
	sleep 1 # a write would be counted within milliseconds
	[ "$(writes success)" = $((w0 + 1)) ]
	fetch_of "$mac"
	assert_code 200
	assert_json '[.etag, .current, .user_agent, (.clients | length)]' \
		"[$(jq -n --arg e "$etag" '$e'),true,\"esp32-fleet\",1]"
	# Sixteen other clients at once: one note, at most four clients, the
	# device still the one reported; no temp file is left.
	burst "$mac" 16
	noted "$mac" dev-
	wait_for only_note "$mac"
	fetch_of "$mac"
	assert_json '[.user_agent, (.clients | length <= 4), ([.clients[] | select(.device)] | length)]' \
		'["esp32-fleet",true,1]'
	call GET /api/fetches
	assert_json '[.count, .fetches[0].mac_address, .fetches[0].user_agent]' "[1,\"$mac\",\"esp32-fleet\"]"
	[ "$(writes error)" = 0 ]
}

@test "a held ETag that changes back is noted at once, whichever process noted the change" {
	# Two instances of one responder process each on one directory, with
	# a long interval: process A notes v1, B notes v2, then A sees v1 again.
	iot_start PROCS=1 CHECKIN_INTERVAL=3600
	local a="$BASE_URL" dir="$CONFIG_DIR" mac=bb-00-00-00-00-09 e1 e2
	iot_start PROCS=1 CHECKIN_INTERVAL=3600 ESP32_CONFIGS_DIR="$dir"
	local b="$BASE_URL"
	BASE_URL="$a" put_json "$mac" '{"content":{"v":1}}'
	e1="$(header ETag)"
	BASE_URL="$a" device_get "$mac" -A esp32
	[ "$(header ETag)" = "$e1" ]
	CONFIG_DIR="$dir" noted "$mac" "${e1//\"/}"
	BASE_URL="$a" put_json "$mac" '{"content":{"v":2}}'
	e2="$(header ETag)"
	BASE_URL="$b" device_get "$mac" -A esp32 -H "If-None-Match: $e1"
	assert_code 200
	CONFIG_DIR="$dir" noted "$mac" "${e2//\"/}"
	BASE_URL="$a" fetch_of "$mac"
	assert_json '[.etag, .current]' "[$(jq -n --arg e "$e2" '$e'),true]"
	# v1 is put back (the same bytes, the same ETag); the device gets it through A.
	BASE_URL="$b" put_json "$mac" '{"content":{"v":1}}'
	[ "$(header ETag)" = "$e1" ]
	BASE_URL="$a" device_get "$mac" -A esp32 -H "If-None-Match: $e2"
	assert_code 200
	[ "$(header ETag)" = "$e1" ]
	# Noted at once (within the interval of an hour), just after the answer.
	CONFIG_DIR="$dir" noted "$mac" "${e1//\"/}"
	local url
	for url in "$a" "$b"; do
		BASE_URL="$url" fetch_of "$mac"
		assert_json '[.etag, .current]' "[$(jq -n --arg e "$e1" '$e'),true]"
		[ "$(sample "$(BASE_URL="$url" scrape)" iot_config_devices_outdated)" = 0 ]
	done
}

@test "two instances on one directory see each other's devices" {
	local first_url="$BASE_URL" first_dir="$CONFIG_DIR"
	put_json bb-00-00-00-00-02 '{"content":{"node":1}}'
	put_json bb-00-00-00-00-03 '{"content":{"node":2}}'
	device_get bb-00-00-00-00-02 -A node-one
	assert_code 200
	CONFIG_DIR="$first_dir" noted bb-00-00-00-00-02
	iot_start PROCS=2 ESP32_CONFIGS_DIR="$first_dir"
	local second_url="$BASE_URL"
	device_get bb-00-00-00-00-03 -A node-two
	assert_code 200
	CONFIG_DIR="$first_dir" noted bb-00-00-00-00-03
	local url
	for url in "$first_url" "$second_url"; do
		BASE_URL="$url" call GET /api/fetches
		assert_code 200
		assert_json '[.fetches[] | select(.mac_address | test("bb-00-00-00-00-0[23]")) | [.mac_address, .user_agent, .current]]' \
			'[["bb-00-00-00-00-02","node-one",true],["bb-00-00-00-00-03","node-two",true]]'
		m="$(BASE_URL="$url" scrape)"
		[ -n "$(sample "$m" 'iot_config_device_last_fetch_timestamp_seconds{mac_address="bb-00-00-00-00-02"}')" ]
		[ -n "$(sample "$m" 'iot_config_device_last_fetch_timestamp_seconds{mac_address="bb-00-00-00-00-03"}')" ]
		[ "$(sample "$m" 'iot_config_device_fetch_info{mac_address="bb-00-00-00-00-03",user_agent="node-two"}')" = 1 ]
	done
	# A change through one node makes the device outdated on both.
	BASE_URL="$second_url" put_json bb-00-00-00-00-02 '{"content":{"node":1,"v":2}}'
	assert_code 200
	for url in "$first_url" "$second_url"; do
		BASE_URL="$url" fetch_of bb-00-00-00-00-02
		assert_json .current false
		[ "$(sample "$(BASE_URL="$url" scrape)" iot_config_devices_outdated)" = 1 ]
	done
}
