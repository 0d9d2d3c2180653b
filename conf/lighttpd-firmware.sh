#!/bin/sh
# conf/lighttpd-firmware.sh: the one directory lighttpd may send files from
# when the responder hands a firmware image back (X-Sendfile), printed on
# stdout as lighttpd configuration (var.iotconfig_firmware_root). lighttpd
# runs it once at start (include_shell) from conf/lighttpd.conf and
# conf/lighttpd-cgi.conf.
#
# lighttpd refuses to start on a relative x-sendfile-docroot, before the
# responder could name the setting that is wrong. So a relative (or empty)
# ESP32_CONFIGS_DIR gets a root that holds nothing, lighttpd starts, and
# the responder stops the start with its own message naming the variable.
# The path itself is never printed: lighttpd reads it from the environment,
# so no quoting of it is needed here.
set -eu

case "${ESP32_CONFIGS_DIR:-}" in
/*) echo 'var.iotconfig_firmware_root = env.ESP32_CONFIGS_DIR + "/.firmware/"' ;;
*) echo 'var.iotconfig_firmware_root = "/nonexistent/iotconfig-firmware/"' ;;
esac
