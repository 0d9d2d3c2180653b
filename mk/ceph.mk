# mk/ceph.mk: the service on a real CephFS (tests/ceph): a throwaway
# cluster on loopback (tests/ceph/cluster.sh) with two ceph-fuse mounts,
# one node of the service on each. Run once, against the release build;
# installs the Ceph packages first (mk/deps.sh ceph).
TEST_SUITES += test-ceph

.PHONY: test-ceph deps-ceph
deps-ceph:
	@sh mk/deps.sh test ceph

test-ceph: deps-ceph $(BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/ceph
