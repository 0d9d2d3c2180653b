# tests/deploy/servers.bash: the web servers the deployment suites run the
# responder under, each on a free loopback port with bounded waits. Builds
# on tests/e2e/helpers.bash (call, header, assert_*, iot_start, ...).
#
#   server_start KIND [VAR=value ...]
#       lighttpd-fastcgi  conf/lighttpd.conf: mod_fastcgi keeps processes
#       lighttpd-cgi      conf/lighttpd-cgi.conf: mod_cgi, one per request
#       apache-fcgid      conf/apache/iotconfig.conf under mod_fcgid
#       apache-cgid       the same file under mod_cgid (plain CGI)
#     Settings are the responder's variables (ESP32_CONFIGS_DIR,
#     CORS_ORIGINS, DEBUG, MAX_BODY_BYTES, METRICS_FILE, SWAGGER_UI_DIR).
#     Exports BASE_URL, CONFIG_DIR, IOT_TMP, SERVER_PID and SERVER_LOG
#     (where the responder's log lines land). The helpers' teardown
#     functions (iot_cleanup_extra, iot_stop_file) stop it.
#   server_start_file KIND [VAR=value ...]   the same, for setup_file
#   apache_start fcgid|cgid [VAR=value ...]  as above; with APACHE_ROOT
#     set to a Debian-style directory (conf-available/, conf-enabled/), it
#     serves what is enabled there instead of linking the repository's
#     snippet
#   deploy_tmpdir        prints a new directory that the unprivileged user
#                        Apache runs the responder as can reach (bats' own
#                        are private to root); deploy_cleanup_dirs removes
#                        them (teardown_file)

load "${BATS_TEST_DIRNAME}/../e2e/helpers.bash"

deploy_tmpdir() {
	local d
	d="$(mktemp -d /tmp/iotconfig-deploy.XXXXXX)" || return 1
	chmod 755 "$d"
	echo "$d" >>"${BATS_FILE_TMPDIR:-/tmp}/deploy.dirs"
	echo "$d"
}

deploy_cleanup_dirs() {
	local list="${BATS_FILE_TMPDIR:-/tmp}/deploy.dirs" d
	[ -f "$list" ] || return 0
	while read -r d; do
		case "$d" in /tmp/iotconfig-deploy.*) rm -rf "$d" ;; esac
	done <"$list"
	rm -f "$list"
}

# give_to_server PATH...: owned by the user Apache runs responders as.
give_to_server() {
	if [ "$(id -u)" = 0 ]; then chown -R nobody:nogroup "$@"; fi
}

server_start() {
	local kind="$1"
	shift
	case "$kind" in
	lighttpd-fastcgi) iot_start "$@" ;;
	lighttpd-cgi) IOT_LIGHTTPD_CONF="$IOT_ROOT/conf/lighttpd-cgi.conf" iot_start "$@" ;;
	apache-fcgid) apache_start fcgid "$@" ;;
	apache-cgid) apache_start cgid "$@" ;;
	*)
		echo "server_start: unknown kind '$kind'" >&2
		return 1
		;;
	esac || return 1
	export SERVER_PID="$LIGHTTPD_PID"
	case "$kind" in
	lighttpd-*) export SERVER_LOG="$LIGHTTPD_LOG" ;;
	apache-*) export SERVER_LOG="$APACHE_LOG" ;;
	esac
}

server_start_file() {
	server_start "$@" || return 1
	export IOT_FILE_PID="$SERVER_PID"
}

apache_start() {
	local mode="$1" root kv
	shift
	IOT_TMP="$(deploy_tmpdir)" || return 1
	export IOT_TMP CONFIG_DIR="$IOT_TMP/configs"
	mkdir -p "$CONFIG_DIR" "$IOT_TMP/shm"
	root="${APACHE_ROOT:-$IOT_TMP/apache}"
	mkdir -p "$root/conf-enabled" "$root/fcgid" "$root/run" "$root/htdocs" "$IOT_TMP/libexec"
	if [ -z "${APACHE_ROOT:-}" ]; then
		ln -s "$IOT_ROOT/conf/apache/iotconfig.conf" "$root/conf-enabled/iotconfig.conf"
	fi
	# The binary may live under a directory only root can enter.
	cp "$IOTCONFIG_BIN" "$IOT_TMP/libexec/iotconfig.fcgi"
	chmod 755 "$IOT_TMP/libexec" "$IOT_TMP/libexec/iotconfig.fcgi"
	give_to_server "$CONFIG_DIR" "$IOT_TMP/shm" "$root/fcgid"

	local -A set=(
		[ESP32_CONFIGS_DIR]="$CONFIG_DIR" [CORS_ORIGINS]="[]" [DEBUG]=false
		[MAX_BODY_BYTES]=1048576 [METRICS_FILE]="$IOT_TMP/shm/iotconfig.metrics"
		[SWAGGER_UI_DIR]="$IOT_TMP/no-swagger-ui"
	)
	for kv in "$@"; do set[${kv%%=*}]="${kv#*=}"; done
	export CONFIG_DIR="${set[ESP32_CONFIGS_DIR]}"
	local -a args=(-d "$root" -f "$IOT_ROOT/tests/deploy/apache2.conf" -D FOREGROUND
		-D "${mode^^}" -C "Define IOT_APACHE_ROOT $root"
		-C "Define IOTCONFIG_LIBEXECDIR $IOT_TMP/libexec")
	for kv in "${!set[@]}"; do
		if [ -n "${set[$kv]}" ]; then args+=(-C "Define IOTCONFIG_$kv ${set[$kv]}"); fi
	done

	export APACHE_LOG="$root/error.log"
	local attempt port
	for attempt in 1 2 3 4 5; do
		port="$(free_port)"
		# 3>&-: bats waits for every process holding its fd 3.
		/usr/sbin/apache2 "${args[@]}" -C "Define IOT_APACHE_PORT $port" \
			>"$root/stdout.log" 2>&1 3>&- &
		# LIGHTTPD_PID: the helpers' name for this test's server (iot_stop).
		LIGHTTPD_PID=$!
		export LIGHTTPD_PID IOT_PORT="$port" BASE_URL="http://127.0.0.1:$port"
		echo "$LIGHTTPD_PID $IOT_TMP" >>"${BATS_FILE_TMPDIR:-/tmp}/iot.instances"
		if wait_for curl -sf -o /dev/null "$BASE_URL/api/docs/openapi.json"; then
			return 0
		fi
		kill "$LIGHTTPD_PID" 2>/dev/null || true
		wait "$LIGHTTPD_PID" 2>/dev/null || true
	done
	echo "apache2 did not start; logs:" >&2
	cat "$root/stdout.log" "$APACHE_LOG" >&2
	return 1
}

# metric NAME_WITH_LABELS: its value in a fresh scrape (0 when absent).
metric() {
	local v
	v="$(curl -s "$BASE_URL/metrics" | awk -v k="$1" '$1 == k { print $2 }')"
	echo "${v:-0}"
}
