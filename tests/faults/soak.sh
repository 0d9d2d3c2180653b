#!/usr/bin/env bash
# tests/faults/soak.sh: bounded load and stability run (`make soak`, not part
# of `make test`). One lighttpd instance on a free loopback port; SOAK_CLIENTS
# concurrent clients repeat a fixed cycle of mixed reads and writes on MACs
# of their own for SOAK_SECONDS, so every answer is known in advance.
#
# Reports requests served, unexpected answers (must be 0; ERROR lines in the
# log count too) and each responder's RSS at start, after warm-up and at the
# end. Fails when an answer is unexpected, a responder was restarted, or a
# responder's RSS grew by more than SOAK_RSS_SLACK_KB after warm-up.
#
#   SOAK_SECONDS=60 SOAK_CLIENTS=8 SOAK_PROCS=4 SOAK_RSS_SLACK_KB=1024
#   IOTCONFIG_BIN (default: the release build)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_TOTAL="${SOAK_SECONDS:-60}"
CLIENTS="${SOAK_CLIENTS:-8}"
PROCS_WANTED="${SOAK_PROCS:-4}"
SLACK_KB="${SOAK_RSS_SLACK_KB:-1024}"
WARMUP=$((SECONDS_TOTAL / 5 > 5 ? SECONDS_TOTAL / 5 : 5))

BATS_FILE_TMPDIR="$(mktemp -d /tmp/iotconfig-soak.XXXXXX)"
export BATS_FILE_TMPDIR
# shellcheck source=../e2e/helpers.bash
. "$ROOT/tests/e2e/helpers.bash"
# shellcheck source=helpers.bash
. "$ROOT/tests/faults/helpers.bash"

cleanup() {
	iot_stop || true
	rm -rf "$BATS_FILE_TMPDIR"
}
trap cleanup EXIT

iot_start PROCS="$PROCS_WANTED" CORS_ORIGINS='["http://ui.example"]'
W="$IOT_TMP/soak"
mkdir -p "$W"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# The cycle of client C: curl config and expected statuses, one per request.
make_cycle() {
	local c="$1" cfg="$W/cycle.$c.cfg" exp="$W/expected.$c" n
	local m1 m2 m3
	m1="$(printf '5a-5a-5a-00-%02x-01' "$c")"
	m2="$(printf '5a-5a-5a-00-%02x-02' "$c")"
	m3="$(printf '5a-5a-5a-00-%02x-03' "$c")"
	: >"$cfg"
	: >"$exp"
	req() { # req EXPECTED METHOD PATH [config lines]
		local want="$1" method="$2" path="$3"
		shift 3
		cfg_request "$cfg" "$exp" "$want" "$method" "$BASE_URL$path" "$@"
	}
	local J='header = "Content-Type: application/json"'
	for n in 0 1 2; do
		printf '{"content":{"deviceName":"soak-%d","deviceEntityId":"sensor.soak","enableOTA":true,"pad":"%s"}}' \
			"$c" "$(head -c $((n * 20000 + 200)) /dev/zero | tr '\0' s)" >"$W/body.$c.$n"
	done
	req 200 PUT "/api/configs/$m1" "$J" "data-binary = \"@$W/body.$c.0\""
	req 200 GET "/api/configs/$m1"
	req 200 GET "/api/configs/$m1.json"
	req 304 GET "/esp32/config/$m1.json" 'header = "If-None-Match: *"'
	req 200 HEAD "/api/configs/$m1.json"
	req 200 PUT "/api/configs/$m2.json" "$J" "data-binary = \"{\\\"deviceName\\\":\\\"raw-$c\\\"}\""
	req 200 GET /api/configs
	req 200 GET "/api/configs/$m2"
	req 204 DELETE "/api/configs/$m2"
	req 404 GET "/api/configs/$m2"
	req 412 PUT "/api/configs/$m1" "$J" 'header = "If-Match: \"stale\""' 'data-binary = "{\"content\":{}}"'
	req 409 PUT "/api/configs/$m1" "$J" 'data-binary = "{\"content\":{},\"allow_overwrite\":false}"'
	req 200 PUT "/api/configs/$m3" "$J" "data-binary = \"@$W/body.$c.$((c % 3))\""
	req 200 PUT "/api/configs/$m3" "$J" "data-binary = \"@$W/body.$c.$(((c + 1) % 3))\""
	req 400 GET "/api/configs/not-a-mac"
	req 400 PUT "/api/configs/$m1" "$J" 'data-binary = "{\"content\":{\"a\":1,\"a\":2}}"'
	req 204 OPTIONS "/api/configs/$m1" 'header = "Origin: http://ui.example"' 'header = "Access-Control-Request-Method: PUT"'
	req 200 GET /api/health
	req 200 GET /metrics
	req 200 GET /api/configs
	cfg_finish "$cfg"
}

# client C: run the cycle until the deadline; count what was served and
# what differed from the expected answers.
client() {
	local c="$1" deadline="$2" served=0 unexpected=0 got
	while [ "$(date +%s)" -lt "$deadline" ]; do
		got="$(curl -s -K "$W/cycle.$c.cfg" || true)"
		served=$((served + $(grep -c . <<<"$got" || true)))
		unexpected=$((unexpected + $(diff <(printf '%s\n' "$got") "$W/expected.$c" | grep -c '^>' || true)))
	done
	echo "$served $unexpected" >"$W/result.$c"
}

mapfile -t PIDS < <(responder_pids | sort -n)
declare -A RSS_START RSS_WARM RSS_END
for p in "${PIDS[@]}"; do RSS_START[$p]="$(rss_kb "$p")"; done

for c in $(seq 1 "$CLIENTS"); do make_cycle "$c"; done
start="$(date +%s)"
deadline=$((start + SECONDS_TOTAL))
client_pids=()
for c in $(seq 1 "$CLIENTS"); do
	client "$c" "$deadline" &
	client_pids+=($!)
done
sleep "$WARMUP"
for p in "${PIDS[@]}"; do RSS_WARM[$p]="$(rss_kb "$p")"; done
wait "${client_pids[@]}"
elapsed=$(($(date +%s) - start))
for p in "${PIDS[@]}"; do RSS_END[$p]="$(rss_kb "$p")"; done

served=0
unexpected=0
for c in $(seq 1 "$CLIENTS"); do
	read -r s u <"$W/result.$c"
	served=$((served + s))
	unexpected=$((unexpected + u))
done
log_errors="$(grep -c ' ERROR ' "$LIGHTTPD_LOG" || true)"

status=0
echo "soak: ${elapsed} s, $CLIENTS clients, $PROCS_WANTED responders (loopback, $BASE_URL)"
echo "soak: $served requests served ($((served / (elapsed > 0 ? elapsed : 1))) per second), $unexpected unexpected answers, $log_errors ERROR lines in the log"
[ "$unexpected" -eq 0 ] && [ "$log_errors" -eq 0 ] || status=1
mapfile -t NOW < <(responder_pids | sort -n)
if [ "${NOW[*]}" != "${PIDS[*]}" ]; then
	echo "soak: responders changed during the run (a crash?): ${PIDS[*]} -> ${NOW[*]}"
	status=1
fi
for p in "${PIDS[@]}"; do
	growth=$((RSS_END[$p] - RSS_WARM[$p]))
	verdict=ok
	if [ "$growth" -gt "$SLACK_KB" ]; then
		verdict="grew more than $SLACK_KB KB"
		status=1
	fi
	echo "soak: responder $p RSS: start ${RSS_START[$p]} KB, after ${WARMUP} s warm-up ${RSS_WARM[$p]} KB, end ${RSS_END[$p]} KB (${growth} KB since warm-up: $verdict)"
done
if [ "$status" -ne 0 ]; then
	echo "soak: FAILED"
	tail -20 "$LIGHTTPD_LOG"
fi
exit "$status"
