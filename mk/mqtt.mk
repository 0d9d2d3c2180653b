# mk/mqtt.mk: change notifications against a real mosquitto broker, under
# lighttpd (FastCGI and CGI) and Apache (mod_fcgid and mod_cgid), with the
# release build; the basic case again with the ASan+UBSan build.
TEST_SUITES += test-mqtt

.PHONY: test-mqtt
test-mqtt: $(BIN) $(ASAN_BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/mqtt
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 \
		bats -f 'one message each|broker down: PUTs|wrong password|mqtts' tests/mqtt
