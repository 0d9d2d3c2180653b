#!/usr/bin/env bats
# tests/faults/mqtt_valgrind.bats: the release responder under valgrind's
# memcheck with change notifications on, against a real mosquitto broker
# (tests/mqtt/broker.bash): FastCGI over mqtts:// (the TLS code paths, the
# network thread, a clean stop) and a CGI process that connects, publishes
# and waits for its acknowledgement. Every log must show no memory error
# and nothing definitely or indirectly lost.

load ../mqtt/broker

setup_file() {
	broker_start
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_cleanup_extra || true
	sub_stop_all
	broker_stop
	deploy_cleanup_dirs
}

metric() {
	curl -sf "$BASE_URL/metrics" | awk -v n="$1" '$1 == n {print $2}'
}

connected_is() {
	[ "$(metric iot_mqtt_connected)" = "$1" ]
}

raw_put() { # raw_put MAC BODY
	call PUT "/api/configs/$1.json" -H 'Content-Type: application/json' --data-binary "$2"
}

# vg_wrapper DIR: a wrapper that runs the responder under valgrind memcheck.
vg_wrapper() {
	cat >"$1/wrapper" <<-WRAP
		#!/bin/sh
		exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 \
			--log-file=$1/memcheck.%p.log $IOTCONFIG_BIN
	WRAP
	chmod 755 "$1/wrapper"
}

# vg_clean DIR: every memcheck log there, once complete (bounded wait),
# shows no error and no leak.
vg_clean() {
	local log n=0 i
	for log in "$1"/memcheck.*.log; do
		[ -e "$log" ] || continue
		n=$((n + 1))
		for i in $(seq 1 150); do
			grep -q 'ERROR SUMMARY' "$log" && break
			sleep 0.2
		done
		grep -q 'ERROR SUMMARY: 0 errors' "$log" || { cat "$log" >&2; return 1; }
		if grep -qE '(definitely|indirectly) lost: [1-9]' "$log"; then cat "$log" >&2; return 1; fi
	done
	[ "$n" -gt 0 ]
}

@test "under valgrind memcheck with MQTT on (FastCGI with mqtts://, CGI): no memory error, no leak" {
	[ "${IOTCONFIG_SANITIZED:-0}" = 1 ] && skip "valgrind runs the release build"
	local vg="$BATS_TEST_TMPDIR/vg"
	mkdir -p "$vg/fcgi" "$vg/cgi"
	vg_wrapper "$vg/fcgi"
	vg_wrapper "$vg/cgi"
	sub_start valgrind
	iot_start PROCS=1 MQTT_URL="mqtts://127.0.0.1:$MQTT_TLS_PORT" MQTT_CA_FILE="$BROKER_DIR/ca.pem" \
		IOTCONFIG_BIN="$vg/fcgi/wrapper"
	local i
	for i in $(seq 1 100); do connected_is 1 && break; sleep 0.2; done
	connected_is 1
	for i in $(seq 1 10); do
		raw_put "aa-bb-cc-dd-ee-b$((i % 4))" "{\"i\":$i}"
		assert_code 200
	done
	call DELETE /api/configs/aa-bb-cc-dd-ee-b0
	assert_code 204
	put_json aa-bb-cc-dd-ee-b1 '{"content":[]}'
	assert_code 400
	wait_lines valgrind 11
	# lighttpd stops the responders with SIGTERM; valgrind then writes its
	# summary: wait for them (bounded) rather than kill them.
	local ids
	ids="$(responder_ids)"
	proc_signal TERM "$LIGHTTPD_ID"
	proc_wait_gone 60 $ids || true
	iot_stop
	vg_clean "$vg/fcgi"

	# CGI: plain mqtt://, so that the process has a good chance to connect
	# and publish within the 2 s it waits, even under valgrind.
	IOT_LIGHTTPD_CONF="$IOT_ROOT/conf/lighttpd-cgi.conf" iot_start \
		MQTT_URL="mqtt://127.0.0.1:$MQTT_PORT" IOTCONFIG_BIN="$vg/cgi/wrapper"
	raw_put aa-bb-cc-dd-ee-b5 '{"cgi":true}'
	assert_code 200
	# Delivered or given up within its bound, the process exits clean.
	vg_clean "$vg/cgi"
	iot_stop
}
