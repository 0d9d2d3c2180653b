#!/usr/bin/env bats
# tests/firmware/devauth.bats: device secrets (DEVICE_AUTH) on the update
# clients' routes, through lighttpd (FastCGI): a device's own image and
# manifest ask it for its secret the way its config does (HTTP Basic as
# esp_http_client and HTTPClient::setAuthorization send it, or Bearer); a
# model's image and manifest ask the device that names itself (Basic
# user, or x-ESP32-STA-MAC beside a Bearer token); refused requests leave
# the device's firmware note alone; required mode asks every device; the
# firmware API is an admin route (403 without the web server's user).

load ../e2e/helpers
load ../e2e/fsfault
load firmware

ADMIN='alice:pw here'
SEC=aa-bb-cc-00-d0-01   # has a secret
OPEN=aa-bb-cc-00-d0-02  # has none

setup_file() {
	export HTPASSWD="$BATS_FILE_TMPDIR/htpasswd"
	htpasswd -cbB "$HTPASSWD" alice 'pw here' 2>/dev/null
	export IOT_PROBE_AUTH="$ADMIN"
	iot_start_file DEVICE_AUTH=per-device AUTH_USERS_FILE="$HTPASSWD" AUTH_READS=true
	export IMG="$BATS_FILE_TMPDIR/img"
	mkdir -p "$IMG"
	fw_image "$IMG/1.0.bin" 1.0.0 --size 100000 --seed 1
	fw_image "$IMG/1.1.bin" 1.1.0 --size 110000 --seed 2
	fw_upload dsec 1.0.0 "$IMG/1.0.bin" -u "$ADMIN"
	fw_upload dsec 1.1.0 "$IMG/1.1.bin" -u "$ADMIN"
	call PUT /api/firmware/dsec/target -u "$ADMIN" -H 'Content-Type: application/json' --data-binary '{"version":"1.1.0"}'
	[ "$code" = 200 ]
	local mac
	for mac in "$SEC" "$OPEN"; do
		put_json "$mac" '{"content":{"deviceModel":"dsec"}}' -u "$ADMIN"
		[ "$code" = 200 ]
	done
	call POST "/api/configs/$SEC/credential" -u "$ADMIN" -H 'Content-Type: application/json' --data-binary ''
	[ "$code" = 201 ]
	SECRET="$(jq -er .secret <<<"$body")"
	export SECRET
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

basic() { # basic USER SECRET: the Authorization header esp_http_client sends
	printf 'Authorization: Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"
}

note_sum() { # the device's firmware note, as bytes on disk ("none" when absent)
	local f="$CONFIG_DIR/.firmware/.devices/$1"
	if [ -f "$f" ]; then sha256sum "$f" | cut -d' ' -f1; else echo none; fi
}

@test "per-device: a device with a secret gets its image and manifest only with it, Basic or Bearer; one without stays open" {
	local p
	for p in "/esp32/firmware/$SEC.bin" "/esp32/firmware/$SEC.json"; do
		call GET "$p"
		assert_error 401 UNAUTHORIZED
		[[ "$(header WWW-Authenticate)" == 'Basic realm="iotconfig devices"'* ]]
		call GET "$p" -H "$(basic "$SEC" wrong)"
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H "$(basic "$OPEN" "$SECRET")"
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H "Authorization: Bearer $SECRET"
		assert_code 200
	done
	call HEAD "/esp32/firmware/$SEC.bin" -I
	assert_code 401
	[ -z "$(header X-Firmware-Version)" ]
	# The bytes, to the secret's holder only: esp_https_ota's chunks, cut and resumed.
	ota "$BASE_URL/esp32/firmware/$SEC.bin" --chunk 4096 --cut-at 20000 --out "$BATS_TEST_TMPDIR/a.bin"
	[ "$ota_status" -ne 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/a.bin" ]
	ota "$BASE_URL/esp32/firmware/$SEC.bin" --chunk 4096 --cut-at 20000 --out "$BATS_TEST_TMPDIR/a.bin" \
		--header "$(basic "${SEC^^}" "$SECRET")"
	[ "$ota_status" -eq 0 ]
	[ "$(ota_field .result)" = '"downloaded"' ]
	cmp "$BATS_TEST_TMPDIR/a.bin" "$IMG/1.1.bin"
	# Arduino's HTTPUpdate with setAuthorization; without it, nothing.
	arduino "$BASE_URL/esp32/firmware/$SEC.bin" --mac "${SEC^^}" --version 1.0.0
	[ "$(ota_field .status)" = 401 ]
	arduino "$BASE_URL/esp32/firmware/$SEC.bin" --mac "${SEC^^}" --version 1.0.0 \
		--header "Authorization: Bearer $SECRET" --out "$BATS_TEST_TMPDIR/ard.bin"
	[ "$(ota_field .result)" = '"updated"' ]
	cmp "$BATS_TEST_TMPDIR/ard.bin" "$IMG/1.1.bin"
	# A device without a secret: as before.
	curl -sf "$BASE_URL/esp32/firmware/$OPEN.bin" | cmp - "$IMG/1.1.bin"
	call GET "/esp32/firmware/$OPEN.json"
	assert_code 200
}

@test "per-device: a model's image and manifest ask the device that names itself (Basic user, x-ESP32-STA-MAC) for its secret" {
	local p
	for p in /esp32/firmware/dsec/1.0.0.bin /esp32/firmware/dsec/manifest.json; do
		call GET "$p" -H "x-ESP32-STA-MAC: ${SEC^^}"
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H "x-ESP32-STA-MAC: ${SEC^^}" -H 'Authorization: Bearer wrong'
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H "$(basic "$SEC" wrong)"
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H "$(basic not-a-mac "$SECRET")"
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H "x-ESP32-STA-MAC: ${SEC^^}" -H "Authorization: Bearer $SECRET"
		assert_code 200
		call GET "$p" -H "$(basic "$SEC" "$SECRET")"
		assert_code 200
		# A device without a secret, and a request naming no device: open.
		call GET "$p" -H "x-ESP32-STA-MAC: ${OPEN^^}"
		assert_code 200
		call GET "$p"
		assert_code 200
	done
	curl -sf -H "$(basic "$SEC" "$SECRET")" "$BASE_URL/esp32/firmware/dsec/1.0.0.bin" | cmp - "$IMG/1.0.bin"
	arduino "$BASE_URL/esp32/firmware/dsec/1.0.0.bin" --mac "${SEC^^}"
	[ "$(ota_field .status)" = 401 ]
	arduino "$BASE_URL/esp32/firmware/dsec/1.0.0.bin" --mac "${SEC^^}" \
		--header "Authorization: Bearer $SECRET" --out "$BATS_TEST_TMPDIR/ard.bin"
	[ "$(ota_field .result)" = '"updated"' ]
	cmp "$BATS_TEST_TMPDIR/ard.bin" "$IMG/1.0.bin"
}

@test "a refused request leaves the device's firmware note alone; its own authenticated report is noted" {
	local before
	# The note read below is this request's own, written after its answer:
	# the earlier tests' note goes first, and the test waits for the new one.
	rm -f "$CONFIG_DIR/.firmware/.devices/$SEC"
	call GET "/esp32/firmware/$SEC.bin" -H "Authorization: Bearer $SECRET" -H 'x-ESP32-version: 1.0.0' -H 'Range: bytes=0-4095'
	assert_code 206
	note_written() { [ "$(note_sum "$SEC")" != none ]; }
	wait_for note_written
	call GET "/api/configs/$SEC/firmware" -u "$ADMIN"
	assert_json .running '"1.0.0"'
	before="$(note_sum "$SEC")"
	[ "$before" != none ]
	call GET "/esp32/firmware/$SEC.bin" -H 'x-ESP32-version: 1.1.0'
	assert_code 401
	call GET "/esp32/firmware/$SEC.bin" -H 'x-ESP32-sketch-sha256: 00' -H "$(basic "$SEC" wrong)"
	assert_code 401
	[ "$(note_sum "$SEC")" = "$before" ]
	call GET "/api/configs/$SEC/firmware" -u "$ADMIN"
	assert_json '[.running,.state]' '["1.0.0","downloading"]'
	call GET "/esp32/firmware/$SEC.bin" -H "$(basic "$SEC" "$SECRET")" -H 'x-ESP32-version: 1.1.0'
	assert_code 304
	wait_for fw_view_is "$SEC" '[.running,.state]' '["1.1.0","current"]' -u "$ADMIN"
}

@test "required: every firmware device route needs a valid secret, a device without one included, and a model's routes a named device" {
	IOT_PROBE_AUTH="$ADMIN" iot_start DEVICE_AUTH=required AUTH_USERS_FILE="$HTPASSWD" AUTH_READS=true \
		ESP32_CONFIGS_DIR="$CONFIG_DIR" CONFIG_DIR="$CONFIG_DIR"
	local p
	for p in "/esp32/firmware/$OPEN.bin" "/esp32/firmware/$OPEN.json" /esp32/firmware/dsec/1.1.0.bin \
		/esp32/firmware/dsec/manifest.json; do
		call GET "$p"
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H "x-ESP32-STA-MAC: $OPEN"
		assert_error 401 UNAUTHORIZED
		call GET "$p" -H 'Authorization: Bearer nothing'
		assert_error 401 UNAUTHORIZED
	done
	call GET "/esp32/firmware/$SEC.bin" -H "Authorization: Bearer $SECRET"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IMG/1.1.bin"
	call GET /esp32/firmware/dsec/1.1.0.bin -H "$(basic "$SEC" "$SECRET")"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$IMG/1.1.bin"
	# Bearer alone names no device on a model's route: x-ESP32-STA-MAC does.
	call GET /esp32/firmware/dsec/manifest.json -H "Authorization: Bearer $SECRET"
	assert_error 401 UNAUTHORIZED
	call GET /esp32/firmware/dsec/manifest.json -H "Authorization: Bearer $SECRET" -H "x-ESP32-STA-MAC: $SEC"
	assert_code 200
	assert_json .version '"1.1.0"'
}

@test "the firmware API is an admin route: 403 without the web server's user, whatever is uploaded or asked" {
	FSFAULT_SO=""
	local d="$BATS_TEST_TMPDIR/configs" p files
	mkdir -p "$d"
	cp -a "$CONFIG_DIR/.firmware" "$d/"
	files="$(cd "$d/.firmware" && find . -type f -exec sha256sum {} + | sort)"
	printf '{"deviceModel":"dsec"}' >"$d/$OPEN.json"
	for p in /api/firmware /api/firmware/dsec /api/firmware/dsec/target /api/firmware/dsec/versions/1.0.0 \
		"/api/configs/$OPEN/firmware"; do
		cgi "$d" GET "$p" '' DEVICE_AUTH=per-device
		assert_error 403 FORBIDDEN
		[[ "$body" != *'"sha256"'* ]]
	done
	cgi "$d" PUT /api/firmware/dsec/target '{"version":"1.0.0"}' DEVICE_AUTH=required
	assert_error 403 FORBIDDEN
	cgi "$d" DELETE /api/firmware/dsec/versions/1.0.0 '' DEVICE_AUTH=per-device
	assert_error 403 FORBIDDEN
	[ "$(cd "$d/.firmware" && find . -type f -exec sha256sum {} + | sort)" = "$files" ]
	# With the web server's user, the same routes answer.
	cgi "$d" GET /api/firmware/dsec '' DEVICE_AUTH=required REMOTE_USER=alice
	assert_code 200
	# Off: as before, nothing asked.
	cgi "$d" GET /api/firmware '' DEVICE_AUTH=off
	assert_code 200
}
