# mk/image.mk: `make test-image`, the Docker image built from this tree and
# proven by running it. Not part of `make test` (it needs a container
# engine and takes minutes).
#
#   make test-image [ENGINE=docker|podman] [LOCAL_BASE=1] [IMAGE=iotconfig:test]
#
# 1. picks the engine: docker when its daemon answers, else podman (from
#    Debian, installed through mk/deps.sh when missing);
# 2. needs debian:bookworm-slim: pulled when the registry can be reached;
#    otherwise LOCAL_BASE=1 builds a local stand-in with debootstrap from
#    the Debian mirror apt uses, imported as $(LOCAL_BASE_IMAGE);
# 3. builds the image (figures in build/image/report.txt), then runs
#    tests/image/ against it: the deployment smoke suite in the container
#    on a loopback port, Swagger UI rendered by headless Chromium, read-only
#    root, non-root user without capabilities, credentials, and a stop;
# 4. removes every container it started (label iotconfig-test), also when
#    a test failed; the images stay, for the next run.
#
# podman runs with build/image/containers.conf (CONTAINERS_CONF): runc,
# since crun refuses hybrid cgroup hierarchies, and lower nofile/nproc
# limits than the host's, which runc cannot always grant a container.

ENGINE ?=
LOCAL_BASE ?= 0
IMAGE ?= iotconfig:test
LOCAL_BASE_IMAGE := localhost/iotconfig-base:bookworm-slim
DEBIAN_MIRROR ?= http://deb.debian.org/debian
IMAGE_DIR := build/image

.PHONY: test-image
test-image: $(BIN)
	@mkdir -p $(IMAGE_DIR)
	@printf '%s\n' '[containers]' 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]' \
		'[engine]' 'runtime = "runc"' 'cgroup_manager = "cgroupfs"' 'events_logger = "file"' \
		>$(IMAGE_DIR)/containers.conf
	@CONTAINERS_CONF=$(CURDIR)/$(IMAGE_DIR)/containers.conf ENGINE='$(ENGINE)' \
		LOCAL_BASE='$(LOCAL_BASE)' IMAGE='$(IMAGE)' LOCAL_BASE_IMAGE='$(LOCAL_BASE_IMAGE)' \
		DEBIAN_MIRROR='$(DEBIAN_MIRROR)' IMAGE_DIR='$(CURDIR)/$(IMAGE_DIR)' \
		IOTCONFIG_BIN='$(CURDIR)/$(BIN)' sh mk/test-image.sh
