#!/usr/bin/env bats
# tests/metrics/prometheus.bats: the exposition is accepted by Prometheus's
# own tools: promtool parses it, and a real Prometheus server scraping the
# project's lighttpd sees the target up and the operations the test made.

load ../e2e/helpers

setup_file() {
	iot_start_file PROCS=4
}

teardown() {
	iot_cleanup_extra
	if [ -n "${PROM_ID:-}" ]; then proc_stop "$PROM_ID" || true; fi
}

teardown_file() {
	iot_stop_file
}

@test "promtool parses the output; its only lint finding is the contract's files_count name" {
	curl -s -o /dev/null "$BASE_URL/api/configs"
	curl -s -o /dev/null "$BASE_URL/api/configs/zz"
	curl -sf "$BASE_URL/metrics" >"$IOT_TMP/metrics.txt"
	run promtool check metrics <"$IOT_TMP/metrics.txt"
	# 0: clean; 3: lint findings only (1 would be a parse error).
	[ "$status" = 0 ] || [ "$status" = 3 ]
	# iot_config_files_count is the name existing dashboards query; promtool's
	# linter reserves the _count suffix for histograms and summaries.
	findings="$(printf '%s\n' "$output" | grep -v '^iot_config_files_count non-histogram and non-summary metrics should not have "_count" suffix$' | grep -v '^$' || true)"
	[ -z "$findings" ] || { echo "promtool: $findings" >&2; return 1; }
	# A broken exposition must be caught by the same check.
	printf 'iot_config_operations_total{operation="get" 1\n' >"$IOT_TMP/broken.txt"
	run promtool check metrics <"$IOT_TMP/broken.txt"
	[ "$status" = 1 ]
}

prom_query() { # prom_query PROMQL -> the value of the first result, or empty
	curl -s --get --data-urlencode "query=$1" "http://127.0.0.1:$PROM_PORT/api/v1/query" |
		jq -r '.data.result[0].value[1] // empty'
}

prom_last() { # prom_last SELECTOR -> its last sample within the last minute
	prom_query "last_over_time($1[1m])"
}

@test "a real Prometheus scrapes /metrics through lighttpd and sees the right numbers" {
	iot_start PROCS=4 # fresh counters: only this test's requests
	PROM_PORT="$(free_port)"
	local dir="$IOT_TMP/prometheus"
	mkdir -p "$dir/data"
	cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: iotconfig
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$IOT_PORT']
YAML
	for i in $(seq 1 7); do
		curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' -d "{\"content\":{\"i\":$i}}" "$BASE_URL/api/configs/ac-00-00-00-00-0$i"
	done
	for i in 1 2 3; do curl -s -o /dev/null "$BASE_URL/api/configs/ac-00-00-00-00-01.json"; done
	curl -s -o /dev/null "$BASE_URL/api/configs/ac-00-00-00-00-99"
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$dir/log" 2>&1 3>&- &
	PROM_ID="$(proc_id $!)"
	# A loaded machine can make a scrape time out now and then, and a failed
	# scrape marks every series stale: ask for the last sample of the last
	# minute instead of the instant value, and wait up to 120 s (Prometheus
	# itself may take long to start) for a successful scrape.
	local deadline=$((SECONDS + 120))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(prom_query 'max_over_time(up{job="iotconfig"}[1m])')" = 1 ] &&
			[ -n "$(prom_last 'iot_config_operations_total{operation="get_raw",status="success"}')" ] && break
		sleep 0.5
	done
	[ "$(prom_query 'max_over_time(up{job="iotconfig"}[1m])')" = 1 ]
	[ "$(prom_last 'iot_config_operations_total{operation="save",status="success"}')" = 7 ]
	[ "$(prom_last 'iot_config_operations_total{operation="get_raw",status="success"}')" = 3 ]
	[ "$(prom_last 'iot_config_operations_total{operation="get",status="error"}')" = 1 ]
	[ "$(prom_last 'iot_config_files_count')" = 7 ]
	[ "$(prom_query 'sum(last_over_time(iot_config_operation_duration_seconds_count{operation="save"}[1m]))')" = 7 ]
}
