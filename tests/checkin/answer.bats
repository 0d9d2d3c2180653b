#!/usr/bin/env bats
# tests/checkin/answer.bats: a device never waits for its fetch note. The
# responder runs with tests/e2e/fsfault.c's IOT_FAULT_NOTE_GATE, which
# holds the rename that puts a note in place until the test opens a gate:
# a device's GET (200), poll (304) and fetch of a missing config (404) are
# answered completely while their note is held, and the note appears once
# the gate opens. Under FastCGI the answer leaves with FCGX_Finish_r; as a
# plain CGI program the whole answer is written and stdout is closed (the
# web server sees its end) while the process is still noting. No clock is
# compared: the note is held until the answer was checked.

bats_require_minimum_version 1.5.0

load ../e2e/helpers
load ../e2e/fsfault
load checkin

setup_file() {
	fsfault_build
	local wrapper="$BATS_FILE_TMPDIR/gated-responder"
	export GATE="$BATS_FILE_TMPDIR/gate"
	# lighttpd gives the responder a fresh environment: the wrapper adds
	# the shim to it (the sanitizer runtime wants to be first otherwise).
	cat >"$wrapper" <<EOF
#!/bin/sh
export LD_PRELOAD='$FSFAULT_SO' IOT_FAULT_NOTE_GATE='$GATE'
export ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0"
exec '$IOTCONFIG_BIN' "\$@"
EOF
	chmod 755 "$wrapper"
	IOTCONFIG_BIN="$wrapper" iot_start_file PROCS=2
}

setup() {
	rm -f "$GATE"
}

teardown() {
	touch "$GATE" # release a held note, whatever happened
	iot_cleanup_extra
}

teardown_file() {
	touch "$GATE"
	iot_stop_file
}

# get_now PATH [curl args]: one request, bounded at 10 s; sets $code and $body.
get_now() {
	local path="$1"
	shift
	: >"$IOT_TMP/now.body"
	code="$(curl -s --max-time 10 -o "$IOT_TMP/now.body" -w '%{http_code}' "$@" "$BASE_URL$path")" || true
	body="$(cat "$IOT_TMP/now.body")"
}

@test "FastCGI: GET, 304 and 404 are answered while the note is held; the note follows" {
	local mac=ef-00-00-00-00-01 etag
	touch "$GATE"
	put_json "$mac" '{"content":{"gated":true}}'
	assert_code 200
	etag="$(header ETag)"
	rm -f "$GATE"
	get_now "/api/configs/$mac.json" -A esp32
	[ "$code" = 200 ] || { echo "the device waited: $code" >&2; return 1; }
	[ "$body" = "$(cat "$CONFIG_DIR/$mac.json")" ]
	# The answer came, and its note is still held.
	[ ! -e "$CONFIG_DIR/.fetches/$mac" ]
	touch "$GATE"
	wait_for test -f "$CONFIG_DIR/.fetches/$mac"
	fetch_of "$mac"
	assert_json '[.etag, .current, .user_agent]' "[$(jq -n --arg e "$etag" '$e'),true,\"esp32\"]"

	# A poll by another client, then a fetch of a missing config, each held
	# alone (a process still noting takes no other request meanwhile).
	rm -f "$GATE"
	get_now "/esp32/config/$mac.json" -A esp32-other -H "If-None-Match: $etag"
	[ "$code" = 304 ]
	[ -z "$body" ]
	run ! grep -q esp32-other "$CONFIG_DIR/.fetches/$mac"
	touch "$GATE"
	wait_for grep -q esp32-other "$CONFIG_DIR/.fetches/$mac"
	rm -f "$GATE"
	get_now /api/configs/ef-00-00-00-00-02.json -A esp32
	[ "$code" = 404 ]
	[ "$(jq -r .code <<<"$body")" = RECORD_NOT_FOUND ]
	[ ! -e "$CONFIG_DIR/.fetches/once/ef-00-00-00-00-02" ]
	touch "$GATE"
	wait_for test -f "$CONFIG_DIR/.fetches/once/ef-00-00-00-00-02"
}

@test "CGI: the whole answer is written and stdout closed while the note is held" {
	local d="$BATS_TEST_TMPDIR/cgi" tmp="$BATS_TEST_TMPDIR" pid
	mkdir -p "$d"
	printf '{"cgi":1}' >"$d/ef-00-00-00-00-03.json"
	mkfifo "$tmp/out.fifo"
	local sanitizer=()
	if [ "${IOTCONFIG_SANITIZED:-0}" = 1 ]; then
		sanitizer=(ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:log_path=$tmp/asan"
			UBSAN_OPTIONS="print_stacktrace=1:log_path=$tmp/ubsan")
	fi
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
		REQUEST_URI=/api/configs/ef-00-00-00-00-03.json ESP32_CONFIGS_DIR="$d" \
		METRICS_FILE="$tmp/cgi.metrics" HTTP_USER_AGENT=esp32 REMOTE_ADDR=192.0.2.3 \
		LD_PRELOAD="$FSFAULT_SO" IOT_FAULT_NOTE_GATE="$GATE" "${sanitizer[@]}" \
		"$IOTCONFIG_BIN" </dev/null >"$tmp/out.fifo" 2>"$tmp/cgi.log" &
	pid=$!
	# cat ends when the last writer closes: the responder closed stdout.
	run timeout 10 cat "$tmp/out.fifo"
	[ "$status" = 0 ] || { echo "stdout stayed open while noting" >&2; return 1; }
	[[ "$output" == *$'\r\n\r\n{"cgi":1}' ]]
	[[ "$output" == "Status: 200 OK"* ]]
	# The process is still at its note.
	[ ! -e "$d/.fetches/ef-00-00-00-00-03" ]
	kill -0 "$pid"
	touch "$GATE"
	wait "$pid"
	[ -f "$d/.fetches/ef-00-00-00-00-03" ]
	grep -q "192.0.2.3	esp32" "$d/.fetches/ef-00-00-00-00-03"
	if ls "$tmp"/asan.* "$tmp"/ubsan.* >/dev/null 2>&1; then
		cat "$tmp"/asan.* "$tmp"/ubsan.* >&2
		return 1
	fi
}
