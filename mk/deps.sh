#!/bin/sh
# mk/deps.sh: install the Debian packages a target needs, and only those that
# are missing. Called by `make deps` (run + test), `make deps-bench` (bench
# + ceph) and `make test-ceph` (test + ceph).
#
# Usage: mk/deps.sh GROUP...   where GROUP is run, test, bench, ceph or image.
# Runs apt-get directly as root, through sudo otherwise. Service start-up in
# package post-install scripts is suppressed (policy-rc.d) so that installing
# lighttpd, apache2 or prometheus never starts a daemon on a public port.
set -eu

pkgs_run="make gcc pkg-config libc6-dev lighttpd libfcgi-dev libjson-c-dev nettle-dev libmosquitto-dev libpcre2-dev libgmp-dev libarchive-dev curl ca-certificates"
pkgs_test="bats jq json-schema-test-suite python3-yaml libfcgi-bin mosquitto mosquitto-clients openssl clang libclang-rt-14-dev valgrind apache2 libapache2-mod-fcgid libapache2-mod-xsendfile apache2-utils prometheus chromium man-db groff-base util-linux procps iproute2 psmisc"
pkgs_bench="wrk gnuplot-nox fonts-dejavu-core procps iproute2 apache2-utils"
# `make test-image` when neither docker nor podman works: podman with runc
# (crun refuses hybrid cgroup hierarchies), its network plugins, and
# debootstrap for a local base image (LOCAL_BASE=1).
# A throwaway CephFS cluster (tests/ceph): monitor, manager, one OSD, one
# metadata server and the FUSE client; no recommends (no dashboard, no
# systemd units pulled in beyond what the daemons' packages ship).
pkgs_ceph="ceph-mon ceph-mgr ceph-osd ceph-mds ceph-fuse ceph-common attr procps psmisc util-linux"
pkgs_image="podman runc containernetworking-plugins debootstrap"

want=""
for group in "$@"; do
	case "$group" in
	run) want="$want $pkgs_run" ;;
	test) want="$want $pkgs_run $pkgs_test" ;;
	bench) want="$want $pkgs_run $pkgs_bench" ;;
	ceph) want="$want $pkgs_ceph" ;;
	image) want="$want $pkgs_image" ;;
	*) echo "deps: unknown group '$group' (run, test, bench, ceph, image)" >&2; exit 2 ;;
	esac
done

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	installed "$p" || missing="$missing $p"
done

# npm: Node.js from other vendors ships its own npm; only ask Debian for it
# when there is no npm command at all.
if [ "${NEED_NPM:-0}" = 1 ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -z "$missing" ]; then
	exit 0
fi

echo "deps: installing missing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: need root or sudo to install:$missing" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
cleanup() {
	if [ "$made_policy" = 1 ]; then $SUDO rm -f "$policy"; fi
}
trap cleanup EXIT INT TERM

export DEBIAN_FRONTEND=noninteractive
# Another install may hold dpkg's lock (two make targets at once): wait
# for it, bounded, rather than fail.
lock="-o DPkg::Lock::Timeout=900"
# shellcheck disable=SC2086
$SUDO apt-get $lock update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get $lock install -y -q --no-install-recommends $missing
echo "deps: done"
