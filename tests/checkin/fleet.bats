#!/usr/bin/env bats
# tests/checkin/fleet.bats: the notes are shared. With PROCS=4, fetches of
# one device answered by different processes all land in its one note
# (one file, no temp file left); a second instance on the same directory
# sees the first one's devices and the first sees the second's, in the
# JSON and in /metrics.

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

# burst MAC N: N device fetches of MAC, 8 at a time, so that several
# processes answer; each sends its number as its User-Agent.
burst() {
	seq 1 "$2" | xargs -P 8 -I{} curl -s -o /dev/null -A 'dev-{}' "$BASE_URL/api/configs/$1.json"
}

@test "PROCS=4: fetches answered by different processes all land in one note" {
	local mac=bb-00-00-00-00-01
	put_json "$mac" '{"content":{"fleet":1}}'
	assert_code 200
	local etag w0 deadline=$((SECONDS + 30))
	etag="$(header ETag)"
	w0="$(writes success)"
	# Each process writes a MAC's note once per interval (60 s here), so
	# two writes or more prove that two processes or more noted it.
	until [ $(($(writes success) - w0)) -ge 2 ]; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "only one process answered" >&2; return 1; }
		burst "$mac" 16
	done
	[ $(($(writes success) - w0)) -le 4 ] # at most once per process
	[ "$(ls -A "$CONFIG_DIR/.fetches")" = "$mac" ]
	fetch_of "$mac"
	assert_code 200
	assert_json '[.etag, .current]' "[$(jq -n --arg e "$etag" '$e'),true]"
	[[ "$(jq -r .user_agent <<<"$body")" =~ ^dev-[0-9]+$ ]]
	call GET /api/fetches
	assert_json '[.count, .fetches[0].mac_address]' "[1,\"$mac\"]"
	[ "$(writes error)" = 0 ]
}

@test "two instances on one directory see each other's devices" {
	local first_url="$BASE_URL" first_dir="$CONFIG_DIR"
	put_json bb-00-00-00-00-02 '{"content":{"node":1}}'
	put_json bb-00-00-00-00-03 '{"content":{"node":2}}'
	device_get bb-00-00-00-00-02 -A node-one
	assert_code 200
	iot_start PROCS=2 ESP32_CONFIGS_DIR="$first_dir"
	local second_url="$BASE_URL"
	device_get bb-00-00-00-00-03 -A node-two
	assert_code 200
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
