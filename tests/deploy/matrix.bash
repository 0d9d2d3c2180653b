# tests/deploy/matrix.bash: one matrix of protected reads and writes, run
# the same way against every shipped configuration (tests/deploy/matrix.bats,
# and the image in tests/image/image.bats). The server must protect reads
# and writes with the htpasswd user alice, password 's3cret word'
# (AUTH_USERS_FILE + AUTH_READS, or the read-auth snippets).
#
#   matrix_reads_and_writes MAC   every protected read and write: without
#                    credentials and with a wrong password 401 and nothing
#                    changed or shown; with the right one, answered
#   matrix_path_bytes MAC         raw and percent-encoded control bytes in
#                    every protected path, sent without credentials on a
#                    raw socket: never answered 200, never a secret
#   matrix_server_defences        nosniff and DENY framing on the
#                    responder's answers and on the server's own 401; an
#                    OPTIONS announcing a 60 MiB body answered at once,
#                    without waiting for (or storing) the body
#   matrix_sockets_private        (lighttpd) the FastCGI sockets, made
#                    under umask 000, refuse a connection from another user
#
# Builds on servers.bash (call, assert_*, CONFIG_DIR, IOT_PORT, ...).

MATRIX_AUTH=(-u 'alice:s3cret word')
MATRIX_SECRET='{"deviceName":"porch","wifiPassword":"hunter2"}'

# matrix_seed MAC: a config holding a secret, with one history entry.
matrix_seed() {
	local mac="$1"
	call PUT "/api/configs/$mac.json" "${MATRIX_AUTH[@]}" -H 'Content-Type: application/json' \
		--data-binary '{"deviceName":"old","wifiPassword":"hunter1"}'
	assert_code 200
	call PUT "/api/configs/$mac.json" "${MATRIX_AUTH[@]}" -H 'Content-Type: application/json' \
		--data-binary "$MATRIX_SECRET"
	assert_code 200
	call GET "/api/configs/$mac/history" "${MATRIX_AUTH[@]}"
	assert_code 200
	MATRIX_REV="$(jq -r '.revisions[0].revision' <<<"$body")"
	[ -n "$MATRIX_REV" ] && [ "$MATRIX_REV" != null ]
}

# The protected reads of MAC (every GET but the device routes and health).
matrix_read_paths() {
	local mac="$1"
	printf '%s\n' /api/configs "/api/configs/$mac" "/api/configs/$mac/history" \
		"/api/configs/$mac/history/$MATRIX_REV" "/api/configs/$mac/fetch" /api/fetches /metrics \
		/api/docs/openapi.json /api/docs/swagger/
}

matrix_reads_and_writes() {
	local mac="$1" file="$CONFIG_DIR/$1.json" p before
	matrix_seed "$mac"
	before="$(cat "$file")"
	for p in $(matrix_read_paths "$mac"); do
		call GET "$p"
		[ "$code" = 401 ] || { echo "GET $p without credentials: $code" >&2; return 1; }
		[[ "$body" != *hunter* && "$body" != *"$mac"* ]] || { echo "GET $p: $body" >&2; return 1; }
		call GET "$p" -u 'alice:wrong'
		[ "$code" = 401 ] || { echo "GET $p with a wrong password: $code" >&2; return 1; }
		# (404: no fetch noted yet; 503: no Swagger UI installed.)
		call GET "$p" "${MATRIX_AUTH[@]}"
		[[ "$code" =~ ^(200|404|503)$ ]] || { echo "GET $p with credentials: $code" >&2; return 1; }
	done
	# Writes: refused without the right password, whatever the route.
	local -a writes=(
		"PUT /api/configs/$mac -H Content-Type:application/json --data-binary {\"content\":{\"v\":\"anon\"}}"
		"PUT /api/configs/$mac.json -H Content-Type:application/json --data-binary {\"v\":\"anon\"}"
		"DELETE /api/configs/$mac.json"
		"DELETE /api/configs/$mac"
		"POST /api/configs/$mac/history/$MATRIX_REV/restore -H Content-Type:application/json --data-binary {}"
	)
	local w
	for w in "${writes[@]}"; do
		# shellcheck disable=SC2086
		call $w
		[ "$code" = 401 ] || { echo "$w without credentials: $code" >&2; return 1; }
		# shellcheck disable=SC2086
		call $w -u 'alice:wrong'
		[ "$code" = 401 ] || { echo "$w with a wrong password: $code" >&2; return 1; }
		[ "$(cat "$file")" = "$before" ] || { echo "$w changed the file" >&2; return 1; }
	done
	# With it, each is made.
	call POST "/api/configs/$mac/history/$MATRIX_REV/restore" "${MATRIX_AUTH[@]}" \
		-H 'Content-Type: application/json' --data-binary '{}'
	assert_code 200
	[ "$(jq -r .wifiPassword "$file")" = hunter1 ]
	call PUT "/api/configs/$mac.json" "${MATRIX_AUTH[@]}" -H 'Content-Type: application/json' \
		--data-binary "$MATRIX_SECRET"
	assert_code 200
	[ "$(cat "$file")" = "$MATRIX_SECRET" ]
}

# Sends each request line given on stdin (bytes written as Python escapes,
# e.g. \x00) on its own connection to 127.0.0.1:PORT; prints
# "<status> <request line as given>" per request, and "LEAK <line>" when an
# answer holds a secret or a list.
MATRIX_RAW_CLIENT='
import socket, sys
port = int(sys.argv[1])
for line in sys.stdin.read().splitlines():
    req = line.encode("latin1").decode("unicode_escape").encode("latin1")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(req + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    head = out.split(b"\r\n", 1)[0].decode("latin1")
    status = head.split(" ")[1] if head.count(" ") >= 1 else "none"
    print(status, line)
    if b"hunter" in out or b"\"configs\"" in out or b"\"revisions\"" in out or b"iot_config_" in out:
        print("LEAK", line)
'

matrix_path_bytes() {
	local mac="$1" p c
	[ -n "${MATRIX_REV:-}" ] || matrix_seed "$mac"
	{
		for p in $(matrix_read_paths "$mac"); do
			for c in '\x00' '\x0d' '\x0a' '\x01' '\x09' '\x1f' '\x7f' '%00' '%0d' '%0D' '%0a' '%01' '%1f' '%7f' '%7F'; do
				# Each shape makes the path an open one for a reader
				# that stops at the byte, or one that does not.
				printf 'GET %s%s.json\n' "$p" "$c"
				printf 'GET %s%s/../../../../../esp32/config/%s.json\n' "$p" "$c" "$mac"
				printf 'GET /api/configs/%s%s.json\n' "$mac" "$c"
				printf 'PUT /api/configs/%s%s.json\n' "$mac" "$c"
			done
		done
	} | sort -u >"$IOT_TMP/matrix.requests"
	python3 -c "$MATRIX_RAW_CLIENT" "$IOT_PORT" <"$IOT_TMP/matrix.requests" >"$IOT_TMP/matrix.answers"
	[ "$(wc -l <"$IOT_TMP/matrix.requests")" -ge 280 ]
	if grep -qE '^(LEAK|2[0-9][0-9]|none) ' "$IOT_TMP/matrix.answers"; then
		echo "answered without credentials:" >&2
		grep -E '^(LEAK|2[0-9][0-9]|none) ' "$IOT_TMP/matrix.answers" | head -20 >&2
		return 1
	fi
	# The file was never changed.
	[ "$(cat "$CONFIG_DIR/$mac.json")" = "$MATRIX_SECRET" ]
}

# Headers of the last call: nosniff and no framing, once each.
matrix_headers_once() {
	[ "$(grep -ci '^X-Content-Type-Options: nosniff' "$hdrs")" = 1 ] &&
		[ "$(grep -ci '^X-Frame-Options: DENY' "$hdrs")" = 1 ] ||
		{ echo "headers of $1:" >&2; cat "$hdrs" >&2; return 1; }
}

matrix_server_defences() {
	call GET /api/health
	assert_code 200
	matrix_headers_once "the responder's 200"
	call GET /api/configs/x "${MATRIX_AUTH[@]}"
	assert_code 400
	matrix_headers_once "the responder's 400"
	call GET /api/configs
	assert_code 401
	# (Not under Debian's lighttpd layout: 05-auth.conf loads mod_auth
	# before 05-setenv.conf's mod_setenv, and lighttpd then adds nothing
	# to mod_auth's fixed 401 page.)
	[ "${MATRIX_NO_401_HEADERS:-0}" = 1 ] || matrix_headers_once "the server's 401"
	# A preflight needs no credentials: its body is never waited for.
	local start=$SECONDS
	code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 -X OPTIONS \
		-H 'Content-Length: 62914560' "$BASE_URL/api/configs")" || true
	[ "$code" = 413 ] || [ "$code" = 204 ] || { echo "OPTIONS with a 60 MiB body: $code" >&2; return 1; }
	[ $((SECONDS - start)) -le 5 ]
	# The same for a GET on an open path.
	code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 -X GET \
		-H 'Content-Length: 62914560' "$BASE_URL/api/health")" || true
	[[ "$code" =~ ^(400|413|200)$ ]] || { echo "GET with a 60 MiB body: $code" >&2; return 1; }
	[ $((SECONDS - start)) -le 10 ]
}

# matrix_sockets_private DIR: every socket below DIR (made while the server
# started under umask 000) refuses another user, while its owner connects.
matrix_sockets_private() {
	local dir="$1" s n=0
	# The test is only worth something where another user can reach DIR's parent.
	runuser -u nobody -- test -x "$(dirname "$dir")" ||
		{ echo "nobody cannot reach $(dirname "$dir"): the check would prove nothing" >&2; return 1; }
	while read -r s; do
		n=$((n + 1))
		run env REQUEST_METHOD=GET REQUEST_URI=/api/health SCRIPT_NAME=/api/health \
			setpriv --reuid="$(stat -c %u "$s")" --regid="$(stat -c %g "$s")" --clear-groups \
			timeout 10 cgi-fcgi -bind -connect "$s"
		[[ "$output" == *'"status"'* ]] || { echo "the owner cannot connect to $s: $output" >&2; return 1; }
		run env REQUEST_METHOD=PUT REQUEST_URI=/api/configs/aa-bb-cc-00-21-99 REMOTE_USER=forged-admin \
			setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 10 cgi-fcgi -bind -connect "$s"
		[ "$status" -ne 0 ] && [[ "$output" != *Status* ]] ||
			{ echo "nobody connected to $s: $output" >&2; return 1; }
	done < <(find "$dir" -type s)
	[ "$n" -ge 1 ] || { echo "no socket below $dir" >&2; return 1; }
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-21-99.json" ]
}
