#!/usr/bin/env bats
# tests/ceph/nodes.bats: two nodes of the service on a real CephFS, each
# through its own ceph-fuse client (its own cache, as on two machines),
# started as the README tells a multi-node user (tests/ceph/ceph.bash).
# One throwaway cluster for the whole file. What the README promises for
# several nodes on CephFS, proved here: a change through one node is seen
# by the next request through the other; concurrent and conditional writes
# through both stay whole and exact; the history is kept once, in order,
# and pruned from the oldest; deletes, restores, fetch notes and metrics
# are seen across nodes; a writer waiting for a lock never waits inside
# flock(2), and gives up after 10 s; SIGKILLed responders of both nodes
# lose nothing acknowledged; a full quota, a missing directory and a dead client are
# answered truthfully.
#
# The crash test kills CEPH_CRASH_KILLS responders (30), of the two nodes
# in turn, or as many as fit in CEPH_CRASH_SECONDS (20).

load ceph

setup_file() {
	ceph_nodes_start
}

teardown_file() {
	ceph_nodes_stop
}

setup() {
	ceph_skip_unless_up
}

teardown() {
	# A lock held from outside by a test is let go, whatever failed, and
	# the test's own background processes are waited for; a quota is
	# lifted.
	if [ -n "${LOCK_RELEASE:-}" ]; then
		touch "$LOCK_RELEASE"
		wait
	fi
	[ -z "${QUOTA_DIR:-}" ] || setfattr -n ceph.quota.max_bytes -v 0 "$QUOTA_DIR"
}

# version_of FILE: the "v" tag at the start of a stored version ("" when
# it has none). Bash alone: a fork per call is slow on a busy machine.
version_of() {
	local head=""
	read -r -N 64 head <"$1" 2>/dev/null || true
	if [[ "$head" =~ ^\{\"v\":\"([^\"]+)\" ]]; then echo "${BASH_REMATCH[1]}"; fi
}

@test "each node detects CephFS through its ceph-fuse client as shared, without SHARED_FS" {
	# Two clients, not one mount seen twice: each mount has its own device.
	[ "$(awk '$3 == "fuse.ceph-fuse" && $2 ~ "^'"$CLUSTER"'/[ab]$"' /proc/self/mounts | wc -l)" = 2 ]
	[ "$(stat -c %d "$A_DIR")" != "$(stat -c %d "$B_DIR")" ]
	# statfs says only "FUSE"; the log names the daemon from the mount table.
	[ "$(stat -f -c %t "$A_DIR")" = 65735546 ]
	grep -q 'config directory file system is shared (fuse.ceph-fuse)' "$A_LOG"
	grep -q 'config directory file system is shared (fuse.ceph-fuse)' "$B_LOG"
	# The shared behaviour is on: no Last-Modified however old the file,
	# and If-Modified-Since is ignored.
	local mac=aa-bb-cc-00-c0-01
	printf '{"v":"old"}\n' >"$A_DIR/$mac.json"
	backdate "$A_DIR/$mac.json"
	on "$B" GET "/api/configs/$mac.json"
	assert_code 200
	[ -n "$(etag_header)" ]
	[ -z "$(header Last-Modified)" ]
	on "$B" GET "/api/configs/$mac.json" -H "If-Modified-Since: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')"
	assert_code 200
	[ "$body" = '{"v":"old"}' ]
}

@test "a write through one node is read through the other by its next request: GET, raw GET, ETag, 304, list, count and files gauge" {
	local r mac w rd etag old_etag count0 n=0
	for r in $(seq 1 6); do
		# Odd rounds write through A and read through B, even ones the reverse.
		if [ $((r % 2)) = 1 ]; then w="$A" rd="$B"; else w="$B" rd="$A"; fi
		mac="$(printf 'aa-bb-cc-00-c1-%02x' "$r")"
		on "$rd" GET /api/configs
		assert_code 200
		count0="$(jq .count <<<"$body")"

		# A config the reader has never seen: created through the writer.
		printf '{"v":"%d.1","deviceName":"r%d"}\n' "$r" "$r" >"$BATS_TEST_TMPDIR/v1"
		on "$w" PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/v1"
		assert_code 200
		old_etag="$(etag_header)"
		on "$rd" GET "/esp32/config/$mac.json"
		assert_code 200
		cmp "$IOT_TMP/last.body" "$BATS_TEST_TMPDIR/v1"
		[ "$(etag_header)" = "$old_etag" ]
		on "$rd" GET /api/configs
		assert_json .count "$((count0 + 1))"
		assert_json ".configs[] | select(.mac_address == \"$mac\") | .device_name" "\"r$r\""
		[ "$(node_metric "$rd" iot_config_files_count)" = "$((count0 + 1))" ]

		# Replaced through the writer: the reader's next request has it.
		printf '{"v":"%d.2","deviceName":"r%d-new"}\n' "$r" "$r" >"$BATS_TEST_TMPDIR/v2"
		on "$w" PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/v2"
		assert_code 200
		etag="$(etag_header)"
		[ "$etag" != "$old_etag" ]
		# The device polls with the ETag it held: the new bytes, not 304.
		on "$rd" GET "/api/configs/$mac.json" -H "If-None-Match: $old_etag"
		assert_code 200
		cmp "$IOT_TMP/last.body" "$BATS_TEST_TMPDIR/v2"
		[ "$(etag_header)" = "$etag" ]
		on "$rd" GET "/esp32/config/$mac.json" -H "If-None-Match: $etag"
		assert_code 304
		[ -z "$body" ]
		[ "$(etag_header)" = "$etag" ]
		on "$rd" GET "/api/configs/$mac"
		assert_code 200
		assert_json .content.v "\"$r.2\""
		[ "$(etag_header)" = "$etag" ]
		on "$rd" GET /api/configs
		assert_json ".configs[] | select(.mac_address == \"$mac\") | .device_name" "\"r$r-new\""

		# From the third round on, deleted through the writer: gone for the reader.
		if [ "$r" -gt 2 ]; then
			on "$w" DELETE "/api/configs/$mac"
			assert_code 204
			on "$rd" GET "/esp32/config/$mac.json" -H "If-None-Match: $etag"
			assert_error 404 RECORD_NOT_FOUND
			on "$rd" GET /api/configs
			assert_json .count "$count0"
			assert_json "[.configs[] | select(.mac_address == \"$mac\")] | length" 0
			[ "$(node_metric "$rd" iot_config_files_count)" = "$count0" ]
		fi
		n=$((n + 1))
	done
	[ "$n" = 6 ]
}

# writer ID NODE ROUNDS MAC: ROUNDS wrapped PUTs in a row through NODE,
# tagged "w<ID>.<seq>", bodies of 20-90 KB; logs "<seq> <status>".
writer() {
	set +e
	local id="$1" node="$2" rounds="$3" mac="$4" seq pad
	for seq in $(seq 1 "$rounds"); do
		pad="$(head -c $((20000 + (id * 7 + seq * 13) % 70 * 1000)) /dev/zero | tr '\0' "$(printf '%x' $(((id + seq) % 16)))")"
		printf '{"v":"w%d.%d","pad":"%s"}\n' "$id" "$seq" "$pad" >"$BATS_TEST_TMPDIR/sent.w$id.$seq"
		echo "$seq $(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -X PUT -H 'Content-Type: application/json' \
			--data-binary @"$BATS_TEST_TMPDIR/sent.w$id.$seq" "$node/api/configs/$mac.json")" >>"$BATS_TEST_TMPDIR/log.w$id"
	done
}

@test "concurrent writers through both nodes: no partial or mixed file, every acknowledged write kept once, in each writer's order, no temp file" {
	local mac=aa-bb-cc-00-c2-01 dir="$BATS_TEST_TMPDIR" id node i
	printf '{"v":"w0.0"}\n' >"$dir/sent.w0.0"
	on "$A" PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary @"$dir/sent.w0.0"
	assert_code 200
	# Readers through both nodes while the writers run.
	local -a jobs=()
	for node in A B; do
		url="${!node}"
		# One curl, 30 requests on one connection.
		local -a reads=()
		for i in $(seq 1 30); do reads+=(-o "$dir/read.$node.$i" "$url/api/configs/$mac.json"); done
		curl -s "${reads[@]}" 3>&- &
		jobs+=($!)
	done
	# Four writers, two through each node, five versions each: 20
	# replacements, exactly what the default HISTORY_KEEP=20 keeps.
	for id in 1 2 3 4; do
		node="$A"
		[ $((id % 2)) = 0 ] && node="$B"
		writer "$id" "$node" 5 "$mac" 3>&- &
		jobs+=($!)
	done
	wait "${jobs[@]}"

	for id in 1 2 3 4; do
		[ "$(awk '$2 == 200' "$dir/log.w$id" | wc -l)" = 5 ] || { cat "$dir/log.w$id" >&2; false; }
	done
	# The live file and every read: each one whole version that was sent.
	local v f
	v="$(version_of "$A_DIR/$mac.json")"
	cmp "$A_DIR/$mac.json" "$dir/sent.$v"
	for f in "$dir"/read.*; do
		v="$(version_of "$f")"
		[ -n "$v" ] && cmp -s "$f" "$dir/sent.$v" || { echo "read $f is not a whole version" >&2; false; }
	done
	# History and live file together: every version exactly once.
	on "$B" GET "/api/configs/$mac/history"
	assert_code 200
	assert_json .count 20
	# Oldest first; each entry's file (read through A's mount) whole.
	local -a chain=()
	for rev in $(jq -r '.revisions | reverse | .[].revision' <<<"$body"); do
		f="$(echo "$A_DIR/.history/$mac/$rev".*.json)"
		v="$(version_of "$f")"
		cmp "$f" "$dir/sent.$v" || { echo "revision $rev is not whole version $v" >&2; false; }
		chain+=("$v")
	done
	# The newest through the API too, with the ETag it had.
	on "$A" GET "/api/configs/$mac/history/$rev"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$dir/sent.${chain[19]}"
	[ "$(etag_header)" = "\"$(sha256sum "$dir/sent.${chain[19]}" | cut -c1-32)\"" ]
	chain+=("$(version_of "$B_DIR/$mac.json")")
	[ "$(printf '%s\n' "${chain[@]}" | sort | uniq -d)" = "" ] || { echo "kept twice: ${chain[*]}" >&2; false; }
	[ "$(printf '%s\n' "${chain[@]}" | sort | tr '\n' ' ')" = "$(cd "$dir" && ls sent.* | sed 's/^sent\.//' | sort | tr '\n' ' ')" ] ||
		{ echo "kept: ${chain[*]}" >&2; false; }
	# Oldest first, the chain holds each writer's versions in the order it
	# wrote them (each PUT started after the previous one was answered).
	[ "${chain[0]}" = w0.0 ]
	for id in 1 2 3 4; do
		[ "$(printf '%s\n' "${chain[@]}" | grep "^w$id\." | cut -d. -f2 | tr '\n' ' ')" = "1 2 3 4 5 " ] ||
			{ echo "writer $id out of order: ${chain[*]}" >&2; false; }
	done
	[ -z "$(temp_files "$A_DIR")" ]
}

@test "If-Match races across nodes: exactly one winner each round, history in round order, pruning keeps the newest HISTORY_KEEP" {
	local r rounds=24 mac=aa-bb-cc-00-c3-01 dir="$BATS_TEST_TMPDIR" etag codes winner node
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"round":0}}'
	assert_code 200
	for r in $(seq 1 $rounds); do
		# The ETag both racers hold, read through alternating nodes.
		node=A
		[ $((r % 2)) = 0 ] && node=B
		etag="$(curl -s -o /dev/null -w '%header{etag}' "${!node}/api/configs/$mac.json")"
		echo "$etag" >"$dir/etag.$((r - 1))"
		local -a jobs=()
		for node in A B; do
			curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
				-H "If-Match: $etag" --data-binary "{\"content\":{\"round\":$r,\"node\":\"$node\"}}" \
				"${!node}/api/configs/$mac" >"$dir/code.$node" 3>&- &
			jobs+=($!)
		done
		wait "${jobs[@]}"
		codes="$(<"$dir/code.A") $(<"$dir/code.B")"
		case "$codes" in
		"200 412") winner=A ;;
		"412 200") winner=B ;;
		*)
			echo "round $r: $codes (want one 200 and one 412)" >&2
			false
			;;
		esac
		echo "$winner" >"$dir/winner.$r"
	done
	[ "$(jq -c . "$B_DIR/$mac.json")" = "{\"round\":$rounds,\"node\":\"$winner\"}" ]
	# 24 versions replaced, 20 kept: rounds 23 down to 4, newest first,
	# each once, with the ETag it had while current, revisions descending.
	for node in A B; do
		on "${!node}" GET "/api/configs/$mac/history"
		assert_code 200
		assert_json .count 20
		assert_json '[.revisions[].replaced_by_operation] | unique' '["save"]'
		[ "$(jq -r '[.revisions[].revision] | (. == (sort | reverse)) and (map(.[0:10]) | unique | length == 20)' <<<"$body")" = true ] ||
			{ echo "revisions not strictly newest first: $body" >&2; false; }
	done
	local want etags hist="$body"
	etags="$(jq -r '.revisions[].etag' <<<"$hist" | tr '\n' ' ')"
	want="$(for r in $(seq $((rounds - 1)) -1 $((rounds - 20))); do printf '%s ' "$(<"$dir/etag.$r")"; done)"
	[ "$etags" = "$want" ] || { echo "history ETags: $etags; want $want" >&2; false; }
	# The bytes of each, oldest kept and newest through the API, all on disk.
	on "$A" GET "/api/configs/$mac/history/$(jq -r '.revisions[19].revision' <<<"$hist")"
	assert_json . "{\"round\":$((rounds - 20)),\"node\":\"$(<"$dir/winner.$((rounds - 20))")\"}"
	on "$B" GET "/api/configs/$mac/history/$(jq -r '.revisions[0].revision' <<<"$hist")"
	assert_json . "{\"round\":$((rounds - 1)),\"node\":\"$(<"$dir/winner.$((rounds - 1))")\"}"
	[ "$(cat "$A_DIR/.history/$mac"/*.json | jq -c .round | sort -n | tr '\n' ' ')" = "$(seq -s ' ' $((rounds - 20)) $((rounds - 1))) " ]
	[ -z "$(temp_files "$A_DIR")" ]
}

@test "a writer waiting for a config's lock on CephFS sleeps between tries, never inside flock(2); a lock held too long answers 503 and changes nothing" {
	local mac=aa-bb-cc-00-c9-01 out="$BATS_TEST_TMPDIR/put"
	LOCK_RELEASE="$BATS_TEST_TMPDIR/release"
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"1"}}'
	assert_code 200
	# Another node's writer holds the config's lock (through B's mount)
	# until told, or 90 s at most; sleep does not inherit the lock's
	# descriptor.
	(
		exec 8>"$B_DIR/.$mac.lock"
		flock -x 8
		for n in $(seq 900); do
			[ ! -e "$LOCK_RELEASE" ] || break
			sleep 0.1 8>&-
		done
	) 3>&- &
	local holder=$!
	wait_for bash -c '! flock -n -x "$0" true' "$A_DIR/.$mac.lock"
	# The waiting PUT keeps its answer in files of its own.
	(
		IOT_TMP="$BATS_TEST_TMPDIR"
		start=$SECONDS
		on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"2"}}' --max-time 60
		echo "$code $((SECONDS - start))" >"$out"
	) 3>&- &
	local writer=$!
	# While it waits, A's responders are sampled 40 times (x86-64 system
	# call numbers: flock 73, nanosleep 35, clock_nanosleep 230). A
	# blocking flock(2) (operation 0x2, LOCK_EX) would sit in ceph-fuse
	# all along, and a waiter SIGKILLed there can leave the lock held for
	# good; tries that do not wait are 0x6 (LOCK_EX|LOCK_NB).
	local n sleeping=0 tries=0 blocking=0 p nr fd op
	for n in $(seq 40); do
		sleep 0.05
		for p in $(proc_children "$A_ID"); do
			nr=
			read -r nr fd op _ 2>/dev/null <"/proc/${p%%:*}/syscall" || true
			case "$nr $op" in
			"73 0x2") blocking=$((blocking + 1)) ;;
			"73 0x6") tries=$((tries + 1)) ;;
			"35 "* | "230 "*) sleeping=$((sleeping + 1)) ;;
			esac
		done
	done
	echo "# lock wait, 40 samples: $sleeping asleep between tries, $tries in a try, $blocking in a blocking flock" >&3
	if [ "$(uname -m)" = x86_64 ]; then
		[ "$blocking" = 0 ]
		[ "$sleeping" -ge 1 ]
	fi
	# Held past the bound: 503 after 10 s, which says a retry may work;
	# nothing changed.
	wait "$writer"
	local elapsed
	read -r code elapsed <"$out"
	hdrs="$BATS_TEST_TMPDIR/last.headers"
	body="$(<"$BATS_TEST_TMPDIR/last.body")"
	[ "$elapsed" -ge 9 ] || { echo "answered after $elapsed s" >&2; false; }
	assert_error 503 STORAGE_UNAVAILABLE
	assert_json .error "\"Config $mac is being written by another writer; try again\""
	assert_json .details.message '"lock: held by another writer for over 10 s"'
	[ "$(header Retry-After)" = 1 ]
	[ "$(jq -c . "$B_DIR/$mac.json")" = '{"v":"1"}' ]
	on "$B" GET "/api/configs/$mac/history"
	assert_code 200
	assert_json .count 0
	# Released: the next write goes through at once, seen by the other node.
	touch "$LOCK_RELEASE"
	wait "$holder"
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"3"}}' --max-time 10
	assert_code 200
	on "$B" GET "/api/configs/$mac"
	assert_code 200
	assert_json .content '{"v":"3"}'
}

@test "deletes and restores through one node are seen by the other" {
	local mac=aa-bb-cc-00-c4-01 e1 e2 rev_v1 rev_v2 count0
	on "$A" GET /api/configs
	count0="$(jq .count <<<"$body")"
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"1"}}'
	assert_code 200
	e1="$(etag_header)"
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"2"}}'
	assert_code 200
	e2="$(etag_header)"

	# Deleted through B: A answers 404 and lists it no more; its history
	# (read through A) holds the deleted bytes under a delete mark.
	on "$B" DELETE "/api/configs/$mac" -H "If-Match: $e2"
	assert_code 204
	on "$A" GET "/api/configs/$mac"
	assert_error 404 RECORD_NOT_FOUND
	on "$A" GET "/api/configs/$mac.json"
	assert_error 404 RECORD_NOT_FOUND
	on "$A" GET /api/configs
	assert_json .count "$count0"
	on "$A" GET "/api/configs/$mac/history"
	assert_code 200
	assert_json '[.revisions[] | [.replaced_by_operation, .etag]]' "[[\"delete\",$(jq -R . <<<"$e2")],[\"save\",$(jq -R . <<<"$e1")]]"
	rev_v2="$(jq -r '.revisions[0].revision' <<<"$body")"
	rev_v1="$(jq -r '.revisions[1].revision' <<<"$body")"

	# Restored through A (nothing may exist): B serves it, same ETag.
	on "$A" POST "/api/configs/$mac/history/$rev_v2/restore" -H 'Content-Type: application/json' -H 'Content-Length: 0' -H 'If-None-Match: *'
	assert_code 200
	[ "$(etag_header)" = "$e2" ]
	on "$B" GET "/api/configs/$mac.json"
	assert_code 200
	[ "$(etag_header)" = "$e2" ]
	assert_json .v '"2"'
	on "$B" GET /api/configs
	assert_json .count "$((count0 + 1))"

	# Restored through B to the first version: A sees it, and A's history
	# says v2 was replaced by a restore. A's stale restore then loses.
	on "$B" POST "/api/configs/$mac/history/$rev_v1/restore" -H 'Content-Type: application/json' -H 'Content-Length: 0' -H "If-Match: $e2"
	assert_code 200
	[ "$(etag_header)" = "$e1" ]
	on "$A" GET "/api/configs/$mac"
	assert_code 200
	assert_json .content '{"v":"1"}'
	[ "$(etag_header)" = "$e1" ]
	on "$A" GET "/api/configs/$mac/history"
	assert_json '.revisions[0] | [.replaced_by_operation, .etag]' "[\"restore\",$(jq -R . <<<"$e2")]"
	on "$A" POST "/api/configs/$mac/history/$rev_v2/restore" -H 'Content-Type: application/json' -H 'Content-Length: 0' -H "If-Match: $e2"
	assert_error 412 PRECONDITION_FAILED
	on "$B" GET "/api/configs/$mac.json"
	[ "$(etag_header)" = "$e1" ]
}

@test "a fleet change and its undo through one node are seen by the other, with the change's record" {
	local m1=aa-bb-cc-00-c9-01 m2=aa-bb-cc-00-c9-02 id mac
	for mac in "$m1" "$m2"; do
		on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"mqtt":{"port":1883},"name":"'"$mac"'"}}'
		assert_code 200
	done

	# Applied through A: B serves each patched file, with A's record.
	on "$A" POST /api/changes -H 'Content-Type: application/json' --data-binary '{"devices":["'"$m1"'","'"$m2"'"],"patch":{"mqtt":{"port":8883}}}'
	assert_code 200
	assert_json '[.state, .summary.changed]' '["done",2]'
	id="$(jq -r .id <<<"$body")"
	for mac in "$m1" "$m2"; do
		on "$B" GET "/api/configs/$mac.json"
		assert_code 200
		assert_json . '{"mqtt":{"port":8883},"name":"'"$mac"'"}'
		[ "$(jq -c . "$B_DIR/$mac.json")" = '{"mqtt":{"port":8883},"name":"'"$mac"'"}' ]
	done
	on "$B" GET "/api/changes/$id"
	assert_code 200
	assert_json '[.state, ([.devices[].result] | sort)]' '["done",["changed","changed"]]'
	on "$B" GET "/api/configs/$m1/history"
	assert_json '.revisions[0].replaced_by_change' "\"$id\""

	# Undone through B: A serves the first versions again, and the record
	# says who undid it.
	on "$B" POST "/api/changes/$id/undo" -H 'Content-Type: application/json' --data ''
	assert_code 200
	assert_json '[.devices[].result] | sort' '["restored","restored"]'
	for mac in "$m1" "$m2"; do
		on "$A" GET "/api/configs/$mac.json"
		assert_code 200
		assert_json . '{"mqtt":{"port":1883},"name":"'"$mac"'"}'
	done
	on "$A" GET /api/changes
	assert_code 200
	[ "$(jq -r --arg id "$id" '.changes[] | select(.id == $id) | .undone_by' <<<"$body")" != null ]
}

# fetch_entry NODE MAC: that device's entry in NODE's /api/fetches (or null).
fetch_entry() {
	curl -s "$1/api/fetches" | jq -c --arg m "$2" '[.fetches[] | select(.mac_address == $m)][0]'
}

# noted NODE MAC ETAG: NODE's /api/fetches says the device holds ETAG.
noted() {
	[ "$(fetch_entry "$1" "$2" | jq -r .etag)" = "$3" ]
}

@test "fetch notes and metrics: each node's /api/fetches and scrape see devices that fetched through the other" {
	local mac=aa-bb-cc-00-c5-01 etag1 etag2 out0 key_a key_b ga0 gb0 at
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"1"}}'
	assert_code 200
	etag1="$(etag_header)"
	ga0="$(node_metric "$A" 'iot_config_operations_total{operation="get_raw",status="success"}')"
	gb0="$(node_metric "$B" 'iot_config_operations_total{operation="get_raw",status="success"}')"

	# The device fetches through A; B's routes and scrape see the note
	# (written after the answer: waited for, bounded).
	curl -sf -o /dev/null -A 'ESP32HTTPClient/ceph' "$A/esp32/config/$mac.json"
	wait_for noted "$B" "$mac" "$etag1"
	[ "$(fetch_entry "$B" "$mac" | jq -c '[.current, .user_agent]')" = '[true,"ESP32HTTPClient/ceph"]' ]
	on "$B" GET "/api/configs/$mac/fetch"
	assert_code 200
	assert_json '[.etag, .current]' "[$(jq -R . <<<"$etag1"),true]"
	at="$(jq -r .last_fetch_at <<<"$body")"
	[ "$(node_metric "$B" "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"$mac\"}")" = "$(date -u -d "$at" +%s)" ]
	[ "$(node_metric "$B" "iot_config_device_fetch_info{mac_address=\"$mac\",user_agent=\"ESP32HTTPClient/ceph\"}")" = 1 ]
	out0="$(node_metric "$A" iot_config_devices_outdated)"
	[ "$(node_metric "$B" iot_config_devices_outdated)" = "$out0" ]

	# Changed through B: both nodes count the device as outdated at once.
	on "$B" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"2"}}'
	assert_code 200
	etag2="$(etag_header)"
	[ "$(fetch_entry "$A" "$mac" | jq -c .current)" = false ]
	[ "$(node_metric "$A" iot_config_devices_outdated)" = "$((out0 + 1))" ]
	[ "$(node_metric "$B" iot_config_devices_outdated)" = "$((out0 + 1))" ]

	# It fetches the new version through B (the same client: one address, one
	# User-Agent): A sees it current again.
	curl -sf -o /dev/null -A 'ESP32HTTPClient/ceph' -H "If-None-Match: $etag1" "$B/api/configs/$mac.json"
	wait_for noted "$A" "$mac" "$etag2"
	[ "$(fetch_entry "$A" "$mac" | jq -c '[.current, .user_agent]')" = '[true,"ESP32HTTPClient/ceph"]' ]
	[ "$(node_metric "$A" iot_config_devices_outdated)" = "$out0" ]
	[ "$(node_metric "$A" "iot_config_device_fetch_info{mac_address=\"$mac\",user_agent=\"ESP32HTTPClient/ceph\"}")" = 1 ]

	# Counters stay per node: each counted the one fetch it served.
	[ "$(node_metric "$A" 'iot_config_operations_total{operation="get_raw",status="success"}')" = "$((ga0 + 1))" ]
	[ "$(node_metric "$B" 'iot_config_operations_total{operation="get_raw",status="success"}')" = "$((gb0 + 1))" ]
	# The files gauge is the directory's: the same through both.
	[ "$(node_metric "$A" iot_config_files_count)" = "$(node_metric "$B" iot_config_files_count)" ]
}

# writer_seq FILE: sets WS_ID and WS_SEQ from the start of a version the
# crash writers sent, raw or pretty-printed (bash alone: no fork per file).
writer_seq() {
	local head=""
	read -r -N 64 head <"$1" 2>/dev/null || true
	[[ "$head" =~ ^\{[[:space:]]*\"writer\":[[:space:]]*([0-9]+),[[:space:]]*\"seq\":[[:space:]]*([0-9]+), ]] || return 1
	WS_ID="${BASH_REMATCH[1]}" WS_SEQ="${BASH_REMATCH[2]}"
}

# crash_writer ID NODE: saves versions through NODE until $STOP exists,
# two of three to its own MAC, one to a MAC all writers share; odd ones
# wrapped, even ones raw. Each version is kept in $SENT/<mac>/<ID>.<seq>
# before it is sent; the answer is logged as "<mac> <ID> <seq> <status> <by>".
# One fork per write (curl): the more writes, the more kills land in one.
crash_writer() {
	set +e
	local id="$1" node="$2" seq=0 mac file url code own by version
	local -a pads
	for seq in 0 1 2 3; do pads[seq]="$(<"$SENT/pad.$seq")"; done
	seq=0
	own="$(printf 'aa-bb-cc-00-c6-%02x' "$id")"
	mkdir -p "$SENT/$own" "$SENT/aa-bb-cc-00-c6-ff"
	while [ ! -e "$STOP" ]; do
		seq=$((seq + 1))
		if [ $((seq % 3)) -eq 0 ]; then mac=aa-bb-cc-00-c6-ff; else mac="$own"; fi
		file="$SENT/$mac/$id.$seq"
		printf -v version '{"writer":%d,"seq":%d,"pad":"%s"}' "$id" "$seq" "${pads[RANDOM % 4]}"
		printf '%s' "$version" >"$file"
		if [ $((seq % 2)) -eq 1 ]; then
			printf '{"content":%s}' "$version" >"$SENT/body.$id"
			url="$node/api/configs/$mac"
		else
			printf '%s' "$version" >"$SENT/body.$id"
			url="$node/api/configs/$mac.json"
		fi
		code="$(curl -s -o "$SENT/answer.$id" -w '%{http_code}' --max-time 60 -X PUT \
			-H 'Content-Type: application/json' --data-binary @"$SENT/body.$id" "$url")"
		by=service
		# Who answered: the responder sets correlationId, lighttpd's own errors do not.
		if [ "$code" != 200 ]; then
			by="$(jq -r 'if .correlationId == null then "web-server" else "service" end' "$SENT/answer.$id" 2>/dev/null)"
		fi
		echo "$mac $id $seq $code ${by:-web-server}" >>"$SENT/log.$id"
	done
}

@test "responders of both nodes SIGKILLed during writes: nothing acknowledged lost, nothing torn, no temp file after restart" {
	local seconds="${CEPH_CRASH_SECONDS:-20}" w p
	export SENT="$BATS_TEST_TMPDIR/sent" STOP="$BATS_TEST_TMPDIR/stop"
	mkdir -p "$SENT"
	for p in 0 1 2 3; do
		head -c $((p * p * 20000 + 100)) /dev/zero | tr '\0' "$(printf '%x' "$p")" >"$SENT/pad.$p"
	done
	# What an idle responder is doing: waiting in accept().
	local idle_syscall
	local -a victims
	mapfile -t victims < <(proc_children "$A_ID")
	read -r idle_syscall _ <"/proc/${victims[0]%%:*}/syscall"
	local -a writers=()
	for w in 1 2 3 4; do
		if [ $((w % 2)) = 1 ]; then crash_writer "$w" "$A" 3>&- & else crash_writer "$w" "$B" 3>&- & fi
		writers+=($!)
	done

	# Kill a responder at random moments, of node A and node B in turn, a
	# busy one when there is one; lighttpd respawns it. Until enough kills,
	# or the time is up (a busy machine fits fewer kills in it).
	local kills=0 kills_a=0 kills_b=0 busy_kills=0 deadline=$((SECONDS + seconds)) victim syscall node_id
	local -a busy
	while [ "$kills" -lt "${CEPH_CRASH_KILLS:-30}" ] && [ "$SECONDS" -lt "$deadline" ]; do
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
		node_id="$A_ID"
		[ $((kills % 2)) = 1 ] && node_id="$B_ID"
		mapfile -t victims < <(proc_children "$node_id")
		[ "${#victims[@]}" -gt 0 ] || continue
		busy=()
		for p in "${victims[@]}"; do
			syscall=
			read -r syscall _ 2>/dev/null <"/proc/${p%%:*}/syscall" || true
			[ "$syscall" = "$idle_syscall" ] || busy+=("$p")
		done
		if [ "${#busy[@]}" -gt 0 ]; then victims=("${busy[@]}"); fi
		victim="${victims[RANDOM % ${#victims[@]}]}"
		if proc_signal KILL "$victim"; then
			kills=$((kills + 1))
			if [ "$node_id" = "$A_ID" ]; then kills_a=$((kills_a + 1)); else kills_b=$((kills_b + 1)); fi
			if [ "${#busy[@]}" -gt 0 ]; then busy_kills=$((busy_kills + 1)); fi
		fi
	done
	touch "$STOP"
	wait "${writers[@]}"

	cat "$SENT"/log.* >"$SENT/log"
	local total acked cut
	total="$(wc -l <"$SENT/log")"
	acked="$(awk '$4 == 200' "$SENT/log" | wc -l)"
	cut="$(awk '$4 != 200' "$SENT/log" | wc -l)"
	[ "$kills_a" -ge 2 ] && [ "$kills_b" -ge 2 ] || { echo "kills: $kills_a of A, $kills_b of B" >&2; false; }
	[ "$acked" -gt 0 ]
	[ "$cut" -gt 0 ] || { echo "no kill cut a write off ($kills kills, $total writes)" >&2; false; }
	# A write cut off is answered by lighttpd itself (500 when the responder
	# died mid-request, 502/503 while none was reachable).
	awk '$4 != 200 && !($4 ~ /^50[023]$/ && $5 == "web-server") { bad = 1; print "unexpected answer: " $0 > "/dev/stderr" } END { exit bad }' "$SENT/log"

	# Every config (read through B's mount) and every history entry
	# (through A's) is exactly one version sent for its MAC: raw ones byte
	# for byte, wrapped ones (stored pretty-printed) as the same JSON.
	local f mac sent files=0 entries=0
	local -a pairs=()
	: >"$SENT/kept"
	for f in "$B_DIR"/aa-bb-cc-00-c6-*.json "$A_DIR"/.history/aa-bb-cc-00-c6-*/*.json; do
		[ -e "$f" ] || continue
		if [[ "$f" == "$B_DIR/"* ]]; then
			mac="${f##*/}" files=$((files + 1))
			mac="${mac%.json}"
		else
			mac="${f%/*}" entries=$((entries + 1))
			mac="${mac##*/}"
		fi
		writer_seq "$f" || { echo "$f does not begin as a version sent" >&2; return 1; }
		sent="$SENT/$mac/$WS_ID.$WS_SEQ"
		[ -f "$sent" ] || { echo "$f holds a version never sent to $mac" >&2; return 1; }
		if [ $((WS_SEQ % 2)) = 0 ]; then
			cmp -s "$f" "$sent" || { echo "$f: raw bytes differ from $sent" >&2; return 1; }
		else
			pairs+=("$f" "$sent")
		fi
		echo "$mac $WS_SEQ" >>"$SENT/kept"
	done
	[ "$files" -gt 0 ] && [ "$entries" -gt 0 ]
	# One jq for every wrapped version: each stored one, then what was sent.
	if [ "${#pairs[@]}" -gt 0 ]; then
		jq -cS . "${pairs[@]}" >"$SENT/canonical"
		[ "$(wc -l <"$SENT/canonical")" = "${#pairs[@]}" ]
		awk 'NR % 2 == 1 { a = $0; next } $0 != a { bad = 1; print "stored version " NR / 2 " differs from what was sent" > "/dev/stderr" } END { exit bad }' "$SENT/canonical"
	fi
	# Each writer's own MAC holds its last acknowledged version or a later
	# one; and every acknowledged version newer than the oldest kept is in
	# its history or live.
	local w_mac last_acked last_sent oldest seq
	for w in 1 2 3 4; do
		w_mac="$(printf 'aa-bb-cc-00-c6-%02x' "$w")"
		last_acked="$(awk -v m="$w_mac" '$1 == m && $4 == 200 { s = $3 } END { print s + 0 }' "$SENT/log.$w")"
		last_sent="$(awk -v m="$w_mac" '$1 == m { s = $3 } END { print s + 0 }' "$SENT/log.$w")"
		[ "$last_acked" -gt 0 ] || continue
		writer_seq "$A_DIR/$w_mac.json"
		[ "$WS_SEQ" -ge "$last_acked" ] && [ "$WS_SEQ" -le "$last_sent" ] ||
			{ echo "$w_mac holds version $WS_SEQ; acknowledged up to $last_acked, sent up to $last_sent" >&2; return 1; }
		oldest="$(awk -v m="$w_mac" '$1 == m { print $2 }' "$SENT/kept" | sort -n | head -1)"
		for seq in $(awk -v m="$w_mac" -v o="$oldest" '$1 == m && $4 == 200 && $3 > o { print $3 }' "$SENT/log.$w"); do
			grep -qx "$w_mac $seq" "$SENT/kept" || { echo "$w_mac: acknowledged version $seq is neither kept nor live" >&2; return 1; }
		done
	done

	# Temp files of killed writers: those of configs gone once responders
	# of both nodes have started since (each sweeps those whose MAC's lock
	# is free); those of history copies once their MAC changes again (the
	# change sweeps them under the MAC's lock).
	local left_before
	left_before="$(temp_files "$A_DIR" | wc -l)"
	wait_for curl -sf -o /dev/null "$A/api/health"
	wait_for curl -sf -o /dev/null "$B/api/health"
	local -a victims
	mapfile -t victims < <(proc_children "$A_ID"; proc_children "$B_ID")
	proc_signal KILL "${victims[@]}" || true
	wait_for curl -sf -o /dev/null "$A/api/health"
	wait_for curl -sf -o /dev/null "$B/api/health"
	[ -z "$(temp_files "$B_DIR" | grep -v '/\.history/')" ] || { temp_files "$B_DIR" >&2; false; }
	for w_mac in aa-bb-cc-00-c6-01 aa-bb-cc-00-c6-02 aa-bb-cc-00-c6-03 aa-bb-cc-00-c6-04 aa-bb-cc-00-c6-ff; do
		on "$A" PUT "/api/configs/$w_mac" -H 'Content-Type: application/json' --data-binary '{"content":{"after":"crash"}}'
		assert_code 200
	done
	[ -z "$(temp_files "$B_DIR")" ] || { temp_files "$B_DIR" >&2; false; }

	# Both keep answering and writing.
	on "$B" PUT /api/configs/aa-bb-cc-00-c6-ee -H 'Content-Type: application/json' --data-binary '{"content":{"after":"crash"}}'
	assert_code 200
	on "$A" GET /api/configs/aa-bb-cc-00-c6-ee
	assert_json .content '{"after":"crash"}'
	echo "# CephFS crash test: $kills SIGKILLs ($kills_a of node A, $kills_b of node B, $busy_kills busy), $total writes ($acked acknowledged, $cut cut off), $files files and $entries history entries verified, temp files left before the final restart: $left_before" >&3
}

@test "a full CephFS quota answers 507 through both nodes, keeps every version, stays healthy, and heals" {
	local i mac full="" rbytes before hist start k accepted=0
	# padded N: a config body of 60 kB tagged n=N, in $BATS_TEST_TMPDIR/c.N.
	padded() { printf '{"content":{"n":%d,"pad":"%s"}}' "$1" "$(head -c 60000 /dev/zero | tr '\0' x)" >"$BATS_TEST_TMPDIR/c.$1"; }
	# The first config is written before there is a quota.
	padded 1
	on "$A" PUT /api/configs/aa-bb-cc-00-c7-01 -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/c.1"
	assert_code 200
	# The directory's recursive size lags the changes just made, either
	# way (by 140 kB and more after the crash test): the quota is set
	# 400 kB above it, and up to 59 more configs of 60 kB fill it.
	QUOTA_DIR="$A_DIR"
	rbytes="$(getfattr --absolute-names --only-values -n ceph.dir.rbytes "$A_DIR")"
	setfattr -n ceph.quota.max_bytes -v $((rbytes + 400000)) "$A_DIR"
	for i in $(seq 2 60); do
		mac="$(printf 'aa-bb-cc-00-c7-%02x' "$i")"
		padded "$i"
		on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/c.$i"
		if [ "$code" = 507 ]; then
			full="$mac"
			break
		fi
		assert_code 200
	done
	[ -n "$full" ] || { echo "the quota never filled up" >&2; false; }
	assert_error 507 INSUFFICIENT_STORAGE
	[[ "$(jq -r .details.message <<<"$body")" == *"quota exceeded"* ]]
	[ ! -e "$B_DIR/$full.json" ]
	# Through B too. CephFS quotas are imprecise by design: each client
	# stops writers by its own view of the directory's size, which the
	# metadata server updates after the writes, so B's view may lag A's
	# either way. B is asked to replace a config A wrote, 0.5 s apart and
	# with other bytes each time, until it refuses; the refusal keeps the
	# config and its history as they were.
	padded 101
	padded 102
	padded 103
	start=$SECONDS
	for k in $(seq 40); do
		before="$(cat "$A_DIR/aa-bb-cc-00-c7-01.json")"
		hist="$(ls -A "$A_DIR/.history/aa-bb-cc-00-c7-01" 2>/dev/null || true)"
		on "$B" PUT /api/configs/aa-bb-cc-00-c7-01 -H 'Content-Type: application/json' \
			--data-binary @"$BATS_TEST_TMPDIR/c.$((101 + k % 2))"
		[ "$code" != 507 ] || break
		assert_code 200
		accepted=$((accepted + 1))
		sleep 0.5
	done
	assert_error 507 INSUFFICIENT_STORAGE
	echo "# quota: B accepted $accepted replaces after A's 507 and refused the next, $((SECONDS - start)) s after it" >&3
	[ "$(cat "$A_DIR/aa-bb-cc-00-c7-01.json")" = "$before" ]
	[ "$(ls -A "$A_DIR/.history/aa-bb-cc-00-c7-01" 2>/dev/null || true)" = "$hist" ]
	on "$B" GET /api/configs/aa-bb-cc-00-c7-01
	assert_code 200
	assert_json .content.n "$(jq -c .n <<<"$before")"
	[ -z "$(temp_files "$A_DIR")" ]
	on "$A" GET /api/health
	assert_code 200
	on "$B" GET /api/health
	assert_code 200
	# The quota lifted: writes through both nodes work again, no restart.
	setfattr -n ceph.quota.max_bytes -v 0 "$A_DIR"
	on "$B" PUT "/api/configs/$full" -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/c.$i"
	assert_code 200
	on "$A" PUT /api/configs/aa-bb-cc-00-c7-01 -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/c.103"
	assert_code 200
	on "$B" GET /api/configs/aa-bb-cc-00-c7-01
	assert_json .content.n 103
}

@test "health on CephFS: the directory gone through one node is unhealthy on the other at once, and healthy again when back" {
	on "$A" GET /api/health
	assert_code 200
	assert_json . '{"status":"healthy"}'
	mv "$A_DIR" "$A_DIR.away"
	on "$B" GET /api/health
	assert_code 503
	assert_json .reason "\"config directory $B_DIR does not exist\""
	on "$B" GET /api/configs
	assert_code 503
	mv "$A_DIR.away" "$A_DIR"
	on "$B" GET /api/health
	assert_code 200
	on "$B" GET /api/configs
	assert_code 200
}

@test "a node whose CephFS client dies answers 503 naming it; the other serves on once the client is evicted; a new mount heals it without a restart" {
	local mac=aa-bb-cc-00-c8-01
	# B holds capabilities on the config it wrote and read last.
	on "$B" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"b"}}'
	assert_code 200
	on "$B" GET "/api/configs/$mac.json"
	assert_code 200
	bash "$CLUSTER_SH" kill-client "$CLUSTER" b 3>&-
	on "$B" GET /api/health
	assert_code 503
	assert_json .reason "\"config directory $B_DIR: Transport endpoint is not connected\""
	on "$B" GET "/api/configs/$mac.json"
	assert_error 503 STORAGE_UNAVAILABLE
	assert_json .error "\"Config directory $B_DIR is unreachable\""
	on "$B" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"lost"}}'
	assert_error 503 STORAGE_UNAVAILABLE
	on "$A" GET /api/health
	assert_code 200
	# Until the dead client's session ends, what it held is held; an
	# operator evicts it rather than wait for the MDS's session timeout.
	bash "$CLUSTER_SH" evict "$CLUSTER" b 3>&-
	on "$A" PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"a"}}' --max-time 10
	assert_code 200
	bash "$CLUSTER_SH" mount "$CLUSTER" b 3>&-
	on "$B" GET /api/health
	assert_code 200
	on "$B" GET "/api/configs/$mac"
	assert_code 200
	assert_json .content '{"v":"a"}'
}
