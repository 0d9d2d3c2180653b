#!/usr/bin/env bats
# tests/faults/storage.bats: the config directory goes wrong under a running
# service: made read-only or unreadable, removed, replaced by a file or by
# a symlink to elsewhere. Each gives a clear 5xx naming the cause and a
# truthful /api/health, and heals without a restart once fixed. Symlinks
# inside the directory are never followed.
#
# The responders run as nobody (lighttpd drops privileges), since root
# ignores permission bits.

load ../e2e/helpers
load helpers

# One instance for the file; each test gets a fresh directory (the
# service notices a directory replaced as a whole at the next request).
setup_file() {
	iot_start_file IOT_USER=nobody
}

setup() {
	restore_dir
	put_json ee-ee-ee-ee-00-01 '{"content":{"v":1}}'
	assert_code 200
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# restore_dir: the directory back as it was, owned by the responders' user.
restore_dir() {
	rm -rf "$CONFIG_DIR"
	mkdir "$CONFIG_DIR"
	chown nobody:"$(id -gn nobody)" "$CONFIG_DIR"
}

assert_heals() { # assert_heals: health, a write and a read work again
	call GET /api/health
	assert_code 200
	put_json ee-ee-ee-ee-00-02 '{"content":{"healed":true}}'
	assert_code 200
	call GET /api/configs/ee-ee-ee-ee-00-02
	assert_json .content '{"healed":true}'
}

@test "responders of this suite really run unprivileged" {
	local p
	for p in $(responder_pids); do
		[ "$(stat -c %U "/proc/$p")" = nobody ]
	done
	[ -n "$(responder_pids)" ]
}

@test "a read-only directory: writes answer 503 naming permission denied, reads work, health says not writable, chmod heals it" {
	chmod 555 "$CONFIG_DIR"
	assert_writes_refused ee-ee-ee-ee-00-01 "Permission denied on config directory $CONFIG_DIR" "Permission denied"
	call GET /api/configs/ee-ee-ee-ee-00-01
	assert_code 200
	assert_json .content '{"v":1}'
	assert_health "is not writable (Permission denied)"
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
	chmod 755 "$CONFIG_DIR"
	assert_heals
}

@test "an unreadable directory: reads and the list answer 503, health says not readable, chmod heals it" {
	chmod 000 "$CONFIG_DIR"
	assert_reads_refused ee-ee-ee-ee-00-01 "Permission denied on config directory $CONFIG_DIR"
	assert_health "is not readable (Permission denied)"
	chmod 755 "$CONFIG_DIR"
	call GET /api/configs/ee-ee-ee-ee-00-01
	assert_json .content '{"v":1}'
	assert_heals
}

@test "a removed directory: 503 'does not exist', never recreated by the service; recreating it heals without a restart" {
	rm -rf "$CONFIG_DIR"
	assert_reads_refused ee-ee-ee-ee-00-01 "Config directory $CONFIG_DIR does not exist"
	assert_writes_refused ee-ee-ee-ee-00-01 "Config directory $CONFIG_DIR does not exist" "No such file or directory"
	assert_health "does not exist"
	[ ! -e "$CONFIG_DIR" ]
	restore_dir
	call GET /api/configs
	assert_code 200
	assert_json .count 0
	assert_heals
}

@test "a directory replaced by a file: 503 'is not a directory'; putting it back heals it" {
	rm -rf "$CONFIG_DIR"
	printf 'not a directory\n' >"$CONFIG_DIR"
	assert_reads_refused ee-ee-ee-ee-00-01 "Config directory $CONFIG_DIR is not a directory"
	assert_writes_refused ee-ee-ee-ee-00-01 "Config directory $CONFIG_DIR is not a directory" "Not a directory"
	assert_health "is not a directory"
	[ "$(cat "$CONFIG_DIR")" = "not a directory" ]
	restore_dir
	assert_heals
}

@test "a directory replaced by a symlink to elsewhere: 503, nothing read from or written to the target, restoring heals it" {
	local elsewhere="$IOT_TMP/elsewhere"
	mkdir "$elsewhere"
	printf '{"secret":"elsewhere-7d1f"}\n' >"$elsewhere/ee-ee-ee-ee-00-01.json"
	chown -R nobody "$elsewhere"
	touch -a -d '2 days ago' "$elsewhere/ee-ee-ee-ee-00-01.json"
	local before
	before="$(tree_state "$elsewhere")"
	mv "$CONFIG_DIR" "$IOT_TMP/configs.real"
	ln -s "$elsewhere" "$CONFIG_DIR"

	assert_reads_refused ee-ee-ee-ee-00-01 "Config directory $CONFIG_DIR is a symlink, which is not followed"
	assert_writes_refused ee-ee-ee-ee-00-01 "Config directory $CONFIG_DIR is a symlink, which is not followed" "symbolic links"
	assert_health "it is a symlink, which is not followed"
	[ "$(tree_state "$elsewhere")" = "$before" ]

	rm "$CONFIG_DIR"
	mv "$IOT_TMP/configs.real" "$CONFIG_DIR"
	call GET /api/configs/ee-ee-ee-ee-00-01
	assert_json .content '{"v":1}'
	assert_heals
}

@test "a config file that is a symlink is never followed: 500 without the target's content, skipped by the list, replaced (not written through) by PUT" {
	local target="$IOT_TMP/target.json"
	printf '{"secret":"target-5be2"}\n' >"$target"
	chown nobody "$target"
	ln -s "$target" "$CONFIG_DIR/ee-ee-ee-ee-00-04.json"
	ln -s /etc/passwd "$CONFIG_DIR/ee-ee-ee-ee-00-05.json"
	touch -a -d '2 days ago' "$target"
	local before
	before="$(tree_state "$target")"

	for path in /api/configs/ee-ee-ee-ee-00-04 /api/configs/ee-ee-ee-ee-00-04.json /esp32/config/ee-ee-ee-ee-00-04.json /api/configs/ee-ee-ee-ee-00-05.json; do
		call GET "$path"
		assert_error 500 CONFIG_UNREADABLE
		[[ "$body" != *target-5be2* && "$body" != *root:x:* ]]
		[[ "$(jq -r .details.message <<<"$body")" == *"symlink"* ]]
	done
	call GET /api/configs
	assert_code 200
	assert_json '[.configs[].mac_address]' '["ee-ee-ee-ee-00-01"]'
	[ "$(tree_state "$target")" = "$before" ]

	put_json ee-ee-ee-ee-00-04 '{"content":{"mine":true}}'
	assert_code 200
	[ ! -L "$CONFIG_DIR/ee-ee-ee-ee-00-04.json" ]
	[ "$(jq -c . "$CONFIG_DIR/ee-ee-ee-ee-00-04.json")" = '{"mine":true}' ]
	[ "$(cat "$target")" = '{"secret":"target-5be2"}' ]
	call DELETE /api/configs/ee-ee-ee-ee-00-05
	assert_code 204
	[ ! -e "$CONFIG_DIR/ee-ee-ee-ee-00-05.json" ] && [ -s /etc/passwd ]
}

@test "a lock file that is a symlink is not followed: the write is refused and the target untouched" {
	local target="$IOT_TMP/lock-target"
	printf 'keep\n' >"$target"
	chown nobody "$target"
	ln -s "$target" "$CONFIG_DIR/.ee-ee-ee-ee-00-06.lock"
	put_json ee-ee-ee-ee-00-06 '{"content":{"v":1}}'
	assert_error 500 STORAGE_ERROR
	[[ "$(jq -r .details.message <<<"$body")" == *"open lock file"* ]]
	[ "$(cat "$target")" = keep ]
	[ ! -e "$CONFIG_DIR/ee-ee-ee-ee-00-06.json" ]
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
}

@test "a FIFO or a directory under a config name answers 500 at once and never hangs a responder" {
	mkfifo "$CONFIG_DIR/ee-ee-ee-ee-00-07.json"
	mkdir "$CONFIG_DIR/ee-ee-ee-ee-00-08.json"
	chown nobody "$CONFIG_DIR/ee-ee-ee-ee-00-07.json" "$CONFIG_DIR/ee-ee-ee-ee-00-08.json"
	call GET /api/configs/ee-ee-ee-ee-00-07 --max-time 10
	assert_error 500 CONFIG_UNREADABLE
	call GET /api/configs/ee-ee-ee-ee-00-08.json --max-time 10
	assert_error 500 CONFIG_UNREADABLE
	put_json ee-ee-ee-ee-00-08 '{"content":{}}' --max-time 10
	assert_error 500 STORAGE_ERROR
	[ -d "$CONFIG_DIR/ee-ee-ee-ee-00-08.json" ]
	[ -z "$(find "$CONFIG_DIR" -name '*.tmp')" ]
	call GET /api/configs
	assert_json .count 1
}

@test "one unreadable config file is that file's error (500), not the directory's: health stays healthy" {
	chmod 000 "$CONFIG_DIR/ee-ee-ee-ee-00-01.json"
	call GET /api/configs/ee-ee-ee-ee-00-01
	assert_error 500 STORAGE_ERROR
	[[ "$(jq -r .details.message <<<"$body")" == *"ee-ee-ee-ee-00-01"*"Permission denied"* ]]
	call GET /api/configs/ee-ee-ee-ee-00-01.json
	assert_error 500 STORAGE_ERROR
	call GET /api/health
	assert_code 200
	chmod 644 "$CONFIG_DIR/ee-ee-ee-ee-00-01.json"
	call GET /api/configs/ee-ee-ee-ee-00-01
	assert_code 200
}

@test "a lock file owned by someone else is a storage error naming the lock, not a directory problem" {
	: >"$CONFIG_DIR/.ee-ee-ee-ee-00-01.lock"
	chown root:root "$CONFIG_DIR/.ee-ee-ee-ee-00-01.lock"
	chmod 600 "$CONFIG_DIR/.ee-ee-ee-ee-00-01.lock"
	put_json ee-ee-ee-ee-00-01 '{"content":{"v":2}}'
	assert_error 500 STORAGE_ERROR
	[[ "$(jq -r .details.message <<<"$body")" == *"open lock file"* ]]
	[ "$(jq -c . "$CONFIG_DIR/ee-ee-ee-ee-00-01.json")" = '{"v":1}' ]
}
