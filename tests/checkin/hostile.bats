#!/usr/bin/env bats
# tests/checkin/hostile.bats: a User-Agent is whatever a client sends. Very
# long values are cut at 256 bytes (at a character), control bytes are
# removed, bytes that are not UTF-8 become "?", quotes and backslashes are
# kept; each comes back as that text in the JSON and, escaped, in the
# Prometheus label, and promtool finds nothing new to say. Values lighttpd
# refuses in a header (CR, LF, other control bytes) are given through
# plain CGI, where the responder sees them as they are.

bats_require_minimum_version 1.5.0

load ../e2e/helpers
load ../e2e/fsfault
load checkin

setup_file() {
	iot_start_file
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# ua_is MAC EXPECTED: the note's user_agent in the JSON, and the label.
ua_is() {
	local mac="$1" want="$2" esc
	noted "$mac"
	fetch_of "$mac"
	assert_code 200
	[ "$(jq -j .user_agent <<<"$body")" = "$want" ] ||
		{ echo "user_agent of $mac: $(jq .user_agent <<<"$body"), want $(jq -n --arg w "$want" '$w')" >&2; return 1; }
	call GET /api/fetches
	[ "$(jq -j --arg m "$mac" '.fetches[] | select(.mac_address == $m) | .user_agent' <<<"$body")" = "$want" ]
	esc="$(printf '%s' "$want" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
	scrape | grep -qxF "iot_config_device_fetch_info{mac_address=\"$mac\",user_agent=\"$esc\"} 1" ||
		{ echo "no label for $mac: $(scrape | grep "fetch_info{mac_address=\"$mac\"")" >&2; return 1; }
}

@test "hostile User-Agent values through lighttpd: long, quotes and backslashes, tab, invalid UTF-8" {
	local long
	long="$(head -c 5000 /dev/zero | tr '\0' A)"
	device_get dd-00-00-00-00-01 -A "${long}END"
	assert_error 404 RECORD_NOT_FOUND
	ua_is dd-00-00-00-00-01 "${long:0:256}"
	device_get dd-00-00-00-00-02 -A 'a"b\c\\"d'"'"'e'
	ua_is dd-00-00-00-00-02 'a"b\c\\"d'"'"'e'
	device_get dd-00-00-00-00-03 -A $'tab\there'
	ua_is dd-00-00-00-00-03 'tabhere'
	device_get dd-00-00-00-00-04 -A $'\xff\xfeok \xc3\xa9 \xe2\x82 \xed\xa0\x80 \xf0\x9f\x98\x80'
	ua_is dd-00-00-00-00-04 $'??ok \xc3\xa9 ?? ??? \xf0\x9f\x98\x80'
	# Multi-byte characters over the bound: cut before one that would not fit.
	local euros
	euros="$(for i in $(seq 1 100); do printf '\xe2\x82\xac'; done)"
	device_get dd-00-00-00-00-05 -A "$euros"
	ua_is dd-00-00-00-00-05 "$(printf '%s' "$euros" | head -c 255)"
	[ "$(jq -j .user_agent <<<"$(curl -s "$BASE_URL/api/configs/dd-00-00-00-00-05/fetch")" | wc -c)" = 255 ]
}

@test "hostile User-Agent values through plain CGI: CR, LF, ESC, NUL-free control bytes, a forged metric line" {
	fsfault_build
	cgi "$CONFIG_DIR" GET /api/configs/dd-00-00-00-00-06.json '' HTTP_USER_AGENT=$'x\x01y\x1b[0m\x7fz\r\nw'
	[ "$code" = 404 ]
	ua_is dd-00-00-00-00-06 'xy[0mzw'
	cgi "$CONFIG_DIR" GET /api/configs/dd-00-00-00-00-07.json '' \
		HTTP_USER_AGENT=$'"} 1\nforged_metric{a="b"} 1\n# TYPE x' REMOTE_ADDR=$'10.0.0.1\nx'
	ua_is dd-00-00-00-00-07 '"} 1forged_metric{a="b"} 1# TYPE x'
	fetch_of dd-00-00-00-00-07
	assert_json .remote_addr '"10.0.0.1x"'
	run ! bash -c "curl -s '$BASE_URL/metrics' | grep -q '^forged_metric'"
}

@test "promtool accepts the exposition with every hostile value in it" {
	scrape >"$IOT_TMP/metrics.txt"
	[ "$(grep -c '^iot_config_device_fetch_info{' "$IOT_TMP/metrics.txt")" -ge 7 ]
	run promtool check metrics <"$IOT_TMP/metrics.txt"
	[ "$status" = 0 ] || [ "$status" = 3 ] # 1 would be a parse error
	findings="$(printf '%s\n' "$output" | grep -v '^iot_config_files_count non-histogram and non-summary metrics should not have "_count" suffix$' | grep -v '^$' || true)"
	[ -z "$findings" ] || { echo "promtool: $findings" >&2; return 1; }
}
