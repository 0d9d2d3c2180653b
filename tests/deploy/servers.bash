# tests/deploy/servers.bash: the web servers the deployment suites run the
# responder under, each on a free loopback port with bounded waits. Builds
# on tests/e2e/helpers.bash (call, header, assert_*, iot_start, ...).
#
#   server_start KIND [VAR=value ...]
#       lighttpd-fastcgi  conf/lighttpd.conf: mod_fastcgi keeps processes
#       lighttpd-cgi      conf/lighttpd-cgi.conf: mod_cgi, one per request
#       apache-fcgid      conf/apache/iotconfig.conf under mod_fcgid
#       apache-cgid       the same file under mod_cgid (plain CGI)
#       image             the Docker image $IMAGE under $ENGINE (docker or
#                         podman; `make test-image` sets both), run as the
#                         docs/deployment.md says: read-only root, a tmpfs for the
#                         sockets, no capabilities; SERVER_PID is the
#                         attached engine client (signals reach the
#                         container), CONTAINER its name
#     Settings are the responder's variables (ESP32_CONFIGS_DIR,
#     CORS_ORIGINS, DEBUG, MAX_BODY_BYTES, METRICS_FILE, SWAGGER_UI_DIR,
#     SHARED_FS, HISTORY_KEEP, CHECKIN_INTERVAL, CHECKIN_MISSING_MAX, FILE_MODE,
#     DEVICE_AUTH, DEVICE_SECRET_OVERLAP, FIRMWARE_*); for Apache,
#     FIRMWARE_SENDFILE=true loads mod_xsendfile (the snippet then turns the
#     setting on by itself).
#     Exports BASE_URL, CONFIG_DIR, IOT_TMP, SERVER_PID, SERVER_ID (its id,
#     tests/e2e/procs.bash: signal it through that) and SERVER_LOG (where
#     the responder's log lines land). The helpers' teardown
#     functions (iot_cleanup_extra, iot_stop_file) stop it.
#   server_start_file KIND [VAR=value ...]   the same, for setup_file
#   apache_start fcgid|cgid [VAR=value ...]  as above (APACHE_CONFS: more
#     snippets of conf/apache/ to enable, e.g. "iotconfig-read-auth", with
#     HTPASSWD=file among the settings for their htpasswd file); with APACHE_ROOT
#     set to a Debian-style directory (conf-available/, conf-enabled/), it
#     serves what is enabled there, with only the settings given, instead
#     of the repository's snippet (CONFIG_DIR is then the caller's)
#   deploy_tmpdir        prints a new directory that the unprivileged user
#                        Apache runs the responder as can reach (bats' own
#                        are private to root); deploy_cleanup_dirs removes
#                        them (teardown_file)
#   debian_install       `make install` into a fresh Debian-like tree
#                        (DEB_ROOT): PREFIX=$DEB_ROOT/usr,
#                        SYSCONFDIR=$DEB_ROOT/etc holding a copy of
#                        Debian's /etc/lighttpd, data and sockets below it
#   in_debian_etc CMD... runs CMD with $DEB_ROOT/etc/lighttpd mounted over
#                        /etc/lighttpd in a private mount namespace (where
#                        lighttpd-enable-mod looks; the host is untouched)
#   debian_lighttpd_start  Debian's lighttpd.conf, moved to a loopback
#                        port, serving what is enabled in $DEB_ROOT
#   serve_on_free_port DIR LOG START   the start-and-wait loop under all
#                        of the above but iot_start (see below)

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

# give_to_server PATH...: owned by the user the web servers run responders
# as when started as root (www-data, as on Debian).
give_to_server() {
	if [ "$(id -u)" = 0 ]; then chown -R www-data:www-data "$@"; fi
}

server_start() {
	local kind="$1"
	shift
	case "$kind" in
	lighttpd-fastcgi) iot_start "$@" ;;
	lighttpd-cgi) IOT_LIGHTTPD_CONF="$IOT_ROOT/conf/lighttpd-cgi.conf" iot_start "$@" ;;
	apache-fcgid) apache_start fcgid "$@" ;;
	apache-cgid) apache_start cgid "$@" ;;
	image) image_start "$@" ;;
	*)
		echo "server_start: unknown kind '$kind'" >&2
		return 1
		;;
	esac || return 1
	case "$kind" in lighttpd-*) export SERVER_PID="$LIGHTTPD_PID" SERVER_ID="$LIGHTTPD_ID" SERVER_LOG="$LIGHTTPD_LOG" ;; esac
}

server_start_file() {
	server_start "$@" || return 1
	export IOT_FILE_ID="${IOT_FILE_ID:+$IOT_FILE_ID }$SERVER_ID"
}

apache_start() {
	local mode="$1" root kv
	shift
	IOT_TMP="$(deploy_tmpdir)" || return 1
	export IOT_TMP
	root="${APACHE_ROOT:-$IOT_TMP/apache}"
	mkdir -p "$root/conf-enabled" "$root/fcgid" "$root/run" "$root/htdocs" "$IOT_TMP/shm"
	give_to_server "$IOT_TMP/shm" "$root/fcgid"
	local -a args=(-d "$root" -f "$IOT_ROOT/tests/deploy/apache2.conf" -D FOREGROUND
		-D "${mode^^}" -C "Define IOT_APACHE_ROOT $root")
	local -A settings=()
	if [ -z "${APACHE_ROOT:-}" ]; then
		export CONFIG_DIR="$IOT_TMP/configs"
		mkdir -p "$CONFIG_DIR"
		give_to_server "$CONFIG_DIR"
		ln -s "$IOT_ROOT/conf/apache/iotconfig.conf" "$root/conf-enabled/iotconfig.conf"
		local c
		for c in ${APACHE_CONFS:-}; do
			ln -s "$IOT_ROOT/conf/apache/$c.conf" "$root/conf-enabled/$c.conf"
		done
		# The binary may live under a directory only root can enter.
		mkdir -p "$IOT_TMP/libexec"
		cp "$IOTCONFIG_BIN" "$IOT_TMP/libexec/iotconfig.fcgi"
		chmod 755 "$IOT_TMP/libexec" "$IOT_TMP/libexec/iotconfig.fcgi"
		args+=(-C "Define IOTCONFIG_LIBEXECDIR $IOT_TMP/libexec")
		settings=([ESP32_CONFIGS_DIR]="$CONFIG_DIR" [CORS_ORIGINS]="[]" [DEBUG]=false
			[MAX_BODY_BYTES]=1048576 [METRICS_FILE]="$IOT_TMP/shm/iotconfig.metrics"
			[SWAGGER_UI_DIR]="$IOT_TMP/no-swagger-ui" [SHARED_FS]=auto [HISTORY_KEEP]=20
			[CHECKIN_INTERVAL]=60 [CHECKIN_MISSING_MAX]=1000 [FILE_MODE]=0640 [DEVICE_AUTH]=off
			[DEVICE_SECRET_OVERLAP]=604800 [FIRMWARE_MAX_BYTES]=8388608 [FIRMWARE_KEEP]=5
			[FIRMWARE_FAIL_AFTER]=900)
	fi
	for kv in "$@"; do settings[${kv%%=*}]="${kv#*=}"; done
	# FIRMWARE_SENDFILE=true: Apache with mod_xsendfile, which the snippet
	# then sets up (and the responder uses); false or unset: without it.
	if [ "${settings[FIRMWARE_SENDFILE]:-false}" = true ]; then args+=(-D XSENDFILE); fi
	unset 'settings[FIRMWARE_SENDFILE]'
	export CONFIG_DIR="${settings[ESP32_CONFIGS_DIR]:-${CONFIG_DIR:-}}"
	for kv in "${!settings[@]}"; do
		if [ -n "${settings[$kv]}" ]; then args+=(-C "Define IOTCONFIG_$kv ${settings[$kv]}"); fi
	done

	export SERVER_LOG="$root/error.log"
	apache_run() { # apache_run PORT
		exec /usr/sbin/apache2 "${args[@]}" -C "Define IOT_APACHE_PORT $1"
	}
	serve_on_free_port "$IOT_TMP" "$root/stdout.log" apache_run ||
		{ cat "$root/stdout.log" "$SERVER_LOG" >&2; return 1; }
}

# image_start [VAR=value ...]: the image on a free loopback port. Host
# directories it needs (the config directory, SWAGGER_UI_DIR and
# AUTH_USERS_FILE when given) are mounted at the same path, read-only but
# the first; containers carry the label iotconfig-test, by which
# `make test-image` removes them all at the end.
image_start() {
	local kv v
	[ -n "${ENGINE:-}" ] && [ -n "${IMAGE:-}" ] || { echo "image_start: ENGINE and IMAGE are not set (make test-image)" >&2; return 1; }
	IOT_TMP="$(deploy_tmpdir)" || return 1
	export IOT_TMP CONFIG_DIR="$IOT_TMP/configs"
	IMAGE_ARGS=(run --rm --label iotconfig-test=1 --network host --read-only
		--tmpfs /run/iotconfig --cap-drop ALL --security-opt no-new-privileges
		-e HOST=127.0.0.1)
	# podman adds tmpfs mounts of its own to a read-only container; docker does not.
	[ "$ENGINE" != podman ] || IMAGE_ARGS+=(--read-only-tmpfs=false)
	for kv in "$@"; do
		v="${kv#*=}"
		case "$kv" in
		ESP32_CONFIGS_DIR=*) CONFIG_DIR="$v" ;;
		SWAGGER_UI_DIR=* | AUTH_USERS_FILE=*) [ -z "$v" ] || IMAGE_ARGS+=(-v "$v:$v:ro") ;;
		esac
		IMAGE_ARGS+=(-e "$kv")
	done
	mkdir -p "$CONFIG_DIR"
	chown 33:33 "$CONFIG_DIR"
	IMAGE_ARGS+=(-v "$CONFIG_DIR:$CONFIG_DIR" -e ESP32_CONFIGS_DIR="$CONFIG_DIR")
	export SERVER_LOG="$IOT_TMP/container.log"
	image_run() { # image_run PORT
		exec "$ENGINE" "${IMAGE_ARGS[@]}" -e PORT="$1" --name "iotconfig-test-$1" "$IMAGE"
	}
	serve_on_free_port "$IOT_TMP" "$SERVER_LOG" image_run || { cat "$SERVER_LOG" >&2; return 1; }
	export CONTAINER="iotconfig-test-$IOT_PORT"
}

# serve_on_free_port DIR LOG START: START PORT must exec the web server on
# that loopback port; it runs in the background with its output in LOG.
# Tries up to five free ports, waiting (bounded) for the server to answer;
# exports BASE_URL, IOT_PORT, SERVER_PID and LIGHTTPD_PID, and their id
# SERVER_ID and LIGHTTPD_ID (the helpers' name for this test's server,
# which iot_stop and the cleanup use).
serve_on_free_port() {
	local dir="$1" log="$2" start="$3" attempt port
	for attempt in 1 2 3 4 5; do
		port="$(free_port)"
		# 3>&-: bats waits for every process holding its fd 3.
		"$start" "$port" >"$log" 2>&1 3>&- &
		LIGHTTPD_PID=$!
		LIGHTTPD_ID="$(proc_id "$LIGHTTPD_PID")"
		export LIGHTTPD_PID LIGHTTPD_ID SERVER_PID=$! SERVER_ID="$LIGHTTPD_ID" IOT_PORT="$port" BASE_URL="http://127.0.0.1:$port"
		echo "$LIGHTTPD_ID $dir" >>"${BATS_FILE_TMPDIR:-/tmp}/iot.instances"
		if wait_for curl -sf -o /dev/null ${IOT_PROBE_AUTH:+-u "$IOT_PROBE_AUTH"} "$BASE_URL/api/docs/openapi.json"; then
			return 0
		fi
		stop_instance "$LIGHTTPD_ID" "$dir" || true
	done
	echo "the web server did not start" >&2
	return 1
}

debian_install() {
	DEB_ROOT="$(deploy_tmpdir)" || return 1
	export DEB_ROOT
	mkdir -p "$DEB_ROOT/etc/apache2/conf-enabled" "$DEB_ROOT/run/lighttpd" \
		"$DEB_ROOT/var/lib/iotconfig/configs" "$DEB_ROOT/state"
	cp -a /etc/lighttpd "$DEB_ROOT/etc/"
	make -s -C "$IOT_ROOT" install PREFIX="$DEB_ROOT/usr" SYSCONFDIR="$DEB_ROOT/etc" \
		LOCALSTATEDIR="$DEB_ROOT/var" RUNSTATEDIR="$DEB_ROOT/run" >"$DEB_ROOT/install.log" 2>&1 ||
		{ cat "$DEB_ROOT/install.log" >&2; return 1; }
	give_to_server "$DEB_ROOT/run/lighttpd" "$DEB_ROOT/var/lib/iotconfig/configs"
	export CONFIG_DIR="$DEB_ROOT/var/lib/iotconfig/configs"
}

DEB_ETC_MOUNT='mount --bind "$0/etc/lighttpd" /etc/lighttpd && exec "$@"'

# Debian's lighttpd tools only work on /etc/lighttpd: the tests bind a copy
# over it in a private mount namespace, which needs root with mount
# permission. Where that is not allowed, say so and skip.
require_mount_namespace() {
	unshare -m true 2>/dev/null ||
		skip "a private mount namespace (unshare -m) is not permitted here"
}

in_debian_etc() {
	unshare -m sh -c "$DEB_ETC_MOUNT" "$DEB_ROOT" "$@"
}

debian_lighttpd_start() {
	require_mount_namespace
	local conf="$DEB_ROOT/etc/lighttpd/lighttpd.conf"
	cp /etc/lighttpd/lighttpd.conf "$conf.debian"
	export IOT_TMP="$DEB_ROOT" LIGHTTPD_LOG="$DEB_ROOT/lighttpd.log" SERVER_LOG="$DEB_ROOT/lighttpd.log"
	grep -q '^server.port ' "$conf.debian" || { echo "Debian's lighttpd.conf sets no server.port" >&2; return 1; }
	: >"$DEB_ROOT/error.log"
	give_to_server "$DEB_ROOT/error.log"
	debian_lighttpd_run() { # debian_lighttpd_run PORT
		# Loopback only (no IPv6 wildcard), logs and pid file in the tree.
		sed -e "s|^server.port .*|server.port = $1\nserver.bind = \"127.0.0.1\"|" \
			-e '/use-ipv6.pl/d' \
			-e "s|^server.errorlog .*|server.errorlog = \"$DEB_ROOT/error.log\"|" \
			-e "s|^server.pid-file .*|server.pid-file = \"$DEB_ROOT/lighttpd.pid\"|" \
			"$conf.debian" >"$conf"
		exec unshare -m sh -c "$DEB_ETC_MOUNT" "$DEB_ROOT" lighttpd -D -f /etc/lighttpd/lighttpd.conf
	}
	serve_on_free_port "$DEB_ROOT" "$LIGHTTPD_LOG" debian_lighttpd_run ||
		{ cat "$LIGHTTPD_LOG" "$DEB_ROOT/error.log" >&2; return 1; }
}

# metric NAME_WITH_LABELS: its value in a fresh scrape (0 when absent).
metric() {
	local v
	v="$(curl -s "$BASE_URL/metrics" | awk -v k="$1" '$1 == k { print $2 }')"
	echo "${v:-0}"
}
