#!/usr/bin/env bats
# tests/e2e/list_cache.bats: each responder process keeps the list in a
# cache, so these tests change the directory behind the service's back
# (as an admin with an editor, a script or a sync tool would) and check
# that the very next request sees every change: edits (even of the same
# size within the same second), renames, deletes, new files, files that
# turn invalid and back, and a directory replaced as a whole. Requests are
# sent in parallel bursts so that every responder process answers, and
# every answer is checked. The service runs 4 responder processes, and a
# race of writers, deleters and lists ends with each process, asked
# through its own FastCGI socket, listing exactly what the directory
# holds. A look at a file that fails (an I/O error, injected with
# tests/e2e/fsfault.c) is a doubt, looked at again at the next request.

load helpers
load fsfault

setup_file() {
	iot_start_file PROCS=4
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

BURST=8

# burst PATH: BURST parallel GETs; every body lands in $IOT_TMP/burst.N.
burst() {
	local i pids=()
	for i in $(seq 1 $BURST); do
		curl -sf -o "$IOT_TMP/burst.$i" "$BASE_URL$1" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# every_list JQ EXPECTED: a burst of list requests, each answering EXPECTED.
every_list() {
	local i got
	burst /api/configs
	for i in $(seq 1 $BURST); do
		got="$(jq -c "$1" "$IOT_TMP/burst.$i")"
		if [ "$got" != "$2" ]; then
			echo "answer $i: jq '$1' gave $got, expected $2" >&2
			return 1
		fi
	done
}

# config MAC NAME: writes a config file directly, as an admin would.
config() {
	printf '{"deviceName":"%s","enableOTA":true}\n' "$2" >"$CONFIG_DIR/$1.json"
}

# mtime_ns FILE / set_mtime FILE NS: read and restore a file's exact mtime.
mtime_ns() { stat -c '%.9Y' "$1"; }
set_mtime() { touch -m -d "@$2" "$1"; }

setup() {
	rm -f "$CONFIG_DIR"/*.json
}

@test "an out-of-band edit of the same size and the same mtime is listed at the next request" {
	config 0a-00-00-00-00-01 alpha
	config 0a-00-00-00-00-02 other
	every_list '[.configs[].device_name]' '["alpha","other"]'
	local f="$CONFIG_DIR/0a-00-00-00-00-01.json" before size
	before="$(mtime_ns "$f")"
	size="$(stat -c %s "$f")"
	# Same length, rewritten in place, and the mtime put back to the very
	# nanosecond it had: only the bytes (and the ctime) differ.
	config 0a-00-00-00-00-01 omega
	set_mtime "$f" "$before"
	[ "$(stat -c %s "$f")" = "$size" ]
	[ "$(mtime_ns "$f")" = "$before" ]
	every_list '[.configs[].device_name]' '["omega","other"]'
}

@test "successive out-of-band edits of the same size are each listed at the next request" {
	config 0b-00-00-00-00-01 first
	every_list '.configs[0].device_name' '"first"'
	config 0b-00-00-00-00-01 secnd
	every_list '.configs[0].device_name' '"secnd"'
	config 0b-00-00-00-00-01 third
	every_list '.configs[0].device_name' '"third"'
}

@test "an edit saved through a temp file and a rename over the config is listed" {
	config 0c-00-00-00-00-01 before
	every_list '.configs[0].device_name' '"before"'
	printf '{"deviceName":"after!","enableOTA":false}\n' >"$CONFIG_DIR/.edit.tmp"
	mv "$CONFIG_DIR/.edit.tmp" "$CONFIG_DIR/0c-00-00-00-00-01.json"
	every_list '.configs[0] | del(.saved_at)' '{"mac_address":"0c-00-00-00-00-01","device_name":"after!","device_entity_id":null,"enable_ota":false,"schema":null,"schema_errors":0}'
}

@test "a config renamed out of band is listed under its new MAC only" {
	config 0d-00-00-00-00-01 moving
	config 0d-00-00-00-00-02 staying
	every_list '[.configs[].mac_address]' '["0d-00-00-00-00-01","0d-00-00-00-00-02"]'
	mv "$CONFIG_DIR/0d-00-00-00-00-01.json" "$CONFIG_DIR/0d-00-00-00-00-03.json"
	every_list '[.configs[] | [.mac_address, .device_name]]' '[["0d-00-00-00-00-02","staying"],["0d-00-00-00-00-03","moving"]]'
	every_list '.count' 2
}

@test "a config deleted out of band leaves the list and the count" {
	config 0e-00-00-00-00-01 one
	config 0e-00-00-00-00-02 two
	every_list '.count' 2
	rm "$CONFIG_DIR/0e-00-00-00-00-01.json"
	every_list '[.count, [.configs[].device_name]]' '[1,["two"]]'
	rm "$CONFIG_DIR/0e-00-00-00-00-02.json"
	every_list '[.count, .configs]' '[0,[]]'
}

@test "a config created out of band is listed at the next request" {
	every_list '.count' 0
	config 0f-00-00-00-00-01 newcomer
	every_list '[.count, .configs[0].device_name]' '[1,"newcomer"]'
}

@test "a config whose stat fails once (EIO, injected) after its change was reported is listed at the next request, and counted" {
	fsfault_build
	local token="$BATS_TEST_TMPDIR/eio-once"
	fsfault_responder "$BATS_TEST_TMPDIR/responder" IOT_FAULT_STAT_EIO_ONCE="$token"
	# One process: the one whose watch reports the new file is the one asked next.
	iot_start PROCS=1 IOTCONFIG_BIN="$BATS_TEST_TMPDIR/responder"
	call GET /api/configs
	assert_json .count 0
	# The first list walked the directory and started the watch; from here
	# on a list looks only at the files the kernel reports changed.
	call GET /api/configs
	assert_json .count 0
	touch "$token"
	config 0f-00-00-00-00-02 doubted
	call GET /api/configs
	assert_code 200
	# The fault bit: the look at the new file failed.
	[ ! -e "$token" ]
	call GET /api/configs
	assert_json '[.count, .configs[0].mac_address, .configs[0].device_name]' '[1,"0f-00-00-00-00-02","doubted"]'
	call GET /metrics
	grep -qx 'iot_config_files_count 1' "$IOT_TMP/last.body"
	# A file that is really gone still leaves at once.
	rm "$CONFIG_DIR/0f-00-00-00-00-02.json"
	call GET /api/configs
	assert_json .count 0
}

@test "a config that turns invalid leaves the list, and comes back once fixed" {
	config 10-00-00-00-00-01 valid
	every_list '.count' 1
	printf '{"deviceName":"valid","enableOTA":tru}\n' >"$CONFIG_DIR/10-00-00-00-00-01.json"
	every_list '.count' 0
	config 10-00-00-00-00-01 fixed
	every_list '[.count, .configs[0].device_name]' '[1,"fixed"]'
}

@test "a config replaced by a symlink leaves the list: the link is never followed" {
	config 11-00-00-00-00-01 plain
	every_list '.count' 1
	printf '{"deviceName":"outside"}\n' >"$IOT_TMP/outside.json"
	ln -sf "$IOT_TMP/outside.json" "$CONFIG_DIR/11-00-00-00-00-01.json.new"
	mv -T "$CONFIG_DIR/11-00-00-00-00-01.json.new" "$CONFIG_DIR/11-00-00-00-00-01.json"
	every_list '.count' 0
}

@test "a PUT through one process is listed by every process at the next request" {
	config 12-00-00-00-00-01 old
	every_list '.configs[0].device_name' '"old"'
	call PUT /api/configs/12-00-00-00-00-01 -H 'Content-Type: application/json' \
		--data-binary '{"content":{"deviceName":"new"}}'
	assert_code 200
	every_list '.configs[0].device_name' '"new"'
}

@test "a config directory replaced as a whole is listed afresh" {
	local d="$IOT_TMP/swap" old="$IOT_TMP/swap.old"
	mkdir -p "$d"
	printf '{"deviceName":"first dir"}\n' >"$d/13-00-00-00-00-01.json"
	iot_start ESP32_CONFIGS_DIR="$d"
	every_list '[.configs[].device_name]' '["first dir"]'
	mv "$d" "$old"
	mkdir "$d"
	printf '{"deviceName":"second dir"}\n' >"$d/13-00-00-00-00-02.json"
	every_list '[.configs[] | [.mac_address, .device_name]]' '[["13-00-00-00-00-02","second dir"]]'
	# The old directory is no longer watched or listed: changing it shows nothing.
	printf '{"deviceName":"ghost"}\n' >"$old/13-00-00-00-00-03.json"
	every_list '.count' 1
}

@test "the raw GET of a config replaced by one of the same size and mtime has the new bytes and a new ETag" {
	local mac=14-00-00-00-00-01 f etag1 etag2 before
	f="$CONFIG_DIR/$mac.json"
	printf '{"deviceName":"AAAA"}\n' >"$f"
	before="$(mtime_ns "$f")"
	call GET "/api/configs/$mac.json"
	assert_code 200
	etag1="$(header ETag)"
	[ "$body" = '{"deviceName":"AAAA"}' ]
	# A new inode (possibly the old number reused), same size, same mtime.
	rm "$f"
	printf '{"deviceName":"BBBB"}\n' >"$f"
	set_mtime "$f" "$before"
	call GET "/api/configs/$mac.json"
	assert_code 200
	etag2="$(header ETag)"
	[ "$body" = '{"deviceName":"BBBB"}' ]
	[ -n "$etag1" ]
	[ "$etag1" != "$etag2" ]
	# The old tag no longer matches; the new one does.
	call GET "/api/configs/$mac.json" -H "If-None-Match: $etag1"
	assert_code 200
	call GET "/api/configs/$mac.json" -H "If-None-Match: $etag2"
	assert_code 304
}

@test "the raw GET of a config edited in place to invalid JSON answers 500, and 200 once fixed" {
	local mac=15-00-00-00-00-01
	printf '{"deviceName":"ok"}\n' >"$CONFIG_DIR/$mac.json"
	burst "/api/configs/$mac.json"
	printf '{"deviceName":ok}\n' >"$CONFIG_DIR/$mac.json"
	call GET "/api/configs/$mac.json"
	assert_error 500 CONFIG_UNREADABLE
	printf '{"deviceName":"ok"}\n' >"$CONFIG_DIR/$mac.json"
	call GET "/api/configs/$mac.json"
	assert_code 200
	[ "$body" = '{"deviceName":"ok"}' ]
}

# worker_list SOCKET: a list request sent straight to one responder's
# FastCGI socket (lighttpd gives each process its own), printed as
# jq '[.configs[] | [.mac_address, .device_name]]' would.
worker_list() {
	env -i PATH="$PATH" REQUEST_METHOD=GET REQUEST_URI=/api/configs SCRIPT_NAME=/api/configs \
		timeout 10 cgi-fcgi -bind -connect "$1" | sed '1,/^\r\{0,1\}$/d' |
		jq -c '[.configs[] | [.mac_address, .device_name]]'
}

# dir_listing: the directory as the list should show it, in the same form.
dir_listing() {
	local files=("$CONFIG_DIR"/*.json)
	[ -e "${files[0]}" ] || { echo '[]'; return; }
	jq -c -n '[inputs | [(input_filename | split("/")[-1] | rtrimstr(".json")), .deviceName]] | sort' "${files[@]}"
}

# churn: for 3 s (by its own clock), changes configs 1a-00-00-10-*, one
# after the other: each gets a large version (slow to parse: 50,000 numbers) renamed
# over it, then a moment later either a small last version renamed over it
# or, for every third, a delete. A responder that is reading the large
# version when the last change lands must still list that last change.
churn() {
	python3 - "$CONFIG_DIR" <<'PY'
import os, sys, time
folder = sys.argv[1]
tmp = os.path.join(folder, ".churn.tmp")
pad = "[" + "0," * 49999 + "0]"
def put(name, text):
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, name)
end, i = time.monotonic() + 3, 0
while time.monotonic() < end and i < 512:
    name = os.path.join(folder, "1a-00-00-10-%02x-%02x.json" % (i // 256, i % 256))
    put(name, '{"deviceName":"%d-large","pad":%s}\n' % (i, pad))
    time.sleep(0.001)  # pacing only: the last change lands while the large one may be read
    if i % 3 == 0:
        os.unlink(name)
    else:
        put(name, '{"deviceName":"%d-last"}\n' % i)
    i += 1
PY
}

# for_3s CMD...: runs CMD again and again for about 3 s, each run to its
# end (whatever it answers).
for_3s() {
	local end=$((SECONDS + 3))
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" || true
	done
}

@test "after a race of writers, deleters and lists, every process lists the directory as it is" {
	local pids=() i macs="$BASE_URL/api/configs/1a-00-00-00-00-0[1-3]"
	# Out-of-band renames and deletes, PUTs and DELETEs through the service
	# (of other configs), and lists from 4 clients at once; curl stops after
	# 3 s (the lists wherever they got to).
	# The PUTs and DELETEs go in rounds, each run to its end: a change cut
	# off in flight could still land in the directory after the listing
	# below was taken.
	churn &
	pids+=($!)
	for_3s curl -s -o /dev/null --max-time 30 -X PUT -H 'Content-Type: application/json' \
		--data-binary '{"content":{"deviceName":"put"}}' "$macs?n=[1-20]" &
	pids+=($!)
	for_3s curl -s -o /dev/null --max-time 30 -X DELETE "$macs?n=[1-20]" &
	pids+=($!)
	for i in 1 2 3 4; do
		timeout 3 curl -s -o /dev/null "$BASE_URL/api/configs?n=[1-3000]" &
		pids+=($!)
	done
	wait "${pids[0]}" # the churn must have worked
	wait "${pids[@]:1}" || true # lists stopped by timeout

	# Each process, asked directly, lists what the directory holds now.
	local want socket got n=0
	want="$(dir_listing)"
	for socket in "$RUN_DIR"/iotconfig-"$IOT_PORT".sock-*; do
		got="$(worker_list "$socket")"
		if [ "$got" != "$want" ]; then
			echo "the process at $socket lists (<) what the directory does not hold (>):" >&2
			diff <(jq -c '.[]' <<<"$got") <(jq -c '.[]' <<<"$want") | head -20 >&2
			return 1
		fi
		n=$((n + 1))
	done
	[ $n -eq 4 ]
}
