#!/usr/bin/env bats
# tests/checkin/faults.bats: noting never changes what a device gets. The
# config directory is a small tmpfs of its own; filled up, then remounted
# read-only, device fetches still answer 200 with the file's exact bytes,
# 304 and 404 as before, while the failed notes are counted in
# iot_config_checkin_writes_total{status="error"} (each fetch finds no
# note, so each is due and each failure counts) and logged at most once
# per interval per process, not once per request. Once writable again,
# notes are written. Skips, saying why, where mounting is not permitted.

bats_require_minimum_version 1.5.0

load ../e2e/helpers
load checkin

setup_file() {
	local d="$BATS_FILE_TMPDIR/small" why
	mkdir -p "$d"
	if ! why="$(mount -t tmpfs -o size=1m,mode=0755 tmpfs "$d" 2>&1)"; then
		skip "cannot mount a tmpfs here (needs root and mount permission): $why"
	fi
	echo "$d" >"$BATS_FILE_TMPDIR/mounted"
	iot_start_file PROCS=2 ESP32_CONFIGS_DIR="$d"
	export CONFIG_DIR="$d"
}

teardown() {
	iot_cleanup_extra
	rm -f "$CONFIG_DIR/filler"
	mount -o remount,rw "$CONFIG_DIR" 2>/dev/null || true
}

teardown_file() {
	iot_stop_file
	if [ -f "$BATS_FILE_TMPDIR/mounted" ]; then
		umount "$(cat "$BATS_FILE_TMPDIR/mounted")" 2>/dev/null ||
			umount -l "$(cat "$BATS_FILE_TMPDIR/mounted")" || true
	fi
}

# fetch_all PREFIX N: each of N devices PREFIX-0..N-1 fetches 3 times (GET,
# a 304 poll, HEAD) and gets the right answer.
fetch_all() {
	local prefix="$1" n="$2" i mac etag
	for i in $(seq 0 $((n - 1))); do
		mac="$prefix-0$i"
		device_get "$mac"
		assert_code 200
		[ "$body" = "$(cat "$CONFIG_DIR/$mac.json")" ] || { echo "wrong bytes for $mac" >&2; return 1; }
		etag="$(header ETag)"
		[ "$etag" = "\"$(sha256sum "$CONFIG_DIR/$mac.json" | cut -c1-32)\"" ]
		device_get "$mac" -H "If-None-Match: $etag"
		assert_code 304
		call HEAD "/esp32/config/$mac.json" -I
		assert_code 200
	done
	call GET "/api/configs/$prefix-99.json"
	assert_error 404 RECORD_NOT_FOUND
}

log_lines() {
	grep -c 'fetch note not written' "$LIGHTTPD_LOG" || true
}

@test "a full file system: fetches answer the right bytes, failed notes are counted and logged once per interval" {
	local i
	for i in 0 1 2 3 4; do
		put_json "cc-00-00-00-00-0$i" "{\"content\":{\"full\":$i}}"
		assert_code 200
	done
	dd if=/dev/zero of="$CONFIG_DIR/filler" bs=64k 2>/dev/null || true
	# Really full: not even a small file can be written now.
	run bash -c "printf x >'$CONFIG_DIR/probe'"
	[ "$status" -ne 0 ]
	rm -f "$CONFIG_DIR/probe"
	local e0 l0
	e0="$(writes error)"
	l0="$(log_lines)"
	fetch_all cc-00-00-00-00 5
	# Each failure is counted just after its answer has left.
	wait_for writes_reach error $((e0 + 16))
	local errors=$(($(writes error) - e0)) lines=$(($(log_lines) - l0))
	# Sixteen fetches (five devices three times, one without a config):
	# with no note on disk, each one is due, and each failure is counted.
	[ "$errors" = 16 ] || { echo "errors counted: $errors" >&2; return 1; }
	# Logged once per interval (60 s) per process, not once per request.
	[ "$lines" -ge 1 ] && [ "$lines" -le 2 ] || { echo "log lines: $lines" >&2; return 1; }
	grep -q 'fetch note not written .*errno="No space left on device"' "$LIGHTTPD_LOG"
	# No temp file is left behind.
	run ! bash -c "ls -A '$CONFIG_DIR/.fetches' | grep tmp"
	[ "$(find "$CONFIG_DIR/.fetches" -type f 2>/dev/null | wc -l)" = 0 ]
}

@test "a read-only file system: fetches answer the right bytes, the failure shows in metrics" {
	local i
	for i in 0 1 2; do
		put_json "cc-00-00-00-01-0$i" "{\"content\":{\"ro\":$i}}"
		assert_code 200
	done
	mount -o remount,ro "$CONFIG_DIR"
	local e0
	e0="$(writes error)"
	fetch_all cc-00-00-00-01 3
	# Ten fetches (three devices three times, one without a config), each due.
	wait_for writes_reach error $((e0 + 10))
	[ $(($(writes error) - e0)) = 10 ]
	call GET /api/fetches
	assert_code 200
	mount -o remount,rw "$CONFIG_DIR"
	# Writable again: a device seen for the first time is noted.
	local s0
	s0="$(writes success)"
	put_json cc-00-00-00-02-00 '{"content":{"healed":true}}'
	device_get cc-00-00-00-02-00
	assert_code 200
	wait_for writes_reach success $((s0 + 1))
	[ "$(writes success)" = $((s0 + 1)) ]
	fetch_of cc-00-00-00-02-00
	assert_code 200
	assert_json .current true
}
