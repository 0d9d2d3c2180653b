#!/usr/bin/env bats
# tests/e2e/process.bats: the process model. The web server owns the
# responders; a stop signal lets the request in flight finish; bad
# settings stop the start-up with a message naming the variable.

load helpers

teardown() {
	iot_cleanup_extra
}

@test "SIGTERM lets the request in flight finish, then the responder exits and is replaced" {
	iot_start PROCS=2
	local mac=ad-00-00-00-00-01 lock
	lock="$CONFIG_DIR/.$mac.lock"
	: >"$lock"
	# Hold the MAC's write lock so the PUT stays in flight inside a responder.
	flock -x "$lock" sleep 3 3>&- &
	holder=$!
	sleep 0.3
	curl -s -o "$IOT_TMP/put.out" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
		-d '{"content":{"survived":true}}' "$BASE_URL/api/configs/$mac" >"$IOT_TMP/put.code" 3>&- &
	putter=$!
	# Find the responder waiting for the lock and signal every responder.
	wait_for bash -c "grep -q ' FLOCK ' /proc/locks && [ \$(grep -c '\\-> FLOCK' /proc/locks) -ge 1 ]"
	ids="$(responder_ids)"
	[ -n "$ids" ]
	proc_signal TERM $ids
	wait "$putter"
	wait "$holder" || true
	[ "$(cat "$IOT_TMP/put.code")" = 200 ]
	[ "$(jq -c . "$CONFIG_DIR/$mac.json")" = '{"survived":true}' ]
	wait_for proc_gone $ids
	# lighttpd starts new responders for the next requests.
	call GET "/api/configs/$mac"
	assert_code 200
	assert_json .content.survived true
}

@test "SIGUSR1 and SIGINT stop an idle responder cleanly" {
	iot_start PROCS=2
	set -- $(responder_ids)
	proc_signal USR1 "$1"
	proc_signal INT "$2"
	wait_for proc_gone "$1" "$2"
	call GET /api/health
	assert_code 200
}

@test "SIGINT and SIGHUP ignored by the starter stay ignored (nohup, make run); SIGTERM still stops" {
	iot_start PROCS=1 IOTCONFIG_BIN="/usr/bin/env --ignore-signal=INT --ignore-signal=HUP $IOTCONFIG_BIN"
	local p
	p="$(responder_ids)"
	[ -n "$p" ]
	signals_ignored "${p%%:*}" INT HUP
	! signals_ignored "${p%%:*}" TERM || false
	proc_signal INT "$p"
	proc_signal HUP "$p"
	call GET /api/health
	assert_code 200
	[ "$(responder_ids)" = "$p" ] # the same process answered
	proc_signal TERM "$p"
	wait_for proc_gone "$p"
}

@test "invalid settings stop the start with a message naming the variable" {
	for setting in MAX_BODY_BYTES=abc MAX_BODY_BYTES=10 DEBUG=maybe 'CORS_ORIGINS=[1]' 'CORS_ORIGINS=["http://a b"]' ESP32_CONFIGS_DIR=relative/dir; do
		name="${setting%%=*}"
		run iot_start "$setting"
		[ "$status" -ne 0 ]
		log="$(ls -t "$BATS_FILE_TMPDIR"/iot.*/lighttpd.log | head -1)"
		grep -q "invalid setting: $name: " "$log" || { cat "$log" >&2; return 1; }
	done
}

@test "a responder checks its settings with --check and reports its version and routes" {
	run env -i MAX_BODY_BYTES=abc "$IOTCONFIG_BIN" --check
	[ "$status" = 78 ]
	[[ "$output" == *"MAX_BODY_BYTES: 'abc' is not a whole number"* ]]
	run env -i ESP32_CONFIGS_DIR=/srv/x "$IOTCONFIG_BIN" --check
	[ "$status" = 0 ]
	run "$IOTCONFIG_BIN" --version
	[ "$output" = "iotconfig $(cat "$IOT_ROOT/VERSION")" ]
	run "$IOTCONFIG_BIN" --routes
	[ "$status" = 0 ]
	printf '%s' "$output" | jq -e 'map(.path) | index("/api/configs/{mac_address}") != null' >/dev/null
	run "$IOTCONFIG_BIN" --bogus
	[ "$status" = 2 ]
}

# the_responder: the pid of the one responder (PROCS=1), checked to run
# this binary and to list its libraries (json-c) in its map.
the_responder() {
	local p
	p="$(responder_pids)"
	[ -n "$p" ] || { echo "no responder" >&2; return 1; }
	[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$IOTCONFIG_BIN")" ] || { echo "responder $p runs another binary" >&2; return 1; }
	grep -q '/libjson-c\.so' "/proc/$p/maps" || { echo "responder $p: no libraries in its map" >&2; return 1; }
	echo "$p"
}

# maps_none PID REGEX: no library of PID's map matches REGEX (a path part).
maps_none() {
	local loaded
	loaded="$(grep -E "$2" "/proc/$1/maps")" || return 0
	echo "loaded: $loaded" >&2
	return 1
}

@test "with MQTT off a responder loads neither libmosquitto nor the TLS libraries it brings" {
	iot_start PROCS=1
	call GET /api/configs
	assert_code 200
	local p
	p="$(the_responder)"
	maps_none "$p" '/lib(mosquitto|ssl|crypto)\.so'
}

@test "a responder loads libarchive (and libxml2, ICU) only for an export or an import" {
	iot_start PROCS=1
	printf '{"v":1}' >"$CONFIG_DIR/aa-bb-cc-00-77-01.json"
	call GET /api/configs
	assert_code 200
	local p
	p="$(the_responder)"
	maps_none "$p" '/lib(archive|xml2|icu[a-z]*)\.so'
	# The export loads it, in the same process, and the archive is whole.
	curl -sSf -o "$IOT_TMP/export.tgz" "$BASE_URL/api/export"
	[ "$(tar -xOzf "$IOT_TMP/export.tgz" aa-bb-cc-00-77-01.json)" = '{"v":1}' ]
	[ "$(responder_pids)" = "$p" ]
	grep -q '/libarchive\.so' "/proc/$p/maps"
}

# The schema validator's libraries, PCRE2 ("pattern", "patternProperties")
# and GMP (exact "multipleOf"), are loaded by the first schema that needs
# them: a responder whose schemas use neither never maps them.
@test "a responder serving configs, lists and schemas without pattern or multipleOf maps neither libpcre2-8 nor libgmp" {
	iot_start PROCS=1
	call PUT /api/schemas/default -H 'Content-Type: application/json' \
		--data-binary '{"type":"object","required":["deviceName"],"properties":{"deviceName":{"type":"string","minLength":1},"port":{"type":"integer","minimum":1,"maximum":65535}}}'
	assert_code 201
	printf '{"deviceName":"hall","port":80}' >"$CONFIG_DIR/aa-bb-cc-00-78-01.json"
	put_json aa-bb-cc-00-78-02 '{"content":{"deviceName":"porch","port":70000},"allow_overwrite":true}'
	assert_code 400
	assert_json '[.details.errors[].keyword]' '["maximum"]'
	put_json aa-bb-cc-00-78-02 '{"content":{"deviceName":"porch","port":8080},"allow_overwrite":true}'
	assert_code 200
	call GET /api/configs/aa-bb-cc-00-78-01.json
	assert_code 200
	[ "$body" = '{"deviceName":"hall","port":80}' ]
	call GET /api/configs
	assert_code 200
	assert_json '[.configs[] | [.mac_address, .schema, .schema_errors]] | sort' \
		'[["aa-bb-cc-00-78-01","default",0],["aa-bb-cc-00-78-02","default",0]]'
	local p
	p="$(the_responder)"
	maps_none "$p" '/lib(pcre2-8|gmp)\.so'
}

@test "a responder loads libpcre2-8 for a schema's pattern, and the pattern is checked" {
	iot_start PROCS=1
	mkdir "$CONFIG_DIR/.schemas"
	printf '%s' '{"properties":{"deviceName":{"type":"string","pattern":"^[a-z]+-[0-9]{2}$"}}}' \
		>"$CONFIG_DIR/.schemas/default.json"
	call GET /api/health
	assert_code 200
	local p
	p="$(the_responder)"
	maps_none "$p" '/libpcre2-8\.so'
	put_json aa-bb-cc-00-78-03 '{"content":{"deviceName":"Hall 7"},"allow_overwrite":true}'
	assert_code 400
	assert_json '.code' '"VALIDATION_FAILED"'
	assert_json '.details.schema' '"default"'
	assert_json '[.details.errors[] | [.instancePath, .keyword, .schemaPath]]' \
		'[["/deviceName","pattern","/properties/deviceName/pattern"]]'
	assert_json '.details.errors[0].message' '"must match the pattern ^[a-z]+-[0-9]{2}$"'
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-78-03.json" ]
	[ "$(responder_pids)" = "$p" ]
	grep -q '/libpcre2-8\.so' "/proc/$p/maps"
	put_json aa-bb-cc-00-78-03 '{"content":{"deviceName":"hall-07"},"allow_overwrite":true}'
	assert_code 200
	[ "$(jq -c . "$CONFIG_DIR/aa-bb-cc-00-78-03.json")" = '{"deviceName":"hall-07"}' ]
}

@test "a responder loads libgmp for a schema's multipleOf, and the multiple is checked exactly" {
	iot_start PROCS=1
	call PUT /api/schemas/default -H 'Content-Type: application/json' \
		--data-binary '{"properties":{"gain":{"type":"number","multipleOf":0.1}}}'
	assert_code 201
	local p
	p="$(the_responder)"
	maps_none "$p" '/libgmp\.so'
	put_json aa-bb-cc-00-78-04 '{"content":{"gain":0.35},"allow_overwrite":true}'
	assert_code 400
	assert_json '.code' '"VALIDATION_FAILED"'
	assert_json '[.details.errors[] | [.instancePath, .keyword]]' '[["/gain","multipleOf"]]'
	assert_json '.details.errors[0].message' '"must be a multiple of 0.1"'
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-78-04.json" ]
	[ "$(responder_pids)" = "$p" ]
	grep -q '/libgmp\.so' "/proc/$p/maps"
	# 0.3 is 3 x 0.1 exactly, though not in doubles.
	put_json aa-bb-cc-00-78-04 '{"content":{"gain":0.3},"allow_overwrite":true}'
	assert_code 200
	[ "$(jq -c . "$CONFIG_DIR/aa-bb-cc-00-78-04.json")" = '{"gain":0.3}' ]
}

@test "a responder that cannot load libpcre2-8 or libgmp answers 500, says which once, and keeps serving" {
	# Files of those names that are no libraries, found first by dlopen(3).
	local libs="$BATS_TEST_TMPDIR/libs"
	mkdir -p "$libs"
	: >"$libs/libpcre2-8.so.0"
	: >"$libs/libgmp.so.10"
	iot_start PROCS=1 IOTCONFIG_BIN="/usr/bin/env LD_LIBRARY_PATH=$libs $IOTCONFIG_BIN"
	mkdir "$CONFIG_DIR/.schemas"
	printf '%s' '{"properties":{"gain":{"multipleOf":0.1}}}' >"$CONFIG_DIR/.schemas/default.json"
	local p
	p="$(responder_pids)"
	[ -n "$p" ]
	put_json aa-bb-cc-00-78-05 '{"content":{"gain":0.3},"allow_overwrite":true}'
	assert_code 500
	assert_json '.code' '"INTERNAL_ERROR"'
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-78-05.json" ]
	# A config the keyword does not reach is still checked and saved.
	put_json aa-bb-cc-00-78-05 '{"content":{"gain":"loud"},"allow_overwrite":true}'
	assert_code 200
	printf '%s' '{"properties":{"deviceName":{"pattern":"^[a-z]+$"}}}' >"$CONFIG_DIR/.schemas/default.json"
	put_json aa-bb-cc-00-78-06 '{"content":{"deviceName":"hall"},"allow_overwrite":true}'
	assert_code 500
	assert_json '.code' '"STORAGE_ERROR"'
	assert_json '.details.message' '"compile schemas: Can not access a needed shared library"'
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-78-06.json" ]
	call GET /api/configs
	assert_code 500
	call GET /api/health
	assert_code 200
	[ "$(responder_pids)" = "$p" ]
	[ "$(grep -c 'cannot load libgmp\.so\.10' "$LIGHTTPD_LOG")" = 1 ]
	[ "$(grep -c 'cannot load libpcre2-8\.so\.0' "$LIGHTTPD_LOG")" = 1 ]
	maps_none "$p" '/lib(pcre2-8|gmp)\.so'
}

# rss_kb PID REGEX: resident kB of PID's mappings whose map line matches REGEX.
rss_kb() {
	awk -v re="$2" '/^[0-9a-f]+-[0-9a-f]+ / {m = ($0 ~ re)} m && /^Rss:/ {s += $2} END {print s + 0}' "/proc/$1/smaps"
}

heap_at_most() { # heap_at_most PID KB
	[ "$(rss_kb "$1" ' \[heap\]$')" -le "$2" ]
}

@test "a responder keeps only its own pages of the shared counters after a scrape, and gives its buffers back when idle" {
	iot_start PROCS=1
	call GET /api/health
	assert_code 200
	local p
	p="$(the_responder)"
	# A scrape reads every counter of the shared file (over 50 KiB), then
	# unmaps them: what stays are the pages its own counts touched since.
	call GET /metrics
	assert_code 200
	# The shared file is the process's one shared writable mapping.
	[ "$(grep -c ' rw-s ' "/proc/$p/maps")" = 1 ]
	local counters
	counters="$(rss_kb "$p" ' rw-s ')"
	echo "counter pages after a scrape: $counters kB" >&2
	[ "$counters" -le 24 ]
	[ -n "${IOTCONFIG_SANITIZED:-}" ] && skip "the sanitizer's allocator keeps no [heap]"
	# Idle for a second, the heap is back near where it began; a config of
	# 48 KB then fills three of its buffers (the body, the file, the
	# answer), which stay for the next request until it is idle again.
	sleep 1.2
	local base
	base="$(rss_kb "$p" ' \[heap\]$')"
	python3 -c 'import json; print(json.dumps({"content": {"blob": "x" * 48000}, "allow_overwrite": True}))' >"$IOT_TMP/big.json"
	call PUT /api/configs/aa-bb-cc-00-79-01 -H 'Content-Type: application/json' --data-binary "@$IOT_TMP/big.json"
	assert_code 200
	call GET /api/configs/aa-bb-cc-00-79-01.json
	assert_code 200
	[ "${#body}" -gt 48000 ]
	[ "$(responder_pids)" = "$p" ]
	echo "heap: $base kB idle, $(rss_kb "$p" ' \[heap\]$') kB after the requests" >&2
	wait_for heap_at_most "$p" "$((base + 32))"
}
