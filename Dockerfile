# Dockerfile: iotconfig behind lighttpd on Debian bookworm-slim, serving
# http://0.0.0.0:8080 with conf/lighttpd.conf (the file `make run` uses),
# configured entirely by environment variables. See docker-compose.yml and
# README "Docker Compose".

# --- build: the responder, installed for PREFIX=/usr --------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      make gcc libc6-dev pkg-config libfcgi-dev libjson-c-dev nettle-dev libmosquitto-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile VERSION ./
COPY mk/ mk/
COPY src/ src/
COPY conf/ conf/
COPY man/ man/
RUN make install PREFIX=/usr DESTDIR=/out

# --- run: lighttpd and the libraries the responder links -----------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      lighttpd libfcgi0ldbl libjson-c5 libnettle8 libmosquitto1 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/libexec/iotconfig/iotconfig.fcgi /usr/libexec/iotconfig/iotconfig.fcgi
COPY conf/lighttpd.conf /etc/iotconfig/lighttpd.conf
COPY conf/errors/ /etc/iotconfig/errors/
# The config directory is a volume; the sockets go to RUN_DIR.
RUN install -d -o www-data -g www-data /data/configs /run/iotconfig

# Every setting of conf/lighttpd.conf and the responder (docker-compose.yml
# or `docker run -e` override them).
ENV HOST=0.0.0.0 \
    PORT=8080 \
    PROCS=4 \
    ESP32_CONFIGS_DIR=/data/configs \
    CORS_ORIGINS= \
    DEBUG=false \
    MAX_BODY_BYTES=1048576 \
    METRICS_FILE= \
    SWAGGER_UI_DIR=/usr/share/iotconfig/swagger-ui \
    SHARED_FS=auto \
    MQTT_URL= \
    MQTT_USERNAME= \
    MQTT_PASSWORD= \
    MQTT_CA_FILE= \
    MQTT_TOPIC=iotsupport/updates/configs \
    MQTT_CLIENT_ID=iotconfig \
    HISTORY_KEEP=20 \
    FILE_MODE=0640 \
    IOTCONFIG_BIN=/usr/libexec/iotconfig/iotconfig.fcgi \
    IOTCONFIG_CONF_DIR=/etc/iotconfig \
    RUN_DIR=/run/iotconfig

USER www-data
VOLUME /data/configs
EXPOSE 8080
# SIGINT is lighttpd's graceful stop: requests in flight are answered first.
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/api/health" || exit 1
CMD ["lighttpd", "-D", "-f", "/etc/iotconfig/lighttpd.conf"]
