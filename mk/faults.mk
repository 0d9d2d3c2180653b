# mk/faults.mk: once-only reliability suites (tests/faults/) against the
# release build: crash during writes, full disk, storage faults, hostile
# input, valgrind memcheck (also with MQTT on); the hostile-input table
# runs a second time against the ASan+UBSan build. `make soak` (not part of `make test`) runs
# mixed load for SOAK_SECONDS and reports requests, errors and responder RSS.

.PHONY: test-faults soak
test-faults: $(BIN) $(ASAN_BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/faults
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 bats tests/faults/hostile.bats

SOAK_SECONDS ?= 60
soak: $(BIN)
	SOAK_SECONDS=$(SOAK_SECONDS) IOTCONFIG_BIN=$(CURDIR)/$(BIN) bash tests/faults/soak.sh

TEST_SUITES += test-faults
