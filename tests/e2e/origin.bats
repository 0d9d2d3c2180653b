#!/usr/bin/env bats
# tests/e2e/origin.bats: where a request comes from and where it was sent.
# Every method but GET, HEAD and OPTIONS, on every route, must come from
# the service's own origin or one in CORS_ORIGINS, as told by
# Sec-Fetch-Site, else Origin, else Referer (403 ORIGIN_NOT_ALLOWED, nothing
# changed); clients that send none (curl, scripts) go on; a POST must be
# application/json, which no HTML form sends (415). Host must be one of
# ALLOWED_HOSTS (421 HOST_NOT_ALLOWED). Every answer says nosniff and
# forbids framing; a raw control byte in the path is refused before any
# route. The browser side of the same (Chromium, two plain-http origins)
# is tests/web/csrf.bats.

load helpers

setup_file() {
	iot_start_file ALLOWED_HOSTS='localhost,127.0.0.1,iot.test' CORS_ORIGINS='http://ui.example:3000'
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# seed MAC: two versions; REV names the older one, FILE the config, BEFORE its bytes.
seed() {
	MAC="$1" FILE="$CONFIG_DIR/$1.json"
	put_json "$MAC" '{"content":{"v":1}}'
	assert_code 200
	put_json "$MAC" '{"content":{"v":2}}'
	assert_code 200
	call GET "/api/configs/$MAC/history"
	REV="$(jq -r '.revisions[0].revision' <<<"$body")"
	BEFORE="$(cat "$FILE")"
}

# refused ARGS...: every write from the headers ARGS answers 403
# ORIGIN_NOT_ALLOWED, and the config and its history stay as they were.
refused() {
	local n
	n="$(ls "$CONFIG_DIR/.history/$MAC" | wc -l)"
	call PUT "/api/configs/$MAC" -H 'Content-Type: application/json' --data-binary '{"content":{"v":"evil"}}' "$@"
	assert_error 403 ORIGIN_NOT_ALLOWED
	call PUT "/api/configs/$MAC.json" -H 'Content-Type: application/json' --data-binary '{"v":"evil"}' "$@"
	assert_error 403 ORIGIN_NOT_ALLOWED
	call POST "/api/configs/$MAC/history/$REV/restore" -H 'Content-Type: application/json' --data-binary '' "$@"
	assert_error 403 ORIGIN_NOT_ALLOWED
	call DELETE "/api/configs/$MAC" "$@"
	assert_error 403 ORIGIN_NOT_ALLOWED
	# A method no route answers is refused the same way (whatever is added later).
	call PATCH "/api/configs/$MAC" "$@"
	[ "$code" = 403 ] || [ "$code" = 405 ]
	[ "$(cat "$FILE")" = "$BEFORE" ]
	[ "$(ls "$CONFIG_DIR/.history/$MAC" | wc -l)" = "$n" ]
}

@test "a change from another origin is refused, whether Sec-Fetch-Site, Origin or Referer says so, and changes nothing" {
	seed aa-bb-cc-00-22-01
	refused -H 'Origin: http://evil.test'
	refused -H "Origin: http://evil.test:$IOT_PORT"
	refused -H 'Origin: null'
	refused -H "Origin: https://127.0.0.1:$IOT_PORT.evil.test"
	refused -H 'Referer: http://evil.test/page.html'
	refused -H "Referer: http://127.0.0.1:$((IOT_PORT + 1))/"
	refused -H 'Sec-Fetch-Site: cross-site'
	refused -H 'Sec-Fetch-Site: same-site' -H "Origin: http://localhost:$IOT_PORT"
	refused -H 'Sec-Fetch-Site: cross-site' -H "Origin: http://127.0.0.1:$IOT_PORT"
	# Origin wins over Referer.
	refused -H 'Origin: http://evil.test' -H "Referer: http://127.0.0.1:$IOT_PORT/ui/"
	call PUT "/api/configs/$MAC" -H 'Content-Type: application/json' --data-binary '{"content":{}}' -H 'Origin: http://evil.test'
	assert_json .details.message "\"'http://evil.test' (Origin) is neither this service's origin nor listed in CORS_ORIGINS; changes are accepted from those only\""
}

@test "a change from the service's own origin, a listed one, or a client that names none (curl) is made" {
	seed aa-bb-cc-00-22-02
	local h
	for h in "Origin: http://127.0.0.1:$IOT_PORT" "Referer: http://127.0.0.1:$IOT_PORT/ui/" \
		"Sec-Fetch-Site: same-origin" "Origin: http://ui.example:3000" "X-None: curl"; do
		put_json "$MAC" "{\"content\":{\"from\":\"$h\"}}" -H "$h"
		assert_code 200
		[ "$(jq -r .from "$FILE")" = "$h" ]
	done
	# Host names compare without case.
	put_json "$MAC" '{"content":{"from":"LOCALHOST"}}' -H "Host: localhost:$IOT_PORT" -H "Origin: http://LOCALHOST:$IOT_PORT"
	assert_code 200
	# Sec-Fetch-Site from another site, with a listed Origin (a CORS client).
	put_json "$MAC" '{"content":{"from":"cors"}}' -H 'Sec-Fetch-Site: cross-site' -H 'Origin: http://ui.example:3000'
	assert_code 200
	call POST "/api/configs/$MAC/history/$REV/restore" -H 'Content-Type: application/json' -H "Origin: http://127.0.0.1:$IOT_PORT" --data-binary ''
	assert_code 200
	call DELETE "/api/configs/$MAC" -H "Referer: http://127.0.0.1:$IOT_PORT/ui/"
	assert_code 204
	[ ! -e "$FILE" ]
	# Reads need no origin at all.
	call GET /api/configs -H 'Origin: http://evil.test' -H 'Sec-Fetch-Site: cross-site'
	assert_code 200
}

@test "a POST a form could send (no JSON type: none, text/plain, form, multipart, an archive) is refused with 415 from any origin; JSON with no body restores" {
	seed aa-bb-cc-00-22-03
	local ct
	# An archive type is an import's, and no other route's.
	for ct in '' 'text/plain' 'application/x-www-form-urlencoded' 'multipart/form-data; boundary=x' \
		'application/gzip' 'application/x-tar'; do
		call POST "/api/configs/$MAC/history/$REV/restore" ${ct:+-H "Content-Type: $ct"} -H 'Content-Length: 0'
		assert_error 415 UNSUPPORTED_MEDIA_TYPE
		call POST "/api/configs/$MAC/history/$REV/restore" ${ct:+-H "Content-Type: $ct"} --data-binary 'allow_overwrite=true' -H "Origin: http://127.0.0.1:$IOT_PORT"
		assert_error 415 UNSUPPORTED_MEDIA_TYPE
		[ "$(cat "$FILE")" = "$BEFORE" ]
	done
	# The README's curl line.
	call POST "/api/configs/$MAC/history/$REV/restore" -H 'Content-Type: application/json' --data ''
	assert_code 200
	[ "$(jq -c . "$FILE")" = '{"v":1}' ]
}

@test "a Host not in ALLOWED_HOSTS gets 421 on every route, reads included; the listed names answer" {
	printf '{"wifi":"hunter2"}' >"$CONFIG_DIR/aa-bb-cc-00-22-04.json"
	local p
	for p in /api/configs /api/configs/aa-bb-cc-00-22-04 /api/configs/aa-bb-cc-00-22-04.json /metrics /ui/ /api/health /nope; do
		call GET "$p" -H "Host: rebound.example:$IOT_PORT"
		assert_error 421 HOST_NOT_ALLOWED
		[[ "$body" != *hunter2* && "$body" != *aa-bb-cc-00-22-04* ]]
	done
	call OPTIONS /api/configs -H 'Host: rebound.example'
	assert_error 421 HOST_NOT_ALLOWED
	for h in "localhost:$IOT_PORT" "127.0.0.1:$IOT_PORT" "IOT.test:$IOT_PORT" "iot.test." "localhost"; do
		call GET /api/configs/aa-bb-cc-00-22-04.json -H "Host: $h"
		assert_code 200
	done
}

@test "every answer says nosniff and forbids framing; the page and Swagger UI may not be framed" {
	local p
	for p in /api/health /api/configs /nope /api/configs/bad /ui/ /api/docs/swagger/ /metrics; do
		call GET "$p"
		[ "$(grep -ci '^X-Content-Type-Options: nosniff' "$hdrs")" = 1 ] || { echo "$p" >&2; cat "$hdrs" >&2; false; }
		[ "$(grep -ci '^X-Frame-Options: DENY' "$hdrs")" = 1 ] || { echo "$p" >&2; false; }
	done
	call GET /ui/
	[[ "$(header Content-Security-Policy)" == *"frame-ancestors 'none'"* ]]
	call GET /api/docs/swagger/
	assert_code 200
	[[ "$(header Content-Security-Policy)" == *"frame-ancestors 'none'"* ]]
}

@test "a raw control byte in the path is refused by the responder itself (400), before any route" {
	local c out
	for c in '\001' '\t' '\r' '\033' '\177' ' '; do
		out="$(env -i REQUEST_METHOD=GET REQUEST_URI="$(printf "/api/configs/aa-bb-cc-00-22-05${c}x.json")" \
			ESP32_CONFIGS_DIR="$CONFIG_DIR" METRICS_FILE="$IOT_TMP/cgi.metrics" "${IOTCONFIG_BIN%% *}" </dev/null 2>/dev/null)"
		[[ "$out" == "Status: 400 "* && "$out" == *'"code":"BAD_REQUEST"'* ]] || { echo "$c: $out" >&2; false; }
	done
}
