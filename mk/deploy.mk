# mk/deploy.mk: the deployment test suites (run once, against the release
# build).

# --- deployment tests ---------------------------------------------------------
# The same smoke suite against every way of serving the responder, then the
# install, auth, Docker, two-node and shutdown suites.
SMOKE_SERVERS := lighttpd-fastcgi apache-fcgid lighttpd-cgi apache-cgid
DEPLOY_SUITES := $(filter-out tests/deploy/smoke.bats,$(sort $(wildcard tests/deploy/*.bats)))
TEST_SUITES += test-deploy

.PHONY: test-deploy
test-deploy: $(BIN)
	@for s in $(SMOKE_SERVERS); do \
		echo "# smoke suite under $$s"; \
		SMOKE_SERVER=$$s IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/deploy/smoke.bats || exit 1; \
	done
	$(if $(DEPLOY_SUITES),IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats $(DEPLOY_SUITES))
