# tests/faults/helpers.bash: what the fault suites share, on top of
# tests/e2e/helpers.bash (load that first).
#
#   put_json MAC BODY [curl args]   wrapped PUT through `call`
#   raw_http BYTES [SECONDS]        send BYTES (printf %b) on a fresh connection;
#                                   sets $raw_status (or "none"), $raw_headers
#                                   and $raw_body
#   assert_raw_error STATUS CODE    the raw answer is that status with the
#                                   JSON error shape and that code
#   mount_tmpfs DIR SIZE [opts]     mount a small tmpfs, or skip the test
#                                   saying why mounting is impossible
#   unmount_all                     (teardown) unmount what mount_tmpfs mounted
#   tree_state DIR...               one line per file below DIR: path, type,
#                                   size, mtime, and the atime of non-directories
#                                   (listing a directory, as find does, updates
#                                   its own atime), for before/after comparisons

put_json() { # put_json MAC BODY [curl args]
	local mac="$1" data="$2"
	shift 2
	call PUT "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary "$data" "$@"
}

raw_http() {
	local bytes="$1" secs="${2:-5}" out="$IOT_TMP/raw.out"
	: >"$out"
	# A subshell owns the connection; timeout bounds the read.
	(
		exec 5<>"/dev/tcp/127.0.0.1/$IOT_PORT" || exit 1
		printf '%b' "$bytes" >&5
		timeout "$secs" cat <&5 >"$out"
	) 2>/dev/null || true
	raw_status="$(head -c 64 "$out" | head -1 | awk '{print $2}')"
	[ -n "$raw_status" ] || raw_status=none
	raw_headers="$(sed -n '1,/^\r\{0,1\}$/p' "$out" | tr -d '\r')"
	raw_body="$(sed '1,/^\r\{0,1\}$/d' "$out")"
}

assert_raw_error() { # assert_raw_error STATUS CODE
	if [ "$raw_status" != "$1" ]; then
		echo "expected HTTP $1, got $raw_status: $raw_headers $raw_body" >&2
		return 1
	fi
	if ! grep -qi '^Content-Type: application/json' <<<"$raw_headers"; then
		echo "not JSON: $raw_headers" >&2
		return 1
	fi
	printf '%s' "$raw_body" | jq -e --arg c "$2" '.code == $c and (.error|type=="string") and (.details.message|type=="string") and has("correlationId")' >/dev/null ||
		{ echo "error body wrong (want code $2): $raw_body" >&2; return 1; }
}

# Mount points made by mount_tmpfs, unmounted by unmount_all.
FAULT_MOUNTS=()

mount_tmpfs() { # mount_tmpfs DIR SIZE [extra options]
	local dir="$1" size="$2" extra="${3:+,$3}" why
	mkdir -p "$dir"
	if ! why="$(mount -t tmpfs -o "size=$size,mode=0755$extra" tmpfs "$dir" 2>&1)"; then
		skip "cannot mount a tmpfs here (needs root and mount permission): $why"
	fi
	FAULT_MOUNTS+=("$dir")
}

unmount_all() {
	local m
	for m in "${FAULT_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	FAULT_MOUNTS=()
}

tree_state() {
	find "$@" \( -type d -printf '%p %y %T@\n' \) -o -printf '%p %y %s %T@ %A@\n' 2>/dev/null | sort
}
