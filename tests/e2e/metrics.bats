#!/usr/bin/env bats
# tests/e2e/metrics.bats: Prometheus metrics are the totals of the whole
# service: every responder process answers a scrape with the same numbers,
# a killed and respawned process does not reset them, labels use route
# templates, the files gauge is counted at scrape time, and two instances
# never mix, not even a web server restarted with the same pid (a restarted
# container): its counters and start time begin anew, and the old file,
# which no process uses any more, is removed. An instance in another pid
# namespace sharing /dev/shm leaves a live instance's file alone.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
	iot_start_file PROCS=4
}

teardown() {
	iot_cleanup_extra
	if [ -n "${PIDNS_METRICS_FILE:-}" ]; then rm -f "$PIDNS_METRICS_FILE"; fi
	if [ -n "${PIDNS_METRICS_FILE2:-}" ]; then rm -f "$PIDNS_METRICS_FILE2"; fi
}

teardown_file() {
	iot_stop_file
}

scrape() {
	curl -sf "$BASE_URL/metrics"
}

ops_total() {
	scrape | awk '/^iot_config_operations_total\{/ {s += $2} END {print s + 0}'
}

start_time() {
	scrape | awk '/^iot_config_start_time_seconds / {print $2}'
}

# lighttpd_start_epoch PID: when process PID started, seconds since the
# epoch, from its /proc start (clock ticks after boot) and /proc/uptime.
lighttpd_start_epoch() {
	local ticks hz up now
	ticks="$(awk '{print $22}' "/proc/$1/stat")"
	hz="$(getconf CLK_TCK)"
	read -r up _ </proc/uptime
	now="$(date +%s.%N)"
	awk -v n="$now" -v u="$up" -v t="$ticks" -v h="$hz" 'BEGIN {printf "%.3f\n", n - u + t / h}'
}

# near A B: A and B within 2 s of each other.
near() {
	awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; exit !(d < 2 && d > -2)}'
}

traffic() { # traffic N: N config operations of every kind
	local i
	for i in $(seq 1 "$1"); do
		curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
			-d "{\"content\":{\"i\":$i}}" "$BASE_URL/api/configs/ab-00-00-00-00-01"
		curl -s -o /dev/null "$BASE_URL/api/configs/ab-00-00-00-00-01"
		curl -s -o /dev/null "$BASE_URL/api/configs/ab-00-00-00-00-01.json"
		curl -s -o /dev/null "$BASE_URL/api/configs"
	done
}

@test "GET /metrics is the text exposition format with HELP and TYPE for every family" {
	call GET /metrics
	assert_code 200
	[ "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8" ]
	for family in iot_config_operations_total iot_config_operation_duration_seconds iot_config_files_count iot_config_http_requests_total iot_config_build_info iot_config_start_time_seconds \
		iot_config_checkin_writes_total iot_config_device_last_fetch_timestamp_seconds iot_config_device_fetch_info iot_config_devices_outdated; do
		grep -q "^# HELP $family " "$IOT_TMP/last.body"
		grep -q "^# TYPE $family " "$IOT_TMP/last.body"
	done
	grep -q '^# TYPE iot_config_operation_duration_seconds histogram$' "$IOT_TMP/last.body"
	grep -q "^iot_config_build_info{version=\"$(cat "$IOT_ROOT/VERSION")\"} 1$" "$IOT_TMP/last.body"
	start="$(awk '/^iot_config_start_time_seconds / {print int($2)}' "$IOT_TMP/last.body")"
	now="$(date +%s)"
	[ "$start" -le "$now" ] && [ "$start" -gt $((now - 3600)) ]
}

@test "every one of 20 consecutive scrapes reports the same totals across 4 processes" {
	before="$(ops_total)"
	traffic 15
	expected=$((before + 60))
	for i in $(seq 1 20); do
		got="$(ops_total)"
		[ "$got" = "$expected" ] || { echo "scrape $i: $got, expected $expected" >&2; return 1; }
	done
	[ "$(responder_pids | wc -l)" = 4 ]
}

@test "a responder killed with SIGKILL and respawned does not reset the totals" {
	traffic 5
	before="$(ops_total)"
	[ "$before" -ge 20 ]
	victim="$(responder_ids | head -1)"
	proc_signal KILL "$victim"
	# lighttpd notices the dead backend and starts a new one.
	respawned() { [ "$(responder_ids | wc -l)" = 4 ] && proc_gone "$victim"; }
	wait_for respawned
	for i in $(seq 1 20); do
		got="$(ops_total)"
		[ "$got" -ge "$before" ] || { echo "scrape $i: $got < $before" >&2; return 1; }
	done
	traffic 1
	[ "$(ops_total)" -ge $((before + 4)) ]
}

@test "operations are counted by outcome and the histogram agrees with the counters" {
	curl -s -o /dev/null "$BASE_URL/api/configs/ab-00-00-00-00-77"
	curl -s -o /dev/null "$BASE_URL/api/configs/bad-mac"
	m="$(scrape)"
	errors="$(printf '%s\n' "$m" | awk '/^iot_config_operations_total\{operation="get",status="error"\}/ {print $2}')"
	[ "$errors" -ge 2 ]
	for op in list get save delete get_raw save_raw history get_revision restore list_fetches get_fetch list_schemas get_schema save_schema delete_schema validate get_schema_of; do
		ok="$(printf '%s\n' "$m" | awk -v op="$op" '$0 ~ "^iot_config_operations_total\\{operation=\"" op "\",status=\"success\"\\}" {print $2}')"
		err="$(printf '%s\n' "$m" | awk -v op="$op" '$0 ~ "^iot_config_operations_total\\{operation=\"" op "\",status=\"error\"\\}" {print $2}')"
		count="$(printf '%s\n' "$m" | awk -v op="$op" '$0 ~ "^iot_config_operation_duration_seconds_count\\{operation=\"" op "\"\\}" {print $2}')"
		inf="$(printf '%s\n' "$m" | awk -v op="$op" '$0 ~ "^iot_config_operation_duration_seconds_bucket\\{operation=\"" op "\",le=\"\\+Inf\"\\}" {print $2}')"
		[ "$count" = $((ok + err)) ] && [ "$inf" = "$count" ] || { echo "$op: ok=$ok err=$err count=$count inf=$inf" >&2; return 1; }
		printf '%s\n' "$m" | awk -v op="$op" '$0 ~ "^iot_config_operation_duration_seconds_bucket\\{operation=\"" op "\"" { if ($2 < prev) bad = 1; prev = $2 } END { exit bad }'
	done
	printf '%s\n' "$m" | grep -q '^iot_config_operation_duration_seconds_bucket{operation="get",le="0.0001"} '
	printf '%s\n' "$m" | grep -q '^iot_config_operation_duration_seconds_bucket{operation="get",le="10"} '
}

@test "HTTP requests are labelled by route template, never by the raw path" {
	curl -s -o /dev/null "$BASE_URL/api/configs/ab-00-00-00-00-02"
	for i in 1 2 3; do curl -s -o /dev/null "$BASE_URL/random/path/$RANDOM$i"; done
	curl -s -o /dev/null -X PATCH "$BASE_URL/api/configs"
	m="$(scrape)"
	printf '%s\n' "$m" | grep -q '^iot_config_http_requests_total{method="GET",route="/api/configs/{mac_address}",code="404"} '
	printf '%s\n' "$m" | grep -q '^iot_config_http_requests_total{method="GET",route="unmatched",code="404"} '
	printf '%s\n' "$m" | grep -q '^iot_config_http_requests_total{method="PATCH",route="/api/configs",code="405"} '
	run ! grep -q 'random/path' <<<"$m"
	run ! grep -q 'ab-00-00-00-00-02' <<<"$m"
}

@test "the files gauge counts valid config files at scrape time, including edits by hand" {
	gauge() { scrape | awk '/^iot_config_files_count / {print $2}'; }
	before="$(gauge)"
	printf '{"deviceName":"by hand"}' >"$CONFIG_DIR/ab-00-00-00-00-10.json"
	printf 'broken' >"$CONFIG_DIR/ab-00-00-00-00-11.json"
	printf '{}' >"$CONFIG_DIR/not-a-config.json"
	[ "$(gauge)" = $((before + 1)) ]
	rm "$CONFIG_DIR/ab-00-00-00-00-10.json"
	[ "$(gauge)" = "$before" ]
}

@test "the files gauge is 0, not absent, while the config directory cannot be used" {
	iot_start ESP32_CONFIGS_DIR="$BATS_TEST_TMPDIR/no-such-dir"
	call GET /api/health
	assert_code 503
	m="$(scrape)"
	printf '%s\n' "$m" | grep -qx '# TYPE iot_config_files_count gauge'
	[ "$(printf '%s\n' "$m" | awk '/^iot_config_files_count / {print $2}')" = 0 ]
}

@test "two instances with different config directories do not mix" {
	traffic 2
	first="$(ops_total)"
	[ "$first" -ge 8 ]
	iot_start PROCS=2
	[ "$(ops_total)" = 0 ]
	curl -s -o /dev/null "$BASE_URL/api/configs"
	[ "$(ops_total)" = 1 ]
}

@test "METRICS_FILE puts the shared file where it says, keeps it across restarts, and an unusable location only degrades" {
	local f="$BATS_FILE_TMPDIR/custom.metrics"
	iot_start METRICS_FILE="$f"
	curl -s -o /dev/null "$BASE_URL/api/configs"
	[ -s "$f" ]
	[ "$(ops_total)" = 1 ]
	iot_stop
	# A named file is the operator's: another web server keeps counting in it.
	iot_start METRICS_FILE="$f"
	curl -s -o /dev/null "$BASE_URL/api/configs"
	[ "$(ops_total)" = 2 ]
	iot_stop
	iot_start PROCS=1 METRICS_FILE=/proc/no-such-dir/iotconfig.metrics
	call GET /api/configs
	assert_code 200
	call GET /metrics
	assert_code 200
	wait_for grep -q 'metrics are per process' "$LIGHTTPD_LOG"
	# Counted in the process's own memory, the list's count outlives the
	# scrapes (a scrape gives back only the pages of a shared file).
	[ "$(ops_total)" = 1 ]
	[ "$(ops_total)" = 1 ]
}

@test "a web server restarted with the same pid (a restarted container) starts anew" {
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		skip "a pid namespace is not permitted here (needs CAP_SYS_ADMIN)"
	# `lighttpd` runs as process 1 of a new pid namespace with its own /proc,
	# as in a container, so every start has the same pid; /dev/shm stays, as
	# podman keeps a restarted container's. That /dev/shm is the test's own
	# folder (bound there in the namespace's own mounts), so that nothing
	# else on the machine removes its files meanwhile.
	local bin="$BATS_TEST_TMPDIR/bin" dir="$BATS_TEST_TMPDIR/configs" shm="$BATS_TEST_TMPDIR/shm" real
	real="$(command -v lighttpd)"
	mkdir -p "$bin" "$dir" "$shm"
	printf '#!/bin/sh\nexec unshare --pid --fork --mount-proc --kill-child sh -c '"'"'mount --bind "$0" /dev/shm && exec "$@"'"'"' "%s" "%s" "$@"\n' \
		"$shm" "$real" >"$bin/lighttpd"
	chmod +x "$bin/lighttpd"
	# The file a responder names in its log, as seen from here.
	here() { case "$1" in /dev/shm/*) echo "$shm${1#/dev/shm}" ;; *) echo "$1" ;; esac; }

	iot_start PATH="$bin:$PATH" ESP32_CONFIGS_DIR="$dir"
	local web1
	web1="$(responder_ids)" # lighttpd, under unshare
	traffic 2
	[ "$(ops_total)" = 8 ]
	PIDNS_METRICS_FILE="$(here "$(sed -n 's/.* started pid=.* metrics=\([^ ]*\) .*/\1/p' "$LIGHTTPD_LOG" | head -1)")"
	case "$PIDNS_METRICS_FILE" in "$shm"/iotconfig-"$(id -u)"-1-*.metrics) ;; *) false ;; esac
	[ -s "$PIDNS_METRICS_FILE" ]
	start1="$(start_time)"
	near "$start1" "$(lighttpd_start_epoch "${web1%%:*}")"
	proc_signal TERM "$web1"
	wait_for proc_gone "$LIGHTTPD_ID"
	iot_stop
	[ -s "$PIDNS_METRICS_FILE" ] # the old instance's file is still there

	iot_start PATH="$bin:$PATH" ESP32_CONFIGS_DIR="$dir"
	local web2
	web2="$(responder_ids)"
	[ "$(ops_total)" = 0 ]
	PIDNS_METRICS_FILE2="$(here "$(sed -n 's/.* started pid=.* metrics=\([^ ]*\) .*/\1/p' "$LIGHTTPD_LOG" | head -1)")"
	case "$PIDNS_METRICS_FILE2" in "$shm"/iotconfig-"$(id -u)"-1-*.metrics) ;; *) false ;; esac
	# Another instance, another file; the old one, which no process holds
	# any more, was removed when the new one was made.
	[ "$PIDNS_METRICS_FILE2" != "$PIDNS_METRICS_FILE" ]
	[ -s "$PIDNS_METRICS_FILE2" ]
	[ ! -e "$PIDNS_METRICS_FILE" ]
	start2="$(start_time)"
	[ "$start2" != "$start1" ]
	near "$start2" "$(lighttpd_start_epoch "${web2%%:*}")"
	curl -s -o /dev/null "$BASE_URL/api/configs"
	[ "$(ops_total)" = 1 ]
	proc_signal TERM "$web2"
	wait_for proc_gone "$LIGHTTPD_ID"
}

@test "an instance in another pid namespace sharing /dev/shm leaves a live instance's file and counters alone" {
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		skip "a pid namespace is not permitted here (needs CAP_SYS_ADMIN)"
	local live ino other="$BATS_TEST_TMPDIR/other-configs" before
	live="$(sed -n 's/.* started pid=.* metrics=\([^ ]*\) .*/\1/p' "$LIGHTTPD_LOG" | head -1)"
	case "$live" in /dev/shm/iotconfig-* | /tmp/iotconfig-*) ;; *) false ;; esac
	ino="$(stat -c %i "$live")"
	traffic 2
	before="$(ops_total)"
	[ "$before" -ge 8 ]
	mkdir -p "$other"
	ls "$(dirname "$live")" | sort >"$BATS_TEST_TMPDIR/shm.before"
	# One CGI request of another instance (another config directory, so it
	# makes its own default file) in its own pid namespace, where the live
	# instance's web server pid names no process, as in a second container
	# of a pod sharing /dev/shm. sh stays its parent, process 1 there.
	unshare --pid --fork --mount-proc sh -c '"$@"; true' sh \
		env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET REQUEST_URI=/metrics \
		ESP32_CONFIGS_DIR="$other" "$IOTCONFIG_BIN" >"$BATS_TEST_TMPDIR/cgi.out" 2>"$BATS_TEST_TMPDIR/cgi.log"
	# It counted in a file of its own: none of the live instance's operations.
	grep -q '^iot_config_start_time_seconds ' "$BATS_TEST_TMPDIR/cgi.out"
	[ "$(awk '/^iot_config_operations_total\{/ {s += $2} END {print s + 0}' "$BATS_TEST_TMPDIR/cgi.out")" = 0 ]
	# Its own file (named for process 1), removed in teardown. Any other
	# instance starting on this machine meanwhile (another test run) may
	# have removed it already, as a file no process holds.
	PIDNS_METRICS_FILE="$(ls "$(dirname "$live")" | sort | comm -13 "$BATS_TEST_TMPDIR/shm.before" - |
		grep "^iotconfig-$(id -u)-1-.*\.metrics$" | head -1)"
	if [ -n "$PIDNS_METRICS_FILE" ]; then PIDNS_METRICS_FILE="$(dirname "$live")/$PIDNS_METRICS_FILE"; fi
	# The live file is where it was, the same file.
	[ "$(stat -c %i "$live")" = "$ino" ]
	# A responder started now (killed and respawned) opens it and counts on.
	victim="$(responder_ids | head -1)"
	proc_signal KILL "$victim"
	respawned() { [ "$(responder_ids | wc -l)" = 4 ] && proc_gone "$victim"; }
	wait_for respawned
	for i in $(seq 1 12); do
		got="$(ops_total)"
		[ "$got" -ge "$before" ] || { echo "scrape $i: $got < $before" >&2; return 1; }
	done
	[ "$(stat -c %i "$live")" = "$ino" ]
}
