#!/bin/sh
# mk/test-image.sh: the steps of `make test-image` (mk/image.mk says what
# they are and which variables it passes).
set -eu

say() { printf 'test-image: %s\n' "$*"; }
now() { date +%s; }

# --- the engine -------------------------------------------------------------
if [ -z "$ENGINE" ]; then
	if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
		ENGINE=docker
	elif command -v podman >/dev/null 2>&1 || sh mk/deps.sh image; then
		ENGINE=podman
	fi
fi
command -v "$ENGINE" >/dev/null 2>&1 || { say "no container engine (docker, podman)"; exit 1; }
[ "$ENGINE" != podman ] || command -v debootstrap >/dev/null 2>&1 || sh mk/deps.sh image
say "engine: $ENGINE ($($ENGINE --version | head -1))"
export ENGINE IMAGE

# Whatever happens, no container of ours is left running.
cleanup() {
	ids="$($ENGINE ps -aq --filter label=iotconfig-test 2>/dev/null || true)"
	[ -z "$ids" ] || $ENGINE rm -f $ids >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

# --- the base image -----------------------------------------------------------
base=debian:bookworm-slim
if $ENGINE image exists "$base" 2>/dev/null || $ENGINE image inspect "$base" >/dev/null 2>&1; then
	:
elif $ENGINE pull "$base" >"$IMAGE_DIR/pull.log" 2>&1; then
	:
elif [ "$LOCAL_BASE" = 1 ]; then
	base="$LOCAL_BASE_IMAGE"
	if ! $ENGINE image inspect "$base" >/dev/null 2>&1; then
		say "no registry ($(tail -1 "$IMAGE_DIR/pull.log")); building $base with debootstrap from $DEBIAN_MIRROR"
		t0=$(now)
		root="$IMAGE_DIR/rootfs"
		rm -rf "$root"
		debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$IMAGE_DIR/debootstrap.log" 2>&1 ||
			{ tail -20 "$IMAGE_DIR/debootstrap.log"; exit 1; }
		# Slim as the registry's image: no apt lists, docs or man pages.
		rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* \
			"$root"/usr/share/man/* "$root"/usr/share/info/*
		tar -C "$root" -c . | $ENGINE import - "$base" >/dev/null
		rm -rf "$root"
		say "local base built in $(($(now) - t0)) s"
	fi
else
	say "cannot pull $base: $(tail -1 "$IMAGE_DIR/pull.log")"
	say "on a machine without the registry, 'make test-image LOCAL_BASE=1' builds a local base with debootstrap"
	exit 1
fi

# --- the build ----------------------------------------------------------------
say "building $IMAGE from BASE=$base"
t0=$(now)
# podman writes OCI images unless told otherwise, and OCI has no HEALTHCHECK.
format=""
[ "$ENGINE" != podman ] || format="--format docker"
# The host's CA bundle, for npm behind a TLS-inspecting proxy (public certificates).
cacerts="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
$ENGINE build $format --secret id=cacerts,src="$cacerts" --build-arg BASE="$base" -t "$IMAGE" . \
	>"$IMAGE_DIR/build.log" 2>&1 ||
	{ tail -40 "$IMAGE_DIR/build.log"; exit 1; }
build_s=$(($(now) - t0))
size=$($ENGINE image inspect --format '{{.Size}}' "$IMAGE")
say "built in $build_s s; image size $((size / 1000000)) MB ($size bytes)"

# --- the tests ------------------------------------------------------------------
t0=$(now)
rc=0
SMOKE_SERVER=image bats tests/deploy/smoke.bats tests/image | tee "$IMAGE_DIR/bats.log" || rc=1
# (tee hides bats' status: read it from the TAP lines)
! grep -q '^not ok' "$IMAGE_DIR/bats.log" || rc=1
tests_s=$(($(now) - t0))
{
	echo "engine: $ENGINE"
	echo "base: $base"
	echo "build: $build_s s"
	echo "image size: $size bytes"
	echo "tests: $(grep -c '^ok' "$IMAGE_DIR/bats.log") passed, $(grep -c '^not ok' "$IMAGE_DIR/bats.log") failed, $tests_s s"
} | tee "$IMAGE_DIR/report.txt"
exit $rc
