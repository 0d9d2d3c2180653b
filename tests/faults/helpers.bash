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
#   assert_writes_refused MAC ERROR DETAIL
#                                   PUT and DELETE of MAC get 503 STORAGE_UNAVAILABLE
#                                   with that error and DETAIL in details.message
#   assert_reads_refused MAC ERROR  wrapped and raw GET of MAC and the list get 503
#                                   STORAGE_UNAVAILABLE with that error
#   assert_health REASON            /api/health is 503 unhealthy, reason contains REASON
#   cfg_request CFG EXPECT WANT METHOD URL [curl config lines]
#                                   append one request to a `curl -K` list CFG
#                                   and its expected status to EXPECT
#   cfg_finish CFG                  end the list (drop the trailing "next")
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

assert_writes_refused() {
	local mac="$1" error="$2" detail="$3"
	put_json "$mac" '{"content":{"refused":true}}'
	assert_error 503 STORAGE_UNAVAILABLE
	assert_json .error "\"$error\""
	[[ "$(jq -r .details.message <<<"$body")" == *"$detail"* ]] || { echo "details: $body" >&2; return 1; }
	call DELETE "/api/configs/$mac"
	assert_error 503 STORAGE_UNAVAILABLE
	assert_json .error "\"$error\""
}

assert_reads_refused() {
	local mac="$1" error="$2" path
	for path in "/api/configs/$mac" "/api/configs/$mac.json" /api/configs; do
		call GET "$path"
		assert_error 503 STORAGE_UNAVAILABLE
		assert_json .error "\"$error\""
	done
}

assert_health() {
	call GET /api/health
	assert_code 503
	assert_json .status '"unhealthy"'
	[[ "$(jq -r .reason <<<"$body")" == *"$1"* ]] || { echo "health reason: $body" >&2; return 1; }
}

cfg_request() {
	local cfg="$1" expect="$2" want="$3" method="$4" url="$5" line
	shift 5
	{
		printf 'url = "%s"\n' "$url"
		if [ "$method" = HEAD ]; then echo head; else printf 'request = "%s"\n' "$method"; fi
		for line in "$@"; do echo "$line"; done
		printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n'
	} >>"$cfg"
	echo "$want" >>"$expect"
}

cfg_finish() {
	sed -i '$d' "$1"
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
