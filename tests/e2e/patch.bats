#!/usr/bin/env bats
# tests/e2e/patch.bats: PATCH of one config with a JSON Merge Patch (RFC
# 7396) and searching inside configs. A patch changes only the bytes of
# what it names (the file on disk is compared byte for byte), honours
# If-Match, answers the PUT's shape, keeps the replaced version in the
# history; a patch that changes nothing writes nothing. GET /api/configs
# with q finds configs by any key or value, ignoring case, and by JSON
# Pointer, several terms together; the list keeps its shape.

load helpers
load one_instance

# patch MAC BODY [curl args]
patch() {
	local mac="$1" data="$2"
	shift 2
	call PATCH "/api/configs/$mac" -H 'Content-Type: application/merge-patch+json' --data-binary "$data" "$@"
}

# seed MAC TEXT: the config file written directly, as a hand edit would.
seed() {
	printf '%s' "$2" >"$CONFIG_DIR/$1.json"
}

@test "RFC 7396's examples: each patch gives the RFC's result" {
	local mac=aa-00-00-00-24-01 i
	# target, patch, result (RFC 7396 Appendix A, the ones whose target and patch are objects)
	local cases=(
		'{"a":"b"}' '{"a":"c"}' '{"a":"c"}'
		'{"a":"b"}' '{"b":"c"}' '{"a":"b","b":"c"}'
		'{"a":"b"}' '{"a":null}' '{}'
		'{"a":"b","b":"c"}' '{"a":null}' '{"b":"c"}'
		'{"a":["b"]}' '{"a":"c"}' '{"a":"c"}'
		'{"a":"c"}' '{"a":["b"]}' '{"a":["b"]}'
		'{"a":{"b":"c"}}' '{"a":{"b":"d","c":null}}' '{"a":{"b":"d"}}'
		'{"a":[{"b":"c"}]}' '{"a":[1]}' '{"a":[1]}'
		'{"e":null}' '{"a":1}' '{"e":null,"a":1}'
		'{}' '{"a":{"bb":{"ccc":null}}}' '{"a":{"bb":{}}}'
	)
	for ((i = 0; i < ${#cases[@]}; i += 3)); do
		seed "$mac" "${cases[i]}"
		patch "$mac" "${cases[i + 1]}"
		assert_code 200
		[ "$(jq -cS . "$CONFIG_DIR/$mac.json")" = "$(printf '%s' "${cases[i + 2]}" | jq -cS .)" ] ||
			{ echo "case $((i / 3 + 1)): $(cat "$CONFIG_DIR/$mac.json")" >&2; return 1; }
		assert_json '.content' "$(printf '%s' "${cases[i + 2]}" | jq -c .)"
	done
	# A patch that is not an object would replace the whole config: refused.
	for p in '["c"]' 'null' '"bar"'; do
		patch "$mac" "$p"
		assert_error 400 VALIDATION_FAILED
	done
}

@test "a patch changes only what it names: numbers as written, escapes, layout all stay" {
	local mac=aa-00-00-00-24-02
	seed "$mac" $'{\n    "deviceName": "hall",\n    "big": 9223372036854775807,\n    "ubig": 18446744073709551615,\n    "f": 0.1,\n    "nz": -0.0,\n    "iz": -0,\n    "t": 1.50,\n    "esc": "caf\\u00e9 \\/",\n    "pins": [1, 2,  3],\n    "mqtt": { "broker": "10.0.0.1", "port": 1883 }\n}\n'
	patch "$mac" '{"mqtt":{"broker":"10.0.20.5"},"ota":{"url":"http://x/fw.bin"}}'
	assert_code 200
	printf '%s' $'{\n    "deviceName": "hall",\n    "big": 9223372036854775807,\n    "ubig": 18446744073709551615,\n    "f": 0.1,\n    "nz": -0.0,\n    "iz": -0,\n    "t": 1.50,\n    "esc": "caf\\u00e9 \\/",\n    "pins": [1, 2,  3],\n    "mqtt": { "broker": "10.0.20.5", "port": 1883 },\n    "ota": {\n        "url": "http://x/fw.bin"\n    }\n}\n' >"$IOT_TMP/want"
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/want"
	# The answer is the PUT's: GET shape, numbers exact, and the ETag of the file.
	printf '%s' "$body" | grep -q '"big":9223372036854775807,"ubig":18446744073709551615,"f":0.1,"nz":-0.0,"iz":-0,"t":1.50'
	assert_json '.mac_address' '"aa-00-00-00-24-02"'
	[ "$(header ETag)" = "\"$(sha256sum "$CONFIG_DIR/$mac.json" | cut -c1-32)\"" ]
}

@test "PATCH honours If-Match; the replaced version is in the history; an unchanged patch writes nothing" {
	local mac=aa-00-00-00-24-03
	put_json "$mac" '{"content":{"v":1}}'
	assert_code 200
	local etag
	etag="$(header ETag)"
	patch "$mac" '{"v":2}' -H 'If-Match: "00000000000000000000000000000000"'
	assert_error 412 PRECONDITION_FAILED
	jq -e '.v == 1' "$CONFIG_DIR/$mac.json"
	patch "$mac" '{"v":2}' -H "If-Match: $etag"
	assert_code 200
	jq -e '.v == 2' "$CONFIG_DIR/$mac.json"
	call GET "/api/configs/$mac/history"
	assert_json '.count' 1
	assert_json '.revisions[0].etag' "$(printf '%s' "$etag" | jq -R .)"
	assert_json '.revisions[0].replaced_by_change' null
	# The same value again: no write, no history, the same file.
	local inode
	inode="$(stat -c %i "$CONFIG_DIR/$mac.json")"
	patch "$mac" '{"v":2,"gone":null}'
	assert_code 200
	[ "$(stat -c %i "$CONFIG_DIR/$mac.json")" = "$inode" ]
	call GET "/api/configs/$mac/history"
	assert_json '.count' 1
}

@test "PATCH refuses other media types, a missing config, an invalid body and a stored file that is not JSON" {
	local mac=aa-00-00-00-24-04
	put_json "$mac" '{"content":{"v":1}}'
	call PATCH "/api/configs/$mac" -H 'Content-Type: application/json' --data-binary '{"v":2}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	patch aa-00-00-00-24-99 '{"v":2}'
	assert_error 404 RECORD_NOT_FOUND
	[ ! -e "$CONFIG_DIR/aa-00-00-00-24-99.json" ]
	patch "$mac" '{"v":2,}'
	assert_error 400 VALIDATION_FAILED
	patch not-a-mac '{"v":2}'
	assert_error 400 INVALID_OPERATION
	seed aa-00-00-00-24-05 'not json'
	patch aa-00-00-00-24-05 '{"v":2}'
	assert_error 500 CONFIG_UNREADABLE
	[ "$(cat "$CONFIG_DIR/aa-00-00-00-24-05.json")" = 'not json' ]
	jq -e '.v == 1' "$CONFIG_DIR/$mac.json"
}

@test "a PATCH body of several KiB reaches the service through the web server" {
	local mac=aa-00-00-00-24-07
	seed "$mac" '{"v":1}'
	patch "$mac" "{\"notes\":\"$(head -c 5000 /dev/zero | tr '\0' n)\"}"
	assert_code 200
	[ "$(jq -r '.notes | length' "$CONFIG_DIR/$mac.json")" = 5000 ]
}

@test "a patch whose result would be too large or too deep is refused and writes nothing" {
	iot_start MAX_BODY_BYTES=1024
	local mac=aa-00-00-00-24-06
	seed "$mac" "{\"v\":\"$(head -c 600 /dev/zero | tr '\0' y)\"}"
	cp "$CONFIG_DIR/$mac.json" "$IOT_TMP/before"
	patch "$mac" "{\"pad\":\"$(head -c 600 /dev/zero | tr '\0' x)\"}"
	assert_error 413 PAYLOAD_TOO_LARGE
	cmp "$CONFIG_DIR/$mac.json" "$IOT_TMP/before"
	seed "$mac" '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}'
	patch "$mac" '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"b":{"c":{"d":1}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}'
	assert_error 400 VALIDATION_FAILED
}

@test "search: text matches keys and values in any case, inside nested objects and arrays" {
	seed ab-00-00-00-24-01 '{"deviceName":"Kitchen","mqtt":{"broker":"mqtts://10.77.20.5","port":8883}}'
	seed ab-00-00-00-24-02 '{"deviceName":"Hall","mqtt":{"broker":"mqtt://10.77.0.1","port":1883},"tags":["Outdoor"]}'
	seed ab-00-00-00-24-03 '{"deviceName":"Attic","sensor":{"offset":-0.5125,"zo\u00e9x":true}}'
	call GET /api/configs
	local entry
	entry="$(jq -c '.configs[] | select(.mac_address == "ab-00-00-00-24-01")' <<<"$body")"
	call GET '/api/configs?q=MQTTS'
	assert_code 200
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-01"]'
	assert_json '.count' 1
	# The list's shape: the entry is the one the whole list has.
	assert_json '.configs[0]' "$entry"
	assert_json 'keys' '["configs","count"]'
	call GET '/api/configs?q=10.77.'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-01","ab-00-00-00-24-02"]'
	call GET '/api/configs?q=outdoor'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-02"]'
	call GET '/api/configs?q=-0.512'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-03"]'
	# A key, written with an escape in the file.
	call GET '/api/configs?q=ZO%C3%A9X'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-03"]'
	call GET '/api/configs?q=sensor'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-03"]'
	call GET '/api/configs?q=nothing+like+this'
	assert_json '.configs' '[]'
	assert_json '.count' 0
}

@test "search: a JSON Pointer matches one value exactly; terms combine with AND" {
	seed ab-00-00-00-24-11 '{"mqtt":{"port":8993,"broker":"a"},"wifi":{"ssid":"Home"}}'
	seed ab-00-00-00-24-12 '{"mqtt":{"port":1993,"broker":"a/b"},"wifi":{"ssid":"home"}}'
	call GET '/api/configs?q=/mqtt/port=8993'
	assert_code 200
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-11"]'
	# Case counts in the precise form; the pointer names one place only.
	call GET '/api/configs?q=/wifi/ssid=home'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-12"]'
	call GET '/api/configs?q=/ssid=home'
	assert_json '.count' 0
	# Existence, and AND with a text term.
	call GET '/api/configs?q=/wifi/ssid&q=8993'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-11"]'
	call GET '/api/configs?q=/mqtt/port=1993&q=/wifi/ssid=Home'
	assert_json '.count' 0
	call GET '/api/configs?q=/mqtt/broker=a%2Fb'
	assert_json '[.configs[].mac_address]' '["ab-00-00-00-24-12"]'
}

@test "search: a bad term is refused; without q the list is the whole list" {
	call GET '/api/configs?q='
	assert_error 400 VALIDATION_FAILED
	call GET "/api/configs?q=$(head -c 300 /dev/zero | tr '\0' a)"
	assert_error 400 VALIDATION_FAILED
	# (lighttpd itself refuses a %00 in the query)
	call GET '/api/configs?q=a%00b'
	assert_code 400
	call GET '/api/configs'
	assert_code 200
	local all="$body"
	call GET '/api/configs?other=1'
	[ "$body" = "$all" ]
}
