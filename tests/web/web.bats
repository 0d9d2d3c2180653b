#!/usr/bin/env bats
# tests/web/web.bats: the web page (web/) in a real browser. One lighttpd
# with the responder for the whole file; drive.mjs takes Debian's
# Chromium (headless, through the pinned playwright-core) through every
# flow once, in one browser, and each test below checks that flow's line
# of its output. Screenshots of the list, the editor and the conflict
# dialog at desktop and phone width land in build/test-artifacts/web/.

load helpers

ARTIFACTS="$IOT_ROOT/build/test-artifacts/web"

setup_file() {
	web_need_npm || return 1
	iot_start_file
	local n name entity ota
	for n in 1 2 3; do
		name=(x kitchen hall attic)
		ota=(x true false false)
		printf '{\n  "deviceName": "%s",\n  "deviceEntityId": "light.%s",\n  "enableOTA": %s\n}\n' \
			"${name[$n]}" "${name[$n]}" "${ota[$n]}" >"$CONFIG_DIR/aa-bb-cc-00-00-0$n.json"
	done
	web_artifacts
	web_drive 240 drive "$BASE_URL" "$CONFIG_DIR" "$ARTIFACTS"
}

teardown_file() {
	iot_stop_file
}

@test "/ redirects to the page, which lists the seeded configs with their count" {
	flow '/ redirects to the page, which lists the seeded configs with their count'
}

@test "assets have versioned URLs cached for a year" {
	flow 'assets have versioned URLs cached for a year'
}

@test "the filter matches a MAC in any form, a name and an entity id as one types" {
	flow 'the filter matches a MAC in any form, a name and an entity id as one types'
}

@test "sorting by a column, with the keyboard, is remembered across visits" {
	flow 'sorting by a column, with the keyboard, is remembered across visits'
}

@test "opening a device shows its file exactly, its URL and a curl command, neither read noted as a device fetch" {
	flow 'opening a device shows its file exactly, its URL and a curl command, neither read noted as a device fetch'
}

@test "live validation points at the line and column of a syntax error" {
	flow 'live validation points at the line and column of a syntax error'
}

@test "save sends If-Match and the file on disk becomes exactly the text" {
	flow 'save sends If-Match and the file on disk becomes exactly the text'
}

@test "the service's VALIDATION_FAILED is shown next to the editor with code and correlationId" {
	flow "the service's VALIDATION_FAILED is shown next to the editor with code and correlationId"
}

@test "a 412 shows the conflict; the other version can be seen and overwritten deliberately" {
	flow 'a 412 shows the conflict; the other version can be seen and overwritten deliberately'
}

@test "after a 412, reload discards the edits and shows the other version" {
	flow 'after a 412, reload discards the edits and shows the other version'
}

@test "create with a colon-form MAC: shown canonical, saved with If-None-Match: *" {
	flow 'create with a colon-form MAC: shown canonical, saved with If-None-Match: *'
}

@test "creating a MAC that has a config says so and changes nothing" {
	flow 'creating a MAC that has a config says so and changes nothing'
}

@test "duplicate copies a config to a new MAC" {
	flow 'duplicate copies a config to a new MAC'
}

@test "delete asks, naming the device, and removes the file" {
	flow 'delete asks, naming the device, and removes the file'
}

@test "history restores a deleted config in one click" {
	flow 'history restores a deleted config in one click'
}

@test "history shows a diff of any two versions" {
	flow 'history shows a diff of any two versions'
}

@test "a failed request shows error, code and correlationId" {
	flow 'a failed request shows error, code and correlationId'
}

@test "phone width: list, editor and conflict dialog fit and stay usable" {
	flow 'phone width: list, editor and conflict dialog fit and stay usable'
}

@test "device fetches: a \"Last fetch\" column with an \"old version\" mark where the service reports them, none where it answers 404" {
	flow 'device fetches: a "Last fetch" column with an "old version" mark where the service reports them, none where it answers 404'
}

@test "10,000 configs: the list renders and a filter keystroke updates it within the bounds" {
	flow '10,000 configs: the list renders and a filter keystroke updates it within the bounds'
	grep '^timing ' "$WEB_OUT" >&3
}

@test "every request went to the test's own host, and the page logged no error" {
	flow "every request went to the test's own host, and the page logged no error"
}

@test "screenshots of the list, editor and conflict dialog at desktop and phone width were written" {
	local s
	for s in list-desktop editor-desktop conflict-desktop list-phone editor-phone conflict-phone; do
		[ -s "$ARTIFACTS/$s.png" ] || { echo "missing $s.png" >&2; return 1; }
	done
}

@test "the page's requests are counted under their own route labels" {
	call GET /metrics
	assert_code 200
	local route
	for route in '/' '/ui/' '/ui/{version}/{asset}'; do
		grep -q "^iot_config_http_requests_total{method=\"GET\",route=\"$route\",code=\"[23]0[02]\"} [1-9]" \
			"$IOT_TMP/last.body" || { echo "no count for $route" >&2; return 1; }
	done
}

@test "the driver ran every flow and reported no failure" {
	grep -qx 'all flows passed' "$WEB_OUT" || {
		cat "$WEB_OUT" >&2
		return 1
	}
	[ "$(grep -c '^ok ' "$WEB_OUT")" -eq "$(grep -c '^@test' "$BATS_TEST_FILENAME" | awk '{print $1 - 3}')" ]
}
