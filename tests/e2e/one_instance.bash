# tests/e2e/one_instance.bash: the usual shape of a file of tests/e2e: one
# instance (iot_start_file) for all its tests, each test's extra
# instances stopped after it, the file's instance at the end. Loaded
# after helpers by the files that need nothing else.

setup_file() {
	iot_start_file
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}
