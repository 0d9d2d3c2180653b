# mk/docs.mk: the documentation's suites (tests/docs): the OpenAPI
# document's lint, the contract with the router and the running service,
# live responses validated against the document's schemas, Swagger UI
# rendered by headless Chromium; and README.md and docs/*.md: links,
# anchors and the settings table (markdown.bats, no server).
# They test the document, not the build variant: run once, on the release
# build.
TEST_SUITES += test-docs

.PHONY: test-docs
test-docs: $(BIN) $(TOOLS_STAMP)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/docs
