#!/usr/bin/env bats
# tests/deploy/device_auth.bats: each DEVICE_AUTH mode under lighttpd
# running the responder as plain CGI (conf/lighttpd-cgi.conf) and under
# Apache with mod_fcgid and with mod_cgid (conf/apache/iotconfig.conf with
# iotconfig-read-auth.conf): the Authorization header reaches the
# responder, the settings do, and admins use admin routes with the web
# server's credentials (the checks: device_auth.bash).

load servers
load device_auth

setup_file() {
	da_setup
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	deploy_cleanup_dirs
}

@test "lighttpd CGI, per-device: secrets asked of devices that have one, Basic and Bearer, rotation, revocation" {
	da_start lighttpd-cgi per-device
	da_check_per_device aa-db-00-00-01-01
}

@test "lighttpd CGI, required: every device needs its secret, the same 401 for every MAC" {
	da_start lighttpd-cgi required
	da_check_required aa-db-00-00-01-11
}

@test "lighttpd CGI, off: no device route asks" {
	da_start lighttpd-cgi off
	da_check_off aa-db-00-00-01-21
}

@test "Apache mod_fcgid, per-device: secrets asked of devices that have one, Basic and Bearer, rotation, revocation" {
	da_start apache-fcgid per-device
	da_check_per_device aa-db-00-00-02-01
}

@test "Apache mod_fcgid, required: every device needs its secret, the same 401 for every MAC" {
	da_start apache-fcgid required
	da_check_required aa-db-00-00-02-11
}

@test "Apache mod_fcgid, off: no device route asks" {
	da_start apache-fcgid off
	da_check_off aa-db-00-00-02-21
}

@test "Apache mod_cgid, per-device: secrets asked of devices that have one, Basic and Bearer, rotation, revocation" {
	da_start apache-cgid per-device
	da_check_per_device aa-db-00-00-03-01
}

@test "Apache mod_cgid, required: every device needs its secret, the same 401 for every MAC" {
	da_start apache-cgid required
	da_check_required aa-db-00-00-03-11
}

@test "Apache mod_cgid, off: no device route asks" {
	da_start apache-cgid off
	da_check_off aa-db-00-00-03-21
}
