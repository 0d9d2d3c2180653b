#!/usr/bin/env bats
# tests/web/auth.bats: the web page behind the shipped write-auth snippet
# (conf/lighttpd/51-iotconfig-auth.conf, with the paths of
# 50-iotconfig.conf), in one lighttpd for the file: reads need no
# credentials, the browser is asked for them on the first write, and the
# history names who saved. Driven by auth.mjs in Debian's Chromium.

load helpers

setup_file() {
	web_need_npm || return 1
	local dir="$BATS_FILE_TMPDIR/auth"
	mkdir -p "$dir"
	htpasswd -cbB "$dir/htpasswd" alice 's3cret word' 2>/dev/null
	# The shipped snippet, with the paths of 50-iotconfig.conf, over the test server's conf.
	{
		echo 'server.modules = ( "mod_auth" )'
		grep '^var.iotconfig_paths' "$IOT_ROOT/conf/lighttpd/50-iotconfig.conf"
		echo "var.iotconfig_htpasswd = \"$dir/htpasswd\""
		echo "include \"$IOT_ROOT/conf/lighttpd.conf\""
		echo "include \"$IOT_ROOT/conf/lighttpd/51-iotconfig-auth.conf\""
	} >"$dir/lighttpd.conf"
	IOT_LIGHTTPD_CONF="$dir/lighttpd.conf" iot_start_file
	printf '{\n  "deviceName": "kitchen"\n}\n' >"$CONFIG_DIR/aa-bb-cc-00-00-01.json"
	web_drive 120 auth "$BASE_URL" "$CONFIG_DIR" alice 's3cret word'
}

teardown_file() {
	iot_stop_file
}

@test "the server asks for credentials on writes only" {
	call GET /ui/
	assert_code 200
	call PUT /api/configs/aa-bb-cc-00-00-01.json -H 'Content-Type: application/json' --data-binary '{}'
	assert_code 401
	[[ "$(header WWW-Authenticate)" == 'Basic realm="iotconfig"'* ]]
}

@test "without credentials the page reads, and a refused prompt shows the 401" {
	flow 'without credentials the page reads, and a refused prompt shows the 401'
}

@test "answering the credentials prompt saves, and the history names the user" {
	flow 'answering the credentials prompt saves, and the history names the user'
	grep -qx 'all flows passed' "$WEB_OUT"
}
