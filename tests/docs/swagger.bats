#!/usr/bin/env bats
# tests/docs/swagger.bats: the interactive docs in a real browser. Debian's
# Chromium, headless, opens /api/docs on the test's lighttpd and the DOM it
# renders must hold every operation of the document. The browser resolves
# only the test's own host name: any request for another host (a CDN, the
# online validator) fails, and no element of the page may point elsewhere.
# Without the Swagger UI assets the route says how to install them and the
# API keeps working.

load ../e2e/helpers
load docs

HOSTNAME_UNDER_TEST=iotconfig.test

setup_file() {
	require_tools
	iot_start_file
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# render URL: the DOM Chromium builds for URL, in $BATS_TEST_TMPDIR/dom.html.
# Swagger UI draws only the operations in view once the document has 150
# tags and operations or more (a virtual list): the window is tall enough
# to hold them all.
# Virtual time runs only while no request is pending, so the budget is
# reached after the page has fetched and rendered the document.
render() {
	local profile="$BATS_TEST_TMPDIR/chromium-profile"
	mkdir -p "$profile"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" \
		--host-resolver-rules="MAP $HOSTNAME_UNDER_TEST 127.0.0.1, MAP * ~NOTFOUND" \
		--virtual-time-budget=30000 --window-size=1280,40000 --dump-dom "$1" \
		>"$BATS_TEST_TMPDIR/dom.html" 2>"$BATS_TEST_TMPDIR/chromium.log"
}

@test "headless Chromium following /api/docs renders every operation of the document in Swagger UI" {
	render "http://$HOSTNAME_UNDER_TEST:$IOT_PORT/api/docs"
	local dom="$BATS_TEST_TMPDIR/dom.html"
	grep -q 'id="swagger-ui"' "$dom"
	# The document's title and version, as Swagger UI shows them.
	grep -q '<h1 class="title">iotconfig<span>' "$dom"
	grep -q "<pre class=\"version\"> $(jq -r .info.version "$DOC") </pre>" "$dom"
	# Every operation: its block (operations-<tag>-<operationId>, CSS-escaped
	# by Swagger UI: "{", "}" and "." get a backslash), its path and summary.
	local n=0 id path summary
	while IFS=$'\t' read -r id path summary; do
		id="$(sed 's/[^A-Za-z0-9_-]/\\&/g' <<<"$id")"
		grep -qF "id=\"operations-$id\"" "$dom" || { echo "operation $id not rendered" >&2; return 1; }
		grep -qF "data-path=\"$path\"" "$dom" || { echo "path $path not rendered" >&2; return 1; }
		grep -qF ">$summary<" "$dom" || { echo "summary '$summary' not rendered" >&2; return 1; }
		n=$((n + 1))
	done < <(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
		| select(.value | type == "object" and has("operationId"))
		| [(.value.tags[0] + "-" + .value.operationId), $p, .value.summary] | @tsv' "$DOC")
	[ "$n" -ge 37 ]
	# The config operations people look for.
	for summary in 'List configs' 'Get a config' 'Create or replace a config' 'Delete a config' \
		'Get a config file as stored' 'Upload a config file as is'; do
		grep -qF ">$summary<" "$dom"
	done
	[ "$(grep -o 'class="opblock opblock-' "$dom" | wc -l)" = "$n" ]
}

@test "the Swagger UI page loads nothing from another server and links to none" {
	render "http://$HOSTNAME_UNDER_TEST:$IOT_PORT/api/docs/swagger/"
	local dom="$BATS_TEST_TMPDIR/dom.html"
	grep -q 'id="operations-configs-get__api_configs"' "$dom"
	# No script, stylesheet, image or frame comes from another host...
	run grep -oE '<(script|link|img|iframe)[^>]*src="(https?:)?//[^"]*"' "$dom"
	echo "$output"
	[ -z "$(grep -v "//$HOSTNAME_UNDER_TEST:$IOT_PORT/" <<<"$output")" ]
	# ...nor links to one: Swagger's online validator badge would send the
	# document's address to the validator's server.
	run grep -oE '(src|href)="(https?:)?//[^"]*"' "$dom"
	echo "$output"
	[ -z "$(grep -v "//$HOSTNAME_UNDER_TEST:$IOT_PORT/" <<<"$output")" ]
	# The page itself names only local files.
	call GET /api/docs/swagger/
	assert_code 200
	run grep -E '(src|href)="(https?:)?//' "$IOT_TMP/last.body"
	[ "$status" -eq 1 ]
}

@test "without the Swagger UI assets the docs route says how to install them and the API still works" {
	local empty="$BATS_TEST_TMPDIR/empty"
	mkdir -p "$empty"
	iot_start SWAGGER_UI_DIR="$empty"
	rcall GET /api/docs/swagger/
	assert_code 503
	[ "$(header Content-Type)" = "text/plain; charset=utf-8" ]
	[[ "$body" == "Swagger UI is not installed on this server."* ]]
	[[ "$body" == *"make deps"* && "$body" == *"swagger-ui-dist"* && "$body" == *"SWAGGER_UI_DIR"* ]]
	[[ "$body" == *"Looked in: $empty"* ]]
	rcall GET /api/docs/swagger/swagger-ui-bundle.js
	assert_code 503
	[[ "$body" == "Swagger UI is not installed on this server."* ]]
	rcall GET /api/docs
	assert_code 302
	rcall GET /api/docs/openapi.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$DOC"
	rcall PUT /api/configs/aa-bb-cc-00-20-01 -H 'Content-Type: application/json' --data-binary '{"content":{"deviceName":"x"}}'
	assert_code 200
	rcall GET /api/configs
	assert_code 200
	assert_json '.configs[0].device_name' '"x"'
	rcall GET /api/health
	assert_code 200
	validate_recorded
}
