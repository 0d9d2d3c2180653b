# tests/e2e/helpers.bash: start and stop a real lighttpd with the project's
# conf/lighttpd.conf on a free loopback port, and make HTTP calls with curl.
#
#   iot_start [VAR=value ...]   start (settings as in conf/lighttpd.conf, or
#                               the file IOT_LIGHTTPD_CONF names);
#                               exports BASE_URL, CONFIG_DIR, IOT_TMP, IOT_PORT,
#                               LIGHTTPD_PID, LIGHTTPD_ID (its id, procs.bash:
#                               signal it through that), LIGHTTPD_LOG
#                               IOT_USER=name: lighttpd drops to that user after
#                               binding, so the responders run unprivileged
#                               (chmod-based tests while running as root)
#   iot_stop                    stop it and wait (bounded) for it and for every
#                               process it started; fail on sanitizer reports
#   responder_pids / responder_ids  the running lighttpd's responders (pids
#                               to read, ids to signal)
#   iot_cleanup_extra           (teardown) stop instances a test started itself
#
# setup_file starts the file's shared instance (iot_start_file); a test
# needing other settings calls iot_start itself: the new values last for
# that test only (each test runs in its own subshell), and teardown stops
# the extra instance even when the test failed.
#   call METHOD PATH [curl args]  sets $code, $body, $hdrs (header file path)
#   put_json MAC BODY [curl args] PUT /api/configs/MAC with a JSON body
#   header NAME                 value of a response header of the last call
#   backdate FILE               move FILE's mtime a minute back, so that its
#                               Last-Modified is sent (not within its second)
#
# IOTCONFIG_BIN picks the responder binary (release or sanitizer build).
# IOT_PROBE_AUTH=user:password: the start-up probe's credentials (when
# reads need them).

IOT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$IOT_ROOT/tests/e2e/procs.bash"
: "${IOTCONFIG_BIN:=$IOT_ROOT/cgi-bin/iotconfig.fcgi}"

# A port nothing listens on, in the ephemeral-free range.
free_port() {
	# Below the kernel's ephemeral range, where no client socket of another
	# test (or another test run) can hold the port when the server binds it.
	local port tries=0 lo hi first=10000 last
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	last=$((lo - 1))
	if [ "$last" -le "$first" ]; then first=$((hi + 1)) last=65535; fi
	if [ "$last" -le "$first" ]; then first=20000 last=59999; fi
	while [ $tries -lt 50 ]; do
		port=$((first + RANDOM % (last - first + 1)))
		if ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
		tries=$((tries + 1))
	done
	return 1
}

# wait_for CMD...: retry until CMD succeeds, for up to 30 s: after 0.05 s,
# then 0.1 s, then every 0.2 s (most waits are over within a few tenths).
wait_for() {
	# A loaded machine (several suites at once) can take over 10 s to stop
	# a server; success returns at once, so the bound costs nothing.
	local deadline=$((SECONDS + 30)) delay=0.05
	while :; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep "$delay"
		case "$delay" in 0.05) delay=0.1 ;; *) delay=0.2 ;; esac
	done
}

iot_start() {
	IOT_TMP="$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/iot.XXXXXX")"
	chmod 755 "$IOT_TMP"
	export IOT_TMP
	export CONFIG_DIR="$IOT_TMP/configs"
	mkdir -p "$CONFIG_DIR" "$IOT_TMP/run"
	export HOST=127.0.0.1 PROCS=2 ESP32_CONFIGS_DIR="$CONFIG_DIR" CORS_ORIGINS="" ALLOWED_HOSTS="" DEBUG=false
	export MQTT_URL="" MQTT_USERNAME="" MQTT_PASSWORD="" MQTT_PASSWORD_FILE="" MQTT_CA_FILE="" MQTT_TOPIC="" MQTT_FIRMWARE_TOPIC="" MQTT_CLIENT_ID=""
	export FIRMWARE_MAX_BYTES=8388608 FIRMWARE_KEEP=5 FIRMWARE_FAIL_AFTER=900 FIRMWARE_SENDFILE=false FIRMWARE_BASE_URL=""
	export MAX_BODY_BYTES=1048576 METRICS_FILE="" SHARED_FS=auto HISTORY_KEEP=20 CHECKIN_INTERVAL=60 CHECKIN_MISSING_MAX=1000 FILE_MODE=0640 DEVICE_AUTH=off DEVICE_SECRET_OVERLAP=604800 AUTH_USERS_FILE="" AUTH_READS=false AUTH_METRICS="" SWAGGER_UI_DIR="${SWAGGER_UI_DIR:-$IOT_ROOT/tools/node_modules/swagger-ui-dist}"
	export IOTCONFIG_BIN RUN_DIR="$IOT_TMP/run" IOTCONFIG_CONF_DIR="$IOT_ROOT/conf"
	local kv
	for kv in "$@"; do export "$kv"; done
	local conf="${IOT_LIGHTTPD_CONF:-$IOT_ROOT/conf/lighttpd.conf}"
	if [ -n "${IOT_USER:-}" ]; then
		conf="$IOT_TMP/lighttpd-user.conf"
		iot_user_setup "$conf" || return 1
	fi
	if [ "${IOTCONFIG_SANITIZED:-0}" = 1 ]; then
		export ASAN_OPTIONS="log_path=$IOT_TMP/asan:detect_leaks=1:abort_on_error=0"
		export UBSAN_OPTIONS="log_path=$IOT_TMP/ubsan:print_stacktrace=1"
	fi
	export LIGHTTPD_LOG="$IOT_TMP/lighttpd.log"
	local attempt
	for attempt in 1 2 3 4 5; do
		export PORT IOT_PORT
		if [ -z "${IOT_FIXED_PORT:-}" ]; then PORT="$(free_port)"; else PORT="$IOT_FIXED_PORT"; fi
		IOT_PORT="$PORT"
		# 3>&-: bats waits for every process holding its fd 3.
		lighttpd -D -f "$conf" >"$LIGHTTPD_LOG" 2>&1 3>&- &
		LIGHTTPD_PID=$!
		LIGHTTPD_ID="$(proc_id "$LIGHTTPD_PID")"
		export LIGHTTPD_PID LIGHTTPD_ID
		echo "$LIGHTTPD_ID $IOT_TMP" >>"${BATS_FILE_TMPDIR:-/tmp}/iot.instances"
		export BASE_URL="http://127.0.0.1:$PORT"
		local i
		for i in $(seq 1 100); do
			if curl -sf --max-time 5 -o /dev/null ${IOT_PROBE_AUTH:+-u "$IOT_PROBE_AUTH"} "$BASE_URL/api/docs/openapi.json"; then
				return 0
			fi
			proc_running "$LIGHTTPD_ID" || break
			# A responder that refused its settings never serves: lighttpd
			# would respawn it for as long as we wait.
			grep -q ' ERROR - invalid setting: ' "$LIGHTTPD_LOG" && break
			sleep 0.1
		done
		stop_instance "$LIGHTTPD_ID" "$IOT_TMP" || true
		# Only a port taken meanwhile is worth another try.
		grep -q 'Address already in use' "$LIGHTTPD_LOG" || break
	done
	echo "lighttpd did not start; log:" >&2
	cat "$LIGHTTPD_LOG" >&2
	return 1
}

# iot_user_setup CONF: a config that includes conf/lighttpd.conf and drops
# to IOT_USER; hands the config and socket directories to that user and
# makes the test's temp directories traversable (bats creates them 0700).
iot_user_setup() {
	local conf="$1" group
	group="$(id -gn "$IOT_USER")" || return 1
	printf 'include "%s"\nserver.username = "%s"\nserver.groupname = "%s"\n' \
		"$IOT_ROOT/conf/lighttpd.conf" "$IOT_USER" "$group" >"$conf"
	chown "$IOT_USER:$group" "$CONFIG_DIR" "$RUN_DIR"
	# Closed to others, the sockets' directory is used as it is by the
	# root lighttpd that drops to its owner (conf/lighttpd-rundir.sh).
	chmod 0700 "$RUN_DIR"
	if [ -n "${BATS_RUN_TMPDIR:-}" ]; then chmod o+x "$BATS_RUN_TMPDIR"; fi
	if ! runuser -u "$IOT_USER" -- test -w "$CONFIG_DIR"; then
		echo "iot_start: $CONFIG_DIR is not reachable by $IOT_USER" >&2
		return 1
	fi
}

# Responder processes of the running lighttpd: pids (to read) and ids
# (to signal). None once that lighttpd has stopped.
responder_ids() {
	proc_children "$LIGHTTPD_ID"
}

responder_pids() {
	local id
	for id in $(responder_ids); do echo "${id%%:*}"; done
}

# Signals NAME... are all in the SigIgn mask of /proc/PID/status.
signals_ignored() {
	local pid="$1" mask sig
	shift
	mask="$(awk '/^SigIgn:/ { print $2 }' "/proc/$pid/status")"
	for sig in "$@"; do
		(((0x$mask >> ($(kill -l "$sig") - 1)) & 1)) || return 1
	done
}

# iot_start_file [VAR=value ...]: an instance that lasts for the whole file
# (setup_file); a file may start several (IOT_FILE_ID lists their ids).
iot_start_file() {
	iot_start "$@" || return 1
	export IOT_FILE_ID="${IOT_FILE_ID:+$IOT_FILE_ID }$LIGHTTPD_ID"
}

# stop_instance ID DIR: stops the web server ID names by its own stop
# (SIGTERM: it stops its responders), then waits (bounded) for it and for
# every process it had started. A responder may outlive the server by its
# own stop (an MQTT flush): it is waited for, never cut short. What still
# runs 30 s on is reported and killed (by id), and the stop fails. Then
# the sanitizer reports in DIR, once every process that could write one
# has exited.
stop_instance() {
	local id="$1" dir="$2" tree p rc=0
	tree="$(proc_tree "$id")"
	proc_stop "$id" || rc=1
	# shellcheck disable=SC2086 # one id per word
	if [ -n "$tree" ] && ! proc_wait_gone 30 $tree; then
		echo "still running 30 s after the web server stopped (now killed):" >&2
		for p in $tree; do
			if proc_running "$p"; then ps -o pid=,ppid=,args= -p "${p%%:*}" >&2; fi
		done
		proc_signal KILL $tree
		rc=1
	fi
	if [ "${IOTCONFIG_SANITIZED:-0}" = 1 ]; then
		if ls "$dir"/asan.* "$dir"/ubsan.* >/dev/null 2>&1; then
			echo "sanitizer reports:" >&2
			cat "$dir"/asan.* "$dir"/ubsan.* >&2
			rc=1
		fi
	fi
	return $rc
}

iot_stop() {
	[ -n "${LIGHTTPD_ID:-}" ] || return 0
	local id="$LIGHTTPD_ID"
	LIGHTTPD_ID=""
	stop_instance "$id" "$IOT_TMP"
}

# Stops the instances this test started itself (all but the file's).
# Stopped ones are listed too: their ids name nothing any more.
iot_cleanup_extra() {
	local list="${BATS_FILE_TMPDIR:-/tmp}/iot.instances" id dir rc=0
	[ -f "$list" ] || return 0
	: >"$list.keep"
	while read -r id dir; do
		case " ${IOT_FILE_ID:-} " in
		*" $id "*) echo "$id $dir" >>"$list.keep" ;;
		*) stop_instance "$id" "$dir" || rc=1 ;;
		esac
	done <"$list"
	mv "$list.keep" "$list"
	return $rc
}

# Stops the file's instances (teardown_file), and any a test left.
iot_stop_file() {
	local list="${BATS_FILE_TMPDIR:-/tmp}/iot.instances" id dir rc=0
	iot_cleanup_extra || true
	[ -f "$list" ] || return 0
	while read -r id dir; do
		stop_instance "$id" "$dir" || rc=1
	done <"$list"
	: >"$list"
	LIGHTTPD_ID=""
	return $rc
}

# call METHOD PATH [curl args...]
call() {
	local method="$1" path="$2"
	shift 2
	hdrs="$IOT_TMP/last.headers"
	local out="$IOT_TMP/last.body"
	: >"$out" # curl leaves the file alone when there is no body (304, HEAD)
	code="$(curl -s --path-as-is -X "$method" -o "$out" -D "$hdrs" -w '%{http_code}' "$@" "$BASE_URL$path")"
	body="$(<"$out")" # read by bash itself: no process per call
}

# put_json MAC BODY [curl args...]: wrapped PUT of BODY as application/json,
# made with $CALL (call unless a suite records its calls with another).
put_json() {
	local mac="$1" data="$2"
	shift 2
	"${CALL:-call}" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary "$data" "$@"
}

# header NAME: value of NAME in the last response (case-insensitive), no CR.
# Plain bash: tests call it after most requests, and five processes per
# call added up.
header() {
	local line want="${1,,}:"
	while IFS= read -r line || [ -n "$line" ]; do
		line="${line%$'\r'}"
		if [[ "${line,,}" == "$want"* ]]; then
			line="${line:${#want}}"
			printf '%s\n' "${line#"${line%%[! ]*}"}"
			return 0
		fi
	done <"$hdrs"
}

# backdate FILE: a config written just now has no Last-Modified until its
# second is over; a minute back, it has one at once.
backdate() {
	touch -m -d "@$(($(date +%s) - 60))" "$1"
}

# Asserts for readable failures.
# body_excerpt: the body for a failure message, its first 600 characters at
# most.
body_excerpt() {
	if [ "${#body}" -le 600 ]; then
		printf '%s' "$body"
	else
		printf '%s… (%d characters in all)' "${body:0:600}" "${#body}"
	fi
}

assert_code() {
	if [ "$code" != "$1" ]; then
		echo "expected HTTP $1, got $code; body: $(body_excerpt)" >&2
		return 1
	fi
}

assert_json() { # assert_json JQ_FILTER EXPECTED
	local got
	got="$(jq -c "$1" 2>/dev/null <<<"$body")"
	if [ "$got" != "$2" ]; then
		echo "jq '$1': expected $2, got $got; body: $(body_excerpt)" >&2
		return 1
	fi
}

assert_error() { # assert_error STATUS CODE
	assert_code "$1"
	assert_json .code "\"$2\""
	[ "$(header Content-Type)" = "application/json" ] || { echo "not JSON: $(header Content-Type)" >&2; return 1; }
	jq -e '(.error|type=="string") and (.details.message|type=="string") and (.correlationId|type=="string")' >/dev/null <<<"$body" ||
		{ echo "error body shape wrong: $(body_excerpt)" >&2; return 1; }
}

# raw_http REQUEST_TEXT: send bytes as they are (printf escapes allowed) and
# keep the complete response, headers and body, in $IOT_TMP/raw.response.
raw_http() {
	local out="$IOT_TMP/raw.response"
	timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"; printf "$1" >&3; cat <&3' "$IOT_PORT" "$1" >"$out"
}

# Bytes after the end of the header block of $IOT_TMP/raw.response.
raw_body_bytes() {
	local f="$IOT_TMP/raw.response" total head
	total="$(wc -c <"$f")"
	head="$(grep -abo $'\r$' "$f" | awk -F: 'prev+2==$1{print $1+2; exit} {prev=$1}')"
	echo $((total - head))
}
