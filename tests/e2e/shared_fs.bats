#!/usr/bin/env bats
# tests/e2e/shared_fs.bats: the service on a shared file system (NFS,
# CephFS, SMB, FUSE), forced on this local disk with SHARED_FS=true. There
# a node's cached attributes can be older than another node's change, and
# file times come from the server's clock. So: no Last-Modified and no 304
# from If-Modified-Since; the list looks at every file at every request
# (no inotify, which other machines' changes never reach); and a config
# that a stat by name misses (a stale attribute cache, injected with
# tests/e2e/fsfault.c) is still listed, deleted and matched by If-Match,
# where the same fault on a local file system is trusted. Two nodes on
# one directory keep one order of revisions even when one node's listing
# of a history directory is stale (injected likewise).

load helpers
load fsfault

setup_file() {
	iot_start_file SHARED_FS=true
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

setup() {
	rm -f "$CONFIG_DIR"/*.json
}

MAC=aa-bb-cc-00-5f-01

@test "the service refuses SHARED_FS values other than auto, true and false, naming the variable" {
	run env -i SHARED_FS=nfs "$IOTCONFIG_BIN" --check
	[ "$status" -eq 78 ]
	[[ "$output" == *"SHARED_FS: 'nfs' is not auto, true or false"* ]]
	run env -i SHARED_FS=auto "$IOTCONFIG_BIN" --check
	[ "$status" -eq 0 ]
}

@test "shared: a config GET sends ETag but no Last-Modified, however old the file" {
	put_json "$MAC" '{"content":{"deviceName":"old"}}'
	assert_code 200
	backdate "$CONFIG_DIR/$MAC.json"
	local path
	for path in "/api/configs/$MAC" "/api/configs/$MAC.json" "/esp32/config/$MAC.json"; do
		call GET "$path"
		assert_code 200
		[ -n "$(header ETag)" ]
		if [ -n "$(header Last-Modified)" ]; then
			echo "$path sent Last-Modified: $(header Last-Modified)" >&2
			return 1
		fi
	done
}

@test "shared: If-Modified-Since is ignored: a date after the file's mtime still gets 200 and the bytes" {
	printf '{"deviceName":"ims"}\n' >"$CONFIG_DIR/$MAC.json"
	backdate "$CONFIG_DIR/$MAC.json"
	local later
	later="$(date -u -d @"$(($(date +%s) + 3600))" '+%a, %d %b %Y %H:%M:%S GMT')"
	call GET "/api/configs/$MAC.json" -H "If-Modified-Since: $later"
	assert_code 200
	[ "$body" = '{"deviceName":"ims"}' ]
	call GET "/api/configs/$MAC" -H "If-Modified-Since: $later"
	assert_code 200
	assert_json .content '{"deviceName":"ims"}'
	# If-None-Match still works.
	call GET "/api/configs/$MAC.json" -H "If-None-Match: $(header ETag)"
	assert_code 304
}

@test "shared: configs created, and then changed without any inotify event (through a hard link elsewhere, like another node's write), behind the service's back are listed at the next request" {
	call GET /api/configs
	assert_json .count 0
	printf '{"deviceName":"before"}\n' >"$CONFIG_DIR/$MAC.json"
	ln "$CONFIG_DIR/$MAC.json" "$BATS_TEST_TMPDIR/elsewhere.json"
	# Each responder process lists it, so each has it cached.
	local i
	for i in 1 2 3 4; do
		call GET /api/configs
		assert_json '[.count, .configs[0].mac_address, .configs[0].device_name]' "[1,\"$MAC\",\"before\"]"
	done
	printf '{"deviceName":"after, longer"}\n' >"$BATS_TEST_TMPDIR/elsewhere.json"
	for i in 1 2 3 4; do
		call GET /api/configs
		assert_json '[.count, .configs[0].device_name]' '[1,"after, longer"]'
	done
}

@test "stale stat (injected): DELETE of a config created behind the service's back answers 204 and removes it with SHARED_FS=true, where a local file system trusts the stat and answers 404" {
	fsfault_build
	local dir="$BATS_TEST_TMPDIR/configs"
	mkdir "$dir"
	printf '{"deviceName":"other node"}\n' >"$dir/$MAC.json"
	# The injected fault is real: trusted where the file system is taken as local.
	cgi "$dir" DELETE "/api/configs/$MAC" '' IOT_FAULT_STALE_STAT=1 SHARED_FS=false
	assert_code 404
	[ -f "$dir/$MAC.json" ]
	cgi "$dir" DELETE "/api/configs/$MAC" '' IOT_FAULT_STALE_STAT=1 SHARED_FS=true
	assert_code 204
	[ ! -e "$dir/$MAC.json" ]
}

@test "stale stat (injected), SHARED_FS=true: the list shows the config and If-Match on it is checked against its bytes" {
	fsfault_build
	local dir="$BATS_TEST_TMPDIR/configs"
	mkdir "$dir"
	printf '{"deviceName":"other node"}\n' >"$dir/$MAC.json"
	cgi "$dir" GET /api/configs '' IOT_FAULT_STALE_STAT=1 SHARED_FS=true
	assert_code 200
	assert_json '[.count, .configs[0].device_name]' '[1,"other node"]'
	local etag="\"$(sha256sum "$dir/$MAC.json" | cut -c1-32)\""
	cgi "$dir" PUT "/api/configs/$MAC" '{"content":{"deviceName":"replaced"}}' \
		IOT_FAULT_STALE_STAT=1 SHARED_FS=true HTTP_IF_MATCH="$etag"
	assert_code 200
	assert_json .device_name '"replaced"'
	jq -e '.deviceName == "replaced"' "$dir/$MAC.json"
}

@test "two nodes, one with a stale listing of the history (injected): revisions keep one order, newest first, and pruning removes only older ones" {
	fsfault_build
	local dir="$BATS_TEST_TMPDIR/shared" mac=aa-bb-cc-00-5f-02 i
	mkdir "$dir"
	iot_start ESP32_CONFIGS_DIR="$dir" SHARED_FS=true HISTORY_KEEP=3 PROCS=1
	local a="$BASE_URL"
	# Node B lists each history directory once and then keeps that listing,
	# as an NFS client's cached directory may while other nodes change it.
	fsfault_responder "$BATS_TEST_TMPDIR/stale-responder" IOT_FAULT_STALE_HISTORY=1
	iot_start ESP32_CONFIGS_DIR="$dir" SHARED_FS=true HISTORY_KEEP=3 PROCS=1 \
		IOTCONFIG_BIN="$BATS_TEST_TMPDIR/stale-responder"
	local b="$BASE_URL"
	on() { # on NODE METHOD PATH [curl args]
		local node="$1"
		shift
		BASE_URL="$node" call "$@"
	}
	save() { # save NODE N: a raw PUT of {"v":N}
		printf '{"v":%d}' "$2" >"$BATS_TEST_TMPDIR/v$2"
		on "$1" PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' \
			--data-binary "@$BATS_TEST_TMPDIR/v$2"
		assert_code 200
	}
	save "$a" 1
	save "$b" 2 # B lists the history now (empty) and keeps v1
	save "$a" 3
	save "$a" 4
	save "$a" 5 # A's entries v2, v3, v4; v1 pruned
	save "$b" 6 # B keeps v5 while its listing still shows the history as before
	# The fault bit: B's own listing of the history is the one it first saw.
	on "$b" GET "/api/configs/$mac/history"
	assert_code 200
	[ "$(jq -r '[.revisions[].revision[0:10]] | join(",")' <<<"$body")" != "0000000005,0000000004,0000000003" ]
	on "$a" GET "/api/configs/$mac/history"
	assert_code 200
	assert_json '[.revisions[].revision[0:10]]' '["0000000005","0000000004","0000000003"]'
	save "$a" 7 # prunes to three again
	on "$a" GET "/api/configs/$mac/history"
	assert_json '[.count, [.revisions[].revision[0:10]]]' '[3,["0000000006","0000000005","0000000004"]]'
	local want=6 rev
	for rev in $(jq -r '.revisions[].revision' <<<"$body"); do
		curl -sf -o "$BATS_TEST_TMPDIR/got" "$a/api/configs/$mac/history/$rev"
		cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/v$want"
		want=$((want - 1))
	done
	cmp "$dir/$mac.json" "$BATS_TEST_TMPDIR/v7"
	[ "$(find "$dir/.history/$mac" -name '*.json' | wc -l)" = 3 ]
}
