# tests/firmware/firmware.bash: helpers for the firmware suites. Builds on
# tests/e2e/helpers.bash (call, header, assert_*, BASE_URL, CONFIG_DIR).
#
#   FWTOOL                      tests/firmware/fwtool.py (images, clients)
#   fw_image FILE VERSION [fwtool image options]   an image in the real format
#   fw_upload MODEL VERSION FILE [curl args]       PUT it (sets code, body)
#   fw_target MODEL JSON        PUT the target (sets code, body)
#   fw_device MAC MODEL         a config naming the model (deviceModel)
#   fw_sha FILE / fw_md5 FILE   the file's digests
#   fw_note_age MAC SECONDS     moves every time in the device's note that
#                               many seconds back (the clock is not touched:
#                               the note says when things happened)
#   fw_view_is MAC FILTER WANT  its firmware view through FILTER is WANT
#   ota URL [fwtool ota options]      the esp_https_ota-like client; sets
#                               $ota (its JSON line) and $ota_status
#   arduino URL [fwtool arduino options]  the HTTPUpdate-like client, likewise

FWTOOL="${BATS_TEST_DIRNAME}/../firmware/fwtool.py"
[ -f "$FWTOOL" ] || FWTOOL="${BATS_TEST_DIRNAME}/fwtool.py"

fw_image() {
	local out="$1" version="$2"
	shift 2
	python3 "$FWTOOL" image "$out" --version "$version" "$@"
}

fw_upload() {
	local model="$1" version="$2" file="$3"
	shift 3
	call PUT "/api/firmware/$model/versions/$version" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$file" "$@"
}

fw_target() {
	call PUT "/api/firmware/$1/target" -H 'Content-Type: application/json' --data-binary "$2"
}

fw_device() {
	put_json "$1" "{\"content\":{\"deviceName\":\"dev $1\",\"deviceModel\":\"$2\"}}" >/dev/null
}

fw_sha() { sha256sum "$1" | cut -d' ' -f1; }
fw_md5() { md5sum "$1" | cut -d' ' -f1; }

fw_note_age() {
	local mac="$1" secs="$2" note="$CONFIG_DIR/.firmware/.devices/$1"
	[ -f "$note" ] || return 1
	awk -v d="$secs" 'NR == 3 || NR == 5 || NR >= 7 { if ($0 + 0 > 0) $0 = $0 - d } { print }' \
		"$note" >"$note.new" && mv "$note.new" "$note"
}

# fw_view_is MAC FILTER WANT [CURL_ARGS...]: the device's firmware view,
# through FILTER (jq -c), is WANT. A device's note is written after its
# answer, so a test waits for it: wait_for fw_view_is ...
fw_view_is() {
	[ "$(curl -s "${@:4}" "$BASE_URL/api/configs/$1/firmware" | jq -c "$2")" = "$3" ]
}

ota() {
	local url="$1"
	shift
	ota="$(python3 "$FWTOOL" ota "$url" "$@")" && ota_status=0 || ota_status=$?
	echo "ota: $ota" >&2
}

arduino() {
	local url="$1"
	shift
	ota="$(python3 "$FWTOOL" arduino "$url" "$@")" && ota_status=0 || ota_status=$?
	echo "arduino: $ota" >&2
}

# ota_field JQ: a field of the last client's JSON line.
ota_field() {
	jq -c "$1" <<<"$ota"
}
