#!/usr/bin/env bats
# tests/deploy/nodes.bats: several web servers over one shared config
# directory, as several machines over CephFS or NFS would be: two lighttpd
# instances, each with its own responder processes, on two ports. What
# makes this work is only what the store relies on anyway: rename(2) within
# the directory is atomic and flock(2) locks are seen by every node.

load servers

# One pair of nodes for the file: each test works on its own MACs.
setup_file() {
	SHARED="$(mktemp -d "$BATS_FILE_TMPDIR/shared.XXXXXX")"
	export SHARED CONFIG_DIR="$SHARED"
	iot_start_file ESP32_CONFIGS_DIR="$SHARED" PROCS=2
	export A="$BASE_URL"
	iot_start_file ESP32_CONFIGS_DIR="$SHARED" PROCS=2
	export B="$BASE_URL"
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# on NODE METHOD PATH [curl args]: `call` through one node.
on() {
	local node="$1"
	shift
	BASE_URL="$node" call "$@"
}

@test "a write through one node is read through the other at once, with the same bytes and ETag" {
	printf '{"deviceName":"one"}\n' >"$BATS_TEST_TMPDIR/one.json"
	on "$A" PUT /api/configs/aa-bb-cc-00-05-01.json -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/one.json"
	assert_code 200
	etag="$(header ETag)"
	on "$B" GET /esp32/config/aa-bb-cc-00-05-01.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$BATS_TEST_TMPDIR/one.json"
	[ "$(header ETag)" = "$etag" ]
	# B's list was read before A changes the config: it must not be stale.
	on "$B" GET /api/configs
	assert_json '.configs[] | select(.mac_address == "aa-bb-cc-00-05-01") | .device_name' '"one"'
	on "$A" PUT /api/configs/aa-bb-cc-00-05-01 -H 'Content-Type: application/json' --data-binary '{"content":{"deviceName":"two"}}'
	assert_code 200
	on "$B" GET /api/configs
	assert_json '.configs[] | select(.mac_address == "aa-bb-cc-00-05-01") | .device_name' '"two"'
	on "$B" DELETE /api/configs/aa-bb-cc-00-05-01
	assert_code 204
	on "$A" GET /api/configs/aa-bb-cc-00-05-01
	assert_error 404 RECORD_NOT_FOUND
}

@test "concurrent writes through both nodes to one config never leave a partial or mixed file, and readers see only whole versions" {
	local i n=24 mac=aa-bb-cc-00-05-02 dir="$BATS_TEST_TMPDIR"
	for i in $(seq 1 $n); do
		pad="$(head -c $((20000 + i * 3000)) /dev/zero | tr '\0' "$(printf '%x' $((i % 16)))")"
		printf '{"writer":%d,"pad":"%s"}\n' "$i" "$pad" >"$dir/w$i.json"
	done
	cp "$dir/w1.json" "$SHARED/$mac.json"
	# Readers through both nodes while the writers run.
	local -a jobs=()
	for node in "$A" "$B"; do
		(for r in $(seq 1 40); do curl -s -o "$dir/read.$r.${node##*:}" "$node/api/configs/$mac.json"; done) &
		jobs+=($!)
	done
	for i in $(seq 1 $n); do
		node="$A"
		[ $((i % 2)) = 0 ] && node="$B"
		curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H 'Content-Type: application/json' \
			--data-binary @"$dir/w$i.json" "$node/api/configs/$mac.json" >"$dir/code.$i" &
		jobs+=($!)
	done
	wait "${jobs[@]}"
	for i in $(seq 1 $n); do [ "$(cat "$dir/code.$i")" = 200 ]; done
	w="$(jq -r .writer "$SHARED/$mac.json")"
	cmp "$SHARED/$mac.json" "$dir/w$w.json"
	local f
	for f in "$dir"/read.*; do
		w="$(jq -r .writer "$f")"
		cmp "$f" "$dir/w$w.json" || { echo "read $f is not whole version $w" >&2; false; }
	done
	[ -z "$(find "$SHARED" -name '*.tmp')" ]
}

@test "If-Match across nodes: the same ETag sent to both at once lets exactly one write win, every round" {
	local r rounds=30 mac=aa-bb-cc-00-05-03 dir="$BATS_TEST_TMPDIR"
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"round":0}}'
	assert_code 200
	for r in $(seq 1 $rounds); do
		on "$B" GET "/api/configs/$mac.json"
		etag="$(header ETag)"
		local -a jobs=()
		for node in A B; do
			url="$A"
			[ "$node" = B ] && url="$B"
			curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
				-H "If-Match: $etag" --data-binary "{\"content\":{\"round\":$r,\"node\":\"$node\"}}" \
				"$url/api/configs/$mac" >"$dir/code.$node" &
			jobs+=($!)
		done
		wait "${jobs[@]}"
		codes="$(cat "$dir/code.A") $(cat "$dir/code.B")"
		case "$codes" in
		"200 412") winner=A ;;
		"412 200") winner=B ;;
		*)
			echo "round $r: $codes (want one 200 and one 412)" >&2
			false
			;;
		esac
		[ "$(jq -c . "$SHARED/$mac.json")" = "{\"round\":$r,\"node\":\"$winner\"}" ]
	done
}

@test "metrics are per node: each counts the writes it served, not the other's" {
	key='iot_config_operations_total{operation="save",status="success"}'
	a0="$(BASE_URL="$A" metric "$key")"
	b0="$(BASE_URL="$B" metric "$key")"
	for i in 1 2 3; do
		on "$A" PUT /api/configs/aa-bb-cc-00-05-04 -H 'Content-Type: application/json' --data-binary '{"content":{}}'
		assert_code 200
	done
	[ "$(BASE_URL="$A" metric "$key")" = $((a0 + 3)) ]
	[ "$(BASE_URL="$B" metric "$key")" = "$b0" ]
}
