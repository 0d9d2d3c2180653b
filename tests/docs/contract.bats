#!/usr/bin/env bats
# tests/docs/contract.bats: every operation of conf/openapi.json, called on
# the running service (lighttpd, CORS configured) with the document's own
# examples, answers with a documented success whose headers and body the
# document describes; OPTIONS announces exactly the documented methods.
# The other direction (every route is documented) is in document.bats,
# from `iotconfig.fcgi --routes`.

load ../e2e/helpers
load docs

ORIGIN=http://ui.test

setup_file() {
	require_tools
	iot_start_file CORS_ORIGINS="[\"$ORIGIN\"]"
	# A schema version for the PUT example to replace, so the schema history
	# has a revision for its documented examples to read and restore.
	mkdir -p "$CONFIG_DIR/.schemas"
	printf '{}' >"$CONFIG_DIR/.schemas/default.json"
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

contract() { # contract DOC
	run node "$CHECK" contract "$1" "$BASE_URL" "$ORIGIN"
	echo "$output"
}

@test "every documented operation answers its examples with a documented success that validates" {
	contract "$DOC"
	[ "$status" -eq 0 ]
	operations="$(jq '[.paths[] | to_entries[] | select(.key != "parameters" and .key != "description")] | length' "$DOC")"
	[ "$operations" -ge 37 ]
	[ "$(grep -c '^ok ' <<<"$output")" -ge "$operations" ]
	[[ "$output" == *"ok PUT /api/configs/{mac_address} -> 200"* ]]
	[[ "$output" == *"ok DELETE /api/configs/{mac_address}.json -> 204"* ]]
	[[ "$output" == *"ok OPTIONS /api/configs/{mac_address} -> 204"* ]]
	[[ "$output" == *", 0 problems" ]]
}

@test "a status the document does not list fails the contract" {
	jq 'del(.paths["/api/configs/{mac_address}"].delete.responses["204"])' "$DOC" >"$BATS_TEST_TMPDIR/drift.json"
	contract "$BATS_TEST_TMPDIR/drift.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DELETE /api/configs/{mac_address} answered 204, which the document does not list"* ]]
}

@test "a header or a body field the document does not describe fails the contract" {
	jq 'del(.paths["/api/configs/{mac_address}"].get.responses["200"].headers.ETag)
	    | del(.components.schemas["ConfigListResponseSchema.6be28b6"].properties.count)
	    | .components.schemas["ConfigListResponseSchema.6be28b6"].required -= ["count"]' "$DOC" >"$BATS_TEST_TMPDIR/drift.json"
	contract "$BATS_TEST_TMPDIR/drift.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET /api/configs/AA%3ABB%3ACC%3ADD%3AEE%3AFF 200: header etag is sent but not documented"* ]]
	[[ "$output" == *"GET /api/configs 200: body does not match the schema: data must NOT have additional properties"* ]]
}

@test "the document's Allow list drifting from the router fails the contract" {
	jq 'del(.paths["/api/configs/{mac_address}.json"].delete)' "$DOC" >"$BATS_TEST_TMPDIR/drift.json"
	contract "$BATS_TEST_TMPDIR/drift.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *'Allow is "GET, HEAD, PUT, DELETE, OPTIONS", the document lists GET,HEAD,OPTIONS,PUT'* ]]
}

@test "the documented MAC pattern accepts exactly the MAC forms the service accepts" {
	pattern="$(jq -r .components.schemas.MacAddress.pattern "$DOC")"
	[ -n "$pattern" ]
	local mac accepted=0
	for mac in AA:BB:CC:DD:EE:FF aa-bb-cc-dd-ee-ff Aa:bB:0c:D9:e0:F1 00-00-00-00-00-00 \
		aa:bb-cc:dd:ee:ff aabbccddeeff aa:bb:cc:dd:ee aa:bb:cc:dd:ee:ff:00 aa:bb:cc:dd:ee:fg \
		'aa.bb.cc.dd.ee.ff' ' aa:bb:cc:dd:ee:ff' 'aa::bb:cc:dd:ee:f' a-bb-cc-dd-ee-fff; do
		call GET "/api/configs/$(jq -rn --arg m "$mac" '$m|@uri')"
		if printf '%s\n' "$mac" | grep -Eq "$pattern"; then
			[ "$code" = 404 ] || { echo "$mac matches the pattern but answered $code" >&2; return 1; }
			accepted=$((accepted + 1))
		else
			[ "$code" = 400 ] || { echo "$mac does not match the pattern but answered $code" >&2; return 1; }
		fi
	done
	[ "$accepted" = 4 ]
}
