#!/usr/bin/env bats
# tests/web/defects.bats: what a newcomer found wrong with the page, each
# checked in a real browser at desktop width in light mode and at phone
# width (390x844) in dark mode. One lighttpd with the responder for the
# whole file; defects.mjs takes Debian's Chromium (headless, through the
# pinned playwright-core) through every flow in both setups, in one
# browser, seeding its own schema and configs; each test below checks
# that flow's lines of its output. Screenshots of the list, the device
# page and the dialogs in both setups land in
# build/test-artifacts/web/defects/.

load helpers

ARTIFACTS="$IOT_ROOT/build/test-artifacts/web/defects"
SETUPS=("desktop, light" "phone, dark")

setup_file() {
	web_need_npm || return 1
	iot_start_file
	web_artifacts
	web_drive 480 defects "$BASE_URL" "$CONFIG_DIR" "$ARTIFACTS"
}

teardown_file() {
	iot_stop_file
}

# flow NAME: the driver reported NAME as passed in both setups.
flow() {
	local s
	for s in "${SETUPS[@]}"; do
		if ! grep -qxF "ok $1 ($s)" "$WEB_OUT"; then
			grep -F "$1 ($s)" "$WEB_OUT" >&2 || cat "$WEB_OUT" >&2
			return 1
		fi
	done
}

@test "the tab title names the page and the device, desktop and phone" {
	flow 'the tab title names the page and the device'
}

@test "MACs sort as the API sorts them, desktop and phone" {
	flow 'MACs sort as the API sorts them'
}

@test "an empty filter result says so, desktop and phone" {
	flow 'an empty filter result says so'
}

@test "the list marks configs that do not match their schema, desktop and phone" {
	flow 'the list marks configs that do not match their schema'
}

@test "the device page shows which schema applies and its verdict, desktop and phone" {
	flow 'the device page shows which schema applies and its verdict'
}

@test "the device page shows the last fetch and whether the device holds the current version, desktop and phone" {
	flow 'the device page shows the last fetch and whether the device holds the current version'
}

@test "the list has an \"outdated only\" filter with a count, desktop and phone" {
	flow 'the list has an "outdated only" filter with a count'
}

@test "after Save the confirmation is in view, and a later refusal leaves no \"Saved\", desktop and phone" {
	flow 'after Save the confirmation is in view, and a later refusal leaves no "Saved"'
}

@test "Go to the error scrolls the error into view, desktop and phone" {
	flow 'Go to the error scrolls the error into view'
}

@test "the heading keeps the device name while the JSON is invalid, desktop and phone" {
	flow 'the heading keeps the device name while the JSON is invalid'
}

@test "a repeated key is flagged in the editor and not saved, desktop and phone" {
	flow 'a repeated key is flagged in the editor and not saved'
}

@test "Duplicate asks for the new MAC, name, entity id and host names first, desktop and phone" {
	flow 'Duplicate asks for the new MAC, name, entity id and host names first'
}

@test "New config says \"already exists\" with a link as the MAC is typed, desktop and phone" {
	flow 'New config says "already exists" with a link as the MAC is typed'
}

@test "New config and the filter take 240AC4991234: one MAC parser, desktop and phone" {
	flow 'New config and the filter take 240AC4991234: one MAC parser'
}

@test "after Delete the editor shows no error, desktop and phone" {
	flow 'after Delete the editor shows no error'
}

@test "Restore asks first, desktop and phone" {
	flow 'Restore asks first'
}

@test "history shows readable versions and times to the second, desktop and phone" {
	flow 'history shows readable versions and times to the second'
}

@test "every dialog and the history table fit the screen and pass axe-core, desktop and phone" {
	flow 'every dialog and the history table fit the screen and pass axe-core'
}

@test "every request went to the test's own host; no page error and no CSP violation, desktop and phone" {
	flow "every request went to the test's own host; no page error and no CSP violation"
}

@test "the driver ran every flow in both setups and reported no failure" {
	grep -qx 'all flows passed' "$WEB_OUT" || {
		cat "$WEB_OUT" >&2
		return 1
	}
	local want
	want=$(($(grep -c '^@test' "$BATS_TEST_FILENAME") - 1))
	[ "$(grep -c '^ok ' "$WEB_OUT")" -eq $((want * 2)) ]
	grep -qx "flows run: $((want * 2))" "$WEB_OUT"
}
