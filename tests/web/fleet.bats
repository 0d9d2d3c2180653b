#!/usr/bin/env bats
# tests/web/fleet.bats: the page's fleet flows in a real browser: select
# devices, "Change selected…" (a value by path, a removal, a merge patch),
# the preview with each device's diff, apply with a device changed
# meanwhile reported and kept, Undo, the recent changes, search inside
# configs from the filter box, Export and Import with its dry-run table,
# and the devices that asked for a config and have none. One lighttpd for
# the file; fleet.mjs drives Debian's Chromium (playwright-core) through
# every flow once and checks the files on disk; each test checks its line.

load helpers

ARTIFACTS="$IOT_ROOT/build/test-artifacts/web-fleet"

setup_file() {
	web_need_npm || return 1
	iot_start_file
	local i
	for i in 0 1 2 3; do
		printf '{\n  "deviceName": "room %d",\n  "mqtt": {\n    "broker": "10.0.0.1",\n    "port": 1883,\n    "keepalive": 0.50\n  }\n}\n' \
			"$i" >"$CONFIG_DIR/cc-00-00-00-00-0$i.json"
	done
	printf '{"deviceName":"garage","mqtt":{"broker":"10.77.1.9","port":1883}}\n' >"$CONFIG_DIR/cc-00-00-00-00-10.json"
	# Two devices that ask for their config before they have one.
	curl -s -o /dev/null -A 'ESP32HTTPClient' "$BASE_URL/api/configs/cc-00-00-00-00-99.json"
	curl -s -o /dev/null -A 'ESP32HTTPClient' "$BASE_URL/esp32/config/cc-00-00-00-00-98.json"
	# The archive to import: one new device, one changed, one the same, one invalid.
	mkdir -p "$BATS_FILE_TMPDIR/import"
	printf '{"deviceName":"new one"}\n' >"$BATS_FILE_TMPDIR/import/CC:00:00:00:00:20.json"
	printf '{"deviceName":"garage","mqtt":{"broker":"10.77.1.10","port":1883}}\n' >"$BATS_FILE_TMPDIR/import/cc-00-00-00-00-10.json"
	cp "$CONFIG_DIR/cc-00-00-00-00-03.json" "$BATS_FILE_TMPDIR/import/"
	printf '{"broken":' >"$BATS_FILE_TMPDIR/import/cc-00-00-00-00-21.json"
	tar -czf "$BATS_FILE_TMPDIR/import.tar.gz" -C "$BATS_FILE_TMPDIR/import" .
	web_artifacts
	web_drive 240 fleet "$BASE_URL" "$CONFIG_DIR" "$ARTIFACTS" "$BATS_FILE_TMPDIR/import.tar.gz"
}

teardown_file() {
	iot_stop_file
}

@test "devices are selected one by one, and all the filter shows at once" {
	flow 'devices are selected one by one, and all the filter shows at once'
}

@test "Change selected… previews each device's diff and writes nothing" {
	flow "Change selected… previews each device's diff and writes nothing"
}

@test "Apply writes what was previewed; a device changed meanwhile is reported and keeps its bytes" {
	flow 'Apply writes what was previewed; a device changed meanwhile is reported and keeps its bytes'
}

@test "Undo puts the previous versions back byte for byte and leaves the edited device alone" {
	flow 'Undo puts the previous versions back byte for byte and leaves the edited device alone'
}

@test "the recent changes list the change and its undo, each with Undo" {
	flow 'the recent changes list the change and its undo, each with Undo'
}

@test "a merge patch and a removal by path from the dialog" {
	flow 'a merge patch and a removal by path from the dialog'
}

@test "the filter box finds a config by a value inside it" {
	flow 'the filter box finds a config by a value inside it'
}

@test "Export downloads every config exactly as stored" {
	flow 'Export downloads every config exactly as stored'
}

@test "Import shows new, changed, unchanged and invalid before writing, then imports, and Undo takes it back" {
	flow 'Import shows new, changed, unchanged and invalid before writing, then imports, and Undo takes it back'
}

@test "devices that asked and have no config are listed; Create and Copy from… make one" {
	flow 'devices that asked and have no config are listed; Create and Copy from… make one'
}

@test "the fleet views pass the accessibility check and fit at phone width" {
	flow 'the fleet views pass the accessibility check and fit at phone width'
}

@test "every request went to the test's own host, and the page logged no error" {
	flow "every request went to the test's own host, and the page logged no error"
}

@test "the driver ran every flow and reported no failure" {
	grep -qx 'all flows passed' "$WEB_OUT" || {
		cat "$WEB_OUT" >&2
		return 1
	}
	[ "$(grep -c '^ok ' "$WEB_OUT")" -eq "$(grep -c '^@test' "$BATS_TEST_FILENAME" | awk '{print $1 - 1}')" ]
}
