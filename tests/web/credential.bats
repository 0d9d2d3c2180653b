#!/usr/bin/env bats
# tests/web/credential.bats: a device's secret on the web page
# (web/credential.js), with DEVICE_AUTH=per-device and the web server's
# credentials for admin routes (conf/lighttpd.conf, AUTH_USERS_FILE and
# AUTH_READS=true), in one lighttpd for the file. Driven by credential.mjs
# in Debian's Chromium; each test checks one flow's line of its output.

load ../e2e/helpers

setup_file() {
	[ -f "$IOT_ROOT/tools/node_modules/playwright-core/package.json" ] || {
		echo "npm packages missing: run make deps" >&2
		return 1
	}
	local dir="$BATS_FILE_TMPDIR/credential"
	mkdir -p "$dir"
	htpasswd -cbB "$dir/htpasswd" alice 's3cret word' 2>/dev/null
	IOT_PROBE_AUTH='alice:s3cret word' iot_start_file DEVICE_AUTH=per-device \
		AUTH_USERS_FILE="$dir/htpasswd" AUTH_READS=true
	printf '{\n  "deviceName": "kitchen",\n  "wifiPassword": "hunter2"\n}\n' >"$CONFIG_DIR/aa-bb-cc-00-00-01.json"
	printf '{\n  "deviceName": "hall"\n}\n' >"$CONFIG_DIR/aa-bb-cc-00-00-02.json"
	timeout 180 node "$IOT_ROOT/tests/web/credential.mjs" "$BASE_URL" "$CONFIG_DIR" alice 's3cret word' \
		>"$BATS_FILE_TMPDIR/credential.out" 2>&1 || true
}

teardown_file() {
	iot_stop_file
}

flow() {
	grep -qxF "ok $1" "$BATS_FILE_TMPDIR/credential.out" || {
		cat "$BATS_FILE_TMPDIR/credential.out" >&2
		return 1
	}
}

@test "the list shows the mode and a Secret column" {
	flow 'the list shows the mode and a Secret column'
}

@test "making a secret shows it once with the URL and user, each copied by its button" {
	flow 'making a secret shows it once with the URL and user, each copied by its button'
}

@test "the device fetches with exactly the values shown, and not without them" {
	flow 'the device fetches with exactly the values shown, and not without them'
}

@test "rotating asks first; the old secret works until the device uses the new one" {
	flow 'rotating asks first; the old secret works until the device uses the new one'
}

@test "revoking asks first and opens the device again (per-device)" {
	flow 'revoking asks first and opens the device again (per-device)'
	grep -qx 'all flows passed' "$BATS_FILE_TMPDIR/credential.out"
}
