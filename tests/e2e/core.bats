#!/usr/bin/env bats
# tests/e2e/core.bats: the device-config API contract through the real
# lighttpd and conf/lighttpd.conf: routes, JSON shapes, error codes, MAC
# forms, storage format and durability, configuration and process model.

load helpers
load one_instance

@test "health answers 200 healthy as JSON" {
	call GET /api/health
	assert_code 200
	[ "$body" = '{"status":"healthy"}' ]
	[ "$(header Content-Type)" = application/json ]
}

@test "PUT creates a config and answers the GET shape" {
	put_json AA:BB:CC:00:00:01 '{"content":{"deviceName":"Kitchen","deviceEntityId":"sensor.kitchen","enableOTA":true,"interval":30}}'
	assert_code 200
	[ "$(header Content-Type)" = application/json ]
	assert_json . '{"mac_address":"aa-bb-cc-00-00-01","device_name":"Kitchen","device_entity_id":"sensor.kitchen","enable_ota":true,"content":{"deviceName":"Kitchen","deviceEntityId":"sensor.kitchen","enableOTA":true,"interval":30}}'
	[ -f "$CONFIG_DIR/aa-bb-cc-00-00-01.json" ]
}

@test "stored file is pretty-printed with 2-space indent, unescaped slashes and a final newline" {
	put_json aa-bb-cc-00-00-02 '{"content":{"url":"http://x/y","name":"Büro ☃","n":{"a":[1,2]}}}'
	assert_code 200
	expected='{
  "url": "http://x/y",
  "name": "Büro ☃",
  "n": {
    "a": [
      1,
      2
    ]
  }
}'
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-00-02.json")" = "$expected" ]
	[ "$(tail -c1 "$CONFIG_DIR/aa-bb-cc-00-00-02.json" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "GET returns summary fields and the whole content" {
	put_json aa-bb-cc-00-00-03 '{"content":{"deviceName":"Hall","extra":{"deep":[true,null]}}}'
	call GET /api/configs/AA-BB-CC-00-00-03
	assert_code 200
	assert_json . '{"mac_address":"aa-bb-cc-00-00-03","device_name":"Hall","device_entity_id":null,"enable_ota":null,"content":{"deviceName":"Hall","extra":{"deep":[true,null]}}}'
	[ -n "$(header ETag)" ]
}

@test "summary fields of another type are null" {
	put_json aa-bb-cc-00-00-04 '{"content":{"deviceName":42,"deviceEntityId":["x"],"enableOTA":"true"}}'
	assert_code 200
	assert_json '[.device_name,.device_entity_id,.enable_ota]' '[null,null,null]'
}

@test "list is sorted by MAC, counts, and skips invalid and foreign files" {
	local d="$IOT_TMP/listdir"
	mkdir -p "$d"
	chmod 777 "$d"
	printf '{"deviceName":"b","enableOTA":false}\n' >"$d/0b-00-00-00-00-00.json"
	printf '{"deviceName":"a","deviceEntityId":"e.a"}\n' >"$d/0a-00-00-00-00-00.json"
	printf '{"deviceName":"c"}\n' >"$d/ff-00-00-00-00-00.json"
	printf 'not json' >"$d/01-00-00-00-00-00.json"
	printf '[1,2]' >"$d/02-00-00-00-00-00.json"
	printf '{"dup":1,"dup":2}' >"$d/03-00-00-00-00-00.json"
	printf '{}' >"$d/AA-00-00-00-00-00.json"
	printf '{}' >"$d/notes.json"
	printf '{}' >"$d/readme.txt"
	printf '{}' >"$d/.0c-00-00-00-00-00.json.1.2.3.tmp"
	: >"$d/.0c-00-00-00-00-00.lock"
	mkdir "$d/0d-00-00-00-00-00.json"
	printf '{"deviceName":"secret"}' >"$IOT_TMP/outside.json"
	ln -s "$IOT_TMP/outside.json" "$d/0e-00-00-00-00-00.json"
	iot_start ESP32_CONFIGS_DIR="$d"
	call GET /api/configs
	assert_code 200
	assert_json '.count' 3
	assert_json '[.configs[].mac_address]' '["0a-00-00-00-00-00","0b-00-00-00-00-00","ff-00-00-00-00-00"]'
	assert_json '.configs[0] | del(.saved_at)' '{"mac_address":"0a-00-00-00-00-00","device_name":"a","device_entity_id":"e.a","enable_ota":null,"schema":null,"schema_errors":0}'
	assert_json '.configs[1].enable_ota' false
	grep -q '01-00-00-00-00-00.json' "$LIGHTTPD_LOG"
}

@test "each listed config has saved_at, its file's modification time in UTC to the second" {
	local d="$IOT_TMP/saved"
	mkdir -p "$d"
	printf '{"deviceName":"a"}' >"$d/0a-00-00-00-00-01.json"
	printf '{"deviceName":"b"}' >"$d/0a-00-00-00-00-02.json"
	touch -d '2024-02-29 23:59:58.75 UTC' "$d/0a-00-00-00-00-01.json"
	touch -d '1999-12-31 00:00:01 UTC' "$d/0a-00-00-00-00-02.json"
	iot_start ESP32_CONFIGS_DIR="$d"
	call GET /api/configs
	assert_code 200
	assert_json '[.configs[].saved_at]' '["2024-02-29T23:59:58Z","1999-12-31T00:00:01Z"]'
	# Content-Length is computed from the same rendering.
	[ "$(header Content-Length)" = "$(wc -c <"$IOT_TMP/last.body")" ]
	# A later change shows at the next list.
	touch -d '2025-01-02 03:04:05 UTC' "$d/0a-00-00-00-00-02.json"
	call GET /api/configs
	assert_json '.configs[1].saved_at' '"2025-01-02T03:04:05Z"'
}

@test "empty directory lists no configs" {
	call GET /api/configs
	assert_code 200
	printf '%s' "$body" | jq -e '(.configs|type=="array") and (.count == (.configs|length))' >/dev/null
}

@test "DELETE answers 204 with an empty body and removes the file" {
	put_json aa-bb-cc-00-00-05 '{"content":{}}'
	assert_code 200
	call DELETE /api/configs/aa:bb:cc:00:00:05
	assert_code 204
	[ -z "$body" ]
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-05.json" ]
	call GET /api/configs/aa-bb-cc-00-00-05
	assert_error 404 RECORD_NOT_FOUND
	assert_json .error '"Config aa-bb-cc-00-00-05 was not found"'
}

@test "DELETE of a missing config is 404 RECORD_NOT_FOUND and leaves nothing behind" {
	call DELETE /api/configs/aa-bb-cc-00-00-06
	assert_error 404 RECORD_NOT_FOUND
	for i in $(seq 10 40); do
		curl -s -o /dev/null -X DELETE "$BASE_URL/api/configs/aa-bb-cc-00-01-$i"
		curl -s -o /dev/null -X PUT -H 'If-Match: "x"' -H 'Content-Type: application/json' \
			-d '{"content":{}}' "$BASE_URL/api/configs/aa-bb-cc-00-02-$i"
	done
	[ -z "$(ls -A "$CONFIG_DIR" | grep -e '-01-[0-9]*' -e '-02-[0-9]*')" ]
	[ ! -e "$CONFIG_DIR/.aa-bb-cc-00-00-06.lock" ]
}

@test "allow_overwrite false refuses an existing config with 409 and keeps the file" {
	put_json aa-bb-cc-00-00-07 '{"content":{"v":1},"allow_overwrite":false}'
	assert_code 200
	before="$(cat "$CONFIG_DIR/aa-bb-cc-00-00-07.json")"
	put_json aa-bb-cc-00-00-07 '{"content":{"v":2},"allow_overwrite":false}'
	assert_error 409 RECORD_EXISTS
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-00-07.json")" = "$before" ]
	put_json aa-bb-cc-00-00-07 '{"content":{"v":3},"allow_overwrite":true}'
	assert_code 200
	assert_json .content.v 3
}

@test "a stored file that is not a JSON object answers GET with 500 CONFIG_UNREADABLE; PUT and DELETE still work" {
	printf '{"broken":' >"$CONFIG_DIR/aa-bb-cc-00-00-08.json"
	call GET /api/configs/aa-bb-cc-00-00-08
	assert_error 500 CONFIG_UNREADABLE
	[[ "$(printf '%s' "$body" | jq -r .error)" == *aa-bb-cc-00-00-08.json* ]]
	put_json aa-bb-cc-00-00-08 '{"content":{"fixed":true}}'
	assert_code 200
	printf '[]' >"$CONFIG_DIR/aa-bb-cc-00-00-08.json"
	call GET /api/configs/aa-bb-cc-00-00-08
	assert_error 500 CONFIG_UNREADABLE
	call DELETE /api/configs/aa-bb-cc-00-00-08
	assert_code 204
}

@test "MAC forms: any case, colon or hyphen, normalised to the canonical file name" {
	for mac in AA:BB:CC:DD:EE:10 aa:bb:cc:dd:ee:10 Aa-bB-cC-Dd-eE-10; do
		put_json "$mac" "{\"content\":{\"m\":\"$mac\"}}"
		assert_code 200
		assert_json .mac_address '"aa-bb-cc-dd-ee-10"'
	done
	[ "$(ls "$CONFIG_DIR" | grep -c '^aa-bb-cc-dd-ee-10.json$')" = 1 ]
	[ "$(jq -r .m "$CONFIG_DIR/aa-bb-cc-dd-ee-10.json")" = Aa-bB-cC-Dd-eE-10 ]
}

@test "invalid MACs answer 400 INVALID_OPERATION naming the operation and the input" {
	call GET /api/configs/x
	assert_error 400 INVALID_OPERATION
	assert_json .error "\"Cannot get config because MAC address 'x' has invalid format\""
	put_json 'aa:bb:cc:dd:ee' '{"content":{}}'
	assert_error 400 INVALID_OPERATION
	assert_json .error "\"Cannot save config because MAC address 'aa:bb:cc:dd:ee' has invalid format\""
	call DELETE /api/configs/zz-bb-cc-dd-ee-ff
	assert_error 400 INVALID_OPERATION
	assert_json .error "\"Cannot delete config because MAC address 'zz-bb-cc-dd-ee-ff' has invalid format\""
	for bad in aa:bb-cc:dd:ee:ff aabbccddeeff aa:bb:cc:dd:ee:ff:00 '..' '%2e%2e' '..%2f..%2fetc%2fpasswd' 'aa:bb:cc:dd:ee:f%2f' '%20aa:bb:cc:dd:ee:ff' 'aa:bb:cc:dd:ee:fg' '%C0%AE%C0%AE' '..%5c..%5cwin'; do
		call GET "/api/configs/$bad"
		assert_error 400 INVALID_OPERATION
	done
	# Encoded control bytes are refused by lighttpd before any route.
	for bad in 'aa%3abb%3acc%3add%3aee%3aff%00' '%00' 'aa-bb-cc-dd-ee-ff%0d'; do
		call GET "/api/configs/$bad"
		assert_code 400
		assert_json .code '"BAD_REQUEST"'
	done
}

@test "a MAC with an encoded slash or dot-dot never touches a file outside the directory" {
	before="$(find "$IOT_TMP" -newer "$LIGHTTPD_LOG" -print | sort)"
	for bad in '..%2f..%2fpwned' '%2e%2e%2fpwned' '..' 'a%2e%2eb'; do
		put_json "$bad" '{"content":{"x":1}}'
		assert_error 400 INVALID_OPERATION
		call PUT "/api/configs/$bad.json" -H 'Content-Type: application/json' --data-binary '{"x":1}'
		assert_error 400 INVALID_OPERATION
	done
	[ ! -e "$IOT_TMP/pwned" ] && [ ! -e "$IOT_TMP/pwned.json" ] && [ ! -e "$CONFIG_DIR/../pwned.json" ]
}

@test "unknown paths answer a JSON 404; known paths with other methods 405 with Allow" {
	call GET /nope
	assert_error 404 NOT_FOUND
	call GET /api/configs/aa-bb-cc-dd-ee-ff/extra
	assert_error 404 NOT_FOUND
	call POST /api/configs -H 'Content-Type: application/json' -d '{}'
	assert_error 405 METHOD_NOT_ALLOWED
	[ "$(header Allow)" = "GET, HEAD, OPTIONS" ]
	call POST /api/configs/aa-bb-cc-dd-ee-ff -H 'Content-Type: application/json' -d '{}'
	assert_error 405 METHOD_NOT_ALLOWED
	[ "$(header Allow)" = "GET, HEAD, PUT, DELETE, PATCH, OPTIONS" ]
	call PATCH /api/configs/aa-bb-cc-dd-ee-ff.json
	assert_error 405 METHOD_NOT_ALLOWED
	call PUT /api/health
	assert_error 405 METHOD_NOT_ALLOWED
	call PROPFIND /api/configs
	assert_error 405 METHOD_NOT_ALLOWED
	assert_json .error '"Method PROPFIND is not allowed on /api/configs"'
}

@test "bodies that are not a valid request answer 400 VALIDATION_FAILED" {
	for b in 'not json' '[1,2]' '"str"' '{"content":[1]}' '{"content":"x"}' '{"content":null}' '{}' '{"config":{}}' '{"content":{},"allow_overwrite":"no"}' '{"content":{},"allow_overwrite":1}' '{"content":{"a":1,"a":2}}' "{'content':{}}" '{"content":{"n":NaN}}' '{"content":{"n":18446744073709551616}}' '{"content":{"n":-9223372036854775809}}' '{"content":{}} trailing'; do
		put_json aa-bb-cc-00-00-09 "$b"
		assert_error 400 VALIDATION_FAILED
	done
	put_json aa-bb-cc-00-00-09 ''
	assert_error 400 VALIDATION_FAILED
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-09.json" ]
}

@test "nesting deeper than 32 levels is refused with 400; 31 inside content is stored" {
	deep="$(printf '{"a":%.0s' $(seq 1 32))1$(printf '}%.0s' $(seq 1 32))"
	put_json aa-bb-cc-00-00-0a "{\"content\":$deep}"
	assert_error 400 VALIDATION_FAILED
	ok="$(printf '{"a":%.0s' $(seq 1 30))1$(printf '}%.0s' $(seq 1 30))"
	put_json aa-bb-cc-00-00-0a "{\"content\":$ok}"
	assert_code 200
}

@test "invalid UTF-8 in a body is refused with 400" {
	printf '{"content":{"s":"\xc3\x28"}}' >"$IOT_TMP/bad-utf8.json"
	call PUT /api/configs/aa-bb-cc-00-00-0b -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/bad-utf8.json"
	assert_error 400 VALIDATION_FAILED
	printf '{"content":{"s":"\xe0\x80\xaf"}}' >"$IOT_TMP/overlong.json"
	call PUT /api/configs/aa-bb-cc-00-00-0b -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/overlong.json"
	assert_error 400 VALIDATION_FAILED
}

@test "values round-trip exactly: unicode, escapes, floats, 64-bit integers" {
	data='{"content":{"s":"é ☃ 😀 \"q\" \\ \n\t\u0001 \u0000 /","f":0.1,"g":1.0e2,"h":-0.0,"i":9223372036854775807,"j":-9223372036854775808,"k":18446744073709551615,"l":1e-7}}'
	put_json aa-bb-cc-00-00-0c "$data"
	assert_code 200
	f="$CONFIG_DIR/aa-bb-cc-00-00-0c.json"
	grep -q '"f": 0.1,' "$f"
	grep -q '"g": 1.0e2,' "$f"
	grep -q '"h": -0.0,' "$f"
	grep -q '"i": 9223372036854775807,' "$f"
	grep -q '"j": -9223372036854775808,' "$f"
	grep -q '"k": 18446744073709551615,' "$f"
	grep -q '"l": 1e-7' "$f"
	[ "$(jq -r .s "$f")" = "$(printf 'é ☃ 😀 "q" \\ \n\t\001 \\u0000 /' | sed 's/\\u0000/\x00/' | tr -d '\000')$(printf '')" ] || [ "$(jq -c .s "$f")" = '"é ☃ 😀 \"q\" \\ \n\t\u0001 \u0000 /"' ]
	call GET /api/configs/aa-bb-cc-00-00-0c
	assert_json .content.s '"é ☃ 😀 \"q\" \\ \n\t\u0001 \u0000 /"'
	[[ "$body" == *'"k":18446744073709551615'* ]]
	[[ "$body" == *'"f":0.1'* ]]
}

@test "a body over MAX_BODY_BYTES answers 413 and stores nothing" {
	head -c 1100000 /dev/zero | tr '\0' 'a' | sed 's/^/{"content":{"s":"/; s/$/"}}/' >"$IOT_TMP/big.json"
	call PUT /api/configs/aa-bb-cc-00-00-0d -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/big.json"
	assert_error 413 PAYLOAD_TOO_LARGE
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-0d.json" ]
	call GET /api/health
	assert_code 200
}

@test "PUT without a JSON Content-Type answers 415 saying what to send" {
	call PUT /api/configs/aa-bb-cc-00-00-0e -H 'Content-Type: text/plain' --data-binary '{"content":{}}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	[[ "$(printf '%s' "$body" | jq -r .details.message)" == *"Content-Type: application/json"* ]]
	call PUT /api/configs/aa-bb-cc-00-00-0e --data-binary '{"content":{}}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	call PUT /api/configs/aa-bb-cc-00-00-0e -H 'Content-Type: application/json; charset=utf-8' --data-binary '{"content":{}}'
	assert_code 200
}

@test "X-Request-ID is echoed as header and correlationId and appears in the log" {
	call GET /api/configs/nope -H 'X-Request-ID: trace-123.abc'
	assert_code 400
	[ "$(header X-Request-ID)" = trace-123.abc ]
	assert_json .correlationId '"trace-123.abc"'
	put_json aa-bb-cc-00-00-0f '{"content":{}}' -H 'X-Request-ID: save-req-42'
	assert_code 200
	[ "$(header X-Request-ID)" = save-req-42 ]
	wait_for grep -q 'save-req-42 config saved mac=aa-bb-cc-00-00-0f' "$LIGHTTPD_LOG"
}

@test "a 128-character X-Request-ID is echoed and starts the log line of a write whole" {
	local id
	id="$(printf 'req-%0124d' 7 | tr 0 x)"
	[ "${#id}" = 128 ]
	put_json aa-bb-cc-00-00-20 '{"content":{}}' -H "X-Request-ID: $id"
	assert_code 200
	[ "$(header X-Request-ID)" = "$id" ]
	wait_for grep -qF "Z INFO $id config saved mac=aa-bb-cc-00-00-20" "$LIGHTTPD_LOG"
}

# log_fields TEXT: the key=value fields of a log message, one "key<TAB>value"
# per line, read the way a logfmt reader does (bare up to a space, or
# quoted with \" and \\ undone); fails on an unclosed quote. Words
# without '=' are free text and skipped.
log_fields() {
	local rest="$1" key value
	local re_quoted='^([A-Za-z_]+)="(([^"\\]|\\.)*)"( |$)(.*)$'
	local re_bare='^([A-Za-z_]+)=([^ "]*)( |$)(.*)$'
	while [ -n "$rest" ]; do
		rest="${rest# }"
		if [[ "$rest" =~ $re_quoted ]]; then
			key="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}" rest="${BASH_REMATCH[5]}"
			value="$(printf '%s' "$value" | sed 's/\\\(.\)/\1/g')"
		elif [[ "$rest" =~ $re_bare ]]; then
			key="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}" rest="${BASH_REMATCH[4]}"
		elif [[ "$rest" =~ ^[A-Za-z_]+=\" ]]; then
			return 1
		else
			[[ "$rest" == *" "* ]] && rest="${rest#* }" || rest=""
			continue
		fi
		printf '%s\t%s\n' "$key" "$value"
	done
}

@test "user names with spaces, quotes or = cannot forge fields of the audit line" {
	# lighttpd's plain user file: a name is anything up to the colon.
	printf '%s\n' 'eve replaced=r1 created=true:pw-e' 'mal"lory user=admin:pw-m' '-:pw--' >"$BATS_TEST_TMPDIR/users"
	printf '%s\n' "include \"$IOT_ROOT/conf/lighttpd.conf\"" \
		'server.modules += ( "mod_auth", "mod_authn_file" )' \
		'auth.backend = "plain"' \
		"auth.backend.plain.userfile = \"$BATS_TEST_TMPDIR/users\"" \
		'$HTTP["request-method"] !~ "^(GET|HEAD|OPTIONS)$" {' \
		'  auth.require = ( "" => ( "method" => "basic", "realm" => "iotconfig", "require" => "valid-user" ) )' \
		'}' >"$BATS_TEST_TMPDIR/auth.conf"
	IOT_LIGHTTPD_CONF="$BATS_TEST_TMPDIR/auth.conf" iot_start PROCS=1
	local user mac i=0 line fields
	for user in 'eve replaced=r1 created=true' 'mal"lory user=admin' '-'; do
		i=$((i + 1))
		mac="aa-bb-cc-00-00-4$i"
		put_json "$mac" '{"content":{}}' -u "$user:pw-${user:0:1}" -H "X-Request-ID: forge-$i"
		assert_code 200
		wait_for grep -q "forge-$i config saved mac=$mac " "$LIGHTTPD_LOG"
		line="$(grep "forge-$i config saved mac=$mac " "$LIGHTTPD_LOG")"
		fields="$(log_fields "${line#* config saved }")" || { echo "unreadable: $line" >&2; return 1; }
		# Exactly the five fields of a save, each once, the user as sent.
		[ "$(cut -f1 <<<"$fields" | tr '\n' ' ')" = "mac bytes created user replaced " ] ||
			{ echo "line: $line" >&2; echo "fields: $fields" >&2; return 1; }
		[ "$(awk -F '\t' '$1 == "user" {print $2}' <<<"$fields")" = "$user" ]
		[ "$(awk -F '\t' '$1 == "created" {print $2}' <<<"$fields")" = true ]
		[ "$(awk -F '\t' '$1 == "replaced" {print $2}' <<<"$fields")" = - ]
	done
	# A user named "-" is told apart from no user at all.
	[[ "$line" == *' created=true user="-" replaced=-' ]] || { echo "line: $line" >&2; return 1; }
}

@test "without X-Request-ID every response gets a fresh UUID" {
	call GET /api/configs/nope
	id1="$(header X-Request-ID)"
	[[ "$id1" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	assert_json .correlationId "\"$id1\""
	call GET /api/health
	id2="$(header X-Request-ID)"
	[[ "$id2" =~ ^[0-9a-f-]{36}$ ]] && [ "$id1" != "$id2" ]
}

@test "an X-Request-ID that could inject headers or log lines is replaced" {
	call GET /api/health -H "X-Request-ID: evil$(printf '\t')x"
	id="$(header X-Request-ID)"
	[[ "$id" =~ ^[0-9a-f-]{36}$ ]]
	long="$(head -c 300 /dev/zero | tr '\0' 'a')"
	call GET /api/health -H "X-Request-ID: $long"
	[[ "$(header X-Request-ID)" =~ ^[0-9a-f-]{36}$ ]]
}

@test "after a PUT no temp file remains and lock files never show in the list" {
	put_json aa-bb-cc-00-00-10 '{"content":{"a":1}}'
	assert_code 200
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
	call GET /api/configs
	[[ "$body" != *lock* ]]
}

@test "concurrent writers to one MAC: last write wins, never a partial or mixed file" {
	local i
	for i in $(seq 1 24); do
		pad="$(head -c $((i * 3000)) /dev/zero | tr '\0' "$(printf '%x' $((i % 16)))")"
		printf '{"content":{"writer":%d,"pad":"%s"}}' "$i" "$pad" >"$IOT_TMP/w$i.json"
	done
	for i in $(seq 1 24); do
		curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' --data-binary @"$IOT_TMP/w$i.json" "$BASE_URL/api/configs/aa-bb-cc-00-00-11" &
	done
	wait
	f="$CONFIG_DIR/aa-bb-cc-00-00-11.json"
	w="$(jq -r .writer "$f")"
	[ "$(jq -c . "$f")" = "$(jq -c .content "$IOT_TMP/w$w.json")" ]
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
}

@test "without ESP32_CONFIGS_DIR config routes answer 503 and health says not configured" {
	iot_start ESP32_CONFIGS_DIR=
	call GET /api/health
	assert_code 503
	assert_json .status '"unhealthy"'
	[[ "$(printf '%s' "$body" | jq -r .reason)" == *"not configured"* ]]
	call GET /api/configs
	assert_error 503 STORAGE_UNAVAILABLE
	call PUT /api/configs/aa-bb-cc-00-00-12 -H 'Content-Type: application/json' -d '{"content":{}}'
	assert_error 503 STORAGE_UNAVAILABLE
	call GET /api/configs/aa-bb-cc-00-00-12.json
	assert_error 503 STORAGE_UNAVAILABLE
}

@test "a missing config directory is 503 with the cause, and is never created by the service" {
	local absent="$IOT_TMP/absent"
	iot_start ESP32_CONFIGS_DIR="$absent"
	call GET /api/health
	assert_code 503
	[[ "$(printf '%s' "$body" | jq -r .reason)" == *"does not exist"* ]]
	call PUT /api/configs/aa-bb-cc-00-00-13 -H 'Content-Type: application/json' -d '{"content":{}}'
	assert_error 503 STORAGE_UNAVAILABLE
	[[ "$(printf '%s' "$body" | jq -r .error)" == *"does not exist"* ]]
	[ ! -e "$absent" ]
	local afile="$IOT_TMP/afile"
	printf 'x' >"$afile"
	iot_stop
	iot_start ESP32_CONFIGS_DIR="$afile"
	call GET /api/health
	[[ "$(printf '%s' "$body" | jq -r .reason)" == *"not a directory"* ]]
	call GET /api/configs
	assert_error 503 STORAGE_UNAVAILABLE
}

@test "temp files left by dead writers are removed when a process starts" {
	local d="$IOT_TMP/sweep"
	mkdir -p "$d"
	printf '{}' >"$d/.aa-bb-cc-00-00-14.json.999999.1.deadbeef.tmp"
	printf '{}' >"$d/.aa-bb-cc-00-00-15.json.999999.2.deadbeef.tmp"
	touch -d '2 hours ago' "$d/.aa-bb-cc-00-00-15.json.999999.2.deadbeef.tmp"
	printf '{"keep":true}' >"$d/aa-bb-cc-00-00-14.json"
	iot_start ESP32_CONFIGS_DIR="$d"
	[ -z "$(find "$d" -name '*.tmp')" ]
	[ "$(cat "$d/aa-bb-cc-00-00-14.json")" = '{"keep":true}' ]
}

@test "every JSON response carries Content-Type application/json" {
	for p in /api/health /api/configs /api/configs/zz /nope /api/docs/openapi.json; do
		call GET "$p"
		[ "$(header Content-Type)" = application/json ]
	done
}
