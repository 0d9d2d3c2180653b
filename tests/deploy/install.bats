#!/usr/bin/env bats
# tests/deploy/install.bats: `make install` and `make uninstall` (PREFIX,
# DESTDIR), the manual page, and a Debian-style installation switched on
# with the distribution's own tools (lighttpd-enable-mod, a2enconf) and
# served under the distribution's own lighttpd.conf and under Apache.

bats_require_minimum_version 1.5.0

load servers

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	deploy_cleanup_dirs
}

SWAGGER_ASSETS="swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js favicon-32x32.png favicon-16x16.png LICENSE NOTICE"

# A stand-in for swagger-ui-dist: what install copies, and files it must not.
swagger_stub() {
	local f
	mkdir -p "$1"
	for f in $SWAGGER_ASSETS; do printf 'stand-in %s\n' "$f" >"$1/$f"; done
	printf 'not installed\n' >"$1/index.html"
	printf 'not installed\n' >"$1/package.json"
}

# Every file and symlink below a directory, relative, sorted.
tree_of() {
	(cd "$1" && find . -not -type d | sort)
}

@test "make install puts exactly the binary, the man page, the snippets and the Swagger UI files, with PREFIX's paths filled in" {
	local d dest f
	d="$(deploy_tmpdir)"
	dest="$d/dest"
	swagger_stub "$d/swagger-src"
	run make -s -C "$IOT_ROOT" install DESTDIR="$dest" PREFIX=/usr SWAGGER_UI_SRC="$d/swagger-src"
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	expected="./etc/apache2/conf-available/iotconfig-auth.conf
./etc/apache2/conf-available/iotconfig-read-auth.conf
./etc/apache2/conf-available/iotconfig.conf
./etc/lighttpd/conf-available/50-iotconfig.conf
./etc/lighttpd/conf-available/51-iotconfig-auth.conf
./etc/lighttpd/conf-available/52-iotconfig-read-auth.conf
./usr/libexec/iotconfig/iotconfig.fcgi
./usr/share/iotconfig/swagger-ui/LICENSE
./usr/share/iotconfig/swagger-ui/NOTICE
./usr/share/iotconfig/swagger-ui/favicon-16x16.png
./usr/share/iotconfig/swagger-ui/favicon-32x32.png
./usr/share/iotconfig/swagger-ui/swagger-ui-bundle.js
./usr/share/iotconfig/swagger-ui/swagger-ui-standalone-preset.js
./usr/share/iotconfig/swagger-ui/swagger-ui.css
./usr/share/man/man8/iotconfig.fcgi.8"
	diff <(echo "$expected") <(tree_of "$dest")
	[ "$(stat -c %a "$dest/usr/libexec/iotconfig/iotconfig.fcgi")" = 755 ]
	[ -z "$(find "$dest" -type f ! -name iotconfig.fcgi ! -perm 644)" ]
	for f in $SWAGGER_ASSETS; do cmp "$d/swagger-src/$f" "$dest/usr/share/iotconfig/swagger-ui/$f"; done
	cmp "$IOT_ROOT/man/iotconfig.fcgi.8" "$dest/usr/share/man/man8/iotconfig.fcgi.8"
	[ "$("$dest/usr/libexec/iotconfig/iotconfig.fcgi" --version)" = "iotconfig $(cat "$IOT_ROOT/VERSION")" ]
	# Placeholders filled in with this PREFIX and the Debian places.
	run ! grep -rn '@[A-Z_]*@' "$dest/etc"
	grep -qF '"bin-path"    => "/usr/libexec/iotconfig/iotconfig.fcgi"' "$dest/etc/lighttpd/conf-available/50-iotconfig.conf"
	grep -qF 'var.iotconfig_run_dir = "/run/lighttpd/iotconfig"' "$dest/etc/lighttpd/conf-available/50-iotconfig.conf"
	grep -qF '"ESP32_CONFIGS_DIR" => "/var/lib/iotconfig/configs"' "$dest/etc/lighttpd/conf-available/50-iotconfig.conf"
	grep -qF '"SWAGGER_UI_DIR"    => "/usr/share/iotconfig/swagger-ui"' "$dest/etc/lighttpd/conf-available/50-iotconfig.conf"
	grep -qF 'var.iotconfig_htpasswd = "/etc/lighttpd/iotconfig.htpasswd"' "$dest/etc/lighttpd/conf-available/50-iotconfig.conf"
	grep -qx '	Define IOTCONFIG_LIBEXECDIR /usr/libexec/iotconfig' "$dest/etc/apache2/conf-available/iotconfig.conf"
	grep -qx '	Define IOTCONFIG_HTPASSWD /etc/apache2/iotconfig.htpasswd' "$dest/etc/apache2/conf-available/iotconfig-auth.conf"
	grep -qx '	Define IOTCONFIG_HTPASSWD /etc/apache2/iotconfig.htpasswd' "$dest/etc/apache2/conf-available/iotconfig-read-auth.conf"
}

@test "the installed binary is built for its PREFIX: its default Swagger UI directory follows it" {
	local d bin out
	d="$(deploy_tmpdir)"
	run make -s -C "$IOT_ROOT" install DESTDIR="$d/a" PREFIX=/opt/iotconfig-a SWAGGER_UI_SRC="$d/none"
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	run make -s -C "$IOT_ROOT" install DESTDIR="$d/b" PREFIX=/opt/iotconfig-b SWAGGER_UI_SRC="$d/none"
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[[ "$output" == *"Swagger UI not installed"* ]]
	[ ! -e "$d/b/opt/iotconfig-b/share/iotconfig" ]
	# Run as CGI (stdin is no FastCGI socket), with no SWAGGER_UI_DIR set.
	for p in a b; do
		bin="$d/$p/opt/iotconfig-$p/libexec/iotconfig/iotconfig.fcgi"
		out="$(env -i REQUEST_METHOD=GET REQUEST_URI=/api/docs/swagger/ "$bin" </dev/null)"
		[[ "$out" == "Status: 503 "* ]]
		[[ "$out" == *"Looked in: /opt/iotconfig-$p/share/iotconfig/swagger-ui"* ]]
	done
}

@test "the man page renders without warnings and names every route, option, variable and exit status" {
	local page="$IOT_ROOT/man/iotconfig.fcgi.8" text p
	text="$(MANWIDTH=1000 man --warnings -l "$page" 2>"$BATS_TEST_TMPDIR/man.err")"
	[ ! -s "$BATS_TEST_TMPDIR/man.err" ] || { cat "$BATS_TEST_TMPDIR/man.err" >&2; false; }
	for p in $("$IOTCONFIG_BIN" --routes | jq -r '.[].path' | sed 's|{version}/{asset}|version/asset|; s/{asset}/[asset]/; s/{\([a-z_]*\)}/\1/g'); do
		grep -qF -- "$p" <<<"$text" || { echo "route $p missing" >&2; false; }
	done
	for p in $(grep -o 'strcmp(argv\[1\], "--[a-z]*")' "$IOT_ROOT/src/main.c" | grep -o -- '--[a-z]*'); do
		grep -qF -- "$p" <<<"$text" || { echo "option $p missing" >&2; false; }
	done
	env="$(sed -n '/^ENVIRONMENT/,/^FILES/p' <<<"$text")"
	for p in $(grep -o 'env_nonempty("[A-Z0-9_]*")' "$IOT_ROOT/src/settings.c" | cut -d'"' -f2); do
		grep -qE "^ *$p( |$)" <<<"$env" || { echo "variable $p missing" >&2; false; }
	done
	status_section="$(sed -n '/^EXIT STATUS/,/^EXAMPLES/p' <<<"$text")"
	for p in 0 1 2 78; do
		grep -qE "^ +$p +[A-Za-z]" <<<"$status_section" || { echo "exit status $p missing" >&2; false; }
	done
	grep -q 'define EXIT_CONFIG 78 ' "$IOT_ROOT/src/main.c"
}

@test "make uninstall removes exactly what install put; other files in the same directories stay" {
	local d dest
	d="$(deploy_tmpdir)"
	dest="$d/dest"
	swagger_stub "$d/swagger-src"
	mkdir -p "$dest/usr/share/man/man8" "$dest/etc/lighttpd/conf-available" "$dest/usr/libexec"
	echo keep >"$dest/usr/share/man/man8/other.8"
	echo keep >"$dest/etc/lighttpd/conf-available/10-fastcgi.conf"
	echo keep >"$dest/usr/libexec/other"
	before="$(tree_of "$dest")"
	run make -s -C "$IOT_ROOT" install DESTDIR="$dest" PREFIX=/usr SWAGGER_UI_SRC="$d/swagger-src"
	[ "$status" -eq 0 ]
	[ "$(tree_of "$dest" | wc -l)" -eq $(($(wc -l <<<"$before") + 15)) ]
	run make -s -C "$IOT_ROOT" uninstall DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[ "$(tree_of "$dest")" = "$before" ]
	[ ! -e "$dest/usr/libexec/iotconfig" ]
	[ ! -e "$dest/usr/share/iotconfig" ]
	# Without anything else there, nothing at all is left but directories.
	run make -s -C "$IOT_ROOT" install DESTDIR="$d/alone" PREFIX=/usr/local SWAGGER_UI_SRC="$d/swagger-src"
	run make -s -C "$IOT_ROOT" uninstall DESTDIR="$d/alone" PREFIX=/usr/local
	[ -z "$(tree_of "$d/alone")" ]
}

@test "Debian layout: lighttpd-enable-mod iotconfig switches it on under Debian's lighttpd.conf, at the service's paths only" {
	require_mount_namespace
	debian_install
	run in_debian_etc lighttpd-enable-mod iotconfig
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[[ "$output" == *"Enabling iotconfig: ok"* ]]
	[ "$(readlink "$DEB_ROOT/etc/lighttpd/conf-enabled/50-iotconfig.conf")" = ../conf-available/50-iotconfig.conf ]
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/10-fastcgi.conf" ] # its dependency
	[ ! -e /etc/lighttpd/conf-enabled/50-iotconfig.conf ]         # the host's stays as it was
	debian_lighttpd_start
	call PUT /api/configs/AA:BB:CC:00:02:01 -H 'Content-Type: application/json' --data-binary '{"content":{"deviceName":"deb"}}'
	assert_code 200
	[ "$(stat -c %U "$CONFIG_DIR/aa-bb-cc-00-02-01.json")" = "$( [ "$(id -u)" = 0 ] && echo www-data || id -un)" ]
	call GET /esp32/config/aa-bb-cc-00-02-01.json
	assert_code 200
	cmp "$IOT_TMP/last.body" "$CONFIG_DIR/aa-bb-cc-00-02-01.json"
	# The compiled-in Swagger UI place of this PREFIX.
	call GET /api/docs/swagger/
	if [ -d "$IOT_ROOT/tools/node_modules/swagger-ui-dist" ]; then
		assert_code 200
	else
		assert_code 503
		[[ "$body" == *"Looked in: $DEB_ROOT/usr/share/iotconfig/swagger-ui"* ]]
	fi
	# The web page is at / too.
	call GET /
	assert_code 302
	[ "$(header Location)" = /ui/ ]
	call GET /ui/
	assert_code 200
	[[ "$(header Content-Type)" == text/html* ]]
	# Other paths stay lighttpd's own.
	call GET /elsewhere
	assert_code 404
	[ "$(header Content-Type)" != application/json ]
	[ -z "$(header X-Request-ID)" ]
}

@test "Debian layout: a2enconf iotconfig switches it on under Apache with mod_fcgid" {
	debian_install
	local shm="$DEB_ROOT/shm"
	mkdir -p "$shm"
	give_to_server "$shm"
	run env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" a2enconf iotconfig
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[ "$(readlink "$DEB_ROOT/etc/apache2/conf-enabled/iotconfig.conf")" = ../conf-available/iotconfig.conf ]
	APACHE_ROOT="$DEB_ROOT/etc/apache2" apache_start fcgid METRICS_FILE="$shm/metrics"
	call PUT /api/configs/aa-bb-cc-00-02-02.json -H 'Content-Type: application/json' --data-binary '{"deviceName":"apache"}'
	assert_code 200
	[ "$(cat "$CONFIG_DIR/aa-bb-cc-00-02-02.json")" = '{"deviceName":"apache"}' ]
	call GET /api/configs
	assert_json '[.configs[].mac_address]' '["aa-bb-cc-00-02-02"]'
	call GET /
	assert_code 302
	[ "$(header Location)" = /ui/ ]
	call GET /ui/
	assert_code 200
	[[ "$(header Content-Type)" == text/html* ]]
	call GET /elsewhere
	assert_code 404
	[ -z "$(header X-Request-ID)" ]
	grep -q 'started pid=.* dir='"$CONFIG_DIR"' metrics='"$shm/metrics" "$SERVER_LOG"
}

@test "make uninstall also removes the links that enabled the snippets, so no web server config is left dangling" {
	require_mount_namespace
	debian_install
	in_debian_etc lighttpd-enable-mod iotconfig iotconfig-auth iotconfig-read-auth
	env APACHE_CONFDIR="$DEB_ROOT/etc/apache2" APACHE_STATE_DIRECTORY="$DEB_ROOT/state" a2enconf iotconfig iotconfig-auth iotconfig-read-auth
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/51-iotconfig-auth.conf" ]
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/52-iotconfig-read-auth.conf" ]
	[ -L "$DEB_ROOT/etc/apache2/conf-enabled/iotconfig-auth.conf" ]
	[ -L "$DEB_ROOT/etc/apache2/conf-enabled/iotconfig-read-auth.conf" ]
	run make -s -C "$IOT_ROOT" uninstall PREFIX="$DEB_ROOT/usr" SYSCONFDIR="$DEB_ROOT/etc"
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[ -z "$(find "$DEB_ROOT" -xtype l)" ]
	[ -z "$(find "$DEB_ROOT/etc" -name '*iotconfig*')" ]
	# Debian's own links (the dependencies enabled along) stay.
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/10-fastcgi.conf" ]
	[ -L "$DEB_ROOT/etc/lighttpd/conf-enabled/05-auth.conf" ]
}
