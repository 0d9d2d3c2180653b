#!/usr/bin/env bats
# tests/web/editor.bats: the config editor (CodeMirror 6) in a real
# browser. One lighttpd with the responder for the whole file; editor.mjs
# takes Debian's Chromium (headless, through the pinned playwright-core)
# through each editor feature once, in one browser, seeding its own
# schemas and configs, and each test below checks that flow's line of its
# output. Screenshots land in build/test-artifacts/web/editor/.

load ../e2e/helpers

ARTIFACTS="$IOT_ROOT/build/test-artifacts/web/editor"

setup_file() {
	local tools="$IOT_ROOT/tools/node_modules"
	if [ ! -f "$tools/playwright-core/package.json" ] || [ ! -f "$tools/axe-core/axe.min.js" ]; then
		echo "npm packages missing in $tools: run make deps" >&2
		return 1
	fi
	iot_start_file
	rm -rf "$ARTIFACTS"
	mkdir -p "$ARTIFACTS"
	# One bounded run for every flow; a hang fails the file, not the suite.
	timeout 300 node "$IOT_ROOT/tests/web/editor.mjs" "$BASE_URL" "$CONFIG_DIR" "$ARTIFACTS" \
		>"$BATS_FILE_TMPDIR/editor.out" 2>&1 || true
	cp "$BATS_FILE_TMPDIR/editor.out" "$ARTIFACTS/editor.out"
}

teardown_file() {
	iot_stop_file
}

# flow NAME: the driver reported NAME as passed.
flow() {
	if ! grep -qxF "ok $1" "$BATS_FILE_TMPDIR/editor.out"; then
		cat "$BATS_FILE_TMPDIR/editor.out" >&2
		return 1
	fi
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
	grep -qx 'all flows passed' "$BATS_FILE_TMPDIR/editor.out" || {
		cat "$BATS_FILE_TMPDIR/editor.out" >&2
		return 1
	}
	[ "$(grep -c '^ok ' "$BATS_FILE_TMPDIR/editor.out")" -eq "$(grep -c '^@test' "$BATS_TEST_FILENAME" | awk '{print $1 - 1}')" ]
}
