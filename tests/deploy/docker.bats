#!/usr/bin/env bats
# tests/deploy/docker.bats: Dockerfile and docker-compose.yml, without a
# Docker engine. The compose file is read with a real YAML parser
# (python3-yaml) and every path, port, variable and command it and the
# Dockerfile name is checked against the project; the image's environment
# is then run as is (paths moved to temporary ones) through the shipped
# conf/lighttpd.conf, and the healthchecks must pass against it.

load servers

teardown() {
	iot_cleanup_extra
}

setup_file() {
	# docker-compose.yml as JSON, parsed once: a python start per query
	# cost half a minute of this file on a loaded machine.
	COMPOSE_JSON="$BATS_FILE_TMPDIR/compose.json"
	python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)' \
		<"$IOT_ROOT/docker-compose.yml" >"$COMPOSE_JSON"
	export COMPOSE_JSON
}

teardown_file() {
	deploy_cleanup_dirs
}

compose() { # compose JQ_FILTER: query docker-compose.yml, parsed as YAML
	jq -r "$1" "$COMPOSE_JSON"
}

# The Dockerfile's instructions, one per line, continuations joined.
instructions() {
	awk '/^[[:space:]]*#/ { next }
	     { if (sub(/\\$/, "")) { buf = buf $0 " "; next } print buf $0; buf = "" }' \
		"$IOT_ROOT/Dockerfile" | sed -E 's/[[:space:]]+/ /g; /^ ?$/d'
}

# NAME=value lines of the Dockerfile's ENV instructions.
image_env() {
	instructions | awk '$1 == "ENV" { for (i = 2; i <= NF; i++) print $i }'
}

# The packages one stage (assets, build, run) installs.
stage_packages() {
	stage "$1" | awk '/apt-get install/ { for (i = 1; i <= NF; i++) if ($i ~ /^[a-z0-9][a-z0-9.+-]+$/ && $(i-1) != "rm") print $i }' |
		grep -vxE 'apt-get|install|update|rm|-y|--no-install-recommends|run|&&'
}

# Settings of the web server rather than the responder: conf/lighttpd.conf
# reads PORT and PROCS, conf/lighttpd-auth.sh the AUTH_* ones.
SERVER_SETTINGS="PORT PROCS AUTH_USERS_FILE AUTH_READS AUTH_METRICS"

# The Dockerfile's stage NAME (FROM ... AS NAME): its instructions.
stage() {
	instructions | awk -v want="$1" '$1 == "FROM" { cur = $4 } cur == want'
}

# Names of the responder's settings (what src/settings.c reads).
responder_settings() {
	grep -ho 'env_nonempty("[A-Z0-9_]*")' "$IOT_ROOT/src/settings.c" "$IOT_ROOT/src/mqtt_config.c" | cut -d'"' -f2 | sort -u
}

@test "docker-compose.yml is valid YAML; its build, port, volume, settings and healthcheck match the image and the project" {
	[ "$(compose '.services | keys | join(",")')" = iotconfig ]
	local svc=.services.iotconfig
	# Build context and Dockerfile.
	context="$(compose "$svc.build | if type == \"string\" then . else .context end")"
	dockerfile="$(compose "$svc.build | if type == \"string\" then \"Dockerfile\" else (.dockerfile // \"Dockerfile\") end")"
	[ -f "$IOT_ROOT/$context/$dockerfile" ]
	# Published on this machine only, to PORT, the one the image listens on.
	[ "$(compose "$svc.ports | join(\",\")")" = "127.0.0.1:8080:$(compose "$svc.environment.PORT")" ]
	grep -qx 'PORT=8080' <(image_env)
	instructions | grep -qx 'EXPOSE 8080'
	# The config directory is a declared named volume, where the settings point.
	volume="$(compose "$svc.volumes[0]")"
	[ "$(compose "$svc.volumes | length")" = 1 ]
	[ "$(compose ".volumes | has(\"${volume%%:*}\")")" = true ]
	[ "${volume#*:}" = "$(compose "$svc.environment.ESP32_CONFIGS_DIR")" ]
	instructions | grep -qx "VOLUME ${volume#*:}"
	# Every setting of the responder and the web server is there; every
	# variable there is used.
	diff <({ responder_settings; printf '%s\n' $SERVER_SETTINGS; } | sort) <(compose "$svc.environment | keys[]" | sort)
	for v in $(compose "$svc.environment | keys[]"); do
		grep -q "env\.$v\b" "$IOT_ROOT/conf/lighttpd.conf" || grep -q "\${$v\b" "$IOT_ROOT/conf/lighttpd-auth.sh" ||
			{ echo "$v is not read by conf/lighttpd.conf" >&2; false; }
	done
	# The image sets each of them too, with the same default.
	for v in $(compose "$svc.environment | keys[]"); do
		grep -qxF "$v=$(compose "$svc.environment.$v")" <(image_env) || { echo "the image's $v differs" >&2; false; }
	done
	# The healthcheck asks /api/health on the container's PORT, with a tool the image has.
	[ "$(compose "$svc.healthcheck.test | join(\" \")")" = 'CMD-SHELL curl -fsS http://127.0.0.1:$${PORT}/api/health || exit 1' ]
	stage_packages run | grep -qx curl
	# Read-only, the socket directory a tmpfs, no capability.
	[ "$(compose "$svc.read_only")" = true ]
	[ "$(compose "$svc.tmpfs | join(\",\")")" = "$(image_env | sed -n 's/^RUN_DIR=//p')" ]
	[ "$(compose "$svc.cap_drop | join(\",\")")" = ALL ]
	[ "$(compose "$svc.security_opt | join(\",\")")" = no-new-privileges:true ]
	[ "$(id -u www-data)" = 33 ]
	instructions | grep -qx 'USER www-data' 
	# Stopping is lighttpd's graceful stop, as in the image.
	[ "$(compose "$svc.stop_signal")" = SIGINT ]
	instructions | grep -qx 'STOPSIGNAL SIGINT'
}

@test "the Dockerfile copies files that exist, installs what the responder links, and starts lighttpd with the shipped conf" {
	# Every stage starts from BASE, debian:bookworm-slim unless given.
	[ "$(instructions | awk '$1 == "FROM" { print $2 }' | sort -u)" = '${BASE}' ]
	instructions | head -1 | grep -qx 'ARG BASE=debian:bookworm-slim'
	[ "$(instructions | awk '$1 == "FROM" { print $4 }' | tr '\n' ' ')" = 'assets build run ' ]
	# Sources from the build context exist and are not left out of it.
	local src
	while read -r src; do
		[ -e "$IOT_ROOT/$src" ] || { echo "COPY source $src does not exist" >&2; false; }
		if grep -qx "${src%/}" "$IOT_ROOT/.dockerignore"; then
			echo "COPY source $src is in .dockerignore" >&2
			false
		fi
	done < <(instructions | awk '$1 == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) print $i }')
	# The build stage's `make install` works with only what the stage
	# copies (into WORKDIR /src), and makes what the run stage takes.
	install_cmd="$(instructions | awk '$1 == "RUN" && / install PREFIX=/ { sub(/^RUN /, ""); print }')"
	# (-o: the editor bundle comes made from the assets stage, which has Node.js)
	[[ "$install_cmd" == "make -o build/web/codemirror.js install PREFIX=/usr DESTDIR=/out" ]]
	stage build | grep -qx 'WORKDIR /src'
	local tmp ctx dest
	tmp="$(deploy_tmpdir)"
	ctx="$tmp/src"
	mkdir -p "$ctx"
	while read -r line; do
		set -- $line
		shift
		dest="${!#}"
		while [ $# -gt 1 ]; do
			if [ -d "$IOT_ROOT/$1" ]; then
				mkdir -p "$ctx/$dest" && cp -a "$IOT_ROOT/$1/." "$ctx/$dest/"
			else
				cp -a "$IOT_ROOT/$1" "$ctx/$dest"
			fi
			shift
		done
	done < <(stage build | awk '$1 == "COPY" && $2 !~ /^--from/')
	# What it takes from the assets stage: swagger-ui-dist as npm ci installs it.
	stage build | grep -qx 'COPY --from=assets /tools/node_modules/swagger-ui-dist/ tools/node_modules/swagger-ui-dist/'
	stage assets | grep -qx 'COPY tools/package.json tools/package-lock.json ./'
	stage assets | grep -q '^RUN .*&& npm ci --ignore-scripts --no-audit --no-fund$'
	stage_packages assets | grep -qx npm
	# (what the assets stage hands over, stubbed: the files install takes)
	mkdir -p "$ctx/tools/node_modules/swagger-ui-dist"
	for f in $(sed -n 's/^SWAGGER_FILES := //p; s/^\t\(favicon.*\)$/\1/p' "$IOT_ROOT/mk/deploy.mk"); do
		echo stub >"$ctx/tools/node_modules/swagger-ui-dist/$f"
	done
	stage build | grep -qx 'COPY --from=assets /build/web/codemirror.js build/web/codemirror.js'
	stage assets | grep -qx 'RUN node bundle.mjs /web/vendor/codemirror.js /build/web/codemirror.js'
	mkdir -p "$ctx/build/web"
	echo 'export const stub = 1;' >"$ctx/build/web/codemirror.js"
	make -s -C "$ctx" -o build/web/codemirror.js install PREFIX=/usr DESTDIR="$tmp/out" >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log" >&2; false; }
	[ -f "$tmp/out/usr/share/iotconfig/swagger-ui/swagger-ui-bundle.js" ]
	while read -r src; do
		[ -e "$tmp$src" ] || { echo "$src is not built by the build stage" >&2; false; }
	done < <(instructions | awk '$1 == "COPY" && $2 == "--from=build" { print $3 }')
	# The runtime stage has every library the responder links (libc aside).
	for lib in $(ldd "$IOTCONFIG_BIN" | awk '/=> \// { print $3 }'); do
		# dpkg knows a library by one of its names (/lib is /usr/lib on merged-/usr).
		pkg="$(for p in "$lib" "/usr$lib" "$(readlink -f "$lib")"; do dpkg -S "$p" 2>/dev/null; done | head -1 | cut -d: -f1)"
		[ -n "$pkg" ] || { echo "no package owns $lib" >&2; false; }
		[ "$pkg" = libc6 ] || stage_packages run | grep -qx "$pkg" || { echo "runtime stage lacks $pkg ($lib)" >&2; false; }
	done
	# ... and the ones it loads only when used (dlopen: MQTT, export and
	# import, a schema's regex or multipleOf), each named by a src/*_lib.c.
	local soname sonames
	sonames="$(sed -n 's/^#define [A-Z0-9_]*_LIB_SONAME "\(.*\)"$/\1/p' "$IOT_ROOT"/src/*.c)"
	[ "$(wc -w <<<"$sonames")" -ge "$(ls "$IOT_ROOT"/src/*_lib.c | wc -l)" ]
	for soname in $sonames; do
		pkg="$(dpkg -S "*/$soname" 2>/dev/null | head -1 | cut -d: -f1)"
		[ -n "$pkg" ] || { echo "no package owns $soname" >&2; false; }
		stage_packages run | grep -qx "$pkg" || { echo "runtime stage lacks $pkg ($soname, loaded when used)" >&2; false; }
	done
	stage_packages run | grep -qx lighttpd
	# tini is process 1 and starts lighttpd; the stop is lighttpd's graceful one.
	stage_packages run | grep -qx tini
	instructions | grep -qxF 'ENTRYPOINT ["/usr/bin/tini", "--"]'
	instructions | grep -qx 'STOPSIGNAL SIGINT' 
	# The build stage has the build packages mk/deps.sh installs for `make`.
	for pkg in gcc make pkg-config libc6-dev libfcgi-dev libjson-c-dev nettle-dev libmosquitto-dev; do
		grep -q "pkgs_run=.*\b$pkg\b" "$IOT_ROOT/mk/deps.sh"
		stage_packages build | grep -qx "$pkg" || { echo "build stage lacks $pkg" >&2; false; }
	done
	# lighttpd runs the shipped conf/lighttpd.conf.
	conf_dest="$(instructions | awk '$1 == "COPY" && $2 == "conf/lighttpd.conf" { print $3 }')"
	instructions | grep -qxF "CMD [\"lighttpd\", \"-D\", \"-f\", \"$conf_dest\"]"
	grep -qx "IOTCONFIG_BIN=$(instructions | awk '$1 == "COPY" && $2 == "--from=build" && $3 ~ /iotconfig.fcgi$/ { print $4 }')" <(image_env)
	# The Swagger UI files go where SWAGGER_UI_DIR points.
	grep -qx "SWAGGER_UI_DIR=$(instructions | awk '$1 == "COPY" && $2 == "--from=build" && $3 ~ /swagger-ui\/$/ { sub(/\/$/, "", $4); print $4 }')" <(image_env)
	# Every file conf/lighttpd.conf includes (its scripts, its bounds) is
	# next to it.
	local inc
	for inc in $(grep -o 'IOTCONFIG_CONF_DIR + "/[^"]*"' "$IOT_ROOT/conf/lighttpd.conf" | sed 's|.*"/||; s|"$||'); do
		[ "$inc" = errors/status- ] && continue
		instructions | grep -qx "COPY conf/$inc ${conf_dest%/*}/$inc" || { echo "the image lacks conf/$inc" >&2; false; }
	done
}

@test "the image's environment is all conf/lighttpd.conf needs: lighttpd serves with exactly it, and both healthchecks pass" {
	local d port kv name
	d="$(deploy_tmpdir)"
	mkdir -p "$d/configs" "$d/run"
	port="$(free_port)"
	declare -A env=()
	while IFS= read -r kv; do env[${kv%%=*}]="${kv#*=}"; done < <(image_env)
	while IFS= read -r kv; do env[${kv%%=*}]="${kv#*=}"; done < <(compose '.services.iotconfig.environment | to_entries[] | "\(.key)=\(.value)"')
	# Only the places change: the host's paths and a free loopback port.
	for name in HOST PORT ESP32_CONFIGS_DIR RUN_DIR IOTCONFIG_BIN IOTCONFIG_CONF_DIR; do
		[ -n "${env[$name]+set}" ] || { echo "the image does not set $name" >&2; false; }
	done
	# The image copies conf/errors/ into IOTCONFIG_CONF_DIR.
	instructions | grep -qx "COPY conf/errors/ ${env[IOTCONFIG_CONF_DIR]}/errors/"
	env[HOST]=127.0.0.1 env[PORT]="$port" env[ESP32_CONFIGS_DIR]="$d/configs"
	env[RUN_DIR]="$d/run" env[IOTCONFIG_BIN]="$IOTCONFIG_BIN" env[IOTCONFIG_CONF_DIR]="$IOT_ROOT/conf"
	local -a vars=()
	for name in "${!env[@]}"; do vars+=("$name=${env[$name]}"); done
	env -i PATH="$PATH" "${vars[@]}" lighttpd -D -f "$IOT_ROOT/conf/lighttpd.conf" >"$d/lighttpd.log" 2>&1 3>&- &
	echo "$(proc_id $!) $d" >>"$BATS_FILE_TMPDIR/iot.instances"
	# compose's healthcheck (CMD-SHELL form; compose turns $$ into $), with this PORT
	local check
	check="$(compose '.services.iotconfig.healthcheck.test[1]')"
	wait_for env PORT="$port" sh -c "${check//\$\$/\$}" || { cat "$d/lighttpd.log" >&2; false; }
	# No credentials configured: the log says so at start.
	grep -q "WARN - no AUTH_USERS_FILE: anyone who can reach 127.0.0.1:$port can read and change every config" "$d/lighttpd.log"
	# the Dockerfile's HEALTHCHECK (shell form, reads PORT)
	cmd="$(instructions | sed -n 's/^HEALTHCHECK .* CMD //p')"
	PORT="$port" sh -c "$cmd"
	# and the service really is configured from that environment
	BASE_URL="http://127.0.0.1:$port" IOT_TMP="$d"
	call PUT /api/configs/aa-bb-cc-00-04-01 -H 'Content-Type: application/json' --data-binary '{"content":{"docker":true}}'
	assert_code 200
	[ "$(jq -c . "$d/configs/aa-bb-cc-00-04-01.json")" = '{"docker":true}' ]
	# and the web page answers at the image's address
	call GET /
	assert_code 302
	[ "$(header Location)" = /ui/ ]
	call GET /ui/
	assert_code 200
}
