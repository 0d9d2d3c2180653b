# tests/checkin/checkin.bash: what the device check-in suites share, on top
# of tests/e2e/helpers.bash (load that first).
#
#   device_get MAC [curl args]   a device's raw GET of its config (call)
#   fetch_of MAC                 GET /api/configs/MAC/fetch (call)
#   scrape                       /metrics of the running instance, to stdout
#   sample METRICS SERIES        the value of one exact series ("" if absent)
#   writes STATUS                iot_config_checkin_writes_total{status=STATUS} now
#   writes_reach STATUS N        that count is N or more (for wait_for: notes are
#                                written, and counted, just after the answer)
#   note_file MAC                the note's path in $CONFIG_DIR (a MAC with a config)
#   noted MAC [TEXT]             waits (bounded) until MAC has a note of any kind,
#                                holding TEXT when given: a fetch is noted just
#                                after its answer has left, so a test that reads
#                                the notes after a fetch through another process
#                                (PROCS > 1, another instance) waits for it

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

writes_reach() {
	[ "$(writes "$1")" -ge "$2" ]
}

note_file() {
	echo "$CONFIG_DIR/.fetches/$1"
}

note_has() {
	local f
	for f in "$CONFIG_DIR/.fetches/$1" "$CONFIG_DIR/.fetches/waiting/$1" "$CONFIG_DIR/.fetches/once/$1"; do
		if [ -f "$f" ] && grep -qF -- "${2:-}" "$f"; then return 0; fi
	done
	return 1
}

noted() {
	wait_for note_has "$@" || { echo "no note of $1${2:+ holding $2}" >&2; return 1; }
}
