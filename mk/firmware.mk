# mk/firmware.mk: firmware updates over the air (tests/firmware): images
# made in the real ESP-IDF format by tests/firmware/fwtool.py, uploads
# checked and refused, targets and canaries, clients that behave like
# esp_https_ota, Arduino's HTTPUpdate and ESPHome under lighttpd (FastCGI,
# X-Sendfile, plain CGI) and Apache (mod_fcgid with and without
# mod_xsendfile, mod_cgid), each device's state, the MQTT message and the
# documented alert through promtool. Run once, against the ASan+UBSan
# build: it proves what the release build would, and memory safety
# besides (`make test-firmware-release` runs it on the release build).
TEST_SUITES += test-firmware

.PHONY: test-firmware test-firmware-release
test-firmware: $(ASAN_BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 bats tests/firmware

test-firmware-release: $(BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/firmware
