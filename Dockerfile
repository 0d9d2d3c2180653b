# Dockerfile: iotconfig behind lighttpd on Debian bookworm-slim, serving
# http://0.0.0.0:8080 with conf/lighttpd.conf (the file `make run` uses),
# configured entirely by environment variables. See docker-compose.yml and
# docs/deployment.md, "Docker image". `make test-image` builds it and runs the
# deployment smoke suite in it.
#
# BASE is the Debian image every stage starts from; `make test-image
# LOCAL_BASE=1` passes one built locally with debootstrap.
ARG BASE=debian:bookworm-slim

# --- assets: Swagger UI and the page's editor, as tools/package-lock.json pins them
# npm ci installs what the lock file names and checks each package against
# the integrity hash it records; only swagger-ui-dist and the page's
# CodeMirror bundle (made by the pinned esbuild, tools/bundle.mjs) leave
# this stage.
FROM ${BASE} AS assets
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /tools
COPY tools/package.json tools/package-lock.json ./
# A network that inspects TLS needs its CA here too: the build secret
# "cacerts", when given, is added to Node's trusted CAs (make test-image
# passes the host's bundle).
RUN --mount=type=secret,id=cacerts \
    if [ -s /run/secrets/cacerts ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/cacerts; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY tools/bundle.mjs ./
COPY web/vendor/codemirror.js /web/vendor/codemirror.js
RUN node bundle.mjs /web/vendor/codemirror.js /build/web/codemirror.js

# --- build: the responder and the Swagger UI files, installed for PREFIX=/usr --
FROM ${BASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      make gcc libc6-dev pkg-config libfcgi-dev libjson-c-dev nettle-dev libmosquitto-dev \
      libpcre2-dev libgmp-dev libarchive-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile VERSION ./
COPY mk/ mk/
COPY src/ src/
COPY web/ web/
COPY conf/ conf/
COPY man/ man/
COPY --from=assets /tools/node_modules/swagger-ui-dist/ tools/node_modules/swagger-ui-dist/
COPY --from=assets /build/web/codemirror.js build/web/codemirror.js
# -o: the bundle is made above, by the assets stage; this stage has no Node.js.
RUN make -o build/web/codemirror.js install PREFIX=/usr DESTDIR=/out

# --- run: lighttpd, the libraries the responder links or loads, tini as process 1
FROM ${BASE} AS run
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      lighttpd libfcgi0ldbl libjson-c5 libnettle8 libmosquitto1 libssl3 libpcre2-8-0 libgmp10 libarchive13 ca-certificates curl tini \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/libexec/iotconfig/iotconfig.fcgi /usr/libexec/iotconfig/iotconfig.fcgi
COPY --from=build /out/usr/share/iotconfig/swagger-ui/ /usr/share/iotconfig/swagger-ui/
COPY conf/lighttpd.conf /etc/iotconfig/lighttpd.conf
COPY conf/lighttpd-auth.sh /etc/iotconfig/lighttpd-auth.sh
COPY conf/lighttpd-defences.conf /etc/iotconfig/lighttpd-defences.conf
COPY conf/lighttpd-rundir.sh /etc/iotconfig/lighttpd-rundir.sh
COPY conf/lighttpd-firmware.sh /etc/iotconfig/lighttpd-firmware.sh
COPY conf/errors/ /etc/iotconfig/errors/
# The config directory is a volume; the sockets (and request bodies being
# received) go to RUN_DIR, the one other place written: a tmpfs under
# `--read-only`. Sticky and world-writable like /tmp, because a tmpfs
# mounted there belongs to root, with that mode (docker's default, what
# podman copies from here); lighttpd-rundir.sh then makes a directory of
# www-data's own (0700) inside it for the sockets.
RUN install -d -o www-data -g www-data -m 0750 /data/configs \
 && install -d -o www-data -g www-data -m 1777 /run/iotconfig

# Every setting of conf/lighttpd.conf and the responder (docker-compose.yml
# or `docker run -e` override them).
# ALLOWED_HOSTS: this machine's names only, as the compose file publishes
# it; add the name or address the port is published under.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    PROCS=4 \
    ESP32_CONFIGS_DIR=/data/configs \
    CORS_ORIGINS= \
    ALLOWED_HOSTS=localhost,127.0.0.1,[::1] \
    DEBUG=false \
    MAX_BODY_BYTES=1048576 \
    METRICS_FILE= \
    SWAGGER_UI_DIR=/usr/share/iotconfig/swagger-ui \
    SHARED_FS=auto \
    MQTT_URL= \
    MQTT_USERNAME= \
    MQTT_PASSWORD= \
    MQTT_PASSWORD_FILE= \
    MQTT_CA_FILE= \
    MQTT_TOPIC=iotsupport/updates/configs \
    MQTT_FIRMWARE_TOPIC=iotsupport/updates/firmware \
    MQTT_CLIENT_ID=iotconfig \
    HISTORY_KEEP=20 \
    CHECKIN_INTERVAL=60 \
    CHECKIN_MISSING_MAX=1000 \
    FILE_MODE=0640 \
    FIRMWARE_MAX_BYTES=8388608 \
    FIRMWARE_KEEP=5 \
    FIRMWARE_FAIL_AFTER=900 \
    FIRMWARE_SENDFILE=true \
    FIRMWARE_BASE_URL= \
    DEVICE_AUTH=off \
    DEVICE_SECRET_OVERLAP=604800 \
    AUTH_USERS_FILE= \
    AUTH_READS=false \
    AUTH_METRICS= \
    IOTCONFIG_BIN=/usr/libexec/iotconfig/iotconfig.fcgi \
    IOTCONFIG_CONF_DIR=/etc/iotconfig \
    RUN_DIR=/run/iotconfig

# uid 33: no capabilities needed (port 8080, files it owns).
USER www-data
VOLUME /data/configs
EXPOSE 8080
# tini is process 1 and hands the stop signal to lighttpd alone, which
# stops its responders. SIGINT is lighttpd's graceful stop: requests in
# flight are answered first, bounded by the engine's stop timeout
# (docs/deployment.md, "Processes").
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/api/health" || exit 1
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["lighttpd", "-D", "-f", "/etc/iotconfig/lighttpd.conf"]
