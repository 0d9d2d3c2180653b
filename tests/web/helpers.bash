# tests/web/helpers.bash: what every browser suite shares. Each file starts
# one instance (tests/e2e/helpers.bash), seeds it, then runs its driver
# (tests/web/NAME.mjs, Debian's Chromium through the pinned playwright-core)
# once for every flow, bounded; each test checks its flow's line of the
# driver's output.
#
#   web_need_npm            fails the file when the pinned npm packages are
#                           missing (make deps installs them)
#   web_drive SECS NAME ARG...  runs NAME.mjs with ARGs, at most SECS
#                           seconds; its output goes to $WEB_OUT (kept in
#                           $ARTIFACTS too when the file sets ARTIFACTS)
#   web_artifacts           empties $ARTIFACTS, when set, for this run's
#                           screenshots
#   flow NAME               the driver reported "ok NAME"

load ../e2e/helpers

web_need_npm() {
	local tools="$IOT_ROOT/tools/node_modules"
	if [ ! -f "$tools/playwright-core/package.json" ] || [ ! -f "$tools/axe-core/axe.min.js" ]; then
		echo "npm packages missing in $tools: run make deps" >&2
		return 1
	fi
}

web_artifacts() {
	[ -n "${ARTIFACTS:-}" ] || return 0
	rm -rf "$ARTIFACTS"
	mkdir -p "$ARTIFACTS"
}

web_drive() {
	local secs="$1" name="$2"
	shift 2
	export WEB_OUT="$BATS_FILE_TMPDIR/$name.out"
	# A hang fails the file, not the suite.
	timeout "$secs" node "$IOT_ROOT/tests/web/$name.mjs" "$@" >"$WEB_OUT" 2>&1 || true
	if [ -n "${ARTIFACTS:-}" ]; then cp "$WEB_OUT" "$ARTIFACTS/$name.out"; fi
}

flow() {
	if ! grep -qxF "ok $1" "$WEB_OUT"; then
		cat "$WEB_OUT" >&2
		return 1
	fi
}
