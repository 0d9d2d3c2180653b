#!/usr/bin/env bats
# tests/web/firmware.bats: the page's firmware view in Debian's Chromium
# (firmware.mjs, through the pinned playwright-core), on one lighttpd for
# the file: images made by tests/firmware/fwtool.py are uploaded through
# the file input and found on disk byte for byte, a damaged one refused
# with the service's error, a target and a canary set by clicking; then,
# after device fetches made here like an update client's, each device's
# state in the fleet table, the model's counts and the device view's line.

load ../e2e/helpers
load ../firmware/firmware

setup_file() {
	[ -f "$IOT_ROOT/tools/node_modules/playwright-core/package.json" ] || {
		echo "npm packages missing: run make deps" >&2
		return 1
	}
	iot_start_file
	local img="$BATS_FILE_TMPDIR/img" n
	mkdir -p "$img"
	fw_image "$img/1.0.bin" 1.0.0 --size 60000 --seed 1
	fw_image "$img/1.1.bin" 1.1.0 --size 61000 --seed 2
	fw_image "$img/bad.bin" 1.2.0 --size 60000 --damage bad-checksum
	timeout 120 node "$IOT_ROOT/tests/web/firmware.mjs" upload "$BASE_URL" "$CONFIG_DIR" \
		"$img/1.0.bin" "$img/1.1.bin" "$img/bad.bin" >"$BATS_FILE_TMPDIR/upload.out" 2>&1 || true
	# Three devices of model cam: 01 (the canary) downloads 1.1.0 and
	# reports it; 02 reports 0.9.0 and only asks (HEAD); 03 reports 0.9.0
	# and takes the first 4 KiB.
	for n in 1 2 3; do fw_device "aa:bb:cc:00:50:0$n" cam; done
	curl -s -o /dev/null -H 'x-ESP32-version: 1.1.0' "$BASE_URL/esp32/firmware/aa-bb-cc-00-50-01.bin"
	curl -s -o /dev/null -I -H 'x-ESP32-version: 0.9.0' "$BASE_URL/esp32/firmware/aa-bb-cc-00-50-02.bin"
	curl -s -o /dev/null -r 0-4095 -H 'X-Firmware-Version: 0.9.0' "$BASE_URL/esp32/firmware/aa-bb-cc-00-50-03.bin"
	timeout 120 node "$IOT_ROOT/tests/web/firmware.mjs" states "$BASE_URL" "$CONFIG_DIR" \
		>"$BATS_FILE_TMPDIR/states.out" 2>&1 || true
}

teardown_file() {
	iot_stop_file
}

# flow STAGE NAME: the driver reported NAME as passed in that stage.
flow() {
	grep -qxF "ok $2" "$BATS_FILE_TMPDIR/$1.out" || {
		cat "$BATS_FILE_TMPDIR/$1.out" >&2
		return 1
	}
}

@test "an image uploaded through the page is kept byte for byte, its version read from the image" {
	flow upload 'an image uploaded through the page is kept byte for byte, its version read from the image'
}

@test "a damaged image is refused with the service's error, nothing kept" {
	flow upload "a damaged image is refused with the service's error, nothing kept"
}

@test "making a version the target, then a canary, writes them; the model row shows both" {
	flow upload 'making a version the target, then a canary, writes them; the model row shows both'
	grep -qx 'no console errors' "$BATS_FILE_TMPDIR/upload.out"
}

@test "each device's model, target, running version and state show in the fleet table" {
	flow states "each device's model, target, running version and state show in the fleet table"
}

@test "the device view shows the device's firmware and links to its model" {
	flow states "the device view shows the device's firmware and links to its model"
	grep -qx 'all flows passed' "$BATS_FILE_TMPDIR/states.out"
}
