#!/usr/bin/env bats
# tests/e2e/shared_fs.bats: the service on a shared file system (NFS,
# CephFS, SMB, FUSE), forced on this local disk with SHARED_FS=true. There
# a node's cached attributes can be older than another node's change, and
# file times come from the server's clock. So: no Last-Modified and no 304
# from If-Modified-Since; the list looks at every file at every request
# (no inotify, which other machines' changes never reach); and a config
# that a stat by name misses (a stale attribute cache, injected with
# tests/e2e/fsfault.c) is still listed, deleted and matched by If-Match,
# where the same fault on a local file system is trusted.

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
