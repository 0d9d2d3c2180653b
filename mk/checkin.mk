# mk/checkin.mk: device check-in (tests/checkin): the poll loop, notes
# shared by processes and instances, a full or read-only directory,
# hostile User-Agent values, and the README's alert rules through
# promtool; against the release build and the ASan+UBSan build.
TEST_SUITES += test-checkin

.PHONY: test-checkin
test-checkin: $(BIN) $(ASAN_BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/checkin
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 bats tests/checkin
