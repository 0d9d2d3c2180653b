#!/usr/bin/env bats
# tests/e2e/procs.bats: the tests' own process names (procs.bash). A pid
# read earlier may belong to another process by now: a name whose start
# time no longer matches is never signalled, and a web server's stop
# waits for its responders rather than killing them.

load helpers

teardown() {
	if [ -n "${DECOY:-}" ]; then proc_stop "$DECOY" 5 || true; fi
	iot_cleanup_extra
}

@test "an id whose pid now names another process is never signalled, and counts as gone" {
	sleep 60 3>&- &
	DECOY="$(proc_id $!)"
	proc_running "$DECOY"
	# The same pid with another start time: what an id of a process that
	# has exited looks like once its pid is handed out again.
	local stale="${DECOY%%:*}:$((${DECOY#*:} - 1))"
	run proc_signal KILL "$stale"
	[ "$status" = 1 ]
	run proc_stop "$stale" 1
	[ "$status" = 0 ]
	proc_gone "$stale"
	stop_instance "$stale" "$BATS_TEST_TMPDIR"
	proc_running "$DECOY" # untouched
	run proc_signal KILL "${DECOY%%:*}" # a bare pid is refused
	[ "$status" = 2 ]
	proc_running "$DECOY"
	proc_stop "$DECOY"
	proc_gone "$DECOY"
}

@test "a web server's stop leaves none of its processes, and the ids of its responders name nothing after" {
	iot_start PROCS=3
	local ids lighttpd="$LIGHTTPD_ID"
	ids="$(responder_ids)"
	[ "$(wc -w <<<"$ids")" = 3 ]
	iot_stop
	proc_gone "$lighttpd" $ids
	[ -z "$(LIGHTTPD_ID="$lighttpd" responder_ids)" ]
	run proc_signal TERM $ids
	[ "$status" = 1 ]
}
