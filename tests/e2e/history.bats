#!/usr/bin/env bats
# tests/e2e/history.bats: history and undo. Every version a change replaces
# or deletes is kept byte for byte (wrapped PUT, raw PUT, a hand edit) with
# the ETag it had; one POST restores it, also after a delete; restore
# honours preconditions; HISTORY_KEEP bounds it; the list, the count and
# the files gauge never show it and no revision id reaches another file;
# concurrent writers (two nodes on one directory) lose no version; with
# credentials, the history names the user. A save that changes nothing
# (the current bytes again, by PUT or by restore) keeps the history and
# the file as they are. Each test uses its own MACs, so tests are independent.

load helpers

setup_file() {
	iot_start_file PROCS=4
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# history MAC: GET its history into $body (asserting 200).
history() {
	call GET "/api/configs/$1/history"
	assert_code 200
}

# revision_bytes MAC REV OUT: the revision's bytes into the file OUT.
revision_bytes() {
	curl -sf --path-as-is -o "$3" "$BASE_URL/api/configs/$1/history/$2"
}

# restore MAC REV [curl args]: POST the restore with no body.
restore() {
	local mac="$1" rev="$2"
	shift 2
	call POST "/api/configs/$mac/history/$rev/restore" -H 'Content-Type: application/json' -H 'Content-Length: 0' "$@"
}

# entries MAC [DIR]: number of history files on disk for MAC.
entries() {
	local d="${2:-$CONFIG_DIR}/.history/$1"
	if [ -d "$d" ]; then find "$d" -maxdepth 1 -name '*.json' | wc -l; else echo 0; fi
}

@test "three PUTs keep two revisions, newest first, with the ETags and exact bytes those PUTs stored" {
	local mac=aa-00-00-00-10-01
	put_json AA:00:00:00:10:01 '{"content":{"v":1}}'
	assert_code 200
	etag1="$(header ETag)"
	cp "$CONFIG_DIR/$mac.json" "$IOT_TMP/v1"
	# A raw PUT is kept byte for byte, whitespace and all.
	printf '{ "v" : 2,\n\t"raw": [1, 2.50] }' >"$IOT_TMP/v2"
	call PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary "@$IOT_TMP/v2"
	assert_code 200
	etag2="$(header ETag)"
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/v2"
	put_json "$mac" '{"content":{"v":3}}'
	assert_code 200
	etag3="$(header ETag)"

	history "$mac"
	assert_json .mac_address "\"$mac\""
	assert_json .count 2
	assert_json '[.revisions[].etag]' "[$(jq -cn --arg a "$etag2" --arg b "$etag1" '$a,$b' | paste -sd,)]"
	assert_json '[.revisions[].replaced_by_operation]' '["save","save"]'
	assert_json '[.revisions[].replaced_by]' '[null,null]'
	assert_json '[.revisions[].size]' "[$(stat -c %s "$IOT_TMP/v2"),$(stat -c %s "$IOT_TMP/v1")]"
	printf '%s' "$body" | jq -e '.revisions | all(.saved_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))' >/dev/null
	printf '%s' "$body" | jq -e '.revisions | all(.replaced_at >= .saved_at)' >/dev/null
	printf '%s' "$body" | jq -e '.revisions | all(.revision | test("^[0-9]{10}-[0-9a-f]{8}$"))' >/dev/null
	rev2="$(jq -r '.revisions[0].revision' <<<"$body")"
	rev1="$(jq -r '.revisions[1].revision' <<<"$body")"

	# Each revision answers its exact bytes and the ETag its PUT answered.
	call GET "/api/configs/AA:00:00:00:10:01/history/$rev2"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IOT_TMP/v2"
	[ "$(header ETag)" = "$etag2" ]
	[ "$(header Content-Type)" = application/json ]
	call GET "/api/configs/$mac/history/$rev1"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IOT_TMP/v1"
	[ "$(header ETag)" = "$etag1" ]
	call HEAD "/api/configs/$mac/history/$rev1" -I
	assert_code 200
	[ "$(header ETag)" = "$etag1" ]
	[ "$(header Content-Length)" = "$(stat -c %s "$IOT_TMP/v1")" ]
	call GET "/api/configs/$mac/history/$rev1" -H "If-None-Match: $etag1"
	assert_code 304
	# The live config is the third version.
	call GET "/api/configs/$mac.json"
	[ "$(header ETag)" = "$etag3" ]

	# Every change's log line names the user and the revision it replaced.
	grep -q "config saved mac=$mac bytes=[0-9]* created=true user=- replaced=-" "$LIGHTTPD_LOG"
	grep -q "config saved mac=$mac bytes=[0-9]* created=false user=- replaced=$rev1" "$LIGHTTPD_LOG"
	grep -q "config saved mac=$mac bytes=[0-9]* created=false user=- replaced=$rev2" "$LIGHTTPD_LOG"
}

@test "saves of the current bytes (wrapped PUT, raw PUT, restore) keep the history, the file and its time, answer 200 as usual and log 'unchanged'" {
	local mac=aa-00-00-00-10-0d i
	put_json "$mac" '{"content":{"deviceName":"Hall","v":1}}'
	assert_code 200
	put_json "$mac" '{"content":{"deviceName":"Hall","v":2}}'
	assert_code 200
	local etag2 f="$CONFIG_DIR/$mac.json" before
	etag2="$(header ETag)"
	cp "$f" "$IOT_TMP/v2"
	backdate "$f"
	before="$(stat -c '%i %.9Y %a' "$f")"
	call GET "/api/configs/$mac.json"
	local modified
	modified="$(header Last-Modified)"
	[ -n "$modified" ]
	history "$mac"
	assert_json .count 1
	local rev1
	rev1="$(jq -r '.revisions[0].revision' <<<"$body")"

	# Twenty wrapped PUTs of the same content (a sync job, Save pressed twice).
	for i in $(seq 1 20); do
		put_json "$mac" '{"content":{"deviceName":"Hall","v":2}}'
		assert_code 200
		assert_json '[.mac_address, .device_name, .content]' "[\"$mac\",\"Hall\",{\"deviceName\":\"Hall\",\"v\":2}]"
		[ "$(header ETag)" = "$etag2" ]
	done
	# A raw PUT of the file's exact bytes.
	call PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary "@$IOT_TMP/v2"
	assert_code 200
	[ "$(header ETag)" = "$etag2" ]
	history "$mac"
	assert_json '[.count, .revisions[0].revision]' "[1,\"$rev1\"]"
	[ "$(entries "$mac")" = 1 ]
	# Not rewritten: the same inode, modification time and mode; so the same validators.
	[ "$(stat -c '%i %.9Y %a' "$f")" = "$before" ]
	cmp "$f" "$IOT_TMP/v2"
	call GET "/api/configs/$mac.json"
	[ "$(header Last-Modified)" = "$modified" ]
	[ "$(header ETag)" = "$etag2" ]
	[ "$(grep -c "config unchanged mac=$mac bytes=$(stat -c %s "$IOT_TMP/v2") user=-\$" "$LIGHTTPD_LOG")" = 21 ]
	[ "$(grep -c "config saved mac=$mac " "$LIGHTTPD_LOG")" = 2 ]

	# Preconditions are evaluated as usual.
	put_json "$mac" '{"content":{"deviceName":"Hall","v":2}}' -H 'If-Match: "00000000000000000000000000000000"'
	assert_error 412 PRECONDITION_FAILED
	put_json "$mac" '{"content":{"deviceName":"Hall","v":2},"allow_overwrite":false}'
	assert_error 409 RECORD_EXISTS
	put_json "$mac" '{"content":{"deviceName":"Hall","v":2}}' -H "If-Match: $etag2"
	assert_code 200

	# Back to v1 is a change; restoring v1 again then changes nothing.
	put_json "$mac" '{"content":{"deviceName":"Hall","v":1}}'
	assert_code 200
	history "$mac"
	assert_json .count 2
	restore "$mac" "$rev1"
	assert_code 200
	assert_json '[.mac_address, .content]' "[\"$mac\",{\"deviceName\":\"Hall\",\"v\":1}]"
	history "$mac"
	assert_json .count 2
	[ "$(entries "$mac")" = 2 ]
	grep -q "config unchanged mac=$mac revision=$rev1 bytes=[0-9]* user=-\$" "$LIGHTTPD_LOG"
}

@test "a file edited by hand in place and then replaced through the API is kept byte for byte" {
	local mac=aa-00-00-00-10-02
	put_json "$mac" '{"content":{"v":1}}'
	assert_code 200
	# In place: same inode, new bytes (no rename).
	printf '{"edited":"by hand",  "n":1}' >"$IOT_TMP/hand"
	cat "$IOT_TMP/hand" >"$CONFIG_DIR/$mac.json"
	put_json "$mac" '{"content":{"v":2}}'
	assert_code 200
	history "$mac"
	assert_json .count 1
	rev="$(jq -r '.revisions[0].revision' <<<"$body")"
	revision_bytes "$mac" "$rev" "$IOT_TMP/got"
	cmp "$IOT_TMP/got" "$IOT_TMP/hand"
	# On disk too, with the config's permissions.
	f="$(ls "$CONFIG_DIR/.history/$mac/$rev".*.json)"
	cmp "$f" "$IOT_TMP/hand"
	[ "$(stat -c %a "$f")" = "$(stat -c %a "$CONFIG_DIR/$mac.json")" ]
}

@test "DELETE, then restoring the deleted version brings its exact bytes back; the history shows the delete" {
	local mac=aa-00-00-00-10-03
	printf '{"deviceName":"Porch",\n "keep":"these  bytes"}' >"$IOT_TMP/orig"
	call PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary "@$IOT_TMP/orig"
	assert_code 200
	etag="$(header ETag)"
	call DELETE "/api/configs/$mac"
	assert_code 204
	[ ! -e "$CONFIG_DIR/$mac.json" ]
	# Deleted, but its history still answers.
	history "$mac"
	assert_json .count 1
	assert_json '.revisions[0].replaced_by_operation' '"delete"'
	assert_json '.revisions[0].etag' "$(jq -cn --arg e "$etag" '$e')"
	rev="$(jq -r '.revisions[0].revision' <<<"$body")"
	grep -q "config deleted mac=$mac user=- replaced=$rev" "$LIGHTTPD_LOG"

	restore "$mac" "$rev"
	assert_code 200
	assert_json .mac_address "\"$mac\""
	assert_json .device_name '"Porch"'
	assert_json .content.keep '"these  bytes"'
	[ "$(header ETag)" = "$etag" ]
	call GET "/api/configs/$mac.json"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IOT_TMP/orig"
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/orig"
	# Nothing was current, so nothing new was kept; the delete stays listed.
	history "$mac"
	assert_json .count 1
	assert_json '.revisions[0].replaced_by_operation' '"delete"'
	grep -q "config restored mac=$mac revision=$rev bytes=[0-9]* created=true user=- replaced=-" "$LIGHTTPD_LOG"

	# Restoring over a current config keeps that one, marked "restore".
	put_json "$mac" '{"content":{"v":"later"}}'
	cp "$CONFIG_DIR/$mac.json" "$IOT_TMP/later"
	restore "$mac" "$rev"
	assert_code 200
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/orig"
	history "$mac"
	assert_json .count 3
	assert_json '[.revisions[].replaced_by_operation]' '["restore","save","delete"]'
	revision_bytes "$mac" "$(jq -r '.revisions[0].revision' <<<"$body")" "$IOT_TMP/got"
	cmp "$IOT_TMP/got" "$IOT_TMP/later"
}

@test "restore with a stale If-Match is 412 and changes nothing; an unknown revision is 404" {
	local mac=aa-00-00-00-10-04
	put_json "$mac" '{"content":{"v":1}}'
	stale="$(header ETag)"
	put_json "$mac" '{"content":{"v":2}}'
	current="$(header ETag)"
	cp "$CONFIG_DIR/$mac.json" "$IOT_TMP/v2"
	history "$mac"
	rev="$(jq -r '.revisions[0].revision' <<<"$body")"

	restore "$mac" "$rev" -H "If-Match: $stale"
	assert_error 412 PRECONDITION_FAILED
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/v2"
	[ "$(entries "$mac")" = 1 ]
	restore "$mac" "$rev" -H 'If-None-Match: *'
	assert_error 412 PRECONDITION_FAILED
	call POST "/api/configs/$mac/history/$rev/restore" -H 'Content-Type: application/json' --data-binary '{"allow_overwrite":false}'
	assert_error 409 RECORD_EXISTS
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/v2"
	[ "$(entries "$mac")" = 1 ]

	restore "$mac" 0000000099-0123abcd
	assert_error 404 RECORD_NOT_FOUND
	# Metrics count each history route under its own operation and route label.
	call GET /metrics
	grep -q '^iot_config_operations_total{operation="restore",status="error"} [1-9]' "$IOT_TMP/last.body"
	grep -q '^iot_config_http_requests_total{method="POST",route="/api/configs/{mac_address}/history/{revision}/restore",code="412"} [1-9]' "$IOT_TMP/last.body"
	grep -q '^iot_config_operations_total{operation="history",status="success"} [1-9]' "$IOT_TMP/last.body"
	call GET "/api/configs/$mac/history/0000000099-0123abcd"
	assert_error 404 RECORD_NOT_FOUND
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/v2"

	# With the current ETag it goes through.
	restore "$mac" "$rev" -H "If-Match: $current"
	assert_code 200
	assert_json .content.v 1
	[ "$(entries "$mac")" = 2 ]
}

@test "a config with no past lists an empty history; a MAC with neither config nor history is 404" {
	put_json aa-00-00-00-10-05 '{"content":{}}'
	history aa-00-00-00-10-05
	assert_json . '{"mac_address":"aa-00-00-00-10-05","revisions":[],"count":0}'
	call GET /api/configs/aa-00-00-00-10-06/history
	assert_error 404 RECORD_NOT_FOUND
	call GET /api/configs/not-a-mac/history
	assert_error 400 INVALID_OPERATION
	[ ! -e "$CONFIG_DIR/.history/aa-00-00-00-10-06" ]
}

@test "HISTORY_KEEP=3 keeps exactly 3 after 10 changes; HISTORY_KEEP=0 keeps nothing" {
	iot_start HISTORY_KEEP=3
	local mac=aa-00-00-00-10-07 i
	for i in $(seq 1 10); do
		put_json "$mac" "{\"content\":{\"v\":$i}}"
		assert_code 200
	done
	history "$mac"
	assert_json .count 3
	[ "$(entries "$mac")" = 3 ]
	local want=9
	for rev in $(jq -r '.revisions[].revision' <<<"$body"); do
		revision_bytes "$mac" "$rev" "$IOT_TMP/got"
		[ "$(jq -c . "$IOT_TMP/got")" = "{\"v\":$want}" ]
		want=$((want - 1))
	done
	iot_stop

	iot_start HISTORY_KEEP=0
	mac=aa-00-00-00-10-08
	for i in 1 2 3; do put_json "$mac" "{\"content\":{\"v\":$i}}"; done
	call DELETE "/api/configs/$mac"
	assert_code 204
	put_json "$mac" '{"content":{"v":4}}'
	history "$mac"
	assert_json . "{\"mac_address\":\"$mac\",\"revisions\":[],\"count\":0}"
	[ ! -e "$CONFIG_DIR/.history" ]

	# A bad value stops the process at start, naming the variable.
	run env -i HISTORY_KEEP=many "$IOTCONFIG_BIN" --check
	[ "$status" = 78 ]
	[[ "$output" == *"HISTORY_KEEP: 'many' is not a whole number"* ]]
	run env -i HISTORY_KEEP=1001 "$IOTCONFIG_BIN" --check
	[ "$status" = 78 ]
}

@test "the list, the count and the files gauge never show history; the revision segment reaches no other file" {
	local mac=aa-00-00-00-10-09
	iot_start
	put_json "$mac" '{"content":{"v":1}}'
	put_json "$mac" '{"content":{"v":2}}'
	call DELETE "/api/configs/$mac"
	put_json aa-00-00-00-10-0a '{"content":{"v":1}}'
	put_json aa-00-00-00-10-0a '{"content":{"v":2}}'
	[ "$(entries "$mac")" = 2 ]
	[ "$(entries aa-00-00-00-10-0a)" = 1 ]
	call GET /api/configs
	assert_code 200
	assert_json '[.configs[].mac_address]' '["aa-00-00-00-10-0a"]'
	assert_json .count 1
	call GET /metrics
	grep -qx 'iot_config_files_count 1' "$IOT_TMP/last.body"

	# Paths that try to leave the revision segment.
	printf '{"secret":true}' >"$IOT_TMP/secret.json"
	for p in "..%2F..%2F..%2Fsecret.json" "..%2F..%2Faa-00-00-00-10-0a.json" ".." "%2E%2E" \
		"0000000001-0123abcd%2F..%2F..%2Faa-00-00-00-10-0a" "0000000001-0123abcd.json" \
		"$(ls "$CONFIG_DIR/.history/$mac" | head -1)" "0000000001-0123ABCD" "%00"; do
		call GET "/api/configs/$mac/history/$p"
		[ "$code" = 404 ] || [ "$code" = 400 ] || { echo "$p: $code $body" >&2; return 1; }
		[[ "$body" != *'"v":'* && "$body" != *'"secret":true'* ]] || { echo "$p: $body" >&2; return 1; }
		call POST "/api/configs/$mac/history/$p/restore" -H 'Content-Type: application/json' -H 'Content-Length: 0'
		[ "$code" = 404 ] || [ "$code" = 400 ] || { echo "$p: $code $body" >&2; return 1; }
	done
	[ ! -e "$CONFIG_DIR/$mac.json" ]
	# A history file replaced by a symlink is not followed.
	f="$(ls "$CONFIG_DIR/.history/$mac" | head -1)"
	rev="${f:0:19}"
	ln -sf "$IOT_TMP/secret.json" "$CONFIG_DIR/.history/$mac/$f"
	call GET "/api/configs/$mac/history/$rev"
	[ "$code" = 404 ]
	[[ "$body" != *'"secret":true'* ]]
	# Nor is a .history that is a symlink.
	mv "$CONFIG_DIR/.history" "$IOT_TMP/moved"
	ln -s "$IOT_TMP/moved" "$CONFIG_DIR/.history"
	history_before="$(find "$IOT_TMP/moved" -type f | wc -l)"
	put_json aa-00-00-00-10-0a '{"content":{"v":3}}'
	[ "$code" -ge 500 ]
	[ "$(jq -c . "$CONFIG_DIR/aa-00-00-00-10-0a.json")" = '{"v":2}' ]
	[ "$(find "$IOT_TMP/moved" -type f | wc -l)" = "$history_before" ]
}

@test "16 concurrent PUTs to one MAC through two nodes on one directory: the history and the live file hold every version that was current, and nothing else" {
	local mac=aa-00-00-00-10-0b i
	# A second node on the same directory, taking the shared-file-system path.
	local dir="$CONFIG_DIR" first="$BASE_URL" tmp="$IOT_TMP"
	iot_start ESP32_CONFIGS_DIR="$dir" SHARED_FS=true
	local second="$BASE_URL"
	BASE_URL="$first" CONFIG_DIR="$dir" IOT_TMP="$tmp"
	for i in $(seq 1 16); do printf '{"writer":%d,"pad":"%0*d"}' "$i" "$i" 0 >"$IOT_TMP/body.$i"; done
	local pids=() node
	for i in $(seq 1 16); do
		if [ $((i % 2)) -eq 0 ]; then node="$first"; else node="$second"; fi
		curl -s -o "$IOT_TMP/out.$i" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
			--data-binary "@$IOT_TMP/body.$i" \
			"$node/api/configs/$mac.json" >"$IOT_TMP/code.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 1 16); do [ "$(cat "$IOT_TMP/code.$i")" = 200 ]; done
	history "$mac"
	assert_json .count 15
	[ "$(entries "$mac")" = 15 ]
	# Digests of every version kept plus the live one = digests of the 16 bodies.
	: >"$IOT_TMP/kept"
	for rev in $(jq -r '.revisions[].revision' <<<"$body"); do
		revision_bytes "$mac" "$rev" "$IOT_TMP/got"
		sha256sum <"$IOT_TMP/got" >>"$IOT_TMP/kept"
	done
	sha256sum <"$CONFIG_DIR/$mac.json" >>"$IOT_TMP/kept"
	for i in $(seq 1 16); do sha256sum <"$IOT_TMP/body.$i"; done | sort >"$IOT_TMP/want"
	sort "$IOT_TMP/kept" | diff - "$IOT_TMP/want"
	# Newest first means strictly decreasing sequence numbers.
	jq -e '[.revisions[].revision[0:10]] | . == (sort | reverse) and (unique | length) == 15' <<<"$body" >/dev/null
}

@test "under an auth snippet, replaced_by names the user and a restore needs credentials" {
	printf 'alice:pw-a\nbob:pw-b\n' >"$BATS_TEST_TMPDIR/users"
	cat >"$BATS_TEST_TMPDIR/auth.conf" <<EOF
include "$IOT_ROOT/conf/lighttpd.conf"
server.modules += ( "mod_auth", "mod_authn_file" )
auth.backend = "plain"
auth.backend.plain.userfile = "$BATS_TEST_TMPDIR/users"
\$HTTP["request-method"] !~ "^(GET|HEAD|OPTIONS)$" {
  auth.require = ( "" => ( "method" => "basic", "realm" => "iotconfig", "require" => "valid-user" ) )
}
EOF
	IOT_LIGHTTPD_CONF="$BATS_TEST_TMPDIR/auth.conf" iot_start
	local mac=aa-00-00-00-10-0c
	put_json "$mac" '{"content":{"by":"alice"}}' -u alice:pw-a
	assert_code 200
	put_json "$mac" '{"content":{"by":"bob"}}' -u bob:pw-b
	assert_code 200
	call DELETE "/api/configs/$mac" -u alice:pw-a
	assert_code 204
	history "$mac"
	assert_json '[.revisions[] | [.replaced_by, .replaced_by_operation]]' '[["alice","delete"],["bob","save"]]'
	rev="$(jq -r '.revisions[1].revision' <<<"$body")"
	grep -q "config saved mac=$mac .*user=bob replaced=$rev" "$LIGHTTPD_LOG"
	restore "$mac" "$rev"
	assert_code 401
	[ ! -e "$CONFIG_DIR/$mac.json" ]
	restore "$mac" "$rev" -u bob:pw-b
	assert_code 200
	assert_json .content.by '"alice"'
	grep -q "config restored mac=$mac .*user=bob replaced=-" "$LIGHTTPD_LOG"
}
