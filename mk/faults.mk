# mk/faults.mk: once-only reliability suites (tests/faults/) against the
# release build: crash during writes, full disk, storage faults, valgrind
# memcheck (also with MQTT on); the hostile-input suite against the
# ASan+UBSan build only: it checks every answer the release run would, and
# memory and undefined behaviour besides (a release pass cost a minute more and
# proved nothing this one does not). `make soak` (not part of `make test`) runs
# mixed load for SOAK_SECONDS and reports requests, errors and responder RSS.

.PHONY: test-faults soak
test-faults: $(BIN) $(ASAN_BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats $(filter-out tests/faults/hostile.bats,$(wildcard tests/faults/*.bats))
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 bats tests/faults/hostile.bats

SOAK_SECONDS ?= 60
soak: $(BIN)
	SOAK_SECONDS=$(SOAK_SECONDS) IOTCONFIG_BIN=$(CURDIR)/$(BIN) bash tests/faults/soak.sh

TEST_SUITES += test-faults
