#!/usr/bin/env bats
# tests/firmware/push.bats: a target change is published on MQTT (topic
# MQTT_FIRMWARE_TOPIC, the old service's iotsupport/updates/firmware) with
# the model, version, digests, size and the URL devices fetch it at, after
# it is durable: a real mosquitto broker and subscriber on loopback. An
# upload alone, or a target set to what it already is, publishes nothing;
# a canary is published with its devices; FIRMWARE_BASE_URL makes the URL.
# Also the alert rule the README and docs/firmware.md show, read from each
# document and run through promtool's rule tests.

bats_require_minimum_version 1.5.0

load ../mqtt/broker
load firmware

TOPIC=iotsupport/updates/firmware

setup_file() {
	broker_start
	export IMG="$BATS_FILE_TMPDIR/img"
	mkdir -p "$IMG"
	fw_image "$IMG/1.0.bin" 1.0.0 --size 50000 --seed 1
	fw_image "$IMG/1.1.bin" 1.1.0 --size 51000 --seed 2
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_cleanup_extra || true
	sub_stop_all
	broker_stop
	deploy_cleanup_dirs
}

# payload FILE VERSION URL [DEVICES_JSON]: the message expected.
payload() {
	jq -cn --arg m push --arg v "$2" --arg s "$(fw_sha "$1")" --arg md5 "$(fw_md5 "$1")" \
		--argjson n "$(stat -c %s "$1")" --arg u "$3" --argjson d "${4:-null}" \
		'{model: $m, version: $v, sha256: $s, md5: $md5, size: $n, url: $u, devices: $d}'
}

@test "a target change is published once, with model, version, SHA-256, MD5, size and URL; uploads and unchanged targets publish nothing" {
	sub_start fw
	iot_start PROCS=1 MQTT_URL="mqtt://127.0.0.1:$MQTT_PORT" FIRMWARE_BASE_URL=http://iot.example.org:8080/
	fw_upload push 1.0.0 "$IMG/1.0.bin"
	assert_code 201
	fw_upload push 1.1.0 "$IMG/1.1.bin"
	assert_code 201
	fw_target push '{"version":"1.0.0","canary":null}'
	assert_code 200
	wait_lines fw 1
	[ "$(sub_lines fw | jq -c .)" = "$(payload "$IMG/1.0.bin" 1.0.0 http://iot.example.org:8080/esp32/firmware/push/1.0.0.bin)" ]
	# The same target again: nothing; a canary: its version with its devices.
	fw_target push '{"version":"1.0.0","canary":null}'
	assert_code 200
	fw_target push '{"version":"1.0.0","canary":{"version":"1.1.0","devices":["AA:BB:CC:00:40:01"]}}'
	assert_code 200
	wait_lines fw 2
	[ "$(sub_lines fw | sed -n 2p | jq -c .)" = "$(payload "$IMG/1.1.bin" 1.1.0 http://iot.example.org:8080/esp32/firmware/push/1.1.0.bin '["aa-bb-cc-00-40-01"]')" ]
	# Then all, and back: each a message.
	fw_target push '{"version":"1.1.0","canary":null}'
	fw_target push '{"version":"1.0.0"}'
	assert_code 200
	wait_lines fw 4
	[ "$(sub_lines fw | sed -n 3p | jq -r .version)" = 1.1.0 ]
	[ "$(sub_lines fw | sed -n 4p | jq -r .version)" = 1.0.0 ]
	sleep 1 # nothing more comes
	[ "$(sub_count fw)" = 4 ]
	sub_stop fw
}

@test "without FIRMWARE_BASE_URL the URL is the admin request's own address" {
	sub_start own
	iot_start PROCS=1 MQTT_URL="mqtt://127.0.0.1:$MQTT_PORT"
	fw_upload push 1.0.0 "$IMG/1.0.bin"
	fw_target push '{"version":"1.0.0"}'
	assert_code 200
	wait_lines own 1
	[ "$(sub_lines own | jq -r .url)" = "$BASE_URL/esp32/firmware/push/1.0.0.bin" ]
	sub_stop own
}

# doc_rules FILE: the rule FILE shows (the yaml block after its marker line).
doc_rules() {
	awk '/^<!-- alert rule: checked by tests\/firmware\/push.bats -->$/ { marked = 1; next }
		marked && /^```yaml$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }' "$1"
}

@test "the documented firmware alert passes promtool, fires for a device failed 10 minutes, not before nor after it recovers" {
	# The README's copy is the one docs/firmware.md shows.
	doc_rules "$IOT_ROOT/README.md" >"$BATS_TEST_TMPDIR/readme.yml"
	doc_rules "$IOT_ROOT/docs/firmware.md" >"$BATS_TEST_TMPDIR/rules.yml"
	[ -s "$BATS_TEST_TMPDIR/readme.yml" ]
	cmp "$BATS_TEST_TMPDIR/readme.yml" "$BATS_TEST_TMPDIR/rules.yml"
	[ "$(grep -c 'alert:' "$BATS_TEST_TMPDIR/rules.yml")" = 1 ]
	run promtool check rules "$BATS_TEST_TMPDIR/rules.yml"
	echo "$output"
	[ "$status" = 0 ]
	cat >"$BATS_TEST_TMPDIR/test.yml" <<'YAML'
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # Two nodes scraped, each showing the same shared notes: one device
      # of model cam fails at minute 5 and is fixed at minute 40.
      - series: 'iot_firmware_devices{model="cam",state="failed",instance="a"}'
        values: '0x4 1x35 0x20'
      - series: 'iot_firmware_devices{model="cam",state="failed",instance="b"}'
        values: '0x4 1x35 0x20'
    alert_rule_test:
      - eval_time: 14m
        alertname: IotFirmwareUpdateFailed
        exp_alerts: []
      - eval_time: 16m
        alertname: IotFirmwareUpdateFailed
        exp_alerts:
          - exp_labels: {severity: warning, model: cam}
            exp_annotations:
              summary: "1 device(s) of model cam failed to update"
      - eval_time: 45m
        alertname: IotFirmwareUpdateFailed
        exp_alerts: []
YAML
	run promtool test rules "$BATS_TEST_TMPDIR/test.yml"
	echo "$output"
	[ "$status" = 0 ]
}
