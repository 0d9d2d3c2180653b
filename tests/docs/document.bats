#!/usr/bin/env bats
# tests/docs/document.bats: conf/openapi.json against the code it describes:
# the pinned linter, the version, the error codes and their statuses, the
# limits, the router's table (both directions), the page's files, and the
# bytes served.

load ../e2e/helpers
load docs

setup_file() {
	require_tools
}

teardown() {
	iot_cleanup_extra
}

@test "the document passes the pinned Redocly linter with every recommended rule as an error" {
	run env REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
		"$TOOLS/.bin/redocly" lint --config "$IOT_ROOT/tests/docs/redocly.yaml" --format=stylish "$DOC"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"is valid"* ]]
}

@test "the linter run by make test fails on a broken document" {
	jq '.paths["/api/configs"].get.responses = {} | .components.schemas.Unused = {type:"string"}' "$DOC" >"$BATS_TEST_TMPDIR/broken.json"
	run env REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
		"$TOOLS/.bin/redocly" lint --config "$IOT_ROOT/tests/docs/redocly.yaml" --format=stylish "$BATS_TEST_TMPDIR/broken.json"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *no-unused-components* ]]
}

@test "info.version is the VERSION file and what iotconfig.fcgi --version prints" {
	version="$(cat "$IOT_ROOT/VERSION")"
	[ -n "$version" ]
	[ "$(jq -r .info.version "$DOC")" = "$version" ]
	[ "$("$IOTCONFIG_BIN" --version)" = "iotconfig $version" ]
}

@test "the ErrorCode enum is exactly the codes src/error.c defines" {
	from_code="$(sed -n 's/.*\[ERR_[A-Z_]*\] = {[0-9]*, "\([A-Z_]*\)"}.*/\1/p' "$IOT_ROOT/src/error.c" | grep -vx OK | sort)"
	from_doc="$(jq -r '.components.schemas.ErrorCode.enum[]' "$DOC" | sort)"
	echo "code: $from_code"
	echo "doc: $from_doc"
	[ "$(printf '%s\n' "$from_code" | wc -l)" -ge 15 ]
	[ "$from_code" = "$from_doc" ]
}

@test "the page's files the document names are exactly those src/api_ui.c serves, in its order" {
	local doc code
	doc="$(jq -c '.components.parameters.ui_asset.schema.enum' "$DOC")"
	code="$(grep -o 'ENTRY("[^"]*"' "$IOT_ROOT/src/api_ui.c" | cut -d'"' -f2 | jq -R . | jq -cs .)"
	[ "$doc" = "$code" ] || { echo "document: $doc"; echo "served:   $code"; false; }
}

@test "each error response lists only codes that src/error.c gives its status" {
	run node "$CHECK" error-statuses "$DOC" "$IOT_ROOT/src/error.c"
	echo "$output"
	[ "$status" -eq 0 ]
	# A code documented under another status is caught.
	jq '.components.responses.RecordNotFound.content["application/json"].schema.allOf[1].properties.code.enum += ["NOT_FOUND","RECORD_EXISTS"]' "$DOC" >"$BATS_TEST_TMPDIR/wrong.json"
	run node "$CHECK" error-statuses "$BATS_TEST_TMPDIR/wrong.json" "$IOT_ROOT/src/error.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"404: RECORD_EXISTS has status 409"* ]]
}

# c_define FILE NAME: the value of a #define, evaluated (unsigned suffixes dropped).
c_define() {
	local expr
	expr="$(sed -n "s/^#define $2[[:space:]]\{1,\}\([^/]*\).*/\1/p" "$IOT_ROOT/src/$1" | sed 's/\([0-9]\)u/\1/g')"
	[ -n "$expr" ] && echo $((expr))
}

@test "the limits stated are the ones the code enforces" {
	limits() { jq -r ".info[\"x-iotconfig-limits\"].$1" "$DOC"; }
	[ "$(limits maxBodyBytesDefault)" = "$(c_define settings.h SETTINGS_DEFAULT_MAX_BODY)" ]
	[ "$(limits maxBodyBytesMin)" = "$(c_define settings.h SETTINGS_MIN_MAX_BODY)" ]
	[ "$(limits maxBodyBytesMax)" = "$(c_define settings.h SETTINGS_MAX_MAX_BODY)" ]
	[ "$(limits maxNestingDepth)" = "$(c_define jsonbody.h JSONBODY_MAX_DEPTH)" ]
	[ "$(limits maxBodyBytesDefault)" = 1048576 ]
	# ...and the text people read says the same.
	description="$(jq -r .info.description "$DOC")"
	[[ "$description" == *"$(limits maxBodyBytesDefault) (1 MiB)"* ]]
	[[ "$description" == *"between $(limits maxBodyBytesMin) and $(limits maxBodyBytesMax)"* ]]
	[[ "$description" == *"at most $(limits maxNestingDepth) levels deep"* ]]
	[[ "$description" == *'`AA:BB:CC:DD:EE:FF`'* && "$description" == *'`aa-bb-cc-dd-ee-ff`'* ]]
}

@test "the router's routes and the document's operations are the same, in both directions" {
	"$IOTCONFIG_BIN" --routes >"$BATS_TEST_TMPDIR/routes.json"
	[ "$(jq length "$BATS_TEST_TMPDIR/routes.json")" -ge 11 ]
	run node "$CHECK" routes "$DOC" "$BATS_TEST_TMPDIR/routes.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *", 0 differences" ]]
}

@test "a route the document lacks, or an operation the router lacks, fails the route check" {
	"$IOTCONFIG_BIN" --routes >"$BATS_TEST_TMPDIR/routes.json"
	jq 'del(.paths["/metrics"].head) | .paths["/api/extra"] = {get: .paths["/metrics"].get}' "$DOC" >"$BATS_TEST_TMPDIR/drift.json"
	run node "$CHECK" routes "$BATS_TEST_TMPDIR/drift.json" "$BATS_TEST_TMPDIR/routes.json"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not documented: HEAD /metrics"* ]]
	[[ "$output" == *"documented but not a route: GET /api/extra"* ]]
}

@test "the served document is conf/openapi.json byte for byte, under lighttpd and plain CGI" {
	iot_start
	call GET /api/docs/openapi.json
	assert_code 200
	[ "$(header Content-Type)" = application/json ]
	cmp "$IOT_TMP/last.body" "$DOC"
	env -i REQUEST_METHOD=GET REQUEST_URI=/api/docs/openapi.json GATEWAY_INTERFACE=CGI/1.1 \
		METRICS_FILE="$BATS_TEST_TMPDIR/cgi.metrics" "$IOTCONFIG_BIN" >"$BATS_TEST_TMPDIR/cgi.out"
	sed '1,/^\r$/d' "$BATS_TEST_TMPDIR/cgi.out" >"$BATS_TEST_TMPDIR/cgi.body"
	cmp "$BATS_TEST_TMPDIR/cgi.body" "$DOC"
	grep -q '^Content-Type: application/json' "$BATS_TEST_TMPDIR/cgi.out"
}
