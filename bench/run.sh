#!/usr/bin/env bash
# bench/run.sh: `make bench`. Measures the service against the physical
# limit of this machine, on loopback only, in a few minutes:
#
#   static      lighttpd serving the config file itself (bench/lighttpd.conf)
#   floor       bench/floor.c writing the same response bytes through FastCGI
#   sendfile    the floor answering with X-Sendfile (lighttpd sends the file)
#   replace     bench/replace.c: the durable-replace limit of one writer
#               (temp file, fsync, rename, fsync of the directory) with the
#               bytes the PUT rows store, on the same disk, the floor of
#               the PUT rows; and the same with the history's one more
#               step (a link of the current version, fsync of its folder)
#   service     raw GET, 304 poll, wrapped GET, list at N=200 and N=10,000,
#               wrapped PUT (fsyncs included) with history on (HISTORY_KEEP
#               default, 20) and off (HISTORY_KEEP=0, its own instance on
#               the same directory; each PUT carries a number of its own,
#               so each one changes the file), /metrics, and /metrics and GET
#               /api/fetches with 10,000 devices noted, then again on a
#               copy of that directory after a scan of BENCH_SCAN MACs
#               without a config (CHECKIN_INTERVAL default, 60: noting is
#               on in every row)
#   cgi         the raw GET with one responder process per request (mod_cgi)
#   firmware    a 1.5 MiB ESP-IDF image (tests/firmware/fwtool.py) uploaded
#               as model "bench": lighttpd serving the file statically, the
#               image route sent by lighttpd (X-Sendfile), the same route
#               streamed by the responder (FIRMWARE_SENDFILE=false, its own
#               instance), and a device's 4 KiB Range chunk; then 50
#               devices updating at once (50 connections, one after another
#               4 KiB chunks of the whole image, each device its own MAC),
#               with the responder's RSS after it
#   secret      the raw GET of a device that has a secret, sent as HTTP Basic
#               the way esp_http_client sends it (DEVICE_AUTH=per-device,
#               its own instance on the N=200 directory, with the admin
#               credentials DEVICE_AUTH goes with: AUTH_USERS_FILE,
#               AUTH_READS=true)
#   CephFS      a throwaway cluster on loopback (tests/ceph/cluster.sh) with
#               two ceph-fuse mounts, one node of the service on each, over
#               a copy of the N=1,000 directory: raw GET, 304 poll, list of
#               1,000 and PUT (history on) through one node, beside the same
#               rows on the local disk (a local N=1,000 instance for the
#               list); and, for both file systems, a change written through
#               one node until another node serves it (bench/visible.c)
#
# Every row runs with the same wrk settings. Rows are measured ROUNDS times,
# interleaved, so a burst of other load on the machine hits every row alike;
# each row reports its median round, and each ratio is the median of the
# ratios of the same round. Writes bench/results.md and bench/latency.png,
# replaces the table in docs/performance.md; scratch files go to bench/out/.
#
# Settings (environment): BENCH_SECONDS (2 per row and round), BENCH_ROUNDS
# (5), BENCH_CONNECTIONS (8), BENCH_PROCS (2 responder processes, like the
# end-to-end tests), BENCH_NOTE (a line for results.md, e.g. what else ran),
# BENCH_BIN (the responder to measure, default cgi-bin/iotconfig.fcgi: set
# it to another build to compare two versions), BENCH_BASE (another build,
# e.g. an older version: its raw GET, list of 200 and PUT are measured as
# rows of their own, interleaved with the others, on the same directory,
# so that two builds are compared in one run), BENCH_CEPH (1; 0 leaves the
# CephFS rows out, e.g. where FUSE is not available), BENCH_VISIBLE_ROUNDS
# (200 changes per file system for the cross-node figures), BENCH_SCAN
# (100000 MACs asked for by the scan, 4 clients at once).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/tests/e2e/procs.bash"
OUT="$ROOT/bench/out"
SECS="${BENCH_SECONDS:-2}"
ROUNDS="${BENCH_ROUNDS:-5}"
CONNS="${BENCH_CONNECTIONS:-8}"
PROCS="${BENCH_PROCS:-2}"
SCAN="${BENCH_SCAN:-100000}"
# Resolved: responders are found by the path of their executable.
BIN="$(readlink -f "${BENCH_BIN:-$ROOT/cgi-bin/iotconfig.fcgi}")"
FLOOR="$OUT/floor"
VISIBLE="$OUT/visible"
REPLACE="$OUT/replace"
BASE=""
[ -z "${BENCH_BASE:-}" ] || BASE="$(readlink -f "$BENCH_BASE")"
# The responder binary of each instance that does not run $BIN.
declare -A BIN_OF=()
[ -z "$BASE" ] || BIN_OF[base]="$BASE"
CEPH="${BENCH_CEPH:-1}"
VISIBLE_ROUNDS="${BENCH_VISIBLE_ROUNDS:-200}"
WRK_ARGS=(-t1 -c"$CONNS" -d"${SECS}s" --timeout 10s -s "$ROOT/bench/wrk.lua")

die() {
	echo "bench: $*" >&2
	exit 1
}

for tool in lighttpd wrk gnuplot curl sha256sum awk ss htpasswd; do
	command -v "$tool" >/dev/null || die "$tool is missing (make deps-bench installs it)"
done
[ -x "$BIN" ] || die "$BIN is missing (make builds it)"
[ -x "$FLOOR" ] || die "$FLOOR is missing (make bench builds it)"
[ -x "$VISIBLE" ] || die "$VISIBLE is missing (make bench builds it)"
[ -x "$REPLACE" ] || die "$REPLACE is missing (make bench builds it)"
[ -z "$BASE" ] || [ -x "$BASE" ] || die "BENCH_BASE: $BENCH_BASE is not an executable"
[ "$BASE" != "$BIN" ] || die "BENCH_BASE is the build measured (BENCH_BIN): set it to another one"
if [ "$CEPH" = 1 ]; then
	[ -c /dev/fuse ] || die "no /dev/fuse: ceph-fuse cannot mount here (BENCH_CEPH=0 leaves the CephFS rows out)"
	command -v ceph-fuse >/dev/null || die "ceph-fuse is missing (make deps-bench installs it)"
fi

rm -rf "$OUT/n200" "$OUT/n1000" "$OUT/n10000" "$OUT/scanned" "$OUT/cgi" "$OUT/base" "$OUT/replace.d" "$OUT/rounds" "$OUT/cdf"
mkdir -p "$OUT/rounds" "$OUT/cdf"
read -r _ u0 n0 s0 i0 w0 q0 sq0 st0 _ </proc/stat

# cpu_snapshot: "pid ticks command" of every process now, to tell afterwards
# which other programs kept the machine busy (those alive at the end).
cpu_snapshot() {
	local f pid rest
	for f in /proc/[0-9]*/stat; do
		{ read -r pid rest <"$f"; } 2>/dev/null || continue
		# comm is in parentheses and may hold spaces: split after the last ')'.
		local comm="${rest#(}" tail="${rest##*) }"
		comm="${comm%) *}"
		set -- $tail
		echo "$pid $((${12} + ${13})) ${comm// /_}"
	done
}
cpu_snapshot >"$OUT/cpu.before"

# --- the data ---------------------------------------------------------------
for n in 200 1000 10000; do
	mkdir -p "$OUT/n$n/configs" "$OUT/n$n/run"
	awk -v N="$n" -v DIR="$OUT/n$n/configs" -f "$ROOT/bench/configs.awk"
done
mkdir -p "$OUT/cgi/run"
C200="$OUT/n200/configs"
# The device fetched by every GET row: the file of median size.
TARGET_FILE="$(stat -c '%s %n' "$C200"/*.json | sort -n | awk '{f[NR] = $2} END {print f[int((NR + 1) / 2)]}')"
MAC="$(basename "$TARGET_FILE" .json)"
SIZE="$(stat -c %s "$TARGET_FILE")"
# The devices the PUT rows rewrite (others, so GET rows keep their bytes):
# one with history on, one with history off, one for BENCH_BASE's PUT.
PUT_MAC="02-00-00-00-00-01"
[ "$PUT_MAC" != "$MAC" ] || PUT_MAC="02-00-00-00-00-02"
PUT_OFF_MAC="02-00-00-00-00-03"
[ "$PUT_OFF_MAC" != "$MAC" ] || PUT_OFF_MAC="02-00-00-00-00-04"
PUT_BASE_MAC="02-00-00-00-00-05"
[ "$PUT_BASE_MAC" != "$MAC" ] || PUT_BASE_MAC="02-00-00-00-00-06"
# The PUT rows' body: that device's config with a first member "benchSeq"
# whose value wrk sets per request (@SEQ@), so that every PUT changes the
# file: a PUT of the bytes already stored writes nothing.
{
	printf '{"content":{"benchSeq":@SEQ@,'
	tail -c +2 "$C200/$PUT_MAC.json"
	printf '}'
} >"$OUT/put-body.json"
sed 's/@SEQ@/0/' "$OUT/put-body.json" >"$OUT/put-body-0.json"
sed 's/@SEQ@/-1/' "$OUT/put-body.json" >"$OUT/put-body-1.json"

# The floor's response: the headers the service sends for this file. Its
# mtime goes a minute back: within its own second the service sends no
# Last-Modified.
touch -m -d "@$(($(date +%s) - 60))" "$TARGET_FILE"
ETAG="\"$(sha256sum "$TARGET_FILE" | cut -c1-32)\""
LASTMOD="$(LC_ALL=C date -u -r "$TARGET_FILE" '+%a, %d %b %Y %H:%M:%S GMT')"
RID="00000000-0000-4000-8000-000000000000"
printf 'Status: 200 OK\r\nX-Request-ID: %s\r\nContent-Length: %s\r\nContent-Type: application/json\r\nETag: %s\r\nLast-Modified: %s\r\nCache-Control: no-cache\r\n\r\n' \
	"$RID" "$SIZE" "$ETAG" "$LASTMOD" >"$OUT/floor.head"
printf 'Status: 200 OK\r\nX-Request-ID: %s\r\nContent-Type: application/json\r\nETag: %s\r\nLast-Modified: %s\r\nCache-Control: no-cache\r\nX-Sendfile: %s\r\n\r\n' \
	"$RID" "$ETAG" "$LASTMOD" "$TARGET_FILE" >"$OUT/floor-sendfile.head"

# --- servers ----------------------------------------------------------------
# PIDS to read, IDS to signal (tests/e2e/procs.bash: a pid read earlier
# may be another process by now).
PIDS=()
IDS=()
# stop ID...: TERM (lighttpd stops its responders), a bounded wait, KILL;
# then a bounded wait for the responders, which are never signalled here.
stop() {
	local id tree=()
	mapfile -t tree < <(for id in "$@"; do proc_tree "$id"; done)
	proc_signal TERM "$@" || true
	for id in "$@"; do proc_stop "$id" 5 || true; done
	proc_wait_gone 30 "${tree[@]}" || echo "bench: responders still running 30 s after their server stopped" >&2
}
stop_servers() {
	[ ${#IDS[@]} -eq 0 ] || stop "${IDS[@]}"
	PIDS=()
	IDS=()
}
# The CephFS cluster, when started: stopped after the servers using it.
CLUSTER=""
stop_all() {
	stop_servers
	if [ -n "$CLUSTER" ]; then
		bash "$ROOT/tests/ceph/cluster.sh" stop "$CLUSTER" || echo "bench: could not stop the cluster in $CLUSTER" >&2
		CLUSTER=""
	fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 40000))
		if ! ss -Hltn "sport = :$port" | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# start NAME CONF CONFIG_DIR [HISTORY_KEEP] [DEVICE_AUTH]: starts lighttpd, sets ${NAME}_URL
# and ${NAME}_PID.
# A port found free can be taken by someone else before lighttpd binds it:
# then it tries another.
start() {
	local name="$1" conf="$2" dir="$3" keep="${4:-20}" device_auth="${5:-off}" port pid id i attempt
	local run="$OUT/$name/run" users="" reads=false
	mkdir -p "$run"
	# Device secrets go with the web server's credentials for admin routes,
	# as lighttpd-auth.sh demands (the device route itself asks none).
	if [ "$device_auth" != off ]; then
		users="$OUT/$name/htpasswd" reads=true
		htpasswd -cbB "$users" bench bench 2>/dev/null || die "htpasswd could not write $users"
	fi
	for attempt in 1 2 3 4 5; do
		port="$(free_port)" || die "no free port"
		env HOST=127.0.0.1 PORT="$port" PROCS="$PROCS" ESP32_CONFIGS_DIR="$dir" CORS_ORIGINS= \
			ALLOWED_HOSTS= DEBUG=false MAX_BODY_BYTES=1048576 METRICS_FILE="$run/metrics" SHARED_FS=auto \
			MQTT_URL= MQTT_USERNAME= MQTT_PASSWORD= MQTT_PASSWORD_FILE= MQTT_CA_FILE= MQTT_TOPIC= MQTT_FIRMWARE_TOPIC= MQTT_CLIENT_ID= \
			FIRMWARE_MAX_BYTES=8388608 FIRMWARE_KEEP=5 FIRMWARE_FAIL_AFTER=900 FIRMWARE_SENDFILE="${FIRMWARE_SENDFILE:-true}" FIRMWARE_BASE_URL= \
			HISTORY_KEEP="$keep" CHECKIN_INTERVAL=60 CHECKIN_MISSING_MAX=1000 FILE_MODE=0640 DEVICE_AUTH="$device_auth" DEVICE_SECRET_OVERLAP=604800 AUTH_USERS_FILE="$users" AUTH_READS="$reads" SWAGGER_UI_DIR="$run" IOTCONFIG_BIN="$BIN" IOTCONFIG_CONF_DIR="$ROOT/conf" RUN_DIR="$run" \
			FLOOR_BIN="$FLOOR" FLOOR_HEAD="$OUT/floor.head" FLOOR_FILE="$TARGET_FILE" \
			FLOOR_SENDFILE_HEAD="$OUT/floor-sendfile.head" \
			lighttpd -D -f "$conf" >"$OUT/$name/lighttpd.log" 2>&1 &
		pid=$!
		id="$(proc_id "$pid")"
		for i in $(seq 1 100); do
			# Our lighttpd bound the port (it logs that), and it answers.
			if grep -q 'server started' "$OUT/$name/lighttpd.log" && proc_running "$id" &&
				curl -sf -o /dev/null "http://127.0.0.1:$port/api/health"; then
				PIDS+=("$pid")
				IDS+=("$id")
				printf -v "${name}_URL" 'http://127.0.0.1:%s' "$port"
				printf -v "${name}_PID" '%s' "$pid"
				return 0
			fi
			proc_running "$id" || break
			sleep 0.1
		done
		stop "$id"
	done
	cat "$OUT/$name/lighttpd.log" >&2
	die "lighttpd ($name) did not start"
}

start n200 "$ROOT/bench/lighttpd.conf" "$OUT/n200/configs"
start n10000 "$ROOT/bench/lighttpd.conf" "$OUT/n10000/configs"
start cgi "$ROOT/bench/lighttpd-cgi.conf" "$OUT/n200/configs"
start nohist "$ROOT/bench/lighttpd.conf" "$OUT/n200/configs" 0
# Firmware on a directory of its own (its devices would change the lists'
# N): lighttpd sending the images, and the responder streaming them.
mkdir -p "$OUT/fw/configs"
rm -rf "$OUT/fw/configs/.firmware"
start fw "$ROOT/bench/lighttpd.conf" "$OUT/fw/configs"
FIRMWARE_SENDFILE=false start fwstream "$ROOT/bench/lighttpd.conf" "$OUT/fw/configs"
start secret "$ROOT/bench/lighttpd.conf" "$OUT/n200/configs" 20 per-device
# The other build, when compared: the same directory, the same settings.
if [ -n "$BASE" ]; then
	BIN_MEASURED="$BIN"
	BIN="$BASE"
	start base "$ROOT/bench/lighttpd.conf" "$OUT/n200/configs"
	BIN="$BIN_MEASURED"
fi
# The fleet view on the N=10,000 directory has its own instance, so that
# the list rows' RSS is the list's alone.
start fleet "$ROOT/bench/lighttpd.conf" "$OUT/n10000/configs"
# N=1,000 on the local disk, and a second node on the same directory for
# the cross-node figure.
start n1000 "$ROOT/bench/lighttpd.conf" "$OUT/n1000/configs"
start n1000b "$ROOT/bench/lighttpd.conf" "$OUT/n1000/configs"
# The same 1,000 configs on CephFS, one node per ceph-fuse mount.
if [ "$CEPH" = 1 ]; then
	CLUSTER="$(mktemp -u /tmp/iotconfig-bench-ceph.XXXXXX)"
	bash "$ROOT/tests/ceph/cluster.sh" start "$CLUSTER" || { CLUSTER=""; die "the CephFS cluster did not start"; }
	cp -r "$OUT/n1000/configs" "$CLUSTER/a/configs"
	start cephA "$ROOT/bench/lighttpd.conf" "$CLUSTER/a/configs"
	start cephB "$ROOT/bench/lighttpd.conf" "$CLUSTER/b/configs"
fi

# Responder processes of one lighttpd running a given binary.
pool() { # pool LIGHTTPD_PID BINARY
	local p
	for p in $(pgrep -P "$1"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$2" ] && echo "$p"
	done
	return 0
}

# ticks FIELDS PID...: CPU clock ticks of processes, from /proc/PID/stat:
# FIELDS 14-15 is their own time, 16-17 that of their reaped children.
ticks() {
	local fields="$1" sum=0 p f v
	shift
	for p in "$@"; do
		f="$(cut -d' ' -f"$fields" "/proc/$p/stat" 2>/dev/null)" || continue
		for v in $f; do
			sum=$((sum + v))
		done
	done
	echo "$sum"
}

# --- sanity: every row answers what it claims --------------------------------
check_body() { # check_body URL FILE
	curl -sf "$1" | cmp -s - "$2" || die "$1 does not answer the bytes of $2"
}
check_body "$n200_URL/static/$MAC.json" "$TARGET_FILE"
check_body "$n200_URL/floor/$MAC.json" "$TARGET_FILE"
check_body "$n200_URL/floor-sendfile/$MAC.json" "$TARGET_FILE"
check_body "$n200_URL/api/configs/$MAC.json" "$TARGET_FILE"
check_body "$cgi_URL/api/configs/$MAC.json" "$TARGET_FILE"
# The target device's secret, made as an admin would (the responder run once
# as CGI, authenticated as the web server would say); the instances with
# DEVICE_AUTH off go on ignoring it.
SECRET="$(env -i REQUEST_METHOD=POST REQUEST_URI="/api/configs/$MAC/credential" REMOTE_USER=bench CONTENT_TYPE=application/json \
	DEVICE_AUTH=per-device ESP32_CONFIGS_DIR="$C200" METRICS_FILE="$OUT/secret.metrics" "$BIN" </dev/null 2>/dev/null |
	grep -o '"secret":"[A-Za-z0-9_-]*"' | cut -d'"' -f4)"
[ -n "$SECRET" ] || die "no secret could be made for $MAC"
DEVICE_BASIC="Authorization: Basic $(printf '%s:%s' "$MAC" "$SECRET" | base64 -w0)"
curl -sf -H "$DEVICE_BASIC" "$secret_URL/api/configs/$MAC.json" | cmp -s - "$TARGET_FILE" ||
	die "the device with its secret does not get the bytes of $TARGET_FILE"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$secret_URL/api/configs/$MAC.json")" = 401 ] ||
	die "the device without its secret is not refused"
[ -z "$BASE" ] || check_body "$base_URL/api/configs/$MAC.json" "$TARGET_FILE"
got="$(curl -sf -D - -o /dev/null "$n200_URL/api/configs/$MAC.json" | tr -d '\r')"
grep -qxF "ETag: $ETAG" <<<"$got" || die "the service's ETag is not the floor's ($ETAG)"
grep -qxF "Last-Modified: $LASTMOD" <<<"$got" || die "the service's Last-Modified is not the floor's"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$n200_URL/api/configs/$MAC.json")" = 304 ] ||
	die "the poll with If-None-Match does not answer 304"
for n in 200 1000 10000; do
	url="n${n}_URL"
	count="$(curl -sf "${!url}/api/configs" | grep -o '"count":[0-9]*' | cut -d: -f2)"
	[ "$count" = "$n" ] || die "the list at N=$n counts $count"
done
# N=1,000 holds the first 200 configs of N=200 byte for byte (fixed seed).
cmp -s "$TARGET_FILE" "$OUT/n1000/configs/$MAC.json" || die "N=1000 does not hold the raw GET rows' config"
if [ "$CEPH" = 1 ]; then
	check_body "$cephB_URL/api/configs/$MAC.json" "$TARGET_FILE"
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$cephA_URL/api/configs/$MAC.json")" = 304 ] ||
		die "the poll with If-None-Match on CephFS does not answer 304"
	count="$(curl -sf "$cephA_URL/api/configs" | grep -o '"count":[0-9]*' | cut -d: -f2)"
	[ "$count" = 1000 ] || die "the list on CephFS counts $count"
	grep -q 'config directory file system is shared (fuse.ceph-fuse)' "$OUT/cephA/lighttpd.log" ||
		die "the CephFS node does not run as on a shared file system"
	for i in 0 1; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
			--data-binary @"$OUT/put-body-$i.json" "$cephA_URL/api/configs/$PUT_MAC")" = 200 ] ||
			die "the PUT on CephFS does not answer 200"
	done
	[ -n "$(ls -A "$CLUSTER/b/configs/.history/$PUT_MAC" 2>/dev/null)" ] || die "the PUT row on CephFS keeps no history"
fi
put_urls=("$n200_URL/api/configs/$PUT_MAC" "$nohist_URL/api/configs/$PUT_OFF_MAC")
[ -z "$BASE" ] || put_urls+=("$base_URL/api/configs/$PUT_BASE_MAC")
for url in "${put_urls[@]}"; do
	for i in 0 1; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
			--data-binary @"$OUT/put-body-$i.json" "$url")" = 200 ] || die "the PUT to $url does not answer 200"
	done
done
grep -q '"benchSeq": -1,' "$C200/$PUT_MAC.json" || die "the PUT row's device does not hold the last PUT"
[ -n "$(ls -A "$C200/.history/$PUT_MAC" 2>/dev/null)" ] || die "the PUT row keeps no history"
# The durable-replace rows: the PUT row's file as stored, on the same disk.
mkdir -p "$OUT/replace.d/history"
cp "$C200/$PUT_MAC.json" "$OUT/replace.d/body.json"
cp "$C200/$PUT_MAC.json" "$OUT/replace.d/$PUT_MAC.json"
# Every device of N=10,000 fetches its config once (one curl, keep-alive), so
# GET /api/fetches lists 10,000 notes.
for f in "$OUT/n10000/configs"/*.json; do
	printf 'url = "%s/api/configs/%s"\noutput = "/dev/null"\n' "$fleet_URL" "${f##*/}"
done >"$OUT/n10000/fetch-all.curl"
curl -sf -K "$OUT/n10000/fetch-all.curl" || die "the devices of N=10000 could not fetch their configs"
count="$(curl -sf "$fleet_URL/api/fetches" | grep -o '"count":[0-9]*' | tail -1 | cut -d: -f2)" || true
[ "$count" = 10000 ] || die "GET /api/fetches at N=10000 counts ${count:-nothing}"
# The same devices with their notes, on a copy that is then scanned: SCAN
# MACs without a config, each asked for once, by 4 clients at once (keep-alive).
mkdir -p "$OUT/scanned"
cp -a "$OUT/n10000/configs" "$OUT/scanned/configs"
start scanned "$ROOT/bench/lighttpd.conf" "$OUT/scanned/configs"
size_of() { curl -sf -o /dev/null -w '%{size_download}' "$1"; }
METRICS_BYTES="$(size_of "$fleet_URL/metrics")"
FETCHES_BYTES="$(size_of "$fleet_URL/api/fetches")"
for part in 0 1 2 3; do
	awk -v n="$SCAN" -v part="$part" -v url="$scanned_URL" 'BEGIN {
		for (i = part; i < n; i += 4)
			printf "url = \"%s/api/configs/0e-%02x-%02x-%02x-%02x-%02x.json\"\noutput = \"/dev/null\"\n", url,
				int(i / 2^32) % 256, int(i / 2^24) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' \
		>"$OUT/scanned/scan-$part.curl"
done
scan_start="$(date +%s%N)"
scanners=()
for part in 0 1 2 3; do
	curl -s -K "$OUT/scanned/scan-$part.curl" &
	scanners+=($!)
done
wait "${scanners[@]}"
SCAN_MS=$((($(date +%s%N) - scan_start) / 1000000))
# The view after it: the devices, and the scan within its bound (CHECKIN_MISSING_MAX=1000).
count="$(curl -sf "$scanned_URL/api/fetches" | grep -o '"count":[0-9]*' | tail -1 | cut -d: -f2)" || true
[ -n "$count" ] && [ "$count" -ge 10000 ] && [ "$count" -le 11000 ] ||
	die "GET /api/fetches after the scan counts ${count:-nothing}, not 10,000 devices and at most 1,000 guesses"
SCAN_NOTES="$(find "$OUT/scanned/configs/.fetches" -type f -name '0e-*' | wc -l)"
SCAN_METRICS_BYTES="$(size_of "$scanned_URL/metrics")"
SCAN_FETCHES_BYTES="$(size_of "$scanned_URL/api/fetches")"
[ ! -e "$C200/.history/$PUT_OFF_MAC" ] || die "the history-off PUT row keeps history"

# Firmware: a 1.5 MiB image of model "bench", its target, 50 devices of
# that model, and a copy lighttpd serves statically (not a config: *.bin).
FW_IMG="$OUT/firmware.bin"
python3 "$ROOT/tests/firmware/fwtool.py" image "$FW_IMG" --version 1.0.0 --size 1572864 >/dev/null ||
	die "fwtool could not make the image"
FW_SIZE="$(stat -c %s "$FW_IMG")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' \
	--data-binary @"$FW_IMG" "$fw_URL/api/firmware/bench/versions/1.0.0")" = 201 ] || die "the firmware upload was refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
	--data-binary '{"version":"1.0.0"}' "$fw_URL/api/firmware/bench/target")" = 200 ] || die "the firmware target was not set"
cp "$FW_IMG" "$OUT/fw/configs/firmware-static.bin"
FW_MAC=02-00-00-fe-00-00
for i in $(seq 0 50); do
	printf '{"deviceName":"fw %d","deviceModel":"bench"}\n' "$i" >"$OUT/fw/configs/02-00-00-fe-00-$(printf %02x "$i").json"
done
check_body "$fw_URL/static/firmware-static.bin" "$FW_IMG"
check_body "$fw_URL/esp32/firmware/bench/1.0.0.bin" "$FW_IMG"
check_body "$fwstream_URL/esp32/firmware/bench/1.0.0.bin" "$FW_IMG"
check_body "$fw_URL/esp32/firmware/$FW_MAC.bin" "$FW_IMG"
curl -sf -r 4096-8191 "$fw_URL/esp32/firmware/$FW_MAC.bin" | cmp -s - <(tail -c +4097 "$FW_IMG" | head -c 4096) ||
	die "the firmware Range chunk is not the image's bytes"

# --- the rows -----------------------------------------------------------------
# name | instance | pool (floor, sendfile, service, cgi, none, replace) | path | method | body | header
# (replace rows: bench/replace.c, "path" its history folder or nothing)
ROWS=(
	"static|n200|none|/static/$MAC.json|GET||"
	"floor|n200|floor|/floor/$MAC.json|GET||"
	"sendfile floor|n200|sendfile|/floor-sendfile/$MAC.json|GET||"
	"raw GET|n200|service|/api/configs/$MAC.json|GET||"
	"304 poll|n200|service|/api/configs/$MAC.json|GET||If-None-Match: $ETAG"
	"wrapped GET|n200|service|/api/configs/$MAC|GET||"
	"list N=200|n200|service|/api/configs|GET||"
	"list N=10000|n10000|service|/api/configs|GET||"
	"PUT|n200|service|/api/configs/$PUT_MAC|PUT|$OUT/put-body.json|"
	"metrics|n200|service|/metrics|GET||"
	"cgi raw GET|cgi|cgi|/api/configs/$MAC.json|GET||"
	"PUT, history off|nohist|service|/api/configs/$PUT_OFF_MAC|PUT|$OUT/put-body.json|"
	"list N=1000|n1000|service|/api/configs|GET||"
	"durable replace|n200|replace||||"
	"durable replace with history link|n200|replace|$OUT/replace.d/history|||"
	"static image 1.5 MiB|fw|none|/static/firmware-static.bin|GET||"
	"image GET, X-Sendfile|fw|service|/esp32/firmware/bench/1.0.0.bin|GET||"
	"image GET, streamed|fwstream|service|/esp32/firmware/bench/1.0.0.bin|GET||"
	"device 4 KiB Range chunk|fw|service|/esp32/firmware/$FW_MAC.bin|GET||Range: bytes=4096-8191"
)
if [ -n "$BASE" ]; then
	ROWS+=(
		"base raw GET|base|service|/api/configs/$MAC.json|GET||"
		"base list N=200|base|service|/api/configs|GET||"
		"base PUT|base|service|/api/configs/$PUT_BASE_MAC|PUT|$OUT/put-body.json|"
	)
fi
# CephFS rows, through node A. The list comes last: its requests still queued when wrk stops (a list takes
# a good part of a second there) then delay no other CephFS row.
if [ "$CEPH" = 1 ]; then
	ROWS+=(
		"CephFS raw GET|cephA|service|/api/configs/$MAC.json|GET||"
		"CephFS 304 poll|cephA|service|/api/configs/$MAC.json|GET||If-None-Match: $ETAG"
		"CephFS PUT|cephA|service|/api/configs/$PUT_MAC|PUT|$OUT/put-body.json|"
		"CephFS list N=1000|cephA|service|/api/configs|GET||"
	)
fi
# The device secret row: the raw GET through the instance with DEVICE_AUTH on.
ROWS+=("raw GET, secret checked|secret|service|/api/configs/$MAC.json|GET||$DEVICE_BASIC")
# The fleet view at N=10,000 takes a good part of a second per request:
# too long for wrk's rows. One request at a time instead, FLEET_TRIES each,
# interleaved like the rows: name | instance | path | POST body (JSON; @N@
# is a number new to each request, so that every fleet change writes).
# The searches read every config; the fleet change patches the 1,000
# configs of N=1000 (all have "qos": 1), previewed, then applied.
FLEET=(
	"/api/fetches N=10000|fleet|/api/fetches|"
	"/metrics N=10000|fleet|/metrics|"
	"/api/fetches N=10000 after scan|scanned|/api/fetches|"
	"/metrics N=10000 after scan|scanned|/metrics|"
	"search text N=10000|fleet|/api/configs?q=garage_99|"
	"search pointer N=10000|fleet|/api/configs?q=/updateInterval=42|"
	"export N=10000|fleet|/api/export|"
	"fleet change preview N=1000|n1000|/api/changes|{\"q\":\"/mqtt/qos=1\",\"patch\":{\"benchRound\":@N@},\"dry_run\":true}"
	"fleet change N=1000|n1000|/api/changes|{\"q\":\"/mqtt/qos=1\",\"patch\":{\"benchRound\":@N@}}"
)
FLEET_SEQ=0
FLEET_TRIES=3

# measure ROUND INDEX: one wrk run of one row; appends to rounds/all.tsv.
measure() {
	local round="$1" idx="$2" name inst kind path method body header
	IFS='|' read -r name inst kind path method body header <<<"${ROWS[$idx]}"
	local lpid_var="${inst}_PID" url_var="${inst}_URL"
	local lpid="${!lpid_var}" pids=()
	case "$kind" in
	floor | sendfile) mapfile -t pids < <(pool "$lpid" "$FLOOR") ;;
	service) mapfile -t pids < <(pool "$lpid" "${BIN_OF[$inst]:-$BIN}") ;;
	replace)
		local hist=()
		[ -z "$path" ] || hist=("$path")
		line="$("$REPLACE" "$OUT/replace.d" "$PUT_MAC.json" "$OUT/replace.d/body.json" "$SECS" "${hist[@]}")" ||
			die "$name failed"
		awk -v round="$round" -v idx="$idx" '{
			printf "%d\t%d\t%.1f\t%d\t%d\t%d\t-1\t-1\n", round, idx, $2 / $3, $5, $6, $4
		}' <<<"$line" >>"$OUT/rounds/all.tsv"
		return 0
		;;
	esac
	# Both floors run bench/out/floor: tell their pools apart by FLOOR_FILE.
	if [ "$kind" = floor ] || [ "$kind" = sendfile ]; then
		local want=FLOOR_FILE="$TARGET_FILE" p keep=()
		[ "$kind" = sendfile ] && want=FLOOR_FILE=/dev/null
		for p in "${pids[@]}"; do
			tr '\0' '\n' <"/proc/$p/environ" | grep -qxF "$want" && keep+=("$p")
		done
		pids=("${keep[@]}")
	fi
	local r0 l0 r1 l1 line
	# CGI processes are gone by the end: count them as lighttpd's reaped children.
	if [ "$kind" = cgi ]; then r0="$(ticks 16-17 "$lpid")"; else r0="$(ticks 14-15 "${pids[@]}")"; fi
	l0="$(ticks 14-15 "$lpid")"
	line="$(BENCH_METHOD="$method" BENCH_BODY="$body" BENCH_HEADER="$header" \
		BENCH_CDF="$OUT/cdf/$idx.$round" wrk "${WRK_ARGS[@]}" "${!url_var}$path" | grep '^BENCH ')" ||
		die "wrk failed on $name"
	if [ "$kind" = cgi ]; then r1="$(ticks 16-17 "$lpid")"; else r1="$(ticks 14-15 "${pids[@]}")"; fi
	l1="$(ticks 14-15 "$lpid")"
	awk -v round="$round" -v idx="$idx" -v r="$((r1 - r0))" -v l="$((l1 - l0))" \
		-v hz="$(getconf CLK_TCK)" -v kind="$kind" '{
		rps = $2 / $3
		resp = (kind == "none") ? -1 : r * 1e6 / hz / $2
		web = l * 1e6 / hz / $2
		printf "%d\t%d\t%.1f\t%d\t%d\t%d\t%.1f\t%.1f\n", round, idx, rps, $5, $6, $4, resp, web
	}' <<<"$line" >>"$OUT/rounds/all.tsv"
}

rss_report() { # LIGHTTPD_PID: max VmRSS (kB) of its service responders, with the breakdown
	local p best=0 line=""
	for p in $(pool "$1" "$BIN"); do
		local rss anon file
		rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")"
		anon="$(awk '/^RssAnon:/ {print $2}' "/proc/$p/status")"
		file="$(awk '/^RssFile:/ {print $2}' "/proc/$p/status")"
		if [ "$rss" -gt "$best" ]; then
			best="$rss"
			line="$rss $anon $file"
		fi
	done
	echo "$line"
}

echo "bench: ${#ROWS[@]} rows x $ROUNDS rounds x ${SECS}s, wrk -t1 -c$CONNS, $PROCS responder processes"
# Warm-up: caches filled and every process started before anything counts.
for idx in "${!ROWS[@]}"; do
	IFS='|' read -r name inst kind path method _ header <<<"${ROWS[$idx]}"
	url_var="${inst}_URL"
	[ "$kind" != replace ] && [ "$method" != PUT ] || continue
	BENCH_HEADER="$header" wrk -t1 -c"$CONNS" -d1s -s "$ROOT/bench/wrk.lua" "${!url_var}$path" >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
	for idx in "${!ROWS[@]}"; do
		measure "$round" "$idx"
	done
	printf '  round %d of %d done\n' "$round" "$ROUNDS"
done
# 50 devices updating at once: each connection one device, fetching the
# whole image in 4 KiB Range chunks one after another (bench/fleet-ota.lua),
# on the streaming instance (the responder sends every byte), then its RSS.
FW_FLEET="$(BENCH_FW_SIZE="$FW_SIZE" BENCH_FW_MACS=50 wrk -t1 -c50 -d"$((SECS * 3))s" \
	-s "$ROOT/bench/fleet-ota.lua" "$fwstream_URL/esp32/firmware/" | grep '^FLEET ')" ||
	die "the 50-device update run failed"
read -r _ FW_CHUNKS FW_FLEET_SECS FW_FLEET_ERR FW_FLEET_P50 FW_FLEET_P99 FW_IMAGES <<<"$FW_FLEET"
read -r FW_RSS_KB FW_RSS_ANON_KB FW_RSS_FILE_KB <<<"$(rss_report "$fwstream_PID")"
read -r RSS_KB RSS_ANON_KB RSS_FILE_KB <<<"$(rss_report "$n10000_PID")"
read -r RSS200_KB RSS200_ANON_KB RSS200_FILE_KB <<<"$(rss_report "$n200_PID")"

# A change through one node until another serves it: two nodes over one
# local directory, and over CephFS through two clients. After the rows:
# the config it writes would change the lists' N.
: >"$OUT/visible.tsv"
visible() { # visible LABEL A_URL B_URL
	local line
	line="$("$VISIBLE" "${2##*:}" "${3##*:}" 02-00-00-ff-00-01 "$VISIBLE_ROUNDS" | grep '^VISIBLE ')" ||
		die "the cross-node measurement failed on $1"
	printf '%s\t%s\n' "$1" "${line#VISIBLE }" >>"$OUT/visible.tsv"
}
echo "bench: a change through one node until the other serves it, $VISIBLE_ROUNDS times per file system"
visible "local disk" "$n1000_URL" "$n1000b_URL"
[ "$CEPH" = 1 ] && visible "CephFS" "$cephA_URL" "$cephB_URL"

# fleet_once INDEX: one request of a FLEET row; appends its seconds and the
# responders' CPU ticks to fleet.tsv.
fleet_once() {
	local name inst path body lpid_var url_var pids t r0 r1 post=()
	IFS='|' read -r name inst path body <<<"${FLEET[$1]}"
	lpid_var="${inst}_PID" url_var="${inst}_URL"
	if [ -n "$body" ]; then
		FLEET_SEQ=$((FLEET_SEQ + 1))
		post=(-X POST -H 'Content-Type: application/json' --data-binary "${body//@N@/$FLEET_SEQ}")
	fi
	mapfile -t pids < <(pool "${!lpid_var}" "$BIN")
	r0="$(ticks 14-15 "${pids[@]}")"
	t="$(curl -sf -o /dev/null -w '%{time_total}' "${post[@]}" "${!url_var}$path")" || die "$name failed"
	r1="$(ticks 14-15 "${pids[@]}")"
	printf '%d\t%s\t%d\n' "$1" "$t" "$((r1 - r0))" >>"$OUT/rounds/fleet.tsv"
}
echo "bench: the fleet view, ${#FLEET[@]} rows x $((ROUNDS * FLEET_TRIES)) requests, one at a time"
for idx in "${!FLEET[@]}"; do fleet_once "$idx" >/dev/null; done # caches filled
for round in $(seq 1 $((ROUNDS * FLEET_TRIES))); do
	for idx in "${!FLEET[@]}"; do fleet_once "$idx"; done
done
fleet_names="$(printf '%s\n' "${FLEET[@]}" | cut -d'|' -f1)"
awk -F'\t' -v names="$fleet_names" -v hz="$(getconf CLK_TCK)" '
function median(arr, n,    i, j, t, s) {
	for (i = 1; i <= n; i++) s[i] = arr[i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
	return s[int((n + 1) / 2)]
}
BEGIN { nrows = split(names, name, "\n") }
{ n[$1]++; t[$1, n[$1]] = $2; cpu[$1] += $3 }
END {
	printf "| fleet view, one request at a time | median time | fastest, slowest | responder CPU per request |\n| --- | ---: | ---: | ---: |\n"
	for (i = 0; i < nrows; i++) {
		lo = hi = t[i, 1]
		for (k = 1; k <= n[i]; k++) { v[k] = t[i, k]; if (v[k] < lo) lo = v[k]; if (v[k] > hi) hi = v[k] }
		printf "| %s | %.0f ms | %.0f, %.0f ms | %.0f ms |\n", name[i + 1], median(v, n[i]) * 1000, lo * 1000, hi * 1000, cpu[i] * 1000 / hz / n[i]
	}
}' "$OUT/rounds/fleet.tsv" >"$OUT/fleet.md"

# CPU used by this script and everything it started (the servers and their
# processes not yet reaped, wrk and the tools, reaped), against the machine's.
read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
cpu_snapshot >"$OUT/cpu.after"
ourpids=" $$ ${PIDS[*]} $(for pid in "${PIDS[@]}"; do pgrep -P "$pid"; done | tr '\n' ' ') "
# Other programs that used the most CPU during the run, by command name.
others="$(awk -v ours="$ourpids" -v hz="$(getconf CLK_TCK)" '
	NR == FNR { before[$1] = $2; next }
	index(ours, " " $1 " ") == 0 { used[$3] += $2 - before[$1] }
	END { for (c in used) if (used[c] / hz >= 0.2) printf "%s %.1f\n", c, used[c] / hz }' \
	"$OUT/cpu.before" "$OUT/cpu.after" | sort -k2 -rn | head -5 |
	awk '{printf "%s%s (%s s)", (NR > 1 ? ", " : ""), $1, $2}')"
servers=0
for pid in "${PIDS[@]}"; do
	servers=$((servers + $(ticks 14-17 "$pid" $(pgrep -P "$pid"))))
done
ours="$(times | awk -v servers="$servers" -v hz="$(getconf CLK_TCK)" 'NR == 2 {
	split($1, a, "m"); split($2, b, "m");
	print (a[1] * 60 + a[2]) + (b[1] * 60 + b[2]) + servers / hz }')"
stop_servers

# --- report ---------------------------------------------------------------------
machine_cpu="$(awk -F: '/^model name/ {sub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)"
machine="$machine_cpu, $(nproc) cores, $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r), $(lighttpd -v 2>&1 | head -1 | cut -d' ' -f1), $({ wrk -v 2>&1 || true; } | head -1 | cut -d' ' -f1-2)"
# In cores, on average: CPU time outside the bench's processes (kernel
# threads included, which also do some of the bench's own network and disk
# work), and time the hypervisor gave to other machines (steal).
read -r other steal < <(awk -v busy="$(((u1 + n1 + s1 + q1 + sq1) - (u0 + n0 + s0 + q0 + sq0)))" \
	-v steal="$((st1 - st0))" -v ours="$ours" -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" \
	-v all="$(((u1 + n1 + s1 + i1 + w1 + q1 + sq1 + st1) - (u0 + n0 + s0 + i0 + w0 + q0 + sq0 + st0)))" \
	'BEGIN { secs = all / hz / cores; o = (busy / hz - ours) / secs
	printf "%.2f %.2f\n", (o < 0 ? 0 : o), steal / hz / secs }')
names="$(printf '%s\n' "${ROWS[@]}" | cut -d'|' -f1)"

# Ratios of two rows of the same round, then their median: "label|a|b"
# is rows a / b in requests/s; "label|a|b|time" is b / a (time per
# request); "label|a|b|cpu" the responder CPU per request of a over b.
# A ratio whose rows did not run (CephFS, BENCH_BASE) is left out.
RATIOS=(
	"service raw GET / floor (goal >= 0.90)|raw GET|floor"
	"service raw GET / static|raw GET|static"
	"list(200) / raw GET (goal >= 0.75)|list N=200|raw GET"
	"304 poll / raw GET (goal >= 1.00)|304 poll|raw GET"
	"time per list at 10,000 / at 200 (linear = 50)|list N=200|list N=10000|time"
	"sendfile floor / floor|sendfile floor|floor"
	"cgi raw GET / raw GET|cgi raw GET|raw GET"
	"responder CPU per request, raw GET / floor|raw GET|floor|cpu"
	"raw GET with a secret checked / without (goal >= 0.85)|raw GET, secret checked|raw GET"
	"PUT (history on) / durable replace (goal >= 0.65)|PUT|durable replace"
	"PUT (history on) / durable replace with history link|PUT|durable replace with history link"
	"durable replace with history link / durable replace|durable replace with history link|durable replace"
	"PUT, history off / durable replace|PUT, history off|durable replace"
	"image GET, X-Sendfile / static image (goal >= 0.80)|image GET, X-Sendfile|static image 1.5 MiB"
	"image GET, streamed / static image (goal >= 0.80)|image GET, streamed|static image 1.5 MiB"
	"PUT with history (HISTORY_KEEP=20) / without|PUT|PUT, history off"
	"CephFS raw GET / local raw GET|CephFS raw GET|raw GET"
	"CephFS 304 poll / local 304 poll|CephFS 304 poll|304 poll"
	"CephFS list(1000) / local list(1000)|CephFS list N=1000|list N=1000"
	"CephFS PUT / local PUT (both with history)|CephFS PUT|PUT"
	"base: list(200) / raw GET|base list N=200|base raw GET"
	"base: PUT / durable replace|base PUT|durable replace"
	"list(200) / raw GET, over base's|list N=200|raw GET|over:base list N=200:base raw GET"
	"PUT / durable replace, over base's|PUT|durable replace|over:base PUT:durable replace"
)
ratios="$(printf '%s\n' "${RATIOS[@]}")"

awk -F'\t' -v rounds="$ROUNDS" -v names="$names" -v ratios="$ratios" -v out="$OUT" -v size="$SIZE" \
	-v rss="$RSS_KB" -v anon="$RSS_ANON_KB" -v file="$RSS_FILE_KB" \
	-v rss200="$RSS200_KB" -v anon200="$RSS200_ANON_KB" -v file200="$RSS200_FILE_KB" \
	-v fwsize="$FW_SIZE" -v fwchunks="$FW_CHUNKS" -v fwsecs="$FW_FLEET_SECS" -v fwerr="$FW_FLEET_ERR" \
	-v fwp50="$FW_FLEET_P50" -v fwp99="$FW_FLEET_P99" -v fwimages="$FW_IMAGES" \
	-v fwrss="$FW_RSS_KB" -v fwanon="$FW_RSS_ANON_KB" -v fwfile="$FW_RSS_FILE_KB" \
	-v scan="$SCAN" -v scan_ms="$SCAN_MS" -v scan_notes="$SCAN_NOTES" -v mbytes="$METRICS_BYTES" -v fbytes="$FETCHES_BYTES" \
	-v smbytes="$SCAN_METRICS_BYTES" -v sfbytes="$SCAN_FETCHES_BYTES" '
function median(arr, n,    i, j, t, s) {
	for (i = 1; i <= n; i++) s[i] = arr[i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
	return s[int((n + 1) / 2)]
}
function us(v) { return v >= 10000 ? sprintf("%.1f ms", v / 1000) : sprintf("%d us", v) }
function cpu(v) { return v < 0 ? "-" : sprintf("%.1f", v) }
# The value of ratio "a|b|how" in round r.
function value(a, b, how, r,    o) {
	if (how == "time") return rps[row[a], r] / rps[row[b], r] # time per request of b over a
	if (how == "cpu") return resp[row[a], r] / resp[row[b], r]
	if (how ~ /^over:/) { split(how, o, ":"); return (rps[row[a], r] / rps[row[b], r]) / (rps[row[o[2]], r] / rps[row[o[3]], r]) }
	return rps[row[a], r] / rps[row[b], r]
}
BEGIN {
	nrows = split(names, name, "\n")
	for (i = 1; i <= nrows; i++) row[name[i]] = i - 1
	nratios = split(ratios, ratio, "\n")
}
{ rps[$2, $1] = $3; p50[$2, $1] = $4; p99[$2, $1] = $5; err[$2, $1] = $6; resp[$2, $1] = $7; web[$2, $1] = $8 }
END {
	printf "| row | requests/s | p50 | p99 | errors | responder CPU us/req | lighttpd CPU us/req |\n"
	printf "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
	for (i = 0; i < nrows; i++) {
		for (r = 1; r <= rounds; r++) v[r] = rps[i, r]
		m = median(v, rounds)
		for (r = 1; r <= rounds; r++) if (rps[i, r] == m) break
		printf "| %s | %.0f | %s | %s | %d | %s | %s |\n", name[i + 1], m, us(p50[i, r]), us(p99[i, r]),
			err[i, r], cpu(resp[i, r]), cpu(web[i, r])
		pick[i] = r
	}
	printf "\n| ratio (median of the rounds) | value | lowest, highest round |\n| --- | ---: | ---: |\n"
	for (k = 1; k <= nratios; k++) {
		split(ratio[k], f, "|")
		need = f[2] "|" f[3]
		if (f[4] ~ /^over:/) { split(f[4], o, ":"); need = need "|" o[2] "|" o[3] }
		split(need, want, "|")
		ok = 1
		for (w in want) if (!(want[w] in row)) ok = 0
		if (!ok) continue
		for (r = 1; r <= rounds; r++) v[r] = value(f[2], f[3], f[4], r)
		lo = hi = v[1]
		for (r = 2; r <= rounds; r++) { if (v[r] < lo) lo = v[r]; if (v[r] > hi) hi = v[r] }
		printf "| %s | %.2f | %.2f, %.2f |\n", f[1], median(v, rounds), lo, hi
	}
	printf "\nResponder RSS after the rows, at N=200: %.2f MiB (VmRSS %d kB: anonymous %d kB, file-backed %d kB); goal <= 3 MiB.\n", rss200 / 1024, rss200, anon200, file200
	printf "At N=10,000, after its list rows: %.2f MiB (VmRSS %d kB: anonymous %d kB, file-backed %d kB); goal <= 4 MiB.\n", rss / 1024, rss, anon, file
	printf "Raw GET rows fetch one %d-byte config.\n", size
	printf "Fleet view at N=10,000 (every device noted once): /metrics %d bytes, /api/fetches %d bytes. A scan of %d MACs without a config (4 clients, keep-alive) took %.1f s (%.0f per second); after it %d notes of guessed MACs are kept (CHECKIN_MISSING_MAX 1000), /metrics %d bytes, /api/fetches %d bytes.\n", mbytes, fbytes, scan, scan_ms / 1000, scan * 1000 / (scan_ms > 0 ? scan_ms : 1), scan_notes, smbytes, sfbytes
	printf "\n50 devices updating at once in 4 KiB Range chunks of the %d-byte image (streamed by the responder, 50 connections, %.0f s): %d chunks/s, %.1f MiB/s, %d whole images, p50 %s, p99 %s per chunk, %d errors; responder RSS after it %.2f MiB (VmRSS %d kB: anonymous %d kB, file-backed %d kB).\n", fwsize, fwsecs, fwchunks / fwsecs, fwchunks * 4096 / fwsecs / 1048576, fwimages, us(fwp50), us(fwp99), fwerr, fwrss / 1024, fwrss, fwanon, fwfile
	for (i = 0; i < 4; i++) print pick[i] > (out "/picked")
}' "$OUT/rounds/all.tsv" >"$OUT/table.md"
awk -F'\t' -v rounds="$VISIBLE_ROUNDS" '
function us(v) { return v >= 10000 ? sprintf("%.1f ms", v / 1000) : sprintf("%d us", v) }
BEGIN {
	printf "\nA change through one node until another node serves it (%d changes per file system, one at a time: a PUT through node A, then GETs through node B until B answers the new ETag):\n\n", rounds
	printf "| file system | PUT sent until B serves it, p50 | p99 | the PUT alone, p50 | p99 | GETs through B needed, at most | B'"'"'s first GET had it |\n"
	printf "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
}
{
	split($2, f, " ")
	printf "| %s | %s | %s | %s | %s | %d | %d of %d |\n", $1, us(f[2]), us(f[3]), us(f[4]), us(f[5]), f[6], f[7], f[1]
}' "$OUT/visible.tsv" >>"$OUT/table.md"
{
	echo
	cat "$OUT/fleet.md"
} >>"$OUT/table.md"

# Latency distribution of the median rounds: static, floor, service raw GET.
mapfile -t picked <"$OUT/picked"
gnuplot <<EOF
set terminal pngcairo size 900,560 font "DejaVu Sans,11"
set output "$ROOT/bench/latency.png"
set title "GET of one config, wrk -t1 -c$CONNS, $PROCS responder processes"
set xlabel "latency (microseconds)"
set ylabel "fraction of requests at or below"
set logscale x
set format x "%g"
set key right bottom
set grid
plot "$OUT/cdf/0.${picked[0]}" using 1:2 with lines lw 2 title "static (lighttpd alone)", \
     "$OUT/cdf/1.${picked[1]}" using 1:2 with lines lw 2 title "floor (FastCGI, no work)", \
     "$OUT/cdf/3.${picked[3]}" using 1:2 with lines lw 2 title "service raw GET"
EOF

{
	echo "# Bench results"
	echo
	echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo
	echo "Machine: $machine."
	echo "Other load during the run, on average: $other cores busy outside the bench's own processes (kernel threads included), $steal cores taken by the hypervisor (steal); load average at the end $(cut -d' ' -f1-3 /proc/loadavg). Busiest other programs still running at the end, CPU seconds during the run: ${others:-none} (processes that started and ended during the run are not named)."
	[ -n "${BENCH_NOTE:-}" ] && echo "Note: $BENCH_NOTE"
	echo
	echo "Settings: wrk -t1 -c$CONNS, ${SECS}s per row, $ROUNDS interleaved rounds (median round shown; ratios are medians of same-round ratios), $PROCS responder processes per FastCGI pool, lighttpd with the shipped conf/lighttpd.conf."
	echo
	cat "$OUT/table.md"
	echo
	echo "![latency distribution](latency.png)"
} >"$ROOT/bench/results.md"

# docs/performance.md shows the last run: its table replaces the one between
# the markers.
perfdoc="$ROOT/docs/performance.md"
if grep -q '^<!-- bench results: written by make bench -->$' "$perfdoc"; then
	{
		echo "Last run: $(date -u '+%Y-%m-%d'), $machine; other load $other cores, steal $steal cores."
		echo
		cat "$OUT/table.md"
	} >"$OUT/doc-table.md"
	awk -v table="$OUT/doc-table.md" '
		/^<!-- bench results: written by make bench -->$/ {
			print; print ""
			while ((getline line < table) > 0) print line
			print ""; skip = 1; next
		}
		/^<!-- end of bench results -->$/ { skip = 0 }
		!skip' "$perfdoc" >"$OUT/performance.md" && cat "$OUT/performance.md" >"$perfdoc"
fi

echo
cat "$OUT/table.md"
echo
echo "machine: $machine; other load: $other cores, steal: $steal cores"
echo "bench: wrote bench/results.md and bench/latency.png"
