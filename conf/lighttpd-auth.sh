#!/bin/sh
# conf/lighttpd-auth.sh: the HTTP Basic authentication part of
# conf/lighttpd.conf (and so of `make run` and the Docker image), printed
# on stdout as lighttpd configuration. lighttpd runs it once at start
# (include_shell); a non-zero exit stops lighttpd with this script's
# message on stderr. Settings, from the environment:
#
#   AUTH_USERS_FILE  htpasswd file (bcrypt, `htpasswd -B`); empty: no
#                    credentials anywhere, and a warning on stderr
#   AUTH_READS       true: reads need credentials too, except what devices
#                    and probes fetch: /api/configs/<mac>.json,
#                    /esp32/config/<mac>.json, /esp32/firmware/...
#                    (images and manifests), /api/health, and
#                    the admin page's own files (/ and /ui/...), which ask
#                    for credentials on their first API call
#   AUTH_METRICS     true: /metrics needs credentials too (with AUTH_READS);
#                    false: it stays open; empty (the default): as
#                    AUTH_READS, since /metrics names every device's MAC
#   DEVICE_AUTH      the responder's setting, checked here too: anything
#                    but off needs AUTH_USERS_FILE and AUTH_READS=true,
#                    since the admin routes would otherwise hand every
#                    config, and new device secrets, to anyone (the
#                    responder refuses them without credentials: 403)
#
# With AUTH_USERS_FILE alone every method but GET, HEAD and OPTIONS needs
# credentials (the writes), except the checks (POST
# /api/configs/<mac>/validate and /api/schemas/<name>/validate), which
# write nothing and are open like the reads they are (the web page checks
# a config as it is typed); with AUTH_READS they need credentials like
# every read. OPTIONS (CORS preflights, which browsers send without
# credentials) never does. docs/security.md says what each setup exposes.
set -eu

users="${AUTH_USERS_FILE:-}"
reads="${AUTH_READS:-false}"
metrics="${AUTH_METRICS:-$reads}"
device="${DEVICE_AUTH:-off}"

fail() {
	printf 'iotconfig: %s\n' "$*" >&2
	exit 1
}

for kv in "AUTH_READS=$reads" "AUTH_METRICS=$metrics"; do
	case "${kv#*=}" in
	true | false) ;;
	*) fail "${kv%%=*}: '${kv#*=}' is not true or false" ;;
	esac
done

if [ "$device" != off ]; then
	[ -n "$users" ] && [ "$reads" = true ] ||
		fail "DEVICE_AUTH=$device needs AUTH_USERS_FILE and AUTH_READS=true: without them the admin routes show every config, and make device secrets, for anyone"
fi

if [ -z "$users" ]; then
	[ "$reads" = false ] || fail "AUTH_READS=true needs AUTH_USERS_FILE (an htpasswd file)"
	[ "$metrics" = false ] || fail "AUTH_METRICS=true needs AUTH_USERS_FILE (an htpasswd file)"
	printf '%s WARN - no AUTH_USERS_FILE: anyone who can reach %s:%s can read and change every config (docs/security.md)\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${HOST:-?}" "${PORT:-?}" >&2
	exit 0
fi
case "$users" in
/*) ;;
*) fail "AUTH_USERS_FILE: '$users' is not an absolute path" ;;
esac
case "$users" in
*'"'* | *'\'*) fail "AUTH_USERS_FILE: '$users' contains a quote or a backslash" ;;
esac
[ -f "$users" ] && [ -r "$users" ] || fail "AUTH_USERS_FILE: '$users' is not a readable file"
[ "$metrics" = false ] || [ "$reads" = true ] ||
	fail "AUTH_METRICS=true needs AUTH_READS=true (without it no read needs credentials)"

# Paths read without credentials under AUTH_READS, matched against the
# decoded, normalised path lighttpd checks ($HTTP["url"], no query).
open='api/configs/[^/]+\.json|esp32/config/[^/]+\.json|esp32/firmware/[^/]+(/[^/]+)?|api/health|ui(/.*)?'
# The checks: POSTs that write nothing (a config or any value against a schema).
checks='api/(configs|schemas)/[^/]+/validate'
[ "$metrics" = true ] || open="$open|metrics"

cat <<EOF
server.modules += ( "mod_auth", "mod_authn_file" )
auth.backend = "htpasswd"
auth.backend.htpasswd.userfile = "$users"
var.iotconfig_auth = ( "" => ( "method" => "basic", "realm" => "iotconfig", "require" => "valid-user" ) )
\$HTTP["request-method"] !~ "^(GET|HEAD|OPTIONS|POST)\$" {
  auth.require = var.iotconfig_auth
}
\$HTTP["request-method"] == "POST" {
  \$HTTP["url"] !~ "^/($checks)\$" {
    auth.require = var.iotconfig_auth
  }
}
EOF
if [ "$reads" = true ]; then
	cat <<EOF
\$HTTP["request-method"] =~ "^(GET|HEAD)\$" {
  \$HTTP["url"] !~ "^/($open)?\$" {
    auth.require = var.iotconfig_auth
  }
}
\$HTTP["request-method"] == "POST" {
  \$HTTP["url"] =~ "^/($checks)\$" {
    auth.require = var.iotconfig_auth
  }
}
EOF
fi
