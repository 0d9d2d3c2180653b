#!/usr/bin/env bats
# tests/image/image.bats: the Docker image itself, run by `make test-image`
# (after the deployment smoke suite, which runs in the container too) under
# ENGINE with IMAGE. The container runs as docs/deployment.md says (read-only root,
# a tmpfs for the sockets, every capability dropped) on a loopback port:
# it serves as www-data with no capability and writes only the volume and
# the tmpfs; headless Chromium renders the image's own Swagger UI; both
# healthchecks pass on the configured PORT; without credentials it warns at
# start, with AUTH_USERS_FILE + AUTH_READS reads need them; DEVICE_AUTH
# per-device and required reach the responder and the devices' secrets
# reach it past lighttpd's credentials; and a stop with
# writes in flight ends the container cleanly (exit 0, within the grace
# period) with every acknowledged write on disk and no temp file after the
# next start.

bats_require_minimum_version 1.5.0
load ../deploy/servers
load ../deploy/device_auth
load ../deploy/matrix

HOSTNAME_UNDER_TEST=iotconfig.test

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	deploy_cleanup_dirs
}

# in_container CMD...: run CMD in this test's container.
in_container() {
	"$ENGINE" exec "$CONTAINER" "$@"
}

@test "the container serves as www-data with no capability, on a read-only root, writing only the volume; no credentials: a warning" {
	server_start image
	[ "$(in_container id -u)" = 33 ]
	# Every process in it: uid 33, no effective, permitted or bounding capability.
	run in_container sh -c 'for s in /proc/[0-9]*/status; do grep -E "^(Uid|CapEff|CapPrm|CapBnd):" "$s"; done'
	echo "$output"
	[ -n "$output" ]
	run ! grep -vE '^(Uid:[[:space:]]+33[[:space:]]+33[[:space:]]+33[[:space:]]+33|Cap(Eff|Prm|Bnd):[[:space:]]+0+)$' <<<"$output"
	# tini is process 1, lighttpd its child.
	[ "$(in_container cat /proc/1/comm)" = tini ]
	run in_container touch /etc/iotconfig/x /tmp/x /var/tmp/x
	[ "$status" -ne 0 ]
	# A write lands in the volume, 0640, and reads back.
	call PUT /api/configs/aa-bb-cc-00-16-01 -H 'Content-Type: application/json' --data-binary '{"content":{"in":"image"}}'
	assert_code 200
	[ "$(jq -c . "$CONFIG_DIR/aa-bb-cc-00-16-01.json")" = '{"in":"image"}' ]
	[ "$(stat -c '%a %u' "$CONFIG_DIR/aa-bb-cc-00-16-01.json")" = '640 33' ]
	# A body large enough for lighttpd to keep on disk while it arrives (in the tmpfs).
	printf '{"pad":"%s"}' "$(head -c 300000 /dev/zero | tr '\0' p)" >"$IOT_TMP/big.json"
	call PUT /api/configs/aa-bb-cc-00-16-02.json -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/big.json"
	assert_code 200
	cmp "$IOT_TMP/big.json" "$CONFIG_DIR/aa-bb-cc-00-16-02.json"
	grep -q "WARN - no AUTH_USERS_FILE: anyone who can reach 127.0.0.1:$IOT_PORT can read and change every config" "$SERVER_LOG"
}

@test "both healthchecks pass in the container on its PORT" {
	server_start image
	# The Dockerfile's HEALTHCHECK, as the engine runs it.
	if [ "$ENGINE" = podman ]; then
		"$ENGINE" healthcheck run "$CONTAINER"
	else
		in_container sh -c "$("$ENGINE" image inspect --format '{{join .Config.Healthcheck.Test " "}}' "$IMAGE" | sed 's/^CMD-SHELL //')"
	fi
	# docker-compose.yml's (CMD-SHELL; compose turns $$ into $).
	local check
	check="$(python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)' \
		<"$IOT_ROOT/docker-compose.yml" | jq -r '.services.iotconfig.healthcheck.test[1]')"
	in_container sh -c "${check//\$\$/\$}"
}

@test "headless Chromium renders the image's own Swagger UI: every operation, nothing from another server" {
	server_start image ALLOWED_HOSTS="$HOSTNAME_UNDER_TEST"
	local profile="$BATS_TEST_TMPDIR/chromium-profile" dom="$BATS_TEST_TMPDIR/dom.html" doc="$IOT_ROOT/conf/openapi.json"
	mkdir -p "$profile"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" \
		--host-resolver-rules="MAP $HOSTNAME_UNDER_TEST 127.0.0.1, MAP * ~NOTFOUND" \
		--virtual-time-budget=30000 --dump-dom "http://$HOSTNAME_UNDER_TEST:$IOT_PORT/api/docs" \
		>"$dom" 2>"$BATS_TEST_TMPDIR/chromium.log"
	grep -q 'id="swagger-ui"' "$dom"
	grep -q '<h1 class="title">iotconfig<span>' "$dom"
	local n=0 id
	while read -r id; do
		id="$(sed 's/[^A-Za-z0-9_-]/\\&/g' <<<"$id")"
		grep -qF "id=\"operations-$id\"" "$dom" || { echo "operation $id not rendered" >&2; return 1; }
		n=$((n + 1))
	done < <(jq -r '.paths[][] | select(type == "object" and has("operationId")) | .tags[0] + "-" + .operationId' "$doc")
	[ "$n" -ge 37 ]
	[ "$(grep -o 'class="opblock opblock-' "$dom" | wc -l)" = "$n" ]
	run grep -oE '(src|href)="(https?:)?//[^"]*"' "$dom"
	[ -z "$(grep -v "//$HOSTNAME_UNDER_TEST:$IOT_PORT/" <<<"$output")" ]
	# The assets are the pinned swagger-ui-dist's.
	call GET /api/docs/swagger/swagger-ui-bundle.js
	assert_code 200
	[ "$(in_container sh -c 'wc -c </usr/share/iotconfig/swagger-ui/swagger-ui-bundle.js')" = "$(stat -c %s "$IOT_TMP/last.body")" ]
	grep -q 'NOTICE' <(in_container ls /usr/share/iotconfig/swagger-ui/)
}

@test "AUTH_USERS_FILE + AUTH_READS in the container: the list and /metrics need credentials, a device route and health do not, no warning" {
	local users
	users="$(deploy_tmpdir)/htpasswd"
	htpasswd -cbB "$users" alice 's3cret word' 2>/dev/null
	chown 33 "$users"
	chmod 400 "$users"
	IOT_PROBE_AUTH='alice:s3cret word' server_start image AUTH_USERS_FILE="$users" AUTH_READS=true DEBUG=true
	printf '{"wifiPassword":"hunter2"}' >"$CONFIG_DIR/aa-bb-cc-00-16-03.json"
	chown 33 "$CONFIG_DIR/aa-bb-cc-00-16-03.json"
	call GET /api/configs
	assert_code 401
	[[ "$body" != *aa-bb-cc-00-16-03* ]]
	call GET /api/configs/aa-bb-cc-00-16-03/history
	assert_code 401
	call GET /api/docs/openapi.json
	assert_code 401
	call GET /api/configs/aa-bb-cc-00-16-03.json
	assert_code 200
	[ "$body" = '{"wifiPassword":"hunter2"}' ]
	call GET /esp32/config/aa-bb-cc-00-16-03.json
	assert_code 200
	call GET /api/health
	assert_code 200
	call GET /metrics # it names every device that fetched
	assert_code 401
	call GET /api/configs -u 'alice:s3cret word' -H 'X-Request-ID: image-list'
	assert_code 200
	assert_json '[.configs[].mac_address]' '["aa-bb-cc-00-16-03"]'
	wait_for grep -q 'image-list request method=GET route=/api/configs status=200 .*user=alice' "$SERVER_LOG"
	run ! grep -q 'no AUTH_USERS_FILE' "$SERVER_LOG"
}

@test "DEVICE_AUTH=per-device in the container: devices that have a secret must send it, Basic or Bearer; rotation and revocation" {
	da_setup
	chown 33 "$DA_HTPASSWD"
	da_start image per-device
	da_check_per_device aa-bb-cc-00-16-11
}

@test "DEVICE_AUTH=required in the container: every device needs its secret, the same 401 for every MAC" {
	da_setup
	chown 33 "$DA_HTPASSWD"
	da_start image required
	da_check_required aa-bb-cc-00-16-21
}

@test "a stop (the image's STOPSIGNAL) with writes in flight: the container exits 0 within the grace period, every 200 is on disk, no temp file after the next start" {
	server_start image PROCS=4
	local dir="$CONFIG_DIR" i n=24 ok=0 status t0
	local -a pids=()
	for i in $(seq 1 $n); do
		printf '{"writer":%d,"pad":"%s"}' "$i" "$(head -c $((20000 + i * 1000)) /dev/zero | tr '\0' w)" >"$IOT_TMP/w$i.json"
	done
	for i in $(seq 1 $n); do
		curl -s -o /dev/null -w '%{http_code}' --max-time 60 --limit-rate $((5 + i))k -X PUT \
			-H 'Content-Type: application/json' --data-binary @"$IOT_TMP/w$i.json" \
			"$BASE_URL/api/configs/$(printf 'aa-bb-cc-00-17-%02x' "$i").json" >"$IOT_TMP/code.$i" 3>&- &
		pids+=($!)
	done
	# Once a few have landed, stop it the way the engine does.
	wait_for sh -c "[ \$(find '$dir' -name '*.json' | wc -l) -ge 4 ]"
	t0=$SECONDS
	"$ENGINE" stop -t 30 "$CONTAINER" >/dev/null
	status=0
	wait "$SERVER_PID" || status=$?
	echo "# stopped in $((SECONDS - t0)) s, exit status $status" >&3
	[ "$status" = 0 ]
	[ $((SECONDS - t0)) -lt 30 ]
	wait "${pids[@]}" || true
	for i in $(seq 1 $n); do
		f="$dir/$(printf 'aa-bb-cc-00-17-%02x' "$i").json"
		if [ "$(cat "$IOT_TMP/code.$i")" = 200 ]; then
			ok=$((ok + 1))
			cmp "$f" "$IOT_TMP/w$i.json"
		else
			[ ! -e "$f" ] || cmp "$f" "$IOT_TMP/w$i.json"
		fi
	done
	echo "# $ok of $n PUTs answered 200" >&3
	[ "$ok" -gt 0 ]
	# The next start sweeps whatever the stop left.
	server_start image ESP32_CONFIGS_DIR="$dir"
	[ -z "$(find "$dir" -name '*.tmp')" ]
}

@test "the image: the deployment matrix (reads and writes need the right password, no control byte gets past it, the server's defences), sockets private" {
	local users
	users="$(deploy_tmpdir)/htpasswd"
	htpasswd -cbB "$users" alice 's3cret word' 2>/dev/null
	chown 33 "$users"
	chmod 400 "$users"
	IOT_PROBE_AUTH='alice:s3cret word' server_start image AUTH_USERS_FILE="$users" AUTH_READS=true
	matrix_reads_and_writes aa-bb-cc-00-16-21
	matrix_path_bytes aa-bb-cc-00-16-21
	matrix_server_defences
	# The tmpfs is the engine's (1777): the sockets are in www-data's own 0700 directory.
	[ "$(in_container stat -c '%a %u' /run/iotconfig/iotconfig-33)" = '700 33' ]
	[ "$(in_container find /run/iotconfig -maxdepth 1 -type s | wc -l)" = 0 ]
}

@test "the image answers only the Host names of ALLOWED_HOSTS (loopback by default): 421 for another" {
	server_start image
	call GET /api/health -H 'Host: rebound.example:8080'
	assert_error 421 HOST_NOT_ALLOWED
	call GET /api/health -H "Host: localhost:$IOT_PORT"
	assert_code 200
}
