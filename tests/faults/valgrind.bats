#!/usr/bin/env bats
# tests/faults/valgrind.bats: the release responder under valgrind's
# memcheck. lighttpd spawns it through a wrapper that runs it under
# valgrind, a few thousand mixed requests go through (every route, every
# outcome), then lighttpd stops it; each responder's log must show no
# memory error and nothing definitely or indirectly lost. A responder idle
# at SIGTERM leaves with _exit (see src/main.c), so a second test runs
# requests in CGI mode, where the process returns from main, to check the
# normal exit path frees everything too.
#
# VALGRIND_ROUNDS (default 250) rounds of about 12 requests each.

load ../e2e/helpers
load helpers

VG_OPTS=(--tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30)

setup() {
	SW="$BATS_TEST_TMPDIR/swagger"
	mkdir -p "$SW"
	printf '/* bundle */\n' >"$SW/swagger-ui-bundle.js"
	printf '/* css */\n' >"$SW/swagger-ui.css"
}

teardown() {
	iot_cleanup_extra
}

# The checks on one valgrind log: no error, no definite or indirect leak.
assert_clean_log() {
	local log="$1"
	grep -q 'ERROR SUMMARY: 0 errors' "$log" || { cat "$log" >&2; return 1; }
	if grep -qE '(definitely|indirectly) lost: [1-9]' "$log"; then
		cat "$log" >&2
		return 1
	fi
	grep -qE 'definitely lost: 0 bytes|All heap blocks were freed' "$log" || { cat "$log" >&2; return 1; }
}

# request METHOD PATH EXPECTED [curl config lines...]: one request for the
# list of client $CLIENT.
request() {
	local method="$1" path="$2" expected="$3"
	shift 3
	cfg_request "$VG/requests.$CLIENT.cfg" "$VG/expected.$CLIENT" "$expected" "$method" "$BASE_URL$path" "$@"
}

@test "a few thousand mixed requests under valgrind memcheck: no memory error, no leak" {
	local rounds="${VALGRIND_ROUNDS:-250}"
	VG="$BATS_TEST_TMPDIR/vg"
	mkdir -p "$VG"
	cat >"$VG/wrapper" <<EOF
#!/bin/sh
exec valgrind ${VG_OPTS[*]} --log-file=$VG/memcheck.%p.log $IOTCONFIG_BIN
EOF
	chmod 755 "$VG/wrapper"
	iot_start PROCS=2 CORS_ORIGINS='["http://ui.example"]' SWAGGER_UI_DIR="$SW" IOTCONFIG_BIN="$VG/wrapper"

	# Bodies.
	local J='header = "Content-Type: application/json"'
	printf '{"content":{"a":1,"a":2}}' >"$VG/dup.json"
	printf '{"content":{"s":"\xc3\x28"}}' >"$VG/utf8.json"
	printf '{"content":%s1%s}' "$(printf '{"a":%.0s' $(seq 1 40))" "$(printf '}%.0s' $(seq 1 40))" >"$VG/deep.json"
	printf '{"content":{"n":18446744073709551616}}' >"$VG/big-int.json"
	{ printf '{"content":{"s":"'; head -c 1200000 /dev/zero | tr '\0' a; printf '"}}'; } >"$VG/too-large.json"
	local bad=(dup utf8 deep big-int)

	# Two clients at once, so both responders work; odd and even rounds use
	# different MACs, so each client's answers are deterministic.
	local i mac body
	for i in $(seq 1 "$rounds"); do
		CLIENT=$((i % 2))
		mac="$(printf 'ab-ab-ab-ab-00-%02x' $((i % 50)))"
		body="$VG/put.$((i % 7))"
		[ -f "$body" ] || printf '{"content":{"deviceName":"vg-%d","deviceEntityId":"sensor.vg","enableOTA":true,"list":[1,2.5,"x",null,{"k":"%s"}]}}' \
			"$i" "$(head -c $((i % 7 * 3000)) /dev/zero | tr '\0' v)" >"$body"
		request PUT "/api/configs/$mac" 200 "$J" "data-binary = \"@$body\"" 'header = "X-Request-ID: vg-put-'"$i"'"'
		request GET "/api/configs/$mac" 200
		request GET "/api/configs/$mac.json" 200
		request GET "/esp32/config/$mac.json" 304 'header = "If-None-Match: *"'
		request HEAD "/api/configs/$mac.json" 200
		request PUT "/api/configs/$mac.json" 200 "$J" "data-binary = \"{\\\"deviceName\\\":\\\"raw-$i\\\"}\""
		request GET "/api/configs/$mac/history" 200
		request GET "/api/configs/$mac/history/0000000001-0123abcd" 404
		request GET /api/configs 200
		request PUT "/api/configs/$mac" 412 "$J" 'header = "If-Match: \"stale\""' 'data-binary = "{\"content\":{}}"'
		request PUT "/api/configs/$mac" 409 "$J" 'data-binary = "{\"content\":{},\"allow_overwrite\":false}"'
		request GET "/api/configs/not-a-mac-$i" 400
		request PUT "/api/configs/$mac" 400 "$J" "data-binary = \"@$VG/${bad[i % 4]}.json\""
		case $((i % 10)) in
		0) request GET /metrics 200 ;;
		1) request OPTIONS "/api/configs/$mac" 204 'header = "Origin: http://ui.example"' 'header = "Access-Control-Request-Method: PUT"' ;;
		2) request GET /api/docs/openapi.json 200 ;;
		3) request GET /api/docs 302 ;;
		4) request GET /api/docs/swagger/swagger-ui.css 200 ;;
		5) request GET /api/docs/swagger/ 200 ;;
		6) request GET /nope 404 ;;
		7) request POST /api/configs 405 "$J" 'data-binary = "{}"' ;;
		8) request PUT "/api/configs/$mac" 415 'header = "Content-Type: text/plain"' 'data-binary = "{}"' ;;
		9) request GET /api/health 200 'header = "X-Request-ID: bad id with spaces"' ;;
		esac
		if [ $((i % 5)) -eq 0 ]; then
			request DELETE "/api/configs/$mac" 204
			request GET "/api/configs/$mac" 404
		fi
		if [ $((i % 25)) -eq 0 ]; then
			request PUT "/api/configs/$mac" 413 "$J" "data-binary = \"@$VG/too-large.json\""
		fi
	done

	local ids c total=0 clients=()
	ids="$(responder_ids)"
	[ -n "$ids" ]
	for c in 0 1; do
		cfg_finish "$VG/requests.$c.cfg"
		curl -s -K "$VG/requests.$c.cfg" >"$VG/got.$c" 3>&- &
		clients+=($!)
	done
	wait "${clients[@]}"
	for c in 0 1; do
		total=$((total + $(wc -l <"$VG/expected.$c")))
		if ! diff "$VG/expected.$c" "$VG/got.$c" >"$VG/diff"; then
			head -20 "$VG/diff" >&2
			return 1
		fi
	done
	# The same processes served everything: none crashed or was restarted.
	[ "$(responder_ids)" = "$ids" ]

	# lighttpd stops the responders with SIGTERM; valgrind then writes its
	# summary. Wait for them (bounded), then check every log.
	proc_signal TERM "$LIGHTTPD_ID"
	proc_wait_gone 60 $ids || { echo "responders still running 60 s after the stop" >&2; return 1; }
	local id p
	for id in $ids; do
		p="${id%%:*}"
		assert_clean_log "$VG/memcheck.$p.log"
		# It did serve requests (json-c allocates on each).
		[ "$(grep -o 'total heap usage: [0-9,]*' "$VG/memcheck.$p.log" | tr -dc 0-9)" -gt 1000 ]
	done
	echo "# valgrind: $total requests over $(echo "$ids" | wc -w) responders, 0 errors, 0 bytes definitely or indirectly lost" >&3
}

# cgi METHOD URI [BODY-FILE]: one request in CGI mode under valgrind; sets
# $cgi_out and fails unless valgrind is clean.
cgi() {
	local method="$1" uri="$2" body="${3:-/dev/null}" log="$BATS_TEST_TMPDIR/cgi.$RANDOM.log"
	local len
	len="$(stat -c %s "$body")"
	cgi_out="$(env -i PATH="$PATH" REQUEST_METHOD="$method" REQUEST_URI="$uri" CONTENT_TYPE=application/json \
		CONTENT_LENGTH="$len" ESP32_CONFIGS_DIR="$BATS_TEST_TMPDIR/configs" CORS_ORIGINS='["http://ui.example"]' \
		HTTP_ORIGIN=http://ui.example SWAGGER_UI_DIR="$SW" METRICS_FILE="$BATS_TEST_TMPDIR/metrics" \
		valgrind "${VG_OPTS[@]}" --log-file="$log" "$IOTCONFIG_BIN" <"$body" 2>/dev/null)" ||
		{ cat "$log" >&2; return 1; }
	assert_clean_log "$log"
}

@test "CGI mode under valgrind: every request exits normally with all memory accounted for" {
	mkdir -p "$BATS_TEST_TMPDIR/configs"
	printf '{"content":{"deviceName":"cgi","list":[1,{"a":null}]}}' >"$BATS_TEST_TMPDIR/put.json"
	printf '{"content":{"a":1,"a":2}}' >"$BATS_TEST_TMPDIR/dup.json"
	cgi PUT /api/configs/ab-ab-ab-ab-01-01 "$BATS_TEST_TMPDIR/put.json"
	[[ "$cgi_out" == "Status: 200 OK"* ]]
	cgi GET /api/configs/ab-ab-ab-ab-01-01
	[[ "$cgi_out" == *'"deviceName":"cgi"'* ]]
	cgi GET /api/configs/ab-ab-ab-ab-01-01.json
	[[ "$cgi_out" == "Status: 200 OK"* ]]
	cgi GET /api/configs
	[[ "$cgi_out" == *'"count":1'* ]]
	cgi PUT /api/configs/ab-ab-ab-ab-01-01 "$BATS_TEST_TMPDIR/dup.json"
	[[ "$cgi_out" == "Status: 400 Bad Request"* ]]
	cgi PUT /api/configs/ab-ab-ab-ab-01-01.json "$BATS_TEST_TMPDIR/put.json"
	[[ "$cgi_out" == "Status: 200 OK"* ]]
	cgi GET /api/configs/ab-ab-ab-ab-01-01/history
	[[ "$cgi_out" == *'"count":1}'* ]]
	local rev
	rev="$(grep -o '"revision":"[0-9a-f-]*"' <<<"$cgi_out" | cut -d'"' -f4)"
	cgi GET "/api/configs/ab-ab-ab-ab-01-01/history/$rev"
	[[ "$cgi_out" == *'"deviceName": "cgi"'* ]]
	cgi POST "/api/configs/ab-ab-ab-ab-01-01/history/$rev/restore"
	[[ "$cgi_out" == "Status: 200 OK"* ]]
	cgi GET /metrics
	[[ "$cgi_out" == "Status: 200 OK"* ]]
	cgi OPTIONS /api/configs
	[[ "$cgi_out" == "Status: 204 No Content"* ]]
	cgi GET /api/docs/swagger/swagger-ui.css
	[[ "$cgi_out" == "Status: 200 OK"* ]]
	cgi DELETE /api/configs/ab-ab-ab-ab-01-01
	[[ "$cgi_out" == "Status: 204 No Content"* ]]
	cgi GET /nope
	[[ "$cgi_out" == "Status: 404 Not Found"* ]]
}
