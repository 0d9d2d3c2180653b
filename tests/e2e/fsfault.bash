# tests/e2e/fsfault.bash: the responder run once per request as a plain CGI
# program, with the file-system faults of tests/e2e/fsfault.c injected
# through LD_PRELOAD, so a test sees the whole answer to a fault that a
# local disk never shows (load helpers first).
#
#   fsfault_build                 compile fsfault.c once per test file
#   fsfault_responder FILE [VAR=value ...]
#                                 writes FILE, an executable that runs the
#                                 responder with the shim and the VARs, to
#                                 start a server with (IOTCONFIG_BIN=FILE)
#   cgi DIR METHOD URI BODY [VAR=value ...]
#                                 one request against config directory DIR,
#                                 the VARs (IOT_FAULT_*, SHARED_FS, ...) in its
#                                 environment; sets $code, $body and $hdrs as
#                                 `call` does

fsfault_build() {
	FSFAULT_SO="$BATS_FILE_TMPDIR/fsfault.so"
	if [ ! -f "$FSFAULT_SO" ]; then
		cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$FSFAULT_SO" "$IOT_ROOT/tests/e2e/fsfault.c"
	fi
	export FSFAULT_SO
}

fsfault_responder() {
	local file="$1" kv
	shift
	{
		echo '#!/bin/sh'
		# The sanitizer runtime wants to come first; the shim only wraps a few calls.
		echo 'ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"'
		echo 'export ASAN_OPTIONS'
		printf 'export LD_PRELOAD=%q\n' "$FSFAULT_SO"
		for kv in "$@"; do printf 'export %q\n' "$kv"; done
		printf 'exec %q\n' "$IOTCONFIG_BIN"
	} >"$file"
	chmod 755 "$file"
}

cgi() {
	local dir="$1" method="$2" uri="$3" data="$4"
	shift 4
	local tmp="$BATS_TEST_TMPDIR" sanitizer=()
	# The sanitizer runtime wants to come first; the shim only wraps two calls.
	if [ "${IOTCONFIG_SANITIZED:-0}" = 1 ]; then
		sanitizer=(ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:log_path=$tmp/asan"
			UBSAN_OPTIONS="print_stacktrace=1:log_path=$tmp/ubsan")
	fi
	printf '%s' "$data" >"$tmp/cgi.in"
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$method" REQUEST_URI="$uri" \
		CONTENT_TYPE=application/json CONTENT_LENGTH="$(wc -c <"$tmp/cgi.in")" \
		ESP32_CONFIGS_DIR="$dir" METRICS_FILE="$tmp/cgi.metrics" LD_PRELOAD="$FSFAULT_SO" \
		"${sanitizer[@]}" "$@" "$IOTCONFIG_BIN" <"$tmp/cgi.in" >"$tmp/cgi.out" 2>>"$tmp/cgi.log"
	hdrs="$tmp/cgi.headers"
	sed '/^\r$/q' "$tmp/cgi.out" >"$hdrs"
	body="$(sed '1,/^\r$/d' "$tmp/cgi.out")"
	code="$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$hdrs" | head -1)"
	[ -n "$code" ] || code=200
	if ls "$tmp"/asan.* "$tmp"/ubsan.* >/dev/null 2>&1; then
		cat "$tmp"/asan.* "$tmp"/ubsan.* >&2
		return 1
	fi
}
