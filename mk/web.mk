# mk/web.mk: the web page (web/, served at /ui/) in a real browser:
# Debian's Chromium, headless, driven by the pinned playwright-core
# through every flow, with axe-core's accessibility check and the
# 10,000-config timing (tests/web). The page is built into the binary, so
# it runs once, on the release build.
TEST_SUITES += test-web

.PHONY: test-web
test-web: $(BIN) $(TOOLS_STAMP)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/web
