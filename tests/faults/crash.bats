#!/usr/bin/env bats
# tests/faults/crash.bats: responders are SIGKILLed at random moments while
# writers keep saving configs through lighttpd. Afterwards every config
# file must parse and be exactly one of the versions sent for it (never a
# mix, never a torn write), no acknowledged write may be lost, no temp file
# may survive the next process start, and the service must keep answering.
# The history too: every entry is exactly one version sent for its MAC, and
# of each writer's own MAC no acknowledged version newer than the oldest
# entry kept is missing from the history and the live file.
#
# CRASH_ROUNDS (default 150) kills, CRASH_WRITERS (default 4) writers. On
# a loaded machine the 150 s allowed may hold fewer kills: the test then
# goes on with what it has, as long as that is at least CRASH_MIN_KILLS
# (default 30) and some kills cut a request off.

load ../e2e/helpers
load helpers

setup() {
	iot_start PROCS=4
	# What an idle responder is doing: waiting in accept().
	local idle
	idle="$(responder_pids | head -1)"
	IDLE_SYSCALL="$(cut -d' ' -f1 "/proc/$idle/syscall")"
	SENT="$IOT_TMP/sent"
	mkdir -p "$SENT"
	# Bodies of different sizes, so a kill often lands inside write or fsync.
	local i
	for i in 0 1 2 3 4 5 6 7; do
		head -c $((i * i * 16000 + 100)) /dev/zero | tr '\0' "$(printf '%x' "$i")" >"$IOT_TMP/pad.$i"
	done
}

teardown() {
	stop_writers
	iot_cleanup_extra
}

# Writer processes started by the test (`wait` alone would wait for lighttpd).
WRITERS=()
stop_writers() {
	touch "$IOT_TMP/stop" 2>/dev/null || true
	local p
	for p in "${WRITERS[@]}"; do wait "$p" 2>/dev/null || true; done
	WRITERS=()
}

# writer ID: saves versions in a loop until $IOT_TMP/stop exists. Two of
# three writes go to the writer's own MAC, one to a MAC all writers share;
# odd versions use the wrapped PUT, even ones the raw PUT. Every version
# is kept in $SENT/<mac>/<id>.<seq> before it is sent, and the answer is
# logged as "<mac> <id> <seq> <status>".
writer() {
	set +e # a failed curl is data here, not a reason to stop writing
	local id="$1" seq=0 mac url code file
	local own
	own="$(printf 'cc-cc-cc-cc-00-%02x' "$id")"
	while [ ! -e "$IOT_TMP/stop" ]; do
		seq=$((seq + 1))
		if [ $((seq % 3)) -eq 0 ]; then mac=cc-cc-cc-cc-ff-ff; else mac="$own"; fi
		mkdir -p "$SENT/$mac"
		file="$SENT/$mac/$id.$seq"
		# Files joined by cat, not bash strings: a body is up to ~800 KB, and
		# bash copying it twice per write starved the kill loop of CPU.
		{
			printf '{"writer":%d,"seq":%d,"pad":"' "$id" "$seq"
			cat "$IOT_TMP/pad.$((RANDOM % 8))"
			printf '"}'
		} >"$file"
		if [ $((seq % 2)) -eq 1 ]; then
			{
				printf '{"content":'
				cat "$file"
				printf '}'
			} >"$file.body"
			url="$BASE_URL/api/configs/$mac"
		else
			cp "$file" "$file.body"
			url="$BASE_URL/api/configs/$mac.json"
		fi
		code="$(curl -s -o "$file.answer" -w '%{http_code}' --max-time 30 -X PUT \
			-H 'Content-Type: application/json' --data-binary @"$file.body" "$url")"
		# Who answered: the responder sets correlationId, lighttpd's own errors do not.
		echo "$mac $id $seq $code $(jq -r '.code + (if .correlationId == null then "/web-server" else "/service" end)' "$file.answer" 2>/dev/null)" >>"$IOT_TMP/log.$id"
		rm -f "$file.body" "$file.answer"
	done
}

@test "SIGKILLed responders never leave a torn config, lose an acknowledged write or leave a temp file" {
	local rounds="${CRASH_ROUNDS:-150}" writers="${CRASH_WRITERS:-4}" w
	for w in $(seq 1 "$writers"); do
		writer "$w" 3>&- &
		WRITERS+=($!)
	done

	# lighttpd respawns a dead responder within about a second; kill one of
	# those alive at a random moment until CRASH_ROUNDS kills (bounded time).
	# A responder busy with a request is preferred: one waiting in accept()
	# shows the same syscall as an idle one at start.
	local kills=0 busy_kills=0 victims busy victim id syscall deadline=$((SECONDS + 150))
	while [ "$kills" -lt "$rounds" ] && [ "$SECONDS" -lt "$deadline" ]; do
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
		mapfile -t victims < <(responder_ids)
		[ "${#victims[@]}" -gt 0 ] || continue
		busy=()
		# read, not cut: a fork per responder per round, with the writers
		# using both cores, made the rounds slow.
		for id in "${victims[@]}"; do
			syscall=
			read -r syscall _ 2>/dev/null <"/proc/${id%%:*}/syscall" || true
			[ "$syscall" = "$IDLE_SYSCALL" ] || busy+=("$id")
		done
		if [ "${#busy[@]}" -gt 0 ]; then victims=("${busy[@]}"); fi
		victim="${victims[RANDOM % ${#victims[@]}]}"
		if proc_signal KILL "$victim"; then
			kills=$((kills + 1))
			if [ "${#busy[@]}" -gt 0 ]; then busy_kills=$((busy_kills + 1)); fi
		fi
	done
	stop_writers

	# The writes themselves: how many were acknowledged, how many cut off.
	cat "$IOT_TMP"/log.* >"$IOT_TMP/log"
	local total acked cut
	total="$(wc -l <"$IOT_TMP/log")"
	acked="$(awk '$4 == 200' "$IOT_TMP/log" | wc -l)"
	cut="$(awk '$4 != 200' "$IOT_TMP/log" | wc -l)"
	[ "$kills" -ge "${CRASH_MIN_KILLS:-30}" ] ||
		{ echo "only $kills of $rounds kills in the time allowed" >&2; return 1; }
	[ "$acked" -gt 0 ]
	[ "$cut" -gt 0 ] # some kills did hit a request in flight
	# A write cut off by a kill is answered by lighttpd itself (500 when the
	# responder died mid-request, 502/503 while none was reachable).
	awk '$4 != 200 && !($4 ~ /^50[023]$/ && $5 ~ /\/web-server$/) { bad = 1; print "unexpected answer: " $0 > "/dev/stderr" } END { exit bad }' "$IOT_TMP/log"

	# Every config file parses and is exactly one version that was sent for it.
	local f mac writer_id seq sent files=0
	for f in "$CONFIG_DIR"/*.json; do
		mac="$(basename "$f" .json)"
		jq -e . "$f" >/dev/null || { echo "$f does not parse" >&2; return 1; }
		writer_id="$(jq -r .writer "$f")"
		seq="$(jq -r .seq "$f")"
		sent="$SENT/$mac/$writer_id.$seq"
		[ -f "$sent" ] || { echo "$f holds a version never sent to $mac" >&2; return 1; }
		if [ "$(jq -cS . "$f")" != "$(jq -cS . "$sent")" ]; then
			echo "$f differs from the version it claims ($sent)" >&2
			return 1
		fi
		# Raw PUTs (even versions) are stored byte for byte.
		if [ $((seq % 2)) -eq 0 ]; then cmp -s "$f" "$sent" || { echo "$f: raw bytes differ" >&2; return 1; }; fi
		files=$((files + 1))
	done

	# No acknowledged write is lost: each writer's own MAC holds its last
	# acknowledged version or a later one (cut off after the rename).
	local last_acked last_sent
	for w in $(seq 1 "$writers"); do
		mac="$(printf 'cc-cc-cc-cc-00-%02x' "$w")"
		last_acked="$(awk -v m="$mac" '$1 == m && $4 == 200 { s = $3 } END { print s + 0 }' "$IOT_TMP/log.$w")"
		last_sent="$(awk -v m="$mac" '$1 == m { s = $3 } END { print s + 0 }' "$IOT_TMP/log.$w")"
		[ "$last_acked" -gt 0 ] || continue
		seq="$(jq -r .seq "$CONFIG_DIR/$mac.json")"
		if [ "$seq" -lt "$last_acked" ] || [ "$seq" -gt "$last_sent" ]; then
			echo "$mac holds version $seq; acknowledged up to $last_acked, sent up to $last_sent" >&2
			return 1
		fi
	done

	# Every history entry is a whole version that was sent for its MAC.
	# (Two jq runs at most per entry: the bodies are up to ~800 KB.)
	local entries=0 kept
	for f in "$CONFIG_DIR"/.history/*/*.json; do
		[ -e "$f" ] || continue
		mac="$(basename "$(dirname "$f")")"
		read -r writer_id seq < <(jq -r '"\(.writer) \(.seq)"' "$f") ||
			{ echo "history entry $f does not parse" >&2; return 1; }
		sent="$SENT/$mac/$writer_id.$seq"
		[ -f "$sent" ] || { echo "history entry $f holds a version never sent to $mac" >&2; return 1; }
		if [ $((seq % 2)) -eq 0 ]; then
			cmp -s "$f" "$sent" || { echo "history entry $f: raw bytes differ" >&2; return 1; }
		else
			[ "$(jq -n --slurpfile a "$f" --slurpfile b "$sent" '$a == $b')" = true ] ||
				{ echo "history entry $f differs from $sent" >&2; return 1; }
		fi
		entries=$((entries + 1))
	done
	[ "$entries" -gt 0 ]
	# No version that was current is lost: of each writer's own MAC (written
	# by that writer alone, in order), every acknowledged version newer than
	# the oldest entry kept is in the history or live.
	local oldest
	for w in $(seq 1 "$writers"); do
		mac="$(printf 'cc-cc-cc-cc-00-%02x' "$w")"
		[ -d "$CONFIG_DIR/.history/$mac" ] || continue
		kept="$( (cat "$CONFIG_DIR/.history/$mac"/*.json; cat "$CONFIG_DIR/$mac.json") | jq -r .seq | sort -n | uniq)"
		oldest="$(head -1 <<<"$kept")"
		for seq in $(awk -v m="$mac" -v o="$oldest" '$1 == m && $4 == 200 && $3 > o { print $3 }' "$IOT_TMP/log.$w"); do
			grep -qx "$seq" <<<"$kept" || { echo "$mac: acknowledged version $seq was current but is neither kept nor live" >&2; return 1; }
		done
	done

	# Temp files of killed writers: gone once a process has started since.
	local left_before swept
	left_before="$(find "$CONFIG_DIR" -name '*.tmp' | wc -l)"
	wait_for curl -sf -o /dev/null "$BASE_URL/api/health"
	mapfile -t victims < <(responder_ids)
	proc_signal KILL "${victims[@]}" || true
	wait_for curl -sf -o /dev/null "$BASE_URL/api/health"
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ] || { find "$CONFIG_DIR" -name '*.tmp' >&2; return 1; }
	swept="$(grep -o 'removed abandoned temp files count=[0-9]*' "$LIGHTTPD_LOG" | awk -F= '{ n += $2 } END { print n + 0 }')"

	# The service keeps answering and writing.
	call GET /api/configs
	assert_code 200
	assert_json .count "$files"
	put_json cc-cc-cc-cc-ee-ee '{"content":{"after":"crash"}}'
	assert_code 200
	call GET /api/configs/cc-cc-cc-cc-ee-ee
	assert_json .content '{"after":"crash"}'

	echo "# crash test: answers to cut-off writes: $(awk '$4 != 200 { print $4 "/" $5 }' "$IOT_TMP/log" | sort | uniq -c | tr -s ' \n' ' ')" >&3
	echo "# crash test: $kills SIGKILLs ($busy_kills of a busy responder), $total writes ($acked acknowledged, $cut cut off), $files files and $entries history entries verified, temp files swept at restart: $swept (left before the final restart: $left_before)" >&3
}
