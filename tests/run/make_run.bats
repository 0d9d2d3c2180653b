#!/usr/bin/env bats
# tests/run/make_run.bats: `make run` is all a newcomer needs: it builds,
# creates the config directory, serves the API on the given port, and
# Ctrl-C (SIGINT to the foreground process group) or SIGTERM to make stops
# lighttpd and every responder process. The responders ignore SIGINT
# (Makefile), so Ctrl-C stops lighttpd, which stops them; anything that
# kills the whole group (Ctrl-\) kills them too. A responder lighttpd
# restarted as it stopped would have been left behind, with parent 1, so
# responders are found by the config directory in their environment.
# Settings given on its command line reach the responder (CHECKIN_INTERVAL,
# DEVICE_AUTH, DEVICE_SECRET_OVERLAP) and lighttpd (AUTH_*).
# Signals go through ids (tests/e2e/procs.bash): make's group is signalled
# only while make runs, and what is left is found afresh.

load ../e2e/helpers

setup() {
	IOT_TMP="$(mktemp -d "$BATS_TEST_TMPDIR/run.XXXXXX")"
	PORT="$(free_port)"
	DIR="$IOT_TMP/new/configs"
}

teardown() {
	if [ -n "${MAKE_ID:-}" ]; then proc_group_signal KILL "$MAKE_ID" || true; fi
	# lighttpd too carries the directory in its environment.
	proc_signal KILL $(serving_ids lighttpd) $(serving_ids iotconfig.fcgi) || true
}

# serving_ids NAME: ids of the processes called NAME serving this test's
# directory (zombies have no environment).
serving_ids() {
	local p
	for p in $(pgrep -x "$1"); do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qxF "ESP32_CONFIGS_DIR=$DIR" && proc_id "$p"
	done
	return 0
}

# The responders serving this test's directory.
responders() {
	local id
	for id in $(serving_ids iotconfig.fcgi); do echo "${id%%:*}"; done
}

start_make_run() {
	# setsid: own process group, as a terminal's foreground job would be;
	# env: SIGINT and SIGQUIT handled as there (bash ignores them in
	# background jobs).
	setsid env --default-signal=INT,QUIT make -C "$IOT_ROOT" --no-print-directory run PORT="$PORT" PROCS=3 \
		ESP32_CONFIGS_DIR="$DIR" RUN_DIR="$IOT_TMP/run" "$@" >"$IOT_TMP/make.log" 2>&1 3>&- &
	MAKE_PID=$!
	MAKE_ID="$(proc_id "$MAKE_PID")"
	wait_for curl -sf "http://127.0.0.1:$PORT/api/health" || { cat "$IOT_TMP/make.log" >&2; return 1; }
	[ "$(ps -o pgid= -p "$MAKE_PID" | tr -d ' ')" = "$MAKE_PID" ]
}

# Is a process of make's group still running? A zombie has stopped: a
# responder that exits after lighttpd is reaped by whoever adopted it.
group_running() {
	ps -eo pgid=,stat= | awk -v g="$MAKE_PID" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# Has everything `make run` started stopped: make's group and the responders?
all_gone() {
	! group_running && [ -z "$(responders)" ]
}

# Shows what is left, and make's log (on a failure).
group_show() {
	local r
	r="$(responders | tr '\n' ' ')"
	ps -eo pid=,ppid=,pgid=,stat=,etime=,args= | awk -v g="$MAKE_PID" -v r=" $r" '$3 == g || index(r, " " $1 " ")' |
		sed 's/^/# left: /' >&3
	sed 's/^/# make.log: /' "$IOT_TMP/make.log" >&3
}

@test "make run serves the API and the web page, creates the directory, and the newcomer's curl works" {
	start_make_run
	[ -d "$DIR" ]
	run curl -s -X PUT -H 'Content-Type: application/json' -d '{"content":{"deviceName":"x"}}' \
		"http://127.0.0.1:$PORT/api/configs/AA:BB:CC:DD:EE:FF"
	[ "$(printf '%s' "$output" | jq -r .mac_address)" = aa-bb-cc-dd-ee-ff ]
	run curl -s "http://127.0.0.1:$PORT/api/configs"
	[ "$(printf '%s' "$output" | jq -c '.configs[0] | [.mac_address, .device_name]')" = '["aa-bb-cc-dd-ee-ff","x"]' ]
	# The web page, where the banner says it is.
	grep -qx "web page: http://127.0.0.1:$PORT/" "$IOT_TMP/make.log"
	[ "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PORT/")" = "302 http://127.0.0.1:$PORT/ui/" ]
	run curl -s "http://127.0.0.1:$PORT/ui/"
	[[ "$output" == *'<script type="module" src="'*'/app.js"></script>'* ]]
	[ "$(responders | wc -l)" = 3 ]
	# In the terminal's process group, with the terminal's SIGINT ignored.
	[ "$(pgrep -g "$MAKE_PID" -x iotconfig.fcgi | sort)" = "$(responders | sort)" ]
	local p
	for p in $(responders); do
		signals_ignored "$p" INT
	done
	# A device fetch is noted (CHECKIN_INTERVAL defaults to 60).
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/configs/aa-bb-cc-dd-ee-ff.json"
	wait_for test -f "$DIR/.fetches/aa-bb-cc-dd-ee-ff"
	proc_group_signal INT "$MAKE_ID"
	wait_for all_gone ||
		{ group_show; false; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health")" = 000 ]
}

@test "SIGTERM to make stops lighttpd and every responder" {
	start_make_run
	[ -n "$(responders)" ]
	proc_signal TERM "$MAKE_ID"
	wait_for all_gone || { group_show; false; }
}

@test "Ctrl-\\ (SIGQUIT to the group) kills lighttpd and every responder with it" {
	ulimit -c 0 # no core files from the SIGQUIT
	start_make_run
	[ -n "$(responders)" ]
	proc_group_signal QUIT "$MAKE_ID"
	wait_for all_gone || { group_show; false; }
}

@test "make run passes CHECKIN_INTERVAL and CHECKIN_MISSING_MAX on: 0 notes no device fetch, or none of a missing config" {
	start_make_run CHECKIN_INTERVAL=0
	curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"content":{}}' \
		"http://127.0.0.1:$PORT/api/configs/aa-bb-cc-dd-ee-01"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/configs/aa-bb-cc-dd-ee-01.json")" = 200 ]
	[ "$(curl -s "http://127.0.0.1:$PORT/api/fetches" | jq -c .)" = '{"fetches":[],"count":0}' ]
	[ ! -e "$DIR/.fetches" ]
	proc_group_signal INT "$MAKE_ID"
	wait_for all_gone || { group_show; false; }
	start_make_run CHECKIN_MISSING_MAX=0
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/configs/aa-bb-cc-dd-ee-02.json")" = 404 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/configs/aa-bb-cc-dd-ee-01.json")" = 200 ]
	wait_for test -f "$DIR/.fetches/aa-bb-cc-dd-ee-01"
	[ ! -e "$DIR/.fetches/once" ]
	[ "$(curl -s "http://127.0.0.1:$PORT/api/fetches" | jq -c '[.fetches[].mac_address]')" = '["aa-bb-cc-dd-ee-01"]' ]
	proc_group_signal INT "$MAKE_ID"
	wait_for all_gone || { group_show; false; }
}

@test "make run listens on 127.0.0.1 only and warns that there are no credentials; AUTH_* reach lighttpd" {
	start_make_run
	run ss -Hltn "sport = :$PORT"
	echo "$output"
	[ "$(awk '{ print $4 }' <<<"$output")" = "127.0.0.1:$PORT" ]
	grep -q "WARN - no AUTH_USERS_FILE: anyone who can reach 127.0.0.1:$PORT can read and change every config" "$IOT_TMP/make.log"
	proc_group_signal TERM "$MAKE_ID"
	wait_for all_gone || { group_show; false; }
	htpasswd -cbB "$IOT_TMP/users" alice 'pw' 2>/dev/null
	setsid env --default-signal=INT,QUIT make -C "$IOT_ROOT" --no-print-directory run PORT="$PORT" PROCS=2 \
		ESP32_CONFIGS_DIR="$DIR" RUN_DIR="$IOT_TMP/run" AUTH_USERS_FILE="$IOT_TMP/users" AUTH_READS=true \
		>"$IOT_TMP/make.log" 2>&1 3>&- &
	MAKE_PID=$!
	MAKE_ID="$(proc_id "$MAKE_PID")"
	wait_for curl -sf "http://127.0.0.1:$PORT/api/health" || { cat "$IOT_TMP/make.log" >&2; false; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/configs")" = 401 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -u alice:pw "http://127.0.0.1:$PORT/api/configs")" = 200 ]
	[ -z "$(grep 'no AUTH_USERS_FILE' "$IOT_TMP/make.log")" ]
	proc_group_signal TERM "$MAKE_ID"
	wait_for all_gone || { group_show; false; }
}

@test "make run passes DEVICE_AUTH and DEVICE_SECRET_OVERLAP on to the responder" {
	htpasswd -cbB "$IOT_TMP/users" alice 'pw' 2>/dev/null
	start_make_run DEVICE_AUTH=required DEVICE_SECRET_OVERLAP=120 AUTH_USERS_FILE="$IOT_TMP/users" AUTH_READS=true
	local base="http://127.0.0.1:$PORT"
	curl -sf -o /dev/null -u alice:pw -X PUT -H 'Content-Type: application/json' -d '{"content":{}}' \
		"$base/api/configs/aa-bb-cc-dd-ee-02"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/configs/aa-bb-cc-dd-ee-02.json")" = 401 ]
	[ "$(curl -s -u alice:pw "$base/api/credentials" | jq -c '[.mode, .overlap_seconds]')" = '["required",120]' ]
	secret="$(curl -sf -u alice:pw -H 'Content-Type: application/json' --data '' "$base/api/configs/aa-bb-cc-dd-ee-02/credential" | jq -r .secret)"
	[ "$(curl -s -o /dev/null -w '%{http_code}' -u "aa-bb-cc-dd-ee-02:$secret" "$base/api/configs/aa-bb-cc-dd-ee-02.json")" = 200 ]
	kill -TERM -- -"$MAKE_PID"
	wait_for all_gone || { group_show; false; }
}
