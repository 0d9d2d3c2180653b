#!/usr/bin/env bats
# tests/e2e/not_durable.bats: a change whose last step, the directory
# fsync after the rename, keeps failing (injected with tests/e2e/fsfault.c:
# every directory fsync fails with EIO) is already in place and served. The
# answer says so: 500 STORAGE_NOT_DURABLE, never the STORAGE_ERROR that
# means "nothing changed", and the file on disk is the new version (or gone,
# for a DELETE), with no temp file left. Those replacing or deleting a
# config run with history off: with history on, the history directory's
# fsync comes first, and a change whose entry cannot be made durable is
# refused whole (STORAGE_ERROR, nothing changed), which the last test shows.

load helpers
load fsfault

MAC=aa-bb-cc-00-d0-01

setup() {
	fsfault_build
	DIR="$BATS_TEST_TMPDIR/configs"
	mkdir "$DIR"
	printf '{"deviceName":"old"}\n' >"$DIR/$MAC.json"
}

assert_not_durable() { # assert_not_durable saved|deleted
	assert_code 500
	assert_json .code '"STORAGE_NOT_DURABLE"'
	assert_json .error "\"Config $MAC was $1 but may not survive a crash\""
	[[ "$(jq -r .details.message <<<"$body")" == "fsync directory: Input/output error; "* ]]
	[ -z "$(find "$DIR" -name '*.tmp')" ]
}

@test "a wrapped PUT whose directory fsync keeps failing answers 500 STORAGE_NOT_DURABLE, and the new version is on disk and served" {
	cgi "$DIR" PUT "/api/configs/$MAC" '{"content":{"deviceName":"new"}}' IOT_FAULT_DIR_FSYNC=1 HISTORY_KEEP=0
	assert_not_durable saved
	[[ "$(jq -r .details.message <<<"$body")" == *"the new version is in place and served now"* ]]
	# It is live, so the audit log has it like any change.
	grep -q "INFO .* config saved mac=$MAC bytes=" "$BATS_TEST_TMPDIR/cgi.log"
	[ "$(cat "$DIR/$MAC.json")" = "$(printf '{\n  "deviceName": "new"\n}')" ]
	cgi "$DIR" GET "/api/configs/$MAC" ''
	assert_code 200
	assert_json .content '{"deviceName":"new"}'
	# Without the fault the same PUT is an ordinary 200.
	cgi "$DIR" PUT "/api/configs/$MAC" '{"content":{"deviceName":"new"}}'
	assert_code 200
	assert_json .device_name '"new"'
}

@test "a raw PUT whose directory fsync keeps failing answers 500 STORAGE_NOT_DURABLE with the uploaded bytes on disk" {
	cgi "$DIR" PUT "/api/configs/$MAC.json" '{"deviceName":"raw new"}' IOT_FAULT_DIR_FSYNC=1 HISTORY_KEEP=0
	assert_not_durable saved
	[ "$(cat "$DIR/$MAC.json")" = '{"deviceName":"raw new"}' ]
}

@test "a PUT creating a config whose directory fsync keeps failing answers STORAGE_NOT_DURABLE; a create-only retry then knows it exists" {
	rm "$DIR/$MAC.json"
	cgi "$DIR" PUT "/api/configs/$MAC" '{"content":{"deviceName":"created"}}' IOT_FAULT_DIR_FSYNC=1
	assert_not_durable saved
	jq -e '.deviceName == "created"' "$DIR/$MAC.json"
	cgi "$DIR" PUT "/api/configs/$MAC" '{"content":{"deviceName":"created"}}' HTTP_IF_NONE_MATCH='*'
	assert_code 412
}

@test "a DELETE whose directory fsync keeps failing answers 500 STORAGE_NOT_DURABLE, and the config is gone" {
	cgi "$DIR" DELETE "/api/configs/$MAC" '' IOT_FAULT_DIR_FSYNC=1 HISTORY_KEEP=0
	assert_not_durable deleted
	[[ "$(jq -r .details.message <<<"$body")" == *"the deletion is in place"* ]]
	[ ! -e "$DIR/$MAC.json" ]
}

@test "with history on, a change whose history entry cannot be made durable is refused whole: STORAGE_ERROR, the old file and no entry kept" {
	cp "$DIR/$MAC.json" "$BATS_TEST_TMPDIR/old"
	for req in "PUT /api/configs/$MAC {\"content\":{\"deviceName\":\"new\"}}" "DELETE /api/configs/$MAC "; do
		read -r method uri data <<<"$req"
		cgi "$DIR" "$method" "$uri" "$data" IOT_FAULT_DIR_FSYNC=1
		assert_error 500 STORAGE_ERROR
		[ "$(jq -r .details.message <<<"$body")" = "fsync history directory: Input/output error" ]
		cmp "$DIR/$MAC.json" "$BATS_TEST_TMPDIR/old"
		[ -z "$(find "$DIR/.history" -type f 2>/dev/null)" ]
		[ -z "$(find "$DIR" -name '*.tmp')" ]
	done
	# Without the fault the same change is kept in the history.
	cgi "$DIR" PUT "/api/configs/$MAC" '{"content":{"deviceName":"new"}}'
	assert_code 200
	cmp "$DIR/.history/$MAC"/*.json "$BATS_TEST_TMPDIR/old"
}
