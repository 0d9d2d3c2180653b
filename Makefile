# Makefile: build, run, test, bench, install, deps, fuzz and soak for
# iotconfig, a FastCGI responder for ESP32 device configs.
#
#   make run    build and serve on $(HOST):$(PORT) under lighttpd
#   make test   every test (unit, end to end, sanitizers, fuzz smoke, ...)
#   make test-image   build the Docker image and run the smoke suite in it
#                     (not part of make test; mk/image.mk)
#
# Both install missing Debian packages first (make deps).

VERSION := $(shell cat VERSION)

# --- settings for `make run` (each can be overridden on the command line) ---
HOST ?= 127.0.0.1
PORT ?= 8080
PROCS ?= 4
ESP32_CONFIGS_DIR ?= $(CURDIR)/data/configs
CORS_ORIGINS ?=
# Host names clients may address (Host), against DNS rebinding: the
# loopback names when HOST is a loopback address, HOST itself when it is
# another address; any when HOST is a wildcard (set it to the names
# clients use then). origin.c, README "Security model".
LOOPBACK_HOSTS := localhost,127.0.0.1,[::1]
ALLOWED_HOSTS ?= $(if $(filter 127.% localhost ::1,$(HOST)),$(LOOPBACK_HOSTS),$(if $(filter 0.0.0.0 ::,$(HOST)),,$(HOST)))
DEBUG ?= false
MAX_BODY_BYTES ?= 1048576
SHARED_FS ?= auto
HISTORY_KEEP ?= 20
CHECKIN_INTERVAL ?= 60
CHECKIN_MISSING_MAX ?= 1000
FILE_MODE ?= 0640
# Device secrets: off, per-device or required (README "Device secrets"),
# and the seconds a replaced secret keeps working.
DEVICE_AUTH ?= off
DEVICE_SECRET_OVERLAP ?= 604800
# HTTP Basic credentials (conf/lighttpd-auth.sh): htpasswd file, and
# whether reads (all but devices' and probes' paths) and /metrics need them.
AUTH_USERS_FILE ?=
AUTH_READS ?= false
AUTH_METRICS ?=
METRICS_FILE ?=
SWAGGER_UI_DIR ?= $(CURDIR)/tools/node_modules/swagger-ui-dist
MQTT_URL ?=
MQTT_USERNAME ?=
MQTT_PASSWORD ?=
# A file holding the password instead (mode 0600/0640: not readable by others).
MQTT_PASSWORD_FILE ?=
MQTT_CA_FILE ?=
MQTT_TOPIC ?= iotsupport/updates/configs
MQTT_FIRMWARE_TOPIC ?= iotsupport/updates/firmware
MQTT_CLIENT_ID ?= iotconfig
# Firmware updates (docs/firmware.md): the largest image upload, versions
# kept per model, seconds after a complete download until a device still on
# its old version counts as failed, lighttpd sending the images itself
# (X-Sendfile, set up in conf/lighttpd.conf), and the address devices reach
# this server at for MQTT notifications (empty: the admin request's own).
FIRMWARE_MAX_BYTES ?= 8388608
FIRMWARE_KEEP ?= 5
FIRMWARE_FAIL_AFTER ?= 900
FIRMWARE_SENDFILE ?= true
FIRMWARE_BASE_URL ?=

PREFIX ?= /usr/local
DESTDIR ?=

CC ?= cc
PKGS := fcgi json-c nettle libmosquitto libpcre2-8 gmp libarchive
# libmosquitto, libarchive, PCRE2 and GMP are compiled against but not
# linked: src/mqtt_lib.c loads the first when MQTT is on (it brings libssl
# and libcrypto, 1.8 MB per process), src/archive_lib.c the second for an
# export or import (it brings libxml2 and ICU's 30 MB of data),
# src/pcre2_lib.c and src/gmp_lib.c the last two when a schema's regex or
# "multipleOf" needs them (some 300 kB per process together).
LINKED_PKGS := $(filter-out libmosquitto libarchive libpcre2-8 gmp,$(PKGS))
# _GNU_SOURCE, said once here: getrandom(2), strptime/timegm, O_NOFOLLOW & co.
CPPFLAGS := -D_GNU_SOURCE -DIOTCONFIG_VERSION='"$(VERSION)"' \
	-DIOTCONFIG_SWAGGER_DIR='"$(PREFIX)/share/iotconfig/swagger-ui"'
WARN := -std=c11 -Wall -Wextra -Werror
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(LINKED_PKGS))

CFLAGS_release := $(WARN) -O2 $(HARDEN)
LDFLAGS_release := -pie -Wl,-z,relro,-z,now
CFLAGS_asan := $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
LDFLAGS_asan := -fsanitize=address,undefined

SRC := $(wildcard src/*.c)
LIB_SRC := $(filter-out src/main.c,$(SRC))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
# The web page's files, built into the binary (src/web_blob.S, src/api_ui.c):
# its own modules and style sheet as they are, and the one built file, the
# CodeMirror bundle (rule below).
WEB_BUNDLE := build/web/codemirror.js
WEB_FILES := $(wildcard web/*.html web/*.css web/*.js) $(WEB_BUNDLE)

# V=1 shows every command.
V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

BIN := cgi-bin/iotconfig.fcgi
ASAN_BIN := build/asan/iotconfig.fcgi

.PHONY: all
all: $(BIN)

# --- one set of objects per build variant ---------------------------------
define variant
build/$(1)/%.o: src/%.c | build/$(1)/.dir
	@echo "  CC      $$@"
	$$(Q)$$(CC) $$(CPPFLAGS) $$(PKG_CFLAGS) $$(CFLAGS_$(1)) -MMD -MP -c $$< -o $$@
build/$(1)/openapi_blob.o: src/openapi_blob.S conf/openapi.json | build/$(1)/.dir
	@echo "  AS      $$@"
	$$(Q)$$(CC) -DOPENAPI_JSON='"conf/openapi.json"' -c $$< -o $$@
build/$(1)/web_blob.o: src/web_blob.S $$(WEB_FILES) | build/$(1)/.dir
	@echo "  AS      $$@"
	$$(Q)$$(CC) -c $$< -o $$@
build/$(1)/lib.a: $$(patsubst src/%.c,build/$(1)/%.o,$$(LIB_SRC)) build/$(1)/openapi_blob.o \
		build/$(1)/web_blob.o
	@echo "  AR      $$@"
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
build/$(1)/tests/%: tests/unit/%.c build/$(1)/lib.a tests/unit/tap.h tests/unit/capture.h \
		tests/unit/espbuild.h | build/$(1)/tests/.dir
	@echo "  CCLD    $$@"
	$$(Q)$$(CC) $$(CPPFLAGS) $$(PKG_CFLAGS) $$(CFLAGS_$(1)) -Isrc $$< build/$(1)/lib.a -o $$@ \
		$$(LDFLAGS_$(1)) $$(PKG_LIBS) $$(UNIT_LIBS)
-include $$(patsubst src/%.c,build/$(1)/%.d,$$(SRC))
# IOTCONFIG_VERSION comes from the VERSION file through CPPFLAGS.
build/$(1)/main.o build/$(1)/metrics.o: VERSION
endef
$(eval $(call variant,release))
$(eval $(call variant,asan))
# The archive tests craft hostile archives with libarchive itself (links,
# devices, a bomb), besides the functions tarball.c loads (archive_lib.c).
build/release/tests/test_tarball build/asan/tests/test_tarball: \
	UNIT_LIBS = $(shell pkg-config --libs libarchive)

.PRECIOUS: %/.dir
%/.dir:
	$(Q)mkdir -p $* && touch $@

$(BIN): build/release/main.o build/release/lib.a
	@echo "  LD      $@"
	$(Q)$(CC) $^ -o $@ $(LDFLAGS_release) $(PKG_LIBS)

$(ASAN_BIN): build/asan/main.o build/asan/lib.a
	@echo "  LD      $@"
	$(Q)$(CC) $^ -o $@ $(LDFLAGS_asan) $(PKG_LIBS)

UNIT_release := $(patsubst tests/unit/%.c,build/release/tests/%,$(UNIT_SRC))
UNIT_asan := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

# --- dependencies ------------------------------------------------------------
# Debian packages (mk/deps.sh), then the npm packages pinned in
# tools/package-lock.json: the web page's editor (CodeMirror and esbuild,
# bundled into the binary), the Swagger UI assets served at
# /api/docs/swagger/ and the docs tests' linter, validator and client
# generator. Every build needs them, for the page's bundle.
.PHONY: deps deps-run deps-test deps-bench tools
deps: deps-test
deps-run:
	@NEED_NPM=1 sh mk/deps.sh run
	@$(MAKE) --no-print-directory tools
deps-test:
	@NEED_NPM=1 sh mk/deps.sh test
	@$(MAKE) --no-print-directory tools
deps-bench:
	@NEED_NPM=1 sh mk/deps.sh bench ceph
	@$(MAKE) --no-print-directory tools

# npm ci installs exactly the lock file (no install scripts: none is needed,
# and one would only send usage statistics); again whenever it changes.
TOOLS_STAMP := tools/node_modules/.package-lock.json
tools: $(TOOLS_STAMP)
	@:
$(TOOLS_STAMP): tools/package.json tools/package-lock.json
	cd tools && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# The page's editor: CodeMirror 6 from the pinned npm packages, bundled by
# the pinned esbuild into one module (the page's only build step), again
# whenever the entry module, the bundler script or the lock file changes.
# It needs Node.js at build time only; the bundle is not committed.
$(WEB_BUNDLE): web/vendor/codemirror.js tools/bundle.mjs tools/package-lock.json $(TOOLS_STAMP)
	@echo "  BUNDLE  $@"
	$(Q)node tools/bundle.mjs web/vendor/codemirror.js $@

# --- run ---------------------------------------------------------------------
RUN_DIR ?= $(CURDIR)/data/run
# The responders start with SIGINT ignored (env(1) execs in place, so the
# pid lighttpd watches stays the responder's), and a responder keeps an
# ignored SIGINT ignored. Ctrl-C then stops lighttpd, which stops its
# responders itself: had they taken the SIGINT too, lighttpd would restart
# one while it shuts down, and that one could outlive it. They stay in the
# terminal's process group, so whatever kills the group (Ctrl-\, kill -9
# of the group) kills them too. lighttpd splits bin-path at spaces, wants an absolute
# first word, and starts the process in that word's directory: path
# settings are made absolute here.
RUN_BIN = /usr/bin/env --ignore-signal=INT $(CURDIR)/$(BIN)
.PHONY: run
run: deps-run
	@$(MAKE) --no-print-directory $(BIN)
	@mkdir -p "$(ESP32_CONFIGS_DIR)" "$(RUN_DIR)"
	@echo "iotconfig $(VERSION): http://$(HOST):$(PORT)/api/configs  (configs in $(ESP32_CONFIGS_DIR); Ctrl-C stops)"
	@echo "web page: http://$(HOST):$(PORT)/"
	@exec env HOST="$(HOST)" PORT="$(PORT)" PROCS="$(PROCS)" \
		ESP32_CONFIGS_DIR="$(abspath $(ESP32_CONFIGS_DIR))" CORS_ORIGINS='$(CORS_ORIGINS)' \
		ALLOWED_HOSTS='$(ALLOWED_HOSTS)' \
		DEBUG="$(DEBUG)" MAX_BODY_BYTES="$(MAX_BODY_BYTES)" METRICS_FILE="$(abspath $(METRICS_FILE))" \
		SHARED_FS="$(SHARED_FS)" HISTORY_KEEP="$(HISTORY_KEEP)" CHECKIN_INTERVAL="$(CHECKIN_INTERVAL)" \
		CHECKIN_MISSING_MAX="$(CHECKIN_MISSING_MAX)" FILE_MODE="$(FILE_MODE)" \
		DEVICE_AUTH='$(DEVICE_AUTH)' DEVICE_SECRET_OVERLAP='$(DEVICE_SECRET_OVERLAP)' \
		IOTCONFIG_CONF_DIR="$(CURDIR)/conf" IOTCONFIG_BIN="$(RUN_BIN)" RUN_DIR="$(RUN_DIR)" \
		SWAGGER_UI_DIR="$(abspath $(SWAGGER_UI_DIR))" MQTT_URL='$(MQTT_URL)' MQTT_USERNAME='$(MQTT_USERNAME)' \
		MQTT_PASSWORD='$(MQTT_PASSWORD)' MQTT_PASSWORD_FILE='$(abspath $(MQTT_PASSWORD_FILE))' \
		MQTT_CA_FILE='$(abspath $(MQTT_CA_FILE))' MQTT_TOPIC='$(MQTT_TOPIC)' \
		MQTT_FIRMWARE_TOPIC='$(MQTT_FIRMWARE_TOPIC)' \
		MQTT_CLIENT_ID='$(MQTT_CLIENT_ID)' AUTH_USERS_FILE='$(AUTH_USERS_FILE)' \
		FIRMWARE_MAX_BYTES='$(FIRMWARE_MAX_BYTES)' FIRMWARE_KEEP='$(FIRMWARE_KEEP)' \
		FIRMWARE_FAIL_AFTER='$(FIRMWARE_FAIL_AFTER)' FIRMWARE_SENDFILE='$(FIRMWARE_SENDFILE)' \
		FIRMWARE_BASE_URL='$(FIRMWARE_BASE_URL)' \
		AUTH_READS='$(AUTH_READS)' AUTH_METRICS='$(AUTH_METRICS)' \
		lighttpd -D -f conf/lighttpd.conf

# --- tests -------------------------------------------------------------------
# tests/e2e/*.bats run once, against the ASan+UBSan build (test-asan): that
# proves the behaviour and memory safety in one pass. The release build is
# what every other suite runs (the deployment smoke suite under each web
# server, docs, MQTT, faults, metrics, the page); `make test-e2e` runs
# tests/e2e against it too, outside `make test`. Each mk/*.mk adds its own
# suites to TEST_SUITES; `make test` runs them all.
#
# They run TEST_JOBS at a time (2, the machine's cores: much of a suite's
# time is spent waiting for servers to start, stop and answer), the longest
# first, after everything any of them needs is built once, so that no two
# suites build the same file at the same moment. Each line a suite prints
# starts with its name; each suite ends with a line saying how long it
# took. TEST_JOBS=1 runs them one after another.
TEST_SUITES := test-unit test-asan
-include $(sort $(wildcard mk/*.mk))
TEST_JOBS ?= 2
TEST_PREREQS = $(UNIT_release) $(UNIT_asan) $(BIN) $(ASAN_BIN) $(TOOLS_STAMP) $(FUZZ_BINS) deps-ceph
# A new suite runs last until it is named here, by its time in the last run.
TEST_LONGEST_FIRST := test-deploy test-asan test-faults test-web test-docs test-firmware \
	test-mqtt test-fuzz test-checkin test-ceph test-unit test-run test-metrics
TEST_ORDER = $(filter $(TEST_SUITES),$(TEST_LONGEST_FIRST)) $(filter-out $(TEST_LONGEST_FIRST),$(TEST_SUITES))

.PHONY: test test-unit test-e2e test-asan
# Each suite's whole output is also kept in $(TEST_LOGS)/SUITE.log; when one
# fails, the run ends by repeating its failures (mk/test-failures.sh), as
# the other suite running beside it may print on for minutes.
TEST_LOGS := build/test-logs
test: deps-test
	@$(MAKE) --no-print-directory $(TEST_PREREQS)
	@rm -rf $(TEST_LOGS); mkdir -p $(TEST_LOGS); total=$$(date +%s); \
	$(MAKE) --no-print-directory -j$(TEST_JOBS) $(addprefix timed-,$(TEST_ORDER)) || \
		{ sh mk/test-failures.sh $(TEST_LOGS); exit 1; }; \
	echo "make test: all suites passed in $$(($$(date +%s) - total)) s"

# timed-SUITE: the suite, its lines prefixed with its name, then its time.
# -j1: the suite, and any make its tests start, runs without the jobserver
# of the two suites at a time.
# (FORCE, not .PHONY: make looks no pattern rule up for a phony target.)
timed-%: FORCE
	@mkdir -p $(TEST_LOGS); rm -f $(TEST_LOGS)/$*.failed; start=$$(date +%s); \
	bash -o pipefail -c '$(MAKE) -j1 --no-print-directory $* 2>&1 | tee $(TEST_LOGS)/$*.log | sed -u "s/^/$*: /"' || \
		{ echo "make test: $* FAILED after $$(($$(date +%s) - start)) s"; touch $(TEST_LOGS)/$*.failed; exit 1; }; \
	echo "make test: $* passed in $$(($$(date +%s) - start)) s"

FORCE:

test-unit: $(UNIT_release)
	sh tests/unit/run.sh $(UNIT_release)

test-e2e: $(BIN)
	IOTCONFIG_BIN=$(CURDIR)/$(BIN) bats tests/e2e

test-asan: $(UNIT_asan) $(ASAN_BIN)
	ASAN_OPTIONS=detect_leaks=1 sh tests/unit/run.sh $(UNIT_asan)
	IOTCONFIG_BIN=$(CURDIR)/$(ASAN_BIN) IOTCONFIG_SANITIZED=1 bats tests/e2e

.PHONY: clean
clean:
	rm -rf build $(BIN)
