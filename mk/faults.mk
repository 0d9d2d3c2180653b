# mk/faults.mk: once-only reliability suites (tests/faults/) against the
# release build: crash during writes, full disk, storage faults, valgrind
# memcheck (also with MQTT on); the hostile-input suite against the
# ASan+UBSan build only, where it checks every answer and catches memory
# errors and undefined behaviour besides (a second pass on the release build
# cost a minute; that build runs the other fault suites, valgrind included,
# and every other suite). `make soak` (not part of `make test`) runs
# mixed load for SOAK_SECONDS and reports requests, errors and responder RSS.

.PHONY: test-faults soak
test-faults: $(BIN) $(ASAN_BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats $(filter-out tests/faults/hostile.bats,$(wildcard tests/faults/*.bats))
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 bats tests/faults/hostile.bats

SOAK_SECONDS ?= 60
soak: $(BIN)
	SOAK_SECONDS=$(SOAK_SECONDS) IOTCONFIG_BIN=$(CURDIR)/$(BIN) bash tests/faults/soak.sh

TEST_SUITES += test-faults
