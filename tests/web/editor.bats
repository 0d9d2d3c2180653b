#!/usr/bin/env bats
# tests/web/editor.bats: the config editor (CodeMirror 6) in a real
# browser. One lighttpd with the responder for the whole file; editor.mjs
# takes Debian's Chromium (headless, through the pinned playwright-core)
# through each editor feature once, in one browser, seeding its own
# schemas and configs, and each test below checks that flow's line of its
# output. Screenshots land in build/test-artifacts/web/editor/.

load helpers

ARTIFACTS="$IOT_ROOT/build/test-artifacts/web/editor"

setup_file() {
	web_need_npm || return 1
	iot_start_file
	web_artifacts
	web_drive 300 editor "$BASE_URL" "$CONFIG_DIR" "$ARTIFACTS"
}

teardown_file() {
	iot_stop_file
}

@test "the editor highlights JSON, numbers its lines and folds an object" {
	flow 'the editor highlights JSON, numbers its lines and folds an object'
}

@test "Enter indents, Tab indents, and Esc then Tab moves on to the next control" {
	flow 'Enter indents, Tab indents, and Esc then Tab moves on to the next control'
}

@test "brackets are matched and closed" {
	flow 'brackets are matched and closed'
}

@test "Ctrl+F searches the config" {
	flow 'Ctrl+F searches the config'
}

@test "a syntax error is marked where it is, from the service's verdict" {
	flow "a syntax error is marked where it is, from the service's verdict"
}

@test "schema errors are marked at their place, through a \$ref to another schema" {
	flow 'schema errors are marked at their place, through a $ref to another schema'
}

@test "key completion from the schema, following a \$ref to another schema" {
	flow 'key completion from the schema, following a $ref to another schema'
}

@test "pointing at a key shows its help from the schema" {
	flow 'pointing at a key shows its help from the schema'
}

@test "the conflict dialog shows both versions in the merge view, and their change can be taken" {
	flow 'the conflict dialog shows both versions in the merge view, and their change can be taken'
}

@test "history differences are shown in the merge view, unchanged lines folded" {
	flow 'history differences are shown in the merge view, unchanged lines folded'
}

@test "at phone width the differences are one text, removed lines above added ones" {
	flow 'at phone width the differences are one text, removed lines above added ones'
}

@test "dark mode: the editor with its marks, completion and help is readable (axe-core)" {
	flow 'dark mode: the editor with its marks, completion and help is readable (axe-core)'
}

@test "the editor's style rules carry the page's CSP nonce, and nothing was blocked" {
	flow "the editor's style rules carry the page's CSP nonce, and nothing was blocked"
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
