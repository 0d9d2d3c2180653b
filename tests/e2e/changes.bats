#!/usr/bin/env bats
# tests/e2e/changes.bats: fleet changes. A merge patch to many devices is
# previewed (per device: diff, ETag, changed or not; nothing written),
# then applied with the previewed ETags: a device changed in between is a
# conflict and keeps its bytes, the others change. Every revision the
# change replaced names it in the history; the change is listed; undo
# puts back each device's previous version byte for byte where it was not
# changed since, and reports the others; an undo is a change too. Each
# test uses its own MACs.

load helpers
load one_instance

# change JSON [curl args]: POST /api/changes
change() {
	local data="$1"
	shift
	call POST /api/changes -H 'Content-Type: application/json' --data-binary "$data" "$@"
}

# fleet PREFIX N: N configs PREFIX-00 .. PREFIX-(N-1) (PREFIX: five MAC
# octets), each with a broker and its own name, written as a person
# would lay them out.
fleet() {
	local i mac
	for ((i = 0; i < $2; i++)); do
		mac="$1-$(printf '%02x' "$i")"
		printf '{\n  "deviceName": "room %d",\n  "mqtt": {\n    "broker": "10.0.0.1",\n    "port": 1883,\n    "keepalive": 0.5\n  }\n}\n' \
			"$i" >"$CONFIG_DIR/$mac.json"
	done
}

@test "a preview answers per device the diff, the ETag and whether it changes, and writes nothing" {
	fleet aa-00-00-00-30 3
	printf '{"mqtt":{"broker":"10.0.20.5"}}\n' >"$CONFIG_DIR/aa-00-00-00-30-02.json"
	tar -C "$CONFIG_DIR" -cf "$IOT_TMP/before.tar" .
	change '{"devices":["AA:00:00:00:30:00","aa-00-00-00-30-01","aa-00-00-00-30-02","aa-00-00-00-30-ff"],"patch":{"mqtt":{"broker":"10.0.20.5"}},"dry_run":true}'
	assert_code 200
	assert_json '.id' null
	assert_json '.dry_run' true
	assert_json '.state' '"preview"'
	assert_json '[.devices[] | [.mac_address, .result, .changed]]' \
		'[["aa-00-00-00-30-00","changed",true],["aa-00-00-00-30-01","changed",true],["aa-00-00-00-30-02","unchanged",false],["aa-00-00-00-30-ff","missing",null]]'
	assert_json '.devices[0].diff' '[{"op":"replace","path":"/mqtt/broker","old":"10.0.0.1","value":"10.0.20.5"}]'
	assert_json '.devices[0].etag' "\"\\\"$(sha256sum "$CONFIG_DIR/aa-00-00-00-30-00.json" | cut -c1-32)\\\"\""
	assert_json '.summary | [.changed, .unchanged, .missing]' '[2,1,1]'
	# Nothing written: same files, no history, no record.
	tar -C "$CONFIG_DIR" -cf "$IOT_TMP/after.tar" .
	cmp "$IOT_TMP/before.tar" "$IOT_TMP/after.tar"
	[ ! -e "$CONFIG_DIR/.changes" ]
}

@test "applying a preview: a device changed through the API since is a conflict and keeps its bytes, the others change" {
	fleet aa-00-00-00-31 4
	change '{"q":["/mqtt/broker=10.0.0.1","room"],"patch":{"mqtt":{"broker":"10.0.20.5","tls":true}},"dry_run":true}'
	assert_code 200
	# The search found the four (and no device of another test: their names differ).
	local preview="$body"
	[ "$(jq -r '[.devices[].mac_address | select(startswith("aa-00-00-00-31-"))] | length' <<<"$preview")" = 4 ]
	# Someone changes one device meanwhile.
	call PATCH /api/configs/aa-00-00-00-31-02 -H 'Content-Type: application/merge-patch+json' --data-binary '{"deviceName":"renamed"}'
	assert_code 200
	cp "$CONFIG_DIR/aa-00-00-00-31-02.json" "$IOT_TMP/theirs"
	cp "$CONFIG_DIR/aa-00-00-00-31-00.json" "$IOT_TMP/old0"
	change "$(jq -c '{patch, devices: [.devices[] | select(.mac_address | startswith("aa-00-00-00-31-")) | {mac_address, etag}]}' <<<"$preview")"
	assert_code 200
	assert_json '.state' '"done"'
	assert_json '[.devices[] | [.mac_address, .result]]' \
		'[["aa-00-00-00-31-00","changed"],["aa-00-00-00-31-01","changed"],["aa-00-00-00-31-02","conflict"],["aa-00-00-00-31-03","changed"]]'
	local id
	id="$(jq -r .id <<<"$body")"
	[[ "$id" =~ ^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$ ]]
	# The conflict kept its bytes; the others changed only where the patch says.
	cmp "$CONFIG_DIR/aa-00-00-00-31-02.json" "$IOT_TMP/theirs"
	printf '{\n  "deviceName": "room 0",\n  "mqtt": {\n    "broker": "10.0.20.5",\n    "port": 1883,\n    "keepalive": 0.5,\n    "tls": true\n  }\n}\n' >"$IOT_TMP/want0"
	cmp "$CONFIG_DIR/aa-00-00-00-31-00.json" "$IOT_TMP/want0"
	assert_json '.devices[0].new_etag' "\"\\\"$(sha256sum "$CONFIG_DIR/aa-00-00-00-31-00.json" | cut -c1-32)\\\"\""
	# The history of a changed device names the change; the replaced version is there byte for byte.
	call GET /api/configs/aa-00-00-00-31-00/history
	assert_json '.revisions[0].replaced_by_change' "\"$id\""
	local rev
	rev="$(jq -r '.revisions[0].revision' <<<"$body")"
	curl -sf "$BASE_URL/api/configs/aa-00-00-00-31-00/history/$rev" | cmp - "$IOT_TMP/old0"
	# Listed, with who, when, how many and the patch.
	call GET /api/changes
	assert_code 200
	[ "$(jq -c --arg id "$id" '.changes[] | select(.id == $id) | [.kind, .count, .summary.changed, .summary.conflict, .patch, .user]' <<<"$body")" = \
		'["patch",4,3,1,{"mqtt":{"broker":"10.0.20.5","tls":true}},null]' ]
	call GET "/api/changes/$id"
	assert_code 200
	assert_json '[.devices[].result]' '["changed","changed","conflict","changed"]'
}

@test "undo puts back each device's previous version, reports one edited since and keeps it; undo of the undo redoes" {
	fleet aa-00-00-00-32 3
	for i in 0 1 2; do cp "$CONFIG_DIR/aa-00-00-00-32-0$i.json" "$IOT_TMP/v$i"; done
	change '{"devices":["aa-00-00-00-32-00","aa-00-00-00-32-01","aa-00-00-00-32-02"],"patch":{"mqtt":{"port":8883}}}'
	assert_code 200
	local id
	id="$(jq -r .id <<<"$body")"
	# A later edit of one device.
	call PUT /api/configs/aa-00-00-00-32-01.json -H 'Content-Type: application/json' --data-binary '{"edited":true}'
	assert_code 200
	change '' # (no-op guard: an empty body is refused)
	assert_error 400 VALIDATION_FAILED
	call POST "/api/changes/$id/undo" -H 'Content-Type: application/json' --data-binary '{"dry_run":true}'
	assert_code 200
	assert_json '[.devices[].result]' '["restored","conflict","restored"]'
	jq -e '.mqtt.port == 8883' "$CONFIG_DIR/aa-00-00-00-32-00.json"
	call POST "/api/changes/$id/undo" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_code 200
	assert_json '.kind' '"undo"'
	assert_json ".undoes" "\"$id\""
	assert_json '[.devices[] | [.mac_address, .result]]' \
		'[["aa-00-00-00-32-00","restored"],["aa-00-00-00-32-01","conflict"],["aa-00-00-00-32-02","restored"]]'
	cmp "$CONFIG_DIR/aa-00-00-00-32-00.json" "$IOT_TMP/v0"
	cmp "$CONFIG_DIR/aa-00-00-00-32-02.json" "$IOT_TMP/v2"
	[ "$(cat "$CONFIG_DIR/aa-00-00-00-32-01.json")" = '{"edited":true}' ]
	local undo
	undo="$(jq -r .id <<<"$body")"
	call GET /api/changes
	[ "$(jq -c --arg id "$id" '.changes[] | select(.id == $id) | .undone_by' <<<"$body")" = "[\"$undo\"]" ]
	# The undo's own history entries name it; undoing it changes the port again.
	call GET /api/configs/aa-00-00-00-32-00/history
	assert_json '.revisions[0] | [.replaced_by_change, .replaced_by_operation]' "[\"$undo\",\"restore\"]"
	call POST "/api/changes/$undo/undo" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_code 200
	assert_json '[.devices[].result]' '["restored","restored"]'
	jq -e '.mqtt.port == 8883' "$CONFIG_DIR/aa-00-00-00-32-00.json"
	# Undoing the first change again: device 1 still conflicts, the others are restored once more.
	call POST "/api/changes/$id/undo" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_json '[.devices[].result]' '["restored","conflict","restored"]'
	cmp "$CONFIG_DIR/aa-00-00-00-32-00.json" "$IOT_TMP/v0"
}

@test "40 devices: one preview, one apply, one undo, and the files are back byte for byte" {
	fleet aa-00-00-00-33 40
	mkdir "$IOT_TMP/before" "$IOT_TMP/after"
	cp -p "$CONFIG_DIR"/aa-00-00-00-33-* "$IOT_TMP/before/"
	change '{"q":"/mqtt/port=1883","patch":{"mqtt":{"broker":"mqtts://broker.lan"}},"dry_run":true}'
	assert_code 200
	local devices
	devices="$(jq -c '[.devices[] | select(.mac_address | startswith("aa-00-00-00-33-")) | {mac_address, etag}]' <<<"$body")"
	[ "$(jq length <<<"$devices")" = 40 ]
	change "{\"patch\":{\"mqtt\":{\"broker\":\"mqtts://broker.lan\"}},\"devices\":$devices}"
	assert_code 200
	assert_json '.summary.changed' 40
	[ "$(grep -l 'mqtts://broker.lan' "$CONFIG_DIR"/aa-00-00-00-33-*.json | wc -l)" = 40 ]
	call POST "/api/changes/$(jq -r .id <<<"$body")/undo" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_code 200
	assert_json '.summary.restored' 40
	cp -p "$CONFIG_DIR"/aa-00-00-00-33-* "$IOT_TMP/after/"
	diff -r "$IOT_TMP/before" "$IOT_TMP/after"
}

@test "a change is refused whole for a bad request, and writes nothing" {
	fleet aa-00-00-00-34 1
	change '{"devices":["aa-00-00-00-34-00"]}'
	assert_error 400 VALIDATION_FAILED
	change '{"devices":["aa-00-00-00-34-00"],"q":"x","patch":{}}'
	assert_error 400 VALIDATION_FAILED
	change '{"devices":["aa-00-00-00-34-00","not-a-mac"],"patch":{"a":1}}'
	assert_error 400 VALIDATION_FAILED
	change '{"devices":"aa-00-00-00-34-00","patch":{"a":1}}'
	assert_error 400 VALIDATION_FAILED
	change '{"devices":["aa-00-00-00-34-00"],"patch":[1]}'
	assert_error 400 VALIDATION_FAILED
	change '{"devices":["aa-00-00-00-34-00"],"patch":{"a":1},"dry_run":"yes"}'
	assert_error 400 VALIDATION_FAILED
	change '{"q":"","patch":{"a":1}}'
	assert_error 400 VALIDATION_FAILED
	call POST /api/changes -H 'Content-Type: text/plain' --data-binary '{"devices":["aa-00-00-00-34-00"],"patch":{"a":1}}'
	assert_code 415
	jq -e 'has("a") | not' "$CONFIG_DIR/aa-00-00-00-34-00.json"
	call GET /api/changes/20990101-000000-00000000
	assert_error 404 RECORD_NOT_FOUND
	call GET /api/changes/..%2F..%2Fetc
	assert_error 404 RECORD_NOT_FOUND
	call POST /api/changes/20990101-000000-00000000/undo -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_error 404 RECORD_NOT_FOUND
}

@test "a device whose patched config would be invalid is reported, the others change" {
	fleet aa-00-00-00-35 2
	printf 'not json' >"$CONFIG_DIR/aa-00-00-00-35-01.json"
	change '{"devices":["aa-00-00-00-35-00","aa-00-00-00-35-01"],"patch":{"x":1}}'
	assert_code 200
	assert_json '[.devices[].result]' '["changed","invalid"]'
	[ "$(cat "$CONFIG_DIR/aa-00-00-00-35-01.json")" = 'not json' ]
	jq -e '.x == 1' "$CONFIG_DIR/aa-00-00-00-35-00.json"
}

@test "schemas: a patch, a fleet change (preview and apply) and an import that break theirs are refused, device by device" {
	iot_start
	call PUT /api/schemas/default -H 'Content-Type: application/json' \
		--data-binary '{"required":["deviceName"],"properties":{"mqtt":{"properties":{"port":{"type":"integer"}}}}}'
	[ "$code" = 201 ]
	fleet aa-00-00-00-36 2
	cp "$CONFIG_DIR/aa-00-00-00-36-00.json" "$IOT_TMP/v0"
	call PATCH /api/configs/aa-00-00-00-36-00 -H 'Content-Type: application/merge-patch+json' --data-binary '{"deviceName":null}'
	assert_error 400 VALIDATION_FAILED
	assert_json '.details.schema' '"default"'
	cmp "$CONFIG_DIR/aa-00-00-00-36-00.json" "$IOT_TMP/v0"
	change '{"devices":["aa-00-00-00-36-00","aa-00-00-00-36-01"],"patch":{"mqtt":{"port":"8883"}},"dry_run":true}'
	assert_code 200
	assert_json '[.devices[].result]' '["invalid","invalid"]'
	assert_json '.devices[0].message | test("schema")' true
	change '{"devices":["aa-00-00-00-36-00","aa-00-00-00-36-01"],"patch":{"mqtt":{"port":"8883"}}}'
	assert_json '[.devices[].result]' '["invalid","invalid"]'
	cmp "$CONFIG_DIR/aa-00-00-00-36-00.json" "$IOT_TMP/v0"
	change '{"devices":["aa-00-00-00-36-00"],"patch":{"mqtt":{"port":8883}}}'
	assert_json '[.devices[].result]' '["changed"]'
	mkdir "$IOT_TMP/in"
	printf '{"noName":true}' >"$IOT_TMP/in/aa-00-00-00-36-09.json"
	tar -czf "$IOT_TMP/in.tgz" -C "$IOT_TMP/in" .
	call POST '/api/import?dry_run=true' -H 'Content-Type: application/gzip' --data-binary @"$IOT_TMP/in.tgz"
	assert_json '[.devices[].result]' '["invalid"]'
	call POST /api/import -H 'Content-Type: application/gzip' --data-binary @"$IOT_TMP/in.tgz"
	assert_json '[.devices[].result]' '["invalid"]'
	[ ! -e "$CONFIG_DIR/aa-00-00-00-36-09.json" ]
}

@test "a change record the service did not write (no id) is listed as it is and crashes nothing" {
	mkdir -p "$CONFIG_DIR/.changes"
	printf '{"undoes":"20260101-000000-0000000a","kind":"undo"}\n' >"$CONFIG_DIR/.changes/20260101-000001-0000000b.json"
	printf '{"kind":"patch"}\n' >"$CONFIG_DIR/.changes/20260101-000002-0000000c.json"
	call GET /api/changes
	assert_code 200
	[ "$(jq '[.changes[] | select(.id == null)] | length' <<<"$body")" = 2 ]
	rm -f "$CONFIG_DIR/.changes/20260101-000001-0000000b.json" "$CONFIG_DIR/.changes/20260101-000002-0000000c.json"
	call GET /api/health
	assert_code 200
}
