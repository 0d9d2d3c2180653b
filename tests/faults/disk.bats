#!/usr/bin/env bats
# tests/faults/disk.bats: the config directory on a small file system of its
# own (a tmpfs mounted by the test): full disk, no inodes left, and a
# read-only remount. Every fault must give a clear error, keep each
# previous version intact, leave no temp file, and heal without a restart.
# With history on (the default), a change whose history entry cannot be
# kept is refused whole, and every entry kept is a complete version.
# Skips, saying why, where mounting is not permitted.

load ../e2e/helpers
load helpers

teardown() {
	iot_cleanup_extra
	unmount_all
}

# content_of N SIZE: a config content of about SIZE bytes, tagged N.
content_of() {
	printf '{"n":%d,"pad":"%s"}' "$1" "$(head -c "$2" /dev/zero | tr '\0' x)"
}

@test "a full file system answers 507, keeps every previous version, and writes work again once space is freed" {
	local d="$BATS_TEST_TMPDIR/small"
	mount_tmpfs "$d" 512k
	iot_start ESP32_CONFIGS_DIR="$d"

	local i mac full="" full_i=0 acked=()
	for i in $(seq 1 40); do
		mac="$(printf 'dd-dd-dd-dd-00-%02x' "$i")"
		content_of "$i" 60000 >"$IOT_TMP/c.$i"
		put_json "$mac" "{\"content\":$(cat "$IOT_TMP/c.$i")}"
		if [ "$code" = 507 ]; then
			full="$mac"
			full_i="$i"
			break
		fi
		assert_code 200
		acked+=("$i")
	done
	[ -n "$full" ] || { echo "the file system never filled up" >&2; return 1; }
	assert_error 507 INSUFFICIENT_STORAGE
	assert_json .error "\"No space left to store config $full\""
	[[ "$(jq -r .details.message <<<"$body")" == *"No space left on device"* ]]
	[ ! -e "$d/$full.json" ]

	# Replacing an existing config when full: refused, the old one stays.
	local before
	before="$(cat "$d/dd-dd-dd-dd-00-01.json")"
	put_json dd-dd-dd-dd-00-01 "{\"content\":$(content_of 99 120000)}"
	assert_error 507 INSUFFICIENT_STORAGE
	[ "$(cat "$d/dd-dd-dd-dd-00-01.json")" = "$before" ]
	# ... and no history entry is left for the change that was not made.
	[ ! -e "$d/.history/dd-dd-dd-dd-00-01" ] || [ -z "$(ls -A "$d/.history/dd-dd-dd-dd-00-01")" ]
	call PUT /api/configs/dd-dd-dd-dd-00-02.json -H 'Content-Type: application/json' --data-binary "$(content_of 98 120000)"
	assert_error 507 INSUFFICIENT_STORAGE

	# Every acknowledged version is intact and readable; no temp file is left.
	for i in "${acked[@]}"; do
		mac="$(printf 'dd-dd-dd-dd-00-%02x' "$i")"
		call GET "/api/configs/$mac"
		assert_code 200
		[ "$(jq -cS .content <<<"$body")" = "$(jq -cS . "$IOT_TMP/c.$i")" ]
		[ "$(jq -cS . "$d/$mac.json")" = "$(jq -cS . "$IOT_TMP/c.$i")" ]
	done
	[ -z "$(find "$d" -name '*.tmp')" ]
	call GET /api/configs
	assert_json .count "${#acked[@]}"
	call GET /api/health
	assert_code 200

	# Freeing space heals it without a restart. A delete keeps the version
	# in the history (whole: the deleted bytes), so space comes back only
	# once that history is removed too.
	call DELETE /api/configs/dd-dd-dd-dd-00-03
	assert_code 204
	call DELETE /api/configs/dd-dd-dd-dd-00-04
	assert_code 204
	for i in 3 4; do
		f="$(ls "$d/.history/dd-dd-dd-dd-00-0$i"/*.json)"
		[ "$(jq -cS . "$f")" = "$(jq -cS . "$IOT_TMP/c.$i")" ]
	done
	rm -r "$d/.history/dd-dd-dd-dd-00-03" "$d/.history/dd-dd-dd-dd-00-04"
	put_json "$full" "{\"content\":$(cat "$IOT_TMP/c.$full_i")}"
	assert_code 200
	put_json dd-dd-dd-dd-00-01 '{"content":{"after":"space freed"}}'
	assert_code 200
	[ "$(jq -c . "$d/dd-dd-dd-dd-00-01.json")" = '{"after":"space freed"}' ]
	[ -z "$(find "$d" -name '*.tmp')" ]
	# The version it replaced is kept, whole.
	[ "$(jq -cS . "$d"/.history/dd-dd-dd-dd-00-01/*.json)" = "$(jq -cS . "$IOT_TMP/c.1")" ]
	echo "# full disk: ${#acked[@]} configs stored before 507 on a 512 KiB tmpfs" >&3
}

@test "running out of inodes answers 507 and leaves no temp file" {
	local d="$BATS_TEST_TMPDIR/few-inodes"
	mount_tmpfs "$d" 4m nr_inodes=8
	iot_start ESP32_CONFIGS_DIR="$d"
	local i mac got507=0
	for i in $(seq 1 8); do
		mac="$(printf 'dd-dd-dd-dd-01-%02x' "$i")"
		put_json "$mac" "{\"content\":{\"n\":$i}}"
		if [ "$code" = 507 ]; then
			got507=1
			break
		fi
		assert_code 200
	done
	[ "$got507" = 1 ]
	assert_error 507 INSUFFICIENT_STORAGE
	[ -z "$(find "$d" -name '*.tmp')" ]
	call GET /api/configs/dd-dd-dd-dd-01-01
	assert_code 200
	assert_json .content '{"n":1}'
	# Replacing or deleting it needs an inode for its history: refused whole.
	put_json dd-dd-dd-dd-01-01 '{"content":{"n":"new"}}'
	assert_error 507 INSUFFICIENT_STORAGE
	[[ "$(jq -r .details.message <<<"$body")" == *"history directory: No space left on device"* ]]
	call DELETE /api/configs/dd-dd-dd-dd-01-01
	assert_error 507 INSUFFICIENT_STORAGE
	[ "$(jq -c . "$d/dd-dd-dd-dd-01-01.json")" = '{"n":1}' ]
	[ -z "$(find "$d" -name '*.tmp')" ]
	[ -z "$(find "$d/.history" -type f 2>/dev/null)" ]
}

@test "a read-only file system answers 503 naming the cause, reads still work, and remounting read-write heals it" {
	local d="$BATS_TEST_TMPDIR/ro"
	mount_tmpfs "$d" 1m
	iot_start ESP32_CONFIGS_DIR="$d"
	put_json dd-dd-dd-dd-02-01 '{"content":{"v":1}}'
	assert_code 200
	mount -o remount,ro "$d"

	assert_writes_refused dd-dd-dd-dd-02-01 "Permission denied on config directory $d" "Read-only file system"
	assert_health "not writable (Read-only file system)"
	call GET /api/configs/dd-dd-dd-dd-02-01
	assert_code 200
	assert_json .content '{"v":1}'
	call GET /api/configs
	assert_json .count 1

	mount -o remount,rw "$d"
	call GET /api/health
	assert_code 200
	put_json dd-dd-dd-dd-02-01 '{"content":{"v":3}}'
	assert_code 200
	[ "$(jq -c . "$d/dd-dd-dd-dd-02-01.json")" = '{"v":3}' ]
}
