# tests/ceph/ceph.bash: two nodes of the service over one real CephFS, for
# the suites in tests/ceph. Builds on tests/e2e/helpers.bash.
#
#   ceph_nodes_start   (setup_file) a throwaway cluster (tests/ceph/cluster.sh)
#                      with its two ceph-fuse mounts, one config directory
#                      made through the first, and one lighttpd per mount,
#                      set up as the README's "Scaling out" tells a
#                      multi-node user: ESP32_CONFIGS_DIR at the shared
#                      directory through that node's own mount, SHARED_FS
#                      left at auto, the metrics file per node in /dev/shm.
#                      Exports CLUSTER, A and B (base URLs), A_DIR and
#                      B_DIR (the one directory as each node sees it),
#                      A_PID, B_PID (the lighttpds), A_ID, B_ID (their ids,
#                      tests/e2e/procs.bash), A_LOG, B_LOG. Where
#                      FUSE is missing it starts nothing and sets CEPH_SKIP
#   ceph_skip_unless_up  (setup) skips the test, saying why, when CEPH_SKIP
#                      is set (bats 1.8 cannot skip from setup_file)
#   ceph_nodes_stop    (teardown_file) both web servers, then the cluster:
#                      mounts and processes gone, whatever failed before
#   on NODE METHOD PATH [curl args]   `call` through $A or $B
#   etag_header        the ETag of the last `call` (`header ETag` without
#                      its five programs: forks are dear on a busy machine)
#   node_metric NODE NAME_WITH_LABELS a value of a fresh scrape (0 if absent)
#   ceph_cli ARGS...   one bounded ceph command to this cluster
#   temp_files DIR     temp files of writers (configs and history) below DIR

load "${BATS_TEST_DIRNAME}/../e2e/helpers.bash"

CLUSTER_SH="$IOT_ROOT/tests/ceph/cluster.sh"

ceph_nodes_start() {
	if [ ! -c /dev/fuse ]; then
		export CEPH_SKIP="no /dev/fuse here: ceph-fuse cannot mount"
		return 0
	fi
	local missing p
	for p in ceph-mon ceph-mgr ceph-osd ceph-mds ceph-fuse; do
		command -v "$p" >/dev/null || missing="${missing:-} $p"
	done
	[ -z "${missing:-}" ] || { echo "missing:$missing (make test-ceph installs them)" >&2; return 1; }
	CLUSTER="$(mktemp -u /tmp/iotconfig-ceph.XXXXXX)"
	export CLUSTER
	# Remembered first, so teardown_file stops it whatever fails next.
	echo "$CLUSTER" >"$BATS_FILE_TMPDIR/cluster"
	# 3>&-: the daemons must not hold bats' descriptor.
	bash "$CLUSTER_SH" start "$CLUSTER" 3>&- || return 1
	mkdir "$CLUSTER/a/configs"
	export A_DIR="$CLUSTER/a/configs" B_DIR="$CLUSTER/b/configs"
	wait_for test -d "$B_DIR" || { echo "B does not see the directory A made" >&2; return 1; }
	iot_start ESP32_CONFIGS_DIR="$A_DIR" || return 1
	export A="$BASE_URL" A_PID="$LIGHTTPD_PID" A_ID="$LIGHTTPD_ID" A_LOG="$LIGHTTPD_LOG"
	iot_start ESP32_CONFIGS_DIR="$B_DIR" || return 1
	export B="$BASE_URL" B_PID="$LIGHTTPD_PID" B_ID="$LIGHTTPD_ID" B_LOG="$LIGHTTPD_LOG"
}

ceph_skip_unless_up() {
	[ -z "${CEPH_SKIP:-}" ] || skip "$CEPH_SKIP"
}

ceph_nodes_stop() {
	local rc=0 dir
	iot_cleanup_extra || rc=1
	dir="$(cat "$BATS_FILE_TMPDIR/cluster" 2>/dev/null)" || return $rc
	bash "$CLUSTER_SH" stop "$dir" 3>&- || rc=1
	return $rc
}

# on NODE METHOD PATH [curl args]: `call` through one node ($A or $B).
on() {
	local node="$1"
	shift
	BASE_URL="$node" call "$@"
}

etag_header() {
	local line
	while IFS= read -r line; do
		line="${line%$'\r'}"
		if [[ "${line,,}" == etag:* ]]; then
			line="${line#*:}"
			echo "${line# }"
			return 0
		fi
	done <"$hdrs"
}

node_metric() {
	local v
	v="$(curl -s "$1/metrics" | awk -v k="$2" '$1 == k { print $2 }')"
	echo "${v:-0}"
}

ceph_cli() {
	timeout 20 ceph -c "$CLUSTER/ceph.conf" --connect-timeout 10 "$@"
}

temp_files() {
	find "$1" \( -name '*.tmp' -o -name '*.tmp-*' \) -print
}
