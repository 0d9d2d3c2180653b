# mk/docs.mk: the OpenAPI document's suites (tests/docs): lint, the contract
# with the router and the running service, live responses validated against
# the document's schemas, and Swagger UI rendered by headless Chromium.
# They test the document, not the build variant: run once, on the release
# build.
TEST_SUITES += test-docs

.PHONY: test-docs
test-docs: $(BIN) $(TOOLS_STAMP)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/docs
