#!/usr/bin/env bats
# tests/checkin/rules.bats: the alert rules docs/api.md shows under "Device
# check-in" are read from docs/api.md itself (the yaml block after the
# marker line), so what a reader copies is what is checked: promtool
# accepts them, and promtool's rule tests show them firing for a device
# silent for over an hour and for devices outdated for 15 minutes, and not
# before.

bats_require_minimum_version 1.5.0

load ../e2e/helpers

setup() {
	DOC_MD="$IOT_ROOT/docs/api.md"
	RULES="$BATS_TEST_TMPDIR/rules.yml"
	awk '/^<!-- alert rules: checked by tests\/checkin\/rules.bats -->$/ { marked = 1; next }
		marked && /^```yaml$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }' "$DOC_MD" >"$RULES"
}

@test "the documented alert rules pass promtool check rules" {
	[ "$(grep -c 'alert:' "$RULES")" = 2 ]
	run promtool check rules "$RULES"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"SUCCESS: 2 rules found"* ]]
	# The same check fails on a broken rule.
	sed 's/> 3600/> > 3600/' "$RULES" >"$BATS_TEST_TMPDIR/broken.yml"
	run promtool check rules "$BATS_TEST_TMPDIR/broken.yml"
	[ "$status" = 1 ]
}

@test "the documented alert rules fire after an hour without a fetch and after 15 minutes outdated" {
	cat >"$BATS_TEST_TMPDIR/test.yml" <<'YAML'
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # Fetches every minute until minute 10, then silence; two nodes
      # scraped, each showing the same shared note.
      - series: 'iot_config_device_last_fetch_timestamp_seconds{mac_address="aa-bb-cc-dd-ee-ff",instance="a"}'
        values: '0+60x10 600x100'
      - series: 'iot_config_device_last_fetch_timestamp_seconds{mac_address="aa-bb-cc-dd-ee-ff",instance="b"}'
        values: '0+60x10 600x100'
      # One device outdated from minute 5 to minute 40, also on both nodes.
      - series: 'iot_config_devices_outdated{instance="a"}'
        values: '0x4 1x35 0x20'
      - series: 'iot_config_devices_outdated{instance="b"}'
        values: '0x4 1x35 0x20'
    alert_rule_test:
      - eval_time: 69m
        alertname: IotConfigDeviceSilent
        exp_alerts: []
      - eval_time: 71m
        alertname: IotConfigDeviceSilent
        exp_alerts:
          - exp_labels: {severity: warning, mac_address: aa-bb-cc-dd-ee-ff}
            exp_annotations:
              summary: "Device aa-bb-cc-dd-ee-ff has not fetched its config for an hour"
      - eval_time: 19m
        alertname: IotConfigDevicesOutdated
        exp_alerts: []
      - eval_time: 21m
        alertname: IotConfigDevicesOutdated
        exp_alerts:
          - exp_labels: {severity: warning}
            exp_annotations:
              summary: "1 devices have not picked up their current config for 15 minutes"
      - eval_time: 50m
        alertname: IotConfigDevicesOutdated
        exp_alerts: []
YAML
	run promtool test rules "$BATS_TEST_TMPDIR/test.yml"
	echo "$output"
	[ "$status" = 0 ]
}
