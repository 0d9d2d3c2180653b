# mk/metrics.mk: Prometheus's own tools against the exposition (run once,
# against the release build): promtool and a real Prometheus server.
TEST_SUITES += test-metrics

.PHONY: test-metrics
test-metrics: $(BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/metrics
