#!/usr/bin/env bats
# tests/deploy/smoke.bats: every route once, and one error of each, through
# the web server named by SMOKE_SERVER (see servers.bash: lighttpd-fastcgi,
# lighttpd-cgi, apache-fcgid, apache-cgid). `make test` runs it under each.
# It checks what differs between servers: that the path, the headers
# (If-Match, If-None-Match, Origin, X-Request-ID), the body and the
# settings reach the responder, that status lines and headers come back
# as sent, and that the metrics of separate processes add up.

load servers

setup_file() {
	export SMOKE_SERVER="${SMOKE_SERVER:-lighttpd-fastcgi}"
	local sw
	sw="$(deploy_tmpdir)/swagger-ui"
	mkdir -p "$sw"
	printf '/* swagger-ui-bundle stand-in */\n' >"$sw/swagger-ui-bundle.js"
	printf 'body { margin: 0 }\n' >"$sw/swagger-ui.css"
	server_start_file "$SMOKE_SERVER" CORS_ORIGINS=http://ui.example DEBUG=true \
		MAX_BODY_BYTES=4096 SWAGGER_UI_DIR="$sw"
	export SWAGGER_STUB="$sw"
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
	deploy_cleanup_dirs
}

@test "health answers 200 healthy; PUT on it is 405 with Allow" {
	call GET /api/health
	assert_code 200
	[ "$body" = '{"status":"healthy"}' ]
	[ "$(header Content-Type)" = application/json ]
	call PUT /api/health -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 405 METHOD_NOT_ALLOWED
	[ "$(header Allow)" = "GET, HEAD, OPTIONS" ]
}

@test "wrapped PUT stores the content pretty-printed and answers the GET shape; a non-JSON Content-Type is 415" {
	put_json AA:BB:CC:00:00:01 '{"content":{"deviceName":"Kitchen","enableOTA":true,"url":"http://x/y"}}'
	assert_code 200
	assert_json . '{"mac_address":"aa-bb-cc-00-00-01","device_name":"Kitchen","device_entity_id":null,"enable_ota":true,"content":{"deviceName":"Kitchen","enableOTA":true,"url":"http://x/y"}}'
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-00-01.json")" = '{
  "deviceName": "Kitchen",
  "enableOTA": true,
  "url": "http://x/y"
}' ]
	call PUT /api/configs/aa-bb-cc-00-00-02 -H 'Content-Type: text/plain' --data-binary '{"content":{}}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-02.json" ]
}

@test "wrapped GET returns the content and an ETag; a malformed MAC is 400 INVALID_OPERATION" {
	put_json aa-bb-cc-00-00-03 '{"content":{"deviceName":"Hall","n":[1,2.5]}}'
	etag="$(header ETag)"
	call GET /api/configs/AA:BB:CC:00:00:03
	assert_code 200
	assert_json .content '{"deviceName":"Hall","n":[1,2.5]}'
	[ "$(header ETag)" = "$etag" ]
	[[ "$etag" =~ ^\"[0-9a-f]{32}\"$ ]]
	call GET /api/configs/aa:bb:cc:00:00
	assert_error 400 INVALID_OPERATION
	assert_json .error "\"Cannot get config because MAC address 'aa:bb:cc:00:00' has invalid format\""
}

@test "list is sorted by MAC with a count; POST on it is 405" {
	put_json aa-bb-cc-00-00-05 '{"content":{"deviceName":"five","deviceEntityId":"e.5"}}'
	put_json aa-bb-cc-00-00-04 '{"content":{"deviceName":"four"}}'
	call GET /api/configs
	assert_code 200
	expected="$(cd "$CONFIG_DIR" && ls -- *.json | sed 's/\.json$//' | sort | jq -R . | jq -sc .)"
	assert_json '[.configs[].mac_address]' "$expected"
	assert_json .count "$(ls "$CONFIG_DIR"/*.json | wc -l)"
	assert_json '.configs[] | select(.mac_address == "aa-bb-cc-00-00-05") | del(.saved_at)' '{"mac_address":"aa-bb-cc-00-00-05","device_name":"five","device_entity_id":"e.5","enable_ota":null,"schema":null,"schema_errors":0}'
	call POST /api/configs -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 405 METHOD_NOT_ALLOWED
	[ "$(header Allow)" = "GET, HEAD, OPTIONS" ]
}

@test "raw PUT stores the body byte for byte; a body that is not JSON is 400 VALIDATION_FAILED" {
	printf '{ "deviceName" : "raw",\n\t"f": 1.50 }' >"$IOT_TMP/raw.json"
	call PUT /api/configs/aa-bb-cc-00-00-06.json -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/raw.json"
	assert_code 200
	assert_json .device_name '"raw"'
	cmp "$IOT_TMP/raw.json" "$CONFIG_DIR/aa-bb-cc-00-00-06.json"
	call PUT /api/configs/aa-bb-cc-00-00-07.json -H 'Content-Type: application/json' --data-binary '{"x":'
	assert_error 400 VALIDATION_FAILED
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-07.json" ]
}

@test "a chunked PUT (no Content-Length) stores the whole body; a chunked body over the limit is 413" {
	printf '{"deviceName":"chunked","pad":"%s"}' "$(head -c 3000 /dev/zero | tr '\0' c)" >"$IOT_TMP/chunked.json"
	call PUT /api/configs/aa-bb-cc-00-00-0c.json -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$IOT_TMP/chunked.json"
	assert_code 200
	assert_json .device_name '"chunked"'
	cmp "$IOT_TMP/chunked.json" "$CONFIG_DIR/aa-bb-cc-00-00-0c.json"
	head -c 10000 /dev/zero | tr '\0' ' ' >"$IOT_TMP/chunked-big.json"
	call PUT /api/configs/aa-bb-cc-00-00-0d.json -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$IOT_TMP/chunked-big.json"
	assert_error 413 PAYLOAD_TOO_LARGE
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-0d.json" ]
}

@test "raw GET returns the exact bytes with ETag and Last-Modified, HEAD the same headers, 304 on If-None-Match; a missing config is 404" {
	printf '{"deviceName":"dev","enableOTA":false}\n' >"$IOT_TMP/dev.json"
	call PUT /api/configs/aa-bb-cc-00-00-08.json -H 'Content-Type:' --data-binary @"$IOT_TMP/dev.json"
	assert_code 200
	backdate "$CONFIG_DIR/aa-bb-cc-00-00-08.json" # Last-Modified is sent once its second is over
	call GET /api/configs/aa-bb-cc-00-00-08.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IOT_TMP/dev.json"
	etag="$(header ETag)"
	[ -n "$etag" ]
	[ -n "$(header Last-Modified)" ]
	# HEAD: the same headers (curl --head reads no body after them).
	code="$(curl -s --head -o /dev/null -D "$hdrs" -w '%{http_code}' "$BASE_URL/api/configs/aa-bb-cc-00-00-08.json")"
	assert_code 200
	[ "$(header ETag)" = "$etag" ]
	: >"$IOT_TMP/last.body" # curl leaves the file alone when there is no body
	call GET /api/configs/aa-bb-cc-00-00-08.json -H "If-None-Match: $etag"
	assert_code 304
	[ ! -s "$IOT_TMP/last.body" ]
	call GET /api/configs/aa-bb-cc-00-00-09.json
	assert_error 404 RECORD_NOT_FOUND
}

@test "the legacy device path serves the stored bytes; a bad MAC there is 400" {
	printf '{"deviceName":"legacy"}' >"$IOT_TMP/legacy.json"
	cp "$IOT_TMP/legacy.json" "$CONFIG_DIR/aa-bb-cc-00-00-0a.json"
	call GET /esp32/config/AA:BB:CC:00:00:0A.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IOT_TMP/legacy.json"
	[ "$(header Content-Type)" = application/json ]
	call GET /esp32/config/not-a-mac.json
	assert_error 400 INVALID_OPERATION
}

@test "a device fetch is noted with the client's address and User-Agent, and listed in /api/fetches" {
	printf '{"deviceName":"noted"}' >"$CONFIG_DIR/aa-bb-cc-00-00-0b.json"
	call GET /esp32/config/aa-bb-cc-00-00-0b.json -A 'ESP32HTTPClient'
	assert_code 200
	# Noted just after the answer has left.
	wait_for test -f "$CONFIG_DIR/.fetches/aa-bb-cc-00-00-0b"
	call GET /api/configs/aa-bb-cc-00-00-0b/fetch
	assert_code 200
	assert_json '[.etag, .current, .remote_addr, .user_agent]' \
		"[\"\\\"$(sha256sum "$CONFIG_DIR/aa-bb-cc-00-00-0b.json" | cut -c1-32)\\\"\",true,\"127.0.0.1\",\"ESP32HTTPClient\"]"
	[ -f "$CONFIG_DIR/.fetches/aa-bb-cc-00-00-0b" ]
	call GET /api/fetches
	assert_code 200
	assert_json '[.fetches[] | select(.mac_address == "aa-bb-cc-00-00-0b") | .user_agent]' '["ESP32HTTPClient"]'
}

@test "If-Match: the current ETag writes, a stale one is 412 and keeps the file" {
	put_json aa-bb-cc-00-00-0b '{"content":{"v":1}}'
	old="$(header ETag)"
	put_json aa-bb-cc-00-00-0b '{"content":{"v":2}}' -H "If-Match: $old"
	assert_code 200
	new="$(header ETag)"
	[ "$new" != "$old" ]
	put_json aa-bb-cc-00-00-0b '{"content":{"v":3}}' -H "If-Match: $old"
	assert_error 412 PRECONDITION_FAILED
	[ "$(jq -c . "$CONFIG_DIR/aa-bb-cc-00-00-0b.json")" = '{"v":2}' ]
}

@test "DELETE answers 204 and removes the file, wrapped and raw; again it is 404" {
	put_json aa-bb-cc-00-00-0c '{"content":{}}'
	put_json aa-bb-cc-00-00-0d '{"content":{}}'
	call DELETE /api/configs/aa:bb:cc:00:00:0c
	assert_code 204
	[ -z "$body" ]
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-0c.json" ]
	call DELETE /api/configs/aa-bb-cc-00-00-0d.json
	assert_code 204
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-0d.json" ]
	call DELETE /api/configs/aa-bb-cc-00-00-0c
	assert_error 404 RECORD_NOT_FOUND
}

@test "a body over MAX_BODY_BYTES is 413 and stores nothing, also one far above it" {
	local size
	for size in 5000 3000000; do
		head -c $size /dev/zero | tr '\0' a | sed 's/^/{"content":{"s":"/; s/$/"}}/' >"$IOT_TMP/big.json"
		call PUT /api/configs/aa-bb-cc-00-00-0e -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/big.json"
		assert_error 413 PAYLOAD_TOO_LARGE
		[[ "$(printf '%s' "$body" | jq -r .details.message)" == *"is $(stat -c %s "$IOT_TMP/big.json") bytes; the limit is 4096 bytes"* ]]
	done
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-0e.json" ]
}

@test "an unknown path under /api is a JSON 404" {
	call GET /api/nothing/here
	assert_error 404 NOT_FOUND
}

@test "CORS: a preflight from an allowed origin is 204 with Allow and the CORS headers; other origins get none" {
	call OPTIONS /api/configs/aa-bb-cc-00-00-01 -H 'Origin: http://ui.example' -H 'Access-Control-Request-Method: PUT'
	assert_code 204
	[ "$(header Allow)" = "GET, HEAD, PUT, DELETE, PATCH, OPTIONS" ]
	[ "$(header Access-Control-Allow-Origin)" = http://ui.example ]
	[[ "$(header Access-Control-Allow-Methods)" == *PUT* ]]
	call GET /api/health -H 'Origin: http://other.example'
	assert_code 200
	[ -z "$(header Access-Control-Allow-Origin)" ]
}

@test "X-Request-ID is echoed and starts the responder's log line of the write" {
	put_json aa-bb-cc-00-00-0f '{"content":{}}' -H 'X-Request-ID: smoke-req-15'
	assert_code 200
	[ "$(header X-Request-ID)" = smoke-req-15 ]
	wait_for grep -q 'smoke-req-15 config saved mac=aa-bb-cc-00-00-0f' "$SERVER_LOG"
	call GET /api/configs/bad -H 'X-Request-ID: smoke-req-16'
	assert_json .correlationId '"smoke-req-16"'
}

@test "metrics count each request once, and every process reports the same totals" {
	key='iot_config_http_requests_total{method="GET",route="/api/health",code="200"}'
	ops='iot_config_operations_total{operation="get_raw",status="success"}'
	before="$(metric "$key")"
	ops_before="$(metric "$ops")"
	printf '{"n":1}' >"$CONFIG_DIR/aa-bb-cc-00-00-10.json"
	local i
	for i in $(seq 1 12); do
		curl -sf -o /dev/null "$BASE_URL/api/health"
		curl -sf -o /dev/null "$BASE_URL/esp32/config/aa-bb-cc-00-00-10.json"
	done
	# Under CGI a request is counted as its process ends, which can be just
	# after curl has the whole answer: scrape until the counts are in
	# (bounded). A count above the number of requests never passes.
	wait_for scrapes_agree "$key" $((before + 12)) "$ops" $((ops_before + 12)) ||
		{ cat "$IOT_TMP/scrape.why" >&2; false; }
	grep -q '^iot_config_build_info{version="' "$IOT_TMP/scrape.1"
}

# scrapes_agree KEY WANT OPS OPS_WANT: six scrapes in parallel, which land on
# different processes (under CGI each is one), all show both values.
scrapes_agree() {
	local i got
	local -a jobs=()
	for i in $(seq 1 6); do
		curl -s -o "$IOT_TMP/scrape.$i" "$BASE_URL/metrics" &
		jobs+=($!)
	done
	wait "${jobs[@]}"
	for i in $(seq 1 6); do
		got="$(awk -v k="$1" '$1 == k { print $2 }' "$IOT_TMP/scrape.$i")"
		[ "$got" = "$2" ] || { echo "scrape $i: $1 = $got, want $2" >"$IOT_TMP/scrape.why"; return 1; }
		got="$(awk -v k="$3" '$1 == k { print $2 }' "$IOT_TMP/scrape.$i")"
		[ "$got" = "$4" ] || { echo "scrape $i: $3 = $got, want $4" >"$IOT_TMP/scrape.why"; return 1; }
	done
}

@test "docs: /api/docs redirects to the Swagger UI, the OpenAPI document is the shipped one, assets come from SWAGGER_UI_DIR; an unknown asset is 404" {
	call GET /api/docs
	assert_code 302
	[ "$(header Location)" = /api/docs/swagger/ ]
	call GET /api/docs/openapi.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IOT_ROOT/conf/openapi.json"
	call GET /api/docs/swagger/
	assert_code 200
	[[ "$(header Content-Type)" == text/html* ]]
	[[ "$body" == *'src="swagger-ui-bundle.js"'* ]]
	call GET /api/docs/swagger/swagger-ui-bundle.js
	assert_code 200
	cmp "$IOT_TMP/last.body" "$SWAGGER_STUB/swagger-ui-bundle.js"
	call GET /api/docs/swagger/other.js
	assert_error 404 NOT_FOUND
}

@test "web page: / and /ui redirect to /ui/, which names its files under one version; they are the files of web/, cached for a year" {
	local p
	for p in / /ui; do
		call GET "$p"
		assert_code 302
		[ "$(header Location)" = /ui/ ]
	done
	call GET /ui/
	assert_code 200
	[[ "$(header Content-Type)" == text/html* ]]
	[ "$(header Cache-Control)" = no-cache ]
	[[ "$(header Content-Security-Policy)" == "default-src 'self'; style-src 'self' 'nonce-"* ]]
	grep -q '<meta name="csp-nonce" content="" nonce="[0-9a-f]\{32\}">' "$IOT_TMP/last.body"
	local v
	v="$(grep -o 'src="[0-9a-f]\{16\}/app.js"' "$IOT_TMP/last.body" | cut -c6-21)"
	[ -n "$v" ]
	grep -qF "href=\"$v/app.css\"" "$IOT_TMP/last.body"
	# The page's own files, and the editor bundled from the pinned npm
	# packages (the same bytes wherever it was built).
	local f n=0
	for f in "$IOT_ROOT"/web/*.js "$IOT_ROOT"/web/*.css "$IOT_ROOT"/build/web/codemirror.js; do
		[ -f "$f" ] || continue
		call GET "/ui/$v/${f##*/}"
		assert_code 200
		cmp "$IOT_TMP/last.body" "$f"
		[ "$(header Cache-Control)" = 'public, max-age=31536000, immutable' ]
		n=$((n + 1))
	done
	[ "$n" -ge 9 ]
	call GET /ui/0000000000000000/app.js
	assert_code 200
	[ "$(header Cache-Control)" = no-cache ]
	[[ "$(header Content-Type)" == text/javascript* ]]
	call GET "/ui/$v/other.js"
	assert_error 404 NOT_FOUND
}
