#!/usr/bin/env bats
# tests/firmware/firmware.bats: firmware images per model, end to end through
# lighttpd (FastCGI), with images built here in the real ESP-IDF format
# (tests/firmware/fwtool.py): uploads checked and refused, what is kept on
# disk and the bound on it, targets and canaries, and the three kinds of
# update client (an esp_https_ota-like one reading Range chunks, cut and
# resumed; an Arduino HTTPUpdate-like one; ESPHome's manifest), every
# download compared byte for byte with the upload; then each device's
# state (current, downloading, failed) in the API and in /metrics; the
# same answers with lighttpd sending the files (X-Sendfile); two instances
# on one directory; with AUTH_READS, device routes open and the rest not.

load ../e2e/helpers
load firmware

setup_file() {
	iot_start_file FIRMWARE_KEEP=3 FIRMWARE_MAX_BYTES=1048576 FIRMWARE_FAIL_AFTER=600
	export IMG="$BATS_FILE_TMPDIR/img"
	mkdir -p "$IMG"
	fw_image "$IMG/cam-1.0.bin" 1.0.0 --size 300000 --seed 1
	fw_image "$IMG/cam-1.1.bin" 1.1.0 --size 310000 --seed 2
	fw_image "$IMG/cam-1.2.bin" 1.2.0 --size 320000 --seed 3
	fw_image "$IMG/cam-1.3.bin" 1.3.0 --size 330000 --seed 4
	fw_image "$IMG/cam-1.0-other.bin" 1.0.0 --size 300100 --seed 9
	fw_image "$IMG/c3-1.0.bin" 1.0.0 --chip 5 --size 200000
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# Uploads the cam images 1.0.0 and 1.1.0 to MODEL, target 1.0.0.
seed_model() {
	fw_upload "$1" 1.0.0 "$IMG/cam-1.0.bin"
	fw_upload "$1" 1.1.0 "$IMG/cam-1.1.bin"
	fw_target "$1" '{"version":"1.0.0","canary":null}'
	assert_code 200
}

@test "an upload is checked and kept: its record names the version, chip, descriptor and digests" {
	fw_upload up 1.0.0 "$IMG/cam-1.0.bin"
	assert_code 201
	[ "$(header Location)" = /api/firmware/up/versions/1.0.0 ]
	sha="$(fw_sha "$IMG/cam-1.0.bin")"
	assert_json '[.version,.chip,.chip_id,.project_name,.idf_version,.secure_version,.size]' '["1.0.0","ESP32",0,"fwtest","v5.2.1",0,300000]'
	assert_json .sha256 "\"$sha\""
	assert_json .md5 "\"$(fw_md5 "$IMG/cam-1.0.bin")\""
	assert_json .image_sha256 "\"$(tail -c 32 "$IMG/cam-1.0.bin" | xxd -p -c 64)\""
	assert_json .elf_sha256 "\"$(printf 'elf 1.0.0' | sha256sum | cut -d' ' -f1)\""
	[ "$(header ETag)" = "\"$sha\"" ]
	cmp "$CONFIG_DIR/.firmware/up/$sha.bin" "$IMG/cam-1.0.bin"
	jq -e '.version == "1.0.0" and .seq == 1' "$CONFIG_DIR/.firmware/up/1.0.0.meta"
	call GET /api/firmware/up/versions/1.0.0
	assert_code 200
	assert_json .url '"/esp32/firmware/up/1.0.0.bin"'
	# The same bytes again: kept already.
	fw_upload up 1.0.0 "$IMG/cam-1.0.bin"
	assert_code 200
	[ "$(ls "$CONFIG_DIR/.firmware/up" | grep -c '\.bin$')" -eq 1 ]
}

@test "damaged images, another chip, another version's URL and other bytes for a kept version are refused, nothing kept" {
	fw_upload dmg 1.0.0 "$IMG/cam-1.0.bin"
	assert_code 201
	for damage in bad-magic bad-checksum bad-hash truncated trailing no-desc bad-segment; do
		fw_image "$BATS_TEST_TMPDIR/d.bin" 1.3.0 --damage "$damage" --size 100000
		fw_upload dmg 1.3.0 "$BATS_TEST_TMPDIR/d.bin"
		assert_error 400 VALIDATION_FAILED
		echo "$damage: $(jq -r .details.problem <<<"$body")"
		[ -n "$(jq -r .details.problem <<<"$body")" ]
		[ ! -e "$CONFIG_DIR/.firmware/dmg/1.3.0.meta" ]
	done
	fw_upload dmg 1.3.0 "$IMG/cam-1.3.bin" # one that is fine, for contrast
	assert_code 201
	fw_upload dmg 1.0.0 "$IMG/c3-1.0.bin"
	assert_error 400 VALIDATION_FAILED
	assert_json .details.problem '"wrong chip"'
	[[ "$body" == *ESP32-C3* ]]
	fw_upload dmg 1.2.0 "$IMG/cam-1.1.bin"
	assert_error 400 VALIDATION_FAILED
	assert_json .details.problem '"version mismatch"'
	fw_upload dmg 1.0.0 "$IMG/cam-1.0-other.bin"
	assert_error 409 RECORD_EXISTS
	[ "$(jq -r .sha256 "$CONFIG_DIR/.firmware/dmg/1.0.0.meta")" = "$(fw_sha "$IMG/cam-1.0.bin")" ]
	[ "$(ls "$CONFIG_DIR/.firmware/dmg" | grep -c '\.bin$')" -eq 2 ]
	fw_upload dmg '1.0%2F..' "$IMG/cam-1.0.bin"
	assert_error 400 INVALID_OPERATION
	fw_upload Cam 1.0.0 "$IMG/cam-1.0.bin"
	assert_error 400 INVALID_OPERATION
}

@test "an upload is octet-stream only (no form can send one), same-origin, and bounded by FIRMWARE_MAX_BYTES" {
	for ct in text/plain application/x-www-form-urlencoded 'multipart/form-data; boundary=x' application/json; do
		call PUT /api/firmware/ct/versions/1.0.0 -H "Content-Type: $ct" --data-binary "@$IMG/cam-1.0.bin"
		assert_error 415 UNSUPPORTED_MEDIA_TYPE
	done
	fw_upload ct 1.0.0 "$IMG/cam-1.0.bin" -H 'Origin: http://evil.test'
	assert_error 403 ORIGIN_NOT_ALLOWED
	[ ! -e "$CONFIG_DIR/.firmware/ct" ]
	head -c 1100000 /dev/urandom >"$BATS_TEST_TMPDIR/big.bin"
	fw_upload ct 1.0.0 "$BATS_TEST_TMPDIR/big.bin"
	assert_error 413 PAYLOAD_TOO_LARGE
	[[ "$body" == *FIRMWARE_MAX_BYTES* ]]
	# Above MAX_BODY_BYTES (1 MiB here too) is fine for an image within its own bound.
	fw_image "$BATS_TEST_TMPDIR/1m.bin" 1.0.0 --size 1040000
	fw_upload ct 1.0.0 "$BATS_TEST_TMPDIR/1m.bin"
	assert_code 201
}

@test "at most FIRMWARE_KEEP versions are kept, the oldest upload in no use goes; the target cannot be deleted, another can" {
	seed_model keep
	fw_target keep '{"version":"1.0.0","canary":{"version":"1.1.0","devices":["aa:bb:cc:00:00:01"]}}'
	assert_code 200
	fw_upload keep 1.2.0 "$IMG/cam-1.2.bin"
	assert_code 201
	fw_upload keep 1.3.0 "$IMG/cam-1.3.bin"
	assert_code 201
	assert_json .pruned '["1.2.0"]'
	call GET /api/firmware/keep
	assert_json '[.versions[].version]' '["1.3.0","1.1.0","1.0.0"]'
	[ ! -e "$CONFIG_DIR/.firmware/keep/1.2.0.meta" ]
	[ ! -e "$CONFIG_DIR/.firmware/keep/$(fw_sha "$IMG/cam-1.2.bin").bin" ]
	call DELETE /api/firmware/keep/versions/1.0.0
	assert_error 409 FIRMWARE_IN_USE
	call DELETE /api/firmware/keep/versions/1.1.0
	assert_error 409 FIRMWARE_IN_USE
	[ -e "$CONFIG_DIR/.firmware/keep/1.0.0.meta" ]
	call DELETE /api/firmware/keep/versions/1.3.0
	assert_code 204
	[ ! -e "$CONFIG_DIR/.firmware/keep/1.3.0.meta" ]
	[ ! -e "$CONFIG_DIR/.firmware/keep/$(fw_sha "$IMG/cam-1.3.bin").bin" ]
	call DELETE /api/firmware/keep/versions/1.3.0
	assert_error 404 RECORD_NOT_FOUND
	fw_target keep '{"version":"9.9.9","canary":null}'
	assert_error 400 VALIDATION_FAILED
	fw_target keep '{"version":"1.0.0","canary":{"version":"1.1.0","devices":["nope"]}}'
	assert_error 400 VALIDATION_FAILED
	fw_target nomodel '{"version":"1.0.0","canary":null}'
	assert_error 404 RECORD_NOT_FOUND
	call GET /api/firmware/keep/target
	assert_json '[.version,.canary.version,.canary.devices]' '["1.0.0","1.1.0",["aa-bb-cc-00-00-01"]]'
}

@test "esp_https_ota: HEAD, 4 KB Range chunks, a cut connection resumed with bytes=N-, the bytes exactly the upload's" {
	seed_model ota
	fw_device aa:bb:cc:00:01:01 ota
	url="$BASE_URL/esp32/firmware/aa-bb-cc-00-01-01.bin"
	call HEAD /esp32/firmware/aa-bb-cc-00-01-01.bin -I
	assert_code 200
	[ "$(header Content-Length)" = 300000 ]
	[ "$(header Accept-Ranges)" = bytes ]
	[ "$(header ETag)" = "\"$(fw_sha "$IMG/cam-1.0.bin")\"" ]
	[ "$(header X-Firmware-Version)" = 1.0.0 ]
	[ "$(header X-Firmware-SHA256)" = "$(fw_sha "$IMG/cam-1.0.bin")" ]
	[ "$(header X-Firmware-MD5)" = "$(fw_md5 "$IMG/cam-1.0.bin")" ]
	[ -z "$(header Content-Encoding)" ]
	[ -z "$(header Transfer-Encoding)" ]
	ota "$url" --chunk 4096 --cut-at 10000 --out "$BATS_TEST_TMPDIR/got.bin"
	[ "$ota_status" -eq 0 ]
	[ "$(ota_field .result)" = '"downloaded"' ]
	[ "$(ota_field .version)" = '"1.0.0"' ]
	[ "$(ota_field .reconnects)" = 1 ]
	# HEAD, three 4 KiB chunks (the third cut at 10000), then the rest from 10000.
	[ "$(ota_field .statuses)" = '[200,206,206,206,206]' ]
	[ "$(ota_field .resumed_range)" = '"bytes 10000-299999/300000"' ]
	ota "$url" --chunk 4096 --out "$BATS_TEST_TMPDIR/chunks.bin"
	[ "$(ota_field .requests)" -eq 75 ] # HEAD and 74 chunks of 4 KiB
	cmp "$BATS_TEST_TMPDIR/chunks.bin" "$IMG/cam-1.0.bin"
	cmp "$BATS_TEST_TMPDIR/got.bin" "$IMG/cam-1.0.bin"
	# A device on the target reads the version from the first chunk and stops.
	ota "$url" --running 1.0.0
	[ "$(ota_field .result)" = '"current"' ]
	# One that says so gets 304 at once (the version header ESP-IDF apps add, or the ETag).
	call GET /esp32/firmware/aa-bb-cc-00-01-01.bin -H 'X-Firmware-Version: 1.0.0'
	assert_code 304
	[ -z "$body" ]
	call GET /esp32/firmware/aa-bb-cc-00-01-01.bin -H "If-None-Match: \"$(fw_sha "$IMG/cam-1.0.bin")\""
	assert_code 304
	[ "$(header X-Firmware-Version)" = 1.0.0 ]
	code="$(curl -s -o "$BATS_TEST_TMPDIR/whole.bin" -w '%{http_code}' -H 'X-Firmware-Version: 0.9.0' "$url")"
	[ "$code" = 200 ]
	cmp "$BATS_TEST_TMPDIR/whole.bin" "$IMG/cam-1.0.bin"
}

@test "Range and If-Range are exact: 206 with Content-Range, a suffix, 416 past the end, several or broken ranges exact or JSON, 200 for another If-Range" {
	seed_model rng
	sha="$(fw_sha "$IMG/cam-1.0.bin")"
	u=/esp32/firmware/rng/1.0.0.bin
	curl -s -D "$BATS_TEST_TMPDIR/h" -H 'Range: bytes=1000-1999' "$BASE_URL$u" -o "$BATS_TEST_TMPDIR/part"
	grep -q '^HTTP/1.1 206' "$BATS_TEST_TMPDIR/h"
	grep -qi '^Content-Range: bytes 1000-1999/300000' "$BATS_TEST_TMPDIR/h"
	# The responder sent it (FIRMWARE_SENDFILE=false): no file's date.
	! grep -qi '^Last-Modified:' "$BATS_TEST_TMPDIR/h"
	cmp "$BATS_TEST_TMPDIR/part" <(tail -c +1001 "$IMG/cam-1.0.bin" | head -c 1000)
	curl -s -H 'Range: bytes=-100' "$BASE_URL$u" | cmp - <(tail -c 100 "$IMG/cam-1.0.bin")
	curl -s -H 'Range: bytes=299990-400000' "$BASE_URL$u" | cmp - <(tail -c 10 "$IMG/cam-1.0.bin")
	call GET "$u" -H 'Range: bytes=300000-'
	assert_error 416 RANGE_NOT_SATISFIABLE
	[ "$(header Content-Range)" = 'bytes */300000' ]
	# Several ranges: the responder sends the whole image, and lighttpd, which
	# holds that whole 200, may answer them itself: with one range that
	# covers both (it joins ranges close together) or as multipart. Each
	# answer is exact.
	local first last
	code="$(curl -s -D "$BATS_TEST_TMPDIR/mh" -o "$BATS_TEST_TMPDIR/multi" -w '%{http_code}' -H 'Range: bytes=0-9,20-29' "$BASE_URL$u")"
	if [ "$code" = 200 ]; then
		cmp "$BATS_TEST_TMPDIR/multi" "$IMG/cam-1.0.bin"
	elif grep -qi '^Content-Range:' "$BATS_TEST_TMPDIR/mh"; then
		[ "$code" = 206 ]
		read -r first last < <(sed -n 's/^Content-Range: bytes \([0-9]*\)-\([0-9]*\)\/300000\r$/\1 \2/Ip' "$BATS_TEST_TMPDIR/mh")
		[ "$first" -eq 0 ]
		[ "$last" -ge 29 ]
		cmp "$BATS_TEST_TMPDIR/multi" <(head -c $((last + 1)) "$IMG/cam-1.0.bin")
	else
		[ "$code" = 206 ]
		grep -qi '^Content-Type: multipart/byteranges' "$BATS_TEST_TMPDIR/mh"
		grep -qaF "$(head -c 10 "$IMG/cam-1.0.bin" | od -An -tx1 | tr -d ' \n')" <(od -An -tx1 "$BATS_TEST_TMPDIR/multi" | tr -d ' \n')
	fi
	# A Range that is no range (last before first): the whole image, or
	# lighttpd's own 416, which is JSON too (conf/errors/).
	code="$(curl -s -o "$BATS_TEST_TMPDIR/bad" -w '%{http_code}' -H 'Range: bytes=5-3' "$BASE_URL$u")"
	if [ "$code" = 200 ]; then
		cmp "$BATS_TEST_TMPDIR/bad" "$IMG/cam-1.0.bin"
	else
		[ "$code" = 416 ]
		jq -e '.code == "RANGE_NOT_SATISFIABLE" and .correlationId == null' "$BATS_TEST_TMPDIR/bad"
	fi
	code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' -H "If-Range: \"$sha\"" "$BASE_URL$u")"
	[ "$code" = 206 ]
	code="$(curl -s -o "$BATS_TEST_TMPDIR/all" -w '%{http_code}' -H 'Range: bytes=0-9' -H 'If-Range: "another"' "$BASE_URL$u")"
	[ "$code" = 200 ]
	cmp "$BATS_TEST_TMPDIR/all" "$IMG/cam-1.0.bin"
	call GET /esp32/firmware/rng/7.7.7.bin
	assert_error 404 RECORD_NOT_FOUND
	call GET /esp32/firmware/aa-bb-cc-00-09-09.bin
	assert_error 404 RECORD_NOT_FOUND
}

@test "Arduino HTTPUpdate: its headers in, 200 with x-MD5 it checks, then 304 by version, by sketch SHA-256 and by MD5" {
	seed_model ard
	fw_device aa:bb:cc:00:02:01 ard
	url="$BASE_URL/esp32/firmware/aa-bb-cc-00-02-01.bin"
	arduino "$url" --mac AA:BB:CC:00:02:01 --version 0.9.0 --out "$BATS_TEST_TMPDIR/got.bin"
	[ "$ota_status" -eq 0 ]
	[ "$(ota_field .result)" = '"updated"' ]
	[ "$(ota_field .x_md5)" = "\"$(fw_md5 "$IMG/cam-1.0.bin")\"" ]
	cmp "$BATS_TEST_TMPDIR/got.bin" "$IMG/cam-1.0.bin"
	arduino "$url" --mac AA:BB:CC:00:02:01 --version 1.0.0
	[ "$(ota_field .result)" = '"no-updates"' ]
	digest="$(tail -c 32 "$IMG/cam-1.0.bin" | xxd -p -c 64 | tr a-f A-F)"
	arduino "$url" --mac AA:BB:CC:00:02:01 --sha256 "$digest"
	[ "$(ota_field .result)" = '"no-updates"' ]
	arduino "$url" --mac AA:BB:CC:00:02:01 --md5 "$(fw_md5 "$IMG/cam-1.0.bin")"
	[ "$(ota_field .result)" = '"no-updates"' ]
	# Running 1.1.0 (its digest), told 1.0.0: the older target is sent (a rollback).
	arduino "$url" --mac AA:BB:CC:00:02:01 --sha256 "$(tail -c 32 "$IMG/cam-1.1.bin" | xxd -p -c 64)"
	[ "$(ota_field .result)" = '"updated"' ]
	call GET /api/configs/aa:bb:cc:00:02:01/firmware
	assert_json '[.running,.reported,.target]' '["1.1.0","1.1.0","1.0.0"]'
}

@test "ESPHome: the manifest per model and per device, chipFamily, path, md5 and sha256; the path serves the same bytes" {
	seed_model esph
	fw_device aa:bb:cc:00:03:01 esph
	call GET /esp32/firmware/esph/manifest.json
	assert_code 200
	assert_json '[.name,.version,(.builds|length),.builds[0].chipFamily,.builds[0].ota.path]' '["esph","1.0.0",1,"ESP32","/esp32/firmware/esph/1.0.0.bin"]'
	assert_json .builds[0].ota.md5 "\"$(fw_md5 "$IMG/cam-1.0.bin")\""
	assert_json .builds[0].ota.sha256 "\"$(fw_sha "$IMG/cam-1.0.bin")\""
	path="$(jq -r .builds[0].ota.path <<<"$body")"
	curl -s "$BASE_URL$path" | cmp - "$IMG/cam-1.0.bin"
	etag="$(header ETag)"
	call GET /esp32/firmware/esph/manifest.json -H "If-None-Match: $etag"
	assert_code 304
	call GET /esp32/firmware/aa-bb-cc-00-03-01.json
	assert_code 200
	assert_json .builds[0].ota.path '"/esp32/firmware/aa-bb-cc-00-03-01.bin"'
	curl -s "$BASE_URL/esp32/firmware/aa-bb-cc-00-03-01.bin" | cmp - "$IMG/cam-1.0.bin"
	# ESPHome reports no version: its last complete download is what it runs.
	wait_for fw_view_is aa-bb-cc-00-03-01 .state '"current"'
	call GET /esp32/firmware/nofw/manifest.json
	assert_error 404 RECORD_NOT_FOUND
}

@test "canary then all: the canary device gets the new version first, then every device; going back is the same step" {
	seed_model can
	fw_device aa:bb:cc:00:04:01 can
	fw_device aa:bb:cc:00:04:02 can
	fw_target can '{"version":"1.0.0","canary":{"version":"1.1.0","devices":["AA:BB:CC:00:04:01"]}}'
	assert_code 200
	v() { curl -s -I "$BASE_URL/esp32/firmware/$1.bin" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-firmware-version" { print $2 }'; }
	[ "$(v aa-bb-cc-00-04-01)" = 1.1.0 ]
	[ "$(v aa-bb-cc-00-04-02)" = 1.0.0 ]
	curl -s "$BASE_URL/esp32/firmware/aa-bb-cc-00-04-01.bin" | cmp - "$IMG/cam-1.1.bin"
	call GET /esp32/firmware/can/manifest.json
	assert_json .version '"1.0.0"'
	call GET /esp32/firmware/aa-bb-cc-00-04-01.json
	assert_json .version '"1.1.0"'
	fw_target can '{"version":"1.1.0","canary":null}'
	assert_code 200
	[ "$(v aa-bb-cc-00-04-01)" = 1.1.0 ]
	[ "$(v aa-bb-cc-00-04-02)" = 1.1.0 ]
	curl -s "$BASE_URL/esp32/firmware/aa-bb-cc-00-04-02.bin" | cmp - "$IMG/cam-1.1.bin"
	fw_target can '{"version":"1.0.0","canary":null}'
	[ "$(v aa-bb-cc-00-04-01)" = 1.0.0 ]
	[ "$(v aa-bb-cc-00-04-02)" = 1.0.0 ]
}

@test "each device's state: behind, downloading mid-way, current once it reports the target, failed when it still runs the old one after FIRMWARE_FAIL_AFTER" {
	seed_model st
	for n in 1 2 3 4; do fw_device "aa:bb:cc:00:05:0$n" st; done
	fw_target st '{"version":"1.1.0","canary":null}'
	# 01 reports 1.0.0 and only looks (HEAD): behind.
	curl -s -I -H 'X-Firmware-Version: 1.0.0' -o /dev/null "$BASE_URL/esp32/firmware/aa-bb-cc-00-05-01.bin"
	wait_for fw_view_is aa-bb-cc-00-05-01 .state '"behind"'
	# 02 takes the first chunk only: downloading.
	curl -s -H 'X-Firmware-Version: 1.0.0' -H 'Range: bytes=0-4095' -o /dev/null "$BASE_URL/esp32/firmware/aa-bb-cc-00-05-02.bin"
	wait_for fw_view_is aa-bb-cc-00-05-02 .state '"downloading"'
	# 03 downloads it all, then reports 1.1.0: current.
	arduino "$BASE_URL/esp32/firmware/aa-bb-cc-00-05-03.bin" --mac AA:BB:CC:00:05:03 --version 1.0.0
	wait_for fw_view_is aa-bb-cc-00-05-03 .state '"downloading"'
	arduino "$BASE_URL/esp32/firmware/aa-bb-cc-00-05-03.bin" --mac AA:BB:CC:00:05:03 --version 1.1.0
	[ "$(ota_field .result)" = '"no-updates"' ]
	wait_for fw_view_is aa-bb-cc-00-05-03 .state '"current"'
	# 04 downloads it all and comes back with 1.0.0: failed once the limit has passed.
	arduino "$BASE_URL/esp32/firmware/aa-bb-cc-00-05-04.bin" --mac AA:BB:CC:00:05:04 --version 1.0.0
	wait_for fw_view_is aa-bb-cc-00-05-04 .state '"downloading"'
	fw_note_age aa-bb-cc-00-05-04 700
	curl -s -I -H 'x-ESP32-version: 1.0.0' -o /dev/null "$BASE_URL/esp32/firmware/aa-bb-cc-00-05-04.bin"
	call GET /api/configs/aa:bb:cc:00:05:04/firmware
	assert_json '[.state,.running,.target,.download.version]' '["failed","1.0.0","1.1.0","1.1.0"]'
	[ "$(jq -r .download.completed_at <<<"$body")" != null ]
	call GET /api/firmware/st
	assert_json .states '{"current":1,"behind":1,"downloading":1,"failed":1,"unknown":0}'
	assert_json '[.devices[].state]' '["behind","downloading","current","failed"]'
	call GET /api/firmware
	assert_json '.models[] | select(.model == "st") | [.devices, .states.failed, .target.version]' '[4,1,"1.1.0"]'
	assert_json '[.devices[] | select(.model == "st") | .mac_address]' '["aa-bb-cc-00-05-01","aa-bb-cc-00-05-02","aa-bb-cc-00-05-03","aa-bb-cc-00-05-04"]'
	metrics="$(curl -s "$BASE_URL/metrics")"
	grep -qx 'iot_firmware_devices{model="st",state="failed"} 1' <<<"$metrics"
	grep -qx 'iot_firmware_devices{model="st",state="current"} 1' <<<"$metrics"
	grep -qx 'iot_firmware_devices{model="st",state="downloading"} 1' <<<"$metrics"
	grep -qx 'iot_firmware_devices{model="st",state="behind"} 1' <<<"$metrics"
	grep -q '^iot_firmware_downloads_total{result="complete"} [1-9]' <<<"$metrics"
	grep -q '^iot_firmware_downloads_total{result="partial"} [1-9]' <<<"$metrics"
	grep -q '^iot_firmware_downloads_total{result="not_modified"} [1-9]' <<<"$metrics"
	# A device whose config names no model has no state; one without a config is not found.
	put_json aa:bb:cc:00:05:09 '{"content":{"deviceName":"plain"}}' >/dev/null
	call GET /api/configs/aa:bb:cc:00:05:09/firmware
	assert_json '[.model,.state]' '[null,null]'
	call GET /api/configs/aa:bb:cc:00:05:0a/firmware
	assert_error 404 RECORD_NOT_FOUND
}

@test "X-Sendfile: lighttpd sends the files, every answer as exact: ranges, 416, 304, a date condition answered by the responder" {
	iot_start FIRMWARE_SENDFILE=true
	seed_model sf
	fw_device aa:bb:cc:00:06:01 sf
	sha="$(fw_sha "$IMG/cam-1.0.bin")"
	ota "$BASE_URL/esp32/firmware/aa-bb-cc-00-06-01.bin" --cut-at 50000 --out "$BATS_TEST_TMPDIR/got.bin"
	[ "$(ota_field .result)" = '"downloaded"' ]
	cmp "$BATS_TEST_TMPDIR/got.bin" "$IMG/cam-1.0.bin"
	arduino "$BASE_URL/esp32/firmware/aa-bb-cc-00-06-01.bin" --mac AA:BB:CC:00:06:01 --version 0.1 --out "$BATS_TEST_TMPDIR/ard.bin"
	cmp "$BATS_TEST_TMPDIR/ard.bin" "$IMG/cam-1.0.bin"
	u=/esp32/firmware/sf/1.0.0.bin
	hdrs="$BATS_TEST_TMPDIR/h"
	code="$(curl -s -D "$hdrs" -o "$BATS_TEST_TMPDIR/part" -w '%{http_code}' -H 'Range: bytes=100-199' "$BASE_URL$u")"
	[ "$code" = 206 ]
	[ "$(header ETag)" = "\"$sha\"" ]
	[ "$(header Content-Range)" = 'bytes 100-199/300000' ]
	# lighttpd sent the file: it dates what it sends from the file, where
	# the responder's own answers carry no Last-Modified.
	[ -n "$(header Last-Modified)" ]
	cmp "$BATS_TEST_TMPDIR/part" <(tail -c +101 "$IMG/cam-1.0.bin" | head -c 100)
	call GET "$u" -H 'Range: bytes=400000-'
	assert_error 416 RANGE_NOT_SATISFIABLE
	call GET "$u" -H "If-None-Match: \"$sha\""
	assert_code 304
	# If-Modified-Since in the future: the responder answers (the device's
	# target is not as old as the file), the whole image, not lighttpd's 304.
	code="$(curl -s -D "$hdrs" -o "$BATS_TEST_TMPDIR/ims" -w '%{http_code}' -H 'If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT' "$BASE_URL/esp32/firmware/aa-bb-cc-00-06-01.bin")"
	[ "$code" = 200 ]
	cmp "$BATS_TEST_TMPDIR/ims" "$IMG/cam-1.0.bin"
	[ -z "$(header Content-Encoding)" ]
	[ -z "$(header Transfer-Encoding)" ]
	grep -q 'iot_firmware_downloads_total{result="complete"} [1-9]' <(curl -s "$BASE_URL/metrics")
}

@test "two instances on one directory: an upload on one is served by the other, a target set on either holds on both, concurrent uploads keep the bound" {
	dir="$CONFIG_DIR"
	a="$BASE_URL"
	iot_start FIRMWARE_KEEP=3 ESP32_CONFIGS_DIR="$dir" CONFIG_DIR="$dir"
	b="$BASE_URL"
	BASE_URL="$a"
	fw_upload two 1.0.0 "$IMG/cam-1.0.bin"
	assert_code 201
	fw_device aa:bb:cc:00:07:01 two
	BASE_URL="$b"
	fw_target two '{"version":"1.0.0","canary":null}'
	assert_code 200
	curl -s "$a/esp32/firmware/aa-bb-cc-00-07-01.bin" | cmp - "$IMG/cam-1.0.bin"
	curl -s "$b/esp32/firmware/aa-bb-cc-00-07-01.bin" | cmp - "$IMG/cam-1.0.bin"
	# Both at once, different versions, through different instances.
	curl -s -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$IMG/cam-1.1.bin" "$a/api/firmware/two/versions/1.1.0" &
	p1=$!
	curl -s -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$IMG/cam-1.2.bin" "$b/api/firmware/two/versions/1.2.0" &
	p2=$!
	curl -s -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$IMG/cam-1.3.bin" "$a/api/firmware/two/versions/1.3.0" &
	p3=$!
	wait "$p1" "$p2" "$p3"
	call GET /api/firmware/two
	assert_json '.versions | length' 3
	assert_json '[.versions[].version] | index("1.0.0") != null' true
	[ "$(ls "$dir/.firmware/two" | grep -c '\.meta$')" -eq 3 ]
	[ "$(ls "$dir/.firmware/two" | grep -c '\.bin$')" -eq 3 ]
	[ -z "$(ls -a "$dir/.firmware/two" | grep '\.tmp$')" ]
	# The newest kept upload (the three raced: which one went is theirs to decide).
	newest="$(jq -r '.versions[0].version' <<<"$body")"
	[ "$newest" != 1.0.0 ]
	fw_target two "{\"version\":\"$newest\",\"canary\":null}"
	assert_code 200
	curl -s "$a/esp32/firmware/aa-bb-cc-00-07-01.bin" | cmp - "$IMG/cam-${newest%.0}.bin"
}

@test "with AUTH_READS, update clients fetch images and manifests without credentials; the firmware API and uploads need them" {
	htpasswd -cbB "$BATS_TEST_TMPDIR/htpasswd" alice 'pw here' 2>/dev/null
	IOT_PROBE_AUTH='alice:pw here' iot_start AUTH_USERS_FILE="$BATS_TEST_TMPDIR/htpasswd" AUTH_READS=true
	fw_upload auth 1.0.0 "$IMG/cam-1.0.bin"
	assert_code 401
	[ ! -e "$CONFIG_DIR/.firmware/auth" ]
	fw_upload auth 1.0.0 "$IMG/cam-1.0.bin" -u 'alice:pw here'
	assert_code 201
	call PUT /api/firmware/auth/target -H 'Content-Type: application/json' --data-binary '{"version":"1.0.0"}'
	assert_code 401
	call PUT /api/firmware/auth/target -u 'alice:pw here' -H 'Content-Type: application/json' --data-binary '{"version":"1.0.0"}'
	assert_code 200
	put_json aa:bb:cc:00:08:01 '{"content":{"deviceModel":"auth"}}' -u 'alice:pw here'
	assert_code 200
	call GET /api/firmware
	assert_code 401
	call GET /api/configs/aa-bb-cc-00-08-01/firmware
	assert_code 401
	curl -sf "$BASE_URL/esp32/firmware/aa-bb-cc-00-08-01.bin" | cmp - "$IMG/cam-1.0.bin"
	curl -sf "$BASE_URL/esp32/firmware/auth/1.0.0.bin" | cmp - "$IMG/cam-1.0.bin"
	call GET /esp32/firmware/auth/manifest.json
	assert_code 200
	call GET /esp32/firmware/aa-bb-cc-00-08-01.json
	assert_code 200
	call GET /api/configs/aa-bb-cc-00-08-01/firmware -u 'alice:pw here'
	assert_json '[.state,.running]' '["current","1.0.0"]'
}
