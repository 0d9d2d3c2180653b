#!/usr/bin/env bats
# tests/firmware/servers.bats: the same firmware, uploaded and fetched by
# the three kinds of update client, under every way the responder runs
# besides lighttpd's FastCGI (firmware.bats): lighttpd's plain CGI, Apache
# with mod_fcgid streaming the image itself, Apache with mod_fcgid and
# mod_xsendfile sending it, and Apache's plain CGI (mod_cgid). Every
# download is compared byte for byte with the upload, the headers the
# clients read are checked, and the device's state is read back. With
# DEVICE_AUTH, a device's secret reaches the responder on the firmware
# routes under lighttpd's CGI and Apache.

load ../e2e/helpers
load ../deploy/servers
load firmware

setup_file() {
	export IMG="$BATS_FILE_TMPDIR/img"
	mkdir -p "$IMG"
	fw_image "$IMG/1.0.bin" 1.0.0 --size 200000 --seed 1
	fw_image "$IMG/1.1.bin" 1.1.0 --size 210000 --seed 2
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	deploy_cleanup_dirs
}

# clients MAC [cgid]: upload two versions of model "srv", target 1.1.0 for MAC's
# config, then esp_https_ota (chunks, a cut, resumed), HTTPUpdate and an
# ESPHome manifest fetch, each download the upload's exact bytes. "cgid":
# Apache's plain CGI, whose HEAD answers lose their length (so Range
# chunks are fetched without the HEAD esp_https_ota starts with); the
# GETs go out by mod_xsendfile.
clients() {
	local mac="$1" cgid="${2:-}" url sha
	fw_upload srv 1.0.0 "$IMG/1.0.bin"
	assert_code 201
	fw_upload srv 1.1.0 "$IMG/1.1.bin"
	assert_code 201
	cmp "$CONFIG_DIR/.firmware/srv/$(fw_sha "$IMG/1.1.bin").bin" "$IMG/1.1.bin"
	fw_target srv '{"version":"1.1.0","canary":null}'
	assert_code 200
	fw_device "$mac" srv
	url="$BASE_URL/esp32/firmware/$mac.bin"
	sha="$(fw_sha "$IMG/1.1.bin")"
	call HEAD "/esp32/firmware/$mac.bin" -I
	assert_code 200
	if [ -z "$cgid" ]; then
		[ "$(header Content-Length)" = "$(stat -c %s "$IMG/1.1.bin")" ]
	else
		# Apache's plain CGI drops the responder's Content-Length from a
		# HEAD answer (docs/firmware.md): it is right or absent, never wrong.
		[ -z "$(header Content-Length)" ] || [ "$(header Content-Length)" = "$(stat -c %s "$IMG/1.1.bin")" ]
	fi
	[ "$(header ETag)" = "\"$sha\"" ]
	[ "$(header X-Firmware-Version)" = 1.1.0 ]
	[ -z "$(header Content-Encoding)" ]
	if [ -z "$cgid" ]; then
		ota "$url" --chunk 4096 --cut-at 30000 --out "$BATS_TEST_TMPDIR/ota.bin" --header 'Accept-Encoding: gzip, deflate'
		[ "$ota_status" -eq 0 ]
		[ "$(ota_field .result)" = '"downloaded"' ]
		[ "$(ota_field .version)" = '"1.1.0"' ]
		[ "$(ota_field .reconnects)" = 1 ]
		cmp "$BATS_TEST_TMPDIR/ota.bin" "$IMG/1.1.bin"
		ota "$url" --running 1.1.0
		[ "$(ota_field .result)" = '"current"' ]
	else
		# The same chunks without the HEAD: two of 4 KiB, then the rest.
		{
			curl -sf -r 0-4095 -H 'Accept-Encoding: gzip' "$url"
			curl -sf -r 4096-8191 "$url"
			curl -sf -r 8192- "$url"
		} >"$BATS_TEST_TMPDIR/ota.bin"
		[ "$(curl -s -D - -o /dev/null -r 8192- "$url" | tr -d '\r' | grep -ci '^transfer-encoding')" = 0 ]
		cmp "$BATS_TEST_TMPDIR/ota.bin" "$IMG/1.1.bin"
	fi
	arduino "$url" --mac "${mac^^}" --version 1.0.0 --out "$BATS_TEST_TMPDIR/ard.bin"
	[ "$(ota_field .result)" = '"updated"' ]
	[ "$(ota_field .x_md5)" = "\"$(fw_md5 "$IMG/1.1.bin")\"" ]
	cmp "$BATS_TEST_TMPDIR/ard.bin" "$IMG/1.1.bin"
	arduino "$url" --mac "${mac^^}" --version 1.1.0
	[ "$(ota_field .result)" = '"no-updates"' ]
	call GET /esp32/firmware/srv/manifest.json
	assert_code 200
	assert_json '[.version,.builds[0].ota.path,.builds[0].ota.sha256]' "[\"1.1.0\",\"/esp32/firmware/srv/1.1.0.bin\",\"$sha\"]"
	curl -s -H 'Accept-Encoding: gzip' "$BASE_URL/esp32/firmware/srv/1.1.0.bin" | cmp - "$IMG/1.1.bin"
	curl -s -H 'Range: bytes=100-199' "$BASE_URL/esp32/firmware/srv/1.0.0.bin" | cmp - <(tail -c +101 "$IMG/1.0.bin" | head -c 100)
	call GET /esp32/firmware/srv/1.0.0.bin -H 'Range: bytes=900000-'
	assert_error 416 RANGE_NOT_SATISFIABLE
	wait_for fw_view_is "$mac" '[.state,.running,.target]' '["current","1.1.0","1.1.0"]'
}

# sender MAC: who sent a kept image's bytes, "server" (X-Sendfile: the web
# server dates the file it sends, Last-Modified) or "responder" (its own
# answers carry none).
sender() {
	curl -s -D "$BATS_TEST_TMPDIR/sender.h" -o /dev/null -H 'Range: bytes=0-9' "$BASE_URL/esp32/firmware/srv/1.1.0.bin"
	grep -q '^HTTP/1.1 206' "$BATS_TEST_TMPDIR/sender.h" || { echo "no 206" >&2; return 1; }
	if grep -qi '^Last-Modified:' "$BATS_TEST_TMPDIR/sender.h"; then echo server; else echo responder; fi
}

@test "lighttpd, plain CGI (conf/lighttpd-cgi.conf): uploads kept, every client served the exact bytes" {
	server_start lighttpd-cgi
	clients aa-bb-cc-00-30-01
	[ "$(sender)" = responder ]
}

@test "Apache with mod_fcgid, the responder streaming: every client served the exact bytes, never compressed" {
	server_start apache-fcgid FIRMWARE_SENDFILE=false
	clients aa-bb-cc-00-30-02
	[ "$(sender)" = responder ]
}

@test "Apache with mod_fcgid and mod_xsendfile sending the files: every client served the exact bytes, ranges exact" {
	server_start apache-fcgid FIRMWARE_SENDFILE=true
	clients aa-bb-cc-00-30-03
	[ "$(sender)" = server ]
	grep -q 'iot_firmware_downloads_total{result="complete"} [1-9]' <(curl -s "$BASE_URL/metrics")
}

@test "Apache, plain CGI (mod_cgid) with mod_xsendfile: uploads kept, every client served the exact bytes with their length" {
	# Apache drops a CGI's Content-Length and chunks its body: only the
	# file Apache sends itself keeps an exact length (docs/firmware.md).
	server_start apache-cgid FIRMWARE_SENDFILE=true
	clients aa-bb-cc-00-30-04 cgid
	[ "$(sender)" = server ]
}

# secrets KIND [settings]: DEVICE_AUTH=per-device under KIND, admins with
# the web server's credentials (as tests/deploy/device_auth.bash gives
# them); a device with a secret gets its image and its model's image with
# it (Bearer, Basic), never without it.
secrets() {
	local kind="$1" d secret mac=aa-bb-cc-00-30-11 admin=(-u 'alice:pw here')
	shift
	d="$(deploy_tmpdir)"
	htpasswd -cbB "$d/htpasswd" alice 'pw here' 2>/dev/null
	chmod 644 "$d/htpasswd"
	case "$kind" in
	apache-*) APACHE_CONFS=iotconfig-read-auth IOT_PROBE_AUTH='alice:pw here' server_start "$kind" DEVICE_AUTH=per-device HTPASSWD="$d/htpasswd" "$@" ;;
	*) IOT_PROBE_AUTH='alice:pw here' server_start "$kind" DEVICE_AUTH=per-device AUTH_USERS_FILE="$d/htpasswd" AUTH_READS=true "$@" ;;
	esac
	fw_upload sec 1.0.0 "$IMG/1.0.bin" "${admin[@]}"
	assert_code 201
	call PUT /api/firmware/sec/target "${admin[@]}" -H 'Content-Type: application/json' --data-binary '{"version":"1.0.0"}'
	assert_code 200
	put_json "$mac" '{"content":{"deviceModel":"sec"}}' "${admin[@]}"
	assert_code 200
	call POST "/api/configs/$mac/credential" "${admin[@]}" -H 'Content-Type: application/json' --data-binary ''
	assert_code 201
	secret="$(jq -er .secret <<<"$body")"
	call GET "/esp32/firmware/$mac.bin"
	assert_error 401 UNAUTHORIZED
	call GET /esp32/firmware/sec/1.0.0.bin -H "x-ESP32-STA-MAC: $mac"
	assert_error 401 UNAUTHORIZED
	curl -sf -H "Authorization: Bearer $secret" "$BASE_URL/esp32/firmware/$mac.bin" | cmp - "$IMG/1.0.bin"
	curl -sf -u "$mac:$secret" "$BASE_URL/esp32/firmware/sec/1.0.0.bin" | cmp - "$IMG/1.0.bin"
	curl -sf -u "$mac:$secret" -r 100-199 "$BASE_URL/esp32/firmware/sec/1.0.0.bin" | cmp - <(tail -c +101 "$IMG/1.0.bin" | head -c 100)
	call GET "/esp32/firmware/$mac.json" -u "$mac:$secret"
	assert_code 200
	assert_json .version '"1.0.0"'
}

@test "lighttpd, plain CGI, DEVICE_AUTH=per-device: a device's secret reaches the responder on its image, manifest and its model's image" {
	secrets lighttpd-cgi
}

@test "Apache with mod_fcgid and mod_xsendfile, DEVICE_AUTH=per-device: a device's secret reaches the responder on the firmware routes" {
	secrets apache-fcgid FIRMWARE_SENDFILE=true
}
