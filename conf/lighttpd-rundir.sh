#!/bin/sh
# conf/lighttpd-rundir.sh: the private directory for the FastCGI sockets
# and the request bodies lighttpd holds while they arrive, printed on
# stdout as lighttpd configuration (var.iotconfig_run_dir). lighttpd runs
# it once at start (include_shell) from conf/lighttpd.conf and
# conf/lighttpd-cgi.conf; a non-zero exit stops lighttpd with the message.
#
# Anyone who can connect to a responder's socket can send it any request
# with any REMOTE_USER, past the web server's credentials; lighttpd creates
# the sockets with its umask (srwxrwxrwx under umask 000). So the
# directory admits its owner alone, whatever the umask:
#   - RUN_DIR owned by the user running this: made 0700;
#   - RUN_DIR owned by another user but closed to everyone else (a root
#     lighttpd whose server.username owns it): used as it is;
#   - RUN_DIR open to others (a tmpfs mounted 1777, as a container engine
#     makes by default): a directory of this user's own inside it,
#     iotconfig-<uid>, made 0700, and refused if someone else made it.
set -eu

fail() {
	printf 'iotconfig: %s\n' "$*" >&2
	exit 1
}

run="${RUN_DIR:-}"
uid="$(id -u)"
case "$run" in
/*) ;;
*) fail "RUN_DIR: '$run' is not an absolute path" ;;
esac
case "$run" in
*'"'* | *'\'*) fail "RUN_DIR: '$run' contains a quote or a backslash" ;;
esac
[ -d "$run" ] && [ ! -L "$run" ] || fail "RUN_DIR: '$run' is not a directory"

if [ "$(stat -c %u "$run")" = "$uid" ]; then
	chmod 0700 "$run" || fail "RUN_DIR: cannot make '$run' private (chmod 0700)"
elif [ "$(($(stat -c '0%a' "$run") & 077))" -ne 0 ]; then
	run="$run/iotconfig-$uid"
	mkdir -m 0700 "$run" 2>/dev/null || true
	[ -d "$run" ] && [ ! -L "$run" ] && [ "$(stat -c %u "$run")" = "$uid" ] ||
		fail "RUN_DIR: '$run' exists and is not this user's own directory"
	chmod 0700 "$run" || fail "RUN_DIR: cannot make '$run' private (chmod 0700)"
fi
printf 'var.iotconfig_run_dir = "%s"\n' "$run"
