#!/bin/bash
# tests/ceph/cluster.sh: a throwaway CephFS cluster on this machine, for the
# CephFS suite and the bench: one monitor, one manager, one OSD on the
# in-memory object store and one metadata server, all bound to 127.0.0.1,
# and two separate ceph-fuse clients mounted, each with its own cache, as
# two nodes would have. Everything (configuration, data, sockets, logs,
# mount points) lives under one directory; nothing is written elsewhere.
#
#   cluster.sh start DIR   DIR must not exist; prints nothing on success.
#                          Mounts DIR/a and DIR/b; on failure it stops
#                          whatever it started and shows the logs
#   cluster.sh stop DIR    unmounts both clients, stops every process of
#                          this cluster and removes DIR; safe to call twice
#                          and after a failed start
#   cluster.sh kill-client DIR a|b
#                          SIGKILLs that mount's ceph-fuse, as a crash of
#                          the client would; its mount stays, dead
#   cluster.sh evict DIR a|b
#                          has the MDS evict that mount's client session
#                          (what an operator does for a client that died,
#                          so that the others need not wait for its
#                          session to time out)
#   cluster.sh mount DIR a|b
#                          mounts it again with a new client (a dead mount
#                          there is unmounted first)
#
# Every wait is bounded. The processes are found by their command line,
# which names DIR/ceph.conf, so only this cluster's are ever signalled.
# Facts this relies on (Ceph 16.2, Debian 12):
# - `osd objectstore = memstore`: a misspelt value silently falls back to
#   BlueStore and a 100 GiB sparse file;
# - `mds early reply = false`: with the default, a read through one client
#   of a file the other just changed waits for the MDS's next tick, up to
#   `mds tick interval` (5 s by default; 0.25 here for what else waits on
#   it); both are read only at start, from the file;
# - without a manager `statfs` reports 0 blocks; the manager runs without
#   its Python modules (an empty module path: Ceph's own health then says
#   they failed, which nothing here reads), 25 MB instead of 300 MB;
# - ceph-fuse fails at once when no MDS is active yet (so: wait, retry);
# - unmount before stopping the MDS, or ceph-fuse hangs up to 30 s;
# - SIGTERM makes the memstore OSD write its whole store to disk first, so
#   it gets SIGKILL; dead daemons can linger as zombies for a second or
#   two, so "gone" means gone or a zombie.
set -u

CONF_NAME=ceph.conf

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

# free_port: a loopback TCP port nothing listens on, below the kernel's
# ephemeral range (as tests/e2e/helpers.bash picks them).
free_port() {
	local lo hi first=10000 last port tries=0
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	last=$((lo - 1))
	if [ "$last" -le "$first" ]; then first=$((hi + 1)) last=65535; fi
	while [ $tries -lt 50 ]; do
		port=$((first + RANDOM % (last - first + 1)))
		if ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
		tries=$((tries + 1))
	done
	return 1
}

# until_true SECONDS CMD...: retry CMD every 0.1 s until it succeeds or
# SECONDS pass.
until_true() {
	local limit="$1" start=$SECONDS
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $((SECONDS - start)) -lt "$limit" ] || return 1
		sleep 0.1
	done
}

# pids_named DIR PROGRAM: this cluster's live processes of one program:
# those whose command line names DIR/ceph.conf (a zombie has none).
pids_named() {
	pgrep -f -- "^$2 -c $(regex_quote "$1/$CONF_NAME")( |\$)" 2>/dev/null || true
}

# pids_of DIR: all of this cluster's live processes.
pids_of() {
	pgrep -f -- "^ceph-[a-z]+ -c $(regex_quote "$1/$CONF_NAME")( |\$)" 2>/dev/null || true
}

regex_quote() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# kill_named DIR PROGRAM SIGNAL: signal them, wait (bounded) until gone.
kill_named() {
	local dir="$1" prog="$2" sig="$3" pids
	pids="$(pids_named "$dir" "$prog")"
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill "-$sig" $pids 2>/dev/null
	until_true 15 test -z "$(pids_named "$dir" "$prog")" && return 0
	pids="$(pids_named "$dir" "$prog")"
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	until_true 5 test -z "$(pids_named "$dir" "$prog")"
}

mounted() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/self/mounts
}

unmount() {
	local mnt="$1"
	mounted "$mnt" || return 0
	timeout 20 umount "$mnt" 2>/dev/null && return 0
	# Busy or hung: detach it; the client is killed next.
	timeout 10 umount -l "$mnt" 2>/dev/null
	! mounted "$mnt"
}

stop() {
	local dir="$1" rc=0 m
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	dir="$(cd "$dir" && pwd)"
	for m in "$dir/a" "$dir/b"; do
		unmount "$m" || {
			echo "cluster.sh: could not unmount $m" >&2
			rc=1
		}
	done
	# After the unmount the clients exit by themselves.
	kill_named "$dir" ceph-fuse TERM || rc=1
	kill_named "$dir" ceph-mds KILL || rc=1
	kill_named "$dir" ceph-mgr KILL || rc=1
	kill_named "$dir" ceph-osd KILL || rc=1
	kill_named "$dir" ceph-mon KILL || rc=1
	if [ -n "$(pids_of "$dir")" ]; then
		echo "cluster.sh: processes left: $(pids_of "$dir" | tr '\n' ' ')" >&2
		rc=1
	fi
	for m in "$dir/a" "$dir/b"; do
		if mounted "$m"; then rc=1; fi
	done
	[ $rc = 0 ] && rm -rf "$dir"
	return $rc
}

write_conf() {
	local dir="$1" port="$2" fsid="$3"
	cat >"$dir/$CONF_NAME" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$port
mon initial members = a
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
log to stderr = false
err to stderr = true
mon data = $dir/mon/\$name
osd data = $dir/osd/\$name
mgr data = $dir/mgr/\$name
mds data = $dir/mds/\$name
crash dir = $dir/crash
exporter sock dir = $dir/run
osd objectstore = memstore
memstore device bytes = 1073741824
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
paxos propose interval = 0.1
mds early reply = false
mds tick interval = 0.25
mgr initial modules =
mgr module path = $dir/mgr-modules
mon data avail warn = 2
mon data avail crit = 1
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false

[client]
# Two clients of the same name at once: one socket and log each.
admin socket = $dir/run/\$name.\$pid.asok
pid file = $dir/run/\$name.\$pid.pid
log file = $dir/log/\$name.\$pid.log
EOF
}

# ceph_cli DIR ARGS...: one bounded command to the monitor.
ceph_cli() {
	local dir="$1"
	shift
	timeout 20 ceph -c "$dir/$CONF_NAME" --connect-timeout 10 "$@"
}

# mount_client DIR a|b: one ceph-fuse client (retried: it fails at once
# while no MDS is active), its mount seen in the mount table.
mount_client() {
	local dir="$1" m="$2"
	until_true 30 timeout 20 ceph-fuse -c "$dir/$CONF_NAME" "$dir/$m" >>"$dir/log/start.log" 2>&1 &&
		until_true 10 mounted "$dir/$m"
}

kill_client() {
	local dir="$1" m="$2" pids
	pids="$(pgrep -f -- "^ceph-fuse -c $(regex_quote "$dir/$CONF_NAME") $(regex_quote "$dir/$m")\$")"
	[ -n "$pids" ] || die "no client mounted at $dir/$m"
	# shellcheck disable=SC2086
	kill -KILL $pids
	until_true 10 test -z "$(pgrep -f -- "^ceph-fuse -c $(regex_quote "$dir/$CONF_NAME") $(regex_quote "$dir/$m")\$")" ||
		die "the client at $dir/$m did not die"
}

evict() {
	ceph_cli "$1" tell mds.a client evict "client_metadata.mount_point=$1/$2" >/dev/null 2>&1 ||
		die "could not evict the client of $1/$2"
}

start_failed() {
	trap - ERR
	set +E
	echo "cluster.sh: start failed; logs:" >&2
	tail -n 20 "$1"/log/* >&2
	stop "$1"
	exit 1
}

start() {
	local dir="$1" port fsid uuid m
	[ ! -e "$dir" ] || die "$dir exists"
	mkdir -p "$dir" || die "cannot create $dir"
	dir="$(cd "$dir" && pwd)"
	mkdir -p "$dir"/{run,log,crash,mgr-modules,mon/mon.a,osd/osd.0,mgr/mgr.x,mds/mds.a,a,b}
	# Whatever fails from here on: stop what was started, show the logs.
	trap 'start_failed "$dir"' ERR
	set -E
	port="$(free_port)"
	fsid="$(cat /proc/sys/kernel/random/uuid)"
	uuid="$(cat /proc/sys/kernel/random/uuid)"
	write_conf "$dir" "$port" "$fsid"
	ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
	monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" "$dir/monmap" >/dev/null
	ceph-mon -c "$dir/$CONF_NAME" -i a --mkfs --monmap "$dir/monmap" >/dev/null
	# Each daemon forks into the background once it is set up.
	timeout 30 ceph-mon -c "$dir/$CONF_NAME" -i a >>"$dir/log/start.log" 2>&1
	timeout 30 ceph-mgr -c "$dir/$CONF_NAME" -i x >>"$dir/log/start.log" 2>&1
	# One ceph command line for all the set-up (it is Python: each start
	# costs a second on a busy machine). It exits 0 whatever its commands
	# answered: errors are read from its output.
	printf '%s\n' "osd new $uuid" "osd pool create cephfs_meta 8" "osd pool create cephfs_data 8" \
		"fs new cephfs cephfs_meta cephfs_data" | ceph_cli "$dir" >"$dir/log/setup.log" 2>&1
	awk '/^Error/ { bad = 1 } END { exit bad }' "$dir/log/setup.log"
	ceph-osd -c "$dir/$CONF_NAME" -i 0 --mkfs --osd-uuid "$uuid" >>"$dir/log/start.log" 2>&1
	timeout 30 ceph-osd -c "$dir/$CONF_NAME" -i 0 >>"$dir/log/start.log" 2>&1
	timeout 30 ceph-mds -c "$dir/$CONF_NAME" -i a >>"$dir/log/start.log" 2>&1
	for m in a b; do
		mount_client "$dir" "$m"
	done
	# Ready when a file written through one client is read through the
	# other (the OSD's placement groups may still be peering until then).
	timeout 30 sh -c 'echo ready >"$1/a/.ready" && [ "$(cat "$1/b/.ready")" = ready ] && rm "$1/a/.ready"' sh "$dir"
	trap - ERR
}


usage() {
	die "usage: cluster.sh start|stop DIR, or cluster.sh kill-client|evict|mount DIR a|b"
}

cmd="${1:-}"
[ $# -ge 2 ] || usage
dir="$2"
case "$cmd" in
start | stop) [ $# = 2 ] || usage ;;
kill-client | evict | mount)
	[ $# = 3 ] && { [ "$3" = a ] || [ "$3" = b ]; } || usage
	dir="$(cd "$dir" && pwd)" || die "no cluster at $2"
	;;
*) usage ;;
esac
case "$cmd" in
start) start "$dir" ;;
stop) stop "$dir" ;;
kill-client) kill_client "$dir" "$3" ;;
evict) evict "$dir" "$3" ;;
mount)
	unmount "$dir/$3" || die "could not unmount $dir/$3"
	mount_client "$dir" "$3" || die "could not mount $dir/$3"
	;;
esac
