# mk/checkin.mk: device check-in (tests/checkin): the poll loop, notes
# shared by processes and instances, a full or read-only directory,
# hostile User-Agent values, and the alert rules of docs/api.md through
# promtool. Run once, against the ASan+UBSan build: it proves what the
# release build would, and memory safety besides (`make test-checkin-release`
# runs the same suite on the release build).
TEST_SUITES += test-checkin

.PHONY: test-checkin test-checkin-release
test-checkin: $(ASAN_BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 bats tests/checkin

test-checkin-release: $(BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/checkin
