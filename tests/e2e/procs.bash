# tests/e2e/procs.bash: names for the processes a test starts, so that a
# signal it sends can reach no other process. A pid alone does not name a
# process for long: pid_max is 32768 here and a test run goes through that
# many within minutes, so a pid read earlier (a web server's children, a
# pid file, a list kept for the teardown) may by then be anybody's.
#
# An id is "PID:START", START being the process's start time (field 22 of
# /proc/PID/stat, clock ticks since boot), taken while the test knows the
# process to be its own: its own child just started, or a child of a
# process it names. Every signal goes through proc_signal, which reads the
# start time again right before kill(1): a pid freed in that gap is not
# handed out again before the kernel's counter has gone round all of
# pid_max, which takes far longer.
#
#   proc_id PID             the id of the process PID is now ("PID:-" when
#                           there is none; such an id names nothing)
#   proc_running ID...      every ID still names a running process (a
#                           zombie has stopped); a bare PID is only checked
#                           for existence (weaker: for reads, not signals)
#   proc_gone ID...         none of them runs
#   proc_children ID        ids of its children, read now
#   proc_tree ID            ids of every process below it, read now
#   proc_signal SIG ID...   SIG to each ID that still names its process;
#                           false when none was signalled
#   proc_group_signal SIG ID  SIG to the process group ID leads, while its
#                           leader runs (which keeps the group's number
#                           from being handed out again)
#   proc_wait_gone SECS ID...  poll until none runs; false at the deadline
#   proc_stop ID [SECS]     SIGTERM, wait up to SECS (30), then SIGKILL;
#                           reaps it when it is this shell's child; false
#                           when it had to be killed
#   proc_stop_group ID [SECS]  the same for the process group ID leads
#                           (setsid), waiting for every process below ID
#                           as well; what is left is killed by id

# _proc_stat PID: sets _proc_state, _proc_ppid, _proc_pgrp and _proc_start.
_proc_stat() {
	local line
	local -a f
	case "$1" in '' | *[!0-9]*) return 1 ;; esac
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	# After the command name, which may hold spaces and parentheses.
	read -r -a f <<<"${line##*) }"
	_proc_state="${f[0]}" _proc_ppid="${f[1]}" _proc_pgrp="${f[2]}" _proc_start="${f[19]}"
}

proc_id() {
	if _proc_stat "$1"; then echo "$1:$_proc_start"; else echo "$1:-"; fi
}

proc_running() {
	local id
	for id in "$@"; do
		_proc_stat "${id%%:*}" || return 1
		case "$id" in *:*) [ "$_proc_start" = "${id#*:}" ] || return 1 ;; esac
		case "$_proc_state" in Z | X | x) return 1 ;; esac
	done
}

proc_any_running() {
	local id
	for id in "$@"; do
		if proc_running "$id"; then return 0; fi
	done
	return 1
}

proc_gone() {
	! proc_any_running "$@"
}

proc_children() {
	local pid="${1%%:*}" p f kids=() more
	proc_running "$1" || return 0
	# The kernel's list per thread (no process to start); pgrep without it.
	if [ -e "/proc/$pid/task/$pid/children" ]; then
		for f in /proc/"$pid"/task/*/children; do
			more=()
			read -r -a more 2>/dev/null <"$f" || true
			kids+=("${more[@]}")
		done
	else
		mapfile -t kids < <(pgrep -P "$pid")
	fi
	for p in "${kids[@]}"; do
		# Still a child of the process named (not a pid handed out since).
		if _proc_stat "$p" && [ "$_proc_ppid" = "$pid" ]; then echo "$p:$_proc_start"; fi
	done
	return 0
}

proc_tree() {
	local kid
	for kid in $(proc_children "$1"); do
		echo "$kid"
		proc_tree "$kid"
	done
}

proc_signal() {
	local sig="$1" id rc=1
	shift
	for id in "$@"; do
		case "$id" in
		*:*) ;;
		*)
			echo "proc_signal: '$id' is a pid, not an id (proc_id)" >&2
			return 2
			;;
		esac
		if proc_running "$id" && kill -"$sig" "${id%%:*}" 2>/dev/null; then rc=0; fi
	done
	return $rc
}

proc_group_signal() {
	local sig="$1" id="$2"
	proc_running "$id" || return 1
	[ "$_proc_pgrp" = "${id%%:*}" ] || {
		echo "proc_group_signal: ${id%%:*} leads no process group" >&2
		return 2
	}
	kill -"$sig" -- -"${id%%:*}" 2>/dev/null
}

proc_wait_gone() {
	local deadline=$((SECONDS + $1))
	shift
	while proc_any_running "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

proc_stop() {
	local id="$1" secs="${2:-30}" rc=0
	if proc_signal TERM "$id" && ! proc_wait_gone "$secs" "$id"; then
		echo "process ${id%%:*} ($(cat "/proc/${id%%:*}/comm" 2>/dev/null)) still running $secs s after SIGTERM: killed" >&2
		proc_signal KILL "$id"
		proc_wait_gone 10 "$id" || return 1
		rc=1
	fi
	_proc_reap "${id%%:*}"
	return $rc
}

# _proc_reap PID: collects the exit status of this shell's child once it
# has exited (nothing for others); never waits on a pid that runs, which
# may be another process by now.
_proc_reap() {
	proc_running "$1" || wait "$1" 2>/dev/null || true
}

proc_stop_group() {
	local id="$1" secs="${2:-30}" tree left=() p rc=0
	tree="$(proc_tree "$id")"
	proc_group_signal TERM "$id" || true
	# shellcheck disable=SC2086 # one id per word
	if ! proc_wait_gone "$secs" "$id" $tree; then
		for p in "$id" $tree; do
			if proc_running "$p"; then left+=("$p"); fi
		done
		echo "still running $secs s after SIGTERM to the group of ${id%%:*} (now killed): ${left[*]%%:*}" >&2
		proc_signal KILL "${left[@]}"
		rc=1
	fi
	_proc_reap "${id%%:*}"
	return $rc
}
