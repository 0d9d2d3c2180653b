#!/usr/bin/env bats
# tests/e2e/modes.bats: the permissions of what the service writes. Configs
# (wrapped PUT, raw PUT, restore), their lock files and history entries are
# created with FILE_MODE (default 0640: never readable by others), as are
# the device fetch notes, whatever the web server's umask; a replaced
# config keeps a stricter mode set by hand and loses bits the setting does
# not grant; FILE_MODE=0600 makes everything owner-only; a world-writable
# FILE_MODE stops the responder at start with a message naming it.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	iot_cleanup_extra
}

# mode PATH: its permission bits, e.g. 640.
mode() {
	stat -c %a "$1"
}

# modes_under DIR: "mode name" for every file and directory below DIR, sorted.
modes_under() {
	find "$1" -mindepth 1 -printf '%m %P\n' | sort -k2
}

@test "PUT, raw PUT and restore write 0640 configs, locks and history under umask 000" {
	umask 000
	iot_start
	local mac=aa-00-00-00-16-01 mac2=aa-00-00-00-16-02
	put_json "$mac" '{"content":{"v":1}}'
	assert_code 200
	[ "$(mode "$CONFIG_DIR/$mac.json")" = 640 ]
	[ "$(mode "$CONFIG_DIR/.$mac.lock")" = 640 ]
	printf '{"v":2}' >"$IOT_TMP/v2"
	call PUT "/api/configs/$mac2.json" -H 'Content-Type: application/json' --data-binary "@$IOT_TMP/v2"
	assert_code 200
	cmp "$CONFIG_DIR/$mac2.json" "$IOT_TMP/v2"
	[ "$(mode "$CONFIG_DIR/$mac2.json")" = 640 ]
	call PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary "@$IOT_TMP/v2"
	assert_code 200
	[ "$(mode "$CONFIG_DIR/$mac.json")" = 640 ]
	call GET "/api/configs/$mac/history"
	assert_code 200
	rev="$(jq -r '.revisions[0].revision' <<<"$body")"
	call POST "/api/configs/$mac/history/$rev/restore" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_code 200
	[ "$(jq -c . "$CONFIG_DIR/$mac.json")" = '{"v":1}' ]
	[ "$(mode "$CONFIG_DIR/$mac.json")" = 640 ]
	call GET "/api/configs/$mac.json" # a device fetch: noted in .fetches
	assert_code 200
	wait_for test -f "$CONFIG_DIR/.fetches/$mac" # just after the answer
	# Nothing the service made is readable, let alone writable, by others.
	run modes_under "$CONFIG_DIR"
	echo "$output"
	grep -qx "640 .fetches/$mac" <<<"$output"
	grep -qx "750 .fetches" <<<"$output"
	[ "$(grep -c "^640 \.history/$mac/" <<<"$output")" = 2 ]
	grep -qx "750 .history" <<<"$output"
	grep -qx "750 .history/$mac" <<<"$output"
	run ! grep -Ev '^(640|750) ' <<<"$output"
}

@test "a replaced config keeps a stricter mode set by hand; a world-readable one is brought to 0640" {
	iot_start
	local mac=aa-00-00-00-16-03
	put_json "$mac" '{"content":{"v":1}}'
	assert_code 200
	chmod 600 "$CONFIG_DIR/$mac.json"
	put_json "$mac" '{"content":{"v":2}}'
	assert_code 200
	[ "$(jq -c . "$CONFIG_DIR/$mac.json")" = '{"v":2}' ]
	[ "$(mode "$CONFIG_DIR/$mac.json")" = 600 ]
	chmod 644 "$CONFIG_DIR/$mac.json"
	put_json "$mac" '{"content":{"v":3}}'
	assert_code 200
	[ "$(mode "$CONFIG_DIR/$mac.json")" = 640 ]
	# The 0644 version went to the history as a copy limited to 0640.
	run modes_under "$CONFIG_DIR/.history/$mac"
	echo "$output"
	run ! grep -v '^6[04]0 ' <<<"$output"
}

@test "FILE_MODE=0600: configs, locks and history are owner-only; directories 0700" {
	iot_start FILE_MODE=0600
	local mac=aa-00-00-00-16-04
	put_json "$mac" '{"content":{"v":1}}'
	assert_code 200
	printf '{"v":2}' >"$IOT_TMP/v2"
	call PUT "/api/configs/$mac.json" -H 'Content-Type: application/json' --data-binary "@$IOT_TMP/v2"
	assert_code 200
	call GET "/api/configs/$mac.json"
	assert_code 200
	wait_for test -f "$CONFIG_DIR/.fetches/$mac"
	run modes_under "$CONFIG_DIR"
	echo "$output"
	grep -qx "600 .fetches/$mac" <<<"$output"
	grep -qx "600 $mac.json" <<<"$output"
	grep -qx "600 .$mac.lock" <<<"$output"
	grep -qx "700 .history/$mac" <<<"$output"
	grep -q "^600 .history/$mac/.*\.json$" <<<"$output"
	run ! grep -Ev '^(600|700) ' <<<"$output"
}

@test "a world-writable FILE_MODE stops the responder at start, naming the setting" {
	run env FILE_MODE=0666 "$IOTCONFIG_BIN" --check
	[ "$status" = 78 ]
	[[ "$output" == *"FILE_MODE: '0666' lets anyone on the machine write"* ]]
	run env FILE_MODE=0640 "$IOTCONFIG_BIN" --check
	[ "$status" = 0 ]
	[ "$output" = "settings ok" ]
}
