# mk/run.mk: `make run` itself, as a newcomer uses it (run once).
TEST_SUITES += test-run

.PHONY: test-run
test-run: $(BIN)
	bats tests/run
