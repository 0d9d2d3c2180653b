#!/usr/bin/env bats
# tests/docs/responses.bats: real responses, successes and every error code
# the service can give, driven for real (through lighttpd, or through plain
# CGI where lighttpd would not pass the request on), each validated against
# conf/openapi.json by openapi-check.mjs with Ajv: status listed for the
# operation, headers documented and well-formed, JSON body valid against
# the response's schema (whose code enum is narrowed per status), device
# secrets and their refusals included.

load ../e2e/helpers
load ../e2e/fsfault
load ../firmware/firmware
load docs

ORIGIN=http://ui.test

setup_file() {
	require_tools
	: >"$BATS_FILE_TMPDIR/codes"
	iot_start_file CORS_ORIGINS="[\"$ORIGIN\"]" ALLOWED_HOSTS=127.0.0.1,localhost
}

teardown() {
	iot_cleanup_extra
	if [ -f "$BATS_TEST_TMPDIR/mounted" ]; then
		umount -l "$(cat "$BATS_TEST_TMPDIR/mounted")"
	fi
}

teardown_file() {
	iot_stop_file
}

# put_json (tests/e2e/helpers.bash) records its responses too.
CALL=rcall

@test "config successes validate: PUT, GET, HEAD, list, raw file, legacy path, 304, DELETE" {
	put_json AA:BB:CC:00:10:01 '{"content":{"deviceName":"Kitchen","enableOTA":true,"n":[1,{"x":null}]}}' -H "Origin: $ORIGIN"
	assert_code 200
	assert_json .mac_address '"aa-bb-cc-00-10-01"'
	etag="$(header ETag)"
	put_json aa-bb-cc-00-10-02 '{"content":{"deviceEntityId":7}}'
	assert_code 200
	assert_json '[.device_name,.device_entity_id,.enable_ota]' '[null,null,null]'
	etag2="$(header ETag)"
	rcall GET /api/configs -H "Origin: $ORIGIN"
	assert_code 200
	assert_json .count 2
	rcall HEAD /api/configs -I
	assert_code 200
	rcall GET /api/configs/aa:bb:cc:00:10:01
	assert_code 200
	assert_json .content.n '[1,{"x":null}]'
	rcall GET /api/configs/aa-bb-cc-00-10-01 -H "If-None-Match: $etag"
	assert_code 304
	backdate "$CONFIG_DIR/aa-bb-cc-00-10-01.json" # Last-Modified is sent once its second is over
	rcall GET /api/configs/aa-bb-cc-00-10-01.json -H "Origin: $ORIGIN"
	assert_code 200
	[ "$body" = "$(cat "$CONFIG_DIR/aa-bb-cc-00-10-01.json")" ]
	[ "$(header ETag)" = "$etag" ]
	rcall GET /api/configs/aa-bb-cc-00-10-01.json -H "If-Modified-Since: $(header Last-Modified)"
	assert_code 304
	rcall HEAD /esp32/config/AA-BB-CC-00-10-01.json -I
	assert_code 200
	rcall GET /esp32/config/AA-BB-CC-00-10-01.json
	assert_code 200
	call PUT /api/configs/aa-bb-cc-00-10-03.json -H 'Content-Type:' --data-binary '{"raw":true}'
	record PUT /api/configs/aa-bb-cc-00-10-03.json
	assert_code 200
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-10-03.json")" = '{"raw":true}' ]
	rcall DELETE /api/configs/aa-bb-cc-00-10-02 -H "If-Match: $etag2" -H "Origin: $ORIGIN"
	assert_code 204
	rcall DELETE /api/configs/aa-bb-cc-00-10-03.json -H "If-Match: *"
	assert_code 204
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-10-03.json" ]
	validate_recorded
}

@test "service and docs successes validate: health, metrics, redirect, document, Swagger UI files, preflight" {
	rcall GET /api/health -H "Origin: $ORIGIN"
	assert_code 200
	rcall GET /metrics
	assert_code 200
	[[ "$body" == *iot_config_operations_total* ]]
	rcall GET /api/docs
	assert_code 302
	[ "$(header Location)" = /api/docs/swagger/ ]
	rcall GET /api/docs/
	assert_code 302
	rcall GET /api/docs/openapi.json
	assert_code 200
	for asset in '' swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-initializer.js index.html favicon-32x32.png favicon-16x16.png; do
		rcall GET "/api/docs/swagger/$asset"
		assert_code 200
	done
	rcall OPTIONS /api/configs/aa-bb-cc-00-10-01 -H "Origin: $ORIGIN" -H 'Access-Control-Request-Method: PUT'
	assert_code 204
	[ "$(header Access-Control-Allow-Origin)" = "$ORIGIN" ]
	[ "$(header Access-Control-Allow-Methods)" = "GET, HEAD, PUT, DELETE, PATCH, OPTIONS" ]
	rcall OPTIONS /api/health -H 'Origin: http://other.test'
	assert_code 204
	[ -z "$(header Access-Control-Allow-Origin)" ]
	validate_recorded
}

@test "fetch notes validate: the list, one device (null ETag too), HEAD, a MAC never fetched, a bad MAC" {
	put_json aa-bb-cc-00-20-01 '{"content":{"deviceName":"Fetched"}}'
	assert_code 200
	call GET /api/configs/aa-bb-cc-00-20-01.json -A 'ESP32HTTPClient "v1"'
	assert_code 200
	call GET /esp32/config/aa-bb-cc-00-20-02.json
	assert_code 404
	# Each is noted just after its answer has left.
	wait_for test -f "$CONFIG_DIR/.fetches/aa-bb-cc-00-20-01"
	wait_for test -f "$CONFIG_DIR/.fetches/once/aa-bb-cc-00-20-02"
	rcall GET /api/fetches -H "Origin: $ORIGIN"
	assert_code 200
	assert_json '[.fetches[] | select(.mac_address | startswith("aa-bb-cc-00-20")) | [.etag == null, .current]]' '[[false,true],[true,true]]'
	rcall HEAD /api/fetches -I
	assert_code 200
	rcall GET /api/configs/AA:BB:CC:00:20:01/fetch
	assert_code 200
	assert_json .user_agent '"ESP32HTTPClient \"v1\""'
	rcall GET /api/configs/aa-bb-cc-00-20-02/fetch
	assert_json .etag null
	rcall HEAD /api/configs/aa-bb-cc-00-20-01/fetch -I
	assert_code 200
	rcall GET /api/configs/aa-bb-cc-00-20-03/fetch
	assert_error 404 RECORD_NOT_FOUND
	rcall GET /api/configs/aa-bb-cc-00-20/fetch
	assert_error 400 INVALID_OPERATION
	validate_recorded
}

@test "client errors validate: INVALID_OPERATION, VALIDATION_FAILED, RECORD_NOT_FOUND, NOT_FOUND, METHOD_NOT_ALLOWED" {
	rcall GET /api/configs/aa:bb:cc:dd:ee
	assert_error 400 INVALID_OPERATION
	rcall PUT /api/configs/zz-bb-cc-dd-ee-ff.json -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 400 INVALID_OPERATION
	rcall DELETE /esp32/config/nope.json
	assert_error 405 METHOD_NOT_ALLOWED
	deep="$(printf '{"a":%.0s' $(seq 1 32))1$(printf '}%.0s' $(seq 1 32))"
	for b in 'not json' '[1]' '{"config":{}}' '{"content":{},"allow_overwrite":"no"}' '{"content":{"a":1,"a":2}}' "{\"content\":$deep}"; do
		put_json aa-bb-cc-00-10-04 "$b"
		assert_error 400 VALIDATION_FAILED
	done
	rcall PUT /api/configs/aa-bb-cc-00-10-04.json -H 'Content-Type: application/json' --data-binary '"str"'
	assert_error 400 VALIDATION_FAILED
	rcall GET /api/configs/aa-bb-cc-00-10-04
	assert_error 404 RECORD_NOT_FOUND
	rcall DELETE /api/configs/aa-bb-cc-00-10-04.json
	assert_error 404 RECORD_NOT_FOUND
	rcall GET /esp32/config/aa-bb-cc-00-10-04.json -H "Origin: $ORIGIN"
	assert_error 404 RECORD_NOT_FOUND
	rcall GET /nope -H 'X-Request-ID: trace-404'
	assert_error 404 NOT_FOUND
	assert_json .correlationId '"trace-404"'
	rcall GET /api/docs/swagger/secret.txt
	assert_error 404 NOT_FOUND
	rcall POST /api/configs -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 405 METHOD_NOT_ALLOWED
	[ "$(header Allow)" = "GET, HEAD, OPTIONS" ]
	rcall PATCH /api/configs/aa-bb-cc-00-10-04.json -H "Origin: $ORIGIN"
	assert_error 405 METHOD_NOT_ALLOWED
	validate_recorded
}

@test "patch, search, fleet changes, export and import validate, successes and refusals" {
	put_json aa-bb-cc-00-30-01 '{"content":{"deviceName":"One","mqtt":{"port":1883}}}'
	put_json aa-bb-cc-00-30-02 '{"content":{"deviceName":"Two","mqtt":{"port":1883}}}'
	rcall PATCH /api/configs/aa-bb-cc-00-30-01 -H 'Content-Type: application/merge-patch+json' --data-binary '{"mqtt":{"tls":true}}' -H "Origin: $ORIGIN"
	assert_code 200
	rcall PATCH /api/configs/aa-bb-cc-00-30-01 -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	rcall PATCH /api/configs/aa-bb-cc-00-30-09 -H 'Content-Type: application/merge-patch+json' --data-binary '{}'
	assert_error 404 RECORD_NOT_FOUND
	rcall PATCH /api/configs/aa-bb-cc-00-30-01 -H 'Content-Type: application/merge-patch+json' --data-binary '[1]'
	assert_error 400 VALIDATION_FAILED
	rcall PATCH /api/configs/aa-bb-cc-00-30-01 -H 'Content-Type: application/merge-patch+json' -H 'If-Match: "0"' --data-binary '{}'
	assert_error 412 PRECONDITION_FAILED
	rcall GET '/api/configs?q=/mqtt/port=1883&q=one'
	assert_json '[.configs[].mac_address]' '["aa-bb-cc-00-30-01"]'
	rcall GET '/api/configs?q='
	assert_error 400 VALIDATION_FAILED
	rcall POST /api/changes -H 'Content-Type: application/json' --data-binary '{"q":"/mqtt/port=1883","patch":{"mqtt":{"port":8883}},"dry_run":true}'
	assert_code 200
	local devices
	devices="$(jq -c '[.devices[] | {mac_address, etag}]' <<<"$body")"
	put_json aa-bb-cc-00-30-02 '{"content":{"deviceName":"Two","mqtt":{"port":1883},"x":1}}'
	rcall POST /api/changes -H 'Content-Type: application/json' --data-binary "{\"devices\":$devices,\"patch\":{\"mqtt\":{\"port\":8883}}}"
	assert_json '[.devices[] | select(.mac_address | startswith("aa-bb-cc-00-30")) | .result]' '["changed","conflict"]'
	local id
	id="$(jq -r .id <<<"$body")"
	rcall POST /api/changes -H 'Content-Type: application/json' --data-binary '{"patch":{}}'
	assert_error 400 VALIDATION_FAILED
	rcall GET /api/changes
	assert_code 200
	rcall GET "/api/changes/$id"
	assert_code 200
	rcall GET /api/changes/20000101-000000-00000000
	assert_error 404 RECORD_NOT_FOUND
	rcall POST "/api/changes/$id/undo" -H 'Content-Type: application/json' --data-binary '{"dry_run":true}'
	assert_code 200
	rcall POST "/api/changes/$id/undo" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_json '[.devices[].result]' '["restored"]'
	jq '.state = "applying"' "$CONFIG_DIR/.changes/$id.json" >"$BATS_TEST_TMPDIR/unfinished"
	mv "$BATS_TEST_TMPDIR/unfinished" "$CONFIG_DIR/.changes/$id.json"
	rcall POST "/api/changes/$id/undo" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_error 412 PRECONDITION_FAILED
	rcall GET /api/export
	assert_code 200
	cp "$IOT_TMP/last.body" "$BATS_TEST_TMPDIR/fleet.tar.gz"
	rcall HEAD /api/export -I
	assert_code 200
	rcall POST '/api/import?dry_run=true' -H 'Content-Type: application/gzip' --data-binary @"$BATS_TEST_TMPDIR/fleet.tar.gz"
	assert_code 200
	rcall POST '/api/import?existing=overwrite' -H 'Content-Type: application/gzip' --data-binary @"$BATS_TEST_TMPDIR/fleet.tar.gz"
	assert_code 200
	rcall POST /api/import -H 'Content-Type: application/gzip' --data-binary 'not an archive'
	assert_error 400 VALIDATION_FAILED
	rcall POST /api/import -H 'Content-Type: application/zip' --data-binary 'PK'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	mkdir "$BATS_TEST_TMPDIR/big"
	head -c 2000000 /dev/zero >"$BATS_TEST_TMPDIR/big/aa-bb-cc-00-30-03.json"
	tar -czf "$BATS_TEST_TMPDIR/big.tgz" -C "$BATS_TEST_TMPDIR/big" .
	rcall POST /api/import -H 'Content-Type: application/gzip' --data-binary @"$BATS_TEST_TMPDIR/big.tgz"
	assert_error 413 PAYLOAD_TOO_LARGE
	validate_recorded
}

@test "schema refusals validate: every error in details.errors, from config writes and a bad schema" {
	rcall PUT /api/schemas/default -H 'Content-Type: application/json' \
		--data-binary '{"required":["deviceName"],"properties":{"interval":{"type":"integer"}}}'
	[ "$code" = 201 ]
	put_json aa-bb-cc-00-10-08 '{"content":{"interval":"x"}}'
	assert_error 400 VALIDATION_FAILED
	assert_json '.details.error_count' '2'
	rcall PUT /api/configs/aa-bb-cc-00-10-08.json -H 'Content-Type: application/json' --data-binary '{"interval":1.5}'
	assert_error 400 VALIDATION_FAILED
	assert_json '[.details.schema, (.details.errors | length)]' '["default",2]'
	rcall PUT /api/schemas/other -H 'Content-Type: application/json' --data-binary '{"type":"strng"}'
	assert_error 400 VALIDATION_FAILED
	rcall PUT /api/schemas/Bad -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 400 INVALID_OPERATION
	rcall GET /api/schemas/none
	assert_error 404 RECORD_NOT_FOUND
	rcall DELETE /api/schemas/default
	[ "$code" = 204 ]
	validate_recorded
}

@test "write refusals validate: RECORD_EXISTS, PRECONDITION_FAILED, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE" {
	put_json aa-bb-cc-00-10-05 '{"content":{"v":1}}'
	assert_code 200
	put_json aa-bb-cc-00-10-05 '{"content":{"v":2},"allow_overwrite":false}'
	assert_error 409 RECORD_EXISTS
	put_json aa-bb-cc-00-10-05 '{"content":{"v":3}}' -H 'If-Match: "00000000000000000000000000000000"'
	assert_error 412 PRECONDITION_FAILED
	rcall PUT /api/configs/aa-bb-cc-00-10-05.json -H 'Content-Type: application/json' -H 'If-None-Match: *' --data-binary '{"v":4}'
	assert_error 412 PRECONDITION_FAILED
	rcall DELETE /api/configs/aa-bb-cc-00-10-05 -H 'If-Match: "00000000000000000000000000000000"'
	assert_error 412 PRECONDITION_FAILED
	rcall DELETE /api/configs/aa-bb-cc-00-10-05.json -H 'If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT'
	assert_error 412 PRECONDITION_FAILED
	rcall GET /api/configs/aa-bb-cc-00-10-05 -H 'If-Match: "00000000000000000000000000000000"' -H "Origin: $ORIGIN"
	assert_error 412 PRECONDITION_FAILED
	rcall GET /esp32/config/aa-bb-cc-00-10-05.json -H 'If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT'
	assert_error 412 PRECONDITION_FAILED
	[ "$(jq -c . "$CONFIG_DIR/aa-bb-cc-00-10-05.json")" = '{"v":1}' ]
	head -c 1100000 /dev/zero | tr '\0' 'a' | sed 's/^/{"s":"/; s/$/"}/' >"$BATS_TEST_TMPDIR/big.json"
	rcall PUT /api/configs/aa-bb-cc-00-10-06.json -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/big.json"
	assert_error 413 PAYLOAD_TOO_LARGE
	rcall PUT /api/configs/aa-bb-cc-00-10-06 -H 'Content-Type: text/plain' --data-binary '{"content":{}}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	rcall PUT /api/configs/aa-bb-cc-00-10-06.json -H 'Content-Type: application/x-www-form-urlencoded' --data-binary '{}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-10-06.json" ]
	rcall PUT /api/configs/aa-bb-cc-00-10-06 -H 'Content-Type: application/json' -H 'Origin: http://evil.example' --data-binary '{"content":{}}'
	assert_error 403 ORIGIN_NOT_ALLOWED
	rcall DELETE /api/configs/aa-bb-cc-00-10-05.json -H 'Referer: http://evil.example/'
	assert_error 403 ORIGIN_NOT_ALLOWED
	rcall GET /api/configs -H 'Host: rebound.example'
	assert_error 421 HOST_NOT_ALLOWED
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-10-06.json" ]
	validate_recorded
}

@test "storage errors validate: CONFIG_UNREADABLE, STORAGE_ERROR" {
	printf '[1,2]' >"$CONFIG_DIR/aa-bb-cc-00-10-07.json"
	rcall GET /api/configs/aa-bb-cc-00-10-07
	assert_error 500 CONFIG_UNREADABLE
	rcall GET /api/configs/aa-bb-cc-00-10-07.json
	assert_error 500 CONFIG_UNREADABLE
	# A directory where the config file should be: it cannot be read, and
	# renaming a file over it fails (EISDIR), another storage failure.
	mkdir "$CONFIG_DIR/aa-bb-cc-00-10-08.json"
	rcall GET /esp32/config/aa-bb-cc-00-10-08.json
	assert_error 500 CONFIG_UNREADABLE
	put_json aa-bb-cc-00-10-08 '{"content":{}}'
	assert_error 500 STORAGE_ERROR
	[[ "$(printf '%s' "$body" | jq -r .details.message)" == *"Is a directory"* ]]
	[ -d "$CONFIG_DIR/aa-bb-cc-00-10-08.json" ]
	validate_recorded
}

@test "an unusable directory validates: STORAGE_UNAVAILABLE and unhealthy health" {
	iot_start ESP32_CONFIGS_DIR=
	rcall GET /api/health
	assert_code 503
	assert_json .status '"unhealthy"'
	rcall GET /api/configs
	assert_error 503 STORAGE_UNAVAILABLE
	rcall DELETE /api/configs/aa-bb-cc-00-10-09
	assert_error 503 STORAGE_UNAVAILABLE
	rcall GET /metrics
	assert_code 200
	validate_recorded
}

@test "a full file system validates: INSUFFICIENT_STORAGE, and the old config is kept" {
	local d="$BATS_TEST_TMPDIR/full"
	mkdir -p "$d"
	if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=256k,mode=0777 tmpfs "$d" 2>/dev/null; then
		# The code check below then accepts this one code unseen.
		echo INSUFFICIENT_STORAGE >>"$BATS_FILE_TMPDIR/unreachable"
		skip "mounting a small tmpfs is not permitted here (needs root and CAP_SYS_ADMIN)"
	fi
	echo "$d" >"$BATS_TEST_TMPDIR/mounted"
	printf '{"keep":true}\n' >"$d/aa-bb-cc-00-10-0a.json"
	iot_start ESP32_CONFIGS_DIR="$d"
	dd if=/dev/zero of="$d/filler" bs=4096 2>/dev/null || true
	put_json aa-bb-cc-00-10-0a '{"content":{"replaced":true}}'
	assert_error 507 INSUFFICIENT_STORAGE
	[ "$(cat "$d/aa-bb-cc-00-10-0a.json")" = '{"keep":true}' ]
	[ -z "$(find "$d" -name '*.tmp')" ]
	iot_stop
	validate_recorded
}

@test "errors only plain CGI can show validate: BAD_REQUEST framing, INTERNAL_ERROR out of memory" {
	local dir="$BATS_TEST_TMPDIR/cgi"
	mkdir -p "$dir"
	cgi_call PUT /api/configs/aa-bb-cc-00-10-0b CONTENT_TYPE=application/json CONTENT_LENGTH=12x \
		ESP32_CONFIGS_DIR="$dir" </dev/null
	assert_error 400 BAD_REQUEST
	printf '{"con' >"$BATS_TEST_TMPDIR/short"
	cgi_call PUT /api/configs/aa-bb-cc-00-10-0b.json CONTENT_TYPE=application/json \
		CONTENT_LENGTH=100 ESP32_CONFIGS_DIR="$dir" <"$BATS_TEST_TMPDIR/short"
	assert_error 400 BAD_REQUEST
	assert_json .details.message '"received 5 of the 100 bytes announced by Content-Length"'
	# 64 MiB announced, at most about 40 MB of address space: the body
	# buffer cannot be had, and the answer is a JSON 500, not a crash.
	(
		ulimit -v 40000
		cgi_call PUT /api/configs/aa-bb-cc-00-10-0b.json CONTENT_TYPE=application/json \
			CONTENT_LENGTH=67108864 MAX_BODY_BYTES=67108864 ESP32_CONFIGS_DIR="$dir" </dev/null
	)
	code="$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$IOT_TMP/last.headers")"
	body="$(cat "$IOT_TMP/last.body")"
	hdrs="$IOT_TMP/last.headers"
	assert_error 500 INTERNAL_ERROR
	[ -z "$(ls "$dir")" ]
	validate_recorded
}

@test "a change the storage cannot make durable validates: STORAGE_NOT_DURABLE from PUT and DELETE (directory fsync failing, injected)" {
	fsfault_build
	local dir="$BATS_TEST_TMPDIR/cgi" put="$BATS_TEST_TMPDIR/put"
	mkdir -p "$dir"
	printf '{"content":{"deviceName":"x"}}' >"$put"
	cgi_call PUT /api/configs/aa-bb-cc-00-10-0c CONTENT_TYPE=application/json \
		CONTENT_LENGTH="$(wc -c <"$put")" ESP32_CONFIGS_DIR="$dir" LD_PRELOAD="$FSFAULT_SO" \
		IOT_FAULT_DIR_FSYNC=1 <"$put"
	assert_error 500 STORAGE_NOT_DURABLE
	[ -f "$dir/aa-bb-cc-00-10-0c.json" ]
	# History off: with it, the history directory's fsync would refuse the delete first.
	cgi_call DELETE /api/configs/aa-bb-cc-00-10-0c.json ESP32_CONFIGS_DIR="$dir" \
		LD_PRELOAD="$FSFAULT_SO" IOT_FAULT_DIR_FSYNC=1 HISTORY_KEEP=0 </dev/null
	assert_error 500 STORAGE_NOT_DURABLE
	[ ! -e "$dir/aa-bb-cc-00-10-0c.json" ]
	validate_recorded
}

@test "firmware responses validate: upload, target, records, images whole, ranged, 304 and 416, manifests, refusals, FIRMWARE_IN_USE" {
	fw_image "$BATS_TEST_TMPDIR/a.bin" 1.0.0 --size 20000
	fw_image "$BATS_TEST_TMPDIR/b.bin" 1.1.0 --size 20000 --seed 2
	fw_image "$BATS_TEST_TMPDIR/c3.bin" 1.2.0 --size 20000 --chip 5
	fw_image "$BATS_TEST_TMPDIR/bad.bin" 1.2.0 --size 20000 --damage bad-checksum
	fw_device aa-bb-cc-00-20-01 rsp
	up() { rcall PUT "/api/firmware/rsp/versions/$1" -H 'Content-Type: application/octet-stream' --data-binary "@$2" "${@:3}"; }
	up 1.0.0 "$BATS_TEST_TMPDIR/a.bin" -H "Origin: $ORIGIN"
	assert_code 201
	up 1.0.0 "$BATS_TEST_TMPDIR/a.bin"
	assert_code 200
	up 1.1.0 "$BATS_TEST_TMPDIR/b.bin"
	assert_code 201
	up 1.0.0 "$BATS_TEST_TMPDIR/b.bin"
	assert_error 400 VALIDATION_FAILED
	up 1.2.0 "$BATS_TEST_TMPDIR/c3.bin"
	assert_error 400 VALIDATION_FAILED
	up 1.2.0 "$BATS_TEST_TMPDIR/bad.bin"
	assert_error 400 VALIDATION_FAILED
	rcall PUT /api/firmware/rsp/versions/1.2.0 -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/a.bin"
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	rcall PUT /api/firmware/rsp/target -H 'Content-Type: application/json' --data-binary '{"version":"1.0.0","canary":{"version":"1.1.0","devices":["aa:bb:cc:00:20:02"]}}'
	assert_code 200
	rcall PUT /api/firmware/rsp/target -H 'Content-Type: application/json' --data-binary '{"version":"9.9.9"}'
	assert_error 400 VALIDATION_FAILED
	rcall GET /api/firmware -H "Origin: $ORIGIN"
	assert_code 200
	rcall GET /api/firmware/rsp
	assert_code 200
	rcall HEAD /api/firmware/rsp/target -I
	assert_code 200
	rcall GET /api/firmware/rsp/versions/1.1.0
	assert_code 200
	rcall GET /api/firmware/Bad
	assert_error 400 INVALID_OPERATION
	rcall GET /api/firmware/none
	assert_error 404 RECORD_NOT_FOUND
	rcall GET /esp32/firmware/aa-bb-cc-00-20-01.bin -H 'Range: bytes=0-99'
	assert_code 206
	cmp "$IOT_TMP/last.body" <(head -c 100 "$BATS_TEST_TMPDIR/a.bin")
	rcall GET /esp32/firmware/aa-bb-cc-00-20-01.bin -H 'x-ESP32-version: 1.0.0'
	assert_code 304
	rcall HEAD /esp32/firmware/aa-bb-cc-00-20-02.bin -I
	assert_code 404
	rcall GET /esp32/firmware/rsp/1.1.0.bin -H 'Range: bytes=99999-'
	assert_error 416 RANGE_NOT_SATISFIABLE
	rcall HEAD /esp32/firmware/rsp/1.1.0.bin -I
	assert_code 200
	rcall GET /esp32/firmware/rsp/manifest.json
	assert_code 200
	rcall GET /esp32/firmware/aa-bb-cc-00-20-01.json -H "If-None-Match: $(header ETag)"
	assert_code 200
	rcall GET /esp32/firmware/aa-bb-cc-00-20-01.json -H "If-None-Match: $(header ETag)"
	assert_code 304
	rcall GET /api/configs/aa-bb-cc-00-20-01/firmware
	assert_code 200
	assert_json '[.state,.running]' '["current","1.0.0"]'
	rcall DELETE /api/firmware/rsp/versions/1.1.0
	assert_error 409 FIRMWARE_IN_USE
	rcall PUT /api/firmware/rsp/target -H 'Content-Type: application/json' --data-binary '{"version":"1.0.0"}'
	assert_code 200
	rcall DELETE /api/firmware/rsp/versions/1.1.0
	assert_code 204
	[ ! -e "$CONFIG_DIR/.firmware/rsp/1.1.0.meta" ]
	validate_recorded
}

@test "device secrets validate: make, show, list, rotate, revoke; the admin file route; UNAUTHORIZED, TOO_MANY_REQUESTS, FORBIDDEN" {
	local users="$BATS_TEST_TMPDIR/htpasswd" admin=(-u 'alice:pw')
	htpasswd -cbB "$users" alice pw 2>/dev/null
	IOT_PROBE_AUTH=alice:pw iot_start DEVICE_AUTH=per-device AUTH_USERS_FILE="$users" AUTH_READS=true
	call PUT /api/configs/aa-bb-cc-00-10-21.json "${admin[@]}" -H 'Content-Type: application/json' --data-binary '{"n":1}'
	assert_code 200
	rcall GET /api/configs/aa-bb-cc-00-10-21/credential "${admin[@]}"
	assert_error 404 RECORD_NOT_FOUND
	rcall POST /api/configs/aa-bb-cc-00-10-21/credential "${admin[@]}" -H 'Content-Type: application/json' --data-binary ''
	assert_code 201
	secret="$(jq -r .secret <<<"$body")"
	rcall POST /api/configs/aa-bb-cc-00-10-21/credential "${admin[@]}" -H 'Content-Type: application/json' --data-binary ''
	assert_code 201
	assert_json .rotation_pending true
	rcall GET /api/configs/aa-bb-cc-00-10-21/credential "${admin[@]}"
	assert_code 200
	rcall HEAD /api/configs/aa-bb-cc-00-10-21/credential "${admin[@]}" -I
	assert_code 200
	rcall GET /api/credentials "${admin[@]}"
	assert_code 200
	rcall HEAD /api/credentials "${admin[@]}" -I
	assert_code 200
	rcall GET /api/configs/aa-bb-cc-00-10-21/file "${admin[@]}"
	assert_code 200
	rcall HEAD /api/configs/aa-bb-cc-00-10-21/file "${admin[@]}" -I
	assert_code 200
	rcall GET /api/configs/aa-bb-cc-00-10-21.json -H "Authorization: Bearer $secret"
	assert_code 200
	rcall GET /api/configs/aa-bb-cc-00-10-21.json
	assert_error 401 UNAUTHORIZED
	rcall HEAD /esp32/config/aa-bb-cc-00-10-21.json -I
	assert_code 401
	local i
	while [ $(($(date +%s) % 60)) -ge 45 ]; do sleep 1; done
	for i in $(seq 1 10); do
		call GET /esp32/config/aa-bb-cc-00-10-21.json -H "Authorization: Bearer wrong$i"
	done
	rcall GET /esp32/config/aa-bb-cc-00-10-21.json -H "Authorization: Bearer $secret"
	assert_error 429 TOO_MANY_REQUESTS
	rcall DELETE /api/configs/aa-bb-cc-00-10-21/credential "${admin[@]}"
	assert_code 204
	rcall DELETE /api/configs/aa-bb-cc-00-10-21/credential "${admin[@]}"
	assert_error 404 RECORD_NOT_FOUND
	iot_stop
	# Without the web server's credentials, as plain CGI shows it.
	local dir="$BATS_TEST_TMPDIR/cgi"
	mkdir -p "$dir"
	cgi_call GET /api/credentials ESP32_CONFIGS_DIR="$dir" DEVICE_AUTH=required </dev/null
	assert_error 403 FORBIDDEN
	cgi_call POST /api/configs/aa-bb-cc-00-10-22/credential CONTENT_TYPE=application/json ESP32_CONFIGS_DIR="$dir" DEVICE_AUTH=required </dev/null
	assert_error 403 FORBIDDEN
	validate_recorded
}

@test "every error code of the document was produced by a live response above" {
	run jq -r '.components.schemas.ErrorCode.enum[]' "$DOC"
	[ "$status" -eq 0 ]
	documented="$(printf '%s\n' "$output" | sort)"
	seen="$(cat "$BATS_FILE_TMPDIR/codes" "$BATS_FILE_TMPDIR/unreachable" 2>/dev/null | sort -u | grep .)"
	echo "documented: $documented"
	echo "seen: $seen"
	[ -n "$documented" ]
	[ "$documented" = "$seen" ]
}
