# tests/docs/docs.bash: what the tests/docs suites share, on top of
# tests/e2e/helpers.bash: where the document and the pinned npm tools are,
# the checker (openapi-check.mjs), and recording live responses so they can
# be validated against the document.
#
#   rcall METHOD PATH [curl args]   call, then record the response
#   cgi_call METHOD URI [VAR=value ...] <body
#                                   run the responder once as plain CGI (no
#                                   web server in between); sets $code,
#                                   $body, $hdrs like call, and records
#   validate_recorded               validate what this test recorded; the
#                                   error codes seen go to $BATS_FILE_TMPDIR/codes

DOC="$IOT_ROOT/conf/openapi.json"
TOOLS="$IOT_ROOT/tools/node_modules"
CHECK="$IOT_ROOT/tests/docs/openapi-check.mjs"

require_tools() {
	if [ ! -f "$TOOLS/ajv/package.json" ] || [ ! -x "$TOOLS/.bin/redocly" ] ||
		[ ! -f "$TOOLS/swagger-ui-dist/swagger-ui-bundle.js" ] ||
		[ ! -x "$TOOLS/.bin/openapi-typescript" ] || [ ! -x "$TOOLS/.bin/tsc" ]; then
		echo "npm packages missing in $TOOLS: run make deps" >&2
		return 1
	fi
}

samples_file() {
	echo "$BATS_TEST_TMPDIR/samples.jsonl"
}

# record METHOD PATH: keep the last response (headers and body files).
record() {
	local n
	[ -f "$(samples_file)" ] || : >"$(samples_file)"
	n=$(($(wc -l <"$(samples_file)") + 1))
	cp "$hdrs" "$BATS_TEST_TMPDIR/$n.head"
	cp "$IOT_TMP/last.body" "$BATS_TEST_TMPDIR/$n.body"
	jq -cn --arg m "$1" --arg p "${2%%\?*}" --arg h "$BATS_TEST_TMPDIR/$n.head" \
		--arg b "$BATS_TEST_TMPDIR/$n.body" '{method:$m,path:$p,head:$h,body:$b}' >>"$(samples_file)"
}

rcall() {
	call "$@"
	# curl -I (HEAD) writes the headers where the body would go.
	if [ "$1" = HEAD ]; then : >"$IOT_TMP/last.body"; fi
	record "$1" "$2"
}

cgi_call() {
	local method="$1" uri="$2"
	shift 2
	local out="$IOT_TMP/cgi.out"
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$method" REQUEST_URI="$uri" \
		SWAGGER_UI_DIR="$TOOLS/swagger-ui-dist" METRICS_FILE="$IOT_TMP/cgi.metrics" "$@" \
		"$IOTCONFIG_BIN" >"$out" 2>>"$IOT_TMP/cgi.log"
	hdrs="$IOT_TMP/last.headers"
	# The header block ends at the first empty line (CRLF CRLF).
	sed '/^\r$/q' "$out" >"$hdrs"
	sed '1,/^\r$/d' "$out" >"$IOT_TMP/last.body"
	body="$(cat "$IOT_TMP/last.body")"
	code="$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$hdrs" | head -1)"
	record "$method" "$uri"
}

validate_recorded() {
	run node "$CHECK" validate "$DOC" "$(samples_file)" "$BATS_TEST_TMPDIR/codes"
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/codes" >>"$BATS_FILE_TMPDIR/codes"
}
