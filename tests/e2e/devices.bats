#!/usr/bin/env bats
# tests/e2e/devices.bats: what devices fetch and how edits stay safe: the
# raw config routes, conditional requests (ETag, Last-Modified, 304, 412),
# concurrent conditional writes, the legacy device path, HEAD and CORS.

load helpers

UI_ORIGIN="http://ui.example:3000"

setup_file() {
	iot_start_file CORS_ORIGINS="[\"$UI_ORIGIN\"]" PROCS=4
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# no_header REGEX: no header line of the last answer matches (a test
# fails on it: a bare "! grep" would not stop a bats test).
no_header() {
	if grep -qi "$1" "$hdrs"; then
		echo "unexpected: $(grep -i "$1" "$hdrs")" >&2
		return 1
	fi
}

seed() { # seed MAC BODY: store a config through the wrapped PUT
	curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' \
		--data-binary "{\"content\":$2}" "$BASE_URL/api/configs/$1"
}

@test "raw GET answers the stored file's exact bytes with validators" {
	seed aa-00-00-00-00-01 '{"deviceName":"Porch","enableOTA":false,"x":[1,2.50,"é"]}'
	backdate "$CONFIG_DIR/aa-00-00-00-00-01.json"
	call GET /api/configs/aa-00-00-00-00-01.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-00-00-00-00-01.json"
	[ "$(header Content-Type)" = application/json ]
	[ "$(header Cache-Control)" = no-cache ]
	[[ "$(header ETag)" =~ ^\"[0-9a-f]{32}\"$ ]]
	lm="$(header Last-Modified)"
	[ "$(date -u -d "$lm" +%s)" = "$(stat -c %Y "$CONFIG_DIR/aa-00-00-00-00-01.json")" ]
	[ "$(header Content-Length)" = "$(stat -c %s "$CONFIG_DIR/aa-00-00-00-00-01.json")" ]
}

@test "a Range on a config route is ignored: the whole file, 200, on every config GET route (ranges are for firmware images)" {
	seed aa-00-00-00-00-02 '{"deviceName":"Shed","enableOTA":true}'
	local r p
	for r in 'bytes=0-3' 'bytes=5-3' 'bytes=-1' 'bytes=99999-'; do
		for p in /api/configs/aa-00-00-00-00-02.json /esp32/config/aa-00-00-00-00-02.json; do
			call GET "$p" -H "Range: $r"
			assert_code 200
			cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-00-00-00-00-02.json"
			[ -z "$(header Content-Range)" ]
		done
		call GET /api/configs/aa-00-00-00-00-02 -H "Range: $r"
		assert_code 200
		assert_json '.content.deviceName' '"Shed"'
	done
}

@test "raw routes accept the same MAC forms and errors as the others" {
	seed aa-00-00-00-00-02 '{"a":1}'
	call GET /api/configs/AA:00:00:00:00:02.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-00-00-00-00-02.json"
	call GET /api/configs/aA-00-00-00-00-02.json
	assert_code 200
	call GET /api/configs/aa-00-00-00-00-99.json
	assert_error 404 RECORD_NOT_FOUND
	call GET /api/configs/not-a-mac.json
	assert_error 400 INVALID_OPERATION
	call GET /api/configs/.json
	assert_error 400 INVALID_OPERATION
}

@test "every GET answer for a config carries the same ETag as the raw file" {
	seed aa-00-00-00-00-03 '{"a":1}'
	call GET /api/configs/aa-00-00-00-00-03.json
	raw="$(header ETag)"
	call GET /api/configs/aa-00-00-00-00-03
	[ "$(header ETag)" = "$raw" ]
	call GET /esp32/config/aa-00-00-00-00-03.json
	[ "$(header ETag)" = "$raw" ]
	call PUT /api/configs/aa-00-00-00-00-03 -H 'Content-Type: application/json' --data-binary '{"content":{"a":2}}'
	assert_code 200
	put_etag="$(header ETag)"
	call GET /api/configs/aa-00-00-00-00-03.json
	[ "$(header ETag)" = "$put_etag" ]
	[ "$put_etag" != "$raw" ]
}

@test "a poll with the current ETag gets 304 until the config changes, then the new bytes" {
	seed aa-00-00-00-00-04 '{"v":1}'
	call GET /api/configs/aa-00-00-00-00-04.json
	etag="$(header ETag)"
	for i in 1 2 3; do
		call GET /api/configs/aa-00-00-00-00-04.json -H "If-None-Match: $etag"
		assert_code 304
		[ -z "$body" ]
		[ "$(header ETag)" = "$etag" ]
	done
	seed aa-00-00-00-00-04 '{"v":2}'
	call GET /api/configs/aa-00-00-00-00-04.json -H "If-None-Match: $etag"
	assert_code 200
	assert_json .v 2
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-00-00-00-00-04.json"
	new="$(header ETag)"
	[ "$new" != "$etag" ]
	call GET /api/configs/aa-00-00-00-00-04.json -H "If-None-Match: $new"
	assert_code 304
}

@test "an out-of-band edit of the same size changes the ETag" {
	seed aa-00-00-00-00-05 '{"v":1}'
	call GET /api/configs/aa-00-00-00-00-05.json
	etag="$(header ETag)"
	sed -i 's/"v": 1/"v": 2/' "$CONFIG_DIR/aa-00-00-00-00-05.json"
	call GET /api/configs/aa-00-00-00-00-05.json -H "If-None-Match: $etag"
	assert_code 200
	assert_json .v 2
	[ "$(header ETag)" != "$etag" ]
}

@test "If-None-Match lists, weak tags and * are honoured" {
	seed aa-00-00-00-00-06 '{"v":1}'
	call GET /api/configs/aa-00-00-00-00-06.json
	etag="$(header ETag)"
	call GET /api/configs/aa-00-00-00-00-06.json -H "If-None-Match: \"0000\", $etag , \"1111\""
	assert_code 304
	call GET /api/configs/aa-00-00-00-00-06.json -H "If-None-Match: W/$etag"
	assert_code 304
	call GET /api/configs/aa-00-00-00-00-06.json -H 'If-None-Match: *'
	assert_code 304
	call GET /api/configs/aa-00-00-00-00-06.json -H 'If-None-Match: "0000", "1111"'
	assert_code 200
	call GET /api/configs/aa-00-00-00-00-06 -H "If-None-Match: $etag"
	assert_code 304
}

@test "If-Modified-Since is honoured only without If-None-Match" {
	seed aa-00-00-00-00-07 '{"v":1}'
	backdate "$CONFIG_DIR/aa-00-00-00-00-07.json"
	call GET /api/configs/aa-00-00-00-00-07.json
	lm="$(header Last-Modified)"
	[ -n "$lm" ]
	call GET /api/configs/aa-00-00-00-00-07.json -H "If-Modified-Since: $lm"
	assert_code 304
	[ -z "$body" ]
	call GET /api/configs/aa-00-00-00-00-07.json -H 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT'
	assert_code 200
	call GET /api/configs/aa-00-00-00-00-07.json -H "If-Modified-Since: $lm" -H 'If-None-Match: "other"'
	assert_code 200
	call GET /api/configs/aa-00-00-00-00-07.json -H 'If-Modified-Since: not a date'
	assert_code 200
}

@test "a stored file with duplicate keys is 500 CONFIG_UNREADABLE on the raw routes too, as on the others" {
	printf '{"deviceName":"a","interval":1,"deviceName":"b"}\n' >"$CONFIG_DIR/aa-00-00-00-00-13.json"
	for p in /api/configs/aa-00-00-00-00-13.json /esp32/config/aa-00-00-00-00-13.json /api/configs/aa-00-00-00-00-13; do
		call GET "$p"
		assert_error 500 CONFIG_UNREADABLE
		[[ "$(printf '%s' "$body" | jq -r .details.message)" == *"repeats a key"* ]]
	done
	call GET /api/configs
	assert_code 200
	[ "$(printf '%s' "$body" | jq '[.configs[] | select(.mac_address == "aa-00-00-00-00-13")] | length')" = 0 ]
	# Fixed by hand: served again, byte for byte.
	printf '{"deviceName":"b","interval":1}\n' >"$CONFIG_DIR/aa-00-00-00-00-13.json"
	call GET /api/configs/aa-00-00-00-00-13.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-00-00-00-00-13.json"
}

# http_secs HTTP-DATE: seconds since the epoch.
http_secs() {
	date -u -d "$1" +%s
}

@test "Last-Modified waits until its second is over, so If-Modified-Since never hides a second write" {
	local mac=aa-00-00-00-00-14 f="$CONFIG_DIR/aa-00-00-00-00-14.json" round ims mtime after lm
	local seen=()
	# A write and the GET after it usually share a second, but not always (a
	# loaded disk can make the PUT's fsync slow): every check here holds
	# either way, and the weak case is forced below.
	for round in 1 2 3; do
		seed $mac "{\"round\":$round}"
		call GET /api/configs/$mac.json
		assert_code 200
		# The clock read after the answer is this machine's, like the file's
		# mtime (lighttpd's Date is cached per second and may lag: not used).
		after="$(date +%s)"
		# RFC 9110 section 8.8.2.2: a Last-Modified sent is the file's own
		# time, and a second that was already over when it was sent.
		lm="$(header Last-Modified)"
		if [ -n "$lm" ]; then
			[ "$(http_secs "$lm")" = "$(stat -c %Y "$f")" ] ||
				{ echo "round $round: Last-Modified $lm is not the file's mtime" >&2; return 1; }
			[ "$(http_secs "$lm")" -lt "$after" ] ||
				{ echo "round $round: Last-Modified $lm sent within its own second" >&2; return 1; }
			seen+=("$lm")
		fi
		# A second write at once: no Last-Modified seen may turn it into a 304.
		seed $mac "{\"round\":$round,\"again\":true}"
		for ims in "${seen[@]}"; do
			call GET /api/configs/$mac.json -H "If-Modified-Since: $ims"
			assert_code 200
			cmp "$IOT_TMP/last.body" "$f"
		done
		# Nor may the file's own second while it is not over.
		mtime="$(stat -c %Y "$f")"
		ims="$(LC_ALL=C date -u -d "@$mtime" '+%a, %d %b %Y %H:%M:%S GMT')"
		call GET /api/configs/$mac.json -H "If-Modified-Since: $ims"
		after="$(date +%s)"
		if [ "$code" = 304 ]; then
			[ "$after" -gt "$mtime" ] ||
				{ echo "round $round: 304 within the file's second" >&2; return 1; }
		else
			assert_code 200
			cmp "$IOT_TMP/last.body" "$f"
		fi
	done
	# Forced: a modification time not yet over (here ahead of the clock) is
	# never sent, and If-Modified-Since of that very time is no 304.
	mtime=$(($(date +%s) + 30))
	touch -m -d "@$mtime" "$f"
	ims="$(LC_ALL=C date -u -d "@$mtime" '+%a, %d %b %Y %H:%M:%S GMT')"
	for p in /api/configs/$mac.json /api/configs/$mac; do
		call GET "$p"
		assert_code 200
		[ -z "$(header Last-Modified)" ]
		call GET "$p" -H "If-Modified-Since: $ims"
		assert_code 200
		[ -n "$body" ]
	done
	cmp <(curl -s "$BASE_URL/api/configs/$mac.json") "$f"
	# Once the second is over (bounded wait), Last-Modified appears and validates.
	seed $mac '{"round":"last"}'
	mtime="$(stat -c %Y "$f")"
	for i in $(seq 1 30); do
		[ "$(date +%s)" -gt "$mtime" ] && break
		sleep 0.1
	done
	call GET /api/configs/$mac.json
	lm="$(header Last-Modified)"
	[ -n "$lm" ]
	[ "$(http_secs "$lm")" = "$mtime" ]
	call GET /api/configs/$mac.json -H "If-Modified-Since: $lm"
	assert_code 304
	[ -z "$body" ]
	call GET /api/configs/$mac -H "If-Modified-Since: $lm"
	assert_code 304
}

@test "HEAD answers the same headers as GET and no body, on every GET route" {
	seed aa-00-00-00-00-08 '{"deviceName":"h"}'
	for p in /api/configs/aa-00-00-00-00-08.json /api/configs/aa-00-00-00-00-08 /esp32/config/aa-00-00-00-00-08.json /api/configs /api/health /metrics /api/docs/openapi.json; do
		call GET "$p"
		assert_code 200
		get_len="$(header Content-Length)"
		get_type="$(header Content-Type)"
		get_etag="$(header ETag)"
		call HEAD "$p" --head
		assert_code 200
		[ "$(header Content-Type)" = "$get_type" ]
		[ "$(header ETag)" = "$get_etag" ]
		if [ "$p" != /metrics ] && [ "$p" != /api/configs ]; then
			[ "$(header Content-Length)" = "$get_len" ]
		fi
		raw_http "HEAD $p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
		head -1 "$IOT_TMP/raw.response" | grep -q '^HTTP/1.1 200'
		[ "$(raw_body_bytes)" = 0 ]
	done
}

@test "raw PUT with curl -T stores exactly the uploaded bytes and answers the GET shape" {
	printf '{"deviceName" : "Raw",\n\t"enableOTA":true, "n": 1.50}' >"$IOT_TMP/dev.json"
	run curl -s -T "$IOT_TMP/dev.json" -w '\n%{http_code}' "$BASE_URL/api/configs/AA:00:00:00:00:09.json"
	[ "$(printf '%s' "$output" | tail -1)" = 200 ]
	body="$(printf '%s' "$output" | head -n -1)"
	[ "$body" = '{"mac_address":"aa-00-00-00-00-09","device_name":"Raw","device_entity_id":null,"enable_ota":true,"content":{"deviceName":"Raw","enableOTA":true,"n":1.50}}' ]
	cmp "$IOT_TMP/dev.json" "$CONFIG_DIR/aa-00-00-00-00-09.json"
	call GET /api/configs/aa-00-00-00-00-09.json
	cmp "$IOT_TMP/last.body" "$IOT_TMP/dev.json"
}

@test "raw PUT takes a JSON Content-Type or none, and validates like the wrapped PUT" {
	call PUT /api/configs/aa-00-00-00-00-0a.json --data-binary '{"a":0}' -H 'Content-Type:'
	assert_code 200
	call PUT /api/configs/aa-00-00-00-00-0a.json --data-binary '{"a":0}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	call PUT /api/configs/aa-00-00-00-00-0a.json -H 'Content-Type: application/json' --data-binary '{"a":1}'
	assert_code 200
	[ "$(cat "$CONFIG_DIR/aa-00-00-00-00-0a.json")" = '{"a":1}' ]
	call PUT /api/configs/aa-00-00-00-00-0a.json -H 'Content-Type: text/plain' --data-binary '{"a":2}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	for b in '[1]' 'nope' '{"a":1,"a":2}' '{"n":1e999}' '"x"' ''; do
		call PUT /api/configs/aa-00-00-00-00-0a.json -H 'Content-Type: application/json' --data-binary "$b"
		assert_error 400 VALIDATION_FAILED
	done
	[ "$(cat "$CONFIG_DIR/aa-00-00-00-00-0a.json")" = '{"a":1}' ]
	head -c 1100000 /dev/zero | tr '\0' ' ' >"$IOT_TMP/big-raw.json"
	printf '{}' >>"$IOT_TMP/big-raw.json"
	call PUT /api/configs/aa-00-00-00-00-0a.json -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/big-raw.json"
	assert_error 413 PAYLOAD_TOO_LARGE
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
}

@test "PUT and DELETE with a current If-Match succeed" {
	seed aa-00-00-00-00-0b '{"v":1}'
	call GET /api/configs/aa-00-00-00-00-0b.json
	etag="$(header ETag)"
	call PUT /api/configs/aa-00-00-00-00-0b -H 'Content-Type: application/json' -H "If-Match: $etag" --data-binary '{"content":{"v":2}}'
	assert_code 200
	etag2="$(header ETag)"
	call PUT /api/configs/aa-00-00-00-00-0b.json -H 'Content-Type: application/json' -H "If-Match: \"zz\", $etag2" --data-binary '{"v":3}'
	assert_code 200
	etag3="$(header ETag)"
	call DELETE /api/configs/aa-00-00-00-00-0b -H "If-Match: $etag3"
	assert_code 204
	[ ! -e "$CONFIG_DIR/aa-00-00-00-00-0b.json" ]
}

@test "a stale If-Match answers 412 PRECONDITION_FAILED and keeps the file" {
	seed aa-00-00-00-00-0c '{"v":1}'
	call GET /api/configs/aa-00-00-00-00-0c.json
	old="$(header ETag)"
	seed aa-00-00-00-00-0c '{"v":2}'
	before="$(cat "$CONFIG_DIR/aa-00-00-00-00-0c.json")"
	call PUT /api/configs/aa-00-00-00-00-0c -H 'Content-Type: application/json' -H "If-Match: $old" --data-binary '{"content":{"v":3}}'
	assert_error 412 PRECONDITION_FAILED
	call PUT /api/configs/aa-00-00-00-00-0c.json -H 'Content-Type: application/json' -H "If-Match: $old" --data-binary '{"v":3}'
	assert_error 412 PRECONDITION_FAILED
	call DELETE /api/configs/aa-00-00-00-00-0c -H "If-Match: $old"
	assert_error 412 PRECONDITION_FAILED
	call PUT /api/configs/aa-00-00-00-00-0c.json -H 'Content-Type: application/json' -H "If-Match: W/$old" --data-binary '{"v":3}'
	assert_error 412 PRECONDITION_FAILED
	[ "$(cat "$CONFIG_DIR/aa-00-00-00-00-0c.json")" = "$before" ]
}

@test "If-Match on a missing config answers 412, for PUT and DELETE" {
	call PUT /api/configs/aa-00-00-00-00-0d -H 'Content-Type: application/json' -H 'If-Match: "abc"' --data-binary '{"content":{}}'
	assert_error 412 PRECONDITION_FAILED
	call PUT /api/configs/aa-00-00-00-00-0d -H 'Content-Type: application/json' -H 'If-Match: *' --data-binary '{"content":{}}'
	assert_error 412 PRECONDITION_FAILED
	call DELETE /api/configs/aa-00-00-00-00-0d -H 'If-Match: *'
	assert_error 412 PRECONDITION_FAILED
	[ ! -e "$CONFIG_DIR/aa-00-00-00-00-0d.json" ]
}

@test "a 412 names the header that refused" {
	seed aa-00-00-00-00-13 '{"v":1}'
	call GET /api/configs/aa-00-00-00-00-13.json
	etag="$(header ETag)"
	call PUT /api/configs/aa-00-00-00-00-13.json -H 'Content-Type: application/json' -H "If-Match: $etag" -H "If-None-Match: $etag" --data-binary '{"v":2}'
	assert_error 412 PRECONDITION_FAILED
	assert_json .details.message '"If-None-Match matches the current config"'
	call PUT /api/configs/aa-00-00-00-00-13.json -H 'Content-Type: application/json' -H 'If-Match: "0000"' --data-binary '{"v":2}'
	assert_error 412 PRECONDITION_FAILED
	assert_json .details.message '"If-Match does not match the current config"'
}

@test "If-None-Match: * makes PUT create-only" {
	call PUT /api/configs/aa-00-00-00-00-0e -H 'Content-Type: application/json' -H 'If-None-Match: *' --data-binary '{"content":{"v":1}}'
	assert_code 200
	call PUT /api/configs/aa-00-00-00-00-0e -H 'Content-Type: application/json' -H 'If-None-Match: *' --data-binary '{"content":{"v":2}}'
	assert_error 412 PRECONDITION_FAILED
	call PUT /api/configs/aa-00-00-00-00-0e.json -H 'Content-Type: application/json' -H 'If-None-Match: *' --data-binary '{"v":3}'
	assert_error 412 PRECONDITION_FAILED
	[ "$(jq .v "$CONFIG_DIR/aa-00-00-00-00-0e.json")" = 1 ]
}

# The three routes a config is read on, for MAC $1.
get_routes() {
	echo "/api/configs/$1.json /esp32/config/$1.json /api/configs/$1"
}

# A fixed modification time and HTTP dates around it.
FIXED_MTIME=1700000000
FIXED_LM='Tue, 14 Nov 2023 22:13:20 GMT'
FIXED_EARLY='Tue, 14 Nov 2023 22:13:19 GMT'

@test "GET and HEAD with a stale If-Match answer 412 on every config route; a current one the config" {
	local mac=aa-00-00-00-01-01 f="$CONFIG_DIR/aa-00-00-00-01-01.json" p
	seed $mac '{"v":1}'
	call GET /api/configs/$mac.json
	etag="$(header ETag)"
	for p in $(get_routes $mac); do
		call GET "$p" -H 'If-Match: "0000"'
		assert_error 412 PRECONDITION_FAILED
		assert_json .details.message '"If-Match does not match the current config"'
		call GET "$p" -H "If-Match: W/$etag"
		assert_error 412 PRECONDITION_FAILED
		call HEAD "$p" --head -H 'If-Match: "0000"'
		assert_code 412
		call GET "$p" -H "If-Match: \"0000\", $etag"
		assert_code 200
		[ "$(header ETag)" = "$etag" ]
		call GET "$p" -H 'If-Match: *'
		assert_code 200
	done
	call GET /api/configs/$mac.json -H "If-Match: $etag"
	cmp "$IOT_TMP/last.body" "$f"
	call GET /api/configs/$mac -H "If-Match: $etag"
	assert_json .content '{"v":1}'
	# A missing config stays 404: preconditions apply only where there is one to send.
	call GET /api/configs/aa-00-00-00-01-99.json -H 'If-Match: *'
	assert_error 404 RECORD_NOT_FOUND
}

@test "PUT and DELETE with If-Unmodified-Since before the modification answer 412 and keep the file" {
	local mac=aa-00-00-00-01-02 f="$CONFIG_DIR/aa-00-00-00-01-02.json"
	seed $mac '{"v":1}'
	touch -m -d "@$FIXED_MTIME" "$f"
	before="$(cat "$f")"
	call PUT /api/configs/$mac -H 'Content-Type: application/json' -H "If-Unmodified-Since: $FIXED_EARLY" --data-binary '{"content":{"v":2}}'
	assert_error 412 PRECONDITION_FAILED
	assert_json .details.message '"the config was modified after the If-Unmodified-Since date"'
	call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H "If-Unmodified-Since: $FIXED_EARLY" --data-binary '{"v":2}'
	assert_error 412 PRECONDITION_FAILED
	call DELETE /api/configs/$mac -H "If-Unmodified-Since: $FIXED_EARLY"
	assert_error 412 PRECONDITION_FAILED
	call DELETE /api/configs/$mac.json -H "If-Unmodified-Since: $FIXED_EARLY"
	assert_error 412 PRECONDITION_FAILED
	[ "$(cat "$f")" = "$before" ]
	[ "$(stat -c %Y "$f")" = "$FIXED_MTIME" ]
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
}

@test "If-Unmodified-Since at or after the modification lets PUT and DELETE through; an invalid date or no config ignores it" {
	local mac=aa-00-00-00-01-03 f="$CONFIG_DIR/aa-00-00-00-01-03.json"
	seed $mac '{"v":1}'
	touch -m -d "@$FIXED_MTIME" "$f"
	call PUT /api/configs/$mac -H 'Content-Type: application/json' -H "If-Unmodified-Since: $FIXED_LM" --data-binary '{"content":{"v":2}}'
	assert_code 200
	[ "$(jq -c . "$f")" = '{"v":2}' ]
	touch -m -d "@$FIXED_MTIME" "$f"
	call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H 'If-Unmodified-Since: Sat, 01 Jan 2050 00:00:00 GMT' --data-binary '{"v":3}'
	assert_code 200
	cmp <(printf '{"v":3}') "$f"
	touch -m -d "@$FIXED_MTIME" "$f"
	call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H 'If-Unmodified-Since: yesterday' --data-binary '{"v":4}'
	assert_code 200
	cmp <(printf '{"v":4}') "$f"
	touch -m -d "@$FIXED_MTIME" "$f"
	call DELETE /api/configs/$mac -H "If-Unmodified-Since: $FIXED_LM"
	assert_code 204
	[ ! -e "$f" ]
	# Without a config there is no modification date: the field is ignored.
	call DELETE /api/configs/$mac.json -H "If-Unmodified-Since: $FIXED_EARLY"
	assert_error 404 RECORD_NOT_FOUND
	call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H "If-Unmodified-Since: $FIXED_EARLY" --data-binary '{"v":5}'
	assert_code 200
	cmp <(printf '{"v":5}') "$f"
}

@test "GET and HEAD evaluate If-Unmodified-Since on every config route" {
	local mac=aa-00-00-00-01-04 f="$CONFIG_DIR/aa-00-00-00-01-04.json" p
	seed $mac '{"v":1}'
	touch -m -d "@$FIXED_MTIME" "$f"
	for p in $(get_routes $mac); do
		call GET "$p" -H "If-Unmodified-Since: $FIXED_EARLY"
		assert_error 412 PRECONDITION_FAILED
		call HEAD "$p" --head -H "If-Unmodified-Since: $FIXED_EARLY"
		assert_code 412
		call GET "$p" -H "If-Unmodified-Since: $FIXED_LM"
		assert_code 200
		[ "$(header Last-Modified)" = "$FIXED_LM" ]
		call GET "$p" -H 'If-Unmodified-Since: not a date'
		assert_code 200
	done
	call GET /api/configs/$mac.json -H "If-Unmodified-Since: $FIXED_LM"
	cmp "$IOT_TMP/last.body" "$f"
}

@test "a config modified within the current second fails If-Unmodified-Since whatever the date" {
	local mac=aa-00-00-00-01-05 f="$CONFIG_DIR/aa-00-00-00-01-05.json" p mtime date
	seed $mac '{"v":1}'
	# Forced: a modification time not yet over (here ahead of the clock).
	mtime=$(($(date +%s) + 300))
	touch -m -d "@$mtime" "$f"
	date="$(LC_ALL=C date -u -d "@$mtime" '+%a, %d %b %Y %H:%M:%S GMT')"
	before="$(cat "$f")"
	for d in "$date" 'Sat, 01 Jan 2050 00:00:00 GMT'; do
		for p in $(get_routes $mac); do
			call GET "$p" -H "If-Unmodified-Since: $d"
			assert_error 412 PRECONDITION_FAILED
			[[ "$(printf '%s' "$body" | jq -r .details.message)" == *"within the current second"* ]]
		done
		call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H "If-Unmodified-Since: $d" --data-binary '{"v":2}'
		assert_error 412 PRECONDITION_FAILED
		call DELETE /api/configs/$mac -H "If-Unmodified-Since: $d"
		assert_error 412 PRECONDITION_FAILED
	done
	[ "$(cat "$f")" = "$before" ]
	# If-Match is exact at any time, and makes If-Unmodified-Since ignored.
	call GET /api/configs/$mac.json
	etag="$(header ETag)"
	call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H "If-Match: $etag" -H "If-Unmodified-Since: $date" --data-binary '{"v":3}'
	assert_code 200
	cmp <(printf '{"v":3}') "$f"
}

@test "preconditions are evaluated in the order of RFC 9110 section 13.2.2" {
	local mac=aa-00-00-00-01-06 f="$CONFIG_DIR/aa-00-00-00-01-06.json" p
	seed $mac '{"v":1}'
	touch -m -d "@$FIXED_MTIME" "$f"
	call GET /api/configs/$mac.json
	etag="$(header ETag)"
	for p in $(get_routes $mac); do
		# 1. If-Match first: a stale one is 412 even where If-None-Match would be 304.
		call GET "$p" -H 'If-Match: "0000"' -H "If-None-Match: $etag"
		assert_error 412 PRECONDITION_FAILED
		assert_json .details.message '"If-Match does not match the current config"'
		# A current If-Match makes If-Unmodified-Since ignored.
		call GET "$p" -H "If-Match: $etag" -H "If-Unmodified-Since: $FIXED_EARLY"
		assert_code 200
		# 2. If-Unmodified-Since before If-None-Match and If-Modified-Since.
		call GET "$p" -H "If-Unmodified-Since: $FIXED_EARLY" -H "If-None-Match: $etag"
		assert_error 412 PRECONDITION_FAILED
		call GET "$p" -H "If-Unmodified-Since: $FIXED_EARLY" -H "If-Modified-Since: $FIXED_LM"
		assert_error 412 PRECONDITION_FAILED
		# 3. Both true: If-None-Match decides (304 with the validators, no body).
		call GET "$p" -H "If-Match: $etag" -H "If-Unmodified-Since: $FIXED_LM" -H "If-None-Match: $etag"
		assert_code 304
		[ -z "$body" ]
		[ "$(header ETag)" = "$etag" ]
		# 4. If-None-Match that does not match makes If-Modified-Since ignored.
		call GET "$p" -H "If-Unmodified-Since: $FIXED_LM" -H 'If-None-Match: "0000"' -H "If-Modified-Since: $FIXED_LM"
		assert_code 200
		call GET "$p" -H "If-Unmodified-Since: $FIXED_LM" -H "If-Modified-Since: $FIXED_LM"
		assert_code 304
	done
	# On PUT: If-Match holds, If-Unmodified-Since is ignored, If-None-Match refuses.
	before="$(cat "$f")"
	call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H "If-Match: $etag" -H "If-Unmodified-Since: $FIXED_EARLY" -H 'If-None-Match: *' --data-binary '{"v":2}'
	assert_error 412 PRECONDITION_FAILED
	assert_json .details.message '"If-None-Match matches the current config"'
	# If-Modified-Since means nothing to a PUT.
	call PUT /api/configs/$mac.json -H 'Content-Type: application/json' -H "If-Modified-Since: $FIXED_LM" --data-binary '{"v":2}'
	assert_code 200
	cmp <(printf '{"v":2}') "$f"
	[ "$before" != "$(cat "$f")" ]
}

@test "two concurrent PUTs with the same If-Match: exactly one wins, every round" {
	seed aa-00-00-00-00-0f '{"round":0}'
	for round in $(seq 1 25); do
		etag="$(curl -s -o /dev/null -D - "$BASE_URL/api/configs/aa-00-00-00-00-0f.json" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')"
		for who in a b; do
			curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H "If-Match: $etag" -H 'Content-Type: application/json' \
				--data-binary "{\"round\":$round,\"who\":\"$who\"}" \
				"$BASE_URL/api/configs/aa-00-00-00-00-0f.json" >"$IOT_TMP/r-$who" &
		done
		wait
		codes="$(cat "$IOT_TMP/r-a" "$IOT_TMP/r-b" | sort | tr '\n' ' ')"
		[ "$codes" = "200 412 " ] || { echo "round $round: $codes" >&2; return 1; }
		[ "$(jq .round "$CONFIG_DIR/aa-00-00-00-00-0f.json")" = "$round" ]
	done
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
}

@test "the legacy device path serves the raw file and conditional polls" {
	seed aa-00-00-00-00-10 '{"legacy":true}'
	call GET /esp32/config/AA:00:00:00:00:10.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-00-00-00-00-10.json"
	etag="$(header ETag)"
	call GET /esp32/config/aa-00-00-00-00-10.json -H "If-None-Match: $etag"
	assert_code 304
	call GET /esp32/config/aa-00-00-00-00-99.json
	assert_error 404 RECORD_NOT_FOUND
	call PUT /esp32/config/aa-00-00-00-00-10.json -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 405 METHOD_NOT_ALLOWED
}

@test "CORS preflight on every API route answers 204 with the allowed methods and headers" {
	for p in /api/configs /api/configs/aa-00-00-00-00-11 /api/configs/aa-00-00-00-00-11.json /api/health /esp32/config/aa-00-00-00-00-11.json /metrics /api/docs/openapi.json; do
		call OPTIONS "$p" -H "Origin: $UI_ORIGIN" -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: if-match, content-type, if-modified-since, cache-control'
		assert_code 204
		[ "$(header Access-Control-Allow-Origin)" = "$UI_ORIGIN" ]
		[ "$(header Access-Control-Allow-Methods)" = "$(header Allow)" ]
		allow_headers="$(header Access-Control-Allow-Headers)"
		for h in If-Match If-None-Match If-Modified-Since If-Unmodified-Since Cache-Control Content-Type X-Request-ID Authorization; do
			[[ ", $allow_headers," == *", $h,"* ]] || { echo "missing $h in $allow_headers" >&2; return 1; }
		done
		[ "$(header Access-Control-Max-Age)" -gt 0 ]
		[[ "$(header Vary)" == *Origin* ]]
	done
	call OPTIONS /api/configs/aa-00-00-00-00-11 -H "Origin: $UI_ORIGIN"
	[ "$(header Access-Control-Allow-Methods)" = "GET, HEAD, PUT, DELETE, PATCH, OPTIONS" ]
}

@test "a preflight for a method the route does not answer gets no Access-Control-Allow headers" {
	for req in 'PUT /api/configs' 'DELETE /esp32/config/aa-00-00-00-00-11.json' 'PUT /api/health' 'POST /api/configs/aa-00-00-00-00-11' 'put /api/configs/aa-00-00-00-00-11'; do
		set -- $req
		call OPTIONS "$2" -H "Origin: $UI_ORIGIN" -H "Access-Control-Request-Method: $1"
		assert_code 204
		[ -n "$(header Allow)" ]
		no_header '^access-control-' || { echo "for $req" >&2; return 1; }
		[[ "$(header Vary)" == *Origin* ]]
	done
	for req in 'PUT /api/configs/aa-00-00-00-00-11' 'DELETE /api/configs/aa-00-00-00-00-11.json' 'HEAD /esp32/config/aa-00-00-00-00-11.json' 'GET /api/configs'; do
		set -- $req
		call OPTIONS "$2" -H "Origin: $UI_ORIGIN" -H "Access-Control-Request-Method: $1"
		assert_code 204
		[ "$(header Access-Control-Allow-Origin)" = "$UI_ORIGIN" ]
		[ "$(header Access-Control-Allow-Methods)" = "$(header Allow)" ]
	done
}

@test "an allowed origin sees ETag and X-Request-ID exposed; a disallowed one gets no CORS headers" {
	seed aa-00-00-00-00-12 '{}'
	call GET /api/configs/aa-00-00-00-00-12.json -H "Origin: $UI_ORIGIN"
	[ "$(header Access-Control-Allow-Origin)" = "$UI_ORIGIN" ]
	exposed="$(header Access-Control-Expose-Headers)"
	[[ "$exposed" == *ETag* && "$exposed" == *X-Request-ID* ]]
	[[ "$(header Vary)" == *Origin* ]]
	call GET /api/configs/aa-00-00-00-00-12.json -H 'Origin: http://evil.example'
	assert_code 200
	no_header '^access-control-'
	[[ "$(header Vary)" == *Origin* ]]
	call OPTIONS /api/configs/aa-00-00-00-00-12 -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: DELETE'
	assert_code 204
	no_header '^access-control-'
	call GET /api/configs/zz.json -H "Origin: $UI_ORIGIN"
	assert_code 400
	[ "$(header Access-Control-Allow-Origin)" = "$UI_ORIGIN" ]
}

@test "without CORS_ORIGINS no response carries CORS headers or Vary" {
	iot_start
	call OPTIONS /api/configs -H "Origin: $UI_ORIGIN" -H 'Access-Control-Request-Method: GET'
	assert_code 204
	no_header '^access-control-'
	no_header '^vary:'
	[ "$(header Allow)" = "GET, HEAD, OPTIONS" ]
}

@test "with CORS_ORIGINS=* an Origin too long for the headers gets no Access-Control-* header at all" {
	iot_start CORS_ORIGINS='["*"]'
	seed aa-00-00-00-01-07 '{"v":1}'
	long="http://$(head -c 2000 /dev/zero | tr '\0' a).example"
	for p in /api/health /api/configs/aa-00-00-00-01-07.json /api/configs/aa-00-00-00-01-07 /api/configs/nope; do
		call GET "$p" -H "Origin: $long"
		no_header '^access-control-' || { echo "for $p" >&2; return 1; }
		[[ "$(header Vary)" == *Origin* ]]
		[ -n "$(header X-Request-ID)" ]
		call GET "$p" -H 'Origin: http://ui.example'
		[ "$(header Access-Control-Allow-Origin)" = http://ui.example ]
		[[ "$(header Access-Control-Expose-Headers)" == *ETag* ]]
	done
	call GET /api/configs/aa-00-00-00-01-07.json -H "Origin: $long"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-00-00-00-01-07.json"
	[ -n "$(header ETag)" ]
	call OPTIONS /api/configs/aa-00-00-00-01-07 -H "Origin: $long" -H 'Access-Control-Request-Method: PUT'
	assert_code 204
	no_header '^access-control-'
	[ "$(header Allow)" = "GET, HEAD, PUT, DELETE, PATCH, OPTIONS" ]
}

@test "an error answer carries none of the success answer's headers, but X-Request-ID and CORS" {
	local mac=aa-00-00-00-01-08 p
	seed $mac '{"v":1}'
	backdate "$CONFIG_DIR/$mac.json"
	for p in $(get_routes $mac); do
		# The validators are added before the preconditions are evaluated.
		call GET "$p" -H 'If-Match: "0000"' -H "Origin: $UI_ORIGIN" -H 'X-Request-ID: refused-1'
		assert_error 412 PRECONDITION_FAILED
		[ -z "$(header ETag)" ]
		[ -z "$(header Last-Modified)" ]
		[ -z "$(header Cache-Control)" ]
		[ "$(header X-Request-ID)" = refused-1 ]
		assert_json .correlationId '"refused-1"'
		[ "$(header Access-Control-Allow-Origin)" = "$UI_ORIGIN" ]
		[ "$(header Content-Length)" = "${#body}" ]
		call GET "$p" -H "Origin: $UI_ORIGIN"
		assert_code 200
		[ -n "$(header ETag)" ]
		[ -n "$(header Last-Modified)" ]
		[ "$(header Cache-Control)" = no-cache ]
	done
}
