#!/usr/bin/env bats
# tests/e2e/transfer.bats: export and import. GET /api/export is a .tar.gz
# of every config exactly as stored; imported into an empty directory it
# gives byte-identical files. An import is previewed (new, changed,
# unchanged, skipped, invalid and why; nothing written), then applied
# through the normal write path with the chosen policy, as one fleet
# change that one undo takes back. A tar of a config directory (history,
# locks and all) imports its configs. Every hostile archive is refused
# with a clear error and nothing written.

load helpers
load one_instance

# import FILE [QUERY] [curl args]: POST /api/import with FILE as application/gzip.
import() {
	local file="$1" query="${2:-}"
	shift 2 || shift
	call POST "/api/import$query" -H 'Content-Type: application/gzip' --data-binary "@$file" "$@"
}

# snapshot DIR OUT: every file under DIR (hidden ones too) with its bytes' digest.
snapshot() {
	(cd "$1" && find . -type f -exec sha256sum {} + | sort) >"$2"
}

# craft OUT KIND: a hostile archive, made with Python's tarfile.
craft() {
	python3 - "$1" "$2" <<'EOF'
import io, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
def reg(t, name, data=b'{}'):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
with tarfile.open(out, 'w:gz', format=tarfile.PAX_FORMAT) as t:
    reg(t, 'ab-00-00-00-25-01.json', b'{"ok":1}')
    if kind == 'dotdot': reg(t, '../ab-00-00-00-25-02.json')
    elif kind == 'absolute': reg(t, '/tmp/ab-00-00-00-25-02.json')
    elif kind in ('symlink', 'hardlink', 'device', 'fifo'):
        i = tarfile.TarInfo('ab-00-00-00-25-02.json')
        i.type = {'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE,
                  'device': tarfile.CHRTYPE, 'fifo': tarfile.FIFOTYPE}[kind]
        if kind in ('symlink', 'hardlink'): i.linkname = '/etc/passwd' if kind == 'symlink' else 'ab-00-00-00-25-01.json'
        t.addfile(i)
    elif kind == 'notmac': reg(t, 'readme.txt', b'hello')
    elif kind == 'duplicate': reg(t, 'dir/AB:00:00:00:25:01.json')
    elif kind == 'huge': reg(t, 'ab-00-00-00-25-02.json', b'{"x":"' + b'y' * 1100 + b'"}')
    elif kind == 'bomb':
        for n in range(1100): reg(t, '.history/ab-00-00-00-25-01/%05d' % n, b'0' * 1000)
EOF
}

@test "export: a .tar.gz of every config exactly as stored, one <mac>.json each, nothing else" {
	iot_start
	printf '{\n  "deviceName": "a",\n  "n": 18446744073709551615,\n  "f": 0.1,\n  "z": -0.0\n}\n' >"$CONFIG_DIR/ab-00-00-00-25-11.json"
	printf '{"compact":true,"s":"caf\\u00e9"}' >"$CONFIG_DIR/ab-00-00-00-25-12.json"
	put_json ab-00-00-00-25-12 '{"content":{"v":2}}'
	printf 'not a config' >"$CONFIG_DIR/ab-00-00-00-25-13.json"
	curl -sf -D "$IOT_TMP/h" -o "$IOT_TMP/fleet.tar.gz" "$BASE_URL/api/export"
	grep -qi '^Content-Type: application/gzip' "$IOT_TMP/h"
	grep -qi '^Content-Disposition: attachment; filename="iotconfig-[0-9]\{8\}-[0-9]\{6\}\.tar\.gz"' "$IOT_TMP/h"
	[ "$(tar -tzf "$IOT_TMP/fleet.tar.gz" | sort | tr '\n' ' ')" = 'ab-00-00-00-25-11.json ab-00-00-00-25-12.json ' ]
	mkdir "$IOT_TMP/out"
	tar -xzf "$IOT_TMP/fleet.tar.gz" -C "$IOT_TMP/out"
	cmp "$IOT_TMP/out/ab-00-00-00-25-11.json" "$CONFIG_DIR/ab-00-00-00-25-11.json"
	cmp "$IOT_TMP/out/ab-00-00-00-25-12.json" "$CONFIG_DIR/ab-00-00-00-25-12.json"
	call HEAD /api/export
	assert_code 200
}

@test "export, then import into an empty directory: byte-identical files, one change, undone as one" {
	iot_start
	local i
	for i in 1 2 3 4 5; do
		printf '{\n    "deviceName": "dev %d",\n    "big": 9223372036854775807,\n    "f": 0.10,\n    "z": -0.0,\n    "esc": "\\u00e9\\/"\n}\n' "$i" >"$CONFIG_DIR/ab-00-00-00-26-0$i.json"
	done
	local archive="$IOT_TMP/fleet.tar.gz" source_dir="$CONFIG_DIR"
	curl -sf -o "$archive" "$BASE_URL/api/export"
	iot_start
	import "$archive" '?dry_run=true'
	assert_code 200
	assert_json '.summary.created' 5
	[ -z "$(ls "$CONFIG_DIR")" ]
	import "$archive"
	assert_code 200
	assert_json '.kind' '"import"'
	assert_json '.summary.created' 5
	local id
	id="$(jq -r .id <<<"$body")"
	diff -r "$source_dir" "$CONFIG_DIR" -x '.*'
	for i in 1 2 3 4 5; do cmp "$source_dir/ab-00-00-00-26-0$i.json" "$CONFIG_DIR/ab-00-00-00-26-0$i.json"; done
	call GET /api/changes
	assert_json '[.changes[0] | .id, .kind, .count, .existing]' "[\"$id\",\"import\",5,\"skip\"]"
	call POST "/api/changes/$id/undo" -H 'Content-Type: application/json' -H 'Content-Length: 0'
	assert_code 200
	assert_json '.summary.deleted' 5
	[ -z "$(ls "$CONFIG_DIR")" ]
}

@test "an import's dry run shows new, changed, unchanged, skipped and invalid with why; apply follows the policy" {
	iot_start
	mkdir "$IOT_TMP/src"
	printf '{"same":1}' >"$IOT_TMP/src/ab-00-00-00-27-01.json"
	printf '{"new":1}' >"$IOT_TMP/src/AB:00:00:00:27:02.json"
	printf '{"theirs":2}' >"$IOT_TMP/src/ab-00-00-00-27-03.json"
	printf '{"bad":' >"$IOT_TMP/src/ab-00-00-00-27-04.json"
	tar -czf "$IOT_TMP/in.tar.gz" -C "$IOT_TMP/src" .
	printf '{"same":1}' >"$CONFIG_DIR/ab-00-00-00-27-01.json"
	printf '{"mine":1}' >"$CONFIG_DIR/ab-00-00-00-27-03.json"
	snapshot "$CONFIG_DIR" "$IOT_TMP/before"
	import "$IOT_TMP/in.tar.gz" '?dry_run=true'
	assert_code 200
	assert_json '[.devices[] | [.mac_address, .result]]' \
		'[["ab-00-00-00-27-01","unchanged"],["ab-00-00-00-27-02","created"],["ab-00-00-00-27-03","skipped"],["ab-00-00-00-27-04","invalid"]]'
	assert_json '.devices[3].message | test("JSON|expected|truncated|value")' true
	assert_json '.devices[1].entry' '"./AB:00:00:00:27:02.json"'
	import "$IOT_TMP/in.tar.gz" '?dry_run=true&existing=overwrite'
	assert_json '[.devices[].result]' '["unchanged","created","changed","invalid"]'
	snapshot "$CONFIG_DIR" "$IOT_TMP/after"
	cmp "$IOT_TMP/before" "$IOT_TMP/after"
	import "$IOT_TMP/in.tar.gz"
	assert_json '[.devices[].result]' '["unchanged","created","skipped","invalid"]'
	[ "$(cat "$CONFIG_DIR/ab-00-00-00-27-03.json")" = '{"mine":1}' ]
	[ "$(cat "$CONFIG_DIR/ab-00-00-00-27-02.json")" = '{"new":1}' ]
	[ ! -e "$CONFIG_DIR/ab-00-00-00-27-04.json" ]
	import "$IOT_TMP/in.tar.gz" '?existing=overwrite'
	assert_json '[.devices[].result]' '["unchanged","unchanged","changed","invalid"]'
	[ "$(cat "$CONFIG_DIR/ab-00-00-00-27-03.json")" = '{"theirs":2}' ]
	# The overwritten version is in the history, named by the import.
	call GET /api/configs/ab-00-00-00-27-03/history
	assert_json '.revisions[0].replaced_by_change | test("^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$")' true
	import "$IOT_TMP/in.tar.gz" '?existing=replace'
	assert_error 400 VALIDATION_FAILED
}

@test "a tar of a config directory, history and all, imports its configs and ignores the rest" {
	iot_start
	put_json ab-00-00-00-28-01 '{"content":{"v":1}}'
	put_json ab-00-00-00-28-01 '{"content":{"v":2}}'
	put_json ab-00-00-00-28-02 '{"content":{"w":1}}'
	local archive="$IOT_TMP/dir.tar.gz" source_dir="$CONFIG_DIR"
	tar -czf "$archive" -C "$(dirname "$CONFIG_DIR")" "$(basename "$CONFIG_DIR")"
	tar -tzf "$archive" | grep -q '/.history/'
	iot_start
	import "$archive"
	assert_code 200
	assert_json '[.devices[] | [.mac_address, .result]]' '[["ab-00-00-00-28-01","created"],["ab-00-00-00-28-02","created"]]'
	[ "$(jq '.ignored > 3' <<<"$body")" = true ]
	cmp "$source_dir/ab-00-00-00-28-01.json" "$CONFIG_DIR/ab-00-00-00-28-01.json"
}

@test "each hostile archive is refused with a clear error, and nothing is written" {
	iot_start MAX_BODY_BYTES=1024
	printf '{"keep":1}' >"$CONFIG_DIR/ab-00-00-00-25-01.json"
	put_json ab-00-00-00-25-03 '{"content":{"v":1}}'
	snapshot "$CONFIG_DIR" "$IOT_TMP/before"
	local kind name want
	for kind in dotdot:'..' absolute:absolute symlink:'symbolic link' hardlink:'hard link' \
		device:device fifo:FIFO notmac:'<mac>.json' duplicate:'both'; do
		name="${kind%%:*}" want="${kind#*:}"
		craft "$IOT_TMP/$name.tgz" "$name"
		import "$IOT_TMP/$name.tgz" '?existing=overwrite'
		assert_error 400 VALIDATION_FAILED
		[[ "$(jq -r .details.message <<<"$body")" == *"$want"*"nothing was written" ]] ||
			{ echo "$name: $body" >&2; return 1; }
	done
	for kind in huge:'at most 1024 bytes' bomb:'expands to more than'; do
		name="${kind%%:*}" want="${kind#*:}"
		craft "$IOT_TMP/$name.tgz" "$name"
		import "$IOT_TMP/$name.tgz" '?existing=overwrite'
		assert_error 413 PAYLOAD_TOO_LARGE
		[[ "$(jq -r .details.message <<<"$body")" == *"$want"* ]] || { echo "$name: $body" >&2; return 1; }
	done
	# The bomb is small on the wire and large inside.
	[ "$(stat -c %s "$IOT_TMP/bomb.tgz")" -lt 65536 ]
	# A stream cut short, and what is not a tar at all.
	head -c 150 "$IOT_TMP/dotdot.tgz" >"$IOT_TMP/cut.tgz"
	import "$IOT_TMP/cut.tgz" '?existing=overwrite'
	assert_error 400 VALIDATION_FAILED
	printf '{"not":"a tar"}' >"$IOT_TMP/json.tgz"
	import "$IOT_TMP/json.tgz"
	assert_error 400 VALIDATION_FAILED
	# An upload over its bound (64 times MAX_BODY_BYTES), and the wrong types.
	head -c 70000 /dev/urandom >"$IOT_TMP/big.bin"
	import "$IOT_TMP/big.bin"
	assert_error 413 PAYLOAD_TOO_LARGE
	call POST /api/import -H 'Content-Type: multipart/form-data; boundary=x' --data-binary "@$IOT_TMP/dotdot.tgz"
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	call POST /api/import -H 'Content-Type: application/json' --data-binary '{}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	snapshot "$CONFIG_DIR" "$IOT_TMP/after"
	cmp "$IOT_TMP/before" "$IOT_TMP/after"
	[ ! -e "$CONFIG_DIR/.changes" ]
}

@test "an import from another origin is refused like every change" {
	craft "$IOT_TMP/ok.tgz" none
	import "$IOT_TMP/ok.tgz" '' -H 'Origin: http://evil.test' -H "Host: 127.0.0.1:$IOT_PORT"
	assert_error 403 ORIGIN_NOT_ALLOWED
	[ ! -e "$CONFIG_DIR/ab-00-00-00-25-01.json" ]
}
