# tests/mqtt/broker.bash: a real mosquitto broker on free loopback ports,
# and mosquitto_sub subscribers that record what it delivers. Builds on
# tests/deploy/servers.bash (and through it tests/e2e/helpers.bash).
#
#   broker_start      one broker per file (setup_file): three listeners,
#                     exports MQTT_PORT (anonymous), MQTT_AUTH_PORT (user
#                     "dev" with password "s3cret-pw" only) and
#                     MQTT_TLS_PORT (TLS, certificate from the test's CA in
#                     $BROKER_DIR/ca.pem; $BROKER_DIR/other-ca.pem did not
#                     sign it). Sessions persist across a restart.
#   broker_stop       SIGTERM, bounded wait (the broker saves its sessions)
#   broker_restart    stop, then start again on the same ports
#   broker_signal SIG the running broker (by its id: a test may have
#                     restarted it), e.g. STOP and CONT to hold its acks
#   sub_start NAME    a subscriber to $TOPIC (QoS 1, a persistent session
#                     named NAME) writing each payload on a line of
#                     $BROKER_DIR/NAME.out; returns once it is subscribed
#   sub_lines NAME    the payloads received so far
#   wait_lines NAME N wait (bounded, 30 s) until NAME has at least N lines
#   sub_stop NAME

load "${BATS_TEST_DIRNAME}/../deploy/servers.bash"

TOPIC=iotsupport/updates/configs
READY_TOPIC=iotconfig-test/ready

broker_certs() {
	local d="$BROKER_DIR"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=iotconfig test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=another CA" \
		-keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$d/san.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/san.ext" -out "$d/server.pem" 2>/dev/null
}

broker_start() {
	BROKER_DIR="$(deploy_tmpdir)" || return 1
	export BROKER_DIR
	broker_certs || return 1
	mosquitto_passwd -c -b "$BROKER_DIR/passwd" dev s3cret-pw >/dev/null || return 1
	chmod 644 "$BROKER_DIR"/*.pem "$BROKER_DIR"/server.key "$BROKER_DIR/passwd"
	local attempt
	for attempt in 1 2 3 4 5; do
		broker_conf || return 1
		broker_run && return 0
		# Only a port taken meanwhile is worth another try.
		grep -q 'Address already in use' "$BROKER_DIR/stdout.log" "$BROKER_DIR/mosquitto.log" ||
			return 1
		: >"$BROKER_DIR/stdout.log"
		: >"$BROKER_DIR/mosquitto.log"
	done
	return 1
}

# broker_conf: new free ports, and the configuration for them.
broker_conf() {
	export MQTT_PORT MQTT_AUTH_PORT MQTT_TLS_PORT
	MQTT_PORT="$(free_port)" && MQTT_AUTH_PORT="$(free_port)" && MQTT_TLS_PORT="$(free_port)" || return 1
	cat >"$BROKER_DIR/mosquitto.conf" <<-EOF
		user root
		per_listener_settings true
		persistence true
		persistence_location $BROKER_DIR/
		max_queued_messages 5000
		log_dest file $BROKER_DIR/mosquitto.log
		log_type all
		listener $MQTT_PORT 127.0.0.1
		allow_anonymous true
		listener $MQTT_AUTH_PORT 127.0.0.1
		allow_anonymous false
		password_file $BROKER_DIR/passwd
		listener $MQTT_TLS_PORT 127.0.0.1
		allow_anonymous true
		cafile $BROKER_DIR/ca.pem
		certfile $BROKER_DIR/server.pem
		keyfile $BROKER_DIR/server.key
	EOF
}

broker_listening() {
	local p
	for p in "$MQTT_PORT" "$MQTT_AUTH_PORT" "$MQTT_TLS_PORT"; do
		ss -Hltn "sport = :$p" | grep -q . || return 1
	done
}

broker_run() {
	# 3>&-: bats waits for every process holding its fd 3.
	mosquitto -c "$BROKER_DIR/mosquitto.conf" >>"$BROKER_DIR/stdout.log" 2>&1 3>&- &
	BROKER_PID=$!
	# By id (tests/e2e/procs.bash): a test restarts the broker, and the
	# file's teardown stops it, long after.
	BROKER_ID="$(proc_id "$BROKER_PID")"
	export BROKER_PID BROKER_ID
	echo "$BROKER_ID" >"$BROKER_DIR/broker.id"
	local i
	for i in $(seq 1 100); do
		broker_listening && return 0
		proc_running "$BROKER_ID" || break
		sleep 0.1
	done
	proc_stop "$BROKER_ID" || true
	echo "mosquitto did not start:" >&2
	cat "$BROKER_DIR/stdout.log" "$BROKER_DIR/mosquitto.log" >&2
	return 1
}

# SIGTERM, bounded wait (the broker saves its sessions), SIGKILL.
broker_stop() {
	local id
	id="$(cat "$BROKER_DIR/broker.id" 2>/dev/null)" || return 0
	[ -n "$id" ] || return 0
	proc_stop "$id" 5 || true
	: >"$BROKER_DIR/broker.id"
	! broker_listening_any
}

broker_listening_any() {
	ss -Hltn "sport = :$MQTT_PORT" | grep -q .
}

broker_signal() {
	local id
	id="$(cat "$BROKER_DIR/broker.id" 2>/dev/null)" && [ -n "$id" ] || return 1
	proc_signal "$1" "$id"
}

broker_restart() {
	broker_stop && broker_run
}

sub_start() {
	local name="$1" i
	: >"$BROKER_DIR/$name.out"
	mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -V 5 -q 1 -c -i "test-$name" \
		-t "$TOPIC" -t "$READY_TOPIC/$name" -v \
		>"$BROKER_DIR/$name.raw" 2>"$BROKER_DIR/$name.err" 3>&- &
	proc_id $! >"$BROKER_DIR/$name.id"
	# Subscribed once a message on its own ready topic comes back.
	for i in $(seq 1 100); do
		mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$READY_TOPIC/$name" -m "ready $i"
		if grep -q "^$READY_TOPIC/$name " "$BROKER_DIR/$name.raw" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "subscriber $name never saw its ready message" >&2
	cat "$BROKER_DIR/$name.err" >&2
	return 1
}

sub_lines() {
	grep "^$TOPIC " "$BROKER_DIR/$1.raw" | cut -d' ' -f2-
}

sub_count() {
	sub_lines "$1" | wc -l
}

# wait_lines NAME N: bounded wait (30 s) for at least N notifications.
wait_lines() {
	local name="$1" n="$2" i
	for i in $(seq 1 300); do
		[ "$(sub_count "$name")" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "subscriber $name has $(sub_count "$name") of $n notifications" >&2
	return 1
}

sub_stop() {
	local id
	id="$(cat "$BROKER_DIR/$1.id" 2>/dev/null)" || return 0
	proc_stop "$id" || true
}

sub_stop_all() {
	local f
	for f in "$BROKER_DIR"/*.id; do
		[ "$f" = "$BROKER_DIR/broker.id" ] && continue
		sub_stop "$(basename "$f" .id)"
	done
}
