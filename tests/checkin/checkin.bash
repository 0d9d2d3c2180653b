# tests/checkin/checkin.bash: what the device check-in suites share, on top
# of tests/e2e/helpers.bash (load that first).
#
#   device_get MAC [curl args]   a device's raw GET of its config (call)
#   fetch_of MAC                 GET /api/configs/MAC/fetch (call)
#   scrape                       /metrics of the running instance, to stdout
#   sample METRICS SERIES        the value of one exact series ("" if absent)
#   writes STATUS                iot_config_checkin_writes_total{status=STATUS} now
#   note_file MAC                the note's path in $CONFIG_DIR

device_get() {
	local mac="$1"
	shift
	call GET "/api/configs/$mac.json" "$@"
}

fetch_of() {
	call GET "/api/configs/$1/fetch"
}

scrape() {
	curl -sf "$BASE_URL/metrics"
}

sample() {
	printf '%s\n' "$1" | awk -v s="$2" 'index($0, s " ") == 1 { print substr($0, length(s) + 2) }'
}

writes() {
	sample "$(scrape)" "iot_config_checkin_writes_total{status=\"$1\"}"
}

note_file() {
	echo "$CONFIG_DIR/.fetches/$1"
}
