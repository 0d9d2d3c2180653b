#!/usr/bin/env bats
# tests/checkin/bound.bats: anyone can ask for any MAC, and the fleet view
# stays bounded. Notes of fetches of MACs without a config are kept within
# CHECKIN_MISSING_MAX per kind (seen once; fetched regularly), a bound
# kept in the shared directory: it holds for plain CGI, a process per
# request, as for FastCGI processes. A device waiting for its first
# config, which polls, is kept through a scan of ten times the bound, and
# /metrics and /api/fetches carry per-device series only within the
# bound. One instance of one responder process (which notes a fetch
# before it takes the next request), CHECKIN_INTERVAL=1 and
# CHECKIN_MISSING_MAX=20.

bats_require_minimum_version 1.5.0

load ../e2e/helpers
load ../e2e/fsfault
load checkin

MAX=20

setup_file() {
	iot_start_file PROCS=1 CHECKIN_INTERVAL=1 CHECKIN_MISSING_MAX=$MAX
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# notes DIR: how many fetch notes DIR holds, of every kind.
notes() {
	find "$1/.fetches" -type f -regextype egrep -regex '.*/([0-9a-f]{2}-){5}[0-9a-f]{2}' 2>/dev/null | wc -l
}

@test "plain CGI: 24 guessed MACs leave at most CHECKIN_MISSING_MAX notes, and the view shows no more" {
	fsfault_build
	local d="$BATS_TEST_TMPDIR/cgi" i max=6
	mkdir -p "$d"
	printf '{"v":1}' >"$d/ac-00-00-00-00-01.json"
	cgi "$d" GET /api/configs/ac-00-00-00-00-01.json '' CHECKIN_MISSING_MAX=$max
	[ "$code" = 200 ]
	for i in $(seq 1 24); do
		cgi "$d" GET "/api/configs/ab-00-00-00-00-$(printf '%02x' "$i").json" '' CHECKIN_MISSING_MAX=$max
		[ "$code" = 404 ] || { echo "fetch $i answered $code" >&2; return 1; }
	done
	local n
	n="$(notes "$d")"
	[ "$n" -ge 2 ] && [ "$n" -le $((max + 1)) ] || { echo "$n notes for 1 device and 24 guesses" >&2; return 1; }
	[ -f "$d/.fetches/ac-00-00-00-00-01" ]
	# The newest guesses are the ones kept.
	[ -f "$d/.fetches/once/ab-00-00-00-00-18" ]
	[ ! -e "$d/.fetches/once/ab-00-00-00-00-01" ]
	cgi "$d" GET /api/fetches '' CHECKIN_MISSING_MAX=$max
	[ "$code" = 200 ]
	[ "$(jq .count <<<"$body")" = "$n" ]
	assert_json '[.fetches[] | select(.mac_address == "ac-00-00-00-00-01") | .current]' '[true]'
	cgi "$d" GET /metrics '' CHECKIN_MISSING_MAX=$max
	[ "$code" = 200 ]
	[ "$(grep -c '^iot_config_device_last_fetch_timestamp_seconds{' <<<"$body")" = "$n" ]
	[ "$(grep -c '^iot_config_device_fetch_info{' <<<"$body")" = "$n" ]
	# A smaller bound is applied by the next walk, whoever makes it.
	cgi "$d" GET /api/fetches '' CHECKIN_MISSING_MAX=2
	[ "$(jq .count <<<"$body")" -le 3 ]
	[ "$(notes "$d")" -le 3 ]
	[ -f "$d/.fetches/ac-00-00-00-00-01" ]
}

@test "FastCGI: a device waiting for its first config stays in the fleet view through a scan of ten times the bound" {
	local dev=ac-00-00-00-00-10 i
	device_get "$dev" -A esp32-new
	assert_error 404 RECORD_NOT_FOUND
	[ -f "$CONFIG_DIR/.fetches/once/$dev" ]
	# It polls again more than an interval later: it is waiting.
	sleep 2
	device_get "$dev" -A esp32-new
	assert_error 404 RECORD_NOT_FOUND
	[ -f "$CONFIG_DIR/.fetches/waiting/$dev" ]
	[ ! -e "$CONFIG_DIR/.fetches/once/$dev" ]
	# A scan of 200 MACs, each asked for once, over kept-alive connections.
	for i in $(seq 1 200); do
		printf 'url = "%s/api/configs/ad-00-00-00-%02x-%02x.json"\noutput = "/dev/null"\n' \
			"$BASE_URL" $((i / 256)) $((i % 256))
	done >"$BATS_TEST_TMPDIR/scan.curl"
	curl -s -K "$BATS_TEST_TMPDIR/scan.curl"
	local n
	n="$(find "$CONFIG_DIR/.fetches/once" -type f | wc -l)"
	[ "$n" -ge 1 ] && [ "$n" -le $MAX ] || { echo "$n notes of guessed MACs" >&2; return 1; }
	fetch_of "$dev"
	assert_code 200
	assert_json '[.etag, .current, .user_agent]' '[null,true,"esp32-new"]'
	call GET /api/fetches
	assert_json "[.fetches[] | select(.mac_address == \"$dev\") | .user_agent]" '["esp32-new"]'
	[ "$(jq '[.fetches[] | select(.mac_address | startswith("ad-"))] | length' <<<"$body")" -le $MAX ]
	local m
	m="$(scrape)"
	[ "$(grep -c '^iot_config_device_last_fetch_timestamp_seconds{' <<<"$m")" -le $((2 * MAX)) ]
	[ -n "$(sample "$m" "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"$dev\"}")" ]
	# Its config is saved and fetched: the note joins the configured devices'.
	put_json "$dev" '{"content":{"at":"last"}}'
	device_get "$dev" -A esp32-new
	assert_code 200
	[ -f "$CONFIG_DIR/.fetches/$dev" ]
	[ ! -e "$CONFIG_DIR/.fetches/waiting/$dev" ]
	fetch_of "$dev"
	assert_json '[.current, .user_agent]' '[true,"esp32-new"]'
}

@test "CHECKIN_MISSING_MAX is checked at start: a count from 0 to 100000" {
	run env -i CHECKIN_MISSING_MAX=many "$IOTCONFIG_BIN" --check
	[ "$status" = 78 ]
	[[ "$output" == *"CHECKIN_MISSING_MAX: 'many' is not a whole number of notes between 0 and 100000"* ]]
	run env -i CHECKIN_MISSING_MAX=0 "$IOTCONFIG_BIN" --check
	[ "$status" = 0 ]
}
