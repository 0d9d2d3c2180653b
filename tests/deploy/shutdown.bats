#!/usr/bin/env bats
# tests/deploy/shutdown.bats: stopping the web server while PUTs are in
# flight. Whatever the stop cuts off, a PUT answered 200 is on disk with
# exactly the bytes sent, no config is ever partial, and after the next
# start no temp file is left. A client uploading slowly holds lighttpd
# 1.4.69's graceful stop until its body is in, and is then closed without
# an answer (nothing of it saved); the immediate stop ends at once whatever
# is uploading.

load servers

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	deploy_cleanup_dirs
}

WRITERS=60

# Payloads of different sizes, one MAC each.
make_payloads() {
	local i pad
	for i in $(seq 1 $WRITERS); do
		pad="$(head -c $((60000 + i * 1000)) /dev/zero | tr '\0' "$(printf '%x' $((i % 16)))")"
		printf '{"writer":%d,"pad":"%s"}\n' "$i" "$pad" >"$PAYLOADS/w$i.json"
	done
}

mac_of() { printf 'aa-bb-cc-00-06-%02x' "$1"; }

# Starts every PUT at once (raw route, so the file must equal the body),
# each uploading at its own pace so that they end over a few seconds.
start_writers() {
	local i
	WRITER_PIDS=()
	for i in $(seq 1 $WRITERS); do
		curl -s -o /dev/null -w '%{http_code}' --max-time 60 --limit-rate $((10 + i))k \
			-X PUT -H 'Content-Type: application/json' --data-binary @"$PAYLOADS/w$i.json" \
			"$BASE_URL/api/configs/$(mac_of "$i").json" >"$PAYLOADS/code.$i" &
		WRITER_PIDS+=($!)
	done
}

# Stops the server with SIGNAL once a third of the PUTs have landed, with
# the others still uploading or being written; waits (bounded) for the
# server, its responders (Apache's are grandchildren) and the clients to
# finish.
stop_mid_flight() {
	local signal="$1" dir="$2" tree i
	for i in $(seq 1 600); do
		[ "$(find "$dir" -name '*.json' | wc -l)" -lt $((WRITERS / 3)) ] || break
		sleep 0.05
	done
	tree="$(proc_tree "$SERVER_ID")"
	proc_signal "$signal" "$SERVER_ID"
	# shellcheck disable=SC2086 # one id per word
	proc_wait_gone 30 "$SERVER_ID" $tree ||
		{ echo "server or responders still running 30 s after SIG$signal" >&2; false; }
	wait "${WRITER_PIDS[@]}" || true
}

# Every 200 is on disk as sent; nothing on disk is partial.
check_acknowledged_writes() {
	local dir="$1" i f ok=0 cut=0
	for i in $(seq 1 $WRITERS); do
		f="$dir/$(mac_of "$i").json"
		if [ "$(cat "$PAYLOADS/code.$i")" = 200 ]; then
			ok=$((ok + 1))
			cmp "$f" "$PAYLOADS/w$i.json" || { echo "PUT $i got 200 but the file differs" >&2; false; }
		else
			cut=$((cut + 1))
			[ ! -e "$f" ] || cmp "$f" "$PAYLOADS/w$i.json" || { echo "config $i is partial" >&2; false; }
		fi
	done
	echo "# $ok PUTs answered 200, $cut cut off by the stop" >&3
	[ "$ok" -gt 0 ]
}

# The next start sweeps what the stop left; the acknowledged configs read back.
restart_and_check() {
	local dir="$1" i
	echo "# temp files left by the stop: $(find "$dir" -name '*.tmp' | wc -l)" >&3
	server_start "$2" ESP32_CONFIGS_DIR="$dir"
	[ -z "$(find "$dir" -name '*.tmp')" ]
	for i in $(seq 1 $WRITERS); do
		[ "$(cat "$PAYLOADS/code.$i")" = 200 ] || continue
		call GET "/api/configs/$(mac_of "$i").json"
		assert_code 200
		cmp "$IOT_TMP/last.body" "$PAYLOADS/w$i.json"
	done
}

@test "lighttpd stopped at once (SIGTERM) mid-write: every 200 is on disk as sent, nothing partial, no temp file after the next start" {
	PAYLOADS="$BATS_TEST_TMPDIR"
	make_payloads
	local dir="$BATS_TEST_TMPDIR/configs"
	mkdir -p "$dir"
	server_start lighttpd-fastcgi ESP32_CONFIGS_DIR="$dir" PROCS=4
	start_writers
	stop_mid_flight TERM "$dir"
	check_acknowledged_writes "$dir"
	restart_and_check "$dir" lighttpd-fastcgi
}

@test "lighttpd stopped gracefully (SIGINT) mid-write: every PUT it accepted is answered 200 and on disk" {
	PAYLOADS="$BATS_TEST_TMPDIR"
	make_payloads
	local dir="$BATS_TEST_TMPDIR/configs" i
	mkdir -p "$dir"
	server_start lighttpd-fastcgi ESP32_CONFIGS_DIR="$dir" PROCS=4
	start_writers
	stop_mid_flight INT "$dir"
	# Refused connections (000) never reached it; nothing it took is lost.
	for i in $(seq 1 $WRITERS); do
		case "$(cat "$PAYLOADS/code.$i")" in 200 | 000) ;; *)
			echo "PUT $i: $(cat "$PAYLOADS/code.$i")" >&2
			false
			;;
		esac
	done
	check_acknowledged_writes "$dir"
	restart_and_check "$dir" lighttpd-fastcgi
}

@test "Apache (mod_fcgid) stopped mid-write: every 200 is on disk as sent, nothing partial, no temp file after the next start" {
	PAYLOADS="$(deploy_tmpdir)"
	make_payloads
	local dir="$PAYLOADS/configs"
	mkdir -p "$dir"
	give_to_server "$dir"
	server_start apache-fcgid ESP32_CONFIGS_DIR="$dir"
	start_writers
	stop_mid_flight TERM "$dir"
	check_acknowledged_writes "$dir"
	restart_and_check "$dir" apache-fcgid
}

# slow_upload MAC FILE RATE: PUT FILE to the raw route at RATE, in the
# background (SLOW_PID); its status lands in FILE.code.
slow_upload() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 120 --limit-rate "$3" -X PUT \
		-H 'Content-Type: application/json' --data-binary @"$2" \
		"$BASE_URL/api/configs/$1.json" >"$2.code" 3>&- &
	SLOW_PID=$!
}

# Waits (bounded) until lighttpd has a client connection established.
wait_connected() {
	wait_for sh -c "ss -Htn state established '( sport = :$IOT_PORT )' | grep -q ."
}

@test "a graceful stop (SIGINT) waits for an upload in progress, then saves it whole or closes it unanswered with nothing saved" {
	local dir="$BATS_TEST_TMPDIR/configs" body="$BATS_TEST_TMPDIR/slow.json" mac=aa-bb-cc-00-06-f1 t0 tree code
	mkdir -p "$dir"
	# About 12 s at 2.5 KB/s.
	printf '{"pad":"%s"}' "$(head -c 30000 /dev/zero | tr '\0' x)" >"$body"
	server_start lighttpd-fastcgi ESP32_CONFIGS_DIR="$dir" PROCS=2
	slow_upload "$mac" "$body" 2500
	wait_connected
	tree="$(proc_tree "$SERVER_ID")"
	t0=$SECONDS
	proc_signal INT "$SERVER_ID"
	wait "$SLOW_PID" || true
	proc_wait_gone 30 "$SERVER_ID" $tree
	code="$(cat "$body.code")"
	echo "# the upload held the graceful stop $((SECONDS - t0)) s; its answer: $code" >&3
	grep -q 'graceful shutdown started' "$LIGHTTPD_LOG"
	# Once the last byte is in, lighttpd 1.4.69 passes the request on while
	# a responder is still there (an idle machine's run: none is, a loaded
	# one's: one often is); never anything in between.
	case "$code" in
	200) cmp "$body" "$dir/$mac.json" ;;
	000) [ ! -e "$dir/$mac.json" ] ;;
	*) false ;;
	esac
	[ -z "$(find "$dir" -name '*.tmp')" ]
}

@test "an immediate stop (SIGTERM) ends lighttpd and its responders at once with a slow upload in flight; nothing is saved from it" {
	local dir="$BATS_TEST_TMPDIR/configs" body="$BATS_TEST_TMPDIR/slow.json" mac=aa-bb-cc-00-06-f2 tree
	mkdir -p "$dir"
	printf '{"pad":"%s"}' "$(head -c 100000 /dev/zero | tr '\0' x)" >"$body"
	server_start lighttpd-fastcgi ESP32_CONFIGS_DIR="$dir" PROCS=2
	slow_upload "$mac" "$body" 1000
	wait_connected
	tree="$(proc_tree "$SERVER_ID")"
	proc_signal TERM "$SERVER_ID"
	proc_wait_gone 30 "$SERVER_ID" $tree
	wait "$SLOW_PID" || true
	[ "$(cat "$body.code")" != 200 ]
	[ ! -e "$dir/$mac.json" ]
}
