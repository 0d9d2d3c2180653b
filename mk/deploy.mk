# mk/deploy.mk: `make install` / `make uninstall` into the Debian places,
# and the deployment test suites (run once, against the release build).
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc] ...
#
# installs
#   $(LIBEXECDIR)/iotconfig.fcgi          the responder, built for PREFIX, with
#                                         the web page (web/) inside it
#   $(MANDIR)/man8/iotconfig.fcgi.8       its manual page
#   $(SWAGGER_INSTALL_DIR)/...            Swagger UI assets, when
#                                         $(SWAGGER_UI_SRC) exists
#   $(SYSCONFDIR)/lighttpd/conf-available/50-iotconfig.conf, 51-iotconfig-auth.conf,
#                                         52-iotconfig-read-auth.conf
#   $(SYSCONFDIR)/apache2/conf-available/iotconfig.conf, iotconfig-auth.conf,
#                                         iotconfig-read-auth.conf
# The binary goes to libexec rather than a cgi-bin directory: Debian's
# web servers run every file in /usr/lib/cgi-bin as CGI at /cgi-bin/, and
# this one is only meant to answer at the paths its snippets map.
# Nothing is enabled and no data directory is made: see docs/deployment.md, "Install".

LIBEXECDIR ?= $(PREFIX)/libexec/iotconfig
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
RUNSTATEDIR ?= /run
INSTALL_CONFIGS_DIR ?= $(LOCALSTATEDIR)/lib/iotconfig/configs
SWAGGER_UI_SRC ?= tools/node_modules/swagger-ui-dist
# Must match the default compiled in through CPPFLAGS (IOTCONFIG_SWAGGER_DIR).
SWAGGER_INSTALL_DIR = $(PREFIX)/share/iotconfig/swagger-ui
# The files the responder serves (src/api_docs.c), and the licence texts.
SWAGGER_FILES := swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js \
	favicon-32x32.png favicon-16x16.png LICENSE NOTICE

LIGHTTPD_SNIPPETS := 50-iotconfig.conf 51-iotconfig-auth.conf 52-iotconfig-read-auth.conf
APACHE_SNIPPETS := iotconfig.conf iotconfig-auth.conf iotconfig-read-auth.conf

# The binary that is installed: its own objects, because the Swagger UI
# default path is compiled in from PREFIX.
CFLAGS_install := $(CFLAGS_release)
LDFLAGS_install := $(LDFLAGS_release)
$(eval $(call variant,install))
INSTALL_BUILD_BIN := build/install/iotconfig.fcgi

.PHONY: FORCE
build/install/prefix: FORCE | build/install/.dir
	@printf '%s\n' '$(PREFIX)' | cmp -s - $@ || printf '%s\n' '$(PREFIX)' >$@
# Only settings.c reads the compiled-in path (IOTCONFIG_SWAGGER_DIR), so a
# new PREFIX rebuilds that object alone.
build/install/settings.o: build/install/prefix

$(INSTALL_BUILD_BIN): build/install/main.o build/install/lib.a
	$(CC) $^ -o $@ $(LDFLAGS_install) $(PKG_LIBS)

SUBST := sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@CONFIGS_DIR@|$(INSTALL_CONFIGS_DIR)|g' \
	-e 's|@SWAGGER_UI_DIR@|$(SWAGGER_INSTALL_DIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@RUNSTATEDIR@|$(RUNSTATEDIR)|g'

.PHONY: install uninstall
install: $(INSTALL_BUILD_BIN)
	install -d '$(DESTDIR)$(LIBEXECDIR)' '$(DESTDIR)$(MANDIR)/man8' \
		'$(DESTDIR)$(SYSCONFDIR)/lighttpd/conf-available' \
		'$(DESTDIR)$(SYSCONFDIR)/apache2/conf-available'
	install -m 755 $(INSTALL_BUILD_BIN) '$(DESTDIR)$(LIBEXECDIR)/iotconfig.fcgi'
	install -m 644 man/iotconfig.fcgi.8 '$(DESTDIR)$(MANDIR)/man8/iotconfig.fcgi.8'
	for f in $(LIGHTTPD_SNIPPETS); do \
		$(SUBST) conf/lighttpd/$$f >build/install/$$f && \
		install -m 644 build/install/$$f '$(DESTDIR)$(SYSCONFDIR)/lighttpd/conf-available/'$$f \
		|| exit 1; done
	for f in $(APACHE_SNIPPETS); do \
		$(SUBST) conf/apache/$$f >build/install/$$f && \
		install -m 644 build/install/$$f '$(DESTDIR)$(SYSCONFDIR)/apache2/conf-available/'$$f \
		|| exit 1; done
	@if [ -d '$(SWAGGER_UI_SRC)' ]; then \
		echo "install Swagger UI from $(SWAGGER_UI_SRC)"; \
		install -d '$(DESTDIR)$(SWAGGER_INSTALL_DIR)' && \
		for f in $(SWAGGER_FILES); do \
			[ ! -f '$(SWAGGER_UI_SRC)'/$$f ] || \
			install -m 644 '$(SWAGGER_UI_SRC)'/$$f '$(DESTDIR)$(SWAGGER_INSTALL_DIR)'/$$f \
			|| exit 1; done; \
	else \
		echo "no $(SWAGGER_UI_SRC) (make deps fetches it): Swagger UI not installed"; \
	fi

# Removes what install put, and the links that enabled its snippets (left
# dangling, they would stop the web server from starting). Directories
# shared with other software stay.
uninstall:
	rm -f '$(DESTDIR)$(LIBEXECDIR)/iotconfig.fcgi' '$(DESTDIR)$(MANDIR)/man8/iotconfig.fcgi.8'
	for f in $(LIGHTTPD_SNIPPETS); do \
		rm -f '$(DESTDIR)$(SYSCONFDIR)/lighttpd/conf-available/'$$f; \
		l='$(DESTDIR)$(SYSCONFDIR)/lighttpd/conf-enabled/'$$f; \
		[ ! -L "$$l" ] || rm -f "$$l"; done
	for f in $(APACHE_SNIPPETS); do \
		rm -f '$(DESTDIR)$(SYSCONFDIR)/apache2/conf-available/'$$f; \
		l='$(DESTDIR)$(SYSCONFDIR)/apache2/conf-enabled/'$$f; \
		[ ! -L "$$l" ] || rm -f "$$l"; done
	for f in $(SWAGGER_FILES); do rm -f '$(DESTDIR)$(SWAGGER_INSTALL_DIR)'/$$f; done
	for d in '$(DESTDIR)$(SWAGGER_INSTALL_DIR)' '$(DESTDIR)$(PREFIX)/share/iotconfig' \
		'$(DESTDIR)$(LIBEXECDIR)'; do [ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done

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
