# tests/deploy/device_auth.bash: device secrets (DEVICE_AUTH) checked
# through whichever web server servers.bash started, each mode as a device
# and an admin see it. Shared by tests/deploy/device_auth.bats (lighttpd
# with CGI, Apache with mod_fcgid and mod_cgid) and tests/image/image.bats
# (the Docker image); tests/e2e/device_auth.bats goes into detail under
# lighttpd with FastCGI. Load servers.bash first.
#
#   da_setup                 (setup_file) the admins' htpasswd file, readable
#                            by the web servers' user; exports DA_HTPASSWD
#                            and IOT_PROBE_AUTH
#   da_start KIND MODE       server_start KIND with DEVICE_AUTH=MODE and
#                            admin credentials for every admin route, the
#                            way that server is given them
#   da_check_per_device MAC  the per-device checks (MAC and the next MACs
#   da_check_required MAC    up are this test's), the required ones, and
#   da_check_off MAC         the off ones

DA_USER=alice
DA_PASS='s3cret word'

da_setup() {
	local d
	d="$(deploy_tmpdir)"
	export DA_HTPASSWD="$d/htpasswd"
	htpasswd -cbB "$DA_HTPASSWD" "$DA_USER" "$DA_PASS" 2>/dev/null
	chmod 644 "$DA_HTPASSWD"
	export IOT_PROBE_AUTH="$DA_USER:$DA_PASS"
}

da_start() {
	local kind="$1" mode="$2"
	case "$kind" in
	apache-*) APACHE_CONFS=iotconfig-read-auth server_start "$kind" DEVICE_AUTH="$mode" HTPASSWD="$DA_HTPASSWD" DEBUG=true ;;
	*) server_start "$kind" DEVICE_AUTH="$mode" AUTH_USERS_FILE="$DA_HTPASSWD" AUTH_READS=true DEBUG=true ;;
	esac
}

da_admin() { # da_admin METHOD PATH [curl args]
	local method="$1" path="$2"
	shift 2
	call "$method" "$path" -u "$DA_USER:$DA_PASS" "$@"
}

# da_config MAC TEXT: the config's exact bytes, written by an admin.
da_config() {
	da_admin PUT "/api/configs/$1.json" -H 'Content-Type: application/json' --data-binary "$2"
	assert_code 200
	[ "$(cat "$CONFIG_DIR/$1.json")" = "$2" ]
}

# da_secret MAC: a new secret (printed), made by an admin.
da_secret() {
	da_admin POST "/api/configs/$1/credential" -H 'Content-Type: application/json' --data-binary ''
	assert_code 201 >&2 || return 1
	printf '%s' "$body" | jq -er .secret
}

# da_in_use MAC WHICH: the service says the device uses WHICH secret.
da_in_use() {
	curl -sf -u "$DA_USER:$DA_PASS" "$BASE_URL/api/configs/$1/credential" |
		jq -e --arg w "$2" '.in_use == $w' >/dev/null
}

# da_refused: the last answer is the devices' 401, without the config.
da_refused() {
	assert_error 401 UNAUTHORIZED
	[ "$(header WWW-Authenticate)" = 'Basic realm="iotconfig devices", charset="UTF-8", Bearer realm="iotconfig devices"' ]
	[[ "$body" != *wifiPassword* ]]
}

da_check_per_device() {
	local m1="$1" m2="${1%?}$(( ${1: -1} + 1 ))" s1 s2
	da_config "$m1" '{"wifiPassword":"one"}'
	da_config "$m2" '{"wifiPassword":"two"}'
	s1="$(da_secret "$m1")"
	call GET "/api/configs/$m1.json"
	da_refused
	call GET "/esp32/config/$m1.json" -H 'Authorization: Bearer wrong-secret'
	da_refused
	# Basic as esp_http_client sends it (the MAC with colons as user), and Bearer.
	call GET "/api/configs/$m1.json" -H "Authorization: Basic $(printf '%s:%s' "${m1//-/:}" "$s1" | base64 -w0)"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/$m1.json"
	call GET "/esp32/config/$m1.json" -H "Authorization: Bearer $s1"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/$m1.json"
	# A device without a secret is open; an admin reads any config's bytes.
	call GET "/esp32/config/$m2.json"
	assert_code 200
	da_admin GET "/api/configs/$m1/file"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/$m1.json"
	call GET "/api/configs/$m1/file"
	assert_code 401
	[[ "$body" != *wifiPassword* ]]
	# Rotation: both work until the device uses the new one; then only it.
	s2="$(da_secret "$m1")"
	call GET "/api/configs/$m1.json" -H "Authorization: Bearer $s1"
	assert_code 200
	call GET "/api/configs/$m1.json" -u "$m1:$s2"
	assert_code 200
	wait_for da_in_use "$m1" current
	call GET "/api/configs/$m1.json" -H "Authorization: Bearer $s1"
	da_refused
	# Revoked: open again.
	da_admin DELETE "/api/configs/$m1/credential"
	assert_code 204
	call GET "/api/configs/$m1.json"
	assert_code 200
	# Counted, and nowhere in clear.
	da_admin GET /metrics
	[ "$(awk '$1 == "iot_device_auth_total{result=\"ok\"}" { print $2 }' <<<"$body")" -ge 4 ]
	run grep -rlF -e "$s1" -e "$s2" "$CONFIG_DIR" "$SERVER_LOG"
	[ "$status" = 1 ] || { echo "found in: $output" >&2; false; }
}

da_check_required() {
	local m1="$1" m2="${1%?}$(( ${1: -1} + 1 ))" m3="${1%?}$(( ${1: -1} + 2 ))" s1 first
	da_config "$m1" '{"wifiPassword":"one"}'
	da_config "$m2" '{"wifiPassword":"two"}'
	s1="$(da_secret "$m1")"
	call GET "/api/configs/$m1.json" -H "Authorization: Bearer $s1"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/$m1.json"
	# The same refusal for a MAC with a secret, without one, and without a config.
	local mac
	for mac in "$m1" "$m2" "$m3"; do
		call GET "/esp32/config/$mac.json" -H 'Authorization: Bearer wrong-secret'
		da_refused
		got="$(jq -c 'del(.correlationId)' <<<"$body")"
		[ -n "${first:-}" ] || first="$got"
		[ "$got" = "$first" ]
	done
	da_admin GET /api/credentials
	assert_json .mode '"required"'
}

da_check_off() {
	local m1="$1"
	da_config "$m1" '{"wifiPassword":"one"}'
	da_secret "$m1" >/dev/null
	call GET "/api/configs/$m1.json"
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/$m1.json"
	da_admin GET /api/credentials
	assert_json .mode '"off"'
}
