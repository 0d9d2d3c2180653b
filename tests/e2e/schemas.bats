#!/usr/bin/env bats
# tests/e2e/schemas.bats: JSON Schemas kept by the service. Schemas are
# stored byte for byte in .schemas/ with history; a bad schema is refused
# with every problem listed; every write path (wrapped PUT, raw PUT,
# restore) refuses a config that breaks its schema with 400
# VALIDATION_FAILED listing every error, and leaves the file as it was;
# "deviceModel" picks a schema, "default" is the fallback, and no key is
# ever added to a config; $ref reaches other schemas of the service; the
# dry run and the PUT answer name the configs that would fail; the list
# shows each config's verdict and follows schema changes; two instances
# on one directory share the schemas.

load helpers

setup_file() {
	iot_start_file
}

setup() {
	rm -rf "$CONFIG_DIR/.schemas" "$CONFIG_DIR/.history" "$CONFIG_DIR"/*.json \
		"$CONFIG_DIR"/.*.lock
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# put_schema NAME JSON [curl args]
put_schema() {
	local name="$1" data="$2"
	shift 2
	call PUT "/api/schemas/$name" -H 'Content-Type: application/json' --data-binary "$data" "$@"
}

raw_put() {
	call PUT "/api/configs/$1.json" -H 'Content-Type: application/json' --data-binary "$2"
}

DEVICE='{"type":"object","required":["deviceName","wifi"],"properties":{"deviceName":{"type":"string","minLength":1},"wifi":{"type":"object","required":["ssid"],"properties":{"ssid":{"type":"string","maxLength":32},"channel":{"type":"integer","minimum":1,"maximum":13}},"additionalProperties":false},"deviceModel":{"type":"string"}}}'

@test "PUT /api/schemas/{name} stores the schema byte for byte and GET returns it" {
	put_schema default "$DEVICE"
	assert_code 201
	assert_json '.name' '"default"'
	assert_json '.dialect' '"2020-12"'
	[ "$(cat "$CONFIG_DIR/.schemas/default.json")" = "$DEVICE" ]
	etag="$(header ETag)"
	call GET /api/schemas/default
	assert_code 200
	[ "$body" = "$DEVICE" ]
	[ "$(header ETag)" = "$etag" ]
	call GET /api/schemas
	assert_code 200
	assert_json '[.schemas[].name]' '["default"]'
	assert_json '.default_schema' '"default"'
	assert_json '.model_property' '"deviceModel"'
	assert_json '.schemas[0].valid' 'true'
	call GET /api/schemas/nothing
	assert_code 404
	assert_json '.code' '"RECORD_NOT_FOUND"'
	call GET "/api/schemas/Bad..Name"
	assert_code 400
	assert_json '.code' '"INVALID_OPERATION"'
}

@test "a schema with problems is refused with every problem listed, and not stored" {
	put_schema default '{"type":"strng","properties":{"a":{"pattern":"([a"}},"items":{"$ref":"missing#/x"}}'
	assert_code 400
	assert_json '.code' '"VALIDATION_FAILED"'
	assert_json '.details.error_count' '3'
	assert_json '[.details.errors[].keyword] | sort' '["$ref","pattern","type"]'
	assert_json '[.details.errors[].instancePath] | sort' '["/items/$ref","/properties/a/pattern","/type"]'
	assert_json '.correlationId | length > 0' 'true'
	[ ! -e "$CONFIG_DIR/.schemas/default.json" ]
	put_schema other '{"$schema":"http://json-schema.org/draft-04/schema#"}'
	assert_code 400
	assert_json '.details.errors[0].keyword' '"$schema"'
}

@test "wrapped PUT of a config that breaks its schema answers 400 with every error and writes nothing" {
	put_schema default "$DEVICE"
	assert_code 201
	put_json aa-bb-cc-00-00-01 '{"content":{"deviceName":"","wifi":{"ssid":"this-ssid-is-far-too-long-for-any-esp32","channel":14,"pass":"x"}},"allow_overwrite":true}'
	assert_code 400
	assert_json '.code' '"VALIDATION_FAILED"'
	assert_json '.details.schema' '"default"'
	assert_json '.details.error_count' '4'
	assert_json '[.details.errors[] | [.instancePath, .keyword]]' '[["/deviceName","minLength"],["/wifi/ssid","maxLength"],["/wifi/channel","maximum"],["/wifi/pass","additionalProperties"]]'
	assert_json '.details.errors[1].schemaPath' '"/properties/wifi/properties/ssid/maxLength"'
	assert_json '.details.message | test("4 errors")' 'true'
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-01.json" ]
	put_json aa-bb-cc-00-00-01 '{"content":{"deviceName":"hall","wifi":{"ssid":"home"}},"allow_overwrite":true}'
	assert_code 200
	[ -e "$CONFIG_DIR/aa-bb-cc-00-00-01.json" ]
}

@test "raw PUT of a config that breaks its schema answers 400 with every error and keeps the file" {
	put_schema default "$DEVICE"
	raw_put aa-bb-cc-00-00-02 '{"deviceName":"hall","wifi":{"ssid":"home"}}'
	assert_code 200
	before="$(cat "$CONFIG_DIR/aa-bb-cc-00-00-02.json")"
	raw_put aa-bb-cc-00-00-02 '{"wifi":{"channel":"six"}}'
	assert_code 400
	assert_json '.code' '"VALIDATION_FAILED"'
	assert_json '[.details.errors[] | [.instancePath, .keyword]]' '[["","required"],["/wifi","required"],["/wifi/channel","type"]]'
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-00-02.json")" = "$before" ]
}

@test "restore of a version that breaks today's schema is refused with every error" {
	put_json aa-bb-cc-00-00-03 '{"content":{"deviceName":"old"},"allow_overwrite":true}'
	assert_code 200
	put_json aa-bb-cc-00-00-03 '{"content":{"deviceName":"new","wifi":{"ssid":"x"}},"allow_overwrite":true}'
	assert_code 200
	call GET /api/configs/aa-bb-cc-00-00-03/history
	rev="$(printf '%s' "$body" | jq -r '.revisions[0].revision')"
	put_schema default "$DEVICE"
	current="$(cat "$CONFIG_DIR/aa-bb-cc-00-00-03.json")"
	call POST "/api/configs/aa-bb-cc-00-00-03/history/$rev/restore" -H 'Content-Type: application/json' --data ''
	assert_code 400
	assert_json '.code' '"VALIDATION_FAILED"'
	assert_json '[.details.errors[] | [.instancePath, .keyword]]' '[["","required"]]'
	assert_json '.details.errors[0].message | test("wifi")' 'true'
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-00-03.json")" = "$current" ]
}

@test "deviceModel picks the schema named after it, default otherwise, and nothing is added to the config" {
	put_schema default '{"required":["deviceName"]}'
	put_schema esp32-cam '{"required":["deviceName","fps"],"properties":{"fps":{"type":"integer"}}}'
	put_json aa-bb-cc-00-00-04 '{"content":{"deviceName":"cam","deviceModel":"esp32-cam"},"allow_overwrite":true}'
	assert_code 400
	assert_json '.details.schema' '"esp32-cam"'
	assert_json '.details.errors[0].message | test("fps")' 'true'
	put_json aa-bb-cc-00-00-04 '{"content":{"deviceName":"cam","deviceModel":"esp32-cam","fps":5},"allow_overwrite":true}'
	assert_code 200
	# A model without a schema of its own falls back to the default.
	put_json aa-bb-cc-00-00-05 '{"content":{"deviceModel":"relay"},"allow_overwrite":true}'
	assert_code 400
	assert_json '.details.schema' '"default"'
	raw_put aa-bb-cc-00-00-05 '{"deviceModel":"relay","deviceName":"r"}'
	assert_code 200
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-00-05.json")" = '{"deviceModel":"relay","deviceName":"r"}' ]
	call GET /api/configs/aa-bb-cc-00-00-04/schema
	assert_code 200
	assert_json '[.schema, .device_model, .valid, .error_count]' '["esp32-cam","esp32-cam",true,0]'
	assert_json '.document.required' '["deviceName","fps"]'
	assert_json '.schema_etag | length' '34'
}

@test "POST /api/configs/{mac}/validate gives the verdict a write would, without writing" {
	put_schema default "$DEVICE"
	call POST /api/configs/aa-bb-cc-00-00-06/validate -H 'Content-Type: application/json' \
		--data-binary '{"deviceName":"x","wifi":{}}'
	assert_code 200
	assert_json '[.schema, .valid, .error_count]' '["default",false,1]'
	assert_json '.errors[0] | [.instancePath, .schemaPath, .keyword]' '["/wifi","/properties/wifi/required","required"]'
	[ ! -e "$CONFIG_DIR/aa-bb-cc-00-00-06.json" ]
	call POST /api/configs/aa-bb-cc-00-00-06/validate -H 'Content-Type: application/json' \
		--data-binary '{"deviceName":"x","wifi":{"ssid":"a"}}'
	assert_json '[.valid, .errors]' '[true,[]]'
}

@test "POST /api/schemas/{name}/validate checks any JSON value and saves nothing" {
	put_schema port '{"type":"integer","minimum":1,"maximum":65535}'
	call POST /api/schemas/port/validate -H 'Content-Type: application/json' --data-binary '70000'
	assert_code 200
	assert_json '[.schema, .valid, .error_count, .errors[0].keyword]' '["port",false,1,"maximum"]'
	call POST /api/schemas/port/validate -H 'Content-Type: application/json' --data-binary '8080'
	assert_json '.valid' 'true'
	call POST /api/schemas/port/validate -H 'Content-Type: application/json' --data-binary '{"a":1,"a":2}'
	assert_code 400
	assert_json '.code' '"VALIDATION_FAILED"'
	call POST /api/schemas/none/validate -H 'Content-Type: application/json' --data-binary '1'
	assert_code 404
}

@test "a preview (dry run) lists each existing config that would fail the new schema, and stores nothing" {
	raw_put aa-bb-cc-00-00-07 '{"deviceName":"ok","wifi":{"ssid":"a"}}'
	raw_put aa-bb-cc-00-00-08 '{"deviceName":"","wifi":{"ssid":"a","x":1}}'
	raw_put aa-bb-cc-00-00-09 '{"wifi":{"ssid":"a"}}'
	call POST /api/schemas/default/preview -H 'Content-Type: application/json' --data-binary "$DEVICE"
	assert_code 200
	assert_json '[.dry_run, .configs.checked, .configs.failing]' '[true,3,2]'
	assert_json '[.configs.failures[] | [.mac_address, .schema, .error_count]]' '[["aa-bb-cc-00-00-08","default",2],["aa-bb-cc-00-00-09","default",1]]'
	assert_json '.configs.failures[0].errors[1].instancePath' '"/wifi/x"'
	[ ! -e "$CONFIG_DIR/.schemas/default.json" ]
	call GET /api/schemas/default
	assert_code 404
	# Stored for real, the answer reports the same; the configs stay as they are.
	put_schema default "$DEVICE"
	assert_code 201
	assert_json '[.dry_run, .configs.failing]' '[false,2]'
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-00-09.json")" = '{"wifi":{"ssid":"a"}}' ]
}

@test "the list shows each config's verdict and follows schema changes" {
	raw_put aa-bb-cc-00-00-0a '{"deviceName":"ok","wifi":{"ssid":"a"}}'
	raw_put aa-bb-cc-00-00-0b '{"wifi":{"ssid":"a","x":1}}'
	call GET /api/configs
	assert_code 200
	assert_json '[.configs[] | [.schema, .schema_errors]]' '[[null,0],[null,0]]'
	assert_json '.configs[0] | keys' '["device_entity_id","device_name","enable_ota","mac_address","saved_at","schema","schema_errors"]'
	put_schema default "$DEVICE"
	for round in 1 2 3 4; do # every responder process answers the same
		call GET /api/configs
		assert_json '[.configs[] | [.mac_address, .schema, .schema_errors]]' '[["aa-bb-cc-00-00-0a","default",0],["aa-bb-cc-00-00-0b","default",2]]'
	done
	put_schema default '{"properties":{"wifi":{"required":["psk"]}}}'
	call GET /api/configs
	assert_json '[.configs[] | .schema_errors]' '[1,1]'
	call DELETE /api/schemas/default
	assert_code 204
	call GET /api/configs
	assert_json '[.configs[] | [.schema, .schema_errors]]' '[[null,0],[null,0]]'
	# Without a schema, anything is accepted again.
	raw_put aa-bb-cc-00-00-0b '{"x":1}'
	assert_code 200
}

@test "\$ref reaches other schemas of the service, and errors name the path through it" {
	put_schema common '{"$defs":{"ssid":{"type":"string","minLength":1,"maxLength":32}}}'
	assert_code 201
	put_schema default '{"properties":{"wifi":{"properties":{"ssid":{"$ref":"common#/$defs/ssid"}}}}}'
	assert_code 201
	raw_put aa-bb-cc-00-00-0c '{"wifi":{"ssid":""}}'
	assert_code 400
	assert_json '.details.errors[0] | [.instancePath, .schemaPath, .keyword]' '["/wifi/ssid","/properties/wifi/properties/ssid/$ref/minLength","minLength"]'
	# A change to the referenced schema applies at once.
	put_schema common '{"$defs":{"ssid":{"type":"string"}}}'
	raw_put aa-bb-cc-00-00-0c '{"wifi":{"ssid":""}}'
	assert_code 200
	# Removing it leaves the reference unresolved: writes are refused, not let through.
	call DELETE /api/schemas/common
	raw_put aa-bb-cc-00-00-0c '{"wifi":{"ssid":"x"}}'
	assert_code 400
	assert_json '.details.errors[0].keyword' '"$ref"'
}

@test "draft-07 by \$schema: items as a tuple, \$ref ignores its siblings" {
	put_schema default '{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"pin":{"type":"integer"}},"properties":{"pins":{"items":[{"$ref":"#/definitions/pin","maximum":1}],"additionalItems":false}}}'
	assert_code 201
	assert_json '.dialect' '"draft-07"'
	raw_put aa-bb-cc-00-00-0d '{"pins":[5]}'
	assert_code 200
	raw_put aa-bb-cc-00-00-0d '{"pins":[5,6]}'
	assert_code 400
	assert_json '.details.errors[0] | [.instancePath, .keyword]' '["/pins/1","additionalItems"]'
}

@test "schemas keep a history: versions listed, read and restored" {
	put_schema default '{"required":["a"]}'
	put_schema default '{"required":["b"]}'
	assert_code 200
	assert_json '.created' 'false'
	call GET /api/schemas/default/history
	assert_code 200
	assert_json '.count' '1'
	rev="$(printf '%s' "$body" | jq -r '.revisions[0].revision')"
	call GET "/api/schemas/default/history/$rev"
	assert_code 200
	[ "$body" = '{"required":["a"]}' ]
	[ -d "$CONFIG_DIR/.schemas/.history/default" ]
	call POST "/api/schemas/default/history/$rev/restore" -H 'Content-Type: application/json' --data ''
	assert_code 200
	[ "$(cat "$CONFIG_DIR/.schemas/default.json")" = '{"required":["a"]}' ]
	call GET /api/schemas/default/history
	assert_json '.count' '2'
	assert_json '.revisions[0].replaced_by_operation' '"restore"'
	call GET /api/schemas/default/history/0000000099-0123abcd
	assert_code 404
}

@test "PUT and DELETE of a schema honour If-Match" {
	put_schema default '{"required":["a"]}'
	etag="$(header ETag)"
	put_schema default '{"required":["b"]}' -H 'If-Match: "0123"'
	assert_code 412
	assert_json '.code' '"PRECONDITION_FAILED"'
	[ "$(cat "$CONFIG_DIR/.schemas/default.json")" = '{"required":["a"]}' ]
	call DELETE /api/schemas/default -H "If-Match: $etag"
	assert_code 204
	[ ! -e "$CONFIG_DIR/.schemas/default.json" ]
	call DELETE /api/schemas/default
	assert_code 404
}

@test "two instances on one directory share the schemas" {
	first="$BASE_URL"
	iot_start ESP32_CONFIGS_DIR="$CONFIG_DIR"
	other="$BASE_URL"
	[ "$other" != "$first" ]
	code="$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
		--data-binary '{"required":["deviceName"]}' "$other/api/schemas/default")"
	[ "$code" = 201 ]
	code="$(curl -s -o "$BATS_TEST_TMPDIR/b" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
		--data-binary '{"x":1}' "$first/api/configs/aa-bb-cc-00-00-0e.json")"
	[ "$code" = 400 ]
	[ "$(jq -r '.details.schema' "$BATS_TEST_TMPDIR/b")" = default ]
	code="$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$first/api/schemas/default")"
	[ "$code" = 204 ]
	code="$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
		--data-binary '{"x":1}' "$other/api/configs/aa-bb-cc-00-00-0e.json")"
	[ "$code" = 200 ]
}
